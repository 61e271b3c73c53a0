/*
 * store_pg.c - the storage operations of sto.h on PostgreSQL; see
 * store_pg.h. Each operation does what its contract comment in sto.h says,
 * as the in-memory model (tests/mem_sto.c) and the SQLite store
 * (store_sqlite.c, sq_*) do; where PostgreSQL answers differently it says so.
 *
 * Statements: every one is prepared once per session (PQprepare) under
 * a name from ps_def[], and run with bound parameters only: text for
 * text and integers (BIGINT as decimal text), binary for BYTEA (pg_util.h's
 * struct pgp). Results come back as text; BYTEA in PostgreSQL's hex form
 * (PQunescapeBytea).
 *
 * A broken connection (the server restarted, the backend was killed, the
 * network cut): the statement that meets the break fails, and with it the
 * transaction it was in (the push is answered with an error and the device
 * sends it again; a COMMIT whose answer was lost may have committed, and
 * then the device's resend is known by its (device, seq)). The next begin,
 * or any operation outside a transaction, resets the connection, prepares
 * the statements again and goes on (session_ready). A session that ended
 * while idle shows only when the next statement fails with it; run with no
 * transaction open (BEGIN, or a read outside a transaction), that
 * statement never ran, and it runs once more on a new session
 * (pg_retry_lost). The session's settings are startup options
 * (pg_connect), so a reset keeps them: synchronous_commit = on,
 * lock_timeout and idle_in_transaction_session_timeout (store_pg.h), so a
 * stuck peer cannot hold a row for ever: a lock wait that times out
 * (55P03), like a deadlock (40P01), fails the push with an error the device
 * retries, logged once with its SQLSTATE.
 *
 * Transactions: begin is BEGIN ISOLATION LEVEL READ COMMITTED plus the
 * in-flight mark (below); commit is COMMIT, and the connection runs with
 * synchronous_commit = on (set at open, whatever the server's default), so
 * COMMIT returns only once the commit record is flushed to the WAL: the
 * change is durable before the engine acknowledges it. (A cluster with
 * fsync = off, like the tests' private ones, gives that up server-wide.)
 * The engine's savepoint is SAVEPOINT txn. A unique clash must not abort
 * the transaction: the engine goes on (it queues the clash). An insert is
 * INSERT ... ON CONFLICT DO NOTHING (one statement; when it inserted
 * nothing, the id tells STO_DUP_ID from STO_UNIQUE); an update of a table
 * with a unique column runs inside a savepoint of its own, w: a 23505
 * there is rolled back to w and reported as STO_DUP_ID (the table's
 * primary key, <table>_pkey) or STO_UNIQUE (any other unique index). Any
 * other failure leaves the transaction aborted; the engine rolls back (to
 * its savepoint, or whole).
 *
 * Row locks: row_load inside a write transaction is SELECT ... FOR UPDATE,
 * so two tongxind merging the same row serialise on it (the second reads
 * the row as the first committed it). Two inserts of one id race to the
 * primary key: the second waits for the first's commit and then inserts
 * nothing, which is STO_DUP_ID as if it had found the row.
 *
 * References: SQLite's store has one writer at a time; here two tongxind
 * write at once and hold only the rows they lock. So the rows a write
 * transaction reads to decide, not to write - a reference's scope and
 * state (ref_scope), an organisation (org_get) - are read FOR KEY SHARE:
 * a writer changing that row (it loaded it FOR UPDATE) waits for the
 * reader's commit, or the reader waits for the writer's and then reads
 * what it committed. A member is never added under a branch another
 * tongxind is dissolving at the same moment. (FOR KEY SHARE is the
 * lightest lock FOR UPDATE conflicts with.) The other lookups are already
 * covered: unique_owner by the unique indexes (23505), ids_where by the
 * lock on the row whose children it counts (a new child's writer
 * key-shares that parent first). Two such transactions may deadlock;
 * PostgreSQL then fails one (40P01), the engine rolls it back, and the
 * device sends it again.
 *
 * Versions are nextval('tx_version'): a rollback or sp_rollback does not
 * give them back (sto.h: gaps are allowed on stores that say so, and this
 * one does).
 *
 * In flight: a pull must never pass a version whose transaction may still
 * commit. pg_sto_safe_version computes the bound with advisory locks:
 *
 *   writer, at begin, before its first nextval: reads the sequence's
 *     last_value L (0 while no number was handed out) and takes
 *     pg_advisory_xact_lock_shared(L), in one statement. The lock is held
 *     until the transaction ends, and released only after its commit is
 *     visible to new snapshots (PostgreSQL ends a transaction in the proc
 *     array before it releases its locks). Every version the writer takes
 *     is > L: the sequence only grows and L was read before.
 *   reader: X = last_value, read first; then M = the least key of the
 *     advisory locks (locktype advisory, objsubid 1: key = classid << 32 |
 *     objid) in this database, granted or waiting; safe = M if there is
 *     one, else X.
 *
 * Why every version v <= safe is committed or never will be: let v have
 * been taken by a writer W still in flight when the reader scans pg_locks.
 *   - If W took its lock before the scan, the scan saw it: L_W >= M, and
 *     v > L_W >= M = safe. So no lock was seen means no such W (below).
 *   - If W took it after the scan, v was taken after the scan too, so v is
 *     above every last_value read before the scan: above X, and above
 *     every lock key seen (each was a last_value read before it was
 *     locked, before the scan). v > safe either way.
 *   - No lock seen: safe = X, and every v <= X was handed out before X was
 *     read, so its writer locked before that, before the scan: had it
 *     been in flight, the scan would have seen its lock.
 * The order matters: X before the scan (the other way round, a writer
 * could lock and take X + 1 between the scan and the read, and X + 1 would
 * look safe while in flight). So does the sequence's CACHE 1 (schema_pg.h):
 * with a cache, a session hands out numbers it reserved earlier, below the
 * last_value another writer marked, and "every version W takes is > L_W"
 * no longer holds; open refuses such a sequence (check_server). The bound
 * may lag: a writer that read L long ago holds everyone back to L until it
 * ends; it never runs ahead. Other users of one-key advisory locks in the
 * database (another tongxind schema's writers too) can only lower M. The
 * reader must read rows under a snapshot taken after the scan (READ
 * COMMITTED: any later statement), not inside an older snapshot.
 */
#include "store_pg.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_view.h"
#include "engine.h"
#include "ids.h"
#include "log.h"
#include "pg_util.h"
#include "reason.h"
#include "schema.h"
#include "schema_pg.h"
#include "store_backend.h"
#include "value.h"

/*
 * The statements, by kind. The first ones exist per table (name_<t>), the
 * two after PS_PER_TABLE per table and column, prepared on first use
 * (name_<t>_<c>), the rest once (name).
 */
enum ps {
	PS_ROW_GET, PS_ROW_LOCK, PS_ROW_INS, PS_ROW_UPD, PS_ID_TAKEN, PS_SCOPE_GET, PS_SCOPE_LOCK,
	PS_CREATED_BY, PS_PULL,
	PS_PER_TABLE,
	PS_UNIQUE_BY = PS_PER_TABLE, PS_IDS_WHERE,
	PS_PER_COLUMN,
	PS_BEGIN = PS_PER_COLUMN, PS_MARK, PS_COMMIT, PS_ROLLBACK, PS_SP_BEGIN, PS_SP_RELEASE,
	PS_SP_ROLLBACK, PS_W_BEGIN, PS_W_RELEASE, PS_W_ROLLBACK, PS_VERSION_NEXT, PS_SAFE_LAST,
	PS_SAFE_LOCKS, PS_ORG_GET, PS_ORG_LOCK, PS_AUDIT_PUT, PS_EVICT_PUT, PS_EVICT_FIND,
	PS_SHARE_PUT, PS_SHARE_DROP, PS_SHARE_IN, PS_TXN_GET,
	PS_TXN_PUT, PS_SEQ_MAX, PS_CONFLICT_PUT, PS_CONFLICT_COUNT, PS_CONFLICT_GET,
	PS_CONFLICT_SETTLE, PS_REUSED_GET, PS_VALUE_AUTHOR, PS_RECOVERED_GET, PS_RECOVERED_PUT,
	PS_RECOVERED_QUEUED, PS_RECOVERED_QUEUED_PUT, PS_RECOVERY_ADD, PS_RECOVERY_GET,
	PS_COUNT
};

