/*
 * server.c - tongxind's listener and sessions on libevent.
 *
 * A session moves through TLS (handshake; the client certificate is
 * verified against the street's CA by OpenSSL) -> HELLO (the device is
 * looked up by certificate serial and refused if unknown or revoked; only
 * a Hello is accepted, frames are capped at FRAME_MAX_PREAUTH) -> READY
 * (push and pull, frames up to FRAME_MAX) -> CLOSING (no more reading;
 * once the output has drained TLS is shut down properly and the session is
 * freed from a fresh event, never inside its own callback).
 *
 * Requests are handled one at a time in the read callback, so a session
 * has at most one request in flight; a pull streams its pages from the
 * write callback so a slow reader never makes the server buffer a whole
 * bootstrap.
 */
#include "server.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "frame.h"
#include "ids.h"
#include "log.h"
#include "pki.h"
#include "schema.h"
#include "store.h"
#include "tls.h"

#define FRAMES_PER_READ 16               /* fairness: frames handled per read callback */
#define OUTPUT_HIGH (32u * 1024u * 1024u) /* stop reading a peer whose output is this large */
#define PULL_LOW (1u * 1024u * 1024u)     /* produce the next pull page below this */
#define SESSIONS_PER_DEVICE 4             /* one device, a few windows at most */

enum session_state { S_TLS, S_HELLO, S_READY, S_CLOSING };

struct server;

struct session {
	TAILQ_ENTRY(session) entry;
	struct server *srv;
	struct bufferevent *bev;
	enum session_state state;
	char peer[80];
	struct store_device dev;
	char scope[512];
	char operator_name[65];
	int tls_up;            /* handshake completed: shut TLS down properly */
	Tongxin__ErrorCode refuse_code;  /* set: answer the Hello with this refusal */
	char refuse_msg[400];
	int free_scheduled;
	/* A pull in progress. */
	int pulling;
	uint32_t pull_req_id;
	uint32_t pull_max;
	uint64_t cursors[TBL_COUNT];
	uint64_t evict_cursor;
	uint64_t note_cursor;
	uint64_t pull_rows;
};

TAILQ_HEAD(session_list, session);

struct server {
	struct event_base *base;
	struct evconnlistener *listener;
	SSL_CTX *ctx;
	struct store *store;
	struct event *ev_term, *ev_int, *ev_grace;
	struct session_list sessions;
	int nsessions;
	int stopping;
	struct serve_opts opts;
	char street[256];
	uint8_t schema_hash[32];
};

static void session_close(struct session *s);

static const char *
state_name(enum session_state st)
{
	static const char *const names[] = { "tls", "hello", "ready", "closing" };
	return names[st];
}

/* Name of the peer for log lines: the device once known, else its address. */
static const char *
who(const struct session *s)
{
	static char buf[256];
	if (s->dev.name[0])
		snprintf(buf, sizeof buf, "device %s (%s, %s) from %s", s->dev.name, s->dev.role,
		    s->dev.org_code, s->peer);
	else
		snprintf(buf, sizeof buf, "%s", s->peer);
	return buf;
}

/* Queue an envelope on the session's output. -1 if it could not be encoded. */
static int
session_send(struct session *s, Tongxin__Envelope *env)
{
	size_t n;
	uint8_t *buf = frame_encode(env, &n);

	if (buf == NULL) {
		log_warnx("%s: cannot encode %s reply", who(s), envelope_body_name(env));
		return -1;
	}
	bufferevent_write(s->bev, buf, n);
	free(buf);
	return 0;
}

