/* pki.c - see pki.h. */
#include "pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define PKI_ORG "Tongxin"                /* O of every certificate we issue */
#define PKI_CURVE "P-256"
#define PKI_CA_DAYS (20 * 365 + 5)       /* 20 years, leap days included */
#define PKI_SERVER_DAYS (10 * 365 + 3)   /* 10 years, leap days included */
#define PKI_BACKDATE_SECS (24L * 60 * 60)
#define PKI_BUNDLE_MAX (64 * 1024)
#define PKI_ADDR_MAX 255                 /* longest "HOST:PORT" a bundle may carry */

/* One extension of a certificate, in OpenSSL's configuration syntax. */
struct pki_ext {
	int nid;
	const char *value;
};

/* One attribute of a subject name. */
struct pki_rdn {
	int nid;
	const char *value;
};

/* Writes a file's content to fp; returns 1 on success, as OpenSSL's PEM writers do. */
typedef int (*pki_emit_fn)(FILE *fp, const void *arg);

/*
 * The reason of the oldest queued OpenSSL error, for an error message. The
 * queue is cleared so that the next message does not inherit stale errors.
 */
static const char *
ossl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown OpenSSL error";
}

/*
 * The passphrase callback for every PEM read: our keys are never encrypted,
 * and OpenSSL's default callback would prompt on the terminal.
 */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Put "dir/name" into out; -1 with a message if it does not fit. */
static int
join_path(char *out, size_t outlen, const char *dir, const char *name, char *err, size_t errlen)
{
	int n = snprintf(out, outlen, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "path %s/%s is too long", dir, name);
		return -1;
	}
	return 0;
}

/*
 * Check a text field of size bytes (terminator included) that goes into a
 * certificate and a bundle line: present, terminated, no control characters
 * (a newline would forge bundle lines).
 */
static int
check_text(const char *what, const char *s, size_t size, char *err, size_t errlen)
{
	size_t len = strnlen(s, size);

	if (len == 0) {
		snprintf(err, errlen, "the %s is empty", what);
		return -1;
	}
	if (len == size) {
		snprintf(err, errlen, "the %s is longer than %zu bytes", what, size - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch == 0x7f) {
			snprintf(err, errlen, "the %s contains a control character", what);
			return -1;
		}
	}
	return 0;
}

/*
 * Whether host is a DNS name we are willing to put in a certificate: labels
 * of letters, digits and inner hyphens, and a last label that is not all
 * digits (so a mistyped IPv4 address is not taken for a name).
 */
static int
is_dns_name(const char *host)
{
	size_t len = strlen(host), label = 0;
	int digits_only = 1;

	if (len == 0 || len > 253)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		char ch = host[i];
		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || host[i - 1] == '-')
				return 0;
			if (ch == '\0')
				break;
			label = 0;
			digits_only = 1;
			continue;
		}
		if (label == 0 && ch == '-')
			return 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-'))
			return 0;
		if (!(ch >= '0' && ch <= '9'))
			digits_only = 0;
		label++;
	}
	return !digits_only;
}

