/*
 * cmd_dues.c - tongxin dues: 党费: each member's monthly dues by the 党费收缴
 * rules, payments per month, arrears.
 *
 * The rules and the writes are the domain layer's (dom_dues.h), which the
 * desk calls too; this file parses and prints. A member is named by any
 * member handle (dom_handle.h). Amounts are read and shown in yuan with two
 * decimals. Exit statuses: 2 a usage error (a missing required option), 7
 * invalid input (a month paid already, a member who left, an amount that
 * is no amount ...), 9 no such member or organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_dues.h"
#include "dom_handle.h"

#include <stdio.h>
#include <string.h>

#include "dues.h"
#include "table.h"
#include "text.h"
#include "value.h"
#include "vocab.h"

/* The domain's refusal after the verb's name; the exit status (cmd_exit_of). */
static int
refused(const char *verbname, const struct dom_error *e)
{
	fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e->msg));
	return cmd_exit_of(e->kind);
}

static int
oom(const char *verbname)
{
	fprintf(stderr, "tongxin %s: 内存不足 out of memory\n", verbname);
	return EXIT_FAIL;
}

/* Yuan text of fen, or NULL for a negative (unknown) amount. */
static const char *
yuan_or_null(int64_t fen, char out[32])
{
	return fen < 0 ? NULL : dom_yuan_text(fen, out);
}

/*
 * The member named by the handle a->argv[0], and its name (for the
 * confirmation; "" when unreadable). 0, or an exit status having said why.
 */
static int
member_of(struct replica *r, const struct cmd_args *a, const char *verbname,
    char id[ID_TEXT_LEN + 1], char name[256])
{
	Tongxin__Value vals[DOM_MAX_COLS];
	char org[256], rep[256];
	struct dom_error e;
	int c = schema_col_index(&schema_tables[TBL_MEMBER], "name");

	name[0] = '\0';
	if (dom_member_handle(r, a->argv[0], id, &e) != 0)
		return refused(verbname, &e);
	memset(vals, 0, sizeof vals);
	if (dom_member_get(r, id, vals, org, rep, &e) == 0 &&
	    vals[c].kind_case == TONGXIN__VALUE__KIND_S)
		snprintf(name, 256, "%s", vals[c].s);
	for (int k = 0; k < DOM_MAX_COLS; k++)
		value_clear(&vals[k]);
	return 0;
}

/* "在岗职工，交纳基数 4500.00 元，比例 1%，每月应交 45.00 元" for member d. */
static void
dues_sentence(const struct dom_dues_member *d, char *buf, size_t cap)
{
	char b[32], m[32];

	if (d->cls[0] == '\0') {
		snprintf(buf, cap, "未设定党费类别 no dues class set");
	} else if (strcmp(d->cls, "farmer") == 0) {
		snprintf(buf, cap, "%s，每月应交 %s 元", vocab_show(vocab_get("dues_class"), d->cls),
		    dom_yuan_text(d->monthly, m));
	} else if (d->base < 0) {
		snprintf(buf, cap, "%s，每月应交 %s 元（固定标准）",
		    vocab_show(vocab_get("dues_class"), d->cls), dom_yuan_text(d->monthly, m));
	} else {
		char rate[16];
		if (d->rate_bp % 100 == 0)
			snprintf(rate, sizeof rate, "%d%%", d->rate_bp / 100);
		else
			snprintf(rate, sizeof rate, "%d.%d%%", d->rate_bp / 100, d->rate_bp % 100 / 10);
		snprintf(buf, cap, "%s，交纳基数 %s 元，比例 %s，每月应交 %s 元",
		    vocab_show(vocab_get("dues_class"), d->cls), dom_yuan_text(d->base, b), rate,
		    dom_yuan_text(d->monthly, m));
	}
}

/* --- dues set ------------------------------------------------------------------- */

static int
dues_set(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues set";
	char id[ID_TEXT_LEN + 1], name[256], s[256];
	struct dom_dues_member d;
	struct dom_error e;
	int64_t monthly;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (dom_dues_set(r, cli->operator_name, id, cmd_get(a, "class"), cmd_get(a, "base"), false,
	    &monthly, &e) != 0)
		return refused(verbname, &e);
	if (!cli->quiet && dom_dues_member(r, id, &d, &e) == 0) {
		dues_sentence(&d, s, sizeof s);
		printf("已设定 %s 的党费：%s\n", text_show(name), s);
	}
	return EXIT_OK;
}

