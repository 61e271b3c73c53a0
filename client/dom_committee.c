/* dom_committee.c - committee seats and 党员中心户 on the replica; see dom_committee.h. */
#include "dom_committee.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_handle.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define CCOL(name) schema_col_index(&schema_tables[TBL_COMMITTEE_MEMBER], name)
#define HCOL(name) schema_col_index(&schema_tables[TBL_CENTER_HOUSEHOLD], name)
#define VCOL(name) schema_col_index(&schema_tables[TBL_COVERED_HOUSEHOLD], name)
#define OCOL(name) schema_col_index(&schema_tables[TBL_ORG], name)

/* Copy at most cap - 1 bytes of s (NULL: "") into out. */
static void
copy(char *out, size_t cap, const char *s)
{
	snprintf(out, cap, "%s", s ? s : "");
}

/* Commit (rep_commit rolls back itself on failure). */
static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/*
 * A date input into out: required (DOM_MISSING) unless or_today, when an
 * absent date is today; else YYYY-MM-DD. 0, or -1 with e naming the column.
 */
static int
date_in(const char *s, bool or_today, int t, const char *name, char out[11], struct dom_error *e)
{
	int c = schema_col_index(&schema_tables[t], name);

	if (dom_given(s) == NULL) {
		if (!or_today)
			return dom_err(e, DOM_MISSING, c, "缺少必填项 %s (%s)",
			    schema_tables[t].cols[c].label, name);
		today_str(out);
		return 0;
	}
	if (strlen(s) != 10 || !validate_date(s))
		return dom_err(e, DOM_INVALID, c, "%s“%s”无效 (YYYY-MM-DD)", schema_tables[t].cols[c].label,
		    text_show(s));
	copy(out, 11, s);
	return 0;
}

static void
clear_vals(int t, Tongxin__Value *v)
{
	for (int c = 0; c < schema_tables[t].ncols; c++)
		value_clear(&v[c]);
}

/*
 * Check the row's values (dom_check_values: each value, the required
 * ones, the row's rules) and insert it, inside the open transaction.
 * vals borrow their text (value_set_text): nothing here is freed.
 */
