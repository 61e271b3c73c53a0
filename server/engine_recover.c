/*
 * engine_recover.c - the restored server healed by its replicas, above
 * storage (see store_restore.c for the restore itself).
 *
 * A restored database has lost every change the server took after the
 * backup, although it acknowledged them: the replicas still hold them. A
 * replica that sees the new epoch sends back every row it holds at a
 * version the restored server never had (between restored_version and
 * version_floor), and engine_recover writes each one where the server's row
 * is still as restored, through the same apply functions as a push. Two
 * replicas may send the same row at different versions: the one from the
 * later version wins, in whichever order they arrive (the store remembers
 * the version each row was recovered from: sto_ops.recovered_get/put). A
 * row the server changed since the restore is not overwritten: a differing
 * copy goes to the conflict queue, once per device and version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "engine.h"
#include "ids.h"
#include "log.h"
#include "reason.h"
#include "validate.h"
#include "value.h"

#define RECOVER_MAX_ROWS WIRE_MAX_RECOVER_ROWS

/* What the server knows of a row recovered before: from which version, and the version it got. */
struct recovered {
	int found;
	uint64_t origin;
	uint64_t version;
};

enum rec_outcome { REC_APPLIED, REC_KNOWN, REC_CONFLICT, REC_REJECTED, REC_ERROR };

/* The change that makes the server's row r (of table t) what the replica sent. */
struct rec_change {
	Tongxin__Change c;
	uint32_t cols[MAX_COLS];
	Tongxin__Value *vals[MAX_COLS];
	Tongxin__Value *before[MAX_COLS];
	int force;   /* an update bringing back a row the restored server has deleted */
};

/*
 * Fill rc with the change from the server's row r (absent, live or deleted)
 * to the replica's row in: the columns that differ, or with full every
 * column (a copy kept whole, compared with nothing). 0 when there is
 * nothing to change.
 */
static int
rec_change_build(const Tongxin__Row *in, struct srow *r, struct rec_change *rc, int full)
{
	const struct table_def *td = &schema_tables[in->table];
	size_t n = 0;

	memset(rc, 0, sizeof *rc);
	tongxin__change__init(&rc->c);
	rc->c.table = in->table;
	rc->c.row_id = in->row_id;
	if (!r->exists) {
		if (in->deleted)
			return 0;   /* (a row that does not exist is never out of scope) */
		rc->c.op = TONGXIN__CHANGE__OP__OP_INSERT;
		for (int k = 0; k < td->ncols; k++) {
			rc->cols[n] = (uint32_t)k;
			rc->vals[n++] = in->values[k];
		}
	} else if (in->deleted) {
		if (r->deleted && !full)
			return 0;
		rc->c.op = TONGXIN__CHANGE__OP__OP_DELETE;
		for (int k = 0; k < td->ncols; k++) {
			rc->cols[n] = (uint32_t)k;
			rc->vals[n] = &r->v[k];
			rc->before[n++] = &r->v[k];
		}
	} else {
		rc->c.op = TONGXIN__CHANGE__OP__OP_UPDATE;
		rc->force = r->deleted;
		for (int k = 0; k < td->ncols; k++) {
			if (!full && !r->deleted && value_eq(&r->v[k], in->values[k]))
				continue;
			rc->cols[n] = (uint32_t)k;
			rc->vals[n] = in->values[k];
			rc->before[n++] = &r->v[k];
		}
		if (n == 0 && !full)
			return 0;
	}
	rc->c.cols = rc->cols;
	rc->c.n_cols = n;
	rc->c.values = rc->vals;
	rc->c.n_values = n;
	if (rc->c.op != TONGXIN__CHANGE__OP__OP_INSERT) {
		rc->c.before = rc->before;
		rc->c.n_before = n;
	}
	return 1;
}

/* Log a refused or queued row once, naming the device and the row (never its values). */
static void
rec_note(const struct store_actor *who, const Tongxin__Row *in, const char *what,
    const struct reason *why)
{
	char en[REASON_TEXT_MAX];

	reason_text(why, REASON_EN, en, sizeof en);
	/* Outside the device's organisation: a security event (warning), as on the push path. */
	(why->code == R_UNSEEN_ROW || why->code == R_UNSEEN_REF || why->code == R_MOVE_OUT ?
	    log_warnx : log_info)("store: recovery from %s: %s/%s (version %llu) %s: %s",
	    who->device_name ? who->device_name : who->device_id,
	    in->table < TBL_COUNT ? schema_tables[in->table].name : "?", in->row_id,
	    (unsigned long long)in->version, what, en);
}

