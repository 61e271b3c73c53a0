/*
 * bench_concurrent.c - (i) many devices syncing at once (issue 13, item 3):
 * N devices against one "tongxind serve" child process (SQLite, the
 * machine's 2 cores), all starting a sync at the same moment, each sync a
 * small push (one member edit: its own member's phone number, an update
 * with its base) and a pull, as an office's sync after a clerk's edit.
 *
 * Setup, before any clock starts: a street with a community (C000), N/4
 * branches under it and N members, four devices to a branch, one member to
 * each device (written through the store in this process, the server
 * stopped); the devices are enrolled in this process (bx_enroll_mem). Each
 * device then makes its first sync (a full TLS handshake, its branch's
 * rows pulled from the start: not timed as a round, reported apart), which
 * leaves it a TLS session to resume, as a device keeps one.
 *
 * The client: one thread a device (N threads, small stacks), each with its
 * own SSL_CTX and session, speaking the protocol with the blocking
 * connection of client/sync.c (conn_open, conn_send, conn_recv): Hello,
 * one PushRequest of one Txn, one PullRequest read page by page, close. A
 * device keeps no replica (a light in-memory client): what it keeps is what
 * the next sync needs (cursors, its member's version and value, its
 * sequence). Why threads, and why the client is not the bottleneck: a
 * thread blocked on its socket costs no CPU, so N threads put N syncs in
 * flight at once exactly as N offices would (one libevent loop of N
 * connections would too, with a second copy of the sync's state machine
 * to trust); their CPU is measured (this process's user+system time) and
 * printed per sync beside the server's (/proc/PID/stat), so a reader sees
 * which side the two cores went to.
 *
 * Rounds: all N threads are released together by a barrier (a burst: the
 * worst arrival there is), each runs one sync, and the round ends when the
 * last is done. Before each burst, a few devices sync one at a time (the
 * baseline: a sync with nobody else on the server), so drift hits both
 * alike. Figures: per sync p50/p99/max over all rounds, the baseline's
 * median, throughput (syncs a second over the rounds' wall time), CPU per
 * sync on both sides, the load average at start and end, the CPU the
 * rest of the machine took during the rounds (the load average counts
 * this process's own threads, so it cannot tell a busy machine); and the goal
 * line "1,000 devices syncing concurrently: p99 <= 1 s" (at other sizes
 * the figure is the one measured, and the line says at how many).
 *
 * usage: bench_concurrent [DEVICES [ROUNDS]]   (default 1000 devices, 3 rounds)
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame.h"
#include "harness.h"
#include "store.h"
#include "sync.h"
#include "tls.h"
#include "value.h"

#define PER_BRANCH 4          /* devices (and members) to a branch */
#define SOLO_PER_ROUND 16     /* baseline syncs before each burst */
#define GOAL_DEVICES 1000
#define GOAL_P99_S 1.0
#define SEED_TXN 1000         /* changes in one seeding transaction */

/* One device: its credentials, its TLS session, and what its next sync needs. */
struct dev {
	SSL_CTX *ctx;
	SSL_SESSION *sess;
	char rid[ID_TEXT_LEN + 1];         /* its replica id (made once, as at join) */
	char member_id[ID_TEXT_LEN + 1];   /* the member this device edits */
	char phone[24];                    /* the member's phone as this device last saw it */
	uint64_t version;                  /* the member's server version as last seen */
	uint64_t seq;                      /* the last local sequence used */
	uint64_t cursors[TBL_COUNT];
	uint64_t evict, note;
	int idx;
	/* This round's outcome. */
	double ms;
	int ok, resumed;
	uint64_t pulled;
	char err[512];
};

static struct bx_street st;
static struct dev *devs;
static long ndev;
static int nrounds, phone_col;
static pthread_barrier_t start_bar, end_bar;
static int stop_threads;

