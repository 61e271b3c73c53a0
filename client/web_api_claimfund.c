/*
 * web_api_claimfund.c - the desk's API for claims on list items (双向认领),
 * the month's public board (公示) and the service fund (服务群众专项经费):
 * the same domain operations as tongxin item claim|progress|done|withdraw|
 * claims|board and tongxin fund budget|spend|list|disclose (dom_work.h,
 * dom_fund.h); no SQL here.
 *
 *   GET  /api/claims[?item=]            claims (of one item: id or handle), with the states
 *   POST /api/claims/add                item; exactly one of branch (code), unit, member; date
 *   POST /api/claims/progress           id
 *   POST /api/claims/done               id, result, date
 *   POST /api/claims/withdraw           id, note
 *   GET  /api/board[?month=&org_id=]    the month's 公示 (default this month); .csv too
 *   GET  /api/fund[?year=&org_id=]      the book: budgets and spending with the balance
 *   POST /api/fund/budget               org_id (community; default this device's), year, amount, date, note
 *   POST /api/fund/spend                org_id, amount, purpose, approver, date, item_id, wish_id, note
 *   GET  /api/fund/disclose?quarter=    the quarter's disclosure (YYYY-Qn); .csv too
 *
 * Refusals are the domain's messages: 404 for a record that is not here,
 * 422 for a value or a state the rules refuse; nothing is written then.
 * Every argument is bounded before it reaches the domain.
 */
#include "web_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "dom_dues.h"
#include "dom_fund.h"
#include "dom_handle.h"
#include "dom_wish.h"
#include "dom_work.h"
#include "table.h"
#include "vocab.h"

/* The longest handle or id the API reads. */
#define CF_HANDLE_MAX 200

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

/* "key": [{code, label}]: the vocabulary of column col of table t. */
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

/*
 * Send CSV text data (len bytes; the caller keeps it) as a download named
 * ascii (fallback) and utf8 (percent-encoded, RFC 5987).
 */
static void
send_csv_data(struct call *c, const char *data, size_t len, const char *ascii, const char *utf8)
{
	char disp[400];

	web_csv_disposition(disp, sizeof disp, ascii, utf8);
	web_reply_csv_bytes(c, data, len, disp);
}

/*
 * Tables t1 and (when not NULL) t2 as one CSV file, as the CLI prints them:
 * a blank line between, the second without its own byte-order mark. Frees
 * both.
 */
