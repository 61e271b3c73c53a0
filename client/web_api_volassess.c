/*
 * web_api_volassess.c - the desk's API for 志愿服务 (volunteer teams,
 * activities, hours, the year's report, the report back to an in-service
 * member's unit) and 考核 (indicators, scores, stars, the assessment report,
 * member points): the same domain operations as tongxin volunteer and
 * tongxin assess (dom_volunteer.h, dom_assess.h; the rules common/points.h);
 * no SQL here. Issue 14, items 5 and 6.
 *
 *   GET  /api/volunteer/teams[?year=]           teams with the year's (or all time) figures
 *   POST /api/volunteer/teams/add               name, leader, founded_on, note, org (code)
 *   GET  /api/volunteer/activities[?year=]      activities by date
 *   GET  /api/volunteer/activities/show?id=     one activity (id or handle) and its participants
 *   POST /api/volunteer/activities/add          team (id, handle or name), date, topic, place, note
 *   POST /api/volunteer/hours/add               activity; one of member, report, name; hours, note
 *   GET  /api/volunteer/report?year=            per person and per team (.csv: per person)
 *   GET  /api/volunteer/back[?year=]            in-service members' hours for their units (.csv)
 *   GET  /api/assess/indicators[?year=]         indicators, each target's total, the targets
 *   POST /api/assess/indicators/add             year, target, code, name, points, evidence
 *   POST /api/assess/indicators/edit            year, target, code; name, points, evidence
 *   POST /api/assess/scores/add                 org (code), indicator (code), year, points, ...
 *   POST /api/assess/stars/add                  org (a branch's code), year, stars, by, date, note
 *   GET  /api/assess/report?year=[&target=]     totals and grades (.csv)
 *   GET  /api/assess/points?year=[&branch=]     member points with the rules (.csv)
 *
 * Refusals are the domain's messages: 404 for a record that is not here,
 * 422 for a value or a state the rules refuse; nothing is written then.
 * Every argument is bounded before it reaches the domain.
 */
#include "web_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dom_assess.h"
#include "dom_handle.h"
#include "dom_service.h"
#include "dom_volunteer.h"
#include "points.h"
#include "table.h"
#include "validate.h"
#include "vocab.h"

/* The longest handle, code or name the API reads as a reference. */
#define VA_HANDLE_MAX 200
/* The longest free text (a note, evidence, a topic). */
#define VA_TEXT_MAX 2000
/* The longest short value (a date, a year, points, hours, a target). */
#define VA_SHORT_MAX 32

/* The year asked for, or this year when none is given (a report needs one). */
static const char *
year_or_now(const char *y, char buf[11])
{
	if (dom_given(y))
		return y;
	today_str(buf);
	buf[4] = '\0';
	return buf;
}

/* Answer a write: {"ok": true, "id": ..., "edited": ...} with code. */
static void
reply_done(struct call *c, int code, const char *id, bool edited)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kstr(&j, "id", id);
	jw_kbool(&j, "edited", edited);
	jw_end_obj(&j);
	web_reply_json(c->req, code, b);
}

/* A domain failure naming a reference (a handle): 404 when not here, else as usual. */
static void
refuse(struct call *c, const struct dom_error *e, const char *field)
{
	if (field != NULL && e->kind != DOM_FAIL && e->kind != DOM_NOT_FOUND) {
		web_reply_error(c->req, 422, e->kind == DOM_MISSING ? "missing" : "invalid", e->msg,
		    field);
		return;
	}
	web_reply_dom_error(c, e, -1);
}

/* "key": minutes as hours text ("1.5"). */
static void
put_hours(struct jw *j, const char *key, int64_t minutes)
{
	char h[24];

	dom_service_hours_show(minutes, h);
	jw_kstr(j, key, h);
}

/* "key": tenths as points text ("8.5"). */
static void
put_points(struct jw *j, const char *key, int64_t tenths)
{
	char p[24];

	points_show10(tenths, p);
	jw_kstr(j, key, p);
}

/*
 * Send table t as the one CSV writer makes it, a download named ascii and
 * utf8 (percent-encoded, RFC 5987). Frees t.
 */
static void
send_csv(struct call *c, struct table *t, const char *ascii, const char *utf8)
{
	char disp[400];

	web_csv_disposition(disp, sizeof disp, ascii, utf8);
	web_reply_csv(c, t, disp);
}

/* A new table or NULL having answered 500. */
static struct table *
new_table(struct call *c, int n, const char *const *ids, const char *const *hdr)
{
	struct table *t = table_new(n, ids, hdr);

	if (t == NULL)
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
	return t;
}

