/* pbwire.c - the protobuf wire format by hand; see pbwire.h. */
#include "pbwire.h"

#include <stdlib.h>
#include <string.h>

void
pbw_init(struct pbw *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void
pbw_free(struct pbw *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
pbw_reset(struct pbw *b)
{
	b->len = 0;
	b->failed = false;
}

/* Room for n more bytes, growing geometrically; false (and failed) past the cap. */
static bool
pbw_room(struct pbw *b, size_t n)
{
	size_t want, ncap;
	uint8_t *np;

	if (b->failed)
		return false;
	if (n > b->max || b->len > b->max - n) {
		b->failed = true;
		return false;
	}
	want = b->len + n;
	if (want <= b->cap)
		return true;
	ncap = b->cap ? b->cap : 256;
	while (ncap < want)
		ncap = ncap > SIZE_MAX / 2 ? want : ncap * 2;
	if (ncap > b->max)
		ncap = b->max;
	if ((np = realloc(b->p, ncap)) == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = ncap;
	return true;
}

void
pbw_raw(struct pbw *b, const void *p, size_t n)
{
	if (n == 0 || !pbw_room(b, n))
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void
pbw_varint(struct pbw *b, uint64_t v)
{
	uint8_t tmp[10];

	pbw_raw(b, tmp, (size_t)(pb_put_varint(tmp, v) - tmp));
}

void
pbw_tag(struct pbw *b, uint32_t field, enum pb_wiretype wt)
{
	pbw_varint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

void
pbw_uint(struct pbw *b, uint32_t field, uint64_t v)
{
	pbw_tag(b, field, PB_VARINT);
	pbw_varint(b, v);
}

void
pbw_sint(struct pbw *b, uint32_t field, int64_t v)
{
	pbw_tag(b, field, PB_VARINT);
	pbw_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void
pbw_double(struct pbw *b, uint32_t field, double v)
{
	uint64_t bits;
	uint8_t le[8];

	memcpy(&bits, &v, sizeof bits);
	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(bits >> (8 * i));
	pbw_tag(b, field, PB_I64);
	pbw_raw(b, le, sizeof le);
}

void
pbw_bytes(struct pbw *b, uint32_t field, const void *p, size_t n)
{
	pbw_tag(b, field, PB_LEN);
	pbw_varint(b, n);
	pbw_raw(b, p, n);
}

int
pb_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 70; shift += 7) {
		uint8_t c;
		if (*p >= end)
			return -1;
		c = *(*p)++;
		if (shift == 63 && c > 1)
			return -1;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* A varint at r->p: 0 with *v, -1 if truncated or longer than 10 bytes. */
static int
pbr_varint(struct pbr *r, uint64_t *v)
{
	return pb_get_varint(&r->p, r->end, v);
}

int
pbr_next(struct pbr *r, struct pb_field *f)
{
	uint64_t key, n;

	if (r->p >= r->end)
		return 0;
	memset(f, 0, sizeof *f);
	if (pbr_varint(r, &key) != 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
		return -1;
	f->field = (uint32_t)(key >> 3);
	f->wt = (enum pb_wiretype)(key & 7);
	switch (f->wt) {
	case PB_VARINT:
		return pbr_varint(r, &f->v) == 0 ? 1 : -1;
	case PB_I64:
	case PB_I32:
		n = f->wt == PB_I64 ? 8 : 4;
		if ((size_t)(r->end - r->p) < n)
			return -1;
		for (uint64_t i = 0; i < n; i++)
			f->v |= (uint64_t)r->p[i] << (8 * i);
		r->p += n;
		return 1;
	case PB_LEN:
		if (pbr_varint(r, &n) != 0 || n > (uint64_t)(r->end - r->p))
			return -1;
		f->data = r->p;
		f->len = (size_t)n;
		r->p += n;
		return 1;
	default:
		return -1;   /* groups (3, 4) and the reserved types: not in our messages */
	}
}
