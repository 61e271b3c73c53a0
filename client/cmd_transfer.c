/*
 * cmd_transfer.c - tongxin transfer: 组织关系转接 between communities.
 *
 * The sending office requests (naming the receiving organisation by code,
 * which it cannot see); the receiving office sees the request after its
 * next sync and accepts or rejects it; the server moves the member only on
 * acceptance. Both offices may be offline at different times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dom_admin.h"
#include "text.h"
#include "vocab.h"

/* A transfer by its full id or a unique suffix (see row_by_suffix). */
static int
transfer_id(sqlite3 *db, const char *key, char id[ID_TEXT_LEN + 1], const char *verb)
{
	return row_by_suffix(db, TBL_TRANSFER, key, id, verb, "转接", "transfer");
}

/* The domain's refusal as this verb reports it: the message and the exit code. */
static int
transfer_exit(const struct dom_error *e, const char *verb)
{
	fprintf(stderr, "tongxin %s: %s\n", verb, e->msg);
	return e->kind == DOM_INVALID || e->kind == DOM_MISSING || e->kind == DOM_NOT_FOUND ?
	    EXIT_INVALID : EXIT_FAIL;
}

static int
transfer_request(struct cli *cli, struct replica *r, int argc, char **argv)
{
	struct dom_transfer_req q = { 0 };
	char id[ID_TEXT_LEN + 1], name[128];
	struct dom_error e;

	if (argc < 1)
		return verb_usage("transfer", 0);
	q.member = argv[0];
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return verb_usage("transfer", 0);
		if (strcmp(argv[i], "--to") == 0)
			q.to_code = argv[i + 1];
		else if (strcmp(argv[i], "--reason") == 0)
			q.reason = argv[i + 1];
		else if (strcmp(argv[i], "--date") == 0)
			q.date = argv[i + 1];
		else
			return verb_usage("transfer", 0);
	}
	if (q.to_code == NULL) {
		fprintf(stderr, "tongxin transfer request: --to CODE (the receiving organisation) "
		    "is required\n");
		return EXIT_USAGE;
	}
	if (dom_transfer_request(r, cli->operator_name, &q, id, name, &e) != 0)
		return transfer_exit(&e, "transfer request");
	if (!cli->quiet)
		printf("已申请转接 Requested the transfer of %s to %s (transfer %s).\n"
		    "The receiving office sees it after both offices have synced.\n",
		    text_show(name), text_show(q.to_code), id + ID_TEXT_LEN - 8);
	return EXIT_OK;
}

/* Accept or reject a transfer addressed to this device's organisation. */
static int
transfer_decide(struct cli *cli, struct replica *r, const char *key, bool accept, int argc,
    char **argv)
{
	const char *note = NULL, *verb = accept ? "transfer accept" : "transfer reject";
	char id[ID_TEXT_LEN + 1], name[128];
	struct dom_error e;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc || strcmp(argv[i], "--note") != 0)
			return verb_usage("transfer", 0);
		note = argv[i + 1];
	}
	if (!accept && (note == NULL || note[0] == '\0')) {
		fprintf(stderr, "tongxin transfer reject: --note REASON is required\n");
		return EXIT_USAGE;
	}
	if (transfer_id(replica_db(r), key, id, verb) != 0)
		return EXIT_INVALID;
	if (dom_transfer_decide(r, cli->operator_name, id, accept, note, name, &e) != 0)
		return transfer_exit(&e, verb);
	if (!cli->quiet)
		printf("%s %s (%s).\n%s\n", accept ?
		    "已接收 Accepted the transfer of" : "已退回 Rejected the transfer of",
		    text_show(name), id + ID_TEXT_LEN - 8, accept ?
		    "The member moves when the server applies this at the next sync." :
		    "The sending office sees the decision after its next sync.");
	return EXIT_OK;
}

/* Withdraw a request this office made, while it is still open. */
static int
transfer_withdraw(struct cli *cli, struct replica *r, const char *key, int argc)
{
	char id[ID_TEXT_LEN + 1];
	struct dom_error e;

	if (argc != 0)
		return verb_usage("transfer", 0);
	if (transfer_id(replica_db(r), key, id, "transfer withdraw") != 0)
		return EXIT_INVALID;
	if (dom_transfer_withdraw(r, cli->operator_name, id, &e) != 0)
		return transfer_exit(&e, "transfer withdraw");
	if (!cli->quiet)
		printf("已撤回 Withdrew transfer %s.\n", id + ID_TEXT_LEN - 8);
	return EXIT_OK;
}

/* What transfer list's callback writes to. */
struct cli_list {
	struct cli *cli;
	struct table *t;
};

/* transfer list's table, one row per transfer. */
static void
list_row(const struct dom_transfer_row *t, void *arg)
{
	struct cli_list *l = arg;
	const char *cells[9];

	cells[0] = t->id;
	if (l->cli->fmt == TABLE_TEXT && cells[0] && strlen(cells[0]) > 8)
		cells[0] += strlen(cells[0]) - 8;
	cells[1] = t->outgoing ? "转出 out" : "转入 in";
	cells[2] = t->member_name ? t->member_name : "";
	cells[3] = t->from_name ? t->from_name : t->from_code ? t->from_code : "";
	cells[4] = t->to_code;
	cells[5] = t->requested_on;
	cells[6] = t->status;
	cells[7] = t->decided_on;
	cells[8] = t->decision_note ? t->decision_note : t->reason;
	table_add(l->t, cells);
}

static int
transfer_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char *const ids[] = { "id", "direction", "member", "from", "to", "requested_on",
		"status", "decided_on", "note" };
	static const char *const hdr[] = { "编号", "方向", "党员", "转出", "转入", "申请日期", "状态",
		"办理日期", "说明" };
	struct cli_list l = { cli, NULL };
	struct dom_error e;
	int all = argc == 1 && strcmp(argv[0], "--all") == 0;

	if (argc > 1 || (argc == 1 && !all))
		return verb_usage("transfer", 0);
	if ((l.t = table_new(9, ids, hdr)) == NULL)
		return EXIT_FAIL;
	table_set_vocab(l.t, 6, vocab_get("transfer_status"));
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

int
verb_transfer(struct cli *cli, int argc, char **argv)
{
	struct replica *r;
	int rc;

	if (has_help(argc, argv) || argc < 2)
		return verb_usage("transfer", argc >= 2);
	if ((r = cli_open(cli)) == NULL)
		return EXIT_FAIL;
	if (strcmp(argv[1], "request") == 0)
		rc = transfer_request(cli, r, argc - 2, argv + 2);
	else if (strcmp(argv[1], "accept") == 0 && argc >= 3)
		rc = transfer_decide(cli, r, argv[2], true, argc - 3, argv + 3);
	else if (strcmp(argv[1], "reject") == 0 && argc >= 3)
		rc = transfer_decide(cli, r, argv[2], false, argc - 3, argv + 3);
	else if (strcmp(argv[1], "withdraw") == 0 && argc >= 3)
		rc = transfer_withdraw(cli, r, argv[2], argc - 3);
	else if (strcmp(argv[1], "list") == 0)
		rc = transfer_list(cli, r, argc - 2, argv + 2);
	else
		rc = verb_usage("transfer", 0);
	replica_close(r);
	return rc;
}
