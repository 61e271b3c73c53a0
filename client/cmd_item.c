/*
 * cmd_item.c - tongxin item: list-based management (清单式管理).
 *
 * Items are responsibility, problem, learning, resource, activity, need and
 * project items; their life (claim 认领, rectify 整改, close out 销号) and
 * its rules are the domain layer's (dom_work.h), which the desk calls too.
 * The sub-verbs are rows of cmd_entries_item, parsed by cmd_parse (cmd.h);
 * an item is named by its handle (dom_handle.h: the id or its last 6+
 * characters, what the list shows). This file prints the answers.
 *
 * Exit statuses (cli_guide.md): 2 a usage error (an unknown option, a
 * missing required option), 7 invalid input or an ambiguous handle, 9 no
 * such item or organisation, 1 the replica failed.
 */
#include "cli.h"
#include "cmd.h"
#include "dom_handle.h"
#include "dom_wish.h"
#include "dom_work.h"

#include <stdio.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS DOM_MAX_COLS
#define ICOL(name) schema_col_index(&schema_tables[TBL_LIST_ITEM], name)

/* Item kinds and states: the vocabulary's (common/vocab.c). */
#define KINDS vocab_get("item_kind")

/* The schema value for a kind given as a label, code or alias (问题清单), or NULL. */
static const char *
kind_canon(const char *s)
{
	return vocab_parse(KINDS, s);
}

/* The Chinese name of a kind (the value itself if it is not known). */
static const char *
kind_label(const char *id)
{
	return vocab_show(KINDS, id);
}

static void
bad_kind(const char *verbname, const char *given)
{
	vocab_refuse(verbname, "清单类型", "--kind", KINDS, given);
}

/*
 * The organisation named by code on the command line (--org), or the
 * device's own when code is NULL. 0 with id set, or an exit status having
 * said why: 9 for a code no organisation of the replica has.
 */
static int
org_resolve(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1], const char *verbname)
{
	if (code != NULL) {
		if (org_id_by_code(replica_db(r), code, id) == 0)
			return 0;
		fprintf(stderr, "tongxin %s: 未知组织 unknown organisation code \"%s\"\n", verbname,
		    text_show(code));
		return EXIT_NOT_FOUND;
	}
	if (org_id_by_code(replica_db(r), replica_info(r)->org_code, id) == 0)
		return 0;
	fprintf(stderr, "tongxin %s: this device's organisation %s is not in the replica yet; run "
	    "\"tongxin sync\" first or give --org CODE\n", verbname, replica_info(r)->org_code);
	return EXIT_INVALID;
}

/*
 * The domain's refusal as the CLI reports it: the message after the verb,
 * a missing item with the option that gives it (before the message's
 * parenthesis, after its first word), and the exit status (cmd_exit_of).
 */
static int
item_refused(const struct dom_error *e, const char *opt, const char *verbname)
{
	const char *msg = text_show(e->msg), *sp;

	if (e->kind == DOM_MISSING && opt != NULL && (sp = strstr(msg, " (")) != NULL)
		fprintf(stderr, "tongxin %s: %.*s %s%s\n", verbname, (int)(sp - msg), msg, opt, sp);
	else if (e->kind == DOM_MISSING && opt != NULL)
		fprintf(stderr, "tongxin %s: %s (%s)\n", verbname, msg, opt);
	else
		fprintf(stderr, "tongxin %s: %s\n", verbname, msg);
	return cmd_exit_of(e->kind);
}

/* The option that gives a list item's column ("--due-on"; "--org" for org_id). */
static const char *
item_opt(int col, char buf[64])
{
	if (col < 0)
		return NULL;
	snprintf(buf, 64, "--%s", schema_tables[TBL_LIST_ITEM].cols[col].name);
	for (char *p = buf; *p; p++)
		if (*p == '_')
			*p = '-';
	return strcmp(buf, "--org-id") == 0 ? "--org" : buf;
}


/* --- item add ------------------------------------------------------------ */

