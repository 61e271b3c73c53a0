/*
 * test_sync_idempotency.c - invariant 3 of PRODUCT.md (exactly once): a
 * push that is re-sent is acknowledged again, never applied again.
 *
 * 1. Lost acknowledgement. The real CLI syncs with
 *    TONGXIN_TEST_DIE_AFTER_PUSH=1: it _exit(3)s right after the server's
 *    push result arrives, so the server has committed but the replica still
 *    holds its whole outbox. The next sync gets every transaction back as
 *    `duplicate`, with the first outcome (the same conflict id for the one
 *    that conflicted), and the server's members, txn_log, audit and
 *    conflict queue do not change.
 * 2. A replica restored from a copy taken before a sync re-sends the same
 *    (device, seq) keys: all duplicates, nothing applied twice, and the
 *    copy ends up equal to the server.
 * 3. The same transaction twice in one push request: applied once, the
 *    second answered as a duplicate.
 * 4. A lost acknowledgement with several push batches in flight: 900
 *    one-row transactions (four batches; the client keeps up to three on
 *    the wire) and the CLI dies after the first result, when later batches
 *    have been sent and may have been committed. The next sync applies the
 *    rest once and acknowledges the committed ones again: every insert once
 *    on the server, in its audit and its transaction log.
 */
#include "sync_harness.h"

#include "frame.h"
#include "tls.h"

static struct h_server S;
static struct h_dev A, A2;
static char street_id[ID_TEXT_LEN + 1], community_id[ID_TEXT_LEN + 1], branch_id[ID_TEXT_LEN + 1];

struct counts {
	int64_t members, meetings, attendance, txn_log, audit, conflicts;
};

static void
server_counts(struct counts *c)
{
	sqlite3 *db = srv_db(&S);

	c->members = h_sql_int(db, "SELECT count(*) FROM member WHERE _deleted = 0", NULL, NULL);
	c->meetings = h_sql_int(db, "SELECT count(*) FROM meeting WHERE _deleted = 0", NULL, NULL);
	c->attendance = h_sql_int(db, "SELECT count(*) FROM attendance WHERE _deleted = 0", NULL,
	    NULL);
	c->txn_log = h_sql_int(db, "SELECT count(*) FROM txn_log WHERE device_id = ?1", A.device_id,
	    NULL);
	c->audit = h_sql_int(db, "SELECT count(*) FROM audit WHERE device_id = ?1", A.device_id, NULL);
	c->conflicts = h_sql_int(db, "SELECT count(*) FROM conflict", NULL, NULL);
	/* One audit row per applied change: never two for one (seq, row). */
	H_CHECK(h_sql_int(db, "SELECT count(*) FROM (SELECT seq, row_id FROM audit WHERE "
	    "device_id = ?1 GROUP BY seq, row_id HAVING count(*) > 1)", A.device_id, NULL) == 0,
	    "a change of device %s was audited twice", A.name);
	sqlite3_close(db);
}

static void
expect_counts(const struct counts *got, const struct counts *want, const char *when)
{
	H_CHECK(got->members == want->members && got->meetings == want->meetings &&
	    got->attendance == want->attendance && got->txn_log == want->txn_log &&
	    got->audit == want->audit && got->conflicts == want->conflicts,
	    "%s: server holds members %lld meetings %lld attendance %lld txn_log %lld audit %lld "
	    "conflicts %lld; expected %lld %lld %lld %lld %lld %lld", when,
	    (long long)got->members, (long long)got->meetings, (long long)got->attendance,
	    (long long)got->txn_log, (long long)got->audit, (long long)got->conflicts,
	    (long long)want->members, (long long)want->meetings, (long long)want->attendance,
	    (long long)want->txn_log, (long long)want->audit, (long long)want->conflicts);
}


