/*
 * replica_capture.c - a clerk's local writes: a local transaction (rep_begin,
 * rep_commit), its rows (rep_insert, rep_update, rep_delete) and the outbox
 * entry each transaction leaves for the next push. See replica.h.
 */
#include "replica.h"

#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "pbwire.h"
#include "replica_int.h"
#include "rowhash.h"
#include "log.h"
#include "reason.h"
#include "value.h"
#include "vocab.h"

/*
 * Bytes the chunk keeps in front of its changes for the Txn header that
 * flush_chunk packs there (at most 99: three 64-bit varints and a
 * 64-byte operator name, each with its tag).
 */
#define CHUNK_HEAD 128

/* An integer from meta through the kept statement (rep_begin runs once per write). */
int64_t
rep_meta_int(struct replica *r, const char *key, int64_t dflt)
{
	int64_t v = dflt;

	sqlite3_bind_text(r->meta_get, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(r->meta_get) == SQLITE_ROW &&
	    sqlite3_column_type(r->meta_get, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(r->meta_get, 0);
	sqlite3_reset(r->meta_get);
	return v;
}

int
rep_meta_set(struct replica *r, const char *key, int64_t v)
{
	int rc;

	sqlite3_bind_text(r->meta_put, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->meta_put, 2, v);
	rc = sqlite3_step(r->meta_put);
	sqlite3_reset(r->meta_put);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * One chunk kept for the process's next local transaction once a commit has
 * written its own (NULL: none). A bulk transaction's chunk is a third of a
 * megabyte: freed at every commit and grown again from 64 KiB, each
 * transaction paid its allocations, copies and page faults again. The
 * chunk's capacity is kept in its first bytes (the header room, which
 * flush_chunk overwrites anyway). Taken and given back by atomic exchange,
 * so replicas in several threads share it safely; a global, so the block
 * stays reachable until the process ends.
 */
static _Atomic(uint8_t *) chunk_spare;

/* The largest chunk kept for reuse; a larger one is freed at commit. */
#define CHUNK_KEEP_MAX (4u << 20)

/* Give r's chunk to chunk_spare (or free it) and leave r without one. */
static void
chunk_release(struct replica *r)
{
	uint8_t *old;

	if (r->chunk != NULL && r->chunk_cap >= CHUNK_HEAD && r->chunk_cap <= CHUNK_KEEP_MAX) {
		memcpy(r->chunk, &r->chunk_cap, sizeof r->chunk_cap);
		old = atomic_exchange(&chunk_spare, r->chunk);
		free(old);
	} else {
		free(r->chunk);
	}
	r->chunk = NULL;
	r->chunk_len = r->chunk_cap = 0;
	r->nchanges = 0;
}

int64_t
rep_next_seq(struct replica *r)
{
	int64_t next = rep_meta_int(r, "next_seq", 1), last;
	uint64_t hlc = (uint64_t)rep_meta_int(r, "hlc", 0);
	int rc;

	if (hlc > r->hlc)
		r->hlc = hlc;   /* another process's acknowledgement may have raised it */
	if (r->outbox_last == NULL &&
	    (r->outbox_last = db_prepare(r->db,
	    "SELECT seq, hlc FROM outbox ORDER BY seq DESC LIMIT 1")) == NULL)
		return -1;
	if ((rc = sqlite3_step(r->outbox_last)) == SQLITE_ROW) {
		last = sqlite3_column_int64(r->outbox_last, 0);
		hlc = (uint64_t)sqlite3_column_int64(r->outbox_last, 1);
		if (last >= next)
			next = last + 1;
		if (hlc > r->hlc)
			r->hlc = hlc;
	}
	sqlite3_reset(r->outbox_last);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? next : -1;
}

/* The database's data version (moved by every commit of any connection), or 0. */
static unsigned int
data_version(struct replica *r)
{
	unsigned int v = 0;

	if (sqlite3_file_control(r->db, "main", SQLITE_FCNTL_DATA_VERSION, &v) != SQLITE_OK)
		return 0;
	return v;
}

int
rep_begin(struct replica *r, const char *operator_name)
{
	int64_t next;

	if (r->in_txn)
		return -1;
	if (db_exec(r->db, "BEGIN IMMEDIATE", NULL, 0) != 0)
		return -1;
	/*
	 * Under the write lock: when nothing has been committed since this
	 * process's last local transaction, the next sequence is the one after
	 * it (three reads less for every one-row transaction of a session).
	 */
	if (r->seq_known && r->seq_dv != 0 && data_version(r) == r->seq_dv) {
		next = (int64_t)r->seq;
	} else if ((next = rep_next_seq(r)) < 0) {
		db_exec(r->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	r->seq_known = false;
	r->in_txn = 1;
	r->seq = (uint64_t)next;
	{
		/* As snprintf would cut it, without its format walk (every transaction). */
		size_t on = operator_name ? strnlen(operator_name, sizeof r->operator_name - 1) : 0;
		memcpy(r->operator_name, operator_name ? operator_name : "", on);
		r->operator_name[on] = '\0';
	}
	r->chunk_len = 0;
	r->nchanges = 0;
	r->nrefs = 0;
	r->refs_off = false;
	r->refs_check = 0;
	return 0;
}

void
rep_rollback(struct replica *r)
{
	if (!r->in_txn)
		return;
	db_exec(r->db, "ROLLBACK", NULL, 0);
	chunk_release(r);
	r->nrefs = 0;
	r->in_txn = 0;
}

/*
 * The Txn header (fields 1-4, no changes) packed at o, which has room for
 * CHUNK_HEAD bytes, as protobuf-c packs it (proto3: zeros and an empty name
 * left out); its length. By hand: the generic packer's descriptor walk was
 * a tenth of the work capture adds to a one-row transaction.
 */
static size_t
txn_head_pack(const Tongxin__Txn *tx, uint8_t *o)
{
	uint8_t *start = o;
	size_t n = strlen(tx->operator_name);

	if (tx->seq) {
		*o++ = 1 << 3 | PB_VARINT;
		o = pb_put_varint(o, tx->seq);
	}
	if (tx->hlc) {
		*o++ = 2 << 3 | PB_VARINT;
		o = pb_put_varint(o, tx->hlc);
	}
	if (tx->local_time_ms) {
		*o++ = 3 << 3 | PB_VARINT;
		o = pb_put_varint(o, (uint64_t)tx->local_time_ms);
	}
	if (n) {
		*o++ = 4 << 3 | PB_LEN;
		o = pb_put_varint(o, n);
		memcpy(o, tx->operator_name, n);
		o += n;
	}
#ifndef NDEBUG
	{
		/* The hand packing is protobuf-c's, byte for byte. */
		uint8_t pb[CHUNK_HEAD];
		size_t pn = tongxin__txn__get_packed_size(tx);
		if (pn != (size_t)(o - start) || pn > sizeof pb ||
		    tongxin__txn__pack(tx, pb) != pn || memcmp(pb, start, pn) != 0)
			abort();
	}
#endif
	return (size_t)(o - start);
}

static int flush_refs(struct replica *r, const Tongxin__Txn *tx, const uint8_t *head,
    size_t hn, char *err, size_t errlen);

/*
 * Write the changes gathered so far as one outbox transaction: the Txn
 * header is packed into the room the chunk keeps in front of its changes,
 * and the entry is bound from the chunk as it stands (a bulk transaction's
 * entry is a third of a megabyte: no second buffer, no copy).
 */
static int
flush_chunk(struct replica *r, char *err, size_t errlen)
{
	Tongxin__Txn tx = TONGXIN__TXN__INIT;
	uint8_t *buf, *blob, *work = NULL, head[CHUNK_HEAD];
	size_t hn, blen = 0;
	int rc;

	if (r->nchanges == 0)
		return 0;
	r->hlc = hlc_next(r->hlc);
	tx.seq = r->seq;
	tx.hlc = r->hlc;
	tx.local_time_ms = now_ms();
	tx.operator_name = r->operator_name;
	/*
	 * The header (no changes), then the changes already packed. seq, hlc
	 * and time take at most 11 bytes each, the operator's name (64 bytes at
	 * most, rep_begin) 66: the header fits the room in front of them.
	 */
	hn = txn_head_pack(&tx, head);
	tx.n_changes = r->nchanges;
	sqlite3_bind_int64(r->outbox_put, 1, (sqlite3_int64)tx.seq);
	sqlite3_bind_int64(r->outbox_put, 2, (sqlite3_int64)tx.hlc);
	sqlite3_bind_int64(r->outbox_put, 3, tx.local_time_ms);
	sqlite3_bind_int64(r->outbox_put, 4, (sqlite3_int64)tx.n_changes);
	assert(r->refs_off || r->nrefs == r->nchanges);
	if (!r->refs_off) {
		/* Inserts only, each row as it was written: references to the rows. */
		if (flush_refs(r, &tx, head, hn, err, errlen) != 0)
			return -1;
		goto done;
	}
	buf = r->chunk + CHUNK_HEAD - hn;
	memcpy(buf, head, hn);
	/* A bulk entry of inserts is stored compact (rep_outbox_expand gives the bytes back). */
	if ((blob = rep_outbox_compact(buf, hn, r->chunk + CHUNK_HEAD, r->chunk_len - CHUNK_HEAD,
	    r->nchanges, &blen, &work)) != NULL)
		sqlite3_bind_blob(r->outbox_put, 5, blob, (int)blen, SQLITE_STATIC);
	else
		sqlite3_bind_blob(r->outbox_put, 5, buf, (int)(r->chunk_len - (CHUNK_HEAD - hn)),
		    SQLITE_STATIC);
	rc = sqlite3_step(r->outbox_put);
	sqlite3_reset(r->outbox_put);   /* every parameter is bound again next time */
	if (blob != NULL)
		rep_outbox_compact_done(work);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot write the outbox: %s", sqlite3_errmsg(r->db));
		return -1;
	}
done:
	r->nrefs = 0;
	r->refs_off = false;
	r->refs_check = 0;
	r->chunk_len = 0;
	r->nchanges = 0;
	r->seq++;
	return 0;
}

int
rep_commit(struct replica *r, char *err, size_t errlen)
{
	if (!r->in_txn) {
		snprintf(err, errlen, "no transaction");
		return -1;
	}
	/*
	 * The outbox entry is the record of this seq and hlc (rep_next_seq reads
	 * the newest): meta is not written, which was a page of the WAL for
	 * every one-row transaction.
	 */
	if (flush_chunk(r, err, errlen) != 0 || db_exec(r->db, "COMMIT", err, errlen) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot commit: %s", sqlite3_errmsg(r->db));
		rep_rollback(r);
		return -1;
	}
	chunk_release(r);
	r->in_txn = 0;
	r->seq_dv = data_version(r);
	r->seq_known = true;   /* r->seq is past the entries just written */
	return 0;
}

/* Copy n values into a new malloc'd array of Value pointers. */
static Tongxin__Value **
values_dup(const Tongxin__Value *const *src, const Tongxin__Value *flat, size_t n)
{
	Tongxin__Value **out = calloc(n ? n : 1, sizeof *out);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const Tongxin__Value *v = src ? src[i] : &flat[i];
		if ((out[i] = malloc(sizeof **out)) == NULL || value_copy(out[i], v) != 0) {
			free(out[i]);
			while (i-- > 0) {
				value_clear(out[i]);
				free(out[i]);
			}
			free(out);
			return NULL;
		}
	}
	return out;
}

/*
 * Room for the chunk to hold need more bytes; the chunk keeps CHUNK_HEAD
 * bytes in front of its changes, where flush_chunk packs the Txn header, so
 * that the outbox entry is bound straight from the chunk without a copy.
 * 0, or -1 when memory runs out (the chunk is left as it was).
 */
static int
chunk_room(struct replica *r, size_t need)
{
	size_t cap;
	uint8_t *p;

	if (r->chunk_len == 0)
		r->chunk_len = CHUNK_HEAD;
	if (r->chunk_len + need <= r->chunk_cap)
		return 0;
	if (r->chunk == NULL && (p = atomic_exchange(&chunk_spare, NULL)) != NULL) {
		memcpy(&r->chunk_cap, p, sizeof r->chunk_cap);
		r->chunk = p;
		if (r->chunk_len + need <= r->chunk_cap)
			return 0;
	}
	cap = r->chunk_cap ? r->chunk_cap * 2 : 65536;
	while (cap < r->chunk_len + need)
		cap *= 2;
	if ((p = realloc(r->chunk, cap)) == NULL)
		return -1;
	r->chunk = p;
	r->chunk_cap = cap;
	return 0;
}

/*
 * Bytes of one Value's encoding (without its tag and length), as protobuf-c
 * packs it: the oneof member is written even when it is 0 or an empty
 * string, but a string that is NULL or the generated init's empty string
 * (the field's default) is left out. slen is the string's length.
 */
static inline size_t
value_size(const Tongxin__Value *v, size_t slen)
{
	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND_I:
		return 1 + pb_varint_size(((uint64_t)v->i << 1) ^ (uint64_t)(v->i >> 63));
	case TONGXIN__VALUE__KIND_R:
		return 9;
	case TONGXIN__VALUE__KIND_S:
		if (v->s == NULL || v->s == protobuf_c_empty_string)
			return 0;
		return 1 + pb_varint_size(slen) + slen;
	default:
		return 0;
	}
}

/* The length of v's string, if it has one that is written; else 0. */
static size_t
value_slen(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S && v->s != NULL &&
	    v->s != protobuf_c_empty_string ? strlen(v->s) : 0;
}

/*
 * Append one repeated Value field (5 values, 6 before) of n values, their
 * string lengths in lens and encoded sizes in szs (values_size measured
 * them); o has room for every byte.
 */
static uint8_t *
put_values(uint8_t *o, uint32_t field, Tongxin__Value *const *vals, const size_t *lens,
    const size_t *szs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const Tongxin__Value *v = vals[i];
		size_t sz = szs[i];

		*o++ = (uint8_t)(field << 3 | PB_LEN);
		o = pb_put_varint(o, sz);
		if (sz == 0)
			continue;
		switch (v->kind_case) {
		case TONGXIN__VALUE__KIND_I:
			*o++ = 1 << 3 | PB_VARINT;
			o = pb_put_varint(o, ((uint64_t)v->i << 1) ^ (uint64_t)(v->i >> 63));
			break;
		case TONGXIN__VALUE__KIND_R: {
			uint64_t bits;
			memcpy(&bits, &v->r, 8);
			*o++ = 2 << 3 | PB_I64;
			for (int k = 0; k < 8; k++)
				*o++ = (uint8_t)(bits >> (8 * k));
			break;
		}
		default:
			*o++ = 3 << 3 | PB_LEN;
			o = pb_put_varint(o, lens[i]);
			memcpy(o, v->s, lens[i]);
			o += lens[i];
			break;
		}
	}
	return o;
}

