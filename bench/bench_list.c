/*
 * bench_list.c - (g) "tongxin member list" on a big replica: the real
 * program run as a child process on a replica of N members, its output (a
 * terminal table, and --csv) read through a pipe, its peak resident memory
 * taken from wait4's ru_maxrss and its time from fork to exit.
 *
 * The replica is filled fast with plain prepared INSERTs through the
 * schema (bx_plain_prepare, as bench_bootstrap's plain side): a community,
 * 50 branches, N members spread over them, generated and inserted 50,000
 * at a time so that this process never holds them all.
 *
 * Baselines, measured in the same rounds (sides rotating):
 *   memory  "tongxin --version": the program's own floor (libraries, heap)
 *   time    the same rows read in this process by one prepared SELECT
 *           (members with their branch's name, ordered by name, every
 *           column read as text): bare SQLite's floor for the listing
 *
 * Goal (issue 11): member list at 1,000,000 members under 64 MB peak (the
 * same cap is applied at any N: a list that streams does not grow with N).
 *
 * usage: bench_list [MEMBERS [REPEATS]]   (defaults 1000000 3)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define CHUNK 50000
#define NBRANCH 50
#define MAX_REPEATS 9
#define GOAL_MB 64.0

static char rpath[4200], logpath[4200];

/* Fill the replica at path: a community, NBRANCH branches, n members. */
static void
fill(const char *bundle, const char *street_id, size_t n)
{
	struct replica *r = bx_replica_new(rpath, bundle);
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *so = bx_plain_prepare(db, TBL_ORG, 0), *sm = bx_plain_prepare(db, TBL_MEMBER, 0);
	struct bx_refs refs;
	struct bx_rows comm, br;
	uint64_t version = 0;

	memset(&refs, 0, sizeof refs);
	refs.org_id = street_id;
	refs.org_kind = "community";
	bx_rows_make(&comm, TBL_ORG, 0, 1, &refs);
	refs.org_id = comm.ids[0];
	refs.org_kind = NULL;
	bx_rows_make(&br, TBL_ORG, 0, NBRANCH, &refs);
	bx_exec(db, "BEGIN IMMEDIATE");
	bx_plain_bind(so, TBL_ORG, comm.ids[0], bx_row(&comm, 0), ++version, NULL);
	bx_step(db, so);
	for (size_t b = 0; b < br.n; b++) {
		bx_plain_bind(so, TBL_ORG, br.ids[b], bx_row(&br, b), ++version, NULL);
		bx_step(db, so);
	}
	bx_exec(db, "COMMIT");
	for (size_t first = 0; first < n; first += CHUNK) {
		size_t k = n - first < CHUNK ? n - first : CHUNK;
		struct bx_rows ms;
		refs.org_id = br.ids[(first / CHUNK) % NBRANCH];
		bx_rows_make(&ms, TBL_MEMBER, first, k, &refs);
		bx_exec(db, "BEGIN IMMEDIATE");
		for (size_t i = 0; i < k; i++) {
			bx_plain_bind(sm, TBL_MEMBER, ms.ids[i], bx_row(&ms, i), ++version, NULL);
			bx_step(db, sm);
		}
		bx_exec(db, "COMMIT");
		bx_rows_free(&ms);
	}
	sqlite3_finalize(so);
	sqlite3_finalize(sm);
	bx_rows_free(&comm);
	bx_rows_free(&br);
	replica_close(r);
}

