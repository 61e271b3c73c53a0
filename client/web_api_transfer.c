/*
 * web_api_transfer.c - the desk's API for 转接 transfers, and for
 * administrators 冲突 conflicts, 设备 devices, 审计 audit.
 * Handlers translate HTTP to the domain layer (dom_admin.h); no SQL here.
 *
 * Transfers are local writes on the replica and answer at once. The
 * administrators' routes are requests to the server (a TLS round trip that
 * may take seconds or time out), so they never run on the event loop: each
 * request becomes a job run by a thread of its own with its own connection
 * to the replica (as web_sync.c does). The thread builds the whole answer
 * and writes one byte to the job's pipe; the loop, woken by that byte,
 * sends the answer. A client that goes away meanwhile marks the job (the
 * connection's close callback) and its answer is dropped.
 */
#include "web_api.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "dom_admin.h"
#include "sync.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

/* At most this many administrators' requests in flight; more get 503. */
#define ADMIN_MAX_JOBS 4
/* Bounds of the administrators' inputs. */
#define ADMIN_ARG_MAX 128
#define ADMIN_VAL_MAX 2000

/* An argument that must be at most max bytes: NULL when absent or too long (*bad set). */
static const char *
bounded(const char *s, size_t max, bool *bad)
{
	if (s != NULL && strlen(s) > max) {
		*bad = true;
		return NULL;
	}
	return s;
}

/* --- 转接 transfers ------------------------------------------------------ */

static void
put_org_ref(struct jw *j, const char *key, const char *id, const char *code, const char *name)
{
	jw_key(j, key);
	jw_obj(j);
	jw_kstr(j, "id", id);
	jw_kstr(j, "code", code);
	jw_kstr(j, "name", name);
	jw_kbool(j, "visible", name != NULL);
	jw_end_obj(j);
}

static void
put_transfer(const struct dom_transfer_row *t, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "id", t->id);
	jw_key(j, "direction");
	jw_obj(j);
	jw_kstr(j, "code", t->outgoing ? "out" : "in");
	jw_kstr(j, "label", t->outgoing ? "转出" : "转入");
	jw_end_obj(j);
	jw_kstr(j, "member_id", t->member_id);
	jw_kstr(j, "member_name", t->member_name);
	jw_kbool(j, "member_here", t->member_here);
	put_org_ref(j, "from", t->from_org_id, t->from_code, t->from_name);
	put_org_ref(j, "to", t->to_org_id, t->to_code, t->to_name);
	jw_kstr(j, "requested_on", t->requested_on);
	jw_kstr(j, "reason", t->reason);
	web_jw_coded(j, "status", web_col(TBL_TRANSFER, "status"), t->status);
	jw_kstr(j, "decided_on", t->decided_on);
	jw_kstr(j, "decision_note", t->decision_note);
	jw_kbool(j, "can_decide", t->can_decide);
	jw_kbool(j, "can_withdraw", t->can_withdraw);
	jw_end_obj(j);
}

/* GET /api/transfers[?all=1]: the open transfers, or all of them. */
static void
api_transfers(struct call *c)
{
	const char *all = web_arg(c, "all");
	struct dom_error e;
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kstr(&j, "org_code", replica_info(c->w->r)->org_code);
	jw_key(&j, "rows");
	jw_arr(&j);
	if (dom_transfer_list(c->w->r, all && strcmp(all, "1") == 0, put_transfer, &j, &e) != 0) {
		evbuffer_free(b);
		web_reply_dom_error(c, &e, TBL_TRANSFER);
		return;
	}
	jw_end_arr(&j);
	jw_end_obj(&j);
	web_reply_json(c->req, 200, b);
}

/* Answer a transfer write: {"ok": true, "id", "member_name"} with code. */
static void
reply_done(struct call *c, int code, const char *id, const char *name)
{
	struct jw j;
	struct evbuffer *b = web_new_body(c, &j);

	if (b == NULL)
		return;
	jw_obj(&j);
	jw_kbool(&j, "ok", true);
	jw_kstr(&j, "id", id);
	jw_kstr(&j, "member_name", name);
	jw_end_obj(&j);
	web_reply_json(c->req, code, b);
}

