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
 * Requests are handled one at a time, so a session has at most one
 * request in flight. Whatever writes to the store - a push, a conflict
 * resolution, a recovery, a replica check, a device's first replica
 * binding - runs on the store thread (work.h) with a store handle of its
 * own, and the session reads nothing more until its answer is back; the
 * loop meanwhile goes on accepting, handshaking and serving every other
 * session, looking devices up through its own handle. A pull's pages are
 * made one at a time on a reader thread (a second work.h thread with a
 * handle of its own; WAL lets reads go on while the store thread writes),
 * and the next is asked for from the write callback once the output is
 * below PULL_LOW, so a slow reader never makes the server buffer a whole
 * bootstrap. Every body is checked against common/bounds.h before its
 * handler runs.
 *
 * Before a connection has finished TLS and Hello it is "pre-auth" and
 * counts against three limits beside max_sessions: pre-auth connections in
 * all, pre-auth connections from its source address, and a token bucket of
 * new connections per second from that address (a connection that reaches
 * READY gives its token back, so a device that syncs often is never
 * slowed). Connections over a limit are closed as they are accepted, and
 * the refusals are summed up in at most one log line per interval. A
 * timer closes the sessions of devices revoked meanwhile by another
 * process (tongxind revoke), and every request re-checks its device.
 *
 * The loop counts what the metrics page shows (struct metrics, metrics.c):
 * each connection's outcome once (ok at Welcome, else the reason it was
 * refused, when it is freed), pushes and their transactions, push and pull
 * durations, and the bytes of every frame read and queued. With
 * metrics_listen set, the page is served from this same loop.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/resource.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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
#include <openssl/rand.h>
#include <openssl/ssl.h>
#ifdef TX_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "bounds.h"
#include "frame.h"
#include "ids.h"
#include "log.h"
#include "metrics.h"
#include "pbwire.h"
#include "pki.h"
#include "reason.h"
#include "schema.h"
#include "store.h"
#include "text.h"
#include "tls.h"
#include "work.h"

#define FRAMES_PER_READ 16               /* fairness: frames handled per read callback */
#define DEV_BUCKETS 4096                 /* sessions by device (a power of two), see dev_bucket_of */
#define OUTPUT_HIGH (32u * 1024u * 1024u) /* stop reading a peer whose output is this large */
#define PULL_LOW (1u * 1024u * 1024u)     /* produce the next pull page below this */
#define SESSIONS_PER_DEVICE 4             /* one device, a few windows at most */
#define TICK_MS 1000                      /* revocation checks, table sweeps, refusal logs */
#define REFUSAL_LOG_MS 10000              /* at most one line about refused connections per this */
#define PREAUTH_SPARE 1024                /* address entries beyond max_preauth: rate memory */
#define TRIM_AFTER_FREED 256              /* give memory back after this many closed sessions */
#define FILES_BESIDES_SESSIONS 64         /* database, WAL, listener, logs, ... */

enum session_state { S_TLS, S_HELLO, S_READY, S_CLOSING };

struct server;

/* A source address as the pre-auth limits count it: IPv4, or an IPv6 /64. */
struct addr_key {
	uint8_t b[8];       /* IPv4 in the first 4 bytes, or the /64 prefix */
	uint8_t len;        /* 4 or 8 */
};

/* One source address's pre-auth state; a slot of struct preauth_table. */
struct preauth_addr {
	struct addr_key key;
	int used;
	int count;          /* its connections that have not reached READY */
	int64_t tokens;     /* new connections it may open now, in thousandths */
	int64_t refill_ms;  /* monotonic ms when tokens was last brought up to date */
	int next;           /* next slot in its hash chain or in the free list, -1: none */
};

/*
 * The pre-auth addresses: a fixed pool of slots chained from hash heads.
 * Slots with a count of 0 are dropped once their bucket is full again, or
 * taken over when the pool is full; the pool holds more slots than there
 * can be pre-auth connections, so such a slot always exists.
 */
struct preauth_table {
	struct preauth_addr *slots;
	int nslots;
	int *heads;
	int nheads;         /* a power of two */
	int free_head;
	uint64_t seed;      /* keyed hash: an attacker cannot aim at one chain */
};

/* Why a connection was refused at accept. */
enum refusal { REF_STOPPING, REF_SESSIONS, REF_PREAUTH, REF_ADDRESS, REF_RATE, REF_COUNT };

struct session {
	TAILQ_ENTRY(session) entry;
	LIST_ENTRY(session) dev_entry;   /* in its device's bucket once the device is known */
	int in_bucket;
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
	int preauth;           /* counted against the pre-auth limits (not yet READY) */
	struct addr_key akey;  /* source address, as those limits count it */
	char replica_id[ID_TEXT_LEN + 1];  /* from the Hello; "" from older clients */
	/* A pull in progress. */
	int pulling;
	uint32_t pull_req_id;
	uint32_t pull_max;
	uint64_t cursors[TBL_COUNT];
	uint64_t evict_cursor;
	uint64_t note_cursor;
	uint64_t pull_rows;
	struct pull_page pg;   /* the pull's page buffers, kept from page to page */
	/* The frame being dispatched (header excluded), for the bytes of each pushed txn. */
	const uint8_t *frame;
	size_t frame_len;
	/* For the metrics: how far the handshake got, and whether its outcome is counted. */
	int handshaken;        /* TLS finished (session_authenticate ran) */
	int outcome_counted;   /* handshakes_total has this connection */
	double pull_started;   /* mono_s() at the pull's request */
	/*
	 * A request on the store thread (work.h): nothing more is read from the
	 * peer until it is done, and the session is not freed before (a free
	 * asked for meanwhile waits: free_when_done).
	 */
	struct sjob *job;
	int env_taken;         /* the handler kept the envelope (for the job): do not free it */
	int free_when_done;
	char program_version[65];   /* from the Hello, for the log line at Welcome */
};

TAILQ_HEAD(session_list, session);
LIST_HEAD(dev_bucket, session);

struct server {
	struct event_base *base;
	struct evconnlistener *listener;
	SSL_CTX *ctx;
	struct store *store;
	struct event *ev_term, *ev_int, *ev_grace;
	struct session_list sessions;
	/*
	 * The authenticated sessions hashed by device id: counting a device's
	 * sessions (at every handshake) and finding another replica's (at every
	 * Hello) looks at one bucket, not at every open session.
	 */
	struct dev_bucket *dev_buckets;
	int nsessions;
	int stopping;
	struct serve_opts opts;
	const char *dir;               /* the data directory (SIGHUP reads its tongxind.conf) */
	struct server_conf conf;       /* tongxind.conf as read at start (or the last SIGHUP) */
	struct event *ev_hup;
	struct serve_limits lim;    /* the limits in force (flags, config, defaults) */
	char street[256];
	uint8_t schema_hash[32];
	struct event *ev_tick;      /* every TICK_MS */
	int freed_since_trim;       /* sessions freed since memory was last given back */
	struct preauth_table pat;
	int npreauth;               /* connections counted as pre-auth */
	/* Refusals at accept since the last log line about them. */
	uint64_t refused[REF_COUNT];
	char refused_last[INET6_ADDRSTRLEN];
	int64_t refused_logged_ms;  /* monotonic ms of that line; 0: never */
	struct metrics m;           /* the counters of the metrics page (metrics.h) */
	struct metrics_source msrc; /* what the page reads: m, nsessions, the store */
	struct metrics_http *mhttp; /* the page's endpoint; NULL without metrics_listen */
	struct work *work;          /* the store thread: every write runs there */
	struct work *reader;        /* the reader thread: pull pages are made there */
};

static void session_close(struct session *s);

/* The bucket of the sessions of device id (FNV-1a of the id). */
static struct dev_bucket *
dev_bucket_of(struct server *srv, const char *id)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)id; *p != '\0'; p++)
		h = (h ^ *p) * 16777619u;
	return &srv->dev_buckets[h & (DEV_BUCKETS - 1)];
}

/* The session's device is known (s->dev): file it in its device's bucket. */
static void
session_dev_join(struct session *s)
{
	if (s->in_bucket)
		return;
	LIST_INSERT_HEAD(dev_bucket_of(s->srv, s->dev.id), s, dev_entry);
	s->in_bucket = 1;
}

/* Take the session out of its device's bucket (before it is freed). */
static void
session_dev_leave(struct session *s)
{
	if (!s->in_bucket)
		return;
	LIST_REMOVE(s, dev_entry);
	s->in_bucket = 0;
}

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

/* --- pre-authentication limits ----------------------------------------- */

/* Monotonic milliseconds: the limits must not jump with the wall clock. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic seconds with sub-millisecond precision: the durations of the metrics. */
static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The pre-auth key of a peer address; IPv4-mapped IPv6 counts as IPv4. -1 if neither. */
static int
addr_key_of(const struct sockaddr *sa, struct addr_key *k)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(k, 0, sizeof *k);
	if (sa->sa_family == AF_INET) {
		memcpy(k->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		k->len = 4;
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof mapped) == 0) {
			memcpy(k->b, a + 12, 4);
			k->len = 4;
		} else {
			/* One host usually holds a whole /64: count it as one address. */
			memcpy(k->b, a, 8);
			k->len = 8;
		}
		return 0;
	}
	return -1;
}

