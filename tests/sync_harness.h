/*
 * sync_harness.h - shared helpers for the sync integration tests
 * (test_sync_*.c). Header-only: every function is static, so each test
 * program includes it once and the test CMake glob needs no change.
 *
 * What it gives a test:
 *   - a private temporary directory, kept (and named) when a check fails;
 *   - a real tongxind: init, enroll, serve as a child process on a free
 *     loopback port, stop with SIGTERM (expecting exit 0) or kill -9;
 *   - devices: a bundle, a joined replica, in-process sync_run();
 *   - row builders (members with valid citizen ID numbers, meetings,
 *     attendance, organisations) that go through the capture API;
 *   - checks against the server's database: table hashes per scope with a
 *     row-by-row diff on mismatch, and the "every local transaction is
 *     accounted for" audit (outbox, outcome, txn_log, conflict queue).
 *
 * A failed H_CHECK prints where and why, the random seed, the kept
 * directory and the tail of the server's log, kills the servers this test
 * started and exits 1. In a forked child it only _exit()s.
 */
#ifndef TX_SYNC_HARNESS_H
#define TX_SYNC_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#ifdef TX_HAVE_PG
#include <libpq-fe.h>

#include "store.h"   /* the SQLite store makes the schema of srv_db_path's copy */
#endif

#include "ids.h"
#include "region.h"
#include "replica.h"
#include "schema.h"
#include "sync.h"
#include "validate.h"
#include "value.h"

#define H_MAX_SERVERS 4

struct h_server {
	char dir[4096];      /* data directory */
	char addr[64];       /* 127.0.0.1:PORT it serves on */
	int port;
	pid_t pid;           /* 0 when not running */
	int starts;
	char log[4200];      /* serve's stdout and stderr, appended over restarts */
	char tag[32];
	/*
	 * The PostgreSQL database it keeps its data in (tongxind init --store),
	 * when the test runs with TX_PG_URI set (tests/pg_run.sh); "" for the
	 * SQLite store in dir. srv_db then reads a copy (srv_db_path).
	 */
	char store[1024];
	char snap[4300];     /* that copy, an SQLite file beside dir */
};

struct h_dev {
	char name[65];
	char org_code[65];
	char path[4200];     /* replica file */
	char scope[512];     /* organisation path prefix, from the server */
	char device_id[40];
	struct replica *r;
	int admin;
};

static __attribute__((unused)) struct {
	const char *test;
	uint64_t seed;
	int have_seed;
	pid_t main_pid;
	char tmp[4096];
	struct h_server *servers[H_MAX_SERVERS];
	int nservers;
	const char *tongxind;
	const char *tongxin;
	int port_base_try;
	struct timespec t0;
} H;

/* ---------------------------------------------------------------- basics */

static __attribute__((unused)) double
h_elapsed(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - H.t0.tv_sec) + (double)(t.tv_nsec - H.t0.tv_nsec) / 1e9;
}

static __attribute__((unused)) void
h_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static __attribute__((unused)) void
h_log(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "[%s %7.2fs] ", H.test, h_elapsed());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static __attribute__((unused)) void
h_kill_servers(void)
{
	for (int i = 0; i < H.nservers; i++) {
		struct h_server *s = H.servers[i];
		if (s != NULL && s->pid > 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			s->pid = 0;
		}
	}
}

static __attribute__((unused)) void
h_print_log_tail(const struct h_server *s, size_t max)
{
	FILE *fp = fopen(s->log, "r");
	long size;
	char buf[8192];
	size_t n;

	if (fp == NULL)
		return;
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	if (size > (long)max)
		fseek(fp, size - (long)max, SEEK_SET);
	else
		fseek(fp, 0, SEEK_SET);
	fprintf(stderr, "---- last %zu bytes of %s ----\n", max, s->log);
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "---- end of log ----\n");
	fclose(fp);
}

static __attribute__((unused)) void h_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

static __attribute__((unused)) void
h_fail_at(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n%s:%d: CHECK FAILED: %s\n  ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (getpid() != H.main_pid) {
		fflush(stderr);
		_exit(99);
	}
	fprintf(stderr, "  test %s, seed %llu (rerun with TX_SEED=%llu)\n", H.test,
	    (unsigned long long)H.seed, (unsigned long long)H.seed);
	if (H.tmp[0])
		fprintf(stderr, "  files kept in %s\n", H.tmp);
	for (int i = 0; i < H.nservers; i++)
		h_print_log_tail(H.servers[i], 3000);
	h_kill_servers();
	fflush(stderr);
	exit(1);
}

#define H_CHECK(cond, ...)                                                   \
	do {                                                                 \
		if (!(cond))                                                 \
			h_fail_at(__FILE__, __LINE__, #cond, __VA_ARGS__);  \
	} while (0)

/* Failures are final for this process; keep going only if it holds. */
#define H_OK(expr) H_CHECK((expr) == 0, "%s", #expr)

static __attribute__((unused)) void
h_atexit(void)
{
	if (getpid() == H.main_pid)
		h_kill_servers();
}

static __attribute__((unused)) int
h_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A program's path: from the environment (ctest), else beside this test's build dir. */
static __attribute__((unused)) const char *
h_prog(const char *env, const char *name)
{
	static char bufs[2][4200];
	static int k;
	const char *v = getenv(env);
	char self[4096];
	ssize_t n;
	char *slash;

	if (v != NULL && v[0] != '\0')
		return v;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	H_CHECK(n > 0, "cannot find %s: set %s", name, env);
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	k ^= 1;
	snprintf(bufs[k], sizeof bufs[k], "%s/../%s", self, name);
	H_CHECK(access(bufs[k], X_OK) == 0, "cannot find %s (tried %s): set %s", name, bufs[k], env);
	return bufs[k];
}

/* Random numbers: xorshift64*, seeded per test and printed. */
static __attribute__((unused)) uint64_t h_rng_state;

static __attribute__((unused)) uint64_t
h_rand(void)
{
	uint64_t x = h_rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	h_rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* Uniform in [0, n). */
static __attribute__((unused)) uint32_t
h_randn(uint32_t n)
{
	return n == 0 ? 0 : (uint32_t)(h_rand() % n);
}

static __attribute__((unused)) void
h_msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Start a test: name, default seed (TX_SEED overrides), a private temporary
 * directory (removed by h_done on success).
 */
static __attribute__((unused)) void
h_init(const char *test, uint64_t default_seed)
{
	const char *tmp = getenv("TMPDIR");
	const char *seed = getenv("TX_SEED");

	clock_gettime(CLOCK_MONOTONIC, &H.t0);
	H.test = test;
	H.main_pid = getpid();
	H.seed = seed != NULL && seed[0] ? strtoull(seed, NULL, 10) : default_seed;
	h_rng_state = H.seed ? H.seed : 88172645463325252ULL;
	for (int i = 0; i < 4; i++)
		h_rand();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stderr, NULL, _IOLBF, 0);
	snprintf(H.tmp, sizeof H.tmp, "%s/%s.XXXXXX", tmp && tmp[0] ? tmp : "/tmp", test);
	H_CHECK(mkdtemp(H.tmp) != NULL, "mkdtemp %s: %s", H.tmp, strerror(errno));
	H.tongxind = h_prog("TONGXIND", "tongxind");
	H.tongxin = h_prog("TONGXIN", "tongxin");
	atexit(h_atexit);
	h_log("seed %llu (set TX_SEED to reproduce), files in %s", (unsigned long long)H.seed, H.tmp);
}

static __attribute__((unused)) int h_file_has(const char *path, long off, const char *needle);

/* The servers' logs hold no sanitizer report (ASan/UBSan/LSan builds). */
static __attribute__((unused)) void
h_check_sanitizer_logs(void)
{
	static const char *const marks[] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		"runtime error:" };

	for (int i = 0; i < H.nservers; i++)
		for (int k = 0; k < 3; k++)
			H_CHECK(!h_file_has(H.servers[i]->log, 0, marks[k]), "the server's log %s holds "
			    "a sanitizer report (\"%s\")", H.servers[i]->log, marks[k]);
}

