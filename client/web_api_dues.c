/*
 * web_api_dues.c - the desk's API for 党费: each member's monthly dues by the
 * 党费收缴 rules, payments per month, arrears: the same domain operations as
 * tongxin dues (dom_dues.h); no SQL here.
 *
 *   GET  /api/dues?month=&org=          the month's list and totals
 *   POST /api/dues/pay[/check]          member, month [, amount, date, by, note]
 *   POST /api/dues/pay-all              month [, org, date, by]
 *   GET  /api/dues/arrears?as_of=&org=  members behind with their dues
 *   GET  /api/dues/member?id=&month=    a member's class, base, amount, last 12 months
 *   POST /api/dues/set[/check]          id, class [, base]
 *
 * A /check runs the same rules in the replica's transaction and rolls back:
 * its "no" is an answer (200 with ok false, the message and the form's
 * field), so the page asks it before the write.
 *
 * Amounts go out twice: in fen (numbers, "*_fen") and as the yuan text
 * people read ("45.00"); they come in as yuan text, as on the command line.
 */
#include "web_api.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "dom_dues.h"
#include "dues.h"
#include "vocab.h"

/* Bounds of the desk's inputs (the domain bounds them again). */
#define DUES_ARG_MAX 64

/* An argument of at most max bytes: NULL when absent; *bad when too long. */
static const char *
bounded(const char *s, size_t max, bool *bad)
{
	if (s != NULL && strlen(s) > max) {
		*bad = true;
		return NULL;
	}
	return s;
}

/* "key_fen": fen and "key": "45.00", or both null for a negative (unknown) amount. */
static void
put_amount(struct jw *j, const char *key, int64_t fen)
{
	char k[64], y[32];

	snprintf(k, sizeof k, "%s_fen", key);
	jw_key(j, k);
	if (fen < 0)
		jw_null(j);
	else
		jw_int(j, fen);
	jw_kstr(j, key, fen < 0 ? NULL : dom_yuan_text(fen, y));
}

static void
put_class(struct jw *j, const char *cls)
{
	web_jw_coded(j, "class", web_col(TBL_MEMBER, "dues_class"), cls && cls[0] ? cls : NULL);
}

static void
too_long(struct call *c)
{
	web_reply_error(c->req, 422, "invalid", "填写的内容过长 an item is too long", NULL);
}

/*
 * The form's name for column col of table t (the API's field names are the
 * CLI's option names), or NULL.
 */
static const char *
field_of(int t, int col)
{
	static const char *const map[][2] = {
		{ "month", "month" }, { "amount", "amount" }, { "paid_on", "date" },
		{ "received_by", "by" }, { "note", "note" }, { "member_id", "member" },
		{ "dues_class", "class" }, { "dues_base", "base" },
	};
	const char *name;

	if (col < 0)
		return NULL;
	name = schema_tables[t].cols[col].name;
	for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
		if (strcmp(map[k][0], name) == 0)
			return map[k][1];
	return NULL;
}

/*
 * Answer a refused write of table t: a check's "no" is an answer (200,
 * ok false), a write's is 422 (404/500 for the rest), each naming the
 * form's field.
 */
static void
reply_refused(struct call *c, const struct dom_error *e, int t, bool dry_run)
{
	const char *field = field_of(t, e->col);
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

/* --- GET /api/dues ------------------------------------------------------------ */

static void
put_month_row(const struct dom_dues_row *m, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "member_id", m->member_id);
	jw_kstr(j, "name", m->name);
	jw_kstr(j, "org_code", m->org_code);
	jw_kstr(j, "org_name", m->org_name);
	put_class(j, m->cls);
	put_amount(j, "base", m->cls && strcmp(m->cls, "farmer") != 0 ? m->base : -1);
	put_amount(j, "monthly", m->monthly);
	jw_kbool(j, "owes", m->owes);
	jw_kbool(j, "paid", m->payment_id != NULL);
	jw_kstr(j, "payment_id", m->payment_id);
	put_amount(j, "amount", m->payment_id ? m->amount : -1);
	jw_kstr(j, "paid_on", m->paid_on);
	jw_kstr(j, "received_by", m->received_by);
	jw_kstr(j, "note", m->note);
	jw_end_obj(j);
}

