/*
 * store_pg_move.c - a street's SQLite database moved into PostgreSQL
 * (tongxind migrate): the schema made (schema_pg_ddl: a database holding
 * any of it is refused), every table copied row for row, the version
 * sequence set to the SQLite store's counter and the epoch kept, all in
 * one transaction: a failure leaves the database as it was. Nothing a device holds changes meaning: versions,
 * cursors, idempotency keys (txn_log) and the conflict queue are the
 * same, so every replica goes on syncing where it was, with no new pull.
 *
 * Compiled only with libpq (TX_HAVE_PG).
 */
#include "store_pgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "schema.h"
#include "schema_pg.h"

#define MOVE_COLS 64

/* Copy table t (its columns as SQLite has them) into the same table on c. -1 with err. */
static int
move_table(sqlite3 *db, PGconn *c, const char *t, int64_t *rows, char *err, size_t errlen)
{
	char sql[8192], ins[8192], cols[6144] = "", marks[1024] = "";
	int n = 0, rc = -1;
	size_t cl = 0, ml = 0;
	sqlite3_stmt *st = NULL;
	PGresult *r;

	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		goto db_err;
	sqlite3_bind_text(st, 1, t, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == MOVE_COLS) {
			snprintf(err, errlen, "%s has more than %d columns", t, MOVE_COLS);
			sqlite3_finalize(st);
			return -1;
		}
		/* Names from our own schema's tables, quoted. */
		cl += (size_t)snprintf(cols + cl, sizeof cols - cl, "%s\"%s\"", n ? ", " : "",
		    (const char *)sqlite3_column_text(st, 0));
		ml += (size_t)snprintf(marks + ml, sizeof marks - ml, "%s$%d", n ? ", " : "", n + 1);
		n++;
	}
	sqlite3_finalize(st);
	st = NULL;
	snprintf(ins, sizeof ins, "INSERT INTO \"%s\" (%s) VALUES (%s)", t, cols, marks);
	r = PQprepare(c, "move_ins", ins, 0, NULL);
	if (!pg_ok(r)) {
		snprintf(err, errlen, "%s: %s", t, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	snprintf(sql, sizeof sql, "SELECT %s FROM \"%s\"", cols, t);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto db_err;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct pgp p = { .n = 0 };
		for (int k = 0; k < n; k++) {
			switch (sqlite3_column_type(st, k)) {
			case SQLITE_NULL:
				pgp_text(&p, NULL);
				break;
			case SQLITE_BLOB:
				pgp_blob(&p, sqlite3_column_blob(st, k), (size_t)sqlite3_column_bytes(st, k));
				break;
			case SQLITE_INTEGER:
				pgp_int(&p, sqlite3_column_int64(st, k));
				break;
			default:
				pgp_text(&p, (const char *)sqlite3_column_text(st, k));
				break;
			}
		}
		r = PQexecPrepared(c, "move_ins", p.n, p.v, p.len, p.fmt, 0);
		if (!pg_ok(r)) {
			snprintf(err, errlen, "%s, row %lld: %s", t, (long long)*rows + 1,
			    PQresultErrorMessage(r));
			PQclear(r);
			sqlite3_finalize(st);
			return -1;
		}
		PQclear(r);
		if (++*rows % 50000 == 0)
			log_info("migrate: %lld rows copied (%s)", (long long)*rows, t);
	}
	sqlite3_finalize(st);
	st = NULL;
	r = PQexec(c, "DEALLOCATE move_ins");
	PQclear(r);
	if (rc != SQLITE_DONE)
		goto db_err;
	return 0;
db_err:
	snprintf(err, errlen, "%s: %s", t, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return -1;
}

int
pgs_move_from_sqlite(const char *db_path, const char *uri, int64_t *rows, char *err,
    size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	PGconn *c = NULL;
	char names[64][64], version[32];
	static char ddl[65536];
	int nt = 0, rc = -1;

	*rows = 0;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", db_path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	if (db_meta_get(db, "version", version, sizeof version) != 0) {
		snprintf(err, errlen, "%s is not a tongxind database", db_path);
		goto out;
	}
	if (schema_pg_ddl(ddl, sizeof ddl) < 0) {
		snprintf(err, errlen, "internal: the PostgreSQL schema is too long");
		goto out;
	}
	if ((c = pg_connect(uri, NULL, err, errlen)) == NULL)
		goto out;   /* unreachable, or not a UTF8 database */
	/* One read of the SQLite database, one transaction on PostgreSQL: all or nothing. */
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
	    " AND name NOT LIKE 'sqlite%' ORDER BY name", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(db));
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (nt == 64) {
			snprintf(err, errlen, "%s holds more than 64 tables", db_path);
			goto out;
		}
		snprintf(names[nt++], sizeof names[0], "%s", sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	st = NULL;
	if (pg_run0(c, "migrate", "BEGIN", NULL, err, errlen) != 0)
		goto out;
	{
		const char *q = ddl, *one;
		size_t len;
		char stmt[8192];
		while ((one = schema_pg_next(&q, &len)) != NULL) {
			if (len >= sizeof stmt) {
				snprintf(err, errlen, "internal: a schema statement is too long");
				goto rollback;
			}
			memcpy(stmt, one, len);
			stmt[len] = '\0';
			if (pg_run0(c, "the schema", stmt, NULL, err, errlen) != 0)
				goto rollback;   /* 42P07: the database has tongxind's tables already */
		}
	}
	for (int i = 0; i < nt; i++)
		if (move_table(db, c, names[i], rows, err, errlen) != 0)
			goto rollback;
	{
		/* The next version follows the last the SQLite store handed out. */
		struct pgp p = { .n = 0 };
		char seq[160];
		pgp_text(&p, version);
		snprintf(seq, sizeof seq, "SELECT setval('%s', greatest($1::bigint, 1), $1::bigint > 0)",
		    SCHEMA_PG_VERSION_SEQ);
		if (pg_run0(c, "migrate", seq, &p, err, errlen) != 0 ||
		    pg_run0(c, "migrate", "DELETE FROM meta WHERE key = 'version'", NULL, err,
		    errlen) != 0)
			goto rollback;
	}
	{
		/* This program's schema text, as pg_sto_open checks it at every open. */
		struct pgp p = { .n = 0 };
		pgp_text(&p, schema_canonical_text());
		if (pg_run0(c, "migrate", "INSERT INTO meta (key, value) VALUES ('schema', $1)"
		    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", &p, err, errlen) != 0)
			goto rollback;
	}
	if (pg_run0(c, "migrate", "COMMIT", NULL, err, errlen) != 0)
		goto rollback;
	rc = 0;
	goto out;
rollback:
	{
		PGresult *r = PQexec(c, "ROLLBACK");
		PQclear(r);
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (c != NULL)
		PQfinish(c);
	return rc;
}
