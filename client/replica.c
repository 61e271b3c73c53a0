/* replica.c - the local replica and its outbox; see replica.h. */
#include "replica.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "pbwire.h"
#include "replica_int.h"
#include "rowhash.h"
#include "tz.h"
#include "log.h"
#include "reason.h"
#include "value.h"
#include "vocab.h"

/* struct replica: see replica_int.h. */

static const char replica_ddl[] =
	"CREATE TABLE outbox ("
	"  seq INTEGER PRIMARY KEY, hlc INTEGER NOT NULL, created_at INTEGER NOT NULL,"
	"  nchanges INTEGER NOT NULL, txn BLOB NOT NULL);"
	"CREATE TABLE pending ("
	"  row_id TEXT NOT NULL, seq INTEGER NOT NULL, tbl INTEGER NOT NULL,"
	"  PRIMARY KEY (row_id, seq)) WITHOUT ROWID;"
	"CREATE INDEX pending_seq ON pending(seq);"
	/* What became of every local transaction the server answered. */
	"CREATE TABLE outcome ("
	"  seq INTEGER PRIMARY KEY, status TEXT NOT NULL, reason TEXT, conflict_id TEXT,"
	"  txn BLOB, at INTEGER NOT NULL, resolution TEXT, reason_code INTEGER);"
	"CREATE TABLE cursor (tbl INTEGER PRIMARY KEY, version INTEGER NOT NULL);"
	/* Rows deleted on the server, with the version of their deletion (see replica_recover.c). */
	"CREATE TABLE gone (row_id TEXT PRIMARY KEY NOT NULL, tbl INTEGER NOT NULL,"
	"  version INTEGER NOT NULL) WITHOUT ROWID;"
	/* What the server told this office about values it had written (newer edits won). */
	"CREATE TABLE notice (id TEXT PRIMARY KEY, at INTEGER NOT NULL, text TEXT NOT NULL);";

/* --- health: damage met, the check at open ------------------------------- */

/*
 * Damage this process has met. SQLite reports corruption through its error
 * log wherever it meets it (a statement stepping onto a bad page, a schema
 * that cannot be read), so every verb's queries are covered without each
 * testing for SQLITE_CORRUPT.
 */
static struct {
	bool seen;
	bool told;              /* the message went out in replica_open's err */
	char path[4096];        /* the replica last opened */
	char detail[200];       /* what SQLite or the check said first */
} damage;

/* Record damage; the first description is kept unless replace is set. */
void
damage_note(const char *detail, bool replace)
{
	if (!damage.seen || replace)
		snprintf(damage.detail, sizeof damage.detail, "%s", detail);
	damage.seen = true;
}

/*
 * SQLite's error log: called wherever an error is met, before it is
 * returned. Its messages name source lines; the clerk gets the plain name
 * of the error.
 */
static void
damage_log(void *arg, int code, const char *msg)
{
	(void)arg;
	(void)msg;
	if ((code & 0xff) == SQLITE_CORRUPT || (code & 0xff) == SQLITE_NOTADB)
		damage_note(sqlite3_errstr(code & 0xff), false);
}

/*
 * The first problem of an integrity_check row into buf: SQLite starts it
 * with a "*** in database main ***" line.
 */
static void
problem_first(const char *row, char *buf, size_t cap)
{
	const char *nl;

	if (strncmp(row, "*** ", 4) == 0 && (nl = strchr(row, '\n')) != NULL)
		row = nl + 1;
	nl = strchr(row, '\n');
	snprintf(buf, cap, "%.*s", nl ? (int)(nl - row) : (int)strlen(row), row);
}

/*
 * Install damage_log. SQLite takes it only before its first use in the
 * process; in a program that has used SQLite already (the tests link the
 * server), damage is then seen at open and through result codes only.
 */
static void
damage_watch(void)
{
	static bool asked;

	if (asked)
		return;
	asked = true;
	if (sqlite3_config(SQLITE_CONFIG_LOG, damage_log, NULL) != SQLITE_OK)
		log_debug("replica: SQLite was in use before the replica was opened; its error "
		    "log is not watched");
}

static void
damage_text(char *buf, size_t cap)
{
	snprintf(buf, cap, "本机数据文件已损坏，请运行 tongxin doctor 修复。The replica file %s is "
	    "damaged (%s); \"tongxin doctor\" checks it, \"tongxin doctor --rebuild\" rebuilds it "
	    "from the server, keeping the changes not yet sent.", damage.path, damage.detail);
}

bool
replica_damaged(void)
{
	return damage.seen;
}

bool
replica_damage_untold(char *buf, size_t cap)
{
	if (!damage.seen || damage.told)
		return false;
	damage_text(buf, cap);
	damage.told = true;
	return true;
}

void
replica_damage_forget(void)
{
	damage.seen = damage.told = false;
	damage.detail[0] = '\0';
}

/*
 * A watchdog for the check at open: SQLite 3.40 runs the b-tree walk of
 * quick_check inside one VDBE instruction, where no progress handler is
 * called, but it does honour sqlite3_interrupt(), which another thread may
 * call.
 */
struct watchdog {
	sqlite3 *db;
	int ms;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;              /* the check is over: do not interrupt */
};

static void *
watchdog_run(void *arg)
{
	struct watchdog *w = arg;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += w->ms / 1000;
	until.tv_nsec += (long)(w->ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mu);
	while (!w->done)
		if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT)
			break;
	if (!w->done)
		sqlite3_interrupt(w->db);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The time budget of the check at open: $TONGXIN_CHECK_MS (0-600000) or REP_CHECK_MS. */