/* Every statement's name, and the SQL of those that are not made from the schema. */
static const struct {
	const char *name;
	const char *sql;
} ps_def[PS_COUNT] = {
	[PS_ROW_GET] = { "row_get", NULL },
	[PS_ROW_LOCK] = { "row_lock", NULL },
	[PS_ROW_INS] = { "row_ins", NULL },
	[PS_ROW_UPD] = { "row_upd", NULL },
	[PS_ID_TAKEN] = { "id_taken", NULL },
	[PS_SCOPE_GET] = { "scope_get", NULL },
	[PS_SCOPE_LOCK] = { "scope_lock", NULL },
	[PS_CREATED_BY] = { "created_by", NULL },
	[PS_PULL] = { "pull", NULL },
	[PS_UNIQUE_BY] = { "unique_by", NULL },
	[PS_IDS_WHERE] = { "ids_where", NULL },
	[PS_BEGIN] = { "begin", "BEGIN ISOLATION LEVEL READ COMMITTED" },
	/* The in-flight mark (see the top of this file): read L and lock it, before any nextval. */
	[PS_MARK] = { "mark", "SELECT pg_advisory_xact_lock_shared(CASE WHEN is_called THEN last_value"
	    " ELSE 0 END) FROM " SCHEMA_PG_VERSION_SEQ },
	[PS_COMMIT] = { "commit", "COMMIT" },
	[PS_ROLLBACK] = { "rollback", "ROLLBACK" },
	[PS_SP_BEGIN] = { "sp_begin", "SAVEPOINT txn" },
	[PS_SP_RELEASE] = { "sp_release", "RELEASE SAVEPOINT txn" },
	[PS_SP_ROLLBACK] = { "sp_rollback", "ROLLBACK TO SAVEPOINT txn" },
	[PS_W_BEGIN] = { "w_begin", "SAVEPOINT w" },
	[PS_W_RELEASE] = { "w_release", "RELEASE SAVEPOINT w" },
	[PS_W_ROLLBACK] = { "w_rollback", "ROLLBACK TO SAVEPOINT w" },
	[PS_VERSION_NEXT] = { "version_next", "SELECT nextval('" SCHEMA_PG_VERSION_SEQ "')" },
	[PS_SAFE_LAST] = { "safe_last", "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
	    " FROM " SCHEMA_PG_VERSION_SEQ },
	[PS_SAFE_LOCKS] = { "safe_locks", "SELECT min((l.classid::bigint << 32) | l.objid::bigint)"
	    " FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 1"
	    " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())" },
	[PS_ORG_GET] = { "org_get", "SELECT _scope, _deleted, coalesce(dissolved, 0), kind FROM org"
	    " WHERE id = $1" },
	/* The same, holding the row against a writer (see References at the top). */
	[PS_ORG_LOCK] = { "org_lock", "SELECT _scope, _deleted, coalesce(dissolved, 0), kind FROM org"
	    " WHERE id = $1 FOR KEY SHARE" },
	[PS_AUDIT_PUT] = { "audit_put", "INSERT INTO audit (version, at, device_id, operator, action,"
	    " tbl, row_id, seq, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)" },
	[PS_EVICT_PUT] = { "evict_put", "INSERT INTO evict (version, tbl, row_id, old_scope,"
	    " new_scope) VALUES ($1, $2, $3, $4, $5)" },
	[PS_EVICT_FIND] = { "evict_find", "SELECT 1 FROM evict WHERE tbl = $1 AND row_id = $2"
	    " AND old_scope >= $3 AND old_scope < $4 LIMIT 1" },
	[PS_SHARE_PUT] = { "share_put", "INSERT INTO share (via_tbl, via_id, tbl, row_id, scope)"
	    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (via_tbl, via_id, tbl, row_id)"
	    " DO UPDATE SET scope = excluded.scope" },
	[PS_SHARE_DROP] = { "share_drop", "DELETE FROM share WHERE via_tbl = $1 AND via_id = $2" },
	[PS_SHARE_IN] = { "share_in", "SELECT 1 FROM share WHERE tbl = $1 AND row_id = $2"
	    " AND scope >= $3 AND scope < $4 LIMIT 1" },
	[PS_TXN_GET] = { "txn_get", "SELECT status, reason, conflict_id, digest,"
	    " coalesce(reason_code, 0), reason_args FROM txn_log WHERE device_id = $1 AND seq = $2" },
	[PS_TXN_PUT] = { "txn_put", "INSERT INTO txn_log (device_id, seq, status, reason,"
	    " conflict_id, received_at, hlc, txn, digest, reason_code, reason_args)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)" },
	[PS_SEQ_MAX] = { "seq_max", "SELECT coalesce(max(seq), 0) FROM txn_log WHERE device_id = $1" },
	[PS_CONFLICT_PUT] = { "conflict_put", "INSERT INTO conflict (id, device_id, seq, operator,"
	    " kind, reason, tbl, row_id, txn, server_row, hlc, local_time, received_at, status,"
	    " resolution, resolved_version, loser_device_id, reason_code, reason_args, digest)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
	    " $18, $19, $20)" },
	[PS_CONFLICT_COUNT] = { "conflict_count", "SELECT count(*) FROM conflict WHERE device_id = $1"
	    " AND status = 'open'" },
	/* store_admin.c CONFLICT_COLS, the same order. */
	[PS_CONFLICT_GET] = { "conflict_get", "SELECT c.id, c.kind, c.reason, d.name, d.org_code,"
	    " c.operator, c.tbl, c.row_id, c.seq, c.hlc, c.local_time, c.received_at, c.status,"
	    " c.resolution, c.resolved_by, c.resolved_at, c.txn, c.server_row, c.device_id,"
	    " coalesce(c.reason_code, 0), c.reason_args FROM conflict c"
	    " LEFT JOIN device d ON d.id = c.device_id"
	    " WHERE c.id = $1 OR right(c.id, length($1)) = $1 LIMIT 2" },
	[PS_CONFLICT_SETTLE] = { "conflict_settle", "UPDATE conflict SET status = 'resolved',"
	    " resolution = $2, resolved_by = $3, resolved_at = $4, resolved_version = $5, note = $6"
	    " WHERE id = $1 AND status = 'open'" },
	[PS_REUSED_GET] = { "reused_get", "SELECT id, status, reason, coalesce(reason_code, 0),"
	    " reason_args FROM conflict WHERE device_id = $1 AND seq = $2 AND kind = 'reused_seq'"
	    " AND digest = $3" },
	[PS_VALUE_AUTHOR] = { "value_author", "SELECT d.name, a.at, a.action, a.detail FROM audit a"
	    " LEFT JOIN device d ON d.id = a.device_id WHERE a.row_id = $1 AND a.action <> 'insert'"
	    " AND a.version <= $2 ORDER BY a.version DESC LIMIT 1000" },
	[PS_RECOVERED_GET] = { "recovered_get", "SELECT origin, version FROM recovered"
	    " WHERE tbl = $1 AND row_id = $2" },
	/* SQLite's INSERT OR REPLACE: the primary key is (tbl, row_id). */
	[PS_RECOVERED_PUT] = { "recovered_put", "INSERT INTO recovered (tbl, row_id, origin, version,"
	    " device_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tbl, row_id) DO UPDATE SET"
	    " origin = excluded.origin, version = excluded.version, device_id = excluded.device_id" },
	[PS_RECOVERED_QUEUED] = { "recovered_queued", "SELECT 1 FROM recovered_conflict"
	    " WHERE device_id = $1 AND tbl = $2 AND row_id = $3 AND origin = $4" },
	/* SQLite's INSERT OR IGNORE: a second put changes nothing. */
	[PS_RECOVERED_QUEUED_PUT] = { "recovered_queued_put", "INSERT INTO recovered_conflict"
	    " (device_id, tbl, row_id, origin, conflict_id) VALUES ($1, $2, $3, $4, $5)"
	    " ON CONFLICT DO NOTHING" },
	[PS_RECOVERY_ADD] = { "recovery_add", "INSERT INTO recovery (device_id, epoch, started_at,"
	    " finished_at, applied, known, conflicts, rejected) VALUES ($1, $2, $3, $4, $5, $6, $7,"
	    " $8) ON CONFLICT (device_id, epoch) DO UPDATE SET"
	    " finished_at = coalesce(excluded.finished_at, recovery.finished_at),"
	    " applied = recovery.applied + excluded.applied,"
	    " known = recovery.known + excluded.known,"
	    " conflicts = recovery.conflicts + excluded.conflicts,"
	    " rejected = recovery.rejected + excluded.rejected" },
	[PS_RECOVERY_GET] = { "recovery_get", "SELECT finished_at IS NOT NULL, applied, known,"
	    " conflicts, rejected FROM recovery WHERE device_id = $1 AND epoch = $2" },
};

