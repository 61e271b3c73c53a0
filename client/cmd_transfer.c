/*
 * cmd_transfer.c - tongxin transfer: 组织关系转接 between communities.
 *
 * The sending office requests (naming the receiving organisation by code,
 * which it cannot see); the receiving office sees the request after its
 * next sync and accepts or rejects it; the server moves the member only on
 * acceptance. Both offices may be offline at different times.
 *
 * Each sub-verb is one row of cmd_entries_transfer (cmd.h), parsed by
 * cmd_parse: --note=TEXT, `--` before a value that starts with a dash,
 * options in any order. A transfer is named by its handle (dom_handle.h:
 * the id or its last 6+ characters, the 编号 the list shows), the member of
 * a request by any member handle (citizen ID, id suffix, a name one member
 * has). Exit statuses: 2 the command line's shape (a missing required
 * option, an unknown option), 7 invalid input or an ambiguous handle
 * (nothing changed; the candidates are listed), 9 no such transfer or
 * member.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd.h"
#include "dom_admin.h"
#include "dom_handle.h"
#include "text.h"
#include "vocab.h"

/*
 * The domain's refusal as this verb reports it: the message (an ambiguous
 * handle's candidates included) and the exit status every verb gives it:
 * no such record 9, invalid input 7, a replica failure 1.
 */
static int
transfer_exit(const struct dom_error *e, const char *verb)
{
	fprintf(stderr, "tongxin %s: %s\n", verb, text_show(e->msg));
	switch (e->kind) {
	case DOM_NOT_FOUND: return EXIT_NOT_FOUND;
	case DOM_INVALID:
	case DOM_MISSING: return EXIT_INVALID;
	default: return EXIT_FAIL;
	}
}

/* transfer request MEMBER --to CODE: the member by any handle, checked and written by the domain. */
static int
transfer_request(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	struct dom_transfer_req q = { 0 };
	char id[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1], name[128];
	struct dom_error e;

	if (dom_member_handle(r, a->argv[0], mid, &e) != 0)
		return transfer_exit(&e, "transfer request");
	q.member = mid;
	q.to_code = cmd_get(a, "to");
	q.reason = cmd_get(a, "reason");
	q.date = cmd_get(a, "date");
	if (dom_transfer_request(r, cli->operator_name, &q, id, name, &e) != 0)
		return transfer_exit(&e, "transfer request");
	if (!cli->quiet)
		printf("已申请转接 Requested the transfer of %s to %s (transfer %s).\n"
		    "The receiving office sees it after both offices have synced.\n",
		    text_show(name), text_show(q.to_code), dom_short(id));
	return EXIT_OK;
}

/* Accept or reject a transfer addressed to this device's organisation. */
static int
transfer_decide(struct cli *cli, struct replica *r, const struct cmd_args *a, bool accept)
{
	const char *note = cmd_get(a, "note"), *verb = accept ? "transfer accept" :
	    "transfer reject";
	char id[ID_TEXT_LEN + 1], name[128];
	struct dom_error e;

	/* cmd_parse refused a missing --note (2); an empty one is an invalid value. */
	if (!accept && (note == NULL || note[0] == '\0')) {
		fprintf(stderr, "tongxin transfer reject: --note 退回须说明理由 a reason is required\n");
		return EXIT_INVALID;
	}
	if (dom_row_handle(r, TBL_TRANSFER, a->argv[0], "转接", id, &e) != 0)
		return transfer_exit(&e, verb);
	if (dom_transfer_decide(r, cli->operator_name, id, accept, note, name, &e) != 0)
		return transfer_exit(&e, verb);
	if (!cli->quiet)
		printf("%s %s (%s).\n%s\n", accept ?
		    "已接收 Accepted the transfer of" : "已退回 Rejected the transfer of",
		    text_show(name), dom_short(id), accept ?
		    "The member moves when the server applies this at the next sync." :
		    "The sending office sees the decision after its next sync.");
	return EXIT_OK;
}

static int
transfer_accept(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	return transfer_decide(cli, r, a, true);
}

static int
transfer_reject(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	return transfer_decide(cli, r, a, false);
}

/* Withdraw a request this office made, while it is still open. */
static int
transfer_withdraw(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (dom_row_handle(r, TBL_TRANSFER, a->argv[0], "转接", id, &e) != 0)
		return transfer_exit(&e, "transfer withdraw");
	if (dom_transfer_withdraw(r, cli->operator_name, id, &e) != 0)
		return transfer_exit(&e, "transfer withdraw");
	if (!cli->quiet)
		printf("已撤回 Withdrew transfer %s.\n", dom_short(id));
	return EXIT_OK;
}

/* What transfer list's callback writes to. */
struct cli_list {
	struct cli *cli;
	struct table *t;
	int handle;    /* whether the table has the handle column (--json) */
};

/*
 * transfer list's table, one row per transfer: people read the short
 * handle (dom_short) as 编号; --csv keeps the whole id, --json the id and
 * the handle.
 */
static void
list_row(const struct dom_transfer_row *t, void *arg)
{
	struct cli_list *l = arg;
	const char *cells[10], **c = cells;

	*c++ = l->cli->fmt == TABLE_TEXT && t->id ? dom_short(t->id) : t->id;
	if (l->handle)
		*c++ = t->id ? dom_short(t->id) : NULL;
	*c++ = t->outgoing ? "转出 out" : "转入 in";
	*c++ = t->member_name ? t->member_name : "";
	*c++ = t->from_name ? t->from_name : t->from_code ? t->from_code : "";
	*c++ = t->to_code;
	*c++ = t->requested_on;
	*c++ = t->status;
	*c++ = t->decided_on;
	*c++ = t->decision_note ? t->decision_note : t->reason;
	table_add(l->t, cells);
}

