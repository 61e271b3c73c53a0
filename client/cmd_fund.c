/*
 * cmd_fund.c - tongxin fund: 服务群众专项经费, a community's yearly budget,
 * its spending and the quarter's disclosure (党务公开). The rules and the
 * writes are dom_fund.h's; this file parses and prints. Amounts are given
 * and shown in 元 with two decimals (kept in fen).
 *
 * Spending beyond the year's budget is written with a warning on stderr
 * (dom_fund.h says why it is not refused).
 *
 * Exit statuses: 2 a usage error, 7 invalid input (nothing changed), 9 no
 * such organisation, item or wish, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_cob.h"
#include "dom_fund.h"
#include "dom_handle.h"
#include "dom_dues.h"
#include "dom_wish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static const char *const fund_kinds[] = { "community", NULL };

/* --org CODE (a community) into id; id empty without it. 0, or -1 with e. */
static int
org_opt(struct replica *r, const struct cmd_args *a, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	id[0] = '\0';
	if (!cmd_has(a, "org"))
		return 0;
	return dom_cob_org(r, cmd_get(a, "org"), fund_kinds, "经费所属社区", id, e);
}

/* --org CODE (any organisation: a scope) into id; id empty without it. 0, or -1 with e. */
static int
scope_opt(struct replica *r, const struct cmd_args *a, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	id[0] = '\0';
	dom_error_clear(e);
	if (!cmd_has(a, "org"))
		return 0;
	if (org_id_by_code(replica_db(r), cmd_get(a, "org"), id) == 0)
		return 0;
	return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有组织“%s” (unknown organisation)",
	    text_show(cmd_get(a, "org")));
}

static int
fund_budget(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "fund budget";
	struct dom_fund_budget_req q = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (org_opt(r, a, org, &e) != 0)
		return cmd_refused(&e, verbname);
	q.org_id = org;
	q.year = cmd_get(a, "year");
	q.amount = cmd_get(a, "amount");
	q.date = cmd_get(a, "date");
	q.note = cmd_get(a, "note");
	if (dom_fund_budget(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已登记 %s 年度专项经费预算 Budget of %s recorded (编号 %s)\n",
		    text_show(q.year), text_show(q.year), dom_short(id));
	return EXIT_OK;
}

static int
fund_spend(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "fund spend";
	struct dom_fund_spend_req q = { 0 };
	struct dom_fund_after after;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], item[ID_TEXT_LEN + 1], wish[ID_TEXT_LEN + 1];
	char b[32], s[32];
	struct dom_error e;

	if (org_opt(r, a, org, &e) != 0)
		return cmd_refused(&e, verbname);
	if (cmd_has(a, "item")) {
		if (dom_row_handle(r, TBL_LIST_ITEM, cmd_get(a, "item"), "清单", item, &e) != 0)
			return cmd_refused(&e, verbname);
		q.item_id = item;
	}
	if (cmd_has(a, "wish")) {
		if (dom_wish_handle(r, cmd_get(a, "wish"), wish, &e) != 0)
			return cmd_refused(&e, verbname);
		q.wish_id = wish;
	}
	q.org_id = org;
	q.amount = cmd_get(a, "amount");
	q.purpose = cmd_get(a, "purpose");
	q.approver = cmd_get(a, "approver");
	q.date = cmd_get(a, "date");
	q.note = cmd_get(a, "note");
	if (dom_fund_spend(r, cli->operator_name, &q, id, &after, &e) != 0)
		return cmd_refused(&e, verbname);
	if (after.over && !after.has_budget)
		fprintf(stderr, "tongxin %s: 注意：本年度还没有预算，已支出 %s 元 (warning: no budget "
		    "for the year)\n", verbname, dom_yuan_text(after.spent, s));
	else if (after.over)
		fprintf(stderr, "tongxin %s: 注意：本年度已支出 %s 元，超出预算 %s 元 (warning: "
		    "spending is over the year's budget)\n", verbname, dom_yuan_text(after.spent, s),
		    dom_yuan_text(after.budget, b));
	if (!cli->quiet)
		printf("已登记支出 Spending recorded (编号 %s)；本年度余额 balance %s 元\n",
		    dom_short(id), dom_yuan_text(after.budget - after.spent, b));
	return EXIT_OK;
}

/* --- the book and the disclosure ----------------------------------------------- */

struct book {
	struct cli *cli;
	struct table *t;
	bool oom;
};

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