static int
item_add(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "item add";
	static const struct {
		const char *opt;
		const char *col;
	} text_opts[] = {
		{ "title", "title" },
		{ "detail", "detail" },
		{ "due-on", "due_on" },
	};
	Tongxin__Value vals[MAX_COLS];
	int set[MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], opt[64];
	const char *kind;
	struct dom_error e;

	memset(vals, 0, sizeof vals);
	if ((rc = org_resolve(r, cmd_get(a, "org"), org, verbname)) != 0)
		return rc;
	value_set_text(&vals[ICOL("org_id")], org);
	set[ICOL("org_id")] = 1;
	if ((kind = kind_canon(cmd_get(a, "kind"))) == NULL) {
		bad_kind(verbname, cmd_get(a, "kind"));
		return EXIT_INVALID;
	}
	value_set_text(&vals[ICOL("kind")], kind);
	set[ICOL("kind")] = 1;
	for (size_t k = 0; k < sizeof text_opts / sizeof text_opts[0]; k++) {
		const char *v = cmd_get(a, text_opts[k].opt);
		/* An empty value leaves an optional column empty (a required one is refused). */
		if (v == NULL || v[0] == '\0')
			continue;
		value_set_text(&vals[ICOL(text_opts[k].col)], v);
		set[ICOL(text_opts[k].col)] = 1;
	}
	if (dom_item_add(r, cli->operator_name, vals, set, false, id, &e) != 0)
		return item_refused(&e, item_opt(e.col, opt), verbname);
	if (!cli->quiet)
		printf("已添加清单 Added %s item「%s」(id %s)\n", kind_label(vals[ICOL("kind")].s),
		    text_show(vals[ICOL("title")].s), id);
	return EXIT_OK;
}

/* --- claim, rectify, close ----------------------------------------------- */

/*
 * Take the item named by the handle a->argv[0] one step (claim, rectify or
 * close, from the entry's sub-verb) with the step's options, through
 * dom_item_step, which checks the step against the item's kind, status and
 * dates in the write's transaction. Returns an exit status.
 */
static int
item_step(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const subs[] = { "claim", "rectify", "close" };
	static const char *const verbnames[] = { "item claim", "item rectify", "item close" };
	static const char *const text_opts[] = { "--branch CODE", "--note TEXT", "--note TEXT" };
	enum dom_item_step step = DOM_ITEM_CLAIM;
	const char *verbname, *text, *handle = a->argv[0];
	struct dom_item_done done;
	struct dom_error e;
	char id[ID_TEXT_LEN + 1];

	for (size_t s = 0; s < sizeof subs / sizeof subs[0]; s++)
		if (strcmp(a->entry->sub, subs[s]) == 0)
			step = (enum dom_item_step)s;
	verbname = verbnames[step];
	text = cmd_get(a, step == DOM_ITEM_CLAIM ? "by" : "note");
	if (dom_row_handle(r, TBL_LIST_ITEM, handle, "清单", id, &e) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verbname, text_show(e.msg));
		return cmd_exit_of(e.kind);
	}
	if (dom_item_step(r, cli->operator_name, id, step, cmd_get(a, "date"), text, false, &done,
	    &e) != 0) {
		if (done.need_rectify) {
			fprintf(stderr, "tongxin %s: %s: tongxin item rectify %s --note TEXT\n",
			    verbname, text_show(e.msg), text_show(handle));
			return EXIT_INVALID;
		}
		return item_refused(&e, text_opts[step], verbname);
	}
	if (cli->quiet)
		return EXIT_OK;
	if (step == DOM_ITEM_RECTIFY)
		printf("已整改 Rectified problem item「%s」on %s\n", text_show(done.title), done.date);
	else
		printf("已销号 Closed %s item「%s」on %s\n", text_show(kind_label(done.kind)),
		    text_show(done.title), done.date);
	return EXIT_OK;
}

/* --- claims (双向认领) ------------------------------------------------------ */

/* The list being filled, for the list, claims and board rows. */
struct list_ctx {
	struct table *t;
	enum table_format fmt;
	bool oom;
};

/*
 * item claim ITEM --branch CODE | --unit UNIT | --member M | --by NAME: one
 * claimant, a real reference (--by, kept for the old form: an organisation
 * by code or name). The claim row and the item's status are one local
 * transaction (dom_item_claim).
 */
