/*
 * sync_pull.c - the pull half of a sync: pages from the server into the
 * replica; see sync_int.h.
 *
 * Two threads share the work of a pull: a reader takes each page off the
 * connection (SSL_read, then frame_decode) while the caller's thread
 * applies the page before it to SQLite. Between them is a queue of at most
 * PULL_QUEUE decoded pages. During the pull only the reader touches the
 * connection (c->ssl, c->err, c->fail) and only the applier touches the
 * replica; the reader is joined before the applier reports anything in c.
 * The first page is read by the caller's thread; the reader starts only
 * when that page says more follows (a no-op pull is one page).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "pull_raw.h"
#include "replica_int.h"
#include "sync_int.h"

/* Rows a pull page may carry (the server sends at most its own cap, 5000). */
#define PULL_PAGE_ROWS 1000

/* Decoded pages waiting for the applier: one being applied, up to two more in memory. */
#define PULL_QUEUE 2

/*
 * A trace of the pull for finding its waits: TONGXIN_PULL_TRACE=FILE
 * appends one line per page (when the reader started waiting for it, had
 * it decoded, when the applier took it and had it committed, in seconds of
 * CLOCK_MONOTONIC, as store_pull_page's server lines). Kept for the first
 * TRACE_PAGES pages of a pull; written after it.
 */
#define TRACE_PAGES 4096

struct pull_trace {
	double wait[TRACE_PAGES], got[TRACE_PAGES], take[TRACE_PAGES], done[TRACE_PAGES];
	size_t nread, napplied;
	double end0, end1;             /* rep_pull_end (the indexes built) */
};

/* Seconds on the monotonic clock, comparable between the two processes. */
static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The trace's lines, appended to the file TONGXIN_PULL_TRACE names (nothing if unset). */
static void
trace_write(const struct pull_trace *t)
{
	const char *path = getenv("TONGXIN_PULL_TRACE");
	FILE *f;

	if (path == NULL || t == NULL || (f = fopen(path, "a")) == NULL)
		return;
	for (size_t i = 0; i < t->nread && i < TRACE_PAGES; i++)
		fprintf(f, "C %zu wait %.6f got %.6f take %.6f done %.6f\n", i, t->wait[i], t->got[i],
		    i < t->napplied ? t->take[i] : 0, i < t->napplied ? t->done[i] : 0);
	fprintf(f, "C end %.6f %.6f\n", t->end0, t->end1);
	fclose(f);
}

/* A page as read: its bytes, the rows in them, and the rest of its envelope decoded. */
struct pull_page {
	Tongxin__Envelope *env;            /* the envelope without its rows (NULL: none) */
	struct pull_raw raw;               /* its bytes and rows (pull_raw.h), kept for reuse */
};

/* Pages in play at once: one being read, PULL_QUEUE waiting, one being applied. */
#define PULL_SLOTS (PULL_QUEUE + 2)

/* The queue between the reader and the applier; every field under mu. */
struct pull_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;                 /* signalled on every change below */
	struct conn *c;
	uint32_t id;                       /* the PullRequest's envelope id */
	struct pull_page *page[PULL_QUEUE];
	size_t head, n;
	struct pull_page slot[PULL_SLOTS]; /* every page's memory, reused page after page */
	struct pull_page *free[PULL_SLOTS];
	size_t nfree;
	bool done;                         /* the reader has stopped (last page queued, or failed) */
	bool failed;                       /* ... because it failed: c->fail and c->err say why */
	bool stop;                         /* the applier failed: the reader must stop */
	struct pull_trace *trace;          /* NULL unless TONGXIN_PULL_TRACE is set */
};

/*
 * Read the next page into pg: the reply to request id, a PullResponse. 0,
 * or -1 with c->fail set (an Error from the server, bytes that are not a
 * page, a reply to something else).
 */
