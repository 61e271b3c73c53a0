/*
 * test_engine.c - the merge rules of the apply engine (server/engine.c),
 * table-driven, against the in-memory store (tests/mem_sto.c): no server,
 * no network. Every case runs twice, on the in-memory store and then on the
 * SQLite store (sto_sqlite_ops over a new database in a temporary
 * directory), with the same expectations: the engine decides, so both must
 * end alike, and the in-memory store is shown to be a faithful model of the
 * real one. Each case starts from a fresh street:
 *
 *   S01 (street, seeded through the operations table)
 *    +- SQ01 (community) +- B1 (branch): member M1
 *    +- SQ02 (community) +- C1 (branch): member M2
 *
 * made by pushes of the street's administrator (scope /S01/). A case then
 * lists pushes: by the administrator (the server's side of a race), by
 * office O1 (scope /S01/SQ01/) or O2 (/S01/SQ02/), each with the TxnResult
 * status, reason code and conflict kind it must get; and then the rows as
 * they must be afterwards, read back through the operations table's
 * row_load and the store's own records (the in-memory store's accessors,
 * SQL on the SQLite database), never through the engine. An office's update or delete carries as its base the row as
 * it was when the case began (what the office had pulled), so a change the
 * administrator makes inside the case is one the office has not seen.
 *
 * A case marked xfail shows the engine doing what PRODUCT.md forbids: it
 * is kept, reported, and does not fail the run (nor may it pass unnoticed).
 *
 * First, sto_contract holds a store to the contract of server/sto.h through
 * the operations table alone: the in-memory store and the SQLite store
 * (sto_sqlite_ops on a new database).
 *
 * With TX_PG_URI set (tests/it_pg_engine.sh starts a private cluster) and
 * libpq built in (TX_HAVE_PG), the contract and every case run a third time
 * on the PostgreSQL store (sto_pg_ops, server/store_pg.c), a new schema per
 * case; without it that store is skipped, and the run says so. PostgreSQL
 * takes versions from a sequence, which never gives a number back: that
 * store declares gaps (stores[]), the contract then wants the versions
 * after a rollback above every one handed out, and a case counts versions
 * by the ones the store kept (rows, audit, evictions, decisions) instead of
 * by the counter.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "engine.h"
#include "ids.h"
#include "mem_sto.h"
#include "reason.h"
#include "schema.h"
#include "store_internal.h"   /* sto_sqlite_ops: the same contract, checked on the real store */
#include "validate.h"
#include "value.h"

#ifdef TX_HAVE_PG
#include <libpq-fe.h>

#include "store_pg.h"
#endif

/* Row slots: the rows a case names. */
enum {
	X_NONE, X_ST, X_SQ01, X_B1, X_SQ02, X_C1, X_M1, X_M2,
	X_NEW, X_NEW2, X_B2, X_T, X_BOGUS, X_COUNT
};
static const char *const slot_name[X_COUNT] = {
	"", "ST", "SQ01", "B1", "SQ02", "C1", "M1", "M2", "NEW", "NEW2", "B2", "T", "BOGUS"
};
/* The table each slot's row lives in. */
static const int slot_table[X_COUNT] = {
	0, TBL_ORG, TBL_ORG, TBL_ORG, TBL_ORG, TBL_ORG, TBL_MEMBER, TBL_MEMBER,
	TBL_MEMBER, TBL_MEMBER, TBL_ORG, TBL_TRANSFER, TBL_MEMBER
};

enum { A_ADMIN, A_O1, A_O2, A_COUNT };
static const struct store_actor ACT[A_COUNT] = {
	{ "dev-admin-0001", "街道管理员", "admin", "/S01/", "王主任" },
	{ "dev-office-sq01", "一社区", "clerk", "/S01/SQ01/", "李干事" },
	{ "dev-office-sq02", "二社区", "clerk", "/S01/SQ02/", "赵干事" },
};
static const char *const act_org[A_COUNT] = { "S01", "SQ01", "SQ02" };

#define NUL "\x01"   /* SQL NULL as a wanted or given value */
#define HLC_TICK ((uint64_t)1 << 16)

/* Insert templates. */
enum { T_MEMBER = 1, T_ORG, T_TRANSFER };

/* One change of a pushed transaction. op 0 ends the list. */
struct chg {
	char op;            /* 'i' insert, 'u' update, 'd' delete */
	int row;            /* X_*: the row changed (an insert's new id) */
	int tmpl;           /* insert: T_* */
	int ref;            /* insert: the organisation a member or org goes under */
	/*
	 * Columns set (update) or overridden (insert): "$SLOT" is that slot's
	 * id, "=SLOT" the same column's current value in that slot's row, NUL
	 * is SQL NULL.
	 */
	const char *col, *val;
	const char *col2, *val2;
	const char *base;   /* update of col: the value the device saw (NULL: its view) */
};

#define P_RESEND    0x1   /* send the actor's previous transaction again, byte for byte */
#define P_SEQ_AGAIN 0x2   /* these changes under the actor's previous sequence */
#define P_TAKE      0x4   /* no push: the administrator takes the office's side of the last open conflict */
#define P_KEEP      0x8   /* no push: the administrator keeps the server's side of it */

struct push {
	int actor;          /* A_*; -1 ends the list */
	struct chg ch[3];
	int flags;
	int64_t hlc;        /* 0: the next tick; else ticks from the case's start */
	int status;         /* the TxnResult status wanted */
	int reason;         /* the reason code wanted (R_NONE: none); -1: not checked */
	const char *kind;   /* the kind of the conflict the result names (NULL: none) */
	int dup;            /* the duplicate flag wanted */
	int names;          /* X_*: a row whose id the reason must name (0: none) */
	int hides;          /* X_*: a row whose id the reason must not name (0: none) */
	int same_words;     /* the reason reads as the previous push's, ids aside */
};

/*
 * A column of a row afterwards. Bookkeeping: _exists, _deleted, _scope,
 * _scope2, _device; _version "+N" is N past the version the case began
 * at; _changed "0" says the row's version is still the one it began with.
 */
struct chk {
	int row;            /* X_*; 0 ends */
	const char *col;    /* a column or a bookkeeping name (see above) */
	const char *want;   /* NUL: NULL; "$SLOT": that slot's id */
};

struct kase {
	const char *name;
	int xfail;                  /* breaks a PRODUCT.md rule: reported, not fatal */
	int64_t max_open;           /* e.max_open_conflicts (0: the default) */
	struct push p[5];
	struct chk after[7];
	int conflicts;              /* conflicts the case adds (-1: not checked) */
	const char *ckind;          /* the last conflict's kind, status and loser */
	const char *cstatus;
	int closer;                 /* X_NONE, or A_*+1: the device that lost */
	int cserver;                /* the last conflict keeps the server's side (a packed row) */
	int cserver_row;            /* X_*: that side is this row (read through conflict_get) */
	int evicts;                 /* evictions the case adds (-1: not checked) */
	int evict_row;              /* the last eviction's row and old scope */
	const char *evict_old;
	int audits;                 /* audit entries the case adds (-1: not checked) */
	int versions;               /* versions the case takes (-1: not checked) */
};

/* ------------------------------------------------------------- the world */

/* The stores the cases run on: the in-memory one, SQLite's, then PostgreSQL's. */
enum { B_MEMORY, B_SQLITE, B_PG, B_COUNT };
/*
 * gaps: the store does not give back the versions a rollback took (sto.h);
 * its versions are counted by the ones it kept.
 */
static const struct backend_def {
	const char *name;
	int gaps;
} stores[B_COUNT] = {
	[B_MEMORY] = { "memory", 0 },
	[B_SQLITE] = { "sqlite", 0 },
	[B_PG] = { "postgresql", 1 },
};

static struct {
	int backend;
	const struct sto_ops *ops;
	void *b;                       /* the store's handle */
	struct mem_sto *m;             /* B_MEMORY */
	struct store *s;               /* B_SQLITE */
#ifdef TX_HAVE_PG
	struct pg_sto *pg;             /* B_PG */
#endif
	char dir[64];                  /* B_SQLITE: its data directory */
	struct eng e;
	char id[X_COUNT][ID_TEXT_LEN + 1];
	uint64_t seq[A_COUNT];
	Tongxin__Txn *last[A_COUNT];   /* each actor's previous transaction */
	uint64_t hlc0, hlc;
	struct srow view[X_COUNT];     /* rows as the case began: the offices' view */
	uint64_t v0;
	size_t nconf0, nevict0, naudit0;
	char prev_words[REASON_TEXT_MAX];
	int failed;                    /* checks failed in this case */
	const char *case_name;
} W;

static int total_failed, xfail_seen, xfail_passed;

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw);

static void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  FAIL %s: ", W.case_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	W.failed++;
}

/* Setup failures end the run: nothing after them means anything. */
#define MUST(cond, ...) do { if (!(cond)) { fprintf(stderr, "FATAL %s:%d: ", __FILE__, \
	__LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

static int
slot_by_name(const char *s, size_t n)
{
	for (int i = 1; i < X_COUNT; i++)
		if (strlen(slot_name[i]) == n && strncmp(slot_name[i], s, n) == 0)
			return i;
	MUST(0, "no slot %.*s", (int)n, s);
	return 0;
}

static int
col_of(int t, const char *name)
{
	int c = schema_col_index(&schema_tables[t], name);

	MUST(c >= 0, "no column %s.%s", schema_tables[t].name, name);
	return c;
}

/* ------------------------------------------ what the store holds, read back */

/*
 * Row x as the store holds it, into r (free with srow_clear): through the
 * operations table, which both stores implement. Whether it exists.
 */
static int
row_get(int x, struct srow *r)
{
	MUST(W.ops->row_load(W.b, slot_table[x], W.id[x], r) == 0, "row_load %s", slot_name[x]);
	return r->exists;
}

static sqlite3_stmt *
q_prep(const char *sql, const char *a1, int64_t a2)
{
	sqlite3_stmt *st;

	MUST(sqlite3_prepare_v2(SQ(W.s)->db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(SQ(W.s)->db));
	if (a1 != NULL)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, a2);
	return st;
}

static int64_t
q_int(const char *sql)
{
	sqlite3_stmt *st = q_prep(sql, NULL, 0);
	int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;

	sqlite3_finalize(st);
	return n;
}

static void
col_cpy(sqlite3_stmt *st, int i, char *buf, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

#ifdef TX_HAVE_PG
/* The database B_PG runs on (TX_PG_URI), or NULL: that store is skipped. */
static const char *pg_uri;
static struct pg_sto *pg_fresh(void);

static void
pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/*
 * Run SQL on the PostgreSQL store's connection with up to 4 parameters
 * (text, or binary where len > 0); the result must be a success (PQclear it).
 */
static PGresult *
pq_run(const char *sql, int n, const char *const *v, const int *len)
{
	int fmt[4] = { 0 };
	PGresult *r;

	for (int i = 0; i < n; i++)
		fmt[i] = len && len[i] > 0;
	r = PQexecParams(pg_sto_conn(W.pg), sql, n, NULL, v, len, fmt, 0);
	MUST(PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK,
	    "%s: %s", sql, PQresultErrorMessage(r));
	return r;
}

static int64_t
pq_int(const char *sql, int n, const char *const *v)
{
	PGresult *r = pq_run(sql, n, v, NULL);
	int64_t x = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) ?
	    strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;

	PQclear(r);
	return x;
}

