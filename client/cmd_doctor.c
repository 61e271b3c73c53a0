/*
 * cmd_doctor.c - tongxin doctor: check the replica file whole, and rebuild a
 * damaged one from the server.
 *
 * A rebuild never destroys anything: the new replica is made beside the old
 * one (PATH.rebuilding) from the same credential, takes over what can still
 * be read of the unsent outbox, and syncs in full. Only when the sync has
 * succeeded is the old file moved aside (kept, 0600, with a timestamp in its
 * name) and the new one put in its place; on any failure before that, the
 * replica is left exactly as it was.
 *
 * One row of the command table (cmd_entries_doctor, cmd.h), parsed by
 * cmd_parse: --rebuild, the global options, nothing else.
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "log.h"
#include "sync.h"

/* Problems shown on the terminal; the rest are counted. */
#define DOCTOR_SHOW 10

/*
 * Print a failure on stderr, after whatever stdout holds so far: a log that
 * captures both keeps them in order.
 */
static void doctor_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
doctor_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tongxin doctor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* The problems integrity_check found, printed as they come. */
struct problems {
	int n;
};

/* replica_integrity's callback: show the first problems, count the rest. */
static void
problem_print(const char *line, void *arg)
{
	struct problems *p = arg;

	if (p->n++ < DOCTOR_SHOW)
		printf("    %s\n", line);
}

/*
 * Run the full check on path and print the verdict. Returns 0 sound, 1
 * damaged, -1 the check could not run (printed).
 */
static int
doctor_integrity(const char *path)
{
	struct problems p = { 0 };
	char err[1024] = "";
	int rc;

	printf("检查 Checking %s (PRAGMA integrity_check)…\n", path);
	fflush(stdout);
	rc = replica_integrity(path, problem_print, &p, err, sizeof err);
	if (rc < 0) {
		doctor_err("%s\n", err);
		return -1;
	}
	if (rc == 0) {
		printf("  完好 The replica file passes the integrity check.\n");
		return 0;
	}
	if (p.n > DOCTOR_SHOW)
		printf("    … and %d more\n", p.n - DOCTOR_SHOW);
	printf("  本机数据文件已损坏 The replica file is damaged.\n");
	return 1;
}

/*
 * Read the credential kept beside path and print whose it is. 0, or -1
 * having told the clerk to join the bundle again.
 */
static int
doctor_credential(const char *path)
{
	struct pki_cred c;
	char addr[300], err[1024] = "";

	if (replica_credential_at(path, &c, addr, sizeof addr, err, sizeof err) != 0) {
		doctor_err("设备凭据无法读取 the device credential %s.credential "
		    "cannot be read (%s), so this replica cannot be rebuilt from the server.\n"
		    "  请向街道索取本设备的凭据包，将 %s 移走后重新运行 tongxin join: ask the street for "
		    "this device's bundle, move %s away, and run: tongxin join BUNDLE --replica %s\n",
		    path, err, path, path, path);
		return -1;
	}
	printf("  凭据 Credential: device %s (%s) of organisation %s, server %s\n", c.id.device,
	    c.id.role, c.id.org_code, addr[0] ? addr : "-");
	pki_cred_clear(&c);
	return 0;
}

/* tongxin doctor: check only. */
static int
doctor_check(const char *path)
{
	int rc;

	replica_folder_warn(path);
	if ((rc = doctor_integrity(path)) < 0)
		return EXIT_FAIL;
	if (doctor_credential(path) != 0)
		return EXIT_DAMAGED;
	if (rc == 1) {
		printf("运行 tongxin doctor --rebuild 从服务器重建 Run \"tongxin doctor --rebuild\" to "
		    "rebuild the replica from the server; the changes not yet sent are kept when "
		    "readable.\n");
		return EXIT_DAMAGED;
	}
	return EXIT_OK;
}

