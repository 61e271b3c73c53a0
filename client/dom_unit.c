/* dom_unit.c - resident units and co-building agreements on the replica; see dom_unit.h. */
#include "dom_unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_handle.h"
#include "text.h"
#include "validate.h"
#include "value.h"

#define UCOL(name) schema_col_index(&schema_tables[TBL_RESIDENT_UNIT], name)
#define ACOL(name) schema_col_index(&schema_tables[TBL_AGREEMENT], name)

static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* -1 after rolling back the open local transaction (e already filled). */
static int
refuse(struct replica *r)
{
	rep_rollback(r);
	return -1;
}

/*
 * Parse text for column name of table t into v[col] and mark it set: NULL
 * text leaves it untouched, "" clears it (edit). 0, or -1 with e naming it.
 */
static int
put(int t, const char *name, const char *text, Tongxin__Value *v, int *set, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	int c = schema_col_index(td, name);

	if (text == NULL)
		return 0;
	set[c] = 1;
	if (dom_value_parse(&td->cols[c], text, &v[c], e) != 0) {
		e->col = c;
		return -1;
	}
	return 0;
}

/* The unit's items of q into v and set[]. */
static int
unit_values(const struct dom_unit_req *q, Tongxin__Value *v, int *set, struct dom_error *e)
{
	const int t = TBL_RESIDENT_UNIT;

	return put(t, "name", q->name, v, set, e) || put(t, "kind", q->kind, v, set, e) ||
	    put(t, "credit_code", q->credit_code, v, set, e) ||
	    put(t, "party_org", q->party_org, v, set, e) ||
	    put(t, "party_members", q->party_members, v, set, e) ||
	    put(t, "contact_name", q->contact_name, v, set, e) ||
	    put(t, "contact_phone", q->contact_phone, v, set, e) ||
	    put(t, "address", q->address, v, set, e) ||
	    put(t, "joined_on", q->joined_on, v, set, e) ||
	    put(t, "left_on", q->left_on, v, set, e) || put(t, "note", q->note, v, set, e) ? -1 : 0;
}

/*
 * The community an add names: community_id, else this device's own
 * organisation; it must be a community of this replica, not dissolved.
 * col is the column to name in an error.
 */
