/*
 * hostile.h - a scriptable hostile client for the integration tests: a real
 * device credential, a real TLS 1.3 session and the project's own wire
 * (proto/tongxin.proto, common/frame.h), but no replica and no capture, so
 * a test can send any Txn, Change or Value the proto allows: re-used
 * sequence numbers with other contents, column indexes the schema does not
 * have, far-future clocks, rows of other communities.
 *
 * Header-only (every function static), independent of the client library:
 * only common/ (pki, tls, frame, value) and OpenSSL. Blocking I/O with
 * timeouts; one request at a time.
 *
 *   struct hx x;
 *   hx_open(&x, "dir/office.bundle", "127.0.0.1:PORT", "operator", 30000);
 *   ... hx_push(&x, txns, n, &reply) / hx_request(&x, env, want, &reply) ...
 *   hx_close(&x);
 *
 * Txns are built with hx_txn_new / hx_change_add / hx_col and freed with
 * tongxin__txn__free_unpacked(tx, NULL): every part is malloc'd.
 *
 * Error convention: 0 / -1 with a sentence in x->err (a server Error's
 * code and message are kept in x->code and x->err).
 */
#ifndef TX_HOSTILE_H
#define TX_HOSTILE_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "frame.h"
#include "pki.h"
#include "schema.h"
#include "tls.h"
#include "value.h"
#include "tongxin.pb-c.h"

/* One raw session of one device. */
struct hx {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	uint32_t next_id;
	int code;                 /* the server's ErrorCode when it answered with an Error */
	char err[1024];
	/* From the Welcome. */
	char device_id[40];
	char device_name[65];
	char role[16];
	uint64_t last_seq;        /* highest sequence the server holds from this device */
};