/* Hello with the device's replica id; 0 once the server's Welcome is in. */
static int
hello(struct conn *c, const char *replica_id)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	uint8_t hash[32];
	int ok;

	schema_hash(hash);
	h.protocol_version = PROTOCOL_VERSION;
	h.schema_hash.data = hash;
	h.schema_hash.len = sizeof hash;
	h.program_version = TONGXIN_VERSION;
	h.operator_name = "bench";
	h.replica_id = (char *)replica_id;
	h.recovers = 1;
	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	if (conn_send(c, &env) != 0 || (in = conn_recv(c, FRAME_MAX)) == NULL)
		return -1;
	ok = in->body_case == TONGXIN__ENVELOPE__BODY_WELCOME;
	if (!ok)
		snprintf(c->err, sizeof c->err, "expected Welcome, got body %d", (int)in->body_case);
	envelope_free(in);
	return ok ? 0 : -1;
}

/* Push one Txn: the device's member's phone changed, with its base. 0 when applied or merged. */
static int
push_edit(struct conn *c, struct dev *d)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	Tongxin__PushRequest pr = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__Txn tx = TONGXIN__TXN__INIT, *txs[1] = { &tx };
	Tongxin__Change ch = TONGXIN__CHANGE__INIT, *chs[1] = { &ch };
	Tongxin__Value nv, ov, *vals[1] = { &nv }, *bef[1] = { &ov };
	uint32_t cols[1] = { (uint32_t)phone_col };
	char phone[24];
	const Tongxin__TxnResult *res;
	int rc = -1;

	snprintf(phone, sizeof phone, "139%08u", (unsigned)((d->idx * 7919u + d->seq * 104729u) %
	    100000000u));
	value_set_text(&nv, phone);
	value_set_text(&ov, d->phone);
	ch.table = TBL_MEMBER;
	ch.row_id = d->member_id;
	ch.op = TONGXIN__CHANGE__OP__OP_UPDATE;
	ch.n_cols = 1;
	ch.cols = cols;
	ch.n_values = 1;
	ch.values = vals;
	ch.n_before = 1;
	ch.before = bef;
	ch.base_version = d->version;
	tx.seq = ++d->seq;
	tx.hlc = hlc_next(0);
	tx.local_time_ms = now_ms();
	tx.operator_name = "bench";
	tx.n_changes = 1;
	tx.changes = chs;
	pr.n_txns = 1;
	pr.txns = txs;
	env.body_case = TONGXIN__ENVELOPE__BODY_PUSH;
	env.push = &pr;
	if (conn_send(c, &env) != 0 || (in = conn_recv(c, FRAME_MAX)) == NULL)
		return -1;
	if (in->body_case != TONGXIN__ENVELOPE__BODY_PUSH_RESULT || in->push_result->n_results != 1) {
		snprintf(c->err, sizeof c->err, "expected a push result, got body %d",
		    (int)in->body_case);
		goto out;
	}
	res = in->push_result->results[0];
	if (res->status != TONGXIN__TXN_RESULT__STATUS__APPLIED &&
	    res->status != TONGXIN__TXN_RESULT__STATUS__MERGED) {
		snprintf(c->err, sizeof c->err, "the edit was not applied (status %d): %s",
		    (int)res->status, res->reason ? res->reason : "");
		goto out;
	}
	for (size_t i = 0; i < res->n_rows; i++)
		if (strcmp(res->rows[i]->row_id, d->member_id) == 0)
			d->version = res->rows[i]->version;
	snprintf(d->phone, sizeof d->phone, "%s", phone);
	rc = 0;
out:
	envelope_free(in);
	return rc;
}

/* Pull from the device's cursors until the server says no more follows; rows counted. */
static int
pull(struct conn *c, struct dev *d, uint64_t *rows)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	int more = 1;

	req.cursors = d->cursors;
	req.n_cursors = TBL_COUNT;
	req.evict_cursor = d->evict;
	req.note_cursor = d->note;
	req.max_rows = 1000;
	env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
	env.pull = &req;
	if (conn_send(c, &env) != 0)
		return -1;
	while (more) {
		const Tongxin__PullResponse *pg;
		if ((in = conn_recv(c, FRAME_MAX)) == NULL)
			return -1;
		if (in->body_case != TONGXIN__ENVELOPE__BODY_PULL_RESULT) {
			snprintf(c->err, sizeof c->err, "expected a pull page, got body %d",
			    (int)in->body_case);
			envelope_free(in);
			return -1;
		}
		pg = in->pull_result;
		*rows += pg->n_rows;
		for (size_t t = 0; t < pg->n_cursors && t < TBL_COUNT; t++)
			if (pg->cursors[t] > d->cursors[t])
				d->cursors[t] = pg->cursors[t];
		if (pg->evict_cursor > d->evict)
			d->evict = pg->evict_cursor;
		if (pg->note_cursor > d->note)
			d->note = pg->note_cursor;
		more = pg->more;
		envelope_free(in);
	}
	return 0;
}

