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
#include "db.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MAX_COLS 32
#define TCOL(name) schema_col_index(&schema_tables[TBL_TRANSFER], name)

/* A transfer by its full id or a unique suffix (see row_by_suffix). */
static int
transfer_id(sqlite3 *db, const char *key, char id[ID_TEXT_LEN + 1], const char *verb)
{
	return row_by_suffix(db, TBL_TRANSFER, key, id, verb, "转接", "transfer");
}

static int
transfer_request(struct cli *cli, struct replica *r, int argc, char **argv)
{
	const struct table_def *td = &schema_tables[TBL_TRANSFER];
	const struct table_def *md = &schema_tables[TBL_MEMBER];
	Tongxin__Value vals[MAX_COLS], mv[MAX_COLS];
	const char *to = NULL, *reason = NULL, *date = NULL;
	char mid[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], today[11], err[512] = "", why[256];
	sqlite3_stmt *st;
	int rc, pending = 0;

	if (argc < 1)
		return verb_usage("transfer", 0);
	for (int i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			return verb_usage("transfer", 0);
		if (strcmp(argv[i], "--to") == 0)
			to = argv[i + 1];
		else if (strcmp(argv[i], "--reason") == 0)
			reason = argv[i + 1];
		else if (strcmp(argv[i], "--date") == 0)
			date = argv[i + 1];
		else
			return verb_usage("transfer", 0);
	}
	if (to == NULL) {
		fprintf(stderr, "tongxin transfer request: --to CODE (the receiving organisation) "
		    "is required\n");
		return EXIT_USAGE;
	}
	today_str(today);
	if (date == NULL)
		date = today;
	if (!validate_date(date) || strcmp(date, today) > 0) {
		fprintf(stderr, "tongxin transfer request: 申请日期 \"%s\" 无效 (YYYY-MM-DD, not in "
		    "the future)\n", date);
		return EXIT_INVALID;
	}
	if (member_id(replica_db(r), argv[0], mid) != 0) {
		fprintf(stderr, "tongxin transfer request: 未找到党员 no member \"%s\" in this "
		    "replica\n", argv[0]);
		return EXIT_INVALID;
	}
	if (strlen(to) > 32) {
		fprintf(stderr, "tongxin transfer request: organisation code longer than 32 bytes\n");
		return EXIT_INVALID;
	}
	memset(mv, 0, sizeof mv);
	if (rep_get(r, TBL_MEMBER, mid, mv, NULL) != 1)
		return EXIT_FAIL;
	/* One open request per member. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM transfer WHERE member_id = ?1"
	    " AND status = 'requested'", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
		pending = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	if (pending) {
		fprintf(stderr, "tongxin transfer request: 该党员已有待办的转接 this member already has "
		    "an open transfer request\n");
		rc = EXIT_INVALID;
		goto out;
	}
	{
		char own[ID_TEXT_LEN + 1];
		if (org_id_by_code(replica_db(r), to, own) == 0 &&
		    strcmp(own, mv[schema_col_index(md, "org_id")].s) == 0) {
			fprintf(stderr, "tongxin transfer request: 该党员已在 %s the member is already "
			    "in %s\n", to, to);
			rc = EXIT_INVALID;
			goto out;
		}
	}
	memset(vals, 0, sizeof vals);
	value_set_text(&vals[TCOL("member_id")], mid);
	value_set_text(&vals[TCOL("from_org_id")], mv[schema_col_index(md, "org_id")].s);
	value_set_text(&vals[TCOL("to_org_code")], to);
	value_set_text(&vals[TCOL("member_name")], mv[schema_col_index(md, "name")].s);
	value_set_text(&vals[TCOL("requested_on")], date);
	value_set_text(&vals[TCOL("status")], "requested");
	if (reason)
		value_set_text(&vals[TCOL("reason")], reason);
	for (int c = 0; c < td->ncols; c++)
		if (validate_value(&td->cols[c], &vals[c], why, sizeof why) != 0) {
			fprintf(stderr, "tongxin transfer request: %s\n", text_show(why));
			rc = EXIT_INVALID;
			goto out;
		}
	if (rep_begin(r, cli->operator_name) != 0 ||
	    rep_insert(r, TBL_TRANSFER, vals, id, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin transfer request: %s\n", err[0] ? err : "cannot write");
		rep_rollback(r);
		rc = EXIT_FAIL;
		goto out;
	}
	if ((rc = commit_or_fail(r, "transfer request")) == EXIT_OK && !cli->quiet)
		printf("已申请转接 Requested the transfer of %s to %s (transfer %s).\n"
		    "The receiving office sees it after both offices have synced.\n",
		    text_show(mv[schema_col_index(md, "name")].s), text_show(to), id + ID_TEXT_LEN - 8);
out:
	for (int c = 0; c < md->ncols; c++)
		value_clear(&mv[c]);
	return rc;
}

/* Accept or reject a transfer addressed to this device's organisation. */
static int
transfer_decide(struct cli *cli, struct replica *r, const char *key, const char *status,
    int argc, char **argv)
{
	const struct table_def *td = &schema_tables[TBL_TRANSFER];
	Tongxin__Value cur[MAX_COLS], vals[3];
	uint32_t cols[3];
	const char *note = NULL, *verb = strcmp(status, "accepted") == 0 ? "transfer accept" :
	    "transfer reject";
	char id[ID_TEXT_LEN + 1], today[11], err[512] = "";
	int rc;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc || strcmp(argv[i], "--note") != 0)
			return verb_usage("transfer", 0);
		note = argv[i + 1];
	}
	if (strcmp(status, "rejected") == 0 && (note == NULL || note[0] == '\0')) {
		fprintf(stderr, "tongxin transfer reject: --note REASON is required\n");
		return EXIT_USAGE;
	}
	if (note && strlen(note) > 500) {
		fprintf(stderr, "tongxin %s: the note is longer than 500 bytes\n", verb);
		return EXIT_INVALID;
	}
	if (transfer_id(replica_db(r), key, id, verb) != 0)
		return EXIT_INVALID;
	memset(cur, 0, sizeof cur);
	if (rep_get(r, TBL_TRANSFER, id, cur, NULL) != 1)
		return EXIT_FAIL;
	if (strcmp(cur[TCOL("status")].s, "requested") != 0) {
		fprintf(stderr, "tongxin %s: 该转接已办理 this transfer is already %s\n", verb,
		    text_show(cur[TCOL("status")].s));
		rc = EXIT_INVALID;
		goto out;
	}
	{
		/* The receiving side decides: its organisation must be in this replica. */
		char own[ID_TEXT_LEN + 1];
		if (cur[TCOL("to_org_id")].kind_case != TONGXIN__VALUE__KIND_S ||
		    org_id_by_code(replica_db(r), cur[TCOL("to_org_code")].s, own) != 0) {
			fprintf(stderr, "tongxin %s: 只能由转入组织办理 only the receiving organisation "
			    "(%s) can decide this transfer\n", verb, text_show(cur[TCOL("to_org_code")].s));
			rc = EXIT_INVALID;
			goto out;
		}
	}
	today_str(today);
	cols[0] = (uint32_t)TCOL("status");
	value_set_text(&vals[0], status);
	cols[1] = (uint32_t)TCOL("decided_on");
	value_set_text(&vals[1], today);
	cols[2] = (uint32_t)TCOL("decision_note");
	value_set_text(&vals[2], note);
	if (rep_begin(r, cli->operator_name) != 0 ||
	    rep_update(r, TBL_TRANSFER, id, cols, vals, note ? 3 : 2, err, sizeof err) != 0) {
		fprintf(stderr, "tongxin %s: %s\n", verb, err[0] ? err : "cannot write");
		rep_rollback(r);
		rc = EXIT_FAIL;
		goto out;
	}
	if ((rc = commit_or_fail(r, verb)) == EXIT_OK && !cli->quiet)
		printf("%s %s (%s).\n%s\n", strcmp(status, "accepted") == 0 ?
		    "已接收 Accepted the transfer of" : "已退回 Rejected the transfer of",
		    text_show(cur[TCOL("member_name")].kind_case == TONGXIN__VALUE__KIND_S ?
		    cur[TCOL("member_name")].s : ""), id + ID_TEXT_LEN - 8,
		    strcmp(status, "accepted") == 0 ?
		    "The member moves when the server applies this at the next sync." :
		    "The sending office sees the decision after its next sync.");
