/*
 * web_api_life.c - the desk's API for the end of membership (党员减少) and
 * discipline (党纪处分): the same domain operations as tongxin member
 * leave / discipline / sanctions / history (dom_life.h). No SQL here.
 *
 *   GET  /api/member/life?id=MEMBER     the member's reduction (or null), the
 *                                       vocabularies the forms offer, the
 *                                       sanctions and the history in date order
 *   POST /api/member/leave[/check]      id, reason, date, note
 *   POST /api/member/discipline[/check] id, kind, decided_on, decided_by,
 *                                       grounds, until, note
 *
 * A /check runs the same rules in the replica's transaction and rolls back:
 * its "no" is an answer (200, ok false, the field), not a failed request.
 * A refusal names the form's field so the page shows it beside the box.
 */
#include "web_api.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "dom_life.h"
#include "value.h"
#include "vocab.h"

/* A vocabulary's entries as [{code, label}]. */
static void
put_vocab(struct jw *j, const char *key, const char *name)
{
	const struct vocab *v = vocab_get(name);

	jw_key(j, key);
	jw_arr(j);
	for (size_t i = 0; v && i < v->n; i++) {
		jw_obj(j);
		jw_kstr(j, "code", v->entries[i].code);
		jw_kstr(j, "label", v->entries[i].label);
		jw_end_obj(j);
	}
	jw_end_arr(j);
}

/* Answer a refused write: a check's "no" (200), else 422/404/500 with the field. */
static void
reply_refused(struct call *c, const struct dom_error *e, const char *field, bool dry_run)
{
	struct jw j;
	struct evbuffer *b;

	if (!dry_run || (e->kind != DOM_INVALID && e->kind != DOM_MISSING)) {
		if (e->kind == DOM_INVALID || e->kind == DOM_MISSING)
			web_reply_error(c->req, 422, e->kind == DOM_MISSING ? "missing" : "invalid",
			    e->msg, field);
		else
			web_reply_dom_error(c, e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", false);
	jw_kstr(&j, "error", e->kind == DOM_MISSING ? "missing" : "invalid");
	jw_kstr(&j, "message", e->msg);
	jw_kstr(&j, "field", field);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* A write's success: {ok, saved, id}. */
static void
reply_saved(struct call *c, const char *id, bool dry_run)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kbool(&j, "saved", !dry_run);
	if (!dry_run && id)
		jw_kstr(&j, "id", id);
	jw_end_obj(&j);
	web_reply_json(c->req, dry_run ? 200 : 201, b);
}

/* Refuse any form field but the allowed ones (400). true when all are known. */
static bool
fields_known(struct call *c, const char *const *allowed)
{
	for (struct evkeyval *kv = c->form.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, kv->key) == 0;
		if (!ok) {
			web_reply_error(c->req, 400, "unknown_field", "未知项目 unknown field", kv->key);
			return false;
		}
	}
	return true;
}

/* --- GET /api/member/life?id= ----------------------------------------------- */

static void
put_sanction(const struct dom_sanction_row *s, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", s->id);
	web_jw_coded(j, "kind", web_col(TBL_DISCIPLINE, "kind"), s->kind);
	jw_kstr(j, "decided_on", s->decided_on);
	jw_kstr(j, "decided_by", s->decided_by);
	jw_kstr(j, "grounds", s->grounds);
	jw_kstr(j, "until", s->until);
	jw_kstr(j, "note", s->note);
	jw_end_obj(j);
}

static void
put_event(const struct dom_life_event *ev, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "date", ev->date);
	jw_kstr(j, "event", ev->event);
	jw_kstr(j, "title", ev->title);
	jw_kstr(j, "detail", ev->detail);
	jw_end_obj(j);
}

/* The member's reduction from its row: {reason, on, note} or null. */
static int
put_left(struct call *c, struct jw *j, const char *id, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value vals[DOM_MAX_COLS];
	char org[256], rep[256];
	int cr = schema_col_index(td, "left_reason"), co = schema_col_index(td, "left_on");
	int cn = schema_col_index(td, "left_note");

	memset(vals, 0, sizeof vals);
	if (dom_member_get(c->w->r, id, vals, org, rep, e) != 0)
		return -1;
	jw_key(j, "left");
	if (vals[cr].kind_case != TONGXIN__VALUE__KIND_S) {
		jw_null(j);
	} else {
		jw_obj(j);
		web_jw_coded(j, "reason", &td->cols[cr], vals[cr].s);
		jw_kstr(j, "on", vals[co].kind_case == TONGXIN__VALUE__KIND_S ? vals[co].s : NULL);
		jw_kstr(j, "note", vals[cn].kind_case == TONGXIN__VALUE__KIND_S ? vals[cn].s : NULL);
		jw_end_obj(j);
	}
	for (int k = 0; k < DOM_MAX_COLS; k++)
		value_clear(&vals[k]);
	return 0;
}

