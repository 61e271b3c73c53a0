/*
 * cmd_feedback.c - tongxin feedback: 民情回音壁, residents' opinions
 * received, handled by a member or a named person, answered (回音) and
 * closed, and the list of those not answered within FEEDBACK_REPLY_DAYS.
 *
 * The rules and the writes are the domain layer's (dom_feedback.h); this
 * file parses and prints. An opinion is named by its handle (the id's last
 * 6+ characters, the 编号 feedback list shows); a member by any member
 * handle. Source, category and status take the vocabulary's labels, codes
 * and aliases.
 *
 * Exit statuses (cmd_exit_of): 2 a usage error, 7 invalid input, a wrong
 * state or an ambiguous handle (nothing changed), 9 no such opinion,
 * member or organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_cob.h"
#include "dom_feedback.h"
#include "dom_handle.h"
#include "dom_wish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "vocab.h"

#define SOURCES vocab_get("feedback_source")
#define CATEGORIES vocab_get("feedback_category")
#define STATUSES vocab_get("feedback_status")

static bool ran;

static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*run)(struct cli *, struct replica *, const struct cmd_args *))
{
	ran = true;
	return cmd_with_replica(cli, a, run);
}

static int
fb_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "feedback add";
	struct dom_feedback_req q = { 0 };
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (cmd_has(a, "org")) {
		if (dom_cob_org(r, cmd_get(a, "org"), dom_cob_home_kinds, "所属组织", org, &e) != 0)
			return cmd_refused(&e, verbname);
		q.org_id = org;
	}
	q.content = cmd_get(a, "content");
	q.source = cmd_get(a, "source");
	q.category = cmd_get(a, "category");
	q.resident = cmd_get(a, "resident");
	q.phone = cmd_get(a, "phone");
	q.grid = cmd_get(a, "grid");
	q.date = cmd_get(a, "date");
	if (dom_feedback_add(r, cli->operator_name, &q, id, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已登记民情意见 Recorded opinion %s.\n", dom_short(id));
	return EXIT_OK;
}

static int
fb_assign(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "feedback assign";
	char fid[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (cmd_has(a, "member") == cmd_has(a, "handler")) {
		fprintf(stderr, "tongxin %s: 请给出承办人：--member 或 --handler（二者选一）"
		    " (give exactly one of --member, --handler)\n", verbname);
		return EXIT_USAGE;
	}
	if (dom_feedback_handle(r, a->argv[0], fid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (cmd_has(a, "member") && dom_member_handle(r, cmd_get(a, "member"), mid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_feedback_assign(r, cli->operator_name, fid, cmd_has(a, "member") ? mid : NULL,
	    cmd_get(a, "handler"), &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已交办 Opinion %s assigned.\n", dom_short(fid));
	return EXIT_OK;
}

static int
fb_reply(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "feedback reply";
	char fid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_feedback_handle(r, a->argv[0], fid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_feedback_reply(r, cli->operator_name, fid, cmd_get(a, "reply"), cmd_get(a, "date"),
	    &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已回音 Replied to opinion %s.\n", dom_short(fid));
	return EXIT_OK;
}

static int
fb_close(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "feedback close";
	char fid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_feedback_handle(r, a->argv[0], fid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (dom_feedback_close(r, cli->operator_name, fid, &e) != 0)
		return cmd_refused(&e, verbname);
	if (!cli->quiet)
		printf("已办结 Opinion %s closed.\n", dom_short(fid));
	return EXIT_OK;
}

/* --- list / show / overdue ----------------------------------------------------- */

/* Every column; the list leaves out reply (show has it), overdue adds due_on and days over. */
static const char *const col_ids[] = { "id", "handle", "org", "received_on", "source",
	"category", "grid", "resident", "phone", "content", "handler", "status", "replied_on",
	"reply", "due_on", "days_over" };
static const char *const col_hdr[] = { "编号", "简号", "社区或支部", "收集日期", "来源", "类别",
	"网格", "反映人", "联系电话", "反映内容", "承办人", "状态", "回音日期", "回音",
	"应回音日期", "逾期天数" };
#define NCOLS 16
enum fb_view { VIEW_LIST, VIEW_SHOW, VIEW_OVERDUE };

struct fb_list {
	struct cli *cli;
	struct table *t;
	bool handle;
	enum fb_view view;
};

/* Whether column k (of col_ids) is in the view. */
static bool
in_view(const struct fb_list *l, int k)
{
	if (k == 1)
		return l->handle;
	if (k == 13)
		return l->view == VIEW_SHOW;
	if (k == 14)
		return l->view != VIEW_LIST;
	if (k == 15)
		return l->view == VIEW_OVERDUE;
	return true;
}

