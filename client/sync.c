/* sync.c - the client connection and the sync procedure; see sync.h. */
#include "sync.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <openssl/err.h>

#include "addr.h"
#include "bounds.h"
#include "db.h"
#include "frame.h"
#include "log.h"
#include "pbwire.h"
#include "sync_int.h"
#include "text.h"
#include "tls.h"
#include "tz.h"

#define PUSH_BATCH_TXNS 256
#define PUSH_BATCH_BYTES (4u * 1024u * 1024u)
#define PUSH_WINDOW 3               /* push requests in flight at once */
#define PUSH_WAIT_FACTOR 4          /* a push result may take this many idle timeouts */

_Static_assert(PUSH_BATCH_TXNS <= WIRE_MAX_TXNS, "a push batch is within the server's limit");
_Static_assert(REP_TXN_MAX_CHANGES <= WIRE_MAX_CHANGES,
    "an outbox transaction is within the server's limit");

/* The server's name in its certificate: every street server carries it. */
static const char server_name[] = PKI_SERVER_NAME;

int
conn_fail(struct conn *c, enum sync_fail f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	c->fail = f;
	return -1;
}

/* TCP connect with a timeout; returns the socket or -1. */
static int
tcp_connect(struct conn *c, const char *hp, int timeout_ms)
{
	char host[256], port[16];
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, last = 0, portnum;

	if (split_hostport(hp, host, sizeof host, &portnum) == 0)
		snprintf(port, sizeof port, "%d", portnum);
	else
		return conn_fail(c, SYNC_UNREACHABLE, "invalid server address \"%s\" "
		    "(expected HOST:PORT)", hp);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL)
		return conn_fail(c, SYNC_UNREACHABLE, "server unreachable: cannot resolve %s", host);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd p;
		int soerr = 0, one = 1;
		socklen_t sl = sizeof soerr;

		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			last = errno;
			close(fd);
			fd = -1;
			continue;
		}
		p.fd = fd;
		p.events = POLLOUT;
		if (poll(&p, 1, timeout_ms) != 1 ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0) {
			last = soerr ? soerr : ETIMEDOUT;
			close(fd);
			fd = -1;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		break;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return conn_fail(c, SYNC_UNREACHABLE, "server unreachable: %s (%s)", hp,
		    strerror(last ? last : ECONNREFUSED));
	{
		struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	return fd;
}

/*
 * Turn the OpenSSL error queue after a failed call into a sentence.
 * handshake says whether SSL_connect had not yet succeeded (SSL_in_init()
 * cannot tell: a TLS 1.3 client is "in init" again while it reads a
 * session ticket after the handshake).
 */
static int
tls_fail(struct conn *c, const char *during, bool handshake)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_REASON(e);
	char buf[256] = "";
	long vr = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
	const char *cred = c->ssl ? tls_client_cred_error(SSL_get_SSL_CTX(c->ssl)) : NULL;

	/* The device's own credential failed to decode (tls_client_ctx_deferred). */
	if (cred != NULL) {
		ERR_clear_error();
		return conn_fail(c, SYNC_LOCAL, "%s", cred);
	}
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof buf);
	ERR_clear_error();
	switch (reason) {
	case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
		return conn_fail(c, SYNC_TLS, "the server does not trust this device's certificate "
		    "(it was issued by another street's CA); enroll this device on this server");
	case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
		return conn_fail(c, SYNC_TLS, "this device's certificate has expired; ask the street "
		    "office to enroll this computer again");
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		return conn_fail(c, SYNC_TLS, "the server requires a device certificate");
	case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
		return conn_fail(c, SYNC_REFUSED, "certificate revoked");
	case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
	case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
		return conn_fail(c, SYNC_TLS, "the server refused this device's certificate");
	case SSL_R_CERTIFICATE_VERIFY_FAILED:
		return conn_fail(c, SYNC_TLS, "the server's certificate is not trusted (%s): it is not "
		    "this street's server", X509_verify_cert_error_string(vr));
	default:
		break;
	}
	/*
	 * Anything else is not a refusal of this device: a connection that
	 * drops (reset, unexpected EOF, a server killed mid-sync) during the
	 * handshake is "unreachable", after it a server failure, so scripts
	 * retry. Only other handshake errors (not a TLS server) stay TLS.
	 */
	if (handshake) {
		if (e == 0 || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
			return conn_fail(c, SYNC_UNREACHABLE, "server unreachable: the connection "
			    "closed during %s%s%s", during, errno ? ": " : "",
			    errno ? strerror(errno) : "");
		return conn_fail(c, SYNC_TLS, "TLS failed during %s: %s", during, buf);
	}
	if (e == 0 || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
		return conn_fail(c, SYNC_PROTOCOL, "the server closed the connection during %s%s%s",
		    during, errno ? ": " : "", errno ? strerror(errno) : "");
	return conn_fail(c, SYNC_PROTOCOL, "the connection failed during %s: %s", during, buf);
}

int
conn_open(struct conn *c, SSL_CTX *ctx, const char *hp, SSL_SESSION **session, int timeout_ms)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->next_id = 1;
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 15000;
	c->wait_ms = c->timeout_ms;
	signal(SIGPIPE, SIG_IGN);
	if ((c->fd = tcp_connect(c, hp, c->timeout_ms)) < 0)
		return -1;
	if ((c->ssl = SSL_new(ctx)) == NULL) {
		close(c->fd);
		c->fd = -1;
		return tls_fail(c, "setup", true);
	}
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, server_name);
	SSL_set1_host(c->ssl, server_name);
	if (session != NULL && *session != NULL)
		SSL_set_session(c->ssl, *session);
	ERR_clear_error();
	errno = 0;
	if (SSL_connect(c->ssl) != 1) {
		tls_fail(c, "the handshake", true);
		conn_close(c, NULL);
		return -1;
	}
	return 0;
}

