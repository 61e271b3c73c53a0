/*
 * work.h - the store thread: tongxind's writes run off the event loop.
 *
 * One thread owns a store handle of its own and runs the jobs the loop
 * hands it, one at a time, in order: pushes, conflict resolutions,
 * recoveries, replica checks, a device's first replica binding, and the
 * devices' bookkeeping when nothing else has written it for a while.
 * SQLite has one writer at a time, so one thread is the pool's right size
 * for it. tongxind starts a second one for reads (the pages of pulls), and
 * the loop keeps its own handle for lookups; WAL lets both read while a
 * write is in progress, and the loop keeps accepting, handshaking and
 * streaming. A session has at most one job in flight and
 * reads nothing more from its peer until the job is done (back-pressure),
 * so the queue holds at most one job per session.
 *
 * The job's run function is called on the store thread with the thread's
 * store; its done function is called afterwards on the loop's thread.
 */
#ifndef TX_WORK_H
#define TX_WORK_H

#include <sys/queue.h>

#include <event2/event.h>

struct store;

struct job {
	TAILQ_ENTRY(job) entry;
	/* On the store thread: do the work with its store, leave the outcome in the job. */
	void (*run)(struct job *j, struct store *st);
	/* On the loop's thread, after run: use the outcome, then free the job. */
	void (*done)(struct job *j);
	void *arg;                 /* the caller's (a session) */
	/*
	 * May run in a group commit with the jobs queued behind it (a push):
	 * if the group's commit fails, fail is called (on the store thread)
	 * to turn the outcome into that failure before done.
	 */
	int batch;
	void (*fail)(struct job *j, const char *why);
	double queued_at;          /* monotonic seconds: when submitted, started, finished */
	double started_at;
	double finished_at;
};

struct work;

/*
 * Start the store thread over dir's database (opened here, on the calling
 * thread) with base's loop to report to. NULL with err on failure. The
 * thread's store is given to prepare (may be NULL) before the thread
 * starts, for settings such as the conflict limit.
 */
struct work *work_start(struct event_base *base, const char *dir,
    void (*prepare)(struct store *st, void *arg), void *arg, char *err, size_t errlen);
/*
 * Group commit: begin opens one write transaction for the batchable jobs
 * queued together (at most WORK_BATCH_MAX), end commits it; each job's
 * done runs after end, so every answer follows a durable commit.
 */
void work_set_batch(struct work *w, int (*begin)(struct store *, char *, size_t),
    int (*end)(struct store *, char *, size_t));
/* The store the thread owns: only for calls that are safe from any thread (see store.h). */
struct store *work_store(struct work *w);
/* Hand a job to the store thread. Never blocks. */
void work_submit(struct work *w, struct job *j);
/*
 * Run fn(st, arg) on the store thread between jobs (a settings change):
 * never waits for the job in hand; arg must live until then, and a later
 * call replaces one not yet run.
 */
void work_call(struct work *w, void (*fn)(struct store *st, void *arg), void *arg);
/* Jobs submitted and not yet done (queued or running). */
int work_pending(const struct work *w);
/*
 * Stop: the jobs already queued are run and their done functions called
 * (from the loop, which must still be running) - see work_drain - then
 * the thread ends and its store is closed. Accepts NULL.
 */
void work_stop(struct work *w);
/*
 * Run the loop's side until every submitted job is done: for shutdown,
 * after the loop itself has stopped.
 */
void work_drain(struct work *w);

#endif
