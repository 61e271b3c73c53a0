/*
 * test_busy_server.c - issue 13, item 3: one slow push does not stall
 * everybody else. A real tongxind on a private port; office A (community
 * SQ01) imports a large batch of members in one local transaction (the
 * import's path: the replica cuts it into outbox transactions of
 * REP_TXN_MAX_CHANGES changes, the client pushes them in 4 MiB batches) and
 * syncs it with the real "tongxin sync" program in a child process. While
 * that push is in flight, office B (community SQ02, already synced, nothing
 * to send and nothing new to receive: A's rows are outside B's scope) runs
 * no-op syncs in this process back to back, and every one's latency is
 * recorded.
 *
 * Checks:
 *   (a) every B sync succeeds;
 *   (b) the slowest B sync that started while A's sync ran stays under
 *       max(BOUND_FLOOR_MS, A's sync time / 10) (why: see bound_ms());
 *   (c) afterwards A and B each equal the server's rows of their scope
 *       (table hashes, and the server's own digests through sync --verify),
 *       every local transaction of A is accounted for exactly once, and the
 *       server holds each of A's members exactly once (one row, one audit
 *       row, one txn_log row per outbox transaction).
 *
 * A server that applies pushes on its event loop fails (b): B's every
 * request waits behind A's batch being applied (fsync included). The bound
 * is reasoned for the ASan build "make test" runs, where a push batch takes
 * over a second. Without ASan a batch takes about 0.3 s, below the bound's
 * floor, and a loop-bound server passes (measured: 333-414 ms): there the
 * test still checks (a) and (c) and prints its figures, but exits 77
 * (skipped) rather than claim (b). It does the same when A's sync was too
 * short for the bound to mean anything (raise TX_BUSY_MEMBERS then).
 *
 * Environment: TX_BUSY_MEMBERS (default BUSY_MEMBERS) members in A's import.
 */
#include "sync_harness.h"

/* Whether this is an ASan build: the bound below is reasoned for its speed. */
#if defined(__SANITIZE_ADDRESS__)
#define BUSY_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUSY_ASAN 1
#endif
#endif
#ifndef BUSY_ASAN
#define BUSY_ASAN 0
#endif

/*
 * Members A imports: under ASan on the 2-core CI machine kind A's sync takes about 3 s
 * (30,000 took 1.7 s once pushes got faster: below MIN_PUSH_FLOORS, the test skipped).
 */
#define BUSY_MEMBERS 60000
/* The bound's floor: see bound_ms(). */
#define BOUND_FLOOR_MS 500.0
/* A's sync must take at least this many bounds' floors, or the test proves nothing. */
#define MIN_PUSH_FLOORS 4
/* B's syncs recorded at most (more are counted, not kept). */
#define MAX_SYNCS 4096

static struct h_server S;
static struct h_dev ADM, A, B;
static char street_id[ID_TEXT_LEN + 1];
static char comm1_id[ID_TEXT_LEN + 1], branch1_id[ID_TEXT_LEN + 1];
static char comm2_id[ID_TEXT_LEN + 1], branch2_id[ID_TEXT_LEN + 1];

/* One B sync: when it started (seconds after A's sync started) and how long it took. */
struct lat {
	double at, ms;
};

static double
now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n sorted values. */
static double
quantile(const double *v, int n, double q)
{
	int i = (int)(q * (double)(n - 1) + 0.5);
	return n == 0 ? 0 : v[i < n ? i : n - 1];
}

