/*
 * test_pki.c - unit test for common/pki.c: the CA, server and device
 * certificates, and device bundles. Works in a private directory under
 * $TMPDIR (or /tmp) and removes it. Exit status 0 on success; on failure the
 * first failed check is printed.
 */
#include "pki.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define CHECK(cond, ...)                                                                 \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, __LINE__, \
			    #cond);                                                      \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
			return -1;                                                       \
		}                                                                        \
	} while (0)

static char err[512];

/* The device every test issues, with a Chinese name as the streets use. */
static const struct pki_identity dev_id = {
	.device = "和平社区-电脑1",
	.org_code = "HP-JW-01",
	.role = "office",
	.device_id = "0190f4a2-7c3b-7d41-9a3e-5b2c1d0e8f7a",
};

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove dir and everything below it. */
static void
rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
path_in(char *out, size_t outlen, const char *dir, const char *name)
{
	snprintf(out, outlen, "%s/%s", dir, name);
}

/* Permission bits of path, or -1. */
static int
file_mode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* Whole file into a malloc'd NUL-terminated buffer; NULL on failure. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			if (len != NULL)
				*len = (size_t)n;
		}
	}
	fclose(fp);
	return buf;
}

static int
spit(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	int ok;

	if (fp == NULL)
		return -1;
	ok = fwrite(data, 1, len, fp) == len;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

static X509 *
cert_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

static EVP_PKEY *
key_from_pem(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return k;
}

/* X509_V_OK if cert verifies against ca for purpose (time checked unless no_time). */
static int
verify(X509 *cert, X509 *ca, int purpose, int no_time)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc = -1;

	if (store != NULL && ctx != NULL && X509_STORE_add_cert(store, ca) == 1 &&
	    X509_STORE_CTX_init(ctx, store, cert, NULL) == 1 &&
	    X509_STORE_CTX_set_purpose(ctx, purpose) == 1) {
		if (no_time)
			X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_NO_CHECK_TIME);
		rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

/* The subject attribute nid of cert as UTF-8 into buf; -1 if absent. */
static int
subject_field(X509 *cert, int nid, char *buf, size_t len)
{
	int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), nid, buf, (int)len);

	return n < 0 ? -1 : 0;
}

/* Whether cert's subjectAltName holds the DNS name dns or the IP address ip (raw bytes). */
static int
san_has(X509 *cert, int type, const void *value, size_t len)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	int found = 0;

	for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const ASN1_STRING *s;
		if (g->type != type)
			continue;
		s = type == GEN_DNS ? g->d.dNSName : g->d.iPAddress;
		if ((size_t)ASN1_STRING_length(s) == len && memcmp(ASN1_STRING_get0_data(s), value, len) == 0)
			found = 1;
	}
	GENERAL_NAMES_free(names);
	return found;
}

static int
test_ca(const char *dir, const char *missing_dir)
{
	char key_path[4096], crt_path[4096], cn[256];
	char *before, *after;
	X509 *ca;

	CHECK(pki_ca_create(dir, "和平街道", err, sizeof err) == 0, "%s", err);
	path_in(key_path, sizeof key_path, dir, "ca.key");
	path_in(crt_path, sizeof crt_path, dir, "ca.crt");
	CHECK(file_mode(key_path) == 0600, "ca.key mode %o", file_mode(key_path));

	ca = pki_load_cert(crt_path, err, sizeof err);
	CHECK(ca != NULL, "%s", err);
	CHECK(subject_field(ca, NID_commonName, cn, sizeof cn) == 0, "CA has no CN");
	CHECK(strcmp(cn, "和平街道 Tongxin CA") == 0, "CA CN is \"%s\"", cn);
	CHECK(X509_check_ca(ca) >= 1, "CA certificate is not a CA");
	CHECK(X509_check_issued(ca, ca) == X509_V_OK, "CA certificate is not self-signed");
	CHECK(X509_cmp_time(X509_get0_notAfter(ca), &(time_t){ time(NULL) + 19L * 365 * 86400 }) > 0,
	    "CA does not last 20 years");
	X509_free(ca);

	/* A second create must fail and leave the key alone. */
	before = slurp(key_path, NULL);
	CHECK(before != NULL, "cannot read ca.key");
	CHECK(pki_ca_create(dir, "和平街道", err, sizeof err) == -1, "ca.key overwritten");
	CHECK(strstr(err, "refusing to overwrite") != NULL && strstr(err, "ca.key") != NULL,
	    "message: %s", err);
	after = slurp(key_path, NULL);
	CHECK(after != NULL && strcmp(before, after) == 0, "ca.key changed");
	free(before);
	free(after);

	CHECK(pki_ca_create(missing_dir, "和平街道", err, sizeof err) == -1, "created in a missing dir");
	CHECK(strstr(err, "cannot create") != NULL, "message: %s", err);
	return 0;
}