static void
fb_row(const struct dom_feedback_row *f, void *arg)
{
	struct fb_list *l = arg;
	const char *all[NCOLS], *cells[NCOLS];
	char over[24];
	int n = 0;

	snprintf(over, sizeof over, "%lld", (long long)f->days_over);
	all[0] = l->cli->fmt == TABLE_TEXT ? dom_short(f->id) : f->id;
	all[1] = dom_short(f->id);
	all[2] = f->org_name ? f->org_name : f->org_code;
	all[3] = f->received_on;
	all[4] = f->source;
	all[5] = f->category;
	all[6] = f->grid;
	all[7] = f->resident;
	all[8] = f->phone;
	all[9] = f->content;
	all[10] = f->handler;
	all[11] = f->status;
	all[12] = f->replied_on;
	all[13] = f->reply;
	all[14] = f->due_on;
	all[15] = over;
	for (int k = 0; k < NCOLS; k++)
		if (in_view(l, k))
			cells[n++] = all[k];
	table_add(l->t, cells);
}

static struct table *
fb_table(struct fb_list *l)
{
	static const char *ii[NCOLS], *hh[NCOLS];
	struct table *t;
	int n = 0;

	for (int k = 0; k < NCOLS; k++)
		if (in_view(l, k)) {
			ii[n] = col_ids[k];
			hh[n++] = col_hdr[k];
		}
	if ((t = table_new(n, ii, hh)) == NULL)
		return NULL;
	table_set_vocab(t, 3 + l->handle, SOURCES);
	table_set_vocab(t, 4 + l->handle, CATEGORIES);
	table_set_vocab(t, 10 + l->handle, STATUSES);
	if (l->view == VIEW_OVERDUE)
		table_set_number(t, n - 1);
	return t;
}

static int
fb_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct fb_list l = { cli, NULL, cli->fmt == TABLE_JSON, VIEW_LIST };
	struct dom_error e;

	if ((l.t = fb_table(&l)) == NULL)
		return EXIT_FAIL;
	if (dom_feedback_list(r, cmd_get(a, "status"), fb_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "feedback list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有民情意见 No opinions.\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* show on a terminal: one line per item, label first. */
static void
show_text(const struct dom_feedback_row *f, void *arg)
{
	const struct { const char *label, *val; } items[] = {
		{ "编号", f->id }, { "社区或支部", f->org_name ? f->org_name : f->org_code },
		{ "收集日期", f->received_on }, { "来源", vocab_show(SOURCES, f->source) },
		{ "类别", vocab_show(CATEGORIES, f->category) }, { "网格", f->grid },
		{ "反映人", f->resident }, { "联系电话", f->phone }, { "反映内容", f->content },
		{ "承办人", f->handler }, { "状态", vocab_show(STATUSES, f->status) },
		{ "应回音日期", f->due_on }, { "回音日期", f->replied_on }, { "回音", f->reply },
		{ "备注", f->note },
	};

	(void)arg;
	for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
		int pad = 12 - text_width(items[i].label);
		printf("%s%*s %s\n", items[i].label, pad > 0 ? pad : 0, "",
		    items[i].val ? text_show(items[i].val) : "");
	}
}

static int
fb_show(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct fb_list l = { cli, NULL, cli->fmt == TABLE_JSON, VIEW_SHOW };
	char fid[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_feedback_handle(r, a->argv[0], fid, &e) != 0)
		return cmd_refused(&e, "feedback show");
	if (cli->fmt == TABLE_TEXT)
		return dom_feedback_get(r, fid, show_text, NULL, &e) != 0 ?
		    cmd_refused(&e, "feedback show") : EXIT_OK;
	if ((l.t = fb_table(&l)) == NULL)
		return EXIT_FAIL;
	if (dom_feedback_get(r, fid, fb_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "feedback show");
	}
	if (cli->fmt == TABLE_JSON) {
		table_print_object(l.t, stdout, 1);
		printf("\n");
	} else {
		table_print(l.t, stdout, cli->fmt);
	}
	return EXIT_OK;
}

static int
fb_overdue(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct fb_list l = { cli, NULL, cli->fmt == TABLE_JSON, VIEW_OVERDUE };
	struct dom_error e;
	char day[11];

	if ((l.t = fb_table(&l)) == NULL)
		return EXIT_FAIL;
	if (dom_feedback_overdue(r, cmd_get(a, "as-of"), fb_row, &l, &e) != 0) {
		table_free(l.t);
		return cmd_refused(&e, "feedback overdue");
	}
	if (cli->fmt != TABLE_TEXT) {
		table_print(l.t, stdout, cli->fmt);
		return EXIT_OK;
	}
	if (cmd_get(a, "as-of"))
		snprintf(day, sizeof day, "%s", cmd_get(a, "as-of"));
	else
		today_str(day);
	printf("截至 %s 超过 %d 天未回音的民情意见 Opinions not replied within %d days, as of %s\n",
	    day, FEEDBACK_REPLY_DAYS, FEEDBACK_REPLY_DAYS, day);
	if (table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有逾期未回音的意见 None overdue.\n");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

static int exec_add(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_add); }
static int exec_assign(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_assign); }
static int exec_reply(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_reply); }
static int exec_close(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_close); }
static int exec_list(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_list); }
static int exec_show(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_show); }
static int exec_overdue(struct cli *c, const struct cmd_args *a) { return with_replica(c, a, fb_overdue); }