/*
 * The slowest no-op sync of B allowed while A pushes, in milliseconds.
 *
 * What a no-op sync needs from the server is loop work only: a (resumed)
 * TLS handshake, Hello/Welcome, and one Pull answered by an empty page read
 * through the loop's own connection, which WAL lets read while a write is in
 * progress. Idle, under ASan on this machine kind, that is 10-20 ms. While A
 * pushes, B's sync shares the 2 CPUs with the server's store thread, A's
 * client and the server's loop, so it runs a few times slower (median 10-20
 * ms, p90 15-35 ms measured), and about once a second one takes 150-450
 * ms, with either server. Under strace the loop thread makes no syscall
 * that long (once it held its WAL read lock 160 ms with nothing in
 * between): CPU, not a wait. Likely part of it is the first pull after a batch of
 * A's is committed, which walks that batch's rows (outside B's scope) by
 * version before it finds nothing to send; part is three busy threads on
 * two cores. Hence a floor of 500 ms, above those, and still far below what
 * waiting for a push batch costs (a 4 MiB batch, 16 outbox transactions of
 * 1,000 members, takes over a second under ASan, and the client keeps
 * up to three batches in flight). Measured against a loop-bound server, B's
 * slowest sync waits for one or more whole batches: a third of A's whole
 * sync (2137 ms of 6.4 s). So the bound is the larger of 500 ms and a tenth
 * of A's sync time: on a slower machine (everything slower alike) the bound
 * grows with A's push, and a stall of a whole batch still exceeds it by
 * three times or more.
 */
static double
bound_ms(double a_sync_s)
{
	double tenth = a_sync_s * 1000.0 / 10.0;
	return tenth > BOUND_FLOOR_MS ? tenth : BOUND_FLOOR_MS;
}

/* n members of branch org on device d, in one local transaction (as an import makes them). */
static void
import_members(struct h_dev *d, const char *org, long n)
{
	Tongxin__Value v[32];
	struct h_member m;
	char id[ID_TEXT_LEN + 1];

	dev_begin(d);
	for (long i = 0; i < n; i++) {
		h_member_vals(v, &m, org, NULL);
		dev_insert(d, TBL_MEMBER, v, id);
	}
	dev_commit(d);
}

/* One no-op sync of B; its latency in ms. Fails the test if it fails or was not a no-op. */
static double
b_sync(void)
{
	struct sync_report rep;
	enum sync_fail f;
	char err[1024];
	double t0 = now_s(), ms;
	int rc;

	rc = dev_sync_try(&B, &S, 0, 0, &rep, &f, err, sizeof err);
	ms = (now_s() - t0) * 1000.0;
	H_CHECK(rc == 0, "(a) a sync of office B failed while office A pushed (%d, after %.0f ms): "
	    "%s", (int)f, ms, err);
	H_CHECK(rep.pushed_txns == 0 && rep.pulled_rows == 0, "B's sync was not a no-op: pushed %lld, "
	    "pulled %llu (A's rows must stay outside B's scope)", (long long)rep.pushed_txns,
	    (unsigned long long)rep.pulled_rows);
	return ms;
}