/* One sync of device d (push only when push): d->ms, ok, resumed, pulled, err. */
static void
one_sync(struct dev *d, int push)
{
	struct conn c;
	double t0 = bx_now();
	int ok;

	d->pulled = 0;
	d->err[0] = '\0';
	ok = conn_open(&c, d->ctx, st.listen, &d->sess, 60000) == 0;
	if (ok) {
		d->resumed = SSL_session_reused(c.ssl);
		ok = hello(&c, d->rid) == 0 && (!push || push_edit(&c, d) == 0) &&
		    pull(&c, d, &d->pulled) == 0;
		if (!ok)
			snprintf(d->err, sizeof d->err, "%s", c.err);
		/* Keep the newest session for the next sync, as a device keeps one. */
		conn_close(&c, &d->sess);
	} else
		snprintf(d->err, sizeof d->err, "%s", c.err);
	d->ms = (bx_now() - t0) * 1e3;
	d->ok = ok;
}

/* A device's thread: one sync per round, released with all the others. */
static void *
dev_thread(void *arg)
{
	struct dev *d = arg;

	for (;;) {
		pthread_barrier_wait(&start_bar);
		if (stop_threads)
			break;
		one_sync(d, 1);
		pthread_barrier_wait(&end_bar);
	}
	return NULL;
}