/* Whether a transfer row (table TBL_TRANSFER, all columns) is still a request. */
static int
transfer_requested(const Tongxin__Row *in)
{
	int c = schema_col_index(&schema_tables[TBL_TRANSFER], "status");
	return c >= 0 && (size_t)c < in->n_values &&
	    in->values[c]->kind_case == TONGXIN__VALUE__KIND_S &&
	    strcmp(in->values[c]->s, "requested") == 0;
}

/*
 * A transfer decided after the backup (accepted, refused, withdrawn) that
 * the restored server never saw comes back as the record it is: the rules
 * for a new request (its status, a member the device holds in the sending
 * organisation) are for requests, and the member's move comes back with
 * the member's own row. The row is checked (shape, values, both
 * organisations, the device's scope) and written and audited as an insert.
 * Only a street administrator's device takes this path (recover_row).
 */
static enum ch_result
recover_transfer_record(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd)
{
	struct srow w;
	enum ch_result res;
	enum sto_write wr;

	memset(&w, 0, sizeof w);
	for (size_t i = 0; i < c->n_cols; i++)
		w.v[c->cols[i]] = *c->values[i];   /* borrowed: not cleared */
	if (validate_row_reason(TBL_TRANSFER, w.v, e->today, &vd->why) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		return CH_REJECTED;
	}
	if ((res = row_scopes(e, TBL_TRANSFER, w.v, w.scope, w.scope2, vd)) != CH_APPLIED)
		return res;
	if (!in_scope(w.scope, who->scope) && !in_scope(w.scope2, who->scope))
		return refuse_unseen(vd, &schema_tables[TBL_TRANSFER], NULL, c->row_id);
	w.version = STO0(e, version_next);
	w.hlc = tx->hlc;
	snprintf(w.device, sizeof w.device, "%s", who->device_id);
	/* A failed write hands its version back with the savepoint the caller rolls back. */
	wr = STO(e, row_write, TBL_TRANSFER, c->row_id, &w, 1);
	if (wr == STO_FAILED)
		return CH_ERROR;
	if (wr != STO_WRITTEN) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		reason_set(&vd->why, R_ID_IN_USE, "transfer", c->row_id);
		return CH_REJECTED;
	}
	if (audit_change(e, who, tx, c, w.version, "insert") != 0)
		return CH_ERROR;
	vd->version = w.version;
	return CH_APPLIED;
}