/* --- dues show ------------------------------------------------------------------ */

struct fill_ctx {
	struct table *t;
	enum table_format fmt;
	bool oom;
};

static void
history_row(const struct dom_dues_month_row *m, void *arg)
{
	struct fill_ctx *fc = arg;
	char y[32];
	const char *st = m->payment_id ? "已交纳" : m->owes ? "未交纳" : "未入党";
	const char *code = m->payment_id ? "paid" : m->owes ? "unpaid" : "not_due";
	const char *cells[] = { m->month, fc->fmt == TABLE_JSON ? code : st,
		m->payment_id ? dom_yuan_text(m->amount, y) : NULL, m->paid_on, m->received_by,
		m->note };

	if (table_add(fc->t, cells) != 0)
		fc->oom = true;
}

static int
dues_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues show";
	const char *ids[] = { "month", "status", "amount", "paid_on", "received_by", "note" };
	const char *hdr[] = { "月份", "状态", "金额（元）", "交纳日期", "收缴人", "备注" };
	char id[ID_TEXT_LEN + 1], name[256], s[256];
	struct fill_ctx fc = { .fmt = cli->fmt };
	struct dom_dues_member d;
	struct dom_error e;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (dom_dues_member(r, id, &d, &e) != 0)
		return refused(verbname, &e);
	if ((fc.t = table_new(6, ids, hdr)) == NULL)
		return oom(verbname);
	table_set_number(fc.t, 2);
	if (dom_dues_history(r, id, cmd_get(a, "month"), 12, history_row, &fc, &e) != 0 || fc.oom) {
		table_free(fc.t);
		return fc.oom ? oom(verbname) : refused(verbname, &e);
	}
	if (cli->fmt == TABLE_TEXT) {
		dues_sentence(&d, s, sizeof s);
		printf("%s：%s%s\n最近 12 个月 The last 12 months:\n", text_show(name), s,
		    d.left ? "（已减少或党籍不正常，不再交纳）" : "");
	}
	table_print(fc.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- dues pay ------------------------------------------------------------------- */

static int
dues_pay(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues pay";
	struct dom_dues_pay p = { .month = cmd_get(a, "month"), .amount = cmd_get(a, "amount"),
		.paid_on = cmd_get(a, "date"), .by = cmd_get(a, "by"), .note = cmd_get(a, "note") };
	char id[ID_TEXT_LEN + 1], name[256], pid[ID_TEXT_LEN + 1], y[32];
	struct dom_error e;
	int64_t fen;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (dom_dues_pay(r, cli->operator_name, id, &p, false, pid, &fen, &e) != 0)
		return refused(verbname, &e);
	if (!cli->quiet)
		printf("已登记 %s %s 的党费 %s 元（编号 %s）\n", text_show(name), p.month,
		    dom_yuan_text(fen, y), dom_short(pid));
	return EXIT_OK;
}

static int
dues_fix(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues fix";
	struct dom_dues_pay p = { .month = cmd_get(a, "month"), .amount = cmd_get(a, "amount"),
		.paid_on = cmd_get(a, "date"), .by = cmd_get(a, "by"), .note = cmd_get(a, "note") };
	char id[ID_TEXT_LEN + 1], name[256], y[32];
	struct dom_error e;
	int64_t fen;
	int rc;

	if ((rc = member_of(r, a, verbname, id, name)) != 0)
		return rc;
	if (dom_dues_fix(r, cli->operator_name, id, &p, false, &fen, &e) != 0)
		return refused(verbname, &e);
	if (!cli->quiet)
		printf("已更正 %s %s 的党费记录：%s 元\n", text_show(name), p.month,
		    dom_yuan_text(fen, y));
	return EXIT_OK;
}

static int
dues_pay_all(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues pay-all";
	struct dom_dues_batch b;
	struct dom_error e;
	char y[32];

	if (dom_dues_pay_all(r, cli->operator_name, cmd_get(a, "month"), cmd_get(a, "branch"),
	    cmd_get(a, "date"), cmd_get(a, "by"), false, &b, &e) != 0)
		return refused(verbname, &e);
	if (!cli->quiet) {
		printf("已为 %lld 名党员登记 %s 的党费，共 %s 元", (long long)b.paid,
		    cmd_get(a, "month"), dom_yuan_text(b.amount, y));
		if (b.already)
			printf("；%lld 名已交纳", (long long)b.already);
		printf("\n");
	}
	if (b.no_class)
		fprintf(stderr, "tongxin %s: %lld 名党员未设定党费类别或交纳基数，未登记（dues set 后再交纳）"
		    " %lld members without a dues class were left out\n", verbname,
		    (long long)b.no_class, (long long)b.no_class);
	return EXIT_OK;
}

/* --- dues list ------------------------------------------------------------------ */

static void
month_row(const struct dom_dues_row *m, void *arg)
{
	struct fill_ctx *fc = arg;
	char base[32], monthly[32], amount[32];
	const char *st = m->payment_id ? (m->owes ? "已交纳" : "已交纳（已减少）") : "未交纳";
	const char *code = m->payment_id ? "paid" : "unpaid";
	const char *cells[13];
	int k = 0;

	cells[k++] = fc->fmt == TABLE_TEXT ? dom_short(m->member_id) : m->member_id;
	if (fc->fmt == TABLE_JSON)
		cells[k++] = dom_short(m->member_id);
	cells[k++] = m->name;
	cells[k++] = m->org_code;
	cells[k++] = m->org_name;
	cells[k++] = m->cls;
	cells[k++] = yuan_or_null(m->cls && strcmp(m->cls, "farmer") != 0 ? m->base : -1, base);
	cells[k++] = yuan_or_null(m->monthly, monthly);
	cells[k++] = fc->fmt == TABLE_JSON ? code : st;
	cells[k++] = m->payment_id ? dom_yuan_text(m->amount, amount) : NULL;
	cells[k++] = m->paid_on;
	cells[k++] = m->received_by;
	cells[k++] = m->note;
	if (table_add(fc->t, cells) != 0)
		fc->oom = true;
}

static int
dues_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues list";
	const char *ids[] = { "id", "handle", "name", "org_code", "org_name", "class", "base",
		"monthly", "status", "amount", "paid_on", "received_by", "note" };
	const char *hdr[] = { "编号", "编号", "姓名", "支部编码", "所在党支部", "党费类别",
		"交纳基数（元）", "月应交（元）", "状态", "实交（元）", "交纳日期", "收缴人", "备注" };
	int handle = cli->fmt == TABLE_JSON, off = 1 - handle;
	struct fill_ctx fc = { .fmt = cli->fmt };
	struct dom_dues_totals t;
	struct dom_error e;
	char month[8], due[32], got[32];

	if (cmd_get(a, "month"))
		snprintf(month, sizeof month, "%.7s", cmd_get(a, "month"));
	else
		dom_month_now(month);
	if (cmd_get(a, "month") && strlen(cmd_get(a, "month")) != 7) {
		fprintf(stderr, "tongxin %s: 月份 \"%s\" 无效，应为 YYYY-MM\n", verbname,
		    text_show(cmd_get(a, "month")));
		return EXIT_INVALID;
	}
	if (!handle) {   /* the id's header and key move over the handle's */
		hdr[1] = hdr[0];
		ids[1] = ids[0];
	}
	if ((fc.t = table_new(12 + handle, ids + off, hdr + off)) == NULL)
		return oom(verbname);
	table_set_vocab(fc.t, 5 - off, vocab_get("dues_class"));
	for (int c = 6; c <= 7; c++)
		table_set_number(fc.t, c - off);
	table_set_number(fc.t, 9 - off);
	if (dom_dues_month(r, month, cmd_get(a, "branch"), month_row, &fc, &t, &e) != 0 ||
	    fc.oom) {
		table_free(fc.t);
		return fc.oom ? oom(verbname) : refused(verbname, &e);
	}
	if (cli->fmt == TABLE_TEXT)
		printf("%s 党费交纳情况 Dues of %s:\n", month, month);
	table_print(fc.t, stdout, cli->fmt);
	if (cli->fmt == TABLE_TEXT)
		printf("合计：应交纳 %lld 人，已交 %lld 人，未交 %lld 人（其中未设定党费类别 %lld 人）；"
		    "应收 %s 元，实收 %s 元\n", (long long)t.members, (long long)t.paid,
		    (long long)t.unpaid, (long long)t.no_class, dom_yuan_text(t.due, due),
		    dom_yuan_text(t.received, got));
	if (t.more)
		fprintf(stderr, "tongxin %s: 只列出前 %d 名 only the first %d are listed\n", verbname,
		    DOM_DUES_MAX_ROWS, DOM_DUES_MAX_ROWS);
	return EXIT_OK;
}