static int
test_server(const char *dir)
{
	char key_path[4096], crt_path[4096];
	unsigned char ip4[4] = { 127, 0, 0, 1 }, ip6[16] = { [15] = 1 };
	X509 *cert, *ca;
	EVP_PKEY *key;
	DIR *d;
	struct dirent *e;
	int files = 0;

	path_in(key_path, sizeof key_path, dir, "server.key");
	path_in(crt_path, sizeof crt_path, dir, "server.crt");
	CHECK(pki_server_issue(dir, "192.168.1.10", err, sizeof err) == 0, "%s", err);
	CHECK(file_mode(key_path) == 0600, "server.key mode %o", file_mode(key_path));

	cert = pki_load_cert(crt_path, err, sizeof err);
	CHECK(cert != NULL, "%s", err);
	key = pki_load_key(key_path, err, sizeof err);
	CHECK(key != NULL, "%s", err);
	CHECK(X509_check_private_key(cert, key) == 1, "server key does not match");
	EVP_PKEY_free(key);

	CHECK(san_has(cert, GEN_DNS, "tongxind", 8), "SAN lacks DNS:tongxind");
	CHECK(san_has(cert, GEN_DNS, "localhost", 9), "SAN lacks DNS:localhost");
	CHECK(san_has(cert, GEN_IPADD, ip4, 4), "SAN lacks IP:127.0.0.1");
	CHECK(san_has(cert, GEN_IPADD, ip6, 16), "SAN lacks IP:::1");
	CHECK(X509_check_host(cert, PKI_SERVER_NAME, 0, 0, NULL) == 1, "no tongxind");
	CHECK(X509_check_ip_asc(cert, "192.168.1.10", 0) == 1, "SAN lacks the host address");
	CHECK(X509_check_ip_asc(cert, "10.0.0.1", 0) != 1, "SAN has a stray address");
	CHECK(X509_get_extended_key_usage(cert) == XKU_SSL_SERVER, "EKU is %#x",
	    X509_get_extended_key_usage(cert));
	CHECK(X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0) == 1, "not a TLS server cert");
	CHECK(X509_check_purpose(cert, X509_PURPOSE_SSL_CLIENT, 0) != 1, "usable as a client");
	CHECK(X509_check_ca(cert) == 0, "server certificate is a CA");

	ca = pki_load_cert(strcat(strcpy(crt_path, dir), "/ca.crt"), err, sizeof err);
	CHECK(ca != NULL, "%s", err);
	CHECK(verify(cert, ca, X509_PURPOSE_SSL_SERVER, 0) == X509_V_OK, "server cert rejected");
	X509_free(cert);

	/* Re-issue with a DNS name, then an IPv6 address: the files are replaced. */
	path_in(crt_path, sizeof crt_path, dir, "server.crt");
	CHECK(pki_server_issue(dir, "sync.example.org", err, sizeof err) == 0, "%s", err);
	cert = pki_load_cert(crt_path, err, sizeof err);
	CHECK(cert != NULL, "%s", err);
	CHECK(X509_check_host(cert, "sync.example.org", 0, 0, NULL) == 1, "SAN lacks the host name");
	CHECK(X509_check_ip_asc(cert, "192.168.1.10", 0) != 1, "old address survived");
	X509_free(cert);
	CHECK(pki_server_issue(dir, "2001:db8::5", err, sizeof err) == 0, "%s", err);
	cert = pki_load_cert(crt_path, err, sizeof err);
	CHECK(cert != NULL, "%s", err);
	CHECK(X509_check_ip_asc(cert, "2001:db8::5", 0) == 1, "SAN lacks the IPv6 host");
	CHECK(verify(cert, ca, X509_PURPOSE_SSL_SERVER, 0) == X509_V_OK, "server cert rejected");
	X509_free(cert);
	CHECK(file_mode(key_path) == 0600, "server.key mode %o", file_mode(key_path));
	CHECK(pki_server_issue(dir, "localhost", err, sizeof err) == 0, "%s", err);
	CHECK(pki_server_issue(dir, "::1", err, sizeof err) == 0, "%s", err);

	/* A host that is no name must not smuggle SAN entries in. */
	CHECK(pki_server_issue(dir, "a.example,DNS:evil.example", err, sizeof err) == -1,
	    "comma accepted");
	CHECK(strstr(err, "neither an IP address nor a DNS name") != NULL, "message: %s", err);
	CHECK(pki_server_issue(dir, "192.168.1", err, sizeof err) == -1, "bad IPv4 accepted");
	X509_free(ca);

	/* Nothing but the four files: no temporary file left behind. */
	d = opendir(dir);
	CHECK(d != NULL, "cannot list %s", dir);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		files++;
		if (strcmp(e->d_name, "ca.key") != 0 && strcmp(e->d_name, "ca.crt") != 0 &&
		    strcmp(e->d_name, "server.key") != 0 && strcmp(e->d_name, "server.crt") != 0) {
			closedir(d);
			CHECK(0, "stray file %s", e->d_name);
		}
	}
	closedir(d);
	CHECK(files == 4, "%d files", files);

	/* The server certificate names no device. */
	cert = pki_load_cert(crt_path, err, sizeof err);
	CHECK(cert != NULL, "%s", err);
	struct pki_identity none;
	CHECK(pki_identity_from_cert(cert, &none) == -1, "server cert read as a device");
	X509_free(cert);
	return 0;
}