/*
 * Bytes of a repeated Value field of n values, tags and lengths included;
 * each string's length goes to lens, each value's encoded size to szs.
 */
static size_t
values_size(Tongxin__Value *const *vals, size_t *lens, size_t *szs, size_t n)
{
	size_t total = 0;

	for (size_t i = 0; i < n; i++) {
		size_t sz = szs[i] = value_size(vals[i], lens[i] = value_slen(vals[i]));
		total += 1 + pb_varint_size(sz) + sz;
	}
	return total;
}

/*
 * The bytes of change c packed (without its field 5 tag and length), as
 * protobuf-c packs it (proto3: zero scalars and empty strings left out,
 * cols packed); the string lengths and encoded sizes of its values and
 * befores go to lens and szs (n_values + n_before each), the size of its
 * packed cols to *colsz.
 */
static size_t
change_size(const Tongxin__Change *c, size_t *lens, size_t *szs, size_t *colsz)
{
	size_t rid = c->row_id != NULL ? strlen(c->row_id) : 0;

	*colsz = 0;
	for (size_t i = 0; i < c->n_cols; i++)
		*colsz += pb_varint_size(c->cols[i]);
	return (c->table ? 1 + pb_varint_size(c->table) : 0) +
	    (rid ? 1 + pb_varint_size(rid) + rid : 0) +
	    (c->op ? 1 + pb_varint_size((uint64_t)(int64_t)c->op) : 0) +
	    (c->n_cols ? 1 + pb_varint_size(*colsz) + *colsz : 0) +
	    values_size(c->values, lens, szs, c->n_values) +
	    values_size(c->before, lens + c->n_values, szs + c->n_values, c->n_before) +
	    (c->base_version ? 1 + pb_varint_size(c->base_version) : 0);
}

