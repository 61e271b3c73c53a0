/* tls.c - see tls.h. */
#include "tls.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

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
 * Sessions the server keeps for resumption: a street's devices, with room
 * to spare. Each holds the device's decoded certificate and key, about
 * 30 KB of the server's memory that stays after the device disconnects
 * (bench_sessions). Past it the oldest go, and their devices make one
 * full handshake (and get a new session) the next time.
 */
#define TLS_SESSION_CACHE 256

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
	 * server's time in a resumed no-op sync).
	 */
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_sess_set_cache_size(ctx, TLS_SESSION_CACHE);
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