/* Start "tongxin sync" of A's replica as a child process; its pid. */
static pid_t
start_a_sync(const char *out)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	H_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(H.tongxin, H.tongxin, "--replica", A.path, "--server", S.addr, "sync",
		    (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A sync with --verify: the server's digests of d's scope match the replica's. */
static void
sync_verified(struct h_dev *d)
{
	struct sync_opts o;
	struct sync_report rep;
	enum sync_fail f;
	char err[1024] = "";

	memset(&o, 0, sizeof o);
	o.server = S.addr;
	o.timeout_ms = 60000;
	o.verify = 1;
	H_CHECK(sync_run(d->r, &o, &rep, &f, err, sizeof err) == 0, "sync --verify of %s failed "
	    "(%d): %s", d->name, (int)f, err);
	H_CHECK(strcmp(rep.verify, "match") == 0, "(c) sync --verify of %s: %s", d->name,
	    rep.verify);
}

/* (c): A's members are on the server exactly once, and both replicas equal the server. */
static void
check_converged(long n)
{
	sqlite3 *db;
	int64_t members, distinct, audit, audit_rows, logged, outbox_txns;
	struct h_acct acct;

	dev_reopen(&A);
	sync_verified(&A);
	sync_verified(&B);
	h_require_equal(&S, &A);
	h_require_equal(&S, &B);
	h_check_accounted(&S, &A, &acct);
	outbox_txns = (n + REP_TXN_MAX_CHANGES - 1) / REP_TXN_MAX_CHANGES;
	H_CHECK(acct.txns == outbox_txns && acct.applied == outbox_txns, "(c) A's import was %lld "
	    "outbox transactions; %lld accounted for, %lld applied", (long long)outbox_txns,
	    (long long)acct.txns, (long long)acct.applied);
	db = srv_db(&S);
	members = h_sql_int(db, "SELECT count(*) FROM member WHERE org_id = ?1 AND _deleted = 0",
	    branch1_id, NULL);
	distinct = h_sql_int(db, "SELECT count(DISTINCT id_number) FROM member WHERE org_id = ?1",
	    branch1_id, NULL);
	audit = h_sql_int(db, "SELECT count(*) FROM audit WHERE device_id = ?1", A.device_id, NULL);
	audit_rows = h_sql_int(db, "SELECT count(DISTINCT row_id) FROM audit WHERE device_id = ?1",
	    A.device_id, NULL);
	logged = h_sql_int(db, "SELECT count(*) FROM txn_log WHERE device_id = ?1", A.device_id,
	    NULL);
	sqlite3_close(db);
	H_CHECK(members == n && distinct == n, "(c) A imported %ld members; the server holds %lld "
	    "rows with %lld distinct citizen ID numbers", n, (long long)members, (long long)distinct);
	H_CHECK(audit == n && audit_rows == n, "(c) A's %ld inserts are audited %lld times for %lld "
	    "rows (each exactly once)", n, (long long)audit, (long long)audit_rows);
	H_CHECK(logged == outbox_txns, "(c) the server's txn_log holds %lld transactions of A, "
	    "expected %lld", (long long)logged, (long long)outbox_txns);
	H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM member WHERE org_id = ?1",
	    branch1_id, NULL) == n, "(c) A's replica does not hold its %ld members", n);
	H_CHECK(h_sql_int(replica_db(B.r), "SELECT count(*) FROM member WHERE org_id = ?1",
	    branch1_id, NULL) == 0, "B's replica holds members of A's community");
}

