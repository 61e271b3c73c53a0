/*
 * replica_outbox.c - the outbox as the push reads it (rep_outbox_peek,
 * rep_outbox_batch) and the server's answers to it (rep_ack). See replica.h.
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

/* --- the compact stored form of a bulk entry ----------------------------- */

/*
 * An entry of inserts whose rows can be read again is stored as references
 * to them (replica_capture.c); one that cannot (a value that would not read
 * back as given), or that was settled before its rows changed, is stored
 * in this form. Packed, a bulk local transaction (an import, a meeting's
 * attendance) keeps about 330 bytes per inserted row in the outbox, most
 * of it the row's values again, each written twice more (WAL, checkpoint):
 * capture wrote 1.6-1.8 times the bytes of the plain inserts. Rows in one
 * transaction repeat each other field by field (the same branch, the same
 * vocabulary codes, ids that share a time prefix, dates and addresses that
 * share their start), so an entry of inserts only is stored as a stream
 * that codes each field of a change against the fields the changes before
 * it had at the same position. The stream is exact at the byte level: it
 * never interprets a field, it keeps each field's wire bytes (tag, length,
 * payload), and rep_outbox_expand gives back the very bytes capture packed,
 * which the push sends (the server's digest for exactly once sees no
 * difference).
 *
 * The stored entry stays a well-formed Txn message: the header fields
 * (1..4) as packed, one empty Change (field 5) per change, so that a reader
 * that unpacks it (tongxin doctor's salvage) sees the right number of
 * changes and no pending row to mark (all are inserts), and the stream in
 * field OUTBOX_COMPACT_FIELD, which protobuf-c keeps as an unknown field.
 * The stream:
 *   byte    its version: OUTBOX_COMPACT_V2 (written), or OUTBOX_COMPACT_V1
 *           (written before; still read)
 *   varint  bytes of the changes once expanded (each "field 5, length, change")
 *   varint  number of changes
 *   each change: varint its length, then per field (until the length is
 *   reached) a code:
 *     version 2: 0..15, the field is the one in that slot of its position's
 *     ring of 16 recent fields (which becomes the last used); 16, then
 *     varint p, varint s and s bytes: the first p bytes of the last used
 *     field at this position followed by the s bytes, put in the ring's next
 *     slot (round robin; it becomes the last used). A vocabulary of up to
 *     16 values (an education, a job) keeps its slots and is a byte a field.
 *     17: the same with the s bytes packed two to a byte, first in the high
 *     half, from the alphabet NIBBLES ("0".."9", "-", "X", ":", " ", ".",
 *     "/"), a last odd one padded with 0: the digits of a citizen ID, a
 *     phone number or a date take half their room.
 *     version 1: 0..3, the field is the one at that place of its position's
 *     4 recent fields (moved to the front); 4, then p, s and the bytes as
 *     above, against the most recent field, put in front.
 *   A field past COMPACT_POS positions is always a literal with p = 0 and
 *   is not kept.
 */
#define OUTBOX_COMPACT_FIELD 15
#define OUTBOX_COMPACT_V1    1
#define OUTBOX_COMPACT_V2    2
#define COMPACT_POS          (2 * MAX_COLS + 16)
/* Bytes of one entry a reader accepts. */
#define COMPACT_MAX_BYTES    (256u << 20)
/* Entries of fewer changes stay plain: the coding gains nothing on them. */
#define OUTBOX_COMPACT_MIN   8
/* Recent fields a position keeps (version 1, version 2); a literal's codes after them. */
#define V1_HIST              4
#define V2_RING              16
#define V2_PACKED            (V2_RING + 1)
/* Packed literals: at least this many bytes, each one of the 16 of NIBBLES. */
#define PACKED_MIN           4
static const char NIBBLES[16] = "0123456789-X: ./";

/* A byte's place in NIBBLES, or -1. */
static inline int
nibble_of(uint8_t b)
{
	static const int8_t t[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7,
		['7'] = 8, ['8'] = 9, ['9'] = 10, ['-'] = 11, ['X'] = 12, [':'] = 13,
		[' '] = 14, ['.'] = 15, ['/'] = 16,
	};
	return t[b] - 1;
}

/* pb_get_varint with the one-byte case (lengths, tags, codes) inline. */
static inline int
vget(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	if (*p < end && **p < 0x80) {
		*v = *(*p)++;
		return 0;
	}
	return pb_get_varint(p, end, v);
}

/*
 * A field kept at a position: offset and length in the expanded changes;
 * tail, its last 8 bytes (all of a shorter one), which the encoder compares
 * before the bytes themselves.
 */
struct hslot {
	uint32_t off, len;
};

/*
 * The recent fields of every position. Version 2: a ring (next: the slot a
 * literal takes; last: the slot used last). Version 1: slots 0..n-1 most
 * recent first.
 */
