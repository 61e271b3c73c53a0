/*
 * web_api_work.c - the desk's API for 会议 meetings with attendance and 清单 items.
 * Handlers translate HTTP to the domain layer (dom_work.h) and its answers
 * to typed JSON; no SQL here (web_api.h).
 *
 * A meeting is saved in one request: the meeting's items as fields named
 * after its columns (org_id, kind, held_on, topic, host, recorder,
 * minutes), and its roll as "a.MEMBER_ID" = present | excused | absent with
 * "r.MEMBER_ID" = the reason of an excused member. A refusal that concerns
 * one member on the roll names the field "a.ID" or "r.ID". (The separator
 * is a dot because evhttp does not percent-decode keys and no form encoder
 * escapes a dot.)
 */
#include "web_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "dom_work.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

/* The most rows a list answers with; the page says when there were more. */
#define WORK_LIST_MAX 2000

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

/* A table's columns as {name: label}, for the pages' headings and form labels. */
static void
put_labels(struct jw *j, const char *key, int t)
{
	const struct table_def *td = &schema_tables[t];

	jw_key(j, key);
	jw_obj(j);
	for (int c = 0; c < td->ncols; c++)
		jw_kstr(j, td->cols[c].name, td->cols[c].label);
	jw_end_obj(j);
}

/*
 * A check is a question: "no" is its answer (200, ok false, the field),
 * not a failed request. field may be NULL.
 */
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

/* Answer a refused write: a check's "no", else 422/404/500 with the field. */
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

/* --- GET /api/work-form: what the meeting and item pages are built from ---- */

static void
api_work_form(struct call *c)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	put_vocab(&j, "meeting_kind", "meeting_kind");
	put_vocab(&j, "attendance", "attendance");
	put_vocab(&j, "item_kind", "item_kind");
	put_vocab(&j, "item_status", "item_status");
	put_labels(&j, "meeting", TBL_MEETING);
	put_labels(&j, "attendance_cols", TBL_ATTENDANCE);
	put_labels(&j, "item", TBL_LIST_ITEM);
	jw_kint(&j, "max_attendees", DOM_MAX_ATTENDEES);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/meetings ---------------------------------------------------- */

struct list_out {
	struct jw *j;
	int n;
};

static void
put_meeting_row(const struct dom_meeting_row *m, void *arg)
{
	struct list_out *o = arg;
	struct jw *j = o->j;

	if (++o->n > WORK_LIST_MAX)
		return;
	jw_obj(j);
	jw_kstr(j, "id", m->id);
	jw_kstr(j, "held_on", m->held_on);
	web_jw_coded(j, "kind", web_col(TBL_MEETING, "kind"), m->kind);
	jw_kstr(j, "org_id", m->org_id);
	jw_kstr(j, "org_name", m->org_name);
	jw_kstr(j, "org_code", m->org_code);
	jw_kstr(j, "topic", m->topic);
	jw_kstr(j, "host", m->host);
	jw_kint(j, "present", m->counts[DOM_PRESENT]);
	jw_kint(j, "excused", m->counts[DOM_EXCUSED]);
	jw_kint(j, "absent", m->counts[DOM_ABSENT]);
	jw_end_obj(j);
}

static void
api_meetings(struct call *c)
{
	struct dom_meeting_query q = { .org_id = web_arg(c, "org"), .kind = web_arg(c, "kind"),
		.from = web_arg(c, "from"), .to = web_arg(c, "to") };
	const char *year = web_arg(c, "year");
	char from[11], to[11];
	struct dom_error e;
	struct list_out o = { 0 };
	struct jw j;
	struct evbuffer *b;

	/* A year is the dates from its first to its last day. */
	if (year && year[0]) {
		int y = atoi(year);
		if (strlen(year) != 4 || y < 1900 || y > 9999) {
			web_reply_error(c->req, 422, "invalid", "年份无效 give a year such as 2025", "year");
			return;
		}
		snprintf(from, sizeof from, "%04d-01-01", y);
		snprintf(to, sizeof to, "%04d-12-31", y);
		q.from = from;
		q.to = to;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	o.j = &j;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_meeting_list(c->w->r, &q, put_meeting_row, &o, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, e.col >= 0 ? TBL_MEETING : -1);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "total", o.n);
	jw_kbool(&j, "more", o.n > WORK_LIST_MAX);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/meeting?id= ------------------------------------------------- */

static void
put_attendance(const struct dom_attendance_row *a, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "member_id", a->member_id);
	jw_kstr(j, "name", a->name);
	web_jw_coded(j, "status", web_col(TBL_ATTENDANCE, "status"), a->status);
	jw_kstr(j, "reason", a->reason);
	jw_end_obj(j);
}