/* Copy the content of a memory BIO into a new NUL-terminated string (OPENSSL_malloc). */
static char *
bio_string(BIO *b)
{
	char *data = NULL, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n < 0 || (s = OPENSSL_malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

/* The private key as unencrypted PKCS#8 PEM (OPENSSL_malloc); NULL on failure. */
static char *
key_to_pem(const EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_secmem());
	char *s = NULL;

	if (b == NULL)
		return NULL;
	if (PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1)
		s = bio_string(b);
	BIO_free(b);   /* a secure-memory BIO wipes its buffer */
	return s;
}

/* The certificate as PEM (OPENSSL_malloc); NULL on failure. */
static char *
cert_to_pem(const X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = NULL;

	if (b == NULL)
		return NULL;
	if (PEM_write_bio_X509(b, cert) == 1)
		s = bio_string(b);
	BIO_free(b);
	return s;
}

/*
 * Fill c's PEM texts from key, cert and ca. c's previous texts are not
 * freed. On failure c holds no texts.
 */
static int
cred_fill(struct pki_cred *c, const EVP_PKEY *key, const X509 *cert, const X509 *ca,
    char *err, size_t errlen)
{
	c->key_pem = key_to_pem(key);
	c->cert_pem = cert_to_pem(cert);
	c->ca_pem = cert_to_pem(ca);
	if (c->key_pem == NULL || c->cert_pem == NULL || c->ca_pem == NULL) {
		snprintf(err, errlen, "cannot encode the credential as PEM: %s", ossl_reason());
		pki_cred_clear(c);
		return -1;
	}
	return 0;
}

/*
 * Write the content emit produces to the open descriptor fd (which this
 * function closes in every case) and make it durable. path is for messages.
 */
static int
write_fd(int fd, const char *path, pki_emit_fn emit, const void *arg, char *err, size_t errlen)
{
	FILE *fp = fdopen(fd, "w");

	if (fp == NULL) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (emit(fp, arg) != 1) {
		snprintf(err, errlen, "cannot write %s: %s", path,
		    ERR_peek_error() != 0 ? ossl_reason() : strerror(errno));
		fclose(fp);
		return -1;
	}
	if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	if (fclose(fp) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Create path (which must not exist: O_EXCL) with mode and write it through
 * emit. On failure nothing is left behind.
 */
static int
file_create(const char *path, mode_t mode, pki_emit_fn emit, const void *arg, char *err,
    size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "%s already exists; refusing to overwrite it", path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (write_fd(fd, path, emit, arg, err, errlen) == -1) {
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * Write the content for path into a new temporary file beside it (its name
 * goes to tmp), with mode, so that file_commit() can replace path in one
 * step. On failure nothing is left behind and tmp is empty.
 */
static int
file_stage(const char *path, mode_t mode, pki_emit_fn emit, const void *arg, char *tmp,
    size_t tmplen, char *err, size_t errlen)
{
	int n = snprintf(tmp, tmplen, "%s.XXXXXX", path);
	int fd;

	if (n < 0 || (size_t)n >= tmplen) {
		snprintf(err, errlen, "path %s is too long", path);
		tmp[0] = '\0';
		return -1;
	}
	/* mkostemp creates the file with O_EXCL and mode 0600. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
		tmp[0] = '\0';
		return -1;
	}
	if (mode != 0600 && fchmod(fd, mode) != 0) {
		snprintf(err, errlen, "cannot set the mode of %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		tmp[0] = '\0';
		return -1;
	}
	if (write_fd(fd, tmp, emit, arg, err, errlen) == -1) {
		unlink(tmp);
		tmp[0] = '\0';
		return -1;
	}
	return 0;
}

/* Move a staged file over path. On failure the staged file is removed. */
static int
file_commit(const char *tmp, const char *path, char *err, size_t errlen)
{
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
emit_key(FILE *fp, const void *arg)
{
	return PEM_write_PrivateKey(fp, arg, NULL, NULL, 0, NULL, NULL);
}

static int
emit_cert(FILE *fp, const void *arg)
{
	return PEM_write_X509(fp, arg);
}

/* Give x a random positive 127-bit serial number. -1 on failure (OpenSSL error queued). */
static int
set_random_serial(X509 *x)
{
	unsigned char b[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	int ok;

	do {
		if (RAND_bytes(b, sizeof b) != 1)
			return -1;
		b[0] &= 0x7f;   /* DER integers are signed: keep the serial positive */
		BN_free(bn);
		if ((bn = BN_bin2bn(b, sizeof b, NULL)) == NULL)
			return -1;
	} while (BN_is_zero(bn));
	sn = BN_to_ASN1_INTEGER(bn, NULL);
	ok = sn != NULL && X509_set_serialNumber(x, sn) == 1;
	ASN1_INTEGER_free(sn);
	BN_free(bn);
	return ok ? 0 : -1;
}

/* Build a subject name from n attributes, UTF-8 encoded. NULL on failure (err filled). */
static X509_NAME *
make_name(const struct pki_rdn *rdn, size_t n, char *err, size_t errlen)
{
	X509_NAME *name = X509_NAME_new();

	if (name == NULL) {
		snprintf(err, errlen, "cannot make a certificate subject: %s", ossl_reason());
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (X509_NAME_add_entry_by_NID(name, rdn[i].nid, MBSTRING_UTF8,
		    (const unsigned char *)rdn[i].value, -1, -1, 0) != 1) {
			snprintf(err, errlen, "cannot put %s=\"%s\" in a certificate subject: %s",
			    OBJ_nid2sn(rdn[i].nid), rdn[i].value, ossl_reason());
			X509_NAME_free(name);
			return NULL;
		}
	}
	return name;
}

/*
 * Make a version 3 certificate for key's public half named subject, signed
 * by ca_key and issued by ca (NULL: self-signed by key). With valid_days > 0
 * it is valid from a day ago (clocks that run behind still accept it) for
 * valid_days days; with valid_days < 0 it expired |valid_days| days ago and
 * was valid for the year before. NULL on failure (err filled).
 */
static X509 *
make_cert(const X509_NAME *subject, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, int valid_days,
    const struct pki_ext *ext, size_t next, char *err, size_t errlen)
{
	X509 *x = X509_new();
	X509V3_CTX ctx;
	long before_days;
	long before_secs;

	if (valid_days > 0) {
		before_days = 0;
		before_secs = -PKI_BACKDATE_SECS;
	} else {
		before_days = (long)valid_days - 365;
		before_secs = 0;
	}
	if (x == NULL || X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) == -1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, ca != NULL ? X509_get_subject_name(ca) : subject) != 1 ||
	    X509_time_adj_ex(X509_getm_notBefore(x), (int)before_days, before_secs, NULL) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), valid_days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, key) != 1) {
		snprintf(err, errlen, "cannot make a certificate: %s", ossl_reason());
		X509_free(x);
		return NULL;
	}
	/* The subject key must be in place before subjectKeyIdentifier is computed. */
	memset(&ctx, 0, sizeof ctx);
	X509V3_set_ctx(&ctx, ca != NULL ? ca : x, x, NULL, NULL, 0);
	for (size_t i = 0; i < next; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, ext[i].nid, ext[i].value);
		if (e == NULL || X509_add_ext(x, e, -1) != 1) {
			snprintf(err, errlen, "cannot add the certificate extension %s = %s: %s",
			    OBJ_nid2sn(ext[i].nid), ext[i].value, ossl_reason());
			X509_EXTENSION_free(e);
			X509_free(x);
			return NULL;
		}
		X509_EXTENSION_free(e);
	}
	if (X509_sign(x, ca_key != NULL ? ca_key : key, EVP_sha256()) <= 0) {
		snprintf(err, errlen, "cannot sign a certificate: %s", ossl_reason());
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A new EC P-256 key. NULL on failure (err filled). */
static EVP_PKEY *
new_key(char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen(PKI_CURVE);

	if (key == NULL)
		snprintf(err, errlen, "cannot generate an EC %s key: %s", PKI_CURVE, ossl_reason());
	return key;
}

/* Load dir's CA certificate and key and check that they belong together. */
static int
load_ca(const char *dir, X509 **cert, EVP_PKEY **key, char *err, size_t errlen)
{
	char crt_path[PATH_MAX], key_path[PATH_MAX];

	*cert = NULL;
	*key = NULL;
	if (join_path(crt_path, sizeof crt_path, dir, "ca.crt", err, errlen) == -1 ||
	    join_path(key_path, sizeof key_path, dir, "ca.key", err, errlen) == -1)
		return -1;
	if ((*cert = pki_load_cert(crt_path, err, errlen)) == NULL)
		return -1;
	if ((*key = pki_load_key(key_path, err, errlen)) == NULL)
		goto fail;
	if (X509_check_private_key(*cert, *key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "the CA key %s does not match the CA certificate %s", key_path,
		    crt_path);
		goto fail;
	}
	return 0;
fail:
	X509_free(*cert);
	EVP_PKEY_free(*key);
	*cert = NULL;
	*key = NULL;
	return -1;
}

int
pki_ca_create(const char *dir, const char *street, char *err, size_t errlen)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX], tmp[PATH_MAX], cn[256];
	struct stat st;
	EVP_PKEY *key = NULL;
	X509_NAME *name = NULL;
	X509 *cert = NULL;
	int rc = -1, n;
	static const struct pki_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
		{ NID_subject_key_identifier, "hash" },
	};

	ERR_clear_error();
	if (dir == NULL || street == NULL) {
		snprintf(err, errlen, "pki_ca_create: no directory or street given");
		return -1;
	}
	if (check_text("street name", street, 200, err, errlen) == -1)
		return -1;
	if (join_path(key_path, sizeof key_path, dir, "ca.key", err, errlen) == -1 ||
	    join_path(crt_path, sizeof crt_path, dir, "ca.crt", err, errlen) == -1)
		return -1;
	/* Checked early to spare the work; the O_EXCL create below is the real guard. */
	if (lstat(key_path, &st) == 0) {
		snprintf(err, errlen, "%s already exists; refusing to overwrite the CA key",
		    key_path);
		return -1;
	}
	n = snprintf(cn, sizeof cn, "%s Tongxin CA", street);
	if (n < 0 || (size_t)n >= sizeof cn) {
		snprintf(err, errlen, "the street name is too long");
		return -1;
	}
	const struct pki_rdn rdn[] = {
		{ NID_organizationName, PKI_ORG },
		{ NID_commonName, cn },
	};
	if ((key = new_key(err, errlen)) == NULL ||
	    (name = make_name(rdn, sizeof rdn / sizeof rdn[0], err, errlen)) == NULL ||
	    (cert = make_cert(name, key, NULL, NULL, PKI_CA_DAYS, ext, sizeof ext / sizeof ext[0],
	    err, errlen)) == NULL)
		goto done;
	if (file_create(key_path, 0600, emit_key, key, err, errlen) == -1)
		goto done;
	if (file_stage(crt_path, 0644, emit_cert, cert, tmp, sizeof tmp, err, errlen) == -1 ||
	    file_commit(tmp, crt_path, err, errlen) == -1) {
		unlink(key_path);   /* ours: a key without its certificate is useless */
		goto done;
	}
	rc = 0;
done:
	X509_free(cert);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return rc;
}

int
pki_server_issue(const char *dir, const char *host, char *err, size_t errlen)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX], key_tmp[PATH_MAX], crt_tmp[PATH_MAX];
	char san[512];
	unsigned char addr[16], loop4[4], loop6[16];
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509_NAME *name = NULL;
	int rc = -1;
	static const struct pki_rdn rdn[] = {
		{ NID_organizationName, PKI_ORG },
		{ NID_commonName, PKI_SERVER_NAME },
	};

	ERR_clear_error();
	if (dir == NULL) {
		snprintf(err, errlen, "pki_server_issue: no directory given");
		return -1;
	}
	/* Validated, not just pasted: a comma in host would add names of its choosing. */
	snprintf(san, sizeof san, "DNS:%s,DNS:localhost,IP:127.0.0.1,IP:::1", PKI_SERVER_NAME);
	inet_pton(AF_INET, "127.0.0.1", loop4);
	inet_pton(AF_INET6, "::1", loop6);
	if (host != NULL && host[0] != '\0') {
		const char *kind = NULL;
		if (inet_pton(AF_INET, host, addr) == 1) {
			if (memcmp(addr, loop4, 4) != 0)
				kind = "IP";
		} else if (inet_pton(AF_INET6, host, addr) == 1) {
			if (memcmp(addr, loop6, 16) != 0)
				kind = "IP";
		} else if (is_dns_name(host)) {
			if (strcasecmp(host, PKI_SERVER_NAME) != 0 && strcasecmp(host, "localhost") != 0)
				kind = "DNS";
		} else {
			snprintf(err, errlen, "server host \"%s\" is neither an IP address nor a DNS name",
			    host);
			return -1;
		}
		if (kind != NULL) {
			size_t used = strlen(san);
			int n = snprintf(san + used, sizeof san - used, ",%s:%s", kind, host);
			if (n < 0 || (size_t)n >= sizeof san - used) {
				snprintf(err, errlen, "server host \"%s\" is too long", host);
				return -1;
			}
		}
	}
	const struct pki_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "serverAuth" },
		{ NID_subject_alt_name, san },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
	};

	if (join_path(key_path, sizeof key_path, dir, "server.key", err, errlen) == -1 ||
	    join_path(crt_path, sizeof crt_path, dir, "server.crt", err, errlen) == -1)
		return -1;
	if (load_ca(dir, &ca, &ca_key, err, errlen) == -1)
		return -1;
	if ((key = new_key(err, errlen)) == NULL ||
	    (name = make_name(rdn, sizeof rdn / sizeof rdn[0], err, errlen)) == NULL ||
	    (cert = make_cert(name, key, ca, ca_key, PKI_SERVER_DAYS, ext, sizeof ext / sizeof ext[0],
	    err, errlen)) == NULL)
		goto done;
	/*
	 * Both files are written aside first and then moved into place, so a
	 * failure leaves the previous pair (if any) intact.
	 */
	if (file_stage(key_path, 0600, emit_key, key, key_tmp, sizeof key_tmp, err, errlen) == -1)
		goto done;
	if (file_stage(crt_path, 0644, emit_cert, cert, crt_tmp, sizeof crt_tmp, err, errlen) == -1) {
		unlink(key_tmp);
		goto done;
	}
	if (file_commit(key_tmp, key_path, err, errlen) == -1) {
		unlink(crt_tmp);
		goto done;
	}
	if (file_commit(crt_tmp, crt_path, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	X509_free(cert);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

/*
 * Issue a device credential. out's previous texts are not freed; on success
 * they are OPENSSL_malloc'd (release them with pki_cred_clear), on failure
 * they are NULL.
 */
int
pki_device_issue(const char *dir, struct pki_identity *id, int valid_days,
    struct pki_cred *out, char *err, size_t errlen)
{
	X509 *ca = NULL, *cert = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	X509_NAME *name = NULL;
	int rc = -1;
	static const struct pki_ext ext[] = {
		{ NID_basic_constraints, "critical,CA:FALSE" },
		{ NID_key_usage, "critical,digitalSignature" },
		{ NID_ext_key_usage, "clientAuth" },
		{ NID_subject_key_identifier, "hash" },
		{ NID_authority_key_identifier, "keyid:always" },
	};

	ERR_clear_error();
	if (out != NULL)
		memset(out, 0, sizeof *out);
	if (dir == NULL || id == NULL || out == NULL) {
		snprintf(err, errlen, "pki_device_issue: missing argument");
		return -1;
	}
	if (valid_days == 0) {
		snprintf(err, errlen, "a certificate cannot be valid for 0 days");
		return -1;
	}
	if (check_text("device name", id->device, sizeof id->device, err, errlen) == -1 ||
	    check_text("organisation code", id->org_code, sizeof id->org_code, err, errlen) == -1 ||
	    check_text("role", id->role, sizeof id->role, err, errlen) == -1 ||
	    check_text("device id", id->device_id, sizeof id->device_id, err, errlen) == -1)
		return -1;
	if (strcmp(id->role, "office") != 0 && strcmp(id->role, "admin") != 0) {
		snprintf(err, errlen, "role \"%s\" is neither \"office\" nor \"admin\"", id->role);
		return -1;
	}
	for (const char *p = id->device_id; *p != '\0'; p++) {
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '-')) {
			snprintf(err, errlen, "device id \"%s\" is not a UUID", id->device_id);
			return -1;
		}
	}
	const struct pki_rdn rdn[] = {
		{ NID_organizationName, PKI_ORG },
		{ NID_organizationalUnitName, id->org_code },
		{ NID_commonName, id->device },
		{ NID_title, id->role },
		{ NID_userId, id->device_id },
	};

	if (load_ca(dir, &ca, &ca_key, err, errlen) == -1)
		return -1;
	if ((key = new_key(err, errlen)) == NULL ||
	    (name = make_name(rdn, sizeof rdn / sizeof rdn[0], err, errlen)) == NULL ||
	    (cert = make_cert(name, key, ca, ca_key, valid_days, ext, sizeof ext / sizeof ext[0],
	    err, errlen)) == NULL)
		goto done;
	if (cred_fill(out, key, cert, ca, err, errlen) == -1)
		goto done;
	if (pki_identity_from_cert(cert, &out->id) == -1) {
		snprintf(err, errlen, "the new certificate for \"%s\" does not read back", id->device);
		pki_cred_clear(out);
		goto done;
	}
	memcpy(id->serial, out->id.serial, sizeof id->serial);
	rc = 0;
done:
	X509_free(cert);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return rc;
}