struct compact_hist {
	struct hslot s[COMPACT_POS][V2_RING];
	uint8_t n[COMPACT_POS], next[COMPACT_POS], last[COMPACT_POS];
	/* The encoder's copy of each slot's last 8 bytes, compared before the bytes. */
	uint64_t tails[COMPACT_POS][V2_RING];
	/* The encoder's count of literals running at each position (at most 255). */
	uint8_t miss[COMPACT_POS];
};

static inline uint64_t
field_tail(const uint8_t *f, size_t len)
{
	uint64_t t = 0;

	if (len >= 8)
		memcpy(&t, f + len - 8, 8);   /* one load */
	else
		memcpy(&t, f, len);
	return t;
}

/*
 * Whether two fields of len bytes whose tails (field_tail) are equal are
 * equal: the tail holds all of a field of up to 8 bytes and the last 8 of
 * a longer one, so only the bytes in front of it are compared (most
 * fields are short: a code, a date, a small number; no call for them).
 */
static inline bool
same_before_tail(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint64_t x, y;

	if (len <= 8)
		return true;
	if (len <= 16) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		return x == y;
	}
	return memcmp(a, b, len - 8) == 0;
}

/* Version 1: put (off, len) in front of position j's fields, dropping the oldest. */
static inline void
hist_push(struct compact_hist *h, size_t j, uint32_t off, uint32_t len)
{
	struct hslot *s = h->s[j];

	for (size_t k = V1_HIST - 1; k > 0; k--)
		s[k] = s[k - 1];
	s[0] = (struct hslot){ off, len };
	if (h->n[j] < V1_HIST)
		h->n[j]++;
}

/* Version 1: move position j's field c to the front. */
static inline void
hist_front(struct compact_hist *h, size_t j, size_t c)
{
	struct hslot *s = h->s[j], t = s[c];

	for (; c > 0; c--)
		s[c] = s[c - 1];
	s[0] = t;
}

/* Version 2: keep (off, len) in position j's next slot; it is the last used. */
static inline void
ring_put(struct compact_hist *h, size_t j, uint32_t off, uint32_t len)
{
	uint8_t k = h->next[j];

	h->s[j][k] = (struct hslot){ off, len };
	h->last[j] = k;
	h->next[j] = (uint8_t)((k + 1) % V2_RING);
	if (h->n[j] < V2_RING)
		h->n[j]++;
}

/*
 * The end of the field that starts at p (its tag, and its value or length
 * and bytes), or NULL when the bytes there are not a well-formed field
 * before end. *key gets the field's key (number << 3 | wire type).
 */
static inline const uint8_t *
field_end(const uint8_t *p, const uint8_t *end, uint64_t *key)
{
	uint64_t n;

	if (vget(&p, end, key) != 0)
		return NULL;
	switch (*key & 7) {
	case PB_VARINT:
		return vget(&p, end, &n) == 0 ? p : NULL;
	case PB_I64:
		return end - p >= 8 ? p + 8 : NULL;
	case PB_I32:
		return end - p >= 4 ? p + 4 : NULL;
	case PB_LEN:
		return vget(&p, end, &n) == 0 && n <= (uint64_t)(end - p) ? p + n : NULL;
	default:
		return NULL;
	}
}

/* How many first bytes a and b (n bytes each, at least) have in common. */
static inline size_t
common_prefix(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t p = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, y;

	for (; p + 8 <= n; p += 8) {
		memcpy(&x, a + p, 8);
		memcpy(&y, b + p, 8);
		if (x != y)
			return p + (size_t)__builtin_ctzll(x ^ y) / 8;   /* little-endian */
	}
	if (p < n && n >= 8) {
		/* The last 8 bytes (overlapping those already equal) in one step. */
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y ? n : n - 8 + (size_t)__builtin_ctzll(x ^ y) / 8;
	}
#endif
	while (p < n && a[p] == b[p])
		p++;
	return p;
}

/*
 * The stream for the changes part of an entry (chg, clen bytes: n times
 * "field 5, length, Change"), written to out (cap bytes). Returns the bytes
 * written, or 0 when the entry is not for this form: a change that is not
 * an insert (its pending mark must stay readable), bytes that are not well
 * formed, or a stream that would not fit in cap.
 */