struct pg_sto {
	PGconn *c;
	char err[512];                  /* the last failure, for errmsg */
	int in_txn, in_sp;
	int broken;                     /* a version could not be taken: commit must fail */
	int pid;                        /* the server process the statements are prepared in */
	int lost;                       /* the last failure lost the session */
	char state[6];                  /* the last failure's SQLSTATE, or "" */
	uint64_t unique_ready[TBL_COUNT];   /* PS_UNIQUE_BY prepared, by column bit */
	uint64_t ids_ready[TBL_COUNT];      /* PS_IDS_WHERE prepared, by column bit */
};

/* --- running statements ------------------------------------------------------ */

/*
 * Note a failure in p->err (what, then the server's words and SQLSTATE)
 * and log it, once: a failure a retry may cure (a lock wait timed out, a
 * deadlock, a lost session) says so, for the push it fails is answered
 * with an error the device retries.
 */
static void
fail_note(struct pg_sto *p, const char *what, const PGresult *r)
{
	pg_errfmt(p->err, sizeof p->err, what, p->c, r, 1);
	snprintf(p->state, sizeof p->state, "%s", pg_state(r));
	p->lost = pg_is_conn_lost(p->c, r);
	log_warnx("store (postgresql): %s%s", p->err, p->lost ? " (the connection is lost: the"
	    " next transaction connects again)" : pg_is_retryable(p->c, r) ? " (the transaction"
	    " fails and may be sent again)" : "");
}

/* A statement's name: the kind's, with the table and column where it has them. */
static void
ps_name(char *buf, size_t cap, enum ps k, int t, int col)
{
	if (k < PS_PER_TABLE)
		snprintf(buf, cap, "%s_%d", ps_def[k].name, t);
	else if (k < PS_PER_COLUMN)
		snprintf(buf, cap, "%s_%d_%d", ps_def[k].name, t, col);
	else
		snprintf(buf, cap, "%s", ps_def[k].name);
}

/*
 * Run prepared statement k (of table t, column col where it has them) with
 * params a (NULL: none). Returns the result (the caller PQclears it), or
 * NULL when it failed (noted in p->err, logged) unless quiet23505 and the
 * failure is a unique violation: then the failed result is returned for the
 * caller to read.
 */
static int session_ready(struct pg_sto *p);

static PGresult *
run(struct pg_sto *p, enum ps k, int t, int col, const struct pgp *a, int quiet23505)
{
	char name[64];
	PGresult *r;
	int idle;

	ps_name(name, sizeof name, k, t, col);
	/* Outside a transaction nothing is lost by a new session: make sure there is one. */
	if (!p->in_txn && session_ready(p) != 0)
		return NULL;
	/* Inside one whose session is gone, the failure that said so is noted and logged. */
	if (p->in_txn && p->lost && PQstatus(p->c) != CONNECTION_OK)
		return NULL;
	idle = PQtransactionStatus(p->c) == PQTRANS_IDLE;
	r = pg_exec(p->c, 1, name, a);
	/* Outside a transaction, a statement that met a break never ran: once more. */
	if (!p->in_txn && pg_retry_lost(p->c, idle, r, name)) {
		PQclear(r);
		r = session_ready(p) == 0 ? pg_exec(p->c, 1, name, a) : NULL;
	}
	if (pg_ok(r))
		return r;
	if (quiet23505 && strcmp(pg_state(r), "23505") == 0)
		return r;
	fail_note(p, name, r);
	PQclear(r);
	return NULL;
}

/* Run a statement without a result that matters: 0, or -1 (noted). */
static int
run0(struct pg_sto *p, enum ps k, const struct pgp *a)
{
	PGresult *r = run(p, k, 0, 0, a, 0);

	PQclear(r);
	return r ? 0 : -1;
}

static int
prepare(struct pg_sto *p, enum ps k, int t, int col, const char *sql)
{
	char name[64];
	PGresult *r;
	int ok;

	ps_name(name, sizeof name, k, t, col);
	r = PQprepare(p->c, name, sql, 0, NULL);
	if (!(ok = pg_ok(r)))
		fail_note(p, name, r);
	PQclear(r);
	return ok ? 0 : -1;
}

/* --- preparing --------------------------------------------------------------- */

/* Append to a fixed buffer; the statements are bounded by the schema. */
static void
sql_add(char *buf, size_t cap, size_t *n, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
sql_add(char *buf, size_t cap, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= cap)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, cap - *n, fmt, ap);
	va_end(ap);
	*n = w < 0 ? cap : *n + (size_t)w;
}