/*
 * Write c at o as one element of Txn field 5 (tag, length n, the change),
 * with what change_size measured; o has room for 1 + pb_varint_size(n) + n
 * bytes. Returns the end. Debug builds check the bytes against
 * protobuf-c's, so that the push keeps sending what the server always read.
 */
static uint8_t *
change_put(uint8_t *o, const Tongxin__Change *c, size_t n, const size_t *lens,
    const size_t *szs, size_t colsz)
{
	size_t rid = c->row_id != NULL ? strlen(c->row_id) : 0;
	uint8_t *start;

	*o++ = 5 << 3 | PB_LEN;   /* Txn.changes */
	o = pb_put_varint(o, n);
	start = o;
	if (c->table) {
		*o++ = 1 << 3 | PB_VARINT;
		o = pb_put_varint(o, c->table);
	}
	if (rid) {
		*o++ = 2 << 3 | PB_LEN;
		o = pb_put_varint(o, rid);
		memcpy(o, c->row_id, rid);
		o += rid;
	}
	if (c->op) {
		*o++ = 3 << 3 | PB_VARINT;
		o = pb_put_varint(o, (uint64_t)(int64_t)c->op);
	}
	if (c->n_cols) {
		*o++ = 4 << 3 | PB_LEN;
		o = pb_put_varint(o, colsz);
		for (size_t i = 0; i < c->n_cols; i++)
			o = pb_put_varint(o, c->cols[i]);
	}
	o = put_values(o, 5, c->values, lens, szs, c->n_values);
	o = put_values(o, 6, c->before, lens + c->n_values, szs + c->n_values, c->n_before);
	if (c->base_version) {
		*o++ = 7 << 3 | PB_VARINT;
		o = pb_put_varint(o, c->base_version);
	}
	assert((size_t)(o - start) == n);
	(void)start;
#ifndef NDEBUG
	{
		/* The hand encoding is protobuf-c's, byte for byte. */
		size_t pn = tongxin__change__get_packed_size(c);
		uint8_t *pb = malloc(pn ? pn : 1);
		if (pb != NULL) {
			size_t got = tongxin__change__pack(c, pb);
			if (got != n || memcmp(pb, start, n) != 0)
				abort();
			free(pb);
		}
	}
#endif
	return o;
}

