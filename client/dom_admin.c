/*
 * dom_admin.c - the street administrators' requests to the server
 * (conflicts list / show / resolve, audit, devices), typed; see
 * dom_admin.h. Each call is one blocking TLS exchange (sync_request) with
 * the replica's admin certificate: the desk runs them in a thread of its
 * own (web_api_transfer.c), never on its event loop.
 */
#include "dom_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "sync.h"
#include "text.h"
#include "value.h"
#include "vocab.h"

/* Why an exchange failed, in the clerk's words first, then the exchange's own. */
static const char *
fail_words(int f, const char *detail)
{
	switch (f) {
	case SYNC_UNREACHABLE: return "无法连接街道服务器（服务器不可达，请检查网络或稍后再试）";
	case SYNC_TLS: return "与街道服务器的安全连接失败（证书不被接受）";
	case SYNC_REFUSED:
		if (strstr(detail, "administrator") != NULL)
			return "本设备不是街道管理员，不能办理此项（需要管理员证书）";
		return "街道服务器拒绝了本设备（证书已吊销或设备未登记）";
	case SYNC_MISMATCH: return "本机程序与街道服务器的版本不一致，请先升级";
	case SYNC_PROTOCOL:
	case SYNC_SERVER: return "街道服务器出错，未作任何修改";
	case SYNC_DECLINED: return "街道服务器拒绝了这个请求，未作任何修改";
	case SYNC_NOT_FOUND: return "街道服务器上没有这一项";
	default: return "本机副本无法使用";
	}
}

/* Fill e from a failure kind and the exchange's message; returns -1. */
static int
admin_fail(struct dom_admin_err *e, int f, const char *detail)
{
	e->fail = f;
	snprintf(e->detail, sizeof e->detail, "%s", detail);
	snprintf(e->msg, sizeof e->msg, "%s：%s", fail_words(f, detail), detail);
	return -1;
}

/* One exchange with the server: *reply of kind want, or -1 with e. */
static int
ask(struct replica *r, const struct dom_admin_opts *o, Tongxin__Envelope *req,
    Tongxin__Envelope__BodyCase want, Tongxin__Envelope **reply, struct dom_admin_err *e)
{
	struct sync_opts so = { 0 };
	enum sync_fail f;
	char err[1024] = "";

	memset(e, 0, sizeof *e);
	so.server = o ? o->server : NULL;
	so.operator_name = o ? o->operator_name : NULL;
	if (sync_request(r, &so, req, want, reply, &f, err, sizeof err) != 0)
		return admin_fail(e, f, err);
	return 0;
}

/* A conflict of the wire as the typed struct. */
static void
conflict_of(const Tongxin__ConflictInfo *c, struct dom_conflict *d)
{
	memset(d, 0, sizeof *d);
	d->id = c->id;
	d->kind = c->kind;
	d->status = c->status;
	reason_show(c->reason_code, (const char *const *)c->reason_args, c->n_reason_args,
	    c->reason, d->reason_text, sizeof d->reason_text);
	d->reason = c->reason;
	d->resolution = c->resolution;
	d->resolved_by = c->resolved_by;
	d->org_code = c->org_code;
	d->device_name = c->device_name;
	d->operator_name = c->operator_name;
	d->server_writer = c->server_writer;
	d->made_ms = c->local_time_ms;
	d->received_ms = c->received_at_ms;
	d->server_written_ms = c->server_written_at_ms;
	d->hlc = c->hlc;
	d->table = c->table < TBL_COUNT ? (int)c->table : -1;
	d->row_id = c->row_id;
}