/* Send an Error and close once it has been written. */
static void
session_fail(struct session *s, uint32_t id, Tongxin__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
session_fail(struct session *s, uint32_t id, Tongxin__ErrorCode code, const char *fmt, ...)
{
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	Tongxin__Error e = TONGXIN__ERROR__INIT;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_info("%s: refused: %s", who(s), msg);
	e.code = code;
	e.message = msg;
	if (code == TONGXIN__ERROR_CODE__ERR_PROTOCOL_VERSION)
		e.required_protocol_version = PROTOCOL_VERSION;
	env.id = id;
	env.body_case = TONGXIN__ENVELOPE__BODY_ERROR;
	env.error = &e;
	if (s->tls_up)
		session_send(s, &env);
	session_close(s);
}

static void
session_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct session *s = arg;
	struct server *srv = s->srv;
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	(void)fd;
	(void)what;
	/* A proper close_notify keeps the session resumable. */
	if (ssl != NULL && s->tls_up)
		SSL_shutdown(ssl);
	/*
	 * Closing a socket with unread input makes the kernel send a reset,
	 * which can destroy our last reply in flight: half-close, then drain
	 * what has already arrived.
	 */
	{
		evutil_socket_t sock = bufferevent_getfd(s->bev);
		if (sock >= 0) {
			char sink[4096];
			size_t total = 0;
			ssize_t n;
			shutdown(sock, SHUT_WR);
			while (total < 65536 && (n = recv(sock, sink, sizeof sink, MSG_DONTWAIT)) > 0)
				total += (size_t)n;
		}
	}
	bufferevent_free(s->bev);
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	free(s);
	if (srv->stopping && srv->nsessions == 0)
		event_base_loopexit(srv->base, NULL);
}

/* Free the session from a fresh event: never inside its own callback. */
static void
session_free_later(struct session *s)
{
	struct timeval now = { 0, 0 };

	if (s->free_scheduled)
		return;
	s->free_scheduled = 1;
	s->state = S_CLOSING;
	bufferevent_disable(s->bev, EV_READ | EV_WRITE);
	if (event_base_once(s->srv->base, -1, EV_TIMEOUT, session_free_cb, s, &now) != 0)
		fatalx("cannot schedule a session's release");
}

static void
closing_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	(void)bev;
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_free_later(s);
}

/* Stop reading; free once the output has drained. */
static void
session_close(struct session *s)
{
	if (s->state == S_CLOSING)
		return;
	s->state = S_CLOSING;
	s->pulling = 0;
	bufferevent_disable(s->bev, EV_READ);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	if (!s->tls_up || evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		session_free_later(s);
		return;
	}
	bufferevent_setcb(s->bev, NULL, closing_write_cb, NULL, s);
	bufferevent_enable(s->bev, EV_WRITE);
}

static void
set_timeout(struct session *s, int secs)
{
	struct timeval tv = { secs, 0 };
	bufferevent_set_timeouts(s->bev, &tv, &tv);
}

/* --- requests ----------------------------------------------------------- */

static void
handle_hello(struct session *s, const Tongxin__Envelope *env)
{
	const Tongxin__Hello *h = env->hello;
	Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;
	Tongxin__Welcome w = TONGXIN__WELCOME__INIT;

	if (s->refuse_code != 0) {
		session_fail(s, env->id, s->refuse_code, "%s", s->refuse_msg);
		return;
	}
	if (h->protocol_version != PROTOCOL_VERSION) {
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_PROTOCOL_VERSION,
		    "protocol version %d required (the client speaks version %u); "
		    "install the matching tongxin", PROTOCOL_VERSION, h->protocol_version);
		return;
	}
	if (h->schema_hash.len != sizeof s->srv->schema_hash ||
	    memcmp(h->schema_hash.data, s->srv->schema_hash, sizeof s->srv->schema_hash) != 0) {
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_SCHEMA_MISMATCH,
		    "the client's data schema differs from the server's; install the tongxin "
		    "that matches tongxind %s", TONGXIN_VERSION);
		return;
	}
	if (strlen(h->operator_name) > 64 || strlen(h->program_version) > 64) {
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "operator name or program version longer than 64 bytes");
		return;
	}
	snprintf(s->operator_name, sizeof s->operator_name, "%s", h->operator_name);
	w.protocol_version = PROTOCOL_VERSION;
	w.server_version = TONGXIN_VERSION;
	w.device_name = s->dev.name;
	w.device_id = s->dev.id;
	w.org_code = s->dev.org_code;
	w.role = s->dev.role;
	w.street_name = s->srv->street;
	w.server_time_ms = (uint64_t)now_ms();
	w.last_seq = store_device_last_seq(s->srv->store, s->dev.id);
	out.id = env->id;
	out.body_case = TONGXIN__ENVELOPE__BODY_WELCOME;
	out.welcome = &w;
	if (session_send(s, &out) != 0) {
		session_close(s);
		return;
	}
	s->state = S_READY;
	set_timeout(s, s->srv->opts.idle_timeout_s);
	store_device_seen(s->srv->store, s->dev.id, "seen");
	log_info("%s: hello (client %s%s%s)", who(s), h->program_version,
	    s->operator_name[0] ? ", operator " : "", s->operator_name);
}

