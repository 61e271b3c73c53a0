/*
 * sync.h - the client's side of the wire: a blocking TLS connection that
 * speaks framed envelopes, and the sync procedure (hello, push the outbox,
 * pull the scope) on top of it.
 *
 * Failures are classified so that the CLI can say precisely what went
 * wrong ("server unreachable", "certificate revoked", "protocol version 2
 * required") and exit with a documented code.
 */
#ifndef TX_SYNC_H
#define TX_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>

#include "replica.h"
#include "tongxin.pb-c.h"

/* Why a connection or exchange failed; maps onto the CLI's exit codes. */
enum sync_fail {
	SYNC_OK = 0,
	SYNC_UNREACHABLE,   /* no TCP connection (refused, timed out, no route) */
	SYNC_TLS,           /* TLS failed: untrusted server, certificate refused */
	SYNC_REFUSED,       /* the server refused this device (revoked, unknown, forbidden) */
	SYNC_MISMATCH,      /* protocol version or schema differs */
	SYNC_PROTOCOL,      /* the peer broke the protocol or closed mid-exchange */
	SYNC_SERVER,        /* the server reported an internal failure */
	SYNC_LOCAL,         /* the local replica could not be read or written */
	SYNC_DECLINED,      /* the server declined this request (invalid, too large): nothing changed */
	SYNC_NOT_FOUND,     /* the server has no such object (a conflict id, ...) */
	SYNC_RECOVER,       /* the server was restored: sync_run recovers and tries again */
};

struct conn {
	int fd;
	SSL *ssl;
	uint32_t next_id;
	int timeout_ms;             /* how long the server may stay silent, normally */
	int wait_ms;                /* the socket's timeouts now (conn_wait) */
	enum sync_fail fail;
	char err[1024];
	Tongxin__ErrorCode remote_code;  /* when the server sent an Error */
	/*
	 * A Hello sent whose Welcome has not been read yet (0: none). The next
	 * conn_expect reads the Welcome first and hands it to welcome_cb, so a
	 * request can follow the Hello without waiting a round trip. The
	 * callback may run on whichever thread reads: it only copies.
	 */
	uint32_t hello_id;
	int (*welcome_cb)(struct conn *c, const Tongxin__Welcome *w, void *arg);
	void *welcome_arg;
	/*
	 * Frames held back (conn_hold) until the next read or conn_flush, so
	 * that requests sent one after the other without waiting (a Hello and
	 * the Pull after it) leave in one TLS record and one TCP segment: the
	 * server reads them in one wake-up. Owned; freed by conn_close.
	 */
	int hold;
	uint8_t *held;
	size_t held_len, held_cap;
	/*
	 * The last frame's bytes, reused for the next (a pull's pages are
	 * 1.7 MB each: fresh memory for each cost a page fault per 4 KiB, see
	 * common/frame.c). Owned; freed by conn_close.
	 */
	uint8_t *rbuf;
	size_t rbuf_cap;
};

/*
 * Connect to hostport with ctx, resuming *session when given (and replacing
 * it with the new session afterwards). -1 with c->fail/c->err on failure.
 */
int conn_open(struct conn *c, SSL_CTX *ctx, const char *hostport, SSL_SESSION **session,
    int timeout_ms);
/* Send one envelope (id assigned if 0); held back while c->hold (see conn_hold). */
int conn_send(struct conn *c, Tongxin__Envelope *env);
/* Hold back what is sent from now on until the next read or conn_flush. */
void conn_hold(struct conn *c);
/* Write what is held back, and stop holding. 0, or -1 with c->fail/c->err. */
int conn_flush(struct conn *c);
/*
 * Send an envelope whose body is already encoded: id, then body (the bytes
 * of the message in oneof field body_field, e.g. TONGXIN__ENVELOPE__BODY_PUSH).
 */
int conn_send_body(struct conn *c, uint32_t id, uint32_t body_field, const uint8_t *body,
    size_t n);
/* Let the server stay silent up to ms from now on (socket send and receive timeouts). */
void conn_wait(struct conn *c, int ms);
/*
 * Read the Welcome owed for a Hello sent earlier (c->hello_id) and hand it
 * to c->welcome_cb; 0 at once when none is owed. -1 with c->fail/c->err.
 */
int conn_take_welcome(struct conn *c);
/*
 * Receive one envelope of at most cap bytes. A server Error is turned into
 * a failure (NULL) with its message in c->err.
 */
Tongxin__Envelope *conn_recv(struct conn *c, size_t cap);
/* Close politely (TLS close_notify); accepts a closed conn. */
void conn_close(struct conn *c, SSL_SESSION **session);

/* What a sync did. */
struct sync_report {
	int64_t pushed_txns;
	struct rep_ack_counts acks;
	uint64_t pulled_rows;
	uint64_t evicted_rows;
	char street[256];
	char device[65];
	char role[16];
	char server_version[32];
	uint64_t resolutions;       /* this device's conflicts settled since the last pull */
	uint64_t notices;           /* values this device wrote that newer edits replaced */
	char verify[256];           /* the replica check's verdict, with --verify */
	/* After the server was restored from a backup (see RecoverRequest). */
	int restored;               /* the Welcome said so: this sync recovered */
	uint64_t recover_rows;      /* rows sent back */
	uint64_t recover_applied, recover_known, recover_conflicts, recover_rejected;
	uint64_t resent_conflicts;  /* kept conflicts sent again */
};

struct sync_opts {
	const char *server;         /* overrides the replica's server address */
	const char *operator_name;
	int progress;               /* print progress on stderr (a terminal) */
	int push_only, pull_only, check_only;
	int verify;                 /* after pulling, have the server check the replica's digests */
	int timeout_ms;
	SSL_CTX *ctx;               /* reuse a context (benchmarks); NULL: make one */
	SSL_SESSION **session;      /* resume and keep a TLS session, if not NULL */
	/* Test hook: exit(3) right after the server acknowledged a push, before recording it. */
	int die_after_push;
};

/*
 * Run a sync (or only the hello with check_only). Returns 0, or -1 with
 * *fail and err set.
 */
int sync_run(struct replica *r, const struct sync_opts *o, struct sync_report *rep,
    enum sync_fail *fail, char *err, size_t errlen);

/*
 * One request/reply exchange after hello (administrators' verbs). *reply is
 * the server's answer of kind want (free with envelope_free); a server Error
 * becomes -1 with its message in err.
 */
int sync_request(struct replica *r, const struct sync_opts *o, Tongxin__Envelope *req,
    Tongxin__Envelope__BodyCase want, Tongxin__Envelope **reply, enum sync_fail *fail,
    char *err, size_t errlen);

#endif