static int
transfer_list(struct cli *cli, struct replica *r, const struct cmd_args *a)
{
	static const char *const ids[] = { "id", "handle", "direction", "member", "from", "to",
		"requested_on", "status", "decided_on", "note" };
	static const char *const hdr[] = { "编号", "简号", "方向", "党员", "转出", "转入", "申请日期",
		"状态", "办理日期", "说明" };
	static const char *const ids_nh[] = { "id", "direction", "member", "from", "to",
		"requested_on", "status", "decided_on", "note" };
	static const char *const hdr_nh[] = { "编号", "方向", "党员", "转出", "转入", "申请日期",
		"状态", "办理日期", "说明" };
	struct cli_list l = { cli, NULL, cli->fmt == TABLE_JSON };
	struct dom_error e;
	bool all = cmd_has(a, "all");

	if ((l.t = l.handle ? table_new(10, ids, hdr) : table_new(9, ids_nh, hdr_nh)) == NULL)
		return EXIT_FAIL;
	table_set_vocab(l.t, 6 + l.handle, vocab_get("transfer_status"));
	if (dom_transfer_list(r, all, list_row, &l, &e) != 0) {
		table_free(l.t);
		return transfer_exit(&e, "transfer list");
	}
	if (cli->fmt == TABLE_TEXT && table_rows(l.t) == 0) {
		table_free(l.t);
		printf("没有%s转接 No %stransfers.\n", all ? "" : "待办", all ? "" : "open ");
		return EXIT_OK;
	}
	table_print(l.t, stdout, cli->fmt);
	return EXIT_OK;
}

/* Each sub-verb's exec: the replica opened around it. */
static int
exec_request(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, transfer_request);
}

static int
exec_accept(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, transfer_accept);
}

static int
exec_reject(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, transfer_reject);
}

static int
exec_withdraw(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, transfer_withdraw);
}

static int
exec_list(struct cli *c, const struct cmd_args *a)
{
	return cmd_with_replica(c, a, transfer_list);
}

static const struct cmd_opt request_opts[] = {
	{ "to", "CODE", CMD_OPT_REQUIRED, "接收组织的代码 the receiving organisation's code" },
	{ "reason", "TEXT", 0, "转接原因 why the member moves" },
	{ "date", "DATE", 0, "申请日期 the request's date, YYYY-MM-DD (default today)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt accept_opts[] = {
	{ "note", "TEXT", 0, "办理说明 a note for the sending office" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt reject_opts[] = {
	{ "note", "TEXT", CMD_OPT_REQUIRED, "退回理由 why (the sending office reads it)" },
	{ NULL, NULL, 0, NULL },
};
static const struct cmd_opt list_opts[] = {
	{ "all", NULL, 0, "包括已办结的 also the decided and withdrawn ones" },
	{ NULL, NULL, 0, NULL },
};

/* The lines under every sub-verb's own help. */
#define TRANSFER_TAIL                                                                       \
	"TRANSFER: 转接编号或其末尾至少6位 the transfer's id or its last 6+ characters\n"      \
	"(the 编号 of transfer list).\n"                                                    \
	"退出状态 Exit status: 0 成功 ok, 2 命令行有误 usage error, 7 取值无效或编号不唯一\n"  \
	"invalid value or ambiguous handle (nothing changed), 9 无此记录 no such\n"          \
	"transfer or member.\n"

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_transfer[];

const struct cmd_entry cmd_entries_transfer[] = {
	{ "transfer", "request", "MEMBER", 1, 1, request_opts, 0, 0,
	  "申请把党员的组织关系转往另一社区 Request a member's transfer to another\n"
	  "community; the receiving office sees it after both offices have synced.\n"
	  "MEMBER: 公民身份号码、编号末尾至少6位或姓名 citizen ID number, the id's last\n"
	  "6+ characters or a name one member has.\n" TRANSFER_TAIL,
	  exec_request },
	{ "transfer", "accept", "TRANSFER", 1, 1, accept_opts, 0, 0,
	  "接收转入本组织的党员 Accept a transfer addressed to this organisation; the\n"
	  "member moves when the server applies it at the next sync.\n" TRANSFER_TAIL,
	  exec_accept },
	{ "transfer", "reject", "TRANSFER", 1, 1, reject_opts, 0, 0,
	  "退回转接申请 Reject a transfer addressed to this organisation, with a note.\n"
	  TRANSFER_TAIL,
	  exec_reject },
	{ "transfer", "withdraw", "TRANSFER", 1, 1, NULL, 0, 0,
	  "撤回本组织提出、尚未办理的申请 Withdraw a request this office made while it\n"
	  "is still open (once it has come back from the server).\n" TRANSFER_TAIL,
	  exec_withdraw },
	{ "transfer", "list", NULL, 0, 0, list_opts, 0, 0,
	  "列出转接 The open transfers (--all: every one), outgoing and incoming; 编号 is\n"
	  "the short handle the other sub-verbs take (--csv and --json keep the whole id,\n"
	  "--json adds \"handle\").\n",
	  exec_list },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin transfer SUB ...: the sub-verb's row of cmd_entries_transfer, run by cmd_run. */
int
verb_transfer(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_transfer, cli, argc, argv);
}
