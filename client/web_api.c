/*
 * web_api.c - the desk's JSON API: the dispatcher over every module's
 * route table (web_api.h), the helpers they share, and the core routes
 * (session, dashboard, member form, roster, member, organisations, sync).
 * No SQL here.
 */
#include "web_api.h"

#include "table.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "domain.h"
#include "ids.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

const struct col_def *
web_col(int t, const char *name)
{
	const struct table_def *td = &schema_tables[t];
	int c = schema_col_index(td, name);

	assert(c >= 0);
	return &td->cols[c];
}

const char *
web_arg(struct call *c, const char *name)
{
	return evhttp_find_header(&c->query, name);
}

const char *
web_field(struct call *c, const char *name)
{
	return evhttp_find_header(&c->form, name);
}

struct evbuffer *
web_new_body(struct call *c, struct jw *j)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return NULL;
	}
	jw_init(j, b);
	return b;
}

void
web_reply_dom_error(struct call *c, const struct dom_error *e, int t)
{
	int status = e->kind == DOM_NOT_FOUND ? 404 : e->kind == DOM_FAIL ? 500 : 422;
	const char *code = e->kind == DOM_NOT_FOUND ? "not_found" : e->kind == DOM_FAIL ?
	    "replica" : e->kind == DOM_MISSING ? "missing" : "invalid";
	const char *field = e->col >= 0 && t >= 0 ? schema_tables[t].cols[e->col].name : NULL;

	web_reply_error(c->req, status, code, e->msg, field);
}

void
web_jw_coded(struct jw *j, const char *key, const struct col_def *col, const char *stored)
{
	jw_key(j, key);
	if (stored == NULL) {
		jw_null(j);
		return;
	}
	jw_obj(j);
	jw_kstr(j, "code", stored);
	jw_kstr(j, "label", vocab_col_label(col, stored));
	jw_end_obj(j);
}

/* --- GET /api/session ---------------------------------------------------- */

static void
api_session(struct call *c)
{
	const struct rep_info *i = replica_info(c->w->r);
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "csrf", c->csrf);
	jw_kstr(&j, "device", i->device);
	jw_kstr(&j, "org_code", i->org_code);
	jw_kstr(&j, "role", i->role);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/dashboard -------------------------------------------------- */

void
web_put_outcome(const struct dom_outcome *o, void *arg)
{
	struct jw *j = arg;
	jw_obj(j);
	jw_kint(j, "seq", o->seq);
	jw_key(j, "status");
	jw_obj(j);
	jw_kstr(j, "code", o->status);
	jw_kstr(j, "label", vocab_show(vocab_get("outcome"), o->status));
	jw_end_obj(j);
	jw_kstr(j, "reason", o->reason);
	jw_kstr(j, "conflict_id", o->conflict_id);
	jw_kstr(j, "resolution", o->resolution);
	jw_kint(j, "at_ms", o->at_ms);
	jw_end_obj(j);
}

