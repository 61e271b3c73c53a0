/* tls_cache.c - see tls_cache.h. */
#include "tls_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * A slot. check is 0 when the slot is free; else a hash of every other
 * field in use (expires, len, idlen, id, blob[0..len)), so that a damaged
 * slot reads as a miss.
 */
struct slot {
	uint64_t check;
	int64_t expires;            /* time_t: the entry is gone from then on */
	uint16_t len;               /* blob bytes in use */
	uint8_t idlen;
	uint8_t pad[5];
	unsigned char id[TLS_CACHE_ID_MAX];
	unsigned char blob[TLS_CACHE_BLOB_MAX];
};

_Static_assert(sizeof(struct slot) == TLS_CACHE_SLOT, "a slot is TLS_CACHE_SLOT bytes");
_Static_assert(offsetof(struct slot, blob) == 56, "tls_cache.h says the blob is at 56");
_Static_assert(TLS_CACHE_BLOB_MAX <= UINT16_MAX, "len holds any blob's length");

struct tls_cache {
	void *map;                  /* the mapping: index, then slots */
	size_t maplen;
	uint32_t *index;            /* per bucket: slot number + 1, or 0 when free */
	struct slot *slots;
	uint32_t nslots;
	uint32_t mask;              /* buckets - 1 (a power of two, >= 2 * nslots) */
	uint32_t next;              /* the slot the next put writes: the oldest */
	uint32_t count;             /* slots in use */
};

/* FNV-1a, 64 bits, continued from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_BASIS 0xcbf29ce484222325ULL

static uint32_t
home(const struct tls_cache *c, const unsigned char *id, size_t idlen)
{
	uint64_t h = fnv(FNV_BASIS, id, idlen);

	return (uint32_t)(h ^ (h >> 32)) & c->mask;
}

/* The slot's checksum (never 0, which marks a free slot); len is clamped. */
static uint64_t
slot_check(const struct slot *s)
{
	size_t len = s->len <= TLS_CACHE_BLOB_MAX ? s->len : TLS_CACHE_BLOB_MAX;
	size_t idlen = s->idlen <= TLS_CACHE_ID_MAX ? s->idlen : TLS_CACHE_ID_MAX;
	uint64_t h = FNV_BASIS;

	h = fnv(h, &s->expires, sizeof s->expires);
	h = fnv(h, &s->len, sizeof s->len);
	h = fnv(h, &s->idlen, sizeof s->idlen);
	h = fnv(h, s->id, idlen);
	h = fnv(h, s->blob, len);
	return h != 0 ? h : 1;
}

struct tls_cache *
tls_cache_new(uint32_t nslots)
{
	struct tls_cache *c;
	uint32_t buckets = 8;
	size_t ilen;

	if (nslots == 0 || nslots > (1u << 24))
		return NULL;
	while (buckets < 2 * nslots)
		buckets *= 2;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	ilen = (size_t)buckets * sizeof *c->index;
	c->maplen = ilen + (size_t)nslots * sizeof(struct slot);
	/* Anonymous pages read as zeros (every bucket and slot free) and are made resident as used. */
	c->map = mmap(NULL, c->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
	    MAP_NORESERVE, -1, 0);
	if (c->map == MAP_FAILED) {
		free(c);
		return NULL;
	}
	c->index = c->map;
	c->slots = (struct slot *)((char *)c->map + ilen);
	c->nslots = nslots;
	c->mask = buckets - 1;
	return c;
}

void
tls_cache_free(struct tls_cache *c)
{
	if (c == NULL)
		return;
	munmap(c->map, c->maplen);
	free(c);
}

static bool
id_ok(const unsigned char *id, size_t idlen)
{
	return id != NULL && idlen > 0 && idlen <= TLS_CACHE_ID_MAX;
}

/*
 * The slot in use that holds id, its bucket in *bucket; -1 if none. Index
 * entries are trusted only as far as the slot they name agrees (in use,
 * same id): a stale or damaged entry is passed over.
 */
static int64_t
find(const struct tls_cache *c, const unsigned char *id, size_t idlen, uint32_t *bucket)
{
	uint32_t b = home(c, id, idlen);

	for (uint32_t n = 0; n <= c->mask; n++, b = (b + 1) & c->mask) {
		uint32_t e = c->index[b];
		const struct slot *s;

		if (e == 0)
			return -1;
		if (e > c->nslots)
			continue;
		s = &c->slots[e - 1];
		if (s->check != 0 && s->idlen == idlen && memcmp(s->id, id, idlen) == 0) {
			*bucket = b;
			return (int64_t)e - 1;
		}
	}
	return -1;
}