/*
 * The versions the PostgreSQL store kept in (lo, hi]: those some row,
 * audit entry, eviction or decision holds. With gaps this is what the
 * counter's difference is on the stores that give versions back.
 */
static uint64_t
pq_kept(uint64_t lo, uint64_t hi)
{
	static char sql[4096];
	char a[24], b[24];
	const char *v[2] = { a, b };

	if (sql[0] == '\0') {
		size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT count(DISTINCT v) FROM (SELECT"
		    " version AS v FROM audit UNION ALL SELECT version FROM evict UNION ALL"
		    " SELECT resolved_version FROM conflict");
		for (int t = 0; t < TBL_COUNT; t++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, " UNION ALL SELECT _version FROM %s",
			    schema_tables[t].name);
		snprintf(sql + n, sizeof sql - n, ") u WHERE v > $1 AND v <= $2");
	}
	snprintf(a, sizeof a, "%" PRIu64, lo);
	snprintf(b, sizeof b, "%" PRIu64, hi > INT64_MAX ? (uint64_t)INT64_MAX : hi);
	return (uint64_t)pq_int(sql, 2, v);
}
#endif

/* Version counter and the sizes of the conflict queue, evictions and audit. */
static uint64_t
b_version(void)
{
#ifdef TX_HAVE_PG
	if (W.backend == B_PG)
		return (uint64_t)pq_int("SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
		    " FROM tx_version", 0, NULL);
#endif
	return W.backend == B_MEMORY ? mem_sto_version(W.m) : SQ(W.s)->version;
}

static size_t
b_nconf(void)
{
#ifdef TX_HAVE_PG
	if (W.backend == B_PG)
		return (size_t)pq_int("SELECT count(*) FROM conflict", 0, NULL);
#endif
	return W.backend == B_MEMORY ? mem_sto_nconflicts(W.m) :
	    (size_t)q_int("SELECT count(*) FROM conflict");
}

static size_t
b_nevict(void)
{
#ifdef TX_HAVE_PG
	if (W.backend == B_PG)
		return (size_t)pq_int("SELECT count(*) FROM evict", 0, NULL);
#endif
	return W.backend == B_MEMORY ? mem_sto_nevict(W.m) :
	    (size_t)q_int("SELECT count(*) FROM evict");
}

static size_t
b_naudit(void)
{
#ifdef TX_HAVE_PG
	if (W.backend == B_PG)
		return (size_t)pq_int("SELECT count(*) FROM audit", 0, NULL);
#endif
	return W.backend == B_MEMORY ? mem_sto_naudit(W.m) :
	    (size_t)q_int("SELECT count(*) FROM audit");
}

/* What a test asks of a conflict. */
struct csum {
	int found;
	char id[ID_TEXT_LEN + 1], kind[32], status[16], loser[40], device[40];
	size_t txn_len, server_row_len;
};

/* The conflict with this id, or (id NULL) the last one kept, or (open) the last open one. */
static void
b_conflict(const char *id, bool open, struct csum *c)
{
	memset(c, 0, sizeof *c);
	if (W.backend == B_MEMORY) {
		const struct mem_conflict *x = NULL;
		for (size_t i = mem_sto_nconflicts(W.m); x == NULL && i-- > 0;) {
			const struct mem_conflict *y = mem_sto_conflict(W.m, i);
			if ((id == NULL || strcmp(y->id, id) == 0) &&
			    (!open || strcmp(y->status, "open") == 0))
				x = y;
		}
		if (x == NULL)
			return;
		c->found = 1;
		snprintf(c->id, sizeof c->id, "%s", x->id);
		snprintf(c->kind, sizeof c->kind, "%s", x->kind);
		snprintf(c->status, sizeof c->status, "%s", x->status);
		snprintf(c->loser, sizeof c->loser, "%s", x->loser);
		snprintf(c->device, sizeof c->device, "%s", x->device_id);
		c->txn_len = x->txn_len;
		c->server_row_len = x->server_row_len;
		return;
	}
#ifdef TX_HAVE_PG
	if (W.backend == B_PG) {
		/* test_ord: the order the conflicts were kept in (world_new adds it; SQLite's rowid). */
		const char *v[2] = { id, open ? "1" : "0" };
		PGresult *r = pq_run("SELECT id, kind, status, coalesce(loser_device_id, ''), device_id,"
		    " length(txn), coalesce(length(server_row), 0) FROM conflict"
		    " WHERE ($1::text IS NULL OR id = $1) AND ($2 = 0 OR status = 'open')"
		    " ORDER BY test_ord DESC LIMIT 1", 2, v, NULL);
		if (PQntuples(r) == 1) {
			c->found = 1;
			snprintf(c->id, sizeof c->id, "%s", PQgetvalue(r, 0, 0));
			snprintf(c->kind, sizeof c->kind, "%s", PQgetvalue(r, 0, 1));
			snprintf(c->status, sizeof c->status, "%s", PQgetvalue(r, 0, 2));
			snprintf(c->loser, sizeof c->loser, "%s", PQgetvalue(r, 0, 3));
			snprintf(c->device, sizeof c->device, "%s", PQgetvalue(r, 0, 4));
			c->txn_len = (size_t)strtoull(PQgetvalue(r, 0, 5), NULL, 10);
			c->server_row_len = (size_t)strtoull(PQgetvalue(r, 0, 6), NULL, 10);
		}
		PQclear(r);
		return;
	}
#endif
	{
		sqlite3_stmt *st = q_prep("SELECT id, kind, status, loser_device_id, device_id,"
		    " length(txn), coalesce(length(server_row), 0) FROM conflict"
		    " WHERE (?1 IS NULL OR id = ?1) AND (?2 = 0 OR status = 'open')"
		    " ORDER BY rowid DESC LIMIT 1", id, open);
		if (sqlite3_step(st) == SQLITE_ROW) {
			c->found = 1;
			col_cpy(st, 0, c->id, sizeof c->id);
			col_cpy(st, 1, c->kind, sizeof c->kind);
			col_cpy(st, 2, c->status, sizeof c->status);
			col_cpy(st, 3, c->loser, sizeof c->loser);
			col_cpy(st, 4, c->device, sizeof c->device);
			c->txn_len = (size_t)sqlite3_column_int64(st, 5);
			c->server_row_len = (size_t)sqlite3_column_int64(st, 6);
		}
		sqlite3_finalize(st);
	}
}

/* The last eviction: its row and old scope ("" when none). */
static void
b_evict_last(char row[ID_TEXT_LEN + 1], char *old, size_t cap)
{
	row[0] = old[0] = '\0';
	if (W.backend == B_MEMORY) {
		const struct mem_evict *v = mem_sto_nevict(W.m) ?
		    mem_sto_evict(W.m, mem_sto_nevict(W.m) - 1) : NULL;
		if (v != NULL) {
			snprintf(row, ID_TEXT_LEN + 1, "%s", v->row_id);
			snprintf(old, cap, "%s", v->old_scope);
		}
		return;
	}
#ifdef TX_HAVE_PG
	if (W.backend == B_PG) {
		PGresult *r = pq_run("SELECT row_id, old_scope FROM evict ORDER BY version DESC LIMIT 1",
		    0, NULL, NULL);
		if (PQntuples(r) == 1) {
			snprintf(row, ID_TEXT_LEN + 1, "%s", PQgetvalue(r, 0, 0));
			snprintf(old, cap, "%s", PQgetvalue(r, 0, 1));
		}
		PQclear(r);
		return;
	}
#endif
	{
		sqlite3_stmt *st = q_prep("SELECT row_id, old_scope FROM evict ORDER BY version DESC"
		    " LIMIT 1", NULL, 0);
		if (sqlite3_step(st) == SQLITE_ROW) {
			col_cpy(st, 0, row, ID_TEXT_LEN + 1);
			col_cpy(st, 1, old, cap);
		}
		sqlite3_finalize(st);
	}
}

/*
 * Whether the transaction (packed p, n bytes, digest d) of device dev is
 * kept whole: in the transaction log under its key, or in the conflict
 * queue.
 */
static bool
b_kept(const char *dev, uint64_t seq, const uint8_t *p, size_t n, const uint8_t d[32])
{
	bool kept = false;

	if (W.backend == B_MEMORY) {
		for (size_t i = 0; !kept && i < mem_sto_ntxn(W.m); i++) {
			const struct mem_txnlog *l = mem_sto_txn(W.m, i);
			kept = l->seq == seq && strcmp(l->device_id, dev) == 0 &&
			    memcmp(l->digest, d, 32) == 0 && l->txn_len == n && memcmp(l->txn, p, n) == 0;
		}
		for (size_t i = 0; !kept && i < mem_sto_nconflicts(W.m); i++) {
			const struct mem_conflict *c = mem_sto_conflict(W.m, i);
			kept = c->seq == seq && strcmp(c->device_id, dev) == 0 && c->txn_len == n &&
			    memcmp(c->txn, p, n) == 0;
		}
		return kept;
	}
#ifdef TX_HAVE_PG
	if (W.backend == B_PG) {
		char sq[24];
		const char *v[4] = { dev, sq, n ? (const char *)p : "", (const char *)d };
		int len[4] = { 0, 0, (int)n, 32 };
		PGresult *r;

		snprintf(sq, sizeof sq, "%" PRIu64, seq);
		/* An empty transaction is an empty BYTEA: a length of 0 would bind it as text. */
		r = pq_run("SELECT 1 FROM txn_log WHERE device_id = $1 AND seq = $2 AND txn = $3::bytea"
		    " AND (digest IS NULL OR digest = $4::bytea) UNION ALL SELECT 1 FROM conflict"
		    " WHERE device_id = $1 AND seq = $2 AND txn = $3::bytea", 4, v, len);
		kept = PQntuples(r) > 0;
		PQclear(r);
		return kept;
	}
#endif
	{
		sqlite3_stmt *st = q_prep("SELECT txn, digest FROM txn_log WHERE device_id = ?1"
		    " AND seq = ?2 UNION ALL SELECT txn, NULL FROM conflict WHERE device_id = ?1"
		    " AND seq = ?2", dev, (int64_t)seq);
		while (!kept && sqlite3_step(st) == SQLITE_ROW)
			kept = (size_t)sqlite3_column_bytes(st, 0) == n &&
			    memcmp(sqlite3_column_blob(st, 0), p, n) == 0 &&
			    (sqlite3_column_type(st, 1) == SQLITE_NULL ||
			    (sqlite3_column_bytes(st, 1) == 32 &&
			    memcmp(sqlite3_column_blob(st, 1), d, 32) == 0));
		sqlite3_finalize(st);
	}
	return kept;
}

/* No transaction left open, and (in memory) no contract violation seen. */
static bool
b_clean(void)
{
	if (W.backend == B_MEMORY)
		return !mem_sto_in_txn(W.m) && mem_sto_misuse(W.m) == 0;
#ifdef TX_HAVE_PG
	if (W.backend == B_PG)
		return PQtransactionStatus(pg_sto_conn(W.pg)) == PQTRANS_IDLE;
#endif
	return sqlite3_get_autocommit(SQ(W.s)->db) != 0;
}

/*
 * How many versions the case has taken up to version v (UINT64_MAX: all):
 * v's distance from the version the case began at, or on a store with gaps
 * the versions it kept in between (negative below the start).
 */