static void
fill_actor(const struct session *s, struct store_actor *a)
{
	memset(a, 0, sizeof *a);
	a->device_id = s->dev.id;
	a->device_name = s->dev.name;
	a->role = s->dev.role;
	a->scope = s->scope;
	a->operator_name = s->operator_name;
}

static void
handle_push(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__PushResponse *resp = NULL;
	Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;
	struct store_actor a;
	char err[512] = "";
	size_t counts[4] = { 0, 0, 0, 0 }, dups = 0;

	fill_actor(s, &a);
	if (store_push(s->srv->store, &a, env->push, &resp, err, sizeof err) != 0) {
		log_warnx("%s: push of %zu transactions failed: %s", who(s), env->push->n_txns, err);
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server could not store this push (%s); nothing of it was applied, "
		    "sync again later", err);
		return;
	}
	for (size_t i = 0; i < resp->n_results; i++) {
		counts[resp->results[i]->status & 3]++;
		dups += resp->results[i]->duplicate;
	}
	out.id = env->id;
	out.body_case = TONGXIN__ENVELOPE__BODY_PUSH_RESULT;
	out.push_result = resp;
	if (session_send(s, &out) != 0) {
		tongxin__push_response__free_unpacked(resp, NULL);
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "the push result is too large to send; push fewer transactions at once");
		return;
	}
	tongxin__push_response__free_unpacked(resp, NULL);
	store_device_seen(s->srv->store, s->dev.id, "push");
	log_info("%s: push: %zu applied, %zu merged, %zu conflict, %zu rejected, %zu already known",
	    who(s), counts[0], counts[1], counts[2], counts[3], dups);
}

/* Send pull pages until the output is full enough or the pull is done. */
static void
pull_continue(struct session *s)
{
	struct store_actor a;

	fill_actor(s, &a);
	while (s->pulling && s->state == S_READY &&
	    evbuffer_get_length(bufferevent_get_output(s->bev)) < PULL_LOW) {
		Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
		Tongxin__PullResponse *resp = NULL;
		Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;
		char err[512] = "";

		req.cursors = s->cursors;
		req.n_cursors = TBL_COUNT;
		req.evict_cursor = s->evict_cursor;
		req.note_cursor = s->note_cursor;
		req.max_rows = s->pull_max;
		if (store_pull(s->srv->store, &a, &req, &resp, err, sizeof err) != 0) {
			s->pulling = 0;
			session_fail(s, s->pull_req_id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
			    "the server could not read changes (%s); sync again later", err);
			return;
		}
		for (int t = 0; t < TBL_COUNT && t < (int)resp->n_cursors; t++)
			s->cursors[t] = resp->cursors[t];
		s->evict_cursor = resp->evict_cursor;
		s->note_cursor = resp->note_cursor;
		s->pull_rows += resp->n_rows;
		s->pulling = resp->more;
		out.id = s->pull_req_id;
		out.body_case = TONGXIN__ENVELOPE__BODY_PULL_RESULT;
		out.pull_result = resp;
		if (session_send(s, &out) != 0) {
			tongxin__pull_response__free_unpacked(resp, NULL);
			s->pulling = 0;
			session_fail(s, s->pull_req_id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
			    "a pull page could not be encoded");
			return;
		}
		tongxin__pull_response__free_unpacked(resp, NULL);
		if (!s->pulling) {
			store_device_seen(s->srv->store, s->dev.id, "pull");
			log_info("%s: pull: %llu rows sent", who(s), (unsigned long long)s->pull_rows);
			bufferevent_enable(s->bev, EV_READ);
		}
	}
}