/* --- dues arrears --------------------------------------------------------------- */

struct arrears_ctx {
	struct table *t, *apart;   /* apart: members without a class (text only) */
	enum table_format fmt;
	bool oom;
};

static void
arrears_row(const struct dom_arrears_row *m, void *arg)
{
	struct arrears_ctx *ac = arg;
	char monthly[32], owed[32], months[16], span[20];
	const char *cells[13];
	int k = 0;

	/* Text says "240+" where counting stopped; machines get the number (and from). */
	snprintf(months, sizeof months, "%d%s", m->months,
	    m->capped && ac->fmt == TABLE_TEXT ? "+" : "");
	snprintf(span, sizeof span, "%s~%s", m->from, m->to);
	if (ac->fmt == TABLE_TEXT && m->cls == NULL) {
		const char *c[] = { dom_short(m->member_id), m->name, m->org_code, months, span };
		if (table_add(ac->apart, c) != 0)
			ac->oom = true;
		return;
	}
	cells[k++] = ac->fmt == TABLE_TEXT ? dom_short(m->member_id) : m->member_id;
	if (ac->fmt == TABLE_JSON)
		cells[k++] = dom_short(m->member_id);
	cells[k++] = m->name;
	cells[k++] = m->org_code;
	cells[k++] = m->cls;
	cells[k++] = yuan_or_null(m->monthly, monthly);
	cells[k++] = months;
	if (ac->fmt == TABLE_TEXT) {
		cells[k++] = span;
	} else {
		cells[k++] = m->from;
		cells[k++] = m->to;
	}
	cells[k++] = yuan_or_null(m->owed, owed);
	if (ac->fmt == TABLE_JSON)
		cells[k++] = dom_dues_flag_code(m->flag);
	cells[k++] = m->cls == NULL ? "未设定党费类别" : dom_dues_flag_text(m->flag);
	if (table_add(ac->t, cells) != 0)
		ac->oom = true;
}

