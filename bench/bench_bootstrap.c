/*
 * bench_bootstrap.c - (c) a new replica pulls its whole scope over TLS on
 * loopback from a real "tongxind serve" child process, against plain
 * INSERTs of the same rows into a replica.
 *
 * The server is populated in this process with store_push() (members in
 * local transactions of 1000 rows, as a bulk import arrives), while it is
 * not serving: the store keeps its version counter in memory and must be
 * its only writer. Then a fresh replica (its own enrolled device of the
 * street organisation, so its scope is everything) runs sync_run() end to
 * end: TLS handshake, hello, an empty push, and the pull of every page.
 *
 * Two stages are timed, each with a fresh replica: after the organisation
 * and the members are on the server, and again after the meetings and the
 * attendance rows have been added. The baseline inserts the same rows (same
 * ids and values) into the tables of a fresh replica (same pragmas: WAL,
 * synchronous=NORMAL) with one prepared statement per table, in
 * transactions of 5000 rows, the largest pull page a server sends (the
 * client asks for pages of 1000; the baseline keeps the larger transactions).
 *
 * A breakdown of the same pull without the network follows (unless
 * --no-breakdown): store_pull_page, pull_raw_split and rep_apply_page_raw
 * in turn, page by page, into another fresh replica.
 *
 * Each bootstrap and each baseline runs REPEATS times (fresh replicas, the
 * server restarted each time), the two sides alternating round by round,
 * and the median is printed.
 *
 * Goals (issue 11): 100,000 members over TLS <= 0.8 s (scaled at other
 * sizes) and >= 80% of the plain insert rate.
 *
 * --breakdown-only populates the server and runs the breakdown alone (for a
 * profiler: one process, no TLS, no baseline).
 *
 * --echo-pull times only the pull right after a push: the office that pushed
 * the members pulls, and every row is its own echo (sent: none).
 *
 * usage: bench_bootstrap [MEMBERS [ATTENDANCE [REPEATS]]]
 *     [--no-breakdown | --breakdown-only | --echo-pull]
 *   defaults 100000 members, 1000000 attendance rows (1000 per meeting), 3 repeats
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "harness.h"
#include "pki.h"
#include "pull_raw.h"
#include "replica_int.h"
#include "store.h"
#include "sync.h"

#define PAGE_ROWS BX_PAGE_ROWS
#define CLIENT_PAGE_ROWS 1000   /* what sync_pull asks for (client/sync_pull.c PULL_PAGE_ROWS) */
#define PER_MEETING 1000
#define MAX_REPEATS 9

static struct store_actor actor;   /* the office that pushed every row */
static struct store_actor reader;  /* a new device of the street: pulls all of them */
static uint64_t next_seq = 1, hlc;

/*
 * The median of n bootstraps, each into a fresh replica at path, rounds
 * interleaved with the baseline: plain INSERTs of sets into a fresh
 * replica, the order of the two sides alternating; the median of the
 * plain time up to the end of sets[mark] goes to *plain_med.
 */
static double
bootstrap_median(struct bx_street *st, const char *path, const char *bundle, uint64_t *rows,
    const int64_t expect[TBL_COUNT], int n, struct bx_rows *const *sets, int nsets, int mark,
    double *plain_med)
{
	static int serial;
	double t[MAX_REPEATS], tp[MAX_REPEATS];
	char dev[64], b[4300], pp[4300];

	snprintf(pp, sizeof pp, "%s.plain", path);
	for (int k = 0; k < n; k++) {
		/* The end of the members (after the organisations) and of the rest. */
		double pm[5] = { -1, -1, 0, -1, 0 };
		/*
		 * A device of its own for each fresh replica: the server refuses a
		 * credential that another replica already uses (ERR_CREDENTIAL_IN_USE).
		 * The server is stopped between runs, so tongxind enroll may write.
		 */
		snprintf(dev, sizeof dev, "bench-new-%d", ++serial);
		snprintf(b, sizeof b, "%s.%d", bundle, serial);
		bx_enroll(st, dev, b);
		if (k % 2 == 1) {
			bx_plain(pp, b, sets, nsets, pm);
			bx_replica_rm(pp);
		}
		t[k] = bx_bootstrap(st, path, b, rows, expect);
		bx_replica_rm(path);
		if (k % 2 == 0) {
			bx_plain(pp, b, sets, nsets, pm);
			bx_replica_rm(pp);
		}
		tp[k] = pm[mark];
		unlink(b);
	}
	*plain_med = bx_median(tp, n);
	return bx_median(t, n);
}

