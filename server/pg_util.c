/*
 * pg_util.c - libpq helpers of the PostgreSQL store (pg_util.h).
 */
#include "pg_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
pgp_text(struct pgp *p, const char *s)
{
	if (p->n >= PGP_MAX)
		abort();   /* a statement with more parameters than any we write */
	p->v[p->n] = s;
	p->len[p->n] = 0;
	p->fmt[p->n++] = 0;
}

void
pgp_text_or_null(struct pgp *p, const char *s)
{
	pgp_text(p, s != NULL && *s != '\0' ? s : NULL);
}

void
pgp_int(struct pgp *p, int64_t i)
{
	if (p->n >= PGP_MAX)
		abort();
	snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, i);
	pgp_text(p, p->num[p->n]);
}

void
pgp_blob(struct pgp *p, const void *b, size_t n)
{
	if (p->n >= PGP_MAX)
		abort();
	p->v[p->n] = b;
	p->len[p->n] = (int)n;
	p->fmt[p->n++] = 1;
}

void
pgp_value(struct pgp *p, const Tongxin__Value *v)
{
	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND_I:
		pgp_int(p, v->i);
		break;
	case TONGXIN__VALUE__KIND_R:
		if (p->n >= PGP_MAX)
			abort();
		snprintf(p->num[p->n], sizeof p->num[p->n], "%.17g", v->r);
		pgp_text(p, p->num[p->n]);
		break;
	case TONGXIN__VALUE__KIND_S:
		pgp_text(p, v->s);
		break;
	default:
		pgp_text(p, NULL);
		break;
	}
}

int
pg_ok(const PGresult *r)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

const char *
pg_state(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	return s ? s : "";
}

PGresult *
pg_run(PGconn *c, const char *what, const char *sql, const struct pgp *a, char *err,
    size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, a ? a->n : 0, NULL, a ? a->v : NULL, a ? a->len : NULL,
	    a ? a->fmt : NULL, 0);
	const char *msg;
	size_t n;

	if (pg_ok(r))
		return r;
	msg = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
	snprintf(err, errlen, "%s: %s", what, msg && *msg ? msg : "no result");
	/* One line: libpq's messages end with a newline and may hold more. */
	n = strlen(err);
	while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
		err[--n] = '\0';
	for (char *q = err; *q; q++)
		if (*q == '\n')
			*q = ' ';
	PQclear(r);
	return NULL;
}

int
pg_run0(PGconn *c, const char *what, const char *sql, const struct pgp *a, char *err,
    size_t errlen)
{
	PGresult *r = pg_run(c, what, sql, a, err, errlen);

	PQclear(r);
	return r ? 0 : -1;
}

int64_t
pg_int(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *
pg_str(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

unsigned char *
pg_blob(const PGresult *r, int row, int col, size_t *n)
{
	*n = 0;
	if (PQgetisnull(r, row, col))
		return NULL;
	return PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), n);
}
