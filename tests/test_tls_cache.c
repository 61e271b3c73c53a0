/*
 * test_tls_cache.c - unit test for the server's TLS session store
 * (common/tls_cache.c) and for the server context that keeps its sessions
 * there (common/tls.c).
 *
 * The store alone, table-free and without TLS:
 *   - an entry put is got back whole; an id never put, an empty or too
 *     long id, an empty or too large blob are refused or a miss;
 *   - an entry expires at the time it was given (a miss from then on, and
 *     dropped); one put again under its id replaces the old blob;
 *   - at capacity the oldest entry is replaced, the others stay;
 *   - a damaged slot (a blob byte, the length, the id length, the expiry)
 *     is a miss, not a crash, and is dropped;
 *   - 200,000 random puts, gets and removes on a small store agree with a
 *     model of it (the index's deletions keep every entry reachable);
 *   - the bound: 20,000 sessions' store is one mapping of 15.6 MB, and
 *     holds 20,000 sessions (the 20,001st replaces the first).
 * With the real contexts over BIO pairs (a CA, the server's certificate
 * and a device credential in a private directory under $TMPDIR or /tmp):
 *   - a full handshake leaves one session in the store; the device resumes
 *     it with no certificate and the server knows who it is;
 *   - a session whose blob in the store does not decode, or has expired,
 *     gives a full handshake (and is dropped), not a crash;
 *   - a session the store lost (removed) gives a full handshake.
 * Exit status 0 on success; on failure the first failed check is printed.
 */
#include "pki.h"
#include "tls.h"
#include "tls_cache.h"

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ssl.h>

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__, \
			    #cond);                                                      \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			exit(1);                                                         \
		}                                                                        \
	} while (0)

/* Slot layout as tls_cache.c has it: for the damage tests. */
#define OFF_EXPIRES 8
#define OFF_LEN 16
#define OFF_IDLEN 18
#define OFF_BLOB 56

static const unsigned char *
id_of(unsigned n, unsigned char id[32])
{
	memset(id, 0, 32);
	for (int i = 0; i < 4; i++)
		id[i] = (unsigned char)(n >> (8 * i));
	id[31] = 0xA5;
	return id;
}

/* Whether the store holds blob "v<n>" under id n. */
static int
holds(struct tls_cache *c, unsigned n, time_t now)
{
	unsigned char id[32];
	char want[32];
	size_t len = 0;
	const void *p = tls_cache_get(c, id_of(n, id), 32, now, &len);

	snprintf(want, sizeof want, "v%u", n);
	return p != NULL && len == strlen(want) && memcmp(p, want, len) == 0;
}

static void
put(struct tls_cache *c, unsigned n, time_t expires)
{
	unsigned char id[32];
	char v[32];

	snprintf(v, sizeof v, "v%u", n);
	CHECK(tls_cache_put(c, id_of(n, id), 32, v, strlen(v), expires) == 0, "put %u", n);
}

static void
test_basics(void)
{
	struct tls_cache *c = tls_cache_new(8);
	unsigned char id[32], big[TLS_CACHE_BLOB_MAX + 1];
	size_t len = 0;

	CHECK(c != NULL, "tls_cache_new");
	CHECK(tls_cache_get(c, id_of(1, id), 32, 0, &len) == NULL, "a hit in an empty store");
	put(c, 1, 1000);
	put(c, 2, 1000);
	CHECK(holds(c, 1, 0) && holds(c, 2, 999), "an entry put is not got back");
	CHECK(tls_cache_get(c, id_of(3, id), 32, 0, &len) == NULL, "an id never put was found");
	CHECK(tls_cache_get(c, id_of(1, id), 31, 0, &len) == NULL, "a prefix of an id was found");
	CHECK(tls_cache_count(c) == 2, "count %u, want 2", tls_cache_count(c));
	/* Refused: nothing kept. */
	memset(big, 'x', sizeof big);
	id_of(3, id);
	CHECK(tls_cache_put(c, id, 0, "v", 1, 1000) == -1, "an empty id was taken");
	CHECK(tls_cache_put(c, id, 33, "v", 1, 1000) == -1, "a 33-byte id was taken");
	CHECK(tls_cache_put(c, id, 32, "v", 0, 1000) == -1, "an empty blob was taken");
	CHECK(tls_cache_put(c, id, 32, big, sizeof big, 1000) == -1, "an oversize blob was taken");
	CHECK(tls_cache_put(c, id, 32, big, sizeof big - 1, 1000) == 0, "a full-size blob refused");
	CHECK(tls_cache_get(c, id, 32, 0, &len) != NULL && len == TLS_CACHE_BLOB_MAX,
	    "a full-size blob not got back whole");
	CHECK(tls_cache_get(c, id, 33, 0, &len) == NULL, "a 33-byte id looked up");
	/* Expiry: a miss from the time given on, and dropped. */
	CHECK(tls_cache_count(c) == 3 && !holds(c, 1, 1000) && tls_cache_count(c) == 2,
	    "an expired entry was got, or not dropped (count %u)", tls_cache_count(c));
	CHECK(!holds(c, 1, 0), "an expired entry came back");
	/* Put again under its id: replaced, counted once. */
	CHECK(tls_cache_put(c, id_of(2, id), 32, "new", 3, 2000) == 0, "put again");
	CHECK(tls_cache_get(c, id, 32, 1500, &len) != NULL && len == 3 &&
	    tls_cache_count(c) == 2, "a put under the same id did not replace the entry");
	CHECK(tls_cache_get(c, id, 32, 2000, &len) == NULL, "the new expiry was not kept");
	CHECK(tls_cache_put(c, id, 32, "new", 3, 2000) == 0, "put again");
	tls_cache_remove(c, id, 32);
	tls_cache_remove(c, id, 32);
	CHECK(tls_cache_get(c, id, 32, 0, &len) == NULL && tls_cache_count(c) == 1,
	    "a removed entry stayed");
	tls_cache_free(c);
	tls_cache_free(NULL);
	CHECK(tls_cache_new(0) == NULL && tls_cache_new((1u << 24) + 1) == NULL,
	    "a store of 0 or over 2^24 slots was made");
}