static int64_t
b_versions_to(uint64_t v)
{
#ifdef TX_HAVE_PG
	if (stores[W.backend].gaps)
		return v >= W.v0 ? (int64_t)pq_kept(W.v0, v) : -(int64_t)pq_kept(v, W.v0);
#endif
	if (v == UINT64_MAX)
		v = b_version();
	return (int64_t)(v - W.v0);
}

/* The current server value of column c of slot x's row, into out (owned). */
static void
server_val(int x, int c, Tongxin__Value *out)
{
	struct srow r;

	tongxin__value__init(out);
	if (row_get(x, &r))
		MUST(value_copy(out, &r.v[c]) == 0, "oom");
	srow_clear(&r);
}

/* A value for column c of table t from a case's text (see struct chg), into out (owned). */
static void
val_make(Tongxin__Value *out, int t, int c, const char *s)
{
	Tongxin__Value tmp;

	tongxin__value__init(out);
	if (s == NULL || strcmp(s, NUL) == 0)
		return;
	if (s[0] == '$') {
		value_set_text(&tmp, W.id[slot_by_name(s + 1, strlen(s + 1))]);
	} else if (s[0] == '=') {
		server_val(slot_by_name(s + 1, strlen(s + 1)), c, out);
		return;
	} else if (schema_tables[t].cols[c].type == COL_INT ||
	    schema_tables[t].cols[c].type == COL_BOOL) {
		value_set_int(&tmp, strtoll(s, NULL, 10));
	} else {
		value_set_text(&tmp, s);
	}
	MUST(value_copy(out, &tmp) == 0, "oom");
}

static Tongxin__Value *
val_new(void)
{
	Tongxin__Value *v = malloc(sizeof *v);

	MUST(v != NULL, "oom");
	tongxin__value__init(v);
	return v;
}

/* Append column c (value v, before b, both taken) to change ch. */
static void
chg_add(Tongxin__Change *ch, uint32_t c, Tongxin__Value *v, Tongxin__Value *b)
{
	ch->cols = realloc(ch->cols, (ch->n_cols + 1) * sizeof *ch->cols);
	ch->values = realloc(ch->values, (ch->n_values + 1) * sizeof *ch->values);
	MUST(ch->cols && ch->values, "oom");
	ch->cols[ch->n_cols++] = c;
	ch->values[ch->n_values++] = v;
	if (b != NULL) {
		ch->before = realloc(ch->before, (ch->n_before + 1) * sizeof *ch->before);
		MUST(ch->before != NULL, "oom");
		ch->before[ch->n_before++] = b;
	}
}

static Tongxin__Change *
chg_new(int t, const char *row_id, Tongxin__Change__Op op)
{
	Tongxin__Change *ch = malloc(sizeof *ch);

	MUST(ch != NULL, "oom");
	tongxin__change__init(ch);
	ch->table = (uint32_t)t;
	ch->row_id = strdup(row_id);
	ch->op = op;
	MUST(ch->row_id != NULL, "oom");
	return ch;
}

/* A citizen ID for birth date YYYY-MM-DD (region 110105, male), unique in the run. */
static void
idn_for(char out[19], const char *birth)
{
	static unsigned serial;
	unsigned n = serial++ % 500;

	snprintf(out, 19, "110105%.4s%.2s%.2s%02u%u", birth, birth + 5, birth + 8, n % 100,
	    1 + 2 * (n / 100) % 10);
	out[17] = id_number_check_char(out);
	out[18] = '\0';
}

/* The template's columns of a new row, as text (NULL: not set). */
static void
tmpl_fill(const struct chg *c, int t, const char *v[MAX_COLS], char idn[19])
{
	const struct table_def *td = &schema_tables[t];

	for (int i = 0; i < MAX_COLS; i++)
		v[i] = NULL;
	switch (c->tmpl) {
	case T_MEMBER:
		idn_for(idn, "1980-04-02");
		v[col_of(t, "name")] = c->row == X_M2 ? "李建华" : "张建国";
		v[col_of(t, "gender")] = "male";
		v[col_of(t, "ethnicity")] = "汉族";
		v[col_of(t, "id_number")] = idn;
		v[col_of(t, "birth_date")] = "1980-04-02";
		v[col_of(t, "education")] = "bachelor";
		v[col_of(t, "category")] = "full";
		v[col_of(t, "org_id")] = W.id[c->ref];
		v[col_of(t, "join_date")] = "2005-07-01";
		v[col_of(t, "full_date")] = "2006-07-01";
		v[col_of(t, "standing")] = "normal";
		v[col_of(t, "phone")] = "13000000000";
		break;
	case T_ORG:
		v[col_of(t, "code")] = slot_name[c->row];
		v[col_of(t, "name")] = slot_name[c->row];
		v[col_of(t, "kind")] = c->ref == X_ST ? "community" :
		    c->ref == X_B1 || c->ref == X_C1 ? "group" : "branch";
		v[col_of(t, "parent_id")] = W.id[c->ref];
		v[col_of(t, "dissolved")] = "0";
		break;
	case T_TRANSFER:
		v[col_of(t, "member_id")] = W.id[X_M1];
		v[col_of(t, "from_org_id")] = W.id[X_B1];
		v[col_of(t, "to_org_code")] = "C1";
		v[col_of(t, "member_name")] = "张建国";
		v[col_of(t, "requested_on")] = "2024-03-01";
		v[col_of(t, "reason")] = "搬家";
		v[col_of(t, "status")] = "requested";
		break;
	default:
		MUST(0, "no template %d", c->tmpl);
	}
	(void)td;
}

/* The Change a case's chg describes, from actor a's point of view. */
static Tongxin__Change *
chg_build(int a, const struct chg *c)
{
	int t = c->tmpl == T_ORG ? TBL_ORG : c->tmpl == T_TRANSFER ? TBL_TRANSFER :
	    c->tmpl == T_MEMBER ? TBL_MEMBER : slot_table[c->row];
	const struct table_def *td = &schema_tables[t];
	Tongxin__Change *ch;
	const struct srow *seen;
	struct srow cur;

	/*
	 * What the device holds of the row: an office, the row as the case
	 * began; a row that exists nowhere, a blank one (a forged change).
	 */
	static const struct srow blank;
	memset(&cur, 0, sizeof cur);
	if (a != A_ADMIN && W.view[c->row].exists)
		seen = &W.view[c->row];
	else if (c->op != 'i' && row_get(c->row, &cur))
		seen = &cur;
	else
		seen = c->row == X_BOGUS ? &blank : NULL;
	if (c->op == 'i') {
		const char *v[MAX_COLS];
		char idn[19];
		ch = chg_new(t, W.id[c->row], TONGXIN__CHANGE__OP__OP_INSERT);
		tmpl_fill(c, t, v, idn);
		for (int k = 0; k < td->ncols; k++) {
			Tongxin__Value *x = val_new();
			const char *s = v[k];
			if (c->col && strcmp(c->col, td->cols[k].name) == 0)
				s = c->val;
			if (c->col2 && strcmp(c->col2, td->cols[k].name) == 0)
				s = c->val2;
			val_make(x, t, k, s);
			if (x->kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
				free(x);
				continue;
			}
			chg_add(ch, (uint32_t)k, x, NULL);
		}
		srow_clear(&cur);
		return ch;
	}
	MUST(seen != NULL, "case %s: %s has no row to change", W.case_name, slot_name[c->row]);
	if (c->op == 'u') {
		const char *cols[2] = { c->col, c->col2 }, *vals[2] = { c->val, c->val2 };
		ch = chg_new(t, W.id[c->row], TONGXIN__CHANGE__OP__OP_UPDATE);
		ch->base_version = seen->version;
		for (int i = 0; i < 2 && cols[i]; i++) {
			int k = col_of(t, cols[i]);
			Tongxin__Value *x = val_new(), *b = val_new();
			val_make(x, t, k, vals[i]);
			if (i == 0 && c->base != NULL)
				val_make(b, t, k, c->base);
			else
				MUST(value_copy(b, &seen->v[k]) == 0, "oom");
			chg_add(ch, (uint32_t)k, x, b);
		}
		srow_clear(&cur);
		return ch;
	}
	/* A delete names every column with the value the device saw. */
	ch = chg_new(t, W.id[c->row], TONGXIN__CHANGE__OP__OP_DELETE);
	ch->base_version = seen->version;
	for (int k = 0; k < td->ncols; k++) {
		Tongxin__Value *x = val_new(), *b = val_new();
		MUST(value_copy(x, &seen->v[k]) == 0 && value_copy(b, &seen->v[k]) == 0, "oom");
		chg_add(ch, (uint32_t)k, x, b);
	}
	srow_clear(&cur);
	return ch;
}

/* Replace every id-shaped run (36 characters of hex and dashes) by <id>. */
static void
words_of(const char *s, char *out, size_t cap)
{
	size_t o = 0;

	while (*s && o + 5 < cap) {
		size_t n = strspn(s, "0123456789abcdefABCDEF-");
		if (n == ID_TEXT_LEN) {
			memcpy(out + o, "<id>", 4);
			o += 4;
			s += n;
			continue;
		}
		out[o++] = *s++;
	}
	out[o] = '\0';
}

static bool
reason_names(const Tongxin__TxnResult *r, const char *id)
{
	if (r->reason && strstr(r->reason, id))
		return true;
	for (size_t i = 0; i < r->n_reason_args; i++)
		if (strstr(r->reason_args[i], id))
			return true;
	return false;
}

static const char *
status_name(int s)
{
	switch (s) {
	case TONGXIN__TXN_RESULT__STATUS__APPLIED: return "APPLIED";
	case TONGXIN__TXN_RESULT__STATUS__MERGED: return "MERGED";
	case TONGXIN__TXN_RESULT__STATUS__CONFLICT: return "CONFLICT";
	case TONGXIN__TXN_RESULT__STATUS__REJECTED: return "REJECTED";
	default: return "?";
	}
}

/*
 * Nothing lost (PRODUCT.md invariant 2): a rejected transaction is kept
 * whole, in the transaction log under its key or in the conflict queue.
 */
static bool
kept_whole(int a, const Tongxin__Txn *tx)
{
	size_t n = tongxin__txn__get_packed_size(tx);
	uint8_t *p = malloc(n ? n : 1), d[32];
	bool kept = false;

	MUST(p != NULL, "oom");
	tongxin__txn__pack(tx, p);
	SHA256(p, n, d);
	kept = b_kept(ACT[a].device_id, tx->seq, p, n, d);
	free(p);
	return kept;
}

/*
 * The rows a result sends back are the server's rows as they are now
 * (convergence: the device takes them as they are), and a row outside the
 * device's organisation goes back as deleted with no values (scope: a
 * result tells nothing of other offices' rows).
 */
static void
result_rows_check(int a, const Tongxin__TxnResult *res)
{
	for (size_t j = 0; j < res->n_rows; j++) {
		const Tongxin__Row *m = res->rows[j];
		struct srow r;
		int t = (int)m->table, seen;

		if (m->as_sent || t >= TBL_COUNT)
			continue;
		MUST(W.ops->row_load(W.b, t, m->row_id, &r) == 0, "row_load");
		seen = r.exists && (in_scope(r.scope, ACT[a].scope) || in_scope(r.scope2, ACT[a].scope));
		if (!seen || r.deleted) {
			if (!m->deleted || m->n_values != 0)
				fail("the result sends %s %s, which %s does not hold, with values",
				    schema_tables[t].name, m->row_id, ACT[a].device_name);
		} else if (m->deleted || m->version != r.version ||
		    m->n_values != (size_t)schema_tables[t].ncols) {
			fail("the result's %s %s (version %llu, deleted %d) is not the server's (version "
			    "%llu)", schema_tables[t].name, m->row_id, (unsigned long long)m->version,
			    m->deleted, (unsigned long long)r.version);
		} else {
			for (size_t c = 0; c < m->n_values; c++)
				if (!value_eq(m->values[c], &r.v[c])) {
					fail("the result's %s.%s differs from the server's",
					    schema_tables[t].name, schema_tables[t].cols[c].name);
					break;
				}
		}
		srow_clear(&r);
	}
}

