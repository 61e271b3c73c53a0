/*
 * mem_sto.c - the storage operations of server/sto.h in memory; see
 * mem_sto.h for why it exists. Each operation is written from its contract
 * comment in sto.h, and says where the SQLite store (server/store_sqlite.c,
 * sq_*) does the same with a constraint or an index.
 */
#include "mem_sto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ids.h"
#include "log.h"
#include "schema.h"
#include "value.h"

struct mem_row {
	int t;
	char id[ID_TEXT_LEN + 1];
	struct srow r;          /* values deep-copied: owned here */
};

struct mem_dev {
	char id[40];
	char name[128];
	char org_code[65];
};

/* The recovery's records (sto_ops.recovered_get ... recovery_get): flat, no pointers. */
struct mem_recovered {
	int t;
	char id[ID_TEXT_LEN + 1];
	uint64_t origin, version;
	char device_id[40];
};
struct mem_recq {
	char device_id[40];
	int t;
	char id[ID_TEXT_LEN + 1];
	uint64_t origin;
	char conflict_id[ID_TEXT_LEN + 1];
};
struct mem_recovery {
	char device_id[40];
	char epoch[40];
	int finished;
	struct sto_recovery n;
};

/* A share (sto_ops.share_put): flat, no pointers. */
struct mem_share {
	int via_t, t;
	char via_id[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1];
	char scope[SCOPE_MAX];
};

/* Everything a transaction may change: what a snapshot copies. */
struct mem_state {
	struct mem_row *rows;
	size_t nrows, caprows;
	struct mem_audit *audit;
	size_t naudit, capaudit;
	struct mem_evict *evict;
	size_t nevict, capevict;
	struct mem_txnlog *txn;
	size_t ntxn, captxn;
	struct mem_conflict *conf;
	size_t nconf, capconf;
	struct mem_recovered *rec;
	size_t nrec, caprec;
	struct mem_recq *recq;
	size_t nrecq, caprecq;
	struct mem_recovery *recov;
	size_t nrecov, caprecov;
	struct mem_share *share;
	size_t nshare, capshare;
	uint64_t version;
};

struct mem_sto {
	struct mem_state cur;
	struct mem_state txn_snap;   /* the state at begin */
	struct mem_state sp_snap;    /* the state at sp_begin */
	int in_txn, in_sp;
	int misuse;
	char err[256];
	struct mem_dev *devs;
	size_t ndevs, capdevs;
};

/* Make room for one more element of size sz in *arr (n used, *cap allocated). -1 on OOM. */
static int
grow(void *arr, size_t *cap, size_t n, size_t sz)
{
	void **p = arr;

	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 8;
	void *q = realloc(*p, nc * sz);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = nc;
	return 0;
}

static uint8_t *
blob_dup(const uint8_t *p, size_t n)
{
	uint8_t *q;

	if (p == NULL)
		return NULL;
	if ((q = malloc(n ? n : 1)) != NULL && n)
		memcpy(q, p, n);
	return q;
}

static void
cpy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

/* A deep copy of src's values and bookkeeping into dst (uninitialised). -1 on OOM. */
static int
srow_copy(struct srow *dst, const struct srow *src)
{
	*dst = *src;
	for (int c = 0; c < MAX_COLS; c++)
		tongxin__value__init(&dst->v[c]);
	for (int c = 0; c < MAX_COLS; c++)
		if (value_copy(&dst->v[c], &src->v[c]) != 0)
			return -1;
	return 0;
}

static void
state_free(struct mem_state *s)
{
	for (size_t i = 0; i < s->nrows; i++)
		srow_clear(&s->rows[i].r);
	for (size_t i = 0; i < s->naudit; i++)
		free(s->audit[i].detail);
	for (size_t i = 0; i < s->ntxn; i++)
		free(s->txn[i].txn);
	for (size_t i = 0; i < s->nconf; i++) {
		free(s->conf[i].txn);
		free(s->conf[i].server_row);
	}
	free(s->rows);
	free(s->audit);
	free(s->evict);
	free(s->txn);
	free(s->conf);
	free(s->rec);
	free(s->recq);
	free(s->recov);
	free(s->share);
	memset(s, 0, sizeof *s);
}

/* dst (empty) becomes a deep copy of src. -1 on OOM (dst freed). */
static int
state_copy(struct mem_state *dst, const struct mem_state *src)
{
	memset(dst, 0, sizeof *dst);
	dst->version = src->version;
#define COPY_ARRAY(f, n, cap) do { \
		if (src->n) { \
			if ((dst->f = malloc(src->n * sizeof *dst->f)) == NULL) \
				goto oom; \
			dst->cap = src->n; \
		} \
	} while (0)
	COPY_ARRAY(rows, nrows, caprows);
	COPY_ARRAY(audit, naudit, capaudit);
	COPY_ARRAY(evict, nevict, capevict);
	COPY_ARRAY(txn, ntxn, captxn);
	COPY_ARRAY(conf, nconf, capconf);
	COPY_ARRAY(rec, nrec, caprec);
	COPY_ARRAY(recq, nrecq, caprecq);
	COPY_ARRAY(recov, nrecov, caprecov);
	COPY_ARRAY(share, nshare, capshare);
#undef COPY_ARRAY
#define COPY_FLAT(f, n) do { \
		if (src->n) \
			memcpy(dst->f, src->f, src->n * sizeof *dst->f); \
		dst->n = src->n; \
	} while (0)
	COPY_FLAT(rec, nrec);
	COPY_FLAT(recq, nrecq);
	COPY_FLAT(recov, nrecov);
	COPY_FLAT(share, nshare);