static int
addr_key_eq(const struct addr_key *a, const struct addr_key *b)
{
	return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/* Hash chain of a key: a bijective mix of the key and a secret seed. */
static int
preauth_bucket(const struct preauth_table *t, const struct addr_key *k)
{
	uint64_t h = t->seed ^ k->len;

	for (int i = 0; i < k->len; i++)
		h ^= (uint64_t)k->b[i] << (8 * i);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (int)(h & (uint64_t)(t->nheads - 1));
}

/* Allocate a table of nslots slots, all free. -1 when out of memory. */
static int
preauth_table_init(struct preauth_table *t, int nslots)
{
	memset(t, 0, sizeof *t);
	for (t->nheads = 64; t->nheads < nslots; t->nheads *= 2)
		;
	t->nslots = nslots;
	t->slots = calloc((size_t)nslots, sizeof *t->slots);
	t->heads = malloc((size_t)t->nheads * sizeof *t->heads);
	if (t->slots == NULL || t->heads == NULL)
		return -1;
	for (int i = 0; i < t->nheads; i++)
		t->heads[i] = -1;
	for (int i = 0; i < nslots; i++)
		t->slots[i].next = i + 1 < nslots ? i + 1 : -1;
	t->free_head = 0;
	if (RAND_bytes((unsigned char *)&t->seed, sizeof t->seed) != 1)
		t->seed = (uint64_t)mono_ms() * 0x9e3779b97f4a7c15ULL;
	return 0;
}

static void
preauth_table_free(struct preauth_table *t)
{
	free(t->slots);
	free(t->heads);
	memset(t, 0, sizeof *t);
}

/* The slot of key k, or -1. */
static int
preauth_find(const struct preauth_table *t, const struct addr_key *k)
{
	int i;

	for (i = t->heads[preauth_bucket(t, k)]; i >= 0; i = t->slots[i].next)
		if (addr_key_eq(&t->slots[i].key, k))
			return i;
	return -1;
}

/* Unlink slot i from its chain and put it on the free list. */
static void
preauth_drop(struct preauth_table *t, int i)
{
	int *p = &t->heads[preauth_bucket(t, &t->slots[i].key)];

	while (*p != i)
		p = &t->slots[*p].next;
	*p = t->slots[i].next;
	memset(&t->slots[i], 0, sizeof t->slots[i]);
	t->slots[i].next = t->free_head;
	t->free_head = i;
}

/* Bring a slot's bucket up to date: rate tokens a second, at most rate. */
static void
preauth_refill(const struct server *srv, struct preauth_addr *a, int64_t now)
{
	int64_t full = (int64_t)srv->lim.new_connections_per_second * 1000;
	int64_t dt = now - a->refill_ms;

	if (dt > 0) {
		a->tokens += dt > 3600000 ? full : dt * srv->lim.new_connections_per_second;
		if (a->tokens > full)
			a->tokens = full;
		a->refill_ms = now;
	}
}

/*
 * The slot of key k, made (with a full bucket) if it has none. When every
 * slot is taken, the idle one (no connection in handshake) refilled
 * longest ago is taken over; one always exists (see struct preauth_table).
 */
static struct preauth_addr *
preauth_get(struct server *srv, const struct addr_key *k, int64_t now)
{
	struct preauth_table *t = &srv->pat;
	int i = preauth_find(t, k), b;

	if (i >= 0)
		return &t->slots[i];
	if (t->free_head < 0) {
		int victim = -1;
		for (int j = 0; j < t->nslots; j++)
			if (t->slots[j].count == 0 && (victim < 0 ||
			    t->slots[j].refill_ms < t->slots[victim].refill_ms))
				victim = j;
		if (victim < 0)
			return NULL;   /* cannot happen: more slots than pre-auth connections */
		preauth_drop(t, victim);
	}
	i = t->free_head;
	t->free_head = t->slots[i].next;
	t->slots[i].key = *k;
	t->slots[i].used = 1;
	t->slots[i].count = 0;
	t->slots[i].tokens = (int64_t)srv->lim.new_connections_per_second * 1000;
	t->slots[i].refill_ms = now;
	b = preauth_bucket(t, k);
	t->slots[i].next = t->heads[b];
	t->heads[b] = i;
	return &t->slots[i];
}

/*
 * Whether a new connection from k may be accepted: REF_COUNT if so (and it
 * is counted from now on), else the limit it is over. Every attempt takes
 * a token, so a peer that hammers stays refused.
 */
static enum refusal
preauth_admit(struct server *srv, const struct addr_key *k)
{
	int64_t now = mono_ms();
	struct preauth_addr *a = preauth_get(srv, k, now);

	if (a == NULL)
		return REF_PREAUTH;
	preauth_refill(srv, a, now);
	if (a->tokens < 1000)
		return REF_RATE;
	a->tokens -= 1000;
	if (a->count >= srv->lim.max_preauth_per_address)
		return REF_ADDRESS;
	if (srv->npreauth >= srv->lim.max_preauth)
		return REF_PREAUTH;
	a->count++;
	srv->npreauth++;
	return REF_COUNT;
}

/*
 * The session is no longer pre-auth: it reached READY (refund: its token
 * goes back to its address) or it is being freed.
 */
static void
preauth_release(struct server *srv, struct session *s, int refund)
{
	int i;

	if (!s->preauth)
		return;
	s->preauth = 0;
	srv->npreauth--;
	if ((i = preauth_find(&srv->pat, &s->akey)) < 0)
		return;
	srv->pat.slots[i].count--;
	if (refund) {
		int64_t full = (int64_t)srv->lim.new_connections_per_second * 1000;
		srv->pat.slots[i].tokens += 1000;
		if (srv->pat.slots[i].tokens > full)
			srv->pat.slots[i].tokens = full;
	}
}

/* Take back an admission whose session could not be set up. */
static void
preauth_undo(struct server *srv, const struct addr_key *k)
{
	int i = preauth_find(&srv->pat, k);

	srv->npreauth--;
	if (i >= 0)
		srv->pat.slots[i].count--;
}

/* Forget addresses with nothing in handshake and a full bucket: they are as new. */
static void
preauth_sweep(struct server *srv, int64_t now)
{
	int64_t full = (int64_t)srv->lim.new_connections_per_second * 1000;

	for (int i = 0; i < srv->pat.nslots; i++) {
		struct preauth_addr *a = &srv->pat.slots[i];
		if (!a->used || a->count > 0)
			continue;
		preauth_refill(srv, a, now);
		if (a->tokens >= full)
			preauth_drop(&srv->pat, i);
	}
}

/*
 * Log the refusals counted since the last such line, in one line. An
 * attacker's thousands of refused connections cost one line per
 * REFUSAL_LOG_MS, not one each.
 */
static void
refusal_flush(struct server *srv, int64_t now)
{
	char why[512];
	size_t n = 0;
	uint64_t total = 0;

	for (int r = 0; r < REF_COUNT; r++) {
		const char *what = NULL;
		int limit = 0;
		if (srv->refused[r] == 0)
			continue;
		total += srv->refused[r];
		switch (r) {
		case REF_STOPPING: what = "shutting down"; break;
		case REF_SESSIONS: what = "max_sessions"; limit = srv->lim.max_sessions; break;
		case REF_PREAUTH: what = "max_preauth"; limit = srv->lim.max_preauth; break;
		case REF_ADDRESS:
			what = "max_preauth_per_address";
			limit = srv->lim.max_preauth_per_address;
			break;
		case REF_RATE:
			what = "new_connections_per_second";
			limit = srv->lim.new_connections_per_second;
			break;
		}
		n += (size_t)snprintf(why + n, n < sizeof why ? sizeof why - n : 0, "%s%llu over %s",
		    n ? ", " : "", (unsigned long long)srv->refused[r], what);
		if (limit && n < sizeof why)
			n += (size_t)snprintf(why + n, sizeof why - n, " %d", limit);
	}
	if (total == 0)
		return;
	log_warnx("refused %llu connection%s at accept (%s), the latest from %s; refusals are "
	    "logged at most every %d s", (unsigned long long)total, total == 1 ? "" : "s", why,
	    srv->refused_last, REFUSAL_LOG_MS / 1000);
	memset(srv->refused, 0, sizeof srv->refused);
	srv->refused_logged_ms = now;
}

/* Count a refusal at accept; log it now only if no such line was written lately. */
static void
refusal_note(struct server *srv, enum refusal why, const char *host)
{
	int64_t now = mono_ms();

	srv->refused[why]++;
	srv->m.handshakes_refused[MR_LIMIT]++;
	snprintf(srv->refused_last, sizeof srv->refused_last, "%s", host);
	if (srv->refused_logged_ms == 0 || now - srv->refused_logged_ms >= REFUSAL_LOG_MS)
		refusal_flush(srv, now);
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
	s->srv->m.sent_bytes += n;
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
	log_warnx("%s: refused: %s", who(s), msg);
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
	if (s->job != NULL) {
		/* Its request is on the store thread: freed when that is done. */
		s->free_when_done = 1;
		return;
	}
	/*
	 * A connection that never became a session is counted refused once, by
	 * how far it got: a refusal decided after TLS says why (revoked, or
	 * another reason at Hello); one that never finished TLS is "tls".
	 */
	if (!s->outcome_counted)
		srv->m.handshakes_refused[s->refuse_code == TONGXIN__ERROR_CODE__ERR_REVOKED ?
		    MR_REVOKED : s->handshaken ? MR_HELLO : MR_TLS]++;
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
	preauth_release(srv, s, 0);
	session_dev_leave(s);
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	srv->freed_since_trim++;
	pull_page_free(&s->pg);
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

/* --- requests run on the store thread ----------------------------------- */

/*
 * A session's request handed to the store thread (work.h): the envelope
 * the read callback decoded (kept for the job), a copy of its frame where
 * the bytes are needed (a push's transactions), the actor (pointing into
 * the session, which outlives the job), and the outcome.
 */
struct sjob {
	struct job j;
	struct session *s;
	Tongxin__Envelope *env;
	uint8_t *frame;
	size_t frame_len;
	struct store_actor a;
	int rc;
	char err[1024];
	void *resp;
	int other;              /* a first binding: the device is bound to another replica */
};

static void fill_actor(const struct session *s, struct store_actor *a);
static void push_run(struct job *j, struct store *st);
static void push_fail(struct job *j, const char *why);

static void
sjob_free(struct sjob *sj)
{
	if (sj == NULL)
		return;
	envelope_free(sj->env);
	free(sj->frame);
	free(sj);
}

/*
 * Hand the request env to the store thread: run there, done back on the
 * loop. The session reads nothing more until done has run. copy_frame:
 * the job keeps the frame's bytes. -1 (the session has been failed) when
 * memory runs out.
 */
static int
session_submit(struct session *s, Tongxin__Envelope *env, int copy_frame,
    void (*run)(struct job *, struct store *), void (*done)(struct job *))
{
	struct sjob *sj = calloc(1, sizeof *sj);

	if (sj == NULL || (copy_frame && s->frame != NULL &&
	    (sj->frame = malloc(s->frame_len ? s->frame_len : 1)) == NULL)) {
		free(sj);
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server is out of memory; sync again later");
		return -1;
	}
	if (sj->frame != NULL) {
		memcpy(sj->frame, s->frame, s->frame_len);
		sj->frame_len = s->frame_len;
	}
	sj->s = s;
	sj->env = env;
	s->env_taken = 1;
	fill_actor(s, &sj->a);
	sj->j.run = run;
	sj->j.done = done;
	sj->j.arg = sj;
	/* A push may share a group commit with the pushes queued behind it. */
	sj->j.batch = run == push_run;
	sj->j.fail = push_fail;
	s->job = sj;
	bufferevent_disable(s->bev, EV_READ);
	work_submit(s->srv->work, &sj->j);
	return 0;
}

/*
 * The loop's first step when a session's job is done: 1 when the session
 * can take the outcome, 0 when it is closing (and is freed now if that
 * was asked while the job ran).
 */
static int
session_job_end(struct session *s)
{
	s->job = NULL;
	if (s->free_when_done) {
		s->free_when_done = 0;
		s->free_scheduled = 0;
		session_free_later(s);
		return 0;
	}
	return s->state != S_CLOSING;
}

/* Read requests again after a job's reply, unless the peer is not reading its replies. */
static void
session_resume(struct session *s)
{
	if (s->state == S_CLOSING || s->job != NULL || s->pulling ||
	    evbuffer_get_length(bufferevent_get_output(s->bev)) > OUTPUT_HIGH)
		return;
	bufferevent_enable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(s->bev)) >= FRAME_HDR_LEN)
		bufferevent_trigger(s->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
}


static void hello_welcome(struct session *s, uint32_t id);

/*
 * The answer to whether this replica may use the device (see
 * hello_bind_replica): rc and err from the store, other set when the
 * device belongs to another replica. 0 if it may go on; else the session
 * has been refused and -1 is returned.
 */
static int
hello_bound(struct session *s, uint32_t id, const char *replica_id, int rc, int other,
    const char *err)
{
	if (rc != 0) {
		log_warnx("%s: cannot bind replica %s: %s", who(s), replica_id, err);
		session_fail(s, id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server could not record this computer's replica (%s); sync again later", err);
		return -1;
	}
	if (other) {
		log_warnx("%s: credential presented by a second replica %s; refused (the device "
		    "belongs to another replica)", who(s), replica_id);
		session_fail(s, id, TONGXIN__ERROR_CODE__ERR_CREDENTIAL_IN_USE,
		    "the credential of device %s already belongs to another computer; each computer "
		    "needs a device of its own: ask the street office to enroll this computer and "
		    "join it with its new bundle (nothing was sent; this computer's changes stay in "
		    "its outbox)", s->dev.name);
		return -1;
	}
	snprintf(s->replica_id, sizeof s->replica_id, "%s", replica_id);
	return 0;
}

/* A device's first replica, bound durably on the store thread. */
static void
bind_run(struct job *j, struct store *st)
{
	struct sjob *sj = j->arg;

	sj->rc = store_replica_bind(st, sj->a.device_id, sj->env->hello->replica_id, &sj->other,
	    sj->err, sizeof sj->err);
}

static void
bind_done(struct job *j)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;

	if (session_job_end(s) && hello_bound(s, sj->env->id, sj->env->hello->replica_id, sj->rc,
	    sj->other, sj->err) == 0) {
		hello_welcome(s, sj->env->id);
		session_resume(s);
	}
	sjob_free(sj);
}

/*
 * One credential, one computer: bind the device to the replica that first
 * presents it, and refuse any other (a second live session of another
 * replica included). 0 if this replica may go on now; 1 when the device is
 * bound for the first time (a write, handed to the store thread, which
 * finishes the Hello); else the session has been refused and -1 is
 * returned. Nothing has been read from the peer but the Hello, so nothing
 * of the second computer's outbox is stored.
 */
static int
hello_bind_replica(struct session *s, Tongxin__Envelope *env)
{
	const char *replica_id = env->hello->replica_id;
	const struct session *o;
	int other = 0, bound = 1;

	LIST_FOREACH(o, dev_bucket_of(s->srv, s->dev.id), dev_entry)
		other |= o != s && o->state == S_READY && o->replica_id[0] != '\0' &&
		    strcmp(o->dev.id, s->dev.id) == 0 && strcmp(o->replica_id, replica_id) != 0;
	if (!other && (bound = store_replica_bound(s->srv->store, s->dev.id, replica_id)) < 0)
		return hello_bound(s, env->id, replica_id, -1, 0, "cannot read the device's replica");
	if (bound == 0)
		return session_submit(s, env, 0, bind_run, bind_done) == 0 ? 1 : -1;
	return hello_bound(s, env->id, replica_id, 0, other || bound == 2, "");
}

static void
handle_hello(struct session *s, const Tongxin__Envelope *cenv)
{
	/* The envelope is the read callback's; a first binding's job keeps it (env_taken). */
	Tongxin__Envelope *env = (Tongxin__Envelope *)cenv;
	const Tongxin__Hello *h = env->hello;
	struct store_epoch ep;
	int rc;

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
	store_epoch(s->srv->store, &ep);
	if (ep.restored_version != 0 && !h->recovers) {
		/* It would push and pull as if nothing happened, and what it holds of the lost versions stayed lost. */
		session_fail(s, env->id, TONGXIN__ERROR_CODE__ERR_PROTOCOL_VERSION,
		    "this server was restored from a backup and needs a tongxin that sends back what "
		    "it holds (client %s); install the matching tongxin", h->program_version);
		return;
	}
	snprintf(s->operator_name, sizeof s->operator_name, "%s", h->operator_name);
	snprintf(s->program_version, sizeof s->program_version, "%s", h->program_version);
	if (h->replica_id[0] != '\0' && (rc = hello_bind_replica(s, env)) != 0)
		return;   /* refused, or the Welcome follows the first binding */
	hello_welcome(s, env->id);
}

/* Answer a Hello that passed: the Welcome, and the session is ready. */
static void
hello_welcome(struct session *s, uint32_t id)
{
	Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;
	Tongxin__Welcome w = TONGXIN__WELCOME__INIT;
	struct store_epoch ep;

	store_epoch(s->srv->store, &ep);
	w.protocol_version = PROTOCOL_VERSION;
	w.server_version = TONGXIN_VERSION;
	w.device_name = s->dev.name;
	w.device_id = s->dev.id;
	w.org_code = s->dev.org_code;
	w.role = s->dev.role;
	w.street_name = s->srv->street;
	w.server_time_ms = (uint64_t)now_ms();
	w.last_seq = store_device_last_seq(s->srv->store, s->dev.id);
	/* The street's zone, so the office's "today" is the server's (tongxin keeps it). */
	w.time_zone = (char *)conf_time_zone(&s->srv->conf);
	w.epoch = ep.epoch;
	w.restored_version = ep.restored_version;
	w.version_floor = ep.version_floor;
	out.id = id;
	out.body_case = TONGXIN__ENVELOPE__BODY_WELCOME;
	out.welcome = &w;
	if (session_send(s, &out) != 0) {
		session_close(s);
		return;
	}
	s->state = S_READY;
	s->outcome_counted = 1;
	s->srv->m.handshakes_ok++;
	preauth_release(s->srv, s, 1);
	set_timeout(s, s->srv->lim.idle_timeout_s);
	store_device_seen(s->srv->store, s->dev.id, "seen");
	log_info("%s: hello (client %s%s%s)", who(s), s->program_version,
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

/*
 * The bytes of each transaction of a push exactly as received: field 20
 * (push) of the envelope, then its fields 1 (txns), in order. *raw is a new
 * array of n slices into env_bytes, or NULL with -1 when the envelope is
 * not laid out that way (a push field given twice, which protobuf merges;
 * a count that differs): the store then packs each transaction again.
 */
static int
push_raw_txns(const uint8_t *env_bytes, size_t len, size_t n, ProtobufCBinaryData **raw)
{
	struct pbr rd, pr;
	struct pb_field f;
	const uint8_t *push = NULL;
	size_t push_len = 0, i = 0;
	int rc, pushes = 0;

	*raw = NULL;
	if (env_bytes == NULL)
		return -1;
	pbr_init(&rd, env_bytes, len);
	while ((rc = pbr_next(&rd, &f)) == 1)
		if (f.field == TONGXIN__ENVELOPE__BODY_PUSH && f.wt == PB_LEN) {
			push = f.data;
			push_len = f.len;
			pushes++;
		}
	if (rc != 0 || pushes != 1 || (n > 0 && (*raw = calloc(n, sizeof **raw)) == NULL))
		return -1;
	pbr_init(&pr, push, push_len);
	while ((rc = pbr_next(&pr, &f)) == 1) {
		if (f.field != 1)
			continue;
		if (f.wt != PB_LEN || i == n)
			break;
		(*raw)[i].data = (uint8_t *)f.data;
		(*raw)[i].len = f.len;
		i++;
	}
	if (rc != 0 || i != n) {
		free(*raw);
		*raw = NULL;
		return -1;
	}
	return 0;
}

/* The push itself, on the store thread: the bytes of each transaction from the frame's copy. */
static void
push_run(struct job *j, struct store *st)
{
	struct sjob *sj = j->arg;
	ProtobufCBinaryData *raw = NULL;

	/* Without them (a push field given twice) the store packs each transaction again. */
	(void)push_raw_txns(sj->frame, sj->frame_len, sj->env->push->n_txns, &raw);
	sj->rc = store_push_raw(st, &sj->a, sj->env->push, raw, (Tongxin__PushResponse **)&sj->resp,
	    sj->err, sizeof sj->err);
	free(raw);
}

/* The push's answer, back on the loop. */
static void
push_done(struct job *j)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;
	Tongxin__PushResponse *resp = sj->resp;
	Tongxin__Envelope out = TONGXIN__ENVELOPE__INIT;
	size_t counts[4] = { 0, 0, 0, 0 }, dups = 0;
	uint32_t id = sj->env->id;

	if (!session_job_end(s))
		goto out;
	if (sj->rc != 0) {
		log_warnx("%s: push of %zu transactions failed: %s", who(s), sj->env->push->n_txns,
		    sj->err);
		session_fail(s, id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server could not store this push (%s); nothing of it was applied, "
		    "sync again later", sj->err);
		goto out;
	}
	for (size_t i = 0; i < resp->n_results; i++) {
		const Tongxin__TxnResult *res = resp->results[i];
		/* A write outside the device's organisation is a security event, logged alone. */
		if (res->status == TONGXIN__TXN_RESULT__STATUS__REJECTED && !res->duplicate &&
		    (res->reason_code == R_UNSEEN_ROW || res->reason_code == R_UNSEEN_REF ||
		    res->reason_code == R_MOVE_OUT))
			log_warnx("%s: out-of-scope write refused: transaction %llu: %s", who(s),
			    (unsigned long long)res->seq, res->reason);
		counts[resp->results[i]->status & 3]++;
		dups += resp->results[i]->duplicate;
		/* The metrics count each transaction once: a duplicate is "known", not its status. */
		s->srv->m.txns[resp->results[i]->duplicate ? MT_KNOWN :
		    (enum metrics_txn)(resp->results[i]->status & 3)]++;
	}
	out.id = id;
	out.body_case = TONGXIN__ENVELOPE__BODY_PUSH_RESULT;
	out.push_result = resp;
	if (session_send(s, &out) != 0) {
		session_fail(s, id, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "the push result is too large to send; push fewer transactions at once");
		goto out;
	}
	s->srv->m.pushes++;
	/* From the request to the answer: the time the device waited, queue included. */
	metrics_observe(&s->srv->m.push_seconds, j->finished_at - j->queued_at);
	store_device_seen(s->srv->store, s->dev.id, "push");
	log_info("%s: push: %zu applied, %zu merged, %zu conflict, %zu rejected, %zu already known "
	    "(%.0f ms, %.0f ms queued)", who(s), counts[0], counts[1], counts[2], counts[3], dups,
	    (j->finished_at - j->started_at) * 1e3, (j->started_at - j->queued_at) * 1e3);
	session_resume(s);
out:
	if (resp != NULL)
		tongxin__push_response__free_unpacked(resp, NULL);
	sjob_free(sj);
}

/* The group commit this push ran in failed: nothing of it is stored. */
static void
push_fail(struct job *j, const char *why)
{
	struct sjob *sj = j->arg;

	if (sj->resp != NULL)
		tongxin__push_response__free_unpacked(sj->resp, NULL);
	sj->resp = NULL;
	sj->rc = -1;
	snprintf(sj->err, sizeof sj->err, "%s", why);
}

static void
handle_push(struct session *s, const Tongxin__Envelope *env)
{
	session_submit(s, (Tongxin__Envelope *)env, 1, push_run, push_done);
}

/*
 * A pull's pages are made on the reader thread (work.h, a second one with
 * a store handle of its own), one page a job: reading a device's changes
 * since its cursors walks every version committed since (the other
 * branches' too), which at a burst of syncs was a third of the loop's
 * time. The loop only sends each page and asks for the next while the
 * peer's output is below PULL_LOW, so a slow reader never makes the server
 * buffer a whole bootstrap. The job reads the session's cursors, which
 * the loop leaves alone until the page is back (s->job), and writes s->pg.
 */
static void
pull_page_run(struct job *j, struct store *st)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;

	req.cursors = s->cursors;
	req.n_cursors = TBL_COUNT;
	req.evict_cursor = s->evict_cursor;
	req.note_cursor = s->note_cursor;
	req.max_rows = s->pull_max;
	sj->rc = store_pull_page(st, &sj->a, &req, s->pull_req_id, &s->pg, sj->err,
	    sizeof sj->err);
}

static void pull_continue(struct session *s);

/* A page is back on the loop: send it, then ask for the next or end the pull. */
static void
pull_page_done(struct job *j)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;

	if (!session_job_end(s) || !s->pulling)
		goto out;
	if (sj->rc != 0) {
		s->pulling = 0;
		pull_page_free(&s->pg);
		session_fail(s, s->pull_req_id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server could not read changes (%s); sync again later", sj->err);
		goto out;
	}
	memcpy(s->cursors, s->pg.cursors, sizeof s->cursors);
	s->evict_cursor = s->pg.evict_cursor;
	s->note_cursor = s->pg.note_cursor;
	s->pull_rows += s->pg.n_rows;
	s->pulling = s->pg.more;
	bufferevent_write(s->bev, s->pg.frame, s->pg.frame_len);
	s->srv->m.sent_bytes += s->pg.frame_len;
	if (!s->pulling) {
		metrics_observe(&s->srv->m.pull_seconds, mono_s() - s->pull_started);
		pull_page_free(&s->pg);
		store_device_seen(s->srv->store, s->dev.id, "pull");
		log_info("%s: pull: %llu rows sent", who(s), (unsigned long long)s->pull_rows);
		/* The next request may be waiting in the input already. */
		session_resume(s);
	} else {
		pull_continue(s);
	}
out:
	sjob_free(sj);
}

/* Ask the reader thread for the pull's next page, unless one is on its way or the output is full. */
static void
pull_continue(struct session *s)
{
	struct sjob *sj;

	if (!s->pulling || s->state != S_READY || s->job != NULL ||
	    evbuffer_get_length(bufferevent_get_output(s->bev)) >= PULL_LOW)
		return;
	if ((sj = calloc(1, sizeof *sj)) == NULL) {
		s->pulling = 0;
		pull_page_free(&s->pg);
		session_fail(s, s->pull_req_id, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server is out of memory; sync again later");
		return;
	}
	sj->s = s;
	fill_actor(s, &sj->a);
	sj->j.run = pull_page_run;
	sj->j.done = pull_page_done;
	sj->j.arg = sj;
	s->job = sj;
	work_submit(s->srv->reader, &sj->j);
}

static void
handle_pull(struct session *s, const Tongxin__Envelope *env)
{
	const Tongxin__PullRequest *p = env->pull;

	/* check_pull has bounded n_cursors by TBL_COUNT. */
	memset(s->cursors, 0, sizeof s->cursors);
	for (size_t i = 0; i < p->n_cursors; i++)
		s->cursors[i] = p->cursors[i];
	s->evict_cursor = p->evict_cursor;
	s->note_cursor = p->note_cursor;
	s->pull_max = p->max_rows;
	s->pull_req_id = env->id;
	s->pull_rows = 0;
	s->pulling = 1;
	s->pull_started = mono_s();
	pull_page_free(&s->pg);
	pull_page_init(&s->pg);
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
resolve_run(struct job *j, struct store *st)
{
	struct sjob *sj = j->arg;

	sj->rc = store_conflict_resolve(st, &sj->a, sj->env->conflict_resolve,
	    (Tongxin__ConflictResolveResponse **)&sj->resp, sj->err, sizeof sj->err);
}

static void
resolve_done(struct job *j)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;
	Tongxin__ConflictResolveResponse *resp = sj->resp;

	if (session_job_end(s)) {
		if (sj->rc != 0) {
			/* A Chinese reason with its English: see store_conflict_resolve. */
			admin_error(s, sj->env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST,
			    "conflict resolve", sj->err);
		} else {
			log_info("%s: conflict %s resolved: %s", who(s), resp->id, resp->resolution);
			reply(s, sj->env->id, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, resp);
		}
		session_resume(s);
	}
	if (resp != NULL)
		tongxin__conflict_resolve_response__free_unpacked(resp, NULL);
	sjob_free(sj);
}

static void
handle_conflict_resolve(struct session *s, const Tongxin__Envelope *env)
{
	session_submit(s, (Tongxin__Envelope *)env, 0, resolve_run, resolve_done);
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

/* Compares and remembers the result (a write): on the store thread. */
static void
replica_check_run(struct job *j, struct store *st)
{
	struct sjob *sj = j->arg;

	sj->rc = store_replica_check(st, &sj->a, sj->env->replica_check,
	    (Tongxin__ReplicaCheckResult **)&sj->resp, sj->err, sizeof sj->err);
}

static void
replica_check_done(struct job *j)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;
	Tongxin__ReplicaCheckResult *resp = sj->resp;

	if (session_job_end(s)) {
		if (sj->rc != 0) {
			admin_error(s, sj->env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST,
			    "replica check", sj->err);
		} else {
			log_info("%s: replica check: %s", who(s), resp->match ? "match" : "MISMATCH");
			reply(s, sj->env->id, TONGXIN__ENVELOPE__BODY_REPLICA_CHECK_RESULT, resp);
		}
		session_resume(s);
	}
	if (resp != NULL)
		tongxin__replica_check_result__free_unpacked(resp, NULL);
	sjob_free(sj);
}

static void
handle_replica_check(struct session *s, const Tongxin__Envelope *env)
{
	session_submit(s, (Tongxin__Envelope *)env, 0, replica_check_run, replica_check_done);
}

/*
 * A replica that saw the database's new epoch sends back what the restored
 * server may lack (store_recover), on the store thread. The session's own
 * scope bounds every row.
 */
static void
recover_run(struct job *j, struct store *st)
{
	struct sjob *sj = j->arg;

	sj->rc = store_recover(st, &sj->a, sj->env->recover, (Tongxin__RecoverResponse **)&sj->resp,
	    sj->err, sizeof sj->err);
}

static void
recover_done(struct job *j)
{
	struct sjob *sj = j->arg;
	struct session *s = sj->s;
	Tongxin__RecoverResponse *resp = sj->resp;

	if (session_job_end(s)) {
		if (sj->rc != 0) {
			admin_error(s, sj->env->id, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST, "recover",
			    sj->err);
		} else {
			if (resp->applied || resp->conflicts || resp->rejected)
				log_info("%s: recovery: %u rows written, %u known, %u queued as "
				    "conflicts, %u refused%s", who(s), resp->applied, resp->known,
				    resp->conflicts, resp->rejected, sj->env->recover->done ? " (done)" : "");
			reply(s, sj->env->id, TONGXIN__ENVELOPE__BODY_RECOVER_RESULT, resp);
		}
		session_resume(s);
	}
	if (resp != NULL)
		tongxin__recover_response__free_unpacked(resp, NULL);
	sjob_free(sj);
}

static void
handle_recover(struct session *s, const Tongxin__Envelope *env)
{
	session_submit(s, (Tongxin__Envelope *)env, 0, recover_run, recover_done);
}

/* --- bounds of every body, checked before its handler --------------------- */

/*
 * Where a check found a field out of bounds: the code to answer and a
 * sentence naming the field (never its contents).
 */
struct check {
	Tongxin__ErrorCode code;
	char why[256];
};

static int
check_fail(struct check *c, Tongxin__ErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
check_fail(struct check *c, Tongxin__ErrorCode code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	c->code = code;
	return -1;
}

/* A string field within max bytes. where names the message and item ("push: transaction 3"). */
static int
check_str(struct check *c, const char *where, const char *field, const char *v, size_t max)
{
	size_t n = v != NULL ? strlen(v) : 0;

	if (n > max)
		return check_fail(c, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "%s: %s is %zu bytes; at most %zu are accepted", where, field, n, max);
	return 0;
}

/* A repeated field with at most max entries. */
static int
check_count(struct check *c, const char *where, const char *field, size_t n, size_t max)
{
	if (n > max)
		return check_fail(c, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "%s: %s has %zu entries; at most %zu are accepted", where, field, n, max);
	return 0;
}

/* Values whose text is within WIRE_MAX_VALUE bytes each. */
static int
check_values(struct check *c, const char *where, const char *field, Tongxin__Value **v,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char what[64];
		if (v[i] == NULL || v[i]->kind_case != TONGXIN__VALUE__KIND_S)
			continue;
		snprintf(what, sizeof what, "%s[%zu]", field, i);
		if (check_str(c, where, what, v[i]->s, WIRE_MAX_VALUE) != 0)
			return -1;
	}
	return 0;
}

static int
check_hello(const Tongxin__Envelope *env, struct check *c)
{
	const Tongxin__Hello *h = env->hello;

	if (check_str(c, "hello", "operator_name", h->operator_name, WIRE_MAX_NAME) != 0 ||
	    check_str(c, "hello", "program_version", h->program_version, WIRE_MAX_NAME) != 0 ||
	    check_str(c, "hello", "replica_id", h->replica_id, WIRE_MAX_REPLICA_ID) != 0)
		return -1;
	if (h->schema_hash.len > 64)
		return check_fail(c, TONGXIN__ERROR_CODE__ERR_TOO_LARGE,
		    "hello: schema_hash is %zu bytes; at most 64 are accepted", h->schema_hash.len);
	if (h->replica_id[0] != '\0' && !id_valid(h->replica_id))
		return check_fail(c, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST,
		    "hello: replica_id is not a replica identity (a lower-case UUID)");
	return 0;
}

static int
check_change(const Tongxin__Change *ch, const char *where, struct check *c)
{
	return check_str(c, where, "row_id", ch->row_id, WIRE_MAX_ROW_ID) != 0 ||
	    check_count(c, where, "cols", ch->n_cols, WIRE_MAX_COLS) != 0 ||
	    check_count(c, where, "values", ch->n_values, WIRE_MAX_COLS) != 0 ||
	    check_count(c, where, "before", ch->n_before, WIRE_MAX_COLS) != 0 ||
	    check_values(c, where, "values", ch->values, ch->n_values) != 0 ||
	    check_values(c, where, "before", ch->before, ch->n_before) != 0 ? -1 : 0;
}

static int
check_push(const Tongxin__Envelope *env, struct check *c)
{
	const Tongxin__PushRequest *p = env->push;
	char where[96];

	if (check_count(c, "push", "txns", p->n_txns, WIRE_MAX_TXNS) != 0)
		return -1;
	for (size_t i = 0; i < p->n_txns; i++) {
		const Tongxin__Txn *tx = p->txns[i];
		snprintf(where, sizeof where, "push: transaction %zu (seq %llu)", i,
		    (unsigned long long)tx->seq);
		if (check_str(c, where, "operator_name", tx->operator_name, WIRE_MAX_NAME) != 0 ||
		    check_count(c, where, "changes", tx->n_changes, WIRE_MAX_CHANGES) != 0)
			return -1;
		for (size_t j = 0; j < tx->n_changes; j++) {
			snprintf(where, sizeof where, "push: transaction %zu (seq %llu), change %zu", i,
			    (unsigned long long)tx->seq, j);
			if (check_change(tx->changes[j], where, c) != 0)
				return -1;
		}
	}
	return 0;
}

static int
check_pull(const Tongxin__Envelope *env, struct check *c)
{
	if (env->pull->n_cursors > TBL_COUNT)
		return check_fail(c, TONGXIN__ERROR_CODE__ERR_BAD_REQUEST,
		    "pull: cursors names %zu tables; this server has %d", env->pull->n_cursors,
		    TBL_COUNT);
	return 0;
}

static int
check_replica_check(const Tongxin__Envelope *env, struct check *c)
{
	const Tongxin__ReplicaCheck *r = env->replica_check;

	if (check_count(c, "replica check", "table_hashes", r->n_table_hashes,
	    WIRE_MAX_TABLES) != 0)
		return -1;
	for (size_t i = 0; i < r->n_table_hashes; i++) {
		char what[48];
		snprintf(what, sizeof what, "table_hashes[%zu]", i);
		if (check_str(c, "replica check", what, r->table_hashes[i], WIRE_MAX_DIGEST) != 0)
			return -1;
	}
	return 0;
}

static int
check_recover(const Tongxin__Envelope *env, struct check *c)
{
	const Tongxin__RecoverRequest *r = env->recover;
	char where[64];

	if (check_str(c, "recover", "epoch", r->epoch, WIRE_MAX_IDENT) != 0 ||
	    check_count(c, "recover", "rows", r->n_rows, WIRE_MAX_RECOVER_ROWS) != 0)
		return -1;
	for (size_t i = 0; i < r->n_rows; i++) {
		snprintf(where, sizeof where, "recover: row %zu", i);
		if (check_str(c, where, "row_id", r->rows[i]->row_id, WIRE_MAX_ROW_ID) != 0 ||
		    check_count(c, where, "values", r->rows[i]->n_values, WIRE_MAX_COLS) != 0 ||
		    check_values(c, where, "values", r->rows[i]->values, r->rows[i]->n_values) != 0)
			return -1;
	}
	return 0;
}

static int
check_conflict_list(const Tongxin__Envelope *env, struct check *c)
{
	const Tongxin__ConflictFilter *f = env->conflict_list->filter;

	if (f == NULL)
		return 0;
	return check_str(c, "conflict list", "office", f->office, WIRE_MAX_IDENT) != 0 ||
	    check_str(c, "conflict list", "table", f->table, WIRE_MAX_IDENT) != 0 ||
	    check_str(c, "conflict list", "status", f->status, WIRE_MAX_IDENT) != 0 ? -1 : 0;
}

static int
check_conflict_show(const Tongxin__Envelope *env, struct check *c)
{
	return check_str(c, "conflict show", "id", env->conflict_show->id, WIRE_MAX_IDENT);
}

static int
check_conflict_resolve(const Tongxin__Envelope *env, struct check *c)
{
	const Tongxin__ConflictResolveRequest *r = env->conflict_resolve;

	return check_str(c, "conflict resolve", "id", r->id, WIRE_MAX_IDENT) != 0 ||
	    check_str(c, "conflict resolve", "note", r->note, WIRE_MAX_NOTE) != 0 ||
	    check_count(c, "conflict resolve", "cols", r->n_cols, WIRE_MAX_COLS) != 0 ||
	    check_count(c, "conflict resolve", "values", r->n_values, WIRE_MAX_COLS) != 0 ||
	    check_values(c, "conflict resolve", "values", r->values, r->n_values) != 0 ? -1 : 0;
}

static int
check_audit(const Tongxin__Envelope *env, struct check *c)
{
	return check_str(c, "audit", "row_id", env->audit->row_id, WIRE_MAX_IDENT) != 0 ||
	    check_str(c, "audit", "device_name", env->audit->device_name, WIRE_MAX_NAME) != 0 ?
	    -1 : 0;
}

/*
 * Dispatch: which body each state accepts, whether it needs an
 * administrator's certificate, the bounds of its fields, and its handler.
 * State, role and bounds are checked before any handler.
 */
static const struct {
	Tongxin__Envelope__BodyCase body;
	enum session_state state;
	int admin;
	int (*check)(const Tongxin__Envelope *, struct check *);   /* NULL: nothing to bound */
	void (*handler)(struct session *, const Tongxin__Envelope *);
} dispatch[] = {
	{ TONGXIN__ENVELOPE__BODY_HELLO, S_HELLO, 0, check_hello, handle_hello },
	{ TONGXIN__ENVELOPE__BODY_PUSH, S_READY, 0, check_push, handle_push },
	{ TONGXIN__ENVELOPE__BODY_PULL, S_READY, 0, check_pull, handle_pull },
	{ TONGXIN__ENVELOPE__BODY_REPLICA_CHECK, S_READY, 0, check_replica_check,
	  handle_replica_check },
	{ TONGXIN__ENVELOPE__BODY_RECOVER, S_READY, 0, check_recover, handle_recover },
	{ TONGXIN__ENVELOPE__BODY_CONFLICT_LIST, S_READY, 1, check_conflict_list,
	  handle_conflict_list },
	{ TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW, S_READY, 1, check_conflict_show,
	  handle_conflict_show },
	{ TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE, S_READY, 1, check_conflict_resolve,
	  handle_conflict_resolve },
	{ TONGXIN__ENVELOPE__BODY_AUDIT, S_READY, 1, check_audit, handle_audit },
	{ TONGXIN__ENVELOPE__BODY_DEVICES, S_READY, 1, NULL, handle_devices },
};

int
server_check_body(const Tongxin__Envelope *env, Tongxin__ErrorCode *code, char *why, size_t cap)
{
	struct check c;

	for (size_t i = 0; i < sizeof dispatch / sizeof dispatch[0]; i++) {
		if (dispatch[i].body != env->body_case || dispatch[i].check == NULL)
			continue;
		if (dispatch[i].check(env, &c) != 0) {
			*code = c.code;
			snprintf(why, cap, "%s", c.why);
			return -1;
		}
		break;
	}
	return 0;
}

/*
 * Whether the session's device has been revoked since it connected (by
 * tongxind revoke, another process). A database error counts as not
 * revoked: the timer asks again within a second.
 */
static int
is_session_revoked(struct session *s)
{
	const char *id = s->dev.id;
	int revoked = 0;

	if (store_devices_revoked(s->srv->store, &id, 1, &revoked) != 0) {
		log_warnx("%s: cannot check whether the device was revoked", who(s));
		return 0;
	}
	return revoked;
}

/* End the session of a device revoked while it was connected. */
static void
session_revoked(struct session *s, uint32_t id, const char *when)
{
	log_warnx("%s: device revoked while connected; %s", who(s), when);
	if (s->state == S_HELLO) {
		/* Its Hello, still to come, is answered with the refusal. */
		s->refuse_code = TONGXIN__ERROR_CODE__ERR_REVOKED;
		snprintf(s->refuse_msg, sizeof s->refuse_msg, "the certificate of device %s has been "
		    "revoked; ask the street office to enroll this computer again", s->dev.name);
		return;
	}
	session_fail(s, id, TONGXIN__ERROR_CODE__ERR_REVOKED,
	    "the certificate of device %s has been revoked; this session is closed and nothing "
	    "more is accepted from it", s->dev.name);
}

static void
session_dispatch(struct session *s, const Tongxin__Envelope *env)
{
	struct check c;

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
		if (dispatch[i].check != NULL && dispatch[i].check(env, &c) != 0) {
			/* Nothing of it is handled, so nothing of it is stored. */
			session_fail(s, env->id, c.code, "%s", c.why);
			return;
		}
		if (s->state == S_READY && is_session_revoked(s)) {
			session_revoked(s, env->id, "its request was refused and the session closed");
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

	for (int i = 0; i < FRAMES_PER_READ && s->state != S_CLOSING && !s->pulling && s->job == NULL;
	    i++) {
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
		s->srv->m.received_bytes += FRAME_HDR_LEN + (uint64_t)len;
		body = evbuffer_pullup(in, (ssize_t)(FRAME_HDR_LEN + len));
		if (body == NULL) {
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_INTERNAL, "out of memory");
			return;
		}
		env = frame_decode(body + FRAME_HDR_LEN, len);
		if (env == NULL) {
			evbuffer_drain(in, FRAME_HDR_LEN + len);
			session_fail(s, 0, TONGXIN__ERROR_CODE__ERR_MALFORMED,
			    "frame of %u bytes is not a valid message", len);
			return;
		}
		log_debug("%s: %s (%u bytes)", who(s), envelope_body_name(env), len);
		/* The frame stays in the input buffer while it is handled (see push_raw_txns). */
		s->frame = body + FRAME_HDR_LEN;
		s->frame_len = len;
		session_dispatch(s, env);
		s->frame = NULL;
		s->frame_len = 0;
		if (!s->env_taken)
			envelope_free(env);
		s->env_taken = 0;
		evbuffer_drain(in, FRAME_HDR_LEN + len);
		if (s->state != S_CLOSING &&
		    evbuffer_get_length(bufferevent_get_output(bev)) > OUTPUT_HIGH) {
			/* The peer is not reading its replies: stop reading its requests. */
			bufferevent_disable(bev, EV_READ);
			return;
		}
	}
	/* More complete frames may be waiting: come back on the next loop turn. */
	if (s->state != S_CLOSING && !s->pulling && s->job == NULL &&
	    evbuffer_get_length(in) >= FRAME_HDR_LEN)
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
	if (s->job == NULL && !(bufferevent_get_enabled(bev) & EV_READ) &&
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
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);

	va_start(ap, fmt);
	vsnprintf(s->refuse_msg, sizeof s->refuse_msg, fmt, ap);
	va_end(ap);
	s->refuse_code = code;
	s->state = S_HELLO;
	/* A resumed session verified no certificate: say so, it is what the refusal rests on. */
	log_warnx("%s: will refuse at hello%s: %s", who(s),
	    ssl != NULL && SSL_session_reused(ssl) ? " (resumed TLS session)" : "", s->refuse_msg);
}

/* The handshake finished: decide who this is. */
static void
session_authenticate(struct session *s)
{
	SSL *ssl = bufferevent_openssl_get_ssl(s->bev);
	struct pki_identity id;
	struct store_device d;
	char name[256];
	int expired = 0, rc;

	s->tls_up = 1;
	s->handshaken = 1;
	/*
	 * A resumed session skips certificate checks: expiry is checked here
	 * every time, and the device (by serial: revoked or not) too.
	 */
	if (tls_peer_identity(ssl, &id, &expired) != 0) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_UNKNOWN_DEVICE,
		    SSL_get0_peer_certificate(ssl) == NULL ? "no client certificate" :
		    "the client certificate does not name a Tongxin device");
		return;
	}
	if ((rc = store_device_by_serial(s->srv->store, id.serial, &d)) == STORE_UNREADABLE) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server cannot read its database just now; nothing was refused: sync again "
		    "in a moment");
		return;
	}
	if (rc != 0 || strcmp(d.id, id.device_id) != 0) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_UNKNOWN_DEVICE,
		    "device %s (certificate %s) is not enrolled on this server", id.device, id.serial);
		return;
	}
	s->dev = d;
	session_dev_join(s);
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
		LIST_FOREACH(o, dev_bucket_of(s->srv, d.id), dev_entry)
			same += o != s && (o->state == S_HELLO || o->state == S_READY) &&
			    o->refuse_code == 0 && strcmp(o->dev.id, d.id) == 0;
		if (same >= SESSIONS_PER_DEVICE) {
			session_refuse(s, TONGXIN__ERROR_CODE__ERR_BUSY,
			    "device %s already has %d sessions open; try again when they finish",
			    d.name, same);
			return;
		}
	}
	if ((rc = store_org_scope(s->srv->store, d.org_code, s->scope, sizeof s->scope, name,
	    sizeof name)) == STORE_UNREADABLE) {
		session_refuse(s, TONGXIN__ERROR_CODE__ERR_INTERNAL,
		    "the server cannot read its database just now; nothing was refused: sync again "
		    "in a moment");
		return;
	}
	if (rc != 0) {
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
			    "idle for %d s; closing", s->srv->lim.idle_timeout_s);
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
		if (s->state == S_TLS && vr != X509_V_OK)   /* a refused certificate */
			log_warnx("%s: TLS handshake failed: %s", who(s), buf);
		else if (s->state == S_TLS)
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
	struct addr_key key;
	enum refusal why;

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
	if (addr_key_of(sa, &key) != 0)
		why = REF_PREAUTH;   /* not an internet address: nothing to count it by */
	else if (srv->stopping)
		why = REF_STOPPING;
	else if (srv->nsessions >= srv->lim.max_sessions)
		why = REF_SESSIONS;
	else
		why = preauth_admit(srv, &key);
	if (why != REF_COUNT) {
		/* Closed before any byte is read: a refused peer costs one accept. */
		refusal_note(srv, why, host);
		evutil_closesocket(fd);
		return;
	}
	if ((s = calloc(1, sizeof *s)) == NULL || (ssl = SSL_new(srv->ctx)) == NULL) {
		log_warnx("%s:%d: refused: out of memory", host, port);
		free(s);
		evutil_closesocket(fd);
		preauth_undo(srv, &key);
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
		preauth_undo(srv, &key);
		return;
	}
	s->preauth = 1;
	s->akey = key;
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, PULL_LOW, 0);
	set_timeout(s, srv->lim.handshake_timeout_s);
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