static void
api_life(struct call *c)
{
	const struct table_def *td = &schema_tables[TBL_DISCIPLINE];
	const char *id = web_arg(c, "id");
	struct dom_error e;
	bool more = false;
	struct jw j;
	struct evbuffer *b;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	if (put_left(c, &j, id ? id : "", &e) != 0)
		goto refused;
	put_vocab(&j, "reasons", "leave_reason");
	put_vocab(&j, "kinds", "discipline_kind");
	jw_key(&j, "labels");
	jw_obj(&j);
	for (int k = 0; k < td->ncols; k++)
		jw_kstr(&j, td->cols[k].name, td->cols[k].label);
	jw_end_obj(&j);
	jw_key(&j, "sanctions");
	jw_arr(&j);
	if (dom_discipline_list(c->w->r, id, put_sanction, &j, &more, &e) != 0)
		goto refused;
	jw_end_arr(&j);
	jw_kbool(&j, "more", more);
	jw_key(&j, "history");
	jw_arr(&j);
	if (dom_member_history(c->w->r, id, put_event, &j, &e) != 0)
		goto refused;
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
	return;
refused:
	evbuffer_free(b);
	web_reply_dom_error(c, &e, -1);
}

/* --- POST /api/member/leave[/check] ------------------------------------------ */

static void
leave_write(struct call *c, bool dry_run)
{
	static const char *const allowed[] = { "id", "reason", "date", "note", NULL };
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	struct dom_leave l = { .reason = web_field(c, "reason"), .date = web_field(c, "date"),
		.note = web_field(c, "note") };
	const char *id = web_field(c, "id"), *field = NULL, *col;
	struct dom_error e;

	if (!fields_known(c, allowed))
		return;
	if (dom_member_leave(c->w->r, c->w->operator_name, id ? id : "", &l, dry_run, &e) != 0) {
		if (e.col >= 0) {
			col = td->cols[e.col].name;
			field = strcmp(col, "left_on") == 0 ? "date" : strcmp(col, "left_note") == 0 ?
			    "note" : strcmp(col, "left_reason") == 0 ? "reason" : NULL;
		}
		reply_refused(c, &e, field, dry_run);
		return;
	}
	reply_saved(c, id, dry_run);
}

static void api_leave(struct call *c) { leave_write(c, false); }
static void api_leave_check(struct call *c) { leave_write(c, true); }

/* --- POST /api/member/discipline[/check] ------------------------------------- */

static void
discipline_write(struct call *c, bool dry_run)
{
	static const char *const allowed[] = { "id", "kind", "decided_on", "decided_by", "grounds",
		"until", "note", NULL };
	const struct table_def *td = &schema_tables[TBL_DISCIPLINE];
	struct dom_sanction s = { .kind = web_field(c, "kind"),
		.decided_on = web_field(c, "decided_on"), .decided_by = web_field(c, "decided_by"),
		.grounds = web_field(c, "grounds"), .until = web_field(c, "until"),
		.note = web_field(c, "note") };
	const char *id = web_field(c, "id");
	char did[ID_TEXT_LEN + 1] = "";
	struct dom_error e;

	if (!fields_known(c, allowed))
		return;
	if (dom_discipline_add(c->w->r, c->w->operator_name, id ? id : "", &s, dry_run, did,
	    &e) != 0) {
		/* member_id is the page's own, not a box: its refusals show as the form's. */
		reply_refused(c, &e, e.col >= 0 && strcmp(td->cols[e.col].name, "member_id") != 0 ?
		    td->cols[e.col].name : NULL, dry_run);
		return;
	}
	reply_saved(c, did, dry_run);
}

static void api_discipline(struct call *c) { discipline_write(c, false); }
static void api_discipline_check(struct call *c) { discipline_write(c, true); }

const struct web_route web_routes_life[] = {
	{ EVHTTP_REQ_GET, "/api/member/life", api_life },
	{ EVHTTP_REQ_POST, "/api/member/leave", api_leave },
	{ EVHTTP_REQ_POST, "/api/member/leave/check", api_leave_check },
	{ EVHTTP_REQ_POST, "/api/member/discipline", api_discipline },
	{ EVHTTP_REQ_POST, "/api/member/discipline/check", api_discipline_check },
	{ 0, NULL, NULL },
};
