/*
 * ids.h - globally unique row ids and the hybrid logical clock.
 *
 * Row ids are UUIDv7 text (36 chars): 48 bits of Unix milliseconds, then
 * random bits from OpenSSL's RAND_bytes, so rows made offline on different
 * devices never collide and inserts land near the end of the b-tree.
 *
 * An HLC timestamp is 48 bits of wall milliseconds and 16 bits of logical
 * counter in one uint64; it never goes backwards on one node and moves past
 * every timestamp the node has seen.
 */
#ifndef TX_IDS_H
#define TX_IDS_H

#include <stdint.h>

#define ID_TEXT_LEN 36

/* Write a new UUIDv7 into out (ID_TEXT_LEN + 1 bytes). -1 if the RNG fails. */
int id_new(char out[ID_TEXT_LEN + 1]);
/* Whether s is a well-formed lower-case UUID text. */
int id_valid(const char *s);

/* Wall clock in Unix milliseconds. */
int64_t now_ms(void);

/* Next local HLC timestamp after last (for a local event). */
uint64_t hlc_next(uint64_t last);
/* Local clock after receiving remote timestamp r, given local last. */
uint64_t hlc_recv(uint64_t last, uint64_t r);
/* Milliseconds part of an HLC timestamp. */
static inline int64_t hlc_ms(uint64_t h) { return (int64_t)(h >> 16); }

#endif