static size_t
compact_encode(const uint8_t *chg, size_t clen, size_t n, uint8_t *out, size_t cap)
{
	struct compact_hist h;   /* only the counts and ring marks need a start */
	const uint8_t *p = chg, *cend = chg + clen;
	uint8_t *o = out, *end = out + cap;
	size_t count = 0;

	if (cap < 32 || clen > COMPACT_MAX_BYTES)
		return 0;
	memset(h.n, 0, sizeof h.n);
	memset(h.next, 0, sizeof h.next);
	memset(h.last, 0, sizeof h.last);
	memset(h.miss, 0, sizeof h.miss);
	*o++ = OUTBOX_COMPACT_V2;
	o = pb_put_varint(o, clen);
	o = pb_put_varint(o, n);
	while (p < cend) {
		const uint8_t *fs, *fe, *ce;
		uint64_t key, len;
		size_t j;

		/* One change: "field 5, length", then its fields. */
		if (*p++ != (5 << 3 | PB_LEN) || vget(&p, cend, &len) != 0 ||
		    len > (uint64_t)(cend - p) || end - o < 16)
			return 0;
		o = pb_put_varint(o, len);
		ce = p + len;
		for (j = 0, fs = p; fs < ce; j++, fs = fe) {
			size_t flen, pre = 0;
			uint64_t tail = 0;

			if ((fe = field_end(fs, ce, &key)) == NULL)
				return 0;
			if (key == (3 << 3 | PB_VARINT) && !(fe - fs == 2 && fs[1] == 0))
				return 0;   /* an update or a delete: not for this form */
			flen = (size_t)(fe - fs);
			if (j < COMPACT_POS) {
				const struct hslot *r = h.s[j];
				const uint64_t *tl = h.tails[j];
				size_t nr = h.n[j], c;

				/*
				 * A kept field of this tail, length and bytes: the last
				 * used first (a column most rows share), then the others,
				 * unless this position has missed 16 times running (a
				 * column of new values: an id, a name): then only every
				 * 16th field looks, and a repeat there may go as a literal.
				 */
				tail = field_tail(fs, flen);
				c = h.last[j];
				if (nr == 0 || tl[c] != tail || r[c].len != flen ||
				    !same_before_tail(chg + r[c].off, fs, flen)) {
					c = nr;
					if (h.miss[j] < 16 || (count & 15) == 0)
						for (c = 0; c < nr; c++)
							if (tl[c] == tail && r[c].len == flen &&
							    same_before_tail(chg + r[c].off, fs, flen))
								break;
				}
				if (c < nr) {
					h.miss[j] = 0;
					if (o >= end)
						return 0;
					*o++ = (uint8_t)c;
					h.last[j] = (uint8_t)c;
					continue;
				}
				if (h.miss[j] < 255)
					h.miss[j]++;
				if (nr > 0) {
					const struct hslot *l = &r[h.last[j]];
					pre = common_prefix(chg + l->off, fs, l->len < flen ? l->len : flen);
				}
			}
			if ((size_t)(end - o) < 21 + (flen - pre))
				return 0;
			{
				const uint8_t *lb = fs + pre;
				size_t ln = flen - pre, k = 0;
				bool packed;

				if (ln >= PACKED_MIN)
					for (; k < ln && nibble_of(lb[k]) >= 0; k++)
						;
				packed = ln >= PACKED_MIN && k == ln;
				*o++ = packed ? V2_PACKED : V2_RING;
				o = pb_put_varint(o, pre);
				o = pb_put_varint(o, ln);
				if (packed) {
					for (k = 0; k + 1 < ln; k += 2)
						*o++ = (uint8_t)(nibble_of(lb[k]) << 4 | nibble_of(lb[k + 1]));
					if (k < ln)
						*o++ = (uint8_t)(nibble_of(lb[k]) << 4);
				} else {
					memcpy(o, lb, ln);
					o += ln;
				}
			}
			if (j < COMPACT_POS) {
				h.tails[j][h.next[j]] = tail;
				ring_put(&h, j, (uint32_t)(fs - chg), (uint32_t)flen);
			}
		}
		p = ce;
		count++;
	}
	if (count != n)
		return 0;
	return (size_t)(o - out);
}

/*
 * Bytes at o: written from src (verify false), or compared with src
 * (verify true: o holds the bytes the stream must give). 0, or -1 on a
 * difference.
 */
static inline int
walk_put(uint8_t *o, const uint8_t *src, size_t n, bool verify)
{
	if (verify)
		return memcmp(o, src, n) == 0 ? 0 : -1;
	memcpy(o, src, n);
	return 0;
}

/*
 * Expand a stream (s, slen bytes) into dst, which has room for exactly the
 * clen bytes it declares (compact_head read them); or, verify set, check
 * that it expands to exactly the clen bytes at dst, writing nothing (a
 * field the stream repeats is then compared with the bytes at dst it
 * names, which the comparisons before it have found equal). 0, or -1 when
 * the stream is malformed or, verifying, gives other bytes.
 */