/* Compare the four identity fields of two identities. */
static int
same_identity(const struct pki_identity *a, const struct pki_identity *b)
{
	return strcmp(a->device, b->device) == 0 && strcmp(a->org_code, b->org_code) == 0 &&
	    strcmp(a->role, b->role) == 0 && strcmp(a->device_id, b->device_id) == 0;
}

static int
test_device(const char *dir, struct pki_cred *cred)
{
	struct pki_identity id = dev_id, got, bad;
	struct pki_cred junk = { 0 };
	X509 *cert, *ca;
	EVP_PKEY *key;
	char o[64];
	int cn_idx;

	CHECK(pki_device_issue(dir, &id, 365, cred, err, sizeof err) == 0, "%s", err);
	CHECK(cred->key_pem != NULL && cred->cert_pem != NULL && cred->ca_pem != NULL,
	    "credential incomplete");
	CHECK(strncmp(cred->key_pem, "-----BEGIN PRIVATE KEY-----", 27) == 0,
	    "key is not PKCS#8: %.40s", cred->key_pem);
	CHECK(id.serial[0] != '\0' && strspn(id.serial, "0123456789abcdef") == strlen(id.serial),
	    "serial \"%s\"", id.serial);
	CHECK(strlen(id.serial) <= 32, "serial longer than 128 bits: %s", id.serial);
	CHECK(strcmp(id.serial, cred->id.serial) == 0 && same_identity(&id, &cred->id),
	    "cred->id differs");

	cert = cert_from_pem(cred->cert_pem);
	ca = cert_from_pem(cred->ca_pem);
	key = key_from_pem(cred->key_pem);
	CHECK(cert != NULL && ca != NULL && key != NULL, "credential PEM does not parse");
	CHECK(X509_check_private_key(cert, key) == 1, "device key does not match");
	EVP_PKEY_free(key);

	CHECK(pki_identity_from_cert(cert, &got) == 0, "identity does not read back");
	CHECK(same_identity(&got, &dev_id), "identity differs: \"%s\" \"%s\" \"%s\" \"%s\"",
	    got.device, got.org_code, got.role, got.device_id);
	CHECK(strcmp(got.serial, id.serial) == 0, "serial %s != %s", got.serial, id.serial);
	CHECK(subject_field(cert, NID_organizationName, o, sizeof o) == 0 && strcmp(o, "Tongxin") == 0,
	    "O is not Tongxin");
	cn_idx = X509_NAME_get_index_by_NID(X509_get_subject_name(cert), NID_commonName, -1);
	CHECK(cn_idx >= 0 && ASN1_STRING_type(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(
	    X509_get_subject_name(cert), cn_idx))) == V_ASN1_UTF8STRING, "CN is not a UTF8String");

	CHECK(verify(cert, ca, X509_PURPOSE_SSL_CLIENT, 0) == X509_V_OK, "device cert rejected");
	CHECK(X509_get_extended_key_usage(cert) == XKU_SSL_CLIENT, "EKU is %#x",
	    X509_get_extended_key_usage(cert));
	CHECK(X509_check_purpose(cert, X509_PURPOSE_SSL_SERVER, 0) != 1, "device usable as server");
	CHECK(verify(cert, ca, X509_PURPOSE_SSL_SERVER, 0) != X509_V_OK, "device verified as server");
	CHECK(X509_check_ca(cert) == 0, "device certificate is a CA");
	CHECK(X509_check_host(cert, PKI_SERVER_NAME, 0, 0, NULL) != 1, "device claims tongxind");
	X509_free(cert);
	X509_free(ca);

	/* Bad identities are refused before anything is signed. */
	bad = dev_id;
	strcpy(bad.role, "root");
	CHECK(pki_device_issue(dir, &bad, 365, &junk, err, sizeof err) == -1, "role root accepted");
	CHECK(strstr(err, "role") != NULL, "message: %s", err);
	bad = dev_id;
	strcpy(bad.device, "电脑\nserver: evil:1");
	CHECK(pki_device_issue(dir, &bad, 365, &junk, err, sizeof err) == -1, "newline accepted");
	bad = dev_id;
	memset(bad.device, 'x', sizeof bad.device);
	CHECK(pki_device_issue(dir, &bad, 365, &junk, err, sizeof err) == -1, "long name accepted");
	bad = dev_id;
	bad.org_code[0] = '\0';
	CHECK(pki_device_issue(dir, &bad, 365, &junk, err, sizeof err) == -1, "empty org accepted");
	bad = dev_id;
	strcpy(bad.device_id, "x,UID=y");
	CHECK(pki_device_issue(dir, &bad, 365, &junk, err, sizeof err) == -1, "bad id accepted");
	CHECK(pki_device_issue(dir, &bad, 0, &junk, err, sizeof err) == -1, "0 days accepted");
	CHECK(junk.key_pem == NULL && junk.cert_pem == NULL, "failed issue left texts");
	pki_cred_clear(&junk);
	return 0;
}