/* The statements of table t, as store_prepare makes SQLite's. */
static int
prepare_table(struct pg_sto *p, int t)
{
	const struct table_def *td = &schema_tables[t];
	char sql[8192];
	size_t n = 0;
	int nc = td->ncols;

	sql_add(sql, sizeof sql, &n, "SELECT ");
	for (int c = 0; c < nc; c++)
		sql_add(sql, sizeof sql, &n, "%s, ", td->cols[c].name);
	sql_add(sql, sizeof sql, &n, "_version, _deleted, _scope, _scope2, _hlc, _device FROM %s"
	    " WHERE id = $1", td->name);
	if (prepare(p, PS_ROW_GET, t, 0, sql) != 0)
		return -1;
	/* The same, taking the row's lock (sto.h row_load inside a write transaction). */
	sql_add(sql, sizeof sql, &n, " FOR UPDATE");
	if (n >= sizeof sql || prepare(p, PS_ROW_LOCK, t, 0, sql) != 0)
		return -1;

	n = 0;
	sql_add(sql, sizeof sql, &n, "INSERT INTO %s (", td->name);
	for (int c = 0; c < nc; c++)
		sql_add(sql, sizeof sql, &n, "%s, ", td->cols[c].name);
	sql_add(sql, sizeof sql, &n, "_version, _deleted, _scope, _scope2, _hlc, _device, id, _echo,"
	    " _created) VALUES (");
	for (int c = 0; c < nc + 8; c++)
		sql_add(sql, sizeof sql, &n, "%s$%d", c ? ", " : "", c + 1);
	/*
	 * _created is the insert's version: where the row's audit trail starts.
	 * A clash with any unique index (the primary key too) inserts nothing
	 * and fails nothing: pg_row_write then tells which (PS_ID_TAKEN).
	 */
	sql_add(sql, sizeof sql, &n, ", $%d) ON CONFLICT DO NOTHING", nc + 1);
	if (n >= sizeof sql || prepare(p, PS_ROW_INS, t, 0, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = $1", td->name);
	if (prepare(p, PS_ID_TAKEN, t, 0, sql) != 0)
		return -1;

	n = 0;
	sql_add(sql, sizeof sql, &n, "UPDATE %s SET ", td->name);
	for (int c = 0; c < nc; c++)
		sql_add(sql, sizeof sql, &n, "%s = $%d, ", td->cols[c].name, c + 1);
	sql_add(sql, sizeof sql, &n, "_version = $%d, _deleted = $%d, _scope = $%d, _scope2 = $%d,"
	    " _hlc = $%d, _device = $%d, _echo = $%d WHERE id = $%d", nc + 1, nc + 2, nc + 3,
	    nc + 4, nc + 5, nc + 6, nc + 8, nc + 7);
	if (n >= sizeof sql || prepare(p, PS_ROW_UPD, t, 0, sql) != 0)
		return -1;

	snprintf(sql, sizeof sql, "SELECT _scope, _deleted, %s FROM %s WHERE id = $1",
	    t == TBL_ORG ? "coalesce(dissolved, 0)" : "0", td->name);
	if (prepare(p, PS_SCOPE_GET, t, 0, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "SELECT _scope, _deleted, %s FROM %s WHERE id = $1 FOR KEY SHARE",
	    t == TBL_ORG ? "coalesce(dissolved, 0)" : "0", td->name);
	if (prepare(p, PS_SCOPE_LOCK, t, 0, sql) != 0)
		return -1;
	snprintf(sql, sizeof sql, "SELECT d.name, a.at FROM audit a LEFT JOIN device d"
	    " ON d.id = a.device_id WHERE a.version = (SELECT _created FROM %s WHERE id = $1)",
	    td->name);
	if (prepare(p, PS_CREATED_BY, t, 0, sql) != 0)
		return -1;
	/*
	 * A pull page's rows of the table (store_pgs.c pgs_pull_rows): every
	 * page asks every table, so the plan is made once a session. $1 the
	 * cursor, $2 and $3 the device's scope range, $4 the room, $5 the
	 * device whose echoes are left out (NULL: none), $6 the page's bound.
	 */
	{
		char cond[512];
		if (store_scope_cond(cond, sizeof cond, t, "$2::text", "$3::text") != 0)
			return -1;
		n = 0;
		sql_add(sql, sizeof sql, &n, "SELECT id, ");
		for (int c = 0; c < nc; c++)
			sql_add(sql, sizeof sql, &n, "%s, ", td->cols[c].name);
		sql_add(sql, sizeof sql, &n,
		    "_version, _deleted FROM %s WHERE _version > $1::bigint AND _version <= $6::bigint"
		    " AND %s AND (_deleted = 0 OR $1::bigint > 0)"
		    " AND ($5::text IS NULL OR _echo = 0 OR _device IS DISTINCT FROM $5::text)"
		    " ORDER BY _version LIMIT $4::bigint", td->name, cond);
		if (n >= sizeof sql)
			return -1;
	}
	return prepare(p, PS_PULL, t, 0, sql);
}

static int
prepare_all(struct pg_sto *p)
{
	for (int t = 0; t < TBL_COUNT; t++)
		if (prepare_table(p, t) != 0)
			return -1;
	for (int k = PS_PER_COLUMN; k < PS_COUNT; k++)
		if (prepare(p, (enum ps)k, 0, 0, ps_def[k].sql) != 0)
			return -1;
	return 0;
}

/* The statement of kind k for table t, column col, prepared the first time (*ready: the set). */
static int
prepare_col(struct pg_sto *p, enum ps k, int t, int col, uint64_t *ready)
{
	const struct table_def *td = &schema_tables[t];
	const char *cn = td->cols[col].name;
	/* BIGINT columns are compared as text: the value given is text (ids_where). */
	int num = strcmp(schema_pg_col_type(td->cols[col].type), "BIGINT") == 0;
	char sql[512];

	if (*ready & (1ull << col))
		return 0;
	if (k == PS_UNIQUE_BY)
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = $1 AND _deleted = 0"
		    " AND id <> $2 LIMIT 1", td->name, cn);
	else
		snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s%s = $1 AND _deleted = 0"
		    " LIMIT $2", td->name, cn, num ? "::text" : "");
	if (prepare(p, k, t, col, sql) != 0)
		return -1;
	*ready |= 1ull << col;
	return 0;
}

/*
 * Outside a transaction: make sure the connection is a session with this
 * store's statements. A broken connection is reset (pg_revive), and a
 * session the statements were not prepared in (a reset here, or by pg_run
 * on the same connection in store_pgs.c) gets them again; its settings
 * came with it (pg_connect's startup options). 0, or -1 noted in p->err.
 */
static int
session_ready(struct pg_sto *p)
{
	PGresult *r;

	if (pg_revive(p->c) != 0) {
		pg_errfmt(p->err, sizeof p->err, "connect", p->c, NULL, 0);
		p->lost = 1;
		return -1;
	}
	if (PQbackendPID(p->c) == p->pid)
		return 0;
	/* What an earlier attempt prepared in this session is dropped first. */
	r = PQexec(p->c, "DEALLOCATE ALL");
	PQclear(r);
	memset(p->unique_ready, 0, sizeof p->unique_ready);
	memset(p->ids_ready, 0, sizeof p->ids_ready);
	if (prepare_all(p) != 0)
		return -1;
	p->pid = PQbackendPID(p->c);
	log_info("store (postgresql): statements prepared again in server process %d", p->pid);
	return 0;
}

/* --- open and close ------------------------------------------------------------ */

static void
notice_quiet(void *arg, const char *message)
{
	(void)arg;
	log_debug("store (postgresql): %s", message);
}

/* Run one statement of SQL text without parameters (DDL, settings). 0, or -1 with err. */
static int
exec_plain(struct pg_sto *p, const char *sql, char *err, size_t errlen)
{
	PGresult *r = pg_exec(p->c, 0, sql, NULL);
	int ok = pg_ok(r);

	if (!ok) {
		fail_note(p, "open", r);
		snprintf(err, errlen, "%s", p->err);
	}
	PQclear(r);
	return ok ? 0 : -1;
}

/* The schema in one transaction, and its canonical text in meta. */
static int
create_schema(struct pg_sto *p, char *err, size_t errlen)
{
	size_t cap = 65536;
	char *ddl = malloc(cap), stmt[8192];
	const char *q = ddl, *st;
	struct pgp a = { .n = 0 };
	PGresult *r;
	size_t len;

	if (ddl == NULL || schema_pg_ddl(ddl, cap) < 0) {
		snprintf(err, errlen, ddl ? "internal: the PostgreSQL schema is too long" :
		    "out of memory");
		free(ddl);
		return -1;
	}
	if (exec_plain(p, "BEGIN", err, errlen) != 0) {
		free(ddl);
		return -1;
	}
	while ((st = schema_pg_next(&q, &len)) != NULL) {
		if (len >= sizeof stmt) {
			snprintf(err, errlen, "internal: a DDL statement is too long");
			goto fail;
		}
		memcpy(stmt, st, len);
		stmt[len] = '\0';
		if (exec_plain(p, stmt, err, errlen) != 0)
			goto fail;
	}
	pgp_text(&a, "schema");
	pgp_text(&a, schema_canonical_text());
	r = pg_exec(p->c, 0, "INSERT INTO meta (key, value) VALUES ($1, $2)", &a);
	if (!pg_ok(r)) {
		fail_note(p, "meta", r);
		snprintf(err, errlen, "%s", p->err);
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (exec_plain(p, "COMMIT", err, errlen) != 0)
		goto fail;
	free(ddl);
	return 0;
fail:
	PQclear(pg_exec(p->c, 0, "ROLLBACK", NULL));
	free(ddl);
	return -1;
}

/* Whether the database holds this program's schema. 0, or -1 with err. */
static int
check_schema(struct pg_sto *p, char *err, size_t errlen)
{
	struct pgp a = { .n = 0 };
	PGresult *r;
	int rc = -1;

	pgp_text(&a, "schema");
	r = pg_exec(p->c, 0, "SELECT value FROM meta WHERE key = $1", &a);
	if (!pg_ok(r))
		snprintf(err, errlen, "the database is not a tongxind database (%s)",
		    strcmp(pg_state(r), "42P01") == 0 ? "it has no meta table" : PQresultErrorMessage(r));
	else if (PQntuples(r) != 1)
		snprintf(err, errlen, "the database is not a tongxind database (no schema in meta)");
	else if (strcmp(PQgetvalue(r, 0, 0), schema_canonical_text()) != 0)
		snprintf(err, errlen, "the database was made with another schema version; "
		    "upgrade it before serving");
	else
		rc = 0;
	PQclear(r);
	return rc;
}

/*
 * What the store's guarantees need of the server. The in-flight bound
 * needs the version sequence to hand out numbers in the order they are
 * asked for: with a cache above 1 each session takes a block ahead, and
 * a writer could take a number below the last_value it marked at begin
 * (refused). Durability needs fsync: a server running without it loses
 * acknowledged commits in a crash (said once; test clusters run so).
 * 0, or -1 with err.
 */
static int
check_server(struct pg_sto *p, char *err, size_t errlen)
{
	static int fsync_said;
	const char *seq = SCHEMA_PG_VERSION_SEQ;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int rc = 0;

	pgp_text(&a, seq);
	r = pg_exec(p->c, 0, "SELECT seqcache, current_setting('fsync') FROM pg_sequence"
	    " WHERE seqrelid = $1::regclass", &a);
	if (!pg_ok(r) || PQntuples(r) != 1) {
		snprintf(err, errlen, "the version sequence %s cannot be read: %s", seq,
		    PQresultErrorMessage(r));
		rc = -1;
	} else if (strcmp(PQgetvalue(r, 0, 0), "1") != 0) {
		snprintf(err, errlen, "the version sequence %s has CACHE %s; it must be 1 (ALTER"
		    " SEQUENCE %s CACHE 1), or a pull could pass a version still in flight", seq,
		    PQgetvalue(r, 0, 0), seq);
		rc = -1;
	} else if (strcmp(PQgetvalue(r, 0, 1), "on") != 0 && !fsync_said) {
		fsync_said = 1;
		log_warnx("store (postgresql): the server runs with fsync = %s: a change it"
		    " acknowledged may be lost in a crash", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return rc;
}

/* A time in ms from the environment variable name (tests), else dflt. */
static int
env_ms(const char *name, int dflt)
{
	const char *v = getenv(name);
	char *end;
	long ms;

	if (v == NULL || *v == '\0')
		return dflt;
	ms = strtol(v, &end, 10);
	return *end == '\0' && ms >= 0 && ms <= 86400000 ? (int)ms : dflt;
}

struct pg_sto *
pg_sto_open(const char *uri, int create, char *err, size_t errlen)
{
	struct pg_sto *p;
	char settings[160];

	if ((p = calloc(1, sizeof *p)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Durable at COMMIT (see the top of this file), whatever the server's default. */
	snprintf(settings, sizeof settings, "-c lock_timeout=%d"
	    " -c idle_in_transaction_session_timeout=%d -c synchronous_commit=on",
	    env_ms("TX_PG_LOCK_TIMEOUT_MS", PG_STO_LOCK_TIMEOUT_MS),
	    env_ms("TX_PG_IDLE_TIMEOUT_MS", PG_STO_IDLE_TIMEOUT_MS));
	if ((p->c = pg_connect(uri, settings, err, errlen)) == NULL)
		goto fail;
	PQsetNoticeProcessor(p->c, notice_quiet, NULL);
	if (create ? create_schema(p, err, errlen) : check_schema(p, err, errlen))
		goto fail;
	if (check_server(p, err, errlen) != 0)
		goto fail;
	if (prepare_all(p) != 0) {
		snprintf(err, errlen, "cannot prepare the statements: %s", p->err);
		goto fail;
	}
	p->pid = PQbackendPID(p->c);
	return p;
fail:
	pg_sto_close(p);
	return NULL;
}

void
pg_sto_close(struct pg_sto *p)
{
	if (p == NULL)
		return;
	PQfinish(p->c);   /* the server rolls back whatever is open */
	free(p);
}

PGresult *
pg_sto_pull_rows(struct pg_sto *p, int t, const struct pgp *a, char *err, size_t errlen)
{
	PGresult *r;

	if (t < 0 || t >= TBL_COUNT) {
		snprintf(err, errlen, "no table %d", t);
		return NULL;
	}
	if ((r = run(p, PS_PULL, t, 0, a, 0)) == NULL)
		snprintf(err, errlen, "pull %s: %s", schema_tables[t].name, p->err);
	return r;
}

PGconn *
pg_sto_conn(struct pg_sto *p)
{
	return p->c;
}

int
pg_sto_safe_version(struct pg_sto *p, uint64_t *out)
{
	PGresult *r;
	int64_t x;

	/* X first, then the locks: the order is what makes the bound safe (top of the file). */
	if ((r = run(p, PS_SAFE_LAST, 0, 0, NULL, 0)) == NULL)
		return -1;
	x = pg_int(r, 0, 0);
	PQclear(r);
	if ((r = run(p, PS_SAFE_LOCKS, 0, 0, NULL, 0)) == NULL)
		return -1;
	*out = (uint64_t)(PQgetisnull(r, 0, 0) ? x : pg_int(r, 0, 0));
	PQclear(r);
	return 0;
}

/* --- the operations ------------------------------------------------------------ */

static const char *
pg_errmsg(void *b)
{
	return ((struct pg_sto *)b)->err;
}

static int
pg_begin(void *b, char *err, size_t errlen)
{
	struct pg_sto *p = b;

	if (p->in_txn) {
		snprintf(err, errlen, "a transaction is already open");
		return -1;
	}
	p->err[0] = '\0';
	for (int tries = 0;; tries++) {
		p->lost = 0;
		p->state[0] = '\0';
		if (session_ready(p) == 0 && run0(p, PS_BEGIN, NULL) == 0)
			break;
		/*
		 * A session that ended while idle (the server restarted, the
		 * backend was killed, the network cut) shows only now: once more,
		 * on a new one. So do statements that are gone (26000).
		 */
		if (tries > 0 || !(p->lost || strcmp(p->state, "26000") == 0)) {
			snprintf(err, errlen, "%s", p->err);
			return -1;
		}
		if (p->lost && PQstatus(p->c) == CONNECTION_OK)
			PQreset(p->c);
		p->pid = 0;
	}
	/* The in-flight mark, before any version is taken. */
	if (run0(p, PS_MARK, NULL) != 0) {
		snprintf(err, errlen, "%s", p->err);
		(void)run0(p, PS_ROLLBACK, NULL);
		return -1;
	}
	p->in_txn = 1;
	p->in_sp = 0;
	p->broken = 0;
	return 0;
}

static void
pg_rollback(void *b)
{
	struct pg_sto *p = b;

	/* A lost session took its transaction with it: nothing to say to the server. */
	if (PQstatus(p->c) == CONNECTION_OK)
		(void)run0(p, PS_ROLLBACK, NULL);
	p->lost = 0;
	p->in_txn = p->in_sp = p->broken = 0;
}

static int
pg_commit(void *b, char *err, size_t errlen)
{
	struct pg_sto *p = b;
	PGresult *r;

	if (!p->in_txn) {
		snprintf(err, errlen, "no transaction is open");
		return -1;
	}
	if (p->broken) {
		snprintf(err, errlen, "a version could not be taken: %s", p->err);
		pg_rollback(p);
		return -1;
	}
	/*
	 * COMMIT of a transaction that failed answers ROLLBACK without an
	 * error: only the command tag tells.
	 */
	r = run(p, PS_COMMIT, 0, 0, NULL, 0);
	p->in_txn = p->in_sp = 0;
	if (r == NULL || strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		if (r != NULL)
			snprintf(p->err, sizeof p->err, "commit: the transaction had failed (%s)",
			    PQcmdStatus(r));
		snprintf(err, errlen, "%s", p->err);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int
pg_sp_begin(void *b)
{
	struct pg_sto *p = b;

	if (!p->in_txn || p->in_sp) {
		snprintf(p->err, sizeof p->err, "sp_begin %s", p->in_sp ? "inside a savepoint" :
		    "outside a transaction");
		return -1;
	}
	if (run0(p, PS_SP_BEGIN, NULL) != 0)
		return -1;
	p->in_sp = 1;
	return 0;
}

static int
pg_sp_release(void *b)
{
	struct pg_sto *p = b;

	if (!p->in_sp) {
		snprintf(p->err, sizeof p->err, "sp_release without sp_begin");
		return -1;
	}
	p->in_sp = 0;
	return run0(p, PS_SP_RELEASE, NULL);
}

/* Back to the state at sp_begin; the savepoint stays open. Versions taken stay taken. */
static int
pg_sp_rollback(void *b)
{
	struct pg_sto *p = b;

	if (!p->in_sp) {
		snprintf(p->err, sizeof p->err, "sp_rollback without sp_begin");
		return -1;
	}
	return run0(p, PS_SP_ROLLBACK, NULL);
}

/*
 * nextval. sto.h gives this operation no way to fail: on a failure it
 * returns 0 (no row ever has version 0 here), and the transaction can no
 * longer commit.
 */
static uint64_t
pg_version_next(void *b)
{
	struct pg_sto *p = b;
	PGresult *r;
	uint64_t v;

	if (!p->in_txn) {
		/* Outside the in-flight mark a version could pass a pull unseen. */
		snprintf(p->err, sizeof p->err, "version_next outside a transaction");
		log_warnx("store (postgresql): %s", p->err);
		return 0;
	}
	if ((r = run(p, PS_VERSION_NEXT, 0, 0, NULL, 0)) == NULL) {
		p->broken = 1;
		return 0;
	}
	v = (uint64_t)pg_int(r, 0, 0);
	PQclear(r);
	return v;
}

/* A sequence never gives a number back: the version stays taken (a gap). */
static void
pg_version_back(void *b, uint64_t v)
{
	(void)b;
	(void)v;
}

/* Column c of the row result r (row 0, column i) into v, by the column's type. -1 on OOM. */
static int
value_from_res(const PGresult *r, int i, enum col_type type, Tongxin__Value *v)
{
	tongxin__value__init(v);
	if (PQgetisnull(r, 0, i))
		return 0;
	if (type == COL_INT || type == COL_BOOL) {
		value_set_int(v, strtoll(PQgetvalue(r, 0, i), NULL, 10));
		return 0;
	}
	if ((v->s = strdup(PQgetvalue(r, 0, i))) == NULL)
		return -1;
	v->kind_case = TONGXIN__VALUE__KIND_S;
	return 0;
}

static int
pg_row_load(void *b, int t, const char *id, struct srow *out)
{
	struct pg_sto *p = b;
	const struct table_def *td;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int nc;

	memset(out, 0, sizeof *out);
	if (t < 0 || t >= TBL_COUNT)
		return -1;
	td = &schema_tables[t];
	nc = td->ncols;
	pgp_text(&a, id);
	if ((r = run(p, p->in_txn ? PS_ROW_LOCK : PS_ROW_GET, t, 0, &a, 0)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		out->exists = 1;
		for (int c = 0; c < nc; c++)
			if (value_from_res(r, c, td->cols[c].type, &out->v[c]) != 0) {
				PQclear(r);
				srow_clear(out);
				snprintf(p->err, sizeof p->err, "out of memory");
				return -1;
			}
		out->version = (uint64_t)pg_int(r, 0, nc);
		out->deleted = (int)pg_int(r, 0, nc + 1);
		snprintf(out->scope, sizeof out->scope, "%s", PQgetvalue(r, 0, nc + 2));
		snprintf(out->scope2, sizeof out->scope2, "%s", PQgetvalue(r, 0, nc + 3));
		out->hlc = (uint64_t)pg_int(r, 0, nc + 4);
		snprintf(out->device, sizeof out->device, "%s", PQgetvalue(r, 0, nc + 5));
		out->echo = 0;   /* sto.h: row_load leaves it 0 */
	}
	PQclear(r);
	return 0;
}

/* Whether table t has a unique column (an update may then clash). */
static int
has_unique(int t)
{
	const struct table_def *td = &schema_tables[t];

	for (int c = 0; c < td->ncols; c++)
		if (td->cols[c].flags & COLF_UNIQUE)
			return 1;
	return 0;
}

/*
 * Insert row id of table t (parameters a). One statement in the common
 * case: INSERT ... ON CONFLICT DO NOTHING inserts nothing when the id or a
 * unique value is taken (after waiting for a transaction that is inserting
 * the same, as a plain INSERT would), and nothing fails, so no savepoint
 * is needed; only then is the id looked up: taken, STO_DUP_ID (the primary
 * key, deleted rows included, as in memory), else STO_UNIQUE.
 */
static enum sto_write
row_insert(struct pg_sto *p, int t, const char *id, const struct pgp *a)
{
	struct pgp k = { .n = 0 };
	PGresult *r;
	int inserted;

	if ((r = run(p, PS_ROW_INS, t, 0, a, 0)) == NULL)
		return STO_FAILED;
	inserted = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (inserted)
		return STO_WRITTEN;
	pgp_text(&k, id);
	if ((r = run(p, PS_ID_TAKEN, t, 0, &k, 0)) == NULL)
		return STO_FAILED;
	inserted = PQntuples(r);   /* here: whether the id is taken */
	PQclear(r);
	return inserted ? STO_DUP_ID : STO_UNIQUE;
}

static enum sto_write
pg_row_write(void *b, int t, const char *id, const struct srow *row, int is_new)
{
	struct pg_sto *p = b;
	const struct table_def *td;
	struct pgp a = { .n = 0 };
	char tname[64];
	PGresult *r;
	int guard, nc;

	if (t < 0 || t >= TBL_COUNT || id == NULL || !id_valid(id)) {
		snprintf(p->err, sizeof p->err, "row_write: bad table %d or id", t);
		return STO_FAILED;
	}
	if (!p->in_txn) {
		snprintf(p->err, sizeof p->err, "row_write outside a transaction");
		return STO_FAILED;
	}
	td = &schema_tables[t];
	nc = td->ncols;
	for (int c = 0; c < nc; c++)
		pgp_value(&a, &row->v[c]);
	pgp_int(&a, (int64_t)row->version);
	pgp_int(&a, row->deleted);
	pgp_text(&a, row->scope);
	pgp_text_or_null(&a, row->scope2);
	pgp_int(&a, (int64_t)row->hlc);
	pgp_text_or_null(&a, row->device);
	pgp_text(&a, id);
	pgp_int(&a, row->echo);
	if (is_new)
		return row_insert(p, t, id, &a);
	/*
	 * An update that meets a unique index fails with 23505, which must not
	 * abort the transaction: its own savepoint, on tables that have one.
	 */
	guard = has_unique(t);
	if (guard && run0(p, PS_W_BEGIN, NULL) != 0)
		return STO_FAILED;
	r = run(p, PS_ROW_UPD, t, 0, &a, guard);
	if (r != NULL && !pg_ok(r)) {
		/* 23505: the primary key is <table>_pkey (PostgreSQL's name for it). */
		const char *cn = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
		enum sto_write w;

		snprintf(tname, sizeof tname, "%s_pkey", td->name);
		w = cn != NULL && strcmp(cn, tname) == 0 ? STO_DUP_ID : STO_UNIQUE;
		PQclear(r);
		if (run0(p, PS_W_ROLLBACK, NULL) != 0 || run0(p, PS_W_RELEASE, NULL) != 0)
			return STO_FAILED;
		return w;
	}
	if (r == NULL)
		return STO_FAILED;   /* the transaction is aborted: the engine rolls back */
	if (strcmp(PQcmdTuples(r), "1") != 0) {
		/* As the in-memory store: an update of a row that is not there is a failure. */
		snprintf(p->err, sizeof p->err, "row_write: update of %s/%s, which is not there",
		    td->name, id);
		PQclear(r);
		if (guard)
			(void)run0(p, PS_W_RELEASE, NULL);
		return STO_FAILED;
	}
	PQclear(r);
	if (guard && run0(p, PS_W_RELEASE, NULL) != 0)
		return STO_FAILED;
	return STO_WRITTEN;
}

static int
pg_unique_owner(void *b, int t, int col, const Tongxin__Value *v, const char *not_id,
    char out[ID_TEXT_LEN + 1])
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found;

	if (t < 0 || t >= TBL_COUNT)
		return -1;
	if (col < 0 || col >= schema_tables[t].ncols ||
	    !(schema_tables[t].cols[col].flags & COLF_UNIQUE))
		return 0;
	if (v->kind_case == TONGXIN__VALUE__KIND__NOT_SET)
		return 0;   /* NULLs never clash */
	if (prepare_col(p, PS_UNIQUE_BY, t, col, &p->unique_ready[t]) != 0)
		return -1;
	pgp_value(&a, v);
	pgp_text(&a, not_id);
	if ((r = run(p, PS_UNIQUE_BY, t, col, &a, 0)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0))
		snprintf(out, ID_TEXT_LEN + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

static int
pg_ref_scope(void *b, int t, const char *id, char *scope, size_t cap)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found = 0;

	if (t < 0 || t >= TBL_COUNT)
		return -1;
	pgp_text(&a, id);
	if ((r = run(p, p->in_txn ? PS_SCOPE_LOCK : PS_SCOPE_GET, t, 0, &a, 0)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		snprintf(scope, cap, "%s", PQgetvalue(r, 0, 0));
		found = pg_int(r, 0, 1) || pg_int(r, 0, 2) ? 2 : 1;
	}
	PQclear(r);
	return found;
}

static int
pg_org_get(void *b, const char *id, struct sto_org *o)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found = 0;

	pgp_text(&a, id);
	if ((r = run(p, p->in_txn ? PS_ORG_LOCK : PS_ORG_GET, 0, 0, &a, 0)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		memset(o, 0, sizeof *o);
		snprintf(o->scope, sizeof o->scope, "%s", PQgetvalue(r, 0, 0));
		o->deleted = pg_int(r, 0, 1) != 0;
		o->dissolved = pg_int(r, 0, 2) != 0;
		snprintf(o->kind, sizeof o->kind, "%s", PQgetvalue(r, 0, 3));
		found = 1;
	}
	PQclear(r);
	return found;
}

static int
pg_ids_where(void *b, int t, int col, const char *value, size_t max, struct sto_ids *out)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int rc = 0;

	if (t < 0 || t >= TBL_COUNT || col < 0 || col >= schema_tables[t].ncols)
		return -1;
	if (prepare_col(p, PS_IDS_WHERE, t, col, &p->ids_ready[t]) != 0)
		return -1;
	pgp_text(&a, value);
	if (max > 0)
		pgp_int(&a, (int64_t)max);
	else
		pgp_text(&a, NULL);   /* LIMIT NULL: all */
	if ((r = run(p, PS_IDS_WHERE, t, col, &a, 0)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++)
		rc = sto_ids_add(out, PQgetvalue(r, i, 0));
	PQclear(r);
	return rc;
}

static int
pg_audit_put(void *b, const struct sto_audit *au)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };

	pgp_int(&a, (int64_t)au->version);
	pgp_int(&a, au->at);
	pgp_text(&a, au->device_id);
	pgp_text_or_null(&a, au->operator_name);
	pgp_text(&a, au->action);
	pgp_int(&a, au->table);
	pgp_text(&a, au->row_id);
	pgp_int(&a, (int64_t)au->seq);
	/* A sentence (detail_text) is kept as its bytes: the column is BYTEA. */
	if (au->detail != NULL)
		pgp_blob(&a, au->detail, au->detail_len);
	else
		pgp_text(&a, NULL);
	return run0(p, PS_AUDIT_PUT, &a);
}

static int
pg_evict_put(void *b, uint64_t version, int t, const char *id, const char *old_scope,
    const char *new_scope)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };

	pgp_int(&a, (int64_t)version);
	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_text(&a, old_scope);
	pgp_text(&a, new_scope);
	return run0(p, PS_EVICT_PUT, &a);
}

static int
pg_share_put(void *b, int via_t, const char *via_id, int t, const char *id, const char *scope)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };

	pgp_int(&a, via_t);
	pgp_text(&a, via_id);
	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_text(&a, scope);
	return run0(p, PS_SHARE_PUT, &a);
}

static int
pg_share_drop(void *b, int via_t, const char *via_id)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };

	pgp_int(&a, via_t);
	pgp_text(&a, via_id);
	return run0(p, PS_SHARE_DROP, &a);
}

static int
pg_share_in(void *b, int t, const char *id, const char *lo, const char *hi)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found;

	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_text(&a, lo);
	pgp_text(&a, hi);
	if ((r = run(p, PS_SHARE_IN, 0, 0, &a, 0)) == NULL)
		return -1;
	found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

static int
pg_evict_find(void *b, int t, const char *id, const char *scope)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	char hi[SCOPE_MAX];
	PGresult *r;
	int found;

	scope_hi(scope, hi, sizeof hi);
	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_text(&a, scope);
	pgp_text(&a, hi);
	if ((r = run(p, PS_EVICT_FIND, 0, 0, &a, 0)) == NULL)
		return -1;
	found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

static int
pg_txn_find(void *b, const char *device_id, uint64_t seq, struct sto_logged *out)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found;

	memset(out, 0, sizeof *out);
	pgp_text(&a, device_id);
	pgp_int(&a, (int64_t)seq);
	if ((r = run(p, PS_TXN_GET, 0, 0, &a, 0)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		unsigned char *d;
		size_t n;

		out->status = (int)pg_int(r, 0, 0);
		if (!PQgetisnull(r, 0, 1)) {
			out->has_reason = 1;
			snprintf(out->reason, sizeof out->reason, "%s", PQgetvalue(r, 0, 1));
		}
		snprintf(out->conflict_id, sizeof out->conflict_id, "%s", PQgetvalue(r, 0, 2));
		if ((d = pg_blob(r, 0, 3, &n)) != NULL && n == sizeof out->digest) {
			out->has_digest = 1;
			memcpy(out->digest, d, sizeof out->digest);
		}
		PQfreemem(d);
		if (pg_int(r, 0, 4) != 0)
			reason_unpack((uint32_t)pg_int(r, 0, 4), PQgetvalue(r, 0, 5), &out->why);
	}
	PQclear(r);
	return found;
}

static int
pg_txn_put(void *b, const struct sto_txnlog *l)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	char packed[REASON_MAX_ARGS * (REASON_ARG_MAX + 1) + 1];

	pgp_text(&a, l->device_id);
	pgp_int(&a, (int64_t)l->seq);
	pgp_int(&a, l->status);
	pgp_text_or_null(&a, l->reason);
	pgp_text_or_null(&a, l->conflict_id);
	pgp_int(&a, l->received_at);
	pgp_int(&a, (int64_t)l->hlc);
	if (l->txn != NULL)
		pgp_blob(&a, l->txn, l->txn_len);
	else
		pgp_text(&a, NULL);
	pgp_blob(&a, l->digest, 32);
	pgp_reason(&a, l->why, packed, sizeof packed);
	return run0(p, PS_TXN_PUT, &a);
}

static int
pg_txn_seq_max(void *b, const char *device_id, uint64_t *out)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;

	pgp_text(&a, device_id);
	if ((r = run(p, PS_SEQ_MAX, 0, 0, &a, 0)) == NULL)
		return -1;
	*out = (uint64_t)pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

static int
pg_conflict_put(void *b, const struct sto_conflict *cf)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	char packed[REASON_MAX_ARGS * (REASON_ARG_MAX + 1) + 1];

	pgp_text(&a, cf->id);
	pgp_text(&a, cf->device_id);
	pgp_int(&a, (int64_t)cf->seq);
	pgp_text_or_null(&a, cf->operator_name);
	pgp_text(&a, cf->kind);
	pgp_text(&a, cf->reason);
	pgp_int(&a, cf->table);
	pgp_text_or_null(&a, cf->row_id);
	/* NOT NULL: an empty transaction is an empty BYTEA, not NULL. */
	pgp_blob(&a, cf->txn ? (const void *)cf->txn : (const void *)"", cf->txn ? cf->txn_len : 0);
	if (cf->server_row != NULL)
		pgp_blob(&a, cf->server_row, cf->server_row_len);
	else
		pgp_text(&a, NULL);
	pgp_int(&a, (int64_t)cf->hlc);
	pgp_int(&a, cf->local_time);
	pgp_int(&a, cf->received_at);
	pgp_text(&a, cf->status);
	pgp_text_or_null(&a, cf->resolution);
	if (cf->resolved_version != 0)
		pgp_int(&a, (int64_t)cf->resolved_version);
	else
		pgp_text(&a, NULL);
	pgp_text_or_null(&a, cf->loser);
	pgp_reason(&a, cf->why, packed, sizeof packed);
	if (cf->digest != NULL)
		pgp_blob(&a, cf->digest, 32);
	else
		pgp_text(&a, NULL);
	return run0(p, PS_CONFLICT_PUT, &a);
}