/* --- volunteer teams ------------------------------------------------------ */

static void
put_team(const struct dom_team_row *t, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", t->id);
	jw_kstr(j, "handle", dom_short(t->id));
	jw_kstr(j, "name", t->name);
	jw_kstr(j, "leader", t->leader);
	jw_kstr(j, "founded_on", t->founded_on);
	jw_kstr(j, "ended_on", t->ended_on);
	jw_kstr(j, "org_code", t->org_code);
	jw_kstr(j, "org_name", t->org_name);
	jw_kint(j, "activities", t->activities);
	jw_kint(j, "people", t->people);
	jw_kint(j, "minutes", t->minutes);
	put_hours(j, "hours", t->minutes);
	jw_end_obj(j);
}

/* GET /api/volunteer/teams[?year=YYYY] */
static void
api_teams(struct call *c)
{
	struct web_args a = { .c = c };
	const char *year = web_qarg(&a, "year", VA_SHORT_MAX);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_volunteer_team_list(c->w->r, dom_given(year), put_team, &j, &e) != 0) {
		evbuffer_free(b);
		refuse(c, &e, "year");
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* POST /api/volunteer/teams/add: name, leader, founded_on, note; org (code; default this device's). */
static void
api_team_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_team_req q = {
		.name = web_fld(&a, "name", VA_HANDLE_MAX), .leader = web_fld(&a, "leader", VA_HANDLE_MAX),
		.founded_on = web_fld(&a, "founded_on", VA_SHORT_MAX),
		.note = web_fld(&a, "note", VA_TEXT_MAX),
	};
	const char *org = web_fld(&a, "org", VA_HANDLE_MAX);
	char oid[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_too_long(&a))
		return;
	if (dom_given(org)) {
		if (dom_service_org_by_code(c->w->r, org, oid, &e) != 0) {
			web_reply_dom_error(c, &e, -1);
			return;
		}
		q.org_id = oid;
	}
	if (dom_volunteer_team_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_VOLUNTEER_TEAM);
		return;
	}
	reply_done(c, 201, id, false);
}

/* --- activities and hours -------------------------------------------------- */

static void
put_activity(const struct dom_activity_row *v, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", v->id);
	jw_kstr(j, "handle", dom_short(v->id));
	jw_kstr(j, "team_id", v->team_id);
	jw_kstr(j, "team_name", v->team_name);
	jw_kstr(j, "held_on", v->held_on);
	jw_kstr(j, "topic", v->topic);
	jw_kstr(j, "place", v->place);
	jw_kstr(j, "org_name", v->org_name);
	jw_kint(j, "people", v->people);
	jw_kint(j, "minutes", v->minutes);
	put_hours(j, "hours", v->minutes);
	jw_end_obj(j);
}

/* GET /api/volunteer/activities[?year=YYYY] */
static void
api_activities(struct call *c)
{
	struct web_args a = { .c = c };
	const char *year = web_qarg(&a, "year", VA_SHORT_MAX);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_volunteer_activity_list(c->w->r, dom_given(year), put_activity, &j, &e) != 0) {
		evbuffer_free(b);
		refuse(c, &e, "year");
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* POST /api/volunteer/activities/add: team (id, handle or name), date, topic, place, note. */
static void
api_activity_add(struct call *c)
{
	struct web_args a = { .c = c };
	const char *team = web_fld(&a, "team", VA_HANDLE_MAX);
	const char *date = web_fld(&a, "date", VA_SHORT_MAX);
	const char *topic = web_fld(&a, "topic", VA_TEXT_MAX);
	const char *place = web_fld(&a, "place", VA_HANDLE_MAX);
	const char *note = web_fld(&a, "note", VA_TEXT_MAX);
	char tid[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_too_long(&a))
		return;
	if (dom_volunteer_team_handle(c->w->r, team ? team : "", tid, &e) != 0) {
		refuse(c, &e, "team");
		return;
	}
	if (dom_volunteer_activity_add(c->w->r, c->w->operator_name, tid, date, topic, dom_given(place),
	    dom_given(note), id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_VOLUNTEER_ACTIVITY);
		return;
	}
	reply_done(c, 201, id, false);
}

/*
 * POST /api/volunteer/hours/add: activity (id or handle); exactly one of
 * member (a member's handle), report (an in-service member's report) or
 * name (a resident); hours ("2", "1.5"), note.
 */
static void
api_hours_add(struct call *c)
{
	struct web_args a = { .c = c };
	const char *act = web_fld(&a, "activity", VA_HANDLE_MAX);
	const char *member = web_fld(&a, "member", VA_HANDLE_MAX);
	const char *report = web_fld(&a, "report", VA_HANDLE_MAX);
	const char *name = web_fld(&a, "name", VA_HANDLE_MAX);
	struct dom_hours_req q = {
		.hours = web_fld(&a, "hours", VA_SHORT_MAX), .note = web_fld(&a, "note", VA_TEXT_MAX),
	};
	char aid[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1], rid[ID_TEXT_LEN + 1];
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_too_long(&a))
		return;
	if ((dom_given(member) != NULL) + (dom_given(report) != NULL) + (dom_given(name) != NULL) != 1) {
		web_reply_error(c->req, 422, "missing",
		    "请给出一位参加者：党员、报到的在职党员或居民姓名，只能一项", "member");
		return;
	}
	if (dom_row_handle(c->w->r, TBL_VOLUNTEER_ACTIVITY, act ? act : "", "志愿活动", aid,
	    &e) != 0) {
		refuse(c, &e, "activity");
		return;
	}
	q.activity_id = aid;
	if (dom_given(member)) {
		if (dom_member_handle(c->w->r, member, mid, &e) != 0) {
			refuse(c, &e, "member");
			return;
		}
		q.member_id = mid;
	} else if (dom_given(report)) {
		if (dom_service_handle(c->w->r, report, rid, &e) != 0) {
			refuse(c, &e, "report");
			return;
		}
		q.report_id = rid;
	} else {
		q.name = name;
	}
	if (dom_volunteer_hours_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_VOLUNTEER_HOURS);
		return;
	}
	reply_done(c, 201, id, false);
}

