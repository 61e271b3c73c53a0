/*
 * harness.h - what every benchmark shares: a monotonic clock, temporary
 * directories and child servers that are cleaned up however the program
 * ends, a street set up with the real tongxind (with the limits a
 * benchmark needs, copies of it, an office of a community, devices
 * enrolled by the thousand), deterministic rows of realistic size, the
 * plain INSERT statements the baselines use, child processes of the real
 * programs with their time and peak RSS, a process's VmRSS, and the goal
 * lines that bench/run.sh gathers into its summary.
 *
 * Benchmarks print ratios against a baseline measured in the same process,
 * so the helpers here take care that both sides pay the same costs: rows
 * are generated before the clock starts, and the plain statements bind
 * values with the same value_bind() the product uses.
 *
 * Error convention: helpers that cannot go on call bx_die(), which cleans
 * up (temporary directories, servers) and exits 1.
 */
#ifndef TX_BENCH_HARNESS_H
#define TX_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "ids.h"
#include "pki.h"
#include "replica.h"
#include "schema.h"
#include "tongxin.pb-c.h"

/* Seconds on CLOCK_MONOTONIC. */
double bx_now(void);
/*
 * CPU seconds (user + system) of this process. Other programs running on
 * the machine move wall times a lot and CPU times little, so benchmarks
 * that run in one process print both ratios.
 */
double bx_cpu(void);
/* The 1-minute load average and the number of CPUs, for the report. */
void bx_load(double *load1, int *ncpu);
/*
 * Flush dirty pages of earlier runs to disk before a timed run, so that the
 * kernel's write-back of one run does not land in the next one's time.
 */
void bx_settle(void);

/* Print "bench: message" on stderr, clean up and exit 1. */
void bx_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Make a private directory for this run under $BENCH_TMPDIR, $TMPDIR or
 * /tmp; it is removed (with everything in it) when the program exits or is
 * interrupted. Returns a static-lifetime string.
 */
const char *bx_tmpdir(const char *tag);
/* Remove a directory tree now (it may stay registered; removal is idempotent). */
void bx_rm_rf(const char *path);
/* Name of the file system holding path ("ext4", "tmpfs", ...), for the report. */
const char *bx_fs_name(const char *path);

/* The tongxind program: $TONGXIND, else the one built beside the benchmarks. */
const char *bx_tongxind(void);
/* Run argv (argv[0] a path) with stdout and stderr appended to log; its exit status. */
int bx_run(char *const argv[], const char *log);

/* A street made by "tongxind init", with a fixed listen port. */
struct bx_street {
	char dir[4096];         /* the data directory */
	char log[4200];         /* the server's and the commands' output */
	char listen[64];        /* 127.0.0.1:PORT */
	char street_id[ID_TEXT_LEN + 1];
	char scope[64];         /* the street's scope path, "/JD01/" */
	pid_t pid;              /* the running server, 0 if none */
};

/* "tongxind init" a street in base/srv listening on a free loopback port. */
void bx_street_init(struct bx_street *st, const char *base);
/*
 * The same with the root's flag ("--street" or "--district"), name and
 * code: street_id and scope are the root's.
 */
void bx_root_init(struct bx_street *st, const char *base, const char *flag, const char *name,
    const char *code);
/*
 * Append settings ("key = value" lines) to the street's tongxind.conf, read
 * by the next "tongxind serve". Benchmarks open connections far faster than
 * any office does, so they raise the per-address limits this way.
 */
void bx_street_conf(struct bx_street *st, const char *lines);
/*
 * The limits a benchmark's street needs: a connection rate and pre-auth
 * counts that a loop of handshakes from one address never reaches, and
 * room for `sessions` concurrent connections. Calls bx_street_conf().
 */
void bx_street_unlimited(struct bx_street *st, int sessions);
/* "tongxind enroll" a device of the street organisation; the bundle goes to path. */
void bx_enroll(struct bx_street *st, const char *device, const char *path);
/* "tongxind enroll" a device of organisation org_code (an office: --org C000). */
void bx_enroll_org(struct bx_street *st, const char *org_code, const char *device,
    const char *path);
/*
 * Enroll n devices PREFIX-0 .. PREFIX-(n-1) in this process (the server
 * must not be running: the store has one writer), as "tongxind enroll"
 * does, without writing bundles: the credentials go to creds[0..n-1] (free
 * each with pki_cred_clear). For where thousands of devices are needed and
 * a process each would dominate.
 */
