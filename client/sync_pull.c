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
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"
#include "replica_int.h"
#include "sync_int.h"

/* Decoded pages waiting for the applier: one being applied, up to two more in memory. */
#define PULL_QUEUE 2

/* The queue between the reader and the applier; every field under mu. */
struct pull_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;                 /* signalled on every change below */
	struct conn *c;
	uint32_t id;                       /* the PullRequest's envelope id */
	Tongxin__Envelope *page[PULL_QUEUE];
	size_t head, n;
	bool done;                         /* the reader has stopped (last page queued, or failed) */
	bool failed;                       /* ... because it failed: c->fail and c->err say why */
	bool stop;                         /* the applier failed: the reader must stop */
};

/* The reader thread: pages off the connection into the queue until the last or a failure. */
static void *
pull_reader(void *arg)
{
	struct pull_pipe *p = arg;

	for (;;) {
		Tongxin__Envelope *in = conn_expect(p->c, p->id, TONGXIN__ENVELOPE__BODY_PULL_RESULT);
		bool last;

		pthread_mutex_lock(&p->mu);
		while (in != NULL && p->n == PULL_QUEUE && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (in == NULL || p->stop) {
			p->failed = in == NULL && !p->stop;
			p->done = true;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
			envelope_free(in);
			return NULL;
		}
		last = !in->pull_result->more;
		p->page[(p->head + p->n++) % PULL_QUEUE] = in;
		p->done = last;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (last)
			return NULL;
	}
}

/* The next decoded page, or NULL once the reader has stopped (then see p->failed). */
static Tongxin__Envelope *
pull_next(struct pull_pipe *p)
{
	Tongxin__Envelope *in = NULL;

	pthread_mutex_lock(&p->mu);
	while (p->n == 0 && !p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->n > 0) {
		in = p->page[p->head];
		p->head = (p->head + 1) % PULL_QUEUE;
		p->n--;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return in;
}

/*
 * Stop the reader after a failure of the applier and wait for it: it may
 * be waiting for room in the queue (woken here) or for the server's next
 * bytes (the read side of the socket is shut, so SSL_read returns at once;
 * the connection is not used again after a failed pull). Frees what it
 * queued.
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
	while (p->n > 0) {
		envelope_free(p->page[p->head]);
		p->head = (p->head + 1) % PULL_QUEUE;
		p->n--;
	}
}

/*
 * Test hook: TONGXIN_TEST_DIE_PULL_PAGES=N ends the process (as a kill -9
 * would, exit status 3) once N pages of a pull are committed.
 */
static long
die_after_pages(void)
{
	const char *v = getenv("TONGXIN_TEST_DIE_PULL_PAGES");
	long n = v ? strtol(v, NULL, 10) : 0;

	return n > 0 ? n : 0;
}

/*
 * Apply one page and count it into rep; on failure err says why. The
 * counting is the one place both the pipelined and the plain loop share.
 */
static int
pull_apply(struct replica *r, const Tongxin__PullResponse *page, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen)
{
	static long pages;
	uint64_t notices0 = rep->notices;
	long die = die_after_pages();

	if (rep_apply_page(r, page, &rep->pulled_rows, &rep->evicted_rows, &rep->notices, err,
	    errlen) != 0)
		return -1;
	if (die > 0 && ++pages >= die)
		_exit(3);
	rep->resolutions += page->n_resolutions - (rep->notices - notices0);
	if (o->progress)
		fprintf(stderr, "\r拉取 pulled %llu rows…", (unsigned long long)rep->pulled_rows);
	return 0;
}

/* The pages one after the other in this thread: when no second thread can be had. */
static int
pull_serial(struct conn *c, uint32_t id, struct replica *r, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen, bool *local)
{
	int more = 1;

	while (more) {
		Tongxin__Envelope *in = conn_expect(c, id, TONGXIN__ENVELOPE__BODY_PULL_RESULT);
		if (in == NULL)
			return -1;
		more = in->pull_result->more;
		if (pull_apply(r, in->pull_result, o, rep, err, errlen) != 0) {
			envelope_free(in);
			*local = true;
			return -1;
		}
		envelope_free(in);
	}
	return 0;
}

/* The pages with the reader in a second thread; as pull_serial. */
static int
pull_pipelined(struct conn *c, uint32_t id, struct replica *r, const struct sync_opts *o,
    struct sync_report *rep, char *err, size_t errlen, bool *local)
{
	struct pull_pipe p;
	pthread_t th;
	Tongxin__Envelope *in;
	int rc = 0;

	memset(&p, 0, sizeof p);
	p.c = c;
	p.id = id;
	if (pthread_mutex_init(&p.mu, NULL) != 0)
		return pull_serial(c, id, r, o, rep, err, errlen, local);
	if (pthread_cond_init(&p.cv, NULL) != 0) {
		pthread_mutex_destroy(&p.mu);
		return pull_serial(c, id, r, o, rep, err, errlen, local);
	}
	if (pthread_create(&th, NULL, pull_reader, &p) != 0) {
		pthread_cond_destroy(&p.cv);
		pthread_mutex_destroy(&p.mu);
		return pull_serial(c, id, r, o, rep, err, errlen, local);
	}
	while ((in = pull_next(&p)) != NULL) {
		rc = pull_apply(r, in->pull_result, o, rep, err, errlen);
		envelope_free(in);
		if (rc != 0) {
			*local = true;
			break;
		}
	}
	if (rc != 0)
		pull_stop(&p, th);
	else
		pthread_join(th, NULL);
	if (rc == 0 && p.failed)
		rc = -1;   /* the reader's failure, in c already */
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

int
sync_pull(struct conn *c, struct replica *r, const struct sync_opts *o, struct sync_report *rep)
{
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;
	uint64_t cursors[TBL_COUNT], evict = 0;
	char err[512] = "", end_err[512] = "";
	bool local = false;
	int rc;

	if (rep_cursors(r, cursors, &evict) != 0)
		return conn_fail(c, SYNC_LOCAL, "cannot read the pull cursors");
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.evict_cursor = evict;
	req.note_cursor = rep_note_cursor(r);
	env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
	env.pull = &req;
	if (conn_send(c, &env) != 0)
		return -1;
	if (rep_pull_begin(r, err, sizeof err) != 0) {
		rep_pull_end(r, end_err, sizeof end_err);
		return conn_fail(c, SYNC_LOCAL, "%s", err);
	}
	/* The server streams pages until it has sent everything. */
	rc = pull_pipelined(c, env.id, r, o, rep, err, sizeof err, &local);
	/* Whatever happened, the replica is left whole: indexes built, cache put back. */
	if (rep_pull_end(r, end_err, sizeof end_err) != 0 && rc == 0) {
		rc = -1;
		local = true;
		snprintf(err, sizeof err, "%s", end_err);
	}
	if (o->progress && rep->pulled_rows)
		fprintf(stderr, "\n");
	if (rc != 0 && local)
		return conn_fail(c, SYNC_LOCAL, "%s", err);
	return rc;
}