void
pki_cred_clear(struct pki_cred *c)
{
	if (c == NULL)
		return;
	if (c->key_pem != NULL)
		OPENSSL_clear_free(c->key_pem, strlen(c->key_pem) + 1);
	OPENSSL_free(c->cert_pem);
	OPENSSL_free(c->ca_pem);
	c->key_pem = NULL;
	c->cert_pem = NULL;
	c->ca_pem = NULL;
}

/*
 * Copy the one attribute nid of name, as UTF-8, into dst of size bytes.
 * -1 if it is missing, repeated, empty, too long or holds a NUL byte.
 */
static int
name_field(const X509_NAME *name, int nid, char *dst, size_t size)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *u = NULL;
	int n;

	if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return -1;
	n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n <= 0 || (size_t)n >= size || memchr(u, '\0', (size_t)n) != NULL) {
		OPENSSL_free(u);
		ERR_clear_error();
		return -1;
	}
	memcpy(dst, u, (size_t)n);
	dst[n] = '\0';
	OPENSSL_free(u);
	return 0;
}

/* id is written only on success. */
int
pki_identity_from_cert(X509 *cert, struct pki_identity *id)
{
	struct pki_identity tmp;
	const X509_NAME *name;
	BIGNUM *bn;
	char *hex;
	size_t len;

	if (cert == NULL || id == NULL || (name = X509_get_subject_name(cert)) == NULL)
		return -1;
	memset(&tmp, 0, sizeof tmp);
	if (name_field(name, NID_commonName, tmp.device, sizeof tmp.device) == -1 ||
	    name_field(name, NID_organizationalUnitName, tmp.org_code, sizeof tmp.org_code) == -1 ||
	    name_field(name, NID_title, tmp.role, sizeof tmp.role) == -1 ||
	    name_field(name, NID_userId, tmp.device_id, sizeof tmp.device_id) == -1)
		return -1;
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) == NULL) {
		ERR_clear_error();
		return -1;
	}
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL || (len = strlen(hex)) >= sizeof tmp.serial) {
		OPENSSL_free(hex);
		ERR_clear_error();
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		tmp.serial[i] = (hex[i] >= 'A' && hex[i] <= 'F') ? (char)(hex[i] - 'A' + 'a') : hex[i];
	OPENSSL_free(hex);
	*id = tmp;
	return 0;
}

