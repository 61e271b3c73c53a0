/* db.c - see db.h. */
#include "db.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

/*
 * SQLite's memory statistics take a global mutex at every allocation and
 * free (SQLITE_CONFIG_MEMSTATUS, on by default): nothing here reads them,
 * and in tongxind, where the store and reader threads allocate at once,
 * the mutex was 6% of a one-row push's CPU. Off before SQLite first starts
 * (the first db_open of the process; a later call changes nothing, as
 * sqlite3_config refuses once SQLite is initialised). tongxin's main does
 * the same before its own allocator is set.
 */
static void
db_global_config(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

sqlite3 *
db_open(const char *path, int create, int durable, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
	    SQLITE_OPEN_NOMUTEX;
	int rc;

	db_global_config();
	rc = sqlite3_open_v2(path, &db, flags, NULL);

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	sqlite3_extended_result_codes(db, 1);
	if (db_exec(db, "PRAGMA journal_mode=WAL", err, errlen) != 0 ||
	    db_exec(db, "PRAGMA foreign_keys=ON", err, errlen) != 0 ||
	    db_exec(db, "PRAGMA temp_store=MEMORY", err, errlen) != 0 ||
	    db_exec(db, durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
	        err, errlen) != 0) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

void
db_close(sqlite3 *db)
{
	if (db == NULL)
		return;
	if (sqlite3_close(db) != SQLITE_OK) {
		log_warnx("database close: %s (finalising leftovers)", sqlite3_errmsg(db));
		sqlite3_close_v2(db);
	}
}

int
db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (err != NULL)
			snprintf(err, errlen, "database: %s", msg ? msg : sqlite3_errmsg(db));
		else
			log_warnx("database: %s (in: %.60s)", msg ? msg : sqlite3_errmsg(db), sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_warnx("database: prepare failed: %s (in: %.80s)", sqlite3_errmsg(db), sql);
		return NULL;
	}
	return st;
}

sqlite3_stmt *
db_kept(sqlite3 *db, sqlite3_stmt **slot, const char *sql)
{
	if (*slot == NULL)
		*slot = db_prepare(db, sql);
	return *slot;
}

int
db_meta_init(sqlite3 *db)
{
	return db_exec(db, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value)",
	    NULL, 0);
}

static int
meta_put(sqlite3 *db, const char *key, const char *s, int64_t i, int is_int)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES (?1, ?2) "
	    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (is_int)
		sqlite3_bind_int64(st, 2, i);
	else
		sqlite3_bind_text(st, 2, s, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_meta_set(sqlite3 *db, const char *key, const char *value)
{
	return meta_put(db, key, value, 0, 0);
}

int
db_meta_set_int(sqlite3 *db, const char *key, int64_t value)
{
	return meta_put(db, key, NULL, value, 1);
}

int
db_meta_get(sqlite3 *db, const char *key, char *buf, size_t cap)
{
	sqlite3_stmt *st;
	int found = -1;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = 0;
	}
	sqlite3_finalize(st);
	return found;
}

int64_t
db_meta_get_int(sqlite3 *db, const char *key, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return dflt;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
db_integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *st;
	int ok = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0)
		ok = 0;
	sqlite3_finalize(st);
	return ok;
}