/*
 * Close the sessions of devices revoked since they connected: tongxind
 * revoke is another process, so the server asks the store every tick.
 */
static void
revoke_sweep(struct server *srv)
{
	struct session *s, **live;
	const char **ids;
	int *revoked;
	size_t n = 0;

	if (srv->stopping || srv->nsessions == 0)
		return;
	live = calloc((size_t)srv->nsessions, sizeof *live);
	ids = calloc((size_t)srv->nsessions, sizeof *ids);
	revoked = calloc((size_t)srv->nsessions, sizeof *revoked);
	if (live == NULL || ids == NULL || revoked == NULL)
		goto out;
	TAILQ_FOREACH(s, &srv->sessions, entry) {
		if ((s->state != S_HELLO && s->state != S_READY) || s->refuse_code != 0 ||
		    s->dev.id[0] == '\0' || n == (size_t)srv->nsessions)
			continue;
		live[n] = s;
		ids[n++] = s->dev.id;
	}
	if (n > 0 && store_devices_revoked(srv->store, ids, n, revoked) != 0) {
		log_warnx("cannot check whether connected devices were revoked");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (revoked[i])
			session_revoked(live[i], 0, "its session is closed");
out:
	free(live);
	free(ids);
	free(revoked);
}

/* Every TICK_MS: revoked devices, the pre-auth table, the refusal log line. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	int64_t now = mono_ms();

	(void)fd;
	(void)what;
	preauth_sweep(srv, now);
	if (now - srv->refused_logged_ms >= REFUSAL_LOG_MS)
		refusal_flush(srv, now);
	revoke_sweep(srv);
	/*
	 * Devices' last hello, push and pull are noted in memory and written
	 * by the store thread: with the next push, or when it is idle.
	 */
	/*
	 * Closed sessions leave their memory in malloc's free lists; once the
	 * server is quiet, give it back to the system.
	 */
	if (srv->freed_since_trim > 0 && srv->nsessions == 0) {
		frame_spares_trim();
		malloc_trim(0);
		srv->freed_since_trim = 0;
	} else if (srv->freed_since_trim >= TRIM_AFTER_FREED) {
		malloc_trim(0);
		srv->freed_since_trim = 0;
	}
}

