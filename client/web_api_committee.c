/*
 * web_api_committee.c - the desk's API for 委员会 and 党员中心户: committee
 * seats with terms, and member households that keep in touch with a
 * grid's households: the same domain operations as tongxin committee
 * (dom_committee.h); no SQL here. Organisations, members, seats and
 * centers are named by their ids.
 *
 *   GET  /api/committee[?org=][&all=1]          seats (the org's subtree)
 *   GET  /api/committee/org?id=                  what the org may elect (its roles)
 *   GET  /api/committee/member?id=               a member's seats and centers
 *   POST /api/committee/add                      org, member | name, role, from, note
 *   POST /api/committee/add/check                the same, checked and rolled back
 *   POST /api/committee/end                      id, date
 *   GET  /api/committee/centers[?org=][&all=1]   党员中心户 with household counts
 *   GET  /api/committee/center?id=               one center and its households
 *   POST /api/committee/center/add               member, grid, address, from, note
 *   POST /api/committee/center/cover             id, name, address, phone, note
 *   POST /api/committee/center/end               id, date
 */
#include "web_api.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "dom_committee.h"
#include "dom_handle.h"
#include "validate.h"
#include "vocab.h"

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

/* s, or NULL when empty. */
static const char *
nonempty(const char *s)
{
	return s && s[0] ? s : NULL;
}

/* One seat as JSON. */
static void
put_seat(const struct dom_seat_row *s, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", s->id);
	jw_kstr(j, "handle", dom_short(s->id));
	jw_kstr(j, "org_id", s->org_id);
	jw_kstr(j, "org_code", s->org_code);
	jw_kstr(j, "org_name", s->org_name);
	jw_kstr(j, "member_id", s->member_id);
	jw_kstr(j, "name", s->name);
	web_jw_coded(j, "role", web_col(TBL_COMMITTEE_MEMBER, "role"), s->role);
	jw_kstr(j, "started_on", s->started_on);
	jw_kstr(j, "ended_on", s->ended_on);
	jw_kstr(j, "note", s->note);
	jw_kbool(j, "current", s->current);
	jw_kbool(j, "member_left", s->left);
	jw_kbool(j, "secretary_clash", s->clash);
	jw_end_obj(j);
}

/* One center as JSON. */
static void
put_center(const struct dom_center_row *c, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", c->id);
	jw_kstr(j, "handle", dom_short(c->id));
	jw_kstr(j, "org_id", c->org_id);
	jw_kstr(j, "org_code", c->org_code);
	jw_kstr(j, "org_name", c->org_name);
	jw_kstr(j, "member_id", c->member_id);
	jw_kstr(j, "member_name", c->member_name);
	jw_kstr(j, "grid", c->grid);
	jw_kstr(j, "address", c->address);
	jw_kstr(j, "started_on", c->started_on);
	jw_kstr(j, "ended_on", c->ended_on);
	jw_kstr(j, "note", c->note);
	jw_kint(j, "households", c->households);
	jw_kint(j, "max_households", DOM_CENTER_MAX_HOUSEHOLDS);
	jw_kbool(j, "member_left", c->left);
	jw_end_obj(j);
}

static void
put_household(const struct dom_household_row *h, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", h->id);
	jw_kstr(j, "head_name", h->head_name);
	jw_kstr(j, "address", h->address);
	jw_kstr(j, "phone", h->phone);
	jw_kstr(j, "note", h->note);
	jw_end_obj(j);
}

/* The optional org and all arguments of a list; false having answered 422. */
static bool
list_args(struct call *c, const char **org, bool *all)
{
	bool bad = false;
	const char *a = web_arg(c, "all");

	*org = nonempty(bounded(web_arg(c, "org"), ID_TEXT_LEN, &bad));
	*all = a && strcmp(a, "1") == 0;
	if (bad)
		too_long(c);
	return !bad;
}

