/*
 * web_api_develop.c - the desk's API for the development pipeline (发展党员)
 * and probation (转正, 延长预备期): the same domain operations as
 * tongxin develop and member promote/extend (dom_develop.h); no SQL here.
 *
 *   GET  /api/develop?stage=&org=        the applicants, with the stages
 *   GET  /api/applicant?id=              one applicant's items
 *   POST /api/develop[/check]            add an applicant (fields: applicant columns)
 *   POST /api/develop/STEP[/check]       activist, candidate, admit: id, meeting,
 *                                        date, and for admit education/address/phone/job
 *   POST /api/develop/stop               id, note
 *   GET  /api/develop/meetings?org=&step= the meetings that may decide the step
 *   GET  /api/develop/due?month=         who is due or overdue (develop due)
 *   GET  /api/probation?id=MEMBER        a member's probation at a glance
 *   POST /api/member/promote[/check]     id, meeting, date
 *   POST /api/member/extend[/check]      id, meeting, until
 * A refusal names the form's field: a column name when adding, else
 * meeting, date, until or education.
 */
#include "web_api.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "dom_develop.h"
#include "dom_handle.h"
#include "dom_work.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

/* The most rows a list answers with; the page says when there were more. */
#define DEV_LIST_MAX 2000
/* The most meetings a step's select offers. */
#define DEV_MEETINGS_MAX 200

/* --- answers -------------------------------------------------------------- */

/* A check's "no" (200, ok false, field), as web_api_work.c answers it. */
static void
reply_check_no(struct call *c, const struct dom_error *e, const char *field)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", false);
	jw_kstr(&j, "error", e->kind == DOM_MISSING ? "missing" : "invalid");
	jw_kstr(&j, "message", e->msg);
	jw_kstr(&j, "field", field);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* A refused write: a check's "no", else 422 with the field, 404 or 500. */
static void
reply_refused(struct call *c, const struct dom_error *e, const char *field, bool dry_run)
{
	if (dry_run && (e->kind == DOM_INVALID || e->kind == DOM_MISSING)) {
		reply_check_no(c, e, field);
		return;
	}
	if (e->kind == DOM_INVALID || e->kind == DOM_MISSING) {
		web_reply_error(c->req, 422, e->kind == DOM_MISSING ? "missing" : "invalid", e->msg,
		    field);
		return;
	}
	web_reply_dom_error(c, e, -1);
}

/* A write's success: {ok, saved, id, member_id}. */
static void
reply_saved(struct call *c, const char *id, const char *member_id, bool dry_run)
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
	if (!dry_run && member_id && member_id[0])
		jw_kstr(&j, "member_id", member_id);
	jw_end_obj(&j);
	web_reply_json(c->req, dry_run ? 200 : 201, b);
}

/* --- GET /api/develop -------------------------------------------------------- */

struct list_out {
	struct jw *j;
	int n;
};

static void
put_dev_row(const struct dom_dev_row *d, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	if (++o->n > DEV_LIST_MAX)
		return;
	jw_obj(j);
	jw_kstr(j, "id", d->id);
	jw_kstr(j, "handle", d->id ? dom_short(d->id) : NULL);
	jw_kstr(j, "name", d->name);
	web_jw_coded(j, "gender", web_col(TBL_APPLICANT, "gender"), d->gender);
	web_jw_coded(j, "stage", web_col(TBL_APPLICANT, "stage"), d->stage);
	jw_kstr(j, "org_id", d->org_id);
	jw_kstr(j, "org_name", d->org_name);
	jw_kstr(j, "applied_on", d->applied_on);
	jw_kstr(j, "activist_on", d->activist_on);
	jw_kstr(j, "candidate_on", d->candidate_on);
	jw_kstr(j, "admitted_on", d->admitted_on);
	jw_kstr(j, "member_id", d->member_id);
	jw_kstr(j, "candidate_from", d->next_on);
	jw_kstr(j, "note", d->note);
	jw_end_obj(j);
}