#undef COPY_FLAT
	for (size_t i = 0; i < src->nrows; i++) {
		dst->rows[i].t = src->rows[i].t;
		memcpy(dst->rows[i].id, src->rows[i].id, sizeof dst->rows[i].id);
		dst->nrows++;
		if (srow_copy(&dst->rows[i].r, &src->rows[i].r) != 0)
			goto oom;
	}
	for (size_t i = 0; i < src->naudit; i++) {
		dst->audit[i] = src->audit[i];
		dst->audit[i].detail = NULL;
		dst->naudit++;
		if (src->audit[i].detail && (dst->audit[i].detail = blob_dup(src->audit[i].detail,
		    src->audit[i].detail_len)) == NULL)
			goto oom;
	}
	if (src->nevict)
		memcpy(dst->evict, src->evict, src->nevict * sizeof *dst->evict);
	dst->nevict = src->nevict;
	for (size_t i = 0; i < src->ntxn; i++) {
		dst->txn[i] = src->txn[i];
		dst->txn[i].txn = NULL;
		dst->ntxn++;
		if (src->txn[i].txn && (dst->txn[i].txn = blob_dup(src->txn[i].txn,
		    src->txn[i].txn_len)) == NULL)
			goto oom;
	}
	for (size_t i = 0; i < src->nconf; i++) {
		dst->conf[i] = src->conf[i];
		dst->conf[i].txn = dst->conf[i].server_row = NULL;
		dst->nconf++;
		if ((src->conf[i].txn && (dst->conf[i].txn = blob_dup(src->conf[i].txn,
		    src->conf[i].txn_len)) == NULL) ||
		    (src->conf[i].server_row && (dst->conf[i].server_row =
		    blob_dup(src->conf[i].server_row, src->conf[i].server_row_len)) == NULL))
			goto oom;
	}
	return 0;
oom:
	state_free(dst);
	return -1;
}

/* A contract violation: counted, said on stderr, and the operation fails. */
static int
misuse(struct mem_sto *m, const char *what)
{
	m->misuse++;
	snprintf(m->err, sizeof m->err, "mem_sto: %s", what);
	fprintf(stderr, "mem_sto: contract violation: %s\n", what);
	return -1;
}

/* Writes only inside a transaction (sto.h: "Operations run inside the write transaction"). */
static int
writable(struct mem_sto *m, const char *op)
{
	char buf[128];

	if (m->in_txn)
		return 0;
	snprintf(buf, sizeof buf, "%s outside a transaction", op);
	return misuse(m, buf);
}

static struct mem_row *
find_row(const struct mem_state *s, int t, const char *id)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (s->rows[i].t == t && strcmp(s->rows[i].id, id) == 0)
			return &s->rows[i];
	return NULL;
}

static const char *
text_of(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : NULL;
}

/* --- the operations ------------------------------------------------------ */

static const char *
m_errmsg(void *b)
{
	return ((struct mem_sto *)b)->err;
}