static int
pg_conflict_open_count(void *b, const char *device_id, int64_t *n)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;

	pgp_text(&a, device_id);
	if ((r = run(p, PS_CONFLICT_COUNT, 0, 0, &a, 0)) == NULL)
		return -1;
	*n = pg_int(r, 0, 0);
	PQclear(r);
	return 0;
}

/* A text column of row 0 as a message string (empty for NULL). */
static char *
res_str(const PGresult *r, int col)
{
	return pb_str_dup(PQgetisnull(r, 0, col) ? NULL : PQgetvalue(r, 0, col));
}

/*
 * The author of the server's value the office's change clashed with
 * (store_admin.c value_author): the latest audited change of the row up to
 * the server row's version that set a clashing column or deleted the row;
 * else the row's insert. Best effort: a failed read leaves them empty.
 */
static void
value_author(struct pg_sto *p, Tongxin__ConflictInfo *ci, const char *row_id)
{
	uint64_t mask = conflict_clash_cols(ci, row_id);
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found = 0;

	pgp_text(&a, row_id);
	pgp_int(&a, ci->server_row != NULL && ci->server_row->version > 0 ?
	    (int64_t)ci->server_row->version : INT64_MAX);
	if ((r = run(p, PS_VALUE_AUTHOR, 0, 0, &a, 0)) == NULL)
		return;
	for (int i = 0; !found && i < PQntuples(r); i++) {
		size_t n;
		unsigned char *d = pg_blob(r, i, 3, &n);

		found = audit_sets_cols(PQgetvalue(r, i, 2), d, n, mask);
		PQfreemem(d);
		if (found) {
			ci->server_writer = pb_str_dup(PQgetisnull(r, i, 0) ? NULL : PQgetvalue(r, i, 0));
			ci->server_written_at_ms = pg_int(r, i, 1);
		}
	}
	PQclear(r);
	if (found)
		return;
	a.n = 0;
	pgp_text(&a, row_id);
	if ((r = run(p, PS_CREATED_BY, (int)ci->table, 0, &a, 0)) == NULL)
		return;
	if (PQntuples(r) == 1) {
		ci->server_writer = res_str(r, 0);
		ci->server_written_at_ms = pg_int(r, 0, 1);
	}
	PQclear(r);
}

