/*
 * tls_cache.h - the server's TLS session store: encoded sessions in
 * fixed-size slots of one anonymous mapping, found by session id.
 *
 * Why not OpenSSL's internal cache: each session it keeps is several small
 * malloc'ed blocks (the session, its lock, its appdata, its hash node),
 * made during the handshake between that connection's buffers. When the
 * connections close, every cached session pins the heap pages it sits on,
 * and malloc_trim cannot give them back (2,500 cached sessions held ~36 MB
 * after 10,000 connections had closed). Here a session is a blob in a slot
 * outside the heap: the connections' memory around it is given back whole.
 *
 * The store knows nothing of TLS (tls.c encodes and decodes). It is not
 * thread-safe: the server touches it from its event loop only.
 *
 * Bounds: nslots slots of TLS_CACHE_SLOT bytes and an index of 4-byte
 * entries, at least twice nslots, a power of two (tls_cache_bytes). At
 * capacity the oldest entry is replaced (slots are written in turn, as a
 * ring). An entry expires at the time given to tls_cache_put.
 */
#ifndef TX_TLS_CACHE_H
#define TX_TLS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One slot: a 56-byte header and the blob. */
#define TLS_CACHE_SLOT 768
#define TLS_CACHE_BLOB_MAX (TLS_CACHE_SLOT - 56)
/* Session ids are at most 32 bytes (SSL_MAX_SSL_SESSION_ID_LENGTH). */
#define TLS_CACHE_ID_MAX 32

struct tls_cache;

/* A store of nslots slots (1 to 1<<24), all in one mapping; NULL on failure. */
struct tls_cache *tls_cache_new(uint32_t nslots);
/* Unmap the store; NULL is accepted. */
void tls_cache_free(struct tls_cache *c);
/*
 * Keep blob[0..len) under id until expires (replacing an entry of the same
 * id, or the oldest entry when every slot is taken). 0, or -1 when the id
 * is empty or longer than TLS_CACHE_ID_MAX or the blob is empty or longer
 * than TLS_CACHE_BLOB_MAX (nothing is kept then).
 */
int tls_cache_put(struct tls_cache *c, const unsigned char *id, size_t idlen, const void *blob,
    size_t len, time_t expires);
/*
 * The blob kept under id, its length in *len; NULL when there is none, it
 * has expired at now (it is dropped then), or its slot fails its checksum
 * (dropped too). The pointer is valid until the next put or remove.
 */
const void *tls_cache_get(struct tls_cache *c, const unsigned char *id, size_t idlen, time_t now,
    size_t *len);
/* Drop the entry of id, if there is one. */
void tls_cache_remove(struct tls_cache *c, const unsigned char *id, size_t idlen);
/* The number of entries kept (expired ones not yet met included). */
uint32_t tls_cache_count(const struct tls_cache *c);
/* The size of the mapping in bytes: the store's bound, whatever it holds. */
size_t tls_cache_bytes(const struct tls_cache *c);
/*
 * For tests that damage the store: the slot that holds id's blob (its
 * first byte at offset 56), or NULL.
 */
unsigned char *tls_cache_slot(struct tls_cache *c, const unsigned char *id, size_t idlen);

#endif