/* The administrator settles the last open conflict (take: the office's side). */
static void
resolve_last(bool take)
{
	Tongxin__ConflictResolveRequest req = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__ConflictResolveResponse *out = NULL;
	struct csum c;
	char err[1024] = "", id[ID_TEXT_LEN + 1];

	b_conflict(NULL, true, &c);
	if (!c.found) {
		fail("no open conflict to settle");
		return;
	}
	/* By the end of its id, as an administrator types it. */
	snprintf(id, sizeof id, "%s", c.id + strlen(c.id) - 8);
	req.id = id;
	req.decision = take ? TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE :
	    TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER;
	req.note = "核实后处理";
	if (engine_resolve(&W.e, &ACT[A_ADMIN], &req, &out, err, sizeof err) != 0) {
		fail("engine_resolve: %s", err);
		return;
	}
	if (!b_clean())
		fail("the resolution left a transaction open or broke the store's contract");
	tongxin__conflict_resolve_response__free_unpacked(out, NULL);
}

/* Push one transaction of actor a; the result is checked against p (NULL: must apply). */
static void
push_one(int a, const struct chg *chs, const struct push *p)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	Tongxin__Txn *tx;
	char err[1024] = "";
	int flags = p ? p->flags : 0;

	if (flags & (P_TAKE | P_KEEP)) {
		resolve_last(flags & P_TAKE);
		return;
	}
	if (flags & P_RESEND) {
		tx = W.last[a];
		MUST(tx != NULL, "nothing to send again");
	} else {
		tx = malloc(sizeof *tx);
		MUST(tx != NULL, "oom");
		tongxin__txn__init(tx);
		tx->seq = (flags & P_SEQ_AGAIN) ? W.seq[a] : ++W.seq[a];
		if (p && p->hlc)
			tx->hlc = W.hlc0 + (uint64_t)(p->hlc * (int64_t)HLC_TICK);
		else
			tx->hlc = (W.hlc += HLC_TICK);
		tx->local_time_ms = hlc_ms(tx->hlc);
		for (int i = 0; i < 3 && chs[i].op; i++) {
			tx->changes = realloc(tx->changes, (tx->n_changes + 1) * sizeof *tx->changes);
			MUST(tx->changes != NULL, "oom");
			tx->changes[tx->n_changes++] = chg_build(a, &chs[i]);
		}
		if (W.last[a])
			tongxin__txn__free_unpacked(W.last[a], NULL);
		W.last[a] = tx;
	}
	req.n_txns = 1;
	req.txns = &tx;
	if (engine_push(&W.e, &ACT[a], &req, NULL, &resp, err, sizeof err) != 0) {
		fail("engine_push failed: %s", err);
		return;
	}
	if (!b_clean())
		fail("the engine left a transaction open or broke the store's contract");
	if (resp->n_results != 1) {
		fail("%zu results for one transaction", resp->n_results);
		goto out;
	}
	{
		const Tongxin__TxnResult *r = resp->results[0];
		int want = p ? p->status : TONGXIN__TXN_RESULT__STATUS__APPLIED;
		char words[REASON_TEXT_MAX];

		if (p == NULL) {
			MUST(r->status == TONGXIN__TXN_RESULT__STATUS__APPLIED, "setup push %s: %s",
			    status_name(r->status), r->reason ? r->reason : "");
			goto out;
		}
		if ((int)r->status != want)
			fail("push by %s: %s, wanted %s (%s)", ACT[a].device_name, status_name(r->status),
			    status_name(want), r->reason ? r->reason : "");
		if (p->reason >= 0 && r->reason_code != (uint32_t)p->reason)
			fail("push by %s: reason %u (%s), wanted %d", ACT[a].device_name,
			    r->reason_code, r->reason ? r->reason : "", p->reason);
		if (!!r->duplicate != !!p->dup)
			fail("push by %s: duplicate %d, wanted %d", ACT[a].device_name, r->duplicate,
			    p->dup);
		if (p->kind != NULL) {
			struct csum c = { 0 };
			if (r->conflict_id && r->conflict_id[0])
				b_conflict(r->conflict_id, false, &c);
			if (!c.found)
				fail("push by %s: no conflict kept for conflict id \"%s\"",
				    ACT[a].device_name, r->conflict_id ? r->conflict_id : "");
			else if (strcmp(c.kind, p->kind) != 0)
				fail("push by %s: conflict kind %s, wanted %s", ACT[a].device_name, c.kind,
				    p->kind);
			else if (c.txn_len == 0 || strcmp(c.device, ACT[a].device_id) != 0)
				fail("conflict %s not kept whole (txn %zu bytes, device %s)", c.id,
				    c.txn_len, c.device);
		} else if (r->conflict_id && r->conflict_id[0]) {
			fail("push by %s: names conflict %s, wanted none", ACT[a].device_name,
			    r->conflict_id);
		}
		if (r->status == TONGXIN__TXN_RESULT__STATUS__REJECTED && !kept_whole(a, tx))
			fail("rejected transaction %llu of %s is kept nowhere (txn_log, conflict queue)",
			    (unsigned long long)tx->seq, ACT[a].device_name);
		if (p->names && !reason_names(r, W.id[p->names]))
			fail("the reason does not name %s: %s", slot_name[p->names], r->reason);
		if (p->hides && reason_names(r, W.id[p->hides]))
			fail("the reason names %s, which the office cannot see: %s",
			    slot_name[p->hides], r->reason);
		result_rows_check(a, r);
		words_of(r->reason ? r->reason : "", words, sizeof words);
		if (p->same_words && strcmp(words, W.prev_words) != 0)
			fail("different words: \"%s\" and \"%s\"", W.prev_words, words);
		snprintf(W.prev_words, sizeof W.prev_words, "%s", words);
	}
out:
	tongxin__push_response__free_unpacked(resp, NULL);
}

/* The street, seeded through the operations table (tongxind init's part, in memory). */
static void
seed_street(void)
{
	const struct table_def *td = &schema_tables[TBL_ORG];
	struct srow r;
	char err[256] = "";

	memset(&r, 0, sizeof r);
	value_set_text(&r.v[col_of(TBL_ORG, "code")], "S01");
	value_set_text(&r.v[col_of(TBL_ORG, "name")], "某街道");
	value_set_text(&r.v[col_of(TBL_ORG, "kind")], "street");
	value_set_int(&r.v[col_of(TBL_ORG, "dissolved")], 0);
	snprintf(r.scope, sizeof r.scope, "/S01/");
	r.hlc = W.hlc;
	MUST(W.ops->begin(W.b, err, sizeof err) == 0, "begin: %s", err);
	r.version = W.ops->version_next(W.b);
	MUST(W.ops->row_write(W.b, TBL_ORG, W.id[X_ST], &r, 1) == STO_WRITTEN, "seed: %s",
	    W.ops->errmsg(W.b));
	MUST(W.ops->commit(W.b, err, sizeof err) == 0, "commit: %s", err);
	(void)td;
}

static void
world_new(const struct kase *k, int backend)
{
	static const struct chg fixture[][3] = {
		{ { 'i', X_SQ01, T_ORG, X_ST, 0, 0, 0, 0, 0 }, { 'i', X_B1, T_ORG, X_SQ01, 0, 0, 0, 0, 0 },
		  { 'i', X_M1, T_MEMBER, X_B1, 0, 0, 0, 0, 0 } },
		{ { 'i', X_SQ02, T_ORG, X_ST, 0, 0, 0, 0, 0 }, { 'i', X_C1, T_ORG, X_SQ02, 0, 0, 0, 0, 0 },
		  { 'i', X_M2, T_MEMBER, X_C1, 0, 0, 0, 0, 0 } },
	};

	memset(&W, 0, sizeof W);
	W.case_name = k->name;
	W.backend = backend;
	for (int i = 1; i < X_COUNT; i++)
		MUST(id_new(W.id[i]) == 0, "id_new");
	W.hlc = W.hlc0 = (uint64_t)(now_ms() - 60000) << 16;
	if (backend == B_MEMORY) {
		MUST((W.m = mem_sto_new()) != NULL, "oom");
		W.ops = &mem_sto_ops;
		W.b = W.m;
		for (int a = 0; a < A_COUNT; a++)
			MUST(mem_sto_device(W.m, ACT[a].device_id, ACT[a].device_name, act_org[a]) == 0,
			    "oom");
		seed_street();
#ifdef TX_HAVE_PG
	} else if (backend == B_PG) {
		W.pg = pg_fresh();
		W.ops = &sto_pg_ops;
		W.b = W.pg;
		/* The order conflicts are kept in, for b_conflict (SQLite's rowid); the store never names it. */
		PQclear(pq_run("ALTER TABLE conflict ADD COLUMN test_ord BIGSERIAL", 0, NULL, NULL));
		/* The devices, as enrolment leaves them (conflict_get names their organisation). */
		for (int a = 0; a < A_COUNT; a++) {
			const char *v[4] = { ACT[a].device_id, ACT[a].device_name, act_org[a], ACT[a].role };
			PQclear(pq_run("INSERT INTO device (id, name, org_code, role, serial, enrolled_at)"
			    " VALUES ($1, $2, $3, $4, $1, 1)", 4, v, NULL));
		}
		seed_street();
#endif
	} else {
		char err[512] = "";
		sqlite3_stmt *st;
		snprintf(W.dir, sizeof W.dir, "/tmp/test_engine.XXXXXX");
		MUST(mkdtemp(W.dir) != NULL, "mkdtemp");
		MUST((W.s = store_open(W.dir, 1, err, sizeof err)) != NULL, "store_open: %s", err);
		MUST(store_init_street(W.s, "某街道", "S01", err, sizeof err) == 0, "init: %s", err);
		W.ops = &sto_sqlite_ops;
		W.b = SQ(W.s);   /* the SQLite handle sto_sqlite_ops takes */
		st = q_prep("SELECT id FROM org WHERE kind = 'street'", NULL, 0);
		MUST(sqlite3_step(st) == SQLITE_ROW, "no street");
		col_cpy(st, 0, W.id[X_ST], sizeof W.id[X_ST]);
		sqlite3_finalize(st);
		/* The devices, as enrolment leaves them (conflict_get names their organisation). */
		for (int a = 0; a < A_COUNT; a++) {
			st = q_prep("INSERT INTO device (id, name, org_code, role, serial, enrolled_at)"
			    " VALUES (?1, ?3, ?4, ?5, ?1, 1)", ACT[a].device_id, 0);
			sqlite3_bind_text(st, 3, ACT[a].device_name, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, act_org[a], -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 5, ACT[a].role, -1, SQLITE_STATIC);
			MUST(sqlite3_step(st) == SQLITE_DONE, "device: %s", sqlite3_errmsg(SQ(W.s)->db));
			sqlite3_finalize(st);
		}
	}
	engine_init(&W.e, W.ops, W.b);
	if (k->max_open)
		W.e.max_open_conflicts = k->max_open;
	for (size_t i = 0; i < sizeof fixture / sizeof fixture[0]; i++)
		push_one(A_ADMIN, fixture[i], NULL);
	/* The offices have pulled all this: their view is the rows as they are now. */
	for (int x = 1; x < X_COUNT; x++)
		row_get(x, &W.view[x]);
	W.hlc0 = W.hlc += 100 * HLC_TICK;   /* a case's own ticks start here */
	W.v0 = b_version();
	W.nconf0 = b_nconf();
	W.nevict0 = b_nevict();
	W.naudit0 = b_naudit();
}

