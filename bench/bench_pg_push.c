/*
 * bench_pg_push.c - push throughput with 1, 2 and 4 tongxind on one
 * PostgreSQL database against one tongxind on SQLite (issue 13).
 *
 * N devices (offices of one community) each hold M local transactions in
 * their outbox: nine in ten insert one member, one in ten is a bulk
 * transaction of BULK members. All N push at once (each in a child
 * process of its own with a real replica and sync_run, push only), spread
 * over K tongxind processes on one PostgreSQL database (device i to
 * server i mod K), or to one tongxind on its SQLite file. The figure is
 * transactions a second: N * M over the wall time from the moment all
 * devices are released to the last one's end (TLS handshakes and hellos
 * included: one a device).
 *
 * Every run starts from the same state: the SQLite street is a fresh copy
 * of a stopped one; the PostgreSQL street is that street moved there once
 * by "tongxind migrate" (so the devices, CA and epoch are the same), and
 * each run gets a fresh database made from it (CREATE DATABASE ...
 * TEMPLATE) and fresh copies of the devices' replicas. After each run the
 * server's txn_log must hold exactly N * M rows (every push applied, once).
 * The sides are interleaved run by run; figures are medians.
 *
 * What limits it is printed with the figures: the machine's CPUs (the
 * devices, the tongxind processes and PostgreSQL share them; on 2 cores
 * four tongxind cannot beat the CPU), PostgreSQL's fsync setting (with
 * fsync off a commit skips the disk flush that SQLite's FULL sync pays),
 * and the file system the files are on.
 *
 * usage: bench_pg_push URI [DEVICES [TXNS [RUNS]]]
 *   URI      postgresql://USER@HOST:PORT/DB of a cluster the benchmark may
 *            create and drop databases on (bench/run.sh starts a private one)
 *   DEVICES  default 40; TXNS per device, default 100; RUNS, default 3
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "harness.h"
#include "replica.h"
#include "store.h"
#include "sync.h"
#include "value.h"

#define BULK 20               /* members in a bulk transaction */
#define MAX_K 4
#define MAX_DEV 1000

static const int ks[] = { 1, 2, 4 };
#define NK ((int)(sizeof ks / sizeof ks[0]))

static char base_uri[1024];   /* the cluster, database part cut off */
static const char *cluster_uri;

/* A loopback port that was free a moment ago. */
static int
port_free(void)
{
	struct sockaddr_in a;
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	if (fd < 0)
		bx_die("socket: %s", strerror(errno));
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		bx_die("bind: %s", strerror(errno));
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Run SQL with no parameters on the cluster's maintenance connection (names made here only). */
static void
pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(cluster_uri);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		bx_die("%s: %s", cluster_uri, PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		bx_die("%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

/* One text value of a query on database uri (setting names only: no values from outside). */
static void
pg_value(const char *uri, const char *sql, char *out, size_t cap)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;

	if (PQstatus(c) != CONNECTION_OK)
		bx_die("%s: %s", uri, PQerrorMessage(c));
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		bx_die("%s: %s", sql, PQerrorMessage(c));
	snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
}

static void
copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	if (in < 0) {
		if (errno == ENOENT)
			return;
		bx_die("open %s: %s", from, strerror(errno));
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		bx_die("open %s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			bx_die("write %s: %s", to, strerror(errno));
	close(in);
	if (close(out) != 0)
		bx_die("close %s: %s", to, strerror(errno));
}

/* A replica's files (database, WAL, credential) copied to another path. */
static void
copy_replica(const char *from, const char *to)
{
	static const char *const sfx[] = { "", "-wal", ".credential" };
	char a[4200], b[4200];

	for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(a, sizeof a, "%s%s", from, sfx[i]);
		snprintf(b, sizeof b, "%s%s", to, sfx[i]);
		copy_file(a, b);
	}
}

/* Point a street directory's tongxind.conf at another database: its store line replaced. */
static void
conf_store(struct bx_street *st, const char *uri)
{
	char path[4200], tmp[4300], line[2048];
	FILE *in, *out;
	int done = 0;

	snprintf(path, sizeof path, "%s/tongxind.conf", st->dir);
	snprintf(tmp, sizeof tmp, "%s.new", path);
	if ((in = fopen(path, "r")) == NULL || (out = fopen(tmp, "w")) == NULL)
		bx_die("rewrite %s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, in) != NULL) {
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, "store", 5) == 0 && strchr(" \t=", p[5]) != NULL) {
			fprintf(out, "store = %s\n", uri);
			done = 1;
		} else
			fputs(line, out);
	}
	fclose(in);
	if (fclose(out) != 0 || !done || rename(tmp, path) != 0)
		bx_die("%s: no store line to replace, or cannot write it", path);
	chmod(path, 0600);
}

