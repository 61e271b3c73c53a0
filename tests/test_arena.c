/*
 * test_arena.c - tongxin's start-up arena (client/main.c), which only the
 * tongxin program uses and sanitizer builds otherwise leave out: compiled
 * in here (TX_ARENA_TEST), started as main starts it, then
 *   1. its own calls: blocks are 16-aligned and hold what was written; the
 *      last block grows in place and is given back; another block grows by
 *      a copy; large requests and those past the arena's end come from
 *      malloc, keep their bytes through realloc, and free as malloc's;
 *      SQLite's xSize gives at least what was asked;
 *   2. SQLite and OpenSSL on it, in two threads at once: 20,000 rows
 *      written and read back, a growing group_concat, SHA-256 of known
 *      bytes, an EC key made, a signature verified, a TLS context made and
 *      freed, each checked against its known answer.
 * Under ASan the arena's own blocks are not poisoned apart: what this
 * checks is the bookkeeping (headers, the last block, the hand-over to
 * malloc), the results of the libraries on it, and that nothing of malloc's
 * is freed or reallocated as the arena's (ASan sees those).
 */
#define TX_ARENA_TEST 1
#define main tongxin_process_main   /* main.c's own main, not this test's */
#include "../client/main.c"
#undef main

#include <pthread.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

static int failures;

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK FAILED: %s: ", \
	__FILE__, __LINE__, #c); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

/* 1. The allocator's own calls. */
static void
own_calls(void)
{
	char *a, *b, *c, *big;
	size_t used;

	a = arena_alloc(100);
	CHECK(a != NULL && arena_owns(a) && ((uintptr_t)a & 15) == 0, "a small block from the arena");
	memset(a, 'a', 100);
	used = atomic_load(&arena_used);
	a = arena_realloc(a, 300);   /* the last block: in place */
	CHECK(a != NULL && atomic_load(&arena_used) > used && a[99] == 'a', "grown in place");
	b = arena_alloc(50);
	memset(b, 'b', 50);
	c = arena_realloc(a, 600);   /* no longer the last: a copy */
	CHECK(c != NULL && c != a && c[0] == 'a' && c[99] == 'a' && b[49] == 'b', "grown by a copy");
	CHECK(sq_size(c) >= 600 && sq_size(b) >= 50, "xSize");
	used = atomic_load(&arena_used);
	arena_free(c);               /* the last block: given back */
	CHECK(atomic_load(&arena_used) < used, "the last block given back");
	big = arena_alloc(ARENA_BIG + 1);
	CHECK(big != NULL && !arena_owns(big), "a large request goes to malloc");
	memset(big, 'z', ARENA_BIG + 1);
	big = arena_realloc(big, 2 * ARENA_BIG);
	CHECK(big != NULL && big[ARENA_BIG] == 'z' && sq_size(big) == (int)(2 * ARENA_BIG),
	    "malloc's block reallocated");
	arena_free(big);
	/* Fill the arena: what follows comes from malloc, and keeps its bytes when grown. */
	for (int i = 0; i < 100000 && arena_owns(c = arena_alloc(ARENA_BIG)); i++)
		;
	CHECK(c != NULL && !arena_owns(c), "past the arena's end, malloc");
	c[0] = 'c';
	c = arena_realloc(c, 3 * ARENA_BIG);
	CHECK(c != NULL && c[0] == 'c', "kept through realloc");
	arena_free(c);
	arena_free(b);   /* not the last: stays spent, and nothing breaks */
	arena_free(NULL);
}

/* 2. SQLite and OpenSSL on the arena. */
static void *
libraries(void *arg)
{
	static const unsigned char abc_sha256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad };
	unsigned char md[32], sig[128];
	size_t siglen = sizeof sig;
	sqlite3 *db;
	sqlite3_stmt *st;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *mc;
	SSL_CTX *ctx;
	int n = 0;

	(void)arg;
	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "open");
	sqlite3_exec(db, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 20000)"
	    " INSERT INTO t SELECT i, printf('value %d %s', i, hex(randomblob(i % 64))) FROM c;"
	    "CREATE INDEX t_v ON t(v);", NULL, NULL, NULL);
	if (sqlite3_prepare_v2(db, "SELECT count(*), sum(k), length(group_concat(v)) FROM t"
	    " WHERE v LIKE 'value %'", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		CHECK(sqlite3_column_int(st, 0) == 20000 &&
		    sqlite3_column_int64(st, 1) == 200010000, "rows read back");
		n = sqlite3_column_int(st, 2);
	}
	CHECK(n > 20000 * 10, "group_concat of %d bytes", n);
	sqlite3_finalize(st);
	sqlite3_close(db);

	CHECK(EVP_Digest("abc", 3, md, NULL, EVP_sha256(), NULL) == 1 &&
	    memcmp(md, abc_sha256, 32) == 0, "SHA-256 of abc");
	key = EVP_EC_gen("P-256");
	CHECK(key != NULL, "an EC key");
	mc = EVP_MD_CTX_new();
	CHECK(mc != NULL && EVP_DigestSignInit(mc, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(mc, sig, &siglen, (const unsigned char *)"tongxin", 7) == 1,
	    "a signature");
	EVP_MD_CTX_free(mc);
	mc = EVP_MD_CTX_new();
	CHECK(mc != NULL && EVP_DigestVerifyInit(mc, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(mc, sig, siglen, (const unsigned char *)"tongxin", 7) == 1,
	    "the signature verified");
	EVP_MD_CTX_free(mc);
	EVP_PKEY_free(key);
	ctx = SSL_CTX_new(TLS_client_method());
	CHECK(ctx != NULL, "a TLS context");
	SSL_CTX_free(ctx);
	return NULL;
}

int
main(void)
{
	pthread_t th[2];

	arena_start();
	if (arena_base == NULL) {
		printf("test_arena: no arena here (mmap refused): nothing to test\n");
		return 0;
	}
	own_calls();
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&th[i], NULL, libraries, NULL) == 0, "thread");
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	libraries(NULL);   /* once more, the arena now full: malloc's turn */
	if (failures == 0)
		printf("test_arena: PASS\n");
	return failures ? 1 : 0;
}