int
main(void)
{
	static struct lat lat[MAX_SYNCS];
	static double sorted[MAX_SYNCS], idle[32];
	const char *env_n = getenv("TX_BUSY_MEMBERS");
	long n = env_n != NULL && env_n[0] ? strtol(env_n, NULL, 10) : BUSY_MEMBERS;
	char conf[4300], aout[4300];
	double t_a0, t_a, a_s, worst = 0, worst_at = 0, bound, idle_med;
	int nsync = 0, kept, st;
	pid_t pid;
	FILE *fp;

	h_init("test_busy_server", 13);
	H_CHECK(n > 0 && n <= 500000, "TX_BUSY_MEMBERS must be 1..500000");
	srv_init(&S, "srv");
	/* B reconnects back to back from one address: more than the default rate a second. */
	snprintf(conf, sizeof conf, "%s/tongxind.conf", S.dir);
	H_CHECK((fp = fopen(conf, "a")) != NULL, "open %s: %s", conf, strerror(errno));
	fputs("\nnew_connections_per_second = 1000\n", fp);
	H_CHECK(fclose(fp) == 0, "write %s", conf);
	srv_start(&S);

	/* The street, two communities with a branch each, an office in each. */
	dev_new(&ADM, &S, "JD01", "street-admin", 1);
	dev_sync(&ADM, &S, NULL);
	H_CHECK(h_org_id(replica_db(ADM.r), "JD01", street_id), "no street row");
	dev_add_org(&ADM, "SQ01", "第一社区", "community", street_id, comm1_id);
	dev_add_org(&ADM, "SQ01B1", "第一党支部", "branch", comm1_id, branch1_id);
	dev_add_org(&ADM, "SQ02", "第二社区", "community", street_id, comm2_id);
	dev_add_org(&ADM, "SQ02B1", "第二党支部", "branch", comm2_id, branch2_id);
	dev_sync(&ADM, &S, NULL);
	dev_close(&ADM);
	dev_new(&A, &S, "SQ01", "office-a", 0);
	dev_new(&B, &S, "SQ02", "office-b", 0);
	dev_sync(&A, &S, NULL);
	dev_sync(&B, &S, NULL);
	import_members(&B, branch2_id, 20);   /* B's scope is not empty: its pull has rows to skip */
	dev_sync(&B, &S, NULL);

	h_log("A imports %ld members in one local transaction", n);
	import_members(&A, branch1_id, n);
	H_CHECK(dev_outbox(&A) == (n + REP_TXN_MAX_CHANGES - 1) / REP_TXN_MAX_CHANGES,
	    "A's outbox holds %lld transactions", (long long)dev_outbox(&A));
	dev_close(&A);

	/* B's no-op sync with the server idle: the figure the bound is reasoned from. */
	for (int i = 0; i < 9; i++)
		idle[i] = b_sync();
	qsort(idle, 9, sizeof idle[0], cmp_double);
	idle_med = idle[4];
	h_log("B's no-op sync, server idle: median %.1f ms, max %.1f ms (9 syncs)", idle_med,
	    idle[8]);

	/* A's sync in a child process; B syncs back to back until it is over. */
	snprintf(aout, sizeof aout, "%s/a-sync.out", H.tmp);
	t_a0 = now_s();
	pid = start_a_sync(aout);
	for (;;) {
		double at = now_s() - t_a0, ms;
		pid_t w = waitpid(pid, &st, WNOHANG);
		H_CHECK(w >= 0, "waitpid: %s", strerror(errno));
		if (w == pid)
			break;
		ms = b_sync();
		if (nsync < MAX_SYNCS) {
			lat[nsync].at = at;
			lat[nsync].ms = ms;
		}
		nsync++;
		if (ms > worst) {
			worst = ms;
			worst_at = at;
		}
	}
	t_a = now_s();
	a_s = t_a - t_a0;
	H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "A's tongxin sync exited with status %#x: %s",
	    st, h_slurp_tail(aout, 2000));
	kept = nsync < MAX_SYNCS ? nsync : MAX_SYNCS;
	for (int i = 0; i < kept; i++)
		sorted[i] = lat[i].ms;
	qsort(sorted, (size_t)kept, sizeof sorted[0], cmp_double);
	bound = bound_ms(a_s);
	h_log("A's sync of %ld members (%lld outbox transactions) took %.2f s; meanwhile B synced "
	    "%d times: median %.1f ms, p90 %.1f ms, max %.1f ms (started %.2f s into A's sync); "
	    "bound %.0f ms", n, (long long)((n + REP_TXN_MAX_CHANGES - 1) / REP_TXN_MAX_CHANGES), a_s,
	    nsync, quantile(sorted, kept, 0.5), quantile(sorted, kept, 0.9), worst, worst_at, bound);
	{
		/* The timeline, for the log: each B sync slower than 4x the idle median. */
		int shown = 0;
		for (int i = 0; i < kept && shown < 20; i++)
			if (lat[i].ms > 4 * idle_med) {
				h_log("  B sync %d at %.2f s: %.1f ms", i, lat[i].at, lat[i].ms);
				shown++;
			}
	}

	if (!BUSY_ASAN) {
		h_log("SKIP: (b) is judged only in an ASan build (the bound is reasoned for its "
		    "speed); slowest B sync %.1f ms, bound there %.0f ms", worst, bound);
		check_converged(n);
		h_done();
		return 77;
	}
	if (a_s * 1000.0 < MIN_PUSH_FLOORS * BOUND_FLOOR_MS) {
		h_log("SKIP: A's sync took only %.2f s (< %.1f s): too short to show a stall against "
		    "a %.0f ms bound; raise TX_BUSY_MEMBERS", a_s, MIN_PUSH_FLOORS * BOUND_FLOOR_MS /
		    1000.0, BOUND_FLOOR_MS);
		check_converged(n);
		h_done();
		return 77;
	}
	H_CHECK(worst <= bound, "(b) office B's slowest no-op sync took %.0f ms while office A "
	    "pushed %ld members (A's sync %.2f s; B idle median %.1f ms): above the bound of %.0f ms, "
	    "so one push stalls the other sessions", worst, n, a_s, idle_med, bound);
	H_CHECK(nsync >= 3, "B synced only %d times during A's %.2f s sync: B's syncs were stalled "
	    "(slowest %.0f ms)", nsync, a_s, worst);

	check_converged(n);
	h_check_integrity(&S);
	srv_stop(&S);
	dev_close(&A);
	dev_close(&B);
	return h_done();
}
