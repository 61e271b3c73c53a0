/*
 * web_sync.c - the desk's 同步 button: the same sync as "tongxin sync"
 * (sync_run), run in a thread of its own with its own connection to the
 * replica, so the event loop keeps answering while the network is slow.
 * The page polls GET /api/sync: progress is the share of the outbox (as
 * it was at the start) that the server has acknowledged, and at the end
 * every change sent is listed with what became of it (applied, merged,
 * conflict, rejected - a rejection is never silent).
 */
#include "web.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "domain.h"
#include "sync.h"
#include "vocab.h"

enum ws_state { WS_IDLE, WS_RUNNING, WS_DONE, WS_FAILED };
static const char *const ws_names[] = { "idle", "running", "done", "failed" };
static const char *const ws_labels[] = { "未同步", "同步中", "同步完成", "同步失败" };

struct web_sync {
	pthread_mutex_t mu;       /* guards everything below */
	pthread_t th;
	bool thread_live;         /* started and not yet joined */
	enum ws_state state;
	int64_t count0, lo, hi;   /* the outbox when the sync started */
	int64_t started_ms, ended_ms;
	struct sync_report rep;
	enum sync_fail fail;
	char err[1024];
	/* The thread's own copies of what it needs. */
	char path[4096], server[300], op[65];
	bool has_server, has_op;
};

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct web_sync *
web_sync_new(void)
{
	struct web_sync *s = calloc(1, sizeof *s);

	if (s != NULL)
		pthread_mutex_init(&s->mu, NULL);
	return s;
}

