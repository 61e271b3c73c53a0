/* domain.c - the clerk's operations on the replica; see domain.h. */
#include "domain.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_handle.h"
#include "dom_life.h"
#include "dom_report.h"
#include "dom_service.h"
#include "text.h"
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

int
dom_bounded(int t, const char *col, const char *s, size_t max, struct dom_error *e)
{
	int c = schema_col_index(&schema_tables[t], col);

	if (s != NULL && strlen(s) > max)
		return dom_err(e, DOM_INVALID, c, "%s (%s) 超过 %zu 字节 is longer than %zu bytes",
		    schema_tables[t].cols[c].label, col, max, max);
	return 0;
}

int
dom_err(struct dom_error *e, enum dom_fail kind, int col, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
dom_db_err(struct replica *r, struct dom_error *e)
{
	return dom_err(e, DOM_FAIL, -1, "副本读写失败 the replica could not be used: %s",
	    sqlite3_errmsg(replica_db(r)));
}

int
dom_read_begin(struct replica *r, struct dom_snapshot *s, struct dom_error *e)
{
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st;

	dom_error_clear(e);
	s->began = false;
	s->temp_store = -1;
	if (!sqlite3_get_autocommit(db))
		return 0;
	/* temp_store changes only outside a transaction: first. */
	if (sqlite3_prepare_v2(db, "PRAGMA temp_store", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (sqlite3_step(st) == SQLITE_ROW)
		s->temp_store = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (s->temp_store == 2 && sqlite3_exec(db, "PRAGMA temp_store = FILE", NULL, NULL,
	    NULL) != SQLITE_OK)
		s->temp_store = -1;   /* sorts in memory: slower to no one, only larger */
	else if (s->temp_store != 2)
		s->temp_store = -1;
	/* Deferred: the snapshot is taken by the first read and held to the end. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, s);
		return -1;
	}
	s->began = true;
	return 0;
}

void
dom_read_end(struct replica *r, struct dom_snapshot *s)
{
	if (s->began)
		sqlite3_exec(replica_db(r), "COMMIT", NULL, NULL, NULL);
	s->began = false;
	if (s->temp_store == 2)
		sqlite3_exec(replica_db(r), "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	s->temp_store = -1;
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
			return dom_err(e, DOM_INVALID, -1, "%s (%s) must be a number", c->label, c->name);
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
			return dom_err(e, DOM_MISSING, c, "缺少必填项 %s", td->cols[c].label);
		if (set[c] && validate_value(&td->cols[c], &vals[c], why, sizeof why) != 0)
			return dom_err(e, DOM_INVALID, c, "%s", why);
	}
	if (insert) {
		char today[11];
		today_str(today);
		int col;
		if (validate_row_col(t, vals, today, why, sizeof why, &col) != 0)
			return dom_err(e, DOM_INVALID, col, "%s", why);
	}
	return 0;
}

static int org_kind_of(struct replica *r, const char *id, char kind[33], bool *dissolved);
static const char *kind_label(const char *kind);

/*
 * The community an in-service member reports to (在职党员到社区报到): a
 * community's committee or general branch, not dissolved. 0, or -1 with e
 * naming column col.
 */
static int
report_org_check(struct replica *r, const char *org, int col, struct dom_error *e)
{
	char kind[33];
	bool dissolved = false;
	int rc;

	if (!id_valid(org) || (rc = org_kind_of(r, org, kind, &dissolved)) == 0)
		return dom_err(e, DOM_INVALID, col, "未知组织 unknown organisation");
	if (rc < 0)
		return dom_db_err(r, e);
	/*
	 * A community's 党委 (or its 党总支 when that is the community's top
	 * organisation: kind community too); the server's rule for the report
	 * row (store_rules.c) takes no other kind.
	 */
	if (strcmp(kind, "community") != 0 || dissolved)
		return dom_err(e, DOM_INVALID, col,
		    "报到组织须为未撤销的社区党委或党总支 report to a community (this is a %s%s)",
		    kind_label(kind), dissolved ? ", dissolved" : "");
	return 0;
}

int
dom_member_replica_checks(struct replica *r, const Tongxin__Value *vals, const int *set,
    const char *self, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	int c_id = schema_col_index(td, "id_number"), c_org = schema_col_index(td, "org_id");
	int c_rep = schema_col_index(td, "report_org_id");
	sqlite3_stmt *st;
	int rc = 0;

	if (set[c_id] && vals[c_id].kind_case == TONGXIN__VALUE__KIND_S) {
		if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM member WHERE id_number = ?1"
		    " AND id <> coalesce(?2, '')", -1, &st, NULL) != SQLITE_OK)
			return dom_db_err(r, e);
		sqlite3_bind_text(st, 1, vals[c_id].s, -1, SQLITE_STATIC);
		if (self)
			sqlite3_bind_text(st, 2, self, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			rc = dom_err(e, DOM_INVALID, c_id, "公民身份号码 %s 已登记 (member %s)", vals[c_id].s,
			    dom_col_text(st, 0));
		sqlite3_finalize(st);
		if (rc)
			return rc;
	}
	if (set[c_rep] && vals[c_rep].kind_case == TONGXIN__VALUE__KIND_S &&
	    (rc = report_org_check(r, vals[c_rep].s, c_rep, e)) != 0)
		return rc;
	if (set[c_org] && vals[c_org].kind_case == TONGXIN__VALUE__KIND_S) {
		if (sqlite3_prepare_v2(replica_db(r), "SELECT coalesce(dissolved, 0), kind FROM org"
		    " WHERE id = ?1",
		    -1, &st, NULL) != SQLITE_OK)
			return dom_db_err(r, e);
		value_bind(st, 1, &vals[c_org]);
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			if (sqlite3_column_int(st, 0) != 0)
				rc = dom_err(e, DOM_INVALID, c_org,
				    "所在党支部已撤销 the branch has been dissolved");
			else if (!org_kind_holds_members((const char *)sqlite3_column_text(st, 1)))
				rc = dom_err(e, DOM_INVALID, c_org,
				    "党员须编入党支部或党小组，不能直接编入%s a member belongs to a branch or a "
				    "group", kind_label((const char *)sqlite3_column_text(st, 1)));
			break;
		case SQLITE_DONE:
			rc = dom_err(e, DOM_INVALID, c_org, "未知组织 unknown organisation");
			break;
		default:
			rc = dom_db_err(r, e);
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
		return dom_db_err(r, e);
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
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* --- editing ------------------------------------------------------------- */

/* The tree's rules are common/validate.c's: the server checks the same. */
/* Whether the replica holds a district: the root of a district's server. */
static bool
dom_has_district(struct replica *r)
{
	sqlite3_stmt *st;
	bool yes;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM org WHERE kind = 'district' LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return false;
	yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

bool
dom_org_kind_allowed(const char *parent_kind, const char *kind)
{
	return org_kind_allowed(parent_kind, kind);
}

size_t
dom_org_kinds_under(const char *parent_kind, const char **out, size_t cap)
{
	return org_kinds_under(parent_kind, out, cap);
}

/* The label of an organisation kind, for messages. */
static const char *
kind_label(const char *kind)
{
	return kind ? vocab_show(vocab_get("org_kind"), kind) : "（无）";
}

/* The text of column name in vals, or NULL. */
static const char *
val_text(int t, const Tongxin__Value *vals, const char *name)
{
	int c = schema_col_index(&schema_tables[t], name);
	return c >= 0 && vals[c].kind_case == TONGXIN__VALUE__KIND_S ? vals[c].s : NULL;
}

/*
 * An organisation's kind and dissolved flag by id, inside the caller's
 * transaction. 1 found, 0 not, -1 error.
 */
static int
org_kind_of(struct replica *r, const char *id, char kind[33], bool *dissolved)
{
	sqlite3_stmt *st;
	int rc;

	kind[0] = '\0';
	if (sqlite3_prepare_v2(replica_db(r), "SELECT kind, coalesce(dissolved, 0) FROM org"
	    " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(kind, 33, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		if (dissolved)
			*dissolved = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The tree rules for an organisation row as it would be (row: every column,
 * self its id on edit or NULL): its kind fits its parent's kind, a branch
 * type only on a branch, and on edit every child still fits the new kind.
 * checked_kind / checked_type: whether the kind and branch type are being
 * set (an edit of other items leaves a row as the street sent it alone).
 */
static int
org_tree_checks(struct replica *r, const Tongxin__Value *row, const char *self, bool check_kind,
    bool check_type, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_ORG];
	const char *kind = val_text(TBL_ORG, row, "kind"), *parent = val_text(TBL_ORG, row, "parent_id");
	char pkind[33];
	bool pdissolved = false;
	sqlite3_stmt *st;
	int rc = 0;

	if (check_type && val_text(TBL_ORG, row, "branch_type") && kind &&
	    strcmp(kind, "branch") != 0)
		return dom_err(e, DOM_INVALID, schema_col_index(td, "branch_type"),
		    "只有党支部有支部类型 only a branch has a branch type (this is a %s)",
		    kind_label(kind));
	if (!check_kind)
		return 0;
	if (parent == NULL) {
		if (!dom_org_kind_allowed(NULL, kind))
			return dom_err(e, DOM_MISSING, schema_col_index(td, "parent_id"),
			    "缺少必填项 上级组织");
	} else {
		if ((rc = org_kind_of(r, parent, pkind, &pdissolved)) < 0)
			return dom_db_err(r, e);
		if (rc == 0)
			return dom_err(e, DOM_INVALID, schema_col_index(td, "parent_id"),
			    "未知组织 unknown organisation");
		if (self == NULL && pdissolved)
			return dom_err(e, DOM_INVALID, schema_col_index(td, "parent_id"),
			    "上级组织已撤销 the parent organisation has been dissolved");
		if (!dom_org_kind_allowed(pkind, kind)) {
			const char *ok[8];
			char list[256] = "";
			size_t n = dom_org_kinds_under(pkind, ok, 8), len = 0;
			for (size_t i = 0; i < n && len < sizeof list; i++)
				len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
				    i ? "、" : "", kind_label(ok[i]));
			return dom_err(e, DOM_INVALID, schema_col_index(td, "kind"),
			    "%s之下不能设%s (under a %s: %s)", kind_label(pkind), kind_label(kind),
			    pkind, n ? list : "不能再设下级组织 none");
		}
	}
	if (self == NULL)
		return 0;
	/* The children stay where the rules allow them. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT kind, code FROM org WHERE parent_id = ?1"
	    " ORDER BY code", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, self, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (!dom_org_kind_allowed(kind, dom_col_text(st, 0))) {
			dom_err(e, DOM_INVALID, schema_col_index(td, "kind"),
			    "下级组织 %s 是%s，不能设在%s之下 (a child does not fit the new kind)",
			    dom_col_text(st, 1), kind_label(dom_col_text(st, 0)), kind_label(kind));
			break;
		}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? -1 : rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/*
 * The checks and the update of dom_row_edit inside the caller's open
 * transaction (dom_row_edit's own, or member report's, which adds the
 * service_report to the same transaction). Nothing is written with
 * dry_run. 0, or -1 with e; the caller rolls back on -1.
 */
static int
row_edit_txn(struct replica *r, int t, const char *id, const Tongxin__Value *vals,
    const int *set, bool dry_run, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	Tongxin__Value cur[DOM_MAX_COLS], merged[DOM_MAX_COLS], setv[DOM_MAX_COLS];
	uint32_t cols[DOM_MAX_COLS];
	char today[11], why[512], err[512] = "";
	size_t n = 0;
	int rc = -1, got, bad_col;

	assert(td->ncols <= DOM_MAX_COLS);
	memset(cur, 0, sizeof cur);
	for (int c = 0; c < td->ncols; c++)
		if (set[c]) {
			cols[n] = (uint32_t)c;
			setv[n++] = vals[c];
		}
	if (n == 0)
		return dom_err(e, DOM_INVALID, -1, "没有要修改的项目 nothing to change");
	/* Every check reads the replica as this transaction sees it. */
	if (dom_check_values(t, vals, set, false, e) != 0 ||
	    (t == TBL_MEMBER && dom_member_replica_checks(r, vals, set, id, e) != 0))
		goto out;
	for (int c = 0; c < td->ncols; c++) {
		if (!set[c])
			continue;
		if (td->cols[c].merge == MERGE_IMMUTABLE) {
			dom_err(e, DOM_INVALID, c, "%s (%s) cannot be changed", td->cols[c].label,
			    td->cols[c].name);
			goto out;
		}
		if ((td->cols[c].flags & COLF_REQUIRED) &&
		    vals[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
			dom_err(e, DOM_INVALID, c, "%s (%s) cannot be empty", td->cols[c].label,
			    td->cols[c].name);
			goto out;
		}
	}
	/* The row as it would be: the cross-item rules hold for the whole of it. */
	if ((got = rep_get(r, t, id, cur, NULL)) != 1) {
		if (got == 0)
			dom_err(e, DOM_NOT_FOUND, -1, "no row %s", id);
		else
			dom_db_err(r, e);
		goto out;
	}
	for (int c = 0; c < td->ncols; c++)
		merged[c] = set[c] ? vals[c] : cur[c];
	today_str(today);
	if (validate_row_col(t, merged, today, why, sizeof why, &bad_col) != 0) {
		dom_err(e, DOM_INVALID, bad_col, "%s", why);
		goto out;
	}
	if (t == TBL_ORG && org_tree_checks(r, merged, id, set[schema_col_index(td, "kind")] != 0,
	    set[schema_col_index(td, "kind")] || set[schema_col_index(td, "branch_type")], e) != 0)
		goto out;
	if (!dry_run && rep_update(r, t, id, cols, setv, n, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto out;
	}
	rc = 0;
out:
	for (int c = 0; c < td->ncols; c++)
		value_clear(&cur[c]);
	return rc;
}

int
dom_row_edit(struct replica *r, const char *operator_name, int t, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e)
{
	char err[512] = "";
	bool any = false;

	dom_error_clear(e);
	for (int c = 0; c < schema_tables[t].ncols; c++)
		any = any || set[c];
	if (!any)
		return dom_err(e, DOM_INVALID, -1, "没有要修改的项目 nothing to change");
	if (!id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到 no row %s", id);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (row_edit_txn(r, t, id, vals, set, dry_run, e) != 0 || dry_run) {
		rep_rollback(r);
		return dry_run && e->kind == DOM_OK ? 0 : -1;
	}
	return rep_commit(r, err, sizeof err) != 0 ? dom_err(e, DOM_FAIL, -1, "%s", err) : 0;
}

int
dom_member_edit(struct replica *r, const char *operator_name, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e)
{
	return dom_row_edit(r, operator_name, TBL_MEMBER, id, vals, set, dry_run, e);
}

int
dom_org_edit(struct replica *r, const char *operator_name, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e)
{
	return dom_row_edit(r, operator_name, TBL_ORG, id, vals, set, dry_run, e);
}

const char *
dom_step_name(enum dom_member_step step)
{
	static const char *const names[] = { "lost", "found", "mobile", "return", "report" };
	return (unsigned)step < sizeof names / sizeof names[0] ? names[step] : NULL;
}

/* v = text s, or NULL when s is NULL or empty (borrows s). */
static void
set_text_or_null(Tongxin__Value *v, const char *s)
{
	if (s && s[0])
		value_set_text(v, s);
	else
		value_set_null(v);
}

int
dom_member_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_member_step step, const struct dom_step_args *a, bool dry_run, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, main_col = -1, rc;
	char today[11];

	memset(vals, 0, sizeof vals);
	dom_error_clear(e);
	today_str(today);
	/* A member who left (党员减少) is history: he is not lost nor away. */
	if ((step == DOM_STEP_LOST || step == DOM_STEP_MOBILE) &&
	    dom_member_not_left(r, id, step == DOM_STEP_LOST ? "不能标记失联" : "不能登记外出流动",
	    e) != 0)
		return -1;
#define SET_INT(name, n) do { int c_ = schema_col_index(td, name);	\
	value_set_int(&vals[c_], n); set[c_] = 1; } while (0)
#define SET_TEXT(name, s) do { int c_ = schema_col_index(td, name);	\
	set_text_or_null(&vals[c_], s); set[c_] = 1; } while (0)
	switch (step) {
	case DOM_STEP_LOST:
		SET_INT("lost_contact", 1);
		SET_TEXT("lost_since", a && a->since && a->since[0] ? a->since : today);
		if (a && a->note && a->note[0])
			SET_TEXT("lost_note", a->note);
		main_col = schema_col_index(td, "lost_since");
		break;
	case DOM_STEP_FOUND:
		SET_INT("lost_contact", 0);
		SET_TEXT("lost_since", NULL);
		break;
	case DOM_STEP_MOBILE:
		SET_INT("mobile", 1);
		SET_TEXT("flow_to", a ? a->flow_to : NULL);
		main_col = schema_col_index(td, "flow_to");
		break;
	case DOM_STEP_RETURN:
		SET_INT("mobile", 0);
		SET_TEXT("flow_to", NULL);
		break;
	case DOM_STEP_REPORT: {
		/*
		 * 双报到: the member's flags and the community's limited record in
		 * one transaction (dom_member_report); the community is checked in
		 * it (dom_member_replica_checks).
		 */
		struct dom_report_req q = { .member_id = id };
		main_col = schema_col_index(td, "report_org_id");
		if (a == NULL || ((a->community_id == NULL || a->community_id[0] == '\0') &&
		    (a->community_code == NULL || a->community_code[0] == '\0')))
			return dom_err(e, DOM_MISSING, main_col, "缺少必填项 报到社区");
		q.community_id = a->community_id;
		q.community_code = a->community_code;
		rc = dom_member_report(r, operator_name, &q, dry_run, NULL, e);
		if (rc != 0 && e->col < 0 && e->kind == DOM_INVALID)
			e->col = main_col;
		return rc;
	}
	default:
		return dom_err(e, DOM_INVALID, -1, "未知操作 unknown step");
	}
#undef SET_INT
#undef SET_TEXT
	rc = dom_row_edit(r, operator_name, TBL_MEMBER, id, vals, set, dry_run, e);
	/* A rule of the whole row broken by this step concerns the item the step asks for. */
	if (rc != 0 && e->col < 0 && e->kind == DOM_INVALID)
		e->col = main_col;
	return rc;
}

static int one_int(struct replica *r, const char *sql, const char *a, const char *b,
    int64_t *out, struct dom_error *e);

/*
 * The member's open report, if any (inside the transaction): its id,
 * community and date into the buffers. 1 found, 0 none, -1 error.
 */
static int
open_report_of(struct replica *r, const char *member, char id[ID_TEXT_LEN + 1],
    char org[ID_TEXT_LEN + 1], char from[11])
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, org_id, reported_on FROM service_report"
	    " WHERE member_id = ?1 AND ended_on IS NULL ORDER BY reported_on DESC, id DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, member, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(org, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
		snprintf(from, 11, "%s", dom_col_text(st, 2) ? dom_col_text(st, 2) : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The input checks of a report that need no replica: the date (into date) and the lengths. */
static int
report_input(const struct dom_report_req *q, char date[11], struct dom_error *e)
{
	const struct table_def *rt = &schema_tables[TBL_SERVICE_REPORT];
	char today[11];

	today_str(today);
	if (q->date == NULL || q->date[0] == '\0')
		snprintf(date, 11, "%s", today);
	else if (strlen(q->date) != 10 || !validate_date(q->date) || strcmp(q->date, today) > 0)
		return dom_err(e, DOM_INVALID, -1, "报到日期“%s”无效 (YYYY-MM-DD, not in the future)",
		    text_show(q->date));
	else
		snprintf(date, 11, "%s", q->date);
	if ((q->unit && strlen(q->unit) > DOM_SERVICE_UNIT_MAX) ||
	    (q->phone && strlen(q->phone) > DOM_SERVICE_PHONE_MAX) ||
	    (q->note && strlen(q->note) > DOM_SERVICE_NOTE_MAX))
		return dom_err(e, DOM_INVALID, -1, "%s超过 %d 字节、%s超过 %d 字节或%s超过 %d 字节 too long",
		    rt->cols[schema_col_index(rt, "unit")].label, DOM_SERVICE_UNIT_MAX,
		    rt->cols[schema_col_index(rt, "phone")].label, DOM_SERVICE_PHONE_MAX,
		    rt->cols[schema_col_index(rt, "note")].label, DOM_SERVICE_NOTE_MAX);
	return 0;
}

int
dom_member_report(struct replica *r, const char *operator_name, const struct dom_report_req *q,
    bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	int c_rep = schema_col_index(td, "report_org_id"), c_in = schema_col_index(td, "in_service");
	Tongxin__Value m[DOM_MAX_COLS], vals[DOM_MAX_COLS], endv;
	int set[DOM_MAX_COLS] = { 0 }, got, rc = -1;
	uint32_t c_end = (uint32_t)schema_col_index(&schema_tables[TBL_SERVICE_REPORT], "ended_on");
	char date[11], id[ID_TEXT_LEN + 1], err[512] = "";
	char open_id[ID_TEXT_LEN + 1] = "", open_org[ID_TEXT_LEN + 1] = "", open_from[11] = "";
	int64_t active = 0;
	bool by_code;

	dom_error_clear(e);
	memset(m, 0, sizeof m);
	memset(vals, 0, sizeof vals);
	if (q == NULL || q->member_id == NULL || !id_valid(q->member_id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	by_code = (q->community_id == NULL || q->community_id[0] == '\0') &&
	    q->community_code != NULL && q->community_code[0] != '\0';
	if (!by_code && (q->community_id == NULL || q->community_id[0] == '\0'))
		return dom_err(e, DOM_MISSING, c_rep, "缺少必填项 报到社区");
	/* A code the server will look up: an organisation code's shape, nothing more. */
	if (by_code && (strlen(q->community_code) > 32 || strchr(q->community_code, '/') != NULL ||
	    !validate_utf8(q->community_code) || is_blank_text(q->community_code)))
		return dom_err(e, DOM_INVALID, c_rep, "组织编码“%s”无效 not an organisation code",
		    text_show(q->community_code));
	if (report_input(q, date, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((got = rep_get(r, TBL_MEMBER, q->member_id, m, NULL)) != 1) {
		if (got == 0)
			dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
		else
			dom_db_err(r, e);
		goto out;
	}
	/* Only a member on the books reports (党员减少: no longer). */
	if (one_int(r, "SELECT count(*) FROM member m WHERE m.id = ?1 AND " DOM_MEMBER_ACTIVE,
	    q->member_id, NULL, &active, e) != 0)
		goto out;
	if (!active) {
		dom_err(e, DOM_INVALID, -1, "该党员已减少（死亡、退党、除名或开除），不能报到"
		    " (the member has left)");
		goto out;
	}
	if ((got = open_report_of(r, q->member_id, open_id, open_org, open_from)) < 0) {
		dom_db_err(r, e);
		goto out;
	}
	if (got && !by_code && strcmp(open_org, q->community_id) == 0) {
		dom_err(e, DOM_INVALID, c_rep, "该党员已于 %s 向该社区报到 (already reported there: %s)",
		    open_from, dom_short(open_id));
		goto out;
	}
	/* The member's own flags, with the member's rules (the community's kind among them). */
	value_set_int(&vals[c_in], 1);
	set[c_in] = 1;
	/*
	 * By code, the community's id is the server's to fill in, on the
	 * report: the member's own column then names no community rather than
	 * an earlier one.
	 */
	if (by_code)
		value_set_null(&vals[c_rep]);
	else
		value_set_text(&vals[c_rep], q->community_id);
	set[c_rep] = 1;
	if (row_edit_txn(r, TBL_MEMBER, q->member_id, vals, set, false, e) != 0)
		goto out;
	/* A member reports to one community at a time: the earlier report ends. */
	if (got) {
		if (strcmp(date, open_from) < 0) {
			dom_err(e, DOM_INVALID, -1, "报到日期 %s 早于原报到日期 %s (before the earlier report)",
			    date, open_from);
			goto out;
		}
		value_set_text(&endv, date);
		if (rep_update(r, TBL_SERVICE_REPORT, open_id, &c_end, &endv, 1, err, sizeof err) != 0) {
			dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
			goto out;
		}
	}
	if (dom_service_report_insert(r, q->member_id, m, q, date, id, e) != 0)
		goto out;
	if (dry_run) {
		rc = 0;
		goto out;
	}
	for (int c = 0; c < td->ncols; c++)
		value_clear(&m[c]);
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
out:
	rep_rollback(r);
	for (int c = 0; c < td->ncols; c++)
		value_clear(&m[c]);
	return rc;
}

int
dom_org_add(struct replica *r, const char *operator_name, Tongxin__Value *vals, int *set,
    bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_ORG];
	int c_kind = schema_col_index(td, "kind"), c_code = schema_col_index(td, "code");
	int c_dis = schema_col_index(td, "dissolved");
	char err[512] = "", id[ID_TEXT_LEN + 1];
	sqlite3_stmt *st;
	int taken;

	dom_error_clear(e);
	if (!set[c_dis]) {
		value_set_int(&vals[c_dis], 0);
		set[c_dis] = 1;
	}
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_check_values(TBL_ORG, vals, set, true, e) != 0)
		goto refused;
	if (strcmp(vals[c_kind].s, "district") == 0) {
		dom_err(e, DOM_INVALID, c_kind,
		    "there is one district per server; it is created by tongxind init --district");
		goto refused;
	}
	/* A street server's one street is its root; a district's streets go under it (the tree rule). */
	if (strcmp(vals[c_kind].s, "street") == 0 && !dom_has_district(r)) {
		dom_err(e, DOM_INVALID, c_kind,
		    "there is one street per server; it is created by tongxind init");
		goto refused;
	}
	/* Codes are unique: they name organisations on the command line and in scopes. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM org WHERE code = ?1", -1, &st,
	    NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		goto refused;
	}
	sqlite3_bind_text(st, 1, vals[c_code].s, -1, SQLITE_STATIC);
	taken = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (taken) {
		dom_err(e, DOM_INVALID, c_code, "组织编码 %s 已存在 (organisation code in use)",
		    vals[c_code].s);
		goto refused;
	}
	if (org_tree_checks(r, vals, NULL, true, true, e) != 0)
		goto refused;
	if (dry_run) {
		rep_rollback(r);
		return 0;
	}
	if (rep_insert(r, TBL_ORG, vals, id, err, sizeof err) != 0) {
		rep_rollback(r);
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
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
		return dom_db_err(r, e);
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
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
	if (sqlite3_prepare_v2(replica_db(r), DOM_REPORT_COMPLIANCE_CTE
	    " SELECT count(DISTINCT bid) FROM req WHERE due AND n = 0", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_null(st, 1);
	sqlite3_bind_int(st, 2, atoi(today));
	sqlite3_bind_text(st, 3, start, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, end, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, 3);
	sqlite3_bind_text(st, 6, today, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
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
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, i->org_code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && dom_col_text(st, 0))
		snprintf(d->org_name, sizeof d->org_name, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
	add_months(today, 6, until);
	if (one_int(r, "SELECT count(*) FROM outbox", NULL, NULL, &d->pending_txns, e) ||
	    one_int(r, "SELECT coalesce(sum(nchanges), 0) FROM outbox", NULL, NULL,
	    &d->pending_changes, e) ||
	    one_int(r, "SELECT count(*) FROM member m WHERE " DOM_MEMBER_COUNTED, NULL, NULL,
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
		return dom_db_err(r, e);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int(st, 3, problems_only);
	sqlite3_bind_int(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_outcome o = {
			.seq = sqlite3_column_int64(st, 0), .status = dom_col_text(st, 1),
			.reason = dom_col_text(st, 2), .conflict_id = dom_col_text(st, 3),
			.resolution = dom_col_text(st, 4), .at_ms = sqlite3_column_int64(st, 5),
		};
		each(&o, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_outbox_span(struct replica *r, int64_t *count, int64_t *lo, int64_t *hi,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT count(*), coalesce(min(seq), 0),"
	    " coalesce(max(seq), 0) FROM outbox", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*lo = sqlite3_column_int64(st, 1);
		*hi = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

/*
 * The roster's filter: a name containing the text, a citizen ID starting
 * with it, or a branch whose name contains it or whose code is it. ?1 text
 * or NULL, ?2 the LIKE pattern, ?3 the organisation or NULL, ?4 ?5 the
 * page's limit and offset, ?6 the count's cap.
 *
 * Every plan here is chosen, not left to luck (EXPLAIN QUERY PLAN on
 * 100,000 members; bench/desk.sh measures them). Before, a search was a
 * scan of the whole table and a sort of the matches (58-106 ms a
 * keystroke); a walk of a covering index with LIKE on every name was
 * still O(members) with a function call a row (25-50 ms on a loaded
 * machine). Now each part of the filter is answered by an index, from
 * local, unsynced objects dom_prepare_indexes keeps:
 *  - names: ui_member_gram holds every one- and two-character piece of
 *    every name (lower-cased as LIKE folds ASCII), kept by triggers on
 *    member; the members whose name holds the text's first two characters
 *    are the candidates, LIKE confirms them;
 *  - citizen IDs: a prefix as a range on member_id_number, not LIKE;
 *  - branches: resolved to their ids first, then member_org_id.
 * The count is the union of the three answers, each stopped at the cap
 * (a count at the cap says "at least"). The page: up to ROSTER_SORT_MAX
 * matches (an estimate, itself capped) are sorted by name alone and only
 * the page's rows are read whole; more (a first keystroke such as "1")
 * are found by walking ui_member_roster (name, id, org_id, id_number) in
 * name order, which stops at the page's end because they are dense.
 */
#define ROSTER_INDEX "ui_member_roster"
#define ROSTER_ORGS "(SELECT id FROM org WHERE name LIKE ?2 ESCAPE '\\' OR code = ?1)"
#define ROSTER_GRAMS "(SELECT mrow FROM ui_member_gram WHERE gram = lower(substr(?1, 1, 2)))"
/*
 * A text of one or two characters is found exactly by its piece (LIKE folds
 * ASCII case as lower() does, and nothing else): no member row is read. A
 * longer one is confirmed by LIKE on the candidates' names.
 */
#define ROSTER_NAMES							\
	"SELECT g.mrow FROM ui_member_gram g WHERE g.gram = lower(substr(?1, 1, 2))"	\
	" AND ((length(?1) <= 2 AND ?3 IS NULL) OR EXISTS (SELECT 1 FROM member n"	\
	"  WHERE n.rowid = g.mrow AND n.name LIKE ?2 ESCAPE '\\' AND (?3 IS NULL OR n.org_id = ?3)))"
/* The organisation's condition as a rowid list: member_id_number still answers alone. */
#define ROSTER_IDS							\
	"SELECT rowid FROM member WHERE id_number >= ?1 AND id_number < ?1 || x'ff'"	\
	" AND (?3 IS NULL OR rowid IN (SELECT rowid FROM member WHERE org_id = ?3))"
#define ROSTER_ORG_MEMBERS						\
	"SELECT rowid FROM member WHERE org_id IN " ROSTER_ORGS " AND (?3 IS NULL OR org_id = ?3)"
#define ROSTER_WALK_MATCH						\
	" ((m.rowid IN " ROSTER_GRAMS " AND m.name LIKE ?2 ESCAPE '\\')"	\
	"  OR (m.id_number >= ?1 AND m.id_number < ?1 || x'ff')"	\
	"  OR m.org_id IN " ROSTER_ORGS ")"
#define ROSTER_COLS							\
	"SELECT m.id, m.name, m.gender, m.id_number,"			\
	" m.category, m.org_id, o.name, m.join_date, m.phone, m.standing,"	\
	" coalesce(m.lost_contact, 0), coalesce(m.mobile, 0), coalesce(m.retired, 0),"	\
	" coalesce(m.in_service, 0), coalesce(m.relocated, 0)"
/* A page by walking the roster's index in order (WHERE: more conditions, ending in AND). */
#define ROSTER_WALK(WHERE)						\
	ROSTER_COLS " FROM member m LEFT JOIN org o ON o.id = m.org_id"	\
	" WHERE m.rowid IN (SELECT m.rowid FROM member m INDEXED BY " ROSTER_INDEX	\
	"  WHERE " WHERE " (?3 IS NULL OR m.org_id = ?3)"		\
	"  ORDER BY m.name, m.id LIMIT ?4 OFFSET ?5)"			\
	" ORDER BY m.name, m.id"

/*
 * A search's matches are "many" from this count on: the page walks the
 * index. Below it they are read and sorted (at most this many rows): a walk
 * would cross every name before the matches' (a surname late in the order).
 */
#define ROSTER_MANY ROSTER_COUNT_CAP
/*
 * The count of a search stops here (its total then reads "at least"): a
 * first keystroke ("1", "党") matches every member, and counting them all
 * exactly would cost a read of every member again at every keystroke.
 */
#define ROSTER_COUNT_CAP 1000
_Static_assert(ROSTER_MANY <= ROSTER_COUNT_CAP, "a capped count is always many");

static const char roster_count_all[] =
	"SELECT count(*) FROM member m WHERE ?3 IS NULL OR m.org_id = ?3";
static const char roster_page_all[] = ROSTER_WALK("");
static const char roster_count_text[] =
	"SELECT count(*) FROM (SELECT * FROM (" ROSTER_NAMES " LIMIT ?6)"
	" UNION SELECT * FROM (" ROSTER_IDS " LIMIT ?6)"
	" UNION SELECT * FROM (" ROSTER_ORG_MEMBERS " LIMIT ?6))";
static const char roster_page_many[] = ROSTER_WALK(ROSTER_WALK_MATCH " AND");
/*
 * Many matches: how many the three parts hold at most, each counted only up
 * to ?7. Up to ROSTER_SORT_MAX the page is still read and sorted (top-N,
 * one row each): matches that cluster late in name order (a common
 * surname) would make the walk cross every name before them.
 */
#define ROSTER_SORT_MAX 20000
static const char roster_estimate[] =
	"SELECT (SELECT count(*) FROM (SELECT 1 FROM ui_member_gram"
	"  WHERE gram = lower(substr(?1, 1, 2)) LIMIT ?7))"
	" + (SELECT count(*) FROM (SELECT 1 FROM member"
	"  WHERE id_number >= ?1 AND id_number < ?1 || x'ff' LIMIT ?7))"
	" + (SELECT count(*) FROM (SELECT 1 FROM member WHERE org_id IN " ROSTER_ORGS " LIMIT ?7))";
/* The matches sorted by name alone (top-N), then only the page's rows read whole. */
static const char roster_page_few[] =
	ROSTER_COLS " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	" WHERE m.rowid IN (SELECT s.rowid FROM member s NOT INDEXED WHERE s.rowid IN ("
	ROSTER_NAMES " UNION " ROSTER_IDS " UNION " ROSTER_ORG_MEMBERS ")"
	"  ORDER BY s.name, s.id LIMIT ?4 OFFSET ?5)"
	" ORDER BY m.name, m.id";

/* Prepare one of the roster's statements; the roster's index is made first if missing. */
static int
roster_prepare(struct replica *r, const char *sql, sqlite3_stmt **st, struct dom_error *e)
{
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	/* A replica the desk has not opened yet: no local index (INDEXED BY fails). */
	if (dom_prepare_indexes(r, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	return dom_db_err(r, e);
}

static void
bind_roster(sqlite3_stmt *st, const struct dom_member_query *q, const char *pat)
{
	if (q->text && q->text[0]) {
		sqlite3_bind_text(st, 1, q->text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pat, -1, SQLITE_STATIC);
	}
	if (q->org_id && q->org_id[0])
		sqlite3_bind_text(st, 3, q->org_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, q->limit);
	sqlite3_bind_int(st, 5, q->offset);
	sqlite3_bind_int(st, 6, ROSTER_COUNT_CAP);
	if (sqlite3_bind_parameter_count(st) >= 7)
		sqlite3_bind_int(st, 7, ROSTER_SORT_MAX + 1);
}

/* Run the count statement sql into *out. */
static int
roster_count(struct replica *r, const char *sql, const struct dom_member_query *q,
    const char *pat, int64_t *out, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (roster_prepare(r, sql, &st, e) != 0)
		return -1;
	bind_roster(st, q, pat);
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

int
dom_member_page(struct replica *r, const struct dom_member_query *q,
    void (*each)(const struct dom_member_row *m, void *arg), void *arg, int64_t *total,
    bool *at_least, struct dom_error *e)
{
	bool text = q->text && q->text[0];
	int64_t nrows = 0, count = -1, most;
	char pat[420];
	size_t n = 0;
	sqlite3_stmt *st;
	const char *sql;
	int rc;

	dom_error_clear(e);
	*at_least = false;
	if (q->text && strlen(q->text) > 100)
		return dom_err(e, DOM_INVALID, -1, "搜索内容过长 give at most 100 bytes to search for");
	if (q->limit < 1 || q->limit > 200 || q->offset < 0)
		return dom_err(e, DOM_INVALID, -1, "分页参数无效 limit 1-200, offset 0 or more");
	/* A LIKE pattern matching the text anywhere, its own % and _ taken literally. */
	pat[n++] = '%';
	for (const char *p = q->text ? q->text : ""; *p && n < sizeof pat - 3; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			pat[n++] = '\\';
		pat[n++] = *p;
	}
	pat[n++] = '%';
	pat[n] = '\0';
	/* A search is counted first: how many decides how the page is read. */
	if (text && roster_count(r, roster_count_text, q, pat, &count, e) != 0)
		return -1;
	most = count;
	if (text && count >= ROSTER_MANY &&
	    roster_count(r, roster_estimate, q, pat, &most, e) != 0)
		return -1;
	sql = !text ? roster_page_all : most <= ROSTER_SORT_MAX ? roster_page_few : roster_page_many;
	if (roster_prepare(r, sql, &st, e) != 0)
		return -1;
	bind_roster(st, q, pat);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_member_row m = {
			.id = dom_col_text(st, 0), .name = dom_col_text(st, 1), .gender = dom_col_text(st, 2),
			.id_number = dom_col_text(st, 3), .category = dom_col_text(st, 4),
			.org_id = dom_col_text(st, 5), .org_name = dom_col_text(st, 6),
			.join_date = dom_col_text(st, 7), .phone = dom_col_text(st, 8),
			.standing = dom_col_text(st, 9),
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
		return dom_db_err(r, e);
	if (text) {
		/* Each part of the union stops at the cap: the union may pass it. */
		*at_least = count >= ROSTER_COUNT_CAP;
		*total = *at_least ? ROSTER_COUNT_CAP : count;
		return 0;
	}
	/* A first page that is not full holds every member: no second walk to count them. */
	if (q->offset == 0 && nrows < q->limit) {
		*total = nrows;
		return 0;
	}
	return roster_count(r, roster_count_all, q, pat, total, e);
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
	if (sqlite3_step(st) == SQLITE_ROW && dom_col_text(st, 0))
		snprintf(out, 256, "%s", dom_col_text(st, 0));
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
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	rc = rep_get(r, TBL_MEMBER, id, vals, NULL);
	if (rc == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	if (rc < 0)
		return dom_db_err(r, e);
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
		return dom_db_err(r, e);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_org_row o = {
			.id = dom_col_text(st, 0), .parent_id = dom_col_text(st, 1), .code = dom_col_text(st, 2),
			.name = dom_col_text(st, 3), .kind = dom_col_text(st, 4),
			.branch_type = dom_col_text(st, 5), .secretary = dom_col_text(st, 6),
			.term_start = dom_col_text(st, 7), .term_end = dom_col_text(st, 8),
			.dissolved = sqlite3_column_int(st, 9) != 0,
			.members = sqlite3_column_int64(st, 10),
		};
		each(&o, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/*
 * The desk's local objects (none is in the synced schema or its hash; a
 * replica without them works the same, only slower): ui_member_roster,
 * the roster's covering index; ui_member_gram, every one- and
 * two-character piece of every member's name with the member's rowid,
 * kept by triggers on member (ui_gram_pos numbers the characters of a
 * name). Made, and the pieces filled, once, in one transaction.
 */
static const char desk_objects[] =
	"CREATE INDEX IF NOT EXISTS " ROSTER_INDEX " ON member(name, id, org_id, id_number);"
	"DROP INDEX IF EXISTS ui_member_name;"
	"CREATE TABLE IF NOT EXISTS ui_gram_pos(n INTEGER PRIMARY KEY);"
	"INSERT OR IGNORE INTO ui_gram_pos(n) WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL"
	" SELECT n + 1 FROM k WHERE n < 200) SELECT n FROM k;"
	"CREATE TABLE IF NOT EXISTS ui_member_gram(gram TEXT NOT NULL, mrow INTEGER NOT NULL,"
	" PRIMARY KEY (gram, mrow)) WITHOUT ROWID;"
#define GRAMS_OF(ROW)							\
	"SELECT lower(substr(" ROW ".name, p.n, w.n)) AS g FROM ui_gram_pos p, ui_gram_pos w"	\
	" WHERE w.n <= 2 AND p.n + w.n - 1 <= length(" ROW ".name)"
#define GRAMS_ADD							\
	"INSERT OR IGNORE INTO ui_member_gram(gram, mrow) SELECT DISTINCT g, new.rowid"	\
	" FROM (" GRAMS_OF("new") ");"
#define GRAMS_DROP							\
	"DELETE FROM ui_member_gram WHERE mrow = old.rowid AND gram IN (" GRAMS_OF("old") ");"
	"CREATE TRIGGER IF NOT EXISTS ui_member_gram_ins AFTER INSERT ON member BEGIN "
	GRAMS_ADD " END;"
	"CREATE TRIGGER IF NOT EXISTS ui_member_gram_del AFTER DELETE ON member BEGIN "
	GRAMS_DROP " END;"
	"CREATE TRIGGER IF NOT EXISTS ui_member_gram_upd AFTER UPDATE OF name ON member BEGIN "
	GRAMS_DROP GRAMS_ADD " END;";
/* The pieces of the names already there, when the table is new. */
static const char desk_fill[] =
	"INSERT OR IGNORE INTO ui_member_gram(gram, mrow)"
	" SELECT lower(substr(m.name, p.n, w.n)), m.rowid FROM member m"
	" JOIN ui_gram_pos p ON p.n <= length(m.name)"
	" JOIN ui_gram_pos w ON w.n <= 2 AND p.n + w.n - 1 <= length(m.name)"
	" ORDER BY 1, 2";   /* in key order: appended, not scattered (a third faster) */

int
dom_prepare_indexes(struct replica *r, struct dom_error *e)
{
	sqlite3 *db = replica_db(r);
	char *msg = NULL;
	sqlite3_stmt *st;
	bool fresh;

	dom_error_clear(e);
	/*
	 * The desk keeps its connection for hours: a cache that holds a street's
	 * roster (DOM_BULK_CACHE_KIB, the member import's).
	 */
	if (sqlite3_exec(db, "PRAGMA cache_size = -65536", NULL, NULL, &msg) != SQLITE_OK)
		goto failed;
	if (sqlite3_prepare_v2(db, "SELECT count(*) = 0 FROM sqlite_schema WHERE type = 'trigger'"
	    " AND name = 'ui_member_gram_upd'", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	fresh = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	if (!fresh)
		return 0;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
		goto failed;
	if (sqlite3_exec(db, "DROP TABLE IF EXISTS ui_member_gram", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, desk_objects, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, desk_fill, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto failed;
	}
	return 0;
failed:
	dom_err(e, DOM_FAIL, -1, "本地索引建立失败 cannot make the desk's local index: %s",
	    msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

void
dom_cache_raise(sqlite3 *db, int kib, int *old)
{
	sqlite3_stmt *st;
	char sql[64];

	*old = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA cache_size", -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW)
		*old = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (*old == 0 || *old <= -kib) {
		*old = 0;
		return;   /* unknown, or as large already (the desk's cache) */
	}
	/* A PRAGMA takes no parameter: the number is ours, formatted. */
	snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", -kib);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}

void
dom_cache_restore(sqlite3 *db, int old)
{
	char sql[64];

	if (old == 0)
		return;
	snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", old);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
}