/* At capacity the oldest entry goes, the others stay. */
static void
test_capacity(void)
{
	struct tls_cache *c = tls_cache_new(4);

	CHECK(c != NULL, "tls_cache_new");
	for (unsigned n = 1; n <= 4; n++)
		put(c, n, 1000);
	put(c, 5, 1000);
	CHECK(!holds(c, 1, 0), "the oldest entry stayed past capacity");
	CHECK(holds(c, 2, 0) && holds(c, 3, 0) && holds(c, 4, 0) && holds(c, 5, 0),
	    "an entry newer than the oldest was replaced");
	CHECK(tls_cache_count(c) == 4, "count %u, want 4", tls_cache_count(c));
	put(c, 6, 1000);
	put(c, 7, 1000);
	CHECK(!holds(c, 2, 0) && !holds(c, 3, 0) && holds(c, 4, 0) && holds(c, 7, 0),
	    "the oldest entries did not go in order");
	tls_cache_free(c);
}

/*
 * Damage one byte of id 1's slot: then a miss, not a crash, and id 2 still
 * there. A slot whose checksum fails is dropped at once; one whose id no
 * longer matches is not found, and goes when its turn to be written comes.
 */
static void
damage(size_t off, unsigned char value, const char *what, bool dropped)
{
	struct tls_cache *c = tls_cache_new(8);
	unsigned char id[32], *slot;

	CHECK(c != NULL, "tls_cache_new");
	put(c, 1, 1000);
	put(c, 2, 1000);
	CHECK((slot = tls_cache_slot(c, id_of(1, id), 32)) != NULL, "no slot for id 1");
	slot[off] = value;
	CHECK(!holds(c, 1, 0), "a slot with a damaged %s was got", what);
	CHECK(tls_cache_count(c) == (dropped ? 1u : 2u) && holds(c, 2, 0), "the damaged slot (%s) "
	    "was not dropped, or took its neighbour: count %u", what, tls_cache_count(c));
	/* The slot is used again. */
	put(c, 1, 1000);
	CHECK(holds(c, 1, 0), "id 1 not kept again after damage to its %s", what);
	tls_cache_free(c);
}

static void
test_damage(void)
{
	damage(OFF_BLOB, 'X', "blob", true);
	damage(OFF_BLOB + 1, 0xFF, "blob", true);
	damage(OFF_LEN, 0xFF, "length", true);
	damage(OFF_LEN + 1, 0xFF, "length", true);
	damage(OFF_EXPIRES + 4, 0x7F, "expiry", true);
	damage(0, 0x55, "checksum", true);
	damage(OFF_IDLEN, 200, "id length", false);
	damage(OFF_BLOB - 32, 0xEE, "id", false);
}

/*
 * Random puts, gets and removes against a model of the store: slots taken
 * in turn (a ring), an id kept at most once. Ids are drawn from a small
 * range so that puts meet their own ids and removes meet entries.
 */
