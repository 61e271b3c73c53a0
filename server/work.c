/*
 * work.c - the store thread (work.h).
 *
 * Two queues under one mutex: jobs to run (the thread waits on a condition
 * variable) and jobs run (the loop is woken through a pipe whose read end
 * is an event of its loop, once for all the jobs run before it takes them).
 * Jobs marked batchable (pushes) that are queued together run as one group
 * commit once the store gives the thread its begin and end (work_set_batch):
 * one write transaction and one fsync for the group, each answer after it. The thread writes the devices' bookkeeping
 * when it has been idle for FLUSH_IDLE_MS, so a quiet server still records
 * who synced, and a busy one writes it with each push.
 */
#include "work.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

#define FLUSH_IDLE_MS 1000
#define WORK_BATCH_MAX 64   /* jobs in one group commit: bounds the first one's wait */

TAILQ_HEAD(job_list, job);

struct work {
	struct event_base *base;
	struct store *store;           /* the thread's own */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job_list todo;          /* submitted, not yet run */
	struct job_list ran;           /* run, done not yet called */
	int pending;                   /* submitted and not yet done (loop's count) */
	int stop;                      /* the thread ends once todo is empty */
	/* work_call's request: run fn between jobs (a later call replaces one not yet run). */
	void (*call_fn)(struct store *, void *);
	void *call_arg;
	int wake[2];                   /* pipe: the thread writes, the loop reads */
	int wake_sent;                 /* a wake-up is in the pipe and ran not yet taken (under mu) */
	struct event *ev_wake;
	int (*batch_begin)(struct store *, char *, size_t);
	int (*batch_end)(struct store *, char *, size_t);
};

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
wake_loop(struct work *w)
{
	char c = 1;

	/* A full pipe already holds a wake-up: the loop reads it all. */
	while (write(w->wake[1], &c, 1) < 0 && errno == EINTR)
		;
}

/*
 * Under the lock: when j may share a group commit, move the batchable jobs
 * queued right behind it into group (order kept, at most WORK_BATCH_MAX in
 * all). The number of jobs in group.
 */
static int
take_group(struct work *w, struct job *j, struct job_list *group)
{
	struct job *k;
	int n = 1;

	while (j->batch && w->batch_begin != NULL && n < WORK_BATCH_MAX &&
	    (k = TAILQ_FIRST(&w->todo)) != NULL && k->batch) {
		TAILQ_REMOVE(&w->todo, k, entry);
		TAILQ_INSERT_TAIL(group, k, entry);
		n++;
	}
	return n;
}

/*
 * Run the n jobs of group: two or more in one write transaction of the
 * store (batch_begin, each job a savepoint of it, batch_end: one fsync),
 * and when that commit fails every job is told so (fail) - nothing of the
 * group is stored, and no job's answer says otherwise. One job, or a group
 * whose transaction cannot begin, runs alone as before.
 */
static void
run_group(struct work *w, struct job_list *group, int n)
{
	struct job *k;
	char err[256] = "";

	if (n > 1 && w->batch_begin(w->store, err, sizeof err) == 0) {
		TAILQ_FOREACH(k, group, entry) {
			k->started_at = mono();
			k->run(k, w->store);
		}
		if (w->batch_end(w->store, err, sizeof err) != 0) {
			log_warnx("group commit of %d jobs failed, none of them is stored: %s", n, err);
			TAILQ_FOREACH(k, group, entry)
				k->fail(k, err);
		}
		TAILQ_FOREACH(k, group, entry)
			k->finished_at = mono();   /* committed: each answer follows the commit */
		return;
	}
	TAILQ_FOREACH(k, group, entry) {
		k->started_at = mono();
		k->run(k, w->store);
		k->finished_at = mono();
	}
}

