/*
 * db.h - small helpers around SQLite shared by the store and the replica.
 * Every statement is prepared with bound parameters; db_exec() is only for
 * constant SQL (DDL, pragmas, BEGIN/COMMIT).
 */
#ifndef TX_DB_H
#define TX_DB_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

/*
 * Open (create when create != 0) a database with WAL, foreign_keys=ON, a
 * 5 s busy timeout and synchronous FULL (durable: server) or NORMAL
 * (replica). NULL on failure with err filled.
 */
sqlite3 *db_open(const char *path, int create, int durable, char *err, size_t errlen);
/* Close; accepts NULL. */
void db_close(sqlite3 *db);
/* Run constant SQL. 0, or -1 with the SQLite message in err (if err). */
int db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/* Prepare a statement (persistent). NULL on failure, logged. */
sqlite3_stmt *db_prepare(sqlite3 *db, const char *sql);
/*
 * The statement kept in *slot, prepared from sql on first use (a lookup
 * that runs rarely pays nothing until it runs). The owner finalises its
 * slots together when it closes. NULL on failure, logged; *slot stays NULL.
 */
sqlite3_stmt *db_kept(sqlite3 *db, sqlite3_stmt **slot, const char *sql);
/* A key/value table "meta" (created by db_meta_init). */
int db_meta_init(sqlite3 *db);
int db_meta_set(sqlite3 *db, const char *key, const char *value);
int db_meta_set_int(sqlite3 *db, const char *key, int64_t value);
/* Copy the value into buf; returns 0, or -1 if absent (buf set to ""). */
int db_meta_get(sqlite3 *db, const char *key, char *buf, size_t cap);
int64_t db_meta_get_int(sqlite3 *db, const char *key, int64_t dflt);
/* Result of PRAGMA integrity_check: 0 when "ok". */
int db_integrity_ok(sqlite3 *db);

#endif