/* A meeting with n attendance rows, one transaction. */
static void
insert_meeting(struct h_dev *d, const char *org, char (*members)[ID_TEXT_LEN + 1], int n)
{
	Tongxin__Value v[32];
	char mid[ID_TEXT_LEN + 1], aid[ID_TEXT_LEN + 1];

	dev_begin(d);
	h_vals_null(v, TBL_MEETING);
	h_set(v, TBL_MEETING, "org_id", org);
	h_set(v, TBL_MEETING, "kind", "theme_day");
	h_set(v, TBL_MEETING, "held_on", "2024-07-01");
	h_set(v, TBL_MEETING, "topic", "七一主题党日");
	dev_insert(d, TBL_MEETING, v, mid);
	for (int i = 0; i < n; i++) {
		h_vals_null(v, TBL_ATTENDANCE);
		h_set(v, TBL_ATTENDANCE, "meeting_id", mid);
		h_set(v, TBL_ATTENDANCE, "member_id", members[i]);
		h_set(v, TBL_ATTENDANCE, "status", "present");
		dev_insert(d, TBL_ATTENDANCE, v, aid);
	}
	dev_commit(d);
}

/* Part 1: the client dies after the server committed, before it recorded the answer. */
static void
lost_ack(void)
{
	char ids[12][ID_TEXT_LEN + 1], hotx[ID_TEXT_LEN + 1], hoty[ID_TEXT_LEN + 1];
	char bogus[ID_TEXT_LEN + 1], out[4300], cid_first[64], cid_again[64];
	struct counts c0, c1, c2;
	struct sync_report rep;
	int64_t outbox, outcomes;
	int rc;

	/* Two shared members; A2 changes X's name and Y's phone first. */
	dev_insert_member(&A, branch_id, hotx);
	dev_insert_member(&A, branch_id, hoty);
	dev_sync(&A, &S, NULL);
	dev_sync(&A2, &S, NULL);
	dev_begin(&A2);
	dev_update1(&A2, TBL_MEMBER, hotx, "name", "改名甲", 0);
	dev_update1(&A2, TBL_MEMBER, hoty, "phone", "13800000000", 0);
	dev_commit(&A2);
	dev_sync(&A2, &S, NULL);

	server_counts(&c0);
	/* A, offline: 18 transactions of every kind. */
	for (int i = 0; i < 10; i++)
		dev_insert_member(&A, branch_id, ids[i]);               /* 10 applied, 10 changes */
	insert_meeting(&A, branch_id, ids, 3);                      /* applied, 4 changes */
	for (int i = 0; i < 3; i++) {                               /* 3 applied */
		dev_begin(&A);
		dev_update1(&A, TBL_MEMBER, ids[i], "phone", "13912345678", 0);
		dev_commit(&A);
	}
	dev_begin(&A);                                              /* applied */
	dev_delete(&A, TBL_MEMBER, ids[4]);
	dev_commit(&A);
	dev_begin(&A);                                              /* conflict: same field */
	dev_update1(&A, TBL_MEMBER, hotx, "name", "改名乙", 0);
	dev_commit(&A);
	{                                                           /* rejected: unknown branch */
		Tongxin__Value v[32];
		struct h_member m;
		H_CHECK(id_new(bogus) == 0, "id_new");
		h_member_vals(v, &m, bogus, NULL);
		dev_begin(&A);
		dev_insert(&A, TBL_MEMBER, v, ids[11]);
		dev_commit(&A);
	}
	dev_begin(&A);                                              /* merged: another field */
	dev_update1(&A, TBL_MEMBER, hoty, "job", "网格员", 0);
	dev_commit(&A);
	outbox = dev_outbox(&A);
	H_CHECK(outbox == 18, "expected 18 transactions in the outbox, found %lld", (long long)outbox);
	outcomes = h_sql_int(replica_db(A.r), "SELECT count(*) FROM outcome", NULL, NULL);

	/* The real CLI, told to die right after the push result arrives. */
	dev_close(&A);
	snprintf(out, sizeof out, "%s/die-after-push.out", H.tmp);
	{
		const char *argv[] = { H.tongxin, "--replica", A.path, "--server", S.addr, "sync", NULL };
		const char *env[] = { "TONGXIN_TEST_DIE_AFTER_PUSH=1", NULL };
		rc = h_run(argv, out, env);
	}
	H_CHECK(rc == 3, "tongxin sync with TONGXIN_TEST_DIE_AFTER_PUSH=1 exited %d, expected 3: %s",
	    rc, h_slurp_tail(out, 2000));
	dev_reopen(&A);
	H_CHECK(dev_outbox(&A) == 18, "after the client died the outbox holds %lld transactions, "
	    "expected all 18", (long long)dev_outbox(&A));
	H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM outcome", NULL, NULL) == outcomes,
	    "the client recorded outcomes although it died before recording the answer");

	/* The server did commit all of it. */
	server_counts(&c1);
	{
		struct counts want = c0;
		want.members += 10 - 1;      /* ten inserts, one delete; the rejected one is not there */
		want.meetings += 1;
		want.attendance += 3;
		want.txn_log += 18;
		want.audit += 10 + 4 + 3 + 1 + 1;
		want.conflicts += 1;
		expect_counts(&c1, &want, "after the push whose answer was lost");
	}
	{
		sqlite3 *db = srv_db(&S);
		h_sql_text(db, "SELECT conflict_id FROM txn_log WHERE device_id = ?1 AND status = 2",
		    A.device_id, cid_first, sizeof cid_first);
		H_CHECK(cid_first[0] != '\0', "the conflicting transaction has no conflict id in txn_log");
		sqlite3_close(db);
	}

	/* Sync again: everything comes back as already known. */
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == 18 && rep.acks.duplicate == 18,
	    "the re-sent push: %lld pushed, %lld duplicates; expected 18 and 18",
	    (long long)rep.pushed_txns, (long long)rep.acks.duplicate);
	H_CHECK(rep.acks.applied == 15 && rep.acks.merged == 1 && rep.acks.conflict == 1 &&
	    rep.acks.rejected == 1, "the re-sent push answered %lld applied, %lld merged, "
	    "%lld conflict, %lld rejected; expected the first answers 15/1/1/1",
	    (long long)rep.acks.applied, (long long)rep.acks.merged, (long long)rep.acks.conflict,
	    (long long)rep.acks.rejected);
	server_counts(&c2);
	expect_counts(&c2, &c1, "after the re-sent push");
	h_sql_text(replica_db(A.r), "SELECT conflict_id FROM outcome WHERE status = 'conflict'", NULL,
	    cid_again, sizeof cid_again);
	H_CHECK(strcmp(cid_first, cid_again) == 0, "the duplicate answer names conflict %s, the "
	    "server queued %s", cid_again, cid_first);
	H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM outcome WHERE status = 'rejected' "
	    "AND reason IS NOT NULL AND reason <> ''", NULL, NULL) == 1,
	    "the duplicate answer for the rejected transaction lost its reason");
	h_check_accounted(&S, &A, NULL);
	h_require_equal(&S, &A);

	/* The CLI now has nothing to push. */
	dev_close(&A);
	{
		const char *argv[] = { H.tongxin, "--replica", A.path, "--server", S.addr, "sync", NULL };
		rc = h_run(argv, out, NULL);
	}
	H_CHECK(rc == 0, "a normal tongxin sync exited %d: %s", rc, h_slurp_tail(out, 2000));
	dev_reopen(&A);
	server_counts(&c2);
	expect_counts(&c2, &c1, "after a sync with nothing to push");
	h_log("lost acknowledgement: 18 transactions re-sent, all acknowledged as duplicates, "
	    "nothing applied twice");
}

