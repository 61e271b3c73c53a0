/* tls.c - see tls.h. */
#include "tls.h"

#include <assert.h>
#include <pthread.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls_cache.h"

const char *
tls_error_string(void)
{
	static char buf[256];
	unsigned long e = ERR_get_error();

	buf[0] = '\0';
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	return buf;
}

/* The settings both ends share. */
static SSL_CTX *
tls_base_ctx(const SSL_METHOD *m)
{
	SSL_CTX *ctx = SSL_CTX_new(m);

	if (ctx == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	/* Idle sessions give their 16 KiB read and write buffers back (10,000 sessions: 320 MB). */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

/*
 * Sessions the server keeps for resumption: a district's or a small city's
 * devices (one session each: a device resumes the one it holds). Each is
 * kept encoded without the device's certificate (slim_session) in a slot
 * of the session store (tls_cache.h): 768 bytes a session, so the store
 * is 20,000 x 768 B + a 256 KB index = 15.6 MB of address space at most,
 * resident only as far as slots have been used, and outside malloc's heap.
 * Past it the oldest go, and their devices make one full handshake (and
 * get a new session) the next time.
 */
#define TLS_SESSION_CACHE 20000

/*
 * What a cached session carries instead of the certificate: the identity
 * the server reads from it at every connection (pki_identity_from_cert)
 * and the certificate's expiry, as NUL-terminated fields in this order
 * after "txid1". It is the session's ticket_appdata: with stateful tickets
 * it never leaves this process (the device holds only the session's id).
 */
#define IDENT_TAG "txid1"
#define IDENT_FIELDS 6

/* The identity blob of cert into buf (IDENT_TAG, fields); its length, or 0. */
static size_t
ident_encode(X509 *cert, char *buf, size_t cap)
{
	struct pki_identity id;
	const ASN1_TIME *na = X509_get0_notAfter(cert);
	struct tm tm;
	char when[24];
	const char *f[IDENT_FIELDS];
	size_t n = 0;

	if (pki_identity_from_cert(cert, &id) != 0 || na == NULL || ASN1_TIME_to_tm(na, &tm) != 1)
		return 0;
	snprintf(when, sizeof when, "%lld", (long long)timegm(&tm));
	f[0] = when, f[1] = id.serial, f[2] = id.device_id, f[3] = id.device, f[4] = id.org_code,
	    f[5] = id.role;
	memcpy(buf, IDENT_TAG, sizeof IDENT_TAG);
	n = sizeof IDENT_TAG;
	for (int i = 0; i < IDENT_FIELDS; i++) {
		size_t l = strlen(f[i]) + 1;
		if (n + l > cap)
			return 0;
		memcpy(buf + n, f[i], l);
		n += l;
	}
	return n;
}

/* Read an identity blob back; 0, or -1 if it is not one. */
static int
ident_decode(const char *b, size_t len, struct pki_identity *id, time_t *not_after)
{
	char *dst[IDENT_FIELDS - 1] = { id->serial, id->device_id, id->device, id->org_code,
	    id->role };
	size_t cap[IDENT_FIELDS - 1] = { sizeof id->serial, sizeof id->device_id,
	    sizeof id->device, sizeof id->org_code, sizeof id->role };
	const char *p = b + sizeof IDENT_TAG, *end = b + len;
	char *e;

	if (len < sizeof IDENT_TAG || memcmp(b, IDENT_TAG, sizeof IDENT_TAG) != 0 ||
	    end[-1] != '\0')
		return -1;
	*not_after = (time_t)strtoll(p, &e, 10);
	if (*e != '\0')
		return -1;
	p = e + 1;
	for (int i = 0; i < IDENT_FIELDS - 1; i++) {
		size_t l;
		if (p >= end || (l = strlen(p)) >= cap[i])
			return -1;
		memcpy(dst[i], p, l + 1);
		p += l + 1;
	}
	return p == end ? 0 : -1;
}

int
tls_session_der_slim(SSL_SESSION *sess, unsigned char **out_der)
{
	unsigned char *der = NULL, *out = NULL, *q;
	const unsigned char *p, *end;
	long inner = 0;
	int tag, xclass, len, r, n = 0;
	size_t kept = 0;

	*out_der = NULL;
	if ((len = i2d_SSL_SESSION(sess, &der)) <= 0)
		return 0;
	p = der;
	r = ASN1_get_object(&p, &inner, &tag, &xclass, len);
	if ((r & 0x80) != 0 || tag != V_ASN1_SEQUENCE || inner > der + len - p)
		goto done;
	end = p + inner;
	if ((out = OPENSSL_malloc((size_t)len)) == NULL)
		goto done;
	/* The elements kept, after room for the SEQUENCE's header (at most 6 bytes here). */
	q = out + 8;
	while (p < end) {
		const unsigned char *el = p;
		r = ASN1_get_object(&p, &inner, &tag, &xclass, (long)(end - p));
		if ((r & 0x80) != 0 || r == 0x21 || inner > end - p)
			goto done;
		p += inner;
		if (xclass == V_ASN1_CONTEXT_SPECIFIC && tag == 3)
			continue;   /* the peer's certificate */
		memcpy(q, el, (size_t)(p - el));
		q += p - el;
	}
	kept = (size_t)(q - (out + 8));
	{
		unsigned char hdr[8], *h = hdr;
		int hl = ASN1_object_size(1, (int)kept, V_ASN1_SEQUENCE) - (int)kept;
		if (hl <= 0 || hl > 8)
			goto done;
		ASN1_put_object(&h, 1, (int)kept, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		memcpy(out + 8 - hl, hdr, (size_t)hl);
		memmove(out, out + 8 - hl, kept + (size_t)hl);
		n = (int)kept + hl;
		*out_der = out;
		out = NULL;
	}
done:
	OPENSSL_free(der);
	OPENSSL_free(out);
	return n;
}

/*
 * The session sess encoded without its peer certificate
 * (tls_session_der_slim), decoded again: a session object of its own whose
 * every other field (keys, cipher, flags, id, context, times) is sess's.
 * Decoding a certificate is what made stateless tickets cost a third of a
 * resumed sync's server time (OpenSSL 3.0), and a decoded certificate is
 * most of a cached session's memory; a DER walk and a certificate-less
 * decode cost neither. NULL on failure.
 */
static SSL_SESSION *
slim_session(SSL_SESSION *sess)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = tls_session_der_slim(sess, &der);
	SSL_SESSION *slim = NULL;

	if (n > 0) {
		p = der;
		slim = d2i_SSL_SESSION(NULL, &p, n);
	}
	OPENSSL_free(der);
	return slim;
}

/*
 * The server's session store (tls_cache.h) rides on its SSL_CTX as
 * ex_data, freed with the context (store_free).
 *
 * Threads: the store has no lock. Every callback below runs inside a
 * server handshake, and tongxind makes its SSLs in accept_cb and drives
 * them through bufferevent_openssl on its event base: the handshakes run
 * on the event-loop thread alone (the store and reader threads never touch
 * a session). A debug build checks it (store_of).
 */
struct tls_store {
	struct tls_cache *cache;
#ifndef NDEBUG
	bool owned;                 /* owner is the thread of the first callback */
	pthread_t owner;
#endif
};

static int store_index = -1;
static CRYPTO_ONCE store_once = CRYPTO_ONCE_STATIC_INIT;

/* The SSL_CTX's ex_data free function. */
static void
store_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct tls_store *st = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (st == NULL)
		return;
	tls_cache_free(st->cache);
	OPENSSL_free(st);
}

static void
store_index_new(void)
{
	store_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, NULL, NULL,
	    store_free);
}