/* The server's CPU seconds so far (all its threads: utime + stime of /proc/PID/stat). */
static double
server_cpu(void)
{
	char path[64], buf[2048], *p;
	unsigned long ut = 0, stt = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)st.pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15, counted after the ")" that ends the command name. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stt) != 2)
		return 0;
	return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * CPU seconds the whole machine has spent busy so far (every CPU: user,
 * nice, system, irq, softirq and steal of /proc/stat's first line). Less
 * this process's and the server's, what the rest of the machine took
 * during the rounds: the figures only describe tongxind when that is
 * near zero, and the load average cannot say it (this process's own
 * threads count in it).
 */
static double
machine_busy(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return 0;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return 0;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

/* Push the rows of rs as transactions of SEED_TXN changes through the store, as device a. */
static void
seed_push(struct store *s, const struct store_actor *a, const struct bx_rows *rs, uint64_t *seq)
{
	for (size_t i = 0; i < rs->n; i += SEED_TXN) {
		size_t k = rs->n - i < SEED_TXN ? rs->n - i : SEED_TXN;
		Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
		Tongxin__PushResponse *resp = NULL;
		Tongxin__Txn *tx = bx_txn_make(rs, i, k, ++*seq, hlc_next(0));
		char err[1024] = "";

		req.txns = &tx;
		req.n_txns = 1;
		if (store_push(s, a, &req, &resp, err, sizeof err) != 0)
			bx_die("store_push: %s", err);
		if (resp->results[0]->status != TONGXIN__TXN_RESULT__STATUS__APPLIED)
			bx_die("seeding %s: refused: %s", schema_tables[rs->t].name,
			    resp->results[0]->reason);
		tongxin__push_response__free_unpacked(resp, NULL);
		bx_txn_free(tx);
	}
}

/*
 * The street's rows and devices: N/PER_BRANCH branches of community C000,
 * a member for each device, the devices enrolled (the server stopped).
 */
static void
populate(struct bx_office *o)
{
	long nbr = (ndev + PER_BRANCH - 1) / PER_BRANCH;
	struct bx_refs refs;
	struct bx_rows br, mem;
	struct store_actor a;
	struct pki_cred seed, *creds;
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *q;
	char path[4300], err[1024] = "";
	int org_col = schema_col_index(&schema_tables[TBL_MEMBER], "org_id");
	int code_col = schema_col_index(&schema_tables[TBL_ORG], "code");
	uint64_t seq = 0;

	if (org_col < 0 || code_col < 0 || phone_col < 0)
		bx_die("the schema has no member.org_id, member.phone or org.code");
	bx_enroll_mem(&o->st, "JD01", "seed", 1, &seed);
	memset(&a, 0, sizeof a);
	a.device_id = seed.id.device_id;
	a.device_name = "seed-0";
	a.role = "office";
	a.scope = o->st.scope;
	a.operator_name = "bench";
	memset(&refs, 0, sizeof refs);
	refs.org_id = o->comm_id;
	bx_rows_make(&br, TBL_ORG, 1, (size_t)nbr, &refs);     /* branches B001.. */
	refs.org_id = br.ids[0];
	bx_rows_make(&mem, TBL_MEMBER, 0, (size_t)ndev, &refs);
	for (long i = 0; i < ndev; i++)   /* member i belongs to device i's branch */
		value_set_text(&mem.vals[(size_t)i * (size_t)mem.ncols + (size_t)org_col],
		    br.ids[i / PER_BRANCH]);
	if ((s = store_open(o->st.dir, 0, err, sizeof err)) == NULL)
		bx_die("store_open: %s", err);
	seed_push(s, &a, &br, &seq);
	seed_push(s, &a, &mem, &seq);
	store_close(s);
	pki_cred_clear(&seed);

	/* Each device's member, its version and phone as the server holds them. */
	snprintf(path, sizeof path, "%s/tongxind.db", o->st.dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT _version, coalesce(phone, '') FROM member WHERE id = ?1",
	    -1, &q, NULL) != SQLITE_OK)
		bx_die("%s: %s", path, sqlite3_errmsg(db));
	for (long i = 0; i < ndev; i++) {
		struct dev *d = &devs[i];
		d->idx = (int)i;
		snprintf(d->member_id, sizeof d->member_id, "%s", mem.ids[i]);
		sqlite3_bind_text(q, 1, d->member_id, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_ROW)
			bx_die("member %s is not on the server", d->member_id);
		d->version = (uint64_t)sqlite3_column_int64(q, 0);
		snprintf(d->phone, sizeof d->phone, "%s", (const char *)sqlite3_column_text(q, 1));
		sqlite3_reset(q);
		if (id_new(d->rid) != 0)
			bx_die("id_new failed");
	}
	sqlite3_finalize(q);
	sqlite3_close(db);

	/* The devices, PER_BRANCH to a branch. */
	if ((creds = calloc((size_t)PER_BRANCH, sizeof *creds)) == NULL)
		bx_die("out of memory");
	for (long b = 0; b < nbr; b++) {
		const Tongxin__Value *code = &bx_row(&br, (size_t)b)[code_col];
		long first = b * PER_BRANCH, k = ndev - first < PER_BRANCH ? ndev - first : PER_BRANCH;
		char prefix[32];
		snprintf(prefix, sizeof prefix, "dev%ld", b);
		bx_enroll_mem(&o->st, code->s, prefix, (int)k, creds);
		for (long j = 0; j < k; j++) {
			if ((devs[first + j].ctx = tls_client_ctx(&creds[j], err, sizeof err)) == NULL)
				bx_die("client context: %s", err);
			pki_cred_clear(&creds[j]);
		}
	}
	free(creds);
	bx_rows_free(&br);
	bx_rows_free(&mem);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of n sorted values (nearest rank). */
static double
quantile(const double *v, long n, double q)
{
	long i = (long)(q * (double)n + 0.999999) - 1;
	return n == 0 ? 0 : v[i < 0 ? 0 : i < n ? i : n - 1];
}

int
main(int argc, char **argv)
{
	struct bx_office o;
	pthread_t *th;
	pthread_attr_t attr;
	double *lat, *solo, load0, load1, t0, wall = 0, ccpu, scpu, mcpu, first_wall;
	double first_max = 0, first_sum = 0;
	long nlat = 0, nsolo = 0, failures = 0, resumed = 0, nofile;
	uint64_t pulled = 0;
	int ncpu;
	char buf[32];
	const char *base;

	ndev = argc > 1 ? bx_arg_long(argv[1], "DEVICES") : GOAL_DEVICES;
	nrounds = argc > 2 ? (int)bx_arg_long(argv[2], "ROUNDS") : 3;
	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_concurrent [DEVICES [ROUNDS]]\n");
		return 2;
	}
	nofile = bx_raise_nofile();
	if (nofile < 2 * ndev + 64)
		bx_die("the open-file limit is %ld: %ld devices need %ld", nofile, ndev, 2 * ndev + 64);
	phone_col = schema_col_index(&schema_tables[TBL_MEMBER], "phone");
	if ((devs = calloc((size_t)ndev, sizeof *devs)) == NULL ||
	    (th = calloc((size_t)ndev, sizeof *th)) == NULL ||
	    (lat = calloc((size_t)ndev * (size_t)nrounds, sizeof *lat)) == NULL ||
	    (solo = calloc((size_t)SOLO_PER_ROUND * (size_t)nrounds, sizeof *solo)) == NULL)
		bx_die("out of memory");

	base = bx_tmpdir("concurrent");
	t0 = bx_now();
	bx_office_init(&o, base);
	st = o.st;
	populate(&o);
	bx_street_unlimited(&st, (int)ndev);
	printf("(i) concurrent syncs: %ld devices (%d to a branch, %ld branches), each syncing at\n"
	    "    once with all the others: a push of one member edit and a pull, over TLS 1.3\n"
	    "    (resumed where the server still holds the session) against tongxind serve on\n"
	    "    loopback (SQLite, files on %s); one client thread a device; %d rounds,\n"
	    "    each after %d one-at-a-time syncs (the baseline); street populated and devices\n"
	    "    enrolled in %.1f s\n", ndev, PER_BRANCH,
	    (ndev + PER_BRANCH - 1) / PER_BRANCH, bx_fs_name(base), nrounds, SOLO_PER_ROUND,
	    bx_now() - t0);
	fflush(stdout);
	bx_server_start(&st);
	bx_load(&load0, &ncpu);

	/* First syncs: full handshakes and the branch's rows; a session to resume afterwards. */
	t0 = bx_now();
	for (long i = 0; i < ndev; i++) {
		one_sync(&devs[i], 0);
		if (!devs[i].ok)
			bx_die("first sync of device %ld: %s", i, devs[i].err);
		first_sum += devs[i].ms;
		if (devs[i].ms > first_max)
			first_max = devs[i].ms;
	}
	first_wall = bx_now() - t0;

	if (pthread_barrier_init(&start_bar, NULL, (unsigned)ndev + 1) != 0 ||
	    pthread_barrier_init(&end_bar, NULL, (unsigned)ndev + 1) != 0)
		bx_die("pthread_barrier_init failed");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (long i = 0; i < ndev; i++)
		if ((errno = pthread_create(&th[i], &attr, dev_thread, &devs[i])) != 0)
			bx_die("pthread_create (device %ld of %ld): %s", i, ndev, strerror(errno));
	pthread_attr_destroy(&attr);

	ccpu = scpu = mcpu = 0;
	for (int r = 0; r < nrounds; r++) {
		double t, cb, sb, mb;
		/* The baseline: a few devices, one at a time, nobody else syncing. */
		for (int k = 0; k < SOLO_PER_ROUND; k++) {
			struct dev *d = &devs[(r * SOLO_PER_ROUND + k) % ndev];
			double keep = d->ms;
			one_sync(d, 1);
			if (!d->ok)
				bx_die("baseline sync of device %d: %s", d->idx, d->err);
			solo[nsolo++] = d->ms;
			d->ms = keep;
		}
		cb = bx_cpu();
		sb = server_cpu();
		mb = machine_busy();
		t = bx_now();
		pthread_barrier_wait(&start_bar);   /* all at once */
		pthread_barrier_wait(&end_bar);
		wall += bx_now() - t;
		ccpu += bx_cpu() - cb;
		scpu += server_cpu() - sb;
		mcpu += machine_busy() - mb;
		for (long i = 0; i < ndev; i++) {
			if (!devs[i].ok) {
				if (failures++ < 5)
					fprintf(stderr, "bench: round %d, device %ld: %s\n", r, i, devs[i].err);
				continue;
			}
			lat[nlat++] = devs[i].ms;
			resumed += devs[i].resumed;
			pulled += devs[i].pulled;
		}
	}
	stop_threads = 1;
	pthread_barrier_wait(&start_bar);
	for (long i = 0; i < ndev; i++)
		pthread_join(th[i], NULL);
	bx_load(&load1, &ncpu);
	bx_server_stop(&st);

	qsort(lat, (size_t)nlat, sizeof *lat, cmp_double);
	qsort(solo, (size_t)nsolo, sizeof *solo, cmp_double);
	{
		double p50 = quantile(lat, nlat, 0.50), p99 = quantile(lat, nlat, 0.99);
		double mx = nlat ? lat[nlat - 1] : 0, s50 = quantile(solo, nsolo, 0.50);
		double tput = wall > 0 ? (double)nlat / wall : 0;
		printf("    load average %.1f on %d CPUs at start, %.1f at the end\n", load0, ncpu, load1);
		printf("    first syncs (full handshake, the branch's rows, one at a time): %.1f ms mean,\n"
		    "    %.1f ms max, %ld in %.1f s\n", first_sum / (double)ndev, first_max, ndev,
		    first_wall);
		printf("    %-40s %9s %9s %9s %9s\n", "per sync", "p50 ms", "p99 ms", "max ms", "/alone");
		printf("    %-40s %9.1f %9.1f %9.1f %8.2fx\n", "alone (baseline, one at a time)", s50,
		    quantile(solo, nsolo, 0.99), nsolo ? solo[nsolo - 1] : 0, 1.0);
		printf("    %-40s %9.1f %9.1f %9.1f %8.2fx\n", "all devices at once", p50, p99, mx,
		    s50 > 0 ? p50 / s50 : 0);
		printf("    %ld syncs in %d rounds, %.2f s of rounds: %s syncs a second; %ld failed;\n"
		    "    %ld of %ld resumed; %llu rows pulled (the branch's other edits)\n", nlat, nrounds,
		    wall, bx_commas(tput, buf, sizeof buf), failures, resumed, nlat,
		    (unsigned long long)pulled);
		printf("    CPU per sync in the rounds: client %.2f ms (this process, %ld threads), "
		    "server %.2f ms;\n    the server used %.2f of the %d CPUs during the rounds, the "
		    "client %.2f\n", nlat ? 1e3 * ccpu / (double)nlat : 0, ndev,
		    nlat ? 1e3 * scpu / (double)nlat : 0, wall > 0 ? scpu / wall : 0, ncpu,
		    wall > 0 ? ccpu / wall : 0);
		printf("    other processes used %.2f of the %d CPUs during the rounds%s\n",
		    wall > 0 && mcpu > ccpu + scpu ? (mcpu - ccpu - scpu) / wall : 0, ncpu,
		    wall > 0 && (mcpu - ccpu - scpu) / wall > 0.2 ?
		    " (a busy machine: these figures are not tongxind's alone)" : "");
		if (resumed < nlat)
			printf("    note: %ld syncs were full handshakes: the server keeps a bounded number "
			    "of TLS\n    sessions (common/tls.c TLS_SESSION_CACHE, 20,000), and drops one "
			    "that ended\n    without a proper close\n", nlat - resumed);
		if (ndev == GOAL_DEVICES)
			bx_goal("1,000 devices syncing concurrently: p99 <= 1 s", failures == 0 &&
			    p99 <= GOAL_P99_S * 1e3, "p99 %.0f ms (p50 %.0f ms, max %.0f ms; %s syncs/s%s)",
			    p99, p50, mx, bx_commas(tput, buf, sizeof buf), failures ? "; FAILURES" : "");
		else
			bx_goal("1,000 devices syncing concurrently: p99 <= 1 s", failures == 0 &&
			    p99 <= GOAL_P99_S * 1e3, "p99 %.0f ms measured with %ld devices, not 1,000 "
			    "(p50 %.0f ms, max %.0f ms; %s syncs/s%s)", p99, ndev, p50, mx,
			    bx_commas(tput, buf, sizeof buf), failures ? "; FAILURES" : "");
	}
	for (long i = 0; i < ndev; i++) {
		SSL_SESSION_free(devs[i].sess);
		SSL_CTX_free(devs[i].ctx);
	}
	free(devs);
	free(th);
	free(lat);
	free(solo);
	return failures ? 1 : 0;
}
