/*
 * test_pg_multi.c - two tongxind processes on one PostgreSQL database
 * (issue 13): devices connected to both at random, kill -9 of either in
 * the middle of a push; convergence, exactly once, no version skipped by
 * any pull. Run through tests/pg_run.sh (TX_PG_URI); without it, 77.
 *
 * S1 is made by tongxind init --store; S2 is a copy of S1's data directory
 * (CA, keys, tongxind.conf naming the same database) serving on a port of
 * its own. A street administrator (A) and three offices (O1 and P of SQ01,
 * O2 of SQ02) work offline and sync, each to a random server.
 *
 * Part 1, a pull on one server while a push is in flight on the other:
 * O2 pushes a large outbox through S1 (batches of 256 transactions, each
 * one PostgreSQL transaction holding versions while it runs) while A pulls
 * from S2 again and again. Every pull's bound must stay below O2's
 * uncommitted versions (pg_sto_safe_version): afterwards one more
 * incremental pull from S2 must give A every row O2 pushed. With the bound
 * taken from the sequence's last_value instead, A's cursor passes O2's
 * rows before they commit and they never arrive (the check fails).
 *
 * Part 2, rounds: random offline edits on every device (member inserts of
 * 1-3 rows, updates of 1-3 fields of 1-3 distinct members, deletes,
 * meetings with attendance in one transaction, edits of meetings,
 * attendance and branches, the street and the offices editing different
 * fields of shared members, and the same fields), then every device syncs
 * at once, each in a child process, to a random server. Every third round
 * one device gets a large outbox and the server it syncs to is killed with
 * kill -9 while the push is in flight, then restarted. After every round,
 * with both servers quiet, each replica is checked against its cursors:
 * every server row of its scope at or below the table's cursor is in the
 * replica as the server has it, and no row deleted at or below the cursor
 * is still there (rows with a local change not yet pushed aside): a pull
 * never skipped a version.
 *
 * End: a fixed merge and conflict, then every device syncs until a pass
 * pushes and pulls nothing, and:
 *   - no cursor went back and no sync recovered (the convergence came from
 *     incremental pulls, not from a full re-pull), and the cursor check
 *     holds once more;
 *   - every replica equals the server's rows for its scope;
 *   - every local transaction of every device is in txn_log exactly once
 *     with its outcome, each conflict kept whole in the queue with its
 *     author (h_check_accounted);
 *   - no change audited twice, no row inserted twice;
 *   - the run made merges and conflicts, and at least two kills landed
 *     while the victim's push was in flight.
 *
 * TX_SEED reruns the same choices; TX_ROUNDS (default 12) sets the rounds,
 * TX_BULK (default 1000) part 1's push (0 leaves part 1 out).
 */
#include "sync_harness.h"
#include "sync_ops.h"

#define NDEV 4

static struct h_server S1, S2;
static struct h_server *srvs[2] = { &S1, &S2 };
static struct h_dev A, O1, O2, P;
static struct h_dev *devs[NDEV] = { &A, &O1, &O2, &P };
static char street_id[ID_TEXT_LEN + 1], sq1_id[ID_TEXT_LEN + 1], sq2_id[ID_TEXT_LEN + 1];
/* Members every device of their community (and the street) edits: made by the street. */
static struct h_ids hot;

static struct {
	int64_t ops, syncs, failed_syncs;   /* the edits' figures: sync_ops.h's OST */
	int64_t kills, kills_in_push, cursor_rows, deadlocks;
} ST;

/* ------------------------------------------------------------ offline edits */

/* A hot member's field this kind of device looks after: different fields of one row (merge). */
static void
op_own_field(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], buf[64];

	if (!pick_member(d, id))
		return;
	dev_begin(d);
	if (d->admin) {
		snprintf(buf, sizeof buf, "街道登记地址%u号", h_randn(1000));
		dev_update1(d, TBL_MEMBER, id, "address", buf, 0);
	} else {
		dev_update1(d, TBL_MEMBER, id, "education", h_educations[h_randn(8)], 0);
	}
	dev_commit(d);
	OST.updates++;
	OST.txns++;
}