void
web_sync_free(struct web_sync *s)
{
	if (s == NULL)
		return;
	if (s->thread_live) {
		fprintf(stderr, "tongxin ui: 等待同步结束 waiting for the sync to finish\n");
		pthread_join(s->th, NULL);
	}
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static void *
sync_thread(void *arg)
{
	struct web_sync *s = arg;
	struct sync_opts o = { 0 };
	struct sync_report rep;
	enum sync_fail f = SYNC_LOCAL;
	struct dom_error e;
	char err[1024] = "";
	struct replica *r;
	int rc = -1;

	memset(&rep, 0, sizeof rep);
	o.server = s->has_server ? s->server : NULL;
	o.operator_name = s->has_op ? s->op : NULL;
	if ((r = replica_open(s->path, err, sizeof err)) != NULL) {
		rc = sync_run(r, &o, &rep, &f, err, sizeof err);
		/*
		 * A first pull drops the desk's name index with the replica's
		 * own: build it here, off the loop, rather than in the first
		 * roster request after the sync. Nothing to do when it is there.
		 */
		if (rc == 0 && dom_prepare_indexes(r, &e) != 0)
			fprintf(stderr, "tongxin ui: %s (the roster will build it when asked)\n",
			    e.msg);
		replica_close(r);
	}
	pthread_mutex_lock(&s->mu);
	s->rep = rep;
	s->fail = f;
	snprintf(s->err, sizeof s->err, "%s", err);
	s->state = rc == 0 ? WS_DONE : WS_FAILED;
	s->ended_ms = wall_ms();
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Join a thread that has finished (never blocks on a running one). */
static void
reap(struct web_sync *s)
{
	bool finished;

	pthread_mutex_lock(&s->mu);
	finished = s->thread_live && s->state != WS_RUNNING;
	pthread_mutex_unlock(&s->mu);
	if (finished) {
		pthread_join(s->th, NULL);
		s->thread_live = false;
	}
}

static void reply_status(struct web *w, struct evhttp_request *req, int code);

void
web_sync_start(struct web *w, struct evhttp_request *req)
{
	struct web_sync *s = w->sync;
	struct dom_error e;
	int64_t count, lo, hi;

	reap(s);
	if (s->thread_live) {
		web_reply_error(req, 409, "running", "同步正在进行 a sync is already running", NULL);
		return;
	}
	if (dom_outbox_span(w->r, &count, &lo, &hi, &e) != 0) {
		web_reply_error(req, 500, "replica", e.msg, NULL);
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->state = WS_RUNNING;
	s->count0 = count;
	s->lo = lo;
	s->hi = hi;
	s->started_ms = wall_ms();
	s->ended_ms = 0;
	memset(&s->rep, 0, sizeof s->rep);
	s->err[0] = '\0';
	snprintf(s->path, sizeof s->path, "%s", w->replica_path);
	s->has_server = w->server != NULL;
	snprintf(s->server, sizeof s->server, "%s", w->server ? w->server : "");
	s->has_op = w->operator_name != NULL;
	snprintf(s->op, sizeof s->op, "%s", w->operator_name ? w->operator_name : "");
	pthread_mutex_unlock(&s->mu);
	if (pthread_create(&s->th, NULL, sync_thread, s) != 0) {
		s->state = WS_FAILED;
		web_reply_error(req, 500, "thread", "无法启动同步 cannot start the sync", NULL);
		return;
	}
	s->thread_live = true;
	reply_status(w, req, 202);
}

void
web_sync_status(struct web *w, struct evhttp_request *req)
{
	reply_status(w, req, 200);
}

/* The sync's state as JSON, with status code. */
static void
reply_status(struct web *w, struct evhttp_request *req, int code)
{
	struct web_sync *s = w->sync;
	struct evbuffer *b;
	struct web_sync snap;
	struct dom_error e;
	struct jw j;
	int64_t count = 0, lo, hi;

	reap(s);
	pthread_mutex_lock(&s->mu);
	memcpy(&snap, s, sizeof snap);   /* the mutex in the copy is never used */
	pthread_mutex_unlock(&s->mu);
	if (dom_outbox_span(w->r, &count, &lo, &hi, &e) != 0) {
		web_reply_error(req, 500, "replica", e.msg, NULL);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		web_reply_error(req, 500, "internal", "内存不足 out of memory", NULL);
		return;
	}
	jw_init(&j, b);
	jw_obj(&j);
	jw_key(&j, "state");
	jw_obj(&j);
	jw_kstr(&j, "code", ws_names[snap.state]);
	jw_kstr(&j, "label", ws_labels[snap.state]);
	jw_end_obj(&j);
	jw_kint(&j, "started_ms", snap.started_ms);
	jw_kint(&j, "ended_ms", snap.ended_ms);
	jw_kint(&j, "pending_at_start", snap.count0);
	jw_kint(&j, "pending_now", count);
	/* Acknowledged share of what was waiting; a sync with nothing to send is all pull. */
	jw_kint(&j, "percent", snap.state == WS_DONE ? 100 : snap.count0 == 0 ? 0 :
	    (snap.count0 - (count < snap.count0 ? count : snap.count0)) * 100 / snap.count0);
	if (snap.state == WS_FAILED)
		jw_kstr(&j, "error", snap.err);
	if (snap.state == WS_DONE || snap.state == WS_FAILED) {
		jw_key(&j, "report");
		jw_obj(&j);
		jw_kstr(&j, "street", snap.rep.street);
		jw_kint(&j, "pushed", snap.rep.pushed_txns);
		jw_kint(&j, "applied", snap.rep.acks.applied);
		jw_kint(&j, "merged", snap.rep.acks.merged);
		jw_kint(&j, "conflict", snap.rep.acks.conflict);
		jw_kint(&j, "rejected", snap.rep.acks.rejected);
		jw_kint(&j, "duplicate", snap.rep.acks.duplicate);
		jw_kint(&j, "pulled", (int64_t)snap.rep.pulled_rows);
		jw_kint(&j, "evicted", (int64_t)snap.rep.evicted_rows);
		jw_kint(&j, "resolutions", (int64_t)snap.rep.resolutions);
		jw_end_obj(&j);
		/* What became of each change that was waiting when the sync started. */
		jw_key(&j, "outcomes");
		jw_arr(&j);
		if (snap.count0 > 0 &&
		    dom_outcomes(w->r, snap.lo, snap.hi, false, 1000, web_put_outcome, &j, &e) != 0) {
			evbuffer_free(b);
			web_reply_error(req, 500, "replica", e.msg, NULL);
			return;
		}
		jw_end_arr(&j);
	}
	jw_end_obj(&j);
	web_reply_json(req, code, b);
}
