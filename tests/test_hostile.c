/*
 * test_hostile.c - a hostile or broken office changes nothing outside its
 * scope, learns nothing, and crashes nothing (issue 8; PRODUCT.md
 * "Security" and invariants 2, 6 and 8).
 *
 * A real tongxind on a private port with real certificates. The street
 * JD01 with its administrator's device A; communities SQ01 (branch SQ01B1)
 * and SQ02 (branch SQ02B1) with members; office devices O1 and O1b (SQ01)
 * and O2 (SQ02). The attackers hold legitimate office credentials and use
 * either their replica's capture API (which records without validating) or
 * hostile.h, a raw session that sends any Txn the proto allows.
 *
 * For every hostile transaction the test asserts:
 *   - the status of the result (and, where it matters, its kind and words);
 *   - the server's database is byte for byte unchanged outside the
 *     attacker's scope: SHA-256 digests of every data table's rows whose
 *     _scope and _scope2 both lie outside the attacker's subtree, of the
 *     audit and evict tables, of other devices' conflicts and txn_log rows,
 *     and of the attacker's own conflicts (which may grow by exactly one
 *     when a conflict is the expected answer), read through a separate
 *     SQLite connection before and after;
 *   - the reason names nothing outside the attacker's scope: no row id,
 *     scope path or text value (names, citizen IDs, codes, phones) of a row
 *     outside it, other than what the attacker itself sent;
 *   - the server keeps serving: a valid transaction from another device is
 *     applied afterwards, and the server's log holds no sanitizer report.
 *
 * The cases (one function each, numbered as in the test plan):
 *   1. transfer hijack: O2 requests and accepts a transfer of an SQ01
 *      member into SQ02; O1 accepts its own request; after a legitimate
 *      transfer SQ01 -> SQ02 O1 tries to take the member back and to
 *      re-open or alter the decided transfer;
 *   2. ids leak: a citizen-ID clash with an SQ01 member (a conflict whose
 *      reason names nothing of SQ01), a primary-key clash with an SQ01 row,
 *      and an update / delete of an SQ01 row id that must read exactly like
 *      one of an id that does not exist;
 *   3. planted conflict: O1 re-sends its own used sequences with a change
 *      naming column 40, column 10^8, an SQ02 member (each rejected, no
 *      conflict queued) and a valid change (queued as reused_seq); then
 *      conflicts whose transaction names column 40 / 10^8 are planted in the
 *      database directly and the administrator takes the office's side:
 *      a clear error, no crash, the conflict stays open;
 *   4. take-office with the office's scope: O1's edit of a member the
 *      street moved to SQ02 (a `transferred` conflict), and a planted
 *      conflict of O1 that edits an SQ02 member: take-office is refused;
 *   5. the own community's root: O1 deletes, dissolves or re-kinds SQ01's
 *      organisation row (rejected; O1 still syncs), or changes its
 *      secretary (applied);
 *   6. HLC: a valid change stamped 2^64-2 is applied, but stored with a
 *      sane clock, and a later newer-wins edit with a normal clock wins;
 *   7. conflict-queue limit: 1,010 citizen-ID clashes from O1 fill the
 *      queue to exactly 1,000 open conflicts; the rest are rejected with a
 *      reason that says so; the administrator's device list still works;
 *   8. conflicts show names the author of the server's clashing value, not
 *      the last writer of the row.
 *
 * Soft mode: every check that fails prints a "FAIL" line with its case and
 * the run goes on, so one run shows every gap; the test fails at the end
 * with a summary per case. The seed is printed (TX_SEED reruns it).
 */
#include "sync_harness.h"
#include "hostile.h"
#include "reason.h"
#include "replica_int.h"

#include <openssl/evp.h>

#define NS1 8     /* SQ01 members made by the street */
#define NS2 4     /* SQ02 members */
#define NCASES 8
#define CONFLICT_LIMIT 1000

static struct h_server S;
static struct h_dev A, O1, O1b, O2;
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], sq1b1[ID_TEXT_LEN + 1];
static char sq2[ID_TEXT_LEN + 1], sq2b1[ID_TEXT_LEN + 1];
static char s1m[NS1][ID_TEXT_LEN + 1], s2m[NS2][ID_TEXT_LEN + 1];

/* ------------------------------------------------------------ soft checks */

static int cur_case;
static const char *cur_title = "setup";
static long case_log_off;
static int fails[NCASES + 1];
static int serving_seq;

static void soft_fail(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
soft_fail(int line, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	h_log("FAIL case %d (%s), line %d: %s", cur_case, cur_title, line, msg);
	fails[cur_case]++;
}

#define SOFT(cond, ...)                                                      \
	do {                                                                 \
		if (!(cond))                                                 \
			soft_fail(__LINE__, __VA_ARGS__);                    \
	} while (0)

/*
 * If the server died (a crash on hostile input), say so, count it and
 * start it again so the other cases still run; wait up to wait_ms for a
 * dying server to exit. Returns 1 if it had died.
 */
static int
ensure_server_wait(long wait_ms)
{
	int st = 0;
	pid_t got = 0;

	for (long waited = 0; S.pid > 0; waited += 20) {
		if ((got = waitpid(S.pid, &st, WNOHANG)) == S.pid || waited >= wait_ms)
			break;
		h_msleep(20);
	}
	if (S.pid > 0 && got == S.pid) {
		S.pid = 0;
		soft_fail(__LINE__, "the server died (%s %d); restarting it", WIFSIGNALED(st) ?
		    "signal" : "exit status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		srv_start(&S);
		return 1;
	}
	if (S.pid == 0)
		srv_start(&S);
	return 0;
}

static int
ensure_server(void)
{
	return ensure_server_wait(0);
}

/* After a request that got no answer: give a crashing server time to finish dying. */
static int
ensure_server_after_silence(void)
{
	return ensure_server_wait(5000);
}

static void
case_begin(int n, const char *title)
{
	cur_case = n;
	cur_title = title;
	case_log_off = h_file_size(S.log);
	h_log("=== case %d: %s", n, title);
}

static void
case_end(void)
{
	static const char *const marks[] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
		"runtime error:", "SUMMARY: UndefinedBehaviorSanitizer" };

	ensure_server();
	for (size_t k = 0; k < sizeof marks / sizeof marks[0]; k++)
		SOFT(!h_file_has(S.log, case_log_off, marks[k]), "the server's log holds a sanitizer "
		    "report (\"%s\") from this case: see %s", marks[k], S.log);
	h_log("=== case %d: %s: %s", cur_case, cur_title, fails[cur_case] ? "FAILED" : "ok");
}

/* ------------------------------------------------------------ server reads */

static void
bundle_of(const struct h_dev *d, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s.bundle", H.tmp, d->name);
}

/* One text value from the server's database ("" if none). */
static void
srv_text(const char *sql, const char *a1, char *buf, size_t cap)
{
	sqlite3 *db = srv_db(&S);
	h_sql_text(db, sql, a1, buf, cap);
	sqlite3_close(db);
}

static int64_t
srv_int(const char *sql, const char *a1, const char *a2)
{
	sqlite3 *db = srv_db(&S);
	int64_t v = h_sql_int(db, sql, a1, a2);
	sqlite3_close(db);
	return v;
}

/* The server's row (t, id) as text, every column and the bookkeeping; "" if none. */
static void
srv_row_text(int t, const char *id, char *buf, size_t cap)
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096];
	size_t n;

	n = (size_t)snprintf(sql, sizeof sql, "SELECT quote(id)");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " || '|' || quote(%s)", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, " || '|' || _version || '|' || _deleted || '|' || _scope"
	    " || '|' || quote(_scope2) || '|' || _hlc || '|' || quote(_device) FROM %s WHERE id = ?1",
	    td->name);
	srv_text(sql, id, buf, cap);
}

/* Column col of the server's row (t, id) as text ("" for NULL or no row). */
static void
srv_col(int t, const char *id, const char *col, char *buf, size_t cap)
{
	char sql[256];

	snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = ?1", col, schema_tables[t].name);
	srv_text(sql, id, buf, cap);
}

/* ---------------------------------------------------------------- digests */