/* ctx's session store, or NULL for a context without one. */
static struct tls_cache *
store_of(SSL_CTX *ctx)
{
	struct tls_store *st = store_index >= 0 ? SSL_CTX_get_ex_data(ctx, store_index) : NULL;

	if (st == NULL)
		return NULL;
#ifndef NDEBUG
	if (!st->owned) {
		st->owner = pthread_self();
		st->owned = true;
	}
	assert(pthread_equal(st->owner, pthread_self()));
#endif
	return st->cache;
}

/*
 * A new session (after a full handshake, or renewed after resuming an old
 * one): the store gets its slim copy, encoded, with the identity as
 * appdata; OpenSSL's internal cache keeps nothing (SSL_SESS_CACHE_NO_INTERNAL).
 * It expires with the session (its time plus its timeout). A session that
 * cannot be slimmed or does not fit a slot is not kept: its device makes a
 * full handshake next time. Returns 0: OpenSSL keeps no reference for us.
 */
static int
server_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct tls_cache *c = store_of(SSL_get_SSL_CTX(ssl));
	X509 *peer = SSL_SESSION_get0_peer(sess);
	SSL_SESSION *slim;
	unsigned char der[TLS_CACHE_BLOB_MAX], *q = der;
	const unsigned char *id;
	unsigned int idlen = 0;
	char blob[512];
	size_t n = 0;
	int len;

	if (c == NULL)
		return 0;
	if (peer != NULL && (n = ident_encode(peer, blob, sizeof blob)) == 0)
		return 0;
	if (peer == NULL) {
		void *ad = NULL;
		size_t adlen = 0;
		/* A renewal: the resumed session's identity came along with it. */
		if (!SSL_SESSION_get0_ticket_appdata(sess, &ad, &adlen) || adlen == 0)
			return 0;
	}
	if ((slim = slim_session(sess)) == NULL)
		return 0;
	if ((n == 0 || SSL_SESSION_set1_ticket_appdata(slim, blob, n) == 1) &&
	    (len = i2d_SSL_SESSION(slim, NULL)) > 0 && (size_t)len <= sizeof der &&
	    i2d_SSL_SESSION(slim, &q) == len) {
		id = SSL_SESSION_get_id(sess, &idlen);
		tls_cache_put(c, id, idlen, der, (size_t)len,
		    (time_t)SSL_SESSION_get_time(sess) + (time_t)SSL_SESSION_get_timeout(sess));
	}
	SSL_SESSION_free(slim);
	return 0;
}