/*
 * Write n bytes, all of them. On failure the server may have refused us
 * already: its alert or Error is often still readable and says far more
 * than "reset by peer", so it is read and kept as the reason.
 */
static int
ssl_write_all(struct conn *c, const uint8_t *buf, size_t n)
{
	size_t off = 0;

	ERR_clear_error();
	while (off < n) {
		size_t chunk = n - off > (1u << 30) ? (1u << 30) : n - off;
		int w = SSL_write(c->ssl, buf + off, (int)chunk);
		if (w <= 0) {
			char first[sizeof c->err];
			enum sync_fail ff;
			Tongxin__Envelope *late;
			tls_fail(c, "sending", false);
			ff = c->fail;
			snprintf(first, sizeof first, "%s", c->err);
			late = conn_recv(c, FRAME_MAX_PREAUTH);
			if (late != NULL || (c->remote_code == 0 && c->fail != SYNC_TLS &&
			    c->fail != SYNC_REFUSED)) {
				envelope_free(late);
				c->fail = ff;
				snprintf(c->err, sizeof c->err, "%s", first);
			}
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Frames larger than this are never held back (conn_hold): they go out at once. */
#define HOLD_MAX (64u * 1024u)

/* Append n bytes to what is held back. -1 (nothing appended) if too large or out of memory. */
static int
held_add(struct conn *c, const uint8_t *p, size_t n)
{
	if (n > HOLD_MAX || c->held_len + n > HOLD_MAX)
		return -1;
	if (c->held_len + n > c->held_cap) {
		size_t cap = c->held_len + n < 1024 ? 1024 : HOLD_MAX;
		uint8_t *h = realloc(c->held, cap);
		if (h == NULL)
			return -1;
		c->held = h;
		c->held_cap = cap;
	}
	memcpy(c->held + c->held_len, p, n);
	c->held_len += n;
	return 0;
}

void
conn_hold(struct conn *c)
{
	c->hold = 1;
}

int
conn_flush(struct conn *c)
{
	size_t n = c->held_len;

	c->hold = 0;
	if (n == 0)
		return 0;
	/* Emptied first: a failed write reads the server's last words (ssl_write_all). */
	c->held_len = 0;
	return ssl_write_all(c, c->held, n);
}

/*
 * Write one frame, or its first part when more follows at once (more):
 * held back when conn_hold asked for it (the first frame after it only),
 * else sent with whatever is held, in one write.
 */
static int
conn_write(struct conn *c, const uint8_t *p, size_t n, bool more)
{
	if (c->hold && !more) {
		c->hold = 0;
		if (held_add(c, p, n) == 0)
			return 0;
	}
	c->hold = 0;
	if (c->held_len > 0) {
		if (held_add(c, p, n) == 0)
			return conn_flush(c);
		if (conn_flush(c) != 0)
			return -1;
	}
	return ssl_write_all(c, p, n);
}

int
conn_send(struct conn *c, Tongxin__Envelope *env)
{
	size_t n;
	uint8_t *buf;
	int rc;

	if (env->id == 0)
		env->id = c->next_id++;
	if ((buf = frame_encode(env, &n)) == NULL)
		return conn_fail(c, SYNC_LOCAL, "message too large to send");
	rc = conn_write(c, buf, n, false);
	free(buf);
	return rc;
}

void
conn_wait(struct conn *c, int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	if (c->fd < 0 || ms == c->wait_ms)
		return;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	c->wait_ms = ms;
}

int
conn_send_body(struct conn *c, uint32_t id, uint32_t body_field, const uint8_t *body, size_t n)
{
	struct pbw env;
	size_t total;
	int rc;

	/* Envelope = id (field 1) + the body as a length-delimited field. */
	total = 1 + pb_varint_size(id) + pb_varint_size((uint64_t)body_field << 3) +
	    pb_varint_size(n) + n;
	if (total > FRAME_MAX)
		return conn_fail(c, SYNC_LOCAL, "message too large to send");
	pbw_init(&env, 64);
	pbw_raw(&env, (uint8_t[4]){ (uint8_t)(total >> 24), (uint8_t)(total >> 16),
	    (uint8_t)(total >> 8), (uint8_t)total }, 4);
	pbw_uint(&env, 1, id);
	pbw_tag(&env, body_field, PB_LEN);
	pbw_varint(&env, n);
	rc = env.failed ? conn_fail(c, SYNC_LOCAL, "out of memory") :
	    conn_write(c, env.p, env.len, true) == 0 && ssl_write_all(c, body, n) == 0 ? 0 : -1;
	pbw_free(&env);
	return rc;
}

/* Read exactly n bytes. */
static int
read_full(struct conn *c, uint8_t *p, size_t n)
{
	size_t off = 0;

	/* What was held back for this exchange goes out before we wait for its answer. */
	if (c->held_len > 0 && conn_flush(c) != 0)
		return -1;
	ERR_clear_error();
	while (off < n) {
		int r;
		errno = 0;
		r = SSL_read(c->ssl, p + off, (int)(n - off > 1 << 30 ? 1 << 30 : n - off));
		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return conn_fail(c, SYNC_PROTOCOL, "the server closed the connection");
			/* SO_RCVTIMEO ran out: OpenSSL 3 says WANT_READ, older ones SYSCALL. */
			if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ||
			    e == SSL_ERROR_SYSCALL) && (errno == EAGAIN || errno == EWOULDBLOCK))
				return conn_fail(c, SYNC_PROTOCOL, "no answer from the server within %d s",
				    c->wait_ms / 1000);
			return tls_fail(c, "reading", false);
		}
		off += (size_t)r;
	}
	return 0;
}