/* SHA-256 (hex) of every column of every row a query returns. */
static void
sql_digest(sqlite3 *db, const char *sql, const char *a1, const char *a2, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char h[32];
	unsigned int hl = 0;
	sqlite3_stmt *st;
	int rc;

	H_CHECK(md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1, "EVP");
	H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "prepare %s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_bind_parameter_count(st) >= 1) {
		if (a1)
			sqlite3_bind_text(st, 1, a1, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 1);
	}
	if (sqlite3_bind_parameter_count(st) >= 2) {
		if (a2)
			sqlite3_bind_text(st, 2, a2, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_null(st, 2);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			unsigned char type = (unsigned char)sqlite3_column_type(st, c);
			uint32_t len;
			EVP_DigestUpdate(md, &type, 1);
			if (type == SQLITE_INTEGER) {
				int64_t v = sqlite3_column_int64(st, c);
				EVP_DigestUpdate(md, &v, sizeof v);
			} else if (type == SQLITE_FLOAT) {
				double v = sqlite3_column_double(st, c);
				EVP_DigestUpdate(md, &v, sizeof v);
			} else if (type != SQLITE_NULL) {
				const void *p = type == SQLITE_BLOB ? sqlite3_column_blob(st, c) :
				    (const void *)sqlite3_column_text(st, c);
				len = (uint32_t)sqlite3_column_bytes(st, c);
				EVP_DigestUpdate(md, &len, sizeof len);
				if (len)
					EVP_DigestUpdate(md, p, len);
			}
		}
		EVP_DigestUpdate(md, "\n", 1);
	}
	H_CHECK(rc == SQLITE_DONE, "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* What the server holds outside one device's scope, as digests. */
struct snap {
	char t[TBL_COUNT][65];   /* data rows whose _scope and _scope2 lie outside */
	char audit[65], evict[65];
	char conf_other[65];     /* conflicts of every other device */
	char conf_att[65];       /* the attacker's own conflicts (queued ones: not "rejected") */
	char txn_other[65];      /* txn_log rows of every other device */
	int64_t att_conf;
	/*
	 * The attacker's refused transactions kept whole in the conflict table
	 * (status "rejected": a reused sequence the server refused; its key is
	 * taken in txn_log). Kept for the record, never in the queue.
	 */
	int64_t att_rej;
};

/*
 * Digests of the server's rows outside scope (NULL: every row) and of the
 * bookkeeping tables; att is the attacker's device id (NULL: none).
 */
static void
snap_take(struct snap *sn, const char *scope, const char *att)
{
	sqlite3 *db = srv_db(&S);
	char sql[512], hi[512];

	memset(sn, 0, sizeof *sn);
	if (scope)
		h_scope_hi(scope, hi, sizeof hi);
	for (int t = 0; t < TBL_COUNT; t++) {
		if (scope)
			snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE NOT ((_scope >= ?1 AND _scope < ?2)"
			    " OR (coalesce(_scope2, '') >= ?1 AND coalesce(_scope2, '') < ?2)) ORDER BY id",
			    schema_tables[t].name);
		else
			snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY id", schema_tables[t].name);
		sql_digest(db, sql, scope, scope ? hi : NULL, sn->t[t]);
	}
	sql_digest(db, "SELECT * FROM audit ORDER BY version", NULL, NULL, sn->audit);
	sql_digest(db, "SELECT * FROM evict ORDER BY version", NULL, NULL, sn->evict);
	sql_digest(db, "SELECT * FROM conflict WHERE device_id <> coalesce(?1, '') ORDER BY id", att,
	    NULL, sn->conf_other);
	sql_digest(db, "SELECT * FROM conflict WHERE device_id = coalesce(?1, '') AND status <> "
	    "'rejected' ORDER BY id", att, NULL, sn->conf_att);
	sql_digest(db, "SELECT * FROM txn_log WHERE device_id <> coalesce(?1, '') ORDER BY device_id,"
	    " seq", att, NULL, sn->txn_other);
	sn->att_conf = h_sql_int(db, "SELECT count(*) FROM conflict WHERE device_id = coalesce(?1, '')"
	    " AND status <> 'rejected'", att, NULL);
	sn->att_rej = h_sql_int(db, "SELECT count(*) FROM conflict WHERE device_id = coalesce(?1, '')"
	    " AND status = 'rejected'", att, NULL);
	sqlite3_close(db);
}

/*
 * Nothing outside the attacker's scope changed: every digest is the same,
 * except that the attacker's conflicts may have grown by exactly
 * conf_delta, and the audit may have grown when allow_audit is set (an
 * expected in-scope change).
 */
static void
snap_expect(const char *what, const struct snap *b, const struct snap *a, int64_t conf_delta,
    int allow_audit)
{
	for (int t = 0; t < TBL_COUNT; t++)
		SOFT(strcmp(b->t[t], a->t[t]) == 0, "%s: the server's %s rows outside the attacker's "
		    "scope changed", what, schema_tables[t].name);
	if (!allow_audit)
		SOFT(strcmp(b->audit, a->audit) == 0, "%s: the audit log changed", what);
	SOFT(strcmp(b->evict, a->evict) == 0, "%s: the eviction log changed", what);
	SOFT(strcmp(b->conf_other, a->conf_other) == 0, "%s: other devices' conflicts changed", what);
	SOFT(strcmp(b->txn_other, a->txn_other) == 0, "%s: other devices' txn_log rows changed", what);
	if (conf_delta == 0)
		SOFT(strcmp(b->conf_att, a->conf_att) == 0, "%s: the conflict queue changed (the "
		    "attacker's conflicts went from %lld to %lld)", what, (long long)b->att_conf,
		    (long long)a->att_conf);
	else
		SOFT(a->att_conf == b->att_conf + conf_delta, "%s: the attacker's conflicts went from "
		    "%lld to %lld, expected +%lld", what, (long long)b->att_conf, (long long)a->att_conf,
		    (long long)conf_delta);
}

/* ----------------------------------------------------------- leak checks */

/* A set of strings (sorted once taken). */
struct strset {
	char **v;
	size_t n, cap;
};

static void
ss_add(struct strset *s, const char *t)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof *s->v);
		H_CHECK(s->v != NULL, "out of memory");
	}
	H_CHECK((s->v[s->n++] = strdup(t)) != NULL, "out of memory");
}

static void
ss_free(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int
ss_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
ss_sort_unique(struct strset *s)
{
	size_t w = 0;

	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, ss_cmp);
	for (size_t i = 0; i < s->n; i++) {
		if (w > 0 && strcmp(s->v[w - 1], s->v[i]) == 0) {
			free(s->v[i]);
			continue;
		}
		s->v[w++] = s->v[i];
	}
	s->n = w;
}

static int
ss_has(const struct strset *s, const char *t)
{
	return s->n > 0 && bsearch(&t, s->v, s->n, sizeof *s->v, ss_cmp) != NULL;
}

/*
 * What a device of this scope must never read in an answer: the ids, scope
 * paths and text values (at least 4 bytes) of the server's rows outside
 * it, minus the values that rows inside it hold as well.
 */
static void
secrets_take(struct strset *sec, const char *scope)
{
	sqlite3 *db = srv_db(&S);
	struct strset in, out;
	char hi[512], sql[4096];

	memset(&in, 0, sizeof in);
	memset(&out, 0, sizeof out);
	memset(sec, 0, sizeof *sec);
	h_scope_hi(scope, hi, sizeof hi);
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		sqlite3_stmt *st;
		size_t n;

		n = (size_t)snprintf(sql, sizeof sql, "SELECT ((_scope >= ?1 AND _scope < ?2) OR "
		    "(coalesce(_scope2, '') >= ?1 AND coalesce(_scope2, '') < ?2)), id, _scope, "
		    "coalesce(_scope2, '')");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
		snprintf(sql + n, sizeof sql - n, " FROM %s", td->name);
		H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
		    sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, scope, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_TRANSIENT);
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct strset *into = sqlite3_column_int(st, 0) ? &in : &out;
			for (int c = 1; c < 4 + td->ncols; c++) {
				const char *v = (const char *)sqlite3_column_text(st, c);
				if (c >= 4) {
					enum col_type ty = td->cols[c - 4].type;
					if (ty != COL_TEXT && ty != COL_REF)
						continue;
				}
				if (v != NULL && strlen(v) >= 4)
					ss_add(into, v);
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	ss_sort_unique(&in);
	ss_sort_unique(&out);
	for (size_t i = 0; i < out.n; i++)
		if (!ss_has(&in, out.v[i]))
			ss_add(sec, out.v[i]);
	ss_free(&in);
	ss_free(&out);
}

/* Replace every occurrence of needle in s by one \x01 byte. */
static void
blank_out(char *s, const char *needle)
{
	size_t nl = strlen(needle);
	char *p;

	if (nl == 0)
		return;
	while ((p = strstr(s, needle)) != NULL) {
		*p = '\x01';
		memmove(p + 1, p + nl, strlen(p + nl) + 1);
	}
}

/*
 * The reason names nothing outside the attacker's scope: after removing
 * what the attacker sent itself (allowed), no secret is left in it.
 */
static void
check_no_leak(const char *what, const char *reason, const struct strset *sec,
    const char *const *allowed, size_t nallowed, const char *own_scope)
{
	char *r = strdup(reason ? reason : "");
	int shown = 0;

	H_CHECK(r != NULL, "out of memory");
	for (size_t i = 0; i < nallowed; i++)
		if (strlen(allowed[i]) >= 4)
			blank_out(r, allowed[i]);
	for (size_t i = 0; i < sec->n && shown < 3; i++) {
		int sent = strstr(own_scope, sec->v[i]) != NULL;
		if (strstr(r, sec->v[i]) == NULL)
			continue;
		for (size_t k = 0; k < nallowed && !sent; k++)
			sent = strstr(allowed[k], sec->v[i]) != NULL;
		if (sent)
			continue;
		soft_fail(__LINE__, "%s: the reason \"%s\" names \"%s\", which lies outside the "
		    "attacker's scope and was not sent by it", what, reason, sec->v[i]);
		shown++;
	}
	free(r);
}

/* -------------------------------------------------------- pushing attacks */

enum { ST_APPLIED, ST_MERGED, ST_CONFLICT, ST_REJECTED, ST_NONE };

static const char *
st_name(int s)
{
	static const char *const n[] = { "applied", "merged", "conflict", "rejected", "no answer" };
	return s >= 0 && s <= ST_NONE ? n[s] : "?";
}

/* One transaction's answer. */
struct res {
	int status;             /* ST_* */
	char reason[2048];
	char cid[40];
	char kind[32];          /* the conflict's kind on the server */
};