static int
check_budget(void)
{
	const char *e = getenv("TONGXIN_CHECK_MS");
	char *end;
	long v;

	if (e == NULL || e[0] == '\0')
		return REP_CHECK_MS;
	v = strtol(e, &end, 10);
	return *end == '\0' && v >= 0 && v <= 600000 ? (int)v : REP_CHECK_MS;
}

/* Whether an SQLite result code says the file is damaged. */
static bool
is_damage_code(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/*
 * PRAGMA quick_check on db, the replica's own connection, before anything
 * else reads it, stopped after budget_ms (the watchdog's interrupt can only
 * reach this statement: it is joined before the statement ends). One
 * connection, so the schema is read once and the file opened once. path is
 * for the debug note. Returns 0 sound, 2 accepted unchecked (no budget,
 * or the budget ran out), 1 damaged (what was found in detail), -1 the
 * check could not run (the ordinary open then says why).
 */
static int
quick_check(sqlite3 *db, const char *path, int budget_ms, char *detail, size_t cap)
{
	struct watchdog w;
	pthread_t th;
	bool watched = false;
	sqlite3_stmt *st = NULL;
	struct timespec t0, t1;
	int rc, verdict = -1;

	if (budget_ms == 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL)) != SQLITE_OK) {
		/* The schema itself cannot be read, or this is no database at all. */
		if (is_damage_code(sqlite3_extended_errcode(db))) {
			snprintf(detail, cap, "%s", sqlite3_errmsg(db));
			verdict = 1;
		}
		goto out;
	}
	memset(&w, 0, sizeof w);
	w.db = db;
	w.ms = budget_ms;
	pthread_mutex_init(&w.mu, NULL);
	{
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&w.cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	/* Without a thread the check runs to its end: slower, never wrong. */
	watched = pthread_create(&th, NULL, watchdog_run, &w) == 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *first = (const char *)sqlite3_column_text(st, 0);
		if (first != NULL && strcmp(first, "ok") == 0) {
			verdict = 0;
		} else {
			problem_first(first ? first : "quick_check failed", detail, cap);
			verdict = 1;
		}
	} else if ((rc & 0xff) == SQLITE_INTERRUPT) {
		verdict = 2;
	} else if (is_damage_code(rc)) {
		snprintf(detail, cap, "%s", sqlite3_errmsg(db));
		verdict = 1;
	}
	if (watched) {
		pthread_mutex_lock(&w.mu);
		w.done = true;
		pthread_cond_signal(&w.cv);
		pthread_mutex_unlock(&w.mu);
		pthread_join(th, NULL);
	}
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((rc & 0xff) == SQLITE_INTERRUPT)
		log_debug("replica: quick_check of %s stopped after %d ms unfinished; the file is "
		    "accepted unchecked (tongxin doctor checks it whole)", path, budget_ms);
	else
		log_debug("replica: quick_check of %s: %s in %lld ms", path,
		    verdict == 0 ? "ok" : verdict == 1 ? "damaged" : "could not run",
		    (long long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
out:
	sqlite3_finalize(st);
	return verdict;
}

/*
 * Make the files of an existing replica private: versions before 0600
 * replicas left them 0644. Only the owner's own files, and never a folder.
 */
static void
files_private(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", ".credential" };
	char p[4200];
	struct stat sb;

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		if (lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077) != 0 &&
		    sb.st_uid == geteuid() && chmod(p, sb.st_mode & 0700) != 0)
			log_debug("replica: cannot make %s private: %s", p, strerror(errno));
	}
}

/*
 * The mark of a replica file: its identity and last modification, as text
 * into buf. A replica's main file changes only when SQLite checkpoints into
 * it; anything else that writes it (a copy over it, a disk tool, dd)
 * changes its inode, size or modification time. false when path cannot be
 * read.
 */
static bool
file_mark(const char *path, char *buf, size_t cap)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		return false;
	snprintf(buf, cap, "1 %llu %llu %lld %lld.%09ld", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino, (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
	    sb.st_mtim.tv_nsec);
	return true;
}

