/*
 * metrics.c - tongxind's Prometheus text page (exposition format 0.0.4) and
 * the loopback-only evhttp endpoint that serves it (see metrics.h).
 *
 * The page is rendered whole at each scrape from the counters the server
 * keeps in memory, one count query (open conflicts), one walk of the
 * devices (their last contact, kept in memory by the store between
 * flushes) and two stat calls: no scrape waits on a lock or on the disk
 * beyond that, so the server's loop is never held for long.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "addr.h"
#include "ids.h"
#include "store.h"

#define METRICS_MAX_HEADERS 8192   /* a scraper sends a few hundred bytes of headers */
#define METRICS_MAX_BODY 4096      /* GET has no body; anything larger is refused (413) */
#define METRICS_TIMEOUT_S 5        /* a client that stalls mid-request is dropped */

/* The buckets' upper bounds, as numbers and as the le label spells them. */
static const double bucket_le[METRICS_NBUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};
static const char *const bucket_label[METRICS_NBUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30"
};

static const char *const refusal_reason[MR_COUNT] = { "tls", "revoked", "limit", "hello" };
static const char *const txn_result[MT_COUNT] = {
	"applied", "merged", "conflict", "rejected", "known"
};

void
metrics_observe(struct metrics_hist *h, double seconds)
{
	size_t i = 0;

	if (seconds < 0)
		seconds = 0;
	while (i < METRICS_NBUCKETS && seconds > bucket_le[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

/* The page being written: the first failure to grow it sticks. */
struct page {
	struct evbuffer *b;
	int failed;
};

static void put(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append formatted text to the page. */
static void
put(struct page *p, const char *fmt, ...)
{
	va_list ap;

	if (p->failed)
		return;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(p->b, fmt, ap) < 0)
		p->failed = 1;
	va_end(ap);
}

/* A family's HELP and TYPE lines: every family of the page has both. */
static void
family(struct page *p, const char *name, const char *type, const char *help)
{
	put(p, "# HELP tongxind_%s %s\n# TYPE tongxind_%s %s\n", name, help, name, type);
}

int
metrics_label_value(struct evbuffer *out, const char *v)
{
	const char *run = v;

	/* Copy runs of plain bytes whole; escape the three the format reserves. */
	for (; *v != '\0'; v++) {
		const char *esc = *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : *v == '\n' ? "\\n" : NULL;
		if (esc == NULL)
			continue;
		if (evbuffer_add(out, run, (size_t)(v - run)) != 0 || evbuffer_add(out, esc, 2) != 0)
			return -1;
		run = v + 1;
	}
	return evbuffer_add(out, run, (size_t)(v - run));
}

/* One histogram: cumulative _bucket lines, then _sum and _count. */
static void
histogram(struct page *p, const char *name, const char *help, const struct metrics_hist *h)
{
	uint64_t cum = 0;

	family(p, name, "histogram", help);
	for (size_t i = 0; i < METRICS_NBUCKETS; i++) {
		cum += h->bucket[i];
		put(p, "tongxind_%s_bucket{le=\"%s\"} %llu\n", name, bucket_label[i],
		    (unsigned long long)cum);
	}
	cum += h->bucket[METRICS_NBUCKETS];
	put(p, "tongxind_%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	put(p, "tongxind_%s_sum %.6f\n", name, h->sum);
	put(p, "tongxind_%s_count %llu\n", name, (unsigned long long)h->count);
}

/* What store_device_each's callback needs to write a device's line. */
struct device_ages {
	struct page *p;
	int64_t now_ms;
};

/* One line per live device that has been seen at least once. */
static int
device_age(const struct store_device *d, void *arg)
{
	struct device_ages *a = arg;
	int64_t age_ms;

	if (d->revoked_at != 0 || d->last_seen <= 0)
		return 0;
	age_ms = a->now_ms - d->last_seen;
	if (age_ms < 0)
		age_ms = 0;   /* the wall clock went back: not a negative age */
	put(a->p, "tongxind_device_last_sync_age_seconds{device=\"");
	if (!a->p->failed && metrics_label_value(a->p->b, d->name) != 0)
		a->p->failed = 1;
	put(a->p, "\"} %.3f\n", (double)age_ms / 1000.0);
	return a->p->failed;
}

/* The size of dir/name in bytes; 0 when it is not there (no WAL yet). */
static long long
file_bytes(const char *dir, const char *name)
{
	char path[4200];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

int
metrics_render(struct evbuffer *out, const struct metrics_source *src, int64_t now_ms)
{
	const struct metrics *m = src->m;
	struct page p = { out, 0 };
	struct device_ages ages = { &p, now_ms };
	int64_t conflicts = store_count(src->store, "conflicts");

	family(&p, "sessions_open", "gauge",
	    "Connections open, whether or not they have finished TLS and Hello.");
	put(&p, "tongxind_sessions_open %d\n", *src->sessions_open);
	family(&p, "handshakes_total", "counter",
	    "Connections that became sessions (result=\"ok\") or were refused, by reason: "
	    "tls (handshake failed or certificate refused), revoked (certificate revoked or "
	    "expired), limit (closed at accept by a limit), hello (refused at Hello).");
	put(&p, "tongxind_handshakes_total{result=\"ok\"} %llu\n",
	    (unsigned long long)m->handshakes_ok);
	for (int r = 0; r < MR_COUNT; r++)
		put(&p, "tongxind_handshakes_total{result=\"refused\",reason=\"%s\"} %llu\n",
		    refusal_reason[r], (unsigned long long)m->handshakes_refused[r]);
	family(&p, "pushes_total", "counter", "Push requests stored and answered.");
	put(&p, "tongxind_pushes_total %llu\n", (unsigned long long)m->pushes);
	family(&p, "transactions_total", "counter",
	    "Pushed transactions by result; known: already stored, acknowledged again.");
	for (int r = 0; r < MT_COUNT; r++)
		put(&p, "tongxind_transactions_total{result=\"%s\"} %llu\n", txn_result[r],
		    (unsigned long long)m->txns[r]);
	histogram(&p, "push_duration_seconds", "Time to store a push and queue its answer.",
	    &m->push_seconds);
	histogram(&p, "pull_duration_seconds",
	    "Time from a pull request to its last page queued.", &m->pull_seconds);
	family(&p, "received_bytes_total", "counter", "Bytes of frames read from devices.");
	put(&p, "tongxind_received_bytes_total %llu\n", (unsigned long long)m->received_bytes);
	family(&p, "sent_bytes_total", "counter", "Bytes of frames queued for devices.");
	put(&p, "tongxind_sent_bytes_total %llu\n", (unsigned long long)m->sent_bytes);
	family(&p, "conflicts_open", "gauge", "Conflicts waiting for the street to resolve.");
	put(&p, "tongxind_conflicts_open %lld\n", (long long)(conflicts < 0 ? 0 : conflicts));
	family(&p, "device_last_sync_age_seconds", "gauge",
	    "Seconds since each enrolled, unrevoked device last reached the server.");
	if (!p.failed && store_device_each(src->store, device_age, &ages) != 0)
		p.failed = 1;
	family(&p, "database_bytes", "gauge", "Size of tongxind.db.");
	put(&p, "tongxind_database_bytes %lld\n", file_bytes(src->dir, "tongxind.db"));
	family(&p, "wal_bytes", "gauge", "Size of tongxind.db-wal (0 when there is none).");
	put(&p, "tongxind_wal_bytes %lld\n", file_bytes(src->dir, "tongxind.db-wal"));
	return p.failed ? -1 : 0;
}

/* --- the endpoint ------------------------------------------------------ */

struct metrics_http {
	struct evhttp *http;
	const struct metrics_source *src;
};

/* Answer a request with a status and a one-line text body. */
static void
plain_reply(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/* GET /metrics: the page; any other path 404, any other method 405. */
static void
metrics_request_cb(struct evhttp_request *req, void *arg)
{
	const struct metrics_http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evbuffer *b;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		plain_reply(req, HTTP_NOTFOUND, "Not Found", "not found: the page is /metrics");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		plain_reply(req, HTTP_BADMETHOD, "Method Not Allowed", "only GET is served here");
		return;
	}
	if ((b = evbuffer_new()) == NULL || metrics_render(b, h->src, now_ms()) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		plain_reply(req, HTTP_INTERNAL, "Internal Server Error", "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

int
metrics_host_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return -1;
}

struct metrics_http *
metrics_start(struct event_base *base, const char *addr, const struct metrics_source *src,
    char *err, size_t errlen)
{
	struct metrics_http *h;
	char host[256];
	int port;

	if (split_hostport(addr, host, sizeof host, &port) != 0 ||
	    metrics_host_loopback(host) != 1) {
		snprintf(err, errlen, "metrics_listen must be a loopback address (127.0.0.0/8 or "
		    "::1), not \"%s\"", addr);
		return NULL;
	}
	if ((h = calloc(1, sizeof *h)) == NULL || (h->http = evhttp_new(base)) == NULL) {
		free(h);
		snprintf(err, errlen, "out of memory for the metrics endpoint");
		return NULL;
	}
	h->src = src;
	evhttp_set_max_headers_size(h->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(h->http, METRICS_MAX_BODY);
	evhttp_set_timeout(h->http, METRICS_TIMEOUT_S);
	evhttp_set_gencb(h->http, metrics_request_cb, h);
	if (evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)port) == NULL) {
		snprintf(err, errlen, "cannot listen for metrics on %s: %s", addr,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		evhttp_free(h->http);
		free(h);
		return NULL;
	}
	return h;
}

void
metrics_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	evhttp_free(h->http);
	free(h);
}