static void
api_dues(struct call *c)
{
	bool bad = false;
	const char *month = bounded(web_arg(c, "month"), DUES_ARG_MAX, &bad);
	const char *org = bounded(web_arg(c, "org"), DUES_ARG_MAX, &bad);
	struct dom_dues_totals t;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;
	char now[8];

	if (bad) {
		too_long(c);
		return;
	}
	if (month == NULL || month[0] == '\0') {
		dom_month_now(now);
		month = now;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "month", month);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_dues_month(c->w->r, month, org, put_month_row, &j, &t, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_key(&j, "totals");
	jw_obj(&j);
	jw_kint(&j, "members", t.members);
	jw_kint(&j, "paid", t.paid);
	jw_kint(&j, "unpaid", t.unpaid);
	jw_kint(&j, "no_class", t.no_class);
	put_amount(&j, "due", t.due);
	put_amount(&j, "received", t.received);
	jw_kbool(&j, "more", t.more);
	jw_end_obj(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- POST /api/dues/pay, /api/dues/pay-all ------------------------------------ */

static void
pay_write(struct call *c, bool dry_run)
{
	bool bad = false;
	struct dom_dues_pay p = {
		.month = bounded(web_field(c, "month"), DUES_ARG_MAX, &bad),
		.amount = bounded(web_field(c, "amount"), DUES_ARG_MAX, &bad),
		.paid_on = bounded(web_field(c, "date"), DUES_ARG_MAX, &bad),
		.by = bounded(web_field(c, "by"), DOM_DUES_BY_MAX, &bad),
		.note = bounded(web_field(c, "note"), DOM_DUES_NOTE_MAX, &bad),
	};
	const char *member = bounded(web_field(c, "member"), ID_TEXT_LEN, &bad);
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	int64_t fen;
	struct jw j;
	struct evbuffer *b;

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_dues_pay(c->w->r, c->w->operator_name, member ? member : "", &p, dry_run, id, &fen,
	    &e) != 0) {
		reply_refused(c, &e, TBL_DUES_PAYMENT, dry_run);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kbool(&j, "saved", !dry_run);
	jw_kstr(&j, "id", dry_run ? NULL : id);
	put_amount(&j, "amount", fen);
	jw_end_obj(&j);
	web_reply_json(c->req, dry_run ? 200 : 201, b);
}

static void api_dues_pay(struct call *c) { pay_write(c, false); }
static void api_dues_pay_check(struct call *c) { pay_write(c, true); }

static void
api_dues_pay_all(struct call *c)
{
	bool bad = false;
	const char *month = bounded(web_field(c, "month"), DUES_ARG_MAX, &bad);
	const char *org = bounded(web_field(c, "org"), DUES_ARG_MAX, &bad);
	const char *date = bounded(web_field(c, "date"), DUES_ARG_MAX, &bad);
	const char *by = bounded(web_field(c, "by"), DOM_DUES_BY_MAX, &bad);
	struct dom_dues_batch bt;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_dues_pay_all(c->w->r, c->w->operator_name, month, org, date, by, false, &bt,
	    &e) != 0) {
		reply_refused(c, &e, TBL_DUES_PAYMENT, false);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kint(&j, "paid", bt.paid);
	put_amount(&j, "amount", bt.amount);
	jw_kint(&j, "already", bt.already);
	jw_kint(&j, "no_class", bt.no_class);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- GET /api/dues/arrears ------------------------------------------------------ */

static void
put_arrears_row(const struct dom_arrears_row *m, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "member_id", m->member_id);
	jw_kstr(j, "name", m->name);
	jw_kstr(j, "org_code", m->org_code);
	jw_kstr(j, "org_name", m->org_name);
	put_class(j, m->cls);
	put_amount(j, "monthly", m->monthly);
	jw_kint(j, "months", m->months);
	jw_kbool(j, "capped", m->capped);
	jw_kstr(j, "from", m->from);
	jw_kstr(j, "to", m->to);
	put_amount(j, "owed", m->owed);
	jw_key(j, "flag");
	jw_obj(j);
	jw_kstr(j, "code", dom_dues_flag_code(m->flag));
	jw_kstr(j, "label", dom_dues_flag_text(m->flag));
	jw_end_obj(j);
	jw_end_obj(j);
}

static void
api_dues_arrears(struct call *c)
{
	bool bad = false, more = false;
	const char *as_of = bounded(web_arg(c, "as_of"), DUES_ARG_MAX, &bad);
	const char *org = bounded(web_arg(c, "org"), DUES_ARG_MAX, &bad);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;
	char now[8];

	if (bad) {
		too_long(c);
		return;
	}
	if (as_of == NULL || as_of[0] == '\0') {
		dom_month_now(now);
		as_of = now;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "as_of", as_of);
	jw_kint(&j, "warn_months", DOM_DUES_WARN_MONTHS);
	jw_kint(&j, "charter_months", DOM_DUES_CHARTER_MONTHS);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_dues_arrears(c->w->r, as_of, org, put_arrears_row, &j, &more, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_kbool(&j, "more", more);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* --- a member's dues ------------------------------------------------------------- */

static void
put_history_row(const struct dom_dues_month_row *m, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "month", m->month);
	jw_kbool(j, "owes", m->owes);
	jw_kbool(j, "paid", m->payment_id != NULL);
	jw_kstr(j, "payment_id", m->payment_id);
	put_amount(j, "amount", m->payment_id ? m->amount : -1);
	jw_kstr(j, "paid_on", m->paid_on);
	jw_kstr(j, "received_by", m->received_by);
	jw_kstr(j, "note", m->note);
	jw_end_obj(j);
}

static void
api_dues_member(struct call *c)
{
	bool bad = false;
	const char *id = bounded(web_arg(c, "id"), ID_TEXT_LEN, &bad);
	const char *month = bounded(web_arg(c, "month"), DUES_ARG_MAX, &bad);
	struct dom_dues_member d;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_dues_member(c->w->r, id ? id : "", &d, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_class(&j, d.cls);
	put_amount(&j, "base", d.cls[0] && strcmp(d.cls, "farmer") != 0 ? d.base : -1);
	put_amount(&j, "farmer_amount", strcmp(d.cls, "farmer") == 0 ? d.base : -1);
	put_amount(&j, "monthly", d.monthly);
	jw_kint(&j, "rate_bp", d.rate_bp);
	jw_kbool(&j, "left", d.left);
	jw_kstr(&j, "join_month", d.join_month[0] ? d.join_month : NULL);
	/* The classes to choose from, and which of them are figured on a base. */
	jw_key(&j, "classes");
	jw_arr(&j);
	for (size_t k = 0; vocab_vals_dues_class[k] != NULL; k++) {
		const char *code = vocab_vals_dues_class[k];
		jw_obj(&j);
		jw_kstr(&j, "code", code);
		jw_kstr(&j, "label", vocab_label(vocab_get("dues_class"), code));
		jw_kstr(&j, "base", strcmp(code, "farmer") == 0 ? "amount" :
		    dues_rate_bp(code, 0) > 0 ? "income" : NULL);
		jw_end_obj(&j);
	}
	jw_end_arr(&j);
	jw_key(&j, "months");
	jw_arr(&j);
	if (dom_dues_history(c->w->r, id, month, 12, put_history_row, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void
set_write(struct call *c, bool dry_run)
{
	bool bad = false;
	const char *id = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);
	const char *cls = bounded(web_field(c, "class"), DUES_ARG_MAX, &bad);
	const char *base = bounded(web_field(c, "base"), DUES_ARG_MAX, &bad);
	struct dom_error e;
	int64_t monthly;
	struct jw j;
	struct evbuffer *b;

	if (bad) {
		too_long(c);
		return;
	}
	if (dom_dues_set(c->w->r, c->w->operator_name, id ? id : "", cls, base, dry_run, &monthly,
	    &e) != 0) {
		reply_refused(c, &e, TBL_MEMBER, dry_run);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kbool(&j, "saved", !dry_run);
	put_amount(&j, "monthly", monthly);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static void api_dues_set(struct call *c) { set_write(c, false); }
static void api_dues_set_check(struct call *c) { set_write(c, true); }

const struct web_route web_routes_dues[] = {
	{ EVHTTP_REQ_GET, "/api/dues", api_dues },
	{ EVHTTP_REQ_POST, "/api/dues/pay", api_dues_pay },
	{ EVHTTP_REQ_POST, "/api/dues/pay/check", api_dues_pay_check },
	{ EVHTTP_REQ_POST, "/api/dues/pay-all", api_dues_pay_all },
	{ EVHTTP_REQ_GET, "/api/dues/arrears", api_dues_arrears },
	{ EVHTTP_REQ_GET, "/api/dues/member", api_dues_member },
	{ EVHTTP_REQ_POST, "/api/dues/set", api_dues_set },
	{ EVHTTP_REQ_POST, "/api/dues/set/check", api_dues_set_check },
	{ 0, NULL, NULL },
};