static void
entry_row(const struct dom_fund_entry *x, void *arg)
{
	struct book *bk = arg;
	char year[16], amount[32], balance[32];
	const char *cells[13];
	bool budget = strcmp(x->kind, "budget") == 0;

	snprintf(year, sizeof year, "%" PRId64, x->year);
	dom_yuan_text(x->amount, amount);
	dom_yuan_text(x->balance, balance);
	cells[0] = bk->cli->fmt == TABLE_TEXT ? dom_short(x->id) : x->id;
	cells[1] = x->org_code;
	cells[2] = x->org_name;
	cells[3] = year;
	cells[4] = bk->cli->fmt == TABLE_JSON ? x->kind : budget ? "预算" : "支出";
	cells[5] = x->date;
	cells[6] = budget ? "年度预算" : x->purpose;
	cells[7] = amount;
	cells[8] = x->approver;
	cells[9] = x->item_title;
	cells[10] = x->wish;
	cells[11] = balance;
	cells[12] = x->note;
	if (table_add(bk->t, cells) != 0)
		bk->oom = true;
}

static int
fund_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "fund list";
	struct book bk = { cli, NULL, false };
	char org[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (scope_opt(r, a, org, &e) != 0)
		return cmd_refused(&e, verbname);
	if ((bk.t = entry_table()) == NULL)
		return EXIT_FAIL;
	if (dom_fund_list(r, org, cmd_get(a, "year"), entry_row, &bk, &e) != 0 || bk.oom) {
		table_free(bk.t);
		return bk.oom ? EXIT_FAIL : cmd_refused(&e, verbname);
	}
	if (cli->fmt == TABLE_TEXT && table_rows(bk.t) == 0) {
		table_free(bk.t);
		printf("没有专项经费记录 No fund entries.\n");
		return EXIT_OK;
	}
	table_print(bk.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* The disclosure's two tables, filled by one walk of the domain. */
struct disclosure {
	struct book sum, ent;
};

static void
quarter_row(const struct dom_fund_quarter *q, void *arg)
{
	struct book *bk = &((struct disclosure *)arg)->sum;
	char b[32], sq[32], sy[32], bal[32];
	const char *cells[6];

	cells[0] = q->org_code;
	cells[1] = q->org_name;
	cells[2] = q->has_budget ? dom_yuan_text(q->budget, b) : NULL;
	cells[3] = dom_yuan_text(q->spent_quarter, sq);
	cells[4] = dom_yuan_text(q->spent_ytd, sy);
	cells[5] = dom_yuan_text(q->balance, bal);
	if (table_add(bk->t, cells) != 0)
		bk->oom = true;
}

static void
disclosed_entry(const struct dom_fund_entry *x, void *arg)
{
	entry_row(x, &((struct disclosure *)arg)->ent);
}

/*
 * fund disclose --quarter YYYY-Qn: per community its budget, spent in the
 * quarter and in the year to the quarter's end, the balance; then every
 * entry of the quarter. Text: two tables; CSV: the two tables one after
 * the other, a blank line between; JSON: {"summary": [...], "entries": [...]}.
 */
static int
fund_disclose(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "fund disclose";
	static const char *const ids[] = { "community_code", "community", "budget",
		"spent_quarter", "spent_year", "balance" };
	static const char *const hdr[] = { "社区编码", "社区", "年度预算（元）", "本季支出（元）",
		"年度累计支出（元）", "余额（元）" };
	struct disclosure d = { { cli, NULL, false }, { cli, NULL, false } };
	const char *quarter = cmd_get(a, "quarter");
	char org[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (scope_opt(r, a, org, &e) != 0)
		return cmd_refused(&e, verbname);
	if ((d.sum.t = table_new(6, ids, hdr)) == NULL || (d.ent.t = entry_table()) == NULL) {
		table_free(d.sum.t);
		return EXIT_FAIL;
	}
	for (int c = 2; c < 6; c++)
		table_set_number(d.sum.t, c);
	if (dom_fund_disclose(r, org, quarter, quarter_row, disclosed_entry, &d, &e) != 0 ||
	    d.sum.oom || d.ent.oom) {
		bool oom = d.sum.oom || d.ent.oom;
		table_free(d.sum.t);
		table_free(d.ent.t);
		return oom ? EXIT_FAIL : cmd_refused(&e, verbname);
	}
	switch (cli->fmt) {
	case TABLE_JSON:
		printf("{\"quarter\": ");
		table_json_str(stdout, quarter);
		printf(", \"summary\": ");
		table_print(d.sum.t, stdout, TABLE_JSON);
		printf(", \"entries\": ");
		table_print(d.ent.t, stdout, TABLE_JSON);
		printf("}\n");
		break;
	case TABLE_CSV: {
		/* One file: the second table without its own byte-order mark. */
		char *buf = NULL;
		size_t len = 0;
		FILE *m;
		table_print(d.sum.t, stdout, TABLE_CSV);
		printf("\n");
		if ((m = open_memstream(&buf, &len)) == NULL) {
			table_free(d.ent.t);
			return EXIT_FAIL;
		}
		table_print(d.ent.t, m, TABLE_CSV);
		fclose(m);
		if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
			fwrite(buf + 3, 1, len - 3, stdout);
		else
			fwrite(buf, 1, len, stdout);
		free(buf);
		break;
	}
	default:
		printf("服务群众专项经费公开 %s Service fund disclosure\n", text_show(quarter));
		if (table_rows(d.sum.t) == 0) {
			table_free(d.sum.t);
			table_free(d.ent.t);
			printf("没有专项经费记录 No fund entries.\n");
			break;
		}
		table_print(d.sum.t, stdout, TABLE_TEXT);
		printf("\n本季支出明细 The quarter's entries:\n");
		if (table_rows(d.ent.t) == 0) {
			table_free(d.ent.t);
			printf("本季没有支出 None.\n");
		} else
			table_print(d.ent.t, stdout, TABLE_TEXT);
	}
	return EXIT_OK;
}

static int exec_budget(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, fund_budget); }
static int exec_spend(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, fund_spend); }
static int exec_list(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, fund_list); }
static int exec_disclose(struct cli *c, const struct cmd_args *a) { return cmd_with_replica(c, a, fund_disclose); }