static void
api_develop(struct call *c)
{
	const struct vocab *v = vocab_get("dev_stage");
	struct dom_dev_query q = { .stage = web_arg(c, "stage"), .org_id = web_arg(c, "org") };
	struct list_out o = { 0 };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	o.j = &j;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_dev_list(c->w->r, &q, put_dev_row, &o, &e) != 0) {
		evbuffer_free(b);
		if (e.kind == DOM_INVALID)
			web_reply_error(c->req, 422, "invalid", e.msg, "stage");
		else
			web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "total", o.n);
	jw_kbool(&j, "more", o.n > DEV_LIST_MAX);
	jw_key(&j, "stages");
	jw_arr(&j);
	for (size_t i = 0; v && i < v->n; i++) {
		jw_obj(&j);
		jw_kstr(&j, "code", v->entries[i].code);
		jw_kstr(&j, "label", v->entries[i].label);
		jw_end_obj(&j);
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/applicant?id= ---------------------------------------------------- */

/* A meeting reference as the clerk reads it: "2024-03-15 支委会：topic", else the short handle. */
static const char *
meeting_shown(struct call *c, const char *id, char *buf, size_t cap)
{
	const struct table_def *tm = &schema_tables[TBL_MEETING];
	Tongxin__Value mv[DOM_MAX_COLS];
	char org_name[256], org_code[65];
	int counts[3];
	struct dom_error e;
	const Tongxin__Value *on, *kind, *topic;

	if (dom_meeting_get(c->w->r, id, mv, org_name, org_code, counts, NULL, NULL, &e) != 0)
		return dom_short(id);
	on = &mv[schema_col_index(tm, "held_on")];
	kind = &mv[schema_col_index(tm, "kind")];
	topic = &mv[schema_col_index(tm, "topic")];
	snprintf(buf, cap, "%s %s：%s", on->kind_case == TONGXIN__VALUE__KIND_S ? on->s : "",
	    kind->kind_case == TONGXIN__VALUE__KIND_S ? vocab_show(vocab_get("meeting_kind"), kind->s) :
	    "", topic->kind_case == TONGXIN__VALUE__KIND_S ? topic->s : "");
	for (int k = 0; k < tm->ncols; k++)
		value_clear(&mv[k]);
	return buf;
}

static void
api_applicant(struct call *c)
{
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	Tongxin__Value vals[DOM_MAX_COLS];
	const char *id = web_arg(c, "id");
	char org_name[256], buf[512];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (dom_applicant_get(c->w->r, id ? id : "", vals, org_name, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL) {
		for (int k = 0; k < td->ncols; k++)
			value_clear(&vals[k]);
		return;
	}
	jw_obj(&j);
	jw_kstr(&j, "id", id);
	jw_kstr(&j, "org_name", org_name);
	jw_key(&j, "items");
	jw_arr(&j);
	for (int k = 0; k < td->ncols; k++) {
		const struct col_def *cd = &td->cols[k];
		const char *s = vals[k].kind_case == TONGXIN__VALUE__KIND_S ? vals[k].s : NULL;
		jw_obj(&j);
		jw_kstr(&j, "name", cd->name);
		jw_kstr(&j, "label", cd->label);
		if (vals[k].kind_case == TONGXIN__VALUE__KIND_I) {
			jw_kint(&j, "value", vals[k].i);
			jw_kstr(&j, "display", cd->type == COL_BOOL ? (vals[k].i ? "是" : "否") :
			    value_str(&vals[k], buf, sizeof buf));
		} else {
			jw_kstr(&j, "value", s);
			jw_kstr(&j, "display", s == NULL ? NULL : strcmp(cd->name, "org_id") == 0 ?
			    org_name : cd->type == COL_ENUM ? vocab_col_label(cd, s) :
			    cd->type == COL_REF && cd->ref_table && strcmp(cd->ref_table, "meeting") == 0 ?
			    meeting_shown(c, s, buf, sizeof buf) : cd->type == COL_REF ? dom_short(s) : s);
		}
		jw_end_obj(&j);
		value_clear(&vals[k]);
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- POST /api/develop (add) ------------------------------------------------------ */

static void
develop_add(struct call *c, bool dry_run)
{
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 };
	char id[ID_TEXT_LEN + 1] = "";
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	dom_error_clear(&e);
	for (struct evkeyval *kv = c->form.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		int k = schema_col_index(td, kv->key);
		if (k < 0) {
			web_reply_error(c->req, 400, "unknown_field", "未知项目 unknown field", kv->key);
			return;
		}
		if (kv->value[0] == '\0')
			continue;   /* an empty box is an item not given */
		if (dom_value_parse(&td->cols[k], kv->value, &vals[k], &e) != 0) {
			reply_refused(c, &e, td->cols[k].name, dry_run);
			return;
		}
		set[k] = 1;
	}
	if (dom_applicant_add(c->w->r, c->w->operator_name, vals, set, dry_run, id, &e) != 0) {
		reply_refused(c, &e, e.col >= 0 ? td->cols[e.col].name : NULL, dry_run);
		return;
	}
	reply_saved(c, id, NULL, dry_run);
}

static void api_develop_add(struct call *c) { develop_add(c, false); }
static void api_develop_check(struct call *c) { develop_add(c, true); }

/* --- the steps ---------------------------------------------------------------- */

/* The form's field a refusal of step concerns (e->col of the step's table), or NULL. */
static const char *
step_field(enum dom_dev_step step, const struct dom_error *e)
{
	const char *col;

	if (e->col < 0)
		return NULL;
	col = schema_tables[dom_dev_step_table(step)].cols[e->col].name;
	if (strstr(col, "meeting_id") != NULL)
		return "meeting";
	if (strcmp(col, "probation_until") == 0)
		return "until";
	if (strcmp(col, "education") == 0)
		return "education";
	if (strcmp(col, "address") == 0 || strcmp(col, "phone") == 0 || strcmp(col, "job") == 0)
		return col;
	if (strstr(col, "_on") != NULL || strcmp(col, "full_date") == 0)
		return "date";
	return NULL;
}

/* One step on "id" with the form's meeting, date / until and admit's items. */
static void
dev_step(struct call *c, enum dom_dev_step step, bool dry_run)
{
	const char *id = web_field(c, "id");
	struct dom_dev_args a = { .date = web_field(c, "date"), .meeting_id = web_field(c, "meeting"),
		.until = web_field(c, "until"), .education = web_field(c, "education"),
		.address = web_field(c, "address"), .phone = web_field(c, "phone"),
		.job = web_field(c, "job") };
	struct dom_dev_done done;
	struct dom_error e;

	if (step != DOM_DEV_ADMIT)
		a.education = a.address = a.phone = a.job = NULL;
	if (a.meeting_id == NULL || a.meeting_id[0] == '\0') {
		int t = dom_dev_step_table(step);
		e.kind = DOM_MISSING;
		e.col = schema_col_index(&schema_tables[t], dom_dev_step_meeting_col(step));
		snprintf(e.msg, sizeof e.msg, "请选择作出决定的会议 choose the deciding meeting");
		reply_refused(c, &e, "meeting", dry_run);
		return;
	}
	if (dom_dev_step(c->w->r, c->w->operator_name, id ? id : "", step, &a, dry_run, &done, &e)
	    != 0) {
		reply_refused(c, &e, step_field(step, &e), dry_run);
		return;
	}
	reply_saved(c, id, done.member_id, dry_run);
}

static void api_activist(struct call *c) { dev_step(c, DOM_DEV_ACTIVIST, false); }
static void api_activist_check(struct call *c) { dev_step(c, DOM_DEV_ACTIVIST, true); }
static void api_candidate(struct call *c) { dev_step(c, DOM_DEV_CANDIDATE, false); }
static void api_candidate_check(struct call *c) { dev_step(c, DOM_DEV_CANDIDATE, true); }
static void api_admit(struct call *c) { dev_step(c, DOM_DEV_ADMIT, false); }
static void api_admit_check(struct call *c) { dev_step(c, DOM_DEV_ADMIT, true); }
static void api_promote(struct call *c) { dev_step(c, DOM_DEV_PROMOTE, false); }
static void api_promote_check(struct call *c) { dev_step(c, DOM_DEV_PROMOTE, true); }
static void api_extend(struct call *c) { dev_step(c, DOM_DEV_EXTEND, false); }
static void api_extend_check(struct call *c) { dev_step(c, DOM_DEV_EXTEND, true); }

static void
api_stop(struct call *c)
{
	const char *id = web_field(c, "id");
	struct dom_error e;

	if (dom_dev_stop(c->w->r, c->w->operator_name, id ? id : "", web_field(c, "note"), false,
	    NULL, &e) != 0) {
		reply_refused(c, &e, e.col >= 0 && strcmp(schema_tables[TBL_APPLICANT].cols[e.col].name,
		    "note") == 0 ? "note" : NULL, false);
		return;
	}
	reply_saved(c, id, NULL, false);
}

/* --- GET /api/develop/meetings?org=&step= ------------------------------------------ */

static void
put_meeting(const struct dom_dev_meeting *m, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", m->id);
	jw_kstr(j, "held_on", m->held_on);
	web_jw_coded(j, "kind", web_col(TBL_MEETING, "kind"), m->kind);
	jw_kstr(j, "topic", m->topic);
	jw_kstr(j, "org_name", m->org_name);
	jw_end_obj(j);
}

static void
api_step_meetings(struct call *c)
{
	const char *org = web_arg(c, "org"), *name = web_arg(c, "step");
	int step = -1;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	for (int s = DOM_DEV_ACTIVIST; s <= DOM_DEV_EXTEND; s++)
		if (name && strcmp(name, dom_dev_step_name((enum dom_dev_step)s)) == 0)
			step = s;
	if (step < 0) {
		web_reply_error(c->req, 422, "invalid", "未知步骤 unknown step", "step");
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "meetings");
	jw_arr(&j);
	if (dom_dev_meetings(c->w->r, org, (enum dom_dev_step)step, DEV_MEETINGS_MAX, put_meeting,
	    &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/develop/due?month= ---------------------------------------------------- */

static void
put_due(const struct dom_due_row *d, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	if (++o->n > DEV_LIST_MAX)
		return;
	jw_obj(j);
	jw_kstr(j, "step", d->kind == DOM_DUE_CANDIDATE ? "candidate" : "promote");
	jw_kstr(j, "step_label", d->kind == DOM_DUE_CANDIDATE ? "可确定为发展对象" : "预备期满转正");
	jw_kbool(j, "overdue", d->overdue);
	jw_kstr(j, "id", d->id);
	jw_kstr(j, "name", d->name);
	jw_kstr(j, "org_name", d->org_name);
	jw_kstr(j, "since", d->since);
	jw_kstr(j, "due_on", d->due_on);
	jw_kbool(j, "extended", d->extended);
	jw_end_obj(j);
}

static void
api_due(struct call *c)
{
	const char *month = web_arg(c, "month");
	char today[11], m[8];
	struct list_out o = { 0 };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	today_str(today);
	snprintf(m, sizeof m, "%.7s", month && month[0] ? month : today);
	if (month && month[0] && strlen(month) != 7) {
		web_reply_error(c->req, 422, "invalid", "月份无效，应为 YYYY-MM", "month");
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	o.j = &j;
	jw_obj(&j);
	jw_kstr(&j, "month", m);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_dev_due(c->w->r, m, put_due, &o, &e) != 0) {
		evbuffer_free(b);
		if (e.kind == DOM_INVALID)
			web_reply_error(c->req, 422, "invalid", e.msg, "month");
		else
			web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "total", o.n);
	jw_kbool(&j, "more", o.n > DEV_LIST_MAX);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/probation?id= ----------------------------------------------------------- */

static void
api_probation(struct call *c)
{
	const char *id = web_arg(c, "id");
	struct dom_probation p;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (dom_probation_get(c->w->r, id, &p, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "id", id);
	jw_kbool(&j, "probationary", p.probationary);
	web_jw_coded(&j, "category", web_col(TBL_MEMBER, "category"), p.category[0] ? p.category : NULL);
	jw_kstr(&j, "join_date", p.join_date[0] ? p.join_date : NULL);
	jw_kstr(&j, "ends_on", p.ends_on[0] ? p.ends_on : NULL);
	jw_kbool(&j, "extended", p.extended);
	jw_kstr(&j, "full_date", p.full_date[0] ? p.full_date : NULL);
	jw_kstr(&j, "org_id", p.org_id[0] ? p.org_id : NULL);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

const struct web_route web_routes_develop[] = {
	{ EVHTTP_REQ_GET, "/api/develop", api_develop },
	{ EVHTTP_REQ_GET, "/api/applicant", api_applicant },
	{ EVHTTP_REQ_POST, "/api/develop", api_develop_add },
	{ EVHTTP_REQ_POST, "/api/develop/check", api_develop_check },
	{ EVHTTP_REQ_POST, "/api/develop/activist", api_activist },
	{ EVHTTP_REQ_POST, "/api/develop/activist/check", api_activist_check },
	{ EVHTTP_REQ_POST, "/api/develop/candidate", api_candidate },
	{ EVHTTP_REQ_POST, "/api/develop/candidate/check", api_candidate_check },
	{ EVHTTP_REQ_POST, "/api/develop/admit", api_admit },
	{ EVHTTP_REQ_POST, "/api/develop/admit/check", api_admit_check },
	{ EVHTTP_REQ_POST, "/api/develop/stop", api_stop },
	{ EVHTTP_REQ_GET, "/api/develop/meetings", api_step_meetings },
	{ EVHTTP_REQ_GET, "/api/develop/due", api_due },
	{ EVHTTP_REQ_GET, "/api/probation", api_probation },
	{ EVHTTP_REQ_POST, "/api/member/promote", api_promote },
	{ EVHTTP_REQ_POST, "/api/member/promote/check", api_promote_check },
	{ EVHTTP_REQ_POST, "/api/member/extend", api_extend },
	{ EVHTTP_REQ_POST, "/api/member/extend/check", api_extend_check },
	{ 0, NULL, NULL },
};