/* CPU seconds of the calling thread: the steps' cost apart from the machine's load. */
static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The pull without the network: each step timed on its own, as tongxind
 * and sync_pull do them: store_pull_page (the server's frame, as tongxind
 * sends it, in pages of the size sync_pull asks for), pull_raw_split and
 * frame_decode of the rest (the replica's reader), rep_apply_page_raw
 * between rep_pull_begin and rep_pull_end (a first pull: the indexes set
 * aside and built at the end, timed apart), and the frees.
 */
static void
breakdown(struct bx_street *st, const char *path, const char *bundle, double total_tls)
{
	struct store *s = bx_store_open(st);
	struct replica *r = bx_replica_new(path, bundle);
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	struct pull_page pg;
	struct pull_raw raw = { 0 };
	uint64_t cursors[TBL_COUNT], applied = 0, evicted = 0;
	double t_pull = 0, t_dec = 0, t_apply = 0, t_end = 0, t_free = 0, t;
	double c_pull = 0, c_dec = 0, c_apply = 0, c_end = 0, c_free = 0, c;
	size_t pages = 0, wire = 0;
	char err[1024] = "", buf[32];
	int more = 1;

	memset(cursors, 0, sizeof cursors);
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.max_rows = CLIENT_PAGE_ROWS;
	pull_page_init(&pg);
	if (rep_pull_begin(r, err, sizeof err) != 0)
		bx_die("rep_pull_begin: %s", err);
	while (more) {
		Tongxin__Envelope *in;

		t = bx_now();
		c = cpu_now();
		if (store_pull_page(s, &reader, &req, 1, &pg, err, sizeof err) != 0)
			bx_die("store_pull_page: %s", err);
		t_pull += bx_now() - t;
		c_pull += cpu_now() - c;
		for (int k = 0; k < TBL_COUNT; k++)
			cursors[k] = pg.cursors[k];
		req.evict_cursor = pg.evict_cursor;
		req.note_cursor = pg.note_cursor;
		more = pg.more;
		wire += pg.frame_len;
		t = bx_now();
		c = cpu_now();
		/* As sync_pull reads it: the frame's bytes kept, the rows walked in place. */
		if (pull_raw_split_copy(&raw, pg.frame + FRAME_HDR_LEN,
		    pg.frame_len - FRAME_HDR_LEN) != 0 ||
		    (in = frame_decode(raw.rest, raw.rest_len)) == NULL)
			bx_die("the page cannot be read");
		t_dec += bx_now() - t;
		c_dec += cpu_now() - c;
		t = bx_now();
		c = cpu_now();
		if (rep_apply_page_raw(r, in->pull_result, &raw, &applied, &evicted, NULL, err,
		    sizeof err) != 0)
			bx_die("rep_apply_page_raw: %s", err);
		t_apply += bx_now() - t;
		c_apply += cpu_now() - c;
		t = bx_now();
		c = cpu_now();
		envelope_free(in);
		t_free += bx_now() - t;
		c_free += cpu_now() - c;
		pages++;
	}
	t = bx_now();
	c = cpu_now();
	if (rep_pull_end(r, err, sizeof err) != 0)
		bx_die("rep_pull_end: %s", err);
	t_end = bx_now() - t;
	c_end = cpu_now() - c;
	pull_page_free(&pg);
	pull_raw_free(&raw);
	replica_close(r);
	store_close(s);
	t = t_pull + t_dec + t_apply + t_end + t_free;
	c = c_pull + c_dec + c_apply + c_end + c_free;
	printf("    breakdown of the same pull without the network (%zu pages, %.1f MB of frames,\n"
	    "    %s rows, each step timed alone, server and replica in one thread):\n",
	    pages, (double)wire / 1e6, bx_commas((double)applied, buf, sizeof buf));
	printf("      store_pull_page (server reads rows, makes frames) %7.3f s  %4.1f%%  cpu %7.3f s\n", t_pull,
	    100 * t_pull / t, c_pull);
	printf("      pull_raw_split (replica's reader, rows in place) %7.3f s  %4.1f%%  cpu %7.3f s\n", t_dec,
	    100 * t_dec / t, c_dec);
	printf("      rep_apply_page_raw (replica writes, first pull)  %7.3f s  %4.1f%%  cpu %7.3f s\n", t_apply,
	    100 * t_apply / t, c_apply);
	printf("      rep_pull_end (replica builds its indexes)        %7.3f s  %4.1f%%  cpu %7.3f s\n", t_end,
	    100 * t_end / t, c_end);
	printf("      freeing messages (replica)                       %7.3f s  %4.1f%%  cpu %7.3f s\n", t_free,
	    100 * t_free / t, c_free);
	printf("      cpu of this thread in all: %.3f s\n", c);
	printf("      sum %.3f s (%s rows/s); the bootstrap over TLS took %.3f s: there the\n"
	    "      server and the replica work in parallel (two processes), and here each step\n"
	    "      runs alone in one thread, with the caches the previous step left behind\n", t,
	    bx_commas((double)applied / t, buf, sizeof buf), total_tls);
}

/*
 * The pull right after a push (issue 11, "no superlinear step"): the
 * office that pushed nmembers members pulls from the cursors it held
 * before its push (every table past the organisations, so nothing is a
 * first pull). Every row is its own echo: the pull sends none of them, and
 * what it costs is the walk over them. store_pull_page page by page as
 * tongxind runs it, repeats times; prints the medians (wall and CPU).
 */
static void
echo_pull(struct bx_street *st, uint64_t from, size_t nmembers, int repeats)
{
	double tw[MAX_REPEATS], tc[MAX_REPEATS];
	uint64_t sent = 0;
	size_t pages = 0;
	char err[1024] = "", buf[32];

	for (int k = 0; k < repeats; k++) {
		struct store *s = bx_store_open(st);
		Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
		uint64_t cursors[TBL_COUNT];
		struct pull_page pg;
		double t, c;
		int more = 1;

		for (int i = 0; i < TBL_COUNT; i++)
			cursors[i] = from;
		req.cursors = cursors;
		req.n_cursors = TBL_COUNT;
		req.evict_cursor = from;
		pull_page_init(&pg);
		sent = 0;
		pages = 0;
		t = bx_now();
		c = cpu_now();
		while (more) {
			if (store_pull_page(s, &actor, &req, 1, &pg, err, sizeof err) != 0)
				bx_die("store_pull_page: %s", err);
			memcpy(cursors, pg.cursors, sizeof cursors);
			req.evict_cursor = pg.evict_cursor;
			req.note_cursor = pg.note_cursor;
			more = pg.more;
			sent += pg.n_rows;
			pages++;
		}
		tw[k] = bx_now() - t;
		tc[k] = cpu_now() - c;
		pull_page_free(&pg);
		store_close(s);
	}
	printf("    pull after a push of %s members by the pulling office: %llu rows sent in %zu"
	    " pages,\n    %.4f s wall, %.4f s CPU (medians of %d)\n",
	    bx_commas((double)nmembers, buf, sizeof buf), (unsigned long long)sent, pages,
	    bx_median(tw, repeats), bx_median(tc, repeats), repeats);
}

int
main(int argc, char **argv)
{
	size_t nmembers = 100000, natt = 1000000, nmeet;
	int do_breakdown = 1, breakdown_only = 0, echo_only = 0, npos = 0, repeats = 3;
	struct bx_street st;
	struct bx_refs refs;
	struct bx_rows comm, org, members, meetings, att;
	struct pki_cred cred;
	char b1[4200], b2[4200], p[4200], err[1024] = "", addr[300], buf[4][32];
	static char devid[40];
	const char *base;
	struct store *s;
	int64_t expect[TBL_COUNT];
	uint64_t pulled1, pulled2;
	double t_pop1, t_pop2, t_boot1, t_boot2, marks[4], t, load;
	int ncpu;
	size_t rows1, rows2;
	struct bx_rows *sets[5] = { &comm, &org, &members, &meetings, &att };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--no-breakdown") == 0)
			do_breakdown = 0;
		else if (strcmp(argv[i], "--breakdown-only") == 0)
			breakdown_only = 1;
		else if (strcmp(argv[i], "--echo-pull") == 0)
			echo_only = 1;
		else if (argv[i][0] != '-' && npos == 0 && ++npos)
			nmembers = (size_t)bx_arg_long(argv[i], "MEMBERS");
		else if (argv[i][0] != '-' && npos == 1 && ++npos)
			natt = (size_t)bx_arg_long(argv[i], "ATTENDANCE");
		else if (argv[i][0] != '-' && npos == 2 && ++npos)
			repeats = (int)bx_arg_long(argv[i], "REPEATS");
		else {
			fprintf(stderr, "usage: bench_bootstrap [MEMBERS [ATTENDANCE [REPEATS]]] "
			    "[--no-breakdown | --breakdown-only | --echo-pull]\n");
			return 2;
		}
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	nmeet = (natt + PER_MEETING - 1) / PER_MEETING;
	base = bx_tmpdir("bootstrap");
	bx_street_init(&st, base);
	snprintf(b1, sizeof b1, "%s/office.bundle", base);
	snprintf(b2, sizeof b2, "%s/new.bundle", base);
	bx_enroll(&st, "bench-office", b1);
	bx_enroll(&st, "bench-new", b2);
	if (pki_bundle_read(b1, &cred, addr, sizeof addr, err, sizeof err) != 0)
		bx_die("%s", err);
	snprintf(devid, sizeof devid, "%s", cred.id.device_id);
	pki_cred_clear(&cred);
	actor.device_id = devid;
	actor.device_name = "bench-office";
	actor.role = "office";
	actor.scope = st.scope;
	actor.operator_name = "bench";
	/*
	 * The breakdown pulls as another device: the server does not send a
	 * device the rows it wrote itself (_echo), and a new replica is what
	 * is measured.
	 */
	if (pki_bundle_read(b2, &cred, addr, sizeof addr, err, sizeof err) != 0)
		bx_die("%s", err);
	{
		static char devid2[40];
		snprintf(devid2, sizeof devid2, "%s", cred.id.device_id);
		reader = actor;
		reader.device_id = devid2;
		reader.device_name = "bench-new";
	}
	pki_cred_clear(&cred);

	/* Every row, generated before any clock starts. */
	memset(&refs, 0, sizeof refs);
	/* A community of the street, a branch of it (the tree rule), members in the branch. */
	refs.org_id = st.street_id;
	refs.org_kind = "community";
	bx_rows_make(&comm, TBL_ORG, 0, 1, &refs);
	refs.org_id = comm.ids[0];
	refs.org_kind = NULL;
	bx_rows_make(&org, TBL_ORG, 0, 1, &refs);
	refs.org_id = org.ids[0];
	bx_rows_make(&members, TBL_MEMBER, 0, nmembers, &refs);
	bx_rows_make(&meetings, TBL_MEETING, 0, nmeet, &refs);
	refs.members = (const char (*)[ID_TEXT_LEN + 1])members.ids;
	refs.nmembers = members.n;
	refs.meetings = (const char (*)[ID_TEXT_LEN + 1])meetings.ids;
	refs.nmeetings = meetings.n;
	bx_rows_make(&att, TBL_ATTENDANCE, 0, natt, &refs);

	bx_load(&load, &ncpu);
	printf("(c) bootstrap: a fresh replica runs sync_run against tongxind serve (child process)\n"
	    "    over TLS 1.3 on loopback, vs plain prepared INSERTs of the same rows into a fresh\n"
	    "    replica in transactions of %d rows (a pull page); replicas: WAL, synchronous=NORMAL;\n"
	    "    server store: WAL, synchronous=FULL; median of %d runs; files on %s; load average\n"
	    "    %.1f on %d CPUs at start\n", PAGE_ROWS, repeats, bx_fs_name(base), load, ncpu);

	/* Stage 1: the organisation and the members. */
	s = bx_store_open(&st);
	t = bx_now();
	bx_push_rows(s, &actor, &comm, &next_seq, &hlc);
	bx_push_rows(s, &actor, &org, &next_seq, &hlc);
	if (echo_only) {
		store_close(s);
		s = bx_store_open(&st);   /* the version counter as the database holds it */
		{
			Tongxin__PullRequest q = TONGXIN__PULL_REQUEST__INIT;
			Tongxin__PullResponse *resp = NULL;
			uint64_t from = 0;
			if (store_pull(s, &reader, &q, &resp, err, sizeof err) != 0)
				bx_die("store_pull: %s", err);
			for (size_t k = 0; k < resp->n_cursors; k++)
				if (resp->cursors[k] > from)
					from = resp->cursors[k];
			tongxin__pull_response__free_unpacked(resp, NULL);
			bx_push_rows(s, &actor, &members, &next_seq, &hlc);
			store_close(s);
			echo_pull(&st, from, nmembers, repeats);
		}
		return 0;
	}
	bx_push_rows(s, &actor, &members, &next_seq, &hlc);
	t_pop1 = bx_now() - t;
	store_close(s);
	for (int k = 0; k < TBL_COUNT; k++)
		expect[k] = -1;
	expect[TBL_ORG] = 3;   /* the street, the community, the branch */
	expect[TBL_MEMBER] = (int64_t)nmembers;
	snprintf(p, sizeof p, "%s/boot1.db", base);
	if (breakdown_only) {
		s = bx_store_open(&st);
		bx_push_rows(s, &actor, &meetings, &next_seq, &hlc);
		bx_push_rows(s, &actor, &att, &next_seq, &hlc);
		store_close(s);
		snprintf(p, sizeof p, "%s/breakdown.db", base);
		breakdown(&st, p, b2, 0);
		bx_replica_rm(p);
		return 0;
	}
	t_boot1 = bootstrap_median(&st, p, b2, &pulled1, expect, repeats, sets, 3, 2, &marks[1]);

	/* Stage 2: add the meetings and the attendance. */
	s = bx_store_open(&st);
	t = bx_now();
	bx_push_rows(s, &actor, &meetings, &next_seq, &hlc);
	bx_push_rows(s, &actor, &att, &next_seq, &hlc);
	t_pop2 = bx_now() - t;
	store_close(s);
	expect[TBL_MEETING] = (int64_t)nmeet;
	expect[TBL_ATTENDANCE] = (int64_t)natt;
	snprintf(p, sizeof p, "%s/boot2.db", base);
	t_boot2 = bootstrap_median(&st, p, b2, &pulled2, expect, repeats, sets, 5, 4, &marks[3]);

	rows1 = comm.n + org.n + members.n;
	rows2 = rows1 + meetings.n + att.n;

	printf("    server populated in this process with store_push (1000-row transactions):\n"
	    "    %s rows in %.2f s (%s rows/s)\n",
	    bx_commas((double)rows2, buf[0], sizeof buf[0]), t_pop1 + t_pop2,
	    bx_commas((double)rows2 / (t_pop1 + t_pop2), buf[1], sizeof buf[1]));
	printf("    %-34s %10s %8s %11s %8s %11s  %s\n", "server holds", "rows", "boot s",
	    "boot r/s", "plain s", "plain r/s", "boot rate/plain");
	printf("    %-34s %10s %8.3f %11s %8.3f %11s  %.1f%%\n",
	    "street, community, branch, members",
	    bx_commas((double)pulled1, buf[0], sizeof buf[0]), t_boot1,
	    bx_commas((double)pulled1 / t_boot1, buf[1], sizeof buf[1]), marks[1],
	    bx_commas((double)rows1 / marks[1], buf[2], sizeof buf[2]),
	    100 * ((double)pulled1 / t_boot1) / ((double)rows1 / marks[1]));
	{
		char what[64];
		snprintf(what, sizeof what, "+ %zu meetings, attendance", nmeet);
		printf("    %-34s %10s %8.3f %11s %8.3f %11s  %.1f%%\n", what,
		    bx_commas((double)pulled2, buf[0], sizeof buf[0]), t_boot2,
		    bx_commas((double)pulled2 / t_boot2, buf[1], sizeof buf[1]), marks[3],
		    bx_commas((double)rows2 / marks[3], buf[2], sizeof buf[2]),
		    100 * ((double)pulled2 / t_boot2) / ((double)rows2 / marks[3]));
	}
	{
		double per100k = t_boot1 * 100000.0 / (double)nmembers;
		double share = ((double)pulled1 / t_boot1) / ((double)rows1 / marks[1]);
		char what[160];
		if (nmembers == 100000)
			snprintf(what, sizeof what, "bootstrap of 100,000 members over TLS <= 0.8 s");
		else
			snprintf(what, sizeof what, "bootstrap of 100,000 members over TLS <= 0.8 s "
			    "(scaled from %s)", bx_commas((double)nmembers, buf[3], sizeof buf[3]));
		bx_goal(what, per100k <= 0.8, "%.3f s per 100,000 (%.3f s)", per100k, t_boot1);
		bx_goal("bootstrap rate >= 80% of the plain insert rate (members)", share >= 0.80,
		    "%.1f%%", 100 * share);
	}
	fflush(stdout);
	if (do_breakdown) {
		snprintf(p, sizeof p, "%s/breakdown.db", base);
		breakdown(&st, p, b2, t_boot2);
		bx_replica_rm(p);
	}
	bx_rows_free(&comm);
	bx_rows_free(&org);
	bx_rows_free(&members);
	bx_rows_free(&meetings);
	bx_rows_free(&att);
	return 0;
}