/* --- the year's report and the report back ---------------------------------- */

static const char *
kind_label(const char *k)
{
	return strcmp(k, "member") == 0 ? "党员" : strcmp(k, "in_service") == 0 ?
	    "在职党员（报到）" : "居民";
}

/* The one activity api_activity_show asks for: its id, and whether it was found. */
struct one_activity {
	struct jw *j;
	const char *id;
	bool found;
};

static void
put_activity_if(const struct dom_activity_row *v, void *arg)
{
	struct one_activity *o = arg;

	if (o->found || strcmp(v->id, o->id) != 0)
		return;
	o->found = true;
	jw_key(o->j, "activity");
	put_activity(v, o->j);
}

static void
put_participant(const struct dom_hours_row *p, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", p->id);
	jw_key(j, "kind");
	jw_obj(j);
	jw_kstr(j, "code", p->kind);
	jw_kstr(j, "label", kind_label(p->kind));
	jw_end_obj(j);
	jw_kstr(j, "name", p->name);
	jw_kstr(j, "note", p->note);
	jw_kint(j, "minutes", p->minutes);
	put_hours(j, "hours", p->minutes);
	jw_end_obj(j);
}

/* GET /api/volunteer/activities/show?id=ID|HANDLE: the activity and who served how long. */
static void
api_activity_show(struct call *c)
{
	struct web_args a = { .c = c };
	const char *hd = web_qarg(&a, "id", VA_HANDLE_MAX);
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	struct jw j;
	struct one_activity o = { .j = &j, .id = id };
	struct evbuffer *b;

	if (web_too_long(&a))
		return;
	if (dom_row_handle(c->w->r, TBL_VOLUNTEER_ACTIVITY, hd ? hd : "", "志愿活动", id, &e) != 0) {
		refuse(c, &e, "id");
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	if (dom_volunteer_activity_list(c->w->r, NULL, put_activity_if, &o, &e) != 0)
		goto fail;
	if (!o.found) {
		evbuffer_free(b);
		web_reply_error(c->req, 404, "not_found", "本副本中没有该志愿活动 no such activity", "id");
		return;
	}
	jw_key(&j, "participants");
	jw_arr(&j);
	if (dom_volunteer_hours_of(c->w->r, id, put_participant, &j, &e) != 0)
		goto fail;
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
	return;
fail:
	evbuffer_free(b);
	web_reply_dom_error(c, &e, -1);
}

struct vsum {
	struct jw *j;
	int64_t minutes, people;
};

static void
put_person(const struct dom_volunteer_person *p, void *arg)
{
	struct vsum *s = arg;

	jw_obj(s->j);
	jw_key(s->j, "kind");
	jw_obj(s->j);
	jw_kstr(s->j, "code", p->kind);
	jw_kstr(s->j, "label", kind_label(p->kind));
	jw_end_obj(s->j);
	jw_kstr(s->j, "name", p->name);
	jw_kstr(s->j, "org_name", p->org_name);
	jw_kint(s->j, "activities", p->activities);
	jw_kint(s->j, "minutes", p->minutes);
	put_hours(s->j, "hours", p->minutes);
	jw_end_obj(s->j);
	s->minutes += p->minutes;
	s->people++;
}

/* GET /api/volunteer/report[?year=YYYY]: per person, per team, the totals. */
static void
api_vol_report(struct call *c)
{
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", VA_SHORT_MAX);
	char buf[11];
	const char *year;
	struct dom_error e;
	struct jw j;
	struct vsum s = { .j = &j };
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	year = year_or_now(y, buf);
	jw_obj(&j);
	jw_kstr(&j, "year", year);
	jw_key(&j, "people");
	jw_arr(&j);
	if (dom_volunteer_people(c->w->r, year, put_person, &s, &e) != 0)
		goto fail;
	jw_end_arr(&j);
	jw_key(&j, "teams");
	jw_arr(&j);
	if (dom_volunteer_team_list(c->w->r, year, put_team, &j, &e) != 0)
		goto fail;
	jw_end_arr(&j);
	jw_kint(&j, "people_total", s.people);
	jw_kint(&j, "minutes_total", s.minutes);
	put_hours(&j, "hours_total", s.minutes);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
	return;
fail:
	evbuffer_free(b);
	refuse(c, &e, "year");
}

static void
csv_person(const struct dom_volunteer_person *p, void *arg)
{
	char n[24], h[24];
	const char *cells[5];

	snprintf(n, sizeof n, "%" PRId64, p->activities);
	dom_service_hours_show(p->minutes, h);
	cells[0] = p->name;
	cells[1] = p->kind;   /* the CLI's --csv: codes */
	cells[2] = p->org_name;
	cells[3] = n;
	cells[4] = h;
	table_add(arg, cells);
}

/*
 * GET /api/volunteer/report.csv[?year=]: 志愿服务时长_YYYY.csv, one row per
 * person, byte for byte tongxin volunteer report --csv (so are the other CSVs
 * here to their commands').
 */
static void
api_vol_report_csv(struct call *c)
{
	static const char *const ids[] = { "name", "kind", "org", "activities", "hours" };
	static const char *const hdr[] = { "姓名", "身份", "所在组织", "参加活动",
		"服务时长（小时）" };
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", VA_SHORT_MAX);
	char buf[11], ascii[64], utf8[160];
	const char *year;
	struct dom_error e;
	struct table *t;

	if (web_too_long(&a) || (t = new_table(c, 5, ids, hdr)) == NULL)
		return;
	year = year_or_now(y, buf);
	table_set_number(t, 3);
	table_set_number(t, 4);
	if (dom_volunteer_people(c->w->r, year, csv_person, t, &e) != 0) {
		table_free(t);
		refuse(c, &e, "year");
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-volunteer-%s.csv", year);
	/* 志愿服务时长_YYYY.csv */
	snprintf(utf8, sizeof utf8,
	    "%%E5%%BF%%97%%E6%%84%%BF%%E6%%9C%%8D%%E5%%8A%%A1%%E6%%97%%B6%%E9%%95%%BF_%s.csv", year);
	send_csv(c, t, ascii, utf8);
}

static void
put_back(const struct dom_volunteer_back_row *r, void *arg)
{
	struct vsum *s = arg;

	jw_obj(s->j);
	jw_kstr(s->j, "report_id", r->report_id);
	jw_kstr(s->j, "report_handle", dom_short(r->report_id));
	jw_kstr(s->j, "name", r->name);
	jw_kstr(s->j, "unit", r->unit);
	jw_kstr(s->j, "community", r->community);
	jw_kstr(s->j, "home_name", r->home_name);
	jw_kstr(s->j, "held_on", r->held_on);   /* null: the activity is the community's */
	jw_kstr(s->j, "topic", r->topic);
	jw_kint(s->j, "minutes", r->minutes);
	put_hours(s->j, "hours", r->minutes);
	jw_end_obj(s->j);
	s->minutes += r->minutes;
	s->people++;
}

/* GET /api/volunteer/back[?year=]: in-service members' hours for the report to their units. */
static void
api_vol_back(struct call *c)
{
	struct web_args a = { .c = c };
	const char *year = web_qarg(&a, "year", VA_SHORT_MAX);
	struct dom_error e;
	struct jw j;
	struct vsum s = { .j = &j };
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "year", dom_given(year));
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_volunteer_back(c->w->r, dom_given(year), put_back, &s, &e) != 0) {
		evbuffer_free(b);
		refuse(c, &e, "year");
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "minutes_total", s.minutes);
	put_hours(&j, "hours_total", s.minutes);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
csv_back(const struct dom_volunteer_back_row *b, void *arg)
{
	char h[24];
	const char *cells[8];

	dom_service_hours_show(b->minutes, h);
	cells[0] = b->name;
	cells[1] = b->unit;
	cells[2] = b->home_name;
	cells[3] = b->community;
	cells[4] = b->held_on ? b->held_on : "（见报到社区 at the community）";
	cells[5] = b->topic;
	cells[6] = h;
	cells[7] = b->report_id;
	table_add(arg, cells);
}

/* GET /api/volunteer/back.csv[?year=]: 反馈原单位.csv (the CLI's columns). */
static void
api_vol_back_csv(struct call *c)
{
	static const char *const ids[] = { "name", "unit", "home_org", "community", "date", "topic",
		"hours", "report" };
	static const char *const hdr[] = { "姓名", "工作单位", "所在党组织", "报到社区", "活动日期",
		"活动内容", "服务时长（小时）", "报到编号" };
	struct web_args a = { .c = c };
	const char *year = web_qarg(&a, "year", VA_SHORT_MAX);
	struct dom_error e;
	struct table *t;

	if (web_too_long(&a) || (t = new_table(c, 8, ids, hdr)) == NULL)
		return;
	table_set_number(t, 6);
	if (dom_volunteer_back(c->w->r, dom_given(year), csv_back, t, &e) != 0) {
		table_free(t);
		refuse(c, &e, "year");
		return;
	}
	/* 反馈原单位.csv */
	send_csv(c, t, "tongxin-volunteer-back.csv",
	    "%E5%8F%8D%E9%A6%88%E5%8E%9F%E5%8D%95%E4%BD%8D.csv");
}

/* --- indicators ------------------------------------------------------------ */

static void
put_indicator(const struct dom_indicator_row *i, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", i->id);
	jw_kint(j, "year", i->year);
	web_jw_coded(j, "target", web_col(TBL_ASSESSMENT_INDICATOR, "target"), i->target);
	jw_kstr(j, "code", i->code);
	jw_kstr(j, "name", i->name);
	jw_kint(j, "points", i->points);
	jw_kstr(j, "evidence", i->evidence);
	jw_kstr(j, "org_name", i->org_name);
	jw_kbool(j, "own", i->own);
	jw_end_obj(j);
}

static void
put_total(const struct dom_indicator_total *t, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	web_jw_coded(j, "target", web_col(TBL_ASSESSMENT_INDICATOR, "target"), t->target);
	jw_kint(j, "indicators", t->indicators);
	jw_kint(j, "points", t->points);
	jw_kbool(j, "full", t->points == ASSESS_FULL);
	jw_end_obj(j);
}

/* "targets": the vocabulary of assessment targets (the form's choices). */
static void
put_targets(struct jw *j)
{
	const struct vocab *v = vocab_get("assess_target");

	jw_key(j, "targets");
	jw_arr(j);
	for (size_t i = 0; v != NULL && i < v->n; i++) {
		jw_obj(j);
		jw_kstr(j, "code", v->entries[i].code);
		jw_kstr(j, "label", v->entries[i].label);
		jw_end_obj(j);
	}
	jw_end_arr(j);
}

/* GET /api/assess/indicators[?year=]: the rows; with a year each target's total (the check). */
static void
api_indicators(struct call *c)
{
	struct web_args a = { .c = c };
	const char *year = web_qarg(&a, "year", VA_SHORT_MAX);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kint(&j, "full", ASSESS_FULL);
	put_targets(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_assess_indicator_list(c->w->r, dom_given(year), put_indicator, &j, &e) != 0)
		goto fail;
	jw_end_arr(&j);
	jw_key(&j, "totals");
	jw_arr(&j);
	if (dom_given(year) &&
	    dom_assess_indicator_totals(c->w->r, year, put_total, &j, &e) != 0)
		goto fail;
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
	return;
fail:
	evbuffer_free(b);
	refuse(c, &e, "year");
}

/* The indicator form's items. */
static void
indicator_req(struct web_args *a, struct dom_indicator_req *q)
{
	q->year = web_fld(a, "year", VA_SHORT_MAX);
	q->target = web_fld(a, "target", VA_SHORT_MAX);
	q->code = web_fld(a, "code", VA_SHORT_MAX);
	q->name = web_fld(a, "name", VA_HANDLE_MAX);
	q->points = web_fld(a, "points", VA_SHORT_MAX);
	q->evidence = web_fld(a, "evidence", VA_TEXT_MAX);
}

/* POST /api/assess/indicators/add (a street's or district's desk only). */
static void
api_indicator_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_indicator_req q;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	indicator_req(&a, &q);
	if (web_too_long(&a))
		return;
	if (dom_assess_indicator_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_ASSESSMENT_INDICATOR);
		return;
	}
	reply_done(c, 201, id, false);
}