/* The bare listing in this process; seconds. */
static double
bare(size_t *rows)
{
	char err[1024] = "";
	struct replica *r = replica_open(rpath, err, sizeof err);
	sqlite3_stmt *st;
	double t0;

	if (r == NULL)
		bx_die("replica_open: %s", err);
	t0 = bx_now();
	if (sqlite3_prepare_v2(replica_db(r), "SELECT m.id, m.name, m.gender, m.birth_date, "
	    "m.category, o.name, m.join_date, m.phone, m.standing FROM member m LEFT JOIN org o "
	    "ON o.id = m.org_id ORDER BY m.name, m.id", -1, &st, NULL) != SQLITE_OK)
		bx_die("%s", sqlite3_errmsg(replica_db(r)));
	*rows = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < 9; c++)
			(void)sqlite3_column_text(st, c);   /* as a listing converts each value */
		(*rows)++;
	}
	sqlite3_finalize(st);
	t0 = bx_now() - t0;
	replica_close(r);
	return t0;
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? (size_t)bx_arg_long(argv[1], "MEMBERS") : 1000000, rows = 0;
	int repeats = argc > 2 ? (int)bx_arg_long(argv[2], "REPEATS") : 3, ncpu;
	char *text_argv[] = { (char *)bx_tongxin(), "--replica", rpath, "member", "list", NULL };
	char *csv_argv[] = { (char *)bx_tongxin(), "--replica", rpath, "--csv", "member", "list",
	    NULL };
	char *ver_argv[] = { (char *)bx_tongxin(), "--version", NULL };
	double tt[MAX_REPEATS], tc[MAX_REPEATS], tb[MAX_REPEATS], mt[MAX_REPEATS], mc[MAX_REPEATS];
	double mv[MAX_REPEATS], t_text, t_csv, t_bare, m_text, m_csv, m_ver, load, t0, fill_s;
	size_t out_text = 0, out_csv = 0;
	struct bx_street st;
	char bpath[4200], buf[2][32];
	const char *base;

	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_list [MEMBERS [REPEATS]]\n");
		return 2;
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	base = bx_tmpdir("list");
	bx_street_init(&st, base);
	snprintf(bpath, sizeof bpath, "%s/office.bundle", base);
	bx_enroll(&st, "bench-list", bpath);
	snprintf(rpath, sizeof rpath, "%s/office.db", base);
	snprintf(logpath, sizeof logpath, "%s/list.log", base);
	t0 = bx_now();
	fill(bpath, st.street_id, n);
	fill_s = bx_now() - t0;

	bx_load(&load, &ncpu);
	printf("(g) member list: tongxin member list (a table to a pipe, and --csv) as a child process\n"
	    "    on a replica of %s members in %d branches (filled by plain INSERTs in %.1f s), peak\n"
	    "    RSS from wait4, time from fork to exit; vs tongxin --version (memory floor) and the\n"
	    "    same rows read by one SELECT in this process (time floor); median of %d runs,\n"
	    "    sides rotating; files on %s; load average %.1f on %d CPUs at start\n",
	    bx_commas((double)n, buf[0], sizeof buf[0]), NBRANCH, fill_s, repeats, bx_fs_name(base),
	    load, ncpu);
	fflush(stdout);
	for (int k = 0; k < repeats; k++)
		for (int i = 0; i < 4; i++) {
			long kb = 0;
			switch ((i + k) % 4) {
			case 0:
				if (bx_child(text_argv, logpath, &tt[k], &kb, &out_text) != 0)
					bx_die("tongxin member list failed (see %s)", logpath);
				mt[k] = kb / 1024.0;
				break;
			case 1:
				if (bx_child(csv_argv, logpath, &tc[k], &kb, &out_csv) != 0)
					bx_die("tongxin --csv member list failed (see %s)", logpath);
				mc[k] = kb / 1024.0;
				break;
			case 2:
				if (bx_child(ver_argv, logpath, NULL, &kb, NULL) != 0)
					bx_die("tongxin --version failed");
				mv[k] = kb / 1024.0;
				break;
			default:
				tb[k] = bare(&rows);
				break;
			}
		}
	if (rows != n)
		bx_die("the bare listing read %zu members, expected %zu", rows, n);
	t_text = bx_median(tt, repeats);
	t_csv = bx_median(tc, repeats);
	t_bare = bx_median(tb, repeats);
	m_text = bx_median(mt, repeats);
	m_csv = bx_median(mc, repeats);
	m_ver = bx_median(mv, repeats);
	printf("    %-34s %9s %8s %10s %10s %9s\n", "", "output MB", "time s", "time/bare",
	    "peak MB", "peak/floor");
	printf("    %-34s %9s %8.3f %9.2fx %10s %9s\n", "bare SELECT in-process (baseline)", "-",
	    t_bare, 1.0, "-", "-");
	printf("    %-34s %9s %8s %10s %10.1f %8.2fx\n", "tongxin --version (baseline)", "-", "-",
	    "-", m_ver, 1.0);
	printf("    %-34s %9.1f %8.3f %9.2fx %10.1f %8.2fx\n", "tongxin member list (table)",
	    (double)out_text / 1e6, t_text, t_text / t_bare, m_text, m_text / m_ver);
	printf("    %-34s %9.1f %8.3f %9.2fx %10.1f %8.2fx\n", "tongxin --csv member list",
	    (double)out_csv / 1e6, t_csv, t_csv / t_bare, m_csv, m_csv / m_ver);
	{
		char what[160];
		double worst = m_text > m_csv ? m_text : m_csv;
		if (n == 1000000)
			snprintf(what, sizeof what, "member list at 1,000,000 members < 64 MB peak");
		else
			snprintf(what, sizeof what, "member list < 64 MB peak (the 1,000,000 cap, here at "
			    "%s members)", bx_commas((double)n, buf[0], sizeof buf[0]));
		bx_goal(what, worst < GOAL_MB, "table %.1f MB, csv %.1f MB (%.2f s, %.2f s)", m_text,
		    m_csv, t_text, t_csv);
	}
	return 0;
}
