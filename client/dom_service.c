/* dom_service.c - 双报到 on the replica; see dom_service.h. */
#include "dom_service.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_handle.h"
#include "text.h"
#include "validate.h"
#include "value.h"

#define RCOL(name) schema_col_index(&schema_tables[TBL_SERVICE_REPORT], name)
#define SCOL(name) schema_col_index(&schema_tables[TBL_SERVICE_RECORD], name)
#define MCOL(name) schema_col_index(&schema_tables[TBL_MEMBER], name)

/* The text of value v, or NULL. */
static const char *
vtext(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : NULL;
}

static void
clear_vals(int t, Tongxin__Value *v)
{
	for (int c = 0; c < schema_tables[t].ncols; c++)
		value_clear(&v[c]);
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

/* A date input: today when not given, else YYYY-MM-DD; out holds it. 0, or -1 with e. */
static int
date_or_today(const char *s, int t, const char *name, char out[11], struct dom_error *e)
{
	if (dom_given(s) == NULL) {
		today_str(out);
		return 0;
	}
	if (strlen(s) != 10 || !validate_date(s))
		return dom_err(e, DOM_INVALID, schema_col_index(&schema_tables[t], name),
		    "日期“%s”无效 (YYYY-MM-DD)", text_show(s));
	snprintf(out, 11, "%s", s);
	return 0;
}

/*
 * Whether org id is a community (社区党委), not dissolved, in this replica:
 * 0, or -1 with e naming column col (of service_report).
 */
static int
community_check(struct replica *r, const char *org, int col, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, res = 0;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT kind, coalesce(dissolved, 0) FROM org"
	    " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		res = dom_err(e, DOM_INVALID, col, "未知组织 unknown organisation");
	else if (rc != SQLITE_ROW)
		res = dom_db_err(r, e);
	else if (dom_col_text(st, 0) == NULL || strcmp(dom_col_text(st, 0), "community") != 0 ||
	    sqlite3_column_int(st, 1) != 0)
		res = dom_err(e, DOM_INVALID, col,
		    "报到组织须为未撤销的社区党委 report to a community (not dissolved)");
	sqlite3_finalize(st);
	return res;
}

/* Check the row's values and insert it (inside the open transaction). */
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

int
dom_service_report_insert(struct replica *r, const char *member_id, const Tongxin__Value *m,
    const struct dom_report_req *q, const char *date, char id_out[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	const char *unit = dom_given(q->unit) ? q->unit : vtext(&m[MCOL("job")]);
	const char *phone = dom_given(q->phone) ? q->phone : vtext(&m[MCOL("phone")]);
	char id[ID_TEXT_LEN + 1];

	memset(v, 0, sizeof v);
	/* Only what the community needs: never the citizen ID, never the profile. */
	value_set_text(&v[RCOL("home_org_id")], vtext(&m[MCOL("org_id")]));
	if (q->community_id != NULL && q->community_id[0] != '\0')
		value_set_text(&v[RCOL("org_id")], q->community_id);
	else
		value_set_text(&v[RCOL("org_code")], q->community_code);
	value_set_text(&v[RCOL("member_id")], member_id);
	value_set_text(&v[RCOL("name")], vtext(&m[MCOL("name")]));
	if (unit)
		value_set_text(&v[RCOL("unit")], unit);
	if (phone)
		value_set_text(&v[RCOL("phone")], phone);
	value_set_text(&v[RCOL("reported_on")], date);
	if (dom_given(q->note))
		value_set_text(&v[RCOL("note")], q->note);
	if (insert_checked(r, TBL_SERVICE_REPORT, v, id, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

int
dom_service_add(struct replica *r, const char *operator_name, const struct dom_report_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	char date[11], org[ID_TEXT_LEN + 1] = "", id[ID_TEXT_LEN + 1];
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->name) == NULL)
		return dom_err(e, DOM_MISSING, RCOL("name"), "缺少必填项 姓名");
	if (dom_bounded(TBL_SERVICE_REPORT, "name", q->name, DOM_SERVICE_NAME_MAX, e) ||
	    dom_bounded(TBL_SERVICE_REPORT, "unit", q->unit, DOM_SERVICE_UNIT_MAX, e) ||
	    dom_bounded(TBL_SERVICE_REPORT, "phone", q->phone, DOM_SERVICE_PHONE_MAX, e) ||
	    dom_bounded(TBL_SERVICE_REPORT, "note", q->note, DOM_SERVICE_NOTE_MAX, e) ||
	    date_or_today(q->date, TBL_SERVICE_REPORT, "reported_on", date, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_given(q->community_id)) {
		snprintf(org, sizeof org, "%s", q->community_id);
	} else {
		/* This device's own organisation. */
		if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM org WHERE code = ?1", -1, &st,
		    NULL) != SQLITE_OK) {
			dom_db_err(r, e);
			goto refused;
		}
		sqlite3_bind_text(st, 1, replica_info(r)->org_code, -1, SQLITE_STATIC);
		if ((rc = sqlite3_step(st)) == SQLITE_ROW)
			snprintf(org, sizeof org, "%s", dom_col_text(st, 0));
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			dom_db_err(r, e);
			goto refused;
		}
		if (org[0] == '\0') {
			dom_err(e, DOM_INVALID, RCOL("org_id"), "本副本中还没有本组织的记录，请先同步"
			    " (this office's organisation is not in the replica yet: sync first)");
			goto refused;
		}
	}
	if (community_check(r, org, RCOL("org_id"), e) != 0)
		goto refused;
	/* From outside the street: the community is both organisations. */
	value_set_text(&v[RCOL("home_org_id")], org);
	value_set_text(&v[RCOL("org_id")], org);
	value_set_text(&v[RCOL("name")], q->name);
	if (dom_given(q->unit))
		value_set_text(&v[RCOL("unit")], q->unit);
	if (dom_given(q->phone))
		value_set_text(&v[RCOL("phone")], q->phone);
	value_set_text(&v[RCOL("reported_on")], date);
	if (dom_given(q->note))
		value_set_text(&v[RCOL("note")], q->note);
	if (insert_checked(r, TBL_SERVICE_REPORT, v, id, e) != 0)
		goto refused;
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
}

int
dom_service_hours(const char *text, int *minutes, struct dom_error *e)
{
	const char *p = text;
	long whole = 0, frac = 0, scale = 1;
	int digits = 0;

	if (text == NULL || text[0] == '\0')
		return dom_err(e, DOM_MISSING, SCOL("minutes"), "缺少必填项 服务时长");
	if (strlen(text) > DOM_SERVICE_HOURS_MAX)
		goto bad;
	while (isdigit((unsigned char)*p) && digits < 3) {
		whole = whole * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		for (int k = 0; isdigit((unsigned char)*p); k++, p++)
			if (k < 4) {
				frac = frac * 10 + (*p - '0');
				scale *= 10;
			}
	}
	if (digits == 0 && scale == 1)
		goto bad;
	if (*p != '\0' && strcmp(p, "小时") != 0 && strcmp(p, "h") != 0)
		goto bad;
	*minutes = (int)(whole * 60 + (frac * 60 + scale / 2) / scale);
	if (*minutes < 1 || *minutes > 24 * 60)
		return dom_err(e, DOM_INVALID, SCOL("minutes"),
		    "服务时长须在 1 分钟到 24 小时之间 hours between 1 minute and 24 (“%s”)",
		    text_show(text));
	return 0;
bad:
	return dom_err(e, DOM_INVALID, SCOL("minutes"),
	    "服务时长“%s”无效：请写小时数，如 2 或 1.5 (hours, e.g. 2 or 1.5)", text_show(text));
}

void
dom_service_hours_show(int64_t minutes, char out[24])
{
	int64_t h = minutes / 60, rest = minutes % 60;
	int64_t hundredths = (rest * 100 + 30) / 60;

	if (hundredths >= 100) {
		h++;
		hundredths -= 100;
	}
	if (hundredths == 0)
		snprintf(out, 24, "%lld", (long long)h);
	else if (hundredths % 10 == 0)
		snprintf(out, 24, "%lld.%lld", (long long)h, (long long)(hundredths / 10));
	else
		snprintf(out, 24, "%lld.%02lld", (long long)h, (long long)hundredths);
}

/* Whether this replica holds organisation id: 1 yes, 0 no, -1 error. */
static int
org_here(struct replica *r, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM org WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The report id's row into cur (inside the transaction). */
static int
load_report(struct replica *r, const char *id, Tongxin__Value *cur, struct dom_error *e)
{
	int rc;

	memset(cur, 0, sizeof *cur * DOM_MAX_COLS);
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有报到登记 (no such report)");
	if ((rc = rep_get(r, TBL_SERVICE_REPORT, id, cur, NULL)) != 1)
		return rc == 0 ? dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有报到登记 (no such report)") :
		    dom_db_err(r, e);
	return 0;
}

int
dom_service_record(struct replica *r, const char *operator_name, const char *report_id,
    const char *date, const char *activity, const char *hours, const char *note,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[DOM_MAX_COLS];
	char day[11], id[ID_TEXT_LEN + 1];
	const char *from, *until;
	sqlite3_stmt *st;
	int minutes = 0, rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(date) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("served_on"), "缺少必填项 服务日期");
	if (dom_given(activity) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("activity"), "缺少必填项 服务内容");
	if (dom_bounded(TBL_SERVICE_RECORD, "activity", activity, DOM_SERVICE_ACTIVITY_MAX, e) ||
	    dom_bounded(TBL_SERVICE_RECORD, "note", note, DOM_SERVICE_NOTE_MAX, e) ||
	    date_or_today(date, TBL_SERVICE_RECORD, "served_on", day, e) ||
	    dom_service_hours(hours, &minutes, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load_report(r, report_id, cur, e) != 0)
		goto refused;
	/* The community records the services: this replica must hold it. */
	if ((rc = org_here(r, vtext(&cur[RCOL("org_id")]))) <= 0) {
		if (rc < 0)
			dom_db_err(r, e);
		else
			dom_err(e, DOM_INVALID, -1, "只有报到社区可以登记服务 only the community the member "
			    "reported to records his services");
		goto refused;
	}
	from = vtext(&cur[RCOL("reported_on")]);
	until = vtext(&cur[RCOL("ended_on")]);
	if (from && strcmp(day, from) < 0) {
		dom_err(e, DOM_INVALID, SCOL("served_on"), "服务日期 %s 早于报到日期 %s "
		    "(before the report)", day, from);
		goto refused;
	}
	if (until && strcmp(day, until) > 0) {
		dom_err(e, DOM_INVALID, SCOL("served_on"), "服务日期 %s 晚于报到结束日期 %s "
		    "(after the report ended)", day, until);
		goto refused;
	}
	/* The same service entered twice is a slip, not two services. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM service_record WHERE report_id = ?1"
	    " AND served_on = ?2 AND activity = ?3", -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		goto refused;
	}
	sqlite3_bind_text(st, 1, report_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, activity, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW) {
		dom_err(e, DOM_INVALID, SCOL("activity"), "%s 的“%s”已经登记过 (already recorded)", day,
		    text_show(activity));
		goto refused;
	}
	if (rc != SQLITE_DONE) {
		dom_db_err(r, e);
		goto refused;
	}
	/* The report's two organisations: the server checks the record carries them. */
	value_copy(&v[SCOL("org_id")], &cur[RCOL("org_id")]);
	value_copy(&v[SCOL("home_org_id")], &cur[RCOL("home_org_id")]);
	value_set_text(&v[SCOL("report_id")], report_id);
	value_set_text(&v[SCOL("served_on")], day);
	value_set_text(&v[SCOL("activity")], activity);
	value_set_int(&v[SCOL("minutes")], minutes);
	if (dom_given(note))
		value_set_text(&v[SCOL("note")], note);
	if (insert_checked(r, TBL_SERVICE_RECORD, v, id, e) != 0)
		goto refused;
	value_clear(&v[SCOL("org_id")]);
	value_clear(&v[SCOL("home_org_id")]);
	clear_vals(TBL_SERVICE_REPORT, cur);
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
refused:
	rep_rollback(r);
	value_clear(&v[SCOL("org_id")]);
	value_clear(&v[SCOL("home_org_id")]);
	clear_vals(TBL_SERVICE_REPORT, cur);
	return -1;
}

int
dom_service_end(struct replica *r, const char *operator_name, const char *report_id,
    const char *date, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v;
	uint32_t col = (uint32_t)RCOL("ended_on");
	char day[11], today[11], why[512], err[512] = "";
	const char *from;

	dom_error_clear(e);
	memset(&v, 0, sizeof v);
	if (date_or_today(date, TBL_SERVICE_REPORT, "ended_on", day, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load_report(r, report_id, cur, e) != 0)
		goto refused;
	if (vtext(&cur[col]) != NULL) {
		dom_err(e, DOM_INVALID, (int)col, "该报到已于 %s 结束 (already ended)", vtext(&cur[col]));
		goto refused;
	}
	from = vtext(&cur[RCOL("reported_on")]);
	if (from && strcmp(day, from) < 0) {
		dom_err(e, DOM_INVALID, (int)col, "结束日期 %s 早于报到日期 %s (before the report)", day,
		    from);
		goto refused;
	}
	value_clear(&cur[col]);
	value_set_text(&cur[col], day);
	today_str(today);
	if (validate_row(TBL_SERVICE_REPORT, cur, today, why, sizeof why) != 0) {
		dom_err(e, DOM_INVALID, (int)col, "%s", why);
		goto refused;
	}
	value_set_text(&v, day);
	if (rep_update(r, TBL_SERVICE_REPORT, report_id, &col, &v, 1, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto refused;
	}
	cur[col].kind_case = TONGXIN__VALUE__KIND__NOT_SET;   /* day is not cur's to free */
	clear_vals(TBL_SERVICE_REPORT, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	if (vtext(&cur[col]) == day)
		cur[col].kind_case = TONGXIN__VALUE__KIND__NOT_SET;
	clear_vals(TBL_SERVICE_REPORT, cur);
	return -1;
}

/*
 * The reports with their organisations and the services counted: ?1 all
 * (0: open ones, or open during the year), ?2 member id or NULL, ?3 year
 * start or NULL, ?4 year end, ?5 report id or NULL, ?6 whether to list
 * the activities.
 */
static const char list_sql[] =
    "SELECT s.id, s.member_id, s.name, s.unit, s.phone, s.reported_on, s.ended_on, s.note,"
    " s.org_id, o.code, o.name, s.home_org_id, h.code, h.name,"
    " o.id IS NOT NULL, h.id IS NOT NULL, s.member_id IS NULL AND s.home_org_id = s.org_id,"
    " (SELECT count(*) FROM service_record x WHERE x.report_id = s.id"
    "   AND (?3 IS NULL OR x.served_on BETWEEN ?3 AND ?4)),"
    " (SELECT coalesce(sum(x.minutes), 0) FROM service_record x WHERE x.report_id = s.id"
    "   AND (?3 IS NULL OR x.served_on BETWEEN ?3 AND ?4)),"
    " CASE WHEN ?6 THEN (SELECT group_concat(d, '；') FROM (SELECT x.served_on || ' ' ||"
    "   x.activity || '（' || printf('%g', round(x.minutes / 60.0, 2)) || '小时）' AS d"
    "   FROM service_record x WHERE x.report_id = s.id"
    "   AND (?3 IS NULL OR x.served_on BETWEEN ?3 AND ?4) ORDER BY x.served_on, x.id)) END"
    " FROM service_report s LEFT JOIN org o ON o.id = s.org_id"
    " LEFT JOIN org h ON h.id = s.home_org_id"
    " WHERE (?5 IS NULL OR s.id = ?5) AND (?2 IS NULL OR s.member_id = ?2)"
    " AND (?5 IS NOT NULL OR ?1 OR (?3 IS NULL AND s.ended_on IS NULL)"
    "  OR (?3 IS NOT NULL AND s.reported_on <= ?4 AND (s.ended_on IS NULL OR s.ended_on >= ?3)))"
    " ORDER BY s.name, s.reported_on, s.id";

static int
list_run(struct replica *r, const struct dom_service_query *q, const char *one,
    void (*each)(const struct dom_service_row *row, void *arg), void *arg, struct dom_error *e)
{
	char from[11], to[11];
	sqlite3_stmt *st;
	int rc, n = 0;

	dom_error_clear(e);
	if (q->year && (strlen(q->year) != 4 || strspn(q->year, "0123456789") != 4))
		return dom_err(e, DOM_INVALID, -1, "年份“%s”无效 (YYYY)", text_show(q->year));
	if (sqlite3_prepare_v2(replica_db(r), list_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_int(st, 1, q->all);
	if (q->member_id)
		sqlite3_bind_text(st, 2, q->member_id, -1, SQLITE_STATIC);
	if (q->year) {
		snprintf(from, sizeof from, "%s-01-01", q->year);
		snprintf(to, sizeof to, "%s-12-31", q->year);
		sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	}
	if (one)
		sqlite3_bind_text(st, 5, one, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, q->activities);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_service_row s = {
			.id = dom_col_text(st, 0), .member_id = dom_col_text(st, 1), .name = dom_col_text(st, 2),
			.unit = dom_col_text(st, 3), .phone = dom_col_text(st, 4),
			.reported_on = dom_col_text(st, 5), .ended_on = dom_col_text(st, 6),
			.note = dom_col_text(st, 7), .org_id = dom_col_text(st, 8), .org_code = dom_col_text(st, 9),
			.org_name = dom_col_text(st, 10), .home_org_id = dom_col_text(st, 11),
			.home_code = dom_col_text(st, 12), .home_name = dom_col_text(st, 13),
			.to_here = sqlite3_column_int(st, 14) != 0,
			.from_here = sqlite3_column_int(st, 15) != 0,
			.outside = sqlite3_column_int(st, 16) != 0,
			.services = sqlite3_column_int64(st, 17),
			.minutes = sqlite3_column_int64(st, 18),
			.activities = dom_col_text(st, 19),
		};
		/* From outside the street: the community holds both ends, yet he is no member of it. */
		if (s.outside)
			s.from_here = false;
		each(&s, arg);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (one && n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有报到登记 (no such report)");
	return 0;
}

int
dom_service_list(struct replica *r, const struct dom_service_query *q,
    void (*each)(const struct dom_service_row *row, void *arg), void *arg,
    struct dom_error *e)
{
	return list_run(r, q, NULL, each, arg, e);
}

int
dom_service_get(struct replica *r, const char *id,
    void (*each)(const struct dom_service_row *row, void *arg), void *arg,
    struct dom_error *e)
{
	struct dom_service_query q = { .all = true };

	if (id == NULL || !id_valid(id)) {
		dom_error_clear(e);
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有报到登记 (no such report)");
	}
	return list_run(r, &q, id, each, arg, e);
}

int
dom_service_records(struct replica *r, const char *report_id,
    void (*each)(const struct dom_service_rec *s, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, served_on, activity, note, minutes"
	    " FROM service_record WHERE report_id = ?1 ORDER BY served_on, id", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, report_id ? report_id : "", -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_service_rec s = {
			.id = dom_col_text(st, 0), .served_on = dom_col_text(st, 1),
			.activity = dom_col_text(st, 2), .note = dom_col_text(st, 3),
			.minutes = sqlite3_column_int64(st, 4),
		};
		each(&s, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
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

int
dom_service_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	char found[ID_TEXT_LEN + 1] = "";
	sqlite3_stmt *st;
	size_t len;
	int rc, n = 0;

	dom_error_clear(e);
	if (handle == NULL || (len = strlen(handle)) == 0 || len > 255)
		return dom_err(e, DOM_INVALID, -1, "请给出报到登记的编号或姓名 (give the report's id or "
		    "the person's name)");
	if (len >= 6 && id_like(handle))
		return dom_row_handle(r, TBL_SERVICE_REPORT, handle, "报到登记", id, e);
	/* A name that exactly one open report has. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM service_report WHERE name = ?1"
	    " AND ended_on IS NULL ORDER BY reported_on, id", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	snprintf(e->msg, sizeof e->msg, "“%s”对应多条报到登记，请给出编号 (ambiguous): ",
	    text_show(handle));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		size_t m = strlen(e->msg);
		if (n++ == 0)
			snprintf(found, sizeof found, "%s", dom_col_text(st, 0));
		if (n <= 5)
			snprintf(e->msg + m, sizeof e->msg - m, "%s%s", n > 1 ? "、" : "",
			    dom_short(dom_col_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有报到登记“%s” (not found)",
		    text_show(handle));
	if (n > 1) {
		size_t m = strlen(e->msg);
		if (n > 5)
			snprintf(e->msg + m, sizeof e->msg - m, "……");
		e->kind = DOM_INVALID;
		e->col = -1;
		return -1;
	}
	snprintf(id, ID_TEXT_LEN + 1, "%s", found);
	return 0;
}

int
dom_service_org_by_code(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (code == NULL || code[0] == '\0')
		return dom_err(e, DOM_MISSING, RCOL("org_id"), "缺少必填项 报到社区");
	if (strlen(code) > 32)
		return dom_err(e, DOM_INVALID, RCOL("org_id"), "组织编码超过 32 字节 the code is too long");
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id FROM org WHERE code = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, RCOL("org_id"), "未知组织 unknown organisation code \"%s\""
		    "（本副本中没有该组织 not in this replica）", text_show(code));
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}
