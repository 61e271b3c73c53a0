/*
 * store_restore.c - putting a backup back, and the SQLite side of the
 * replicas healing the restored server (engine_recover.c decides).
 *
 * A restored database has lost every change the server took after the
 * backup, although it acknowledged them: the replicas still hold them. So
 * a restore renews the database's epoch and skips RESTORE_VERSION_GAP
 * versions; a replica that sees the new epoch in the Welcome sends back
 * every row it holds at a version the restored server never had (between
 * restored_version and version_floor), and store_recover writes each one
 * where the server's row is still as restored. Two replicas may send the
 * same row at different versions: the one from the later version wins, in
 * whichever order they arrive (the recovered table remembers the version
 * each row was recovered from). A row the server changed since the
 * restore is not overwritten: a differing copy goes to the conflict queue.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bounds.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "reason.h"
#include "validate.h"
#include "value.h"

#include "store_internal.h"

static const char restore_ddl[] =
	/* Rows written by store_recover: the version they came from and the one they got. */
	"CREATE TABLE IF NOT EXISTS recovered ("
	"  tbl INTEGER NOT NULL, row_id TEXT NOT NULL, origin INTEGER NOT NULL,"
	"  version INTEGER NOT NULL, device_id TEXT NOT NULL,"
	"  PRIMARY KEY (tbl, row_id)) WITHOUT ROWID;"
	/* Copies a device sent back that went to the conflict queue: queued once. */
	"CREATE TABLE IF NOT EXISTS recovered_conflict ("
	"  device_id TEXT NOT NULL, tbl INTEGER NOT NULL, row_id TEXT NOT NULL,"
	"  origin INTEGER NOT NULL, conflict_id TEXT NOT NULL,"
	"  PRIMARY KEY (device_id, tbl, row_id, origin)) WITHOUT ROWID;"
		/* What each device sent back into each epoch. */
	"CREATE TABLE IF NOT EXISTS recovery ("
	"  device_id TEXT NOT NULL, epoch TEXT NOT NULL, started_at INTEGER NOT NULL,"
	"  finished_at INTEGER, applied INTEGER NOT NULL DEFAULT 0,"
	"  known INTEGER NOT NULL DEFAULT 0, conflicts INTEGER NOT NULL DEFAULT 0,"
	"  rejected INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (device_id, epoch)) WITHOUT ROWID;";

static void
epoch_load(struct sq_store *s)
{
	db_meta_get(s->db, "epoch", s->base.epoch.epoch, sizeof s->base.epoch.epoch);
	s->base.epoch.restored_version = (uint64_t)db_meta_get_int(s->db, "restored_version", 0);
	s->base.epoch.version_floor = (uint64_t)db_meta_get_int(s->db, "version_floor", 0);
}

