/* dom_volunteer.c - volunteer teams, activities and hours on the replica; see dom_volunteer.h. */
#include "dom_volunteer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_handle.h"
#include "dom_service.h"
#include "text.h"
#include "validate.h"
#include "value.h"

#define TCOL(name) schema_col_index(&schema_tables[TBL_VOLUNTEER_TEAM], name)
#define ACOL(name) schema_col_index(&schema_tables[TBL_VOLUNTEER_ACTIVITY], name)
#define HCOL(name) schema_col_index(&schema_tables[TBL_VOLUNTEER_HOURS], name)

/* -1 after rolling back the open local transaction (e already filled). */
static int
refuse(struct replica *r)
{
	rep_rollback(r);
	return -1;
}

static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

bool
dom_volunteer_year_ok(const char *year)
{
	return year != NULL && strlen(year) == 4 && strspn(year, "0123456789") == 4;
}

/* The year's first and last day into from/to; "" both for NULL. -1 with e when malformed. */
static int
year_span(const char *year, char from[11], char to[11], struct dom_error *e)
{
	from[0] = to[0] = '\0';
	if (year == NULL)
		return 0;
	if (!dom_volunteer_year_ok(year))
		return dom_err(e, DOM_INVALID, -1, "年份“%s”无效 (YYYY)", text_show(year));
	snprintf(from, 11, "%s-01-01", year);
	snprintf(to, 11, "%s-12-31", year);
	return 0;
}

/* Parse text for column name of table t into v[col] (borrowed) and mark it set. */
static int
put(int t, const char *name, const char *text, Tongxin__Value *v, int *set, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	int c = schema_col_index(td, name);

	if (dom_given(text) == NULL)
		return 0;
	set[c] = 1;
	if (dom_value_parse(&td->cols[c], text, &v[c], e) != 0) {
		e->col = c;
		return -1;
	}
	return 0;
}