/* Finish: stop leftovers, remove the directory unless TX_KEEP is set. */
static __attribute__((unused)) int
h_done(void)
{
	h_check_sanitizer_logs();
	h_kill_servers();
	if (getenv("TX_KEEP") == NULL)
		nftw(H.tmp, h_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		h_log("kept %s", H.tmp);
	h_log("PASS");
	return 0;
}

static __attribute__((unused)) void
h_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", H.tmp, name);
}

/* ------------------------------------------------------------ processes */

/*
 * Run argv (argv[0] is the program path), stdout and stderr appended to
 * outfile (or /dev/null), with extra "NAME=VALUE" strings in env_add.
 * Returns the exit status, or 128 + signal.
 */
static __attribute__((unused)) int
h_run(const char *const *argv, const char *outfile, const char *const *env_add)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	H_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(outfile ? outfile : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		for (const char *const *e = env_add; e != NULL && *e != NULL; e++)
			putenv((char *)*e);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		H_CHECK(errno == EINTR, "waitpid: %s", strerror(errno));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* Whole small file into a static buffer (for error messages). */
static __attribute__((unused)) const char *
h_slurp_tail(const char *path, size_t max)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	long size;
	size_t n;

	buf[0] = '\0';
	if (fp == NULL)
		return buf;
	if (max >= sizeof buf)
		max = sizeof buf - 1;
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	fseek(fp, size > (long)max ? size - (long)max : 0, SEEK_SET);
	n = fread(buf, 1, max, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Whether file contains needle at or after byte offset off. */
static __attribute__((unused)) int
h_file_has(const char *path, long off, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long size;
	int found = 0;

	if (fp == NULL)
		return 0;
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	if (size > off && (buf = malloc((size_t)(size - off) + 1)) != NULL) {
		size_t n;
		fseek(fp, off, SEEK_SET);
		n = fread(buf, 1, (size_t)(size - off), fp);
		buf[n] = '\0';
		found = strstr(buf, needle) != NULL;
		free(buf);
	}
	fclose(fp);
	return found;
}

/* How many times needle occurs in file at or after byte offset off. */
static __attribute__((unused)) int
h_file_count(const char *path, long off, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char *buf, *p;
	long size;
	int n = 0;

	if (fp == NULL)
		return 0;
	fseek(fp, 0, SEEK_END);
	size = ftell(fp);
	if (size > off && (buf = malloc((size_t)(size - off) + 1)) != NULL) {
		size_t got;
		fseek(fp, off, SEEK_SET);
		got = fread(buf, 1, (size_t)(size - off), fp);
		buf[got] = '\0';
		for (p = buf; (p = strstr(p, needle)) != NULL; p += strlen(needle))
			n++;
		free(buf);
	}
	fclose(fp);
	return n;
}

static __attribute__((unused)) long
h_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (long)sb.st_size : 0;
}

/* A loopback port that was free a moment ago. */
static __attribute__((unused)) int
h_free_port(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	H_CHECK(fd >= 0, "socket: %s", strerror(errno));
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	H_CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0, "bind: %s", strerror(errno));
	H_CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0, "getsockname: %s",
	    strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* ---------------------------------------------------------------- server */

/*
 * With TX_PG_URI set (postgresql://USER@HOST:PORT/DB, tests/pg_run.sh): a
 * new database on that cluster for server s, named after the process and
 * the server, into s->store. Without it, s->store stays "" (SQLite).
 */
static __attribute__((unused)) void
h_pg_database(struct h_server *s)
{
	const char *base = getenv("TX_PG_URI");

	s->store[0] = '\0';
	if (base == NULL || base[0] == '\0')
		return;
#ifdef TX_HAVE_PG
	{
		const char *slash = strrchr(base, '/');
		char name[64], sql[128];
		PGconn *c;
		PGresult *r;

		H_CHECK(slash != NULL && slash > base + 13, "TX_PG_URI %s names no database", base);
		snprintf(name, sizeof name, "h%d_%d", (int)getpid(), H.nservers);
		/* An identifier made here of digits and a letter: no value from outside in it. */
		snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
		c = PQconnectdb(base);
		H_CHECK(PQstatus(c) == CONNECTION_OK, "%s: %s", base, PQerrorMessage(c));
		r = PQexec(c, sql);
		H_CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		snprintf(s->store, sizeof s->store, "%.*s/%s", (int)(slash - base), base, name);
	}
#else
	H_CHECK(0, "TX_PG_URI is set but this build has no libpq");
#endif
}

/* tongxind init in TMP/<tag>: the street 测试街道 with code JD01. */
static __attribute__((unused)) void
srv_init(struct h_server *s, const char *tag)
{
	char listen[64], out[4200];
	int rc;

	memset(s, 0, sizeof *s);
	H_CHECK(H.nservers < H_MAX_SERVERS, "too many servers");
	H.servers[H.nservers++] = s;
	snprintf(s->tag, sizeof s->tag, "%s", tag);
	h_path(s->dir, sizeof s->dir, tag);
	snprintf(s->log, sizeof s->log, "%s.log", s->dir);
	s->port = h_free_port();
	snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", s->port);
	snprintf(listen, sizeof listen, "%s", s->addr);
	snprintf(out, sizeof out, "%s.init.out", s->dir);
	h_pg_database(s);
	{
		const char *argv[] = { H.tongxind, "init", s->dir, "--street", "测试街道", "--code",
		    "JD01", "--listen", listen, s->store[0] ? "--store" : NULL, s->store, NULL };
		rc = h_run(argv, out, NULL);
	}
	H_CHECK(rc == 0, "tongxind init exited %d: %s", rc, h_slurp_tail(out, 2000));
}

/*
 * A second server for the same street: a copy (cp -a) of from's data
 * directory (CA, keys, tongxind.conf) in TMP/<tag>, on a port of its own.
 * With a PostgreSQL store both serve the one database (issue 13: several
 * stateless tongxind on one PostgreSQL); with SQLite the copy is a separate
 * street. Copy before from is started (no process's files in flight).
 */
static __attribute__((unused)) void
srv_clone(struct h_server *s, const struct h_server *from, const char *tag)
{
	char out[4200];
	int rc;

	memset(s, 0, sizeof *s);
	H_CHECK(H.nservers < H_MAX_SERVERS, "too many servers");
	H.servers[H.nservers++] = s;
	snprintf(s->tag, sizeof s->tag, "%s", tag);
	h_path(s->dir, sizeof s->dir, tag);
	snprintf(s->log, sizeof s->log, "%s.log", s->dir);
	snprintf(s->store, sizeof s->store, "%s", from->store);
	s->port = h_free_port();
	snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", s->port);
	snprintf(out, sizeof out, "%s.clone.out", s->dir);
	{
		const char *argv[] = { "/bin/cp", "-a", from->dir, s->dir, NULL };
		rc = h_run(argv, out, NULL);
	}
	H_CHECK(rc == 0, "cp -a %s %s exited %d: %s", from->dir, s->dir, rc,
	    h_slurp_tail(out, 2000));
}

/* tongxind enroll: a bundle for a device of organisation org. */
static __attribute__((unused)) void
srv_enroll(struct h_server *s, const char *org, const char *device, int admin, const char *out)
{
	char log[4300];
	int rc;

	snprintf(log, sizeof log, "%s.enroll.out", out);
	if (admin) {
		const char *argv[] = { H.tongxind, "enroll", s->dir, "--org", org, "--device", device,
		    "--admin", "--out", out, NULL };
		rc = h_run(argv, log, NULL);
	} else {
		const char *argv[] = { H.tongxind, "enroll", s->dir, "--org", org, "--device", device,
		    "--out", out, NULL };
		rc = h_run(argv, log, NULL);
	}
	H_CHECK(rc == 0, "tongxind enroll --org %s --device %s exited %d: %s", org, device, rc,
	    h_slurp_tail(log, 2000));
}

/*
 * Start tongxind serve and wait until it listens (its "serving" log line).
 * If the port was taken meanwhile, move to another one: devices are always
 * synced with the server address overridden to s->addr.
 */
static __attribute__((unused)) void
srv_start(struct h_server *s)
{
	for (int attempt = 0; attempt < 6; attempt++) {
		long off = h_file_size(s->log);
		int st;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		H_CHECK(pid >= 0, "fork: %s", strerror(errno));
		if (pid == 0) {
			int fd = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
			execl(H.tongxind, H.tongxind, "serve", s->dir, "--listen", s->addr, (char *)NULL);
			_exit(127);
		}
		s->pid = pid;
		s->starts++;
		for (int i = 0; i < 3000; i++) {   /* up to 30 s (sanitizer builds start slowly) */
			if (h_file_has(s->log, off, "serving street"))
				return;
			if (waitpid(pid, &st, WNOHANG) == pid) {
				s->pid = 0;
				break;
			}
			h_msleep(10);
		}
		H_CHECK(s->pid == 0, "tongxind serve did not start within 30 s");
		H_CHECK(h_file_has(s->log, off, "cannot listen"),
		    "tongxind serve exited at start (status %d)", st);
		/* Someone took the port: pick another. */
		s->port = h_free_port();
		snprintf(s->addr, sizeof s->addr, "127.0.0.1:%d", s->port);
		h_log("port taken; moving %s to %s", s->tag, s->addr);
	}
	H_CHECK(0, "could not start tongxind serve");
}

/* SIGTERM and expect a clean exit 0 within 30 s. */
static __attribute__((unused)) void
srv_stop(struct h_server *s)
{
	int st = 0;

	H_CHECK(s->pid > 0, "server %s is not running", s->tag);
	kill(s->pid, SIGTERM);
	for (int i = 0; i < 3000; i++) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			H_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "tongxind did not exit cleanly on SIGTERM (status %#x)", st);
			return;
		}
		h_msleep(10);
	}
	H_CHECK(0, "tongxind did not stop within 30 s of SIGTERM");
}