/* Both sides of the conflict in row 0 of r (PS_CONFLICT_GET) as a new message. NULL on OOM. */
static Tongxin__ConflictInfo *
conflict_info(struct pg_sto *p, const PGresult *r)
{
	Tongxin__ConflictInfo *ci = malloc(sizeof *ci);
	unsigned char *blob;
	size_t n;

	if (ci == NULL)
		return NULL;
	tongxin__conflict_info__init(ci);
	ci->id = res_str(r, 0);
	ci->kind = res_str(r, 1);
	ci->reason = res_str(r, 2);
	ci->device_name = res_str(r, 3);
	ci->org_code = res_str(r, 4);
	ci->operator_name = res_str(r, 5);
	ci->table = (uint32_t)pg_int(r, 0, 6);
	ci->row_id = res_str(r, 7);
	ci->seq = (uint64_t)pg_int(r, 0, 8);
	ci->hlc = (uint64_t)pg_int(r, 0, 9);
	ci->local_time_ms = pg_int(r, 0, 10);
	ci->received_at_ms = pg_int(r, 0, 11);
	ci->status = res_str(r, 12);
	ci->resolution = res_str(r, 13);
	ci->resolved_by = res_str(r, 14);
	ci->resolved_at_ms = pg_int(r, 0, 15);
	if (pg_int(r, 0, 19) != 0) {
		struct reason why;
		reason_unpack((uint32_t)pg_int(r, 0, 19), PQgetvalue(r, 0, 20), &why);
		if (reason_args_copy(&why, &ci->reason_code, &ci->reason_args,
		    &ci->n_reason_args) != 0)
			goto oom;
	}
	if ((blob = pg_blob(r, 0, 16, &n)) != NULL) {
		ci->txn = tongxin__txn__unpack(NULL, n, blob);
		PQfreemem(blob);
	}
	if ((blob = pg_blob(r, 0, 17, &n)) != NULL) {
		ci->server_row = tongxin__row__unpack(NULL, n, blob);
		PQfreemem(blob);
	}
	if (ci->table < TBL_COUNT && id_valid(ci->row_id)) {
		/* row_message reads through this store's row_load: an engine over it for the call. */
		struct eng e = { .ops = &sto_pg_ops, .b = p };
		const char *cur_id = ci->server_row && !ci->server_row->deleted &&
		    ci->server_row->row_id[0] ? ci->server_row->row_id : ci->row_id;
		if ((ci->current_row = row_message(&e, (int)ci->table, cur_id, NULL)) == NULL)
			goto oom;
		value_author(p, ci, cur_id);
	}
	return ci;
oom:
	tongxin__conflict_info__free_unpacked(ci, NULL);
	return NULL;
}

