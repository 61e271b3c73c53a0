/* domain.c - the clerk's operations on the replica; see domain.h. */
#include "domain.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "value.h"
#include "vocab.h"

_Static_assert(DOM_MAX_COLS >= 23, "DOM_MAX_COLS holds every member column");

void
dom_error_clear(struct dom_error *e)
{
	e->kind = DOM_OK;
	e->col = -1;
	e->msg[0] = '\0';
}

/* Fill e and return -1. */
static int
fail(struct dom_error *e, enum dom_fail kind, int col, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int
db_fail(struct replica *r, struct dom_error *e)
{
	return fail(e, DOM_FAIL, -1, "副本读写失败 the replica could not be used: %s",
	    sqlite3_errmsg(replica_db(r)));
}

static const char *
col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

/* --- values ------------------------------------------------------------- */

int
dom_value_parse(const struct col_def *c, const char *text, Tongxin__Value *v,
    struct dom_error *e)
{
	if (text == NULL || text[0] == '\0') {
		value_set_null(v);
		return 0;
	}
	if (c->type == COL_INT || c->type == COL_BOOL) {
		const char *s = c->type == COL_BOOL ? vocab_col_store(c, text) : NULL;
		char *end;
		long long n;
		errno = 0;
		n = strtoll(s ? s : text, &end, 10);
		if (errno || *end || end == (s ? s : text))
			return fail(e, DOM_INVALID, -1, "%s (%s) must be a number", c->label, c->name);
		value_set_int(v, n);
		return 0;
	}
	if (c->type == COL_ENUM) {
		const char *s = vocab_col_store(c, text);
		value_set_text(v, s ? s : text);   /* an unknown value fails its check later */
		return 0;
	}
	value_set_text(v, text);
	return 0;
}

int
dom_check_values(int t, const Tongxin__Value *vals, const int *set, bool insert,
    struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	char why[512];

	for (int c = 0; c < td->ncols; c++) {
		if (insert && (td->cols[c].flags & COLF_REQUIRED) &&
		    vals[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET)
			return fail(e, DOM_MISSING, c, "缺少必填项 %s", td->cols[c].label);
		if (set[c] && validate_value(&td->cols[c], &vals[c], why, sizeof why) != 0)
			return fail(e, DOM_INVALID, c, "%s", why);
	}
	if (insert) {
		char today[11];
		today_str(today);
		if (validate_row(t, vals, today, why, sizeof why) != 0)
			return fail(e, DOM_INVALID, -1, "%s", why);
	}
	return 0;
}

int
dom_member_replica_checks(struct replica *r, const Tongxin__Value *vals, const int *set,
    const char *self, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	int c_id = schema_col_index(td, "id_number"), c_org = schema_col_index(td, "org_id");
	sqlite3_stmt *st;
	int rc = 0;

	if (set[c_id] && vals[c_id].kind_case == TONGXIN__VALUE__KIND_S) {
		if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM member WHERE id_number = ?1"
		    " AND id <> coalesce(?2, '')", -1, &st, NULL) != SQLITE_OK)
			return db_fail(r, e);
		sqlite3_bind_text(st, 1, vals[c_id].s, -1, SQLITE_STATIC);
		if (self)
			sqlite3_bind_text(st, 2, self, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = fail(e, DOM_INVALID, c_id, "公民身份号码 %s 已登记 (member %s)", vals[c_id].s,
			    col_text(st, 0));
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	if (set[c_org] && vals[c_org].kind_case == TONGXIN__VALUE__KIND_S) {
		if (sqlite3_prepare_v2(replica_db(r), "SELECT coalesce(dissolved, 0) FROM org WHERE id = ?1",
		    -1, &st, NULL) != SQLITE_OK)
			return db_fail(r, e);
		value_bind(st, 1, &vals[c_org]);
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			if (sqlite3_column_int(st, 0) != 0)
				rc = fail(e, DOM_INVALID, c_org,
				    "所在党支部已撤销 the branch has been dissolved");
			break;
		case SQLITE_DONE:
			rc = fail(e, DOM_INVALID, c_org, "未知组织 unknown organisation");
			break;
		default:
			rc = db_fail(r, e);
		}
		sqlite3_finalize(st);
	}
	return rc;
}

/* The defaults of a new member: birth date from the citizen ID, normal standing, flags 0. */
static void
member_defaults(Tongxin__Value *vals, int *set, char birth[11])
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	int c_id = schema_col_index(td, "id_number"), c_birth = schema_col_index(td, "birth_date");
	int c_standing = schema_col_index(td, "standing");

	if (set[c_id] && vals[c_id].kind_case == TONGXIN__VALUE__KIND_S && !set[c_birth] &&
	    strlen(vals[c_id].s) == 18) {
		snprintf(birth, 11, "%.4s-%.2s-%.2s", vals[c_id].s + 6, vals[c_id].s + 10,
		    vals[c_id].s + 12);
		value_set_text(&vals[c_birth], birth);
		set[c_birth] = 1;
	}
	if (!set[c_standing]) {
		value_set_text(&vals[c_standing], "normal");
		set[c_standing] = 1;
	}
	for (int c = 0; c < td->ncols; c++)
		if (td->cols[c].type == COL_BOOL && !set[c])
			value_set_int(&vals[c], 0);
}