/*
 * Append c to the chunk as one element of Txn field 5, encoded by hand
 * (change_put): capture packs every change a clerk makes, and protobuf-c's
 * descriptor walk (measure, then pack) was a fifth of a bulk capture.
 * 0, or -1 when memory runs out.
 */
static int
chunk_append(struct replica *r, const Tongxin__Change *c)
{
	size_t lens_local[4 * MAX_COLS], *lens = lens_local, *szs, colsz, n;
	int rc = -1;

	/* Every change the replica makes has at most MAX_COLS values and as many befores. */
	if (c->n_values + c->n_before > 2 * MAX_COLS &&
	    (lens = malloc(2 * (c->n_values + c->n_before) * sizeof *lens)) == NULL)
		return -1;
	szs = lens + c->n_values + c->n_before;   /* the sizes after the lengths */
	n = change_size(c, lens, szs, &colsz);
	if (chunk_room(r, 1 + pb_varint_size(n) + n) != 0)
		goto out;
	r->chunk_len = (size_t)(change_put(r->chunk + r->chunk_len, c, n, lens, szs, colsz) -
	    r->chunk);
	rc = 0;
out:
	if (lens != lens_local)
		free(lens);
	return rc;
}

/* --- the reference form --------------------------------------------------- */

/*
 * Whether v, bound as rep_insert binds it into a column of type ct, reads
 * back as exactly v: an integer into an INTEGER column, a string (not the
 * generated init's empty one, which packs differently from "") into a TEXT
 * one, or nothing (NULL). Anything else is packed at once.
 */
static inline bool
value_reads_back(const Tongxin__Value *v, enum col_type ct)
{
	bool int_col = ct == COL_INT || ct == COL_BOOL;

	switch (v->kind_case) {
	case TONGXIN__VALUE__KIND__NOT_SET:
		return true;
	case TONGXIN__VALUE__KIND_I:
		return int_col;
	case TONGXIN__VALUE__KIND_S:
		return !int_col && v->s != NULL && v->s != protobuf_c_empty_string;
	default:
		return false;
	}
}

/*
 * The entry's check: each word folded in by rotate and xor (a word's
 * change always shows), each value then mixed by a multiply. It guards
 * against a row changed without rep_ref_settle, not against an adversary
 * (whoever can write the file can write the check too), and costs capture
 * about 1% of a bulk insert.
 */
static inline uint64_t
check_word(uint64_t h, uint64_t w)
{
	return (h << 23 | h >> 41) ^ w;
}

static inline uint64_t
check_mix(uint64_t h)
{
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* A string of n bytes into the check, eight at a time (the last few assembled in a register). */
static inline uint64_t
check_str(uint64_t h, const char *p, size_t n)
{
	const uint8_t *b = (const uint8_t *)p;
	size_t i = 0;
	uint64_t w = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		h = check_word(h, w);
	}
	w = (uint64_t)n << 56;
	switch (n - i) {
	case 7: w |= (uint64_t)b[i + 6] << 48; /* FALLTHROUGH */
	case 6: w |= (uint64_t)b[i + 5] << 40; /* FALLTHROUGH */
	case 5: w |= (uint64_t)b[i + 4] << 32; /* FALLTHROUGH */
	case 4: w |= (uint64_t)b[i + 3] << 24; /* FALLTHROUGH */
	case 3: w |= (uint64_t)b[i + 2] << 16; /* FALLTHROUGH */
	case 2: w |= (uint64_t)b[i + 1] << 8;  /* FALLTHROUGH */
	case 1: w |= b[i];                      /* FALLTHROUGH */
	default: break;
	}
	return check_mix(check_word(h, w));
}

/*
 * Change c (an insert) into the check of an entry in the reference form:
 * its table, row id, and each value with its column and kind; lens holds
 * the length of each string value (c->values[k]). Capture folds in what
 * the clerk gave, the push what the rows hold; a difference means a row
 * changed without rep_ref_settle, and the entry is not sent as something
 * the clerk did not write.
 */
static uint64_t
change_check(uint64_t h, const Tongxin__Change *c, const size_t *lens)
{
	h = check_word(h, (uint64_t)c->table << 32 | c->n_values);
	h = check_str(h, c->row_id, ID_TEXT_LEN);
	for (size_t k = 0; k < c->n_values; k++) {
		const Tongxin__Value *v = c->values[k];
		h = check_word(h, (uint64_t)c->cols[k] << 8 | (uint64_t)v->kind_case);
		h = v->kind_case == TONGXIN__VALUE__KIND_I ? check_mix(check_word(h,
		    (uint64_t)v->i)) : check_str(h, v->s, lens[k]);
	}
	return h;
}

/*
 * Read the row of table t at rowid (st: "SELECT id, its columns FROM t
 * WHERE rowid = ?1") and append it at *len of *buf as capture packs its
 * insert; fold it into *check (change_check) when check is not NULL. 0, or
 * -1 when the row is not there or memory runs out.
 */