int
conn_read_frame(struct conn *c, size_t cap, uint8_t **buf, size_t *bufcap, uint32_t *len)
{
	uint8_t hdr[FRAME_HDR_LEN];
	enum frame_status fs;

	*len = 0;
	if (read_full(c, hdr, sizeof hdr) != 0)
		return -1;
	/* frame_peek wants the body too; check the header alone first. */
	fs = frame_peek(hdr, sizeof hdr, cap, len);
	if (fs == FRAME_EMPTY || fs == FRAME_OVERSIZE)
		return conn_fail(c, SYNC_PROTOCOL, "the server sent a %s frame",
		    fs == FRAME_EMPTY ? "zero-length" : "too large");
	if (*len > *bufcap) {
		/* frame_peek bounded len by cap; free first, the old bytes are not needed. */
		free(*buf);
		*bufcap = 0;
		if ((*buf = malloc(*len)) == NULL)
			return conn_fail(c, SYNC_LOCAL, "out of memory");
		*bufcap = *len;
	}
	return read_full(c, *buf, *len);
}

Tongxin__Envelope *
conn_recv(struct conn *c, size_t cap)
{
	uint32_t len;

	if (conn_read_frame(c, cap, &c->rbuf, &c->rbuf_cap, &len) != 0)
		return NULL;
	return conn_check(c, frame_decode(c->rbuf, len), len);
}

Tongxin__Envelope *
conn_check(struct conn *c, Tongxin__Envelope *env, size_t len)
{
	if (env == NULL) {
		conn_fail(c, SYNC_PROTOCOL, "the server sent an unreadable message (%zu bytes)", len);
		return NULL;
	}
	if (env->body_case == TONGXIN__ENVELOPE__BODY_ERROR) {
		Tongxin__Error *e = env->error;
		enum sync_fail f = SYNC_SERVER;
		c->remote_code = e->code;
		switch (e->code) {
		case TONGXIN__ERROR_CODE__ERR_REVOKED:
		case TONGXIN__ERROR_CODE__ERR_UNKNOWN_DEVICE:
		case TONGXIN__ERROR_CODE__ERR_FORBIDDEN:
		case TONGXIN__ERROR_CODE__ERR_CREDENTIAL_IN_USE:
			f = SYNC_REFUSED;
			break;
		case TONGXIN__ERROR_CODE__ERR_PROTOCOL_VERSION:
		case TONGXIN__ERROR_CODE__ERR_SCHEMA_MISMATCH:
			f = SYNC_MISMATCH;
			break;
		case TONGXIN__ERROR_CODE__ERR_INTERNAL:
		case TONGXIN__ERROR_CODE__ERR_SHUTTING_DOWN:
		case TONGXIN__ERROR_CODE__ERR_BUSY:
			f = SYNC_SERVER;
			break;
		case TONGXIN__ERROR_CODE__ERR_BAD_REQUEST:
		case TONGXIN__ERROR_CODE__ERR_TOO_LARGE:
			f = SYNC_DECLINED;   /* e.g. a resolution the server cannot apply */
			break;
		case TONGXIN__ERROR_CODE__ERR_NOT_FOUND:
			f = SYNC_NOT_FOUND;
			break;
		default:
			f = SYNC_PROTOCOL;
			break;
		}
		if (e->code == TONGXIN__ERROR_CODE__ERR_REVOKED)
			conn_fail(c, f, "certificate revoked: %s", e->message);
		else if (e->code == TONGXIN__ERROR_CODE__ERR_CREDENTIAL_IN_USE)
			conn_fail(c, f, "此设备凭据已在另一台电脑上使用，不能在两台电脑上共用。"
			    "请街道为这台电脑单独登记设备（tongxind enroll），再用新的凭据包加入"
			    "（tongxin join）；本机尚未发送的修改仍保存在本机，没有丢失。 "
			    "This device's credential already belongs to another computer. Ask the "
			    "street office to enroll this computer as a device of its own and join "
			    "with the new bundle; the changes made here were not sent and are kept.");
		else if (e->code == TONGXIN__ERROR_CODE__ERR_PROTOCOL_VERSION)
			conn_fail(c, f, "protocol version %u required: %s", e->required_protocol_version,
			    e->message);
		else
			conn_fail(c, f, "the server refused: %s", e->message);
		envelope_free(env);
		return NULL;
	}
	return env;
}

void
conn_close(struct conn *c, SSL_SESSION **session)
{
	if (c->ssl != NULL) {
		if (session != NULL) {
			SSL_SESSION *s = SSL_get1_session(c->ssl);
			if (s != NULL) {
				SSL_SESSION_free(*session);
				*session = s;
			}
		}
		if (c->fd >= 0 && c->fail == SYNC_OK)
			SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->held);
	c->held = NULL;
	c->held_len = c->held_cap = 0;
	c->hold = 0;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rbuf_cap = 0;
}

int
conn_take_welcome(struct conn *c)
{
	uint32_t hid = c->hello_id;
	Tongxin__Envelope *env;
	int rc = 0;

	if (hid == 0)
		return 0;
	c->hello_id = 0;
	if ((env = conn_recv(c, FRAME_MAX)) == NULL)
		return -1;
	if (env->body_case != TONGXIN__ENVELOPE__BODY_WELCOME || env->id != hid)
		rc = conn_fail(c, SYNC_PROTOCOL, "unexpected %s reply from the server",
		    envelope_body_name(env));
	else if (c->welcome_cb != NULL)
		rc = c->welcome_cb(c, env->welcome, c->welcome_arg);
	envelope_free(env);
	return rc;
}