static void
random_op(struct h_dev *d)
{
	uint32_t x = h_randn(100);

	ST.ops++;
	if (h_randn(100) < 12)
		op_own_field(d);
	else if (x < 25)
		op_insert_members(d, 1 + (int)h_randn(3));
	else if (x < 55)
		op_update_members(d, 1);
	else if (x < 60)
		op_update_members(d, 2 + (int)h_randn(2));
	else if (x < 68)
		op_delete_member(d);
	else if (x < 83)
		op_meeting(d);
	else if (x < 93)
		op_edit_meeting(d);
	else if (x < 96)
		op_delete_meeting(d);
	else
		op_edit_branch(d);
}

/* n one-row member inserts, each its own transaction: a large outbox (a long push). */
static void
add_bulk(struct h_dev *d, int n)
{
	for (int i = 0; i < n; i++)
		op_insert_members(d, 1);
}

/* ------------------------------------------------------------------ syncs */

static void
close_all(void)
{
	for (int i = 0; i < NDEV; i++)
		dev_close(devs[i]);
}

static void
reopen_all(void)
{
	for (int i = 0; i < NDEV; i++)
		dev_reopen(devs[i]);
}

/* Sync d with s in a forked child (its own replica handle); returns the pid. */
static pid_t
child_sync(struct h_dev *d, struct h_server *s, int push_only, int pull_only)
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

		d->r = NULL;
		dev_reopen(d);
		rc = dev_sync_try(d, s, push_only, pull_only, &rep, &f, err, sizeof err);
		if (rc != 0) {
			char path[4200];
			FILE *fp;
			fprintf(stderr, "[%s] child sync of %s with %s: %s (%d)\n", H.test, d->name,
			    s->tag, err, (int)f);
			snprintf(path, sizeof path, "%s/%s.sync.err", H.tmp, d->name);
			if ((fp = fopen(path, "w")) != NULL) {
				fprintf(fp, "%s\n", err);
				fclose(fp);
			}
		}
		replica_close(d->r);
		_exit(rc == 0 ? 0 : 10 + (int)f);
	}
	return pid;
}

/* Wait for a child; its exit status (128 + signal when killed). */
static int
child_wait(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		H_CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
	H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 99, "a syncing child failed a check or crashed "
	    "(status %#x)", st);
	return WEXITSTATUS(st);
}

/* Lines of a server log after off that hold both a and b. */
static int
log_lines(const char *path, long off, const char *a, const char *b)
{
	FILE *fp = fopen(path, "r");
	char line[4096];
	int n = 0;

	if (fp == NULL)
		return 0;
	fseek(fp, off, SEEK_SET);
	while (fgets(line, sizeof line, fp) != NULL)
		if (strstr(line, a) != NULL && strstr(line, b) != NULL)
			n++;
	fclose(fp);
	return n;
}

/* ------------------------------------------------------------------ checks */

/*
 * No pull skipped a version: with the servers quiet, every server row of
 * d's scope at or below d's cursor for its table is in the replica as the
 * server has it, and no row deleted at or below the cursor is left in the
 * replica; rows with a local change not yet acknowledged (pending) aside.
 * sdb is a copy of the server's database (srv_db). Returns the rows checked.
 */
