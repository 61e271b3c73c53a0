/*
 * bench_capture.c - (a) the cost of capture: member inserts through the
 * replica (rep_begin; rep_insert x N; rep_commit), which also write the
 * outbox and the pending list, against plain INSERTs of the same rows into
 * the member table of a second, identical replica.
 *
 * Both replicas are made by replica_join and opened by replica_open, so
 * they have the same schema, indexes and pragmas (WAL, synchronous=NORMAL,
 * foreign_keys=ON). The plain side uses one prepared statement, makes its
 * ids with the same id_new(), binds as rep_insert does (value_bind_static:
 * strings without a copy), uses the
 * same BEGIN IMMEDIATE and the same transaction sizes. Rows are generated
 * before any clock starts. Each time is the median of REPEATS runs, each
 * run on fresh replicas, the order of the sides rotating; each ratio is the
 * median of the runs' own ratios (bx_ratio_median), their range printed.
 *
 * usage: bench_capture [ROWS [SINGLE_ROWS [REPEATS]]]
 *   (environment, for a profiler: BENCH_CAPTURE_MODES=13 runs modes 1 and 3
 *   only, BENCH_CAPTURE_SIDE=plain, capture or floor one side only)
 *   ROWS         rows for the bulk modes (default 100000)
 *   SINGLE_ROWS  rows for the one-row-per-transaction mode (default 10000)
 *   REPEATS      runs per figure (default 5)
 *
 * Besides wall times it prints the ratio of CPU times (user + system of
 * this process): other programs on the machine move the first much more
 * than the second. The wall ratio is the figure; the CPU ratio leaves out
 * waiting for the disk, so it is the lower of the two when capture writes
 * more.
 *
 * A third side, the floor, is what any outbox kept in the same SQLite
 * transaction as the rows must cost at least: the plain inserts and, per
 * transaction, one outbox row of 16 bytes. In SQLite every b-tree a
 * transaction changes is at least one more page in the WAL: a one-row
 * transaction of plain writes 5 pages (the row and its indexes), with an
 * outbox 6. The floor's ratio shows how much of capture's is that page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "value.h"

#define MAX_REPEATS 15

struct mode {
	const char *name;
	size_t rows;
	size_t per_txn;       /* rows per local transaction */
};

static struct bx_rows rows;
static const char *bundle;
static const char *base;

/*
 * Bytes this process has passed to write calls, and the number of those
 * calls (/proc/self/io wchar, syscw): SQLite's WAL frames and checkpoint
 * writes, the figure that capture's outbox adds to. 0 where unreadable.
 */
static void
io_now(double *bytes, double *calls)
{
	FILE *f = fopen("/proc/self/io", "r");
	char line[128];
	unsigned long long v;

	*bytes = *calls = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "wchar: %llu", &v) == 1)
			*bytes = (double)v;
		else if (sscanf(line, "syscw: %llu", &v) == 1)
			*calls = (double)v;
	}
	fclose(f);
}

/* A run's writes: bytes and calls, taken as differences of io_now. */
struct io {
	double bytes, calls;
};

static void
io_start(struct io *io)
{
	io_now(&io->bytes, &io->calls);
}

static void
io_stop(struct io *io)
{
	double b, c;

	io_now(&b, &c);
	io->bytes = b - io->bytes;
	io->calls = c - io->calls;
}

static double
file_mb(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (double)sb.st_size / 1e6 : 0;
}

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
 * Inserts with capture; returns wall seconds, CPU seconds in *cpu, the
 * outbox's bytes per change in *obytes.
 */