/* Expect a reply of the given kind to request id (after the Welcome, if one is owed). */
Tongxin__Envelope *
conn_expect(struct conn *c, uint32_t id, Tongxin__Envelope__BodyCase body)
{
	Tongxin__Envelope *env;

	if (conn_take_welcome(c) != 0 || (env = conn_recv(c, FRAME_MAX)) == NULL)
		return NULL;
	if (env->body_case != body || env->id != id) {
		conn_fail(c, SYNC_PROTOCOL, "unexpected %s reply from the server",
		    envelope_body_name(env));
		envelope_free(env);
		return NULL;
	}
	return env;
}

/* What the Welcome said, kept until the replica may be written (see welcome_record). */
struct hello_state {
	const char *device_id;      /* the device this replica was joined as */
	struct sync_report *rep;
	uint64_t last_seq;
	int welcomed;
	/* The database's epoch: as this replica last knew it, and as the Welcome says. */
	char stored_epoch[40];
	char epoch[40];
	uint64_t restored_version, version_floor;
	char stored_tz[80], tz[80];  /* the street's time zone, likewise */
	int recover;                /* the server was restored since: recovery is due */
	int stop_on_recover;        /* fail the exchange with SYNC_RECOVER when it is */
};

/*
 * The Welcome arrived: check it names this replica's device, and keep what
 * it says. It may run on the pull's reader thread, so it writes nothing to
 * the replica; welcome_record does that afterwards.
 */
static int
welcome_copy(struct conn *c, const Tongxin__Welcome *w, void *arg)
{
	struct hello_state *hs = arg;
	struct sync_report *rep = hs->rep;

	if (strcmp(w->device_id, hs->device_id) != 0)
		return conn_fail(c, SYNC_REFUSED, "the server knows this credential as another device");
	snprintf(rep->street, sizeof rep->street, "%s", w->street_name);
	snprintf(rep->device, sizeof rep->device, "%s", w->device_name);
	snprintf(rep->role, sizeof rep->role, "%s", w->role);
	snprintf(rep->server_version, sizeof rep->server_version, "%s", w->server_version);
	hs->last_seq = w->last_seq;
	hs->welcomed = 1;
	if (strlen(w->time_zone) < sizeof hs->tz)
		snprintf(hs->tz, sizeof hs->tz, "%s", w->time_zone);
	if (w->epoch[0] == '\0' || strlen(w->epoch) >= sizeof hs->epoch)
		return 0;   /* a server from before epochs */
	snprintf(hs->epoch, sizeof hs->epoch, "%s", w->epoch);
	hs->restored_version = w->restored_version;
	hs->version_floor = w->version_floor;
	if (strcmp(hs->stored_epoch, w->epoch) == 0)
		return 0;
	/*
	 * Another epoch: the server's database was restored since this replica
	 * last synced. A replica that never knew an epoch (from before them, or
	 * new) recovers too when the server was ever restored: what it holds of
	 * the lost versions (nothing, if it is new) goes back.
	 */
	if (hs->stored_epoch[0] == '\0' && w->restored_version == 0)
		return 0;
	if (w->restored_version == 0 || w->version_floor <= w->restored_version)
		return conn_fail(c, SYNC_REFUSED, "服务器的数据库已被另一个替换（不是从备份恢复），本副本不能与之同步。"
		    "The server's database was replaced by another one, not restored from a backup; "
		    "this replica cannot sync with it (join again with a new bundle)");
	hs->recover = 1;
	rep->restored = 1;
	if (hs->stop_on_recover)
		return conn_fail(c, SYNC_RECOVER, "the server was restored from a backup");
	return 0;
}

/* Record the Welcome in the replica: the sequence floor, the street, the time of contact. */
static int
welcome_record(struct conn *c, struct replica *r, struct hello_state *hs)
{
	char err[256] = "";
	bool new_tz = hs->tz[0] && strcmp(hs->tz, hs->stored_tz) != 0;

	if (!hs->welcomed)
		return 0;
	hs->welcomed = 0;
	if (rep_seq_floor(r, hs->last_seq) != 0 || rep_contact(r, hs->rep->street) != 0 ||
	    (new_tz && db_meta_set(replica_db(r), "time_zone", hs->tz) != 0))
		return conn_fail(c, SYNC_LOCAL, "cannot write the replica: %s",
		    sqlite3_errmsg(replica_db(r)));
	/*
	 * A new zone takes effect now, not at the next open: the web desk keeps
	 * its replica open. One this machine does not know keeps its own.
	 */
	if (new_tz && tz_use(hs->tz, true, err, sizeof err) != 0)
		log_info("sync: the street's time zone \"%s\" is not known here (%s); today is "
		    "this computer's", text_show(hs->tz), err);
	err[0] = '\0';
	/* The first epoch this replica meets is its own; a new one waits for the recovery. */
	if (hs->epoch[0] && !hs->recover && strcmp(hs->epoch, hs->stored_epoch) != 0) {
		if (rep_epoch_adopt(r, hs->epoch, false, err, sizeof err) != 0)
			return conn_fail(c, SYNC_LOCAL, "%s", err);
		snprintf(hs->stored_epoch, sizeof hs->stored_epoch, "%s", hs->epoch);
	}
	return 0;
}

/*
 * Send the Hello; its Welcome is read by the first conn_expect after it (or
 * conn_take_welcome), so a pull can follow without waiting a round trip.
 */