/* The next sequence a raw session of d should use (past the replica's and the server's). */
static uint64_t
next_seq(struct h_dev *d)
{
	char dev[64];
	int64_t srv, rep = dev_next_seq(d);

	snprintf(dev, sizeof dev, "%s", d->device_id);
	srv = srv_int("SELECT coalesce(max(seq), 0) FROM txn_log WHERE device_id = ?1", dev, NULL);
	return (uint64_t)(srv + 1 > rep ? srv + 1 : rep);
}

static void
fill_kinds(struct res *out, size_t n)
{
	sqlite3 *db = srv_db(&S);
	for (size_t i = 0; i < n; i++)
		if (out[i].cid[0])
			h_sql_text(db, "SELECT kind FROM conflict WHERE id = ?1", out[i].cid, out[i].kind,
			    sizeof out[i].kind);
	sqlite3_close(db);
}

/*
 * Push txns as device d through a raw session; fill out[0..n-1]. Afterwards
 * the device's replica numbers its own transactions past the pushed ones.
 * -1 if no answer came (counted as a failure; the server is restarted if it
 * died).
 */
static int
raw_push(struct h_dev *d, Tongxin__Txn **txns, size_t n, struct res *out)
{
	char bundle[4300];
	struct hx x;
	Tongxin__Envelope *in = NULL;
	uint64_t maxseq = 0;

	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].status = ST_NONE;
		if (txns[i]->seq > maxseq && txns[i]->seq < (1ull << 40))
			maxseq = txns[i]->seq;
	}
	bundle_of(d, bundle, sizeof bundle);
	if (hx_open(&x, bundle, S.addr, "hostile", 60000) != 0) {
		soft_fail(__LINE__, "%s cannot open a session: %s", d->name, x.err);
		ensure_server_after_silence();
		return -1;
	}
	if (hx_push(&x, txns, n, &in) != 0) {
		soft_fail(__LINE__, "push by %s got no answer: %s", d->name, x.err);
		hx_close(&x);
		ensure_server_after_silence();
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const Tongxin__TxnResult *r = in->push_result->results[i];
		char zh[REASON_TEXT_MAX];
		out[i].status = (int)r->status;
		/*
		 * Both forms of the reason are checked for leaks: the English
		 * sentence and the code with its arguments as the clerk sees them.
		 */
		reason_show(r->reason_code, (const char *const *)r->reason_args, r->n_reason_args,
		    "", zh, sizeof zh);
		snprintf(out[i].reason, sizeof out[i].reason, "%s%s%s", r->reason, zh[0] ? " | " : "",
		    zh);
		SOFT(r->reason[0] == '\0' || r->reason_code != 0, "%s: a reason without a code: \"%s\"",
		    d->name, r->reason);
		SOFT(r->n_reason_args <= REASON_MAX_ARGS, "%s: %zu reason arguments", d->name,
		    r->n_reason_args);
		for (size_t k = 0; k < r->n_reason_args; k++)
			SOFT(strlen(r->reason_args[k]) <= REASON_ARG_MAX, "%s: a reason argument of %zu "
			    "bytes", d->name, strlen(r->reason_args[k]));
		snprintf(out[i].cid, sizeof out[i].cid, "%s", r->conflict_id);
	}
	envelope_free(in);
	hx_close(&x);
	fill_kinds(out, n);
	if (d->r != NULL && maxseq > 0)
		H_CHECK(rep_seq_floor(d->r, maxseq) == 0, "rep_seq_floor");
	return 0;
}

