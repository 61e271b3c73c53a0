/*
 * store_pg.h - the storage operations of sto.h on PostgreSQL (issue 13,
 * item 2), through libpq, over the schema common/schema_pg.c generates.
 *
 * One struct pg_sto is one connection, used from one thread at a time, as
 * the engine over it is. Several tongxind processes may open the same
 * database: a write transaction locks the rows it loads (SELECT ... FOR
 * UPDATE), so two pushes merging one row serialise on it, and an insert
 * race ends as SQLSTATE 23505, which row_write reports as STO_DUP_ID.
 *
 * Versions come from the sequence tx_version (schema_pg.h). A sequence
 * never gives a number back: a rollback or a savepoint's rollback leaves a
 * gap, and versions are taken in an order that is not the order of the
 * commits. pg_sto_safe_version says up to where a pull may go.
 *
 * Compiled only when configure found libpq (TX_HAVE_PG); tongxin, the
 * client, never links it.
 */
#ifndef TX_STORE_PG_H
#define TX_STORE_PG_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "sto.h"

struct pg_sto;

/*
 * Each connection's bounds on waiting (milliseconds): a statement that
 * waits longer than this for a row lock fails (SQLSTATE 55P03), and a
 * session idle inside a transaction longer than that is ended by the
 * server, so a stuck peer holds the rows it locked for no longer. Tests
 * shorten them through the environment (TX_PG_LOCK_TIMEOUT_MS,
 * TX_PG_IDLE_TIMEOUT_MS), read at pg_sto_open.
 */
#define PG_STO_LOCK_TIMEOUT_MS 10000
#define PG_STO_IDLE_TIMEOUT_MS 60000

/* The operations table; its handle is a struct pg_sto *. */
extern const struct sto_ops sto_pg_ops;

/*
 * Connect to uri (a libpq connection string or postgresql:// URI). create:
 * make the whole schema (schema_pg_ddl) in one transaction, and note the
 * schema's canonical text in meta, so a database that has any of the
 * tables already is refused whole; otherwise check that the database holds
 * a tongxind schema, the same as this program's. Every statement the
 * operations run is prepared here, once. NULL with err on failure.
 */
struct pg_sto *pg_sto_open(const char *uri, int create, char *err, size_t errlen);
/* Close the connection (an open transaction is rolled back); accepts NULL. */
void pg_sto_close(struct pg_sto *p);
/*
 * The connection, for what sto_ops does not cover (tests, admin). It stays
 * the same object for the store's life: a reset (pg_util.h) renews the
 * session under it.
 */
PGconn *pg_sto_conn(struct pg_sto *p);
struct pgp;
/*
 * A pull page's rows of table t through the session's prepared statement
 * (params as store_pgs.c's pgs_pull_rows binds them): the result (PQclear
 * it), or NULL with err.
 */
PGresult *pg_sto_pull_rows(struct pg_sto *p, int t, const struct pgp *a, char *err,
    size_t errlen);

/*
 * The highest version v such that every version <= v was taken by a
 * transaction that has committed or never will (it rolled back, or the
 * number was lost): a pull may read rows up to v and never later find one
 * below it. Run it outside a transaction that holds a snapshot, and read
 * the rows afterwards (a new snapshot: READ COMMITTED). 0, or -1 with the
 * error in errmsg. See store_pg.c for why the bound holds.
 */
int pg_sto_safe_version(struct pg_sto *p, uint64_t *out);

#endif
