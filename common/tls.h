/*
 * tls.h - TLS contexts for both ends: TLS 1.3 only, mutual authentication
 * against the street's CA. The server requires a client certificate whose
 * purpose is clientAuth; the client requires a server certificate for the
 * name "tongxind" whose purpose is serverAuth, so no device can pose as the
 * server.
 */
#ifndef TX_TLS_H
#define TX_TLS_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "pki.h"

struct tls_cache;

/* Server context from the data directory's ca.crt, server.crt and server.key. */
SSL_CTX *tls_server_ctx(const char *dir, char *err, size_t errlen);
/*
 * A server context's session store (tls_cache.h: what it holds, its size),
 * or NULL for a context that is not a server's. For tests and figures; it
 * may be used on the thread that runs the context's handshakes only.
 */
struct tls_cache *tls_server_cache(SSL_CTX *ctx);
/*
 * On the server, after the handshake: the device's identity and whether
 * its certificate has expired, from the certificate it presented or, in a
 * resumed session (whose cached copy keeps no certificate), from what the
 * session recorded when it was made. 0, or -1 when there is neither.
 */
int tls_peer_identity(SSL *ssl, struct pki_identity *id, int *expired);
/*
 * Client context from a device credential held in memory (copied: the
 * caller may clear c), decoded at once: NULL with the reason when it does
 * not decode.
 */
SSL_CTX *tls_client_ctx(const struct pki_cred *c, char *err, size_t errlen);
/*
 * The same, with the credential's PEM blocks only checked for shape: the
 * certificates and key are decoded by the first full handshake that needs
 * them (a resumed one does not). A caller that uses it reports
 * tls_client_cred_error first when a handshake fails, or a damaged
 * credential reads as an untrusted server.
 */
SSL_CTX *tls_client_ctx_deferred(const struct pki_cred *c, char *err, size_t errlen);
/*
 * After a failed handshake with a context of tls_client_ctx_deferred:
 * "cannot load the device credential: REASON" if decoding the credential
 * is what failed (the handshake itself then reports a failed verification
 * or callback), else NULL.
 */
const char *tls_client_cred_error(SSL_CTX *ctx);
/*
 * sess in DER (i2d_SSL_SESSION) without its peer certificate: decoding the
 * certificate is most of what decoding a session costs, and neither end
 * needs it to resume (the server keeps the device's identity beside it, the
 * client verified the server when the session was made). The length, with
 * *der (OPENSSL_free) set; 0 on failure.
 */
int tls_session_der_slim(SSL_SESSION *sess, unsigned char **der);
/* The most recent OpenSSL error as text ("" if none); clears the queue. */
const char *tls_error_string(void);

#endif
