/*
 * schema_pg.h - the server's database in PostgreSQL, generated from the one
 * schema (schema.h) and from a table of the server's own tables.
 *
 * What it writes is the PostgreSQL form of what tongxind keeps in SQLite:
 * every synced table as schema_ddl(server = 1) makes it (the same columns
 * in the same order, the bookkeeping columns, the same indexes, unique ones
 * partial on live rows), the bookkeeping tables of the store (meta, device,
 * txn_log, conflict, audit, evict, device_replica, recovered, recovery,
 * recovered_conflict), and the sequence that hands out versions. It has no
 * libpq in it: common/ is linked into tongxin, which must never link libpq.
 *
 * Types: SQLite's INTEGER (64-bit) is BIGINT, BLOB is BYTEA, TEXT (and
 * meta's untyped value) is TEXT COLLATE "C", so that comparisons and order
 * are bytewise as in SQLite whatever locale the database was created with
 * (the pull's scope ranges, _scope >= '/S01/' AND _scope < '/S010', mean
 * nothing in a locale that ignores '/').
 *
 * tests/test_pg_schema.c checks the result against a real PostgreSQL and
 * against a database tongxind itself made, column by column.
 */
#ifndef TX_SCHEMA_PG_H
#define TX_SCHEMA_PG_H

#include <stddef.h>

#include "schema.h"

/*
 * The sequence versions come from (nextval), BIGINT, from 1, CACHE 1 so
 * that several tongxind on one database take them in the order they ask.
 * A version taken by a transaction that rolls back is never handed out
 * again: versions have gaps, and they are taken in an order that is not
 * the order of the commits (see issue 13: a pull must not pass a version
 * whose transaction is still in flight).
 */
#define SCHEMA_PG_VERSION_SEQ "tx_version"

/* The PostgreSQL type of a synced column: BIGINT or TEXT COLLATE "C". */
const char *schema_pg_col_type(enum col_type t);

/*
 * Append the whole DDL (tables, indexes, the sequence) to buf, at most cap
 * bytes, NUL-terminated. Plain CREATE statements, no IF NOT EXISTS: run on
 * a database that has the tables already, the first fails (SQLSTATE 42P07)
 * and, run as one transaction, nothing changes. A database of an older
 * schema must be refused or migrated, never half-created over. Each
 * statement ends with ";\n" and none holds a ';' inside, so
 * schema_pg_next() can cut it into statements for PQexecParams.
 * Returns the length written, or -1 if cap is too small.
 */
int schema_pg_ddl(char *buf, size_t cap);

/*
 * The next statement of a script schema_pg_ddl wrote: *p points into it;
 * returns the start of the statement and sets *len to its length without
 * the ';' and moves *p past it, or returns NULL at the end.
 */
const char *schema_pg_next(const char **p, size_t *len);

#endif
