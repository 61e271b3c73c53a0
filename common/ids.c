/* ids.c - see ids.h. */
#include "ids.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
id_new(char out[ID_TEXT_LEN + 1])
{
	/*
	 * Random bytes are drawn in blocks: RAND_bytes per id is the slow part.
	 * One pool per thread (tongxind's store thread makes ids too).
	 */
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t pool_off = sizeof pool;
	unsigned char b[16];
	uint64_t ms = (uint64_t)now_ms();

	if (pool_off + 10 > sizeof pool) {
		if (RAND_bytes(pool, sizeof pool) != 1)
			return -1;
		pool_off = 0;
	}
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	memcpy(b + 6, pool + pool_off, 10);
	pool_off += 10;
	b[6] = (b[6] & 0x0f) | 0x70;   /* version 7 */
	b[8] = (b[8] & 0x3f) | 0x80;   /* RFC 4122 variant */
	/*
	 * 8-4-4-4-12 lowercase hex, by hand: snprintf's format walk took
	 * ~6,800 instructions an id, a fifth of a member insert (every insert
	 * a clerk or an import makes).
	 */
	{
		static const char hex[] = "0123456789abcdef";
		char *o = out;
		for (int i = 0; i < 16; i++) {
			if (i == 4 || i == 6 || i == 8 || i == 10)
				*o++ = '-';
			*o++ = hex[b[i] >> 4];
			*o++ = hex[b[i] & 15];
		}
		*o = '\0';
	}
	return 0;
}

int
id_valid(const char *s)
{
	if (s == NULL || strlen(s) != ID_TEXT_LEN)
		return 0;
	for (int i = 0; i < ID_TEXT_LEN; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

uint64_t
hlc_next(uint64_t last)
{
	uint64_t wall = (uint64_t)now_ms() << 16;
	return wall > last ? wall : last + 1;
}

uint64_t
hlc_recv(uint64_t last, uint64_t r)
{
	uint64_t wall = (uint64_t)now_ms() << 16;
	uint64_t m = last > r ? last : r;
	return wall > m ? wall : m + 1;
}
