/*
 * test_pg_sto.c - the PostgreSQL store (server/store_pg.c) against a real
 * server: tests/it_pg_sto.sh starts a private cluster and runs
 *
 *   test_pg_sto URI
 *
 * on its database (emptied here first). What it holds the store to:
 *   - open: create makes the schema once (a second create is refused and
 *     changes nothing), open without create checks it, an empty database
 *     is refused, so is a version sequence with a cache (the in-flight
 *     bound needs CACHE 1); the connection commits synchronously;
 *   - the storage contract of sto.h through the operations table alone
 *     (as test_engine's sto_contract), with the one difference this store
 *     declares: versions taken by a rolled back transaction or savepoint
 *     are not given back (gaps), but stay above every version handed out;
 *   - a row's values and bookkeeping come back as written (text, Chinese,
 *     NULL, integers), the reason codes and digests of txn_log and
 *     conflicts too, and conflict_get gives both sides;
 *   - unique clashes: SQLSTATE 23505 on the primary key is STO_DUP_ID, on
 *     a unique index STO_UNIQUE, for an insert and for an update, and the
 *     transaction goes on and commits what else it wrote;
 *   - two connections: row_load in a write transaction holds the row until
 *     commit (the second waits, then reads the first's write); two inserts
 *     of one id end as STO_DUP_ID for the second; ref_scope in a write
 *     transaction waits for a writer of the organisation it reads and sees
 *     its dissolution;
 *   - the in-flight bound (pg_sto_safe_version): never at or past a version
 *     whose transaction is open on another connection, even when later
 *     versions have committed; past it once that transaction commits or
 *     rolls back; and under load (writers committing and rolling back at
 *     random, a reader counting the rows up to each bound it reads), no
 *     row ever commits below a bound after the bound was read;
 *   - two engines (two tongxind) on two connections pushing changes to
 *     different columns of one row at once: the pushes run one after the
 *     other and the row keeps both (no lost update).
 *   - a lost connection (pg_terminate_backend from another connection):
 *     between two transactions the next begin connects again, prepares
 *     its statements again and finds the data intact; a transaction broken
 *     in the middle fails and leaves nothing; outside a transaction an
 *     operation or a pg_run (the public store's reads) that meets the
 *     break runs again on a new session, inside one pg_run fails once;
 *     after pg_run's reset the store prepares its statements again; the
 *     new session has the store's settings;
 *   - timeouts (shortened through TX_PG_LOCK_TIMEOUT_MS and
 *     TX_PG_IDLE_TIMEOUT_MS): a row_load waiting for a held row gives up
 *     after lock_timeout with 55P03, a push meeting it fails whole (an
 *     error, not a verdict) and is applied when sent again, a deadlock
 *     fails one side with 40P01 and the other commits, and a session idle
 *     in a transaction is ended by the server, its lock freed.
 * Exit status 0 when every check passed.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "engine.h"
#include "ids.h"
#include "pg_util.h"
#include "reason.h"
#include "schema.h"
#include "store_pg.h"
#include "validate.h"
#include "value.h"

static const char *uri;
static int failures, checks;
static char race_member[ID_TEXT_LEN + 1];   /* t_race's member, for t_timeouts' push */

static void
check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* Setup failures end the run. */
#define MUST(cond, ...) do { if (!(cond)) { fprintf(stderr, "FATAL %s:%d: ", __FILE__, \
	__LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); exit(1); } } while (0)

static void
report(int before, const char *what)
{
	printf("%s - %s\n", failures == before ? "ok" : "not ok", what);
	fflush(stdout);
}