/* One recovered row, inside the caller's transaction. */
static enum rec_outcome
recover_row(struct eng *e, const struct store_epoch *ep, const struct store_actor *who,
    const Tongxin__Row *in)
{
	Tongxin__Txn tx = TONGXIN__TXN__INIT;
	Tongxin__Change *cp;
	struct txn_verdict vd;
	struct lww_note note;
	struct rec_change rc;
	struct recovered rec;
	struct srow r;
	enum ch_result res;
	enum rec_outcome out;
	int as_restored, queued, out_of_scope;
	char cid[ID_TEXT_LEN + 1], n[24];

	memset(&vd, 0, sizeof vd);
	memset(&r, 0, sizeof r);
	vd.table = -1;
	/* The shape first: a recovered row is as bounded as a pushed change. */
	if (in->table >= TBL_COUNT || !id_valid(in->row_id) || in->version <= ep->restored_version ||
	    in->version >= ep->version_floor ||
	    (!in->deleted && in->n_values != (size_t)schema_tables[in->table].ncols) ||
	    (in->deleted && in->n_values != 0)) {
		char v[24];
		reason_set(&vd.why, R_RECOVER_SHAPE,
		    in->table < TBL_COUNT ? schema_tables[in->table].name : reason_num(n, in->table),
		    reason_num(v, (long long)in->version));
		rec_note(who, in, "refused", &vd.why);
		return REC_REJECTED;
	}
	if (STO(e, row_load, (int)in->table, in->row_id, &r) != 0)
		return REC_ERROR;
	/*
	 * Scope before anything is said about the row: a device learns nothing
	 * outside it. A copy of a row outside its organisation on the restored
	 * server (a member that moved to it after the backup, or a forgery) is
	 * compared with nothing and kept whole for the street: the answer is
	 * the same whatever it holds.
	 */
	out_of_scope = r.exists && !in_scope(r.scope, who->scope) &&
	    !in_scope(r.scope2, who->scope);
	if (out_of_scope) {
		/*
		 * A row the device only sees (shared with it, or set above it):
		 * its owner's replica recovers it; this copy is read only. A
		 * shared table's row can reach a device in no other way, even
		 * when the share is not back yet (its agreement is recovered
		 * after it).
		 */
		int seen = schema_shared((int)in->table) ? 1 :
		    row_seen(e, (int)in->table, in->row_id, &r, who->scope);
		if (seen != 0) {
			srow_clear(&r);
			return seen > 0 ? REC_KNOWN : REC_ERROR;
		}
		rec_change_build(in, &r, &rc, 1);
		goto build;
	}
	memset(&rec, 0, sizeof rec);
	if ((rec.found = STO(e, recovered_get, (int)in->table, in->row_id, &rec.origin,
	    &rec.version)) < 0) {
		srow_clear(&r);
		return REC_ERROR;
	}
	/*
	 * Untouched since the restore, or since it was recovered from an older
	 * version: the copy from the later version wins. Changed since: both
	 * kept for the street.
	 */
	if (rec.found && in->version <= rec.origin) {
		/* Recovered from this version or a later one: the server has it, and maybe more since. */
		srow_clear(&r);
		return REC_KNOWN;
	}
	as_restored = !r.exists || r.version <= ep->restored_version ||
	    (rec.found && r.version == rec.version);
	if (!rec_change_build(in, &r, &rc, 0)) {
		/*
		 * The server holds this state already. Where it holds it as
		 * restored, remember the version it was confirmed at: an older
		 * copy from another device must not replace it later.
		 */
		out = REC_KNOWN;
		if (r.exists && as_restored && STO(e, recovered_put, (int)in->table, in->row_id,
		    in->version, r.version, who->device_id) != 0)
			out = REC_ERROR;
		srow_clear(&r);
		return out;
	}
build:
	cp = &rc.c;
	tx.hlc = e->hlc;
	tx.local_time_ms = now_ms();
	tx.operator_name = (char *)(who->operator_name ? who->operator_name : "");
	tx.changes = &cp;
	tx.n_changes = 1;
	/*
	 * A recovered change has no sequence of its device: it carries the
	 * version it had before the restore (never 0, as txn_shape and a
	 * resolution want), in the audit and the conflict queue alike.
	 */
	tx.seq = in->version;
	res = txn_shape(&tx, &vd);
	if (res != CH_APPLIED) {
		rec_note(who, in, "refused", &vd.why);
		srow_clear(&r);
		return REC_REJECTED;
	}
	if (out_of_scope) {
		memset(&vd, 0, sizeof vd);
		refuse_unseen(&vd, &schema_tables[in->table], NULL, in->row_id);
		goto queue;
	}
	if (!as_restored) {
		snprintf(vd.kind, sizeof vd.kind, "recovered");
		reason_set(&vd.why, R_RECOVERED, schema_tables[in->table].name, in->row_id,
		    reason_num(n, (long long)in->version));
		goto queue;
	}
	memset(&note, 0, sizeof note);
	memset(&vd, 0, sizeof vd);
	vd.table = (int)in->table;
	snprintf(vd.row_id, sizeof vd.row_id, "%s", in->row_id);
	if (STO0(e, sp_begin) != 0) {
		srow_clear(&r);
		return REC_ERROR;
	}
	switch (rc.c.op) {
	case TONGXIN__CHANGE__OP__OP_INSERT:
		if (in->table != TBL_TRANSFER || transfer_requested(in))
			res = apply_insert(e, who, &tx, cp, &vd);
		else if (who->role != NULL && strcmp(who->role, "admin") == 0)
			res = recover_transfer_record(e, who, &tx, cp, &vd);
		else {
			/* An office's copy of a decided transfer: kept for the street. */
			snprintf(vd.kind, sizeof vd.kind, "recovered");
			reason_set(&vd.why, R_RECOVERED_DECIDED, in->row_id);
			res = CH_CONFLICT;
		}
		break;
	case TONGXIN__CHANGE__OP__OP_DELETE:
		res = apply_delete(e, who, &tx, cp, &vd, 0);
		break;
	default:
		res = apply_update(e, who, &tx, cp, &vd, &note, rc.force);
		break;
	}
	if (res == CH_APPLIED || res == CH_MERGED) {
		struct srow now;
		if (STO0(e, sp_release) != 0 || STO(e, row_load, (int)in->table, in->row_id, &now) != 0)
			goto fail;
		out = STO(e, recovered_put, (int)in->table, in->row_id, in->version,
		    now.version, who->device_id) == 0 ? REC_APPLIED : REC_ERROR;
		srow_clear(&now);
		srow_clear(&r);
		if (vd.have_server)
			srow_clear(&vd.server);
		return out;
	}
	/* Undone, the versions it took too. */
	if (STO0(e, sp_rollback) != 0 || STO0(e, sp_release) != 0)
		goto fail;
	if (res == CH_ERROR)
		goto fail;
queue:
	/*
	 * A copy the server does not take - a clash (a unique number, a
	 * dissolved parent), a row changed since the restore, one a rule or
	 * the scope refuses - is what a device held and the server had
	 * acknowledged: kept whole in the conflict queue for the street, once.
	 */
	if ((queued = STO(e, recovered_queued, who->device_id, (int)in->table, in->row_id,
	    in->version)) != 0) {
		if (vd.have_server)
			srow_clear(&vd.server);
		srow_clear(&r);
		return queued < 0 ? REC_ERROR : REC_KNOWN;
	}
	if ((queued = conflict_queue_full(e, who->device_id)) != 0) {
		if (queued > 0) {
			reason_set(&vd.why, R_QUEUE_FULL, reason_num(n, (long long)e->max_open_conflicts));
			rec_note(who, in, "refused", &vd.why);
		}
		if (vd.have_server)
			srow_clear(&vd.server);
		srow_clear(&r);
		return queued > 0 ? REC_REJECTED : REC_ERROR;
	}
	/* The server's row for the record (a copy: the change's values point into r). */
	if (!vd.have_server && r.exists)
		vd.have_server = STO(e, row_load, (int)in->table, in->row_id, &vd.server) == 0;
	vd.table = (int)in->table;
	snprintf(vd.row_id, sizeof vd.row_id, "%s", in->row_id);
	out = conflict_record(e, who, &tx, NULL, &vd, "open", NULL, cid) == 0 &&
	    STO(e, recovered_queued_put, who->device_id, (int)in->table, in->row_id, in->version,
	    cid) == 0 ? REC_CONFLICT : REC_ERROR;
	if (out == REC_CONFLICT)
		rec_note(who, in, "queued as conflict", &vd.why);
	if (vd.have_server)
		srow_clear(&vd.server);
	srow_clear(&r);
	return out;
fail:
	if (vd.have_server)
		srow_clear(&vd.server);
	srow_clear(&r);
	return REC_ERROR;
}