int
dom_admin_conflicts(struct replica *r, const struct dom_admin_opts *o,
    const struct dom_conflict_filter *f, void (*each)(const struct dom_conflict *c, void *arg),
    void *arg, struct dom_admin_err *e)
{
	Tongxin__ConflictListRequest lr = TONGXIN__CONFLICT_LIST_REQUEST__INIT;
	Tongxin__ConflictFilter wf = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;

	if (f != NULL) {
		if (f->office)
			wf.office = (char *)f->office;
		if (f->table)
			wf.table = (char *)f->table;
		if (f->status)
			wf.status = (char *)f->status;
		wf.older_than_ms = f->older_than_ms;
		wf.newer_than_ms = f->newer_than_ms;
	}
	lr.filter = &wf;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_LIST;
	env.conflict_list = &lr;
	if (ask(r, o, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_LIST_RESULT, &in, e) != 0)
		return -1;
	for (size_t i = 0; i < in->conflict_list_result->n_conflicts; i++) {
		struct dom_conflict d;
		conflict_of(in->conflict_list_result->conflicts[i], &d);
		each(&d, arg);
	}
	envelope_free(in);
	return 0;
}

/* Column k's value in a change (before: the base); NULL if the change does not touch it. */
static const Tongxin__Value *
change_value(const Tongxin__Change *c, uint32_t k, int before)
{
	for (size_t i = 0; i < c->n_cols; i++)
		if (c->cols[i] == k) {
			if (before)
				return i < c->n_before ? c->before[i] : NULL;
			return i < c->n_values ? c->values[i] : NULL;
		}
	return NULL;
}

/* The server's row for change ch of conflict c (the clashing row for a duplicate), or NULL. */
static const Tongxin__Row *
server_row(const Tongxin__ConflictInfo *c, const Tongxin__Change *ch)
{
	if (c->current_row && c->current_row->table == ch->table &&
	    (strcmp(c->current_row->row_id, ch->row_id) == 0 ||
	     (strcmp(ch->row_id, c->row_id) == 0 && strcmp(c->kind, "unique") == 0)))
		return c->current_row;
	return NULL;
}

/* Change ch side by side: the columns it touched, or every column of a clashing insert. */
static void
change_of(const Tongxin__ConflictInfo *c, const Tongxin__Change *ch, int index,
    struct dom_conflict_change *d)
{
	const struct table_def *td = &schema_tables[ch->table];
	const Tongxin__Row *cur = server_row(c, ch);
	bool insert = ch->op == TONGXIN__CHANGE__OP__OP_INSERT;

	memset(d, 0, sizeof *d);
	d->index = index;
	d->op = insert ? "insert" : ch->op == TONGXIN__CHANGE__OP__OP_UPDATE ? "update" : "delete";
	d->table = (int)ch->table;
	d->row_id = ch->row_id;
	d->has_server_row = cur != NULL;
	d->server_row_id = cur ? cur->row_id : NULL;
	d->server_deleted = cur && cur->deleted;
	d->server_never = cur && cur->deleted && insert && cur->version == 0;
	for (int k = 0; k < td->ncols && d->ncols < DOM_MAX_COLS; k++) {
		const Tongxin__Value *office = change_value(ch, (uint32_t)k, 0);
		struct dom_conflict_col *col;
		if (office == NULL && (cur == NULL || !insert))
			continue;
		col = &d->cols[d->ncols++];
		col->col = k;
		col->office = office;
		col->base = change_value(ch, (uint32_t)k, 1);
		col->server = cur && !cur->deleted && (size_t)k < cur->n_values ? cur->values[k] :
		    NULL;
	}
}

/* Ask for one conflict; *in holds it (envelope_free). */
static int
show(struct replica *r, const struct dom_admin_opts *o, const char *id, Tongxin__Envelope **in,
    struct dom_admin_err *e)
{
	Tongxin__ConflictShowRequest sr = TONGXIN__CONFLICT_SHOW_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT;

	sr.id = (char *)id;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW;
	env.conflict_show = &sr;
	return ask(r, o, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_SHOW_RESULT, in, e);
}

