/*
 * pki.h - the street's certificate authority and device credentials.
 *
 * Everything here uses OpenSSL's APIs (never the openssl program). Keys are
 * EC P-256. The CA signs one server certificate and one certificate per
 * device. A device certificate names the device (CN), its organisation code
 * (OU), its role (title: "office" or "admin") and its device id (UID, a
 * UUID assigned at enrolment). Its extended key usage is clientAuth only, so
 * a device certificate can never pose as the server (serverAuth only).
 *
 * Error convention: 0 on success, -1 on failure with a sentence in err.
 */
#ifndef TX_PKI_H
#define TX_PKI_H

#include <stddef.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

#define PKI_NAME_MAX 64          /* device names and org codes, in bytes */
#define PKI_SERVER_NAME "tongxind" /* DNS name every server certificate carries */

/* What a device certificate says about its holder. */
struct pki_identity {
	char device[PKI_NAME_MAX + 1];   /* CN */
	char org_code[PKI_NAME_MAX + 1]; /* OU */
	char role[16];                   /* title: "office" or "admin" */
	char device_id[40];              /* UID */
	char serial[80];                 /* certificate serial, lower-case hex */
};

/* A credential in memory: PEM texts, NUL-terminated, owned by the struct. */
struct pki_cred {
	char *key_pem;
	char *cert_pem;
	char *ca_pem;
	struct pki_identity id;
};

/*
 * Create the CA in dir: ca.key (mode 0600) and ca.crt, self-signed, CN
 * "<street> Tongxin CA", valid 20 years, basicConstraints CA:TRUE. Refuses
 * to overwrite an existing ca.key.
 */
int pki_ca_create(const char *dir, const char *street, char *err, size_t errlen);

/*
 * Issue the server's key and certificate into dir (server.key 0600,
 * server.crt), signed by dir's CA. subjectAltName carries DNS:tongxind,
 * DNS:localhost, IP:127.0.0.1, IP:::1 and host (a DNS name or an IP
 * address) when it is none of those. EKU serverAuth. Valid 10 years.
 */
int pki_server_issue(const char *dir, const char *host, char *err, size_t errlen);

/*
 * Issue a device credential signed by dir's CA. id->device, id->org_code,
 * id->role and id->device_id must be set; on success id->serial is filled
 * in and out holds the key, certificate and CA certificate as PEM.
 * valid_days may be negative (tests): the certificate then expired
 * |valid_days| days ago (notBefore a year before that).
 */
int pki_device_issue(const char *dir, struct pki_identity *id, int valid_days,
                     struct pki_cred *out, char *err, size_t errlen);

/* Free the PEM texts of a credential; accepts NULL and zeroes the key. */
void pki_cred_clear(struct pki_cred *c);

/* Read the identity fields from a certificate. -1 if a field is missing or too long. */
int pki_identity_from_cert(X509 *cert, struct pki_identity *id);

/*
 * Bundle file: everything a device needs, in one text file written with
 * mode 0600 (created with O_EXCL unless overwrite is set):
 *   "# Tongxin device credential ..." comment lines,
 *   "server: HOST:PORT", "device: NAME", "org: CODE", "role: ROLE" lines,
 *   then the PEM blocks: private key, device certificate, CA certificate.
 */
int pki_bundle_write(const char *path, const struct pki_cred *c, const char *server_addr,
                     int overwrite, char *err, size_t errlen);

/*
 * Read a bundle (at most 64 KiB). On success fills c (PEMs re-encoded,
 * identity from the certificate) and server_addr (may be empty). Checks
 * that the key matches the certificate and that the CA signed it.
 */
int pki_bundle_read(const char *path, struct pki_cred *c, char *server_addr, size_t addrlen,
                    char *err, size_t errlen);

/*
 * The PEM texts of a bundle that this program wrote after pki_bundle_read
 * accepted it (the copy kept beside a replica), for a TLS context, as
 * stored: nothing is decoded, verified or encoded again. In a fresh process
 * OpenSSL 3 spends milliseconds building its decoders for the first key or
 * certificate, and the TLS context (tls_client_ctx) parses all three texts
 * anyway and checks the key against the certificate; the server verifies
 * the certificate. c->id stays empty. A file not in the shape
 * pki_bundle_write gives (an unencrypted key, then two certificates) goes
 * through pki_bundle_read, so its errors read the same. tongxin doctor
 * reads the copy whole with pki_bundle_read.
 */
int pki_bundle_load(const char *path, struct pki_cred *c, char *server_addr, size_t addrlen,
                    char *err, size_t errlen);

/* Load a PEM file into an X509 / EVP_PKEY. NULL on failure (err filled). */
X509 *pki_load_cert(const char *path, char *err, size_t errlen);
EVP_PKEY *pki_load_key(const char *path, char *err, size_t errlen);

#endif /* TX_PKI_H */