static int
test_bundle(const char *dir, const struct pki_cred *cred)
{
	char path[4096], addr[128];
	struct pki_cred back = { 0 };
	X509 *cert;
	EVP_PKEY *key;

	path_in(path, sizeof path, dir, "device.txb");
	CHECK(pki_bundle_write(path, cred, "sync.example.org:7443", 0, err, sizeof err) == 0, "%s",
	    err);
	CHECK(file_mode(path) == 0600, "bundle mode %o", file_mode(path));
	CHECK(pki_bundle_write(path, cred, "x:1", 0, err, sizeof err) == -1, "bundle overwritten");
	CHECK(strstr(err, "already exists") != NULL, "message: %s", err);

	CHECK(pki_bundle_read(path, &back, addr, sizeof addr, err, sizeof err) == 0, "%s", err);
	CHECK(strcmp(addr, "sync.example.org:7443") == 0, "server \"%s\"", addr);
	CHECK(same_identity(&back.id, &cred->id) && strcmp(back.id.serial, cred->id.serial) == 0,
	    "identity differs after the round trip");
	CHECK(strcmp(back.cert_pem, cred->cert_pem) == 0, "certificate differs");
	CHECK(strcmp(back.ca_pem, cred->ca_pem) == 0, "CA certificate differs");
	cert = cert_from_pem(back.cert_pem);
	key = key_from_pem(back.key_pem);
	CHECK(cert != NULL && key != NULL && X509_check_private_key(cert, key) == 1,
	    "key read back does not match");
	X509_free(cert);
	EVP_PKEY_free(key);
	pki_cred_clear(&back);
	pki_cred_clear(&back);   /* twice is harmless */
	pki_cred_clear(NULL);

	/* Overwrite replaces a world-readable file with a private one. */
	CHECK(chmod(path, 0644) == 0, "chmod");
	CHECK(pki_bundle_write(path, cred, "", 1, err, sizeof err) == 0, "%s", err);
	CHECK(file_mode(path) == 0600, "overwritten bundle mode %o", file_mode(path));
	CHECK(pki_bundle_read(path, &back, addr, sizeof addr, err, sizeof err) == 0, "%s", err);
	CHECK(addr[0] == '\0', "server \"%s\" from a bundle without one", addr);
	CHECK(same_identity(&back.id, &cred->id), "identity differs");
	pki_cred_clear(&back);
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == 0, "%s", err);
	pki_cred_clear(&back);

	/* Header lines cannot be forged through the server address. */
	CHECK(pki_bundle_write(path, cred, "a:1\nserver: evil:2", 1, err, sizeof err) == -1,
	    "newline in the server address accepted");
	return 0;
}