static void
test_model(void)
{
	enum { SLOTS = 64, IDS = 200, OPS = 200000 };
	struct tls_cache *c = tls_cache_new(SLOTS);
	int ring[SLOTS];            /* id held by each slot, -1: none */
	unsigned next = 0, seed = 12345, hits = 0;
	unsigned char id[32];
	size_t len;

	CHECK(c != NULL, "tls_cache_new");
	for (int i = 0; i < SLOTS; i++)
		ring[i] = -1;
	for (int op = 0; op < OPS; op++) {
		unsigned r, n, at = SLOTS, count = 0;

		seed = seed * 1103515245u + 12345u;
		r = seed >> 8;
		n = r % IDS;
		for (unsigned i = 0; i < SLOTS; i++)
			if (ring[i] == (int)n)
				at = i;
		switch ((r >> 16) % 3) {
		case 0:
			put(c, n, 1000);
			if (at < SLOTS)
				ring[at] = -1;
			ring[next] = (int)n;
			next = (next + 1) % SLOTS;
			break;
		case 1:
			CHECK(holds(c, n, 0) == (at < SLOTS), "op %d: get %u: %s, model %s", op, n,
			    holds(c, n, 0) ? "hit" : "miss", at < SLOTS ? "hit" : "miss");
			hits += at < SLOTS;
			break;
		default:
			tls_cache_remove(c, id_of(n, id), 32);
			if (at < SLOTS)
				ring[at] = -1;
			CHECK(tls_cache_get(c, id, 32, 0, &len) == NULL, "op %d: removed %u found", op, n);
			break;
		}
		for (unsigned i = 0; i < SLOTS; i++)
			count += ring[i] >= 0;
		CHECK(tls_cache_count(c) == count, "op %d: count %u, model %u", op,
		    tls_cache_count(c), count);
	}
	/* Every entry the model holds is reachable at the end. */
	for (unsigned i = 0; i < SLOTS; i++)
		CHECK(ring[i] < 0 || holds(c, (unsigned)ring[i], 0), "entry %d unreachable", ring[i]);
	CHECK(hits > OPS / 20, "the model test met only %u hits", hits);
	tls_cache_free(c);
}

static void
test_bound(void)
{
	struct tls_cache *c = tls_cache_new(20000);

	CHECK(c != NULL, "tls_cache_new(20000)");
	/* 65,536 index entries of 4 bytes, 20,000 slots of 768. */
	CHECK(tls_cache_bytes(c) == 65536u * 4 + 20000u * TLS_CACHE_SLOT,
	    "the store takes %zu bytes", tls_cache_bytes(c));
	printf("the store of 20,000 sessions: %.1f MB at most\n", tls_cache_bytes(c) / 1e6);
	/* 20,000 devices' sessions are all kept; the next replaces the first. */
	for (unsigned n = 1; n <= 20000; n++)
		put(c, n, 1000);
	for (unsigned n = 1; n <= 20000; n++)
		CHECK(holds(c, n, 0), "session %u of 20,000 not kept", n);
	put(c, 20001, 1000);
	CHECK(!holds(c, 1, 0) && holds(c, 2, 0) && holds(c, 20001, 0) &&
	    tls_cache_count(c) == 20000, "the 20,001st session did not replace the first");
	tls_cache_free(c);
}

/* --- through the real contexts -------------------------------------------- */

static char err[512];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/*
 * One handshake between a new client of cctx (resuming sess when not NULL)
 * and a new server of sctx, the server's tickets read by the client; the
 * client's session, and whether the server resumed (*reused) and knew the
 * device (its name in dev, "" if not).
 */
static SSL_SESSION *
handshake(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *sess, int *reused, char *dev, size_t devlen)
{
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);
	BIO *cb = NULL, *sb = NULL;
	SSL_SESSION *out;
	struct pki_identity id;
	int expired = 1, done = 0;
	char buf[64];

	CHECK(c != NULL && s != NULL && BIO_new_bio_pair(&cb, 0, &sb, 0) == 1, "SSL_new");
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	SSL_set1_host(c, "tongxind");
	if (sess != NULL)
		SSL_set_session(c, sess);
	for (int i = 0; i < 50 && !done; i++) {
		int rc = SSL_do_handshake(c), rs = SSL_do_handshake(s);
		done = rc == 1 && rs == 1;
	}
	CHECK(done, "the handshake did not finish: %s", tls_error_string());
	CHECK(SSL_write(s, "x", 1) == 1, "server write");
	for (int i = 0; i < 4; i++) {
		SSL_read(c, buf, sizeof buf);
		SSL_read(s, buf, sizeof buf);
	}
	*reused = SSL_session_reused(s);
	memset(&id, 0, sizeof id);
	snprintf(dev, devlen, "%s", tls_peer_identity(s, &id, &expired) == 0 && !expired ?
	    id.device : "");
	out = SSL_get1_session(c);
	SSL_shutdown(c);
	SSL_shutdown(s);
	SSL_free(c);
	SSL_free(s);
	return out;
}