/* The mark kept on the file at path (REP_MARK_ATTR) into buf; false when there is none. */
static bool
mark_kept(const char *path, char *buf, size_t cap)
{
	ssize_t n = getxattr(path, REP_MARK_ATTR, buf, cap - 1);

	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/*
 * After the close of a replica known sound: keep the file's mark on it (an
 * extended attribute, so the replica stays one file and no write reaches
 * the database), unless it is kept already. A file system without user
 * attributes keeps none: every open then checks.
 */
static void
mark_keep(const struct rep_info *i)
{
	char now[sizeof i->file_mark], kept[sizeof i->file_mark];

	if (damage.seen) {
		/* A query met damage the check at open did not run to see: the next open checks. */
		removexattr(i->path, REP_MARK_ATTR);
		return;
	}
	if (!i->file_sound || !file_mark(i->path, now, sizeof now) ||
	    (mark_kept(i->path, kept, sizeof kept) && strcmp(now, kept) == 0))
		return;
	if (setxattr(i->path, REP_MARK_ATTR, now, strlen(now), 0) != 0)
		log_debug("replica: cannot mark %s as checked: %s", i->path, strerror(errno));
}

sqlite3 *
replica_db(struct replica *r)
{
	return r->db;
}

static void
load_info(struct replica *r)
{
	static const struct {
		const char *key;
		size_t off, cap;        /* cap 0: the integer last_contact */
	} fields[] = {
		{ "device_id", offsetof(struct rep_info, device_id), sizeof r->info.device_id },
		{ "device", offsetof(struct rep_info, device), sizeof r->info.device },
		{ "org_code", offsetof(struct rep_info, org_code), sizeof r->info.org_code },
		{ "role", offsetof(struct rep_info, role), sizeof r->info.role },
		{ "server", offsetof(struct rep_info, server), sizeof r->info.server },
		{ "street", offsetof(struct rep_info, street), sizeof r->info.street },
		{ "last_contact", 0, 0 },
	};
	struct rep_info *i = &r->info;
	sqlite3_stmt *st;

	/* One statement for the seven values (each command reads them, some several times). */
	for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
		if (fields[k].cap)
			((char *)i + fields[k].off)[0] = '\0';
	i->last_contact = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT key, value FROM meta WHERE key IN ('device_id', "
	    "'device', 'org_code', 'role', 'server', 'street', 'last_contact')", -1, &st,
	    NULL) == SQLITE_OK) {
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *key = (const char *)sqlite3_column_text(st, 0);
			for (size_t k = 0; key != NULL && k < sizeof fields / sizeof fields[0]; k++) {
				if (strcmp(key, fields[k].key) != 0 ||
				    sqlite3_column_type(st, 1) == SQLITE_NULL)
					continue;
				if (fields[k].cap == 0)
					i->last_contact = sqlite3_column_int64(st, 1);
				else
					snprintf((char *)i + fields[k].off, fields[k].cap, "%s",
					    (const char *)sqlite3_column_text(st, 1));
			}
		}
		sqlite3_finalize(st);
	}
	i->pending_txns = i->pending_changes = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT count(*), coalesce(sum(nchanges), 0) FROM outbox", -1,
	    &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			i->pending_txns = sqlite3_column_int64(st, 0);
			i->pending_changes = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
	}
}

const struct rep_info *
replica_info(struct replica *r)
{
	load_info(r);
	return &r->info;
}

/* The folder part of path ("." when it has none) into dir. */
static void
path_folder(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, cap, ".");
	else if (slash == path)
		snprintf(dir, cap, "/");
	else
		snprintf(dir, cap, "%.*s", (int)(slash - path), path);
}

void
replica_folder_warn(const char *path)
{
	char dir[4096];
	struct stat sb;

	path_folder(path, dir, sizeof dir);
	if (stat(dir, &sb) == 0 && (sb.st_mode & 077) != 0)
		log_warnx("警告 warning: 本机数据所在文件夹其他用户可访问 the folder %s holding the "
		    "replica is open to other users (mode %03o); \"chmod 700 %s\" closes it", dir,
		    (unsigned)(sb.st_mode & 0777), dir);
}

/*
 * Create the folders missing on the way to path, each 0700 whatever the
 * umask (they hold personal data), and warn about an existing folder that
 * other users can enter. Existing folders are never changed.
 */
static int
folder_prepare(const char *path, char *err, size_t errlen)
{
	char dir[4096];
	struct stat sb;

	path_folder(path, dir, sizeof dir);
	if (stat(dir, &sb) == 0) {
		replica_folder_warn(path);
		return 0;
	}
	/* Each missing component from the top down; a component made by us is ours to set. */
	for (char *p = dir + 1; ; p++) {
		char c = *p;
		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (stat(dir, &sb) != 0) {
			if (mkdir(dir, 0700) == 0) {
				/* Ours: the umask may have taken bits from it. */
				if (chmod(dir, 0700) != 0) {
					snprintf(err, errlen, "cannot make %s private: %s", dir,
					    strerror(errno));
					return -1;
				}
			} else if (errno != EEXIST) {
				snprintf(err, errlen, "cannot create the folder %s: %s", dir,
				    strerror(errno));
				return -1;
			}
		}
		*p = c;
		if (c == '\0')
			break;
	}
	return 0;
}