void bx_enroll_mem(struct bx_street *st, const char *org_code, const char *prefix, int n,
    struct pki_cred *creds);
/*
 * Copy a stopped street (its data directory: store, CA, conf) to base/srv,
 * listening on the same port: a fresh server with the same devices and
 * rows, for runs that must not see each other's pushes.
 */
void bx_street_copy(const struct bx_street *from, struct bx_street *to, const char *base);
/* Start "tongxind serve" and wait until it accepts connections. */
void bx_server_start(struct bx_street *st);
/* SIGTERM the server and reap it (SIGKILL after 15 s). */
void bx_server_stop(struct bx_street *st);

/*
 * An office of the street: a community (code C000) and a branch of it
 * (B000) pushed to the server as the street's own device would, and a
 * device of the community enrolled into bundle. The server is stopped.
 */
struct bx_office {
	struct bx_street st;
	char bundle[4200];                    /* the office device's credential */
	char comm_id[ID_TEXT_LEN + 1];        /* the community organisation */
	char branch_id[ID_TEXT_LEN + 1];      /* the branch members go to */
};
void bx_office_init(struct bx_office *o, const char *base);

/*
 * Run the last sync of a benchmark: sync_run against st with a fresh
 * context and no session; dies on failure. The report goes to *rep.
 */
struct sync_report;
void bx_sync(struct replica *r, const struct bx_street *st, int push_only, int pull_only,
    struct sync_report *rep);

/* Join a replica at path from bundle and open it. */
struct replica *bx_replica_new(const char *path, const char *bundle);
/* Remove a closed replica's files (database, WAL, credential). */
void bx_replica_rm(const char *path);

/* --- rows ----------------------------------------------------------------- */

/* What generated rows refer to. */
struct bx_refs {
	const char *org_id;                       /* org of members and meetings */
	const char *org_kind;                     /* organisations made: NULL a branch, "community",
	                                             or "street" (under a district) */
	const char (*members)[ID_TEXT_LEN + 1];   /* attendance: who */
	size_t nmembers;
	const char (*meetings)[ID_TEXT_LEN + 1];  /* attendance: which meeting */
	size_t nmeetings;
};

/*
 * A set of rows of one table, generated before any clock starts: values
 * (ncols per row, strings in an arena owned by the set) and ids.
 */
struct bx_rows {
	int t;
	int ncols;
	size_t n;
	Tongxin__Value *vals;               /* n * ncols */
	char (*ids)[ID_TEXT_LEN + 1];       /* n ids (UUIDv7, made with id_new) */
	size_t bytes;                       /* text bytes of all values, for the report */
	void *arena;
};

/*
 * Generate rows first..first+n-1 of table t. Values depend only on the row
 * number and refs, and look like what an office enters: Chinese names,
 * valid citizen ID numbers (unique up to 10^6 rows), dates, phone numbers,
 * addresses. Columns this generator does not know are filled by type when
 * they are required, left NULL otherwise.
 */
void bx_rows_make(struct bx_rows *rs, int t, uint64_t first, size_t n, const struct bx_refs *refs);
void bx_rows_free(struct bx_rows *rs);
static inline const Tongxin__Value *
bx_row(const struct bx_rows *rs, size_t i)
{
	return &rs->vals[i * (size_t)rs->ncols];
}

/*
 * A prepared plain INSERT of every column of table t (id first, then the
 * schema's columns, then _version; with server != 0 the server's
 * bookkeeping columns as well). Bind with bx_plain_bind().
 */
sqlite3_stmt *bx_plain_prepare(sqlite3 *db, int t, int server);
/*
 * Bind a row to a statement from bx_plain_prepare(), without copies (the
 * values must outlive the step), as the apply, pull and capture paths bind:
 * the baseline is the cheapest plain insert, not one slowed by string copies.
 */
struct bx_srv_cols {
	uint64_t version;
	const char *scope;
	uint64_t hlc;
	const char *device;
};
void bx_plain_bind(sqlite3_stmt *st, int t, const char *id, const Tongxin__Value *vals,
    uint64_t version, const struct bx_srv_cols *srv);
/* Step, reset, and die on failure. */
void bx_step(sqlite3 *db, sqlite3_stmt *st);
/* Run constant SQL or die. */
void bx_exec(sqlite3 *db, const char *sql);