static int
page_read(struct conn *c, uint32_t id, struct pull_page *pg)
{
	Tongxin__Envelope *env;
	uint32_t len;
	int rc;

	pg->env = NULL;
	if (conn_take_welcome(c) != 0 ||
	    conn_read_frame(c, FRAME_MAX, &pg->raw.buf, &pg->raw.cap, &len) != 0)
		return -1;
	if ((rc = pull_raw_split(&pg->raw, len)) != 0)
		return rc == -2 ? conn_fail(c, SYNC_LOCAL, "out of memory") :
		    conn_fail(c, SYNC_PROTOCOL, "the server sent an unreadable message (%u bytes)", len);
	if ((env = conn_check(c, frame_decode(pg->raw.rest, pg->raw.rest_len), len)) == NULL)
		return -1;
	if (env->body_case != TONGXIN__ENVELOPE__BODY_PULL_RESULT || env->id != id) {
		conn_fail(c, SYNC_PROTOCOL, "unexpected %s reply from the server",
		    envelope_body_name(env));
		envelope_free(env);
		return -1;
	}
	pg->env = env;
	return 0;
}

/* Every slot free, nothing queued. */
static void
pipe_init(struct pull_pipe *p, struct conn *c, uint32_t id, struct pull_trace *trace)
{
	memset(p, 0, sizeof *p);
	p->c = c;
	p->id = id;
	p->trace = trace;
	for (size_t i = 0; i < PULL_SLOTS; i++)
		p->free[i] = &p->slot[i];
	p->nfree = PULL_SLOTS;
}

/* Give back the memory of every page (the reader has stopped). */
static void
pipe_release(struct pull_pipe *p)
{
	for (size_t i = 0; i < PULL_SLOTS; i++) {
		envelope_free(p->slot[i].env);
		pull_raw_free(&p->slot[i].raw);
	}
}

