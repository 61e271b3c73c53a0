/*
 * bench_sync.c - (e) a clerk's sync after importing N members: the office's
 * replica has bootstrapped its community from a real "tongxind serve"
 * child process, then N members are written locally the way "tongxin
 * member import" writes them (rep_begin; rep_insert for each row;
 * rep_commit: one local transaction), and one sync_run (push and pull) is
 * timed, as "tongxin sync" runs it, over TLS 1.3 on loopback.
 *
 * Variants, each on a fresh copy of the same street (bx_street_copy: the
 * server must not hold the previous run's members, whose citizen IDs would
 * clash) and a freshly bootstrapped replica:
 *   whole   one sync_run: push and pull, the clerk's wait
 *   phases  sync_run with push_only, then with pull_only: the two halves
 *           timed apart, and the rows the pull sends back (the office's
 *           own rows: issue 11 wants them acknowledged by version instead)
 * Baseline: plain prepared INSERTs of the same N rows into a fresh replica
 * in one transaction (same pragmas; ids made by id_new and strings bound
 * without a copy, as rep_insert does), the floor of writing them at all.
 * Each figure is the median of REPEATS runs, the three sides in rotating
 * order round by round.
 *
 * Goal (issue 11): a clerk's sync after importing 100,000 members <= 2.5 s
 * (at other sizes the goal is scaled in proportion).
 *
 * usage: bench_sync [MEMBERS [REPEATS]]   (defaults 100000 3)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "value.h"
#include "store.h"
#include "sync.h"

#define MAX_REPEATS 9

static struct bx_office off;
static struct bx_rows members;
static const char *base;

/* One run's figures. */
struct run {
	double import, whole, push, pull;
	uint64_t pushed_txns, pulled_rows;
};