/*
 * Insert changes for rows [first, first+n) of rs as the replica would send
 * them (only set columns), as a Txn owned by the caller: free it with
 * bx_txn_free(), never with free_unpacked (values are borrowed from rs).
 */
Tongxin__Txn *bx_txn_make(const struct bx_rows *rs, size_t first, size_t n, uint64_t seq,
    uint64_t hlc);
void bx_txn_free(Tongxin__Txn *tx);

/* --- populating a store, and a fresh replica's bootstrap ----------------------- */

#define BX_TXN_ROWS 1000                   /* rows in one local transaction, as an import makes */
#define BX_PUSH_TXNS 256                   /* transactions in one push, as sync sends */
#define BX_PUSH_BYTES (4u * 1024u * 1024u)
#define BX_PAGE_ROWS 5000                  /* the baseline's transactions: a pull page's rows */

struct store;
struct store_actor;

/* The stopped server's store, opened in this process (its only writer), or die. */
struct store *bx_store_open(const struct bx_street *st);
/*
 * Push rs through store_push as who, in transactions of BX_TXN_ROWS (their
 * sequences from *seq, clocks from *hlc), batches like sync's; dies unless
 * every transaction is applied.
 */
void bx_push_rows(struct store *s, const struct store_actor *who, const struct bx_rows *rs,
    uint64_t *seq, uint64_t *hlc);
/* Rows of a table in a replica, or die. */
int64_t bx_count(struct replica *r, const char *table);
/*
 * A fresh replica at path (joined from bundle) pulls its whole scope with
 * sync_run from st, started for it and stopped after: the seconds, and the
 * rows pulled into *rows; dies unless each table t with expect[t] >= 0
 * holds that many rows.
 */
double bx_bootstrap(struct bx_street *st, const char *path, const char *bundle, uint64_t *rows,
    const int64_t expect[TBL_COUNT]);
/*
 * The baseline: plain INSERTs of the row sets into a fresh replica (joined
 * from bundle), BX_PAGE_ROWS per transaction; the time after sets[i] goes
 * to marks[i] when marks[i] >= 0 (a transaction ends there), and the
 * whole time to marks[nsets - 1].
 */
void bx_plain(const char *path, const char *bundle, struct bx_rows *const *sets, int nsets,
    double *marks);

/* --- child processes and memory ------------------------------------------- */

/* The tongxin program: $TONGXIN, else the one built beside the benchmarks. */
const char *bx_tongxin(void);
/* Raise this process's open-file limit to its hard limit; returns the new soft limit. */
long bx_raise_nofile(void);
/* VmRSS of a process in KiB (from /proc/PID/status), -1 if unknown. */
long bx_rss_kb(pid_t pid);
/*
 * Run argv (argv[0] a path) as a child with stdin from /dev/null, stderr
 * appended to log, and stdout read through a pipe and counted (drained as
 * a terminal or a pager would, so the child never blocks on it). Returns
 * the exit status; *secs is the wall time from fork to exit, *maxrss_kb
 * the child's peak RSS (wait4's ru_maxrss), *out_bytes what it wrote.
 * Any of the out-pointers may be NULL.
 */
int bx_child(char *const argv[], const char *log, double *secs, long *maxrss_kb,
    size_t *out_bytes);

/* --- figures --------------------------------------------------------------- */

/*
 * One line against a goal of issue 11: "goal: WHAT; here FIGURE — meets"
 * (or "— MISSES"), printed and, when $BENCH_SUMMARY names a file, appended
 * to it as "WHAT<TAB>FIGURE<TAB>meets|MISSES" for run.sh's summary table.
 */
void bx_goal(const char *what, int meets, const char *figure_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Median of n values (sorts v). */
double bx_median(double *v, int n);
/*
 * The median of the n ratios num[k] / den[k], the two sides of run k
 * measured one after the other, and their lowest and highest in *lo and
 * *hi (either may be NULL); n at most BX_MAX_RUNS. A machine that slows
 * down for a while slows both sides of that run's ratio, where a ratio of
 * the two medians can pair a slow run of one side with a fast one of the
 * other.
 */
#define BX_MAX_RUNS 64
double bx_ratio_median(const double *num, const double *den, int n, double *lo, double *hi);
/* "1,234,567" into buf. */
const char *bx_commas(double x, char *buf, size_t cap);
/* A positive integer argument, or die naming it. */
long bx_arg_long(const char *s, const char *what);

#endif
