/*
 * web_api_service.c - the desk's API for 在职党员到社区报到 (双报到): the
 * limited records of in-service members who report to a community, the
 * services they do, and the report back to their units: the same domain
 * operations as tongxin service (dom_service.h); no SQL here.
 *
 *   GET  /api/service[?all=1]          the reports in this replica, with hours
 *   GET  /api/service/show?id=         one report and its services
 *   GET  /api/service/member?id=       a member's reports (the member page)
 *   GET  /api/service/back[?year=]     the year's services per member (反馈原单位)
 *   GET  /api/service/back.csv[?year=] the same as a CSV download (table.c's one writer)
 *   POST /api/service/report           member, community (code), date, unit, phone
 *   POST /api/service/add              name, reported_on, unit, phone, note
 *   POST /api/service/record           id, date, activity, hours, note
 *   POST /api/service/end              id, date
 */
#include "web_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dom_handle.h"
#include "dom_service.h"
#include "table.h"
#include "validate.h"

/* An argument of at most max bytes: NULL when absent or too long (*bad set). */
static const char *
bounded(const char *s, size_t max, bool *bad)
{
	if (s != NULL && strlen(s) > max) {
		*bad = true;
		return NULL;
	}
	return s;
}

static void
too_long(struct call *c)
{
	web_reply_error(c->req, 422, "invalid", "填写的内容过长 an item is too long", NULL);
}

static void
put_org(struct jw *j, const char *key, const char *id, const char *code, const char *name)
{
	jw_key(j, key);
	jw_obj(j);
	jw_kstr(j, "id", id);
	jw_kstr(j, "code", code);
	jw_kstr(j, "name", name);
	jw_kbool(j, "visible", name != NULL);
	jw_end_obj(j);
}

/* One report as JSON. */
static void
put_row(const struct dom_service_row *s, void *arg)
{
	struct jw *j = arg;
	char hours[24];

	dom_service_hours_show(s->minutes, hours);
	jw_obj(j);
	jw_kstr(j, "id", s->id);
	jw_kstr(j, "handle", dom_short(s->id));
	jw_kstr(j, "member_id", s->member_id);
	jw_kstr(j, "name", s->name);
	jw_kstr(j, "unit", s->unit);
	jw_kstr(j, "phone", s->phone);
	jw_kstr(j, "reported_on", s->reported_on);
	jw_kstr(j, "ended_on", s->ended_on);
	jw_kstr(j, "note", s->note);
	put_org(j, "community", s->org_id, s->org_code, s->org_name);
	put_org(j, "home", s->home_org_id, s->home_code, s->home_name);
	jw_key(j, "side");
	jw_obj(j);
	jw_kstr(j, "code", s->outside ? "outside" : s->to_here && s->from_here ? "both" :
	    s->to_here ? "to_us" : "ours");
	jw_kstr(j, "label", s->outside ? "街道外" : s->to_here && s->from_here ? "本街道" :
	    s->to_here ? "报到本社区" : "本组织党员");
	jw_end_obj(j);
	jw_kbool(j, "can_record", s->to_here);
	jw_kint(j, "services", s->services);
	jw_kint(j, "minutes", s->minutes);
	jw_kstr(j, "hours", hours);
	jw_kstr(j, "activities", s->activities);
	jw_end_obj(j);
}

