/*
 * bench_scale.c - (h) no superlinear step: the same office work at N and at
 * 10N members (with attendance), timed at both sizes, and each 10N/N time
 * ratio printed against issue 11's goal (<= 10.5x: at most a little worse
 * than linear, where a random-order index or an O(n^2) step would show).
 *
 * One run at size S, on a fresh copy of the same street (bx_street_copy)
 * with a real "tongxind serve" child process on loopback:
 *   import     an office replica (a community's device, bootstrapped) writes
 *              S members as member import does (one local transaction of
 *              rep_insert, with the import's page cache: DOM_BULK_CACHE_KIB),
 *              then S/1000 meetings, each with 1000 attendance
 *              rows in a local transaction of its own (as meeting entry);
 *              rows are generated with the clock stopped
 *   push       sync_run push_only: the office sends all of it (reported, not
 *              a goal of its own: bench_sync times the clerk's sync)
 *   pull after the push   sync_run pull_only right after
 *   bootstrap  a new device of the same community, a fresh replica, one
 *              sync_run: the whole scope, 2S + S/1000 rows and the orgs
 * Sizes alternate run by run (N first, then 10N first) so drift hits both;
 * each time is the median of REPEATS runs, and each ratio the median of the
 * REPEATS ratios of a run's two sizes, measured one after the other
 * (bx_ratio_median), with the lowest and highest of them beside it.
 *
 * usage: bench_scale [N [REPEATS]]   (defaults 100000 3: 100,000 vs 1,000,000)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "harness.h"
#include "sync.h"

#define CHUNK 50000
#define PER_MEETING 1000
#define MAX_REPEATS 9
#define GOAL_RATIO 10.5

enum { F_IMPORT, F_IMPORT_MEMBERS, F_PUSH, F_PULL, F_BOOT, NF };
static const char *const fig_name[NF] = { "import (members + attendance)", "  of it the members",
	"push (push_only)", "pull after the push", "bootstrap of a new replica" };
static const int fig_goal[NF] = { 1, 0, 0, 1, 1 };

static struct bx_office off;
static const char *base;

/* Insert rows [0, rs->n) of rs through the replica; ids to ids_out[0..) if given. */
static void
insert_rows(struct replica *r, const struct bx_rows *rs, char (*ids_out)[ID_TEXT_LEN + 1])
{
	char id[ID_TEXT_LEN + 1], err[1024] = "";

	for (size_t i = 0; i < rs->n; i++) {
		if (rep_insert(r, rs->t, bx_row(rs, i), id, err, sizeof err) != 0)
			bx_die("rep_insert %s: %s", schema_tables[rs->t].name, err);
		if (ids_out != NULL)
			memcpy(ids_out[i], id, sizeof id);
	}
}

/*
 * The import at size s into r; seconds with the row generation left out,
 * those of the members' transaction (the first part) in *members.
 */
static double
import(struct replica *r, size_t s, double *members)
{
	char (*mids)[ID_TEXT_LEN + 1] = calloc(s, sizeof *mids), err[1024] = "";
	struct bx_refs refs;
	double spent = 0, t0;
	size_t nmeet = (s + PER_MEETING - 1) / PER_MEETING;
	int cache_old;

	if (mids == NULL)
		bx_die("out of memory");
	memset(&refs, 0, sizeof refs);
	refs.org_id = off.branch_id;
	t0 = bx_now();
	/* As member import does (its page cache for the random-order citizen ID index). */
	dom_cache_raise(replica_db(r), DOM_BULK_CACHE_KIB, &cache_old);
	if (rep_begin(r, "bench") != 0)
		bx_die("rep_begin failed");
	for (size_t first = 0; first < s; first += CHUNK) {
		struct bx_rows ms;
		spent += bx_now() - t0;
		bx_rows_make(&ms, TBL_MEMBER, first, s - first < CHUNK ? s - first : CHUNK, &refs);
		t0 = bx_now();
		insert_rows(r, &ms, mids + first);
		spent += bx_now() - t0;
		bx_rows_free(&ms);
		t0 = bx_now();
	}
	if (rep_commit(r, err, sizeof err) != 0)
		bx_die("rep_commit: %s", err);
	dom_cache_restore(replica_db(r), cache_old);
	spent += bx_now() - t0;
	*members = spent;
	refs.members = (const char (*)[ID_TEXT_LEN + 1])mids;
	refs.nmembers = s;
	for (size_t m = 0; m < nmeet; m++) {
		struct bx_rows mt, att;
		char mid[ID_TEXT_LEN + 1];
		size_t first = m * PER_MEETING, k = s - first < PER_MEETING ? s - first : PER_MEETING;
		refs.meetings = NULL;
		refs.nmeetings = 0;
		bx_rows_make(&mt, TBL_MEETING, m, 1, &refs);
		t0 = bx_now();
		if (rep_begin(r, "bench") != 0)
			bx_die("rep_begin failed");
		insert_rows(r, &mt, &mid);
		spent += bx_now() - t0;
		refs.meetings = (const char (*)[ID_TEXT_LEN + 1])&mid;
		refs.nmeetings = 1;
		/* Rows first.. of a meeting of PER_MEETING: distinct members, this meeting. */
		bx_rows_make(&att, TBL_ATTENDANCE, first, k, &refs);
		t0 = bx_now();
		insert_rows(r, &att, NULL);
		if (rep_commit(r, err, sizeof err) != 0)
			bx_die("rep_commit: %s", err);
		spent += bx_now() - t0;
		bx_rows_free(&mt);
		bx_rows_free(&att);
	}
	free(mids);
	return spent;
}