/* kill -9, reaped. */
static __attribute__((unused)) void
srv_kill9(struct h_server *s)
{
	H_CHECK(s->pid > 0, "server %s is not running", s->tag);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

#ifdef TX_HAVE_PG
/* Copy table t's rows from PostgreSQL (c) into the same table of the SQLite copy db. */
static void
h_pg_copy_table(PGconn *c, sqlite3 *db, const char *t)
{
	char sql[8192], ins[8192], cols[6144] = "", marks[1024] = "", type[64][16];
	int n = 0;
	size_t cl = 0, ml = 0;
	sqlite3_stmt *st;
	PGresult *r;

	snprintf(sql, sizeof sql, "SELECT name, upper(type) FROM pragma_table_info('%s')", t);
	H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW && n < 64) {
		cl += (size_t)snprintf(cols + cl, sizeof cols - cl, "%s\"%s\"", n ? ", " : "",
		    (const char *)sqlite3_column_text(st, 0));
		ml += (size_t)snprintf(marks + ml, sizeof marks - ml, "%s?", n ? ", " : "");
		snprintf(type[n++], sizeof type[0], "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\"", cols, t);
	r = PQexec(c, sql);
	H_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
	snprintf(ins, sizeof ins, "INSERT INTO \"%s\" (%s) VALUES (%s)", t, cols, marks);
	H_CHECK(sqlite3_prepare_v2(db, ins, -1, &st, NULL) == SQLITE_OK, "%s: %s", ins,
	    sqlite3_errmsg(db));
	for (int i = 0; i < PQntuples(r); i++) {
		for (int k = 0; k < n; k++) {
			const char *v = PQgetvalue(r, i, k);
			if (PQgetisnull(r, i, k)) {
				sqlite3_bind_null(st, k + 1);
			} else if (strcmp(type[k], "BLOB") == 0) {
				size_t bn = 0;
				unsigned char *b = PQunescapeBytea((const unsigned char *)v, &bn);
				sqlite3_bind_blob(st, k + 1, b, (int)bn, SQLITE_TRANSIENT);
				PQfreemem(b);
			} else if (strcmp(type[k], "INTEGER") == 0) {
				sqlite3_bind_int64(st, k + 1, strtoll(v, NULL, 10));
			} else {
				sqlite3_bind_text(st, k + 1, v, PQgetlength(r, i, k), SQLITE_TRANSIENT);
			}
		}
		H_CHECK(sqlite3_step(st) == SQLITE_DONE, "copy of %s: %s", t, sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	PQclear(r);
}
#endif

/*
 * The server's database as an SQLite file: tongxind.db in the data
 * directory, or, for a server on PostgreSQL (s->store), a copy made now of
 * every table into an SQLite file of the same schema (made once by the
 * SQLite store itself), for the checks that read the server's rows. The
 * copy is the database at this moment; read it again after a change.
 */
static __attribute__((unused)) const char *
srv_db_path(struct h_server *s)
{
	if (s->store[0] == '\0') {
		snprintf(s->snap, sizeof s->snap, "%s/tongxind.db", s->dir);
		return s->snap;
	}
#ifdef TX_HAVE_PG
	{
		char tmpl[4400], path[4500], err[512];
		sqlite3 *db = NULL;
		sqlite3_stmt *st;
		PGconn *c;
		struct stat sb;
		char names[64][64];
		int nt = 0;

		snprintf(tmpl, sizeof tmpl, "%s.schema", s->dir);
		snprintf(path, sizeof path, "%s/tongxind.db", tmpl);
		if (stat(path, &sb) != 0) {
			struct store *empty;
			H_CHECK(mkdir(tmpl, 0700) == 0 || errno == EEXIST, "mkdir %s", tmpl);
			empty = store_open(tmpl, 1, err, sizeof err);
			H_CHECK(empty != NULL, "an empty SQLite store for the copy: %s", err);
			store_close(empty);
		}
		snprintf(s->snap, sizeof s->snap, "%s.copy.db", s->dir);
		unlink(s->snap);
		H_CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
		{
			char vac[4400 + 64];
			snprintf(vac, sizeof vac, "VACUUM INTO '%s'", s->snap);
			H_CHECK(sqlite3_exec(db, vac, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", vac,
			    sqlite3_errmsg(db));
		}
		sqlite3_close(db);
		H_CHECK(sqlite3_open(s->snap, &db) == SQLITE_OK, "open %s", s->snap);
		sqlite3_exec(db, "PRAGMA foreign_keys=OFF; BEGIN", NULL, NULL, NULL);
		H_CHECK(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
		    " AND name NOT LIKE 'sqlite%'", -1, &st, NULL) == SQLITE_OK, "tables");
		while (sqlite3_step(st) == SQLITE_ROW && nt < 64)
			snprintf(names[nt++], sizeof names[0], "%s", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		c = PQconnectdb(s->store);
		H_CHECK(PQstatus(c) == CONNECTION_OK, "%s: %s", s->store, PQerrorMessage(c));
		for (int i = 0; i < nt; i++) {
			char del[128];
			snprintf(del, sizeof del, "DELETE FROM \"%s\"", names[i]);
			sqlite3_exec(db, del, NULL, NULL, NULL);
			h_pg_copy_table(c, db, names[i]);
		}
		PQfinish(c);
		H_CHECK(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK, "commit: %s",
		    sqlite3_errmsg(db));
		sqlite3_close(db);
		return s->snap;
	}
#else
	H_CHECK(0, "a PostgreSQL store in a build without libpq");
	return "";
#endif
}

/*
 * The server's database for checks: a separate connection that only reads
 * (query_only; it is opened read-write so that it can also run WAL recovery
 * after a kill -9 when the server is down). Close with sqlite3_close.
 */
static __attribute__((unused)) sqlite3 *
srv_db(struct h_server *s)
{
	char path[4300];
	sqlite3 *db = NULL;

	snprintf(path, sizeof path, "%s", srv_db_path(s));
	H_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK,
	    "open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 10000);
	sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
	return db;
}

/* ------------------------------------------------------------------- SQL */

/* One integer from a query with up to two text parameters (NULL: none). */
static __attribute__((unused)) int64_t
h_sql_int(sqlite3 *db, const char *sql, const char *a1, const char *a2)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	int rc;

	H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare %s: %s", sql,
	    sqlite3_errmsg(db));
	if (a1)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_TRANSIENT);
	if (a2)
		sqlite3_bind_text(st, 2, a2, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	H_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One text value (into buf, "" when no row or NULL). Returns 1 if a row came back. */
static __attribute__((unused)) int
h_sql_text(sqlite3 *db, const char *sql, const char *a1, char *buf, size_t cap)
{
	sqlite3_stmt *st;
	int rc, found = 0;

	buf[0] = '\0';
	H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare %s: %s", sql,
	    sqlite3_errmsg(db));
	if (a1)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	H_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	if (rc == SQLITE_ROW) {
		found = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return found;
}

/* A list of text ids from a query (one column). */
struct h_ids {
	char (*v)[ID_TEXT_LEN + 1];
	size_t n, cap;
};

static __attribute__((unused)) void
h_ids_free(struct h_ids *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

static __attribute__((unused)) void
h_ids_add(struct h_ids *l, const char *id)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof *l->v);
		H_CHECK(l->v != NULL, "out of memory");
	}
	snprintf(l->v[l->n++], ID_TEXT_LEN + 1, "%s", id);
}

static __attribute__((unused)) void
h_sql_ids(sqlite3 *db, const char *sql, const char *a1, struct h_ids *out)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare %s: %s", sql,
	    sqlite3_errmsg(db));
	if (a1)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		h_ids_add(out, (const char *)sqlite3_column_text(st, 0));
	H_CHECK(rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

/* Upper bound of a scope prefix: "/A/B/" -> "/A/B0". */
static __attribute__((unused)) void
h_scope_hi(const char *scope, char *hi, size_t cap)
{
	size_t n = strlen(scope);
	snprintf(hi, cap, "%s", scope);
	if (n > 0 && n < cap)
		hi[n - 1] = (char)(scope[n - 1] + 1);
}

/*
 * WHERE clause selecting the server's live rows a device of this scope
 * holds (the same test the server's pull makes). Scopes are organisation
 * codes and slashes, so quoting them into SQL is safe here.
 */
static __attribute__((unused)) void
h_scope_where(const char *scope, char *buf, size_t cap)
{
	char hi[512];
	h_scope_hi(scope, hi, sizeof hi);
	snprintf(buf, cap, "_deleted = 0 AND ((_scope >= '%s' AND _scope < '%s') OR "
	    "(_scope2 >= '%s' AND _scope2 < '%s'))", scope, hi, scope, hi);
}

/* ---------------------------------------------------------------- devices */

/*
 * Enroll a device for org on the server, join a replica at TMP/<name>.db
 * (server address overridden to the running server) and open it.
 */
static __attribute__((unused)) void
dev_new(struct h_dev *d, struct h_server *s, const char *org, const char *name, int admin)
{
	char bundle[4300], err[1024] = "", where[64];
	sqlite3 *db;

	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	snprintf(d->org_code, sizeof d->org_code, "%s", org);
	d->admin = admin;
	snprintf(bundle, sizeof bundle, "%s/%s.bundle", H.tmp, name);
	snprintf(d->path, sizeof d->path, "%s/%s.db", H.tmp, name);
	srv_enroll(s, org, name, admin, bundle);
	H_CHECK(replica_join(d->path, bundle, s->addr, err, sizeof err) == 0, "join %s: %s", name,
	    err);
	d->r = replica_open(d->path, err, sizeof err);
	H_CHECK(d->r != NULL, "open replica %s: %s", d->path, err);
	snprintf(d->device_id, sizeof d->device_id, "%s", replica_info(d->r)->device_id);
	db = srv_db(s);
	snprintf(where, sizeof where, "%s", org);
	H_CHECK(h_sql_text(db, "SELECT _scope FROM org WHERE code = ?1 AND _deleted = 0", where,
	    d->scope, sizeof d->scope) == 1, "no organisation %s on the server", org);
	sqlite3_close(db);
}

static __attribute__((unused)) void
dev_close(struct h_dev *d)
{
	replica_close(d->r);
	d->r = NULL;
}

static __attribute__((unused)) void
dev_reopen(struct h_dev *d)
{
	char err[1024] = "";
	if (d->r == NULL) {
		d->r = replica_open(d->path, err, sizeof err);
		H_CHECK(d->r != NULL, "reopen %s: %s", d->path, err);
	}
}

/* Sync in process; returns sync_run's result, report and failure filled. */
static __attribute__((unused)) int
dev_sync_try(struct h_dev *d, struct h_server *s, int push_only, int pull_only,
    struct sync_report *rep, enum sync_fail *fail, char *err, size_t errlen)
{
	struct sync_opts o;

	memset(&o, 0, sizeof o);
	o.server = s->addr;
	o.timeout_ms = 60000;
	o.push_only = push_only;
	o.pull_only = pull_only;
	err[0] = '\0';
	return sync_run(d->r, &o, rep, fail, err, errlen);
}

/* Sync and require success. */
static __attribute__((unused)) void
dev_sync(struct h_dev *d, struct h_server *s, struct sync_report *rep_out)
{
	struct sync_report rep;
	enum sync_fail f;
	char err[1024];
	int rc = dev_sync_try(d, s, 0, 0, &rep, &f, err, sizeof err);

	H_CHECK(rc == 0, "sync of %s failed (%d): %s", d->name, (int)f, err);
	if (rep_out)
		*rep_out = rep;
}

static __attribute__((unused)) int64_t
dev_outbox(struct h_dev *d)
{
	return h_sql_int(replica_db(d->r), "SELECT count(*) FROM outbox", NULL, NULL);
}

static __attribute__((unused)) int64_t
dev_next_seq(struct h_dev *d)
{
	/* As rep_next_seq: meta's floor, or past the outbox's newest entry. */
	return h_sql_int(replica_db(d->r),
	    "SELECT max(coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'next_seq'), 1),"
	    " coalesce((SELECT max(seq) + 1 FROM outbox), 1))", NULL, NULL);
}

/* ---------------------------------------------------------------- values */

static __attribute__((unused)) int
h_col(int t, const char *name)
{
	int c = schema_col_index(&schema_tables[t], name);
	H_CHECK(c >= 0, "no column %s.%s", schema_tables[t].name, name);
	return c;
}

/* vals[] for table t, every column NULL. */
static __attribute__((unused)) void
h_vals_null(Tongxin__Value *v, int t)
{
	for (int c = 0; c < schema_tables[t].ncols; c++)
		value_set_null(&v[c]);
}

static __attribute__((unused)) void
h_set(Tongxin__Value *v, int t, const char *col, const char *s)
{
	value_set_text(&v[h_col(t, col)], s);
}

static __attribute__((unused)) void
h_seti(Tongxin__Value *v, int t, const char *col, int64_t i)
{
	value_set_int(&v[h_col(t, col)], i);
}

/* A random date between years y0 and y1 (days 1-28) into out[11]. */
static __attribute__((unused)) void
h_rand_date(char *out, int y0, int y1)
{
	snprintf(out, 11, "%04d-%02u-%02u", y0 + (int)h_randn((uint32_t)(y1 - y0 + 1)),
	    1 + h_randn(12), 1 + h_randn(28));
}

/*
 * A valid 18-character citizen ID number for a birth date YYYY-MM-DD and a
 * gender (male: odd 17th digit, GB 11643), unique within this process: a
 * GB/T 2260 region code from the table (region_codes[]) and a sequence
 * count up together, so that bulk loads never clash by accident and the
 * data keeps to the rules the client and the server check.
 */
static __attribute__((unused)) void
h_id_number(char out[19], const char *birth, int male)
{
	static uint32_t k;
	uint32_t n = k++;
	snprintf(out, 19, "%06u%.4s%.2s%.2s%03u",
	    (unsigned)region_codes[(n / 500u) % region_code_count].code, birth, birth + 5, birth + 8,
	    (n % 500u) * 2u + (male ? 1u : 0u));
	out[17] = id_number_check_char(out);
	out[18] = '\0';
}

/* Whether a citizen ID number's 17th digit says male (odd; even is female). */
static __attribute__((unused)) int
h_id_male(const char *idn)
{
	return (idn[16] - '0') % 2;
}

/* The gender column's value a citizen ID number gives. */
static __attribute__((unused)) const char *
h_id_gender(const char *idn)
{
	return h_id_male(idn) ? "male" : "female";
}

static __attribute__((unused)) const char *const h_surnames[] = { "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴" };
static __attribute__((unused)) const char *const h_given[] = { "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军",
	"洋", "勇", "艳", "杰", "娟", "涛" };
/* Second given characters: a person's name is letters only, so variety comes from these (not digits). */
static __attribute__((unused)) const char *const h_given2[] = { "", "华", "明", "国", "建", "文", "玲", "平", "林", "红",
	"春", "霞", "东", "海", "燕", "峰", "兰", "辉", "鹏", "欣", "宇", "晨", "冬", "梅", "波", "飞", "雪", "琴",
	"斌", "云", "莉", "超" };
static __attribute__((unused)) const char *const h_educations[] = { "primary", "junior_high", "senior_high",
	"vocational", "associate", "bachelor", "master", "doctorate" };
static __attribute__((unused)) const char *const h_ethnicities[] = { "汉族", "回族", "满族", "蒙古族", "壮族" };

/*
 * A random person's name into buf: a surname and one to three given
 * characters, letters only (a name's digits are refused: COLF_PERSON_NAME),
 * so the variety comes from the characters chosen.
 */
static __attribute__((unused)) void
h_rand_person_name(char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s", h_surnames[h_randn(10)], h_given[h_randn(16)],
	    h_given2[h_randn(32)], h_given2[h_randn(32)]);
}