static int
ref_row_pack(sqlite3_stmt *st, int t, sqlite3_int64 rowid, uint8_t **buf, size_t *len,
    size_t *cap, uint64_t *check)
{
	const struct table_def *td = &schema_tables[t];
	Tongxin__Change c = TONGXIN__CHANGE__INIT;
	Tongxin__Value vals[MAX_COLS], *vp[MAX_COLS];
	uint32_t cols[MAX_COLS];
	size_t lens[2 * MAX_COLS], szs[2 * MAX_COLS], slens[MAX_COLS], colsz, n, need;
	int rc = -1;

	sqlite3_bind_int64(st, 1, rowid);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) != SQLITE_TEXT)
		goto out;
	c.table = (uint32_t)t;
	if ((c.row_id = (char *)sqlite3_column_text(st, 0)) == NULL)
		goto out;   /* out of memory */
	if (sqlite3_column_bytes(st, 0) != ID_TEXT_LEN)
		goto out;   /* capture never refers to such a row */
	c.op = TONGXIN__CHANGE__OP__OP_INSERT;
	c.cols = cols;
	c.values = vp;
	for (int k = 0; k < td->ncols; k++) {
		Tongxin__Value *v = &vals[c.n_values];

		tongxin__value__init(v);
		switch (sqlite3_column_type(st, k + 1)) {
		case SQLITE_NULL:
			continue;
		case SQLITE_INTEGER:
			v->kind_case = TONGXIN__VALUE__KIND_I;
			v->i = sqlite3_column_int64(st, k + 1);
			break;
		case SQLITE_TEXT:
			v->kind_case = TONGXIN__VALUE__KIND_S;
			if ((v->s = (char *)sqlite3_column_text(st, k + 1)) == NULL)
				goto out;   /* out of memory */
			slens[c.n_values] = (size_t)sqlite3_column_bytes(st, k + 1);
			break;
		default:
			goto out;   /* capture never refers to such a row */
		}
		cols[c.n_cols++] = (uint32_t)k;
		vp[c.n_values++] = v;
	}
	if (check != NULL)
		*check = change_check(*check, &c, slens);
	n = change_size(&c, lens, szs, &colsz);
	need = *len + 1 + pb_varint_size(n) + n;
	if (need > *cap) {
		size_t ncap = *cap ? *cap : 65536;
		uint8_t *p;
		while (ncap < need)
			ncap *= 2;
		if ((p = realloc(*buf, ncap)) == NULL)
			goto out;
		*buf = p;
		*cap = ncap;
	}
	*len = (size_t)(change_put(*buf + *len, &c, n, lens, szs, colsz) - *buf);
	rc = 0;
out:
	sqlite3_reset(st);
	return rc;
}

/* The statement ref_row_pack reads table t's rows with, prepared on db; NULL on failure. */
static sqlite3_stmt *
ref_stmt(sqlite3 *db, int t)
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096];
	size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT id");
	sqlite3_stmt *st;

	for (int k = 0; k < td->ncols; k++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[k].name);
	snprintf(sql + n, sizeof sql - n, " FROM %s WHERE rowid = ?1", td->name);
	return sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK ? st : NULL;
}

/*
 * The references of a reference form's stream (s, slen bytes after its
 * version byte) into *refs (malloc'd, *n of them) and its check into
 * *check. 0, or -1 when the stream is not well formed or memory runs out.
 */
static int
ref_stream_read(const uint8_t *s, size_t slen, uint64_t *check, struct rep_ref **refs,
    size_t *n)
{
	const uint8_t *end = s + slen;
	uint64_t count, t, z, rowid = 0;

	*refs = NULL;
	/* Each reference takes two bytes at least: count bounds the allocation. */
	if (pb_get_varint(&s, end, &count) != 0 || end - s < 8 || count > slen / 2)
		return -1;
	*check = 0;
	for (int k = 0; k < 8; k++)   /* little-endian, as flush_refs wrote it */
		*check |= (uint64_t)*s++ << (8 * k);
	if ((*refs = malloc((count ? count : 1) * sizeof **refs)) == NULL)
		return -1;
	for (uint64_t i = 0; i < count; i++) {
		if (pb_get_varint(&s, end, &t) != 0 || t >= TBL_COUNT ||
		    pb_get_varint(&s, end, &z) != 0)
			goto bad;
		rowid += (z >> 1) ^ (~(z & 1) + 1);   /* unsigned: wraps, never undefined */
		(*refs)[i] = (struct rep_ref){ (int)t, (sqlite3_int64)rowid };
	}
	if (s == end) {
		*n = (size_t)count;
		return 0;
	}
bad:
	free(*refs);
	*refs = NULL;
	return -1;
}

int
rep_ref_expand(sqlite3 *db, const uint8_t *s, size_t slen, uint64_t n, uint8_t **buf,
    size_t *len, size_t *cap, size_t *skipped)
{
	sqlite3_stmt *st[TBL_COUNT] = { 0 };
	struct rep_ref *refs;
	uint64_t want, got = 0;
	size_t count;
	int rc = -1;

	if (ref_stream_read(s, slen, &want, &refs, &count) != 0)
		return -1;
	if (count != n)
		goto out;
	for (size_t i = 0; i < count; i++) {
		int t = refs[i].t;
		if (st[t] == NULL && (st[t] = ref_stmt(db, t)) == NULL)
			goto out;
		if (ref_row_pack(st[t], t, refs[i].rowid, buf, len, cap, &got) != 0) {
			if (skipped == NULL)
				goto out;
			(*skipped)++;   /* salvage: the rows that can be read */
		}
	}
	if (skipped == NULL && got != want) {
		log_warnx("replica: an outbox entry's rows have changed since it was written");
		goto out;
	}
	rc = 0;
out:
	for (int k = 0; k < TBL_COUNT; k++)
		sqlite3_finalize(st[k]);
	free(refs);
	return rc;
}

/* Note the insert just made into table t (at rowid) as a reference; 0, or -1 out of memory. */
static int
ref_push(struct replica *r, int t, sqlite3_int64 rowid)
{
	if (r->nrefs == r->refs_cap) {
		size_t ncap = r->refs_cap ? 2 * r->refs_cap : 64;
		struct rep_ref *p = realloc(r->refs, ncap * sizeof *p);
		if (p == NULL)
			return -1;
		r->refs = p;
		r->refs_cap = ncap;
	}
	r->refs[r->nrefs++] = (struct rep_ref){ t, rowid };
	return 0;
}