/* GET /api/committee[?org=ID][&all=1] */
static void
api_committee(struct call *c)
{
	struct dom_seat_query q = { 0 };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (!list_args(c, &q.org_id, &q.all) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_committee_list(c->w->r, &q, put_seat, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* GET /api/committee/org?id=ORG_ID: its size and what it may elect. */
static void
api_committee_org(struct call *c)
{
	bool bad = false;
	const char *id = bounded(web_arg(c, "id"), ID_TEXT_LEN, &bad);
	const struct vocab *v = vocab_get("committee_role");
	struct dom_committee_org o;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (bad || id == NULL) {
		web_reply_error(c->req, 404, "not_found", "未找到组织 no such organisation", NULL);
		return;
	}
	if (dom_committee_org_info(c->w->r, id, &o, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	web_jw_coded(&j, "kind", web_col(TBL_ORG, "kind"), o.kind);
	jw_kint(&j, "members", o.members);
	jw_kint(&j, "full", o.full);
	jw_kint(&j, "full_min", DOM_COMMITTEE_FULL_MIN);
	jw_kbool(&j, "small", o.small);
	jw_kbool(&j, "group", o.group);
	/* The roles it may fill now, labelled from the one vocabulary. */
	jw_key(&j, "roles");
	jw_arr(&j);
	for (size_t i = 0; !o.group && i < v->n; i++) {
		const char *code = v->entries[i].code;
		if (o.small && strcmp(code, "secretary") != 0 && strcmp(code, "deputy") != 0)
			continue;
		jw_obj(&j);
		jw_kstr(&j, "code", code);
		jw_kstr(&j, "label", v->entries[i].label);
		jw_end_obj(&j);
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* GET /api/committee/member?id=MEMBER_ID: his seats (ended ones too) and centers. */
static void
api_committee_member(struct call *c)
{
	bool bad = false;
	const char *id = bounded(web_arg(c, "id"), ID_TEXT_LEN, &bad);
	struct dom_seat_query sq = { .all = true };
	struct dom_center_query cq = { .all = true };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (bad) {
		too_long(c);
		return;
	}
	sq.member_id = cq.member_id = id ? id : "";
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "seats");
	jw_arr(&j);
	if (dom_committee_list(c->w->r, &sq, put_seat, &j, &e) != 0)
		goto failed;
	jw_end_arr(&j);
	jw_key(&j, "centers");
	jw_arr(&j);
	if (dom_center_list(c->w->r, &cq, put_center, &j, &e) != 0)
		goto failed;
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
	return;
failed:
	evbuffer_free(b);
	web_reply_dom_error(c, &e, -1);
}

/* Answer a write: {"ok": true, "id": ...} with code (and the ended secretary). */
static void
reply_done(struct call *c, int code, const char *id, const struct dom_seat_done *d)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kstr(&j, "id", id);
	if (d && d->ended_id[0]) {
		jw_key(&j, "ended");
		jw_obj(&j);
		jw_kstr(&j, "id", d->ended_id);
		jw_kstr(&j, "name", d->ended_name);
		jw_kstr(&j, "ended_on", d->ended_on);
		jw_end_obj(&j);
	}
	jw_end_obj(&j);
	web_reply_json(c->req, code, b);
}

/* POST /api/committee/add[/check]: org, member or name, role, from, note. */
static void
seat_add(struct call *c, bool dry_run)
{
	struct dom_seat_req q = { 0 };
	struct dom_seat_done d;
	struct dom_error e;
	bool bad = false;

	q.org_id = bounded(web_field(c, "org"), ID_TEXT_LEN, &bad);
	q.member_id = nonempty(bounded(web_field(c, "member"), ID_TEXT_LEN, &bad));
	q.name = nonempty(bounded(web_field(c, "name"), DOM_COMMITTEE_NAME_MAX, &bad));
	q.role = bounded(web_field(c, "role"), 64, &bad);
	q.from = bounded(web_field(c, "from"), 10, &bad);
	q.note = bounded(web_field(c, "note"), DOM_COMMITTEE_NOTE_MAX, &bad);
	if (bad) {
		too_long(c);
		return;
	}
	if (q.member_id && q.name) {
		web_reply_error(c->req, 422, "invalid", "请选择本组织党员或填写兼职委员姓名，不要同时填写"
		    " (either the member or a part-time member's name)", "name");
		return;
	}
	if (dom_committee_add(c->w->r, c->w->operator_name, &q, dry_run, &d, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_COMMITTEE_MEMBER);
		return;
	}
	reply_done(c, dry_run ? 200 : 201, dry_run ? NULL : d.id, &d);
}

static void api_committee_add(struct call *c) { seat_add(c, false); }
static void api_committee_add_check(struct call *c) { seat_add(c, true); }

/* POST /api/committee/end: id, date. */
static void
api_committee_end(struct call *c)
{
	struct dom_error e;
	bool bad = false;
	const char *id = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);
	const char *date = bounded(web_field(c, "date"), 10, &bad);

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_committee_end(c->w->r, c->w->operator_name, id ? id : "", date, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_COMMITTEE_MEMBER);
		return;
	}
	reply_done(c, 200, id, NULL);
}

/* GET /api/committee/centers[?org=ID][&all=1] */
static void
api_centers(struct call *c)
{
	struct dom_center_query q = { 0 };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (!list_args(c, &q.org_id, &q.all) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kint(&j, "max_households", DOM_CENTER_MAX_HOUSEHOLDS);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_center_list(c->w->r, &q, put_center, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* GET /api/committee/center?id=CENTER_ID */
static void
api_center(struct call *c)
{
	bool bad = false;
	const char *id = bounded(web_arg(c, "id"), ID_TEXT_LEN, &bad);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (bad || id == NULL) {
		web_reply_error(c->req, 404, "not_found", "未找到党员中心户 no such center", NULL);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "center");
	if (dom_center_get(c->w->r, id, put_center, &j, &e) != 0)
		goto failed;
	jw_key(&j, "households");
	jw_arr(&j);
	if (dom_center_households(c->w->r, id, put_household, &j, &e) != 0)
		goto failed;
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
	return;
failed:
	evbuffer_free(b);
	web_reply_dom_error(c, &e, -1);
}

/* POST /api/committee/center/add: member, grid, address, from, note. */
static void
api_center_add(struct call *c)
{
	struct dom_center_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	bool bad = false;

	q.member_id = bounded(web_field(c, "member"), ID_TEXT_LEN, &bad);
	q.grid = bounded(web_field(c, "grid"), DOM_CENTER_GRID_MAX, &bad);
	q.address = bounded(web_field(c, "address"), DOM_CENTER_ADDRESS_MAX, &bad);
	q.from = bounded(web_field(c, "from"), 10, &bad);
	q.note = bounded(web_field(c, "note"), DOM_COMMITTEE_NOTE_MAX, &bad);
	if (bad) {
		too_long(c);
		return;
	}
	if (dom_center_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_CENTER_HOUSEHOLD);
		return;
	}
	reply_done(c, 201, id, NULL);
}

/* POST /api/committee/center/cover: id, name, address, phone, note. */
static void
api_center_cover(struct call *c)
{
	struct dom_household_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	bool bad = false;
	const char *cid = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);

	q.head_name = bounded(web_field(c, "name"), DOM_COMMITTEE_NAME_MAX, &bad);
	q.address = bounded(web_field(c, "address"), DOM_CENTER_ADDRESS_MAX, &bad);
	q.phone = bounded(web_field(c, "phone"), DOM_CENTER_PHONE_MAX, &bad);
	q.note = bounded(web_field(c, "note"), DOM_COMMITTEE_NOTE_MAX, &bad);
	if (bad) {
		too_long(c);
		return;
	}
	if (dom_center_cover(c->w->r, c->w->operator_name, cid ? cid : "", &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_COVERED_HOUSEHOLD);
		return;
	}
	reply_done(c, 201, id, NULL);
}

/* POST /api/committee/center/end: id, date. */
static void
api_center_end(struct call *c)
{
	struct dom_error e;
	bool bad = false;
	const char *id = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);
	const char *date = bounded(web_field(c, "date"), 10, &bad);

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_center_end(c->w->r, c->w->operator_name, id ? id : "", date, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_CENTER_HOUSEHOLD);
		return;
	}
	reply_done(c, 200, id, NULL);
}

const struct web_route web_routes_committee[] = {
	{ EVHTTP_REQ_GET, "/api/committee", api_committee },
	{ EVHTTP_REQ_GET, "/api/committee/org", api_committee_org },
	{ EVHTTP_REQ_GET, "/api/committee/member", api_committee_member },
	{ EVHTTP_REQ_POST, "/api/committee/add", api_committee_add },
	{ EVHTTP_REQ_POST, "/api/committee/add/check", api_committee_add_check },
	{ EVHTTP_REQ_POST, "/api/committee/end", api_committee_end },
	{ EVHTTP_REQ_GET, "/api/committee/centers", api_centers },
	{ EVHTTP_REQ_GET, "/api/committee/center", api_center },
	{ EVHTTP_REQ_POST, "/api/committee/center/add", api_center_add },
	{ EVHTTP_REQ_POST, "/api/committee/center/cover", api_center_cover },
	{ EVHTTP_REQ_POST, "/api/committee/center/end", api_center_end },
	{ 0, NULL, NULL },
};