/*
 * Tell systemd how the service stands (Type=notify: "READY=1" once the
 * port is open, "STOPPING=1" when it drains). Nothing happens outside
 * systemd ($NOTIFY_SOCKET unset) or in a build without libsystemd.
 */
static void
notify(const char *state)
{
#ifdef TX_HAVE_SYSTEMD
	int rc = sd_notify(0, state);

	if (rc < 0)
		log_warnx("cannot tell systemd \"%s\": %s", state, strerror(-rc));
#else
	(void)state;
#endif
}

static void files_for_sessions(int max_sessions);

/*
 * SIGHUP: read tongxind.conf again and apply what can change while
 * sessions are open: every limit and timeout (flags given to serve still
 * win; a session's timeout moves at its next request), the log level and
 * the street's time zone (the next push's "today", the next Welcome).
 * The street, its code, the listen address and metrics_listen take a
 * restart (the metrics endpoint keeps its address until then); the
 * pre-auth table keeps its size, so max_preauth cannot grow past it. A file
 * with an error changes nothing.
 */
/* On the store thread: the conflict limit from the settings (work_start, work_call). */
static void
set_conflict_limit(struct store *st, void *arg)
{
	store_set_conflict_limit(st, *(const int *)arg);
}

static void
reload_cb(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct server_conf conf;
	struct serve_limits lim;
	char err[1024] = "", path[4200];
	enum log_level level;
	int cap;

	(void)sig, (void)what;
	if (srv->stopping)
		return;
	notify("RELOADING=1");
	snprintf(path, sizeof path, "%s/tongxind.conf", srv->dir);
	if (conf_read(srv->dir, &conf, err, sizeof err) != 0 ||
	    conf_limits(&srv->opts.limits, &conf, path, &lim, err, sizeof err) != 0) {
		log_warnx("SIGHUP: %s; the settings in force are kept", err);
		notify("READY=1");
		return;
	}
	/* The street's zone applies at once: the next push's "today" is the new zone's. */
	if (conf_apply_time_zone(&conf, "SIGHUP: ", err, sizeof err) != 0) {
		log_warnx("SIGHUP: %s; the settings in force are kept", err);
		notify("READY=1");
		return;
	}
	snprintf(srv->conf.time_zone, sizeof srv->conf.time_zone, "%s", conf.time_zone);
	if (strcmp(conf.street, srv->conf.street) != 0 || strcmp(conf.code, srv->conf.code) != 0 ||
	    (srv->opts.listen == srv->conf.listen && strcmp(conf.listen, srv->conf.listen) != 0) ||
	    strcmp(conf.metrics_listen, srv->conf.metrics_listen) != 0)
		log_warnx("SIGHUP: the street, its code, the listen address and metrics_listen "
		    "change at the next start; the rest is applied now");
	cap = srv->pat.nslots - PREAUTH_SPARE;
	if (lim.max_preauth > cap) {
		log_warnx("SIGHUP: max_preauth %d takes a restart (this server was started for %d); "
		    "%d until then", lim.max_preauth, cap, cap);
		lim.max_preauth = cap;
		if (lim.max_preauth_per_address > cap)
			lim.max_preauth_per_address = cap;
	}
	srv->lim = lim;
	srv->conf.limits = conf.limits;
	srv->conf.log_level = conf.log_level;
	work_call(srv->work, set_conflict_limit, &srv->lim.max_open_conflicts);
	files_for_sessions(lim.max_sessions);
	level = (enum log_level)(conf_log_level(srv->opts.log_level, &conf) - 1);
	/* Said at the level in force until now, then the new one applies. */
	log_info("SIGHUP: %s/tongxind.conf read again: %d sessions, %d before hello (%d from one "
	    "address, %d new connections per second from one address); timeouts: handshake %d s, "
	    "idle %d s; %d open conflicts per device; log level %s", srv->dir, lim.max_sessions,
	    lim.max_preauth, lim.max_preauth_per_address, lim.new_connections_per_second,
	    lim.handshake_timeout_s, lim.idle_timeout_s, lim.max_open_conflicts,
	    log_level_name(level));
	log_set_level(level);
	notify("READY=1");
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
	notify("STOPPING=1");
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

/*
 * Every session holds a socket: raise the soft limit on open files to the
 * hard one (a service manager's default soft limit is often 1024), and say
 * so when even that cannot hold max_sessions and the files the server
 * keeps besides.
 */
static void
files_for_sessions(int max_sessions)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_sessions + FILES_BESIDES_SESSIONS;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) != 0)
			return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		log_warnx("open files are limited to %llu, fewer than max_sessions (%d) needs "
		    "(%llu): sessions beyond that are refused; raise the limit (LimitNOFILE= in "
		    "the service unit, ulimit -n) or lower max_sessions",
		    (unsigned long long)rl.rlim_cur, max_sessions, (unsigned long long)want);
}