/* Part 2: a replica restored from a copy re-sends what the original already pushed. */
static void
restored_copy(void)
{
	char ids[5][ID_TEXT_LEN + 1], copy_path[4200], from[4400], to[4400], err[1024];
	struct counts c1, c2;
	struct sync_report rep;
	struct h_dev C;

	for (int i = 0; i < 5; i++)
		dev_insert_member(&A, branch_id, ids[i]);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, ids[0], "address", "同心路1号", 0);
	dev_commit(&A);
	insert_meeting(&A, branch_id, ids, 5);
	H_CHECK(dev_outbox(&A) == 7, "expected 7 pending transactions, found %lld",
	    (long long)dev_outbox(&A));

	dev_close(&A);
	snprintf(copy_path, sizeof copy_path, "%s/street-admin-copy.db", H.tmp);
	h_copy_file(A.path, copy_path);
	snprintf(from, sizeof from, "%s-wal", A.path);
	snprintf(to, sizeof to, "%s-wal", copy_path);
	h_copy_file(from, to);
	snprintf(from, sizeof from, "%s.credential", A.path);
	snprintf(to, sizeof to, "%s.credential", copy_path);
	h_copy_file(from, to);
	dev_reopen(&A);

	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == 7 && rep.acks.applied == 7 && rep.acks.duplicate == 0,
	    "the first push: %lld pushed, %lld applied, %lld duplicates", (long long)rep.pushed_txns,
	    (long long)rep.acks.applied, (long long)rep.acks.duplicate);
	server_counts(&c1);

	C = A;
	snprintf(C.name, sizeof C.name, "street-admin-copy");
	snprintf(C.path, sizeof C.path, "%.4100s", copy_path);
	C.r = replica_open(copy_path, err, sizeof err);
	H_CHECK(C.r != NULL, "open the copy: %s", err);
	H_CHECK(dev_outbox(&C) == 7, "the copy should hold the 7 transactions");
	dev_sync(&C, &S, &rep);
	H_CHECK(rep.pushed_txns == 7 && rep.acks.duplicate == 7 && rep.acks.applied == 7,
	    "the copy's push: %lld pushed, %lld duplicates, %lld applied; expected 7 of each",
	    (long long)rep.pushed_txns, (long long)rep.acks.duplicate, (long long)rep.acks.applied);
	server_counts(&c2);
	expect_counts(&c2, &c1, "after the copy re-sent the same transactions");
	h_check_accounted(&S, &C, NULL);
	h_require_equal(&S, &C);
	dev_sync(&A, &S, NULL);
	h_require_equal(&S, &A);
	dev_close(&C);
	h_log("restored copy: 7 transactions re-sent from a copy, all duplicates");
}