static int
compact_walk(const uint8_t *s, size_t slen, uint8_t *dst, size_t clen, bool verify)
{
	struct compact_hist h;   /* only the counts and ring marks need a start */
	const uint8_t *end = s + slen;
	uint8_t *o = dst, *oend = dst + clen, head[1 + 10];
	uint64_t v, n, len, c, p, sl, lit;
	bool v2, packed;

	memset(h.n, 0, sizeof h.n);
	memset(h.next, 0, sizeof h.next);
	memset(h.last, 0, sizeof h.last);
	if (slen < 1 || (*s != OUTBOX_COMPACT_V1 && *s != OUTBOX_COMPACT_V2))
		return -1;
	v2 = *s++ == OUTBOX_COMPACT_V2;
	lit = v2 ? V2_RING : V1_HIST;
	if (vget(&s, end, &v) != 0 || v != clen || vget(&s, end, &n) != 0)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		uint8_t *cstart, *cend;
		size_t hn;

		if (vget(&s, end, &len) != 0 || (size_t)(oend - o) < 1 + pb_varint_size(len) ||
		    len > (uint64_t)(oend - o) - 1 - pb_varint_size(len))
			return -1;
		head[0] = 5 << 3 | PB_LEN;
		hn = (size_t)(pb_put_varint(head + 1, len) - head);
		if (walk_put(o, head, hn, verify) != 0)
			return -1;
		o += hn;
		cstart = o;
		cend = o + len;
		for (size_t j = 0; o < cend; j++) {
			const struct hslot *l;

			if (s >= end)
				return -1;
			c = *s++;
			if (c < lit) {
				/* A kept field again. */
				if (j >= COMPACT_POS || c >= h.n[j] ||
				    h.s[j][c].len > (size_t)(cend - o) ||
				    walk_put(o, dst + h.s[j][c].off, h.s[j][c].len, verify) != 0)
					return -1;
				o += h.s[j][c].len;
				if (v2)
					h.last[j] = (uint8_t)c;
				else if (c > 0)
					hist_front(&h, j, c);
				continue;
			}
			/* A literal after p bytes of the last used (version 1: the front) field. */
			l = j < COMPACT_POS ? &h.s[j][v2 ? h.last[j] : 0] : NULL;
			packed = v2 && c == V2_PACKED;
			if ((c != lit && !packed) || vget(&s, end, &p) != 0 ||
			    vget(&s, end, &sl) != 0 ||
			    (packed ? sl < PACKED_MIN || (sl + 1) / 2 > (uint64_t)(end - s) :
			    sl > (uint64_t)(end - s)) ||
			    (p > 0 && (l == NULL || h.n[j] == 0 || p > l->len)) ||
			    p + sl > (uint64_t)(cend - o) || p + sl == 0)
				return -1;
			if (p > 0 && walk_put(o, dst + l->off, p, verify) != 0)
				return -1;
			if (packed) {
				/* Two to a byte, a last odd one padded with 0. */
				uint8_t run[64];
				for (uint64_t k = 0; k < sl; k += sizeof run) {
					size_t m = sl - k < sizeof run ? (size_t)(sl - k) : sizeof run;
					for (size_t q = 0; q < m; q++) {
						uint8_t b = s[(k + q) / 2];
						run[q] = (uint8_t)NIBBLES[(k + q) % 2 ? b & 15 : b >> 4];
					}
					if (walk_put(o + p + k, run, m, verify) != 0)
						return -1;
				}
				if (sl % 2 && (s[sl / 2] & 15) != 0)
					return -1;   /* the padding is 0, so the form is one */
				s += (sl + 1) / 2;
			} else {
				if (walk_put(o + p, s, sl, verify) != 0)
					return -1;
				s += sl;
			}
			if (j < COMPACT_POS && v2)
				ring_put(&h, j, (uint32_t)(o - dst), (uint32_t)(p + sl));
			else if (j < COMPACT_POS)
				hist_push(&h, j, (uint32_t)(o - dst), (uint32_t)(p + sl));
			o += p + sl;
		}
		if ((uint64_t)(o - cstart) != len)
			return -1;   /* a field ran past its change */
	}
	return o == oend && s == end ? 0 : -1;
}

/*
 * The work buffer of rep_outbox_compact, kept for the next bulk entry
 * (NULL: none), as capture keeps its chunk: a fresh third of a megabyte
 * for every entry cost its page faults each time (on this machine more
 * than the coding itself). Its size is kept in its first WORK_HEAD bytes.
 * Taken and given back by atomic exchange; a global, so the block stays
 * reachable until the process ends.
 */
static _Atomic(uint8_t *) work_spare;
#define WORK_HEAD     16
#define WORK_KEEP_MAX (8u << 20)