static void
evmap_warm_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/*
 * Give the event loop its per-descriptor slots now, for every descriptor
 * the sessions can take (max_sessions and the server's own files, within
 * the open-file limit). libevent allocates a descriptor's slot (a few
 * bytes) the first time an event is added on it and keeps it until the
 * loop is freed: made one by one as connections arrive, each sits among
 * that connection's TLS buffers, and once they have closed it pins its
 * heap page (10,000 closed connections kept ~38 MB that malloc_trim could
 * not give back). Made here they lie together: ~40 bytes a descriptor,
 * ~2 us each (10,000: 23 ms). Each free descriptor number is borrowed with
 * dup2 of one socket, an event added and deleted on it, and closed again;
 * numbers in use are left alone. It runs before any other thread starts
 * (dup2 onto a number another thread had just opened would close it).
 * Memory layout only: nothing here can fail the server.
 */
static void
evmap_warm(struct event_base *base, int max_sessions)
{
	struct rlimit rl;
	long nfd = (long)max_sessions + FILES_BESIDES_SESSIONS;
	struct event *ev;
	int sp[2];

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)nfd > rl.rlim_cur)
		nfd = (long)rl.rlim_cur;
	if ((ev = malloc(event_get_struct_event_size())) == NULL)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		free(ev);
		return;
	}
	for (long n = 0; n < nfd; n++) {
		if (fcntl((int)n, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (dup2(sp[0], (int)n) < 0)
			break;
		if (event_assign(ev, base, (int)n, EV_READ, evmap_warm_cb, NULL) == 0 &&
		    event_add(ev, NULL) == 0)
			event_del(ev);
		close((int)n);
	}
	close(sp[0]);
	close(sp[1]);
	free(ev);
}

int
server_run(const char *dir, const struct serve_opts *opts)
{
	struct server srv;
	struct server_conf conf;
	char err[1024] = "", host[256], path[4200];
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
	srv.dir = dir;
	srv.conf = conf;
	log_set_level((enum log_level)(conf_log_level(opts->log_level, &conf) - 1));
	if (opts->listen == NULL)
		srv.opts.listen = srv.conf.listen;
	snprintf(path, sizeof path, "%s/tongxind.conf", dir);
	if (conf_limits(&opts->limits, &conf, path, &srv.lim, err, sizeof err) != 0) {
		log_warnx("%s", err);
		return 1;
	}
	/* Every "today" of the server is the street's, whatever the machine's zone. */
	if (conf_apply_time_zone(&conf, "", err, sizeof err) != 0) {
		log_warnx("%s", err);
		return 1;
	}
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
	if ((srv.store = store_open(conf_store(&conf, dir), 0, err, sizeof err)) == NULL) {
		log_warnx("%s", err);
		SSL_CTX_free(srv.ctx);
		return 1;
	}
	files_for_sessions(srv.lim.max_sessions);
	if ((srv.base = event_base_new()) == NULL)
		fatalx("cannot create the event loop");
	evmap_warm(srv.base, srv.lim.max_sessions);
	/* Every write on the store thread; the devices' notes the loop takes, it writes. */
	if ((srv.work = work_start(srv.base, conf_store(&conf, dir), set_conflict_limit,
	    &srv.lim.max_open_conflicts, err, sizeof err)) == NULL) {
		log_warnx("%s", err);
		event_base_free(srv.base);
		store_close(srv.store);
		SSL_CTX_free(srv.ctx);
		return 1;
	}
	store_share_notes(srv.store, work_store(srv.work));
	/* Pull pages on a thread of their own, reading through a handle of its own. */
	if ((srv.reader = work_start(srv.base, conf_store(&conf, dir), NULL, NULL, err,
	    sizeof err)) == NULL) {
		log_warnx("%s", err);
		work_stop(srv.work);
		event_base_free(srv.base);
		store_close(srv.store);
		SSL_CTX_free(srv.ctx);
		return 1;
	}
	if (preauth_table_init(&srv.pat, srv.lim.max_preauth + PREAUTH_SPARE) != 0)
		fatalx("out of memory for the pre-auth table");
	if ((srv.dev_buckets = calloc(DEV_BUCKETS, sizeof *srv.dev_buckets)) == NULL)
		fatalx("out of memory for the sessions' table");
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_NUMERICSERV;
	snprintf(portstr, sizeof portstr, "%d", port);
	if (evutil_getaddrinfo(host, portstr, &hints, &ai) != 0 || ai == NULL) {
		log_warnx("cannot resolve listen address %s", srv.opts.listen);
		goto fail;
	}
	/*
	 * A long accept queue: a flood of connections that are refused at once
	 * must not fill it, or the kernel drops a device's SYN and its connect
	 * waits a second for the retransmission.
	 */
	srv.listener = evconnlistener_new_bind(srv.base, accept_cb, &srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, SOMAXCONN,
	    ai->ai_addr, (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (srv.listener == NULL) {
		log_warn("cannot listen on %s", srv.opts.listen);
		goto fail;
	}
	evconnlistener_set_error_cb(srv.listener, accept_error_cb);
	/* The metrics page, on its own loopback address, read by this loop too. */
	srv.msrc.m = &srv.m;
	srv.msrc.sessions_open = &srv.nsessions;
	srv.msrc.store = srv.store;
	srv.msrc.dir = dir;
	if (conf.metrics_listen[0] != '\0') {
		if ((srv.mhttp = metrics_start(srv.base, conf.metrics_listen, &srv.msrc, err,
		    sizeof err)) == NULL) {
			log_warnx("%s", err);
			goto fail;
		}
		log_info("metrics on http://%s/metrics", conf.metrics_listen);
	}
	srv.ev_term = evsignal_new(srv.base, SIGTERM, signal_cb, &srv);
	srv.ev_int = evsignal_new(srv.base, SIGINT, signal_cb, &srv);
	evsignal_add(srv.ev_term, NULL);
	evsignal_add(srv.ev_int, NULL);
	if ((srv.ev_hup = evsignal_new(srv.base, SIGHUP, reload_cb, &srv)) == NULL ||
	    evsignal_add(srv.ev_hup, NULL) != 0)
		fatalx("cannot catch SIGHUP");
	srv.ev_tick = event_new(srv.base, -1, EV_PERSIST, tick_cb, &srv);
	{
		struct timeval tick = { TICK_MS / 1000, (TICK_MS % 1000) * 1000 };
		if (srv.ev_tick == NULL || event_add(srv.ev_tick, &tick) != 0)
			fatalx("cannot start the server's timer");
	}
	{
		char shown[1100];
		conf_store_show(conf.store, shown, sizeof shown);
		log_info("serving street %s (%s) on %s; data in %s%s%s", conf.street, conf.code,
		    srv.opts.listen, dir, conf.store[0] ? ", database " : "", text_show(shown));
	}
	log_info("limits: %d sessions, %d before hello (%d from one address, %d new connections "
	    "per second from one address); timeouts: handshake %d s, idle %d s; %d open "
	    "conflicts per device", srv.lim.max_sessions, srv.lim.max_preauth,
	    srv.lim.max_preauth_per_address, srv.lim.new_connections_per_second,
	    srv.lim.handshake_timeout_s, srv.lim.idle_timeout_s, srv.lim.max_open_conflicts);
	notify("READY=1");
	event_base_dispatch(srv.base);
	refusal_flush(&srv, mono_ms());
	/* Requests still on the store and reader threads finish (and are answered if they can be). */
	do {
		work_drain(srv.work);
		work_drain(srv.reader);
	} while (work_pending(srv.work) > 0 || work_pending(srv.reader) > 0);

	/* Whatever is left after the grace period is closed now. */
	while ((s = TAILQ_FIRST(&srv.sessions)) != NULL) {
		TAILQ_REMOVE(&srv.sessions, s, entry);
		session_dev_leave(s);
		bufferevent_free(s->bev);
		free(s);
	}
	if (srv.listener)
		evconnlistener_free(srv.listener);
	event_free(srv.ev_term);
	event_free(srv.ev_int);
	event_free(srv.ev_hup);
	if (srv.ev_grace)
		event_free(srv.ev_grace);
	event_free(srv.ev_tick);
	metrics_stop(srv.mhttp);
	preauth_table_free(&srv.pat);
	free(srv.dev_buckets);
	work_stop(srv.reader);
	work_stop(srv.work);
	event_base_free(srv.base);
	store_close(srv.store);
		SSL_CTX_free(srv.ctx);
	log_info("stopped cleanly");
	return 0;
fail:
	if (srv.listener)
		evconnlistener_free(srv.listener);
	preauth_table_free(&srv.pat);
	free(srv.dev_buckets);
	work_stop(srv.reader);
	work_stop(srv.work);
	event_base_free(srv.base);
	store_close(srv.store);
	SSL_CTX_free(srv.ctx);
	return 1;
}