/* POST /api/assess/indicators/edit: year, target, code name it; the items sent change. */
static void
api_indicator_edit(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_indicator_req q;
	struct dom_error e;

	indicator_req(&a, &q);
	if (web_too_long(&a))
		return;
	q.name = dom_given(q.name);
	q.points = dom_given(q.points);
	q.evidence = dom_given(q.evidence);
	if (dom_assess_indicator_edit(c->w->r, c->w->operator_name, &q, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_ASSESSMENT_INDICATOR);
		return;
	}
	reply_done(c, 200, NULL, true);
}

/* --- scores and stars ---------------------------------------------------------- */

/* POST /api/assess/scores/add: org, indicator, year, points, scorer, date, evidence. */
static void
api_score_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_score_req q = {
		.org_code = web_fld(&a, "org", VA_HANDLE_MAX),
		.indicator = web_fld(&a, "indicator", VA_SHORT_MAX),
		.year = web_fld(&a, "year", VA_SHORT_MAX), .points = web_fld(&a, "points", VA_SHORT_MAX),
		.scorer = web_fld(&a, "scorer", VA_HANDLE_MAX), .date = web_fld(&a, "date", VA_SHORT_MAX),
		.evidence = web_fld(&a, "evidence", VA_TEXT_MAX),
	};
	char id[ID_TEXT_LEN + 1];
	bool edited = false;
	struct dom_error e;

	if (web_too_long(&a))
		return;
	q.scorer = dom_given(q.scorer);
	q.date = dom_given(q.date);
	q.evidence = dom_given(q.evidence);
	if (dom_assess_score(c->w->r, c->w->operator_name, &q, &edited, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_ASSESSMENT_SCORE);
		return;
	}
	reply_done(c, edited ? 200 : 201, id, edited);
}