/* A work buffer of at least need bytes (the kept one if large enough), or NULL. */
static uint8_t *
work_take(size_t need)
{
	uint8_t *w = atomic_exchange(&work_spare, NULL);
	size_t have = 0;

	if (w != NULL)
		memcpy(&have, w, sizeof have);
	if (w != NULL && have >= need)
		return w + WORK_HEAD;
	free(w);
	if ((w = malloc(WORK_HEAD + need)) == NULL)
		return NULL;
	memcpy(w, &need, sizeof need);
	return w + WORK_HEAD;
}

/* Give a buffer from work_take back (NULL: nothing). */
static void
work_give(uint8_t *p)
{
	uint8_t *w, *old;
	size_t have;

	if (p == NULL)
		return;
	w = p - WORK_HEAD;
	memcpy(&have, w, sizeof have);
	if (have > WORK_KEEP_MAX) {
		free(w);
		return;
	}
	old = atomic_exchange(&work_spare, w);
	free(old);
}

uint8_t *
rep_outbox_compact(const uint8_t *hdr, size_t hlen, const uint8_t *chg, size_t clen, size_t n,
    size_t *blen, uint8_t **work)
{
	/* The blob is put together in place: header, empty changes, tag and length, stream. */
	size_t front = hlen + 2 * n + 1 + 5, cap = clen / 4 * 3 + 64, slen;
	uint8_t *w, *stream, *blob, *o;

	if (n < OUTBOX_COMPACT_MIN || clen > COMPACT_MAX_BYTES ||
	    (w = work_take(front + cap)) == NULL)
		return NULL;
	stream = w + front;
	if ((slen = compact_encode(chg, clen, n, stream, cap)) == 0) {
		work_give(w);
		return NULL;
	}
#ifndef NDEBUG
	/*
	 * What is stored must give back exactly what was packed. Debug builds
	 * (every test run) walk the stream against the packed bytes and abort
	 * on a difference; test_outbox_compact round-trips thousands of random
	 * entries through both functions. Release builds skip the walk: it was
	 * a third of the coding's cost, a twentieth of a bulk capture.
	 */
	if (compact_walk(stream, slen, (uint8_t *)chg, clen, true) != 0) {
		log_warnx("replica: the compact outbox form did not give back transaction bytes");
		abort();
	}
#endif
	blob = stream - (1 + pb_varint_size(slen)) - 2 * n - hlen;
	memcpy(blob, hdr, hlen);
	o = blob + hlen;
	for (size_t i = 0; i < n; i++) {
		*o++ = 5 << 3 | PB_LEN;   /* an empty Change: the count stays readable */
		*o++ = 0;
	}
	*o++ = OUTBOX_COMPACT_FIELD << 3 | PB_LEN;
	o = pb_put_varint(o, slen);
	assert(o == stream);
	*blen = (size_t)(stream + slen - blob);
	*work = w;
	return blob;
}

void
rep_outbox_compact_done(uint8_t *work)
{
	work_give(work);
}

/* rep_outbox_expand; with skipped, as rep_outbox_salvage (rep_ref_expand's skipped). */
static int
outbox_expand(sqlite3 *db, const uint8_t *blob, size_t len, uint8_t **buf, size_t *cap,
    const uint8_t **full, size_t *flen, size_t *skipped)
{
	struct pbr rd;
	struct pb_field f;
	const uint8_t *s, *send;
	size_t hlen = 0, nempty = 0;
	uint64_t clen, n;
	bool seen5 = false;
	int rc;

	*full = blob;
	*flen = len;
	if (blob == NULL)
		return -1;
	pbr_init(&rd, blob, len);
	while ((rc = pbr_next(&rd, &f)) == 1) {
		if (f.field >= 1 && f.field <= 5) {
			if (f.field == 5) {
				seen5 = true;
				nempty += f.len == 0;
			} else if (!seen5) {
				hlen = (size_t)(rd.p - blob);
			}
			continue;
		}
		if ((f.field != OUTBOX_COMPACT_FIELD && f.field != OUTBOX_REF_FIELD) ||
		    f.wt != PB_LEN || rd.p != rd.end ||
		    len != hlen + 2 * nempty + 1 + pb_varint_size(f.len) + f.len)
			return -1;
		s = f.data;
		send = f.data + f.len;
		if (f.field == OUTBOX_REF_FIELD) {
			/* The reference form: the rows, read again, are the changes. */
			size_t got = hlen;
			if (s >= send || s[0] != OUTBOX_REF_V1 || db == NULL)
				return -1;
			if (*cap < hlen) {
				uint8_t *p = realloc(*buf, hlen);
				if (p == NULL)
					return -1;
				*buf = p;
				*cap = hlen;
			}
			memcpy(*buf, blob, hlen);
			if (rep_ref_expand(db, s + 1, (size_t)(send - s - 1), nempty, buf, &got,
			    cap, skipped) != 0)
				return -1;
			*full = *buf;
			*flen = got;
			return 1;
		}
		/* The compact form: the header, an empty change per change, the stream. */
		if (s >= send || (s[0] != OUTBOX_COMPACT_V1 && s[0] != OUTBOX_COMPACT_V2))
			return -1;
		s++;
		if (pb_get_varint(&s, send, &clen) != 0 ||
		    pb_get_varint(&s, send, &n) != 0 || n != nempty ||
		    clen > COMPACT_MAX_BYTES)
			return -1;
		if (*cap < hlen + clen) {
			uint8_t *p = realloc(*buf, hlen + clen);
			if (p == NULL)
				return -1;
			*buf = p;
			*cap = hlen + clen;
		}
		memcpy(*buf, blob, hlen);
		if (compact_walk(f.data, f.len, *buf + hlen, (size_t)clen, false) != 0)
			return -1;
		*full = *buf;
		*flen = hlen + (size_t)clen;
		return 1;
	}
	return rc == 0 ? 0 : -1;
}