/* POST /api/transfers: member, to, reason, date. */
static void
api_transfer_request(struct call *c)
{
	struct dom_transfer_req q = { 0 };
	char id[ID_TEXT_LEN + 1], name[128];
	struct dom_error e;
	bool bad = false;

	q.member = bounded(web_field(c, "member"), 64, &bad);
	q.to_code = bounded(web_field(c, "to"), DOM_TRANSFER_CODE_MAX, &bad);
	q.reason = bounded(web_field(c, "reason"), DOM_TRANSFER_NOTE_MAX, &bad);
	q.date = bounded(web_field(c, "date"), 10, &bad);
	if (bad) {
		web_reply_error(c->req, 422, "invalid", "填写的内容过长 an item is too long", NULL);
		return;
	}
	if (q.member == NULL || q.member[0] == '\0') {
		web_reply_error(c->req, 422, "missing", "请选择要转出的党员 choose the member", "member");
		return;
	}
	if (dom_transfer_request(c->w->r, c->w->operator_name, &q, id, name, &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	reply_done(c, 201, id, name);
}

/* POST /api/transfers/accept | reject: id, note. */
static void
transfer_decide(struct call *c, bool accept)
{
	char name[128];
	struct dom_error e;
	bool bad = false;
	const char *id = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);
	const char *note = bounded(web_field(c, "note"), DOM_TRANSFER_NOTE_MAX, &bad);

	if (bad) {
		web_reply_error(c->req, 422, "invalid", "说明不能超过 500 字节 the note is too long",
		    "note");
		return;
	}
	if (dom_transfer_decide(c->w->r, c->w->operator_name, id ? id : "", accept, note, name,
	    &e) != 0) {
		if (e.kind == DOM_MISSING)
			web_reply_error(c->req, 422, "missing", e.msg, "note");
		else
			web_reply_dom_error(c, &e, -1);
		return;
	}
	reply_done(c, 200, id, name);
}

static void api_transfer_accept(struct call *c) { transfer_decide(c, true); }
static void api_transfer_reject(struct call *c) { transfer_decide(c, false); }

/* POST /api/transfers/withdraw: id. */
static void
api_transfer_withdraw(struct call *c)
{
	struct dom_error e;
	bool bad = false;
	const char *id = bounded(web_field(c, "id"), ID_TEXT_LEN, &bad);

	if (dom_transfer_withdraw(c->w->r, c->w->operator_name, id ? id : "", &e) != 0) {
		web_reply_dom_error(c, &e, -1);
		return;
	}
	reply_done(c, 200, id, NULL);
}

/* --- the administrators' jobs --------------------------------------------- */

enum job_kind { J_CONFLICTS, J_CONFLICT, J_RESOLVE, J_AUDIT, J_DEVICES };

/* One administrator's request, run off the loop. */
struct admin_job {
	enum job_kind kind;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	bool gone;                     /* the client went away: drop the answer */
	int fd[2];                     /* the thread writes one byte to fd[1] when done */
	pthread_t th;
	bool threaded;                 /* th was started (join it) */
	/* The thread's own copies of what it needs. */
	char path[4096], server[300], op[65];
	bool has_server, has_op;
	char a[ADMIN_ARG_MAX + 1], b[ADMIN_ARG_MAX + 1], d[ADMIN_ARG_MAX + 1];
	int64_t since_ms;
	struct dom_resolve res;
	char note[DOM_TRANSFER_NOTE_MAX + 1];
	char set_col[DOM_RESOLVE_MAX_SET][64];
	char set_val[DOM_RESOLVE_MAX_SET][ADMIN_VAL_MAX + 1];
	/* The answer, built by the thread. */
	int status;
	struct evbuffer *body;
};

static int jobs_running;   /* touched by the loop only */

/* Code and label of a coded value. */
static void
put_coded(struct jw *j, const char *key, const char *vocab, const char *code)
{
	jw_key(j, key);
	if (code == NULL || code[0] == '\0') {
		jw_null(j);
		return;
	}
	jw_obj(j);
	jw_kstr(j, "code", code);
	jw_kstr(j, "label", vocab_show(vocab_get(vocab), code));
	jw_end_obj(j);
}

static void
put_table(struct jw *j, int t)
{
	jw_key(j, "table");
	if (t < 0) {
		jw_null(j);
		return;
	}
	jw_obj(j);
	jw_kstr(j, "name", schema_tables[t].name);
	jw_kstr(j, "label", schema_tables[t].label);
	jw_end_obj(j);
}

/* A conflict's fields (inside an open object). */
static void
put_conflict_fields(struct jw *j, const struct dom_conflict *c)
{
	char dec[32];

	snprintf(dec, sizeof dec, "%.*s", (int)strcspn(c->resolution, " :"), c->resolution);
	jw_kstr(j, "id", c->id);
	put_coded(j, "kind", "conflict_kind", c->kind);
	put_coded(j, "status", "conflict_status", c->status);
	jw_kstr(j, "reason", c->reason_text);
	put_coded(j, "decision", "decision", dec);
	jw_kstr(j, "resolution", c->resolution[0] ? c->resolution : NULL);
	jw_kstr(j, "resolved_by", c->resolved_by[0] ? c->resolved_by : NULL);
	jw_key(j, "office");
	jw_obj(j);
	jw_kstr(j, "org_code", c->org_code);
	jw_kstr(j, "device", c->device_name);
	jw_kstr(j, "operator", c->operator_name[0] ? c->operator_name : NULL);
	jw_kint(j, "at_ms", c->made_ms);
	jw_end_obj(j);
	jw_key(j, "server");
	jw_obj(j);
	jw_kstr(j, "device", c->server_writer[0] ? c->server_writer : NULL);
	jw_kint(j, "at_ms", c->server_written_ms);
	jw_end_obj(j);
	jw_kint(j, "received_ms", c->received_ms);
	put_table(j, c->table);
	jw_kstr(j, "row_id", c->row_id);
}

static void
put_conflict(const struct dom_conflict *c, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	put_conflict_fields(j, c);
	jw_end_obj(j);
}

/* A value side by side: {"value": stored, "display": what a person reads}, or null. */
static void
put_value(struct jw *j, const char *key, const struct col_def *col, const Tongxin__Value *v)
{
	char buf[64];

	jw_key(j, key);
	if (v == NULL || v->kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
		jw_null(j);
		return;
	}
	jw_obj(j);
	jw_key(j, "value");
	if (v->kind_case == TONGXIN__VALUE__KIND_I) {
		snprintf(buf, sizeof buf, "%lld", (long long)v->i);
		jw_str(j, buf);
	} else {
		jw_str(j, v->s);
	}
	jw_key(j, "display");
	if (v->kind_case == TONGXIN__VALUE__KIND_I && col->type == COL_BOOL)
		jw_str(j, vocab_col_label(col, v->i ? "1" : "0"));
	else if (v->kind_case == TONGXIN__VALUE__KIND_I)
		jw_str(j, buf);
	else
		jw_str(j, vocab_of_col(col) ? vocab_col_label(col, v->s) : v->s);
	jw_end_obj(j);
}

static void
show_head(const struct dom_conflict *c, void *arg)
{
	struct jw *j = arg;

	jw_key(j, "conflict");
	jw_obj(j);
	put_conflict_fields(j, c);
	jw_end_obj(j);
	jw_key(j, "changes");
	jw_arr(j);
}

static void
show_change(const struct dom_conflict_change *ch, void *arg)
{
	const struct table_def *td = &schema_tables[ch->table];
	bool del = strcmp(ch->op, "delete") == 0;
	struct jw *j = arg;

	jw_obj(j);
	jw_kint(j, "index", ch->index);
	jw_key(j, "op");
	jw_obj(j);
	jw_kstr(j, "code", ch->op);
	jw_kstr(j, "label", strcmp(ch->op, "insert") == 0 ? "新增" : del ? "删除" : "修改");
	jw_end_obj(j);
	put_table(j, ch->table);
	jw_kstr(j, "row_id", ch->row_id);
	jw_kstr(j, "server_row_id", ch->server_row_id);
	jw_kbool(j, "server_deleted", ch->server_deleted);
	jw_kbool(j, "server_never", ch->server_never);
	jw_key(j, "columns");
	jw_arr(j);
	for (int i = 0; i < ch->ncols; i++) {
		const struct dom_conflict_col *k = &ch->cols[i];
		const struct col_def *col = &td->cols[k->col];
		jw_obj(j);
		jw_kstr(j, "name", col->name);
		jw_kstr(j, "label", col->label);
		put_value(j, "base", col, k->base);
		put_value(j, "server", col, k->server);
		put_value(j, "office", col, del ? NULL : k->office);
		jw_kbool(j, "differs", k->server && k->office && !del && !value_eq(k->server, k->office));
		jw_end_obj(j);
	}
	jw_end_arr(j);
	jw_end_obj(j);
}

static void
put_audit(const struct dom_audit_entry *a, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kint(j, "version", (int64_t)a->version);
	jw_kint(j, "at_ms", a->at_ms);
	jw_kstr(j, "device", a->device);
	jw_kstr(j, "operator", a->operator_name[0] ? a->operator_name : NULL);
	jw_kstr(j, "action", a->action);
	put_table(j, a->table);
	jw_kstr(j, "row_id", a->row_id);
	jw_kstr(j, "detail", a->detail);
	jw_end_obj(j);
}

static void
put_device(const struct dom_device *d, void *arg)
{
	struct jw *j = arg;

	jw_obj(j);
	jw_kstr(j, "name", d->name);
	jw_kstr(j, "org_code", d->org_code);
	put_coded(j, "role", "role", d->role);
	jw_kint(j, "last_seen_ms", d->last_seen_ms);
	jw_kint(j, "revoked_at_ms", d->revoked_at_ms);
	jw_kint(j, "applied", d->applied);
	jw_kint(j, "conflict", d->conflict);
	jw_kint(j, "rejected", d->rejected);
	jw_kint(j, "open_conflicts", d->open_conflicts);
	jw_kstr(j, "replica_check", d->replica_check[0] ? d->replica_check : NULL);
	jw_end_obj(j);
}

/* The HTTP status and code of a failed request to the server. */
static int
fail_status(int f, const char **code)
{
	switch (f) {
	case SYNC_UNREACHABLE: *code = "unreachable"; return 502;
	case SYNC_TLS:
	case SYNC_REFUSED: *code = "refused"; return 403;
	case SYNC_DECLINED: *code = "invalid"; return 422;
	case SYNC_NOT_FOUND: *code = "not_found"; return 404;
	case SYNC_LOCAL: *code = "replica"; return 500;
	default: *code = "server"; return 502;
	}
}

/* Run the job's request with replica r; the answer's JSON into j. 0, or -1 with e. */
static int
job_run(struct admin_job *job, struct replica *r, struct jw *j, struct dom_admin_err *e)
{
	struct dom_admin_opts o = { job->has_server ? job->server : NULL,
		job->has_op ? job->op : NULL };
	char rid[ID_TEXT_LEN + 1], res[1024];
	int rc = 0;

	jw_obj(j);
	switch (job->kind) {
	case J_CONFLICTS: {
		struct dom_conflict_filter f = { .status = job->a[0] ? job->a : NULL,
			.office = job->b[0] ? job->b : NULL, .table = job->d[0] ? job->d : NULL };
		jw_key(j, "conflicts");
		jw_arr(j);
		rc = dom_admin_conflicts(r, &o, &f, put_conflict, j, e);
		jw_end_arr(j);
		break;
	}
	case J_CONFLICT:
		rc = dom_admin_conflict(r, &o, job->a, show_head, show_change, j, e);
		if (rc == 0)
			jw_end_arr(j);
		break;
	case J_RESOLVE:
		if ((rc = dom_admin_resolve(r, &o, &job->res, rid, res, e)) == 0) {
			jw_kbool(j, "ok", true);
			jw_kstr(j, "id", rid);
			jw_kstr(j, "resolution", res);
		}
		break;
	case J_AUDIT: {
		struct dom_audit_query q = { .row_id = job->a[0] ? job->a : NULL,
			.device = job->b[0] ? job->b : NULL, .since_ms = job->since_ms, .limit = 500 };
		jw_key(j, "entries");
		jw_arr(j);
		rc = dom_admin_audit(r, &o, &q, put_audit, j, e);
		jw_end_arr(j);
		break;
	}
	case J_DEVICES:
		jw_key(j, "devices");
		jw_arr(j);
		rc = dom_admin_devices(r, &o, put_device, j, e);
		jw_end_arr(j);
		break;
	}
	jw_end_obj(j);
	return rc;
}

static void *
job_thread(void *arg)
{
	struct admin_job *job = arg;
	struct dom_admin_err e;
	struct replica *r;
	struct jw j;
	char err[1024] = "";
	const char *code = "replica";

	memset(&e, 0, sizeof e);
	job->status = 200;
	if ((job->body = evbuffer_new()) == NULL) {
		job->status = 500;
	} else if ((r = replica_open(job->path, err, sizeof err)) == NULL) {
		job->status = 500;
		e.fail = SYNC_LOCAL;
		snprintf(e.msg, sizeof e.msg, "本机副本无法打开：%s", err);
	} else {
		jw_init(&j, job->body);
		if (job_run(job, r, &j, &e) != 0)
			job->status = fail_status(e.fail, &code);
		replica_close(r);
	}
	if (job->status != 200 && job->body != NULL) {
		/* The answer so far is dropped: the error is the whole answer. */
		evbuffer_drain(job->body, evbuffer_get_length(job->body));
		jw_init(&j, job->body);
		jw_obj(&j);
		jw_kstr(&j, "error", code);
		jw_kstr(&j, "message", e.msg);
		jw_end_obj(&j);
	}
	/* The loop wakes on this byte; a full pipe cannot happen (one byte per job). */
	if (write(job->fd[1], "x", 1) != 1)
		perror("tongxin ui: admin job");
	return NULL;
}

static void
job_free(struct admin_job *job)
{
	if (job->body)
		evbuffer_free(job->body);
	close(job->fd[0]);
	close(job->fd[1]);
	free(job);
}

/* The connection closed before the answer: drop it when it comes. */
static void
job_conn_closed(struct evhttp_connection *conn, void *arg)
{
	struct admin_job *job = arg;

	(void)conn;
	job->gone = true;
}

/* On the loop: the thread is done; send its answer. */
static void
job_done(evutil_socket_t fd, short what, void *arg)
{
	struct admin_job *job = arg;

	(void)fd;
	(void)what;
	if (job->threaded) {
		pthread_join(job->th, NULL);
		jobs_running--;
	}
	if (!job->gone) {
		evhttp_connection_set_closecb(job->conn, NULL, NULL);
		if (job->body != NULL) {
			web_reply_json(job->req, job->status, job->body);   /* takes the body */
			job->body = NULL;
		} else {
			web_reply_error(job->req, 500, "internal", "内存不足 out of memory", NULL);
		}
	}
	job_free(job);
}

/* A new job for request c, or NULL having answered. */
static struct admin_job *
job_new(struct call *c, enum job_kind kind)
{
	struct admin_job *job;

	if (strcmp(replica_info(c->w->r)->role, "admin") != 0) {
		web_reply_error(c->req, 403, "forbidden", "本设备不是街道管理员：冲突、设备和审计只在街道"
		    "管理员的工作台上办理。 This needs the street administrator's replica.", NULL);
		return NULL;
	}
	if (jobs_running >= ADMIN_MAX_JOBS) {
		web_reply_error(c->req, 503, "busy", "正在处理其他请求，请稍后再试 too many requests "
		    "to the server at once", NULL);
		return NULL;
	}
	if ((job = calloc(1, sizeof *job)) == NULL) {
		web_reply_error(c->req, 500, "internal", "内存不足 out of memory", NULL);
		return NULL;
	}
	job->kind = kind;
	job->req = c->req;
	job->conn = evhttp_request_get_connection(c->req);
	job->fd[0] = job->fd[1] = -1;
	snprintf(job->path, sizeof job->path, "%s", c->w->replica_path);
	job->has_server = c->w->server != NULL;
	snprintf(job->server, sizeof job->server, "%s", c->w->server ? c->w->server : "");
	job->has_op = c->w->operator_name != NULL;
	snprintf(job->op, sizeof job->op, "%s", c->w->operator_name ? c->w->operator_name : "");
	return job;
}

/* Start job's thread; the answer comes from job_done. Frees job having answered on failure. */
static void
job_start(struct call *c, struct admin_job *job)
{
	struct event_base *base = evhttp_connection_get_base(job->conn);

	if (pipe(job->fd) != 0) {
		job->fd[0] = job->fd[1] = -1;
		goto fail;
	}
	fcntl(job->fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(job->fd[1], F_SETFD, FD_CLOEXEC);
	if (event_base_once(base, job->fd[0], EV_READ, job_done, job, NULL) != 0)
		goto fail;
	if (pthread_create(&job->th, NULL, job_thread, job) != 0) {
		/* The once-event stays armed on a pipe nobody writes to: wake it with an answer. */
		job->status = 500;
		if ((job->body = evbuffer_new()) != NULL)
			evbuffer_add_printf(job->body, "{\"error\": \"thread\", \"message\": "
			    "\"无法启动请求 cannot start the request\"}");
		if (write(job->fd[1], "x", 1) != 1)
			perror("tongxin ui: admin job");
		return;
	}
	job->threaded = true;
	jobs_running++;
	evhttp_connection_set_closecb(job->conn, job_conn_closed, job);
	return;
fail:
	web_reply_error(c->req, 500, "internal", "无法启动请求 cannot start the request", NULL);
	job_free(job);
}

/* Copy a bounded argument into out; false (having answered 422) when it is too long. */
static bool
copy_arg(struct call *c, const char *v, char out[ADMIN_ARG_MAX + 1])
{
	if (v != NULL && strlen(v) > ADMIN_ARG_MAX) {
		web_reply_error(c->req, 422, "invalid", "查询内容过长 an argument is too long", NULL);
		return false;
	}
	snprintf(out, ADMIN_ARG_MAX + 1, "%s", v ? v : "");
	return true;
}

/* GET /api/admin/conflicts?status=open|resolved|all&office=&table= */
static void
api_conflicts(struct call *c)
{
	struct admin_job *job = job_new(c, J_CONFLICTS);

	if (job == NULL)
		return;
	if (!copy_arg(c, web_arg(c, "status"), job->a) || !copy_arg(c, web_arg(c, "office"), job->b) ||
	    !copy_arg(c, web_arg(c, "table"), job->d)) {
		free(job);
		return;
	}
	job_start(c, job);
}

/* GET /api/admin/conflict?id= */
static void
api_conflict(struct call *c)
{
	struct admin_job *job = job_new(c, J_CONFLICT);

	if (job == NULL)
		return;
	if (!copy_arg(c, web_arg(c, "id"), job->a)) {
		free(job);
		return;
	}
	if (job->a[0] == '\0') {
		web_reply_error(c->req, 422, "missing", "缺少冲突编号 the conflict's id is required", "id");
		free(job);
		return;
	}
	job_start(c, job);
}

/*
 * POST /api/admin/conflict/resolve: id, decision (keep_server, take_office,
 * set), note, and with set the merged values as fields "set.COLUMN".
 */
static void
api_resolve(struct call *c)
{
	struct admin_job *job = job_new(c, J_RESOLVE);
	const char *dec = web_field(c, "decision"), *note = web_field(c, "note");

	if (job == NULL)
		return;
	if (!copy_arg(c, web_field(c, "id"), job->a))
		goto refused;
	if (job->a[0] == '\0') {
		web_reply_error(c->req, 422, "missing", "缺少冲突编号 the conflict's id is required", "id");
		goto refused;
	}
	if (note && strlen(note) > DOM_TRANSFER_NOTE_MAX) {
		web_reply_error(c->req, 422, "invalid", "说明不能超过 500 字节 the note is too long",
		    "note");
		goto refused;
	}
	snprintf(job->note, sizeof job->note, "%s", note ? note : "");
	job->res.id = job->a;
	job->res.note = job->note[0] ? job->note : NULL;
	if (dec && strcmp(dec, "keep_server") == 0)
		job->res.decision = DOM_KEEP_SERVER;
	else if (dec && strcmp(dec, "take_office") == 0)
		job->res.decision = DOM_TAKE_OFFICE;
	else if (dec && strcmp(dec, "set") == 0)
		job->res.decision = DOM_SET;
	else {
		web_reply_error(c->req, 422, "invalid", "请选择处理方式：保留街道的值、采用社区的值或手工合并",
		    "decision");
		goto refused;
	}
	for (struct evkeyval *kv = c->form.tqh_first; job->res.decision == DOM_SET && kv != NULL;
	    kv = kv->next.tqe_next) {
		int n = job->res.nset;
		if (strncmp(kv->key, "set.", 4) != 0)
			continue;
		if (n == DOM_RESOLVE_MAX_SET || strlen(kv->key + 4) >= sizeof job->set_col[0] ||
		    strlen(kv->value) > ADMIN_VAL_MAX) {
			web_reply_error(c->req, 422, "invalid", "合并的值过多或过长 too many or too long "
			    "merged values", NULL);
			goto refused;
		}
		snprintf(job->set_col[n], sizeof job->set_col[n], "%s", kv->key + 4);
		snprintf(job->set_val[n], sizeof job->set_val[n], "%s", kv->value);
		job->res.set_col[n] = job->set_col[n];
		job->res.set_val[n] = job->set_val[n];
		job->res.nset++;
	}
	if (job->res.decision == DOM_SET && job->res.nset == 0) {
		web_reply_error(c->req, 422, "missing", "手工合并须填写至少一项的值", NULL);
		goto refused;
	}
	job_start(c, job);
	return;
refused:
	free(job);
}

/* Local midnight of YYYY-MM-DD in Unix ms, or -1. */
static int64_t
date_ms(const char *s)
{
	struct tm tm;

	if (!validate_date(s))
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000;
}

/* GET /api/admin/audit?row=&device=&since=YYYY-MM-DD */
static void
api_audit(struct call *c)
{
	struct admin_job *job = job_new(c, J_AUDIT);
	const char *since = web_arg(c, "since");

	if (job == NULL)
		return;
	if (!copy_arg(c, web_arg(c, "row"), job->a) || !copy_arg(c, web_arg(c, "device"), job->b)) {
		free(job);
		return;
	}
	if (since && since[0] && (job->since_ms = date_ms(since)) < 0) {
		web_reply_error(c->req, 422, "invalid", "起始日期无效 the date must be YYYY-MM-DD",
		    "since");
		free(job);
		return;
	}
	job_start(c, job);
}

/* GET /api/admin/devices */
static void
api_devices(struct call *c)
{
	struct admin_job *job = job_new(c, J_DEVICES);

	if (job != NULL)
		job_start(c, job);
}

const struct web_route web_routes_transfer[] = {
	{ EVHTTP_REQ_GET, "/api/transfers", api_transfers },
	{ EVHTTP_REQ_POST, "/api/transfers", api_transfer_request },
	{ EVHTTP_REQ_POST, "/api/transfers/accept", api_transfer_accept },
	{ EVHTTP_REQ_POST, "/api/transfers/reject", api_transfer_reject },
	{ EVHTTP_REQ_POST, "/api/transfers/withdraw", api_transfer_withdraw },
	{ EVHTTP_REQ_GET, "/api/admin/conflicts", api_conflicts },
	{ EVHTTP_REQ_GET, "/api/admin/conflict", api_conflict },
	{ EVHTTP_REQ_POST, "/api/admin/conflict/resolve", api_resolve },
	{ EVHTTP_REQ_GET, "/api/admin/audit", api_audit },
	{ EVHTTP_REQ_GET, "/api/admin/devices", api_devices },
	{ 0, NULL, NULL },
};