static void
handle_pull(struct session *s, const Tongxin__Envelope *env)
{
	const Tongxin__PullRequest *p = env->pull;

	if (p->n_cursors > TBL_COUNT) {
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST,
		    "pull names %zu tables; this server has %d", p->n_cursors, TBL_COUNT);
		return;
	}
	memset(s->cursors, 0, sizeof s->cursors);
	for (size_t i = 0; i < p->n_cursors; i++)
		s->cursors[i] = p->cursors[i];
	s->evict_cursor = p->evict_cursor;
	s->note_cursor = p->note_cursor;
	s->pull_max = p->max_rows;
	s->pull_req_id = env->id;
	s->pull_rows = 0;
	s->pulling = 1;
	/* No new request is read until the pull has been sent. */
	bufferevent_disable(s->bev, EV_READ);
	pull_continue(s);
}

/* Send a reply whose body the caller built; frees nothing. */
static void
reply(struct session *s, uint32_t id, Tongxin__Envelope__BodyCase body, void *msg)
{
	Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;

	out.id = id;
	out.body_case = body;
	/* Every body is a pointer in the same union. */
	out.hello = msg;
	if (session_send(s, &out) != 0)
		session_fail(s, id, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "the answer is too large to send; narrow the request");
}

/* An administrator's request the store refused: say why and keep the session. */
static void
admin_error(struct session *s, uint32_t id, Tongxin__ErrorCode code, const char *what,
    const char *err)
{
	Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;
	Tongxin__Error e = TONGXIN__ERROR__INIT;

	log_info("%s: %s refused: %s", who(s), what, err);
	e.code = code;
	e.message = (char *)err;
	out.id = id;
	out.body_case = TONGXIN__ENVELOPE__BODY_ERROR;
	out.error = &e;
	if (session_send(s, &out) != 0)
		session_close(s);
}

static void
handle_conflict_list(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__ConflictListResponse *resp;
	char err[512] = "";

	if (store_conflict_list(s->srv->store, env->conflict_list->filter, &resp, err,
	    sizeof err) != 0) {
		admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, "conflict list", err);
		return;
	}
	reply(s, env->id, TONGXIN__ENVELOPE__BODY_CONFLICT_LIST_RESULT, resp);
	tongxin__conflict_list_response__free_unpacked(resp, NULL);
}

static void
handle_conflict_show(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__ConflictShowResponse resp = TONGXIN__CONFLICT_SHOW_RESPONSE__INIT;
	Tongxin__ConflictInfo *ci;
	char err[512] = "";

	if (store_conflict_show(s->srv->store, env->conflict_show->id, &ci, err, sizeof err) != 0) {
		admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_NOT_FOUND, "conflict show", err);
		return;
	}
	resp.conflict = ci;
	reply(s, env->id, TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT, &resp);
	tongxin__conflict_info__free_unpacked(ci, NULL);
}

static void
handle_conflict_resolve(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__ConflictResolveResponse *resp;
	struct store_actor a;
	char err[512] = "";

	fill_actor(s, &a);
	if (store_conflict_resolve(s->srv->store, &a, env->conflict_resolve, &resp, err,
	    sizeof err) != 0) {
		admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, "conflict resolve", err);
		return;
	}
	log_info("%s: conflict %s resolved: %s", who(s), resp->id, resp->resolution);
	reply(s, env->id, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, resp);
	tongxin__conflict_resolve_response__free_unpacked(resp, NULL);
}