/* What emit_bundle writes. */
struct bundle_text {
	const struct pki_cred *c;
	const char *server;   /* "" for none */
};

/* Write a PEM text, making sure it ends with a newline. */
static void
put_pem(FILE *fp, const char *pem)
{
	size_t len = strlen(pem);

	fputs(pem, fp);
	if (len > 0 && pem[len - 1] != '\n')
		fputc('\n', fp);
}

static int
emit_bundle(FILE *fp, const void *arg)
{
	const struct bundle_text *b = arg;
	const struct pki_identity *id = &b->c->id;

	fprintf(fp, "# Tongxin device credential for \"%s\" (serial %s).\n", id->device,
	    id->serial[0] != '\0' ? id->serial : "unknown");
	fprintf(fp, "# It holds the device's private key: keep it secret, copy it only to that device.\n");
	if (b->server[0] != '\0')
		fprintf(fp, "server: %s\n", b->server);
	fprintf(fp, "device: %s\norg: %s\nrole: %s\n", id->device, id->org_code, id->role);
	put_pem(fp, b->c->key_pem);
	put_pem(fp, b->c->cert_pem);
	put_pem(fp, b->c->ca_pem);
	return ferror(fp) ? 0 : 1;
}

int
pki_bundle_write(const char *path, const struct pki_cred *c, const char *server_addr,
    int overwrite, char *err, size_t errlen)
{
	struct bundle_text b;
	char tmp[PATH_MAX];

	ERR_clear_error();
	if (path == NULL || c == NULL) {
		snprintf(err, errlen, "pki_bundle_write: missing argument");
		return -1;
	}
	if (c->key_pem == NULL || c->cert_pem == NULL || c->ca_pem == NULL) {
		snprintf(err, errlen, "bundle %s: the credential is incomplete", path);
		return -1;
	}
	if (server_addr == NULL)
		server_addr = "";
	if (server_addr[0] != '\0' &&
	    check_text("server address", server_addr, PKI_ADDR_MAX + 1, err, errlen) == -1)
		return -1;
	/* These become header lines: a newline in them would forge a line. */
	if (check_text("device name", c->id.device, sizeof c->id.device, err, errlen) == -1 ||
	    check_text("organisation code", c->id.org_code, sizeof c->id.org_code, err, errlen) == -1 ||
	    check_text("role", c->id.role, sizeof c->id.role, err, errlen) == -1)
		return -1;
	if (strnlen(c->id.serial, sizeof c->id.serial) == sizeof c->id.serial) {
		snprintf(err, errlen, "bundle %s: the credential's serial is not terminated", path);
		return -1;
	}
	b.c = c;
	b.server = server_addr;
	if (!overwrite)
		return file_create(path, 0600, emit_bundle, &b, err, errlen);
	if (file_stage(path, 0600, emit_bundle, &b, tmp, sizeof tmp, err, errlen) == -1)
		return -1;
	return file_commit(tmp, path, err, errlen);
}