/* A page the applier is done with: back to the free slots for the reader. Locks mu. */
static void
page_done(struct pull_pipe *p, struct pull_page *pg)
{
	envelope_free(pg->env);
	pg->env = NULL;
	pthread_mutex_lock(&p->mu);
	p->free[p->nfree++] = pg;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* The reader thread: pages off the connection into the queue until the last or a failure. */
static void *
pull_reader(void *arg)
{
	struct pull_pipe *p = arg;

	for (;;) {
		struct pull_trace *tr = p->trace;
		double t0 = tr ? mono_now() : 0;
		struct pull_page *pg;
		bool ok, last;

		/* A free slot: at most PULL_QUEUE are queued and one applied, so one is. */
		pthread_mutex_lock(&p->mu);
		while (p->nfree == 0 && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		pg = p->nfree > 0 ? p->free[--p->nfree] : NULL;
		pthread_mutex_unlock(&p->mu);
		ok = pg != NULL && page_read(p->c, p->id, pg) == 0;

		if (tr && tr->nread < TRACE_PAGES) {
			tr->wait[tr->nread] = t0;
			tr->got[tr->nread++] = mono_now();
		}

		pthread_mutex_lock(&p->mu);
		while (ok && p->n == PULL_QUEUE && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (!ok || p->stop) {
			p->failed = !ok && !p->stop;
			p->done = true;
			if (pg != NULL) {
				envelope_free(pg->env);
				pg->env = NULL;
				p->free[p->nfree++] = pg;
			}
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		last = !pg->env->pull_result->more;
		p->page[(p->head + p->n++) % PULL_QUEUE] = pg;
		p->done = last;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (last)
			return NULL;
	}
}

/* The next page, or NULL once the reader has stopped (then see p->failed); page_done after. */
static struct pull_page *
pull_next(struct pull_pipe *p)
{
	struct pull_page *pg = NULL;

	pthread_mutex_lock(&p->mu);
	while (p->n == 0 && !p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->n > 0) {
		pg = p->page[p->head];
		p->head = (p->head + 1) % PULL_QUEUE;
		p->n--;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return pg;
}

/*
 * Stop the reader after a failure of the applier and wait for it: it may
 * be waiting for room in the queue (woken here) or for the server's next
 * bytes (the read side of the socket is shut, so SSL_read returns at once;
 * the connection is not used again after a failed pull). What it queued
 * is freed with the slots (pipe_release).
 */
static void
pull_stop(struct pull_pipe *p, pthread_t th)
{
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	if (!p->done && p->c->fd >= 0)
		shutdown(p->c->fd, SHUT_RD);
	pthread_mutex_unlock(&p->mu);
	pthread_join(th, NULL);
	p->n = 0;   /* what was queued is freed with the slots (pipe_release) */
}

/*
 * Test hook: TONGXIN_TEST_DIE_PULL_PAGES=N ends the process (as a kill -9
 * would, exit status 3) once N pages of a pull are committed; "last" once
 * the last page is (before rep_pull_end builds the indexes). -1 for last.
 */
static long
die_after_pages(void)
{
	const char *v = getenv("TONGXIN_TEST_DIE_PULL_PAGES");
	long n;

	if (v == NULL)
		return 0;
	if (strcmp(v, "last") == 0)
		return -1;
	n = strtol(v, NULL, 10);
	return n > 0 ? n : 0;
}

/*
 * Apply one page and count it into rep; on failure err says why. The
 * counting is the one place both the pipelined and the plain loop share.
 */
static int
pull_apply(struct replica *r, const struct pull_page *pg, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen)
{
	static long pages;
	const Tongxin__PullResponse *page = pg->env->pull_result;
	uint64_t notices0 = rep->notices;
	long die = die_after_pages();

	if (rep_apply_page_raw(r, page, &pg->raw, &rep->pulled_rows, &rep->evicted_rows,
	    &rep->notices, err, errlen) != 0)
		return -1;
	if ((die > 0 && ++pages >= die) || (die < 0 && !page->more))
		_exit(3);
	rep->resolutions += page->n_resolutions - (rep->notices - notices0);
	if (o->progress)
		fprintf(stderr, "\r拉取 pulled %llu rows…", (unsigned long long)rep->pulled_rows);
	return 0;
}

/* The pages one after the other in this thread, into pg: when no second thread can be had. */
static int
pull_serial(struct conn *c, uint32_t id, struct replica *r, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen, bool *local, struct pull_page *pg)
{
	int more = 1;

	while (more) {
		if (page_read(c, id, pg) != 0)
			return -1;
		more = pg->env->pull_result->more;
		if (pull_apply(r, pg, o, rep, err, errlen) != 0) {
			*local = true;
			return -1;
		}
		envelope_free(pg->env);
		pg->env = NULL;
	}
	return 0;
}

/* Apply one page in this thread, noted in the trace; on failure *local is set. */
static int
pull_apply_traced(struct replica *r, const struct pull_page *pg, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen, bool *local, struct pull_trace *trace)
{
	double t0 = trace ? mono_now() : 0;
	int rc = pull_apply(r, pg, o, rep, err, errlen);

	if (trace && trace->napplied < TRACE_PAGES) {
		trace->take[trace->napplied] = t0;
		trace->done[trace->napplied++] = mono_now();
	}
	if (rc != 0)
		*local = true;
	return rc;
}

/*
 * The pages with the reader in a second thread; as pull_serial. The first
 * page is read here, in the caller's thread: most pulls (every no-op sync)
 * are one page, and for them a thread, its mutex and its hand-overs cost
 * more than the page. Only when that page says more follows does the
 * reader start, while the first page is applied.
 */
static int
pull_pipelined(struct conn *c, uint32_t id, struct replica *r, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen, bool *local, struct pull_trace *trace)
{
	struct pull_pipe p;
	struct pull_page *pg;
	pthread_t th;
	double tw = trace ? mono_now() : 0;
	int rc = 0;

	pipe_init(&p, c, id, trace);
	pg = p.free[--p.nfree];
	if (page_read(c, id, pg) != 0) {
		pipe_release(&p);
		return -1;
	}
	if (trace && trace->nread < TRACE_PAGES) {
		trace->wait[trace->nread] = tw;
		trace->got[trace->nread++] = mono_now();
	}
	if (!pg->env->pull_result->more) {
		rc = pull_apply_traced(r, pg, o, rep, err, errlen, local, trace);
		pipe_release(&p);
		return rc;
	}

	p.page[0] = pg;         /* the first page waits in the queue as the reader's would */
	p.n = 1;
	if (pthread_mutex_init(&p.mu, NULL) != 0)
		goto serial;
	if (pthread_cond_init(&p.cv, NULL) != 0) {
		pthread_mutex_destroy(&p.mu);
		goto serial;
	}
	if (pthread_create(&th, NULL, pull_reader, &p) != 0) {
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
		goto serial;
	}
	while ((pg = pull_next(&p)) != NULL) {
		rc = pull_apply_traced(r, pg, o, rep, err, errlen, local, trace);
		page_done(&p, pg);
		if (rc != 0)
			break;
	}
	if (rc != 0)
		pull_stop(&p, th);
	else
		pthread_join(th, NULL);
	if (rc == 0 && p.failed)
		rc = -1;   /* the reader's failure, in c already */
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	pipe_release(&p);
	return rc;

serial:
	/* No second thread: the first page here, the rest one after the other. */
	rc = pull_apply_traced(r, pg, o, rep, err, errlen, local, trace);
	envelope_free(pg->env);
	pg->env = NULL;
	if (rc == 0)
		rc = pull_serial(c, id, r, o, rep, err, errlen, local, pg);
	pipe_release(&p);
	return rc;
}

int
sync_pull(struct conn *c, struct replica *r, const struct sync_opts *o, struct sync_report *rep)
{
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	uint64_t cursors[TBL_COUNT], evict = 0;
	char err[512] = "", end_err[512] = "";
	struct pull_trace *trace = NULL;
	bool local = false;
	int rc;

	if (rep_cursors(r, cursors, &evict) != 0)
		return conn_fail(c, SYNC_LOCAL, "cannot read the pull cursors");
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.evict_cursor = evict;
	req.note_cursor = rep_note_cursor(r);
	/*
	 * Pages of PULL_PAGE_ROWS: a decoded page takes ~10x its bytes, and
	 * up to four are alive at once (read, queued, applied). At 5,000 rows
	 * that was ~17 MB each, memory touched afresh page after page (a page
	 * fault per 4 KiB, ~20 us on a virtual machine); at 1,000 the decode
	 * blocks are reused (frame.c) and a first pull of 100,000 members took
	 * 7,100 faults instead of 28,700 (replica_pull.c has the figures).
	 */
	req.max_rows = PULL_PAGE_ROWS;
	env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
	env.pull = &req;
	if (conn_send(c, &env) != 0)
		return -1;
	if (rep_pull_begin(r, err, sizeof err) != 0) {
		rep_pull_end(r, end_err, sizeof end_err);
		return conn_fail(c, SYNC_LOCAL, "%s", err);
	}
	/* The server streams pages until it has sent everything. */
	if (getenv("TONGXIN_PULL_TRACE") != NULL)
		trace = calloc(1, sizeof *trace);
	rc = pull_pipelined(c, env.id, r, o, rep, err, sizeof err, &local, trace);
	/* Every page is applied and freed: the decode blocks kept for the next go back. */
	frame_spares_trim();
	if (trace)
		trace->end0 = mono_now();
	/* Whatever happened, the replica is left whole: indexes built, cache put back. */
	if (rep_pull_end(r, end_err, sizeof end_err) != 0 && rc == 0) {
		rc = -1;
		local = true;
		snprintf(err, sizeof err, "%s", end_err);
	}
	if (trace) {
		trace->end1 = mono_now();
		trace_write(trace);
		free(trace);
	}
	if (o->progress && rep->pulled_rows)
		fprintf(stderr, "\n");
	if (rc != 0 && local)
		return conn_fail(c, SYNC_LOCAL, "%s", err);
	return rc;
}
