/*
 * pg_util.h - small helpers around libpq for the PostgreSQL store: a
 * statement's parameters (text, or binary for BYTEA; NULL as NULL), running
 * a statement with them, and reading a result's columns. Every statement
 * the store runs has its values as parameters, never in its text.
 *
 * Compiled only with libpq (TX_HAVE_PG).
 */
#ifndef TX_PG_UTIL_H
#define TX_PG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

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

/* Whether r is a success (a command done, or rows). */
int pg_ok(const PGresult *r);
/* r's SQLSTATE, or "". */
const char *pg_state(const PGresult *r);
/*
 * Run sql with parameters a (NULL: none), results as text. The result (the
 * caller PQclears it), or NULL with err filled ("what: the server's
 * words") when it failed.
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