/* Text buffers for a member's values (value_set_text borrows them). */
struct h_member {
	char name[64];
	char idn[19];
	char birth[11];
	char join[11];
	char phone[24];
	char job[64];
};

/*
 * Fill v (member columns) with a valid new member of branch org_id. When
 * idn_copy is not NULL it is used as the citizen ID (to make clashes).
 */
static __attribute__((unused)) void
h_member_vals(Tongxin__Value *v, struct h_member *m, const char *org_id, const char *idn_copy)
{
	const int t = TBL_MEMBER;
	int male = (int)h_randn(2);

	h_vals_null(v, t);
	h_rand_person_name(m->name, sizeof m->name);
	h_rand_date(m->birth, 1940, 1995);   /* joined 2018-2023: at least 18 then */
	if (idn_copy != NULL) {
		snprintf(m->idn, sizeof m->idn, "%s", idn_copy);
		snprintf(m->birth, sizeof m->birth, "%.4s-%.2s-%.2s", idn_copy + 6, idn_copy + 10,
		    idn_copy + 12);   /* the birth date must agree with the ID */
	} else
		h_id_number(m->idn, m->birth, male);
	h_rand_date(m->join, 2018, 2023);
	snprintf(m->phone, sizeof m->phone, "13%09u", h_randn(1000000000));
	snprintf(m->job, sizeof m->job, "岗位%u", h_randn(100));
	h_set(v, t, "name", m->name);
	h_set(v, t, "gender", h_id_gender(m->idn));   /* the ID's 17th digit says which */
	h_set(v, t, "ethnicity", h_ethnicities[h_randn(5)]);
	h_set(v, t, "id_number", m->idn);
	h_set(v, t, "birth_date", m->birth);
	h_set(v, t, "education", h_educations[h_randn(8)]);
	h_set(v, t, "category", h_randn(5) ? "full" : "probationary");
	h_set(v, t, "org_id", org_id);
	h_set(v, t, "join_date", m->join);
	h_set(v, t, "standing", "normal");
	h_set(v, t, "phone", m->phone);
	h_set(v, t, "job", m->job);
	h_seti(v, t, "retired", h_randn(3) == 0);
}