static int64_t
check_cursors(sqlite3 *sdb, struct h_dev *d)
{
	sqlite3 *rdb = replica_db(d->r);
	uint64_t cur[TBL_COUNT], ev;
	char hi[512];
	int64_t checked = 0;

	H_CHECK(rep_cursors(d->r, cur, &ev) == 0, "%s: cannot read the cursors", d->name);
	h_scope_hi(d->scope, hi, sizeof hi);
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		char cols[6144], sql[8192];
		size_t n = 0;
		sqlite3_stmt *srv, *rep, *pend;
		int rc;

		if (cur[t] == 0)
			continue;
		n += (size_t)snprintf(cols + n, sizeof cols - n, "''");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(cols + n, sizeof cols - n, " || '|' || quote(%s)",
			    td->cols[c].name);
		snprintf(sql, sizeof sql, "SELECT id, _deleted, _version, %s FROM %s WHERE _version <= ?1"
		    " AND ((_scope >= ?2 AND _scope < ?3) OR (_scope2 >= ?2 AND _scope2 < ?3))"
		    " ORDER BY id", cols, td->name);
		H_CHECK(sqlite3_prepare_v2(sdb, sql, -1, &srv, NULL) == SQLITE_OK, "%s: %s", sql,
		    sqlite3_errmsg(sdb));
		snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1", cols, td->name);
		H_CHECK(sqlite3_prepare_v2(rdb, sql, -1, &rep, NULL) == SQLITE_OK, "%s: %s", sql,
		    sqlite3_errmsg(rdb));
		H_CHECK(sqlite3_prepare_v2(rdb, "SELECT count(*) FROM pending WHERE row_id = ?1", -1,
		    &pend, NULL) == SQLITE_OK, "pending: %s", sqlite3_errmsg(rdb));
		sqlite3_bind_int64(srv, 1, (sqlite3_int64)cur[t]);
		sqlite3_bind_text(srv, 2, d->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(srv, 3, hi, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(srv)) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(srv, 0);
			int deleted = sqlite3_column_int(srv, 1);
			int64_t version = sqlite3_column_int64(srv, 2);
			const char *want = (const char *)sqlite3_column_text(srv, 3);
			int have, pending;

			sqlite3_bind_text(pend, 1, id, -1, SQLITE_STATIC);
			H_CHECK(sqlite3_step(pend) == SQLITE_ROW, "pending");
			pending = sqlite3_column_int(pend, 0) > 0;
			sqlite3_reset(pend);
			if (pending)
				continue;
			sqlite3_bind_text(rep, 1, id, -1, SQLITE_STATIC);
			have = sqlite3_step(rep) == SQLITE_ROW;
			if (deleted)
				H_CHECK(!have, "%s: %s %s was deleted on the server at version %lld, at or "
				    "below the replica's cursor %llu, but the replica still holds it: a pull "
				    "skipped that version", d->name, td->name, id, (long long)version,
				    (unsigned long long)cur[t]);
			else
				H_CHECK(have && strcmp(want, (const char *)sqlite3_column_text(rep, 0)) == 0,
				    "%s: %s %s is at version %lld on the server, at or below the replica's "
				    "cursor %llu, but the replica %s: a pull skipped that version\n"
				    "      server:  %s\n      replica: %s", d->name, td->name, id,
				    (long long)version, (unsigned long long)cur[t],
				    have ? "holds another value" : "does not hold it", want,
				    have ? (const char *)sqlite3_column_text(rep, 0) : "(none)");
			sqlite3_reset(rep);
			checked++;
		}
		H_CHECK(rc == SQLITE_DONE, "%s: %s", td->name, sqlite3_errmsg(sdb));
		sqlite3_finalize(srv);
		sqlite3_finalize(rep);
		sqlite3_finalize(pend);
	}
	return checked;
}

static void
check_all_cursors(const char *when)
{
	sqlite3 *sdb = srv_db(&S1);
	int64_t n = 0;

	for (int i = 0; i < NDEV; i++)
		n += check_cursors(sdb, devs[i]);
	sqlite3_close(sdb);
	ST.cursor_rows += n;
	(void)when;
}

/* ------------------------------------------------------------------ parts */