out:
	for (int c = 0; c < td->ncols; c++)
		value_clear(&cur[c]);
	return rc;
}

static int
transfer_list(struct cli *cli, struct replica *r, int argc, char **argv)
{
	static const char *const ids[] = { "id", "direction", "member", "from", "to", "requested_on",
		"status", "decided_on", "note" };
	static const char *const hdr[] = { "编号", "方向", "党员", "转出", "转入", "申请日期", "状态",
		"办理日期", "说明" };
	const char *own = replica_info(r)->org_code;
	struct table *t;
	sqlite3_stmt *st;
	int all = argc == 1 && strcmp(argv[0], "--all") == 0;

	if (argc > 1 || (argc == 1 && !all))
		return verb_usage("transfer", 0);
	/*
	 * Outgoing when the sending organisation is in this device's subtree
	 * (its own organisation or below it).
	 */
	if ((t = table_new(9, ids, hdr)) == NULL || sqlite3_prepare_v2(replica_db(r),
	    "WITH RECURSIVE mine(id) AS (SELECT id FROM org WHERE code = ?1"
	    "  UNION SELECT o.id FROM org o JOIN mine ON o.parent_id = mine.id)"
	    " SELECT t.id, CASE WHEN t.from_org_id IN (SELECT id FROM mine) THEN '转出 out'"
	    "   ELSE '转入 in' END, coalesce(t.member_name, m.name, ''),"
	    " coalesce(f.name, f.code, ''), t.to_org_code, t.requested_on,"
	    " t.status, t.decided_on, coalesce(t.decision_note, t.reason)"
	    " FROM transfer t LEFT JOIN member m ON m.id = t.member_id"
	    " LEFT JOIN org f ON f.id = t.from_org_id"
	    " WHERE ?2 OR t.status = 'requested' ORDER BY t.requested_on, t.id", -1, &st,
	    NULL) != SQLITE_OK) {
		table_free(t);
		return EXIT_FAIL;
	}
	sqlite3_bind_text(st, 1, own, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all);
	table_set_vocab(t, 6, vocab_get("transfer_status"));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *cells[9];
		for (int c = 0; c < 9; c++)
			cells[c] = (const char *)sqlite3_column_text(st, c);
		if (cli->fmt == TABLE_TEXT && cells[0] && strlen(cells[0]) > 8)
			cells[0] += strlen(cells[0]) - 8;
		table_add(t, cells);
	}
	sqlite3_finalize(st);
	if (cli->fmt == TABLE_TEXT && table_rows(t) == 0) {
		table_free(t);
		printf("没有%s转接 No %stransfers.\n", all ? "" : "待办", all ? "" : "open ");
		return EXIT_OK;
	}
	table_print(t, stdout, cli->fmt);
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
		rc = transfer_decide(cli, r, argv[2], "accepted", argc - 3, argv + 3);
	else if (strcmp(argv[1], "reject") == 0 && argc >= 3)
		rc = transfer_decide(cli, r, argv[2], "rejected", argc - 3, argv + 3);
	else if (strcmp(argv[1], "list") == 0)
		rc = transfer_list(cli, r, argc - 2, argv + 2);
	else
		rc = verb_usage("transfer", 0);
	replica_close(r);
	return rc;
}