static int
dues_arrears(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "dues arrears";
	/* Text: one span column; CSV and JSON: from and to; JSON also the handle and flag code. */
	const char *ids_text[] = { "id", "name", "org_code", "class", "monthly", "months", "span",
		"owed", "flag_text" };
	const char *hdr_text[] = { "编号", "姓名", "支部编码", "党费类别", "月应交（元）",
		"连续未交（月）", "未交月份", "应补交（元）", "提示" };
	const char *ids_csv[] = { "id", "name", "org_code", "class", "monthly", "months", "from",
		"to", "owed", "flag_text" };
	const char *hdr_csv[] = { "编号", "姓名", "支部编码", "党费类别", "月应交（元）",
		"连续未交（月）", "自", "至", "应补交（元）", "提示" };
	const char *ids_json[] = { "id", "handle", "name", "org_code", "class", "monthly", "months",
		"from", "to", "owed", "flag", "flag_text" };
	const char *apart_ids[] = { "id", "name", "org_code", "months", "span" };
	const char *apart_hdr[] = { "编号", "姓名", "支部编码", "连续未交（月）", "未交月份" };
	struct arrears_ctx ac = { .fmt = cli->fmt };
	struct dom_error e;
	bool more = false;
	int off = cli->fmt == TABLE_JSON ? 1 : 0;   /* columns after the handle move by one */
	char asof[8];

	if (cli->fmt == TABLE_TEXT) {
		ac.t = table_new(9, ids_text, hdr_text);
		ac.apart = table_new(5, apart_ids, apart_hdr);
	} else if (cli->fmt == TABLE_CSV) {
		ac.t = table_new(10, ids_csv, hdr_csv);
	} else {
		ac.t = table_new(12, ids_json, ids_json);
	}
	if (ac.t == NULL || (cli->fmt == TABLE_TEXT && ac.apart == NULL)) {
		table_free(ac.t);
		table_free(ac.apart);
		return oom(verbname);
	}
	table_set_vocab(ac.t, 3 + off, vocab_get("dues_class"));
	table_set_number(ac.t, 4 + off);
	table_set_number(ac.t, 5 + off);
	table_set_number(ac.t, cli->fmt == TABLE_TEXT ? 7 : 8 + off);
	if (ac.apart)
		table_set_number(ac.apart, 3);
	if (dom_dues_arrears(r, cmd_get(a, "as-of"), cmd_get(a, "branch"), arrears_row, &ac, &more,
	    &e) != 0 || ac.oom) {
		table_free(ac.t);
		table_free(ac.apart);
		return ac.oom ? oom(verbname) : refused(verbname, &e);
	}
	if (cli->fmt != TABLE_TEXT) {
		table_print(ac.t, stdout, cli->fmt);
	} else {
		if (cmd_get(a, "as-of"))
			snprintf(asof, sizeof asof, "%s", cmd_get(a, "as-of"));
		else
			dom_month_now(asof);
		printf("截至 %s（不含当月）连续未交纳党费的党员 Members behind with their dues "
		    "before %s:\n", asof, asof);
		if (table_rows(ac.t) == 0) {
			printf("没有欠交党费的党员 No arrears.\n");
			table_free(ac.t);
		} else {
			table_print(ac.t, stdout, cli->fmt);
		}
		if (table_rows(ac.apart) > 0) {
			printf("\n未设定党费类别的党员（另列，先用 dues set 设定）Members without a dues "
			    "class:\n");
			table_print(ac.apart, stdout, cli->fmt);
		} else {
			table_free(ac.apart);
		}
	}
	if (more)
		fprintf(stderr, "tongxin %s: 只列出前 %d 名 only the first %d are listed\n", verbname,
		    DOM_DUES_MAX_ROWS, DOM_DUES_MAX_ROWS);
	return EXIT_OK;
}

