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

int
dom_roster_export_table(struct replica *r, const char *org_id, bool all, struct table **out,
    long *rows, struct dom_error *e)
{
	const struct table_def *td = MEMBER_TD;
	/* table_new() keeps the arrays of ids and headers: static (the same on every call). */
	static const char *ids[DOM_MAX_COLS], *hdr[DOM_MAX_COLS];
	const char *cells[DOM_MAX_COLS];
	int cols[DOM_MAX_COLS], n = 0, step;
	char sql[3072], num[DOM_MAX_COLS][24];
	size_t len;
	long count = 0;
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st = NULL;
	struct table *t = NULL;

	dom_error_clear(e);
	*out = NULL;
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
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fail(e, DOM_FAIL, sqlite3_errmsg(db));
		return -1;
	}
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
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (++count > DOM_ROSTER_EXPORT_MAX) {
			char msg[200];
			snprintf(msg, sizeof msg, "超过 %d 人，请按支部分别导出 more than %d members; "
			    "export branch by branch", DOM_ROSTER_EXPORT_MAX, DOM_ROSTER_EXPORT_MAX);
			fail(e, DOM_INVALID, msg);
			goto bad;
		}
		for (int i = 0; i < n; i++) {
			if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
				snprintf(num[i], sizeof num[i], "%lld",
				    (long long)sqlite3_column_int64(st, i));
				cells[i] = num[i];
			} else {
				cells[i] = (const char *)sqlite3_column_text(st, i);
			}
		}
		if (table_add(t, cells) != 0) {
			fail(e, DOM_FAIL, "内存不足 out of memory");
			goto bad;
		}
	}
	if (step != SQLITE_DONE) {
		fail(e, DOM_FAIL, sqlite3_errmsg(db));
		goto bad;
	}
	sqlite3_finalize(st);
	if (rows)
		*rows = count;
	*out = t;
	return 0;
bad:
	sqlite3_finalize(st);
	table_free(t);
	return -1;
}