/*
 * Read the whole of path (at most PKI_BUNDLE_MAX bytes) into a new
 * OPENSSL_malloc'd, NUL-terminated buffer; its length goes to len. The
 * buffer has room for the cap, but only its first len + 1 bytes are ever
 * written: the callers cleanse those (OPENSSL_clear_free(buf, len + 1)),
 * not the untouched rest, which would cost 16 page faults for nothing.
 */
static char *
bundle_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf;
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(err, errlen, "cannot open bundle %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot stat bundle %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "bundle %s is not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_size > PKI_BUNDLE_MAX) {
		snprintf(err, errlen, "bundle %s is larger than 64 KiB", path);
		close(fd);
		return NULL;
	}
	if ((buf = OPENSSL_malloc(PKI_BUNDLE_MAX + 2)) == NULL) {
		snprintf(err, errlen, "bundle %s: out of memory", path);
		close(fd);
		return NULL;
	}
	/* Read one byte past the cap: the file may have grown since fstat. */
	for (;;) {
		ssize_t r = read(fd, buf + n, PKI_BUNDLE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read bundle %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > PKI_BUNDLE_MAX) {
			snprintf(err, errlen, "bundle %s is larger than 64 KiB", path);
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	close(fd);
	OPENSSL_clear_free(buf, n);
	return NULL;
}

/*
 * Find the "server: " line among the header lines (those before the first
 * PEM block) and copy its value, trimmed, into addr. addr stays empty when
 * there is none.
 */
static int
bundle_server(const char *path, const char *buf, size_t len, char *addr, size_t addrlen,
    char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len;
	int seen = 0;

	addr[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *next = eol != NULL ? eol + 1 : end;
		const char *v, *ve;

		if (eol == NULL)
			eol = end;
		if ((size_t)(eol - p) >= 10 && memcmp(p, "-----BEGIN", 10) == 0)
			break;
		if ((size_t)(eol - p) >= 7 && memcmp(p, "server:", 7) == 0) {
			if (seen++) {
				snprintf(err, errlen, "bundle %s: more than one server line", path);
				return -1;
			}
			for (v = p + 7; v < eol && (*v == ' ' || *v == '\t'); v++)
				;
			for (ve = eol; ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'); ve--)
				;
			for (const char *q = v; q < ve; q++) {
				if ((unsigned char)*q < 0x20 || *q == 0x7f) {
					snprintf(err, errlen, "bundle %s: the server line holds a control character",
					    path);
					return -1;
				}
			}
			if ((size_t)(ve - v) > PKI_ADDR_MAX || (size_t)(ve - v) >= addrlen) {
				snprintf(err, errlen, "bundle %s: the server address is too long", path);
				return -1;
			}
			memcpy(addr, v, (size_t)(ve - v));
			addr[ve - v] = '\0';
		}
		p = next;
	}
	return 0;
}

/*
 * Verify cert against ca alone, for TLS client use, ignoring the validity
 * period. 0 if it verifies, else an X509_V_ERR_* code (-1 if verification
 * could not run).
 */
static int
verify_device_cert(X509 *cert, X509 *ca)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, ca) != 1 ||
	    X509_STORE_CTX_init(ctx, store, cert, NULL) != 1)
		goto done;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
	if (X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1)
		goto done;
	if (X509_verify_cert(ctx) == 1)
		rc = 0;
	else if ((rc = X509_STORE_CTX_get_error(ctx)) == X509_V_OK)
		rc = -1;
done:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

/* 1 if key's private half yields its public half, 0 if not, -1 if it cannot be checked. */
static int
key_pairwise_ok(EVP_PKEY *key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok;

	if (ctx == NULL)
		return -1;
	ok = EVP_PKEY_pairwise_check(ctx);
	EVP_PKEY_CTX_free(ctx);
	return ok == 1 ? 1 : ok == 0 ? 0 : -1;
}

/*
 * Read a bundle. c's previous texts are not freed; on success they are
 * OPENSSL_malloc'd (release them with pki_cred_clear), on failure NULL.
 * server_addr may be NULL when addrlen is 0.
 */
int
pki_bundle_read(const char *path, struct pki_cred *c, char *server_addr, size_t addrlen,
    char *err, size_t errlen)
{
	char addr[PKI_ADDR_MAX + 1];
	char *buf = NULL;
	size_t len = 0;
	BIO *b = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *ca = NULL, *extra = NULL;
	int rc = -1, v;

	ERR_clear_error();
	if (c != NULL)
		memset(c, 0, sizeof *c);
	if (server_addr != NULL && addrlen > 0)
		server_addr[0] = '\0';
	if (path == NULL || c == NULL) {
		snprintf(err, errlen, "pki_bundle_read: missing argument");
		return -1;
	}
	if ((buf = bundle_slurp(path, &len, err, errlen)) == NULL)
		return -1;
	if (bundle_server(path, buf, len, addr, server_addr != NULL ? addrlen : sizeof addr,
	    err, errlen) == -1)
		goto done;

	/* Two passes over the text: PEM readers skip blocks of other types. */
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		snprintf(err, errlen, "bundle %s: %s", path, ossl_reason());
		goto done;
	}
	if ((key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL)) == NULL) {
		snprintf(err, errlen, "bundle %s: no private key found: %s", path, ossl_reason());
		goto done;
	}
	BIO_free(b);
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		snprintf(err, errlen, "bundle %s: %s", path, ossl_reason());
		goto done;
	}
	if ((cert = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) == NULL) {
		snprintf(err, errlen, "bundle %s: no device certificate found: %s", path,
		    ossl_reason());
		goto done;
	}
	if ((ca = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) == NULL) {
		snprintf(err, errlen, "bundle %s: no CA certificate found after the device certificate: %s",
		    path, ossl_reason());
		goto done;
	}
	if ((extra = PEM_read_bio_X509(b, NULL, no_passphrase, NULL)) != NULL) {
		snprintf(err, errlen, "bundle %s: more than two certificates", path);
		goto done;
	}
	ERR_clear_error();   /* the expected end-of-input error */

	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "bundle %s: the key does not match the certificate", path);
		goto done;
	}
	/*
	 * The certificate check compares public halves only; an edited private
	 * scalar would pass it and fail later in the TLS handshake.
	 */
	if (key_pairwise_ok(key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "bundle %s: the private key is damaged (its halves do not match)",
		    path);
		goto done;
	}
	switch ((v = verify_device_cert(cert, ca))) {
	case 0:
		break;
	case -1:
		snprintf(err, errlen, "bundle %s: cannot verify the certificate: %s", path,
		    ossl_reason());
		goto done;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
		ERR_clear_error();
		snprintf(err, errlen, "bundle %s: certificate not signed by the bundled CA (%s)", path,
		    X509_verify_cert_error_string(v));
		goto done;
	default:
		ERR_clear_error();
		snprintf(err, errlen, "bundle %s: the certificate does not verify: %s", path,
		    X509_verify_cert_error_string(v));
		goto done;
	}
	if (pki_identity_from_cert(cert, &c->id) == -1) {
		snprintf(err, errlen,
		    "bundle %s: the certificate does not name a device (CN, OU, title and UID)", path);
		goto done;
	}
	if (cred_fill(c, key, cert, ca, err, errlen) == -1)
		goto done;
	if (server_addr != NULL && addrlen > 0)
		memcpy(server_addr, addr, strlen(addr) + 1);
	rc = 0;
