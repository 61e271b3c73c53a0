/*
 * store_restore.c - putting a backup back, and the replicas healing the
 * restored server.
 *
 * A restored database has lost every change the server took after the
 * backup, although it acknowledged them: the replicas still hold them. So
 * a restore renews the database's epoch and skips RESTORE_VERSION_GAP
 * versions; a replica that sees the new epoch in the Welcome sends back
 * every row it holds at a version the restored server never had (between
 * restored_version and version_floor), and store_recover writes each one
 * where the server's row is still as restored. Two replicas may send the
 * same row at different versions: the one from the later version wins, in
 * whichever order they arrive (the recovered table remembers the version
 * each row was recovered from). A row the server changed since the
 * restore is not overwritten: a differing copy goes to the conflict queue.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bounds.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "reason.h"
#include "validate.h"
#include "value.h"

#include "store_internal.h"

#define RECOVER_MAX_ROWS WIRE_MAX_RECOVER_ROWS

static const char restore_ddl[] =
	/* Rows written by store_recover: the version they came from and the one they got. */
	"CREATE TABLE IF NOT EXISTS recovered ("
	"  tbl INTEGER NOT NULL, row_id TEXT NOT NULL, origin INTEGER NOT NULL,"
	"  version INTEGER NOT NULL, device_id TEXT NOT NULL,"
	"  PRIMARY KEY (tbl, row_id)) WITHOUT ROWID;"
	/* Copies a device sent back that went to the conflict queue: queued once. */
	"CREATE TABLE IF NOT EXISTS recovered_conflict ("
	"  device_id TEXT NOT NULL, tbl INTEGER NOT NULL, row_id TEXT NOT NULL,"
	"  origin INTEGER NOT NULL, conflict_id TEXT NOT NULL,"
	"  PRIMARY KEY (device_id, tbl, row_id, origin)) WITHOUT ROWID;"
		/* What each device sent back into each epoch. */
	"CREATE TABLE IF NOT EXISTS recovery ("
	"  device_id TEXT NOT NULL, epoch TEXT NOT NULL, started_at INTEGER NOT NULL,"
	"  finished_at INTEGER, applied INTEGER NOT NULL DEFAULT 0,"
	"  known INTEGER NOT NULL DEFAULT 0, conflicts INTEGER NOT NULL DEFAULT 0,"
	"  rejected INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (device_id, epoch)) WITHOUT ROWID;";

static void
epoch_load(struct store *s)
{
	db_meta_get(s->db, "epoch", s->epoch.epoch, sizeof s->epoch.epoch);
	s->epoch.restored_version = (uint64_t)db_meta_get_int(s->db, "restored_version", 0);
	s->epoch.version_floor = (uint64_t)db_meta_get_int(s->db, "version_floor", 0);
}