static int
item_claim(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "item claim";
	struct dom_claimant who = { 0 };
	struct dom_item_done done;
	struct dom_error e;
	char id[ID_TEXT_LEN + 1], cid[ID_TEXT_LEN + 1], claim[ID_TEXT_LEN + 1];
	const char *by = cmd_get(a, "by");
	int n = cmd_has(a, "branch") + cmd_has(a, "unit") + cmd_has(a, "member") + cmd_has(a, "by");

	if (n != 1) {
		fprintf(stderr, "tongxin %s: 请给出一个认领方：--branch、--unit 或 --member（三者选一）"
		    " (give exactly one of --branch CODE, --unit UNIT, --member M)\n", verbname);
		return EXIT_USAGE;
	}
	if (dom_row_handle(r, TBL_LIST_ITEM, a->argv[0], "清单", id, &e) != 0)
		return item_refused(&e, NULL, verbname);
	if (by == NULL) {
		if (dom_claimant_of(r, cmd_get(a, "member"), cmd_get(a, "unit"), cmd_get(a, "branch"),
		    dom_item_claim_kinds, cid, &who, &e) != 0)
			return item_refused(&e, NULL, verbname);
	} else {
		if (by == NULL || by[0] == '\0') {
			fprintf(stderr, "tongxin %s: 缺少认领方 --by NAME (the branch or unit that claims "
			    "it) is required\n", verbname);
			return EXIT_INVALID;
		}
		if (dom_claim_org_named(r, by, cid, &e) != 0)
			return item_refused(&e, NULL, verbname);
		who.branch_id = cid;
	}
	if (dom_item_claim(r, cli->operator_name, id, &who, cmd_get(a, "date"), false, claim, &done,
	    &e) != 0)
		return item_refused(&e, NULL, verbname);
	if (!cli->quiet)
		printf("已认领 Claimed %s item「%s」by %s on %s (认领编号 claim %s)\n",
		    text_show(kind_label(done.kind)), text_show(done.title), text_show(done.claimant),
		    done.date, dom_short(claim));
	return EXIT_OK;
}

/* item progress|done|withdraw CLAIM: the claim's next state. */
static int
claim_step(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const subs[] = { "progress", "done", "withdraw" };
	static const char *const verbnames[] = { "item progress", "item done", "item withdraw" };
	static const char *const said[] = { "办理中 In progress", "已完成 Done", "已撤回 Withdrawn" };
	enum dom_claim_step step = DOM_CLAIM_PROGRESS;
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	for (size_t k = 0; k < sizeof subs / sizeof subs[0]; k++)
		if (strcmp(a->entry->sub, subs[k]) == 0)
			step = (enum dom_claim_step)k;
	if (dom_claim_handle(r, a->argv[0], id, &e) != 0)
		return item_refused(&e, NULL, verbnames[step]);
	if (dom_claim_step(r, cli->operator_name, id, step, cmd_get(a, "date"),
	    cmd_get(a, step == DOM_CLAIM_DONE ? "result" : "note"), &e) != 0)
		return item_refused(&e, NULL, verbnames[step]);
	if (!cli->quiet)
		printf("%s: claim %s\n", said[step], dom_short(id));
	return EXIT_OK;
}

static const char *
claimant_kind_label(const char *k)
{
	if (k == NULL)
		return NULL;
	return strcmp(k, "branch") == 0 ? "组织" : strcmp(k, "unit") == 0 ? "驻区单位" :
	    strcmp(k, "member") == 0 ? "党员" : k;
}

