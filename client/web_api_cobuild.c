/*
 * web_api_cobuild.c - the desk's API for co-building (issue 14): resident
 * units (驻区单位) and co-building agreements (共建协议), 微心愿 and
 * 民情回音壁: the same domain operations as tongxin unit, wish and feedback
 * (dom_unit.h, dom_wish.h, dom_feedback.h); no SQL here.
 *
 *   GET  /api/units[?all=1]               units (all: also those that left), with kinds
 *   GET  /api/units/show?id=              one unit (id or handle) and its agreements
 *   POST /api/units/add                   name, kind, credit_code, ... , org_id (community)
 *   POST /api/units/edit                  id and the items that change ("" clears)
 *   GET  /api/agreements[?all=1]          agreements (all: also ended ones)
 *   POST /api/agreements/add              unit (id, handle or credit code), org_id, signed_on, ...
 *   POST /api/agreements/end              id, date
 *   POST /api/agreements/delete           id
 *   GET  /api/wishes[?status=&month=]     wishes, with the statuses
 *   GET  /api/wishes/show?id=             one wish
 *   POST /api/wishes/add                  org_id, resident_name, household, grid, wish, value, posted_on
 *   POST /api/wishes/claim                id, one of member (handle), unit (handle), branch (code); date
 *   POST /api/wishes/fulfil               id, date, photo, note
 *   POST /api/wishes/cancel               id, note
 *   GET  /api/wishes/report[?year=]       per organisation and month (.csv: table.c's one writer)
 *   GET  /api/feedback[?status=]          opinions, with sources, categories, statuses
 *   GET  /api/feedback/show?id=           one opinion
 *   POST /api/feedback/add                org_id, content, source, category, resident_name, ...
 *   POST /api/feedback/assign             id, member (handle) or handler (a name)
 *   POST /api/feedback/reply              id, reply, date
 *   POST /api/feedback/close              id
 *   GET  /api/feedback/overdue[?as_of=]   not replied within FEEDBACK_REPLY_DAYS (.csv too)
 *
 * Refusals are the domain's messages: 404 for a record that is not here,
 * 422 for a value or a state the rules refuse (with the item as "field"
 * when the domain names one); nothing is written then. Every argument is
 * bounded before it reaches the domain (the schema's column sizes).
 */
#include "web_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dom_cob.h"
#include "dom_dues.h"
#include "dom_feedback.h"
#include "dom_handle.h"
#include "dom_unit.h"
#include "dom_wish.h"
#include "table.h"
#include "validate.h"
#include "vocab.h"

/* The longest handle or id the API reads (an id is ID_TEXT_LEN; a credit code 18). */
#define COB_HANDLE_MAX 200

/* The form field named after column col of table t, bounded by the column's size. */
static const char *
fcol(struct web_args *a, int t, const char *col)
{
	const struct col_def *cd = web_col(t, col);

	return web_fld(a, col, cd->max_len > 0 ? (size_t)cd->max_len : 32);
}

/* "key": {id, code, name, visible}: an organisation as this replica sees it. */
static void
put_org(struct jw *j, const char *key, const char *id, const char *code, const char *name)
{
	jw_key(j, key);
	if (id == NULL) {
		jw_null(j);
		return;
	}
	jw_obj(j);
	jw_kstr(j, "id", id);
	jw_kstr(j, "code", code);
	jw_kstr(j, "name", name);
	jw_kbool(j, "visible", name != NULL);
	jw_end_obj(j);
}

