/*
 * pbwire.h - the protobuf wire format by hand, for the hot paths that build
 * or walk messages without protobuf-c's per-field allocations: pull pages
 * encoded straight from SQLite columns, push requests made of the outbox
 * bytes as stored, and the received bytes of each pushed transaction.
 *
 * Writers append to a growable buffer with a hard size cap (curl's dynbuf):
 * once a write would pass the cap or memory runs out, the buffer is marked
 * failed, later writes do nothing, and the caller checks pbw.failed once at
 * the end. The reader walks one message level and never allocates.
 */
#ifndef TX_PBWIRE_H
#define TX_PBWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_wiretype { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

struct pbw {
	uint8_t *p;       /* malloc'd; owned by the buffer until pbw_take */
	size_t len, cap;
	size_t max;       /* the cap: no more than this many bytes, ever */
	bool failed;      /* a write passed max or memory ran out */
};

/* An empty buffer that will hold at most max bytes. */
void pbw_init(struct pbw *b, size_t max);
/* Free the bytes; b may be reused after pbw_init. Accepts a freed buffer. */
void pbw_free(struct pbw *b);
/* Empty the buffer, keeping its memory (for reuse row after row). */
void pbw_reset(struct pbw *b);
/* Append raw bytes. */
void pbw_raw(struct pbw *b, const void *p, size_t n);
void pbw_varint(struct pbw *b, uint64_t v);
void pbw_tag(struct pbw *b, uint32_t field, enum pb_wiretype wt);
/* A varint field (uint32/uint64/bool/enum); written even when v is 0. */
void pbw_uint(struct pbw *b, uint32_t field, uint64_t v);
/* A sint64 field (zigzag). */
void pbw_sint(struct pbw *b, uint32_t field, int64_t v);
void pbw_double(struct pbw *b, uint32_t field, double v);
/* A length-delimited field: bytes, a string, or an already encoded message. */
void pbw_bytes(struct pbw *b, uint32_t field, const void *p, size_t n);
/*
 * Bytes needed by a varint of v (1..10): one more for every 7 significant
 * bits past the first 7 (inline: the packers ask it for every field).
 */
static inline size_t
pb_varint_size(uint64_t v)
{
	return v < 0x80 ? 1 : (size_t)(63 - __builtin_clzll(v)) / 7 + 1;
}

/*
 * Write v as a varint at o, which has room for pb_varint_size(v) bytes;
 * returns the byte after it. For packers that write into a buffer they
 * sized themselves (the outbox chunk, its compact form, a pull page's rest).
 */
static inline uint8_t *
pb_put_varint(uint8_t *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*o++ = (uint8_t)v;
	return o;
}

/*
 * Read a varint at *p, before end, into *v and move *p past it: 0, or -1
 * if it is truncated or longer than 10 bytes (or overflows 64 bits).
 */
int pb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* One level of a message being read. */
struct pbr {
	const uint8_t *p, *end;
};

/* One field as read: for PB_LEN, data/len; for the others, v (I64/I32 as raw bits). */
struct pb_field {
	uint32_t field;
	enum pb_wiretype wt;
	uint64_t v;
	const uint8_t *data;
	size_t len;
};

static inline void
pbr_init(struct pbr *r, const void *p, size_t n)
{
	r->p = p;
	r->end = (const uint8_t *)p + n;
}

/*
 * The next field of the message: 1 with *f filled, 0 at the end, -1 when
 * the bytes are not a well-formed message level (truncated, a bad varint,
 * a field number 0, a group wire type, a length past the end).
 */
int pbr_next(struct pbr *r, struct pb_field *f);

#endif