static const struct cmd_opt budget_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度" },
	{ "amount", "YUAN", CMD_OPT_REQUIRED, "预算金额（元，最多两位小数）the amount, e.g. 50000" },
	{ "org", "CODE", 0, "社区编码，默认本设备的社区 the community (default: this device's)" },
	{ "date", "DATE", 0, "批准日期 YYYY-MM-DD (default today)" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt spend_opts[] = {
	{ "amount", "YUAN", CMD_OPT_REQUIRED, "支出金额（元，最多两位小数）the amount" },
	{ "purpose", "TEXT", CMD_OPT_REQUIRED, "用途 what it paid for" },
	{ "approver", "NAME", CMD_OPT_REQUIRED, "审批人 who approved it" },
	{ "date", "DATE", 0, "支出日期 YYYY-MM-DD (default today)" },
	{ "item", "ITEM", 0, "关联的清单项目（编号）the project item it paid for" },
	{ "wish", "WISH", 0, "关联的微心愿（编号）the wish it paid for" },
	{ "org", "CODE", 0, "社区编码，默认本设备的社区 the community (default: this device's)" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt list_opts[] = {
	{ "year", "YYYY", 0, "只列这一年 only this year" },
	{ "org", "CODE", 0, "这个组织下的社区 the communities under this organisation" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt disclose_opts[] = {
	{ "quarter", "YYYY-Qn", CMD_OPT_REQUIRED, "季度，如 2025-Q2 the quarter" },
	{ "org", "CODE", 0, "这个组织下的社区 the communities under this organisation" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_entry cmd_entries_fund[] = {
	{ "fund", "budget", NULL, 0, 0, budget_opts, 0, 0,
	  "年度预算 A community's service-fund budget for a year: one per community and\n"
	  "year (a second is refused; one written by another office meets it as a\n"
	  "conflict at the next sync).\n", exec_budget },
	{ "fund", "spend", NULL, 0, 0, spend_opts, 0, 0,
	  "支出 A spending entry (date, purpose, amount, approver, the item or wish it\n"
	  "paid for). Spending beyond the year's budget is recorded with a warning: the\n"
	  "money was paid out, and the disclosure must show it.\n", exec_spend },
	{ "fund", "list", NULL, 0, 0, list_opts, 0, 0,
	  "经费台账 Per community and year: the budget, then each spending entry by date,\n"
	  "with the balance after it.\n", exec_list },
	{ "fund", "disclose", NULL, 0, 0, disclose_opts, 0, 0,
	  "党务公开 The quarter's disclosure per community: the year's budget, spent in the\n"
	  "quarter and in the year to its end, the balance; then each entry of the\n"
	  "quarter. --csv: the two tables, a blank line between; --json: an object with\n"
	  "\"summary\" and \"entries\".\n", exec_disclose },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

int
verb_fund(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_fund, cli, argc, argv);
}