/* Part 3: one push request carrying the same transaction twice. */
static void
same_txn_twice(void)
{
	char id[ID_TEXT_LEN + 1], err[1024] = "";
	Tongxin__Txn **txns = NULL, *two[2];
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	struct pki_cred cred;
	struct counts c1, c2;
	struct sync_report rep;
	struct conn c;
	SSL_CTX *ctx;
	uint8_t hash[32];
	int n;

	dev_insert_member(&A, branch_id, id);
	server_counts(&c1);
	n = rep_outbox_peek(A.r, 1, 1u << 20, &txns);
	H_CHECK(n == 1, "outbox peek returned %d", n);
	H_CHECK(replica_credential(A.r, &cred, err, sizeof err) == 0, "credential: %s", err);
	ctx = tls_client_ctx(&cred, err, sizeof err);
	pki_cred_clear(&cred);
	H_CHECK(ctx != NULL, "TLS context: %s", err);
	H_CHECK(conn_open(&c, ctx, S.addr, NULL, 30000) == 0, "connect: %s", c.err);
	schema_hash(hash);
	h.protocol_version = PROTOCOL_VERSION;
	h.schema_hash.data = hash;
	h.schema_hash.len = sizeof hash;
	h.program_version = (char *)"test_sync_idempotency";
	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	H_CHECK(conn_send(&c, &env) == 0, "send hello: %s", c.err);
	in = conn_recv(&c, FRAME_MAX);
	H_CHECK(in != NULL && in->body_case == TONGXIN__ENVELOPE__BODY_WELCOME, "no welcome: %s",
	    c.err);
	envelope_free(in);

	two[0] = two[1] = txns[0];
	req.txns = two;
	req.n_txns = 2;
	env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
	env.body_case = TONGXIN__ENVELOPE__BODY_PUSH;
	env.push = &req;
	H_CHECK(conn_send(&c, &env) == 0, "send push: %s", c.err);
	in = conn_recv(&c, FRAME_MAX);
	H_CHECK(in != NULL && in->body_case == TONGXIN__ENVELOPE__BODY_PUSH_RESULT,
	    "no push result: %s", c.err);
	H_CHECK(in->push_result->n_results == 2, "%zu results for 2 transactions",
	    in->push_result->n_results);
	H_CHECK(in->push_result->results[0]->status == TONGXIN__TXN_RESULT__STATUS__APPLIED &&
	    !in->push_result->results[0]->duplicate, "first copy: status %d duplicate %d",
	    (int)in->push_result->results[0]->status, (int)in->push_result->results[0]->duplicate);
	H_CHECK(in->push_result->results[1]->status == TONGXIN__TXN_RESULT__STATUS__APPLIED &&
	    in->push_result->results[1]->duplicate, "second copy in the same push: status %d "
	    "duplicate %d (expected applied, duplicate)", (int)in->push_result->results[1]->status,
	    (int)in->push_result->results[1]->duplicate);
	envelope_free(in);
	conn_close(&c, NULL);
	SSL_CTX_free(ctx);
	tongxin__txn__free_unpacked(txns[0], NULL);
	free(txns);

	server_counts(&c2);
	c1.members += 1;
	c1.txn_log += 1;
	c1.audit += 1;
	expect_counts(&c2, &c1, "after one push carrying the same transaction twice");
	/* The device never recorded that answer: its next sync is a duplicate too. */
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.acks.duplicate == 1 && rep.acks.applied == 1, "the device's own re-send: "
	    "%lld duplicates, %lld applied", (long long)rep.acks.duplicate, (long long)rep.acks.applied);
	server_counts(&c2);
	expect_counts(&c2, &c1, "after the device re-sent it");
	h_check_accounted(&S, &A, NULL);
	h_require_equal(&S, &A);
	h_log("same transaction twice in one push: applied once");
}