static int64_t
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run SQL without parameters on a connection of the test's own (set-up only). */
static void
raw(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	MUST(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
	    "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
}

static void
quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* An empty database: the public schema dropped and made again. */
static void
empty_database(void)
{
	PGconn *c = PQconnectdb(uri);

	MUST(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	raw(c, "DROP SCHEMA public CASCADE");
	raw(c, "CREATE SCHEMA public");
	PQfinish(c);
}

static int
col_of(int t, const char *name)
{
	int c = schema_col_index(&schema_tables[t], name);

	MUST(c >= 0, "no column %s.%s", schema_tables[t].name, name);
	return c;
}

/* An organisation row: code, scope; deleted and dissolved as given. */
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

static struct pg_sto *
must_open(int create)
{
	char err[512] = "";
	struct pg_sto *p = pg_sto_open(uri, create, err, sizeof err);

	MUST(p != NULL, "pg_sto_open(create %d): %s", create, err);
	return p;
}

/* A single text value from SQL on the store's own connection ("" when NULL). */
static void
sql1(struct pg_sto *p, const char *sql, const char *arg, char *out, size_t cap)
{
	PGresult *r = PQexecParams(pg_sto_conn(p), sql, arg ? 1 : 0, NULL, &arg, NULL, NULL, 0);

	MUST(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
	    PQresultErrorMessage(r));
	snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* --- open ------------------------------------------------------------------- */

static void
t_open(void)
{
	int before = failures;
	char err[512] = "", got[64];
	struct pg_sto *p, *q;

	empty_database();
	p = pg_sto_open(uri, 0, err, sizeof err);
	check(p == NULL && strstr(err, "not a tongxind database") != NULL,
	    "an empty database is refused without create: %s", err);
	pg_sto_close(p);
	p = must_open(1);
	sql1(p, "SELECT current_setting('synchronous_commit')", NULL, got, sizeof got);
	check(strcmp(got, "on") == 0, "the store's connection commits synchronously: %s", got);
	pg_sto_close(p);
	err[0] = '\0';
	p = pg_sto_open(uri, 1, err, sizeof err);
	check(p == NULL && strstr(err, "42P07") != NULL,
	    "a second create is refused (42P07): %s", err);
	pg_sto_close(p);
	p = must_open(0);
	sql1(p, "SELECT count(*) FROM meta", NULL, got, sizeof got);
	check(strcmp(got, "1") == 0, "the refused create changed nothing (meta rows: %s)", got);
	sql1(p, "SELECT value FROM meta WHERE key = $1", "schema", got, sizeof got);
	check(got[0] != '\0', "meta names the schema");
	/* A version sequence with a cache would break the in-flight bound: refused. */
	raw(pg_sto_conn(p), "ALTER SEQUENCE tx_version CACHE 20");
	err[0] = '\0';
	q = pg_sto_open(uri, 0, err, sizeof err);
	check(q == NULL && strstr(err, "CACHE 20") != NULL,
	    "a version sequence with CACHE 20 is refused: %s", err);
	pg_sto_close(q);
	raw(pg_sto_conn(p), "ALTER SEQUENCE tx_version CACHE 1");
	pg_sto_close(p);
	report(before, "open: create once, then check; an empty database or a cached sequence"
	    " refused; synchronous commit");
}

/* --- the contract --------------------------------------------------------------- */

/* test_engine's sto_contract, with versions that are not given back (gaps). */
static void
t_contract(const struct sto_ops *o, struct pg_sto *b)
{
	int before = failures;
	char err[256] = "", a[ID_TEXT_LEN + 1], bb[ID_TEXT_LEN + 1], c[ID_TEXT_LEN + 1];
	char got[ID_TEXT_LEN + 1], scope[SCOPE_MAX], cid[ID_TEXT_LEN + 1];
	struct srow r;
	struct sto_org org;
	struct sto_ids ids = { 0 };
	struct sto_logged lg;
	struct reason none = { 0 };
	uint8_t dg[32] = { 1, 2, 3 }, dg2[32] = { 9 };
	uint64_t v, v2, v3, mx;
	int64_t n;
	Tongxin__Value code;
	Tongxin__ConflictInfo *ci = NULL;

	MUST(id_new(a) == 0 && id_new(bb) == 0 && id_new(c) == 0 && id_new(cid) == 0, "id_new");
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	v = o->version_next(b);
	check(v > 0, "a version");
	c_org(&r, "K1", "/Z/K1/", 0, 0, v);
	check(o->row_write(b, TBL_ORG, a, &r, 1) == STO_WRITTEN, "insert: %s", o->errmsg(b));
	c_org(&r, "K0", "/Z/K0/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, a, &r, 1) == STO_DUP_ID, "an id twice is STO_DUP_ID");
	c_org(&r, "K1", "/Z/K2/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, bb, &r, 1) == STO_UNIQUE,
	    "a live row's unique value is STO_UNIQUE");
	c_org(&r, "K1", "/Z/K2/", 1, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, bb, &r, 1) == STO_WRITTEN,
	    "a deleted row may hold a live row's unique value: %s", o->errmsg(b));
	c_org(&r, "K3", "/Z/K1/K3/", 0, 1, o->version_next(b));
	check(o->row_write(b, TBL_ORG, c, &r, 1) == STO_WRITTEN, "insert a dissolved org");
	check(o->commit(b, err, sizeof err) == 0, "commit after two clashes: %s", err);

	check(o->ref_scope(b, TBL_ORG, a, scope, sizeof scope) == 1 && strcmp(scope, "/Z/K1/") == 0,
	    "ref_scope of a live row: 1 and its scope");
	check(o->ref_scope(b, TBL_ORG, bb, scope, sizeof scope) == 2, "deleted: 2");
	check(o->ref_scope(b, TBL_ORG, c, scope, sizeof scope) == 2, "dissolved: 2");
	check(o->ref_scope(b, TBL_ORG, cid, scope, sizeof scope) == 0, "none: 0");
	check(o->org_get(b, bb, &org) == 1 && org.deleted && strcmp(org.kind, "branch") == 0,
	    "org_get finds a deleted organisation and says so");
	check(o->org_get(b, c, &org) == 1 && org.dissolved && !org.deleted, "org_get: dissolved");
	check(o->org_get(b, cid, &org) == 0, "org_get: none");
	value_set_text(&code, "K1");
	check(o->unique_owner(b, TBL_ORG, col_of(TBL_ORG, "code"), &code, bb, got) == 1 &&
	    strcmp(got, a) == 0, "unique_owner: the live holder");
	check(o->unique_owner(b, TBL_ORG, col_of(TBL_ORG, "code"), &code, a, got) == 0,
	    "unique_owner: not the row itself, nor a deleted one");
	check(o->ids_where(b, TBL_ORG, col_of(TBL_ORG, "code"), "K1", 0, &ids) == 0 &&
	    ids.n == 1 && strcmp(ids.id[0], a) == 0, "ids_where: live rows only");
	sto_ids_free(&ids);
	check(o->ids_where(b, TBL_ORG, col_of(TBL_ORG, "kind"), "branch", 1, &ids) == 0 &&
	    ids.n == 1, "ids_where: at most max");
	sto_ids_free(&ids);
	check(o->ids_where(b, TBL_ORG, col_of(TBL_ORG, "dissolved"), "1", 0, &ids) == 0 &&
	    ids.n == 1 && strcmp(ids.id[0], c) == 0, "ids_where on an integer column");
	sto_ids_free(&ids);

	/* A savepoint rolled back undoes every write; its versions stay taken. */
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	check(o->sp_begin(b) == 0, "sp_begin");
	v2 = o->version_next(b);
	c_org(&r, "K9", "/Z/K9/", 0, 0, v2);
	check(o->row_write(b, TBL_ORG, cid, &r, 1) == STO_WRITTEN, "insert in a savepoint");
	c_org(&r, "K1", "/Y/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, a, &r, 0) == STO_WRITTEN, "update in a savepoint");
	check(o->evict_put(b, v2, TBL_ORG, a, "/Z/K1/", "/Y/") == 0, "evict_put");
	check(o->evict_find(b, TBL_ORG, a, "/Z/") == 1, "evict_find: a path under the scope");
	check(o->evict_find(b, TBL_ORG, a, "/Z/K2/") == 0, "evict_find: another path");
	check(o->evict_find(b, TBL_ORG, a, "/Z/K1") == 1, "evict_find: the scope itself");
	{
		struct sto_audit au = { .version = v2, .device_id = "dev-contract", .action = "insert",
		    .table = TBL_ORG, .row_id = cid, .seq = 7 };
		struct sto_txnlog tl = { .device_id = "dev-contract", .seq = 7, .status = 0,
		    .why = &none, .digest = dg };
		struct sto_conflict cf = { .id = cid, .device_id = "dev-contract", .seq = 8,
		    .kind = "reused_seq", .reason = "r", .why = &none, .table = TBL_ORG, .row_id = a,
		    .txn = (const uint8_t *)"", .txn_len = 0, .status = "open", .digest = dg2 };
		check(o->audit_put(b, &au) == 0 && o->txn_put(b, &tl) == 0 &&
		    o->conflict_put(b, &cf) == 0, "audit, txn_log and conflict puts: %s", o->errmsg(b));
	}
	check(o->txn_find(b, "dev-contract", 7, &lg) == 1 && lg.has_digest &&
	    memcmp(lg.digest, dg, 32) == 0, "txn_find");
	check(o->txn_seq_max(b, "dev-contract", &mx) == 0 && mx == 7, "txn_seq_max");
	check(o->reused_find(b, "dev-contract", 8, dg2, &lg) == 1 &&
	    strcmp(lg.conflict_id, cid) == 0 && lg.status == TONGXIN__TXN_RESULT__STATUS__CONFLICT,
	    "reused_find by digest");
	check(o->reused_find(b, "dev-contract", 8, dg, &lg) == 0, "reused_find: other digest");
	check(o->conflict_open_count(b, "dev-contract", &n) == 0 && n == 1, "one open conflict");
	check(o->sp_rollback(b) == 0 && o->sp_release(b) == 0, "sp_rollback, sp_release");
	v3 = o->version_next(b);
	check(v3 > v2 + 1, "versions after a rolled back savepoint: above every one handed out"
	    " (%" PRIu64 " after %" PRIu64 ")", v3, v2 + 1);
	check(o->row_load(b, TBL_ORG, cid, &r) == 0 && !r.exists, "the insert is undone");
	srow_clear(&r);
	check(o->row_load(b, TBL_ORG, a, &r) == 0 && r.exists && strcmp(r.scope, "/Z/K1/") == 0 &&
	    r.version == v, "the update is undone");
	srow_clear(&r);
	check(o->evict_find(b, TBL_ORG, a, "/Z/") == 0, "the eviction is undone");
	check(o->txn_find(b, "dev-contract", 7, &lg) == 0, "the txn_log entry is undone");
	check(o->txn_seq_max(b, "dev-contract", &mx) == 0 && mx == 0, "txn_seq_max: none");
	check(o->conflict_open_count(b, "dev-contract", &n) == 0 && n == 0, "the conflict is undone");
	o->rollback(b);

	/* A rollback undoes all; its versions stay taken. A conflict is settled once. */
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	v2 = o->version_next(b);
	check(v2 > v3, "versions after a rollback: above every one handed out");
	{
		struct sto_conflict cf = { .id = cid, .device_id = "dev-contract", .seq = 9,
		    .kind = "same_field", .reason = "r", .why = &none, .table = TBL_ORG, .row_id = a,
		    .txn = (const uint8_t *)"", .txn_len = 0, .status = "open" };
		check(o->conflict_put(b, &cf) == 0, "conflict_put");
	}
	check(o->conflict_settle(b, cid, "keep_server", "admin", 1, v2, NULL) == 1, "settled");
	check(o->conflict_settle(b, cid, "keep_server", "admin", 1, v2, NULL) == 0,
	    "settled once: 0 the second time");
	check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);
	check(o->conflict_get(b, cid + ID_TEXT_LEN - 8, &ci, err, sizeof err) == 0 &&
	    strcmp(ci->id, cid) == 0 && strcmp(ci->status, "resolved") == 0 &&
	    ci->current_row != NULL && ci->current_row->n_values > 0,
	    "conflict_get by the end of its id, with the row now: %s", err);
	if (ci)
		tongxin__conflict_info__free_unpacked(ci, NULL);
	check(o->conflict_get(b, "zzzzzzzz", &ci, err, sizeof err) == -1, "no such conflict");
	check(o->conflict_get(b, "abc", &ci, err, sizeof err) == -1, "a key too short");

	/* Misuse fails instead of writing outside a transaction or taking a version unmarked. */
	c_org(&r, "K8", "/Z/K8/", 0, 0, 1);
	check(o->row_write(b, TBL_ORG, cid, &r, 1) == STO_FAILED, "row_write outside a transaction");
	check(o->version_next(b) == 0, "version_next outside a transaction");
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	check(o->row_write(b, TBL_ORG, cid, &r, 0) == STO_FAILED,
	    "an update of a row that is not there fails (as in memory)");
	o->rollback(b);
	report(before, "the storage contract of sto.h (versions with gaps)");
}

/* --- values round trip ----------------------------------------------------------- */

static void
t_values(const struct sto_ops *o, struct pg_sto *b)
{
	int before = failures;
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	char err[256] = "", id[ID_TEXT_LEN + 1], cid[ID_TEXT_LEN + 1];
	struct srow w, r;
	struct reason why;
	struct sto_logged lg;
	uint8_t dg[32];
	Tongxin__Row row = TONGXIN__ROW__INIT;
	uint8_t packed[256];
	size_t plen;
	Tongxin__ConflictInfo *ci = NULL;

	MUST(id_new(id) == 0 && id_new(cid) == 0, "id_new");
	memset(&w, 0, sizeof w);
	for (int c = 0; c < td->ncols; c++) {
		if (td->cols[c].type == COL_INT || td->cols[c].type == COL_BOOL)
			value_set_int(&w.v[c], c % 2 ? -(int64_t)c * 1000000007 : 1);
		else if (c % 3 == 0)
			value_set_null(&w.v[c]);
		else
			value_set_text(&w.v[c], c % 2 ? "张·三 O'Brien \"x\" \\ %s" : "2026-12-01");
	}
	/* A unique column must stay unique across runs: its own value. */
	for (int c = 0; c < td->ncols; c++)
		if (td->cols[c].flags & COLF_UNIQUE)
			value_set_text(&w.v[c], id);
	snprintf(w.scope, sizeof w.scope, "/S01/SQ01/");
	snprintf(w.scope2, sizeof w.scope2, "/S01/SQ02/");
	snprintf(w.device, sizeof w.device, "dev-x");
	w.hlc = (uint64_t)1 << 60;
	w.echo = 1;
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	w.version = o->version_next(b);
	check(o->row_write(b, TBL_MEMBER, id, &w, 1) == STO_WRITTEN, "member insert: %s",
	    o->errmsg(b));
	check(o->row_load(b, TBL_MEMBER, id, &r) == 0 && r.exists, "member load");
	for (int c = 0; c < td->ncols; c++)
		check(value_eq(&r.v[c], &w.v[c]), "column %s comes back as written", td->cols[c].name);
	check(r.version == w.version && r.hlc == w.hlc && !r.deleted &&
	    strcmp(r.scope, w.scope) == 0 && strcmp(r.scope2, w.scope2) == 0 &&
	    strcmp(r.device, w.device) == 0 && r.echo == 0,
	    "bookkeeping comes back (echo reads 0)");
	srow_clear(&r);
	w.scope2[0] = '\0';
	w.device[0] = '\0';
	w.deleted = 1;
	check(o->row_write(b, TBL_MEMBER, id, &w, 0) == STO_WRITTEN, "member update");
	check(o->row_load(b, TBL_MEMBER, id, &r) == 0 && r.deleted && r.scope2[0] == '\0' &&
	    r.device[0] == '\0', "an empty scope2 and device come back empty");
	srow_clear(&r);

	/* A reason with arguments and a digest through txn_log; a conflict with its server row. */
	memset(dg, 0xa5, sizeof dg);
	dg[0] = 0;   /* a NUL inside: binary, not text */
	reason_set(&why, R_UNSEEN_ROW, "member", "一·二\x1e三");
	{
		struct sto_txnlog tl = { .device_id = "dev-x", .seq = 42, .status = 3,
		    .reason = "refused", .why = &why, .conflict_id = cid, .received_at = 5, .hlc = 6,
		    .txn = (const uint8_t *)"\0\1\2", .txn_len = 3, .digest = dg };
		check(o->txn_put(b, &tl) == 0, "txn_put: %s", o->errmsg(b));
	}
	check(o->txn_find(b, "dev-x", 42, &lg) == 1 && lg.status == 3 && lg.has_reason &&
	    strcmp(lg.reason, "refused") == 0 && lg.why.code == R_UNSEEN_ROW && lg.why.nargs == 2 &&
	    strcmp(lg.why.args[0], why.args[0]) == 0 && strcmp(lg.why.args[1], why.args[1]) == 0 &&
	    strcmp(lg.conflict_id, cid) == 0 && lg.has_digest && memcmp(lg.digest, dg, 32) == 0,
	    "txn_find gives back status, reason, code, conflict id and digest");
	row.table = TBL_MEMBER;
	row.row_id = id;
	row.version = w.version;
	plen = tongxin__row__get_packed_size(&row);
	MUST(plen <= sizeof packed, "row too big");
	tongxin__row__pack(&row, packed);
	{
		Tongxin__Txn tx = TONGXIN__TXN__INIT;
		uint8_t tp[64];
		size_t tn;
		tx.seq = 43;
		tn = tongxin__txn__get_packed_size(&tx);
		tongxin__txn__pack(&tx, tp);
		struct sto_conflict cf = { .id = cid, .device_id = "dev-x", .seq = 43,
		    .operator_name = "李干事", .kind = "same_field", .reason = "clash", .why = &why,
		    .table = TBL_MEMBER, .row_id = id, .txn = tp, .txn_len = tn, .server_row = packed,
		    .server_row_len = plen, .hlc = 7, .local_time = 8, .received_at = 9,
		    .status = "open" };
		check(o->conflict_put(b, &cf) == 0, "conflict_put: %s", o->errmsg(b));
	}
	check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);
	check(o->conflict_get(b, cid, &ci, err, sizeof err) == 0 && ci->txn != NULL &&
	    ci->txn->seq == 43 && ci->server_row != NULL && ci->server_row->version == w.version &&
	    strcmp(ci->operator_name, "李干事") == 0 && ci->reason_code == R_UNSEEN_ROW &&
	    ci->n_reason_args == 2 && strcmp(ci->reason_args[1], why.args[1]) == 0 &&
	    ci->current_row != NULL && ci->current_row->deleted && ci->hlc == 7 &&
	    ci->received_at_ms == 9, "conflict_get: both sides, who, the reason code: %s", err);
	if (ci)
		tongxin__conflict_info__free_unpacked(ci, NULL);
	report(before, "values, bookkeeping, reasons, digests and conflicts come back as written");
}

/* --- unique clashes ------------------------------------------------------------------ */

static void
t_unique(const struct sto_ops *o, struct pg_sto *b)
{
	int before = failures;
	char err[256] = "", x[ID_TEXT_LEN + 1], y[ID_TEXT_LEN + 1], z[ID_TEXT_LEN + 1];
	struct srow r;

	MUST(id_new(x) == 0 && id_new(y) == 0 && id_new(z) == 0, "id_new");
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	c_org(&r, "U1", "/U/U1/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, x, &r, 1) == STO_WRITTEN, "insert U1");
	c_org(&r, "U2", "/U/U2/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, y, &r, 1) == STO_WRITTEN, "insert U2");
	c_org(&r, "U1", "/U/U2/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, y, &r, 0) == STO_UNIQUE,
	    "an update onto a live row's unique value is STO_UNIQUE");
	c_org(&r, "U3", "/U/U3/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, x, &r, 1) == STO_DUP_ID,
	    "an insert of a taken id is STO_DUP_ID");
	c_org(&r, "U1", "/U/U1b/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, x, &r, 1) == STO_DUP_ID,
	    "id and unique value both taken: STO_DUP_ID (the primary key), as in memory");
	c_org(&r, "U4", "/U/U4/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, z, &r, 1) == STO_WRITTEN,
	    "the transaction goes on after the clashes: %s", o->errmsg(b));
	check(o->commit(b, err, sizeof err) == 0, "and commits: %s", err);
	check(o->row_load(b, TBL_ORG, z, &r) == 0 && r.exists, "its later write is kept");
	srow_clear(&r);
	check(o->row_load(b, TBL_ORG, y, &r) == 0 && r.exists &&
	    strcmp(r.v[col_of(TBL_ORG, "code")].s, "U2") == 0, "the clashing update left no trace");
	srow_clear(&r);
	report(before, "23505: primary key STO_DUP_ID, unique index STO_UNIQUE; the transaction goes on");
}

/* --- two connections ------------------------------------------------------------- */

struct peer {
	const struct sto_ops *o;
	struct pg_sto *b;
	const char *id;
	int64_t started, done;   /* ms */
	uint64_t version_seen;
	enum sto_write wr;
	int rc;
};

/* The second connection loads the row in a write transaction (waits for the lock), then commits. */
static void *
peer_load(void *arg)
{
	struct peer *q = arg;
	char err[256];
	struct srow r;

	q->started = ms_now();
	q->rc = q->o->begin(q->b, err, sizeof err);
	q->rc |= q->o->row_load(q->b, TBL_ORG, q->id, &r);
	q->done = ms_now();
	q->version_seen = r.version;
	srow_clear(&r);
	q->rc |= q->o->commit(q->b, err, sizeof err);
	return NULL;
}

/* The second connection reads a reference in a write transaction (waits for a writer of it). */
static void *
peer_ref(void *arg)
{
	struct peer *q = arg;
	char err[256], scope[SCOPE_MAX];
	struct sto_org org;

	q->started = ms_now();
	q->rc = q->o->begin(q->b, err, sizeof err);
	q->wr = (enum sto_write)q->o->ref_scope(q->b, TBL_ORG, q->id, scope, sizeof scope);
	q->done = ms_now();
	q->version_seen = q->o->org_get(q->b, q->id, &org) == 1 && org.dissolved;
	q->rc |= q->o->commit(q->b, err, sizeof err);
	return NULL;
}

/* The second connection inserts an id (waits for the first's insert to commit). */
static void *
peer_insert(void *arg)
{
	struct peer *q = arg;
	char err[256];
	struct srow r;

	q->started = ms_now();
	q->rc = q->o->begin(q->b, err, sizeof err);
	c_org(&r, "R2", "/R/R2/", 0, 0, q->o->version_next(q->b));
	q->wr = q->o->row_write(q->b, TBL_ORG, q->id, &r, 1);
	q->done = ms_now();
	q->rc |= q->o->commit(q->b, err, sizeof err);
	return NULL;
}

static void
t_locks(const struct sto_ops *o, struct pg_sto *b1, struct pg_sto *b2)
{
	int before = failures;
	char err[256] = "", x[ID_TEXT_LEN + 1], y[ID_TEXT_LEN + 1];
	struct srow r;
	struct peer q = { .o = o, .b = b2 };
	pthread_t th;
	uint64_t v;
	int64_t committed;

	MUST(id_new(x) == 0 && id_new(y) == 0, "id_new");
	check(o->begin(b1, err, sizeof err) == 0, "begin: %s", err);
	c_org(&r, "L1", "/L/L1/", 0, 0, o->version_next(b1));
	check(o->row_write(b1, TBL_ORG, x, &r, 1) == STO_WRITTEN, "insert L1");
	check(o->commit(b1, err, sizeof err) == 0, "commit: %s", err);

	/* First holds the row; second's row_load waits until first commits, then sees its write. */
	check(o->begin(b1, err, sizeof err) == 0, "begin: %s", err);
	check(o->row_load(b1, TBL_ORG, x, &r) == 0 && r.exists, "first loads (and locks) L1");
	srow_clear(&r);
	q.id = x;
	MUST(pthread_create(&th, NULL, peer_load, &q) == 0, "pthread_create");
	usleep(400 * 1000);
	v = o->version_next(b1);
	c_org(&r, "L1", "/L/L1x/", 0, 0, v);
	check(o->row_write(b1, TBL_ORG, x, &r, 0) == STO_WRITTEN, "first updates L1");
	committed = ms_now();
	check(o->commit(b1, err, sizeof err) == 0, "commit: %s", err);
	pthread_join(th, NULL);
	check(q.rc == 0, "second's transaction");
	check(q.done >= committed, "second's row_load waited for first's commit (%" PRId64
	    " ms after it started, first committed at %" PRId64 " ms)", q.done - q.started,
	    committed - q.started);
	check(q.version_seen == v, "and read first's write (version %" PRIu64 ", want %" PRIu64 ")",
	    q.version_seen, v);

	/* Two inserts of one id: the second waits, then is STO_DUP_ID. */
	check(o->begin(b1, err, sizeof err) == 0, "begin: %s", err);
	c_org(&r, "R1", "/R/R1/", 0, 0, o->version_next(b1));
	check(o->row_write(b1, TBL_ORG, y, &r, 1) == STO_WRITTEN, "first inserts R");
	q.id = y;
	MUST(pthread_create(&th, NULL, peer_insert, &q) == 0, "pthread_create");
	usleep(400 * 1000);
	committed = ms_now();
	check(o->commit(b1, err, sizeof err) == 0, "commit: %s", err);
	pthread_join(th, NULL);
	check(q.wr == STO_DUP_ID && q.done >= committed,
	    "second insert of the id waited and is STO_DUP_ID (%d)", (int)q.wr);
	check(q.rc == 0, "second's transaction went on and committed");
	check(o->row_load(b1, TBL_ORG, y, &r) == 0 && r.exists &&
	    strcmp(r.v[col_of(TBL_ORG, "code")].s, "R1") == 0, "the first insert stands");
	srow_clear(&r);

	/* A reference read in a write transaction waits for the organisation's writer. */
	check(o->begin(b1, err, sizeof err) == 0, "begin: %s", err);
	check(o->row_load(b1, TBL_ORG, x, &r) == 0 && r.exists, "first loads (and locks) L1");
	srow_clear(&r);
	q.id = x;
	MUST(pthread_create(&th, NULL, peer_ref, &q) == 0, "pthread_create");
	usleep(400 * 1000);
	c_org(&r, "L1", "/L/L1x/", 0, 1, o->version_next(b1));
	check(o->row_write(b1, TBL_ORG, x, &r, 0) == STO_WRITTEN, "first dissolves L1");
	committed = ms_now();
	check(o->commit(b1, err, sizeof err) == 0, "commit: %s", err);
	pthread_join(th, NULL);
	check(q.rc == 0, "second's transaction");
	check(q.done >= committed && (int)q.wr == 2 && q.version_seen == 1,
	    "second's ref_scope waited for the dissolution and saw it (%d after %" PRId64 " ms)",
	    (int)q.wr, q.done - q.started);
	report(before, "two connections: row_load FOR UPDATE serialises; an insert race is"
	    " STO_DUP_ID; a reference read waits for its writer");
}

/* --- two engines, one row ------------------------------------------------------------ */

/* One office's push, run on its own engine and connection in a thread. */
struct pusher {
	struct eng e;
	const struct store_actor *who;
	Tongxin__Txn tx;
	Tongxin__Change ch, *chp;
	Tongxin__Txn *txp;
	uint32_t col;
	Tongxin__Value val, before, *valp, *beforep;
	int status;                 /* the result's, -1 when the push failed */
	volatile int done;
};

static void *
pusher_run(void *arg)
{
	struct pusher *q = arg;
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	char err[512] = "";

	req.n_txns = 1;
	req.txns = &q->txp;
	q->status = -1;
	if (engine_push(&q->e, q->who, &req, NULL, &resp, err, sizeof err) != 0)
		fprintf(stderr, "engine_push: %s\n", err);
	else if (resp->n_results == 1)
		q->status = (int)resp->results[0]->status;
	tongxin__push_response__free_unpacked(resp, NULL);
	q->done = 1;
	return NULL;
}

/* An update of column col of member id (base: the row as seen) from who, as sequence seq. */
static void
pusher_make(struct pusher *q, struct pg_sto *b, const struct store_actor *who, const char *id,
    const struct srow *seen, const char *col, const char *value, uint64_t seq, uint64_t hlc)
{
	memset(q, 0, sizeof *q);
	engine_init(&q->e, &sto_pg_ops, b);
	q->who = who;
	q->col = (uint32_t)col_of(TBL_MEMBER, col);
	tongxin__change__init(&q->ch);
	q->ch.table = TBL_MEMBER;
	q->ch.row_id = (char *)id;
	q->ch.op = TONGXIN__CHANGE__OP__OP_UPDATE;
	q->ch.base_version = seen->version;
	q->ch.n_cols = 1;
	q->ch.cols = &q->col;
	value_set_text(&q->val, value);
	q->valp = &q->val;
	q->ch.n_values = 1;
	q->ch.values = &q->valp;
	q->before = seen->v[q->col];   /* borrowed: seen outlives the push */
	q->beforep = &q->before;
	q->ch.n_before = 1;
	q->ch.before = &q->beforep;
	q->chp = &q->ch;
	tongxin__txn__init(&q->tx);
	q->tx.seq = seq;
	q->tx.hlc = hlc;
	q->tx.local_time_ms = (int64_t)(hlc >> 16);
	q->tx.n_changes = 1;
	q->tx.changes = &q->chp;
	q->txp = &q->tx;
}

/* An organisation of kind under parent (NULL: the street), written through the operations. */
static void
seed_org(const struct sto_ops *o, struct pg_sto *b, const char *id, const char *code,
    const char *kind, const char *parent, const char *scope)
{
	struct srow r;

	c_org(&r, code, scope, 0, 0, o->version_next(b));
	value_set_text(&r.v[col_of(TBL_ORG, "kind")], kind);
	if (parent != NULL)
		value_set_text(&r.v[col_of(TBL_ORG, "parent_id")], parent);
	r.hlc = (uint64_t)(now_ms() - 60000) << 16;
	MUST(o->row_write(b, TBL_ORG, id, &r, 1) == STO_WRITTEN, "seed %s: %s", code, o->errmsg(b));
}

/*
 * Two offices' pushes change different columns of one member at once, each
 * on its own engine and connection (two tongxind on one database). A third
 * connection holds the row while both start, so both must wait and then run
 * one after the other: the second must load the row as the first committed
 * it (row_load FOR UPDATE) and merge, keeping both columns. Read without the
 * lock, both would merge into the row as it was, and the second write would
 * take back the first one's column: a lost update.
 */
static void
t_race(const struct sto_ops *o, struct pg_sto *b1, struct pg_sto *b2, struct pg_sto *b3)
{
	static const struct store_actor who[2] = {
		{ "dev-race-a", "甲", "admin", "/S01/", "甲" },
		{ "dev-race-b", "乙", "admin", "/S01/", "乙" },
	};
	int before = failures;
	char err[256] = "", st[ID_TEXT_LEN + 1], sq[ID_TEXT_LEN + 1], br[ID_TEXT_LEN + 1];
	char m[ID_TEXT_LEN + 1], idn[19];
	const char *mid = m;
	struct srow r, seen;
	struct pusher q[2];
	pthread_t th[2];
	uint64_t hlc = (uint64_t)(now_ms() - 30000) << 16;
	PGresult *res;
	const struct table_def *td = &schema_tables[TBL_MEMBER];

	MUST(id_new(st) == 0 && id_new(sq) == 0 && id_new(br) == 0 && id_new(m) == 0, "id_new");
	/* GB 11643: the 17th digit odd for a man. */
	snprintf(idn, sizeof idn, "11010519800402%02d%d", (int)(now_ms() % 100),
	    1 + 2 * (int)(now_ms() % 5));
	idn[17] = id_number_check_char(idn);
	idn[18] = '\0';
	check(o->begin(b1, err, sizeof err) == 0, "begin: %s", err);
	seed_org(o, b1, st, "S01", "street", NULL, "/S01/");
	seed_org(o, b1, sq, "SQ01", "community", st, "/S01/SQ01/");
	seed_org(o, b1, br, "B1", "branch", sq, "/S01/SQ01/B1/");
	memset(&r, 0, sizeof r);
	value_set_text(&r.v[col_of(TBL_MEMBER, "name")], "张建国");
	value_set_text(&r.v[col_of(TBL_MEMBER, "gender")], "male");
	value_set_text(&r.v[col_of(TBL_MEMBER, "ethnicity")], "汉族");
	value_set_text(&r.v[col_of(TBL_MEMBER, "id_number")], idn);
	value_set_text(&r.v[col_of(TBL_MEMBER, "birth_date")], "1980-04-02");
	value_set_text(&r.v[col_of(TBL_MEMBER, "education")], "bachelor");
	value_set_text(&r.v[col_of(TBL_MEMBER, "category")], "full");
	value_set_text(&r.v[col_of(TBL_MEMBER, "org_id")], br);
	value_set_text(&r.v[col_of(TBL_MEMBER, "join_date")], "2005-07-01");
	value_set_text(&r.v[col_of(TBL_MEMBER, "full_date")], "2006-07-01");
	value_set_text(&r.v[col_of(TBL_MEMBER, "standing")], "normal");
	snprintf(r.scope, sizeof r.scope, "/S01/SQ01/B1/");
	r.hlc = hlc;
	r.version = o->version_next(b1);
	check(o->row_write(b1, TBL_MEMBER, m, &r, 1) == STO_WRITTEN, "seed member: %s",
	    o->errmsg(b1));
	check(o->commit(b1, err, sizeof err) == 0, "commit: %s", err);
	MUST(o->row_load(b1, TBL_MEMBER, m, &seen) == 0 && seen.exists, "member");
	snprintf(race_member, sizeof race_member, "%s", m);

	/* The third connection holds the row while both pushes start. */
	res = PQexecParams(pg_sto_conn(b3), "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
	PQclear(res);
	res = PQexecParams(pg_sto_conn(b3), "SELECT 1 FROM member WHERE id = $1 FOR UPDATE", 1,
	    NULL, &mid, NULL, NULL, 0);
	MUST(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "lock: %s",
	    PQresultErrorMessage(res));
	PQclear(res);
	pusher_make(&q[0], b1, &who[0], m, &seen, "job", "甲写的岗位", 1, hlc + (10 << 16));
	pusher_make(&q[1], b2, &who[1], m, &seen, "address", "乙写的住址", 1, hlc + (11 << 16));
	for (int i = 0; i < 2; i++)
		MUST(pthread_create(&th[i], NULL, pusher_run, &q[i]) == 0, "pthread_create");
	usleep(400 * 1000);
	check(!q[0].done && !q[1].done, "both pushes wait for the row");
	res = PQexecParams(pg_sto_conn(b3), "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
	PQclear(res);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		check(q[i].status == TONGXIN__TXN_RESULT__STATUS__APPLIED ||
		    q[i].status == TONGXIN__TXN_RESULT__STATUS__MERGED,
		    "push %d: applied or merged (status %d)", i, q[i].status);
		engine_free(&q[i].e);
	}
	check(o->row_load(b1, TBL_MEMBER, m, &r) == 0 && r.exists, "member after");
	check(r.v[col_of(TBL_MEMBER, "job")].kind_case == TONGXIN__VALUE__KIND_S &&
	    strcmp(r.v[col_of(TBL_MEMBER, "job")].s, "甲写的岗位") == 0,
	    "the first push's column is kept (no lost update)");
	check(r.v[col_of(TBL_MEMBER, "address")].kind_case == TONGXIN__VALUE__KIND_S &&
	    strcmp(r.v[col_of(TBL_MEMBER, "address")].s, "乙写的住址") == 0,
	    "the second push's column is kept");
	check(r.version > seen.version, "the row has a later version");
	for (int c = 0; c < td->ncols; c++)
		if (c != col_of(TBL_MEMBER, "job") && c != col_of(TBL_MEMBER, "address"))
			check(value_eq(&r.v[c], &seen.v[c]), "column %s untouched", td->cols[c].name);
	srow_clear(&r);
	srow_clear(&seen);
	report(before, "two engines on two connections merge one row's columns one after the other"
	    " (no lost update)");
}

/* --- the in-flight bound ------------------------------------------------------------ */

static uint64_t
safe(struct pg_sto *b)
{
	uint64_t s = 0;

	MUST(pg_sto_safe_version(b, &s) == 0, "pg_sto_safe_version: %s", sto_pg_ops.errmsg(b));
	return s;
}

static void
t_safe(const struct sto_ops *o, struct pg_sto *w1, struct pg_sto *w2, struct pg_sto *rd)
{
	int before = failures;
	char err[256] = "";
	uint64_t v1, v2, s0, s;

	s0 = safe(rd);
	check(o->begin(w1, err, sizeof err) == 0, "begin: %s", err);
	v1 = o->version_next(w1);
	check(v1 > s0, "a new version is above the bound before it (%" PRIu64 " > %" PRIu64 ")",
	    v1, s0);
	s = safe(rd);
	check(s < v1, "in flight: the bound stays below it (%" PRIu64 " < %" PRIu64 ")", s, v1);
	/* A later writer takes and commits a higher version: still held below v1. */
	check(o->begin(w2, err, sizeof err) == 0, "begin: %s", err);
	v2 = o->version_next(w2);
	check(v2 > v1, "the later writer's version is higher");
	check(o->commit(w2, err, sizeof err) == 0, "commit: %s", err);
	s = safe(rd);
	check(s < v1, "a later version committed, the first still in flight: below it (%" PRIu64
	    " < %" PRIu64 ")", s, v1);
	/* A later writer whose transaction is open but has taken nothing yet. */
	check(o->begin(w2, err, sizeof err) == 0, "begin: %s", err);
	check(o->commit(w1, err, sizeof err) == 0, "commit: %s", err);
	s = safe(rd);
	check(s >= v2, "first committed: the bound passes both (%" PRIu64 " >= %" PRIu64 ")", s, v2);
	v1 = o->version_next(w2);
	s = safe(rd);
	check(s < v1 && s >= v2, "an open writer's version taken after its begin: held below it"
	    " (%" PRIu64 " in [%" PRIu64 ", %" PRIu64 "))", s, v2, v1);
	o->rollback(w2);
	s = safe(rd);
	check(s >= v1, "rolled back: the bound passes its version (a gap) (%" PRIu64 " >= %" PRIu64
	    ")", s, v1);
	report(before, "in flight: pg_sto_safe_version never reaches an open transaction's version");
}

/*
 * The bound under load, as a pull uses it: writers on their own connections
 * take versions, write a row each, wait a little and commit or roll back,
 * while a reader computes the bound and then counts the rows at or below
 * it. Once all is over, every committed row at or below a bound must have
 * been counted when that bound was read: a pull up to it would have missed
 * none (a row committed later below the bound is a version the pull passed
 * while it was in flight).
 */
#define STRESS_WRITERS 4
#define STRESS_TXNS 40
#define STRESS_READS 4000

struct stress_writer {
	struct pg_sto *b;
	int no;
	unsigned seed;
	int rc;
};

static int stress_done;   /* writers finished (atomic) */

static void *
stress_write(void *arg)
{
	struct stress_writer *w = arg;
	char err[256], id[ID_TEXT_LEN + 1], code[32];
	struct srow r;

	for (int i = 0; i < STRESS_TXNS && w->rc == 0; i++) {
		if (sto_pg_ops.begin(w->b, err, sizeof err) != 0) {
			w->rc = -1;
			break;
		}
		usleep((useconds_t)(rand_r(&w->seed) % 2000));
		MUST(id_new(id) == 0, "id_new");
		snprintf(code, sizeof code, "W%d-%d", w->no, i);
		c_org(&r, code, "/W/", 0, 0, sto_pg_ops.version_next(w->b));
		if (sto_pg_ops.row_write(w->b, TBL_ORG, id, &r, 1) != STO_WRITTEN)
			w->rc = -1;
		usleep((useconds_t)(rand_r(&w->seed) % 3000));
		if (rand_r(&w->seed) % 4 == 0)
			sto_pg_ops.rollback(w->b);
		else if (sto_pg_ops.commit(w->b, err, sizeof err) != 0)
			w->rc = -1;
	}
	__atomic_add_fetch(&stress_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void
t_safe_stress(struct pg_sto *rd, struct pg_sto *w[STRESS_WRITERS])
{
	int before = failures, n = 0, missed = 0, worst = 0, finished = 0;
	static uint64_t bound[STRESS_READS];
	static int64_t counted[STRESS_READS];
	struct stress_writer sw[STRESS_WRITERS];
	pthread_t th[STRESS_WRITERS];
	char sql[64], got[32], arg[24];
	const char *a = arg;
	uint64_t lo;
	int64_t t0 = ms_now();

	/* Only the rows the writers make: above the highest version now. */
	lo = safe(rd);
	sql1(rd, "SELECT coalesce(max(_version), 0) FROM org", NULL, got, sizeof got);
	if (strtoull(got, NULL, 10) > lo)
		lo = strtoull(got, NULL, 10);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM org WHERE _version > %" PRIu64
	    " AND _version <= $1", lo);
	stress_done = 0;
	for (int i = 0; i < STRESS_WRITERS; i++) {
		sw[i] = (struct stress_writer){ .b = w[i], .no = i, .seed = (unsigned)(i * 7919 + t0) };
		MUST(pthread_create(&th[i], NULL, stress_write, &sw[i]) == 0, "pthread_create");
	}
	/* The reader, while the writers run (the first bound may come before any write). */
	while (n < STRESS_READS) {
		int done = __atomic_load_n(&stress_done, __ATOMIC_SEQ_CST) == STRESS_WRITERS;
		PGresult *r;

		bound[n] = safe(rd);
		snprintf(arg, sizeof arg, "%" PRIu64, bound[n]);
		r = PQexecParams(pg_sto_conn(rd), sql, 1, NULL, &a, NULL, NULL, 0);
		MUST(PQresultStatus(r) == PGRES_TUPLES_OK, "count: %s", PQresultErrorMessage(r));
		counted[n++] = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if ((finished = done))
			break;   /* one more bound after the last commit: it must pass everything */
	}
	for (int i = 0; i < STRESS_WRITERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < STRESS_WRITERS; i++)
		check(sw[i].rc == 0, "writer %d: %s", i, sto_pg_ops.errmsg(w[i]));
	/* Now every row is decided: each bound's count must be the final count below it. */
	for (int i = 0; i < n; i++) {
		PGresult *r;
		int64_t now;

		snprintf(arg, sizeof arg, "%" PRIu64, bound[i]);
		r = PQexecParams(pg_sto_conn(rd), sql, 1, NULL, &a, NULL, NULL, 0);
		MUST(PQresultStatus(r) == PGRES_TUPLES_OK, "count: %s", PQresultErrorMessage(r));
		now = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if (now != counted[i]) {
			missed++;
			if (now - counted[i] > worst)
				worst = (int)(now - counted[i]);
		}
	}
	check(missed == 0, "%d of %d bounds passed a version still in flight (up to %d rows"
	    " committed below a bound after it was read)", missed, n, worst);
	sql1(rd, "SELECT count(*) FROM org WHERE _version > $1", (snprintf(arg, sizeof arg,
	    "%" PRIu64, lo), arg), got, sizeof got);
	printf("# %d writers x %d transactions (a quarter rolled back), %d bounds read, %s rows"
	    " committed, %" PRId64 " ms\n", STRESS_WRITERS, STRESS_TXNS, n, got, ms_now() - t0);
	check(n > 10 && strtoll(got, NULL, 10) > 0, "the reader read while the writers wrote");
	check(!finished || counted[n - 1] == strtoll(got, NULL, 10),
	    "with every writer done, the bound passes every committed row (%" PRId64 " of %s)",
	    counted[n - 1], got);
	report(before, "in flight, under load: no bound ever passed a version committed later");
}

/* --- a few timings -------------------------------------------------------------------- */

static void
t_timing(const struct sto_ops *o, struct pg_sto *b)
{
	char err[256] = "", id[ID_TEXT_LEN + 1], code[16];
	struct srow r;
	int64_t t0 = ms_now(), t1;
	const int n = 500;

	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	for (int i = 0; i < n; i++) {
		MUST(id_new(id) == 0, "id_new");
		snprintf(code, sizeof code, "T%d", i);
		c_org(&r, code, "/T/", 0, 0, o->version_next(b));
		check(o->row_write(b, TBL_ORG, id, &r, 1) == STO_WRITTEN, "timing insert");
		check(o->row_load(b, TBL_ORG, id, &r) == 0 && r.exists, "timing load");
		srow_clear(&r);
	}
	check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);
	t1 = ms_now();
	printf("# %d x (version_next, insert, row_load FOR UPDATE) in one transaction: %" PRId64
	    " ms (%.1f us each)\n", n, t1 - t0, (double)(t1 - t0) * 1000.0 / n);
	t0 = ms_now();
	for (int i = 0; i < 100; i++) {
		check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
		check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);
	}
	printf("# 100 x empty begin (with the in-flight mark) + commit: %" PRId64 " ms\n",
	    ms_now() - t0);
}

/* --- broken connections and timeouts ------------------------------------------------ */

/* A connection of the test's own (a second client of the database). */
static PGconn *
other_conn(void)
{
	PGconn *c = PQconnectdb(uri);

	MUST(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

/* End the store's server process from another connection, and wait until it is gone. */
static void
kill_backend(PGconn *other, struct pg_sto *b)
{
	char pid[16];
	const char *arg = pid;
	PGresult *r;
	int gone = 0;

	snprintf(pid, sizeof pid, "%d", PQbackendPID(pg_sto_conn(b)));
	r = PQexecParams(other, "SELECT pg_terminate_backend($1::int)", 1, NULL, &arg, NULL, NULL, 0);
	MUST(PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0,
	    "pg_terminate_backend(%s): %s", pid, PQresultErrorMessage(r));
	PQclear(r);
	for (int i = 0; i < 500 && !gone; i++) {
		r = PQexecParams(other, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", 1,
		    NULL, &arg, NULL, NULL, 0);
		MUST(PQresultStatus(r) == PGRES_TUPLES_OK, "pg_stat_activity: %s",
		    PQresultErrorMessage(r));
		gone = strcmp(PQgetvalue(r, 0, 0), "0") == 0;
		PQclear(r);
		if (!gone)
			usleep(10 * 1000);
	}
	MUST(gone, "server process %s still there 5 s after pg_terminate_backend", pid);
}

/* Whether row id of the organisations is there with code (0: not there). */
static int
org_code_is(const struct sto_ops *o, struct pg_sto *b, const char *id, const char *code)
{
	struct srow r;
	int ok;

	if (o->row_load(b, TBL_ORG, id, &r) != 0)
		return -1;
	ok = r.exists && strcmp(r.v[col_of(TBL_ORG, "code")].s, code) == 0;
	srow_clear(&r);
	return ok;
}

/*
 * The server process of a store's connection ends (as when PostgreSQL
 * restarts or a network cut ends the session): between two transactions
 * the next begin connects again and goes on with the data intact; in the
 * middle of one, it fails and leaves nothing; outside a transaction the
 * operation that meets the break runs again on a new session (pg_run too,
 * the public store's reads, store_pgs.c), and after pg_run's reset the
 * store prepares its statements again.
 */
static void
t_reconnect(const struct sto_ops *o)
{
	int before = failures;
	struct pg_sto *b = must_open(0);
	PGconn *other = other_conn();
	char err[256] = "", x[ID_TEXT_LEN + 1], y[ID_TEXT_LEN + 1], z[ID_TEXT_LEN + 1];
	char got[64];
	struct srow r;
	int pid, rc;
	PGresult *res;

	MUST(id_new(x) == 0 && id_new(y) == 0 && id_new(z) == 0, "id_new");
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	c_org(&r, "Z1", "/Z/Z1/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, x, &r, 1) == STO_WRITTEN, "insert Z1");
	check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);

	/* Between two transactions: the next begin notices, connects again, goes on. */
	pid = PQbackendPID(pg_sto_conn(b));
	kill_backend(other, b);
	err[0] = '\0';
	rc = o->begin(b, err, sizeof err);
	check(rc == 0, "begin after the server process was ended connects again: %s", err);
	check(PQbackendPID(pg_sto_conn(b)) != pid, "a new server process (%d, was %d)",
	    PQbackendPID(pg_sto_conn(b)), pid);
	check(org_code_is(o, b, x, "Z1") == 1, "the committed row is intact");
	c_org(&r, "Z2", "/Z/Z2/", 0, 0, o->version_next(b));
	check(r.version > 0, "a version is taken on the new session");
	check(o->row_write(b, TBL_ORG, y, &r, 1) == STO_WRITTEN, "insert Z2 on the new session");
	check(o->commit(b, err, sizeof err) == 0, "commit on the new session: %s", err);
	sql1(b, "SELECT current_setting('synchronous_commit') || ' '"
	    " || current_setting('lock_timeout') || ' '"
	    " || current_setting('idle_in_transaction_session_timeout')", NULL, got, sizeof got);
	check(strcmp(got, "on 10s 1min") == 0, "the new session has the store's settings: %s", got);

	/* In the middle of a transaction: it fails, and leaves nothing. */
	check(o->begin(b, err, sizeof err) == 0, "begin: %s", err);
	c_org(&r, "Z3", "/Z/Z3/", 0, 0, o->version_next(b));
	check(o->row_write(b, TBL_ORG, z, &r, 1) == STO_WRITTEN, "insert Z3");
	kill_backend(other, b);
	c_org(&r, "Z1", "/Z/Z1x/", 0, 0, o->version_next(b));
	rc = o->row_write(b, TBL_ORG, x, &r, 0) == STO_FAILED;
	rc = rc && o->commit(b, err, sizeof err) != 0;
	check(rc, "a transaction broken in the middle fails (%s)", o->errmsg(b));
	o->rollback(b);
	check(o->begin(b, err, sizeof err) == 0, "the next begin connects again: %s", err);
	check(org_code_is(o, b, z, "Z3") == 0, "the broken transaction's insert is not there");
	check(org_code_is(o, b, x, "Z1") == 1 && org_code_is(o, b, y, "Z2") == 1,
	    "the rows committed before are intact");
	res = PQexecParams(pg_sto_conn(b), "SELECT _scope FROM org WHERE id = $1", 1, NULL,
	    (const char *const[]){ x }, NULL, NULL, 0);
	check(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    strcmp(PQgetvalue(res, 0, 0), "/Z/Z1/") == 0, "and the broken update is not there");
	PQclear(res);
	check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);

	/* Outside a transaction: a read that meets the break runs again on a new session. */
	pid = PQbackendPID(pg_sto_conn(b));
	kill_backend(other, b);
	check(org_code_is(o, b, x, "Z1") == 1, "a read outside a transaction that meets the"
	    " break connects again and works");
	check(PQbackendPID(pg_sto_conn(b)) != pid, "on a new server process");

	/* pg_run (store_pgs.c's reads) too; the store then prepares its statements again. */
	pid = PQbackendPID(pg_sto_conn(b));
	kill_backend(other, b);
	res = pg_run(pg_sto_conn(b), "test", "SELECT 1", NULL, err, sizeof err);
	check(res != NULL && PQbackendPID(pg_sto_conn(b)) != pid,
	    "pg_run outside a transaction that meets the break connects again: %s",
	    res ? "" : err);
	PQclear(res);
	/* Inside a transaction it fails (the transaction is gone); the next pg_run works. */
	res = pg_run(pg_sto_conn(b), "test", "BEGIN", NULL, err, sizeof err);
	PQclear(res);
	kill_backend(other, b);
	res = pg_run(pg_sto_conn(b), "test", "SELECT 1", NULL, err, sizeof err);
	check(res == NULL, "pg_run inside a transaction that meets the break fails");
	PQclear(res);
	res = pg_run(pg_sto_conn(b), "test", "SELECT 1", NULL, err, sizeof err);
	check(res != NULL, "the next pg_run connects again: %s", res ? "" : err);
	PQclear(res);
	check(o->begin(b, err, sizeof err) == 0, "begin after pg_run's reset: %s", err);
	check(org_code_is(o, b, y, "Z2") == 1, "its statements are there again");
	check(o->commit(b, err, sizeof err) == 0, "commit: %s", err);

	PQfinish(other);
	pg_sto_close(b);
	report(before, "a lost connection: the next begin (or read) connects again; a broken"
	    " transaction fails and leaves nothing");
}

/* The second connection loads a row in its write transaction (rc: row_load's, or -1). */
static void *
peer_lock(void *arg)
{
	struct peer *q = arg;

	q->started = ms_now();
	q->rc = org_code_is(q->o, q->b, q->id, "Y1") == 1 ? 0 : -1;
	q->done = ms_now();
	return NULL;
}

/*
 * A stuck peer cannot hold others for ever: with lock_timeout short (the
 * environment, for the test), a row_load that waits for a row another
 * connection holds gives up (55P03) and its transaction fails and rolls
 * back; the holder commits. A session idle in a transaction past its
 * timeout is ended by the server, and the next begin connects again.
 */
static void
t_timeouts(const struct sto_ops *o)
{
	int before = failures;
	struct pg_sto *hold, *wait;
	char err[256] = "", x[ID_TEXT_LEN + 1], got[64];
	struct srow r;
	int64_t t0, waited;
	int rc;

	setenv("TX_PG_LOCK_TIMEOUT_MS", "300", 1);
	setenv("TX_PG_IDLE_TIMEOUT_MS", "600", 1);
	hold = must_open(0);
	wait = must_open(0);
	unsetenv("TX_PG_LOCK_TIMEOUT_MS");
	unsetenv("TX_PG_IDLE_TIMEOUT_MS");
	sql1(wait, "SELECT current_setting('lock_timeout')", NULL, got, sizeof got);
	check(strcmp(got, "300ms") == 0, "lock_timeout from the environment: %s", got);

	MUST(id_new(x) == 0, "id_new");
	check(o->begin(hold, err, sizeof err) == 0, "begin: %s", err);
	c_org(&r, "Y1", "/Y/Y1/", 0, 0, o->version_next(hold));
	check(o->row_write(hold, TBL_ORG, x, &r, 1) == STO_WRITTEN, "insert Y1");
	check(o->commit(hold, err, sizeof err) == 0, "commit: %s", err);

	check(o->begin(hold, err, sizeof err) == 0, "begin: %s", err);
	check(org_code_is(o, hold, x, "Y1") == 1, "the holder loads (and locks) Y1");
	check(o->begin(wait, err, sizeof err) == 0, "begin: %s", err);
	t0 = ms_now();
	rc = o->row_load(wait, TBL_ORG, x, &r);
	waited = ms_now() - t0;
	check(rc == -1 && strstr(o->errmsg(wait), "55P03") != NULL,
	    "the waiter's row_load gives up with 55P03: %d %s", rc, o->errmsg(wait));
	check(waited >= 250 && waited < 5000, "after lock_timeout (%" PRId64 " ms)", waited);
	o->rollback(wait);
	c_org(&r, "Y1", "/Y/Y1x/", 0, 0, o->version_next(hold));
	check(o->row_write(hold, TBL_ORG, x, &r, 0) == STO_WRITTEN, "the holder updates Y1");
	check(o->commit(hold, err, sizeof err) == 0, "the holder commits: %s", err);
	check(o->begin(wait, err, sizeof err) == 0, "the waiter begins again: %s", err);
	check(o->row_load(wait, TBL_ORG, x, &r) == 0 && r.exists &&
	    strcmp(r.scope, "/Y/Y1x/") == 0, "and reads the holder's update");
	srow_clear(&r);
	check(o->commit(wait, err, sizeof err) == 0, "commit: %s", err);

	/*
	 * A push that meets a row held past lock_timeout fails whole: the
	 * device is answered with an error (server.c: ERR_INTERNAL, "sync
	 * again later"), not a verdict on its data; sent again once the row is
	 * free, it is applied.
	 */
	if (race_member[0] != '\0') {
		static const struct store_actor who = { "dev-race-a", "甲", "admin", "/S01/", "甲" };
		const char *mid = race_member;
		PGconn *other = other_conn();
		struct pusher q;
		struct srow seen;
		PGresult *res;

		MUST(o->row_load(wait, TBL_MEMBER, mid, &seen) == 0 && seen.exists, "member");
		raw(other, "BEGIN");
		res = PQexecParams(other, "SELECT 1 FROM member WHERE id = $1 FOR UPDATE", 1, NULL,
		    &mid, NULL, NULL, 0);
		MUST(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "lock: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		pusher_make(&q, wait, &who, mid, &seen, "job", "超时后重发的岗位", 2,
		    (uint64_t)(now_ms() - 1000) << 16);
		t0 = ms_now();
		pusher_run(&q);
		waited = ms_now() - t0;
		check(q.status == -1 && waited >= 250 && waited < 5000, "a push that waits for a held"
		    " row past lock_timeout fails as a whole (status %d after %" PRId64 " ms)",
		    q.status, waited);
		raw(other, "COMMIT");
		pusher_run(&q);
		check(q.status == TONGXIN__TXN_RESULT__STATUS__APPLIED ||
		    q.status == TONGXIN__TXN_RESULT__STATUS__MERGED,
		    "sent again once the row is free, it is applied (status %d)", q.status);
		check(o->row_load(wait, TBL_MEMBER, mid, &r) == 0 && r.exists &&
		    r.v[col_of(TBL_MEMBER, "job")].kind_case == TONGXIN__VALUE__KIND_S &&
		    strcmp(r.v[col_of(TBL_MEMBER, "job")].s, "超时后重发的岗位") == 0,
		    "the member has the push's value");
		srow_clear(&r);
		engine_free(&q.e);
		srow_clear(&seen);
		PQfinish(other);
	}

	/* Idle in a transaction past the timeout: the server ends the session. */
	check(o->begin(hold, err, sizeof err) == 0, "begin: %s", err);
	check(org_code_is(o, hold, x, "Y1") == 1, "the holder locks Y1 again");
	usleep(1200 * 1000);
	check(o->begin(wait, err, sizeof err) == 0, "begin: %s", err);
	check(org_code_is(o, wait, x, "Y1") == 1, "the idle holder's lock is gone: the row loads");
	check(o->commit(wait, err, sizeof err) == 0, "commit: %s", err);
	check(org_code_is(o, hold, x, "Y1") == -1, "the idle holder's transaction fails");
	o->rollback(hold);
	check(o->begin(hold, err, sizeof err) == 0, "and its next begin connects again: %s", err);
	check(org_code_is(o, hold, x, "Y1") == 1, "and reads");
	check(o->commit(hold, err, sizeof err) == 0, "commit: %s", err);

	pg_sto_close(hold);
	pg_sto_close(wait);

	/* A deadlock (the store's own timeouts: PostgreSQL finds it first): one side fails, 40P01. */
	{
		struct pg_sto *d1 = must_open(0), *d2 = must_open(0);
		char x2[ID_TEXT_LEN + 1];
		struct peer q = { .o = o, .b = d2, .id = x };
		pthread_t th;
		int rc1;

		MUST(id_new(x2) == 0, "id_new");
		check(o->begin(d1, err, sizeof err) == 0, "begin: %s", err);
		c_org(&r, "Y2", "/Y/Y2/", 0, 0, o->version_next(d1));
		check(o->row_write(d1, TBL_ORG, x2, &r, 1) == STO_WRITTEN, "insert Y2");
		check(o->commit(d1, err, sizeof err) == 0, "commit: %s", err);
		check(o->begin(d1, err, sizeof err) == 0 && o->begin(d2, err, sizeof err) == 0,
		    "begin: %s", err);
		check(org_code_is(o, d1, x, "Y1") == 1 && org_code_is(o, d2, x2, "Y2") == 1,
		    "each side locks one row");
		MUST(pthread_create(&th, NULL, peer_lock, &q) == 0, "pthread_create");
		usleep(200 * 1000);
		rc1 = org_code_is(o, d1, x2, "Y2");
		pthread_join(th, NULL);
		check((rc1 == -1) != (q.rc == -1), "a deadlock fails exactly one side (%d, %d)", rc1,
		    q.rc);
		check(strstr(o->errmsg(rc1 == -1 ? d1 : d2), "40P01") != NULL,
		    "with SQLSTATE 40P01: %s", o->errmsg(rc1 == -1 ? d1 : d2));
		o->rollback(rc1 == -1 ? d1 : d2);
		check(o->commit(rc1 == -1 ? d2 : d1, err, sizeof err) == 0,
		    "the other side commits: %s", err);
		pg_sto_close(d1);
		pg_sto_close(d2);
	}
	report(before, "timeouts: a row lock wait gives up after lock_timeout (55P03); a deadlock"
	    " fails one side (40P01); a session idle in a transaction is ended and the next begin"
	    " connects again");
}

int
main(int argc, char **argv)
{
	struct pg_sto *b1, *b2, *b3;
	const struct sto_ops *o = &sto_pg_ops;
	int64_t t0 = ms_now();

	if (argc != 2) {
		fprintf(stderr, "usage: test_pg_sto URI\n");
		return 2;
	}
	uri = argv[1];
	t_open();
	b1 = must_open(0);
	b2 = must_open(0);
	b3 = must_open(0);
	t_contract(o, b1);
	t_values(o, b1);
	t_unique(o, b1);
	t_locks(o, b1, b2);
	t_safe(o, b1, b2, b3);
	empty_database();   /* the street's codes again, in a schema of their own */
	pg_sto_close(b1);
	pg_sto_close(b2);
	pg_sto_close(b3);
	b1 = must_open(1);
	b2 = must_open(0);
	b3 = must_open(0);
	t_race(o, b1, b2, b3);
	{
		struct pg_sto *w[STRESS_WRITERS];
		for (int i = 0; i < STRESS_WRITERS; i++)
			w[i] = must_open(0);
		t_safe_stress(b3, w);
		for (int i = 0; i < STRESS_WRITERS; i++)
			pg_sto_close(w[i]);
	}
	t_timing(o, b1);
	t_reconnect(o);
	t_timeouts(o);
	pg_sto_close(b1);
	pg_sto_close(b2);
	pg_sto_close(b3);
	printf("# %d checks, %d failed, %" PRId64 " ms\n", checks, failures, ms_now() - t0);
	return failures ? 1 : 0;
}
