/*
 * cmd_wish.c - tongxin wish: 微心愿, residents' small wishes posted,
 * claimed by a member, a resident unit or a branch, and fulfilled.
 *
 * The rules and the writes are the domain layer's (dom_wish.h); this file
 * parses and prints. A wish is named by its handle (the id's last 6+
 * characters, the 编号 wish list shows); a member by any member handle; a
 * unit by its name or id; a branch by its code. Values are 元 with up to
 * two decimals.
 *
 * Exit statuses (cmd_exit_of): 2 a usage error, 7 invalid input, a wrong
 * state or an ambiguous handle (nothing changed), 9 no such wish, member,
 * unit or organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_cob.h"
#include "dom_dues.h"
#include "dom_handle.h"
#include "dom_wish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vocab.h"

#define STATUSES vocab_get("wish_status")

/* Whether a sub-verb ran (not only --help). */
static bool ran;

static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*run)(struct cli *, struct replica *, const struct cmd_args *))
{
	ran = true;
	return cmd_with_replica(cli, a, run);
}

/* --- wish add ------------------------------------------------------------- */

static int
wish_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "wish add";
	struct dom_wish_req q = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (cmd_has(a, "org")) {
		if (dom_cob_org(r, cmd_get(a, "org"), dom_cob_home_kinds, "所属组织", org, &e) != 0)
			return cmd_refused(&e, verbname);
		q.org_id = org;
	}
	q.resident = cmd_get(a, "resident");
	q.wish = cmd_get(a, "wish");
	q.household = cmd_get(a, "household");
	q.grid = cmd_get(a, "grid");
	q.value = cmd_get(a, "value");
	q.date = cmd_get(a, "date");
	if (dom_wish_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已登记微心愿 Posted wish %s (%s).\n", dom_short(id), text_show(q.resident));
	return EXIT_OK;
}

/* --- wish claim / fulfil / cancel ------------------------------------------- */