/* Write c to dir/name and expect pki_bundle_read to fail with want. */
static int
expect_bad_bundle(const char *dir, const char *name, const struct pki_cred *c, const char *want)
{
	char path[4096], prefix[4200];
	struct pki_cred back = { 0 };

	path_in(path, sizeof path, dir, name);
	CHECK(pki_bundle_write(path, c, "h:1", 1, err, sizeof err) == 0, "%s", err);
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == -1, "%s accepted", name);
	snprintf(prefix, sizeof prefix, "bundle %s: ", path);
	CHECK(strncmp(err, prefix, strlen(prefix)) == 0 && strstr(err, want) != NULL,
	    "%s: message \"%s\", want \"%s\"", name, err, want);
	CHECK(back.key_pem == NULL && back.cert_pem == NULL && back.ca_pem == NULL,
	    "failed read left texts");
	return 0;
}

static int
test_bad_bundles(const char *ca_dir, const char *dir2, const char *dir,
    const struct pki_cred *cred)
{
	struct pki_identity id2 = dev_id;
	struct pki_cred other = { 0 }, foreign = { 0 }, mix;
	char path[4096], *text, *k;
	size_t len;
	struct pki_cred back = { 0 };

	/* Another device's key with this device's certificate. */
	strcpy(id2.device, "和平社区-电脑2");
	CHECK(pki_device_issue(ca_dir, &id2, 365, &other, err, sizeof err) == 0, "%s", err);
	mix = *cred;
	mix.key_pem = other.key_pem;
	if (expect_bad_bundle(dir, "mismatch.txb", &mix, "the key does not match the certificate"))
		return -1;

	/* No key at all. */
	mix = *cred;
	mix.key_pem = "";
	if (expect_bad_bundle(dir, "nokey.txb", &mix, "no private key found"))
		return -1;

	/* A certificate from another street's CA, bundled with ours. */
	CHECK(pki_ca_create(dir2, "新华街道", err, sizeof err) == 0, "%s", err);
	CHECK(pki_device_issue(dir2, &id2, 365, &foreign, err, sizeof err) == 0, "%s", err);
	mix = foreign;
	mix.ca_pem = cred->ca_pem;
	if (expect_bad_bundle(dir, "foreign.txb", &mix, "certificate not signed by the bundled CA"))
		return -1;

	/* The CA's place taken by the device certificate itself. */
	mix = *cred;
	mix.ca_pem = cred->cert_pem;
	if (expect_bad_bundle(dir, "noca.txb", &mix, "not signed by the bundled CA"))
		return -1;

	/*
	 * A private key edited in place: its public half still matches the
	 * certificate, but the private scalar (bytes 36..67 of the DER, base64
	 * characters 48..90) no longer does.
	 */
	path_in(path, sizeof path, dir, "tampered.txb");
	CHECK(pki_bundle_write(path, cred, "h:1", 0, err, sizeof err) == 0, "%s", err);
	text = slurp(path, &len);
	CHECK(text != NULL, "cannot read %s", path);
	k = strstr(text, "-----BEGIN PRIVATE KEY-----\n");
	CHECK(k != NULL, "no key block");
	k += strlen("-----BEGIN PRIVATE KEY-----\n") + 60;
	*k = *k == 'A' ? 'B' : 'A';
	CHECK(spit(path, text, len) == 0, "cannot rewrite %s", path);
	free(text);
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == -1, "tampered key accepted");
	CHECK(strstr(err, "the private key is damaged") != NULL, "message: %s", err);

	/* A missing file. */
	path_in(path, sizeof path, dir, "absent.txb");
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == -1, "absent file read");
	CHECK(strstr(err, "cannot open bundle") != NULL, "message: %s", err);

	pki_cred_clear(&other);
	pki_cred_clear(&foreign);
	return 0;
}