static void
test_contexts(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], dev[128];
	/* Fields as long as a certificate holds: the encoded session must fit a slot. */
	struct pki_identity id = { .device = "和平社区-一号电脑-党务工作者办公室台式机", .org_code =
	    "SQ01-01234567890123456789012345678901234567890123456789012345678", .role = "office",
	    .device_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7a" };
	struct pki_cred cred;
	SSL_CTX *sctx, *cctx;
	SSL_SESSION *s1, *s2, *s3;
	struct tls_cache *c;
	unsigned int idlen = 0;
	const unsigned char *sid = NULL;
	size_t ticklen = 0;
	const void *blob;
	size_t len = 0;
	int reused = -1;
	unsigned char copy[TLS_CACHE_BLOB_MAX];

	snprintf(dir, sizeof dir, "%s/test_tls_cache.XXXXXX", tmp != NULL && tmp[0] ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL, "mkdtemp %s", dir);
	CHECK(pki_ca_create(dir, "和平街道", err, sizeof err) == 0, "%s", err);
	CHECK(pki_server_issue(dir, "localhost", err, sizeof err) == 0, "%s", err);
	memset(&cred, 0, sizeof cred);
	CHECK(pki_device_issue(dir, &id, 30, &cred, err, sizeof err) == 0, "%s", err);
	CHECK((cctx = tls_client_ctx(&cred, err, sizeof err)) != NULL, "%s", err);
	CHECK((sctx = tls_server_ctx(dir, err, sizeof err)) != NULL, "%s", err);
	CHECK((c = tls_server_cache(sctx)) != NULL && tls_server_cache(cctx) == NULL,
	    "a server context without a store, or a client's with one");
	CHECK(tls_cache_count(c) == 0, "a new store holds %u", tls_cache_count(c));

	/* A full handshake: one session kept, resumed, the device known. */
	s1 = handshake(cctx, sctx, NULL, &reused, dev, sizeof dev);
	CHECK(!reused && strcmp(dev, id.device) == 0, "full handshake: reused %d, device '%s'",
	    reused, dev);
	CHECK(s1 != NULL && tls_cache_count(c) == 1, "the store holds %u sessions, want 1",
	    tls_cache_count(c));
	/* Stateful tickets: the client's ticket is the server's session id. */
	SSL_SESSION_get0_ticket(s1, &sid, &ticklen);
	idlen = (unsigned int)ticklen;
	CHECK((blob = tls_cache_get(c, sid, idlen, time(NULL), &len)) != NULL,
	    "the client's session id is not in the store");
	printf("an encoded session with the longest identity: %zu bytes (slot: %d)\n", len,
	    TLS_CACHE_BLOB_MAX);
	memcpy(copy, blob, len);
	s2 = handshake(cctx, sctx, s1, &reused, dev, sizeof dev);
	CHECK(reused && strcmp(dev, id.device) == 0, "resumed: reused %d, device '%s'", reused, dev);
	SSL_SESSION_free(s2);

	/* A blob that does not decode (its checksum right): a full handshake, dropped. */
	CHECK(tls_cache_put(c, sid, idlen, "not a session", 13, time(NULL) + 3600) == 0, "put");
	s2 = handshake(cctx, sctx, s1, &reused, dev, sizeof dev);
	CHECK(!reused && strcmp(dev, id.device) == 0, "a blob that does not decode: reused %d, "
	    "device '%s'", reused, dev);
	CHECK(tls_cache_get(c, sid, idlen, time(NULL), &len) == NULL, "the bad blob stayed");
	/* Put back, expired: a full handshake. */
	CHECK(tls_cache_put(c, sid, idlen, copy, len, time(NULL) - 1) == 0, "put");
	s3 = handshake(cctx, sctx, s1, &reused, dev, sizeof dev);
	CHECK(!reused, "an expired session resumed");
	SSL_SESSION_free(s3);
	/* Put back whole: it resumes again (the copy is the session itself). */
	CHECK(tls_cache_put(c, sid, idlen, copy, len, time(NULL) + 3600) == 0, "put");
	s3 = handshake(cctx, sctx, s1, &reused, dev, sizeof dev);
	CHECK(reused && strcmp(dev, id.device) == 0, "a session put back did not resume");
	SSL_SESSION_free(s3);
	/* Removed: a full handshake. */
	tls_cache_remove(c, sid, idlen);
	s3 = handshake(cctx, sctx, s1, &reused, dev, sizeof dev);
	CHECK(!reused, "a removed session resumed");
	SSL_SESSION_free(s3);
	/* The session of a full handshake above resumes. */
	s3 = handshake(cctx, sctx, s2, &reused, dev, sizeof dev);
	CHECK(reused && strcmp(dev, id.device) == 0, "the newest session did not resume");
	SSL_SESSION_free(s3);

	SSL_SESSION_free(s1);
	SSL_SESSION_free(s2);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	pki_cred_clear(&cred);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	test_basics();
	test_capacity();
	test_damage();
	test_model();
	test_bound();
	test_contexts();
	printf("ok: the TLS session store\n");
	return 0;
}
