/*
 * metrics.h - tongxind's counters and their Prometheus text page (exposition
 * format 0.0.4), served by libevent's evhttp on a loopback-only address
 * (metrics_listen in tongxind.conf).
 *
 * The server loop is single-threaded: it increments the counters as plain
 * integers, and the page is rendered in the same loop, from one scrape's
 * callback, without waiting on anything but one count query of the store.
 */
#ifndef TX_METRICS_H
#define TX_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct event_base;
struct store;

/* Why a connection did not become a session (the reason label of handshakes_total). */
enum metrics_refusal {
	MR_TLS,      /* the TLS handshake failed, or its certificate was refused */
	MR_REVOKED,  /* the device's certificate is revoked or expired */
	MR_LIMIT,    /* closed at accept: max_sessions, max_preauth, per address, rate */
	MR_HELLO,    /* refused at Hello for another reason (unknown device, version, ...) */
	MR_COUNT
};

/* A transaction's result as the push answered it (transactions_total{result}). */
enum metrics_txn { MT_APPLIED, MT_MERGED, MT_CONFLICT, MT_REJECTED, MT_KNOWN, MT_COUNT };

/* The fixed upper bounds of the duration histograms' buckets, in seconds (+Inf besides). */
#define METRICS_NBUCKETS 12

/* A histogram of durations: counts per bucket (not cumulative; the page sums them). */
struct metrics_hist {
	uint64_t bucket[METRICS_NBUCKETS + 1];   /* the last one: above every bound (+Inf) */
	uint64_t count;
	double sum;                              /* seconds */
};

/* The counters the server keeps; zero at start. */
struct metrics {
	uint64_t handshakes_ok;
	uint64_t handshakes_refused[MR_COUNT];
	uint64_t pushes;
	uint64_t txns[MT_COUNT];
	struct metrics_hist push_seconds;
	struct metrics_hist pull_seconds;  /* from the request to its last page queued */
	uint64_t received_bytes;           /* frames read, headers included */
	uint64_t sent_bytes;               /* frames queued for writing, headers included */
};

/* What the page shows beside the counters: read at each scrape. */
struct metrics_source {
	const struct metrics *m;
	const int *sessions_open; /* connections open, authenticated or not */
	struct store *store;      /* open conflicts, devices' last contact */
	const char *dir;          /* the data directory: tongxind.db and its WAL */
};

/* Count one duration of `seconds` in h. */
void metrics_observe(struct metrics_hist *h, double seconds);

/*
 * Append the whole page to out: every family with its HELP and TYPE lines.
 * now_ms is the wall clock (Unix ms) the devices' ages are measured from.
 * -1 if out could not grow (the page is then incomplete: do not send it).
 */
int metrics_render(struct evbuffer *out, const struct metrics_source *src, int64_t now_ms);

/*
 * Append v to out as a label value of the exposition format: backslash,
 * double quote and newline escaped (\\, \", \n), everything else as it is.
 */
int metrics_label_value(struct evbuffer *out, const char *v);

/*
 * Serve GET /metrics on addr ("HOST:PORT", a numeric loopback address that
 * conf_read has checked) from base: the page of *src (which must outlive
 * the endpoint), rendered afresh at each request. Any other path
 * is 404, any other method 405; headers and bodies beyond a few KB are
 * refused, and a client that stalls is dropped after a few seconds. NULL
 * with err when the address cannot be bound. metrics_stop frees it.
 */
struct metrics_http;
struct metrics_http *metrics_start(struct event_base *base, const char *addr,
    const struct metrics_source *src, char *err, size_t errlen);
void metrics_stop(struct metrics_http *h);

/*
 * Whether host (numeric, no brackets) is a loopback address: 127.0.0.0/8
 * or ::1. -1 if it is not a numeric address at all (no name is resolved).
 */
int metrics_host_loopback(const char *host);

#endif