int
rep_outbox_expand(sqlite3 *db, const uint8_t *blob, size_t len, uint8_t **buf, size_t *cap,
    const uint8_t **full, size_t *flen)
{
	return outbox_expand(db, blob, len, buf, cap, full, flen, NULL);
}

int
rep_outbox_salvage(sqlite3 *db, const uint8_t *blob, size_t len, uint8_t **buf, size_t *cap,
    const uint8_t **full, size_t *flen, size_t *skipped)
{
	*skipped = 0;
	return outbox_expand(db, blob, len, buf, cap, full, flen, skipped);
}

int
rep_outbox_unref(sqlite3 *db, sqlite3_int64 seq, char *err, size_t errlen)
{
	sqlite3_stmt *get = NULL, *put = NULL;
	uint8_t *buf = NULL, *work = NULL, *blob = NULL, *stream = NULL;
	const uint8_t *full, *stored;
	size_t cap = 0, flen, blen = 0, hlen = 0, n = 0, slen = 0, len;
	struct pbr rd;
	struct pb_field f;
	int rc = -1, step;

	if (sqlite3_prepare_v2(db, "SELECT txn FROM outbox WHERE seq = ?1", -1, &get, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(db, "UPDATE outbox SET txn = ?2 WHERE seq = ?1", -1, &put, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "cannot read the outbox: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(get, 1, seq);
	if ((step = sqlite3_step(get)) != SQLITE_ROW) {
		/* Acknowledged already (its rows keep a mark that names no entry: harmless). */
		rc = step == SQLITE_DONE ? 0 : -1;
		if (rc != 0)
			snprintf(err, errlen, "cannot read the outbox: %s", sqlite3_errmsg(db));
		goto out;
	}
	stored = sqlite3_column_blob(get, 0);
	len = (size_t)sqlite3_column_bytes(get, 0);
	/* Only an entry in the reference form has anything to settle. */
	pbr_init(&rd, stored, len);
	while (pbr_next(&rd, &f) == 1)
		if (f.field == OUTBOX_REF_FIELD && f.wt == PB_LEN && f.len > 1) {
			slen = f.len - 1;   /* after its version byte */
			if ((stream = malloc(slen)) == NULL)
				goto oom;
			memcpy(stream, f.data + 1, slen);
		}
	if (stream == NULL) {
		rc = 0;
		goto out;
	}
	if (rep_outbox_expand(db, stored, len, &buf, &cap, &full, &flen) < 0) {
		snprintf(err, errlen, "outbox transaction %lld refers to rows this replica no "
		    "longer holds as they were written", (long long)seq);
		goto out;
	}
	/* The header's length and the number of changes, for the compact form. */
	pbr_init(&rd, full, flen);
	while (pbr_next(&rd, &f) == 1) {
		if (f.field == 5)
			n++;
		else if (n == 0)
			hlen = (size_t)(rd.p - full);
	}
	blob = rep_outbox_compact(full, hlen, full + hlen, flen - hlen, n, &blen, &work);
	sqlite3_bind_int64(put, 1, seq);
	if (blob != NULL)
		sqlite3_bind_blob(put, 2, blob, (int)blen, SQLITE_STATIC);
	else
		sqlite3_bind_blob(put, 2, full, (int)flen, SQLITE_STATIC);
	if (sqlite3_step(put) != SQLITE_DONE || rep_ref_unmark(db, stream, slen,
	    (uint64_t)seq) != 0) {
		snprintf(err, errlen, "cannot rewrite outbox transaction %lld: %s", (long long)seq,
		    sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	if (blob != NULL)
		rep_outbox_compact_done(work);
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	free(stream);
	free(buf);
	return rc;
}

int
rep_outbox_peek(struct replica *r, size_t max_txns, size_t max_bytes, Tongxin__Txn ***txns)
{
	sqlite3_stmt *st = r->outbox_peek;
	Tongxin__Txn **out;
	size_t n = 0, bytes = 0, xcap = 0, len;
	uint8_t *xbuf = NULL;
	const uint8_t *full;
	int rc;

	if ((out = calloc(max_txns ? max_txns : 1, sizeof *out)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)max_txns);
	sqlite3_bind_int64(st, 2, 0);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* A compact entry is read as the bytes it stands for. */
		if (rep_outbox_expand(r->db, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &xbuf, &xcap, &full, &len) < 0)
			full = NULL;
		if (n > 0 && bytes + len > max_bytes)
			break;
		out[n] = full != NULL ? tongxin__txn__unpack(NULL, len, full) : NULL;
		if (out[n] == NULL) {
			log_warnx("replica: outbox entry %zu is unreadable", n);
			damage_note("an unsent transaction in the outbox cannot be unpacked", false);
			rc = SQLITE_CORRUPT;
			break;
		}
		bytes += len;
		n++;
	}
	sqlite3_reset(st);
	free(xbuf);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			tongxin__txn__free_unpacked(out[i], NULL);
		free(out);
		return -1;
	}
	*txns = out;
	return (int)n;
}

int
rep_outbox_batch(struct replica *r, uint64_t *after, size_t max_txns, size_t max_bytes,
    struct pbw *out)
{
	sqlite3_stmt *st = r->outbox_peek;
	size_t n = 0, bytes = 0, xcap = 0;
	uint8_t *xbuf = NULL;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)max_txns);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)*after);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *blob;
		size_t len;
		/*
		 * The stored bytes go out as they are (a compact entry as the bytes
		 * it stands for, byte for byte what capture packed): their shape is
		 * looked at (fields of Txn only), nothing is unpacked.
		 */
		int form = rep_outbox_expand(r->db, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &xbuf, &xcap, &blob, &len);

		if (form >= 0 && n > 0 && bytes + len > max_bytes)
			break;
		if (form < 0) {
			log_warnx("replica: outbox transaction %lld is unreadable",
			    (long long)sqlite3_column_int64(st, 1));
			damage_note("an unsent transaction in the outbox cannot be unpacked", false);
			rc = SQLITE_CORRUPT;
			break;
		}
		pbw_bytes(out, 1, blob, len);   /* PushRequest.txns */
		*after = (uint64_t)sqlite3_column_int64(st, 1);
		bytes += len;
		n++;
	}
	sqlite3_reset(st);
	free(xbuf);
	if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || out->failed)
		return -1;
	return (int)n;
}