/* Begin / commit on a device, required to succeed. */
static __attribute__((unused)) void
dev_begin(struct h_dev *d)
{
	H_CHECK(rep_begin(d->r, d->name) == 0, "rep_begin on %s: %s", d->name,
	    sqlite3_errmsg(replica_db(d->r)));
}

static __attribute__((unused)) void
dev_commit(struct h_dev *d)
{
	char err[1024] = "";
	H_CHECK(rep_commit(d->r, err, sizeof err) == 0, "rep_commit on %s: %s", d->name, err);
}

static __attribute__((unused)) void
dev_insert(struct h_dev *d, int t, const Tongxin__Value *v, char id[ID_TEXT_LEN + 1])
{
	char err[1024] = "";
	H_CHECK(rep_insert(d->r, t, v, id, err, sizeof err) == 0, "rep_insert %s on %s: %s",
	    schema_tables[t].name, d->name, err);
}

/* One new member of org in a local transaction of its own; its id into id. */
static __attribute__((unused)) void
dev_insert_member(struct h_dev *d, const char *org, char id[ID_TEXT_LEN + 1])
{
	Tongxin__Value v[32];
	struct h_member m;

	h_member_vals(v, &m, org, NULL);
	dev_begin(d);
	dev_insert(d, TBL_MEMBER, v, id);
	dev_commit(d);
}