/* "key": [{code, label}]: the vocabulary of column col of table t (the form's choices). */
static void
put_options(struct jw *j, const char *key, int t, const char *col)
{
	const struct vocab *v = vocab_of_col(web_col(t, col));

	jw_key(j, key);
	jw_arr(j);
	for (size_t i = 0; v != NULL && i < v->n; i++) {
		jw_obj(j);
		jw_kstr(j, "code", v->store_label ? v->entries[i].label : v->entries[i].code);
		jw_kstr(j, "label", v->entries[i].label);
		jw_end_obj(j);
	}
	jw_end_arr(j);
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

/*
 * Send table t as the one CSV writer makes it (formula cells neutralised),
 * a download named ascii (fallback) and utf8 (percent-encoded, RFC 5987).
 * Frees t.
 */
static void
send_csv(struct call *c, struct table *t, const char *ascii, const char *utf8)
{
	char disp[400];

	web_csv_disposition(disp, sizeof disp, ascii, utf8);
	web_reply_csv(c, t, disp);
}

/* --- resident units ------------------------------------------------------- */

static void
put_unit(const struct dom_unit_row *u, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", u->id);
	jw_kstr(j, "handle", dom_short(u->id));
	jw_kstr(j, "name", u->name);
	web_jw_coded(j, "kind", web_col(TBL_RESIDENT_UNIT, "kind"), u->kind);
	jw_kstr(j, "credit_code", u->credit_code);
	jw_kstr(j, "party_org", u->party_org);
	jw_key(j, "party_members");
	if (u->party_members < 0)
		jw_null(j);
	else
		jw_int(j, u->party_members);
	jw_kstr(j, "contact_name", u->contact_name);
	jw_kstr(j, "contact_phone", u->contact_phone);
	jw_kstr(j, "address", u->address);
	jw_kstr(j, "joined_on", u->joined_on);
	jw_kstr(j, "left_on", u->left_on);
	jw_kstr(j, "note", u->note);
	put_org(j, "community", u->org_id, u->org_code, u->org_name);
	/* 本社区: it sits in one of this replica's organisations and is edited here. */
	jw_kbool(j, "own", u->own);
	jw_kint(j, "agreements", u->agreements);
	jw_kint(j, "part_timers", u->part_timers);
	jw_end_obj(j);
}

/* GET /api/units[?all=1] */
static void
api_units(struct call *c)
{
	const char *all = web_arg(c, "all");
	struct dom_error e;
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	put_options(&j, "kinds", TBL_RESIDENT_UNIT, "kind");
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_unit_list(c->w->r, all && strcmp(all, "1") == 0, put_unit, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
put_agreement(const struct dom_agreement_row *g, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", g->id);
	jw_kstr(j, "handle", dom_short(g->id));
	put_org(j, "community", g->org_id, g->org_code, g->org_name);
	jw_kstr(j, "unit_id", g->unit_id);
	jw_kstr(j, "unit_name", g->unit_name);   /* null: not here yet (after the next sync) */
	jw_kstr(j, "unit_code", g->unit_code);
	jw_kstr(j, "signed_on", g->signed_on);
	jw_kstr(j, "ends_on", g->ends_on);
	jw_kstr(j, "ended_on", g->ended_on);
	jw_kstr(j, "unit_commits", g->unit_commits);
	jw_kstr(j, "community_commits", g->community_commits);
	jw_kstr(j, "note", g->note);
	jw_kbool(j, "in_force", g->in_force);
	jw_end_obj(j);
}

/* GET /api/units/show?id=ID|HANDLE: the unit and every agreement with it. */
static void
api_unit_show(struct call *c)
{
	struct web_args a = { .c = c };
	const char *h = web_qarg(&a, "id", COB_HANDLE_MAX);
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_handle_of(&a, dom_unit_handle, h, id) != 0)
		return;
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_options(&j, "kinds", TBL_RESIDENT_UNIT, "kind");
	jw_key(&j, "unit");
	if (dom_unit_get(c->w->r, id, put_unit, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_key(&j, "agreements");
	jw_arr(&j);
	if (dom_agreement_list(c->w->r, id, true, put_agreement, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* The unit form's items (schema names), each bounded by its column. */
static void
unit_req(struct web_args *a, struct dom_unit_req *q)
{
	memset(q, 0, sizeof *q);
	q->name = fcol(a, TBL_RESIDENT_UNIT, "name");
	q->kind = fcol(a, TBL_RESIDENT_UNIT, "kind");
	q->credit_code = fcol(a, TBL_RESIDENT_UNIT, "credit_code");
	q->party_org = fcol(a, TBL_RESIDENT_UNIT, "party_org");
	q->party_members = fcol(a, TBL_RESIDENT_UNIT, "party_members");
	q->contact_name = fcol(a, TBL_RESIDENT_UNIT, "contact_name");
	q->contact_phone = fcol(a, TBL_RESIDENT_UNIT, "contact_phone");
	q->address = fcol(a, TBL_RESIDENT_UNIT, "address");
	q->joined_on = fcol(a, TBL_RESIDENT_UNIT, "joined_on");
	q->left_on = fcol(a, TBL_RESIDENT_UNIT, "left_on");
	q->note = fcol(a, TBL_RESIDENT_UNIT, "note");
}

/* POST /api/units/add: the unit's items; org_id the community (default: this device's). */
static void
api_unit_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_unit_req q;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	const char *org;

	unit_req(&a, &q);
	org = web_fld(&a, "org_id", ID_TEXT_LEN);
	if (web_too_long(&a))
		return;
	q.community_id = dom_given(org);
	if (dom_unit_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_RESIDENT_UNIT);
		return;
	}
	reply_done(c, 201, id);
}

/* POST /api/units/edit: id (or handle); the items sent change, "" clears one. */
static void
api_unit_edit(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_unit_req q;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	const char *h;

	unit_req(&a, &q);
	h = web_fld(&a, "id", COB_HANDLE_MAX);
	if (web_too_long(&a))
		return;
	if (dom_unit_handle(c->w->r, h ? h : "", id, &e) != 0 ||
	    dom_unit_edit(c->w->r, c->w->operator_name, id, &q, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_RESIDENT_UNIT);
		return;
	}
	reply_done(c, 200, id);
}

/* GET /api/agreements[?all=1] */
static void
api_agreements(struct call *c)
{
	const char *all = web_arg(c, "all");
	struct dom_error e;
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_agreement_list(c->w->r, NULL, all && strcmp(all, "1") == 0, put_agreement, &j,
	    &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/*
 * POST /api/agreements/add: unit (its id, handle or credit code; a unit of
 * another community not held here by its credit code), org_id (the signing
 * community; default this device's), signed_on, ends_on, unit_commits,
 * community_commits, note.
 */
static void
api_agreement_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_agreement_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	const char *org;

	q.unit = web_fld(&a, "unit", COB_HANDLE_MAX);
	org = web_fld(&a, "org_id", ID_TEXT_LEN);
	q.signed_on = fcol(&a, TBL_AGREEMENT, "signed_on");
	q.ends_on = fcol(&a, TBL_AGREEMENT, "ends_on");
	q.unit_commits = fcol(&a, TBL_AGREEMENT, "unit_commits");
	q.community_commits = fcol(&a, TBL_AGREEMENT, "community_commits");
	q.note = fcol(&a, TBL_AGREEMENT, "note");
	if (web_too_long(&a))
		return;
	q.community_id = dom_given(org);
	if (!dom_given(q.unit)) {
		web_reply_error(c->req, 422, "missing",
		    "请填写驻区单位（编号、名称或统一社会信用代码） which unit?", "unit");
		return;
	}
	if (dom_agreement_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_AGREEMENT);
		return;
	}
	reply_done(c, 201, id);
}

/* The agreement named by the form's id (full or handle) into id: 0, or -1 having answered. */
static int
agreement_of(struct web_args *a, char id[ID_TEXT_LEN + 1])
{
	const char *h = web_fld(a, "id", COB_HANDLE_MAX);
	struct dom_error e;

	if (web_too_long(a))
		return -1;
	if (dom_row_handle(a->c->w->r, TBL_AGREEMENT, h ? h : "", "共建协议", id, &e) != 0) {
		web_reply_dom_error(a->c, &e, -1);
		return -1;
	}
	return 0;
}

/* POST /api/agreements/end: id, date (default today). */
static void
api_agreement_end(struct call *c)
{
	struct web_args a = { .c = c };
	const char *date = web_fld(&a, "date", 10);
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (agreement_of(&a, id) != 0)
		return;
	if (dom_agreement_end(c->w->r, c->w->operator_name, id, date, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_AGREEMENT);
		return;
	}
	reply_done(c, 200, id);
}

/* POST /api/agreements/delete: id. */
static void
api_agreement_delete(struct call *c)
{
	struct web_args a = { .c = c };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (agreement_of(&a, id) != 0)
		return;
	if (dom_agreement_delete(c->w->r, c->w->operator_name, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_AGREEMENT);
		return;
	}
	reply_done(c, 200, id);
}

/* --- 微心愿 ------------------------------------------------------------------ */

static void
put_wish(const struct dom_wish_row *w, void *arg)
{
	struct jw *j = arg;
	char yuan[32];

	jw_obj(j);
	jw_kstr(j, "id", w->id);
	jw_kstr(j, "handle", dom_short(w->id));
	put_org(j, "org", w->org_id, w->org_code, w->org_name);
	jw_kstr(j, "resident", w->resident);
	jw_kstr(j, "household", w->household);
	jw_kstr(j, "grid", w->grid);
	jw_kstr(j, "wish", w->wish);
	web_jw_coded(j, "status", web_col(TBL_MICRO_WISH, "status"), w->status);
	jw_key(j, "value");                /* fen */
	if (w->value < 0)
		jw_null(j);
	else
		jw_int(j, w->value);
	jw_kstr(j, "value_yuan", w->value < 0 ? NULL : dom_yuan_text(w->value, yuan));
	jw_kstr(j, "posted_on", w->posted_on);
	jw_kstr(j, "claimed_on", w->claimed_on);
	jw_kstr(j, "fulfilled_on", w->fulfilled_on);
	jw_kstr(j, "photo", w->photo);
	jw_kstr(j, "note", w->note);
	jw_key(j, "claimant");
	if (w->claimant_kind == NULL) {
		jw_null(j);
	} else {
		jw_obj(j);
		jw_kstr(j, "kind", w->claimant_kind);
		jw_kstr(j, "label", strcmp(w->claimant_kind, "member") == 0 ? "党员" :
		    strcmp(w->claimant_kind, "unit") == 0 ? "驻区单位" : "支部");
		jw_kstr(j, "name", w->claimant);
		jw_end_obj(j);
	}
	jw_end_obj(j);
}

/* GET /api/wishes[?status=&month=]: the status in any spelling, the month YYYY-MM posted. */
static void
api_wishes(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_wish_query q = { 0 };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	q.status = web_qarg(&a, "status", 32);
	q.month = web_qarg(&a, "month", 7);
	if (web_too_long(&a))
		return;
	if (!dom_given(q.status))
		q.status = NULL;
	if (!dom_given(q.month))
		q.month = NULL;
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_options(&j, "statuses", TBL_MICRO_WISH, "status");
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_wish_list(c->w->r, &q, put_wish, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* GET /api/wishes/show?id=ID|HANDLE */
static void
api_wish_show(struct call *c)
{
	struct web_args a = { .c = c };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_handle_of(&a, dom_wish_handle, web_qarg(&a, "id", COB_HANDLE_MAX), id) != 0 ||
	    (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "wish");
	if (dom_wish_get(c->w->r, id, put_wish, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* POST /api/wishes/add: org_id, resident_name, household, grid, wish, value (元), posted_on. */
static void
api_wish_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_wish_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	q.org_id = web_fld(&a, "org_id", ID_TEXT_LEN);
	q.resident = web_fld(&a, "resident_name", DOM_WISH_NAME_MAX);
	q.household = web_fld(&a, "household", DOM_WISH_HOUSEHOLD_MAX);
	q.grid = web_fld(&a, "grid", DOM_WISH_GRID_MAX);
	q.wish = web_fld(&a, "wish", DOM_WISH_TEXT_MAX);
	q.value = web_fld(&a, "value", 32);
	q.date = web_fld(&a, "posted_on", 10);
	if (web_too_long(&a))
		return;
	if (dom_wish_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_MICRO_WISH);
		return;
	}
	reply_done(c, 201, id);
}

/*
 * POST /api/wishes/claim: id; exactly one claimant: member (a member's
 * handle: id, citizen ID or a name one member has), unit (a unit's handle
 * or credit code) or branch (a branch's code); date (default today).
 */
static void
api_wish_claim(struct call *c)
{
	struct web_args a = { .c = c };
	const char *wh = web_fld(&a, "id", COB_HANDLE_MAX);
	const char *member = web_fld(&a, "member", COB_HANDLE_MAX);
	const char *unit = web_fld(&a, "unit", COB_HANDLE_MAX);
	const char *branch = web_fld(&a, "branch", 32);
	const char *date = web_fld(&a, "date", 10);
	struct dom_claimant who = { 0 };
	char wid[ID_TEXT_LEN + 1], cid[ID_TEXT_LEN + 1];
	struct dom_error e;
	const char *field;

	if (web_handle_of(&a, dom_wish_handle, wh, wid) != 0)
		return;
	if ((dom_given(member) != NULL) + (dom_given(unit) != NULL) + (dom_given(branch) != NULL) != 1) {
		web_reply_error(c->req, 422, "missing",
		    "请选择一个认领人：党员、驻区单位或支部（三者选一） give exactly one claimant", "member");
		return;
	}
	field = dom_given(member) ? "member" : dom_given(unit) ? "unit" : "branch";
	if (dom_claimant_of(c->w->r, dom_given(member), dom_given(unit),
	    branch, dom_cob_branch_kinds, cid, &who, &e) != 0) {
		/* The claimant is an item of the form: not found there is a value refused. */
		web_reply_error(c->req, e.kind == DOM_FAIL ? 500 : 422,
		    e.kind == DOM_FAIL ? "replica" : "invalid", e.msg, field);
		return;
	}
	if (dom_wish_claim(c->w->r, c->w->operator_name, wid, &who, date, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_MICRO_WISH);
		return;
	}
	reply_done(c, 200, wid);
}

/* POST /api/wishes/fulfil: id, date (default today), photo (a reference), note. */
static void
api_wish_fulfil(struct call *c)
{
	struct web_args a = { .c = c };
	const char *wh = web_fld(&a, "id", COB_HANDLE_MAX);
	const char *date = web_fld(&a, "date", 10);
	const char *photo = web_fld(&a, "photo", DOM_WISH_PHOTO_MAX);
	const char *note = web_fld(&a, "note", DOM_WISH_NOTE_MAX);
	char wid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_handle_of(&a, dom_wish_handle, wh, wid) != 0)
		return;
	if (dom_wish_fulfil(c->w->r, c->w->operator_name, wid, date, photo, note, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_MICRO_WISH);
		return;
	}
	reply_done(c, 200, wid);
}

/* POST /api/wishes/cancel: id, note. */
static void
api_wish_cancel(struct call *c)
{
	struct web_args a = { .c = c };
	const char *wh = web_fld(&a, "id", COB_HANDLE_MAX);
	const char *note = web_fld(&a, "note", DOM_WISH_NOTE_MAX);
	char wid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_handle_of(&a, dom_wish_handle, wh, wid) != 0)
		return;
	if (dom_wish_cancel(c->w->r, c->w->operator_name, wid, note, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_MICRO_WISH);
		return;
	}
	reply_done(c, 200, wid);
}

/* The year asked for (this year by default) into year: 0, or -1 having answered 422. */
static int
report_year(struct call *c, char year[11])
{
	struct web_args a = { .c = c };
	const char *y = web_qarg(&a, "year", 4);

	if (a.bad || (dom_given(y) && (strlen(y) != 4 || strspn(y, "0123456789") != 4))) {
		web_reply_error(c->req, 422, "invalid", "年份无效 (YYYY)", "year");
		return -1;
	}
	if (!dom_given(y)) {
		today_str(year);
		year[4] = '\0';
	} else {
		snprintf(year, 11, "%s", y);
	}
	return 0;
}

/* The report's lines and their totals, as JSON. */
struct wish_report {
	struct jw *j;
	int64_t posted, claimed, fulfilled, value;
};

static void
put_wish_month(const struct dom_wish_month *m, void *arg)
{
	struct wish_report *r = arg;
	char yuan[32];

	jw_obj(r->j);
	put_org(r->j, "org", m->org_id, m->org_code, m->org_name);
	jw_kstr(r->j, "month", m->month);
	jw_kint(r->j, "posted", m->posted);
	jw_kint(r->j, "claimed", m->claimed);
	jw_kint(r->j, "fulfilled", m->fulfilled);
	jw_kint(r->j, "value_fulfilled", m->value_fulfilled);
	jw_kstr(r->j, "value_fulfilled_yuan", dom_yuan_text(m->value_fulfilled, yuan));
	jw_end_obj(r->j);
	r->posted += m->posted;
	r->claimed += m->claimed;
	r->fulfilled += m->fulfilled;
	r->value += m->value_fulfilled;
}

/* GET /api/wishes/report[?year=YYYY]: per organisation and month; the year's totals. */
static void
api_wish_report(struct call *c)
{
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;
	struct wish_report r = { .j = &j };
	char year[11], yuan[32];

	if (report_year(c, year) != 0 || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "year", year);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_wish_report(c->w->r, year, put_wish_month, &r, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_key(&j, "total");
	jw_obj(&j);
	jw_kint(&j, "posted", r.posted);
	jw_kint(&j, "claimed", r.claimed);
	jw_kint(&j, "fulfilled", r.fulfilled);
	jw_kint(&j, "value_fulfilled", r.value);
	jw_kstr(&j, "value_fulfilled_yuan", dom_yuan_text(r.value, yuan));
	jw_end_obj(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
csv_wish_month(const struct dom_wish_month *m, void *arg)
{
	char n[3][24], yuan[32];
	const char *cells[7];

	snprintf(n[0], sizeof n[0], "%lld", (long long)m->posted);
	snprintf(n[1], sizeof n[1], "%lld", (long long)m->claimed);
	snprintf(n[2], sizeof n[2], "%lld", (long long)m->fulfilled);
	cells[0] = m->org_code;
	cells[1] = m->org_name;
	cells[2] = m->month;
	cells[3] = n[0];
	cells[4] = n[1];
	cells[5] = n[2];
	cells[6] = dom_yuan_text(m->value_fulfilled, yuan);
	table_add(arg, cells);
}

/* GET /api/wishes/report.csv[?year=YYYY]: 微心愿情况_YYYY.csv. */
static void
api_wish_report_csv(struct call *c)
{
	static const char *const ids[] = { "org_code", "org", "month", "posted", "claimed",
		"fulfilled", "value_fulfilled" };
	static const char *const hdr[] = { "组织编码", "社区或支部", "月份", "征集", "认领",
		"实现", "实现心愿估值（元）" };
	struct dom_error e;
	struct table *t;
	char year[11], ascii[64], utf8[200];

	if (report_year(c, year) != 0)
		return;
	if ((t = table_new(7, ids, hdr)) == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	for (int k = 3; k < 7; k++)
		table_set_number(t, k);
	if (dom_wish_report(c->w->r, year, csv_wish_month, t, &e) != 0) {
		table_free(t);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-wishes-%s.csv", year);
	/* 微心愿情况_YYYY.csv */
	snprintf(utf8, sizeof utf8, "%%E5%%BE%%AE%%E5%%BF%%83%%E6%%84%%BF%%E6%%83%%85%%E5%%86%%B5_%s.csv",
	    year);
	send_csv(c, t, ascii, utf8);
}

/* --- 民情回音壁 ---------------------------------------------------------------- */

static void
put_feedback(const struct dom_feedback_row *f, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", f->id);
	jw_kstr(j, "handle", dom_short(f->id));
	put_org(j, "org", f->org_id, f->org_code, f->org_name);
	jw_kstr(j, "received_on", f->received_on);
	web_jw_coded(j, "source", web_col(TBL_FEEDBACK, "source"), f->source);
	web_jw_coded(j, "category", web_col(TBL_FEEDBACK, "category"), f->category);
	jw_kstr(j, "grid", f->grid);
	jw_kstr(j, "resident", f->resident);
	jw_kstr(j, "phone", f->phone);
	jw_kstr(j, "content", f->content);
	jw_kstr(j, "handler", f->handler);
	web_jw_coded(j, "status", web_col(TBL_FEEDBACK, "status"), f->status);
	jw_kstr(j, "reply", f->reply);
	jw_kstr(j, "replied_on", f->replied_on);
	jw_kstr(j, "note", f->note);
	jw_kstr(j, "due_on", f->due_on);
	jw_kint(j, "days_over", f->days_over);
	jw_end_obj(j);
}

/* The vocabularies a feedback page offers. */
static void
put_feedback_options(struct jw *j)
{
	put_options(j, "sources", TBL_FEEDBACK, "source");
	put_options(j, "categories", TBL_FEEDBACK, "category");
	put_options(j, "statuses", TBL_FEEDBACK, "status");
	jw_kint(j, "reply_days", FEEDBACK_REPLY_DAYS);
}

/* GET /api/feedback[?status=] */
static void
api_feedback(struct call *c)
{
	struct web_args a = { .c = c };
	const char *status = web_qarg(&a, "status", 32);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_feedback_options(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_feedback_list(c->w->r, dom_given(status), put_feedback, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* GET /api/feedback/show?id=ID|HANDLE */
static void
api_feedback_show(struct call *c)
{
	struct web_args a = { .c = c };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_handle_of(&a, dom_feedback_handle, web_qarg(&a, "id", COB_HANDLE_MAX), id) != 0 ||
	    (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_feedback_options(&j);
	jw_key(&j, "opinion");
	if (dom_feedback_get(c->w->r, id, put_feedback, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/*
 * POST /api/feedback/add: org_id, content, source, category (codes or
 * labels), resident_name, resident_phone, grid, received_on.
 */
static void
api_feedback_add(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_feedback_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	q.org_id = web_fld(&a, "org_id", ID_TEXT_LEN);
	q.content = web_fld(&a, "content", DOM_FEEDBACK_CONTENT_MAX);
	q.source = web_fld(&a, "source", 32);
	q.category = web_fld(&a, "category", 32);
	q.resident = web_fld(&a, "resident_name", DOM_FEEDBACK_NAME_MAX);
	q.phone = web_fld(&a, "resident_phone", DOM_FEEDBACK_PHONE_MAX);
	q.grid = web_fld(&a, "grid", DOM_FEEDBACK_GRID_MAX);
	q.date = web_fld(&a, "received_on", 10);
	if (web_too_long(&a))
		return;
	if (dom_feedback_add(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_FEEDBACK);
		return;
	}
	reply_done(c, 201, id);
}

/* POST /api/feedback/assign: id; member (a member's handle) or handler (a person's name). */
static void
api_feedback_assign(struct call *c)
{
	struct web_args a = { .c = c };
	const char *fh = web_fld(&a, "id", COB_HANDLE_MAX);
	const char *member = web_fld(&a, "member", COB_HANDLE_MAX);
	const char *handler = web_fld(&a, "handler", DOM_FEEDBACK_NAME_MAX);
	char fid[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_handle_of(&a, dom_feedback_handle, fh, fid) != 0)
		return;
	if (dom_given(member) && dom_member_handle(c->w->r, member, mid, &e) != 0) {
		web_reply_error(c->req, e.kind == DOM_FAIL ? 500 : 422,
		    e.kind == DOM_FAIL ? "replica" : "invalid", e.msg, "member");
		return;
	}
	if (dom_feedback_assign(c->w->r, c->w->operator_name, fid, dom_given(member) ? mid : NULL,
	    dom_given(handler), &e) != 0) {
		web_reply_dom_error(c, &e, TBL_FEEDBACK);
		return;
	}
	reply_done(c, 200, fid);
}

/* POST /api/feedback/reply: id, reply, date (default today). */
static void
api_feedback_reply(struct call *c)
{
	struct web_args a = { .c = c };
	const char *fh = web_fld(&a, "id", COB_HANDLE_MAX);
	const char *reply = web_fld(&a, "reply", DOM_FEEDBACK_REPLY_MAX);
	const char *date = web_fld(&a, "date", 10);
	char fid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_handle_of(&a, dom_feedback_handle, fh, fid) != 0)
		return;
	if (dom_feedback_reply(c->w->r, c->w->operator_name, fid, reply, date, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_FEEDBACK);
		return;
	}
	reply_done(c, 200, fid);
}

/* POST /api/feedback/close: id. */
static void
api_feedback_close(struct call *c)
{
	struct web_args a = { .c = c };
	const char *fh = web_fld(&a, "id", COB_HANDLE_MAX);
	char fid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_handle_of(&a, dom_feedback_handle, fh, fid) != 0)
		return;
	if (dom_feedback_close(c->w->r, c->w->operator_name, fid, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_FEEDBACK);
		return;
	}
	reply_done(c, 200, fid);
}

/* The overdue list's date (as_of, default today) into day: 0, or -1 having answered 422. */
static int
overdue_day(struct call *c, char day[11])
{
	struct web_args a = { .c = c };
	const char *s = web_qarg(&a, "as_of", 10);

	if (a.bad) {
		web_reply_error(c->req, 422, "invalid", "日期无效 (YYYY-MM-DD)", "as_of");
		return -1;
	}
	if (dom_given(s))
		snprintf(day, 11, "%s", s);
	else
		today_str(day);
	return 0;
}

/* GET /api/feedback/overdue[?as_of=YYYY-MM-DD]: most overdue first. */
static void
api_feedback_overdue(struct call *c)
{
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;
	char day[11];

	if (overdue_day(c, day) != 0 || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "as_of", day);
	jw_kint(&j, "reply_days", FEEDBACK_REPLY_DAYS);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_feedback_overdue(c->w->r, day, put_feedback, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
csv_feedback(const struct dom_feedback_row *f, void *arg)
{
	char days[24];
	const char *cells[11];

	snprintf(days, sizeof days, "%lld", (long long)f->days_over);
	cells[0] = dom_short(f->id);
	cells[1] = f->org_name ? f->org_name : f->org_code;
	cells[2] = f->received_on;
	cells[3] = f->due_on;
	cells[4] = days;
	cells[5] = f->source;
	cells[6] = f->category;
	cells[7] = f->grid;
	cells[8] = f->content;
	cells[9] = f->handler;
	cells[10] = f->status;
	table_add(arg, cells);
}

/*
 * GET /api/feedback/overdue.csv[?as_of=]: 逾期未回音_DATE.csv. The
 * resident's name and phone (personal data) stay out of the file.
 */
static void
api_feedback_overdue_csv(struct call *c)
{
	static const char *const ids[] = { "handle", "org", "received_on", "due_on", "days_over",
		"source", "category", "grid", "content", "handler", "status" };
	static const char *const hdr[] = { "简号", "社区或支部", "收集日期", "应回音日期",
		"逾期天数", "来源", "类别", "网格", "反映内容", "承办人", "状态" };
	struct dom_error e;
	struct table *t;
	char day[11], ascii[64], utf8[200];

	if (overdue_day(c, day) != 0)
		return;
	if ((t = table_new(11, ids, hdr)) == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	table_set_number(t, 4);
	table_set_col(t, 5, web_col(TBL_FEEDBACK, "source"));
	table_set_col(t, 6, web_col(TBL_FEEDBACK, "category"));
	table_set_col(t, 10, web_col(TBL_FEEDBACK, "status"));
	if (dom_feedback_overdue(c->w->r, day, csv_feedback, t, &e) != 0) {
		table_free(t);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-feedback-overdue-%s.csv", day);
	/* 逾期未回音_DATE.csv */
	snprintf(utf8, sizeof utf8, "%%E9%%80%%BE%%E6%%9C%%9F%%E6%%9C%%AA%%E5%%9B%%9E%%E9%%9F%%B3_%s.csv",
	    day);
	send_csv(c, t, ascii, utf8);
}

const struct web_route web_routes_cobuild[] = {
	{ EVHTTP_REQ_GET, "/api/units", api_units },
	{ EVHTTP_REQ_GET, "/api/units/show", api_unit_show },
	{ EVHTTP_REQ_POST, "/api/units/add", api_unit_add },
	{ EVHTTP_REQ_POST, "/api/units/edit", api_unit_edit },
	{ EVHTTP_REQ_GET, "/api/agreements", api_agreements },
	{ EVHTTP_REQ_POST, "/api/agreements/add", api_agreement_add },
	{ EVHTTP_REQ_POST, "/api/agreements/end", api_agreement_end },
	{ EVHTTP_REQ_POST, "/api/agreements/delete", api_agreement_delete },
	{ EVHTTP_REQ_GET, "/api/wishes", api_wishes },
	{ EVHTTP_REQ_GET, "/api/wishes/show", api_wish_show },
	{ EVHTTP_REQ_POST, "/api/wishes/add", api_wish_add },
	{ EVHTTP_REQ_POST, "/api/wishes/claim", api_wish_claim },
	{ EVHTTP_REQ_POST, "/api/wishes/fulfil", api_wish_fulfil },
	{ EVHTTP_REQ_POST, "/api/wishes/cancel", api_wish_cancel },
	{ EVHTTP_REQ_GET, "/api/wishes/report", api_wish_report },
	{ EVHTTP_REQ_GET, "/api/wishes/report.csv", api_wish_report_csv },
	{ EVHTTP_REQ_GET, "/api/feedback", api_feedback },
	{ EVHTTP_REQ_GET, "/api/feedback/show", api_feedback_show },
	{ EVHTTP_REQ_POST, "/api/feedback/add", api_feedback_add },
	{ EVHTTP_REQ_POST, "/api/feedback/assign", api_feedback_assign },
	{ EVHTTP_REQ_POST, "/api/feedback/reply", api_feedback_reply },
	{ EVHTTP_REQ_POST, "/api/feedback/close", api_feedback_close },
	{ EVHTTP_REQ_GET, "/api/feedback/overdue", api_feedback_overdue },
	{ EVHTTP_REQ_GET, "/api/feedback/overdue.csv", api_feedback_overdue_csv },
	{ 0, NULL, NULL },
};