static void
world_free(void)
{
	for (int a = 0; a < A_COUNT; a++)
		if (W.last[a])
			tongxin__txn__free_unpacked(W.last[a], NULL);
	for (int x = 0; x < X_COUNT; x++)
		srow_clear(&W.view[x]);
	engine_free(&W.e);
	mem_sto_free(W.m);
	W.m = NULL;
#ifdef TX_HAVE_PG
	pg_sto_close(W.pg);
	W.pg = NULL;
#endif
	if (W.s != NULL) {
		store_close(W.s);
		W.s = NULL;
		nftw(W.dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
}

/* A row's column (or bookkeeping) as text for a check. */
static void
col_text(int x, const char *col, char *buf, size_t cap)
{
	int t = slot_table[x];
	struct srow row;
	const struct srow *r = row_get(x, &row) ? &row : NULL;

	if (strcmp(col, "_exists") == 0) {
		snprintf(buf, cap, "%d", r != NULL);
		srow_clear(&row);
		return;
	}
	if (r == NULL) {
		snprintf(buf, cap, "(no row)");
		return;
	}
	if (strcmp(col, "_deleted") == 0)
		snprintf(buf, cap, "%d", r->deleted);
	else if (strcmp(col, "_version") == 0)
		snprintf(buf, cap, "%+" PRId64, b_versions_to(r->version));
	else if (strcmp(col, "_changed") == 0)
		snprintf(buf, cap, "%d", !W.view[x].exists || W.view[x].version != r->version);
	else if (strcmp(col, "_scope") == 0)
		snprintf(buf, cap, "%s", r->scope);
	else if (strcmp(col, "_scope2") == 0)
		snprintf(buf, cap, "%s", r->scope2);
	else if (strcmp(col, "_device") == 0)
		snprintf(buf, cap, "%s", r->device);
	else {
		const Tongxin__Value *v = &r->v[col_of(t, col)];
		if (v->kind_case == TONGXIN__VALUE__KIND_S)
			snprintf(buf, cap, "%s", v->s);
		else if (v->kind_case == TONGXIN__VALUE__KIND_I)
			snprintf(buf, cap, "%" PRId64, v->i);
		else
			snprintf(buf, cap, "%s", NUL);
	}
	srow_clear(&row);
}

static void
run_case(const struct kase *k, int backend)
{
	world_new(k, backend);
	for (int i = 0; i < 5 && k->p[i].actor >= 0; i++) {
		push_one(k->p[i].actor, k->p[i].ch, &k->p[i]);
	}
	for (int i = 0; i < 7 && k->after[i].row; i++) {
		const struct chk *c = &k->after[i];
		char got[512], want[512];
		if (c->want[0] == '$')
			snprintf(want, sizeof want, "%s", W.id[slot_by_name(c->want + 1,
			    strlen(c->want + 1))]);
		else
			snprintf(want, sizeof want, "%s", c->want);
		col_text(c->row, c->col, got, sizeof got);
		if (strcmp(got, want) != 0)
			fail("%s.%s is \"%s\", wanted \"%s\"", slot_name[c->row], c->col,
			    strcmp(got, NUL) ? got : "NULL", strcmp(want, NUL) ? want : "NULL");
	}
	if (k->conflicts >= 0 && b_nconf() - W.nconf0 != (size_t)k->conflicts)
		fail("%zu conflicts kept, wanted %d", b_nconf() - W.nconf0, k->conflicts);
	if (k->ckind != NULL) {
		struct csum cs;
		const struct csum *c = &cs;
		b_conflict(NULL, false, &cs);
		if (!cs.found || b_nconf() == W.nconf0)
			fail("no conflict kept");
		else {
			if (strcmp(c->kind, k->ckind) != 0)
				fail("the conflict's kind is %s, wanted %s", c->kind, k->ckind);
			if (k->cstatus && strcmp(c->status, k->cstatus) != 0)
				fail("the conflict's status is %s, wanted %s", c->status, k->cstatus);
			if (k->closer && strcmp(c->loser, ACT[k->closer - 1].device_id) != 0)
				fail("the conflict's loser is \"%s\", wanted %s", c->loser,
				    ACT[k->closer - 1].device_id);
			if (c->txn_len == 0)
				fail("the conflict keeps no transaction");
			if (k->cserver && c->server_row_len == 0)
				fail("the conflict keeps only the office's side, not the server's row");
			if (k->cserver_row) {
				Tongxin__ConflictInfo *ci = NULL;
				char err[256] = "";
				if (W.ops->conflict_get(W.b, c->id, &ci, err, sizeof err) != 0)
					fail("conflict_get %s: %s", c->id, err);
				else if (ci->server_row == NULL ||
				    strcmp(ci->server_row->row_id, W.id[k->cserver_row]) != 0)
					fail("the conflict keeps row %s as the server's side, wanted %s (%s)",
					    ci->server_row ? ci->server_row->row_id : "(none)",
					    slot_name[k->cserver_row], W.id[k->cserver_row]);
				if (ci != NULL)
					tongxin__conflict_info__free_unpacked(ci, NULL);
			}
		}
	}
	if (k->evicts >= 0 && b_nevict() - W.nevict0 != (size_t)k->evicts)
		fail("%zu evictions, wanted %d", b_nevict() - W.nevict0, k->evicts);
	if (k->evict_row) {
		char row[ID_TEXT_LEN + 1], old[SCOPE_MAX];
		b_evict_last(row, old, sizeof old);
		if (strcmp(row, W.id[k->evict_row]) != 0 || strcmp(old, k->evict_old) != 0)
			fail("the last eviction is %s from %s, wanted %s from %s", row, old,
			    W.id[k->evict_row], k->evict_old);
	}
	if (k->audits >= 0 && b_naudit() - W.naudit0 != (size_t)k->audits)
		fail("%zu audit entries, wanted %d", b_naudit() - W.naudit0, k->audits);
	if (k->versions >= 0 && b_versions_to(UINT64_MAX) != k->versions)
		fail("%" PRId64 " versions taken, wanted %d", b_versions_to(UINT64_MAX), k->versions);
	world_free();
}

/* ---------------------------------------------------------------- the cases */

#define APPLIED TONGXIN__TXN_RESULT__STATUS__APPLIED
#define MERGED TONGXIN__TXN_RESULT__STATUS__MERGED
#define CONFLICT TONGXIN__TXN_RESULT__STATUS__CONFLICT
#define REJECTED TONGXIN__TXN_RESULT__STATUS__REJECTED
#define END { -1 }
/* An update of one column by actor a, as a push's changes. */
#define UPD(x, c, v) { { 'u', x, 0, 0, c, v, 0, 0, 0 } }
#define DEL(x) { { 'd', x, 0, 0, 0, 0, 0, 0, 0 } }
#define INS_MEMBER(x, org, c, v) { { 'i', x, T_MEMBER, org, c, v, 0, 0, 0 } }

static const struct kase cases[] = {
	{ .name = "different columns merge",
	  .p = { { A_ADMIN, UPD(X_M1, "flow_to", "上海"), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "备注甲"), .status = MERGED, .reason = R_NONE },
		 END },
	  .after = { { X_M1, "flow_to", "上海" }, { X_M1, "lost_note", "备注甲" },
		     { X_M1, "_version", "+2" } },
	  .conflicts = 0, .evicts = 0, .audits = 2, .versions = 2 },

	{ .name = "same column: the server keeps its value, the office's is queued whole",
	  .p = { { A_ADMIN, UPD(X_M1, "lost_note", "街道值"), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "社区值"), .status = CONFLICT, .reason = R_SAME_FIELD,
		   .kind = "same_field" },
		 END },
	  .after = { { X_M1, "lost_note", "街道值" }, { X_M1, "_version", "+1" },
		     { X_M1, "_device", "dev-admin-0001" } },
	  .conflicts = 1, .ckind = "same_field", .cstatus = "open", .cserver = 1, .evicts = 0,
	  .audits = 1, .versions = 1 },

	{ .name = "newer-wins column: the office's newer edit wins, recorded with the loser",
	  .p = { { A_ADMIN, UPD(X_M1, "phone", "13900000001"), .hlc = 1, .status = APPLIED },
		 { A_O1, UPD(X_M1, "phone", "13800000002"), .hlc = 5, .status = MERGED,
		   .reason = R_NEWER_OFFICE },
		 END },
	  .after = { { X_M1, "phone", "13800000002" }, { X_M1, "_device", "dev-office-sq01" } },
	  .conflicts = 1, .ckind = "newer_wins", .cstatus = "auto", .closer = A_ADMIN + 1,
	  .evicts = 0, .audits = 2, .versions = 3 /* two writes, and the decision */ },

	{ .name = "newer-wins column: the server's newer value stays, recorded",
	  .p = { { A_ADMIN, UPD(X_M1, "phone", "13900000001"), .hlc = 5, .status = APPLIED },
		 { A_O1, UPD(X_M1, "phone", "13800000002"), .hlc = 1, .status = APPLIED,
		   .reason = R_NEWER_SERVER },
		 END },
	  .after = { { X_M1, "phone", "13900000001" }, { X_M1, "_device", "dev-admin-0001" } },
	  .conflicts = 1, .ckind = "newer_wins", .cstatus = "auto", .evicts = 0, .audits = 1,
	  .versions = 2 /* one write, and the decision */ },

	{ .name = "update of a row deleted on the server: queued, the row stays deleted",
	  .p = { { A_ADMIN, DEL(X_M1), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "备注"), .status = CONFLICT,
		   .reason = R_DELETED_ON_SERVER, .kind = "update_deleted" },
		 END },
	  .after = { { X_M1, "_deleted", "1" }, { X_M1, "lost_note", NUL } },
	  .conflicts = 1, .ckind = "update_deleted", .cstatus = "open", .cserver = 1, .audits = 1,
	  .versions = 1 },

	{ .name = "delete of a row updated on the server: queued, the row stays",
	  .p = { { A_ADMIN, UPD(X_M1, "lost_note", "新情况"), .status = APPLIED },
		 { A_O1, DEL(X_M1), .status = CONFLICT, .reason = R_DELETE_UPDATED,
		   .kind = "delete_updated" },
		 END },
	  .after = { { X_M1, "_deleted", "0" }, { X_M1, "lost_note", "新情况" } },
	  .conflicts = 1, .ckind = "delete_updated", .cserver = 1, .audits = 1, .versions = 1 },

	{ .name = "both delete: applied, nothing written twice",
	  .p = { { A_ADMIN, DEL(X_M1), .status = APPLIED },
		 { A_O1, DEL(X_M1), .status = APPLIED, .reason = R_NONE },
		 END },
	  .after = { { X_M1, "_deleted", "1" }, { X_M1, "_version", "+1" },
		     { X_M1, "_device", "dev-admin-0001" } },
	  .conflicts = 0, .audits = 1, .versions = 1 },

	{ .name = "unique clash with a member the office holds: named",
	  .p = { { A_O1, INS_MEMBER(X_NEW, X_B1, "id_number", "=M1"), .status = CONFLICT,
		   .reason = R_UNIQUE_HERE, .kind = "unique", .names = X_M1 },
		 END },
	  .after = { { X_NEW, "_exists", "0" } },
	  .conflicts = 1, .ckind = "unique", .cstatus = "open", .cserver = 1, .audits = 0,
	  .versions = 0 },

	{ .name = "unique clash with a member elsewhere: not named",
	  .p = { { A_O1, INS_MEMBER(X_NEW, X_B1, "id_number", "=M2"), .status = CONFLICT,
		   .reason = R_UNIQUE_ELSEWHERE, .kind = "unique", .hides = X_M2 },
		 END },
	  .after = { { X_NEW, "_exists", "0" } },
	  .conflicts = 1, .ckind = "unique", .cserver = 1, .audits = 0, .versions = 0 },

	{ .name = "an insert reusing an id is refused",
	  .p = { { A_O1, INS_MEMBER(X_M1, X_B1, "name", "王伟"), .status = REJECTED,
		   .reason = R_ID_IN_USE },
		 END },
	  .after = { { X_M1, "name", "张建国" }, { X_M1, "_changed", "0" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "insert outside scope: the same words whether the organisation exists or not",
	  .p = { { A_O1, INS_MEMBER(X_NEW, X_C1, 0, 0), .status = REJECTED, .reason = R_UNSEEN_REF },
		 { A_O1, INS_MEMBER(X_NEW2, X_BOGUS, 0, 0), .status = REJECTED,
		   .reason = R_UNSEEN_REF, .same_words = 1 },
		 END },
	  .after = { { X_NEW, "_exists", "0" }, { X_NEW2, "_exists", "0" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "update outside scope: the same words whether the row exists or not",
	  .p = { { A_O1, UPD(X_M2, "lost_note", "x"), .status = REJECTED, .reason = R_UNSEEN_ROW },
		 { A_O1, UPD(X_BOGUS, "lost_note", "x"), .status = REJECTED, .reason = R_UNSEEN_ROW,
		   .same_words = 1 },
		 END },
	  .after = { { X_M2, "lost_note", NUL }, { X_M2, "_changed", "0" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "delete outside scope: the same words whether the row exists or not",
	  .p = { { A_O1, DEL(X_M2), .status = REJECTED, .reason = R_UNSEEN_ROW },
		 { A_O1, DEL(X_BOGUS), .status = REJECTED, .reason = R_UNSEEN_ROW, .same_words = 1 },
		 END },
	  .after = { { X_M2, "_deleted", "0" }, { X_M2, "_changed", "0" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "moving a member out of the office's scope is refused",
	  .p = { { A_O1, UPD(X_M1, "org_id", "$C1"), .status = REJECTED, .reason = R_MOVE_OUT },
		 END },
	  .after = { { X_M1, "org_id", "$B1" }, { X_M1, "_scope", "/S01/SQ01/B1/" } },
	  .conflicts = 0, .evicts = 0, .audits = 0, .versions = 0 },

	{ .name = "a member added to a branch the street has since dissolved: queued",
	  .p = { { A_ADMIN, { { 'i', X_B2, T_ORG, X_SQ01, 0, 0, 0, 0, 0 } }, .status = APPLIED },
		 { A_ADMIN, UPD(X_B2, "dissolved", "1"), .status = APPLIED },
		 { A_O1, INS_MEMBER(X_NEW, X_B2, 0, 0), .status = CONFLICT, .reason = R_PARENT_GONE,
		   .kind = "missing_parent" },
		 END },
	  .after = { { X_NEW, "_exists", "0" }, { X_B2, "dissolved", "1" } },
	  .conflicts = 1, .ckind = "missing_parent", .audits = 2, .versions = 2 },

	{ .name = "an immutable column is refused",
	  .p = { { A_O1, UPD(X_B1, "code", "B9"), .status = REJECTED, .reason = R_IMMUTABLE },
		 END },
	  .after = { { X_B1, "code", "B1" }, { X_B1, "_scope", "/S01/SQ01/B1/" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "a transaction is atomic: one bad change and nothing is written",
	  .p = { { A_O1, { { 'i', X_NEW, T_MEMBER, X_B1, 0, 0, 0, 0, 0 },
			   { 'u', X_M1, 0, 0, "lost_note", "甲", 0, 0, 0 },
			   { 'u', X_M2, 0, 0, "lost_note", "乙", 0, 0, 0 } },
		   .status = REJECTED, .reason = R_UNSEEN_ROW },
		 /* The versions it took are given back: the next change gets the next one. */
		 { A_O1, UPD(X_M1, "lost_note", "丙"), .status = APPLIED },
		 END },
	  .after = { { X_NEW, "_exists", "0" }, { X_M1, "lost_note", "丙" },
		     { X_M1, "_version", "+1" }, { X_M2, "lost_note", NUL } },
	  .conflicts = 0, .audits = 1, .versions = 1 },

	{ .name = "a re-sent transaction is answered again, applied once",
	  .p = { { A_O1, UPD(X_M1, "lost_note", "一次"), .status = APPLIED },
		 { A_O1, { { 0 } }, .flags = P_RESEND, .status = APPLIED, .dup = 1 },
		 END },
	  .after = { { X_M1, "lost_note", "一次" }, { X_M1, "_version", "+1" } },
	  .conflicts = 0, .audits = 1, .versions = 1 },

	{ .name = "a re-sent conflict: the same answer, queued once",
	  .p = { { A_ADMIN, UPD(X_M1, "lost_note", "街道值"), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "社区值"), .status = CONFLICT, .reason = R_SAME_FIELD,
		   .kind = "same_field" },
		 { A_O1, { { 0 } }, .flags = P_RESEND, .status = CONFLICT, .reason = R_SAME_FIELD,
		   .kind = "same_field", .dup = 1 },
		 END },
	  .after = { { X_M1, "lost_note", "街道值" } },
	  .conflicts = 1, .audits = 1, .versions = 1 },

	{ .name = "the same sequence with other contents: a reused_seq conflict, once",
	  .p = { { A_O1, UPD(X_M1, "lost_note", "甲"), .status = APPLIED },
		 { A_O1, UPD(X_M1, "flow_to", "乙地"), .flags = P_SEQ_AGAIN, .status = CONFLICT,
		   .reason = R_REUSED_SEQ, .kind = "reused_seq" },
		 { A_O1, { { 0 } }, .flags = P_RESEND, .status = CONFLICT, .reason = R_REUSED_SEQ,
		   .kind = "reused_seq", .dup = 1 },
		 END },
	  .after = { { X_M1, "lost_note", "甲" }, { X_M1, "flow_to", NUL },
		     { X_M1, "_version", "+1" } },
	  .conflicts = 1, .ckind = "reused_seq", .cstatus = "open", .audits = 1, .versions = 1 },

	{ .name = "the conflict queue limit: the third conflict is refused",
	  .max_open = 2,
	  .p = { { A_ADMIN, { { 'u', X_M1, 0, 0, "lost_note", "甲", "flow_to", "乙", 0 },
			      { 'u', X_M1, 0, 0, "left_note", "丙", 0, 0, 0 } }, .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "一"), .status = CONFLICT, .kind = "same_field",
		   .reason = R_SAME_FIELD },
		 { A_O1, UPD(X_M1, "flow_to", "二"), .status = CONFLICT, .kind = "same_field",
		   .reason = R_SAME_FIELD },
		 { A_O1, UPD(X_M1, "left_note", "三"), .status = REJECTED, .reason = R_QUEUE_FULL },
		 END },
	  .after = { { X_M1, "lost_note", "甲" }, { X_M1, "flow_to", "乙" },
		     { X_M1, "left_note", "丙" } },
	  .conflicts = 2, .audits = 2, .versions = 2 },

	{ .name = "org kinds: a branch directly under the street is refused",
	  .p = { { A_ADMIN, { { 'i', X_B2, T_ORG, X_ST, "kind", "branch", 0, 0, 0 } },
		   .status = REJECTED, .reason = R_ORG_KIND_UNDER },
		 END },
	  .after = { { X_B2, "_exists", "0" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "org kinds: a branch with members cannot become a community",
	  .p = { { A_ADMIN, UPD(X_B1, "kind", "community"), .status = REJECTED,
		   .reason = R_ORG_KIND_UNDER },
		 /* Nor anything that holds no members (where the parent would allow it). */
		 { A_O1, UPD(X_B1, "kind", "general_branch"), .status = REJECTED,
		   .reason = R_ORG_KIND_MEMBERS },
		 END },
	  .after = { { X_B1, "kind", "branch" }, { X_M1, "org_id", "$B1" } },
	  .conflicts = 0, .audits = 0, .versions = 0 },

	{ .name = "a transfer: requested by the sender, accepted only by the receiver",
	  .p = { { A_O1, { { 'i', X_T, T_TRANSFER, 0, 0, 0, 0, 0, 0 } }, .status = APPLIED },
		 { A_O1, UPD(X_T, "status", "accepted"), .status = REJECTED,
		   .reason = R_TRANSFER_ACCEPTOR },
		 { A_O2, { { 'u', X_T, 0, 0, "status", "accepted", "decided_on", "2024-03-05", 0 } },
		   .status = APPLIED },
		 /* The sending office edits the member it no longer holds: kept for the street. */
		 { A_O1, UPD(X_M1, "lost_note", "迟到的修改"), .status = CONFLICT,
		   .reason = R_TRANSFERRED_OUT, .kind = "transferred" },
		 END },
	  .after = { { X_M1, "org_id", "$C1" }, { X_M1, "_scope", "/S01/SQ02/C1/" },
		     { X_T, "status", "accepted" }, { X_T, "to_org_id", "$C1" },
		     { X_T, "member_name", NUL }, { X_T, "_scope2", "/S01/SQ02/C1/" },
		     { X_M1, "lost_note", NUL } },
	  .conflicts = 1, .ckind = "transferred", .evicts = 1, .evict_row = X_M1,
	  .evict_old = "/S01/SQ01/B1/",
	  .audits = 3 /* the request, the member's move, the decision */, .versions = 3 },

	{ .name = "a transfer whose member moved meanwhile: the acceptance is queued, nobody moves",
	  .p = { { A_ADMIN, { { 'i', X_B2, T_ORG, X_SQ01, 0, 0, 0, 0, 0 } }, .status = APPLIED },
		 { A_O1, { { 'i', X_T, T_TRANSFER, 0, 0, 0, 0, 0, 0 } }, .status = APPLIED },
		 { A_ADMIN, UPD(X_M1, "org_id", "$B2"), .status = APPLIED },
		 { A_O2, { { 'u', X_T, 0, 0, "status", "accepted", "decided_on", "2024-03-05", 0 } },
		   .status = CONFLICT, .reason = R_TRANSFER_ACCEPT_LEFT, .kind = "missing_parent" },
		 END },
	  .after = { { X_M1, "org_id", "$B2" }, { X_M1, "_scope", "/S01/SQ01/B2/" },
		     { X_T, "status", "requested" }, { X_T, "member_name", "张建国" } },
	  .conflicts = 1, .ckind = "missing_parent", .cstatus = "open", .cserver = 1,
	  /* The move within the community leaves its old branch's replicas an eviction. */
	  .evicts = 1, .evict_row = X_M1, .evict_old = "/S01/SQ01/B1/", .audits = 3, .versions = 3 },

	{ .name = "a transfer is withdrawn by its sender only, while requested",
	  .p = { { A_O1, { { 'i', X_T, T_TRANSFER, 0, 0, 0, 0, 0, 0 } }, .status = APPLIED },
		 { A_O2, DEL(X_T), .status = REJECTED, .reason = R_TRANSFER_WITHDRAW },
		 { A_O2, UPD(X_T, "reason", "改写"), .status = REJECTED,
		   .reason = R_TRANSFER_RECEIVER_ONLY },
		 { A_O1, DEL(X_T), .status = APPLIED },
		 END },
	  .after = { { X_T, "_deleted", "1" }, { X_T, "reason", "搬家" }, { X_M1, "org_id", "$B1" },
		     { X_M1, "_changed", "0" } },
	  .conflicts = 0, .evicts = 0, .audits = 2, .versions = 2 },

	{ .name = "a queued conflict does not block the office's later, unrelated changes",
	  .p = { { A_ADMIN, UPD(X_M1, "lost_note", "街道值"), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "社区值"), .status = CONFLICT, .reason = R_SAME_FIELD,
		   .kind = "same_field" },
		 { A_O1, UPD(X_M1, "flow_to", "杭州"), .status = MERGED },
		 END },
	  .after = { { X_M1, "lost_note", "街道值" }, { X_M1, "flow_to", "杭州" },
		     { X_M1, "_version", "+2" } },
	  .conflicts = 1, .ckind = "same_field", .cstatus = "open", .audits = 2, .versions = 2 },

	{ .name = "take-office settles a conflict with the office's value, as a new version",
	  .p = { { A_ADMIN, UPD(X_M1, "lost_note", "街道值"), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "社区值"), .status = CONFLICT, .reason = R_SAME_FIELD,
		   .kind = "same_field" },
		 { A_ADMIN, .flags = P_TAKE },
		 END },
	  .after = { { X_M1, "lost_note", "社区值" }, { X_M1, "_version", "+2" } },
	  .conflicts = 1, .ckind = "same_field", .cstatus = "resolved", .cserver = 1,
	  .audits = 3 /* the edit, the office's change, the decision */, .versions = 3 },

	{ .name = "keep-server settles a conflict and changes no data",
	  .p = { { A_ADMIN, DEL(X_M1), .status = APPLIED },
		 { A_O1, UPD(X_M1, "lost_note", "社区值"), .status = CONFLICT,
		   .reason = R_DELETED_ON_SERVER, .kind = "update_deleted" },
		 { A_ADMIN, .flags = P_KEEP },
		 END },
	  .after = { { X_M1, "_deleted", "1" }, { X_M1, "lost_note", NUL }, { X_M1, "_version", "+1" } },
	  .conflicts = 1, .ckind = "update_deleted", .cstatus = "resolved", .cserver = 1,
	  .audits = 2 /* the delete, the decision */, .versions = 2 },

	/*
	 * PRODUCT.md, Conflicts: "Same citizen ID registered by two offices
	 * [...] are conflicts too, queued with both sides." An update that
	 * makes the clash is kept with the row it clashes with, as an insert
	 * is, and the reason does not name that row when it is elsewhere.
	 */
	{ .name = "unique clash made by an update: queued with both sides",
	  .p = { { A_O1, UPD(X_M1, "id_number", "=M2"), .status = CONFLICT, .reason = R_UNIQUE_ELSEWHERE,
		   .kind = "unique", .hides = X_M2 },
		 END },
	  .after = { { X_M1, "_changed", "0" }, { X_M2, "_changed", "0" } },
	  .conflicts = 1, .ckind = "unique", .cstatus = "open", .cserver = 1,
	  .cserver_row = X_M2, .audits = 0, .versions = 0 },

	/*
	 * PRODUCT.md invariant 2 (nothing lost): a transaction under a reused
	 * sequence whose judgement rejects it cannot go to txn_log (its key is
	 * taken): it is kept whole in the conflict table, status "rejected",
	 * answered REJECTED, and a re-send gets the same answer.
	 */
	{ .name = "a reused sequence that is refused is still kept whole",
	  .p = { { A_O1, UPD(X_M1, "lost_note", "甲"), .status = APPLIED },
		 { A_O1, UPD(X_M2, "lost_note", "乙"), .flags = P_SEQ_AGAIN, .status = REJECTED,
		   .reason = R_UNSEEN_ROW },
		 { A_O1, { { 0 } }, .flags = P_RESEND, .status = REJECTED, .reason = R_UNSEEN_ROW,
		   .dup = 1 },
		 END },
	  .after = { { X_M1, "lost_note", "甲" }, { X_M2, "_changed", "0" } },
	  .conflicts = 1, .ckind = "reused_seq", .cstatus = "rejected", .audits = 1,
	  .versions = 1 },
};

/* ------------------------------------------------ the storage contract */

/*
 * The contract of sto.h checked through the operations table alone, so
 * that any store can be held to it (the in-memory one here; the
 * PostgreSQL one can run the same function): typed write outcomes, what a
 * lookup counts as live, and that savepoints and rollback undo every write
 * and every version handed out. Organisation rows only: the store checks
 * no rule, and org has a unique column (code).
 */
static int contract_failed;

#define C_CHECK(cond, ...) do { if (!(cond)) { contract_failed++; \
	fprintf(stderr, "  FAIL contract (%s:%d): ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

/* An organisation row: code, kind, scope; deleted and dissolved as given. */
static void
c_org(struct srow *r, const char *code, const char *scope, int deleted, int dissolved,
    uint64_t version)
{
	memset(r, 0, sizeof *r);
	value_set_text(&r->v[col_of(TBL_ORG, "code")], code);
	value_set_text(&r->v[col_of(TBL_ORG, "name")], code);
	value_set_text(&r->v[col_of(TBL_ORG, "kind")], "branch");
	value_set_int(&r->v[col_of(TBL_ORG, "dissolved")], dissolved);
	snprintf(r->scope, sizeof r->scope, "%s", scope);
	r->deleted = deleted;
	r->version = version;
	snprintf(r->device, sizeof r->device, "dev-contract");
}

/* gaps: the store does not give back the versions a rollback took (struct backend_def). */
static void
sto_contract(const struct sto_ops *o, void *b, int gaps)
{
	char err[256] = "", a[ID_TEXT_LEN + 1], bb[ID_TEXT_LEN + 1], c[ID_TEXT_LEN + 1];
	char got[ID_TEXT_LEN + 1], scope[SCOPE_MAX], cid[ID_TEXT_LEN + 1];
	struct srow r;
	struct sto_org org;
	struct sto_ids ids = { 0 };
	struct sto_logged lg;
	struct reason none = { 0 };   /* sto.h does not say why may be NULL: SQLite's store reads it */
	uint8_t dg[32] = { 1, 2, 3 }, dg2[32] = { 9 };
	uint64_t v, v2, v3, mx;
	int64_t n;
	Tongxin__Value code;
	Tongxin__ConflictInfo *ci = NULL;

	MUST(id_new(a) == 0 && id_new(bb) == 0 && id_new(c) == 0 && id_new(cid) == 0, "id_new");
	C_CHECK(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	v = o->version_next(b);
	c_org(&r, "K1", "/Z/K1/", 0, 0, v);
	C_CHECK(o->row_write(b, TBL_ORG, a, &r, 1) == STO_WRITTEN, "insert");
	/*
	 * Its unique values differ: when both clash, sto.h does not say which
	 * outcome wins (SQLite answers STO_UNIQUE, the in-memory store
	 * STO_DUP_ID).
	 */
	c_org(&r, "K0", "/Z/K0/", 0, 0, o->version_next(b));
	C_CHECK(o->row_write(b, TBL_ORG, a, &r, 1) == STO_DUP_ID, "an id twice is STO_DUP_ID");
	c_org(&r, "K1", "/Z/K2/", 0, 0, o->version_next(b));
	C_CHECK(o->row_write(b, TBL_ORG, bb, &r, 1) == STO_UNIQUE,
	    "a live row's unique value is STO_UNIQUE");
	c_org(&r, "K1", "/Z/K2/", 1, 0, o->version_next(b));
	C_CHECK(o->row_write(b, TBL_ORG, bb, &r, 1) == STO_WRITTEN,
	    "a deleted row may hold a live row's unique value");
	c_org(&r, "K3", "/Z/K1/K3/", 0, 1, o->version_next(b));
	C_CHECK(o->row_write(b, TBL_ORG, c, &r, 1) == STO_WRITTEN, "insert a dissolved org");
	C_CHECK(o->commit(b, err, sizeof err) == 0, "commit: %s", err);

	C_CHECK(o->ref_scope(b, TBL_ORG, a, scope, sizeof scope) == 1 && strcmp(scope, "/Z/K1/") == 0,
	    "ref_scope of a live row: 1 and its scope");
	C_CHECK(o->ref_scope(b, TBL_ORG, bb, scope, sizeof scope) == 2, "deleted: 2");
	C_CHECK(o->ref_scope(b, TBL_ORG, c, scope, sizeof scope) == 2, "dissolved: 2");
	C_CHECK(o->ref_scope(b, TBL_ORG, cid, scope, sizeof scope) == 0, "none: 0");
	C_CHECK(o->org_get(b, bb, &org) == 1 && org.deleted && strcmp(org.kind, "branch") == 0,
	    "org_get finds a deleted organisation and says so");
	C_CHECK(o->org_get(b, c, &org) == 1 && org.dissolved && !org.deleted, "org_get: dissolved");
	value_set_text(&code, "K1");
	C_CHECK(o->unique_owner(b, TBL_ORG, col_of(TBL_ORG, "code"), &code, bb, got) == 1 &&
	    strcmp(got, a) == 0, "unique_owner: the live holder");
	C_CHECK(o->unique_owner(b, TBL_ORG, col_of(TBL_ORG, "code"), &code, a, got) == 0,
	    "unique_owner: not the row itself, nor a deleted one");
	C_CHECK(o->ids_where(b, TBL_ORG, col_of(TBL_ORG, "code"), "K1", 0, &ids) == 0 &&
	    ids.n == 1 && strcmp(ids.id[0], a) == 0, "ids_where: live rows only");
	sto_ids_free(&ids);
	C_CHECK(o->ids_where(b, TBL_ORG, col_of(TBL_ORG, "kind"), "branch", 1, &ids) == 0 &&
	    ids.n == 1, "ids_where: at most max");
	sto_ids_free(&ids);

	/*
	 * A savepoint rolled back undoes every write, and hands its versions out
	 * again (with gaps: the next is above every one handed out).
	 */
	C_CHECK(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	C_CHECK(o->sp_begin(b) == 0, "sp_begin");
	v2 = o->version_next(b);
	c_org(&r, "K9", "/Z/K9/", 0, 0, v2);
	C_CHECK(o->row_write(b, TBL_ORG, cid, &r, 1) == STO_WRITTEN, "insert in a savepoint");
	c_org(&r, "K1", "/Y/", 0, 0, o->version_next(b));
	C_CHECK(o->row_write(b, TBL_ORG, a, &r, 0) == STO_WRITTEN, "update in a savepoint");
	C_CHECK(o->evict_put(b, v2, TBL_ORG, a, "/Z/K1/", "/Y/") == 0, "evict_put");
	C_CHECK(o->evict_find(b, TBL_ORG, a, "/Z/") == 1, "evict_find: a path under the scope");
	C_CHECK(o->evict_find(b, TBL_ORG, a, "/Z/K2/") == 0, "evict_find: another path");
	/* Shares: by the sharing row, found by the shared row within a scope range. */
	C_CHECK(o->share_put(b, TBL_AGREEMENT, cid, TBL_RESIDENT_UNIT, a, "/Z/K2/") == 0 &&
	    o->share_put(b, TBL_AGREEMENT, cid, TBL_RESIDENT_UNIT, a, "/Z/K2/") == 0 &&
	    o->share_put(b, TBL_AGREEMENT, a, TBL_RESIDENT_UNIT, a, "/Z/K3/") == 0, "share_put");
	C_CHECK(o->share_in(b, TBL_RESIDENT_UNIT, a, "/Z/K2/", "/Z/K20") == 1 &&
	    o->share_in(b, TBL_RESIDENT_UNIT, a, "/Z/", "/Z0") == 1, "share_in: in the range");
	C_CHECK(o->share_in(b, TBL_RESIDENT_UNIT, a, "/Z/K4/", "/Z/K40") == 0 &&
	    o->share_in(b, TBL_RESIDENT_UNIT, cid, "/Z/", "/Z0") == 0 &&
	    o->share_in(b, TBL_MEMBER, a, "/Z/", "/Z0") == 0, "share_in: another range, row, table");
	C_CHECK(o->share_drop(b, TBL_AGREEMENT, cid) == 0 &&
	    o->share_in(b, TBL_RESIDENT_UNIT, a, "/Z/K2/", "/Z/K20") == 0 &&
	    o->share_in(b, TBL_RESIDENT_UNIT, a, "/Z/K3/", "/Z/K30") == 1,
	    "share_drop forgets the shares of one sharing row only");
	{
		struct sto_audit au = { .version = v2, .device_id = "dev-contract", .action = "insert",
		    .table = TBL_ORG, .row_id = cid, .seq = 7 };
		struct sto_txnlog tl = { .device_id = "dev-contract", .seq = 7, .status = 0,
		    .why = &none, .digest = dg };
		struct sto_conflict cf = { .id = cid, .device_id = "dev-contract", .seq = 8,
		    .kind = "reused_seq", .reason = "r", .why = &none, .table = TBL_ORG, .row_id = a,
		    .txn = (const uint8_t *)"", .txn_len = 0, .status = "open", .digest = dg2 };
		C_CHECK(o->audit_put(b, &au) == 0 && o->txn_put(b, &tl) == 0 &&
		    o->conflict_put(b, &cf) == 0, "audit, txn_log and conflict puts");
	}
	C_CHECK(o->txn_find(b, "dev-contract", 7, &lg) == 1 && lg.has_digest &&
	    memcmp(lg.digest, dg, 32) == 0, "txn_find");
	C_CHECK(o->txn_seq_max(b, "dev-contract", &mx) == 0 && mx == 7, "txn_seq_max");
	C_CHECK(o->reused_find(b, "dev-contract", 8, dg2, &lg) == 1 &&
	    strcmp(lg.conflict_id, cid) == 0 && lg.status == TONGXIN__TXN_RESULT__STATUS__CONFLICT,
	    "reused_find by digest: an open one waits in the queue");
	C_CHECK(o->reused_find(b, "dev-contract", 8, dg, &lg) == 0, "reused_find: other digest");
	C_CHECK(o->conflict_open_count(b, "dev-contract", &n) == 0 && n == 1, "one open conflict");
	C_CHECK(o->sp_rollback(b) == 0 && o->sp_release(b) == 0, "sp_rollback, sp_release");
	v3 = o->version_next(b);
	C_CHECK(gaps ? v3 > v2 + 1 : v3 == v2,
	    "the versions a rolled back savepoint took are given back (or, with gaps, passed)");
	C_CHECK(o->row_load(b, TBL_ORG, cid, &r) == 0 && !r.exists, "the insert is undone");
	srow_clear(&r);
	C_CHECK(o->row_load(b, TBL_ORG, a, &r) == 0 && r.exists && strcmp(r.scope, "/Z/K1/") == 0 &&
	    r.version == v, "the update is undone");
	srow_clear(&r);
	C_CHECK(o->evict_find(b, TBL_ORG, a, "/Z/") == 0, "the eviction is undone");
	C_CHECK(o->share_in(b, TBL_RESIDENT_UNIT, a, "/Z/", "/Z0") == 0, "the shares are undone");
	C_CHECK(o->txn_find(b, "dev-contract", 7, &lg) == 0, "the txn_log entry is undone");
	C_CHECK(o->txn_seq_max(b, "dev-contract", &mx) == 0 && mx == 0, "txn_seq_max: none");
	C_CHECK(o->conflict_open_count(b, "dev-contract", &n) == 0 && n == 0, "the conflict is undone");
	o->rollback(b);

	/* A rollback undoes the versions too; a conflict is settled once. */
	C_CHECK(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	v2 = o->version_next(b);
	C_CHECK(gaps ? v2 > v3 : v2 == v3,
	    "the versions a rolled back transaction took are given back (or, with gaps, passed)");
	o->version_back(b, v2);
	v3 = o->version_next(b);
	C_CHECK(gaps ? v3 > v2 : v3 == v2,
	    "version_back gives the last version back (or, with gaps, keeps it taken)");
	v2 = v3;
	{
		struct sto_conflict cf = { .id = cid, .device_id = "dev-contract", .seq = 9,
		    .kind = "same_field", .reason = "r", .why = &none, .table = TBL_ORG, .row_id = a,
		    .txn = (const uint8_t *)"", .txn_len = 0, .status = "open" };
		C_CHECK(o->conflict_put(b, &cf) == 0, "conflict_put");
	}
	C_CHECK(o->conflict_settle(b, cid, "keep_server", "admin", 1, v2, NULL) == 1, "settled");
	C_CHECK(o->conflict_settle(b, cid, "keep_server", "admin", 1, v2, NULL) == 0,
	    "settled once: 0 the second time");
	C_CHECK(o->commit(b, err, sizeof err) == 0, "commit: %s", err);
	C_CHECK(o->conflict_get(b, cid + ID_TEXT_LEN - 8, &ci, err, sizeof err) == 0 &&
	    strcmp(ci->id, cid) == 0 && strcmp(ci->status, "resolved") == 0 &&
	    ci->current_row != NULL && ci->current_row->n_values > 0,
	    "conflict_get by the end of its id, with the row now: %s", err);
	if (ci)
		tongxin__conflict_info__free_unpacked(ci, NULL);
	C_CHECK(o->conflict_get(b, "zzzzzzzz", &ci, err, sizeof err) == -1, "no such conflict");
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

/* The same contract on the SQLite store (a new database in a temporary directory). */
static void
sqlite_contract(void)
{
	char dir[] = "/tmp/test_engine.XXXXXX", err[512] = "";
	struct store *st;

	MUST(mkdtemp(dir) != NULL, "mkdtemp");
	MUST((st = store_open(dir, 1, err, sizeof err)) != NULL, "store_open: %s", err);
	sto_contract(&sto_sqlite_ops, SQ(st), stores[B_SQLITE].gaps);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

#ifdef TX_HAVE_PG
/* A PostgreSQL store over a new, empty schema in pg_uri's database. */
static struct pg_sto *
pg_fresh(void)
{
	PGconn *c = PQconnectdb(pg_uri);
	char err[512] = "";
	struct pg_sto *p;
	PGresult *r;

	MUST(PQstatus(c) == CONNECTION_OK, "PostgreSQL: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, pg_quiet, NULL);
	r = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	MUST(PQresultStatus(r) == PGRES_COMMAND_OK, "a new schema: %s", PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
	MUST((p = pg_sto_open(pg_uri, 1, err, sizeof err)) != NULL, "pg_sto_open: %s", err);
	return p;
}

/* The same contract on the PostgreSQL store (a new schema). */
static void
pg_contract(void)
{
	struct pg_sto *p = pg_fresh();

	sto_contract(&sto_pg_ops, p, stores[B_PG].gaps);
	pg_sto_close(p);
}
#endif

/* Whether the cases run on store be here (PostgreSQL: built in, and TX_PG_URI set). */
static bool
backend_runs(int be)
{
	if (be != B_PG)
		return true;
#ifdef TX_HAVE_PG
	return pg_uri != NULL;
#else
	return false;
#endif
}

int
main(void)
{
	size_t n = sizeof cases / sizeof cases[0];
	struct mem_sto *m;
	int nstores;

	MUST((m = mem_sto_new()) != NULL, "oom");
	sto_contract(&mem_sto_ops, m, stores[B_MEMORY].gaps);
	C_CHECK(mem_sto_misuse(m) == 0 && !mem_sto_in_txn(m), "the store saw a contract violation");
	mem_sto_free(m);
	fprintf(stderr, "%s - the storage contract (sto.h) of the in-memory store\n",
	    contract_failed ? "not ok" : "ok");
	total_failed += contract_failed != 0;
	contract_failed = 0;
	sqlite_contract();
	fprintf(stderr, "%s - the same contract of the SQLite store\n",
	    contract_failed ? "not ok" : "ok");
	total_failed += contract_failed != 0;
#ifdef TX_HAVE_PG
	pg_uri = getenv("TX_PG_URI");
	if (pg_uri != NULL && *pg_uri == '\0')
		pg_uri = NULL;
	if (pg_uri != NULL) {
		contract_failed = 0;
		pg_contract();
		fprintf(stderr, "%s - the same contract of the PostgreSQL store\n",
		    contract_failed ? "not ok" : "ok");
		total_failed += contract_failed != 0;
	} else {
		fprintf(stderr, "# the PostgreSQL store is skipped: TX_PG_URI is not set"
		    " (tests/it_pg_engine.sh sets it)\n");
	}
#else
	fprintf(stderr, "# the PostgreSQL store is skipped: built without libpq\n");
#endif

	for (int be = 0; be < B_COUNT; be++)
		for (size_t i = 0; i < n && backend_runs(be); i++) {
			const struct kase *k = &cases[i];
			run_case(k, be);
			if (k->xfail) {
				xfail_seen++;
				if (W.failed == 0) {
					xfail_passed++;
					fprintf(stderr, "XPASS %zu - [%s] %s (marked expected to fail: unmark it)\n",
					    i + 1, stores[be].name, k->name);
				} else {
					fprintf(stderr, "xfail %zu - [%s] %s\n", i + 1, stores[be].name, k->name);
				}
			} else if (W.failed) {
				total_failed++;
				fprintf(stderr, "not ok %zu - [%s] %s\n", i + 1, stores[be].name, k->name);
			} else {
				fprintf(stderr, "ok %zu - [%s] %s\n", i + 1, stores[be].name, k->name);
			}
		}
	nstores = 0;
	for (int be = 0; be < B_COUNT; be++)
		nstores += backend_runs(be);
	fprintf(stderr, "%zu cases on %d stores, %d failed, %d expected to fail\n", n, nstores,
	    total_failed, xfail_seen);
	return total_failed || xfail_passed ? 1 : 0;
}