static void
handle_audit(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__AuditResponse *resp;
	char err[512] = "";

	if (store_audit(s->srv->store, env->audit, &resp, err, sizeof err) != 0) {
		admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, "audit", err);
		return;
	}
	reply(s, env->id, TONGXIN__ENVELOPE__BODY_AUDIT_RESULT, resp);
	tongxin__audit_response__free_unpacked(resp, NULL);
}

static void
handle_devices(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__DevicesResponse *resp;
	char err[512] = "";

	if (store_devices(s->srv->store, &resp, err, sizeof err) != 0) {
		admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_INTERNAL, "devices", err);
		return;
	}
	reply(s, env->id, TONGXIN__ENVELOPE__BODY_DEVICES_RESULT, resp);
	tongxin__devices_response__free_unpacked(resp, NULL);
}

static void
handle_replica_check(struct session *s, const Tongxin__Envelope *env)
{
	Tongxin__ReplicaCheckResult *resp;
	struct store_actor a;
	char err[512] = "";

	fill_actor(s, &a);
	if (store_replica_check(s->srv->store, &a, env->replica_check, &resp, err,
	    sizeof err) != 0) {
		admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, "replica check", err);
		return;
	}
	log_info("%s: replica check: %s", who(s), resp->match ? "match" : "MISMATCH");
	reply(s, env->id, TONGXIN__ENVELOPE__BODY_REPLICA_CHECK_RESULT, resp);
	tongxin__replica_check_result__free_unpacked(resp, NULL);
}

/*
 * Dispatch: which body each state accepts, whether it needs an
 * administrator's certificate, and its handler. Checked before any handler.
 */
static const struct {
	Tongxin__Envelope__BodyCase body;
	enum session_state state;
	int admin;
	void (*handler)(struct session *, const Tongxin__Envelope *);
} dispatch[] = {
	{ TONGXIN__ENVELOPE__BODY_HELLO, S_HELLO, 0, handle_hello },
	{ TONGXIN__ENVELOPE__BODY_PUSH, S_READY, 0, handle_push },
	{ TONGXIN__ENVELOPE__BODY_PULL, S_READY, 0, handle_pull },
	{ TONGXIN__ENVELOPE__BODY_REPLICA_CHECK, S_READY, 0, handle_replica_check },
	{ TONGXIN__ENVELOPE__BODY_CONFLICT_LIST, S_READY, 1, handle_conflict_list },
	{ TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW, S_READY, 1, handle_conflict_show },
	{ TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE, S_READY, 1, handle_conflict_resolve },
	{ TONGXIN__ENVELOPE__BODY_AUDIT, S_READY, 1, handle_audit },
	{ TONGXIN__ENVELOPE__BODY_DEVICES, S_READY, 1, handle_devices },
};