static double
run_capture(const struct mode *m, const char *path, double *mb, double *cpu, struct io *io,
    double *obytes)
{
	struct replica *r = bx_replica_new(path, bundle);
	char id[ID_TEXT_LEN + 1], err[1024] = "";
	double t0, t1;

	bx_settle();
	io_start(io);
	*cpu = bx_cpu();
	t0 = bx_now();
	for (size_t i = 0; i < m->rows; i += m->per_txn) {
		size_t end = i + m->per_txn < m->rows ? i + m->per_txn : m->rows;
		if (rep_begin(r, "bench") != 0)
			bx_die("rep_begin failed");
		for (size_t j = i; j < end; j++)
			if (rep_insert(r, TBL_MEMBER, bx_row(&rows, j), id, err, sizeof err) != 0)
				bx_die("rep_insert: %s", err);
		if (rep_commit(r, err, sizeof err) != 0)
			bx_die("rep_commit: %s", err);
	}
	t1 = bx_now();
	*cpu = bx_cpu() - *cpu;
	io_stop(io);
	if (count(replica_db(r), "SELECT count(*) FROM member") != (int64_t)m->rows ||
	    count(replica_db(r), "SELECT coalesce(sum(nchanges), 0) FROM outbox") !=
	    (int64_t)m->rows)
		bx_die("capture: the replica does not hold %zu rows and changes", m->rows);
	*obytes = (double)count(replica_db(r), "SELECT sum(length(txn)) FROM outbox") /
	    (double)m->rows;
	replica_close(r);
	*mb = file_mb(path);
	bx_replica_rm(path);
	return t1 - t0;
}

/*
 * Bind one member row as rep_insert binds it: text values without a copy
 * (value_bind_static), every parameter bound again for each row. The
 * harness's bx_plain_bind copies every string (value_bind), which made the
 * baseline slower than the insert inside capture.
 */
static void
plain_bind(sqlite3_stmt *st, const char *id, const Tongxin__Value *vals)
{
	int nc = schema_tables[TBL_MEMBER].ncols;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	for (int c = 0; c < nc; c++)
		value_bind_static(st, c + 2, &vals[c]);
	sqlite3_bind_int64(st, nc + 2, 0);
}

/*
 * Plain INSERTs of the same rows; returns wall seconds, CPU seconds in *cpu.
 * floor: each transaction also writes one outbox row of 16 bytes (the
 * replica's own outbox table, capture's statement).
 */
