/*
 * pg_util.h - small helpers around libpq for the PostgreSQL store: a
 * statement's parameters (text, or binary for BYTEA; NULL as NULL), running
 * a statement with them, reading a result's columns, what a failure means
 * (a lost connection, a failure a retry may cure), and a connection that
 * comes back after a break. Every statement the store runs has its values
 * as parameters, never in its text.
 *
 * Connections: pg_connect opens one with the store's session settings in
 * its startup options, so PQreset (pg_revive) gives a new session the same
 * settings. A connection that broke (the server restarted, the backend was
 * killed, the network cut) is reset by the next pg_run on it, or by
 * pg_revive. A statement run with no transaction open that meets the break
 * is run once more on a new session (pg_retry_lost): a session that ended
 * while idle shows only when the next statement fails, and that statement
 * never ran. (Were the break to fall after such a statement committed and
 * before its answer, a write would run twice: the store's autocommit
 * writes are upserts or updates that a second run leaves alike.) A
 * statement inside a transaction that meets it fails, and the transaction
 * with it; the next pg_run starts on a new session. What lived in the old
 * session (an open transaction, prepared statements, locks) is gone;
 * store_pg.c prepares its statements again when it sees a new backend
 * (PQbackendPID).
 *
 * Compiled only with libpq (TX_HAVE_PG).
 */
#ifndef TX_PG_UTIL_H
#define TX_PG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "reason.h"
#include "tongxin.pb-c.h"

#define PGP_MAX 64

/* The parameters of one statement, filled in order ($1, $2, ...). */
struct pgp {
	const char *v[PGP_MAX];
	int len[PGP_MAX];
	int fmt[PGP_MAX];
	char num[PGP_MAX][32];
	int n;
};

/* Text ($n as given); NULL for SQL NULL. */
void pgp_text(struct pgp *p, const char *s);
/* Text, or NULL when s is NULL or "". */
void pgp_text_or_null(struct pgp *p, const char *s);
void pgp_int(struct pgp *p, int64_t i);
/* BYTEA, sent binary; NULL when b is NULL. */
void pgp_blob(struct pgp *p, const void *b, size_t n);
/* A column value: NULL, an integer, a real or text. */
void pgp_value(struct pgp *p, const Tongxin__Value *v);
/*
 * A reason: two parameters, its code (NULL when none) and its arguments
 * packed into the caller's packed[cap] (reason_pack), which must outlive
 * the statement.
 */
void pgp_reason(struct pgp *p, const struct reason *r, char *packed, size_t cap);

/* Whether r is a success (a command done, or rows). */
int pg_ok(const PGresult *r);
/* r's SQLSTATE, or "". */
const char *pg_state(const PGresult *r);
/*
 * Whether the failure r (NULL: no result) on c lost the session: c is
 * broken, or the server ended it (SQLSTATE class 08, 57P01-57P03,
 * 25P03 idle in transaction too long).
 */
int pg_is_conn_lost(PGconn *c, const PGresult *r);
/*
 * Whether the transaction that met failure r may succeed if the device
 * sends it again: a lock wait timed out (55P03, lock_timeout), a deadlock
 * (40P01), a serialization failure (40001), or a lost session.
 */
int pg_is_retryable(PGconn *c, const PGresult *r);

/*
 * Connect to uri (a libpq connection string or postgresql:// URI) with
 * session settings (startup options, "-c name=value ..."; NULL: none)
 * placed after any options the address gives (so these win), client
 * encoding UTF-8, and, unless the address or the environment says
 * otherwise, a connect timeout and TCP keepalives that notice a cut
 * network within about a minute. The connection, or NULL with err.
 */
PGconn *pg_connect(const char *uri, const char *settings, char *err, size_t errlen);
/*
 * If c is broken, reset it (a new session with the same parameters,
 * logged). 0 when c is usable, -1 when it still is not (the failure is in
 * PQerrorMessage(c)). For a second after a reset failed (on any connection
 * of the process) it fails at once without trying: while the database is
 * down, operations do not each wait for a connect.
 */
int pg_revive(PGconn *c);
/*
 * After failure r of a statement what on c: when c had no transaction open
 * before it (was_idle: PQtransactionStatus was PQTRANS_IDLE) and the
 * failure lost the session, reset c (logged, with the failure) and return
 * 1: run the statement once more. Otherwise 0.
 */
int pg_retry_lost(PGconn *c, int was_idle, const PGresult *r, const char *what);

/*
 * Run statement sql (prepared: the name of a prepared statement) with
 * parameters a (NULL: none), results as text. Returns libpq's result as
 * it is (NULL, a failure, or a success; the caller PQclears it). Does not
 * reset a broken c.
 */
PGresult *pg_exec(PGconn *c, int prepared, const char *sql, const struct pgp *a);
/*
 * A failure on one line into err: "what: the server's words", and with
 * with_state " SQLSTATE xxxxx" when the failure has one.
 */
void pg_errfmt(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r,
    int with_state);
/*
 * Run sql with parameters a (NULL: none), results as text; a broken c is
 * reset first (pg_revive), and outside a transaction a statement that
 * meets a break is run once more (pg_retry_lost). The result (the caller PQclears it), or NULL
 * with err filled ("what: the server's words") when it failed.
 */
PGresult *pg_run(PGconn *c, const char *what, const char *sql, const struct pgp *a, char *err,
    size_t errlen);
/* The same for a statement whose rows do not matter: 0, or -1 with err. */
int pg_run0(PGconn *c, const char *what, const char *sql, const struct pgp *a, char *err,
    size_t errlen);
/* Column col of row as an integer (0 when NULL), as text (never NULL; "" for NULL). */
int64_t pg_int(const PGresult *r, int row, int col);
const char *pg_str(const PGresult *r, int row, int col);
/* A BYTEA column (hex text) as bytes: malloc'd (PQfreemem), NULL when NULL or out of memory. */
unsigned char *pg_blob(const PGresult *r, int row, int col, size_t *n);

#endif