static int
hello_send(struct conn *c, struct replica *r, const struct rep_info *info,
    const struct sync_opts *o, struct hello_state *hs, struct sync_report *rep)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	uint8_t hash[32];
	char rid[ID_TEXT_LEN + 1];

	memset(hs, 0, sizeof *hs);
	hs->device_id = info->device_id;
	hs->rep = rep;
	db_meta_get(replica_db(r), "epoch", hs->stored_epoch, sizeof hs->stored_epoch);
	db_meta_get(replica_db(r), "time_zone", hs->stored_tz, sizeof hs->stored_tz);
	schema_hash(hash);
	h.protocol_version = PROTOCOL_VERSION;
	h.schema_hash.data = hash;
	h.schema_hash.len = sizeof hash;
	h.program_version = TONGXIN_VERSION;
	h.operator_name = (char *)(o->operator_name ? o->operator_name : "");
	/* The replica's identity, made at join (by the first sync for older replicas). */
	if (db_meta_get(replica_db(r), "replica_id", rid, sizeof rid) != 0 || !id_valid(rid)) {
		if (id_new(rid) != 0 || db_meta_set(replica_db(r), "replica_id", rid) != 0)
			return conn_fail(c, SYNC_LOCAL, "cannot give the replica its identity: %s",
			    sqlite3_errmsg(replica_db(r)));
	}
	h.replica_id = rid;
	h.recovers = 1;
	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	if (conn_send(c, &env) != 0)
		return -1;
	c->hello_id = env.id;
	c->welcome_cb = welcome_copy;
	c->welcome_arg = hs;
	return 0;
}

/* One push request on the wire whose result has not been read yet. */
struct push_flight {
	uint32_t id;
	int ntxns;
};

/* Read the result of the oldest push in flight and record it in the replica. */
static int
push_result(struct conn *c, struct replica *r, const struct sync_opts *o, struct sync_report *rep,
    const struct push_flight *f)
{
	Tongxin__Envelope *in;
	char err[512] = "";

	if ((in = conn_expect(c, f->id, TONGXIN__ENVELOPE__BODY_PUSH_RESULT)) == NULL)
		return -1;
	if (in->push_result->n_results != (size_t)f->ntxns) {
		envelope_free(in);
		return conn_fail(c, SYNC_PROTOCOL, "the server answered %zu of %d transactions",
		    in->push_result->n_results, f->ntxns);
	}
	if (o->die_after_push)
		_exit(3);   /* test hook: the server committed, the client never records it */
	if (rep_ack(r, in->push_result, &rep->acks, err, sizeof err) != 0) {
		envelope_free(in);
		return conn_fail(c, SYNC_LOCAL, "%s", err);
	}
	rep->pushed_txns += f->ntxns;
	envelope_free(in);
	if (o->progress)
		fprintf(stderr, "\r推送 pushed %lld transactions…", (long long)rep->pushed_txns);
	return 0;
}

/*
 * Push the outbox, PUSH_WINDOW batches in flight: the next batch travels
 * while the server applies the previous one. Exactly once still holds: the
 * server applies a session's requests in order, every transaction keeps its
 * (device, seq) key, and a batch whose result never arrives stays in the
 * outbox to be sent again (and acknowledged again, not applied again). The
 * results are small (rows the server holds as sent carry only a version),
 * so a window of a few batches cannot fill the server's output while we
 * write. The outbox bytes go out as they are stored.
 */
static int
do_push(struct conn *c, struct replica *r, const struct sync_opts *o, struct sync_report *rep)
{
	struct push_flight fl[PUSH_WINDOW];
	int head = 0, nfl = 0, drained = 0;
	uint64_t after = 0;
	struct pbw req;
	int rc = -1;

	pbw_init(&req, PUSH_BATCH_BYTES + (PUSH_BATCH_BYTES / 8));
	for (;;) {
		while (!drained && nfl < PUSH_WINDOW) {
			int n;
			pbw_reset(&req);
			if ((n = rep_outbox_batch(r, &after, PUSH_BATCH_TXNS, PUSH_BATCH_BYTES,
			    &req)) < 0) {
				conn_fail(c, SYNC_LOCAL, "cannot read the outbox%s",
				    req.failed ? ": a transaction is larger than a push may be" : "");
				goto out;
			}
			if (n == 0) {
				drained = 1;
				break;
			}
			/* The server confirms this device before anything of ours is applied. */
			if (conn_take_welcome(c) != 0)
				goto out;
			fl[(head + nfl) % PUSH_WINDOW].id = c->next_id++;
			fl[(head + nfl) % PUSH_WINDOW].ntxns = n;
			if (conn_send_body(c, fl[(head + nfl) % PUSH_WINDOW].id,
			    TONGXIN__ENVELOPE__BODY_PUSH, req.p, req.len) != 0)
				goto out;
			nfl++;
			/*
			 * The server is silent while it applies a batch (and the next
			 * may wait in its socket meanwhile): on a loaded machine a large
			 * one takes longer than the idle timeout, so wait longer here.
			 */
			conn_wait(c, c->timeout_ms * PUSH_WAIT_FACTOR);
		}
		if (nfl == 0)
			break;
		if (push_result(c, r, o, rep, &fl[head]) != 0)
			goto out;
		conn_wait(c, c->timeout_ms);
		head = (head + 1) % PUSH_WINDOW;
		nfl--;
	}
	rc = 0;
out:
	pbw_free(&req);
	return rc;
}