/*
 * A client offers the session id: the session decoded from the store, a
 * new object the caller owns (*copy 0). A blob that does not decode is
 * dropped and read as a miss: a full handshake.
 */
static SSL_SESSION *
server_get_session(SSL *ssl, const unsigned char *id, int idlen, int *copy)
{
	struct tls_cache *c = store_of(SSL_get_SSL_CTX(ssl));
	const unsigned char *p;
	size_t len = 0;
	SSL_SESSION *sess;

	*copy = 0;
	if (c == NULL || idlen <= 0 ||
	    (p = tls_cache_get(c, id, (size_t)idlen, time(NULL), &len)) == NULL)
		return NULL;
	if ((sess = d2i_SSL_SESSION(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		tls_cache_remove(c, id, (size_t)idlen);
	}
	return sess;
}

/* OpenSSL drops a session (a fatal alert, a connection freed unfinished): so does the store. */
static void
server_remove_session(SSL_CTX *ctx, SSL_SESSION *sess)
{
	struct tls_cache *c = store_of(ctx);
	unsigned int idlen = 0;
	const unsigned char *id = SSL_SESSION_get_id(sess, &idlen);

	if (c != NULL)
		tls_cache_remove(c, id, idlen);
}

struct tls_cache *
tls_server_cache(SSL_CTX *ctx)
{
	return store_of(ctx);
}

int
tls_peer_identity(SSL *ssl, struct pki_identity *id, int *expired)
{
	X509 *cert = SSL_get0_peer_certificate(ssl);
	SSL_SESSION *sess;
	void *ad = NULL;
	size_t adlen = 0;
	time_t not_after;

	if (cert != NULL) {
		*expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
		return pki_identity_from_cert(cert, id);
	}
	if (!SSL_session_reused(ssl) || (sess = SSL_get0_session(ssl)) == NULL ||
	    !SSL_SESSION_get0_ticket_appdata(sess, &ad, &adlen) ||
	    ident_decode(ad, adlen, id, &not_after) != 0)
		return -1;
	*expired = not_after < time(NULL);
	return 0;
}

/*
 * The server's handshake steps: once a handshake resumes a session that is
 * less than half its lifetime old, send no new ticket after it. The client
 * keeps the session it resumed (tls_client_ctx keeps no cache that would
 * mark it used), so a new ticket would cost both ends for nothing; an older
 * session is renewed, so a device that syncs often keeps resuming.
 */
static void
server_info_cb(const SSL *ssl, int where, int ret)
{
	SSL_SESSION *ss;

	(void)ret;
	if ((where & SSL_CB_ACCEPT_LOOP) == 0 || !SSL_session_reused((SSL *)ssl) ||
	    (ss = SSL_get0_session(ssl)) == NULL)
		return;
	if (time(NULL) - (time_t)SSL_SESSION_get_time(ss) < (time_t)SSL_SESSION_get_timeout(ss) / 2)
		SSL_set_num_tickets((SSL *)ssl, 0);
}

SSL_CTX *
tls_server_ctx(const char *dir, char *err, size_t errlen)
{
	char ca[4096], crt[4096], key[4096];
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) *names;
	struct tls_store *st = NULL;

	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	snprintf(crt, sizeof crt, "%s/server.crt", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	if ((ctx = tls_base_ctx(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s", tls_error_string());
		return NULL;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "cannot load server certificate %s / key %s: %s", crt, key,
		    tls_error_string());
		goto fail;
	}
	if (!CRYPTO_THREAD_run_once(&store_once, store_index_new) || store_index < 0 ||
	    (st = OPENSSL_zalloc(sizeof *st)) == NULL ||
	    (st->cache = tls_cache_new(TLS_SESSION_CACHE)) == NULL ||
	    SSL_CTX_set_ex_data(ctx, store_index, st) != 1) {
		store_free(NULL, st, NULL, 0, 0, NULL);
		snprintf(err, errlen, "TLS: cannot set up the session store (%d sessions)",
		    TLS_SESSION_CACHE);
		goto fail;
	}
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		snprintf(err, errlen, "cannot load CA certificate %s: %s", ca, tls_error_string());
		goto fail;
	}
	if ((names = SSL_load_client_CA_file(ca)) != NULL)
		SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(ctx, 2);
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"tongxind", 8);
	/*
	 * Stateful TLS 1.3 tickets: the ticket names a session kept here. A
	 * stateless ticket holds the whole session, the device's certificate
	 * included, and OpenSSL 3.0 decodes that certificate again for every
	 * ticket it makes and every ticket it reads back (a third of the
	 * server's time in a resumed no-op sync). The store holds each session
	 * encoded without the certificate (server_new_session), so it can hold
	 * every device of a district, and outside the heap the connections use
	 * (tls_cache.h says why); tls_peer_identity reads who it is either way.
	 * Tickets are not single-use: no early data is accepted, so a replayed
	 * ClientHello gains nothing, and the client keeps resuming one session.
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
	SSL_CTX_sess_set_new_cb(ctx, server_new_session);
	SSL_CTX_sess_set_get_cb(ctx, server_get_session);
	SSL_CTX_sess_set_remove_cb(ctx, server_remove_session);
	SSL_CTX_set_num_tickets(ctx, 1);
	SSL_CTX_set_info_callback(ctx, server_info_cb);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/*
 * The device's private key from its PEM text (PKCS#8 "PRIVATE KEY" or
 * "EC PRIVATE KEY", unencrypted). Only EC is asked for: our PKI issues
 * P-256 keys alone (pki.c), and PEM_read_bio_PrivateKey would set up every
 * decoder of every key type OpenSSL 3.0 knows for this one key, a quarter
 * of a CLI sync's instructions before the change. NULL on failure, with
 * OpenSSL's reason queued.
 */
static EVP_PKEY *
tls_read_key(const char *pem)
{
	EVP_PKEY *key = NULL;
	const unsigned char *p = (const unsigned char *)pem;
	size_t len = strlen(pem);
	OSSL_DECODER_CTX *dctx;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, "EC", EVP_PKEY_KEYPAIR, NULL, NULL);
	if (dctx == NULL || OSSL_DECODER_from_data(dctx, &p, &len) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return key;
}

/*
 * A client context's credential, decoded the first time a handshake needs
 * it (tls_client_ctx_deferred), or at once (tls_client_ctx). A resumed
 * TLS 1.3 handshake (every sync after the first, while the server keeps
 * the session) sends no certificate either way and verifies none, so a
 * process that only resumes need not decode one: two certificates and the
 * key cost OpenSSL 3.0 about 3.5M instructions, a sixth of a no-op
 * "tongxin sync". A full handshake decodes them in its callbacks
 * (cred_verify, when the server's certificate arrives; cred_cert, when the
 * server asks for ours), once per context, under a lock: the desk's cached
 * context serves several syncs. Kept as the context's ex_data, freed with
 * it (cred_free, the key text cleansed).
 */
struct tls_cred {
	CRYPTO_RWLOCK *lock;
	int state;                 /* 0: not decoded yet, 1: decoded, -1: failed (err) */
	char *cert_pem, *key_pem, *ca_pem; /* until decoded */
	X509 *cert;                /* when state is 1 */
	EVP_PKEY *key;
	char err[300];             /* "cannot load the device credential: REASON" */
};

static int cred_index = -1;

static void
cred_drop_texts(struct tls_cred *tc)
{
	OPENSSL_free(tc->cert_pem);
	OPENSSL_free(tc->ca_pem);
	if (tc->key_pem != NULL)
		OPENSSL_clear_free(tc->key_pem, strlen(tc->key_pem));
	tc->cert_pem = tc->ca_pem = tc->key_pem = NULL;
}

/* The SSL_CTX's ex_data free function. */
static void
cred_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	struct tls_cred *tc = ptr;

	(void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
	if (tc == NULL)
		return;
	cred_drop_texts(tc);
	X509_free(tc->cert);
	EVP_PKEY_free(tc->key);
	CRYPTO_THREAD_lock_free(tc->lock);
	OPENSSL_free(tc);
}

static CRYPTO_ONCE cred_once = CRYPTO_ONCE_STATIC_INIT;

static void
cred_index_new(void)
{
	cred_index = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, NULL, NULL, NULL,
	    cred_free);
}

static X509 *
pem_x509(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/*
 * Decode the credential once (the CA goes into ctx's store); whether it is
 * usable. On failure tc->err says why, and OpenSSL's queue is left empty.
 */
static int
cred_load(SSL_CTX *ctx, struct tls_cred *tc)
{
	X509 *ca = NULL;
	int state;

	if (!CRYPTO_THREAD_write_lock(tc->lock))
		return 0;
	if (tc->state == 0) {
		tc->cert = pem_x509(tc->cert_pem);
		tc->key = tls_read_key(tc->key_pem);
		ca = pem_x509(tc->ca_pem);
		if (tc->cert == NULL || tc->key == NULL || ca == NULL ||
		    X509_check_private_key(tc->cert, tc->key) != 1 ||
		    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) != 1) {
			snprintf(tc->err, sizeof tc->err, "cannot load the device credential: %s",
			    tls_error_string());
			X509_free(tc->cert);
			EVP_PKEY_free(tc->key);
			tc->cert = NULL;
			tc->key = NULL;
			tc->state = -1;
		} else {
			tc->state = 1;
		}
		X509_free(ca);
		cred_drop_texts(tc);
	}
	state = tc->state;
	CRYPTO_THREAD_unlock(tc->lock);
	return state == 1;
}

/*
 * The server's certificate arrived (a full handshake): the credential is
 * decoded, its CA added to the store, then the chain, the server's name
 * and purpose are verified as OpenSSL does without this callback.
 */
static int
cred_verify(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());

	if (ssl == NULL || !cred_load(SSL_get_SSL_CTX(ssl), arg)) {
		X509_STORE_CTX_set_error(xs, X509_V_ERR_UNSPECIFIED);
		return 0;
	}
	return X509_verify_cert(xs) > 0;
}

