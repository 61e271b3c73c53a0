/*
 * pg_util.c - libpq helpers of the PostgreSQL store (pg_util.h).
 */
#include "pg_util.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

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

void
pgp_reason(struct pgp *p, const struct reason *r, char *packed, size_t cap)
{
	if (r == NULL || r->code == R_NONE || reason_pack(r, packed, cap) != 0) {
		pgp_text(p, NULL);
		pgp_text(p, NULL);
		return;
	}
	pgp_int(p, (int64_t)r->code);
	pgp_text(p, packed);
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

int
pg_is_conn_lost(PGconn *c, const PGresult *r)
{
	const char *st = pg_state(r);

	return PQstatus(c) != CONNECTION_OK || strncmp(st, "08", 2) == 0 ||
	    strcmp(st, "57P01") == 0 || strcmp(st, "57P02") == 0 || strcmp(st, "57P03") == 0 ||
	    strcmp(st, "25P03") == 0;
}

int
pg_is_retryable(PGconn *c, const PGresult *r)
{
	const char *st = pg_state(r);

	return strcmp(st, "55P03") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "40001") == 0 ||
	    pg_is_conn_lost(c, r);
}

/* Whether parameter o was given, in the address or through its environment variable. */
static int
given(const PQconninfoOption *o)
{
	return (o->val != NULL && o->val[0] != '\0') || (o->envvar != NULL && getenv(o->envvar));
}

PGconn *
pg_connect(const char *uri, const char *settings, char *err, size_t errlen)
{
	/* Defaults for what the address leaves open: a bound on connecting, and a dead peer noticed. */
	static const char *const dflt[][2] = {
		{ "connect_timeout", "10" }, { "keepalives_idle", "30" },
		{ "keepalives_interval", "10" }, { "keepalives_count", "3" },
	};
	enum { KW_MAX = 64 };
	const char *kw[KW_MAX + 1], *val[KW_MAX + 1];
	char *msg = NULL, opts[1024];
	const char *base = NULL;
	PQconninfoOption *info;
	PGconn *c;
	int n = 0;

	if ((info = PQconninfoParse(uri, &msg)) == NULL) {
		snprintf(err, errlen, "the PostgreSQL address is not valid: %s",
		    msg ? msg : "out of memory");
		PQfreemem(msg);
		return NULL;
	}
	for (PQconninfoOption *o = info; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "options") == 0) {
			base = o->val ? o->val : o->envvar ? getenv(o->envvar) : NULL;
			continue;
		}
		if (strcmp(o->keyword, "client_encoding") == 0)
			continue;   /* UTF-8, always (below) */
		for (size_t d = 0; !given(o) && d < sizeof dflt / sizeof dflt[0]; d++)
			if (strcmp(o->keyword, dflt[d][0]) == 0 && n < KW_MAX - 2) {
				kw[n] = dflt[d][0];
				val[n++] = dflt[d][1];
			}
		if (o->val != NULL && n < KW_MAX - 2) {
			kw[n] = o->keyword;
			val[n++] = o->val;
		}
	}
	if ((size_t)snprintf(opts, sizeof opts, "%s%s%s", base ? base : "", base && settings ? " " :
	    "", settings ? settings : "") >= sizeof opts) {
		snprintf(err, errlen, "the PostgreSQL address's options are too long");
		PQconninfoFree(info);
		return NULL;
	}
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	if (opts[0] != '\0') {
		kw[n] = "options";
		val[n++] = opts;
	}
	kw[n] = NULL;
	val[n] = NULL;
	c = PQconnectdbParams(kw, val, 0);
	PQconninfoFree(info);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		if (c == NULL)
			snprintf(err, errlen, "cannot connect to PostgreSQL: out of memory");
		else
			pg_errfmt(err, errlen, "cannot connect to PostgreSQL", c, NULL, 0);
		PQfinish(c);
		return NULL;
	}
	/*
	 * Text is UTF-8 on the wire (client_encoding above), and must be in the
	 * database too: in another encoding PostgreSQL would convert it, and
	 * refuse (or garble) the Chinese it cannot hold.
	 */
	{
		const char *enc = PQparameterStatus(c, "server_encoding");
		if (enc == NULL || strcmp(enc, "UTF8") != 0) {
			snprintf(err, errlen, "the database's encoding is %s; tongxind needs UTF8 (CREATE "
			    "DATABASE ... ENCODING 'UTF8' TEMPLATE template0)", enc ? enc : "unknown");
			PQfinish(c);
			return NULL;
		}
	}
	return c;
}