int
engine_recover(struct eng *e, const struct store_epoch *ep, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen)
{
	Tongxin__RecoverResponse *o;
	struct sto_recovery totals, add;
	int finished;

	*out = NULL;
	e->restored_version = ep->restored_version;
	if (ep->restored_version == 0 || ep->version_floor == 0) {
		snprintf(err, errlen, "this server's database was never restored: nothing to recover");
		return -1;
	}
	if (strcmp(req->epoch, ep->epoch) != 0) {
		snprintf(err, errlen, "the server's epoch is no longer the one recovered into; "
		    "sync again");
		return -1;
	}
	if (req->n_rows > RECOVER_MAX_ROWS) {
		snprintf(err, errlen, "a recovery request may carry at most %d rows", RECOVER_MAX_ROWS);
		return -1;
	}
	if ((o = malloc(sizeof *o)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tongxin__recover_response__init(o);
	today_str(e->today);
	if (STO(e, begin, err, errlen) != 0)
		goto fail;
	/* A device that finished takes no more: it was told, and adopted the epoch. */
	if ((finished = STO(e, recovery_get, who->device_id, ep->epoch, &totals)) < 0)
		goto rollback;
	if (!finished) {
		for (size_t i = 0; i < req->n_rows; i++) {
			switch (recover_row(e, ep, who, req->rows[i])) {
			case REC_APPLIED: o->applied++; break;
			case REC_KNOWN: o->known++; break;
			case REC_CONFLICT: o->conflicts++; break;
			case REC_REJECTED: o->rejected++; break;
			default:
				snprintf(err, errlen, "cannot recover a row: %s", STO0(e, errmsg));
				goto rollback;
			}
		}
		add = (struct sto_recovery){ .applied = o->applied, .known = o->known,
		    .conflicts = o->conflicts, .rejected = o->rejected };
		if (STO(e, recovery_add, who->device_id, ep->epoch, &add, req->done) != 0)
			goto rollback;
	}
	if (STO(e, commit, err, errlen) != 0)
		goto rollback;
	if (finished) {
		o->applied = totals.applied;
		o->known = totals.known;
		o->conflicts = totals.conflicts;
		o->rejected = totals.rejected;
		o->finished = 1;
	} else if (req->done) {
		struct sto_recovery sum;
		if (STO(e, recovery_get, who->device_id, ep->epoch, &sum) > 0)
			log_info("store: %s finished its recovery after the restore: %u rows "
			    "written, %u known, %u queued as conflicts, %u refused",
			    who->device_name ? who->device_name : who->device_id, sum.applied,
			    sum.known, sum.conflicts, sum.rejected);
		o->finished = 1;
	}
	*out = o;
	return 0;
rollback:
	STO0(e, rollback);
fail:
	tongxin__recover_response__free_unpacked(o, NULL);
	if (err[0] == '\0')
		snprintf(err, errlen, "internal error: %s", STO0(e, errmsg));
	return -1;
}