static const char *
status_name(Tongxin__TxnResult__Status s)
{
	switch (s) {
	case TONGXIN__TXN_RESULT__STATUS__APPLIED: return "applied";
	case TONGXIN__TXN_RESULT__STATUS__MERGED: return "merged";
	case TONGXIN__TXN_RESULT__STATUS__CONFLICT: return "conflict";
	default: return "rejected";
	}
}

int
rep_ack(struct replica *r, const Tongxin__PushResponse *resp, struct rep_ack_counts *counts,
    char *err, size_t errlen)
{
	sqlite3_stmt *blob_get = NULL;
	uint8_t *xbuf = NULL;
	size_t xcap = 0;
	int64_t next;
	int rc;

	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (sqlite3_prepare_v2(r->db, "SELECT txn FROM outbox WHERE seq = ?1", -1, &blob_get,
	    NULL) != SQLITE_OK)
		goto fail;
	/*
	 * Commits leave meta's next_seq and hlc alone (the outbox's newest
	 * entry stands for them): before entries leave the outbox, the floors
	 * in meta are raised past every entry, so that a sequence is never
	 * reused and the clock never goes back once the outbox is empty.
	 */
	if ((next = rep_next_seq(r)) < 0 ||
	    (next > rep_meta_int(r, "next_seq", 1) && rep_meta_set(r, "next_seq", next) != 0) ||
	    ((int64_t)r->hlc > rep_meta_int(r, "hlc", 0) &&
	    rep_meta_set(r, "hlc", (int64_t)r->hlc) != 0))
		goto fail;
	/* First every acknowledgement, so rows are judged against what is still pending. */
	for (size_t i = 0; i < resp->n_results; i++) {
		const Tongxin__TxnResult *res = resp->results[i];
		int keep_txn = res->status == TONGXIN__TXN_RESULT__STATUS__CONFLICT ||
		    res->status == TONGXIN__TXN_RESULT__STATUS__REJECTED;
		char why[REASON_TEXT_MAX];

		/*
		 * The reason is kept as the clerk reads it: rendered in Chinese
		 * from its code (an old server's English sentence as it came),
		 * bounded and made safe whatever the server sent.
		 */
		reason_show(res->reason_code, (const char *const *)res->reason_args,
		    res->n_reason_args, res->reason, why, sizeof why);
		sqlite3_bind_int64(r->outcome_put, 1, (sqlite3_int64)res->seq);
		sqlite3_bind_text(r->outcome_put, 2, status_name(res->status), -1, SQLITE_STATIC);
		if (why[0])
			sqlite3_bind_text(r->outcome_put, 3, why, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(r->outcome_put, 3);
		if (res->reason_code != 0)
			sqlite3_bind_int64(r->outcome_put, 7, (sqlite3_int64)res->reason_code);
		else
			sqlite3_bind_null(r->outcome_put, 7);
		if (res->conflict_id[0])
			sqlite3_bind_text(r->outcome_put, 4, res->conflict_id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(r->outcome_put, 4);
		sqlite3_bind_null(r->outcome_put, 5);
		if (keep_txn) {
			/* The clerk's change is kept whole locally as well. */
			const uint8_t *full;
			size_t flen;

			sqlite3_bind_int64(blob_get, 1, (sqlite3_int64)res->seq);
			/* Kept as the bytes the server got (a compact entry expanded). */
			if (sqlite3_step(blob_get) == SQLITE_ROW &&
			    rep_outbox_expand(r->db, sqlite3_column_blob(blob_get, 0),
			    (size_t)sqlite3_column_bytes(blob_get, 0), &xbuf, &xcap, &full, &flen) >= 0)
				sqlite3_bind_blob(r->outcome_put, 5, full, (int)flen, SQLITE_TRANSIENT);
			sqlite3_reset(blob_get);
		}
		sqlite3_bind_int64(r->outcome_put, 6, now_ms());
		rc = sqlite3_step(r->outcome_put);
		sqlite3_reset(r->outcome_put);
		sqlite3_clear_bindings(r->outcome_put);
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_bind_int64(r->outbox_drop, 1, (sqlite3_int64)res->seq);
		rc = sqlite3_step(r->outbox_drop);
		sqlite3_reset(r->outbox_drop);
		if (rc != SQLITE_DONE)
			goto fail;
		sqlite3_bind_int64(r->pending_drop, 1, (sqlite3_int64)res->seq);
		rc = sqlite3_step(r->pending_drop);
		sqlite3_reset(r->pending_drop);
		if (rc != SQLITE_DONE)
			goto fail;
		if (counts) {
			switch (res->status) {
			case TONGXIN__TXN_RESULT__STATUS__APPLIED: counts->applied++; break;
			case TONGXIN__TXN_RESULT__STATUS__MERGED: counts->merged++; break;
			case TONGXIN__TXN_RESULT__STATUS__CONFLICT: counts->conflict++; break;
			default: counts->rejected++; break;
			}
			counts->duplicate += res->duplicate;
			counts->noted += why[0] && !keep_txn;
		}
	}
	/*
	 * The server's rows are those of the answered transactions' own changes
	 * (server/engine.c, result_rows), whose entries have just left the
	 * outbox: no entry still in the reference form refers to them (a later
	 * change of such a row settled it first), so their marks are not looked
	 * at here (a lookup for each row of an answered import).
	 */
	for (size_t i = 0; i < resp->n_results; i++) {
		/* Our own deletes the server took leave tombstones; a refusal's rows do not. */
		Tongxin__TxnResult__Status st = resp->results[i]->status;
		int how = ROW_CHECK_PENDING | (st == TONGXIN__TXN_RESULT__STATUS__APPLIED ||
		    st == TONGXIN__TXN_RESULT__STATUS__MERGED ? ROW_TOMBSTONE : 0);
		for (size_t j = 0; j < resp->results[i]->n_rows; j++)
			if (apply_server_row(r, resp->results[i]->rows[j], how, NULL) != 0)
				goto fail;
	}
	sqlite3_finalize(blob_get);
	free(xbuf);
	xbuf = NULL;
	if (db_meta_set_int(r->db, "last_contact", now_ms()) != 0 ||
	    db_exec(r->db, "COMMIT", err, errlen) != 0)
		goto fail2;
	return 0;
fail:
	sqlite3_finalize(blob_get);
	free(xbuf);
fail2:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot record the server's answers: %s", sqlite3_errmsg(r->db));
	db_exec(r->db, "ROLLBACK", NULL, 0);
	return -1;
}


int
rep_seq_floor(struct replica *r, uint64_t last_seq)
{
	int64_t next = rep_next_seq(r);

	if (next < 0)
		return -1;
	if ((uint64_t)next > last_seq)
		return 0;
	log_warnx("replica: the server has seen transaction %llu from this device; new "
	    "transactions continue after it (was this replica restored from a backup?)",
	    (unsigned long long)last_seq);
	return db_meta_set_int(r->db, "next_seq", (int64_t)last_seq + 1);
}