/* The server asks for our certificate: this connection presents the device's. */
static int
cred_cert(SSL *ssl, void *arg)
{
	struct tls_cred *tc = arg;

	if (!cred_load(SSL_get_SSL_CTX(ssl), tc))
		return 0;
	return SSL_use_certificate(ssl, tc->cert) == 1 && SSL_use_PrivateKey(ssl, tc->key) == 1 &&
	    SSL_check_private_key(ssl) == 1;
}

/*
 * Whether der[0..len) is a run of well-formed DER elements, the contents of
 * constructed ones walked too (at most 16 deep): what storage damage most
 * often breaks. The contents of strings (the key inside PKCS#8, the public
 * key's bits) are left to the real decoding.
 */
static int
der_walk(const unsigned char *p, long len, int depth)
{
	const unsigned char *end = p + len;

	while (p < end) {
		long inner = 0;
		int tag, xclass, r = ASN1_get_object(&p, &inner, &tag, &xclass, (long)(end - p));

		/* 0x80: malformed or too long; 0x21: indefinite length, which DER has not. */
		if ((r & 0x80) != 0 || r == 0x21 || inner > end - p)
			return 0;
		if ((r & V_ASN1_CONSTRUCTED) != 0 && (depth >= 16 || !der_walk(p, inner, depth + 1)))
			return 0;
		p += inner;
	}
	return p == end;
}