static void
session_dispatch(struct session *s, const Tongxin__Envelope *env)
{
	for (size_t i = 0; i < sizeof dispatch / sizeof dispatch[0]; i++) {
		if (dispatch[i].body != env->body_case)
			continue;
		if (dispatch[i].state != s->state) {
			if (s->state == S_HELLO)
				session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_NOT_AUTHENTICATED,
				    "%s before hello", envelope_body_name(env));
			else
				session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST,
				    "%s is not accepted in state %s", envelope_body_name(env),
				    state_name(s->state));
			return;
		}
		if (dispatch[i].admin && strcmp(s->dev.role, "admin") != 0) {
			/* Refused, but the office may go on syncing on this session. */
			admin_error(s, env->id, TONGXIN__ERROR_CODE__ERR_FORBIDDEN,
			    envelope_body_name(env),
			    "this needs an administrator's certificate; this device is an office device");
			return;
		}
		dispatch[i].handler(s, env);
		return;
	}
	session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_UNKNOWN_MESSAGE,
	    "unknown or unexpected message type (body %d)", (int)env->body_case);
}

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (int i = 0; i < FRAMES_PER_READ && s->state != S_CLOSING && !s->pulling; i++) {
		uint8_t hdr[FRAME_HDR_LEN];
		size_t have = evbuffer_get_length(in);
		size_t cap = s->state == S_READY ? FRAME_MAX : FRAME_MAX_PREAUTH;
		uint32_t len = 0;
		enum frame_status fs;
		Tongxin__Envelope *env;
		uint8_t *body;

		if (have < FRAME_HDR_LEN)
			return;
		evbuffer_copyout(in, hdr, sizeof hdr);
		fs = frame_peek(hdr, sizeof hdr, cap, &len);
		if (fs == FRAME_EMPTY) {
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_MALFORMED, "zero-length frame");
			return;
		}
		if (fs == FRAME_OVERSIZE) {
			uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
			    (uint32_t)hdr[2] << 8 | hdr[3];
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_OVERSIZE,
			    "frame of %u bytes exceeds the %zu-byte limit%s", n, cap,
			    s->state == S_READY ? "" : " before hello");
			return;
		}
		if (have < FRAME_HDR_LEN + (size_t)len)
			return;   /* wait for the rest */
		body = evbuffer_pullup(in, (ssize_t)(FRAME_HDR_LEN + len));
		if (body == NULL) {
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_INTERNAL, "out of memory");
			return;
		}
		env = frame_decode(body + FRAME_HDR_LEN, len);
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		if (env == NULL) {
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_MALFORMED,
			    "frame of %u bytes is not a valid message", len);
			return;
		}
		log_debug("%s: %s (%u bytes)", who(s), envelope_body_name(env), len);
		session_dispatch(s, env);
		envelope_free(env);
		if (s->state != S_CLOSING &&
		    evbuffer_get_length(bufferevent_get_output(bev)) > OUTPUT_HIGH) {
			/* The peer is not reading its replies: stop reading its requests. */
			bufferevent_disable(bev, EV_READ);
			return;
		}
	}
	/* More complete frames may be waiting: come back on the next loop turn. */
	if (s->state != S_CLOSING && !s->pulling && evbuffer_get_length(in) >= FRAME_HDR_LEN)
		bufferevent_trigger(bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	if (s->state != S_READY)
		return;
	if (s->pulling) {
		pull_continue(s);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) < OUTPUT_HIGH / 2)
		bufferevent_enable(bev, EV_READ);
}

/*
 * Remember why this peer will be refused. The refusal is sent as the answer
 * to its Hello: a reply sent before the client has spoken would race with
 * the client's first write, and a socket closed with unread data resets
 * the connection and loses the reply.
 */
static void
session_refuse(struct session *s, Tongxin__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
session_refuse(struct session *s, Tongxin__ErrorCode code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->refuse_msg, sizeof s->refuse_msg, fmt, ap);
	va_end(ap);
	s->refuse_code = code;
	s->state = S_HELLO;
	log_info("%s: will refuse at hello: %s", who(s), s->refuse_msg);
}