/* Update one text (or integer when s is NULL) column of a row. */
static __attribute__((unused)) void
dev_update1(struct h_dev *d, int t, const char *id, const char *col, const char *s, int64_t i)
{
	char err[1024] = "";
	uint32_t c = (uint32_t)h_col(t, col);
	Tongxin__Value v;

	if (s != NULL)
		value_set_text(&v, s);
	else
		value_set_int(&v, i);
	H_CHECK(rep_update(d->r, t, id, &c, &v, 1, err, sizeof err) == 0,
	    "rep_update %s.%s of %s on %s: %s", schema_tables[t].name, col, id, d->name, err);
}

static __attribute__((unused)) void
dev_delete(struct h_dev *d, int t, const char *id)
{
	char err[1024] = "";
	H_CHECK(rep_delete(d->r, t, id, err, sizeof err) == 0, "rep_delete %s %s on %s: %s",
	    schema_tables[t].name, id, d->name, err);
}

/* Add an organisation (its own transaction) under parent_id. */
static __attribute__((unused)) void
dev_add_org(struct h_dev *d, const char *code, const char *name, const char *kind,
    const char *parent_id, char id[ID_TEXT_LEN + 1])
{
	Tongxin__Value v[32];
	const int t = TBL_ORG;

	h_vals_null(v, t);
	h_set(v, t, "code", code);
	h_set(v, t, "name", name);
	h_set(v, t, "kind", kind);
	h_set(v, t, "parent_id", parent_id);
	if (strcmp(kind, "branch") == 0)
		h_set(v, t, "branch_type", "residential");
	h_set(v, t, "founded_on", "2010-07-01");
	h_seti(v, t, "dissolved", 0);
	dev_begin(d);
	dev_insert(d, t, v, id);
	dev_commit(d);
}

/* Id of the organisation with this code in a database ("" if none). Returns 1 if found. */
static __attribute__((unused)) int
h_org_id(sqlite3 *db, const char *code, char id[ID_TEXT_LEN + 1])
{
	return h_sql_text(db, "SELECT id FROM org WHERE code = ?1", code, id, ID_TEXT_LEN + 1);
}

/*
 * The tree most tests start from, made by d (a street administrator's
 * device): d syncs to learn the street JD01 (its id into street), then adds
 * community SQ01 (第一社区) under it and branch SQ01B1 (第一党支部) under
 * that, each in a transaction of its own, not yet synced. Members belong to
 * a branch, and a branch stands under a community (the tree rule).
 */
static __attribute__((unused)) void
dev_street_tree(struct h_dev *d, struct h_server *s, char street[ID_TEXT_LEN + 1],
    char community[ID_TEXT_LEN + 1], char branch[ID_TEXT_LEN + 1])
{
	dev_sync(d, s, NULL);
	H_CHECK(h_org_id(replica_db(d->r), "JD01", street), "no street row");
	dev_add_org(d, "SQ01", "第一社区", "community", street, community);
	dev_add_org(d, "SQ01B1", "第一党支部", "branch", community, branch);
}