/* Fill device d's outbox: m transactions, one in ten a bulk one of BULK members. */
static void
fill_outbox(struct replica *r, const char *branch_id, int d, int m)
{
	struct bx_refs refs;
	struct bx_rows rows;
	size_t need = 0, k = 0;
	char id[ID_TEXT_LEN + 1], err[1024] = "";

	for (int i = 0; i < m; i++)
		need += i % 10 == 9 ? BULK : 1;
	memset(&refs, 0, sizeof refs);
	refs.org_id = branch_id;
	bx_rows_make(&rows, TBL_MEMBER, (uint64_t)d * 5000u, need, &refs);
	for (int i = 0; i < m; i++) {
		int n = i % 10 == 9 ? BULK : 1;
		if (rep_begin(r, "bench") != 0)
			bx_die("rep_begin");
		for (int j = 0; j < n; j++, k++)
			if (rep_insert(r, TBL_MEMBER, bx_row(&rows, k), id, err, sizeof err) != 0)
				bx_die("rep_insert: %s", err);
		if (rep_commit(r, err, sizeof err) != 0)
			bx_die("rep_commit: %s", err);
	}
	bx_rows_free(&rows);
}

/* Busy CPU seconds of the whole machine so far (/proc/stat: all but idle and iowait). */
static double
machine_busy(void)
{
	unsigned long long v[10] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	double busy = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &v[6], &v[7]) == 8)
		busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
	fclose(f);
	return busy;
}

/* CPU seconds (user + system) a process used so far (/proc/PID/stat), 0 if unknown. */
static double
proc_cpu(pid_t pid)
{
	char path[64], buf[2048], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The PostgreSQL server's main process (the backends' parent), 0 if unknown. */
static pid_t postmaster;