/*
 * Until when (ms, mono_ms) a failed reconnect keeps the others from trying:
 * while the database is down, every operation of every thread would
 * otherwise wait for a connect of its own (up to connect_timeout each),
 * the event loop's lookups too. One process, one database: one clock.
 */
#define RECONNECT_PAUSE_MS 1000
#define RECONNECT_PAUSE_MAX_MS 30000
static _Atomic int64_t reconnect_after;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new session on c (PQreset), logged with why. 0, or -1 when c is still not usable. */
static int
reconnect(PGconn *c, const char *why)
{
	char err[512];

	int64_t t0 = mono_ms(), took, pause;

	if (t0 < atomic_load(&reconnect_after))
		return -1;   /* PQerrorMessage(c) still says why the last attempt failed */
	PQreset(c);
	if (PQstatus(c) != CONNECTION_OK) {
		char what[160];
		/*
		 * An attempt that waited (an unreachable host: up to
		 * connect_timeout) pauses the next for ten times as long, so a
		 * thread that must not wait (the event loop's lookups) waits a
		 * tenth of the time at most; one refused at once, a second.
		 */
		took = mono_ms() - t0;
		pause = took * 10 > RECONNECT_PAUSE_MS ? took * 10 : RECONNECT_PAUSE_MS;
		if (pause > RECONNECT_PAUSE_MAX_MS)
			pause = RECONNECT_PAUSE_MAX_MS;
		atomic_store(&reconnect_after, mono_ms() + pause);
		snprintf(what, sizeof what, "the connection to the database was lost and cannot be made"
		    " again (the next attempt in %lld s)", (long long)(pause + 999) / 1000);
		pg_errfmt(err, sizeof err, what, c, NULL, 0);
		log_warnx("store (postgresql): %s", err);
		return -1;
	}
	log_warnx("store (postgresql): the connection to the database was lost%s%s%s; connected"
	    " again (server process %d)", why ? " (" : "", why ? why : "", why ? ")" : "",
	    PQbackendPID(c));
	return 0;
}

int
pg_revive(PGconn *c)
{
	return PQstatus(c) == CONNECTION_OK ? 0 : reconnect(c, NULL);
}

int
pg_retry_lost(PGconn *c, int was_idle, const PGresult *r, const char *what)
{
	char why[512];

	if (!was_idle || pg_ok(r) || !pg_is_conn_lost(c, r))
		return 0;
	pg_errfmt(why, sizeof why, what, c, r, 1);
	return reconnect(c, why) == 0;
}

PGresult *
pg_exec(PGconn *c, int prepared, const char *sql, const struct pgp *a)
{
	int n = a ? a->n : 0;
	const char *const *v = a ? a->v : NULL;
	const int *len = a ? a->len : NULL, *fmt = a ? a->fmt : NULL;

	if (prepared)
		return PQexecPrepared(c, sql, n, v, len, fmt, 0);
	return PQexecParams(c, sql, n, NULL, v, len, fmt, 0);
}

void
pg_errfmt(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r,
    int with_state)
{
	const char *msg = r ? PQresultErrorMessage(r) : c ? PQerrorMessage(c) : NULL;
	const char *state = pg_state(r);
	size_t n;

	snprintf(err, errlen, "%s: %s%s%s", what, msg && *msg ? msg : "no result",
	    with_state && *state ? " SQLSTATE " : "", with_state ? state : "");
	/* One line: libpq's messages end with a newline and may hold more. */
	for (char *q = err; *q; q++)
		if (*q == '\n' || *q == '\t')
			*q = ' ';
	n = strlen(err);
	while (n > 0 && err[n - 1] == ' ')
		err[--n] = '\0';
}

PGresult *
pg_run(PGconn *c, const char *what, const char *sql, const struct pgp *a, char *err,
    size_t errlen)
{
	PGresult *r;
	int idle;

	/* A session that broke under an earlier statement: a new one (pg_util.h). */
	(void)pg_revive(c);
	idle = PQtransactionStatus(c) == PQTRANS_IDLE;
	r = pg_exec(c, 0, sql, a);
	if (pg_retry_lost(c, idle, r, what)) {
		PQclear(r);
		r = pg_exec(c, 0, sql, a);
	}
	if (pg_ok(r))
		return r;
	pg_errfmt(err, errlen, what, c, r, 0);
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