/*
 * Whether pem is a PEM block holding one DER SEQUENCE, well formed (der_walk):
 * the check tls_client_ctx makes at once, before it leaves the decoding to
 * the first full handshake. 0 with OpenSSL's reason queued, or with why.
 */
static int
pem_looks_sound(const char *pem, const char **why)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	char *name = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	int ok = 0;

	*why = NULL;
	if (b != NULL && PEM_read_bio(b, &name, &header, &data, &len) == 1) {
		ok = len > 0 && data[0] == (V_ASN1_CONSTRUCTED | V_ASN1_SEQUENCE) &&
		    der_walk(data, len, 0);
		/* ASN1_get_object queued why, unless the lengths disagree. */
		if (!ok && ERR_peek_error() == 0)
			*why = "a PEM block does not hold well-formed DER";
	}
	BIO_free(b);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_clear_free(data, (size_t)len);
	return ok;
}

/*
 * A client context whose credential (tls_cred) is decoded now, or, when
 * deferred, by the first full handshake after the cheap check of its PEM
 * blocks (pem_looks_sound).
 */
static SSL_CTX *
client_ctx(const struct pki_cred *c, bool deferred, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	struct tls_cred *tc = NULL;
	const char *why = NULL;

	if (!CRYPTO_THREAD_run_once(&cred_once, cred_index_new) || cred_index < 0 ||
	    (ctx = tls_base_ctx(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s", tls_error_string());
		return NULL;
	}
	if (deferred && (!pem_looks_sound(c->cert_pem, &why) || !pem_looks_sound(c->key_pem, &why) ||
	    !pem_looks_sound(c->ca_pem, &why))) {
		snprintf(err, errlen, "cannot load the device credential: %s",
		    why != NULL ? why : tls_error_string());
		ERR_clear_error();
		goto fail;
	}
	if ((tc = OPENSSL_zalloc(sizeof *tc)) == NULL || (tc->lock = CRYPTO_THREAD_lock_new()) == NULL ||
	    (tc->cert_pem = OPENSSL_strdup(c->cert_pem)) == NULL ||
	    (tc->key_pem = OPENSSL_strdup(c->key_pem)) == NULL ||
	    (tc->ca_pem = OPENSSL_strdup(c->ca_pem)) == NULL ||
	    SSL_CTX_set_ex_data(ctx, cred_index, tc) != 1) {
		cred_free(NULL, tc, NULL, 0, 0, NULL);
		snprintf(err, errlen, "TLS: out of memory");
		goto fail;
	}
	if (!deferred && !cred_load(ctx, tc)) {
		snprintf(err, errlen, "%s", tc->err);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	SSL_CTX_set_cert_verify_callback(ctx, cred_verify, tc);
	SSL_CTX_set_cert_cb(ctx, cred_cert, tc);
	/*
	 * No client cache: with one, OpenSSL marks a TLS 1.3 session used once
	 * it is resumed, and the caller's kept session (sync_opts.session, the
	 * replica's copy) could not be resumed again. The server renews it when
	 * it grows old (server_info_cb).
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tls_client_ctx(const struct pki_cred *c, char *err, size_t errlen)
{
	return client_ctx(c, false, err, errlen);
}

SSL_CTX *
tls_client_ctx_deferred(const struct pki_cred *c, char *err, size_t errlen)
{
	return client_ctx(c, true, err, errlen);
}

const char *
tls_client_cred_error(SSL_CTX *ctx)
{
	struct tls_cred *tc = cred_index >= 0 ? SSL_CTX_get_ex_data(ctx, cred_index) : NULL;
	int state;

	if (tc == NULL || !CRYPTO_THREAD_read_lock(tc->lock))
		return NULL;
	state = tc->state;
	CRYPTO_THREAD_unlock(tc->lock);
	return state == -1 ? tc->err : NULL;
}
