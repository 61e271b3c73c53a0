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

/* Server context from the data directory's ca.crt, server.crt and server.key. */
SSL_CTX *tls_server_ctx(const char *dir, char *err, size_t errlen);
/* Client context from a device credential held in memory. */
SSL_CTX *tls_client_ctx(const struct pki_cred *c, char *err, size_t errlen);
/* The most recent OpenSSL error as text ("" if none); clears the queue. */
const char *tls_error_string(void);

#endif