/*
 * Give the rows noted in refs (n of them, written for entry seq) their
 * _version 0 back: no entry refers to them any more (each still waits for
 * its acknowledgement). 0, or -1.
 */
static int
refs_unmark(sqlite3 *db, const struct rep_ref *refs, size_t n, uint64_t seq)
{
	sqlite3_stmt *st[TBL_COUNT] = { 0 };
	char sql[160];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++) {
		int t = refs[i].t;
		if (st[t] == NULL) {
			snprintf(sql, sizeof sql, "UPDATE %s SET _version = 0 WHERE rowid = ?1 AND"
			    " _version = ?2", schema_tables[t].name);
			if (sqlite3_prepare_v2(db, sql, -1, &st[t], NULL) != SQLITE_OK) {
				rc = -1;
				break;
			}
		}
		sqlite3_bind_int64(st[t], 1, refs[i].rowid);
		sqlite3_bind_int64(st[t], 2, -(sqlite3_int64)seq);
		rc = sqlite3_step(st[t]) == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(st[t]);
	}
	for (int k = 0; k < TBL_COUNT; k++)
		sqlite3_finalize(st[k]);
	return rc;
}

int
rep_ref_unmark(sqlite3 *db, const uint8_t *s, size_t slen, uint64_t seq)
{
	struct rep_ref *refs;
	uint64_t check;
	size_t n;
	int rc;

	if (ref_stream_read(s, slen, &check, &refs, &n) != 0)
		return -1;
	rc = refs_unmark(db, refs, n, seq);
	free(refs);
	return rc;
}

/*
 * The entry being built stops referring to rows: the inserts noted are
 * read back and packed, in order, and their rows lose their mark. 0, or
 * -1 (the chunk may then hold some of them: the caller rolls back).
 */
static int
refs_unref(struct replica *r)
{
	sqlite3_stmt *st[TBL_COUNT] = { 0 };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < r->nrefs; i++) {
		int t = r->refs[i].t;
		uint8_t *buf;
		size_t len, cap;

		if (st[t] == NULL && (st[t] = ref_stmt(r->db, t)) == NULL) {
			rc = -1;
			break;
		}
		/* As chunk_append would (ref_row_pack grows the chunk by realloc). */
		if (r->chunk_len == 0 && chunk_room(r, 0) != 0) {
			rc = -1;
			break;
		}
		buf = r->chunk;
		len = r->chunk_len;
		cap = r->chunk_cap;
		rc = ref_row_pack(st[t], t, r->refs[i].rowid, &buf, &len, &cap, NULL);
		r->chunk = buf;
		r->chunk_len = len;
		r->chunk_cap = cap;
	}
	for (int k = 0; k < TBL_COUNT; k++)
		sqlite3_finalize(st[k]);
	if (rc == 0)
		rc = refs_unmark(r->db, r->refs, r->nrefs, r->seq);
	r->nrefs = 0;
	r->refs_off = true;
	return rc;
}

/*
 * Store the entry being built in the reference form (its header packed
 * at head, hn bytes). 0, or -1 with err.
 */