static void
api_dashboard(struct call *c)
{
	struct dom_dashboard d;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;
	char today[11];

	today_str(today);
	if (dom_dashboard(c->w->r, today, &d, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "today", today);
	jw_kstr(&j, "device", d.device);
	jw_key(&j, "role");
	jw_obj(&j);
	jw_kstr(&j, "code", d.role);
	jw_kstr(&j, "label", vocab_show(vocab_get("role"), d.role));
	jw_end_obj(&j);
	jw_kstr(&j, "org_code", d.org_code);
	jw_kstr(&j, "org_name", d.org_name);
	jw_kstr(&j, "street", d.street);
	jw_kint(&j, "last_contact_ms", d.last_contact_ms);
	jw_kint(&j, "pending_txns", d.pending_txns);
	jw_kint(&j, "pending_changes", d.pending_changes);
	jw_kint(&j, "members", d.members);
	jw_kint(&j, "branches", d.branches);
	jw_kint(&j, "conflicts_open", d.conflicts_open);
	jw_kint(&j, "conflicts_settled", d.conflicts_settled);
	jw_kint(&j, "rejected", d.rejected);
	jw_kint(&j, "overdue_items", d.overdue_items);
	jw_kint(&j, "terms_expiring", d.terms_expiring);
	jw_kint(&j, "branches_behind", d.branches_behind);
	jw_key(&j, "problems");
	jw_arr(&j);
	if (dom_outcomes(c->w->r, 0, -1, true, 20, web_put_outcome, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/form: the member and organisation forms' items ---------------- */

/* The items of table t as "key": [{name, label, type, required, max_len, options}]. */
static void
put_form_items(struct jw *j, const char *key, int t)
{
	static const char *const types[] = { "text", "int", "bool", "date", "enum", "ref" };
	const struct table_def *td = &schema_tables[t];

	jw_key(j, key);
	jw_arr(j);
	for (int k = 0; k < td->ncols; k++) {
		const struct col_def *col = &td->cols[k];
		const struct vocab *v = vocab_of_col(col);
		jw_obj(j);
		jw_kstr(j, "name", col->name);
		jw_kstr(j, "label", col->label);
		jw_kstr(j, "type", types[col->type]);
		jw_kbool(j, "required", (col->flags & COLF_REQUIRED) != 0);
		jw_kint(j, "max_len", col->max_len);
		if (v != NULL) {
			jw_key(j, "options");
			jw_arr(j);
			for (size_t i = 0; i < v->n; i++) {
				jw_obj(j);
				jw_kstr(j, "code", v->store_label ? v->entries[i].label :
				    v->entries[i].code);
				jw_kstr(j, "label", v->entries[i].label);
				jw_end_obj(j);
			}
			jw_end_arr(j);
		}
		jw_end_obj(j);
	}
	jw_end_arr(j);
}

static void
api_form(struct call *c)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	put_form_items(&j, "member", TBL_MEMBER);
	put_form_items(&j, "org", TBL_ORG);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/orgs ------------------------------------------------------- */

static void
put_org(const struct dom_org_row *o, void *arg)
{
	const struct table_def *td = &schema_tables[TBL_ORG];
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", o->id);
	jw_kstr(j, "parent_id", o->parent_id);
	jw_kstr(j, "code", o->code);
	jw_kstr(j, "name", o->name);
	web_jw_coded(j, "kind", &td->cols[schema_col_index(td, "kind")], o->kind);
	web_jw_coded(j, "branch_type", &td->cols[schema_col_index(td, "branch_type")], o->branch_type);
	jw_kstr(j, "secretary", o->secretary);
	jw_kstr(j, "term_start", o->term_start);
	jw_kstr(j, "term_end", o->term_end);
	jw_kbool(j, "dissolved", o->dissolved);
	jw_kint(j, "members", o->members);
	/* What may be added under it: the tree's one rule (dom_org_kind_allowed). */
	{
		const char *kinds[8];
		size_t n = dom_org_kinds_under(o->dissolved ? NULL : o->kind, kinds, 8);
		jw_key(j, "child_kinds");
		jw_arr(j);
		for (size_t k = 0; k < n; k++) {
			jw_obj(j);
			jw_kstr(j, "code", kinds[k]);
			jw_kstr(j, "label", vocab_col_label(&td->cols[schema_col_index(td, "kind")],
			    kinds[k]));
			jw_end_obj(j);
		}
		jw_end_arr(j);
	}
	jw_end_obj(j);
}

static void
api_orgs(struct call *c)
{
	struct dom_error e;
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "orgs");
	jw_arr(&j);
	if (dom_org_list(c->w->r, put_org, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/members ---------------------------------------------------- */

static void
put_member_row(const struct dom_member_row *m, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", m->id);
	jw_kstr(j, "name", m->name);
	web_jw_coded(j, "gender", web_col(TBL_MEMBER, "gender"), m->gender);
	jw_kstr(j, "id_number", m->id_number);
	web_jw_coded(j, "category", web_col(TBL_MEMBER, "category"), m->category);
	jw_kstr(j, "org_id", m->org_id);
	jw_kstr(j, "org_name", m->org_name);
	jw_kstr(j, "join_date", m->join_date);
	jw_kstr(j, "phone", m->phone);
	web_jw_coded(j, "standing", web_col(TBL_MEMBER, "standing"), m->standing);
	jw_kbool(j, "lost_contact", m->lost_contact);
	jw_kbool(j, "mobile", m->mobile);
	jw_kbool(j, "retired", m->retired);
	jw_kbool(j, "in_service", m->in_service);
	jw_kbool(j, "relocated", m->relocated);
	jw_end_obj(j);
}

static int64_t
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
api_members(struct call *c)
{
	struct dom_member_query q = { .limit = 20 };
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;
	int64_t total = 0, t0 = now_us();
	bool at_least = false;

	q.text = web_arg(c, "q");
	q.org_id = web_arg(c, "org");
	if (web_arg(c, "offset"))
		q.offset = atoi(web_arg(c, "offset"));
	if (web_arg(c, "limit"))
		q.limit = atoi(web_arg(c, "limit"));
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_member_page(c->w->r, &q, put_member_row, &j, &total, &at_least, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_kint(&j, "total", total);
	jw_kbool(&j, "total_at_least", at_least);   /* a search's count stops at a cap */
	jw_kint(&j, "offset", q.offset);
	jw_kint(&j, "limit", q.limit);
	jw_kint(&j, "took_us", now_us() - t0);   /* server time, for the benchmark */
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/member?id= ------------------------------------------------- */

static void
api_member(struct call *c)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value vals[DOM_MAX_COLS];
	char org_name[256], report_name[256];
	const char *id = web_arg(c, "id");
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (dom_member_get(c->w->r, id ? id : "", vals, org_name, report_name, &e) != 0) {
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
	jw_key(&j, "items");
	jw_arr(&j);
	for (int k = 0; k < td->ncols; k++) {
		const struct col_def *col = &td->cols[k];
		const Tongxin__Value *v = &vals[k];
		jw_obj(&j);
		jw_kstr(&j, "name", col->name);
		jw_kstr(&j, "label", col->label);
		jw_key(&j, "value");
		if (v->kind_case == TONGXIN__VALUE__KIND_I)
			col->type == COL_BOOL ? jw_bool(&j, v->i != 0) : jw_int(&j, v->i);
		else if (v->kind_case == TONGXIN__VALUE__KIND_S)
			jw_str(&j, v->s);
		else
			jw_null(&j);
		/* What a person reads: a label, a branch's name, 是/否. */
		jw_key(&j, "display");
		if (v->kind_case == TONGXIN__VALUE__KIND_I && col->type == COL_BOOL) {
			char code[2] = { v->i ? '1' : '0', 0 };
			jw_str(&j, vocab_col_label(col, code));
		} else if (v->kind_case == TONGXIN__VALUE__KIND_S && col->type == COL_REF) {
			jw_str(&j, strcmp(col->name, "org_id") == 0 ? org_name : report_name);
		} else if (v->kind_case == TONGXIN__VALUE__KIND_S) {
			jw_str(&j, vocab_of_col(col) ? vocab_col_label(col, v->s) : v->s);
		} else if (v->kind_case == TONGXIN__VALUE__KIND_I) {
			jw_int(&j, v->i);
		} else {
			jw_null(&j);
		}
		jw_end_obj(&j);
		value_clear(&vals[k]);
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- forms: POST a row's items ---------------------------------------------- */

/*
 * The form body's items for table t into vals/set (schema names; "id" is
 * the row's own and skipped). On add an empty box is an item not given; on
 * edit it clears the item (a bool box always says 0 or 1). -1 having
 * answered 400 (unknown item) or 422 (a value that is not one).
 */
static int
form_values(struct call *c, int t, bool edit, Tongxin__Value *vals, int *set)
{
	const struct table_def *td = &schema_tables[t];
	struct dom_error e;
	int n = 0;

	memset(vals, 0, sizeof *vals * DOM_MAX_COLS);
	dom_error_clear(&e);
	for (struct evkeyval *kv = c->form.tqh_first; kv != NULL; kv = kv->next.tqe_next) {
		int k;
		if (edit && strcmp(kv->key, "id") == 0)
			continue;
		if ((k = schema_col_index(td, kv->key)) < 0 || ++n > DOM_MAX_COLS) {
			web_reply_error(c->req, 400, "unknown_field", "未知项目 unknown field", kv->key);
			return -1;
		}
		if (!edit && kv->value[0] == '\0' && td->cols[k].type != COL_BOOL)
			continue;   /* an empty box is an item not given */
		if (dom_value_parse(&td->cols[k], kv->value, &vals[k], &e) != 0) {
			e.col = k;
			web_reply_dom_error(c, &e, t);
			return -1;
		}
		set[k] = 1;
	}
	return 0;
}

/*
 * Answer a write of table t: on failure, a check's "no" as 200 {ok: false,
 * error, message, field} (a check is a question, "no" its answer) and a
 * save's as web_reply_dom_error; on success {ok, saved[, id]}.
 */
static void
reply_write(struct call *c, int t, int rc, const struct dom_error *e, bool dry_run,
    const char *id, int created)
{
	struct jw j;
	struct evbuffer *b;

	if (rc != 0) {
		if (dry_run && (e->kind == DOM_INVALID || e->kind == DOM_MISSING) &&
		    (b = web_new_body(c, &j)) != NULL) {
			jw_obj(&j);
			jw_kbool(&j, "ok", false);
			jw_kstr(&j, "error", e->kind == DOM_MISSING ? "missing" : "invalid");
			jw_kstr(&j, "message", e->msg);
			jw_kstr(&j, "field", e->col >= 0 ? schema_tables[t].cols[e->col].name : NULL);
			jw_end_obj(&j);
			web_reply_json(c->req, 200, b);
			return;
		}
		web_reply_dom_error(c, e, t);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kbool(&j, "saved", !dry_run);
	if (!dry_run && id)
		jw_kstr(&j, "id", id);
	jw_end_obj(&j);
	web_reply_json(c->req, dry_run || !created ? 200 : 201, b);
}

/* POST /api/members (add), POST /api/members/check (validate only). */
static void
member_write(struct call *c, bool dry_run)
{
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1] = "";
	struct dom_error e;

	if (form_values(c, TBL_MEMBER, false, vals, set) != 0)
		return;
	rc = dom_member_add(c->w->r, c->w->operator_name, vals, set, dry_run, id, &e);
	reply_write(c, TBL_MEMBER, rc, &e, dry_run, id, 1);
}

/* The form's "id" of the row to change, or NULL having answered 422. */
static const char *
form_id(struct call *c, const char *what)
{
	const char *id = web_field(c, "id");

	if (id == NULL || !id_valid(id)) {
		web_reply_error(c->req, 422, "missing", what, "id");
		return NULL;
	}
	return id;
}

/* POST /api/member/edit (+ /check): the items given, on the row as it is. */
static void
member_edit(struct call *c, bool dry_run)
{
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	const char *id = form_id(c, "缺少党员编号 which member?");
	struct dom_error e;

	if (id == NULL || form_values(c, TBL_MEMBER, true, vals, set) != 0)
		return;
	rc = dom_member_edit(c->w->r, c->w->operator_name, id, vals, set, dry_run, &e);
	reply_write(c, TBL_MEMBER, rc, &e, dry_run, id, 0);
}

/*
 * POST /api/member/{lost,found,mobile,return,report} (+ /check each): since,
 * note, flow_to, community (org id).
 */
static void
member_step(struct call *c, enum dom_member_step step, bool dry_run)
{
	const char *id = form_id(c, "缺少党员编号 which member?");
	struct dom_step_args a = {
		.since = web_field(c, "since"), .note = web_field(c, "note"),
		.flow_to = web_field(c, "flow_to"), .community_id = web_field(c, "community"),
	};
	struct dom_error e;
	int rc;

	if (id == NULL)
		return;
	rc = dom_member_step(c->w->r, c->w->operator_name, id, step, &a, dry_run, &e);
	reply_write(c, TBL_MEMBER, rc, &e, dry_run, id, 0);
}

/* POST /api/orgs (+ /check): a new organisation under parent_id. */
static void
org_write(struct call *c, bool dry_run)
{
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1] = "";
	struct dom_error e;

	if (form_values(c, TBL_ORG, false, vals, set) != 0)
		return;
	rc = dom_org_add(c->w->r, c->w->operator_name, vals, set, dry_run, id, &e);
	reply_write(c, TBL_ORG, rc, &e, dry_run, id, 1);
}

/* POST /api/org/edit (+ /check). */
static void
org_edit(struct call *c, bool dry_run)
{
	Tongxin__Value vals[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	const char *id = form_id(c, "缺少组织编号 which organisation?");
	struct dom_error e;

	if (id == NULL || form_values(c, TBL_ORG, true, vals, set) != 0)
		return;
	rc = dom_org_edit(c->w->r, c->w->operator_name, id, vals, set, dry_run, &e);
	reply_write(c, TBL_ORG, rc, &e, dry_run, id, 0);
}

static void api_member_edit(struct call *c) { member_edit(c, false); }
static void api_member_edit_check(struct call *c) { member_edit(c, true); }
static void api_member_lost(struct call *c) { member_step(c, DOM_STEP_LOST, false); }
static void api_member_found(struct call *c) { member_step(c, DOM_STEP_FOUND, false); }
static void api_member_mobile(struct call *c) { member_step(c, DOM_STEP_MOBILE, false); }
static void api_member_return(struct call *c) { member_step(c, DOM_STEP_RETURN, false); }
static void api_member_report(struct call *c) { member_step(c, DOM_STEP_REPORT, false); }
static void api_member_lost_check(struct call *c) { member_step(c, DOM_STEP_LOST, true); }
static void api_member_mobile_check(struct call *c) { member_step(c, DOM_STEP_MOBILE, true); }
static void api_member_report_check(struct call *c) { member_step(c, DOM_STEP_REPORT, true); }
static void api_member_found_check(struct call *c) { member_step(c, DOM_STEP_FOUND, true); }
static void api_member_return_check(struct call *c) { member_step(c, DOM_STEP_RETURN, true); }
static void api_org_add(struct call *c) { org_write(c, false); }
static void api_org_add_check(struct call *c) { org_write(c, true); }
static void api_org_edit(struct call *c) { org_edit(c, false); }
static void api_org_edit_check(struct call *c) { org_edit(c, true); }
static void api_member_add(struct call *c) { member_write(c, false); }
static void api_member_check(struct call *c) { member_write(c, true); }
static void api_sync_start(struct call *c) { web_sync_start(c->w, c->req); }
static void api_sync_status(struct call *c) { web_sync_status(c->w, c->req); }

/* --- routing -------------------------------------------------------------- */

const struct web_route web_routes_core[] = {
	{ EVHTTP_REQ_GET, "/api/session", api_session },
	{ EVHTTP_REQ_GET, "/api/dashboard", api_dashboard },
	{ EVHTTP_REQ_GET, "/api/form", api_form },
	{ EVHTTP_REQ_GET, "/api/orgs", api_orgs },
	{ EVHTTP_REQ_GET, "/api/members", api_members },
	{ EVHTTP_REQ_GET, "/api/member", api_member },
	{ EVHTTP_REQ_POST, "/api/members", api_member_add },
	{ EVHTTP_REQ_POST, "/api/members/check", api_member_check },
	{ EVHTTP_REQ_POST, "/api/member/edit", api_member_edit },
	{ EVHTTP_REQ_POST, "/api/member/edit/check", api_member_edit_check },
	{ EVHTTP_REQ_POST, "/api/member/lost", api_member_lost },
	{ EVHTTP_REQ_POST, "/api/member/found", api_member_found },
	{ EVHTTP_REQ_POST, "/api/member/mobile", api_member_mobile },
	{ EVHTTP_REQ_POST, "/api/member/return", api_member_return },
	{ EVHTTP_REQ_POST, "/api/member/report", api_member_report },
	{ EVHTTP_REQ_POST, "/api/member/lost/check", api_member_lost_check },
	{ EVHTTP_REQ_POST, "/api/member/found/check", api_member_found_check },
	{ EVHTTP_REQ_POST, "/api/member/mobile/check", api_member_mobile_check },
	{ EVHTTP_REQ_POST, "/api/member/return/check", api_member_return_check },
	{ EVHTTP_REQ_POST, "/api/member/report/check", api_member_report_check },
	{ EVHTTP_REQ_POST, "/api/orgs", api_org_add },
	{ EVHTTP_REQ_POST, "/api/orgs/check", api_org_add_check },
	{ EVHTTP_REQ_POST, "/api/org/edit", api_org_edit },
	{ EVHTTP_REQ_POST, "/api/org/edit/check", api_org_edit_check },
	{ EVHTTP_REQ_POST, "/api/sync", api_sync_start },
	{ EVHTTP_REQ_GET, "/api/sync", api_sync_status },
	{ 0, NULL, NULL },
};

/* Every module's routes (web_api.h). */
static const struct web_route *const web_route_tables[] = {
	web_routes_core, web_routes_work, web_routes_transfer, web_routes_report,
	web_routes_develop, web_routes_life, web_routes_service, web_routes_dues,
	web_routes_committee, web_routes_cobuild, web_routes_claimfund,
	web_routes_volassess,
};

/* Parse the form body (a copy, NUL-terminated) into c->form. -1 if malformed. */
static int
parse_form(struct call *c)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t n = evbuffer_get_length(in);
	char *s;
	int rc;

	if (n == 0)
		return 0;
	if ((s = malloc(n + 1)) == NULL)
		return -1;
	evbuffer_copyout(in, s, n);
	s[n] = '\0';
	rc = strlen(s) == n ? evhttp_parse_query_str(s, &c->form) : -1;
	free(s);
	return rc;
}

void
web_api(struct web *w, struct evhttp_request *req, const char *path, const char *csrf)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	struct call c = { .w = w, .req = req, .csrf = csrf };
	bool path_known = false;

	if (m == EVHTTP_REQ_HEAD)
		m = EVHTTP_REQ_GET;
	TAILQ_INIT(&c.query);
	TAILQ_INIT(&c.form);
	if ((query && evhttp_parse_query_str(query, &c.query) != 0) || parse_form(&c) != 0) {
		web_reply_error(req, 400, "bad_request", "请求格式错误 malformed request", NULL);
		goto out;
	}
	for (size_t t = 0; t < sizeof web_route_tables / sizeof web_route_tables[0]; t++) {
		for (const struct web_route *r = web_route_tables[t]; r->path != NULL; r++) {
			if (strcmp(r->path, path) != 0)
				continue;
			path_known = true;
			if (r->method == m) {
				r->run(&c);
				goto out;
			}
		}
	}
	if (path_known)
		web_reply_error(req, 405, "method", "不支持的请求方法 method not allowed", NULL);
	else
		web_reply_error(req, 404, "not_found", "没有这个接口 no such API", NULL);
out:
	evhttp_clear_headers(&c.query);
	evhttp_clear_headers(&c.form);
}

const char *
web_fld(struct web_args *a, const char *name, size_t max)
{
	const char *s = web_field(a->c, name);

	if (s != NULL && strlen(s) > max) {
		a->bad = true;
		return NULL;
	}
	return s;
}

const char *
web_qarg(struct web_args *a, const char *name, size_t max)
{
	const char *s = web_arg(a->c, name);

	if (s != NULL && strlen(s) > max) {
		a->bad = true;
		return NULL;
	}
	return s;
}

bool
web_too_long(struct web_args *a)
{
	if (!a->bad)
		return false;
	web_reply_error(a->c->req, 422, "invalid", "填写的内容过长 an item is too long", NULL);
	return true;
}

int
web_handle_of(struct web_args *a, web_handle_fn *fn, const char *h, char id[ID_TEXT_LEN + 1])
{
	struct dom_error e;

	if (web_too_long(a))
		return -1;
	if (fn(a->c->w->r, h ? h : "", id, &e) != 0) {
		web_reply_dom_error(a->c, &e, -1);
		return -1;
	}
	return 0;
}

void
web_csv_disposition(char *buf, size_t cap, const char *ascii, const char *utf8)
{
	snprintf(buf, cap, "attachment; filename=\"%s\"; filename*=UTF-8''%s", ascii, utf8);
}

void
web_reply_csv_bytes(struct call *c, const char *data, size_t len, const char *disp)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer *b;

	if ((b = evbuffer_new()) == NULL || evbuffer_add(b, data, len) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	evhttp_add_header(h, "Content-Type", "text/csv; charset=utf-8");
	evhttp_add_header(h, "Content-Disposition", disp);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(c->req, 200, "OK", b);
	evbuffer_free(b);
}

void
web_reply_csv(struct call *c, struct table *t, const char *disp)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&data, &len)) == NULL) {
		table_free(t);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	table_print(t, f, TABLE_CSV);   /* prints and frees t */
	if (fclose(f) != 0) {
		free(data);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	web_reply_csv_bytes(c, data, len, disp);
	free(data);
}