/* POST /api/assess/stars/add: org (a branch), year, stars (1..5), by, date, note. */
static void
api_stars_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_stars_req q = {
		.org_code = web_fld(&a, "org", VA_HANDLE_MAX), .year = web_fld(&a, "year", VA_SHORT_MAX),
		.stars = web_fld(&a, "stars", VA_SHORT_MAX), .by = web_fld(&a, "by", VA_HANDLE_MAX),
		.date = web_fld(&a, "date", VA_SHORT_MAX), .note = web_fld(&a, "note", VA_TEXT_MAX),
	};
	bool edited = false;
	struct dom_error e;

	if (web_too_long(&a))
		return;
	q.by = dom_given(q.by);
	q.date = dom_given(q.date);
	q.note = dom_given(q.note);
	if (dom_assess_stars(c->w->r, c->w->operator_name, &q, &edited, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_STAR_RATING);
		return;
	}
	reply_done(c, edited ? 200 : 201, NULL, edited);
}

/* --- the assessment report ------------------------------------------------------ */

static void
put_assess(const struct dom_assess_row *g, void *arg)
{
	struct jw *j = arg;
	enum assess_grade grade = assess_grade_of(g->total10);

	jw_obj(j);
	jw_kstr(j, "org_id", g->org_id);
	jw_kstr(j, "code", g->code);
	jw_kstr(j, "name", g->name);
	web_jw_coded(j, "target", web_col(TBL_ASSESSMENT_INDICATOR, "target"), g->target);
	jw_kint(j, "indicators", g->indicators);
	jw_kint(j, "scored", g->scored);
	jw_kint(j, "total10", g->total10);
	put_points(j, "total", g->total10);
	jw_kbool(j, "complete", g->complete);
	/* No indicators for its kind: nothing to grade; some unscored: not yet. */
	jw_key(j, "grade");
	if (g->indicators == 0 || !g->complete) {
		jw_null(j);
	} else {
		jw_obj(j);
		jw_kstr(j, "code", assess_grade_code(grade));
		jw_kstr(j, "label", assess_grade_label(grade));
		jw_end_obj(j);
	}
	jw_key(j, "stars");
	if (g->stars > 0)
		jw_int(j, g->stars);
	else
		jw_null(j);
	jw_end_obj(j);
}