static int
wish_claim(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "wish claim";
	struct dom_claimant who = { 0 };
	char wid[ID_TEXT_LEN + 1], cid[ID_TEXT_LEN + 1];
	struct dom_error e;
	int n = cmd_has(a, "member") + cmd_has(a, "unit") + cmd_has(a, "branch");

	if (n != 1) {
		fprintf(stderr, "tongxin %s: 请给出一个认领人：--member、--unit 或 --branch（三者选一）"
		    " (give exactly one of --member, --unit, --branch)\n", verbname);
		return EXIT_USAGE;
	}
	if (dom_wish_handle(r, a->argv[0], wid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_claimant_of(r, cmd_get(a, "member"), cmd_get(a, "unit"), cmd_get(a, "branch"),
	    dom_cob_branch_kinds, cid, &who, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_wish_claim(r, cli->operator_name, wid, &who, cmd_get(a, "date"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已认领 Wish %s claimed.\n", dom_short(wid));
	return EXIT_OK;
}

static int
wish_fulfil(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "wish fulfil";
	char wid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_wish_handle(r, a->argv[0], wid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_wish_fulfil(r, cli->operator_name, wid, cmd_get(a, "date"), cmd_get(a, "photo"),
	    cmd_get(a, "note"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已实现 Wish %s fulfilled.\n", dom_short(wid));
	return EXIT_OK;
}

static int
wish_cancel(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "wish cancel";
	char wid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_wish_handle(r, a->argv[0], wid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_wish_cancel(r, cli->operator_name, wid, cmd_get(a, "note"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已撤销 Wish %s cancelled.\n", dom_short(wid));
	return EXIT_OK;
}

/* --- wish list / show ------------------------------------------------------------ */

/* The list's columns; show adds the last three. */
static const char *const list_ids[] = { "id", "handle", "org", "resident", "household", "grid",
	"wish", "value", "status", "posted_on", "claimant", "claimed_on", "fulfilled_on",
	"claimant_kind", "photo", "note" };
static const char *const list_hdr[] = { "编号", "简号", "社区或支部", "居民姓名", "家庭住址",
	"网格", "心愿内容", "估值（元）", "状态", "征集日期", "认领人", "认领日期", "实现日期",
	"认领方", "照片", "备注" };
#define LIST_COLS 13
#define SHOW_COLS 16

struct wish_list {
	struct cli *cli;
	struct table *t;
	bool handle;   /* the handle column is there (JSON) */
	int ncols;
};

static const char *
claimant_kind_label(const char *k)
{
	if (k == NULL)
		return NULL;
	return strcmp(k, "member") == 0 ? "党员" : strcmp(k, "unit") == 0 ? "驻区单位" : "支部";
}

static void
list_row(const struct dom_wish_row *w, void *arg)
{
	struct wish_list *l = arg;
	const char *cells[SHOW_COLS], **c = cells;
	char value[32];

	if (w->value >= 0)
		dom_yuan_text(w->value, value);
	*c++ = l->cli->fmt == TABLE_TEXT ? dom_short(w->id) : w->id;
	if (l->handle)
		*c++ = dom_short(w->id);
	*c++ = w->org_name ? w->org_name : w->org_code;
	*c++ = w->resident;
	*c++ = w->household;
	*c++ = w->grid;
	*c++ = w->wish;
	*c++ = w->value >= 0 ? value : NULL;
	*c++ = w->status;
	*c++ = w->posted_on;
	*c++ = w->claimant;
	*c++ = w->claimed_on;
	*c++ = w->fulfilled_on;
	if (l->ncols > LIST_COLS) {
		*c++ = claimant_kind_label(w->claimant_kind);
		*c++ = w->photo;
		*c++ = w->note;
	}
	table_add(l->t, cells);
}

static struct table *
list_table(struct wish_list *l, int ncols)
{
	static const char *ii[SHOW_COLS], *hh[SHOW_COLS];
	struct table *t;
	int n = 0;

	l->ncols = ncols;
	for (int k = 0; k < ncols; k++) {
		if (k == 1 && !l->handle)
			continue;
		ii[n] = list_ids[k];
		hh[n++] = list_hdr[k];
	}
	if ((t = table_new(n, ii, hh)) != NULL) {
		table_set_number(t, 6 + l->handle);
		table_set_vocab(t, 7 + l->handle, STATUSES);
	}
	return t;
}

static int
wish_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct wish_list l = { cli, NULL, cli->fmt == TABLE_JSON, 0 };
	struct dom_wish_query q = { .status = cmd_get(a, "status"), .month = cmd_get(a, "month") };
	struct dom_error e;

	if ((l.t = list_table(&l, LIST_COLS)) == NULL)
		return EXIT_FAIL;
	if (dom_wish_list(r, &q, list_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "wish list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有微心愿 No wishes.\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* show on a terminal: one line per item, label first. */
static void
show_text(const struct dom_wish_row *w, void *arg)
{
	char value[32];
	const struct { const char *label, *val; } items[] = {
		{ "编号", w->id }, { "社区或支部", w->org_name ? w->org_name : w->org_code },
		{ "居民姓名", w->resident }, { "家庭住址", w->household }, { "网格", w->grid },
		{ "心愿内容", w->wish },
		{ "估值（元）", w->value >= 0 ? dom_yuan_text(w->value, value) : NULL },
		{ "状态", vocab_show(STATUSES, w->status) }, { "征集日期", w->posted_on },
		{ "认领方", claimant_kind_label(w->claimant_kind) }, { "认领人", w->claimant },
		{ "认领日期", w->claimed_on }, { "实现日期", w->fulfilled_on }, { "照片", w->photo },
		{ "备注", w->note },
	};

	(void)arg;
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		int pad = 12 - text_width(items[i].label);
		printf("%s%*s %s\n", items[i].label, pad > 0 ? pad : 0, "",
		    items[i].val ? text_show(items[i].val) : "");
	}
}

static int
wish_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct wish_list l = { cli, NULL, cli->fmt == TABLE_JSON, 0 };
	char wid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_wish_handle(r, a->argv[0], wid, &e) != 0)
		return cmd_refused(&e, "wish show");
	if (cli->fmt == TABLE_TEXT)
		return dom_wish_get(r, wid, show_text, NULL, &e) != 0 ? cmd_refused(&e, "wish show") :
		    EXIT_OK;
	if ((l.t = list_table(&l, SHOW_COLS)) == NULL)
		return EXIT_FAIL;
	if (dom_wish_get(r, wid, list_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "wish show");
	}
	if (cli->fmt == TABLE_JSON) {
		table_print_object(l.t, stdout, 1);
		printf("\n");
	} else {
		table_print(l.t, stdout, cli->fmt);
	}
	return EXIT_OK;
}

/* --- wish report ------------------------------------------------------------------- */

struct wish_report {
	struct table *t;
	int64_t posted, claimed, fulfilled, value;
};

static void
report_row(const struct dom_wish_month *m, void *arg)
{
	struct wish_report *w = arg;
	char p[24], c[24], f[24], v[32];
	const char *cells[7] = { m->org_code, m->org_name, m->month, p, c, f, v };

	snprintf(p, sizeof p, "%lld", (long long)m->posted);
	snprintf(c, sizeof c, "%lld", (long long)m->claimed);
	snprintf(f, sizeof f, "%lld", (long long)m->fulfilled);
	dom_yuan_text(m->value_fulfilled, v);
	w->posted += m->posted;
	w->claimed += m->claimed;
	w->fulfilled += m->fulfilled;
	w->value += m->value_fulfilled;
	table_add(w->t, cells);
}

static int
wish_report(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "org_code", "org", "month", "posted", "claimed",
		"fulfilled", "value_fulfilled" };
	static const char *const hdr[] = { "组织编码", "社区或支部", "月份", "征集", "认领", "实现",
		"实现价值（元）" };
	struct wish_report w = { 0 };
	const char *year = cmd_get(a, "year");
	struct dom_error e;
	char v[32];

	if ((w.t = table_new(7, ids, hdr)) == NULL)
		return EXIT_FAIL;
	for (int k = 3; k < 7; k++)
		table_set_number(w.t, k);
	if (dom_wish_report(r, year, report_row, &w, &e) != 0) {
		table_free(w.t);
		return cmd_refused(&e, "wish report");
	}
	if (cli->fmt != TABLE_TEXT) {
		table_print(w.t, stdout, cli->fmt);
		return EXIT_OK;
	}
	printf("%s 年微心愿 Micro-wishes of %s (per organisation and month)\n", year, year);
	if (table_rows(w.t) == 0) {
		table_free(w.t);
		printf("没有微心愿 No wishes that year.\n");
		return EXIT_OK;
	}
	table_print(w.t, stdout, cli->fmt);
	printf("合计 Total: 征集 %lld，认领 %lld，实现 %lld，实现价值 %s 元\n", (long long)w.posted,
	    (long long)w.claimed, (long long)w.fulfilled, dom_yuan_text(w.value, v));
	return EXIT_OK;
}

static int exec_add(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_add); }
static int exec_claim(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_claim); }
static int exec_fulfil(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_fulfil); }
static int exec_cancel(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_cancel); }
static int exec_list(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_list); }
static int exec_show(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_show); }
static int exec_report(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, wish_report); }

static const struct cmd_opt add_opts[] = {
	{ "resident", "NAME", CMD_OPT_REQUIRED, "居民姓名 the resident (personal data)" },
	{ "wish", "TEXT", CMD_OPT_REQUIRED, "心愿内容 the wish" },
	{ "org", "CODE", 0, "社区或支部的代码 (default this office's own organisation)" },
	{ "household", "ADDR", 0, "家庭住址 the household (personal data)" },
	{ "grid", "G", 0, "网格" },
	{ "value", "YUAN", 0, "估值（元，最多两位小数）estimated value, e.g. 50 or 49.90" },
	{ "date", "DATE", 0, "征集日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt claim_opts[] = {
	{ "member", "MEMBER", 0, "认领党员：姓名、公民身份号码或编号 a member" },
	{ "unit", "UNIT", 0, "认领驻区单位：名称或编号 a resident unit" },
	{ "branch", "CODE", 0, "认领支部的代码 a branch" },
	{ "date", "DATE", 0, "认领日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt fulfil_opts[] = {
	{ "date", "DATE", 0, "实现日期 YYYY-MM-DD (default today)" },
	{ "photo", "REF", 0, "照片（文件名或档案号）a photo reference" },
	{ "note", "TEXT", 0, "备注" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt cancel_opts[] = {
	{ "note", "TEXT", 0, "备注（撤销原因）why" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt list_opts[] = {
	{ "status", "S", 0, "只列该状态 only this status (below)" },
	{ "month", "YYYY-MM", 0, "只列该月征集的 posted in that month" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt report_opts[] = {
	{ "year", "YYYY", CMD_OPT_REQUIRED, "年度 the year" },
	{ NULL, NULL, 0, NULL },
};

#define WISH_TAIL                                                                          \
	"WISH: 微心愿编号末尾至少6位 the wish's id or its last 6+ characters (the 编号 of\n"  \
	"wish list).\n"                                                                       \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效、状态不符或编号\n" \
	"不唯一 invalid value, wrong state or ambiguous handle (nothing changed), 9 无此记录\n" \
	"no such wish, member, unit or organisation.\n"

static const struct cmd_entry cmd_entries_wish[] = {
	{ "wish", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出微心愿 The wishes in this replica, by date posted, with the resident (personal\n"
	  "data), the value in 元, the state and who claimed them.\n" WISH_TAIL, exec_list },
	{ "wish", "show", "WISH", 1, 1, NULL, 0, 0,
	  "查看微心愿 One wish, every item.\n" WISH_TAIL, exec_show },
	{ "wish", "add", NULL, 0, 0, add_opts, 0, 0,
	  "登记微心愿 A resident's wish, open (待认领), for a community or branch of this\n"
	  "replica.\n" WISH_TAIL, exec_add },
	{ "wish", "claim", "WISH", 1, 1, claim_opts, 0, 0,
	  "认领微心愿 An open wish is claimed by one member, resident unit or branch.\n"
	  WISH_TAIL, exec_claim },
	{ "wish", "fulfil", "WISH", 1, 1, fulfil_opts, 0, 0,
	  "实现微心愿 A claimed wish is fulfilled (date, photo reference). Final.\n" WISH_TAIL,
	  exec_fulfil },
	{ "wish", "cancel", "WISH", 1, 1, cancel_opts, 0, 0,
	  "撤销微心愿 An open or claimed wish is cancelled. Final.\n" WISH_TAIL, exec_cancel },
	{ "wish", "report", NULL, 0, 0, report_opts, 0, 0,
	  "微心愿统计 Per community or branch and month of the year: wishes posted, claimed\n"
	  "and fulfilled in the month (each by its own date) and the value fulfilled in 元.\n"
	  WISH_TAIL, exec_report },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin wish SUB ...: the sub-verb's row of cmd_entries_wish, run by cmd_run. */
int
verb_wish(struct cli *cli, int argc, char **argv)
{
	int rc;

	ran = false;
	rc = cmd_run(cmd_entries_wish, cli, argc, argv);
	/* --help of the verb or of list also lists the states. */
	if (rc == EXIT_OK && !ran && (argc < 2 || cmd_find(cmd_entries_wish, argv[0], argv[1]) ==
	    NULL || strcmp(argv[1], "list") == 0))
		cmd_help_values(stdout, "--status", STATUSES);
	return rc;
}