/* Counts of the main record tables of the replica at path, for the result line. */
static void
doctor_counts(const char *path)
{
	char err[1024] = "";
	struct replica *r = replica_open(path, err, sizeof err);
	sqlite3_stmt *st;

	if (r == NULL)
		return;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT (SELECT count(*) FROM org),"
	    " (SELECT count(*) FROM member), (SELECT count(*) FROM outbox)", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			printf("  现有 The replica holds %lld organisations and %lld members; %lld "
			    "transactions wait to be sent.\n", sqlite3_column_int64(st, 0),
			    sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2));
		sqlite3_finalize(st);
	}
	replica_close(r);
}

/*
 * tongxin doctor --rebuild: the steps of the file comment. Returns an exit
 * code; on failure the replica at path is as it was.
 */
static int
doctor_rebuild(struct cli *cli, const char *path)
{
	char tmp[4200], credpath[4200], aside[4400], err[1024] = "";
	struct sync_opts o = { 0 };
	struct sync_report rep;
	struct rep_salvage s;
	struct replica *r;
	enum sync_fail f;
	bool exists = access(path, F_OK) == 0, identity = false;
	int rc;

	/* 1. What is wrong (for the record; the rebuild goes ahead either way). */
	if (exists && doctor_integrity(path) < 0)
		return EXIT_FAIL;
	if (!exists)
		printf("  %s 不存在 does not exist: a new replica is made from its credential.\n",
		    path);
	/* 2. The credential: without it nothing can be fetched from the server. */
	if (doctor_credential(path) != 0)
		return EXIT_DAMAGED;
	/* 3. A new replica beside the old one, with what the old one still holds unsent. */
	snprintf(tmp, sizeof tmp, "%s.rebuilding", path);
	snprintf(credpath, sizeof credpath, "%s.credential", path);
	replica_discard(tmp);   /* the leftovers of an interrupted rebuild */
	if (replica_join(tmp, credpath, NULL, err, sizeof err) != 0 ||
	    (r = replica_open(tmp, err, sizeof err)) == NULL) {
		doctor_err("cannot make the new replica: %s\n", err);
		replica_discard(tmp);
		return EXIT_FAIL;
	}
	if (exists) {
		if (replica_salvage(r, path, &s, err, sizeof err) != 0) {
			doctor_err("%s\n", err);
			replica_close(r);
			replica_discard(tmp);
			return EXIT_FAIL;
		}
		if (!s.readable)
			printf("  未发送的修改 Unsent changes: none readable (the file cannot be read as "
			    "a database).\n");
		else
			printf("  未发送的修改 Unsent changes kept: %lld transactions; earlier answers "
			    "of the server kept: %lld.\n", (long long)s.outbox, (long long)s.outcomes);
		identity = s.identity;
		if (s.outbox_lost)
			printf("  无法读取 %lld unsent transactions could not be read; the damaged file "
			    "is kept and holds them.\n", (long long)s.outbox_lost);
		if (s.changes_lost)
			printf("  无法读取 %lld new rows of kept transactions were on damaged pages and "
			    "are left out of them; the damaged file is kept.\n",
			    (long long)s.changes_lost);
	}
	/* 4. The full sync: the unsent changes go out, the server's data comes back. */
	printf("同步 Syncing with %s…\n", cli->server ? cli->server : replica_info(r)->server);
	fflush(stdout);
	o.server = cli->server;
	o.operator_name = cli->operator_name;
	o.progress = !cli->quiet && isatty(2);
	o.verify = 1;
	if (sync_run(r, &o, &rep, &f, err, sizeof err) != 0) {
		doctor_err("同步失败 the sync failed: %s\n"
		    "  %s 保持原样 is left as it was; run \"tongxin doctor --rebuild\" again when the "
		    "server is reachable.\n", err, path);
		if (f == SYNC_REFUSED && !identity)
			fprintf(stderr, "  提示 The damaged file's replica identity could not be read, so the "
			    "server sees a new computer: ask the street to enrol this computer again "
			    "(tongxind enroll) and join the new bundle.\n");
		replica_close(r);
		replica_discard(tmp);
		return fail_exit(f);
	}
	printf("  推送 pushed %lld transactions: %lld applied, %lld merged, %lld conflict, "
	    "%lld rejected%s\n", (long long)rep.pushed_txns, (long long)rep.acks.applied,
	    (long long)rep.acks.merged, (long long)rep.acks.conflict,
	    (long long)rep.acks.rejected, rep.acks.duplicate ? " (some already known)" : "");
	printf("  拉取 pulled %llu rows\n", (unsigned long long)rep.pulled_rows);
	if (rep.verify[0])
		printf("  副本核对 replica check: %s\n", rep.verify);
	replica_close(r);
	/* 5. Swap: the damaged file is kept aside, the new one takes its place. */
	if (exists && replica_set_aside(path, aside, sizeof aside, err, sizeof err) != 0) {
		doctor_err("%s\n", err);
		replica_discard(tmp);
		return EXIT_FAIL;
	}
	if (replica_install(tmp, path, err, sizeof err) != 0) {
		doctor_err("%s (the new replica is %s)\n", err, tmp);
		return EXIT_FAIL;
	}
	if (exists)
		printf("  原文件已保留 The damaged file is kept as %s (mode 0600).\n", aside);
	/* 6. The result, checked like any other. */
	replica_damage_forget();
	if ((rc = doctor_integrity(path)) != 0)
		return rc < 0 ? EXIT_FAIL : EXIT_DAMAGED;
	doctor_counts(path);
	printf("已重建 Rebuilt %s from the server.\n", path);
	return EXIT_OK;
}