/* CPU seconds of the PostgreSQL processes (children of postmaster) alive now. */
static double
pg_cpu(void)
{
	DIR *d;
	struct dirent *e;
	double sum = 0;

	if (postmaster == 0 || (d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[1024], *p;
		int ppid = 0;
		FILE *f;
		size_t n;
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		if ((p = strrchr(buf, ')')) != NULL && sscanf(p + 2, "%*c %d", &ppid) == 1 &&
		    ppid == (int)postmaster)
			sum += proc_cpu((pid_t)atoi(e->d_name));
	}
	closedir(d);
	return sum;
}

/* Per run: the machine's busy cores during the pushes, CPU seconds of tongxind and PostgreSQL. */
struct cpu_use {
	double cores, server, pg;
};

/* Transactions in the street's txn_log before any device pushed (its set-up's). */
static long long setup_txns;

/* Rows in txn_log of a stopped SQLite street. */
static long long
sq_txn_log(const char *dir)
{
	char path[4400];
	sqlite3 *sdb;
	sqlite3_stmt *st;
	long long n;

	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	if (sqlite3_open(path, &sdb) != SQLITE_OK ||
	    sqlite3_prepare_v2(sdb, "SELECT count(*) FROM txn_log", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		bx_die("%s: %s", path, sqlite3_errmsg(sdb));
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(sdb);
	return n;
}

/*
 * One run: fresh street (SQLite copy, or k servers on a fresh database made
 * from the template), fresh replicas, all devices released at once.
 */
static double
run_once(const struct bx_street *sq, const struct bx_street *pg, int k, int ndev, int m,
    const char *tpl_dir, const char *base, int run_no, struct cpu_use *cpu)
{
	struct bx_street srv[MAX_K];
	char dir[4200], db[64], uri[1200], sql[160], rp[4300], tp[4300];
	pid_t *pids = calloc((size_t)ndev, sizeof *pids);
	int go[2], nsrv = k == 0 ? 1 : k, failed = 0;
	double t0, t1, busy0, srv0 = 0, pg0;

	if (pids == NULL)
		bx_die("out of memory");
	snprintf(dir, sizeof dir, "%s/run%d-k%d", base, run_no, k);
	if (mkdir(dir, 0700) != 0)
		bx_die("mkdir %s: %s", dir, strerror(errno));
	if (k > 0) {
		/* Database names made here from numbers only. */
		snprintf(db, sizeof db, "push_r%d_k%d", run_no, k);
		snprintf(sql, sizeof sql, "CREATE DATABASE %s TEMPLATE push_base", db);
		pg_admin(sql);
		snprintf(uri, sizeof uri, "%s/%s", base_uri, db);
	}
	for (int i = 0; i < nsrv; i++) {
		char sb[4300];
		snprintf(sb, sizeof sb, "%s/s%d", dir, i);
		if (mkdir(sb, 0700) != 0)
			bx_die("mkdir %s: %s", sb, strerror(errno));
		bx_street_copy(k == 0 ? sq : pg, &srv[i], sb);
		snprintf(srv[i].listen, sizeof srv[i].listen, "127.0.0.1:%d", port_free());
		if (k > 0)
			conf_store(&srv[i], uri);
		bx_server_start(&srv[i]);
	}
	for (int d = 0; d < ndev; d++) {
		snprintf(tp, sizeof tp, "%s/dev%d.db", tpl_dir, d);
		snprintf(rp, sizeof rp, "%s/dev%d.db", dir, d);
		copy_replica(tp, rp);
	}
	if (pipe(go) != 0)
		bx_die("pipe: %s", strerror(errno));
	fflush(NULL);
	for (int d = 0; d < ndev; d++) {
		if ((pids[d] = fork()) < 0)
			bx_die("fork: %s", strerror(errno));
		if (pids[d] == 0) {
			struct sync_report rep;
			struct sync_opts o;
			enum sync_fail f;
			struct replica *r;
			char err[1024] = "", c;

			close(go[1]);
			snprintf(rp, sizeof rp, "%s/dev%d.db", dir, d);
			if ((r = replica_open(rp, err, sizeof err)) == NULL) {
				fprintf(stderr, "replica %s: %s\n", rp, err);
				_exit(2);
			}
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			memset(&o, 0, sizeof o);
			o.server = srv[d % nsrv].listen;
			o.operator_name = "bench";
			o.timeout_ms = 600000;
			o.push_only = 1;
			if (sync_run(r, &o, &rep, &f, err, sizeof err) != 0) {
				fprintf(stderr, "device %d: sync: %s\n", d, err);
				_exit(4);
			}
			replica_close(r);
			_exit(rep.pushed_txns == m ? 0 : 5);
		}
	}
	close(go[0]);
	usleep(300000);   /* every child has its replica open and waits */
	for (int i = 0; i < nsrv; i++)
		srv0 += proc_cpu(srv[i].pid);
	pg0 = pg_cpu();
	busy0 = machine_busy();
	t0 = bx_now();
	close(go[1]);
	for (int d = 0; d < ndev; d++) {
		int st;
		while (waitpid(pids[d], &st, 0) < 0)
			if (errno != EINTR)
				bx_die("waitpid: %s", strerror(errno));
		failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	t1 = bx_now();
	cpu->cores = (machine_busy() - busy0) / (t1 - t0);
	cpu->pg = k > 0 ? pg_cpu() - pg0 : 0;
	cpu->server = -srv0;
	for (int i = 0; i < nsrv; i++)
		cpu->server += proc_cpu(srv[i].pid);
	if (failed)
		bx_die("%d of %d devices failed to push (k=%d)", failed, ndev, k);
	for (int i = 0; i < nsrv; i++)
		bx_server_stop(&srv[i]);
	/* Every transaction applied, once. */
	{
		char n[32], want[32];
		snprintf(want, sizeof want, "%lld", (long long)ndev * m + setup_txns);
		if (k > 0)
			pg_value(uri, "SELECT count(*) FROM txn_log", n, sizeof n);
		else
			snprintf(n, sizeof n, "%lld", sq_txn_log(srv[0].dir));
		if (strcmp(n, want) != 0)
			bx_die("k=%d: txn_log holds %s transactions, %s were pushed", k, n, want);
	}
	if (k > 0) {
		snprintf(sql, sizeof sql, "DROP DATABASE %s", db);
		pg_admin(sql);
	}
	bx_rm_rf(dir);
	free(pids);
	return t1 - t0;
}

int
main(int argc, char **argv)
{
	int ndev, m, runs, ncpu;
	double load0, load1, secs[NK + 1][16], cores[NK + 1][16], scpu[NK + 1][16];
	double pcpu[NK + 1][16];
	struct cpu_use cu;
	struct bx_office o;
	struct bx_street pg;
	const char *base;
	char tpl[4200], bundle[4300], rp[4300], name[64], fsync_on[16], sync_commit[16], ver[64];
	char *slash;

	if (argc < 2 || strncmp(argv[1], "postgresql://", 13) != 0) {
		fprintf(stderr, "usage: bench_pg_push URI [DEVICES [TXNS [RUNS]]]\n");
		return 2;
	}
	cluster_uri = argv[1];
	snprintf(base_uri, sizeof base_uri, "%s", argv[1]);
	if ((slash = strrchr(base_uri, '/')) == NULL || slash < base_uri + 13)
		bx_die("%s names no database", argv[1]);
	*slash = '\0';
	ndev = argc > 2 ? (int)bx_arg_long(argv[2], "DEVICES") : 40;
	m = argc > 3 ? (int)bx_arg_long(argv[3], "TXNS") : 100;
	runs = argc > 4 ? (int)bx_arg_long(argv[4], "RUNS") : 3;
	if (ndev > MAX_DEV || runs > 16)
		bx_die("at most %d devices and 16 runs", MAX_DEV);
	signal(SIGPIPE, SIG_IGN);
	bx_load(&load0, &ncpu);
	pg_value(cluster_uri, "SELECT current_setting('fsync')", fsync_on, sizeof fsync_on);
	pg_value(cluster_uri, "SELECT current_setting('synchronous_commit')", sync_commit,
	    sizeof sync_commit);
	pg_value(cluster_uri, "SELECT current_setting('server_version')", ver, sizeof ver);
	{
		/* The backends' parent: a backend's parent process. */
		char pid[32], path[64], buf[1024], *p;
		FILE *f;
		size_t n;
		int pp = 0;
		pg_value(cluster_uri, "SELECT pg_backend_pid()", pid, sizeof pid);
		snprintf(path, sizeof path, "/proc/%d/stat", atoi(pid));
		if ((f = fopen(path, "r")) != NULL) {
			n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
			buf[n] = '\0';
			if ((p = strrchr(buf, ')')) != NULL && sscanf(p + 2, "%*c %d", &pp) == 1)
				postmaster = (pid_t)pp;
		}
	}
	base = bx_tmpdir("pg-push");

	/* The SQLite street: a community, a branch, N office devices, each a replica with its outbox. */
	bx_office_init(&o, base);
	bx_street_unlimited(&o.st, ndev + 16);
	snprintf(tpl, sizeof tpl, "%s/tpl", base);
	if (mkdir(tpl, 0700) != 0)
		bx_die("mkdir %s: %s", tpl, strerror(errno));
	bx_server_start(&o.st);
	for (int d = 0; d < ndev; d++) {
		struct sync_report rep;
		struct replica *r;
		snprintf(name, sizeof name, "push-%d", d);
		snprintf(bundle, sizeof bundle, "%s/%s.bundle", tpl, name);
		snprintf(rp, sizeof rp, "%s/dev%d.db", tpl, d);
		bx_enroll_org(&o.st, "C000", name, bundle);
		r = bx_replica_new(rp, bundle);
		bx_sync(r, &o.st, 0, 1, &rep);   /* the community and its branch */
		fill_outbox(r, o.branch_id, d, m);
		replica_close(r);
	}
	bx_server_stop(&o.st);
	setup_txns = sq_txn_log(o.st.dir);

	/* The PostgreSQL street: a copy moved by tongxind migrate into push_base. */
	{
		char pgbase[4300], uri[1200], log[4400];
		snprintf(pgbase, sizeof pgbase, "%s/pgstreet", base);
		if (mkdir(pgbase, 0700) != 0)
			bx_die("mkdir %s: %s", pgbase, strerror(errno));
		bx_street_copy(&o.st, &pg, pgbase);
		pg_admin("CREATE DATABASE push_base");
		snprintf(uri, sizeof uri, "%s/push_base", base_uri);
		snprintf(log, sizeof log, "%s/migrate.log", pgbase);
		{
			char *av[] = { (char *)bx_tongxind(), "migrate", pg.dir, "--store", uri, NULL };
			if (bx_run(av, log) != 0)
				bx_die("tongxind migrate failed (see %s)", log);
		}
	}

	printf("bench_pg_push: %d devices x %d transactions (9 in 10 one member, 1 in 10 %d "
	    "members), all pushing at once; %d runs, sides interleaved, medians\n", ndev, m, BULK,
	    runs);
	printf("  machine: %d CPUs, load average %.2f at start; files on %s\n", ncpu, load0,
	    bx_fs_name(base));
	printf("  PostgreSQL %s: fsync = %s, synchronous_commit = %s (SQLite: synchronous FULL)\n",
	    ver, fsync_on, sync_commit);
	fflush(stdout);
	for (int r = 0; r < runs; r++) {
		secs[0][r] = run_once(&o.st, NULL, 0, ndev, m, tpl, base, r, &cu);
		cores[0][r] = cu.cores;
		scpu[0][r] = cu.server;
		pcpu[0][r] = 0;
		for (int i = 0; i < NK; i++) {
			secs[i + 1][r] = run_once(NULL, &pg, ks[i], ndev, m, tpl, base, r, &cu);
			cores[i + 1][r] = cu.cores;
			scpu[i + 1][r] = cu.server;
			pcpu[i + 1][r] = cu.pg;
		}
		printf("  run %d: SQLite %.2f s", r + 1, secs[0][r]);
		for (int i = 0; i < NK; i++)
			printf(", PostgreSQL x%d %.2f s", ks[i], secs[i + 1][r]);
		printf("\n");
		fflush(stdout);
	}
	bx_load(&load1, &ncpu);
	{
		double total = (double)ndev * m, base_tps, med;
		char a[32];

		med = bx_median(secs[0], runs);
		base_tps = total / med;
		printf("  %-28s %7s txn/s  (median %.2f s; machine %.1f of %d cores busy; tongxind "
		    "%.2f ms CPU a txn)\n", "1 tongxind, SQLite", bx_commas(base_tps, a, sizeof a), med,
		    bx_median(cores[0], runs), ncpu, bx_median(scpu[0], runs) * 1e3 / total);
		for (int i = 0; i < NK; i++) {
			double tps;
			med = bx_median(secs[i + 1], runs);
			tps = total / med;
			snprintf(name, sizeof name, "%d tongxind, PostgreSQL", ks[i]);
			printf("  %-28s %7s txn/s  (median %.2f s; machine %.1f of %d cores busy; tongxind "
			    "%.2f ms CPU a txn, PostgreSQL %.2f ms)  %.2fx SQLite\n", name,
			    bx_commas(tps, a, sizeof a), med, bx_median(cores[i + 1], runs), ncpu,
			    bx_median(scpu[i + 1], runs) * 1e3 / total,
			    bx_median(pcpu[i + 1], runs) * 1e3 / total, tps / base_tps);
		}
	}
	printf("  load average %.2f at the end\n", load1);
	printf("  limits: %d CPUs shared by the %d pushing devices, every tongxind and PostgreSQL%s;"
	    " PostgreSQL fsync = %s%s\n", ncpu, ndev, ncpu <= 2 ? " (more tongxind than cores "
	    "cannot add CPU)" : "", fsync_on, strcmp(fsync_on, "off") == 0 ? " (its commits skip "
	    "the disk flush SQLite pays: the comparison favours PostgreSQL)" : " (both flush at "
	    "commit)");
	pg_admin("DROP DATABASE push_base");
	return 0;
}
