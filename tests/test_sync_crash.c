/*
 * test_sync_crash.c - invariants 2 and 3 of PRODUCT.md under kill -9: a
 * server crash never loses a change the server acknowledged, and the
 * re-sent pushes after the restart are never applied twice.
 *
 * The street's device builds a large outbox (2000 small transactions at
 * first, topped up every round with inserts and updates). Each round a
 * forked child syncs in process; once the server has logged the child's
 * hello and 0-2 (random) of its push batches, the test waits a random
 * 0 to W ms more and kill -9s the server: in the middle of applying a batch,
 * between committing one and answering it, or in the pull that follows.
 * W starts at 50 and follows the machine's speed: it shrinks after a sync
 * that finished before the kill and grows after one that was cut, so that
 * about half the kills land inside a sync on a fast machine as on a slow one
 * (a fixed 50 ms let a quiet machine finish most syncs first).
 * Then:
 *   - the server restarts on the same data directory;
 *   - every transaction the replica recorded as acknowledged is in the
 *     server's txn_log with the same status, and every acknowledged insert
 *     is a live row on the server (no acknowledged change lost);
 *   - the server database passes PRAGMA integrity_check.
 * Every few rounds, and at the end, the replica syncs until clean and:
 * member counts and table hashes equal the server's, txn_log has exactly
 * one row per local seq, and no change was audited twice.
 *
 * At least 20 kills must land after the child's hello while its sync was
 * still running (TX_KILLS changes the number).
 */
#include "sync_harness.h"

/*
 * Sequences the test can reach: 2000 inserts first, then per round at most
 * 800 to top up, 20 updates and 100 inserts, for at most 4 rounds a kill
 * (main). Set in main from the number of kills wanted.
 */
static int64_t max_seq;

static struct h_server S;
static struct h_dev A;
static char street_id[ID_TEXT_LEN + 1], community_id[ID_TEXT_LEN + 1], branch_id[ID_TEXT_LEN + 1];
/* The member each insert transaction made, by seq ("" for other transactions). */
static char (*made)[ID_TEXT_LEN + 1];

static void
add_inserts(int n)
{
	Tongxin__Value v[32];
	struct h_member m;
	char id[ID_TEXT_LEN + 1];

	for (int i = 0; i < n; i++) {
		int64_t seq = dev_next_seq(&A);
		H_CHECK(seq < max_seq, "too many transactions for this test");
		h_member_vals(v, &m, branch_id, NULL);
		dev_begin(&A);
		dev_insert(&A, TBL_MEMBER, v, id);
		dev_commit(&A);
		snprintf(made[seq], ID_TEXT_LEN + 1, "%s", id);
	}
}

/* Phone updates of random members the replica holds (pushed or not). */
static void
add_updates(int n)
{
	struct h_ids ids;
	char phone[24];

	h_sql_ids(replica_db(A.r), "SELECT id FROM member ORDER BY id", NULL, &ids);
	for (int i = 0; i < n && ids.n > 0; i++) {
		snprintf(phone, sizeof phone, "137%08u", h_randn(100000000));
		dev_begin(&A);
		dev_update1(&A, TBL_MEMBER, ids.v[h_randn((uint32_t)ids.n)], "phone", phone, 0);
		dev_commit(&A);
	}
	h_ids_free(&ids);
}

/* Sync in a forked child; returns its pid. */
static pid_t
child_sync(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	H_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct sync_report rep;
		enum sync_fail f;
		char err[1024];
		int rc;
		A.r = NULL;
		dev_reopen(&A);
		rc = dev_sync_try(&A, &S, 0, 0, &rep, &f, err, sizeof err);
		replica_close(A.r);
		_exit(rc == 0 ? 0 : 10 + (int)f);
	}
	return pid;
}

/*
 * No acknowledged change is lost: every outcome the replica recorded is in
 * the server's txn_log with the same status, and every acknowledged insert
 * is on the server. Returns the number of acknowledged transactions.
 */