static int
pg_conflict_get(void *b, const char *key, Tongxin__ConflictInfo **out, char *err, size_t errlen)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	size_t kl = strlen(key);
	PGresult *r;

	*out = NULL;
	if (kl < 6 || kl > ID_TEXT_LEN) {
		snprintf(err, errlen, "a conflict id has 6 to 36 characters (the end of the id is enough)");
		return -1;
	}
	pgp_text(&a, key);
	if ((r = run(p, PS_CONFLICT_GET, 0, 0, &a, 0)) == NULL) {
		snprintf(err, errlen, "database: %s", p->err);
		return -1;
	}
	if (PQntuples(r) == 0) {
		snprintf(err, errlen, "no conflict %s", key);
		PQclear(r);
		return -1;
	}
	if (PQntuples(r) > 1) {
		snprintf(err, errlen, "conflict id %s is ambiguous; give more of it", key);
		PQclear(r);
		return -1;
	}
	*out = conflict_info(p, r);
	PQclear(r);
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory, or the row could not be read: %s", p->err);
		return -1;
	}
	return 0;
}

static int
pg_conflict_settle(void *b, const char *id, const char *resolution, const char *by, int64_t at,
    uint64_t version, const char *note)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int settled;

	pgp_text(&a, id);
	pgp_text(&a, resolution);
	pgp_text(&a, by);
	pgp_int(&a, at);
	pgp_int(&a, (int64_t)version);
	pgp_text_or_null(&a, note);
	if ((r = run(p, PS_CONFLICT_SETTLE, 0, 0, &a, 0)) == NULL)
		return -1;
	settled = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return settled;
}