/* The report's target (a code or a label; NULL: all) into *out: 0, or -1 having answered 422. */
static int
report_target(struct call *c, const char *target, const char **out)
{
	const struct vocab *v = vocab_get("assess_target");
	const char *code;

	*out = NULL;
	if (!dom_given(target))
		return 0;
	if ((code = vocab_parse(v, target)) == NULL) {
		web_reply_error(c->req, 422, "invalid", "考核对象无效（社区或党支部）", "target");
		return -1;
	}
	*out = code;
	return 0;
}

/* GET /api/assess/report[?year=&target=]: per organisation, with the grade rule. */
static void
api_assess_report(struct call *c)
{
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", VA_SHORT_MAX);
	const char *tg = web_qarg(&a, "target", VA_SHORT_MAX);
	const char *year, *target;
	char buf[11];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || report_target(c, tg, &target) != 0 ||
	    (b = web_new_body(c, &j)) == NULL)
		return;
	year = year_or_now(y, buf);
	jw_obj(&j);
	jw_kstr(&j, "year", year);
	jw_kint(&j, "full", ASSESS_FULL);
	jw_kint(&j, "excellent_min", ASSESS_EXCELLENT_MIN);
	jw_kint(&j, "competent_min", ASSESS_COMPETENT_MIN);
	jw_kstr(&j, "rule", assess_grade_rule());
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_assess_report(c->w->r, year, target, put_assess, &j, &e) != 0) {
		evbuffer_free(b);
		refuse(c, &e, "year");
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
csv_assess(const struct dom_assess_row *g, void *arg)
{
	char total[24], n[48], s[8] = "";
	const char *cells[7];

	points_show10(g->total10, total);
	snprintf(n, sizeof n, "%" PRId64 "/%" PRId64, g->scored, g->indicators);
	if (g->stars > 0)
		snprintf(s, sizeof s, "%" PRId64, g->stars);
	cells[0] = g->code;
	cells[1] = g->name;
	cells[2] = g->target;
	cells[3] = n;
	cells[4] = total;
	cells[5] = g->indicators == 0 || !g->complete ? NULL :
	    assess_grade_code(assess_grade_of(g->total10));
	cells[6] = s;
	table_add(arg, cells);
}

/* GET /api/assess/report.csv[?year=&target=]: 年度考核_YYYY.csv. */
static void
api_assess_report_csv(struct call *c)
{
	static const char *const ids[] = { "code", "name", "target", "scored", "total", "grade",
		"stars" };
	static const char *const hdr[] = { "组织编码", "组织", "考核对象", "已评指标", "总分",
		"等次", "星级" };
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", VA_SHORT_MAX);
	const char *tg = web_qarg(&a, "target", VA_SHORT_MAX);
	const char *year, *target;
	char buf[11], ascii[64], utf8[160];
	struct dom_error e;
	struct table *t;

	if (web_too_long(&a) || report_target(c, tg, &target) != 0 ||
	    (t = new_table(c, 7, ids, hdr)) == NULL)
		return;
	year = year_or_now(y, buf);
	table_set_vocab(t, 2, vocab_get("assess_target"));
	table_set_number(t, 4);
	table_set_number(t, 6);
	if (dom_assess_report(c->w->r, year, target, csv_assess, t, &e) != 0) {
		table_free(t);
		refuse(c, &e, "year");
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-assessment-%s.csv", year);
	/* 年度考核_YYYY.csv */
	snprintf(utf8, sizeof utf8, "%%E5%%B9%%B4%%E5%%BA%%A6%%E8%%80%%83%%E6%%A0%%B8_%s.csv", year);
	send_csv(c, t, ascii, utf8);
}

/* --- member points ----------------------------------------------------------------- */

static void
put_member_points(const struct dom_points_row *p, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "member_id", p->member_id);
	jw_kstr(j, "handle", dom_short(p->member_id));
	jw_kstr(j, "name", p->name);
	jw_kstr(j, "org_code", p->org_code);
	jw_kstr(j, "org_name", p->org_name);
	jw_kint(j, "present", p->present);
	jw_kint(j, "minutes", p->minutes);
	put_hours(j, "hours", p->minutes);
	jw_kint(j, "dues_months", p->dues_months);
	jw_kint(j, "total10", p->total10);
	put_points(j, "points", p->total10);
	jw_end_obj(j);
}

/* "rules": points_rules[] as the page shows them. */
static void
put_rules(struct jw *j)
{
	jw_kstr(j, "rule", points_rule_text());
	jw_key(j, "rules");
	jw_arr(j);
	for (int i = 0; i < POINTS_NSOURCES; i++) {
		jw_obj(j);
		jw_kstr(j, "code", points_rules[i].code);
		jw_kstr(j, "label", points_rules[i].label);
		jw_kstr(j, "unit", points_rules[i].unit);
		put_points(j, "points", points_rules[i].tenths);
		jw_end_obj(j);
	}
	jw_end_arr(j);
}

/* GET /api/assess/points[?year=&branch=CODE]: per member, with the rules. */
static void
api_points(struct call *c)
{
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", VA_SHORT_MAX);
	const char *branch = web_qarg(&a, "branch", VA_HANDLE_MAX);
	char buf[11];
	const char *year;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	year = year_or_now(y, buf);
	jw_obj(&j);
	jw_kstr(&j, "year", year);
	put_rules(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_assess_points(c->w->r, year, dom_given(branch), put_member_points, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
csv_points(const struct dom_points_row *p, void *arg)
{
	char present[24], hours[24], dues[24], total[24];
	const char *cells[7];

	snprintf(present, sizeof present, "%" PRId64, p->present);
	dom_service_hours_show(p->minutes, hours);
	snprintf(dues, sizeof dues, "%" PRId64, p->dues_months);
	points_show10(p->total10, total);
	cells[0] = p->name;
	cells[1] = p->org_name ? p->org_name : p->org_code;
	cells[2] = present;
	cells[3] = hours;
	cells[4] = dues;
	cells[5] = total;
	cells[6] = p->member_id;
	table_add(arg, cells);
}

/* GET /api/assess/points.csv[?year=&branch=]: 党员积分_YYYY.csv (the CLI's columns). */
static void
api_points_csv(struct call *c)
{
	static const char *const ids[] = { "name", "branch", "present", "volunteer_hours",
		"dues_on_time", "points", "member" };
	static const char *const hdr[] = { "姓名", "所在支部", "参加组织生活（次）",
		"志愿服务（小时）", "按时交纳党费（月）", "积分", "党员编号" };
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", VA_SHORT_MAX);
	const char *branch = web_qarg(&a, "branch", VA_HANDLE_MAX);
	char buf[11], ascii[64], utf8[160];
	const char *year;
	struct dom_error e;
	struct table *t;

	if (web_too_long(&a) || (t = new_table(c, 7, ids, hdr)) == NULL)
		return;
	year = year_or_now(y, buf);
	for (int i = 2; i <= 5; i++)
		table_set_number(t, i);
	if (dom_assess_points(c->w->r, year, dom_given(branch), csv_points, t, &e) != 0) {
		table_free(t);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-member-points-%s.csv", year);
	/* 党员积分_YYYY.csv */
	snprintf(utf8, sizeof utf8, "%%E5%%85%%9A%%E5%%91%%98%%E7%%A7%%AF%%E5%%88%%86_%s.csv", year);
	send_csv(c, t, ascii, utf8);
}

const struct web_route web_routes_volassess[] = {
	{ EVHTTP_REQ_GET, "/api/volunteer/teams", api_teams },
	{ EVHTTP_REQ_POST, "/api/volunteer/teams/add", api_team_add },
	{ EVHTTP_REQ_GET, "/api/volunteer/activities", api_activities },
	{ EVHTTP_REQ_GET, "/api/volunteer/activities/show", api_activity_show },
	{ EVHTTP_REQ_POST, "/api/volunteer/activities/add", api_activity_add },
	{ EVHTTP_REQ_POST, "/api/volunteer/hours/add", api_hours_add },
	{ EVHTTP_REQ_GET, "/api/volunteer/report", api_vol_report },
	{ EVHTTP_REQ_GET, "/api/volunteer/report.csv", api_vol_report_csv },
	{ EVHTTP_REQ_GET, "/api/volunteer/back", api_vol_back },
	{ EVHTTP_REQ_GET, "/api/volunteer/back.csv", api_vol_back_csv },
	{ EVHTTP_REQ_GET, "/api/assess/indicators", api_indicators },
	{ EVHTTP_REQ_POST, "/api/assess/indicators/add", api_indicator_add },
	{ EVHTTP_REQ_POST, "/api/assess/indicators/edit", api_indicator_edit },
	{ EVHTTP_REQ_POST, "/api/assess/scores/add", api_score_add },
	{ EVHTTP_REQ_POST, "/api/assess/stars/add", api_stars_add },
	{ EVHTTP_REQ_GET, "/api/assess/report", api_assess_report },
	{ EVHTTP_REQ_GET, "/api/assess/report.csv", api_assess_report_csv },
	{ EVHTTP_REQ_GET, "/api/assess/points", api_points },
	{ EVHTTP_REQ_GET, "/api/assess/points.csv", api_points_csv },
	{ 0, NULL, NULL },
};