/* ---------------------------------------------------------------- checks */

/* Print the differences between the server's rows (in where) and a replica's rows of t. */
static __attribute__((unused)) void
h_diff_table(sqlite3 *sdb, const char *where, sqlite3 *rdb, int t, int max)
{
	const struct table_def *td = &schema_tables[t];
	char sql[8192];
	size_t n;
	sqlite3_stmt *a, *b;
	int ra, rb, shown = 0;

	n = (size_t)snprintf(sql, sizeof sql, "SELECT id, ''");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " || '|' || quote(%s)", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, " FROM %s%s%s ORDER BY id", td->name, where ? " WHERE " : "",
	    where ? where : "");
	if (sqlite3_prepare_v2(sdb, sql, -1, &a, NULL) != SQLITE_OK)
		return;
	snprintf(sql + n, sizeof sql - n, " FROM %s ORDER BY id", td->name);
	if (sqlite3_prepare_v2(rdb, sql, -1, &b, NULL) != SQLITE_OK) {
		sqlite3_finalize(a);
		return;
	}
	ra = sqlite3_step(a);
	rb = sqlite3_step(b);
	while ((ra == SQLITE_ROW || rb == SQLITE_ROW) && shown < max) {
		const char *ia = ra == SQLITE_ROW ? (const char *)sqlite3_column_text(a, 0) : NULL;
		const char *ib = rb == SQLITE_ROW ? (const char *)sqlite3_column_text(b, 0) : NULL;
		int cmp = ia == NULL ? 1 : ib == NULL ? -1 : strcmp(ia, ib);
		if (cmp < 0) {
			fprintf(stderr, "    %s %s: only on the server: %s\n", td->name, ia,
			    (const char *)sqlite3_column_text(a, 1));
			shown++;
			ra = sqlite3_step(a);
		} else if (cmp > 0) {
			/* ib is set here (the loop runs while one side has a row); say so to -O3. */
			fprintf(stderr, "    %s %s: only on the replica: %s\n", td->name, ib ? ib : "?",
			    (const char *)sqlite3_column_text(b, 1));
			shown++;
			rb = sqlite3_step(b);
		} else {
			const char *va = (const char *)sqlite3_column_text(a, 1);
			const char *vb = (const char *)sqlite3_column_text(b, 1);
			if (strcmp(va, vb) != 0) {
				fprintf(stderr, "    %s %s differs:\n      server:  %s\n      replica: %s\n",
				    td->name, ia, va, vb);
				shown++;
			}
			ra = sqlite3_step(a);
			rb = sqlite3_step(b);
		}
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
}

/*
 * Compare a replica with the server's rows of its scope, table by table,
 * with rep_table_hash. Returns the number of tables that differ (diffs
 * printed).
 */
static __attribute__((unused)) int
h_compare(struct h_server *s, struct h_dev *d, int quiet)
{
	sqlite3 *sdb = srv_db(s);
	char where[2048], hs[65], hr[65];
	int bad = 0;

	h_scope_where(d->scope, where, sizeof where);
	for (int t = 0; t < TBL_COUNT; t++) {
		H_CHECK(rep_table_hash(sdb, t, where, hs) == 0, "hash server %s: %s",
		    schema_tables[t].name, sqlite3_errmsg(sdb));
		H_CHECK(rep_table_hash(replica_db(d->r), t, NULL, hr) == 0, "hash replica %s",
		    schema_tables[t].name);
		if (strcmp(hs, hr) != 0) {
			bad++;
			if (!quiet) {
				fprintf(stderr, "  %s: table %s differs from the server (scope %s)\n",
				    d->name, schema_tables[t].name, d->scope);
				h_diff_table(sdb, where, replica_db(d->r), t, 12);
			}
		}
	}
	sqlite3_close(sdb);
	return bad;
}

static __attribute__((unused)) void
h_require_equal(struct h_server *s, struct h_dev *d)
{
	int bad = h_compare(s, d, 0);
	H_CHECK(bad == 0, "replica %s differs from the server in %d table(s) (see above)", d->name,
	    bad);
}

/*
 * The server holds transaction seq of d whole: byte for byte what the
 * device kept (dev, when it still keeps a copy: a replica drops its copy
 * once the row left its scope or the conflict was settled), and in any
 * case a readable transaction with that seq and at least one change.
 */
static __attribute__((unused)) void
h_check_kept_whole(struct h_dev *d, int64_t seq, const char *what, const void *dev, int dlen,
    const void *srv, int slen)
{
	Tongxin__Txn *tx;

	H_CHECK(srv != NULL && slen > 0, "%s: %s %lld is not kept on the server", d->name, what,
	    (long long)seq);
	if (dev != NULL)
		H_CHECK(dlen == slen && memcmp(dev, srv, (size_t)slen) == 0, "%s: the server's copy "
		    "of %s %lld differs from what the device sent (device %d bytes, server %d bytes)",
		    d->name, what, (long long)seq, dlen, slen);
	tx = tongxin__txn__unpack(NULL, (size_t)slen, srv);
	H_CHECK(tx != NULL && (int64_t)tx->seq == seq && tx->n_changes > 0, "%s: the server's "
	    "copy of %s %lld is not that whole transaction", d->name, what, (long long)seq);
	tongxin__txn__free_unpacked(tx, NULL);
}

/* Counts of a device's outcomes, filled by h_check_accounted. */
struct h_acct {
	int64_t txns, applied, merged, conflict, rejected;
};

/*
 * Every local transaction of d is accounted for: the outbox is empty; each
 * seq 1..next_seq-1 has exactly one outcome (applied, merged, conflict,
 * rejected); the server's txn_log has exactly one row per (device, seq)
 * with the same status; each conflict outcome names a row of the server's
 * conflict queue that holds the whole transaction as the device sent it;
 * each rejected transaction is kept whole in txn_log (see h_check_kept_whole).
 */