int
dom_admin_conflict(struct replica *r, const struct dom_admin_opts *o, const char *id,
    void (*head)(const struct dom_conflict *c, void *arg),
    void (*change)(const struct dom_conflict_change *ch, void *arg), void *arg,
    struct dom_admin_err *e)
{
	Tongxin__Envelope *in = NULL;
	const Tongxin__ConflictInfo *c;
	struct dom_conflict d;
	struct dom_conflict_change *cd;

	if (show(r, o, id, &in, e) != 0)
		return -1;
	c = in->conflict_show_result->conflict;
	conflict_of(c, &d);
	head(&d, arg);
	if ((cd = malloc(sizeof *cd)) == NULL) {
		envelope_free(in);
		return admin_fail(e, SYNC_LOCAL, "out of memory");
	}
	for (size_t i = 0; c->txn != NULL && i < c->txn->n_changes; i++) {
		if (c->txn->changes[i]->table >= TBL_COUNT)
			continue;
		change_of(c, c->txn->changes[i], (int)i, cd);
		change(cd, arg);
	}
	free(cd);
	envelope_free(in);
	return 0;
}

/*
 * A value of --set / the form's merge for column cd: labels and aliases as
 * everywhere else (education=本科), "" NULL. 0, or -1 with e.
 */
static int
set_value(const struct col_def *cd, const char *text, Tongxin__Value *v, struct dom_admin_err *e)
{
	char buf[1400], allowed[1024];

	if (text == NULL || text[0] == '\0') {
		value_set_null(v);
		return 0;
	}
	if (vocab_of_col(cd) != NULL) {
		const char *stored = vocab_col_store(cd, text);
		if (stored == NULL) {
			vocab_list(vocab_of_col(cd), 1, "、", allowed, sizeof allowed);
			snprintf(buf, sizeof buf, "%s (--set %s=) 取值 \"%s\" 无效 invalid value; 可选 "
			    "allowed: %s", cd->label, cd->name, text_show(text), allowed);
			return admin_fail(e, SYNC_DECLINED, buf);
		}
		if (cd->type == COL_BOOL)
			value_set_int(v, stored[0] == '1');
		else
			value_set_text(v, stored);
	} else if (cd->type == COL_INT || cd->type == COL_BOOL) {
		value_set_int(v, strtoll(text, NULL, 10));
	} else {
		value_set_text(v, text);
	}
	return 0;
}

int
dom_admin_resolve(struct replica *r, const struct dom_admin_opts *o,
    const struct dom_resolve *q, char resolved_id[ID_TEXT_LEN + 1], char resolution[1024],
    struct dom_admin_err *e)
{
	Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
	Tongxin__Value vals[DOM_RESOLVE_MAX_SET], *vptr[DOM_RESOLVE_MAX_SET];
	uint32_t cols[DOM_RESOLVE_MAX_SET];
	int rc;