done:
	if (rc == -1 && c != NULL)
		memset(&c->id, 0, sizeof c->id);
	BIO_free(b);
	X509_free(extra);
	X509_free(ca);
	X509_free(cert);
	EVP_PKEY_free(key);
	OPENSSL_clear_free(buf, len + 1);
	return rc;
}

/* A PEM block of a bundle's text: its label and the bytes from BEGIN to after END's line. */
struct pem_span {
	const char *label, *start;
	size_t label_len, len;
};

/*
 * The PEM blocks of buf (at most max) into spans, in order. Returns their
 * count, or -1 when a block does not end or there are more than max.
 */
static int
pem_spans(const char *buf, size_t len, struct pem_span *spans, int max)
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *lab, *labe, *q;
		const char *next = eol != NULL ? eol + 1 : end;

		if ((size_t)(end - p) < 16 || memcmp(p, "-----BEGIN ", 11) != 0) {
			p = next;
			continue;
		}
		if (eol == NULL || n == max)
			return -1;
		lab = p + 11;
		for (labe = lab; labe < eol && *labe != '-'; labe++)
			;
		if (labe == lab || (size_t)(eol - labe) < 5 || memcmp(labe, "-----", 5) != 0)
			return -1;
		/* The END line with the same label. */
		for (q = next; q < end; ) {
			const char *qe = memchr(q, '\n', (size_t)(end - q));
			const char *qn = qe != NULL ? qe + 1 : end;
			if ((size_t)(end - q) >= 9 + (size_t)(labe - lab) + 5 &&
			    memcmp(q, "-----END ", 9) == 0 &&
			    memcmp(q + 9, lab, (size_t)(labe - lab)) == 0 &&
			    memcmp(q + 9 + (labe - lab), "-----", 5) == 0) {
				spans[n].label = lab;
				spans[n].label_len = (size_t)(labe - lab);
				spans[n].start = p;
				spans[n].len = (size_t)(qn - p);
				n++;
				break;
			}
			q = qn;
		}
		if (q >= end)
			return -1;
		p = spans[n - 1].start + spans[n - 1].len;
	}
	return n;
}