/* The outcome of local transaction seq of d (after a sync). */
static void
outcome_of(struct h_dev *d, int64_t seq, struct res *out)
{
	sqlite3_stmt *st;
	sqlite3 *db = replica_db(d->r);

	memset(out, 0, sizeof *out);
	out->status = ST_NONE;
	H_CHECK(sqlite3_prepare_v2(db, "SELECT status, coalesce(reason, ''), coalesce(conflict_id, '')"
	    " FROM outcome WHERE seq = ?1", -1, &st, NULL) == SQLITE_OK, "prepare outcome");
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		out->status = strcmp(s, "applied") == 0 ? ST_APPLIED : strcmp(s, "merged") == 0 ?
		    ST_MERGED : strcmp(s, "conflict") == 0 ? ST_CONFLICT : ST_REJECTED;
		snprintf(out->reason, sizeof out->reason, "%s", (const char *)sqlite3_column_text(st, 1));
		snprintf(out->cid, sizeof out->cid, "%s", (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	fill_kinds(out, 1);
}

/* The newest outbox transaction of d, unpacked (free with tongxin__txn__free_unpacked). */
static Tongxin__Txn *
outbox_last(struct h_dev *d)
{
	sqlite3_stmt *st;
	sqlite3 *db = replica_db(d->r);
	Tongxin__Txn *tx = NULL;

	H_CHECK(sqlite3_prepare_v2(db, "SELECT txn FROM outbox ORDER BY seq DESC LIMIT 1", -1, &st,
	    NULL) == SQLITE_OK, "prepare outbox");
	if (sqlite3_step(st) == SQLITE_ROW) {
		/* As the push would send it (an insert's entry refers to its row). */
		const uint8_t *full;
		uint8_t *xbuf = NULL;
		size_t xcap = 0, flen;
		if (rep_outbox_expand(db, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &xbuf, &xcap, &full, &flen) >= 0)
			tx = tongxin__txn__unpack(NULL, flen, full);
		free(xbuf);
	}
	sqlite3_finalize(st);
	return tx;
}

/* Sync a device; a failure is counted, not fatal. Returns 0 on success. */
static int
soft_sync(struct h_dev *d, const char *why)
{
	struct sync_report rep;
	enum sync_fail f;
	char err[1024];
	int rc;

	ensure_server();
	rc = dev_sync_try(d, &S, 0, 0, &rep, &f, err, sizeof err);
	SOFT(rc == 0, "%s: %s cannot sync (failure %d): %s", why, d->name, (int)f, err);
	return rc;
}

/*
 * One hostile transaction of att, judged: raw (pushed through a hostile
 * session) or captured (the only transaction in att's outbox, pushed by
 * its sync). Checks the status (and the conflict's kind), a non-empty
 * reason for refusals and conflicts, no leak in the reason, and that
 * nothing outside att's scope changed (the conflict queue may grow by one
 * when a conflict is expected; the audit when an applied change is).
 */
static void
attack(const char *what, struct h_dev *att, Tongxin__Txn *tx, int raw, int want,
    const char *want_kind, struct res *out)
{
	struct snap b, a;
	struct strset sec;
	const char *allowed[4096];
	size_t nallowed;
	int reused;

	secrets_take(&sec, att->scope);
	snap_take(&b, att->scope, att->device_id);
	{
		sqlite3 *db = srv_db(&S);
		char seq[24];
		snprintf(seq, sizeof seq, "%llu", (unsigned long long)tx->seq);
		reused = h_sql_int(db, "SELECT count(*) FROM txn_log WHERE device_id = ?1 AND"
		    " seq = CAST(?2 AS INTEGER)", att->device_id, seq) > 0;
		sqlite3_close(db);
	}
	if (raw) {
		raw_push(att, &tx, 1, out);
	} else {
		H_CHECK(dev_outbox(att) == 1, "%s: %s should hold exactly this transaction in its "
		    "outbox", what, att->name);
		if (soft_sync(att, what) == 0)
			outcome_of(att, (int64_t)tx->seq, out);
		else {
			memset(out, 0, sizeof *out);
			out->status = ST_NONE;
		}
	}
	h_log("  %s: %s%s%s%s%s", what, st_name(out->status), out->kind[0] ? " (" : "", out->kind,
	    out->kind[0] ? ")" : "", out->reason[0] ? ":" : "");
	if (out->reason[0])
		h_log("      \"%s\"", out->reason);
	SOFT(out->status == want, "%s: %s, expected %s", what, st_name(out->status), st_name(want));
	if (want == ST_CONFLICT && want_kind != NULL && out->status == ST_CONFLICT)
		SOFT(strcmp(out->kind, want_kind) == 0, "%s: a conflict of kind \"%s\", expected \"%s\"",
		    what, out->kind, want_kind);
	if (out->status == ST_REJECTED || out->status == ST_CONFLICT)
		SOFT(out->reason[0] != '\0', "%s: %s without a reason", what, st_name(out->status));
	nallowed = hx_txn_strings(tx, allowed, sizeof allowed / sizeof allowed[0]);
	check_no_leak(what, out->reason, &sec, allowed, nallowed, att->scope);
	snap_take(&a, att->scope, att->device_id);
	snap_expect(what, &b, &a, want == ST_CONFLICT ? 1 : 0, want == ST_APPLIED ||
	    want == ST_MERGED);
	/*
	 * Nothing lost: a refused transaction under a sequence the server
	 * already logged is kept whole for the record (status "rejected"), once;
	 * any other refusal is kept in txn_log as before.
	 */
	SOFT(a.att_rej == b.att_rej + (out->status == ST_REJECTED && reused ? 1 : 0),
	    "%s: the attacker's refused records kept went from %lld to %lld, expected +%d", what,
	    (long long)b.att_rej, (long long)a.att_rej, out->status == ST_REJECTED && reused);
	ss_free(&sec);
}

/* attack() for the transaction just captured in d's outbox. */
static void
attack_captured(const char *what, struct h_dev *d, int want, const char *want_kind,
    struct res *out)
{
	Tongxin__Txn *tx = outbox_last(d);

	if (tx == NULL) {
		soft_fail(__LINE__, "%s: %s captured nothing to push", what, d->name);
		memset(out, 0, sizeof *out);
		out->status = ST_NONE;
		return;
	}
	attack(what, d, tx, 0, want, want_kind, out);
	tongxin__txn__free_unpacked(tx, NULL);
}

/* Set two text columns of a row in one captured change (as the CLI's transfer verbs do). */
static void
dev_update2(struct h_dev *d, int t, const char *id, const char *c1, const char *v1,
    const char *c2, const char *v2)
{
	char err[1024] = "";
	uint32_t cols[2] = { (uint32_t)h_col(t, c1), (uint32_t)h_col(t, c2) };
	Tongxin__Value v[2];

	value_set_text(&v[0], v1);
	value_set_text(&v[1], v2);
	H_CHECK(rep_update(d->r, t, id, cols, v, 2, err, sizeof err) == 0, "rep_update %s of %s on "
	    "%s: %s", schema_tables[t].name, id, d->name, err);
}

/*
 * The server keeps serving: a valid transaction of another device (the
 * street's, or SQ02's when the street is the one being checked) is applied.
 */
static void
check_serving(const struct h_dev *not)
{
	struct h_dev *d = not == &A ? &O2 : &A;
	char val[64], id[ID_TEXT_LEN + 1];
	struct res r;
	int64_t seq;

	ensure_server();
	if (soft_sync(d, "before the serving check") != 0)
		return;
	seq = dev_next_seq(d);
	snprintf(val, sizeof val, "书记%d", ++serving_seq);
	dev_begin(d);
	if (d == &A) {
		dev_update1(d, TBL_ORG, street_id, "secretary", val, 0);
	} else {
		Tongxin__Value v[32];
		struct h_member m;
		h_member_vals(v, &m, sq2b1, NULL);
		dev_insert(d, TBL_MEMBER, v, id);
	}
	dev_commit(d);
	if (soft_sync(d, "the serving check") != 0)
		return;
	outcome_of(d, seq, &r);
	SOFT(r.status == ST_APPLIED, "the server does not serve others any more: a valid "
	    "transaction of %s came back %s (%s)", d->name, st_name(r.status), r.reason);
}

/* ------------------------------------------------------------- admin RPCs */

/*
 * One request of the administrator's device A. 0 with *reply; -1 with an
 * Error answer from the server (message in err); -2 with no answer at all.
 */
static int
admin_ask(Tongxin__Envelope *req, Tongxin__Envelope__BodyCase want, Tongxin__Envelope **reply,
    char *err, size_t errlen)
{
	char bundle[4300];
	struct hx x;
	int rc;

	*reply = NULL;
	err[0] = '\0';
	bundle_of(&A, bundle, sizeof bundle);
	if (hx_open(&x, bundle, S.addr, "街道组织委员", 60000) != 0) {
		snprintf(err, errlen, "%s", x.err);
		return -2;
	}
	rc = hx_request(&x, req, want, reply);
	if (rc != 0) {
		snprintf(err, errlen, "%s", x.err);
		rc = x.code != 0 ? -1 : -2;
	}
	hx_close(&x);
	return rc;
}

static int
admin_resolve(const char *cid, Tongxin__ConflictResolveRequest__Decision decision, char *err,
    size_t errlen)
{
	Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	int rc;

	rr.id = (char *)cid;
	rr.decision = decision;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
	env.conflict_resolve = &rr;
	rc = admin_ask(&env, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, &in, err, errlen);
	envelope_free(in);
	return rc;
}

static void
conflict_status(const char *cid, char *buf, size_t cap)
{
	srv_text("SELECT status FROM conflict WHERE id = ?1", cid, buf, cap);
}

/*
 * The administrator takes the office's side of conflict cid and must be
 * refused: an Error answer whose message holds one of the words (any, when
 * words is NULL), the conflict still open, nothing changed anywhere, the
 * server alive and its log clean.
 */
static void
expect_take_office_refused(const char *what, const char *cid, const char *const *words)
{
	struct snap b, a;
	char err[2048], status[32];
	long off = h_file_size(S.log);
	int rc, died, found = words == NULL;

	snap_take(&b, NULL, NULL);
	rc = admin_resolve(cid, TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE, err,
	    sizeof err);
	died = rc == -2 ? ensure_server_after_silence() : ensure_server();
	h_log("  %s: take-office %s: %s", what, rc == 0 ? "succeeded" : rc == -1 ? "refused" :
	    "got no answer", err);
	SOFT(rc == -1, "%s: take-office %s (%s); expected a refusal with a clear error", what,
	    rc == 0 ? "succeeded" : "got no answer", err);
	SOFT(!died, "%s: the server crashed while settling the conflict", what);
	SOFT(!h_file_has(S.log, off, "ERROR: AddressSanitizer") &&
	    !h_file_has(S.log, off, "runtime error:"), "%s: the server's log holds a sanitizer "
	    "report (see %s)", what, S.log);
	for (const char *const *w = words; rc == -1 && w != NULL && *w != NULL; w++)
		found |= strstr(err, *w) != NULL;
	SOFT(rc != -1 || found, "%s: the refusal \"%s\" does not say why (expected it to mention "
	    "\"%s\")", what, err, words ? words[0] : "");
	conflict_status(cid, status, sizeof status);
	SOFT(strcmp(status, "open") == 0, "%s: the conflict is \"%s\" after the refusal, expected "
	    "open", what, status);
	snap_take(&a, NULL, NULL);
	snap_expect(what, &b, &a, 0, 0);
}

/* ---------------------------------------------------- planting conflicts */

/*
 * With the server stopped, put an open conflict of device dev_id whose
 * transaction is tx straight into the server's conflict table (copying the
 * other columns from one of that device's conflicts when there is one).
 */
static void
plant_conflict(const char *dev_id, const Tongxin__Txn *tx, int tbl, const char *row_id,
    char cid[ID_TEXT_LEN + 1])
{
	char path[4300];
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	size_t n = tongxin__txn__get_packed_size(tx);
	uint8_t *blob = malloc(n ? n : 1);

	H_CHECK(S.pid == 0, "plant a conflict with the server stopped");
	H_CHECK(blob != NULL && id_new(cid) == 0, "out of memory");
	tongxin__txn__pack(tx, blob);
	snprintf(path, sizeof path, "%s/tongxind.db", S.dir);
	H_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "open %s",
	    path);
	sqlite3_busy_timeout(db, 10000);
	H_CHECK(sqlite3_prepare_v2(db, "INSERT INTO conflict (id, device_id, seq, operator, kind,"
	    " reason, tbl, row_id, txn, server_row, hlc, local_time, received_at, status)"
	    " SELECT ?1, ?2, ?3, operator, kind, reason, ?4, ?5, ?6, NULL, hlc, local_time,"
	    " received_at, 'open' FROM conflict WHERE device_id = ?2 ORDER BY received_at LIMIT 1",
	    -1, &st, NULL) == SQLITE_OK, "prepare: %s", sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, dev_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)tx->seq);
	sqlite3_bind_int(st, 4, tbl);
	sqlite3_bind_text(st, 5, row_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 6, blob, (int)n, SQLITE_STATIC);
	H_CHECK(sqlite3_step(st) == SQLITE_DONE, "plant: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (sqlite3_changes(db) == 0) {
		H_CHECK(sqlite3_prepare_v2(db, "INSERT INTO conflict (id, device_id, seq, operator, kind,"
		    " reason, tbl, row_id, txn, server_row, hlc, local_time, received_at, status)"
		    " VALUES (?1, ?2, ?3, NULL, 'same_field', 'planted by test_hostile', ?4, ?5, ?6, NULL,"
		    " ?7, ?8, ?8, 'open')", -1, &st, NULL) == SQLITE_OK, "prepare: %s",
		    sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, dev_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)tx->seq);
		sqlite3_bind_int(st, 4, tbl);
		sqlite3_bind_text(st, 5, row_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 6, blob, (int)n, SQLITE_STATIC);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)tx->hlc);
		sqlite3_bind_int64(st, 8, now_ms());
		H_CHECK(sqlite3_step(st) == SQLITE_DONE, "plant: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	free(blob);
}

/* ---------------------------------------------------------- txn builders */

static uint64_t
hlc_now(void)
{
	return hlc_next(0);
}

/* A raw transaction of d with one change. */
static Tongxin__Txn *
txn1(struct h_dev *d, Tongxin__Change **c, uint32_t table, const char *row_id,
    Tongxin__Change__Op op)
{
	Tongxin__Txn *tx = hx_txn_new(next_seq(d), hlc_now(), "hostile");
	*c = hx_change_add(tx, table, row_id, op, 0);
	return tx;
}

/* A raw transaction of d updating one text column of a server row from its current value. */
static Tongxin__Txn *
txn_update_text(struct h_dev *d, uint64_t seq, int t, const char *row_id, const char *col,
    const char *val)
{
	char cur[512], ver[32];
	Tongxin__Txn *tx = hx_txn_new(seq, hlc_now(), "hostile");
	Tongxin__Change *c;
	Tongxin__Value v, b;
	char sql[128];

	snprintf(sql, sizeof sql, "SELECT quote(%s) IS 'NULL' FROM %s WHERE id = ?1", col,
	    schema_tables[t].name);
	srv_col(t, row_id, col, cur, sizeof cur);
	srv_col(t, row_id, "_version", ver, sizeof ver);
	c = hx_change_add(tx, (uint32_t)t, row_id, TONGXIN__CHANGE__OP__OP_UPDATE,
	    (uint64_t)strtoull(ver, NULL, 10));
	value_set_text(&v, val);
	if (srv_int(sql, row_id, NULL) || cur[0] == '\0')
		value_set_null(&b);
	else
		value_set_text(&b, cur);
	hx_col(c, (uint32_t)h_col(t, col), &v, &b);
	return tx;
}