/* Send the replica's digests; the server compares them with its view of our scope. */
static int
do_verify(struct conn *c, struct replica *r, struct sync_report *rep)
{
	Tongxin__ReplicaCheck chk = TONGXIN__REPLICA_CHECK__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	char hashes[TBL_COUNT][65];
	char *ptrs[TBL_COUNT];

	if (replica_info(r)->pending_txns > 0) {
		snprintf(rep->verify, sizeof rep->verify, "skipped: changes still pending");
		return 0;
	}
	for (int t = 0; t < TBL_COUNT; t++) {
		if (rep_table_hash(replica_db(r), t, NULL, hashes[t]) != 0)
			return conn_fail(c, SYNC_LOCAL, "cannot digest the replica");
		ptrs[t] = hashes[t];
	}
	chk.table_hashes = ptrs;
	chk.n_table_hashes = TBL_COUNT;
	env.body_case = TONGXIN__ENVELOPE__BODY_REPLICA_CHECK;
	env.replica_check = &chk;
	if (conn_send(c, &env) != 0 ||
	    (in = conn_expect(c, env.id, TONGXIN__ENVELOPE__BODY_REPLICA_CHECK_RESULT)) == NULL)
		return -1;
	if (in->replica_check_result->match) {
		snprintf(rep->verify, sizeof rep->verify, "match");
	} else {
		size_t n = (size_t)snprintf(rep->verify, sizeof rep->verify, "MISMATCH in");
		for (size_t i = 0; i < in->replica_check_result->n_mismatched_tables; i++)
			n += (size_t)snprintf(rep->verify + n, sizeof rep->verify - n, " %s",
			    in->replica_check_result->mismatched_tables[i]);
	}
	envelope_free(in);
	return 0;
}

/*
 * The last TLS context made in this process, and the credential file it was
 * made from. A process that syncs again and again (the web desk) parses the
 * credential and builds the context once; a changed file (a new bundle
 * joined) is noticed by its inode, size and modification time. The session
 * its last sync kept is there too: decoding the replica's copy
 * (d2i_SSL_SESSION, which decodes the server's certificate again) costs
 * more than the rest of a resumed handshake.
 */
static struct {
	pthread_mutex_t mu;
	char path[4200];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	SSL_CTX *ctx;
	SSL_SESSION *sess;          /* resumable, made with ctx; NULL: none yet */
} ctx_cache = { .mu = PTHREAD_MUTEX_INITIALIZER };

/*
 * A TLS context from the credential kept beside the replica, from the
 * cache when the file is unchanged. The caller frees its reference
 * (SSL_CTX_free). With sess, *sess is the session kept with a cached
 * context (device_session_keep), a reference the caller frees, or NULL.
 * NULL with err.
 */
static SSL_CTX *
device_ctx(struct replica *r, const struct rep_info *info, SSL_SESSION **sess, char *err,
    size_t errlen)
{
	struct pki_cred cred;
	SSL_CTX *ctx;
	struct stat sb;
	char path[sizeof ctx_cache.path];
	int known;

	if (sess != NULL)
		*sess = NULL;
	snprintf(path, sizeof path, "%s.credential", info->path);
	known = stat(path, &sb) == 0;
	pthread_mutex_lock(&ctx_cache.mu);
	if (known && ctx_cache.ctx != NULL && strcmp(ctx_cache.path, path) == 0 &&
	    ctx_cache.dev == sb.st_dev && ctx_cache.ino == sb.st_ino &&
	    ctx_cache.size == sb.st_size && ctx_cache.mtime.tv_sec == sb.st_mtim.tv_sec &&
	    ctx_cache.mtime.tv_nsec == sb.st_mtim.tv_nsec && SSL_CTX_up_ref(ctx_cache.ctx) == 1) {
		ctx = ctx_cache.ctx;
		if (sess != NULL && ctx_cache.sess != NULL && SSL_SESSION_up_ref(ctx_cache.sess) == 1)
			*sess = ctx_cache.sess;
		pthread_mutex_unlock(&ctx_cache.mu);
		return ctx;
	}
	pthread_mutex_unlock(&ctx_cache.mu);
	if (replica_credential(r, &cred, err, errlen) != 0)
		return NULL;
	ctx = tls_client_ctx_deferred(&cred, err, errlen);
	pki_cred_clear(&cred);
	if (ctx == NULL || !known)
		return ctx;
	pthread_mutex_lock(&ctx_cache.mu);
	if (SSL_CTX_up_ref(ctx) == 1) {
		SSL_CTX_free(ctx_cache.ctx);
		SSL_SESSION_free(ctx_cache.sess);
		ctx_cache.sess = NULL;
		ctx_cache.ctx = ctx;
		snprintf(ctx_cache.path, sizeof ctx_cache.path, "%s", path);
		ctx_cache.dev = sb.st_dev;
		ctx_cache.ino = sb.st_ino;
		ctx_cache.size = sb.st_size;
		ctx_cache.mtime = sb.st_mtim;
	}
	pthread_mutex_unlock(&ctx_cache.mu);
	return ctx;
}

/* Keep sess (resumable, made with ctx) for the next sync with the cached context ctx. */
static void
device_session_keep(SSL_CTX *ctx, SSL_SESSION *sess)
{
	pthread_mutex_lock(&ctx_cache.mu);
	if (ctx_cache.ctx == ctx && ctx_cache.sess != sess && SSL_SESSION_up_ref(sess) == 1) {
		SSL_SESSION_free(ctx_cache.sess);
		ctx_cache.sess = sess;
	}
	pthread_mutex_unlock(&ctx_cache.mu);
}