static void
setup(void)
{
	/* Edits as sync_ops.h makes them: no moves or clashes, each member once a transaction. */
	OPS.hot = &hot;
	OPS.hot_tenths = 6;
	OPS.moves = 0;
	OPS.clashes = 0;
	OPS.distinct = 1;
	srv_init(&S1, "srv1");
	srv_clone(&S2, &S1, "srv2");
	H_CHECK(S1.store[0] && strcmp(S1.store, S2.store) == 0, "both servers must name one store");
	srv_start(&S1);
	srv_start(&S2);
	dev_new(&A, &S1, "JD01", "street-admin", 1);
	/* Enrolled through S1's directory, known to S2 by the database; three hot members a branch. */
	ops_world(&A, &S1, &S2, 3, street_id, sq1_id, sq2_id);
	dev_new(&O1, &S2, "SQ01", "office-sq01", 0);   /* enrolled through S2's directory */
	dev_new(&P, &S1, "SQ01", "office-sq01-b", 0);
	dev_new(&O2, &S1, "SQ02", "office-sq02", 0);
	for (int i = 0; i < NDEV; i++) {
		dev_sync(devs[i], srvs[i % 2], NULL);
		h_require_equal(&S1, devs[i]);
	}
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member", NULL, NULL) == 6,
	    "SQ01 should hold its 6 hot members");
}

/*
 * Part 1: O2 pushes a large outbox through S1 while A pulls from S2 again
 * and again; A must then hold every row O2 pushed after one more
 * incremental pull (a pull whose bound passed O2's uncommitted versions
 * would have moved A's cursor past them for good).
 */
static void
part_inflight(void)
{
	int bulk = getenv("TX_BULK") ? atoi(getenv("TX_BULK")) : 1000;
	int pulls = 0, pulls_in_push = 0, st = 0, reaped = 0;
	int64_t before, after, server_rows;
	long off = h_file_size(S1.log);
	uint64_t c0[TBL_COUNT], c1[TBL_COUNT], ev;
	pid_t pid;
	sqlite3 *sdb;

	add_bulk(&O2, bulk);
	before = h_sql_int(replica_db(A.r), "SELECT count(*) FROM member", NULL, NULL);
	H_OK(rep_cursors(A.r, c0, &ev));
	dev_close(&O2);
	pid = child_sync(&O2, &S1, 1, 0);
	for (;;) {
		struct sync_report rep;
		enum sync_fail f;
		char err[1024];
		int pushing = log_lines(S1.log, off, "device office-sq02 (", ": push: ") > 0;
		int rc = dev_sync_try(&A, &S2, 0, 1, &rep, &f, err, sizeof err);

		H_CHECK(rc == 0, "A's pull from S2 during O2's push failed (%d): %s", (int)f, err);
		pulls++;
		/* Between O2's first batch committed and its last: versions in flight on S1. */
		if (waitpid(pid, &st, WNOHANG) == pid) {
			reaped = 1;
			break;
		}
		if (pushing)
			pulls_in_push++;
		h_msleep(2);
	}
	H_CHECK(reaped && WIFEXITED(st) && WEXITSTATUS(st) == 0, "O2's push through S1 failed "
	    "(status %#x, see its message above)", st);
	dev_reopen(&O2);
	H_CHECK(dev_outbox(&O2) == 0, "O2's outbox is not empty after its push");
	H_OK(rep_cursors(A.r, c1, &ev));
	H_CHECK(c1[TBL_MEMBER] > c0[TBL_MEMBER], "A's member cursor did not move during O2's push");
	h_log("part 1: O2 pushed %d transactions through S1 while A pulled %d times from S2 (%d "
	    "while O2's batches were being applied); A's member cursor %llu -> %llu", bulk, pulls,
	    pulls_in_push, (unsigned long long)c0[TBL_MEMBER], (unsigned long long)c1[TBL_MEMBER]);
	H_CHECK(pulls_in_push >= 3, "only %d of A's pulls ran while O2's push was in flight; the "
	    "case proves nothing (a faster machine needs a larger TX_BULK)", pulls_in_push);
	/* The direct check first: nothing at or below A's cursor is missing. */
	sdb = srv_db(&S1);
	ST.cursor_rows += check_cursors(sdb, &A);
	sqlite3_close(sdb);
	/* Then one more incremental pull from S2 gives A all of O2's rows. */
	dev_sync(&A, &S2, NULL);
	after = h_sql_int(replica_db(A.r), "SELECT count(*) FROM member", NULL, NULL);
	sdb = srv_db(&S1);
	server_rows = h_sql_int(sdb, "SELECT count(*) FROM member WHERE _deleted = 0", NULL, NULL);
	sqlite3_close(sdb);
	H_CHECK(after == server_rows && after >= before + bulk, "A holds %lld members after O2's "
	    "push of %d (%lld before), the server %lld: a pull from S2 skipped versions in flight "
	    "on S1", (long long)after, bulk, (long long)before, (long long)server_rows);
	h_require_equal(&S1, &A);
	dev_sync(&O2, &S2, NULL);
	h_require_equal(&S2, &O2);
}