static __attribute__((unused)) int
hx_fail(struct hx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static __attribute__((unused)) int
hx_fail(struct hx *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(x->err, sizeof x->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Close the session (TLS close_notify when it is healthy); accepts a closed one. */
static __attribute__((unused)) void
hx_close(struct hx *x)
{
	if (x->ssl != NULL) {
		if (x->fd >= 0)
			SSL_shutdown(x->ssl);
		SSL_free(x->ssl);
		x->ssl = NULL;
	}
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	SSL_CTX_free(x->ctx);
	x->ctx = NULL;
}

/* A blocking TCP connection to HOST:PORT with send and receive timeouts. */
static __attribute__((unused)) int
hx_tcp(struct hx *x, const char *hostport, int timeout_ms)
{
	char host[256], port[16];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv;
	size_t n;
	int rc;

	if (colon == NULL || (n = (size_t)(colon - hostport)) >= sizeof host)
		return hx_fail(x, "bad address \"%s\"", hostport);
	memcpy(host, hostport, n);
	host[n] = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return hx_fail(x, "%s: %s", hostport, gai_strerror(rc));
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			freeaddrinfo(res);
			x->fd = fd;
			return 0;
		}
		close(fd);
	}
	freeaddrinfo(res);
	return hx_fail(x, "cannot connect to %s: %s", hostport, strerror(errno));
}

/* Write a whole envelope as one frame (its id assigned when 0). */
static __attribute__((unused)) int
hx_send(struct hx *x, Tongxin__Envelope *env)
{
	uint8_t *buf;
	size_t n, off = 0;

	if (x->ssl == NULL)
		return hx_fail(x, "the session is closed");
	if (env->id == 0)
		env->id = x->next_id++;
	if ((buf = frame_encode(env, &n)) == NULL)
		return hx_fail(x, "message too large to encode");
	ERR_clear_error();
	while (off < n) {
		int w = SSL_write(x->ssl, buf + off, (int)(n - off));
		if (w <= 0) {
			free(buf);
			return hx_fail(x, "send failed (TLS error %d, %s)", SSL_get_error(x->ssl, w),
			    strerror(errno));
		}
		off += (size_t)w;
	}
	free(buf);
	return 0;
}

static __attribute__((unused)) int
hx_read_full(struct hx *x, uint8_t *p, size_t n)
{
	size_t off = 0;

	ERR_clear_error();
	while (off < n) {
		int r;
		errno = 0;
		r = SSL_read(x->ssl, p + off, (int)(n - off > (1u << 30) ? (1u << 30) : n - off));
		if (r <= 0) {
			int e = SSL_get_error(x->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return hx_fail(x, "the server closed the session");
			if (e == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK))
				return hx_fail(x, "no answer from the server in time");
			return hx_fail(x, "the connection broke (TLS error %d%s%s)", e,
			    errno ? ", " : "", errno ? strerror(errno) : "");
		}
		off += (size_t)r;
	}
	return 0;
}

/*
 * Read one envelope. A server Error becomes -1 with x->code and x->err set
 * (the Error's code and message); *out is then NULL.
 */
static __attribute__((unused)) int
hx_recv(struct hx *x, Tongxin__Envelope **out)
{
	uint8_t hdr[FRAME_HDR_LEN], *body;
	uint32_t len = 0;
	enum frame_status fs;
	Tongxin__Envelope *env;

	*out = NULL;
	x->code = 0;
	if (x->ssl == NULL)
		return hx_fail(x, "the session is closed");
	if (hx_read_full(x, hdr, sizeof hdr) != 0)
		return -1;
	fs = frame_peek(hdr, sizeof hdr, FRAME_MAX, &len);
	if (fs == FRAME_EMPTY || fs == FRAME_OVERSIZE)
		return hx_fail(x, "the server sent a %s frame", fs == FRAME_EMPTY ? "zero-length" :
		    "too large");
	if ((body = malloc(len ? len : 1)) == NULL)
		return hx_fail(x, "out of memory");
	if (hx_read_full(x, body, len) != 0) {
		free(body);
		return -1;
	}
	env = frame_decode(body, len);
	free(body);
	if (env == NULL)
		return hx_fail(x, "the server sent an unreadable message (%u bytes)", len);
	if (env->body_case == TONGXIN__ENVELOPE__BODY_ERROR) {
		x->code = (int)env->error->code;
		hx_fail(x, "%s", env->error->message);
		envelope_free(env);
		return -1;
	}
	*out = env;
	return 0;
}

/*
 * Send req and read the answer, which must be of kind want and carry req's
 * id. *reply is the answer (free with envelope_free).
 */
static __attribute__((unused)) int
hx_request(struct hx *x, Tongxin__Envelope *req, Tongxin__Envelope__BodyCase want,
    Tongxin__Envelope **reply)
{
	Tongxin__Envelope *in;

	*reply = NULL;
	if (hx_send(x, req) != 0 || hx_recv(x, &in) != 0)
		return -1;
	if (in->body_case != want || in->id != req->id) {
		hx_fail(x, "unexpected %s answer (id %u, expected %u)", envelope_body_name(in), in->id,
		    req->id);
		envelope_free(in);
		return -1;
	}
	*reply = in;
	return 0;
}

/*
 * Open a session as the device of a bundle file: TLS 1.3 with the bundle's
 * key and certificate, the server checked against the bundle's CA for the
 * name "tongxind", then a correct Hello (this build's protocol version and
 * schema hash). 0 after the Welcome.
 */
static __attribute__((unused)) int
hx_open(struct hx *x, const char *bundle, const char *hostport, const char *operator_name,
    int timeout_ms)
{
	struct pki_cred cred;
	char addr[300], err[512] = "";
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	uint8_t hash[32];

	memset(x, 0, sizeof *x);
	x->fd = -1;
	x->next_id = 1;
	signal(SIGPIPE, SIG_IGN);
	memset(&cred, 0, sizeof cred);
	if (pki_bundle_read(bundle, &cred, addr, sizeof addr, err, sizeof err) != 0) {
		pki_cred_clear(&cred);
		return hx_fail(x, "bundle %s: %s", bundle, err);
	}
	x->ctx = tls_client_ctx(&cred, err, sizeof err);
	pki_cred_clear(&cred);
	if (x->ctx == NULL)
		return hx_fail(x, "%s", err);
	if (hx_tcp(x, hostport, timeout_ms > 0 ? timeout_ms : 30000) != 0) {
		hx_close(x);
		return -1;
	}
	if ((x->ssl = SSL_new(x->ctx)) == NULL) {
		hx_close(x);
		return hx_fail(x, "SSL_new failed");
	}
	SSL_set_fd(x->ssl, x->fd);
	SSL_set_tlsext_host_name(x->ssl, PKI_SERVER_NAME);
	SSL_set1_host(x->ssl, PKI_SERVER_NAME);
	ERR_clear_error();
	if (SSL_connect(x->ssl) != 1) {
		snprintf(err, sizeof err, "%s", tls_error_string());
		hx_close(x);
		return hx_fail(x, "TLS handshake failed: %s", err);
	}
	schema_hash(hash);
	h.protocol_version = PROTOCOL_VERSION;
	h.schema_hash.data = hash;
	h.schema_hash.len = sizeof hash;
	h.program_version = (char *)"hostile-test";
	h.recovers = 1;   /* a client of this build knows epochs */
	h.operator_name = (char *)(operator_name ? operator_name : "");
	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	if (hx_request(x, &env, TONGXIN__ENVELOPE__BODY_WELCOME, &in) != 0) {
		snprintf(err, sizeof err, "%s", x->err);
		hx_close(x);
		return hx_fail(x, "hello refused: %s", err);
	}
	snprintf(x->device_id, sizeof x->device_id, "%s", in->welcome->device_id);
	snprintf(x->device_name, sizeof x->device_name, "%s", in->welcome->device_name);
	snprintf(x->role, sizeof x->role, "%s", in->welcome->role);
	x->last_seq = in->welcome->last_seq;
	envelope_free(in);
	return 0;
}

/*
 * Push n transactions (borrowed) in one PushRequest and read the
 * PushResponse: *reply (free with envelope_free) has (*reply)->push_result.
 */
static __attribute__((unused)) int
hx_push(struct hx *x, Tongxin__Txn *const *txns, size_t n, Tongxin__Envelope **reply)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;

	req.txns = (Tongxin__Txn **)txns;
	req.n_txns = n;
	env.body_case = TONGXIN__ENVELOPE__BODY_PUSH;
	env.push = &req;
	if (hx_request(x, &env, TONGXIN__ENVELOPE__BODY_PUSH_RESULT, reply) != 0)
		return -1;
	if ((*reply)->push_result->n_results != n) {
		hx_fail(x, "the server answered %zu of %zu transactions",
		    (*reply)->push_result->n_results, n);
		envelope_free(*reply);
		*reply = NULL;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ building Txns */

static __attribute__((unused)) void *
hx_xalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (p == NULL) {
		fprintf(stderr, "hostile.h: out of memory\n");
		abort();
	}
	return p;
}

static __attribute__((unused)) char *
hx_xstrdup(const char *s)
{
	char *p = hx_xalloc(strlen(s) + 1);
	memcpy(p, s, strlen(s) + 1);
	return p;
}

/* A new, empty transaction (free with tongxin__txn__free_unpacked(tx, NULL)). */
static __attribute__((unused)) Tongxin__Txn *
hx_txn_new(uint64_t seq, uint64_t hlc, const char *operator_name)
{
	Tongxin__Txn *tx = hx_xalloc(sizeof *tx);

	tongxin__txn__init(tx);
	tx->seq = seq;
	tx->hlc = hlc;
	tx->local_time_ms = (int64_t)(hlc >> 16);
	tx->operator_name = hx_xstrdup(operator_name ? operator_name : "");
	return tx;
}

/* Append a change of row_id in table (any number: the server must judge it). */
static __attribute__((unused)) Tongxin__Change *
hx_change_add(Tongxin__Txn *tx, uint32_t table, const char *row_id, Tongxin__Change__Op op,
    uint64_t base_version)
{
	Tongxin__Change *c = hx_xalloc(sizeof *c);
	Tongxin__Change **nv = realloc(tx->changes, (tx->n_changes + 1) * sizeof *nv);

	if (nv == NULL)
		abort();
	tongxin__change__init(c);
	c->table = table;
	c->row_id = hx_xstrdup(row_id);
	c->op = op;
	c->base_version = base_version;
	tx->changes = nv;
	tx->changes[tx->n_changes++] = c;
	return c;
}

static __attribute__((unused)) Tongxin__Value *
hx_value_dup(const Tongxin__Value *v)
{
	Tongxin__Value *d = hx_xalloc(sizeof *d);

	tongxin__value__init(d);
	if (v != NULL && value_copy(d, v) != 0)
		abort();
	return d;
}

/*
 * Add column col (any index) with value v to a change; before is the base
 * value for updates and deletes (NULL: none is added, as for an insert).
 * NULL v means SQL NULL. Values are copied.
 */
static __attribute__((unused)) void
hx_col(Tongxin__Change *c, uint32_t col, const Tongxin__Value *v, const Tongxin__Value *before)
{
	uint32_t *nc = realloc(c->cols, (c->n_cols + 1) * sizeof *nc);
	Tongxin__Value **nv;

	if (nc == NULL)
		abort();
	c->cols = nc;
	c->cols[c->n_cols++] = col;
	if ((nv = realloc(c->values, (c->n_values + 1) * sizeof *nv)) == NULL)
		abort();
	c->values = nv;
	c->values[c->n_values++] = hx_value_dup(v);
	if (before != NULL) {
		if ((nv = realloc(c->before, (c->n_before + 1) * sizeof *nv)) == NULL)
			abort();
		c->before = nv;
		c->before[c->n_before++] = hx_value_dup(before);
	}
}

/* Text and integer shorthands for hx_col (before_s NULL: no base value). */
static __attribute__((unused)) void
hx_col_text(Tongxin__Change *c, uint32_t col, const char *s, const char *before_s)
{
	Tongxin__Value v, b;

	value_set_text(&v, s);
	if (before_s != NULL)
		value_set_text(&b, before_s);
	hx_col(c, col, &v, before_s != NULL ? &b : NULL);
}

/*
 * The columns of an insert from vals[0..ncols-1] that are set, as the
 * client's capture (rep_insert) sends them: a table may have as many
 * columns as a change may name (WIRE_MAX_COLS), so sending the NULL ones
 * too would leave no room for a planted extra column to reach the
 * store's checks.
 */
static __attribute__((unused)) void
hx_insert_all(Tongxin__Change *c, int ncols, const Tongxin__Value *vals)
{
	for (int k = 0; k < ncols; k++)
		if (vals[k].kind_case != TONGXIN__VALUE__KIND__NOT_SET)
			hx_col(c, (uint32_t)k, &vals[k], NULL);
}

/* All the text strings a transaction carries (row ids and text values), for leak checks. */
static __attribute__((unused)) size_t
hx_txn_strings(const Tongxin__Txn *tx, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[i];
		if (n < cap && c->row_id != NULL && c->row_id[0])
			out[n++] = c->row_id;
		for (size_t k = 0; k < c->n_values; k++)
			if (n < cap && c->values[k]->kind_case == TONGXIN__VALUE__KIND_S &&
			    c->values[k]->s[0])
				out[n++] = c->values[k]->s;
		for (size_t k = 0; k < c->n_before; k++)
			if (n < cap && c->before[k]->kind_case == TONGXIN__VALUE__KIND_S &&
			    c->before[k]->s[0])
				out[n++] = c->before[k]->s;
	}
	if (n < cap && tx->operator_name != NULL && tx->operator_name[0])
		out[n++] = tx->operator_name;
	return n;
}

#endif