/* A raw insert of a new valid member of branch org (citizen ID idn when not NULL). */
static Tongxin__Txn *
txn_member_insert(uint64_t seq, const char *org, const char *idn, const char *row_id,
    char id_out[ID_TEXT_LEN + 1])
{
	Tongxin__Value v[32];
	struct h_member m;
	Tongxin__Txn *tx = hx_txn_new(seq, hlc_now(), "hostile");
	Tongxin__Change *c;

	if (row_id != NULL)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", row_id);
	else
		H_CHECK(id_new(id_out) == 0, "id_new");
	h_member_vals(v, &m, org, idn);
	c = hx_change_add(tx, TBL_MEMBER, id_out, TONGXIN__CHANGE__OP__OP_INSERT, 0);
	hx_insert_all(c, schema_tables[TBL_MEMBER].ncols, v);
	return tx;
}

/* Transfer values: member of from, to the organisation with code to_code, status requested. */
static void
transfer_vals(Tongxin__Value *v, const char *member, const char *from, const char *to_code)
{
	const int t = TBL_TRANSFER;

	h_vals_null(v, t);
	h_set(v, t, "member_id", member);
	h_set(v, t, "from_org_id", from);
	h_set(v, t, "to_org_code", to_code);
	h_set(v, t, "member_name", "转接党员");
	h_set(v, t, "requested_on", "2024-05-01");
	h_set(v, t, "reason", "工作调动");
	h_set(v, t, "status", "requested");
}

/* The server holds member m in branch org (and in that branch's scope). */
static int
member_in(const char *m, const char *org)
{
	return srv_int("SELECT count(*) FROM member m JOIN org o ON o.id = m.org_id WHERE m.id = ?1"
	    " AND m.org_id = ?2 AND m._deleted = 0 AND m._scope = o._scope", m, org) == 1;
}

/* -------------------------------------------------------------- the setup */

static void
setup(void)
{
	Tongxin__Value v[32];
	struct h_member m;

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ01B1", "第一社区第一党支部", "branch", sq1, sq1b1);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, sq2);
	dev_add_org(&A, "SQ02B1", "第二社区第一党支部", "branch", sq2, sq2b1);
	dev_begin(&A);
	for (int i = 0; i < NS1; i++) {
		h_member_vals(v, &m, sq1b1, NULL);
		dev_insert(&A, TBL_MEMBER, v, s1m[i]);
	}
	for (int i = 0; i < NS2; i++) {
		h_member_vals(v, &m, sq2b1, NULL);
		dev_insert(&A, TBL_MEMBER, v, s2m[i]);
	}
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_new(&O1, &S, "SQ01", "office-sq01", 0);
	dev_new(&O1b, &S, "SQ01", "office-sq01-b", 0);
	dev_new(&O2, &S, "SQ02", "office-sq02", 0);
	dev_sync(&O1, &S, NULL);
	dev_sync(&O1b, &S, NULL);
	dev_sync(&O2, &S, NULL);
	H_CHECK(strcmp(O1.scope, "/JD01/SQ01/") == 0 && strcmp(O2.scope, "/JD01/SQ02/") == 0,
	    "scopes %s %s", O1.scope, O2.scope);
	/* Used sequences 1-4 of O1 (case 3 re-sends them), 1-2 of O2. */
	for (int i = 0; i < 4; i++) {
		char addr[64];
		snprintf(addr, sizeof addr, "第一社区幸福路%d号", i + 1);
		dev_begin(&O1);
		dev_update1(&O1, TBL_MEMBER, s1m[7], "address", addr, 0);
		dev_commit(&O1);
	}
	for (int i = 0; i < 2; i++) {
		char addr[64];
		snprintf(addr, sizeof addr, "第二社区和平路%d号", i + 1);
		dev_begin(&O2);
		dev_update1(&O2, TBL_MEMBER, s2m[3], "address", addr, 0);
		dev_commit(&O2);
	}
	dev_sync(&O1, &S, NULL);
	dev_sync(&O2, &S, NULL);
	H_CHECK(srv_int("SELECT count(*) FROM txn_log WHERE device_id = ?1 AND status = 0",
	    O1.device_id, NULL) == 4, "O1's first 4 transactions were not applied");
	dev_sync(&A, &S, NULL);
	h_log("setup: street, SQ01 and SQ02 with %d and %d members; O1, O1b (SQ01), O2 (SQ02)", NS1,
	    NS2);
}

/* ----------------------------------------------------------------- cases */