static int
pg_reused_find(void *b, const char *device_id, uint64_t seq, const uint8_t digest[32],
    struct sto_logged *out)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found;

	memset(out, 0, sizeof *out);
	pgp_text(&a, device_id);
	pgp_int(&a, (int64_t)seq);
	pgp_blob(&a, digest, 32);
	if ((r = run(p, PS_REUSED_GET, 0, 0, &a, 0)) == NULL)
		return -1;
	if ((found = PQntuples(r) > 0)) {
		snprintf(out->conflict_id, sizeof out->conflict_id, "%s", PQgetvalue(r, 0, 0));
		out->status = strcmp(PQgetvalue(r, 0, 1), "rejected") == 0 ?
		    TONGXIN__TXN_RESULT__STATUS__REJECTED : TONGXIN__TXN_RESULT__STATUS__CONFLICT;
		out->has_reason = 1;
		snprintf(out->reason, sizeof out->reason, "%s", PQgetvalue(r, 0, 2));
		if (pg_int(r, 0, 3) != 0)
			reason_unpack((uint32_t)pg_int(r, 0, 3), PQgetvalue(r, 0, 4), &out->why);
	}
	PQclear(r);
	return found;
}

/* --- recovery after a restore (store_restore.c's tables) ---------------------- */

static int
pg_recovered_get(void *b, int t, const char *id, uint64_t *origin, uint64_t *version)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found;

	pgp_int(&a, t);
	pgp_text(&a, id);
	if ((r = run(p, PS_RECOVERED_GET, 0, 0, &a, 0)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		*origin = (uint64_t)pg_int(r, 0, 0);
		*version = (uint64_t)pg_int(r, 0, 1);
	}
	PQclear(r);
	return found;
}

static int
pg_recovered_put(void *b, int t, const char *id, uint64_t origin, uint64_t version,
    const char *device_id)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };

	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_int(&a, (int64_t)origin);
	pgp_int(&a, (int64_t)version);
	pgp_text(&a, device_id);
	return run0(p, PS_RECOVERED_PUT, &a);
}

static int
pg_recovered_queued(void *b, const char *device_id, int t, const char *id, uint64_t origin)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int found;

	pgp_text(&a, device_id);
	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_int(&a, (int64_t)origin);
	if ((r = run(p, PS_RECOVERED_QUEUED, 0, 0, &a, 0)) == NULL)
		return -1;
	found = PQntuples(r) > 0;
	PQclear(r);
	return found;
}

static int
pg_recovered_queued_put(void *b, const char *device_id, int t, const char *id, uint64_t origin,
    const char *conflict_id)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };

	pgp_text(&a, device_id);
	pgp_int(&a, t);
	pgp_text(&a, id);
	pgp_int(&a, (int64_t)origin);
	pgp_text(&a, conflict_id);
	return run0(p, PS_RECOVERED_QUEUED_PUT, &a);
}

static int
pg_recovery_add(void *b, const char *device_id, const char *epoch, const struct sto_recovery *add,
    int done)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	int64_t now = now_ms();

	pgp_text(&a, device_id);
	pgp_text(&a, epoch);
	pgp_int(&a, now);
	if (done)
		pgp_int(&a, now);
	else
		pgp_text(&a, NULL);
	pgp_int(&a, add->applied);
	pgp_int(&a, add->known);
	pgp_int(&a, add->conflicts);
	pgp_int(&a, add->rejected);
	return run0(p, PS_RECOVERY_ADD, &a);
}

static int
pg_recovery_get(void *b, const char *device_id, const char *epoch, struct sto_recovery *out)
{
	struct pg_sto *p = b;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int finished = 0;

	memset(out, 0, sizeof *out);
	pgp_text(&a, device_id);
	pgp_text(&a, epoch);
	if ((r = run(p, PS_RECOVERY_GET, 0, 0, &a, 0)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		finished = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
		out->applied = (uint32_t)pg_int(r, 0, 1);
		out->known = (uint32_t)pg_int(r, 0, 2);
		out->conflicts = (uint32_t)pg_int(r, 0, 3);
		out->rejected = (uint32_t)pg_int(r, 0, 4);
	}
	PQclear(r);
	return finished;
}

const struct sto_ops sto_pg_ops = {
	.name = "postgresql",
	.errmsg = pg_errmsg,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.sp_begin = pg_sp_begin,
	.sp_release = pg_sp_release,
	.sp_rollback = pg_sp_rollback,
	.version_next = pg_version_next,
	.version_back = pg_version_back,
	.row_load = pg_row_load,
	.row_write = pg_row_write,
	.unique_owner = pg_unique_owner,
	.ref_scope = pg_ref_scope,
	.org_get = pg_org_get,
	.ids_where = pg_ids_where,
	.audit_put = pg_audit_put,
	.evict_put = pg_evict_put,
	.evict_find = pg_evict_find,
	.share_put = pg_share_put,
	.share_drop = pg_share_drop,
	.share_in = pg_share_in,
	.txn_find = pg_txn_find,
	.txn_put = pg_txn_put,
	.txn_seq_max = pg_txn_seq_max,
	.conflict_put = pg_conflict_put,
	.conflict_open_count = pg_conflict_open_count,
	.conflict_get = pg_conflict_get,
	.conflict_settle = pg_conflict_settle,
	.reused_find = pg_reused_find,
	.recovered_get = pg_recovered_get,
	.recovered_put = pg_recovered_put,
	.recovered_queued = pg_recovered_queued,
	.recovered_queued_put = pg_recovered_queued_put,
	.recovery_add = pg_recovery_add,
	.recovery_get = pg_recovery_get,
};