int
store_epoch_init(struct sq_store *s, char *err, size_t errlen)
{
	char id[ID_TEXT_LEN + 1];

	if (db_exec(s->db, restore_ddl, err, errlen) != 0)
		return -1;
	epoch_load(s);
	if (s->base.epoch.epoch[0] != '\0')
		return 0;
	/* A database from before epochs, or a new one: it gets its first. */
	if (id_new(id) != 0 || db_meta_set(s->db, "epoch", id) != 0) {
		snprintf(err, errlen, "cannot give the database its epoch: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	epoch_load(s);
	return 0;
}


/* --- recovery ------------------------------------------------------------ */

/*
 * The recovery's storage operations (sto_ops.recovered_get ... recovery_get,
 * in sto_sqlite_ops): the tables above, SQL only; engine_recover.c decides.
 */
int
sq_recovered_get(void *b, int t, const char *id, uint64_t *origin, uint64_t *version)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int r;

	if ((st = db_kept(s->db, &s->recovered_get,
	    "SELECT origin, version FROM recovered WHERE tbl = ?1 AND row_id = ?2")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		*origin = (uint64_t)sqlite3_column_int64(st, 0);
		*version = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int
sq_recovered_put(void *b, int t, const char *id, uint64_t origin, uint64_t version,
    const char *device_id)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int r;

	if ((st = db_kept(s->db, &s->recovered_put,
	    "INSERT OR REPLACE INTO recovered (tbl, row_id, origin, version, device_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)origin);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)version);
	sqlite3_bind_text(st, 5, device_id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : -1;
}

int
sq_recovered_queued(void *b, const char *device_id, int t, const char *id, uint64_t origin)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM recovered_conflict WHERE device_id = ?1 AND"
	    " tbl = ?2 AND row_id = ?3 AND origin = ?4", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, t);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)origin);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
}

int
sq_recovered_queued_put(void *b, const char *device_id, int t, const char *id, uint64_t origin,
    const char *conflict_id)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO recovered_conflict (device_id, tbl,"
	    " row_id, origin, conflict_id) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, t);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)origin);
	sqlite3_bind_text(st, 5, conflict_id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

int
sq_recovery_add(void *b, const char *device_id, const char *epoch,
    const struct sto_recovery *add, int done)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO recovery (device_id, epoch, started_at,"
	    " finished_at, applied, known, conflicts, rejected) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8) ON CONFLICT (device_id, epoch) DO UPDATE SET"
	    " finished_at = coalesce(excluded.finished_at, finished_at),"
	    " applied = applied + excluded.applied, known = known + excluded.known,"
	    " conflicts = conflicts + excluded.conflicts, rejected = rejected + excluded.rejected",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, epoch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms());
	if (done)
		sqlite3_bind_int64(st, 4, now_ms());
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, add->applied);
	sqlite3_bind_int64(st, 6, add->known);
	sqlite3_bind_int64(st, 7, add->conflicts);
	sqlite3_bind_int64(st, 8, add->rejected);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

int
sq_recovery_get(void *b, const char *device_id, const char *epoch, struct sto_recovery *out)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int r, finished = 0;

	memset(out, 0, sizeof *out);
	if (sqlite3_prepare_v2(s->db, "SELECT finished_at IS NOT NULL, applied, known, conflicts,"
	    " rejected FROM recovery WHERE device_id = ?1 AND epoch = ?2", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, epoch, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		finished = sqlite3_column_int(st, 0);
		out->applied = (uint32_t)sqlite3_column_int64(st, 1);
		out->known = (uint32_t)sqlite3_column_int64(st, 2);
		out->conflicts = (uint32_t)sqlite3_column_int64(st, 3);
		out->rejected = (uint32_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? finished : -1;
}

int
sqs_recover(struct store *base, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen)
{
	struct sq_store *s = SQ(base);
	*out = NULL;
	if (s->base.epoch.restored_version == 0 || strcmp(req->epoch, s->base.epoch.epoch) != 0)
		return engine_recover(&s->base.eng, &s->base.epoch, who, req, out, err, errlen);
	/*
	 * A device enrolled after the restore holds nothing the restore lost:
	 * its (empty) recovery is finished at once, and rows from it are forged.
	 */
	{
		sqlite3_stmt *st;
		int64_t enrolled = -1, restored = db_meta_get_int(s->db, "restored_at", 0);
		if (sqlite3_prepare_v2(s->db, "SELECT enrolled_at FROM device WHERE id = ?1", -1, &st,
		    NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, who->device_id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				enrolled = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
		if (restored > 0 && enrolled > restored) {
			if (req->n_rows > 0) {
				snprintf(err, errlen, "this device was enrolled after the restore: it holds "
				    "nothing the restore lost");
				return -1;
			}
			if ((*out = malloc(sizeof **out)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			tongxin__recover_response__init(*out);
			(*out)->finished = 1;
			return 0;
		}
	}
	return engine_recover(&s->base.eng, &s->base.epoch, who, req, out, err, errlen);
}

/* --- restore ------------------------------------------------------------- */

/* Open a database read-only and check it whole; NULL with err on failure. */
static sqlite3 *
open_checked(const char *path, const char *what, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *check = NULL;
	char have[32768];

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read %s %s: %s", what, path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		check = (const char *)sqlite3_column_text(st, 0);
	if (check == NULL || strcmp(check, "ok") != 0) {
		snprintf(err, errlen, "%s %s is damaged: %s", what, path,
		    check ? check : sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (db_meta_get(db, "schema", have, sizeof have) != 0) {
		snprintf(err, errlen, "%s %s is not a tongxind database", what, path);
		goto fail;
	}
	if (strcmp(have, schema_canonical_text()) != 0) {
		snprintf(err, errlen, "%s %s was made with another schema version than this "
		    "tongxind's", what, path);
		goto fail;
	}
	return db;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

/* fsync a file or folder by path; 0 or -1. */
static int
sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * In the restored copy (db): the new epoch and version floor, nothing
 * recovered yet, and the devices enrolled or revoked since the backup
 * carried over from the replaced database (old, when readable).
 */
static int
restored_prepare(sqlite3 *db, const char *old, struct store_restore_report *rep,
    uint64_t old_version, char *err, size_t errlen)
{
	uint64_t m = (uint64_t)db_meta_get_int(db, "version", 0);
	uint64_t floor = (m > old_version ? m : old_version) + RESTORE_VERSION_GAP;
	sqlite3_stmt *st;
	char epoch[ID_TEXT_LEN + 1];

	if (id_new(epoch) != 0) {
		snprintf(err, errlen, "random number generator failed");
		return -1;
	}
	if (db_exec(db, restore_ddl, err, errlen) != 0 ||
	    db_exec(db, "CREATE TABLE IF NOT EXISTS device_replica ("
	    "  device_id TEXT PRIMARY KEY NOT NULL, replica_id TEXT NOT NULL,"
	    "  bound_at INTEGER NOT NULL) WITHOUT ROWID", err, errlen) != 0)
		return -1;
	if (old != NULL) {
		if (sqlite3_prepare_v2(db, "ATTACH ?1 AS old", -1, &st, NULL) != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto sqlfail;
		}
		sqlite3_finalize(st);
	}
	if (db_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (db_exec(db, "DELETE FROM recovered; DELETE FROM recovery", err, errlen) != 0 ||
	    db_meta_set(db, "epoch", epoch) != 0 ||
	    db_meta_set_int(db, "restored_version", (int64_t)m) != 0 ||
	    db_meta_set_int(db, "version_floor", (int64_t)floor) != 0 ||
	    db_meta_set_int(db, "version", (int64_t)floor) != 0 ||
	    db_meta_set_int(db, "restored_at", now_ms()) != 0)
		goto rollback;
	if (old != NULL) {
		/* Devices enrolled since the backup keep working; revoked ones stay revoked. */
		if (db_exec(db, "UPDATE device SET revoked_at = (SELECT o.revoked_at FROM old.device o"
		    " WHERE o.id = device.id) WHERE revoked_at IS NULL AND id IN (SELECT id FROM"
		    " old.device WHERE revoked_at IS NOT NULL)", err, errlen) != 0)
			goto rollback;
		rep->devices_revoked = sqlite3_changes(db);
		if (db_exec(db, "INSERT OR IGNORE INTO device SELECT * FROM old.device o WHERE"
		    " o.id NOT IN (SELECT id FROM device)", err, errlen) != 0)
			goto rollback;
		rep->devices_added = sqlite3_changes(db);
		if (db_exec(db, "INSERT OR IGNORE INTO device_replica SELECT * FROM"
		    " old.device_replica", err, errlen) != 0)
			goto rollback;
	}
	if (db_exec(db, "COMMIT", err, errlen) != 0)
		goto rollback;
	if (old != NULL)
		db_exec(db, "DETACH old", NULL, 0);
	snprintf(rep->epoch.epoch, sizeof rep->epoch.epoch, "%s", epoch);
	rep->epoch.restored_version = m;
	rep->epoch.version_floor = floor;
	return 0;
rollback:
	if (err[0] == '\0')
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	db_exec(db, "ROLLBACK", NULL, 0);
	return -1;
sqlfail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	return -1;
}

/* Rename path (and its -wal and -shm) to aside's names. 0, or -1 with err. */
static int
move_aside(const char *path, const char *aside, char *err, size_t errlen)
{
	static const char *const ext[] = { "-wal", "-shm" };
	char from[4200], to[4300];

	if (rename(path, aside) != 0) {
		snprintf(err, errlen, "cannot move %s aside: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof from, "%s%s", path, ext[i]);
		snprintf(to, sizeof to, "%s%s", aside, ext[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot move %s aside: %s", from, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
store_restore(const char *dir, const char *file, const char *street_code,
    struct store_restore_report *rep, char *err, size_t errlen)
{
	char path[4096], tmp[4200], have[80], want[80];
	sqlite3 *src = NULL, *old = NULL, *dst = NULL;
	sqlite3_backup *b;
	uint64_t old_version = 0;
	struct stat sb;
	int fd, rc = -1, made = 0;

	memset(rep, 0, sizeof *rep);
	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	snprintf(tmp, sizeof tmp, "%s/tongxind.db.restoring", dir);
	if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", file, errno ? strerror(errno) : "not a file");
		return -1;
	}
	if ((src = open_checked(file, "the backup", err, errlen)) == NULL)
		return -1;
	db_meta_get(src, "street_code", want, sizeof want);
	snprintf(rep->street_code, sizeof rep->street_code, "%s", want);
	if (street_code != NULL && street_code[0] && strcmp(street_code, want) != 0) {
		snprintf(err, errlen, "the backup %s is of street %s, and %s/tongxind.conf names "
		    "street %s", file, want, dir, street_code);
		sqlite3_close(src);
		return -1;
	}
	/* The database it replaces: read what can be read, refuse another street's backup. */
	if (stat(path, &sb) == 0) {
		char why[512];
		if ((old = open_checked(path, "the database", why, sizeof why)) != NULL) {
			rep->replaced_readable = 1;
			db_meta_get(old, "street_code", have, sizeof have);
			if (strcmp(have, want) != 0) {
				snprintf(err, errlen, "the backup %s is of street %s, this server's database "
				    "of street %s", file, want, have);
				goto out;
			}
			old_version = (uint64_t)db_meta_get_int(old, "version", 0);
			sqlite3_close(old);
			old = NULL;
		} else {
			log_warnx("restore: %s; devices enrolled or revoked since the backup must be "
			    "enrolled or revoked again", why);
		}
	}
	/* A private copy first, checked and prepared; only then the swap. */
	{
		char side[4300];
		snprintf(side, sizeof side, "%s-wal", tmp);
		(void)unlink(side);
		snprintf(side, sizeof side, "%s-shm", tmp);
		(void)unlink(side);
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	/*
	 * Run as root for a service that runs as its own user: the restored
	 * database belongs to whoever owned the one it replaces (else the
	 * folder's owner), or the service could not open it.
	 */
	if (geteuid() == 0 && (stat(path, &sb) == 0 || stat(dir, &sb) == 0) &&
	    (sb.st_uid != 0 || sb.st_gid != 0) && fchown(fd, sb.st_uid, sb.st_gid) != 0) {
		snprintf(err, errlen, "cannot give %s to its owner: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	made = 1;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		snprintf(err, errlen, "cannot copy the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		snprintf(err, errlen, "cannot copy the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	if (db_exec(dst, "PRAGMA journal_mode=WAL", err, errlen) != 0 ||
	    db_exec(dst, "PRAGMA synchronous=FULL", err, errlen) != 0 ||
	    restored_prepare(dst, rep->replaced_readable ? path : NULL, rep, old_version, err,
	    errlen) != 0)
		goto out;
	sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(dst);
	dst = NULL;
	if (sync_path(tmp) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	{
		/*
		 * The database with its WAL goes aside - or a WAL left alone (a
		 * killed server's, whose database was removed): SQLite would
		 * replay it into the restored file.
		 */
		char stamp[32], wal[4200], shm[4200];
		time_t now = time(NULL);
		struct tm tm;
		int have_db = stat(path, &sb) == 0;

		snprintf(wal, sizeof wal, "%s-wal", path);
		snprintf(shm, sizeof shm, "%s-shm", path);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		snprintf(rep->aside, sizeof rep->aside, "%s.replaced-%s", path, stamp);
		if (have_db && move_aside(path, rep->aside, err, errlen) != 0)
			goto out;
		if (!have_db && (stat(wal, &sb) == 0 || stat(shm, &sb) == 0)) {
			char to[4300];
			for (int i = 0; i < 2; i++) {
				snprintf(to, sizeof to, "%s%s", rep->aside, i ? "-shm" : "-wal");
				if (rename(i ? shm : wal, to) != 0 && errno != ENOENT) {
					snprintf(err, errlen, "cannot move %s aside: %s", i ? shm : wal,
					    strerror(errno));
					goto out;
				}
			}
		}
		if (!have_db)
			rep->aside[0] = '\0';
		if (rename(tmp, path) != 0) {
			snprintf(err, errlen, "cannot put %s in place: %s", path, strerror(errno));
			/* Put the replaced database back: a failed restore changes nothing. */
			if (have_db && rename(rep->aside, path) == 0) {
				char from[4300];
				snprintf(from, sizeof from, "%s-wal", rep->aside);
				(void)rename(from, wal);
				snprintf(from, sizeof from, "%s-shm", rep->aside);
				(void)rename(from, shm);
			}
			goto out;
		}
	}
	made = 0;
	(void)sync_path(dir);
	rc = 0;
out:
	sqlite3_close(dst);
	sqlite3_close(old);
	sqlite3_close(src);
	if (made) {
		char side[4300];
		snprintf(side, sizeof side, "%s-wal", tmp);
		(void)unlink(side);
		snprintf(side, sizeof side, "%s-shm", tmp);
		(void)unlink(side);
		(void)unlink(tmp);
	}
	return rc;
}