/*
 * One round: offline edits, then every device (but the offline ones) syncs
 * at once in a child, to a random server. On a kill round the victim has a
 * large outbox and its server is killed (kill -9) once the victim's hello
 * and 0-1 of its push batches were logged, plus 0-30 ms; then restarted.
 */
static void
round_run(int round, int kill_round)
{
	pid_t pids[NDEV] = { 0 };
	int to[NDEV], victim = -1, st = 0;
	int64_t big = 0;
	long off[2] = { h_file_size(S1.log), h_file_size(S2.log) };

	for (int i = 0; i < NDEV; i++) {
		int k = (int)h_randn(8);
		for (int j = 0; j < k; j++)
			random_op(devs[i]);
	}
	if (kill_round) {
		victim = (int)h_randn(NDEV);
		add_bulk(devs[victim], 300 + (int)h_randn(200));
		big = dev_outbox(devs[victim]);
	}
	close_all();
	for (int i = 0; i < NDEV; i++) {
		uint32_t x = h_randn(20);
		to[i] = (int)h_randn(2);
		if (i != victim && x < 3)
			continue;   /* offline this round */
		pids[i] = child_sync(devs[i], srvs[to[i]], i != victim && x == 3,
		    i != victim && x == 4);
		ST.syncs++;
	}
	if (kill_round) {
		struct h_server *s = srvs[to[victim]];
		char who[128];
		int batches = (int)h_randn(2), seen = 0, done = 0;

		snprintf(who, sizeof who, "device %s (", devs[victim]->name);
		for (int i = 0; i < 60000 && !seen; i++) {
			if (log_lines(s->log, off[to[victim]], who, ": hello") > 0 &&
			    log_lines(s->log, off[to[victim]], who, ": push: ") >= batches)
				seen = 1;
			else if (waitpid(pids[victim], &st, WNOHANG) == pids[victim]) {
				done = 1;
				break;
			} else
				h_msleep(1);
		}
		if (seen)
			h_msleep((long)h_randn(31));
		if (!done && waitpid(pids[victim], &st, WNOHANG) == 0)
			ST.kills_in_push++;
		else if (!done)
			done = 1;
		srv_kill9(s);
		ST.kills++;
		if (done) {
			H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) != 99, "the victim's child failed a "
			    "check (status %#x)", st);
			pids[victim] = 0;
		}
		h_log("round %d: killed %s (kill -9) %s %s's sync (%lld transactions to push)", round,
		    s->tag, done ? "after" : "during", devs[victim]->name,
		    (long long)big);
	}
	for (int i = 0; i < NDEV; i++) {
		int rc;
		if (pids[i] == 0)
			continue;
		rc = child_wait(pids[i]);
		if (rc != 0) {
			char path[4200];
			const char *why;

			ST.failed_syncs++;
			if (kill_round && to[i] == to[victim])
				continue;   /* its server was killed under it */
			/*
			 * Otherwise only a deadlock between two tongxind's transactions
			 * (PostgreSQL fails one: store_pg.c) may fail a push; the device
			 * sends it again at its next sync. Anything else is a failure.
			 */
			snprintf(path, sizeof path, "%s/%s.sync.err", H.tmp, devs[i]->name);
			why = h_slurp_tail(path, 2000);
			H_CHECK(strstr(why, "deadlock") != NULL, "round %d: %s's sync with %s failed "
			    "(status %d) with no server killed under it: %s", round, devs[i]->name,
			    srvs[to[i]]->tag, rc, why);
			ST.deadlocks++;
			h_log("round %d: %s's push failed on a deadlock; it goes again next sync", round,
			    devs[i]->name);
		}
	}
	if (kill_round)
		srv_start(srvs[to[victim]]);
	reopen_all();
	check_all_cursors("round");
}