static void *
work_main(void *arg)
{
	struct work *w = arg;
	struct timespec until;
	struct job_list group;
	int n;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct job *j;
		if (w->call_fn != NULL) {
			void (*fn)(struct store *, void *) = w->call_fn;
			void *a = w->call_arg;
			w->call_fn = NULL;
			pthread_mutex_unlock(&w->mu);
			fn(w->store, a);
			pthread_mutex_lock(&w->mu);
			continue;
		}
		if ((j = TAILQ_FIRST(&w->todo)) == NULL) {
			int rc;
			if (w->stop)
				break;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += FLUSH_IDLE_MS / 1000;
			until.tv_nsec += (FLUSH_IDLE_MS % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
			if (rc == ETIMEDOUT && TAILQ_EMPTY(&w->todo) && w->call_fn == NULL) {
				pthread_mutex_unlock(&w->mu);
				if (store_device_flush(w->store) != 0)
					log_warnx("cannot record the devices' last contact; will retry");
				pthread_mutex_lock(&w->mu);
			}
			continue;
		}
		TAILQ_REMOVE(&w->todo, j, entry);
		TAILQ_INIT(&group);
		TAILQ_INSERT_TAIL(&group, j, entry);
		n = take_group(w, j, &group);
		pthread_mutex_unlock(&w->mu);
		run_group(w, &group, n);
		pthread_mutex_lock(&w->mu);
		TAILQ_CONCAT(&w->ran, &group, entry);
		/* One wake-up for all the jobs run before the loop takes them. */
		if (!w->wake_sent) {
			w->wake_sent = 1;
			wake_loop(w);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The loop's side: call done for every job run. */
static void
work_reap(struct work *w)
{
	struct job_list ran;
	struct job *j;

	TAILQ_INIT(&ran);
	pthread_mutex_lock(&w->mu);
	TAILQ_CONCAT(&ran, &w->ran, entry);
	w->wake_sent = 0;
	pthread_mutex_unlock(&w->mu);
	while ((j = TAILQ_FIRST(&ran)) != NULL) {
		TAILQ_REMOVE(&ran, j, entry);
		w->pending--;
		j->done(j);
	}
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof buf) > 0)
		;
	work_reap(arg);
}

struct work *
work_start(struct event_base *base, const char *dir,
    void (*prepare)(struct store *st, void *arg), void *arg, char *err, size_t errlen)
{
	struct work *w = calloc(1, sizeof *w);

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->base = base;
	w->wake[0] = w->wake[1] = -1;
	TAILQ_INIT(&w->todo);
	TAILQ_INIT(&w->ran);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if ((w->store = store_open(dir, 0, err, errlen)) == NULL)
		goto fail;
	if (prepare != NULL)
		prepare(w->store, arg);
	if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "cannot make the store thread's pipe: %s", strerror(errno));
		goto fail;
	}
	if ((w->ev_wake = event_new(base, w->wake[0], EV_READ | EV_PERSIST, wake_cb, w)) == NULL ||
	    event_add(w->ev_wake, NULL) != 0) {
		snprintf(err, errlen, "cannot watch the store thread");
		goto fail;
	}
	if (pthread_create(&w->thread, NULL, work_main, w) != 0) {
		snprintf(err, errlen, "cannot start the store thread");
		goto fail;
	}
	w->started = 1;
	return w;
fail:
	if (w->ev_wake)
		event_free(w->ev_wake);
	if (w->wake[0] >= 0) {
		close(w->wake[0]);
		close(w->wake[1]);
	}
	store_close(w->store);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	return NULL;
}

void
work_set_batch(struct work *w, int (*begin)(struct store *, char *, size_t),
    int (*end)(struct store *, char *, size_t))
{
	pthread_mutex_lock(&w->mu);
	w->batch_begin = begin;
	w->batch_end = end;
	pthread_mutex_unlock(&w->mu);
}

struct store *
work_store(struct work *w)
{
	return w->store;
}

void
work_submit(struct work *w, struct job *j)
{
	j->queued_at = mono();
	w->pending++;
	pthread_mutex_lock(&w->mu);
	TAILQ_INSERT_TAIL(&w->todo, j, entry);
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void
work_call(struct work *w, void (*fn)(struct store *st, void *arg), void *arg)
{
	pthread_mutex_lock(&w->mu);
	w->call_fn = fn;
	w->call_arg = arg;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int
work_pending(const struct work *w)
{
	return w->pending;
}

void
work_drain(struct work *w)
{
	while (w != NULL && w->pending > 0) {
		struct timespec ts = { 0, 1000000 };
		work_reap(w);
		if (w->pending > 0)
			nanosleep(&ts, NULL);
	}
}

void
work_stop(struct work *w)
{
	if (w == NULL)
		return;
	work_drain(w);
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	if (w->started)
		pthread_join(w->thread, NULL);
	event_free(w->ev_wake);
	close(w->wake[0]);
	close(w->wake[1]);
	store_close(w->store);   /* writes the devices' last notes */
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
