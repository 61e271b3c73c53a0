/* tls.c - see tls.h. */
#include "tls.h"

#include <stdio.h>
#include <string.h>

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
	SSL_CTX_set_num_tickets(ctx, 1);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
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
	b = BIO_new_mem_buf(c->key_pem, -1);
	key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
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
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
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