/* Answer {"rows": [...]} for query q (year echoed when given). */
static void
reply_list(struct call *c, const struct dom_service_query *q)
{
	struct dom_error e;
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "year", q->year);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_service_list(c->w->r, q, put_row, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* GET /api/service[?all=1] */
static void
api_service(struct call *c)
{
	const char *all = web_arg(c, "all");
	struct dom_service_query q = { .all = all && strcmp(all, "1") == 0 };

	reply_list(c, &q);
}

/* GET /api/service/member?id=MEMBER_ID: his reports, ended ones too. */
static void
api_service_member(struct call *c)
{
	bool bad = false;
	const char *id = bounded(web_arg(c, "id"), ID_TEXT_LEN, &bad);
	struct dom_service_query q = { .all = true, .member_id = id ? id : "" };

	if (bad) {
		too_long(c);
		return;
	}
	reply_list(c, &q);
}

/* The year asked for (this year by default) into year: 0, or -1 having answered 422. */
static int
back_year(struct call *c, char year[11])
{
	bool bad = false;
	const char *y = bounded(web_arg(c, "year"), 4, &bad);

	if (bad || (y && y[0] != '\0' && (strlen(y) != 4 || strspn(y, "0123456789") != 4))) {
		web_reply_error(c->req, 422, "invalid", "年份无效 (YYYY)", "year");
		return -1;
	}
	if (y == NULL || y[0] == '\0') {
		today_str(year);
		year[4] = '\0';
	} else {
		snprintf(year, 11, "%s", y);
	}
	return 0;
}

/* GET /api/service/back[?year=YYYY]: this year by default. */
static void
api_service_back(struct call *c)
{
	struct dom_service_query q = { .activities = true };
	char year[11];

	if (back_year(c, year) != 0)
		return;
	q.year = year;
	reply_list(c, &q);
}

/* One line of the report back's CSV. */
static void
csv_row(const struct dom_service_row *s, void *arg)
{
	char n[24], hours[24];
	const char *cells[9];

	snprintf(n, sizeof n, "%lld", (long long)s->services);
	dom_service_hours_show(s->minutes, hours);
	cells[0] = s->name;
	cells[1] = s->unit;
	cells[2] = s->outside ? "（街道外）" : s->home_name ? s->home_name : "其他组织";
	cells[3] = s->org_name ? s->org_name : "其他社区";
	cells[4] = s->reported_on;
	cells[5] = s->ended_on;
	cells[6] = n;
	cells[7] = hours;
	cells[8] = s->activities;
	table_add(arg, cells);
}

/*
 * GET /api/service/back.csv[?year=YYYY]: the report back as the one CSV
 * writer makes it (formula cells neutralised), a download named
 * 在职党员报到服务情况_YYYY.csv.
 */
static void
api_service_back_csv(struct call *c)
{
	static const char *const ids[] = { "name", "unit", "home_org", "community", "reported_on",
		"ended_on", "services", "hours", "activities" };
	static const char *const hdr[] = { "姓名", "工作单位", "所在组织", "报到社区", "报到日期",
		"结束日期", "服务次数", "服务时长（小时）", "服务内容" };
	struct dom_service_query q = { .activities = true };
	struct dom_error e;
	struct table *t;
	char year[11], disp[200];

	if (back_year(c, year) != 0)
		return;
	q.year = year;
	if ((t = table_new(9, ids, hdr)) == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	table_set_number(t, 6);
	table_set_number(t, 7);
	if (dom_service_list(c->w->r, &q, csv_row, t, &e) != 0) {
		table_free(t);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	/* 在职党员报到服务情况_YYYY.csv, percent-encoded (RFC 5987). */
	snprintf(disp, sizeof disp, "attachment; filename=\"tongxin-service-back-%s.csv\"; "
	    "filename*=UTF-8''%%E5%%9C%%A8%%E8%%81%%8C%%E5%%85%%9A%%E5%%91%%98%%E6%%8A%%A5%%E5%%88%%B0"
	    "%%E6%%9C%%8D%%E5%%8A%%A1%%E6%%83%%85%%E5%%86%%B5_%s.csv", year, year);
	web_reply_csv(c, t, disp);
}

static void
put_rec(const struct dom_service_rec *s, void *arg)
{
	struct jw *j = arg;
	char hours[24];

	dom_service_hours_show(s->minutes, hours);
	jw_obj(j);
	jw_kstr(j, "id", s->id);
	jw_kstr(j, "served_on", s->served_on);
	jw_kstr(j, "activity", s->activity);
	jw_kint(j, "minutes", s->minutes);
	jw_kstr(j, "hours", hours);
	jw_kstr(j, "note", s->note);
	jw_end_obj(j);
}

/* GET /api/service/show?id=REPORT_ID */
static void
api_service_show(struct call *c)
{
	bool bad = false;
	const char *id = bounded(web_arg(c, "id"), ID_TEXT_LEN, &bad);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (bad || id == NULL) {
		web_reply_error(c->req, 404, "not_found", "未找到报到登记 no such report", NULL);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "report");
	if (dom_service_get(c->w->r, id, put_row, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_key(&j, "records");
	jw_arr(&j);
	if (dom_service_records(c->w->r, id, put_rec, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* Answer a write: {"ok": true, "id": ...} with code. */
static void
reply_done(struct call *c, int code, const char *id)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kstr(&j, "id", id);
	jw_end_obj(&j);
	web_reply_json(c->req, code, b);
}

/* POST /api/service/report: member (id), community (code), date, unit, phone, note. */
static void
api_service_report(struct call *c)
{
	struct dom_report_req q = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;
	bool bad = false;
	const char *code = bounded(web_field(c, "community"), 32, &bad);

	q.member_id = bounded(web_field(c, "member"), ID_TEXT_LEN, &bad);
	q.date = bounded(web_field(c, "date"), 10, &bad);
	q.unit = bounded(web_field(c, "unit"), DOM_SERVICE_UNIT_MAX, &bad);
	q.phone = bounded(web_field(c, "phone"), DOM_SERVICE_PHONE_MAX, &bad);
	q.note = bounded(web_field(c, "note"), DOM_SERVICE_NOTE_MAX, &bad);
	if (bad) {
		too_long(c);
		return;
	}
	if (code == NULL || code[0] == '\0') {
		web_reply_error(c->req, 422, "missing", "请填写报到社区的编码 the community's code",
		    "community");
		return;
	}
	if (dom_service_org_by_code(c->w->r, code, org, &e) != 0) {
		web_reply_error(c->req, 422, "invalid", e.msg, "community");
		return;
	}
	q.community_id = org;
	if (dom_member_report(c->w->r, c->w->operator_name, &q, false, id, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	reply_done(c, 201, id);
}

/* POST /api/service/add: name, reported_on, unit, phone, note. */
static void
api_service_add(struct call *c)
{
	struct dom_report_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	bool bad = false;

	q.name = bounded(web_field(c, "name"), DOM_SERVICE_NAME_MAX, &bad);
	q.date = bounded(web_field(c, "reported_on"), 10, &bad);
	q.unit = bounded(web_field(c, "unit"), DOM_SERVICE_UNIT_MAX, &bad);
	q.phone = bounded(web_field(c, "phone"), DOM_SERVICE_PHONE_MAX, &bad);
	q.note = bounded(web_field(c, "note"), DOM_SERVICE_NOTE_MAX, &bad);
	if (bad) {
		too_long(c);
		return;
	}
	if (dom_service_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_SERVICE_REPORT);
		return;
	}
	reply_done(c, 201, id);
}

/* POST /api/service/record: id, date, activity, hours, note. */
static void
api_service_record(struct call *c)
{
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	bool bad = false;
	const char *rid = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);
	const char *date = bounded(web_field(c, "date"), 10, &bad);
	const char *activity = bounded(web_field(c, "activity"), DOM_SERVICE_ACTIVITY_MAX, &bad);
	const char *hours = bounded(web_field(c, "hours"), DOM_SERVICE_HOURS_MAX, &bad);
	const char *note = bounded(web_field(c, "note"), DOM_SERVICE_NOTE_MAX, &bad);

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_service_record(c->w->r, c->w->operator_name, rid ? rid : "", date, activity, hours,
	    note, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_SERVICE_RECORD);
		return;
	}
	reply_done(c, 201, id);
}

/* POST /api/service/end: id, date. */
static void
api_service_end(struct call *c)
{
	struct dom_error e;
	bool bad = false;
	const char *rid = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);
	const char *date = bounded(web_field(c, "date"), 10, &bad);

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_service_end(c->w->r, c->w->operator_name, rid ? rid : "", date, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_SERVICE_REPORT);
		return;
	}
	reply_done(c, 200, rid);
}

const struct web_route web_routes_service[] = {
	{ EVHTTP_REQ_GET, "/api/service", api_service },
	{ EVHTTP_REQ_GET, "/api/service/show", api_service_show },
	{ EVHTTP_REQ_GET, "/api/service/member", api_service_member },
	{ EVHTTP_REQ_GET, "/api/service/back", api_service_back },
	{ EVHTTP_REQ_GET, "/api/service/back.csv", api_service_back_csv },
	{ EVHTTP_REQ_POST, "/api/service/report", api_service_report },
	{ EVHTTP_REQ_POST, "/api/service/add", api_service_add },
	{ EVHTTP_REQ_POST, "/api/service/record", api_service_record },
	{ EVHTTP_REQ_POST, "/api/service/end", api_service_end },
	{ 0, NULL, NULL },
};