static void
pipelined_lost_ack(void)
{
	enum { N = 900 };
	char id[ID_TEXT_LEN + 1], out[4300];
	struct counts c0, c1, c2;
	struct sync_report rep;
	int64_t committed;
	int rc;

	dev_sync(&A, &S, NULL);
	server_counts(&c0);
	for (int i = 0; i < N; i++)
		dev_insert_member(&A, branch_id, id);
	H_CHECK(dev_outbox(&A) == N, "expected %d transactions in the outbox, found %lld", N,
	    (long long)dev_outbox(&A));
	dev_close(&A);
	snprintf(out, sizeof out, "%s/die-after-push-pipelined.out", H.tmp);
	{
		const char *argv[] = { H.tongxin, "--replica", A.path, "--server", S.addr, "sync", NULL };
		const char *env[] = { "TONGXIN_TEST_DIE_AFTER_PUSH=1", NULL };
		rc = h_run(argv, out, env);
	}
	H_CHECK(rc == 3, "tongxin sync with TONGXIN_TEST_DIE_AFTER_PUSH=1 exited %d, expected 3: %s",
	    rc, h_slurp_tail(out, 2000));
	dev_reopen(&A);
	H_CHECK(dev_outbox(&A) == N, "after the client died the outbox holds %lld transactions, "
	    "expected all %d", (long long)dev_outbox(&A), N);
	/*
	 * The server goes on with the batches already in its socket after the
	 * client is gone: what it has committed by now is a lower bound.
	 */
	server_counts(&c1);
	committed = c1.txn_log - c0.txn_log;
	H_CHECK(committed >= 256 && committed <= N, "the server committed %lld transactions of the "
	    "pipelined push; expected at least the first batch (256) and at most %d",
	    (long long)committed, N);

	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == N, "the second sync pushed %lld, expected %d",
	    (long long)rep.pushed_txns, N);
	H_CHECK(rep.acks.duplicate >= committed && rep.acks.duplicate % 256 == 0 &&
	    rep.acks.duplicate < N, "%lld acknowledged as already known; expected whole batches, "
	    "at least the %lld the server had committed when the client died",
	    (long long)rep.acks.duplicate, (long long)committed);
	committed = rep.acks.duplicate;
	H_CHECK(rep.acks.applied == N, "%lld applied, expected %d", (long long)rep.acks.applied, N);
	H_CHECK(dev_outbox(&A) == 0, "the outbox still holds %lld", (long long)dev_outbox(&A));
	server_counts(&c2);
	H_CHECK(c2.members - c0.members == N && c2.txn_log - c0.txn_log == N &&
	    c2.audit - c0.audit == N, "after the second sync: %lld members, %lld logged, %lld "
	    "audited for %d inserts (each must be exactly once)",
	    (long long)(c2.members - c0.members), (long long)(c2.txn_log - c0.txn_log),
	    (long long)(c2.audit - c0.audit), N);
	h_log("pipelined push with a lost acknowledgement: the server committed %lld of %d (the "
	    "client died after the first result), all %d exactly once after the next sync",
	    (long long)committed, N, N);
}

int
main(void)
{
	h_init("test_sync_idempotency", 3);
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_new(&A2, &S, "JD01", "street-admin-2", 1);
	dev_street_tree(&A, &S, street_id, community_id, branch_id);
	dev_sync(&A, &S, NULL);

	lost_ack();
	restored_copy();
	same_txn_twice();
	pipelined_lost_ack();

	h_check_integrity(&S);
	srv_stop(&S);
	dev_close(&A);
	dev_close(&A2);
	return h_done();
}