/* A fixed merge and conflict, whatever the seed: the street and SQ01 on two servers. */
static void
finale(void)
{
	struct h_ids ms;
	const char *x = NULL, *y = NULL;

	dev_sync(&A, &S1, NULL);
	dev_sync(&O1, &S2, NULL);
	/* Two members SQ01 and the street both hold, hot ones first. */
	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY rowid", NULL, &ms);
	for (size_t i = 0; i < ms.n && y == NULL; i++) {
		if (!h_sql_int(replica_db(A.r), "SELECT count(*) FROM member WHERE id = ?1", ms.v[i],
		    NULL))
			continue;
		if (x == NULL)
			x = ms.v[i];
		else
			y = ms.v[i];
	}
	H_CHECK(y != NULL, "SQ01 should share at least two members with the street");
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, x, "address", "终局街道地址", 0);
	dev_update1(&A, TBL_MEMBER, y, "name", "终局街道改名", 0);
	dev_commit(&A);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, x, "education", "master", 0);
	dev_commit(&O1);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, y, "name", "终局社区改名", 0);
	dev_commit(&O1);
	dev_sync(&A, &S1, NULL);
	dev_sync(&O1, &S2, NULL);
	h_ids_free(&ms);
}

/* Sync everyone, each to a random server, until a pass pushes and pulls nothing. */
static void
sync_until_quiet(void)
{
	uint64_t before[NDEV][TBL_COUNT], now[TBL_COUNT], ev;
	int pass;

	for (int i = 0; i < NDEV; i++)
		H_OK(rep_cursors(devs[i]->r, before[i], &ev));
	for (pass = 0; pass < 6; pass++) {
		int64_t moved = 0;
		for (int i = 0; i < NDEV; i++) {
			struct sync_report rep;
			dev_sync(devs[i], srvs[h_randn(2)], &rep);
			H_CHECK(!rep.restored, "%s: the final sync recovered the server (a full "
			    "re-send), it should have been incremental", devs[i]->name);
			moved += rep.pushed_txns + (int64_t)rep.pulled_rows + (int64_t)rep.evicted_rows +
			    (int64_t)rep.resolutions;
		}
		if (moved == 0 && pass > 0)
			break;
	}
	H_CHECK(pass < 6, "the devices did not become quiet in 6 passes");
	/* The convergence came from incremental pulls: no cursor went back. */
	for (int i = 0; i < NDEV; i++) {
		H_OK(rep_cursors(devs[i]->r, now, &ev));
		for (int t = 0; t < TBL_COUNT; t++)
			H_CHECK(now[t] >= before[i][t], "%s: the %s cursor went back from %llu to %llu "
			    "in the final syncs (a full re-pull)", devs[i]->name, schema_tables[t].name,
			    (unsigned long long)before[i][t], (unsigned long long)now[t]);
	}
	h_log("quiet after %d passes", pass + 1);
}

