/* tls.c - see tls.h. */
#include "tls.h"

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

SSL_CTX *
tls_client_ctx(const struct pki_cred *c, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	BIO *b = NULL;
	X509 *cert = NULL, *ca = NULL;
	EVP_PKEY *key = NULL;

	if ((ctx = tls_base_ctx(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s", tls_error_string());
		return NULL;
	}
	b = BIO_new_mem_buf(c->cert_pem, -1);
	cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	key = tls_read_key(c->key_pem);
	b = BIO_new_mem_buf(c->ca_pem, -1);
	ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	if (cert == NULL || key == NULL || ca == NULL ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 || SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) != 1) {
		snprintf(err, errlen, "cannot load the device credential: %s", tls_error_string());
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	/*
	 * No client cache: with one, OpenSSL marks a TLS 1.3 session used once
	 * it is resumed, and the caller's kept session (sync_opts.session, the
	 * replica's copy) could not be resumed again. The server renews it when
	 * it grows old (server_info_cb).
	 */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	return ctx;
fail:
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	SSL_CTX_free(ctx);
	return NULL;
}