static int64_t
count(struct replica *r, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		bx_die("%s", sqlite3_errmsg(replica_db(r)));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* One run at size s: the four figures into f. */
static void
run(size_t s, int k, double f[NF])
{
	struct bx_street st;
	struct sync_report rep;
	struct replica *r;
	char dir[4200], path[4300], bundle[4300], dev[64];
	double t0;

	snprintf(dir, sizeof dir, "%s/run-%zu-%d", base, s, k);
	if (mkdir(dir, 0700) != 0)
		bx_die("mkdir %s: %s", dir, strerror(errno));
	bx_street_copy(&off.st, &st, dir);
	snprintf(path, sizeof path, "%s/office.db", dir);
	r = bx_replica_new(path, off.bundle);
	bx_server_start(&st);
	bx_sync(r, &st, 0, 0, &rep);   /* bootstrap the small community */
	/* As before the other steps: the copies' and the last run's writes are on disk first. */
	bx_settle();
	f[F_IMPORT] = import(r, s, &f[F_IMPORT_MEMBERS]);
	bx_settle();
	t0 = bx_now();
	bx_sync(r, &st, 1, 0, &rep);
	f[F_PUSH] = bx_now() - t0;
	t0 = bx_now();
	bx_sync(r, &st, 0, 1, &rep);
	f[F_PULL] = bx_now() - t0;
	if (replica_info(r)->pending_txns != 0 || count(r, "member") != (int64_t)s ||
	    count(r, "attendance") != (int64_t)s)
		bx_die("after the push the office holds %lld members, %lld attendance rows and %lld "
		    "pending transactions", (long long)count(r, "member"),
		    (long long)count(r, "attendance"), (long long)replica_info(r)->pending_txns);
	replica_close(r);
	bx_replica_rm(path);

	/* A new device of the same community bootstraps it all. */
	bx_server_stop(&st);
	snprintf(dev, sizeof dev, "bench-boot-%zu-%d", s, k);
	snprintf(bundle, sizeof bundle, "%s/boot.bundle", dir);
	bx_enroll_org(&st, "C000", dev, bundle);
	snprintf(path, sizeof path, "%s/boot.db", dir);
	r = bx_replica_new(path, bundle);
	bx_server_start(&st);
	bx_settle();
	t0 = bx_now();
	bx_sync(r, &st, 0, 0, &rep);
	f[F_BOOT] = bx_now() - t0;
	bx_server_stop(&st);
	if (count(r, "member") != (int64_t)s || count(r, "attendance") != (int64_t)s)
		bx_die("the new replica holds %lld members and %lld attendance rows, expected %zu",
		    (long long)count(r, "member"), (long long)count(r, "attendance"), s);
	replica_close(r);
	bx_rm_rf(dir);
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)bx_arg_long(argv[1], "N") : 100000, sizes[2];
	int repeats = argc > 2 ? (int)bx_arg_long(argv[2], "REPEATS") : 3, ncpu;
	double f[2][NF][MAX_REPEATS], med[2][NF], rmed[NF], rlo[NF], rhi[NF], load;
	char buf[2][32];

	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_scale [N [REPEATS]]\n");
		return 2;
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	sizes[0] = n;
	sizes[1] = 10 * n;
	base = bx_tmpdir("scale");
	bx_office_init(&off, base);
	bx_street_unlimited(&off.st, 64);
	bx_load(&load, &ncpu);
	printf("(h) scale: an office's import (members in one local transaction, then a meeting of\n"
	    "    1000 attendance rows per transaction), its push, the pull after it and a new\n"
	    "    replica's bootstrap, against tongxind serve over TLS 1.3 on loopback, at %s and\n"
	    "    %s members (as many attendance rows); fresh street copies; median of %d runs,\n"
	    "    sizes alternating; files on %s; load average %.1f on %d CPUs at start\n",
	    bx_commas((double)sizes[0], buf[0], sizeof buf[0]),
	    bx_commas((double)sizes[1], buf[1], sizeof buf[1]), repeats, bx_fs_name(base), load, ncpu);
	fflush(stdout);
	for (int k = 0; k < repeats; k++)
		for (int i = 0; i < 2; i++) {
			int z = (i + k) % 2;
			double one[NF];
			run(sizes[z], k, one);
			for (int j = 0; j < NF; j++)
				f[z][j][k] = one[j];
		}
	for (int j = 0; j < NF; j++)
		rmed[j] = bx_ratio_median(f[1][j], f[0][j], repeats, &rlo[j], &rhi[j]);
	for (int z = 0; z < 2; z++)
		for (int j = 0; j < NF; j++)
			med[z][j] = bx_median(f[z][j], repeats);
	printf("    %-32s %10s %10s %8s  %s\n", "", "N s", "10N s", "10N/N", "runs' 10N/N");
	for (int j = 0; j < NF; j++)
		printf("    %-32s %10.3f %10.3f %7.2fx  %.2f-%.2fx\n", fig_name[j], med[0][j],
		    med[1][j], rmed[j], rlo[j], rhi[j]);
	for (int j = 0; j < NF; j++) {
		char what[160];
		if (!fig_goal[j])
			continue;
		snprintf(what, sizeof what, "%s: %s/%s members <= 10.5x", fig_name[j],
		    bx_commas((double)sizes[1], buf[1], sizeof buf[1]),
		    bx_commas((double)sizes[0], buf[0], sizeof buf[0]));
		bx_goal(what, rmed[j] <= GOAL_RATIO, "%.2fx (runs %.2f-%.2fx; %.3f s vs %.3f s)",
		    rmed[j], rlo[j], rhi[j], med[1][j], med[0][j]);
	}
	return 0;
}