static void
api_meeting(struct call *c)
{
	const struct table_def *td = &schema_tables[TBL_MEETING];
	Tongxin__Value vals[DOM_MAX_COLS];
	char org_name[256], org_code[65];
	const char *id = web_arg(c, "id");
	int counts[3];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	/* The roll is written as the domain reads it, inside the object. */
	jw_obj(&j);
	jw_key(&j, "attendance");
	jw_arr(&j);
	if (dom_meeting_get(c->w->r, id ? id : "", vals, org_name, org_code, counts, put_attendance,
	    &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_kstr(&j, "id", id);
	for (int k = 0; k < td->ncols; k++) {
		const char *v = vals[k].kind_case == TONGXIN__VALUE__KIND_S ? vals[k].s : NULL;
		if (td->cols[k].type == COL_ENUM)
			web_jw_coded(&j, td->cols[k].name, &td->cols[k], v);
		else
			jw_kstr(&j, td->cols[k].name, v);
		value_clear(&vals[k]);
	}
	jw_kstr(&j, "org_name", org_name);
	jw_kstr(&j, "org_code", org_code);
	jw_kint(&j, "present", counts[DOM_PRESENT]);
	jw_kint(&j, "excused", counts[DOM_EXCUSED]);
	jw_kint(&j, "absent", counts[DOM_ABSENT]);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/branch-members?org= : the attendance checklist --------------- */

static void
put_roll_member(const struct dom_roll_member *m, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", m->id);
	jw_kstr(j, "name", m->name);
	jw_kstr(j, "org_id", m->org_id);
	jw_kstr(j, "org_name", m->org_name);
	jw_end_obj(j);
}

static void
api_branch_members(struct call *c)
{
	const char *org = web_arg(c, "org");
	struct dom_error e;
	bool more = false;
	struct jw j;
	struct evbuffer *b;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "members");
	jw_arr(&j);
	if (dom_roll_members(c->w->r, org ? org : "", put_roll_member, &j, &more, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_kbool(&j, "more", more);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- POST /api/meetings (record), POST /api/meetings/check (validate only) -- */

/* The field a roll refusal concerns: "a.ID", or "r.ID" for the reason. */
static const char *
roll_field(const struct dom_error *e, const struct dom_attendee *att, int bad, char *buf,
    size_t cap)
{
	const struct table_def *ta = &schema_tables[TBL_ATTENDANCE];

	snprintf(buf, cap, "%s.%s", e->col >= 0 && strcmp(ta->cols[e->col].name, "reason") == 0 ?
	    "r" : "a", att[bad].member);
	return buf;
}

static void
meeting_write(struct call *c, bool dry_run)
{
	const struct table_def *td = &schema_tables[TBL_MEETING];
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, bad = -1;
	char id[ID_TEXT_LEN + 1] = "", field[ID_TEXT_LEN + 8];
	struct dom_attendee *att;
	size_t n = 0, cap = 0;
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	dom_error_clear(&e);
	for (struct evkeyval *kv = c->form.tqh_first; kv != NULL; kv = kv->next.tqe_next)
		if (strncmp(kv->key, "a.", 2) == 0)
			cap++;
	/* One more than the domain takes, so that it names the limit. */
	if (cap > DOM_MAX_ATTENDEES + 1)
		cap = DOM_MAX_ATTENDEES + 1;
	if ((att = calloc(cap ? cap : 1, sizeof *att)) == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	for (struct evkeyval *kv = c->form.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		int k;
		if (strncmp(kv->key, "a.", 2) == 0) {
			if (n < cap) {
				char rkey[ID_TEXT_LEN + 8];
				snprintf(rkey, sizeof rkey, "r.%s", kv->key + 2);
				att[n].member = kv->key + 2;
				att[n].status = kv->value;
				att[n].reason = web_field(c, rkey);
				att[n].by_name = true;
				n++;
			}
			continue;
		}
		if (strncmp(kv->key, "r.", 2) == 0)
			continue;   /* read with its "a." field */
		if ((k = schema_col_index(td, kv->key)) < 0) {
			web_reply_error(c->req, 400, "unknown_field", "未知项目 unknown field", kv->key);
			goto out;
		}
		if (kv->value[0] == '\0')
			continue;   /* an empty box is an item not given */
		if (dom_value_parse(&td->cols[k], kv->value, &vals[k], &e) != 0) {
			e.col = k;
			reply_refused(c, &e, td->cols[k].name, dry_run);
			goto out;
		}
		set[k] = 1;
	}
	if (dom_meeting_add(c->w->r, c->w->operator_name, vals, set, att, n, dry_run, id, NULL, &bad,
	    &e) != 0) {
		reply_refused(c, &e, bad >= 0 ? roll_field(&e, att, bad, field, sizeof field) :
		    e.col >= 0 ? td->cols[e.col].name : NULL, dry_run);
		goto out;
	}
	reply_saved(c, id, dry_run);
out:
	free(att);
}

static void api_meeting_add(struct call *c) { meeting_write(c, false); }
static void api_meeting_check(struct call *c) { meeting_write(c, true); }

/* --- GET /api/items, GET /api/item?id= ------------------------------------- */

static void
put_item(struct jw *j, const struct dom_item_row *i)
{
	static const char *const steps[] = { "claim", "rectify", "close" };
	unsigned next = dom_item_next(i->kind, i->status);

	jw_obj(j);
	jw_kstr(j, "id", i->id);
	jw_kstr(j, "org_id", i->org_id);
	jw_kstr(j, "org_name", i->org_name);
	web_jw_coded(j, "kind", web_col(TBL_LIST_ITEM, "kind"), i->kind);
	jw_kstr(j, "title", i->title);
	jw_kstr(j, "detail", i->detail);
	jw_kstr(j, "due_on", i->due_on);
	web_jw_coded(j, "status", web_col(TBL_LIST_ITEM, "status"), i->status);
	jw_kstr(j, "claimed_by", i->claimed_by);
	jw_kstr(j, "claimed_on", i->claimed_on);
	jw_kstr(j, "rectification", i->rectification);
	jw_kstr(j, "rectified_on", i->rectified_on);
	jw_kstr(j, "closed_on", i->closed_on);
	jw_kstr(j, "close_note", i->close_note);
	jw_kbool(j, "overdue", i->overdue);
	/* The steps the domain would accept now. */
	jw_key(j, "next");
	jw_arr(j);
	for (int s = 0; s < 3; s++)
		if (next & (1u << s))
			jw_str(j, steps[s]);
	jw_end_arr(j);
	jw_end_obj(j);
}

static void
put_item_row(const struct dom_item_row *i, void *arg)
{
	struct list_out *o = arg;

	if (++o->n <= WORK_LIST_MAX)
		put_item(o->j, i);
}

static void
api_items(struct call *c)
{
	const char *open = web_arg(c, "open");
	struct dom_item_query q = { .org_id = web_arg(c, "org"), .kind = web_arg(c, "kind"),
		.status = web_arg(c, "status"), .open_only = open && strcmp(open, "1") == 0 };
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
	if (dom_item_list(c->w->r, &q, put_item_row, &o, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, e.col >= 0 ? TBL_LIST_ITEM : -1);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "total", o.n);
	jw_kbool(&j, "more", o.n > WORK_LIST_MAX);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
put_one_item(const struct dom_item_row *i, void *arg)
{
	put_item(arg, i);
}

static void
api_item(struct call *c)
{
	const char *id = web_arg(c, "id");
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if ((b = web_new_body(c, &j)) == NULL)
		return;
	if (dom_item_get(c->w->r, id ? id : "", put_one_item, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	web_reply_json(c->req, 200, b);
}

/* --- POST /api/items (add), /api/items/check, /api/items/claim|rectify|close -- */

static void
item_write(struct call *c, bool dry_run)
{
	const struct table_def *td = &schema_tables[TBL_LIST_ITEM];
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
			continue;
		if (dom_value_parse(&td->cols[k], kv->value, &vals[k], &e) != 0) {
			reply_refused(c, &e, td->cols[k].name, dry_run);
			return;
		}
		set[k] = 1;
	}
	if (dom_item_add(c->w->r, c->w->operator_name, vals, set, dry_run, id, &e) != 0) {
		reply_refused(c, &e, e.col >= 0 ? td->cols[e.col].name : NULL, dry_run);
		return;
	}
	reply_saved(c, id, dry_run);
}

static void api_item_add(struct call *c) { item_write(c, false); }
static void api_item_check(struct call *c) { item_write(c, true); }

/*
 * One step on item "id": "date" (empty for today) and "by" (claim) or
 * "note" (rectify, close). A refusal names the form's field: by, note,
 * date, or none.
 */
static void
item_step(struct call *c, enum dom_item_step step)
{
	const char *id = web_field(c, "id"), *field = NULL, *col;
	const char *text = web_field(c, step == DOM_ITEM_CLAIM ? "by" : "note");
	struct dom_item_done done;
	struct dom_error e;

	if (dom_item_step(c->w->r, c->w->operator_name, id ? id : "", step, web_field(c, "date"),
	    text, false, &done, &e) != 0) {
		if (e.col >= 0) {
			col = schema_tables[TBL_LIST_ITEM].cols[e.col].name;
			field = strcmp(col, "claimed_by") == 0 ? "by" :
			    strcmp(col, "rectification") == 0 || strcmp(col, "close_note") == 0 ?
			    "note" : strstr(col, "_on") != NULL ? "date" : NULL;
		}
		reply_refused(c, &e, field, false);
		return;
	}
	reply_saved(c, id, false);
}

static void api_item_claim(struct call *c) { item_step(c, DOM_ITEM_CLAIM); }
static void api_item_rectify(struct call *c) { item_step(c, DOM_ITEM_RECTIFY); }
static void api_item_close(struct call *c) { item_step(c, DOM_ITEM_CLOSE); }

const struct web_route web_routes_work[] = {
	{ EVHTTP_REQ_GET, "/api/work-form", api_work_form },
	{ EVHTTP_REQ_GET, "/api/meetings", api_meetings },
	{ EVHTTP_REQ_GET, "/api/meeting", api_meeting },
	{ EVHTTP_REQ_GET, "/api/branch-members", api_branch_members },
	{ EVHTTP_REQ_POST, "/api/meetings", api_meeting_add },
	{ EVHTTP_REQ_POST, "/api/meetings/check", api_meeting_check },
	{ EVHTTP_REQ_GET, "/api/items", api_items },
	{ EVHTTP_REQ_GET, "/api/item", api_item },
	{ EVHTTP_REQ_POST, "/api/items", api_item_add },
	{ EVHTTP_REQ_POST, "/api/items/check", api_item_check },
	{ EVHTTP_REQ_POST, "/api/items/claim", api_item_claim },
	{ EVHTTP_REQ_POST, "/api/items/rectify", api_item_rectify },
	{ EVHTTP_REQ_POST, "/api/items/close", api_item_close },
	{ 0, NULL, NULL },
};