/* --- the command table ---------------------------------------------------------- */

/* Run one sub-verb on the replica named by the global options, then close it. */
static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*fn)(struct cli *, struct replica *, const struct cmd_args *))
{
	struct replica *r;
	int rc;

	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	rc = fn(cli, r, a);
	replica_close(r);
	return rc;
}

static int exec_set(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_set); }
static int exec_show(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_show); }
static int exec_pay(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_pay); }
static int exec_fix(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_fix); }
static int exec_pay_all(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_pay_all); }
static int exec_list(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_list); }
static int exec_arrears(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, dues_arrears); }

static const struct cmd_opt set_opts[] = {
	{ "class", "C", CMD_OPT_REQUIRED, "党费类别 a label, code or alias (an unknown one lists "
	  "them all)" },
	{ "base", "YUAN", 0, "交纳基数（元，最多两位小数）：在岗职工的月工资收入或离退休费（税后）；"
	  "农民每月交纳的金额 0.20-1.00；其余类别固定 0.20 元，不给" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt show_opts[] = {
	{ "month", "YYYY-MM", 0, "最近 12 个月截至此月（默认本月）the last month shown" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt pay_opts[] = {
	{ "month", "YYYY-MM", CMD_OPT_REQUIRED, "交纳的月份 the month paid for" },
	{ "amount", "YUAN", 0, "金额（元），默认按党费收缴规定计算的月应交金额" },
	{ "date", "DATE", 0, "交纳日期 YYYY-MM-DD（默认今天）" },
	{ "by", "NAME", 0, "收缴人 who received it" },
	{ "note", "TEXT", 0, "备注 a note" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt fix_opts[] = {
	{ "month", "YYYY-MM", CMD_OPT_REQUIRED, "要更正的月份 the month whose payment is corrected" },
	{ "amount", "YUAN", 0, "正确的金额（元）the right amount" },
	{ "date", "DATE", 0, "正确的交纳日期 YYYY-MM-DD" },
	{ "by", "NAME", 0, "收缴人 who received it" },
	{ "note", "TEXT", 0, "备注 a note (say why it was corrected)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt pay_all_opts[] = {
	{ "month", "YYYY-MM", CMD_OPT_REQUIRED, "交纳的月份 the month paid for" },
	{ "branch", "CODE", 0, "只登记此组织（含下级）的党员 only this organisation's subtree" },
	{ "date", "DATE", 0, "交纳日期 YYYY-MM-DD（默认今天）" },
	{ "by", "NAME", 0, "收缴人 who received it" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt list_opts[] = {
	{ "month", "YYYY-MM", 0, "月份（默认本月）the month" },
	{ "branch", "CODE", 0, "只列此组织（含下级）的党员 only this organisation's subtree" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt arrears_opts[] = {
	{ "as-of", "YYYY-MM", 0, "截至此月（不含此月；默认本月）count the months before this one" },
	{ "branch", "CODE", 0, "只列此组织（含下级）的党员 only this organisation's subtree" },
	{ NULL, NULL, 0, NULL },
};

#define DUES_MEMBER_ARG							\
	"MEMBER: the member's id or its last 6+ characters (the 编号 of member list),\n"	\
	"citizen ID number, or a name that one member has.\n"

static const struct cmd_entry cmd_entries_dues[] = {
	{ "dues", "set", "MEMBER", 1, 1, set_opts, 0, 0,
	  "设定党费类别和交纳基数 Set a member's dues class and monthly base. By the 党费收缴\n"
	  "规定: 在岗职工 on the monthly wage after tax: up to 3000 元 0.5%, up to 5000 元 1%,\n"
	  "up to 10000 元 1.5%, above 2%; 离退休 on the pension: up to 5000 元 0.5%, above 1%;\n"
	  "农民 0.20 to 1.00 元 as chosen (--base is the amount); 学生、下岗失业、低保或救济\n"
	  "0.20 元 (no --base). A member who left is refused (exit 7).\n" DUES_MEMBER_ARG,
	  exec_set },
	{ "dues", "show", "MEMBER", 1, 1, show_opts, 0, 0,
	  "党费情况 A member's class, base, monthly amount and the last 12 months.\n"
	  DUES_MEMBER_ARG, exec_show },
	{ "dues", "pay", "MEMBER", 1, 1, pay_opts, 0, 0,
	  "登记交纳 Record a member's dues for a month: the computed monthly amount unless\n"
	  "--amount is given. One payment per member and month: a second one is refused\n"
	  "(exit 7); the same month recorded at another office becomes a conflict for the\n"
	  "street when both sync, never a second payment. A member who left, a month before\n"
	  "joining or more than a year ahead are refused (exit 7).\n" DUES_MEMBER_ARG, exec_pay },
	{ "dues", "fix", "MEMBER", 1, 1, fix_opts, 0, 0,
	  "更正交纳记录 Correct a recorded payment of a month (a wrong amount, date,\n"
	  "collector or note): the items given replace the recorded ones. There is no\n"
	  "second payment of a month; this is how a mistake is put right (no such payment: 9).\n"
	  DUES_MEMBER_ARG, exec_fix },
	{ "dues", "pay-all", NULL, 0, 0, pay_all_opts, 0, 0,
	  "全部交纳 Record the month's dues, at the computed amounts, for every member who owes\n"
	  "them and has not paid the month (under --branch), in one local transaction.\n"
	  "Members without a dues class are left out and counted on stderr.\n", exec_pay_all },
	{ "dues", "list", NULL, 0, 0, list_opts, 0, 0,
	  "交纳情况 Who owes dues in the month and who paid what, by branch, with totals\n"
	  "(text only: --csv and --json give the rows; amounts in 元 with two decimals).\n",
	  exec_list },
	{ "dues", "arrears", NULL, 0, 0, arrears_opts, 0, 0,
	  "欠交党费 Each member's consecutive unpaid months counted back from the month before\n"
	  "--as-of (not before joining): 3 and more 提醒, 6 and more 党章规定连续六个月不交纳\n"
	  "党费 (党章第九条). Members without a dues class are listed apart.\n", exec_arrears },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_dues(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_dues, cli, argc, argv);
}