static int64_t
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		bx_die("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A fresh street and a bootstrapped office replica, the members imported;
 * then the timed sync (phases: push then pull). The server is stopped and
 * both sides checked to hold every member.
 */
static void
run_sync(int k, int phases, struct run *out)
{
	struct bx_street st;
	struct sync_report rep;
	struct replica *r;
	struct store *s;
	char dir[4200], path[4300], id[ID_TEXT_LEN + 1], err[1024] = "";
	double t0;

	memset(out, 0, sizeof *out);
	snprintf(dir, sizeof dir, "%s/run-%d-%d", base, k, phases);
	if (mkdir(dir, 0700) != 0)
		bx_die("mkdir %s: %s", dir, strerror(errno));
	bx_street_copy(&off.st, &st, dir);
	snprintf(path, sizeof path, "%s/office.db", dir);
	r = bx_replica_new(path, off.bundle);
	bx_server_start(&st);
	bx_sync(r, &st, 0, 0, &rep);   /* bootstrap: the street, the community, the branch */

	/* As member import: every row in one local transaction. */
	t0 = bx_now();
	if (rep_begin(r, "bench") != 0)
		bx_die("rep_begin failed");
	for (size_t i = 0; i < members.n; i++)
		if (rep_insert(r, TBL_MEMBER, bx_row(&members, i), id, err, sizeof err) != 0)
			bx_die("rep_insert: %s", err);
	if (rep_commit(r, err, sizeof err) != 0)
		bx_die("rep_commit: %s", err);
	out->import = bx_now() - t0;

	bx_settle();
	t0 = bx_now();
	if (!phases) {
		bx_sync(r, &st, 0, 0, &rep);
		out->whole = bx_now() - t0;
		out->pushed_txns = (uint64_t)rep.pushed_txns;
		out->pulled_rows = rep.pulled_rows;
	} else {
		bx_sync(r, &st, 1, 0, &rep);
		out->push = bx_now() - t0;
		out->pushed_txns = (uint64_t)rep.pushed_txns;
		t0 = bx_now();
		bx_sync(r, &st, 0, 1, &rep);
		out->pull = bx_now() - t0;
		out->pulled_rows = rep.pulled_rows;
		out->whole = out->push + out->pull;
	}
	bx_server_stop(&st);
	if (count(replica_db(r), "SELECT count(*) FROM member") != (int64_t)members.n ||
	    replica_info(r)->pending_txns != 0)
		bx_die("after the sync the replica holds %lld members and %lld pending transactions",
		    (long long)count(replica_db(r), "SELECT count(*) FROM member"),
		    (long long)replica_info(r)->pending_txns);
	replica_close(r);
	if ((s = store_open(st.dir, 0, err, sizeof err)) == NULL)
		bx_die("store_open: %s", err);
	if (store_count(s, "member") != (int64_t)members.n)
		bx_die("the server holds %lld members, expected %zu",
		    (long long)store_count(s, "member"), members.n);
	store_close(s);
	bx_rm_rf(dir);
}

/* Plain INSERTs of the same rows into a fresh replica, one transaction; seconds. */
static double
run_plain(int k)
{
	struct replica *r;
	sqlite3 *db;
	sqlite3_stmt *st;
	char path[4200], id[ID_TEXT_LEN + 1];
	double t0, t;

	snprintf(path, sizeof path, "%s/plain-%d.db", base, k);
	r = bx_replica_new(path, off.bundle);
	db = replica_db(r);
	st = bx_plain_prepare(db, TBL_MEMBER, 0);
	bx_settle();
	t0 = bx_now();
	bx_exec(db, "BEGIN IMMEDIATE");
	for (size_t i = 0; i < members.n; i++) {
		const Tongxin__Value *v = bx_row(&members, i);
		/* An id made and bound as rep_insert makes and binds it: strings without a copy. */
		if (id_new(id) != 0)
			bx_die("id_new failed");
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		for (int c = 0; c < schema_tables[TBL_MEMBER].ncols; c++)
			value_bind_static(st, c + 2, &v[c]);
		sqlite3_bind_int64(st, schema_tables[TBL_MEMBER].ncols + 2, (sqlite3_int64)i + 1);
		bx_step(db, st);
	}
	bx_exec(db, "COMMIT");
	t = bx_now() - t0;
	sqlite3_finalize(st);
	replica_close(r);
	bx_replica_rm(path);
	return t;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)bx_arg_long(argv[1], "MEMBERS") : 100000;
	int repeats = argc > 2 ? (int)bx_arg_long(argv[2], "REPEATS") : 3;
	struct run w[MAX_REPEATS], p[MAX_REPEATS];
	double tp[MAX_REPEATS], v[MAX_REPEATS], whole, push, pull, phases, plain, imp, load, goal;
	struct bx_refs refs;
	char buf[3][32];
	int ncpu;

	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_sync [MEMBERS [REPEATS]]\n");
		return 2;
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	base = bx_tmpdir("sync");
	bx_office_init(&off, base);
	bx_street_unlimited(&off.st, 64);
	memset(&refs, 0, sizeof refs);
	refs.org_id = off.branch_id;
	bx_rows_make(&members, TBL_MEMBER, 0, n, &refs);

	bx_load(&load, &ncpu);
	printf("(e) a clerk's sync after importing %s members: an office replica (a community's\n"
	    "    device, bootstrapped) writes them as member import does (one local transaction of\n"
	    "    rep_insert), then sync_run against tongxind serve over TLS 1.3 on loopback: whole\n"
	    "    (push and pull) and in phases (push_only, then pull_only), each on a fresh copy of\n"
	    "    the street; vs plain INSERTs of the same rows into a fresh replica in one\n"
	    "    transaction; median of %d runs, sides rotating; files on %s; load average %.1f on\n"
	    "    %d CPUs at start\n", bx_commas((double)n, buf[0], sizeof buf[0]), repeats,
	    bx_fs_name(base), load, ncpu);
	fflush(stdout);
	for (int k = 0; k < repeats; k++)
		for (int i = 0; i < 3; i++)
			switch ((i + k) % 3) {
			case 0: run_sync(k, 0, &w[k]); break;
			case 1: run_sync(k, 1, &p[k]); break;
			default: tp[k] = run_plain(k); break;
			}
	for (int k = 0; k < repeats; k++)
		v[k] = w[k].whole;
	whole = bx_median(v, repeats);
	for (int k = 0; k < repeats; k++)
		v[k] = p[k].push;
	push = bx_median(v, repeats);
	for (int k = 0; k < repeats; k++)
		v[k] = p[k].pull;
	pull = bx_median(v, repeats);
	for (int k = 0; k < repeats; k++)
		v[k] = p[k].whole;
	phases = bx_median(v, repeats);
	for (int k = 0; k < repeats; k++)
		v[k] = w[k].import;
	imp = bx_median(v, repeats);
	plain = bx_median(tp, repeats);

	printf("    %-40s %9s %9s  %s\n", "", "seconds", "rows/s", "/plain");
	printf("    %-40s %9.3f %9s  %5.2fx\n", "plain INSERTs (baseline)", plain,
	    bx_commas((double)n / plain, buf[0], sizeof buf[0]), 1.0);
	printf("    %-40s %9.3f %9s  %5.2fx\n", "import (rep_insert, one transaction)", imp,
	    bx_commas((double)n / imp, buf[0], sizeof buf[0]), imp / plain);
	printf("    %-40s %9.3f %9s  %5.2fx\n", "sync: push and pull (one sync_run)", whole,
	    bx_commas((double)n / whole, buf[0], sizeof buf[0]), whole / plain);
	printf("    %-40s %9.3f %9s  %5.2fx\n", "  phases: push (push_only)", push,
	    bx_commas((double)n / push, buf[0], sizeof buf[0]), push / plain);
	printf("    %-40s %9.3f %9s  %5.2fx\n", "  phases: pull after it (pull_only)", pull,
	    bx_commas((double)n / pull, buf[0], sizeof buf[0]), pull / plain);
	printf("    %-40s %9.3f %9s  %5.2fx\n", "  phases: push + pull", phases,
	    bx_commas((double)n / phases, buf[0], sizeof buf[0]), phases / plain);
	printf("    pushed %llu local transactions; the pull sent back %s rows (whole) and %s rows\n"
	    "    (after push_only) of the %s the office itself had just pushed\n",
	    (unsigned long long)w[0].pushed_txns,
	    bx_commas((double)w[0].pulled_rows, buf[0], sizeof buf[0]),
	    bx_commas((double)p[0].pulled_rows, buf[1], sizeof buf[1]),
	    bx_commas((double)n, buf[2], sizeof buf[2]));
	goal = 2.5 * (double)n / 100000.0;
	{
		char what[160];
		if (n == 100000)
			snprintf(what, sizeof what, "a clerk's sync after importing 100,000 members <= 2.5 s");
		else
			snprintf(what, sizeof what, "a clerk's sync after importing %s members <= %.3g s "
			    "(2.5 s per 100,000, scaled)", bx_commas((double)n, buf[0], sizeof buf[0]), goal);
		bx_goal(what, whole <= goal, "%.3f s (push %.3f s, pull %.3f s; %s rows pulled back)",
		    whole, push, pull, bx_commas((double)w[0].pulled_rows, buf[1], sizeof buf[1]));
	}
	bx_rows_free(&members);
	return 0;
}