/*
 * tongxin doctor [--rebuild]: check the replica file, or rebuild it. The
 * replica is not opened through cli_open (a damaged one must not stop the
 * verb meant to repair it). A missing replica file is a local failure (1),
 * as in every verb; --rebuild makes one from the credential beside it.
 */
static int
exec_doctor(struct cli *cli, const struct cmd_args *a)
{
	int rebuild = cmd_has(a, "rebuild"), rc;

	if (!rebuild && access(cli->replica, F_OK) != 0) {
		doctor_err("没有本机数据文件 no replica at %s (point --replica or "
		    "TONGXIN_REPLICA at it)\n", cli->replica);
		return EXIT_FAIL;
	}
	rc = rebuild ? doctor_rebuild(cli, cli->replica) : doctor_check(cli->replica);
	/* Damage met on purpose is this verb's own report, not a failure of the run. */
	replica_damage_forget();
	return rc;
}

static const struct cmd_opt doctor_opts[] = {
	{ "rebuild", NULL, 0, "从服务器重建本机数据文件 rebuild the replica from the server" },
	{ NULL, NULL, 0, NULL },
};

/* Declared here until cli.h lists every verb's table. */
extern const struct cmd_entry cmd_entries_doctor[];

const struct cmd_entry cmd_entries_doctor[] = {
	{ "doctor", NULL, NULL, 0, 0, doctor_opts, 0, 0,
	  "检查本机数据文件 Check the replica file whole (PRAGMA integrity_check) and its\n"
	  "credential.\n"
	  "  --rebuild  rebuild the replica from the server with the same credential: the\n"
	  "             unsent changes that are still readable are kept (with their sequence\n"
	  "             numbers) and sent, the server's data comes back by a full sync, and\n"
	  "             the old file is kept beside it as PATH.damaged-YYYYMMDD-HHMMSS (0600).\n"
	  "             Nothing is changed unless the sync succeeds.\n"
	  "退出状态 Exit status: 0 完好 sound (or rebuilt), 8 已损坏 damaged (or the\n"
	  "credential unreadable: join the bundle again), 3-6 the server could not be used\n"
	  "for the rebuild, 1 失败 no replica at PATH or a local failure, 2 命令行有误 usage\n"
	  "error.\n",
	  exec_doctor },
	{ NULL, NULL, NULL, 0, 0, NULL, 0, 0, NULL, NULL },
};

/* tongxin doctor: its one row, parsed and run by cmd_run. */
int
verb_doctor(struct cli *cli, int argc, char **argv)
{
	return cmd_run(cmd_entries_doctor, cli, argc, argv);
}