static bool
span_is(const struct pem_span *sp, const char *label)
{
	return sp->label_len == strlen(label) && memcmp(sp->label, label, sp->label_len) == 0;
}

/* A copy of the span as a NUL-terminated OPENSSL_malloc'd text; NULL when out of memory. */
static char *
span_text(const struct pem_span *sp)
{
	char *t = OPENSSL_malloc(sp->len + 1);

	if (t != NULL) {
		memcpy(t, sp->start, sp->len);
		t[sp->len] = '\0';
	}
	return t;
}

int
pki_bundle_load(const char *path, struct pki_cred *c, char *server_addr, size_t addrlen,
    char *err, size_t errlen)
{
	char addr[PKI_ADDR_MAX + 1];
	struct pem_span sp[4];
	char *buf = NULL;
	size_t len = 0;
	int rc = -2;

	ERR_clear_error();
	if (path == NULL || c == NULL) {
		snprintf(err, errlen, "pki_bundle_load: missing argument");
		return -1;
	}
	memset(c, 0, sizeof *c);
	if (server_addr != NULL && addrlen > 0)
		server_addr[0] = '\0';
	if ((buf = bundle_slurp(path, &len, err, errlen)) == NULL)
		return -1;
	if (bundle_server(path, buf, len, addr, server_addr != NULL ? addrlen : sizeof addr,
	    err, errlen) == -1) {
		rc = -1;
		goto done;
	}
	/* Exactly an unencrypted key and two certificates, in the order pki_bundle_write writes. */
	if (pem_spans(buf, len, sp, 4) != 3 ||
	    !(span_is(&sp[0], "PRIVATE KEY") || span_is(&sp[0], "EC PRIVATE KEY")) ||
	    memmem(sp[0].start, sp[0].len, "Proc-Type:", 10) != NULL ||
	    !span_is(&sp[1], "CERTIFICATE") || !span_is(&sp[2], "CERTIFICATE"))
		goto done;
	c->key_pem = span_text(&sp[0]);
	c->cert_pem = span_text(&sp[1]);
	c->ca_pem = span_text(&sp[2]);
	if (c->key_pem == NULL || c->cert_pem == NULL || c->ca_pem == NULL) {
		pki_cred_clear(c);
		snprintf(err, errlen, "bundle %s: out of memory", path);
		rc = -1;
		goto done;
	}
	if (server_addr != NULL && addrlen > 0)
		memcpy(server_addr, addr, strlen(addr) + 1);
	rc = 0;
done:
	OPENSSL_clear_free(buf, len + 1);
	/* Not the shape this program writes: the full read says what is wrong. */
	return rc == -2 ? pki_bundle_read(path, c, server_addr, addrlen, err, errlen) : rc;
}

X509 *
pki_load_cert(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	X509 *x;

	if (path == NULL) {
		snprintf(err, errlen, "pki_load_cert: no path given");
		return NULL;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	ERR_clear_error();
	if ((x = PEM_read_X509(fp, NULL, no_passphrase, NULL)) == NULL)
		snprintf(err, errlen, "%s: no certificate found: %s", path, ossl_reason());
	fclose(fp);
	return x;
}

EVP_PKEY *
pki_load_key(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	EVP_PKEY *k;

	if (path == NULL) {
		snprintf(err, errlen, "pki_load_key: no path given");
		return NULL;
	}
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	ERR_clear_error();
	if ((k = PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL)) == NULL)
		snprintf(err, errlen, "%s: no private key found: %s", path, ossl_reason());
	fclose(fp);
	return k;
}