/* Check the row's values and insert it inside the open transaction. */
static int
insert_checked(struct replica *r, int t, const Tongxin__Value *v, const int *set,
    char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	char err[512] = "";

	if (dom_check_values(t, v, set, true, e) != 0)
		return -1;
	if (rep_insert(r, t, v, id, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/*
 * The organisation id (or this device's own) as held in this replica and
 * not dissolved, into out. col names the column in an error.
 */
static int
org_of(struct replica *r, const char *org_id, int col, char out[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, res = 0;

	if (sqlite3_prepare_v2(replica_db(r), dom_given(org_id) ?
	    "SELECT id, coalesce(dissolved, 0) FROM org WHERE id = ?1" :
	    "SELECT id, coalesce(dissolved, 0) FROM org WHERE code = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, dom_given(org_id) ? org_id : replica_info(r)->org_code, -1,
	    SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		res = dom_err(e, dom_given(org_id) ? DOM_NOT_FOUND : DOM_INVALID, col,
		    dom_given(org_id) ? "未知组织 unknown organisation" :
		    "本副本中还没有本组织的记录，请先同步 this device's organisation is not in the "
		    "replica yet: run tongxin sync");
	else if (rc != SQLITE_ROW)
		res = dom_db_err(r, e);
	else if (sqlite3_column_int(st, 1) != 0)
		res = dom_err(e, DOM_INVALID, col, "该组织已撤销 the organisation is dissolved");
	else
		snprintf(out, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
	return res;
}

/* One integer answer of a query with text parameters (NULL binds NULL): 1 row, 0 none, -1. */
static int
query_row(struct replica *r, const char *sql, int n, const char *const *p, sqlite3_stmt **out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < n; i++)
		if (p[i])
			sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = st;
		return 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
dom_volunteer_team_add(struct replica *r, const char *operator_name,
    const struct dom_team_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const int t = TBL_VOLUNTEER_TEAM;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	sqlite3_stmt *st;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->name) == NULL)
		return dom_err(e, DOM_MISSING, TCOL("name"), "缺少必填项 服务队名称 (--name)");
	if (put(t, "name", q->name, v, set, e) || put(t, "leader", q->leader, v, set, e) ||
	    put(t, "founded_on", q->founded_on, v, set, e) || put(t, "note", q->note, v, set, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (org_of(r, q->org_id, TCOL("org_id"), org, e) != 0)
		return refuse(r);
	value_set_text(&v[TCOL("org_id")], org);
	set[TCOL("org_id")] = 1;
	rc = query_row(r, "SELECT 1 FROM volunteer_team WHERE org_id = ?1 AND name = ?2"
	    " AND ended_on IS NULL", 2, (const char *[]){ org, q->name }, &st);
	if (rc > 0) {
		sqlite3_finalize(st);
		dom_err(e, DOM_INVALID, TCOL("name"), "本组织已有服务队“%s” this organisation has "
		    "a team of that name", text_show(q->name));
		return refuse(r);
	}
	if (rc < 0) {
		dom_db_err(r, e);
		return refuse(r);
	}
	if (insert_checked(r, t, v, set, id, e) != 0)
		return refuse(r);
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

int
dom_volunteer_team_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	size_t len;
	int rc, n = 0;

	dom_error_clear(e);
	if (handle == NULL || (len = strlen(handle)) == 0 || len > 255)
		return dom_err(e, DOM_INVALID, -1, "请给出服务队的编号或名称 (give the team's id or name)");
	if (len >= 6 && strspn(handle, "0123456789abcdefABCDEF-") == len) {
		struct dom_error e2;
		if (dom_row_handle(r, TBL_VOLUNTEER_TEAM, handle, "服务队", id, &e2) == 0)
			return 0;
		if (e2.kind != DOM_NOT_FOUND) {
			*e = e2;
			return -1;
		}
	}
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM volunteer_team WHERE name = ?1"
	    " ORDER BY ended_on IS NOT NULL, id", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	snprintf(e->msg, sizeof e->msg, "“%s”对应多个服务队，请给出编号 (ambiguous): ",
	    text_show(handle));
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
	return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有服务队“%s” no such team here",
	    text_show(handle));
}

int
dom_volunteer_team_list(struct replica *r, const char *year,
    void (*each)(const struct dom_team_row *row, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char from[11], to[11];
	int rc;

	dom_error_clear(e);
	if (year_span(year, from, to, e) != 0 || dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r),
	    "SELECT t.id, t.name, t.leader, t.founded_on, t.ended_on, o.code, o.name,"
	    " (SELECT count(*) FROM volunteer_activity v WHERE v.team_id = t.id"
	    "   AND (?1 IS NULL OR v.held_on BETWEEN ?1 AND ?2)),"
	    " (SELECT count(*) FROM volunteer_hours h JOIN volunteer_activity v"
	    "   ON v.id = h.activity_id WHERE v.team_id = t.id"
	    "   AND (?1 IS NULL OR v.held_on BETWEEN ?1 AND ?2)),"
	    " (SELECT coalesce(sum(h.minutes), 0) FROM volunteer_hours h JOIN volunteer_activity v"
	    "   ON v.id = h.activity_id WHERE v.team_id = t.id"
	    "   AND (?1 IS NULL OR v.held_on BETWEEN ?1 AND ?2))"
	    " FROM volunteer_team t LEFT JOIN org o ON o.id = t.org_id"
	    " ORDER BY o.code, t.name, t.id", -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	if (year) {
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_team_row t = {
			.id = dom_col_text(st, 0), .name = dom_col_text(st, 1), .leader = dom_col_text(st, 2),
			.founded_on = dom_col_text(st, 3), .ended_on = dom_col_text(st, 4),
			.org_code = dom_col_text(st, 5), .org_name = dom_col_text(st, 6),
			.activities = sqlite3_column_int64(st, 7),
			.people = sqlite3_column_int64(st, 8),
			.minutes = sqlite3_column_int64(st, 9),
		};
		each(&t, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_volunteer_activity_add(struct replica *r, const char *operator_name, const char *team_id,
    const char *date, const char *topic, const char *place, const char *note,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const int t = TBL_VOLUNTEER_ACTIVITY;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1];
	sqlite3_stmt *st;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(date) == NULL)
		return dom_err(e, DOM_MISSING, ACOL("held_on"), "缺少必填项 活动日期 (--date)");
	if (dom_given(topic) == NULL)
		return dom_err(e, DOM_MISSING, ACOL("topic"), "缺少必填项 活动内容 (--topic)");
	if (put(t, "held_on", date, v, set, e) || put(t, "topic", topic, v, set, e) ||
	    put(t, "place", place, v, set, e) || put(t, "note", note, v, set, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	rc = query_row(r, "SELECT founded_on, ended_on FROM volunteer_team WHERE id = ?1", 1,
	    (const char *[]){ team_id }, &st);
	if (rc <= 0) {
		if (rc == 0)
			dom_err(e, DOM_NOT_FOUND, ACOL("team_id"), "本副本中没有该服务队 no such team");
		else
			dom_db_err(r, e);
		return refuse(r);
	}
	if (dom_col_text(st, 0) && strcmp(date, dom_col_text(st, 0)) < 0)
		dom_err(e, DOM_INVALID, ACOL("held_on"), "活动日期 %s 早于服务队成立日期 %s "
		    "(before the team was founded)", date, dom_col_text(st, 0));
	else if (dom_col_text(st, 1) && strcmp(date, dom_col_text(st, 1)) > 0)
		dom_err(e, DOM_INVALID, ACOL("held_on"), "活动日期 %s 晚于服务队撤销日期 %s "
		    "(after the team ended)", date, dom_col_text(st, 1));
	sqlite3_finalize(st);
	if (e->kind != DOM_OK)
		return refuse(r);
	value_set_text(&v[ACOL("team_id")], team_id);
	set[ACOL("team_id")] = 1;
	if (insert_checked(r, t, v, set, id, e) != 0)
		return refuse(r);
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

int
dom_volunteer_activity_list(struct replica *r, const char *year,
    void (*each)(const struct dom_activity_row *row, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char from[11], to[11];
	int rc;

	dom_error_clear(e);
	if (year_span(year, from, to, e) != 0 || dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r),
	    "SELECT v.id, v.team_id, t.name, v.held_on, v.topic, v.place, o.name,"
	    " (SELECT count(*) FROM volunteer_hours h WHERE h.activity_id = v.id),"
	    " (SELECT coalesce(sum(h.minutes), 0) FROM volunteer_hours h WHERE h.activity_id = v.id)"
	    " FROM volunteer_activity v LEFT JOIN volunteer_team t ON t.id = v.team_id"
	    " LEFT JOIN org o ON o.id = t.org_id"
	    " WHERE ?1 IS NULL OR v.held_on BETWEEN ?1 AND ?2"
	    " ORDER BY v.held_on, t.name, v.id", -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	if (year) {
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_activity_row a = {
			.id = dom_col_text(st, 0), .team_id = dom_col_text(st, 1), .team_name = dom_col_text(st, 2),
			.held_on = dom_col_text(st, 3), .topic = dom_col_text(st, 4), .place = dom_col_text(st, 5),
			.org_name = dom_col_text(st, 6), .people = sqlite3_column_int64(st, 7),
			.minutes = sqlite3_column_int64(st, 8),
		};
		each(&a, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/*
 * The participant of q inside the open transaction: the name to store into
 * name (a member's or a report's), and checks of a report against the
 * activity's date. 0, or -1 with e.
 */
static int
participant(struct replica *r, const struct dom_hours_req *q, const char *held_on,
    char name[256], struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (dom_given(q->member_id)) {
		rc = query_row(r, "SELECT name FROM member WHERE id = ?1", 1,
		    (const char *[]){ q->member_id }, &st);
		if (rc <= 0)
			return rc == 0 ? dom_err(e, DOM_NOT_FOUND, HCOL("member_id"),
			    "本副本中没有该党员 no such member") : dom_db_err(r, e);
		snprintf(name, 256, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		sqlite3_finalize(st);
		return 0;
	}
	if (dom_given(q->report_id)) {
		rc = query_row(r, "SELECT s.name, s.reported_on, s.ended_on, o.id IS NOT NULL"
		    " FROM service_report s LEFT JOIN org o ON o.id = s.org_id WHERE s.id = ?1", 1,
		    (const char *[]){ q->report_id }, &st);
		if (rc <= 0)
			return rc == 0 ? dom_err(e, DOM_NOT_FOUND, HCOL("report_id"),
			    "本副本中没有报到登记 no such report") : dom_db_err(r, e);
		snprintf(name, 256, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		if (sqlite3_column_int(st, 3) == 0)
			dom_err(e, DOM_INVALID, HCOL("report_id"), "该党员没有向本社区报到 the member "
			    "reported to another community");
		else if (dom_col_text(st, 1) && strcmp(held_on, dom_col_text(st, 1)) < 0)
			dom_err(e, DOM_INVALID, HCOL("report_id"), "活动日期 %s 早于报到日期 %s "
			    "(before the member reported)", held_on, dom_col_text(st, 1));
		else if (dom_col_text(st, 2) && strcmp(held_on, dom_col_text(st, 2)) > 0)
			dom_err(e, DOM_INVALID, HCOL("report_id"), "活动日期 %s 晚于报到结束日期 %s "
			    "(after the report ended)", held_on, dom_col_text(st, 2));
		sqlite3_finalize(st);
		return e->kind == DOM_OK ? 0 : -1;
	}
	snprintf(name, 256, "%s", q->name);
	return 0;
}

int
dom_volunteer_hours_add(struct replica *r, const char *operator_name,
    const struct dom_hours_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const int t = TBL_VOLUNTEER_HOURS;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, minutes = 0, rc;
	int who = (dom_given(q->member_id) != NULL) + (dom_given(q->report_id) != NULL) +
	    (dom_given(q->name) != NULL);
	char id[ID_TEXT_LEN + 1], held_on[11], name[256], topic[501];
	sqlite3_stmt *st;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (who != 1)
		return dom_err(e, who ? DOM_INVALID : DOM_MISSING, HCOL("name"),
		    "请给出一位参加者：--member 党员、--report 报到党员或 --name 居民姓名，只能一项 "
		    "(one participant: --member, --report or --name)");
	if (dom_service_hours(q->hours, &minutes, e) != 0) {
		e->col = HCOL("minutes");
		return -1;
	}
	if (put(t, "note", q->note, v, set, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	rc = query_row(r, "SELECT held_on, topic FROM volunteer_activity WHERE id = ?1", 1,
	    (const char *[]){ q->activity_id }, &st);
	if (rc <= 0) {
		if (rc == 0)
			dom_err(e, DOM_NOT_FOUND, HCOL("activity_id"), "本副本中没有该志愿活动 "
			    "no such activity");
		else
			dom_db_err(r, e);
		return refuse(r);
	}
	snprintf(held_on, sizeof held_on, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
	snprintf(topic, sizeof topic, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
	sqlite3_finalize(st);
	if (participant(r, q, held_on, name, e) != 0)
		return refuse(r);
	/* One entry per person and activity: a second is a slip, not more hours. */
	rc = query_row(r, "SELECT 1 FROM volunteer_hours WHERE activity_id = ?1 AND"
	    " (member_id = ?2 OR report_id = ?3 OR (?2 IS NULL AND ?3 IS NULL AND member_id IS NULL"
	    " AND report_id IS NULL AND name = ?4))", 4,
	    (const char *[]){ q->activity_id, dom_given(q->member_id), dom_given(q->report_id),
	    name }, &st);
	if (rc != 0) {
		if (rc > 0) {
			sqlite3_finalize(st);
			dom_err(e, DOM_INVALID, HCOL("name"), "“%s”在该活动的服务时长已经登记过 "
			    "(already entered for this activity)", text_show(name));
		} else {
			dom_db_err(r, e);
		}
		return refuse(r);
	}
	value_set_text(&v[HCOL("activity_id")], q->activity_id);
	set[HCOL("activity_id")] = 1;
	if (dom_given(q->member_id)) {
		value_set_text(&v[HCOL("member_id")], q->member_id);
		set[HCOL("member_id")] = 1;
	}
	if (dom_given(q->report_id)) {
		value_set_text(&v[HCOL("report_id")], q->report_id);
		set[HCOL("report_id")] = 1;
	}
	if (dom_value_parse(&schema_tables[t].cols[HCOL("name")], name, &v[HCOL("name")], e) != 0) {
		e->col = HCOL("name");
		return refuse(r);
	}
	set[HCOL("name")] = 1;
	value_set_int(&v[HCOL("minutes")], minutes);
	set[HCOL("minutes")] = 1;
	/* The activity's date and topic go with the hours (to an in-service member's office too). */
	if (held_on[0] != '\0') {
		value_set_text(&v[HCOL("held_on")], held_on);
		set[HCOL("held_on")] = 1;
	}
	if (topic[0] != '\0') {
		value_set_text(&v[HCOL("topic")], topic);
		set[HCOL("topic")] = 1;
	}
	if (insert_checked(r, t, v, set, id, e) != 0)
		return refuse(r);
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

int
dom_volunteer_people(struct replica *r, const char *year,
    void (*each)(const struct dom_volunteer_person *p, void *arg), void *arg,
    struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char from[11], to[11];
	int rc;

	dom_error_clear(e);
	if (year == NULL)
		return dom_err(e, DOM_MISSING, -1, "缺少必填项 年份 (--year)");
	if (year_span(year, from, to, e) != 0 || dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r),
	    "SELECT p.kind, p.name, o.name, p.n, p.m FROM (SELECT"
	    "  CASE WHEN h.member_id IS NOT NULL THEN 'member'"
	    "   WHEN h.report_id IS NOT NULL THEN 'in_service' ELSE 'resident' END AS kind,"
	    "  coalesce(h.member_id, h.report_id, h.name) AS who, max(h.name) AS name,"
	    "  max(h.member_id) AS member_id, count(DISTINCT h.activity_id) AS n,"
	    "  sum(h.minutes) AS m"
	    "  FROM volunteer_hours h JOIN volunteer_activity v ON v.id = h.activity_id"
	    "  WHERE v.held_on BETWEEN ?1 AND ?2 GROUP BY 1, 2) p"
	    " LEFT JOIN member mb ON mb.id = p.member_id LEFT JOIN org o ON o.id = mb.org_id"
	    " ORDER BY p.name, p.kind, p.who", -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_volunteer_person p = {
			.kind = dom_col_text(st, 0), .name = dom_col_text(st, 1), .org_name = dom_col_text(st, 2),
			.activities = sqlite3_column_int64(st, 3),
			.minutes = sqlite3_column_int64(st, 4),
		};
		each(&p, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_volunteer_back(struct replica *r, const char *year,
    void (*each)(const struct dom_volunteer_back_row *b, void *arg), void *arg,
    struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char from[11], to[11];
	int rc;

	dom_error_clear(e);
	if (year_span(year, from, to, e) != 0 || dom_read_begin(r, &snap, e) != 0)
		return -1;
	/* The reports of members of this replica's organisations (not people from outside). */
	if (sqlite3_prepare_v2(replica_db(r),
	    "SELECT s.id, s.name, s.unit, coalesce(o.name, s.org_code), hm.name,"
	    " coalesce(v.held_on, h.held_on), coalesce(v.topic, h.topic), h.minutes"
	    " FROM volunteer_hours h JOIN service_report s ON s.id = h.report_id"
	    " JOIN org hm ON hm.id = s.home_org_id"
	    " LEFT JOIN org o ON o.id = s.org_id"
	    " LEFT JOIN volunteer_activity v ON v.id = h.activity_id"
	    " WHERE s.member_id IS NOT NULL"
	    " AND (?1 IS NULL OR coalesce(v.held_on, h.held_on) IS NULL OR"
	    "  coalesce(v.held_on, h.held_on) BETWEEN ?1 AND ?2)"
	    " ORDER BY s.name, s.id, coalesce(v.held_on, h.held_on) IS NULL,"
	    " coalesce(v.held_on, h.held_on), h.id", -1, &st, NULL) !=
	    SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	if (year) {
		sqlite3_bind_text(st, 1, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_volunteer_back_row b = {
			.report_id = dom_col_text(st, 0), .name = dom_col_text(st, 1), .unit = dom_col_text(st, 2),
			.community = dom_col_text(st, 3), .home_name = dom_col_text(st, 4),
			.held_on = dom_col_text(st, 5), .topic = dom_col_text(st, 6),
			.minutes = sqlite3_column_int64(st, 7),
		};
		each(&b, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_volunteer_hours_of(struct replica *r, const char *activity_id,
    void (*each)(const struct dom_hours_row *h, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r),
	    "SELECT id, CASE WHEN member_id IS NOT NULL THEN 'member'"
	    " WHEN report_id IS NOT NULL THEN 'in_service' ELSE 'resident' END,"
	    " name, note, member_id, report_id, minutes"
	    " FROM volunteer_hours WHERE activity_id = ?1 ORDER BY name, id", -1, &st,
	    NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		dom_read_end(r, &snap);
		return -1;
	}
	sqlite3_bind_text(st, 1, activity_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_hours_row h = {
			.id = dom_col_text(st, 0), .kind = dom_col_text(st, 1), .name = dom_col_text(st, 2),
			.note = dom_col_text(st, 3), .member_id = dom_col_text(st, 4),
			.report_id = dom_col_text(st, 5), .minutes = sqlite3_column_int64(st, 6),
		};
		each(&h, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}
