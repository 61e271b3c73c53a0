/*
 * dom_roster.c - the roster exported losslessly (see dom_roster.h).
 *
 * The export is the import's mirror: its header is the schema's labels,
 * which the import's header_column() maps back to the same columns, and its
 * cells are what the import's check_row() turns back into the same stored
 * values. The meeting references (延长预备期会议, 转正会议) stay out: they
 * name a meeting row of this replica that another office's replica lacks;
 * the dates those meetings decided (probation_until, full_date) are in.
 */
#include "dom_roster.h"

#include <stdio.h>
#include <string.h>

#include "dom_report.h"
#include "schema.h"

#define MEMBER_TD (&schema_tables[TBL_MEMBER])

static int
fail(struct dom_error *e, enum dom_fail kind, const char *msg)
{
	e->kind = kind;
	e->col = -1;
	snprintf(e->msg, sizeof e->msg, "%s", msg);
	return -1;
}

/* Whether member column cd is exported: all but references to other tables than org. */
static bool
exported(const struct col_def *cd)
{
	return !(cd->type == COL_REF && strcmp(cd->ref_table, "org") != 0);
}

/*
 * The export's table (columns typed, no rows) and its query, bound; the
 * query selects at most DOM_ROSTER_EXPORT_MAX + 1 rows (one more says
 * "too many"). 0, or -1 with e filled.
 */
static int
export_open(struct replica *r, const char *org_id, bool all, struct table **tp,
    sqlite3_stmt **stp, int *ncols, struct dom_error *e)
{
	const struct table_def *td = MEMBER_TD;
	/* table_new() keeps the arrays of ids and headers: static (the same on every call). */
	static const char *ids[DOM_MAX_COLS], *hdr[DOM_MAX_COLS];
	int cols[DOM_MAX_COLS], n = 0;
	char sql[3072];
	size_t len;
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st = NULL;
	struct table *t;

	len = (size_t)snprintf(sql, sizeof sql, "%s SELECT ", DOM_SUBTREE_CTE);
	for (int c = 0; c < td->ncols && n < DOM_MAX_COLS && len < sizeof sql; c++) {
		const struct col_def *cd = &td->cols[c];
		if (!exported(cd))
			continue;
		cols[n] = c;
		ids[n] = cd->name;
		hdr[n] = cd->label;
		if (cd->type == COL_REF)
			len += (size_t)snprintf(sql + len, sizeof sql - len, "%s(SELECT code FROM org "
			    "WHERE id = m.%s)", n ? ", " : "", cd->name);
		else
			len += (size_t)snprintf(sql + len, sizeof sql - len, "%sm.%s", n ? ", " : "",
			    cd->name);
		n++;
	}
	if (len < sizeof sql)
		len += (size_t)snprintf(sql + len, sizeof sql - len, " FROM member m LEFT JOIN org o"
		    " ON o.id = m.org_id WHERE (?1 IS NULL OR m.org_id IN sub)%s"
		    " ORDER BY o.code, m.name, m.id LIMIT %d", all ? "" : " AND " DOM_MEMBER_ACTIVE,
		    DOM_ROSTER_EXPORT_MAX + 1);
	if (len >= sizeof sql)
		return fail(e, DOM_FAIL, "内部错误 internal error (the query is too long)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(e, DOM_FAIL, sqlite3_errmsg(db));
	if (org_id != NULL && org_id[0] != '\0')
		sqlite3_bind_text(st, 1, org_id, -1, SQLITE_TRANSIENT);
	if ((t = table_new(n, ids, hdr)) == NULL) {
		sqlite3_finalize(st);
		return fail(e, DOM_FAIL, "内存不足 out of memory");
	}
	/* Labels on paper, stored values back on import; references and numbers as they are. */
	for (int i = 0; i < n; i++)
		if (td->cols[cols[i]].type != COL_REF && td->cols[cols[i]].type != COL_INT)
			table_set_col(t, i, &td->cols[cols[i]]);
	*tp = t;
	*stp = st;
	*ncols = n;
	return 0;
}

/* The refusal of an export over DOM_ROSTER_EXPORT_MAX members. */
static int
too_many(struct dom_error *e)
{
	char msg[200];

	snprintf(msg, sizeof msg, "超过 %d 人，请按支部分别导出 more than %d members; "
	    "export branch by branch", DOM_ROSTER_EXPORT_MAX, DOM_ROSTER_EXPORT_MAX);
	return fail(e, DOM_INVALID, msg);
}

/*
 * Add the query's rows to t (kept or streamed); *count gets their number.
 * 0, or -1 with e filled (DOM_INVALID: more than DOM_ROSTER_EXPORT_MAX).
 */
static int
export_rows(struct replica *r, sqlite3_stmt *st, struct table *t, int n, long *count,
    struct dom_error *e)
{
	const char *cells[DOM_MAX_COLS];
	char num[DOM_MAX_COLS][24];
	int step;

	*count = 0;
	sqlite3_reset(st);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (++*count > DOM_ROSTER_EXPORT_MAX)
			return too_many(e);
		for (int i = 0; i < n; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
				snprintf(num[i], sizeof num[i], "%lld",
				    (long long)sqlite3_column_int64(st, i));
				cells[i] = num[i];
			} else {
				cells[i] = (const char *)sqlite3_column_text(st, i);
			}
		}
		if (table_add(t, cells) != 0)
			return fail(e, DOM_FAIL, "内存不足或无法写出 out of memory, or the output cannot "
			    "be written");
	}
	if (step != SQLITE_DONE)
		return fail(e, DOM_FAIL, sqlite3_errmsg(replica_db(r)));
	return 0;
}

/* The number of members the export of org_id's subtree (NULL or "": all) has. */
static int
export_count(struct replica *r, const char *org_id, bool all, long *count, struct dom_error *e)
{
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st;
	int step;

	if (sqlite3_prepare_v2(db, DOM_SUBTREE_CTE " SELECT count(*) FROM member m"
	    " WHERE (?1 IS NULL OR m.org_id IN sub) AND (?2 OR " DOM_MEMBER_ACTIVE ")", -1, &st,
	    NULL) != SQLITE_OK)
		return fail(e, DOM_FAIL, sqlite3_errmsg(db));
	if (org_id != NULL && org_id[0] != '\0')
		sqlite3_bind_text(st, 1, org_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, all);
	step = sqlite3_step(st);
	*count = step == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return step == SQLITE_ROW ? 0 : fail(e, DOM_FAIL, sqlite3_errmsg(db));
}

int
dom_roster_export_write(struct replica *r, const char *org_id, bool all, FILE *f, long *rows,
    struct dom_error *e)
{
	sqlite3_stmt *st = NULL;
	struct table *t = NULL;
	struct dom_snapshot snap;
	long count = 0;
	int n, rc = -1;

	dom_error_clear(e);
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (export_open(r, org_id, all, &t, &st, &n, e) != 0)
		goto out;
	/* Counted first, in the same snapshot: too many writes nothing. */
	if (export_count(r, org_id, all, &count, e) != 0)
		goto out;
	if (count > DOM_ROSTER_EXPORT_MAX) {
		too_many(e);
		goto out;
	}
	if (table_stream_begin(t, f, TABLE_CSV) != 0) {
		fail(e, DOM_FAIL, "内存不足 out of memory");
		goto out;
	}
	rc = export_rows(r, st, t, n, &count, e);
	if (table_stream_end(t) != 0 && rc == 0)
		rc = fail(e, DOM_FAIL, "无法写出 the output cannot be written");
	t = NULL;
	if (rc == 0 && rows)
		*rows = count;
out:
	table_free(t);
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc;
}