/* 1. Transfer hijack, self-acceptance, take-back, re-opening a decided transfer. */
static void
case_transfer(void)
{
	Tongxin__Value v[32];
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	struct res r;
	char hij[ID_TEXT_LEN + 1], tl[ID_TEXT_LEN + 1], tb[ID_TEXT_LEN + 1], before[8192],
	    after[8192];
	const char *mh = s1m[0], *ml = s1m[1];

	case_begin(1, "transfer hijack");
	/* O2 requests a transfer of an SQ01 member from SQ01B1 into its own branch. */
	H_CHECK(id_new(hij) == 0, "id_new");
	transfer_vals(v, mh, sq1b1, "SQ02B1");
	tx = txn1(&O2, &c, TBL_TRANSFER, hij, TONGXIN__CHANGE__OP__OP_INSERT);
	hx_insert_all(c, schema_tables[TBL_TRANSFER].ncols, v);
	attack("O2 requests a transfer of an SQ01 member", &O2, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	/* ... and accepts it. */
	tx = txn1(&O2, &c, TBL_TRANSFER, hij, TONGXIN__CHANGE__OP__OP_UPDATE);
	hx_col_text(c, (uint32_t)h_col(TBL_TRANSFER, "status"), "accepted", "requested");
	{
		Tongxin__Value dv, nul;
		value_set_text(&dv, "2024-05-02");
		value_set_null(&nul);
		hx_col(c, (uint32_t)h_col(TBL_TRANSFER, "decided_on"), &dv, &nul);
	}
	attack("O2 accepts that transfer", &O2, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	SOFT(member_in(mh, sq1b1), "the SQ01 member %s was moved out of SQ01B1 by O2", mh);
	SOFT(srv_int("SELECT count(*) FROM transfer WHERE id = ?1", hij, NULL) == 0,
	    "O2's transfer request exists on the server");
	if (soft_sync(&O2, "O2's pull after the hijack") == 0) {
		SOFT(h_sql_int(replica_db(O2.r), "SELECT count(*) FROM member WHERE id = ?1", mh,
		    NULL) == 0, "O2's replica holds the SQ01 member %s (name, citizen ID, phone)", mh);
		SOFT(h_sql_int(replica_db(O2.r), "SELECT count(*) FROM transfer WHERE member_id = ?1",
		    mh, NULL) == 0, "O2's replica holds a transfer of the SQ01 member %s", mh);
	}

	/* A legitimate transfer SQ01 -> SQ02, requested by O1. */
	soft_sync(&O1, "before the legitimate transfer");
	transfer_vals(v, ml, sq1b1, "SQ02B1");
	dev_begin(&O1);
	dev_insert(&O1, TBL_TRANSFER, v, tl);
	dev_commit(&O1);
	attack_captured("O1 requests a transfer of its member to SQ02", &O1, ST_APPLIED, NULL, &r);
	/* O1 accepts its own request before O2 decides. */
	srv_row_text(TBL_TRANSFER, tl, before, sizeof before);
	dev_begin(&O1);
	dev_update2(&O1, TBL_TRANSFER, tl, "status", "accepted", "decided_on", "2024-05-03");
	dev_commit(&O1);
	attack_captured("O1 accepts its own transfer request", &O1, ST_REJECTED, NULL, &r);
	srv_row_text(TBL_TRANSFER, tl, after, sizeof after);
	SOFT(strcmp(before, after) == 0, "O1 changed its pending transfer:\n  before %s\n  after  %s",
	    before, after);
	SOFT(member_in(ml, sq1b1), "the member moved although only its sending office accepted");
	/* O2 accepts. */
	if (soft_sync(&O2, "O2 sees the request") == 0 &&
	    h_sql_int(replica_db(O2.r), "SELECT count(*) FROM transfer WHERE id = ?1", tl, NULL) == 1) {
		int64_t seq = dev_next_seq(&O2);
		dev_begin(&O2);
		dev_update2(&O2, TBL_TRANSFER, tl, "status", "accepted", "decided_on", "2024-05-04");
		dev_commit(&O2);
		if (soft_sync(&O2, "O2 accepts") == 0) {
			outcome_of(&O2, seq, &r);
			SOFT(r.status == ST_APPLIED, "O2's acceptance came back %s (%s)",
			    st_name(r.status), r.reason);
		}
	} else {
		soft_fail(__LINE__, "O2 does not see O1's transfer request %s", tl);
	}
	SOFT(member_in(ml, sq2b1), "the legitimately transferred member is not in SQ02B1");
	soft_sync(&O1, "O1 after the transfer");

	/* O1 takes the member back: a transfer from SQ02B1 to its own branch, and its acceptance. */
	H_CHECK(id_new(tb) == 0, "id_new");
	transfer_vals(v, ml, sq2b1, "SQ01B1");
	tx = txn1(&O1, &c, TBL_TRANSFER, tb, TONGXIN__CHANGE__OP__OP_INSERT);
	hx_insert_all(c, schema_tables[TBL_TRANSFER].ncols, v);
	attack("O1 requests the member back from SQ02", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	tx = txn1(&O1, &c, TBL_TRANSFER, tb, TONGXIN__CHANGE__OP__OP_UPDATE);
	hx_col_text(c, (uint32_t)h_col(TBL_TRANSFER, "status"), "accepted", "requested");
	attack("O1 accepts its take-back", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	SOFT(member_in(ml, sq2b1), "O1 took the transferred member back into SQ01");

	/* O1 re-opens, or alters, the decided transfer. */
	soft_sync(&O1, "O1 before re-opening");
	if (h_sql_int(replica_db(O1.r), "SELECT count(*) FROM transfer WHERE id = ?1", tl, NULL) == 1) {
		srv_row_text(TBL_TRANSFER, tl, before, sizeof before);
		dev_begin(&O1);
		dev_update1(&O1, TBL_TRANSFER, tl, "status", "requested", 0);
		dev_commit(&O1);
		attack_captured("O1 re-opens the accepted transfer", &O1, ST_REJECTED, NULL, &r);
		dev_begin(&O1);
		dev_update1(&O1, TBL_TRANSFER, tl, "decision_note", "改写办理说明", 0);
		dev_commit(&O1);
		attack_captured("O1 alters the accepted transfer", &O1, ST_REJECTED, NULL, &r);
		srv_row_text(TBL_TRANSFER, tl, after, sizeof after);
		SOFT(strcmp(before, after) == 0, "the decided transfer changed:\n  before %s\n"
		    "  after  %s", before, after);
	} else {
		soft_fail(__LINE__, "O1 no longer holds its decided transfer %s", tl);
	}
	SOFT(member_in(ml, sq2b1), "the transferred member left SQ02B1");
	check_serving(&O1);
	case_end();
}

/* The reason with every occurrence of id replaced by <ID>. */
static void
reason_without(const char *reason, const char *id, char *out, size_t cap)
{
	const char *p = reason, *q;
	size_t n = 0, il = strlen(id);

	out[0] = '\0';
	while ((q = strstr(p, id)) != NULL && n < cap) {
		n += (size_t)snprintf(out + n, cap - n, "%.*s<ID>", (int)(q - p), p);
		p = q + il;
	}
	if (n < cap)
		snprintf(out + n, cap - n, "%s", p);
}

/* 2. What a refusal or conflict tells an office about rows outside its scope. */
static void
case_ids_leak(void)
{
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	struct res r, r2;
	char idn[32], nid[ID_TEXT_LEN + 1], fresh[ID_TEXT_LEN + 1], a[2200], b[2200], status[32];
	const char *target = s1m[2];
	/* Words that would tell where a taken id lives. */
	static const char *const words[] = { "outside", "elsewhere", "another", "other organisation",
		"community", "scope", "其他", "范围", "社区", NULL };

	case_begin(2, "ids leak in refusals");
	/* A citizen ID registered in SQ01: queued for the street, naming nothing of SQ01. */
	srv_col(TBL_MEMBER, target, "id_number", idn, sizeof idn);
	H_CHECK(strlen(idn) == 18, "citizen ID of %s: %s", target, idn);
	tx = txn_member_insert(next_seq(&O2), sq2b1, idn, NULL, nid);
	attack("O2 registers an SQ01 member's citizen ID", &O2, tx, 1, ST_CONFLICT, "unique", &r);
	tongxin__txn__free_unpacked(tx, NULL);
	if (r.cid[0]) {
		conflict_status(r.cid, status, sizeof status);
		SOFT(strcmp(status, "open") == 0, "the citizen-ID clash is \"%s\" in the queue, "
		    "expected open for the street", status);
	}
	SOFT(strstr(r.reason, target) == NULL, "the clash names the SQ01 member's row id %s",
	    target);

	/*
	 * The id of an SQ01 row for a new SQ02 member. The refusal itself shows
	 * that the id is taken (a free id would be applied); it must not tell
	 * where: it reads exactly like the refusal of an id O2's own rows use.
	 */
	tx = txn_member_insert(next_seq(&O2), sq2b1, NULL, target, nid);
	attack("O2 inserts a member with an SQ01 row's id", &O2, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	tx = txn_member_insert(next_seq(&O2), sq2b1, NULL, s2m[1], nid);
	attack("O2 inserts a member with an SQ02 row's id", &O2, tx, 1, ST_REJECTED, NULL, &r2);
	tongxin__txn__free_unpacked(tx, NULL);
	reason_without(r.reason, target, a, sizeof a);
	reason_without(r2.reason, s2m[1], b, sizeof b);
	for (const char *const *w = words; *w != NULL; w++)
		SOFT(strstr(a, *w) == NULL || strstr(b, *w) != NULL, "the primary-key clash says "
		    "\"%s\" (\"%s\"): it tells where the id is taken", *w, r.reason);
	SOFT(strcmp(a, b) == 0, "a primary-key clash with an SQ01 row (\"%s\") reads differently "
	    "from one with O2's own row (\"%s\")", a, b);

	/* Update and delete: an SQ01 row id reads like an id that does not exist. */
	H_CHECK(id_new(fresh) == 0, "id_new");
	for (int del = 0; del < 2; del++) {
		const char *op = del ? "deletes" : "updates";
		char what[128];
		for (int k = 0; k < 2; k++) {
			const char *id = k == 0 ? target : fresh;
			tx = txn1(&O2, &c, TBL_MEMBER, id, del ? TONGXIN__CHANGE__OP__OP_DELETE :
			    TONGXIN__CHANGE__OP__OP_UPDATE);
			if (!del)
				hx_col_text(c, (uint32_t)h_col(TBL_MEMBER, "phone"), "13800000000",
				    "13900000000");
			snprintf(what, sizeof what, "O2 %s %s", op, k == 0 ? "an SQ01 member" :
			    "a member that does not exist");
			attack(what, &O2, tx, 1, ST_REJECTED, NULL, k == 0 ? &r : &r2);
			tongxin__txn__free_unpacked(tx, NULL);
		}
		reason_without(r.reason, target, a, sizeof a);
		reason_without(r2.reason, fresh, b, sizeof b);
		SOFT(strcmp(a, b) == 0, "O2 %s: the refusal for an SQ01 row (\"%s\") differs from "
		    "the one for an id that does not exist (\"%s\")", op, a, b);
	}
	check_serving(&O2);
	case_end();
}

/* 3. Re-used sequences with bad shapes, and planted conflicts settled with take-office. */
static void
case_planted(void)
{
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	struct res r;
	char nid[ID_TEXT_LEN + 1], cid[3][ID_TEXT_LEN + 1];
	const char *own = s1m[3];
	static const char *const words[] = { "column", "列", NULL };
	Tongxin__Value x;

	case_begin(3, "planted conflict");
	value_set_text(&x, "x");
	/* Seq 1 again: an update naming column 40. */
	tx = hx_txn_new(1, hlc_now(), "hostile");
	c = hx_change_add(tx, TBL_MEMBER, own, TONGXIN__CHANGE__OP__OP_UPDATE, 0);
	hx_col(c, 40, &x, &x);
	attack("reused seq 1: update naming column 40", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	/* Seq 2 again: an update naming column 10^8. */
	tx = hx_txn_new(2, hlc_now(), "hostile");
	c = hx_change_add(tx, TBL_MEMBER, own, TONGXIN__CHANGE__OP__OP_UPDATE, 0);
	hx_col(c, 100000000u, &x, &x);
	attack("reused seq 2: update naming column 100000000", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	/* Seq 2 once more: no change at all (names no row; kept for the record all the same). */
	tx = hx_txn_new(2, hlc_now(), "hostile");
	attack("reused seq 2: a transaction of no change", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	/* Seq 1 once more: an insert with a column 40 beside the real ones. */
	tx = txn_member_insert(1, sq1b1, NULL, NULL, nid);
	hx_col(tx->changes[0], 40, &x, NULL);
	attack("reused seq 1: insert naming column 40", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	/* Seq 3 again: an update of an SQ02 member. */
	tx = txn_update_text(&O1, 3, TBL_MEMBER, s2m[0], "phone", "13011112222");
	attack("reused seq 3: update of an SQ02 member", &O1, tx, 1, ST_REJECTED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	/* Seq 4 again, valid and in scope: kept whole as a reused sequence. */
	tx = txn_update_text(&O1, 4, TBL_MEMBER, own, "address", "第一社区新地址8号");
	attack("reused seq 4: a valid in-scope change", &O1, tx, 1, ST_CONFLICT, "reused_seq", &r);
	tongxin__txn__free_unpacked(tx, NULL);
	check_serving(&O1);

	/* Defence in depth: conflicts naming bad columns, planted in the database. */
	srv_stop(&S);
	tx = hx_txn_new(900001, hlc_now(), "planted");
	c = hx_change_add(tx, TBL_MEMBER, own, TONGXIN__CHANGE__OP__OP_UPDATE, 0);
	hx_col(c, 40, &x, &x);
	plant_conflict(O1.device_id, tx, TBL_MEMBER, own, cid[0]);
	tongxin__txn__free_unpacked(tx, NULL);
	tx = txn_member_insert(900002, sq1b1, NULL, NULL, nid);
	hx_col(tx->changes[0], 40, &x, NULL);
	plant_conflict(O1.device_id, tx, TBL_MEMBER, nid, cid[1]);
	tongxin__txn__free_unpacked(tx, NULL);
	tx = txn_member_insert(900003, sq1b1, NULL, NULL, nid);
	hx_col(tx->changes[0], 100000000u, &x, NULL);
	plant_conflict(O1.device_id, tx, TBL_MEMBER, nid, cid[2]);
	tongxin__txn__free_unpacked(tx, NULL);
	srv_start(&S);
	expect_take_office_refused("planted update naming column 40", cid[0], words);
	expect_take_office_refused("planted insert naming column 40", cid[1], words);
	expect_take_office_refused("planted insert naming column 100000000", cid[2], words);
	check_serving(&A);
	case_end();
}

/*
 * 4. Take-office applies with the office's scope, not the administrator's,
 * judged when it would be applied (issue 8: "for scope against the device
 * that made it at the moment it would be applied"). A member the street
 * moved to SQ02 after the office's edit lies outside the office then, so
 * taking the office's edit is refused: the street re-enters it from its
 * own device if it wants it. A planted change to a member the office never
 * held is refused the same way.
 */
static void
case_take_office_scope(void)
{
	Tongxin__Txn *tx;
	struct res r;
	char cid[ID_TEXT_LEN + 1], before[8192], after[8192];
	const char *m = s1m[4];
	static const char *const words[] = { "outside", "organisation", "scope", "组织", "范围",
		NULL };

	case_begin(4, "take-office with the office's scope");
	soft_sync(&O1, "O1 before its offline edit");
	soft_sync(&A, "A before the move");
	/* O1 edits its member offline; meanwhile the street moves the member to SQ02. */
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, m, "education", "master", 0);
	dev_update1(&O1, TBL_MEMBER, m, "lost_note", "第一社区离线修改", 0);
	dev_commit(&O1);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, m, "org_id", sq2b1, 0);
	dev_commit(&A);
	soft_sync(&A, "the street moves the member");
	SOFT(member_in(m, sq2b1), "the street could not move the member to SQ02");
	attack_captured("O1 pushes its edit of the moved member", &O1, ST_CONFLICT, "transferred", &r);
	srv_row_text(TBL_MEMBER, m, before, sizeof before);
	if (r.status == ST_CONFLICT && r.cid[0])
		expect_take_office_refused("take-office of O1's edit of a member now in SQ02", r.cid,
		    words);
	srv_row_text(TBL_MEMBER, m, after, sizeof after);
	SOFT(strcmp(before, after) == 0, "the SQ02 member changed:\n  before %s\n  after  %s",
	    before, after);

	/* A planted conflict of O1 that changes an SQ02 member's phone. */
	srv_stop(&S);
	tx = txn_update_text(&O1, 900004, TBL_MEMBER, s2m[0], "phone", "13712345678");
	plant_conflict(O1.device_id, tx, TBL_MEMBER, s2m[0], cid);
	tongxin__txn__free_unpacked(tx, NULL);
	srv_start(&S);
	srv_row_text(TBL_MEMBER, s2m[0], before, sizeof before);
	expect_take_office_refused("take-office of a planted O1 change to an SQ02 member", cid,
	    words);
	srv_row_text(TBL_MEMBER, s2m[0], after, sizeof after);
	SOFT(strcmp(before, after) == 0, "the SQ02 member changed:\n  before %s\n  after  %s",
	    before, after);
	check_serving(&A);
	case_end();
}

/* Put SQ01's organisation row back as it was (the server stopped meanwhile). */
static void
repair_sq01(const char *kind)
{
	char path[4300];
	sqlite3 *db = NULL;
	sqlite3_stmt *st;

	srv_stop(&S);
	snprintf(path, sizeof path, "%s/tongxind.db", S.dir);
	H_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK, "open");
	H_CHECK(sqlite3_prepare_v2(db, "UPDATE org SET kind = ?2, dissolved = 0, _deleted = 0"
	    " WHERE id = ?1", -1, &st, NULL) == SQLITE_OK, "prepare");
	sqlite3_bind_text(st, 1, sq1, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	H_CHECK(sqlite3_step(st) == SQLITE_DONE, "repair: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	srv_start(&S);
	h_log("  (SQ01's organisation row repaired so that the other checks can run)");
}

/* 5. The office's own community root. */
static void
case_own_root(void)
{
	Tongxin__Txn *tx;
	Tongxin__Change *c;
	struct res r;
	char before[8192], after[8192], kind[32];
	static const struct {
		const char *what, *col, *val;   /* col NULL: delete */
		int dissolved;
	} hits[] = {
		{ "O1 changes SQ01's kind", "kind", "general_branch", 0 },
		{ "O1 dissolves SQ01", NULL, NULL, 1 },
		{ "O1 deletes SQ01's organisation row", NULL, NULL, 0 },
	};

	case_begin(5, "the office's own community root");
	srv_col(TBL_ORG, sq1, "kind", kind, sizeof kind);
	tx = txn_update_text(&O1, next_seq(&O1), TBL_ORG, sq1, "secretary", "新任书记");
	attack("O1 sets SQ01's secretary (allowed)", &O1, tx, 1, ST_APPLIED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	for (size_t i = 0; i < sizeof hits / sizeof hits[0]; i++) {
		srv_row_text(TBL_ORG, sq1, before, sizeof before);
		if (hits[i].col != NULL) {
			tx = txn_update_text(&O1, next_seq(&O1), TBL_ORG, sq1, hits[i].col, hits[i].val);
		} else if (hits[i].dissolved) {
			Tongxin__Value one, zero;
			char ver[32];
			value_set_int(&one, 1);
			value_set_int(&zero, 0);
			srv_col(TBL_ORG, sq1, "_version", ver, sizeof ver);
			tx = hx_txn_new(next_seq(&O1), hlc_now(), "hostile");
			c = hx_change_add(tx, TBL_ORG, sq1, TONGXIN__CHANGE__OP__OP_UPDATE,
			    strtoull(ver, NULL, 10));
			hx_col(c, (uint32_t)h_col(TBL_ORG, "dissolved"), &one, &zero);
		} else {
			tx = txn1(&O1, &c, TBL_ORG, sq1, TONGXIN__CHANGE__OP__OP_DELETE);
		}
		attack(hits[i].what, &O1, tx, 1, ST_REJECTED, NULL, &r);
		tongxin__txn__free_unpacked(tx, NULL);
		srv_row_text(TBL_ORG, sq1, after, sizeof after);
		SOFT(strcmp(before, after) == 0, "%s: SQ01's row changed:\n  before %s\n  after  %s",
		    hits[i].what, before, after);
		if (soft_sync(&O1, "O1 after the attempt on its own root") != 0 ||
		    strcmp(before, after) != 0)
			repair_sq01(kind);
	}
	check_serving(&O1);
	case_end();
}

/* 6. A far-future HLC is not stored as it came, and does not win forever. */
static void
case_hlc(void)
{
	Tongxin__Txn *tx;
	struct res r;
	char p0[64], hs[64], phone[64];
	const char *m = s1m[5];
	int64_t h;
	uint64_t bound;
	int64_t seq;

	case_begin(6, "far-future HLC");
	soft_sync(&A, "A before the far-future change");
	srv_col(TBL_MEMBER, m, "phone", p0, sizeof p0);
	tx = txn_update_text(&O1, next_seq(&O1), TBL_MEMBER, m, "phone", "13566667777");
	tx->hlc = UINT64_MAX - 1;
	attack("O1 changes a phone with hlc 2^64-2", &O1, tx, 1, ST_APPLIED, NULL, &r);
	tongxin__txn__free_unpacked(tx, NULL);
	srv_col(TBL_MEMBER, m, "_hlc", hs, sizeof hs);
	h = strtoll(hs, NULL, 10);
	bound = ((uint64_t)(now_ms() + 86400000) << 16) | 0xffffu;
	SOFT(h > 0 && (uint64_t)h <= bound, "the member's stored _hlc is %lld (%s); expected "
	    "positive and at most the server's clock plus a day (%llu)", (long long)h, hs,
	    (unsigned long long)bound);
	/* The street, with a normal clock and the old base, edits the newer-wins phone later. */
	h_msleep(5);
	seq = dev_next_seq(&A);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, m, "phone", "13688889999", 0);
	dev_commit(&A);
	if (soft_sync(&A, "the street's later edit") == 0) {
		outcome_of(&A, seq, &r);
		SOFT(r.status == ST_APPLIED || r.status == ST_MERGED, "the street's later edit came "
		    "back %s (%s)", st_name(r.status), r.reason);
	}
	srv_col(TBL_MEMBER, m, "phone", phone, sizeof phone);
	SOFT(strcmp(phone, "13688889999") == 0, "a later newer-wins edit with a normal clock lost "
	    "to the far-future one: the phone is %s (base %s)", phone, p0);
	check_serving(&O1);
	/* The server's own clock may have jumped: start it afresh for the other cases. */
	srv_stop(&S);
	srv_start(&S);
	case_end();
}

/* Whether a refusal says the device has too many open conflicts. */
static int
says_too_many(const char *reason)
{
	return strstr(reason, "conflict") != NULL && (strstr(reason, "too many") != NULL ||
	    strstr(reason, "1000") != NULL || strstr(reason, "1,000") != NULL ||
	    strstr(reason, "limit") != NULL);
}

/* 7. At most 1,000 open conflicts per device. */
static void
case_conflict_limit(void)
{
	enum { N = CONFLICT_LIMIT + 10 };
	Tongxin__Txn **txns = calloc(N, sizeof *txns);
	struct res *res = calloc(N, sizeof *res);
	struct snap b, a;
	struct strset sec;
	char idn[32], nid[ID_TEXT_LEN + 1], err[1024];
	struct h_ids open;
	int64_t open_before, want_conflicts, nconf = 0, nrej = 0, bad = 0, nopen;
	uint64_t seq;
	Tongxin__DevicesRequest dr = TONGXIN__DEVICES_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	sqlite3 *db;

	H_CHECK(txns != NULL && res != NULL, "out of memory");
	case_begin(7, "conflict-queue limit");
	/* The street settles O1's earlier conflicts first (keeping the server's values). */
	db = srv_db(&S);
	h_sql_ids(db, "SELECT id FROM conflict WHERE device_id = ?1 AND status = 'open'",
	    O1.device_id, &open);
	sqlite3_close(db);
	for (size_t i = 0; i < open.n; i++)
		if (admin_resolve(open.v[i], TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER,
		    err, sizeof err) != 0)
			h_log("  keep-server of %s refused: %s", open.v[i], err);
	h_ids_free(&open);
	ensure_server();
	open_before = srv_int("SELECT count(*) FROM conflict WHERE device_id = ?1 AND status = "
	    "'open'", O1.device_id, NULL);
	want_conflicts = CONFLICT_LIMIT - open_before;
	srv_col(TBL_MEMBER, s1m[7], "id_number", idn, sizeof idn);
	seq = next_seq(&O1);
	for (int i = 0; i < N; i++)
		txns[i] = txn_member_insert(seq + (uint64_t)i, sq1b1, idn, NULL, nid);
	secrets_take(&sec, O1.scope);
	snap_take(&b, O1.scope, O1.device_id);
	if (raw_push(&O1, txns, N, res) == 0) {
		for (int i = 0; i < N; i++) {
			const char *allowed[64];
			size_t na = hx_txn_strings(txns[i], allowed, 64);
			int want = i < want_conflicts ? ST_CONFLICT : ST_REJECTED;
			if (res[i].status == ST_CONFLICT)
				nconf++;
			if (res[i].status == ST_REJECTED)
				nrej++;
			if (res[i].status != want || (want == ST_CONFLICT && strcmp(res[i].kind,
			    "unique") != 0) || (want == ST_REJECTED && !says_too_many(res[i].reason))) {
				if (bad++ < 3)
					soft_fail(__LINE__, "transaction %d of %d: %s (%s) \"%s\"; expected %s%s",
					    i + 1, N, st_name(res[i].status), res[i].kind, res[i].reason,
					    st_name(want), want == ST_REJECTED ? " saying there are too many "
					    "open conflicts" : " (unique)");
			}
			if (i < 3 || i >= N - 3)
				check_no_leak("a citizen-ID clash", res[i].reason, &sec, allowed, na,
				    O1.scope);
		}
		h_log("  %d clashing transactions: %lld conflict, %lld rejected (%lld open before; "
		    "expected %lld conflict)", N, (long long)nconf, (long long)nrej,
		    (long long)open_before, (long long)want_conflicts);
		if (bad > 3)
			soft_fail(__LINE__, "%lld of %d transactions had an unexpected answer (3 shown)",
			    (long long)bad, N);
		h_log("  rejected answer: \"%s\"", res[N - 1].reason);
	}
	snap_take(&a, O1.scope, O1.device_id);
	snap_expect("1,010 citizen-ID clashes", &b, &a, want_conflicts, 0);
	nopen = srv_int("SELECT count(*) FROM conflict WHERE device_id = ?1 AND status = 'open'",
	    O1.device_id, NULL);
	SOFT(nopen == CONFLICT_LIMIT, "O1 has %lld open conflicts, expected exactly %d",
	    (long long)nopen, CONFLICT_LIMIT);
	/* The administrator's device list still works. */
	env.body_case = TONGXIN__ENVELOPE__BODY_DEVICES;
	env.devices = &dr;
	if (admin_ask(&env, TONGXIN__ENVELOPE__BODY_DEVICES_RESULT, &in, err, sizeof err) == 0) {
		int found = 0;
		for (size_t i = 0; i < in->devices_result->n_devices; i++) {
			const Tongxin__DeviceInfo *di = in->devices_result->devices[i];
			if (strcmp(di->name, O1.name) == 0) {
				found = 1;
				SOFT(di->open_conflicts == nopen, "the device list shows %lld open "
				    "conflicts for O1, the queue holds %lld", (long long)di->open_conflicts,
				    (long long)nopen);
			}
		}
		SOFT(found, "the device list does not show O1");
	} else {
		soft_fail(__LINE__, "the administrator's device list failed: %s", err);
	}
	envelope_free(in);
	ss_free(&sec);
	for (int i = 0; i < N; i++)
		tongxin__txn__free_unpacked(txns[i], NULL);
	free(txns);
	free(res);
	check_serving(&O1);
	case_end();
}

/* 8. conflicts show names the author of the server's clashing value. */
static void
case_show_author(void)
{
	struct res r;
	char e0[32], e1[32] = "", e2[32] = "";
	const char *m = s1m[6];
	int64_t seq;
	Tongxin__ConflictShowRequest sr = TONGXIN__CONFLICT_SHOW_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	char err[1024];

	case_begin(8, "conflicts show: who wrote the server's value");
	/* O1b last synced at setup: its base is the old education. */
	srv_col(TBL_MEMBER, m, "education", e0, sizeof e0);
	for (int i = 0; i < 8 && !e2[0]; i++) {
		if (strcmp(h_educations[i], e0) == 0)
			continue;
		if (!e1[0])
			snprintf(e1, sizeof e1, "%s", h_educations[i]);
		else
			snprintf(e2, sizeof e2, "%s", h_educations[i]);
	}
	soft_sync(&A, "A before its edit");
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, m, "education", e1, 0);
	dev_commit(&A);
	soft_sync(&A, "the street writes the education");
	soft_sync(&O1, "O1 before its edit");
	seq = dev_next_seq(&O1);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, m, "name", "后来改名", 0);
	dev_commit(&O1);
	if (soft_sync(&O1, "O1 writes the name") == 0) {
		outcome_of(&O1, seq, &r);
		SOFT(r.status == ST_APPLIED || r.status == ST_MERGED, "O1's name change came back %s "
		    "(%s)", st_name(r.status), r.reason);
	}
	dev_begin(&O1b);
	dev_update1(&O1b, TBL_MEMBER, m, "education", e2, 0);
	dev_commit(&O1b);
	attack_captured("O1b edits the education from a stale base", &O1b, ST_CONFLICT, "same_field", &r);
	if (r.status == ST_CONFLICT && r.cid[0]) {
		sr.id = r.cid;
		env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW;
		env.conflict_show = &sr;
		if (admin_ask(&env, TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT, &in, err,
		    sizeof err) == 0 && in->conflict_show_result->conflict != NULL) {
			const Tongxin__ConflictInfo *ci = in->conflict_show_result->conflict;
			h_log("  conflicts show: server_writer \"%s\"", ci->server_writer);
			SOFT(strcmp(ci->server_writer, A.name) == 0, "conflicts show names \"%s\" as "
			    "the author of the server's education, expected \"%s\" (who wrote it; %s only "
			    "wrote the name later)", ci->server_writer, A.name, O1.name);
			SOFT(ci->server_written_at_ms > 0, "conflicts show has no time for the server's "
			    "value");
			SOFT(strcmp(ci->kind, "same_field") == 0, "conflicts show: kind %s", ci->kind);
		} else {
			soft_fail(__LINE__, "conflicts show %s failed: %s", r.cid, err);
		}
		envelope_free(in);
	}
	check_serving(&O1b);
	case_end();
}

int
main(void)
{
	static const struct {
		int n;
		void (*fn)(void);
	} cases[] = {
		{ 1, case_transfer },
		{ 2, case_ids_leak },
		{ 3, case_planted },
		{ 4, case_take_office_scope },
		{ 6, case_hlc },
		{ 8, case_show_author },
		{ 5, case_own_root },
		{ 7, case_conflict_limit },
	};
	static const char *const titles[NCASES + 1] = { "setup", "transfer hijack",
		"ids leak in refusals", "planted conflict", "take-office with the office's scope",
		"the office's own community root", "far-future HLC", "conflict-queue limit",
		"conflicts show author" };
	int total = 0;

	h_init("test_hostile", 8);
	setup();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cases[i].fn();
	cur_case = 0;
	cur_title = "end";
	/* Everyone still syncs, and the database is sound. */
	soft_sync(&A, "the final sync");
	soft_sync(&O1, "the final sync");
	soft_sync(&O2, "the final sync");
	soft_sync(&O1b, "the final sync");
	srv_stop(&S);
	h_check_integrity(&S);
	fprintf(stderr, "\n---- test_hostile: summary ----\n");
	for (int n = 1; n <= NCASES; n++) {
		fprintf(stderr, "  case %d %-40s %s", n, titles[n], fails[n] ? "FAIL" : "ok");
		if (fails[n])
			fprintf(stderr, " (%d failed checks)", fails[n]);
		fputc('\n', stderr);
		total += fails[n];
	}
	if (fails[0])
		fprintf(stderr, "  setup / end: %d failed checks\n", fails[0]);
	total += fails[0];
	dev_close(&A);
	dev_close(&O1);
	dev_close(&O1b);
	dev_close(&O2);
	if (total > 0) {
		fprintf(stderr, "%d checks failed (the FAIL lines above); files kept in %s\n", total,
		    H.tmp);
		h_kill_servers();
		return 1;
	}
	return h_done();
}