static void
claims_row(const struct dom_claim_row *c, void *arg)
{
	struct list_ctx *lc = arg;
	const char *cells[11];

	cells[0] = lc->fmt == TABLE_TEXT ? dom_short(c->id) : c->id;
	cells[1] = lc->fmt == TABLE_TEXT ? dom_short(c->item_id) : c->item_id;
	cells[2] = c->item_title;
	cells[3] = c->org_name;
	cells[4] = lc->fmt == TABLE_JSON ? c->claimant_kind : claimant_kind_label(c->claimant_kind);
	cells[5] = c->claimant;
	cells[6] = c->state;
	cells[7] = c->claimed_on;
	cells[8] = c->done_on;
	cells[9] = c->result;
	cells[10] = c->note;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

static int
item_claims(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "item claims";
	static const char *const ids[] = { "id", "item", "title", "org", "claimant_kind",
		"claimant", "state", "claimed_on", "done_on", "result", "note" };
	static const char *const hdr[] = { "认领编号", "清单编号", "事项", "组织", "认领方类别",
		"认领方", "状态", "认领日期", "完成日期", "完成情况", "备注" };
	struct list_ctx lc = { .fmt = cli->fmt };
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (a->argc > 0 && dom_row_handle(r, TBL_LIST_ITEM, a->argv[0], "清单", id, &e) != 0)
		return item_refused(&e, NULL, verbname);
	if ((lc.t = table_new(11, ids, hdr)) == NULL)
		return EXIT_FAIL;
	table_set_vocab(lc.t, 6, vocab_get("claim_state"));
	if (dom_claim_list(r, a->argc > 0 ? id : NULL, claims_row, &lc, &e) != 0 || lc.oom) {
		table_free(lc.t);
		return lc.oom ? EXIT_FAIL : item_refused(&e, NULL, verbname);
	}
	if (cli->fmt == TABLE_TEXT && table_rows(lc.t) == 0) {
		table_free(lc.t);
		printf("没有认领 No claims.\n");
		return EXIT_OK;
	}
	table_print(lc.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- item board (公示) -------------------------------------------------------- */

static void
board_row(const struct dom_board_row *b, void *arg)
{
	struct list_ctx *lc = arg;
	const char *cells[14];

	cells[0] = b->comm_code;
	cells[1] = b->comm_name;
	cells[2] = b->kind;
	cells[3] = b->title;
	cells[4] = b->org_name;
	cells[5] = lc->fmt == TABLE_JSON ? b->claimant_kind : claimant_kind_label(b->claimant_kind);
	cells[6] = b->claimant;
	cells[7] = b->state;
	cells[8] = b->claimed_on;
	cells[9] = b->done_on;
	cells[10] = b->result;
	cells[11] = b->status;
	cells[12] = b->closed_on;
	cells[13] = b->close_result;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

/*
 * item board [--month YYYY-MM] [--org CODE]: the month's public board,
 * per community: items claimed, done or closed out in the month, each with
 * its claims. Nothing personal but a claiming member's name.
 */
static int
item_board(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "item board";
	static const char *const ids[] = { "community_code", "community", "kind", "title", "org",
		"claimant_kind", "claimant", "claim_state", "claimed_on", "done_on", "result",
		"item_status", "closed_on", "close_result" };
	static const char *const hdr[] = { "社区编码", "社区", "类型", "事项", "责任组织",
		"认领方类别", "认领方", "认领状态", "认领日期", "完成日期", "完成情况", "清单状态",
		"销号日期", "销号结果" };
	struct list_ctx lc = { .fmt = cli->fmt };
	const char *org = cmd_get(a, "org"), *month = cmd_get(a, "month");
	char oid[ID_TEXT_LEN + 1], today[11], mon[8];
	struct dom_error e;
	int rc;

	if (org && (rc = org_resolve(r, org, oid, verbname)) != 0)
		return rc;
	if (month == NULL) {
		today_str(today);
		snprintf(mon, sizeof mon, "%.7s", today);
		month = mon;
	}
	if ((lc.t = table_new(14, ids, hdr)) == NULL)
		return EXIT_FAIL;
	table_set_vocab(lc.t, 2, KINDS);
	table_set_vocab(lc.t, 7, vocab_get("claim_state"));
	table_set_vocab(lc.t, 11, vocab_get("item_status"));
	if (dom_item_board(r, org ? oid : NULL, month, board_row, &lc, &e) != 0 || lc.oom) {
		table_free(lc.t);
		return lc.oom ? EXIT_FAIL : item_refused(&e, NULL, verbname);
	}
	if (cli->fmt == TABLE_TEXT) {
		printf("清单认领公示 %s Claims and close-outs of %s\n", text_show(month),
		    text_show(month));
		if (table_rows(lc.t) == 0) {
			table_free(lc.t);
			printf("本月没有认领或销号 Nothing claimed, done or closed out this month.\n");
			return EXIT_OK;
		}
	}
	table_print(lc.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- item list ----------------------------------------------------------- */


/*
 * One item as a row of the list's table: people read the short handle
 * (dom_short) in the text table; CSV and JSON keep the whole id, and JSON
 * also has the handle.
 */
static void
list_row(const struct dom_item_row *i, void *arg)
{
	struct list_ctx *lc = arg;
	const char *cells[11], *id = i->id ? i->id : "";
	int k = 0;

	cells[k++] = lc->fmt == TABLE_TEXT ? dom_short(id) : id;
	if (lc->fmt == TABLE_JSON)
		cells[k++] = dom_short(id);
	cells[k++] = i->kind;
	cells[k++] = i->title;
	cells[k++] = i->org_name;
	cells[k++] = i->status;
	cells[k++] = i->due_on;
	cells[k++] = i->claimed_by;
	cells[k++] = i->claimed_on;
	cells[k++] = i->rectified_on;
	cells[k++] = i->closed_on;
	if (table_add(lc->t, cells) != 0)
		lc->oom = true;
}

static int
item_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char verbname[] = "item list";
	const char *ids[] = { "id", "handle", "kind", "title", "org", "status", "due_on",
		"claimed_by", "claimed_on", "rectified_on", "closed_on" };
	const char *hdr[] = { "编号", "编号", "类型", "事项", "组织", "状态", "期限",
		"认领方", "认领日期", "整改日期", "销号日期" };
	enum { NC = 10 };
	const char *org = cmd_get(a, "org"), *kind = NULL, *kind_given = cmd_get(a, "kind");
	int handle = cli->fmt == TABLE_JSON, rc;   /* whether the table has the handle column */
	struct table *t;
	char oid[ID_TEXT_LEN + 1];

	if (kind_given && (kind = kind_canon(kind_given)) == NULL) {
		bad_kind(verbname, kind_given);
		return EXIT_INVALID;
	}
	if (org && (rc = org_resolve(r, org, oid, verbname)) != 0)
		return rc;
	/* Without the handle column, the id's header and key move over it. */
	if (!handle) {
		hdr[1] = hdr[0];
		ids[1] = ids[0];
	}
	if ((t = table_new(NC + handle, ids + 1 - handle, hdr + 1 - handle)) == NULL) {
		fprintf(stderr, "tongxin %s: out of memory\n", verbname);
		return EXIT_FAIL;
	}
	table_set_vocab(t, 1 + handle, KINDS);
	table_set_vocab(t, 4 + handle, vocab_get("item_status"));
	{
		/* --org takes in the organisation's whole subtree. */
		struct dom_item_query q = { .org_id = org ? oid : NULL, .kind = kind,
			.open_only = cmd_has(a, "open") };
		struct list_ctx lc = { .t = t, .fmt = cli->fmt };
		struct dom_error e;
		if (dom_item_list(r, &q, list_row, &lc, &e) != 0 || lc.oom) {
			table_free(t);
			if (lc.oom) {
				fprintf(stderr, "tongxin %s: out of memory\n", verbname);
				return EXIT_FAIL;
			}
			return item_refused(&e, NULL, verbname);
		}
	}
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("没有清单事项 No items.\n");
		return EXIT_OK;
	}
	table_print(t, stdout, cli->fmt);
	return EXIT_OK;
}

/* --- the command table --------------------------------------------------- */

/* Whether an entry's exec ran: cmd_run returned 0 without it only for --help. */
static bool ran;

/* Run one sub-verb on the replica named by the global options, then close it. */
static int
with_replica(struct cli *cli, const struct cmd_args *a,
    int (*fn)(struct cli *, struct replica *, const struct cmd_args *))
{
	ran = true;
	return cmd_with_replica(cli, a, fn);
}

static int exec_add(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, item_add); }
static int exec_step(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, item_step); }
static int exec_claim(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, item_claim); }
static int exec_cstep(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, claim_step); }
static int exec_claims(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, item_claims); }
static int exec_board(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, item_board); }
static int exec_list(struct cli *cli, const struct cmd_args *a) { return with_replica(cli, a, item_list); }