	memset(e, 0, sizeof *e);
	memset(vals, 0, sizeof vals);
	if (q->decision == DOM_SET && (q->nset < 1 || q->nset > DOM_RESOLVE_MAX_SET))
		return admin_fail(e, SYNC_DECLINED, "手工合并至少要给出一项的值 --set needs "
		    "COLUMN=VALUE");
	if (q->note && strlen(q->note) > 500)
		return admin_fail(e, SYNC_DECLINED, "the note is longer than 500 bytes");
	switch (q->decision) {
	case DOM_KEEP_SERVER:
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER;
		break;
	case DOM_TAKE_OFFICE:
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE;
		break;
	default:
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__SET;
	}
	if (q->decision == DOM_SET) {
		/* Columns are named; the conflict says which table they belong to. */
		const struct table_def *td;
		char buf[300];
		if (show(r, o, q->id, &in, e) != 0)
			return -1;
		if (in->conflict_show_result->conflict->table >= TBL_COUNT) {
			envelope_free(in);
			return admin_fail(e, SYNC_PROTOCOL, "the conflict names an unknown table");
		}
		td = &schema_tables[in->conflict_show_result->conflict->table];
		envelope_free(in);
		in = NULL;
		for (int k = 0; k < q->nset; k++) {
			int c = schema_col_index(td, q->set_col[k]);
			if (c < 0) {
				snprintf(buf, sizeof buf, "%s has no column \"%s\"", td->name,
				    text_show(q->set_col[k]));
				rc = admin_fail(e, SYNC_DECLINED, buf);
				goto out;
			}
			cols[k] = (uint32_t)c;
			if (set_value(&td->cols[c], q->set_val[k], &vals[k], e) != 0) {
				rc = -1;
				goto out;
			}
			vptr[k] = &vals[k];
		}
		rr.cols = cols;
		rr.n_cols = (size_t)q->nset;
		rr.values = vptr;
		rr.n_values = (size_t)q->nset;
	}
	if (q->note)
		rr.note = (char *)q->note;
	rr.id = (char *)q->id;
	env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
	env.conflict_resolve = &rr;
	if ((rc = ask(r, o, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT, &in, e)) == 0) {
		snprintf(resolved_id, ID_TEXT_LEN + 1, "%s", in->conflict_resolve_result->id);
		snprintf(resolution, 1024, "%s", in->conflict_resolve_result->resolution);
		envelope_free(in);
	}
out:
	return rc;   /* vals borrow q's strings: nothing to free */
}

int
dom_admin_audit(struct replica *r, const struct dom_admin_opts *o,
    const struct dom_audit_query *q, void (*each)(const struct dom_audit_entry *a, void *arg),
    void *arg, struct dom_admin_err *e)
{
	Tongxin__AuditRequest ar = TONGXIN__AUDIT_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;

	if (q->row_id)
		ar.row_id = (char *)q->row_id;
	if (q->device)
		ar.device_name = (char *)q->device;
	ar.since_ms = q->since_ms;
	ar.limit = q->limit;
	env.body_case = TONGXIN__ENVELOPE__BODY_AUDIT;
	env.audit = &ar;
	if (ask(r, o, &env, TONGXIN__ENVELOPE__BODY_AUDIT_RESULT, &in, e) != 0)
		return -1;
	for (size_t i = 0; i < in->audit_result->n_entries; i++) {
		const Tongxin__AuditEntry *w = in->audit_result->entries[i];
		struct dom_audit_entry a = {
			.version = w->version, .at_ms = w->at_ms, .device = w->device_name,
			.operator_name = w->operator_name, .action = w->action, .row_id = w->row_id,
			.detail = w->detail, .table = w->table < TBL_COUNT ? (int)w->table : -1,
		};
		each(&a, arg);
	}
	envelope_free(in);
	return 0;
}

int
dom_admin_devices(struct replica *r, const struct dom_admin_opts *o,
    void (*each)(const struct dom_device *d, void *arg), void *arg, struct dom_admin_err *e)
{
	Tongxin__DevicesRequest dr = TONGXIN__DEVICES_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;

	env.body_case = TONGXIN__ENVELOPE__BODY_DEVICES;
	env.devices = &dr;
	if (ask(r, o, &env, TONGXIN__ENVELOPE__BODY_DEVICES_RESULT, &in, e) != 0)
		return -1;
	for (size_t i = 0; i < in->devices_result->n_devices; i++) {
		const Tongxin__DeviceInfo *w = in->devices_result->devices[i];
		struct dom_device d = {
			.name = w->name, .org_code = w->org_code, .role = w->role,
			.replica_check = w->replica_check, .last_seen_ms = w->last_seen_ms,
			.revoked_at_ms = w->revoked_at_ms, .applied = w->txns_applied,
			.conflict = w->txns_conflict, .rejected = w->txns_rejected,
			.open_conflicts = w->open_conflicts,
		};
		each(&d, arg);
	}
	envelope_free(in);
	return 0;
}