/* Create the empty database file at path, 0600 whatever the umask. */
static int
file_create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0600) != 0) {
		snprintf(err, errlen, "cannot make %s private: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

void
replica_discard(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal", ".credential" };
	char p[4200];

	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

int
replica_join(const char *path, const char *bundle, const char *server_override, char *err,
    size_t errlen)
{
	struct pki_cred c;
	char addr[300], credpath[4200], ddl[65536], rid[ID_TEXT_LEN + 1];
	struct stat sb;
	sqlite3 *db;
	int rc = -1;

	damage_watch();
	if (stat(path, &sb) == 0) {
		snprintf(err, errlen, "%s already exists; a replica is joined once "
		    "(use --replica to choose another path)", path);
		return -1;
	}
	if (pki_bundle_read(bundle, &c, addr, sizeof addr, err, errlen) != 0)
		return -1;
	if (folder_prepare(path, err, errlen) != 0) {
		pki_cred_clear(&c);
		return -1;
	}
	if (server_override != NULL)
		snprintf(addr, sizeof addr, "%s", server_override);
	snprintf(credpath, sizeof credpath, "%s.credential", path);
	if (pki_bundle_write(credpath, &c, addr, 1, err, errlen) != 0) {
		pki_cred_clear(&c);
		return -1;
	}
	/* SQLite gives the -wal and -shm files the mode of the database file. */
	if (file_create_private(path, err, errlen) != 0)
		goto out;
	if ((db = db_open(path, 1, 0, err, errlen)) == NULL) {
		replica_discard(path);
		goto out;
	}
	if (schema_ddl(ddl, sizeof ddl, 0) < 0 ||
	    db_exec(db, "BEGIN", err, errlen) != 0 || db_meta_init(db) != 0 ||
	    db_exec(db, ddl, err, errlen) != 0 || db_exec(db, replica_ddl, err, errlen) != 0 ||
	    db_meta_set(db, "schema", schema_canonical_text()) != 0 ||
	    db_meta_set(db, "device_id", c.id.device_id) != 0 ||
	    db_meta_set(db, "device", c.id.device) != 0 ||
	    db_meta_set(db, "org_code", c.id.org_code) != 0 ||
	    db_meta_set(db, "role", c.id.role) != 0 ||
	    db_meta_set(db, "server", addr) != 0 ||
	    db_meta_set_int(db, "next_seq", 1) != 0 ||
	    /* This replica's identity: the server binds the device to the first it sees. */
	    id_new(rid) != 0 || db_meta_set(db, "replica_id", rid) != 0 ||
	    db_exec(db, "COMMIT", err, errlen) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot create the replica: %s", sqlite3_errmsg(db));
		db_close(db);
		replica_discard(path);
		goto out;
	}
	db_close(db);
	rc = 0;
out:
	if (rc != 0)
		unlink(credpath);
	pki_cred_clear(&c);
	return rc;
}

int
replica_credential(struct replica *r, struct pki_cred *c, char *err, size_t errlen)
{
	char credpath[4200], addr[300];

	/* Our own copy, checked whole at join (tongxin doctor reads it whole again). */
	snprintf(credpath, sizeof credpath, "%s.credential", r->info.path);
	return pki_bundle_load(credpath, c, addr, sizeof addr, err, errlen);
}

/*
 * The SQL of the kept statement of kind k for table t, built from the
 * schema into sql (4096 bytes: the widest table's is well under).
 */
static void
tstmt_sql(enum rep_tstmt k, int t, char *sql, size_t len)
{
	const struct table_def *td = &schema_tables[t];
	size_t n;

	switch (k) {
	case TS_INS:
	case TS_UPSERT:
		n = (size_t)snprintf(sql, len, "INSERT INTO %s (id", td->name);
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, len - n, ", %s", td->cols[c].name);
		n += (size_t)snprintf(sql + n, len - n, ", _version) VALUES (?1");
		for (int c = 0; c < td->ncols + 1; c++)
			n += (size_t)snprintf(sql + n, len - n, ", ?%d", c + 2);
		n += (size_t)snprintf(sql + n, len - n, ")");
		if (k == TS_INS)
			break;
		/* The server's state: same shape, replacing whatever is there. */
		n += (size_t)snprintf(sql + n, len - n, " ON CONFLICT(id) DO UPDATE SET ");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, len - n, "%s = excluded.%s, ",
			    td->cols[c].name, td->cols[c].name);
		snprintf(sql + n, len - n, "_version = excluded._version");
		break;
	case TS_GET:
		n = (size_t)snprintf(sql, len, "SELECT ");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, len - n, "%s, ", td->cols[c].name);
		snprintf(sql + n, len - n, "_version FROM %s WHERE id = ?1", td->name);
		break;
	case TS_UPD:
		n = (size_t)snprintf(sql, len, "UPDATE %s SET ", td->name);
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, len - n, "%s%s = ?%d", c ? ", " : "",
			    td->cols[c].name, c + 2);
		snprintf(sql + n, len - n, " WHERE id = ?1");
		break;
	case TS_DEL:
		snprintf(sql, len, "DELETE FROM %s WHERE id = ?1", td->name);
		break;
	case TS_VER:
	default:
		snprintf(sql, len, "UPDATE %s SET _version = ?2 WHERE id = ?1", td->name);
		break;
	}
}

sqlite3_stmt *
rep_tstmt(struct replica *r, enum rep_tstmt k, int t)
{
	char sql[4096];

	assert(k >= 0 && k < TS_COUNT && t >= 0 && t < TBL_COUNT);
	if (r->ts[k][t] == NULL) {
		tstmt_sql(k, t, sql, sizeof sql);
		r->ts[k][t] = db_prepare(r->db, sql);
	}
	return r->ts[k][t];
}