int
store_epoch_init(struct store *s, char *err, size_t errlen)
{
	char id[ID_TEXT_LEN + 1];

	if (db_exec(s->db, restore_ddl, err, errlen) != 0)
		return -1;
	epoch_load(s);
	if (s->epoch.epoch[0] != '\0')
		return 0;
	/* A database from before epochs, or a new one: it gets its first. */
	if (id_new(id) != 0 || db_meta_set(s->db, "epoch", id) != 0) {
		snprintf(err, errlen, "cannot give the database its epoch: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	epoch_load(s);
	return 0;
}

void
store_epoch(struct store *s, struct store_epoch *e)
{
	*e = s->epoch;
}

/* --- recovery ------------------------------------------------------------ */

/* What the server knows of a row recovered before: from which version, and the version it got. */
struct recovered {
	int found;
	uint64_t origin;
	uint64_t version;
};

static int
recovered_get(struct store *s, int t, const char *id, struct recovered *rc)
{
	sqlite3_stmt *st = s->recovered_get;
	int r;

	memset(rc, 0, sizeof *rc);
	if (st == NULL && (st = s->recovered_get = db_prepare(s->db,
	    "SELECT origin, version FROM recovered WHERE tbl = ?1 AND row_id = ?2")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		rc->found = 1;
		rc->origin = (uint64_t)sqlite3_column_int64(st, 0);
		rc->version = (uint64_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : -1;
}

static int
recovered_put(struct store *s, int t, const char *id, uint64_t origin, uint64_t version,
    const char *device_id)
{
	sqlite3_stmt *st = s->recovered_put;
	int r;

	if (st == NULL && (st = s->recovered_put = db_prepare(s->db,
	    "INSERT OR REPLACE INTO recovered (tbl, row_id, origin, version, device_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)origin);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)version);
	sqlite3_bind_text(st, 5, device_id, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : -1;
}

/*
 * Whether the device already queued this copy of the row (the same
 * version), settled or not: a repeated recovery does not queue it again.
 * 1 yes, 0 no, -1 on error.
 */
static int
recovered_queued(struct store *s, const char *device_id, int t, const char *id,
    uint64_t version)
{
	sqlite3_stmt *st;
	int r, found;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM recovered_conflict WHERE device_id = ?1 AND"
	    " tbl = ?2 AND row_id = ?3 AND origin = ?4", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, t);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)version);
	r = sqlite3_step(st);
	found = r == SQLITE_ROW;
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? found : -1;
}

static int
recovered_queued_put(struct store *s, const char *device_id, int t, const char *id,
    uint64_t version, const char *cid)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO recovered_conflict (device_id, tbl,"
	    " row_id, origin, conflict_id) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, t);
	sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)version);
	sqlite3_bind_text(st, 5, cid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

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
recover_transfer_record(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd)
{
	struct srow w;
	enum ch_result res;
	int rc;

	memset(&w, 0, sizeof w);
	for (size_t i = 0; i < c->n_cols; i++)
		w.v[c->cols[i]] = *c->values[i];   /* borrowed: not cleared */
	if (validate_row_reason(TBL_TRANSFER, w.v, s->eng.today, &vd->why) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		return CH_REJECTED;
	}
	if ((res = row_scopes(&s->eng, TBL_TRANSFER, w.v, w.scope, w.scope2, vd)) != CH_APPLIED)
		return res;
	if (!in_scope(w.scope, who->scope) && !in_scope(w.scope2, who->scope))
		return refuse_unseen(vd, &schema_tables[TBL_TRANSFER], NULL, c->row_id);
	w.version = ++s->version;
	w.hlc = tx->hlc;
	snprintf(w.device, sizeof w.device, "%s", who->device_id);
	rc = row_write(s, TBL_TRANSFER, c->row_id, &w, 1);
	if (rc != SQLITE_DONE) {
		s->version--;
		if ((rc & 0xff) != SQLITE_CONSTRAINT)
			return CH_ERROR;
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		reason_set(&vd->why, R_ID_IN_USE, "transfer", c->row_id);
		return CH_REJECTED;
	}
	if (audit_change(&s->eng, who, tx, c, w.version, "insert") != 0)
		return CH_ERROR;
	vd->version = w.version;
	return CH_APPLIED;
}

/* One recovered row, inside the caller's transaction. */
static enum rec_outcome
recover_row(struct store *s, const struct store_actor *who, const Tongxin__Row *in)
{
	const struct store_epoch *e = &s->epoch;
	Tongxin__Txn tx = TONGXIN__TXN__INIT;
	Tongxin__Change *cp;
	struct txn_verdict vd;
	struct lww_note note;
	struct rec_change rc;
	struct recovered rec;
	struct srow r;
	enum ch_result res;
	enum rec_outcome out;
	uint64_t version0 = s->version;
	int as_restored, queued, out_of_scope;
	char cid[ID_TEXT_LEN + 1], n[24];

	memset(&vd, 0, sizeof vd);
	memset(&r, 0, sizeof r);
	vd.table = -1;
	/* The shape first: a recovered row is as bounded as a pushed change. */
	if (in->table >= TBL_COUNT || !id_valid(in->row_id) || in->version <= e->restored_version ||
	    in->version >= e->version_floor ||
	    (!in->deleted && in->n_values != (size_t)schema_tables[in->table].ncols) ||
	    (in->deleted && in->n_values != 0)) {
		char v[24];
		reason_set(&vd.why, R_RECOVER_SHAPE,
		    in->table < TBL_COUNT ? schema_tables[in->table].name : reason_num(n, in->table),
		    reason_num(v, (long long)in->version));
		rec_note(who, in, "refused", &vd.why);
		return REC_REJECTED;
	}
	if (row_load(s, (int)in->table, in->row_id, &r) != 0)
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
		rec_change_build(in, &r, &rc, 1);
		goto build;
	}
	if (recovered_get(s, (int)in->table, in->row_id, &rec) != 0) {
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
	as_restored = !r.exists || r.version <= e->restored_version ||
	    (rec.found && r.version == rec.version);
	if (!rec_change_build(in, &r, &rc, 0)) {
		/*
		 * The server holds this state already. Where it holds it as
		 * restored, remember the version it was confirmed at: an older
		 * copy from another device must not replace it later.
		 */
		out = REC_KNOWN;
		if (r.exists && as_restored && recovered_put(s, (int)in->table, in->row_id,
		    in->version, r.version, who->device_id) != 0)
			out = REC_ERROR;
		srow_clear(&r);
		return out;
	}
build:
	cp = &rc.c;
	tx.hlc = s->eng.hlc;
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
	if (step_once(s->sp_begin) != 0) {
		srow_clear(&r);
		return REC_ERROR;
	}
	switch (rc.c.op) {
	case TONGXIN__CHANGE__OP__OP_INSERT:
		if (in->table != TBL_TRANSFER || transfer_requested(in))
			res = apply_insert(&s->eng, who, &tx, cp, &vd);
		else if (who->role != NULL && strcmp(who->role, "admin") == 0)
			res = recover_transfer_record(s, who, &tx, cp, &vd);
		else {
			/* An office's copy of a decided transfer: kept for the street. */
			snprintf(vd.kind, sizeof vd.kind, "recovered");
			reason_set(&vd.why, R_RECOVERED_DECIDED, in->row_id);
			res = CH_CONFLICT;
		}
		break;
	case TONGXIN__CHANGE__OP__OP_DELETE:
		res = apply_delete(&s->eng, who, &tx, cp, &vd, 0);
		break;
	default:
		res = apply_update(&s->eng, who, &tx, cp, &vd, &note, rc.force);
		break;
	}
	if (res == CH_APPLIED || res == CH_MERGED) {
		struct srow now;
		if (step_once(s->sp_release) != 0 || row_load(s, (int)in->table, in->row_id, &now) != 0)
			goto fail;
		out = recovered_put(s, (int)in->table, in->row_id, in->version, now.version,
		    who->device_id) == 0 ? REC_APPLIED : REC_ERROR;
		srow_clear(&now);
		srow_clear(&r);
		if (vd.have_server)
			srow_clear(&vd.server);
		return out;
	}
	if (step_once(s->sp_rollback) != 0 || step_once(s->sp_release) != 0)
		goto fail;
	s->version = version0;
	if (res == CH_ERROR)
		goto fail;
queue:
	/*
	 * A copy the server does not take - a clash (a unique number, a
	 * dissolved parent), a row changed since the restore, one a rule or
	 * the scope refuses - is what a device held and the server had
	 * acknowledged: kept whole in the conflict queue for the street, once.
	 */
	if ((queued = recovered_queued(s, who->device_id, (int)in->table, in->row_id,
	    in->version)) != 0) {
		if (vd.have_server)
			srow_clear(&vd.server);
		srow_clear(&r);
		return queued < 0 ? REC_ERROR : REC_KNOWN;
	}
	if ((queued = conflict_queue_full(&s->eng, who->device_id)) != 0) {
		if (queued > 0) {
			reason_set(&vd.why, R_QUEUE_FULL, reason_num(n, (long long)s->eng.max_open_conflicts));
			rec_note(who, in, "refused", &vd.why);
		}
		if (vd.have_server)
			srow_clear(&vd.server);
		srow_clear(&r);
		return queued > 0 ? REC_REJECTED : REC_ERROR;
	}
	/* The server's row for the record (a copy: the change's values point into r). */
	if (!vd.have_server && r.exists)
		vd.have_server = row_load(s, (int)in->table, in->row_id, &vd.server) == 0;
	vd.table = (int)in->table;
	snprintf(vd.row_id, sizeof vd.row_id, "%s", in->row_id);
	out = conflict_record(&s->eng, who, &tx, NULL, &vd, "open", NULL, cid) == 0 &&
	    recovered_queued_put(s, who->device_id, (int)in->table, in->row_id, in->version,
	    cid) == 0 ? REC_CONFLICT : REC_ERROR;
	if (out == REC_CONFLICT)
		rec_note(who, in, "queued as conflict", &vd.why);
	if (vd.have_server)
		srow_clear(&vd.server);
	srow_clear(&r);
	return out;
fail:
	s->version = version0;
	if (vd.have_server)
		srow_clear(&vd.server);
	srow_clear(&r);
	return REC_ERROR;
}

/* Add this request's counts to the device's recovery record; finish it with done. */
static int
recovery_record(struct store *s, const char *device_id, const Tongxin__RecoverResponse *o,
    int done)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO recovery (device_id, epoch, started_at,"
	    " finished_at, applied, known, conflicts, rejected) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
	    " ?7, ?8) ON CONFLICT (device_id, epoch) DO UPDATE SET"
	    " finished_at = coalesce(excluded.finished_at, finished_at),"
	    " applied = applied + excluded.applied, known = known + excluded.known,"
	    " conflicts = conflicts + excluded.conflicts, rejected = rejected + excluded.rejected",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->epoch.epoch, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms());
	if (done)
		sqlite3_bind_int64(st, 4, now_ms());
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, o->applied);
	sqlite3_bind_int64(st, 6, o->known);
	sqlite3_bind_int64(st, 7, o->conflicts);
	sqlite3_bind_int64(st, 8, o->rejected);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : -1;
}

/* The device's recovery totals in this epoch; 1 when finished, 0 when not, -1 on error. */
static int
recovery_totals(struct store *s, const char *device_id, Tongxin__RecoverResponse *t)
{
	sqlite3_stmt *st;
	int r, finished = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT finished_at IS NOT NULL, applied, known, conflicts,"
	    " rejected FROM recovery WHERE device_id = ?1 AND epoch = ?2", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->epoch.epoch, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		finished = sqlite3_column_int(st, 0);
		t->applied = (uint32_t)sqlite3_column_int64(st, 1);
		t->known = (uint32_t)sqlite3_column_int64(st, 2);
		t->conflicts = (uint32_t)sqlite3_column_int64(st, 3);
		t->rejected = (uint32_t)sqlite3_column_int64(st, 4);
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? finished : -1;
}

int
store_recover(struct store *s, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen)
{
	Tongxin__RecoverResponse *o, totals = TONGXIN__RECOVER_RESPONSE__INIT;
	uint64_t saved_version = s->version;
	int finished;

	*out = NULL;
	if (s->epoch.restored_version == 0 || s->epoch.version_floor == 0) {
		snprintf(err, errlen, "this server's database was never restored: nothing to recover");
		return -1;
	}
	if (strcmp(req->epoch, s->epoch.epoch) != 0) {
		snprintf(err, errlen, "the server's epoch is no longer the one recovered into; "
		    "sync again");
		return -1;
	}
	/*
	 * A device enrolled after the restore holds nothing the restore lost:
	 * its (empty) recovery is finished at once, and rows from it are forged.
	 */
	{
		sqlite3_stmt *st;
		int64_t enrolled = -1, restored = db_meta_get_int(s->db, "restored_at", 0);
		if (sqlite3_prepare_v2(s->db, "SELECT enrolled_at FROM device WHERE id = ?1", -1, &st,
		    NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, who->device_id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				enrolled = sqlite3_column_int64(st, 0);
			sqlite3_finalize(st);
		}
		if (restored > 0 && enrolled > restored) {
			if (req->n_rows > 0) {
				snprintf(err, errlen, "this device was enrolled after the restore: it holds "
				    "nothing the restore lost");
				return -1;
			}
			if ((*out = malloc(sizeof **out)) == NULL) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			tongxin__recover_response__init(*out);
			(*out)->finished = 1;
			return 0;
		}
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
	today_str(s->eng.today);
	if (db_exec(s->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		goto fail;
	s->org_gen++;
	/* A device that finished takes no more: it was told, and adopted the epoch. */
	if ((finished = recovery_totals(s, who->device_id, &totals)) < 0)
		goto rollback;
	if (!finished) {
		for (size_t i = 0; i < req->n_rows; i++) {
			switch (recover_row(s, who, req->rows[i])) {
			case REC_APPLIED: o->applied++; break;
			case REC_KNOWN: o->known++; break;
			case REC_CONFLICT: o->conflicts++; break;
			case REC_REJECTED: o->rejected++; break;
			default:
				snprintf(err, errlen, "cannot recover a row: %s", sqlite3_errmsg(s->db));
				goto rollback;
			}
		}
		if (recovery_record(s, who->device_id, o, req->done) != 0)
			goto rollback;
	}
	if (store_save_version(s) != 0 || db_exec(s->db, "COMMIT", err, errlen) != 0)
		goto rollback;
	if (finished) {
		*o = totals;
		o->finished = 1;
	} else if (req->done) {
		Tongxin__RecoverResponse sum = TONGXIN__RECOVER_RESPONSE__INIT;
		if (recovery_totals(s, who->device_id, &sum) > 0)
			log_info("store: %s finished its recovery after the restore: %u rows "
			    "written, %u known, %u queued as conflicts, %u refused",
			    who->device_name ? who->device_name : who->device_id, sum.applied,
			    sum.known, sum.conflicts, sum.rejected);
		o->finished = 1;
	}
	*out = o;
	return 0;
rollback:
	db_exec(s->db, "ROLLBACK", NULL, 0);
	s->version = saved_version;
fail:
	tongxin__recover_response__free_unpacked(o, NULL);
	if (err[0] == '\0')
		snprintf(err, errlen, "internal error: %s", sqlite3_errmsg(s->db));
	return -1;
}

/* --- restore ------------------------------------------------------------- */

/* Open a database read-only and check it whole; NULL with err on failure. */
static sqlite3 *
open_checked(const char *path, const char *what, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *check = NULL;
	char have[16384];

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read %s %s: %s", what, path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		check = (const char *)sqlite3_column_text(st, 0);
	if (check == NULL || strcmp(check, "ok") != 0) {
		snprintf(err, errlen, "%s %s is damaged: %s", what, path,
		    check ? check : sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (db_meta_get(db, "schema", have, sizeof have) != 0) {
		snprintf(err, errlen, "%s %s is not a tongxind database", what, path);
		goto fail;
	}
	if (strcmp(have, schema_canonical_text()) != 0) {
		snprintf(err, errlen, "%s %s was made with another schema version than this "
		    "tongxind's", what, path);
		goto fail;
	}
	return db;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return NULL;
}

/* fsync a file or folder by path; 0 or -1. */
static int
sync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * In the restored copy (db): the new epoch and version floor, nothing
 * recovered yet, and the devices enrolled or revoked since the backup
 * carried over from the replaced database (old, when readable).
 */
static int
restored_prepare(sqlite3 *db, const char *old, struct store_restore_report *rep,
    uint64_t old_version, char *err, size_t errlen)
{
	uint64_t m = (uint64_t)db_meta_get_int(db, "version", 0);
	uint64_t floor = (m > old_version ? m : old_version) + RESTORE_VERSION_GAP;
	sqlite3_stmt *st;
	char epoch[ID_TEXT_LEN + 1];

	if (id_new(epoch) != 0) {
		snprintf(err, errlen, "random number generator failed");
		return -1;
	}
	if (db_exec(db, restore_ddl, err, errlen) != 0 ||
	    db_exec(db, "CREATE TABLE IF NOT EXISTS device_replica ("
	    "  device_id TEXT PRIMARY KEY NOT NULL, replica_id TEXT NOT NULL,"
	    "  bound_at INTEGER NOT NULL) WITHOUT ROWID", err, errlen) != 0)
		return -1;
	if (old != NULL) {
		if (sqlite3_prepare_v2(db, "ATTACH ?1 AS old", -1, &st, NULL) != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_text(st, 1, old, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto sqlfail;
		}
		sqlite3_finalize(st);
	}
	if (db_exec(db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	if (db_exec(db, "DELETE FROM recovered; DELETE FROM recovery", err, errlen) != 0 ||
	    db_meta_set(db, "epoch", epoch) != 0 ||
	    db_meta_set_int(db, "restored_version", (int64_t)m) != 0 ||
	    db_meta_set_int(db, "version_floor", (int64_t)floor) != 0 ||
	    db_meta_set_int(db, "version", (int64_t)floor) != 0 ||
	    db_meta_set_int(db, "restored_at", now_ms()) != 0)
		goto rollback;
	if (old != NULL) {
		/* Devices enrolled since the backup keep working; revoked ones stay revoked. */
		if (db_exec(db, "UPDATE device SET revoked_at = (SELECT o.revoked_at FROM old.device o"
		    " WHERE o.id = device.id) WHERE revoked_at IS NULL AND id IN (SELECT id FROM"
		    " old.device WHERE revoked_at IS NOT NULL)", err, errlen) != 0)
			goto rollback;
		rep->devices_revoked = sqlite3_changes(db);
		if (db_exec(db, "INSERT OR IGNORE INTO device SELECT * FROM old.device o WHERE"
		    " o.id NOT IN (SELECT id FROM device)", err, errlen) != 0)
			goto rollback;
		rep->devices_added = sqlite3_changes(db);
		if (db_exec(db, "INSERT OR IGNORE INTO device_replica SELECT * FROM"
		    " old.device_replica", err, errlen) != 0)
			goto rollback;
	}
	if (db_exec(db, "COMMIT", err, errlen) != 0)
		goto rollback;
	if (old != NULL)
		db_exec(db, "DETACH old", NULL, 0);
	snprintf(rep->epoch.epoch, sizeof rep->epoch.epoch, "%s", epoch);
	rep->epoch.restored_version = m;
	rep->epoch.version_floor = floor;
	return 0;
rollback:
	if (err[0] == '\0')
		snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	db_exec(db, "ROLLBACK", NULL, 0);
	return -1;
sqlfail:
	snprintf(err, errlen, "%s", sqlite3_errmsg(db));
	return -1;
}

/* Rename path (and its -wal and -shm) to aside's names. 0, or -1 with err. */
static int
move_aside(const char *path, const char *aside, char *err, size_t errlen)
{
	static const char *const ext[] = { "-wal", "-shm" };
	char from[4200], to[4300];

	if (rename(path, aside) != 0) {
		snprintf(err, errlen, "cannot move %s aside: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof from, "%s%s", path, ext[i]);
		snprintf(to, sizeof to, "%s%s", aside, ext[i]);
		if (rename(from, to) != 0 && errno != ENOENT) {
			snprintf(err, errlen, "cannot move %s aside: %s", from, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
store_restore(const char *dir, const char *file, const char *street_code,
    struct store_restore_report *rep, char *err, size_t errlen)
{
	char path[4096], tmp[4200], have[80], want[80];
	sqlite3 *src = NULL, *old = NULL, *dst = NULL;
	sqlite3_backup *b;
	uint64_t old_version = 0;
	struct stat sb;
	int fd, rc = -1, made = 0;

	memset(rep, 0, sizeof *rep);
	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	snprintf(tmp, sizeof tmp, "%s/tongxind.db.restoring", dir);
	if (stat(file, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: %s", file, errno ? strerror(errno) : "not a file");
		return -1;
	}
	if ((src = open_checked(file, "the backup", err, errlen)) == NULL)
		return -1;
	db_meta_get(src, "street_code", want, sizeof want);
	snprintf(rep->street_code, sizeof rep->street_code, "%s", want);
	if (street_code != NULL && street_code[0] && strcmp(street_code, want) != 0) {
		snprintf(err, errlen, "the backup %s is of street %s, and %s/tongxind.conf names "
		    "street %s", file, want, dir, street_code);
		sqlite3_close(src);
		return -1;
	}
	/* The database it replaces: read what can be read, refuse another street's backup. */
	if (stat(path, &sb) == 0) {
		char why[512];
		if ((old = open_checked(path, "the database", why, sizeof why)) != NULL) {
			rep->replaced_readable = 1;
			db_meta_get(old, "street_code", have, sizeof have);
			if (strcmp(have, want) != 0) {
				snprintf(err, errlen, "the backup %s is of street %s, this server's database "
				    "of street %s", file, want, have);
				goto out;
			}
			old_version = (uint64_t)db_meta_get_int(old, "version", 0);
			sqlite3_close(old);
			old = NULL;
		} else {
			log_warnx("restore: %s; devices enrolled or revoked since the backup must be "
			    "enrolled or revoked again", why);
		}
	}
	/* A private copy first, checked and prepared; only then the swap. */
	{
		char side[4300];
		snprintf(side, sizeof side, "%s-wal", tmp);
		(void)unlink(side);
		snprintf(side, sizeof side, "%s-shm", tmp);
		(void)unlink(side);
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	/*
	 * Run as root for a service that runs as its own user: the restored
	 * database belongs to whoever owned the one it replaces (else the
	 * folder's owner), or the service could not open it.
	 */
	if (geteuid() == 0 && (stat(path, &sb) == 0 || stat(dir, &sb) == 0) &&
	    (sb.st_uid != 0 || sb.st_gid != 0) && fchown(fd, sb.st_uid, sb.st_gid) != 0) {
		snprintf(err, errlen, "cannot give %s to its owner: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	made = 1;
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", tmp, sqlite3_errmsg(dst));
		goto out;
	}
	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL) {
		snprintf(err, errlen, "cannot copy the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_backup_step(b, -1);
	if (sqlite3_backup_finish(b) != SQLITE_OK) {
		snprintf(err, errlen, "cannot copy the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	if (db_exec(dst, "PRAGMA journal_mode=WAL", err, errlen) != 0 ||
	    db_exec(dst, "PRAGMA synchronous=FULL", err, errlen) != 0 ||
	    restored_prepare(dst, rep->replaced_readable ? path : NULL, rep, old_version, err,
	    errlen) != 0)
		goto out;
	sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	sqlite3_close(dst);
	dst = NULL;
	if (sync_path(tmp) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	{
		/*
		 * The database with its WAL goes aside - or a WAL left alone (a
		 * killed server's, whose database was removed): SQLite would
		 * replay it into the restored file.
		 */
		char stamp[32], wal[4200], shm[4200];
		time_t now = time(NULL);
		struct tm tm;
		int have_db = stat(path, &sb) == 0;

		snprintf(wal, sizeof wal, "%s-wal", path);
		snprintf(shm, sizeof shm, "%s-shm", path);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		snprintf(rep->aside, sizeof rep->aside, "%s.replaced-%s", path, stamp);
		if (have_db && move_aside(path, rep->aside, err, errlen) != 0)
			goto out;
		if (!have_db && (stat(wal, &sb) == 0 || stat(shm, &sb) == 0)) {
			char to[4300];
			for (int i = 0; i < 2; i++) {
				snprintf(to, sizeof to, "%s%s", rep->aside, i ? "-shm" : "-wal");
				if (rename(i ? shm : wal, to) != 0 && errno != ENOENT) {
					snprintf(err, errlen, "cannot move %s aside: %s", i ? shm : wal,
					    strerror(errno));
					goto out;
				}
			}
		}
		if (!have_db)
			rep->aside[0] = '\0';
		if (rename(tmp, path) != 0) {
			snprintf(err, errlen, "cannot put %s in place: %s", path, strerror(errno));
			/* Put the replaced database back: a failed restore changes nothing. */
			if (have_db && rename(rep->aside, path) == 0) {
				char from[4300];
				snprintf(from, sizeof from, "%s-wal", rep->aside);
				(void)rename(from, wal);
				snprintf(from, sizeof from, "%s-shm", rep->aside);
				(void)rename(from, shm);
			}
			goto out;
		}
	}
	made = 0;
	(void)sync_path(dir);
	rc = 0;
out:
	sqlite3_close(dst);
	sqlite3_close(old);
	sqlite3_close(src);
	if (made) {
		char side[4300];
		snprintf(side, sizeof side, "%s-wal", tmp);
		(void)unlink(side);
		snprintf(side, sizeof side, "%s-shm", tmp);
		(void)unlink(side);
		(void)unlink(tmp);
	}
	return rc;
}