int
main(void)
{
	int rounds = getenv("TX_ROUNDS") ? atoi(getenv("TX_ROUNDS")) : 12;
	const char *uri = getenv("TX_PG_URI");
	struct h_acct acct[NDEV];
	int64_t merged = 0, conflicts = 0;
	int bad = 0;

	if (uri == NULL || uri[0] == '\0') {
		fprintf(stderr, "SKIP: test_pg_multi needs TX_PG_URI (run it through tests/pg_run.sh)\n");
		return 77;
	}
	h_init("test_pg_multi", 1313);
	setup();
	h_log("setup done: S1 and S2 on one database, street + 3 offices, %zu hot members", hot.n);

	if (!getenv("TX_BULK") || atoi(getenv("TX_BULK")) > 0)
		part_inflight();
	else
		h_log("part 1 left out (TX_BULK=0)");

	for (int round = 0; round < rounds; round++)
		round_run(round, round % 3 == 2);
	h_log("%d rounds: %lld ops, %lld transactions (%lld member inserts, %lld updates, %lld "
	    "deletes, %lld meetings), %lld syncs (%lld failed), %lld kills "
	    "(%lld during the victim's push), %lld deadlocks, %lld rows checked against cursors", rounds,
	    (long long)ST.ops, (long long)OST.txns, (long long)OST.inserts, (long long)OST.updates,
	    (long long)OST.deletes, (long long)OST.meetings, (long long)ST.syncs,
	    (long long)ST.failed_syncs, (long long)ST.kills, (long long)ST.kills_in_push,
	    (long long)ST.deadlocks, (long long)ST.cursor_rows);

	finale();
	sync_until_quiet();
	check_all_cursors("end");

	for (int i = 0; i < NDEV; i++) {
		int b = h_compare(&S1, devs[i], 0);
		if (b)
			h_log("%s differs from the server in %d table(s)", devs[i]->name, b);
		bad += b;
	}
	H_CHECK(bad == 0, "replicas did not converge with the server (%d table mismatches, diffs "
	    "above)", bad);
	for (int i = 0; i < NDEV; i++) {
		h_check_accounted(&S2, devs[i], &acct[i]);
		h_log("%s: %lld transactions: %lld applied, %lld merged, %lld conflict, %lld rejected",
		    devs[i]->name, (long long)acct[i].txns, (long long)acct[i].applied,
		    (long long)acct[i].merged, (long long)acct[i].conflict, (long long)acct[i].rejected);
		merged += acct[i].merged;
		conflicts += acct[i].conflict;
	}
	{
		sqlite3 *sdb = srv_db(&S1);
		H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM (SELECT 1 FROM audit WHERE seq IS NOT NULL "
		    "AND row_id IS NOT NULL GROUP BY device_id, seq, row_id HAVING count(*) > 1)", NULL,
		    NULL) == 0, "a change was applied (audited) twice");
		H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM (SELECT 1 FROM audit WHERE action = "
		    "'insert' GROUP BY row_id HAVING count(*) > 1)", NULL, NULL) == 0,
		    "a row was inserted twice");
		H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM txn_log", NULL, NULL) ==
		    acct[0].txns + acct[1].txns + acct[2].txns + acct[3].txns,
		    "txn_log holds rows no device's transaction accounts for");
		for (int i = 0; i < NDEV; i++) {
			int64_t n = h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE device_id = ?1 AND "
			    "status = 'open'", devs[i]->device_id, NULL);
			int64_t named = h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE device_id = ?1 "
			    "AND status = 'open' AND operator = ?2 AND received_at > 0 AND hlc > 0 AND "
			    "length(txn) > 0", devs[i]->device_id, devs[i]->name);
			H_CHECK(n == acct[i].conflict, "%s: %lld conflict outcomes but %lld open conflicts "
			    "on the server", devs[i]->name, (long long)acct[i].conflict, (long long)n);
			H_CHECK(named == n, "%s: %lld of %lld conflicts lack author, time or transaction",
			    devs[i]->name, (long long)(n - named), (long long)n);
		}
		sqlite3_close(sdb);
	}
	H_CHECK(merged > 0 && conflicts > 0, "the run made %lld merges and %lld conflicts; the "
	    "workload should make both", (long long)merged, (long long)conflicts);
	H_CHECK(ST.kills_in_push >= 2 || rounds < 6, "only %lld of %lld kills landed while the "
	    "victim's push was in flight", (long long)ST.kills_in_push, (long long)ST.kills);
	h_log("converged on two servers: %lld merged, %lld conflict", (long long)merged,
	    (long long)conflicts);
	srv_stop(&S1);
	srv_stop(&S2);
	for (int i = 0; i < NDEV; i++)
		dev_close(devs[i]);
	h_ids_free(&hot);
	return h_done();
}