int
sync_request(struct replica *r, const struct sync_opts *o, Tongxin__Envelope *req,
    Tongxin__Envelope__BodyCase want, Tongxin__Envelope **reply, enum sync_fail *fail,
    char *err, size_t errlen)
{
	const struct rep_info *info = replica_info(r);
	struct sync_report rep;
	struct hello_state hs;
	SSL_CTX *ctx;
	struct conn c;
	int rc = -1;

	*reply = NULL;
	*fail = SYNC_OK;
	memset(&rep, 0, sizeof rep);
	if ((ctx = device_ctx(r, info, NULL, err, errlen)) == NULL) {
		*fail = SYNC_LOCAL;
		return -1;
	}
	if (conn_open(&c, ctx, o->server ? o->server : info->server, NULL,
	    o->timeout_ms) == 0 && hello_send(&c, r, info, o, &hs, &rep) == 0 &&
	    conn_take_welcome(&c) == 0 && welcome_record(&c, r, &hs) == 0 &&
	    conn_send(&c, req) == 0 && (*reply = conn_expect(&c, req->id, want)) != NULL)
		rc = 0;
	if (rc != 0) {
		*fail = c.fail ? c.fail : SYNC_PROTOCOL;
		snprintf(err, errlen, "%s", c.err);
	}
	conn_close(&c, NULL);
	SSL_CTX_free(ctx);
	return rc;
}

/* Send one batch of recovered rows and add up the server's answer (rep_recover_scan's each). */
struct recover_ctx {
	struct conn *c;
	const struct sync_opts *o;
	struct hello_state *hs;
	struct sync_report *rep;
	int finished;               /* the server says this device's recovery is complete */
};

static int
recover_batch(Tongxin__Row *const *rows, size_t n, bool last, void *arg)
{
	struct recover_ctx *x = arg;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	Tongxin__RecoverRequest req = TONGXIN__RECOVER_REQUEST__INIT;
	const Tongxin__RecoverResponse *res;

	req.epoch = x->hs->epoch;
	req.rows = (Tongxin__Row **)rows;
	req.n_rows = n;
	req.done = last;
	env.body_case = TONGXIN__ENVELOPE__BODY_RECOVER;
	env.recover = &req;
	if (conn_send(x->c, &env) != 0 ||
	    (in = conn_expect(x->c, env.id, TONGXIN__ENVELOPE__BODY_RECOVER_RESULT)) == NULL)
		return -1;
	res = in->recover_result;
	x->rep->recover_rows += n;
	x->rep->recover_applied += res->applied;
	x->rep->recover_known += res->known;
	x->rep->recover_conflicts += res->conflicts;
	x->rep->recover_rejected += res->rejected;
	x->finished = res->finished;
	envelope_free(in);
	if (x->o->progress)
		fprintf(stderr, "\r恢复 sent back %llu rows to the restored server…",
		    (unsigned long long)x->rep->recover_rows);
	/* A server that has this device's whole recovery already wants no more. */
	return x->finished && !last ? 1 : 0;
}

/* Kept conflicts sent again, as a push (rep_open_conflicts's each). */
struct resend_ctx {
	struct conn *c;
	struct replica *r;
	const struct sync_opts *o;
	struct sync_report *rep;
	struct pbw req;
	int n;
};

static int
resend_flush(struct resend_ctx *x)
{
	struct push_flight f;

	if (x->n == 0)
		return 0;
	f.id = x->c->next_id++;
	f.ntxns = x->n;
	if (conn_send_body(x->c, f.id, TONGXIN__ENVELOPE__BODY_PUSH, x->req.p, x->req.len) != 0)
		return -1;
	conn_wait(x->c, x->c->timeout_ms * PUSH_WAIT_FACTOR);
	if (push_result(x->c, x->r, x->o, x->rep, &f) != 0)
		return -1;
	x->rep->resent_conflicts += (uint64_t)x->n;
	x->n = 0;
	pbw_reset(&x->req);
	return 0;
}

static int
resend_one(const uint8_t *txn, size_t n, void *arg)
{
	struct resend_ctx *x = arg;

	if (x->n > 0 && x->req.len + n + 16 > PUSH_BATCH_BYTES && resend_flush(x) != 0)
		return -1;
	pbw_bytes(&x->req, 1, txn, n);
	if (x->req.failed)
		return conn_fail(x->c, SYNC_LOCAL, "a kept conflict is larger than a push may be");
	return ++x->n == PUSH_BATCH_TXNS ? resend_flush(x) : 0;
}

/*
 * The server was restored from a backup since this replica last synced
 * (the Welcome's epoch is new): send back the rows it holds at the versions
 * the server lost, send again the conflicts it may have lost, then take the
 * new epoch and pull every table again. Before any push or pull of the
 * sync, so nothing pulled overwrites what is to be sent back. Repeating it
 * (a kill halfway) changes nothing more on the server.
 */
static int
do_recover(struct conn *c, struct replica *r, const struct sync_opts *o, struct hello_state *hs,
    struct sync_report *rep)
{
	struct recover_ctx x = { c, o, hs, rep, 0 };
	struct resend_ctx y;
	char err[512] = "";
	uint64_t nrows;
	int rc;

	log_info("sync: the server was restored from a backup (versions %llu to %llu lost); "
	    "sending back what this replica holds of them",
	    (unsigned long long)hs->restored_version + 1, (unsigned long long)hs->version_floor);
	rc = rep_recover_scan(r, hs->restored_version, hs->version_floor, WIRE_MAX_RECOVER_ROWS / 2,
	    recover_batch, &x, &nrows, err, sizeof err);
	if (rc < 0 || (rc > 0 && !x.finished))
		return c->fail ? -1 : conn_fail(c, SYNC_LOCAL, "%s", err);
	if (o->progress && rep->recover_rows)
		fprintf(stderr, "\n");
	memset(&y, 0, sizeof y);
	y.c = c;
	y.r = r;
	y.o = o;
	y.rep = rep;
	pbw_init(&y.req, PUSH_BATCH_BYTES + (PUSH_BATCH_BYTES / 8));
	rc = rep_open_conflicts(r, resend_one, &y, err, sizeof err);
	if (rc == 0)
		rc = resend_flush(&y);
	pbw_free(&y.req);
	if (rc != 0)
		return c->fail ? -1 : conn_fail(c, SYNC_LOCAL, "%s", err);
	if (rep_epoch_adopt(r, hs->epoch, true, err, sizeof err) != 0)
		return conn_fail(c, SYNC_LOCAL, "%s", err);
	snprintf(hs->stored_epoch, sizeof hs->stored_epoch, "%s", hs->epoch);
	return 0;
}