int
dom_member_add(struct replica *r, const char *operator_name, Tongxin__Value *vals, int *set,
    bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	static char birth[11];   /* borrowed by vals until the caller is done with them */
	char err[512] = "", id[ID_TEXT_LEN + 1];

	dom_error_clear(e);
	member_defaults(vals, set, birth);
	if (rep_begin(r, operator_name) != 0)
		return db_fail(r, e);
	/* Validate against the replica as this transaction sees it. */
	if (dom_check_values(TBL_MEMBER, vals, set, true, e) != 0 ||
	    dom_member_replica_checks(r, vals, set, NULL, e) != 0) {
		rep_rollback(r);
		return -1;
	}
	if (dry_run) {
		rep_rollback(r);
		return 0;
	}
	if (rep_insert(r, TBL_MEMBER, vals, id, err, sizeof err) != 0) {
		rep_rollback(r);
		return fail(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return fail(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* --- reading ------------------------------------------------------------ */

/* One integer from sql with ?1 bound to text a (may be NULL). */
static int
one_int(struct replica *r, const char *sql, const char *a, const char *b, int64_t *out,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(r, e);
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(r, e);
}

/* Date d (YYYY-MM-DD) plus months, the day clamped to the month's end. */
static void
add_months(const char *d, int months, char out[11])
{
	static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y = atoi(d), m = atoi(d + 5), day = atoi(d + 8), idx, last;

	idx = y * 12 + (m - 1) + months;
	y = idx / 12;
	m = idx % 12 + 1;
	last = md[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
	    (unsigned)(day > last ? last : day) % 100u);
}

/*
 * Branches short of 三会一课 this year so far: the compliance report's
 * rules over the year of today, counting only the cycles that have ended
 * (Party lectures quarterly, the report's default).
 */
static int
behind_count(struct replica *r, const char *today, int64_t *out, struct dom_error *e)
{
	char start[11], end[11];
	sqlite3_stmt *st;
	int rc;

	snprintf(start, sizeof start, "%.4s-01-01", today);
	snprintf(end, sizeof end, "%.4s-12-31", today);
	if (sqlite3_prepare_v2(replica_db(r), DOM_COMPLIANCE_CTE
	    " SELECT count(DISTINCT bid) FROM req WHERE n = 0", -1, &st, NULL) != SQLITE_OK)
		return db_fail(r, e);
	sqlite3_bind_null(st, 1);
	sqlite3_bind_int(st, 2, atoi(today));
	sqlite3_bind_text(st, 3, start, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, end, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, 3);
	sqlite3_bind_text(st, 6, today, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(r, e);
}

int
dom_dashboard(struct replica *r, const char *today, struct dom_dashboard *d,
    struct dom_error *e)
{
	const struct rep_info *i = replica_info(r);
	char until[11];
	sqlite3_stmt *st;

	memset(d, 0, sizeof *d);
	dom_error_clear(e);
	snprintf(d->device, sizeof d->device, "%s", i->device);
	snprintf(d->role, sizeof d->role, "%s", i->role);
	snprintf(d->org_code, sizeof d->org_code, "%s", i->org_code);
	snprintf(d->street, sizeof d->street, "%s", i->street);
	d->last_contact_ms = i->last_contact;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT name FROM org WHERE code = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(r, e);
	sqlite3_bind_text(st, 1, i->org_code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && col_text(st, 0))
		snprintf(d->org_name, sizeof d->org_name, "%s", col_text(st, 0));
	sqlite3_finalize(st);
	add_months(today, 6, until);
	if (one_int(r, "SELECT count(*) FROM outbox", NULL, NULL, &d->pending_txns, e) ||
	    one_int(r, "SELECT coalesce(sum(nchanges), 0) FROM outbox", NULL, NULL,
	    &d->pending_changes, e) ||
	    one_int(r, "SELECT count(*) FROM member m WHERE " DOM_MEMBER_CURRENT, NULL, NULL,
	    &d->members, e) ||
	    one_int(r, "SELECT count(*) FROM org WHERE kind = 'branch' AND coalesce(dissolved, 0) = 0",
	    NULL, NULL, &d->branches, e) ||
	    one_int(r, "SELECT count(*) FROM outcome WHERE status = 'conflict' AND resolution IS NULL",
	    NULL, NULL, &d->conflicts_open, e) ||
	    one_int(r, "SELECT count(*) FROM outcome WHERE status = 'conflict'"
	    " AND resolution IS NOT NULL", NULL, NULL, &d->conflicts_settled, e) ||
	    one_int(r, "SELECT count(*) FROM outcome WHERE status = 'rejected'", NULL, NULL,
	    &d->rejected, e) ||
	    one_int(r, DOM_SUBTREE_CTE " SELECT count(*) FROM list_item i WHERE " DOM_OVERDUE_WHERE,
	    NULL, today, &d->overdue_items, e) ||
	    one_int(r, DOM_SUBTREE_CTE " SELECT count(*) FROM (" DOM_TERM_SELECT
	    ") WHERE term_end IS NOT NULL AND term_end <= ?2", NULL, until, &d->terms_expiring, e))
		return -1;
	return behind_count(r, today, &d->branches_behind, e);
}

int
dom_outcomes(struct replica *r, int64_t from, int64_t to, bool problems_only, int limit,
    void (*each)(const struct dom_outcome *o, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT seq, status, reason, conflict_id, resolution, at"
	    " FROM outcome WHERE seq >= ?1 AND (?2 < 0 OR seq <= ?2)"
	    " AND (?3 = 0 OR status IN ('conflict', 'rejected') OR reason IS NOT NULL)"
	    " ORDER BY seq DESC LIMIT ?4", -1, &st, NULL) != SQLITE_OK)
		return db_fail(r, e);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int(st, 3, problems_only);
	sqlite3_bind_int(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_outcome o = {
			.seq = sqlite3_column_int64(st, 0), .status = col_text(st, 1),
			.reason = col_text(st, 2), .conflict_id = col_text(st, 3),
			.resolution = col_text(st, 4), .at_ms = sqlite3_column_int64(st, 5),
		};
		each(&o, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(r, e);
}

int
dom_outbox_span(struct replica *r, int64_t *count, int64_t *lo, int64_t *hi,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT count(*), coalesce(min(seq), 0),"
	    " coalesce(max(seq), 0) FROM outbox", -1, &st, NULL) != SQLITE_OK)
		return db_fail(r, e);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*lo = sqlite3_column_int64(st, 1);
		*hi = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(r, e);
}

/*
 * The roster's filter: a name containing the text, a citizen ID starting
 * with it, or a branch whose name contains it or whose code is it. ?1 text
 * or NULL, ?2 the LIKE pattern, ?3 the organisation or NULL.
 *
 * Two plans, chosen here rather than by luck: without text the page is
 * read in name order from the index ui_member_name (dom_prepare_indexes),
 * only the page's own rows being fetched from the table (the rowid
 * subquery is answered from the index alone, so a deep page costs an index
 * walk, not a table lookup per skipped row); with text the table is
 * scanned once in storage order (NOT INDEXED: walking the name index and
 * looking each row up costs seconds on a cold cache) and the few matches
 * are sorted.
 */
#define ROSTER_TEXT_WHERE						\
	" WHERE (m.name LIKE ?2 ESCAPE '\\'"				\
	"  OR (m.id_number >= ?1 AND m.id_number < ?1 || x'ff')"	\
	"  OR m.org_id IN (SELECT id FROM org WHERE name LIKE ?2 ESCAPE '\\' OR code = ?1))"	\
	" AND (?3 IS NULL OR m.org_id = ?3)"
#define ROSTER_COLS							\
	"SELECT m.id, m.name, m.gender, m.id_number,"			\
	" m.category, m.org_id, o.name, m.join_date, m.phone, m.standing,"	\
	" coalesce(m.lost_contact, 0), coalesce(m.mobile, 0), coalesce(m.retired, 0),"	\
	" coalesce(m.in_service, 0), coalesce(m.relocated, 0)"

static const char roster_count_all[] =
	"SELECT count(*) FROM member m WHERE ?3 IS NULL OR m.org_id = ?3";
static const char roster_page_all[] =
	ROSTER_COLS " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	" WHERE m.rowid IN (SELECT rowid FROM member WHERE ?3 IS NULL OR org_id = ?3"
	"  ORDER BY name, id LIMIT ?4 OFFSET ?5)"
	" ORDER BY m.name, m.id";
static const char roster_count_text[] =
	"SELECT count(*) FROM member m NOT INDEXED" ROSTER_TEXT_WHERE;
static const char roster_page_text[] =
	ROSTER_COLS " FROM member m NOT INDEXED LEFT JOIN org o ON o.id = m.org_id"
	ROSTER_TEXT_WHERE " ORDER BY m.name, m.id LIMIT ?4 OFFSET ?5";

static void
bind_roster(sqlite3_stmt *st, const struct dom_member_query *q, const char *pat)
{
	if (q->text && q->text[0]) {
		sqlite3_bind_text(st, 1, q->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pat, -1, SQLITE_STATIC);
	}
	if (q->org_id && q->org_id[0])
		sqlite3_bind_text(st, 3, q->org_id, -1, SQLITE_STATIC);
}

int
dom_member_page(struct replica *r, const struct dom_member_query *q,
    void (*each)(const struct dom_member_row *m, void *arg), void *arg, int64_t *total,
    struct dom_error *e)
{
	bool text = q->text && q->text[0];
	int64_t nrows = 0;
	char pat[420];
	size_t n = 0;
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (q->text && strlen(q->text) > 100)
		return fail(e, DOM_INVALID, -1, "搜索内容过长 give at most 100 bytes to search for");
	if (q->limit < 1 || q->limit > 200 || q->offset < 0)
		return fail(e, DOM_INVALID, -1, "分页参数无效 limit 1-200, offset 0 or more");
	/* A LIKE pattern matching the text anywhere, its own % and _ taken literally. */
	pat[n++] = '%';
	for (const char *p = q->text ? q->text : ""; *p && n < sizeof pat - 3; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			pat[n++] = '\\';
		pat[n++] = *p;
	}
	pat[n++] = '%';
	pat[n] = '\0';
	if (sqlite3_prepare_v2(replica_db(r), text ? roster_page_text : roster_page_all, -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(r, e);
	bind_roster(st, q, pat);
	sqlite3_bind_int(st, 4, q->limit);
	sqlite3_bind_int(st, 5, q->offset);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_member_row m = {
			.id = col_text(st, 0), .name = col_text(st, 1), .gender = col_text(st, 2),
			.id_number = col_text(st, 3), .category = col_text(st, 4),
			.org_id = col_text(st, 5), .org_name = col_text(st, 6),
			.join_date = col_text(st, 7), .phone = col_text(st, 8),
			.standing = col_text(st, 9),
			.lost_contact = sqlite3_column_int(st, 10) != 0,
			.mobile = sqlite3_column_int(st, 11) != 0,
			.retired = sqlite3_column_int(st, 12) != 0,
			.in_service = sqlite3_column_int(st, 13) != 0,
			.relocated = sqlite3_column_int(st, 14) != 0,
		};
		each(&m, arg);
		nrows++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(r, e);
	/* A first page that is not full holds every match: no second scan to count them. */
	if (q->offset == 0 && nrows < q->limit) {
		*total = nrows;
		return 0;
	}
	if (sqlite3_prepare_v2(replica_db(r), text ? roster_count_text : roster_count_all, -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(r, e);
	bind_roster(st, q, pat);
	rc = sqlite3_step(st);
	*total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : db_fail(r, e);
}

/* The name of organisation id into out ("" if unknown). */
static void
org_name_of(struct replica *r, const Tongxin__Value *id, char out[256])
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (id->kind_case != TONGXIN__VALUE__KIND_S ||
	    sqlite3_prepare_v2(replica_db(r), "SELECT name FROM org WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	value_bind(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW && col_text(st, 0))
		snprintf(out, 256, "%s", col_text(st, 0));
	sqlite3_finalize(st);
}

int
dom_member_get(struct replica *r, const char *id, Tongxin__Value *vals, char org_name[256],
    char report_org_name[256], struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	int rc;

	dom_error_clear(e);
	memset(vals, 0, sizeof *vals * DOM_MAX_COLS);
	if (!id_valid(id))
		return fail(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	rc = rep_get(r, TBL_MEMBER, id, vals, NULL);
	if (rc == 0)
		return fail(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	if (rc < 0)
		return db_fail(r, e);
	org_name_of(r, &vals[schema_col_index(td, "org_id")], org_name);
	org_name_of(r, &vals[schema_col_index(td, "report_org_id")], report_org_name);
	return 0;
}

int
dom_org_list(struct replica *r, void (*each)(const struct dom_org_row *o, void *arg), void *arg,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT o.id, o.parent_id, o.code, o.name, o.kind,"
	    " o.branch_type, o.secretary, o.term_start, o.term_end, coalesce(o.dissolved, 0),"
	    " coalesce(c.n, 0) FROM org o LEFT JOIN (SELECT org_id, count(*) AS n FROM member"
	    " GROUP BY org_id) c ON c.org_id = o.id ORDER BY o.code",
	    -1, &st, NULL) != SQLITE_OK)
		return db_fail(r, e);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_org_row o = {
			.id = col_text(st, 0), .parent_id = col_text(st, 1), .code = col_text(st, 2),
			.name = col_text(st, 3), .kind = col_text(st, 4),
			.branch_type = col_text(st, 5), .secretary = col_text(st, 6),
			.term_start = col_text(st, 7), .term_end = col_text(st, 8),
			.dissolved = sqlite3_column_int(st, 9) != 0,
			.members = sqlite3_column_int64(st, 10),
		};
		each(&o, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(r, e);
}

int
dom_prepare_indexes(struct replica *r, struct dom_error *e)
{
	char *msg = NULL;

	dom_error_clear(e);
	/* The desk keeps its connection for hours: a cache that holds a street's roster. */
	if (sqlite3_exec(replica_db(r), "PRAGMA cache_size = -65536;"
	    "CREATE INDEX IF NOT EXISTS ui_member_name ON member(name, id)",
	    NULL, NULL, &msg) != SQLITE_OK) {
		fail(e, DOM_FAIL, -1, "%s", msg ? msg : "cannot create an index");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}