static int64_t
check_acknowledged(void)
{
	sqlite3 *sdb = srv_db(&S), *rdb = replica_db(A.r);
	sqlite3_stmt *oc, *tl, *row;
	int64_t n = 0;
	int rc;

	H_CHECK(sqlite3_prepare_v2(rdb, "SELECT seq, status FROM outcome ORDER BY seq", -1, &oc,
	    NULL) == SQLITE_OK, "prepare");
	H_CHECK(sqlite3_prepare_v2(sdb, "SELECT status FROM txn_log WHERE device_id = ?1 AND seq = ?2",
	    -1, &tl, NULL) == SQLITE_OK, "prepare");
	H_CHECK(sqlite3_prepare_v2(sdb, "SELECT _deleted FROM member WHERE id = ?1", -1, &row, NULL) ==
	    SQLITE_OK, "prepare");
	while ((rc = sqlite3_step(oc)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(oc, 0);
		const char *status = (const char *)sqlite3_column_text(oc, 1);
		sqlite3_bind_text(tl, 1, A.device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(tl, 2, seq);
		H_CHECK(sqlite3_step(tl) == SQLITE_ROW, "transaction %lld was acknowledged (%s) but "
		    "the server lost it in the crash", (long long)seq, status);
		H_CHECK(strcmp(status, "applied") != 0 || sqlite3_column_int(tl, 0) == 0,
		    "transaction %lld: acknowledged as applied, txn_log status %d", (long long)seq,
		    sqlite3_column_int(tl, 0));
		sqlite3_reset(tl);
		if (seq < max_seq && made[seq][0] && strcmp(status, "applied") == 0) {
			sqlite3_bind_text(row, 1, made[seq], -1, SQLITE_STATIC);
			H_CHECK(sqlite3_step(row) == SQLITE_ROW && sqlite3_column_int(row, 0) == 0,
			    "member %s (transaction %lld) was acknowledged as applied but is not on the "
			    "server after the crash", made[seq], (long long)seq);
			sqlite3_reset(row);
		}
		n++;
	}
	H_CHECK(rc == SQLITE_DONE, "reading outcomes");
	sqlite3_finalize(oc);
	sqlite3_finalize(tl);
	sqlite3_finalize(row);
	sqlite3_close(sdb);
	return n;
}

/* Sync until the outbox is empty, then everything must match. */
static void
sync_clean_and_check(const char *when)
{
	sqlite3 *sdb;
	int64_t next, smembers, rmembers;
	char sql[256];

	dev_sync(&A, &S, NULL);
	H_CHECK(dev_outbox(&A) == 0, "%s: the outbox is not empty after a full sync", when);
	h_check_accounted(&S, &A, NULL);
	h_require_equal(&S, &A);
	sdb = srv_db(&S);
	next = dev_next_seq(&A);
	smembers = h_sql_int(sdb, "SELECT count(*) FROM member WHERE _deleted = 0", NULL, NULL);
	rmembers = h_sql_int(replica_db(A.r), "SELECT count(*) FROM member", NULL, NULL);
	H_CHECK(smembers == rmembers, "%s: server has %lld members, replica %lld", when,
	    (long long)smembers, (long long)rmembers);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM member", NULL, NULL) == smembers,
	    "%s: the server holds deleted members although none was deleted", when);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM txn_log WHERE device_id = ?1", A.device_id,
	    NULL) == next - 1, "%s: txn_log does not hold exactly one row per seq", when);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM (SELECT seq, row_id FROM audit WHERE "
	    "device_id = ?1 GROUP BY seq, row_id HAVING count(*) > 1)", A.device_id, NULL) == 0,
	    "%s: a change was applied (audited) twice", when);
	/* Every insert transaction made exactly one member. */
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE device_id = ?1 AND "
	    "action = 'insert' AND tbl = %d", TBL_MEMBER);
	H_CHECK(h_sql_int(sdb, sql, A.device_id, NULL) == smembers,
	    "%s: %lld member insert audit rows for %lld members", when,
	    (long long)h_sql_int(sdb, sql, A.device_id, NULL), (long long)smembers);
	sqlite3_close(sdb);
}