static int
flush_refs(struct replica *r, const Tongxin__Txn *tx, const uint8_t *head, size_t hn,
    char *err, size_t errlen)
{
	size_t n = r->nchanges, slen, cap = hn + 2 * n + 16 + 1 + 10 + 8 + 15 * n;
	sqlite3_int64 prev = 0;
	uint8_t *blob = malloc(cap), *o, *stream;
	int rc;

	if (blob == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* The stream first, behind room for the rest, then the rest in front of it. */
	stream = blob + hn + 2 * n + 1 + 5;
	o = stream;
	*o++ = OUTBOX_REF_V1;
	o = pb_put_varint(o, n);
	for (int k = 0; k < 8; k++)
		*o++ = (uint8_t)(r->refs_check >> (8 * k));
	for (size_t i = 0; i < n; i++) {
		sqlite3_int64 d = r->refs[i].rowid - prev;
		o = pb_put_varint(o, (uint32_t)r->refs[i].t);
		o = pb_put_varint(o, ((uint64_t)d << 1) ^ (uint64_t)(d >> 63));
		prev = r->refs[i].rowid;
	}
	slen = (size_t)(o - stream);
	o = stream - 1 - pb_varint_size(slen) - 2 * n - hn;
	{
		uint8_t *b = o;
		memcpy(o, head, hn);
		o += hn;
		for (size_t i = 0; i < n; i++) {
			*o++ = 5 << 3 | PB_LEN;   /* an empty Change: the count stays readable */
			*o++ = 0;
		}
		*o++ = (uint8_t)(OUTBOX_REF_FIELD << 3 | PB_LEN);
		o = pb_put_varint(o, slen);
		assert(o == stream);
		sqlite3_bind_blob(r->outbox_put, 5, b, (int)(stream + slen - b), SQLITE_STATIC);
	}
	rc = sqlite3_step(r->outbox_put);
	sqlite3_reset(r->outbox_put);
	free(blob);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot write the outbox: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

/*
 * Record a change in the transaction and mark its row pending. The change
 * is packed at once, or, given ref (an insert whose row gives its values
 * back, marked -seq; lens the lengths of its string values) while the
 * entry still refers to rows, noted by its row; c stays the caller's.
 */
static int
record_change(struct replica *r, const Tongxin__Change *c, const struct rep_ref *ref,
    const size_t *lens, char *err, size_t errlen)
{
	int rc;

	if (r->nchanges == REP_TXN_MAX_CHANGES && flush_chunk(r, err, errlen) != 0)
		return -1;
	if (ref != NULL && !r->refs_off) {
		/* An insert of an entry that refers to its rows: nothing packed. */
		if (ref_push(r, ref->t, ref->rowid) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		r->refs_check = change_check(r->refs_check, c, lens);
		r->nchanges++;
		return 0;   /* an insert: no pending mark (below) */
	}
	if (!r->refs_off && refs_unref(r) != 0) {
		snprintf(err, errlen, "cannot read back the rows of this transaction: %s",
		    sqlite3_errmsg(r->db));
		return -1;
	}
	if (chunk_append(r, c) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->nchanges++;
	/*
	 * A row this device inserted cannot come back in a pull before its
	 * insert is acknowledged (a sync pushes before it pulls), so inserts
	 * need no pending mark; a later update or delete adds its own.
	 */
	if (c->op == TONGXIN__CHANGE__OP__OP_INSERT)
		return 0;
	sqlite3_bind_text(r->pending_put, 1, c->row_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->pending_put, 2, (sqlite3_int64)r->seq);
	sqlite3_bind_int(r->pending_put, 3, (int)c->table);
	rc = sqlite3_step(r->pending_put);
	sqlite3_reset(r->pending_put);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot record the change: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

static Tongxin__Change *
change_new(int t, const char *id, Tongxin__Change__Op op, size_t n)
{
	Tongxin__Change *c = malloc(sizeof *c);

	if (c == NULL)
		return NULL;
	tongxin__change__init(c);
	c->table = (uint32_t)t;
	c->op = op;
	if ((c->row_id = strdup(id)) == NULL ||
	    (n && (c->cols = calloc(n, sizeof *c->cols)) == NULL)) {
		tongxin__change__free_unpacked(c, NULL);
		return NULL;
	}
	return c;
}

int
rep_insert(struct replica *r, int t, const Tongxin__Value *vals, char id_out[ID_TEXT_LEN + 1],
    char *err, size_t errlen)
{
	const struct table_def *td = &schema_tables[t];
	sqlite3_stmt *st = rep_tstmt(r, TS_INS, t);
	Tongxin__Change c = TONGXIN__CHANGE__INIT;
	uint32_t cols[MAX_COLS];
	Tongxin__Value *vp[MAX_COLS];
	size_t lens[MAX_COLS];   /* of each string in vp */
	struct rep_ref ref;
	bool back = true;   /* every value reads back from the row as it is */
	int rc;

	if (!r->in_txn || id_new(id_out) != 0) {
		snprintf(err, errlen, r->in_txn ? "random number generator failed" : "no transaction");
		return -1;
	}
	if (st == NULL) {
		snprintf(err, errlen, "cannot prepare the insert into %s: %s", td->name,
		    sqlite3_errmsg(r->db));
		return -1;
	}
	/* A full entry is written first: the row's mark names the entry it goes to. */
	if (r->nchanges == REP_TXN_MAX_CHANGES && flush_chunk(r, err, errlen) != 0)
		return -1;
	/* Only the columns that are set go on the wire; the values are borrowed. */
	c.table = (uint32_t)t;
	c.row_id = id_out;
	c.op = TONGXIN__CHANGE__OP__OP_INSERT;
	c.cols = cols;
	c.values = vp;
	sqlite3_bind_text(st, 1, id_out, ID_TEXT_LEN, SQLITE_STATIC);
	for (int k = 0; k < td->ncols; k++) {
		const Tongxin__Value *v = &vals[k];
		if (!value_reads_back(v, td->cols[k].type))
			back = false;
		if (v->kind_case == TONGXIN__VALUE__KIND_S && v->s != NULL) {
			/* Measured once: for SQLite and for the entry's check. */
			lens[c.n_values] = strlen(v->s);
			sqlite3_bind_text(st, k + 2, v->s, (int)lens[c.n_values], SQLITE_STATIC);
		} else {
			value_bind_static(st, k + 2, v);
		}
		if (v->kind_case == TONGXIN__VALUE__KIND__NOT_SET)
			continue;
		cols[c.n_cols++] = (uint32_t)k;
		vp[c.n_values++] = (Tongxin__Value *)v;
	}
	back = back && !r->refs_off;
	/* The mark of a row an entry refers to: -seq (0: a row the server has not seen). */
	sqlite3_bind_int64(st, td->ncols + 2, back ? -(sqlite3_int64)r->seq : 0);
	rc = sqlite3_step(st);
	sqlite3_reset(st);   /* every parameter is bound again next time */
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot insert into %s: %s", td->name, sqlite3_errmsg(r->db));
		return -1;
	}
	ref.t = t;
	ref.rowid = sqlite3_last_insert_rowid(r->db);
	return record_change(r, &c, back ? &ref : NULL, lens, err, errlen);
}

/*
 * rep_get with the row's _version as stored: negative, -seq, while outbox
 * entry seq refers to the row (the reference form).
 */
static int
get_row(struct replica *r, int t, const char *id, Tongxin__Value *vals, int64_t *version)
{
	sqlite3_stmt *st = rep_tstmt(r, TS_GET, t);
	int nc = schema_tables[t].ncols, rc, found = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		found = 1;
		for (int c = 0; c < nc; c++)
			if (value_from_column(st, c, &vals[c]) != 0)
				found = -1;
		if (version)
			*version = sqlite3_column_int64(st, nc);
	} else if (rc != SQLITE_DONE) {
		found = -1;
	}
	sqlite3_reset(st);
	if (found < 0)
		for (int c = 0; c < nc; c++)
			value_clear(&vals[c]);
	return found;
}

int
rep_get(struct replica *r, int t, const char *id, Tongxin__Value *vals, uint64_t *version)
{
	int64_t v = 0;
	int found = get_row(r, t, id, vals, &v);

	if (version)
		*version = v > 0 ? (uint64_t)v : 0;
	return found;
}

/* Write all columns of a row from vals. */
static int
write_row(struct replica *r, int t, const char *id, const Tongxin__Value *vals)
{
	sqlite3_stmt *st = rep_tstmt(r, TS_UPD, t);
	int rc;

	if (st == NULL)
		return -1;

	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	for (int k = 0; k < schema_tables[t].ncols; k++)
		value_bind(st, k + 2, &vals[k]);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
rep_update(struct replica *r, int t, const char *id, const uint32_t *cols,
    const Tongxin__Value *vals, size_t n, char *err, size_t errlen)
{
	const struct table_def *td = &schema_tables[t];
	Tongxin__Value cur[MAX_COLS];
	Tongxin__Value newv[MAX_COLS];
	uint64_t version = 0;
	int64_t mark = 0;
	Tongxin__Change *c = NULL;
	int found, rc = -1;

	if (!r->in_txn) {
		snprintf(err, errlen, "no transaction");
		return -1;
	}
	memset(cur, 0, sizeof cur);
	if ((found = get_row(r, t, id, cur, &mark)) <= 0) {
		snprintf(err, errlen, found == 0 ? "%s: no row with id %s" : "%s: cannot read %s",
		    td->name, id);
		return -1;
	}
	/* An outbox entry refers to the row: it takes its bytes before the row changes. */
	if (mark < 0 && rep_ref_settle(r, (uint64_t)-mark, err, errlen) != 0) {
		for (int k = 0; k < td->ncols; k++)
			value_clear(&cur[k]);
		return -1;
	}
	version = mark > 0 ? (uint64_t)mark : 0;
	memcpy(newv, cur, sizeof newv);   /* borrowed strings */
	if ((c = change_new(t, id, TONGXIN__CHANGE__OP__OP_UPDATE, n)) == NULL ||
	    (c->values = calloc(n ? n : 1, sizeof *c->values)) == NULL ||
	    (c->before = calloc(n ? n : 1, sizeof *c->before)) == NULL)
		goto oom;
	c->base_version = version;
	for (size_t i = 0; i < n; i++) {
		if (cols[i] >= (uint32_t)td->ncols) {
			snprintf(err, errlen, "%s: no column %u", td->name, cols[i]);
			goto out;
		}
		if (value_eq(&cur[cols[i]], &vals[i]))
			continue;   /* not a change */
		newv[cols[i]] = vals[i];
		c->cols[c->n_cols++] = cols[i];
		if ((c->values[c->n_values] = malloc(sizeof **c->values)) == NULL)
			goto oom;
		if (value_copy(c->values[c->n_values], &vals[i]) != 0) {
			free(c->values[c->n_values]);
			goto oom;
		}
		c->n_values++;
		if ((c->before[c->n_before] = malloc(sizeof **c->before)) == NULL)
			goto oom;
		if (value_copy(c->before[c->n_before], &cur[cols[i]]) != 0) {
			free(c->before[c->n_before]);
			goto oom;
		}
		c->n_before++;
	}
	if (c->n_cols == 0) {
		rc = 0;   /* nothing changed: nothing to record */
		goto out;
	}
	if (write_row(r, t, id, newv) != 0) {
		snprintf(err, errlen, "cannot update %s: %s", td->name, sqlite3_errmsg(r->db));
		goto out;
	}
	rc = record_change(r, c, NULL, NULL, err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (c != NULL)
		tongxin__change__free_unpacked(c, NULL);
	for (int k = 0; k < td->ncols; k++)
		value_clear(&cur[k]);
	return rc;
}

int
rep_delete(struct replica *r, int t, const char *id, char *err, size_t errlen)
{
	const struct table_def *td = &schema_tables[t];
	Tongxin__Value cur[MAX_COLS];
	const Tongxin__Value *curp[MAX_COLS];
	uint64_t version = 0;
	int64_t mark = 0;
	Tongxin__Change *c = NULL;
	sqlite3_stmt *st;
	int found, rc = -1;
	size_t n = 0;

	if (!r->in_txn) {
		snprintf(err, errlen, "no transaction");
		return -1;
	}
	memset(cur, 0, sizeof cur);
	if ((found = get_row(r, t, id, cur, &mark)) <= 0) {
		snprintf(err, errlen, found == 0 ? "%s: no row with id %s" : "%s: cannot read %s",
		    td->name, id);
		return -1;
	}
	/* An outbox entry refers to the row: it takes its bytes before the row changes. */
	if (mark < 0 && rep_ref_settle(r, (uint64_t)-mark, err, errlen) != 0) {
		for (int k = 0; k < td->ncols; k++)
			value_clear(&cur[k]);
		return -1;
	}
	version = mark > 0 ? (uint64_t)mark : 0;
	/* The base is every column: the server refuses the delete if any has moved on. */
	if ((c = change_new(t, id, TONGXIN__CHANGE__OP__OP_DELETE, (size_t)td->ncols)) == NULL)
		goto oom;
	for (int k = 0; k < td->ncols; k++) {
		c->cols[n] = (uint32_t)k;
		curp[n++] = &cur[k];
	}
	c->n_cols = n;
	if ((c->before = values_dup(curp, NULL, n)) == NULL ||
	    (c->values = values_dup(curp, NULL, n)) == NULL)
		goto oom;
	c->n_before = c->n_values = n;
	c->base_version = version;
	if ((st = rep_tstmt(r, TS_DEL, t)) != NULL) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		found = sqlite3_step(st);
		sqlite3_reset(st);
	} else {
		found = SQLITE_ERROR;
	}
	if (found != SQLITE_DONE) {
		snprintf(err, errlen, "cannot delete from %s: %s", td->name, sqlite3_errmsg(r->db));
		goto out;
	}
	rc = record_change(r, c, NULL, NULL, err, errlen);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (c != NULL)
		tongxin__change__free_unpacked(c, NULL);
	for (int k = 0; k < td->ncols; k++)
		value_clear(&cur[k]);
	return rc;
}

int
rep_ref_settle(struct replica *r, uint64_t seq, char *err, size_t errlen)
{
	if (r->in_txn && seq == r->seq) {
		/* The entry being built: its references become packed changes. */
		if (!r->refs_off && refs_unref(r) != 0) {
			snprintf(err, errlen, "cannot read back the rows of this transaction: %s",
			    sqlite3_errmsg(r->db));
			return -1;
		}
		return 0;
	}
	return rep_outbox_unref(r->db, (sqlite3_int64)seq, err, errlen);
}