static __attribute__((unused)) void
h_check_accounted(struct h_server *s, struct h_dev *d, struct h_acct *acct)
{
	sqlite3 *sdb = srv_db(s), *rdb = replica_db(d->r);
	int64_t next = dev_next_seq(d), n = next - 1;
	sqlite3_stmt *oc, *tl, *cf;
	struct h_acct a;
	int rc;

	memset(&a, 0, sizeof a);
	H_CHECK(dev_outbox(d) == 0, "%s: %lld transactions still in the outbox", d->name,
	    (long long)dev_outbox(d));
	H_CHECK(h_sql_int(rdb, "SELECT count(*) FROM pending", NULL, NULL) == 0,
	    "%s: rows still marked pending with an empty outbox", d->name);
	H_CHECK(h_sql_int(rdb, "SELECT count(*) FROM outcome", NULL, NULL) == n &&
	    h_sql_int(rdb, "SELECT count(*) FROM outcome WHERE seq BETWEEN 1 AND "
	        "(SELECT CAST(value AS INTEGER) - 1 FROM meta WHERE key = 'next_seq')", NULL, NULL) == n,
	    "%s: %lld local transactions but %lld outcomes", d->name, (long long)n,
	    (long long)h_sql_int(rdb, "SELECT count(*) FROM outcome", NULL, NULL));
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM txn_log WHERE device_id = ?1", d->device_id,
	    NULL) == n, "%s: %lld local transactions, server txn_log has %lld", d->name,
	    (long long)n, (long long)h_sql_int(sdb, "SELECT count(*) FROM txn_log WHERE device_id = ?1",
	    d->device_id, NULL));

	H_CHECK(sqlite3_prepare_v2(rdb, "SELECT seq, status, conflict_id, txn, reason FROM outcome "
	    "ORDER BY seq", -1, &oc, NULL) == SQLITE_OK, "prepare outcome");
	H_CHECK(sqlite3_prepare_v2(sdb, "SELECT status, conflict_id, txn, reason FROM txn_log "
	    "WHERE device_id = ?1 AND seq = ?2", -1, &tl, NULL) == SQLITE_OK, "prepare txn_log");
	H_CHECK(sqlite3_prepare_v2(sdb, "SELECT device_id, seq, txn, status FROM conflict WHERE id = ?1",
	    -1, &cf, NULL) == SQLITE_OK, "prepare conflict");
	for (int64_t expect = 1; (rc = sqlite3_step(oc)) == SQLITE_ROW; expect++) {
		int64_t seq = sqlite3_column_int64(oc, 0);
		const char *status = (const char *)sqlite3_column_text(oc, 1);
		const char *cid = (const char *)sqlite3_column_text(oc, 2);
		const void *blob = sqlite3_column_blob(oc, 3);
		int blen = sqlite3_column_bytes(oc, 3);
		int code;

		H_CHECK(seq == expect, "%s: no outcome for local transaction %lld", d->name,
		    (long long)expect);
		if (strcmp(status, "applied") == 0)
			code = 0, a.applied++;
		else if (strcmp(status, "merged") == 0)
			code = 1, a.merged++;
		else if (strcmp(status, "conflict") == 0)
			code = 2, a.conflict++;
		else if (strcmp(status, "rejected") == 0)
			code = 3, a.rejected++;
		else
			H_CHECK(0, "%s: transaction %lld has outcome \"%s\"", d->name, (long long)seq,
			    status);
		sqlite3_bind_text(tl, 1, d->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(tl, 2, seq);
		H_CHECK(sqlite3_step(tl) == SQLITE_ROW, "%s: transaction %lld (%s) is not in the "
		    "server's txn_log", d->name, (long long)seq, status);
		H_CHECK(sqlite3_column_int(tl, 0) == code, "%s: transaction %lld is %s on the device "
		    "but status %d in the server's txn_log", d->name, (long long)seq, status,
		    sqlite3_column_int(tl, 0));
		if (code == 3) {
			H_CHECK(sqlite3_column_type(tl, 3) == SQLITE_TEXT &&
			    sqlite3_column_bytes(tl, 3) > 0, "%s: rejected transaction %lld has no reason "
			    "on the server", d->name, (long long)seq);
			H_CHECK(sqlite3_column_type(oc, 4) == SQLITE_TEXT, "%s: rejected transaction "
			    "%lld has no reason on the device", d->name, (long long)seq);
			h_check_kept_whole(d, seq, "rejected transaction", blob, blen,
			    sqlite3_column_blob(tl, 2), sqlite3_column_bytes(tl, 2));
		}
		if (code == 2) {
			H_CHECK(cid != NULL && cid[0], "%s: conflict outcome %lld has no conflict id",
			    d->name, (long long)seq);
			H_CHECK(sqlite3_column_type(tl, 1) == SQLITE_TEXT &&
			    strcmp((const char *)sqlite3_column_text(tl, 1), cid) == 0,
			    "%s: conflict %lld: device has conflict id %s, txn_log has %s", d->name,
			    (long long)seq, cid, (const char *)sqlite3_column_text(tl, 1));
			sqlite3_bind_text(cf, 1, cid, -1, SQLITE_STATIC);
			H_CHECK(sqlite3_step(cf) == SQLITE_ROW, "%s: conflict %s (transaction %lld) is "
			    "not in the server's conflict queue", d->name, cid, (long long)seq);
			H_CHECK(strcmp((const char *)sqlite3_column_text(cf, 0), d->device_id) == 0 &&
			    sqlite3_column_int64(cf, 1) == seq, "%s: conflict %s names device %s seq %lld",
			    d->name, cid, (const char *)sqlite3_column_text(cf, 0),
			    (long long)sqlite3_column_int64(cf, 1));
			h_check_kept_whole(d, seq, "conflict", blob, blen, sqlite3_column_blob(cf, 2),
			    sqlite3_column_bytes(cf, 2));
			sqlite3_reset(cf);
		}
		sqlite3_reset(tl);
		a.txns++;
	}
	H_CHECK(rc == SQLITE_DONE, "reading outcomes: %s", sqlite3_errmsg(rdb));
	H_CHECK(a.txns == n, "%s: %lld outcomes for %lld transactions", d->name, (long long)a.txns,
	    (long long)n);
	sqlite3_finalize(oc);
	sqlite3_finalize(tl);
	sqlite3_finalize(cf);
	sqlite3_close(sdb);
	if (acct)
		*acct = a;
}

/* PRAGMA integrity_check of the server's database is "ok". */
static __attribute__((unused)) void
h_check_integrity(struct h_server *s)
{
	sqlite3 *db = srv_db(s);
	char res[512];

	h_sql_text(db, "PRAGMA integrity_check", NULL, res, sizeof res);
	H_CHECK(strcmp(res, "ok") == 0, "server database integrity_check: %s", res);
	sqlite3_close(db);
}

/* Copy a file (replica, its WAL, its credential) with mode 0600. Missing source: nothing. */
static __attribute__((unused)) void
h_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536];
	size_t n;

	if (in == NULL)
		return;
	out = fopen(to, "wb");
	H_CHECK(out != NULL, "cannot write %s: %s", to, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		H_CHECK(fwrite(buf, 1, n, out) == n, "write %s", to);
	fclose(in);
	H_CHECK(fclose(out) == 0, "close %s", to);
	chmod(to, 0600);
}

#endif