/* The handshake finished: decide who this is. */
static void
session_authenticate(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	X509 *cert = SSL_get1_peer_certificate(ssl);
	struct pki_identity id;
	struct store_device d;
	char name[256];
	int expired;

	s->tls_up = 1;
	if (cert == NULL) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_UNKNOWN_DEVICE, "no client certificate");
		return;
	}
	/* A resumed session skips certificate checks: expiry is checked here every time. */
	expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
	if (pki_identity_from_cert(cert, &id) != 0) {
		X509_free(cert);
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_UNKNOWN_DEVICE,
		    "the client certificate does not name a Tongxin device");
		return;
	}
	X509_free(cert);
	if (store_device_by_serial(s->srv->store, id.serial, &d) != 0 ||
	    strcmp(d.id, id.device_id) != 0) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_UNKNOWN_DEVICE,
		    "device %s (certificate %s) is not enrolled on this server", id.device, id.serial);
		return;
	}
	s->dev = d;
	if (d.revoked_at != 0) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_REVOKED,
		    "the certificate of device %s has been revoked; ask the street office to "
		    "enroll this computer again", d.name);
		return;
	}
	if (expired) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_REVOKED,
		    "the certificate of device %s has expired; ask the street office to enroll this "
		    "computer again", d.name);
		return;
	}
	{
		const struct session *o;
		int same = 0;
		TAILQ_FOREACH(o, &s->srv->sessions, entry)
			same += o != s && (o->state == S_HELLO || o->state == S_READY) &&
			    o->refuse_code == 0 && strcmp(o->dev.id, d.id) == 0;
		if (same >= SESSIONS_PER_DEVICE) {
			session_refuse(s, TONGXIN__ERROR_CODE__ERR_BUSY,
			    "device %s already has %d sessions open; try again when they finish",
			    d.name, same);
			return;
		}
	}
	if (store_org_scope(s->srv->store, d.org_code, s->scope, sizeof s->scope, name,
	    sizeof name) != 0) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_FORBIDDEN,
		    "organisation %s of device %s no longer exists", d.org_code, d.name);
		return;
	}
	s->state = S_HELLO;
	log_info("%s: authenticated (%s%s, scope %s)", who(s), SSL_get_version(ssl),
	    SSL_session_reused(ssl) ? ", resumed" : "", s->scope);
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session *s = arg;

	if (what & BEV_EVENT_CONNECTED) {
		session_authenticate(s);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (s->state == S_READY)
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_TIMEOUT,
			    "idle for %d s; closing", s->srv->opts.idle_timeout_s);
		else {
			log_info("%s: closed: %s timeout in state %s", who(s),
			    s->state == S_TLS ? "handshake" : "hello", state_name(s->state));
			s->tls_up = s->state != S_TLS ? s->tls_up : 0;
			session_free_later(s);
		}
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		unsigned long e;
		char buf[256] = "";
		SSL *ssl = bufferevent_openssl_get_ssl(bev);
		long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
		/* libevent queues SSL_get_error()'s code too: keep the first real OpenSSL error. */
		while ((e = bufferevent_get_openssl_error(bev)) != 0)
			if (buf[0] == '\0' && ERR_GET_LIB(e) != 0)
				ERR_error_string_n(e, buf, sizeof buf);
		if (vr != X509_V_OK && s->state == S_TLS) {
			size_t n = strlen(buf);
			snprintf(buf + n, sizeof buf - n, "%s(%s)", n ? " " : "",
			    X509_verify_cert_error_string(vr));
		}
		if (s->state == S_TLS)
			log_info("%s: TLS handshake failed: %s", who(s),
			    buf[0] ? buf : (errno ? strerror(errno) : "connection closed"));
		else
			log_info("%s: connection error: %s", who(s), buf[0] ? buf : strerror(errno));
		s->tls_up = 0;
		session_free_later(s);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		log_info("%s: disconnected", who(s));
		session_free_later(s);
	}
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
    void *arg)
{
	struct server *srv = arg;
	struct session *s;
	SSL *ssl;
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	(void)l;
	(void)salen;
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	if (srv->stopping || srv->nsessions >= srv->opts.max_sessions) {
		log_warnx("%s:%d: refused: %s", host, port,
		    srv->stopping ? "shutting down" : "too many connections");
		evutil_closesocket(fd);
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL || (ssl = SSL_new(srv->ctx)) == NULL) {
		log_warnx("%s:%d: refused: out of memory", host, port);
		free(s);
		evutil_closesocket(fd);
		return;
	}
	snprintf(s->peer, sizeof s->peer, "%s:%d", host, port);
	s->srv = srv;
	{
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	/* The bufferevent owns ssl from here on, even when it fails. */
	s->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (s->bev == NULL) {
		log_warnx("%s: refused: cannot set up TLS", s->peer);
		evutil_closesocket(fd);
		free(s);
		return;
	}
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, PULL_LOW, 0);
	set_timeout(s, srv->opts.handshake_timeout_s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	log_debug("%s: connected", s->peer);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("accept");
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	(void)fd;
	(void)what;
	log_warnx("shutdown: %d sessions still open after %d s; closing them", srv->nsessions,
	    srv->opts.shutdown_grace_s);
	event_base_loopexit(srv->base, NULL);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct session *s, *next;
	struct timeval grace = { srv->opts.shutdown_grace_s, 0 };

	(void)what;
	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("%s received: shutting down (%d sessions open)", strsignal((int)sig),
	    srv->nsessions);
	if (srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		srv->listener = NULL;
	}
	/* Requests are handled whole inside one callback: none is half done here. */
	for (s = TAILQ_FIRST(&srv->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		if (s->state == S_READY || s->state == S_HELLO)
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_SHUTTING_DOWN,
			    "the server is shutting down; sync again in a moment");
		else
			session_close(s);
	}
	if (srv->nsessions == 0) {
		event_base_loopexit(srv->base, NULL);
		return;
	}
	srv->ev_grace = evtimer_new(srv->base, grace_cb, srv);
	evtimer_add(srv->ev_grace, &grace);
}

int
server_run(const char *dir, const struct serve_opts *opts)
{
	struct server srv;
	struct server_conf conf;
	char err[1024] = "", host[256];
	int port;
	struct evutil_addrinfo hints, *ai = NULL;
	char portstr[16];
	struct session *s;

	memset(&srv, 0, sizeof srv);
	TAILQ_INIT(&srv.sessions);
	srv.opts = *opts;
	if (conf_read(dir, &conf, err, sizeof err) != 0) {
		log_warnx("%s", err);
		return 1;
	}
	if (opts->listen == NULL)
		srv.opts.listen = conf.listen;
	snprintf(srv.street, sizeof srv.street, "%s", conf.street);
	if (split_hostport(srv.opts.listen, host, sizeof host, &port) != 0) {
		log_warnx("invalid listen address \"%s\": expected HOST:PORT", srv.opts.listen);
		return 2;
	}
	schema_hash(srv.schema_hash);
	signal(SIGPIPE, SIG_IGN);
	if ((srv.ctx = tls_server_ctx(dir, err, sizeof err)) == NULL) {
		log_warnx("%s", err);
		return 1;
	}
	if ((srv.store = store_open(dir, 0, err, sizeof err)) == NULL) {
		log_warnx("%s", err);
		SSL_CTX_free(srv.ctx);
		return 1;
	}
	if ((srv.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%d", port);
	if (evutil_getaddrinfo(host, portstr, &hints, &ai) != 0 || ai == NULL) {
		log_warnx("cannot resolve listen address %s", srv.opts.listen);
		goto fail;
	}
	srv.listener = evconnlistener_new_bind(srv.base, accept_cb, &srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    ai->ai_addr, (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (srv.listener == NULL) {
		log_warn("cannot listen on %s", srv.opts.listen);
		goto fail;
	}
	evconnlistener_set_error_cb(srv.listener, accept_error_cb);
	srv.ev_term = evsignal_new(srv.base, SIGTERM, signal_cb, &srv);
	srv.ev_int = evsignal_new(srv.base, SIGINT, signal_cb, &srv);
	evsignal_add(srv.ev_term, NULL);
	evsignal_add(srv.ev_int, NULL);
	log_info("serving street %s (%s) on %s; data in %s", conf.street, conf.code,
	    srv.opts.listen, dir);
	event_base_dispatch(srv.base);

	/* Whatever is left after the grace period is closed now. */
	while ((s = TAILQ_FIRST(&srv.sessions)) != NULL) {
		TAILQ_REMOVE(&srv.sessions, s, entry);
		bufferevent_free(s->bev);
		free(s);
	}
	if (srv.listener)
		evconnlistener_free(srv.listener);
	event_free(srv.ev_term);
	event_free(srv.ev_int);
	if (srv.ev_grace)
		event_free(srv.ev_grace);
	event_base_free(srv.base);
	store_close(srv.store);
	SSL_CTX_free(srv.ctx);
	log_info("stopped cleanly");
	return 0;
fail:
	event_base_free(srv.base);
	store_close(srv.store);
	SSL_CTX_free(srv.ctx);
	return 1;
}