static void
send_csv(struct call *c, struct table *t1, struct table *t2, const char *ascii, const char *utf8)
{
	char *data = NULL, *data2 = NULL;
	size_t len = 0, len2 = 0;
	FILE *f, *f2 = NULL;
	bool ok;

	if ((f = open_memstream(&data, &len)) == NULL) {
		table_free(t1);
		table_free(t2);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	table_print(t1, f, TABLE_CSV);   /* prints and frees t1 */
	if (t2 != NULL) {
		fputs("\n", f);
		if ((f2 = open_memstream(&data2, &len2)) != NULL) {
			table_print(t2, f2, TABLE_CSV);
			t2 = NULL;
		}
	}
	ok = f2 == NULL ? t2 == NULL : fclose(f2) == 0;
	table_free(t2);
	if (ok && data2 != NULL) {
		size_t skip = len2 >= 3 && memcmp(data2, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
		ok = fwrite(data2 + skip, 1, len2 - skip, f) == len2 - skip;
	}
	free(data2);
	if (fclose(f) != 0 || !ok) {
		free(data);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	send_csv_data(c, data, len, ascii, utf8);
	free(data);
}

static const char *
claimant_kind_label(const char *k)
{
	if (k == NULL)
		return NULL;
	return strcmp(k, "branch") == 0 ? "组织" : strcmp(k, "unit") == 0 ? "驻区单位" :
	    strcmp(k, "member") == 0 ? "党员" : k;
}

/* "claimant": {kind, label, name} or null. */
static void
put_claimant(struct jw *j, const char *kind, const char *name)
{
	jw_key(j, "claimant");
	if (kind == NULL) {
		jw_null(j);
		return;
	}
	jw_obj(j);
	jw_kstr(j, "kind", kind);
	jw_kstr(j, "label", claimant_kind_label(kind));
	jw_kstr(j, "name", name);
	jw_end_obj(j);
}

/* --- claims --------------------------------------------------------------- */

static void
put_claim(const struct dom_claim_row *r, void *arg)
{
	struct jw *j = arg;
	bool active = r->state != NULL && (strcmp(r->state, "claimed") == 0 ||
	    strcmp(r->state, "in_progress") == 0);

	jw_obj(j);
	jw_kstr(j, "id", r->id);
	jw_kstr(j, "handle", dom_short(r->id));
	jw_kstr(j, "item_id", r->item_id);
	web_jw_coded(j, "item_kind", web_col(TBL_LIST_ITEM, "kind"), r->item_kind);
	jw_kstr(j, "item_title", r->item_title);
	jw_kstr(j, "org_name", r->org_name);
	put_claimant(j, r->claimant_kind, r->claimant);
	web_jw_coded(j, "state", web_col(TBL_CLAIM, "state"), r->state);
	jw_kstr(j, "claimed_on", r->claimed_on);
	jw_kstr(j, "done_on", r->done_on);
	jw_kstr(j, "result", r->result);
	jw_kstr(j, "note", r->note);
	/* The steps the claim may take now (claimed -> in_progress -> done; active -> withdrawn). */
	jw_key(j, "next");
	jw_arr(j);
	if (r->state != NULL && strcmp(r->state, "claimed") == 0)
		jw_str(j, "progress");
	if (active) {
		jw_str(j, "done");
		jw_str(j, "withdraw");
	}
	jw_end_arr(j);
	jw_end_obj(j);
}

/* GET /api/claims[?item=ID|HANDLE]: the claims of one item, or every claim here. */
static void
api_claims(struct call *c)
{
	struct web_args a = { .c = c };
	const char *item = web_qarg(&a, "item", CF_HANDLE_MAX);
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a))
		return;
	if (dom_given(item) && dom_row_handle(c->w->r, TBL_LIST_ITEM, item, "清单", id, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	put_options(&j, "states", TBL_CLAIM, "state");
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_claim_list(c->w->r, dom_given(item) ? id : NULL, put_claim, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/*
 * POST /api/claims/add: item (id or handle); exactly one claimant: branch
 * (an organisation's code: branch, general branch or community), unit (a
 * unit's handle or name) or member (a member's handle); date (default
 * today). 201 with the claim's id.
 */
static void
api_claim_add(struct call *c)
{
	struct web_args a = { .c = c };
	const char *item = web_fld(&a, "item", CF_HANDLE_MAX);
	const char *member = web_fld(&a, "member", CF_HANDLE_MAX);
	const char *unit = web_fld(&a, "unit", CF_HANDLE_MAX);
	const char *branch = web_fld(&a, "branch", 64);
	const char *date = web_fld(&a, "date", 10);
	struct dom_claimant who = { 0 };
	char iid[ID_TEXT_LEN + 1], cid[ID_TEXT_LEN + 1], claim[ID_TEXT_LEN + 1];
	struct dom_error e;
	const char *field;

	if (web_too_long(&a))
		return;
	if (dom_row_handle(c->w->r, TBL_LIST_ITEM, item ? item : "", "清单", iid, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	if ((dom_given(member) != NULL) + (dom_given(unit) != NULL) + (dom_given(branch) != NULL) != 1) {
		web_reply_error(c->req, 422, "missing",
		    "请选择一个认领方：支部、驻区单位或党员（三者选一） give exactly one claimant", "branch");
		return;
	}
	field = dom_given(member) ? "member" : dom_given(unit) ? "unit" : "branch";
	if (dom_claimant_of(c->w->r, dom_given(member), dom_given(unit),
	    branch, dom_item_claim_kinds, cid, &who, &e) != 0) {
		/* The claimant is an item of the form: not found there is a value refused. */
		web_reply_error(c->req, e.kind == DOM_FAIL ? 500 : 422,
		    e.kind == DOM_FAIL ? "replica" : "invalid", e.msg, field);
		return;
	}
	if (dom_item_claim(c->w->r, c->w->operator_name, iid, &who, dom_given(date), false, claim, NULL,
	    &e) != 0) {
		web_reply_dom_error(c, &e, TBL_LIST_ITEM);
		return;
	}
	reply_done(c, 201, claim);
}

/* POST /api/claims/progress|done|withdraw: id (or handle); done: result, date; withdraw: note. */
static void
claim_step(struct call *c, enum dom_claim_step step)
{
	struct web_args a = { .c = c };
	const char *h = web_fld(&a, "id", CF_HANDLE_MAX);
	const char *date = web_fld(&a, "date", 10);
	const char *result = web_fld(&a, "result", 2000);
	const char *note = web_fld(&a, "note", 500);
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (web_handle_of(&a, dom_claim_handle, h, id) != 0)
		return;
	if (dom_claim_step(c->w->r, c->w->operator_name, id, step, dom_given(date),
	    step == DOM_CLAIM_DONE ? dom_given(result) : dom_given(note), &e) != 0) {
		web_reply_dom_error(c, &e, TBL_CLAIM);
		return;
	}
	reply_done(c, 200, id);
}

static void api_claim_progress(struct call *c) { claim_step(c, DOM_CLAIM_PROGRESS); }
static void api_claim_done(struct call *c) { claim_step(c, DOM_CLAIM_DONE); }
static void api_claim_withdraw(struct call *c) { claim_step(c, DOM_CLAIM_WITHDRAW); }

/* --- the month's board (公示) --------------------------------------------------- */

/* The month asked for (YYYY-MM, this month by default) into mon. 0, or -1 having answered. */
static int
board_month(struct call *c, struct web_args *a, char mon[8], const char **org)
{
	const char *m = web_qarg(a, "month", 7);

	*org = web_qarg(a, "org_id", ID_TEXT_LEN);
	if (web_too_long(a))
		return -1;
	if (dom_given(m)) {
		snprintf(mon, 8, "%s", m);
	} else {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(mon, 8, "%Y-%m", &tm);
	}
	(void)c;
	return 0;
}

static void
put_board(const struct dom_board_row *r, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "comm_code", r->comm_code);
	jw_kstr(j, "comm_name", r->comm_name);
	jw_kstr(j, "org_name", r->org_name);
	jw_kstr(j, "item_id", r->item_id);
	web_jw_coded(j, "kind", web_col(TBL_LIST_ITEM, "kind"), r->kind);
	jw_kstr(j, "title", r->title);
	web_jw_coded(j, "status", web_col(TBL_LIST_ITEM, "status"), r->status);
	jw_kstr(j, "closed_on", r->closed_on);
	jw_kstr(j, "close_result", r->close_result);
	put_claimant(j, r->claimant_kind, r->claimant);
	web_jw_coded(j, "state", web_col(TBL_CLAIM, "state"), r->state);
	jw_kstr(j, "claimed_on", r->claimed_on);
	jw_kstr(j, "done_on", r->done_on);
	jw_kstr(j, "result", r->result);
	jw_end_obj(j);
}

/* GET /api/board[?month=YYYY-MM&org_id=]: the month's public board. */
static void
api_board(struct call *c)
{
	struct web_args a = { .c = c };
	char mon[8];
	const char *org;
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (board_month(c, &a, mon, &org) != 0 || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "month", mon);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_item_board(c->w->r, dom_given(org), mon, put_board, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

struct csv_ctx {
	struct table *t;
	bool oom;
};

static void
csv_board(const struct dom_board_row *r, void *arg)
{
	struct csv_ctx *x = arg;
	const char *cells[14] = { r->comm_code, r->comm_name, r->kind, r->title, r->org_name,
		claimant_kind_label(r->claimant_kind), r->claimant, r->state, r->claimed_on,
		r->done_on, r->result, r->status, r->closed_on, r->close_result };

	if (table_add(x->t, cells) != 0)
		x->oom = true;
}

/* GET /api/board.csv[?month=&org_id=]: 清单认领公示_YYYY-MM.csv, the columns of tongxin item board --csv. */
static void
api_board_csv(struct call *c)
{
	static const char *const ids[] = { "community_code", "community", "kind", "title", "org",
		"claimant_kind", "claimant", "claim_state", "claimed_on", "done_on", "result",
		"item_status", "closed_on", "close_result" };
	static const char *const hdr[] = { "社区编码", "社区", "类型", "事项", "责任组织",
		"认领方类别", "认领方", "认领状态", "认领日期", "完成日期", "完成情况", "清单状态",
		"销号日期", "销号结果" };
	struct web_args a = { .c = c };
	struct csv_ctx x = { 0 };
	char mon[8], ascii[64], utf8[160];
	const char *org;
	struct dom_error e;

	if (board_month(c, &a, mon, &org) != 0)
		return;
	if ((x.t = table_new(14, ids, hdr)) == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	table_set_vocab(x.t, 2, vocab_get("item_kind"));
	table_set_vocab(x.t, 7, vocab_get("claim_state"));
	table_set_vocab(x.t, 11, vocab_get("item_status"));
	if (dom_item_board(c->w->r, dom_given(org), mon, csv_board, &x, &e) != 0 || x.oom) {
		table_free(x.t);
		if (x.oom)
			web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		else
			web_reply_dom_error(c, &e, -1);
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-board-%s.csv", mon);
	/* 清单认领公示_YYYY-MM.csv */
	snprintf(utf8, sizeof utf8, "%%E6%%B8%%85%%E5%%8D%%95%%E8%%AE%%A4%%E9%%A2%%86%%E5%%85%%AC"
	    "%%E7%%A4%%BA_%s.csv", mon);
	send_csv(c, x.t, NULL, ascii, utf8);
}

/* --- the service fund ---------------------------------------------------------- */

static void
put_entry(const struct dom_fund_entry *x, void *arg)
{
	struct jw *j = arg;
	char amount[32], balance[32];

	jw_obj(j);
	jw_kstr(j, "id", x->id);
	jw_kstr(j, "handle", dom_short(x->id));
	jw_kstr(j, "org_code", x->org_code);
	jw_kstr(j, "org_name", x->org_name);
	jw_kstr(j, "kind", x->kind);
	jw_kint(j, "year", x->year);
	jw_kstr(j, "date", x->date);
	jw_kint(j, "amount_fen", x->amount);
	jw_kstr(j, "amount", dom_yuan_text(x->amount, amount));
	jw_kint(j, "balance_fen", x->balance);
	jw_kstr(j, "balance", dom_yuan_text(x->balance, balance));
	jw_kbool(j, "has_budget", x->has_budget);
	jw_kstr(j, "purpose", x->purpose);
	jw_kstr(j, "approver", x->approver);
	jw_kstr(j, "item_title", x->item_title);
	jw_kstr(j, "wish", x->wish);
	jw_kstr(j, "note", x->note);
	jw_end_obj(j);
}

/* GET /api/fund[?year=YYYY&org_id=]: the book, per community and year. */
static void
api_fund(struct call *c)
{
	struct web_args a = { .c = c };
	const char *year = web_qarg(&a, "year", 4);
	const char *org = web_qarg(&a, "org_id", ID_TEXT_LEN);
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	if (web_too_long(&a) || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_fund_list(c->w->r, dom_given(org), dom_given(year), put_entry, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* POST /api/fund/budget: org_id (a community; default this device's), year, amount (元), date, note. */
static void
api_fund_budget(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_fund_budget_req q = { 0 };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	q.org_id = dom_given(web_fld(&a, "org_id", ID_TEXT_LEN));
	q.year = web_fld(&a, "year", 4);
	q.amount = web_fld(&a, "amount", 32);
	q.date = dom_given(web_fld(&a, "date", 10));
	q.note = dom_given(web_fld(&a, "note", DOM_FUND_NOTE_MAX));
	if (web_too_long(&a))
		return;
	if (dom_fund_budget(c->w->r, c->w->operator_name, &q, id, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_FUND_BUDGET);
		return;
	}
	reply_done(c, 201, id);
}

/*
 * POST /api/fund/spend: org_id, amount (元), purpose, approver, date,
 * item_id, wish_id, note. 201 with the id and the year's standing (over:
 * beyond the budget, written all the same: the money was paid out).
 */
static void
api_fund_spend(struct call *c)
{
	struct web_args a = { .c = c };
	struct dom_fund_spend_req q = { 0 };
	struct dom_fund_after after = { 0 };
	char id[ID_TEXT_LEN + 1], bud[32], spent[32];
	struct dom_error e;
	struct jw j;
	struct evbuffer *b;

	q.org_id = dom_given(web_fld(&a, "org_id", ID_TEXT_LEN));
	q.amount = web_fld(&a, "amount", 32);
	q.purpose = web_fld(&a, "purpose", DOM_FUND_PURPOSE_MAX);
	q.approver = web_fld(&a, "approver", DOM_FUND_APPROVER_MAX);
	q.date = dom_given(web_fld(&a, "date", 10));
	q.item_id = dom_given(web_fld(&a, "item_id", ID_TEXT_LEN));
	q.wish_id = dom_given(web_fld(&a, "wish_id", ID_TEXT_LEN));
	q.note = dom_given(web_fld(&a, "note", DOM_FUND_NOTE_MAX));
	if (web_too_long(&a))
		return;
	if (dom_fund_spend(c->w->r, c->w->operator_name, &q, id, &after, &e) != 0) {
		web_reply_dom_error(c, &e, TBL_FUND_SPENDING);
		return;
	}
	if ((b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kstr(&j, "id", id);
	jw_kbool(&j, "has_budget", after.has_budget);
	jw_kstr(&j, "budget", dom_yuan_text(after.budget, bud));
	jw_kstr(&j, "spent", dom_yuan_text(after.spent, spent));
	jw_kbool(&j, "over", after.over);
	jw_end_obj(&j);
	web_reply_json(c->req, 201, b);
}

/* The disclosure as JSON: the communities' figures, then the entries. */
struct disclosure_json {
	struct jw *j;
	bool in_entries;
};

static void
put_quarter(const struct dom_fund_quarter *q, void *arg)
{
	struct jw *j = ((struct disclosure_json *)arg)->j;
	char b[32], sq[32], sy[32], bal[32];

	jw_obj(j);
	jw_kstr(j, "org_code", q->org_code);
	jw_kstr(j, "org_name", q->org_name);
	jw_kbool(j, "has_budget", q->has_budget);
	jw_kstr(j, "budget", q->has_budget ? dom_yuan_text(q->budget, b) : NULL);
	jw_kstr(j, "spent_quarter", dom_yuan_text(q->spent_quarter, sq));
	jw_kstr(j, "spent_year", dom_yuan_text(q->spent_ytd, sy));
	jw_kstr(j, "balance", dom_yuan_text(q->balance, bal));
	jw_kint(j, "budget_fen", q->has_budget ? q->budget : 0);
	jw_kint(j, "spent_quarter_fen", q->spent_quarter);
	jw_kint(j, "spent_year_fen", q->spent_ytd);
	jw_end_obj(j);
}

static void
put_quarter_entry(const struct dom_fund_entry *x, void *arg)
{
	struct disclosure_json *d = arg;

	if (!d->in_entries) {
		/* The summary's rows all come before the first entry. */
		jw_end_arr(d->j);
		jw_key(d->j, "entries");
		jw_arr(d->j);
		d->in_entries = true;
	}
	put_entry(x, d->j);
}

/* The quarter asked for (YYYY-Qn; required). 0, or -1 having answered. */
static int
quarter_arg(struct web_args *a, const char **quarter)
{
	*quarter = web_qarg(a, "quarter", 7);
	if (web_too_long(a))
		return -1;
	if (!dom_given(*quarter)) {
		web_reply_error(a->c->req, 422, "missing", "缺少季度 quarter (YYYY-Qn) is required",
		    "quarter");
		return -1;
	}
	return 0;
}

/* GET /api/fund/disclose?quarter=YYYY-Qn[&org_id=]: {quarter, summary, entries}. */
static void
api_fund_disclose(struct call *c)
{
	struct web_args a = { .c = c };
	const char *quarter, *org = web_qarg(&a, "org_id", ID_TEXT_LEN);
	struct dom_error e;
	struct jw j;
	struct disclosure_json d = { .j = &j };
	struct evbuffer *b;

	if (quarter_arg(&a, &quarter) != 0 || (b = web_new_body(c, &j)) == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "quarter", quarter);
	jw_key(&j, "summary");
	jw_arr(&j);
	if (dom_fund_disclose(c->w->r, dom_given(org), quarter, put_quarter, put_quarter_entry, &d,
	    &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, -1);
		return;
	}
	jw_end_arr(&j);
	if (!d.in_entries) {
		jw_key(&j, "entries");
		jw_arr(&j);
		jw_end_arr(&j);
	}
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

static struct table *
entry_table(void)
{
	static const char *const ids[] = { "id", "community_code", "community", "year", "kind",
		"date", "purpose", "amount", "approver", "item", "wish", "balance", "note" };
	static const char *const hdr[] = { "编号", "社区编码", "社区", "年度", "类别", "日期", "用途",
		"金额（元）", "审批人", "关联项目", "关联微心愿", "余额（元）", "备注" };
	struct table *t = table_new(13, ids, hdr);

	if (t != NULL) {
		table_set_number(t, 3);
		table_set_number(t, 7);
		table_set_number(t, 11);
	}
	return t;
}

struct disclosure_csv {
	struct table *sum, *ent;
	bool oom;
};

static void
csv_quarter(const struct dom_fund_quarter *q, void *arg)
{
	struct disclosure_csv *d = arg;
	char b[32], sq[32], sy[32], bal[32];
	const char *cells[6];

	cells[0] = q->org_code;
	cells[1] = q->org_name;
	cells[2] = q->has_budget ? dom_yuan_text(q->budget, b) : NULL;
	cells[3] = dom_yuan_text(q->spent_quarter, sq);
	cells[4] = dom_yuan_text(q->spent_ytd, sy);
	cells[5] = dom_yuan_text(q->balance, bal);
	if (table_add(d->sum, cells) != 0)
		d->oom = true;
}

static void
csv_entry(const struct dom_fund_entry *x, void *arg)
{
	struct disclosure_csv *d = arg;
	char year[16], amount[32], balance[32];
	const char *cells[13];
	bool budget = strcmp(x->kind, "budget") == 0;

	snprintf(year, sizeof year, "%lld", (long long)x->year);
	dom_yuan_text(x->amount, amount);
	dom_yuan_text(x->balance, balance);
	cells[0] = x->id;
	cells[1] = x->org_code;
	cells[2] = x->org_name;
	cells[3] = year;
	cells[4] = budget ? "预算" : "支出";
	cells[5] = x->date;
	cells[6] = budget ? "年度预算" : x->purpose;
	cells[7] = amount;
	cells[8] = x->approver;
	cells[9] = x->item_title;
	cells[10] = x->wish;
	cells[11] = balance;
	cells[12] = x->note;
	if (table_add(d->ent, cells) != 0)
		d->oom = true;
}

/*
 * GET /api/fund/disclose.csv?quarter=YYYY-Qn[&org_id=]: 专项经费公开_YYYY-Qn.csv,
 * byte for byte tongxin fund disclose --csv (the two tables, a blank line between).
 */
static void
api_fund_disclose_csv(struct call *c)
{
	static const char *const ids[] = { "community_code", "community", "budget",
		"spent_quarter", "spent_year", "balance" };
	static const char *const hdr[] = { "社区编码", "社区", "年度预算（元）", "本季支出（元）",
		"年度累计支出（元）", "余额（元）" };
	struct web_args a = { .c = c };
	struct disclosure_csv d = { 0 };
	const char *quarter, *org = web_qarg(&a, "org_id", ID_TEXT_LEN);
	char ascii[64], utf8[160];
	struct dom_error e;

	if (quarter_arg(&a, &quarter) != 0)
		return;
	if ((d.sum = table_new(6, ids, hdr)) == NULL || (d.ent = entry_table()) == NULL) {
		table_free(d.sum);
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	for (int k = 2; k < 6; k++)
		table_set_number(d.sum, k);
	if (dom_fund_disclose(c->w->r, dom_given(org), quarter, csv_quarter, csv_entry, &d, &e) != 0 ||
	    d.oom) {
		table_free(d.sum);
		table_free(d.ent);
		if (d.oom)
			web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		else
			web_reply_dom_error(c, &e, -1);
		return;
	}
	snprintf(ascii, sizeof ascii, "tongxin-fund-%s.csv", quarter);
	/* 专项经费公开_YYYY-Qn.csv */
	snprintf(utf8, sizeof utf8, "%%E4%%B8%%93%%E9%%A1%%B9%%E7%%BB%%8F%%E8%%B4%%B9%%E5%%85%%AC"
	    "%%E5%%BC%%80_%s.csv", quarter);
	send_csv(c, d.sum, d.ent, ascii, utf8);
}

const struct web_route web_routes_claimfund[] = {
	{ EVHTTP_REQ_GET, "/api/claims", api_claims },
	{ EVHTTP_REQ_POST, "/api/claims/add", api_claim_add },
	{ EVHTTP_REQ_POST, "/api/claims/progress", api_claim_progress },
	{ EVHTTP_REQ_POST, "/api/claims/done", api_claim_done },
	{ EVHTTP_REQ_POST, "/api/claims/withdraw", api_claim_withdraw },
	{ EVHTTP_REQ_GET, "/api/board", api_board },
	{ EVHTTP_REQ_GET, "/api/board.csv", api_board_csv },
	{ EVHTTP_REQ_GET, "/api/fund", api_fund },
	{ EVHTTP_REQ_POST, "/api/fund/budget", api_fund_budget },
	{ EVHTTP_REQ_POST, "/api/fund/spend", api_fund_spend },
	{ EVHTTP_REQ_GET, "/api/fund/disclose", api_fund_disclose },
	{ EVHTTP_REQ_GET, "/api/fund/disclose.csv", api_fund_disclose_csv },
	{ 0, NULL, NULL },
};