static const struct cmd_opt add_opts[] = {
	{ "kind", "KIND", CMD_OPT_REQUIRED, "清单类型 the kind (allowed values below)" },
	{ "title", "TEXT", CMD_OPT_REQUIRED, "事项 what it is" },
	{ "org", "CODE", 0, "组织代码，默认本设备的组织 the organisation (default: this device's)" },
	{ "detail", "TEXT", 0, "详情 the details" },
	{ "due-on", "DATE", 0, "期限 YYYY-MM-DD" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt claim_opts[] = {
	{ "branch", "CODE", 0, "认领组织的编码（支部、党总支或社区党组织）a branch by its code" },
	{ "unit", "UNIT", 0, "认领驻区单位：编号、信用代码或名称 a resident unit" },
	{ "member", "MEMBER", 0, "认领党员：姓名、公民身份号码或编号 a member" },
	{ "by", "NAME", 0, "旧写法：认领组织的编码或名称 (old form: an organisation's code or name)" },
	{ "date", "DATE", 0, "认领日期，默认今天 the date (default: today)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt list_opts_none[] = {
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt progress_opts[] = {
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt done_opts[] = {
	{ "result", "TEXT", CMD_OPT_REQUIRED, "完成情况 what was done" },
	{ "date", "DATE", 0, "完成日期，默认今天 the date (default: today)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt withdraw_opts[] = {
	{ "note", "TEXT", 0, "备注（撤回原因）why" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt board_opts[] = {
	{ "month", "YYYY-MM", 0, "月份，默认本月 the month (default: this month)" },
	{ "org", "CODE", 0, "这个组织及其下级组织 this organisation and those below it" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt rectify_opts[] = {
	{ "note", "TEXT", CMD_OPT_REQUIRED, "整改情况 what was done" },
	{ "date", "DATE", 0, "整改日期，默认今天 the date (default: today)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt close_opts[] = {
	{ "note", "TEXT", 0, "销号说明：办理结果，未整改的事项必填 the result (needed unless rectified)" },
	{ "date", "DATE", 0, "销号日期，默认今天 the date (default: today)" },
	{ NULL, NULL, 0, NULL },
};

static const struct cmd_opt list_opts[] = {
	{ "kind", "KIND", 0, "清单类型 the kind" },
	{ "open", NULL, 0, "只列未销号的 only items not closed out" },
	{ "org", "CODE", 0, "这个组织及其下级组织 this organisation and those below it" },
	{ NULL, NULL, 0, NULL },
};

const struct cmd_entry cmd_entries_item[] = {
	{ "item", "add", NULL, 0, 0, add_opts, 0, 0,
	  "添加一项清单 Add an item (status 待办 open).\n", exec_add },
	{ "item", "claim", "ITEM", 1, 1, claim_opts, 0, 0,
	  "认领 Claim an item of any kind (双向认领), open or already claimed, by one\n"
	  "claimant: --branch, --unit or --member (--by NAME: an organisation's code or\n"
	  "name). Several claimants may take on one item, the same one not twice while\n"
	  "its claim is active. ITEM: its id or the id's last 6+ characters (the 编号 of\n"
	  "item list). Prints the claim's 编号, which progress, done and withdraw take.\n",
	  exec_claim },
	{ "item", "progress", "CLAIM", 1, 1, progress_opts, 0, 0,
	  "办理中 A claim is being carried out (claimed -> in progress).\n", exec_cstep },
	{ "item", "done", "CLAIM", 1, 1, done_opts, 0, 0,
	  "完成 A claim is done, with its result and date. Final.\n", exec_cstep },
	{ "item", "withdraw", "CLAIM", 1, 1, withdraw_opts, 0, 0,
	  "撤回 A claim not done is withdrawn. Final; an item left with no claim is open again.\n",
	  exec_cstep },
	{ "item", "claims", "[ITEM]", 0, 1, list_opts_none, 0, 0,
	  "认领列表 The claims (of one item, or all) with claimant, state and result.\n",
	  exec_claims },
	{ "item", "board", NULL, 0, 0, board_opts, 0, 0,
	  "公示 The month's public board, per community: items claimed, done or closed out\n"
	  "(销号) in the month, each with all its claims (who, state, result) and its\n"
	  "close-out. Nothing personal but a claiming member's name.\n", exec_board },
	{ "item", "rectify", "ITEM", 1, 1, rectify_opts, 0, 0,
	  "整改 Record a problem item's rectification.\n", exec_step },
	{ "item", "close", "ITEM", 1, 1, close_opts, 0, 0,
	  "销号 Close an item out (a problem item once rectified).\n", exec_step },
	{ "item", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出清单 The items, those not closed out first; 编号 is the short handle the\n"
	  "other sub-verbs take (--csv and --json keep the whole id).\n", exec_list },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/*
 * Whether the help asked for by argv concerns --kind: the verb's (no such
 * sub-verb: a help word) or a sub-verb's that has the option.
 */
static bool
takes_kind(int argc, char **argv)
{
	const struct cmd_entry *e = argc > 1 ? cmd_find(cmd_entries_item, argv[0], argv[1]) : NULL;

	for (int i = 0; e && e->opts && e->opts[i].name; i++)
		if (strcmp(e->opts[i].name, "kind") == 0)
			return true;
	return e == NULL;
}

int
verb_item(struct cli *cli, int argc, char **argv)
{
	int rc;

	ran = false;
	rc = cmd_run(cmd_entries_item, cli, argc, argv);
	/* --help of the verb, or of a sub-verb that takes --kind, also lists the kinds. */
	if (rc == EXIT_OK && !ran && takes_kind(argc, argv))
		cmd_help_values(stdout, "--kind", KINDS);
	return rc;
}
