/*
 * store_pgs.h - the PostgreSQL store behind store.h (issue 13, item 2): its
 * public handle and the backend table's operations (store_backend.h).
 *
 * One struct pg_store is one connection (pg_sto, store_pg.c), used from one
 * thread at a time: its engine (base.eng) runs over sto_pg_ops on that
 * connection, and the public operations here run their SQL on the same
 * connection (pg_sto_conn). Several tongxind processes may serve one
 * database: nothing here keeps state a second process would need.
 *
 * store_pgs.c: open, settings, organisations, devices, sessions, the pull's
 * reads; store_pg_admin.c: conflicts list and show, audit, devices report,
 * replica check, resolutions. Compiled only with libpq (TX_HAVE_PG).
 */
#ifndef TX_STORE_PGS_H
#define TX_STORE_PGS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "pg_util.h"
#include "store_backend.h"
#include "store_pg.h"

struct pg_store {
	/* First: the public handle (its engine runs over sto_pg_ops on sto). */
	struct store base;
	struct pg_sto *sto;
	PGconn *c;              /* pg_sto_conn(sto) */
};

#define PGS(st) ((struct pg_store *)(st))

extern const struct store_backend store_pg_backend;

/*
 * Open the PostgreSQL store at uri (a libpq connection string or a
 * postgresql:// URI); create: make the schema (the database must hold none
 * of it). NULL with err.
 */
struct store *pgs_open(const char *uri, int create, char *err, size_t errlen);

/*
 * store_pg_move.c: copy the SQLite database db_path (tongxind.db, no
 * server running on it) into a new schema at uri, in one transaction:
 * every table row for row, the version sequence after the last version,
 * the epoch kept. *rows: how many were copied. -1 with err, nothing made.
 */
int pgs_move_from_sqlite(const char *db_path, const char *uri, int64_t *rows, char *err,
    size_t errlen);

/*
 * The highest version a reader may rely on: every version at or below it
 * is committed or never will be (pg_sto_safe_version); inside a pull's
 * view, the view's own bound. 0, or -1.
 */
int pgs_committed_version(struct pg_store *s, uint64_t *v);

/* store_pg_admin.c: as their store_* functions in store.h say. */
int pgs_conflict_list(struct store *s, const Tongxin__ConflictFilter *f,
    Tongxin__ConflictListResponse **out, char *err, size_t errlen);
int pgs_conflict_show(struct store *s, const char *id, Tongxin__ConflictInfo **out, char *err,
    size_t errlen);
int pgs_audit(struct store *s, const Tongxin__AuditRequest *req, Tongxin__AuditResponse **out,
    char *err, size_t errlen);
int pgs_devices(struct store *s, Tongxin__DevicesResponse **out, char *err, size_t errlen);
int pgs_replica_check(struct store *s, const struct store_actor *who,
    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
    size_t errlen);
int pgs_resolutions(struct store *s, const struct store_actor *who, uint64_t *cursor,
    Tongxin__PullResponse *resp);

#endif