static int
prepare_all(struct replica *r)
{
	r->pending_put = db_prepare(r->db,
	    "INSERT OR IGNORE INTO pending (row_id, seq, tbl) VALUES (?1, ?2, ?3)");
	r->pending_has = db_prepare(r->db, "SELECT 1 FROM pending WHERE row_id = ?1 LIMIT 1");
	r->pending_drop = db_prepare(r->db, "DELETE FROM pending WHERE seq = ?1");
	r->outbox_put = db_prepare(r->db,
	    "INSERT INTO outbox (seq, hlc, created_at, nchanges, txn) VALUES (?1, ?2, ?3, ?4, ?5)");
	r->outbox_drop = db_prepare(r->db, "DELETE FROM outbox WHERE seq = ?1");
	r->outbox_peek = db_prepare(r->db,
	    "SELECT txn, seq FROM outbox WHERE seq > ?2 ORDER BY seq LIMIT ?1");
	r->outcome_put = db_prepare(r->db,
	    "INSERT INTO outcome (seq, status, reason, conflict_id, txn, at, reason_code)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (seq) DO UPDATE SET"
	    " status = excluded.status, reason = excluded.reason,"
	    " conflict_id = excluded.conflict_id, at = excluded.at,"
	    " reason_code = excluded.reason_code, resolution = NULL,"
	    /* A kept conflict sent again after a restore has left the outbox: keep its copy. */
	    " txn = CASE WHEN excluded.status IN ('conflict', 'rejected')"
	    "   THEN coalesce(excluded.txn, outcome.txn) END");
	r->cursor_put = db_prepare(r->db,
	    "INSERT INTO cursor (tbl, version) VALUES (?1, ?2)"
	    " ON CONFLICT(tbl) DO UPDATE SET version = excluded.version");
	r->meta_get = db_prepare(r->db, "SELECT value FROM meta WHERE key = ?1");
	r->meta_put = db_prepare(r->db, "INSERT INTO meta (key, value) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!r->meta_get || !r->meta_put)
		return -1;
	if (!r->pending_put || !r->pending_has || !r->pending_drop || !r->outbox_put ||
	    !r->outbox_drop || !r->outbox_peek || !r->outcome_put || !r->cursor_put)
		return -1;
	return 0;
}

/*
 * Bring a replica made by an older tongxin up to this one's bookkeeping
 * tables; each step looks before it alters. The outcome table gained
 * reason_code (the server's reason as a code of common/reason.h; its
 * reason column has always held the text shown).
 */
static int
replica_migrate(struct replica *r, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	/* One statement tells that nothing is to be done (every open pays for it). */
	if (sqlite3_prepare_v2(r->db, "SELECT o.reason_code, g.version FROM outcome o, gone g"
	    " LIMIT 0", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	if (sqlite3_prepare_v2(r->db, "SELECT reason_code FROM outcome LIMIT 0", -1, &st,
	    NULL) == SQLITE_OK)
		sqlite3_finalize(st);
	else if (db_exec(r->db, "BEGIN IMMEDIATE; ALTER TABLE outcome ADD COLUMN reason_code"
	    " INTEGER; COMMIT", err, errlen) != 0) {
		db_exec(r->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	return db_exec(r->db, "CREATE TABLE IF NOT EXISTS gone (row_id TEXT PRIMARY KEY NOT NULL,"
	    " tbl INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID", err, errlen);
}

/*
 * replica_open and replica_open_checked: the check at open runs when
 * always is set, or when the file is not as a tongxin that knew it sound
 * left it (its mark differs from the one kept on it).
 */
static struct replica *
replica_open_how(const char *path, bool always, char *err, size_t errlen)
{
	struct replica *r;
	struct stat sb;
	char have[32768], detail[sizeof damage.detail], kept[sizeof r->info.file_mark];
	bool unchanged;
	int verdict;

	damage_watch();
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen, "no replica at %s; set one up with: tongxin join BUNDLE "
		    "(or point --replica / TONGXIN_REPLICA at it)", path);
		return NULL;
	}
	snprintf(damage.path, sizeof damage.path, "%s", path);
	files_private(path);
	if ((r = calloc(1, sizeof *r)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(r->info.path, sizeof r->info.path, "%s", path);
	/* Read before SQLite opens the file (opening never writes the main file). */
	unchanged = file_mark(path, r->info.file_mark, sizeof r->info.file_mark) &&
	    mark_kept(path, kept, sizeof kept) && strcmp(kept, r->info.file_mark) == 0;
	if ((r->db = db_open(path, 0, 0, err, errlen)) == NULL) {
		free(r);
		if (damage.seen) {
			damage_text(err, errlen);
			damage.told = true;
		}
		return NULL;
	}
	if (unchanged && !always) {
		verdict = 0;
		log_debug("replica: quick_check of %s skipped: the file is as tongxin left it when it "
		    "was last known sound (tongxin status and tongxin doctor check it)", path);
	} else {
		verdict = quick_check(r->db, path, check_budget(), detail, sizeof detail);
	}
	r->info.file_sound = verdict == 0;
	if (verdict == 1) {
		/* Damaged whatever its mark says (tongxin status checks every time): drop the mark. */
		removexattr(path, REP_MARK_ATTR);
		damage_note(detail, true);
		damage_text(err, errlen);
		damage.told = true;
		/* Nothing is written into a damaged file: the WAL stays for tongxin doctor. */
		sqlite3_db_config(r->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
		db_close(r->db);
		free(r);
		return NULL;
	}
	if (db_meta_get(r->db, "schema", have, sizeof have) != 0) {
		snprintf(err, errlen, "%s is not a Tongxin replica", path);
		goto fail;
	}
	if (strcmp(have, schema_canonical_text()) != 0) {
		snprintf(err, errlen, "%s was made by another version of tongxin (schema differs)",
		    path);
		goto fail;
	}
	if (replica_migrate(r, err, errlen) != 0)
		goto fail;
	if (prepare_all(r) != 0) {
		snprintf(err, errlen, "cannot prepare statements: %s", sqlite3_errmsg(r->db));
		goto fail;
	}
	r->hlc = (uint64_t)db_meta_get_int(r->db, "hlc", 0);
	load_info(r);
	/*
	 * The street's time zone, as the server's Welcome told it: the clerk's
	 * "today" is the server's. One this machine does not know keeps its own.
	 */
	if (db_meta_get(r->db, "time_zone", have, sizeof have) == 0 &&
	    tz_use(have, true, detail, sizeof detail) != 0)
		log_debug("replica: the street's time zone \"%s\" is not known here (%s); "
		    "today is the machine's", have, detail);
	return r;
fail:
	replica_close(r);
	if (damage.seen) {
		damage_text(err, errlen);
		damage.told = true;
	}
	return NULL;
}

struct replica *
replica_open(const char *path, char *err, size_t errlen)
{
	return replica_open_how(path, false, err, errlen);
}

struct replica *
replica_open_checked(const char *path, char *err, size_t errlen)
{
	return replica_open_how(path, true, err, errlen);
}

/*
 * Whether replica_close may leave the WAL as it is, without the checkpoint
 * (and its fsyncs of the WAL, the file and the folder) that SQLite does
 * when the last connection closes. The replica writes with
 * synchronous=NORMAL: a commit is durable once a checkpoint has synced it.
 * What must be durable is what only this replica holds, the outbox (local
 * changes the server has not acknowledged): while it holds anything, close
 * checkpoints as before. Everything else a run writes (the last contact,
 * acknowledged outcomes, pulled pages and their cursors, the TLS session)
 * the next sync gets again from the server if a power cut takes it, and
 * SQLite's WAL keeps it atomic. A WAL past REP_WAL_KEEP bytes is
 * checkpointed too, so that the next open (which reads the whole WAL to
 * rebuild its index) stays cheap.
 */
static bool
close_light(struct replica *r)
{
	char wal[sizeof r->info.path + 8];
	sqlite3_stmt *st;
	struct stat sb;
	int rc;

	if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM outbox LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return false;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return false;
	snprintf(wal, sizeof wal, "%s-wal", r->info.path);
	return stat(wal, &sb) != 0 || sb.st_size <= REP_WAL_KEEP;
}

void
replica_close(struct replica *r)
{
	sqlite3_stmt *st;

	if (r == NULL)
		return;
	if (r->in_txn)
		rep_rollback(r);
	while ((st = sqlite3_next_stmt(r->db, NULL)) != NULL)
		sqlite3_finalize(st);
	if (close_light(r))
		sqlite3_db_config(r->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	db_close(r->db);
	mark_keep(&r->info);
	free(r->refs);
	free(r);
}

int
rep_table_hash(sqlite3 *db, int t, const char *where, char out[65])
{
	return table_hash(db, t, where, NULL, NULL, out);
}

/* --- tongxin doctor: full check, salvage, rebuild -------------------------- */

int
replica_integrity(const char *path, void (*each)(const char *problem, void *arg), void *arg,
    char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, verdict = -1;

	damage_watch();
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(100)", -1, &st, NULL) != SQLITE_OK) {
		if (is_damage_code(sqlite3_extended_errcode(db))) {
			each(sqlite3_errmsg(db), arg);
			verdict = 1;
		} else {
			snprintf(err, errlen, "cannot check %s: %s", path, sqlite3_errmsg(db));
		}
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *row = (const char *)sqlite3_column_text(st, 0);
		char line[1024];
		if (row != NULL && strcmp(row, "ok") == 0 && verdict == -1) {
			verdict = 0;
			continue;
		}
		problem_first(row ? row : "?", line, sizeof line);
		each(line, arg);
		verdict = 1;
	}
	if (rc != SQLITE_DONE) {
		if (is_damage_code(rc)) {
			char line[300];
			snprintf(line, sizeof line, "the check stopped: %s", sqlite3_errmsg(db));
			each(line, arg);
			verdict = 1;
		} else {
			snprintf(err, errlen, "cannot check %s: %s", path, sqlite3_errmsg(db));
			verdict = -1;
		}
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* A damaged file is checked again at every open until it is rebuilt. */
	if (verdict == 1)
		removexattr(path, REP_MARK_ATTR);
	return verdict;
}

int
replica_credential_at(const char *path, struct pki_cred *c, char *addr, size_t addrlen,
    char *err, size_t errlen)
{
	char credpath[4200];

	snprintf(credpath, sizeof credpath, "%s.credential", path);
	return pki_bundle_read(credpath, c, addr, addrlen, err, errlen);
}

/* A text value of the damaged replica's meta into buf; false when unreadable or absent. */
static bool
salvage_meta(sqlite3 *old, const char *key, char *buf, size_t cap)
{
	sqlite3_stmt *st;
	bool found = false;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(old, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = true;
	}
	sqlite3_finalize(st);
	return found;
}

/*
 * Copy one outbox row of the damaged replica (columns seq, hlc, created_at,
 * nchanges, txn of st) into r with the pending marks of its updates and
 * deletes; the inserts of an entry in the reference form whose rows could
 * not be read are left out and added to *changes_lost. Returns 1 copied, 0
 * unreadable (not copied), -1 r failed.
 */
static int
salvage_outbox_row(struct replica *r, sqlite3_stmt *st, uint64_t *max_seq, uint64_t *max_hlc,
    int64_t *changes_lost)
{
	int64_t seq = sqlite3_column_int64(st, 0);
	const uint8_t *blob = sqlite3_column_blob(st, 4), *full;
	int len = sqlite3_column_bytes(st, 4), rc;
	uint8_t *xbuf = NULL;
	size_t xcap = 0, flen, skipped = 0;
	Tongxin__Txn *tx;

	/*
	 * Kept as the bytes it stands for: an entry in the reference form
	 * names rows of the damaged file, read here while they can be (those
	 * on a bad page are left out and counted; the rest still go).
	 */
	if (blob == NULL || len <= 0 ||
	    rep_outbox_salvage(sqlite3_db_handle(st), blob, (size_t)len, &xbuf, &xcap, &full,
	    &flen, &skipped) < 0 || (tx = tongxin__txn__unpack(NULL, flen, full)) == NULL) {
		free(xbuf);
		return 0;
	}
	if (tx->n_changes == 0) {   /* not one of its rows could be read */
		tongxin__txn__free_unpacked(tx, NULL);
		free(xbuf);
		return 0;
	}
	if (seq <= 0 || tx->seq != (uint64_t)seq) {
		tongxin__txn__free_unpacked(tx, NULL);
		free(xbuf);
		return 0;
	}
	*changes_lost += (int64_t)skipped;
	blob = full;
	len = (int)flen;
	/* The entry as it was: the server knows it by (device, seq) and its digest. */
	sqlite3_bind_int64(r->outbox_put, 1, seq);
	sqlite3_bind_int64(r->outbox_put, 2, (sqlite3_int64)tx->hlc);
	sqlite3_bind_int64(r->outbox_put, 3, sqlite3_column_int64(st, 2));
	sqlite3_bind_int64(r->outbox_put, 4, (sqlite3_int64)tx->n_changes);
	sqlite3_bind_blob(r->outbox_put, 5, blob, len, SQLITE_STATIC);
	rc = sqlite3_step(r->outbox_put);
	sqlite3_reset(r->outbox_put);
	sqlite3_clear_bindings(r->outbox_put);
	for (size_t i = 0; rc == SQLITE_DONE && i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[i];
		/* As record_change does: inserts need no mark. */
		if (c->op == TONGXIN__CHANGE__OP__OP_INSERT || c->table >= TBL_COUNT ||
		    !id_valid(c->row_id))
			continue;
		sqlite3_bind_text(r->pending_put, 1, c->row_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(r->pending_put, 2, seq);
		sqlite3_bind_int(r->pending_put, 3, (int)c->table);
		rc = sqlite3_step(r->pending_put);
		sqlite3_reset(r->pending_put);
	}
	if ((uint64_t)seq > *max_seq)
		*max_seq = (uint64_t)seq;
	if (tx->hlc > *max_hlc)
		*max_hlc = tx->hlc;
	tongxin__txn__free_unpacked(tx, NULL);
	free(xbuf);
	return rc == SQLITE_DONE ? 1 : -1;
}

/*
 * The outbox of the damaged replica, in order. When a bad page stops the
 * scan, each later sequence up to last_seq is looked up on its own, so
 * only the entries on the bad pages are lost. -1 when r failed.
 */
static int
salvage_outbox(struct replica *r, sqlite3 *old, uint64_t last_seq, struct rep_salvage *s,
    uint64_t *max_seq, uint64_t *max_hlc)
{
	sqlite3_stmt *st;
	int64_t after = 0;
	int rc, got;

	if (sqlite3_prepare_v2(old, "SELECT seq, hlc, created_at, nchanges, txn FROM outbox"
	    " ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		return 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		after = sqlite3_column_int64(st, 0);
		if ((got = salvage_outbox_row(r, st, max_seq, max_hlc, &s->changes_lost)) < 0) {
			sqlite3_finalize(st);
			return -1;
		}
		got ? s->outbox++ : s->outbox_lost++;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (sqlite3_prepare_v2(old, "SELECT seq, hlc, created_at, nchanges, txn FROM outbox"
	    " WHERE seq = ?1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	for (uint64_t q = (uint64_t)after + 1; q <= last_seq; q++) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)q);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			if ((got = salvage_outbox_row(r, st, max_seq, max_hlc, &s->changes_lost)) < 0) {
				sqlite3_finalize(st);
				return -1;
			}
			got ? s->outbox++ : s->outbox_lost++;
		} else if (rc != SQLITE_DONE) {
			s->outbox_lost++;   /* on a bad page (or already acknowledged: cannot tell) */
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * Rows of a bookkeeping table copied as they are, until the first bad page.
 * select and insert have the same columns. Returns the count, -1 when r failed.
 */
static int64_t
salvage_table(struct replica *r, sqlite3 *old, const char *select, const char *insert)
{
	sqlite3_stmt *from, *to;
	int64_t n = 0;
	int rc = SQLITE_DONE;

	if (sqlite3_prepare_v2(old, select, -1, &from, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_prepare_v2(r->db, insert, -1, &to, NULL) != SQLITE_OK) {
		sqlite3_finalize(from);
		return -1;
	}
	while (sqlite3_step(from) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(from); c++)
			sqlite3_bind_value(to, c + 1, sqlite3_column_value(from, c));
		rc = sqlite3_step(to);
		sqlite3_reset(to);
		if (rc != SQLITE_DONE)
			break;
		n++;
	}
	sqlite3_finalize(from);
	sqlite3_finalize(to);
	return rc == SQLITE_DONE ? n : -1;
}

/*
 * The last sequence the damaged replica's outbox may hold: its newest
 * entry (SQLite finds it along the right edge of the table, which a bad
 * page in the middle leaves readable) or the counter's, the larger. A
 * commit does not write next_seq (the outbox's newest entry stands for it).
 */
static uint64_t
salvage_last_seq(sqlite3 *old, uint64_t old_next)
{
	sqlite3_stmt *st;
	uint64_t last = old_next ? old_next - 1 : 0;

	if (sqlite3_prepare_v2(old, "SELECT max(seq) FROM outbox", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > (int64_t)last)
			last = (uint64_t)sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return last;
}

int
replica_salvage(struct replica *r, const char *from, struct rep_salvage *s, char *err,
    size_t errlen)
{
	sqlite3 *old = NULL;
	char buf[512];
	uint64_t old_next = 0, old_hlc = 0, max_seq = 0, max_hlc = 0, next;
	int64_t n;

	memset(s, 0, sizeof *s);
	if (sqlite3_open_v2(from, &old, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		sqlite3_close(old);
		return 0;   /* nothing readable: a fresh replica all the same */
	}
	sqlite3_busy_timeout(old, 5000);
	sqlite3_exec(old, "PRAGMA query_only=1", NULL, NULL, NULL);
	s->readable = sqlite3_exec(old, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) ==
	    SQLITE_OK;
	/* Another device's unsent changes must never go out under this credential. */
	if (salvage_meta(old, "device_id", buf, sizeof buf) &&
	    strcmp(buf, r->info.device_id) != 0) {
		snprintf(err, errlen, "%s belongs to device %s, the credential to device %s: "
		    "nothing was copied", from, buf, r->info.device_id);
		sqlite3_close(old);
		return -1;
	}
	if (salvage_meta(old, "next_seq", buf, sizeof buf) &&
	    (old_next = strtoull(buf, NULL, 10)) > 0 && salvage_meta(old, "hlc", buf, sizeof buf)) {
		old_hlc = strtoull(buf, NULL, 10);
		s->counters = true;
	}
	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0) {
		sqlite3_close(old);
		return -1;
	}
	if (salvage_outbox(r, old, salvage_last_seq(old, old_next), s, &max_seq, &max_hlc) != 0)
		goto fail;
	if ((n = salvage_table(r, old, "SELECT seq, status, reason, conflict_id, txn, at,"
	    " resolution FROM outcome ORDER BY seq", "INSERT OR IGNORE INTO outcome (seq, status,"
	    " reason, conflict_id, txn, at, resolution) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")) < 0)
		goto fail;
	s->outcomes = n;
	if ((n = salvage_table(r, old, "SELECT id, at, text FROM notice",
	    "INSERT OR IGNORE INTO notice (id, at, text) VALUES (?1, ?2, ?3)")) < 0)
		goto fail;
	s->notices = n;
	/* Never lower a counter: a sequence the server has seen is never reused. */
	next = old_next > max_seq + 1 ? old_next : max_seq + 1;
	if (next > (uint64_t)rep_meta_int(r, "next_seq", 1) &&
	    rep_meta_set(r, "next_seq", (int64_t)next) != 0)
		goto fail;
	if (max_hlc > old_hlc)
		old_hlc = max_hlc;
	if (old_hlc > (uint64_t)rep_meta_int(r, "hlc", 0) && rep_meta_set(r, "hlc", (int64_t)old_hlc) != 0)
		goto fail;
	/* The street's name, and the replica's identity (the server binds the device to it). */
	if (salvage_meta(old, "street", buf, sizeof buf) && db_meta_set(r->db, "street", buf) != 0)
		goto fail;
	if ((s->identity = salvage_meta(old, "replica_id", buf, sizeof buf)) &&
	    db_meta_set(r->db, "replica_id", buf) != 0)
		goto fail;
	if (db_exec(r->db, "COMMIT", err, errlen) != 0)
		goto fail;
	sqlite3_close(old);
	/*
	 * Durable now: the counters and the identity exist nowhere else, and
	 * replica_close syncs only while the outbox holds something.
	 */
	if (sqlite3_wal_checkpoint_v2(r->db, NULL, SQLITE_CHECKPOINT_FULL, NULL, NULL) != SQLITE_OK)
		log_warnx("replica: checkpoint after the salvage: %s", sqlite3_errmsg(r->db));
	r->hlc = (uint64_t)db_meta_get_int(r->db, "hlc", 0);
	load_info(r);
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot write the new replica: %s", sqlite3_errmsg(r->db));
	db_exec(r->db, "ROLLBACK", NULL, 0);
	sqlite3_close(old);
	memset(s, 0, sizeof *s);
	return -1;
}

int
replica_set_aside(const char *path, char *aside, size_t asidelen, char *err, size_t errlen)
{
	char stamp[32], wal[4200], aside_wal[4300], shm[4200];
	time_t now = time(NULL);
	struct tm tm;
	bool wal_moved = false;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(aside, asidelen, "%s.damaged-%s", path, stamp);
	for (int k = 2; access(aside, F_OK) == 0 && k < 100; k++)
		snprintf(aside, asidelen, "%s.damaged-%s-%d", path, stamp, k);
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(aside_wal, sizeof aside_wal, "%s-wal", aside);
	snprintf(shm, sizeof shm, "%s-shm", path);
	/* The -wal holds the newest pages: it travels with its database. */
	if (access(wal, F_OK) == 0) {
		if (rename(wal, aside_wal) != 0) {
			snprintf(err, errlen, "cannot move %s aside: %s", wal, strerror(errno));
			return -1;
		}
		wal_moved = true;
		chmod(aside_wal, 0600);
	}
	if (rename(path, aside) != 0) {
		snprintf(err, errlen, "cannot move %s aside: %s", path, strerror(errno));
		if (wal_moved)
			rename(aside_wal, wal);
		return -1;
	}
	chmod(aside, 0600);
	unlink(shm);
	return 0;
}

int
replica_install(const char *from, const char *to, char *err, size_t errlen)
{
	char a[4200], b[4200];

	if (access(to, F_OK) == 0) {
		snprintf(err, errlen, "%s exists", to);
		return -1;
	}
	snprintf(a, sizeof a, "%s-wal", from);
	snprintf(b, sizeof b, "%s-wal", to);
	if (access(a, F_OK) == 0 && rename(a, b) != 0) {
		snprintf(err, errlen, "cannot move %s to %s: %s", a, b, strerror(errno));
		return -1;
	}
	if (rename(from, to) != 0) {
		snprintf(err, errlen, "cannot move %s to %s: %s", from, to, strerror(errno));
		rename(b, a);
		return -1;
	}
	snprintf(a, sizeof a, "%s-shm", from);
	unlink(a);
	snprintf(a, sizeof a, "%s.credential", from);
	unlink(a);
	return 0;
}