/*
 * Free bucket b (linear probing without tombstones): the entries after it
 * in its run move back when b lies on their probe path, so that every
 * entry stays reachable from its home bucket.
 */
static void
unlink_bucket(struct tls_cache *c, uint32_t b)
{
	uint32_t gap = b, j = b;

	c->index[gap] = 0;
	for (uint32_t n = 0; n < c->mask; n++) {
		uint32_t e, h;

		j = (j + 1) & c->mask;
		if ((e = c->index[j]) == 0)
			return;
		/* One naming no entry (left by damage) stays: an occupied bucket, reused by a put. */
		if (e > c->nslots || c->slots[e - 1].check == 0)
			continue;
		h = home(c, c->slots[e - 1].id, c->slots[e - 1].idlen > TLS_CACHE_ID_MAX ?
		    TLS_CACHE_ID_MAX : c->slots[e - 1].idlen);
		/* Move e into the gap unless its home lies cyclically in (gap, j]. */
		if (((j - h) & c->mask) >= ((j - gap) & c->mask)) {
			c->index[gap] = e;
			c->index[j] = 0;
			gap = j;
		}
	}
}

/* Free slot k (found in bucket b). */
static void
drop(struct tls_cache *c, uint32_t k, uint32_t b)
{
	unlink_bucket(c, b);
	c->slots[k].check = 0;
	c->count--;
}

int
tls_cache_put(struct tls_cache *c, const unsigned char *id, size_t idlen, const void *blob,
    size_t len, time_t expires)
{
	uint32_t b, k;
	int64_t old;
	struct slot *s;

	if (!id_ok(id, idlen) || blob == NULL || len == 0 || len > TLS_CACHE_BLOB_MAX)
		return -1;
	if ((old = find(c, id, idlen, &b)) >= 0)
		drop(c, (uint32_t)old, b);
	/* Slots are written in turn: the one at next is the oldest, or free. */
	k = c->next;
	c->next = (k + 1) % c->nslots;
	s = &c->slots[k];
	if (s->check != 0) {
		size_t l = s->idlen <= TLS_CACHE_ID_MAX ? s->idlen : TLS_CACHE_ID_MAX;
		if (find(c, s->id, l, &b) == (int64_t)k)
			drop(c, k, b);
		else {
			/* Not reachable (damaged): any index entry left names a free slot now. */
			s->check = 0;
			c->count--;
		}
	}
	s->expires = (int64_t)expires;
	s->len = (uint16_t)len;
	s->idlen = (uint8_t)idlen;
	memset(s->pad, 0, sizeof s->pad);
	memcpy(s->id, id, idlen);
	memcpy(s->blob, blob, len);
	s->check = slot_check(s);
	b = home(c, id, idlen);
	for (uint32_t n = 0; n <= c->mask; n++, b = (b + 1) & c->mask) {
		uint32_t e = c->index[b];
		/* A free bucket, or one naming a free slot (left by damage). */
		if (e == 0 || e > c->nslots || c->slots[e - 1].check == 0) {
			c->index[b] = k + 1;
			c->count++;
			return 0;
		}
	}
	s->check = 0;   /* no bucket: cannot happen below half load */
	return -1;
}

const void *
tls_cache_get(struct tls_cache *c, const unsigned char *id, size_t idlen, time_t now,
    size_t *len)
{
	uint32_t b;
	int64_t k;
	struct slot *s;

	if (!id_ok(id, idlen) || (k = find(c, id, idlen, &b)) < 0)
		return NULL;
	s = &c->slots[k];
	if (s->len == 0 || s->len > TLS_CACHE_BLOB_MAX || slot_check(s) != s->check ||
	    (int64_t)now >= s->expires) {
		drop(c, (uint32_t)k, b);
		return NULL;
	}
	*len = s->len;
	return s->blob;
}

void
tls_cache_remove(struct tls_cache *c, const unsigned char *id, size_t idlen)
{
	uint32_t b;
	int64_t k;

	if (id_ok(id, idlen) && (k = find(c, id, idlen, &b)) >= 0)
		drop(c, (uint32_t)k, b);
}

uint32_t
tls_cache_count(const struct tls_cache *c)
{
	return c->count;
}

size_t
tls_cache_bytes(const struct tls_cache *c)
{
	return c->maplen;
}

unsigned char *
tls_cache_slot(struct tls_cache *c, const unsigned char *id, size_t idlen)
{
	uint32_t b;
	int64_t k;

	if (!id_ok(id, idlen) || (k = find(c, id, idlen, &b)) < 0)
		return NULL;
	return (unsigned char *)&c->slots[k];
}