static double
run_plain(const struct mode *m, const char *path, double *mb, double *cpu, struct io *io,
    bool floor)
{
	struct replica *r = bx_replica_new(path, bundle);
	sqlite3 *db = replica_db(r);
	sqlite3_stmt *st = bx_plain_prepare(db, TBL_MEMBER, 0), *ob = NULL;
	static const uint8_t entry[16] = { 8, 1, 16, 1, 24, 1 };
	char id[ID_TEXT_LEN + 1];
	int64_t seq = 1;
	double t0, t1;

	if (floor && sqlite3_prepare_v2(db, "INSERT INTO outbox (seq, hlc, created_at, nchanges, "
	    "txn) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ob, NULL) != SQLITE_OK)
		bx_die("outbox insert: %s", sqlite3_errmsg(db));

	bx_settle();
	io_start(io);
	*cpu = bx_cpu();
	t0 = bx_now();
	for (size_t i = 0; i < m->rows; i += m->per_txn) {
		size_t end = i + m->per_txn < m->rows ? i + m->per_txn : m->rows;
		bx_exec(db, "BEGIN IMMEDIATE");
		for (size_t j = i; j < end; j++) {
			if (id_new(id) != 0)
				bx_die("id_new failed");
			plain_bind(st, id, bx_row(&rows, j));
			bx_step(db, st);
		}
		if (ob != NULL) {
			sqlite3_bind_int64(ob, 1, seq);
			sqlite3_bind_int64(ob, 2, seq);
			sqlite3_bind_int64(ob, 3, now_ms());
			sqlite3_bind_int64(ob, 4, (sqlite3_int64)(end - i));
			sqlite3_bind_blob(ob, 5, entry, sizeof entry, SQLITE_STATIC);
			bx_step(db, ob);
			seq++;
		}
		bx_exec(db, "COMMIT");
	}
	t1 = bx_now();
	*cpu = bx_cpu() - *cpu;
	io_stop(io);
	sqlite3_finalize(st);
	sqlite3_finalize(ob);
	if (count(db, "SELECT count(*) FROM member") != (int64_t)m->rows)
		bx_die("plain: the replica does not hold %zu rows", m->rows);
	replica_close(r);
	*mb = file_mb(path);
	bx_replica_rm(path);
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	size_t nrows = argc > 1 ? (size_t)bx_arg_long(argv[1], "ROWS") : 100000;
	size_t nsingle = argc > 2 ? (size_t)bx_arg_long(argv[2], "SINGLE_ROWS") : 10000;
	int repeats = argc > 3 ? (int)bx_arg_long(argv[3], "REPEATS") : 5;
	struct mode modes[] = {
		{ "one local transaction", nrows, nrows },
		{ "1000 rows per transaction", nrows, 1000 },
		{ "1 row per transaction", nsingle, 1 },
	};
	struct bx_street st;
	struct bx_refs refs;
	char org[ID_TEXT_LEN + 1], bpath[4200], buf[3][32];
	static char bstore[4200];
	double worst = 0, worst_lo = 0, worst_hi = 0, load;
	const char *worst_mode = "";
	int ncpu;
	/*
	 * For a profiler: BENCH_CAPTURE_MODES (digits of the modes to run,
	 * e.g. "3") and BENCH_CAPTURE_SIDE ("plain", "capture" or "floor": only
	 * that side runs, the others' figures are 1).
	 */
	const char *only_mode = getenv("BENCH_CAPTURE_MODES") ? getenv("BENCH_CAPTURE_MODES") : "";
	int only_side = getenv("BENCH_CAPTURE_SIDE") ? getenv("BENCH_CAPTURE_SIDE")[0] : 0;

	if (argc > 4 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_capture [ROWS [SINGLE_ROWS [REPEATS]]]\n");
		return 2;
	}
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	base = bx_tmpdir("capture");
	bx_street_init(&st, base);
	snprintf(bpath, sizeof bpath, "%s/bench.bundle", base);
	bx_enroll(&st, "bench-capture", bpath);
	snprintf(bstore, sizeof bstore, "%s", bpath);
	bundle = bstore;

	memset(&refs, 0, sizeof refs);
	if (id_new(org) != 0)
		bx_die("id_new failed");
	refs.org_id = org;
	bx_rows_make(&rows, TBL_MEMBER, 0, nrows > nsingle ? nrows : nsingle, &refs);

	bx_load(&load, &ncpu);
	printf("(a) capture: member inserts through rep_insert (data + outbox + pending) vs plain\n"
	    "    prepared INSERTs of the same rows into the same table of an identical replica;\n"
	    "    both replicas: WAL, synchronous=NORMAL, foreign_keys=ON; same BEGIN IMMEDIATE and\n"
	    "    transaction sizes; ~%zu bytes of values per row; median of %d runs, sides\n"
	    "    alternating; files on %s; load average %.1f on %d CPUs at start\n",
	    rows.bytes / rows.n, repeats, bx_fs_name(base), load, ncpu);
	printf("    %-26s %8s %8s %8s %10s %10s %13s  %s    %s\n", "", "", "", "", "", "",
	    "file MB", "capture/plain", "floor/plain");
	printf("    %-26s %8s %8s %8s %10s %10s %13s  %6s %6s  %6s %6s\n", "local transactions",
	    "rows", "plain s", "capt s", "plain r/s", "capt r/s", "plain  capt", "wall", "cpu",
	    "wall", "cpu");
	for (size_t mi = 0; mi < sizeof modes / sizeof modes[0]; mi++) {
		const struct mode *m = &modes[mi];
		/* Per side (plain, capture, floor) and run: wall, CPU, bytes and calls written. */
		double t[3][MAX_REPEATS], cpu[3][MAX_REPEATS], wb[3][MAX_REPEATS], wc[3][MAX_REPEATS];
		double ob[MAX_REPEATS], mb[3] = { 0, 0, 0 }, med[3];
		double rwall, rcpu, fwall, fcpu, rlo, rhi, flo, fhi;
		double ntx = (double)((m->rows + m->per_txn - 1) / m->per_txn);
		static const char *const side_name[3] = { "plain", "cap", "floor" };
		struct io io;
		char path[4200];

		if (only_mode[0] != '\0' && strchr(only_mode, (int)('1' + mi)) == NULL)
			continue;
		for (int k = 0; k < repeats; k++) {
			/* Rotate which side goes first: the disk and the page cache warm up. */
			for (int n = 0; n < 3; n++) {
				int side = (n + k) % 3;
				bool run = only_side == 0 || (side == 0 && only_side == 'p') ||
				    (side == 1 && only_side == 'c') || (side == 2 && only_side == 'f');

				t[side][k] = cpu[side][k] = wb[side][k] = wc[side][k] = 1;
				if (side == 1)
					ob[k] = 0;
				if (!run)
					continue;
				snprintf(path, sizeof path, "%s/%s-%zu-%d.db", base, side_name[side], mi, k);
				if (side == 1)
					t[1][k] = run_capture(m, path, &mb[1], &cpu[1][k], &io, &ob[k]);
				else
					t[side][k] = run_plain(m, path, &mb[side], &cpu[side][k], &io, side == 2);
				wb[side][k] = io.bytes;
				wc[side][k] = io.calls;
			}
		}
		/* Each ratio is the median of the runs' own (before bx_median sorts the times). */
		rwall = bx_ratio_median(t[1], t[0], repeats, &rlo, &rhi);
		rcpu = bx_ratio_median(cpu[1], cpu[0], repeats, NULL, NULL);
		fwall = bx_ratio_median(t[2], t[0], repeats, &flo, &fhi);
		fcpu = bx_ratio_median(cpu[2], cpu[0], repeats, NULL, NULL);
		for (int side = 0; side < 3; side++)
			med[side] = bx_median(t[side], repeats);
		if (rwall > worst) {
			worst = rwall;
			worst_lo = rlo;
			worst_hi = rhi;
			worst_mode = m->name;
		}
		printf("    %-26s %8s %8.3f %8.3f %10s %10s %6.1f %6.1f  %5.2fx %5.2fx  %5.2fx %5.2fx\n",
		    m->name, bx_commas((double)m->rows, buf[0], sizeof buf[0]), med[0], med[1],
		    bx_commas((double)m->rows / med[0], buf[1], sizeof buf[1]),
		    bx_commas((double)m->rows / med[1], buf[2], sizeof buf[2]), mb[0], mb[1],
		    rwall, rcpu, fwall, fcpu);
		printf("    %-26s runs' capture/plain %.2f-%.2fx, floor/plain %.2f-%.2fx (wall)\n", "",
		    rlo, rhi, flo, fhi);
		/* What each side wrote (WAL frames, checkpoints), per local transaction. */
		printf("    %-26s written %.1f / %.1f MB (%.2fx), per transaction %.1f / %.1f KB in "
		    "%.1f / %.1f write calls; outbox %.0f bytes a change\n", "",
		    bx_median(wb[0], repeats) / 1e6, bx_median(wb[1], repeats) / 1e6,
		    bx_median(wb[1], repeats) / bx_median(wb[0], repeats),
		    bx_median(wb[0], repeats) / ntx / 1e3, bx_median(wb[1], repeats) / ntx / 1e3,
		    bx_median(wc[0], repeats) / ntx, bx_median(wc[1], repeats) / ntx,
		    bx_median(ob, repeats));
		fflush(stdout);
	}
	bx_goal("capture <= 1.2x plain in every mode, one-row transactions included", worst <= 1.2,
	    "worst %.2fx (%s, wall; runs %.2f-%.2fx)", worst, worst_mode, worst_lo, worst_hi);
	bx_rows_free(&rows);
	return 0;
}