int
main(void)
{
	int want = getenv("TX_KILLS") ? atoi(getenv("TX_KILLS")) : 20;
	int kills = 0, in_sync = 0, grew = 0, completed = 0, unreachable = 0, round, window = 50;
	int64_t acked_total = 0;

	h_init("test_sync_crash", 7);
	H_CHECK(want > 0 && want < 10000, "TX_KILLS: 1 to 9999");
	max_seq = 2000 + 4 * (int64_t)want * 1000 + 1000;
	made = calloc((size_t)max_seq, sizeof *made);
	H_CHECK(made != NULL, "out of memory");
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_street_tree(&A, &S, street_id, community_id, branch_id);
	dev_sync(&A, &S, NULL);

	add_inserts(2000);
	h_log("2000 transactions pending; killing the server during pushes");
	for (round = 0; in_sync < want && round < 4 * want; round++) {
		sqlite3 *sdb;
		int64_t log_before, log_after, pending;
		long off;
		pid_t pid;
		int st, delay, batches, seen = 0, reaped;

		/* More work: updates of pushed and unpushed rows, and inserts. */
		if (round > 0) {
			add_updates(20);
			add_inserts(100);
		}
		if ((pending = dev_outbox(&A)) < 800) {
			add_inserts(800 - (int)pending);
			pending = 800;
		}
		sdb = srv_db(&S);
		log_before = h_sql_int(sdb, "SELECT count(*) FROM txn_log WHERE device_id = ?1",
		    A.device_id, NULL);
		sqlite3_close(sdb);
		dev_close(&A);

		off = h_file_size(S.log);
		pid = child_sync();
		/*
		 * Wait for the child's hello on the server and for 0-2 of its push
		 * batches to be committed and answered (so that some kills come
		 * after part of the push is durable, whatever the build's speed),
		 * then a random 0-50 ms more.
		 */
		batches = (int)h_randn(3);
		reaped = 0;
		for (int i = 0; i < 60000 && !seen; i++) {
			if (h_file_has(S.log, off, "hello") &&
			    h_file_count(S.log, off, ": push: ") >= batches)
				seen = 1;
			else if (waitpid(pid, &st, WNOHANG) == pid) {
				reaped = 1;   /* the child ended before the kill */
				break;
			} else
				h_msleep(1);
		}
		delay = (int)h_randn((uint32_t)window + 1);
		if (seen)
			h_msleep(delay);
		srv_kill9(&S);
		if (!reaped && waitpid(pid, &st, WNOHANG) != pid)
			while (waitpid(pid, &st, 0) < 0)
				H_CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
		H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 99, "the syncing child failed a check "
		    "or crashed (status %#x)", st);
		kills++;
		/* The next kill's window: shorter after a sync the kill came too late for. */
		if (seen && WEXITSTATUS(st) == 0)
			window = window * 2 / 3 > 2 ? window * 2 / 3 : 2;
		else if (seen)
			window = window + window / 4 + 1 < 50 ? window + window / 4 + 1 : 50;
		if (WEXITSTATUS(st) == 0)
			completed++;
		else if (WEXITSTATUS(st) == 10 + SYNC_UNREACHABLE)
			unreachable++;
		else if (seen)
			in_sync++;

		srv_start(&S);
		dev_reopen(&A);
		acked_total = check_acknowledged();
		h_check_integrity(&S);
		sdb = srv_db(&S);
		log_after = h_sql_int(sdb, "SELECT count(*) FROM txn_log WHERE device_id = ?1",
		    A.device_id, NULL);
		sqlite3_close(sdb);
		if (log_after > log_before && WEXITSTATUS(st) != 0)
			grew++;
		h_log("round %2d: kill %2d ms after %d batches, child %s; %lld pending before, "
		    "%lld after; server took %lld transactions", round, delay, batches,
		    WEXITSTATUS(st) == 0 ? "finished first" : "interrupted",
		    (long long)pending, (long long)dev_outbox(&A), (long long)(log_after - log_before));
		if (round % 5 == 4)
			sync_clean_and_check("periodic full sync");
	}
	sync_clean_and_check("final sync");
	h_log("%d kills: %d interrupted a running sync (%d after the server had committed part "
	    "of the push), %d came after the sync finished, %d before it connected; %lld "
	    "transactions acknowledged before the final sync", kills, in_sync, grew, completed,
	    unreachable, (long long)acked_total);
	H_CHECK(in_sync >= want, "only %d of %d kills interrupted a running sync", in_sync, kills);
	H_CHECK(grew > 0, "no kill came after the server had committed part of a push");
	h_check_integrity(&S);
	srv_stop(&S);
	dev_close(&A);
	free(made);
	return h_done();
}