static int
test_expired(const char *dir)
{
	struct pki_identity id = dev_id;
	struct pki_cred c = { 0 }, back = { 0 };
	char path[4096];
	X509 *cert, *ca;
	int days, secs;
	time_t t;

	CHECK(pki_device_issue(dir, &id, -1, &c, err, sizeof err) == 0, "%s", err);
	cert = cert_from_pem(c.cert_pem);
	ca = cert_from_pem(c.ca_pem);
	CHECK(cert != NULL && ca != NULL, "PEM does not parse");
	CHECK(X509_cmp_current_time(X509_get0_notAfter(cert)) < 0, "notAfter is not in the past");
	t = time(NULL) - 86400 - 60;
	CHECK(X509_cmp_time(X509_get0_notAfter(cert), &t) > 0, "expired more than a day ago");
	t = time(NULL) - 86400 + 60;
	CHECK(X509_cmp_time(X509_get0_notAfter(cert), &t) < 0, "expired less than a day ago");
	CHECK(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(cert), X509_get0_notAfter(cert)) == 1,
	    "cannot compare times");
	CHECK((days == 365 && secs <= 1) || (days == 364 && secs >= 86399),
	    "valid for %d days %d s", days, secs);
	CHECK(verify(cert, ca, X509_PURPOSE_SSL_CLIENT, 0) == X509_V_ERR_CERT_HAS_EXPIRED,
	    "expired certificate not reported as such");
	CHECK(verify(cert, ca, X509_PURPOSE_SSL_CLIENT, 1) == X509_V_OK, "signature rejected");
	X509_free(cert);
	X509_free(ca);

	/* Expiry is the server's business: the bundle still reads. */
	path_in(path, sizeof path, dir, "expired.txb");
	CHECK(pki_bundle_write(path, &c, "h:1", 0, err, sizeof err) == 0, "%s", err);
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == 0, "%s", err);
	CHECK(strcmp(back.id.serial, id.serial) == 0, "serial differs");
	pki_cred_clear(&back);
	pki_cred_clear(&c);
	return 0;
}

static int
test_big_bundle(const char *dir, const struct pki_cred *cred)
{
	char path[4096], want[4200];
	struct pki_cred back = { 0 };
	size_t len;
	char *text, *big;

	path_in(path, sizeof path, dir, "big.txb");
	CHECK(pki_bundle_write(path, cred, "h:1", 0, err, sizeof err) == 0, "%s", err);
	text = slurp(path, &len);
	CHECK(text != NULL && len < 64 * 1024, "cannot read %s", path);

	/* Padded with a trailing comment to exactly 64 KiB: accepted. */
	big = malloc(64 * 1024 + 1);
	CHECK(big != NULL, "out of memory");
	memcpy(big, text, len);
	memset(big + len, '#', 64 * 1024 + 1 - len);
	big[len] = '\n';
	free(text);
	CHECK(spit(path, big, 64 * 1024) == 0, "cannot write %s", path);
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == 0, "64 KiB: %s", err);
	pki_cred_clear(&back);

	/* One byte more: refused. */
	CHECK(spit(path, big, 64 * 1024 + 1) == 0, "cannot write %s", path);
	free(big);
	CHECK(pki_bundle_read(path, &back, NULL, 0, err, sizeof err) == -1, "big bundle accepted");
	snprintf(want, sizeof want, "bundle %s is larger than 64 KiB", path);
	CHECK(strcmp(err, want) == 0, "message: %s", err);
	return 0;
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char root[1024], dir[1100], dir2[1100], missing[1100];
	struct pki_cred cred = { 0 };
	int rc = 1;

	snprintf(root, sizeof root, "%s/test_pki.XXXXXX", tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof dir, "%s/ca", root);
	snprintf(dir2, sizeof dir2, "%s/ca2", root);
	snprintf(missing, sizeof missing, "%s/missing", root);
	if (mkdir(dir, 0700) != 0 || mkdir(dir2, 0700) != 0) {
		perror("mkdir");
		goto done;
	}
	if (test_ca(dir, missing) == 0 && test_server(dir) == 0 && test_device(dir, &cred) == 0 &&
	    test_bundle(root, &cred) == 0 && test_bad_bundles(dir, dir2, root, &cred) == 0 &&
	    test_expired(dir) == 0 && test_big_bundle(root, &cred) == 0)
		rc = 0;
done:
	pki_cred_clear(&cred);
	rm_rf(root);
	printf("test_pki: %s\n", rc == 0 ? "ok" : "FAILED");
	return rc;
}