static int
insert_checked(struct replica *r, int t, Tongxin__Value *vals, char id_out[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	int set[DOM_MAX_COLS];
	char err[512] = "";

	for (int c = 0; c < schema_tables[t].ncols; c++)
		set[c] = vals[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
	if (dom_check_values(t, vals, set, true, e) != 0)
		return -1;
	if (rep_insert(r, t, vals, id_out, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* Set one column of row id of table t to text (NULL: clear it), inside the transaction. */
static int
update_text(struct replica *r, int t, const char *id, int col, const char *text,
    struct dom_error *e)
{
	Tongxin__Value v;
	uint32_t c = (uint32_t)col;
	char err[512] = "";
	int rc;

	memset(&v, 0, sizeof v);
	if (text)
		value_set_text(&v, text);
	else
		value_set_null(&v);
	rc = rep_update(r, t, id, &c, &v, 1, err, sizeof err);   /* v borrows text */
	if (rc != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* The committee_role vocabulary. */
static const struct vocab *
roles(void)
{
	return vocab_get("committee_role");
}

/* The label of role code (the code itself when unknown). */
static const char *
role_label(const char *code)
{
	const char *l = code ? vocab_label(roles(), code) : NULL;
	return l ? l : code ? code : "";
}

/* ",secretary,deputy,...,": the roles in vocabulary order, for ORDER BY instr(). */
static const char *
role_order(void)
{
	static char buf[512];

	if (buf[0] == '\0') {
		size_t n = 0;
		buf[n++] = ',';
		for (size_t i = 0; vocab_vals_committee_role[i]; i++)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "%s,", vocab_vals_committee_role[i]);
	}
	return buf;
}

/* Whether s could be an id or its suffix: hex digits and dashes. */
static bool
id_like(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/*
 * A record of table t (what: its Chinese name) named by handle: an id or
 * suffix (dom_row_handle), else a name that exactly one row of by_name
 * (SQL selecting ids, ?1 the name) has.
 */
static int
handle_of(struct replica *r, int t, const char *what, const char *by_name, const char *handle,
    char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	char found[ID_TEXT_LEN + 1] = "";
	sqlite3_stmt *st;
	size_t len;
	int rc, n = 0;

	dom_error_clear(e);
	if (handle == NULL || (len = strlen(handle)) == 0 || len > 255)
		return dom_err(e, DOM_INVALID, -1, "请给出%s的编号或姓名 (give the id or the name)", what);
	if (len >= 6 && id_like(handle))
		return dom_row_handle(r, t, handle, what, id, e);
	if (sqlite3_prepare_v2(replica_db(r), by_name, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	snprintf(e->msg, sizeof e->msg, "“%s”对应多条%s，请给出编号 (ambiguous): ", text_show(handle),
	    what);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t m = strlen(e->msg);
		if (n++ == 0)
			copy(found, sizeof found, dom_col_text(st, 0));
		if (n <= 5)
			snprintf(e->msg + m, sizeof e->msg - m, "%s%s", n > 1 ? "、" : "",
			    dom_short(dom_col_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有%s“%s” (not found)", what,
		    text_show(handle));
	if (n > 1) {
		size_t m = strlen(e->msg);
		if (n > 5)
			snprintf(e->msg + m, sizeof e->msg - m, "……");
		e->kind = DOM_INVALID;
		e->col = -1;
		return -1;
	}
	copy(id, ID_TEXT_LEN + 1, found);
	return 0;
}

int
dom_committee_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	return handle_of(r, TBL_COMMITTEE_MEMBER, "委员会职务", "SELECT id FROM committee_member"
	    " WHERE name = ?1 AND ended_on IS NULL ORDER BY started_on, id", handle, id, e);
}

int
dom_center_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	return handle_of(r, TBL_CENTER_HOUSEHOLD, "党员中心户", "SELECT c.id FROM center_household c"
	    " JOIN member m ON m.id = c.member_id WHERE m.name = ?1 AND c.ended_on IS NULL"
	    " ORDER BY c.started_on, c.id", handle, id, e);
}

/* --- the organisation ------------------------------------------------------------ */

/* What the seat rules read of an organisation. */
struct org_facts {
	char name[256], kind[32], secretary[DOM_COMMITTEE_NAME_MAX + 1];
	bool dissolved;
	int64_t members, full;
};

/* Organisation id's facts (inside the transaction): DOM_NOT_FOUND when absent. */
static int
org_facts(struct replica *r, const char *id, struct org_facts *f, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(f, 0, sizeof *f);
	if (sqlite3_prepare_v2(replica_db(r), "WITH " DOM_BRANCH_SIZES_CTE
	    " SELECT o.name, o.kind, o.secretary, coalesce(o.dissolved, 0),"
	    "  coalesce(bn.members, 0), coalesce(bn.full, 0)"
	    " FROM org o LEFT JOIN bn ON bn.bid = o.id WHERE o.id = ?1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy(f->name, sizeof f->name, dom_col_text(st, 0));
		copy(f->kind, sizeof f->kind, dom_col_text(st, 1));
		copy(f->secretary, sizeof f->secretary, dom_col_text(st, 2));
		f->dissolved = sqlite3_column_int(st, 3) != 0;
		f->members = sqlite3_column_int64(st, 4);
		f->full = sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, CCOL("org_id"), "本副本中没有该组织 (no such organisation)");
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

int
dom_committee_org_info(struct replica *r, const char *org_id, struct dom_committee_org *o,
    struct dom_error *e)
{
	struct org_facts f;

	dom_error_clear(e);
	memset(o, 0, sizeof *o);
	if (org_facts(r, org_id, &f, e) != 0)
		return -1;
	copy(o->kind, sizeof o->kind, f.kind);
	o->members = f.members;
	o->full = f.full;
	o->small = strcmp(f.kind, "branch") == 0 && f.full < DOM_COMMITTEE_FULL_MIN;
	o->group = strcmp(f.kind, "group") == 0;
	return 0;
}

/* --- seats ------------------------------------------------------------------------ */

/* What the seat rules read of a member. */
struct member_facts {
	char name[DOM_COMMITTEE_NAME_MAX + 1], category[32], org_id[ID_TEXT_LEN + 1];
	char org_kind[32], org_parent[ID_TEXT_LEN + 1], address[256];
	bool active, counted, in_sub;
};

/* Member id's facts, in_sub: in the subtree of org (may be NULL). DOM_NOT_FOUND when absent. */
static int
member_facts(struct replica *r, const char *id, const char *org, struct member_facts *m,
    int col, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof *m);
	if (sqlite3_prepare_v2(replica_db(r), DOM_SUBTREE_CTE
	    " SELECT m.name, m.category, m.org_id, o.kind, o.parent_id, m.address,"
	    "  " DOM_MEMBER_ACTIVE ", " DOM_MEMBER_COUNTED ", m.org_id IN sub"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id WHERE m.id = ?2", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, org ? org : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, id ? id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy(m->name, sizeof m->name, dom_col_text(st, 0));
		copy(m->category, sizeof m->category, dom_col_text(st, 1));
		copy(m->org_id, sizeof m->org_id, dom_col_text(st, 2));
		copy(m->org_kind, sizeof m->org_kind, dom_col_text(st, 3));
		copy(m->org_parent, sizeof m->org_parent, dom_col_text(st, 4));
		copy(m->address, sizeof m->address, dom_col_text(st, 5));
		m->active = sqlite3_column_int(st, 6) != 0;
		m->counted = sqlite3_column_int(st, 7) != 0;
		m->in_sub = sqlite3_column_int(st, 8) != 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, col, "本副本中没有该党员 (no such member)");
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

/* A current seat found by a query. */
struct seat_facts {
	char id[ID_TEXT_LEN + 1], name[DOM_COMMITTEE_NAME_MAX + 1], role[32], started_on[11];
};

/*
 * The first row (id, name, role, started_on) of sql with ?1..?3 bound to
 * a, b, c (NULL binds NULL): 1 found into s, 0 none, -1 with e.
 */
static int
seat_find(struct replica *r, const char *sql, const char *a, const char *b, const char *c,
    struct seat_facts *s, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(s, 0, sizeof *s);
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	if (c)
		sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy(s->id, sizeof s->id, dom_col_text(st, 0));
		copy(s->name, sizeof s->name, dom_col_text(st, 1));
		copy(s->role, sizeof s->role, dom_col_text(st, 2));
		copy(s->started_on, sizeof s->started_on, dom_col_text(st, 3));
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/* The day before day (YYYY-MM-DD) into out. */
static int
day_before(struct replica *r, const char *day, char out[11], struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT date(?1, '-1 day')", -1, &st, NULL) !=
	    SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		copy(out, 11, dom_col_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW && out[0] ? 0 : dom_db_err(r, e);
}

/* The inputs of a seat that need no replica: role code into *role, from into from. */
static int
seat_inputs(const struct dom_seat_req *q, const char **role, char from[11], struct dom_error *e)
{
	char allowed[512];

	if (dom_given(q->org_id) == NULL)
		return dom_err(e, DOM_MISSING, CCOL("org_id"), "缺少必填项 组织 (org)");
	if (dom_given(q->member_id) == NULL && dom_given(q->name) == NULL)
		return dom_err(e, DOM_MISSING, CCOL("name"), "请指定党员或填写兼职委员的姓名"
		    " (give the member, or the name of a part-time member)");
	if (dom_given(q->role) == NULL)
		return dom_err(e, DOM_MISSING, CCOL("role"), "缺少必填项 职务 (role)");
	if (dom_bounded(TBL_COMMITTEE_MEMBER, "name", q->name, DOM_COMMITTEE_NAME_MAX, e) ||
	    dom_bounded(TBL_COMMITTEE_MEMBER, "note", q->note, DOM_COMMITTEE_NOTE_MAX, e))
		return -1;
	if (strlen(q->role) > 64 || (*role = vocab_parse(roles(), q->role)) == NULL) {
		vocab_list(roles(), 1, "、", allowed, sizeof allowed);
		return dom_err(e, DOM_INVALID, CCOL("role"), "职务“%s”无效，可选：%s (unknown role)",
		    text_show(q->role), allowed);
	}
	return date_in(q->from, false, TBL_COMMITTEE_MEMBER, "started_on", from, e);
}

/*
 * Who sits: the member's name (a full member of the organisation's
 * subtree in normal standing) or the part-time member's given name, into
 * name. Inside the transaction.
 */
static int
seat_person(struct replica *r, const struct dom_seat_req *q, const char *role,
    const struct org_facts *o, char name[DOM_COMMITTEE_NAME_MAX + 1], struct dom_error *e)
{
	struct member_facts m;
	int col = CCOL("member_id");

	if (dom_given(q->member_id) == NULL) {
		if (strcmp(role, "part_time") != 0)
			return dom_err(e, DOM_INVALID, col, "只填姓名的只能是兼职委员（来自驻区单位等，"
			    "非本组织党员）；本组织党员请指定党员 (only a part-time member is named "
			    "without a member record: give the member)");
		copy(name, DOM_COMMITTEE_NAME_MAX + 1, q->name);
		return 0;
	}
	if (member_facts(r, q->member_id, q->org_id, &m, col, e) != 0)
		return -1;
	if (!m.active)
		return dom_err(e, DOM_INVALID, col, "%s 已不在党员名册（已减少），不能任职 "
		    "(the member has left)", m.name);
	if (!m.counted)
		return dom_err(e, DOM_INVALID, col, "%s 党籍不正常（如停止党籍），不能任职 "
		    "(not in normal standing)", m.name);
	if (!m.in_sub)
		return dom_err(e, DOM_INVALID, col, "%s 不是%s（含下属组织）的党员，不能在其委员会任职；"
		    "驻区单位等外来人员可任兼职委员 (not a member of this organisation)", m.name, o->name);
	if (strcmp(m.category, "full") != 0)
		return dom_err(e, DOM_INVALID, col, "%s 是预备党员，没有被选举权（党章第七条），不能任职 "
		    "(a probationary member cannot be elected)", m.name);
	copy(name, DOM_COMMITTEE_NAME_MAX + 1, m.name);
	return 0;
}

/* The organisation may have this role now (kind, size, deputies). Inside the transaction. */
static int
seat_allowed(struct replica *r, const struct dom_seat_req *q, const char *role,
    const struct org_facts *o, struct dom_error *e)
{
	struct seat_facts s;
	int col = CCOL("role"), rc;

	if (o->dissolved)
		return dom_err(e, DOM_INVALID, CCOL("org_id"), "%s 已撤销 (dissolved)", o->name);
	if (strcmp(o->kind, "group") == 0)
		return dom_err(e, DOM_INVALID, CCOL("org_id"), "党小组设组长，不设委员会 "
		    "(a Party group has a leader, no committee)");
	if (strcmp(o->kind, "branch") != 0 || o->full >= DOM_COMMITTEE_FULL_MIN)
		return 0;
	if (strcmp(role, "secretary") != 0 && strcmp(role, "deputy") != 0)
		return dom_err(e, DOM_INVALID, col, "%s 只有正式党员 %lld 名，不足 %d 名，不设支部委员会"
		    "（《中国共产党支部工作条例（试行）》第十条），只设书记，必要时设一名副书记，"
		    "不能设%s (a branch under %d full members elects no committee: a secretary "
		    "and at most one deputy)", o->name, (long long)o->full, DOM_COMMITTEE_FULL_MIN,
		    role_label(role), DOM_COMMITTEE_FULL_MIN);
	if (strcmp(role, "deputy") != 0)
		return 0;
	rc = seat_find(r, "SELECT id, name, role, started_on FROM committee_member"
	    " WHERE org_id = ?1 AND role = 'deputy' AND ended_on IS NULL", q->org_id, NULL, NULL,
	    &s, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return dom_err(e, DOM_INVALID, col, "%s 不足 %d 名正式党员，只能设一名副书记，现任副书记"
		    "%s（自 %s）(a small branch has one deputy)", o->name, DOM_COMMITTEE_FULL_MIN,
		    s.name, s.started_on);
	return 0;
}

/*
 * The previous secretary's seat ends the day before from (refused when
 * that is before his own start); done says whom. Inside the transaction.
 */
static int
secretary_handover(struct replica *r, const char *org_id, const char *from,
    struct dom_seat_done *done, struct dom_error *e)
{
	struct seat_facts s;
	char end[11];
	int rc;

	rc = seat_find(r, "SELECT id, name, role, started_on FROM committee_member"
	    " WHERE org_id = ?1 AND role = 'secretary' AND ended_on IS NULL"
	    " ORDER BY started_on DESC, id", org_id, NULL, NULL, &s, e);
	if (rc <= 0)
		return rc;
	if (day_before(r, from, end, e) != 0)
		return -1;
	if (strcmp(end, s.started_on) < 0)
		return dom_err(e, DOM_INVALID, CCOL("started_on"), "新书记的任职日期 %s 须晚于现任书记"
		    "%s的任职日期 %s：一个组织同时只有一名书记 (one secretary at a time: the new "
		    "term starts after the current one's)", from, s.name, s.started_on);
	if (update_text(r, TBL_COMMITTEE_MEMBER, s.id, CCOL("ended_on"), end, e) != 0)
		return -1;
	if (done) {
		copy(done->ended_id, sizeof done->ended_id, s.id);
		copy(done->ended_name, sizeof done->ended_name, s.name);
		copy(done->ended_on, sizeof done->ended_on, end);
	}
	return 0;
}

int
dom_committee_add(struct replica *r, const char *operator_name, const struct dom_seat_req *q,
    bool dry_run, struct dom_seat_done *done, struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	struct org_facts o;
	struct seat_facts s;
	char from[11], name[DOM_COMMITTEE_NAME_MAX + 1], id[ID_TEXT_LEN + 1];
	const char *role = NULL;
	int rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (done)
		memset(done, 0, sizeof *done);
	if (seat_inputs(q, &role, from, e) != 0)
		return -1;
	/* A part-time member may come from a resident unit: only that seat names one. */
	if (dom_given(q->unit_id) && strcmp(role, "part_time") != 0)
		return dom_err(e, DOM_INVALID, CCOL("unit_id"), "只有兼职委员来自驻区单位 only a "
		    "part-time member (兼职委员) names a resident unit");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (org_facts(r, q->org_id, &o, e) != 0 || seat_allowed(r, q, role, &o, e) != 0 ||
	    seat_person(r, q, role, &o, name, e) != 0)
		goto refused;
	/* One current seat per person: a change of role ends the old seat first. */
	rc = seat_find(r, "SELECT id, name, role, started_on FROM committee_member"
	    " WHERE org_id = ?1 AND ended_on IS NULL AND (member_id = ?2"
	    "  OR (?2 IS NULL AND member_id IS NULL AND name = ?3))", q->org_id,
	    dom_given(q->member_id), name, &s, e);
	if (rc < 0)
		goto refused;
	if (rc == 1) {
		dom_err(e, DOM_INVALID, CCOL("role"), "%s 已在%s任%s（自 %s，编号 %s）；改任其他职务请先"
		    "结束该职务 (already holds a current seat here: end it first)", s.name, o.name,
		    role_label(s.role), s.started_on, dom_short(s.id));
		goto refused;
	}
	if (strcmp(role, "secretary") == 0 && secretary_handover(r, q->org_id, from, done, e) != 0)
		goto refused;
	if (dom_given(q->unit_id))
		value_set_text(&v[CCOL("unit_id")], q->unit_id);
	value_set_text(&v[CCOL("org_id")], q->org_id);
	if (dom_given(q->member_id))
		value_set_text(&v[CCOL("member_id")], q->member_id);
	value_set_text(&v[CCOL("name")], name);
	value_set_text(&v[CCOL("role")], role);
	value_set_text(&v[CCOL("started_on")], from);
	if (dom_given(q->note))
		value_set_text(&v[CCOL("note")], q->note);
	if (insert_checked(r, TBL_COMMITTEE_MEMBER, v, id, e) != 0)
		goto refused;
	/* The name the reports and the 组织 page show. */
	if (strcmp(role, "secretary") == 0 &&
	    update_text(r, TBL_ORG, q->org_id, OCOL("secretary"), name, e) != 0)
		goto refused;
	if (dry_run) {
		rep_rollback(r);
		return 0;
	}
	if (commit(r, e) != 0)
		return -1;
	if (done)
		copy(done->id, sizeof done->id, id);
	return 0;
refused:
	rep_rollback(r);
	if (done)
		memset(done, 0, sizeof *done);
	return -1;
}

/*
 * The end date of a row that began on start and may have ended: not
 * ended, day not before start nor after today. what names the record.
 */
static int
end_checks(const char *start, const char *ended, const char *day, int col, const char *what,
    struct dom_error *e)
{
	char today[11];

	today_str(today);
	if (ended)
		return dom_err(e, DOM_INVALID, col, "该%s已于 %s 结束 (already ended)", what, ended);
	if (start && strcmp(day, start) < 0)
		return dom_err(e, DOM_INVALID, col, "结束日期 %s 早于开始日期 %s (before it began)", day,
		    start);
	if (strcmp(day, today) > 0)
		return dom_err(e, DOM_INVALID, col, "结束日期 %s 晚于今天 (in the future)", day);
	return 0;
}

int
dom_committee_end(struct replica *r, const char *operator_name, const char *seat_id,
    const char *date, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	struct org_facts o;
	char day[11];
	const char *role, *name, *org;
	int col = CCOL("ended_on"), rc;

	dom_error_clear(e);
	memset(cur, 0, sizeof cur);
	if (date_in(date, true, TBL_COMMITTEE_MEMBER, "ended_on", day, e) != 0)
		return -1;
	if (seat_id == NULL || !id_valid(seat_id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该委员会职务 (no such seat)");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((rc = rep_get(r, TBL_COMMITTEE_MEMBER, seat_id, cur, NULL)) != 1) {
		if (rc == 0)
			dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该委员会职务 (no such seat)");
		else
			dom_db_err(r, e);
		goto refused;
	}
	role = cur[CCOL("role")].kind_case == TONGXIN__VALUE__KIND_S ? cur[CCOL("role")].s : "";
	name = cur[CCOL("name")].kind_case == TONGXIN__VALUE__KIND_S ? cur[CCOL("name")].s : "";
	org = cur[CCOL("org_id")].kind_case == TONGXIN__VALUE__KIND_S ? cur[CCOL("org_id")].s : "";
	if (end_checks(cur[CCOL("started_on")].kind_case == TONGXIN__VALUE__KIND_S ?
	    cur[CCOL("started_on")].s : NULL, cur[col].kind_case == TONGXIN__VALUE__KIND_S ?
	    cur[col].s : NULL, day, col, "职务", e) != 0)
		goto refused;
	if (update_text(r, TBL_COMMITTEE_MEMBER, seat_id, col, day, e) != 0)
		goto refused;
	/* The organisation's secretary is no longer he. */
	if (strcmp(role, "secretary") == 0) {
		if (org_facts(r, org, &o, e) != 0)
			goto refused;
		if (strcmp(o.secretary, name) == 0 &&
		    update_text(r, TBL_ORG, org, OCOL("secretary"), NULL, e) != 0)
			goto refused;
	}
	clear_vals(TBL_COMMITTEE_MEMBER, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_vals(TBL_COMMITTEE_MEMBER, cur);
	return -1;
}

/* The seats with their organisations: ?1 subtree root or NULL, ?2 member, ?3 all, ?4 order. */
static const char seat_sql[] = DOM_SUBTREE_CTE
    " SELECT c.id, c.org_id, o.code, o.name, o.kind, c.member_id, c.name, c.role, c.started_on,"
    "  c.ended_on, c.note, c.ended_on IS NULL,"
    "  c.member_id IS NOT NULL AND m.id IS NOT NULL AND NOT " DOM_MEMBER_COUNTED ","
    "  c.role = 'secretary' AND c.ended_on IS NULL AND EXISTS (SELECT 1 FROM committee_member x"
    "   WHERE x.org_id = c.org_id AND x.role = 'secretary' AND x.ended_on IS NULL"
    "   AND x.id <> c.id)"
    " FROM committee_member c LEFT JOIN org o ON o.id = c.org_id"
    " LEFT JOIN member m ON m.id = c.member_id"
    " WHERE (?1 IS NULL OR c.org_id IN sub) AND (?2 IS NULL OR c.member_id = ?2)"
    "  AND (?3 OR c.ended_on IS NULL)"
    " ORDER BY o.code, c.ended_on IS NOT NULL, instr(?4, ',' || c.role || ','),"
    "  c.started_on, c.id";

int
dom_committee_list(struct replica *r, const struct dom_seat_query *q,
    void (*each)(const struct dom_seat_row *s, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), seat_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (q->org_id)
		sqlite3_bind_text(st, 1, q->org_id, -1, SQLITE_STATIC);
	if (q->member_id)
		sqlite3_bind_text(st, 2, q->member_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, q->all);
	sqlite3_bind_text(st, 4, role_order(), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_seat_row s = {
			.id = dom_col_text(st, 0), .org_id = dom_col_text(st, 1), .org_code = dom_col_text(st, 2),
			.org_name = dom_col_text(st, 3), .org_kind = dom_col_text(st, 4),
			.member_id = dom_col_text(st, 5), .name = dom_col_text(st, 6), .role = dom_col_text(st, 7),
			.started_on = dom_col_text(st, 8), .ended_on = dom_col_text(st, 9),
			.note = dom_col_text(st, 10), .current = sqlite3_column_int(st, 11) != 0,
			.left = sqlite3_column_int(st, 12) != 0,
			.clash = sqlite3_column_int(st, 13) != 0,
		};
		each(&s, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/* --- 党员中心户 ------------------------------------------------------------------------ */

int
dom_center_add(struct replica *r, const char *operator_name, const struct dom_center_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	struct member_facts m;
	struct seat_facts s;
	char from[11], id[ID_TEXT_LEN + 1];
	const char *branch;
	int col = HCOL("member_id"), rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->member_id) == NULL)
		return dom_err(e, DOM_MISSING, col, "缺少必填项 中心户党员 (member)");
	if (dom_bounded(TBL_CENTER_HOUSEHOLD, "grid", q->grid, DOM_CENTER_GRID_MAX, e) ||
	    dom_bounded(TBL_CENTER_HOUSEHOLD, "address", q->address, DOM_CENTER_ADDRESS_MAX, e) ||
	    dom_bounded(TBL_CENTER_HOUSEHOLD, "note", q->note, DOM_COMMITTEE_NOTE_MAX, e) ||
	    date_in(q->from, false, TBL_CENTER_HOUSEHOLD, "started_on", from, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (member_facts(r, q->member_id, NULL, &m, col, e) != 0)
		goto refused;
	if (!m.active || !m.counted) {
		dom_err(e, DOM_INVALID, col, "%s %s，不能设为党员中心户 (not an active member in normal "
		    "standing)", m.name, !m.active ? "已不在党员名册（已减少）" : "党籍不正常（如停止党籍）");
		goto refused;
	}
	/* The center belongs to the member's branch; a group's member to the group's branch. */
	if (strcmp(m.org_kind, "branch") == 0)
		branch = m.org_id;
	else if (strcmp(m.org_kind, "group") == 0 && m.org_parent[0])
		branch = m.org_parent;
	else {
		dom_err(e, DOM_INVALID, col, "%s 不在党支部或党小组中，党员中心户由党支部的党员设立 "
		    "(the member must be in a branch)", m.name);
		goto refused;
	}
	rc = seat_find(r, "SELECT id, '', '', started_on FROM center_household"
	    " WHERE member_id = ?1 AND ended_on IS NULL", q->member_id, NULL, NULL, &s, e);
	if (rc < 0)
		goto refused;
	if (rc == 1) {
		dom_err(e, DOM_INVALID, col, "%s 已是党员中心户（自 %s，编号 %s）(already a center)",
		    m.name, s.started_on, dom_short(s.id));
		goto refused;
	}
	value_set_text(&v[HCOL("org_id")], branch);
	value_set_text(&v[HCOL("member_id")], q->member_id);
	if (dom_given(q->grid))
		value_set_text(&v[HCOL("grid")], q->grid);
	if (dom_given(q->address) || m.address[0])
		value_set_text(&v[HCOL("address")], dom_given(q->address) ? q->address : m.address);
	value_set_text(&v[HCOL("started_on")], from);
	if (dom_given(q->note))
		value_set_text(&v[HCOL("note")], q->note);
	if (insert_checked(r, TBL_CENTER_HOUSEHOLD, v, id, e) != 0)
		goto refused;
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		copy(id_out, ID_TEXT_LEN + 1, id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
}

/* What cover reads of a center. */
struct center_facts {
	char started_on[11], ended_on[11];
	int64_t households;
};

static int
center_facts(struct replica *r, const char *id, struct center_facts *c, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	memset(c, 0, sizeof *c);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT started_on, ended_on,"
	    " (SELECT count(*) FROM covered_household h WHERE h.center_id = c.id)"
	    " FROM center_household c WHERE c.id = ?1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy(c->started_on, sizeof c->started_on, dom_col_text(st, 0));
		copy(c->ended_on, sizeof c->ended_on, dom_col_text(st, 1));
		c->households = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该党员中心户 (no such center)");
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

int
dom_center_cover(struct replica *r, const char *operator_name, const char *center_id,
    const struct dom_household_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	struct center_facts c;
	struct seat_facts s;
	char id[ID_TEXT_LEN + 1];
	int rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->head_name) == NULL)
		return dom_err(e, DOM_MISSING, VCOL("head_name"), "缺少必填项 户主姓名 (head_name)");
	if (dom_given(q->address) == NULL)
		return dom_err(e, DOM_MISSING, VCOL("address"), "缺少必填项 住址 (address)");
	if (dom_bounded(TBL_COVERED_HOUSEHOLD, "head_name", q->head_name, DOM_COMMITTEE_NAME_MAX, e) ||
	    dom_bounded(TBL_COVERED_HOUSEHOLD, "address", q->address, DOM_CENTER_ADDRESS_MAX, e) ||
	    dom_bounded(TBL_COVERED_HOUSEHOLD, "phone", q->phone, DOM_CENTER_PHONE_MAX, e) ||
	    dom_bounded(TBL_COVERED_HOUSEHOLD, "note", q->note, DOM_COMMITTEE_NOTE_MAX, e))
		return -1;
	if (center_id == NULL || !id_valid(center_id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该党员中心户 (no such center)");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (center_facts(r, center_id, &c, e) != 0)
		goto refused;
	if (c.ended_on[0]) {
		dom_err(e, DOM_INVALID, -1, "该党员中心户已于 %s 撤销，不再联系群众户 (the center was "
		    "closed)", c.ended_on);
		goto refused;
	}
	if (c.households >= DOM_CENTER_MAX_HOUSEHOLDS) {
		dom_err(e, DOM_INVALID, -1, "该党员中心户已联系 %lld 户，达到上限 %d 户（本系统的规则："
		    "通常每户联系 10～15 户，最多 %d 户）(a center covers at most %d households)",
		    (long long)c.households, DOM_CENTER_MAX_HOUSEHOLDS, DOM_CENTER_MAX_HOUSEHOLDS,
		    DOM_CENTER_MAX_HOUSEHOLDS);
		goto refused;
	}
	/* One household, one center that keeps in touch with it. */
	rc = seat_find(r, "SELECT c.id, '', '', c.started_on FROM covered_household h"
	    " JOIN center_household c ON c.id = h.center_id"
	    " WHERE h.head_name = ?1 AND h.address = ?2 AND c.ended_on IS NULL", q->head_name,
	    q->address, NULL, &s, e);
	if (rc < 0)
		goto refused;
	if (rc == 1) {
		dom_err(e, DOM_INVALID, VCOL("head_name"), "%s（%s）已由党员中心户 %s 联系 (already "
		    "covered)", q->head_name, q->address, dom_short(s.id));
		goto refused;
	}
	value_set_text(&v[VCOL("center_id")], center_id);
	value_set_text(&v[VCOL("head_name")], q->head_name);
	value_set_text(&v[VCOL("address")], q->address);
	if (dom_given(q->phone))
		value_set_text(&v[VCOL("phone")], q->phone);
	if (dom_given(q->note))
		value_set_text(&v[VCOL("note")], q->note);
	if (insert_checked(r, TBL_COVERED_HOUSEHOLD, v, id, e) != 0)
		goto refused;
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		copy(id_out, ID_TEXT_LEN + 1, id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
}

int
dom_center_end(struct replica *r, const char *operator_name, const char *center_id,
    const char *date, struct dom_error *e)
{
	struct center_facts c;
	char day[11];
	int col = HCOL("ended_on");

	dom_error_clear(e);
	if (date_in(date, true, TBL_CENTER_HOUSEHOLD, "ended_on", day, e) != 0)
		return -1;
	if (center_id == NULL || !id_valid(center_id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该党员中心户 (no such center)");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (center_facts(r, center_id, &c, e) != 0 ||
	    end_checks(c.started_on, c.ended_on[0] ? c.ended_on : NULL, day, col, "党员中心户",
	    e) != 0 || update_text(r, TBL_CENTER_HOUSEHOLD, center_id, col, day, e) != 0) {
		rep_rollback(r);
		return -1;
	}
	return commit(r, e);
}

/* The centers: ?1 subtree root or NULL, ?2 member or NULL, ?3 all, ?4 one center or NULL. */
static const char center_sql[] = DOM_SUBTREE_CTE
    " SELECT c.id, c.org_id, o.code, o.name, c.member_id, m.name, c.grid, c.address,"
    "  c.started_on, c.ended_on, c.note,"
    "  (SELECT count(*) FROM covered_household h WHERE h.center_id = c.id),"
    "  m.id IS NOT NULL AND NOT " DOM_MEMBER_COUNTED
    " FROM center_household c LEFT JOIN org o ON o.id = c.org_id"
    " LEFT JOIN member m ON m.id = c.member_id"
    " WHERE (?1 IS NULL OR c.org_id IN sub) AND (?2 IS NULL OR c.member_id = ?2)"
    "  AND (?4 IS NOT NULL OR ?3 OR c.ended_on IS NULL) AND (?4 IS NULL OR c.id = ?4)"
    " ORDER BY o.code, m.name, c.started_on, c.id";

static int
center_run(struct replica *r, const struct dom_center_query *q, const char *one,
    void (*each)(const struct dom_center_row *c, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), center_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (q->org_id)
		sqlite3_bind_text(st, 1, q->org_id, -1, SQLITE_STATIC);
	if (q->member_id)
		sqlite3_bind_text(st, 2, q->member_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, q->all);
	if (one)
		sqlite3_bind_text(st, 4, one, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_center_row c = {
			.id = dom_col_text(st, 0), .org_id = dom_col_text(st, 1), .org_code = dom_col_text(st, 2),
			.org_name = dom_col_text(st, 3), .member_id = dom_col_text(st, 4),
			.member_name = dom_col_text(st, 5), .grid = dom_col_text(st, 6),
			.address = dom_col_text(st, 7), .started_on = dom_col_text(st, 8),
			.ended_on = dom_col_text(st, 9), .note = dom_col_text(st, 10),
			.households = sqlite3_column_int64(st, 11),
			.left = sqlite3_column_int(st, 12) != 0,
		};
		each(&c, arg);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (one && n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该党员中心户 (no such center)");
	return 0;
}

int
dom_center_list(struct replica *r, const struct dom_center_query *q,
    void (*each)(const struct dom_center_row *c, void *arg), void *arg, struct dom_error *e)
{
	return center_run(r, q, NULL, each, arg, e);
}

int
dom_center_get(struct replica *r, const char *id,
    void (*each)(const struct dom_center_row *c, void *arg), void *arg, struct dom_error *e)
{
	struct dom_center_query q = { .all = true };

	if (id == NULL || !id_valid(id)) {
		dom_error_clear(e);
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该党员中心户 (no such center)");
	}
	return center_run(r, &q, id, each, arg, e);
}

int
dom_center_households(struct replica *r, const char *center_id,
    void (*each)(const struct dom_household_row *h, void *arg), void *arg,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, head_name, address, phone, note"
	    " FROM covered_household WHERE center_id = ?1 ORDER BY address, head_name, id", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, center_id ? center_id : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_household_row h = {
			.id = dom_col_text(st, 0), .head_name = dom_col_text(st, 1), .address = dom_col_text(st, 2),
			.phone = dom_col_text(st, 3), .note = dom_col_text(st, 4),
		};
		each(&h, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}