static int
m_begin(void *b, char *err, size_t errlen)
{
	struct mem_sto *m = b;

	if (m->in_txn) {
		snprintf(err, errlen, "a transaction is already open");
		return misuse(m, "begin inside a transaction");
	}
	if (state_copy(&m->txn_snap, &m->cur) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->in_txn = 1;
	m->err[0] = '\0';
	return 0;
}

static int
m_commit(void *b, char *err, size_t errlen)
{
	struct mem_sto *m = b;

	if (!m->in_txn) {
		snprintf(err, errlen, "no transaction is open");
		return misuse(m, "commit without begin");
	}
	if (m->in_sp) {
		snprintf(err, errlen, "a savepoint is still open");
		return misuse(m, "commit with a savepoint open");
	}
	state_free(&m->txn_snap);
	m->in_txn = 0;
	return 0;
}

/* Undo everything since begin, the versions handed out too. */
static void
m_rollback(void *b)
{
	struct mem_sto *m = b;

	if (!m->in_txn) {
		misuse(m, "rollback without begin");
		return;
	}
	state_free(&m->cur);
	m->cur = m->txn_snap;
	memset(&m->txn_snap, 0, sizeof m->txn_snap);
	if (m->in_sp)
		state_free(&m->sp_snap);
	m->in_sp = 0;
	m->in_txn = 0;
}

static int
m_sp_begin(void *b)
{
	struct mem_sto *m = b;

	if (writable(m, "sp_begin") != 0)
		return -1;
	if (m->in_sp)
		return misuse(m, "sp_begin inside a savepoint");
	if (state_copy(&m->sp_snap, &m->cur) != 0)
		return -1;
	m->in_sp = 1;
	return 0;
}

static int
m_sp_release(void *b)
{
	struct mem_sto *m = b;

	if (!m->in_sp)
		return misuse(m, "sp_release without sp_begin");
	state_free(&m->sp_snap);
	m->in_sp = 0;
	return 0;
}

/* Back to the state at sp_begin (versions too); the savepoint stays open. */
static int
m_sp_rollback(void *b)
{
	struct mem_sto *m = b;
	struct mem_state s;

	if (!m->in_sp)
		return misuse(m, "sp_rollback without sp_begin");
	if (state_copy(&s, &m->sp_snap) != 0)
		return -1;
	state_free(&m->cur);
	m->cur = s;
	return 0;
}

static uint64_t
m_version_next(void *b)
{
	struct mem_sto *m = b;

	if (!m->in_txn)
		misuse(m, "version_next outside a transaction");
	return ++m->cur.version;
}

static void
m_version_back(void *b, uint64_t v)
{
	struct mem_sto *m = b;

	if (v != 0 && m->cur.version == v)
		m->cur.version = v - 1;
}

static int
m_row_load(void *b, int t, const char *id, struct srow *r)
{
	struct mem_sto *m = b;
	const struct mem_row *row;

	memset(r, 0, sizeof *r);
	if (t < 0 || t >= TBL_COUNT)
		return -1;
	if ((row = find_row(&m->cur, t, id)) == NULL)
		return 0;
	if (srow_copy(r, &row->r) != 0) {
		srow_clear(r);
		return -1;
	}
	r->exists = 1;
	r->echo = 0;   /* sto.h: row_load leaves it 0 */
	return 0;
}

/*
 * Whether a live row of t other than id holds value v in unique column c
 * (SQLite: CREATE UNIQUE INDEX ... WHERE _deleted = 0; NULLs never clash).
 */
static const struct mem_row *
unique_holder(const struct mem_state *s, int t, int c, const Tongxin__Value *v, const char *id)
{
	if (v->kind_case == TONGXIN__VALUE__KIND__NOT_SET)
		return NULL;
	for (size_t i = 0; i < s->nrows; i++) {
		const struct mem_row *o = &s->rows[i];
		if (o->t == t && !o->r.deleted && strcmp(o->id, id) != 0 && value_eq(&o->r.v[c], v))
			return o;
	}
	return NULL;
}

static enum sto_write
m_row_write(void *b, int t, const char *id, const struct srow *r, int is_new)
{
	struct mem_sto *m = b;
	const struct table_def *td;
	struct mem_row *row;
	struct srow copy;

	if (writable(m, "row_write") != 0)
		return STO_FAILED;
	if (t < 0 || t >= TBL_COUNT || !id_valid(id)) {
		snprintf(m->err, sizeof m->err, "row_write: bad table %d or id", t);
		return STO_FAILED;
	}
	td = &schema_tables[t];
	row = find_row(&m->cur, t, id);
	if (is_new && row != NULL)
		return STO_DUP_ID;          /* the primary key, deleted rows included */
	if (!is_new && row == NULL) {
		snprintf(m->err, sizeof m->err, "row_write: update of %s/%s, which is not there",
		    td->name, id);
		return STO_FAILED;
	}
	for (int c = 0; c < td->ncols; c++) {
		if ((td->cols[c].flags & COLF_REQUIRED) &&
		    r->v[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
			/* NOT NULL in the DDL: the engine checks first, so this is a failure. */
			snprintf(m->err, sizeof m->err, "row_write: %s.%s is NULL", td->name,
			    td->cols[c].name);
			return STO_FAILED;
		}
		if ((td->cols[c].flags & COLF_UNIQUE) && !r->deleted &&
		    unique_holder(&m->cur, t, c, &r->v[c], id) != NULL)
			return STO_UNIQUE;
	}
	if (r->scope[0] == '\0') {
		snprintf(m->err, sizeof m->err, "row_write: %s/%s without a scope", td->name, id);
		return STO_FAILED;
	}
	if (srow_copy(&copy, r) != 0) {
		srow_clear(&copy);
		return STO_FAILED;
	}
	/* Only this table's columns exist. */
	for (int c = td->ncols; c < MAX_COLS; c++)
		value_clear(&copy.v[c]);
	copy.exists = 1;
	if (row != NULL) {
		srow_clear(&row->r);
		row->r = copy;
		return STO_WRITTEN;
	}
	if (grow(&m->cur.rows, &m->cur.caprows, m->cur.nrows, sizeof *m->cur.rows) != 0) {
		srow_clear(&copy);
		return STO_FAILED;
	}
	row = &m->cur.rows[m->cur.nrows++];
	row->t = t;
	cpy(row->id, sizeof row->id, id);
	row->r = copy;
	return STO_WRITTEN;
}

static int
m_unique_owner(void *b, int t, int col, const Tongxin__Value *v, const char *not_id,
    char out[ID_TEXT_LEN + 1])
{
	struct mem_sto *m = b;
	const struct mem_row *o;

	if (t < 0 || t >= TBL_COUNT)
		return -1;
	if (col < 0 || col >= schema_tables[t].ncols ||
	    !(schema_tables[t].cols[col].flags & COLF_UNIQUE))
		return 0;
	if ((o = unique_holder(&m->cur, t, col, v, not_id)) == NULL)
		return 0;
	cpy(out, ID_TEXT_LEN + 1, o->id);
	return 1;
}

/* 1 live, 2 deleted (an organisation: or dissolved), 0 none. */
static int
m_ref_scope(void *b, int t, const char *id, char *scope, size_t cap)
{
	struct mem_sto *m = b;
	const struct mem_row *o;
	int dissolved = 0;

	if (t < 0 || t >= TBL_COUNT)
		return -1;
	if ((o = find_row(&m->cur, t, id)) == NULL)
		return 0;
	snprintf(scope, cap, "%s", o->r.scope);
	if (t == TBL_ORG) {
		const Tongxin__Value *d = &o->r.v[schema_col_index(&schema_tables[TBL_ORG],
		    "dissolved")];
		dissolved = d->kind_case == TONGXIN__VALUE__KIND_I && d->i != 0;
	}
	return o->r.deleted || dissolved ? 2 : 1;
}

static int
m_org_get(void *b, const char *id, struct sto_org *out)
{
	struct mem_sto *m = b;
	const struct table_def *td = &schema_tables[TBL_ORG];
	const struct mem_row *o;
	const Tongxin__Value *d;

	if ((o = find_row(&m->cur, TBL_ORG, id)) == NULL)
		return 0;
	d = &o->r.v[schema_col_index(td, "dissolved")];
	memset(out, 0, sizeof *out);
	cpy(out->kind, sizeof out->kind, text_of(&o->r.v[schema_col_index(td, "kind")]));
	out->deleted = o->r.deleted;
	out->dissolved = d->kind_case == TONGXIN__VALUE__KIND_I && d->i != 0;
	cpy(out->scope, sizeof out->scope, o->r.scope);
	return 1;
}

static int
m_ids_where(void *b, int t, int col, const char *value, size_t max, struct sto_ids *out)
{
	struct mem_sto *m = b;
	size_t found = 0;

	if (t < 0 || t >= TBL_COUNT || col < 0 || col >= schema_tables[t].ncols)
		return -1;
	for (size_t i = 0; i < m->cur.nrows && (max == 0 || found < max); i++) {
		const struct mem_row *o = &m->cur.rows[i];
		const char *s = text_of(&o->r.v[col]);
		if (o->t != t || o->r.deleted || s == NULL || strcmp(s, value) != 0)
			continue;
		if (sto_ids_add(out, o->id) != 0)
			return -1;
		found++;
	}
	return 0;
}

static int
m_audit_put(void *b, const struct sto_audit *a)
{
	struct mem_sto *m = b;
	struct mem_audit *x;

	if (writable(m, "audit_put") != 0)
		return -1;
	/* One entry per version: the version is the audit table's primary key. */
	for (size_t i = 0; i < m->cur.naudit; i++)
		if (m->cur.audit[i].version == a->version) {
			snprintf(m->err, sizeof m->err, "audit_put: version %llu is audited already",
			    (unsigned long long)a->version);
			return -1;
		}
	if (grow(&m->cur.audit, &m->cur.capaudit, m->cur.naudit, sizeof *m->cur.audit) != 0)
		return -1;
	x = &m->cur.audit[m->cur.naudit];
	memset(x, 0, sizeof *x);
	x->version = a->version;
	x->at = a->at;
	cpy(x->device_id, sizeof x->device_id, a->device_id);
	cpy(x->operator_name, sizeof x->operator_name, a->operator_name);
	cpy(x->action, sizeof x->action, a->action);
	x->table = a->table;
	cpy(x->row_id, sizeof x->row_id, a->row_id);
	x->seq = a->seq;
	x->detail_text = a->detail_text;
	if (a->detail != NULL) {
		if ((x->detail = blob_dup(a->detail, a->detail_len)) == NULL)
			return -1;
		x->detail_len = a->detail_len;
	}
	m->cur.naudit++;
	return 0;
}

static int
m_evict_put(void *b, uint64_t version, int t, const char *id, const char *old_scope,
    const char *new_scope)
{
	struct mem_sto *m = b;
	struct mem_evict *x;

	if (writable(m, "evict_put") != 0)
		return -1;
	/* One eviction per version: the version is the evict table's primary key. */
	for (size_t i = 0; i < m->cur.nevict; i++)
		if (m->cur.evict[i].version == version) {
			snprintf(m->err, sizeof m->err, "evict_put: version %llu is taken",
			    (unsigned long long)version);
			return -1;
		}
	if (grow(&m->cur.evict, &m->cur.capevict, m->cur.nevict, sizeof *m->cur.evict) != 0)
		return -1;
	x = &m->cur.evict[m->cur.nevict++];
	memset(x, 0, sizeof *x);
	x->version = version;
	x->table = t;
	cpy(x->row_id, sizeof x->row_id, id);
	cpy(x->old_scope, sizeof x->old_scope, old_scope);
	cpy(x->new_scope, sizeof x->new_scope, new_scope);
	return 0;
}

/* Whether the row ever left a path under scope (its old scope starts with scope). */
static int
m_evict_find(void *b, int t, const char *id, const char *scope)
{
	struct mem_sto *m = b;

	for (size_t i = 0; i < m->cur.nevict; i++) {
		const struct mem_evict *x = &m->cur.evict[i];
		if (x->table == t && strcmp(x->row_id, id) == 0 &&
		    strncmp(x->old_scope, scope, strlen(scope)) == 0)
			return 1;
	}
	return 0;
}

static int
m_share_put(void *b, int via_t, const char *via_id, int t, const char *id, const char *scope)
{
	struct mem_sto *m = b;
	struct mem_share *x = NULL;

	if (writable(m, "share_put") != 0)
		return -1;
	for (size_t i = 0; i < m->cur.nshare && x == NULL; i++)
		if (m->cur.share[i].via_t == via_t && m->cur.share[i].t == t &&
		    strcmp(m->cur.share[i].via_id, via_id) == 0 && strcmp(m->cur.share[i].id, id) == 0)
			x = &m->cur.share[i];
	if (x == NULL) {
		if (grow(&m->cur.share, &m->cur.capshare, m->cur.nshare, sizeof *m->cur.share) != 0)
			return -1;
		x = &m->cur.share[m->cur.nshare++];
		memset(x, 0, sizeof *x);
		x->via_t = via_t;
		x->t = t;
		cpy(x->via_id, sizeof x->via_id, via_id);
		cpy(x->id, sizeof x->id, id);
	}
	cpy(x->scope, sizeof x->scope, scope);
	return 0;
}

static int
m_share_drop(void *b, int via_t, const char *via_id)
{
	struct mem_sto *m = b;
	size_t k = 0;

	if (writable(m, "share_drop") != 0)
		return -1;
	for (size_t i = 0; i < m->cur.nshare; i++)
		if (m->cur.share[i].via_t != via_t || strcmp(m->cur.share[i].via_id, via_id) != 0)
			m->cur.share[k++] = m->cur.share[i];
	m->cur.nshare = k;
	return 0;
}

/* Whether the row is shared into a scope in [lo, hi). */
static int
m_share_in(void *b, int t, const char *id, const char *lo, const char *hi)
{
	struct mem_sto *m = b;

	for (size_t i = 0; i < m->cur.nshare; i++) {
		const struct mem_share *x = &m->cur.share[i];
		if (x->t == t && strcmp(x->id, id) == 0 && strcmp(x->scope, lo) >= 0 &&
		    strcmp(x->scope, hi) < 0)
			return 1;
	}
	return 0;
}

static int
m_txn_find(void *b, const char *device_id, uint64_t seq, struct sto_logged *out)
{
	struct mem_sto *m = b;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < m->cur.ntxn; i++) {
		const struct mem_txnlog *x = &m->cur.txn[i];
		if (x->seq != seq || strcmp(x->device_id, device_id) != 0)
			continue;
		out->status = x->status;
		out->has_reason = x->has_reason;
		cpy(out->reason, sizeof out->reason, x->reason);
		out->why = x->why;
		cpy(out->conflict_id, sizeof out->conflict_id, x->conflict_id);
		out->has_digest = 1;
		memcpy(out->digest, x->digest, sizeof out->digest);
		return 1;
	}
	return 0;
}

static int
m_txn_put(void *b, const struct sto_txnlog *r)
{
	struct mem_sto *m = b;
	struct mem_txnlog *x;
	struct sto_logged old;

	if (writable(m, "txn_put") != 0)
		return -1;
	/* (device_id, seq) is the primary key of txn_log. */
	if (m_txn_find(b, r->device_id, r->seq, &old) == 1) {
		snprintf(m->err, sizeof m->err, "txn_put: (%s, %llu) is logged already", r->device_id,
		    (unsigned long long)r->seq);
		return -1;
	}
	if (grow(&m->cur.txn, &m->cur.captxn, m->cur.ntxn, sizeof *m->cur.txn) != 0)
		return -1;
	x = &m->cur.txn[m->cur.ntxn];
	memset(x, 0, sizeof *x);
	cpy(x->device_id, sizeof x->device_id, r->device_id);
	x->seq = r->seq;
	x->status = r->status;
	if (r->reason != NULL) {
		x->has_reason = 1;
		cpy(x->reason, sizeof x->reason, r->reason);
	}
	if (r->why != NULL)
		x->why = *r->why;
	cpy(x->conflict_id, sizeof x->conflict_id, r->conflict_id);
	x->received_at = r->received_at;
	x->hlc = r->hlc;
	if (r->txn != NULL) {
		if ((x->txn = blob_dup(r->txn, r->txn_len)) == NULL)
			return -1;
		x->txn_len = r->txn_len;
	}
	memcpy(x->digest, r->digest, sizeof x->digest);
	m->cur.ntxn++;
	return 0;
}

static int
m_txn_seq_max(void *b, const char *device_id, uint64_t *out)
{
	struct mem_sto *m = b;

	*out = 0;
	for (size_t i = 0; i < m->cur.ntxn; i++)
		if (strcmp(m->cur.txn[i].device_id, device_id) == 0 && m->cur.txn[i].seq > *out)
			*out = m->cur.txn[i].seq;
	return 0;
}

static int
m_conflict_put(void *b, const struct sto_conflict *c)
{
	struct mem_sto *m = b;
	struct mem_conflict *x;

	if (writable(m, "conflict_put") != 0)
		return -1;
	for (size_t i = 0; i < m->cur.nconf; i++)
		if (strcmp(m->cur.conf[i].id, c->id) == 0) {
			snprintf(m->err, sizeof m->err, "conflict_put: id %s is taken", c->id);
			return -1;
		}
	if (grow(&m->cur.conf, &m->cur.capconf, m->cur.nconf, sizeof *m->cur.conf) != 0)
		return -1;
	x = &m->cur.conf[m->cur.nconf];
	memset(x, 0, sizeof *x);
	cpy(x->id, sizeof x->id, c->id);
	cpy(x->device_id, sizeof x->device_id, c->device_id);
	x->seq = c->seq;
	cpy(x->operator_name, sizeof x->operator_name, c->operator_name);
	cpy(x->kind, sizeof x->kind, c->kind);
	cpy(x->reason, sizeof x->reason, c->reason);
	if (c->why != NULL)
		x->why = *c->why;
	x->table = c->table;
	cpy(x->row_id, sizeof x->row_id, c->row_id);
	if ((x->txn = blob_dup(c->txn, c->txn_len)) == NULL)
		return -1;
	x->txn_len = c->txn_len;
	if (c->server_row != NULL) {
		if ((x->server_row = blob_dup(c->server_row, c->server_row_len)) == NULL) {
			free(x->txn);
			return -1;
		}
		x->server_row_len = c->server_row_len;
	}
	x->hlc = c->hlc;
	x->local_time = c->local_time;
	x->received_at = c->received_at;
	cpy(x->status, sizeof x->status, c->status);
	cpy(x->resolution, sizeof x->resolution, c->resolution);
	x->resolved_version = c->resolved_version;
	cpy(x->loser, sizeof x->loser, c->loser);
	if (c->digest != NULL) {
		x->has_digest = 1;
		memcpy(x->digest, c->digest, sizeof x->digest);
	}
	m->cur.nconf++;
	return 0;
}

static int
m_conflict_open_count(void *b, const char *device_id, int64_t *n)
{
	struct mem_sto *m = b;

	*n = 0;
	for (size_t i = 0; i < m->cur.nconf; i++)
		if (strcmp(m->cur.conf[i].device_id, device_id) == 0 &&
		    strcmp(m->cur.conf[i].status, "open") == 0)
			(*n)++;
	return 0;
}

static char *
dup_or_empty(const char *t)
{
	char *s;

	if (t == NULL || *t == '\0' || (s = strdup(t)) == NULL)
		return (char *)protobuf_c_empty_string;
	return s;
}

/* The row's state now as a Row message (the SQLite store: row_message). NULL on OOM. */
static Tongxin__Row *
row_now(const struct mem_sto *m, int t, const char *id)
{
	const struct mem_row *o = find_row(&m->cur, t, id);
	Tongxin__Row *r = malloc(sizeof *r);
	int nc = schema_tables[t].ncols;

	if (r == NULL)
		return NULL;
	tongxin__row__init(r);
	r->table = (uint32_t)t;
	r->row_id = dup_or_empty(id);
	if (o == NULL || o->r.deleted) {
		r->deleted = 1;
		r->version = o ? o->r.version : 0;
		return r;
	}
	r->version = o->r.version;
	if ((r->values = calloc((size_t)nc, sizeof *r->values)) == NULL)
		goto oom;
	for (int c = 0; c < nc; c++) {
		if ((r->values[c] = malloc(sizeof **r->values)) == NULL)
			goto oom;
		tongxin__value__init(r->values[c]);
		r->n_values++;
		if (value_copy(r->values[c], &o->r.v[c]) != 0)
			goto oom;
	}
	return r;
oom:
	tongxin__row__free_unpacked(r, NULL);
	return NULL;
}

static int
m_conflict_get(void *b, const char *key, Tongxin__ConflictInfo **out, char *err, size_t errlen)
{
	struct mem_sto *m = b;
	const struct mem_conflict *x = NULL;
	const struct mem_dev *d = NULL;
	Tongxin__ConflictInfo *ci;
	size_t kl = strlen(key), hits = 0;

	*out = NULL;
	if (kl < 6 || kl > ID_TEXT_LEN) {
		snprintf(err, errlen, "a conflict id has 6 to 36 characters (the end of the id is enough)");
		return -1;
	}
	for (size_t i = 0; i < m->cur.nconf; i++) {
		const char *id = m->cur.conf[i].id;
		size_t n = strlen(id);
		if (strcmp(id, key) == 0 || (n >= kl && strcmp(id + n - kl, key) == 0)) {
			x = &m->cur.conf[i];
			hits++;
		}
	}
	if (hits == 0) {
		snprintf(err, errlen, "no conflict %s", key);
		return -1;
	}
	if (hits > 1) {
		snprintf(err, errlen, "conflict id %s is ambiguous; give more of it", key);
		return -1;
	}
	for (size_t i = 0; i < m->ndevs; i++)
		if (strcmp(m->devs[i].id, x->device_id) == 0)
			d = &m->devs[i];
	if ((ci = malloc(sizeof *ci)) == NULL)
		goto oom;
	tongxin__conflict_info__init(ci);
	ci->id = dup_or_empty(x->id);
	ci->kind = dup_or_empty(x->kind);
	ci->reason = dup_or_empty(x->reason);
	ci->device_name = dup_or_empty(d ? d->name : NULL);
	ci->org_code = dup_or_empty(d ? d->org_code : NULL);
	ci->operator_name = dup_or_empty(x->operator_name);
	ci->table = (uint32_t)x->table;
	ci->row_id = dup_or_empty(x->row_id);
	ci->seq = x->seq;
	ci->hlc = x->hlc;
	ci->local_time_ms = x->local_time;
	ci->received_at_ms = x->received_at;
	ci->status = dup_or_empty(x->status);
	ci->resolution = dup_or_empty(x->resolution);
	ci->resolved_by = dup_or_empty(x->resolved_by);
	ci->resolved_at_ms = x->resolved_at;
	if (x->why.code != R_NONE && reason_args_copy(&x->why, &ci->reason_code, &ci->reason_args,
	    &ci->n_reason_args) != 0)
		goto oom_ci;
	ci->txn = tongxin__txn__unpack(NULL, x->txn_len, x->txn);
	if (x->server_row != NULL)
		ci->server_row = tongxin__row__unpack(NULL, x->server_row_len, x->server_row);
	if (x->table >= 0 && x->table < TBL_COUNT && id_valid(x->row_id)) {
		const char *cur_id = ci->server_row && !ci->server_row->deleted &&
		    ci->server_row->row_id[0] ? ci->server_row->row_id : x->row_id;
		if ((ci->current_row = row_now(m, x->table, cur_id)) == NULL)
			goto oom_ci;
	}
	*out = ci;
	return 0;
oom_ci:
	tongxin__conflict_info__free_unpacked(ci, NULL);
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

static int
m_conflict_settle(void *b, const char *id, const char *resolution, const char *by, int64_t at,
    uint64_t version, const char *note)
{
	struct mem_sto *m = b;

	if (writable(m, "conflict_settle") != 0)
		return -1;
	for (size_t i = 0; i < m->cur.nconf; i++) {
		struct mem_conflict *x = &m->cur.conf[i];
		if (strcmp(x->id, id) != 0)
			continue;
		if (strcmp(x->status, "open") != 0)
			return 0;
		cpy(x->status, sizeof x->status, "resolved");
		cpy(x->resolution, sizeof x->resolution, resolution);
		cpy(x->resolved_by, sizeof x->resolved_by, by);
		x->resolved_at = at;
		x->resolved_version = version;
		cpy(x->note, sizeof x->note, note);
		return 1;
	}
	return 0;
}

static int
m_reused_find(void *b, const char *device_id, uint64_t seq, const uint8_t digest[32],
    struct sto_logged *out)
{
	struct mem_sto *m = b;

	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < m->cur.nconf; i++) {
		const struct mem_conflict *x = &m->cur.conf[i];
		if (x->seq == seq && strcmp(x->device_id, device_id) == 0 &&
		    strcmp(x->kind, "reused_seq") == 0 && x->has_digest &&
		    memcmp(x->digest, digest, 32) == 0) {
			cpy(out->conflict_id, sizeof out->conflict_id, x->id);
			out->status = strcmp(x->status, "rejected") == 0 ?
			    TONGXIN__TXN_RESULT__STATUS__REJECTED :
			    TONGXIN__TXN_RESULT__STATUS__CONFLICT;
			out->has_reason = 1;
			cpy(out->reason, sizeof out->reason, x->reason);
			out->why = x->why;
			return 1;
		}
	}
	return 0;
}

/* --- recovery after a restore: three small tables, as store_restore.c's --- */

static int
m_recovered_get(void *b, int t, const char *id, uint64_t *origin, uint64_t *version)
{
	struct mem_sto *m = b;

	for (size_t i = 0; i < m->cur.nrec; i++) {
		const struct mem_recovered *x = &m->cur.rec[i];
		if (x->t == t && strcmp(x->id, id) == 0) {
			*origin = x->origin;
			*version = x->version;
			return 1;
		}
	}
	return 0;
}

static int
m_recovered_put(void *b, int t, const char *id, uint64_t origin, uint64_t version,
    const char *device_id)
{
	struct mem_sto *m = b;
	struct mem_recovered *x = NULL;

	if (writable(m, "recovered_put") != 0)
		return -1;
	/* (t, id) is the key: a second put replaces. */
	for (size_t i = 0; i < m->cur.nrec && x == NULL; i++)
		if (m->cur.rec[i].t == t && strcmp(m->cur.rec[i].id, id) == 0)
			x = &m->cur.rec[i];
	if (x == NULL) {
		if (grow(&m->cur.rec, &m->cur.caprec, m->cur.nrec, sizeof *m->cur.rec) != 0)
			return -1;
		x = &m->cur.rec[m->cur.nrec++];
	}
	memset(x, 0, sizeof *x);
	x->t = t;
	cpy(x->id, sizeof x->id, id);
	x->origin = origin;
	x->version = version;
	cpy(x->device_id, sizeof x->device_id, device_id);
	return 0;
}

static int
m_recovered_queued(void *b, const char *device_id, int t, const char *id, uint64_t origin)
{
	struct mem_sto *m = b;

	for (size_t i = 0; i < m->cur.nrecq; i++) {
		const struct mem_recq *x = &m->cur.recq[i];
		if (x->t == t && x->origin == origin && strcmp(x->id, id) == 0 &&
		    strcmp(x->device_id, device_id) == 0)
			return 1;
	}
	return 0;
}

static int
m_recovered_queued_put(void *b, const char *device_id, int t, const char *id, uint64_t origin,
    const char *conflict_id)
{
	struct mem_sto *m = b;
	struct mem_recq *x;

	if (writable(m, "recovered_queued_put") != 0)
		return -1;
	if (m_recovered_queued(b, device_id, t, id, origin))
		return 0;   /* INSERT OR IGNORE */
	if (grow(&m->cur.recq, &m->cur.caprecq, m->cur.nrecq, sizeof *m->cur.recq) != 0)
		return -1;
	x = &m->cur.recq[m->cur.nrecq++];
	memset(x, 0, sizeof *x);
	cpy(x->device_id, sizeof x->device_id, device_id);
	x->t = t;
	cpy(x->id, sizeof x->id, id);
	x->origin = origin;
	cpy(x->conflict_id, sizeof x->conflict_id, conflict_id);
	return 0;
}

static struct mem_recovery *
recovery_of(struct mem_sto *m, const char *device_id, const char *epoch)
{
	for (size_t i = 0; i < m->cur.nrecov; i++)
		if (strcmp(m->cur.recov[i].device_id, device_id) == 0 &&
		    strcmp(m->cur.recov[i].epoch, epoch) == 0)
			return &m->cur.recov[i];
	return NULL;
}

static int
m_recovery_add(void *b, const char *device_id, const char *epoch,
    const struct sto_recovery *add, int done)
{
	struct mem_sto *m = b;
	struct mem_recovery *x;

	if (writable(m, "recovery_add") != 0)
		return -1;
	if ((x = recovery_of(m, device_id, epoch)) == NULL) {
		if (grow(&m->cur.recov, &m->cur.caprecov, m->cur.nrecov, sizeof *m->cur.recov) != 0)
			return -1;
		x = &m->cur.recov[m->cur.nrecov++];
		memset(x, 0, sizeof *x);
		cpy(x->device_id, sizeof x->device_id, device_id);
		cpy(x->epoch, sizeof x->epoch, epoch);
	}
	x->n.applied += add->applied;
	x->n.known += add->known;
	x->n.conflicts += add->conflicts;
	x->n.rejected += add->rejected;
	if (done)
		x->finished = 1;
	return 0;
}

static int
m_recovery_get(void *b, const char *device_id, const char *epoch, struct sto_recovery *out)
{
	struct mem_recovery *x = recovery_of(b, device_id, epoch);

	memset(out, 0, sizeof *out);
	if (x == NULL)
		return 0;
	*out = x->n;
	return x->finished;
}

const struct sto_ops mem_sto_ops = {
	.name = "memory",
	.errmsg = m_errmsg,
	.begin = m_begin,
	.commit = m_commit,
	.rollback = m_rollback,
	.sp_begin = m_sp_begin,
	.sp_release = m_sp_release,
	.sp_rollback = m_sp_rollback,
	.version_next = m_version_next,
	.version_back = m_version_back,
	.row_load = m_row_load,
	.row_write = m_row_write,
	.unique_owner = m_unique_owner,
	.ref_scope = m_ref_scope,
	.org_get = m_org_get,
	.ids_where = m_ids_where,
	.audit_put = m_audit_put,
	.evict_put = m_evict_put,
	.evict_find = m_evict_find,
	.share_put = m_share_put,
	.share_drop = m_share_drop,
	.share_in = m_share_in,
	.txn_find = m_txn_find,
	.txn_put = m_txn_put,
	.txn_seq_max = m_txn_seq_max,
	.conflict_put = m_conflict_put,
	.conflict_open_count = m_conflict_open_count,
	.conflict_get = m_conflict_get,
	.conflict_settle = m_conflict_settle,
	.reused_find = m_reused_find,
	.recovered_get = m_recovered_get,
	.recovered_put = m_recovered_put,
	.recovered_queued = m_recovered_queued,
	.recovered_queued_put = m_recovered_queued_put,
	.recovery_add = m_recovery_add,
	.recovery_get = m_recovery_get,
};

/* --- life and accessors --------------------------------------------------- */

struct mem_sto *
mem_sto_new(void)
{
	return calloc(1, sizeof(struct mem_sto));
}

void
mem_sto_free(struct mem_sto *m)
{
	if (m == NULL)
		return;
	state_free(&m->cur);
	state_free(&m->txn_snap);
	state_free(&m->sp_snap);
	free(m->devs);
	free(m);
}

int
mem_sto_device(struct mem_sto *m, const char *device_id, const char *name, const char *org_code)
{
	struct mem_dev *d;

	if (grow(&m->devs, &m->capdevs, m->ndevs, sizeof *m->devs) != 0)
		return -1;
	d = &m->devs[m->ndevs++];
	cpy(d->id, sizeof d->id, device_id);
	cpy(d->name, sizeof d->name, name);
	cpy(d->org_code, sizeof d->org_code, org_code);
	return 0;
}

uint64_t
mem_sto_version(const struct mem_sto *m)
{
	return m->cur.version;
}

int
mem_sto_misuse(const struct mem_sto *m)
{
	return m->misuse;
}

int
mem_sto_in_txn(const struct mem_sto *m)
{
	return m->in_txn;
}

size_t
mem_sto_count(const struct mem_sto *m, int t, int live_only)
{
	size_t n = 0;

	for (size_t i = 0; i < m->cur.nrows; i++)
		n += m->cur.rows[i].t == t && (!live_only || !m->cur.rows[i].r.deleted);
	return n;
}

const struct srow *
mem_sto_row(const struct mem_sto *m, int t, const char *id)
{
	const struct mem_row *o = find_row(&m->cur, t, id);

	return o ? &o->r : NULL;
}

size_t mem_sto_naudit(const struct mem_sto *m) { return m->cur.naudit; }
size_t mem_sto_nevict(const struct mem_sto *m) { return m->cur.nevict; }
size_t mem_sto_ntxn(const struct mem_sto *m) { return m->cur.ntxn; }
size_t mem_sto_nconflicts(const struct mem_sto *m) { return m->cur.nconf; }

const struct mem_audit *
mem_sto_audit(const struct mem_sto *m, size_t i)
{
	return i < m->cur.naudit ? &m->cur.audit[i] : NULL;
}

const struct mem_evict *
mem_sto_evict(const struct mem_sto *m, size_t i)
{
	return i < m->cur.nevict ? &m->cur.evict[i] : NULL;
}

const struct mem_txnlog *
mem_sto_txn(const struct mem_sto *m, size_t i)
{
	return i < m->cur.ntxn ? &m->cur.txn[i] : NULL;
}

const struct mem_conflict *
mem_sto_conflict(const struct mem_sto *m, size_t i)
{
	return i < m->cur.nconf ? &m->cur.conf[i] : NULL;
}