static int
community_of(struct replica *r, const char *community_id, int col, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, res = 0;

	if (sqlite3_prepare_v2(replica_db(r), dom_given(community_id) ?
	    "SELECT id, kind, coalesce(dissolved, 0) FROM org WHERE id = ?1" :
	    "SELECT id, kind, coalesce(dissolved, 0) FROM org WHERE code = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, dom_given(community_id) ? community_id : replica_info(r)->org_code,
	    -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		res = dom_err(e, dom_given(community_id) ? DOM_NOT_FOUND : DOM_INVALID, col,
		    dom_given(community_id) ? "未知组织 unknown organisation" :
		    "本副本中还没有本组织的记录，请先同步 this device's organisation is not in the "
		    "replica yet: run tongxin sync");
	else if (rc != SQLITE_ROW)
		res = dom_db_err(r, e);
	else if (dom_col_text(st, 1) == NULL || strcmp(dom_col_text(st, 1), "community") != 0 ||
	    sqlite3_column_int(st, 2) != 0)
		res = dom_err(e, DOM_INVALID, col,
		    "驻区单位和共建协议属于未撤销的社区党委 units and agreements belong to a community "
		    "(not dissolved); give --community CODE");
	else
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
	return res;
}

/* Another live unit of the replica (not self) with this credit code: 0 none, -1 with e. */
static int
credit_code_free(struct replica *r, const char *code, const char *self, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, res = 0;

	if (code == NULL)
		return 0;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT name FROM resident_unit WHERE credit_code = ?1"
	    " AND id IS NOT ?2 LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (self)
		sqlite3_bind_text(st, 2, self, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		res = dom_err(e, DOM_INVALID, UCOL("credit_code"),
		    "统一社会信用代码 %s 已登记为“%s” this credit code is registered to another unit",
		    code, text_show(dom_col_text(st, 0)));
	else if (rc != SQLITE_DONE)
		res = dom_db_err(r, e);
	sqlite3_finalize(st);
	return res;
}

int
dom_unit_add(struct replica *r, const char *operator_name, const struct dom_unit_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], err[512] = "";

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (unit_values(q, v, set, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (community_of(r, q->community_id, UCOL("org_id"), org, e) != 0)
		return refuse(r);
	value_set_text(&v[UCOL("org_id")], org);
	set[UCOL("org_id")] = 1;
	if (dom_check_values(TBL_RESIDENT_UNIT, v, set, true, e) != 0 ||
	    credit_code_free(r, dom_given(q->credit_code), NULL, e) != 0)
		return refuse(r);
	if (rep_insert(r, TBL_RESIDENT_UNIT, v, id, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		return refuse(r);
	}
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* Whether org id is one of this replica's own organisations (its subtree): 1, 0, -1 with e. */
static int
own_org(struct replica *r, const char *org, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	/* The replica holds its own subtree; a unit's community is held when it is ours. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM org WHERE id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dom_db_err(r, e);
	return rc == SQLITE_ROW;
}

int
dom_unit_edit(struct replica *r, const char *operator_name, const char *id,
    const struct dom_unit_req *q, struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS], cur[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc, any = 0;
	uint64_t version;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	if (unit_values(q, v, set, e) != 0)
		return -1;
	for (int c = 0; c < schema_tables[TBL_RESIDENT_UNIT].ncols; c++)
		any |= set[c];
	if (!any)
		return dom_err(e, DOM_INVALID, -1, "没有要修改的项目 nothing to change");
	if ((rc = rep_get(r, TBL_RESIDENT_UNIT, id, cur, &version)) != 1)
		return rc == 0 ? dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该驻区单位 no such unit")
		    : dom_db_err(r, e);
	rc = cur[UCOL("org_id")].kind_case == TONGXIN__VALUE__KIND_S ?
	    own_org(r, cur[UCOL("org_id")].s, e) : 0;
	for (int c = 0; c < schema_tables[TBL_RESIDENT_UNIT].ncols; c++)
		value_clear(&cur[c]);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return dom_err(e, DOM_INVALID, UCOL("org_id"),
		    "该单位属于其他社区，由其所在社区修改 the unit sits in another community, "
		    "which keeps its record");
	if (q->credit_code != NULL && dom_given(q->credit_code) &&
	    credit_code_free(r, q->credit_code, id, e) != 0)
		return -1;
	return dom_row_edit(r, operator_name, TBL_RESIDENT_UNIT, id, v, set, false, e);
}

int
dom_unit_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	size_t len;
	int rc, n = 0;

	dom_error_clear(e);
	if (handle == NULL || (len = strlen(handle)) == 0 || len > 255)
		return dom_err(e, DOM_INVALID, -1, "请给出驻区单位的名称、编号或统一社会信用代码 "
		    "(give the unit's name, id or credit code)");
	/* An id or its suffix first (hex digits and dashes), then a credit code or a name. */
	if (len >= 6 && strspn(handle, "0123456789abcdefABCDEF-") == len) {
		struct dom_error e2;
		if (dom_row_handle(r, TBL_RESIDENT_UNIT, handle, "驻区单位", id, &e2) == 0)
			return 0;
		if (e2.kind != DOM_NOT_FOUND) {
			*e = e2;
			return -1;
		}
	}
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM resident_unit WHERE credit_code = ?1"
	    " OR name = ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	snprintf(e->msg, sizeof e->msg, "“%s”对应多个驻区单位，请给出编号或统一社会信用代码 "
	    "(ambiguous): ", text_show(handle));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t m = strlen(e->msg);
		if (n++ == 0)
			snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
		if (n <= 5)
			snprintf(e->msg + m, sizeof e->msg - m, "%s%s", n > 1 ? "、" : "",
			    dom_short(dom_col_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (n == 1) {
		e->msg[0] = '\0';
		return 0;
	}
	if (n > 1) {
		e->kind = DOM_INVALID;
		e->col = -1;
		return -1;
	}
	return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有驻区单位“%s” no such unit here",
	    text_show(handle));
}

/*
 * The unit list's query; ?1 the unit (NULL: all), ?2 all (also the units
 * that left), ?3 today (the street's date: an agreement past its end is not
 * in force).
 */
static const char unit_sql[] =
	"SELECT u.id, u.name, u.kind, u.credit_code, u.party_org, u.contact_name, u.contact_phone,"
	" u.address, u.joined_on, u.left_on, u.note, coalesce(u.party_members, -1), u.org_id,"
	" o.code, o.name,"
	" (SELECT count(*) FROM agreement a WHERE a.unit_id = u.id AND a.ended_on IS NULL"
	"   AND (a.ends_on IS NULL OR a.ends_on >= ?3)),"
	" (SELECT count(*) FROM committee_member c WHERE c.unit_id = u.id AND c.ended_on IS NULL)"
	" FROM resident_unit u LEFT JOIN org o ON o.id = u.org_id"
	" WHERE (?1 IS NULL OR u.id = ?1) AND (?2 OR u.left_on IS NULL)"
	" ORDER BY u.name, u.id";

static int
unit_rows(struct replica *r, const char *id, bool all,
    void (*each)(const struct dom_unit_row *row, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char today[11];
	int rc, n = 0;

	dom_error_clear(e);
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r), unit_sql, -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all || id != NULL);
	today_str(today);
	sqlite3_bind_text(st, 3, today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_unit_row u = {
			.id = dom_col_text(st, 0), .name = dom_col_text(st, 1), .kind = dom_col_text(st, 2),
			.credit_code = dom_col_text(st, 3), .party_org = dom_col_text(st, 4),
			.contact_name = dom_col_text(st, 5), .contact_phone = dom_col_text(st, 6),
			.address = dom_col_text(st, 7), .joined_on = dom_col_text(st, 8),
			.left_on = dom_col_text(st, 9), .note = dom_col_text(st, 10),
			.party_members = sqlite3_column_int64(st, 11), .org_id = dom_col_text(st, 12),
			.org_code = dom_col_text(st, 13), .org_name = dom_col_text(st, 14),
			.own = dom_col_text(st, 13) != NULL,
			.agreements = sqlite3_column_int64(st, 15),
			.part_timers = sqlite3_column_int64(st, 16),
		};
		n++;
		each(&u, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (id != NULL && n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该驻区单位 no such unit");
	return 0;
}

int
dom_unit_list(struct replica *r, bool all,
    void (*each)(const struct dom_unit_row *row, void *arg), void *arg, struct dom_error *e)
{
	return unit_rows(r, NULL, all, each, arg, e);
}

int
dom_unit_get(struct replica *r, const char *id,
    void (*each)(const struct dom_unit_row *row, void *arg), void *arg, struct dom_error *e)
{
	return unit_rows(r, id, true, each, arg, e);
}

/* --- agreements ------------------------------------------------------------------- */

/* A live agreement in force between org and unit (by id or credit code): 1, 0, -1 with e. */
static int
agreement_in_force(struct replica *r, const char *org, const char *unit, const char *code,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	char today[11];
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM agreement WHERE org_id = ?1"
	    " AND (unit_id = ?2 OR unit_code = ?3) AND ended_on IS NULL"
	    " AND (ends_on IS NULL OR ends_on >= ?4) LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	today_str(today);
	sqlite3_bind_text(st, 4, today, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, unit ? unit : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, code ? code : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dom_db_err(r, e);
	return rc == SQLITE_ROW;
}

int
dom_agreement_add(struct replica *r, const char *operator_name,
    const struct dom_agreement_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const int t = TBL_AGREEMENT;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], unit[ID_TEXT_LEN + 1] = "", id[ID_TEXT_LEN + 1], err[512] = "";
	char today[11];
	const char *code = NULL;
	struct dom_error he;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->unit) == NULL)
		return dom_err(e, DOM_MISSING, ACOL("unit_id"), "缺少必填项 驻区单位 (--unit)");
	/* A unit this replica holds, else a credit code for the server to find. */
	if (dom_unit_handle(r, q->unit, unit, &he) != 0) {
		if (he.kind != DOM_NOT_FOUND) {
			*e = he;
			return -1;
		}
		if (!validate_credit_code(q->unit))
			return dom_err(e, DOM_NOT_FOUND, ACOL("unit_id"), "本副本中没有驻区单位“%s”；"
			    "其他社区的单位请填写其18位统一社会信用代码 no such unit here; name a unit of "
			    "another community by its credit code", text_show(q->unit));
		code = q->unit;
		unit[0] = '\0';
	}
	today_str(today);
	if (put(t, "signed_on", dom_given(q->signed_on) ? q->signed_on : today, v, set, e) ||
	    put(t, "ends_on", dom_given(q->ends_on), v, set, e) ||
	    put(t, "unit_commits", dom_given(q->unit_commits), v, set, e) ||
	    put(t, "community_commits", dom_given(q->community_commits), v, set, e) ||
	    put(t, "note", dom_given(q->note), v, set, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (community_of(r, q->community_id, ACOL("org_id"), org, e) != 0)
		return refuse(r);
	value_set_text(&v[ACOL("org_id")], org);
	set[ACOL("org_id")] = 1;
	if (code) {
		value_set_text(&v[ACOL("unit_code")], code);
		set[ACOL("unit_code")] = 1;
	} else {
		value_set_text(&v[ACOL("unit_id")], unit);
		set[ACOL("unit_id")] = 1;
	}
	if (dom_check_values(t, v, set, true, e) != 0)
		return refuse(r);
	if ((rc = agreement_in_force(r, org, code ? NULL : unit, code, e)) != 0) {
		if (rc > 0)
			dom_err(e, DOM_INVALID, ACOL("unit_id"), "本社区与该单位已有有效的共建协议 "
			    "this community has an agreement in force with the unit");
		return refuse(r);
	}
	if (rep_insert(r, t, v, id, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		return refuse(r);
	}
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* The agreement id's signed_on and ended_on into the buffers; -1 with e when absent. */
static int
agreement_dates(struct replica *r, const char *id, char signed_on[11], char ended_on[11],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT signed_on, ended_on FROM agreement"
	    " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(signed_on, 11, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(ended_on, 11, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该共建协议 no such agreement");
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

int
dom_agreement_end(struct replica *r, const char *operator_name, const char *id,
    const char *date, struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 };
	char signed_on[11], ended_on[11], today[11];

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (agreement_dates(r, id, signed_on, ended_on, e) != 0)
		return -1;
	if (ended_on[0] != '\0')
		return dom_err(e, DOM_INVALID, ACOL("ended_on"), "该共建协议已于 %s 终止 the "
		    "agreement ended on %s", ended_on, ended_on);
	today_str(today);
	if (put(TBL_AGREEMENT, "ended_on", dom_given(date) ? date : today, v, set, e) != 0)
		return -1;
	return dom_row_edit(r, operator_name, TBL_AGREEMENT, id, v, set, false, e);
}

int
dom_agreement_delete(struct replica *r, const char *operator_name, const char *id,
    struct dom_error *e)
{
	char signed_on[11], ended_on[11], err[512] = "";

	dom_error_clear(e);
	if (agreement_dates(r, id, signed_on, ended_on, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (rep_delete(r, TBL_AGREEMENT, id, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		return refuse(r);
	}
	return commit(r, e);
}

int
dom_agreement_list(struct replica *r, const char *unit_id, bool all,
    void (*each)(const struct dom_agreement_row *row, void *arg), void *arg,
    struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char today[11];
	int rc;

	dom_error_clear(e);
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r),
	    "SELECT a.id, a.org_id, o.code, o.name, a.unit_id, u.name, coalesce(a.unit_code,"
	    " u.credit_code), a.signed_on, a.ends_on, a.ended_on, a.unit_commits,"
	    " a.community_commits, a.note, a.ended_on IS NULL AND (a.ends_on IS NULL OR"
	    " a.ends_on >= ?3)"
	    " FROM agreement a LEFT JOIN org o ON o.id = a.org_id"
	    " LEFT JOIN resident_unit u ON u.id = a.unit_id"
	    " WHERE (?1 IS NULL OR a.unit_id = ?1) AND (?2 OR (a.ended_on IS NULL AND"
	    " (a.ends_on IS NULL OR a.ends_on >= ?3)))"
	    " ORDER BY a.signed_on, a.id", -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	if (unit_id)
		sqlite3_bind_text(st, 1, unit_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all);
	today_str(today);
	sqlite3_bind_text(st, 3, today, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_agreement_row a = {
			.id = dom_col_text(st, 0), .org_id = dom_col_text(st, 1), .org_code = dom_col_text(st, 2),
			.org_name = dom_col_text(st, 3), .unit_id = dom_col_text(st, 4),
			.unit_name = dom_col_text(st, 5), .unit_code = dom_col_text(st, 6),
			.signed_on = dom_col_text(st, 7), .ends_on = dom_col_text(st, 8),
			.ended_on = dom_col_text(st, 9), .unit_commits = dom_col_text(st, 10),
			.community_commits = dom_col_text(st, 11), .note = dom_col_text(st, 12),
			.in_force = sqlite3_column_int(st, 13) != 0,
		};
		each(&a, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}