static const struct cmd_opt add_opts[] = {
	{ "content", "TEXT", CMD_OPT_REQUIRED, "反映内容 what the resident said" },
	{ "source", "S", CMD_OPT_REQUIRED, "来源 where it came from (below)" },
	{ "category", "C", CMD_OPT_REQUIRED, "类别 what it is about (below)" },
	{ "resident", "NAME", 0, "反映人 the resident (personal data)" },
	{ "phone", "P", 0, "联系电话 (personal data)" },
	{ "grid", "G", 0, "网格" },
	{ "org", "CODE", 0, "社区或支部的代码 (default this office's own organisation)" },
	{ "date", "DATE", 0, "收集日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt assign_opts[] = {
	{ "member", "MEMBER", 0, "承办党员：姓名、公民身份号码或编号 a member" },
	{ "handler", "NAME", 0, "承办人姓名 a person by name" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt reply_opts[] = {
	{ "reply", "TEXT", CMD_OPT_REQUIRED, "回音 the answer given back to the resident" },
	{ "date", "DATE", 0, "回音日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt list_opts[] = {
	{ "status", "S", 0, "只列该状态 only this status (below)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt overdue_opts[] = {
	{ "as-of", "DATE", 0, "截至日期 YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};

#define FB_TAIL                                                                             \
	"FB: 民情意见编号末尾至少6位 the opinion's id or its last 6+ characters (the 编号 of\n" \
	"feedback list).\n"                                                                     \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效、状态不符或编号\n"   \
	"不唯一 invalid value, wrong state or ambiguous handle (nothing changed), 9 无此记录\n"   \
	"no such opinion, member or organisation.\n"

static const struct cmd_entry cmd_entries_feedback[] = {
	{ "feedback", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出民情意见 The opinions in this replica, by date received, with the resident\n"
	  "(personal data), the handler and the state.\n" FB_TAIL, exec_list },
	{ "feedback", "show", "FB", 1, 1, NULL, 0, 0,
	  "查看民情意见 One opinion, with its reply (回音) and the date it is due.\n" FB_TAIL,
	  exec_show },
	{ "feedback", "add", NULL, 0, 0, add_opts, 0, 0,
	  "登记民情意见 A resident's opinion, open (待办理), for a community or branch of this\n"
	  "replica.\n" FB_TAIL, exec_add },
	{ "feedback", "assign", "FB", 1, 1, assign_opts, 0, 0,
	  "交办 Who handles it: a member (--member) or a person by name (--handler). An\n"
	  "open opinion becomes 办理中; not once replied or closed.\n" FB_TAIL, exec_assign },
	{ "feedback", "reply", "FB", 1, 1, reply_opts, 0, 0,
	  "回音 The answer given back to the resident and its date (not before receipt).\n"
	  "Not once closed; a second reply corrects the first.\n" FB_TAIL, exec_reply },
	{ "feedback", "close", "FB", 1, 1, NULL, 0, 0,
	  "办结 A replied opinion is closed. Final.\n" FB_TAIL, exec_close },
	{ "feedback", "overdue", NULL, 0, 0, overdue_opts, 0, 0,
	  "逾期未回音 Opinions received by the date and not replied by then although their\n"
	  "7 days (FEEDBACK_REPLY_DAYS) from receipt are over, most overdue first.\n" FB_TAIL,
	  exec_overdue },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin feedback SUB ...: the sub-verb's row of cmd_entries_feedback, run by cmd_run. */
int
verb_feedback(struct cli *cli, int argc, char **argv)
{
	int rc;
	const char *sub = argc >= 2 ? argv[1] : NULL;
	bool known;

	ran = false;
	rc = cmd_run(cmd_entries_feedback, cli, argc, argv);
	if (rc != EXIT_OK || ran)
		return rc;
	/* --help of the verb, of add (source, category) and of list (status) lists the values. */
	known = sub != NULL && cmd_find(cmd_entries_feedback, argv[0], sub) != NULL;
	if (!known || strcmp(sub, "add") == 0) {
		cmd_help_values(stdout, "--source", SOURCES);
		cmd_help_values(stdout, "--category", CATEGORIES);
	}
	if (!known || strcmp(sub, "list") == 0)
		cmd_help_values(stdout, "--status", STATUSES);
	return rc;
}