static int sync_once(struct replica *r, const struct sync_opts *o, struct sync_report *rep,
    enum sync_fail *fail, char *err, size_t errlen, bool recovering);

int
sync_run(struct replica *r, const struct sync_opts *o, struct sync_report *rep,
    enum sync_fail *fail, char *err, size_t errlen)
{
	/*
	 * A sync learns that the server was restored from the Welcome, which
	 * may come after its pull went out: it stops there, and a second
	 * exchange recovers first.
	 */
	if (sync_once(r, o, rep, fail, err, errlen, false) == 0)
		return 0;
	if (*fail != SYNC_RECOVER)
		return -1;
	return sync_once(r, o, rep, fail, err, errlen, true);
}

static int
sync_once(struct replica *r, const struct sync_opts *o, struct sync_report *rep,
    enum sync_fail *fail, char *err, size_t errlen, bool recovering)
{
	const struct rep_info *info = replica_info(r);
	const char *server = o->server ? o->server : info->server;
	SSL_CTX *ctx = o->ctx;
	SSL_SESSION *stored = NULL, *kept = NULL, *mem = NULL, **sp = o->session;
	struct hello_state hs;
	struct conn c;
	int rc = -1, renewed;

	memset(rep, 0, sizeof *rep);
	memset(&hs, 0, sizeof hs);
	memset(&c, 0, sizeof c);
	c.fd = -1;
	*fail = SYNC_OK;
	if (ctx == NULL && (ctx = device_ctx(r, info, sp == NULL ? &mem : NULL, err, errlen)) ==
	    NULL) {
		*fail = SYNC_LOCAL;
		return -1;
	}
	/*
	 * Without a caller's session, resume the one this process's last sync
	 * kept, else the one the last sync kept in the replica.
	 */
	if (sp == NULL) {
		void *blob;
		size_t n;
		if (mem != NULL)
			stored = mem;
		else if (rep_get_blob(r, "tls_session", &blob, &n) == 0) {
			const unsigned char *p = blob;
			stored = d2i_SSL_SESSION(NULL, &p, (long)n);
			free(blob);
		}
		sp = &stored;
		kept = stored;
	}
	if (conn_open(&c, ctx, server, sp, o->timeout_ms) != 0)
		goto out;
	/*
	 * Hello, then at once the push or the pull: the Welcome is read before
	 * the first reply (conn_expect), so a sync with nothing to push costs
	 * one round trip after the handshake. The Hello is held back to leave
	 * with the Pull in one segment (conn_hold); a push waits for the
	 * Welcome, which sends it alone.
	 */
	conn_hold(&c);
	if (hello_send(&c, r, info, o, &hs, rep) != 0)
		goto out;
	hs.stop_on_recover = !recovering && !o->check_only;
	if (recovering) {
		rep->restored = 1;
		if (conn_take_welcome(&c) != 0 || (hs.recover && do_recover(&c, r, o, &hs, rep) != 0))
			goto out;
	}
	if (!o->check_only && !o->pull_only && do_push(&c, r, o, rep) != 0)
		goto out;
	if (o->progress && rep->pushed_txns)
		fprintf(stderr, "\n");
	if (!o->check_only && !o->push_only && sync_pull(&c, r, o, rep) != 0)
		goto out;
	if (conn_take_welcome(&c) != 0)
		goto out;
	if (o->verify && !o->check_only && do_verify(&c, r, rep) != 0)
		goto out;
	rc = 0;
out:
	/* What the Welcome said is kept even when a later step failed. */
	if (welcome_record(&c, r, &hs) != 0)
		rc = -1;
	if (rc != 0) {
		*fail = c.fail ? c.fail : SYNC_PROTOCOL;
		snprintf(err, errlen, "%s", c.err);
	}
	/*
	 * Keep the session in the replica when the server gave a new one (a
	 * full handshake, or a session it renewed); a resumed session stays
	 * resumable, so a sync that resumed writes nothing here.
	 */
	renewed = sp == &stored && c.ssl != NULL && SSL_get0_session(c.ssl) != kept;
	conn_close(&c, sp);
	if (sp == &stored && stored != NULL && rc == 0 && ctx != o->ctx &&
	    SSL_SESSION_is_resumable(stored))
		device_session_keep(ctx, stored);
	if (renewed && stored != NULL && rc == 0 && SSL_SESSION_is_resumable(stored)) {
		/*
		 * Kept without the server's certificate: the next process decodes
		 * the session before it resumes, and the certificate was most of
		 * that (OpenSSL 3.0 sets up its key decoders for it).
		 */
		unsigned char *der = NULL;
		int n = tls_session_der_slim(stored, &der);
		if (n > 0)
			rep_set_blob(r, "tls_session", der, (size_t)n);
		OPENSSL_free(der);
	}
	SSL_SESSION_free(stored);
	if (ctx != o->ctx)
		SSL_CTX_free(ctx);
	return rc;
}
