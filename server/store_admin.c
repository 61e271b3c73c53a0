/*
 * store_admin.c - the administrators' side of the store: the conflict
 * queue (list, show side by side, resolve), the audit trail, devices and
 * replica checks; see store.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "rowhash.h"
#include "admin_view.h"
#include "store_internal.h"
#include "validate.h"
#include "value.h"

#define LIST_MAX 1000

/* A malloc'd copy of a text column, or protobuf's empty string for NULL. */
static char *
col_str(sqlite3_stmt *st, int col)
{
	return pb_str_dup((const char *)sqlite3_column_text(st, col));
}

/*
 * Fill the conflict's server_writer and server_written_at_ms with the author
 * of the server's value the office's change clashed with: the latest
 * audited change of that row (up to the version the server held when the
 * conflict was found) that set one of the clashing columns, or deleted the
 * row; else the row's insert. The last writer of the row may have touched
 * other columns only.
 */
static void
value_author(struct sq_store *s, Tongxin__ConflictInfo *ci, const char *row_id)
{
	uint64_t mask = conflict_clash_cols(ci, row_id);
	sqlite3_int64 upto = ci->server_row != NULL && ci->server_row->version > 0 ?
	    (sqlite3_int64)ci->server_row->version : INT64_MAX;
	sqlite3_stmt *q;
	char sql[256];
	int found = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT d.name, a.at, a.action, a.detail FROM audit a"
	    " LEFT JOIN device d ON d.id = a.device_id WHERE a.row_id = ?1 AND a.action <> 'insert'"
	    " AND a.version <= ?2 ORDER BY a.version DESC LIMIT 1000", -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, row_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, upto);
	while (!found && sqlite3_step(q) == SQLITE_ROW) {
		found = audit_sets_cols((const char *)sqlite3_column_text(q, 2),
		    sqlite3_column_type(q, 3) == SQLITE_BLOB ? sqlite3_column_blob(q, 3) : NULL,
		    (size_t)sqlite3_column_bytes(q, 3), mask);
		if (found) {
			ci->server_writer = col_str(q, 0);
			ci->server_written_at_ms = sqlite3_column_int64(q, 1);
		}
	}
	sqlite3_finalize(q);
	if (found)
		return;
	snprintf(sql, sizeof sql, "SELECT d.name, a.at FROM audit a LEFT JOIN device d"
	    " ON d.id = a.device_id WHERE a.version = (SELECT _created FROM %s WHERE id = ?1)",
	    schema_tables[ci->table].name);
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, row_id, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		ci->server_writer = col_str(q, 0);
		ci->server_written_at_ms = sqlite3_column_int64(q, 1);
	}
	sqlite3_finalize(q);
}

#define CONFLICT_COLS "c.id, c.kind, c.reason, d.name, d.org_code, c.operator, c.tbl, c.row_id," \
	" c.seq, c.hlc, c.local_time, c.received_at, c.status, c.resolution, c.resolved_by," \
	" c.resolved_at, c.txn, c.server_row, c.device_id, coalesce(c.reason_code, 0), c.reason_args"

/* Fill a ConflictInfo from a row of CONFLICT_COLS; with_detail adds both sides. */
static Tongxin__ConflictInfo *
conflict_from_row(struct sq_store *s, sqlite3_stmt *st, int with_detail)
{
	Tongxin__ConflictInfo *ci = malloc(sizeof *ci);

	if (ci == NULL)
		return NULL;
	tongxin__conflict_info__init(ci);
	ci->id = col_str(st, 0);
	ci->kind = col_str(st, 1);
	ci->reason = col_str(st, 2);
	ci->device_name = col_str(st, 3);
	ci->org_code = col_str(st, 4);
	ci->operator_name = col_str(st, 5);
	ci->table = (uint32_t)sqlite3_column_int(st, 6);
	ci->row_id = col_str(st, 7);
	ci->seq = (uint64_t)sqlite3_column_int64(st, 8);
	ci->hlc = (uint64_t)sqlite3_column_int64(st, 9);
	ci->local_time_ms = sqlite3_column_int64(st, 10);
	ci->received_at_ms = sqlite3_column_int64(st, 11);
	ci->status = col_str(st, 12);
	ci->resolution = col_str(st, 13);
	ci->resolved_by = col_str(st, 14);
	ci->resolved_at_ms = sqlite3_column_int64(st, 15);
	if (sqlite3_column_int64(st, 19) != 0) {
		/* On OOM the list goes out with the English reason alone. */
		struct reason why;
		reason_unpack((uint32_t)sqlite3_column_int64(st, 19),
		    (const char *)sqlite3_column_text(st, 20), &why);
		reason_args_copy(&why, &ci->reason_code, &ci->reason_args, &ci->n_reason_args);
	}
	if (!with_detail)
		return ci;
	ci->txn = tongxin__txn__unpack(NULL, (size_t)sqlite3_column_bytes(st, 16),
	    sqlite3_column_blob(st, 16));
	if (sqlite3_column_type(st, 17) == SQLITE_BLOB)
		ci->server_row = tongxin__row__unpack(NULL, (size_t)sqlite3_column_bytes(st, 17),
		    sqlite3_column_blob(st, 17));
	if (ci->table < TBL_COUNT && id_valid(ci->row_id)) {
		const char *cur_id = ci->server_row && !ci->server_row->deleted &&
		    ci->server_row->row_id[0] ? ci->server_row->row_id : ci->row_id;
		ci->current_row = row_message(&s->base.eng, (int)ci->table, cur_id, NULL);
		value_author(s, ci, cur_id);
	}
	return ci;
}

int
sqs_conflict_list(struct store *base, const Tongxin__ConflictFilter *f,
    Tongxin__ConflictListResponse **out, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	Tongxin__ConflictListResponse *resp;
	sqlite3_stmt *st;
	const char *status = f && f->status[0] ? f->status : "open";
	uint32_t limit = f && f->limit && f->limit < LIST_MAX ? f->limit : LIST_MAX;
	int tbl = -1;

	*out = NULL;
	if (strcmp(status, "open") && strcmp(status, "resolved") && strcmp(status, "auto") &&
	    strcmp(status, "rejected") && strcmp(status, "all")) {
		snprintf(err, errlen, "unknown status \"%s\" (open, resolved, auto, rejected or all)",
		    status);
		return -1;
	}
	if (f && f->table[0] && (tbl = schema_table_index(f->table)) < 0) {
		snprintf(err, errlen, "unknown table \"%s\"", f->table);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT " CONFLICT_COLS " FROM conflict c"
	    " LEFT JOIN device d ON d.id = c.device_id"
	    " WHERE (?1 = 'all' OR c.status = ?1) AND (?2 IS NULL OR d.org_code = ?2)"
	    " AND (?3 < 0 OR c.tbl = ?3) AND (?4 = 0 OR c.received_at < ?4)"
	    " AND (?5 = 0 OR c.received_at > ?5) ORDER BY c.received_at, c.id LIMIT ?6", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	bind_text_or_null(st, 2, f ? f->office : NULL);
	sqlite3_bind_int(st, 3, tbl);
	sqlite3_bind_int64(st, 4, f ? f->older_than_ms : 0);
	sqlite3_bind_int64(st, 5, f ? f->newer_than_ms : 0);
	sqlite3_bind_int(st, 6, (int)limit);
	if ((resp = malloc(sizeof *resp)) == NULL ||
	    (tongxin__conflict_list_response__init(resp),
	     resp->conflicts = calloc(limit, sizeof *resp->conflicts)) == NULL) {
		free(resp);
		sqlite3_finalize(st);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		Tongxin__ConflictInfo *ci = conflict_from_row(s, st, 0);
		if (ci == NULL)
			break;
		resp->conflicts[resp->n_conflicts++] = ci;
	}
	sqlite3_finalize(st);
	*out = resp;
	return 0;
}

/* Find a conflict by id, or by a unique suffix of at least 6 characters. */
static int
conflict_lookup(struct sq_store *s, const char *key, int with_detail, Tongxin__ConflictInfo **out,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int n = 0;

	*out = NULL;
	if (strlen(key) < 6 || strlen(key) > 36) {
		snprintf(err, errlen, "a conflict id has 6 to 36 characters (the end of the id is enough)");
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT " CONFLICT_COLS " FROM conflict c"
	    " LEFT JOIN device d ON d.id = c.device_id"
	    " WHERE c.id = ?1 OR substr(c.id, -length(?1)) = ?1 LIMIT 2", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0)
			*out = conflict_from_row(s, st, with_detail);
	}
	sqlite3_finalize(st);
	if (n == 0) {
		snprintf(err, errlen, "no conflict %s", key);
		return -1;
	}
	if (n > 1) {
		tongxin__conflict_info__free_unpacked(*out, NULL);
		*out = NULL;
		snprintf(err, errlen, "conflict id %s is ambiguous; give more of it", key);
		return -1;
	}
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
sqs_conflict_show(struct store *base, const char *id, Tongxin__ConflictInfo **out, char *err,
    size_t errlen)
{
	struct sq_store *s = SQ(base);
	return conflict_lookup(s, id, 1, out, err, errlen);
}

int
sq_conflict_get(void *b, const char *key, Tongxin__ConflictInfo **out, char *err, size_t errlen)
{
	return conflict_lookup(b, key, 1, out, err, errlen);
}

int
sq_conflict_settle(void *b, const char *id, const char *resolution, const char *by, int64_t at,
    uint64_t version, const char *note)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE conflict SET status = 'resolved', resolution = ?2,"
	    " resolved_by = ?3, resolved_at = ?4, resolved_version = ?5, note = ?6"
	    " WHERE id = ?1 AND status = 'open'", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, resolution, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, at);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)version);
	bind_text_or_null(st, 6, note);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(s->db) == 1;
}

/*
 * "name=value, ..." of the row an insert made, which the audit does not
 * repeat (see the audit table): the row as it is now, every later audited
 * change of its values taken back (each keeps the values it replaced), the
 * columns that are set.
 */
static char *
render_insert(struct sq_store *s, int t, const char *row_id, uint64_t version)
{
	struct srow r;
	sqlite3_stmt *q;
	char *out;

	if (t < 0 || t >= TBL_COUNT || row_id == NULL || row_load(s, t, row_id, &r) != 0)
		return pb_str_dup("(unreadable)");
	if (!r.exists)
		return pb_str_dup("");
	if (sqlite3_prepare_v2(s->db, "SELECT detail FROM audit WHERE row_id = ?1 AND tbl = ?2"
	    " AND action <> 'insert' AND version > ?3 ORDER BY version DESC", -1, &q,
	    NULL) != SQLITE_OK) {
		srow_clear(&r);
		return pb_str_dup("(unreadable)");
	}
	sqlite3_bind_text(q, 1, row_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, t);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)version);
	while (sqlite3_step(q) == SQLITE_ROW)
		if (sqlite3_column_type(q, 0) == SQLITE_BLOB)   /* not a resolution's words */
			audit_take_back(&r, t, sqlite3_column_blob(q, 0),
			    (size_t)sqlite3_column_bytes(q, 0));
	sqlite3_finalize(q);
	out = audit_render_row(&r, t);
	srow_clear(&r);
	return out;
}

int
sqs_audit(struct store *base, const Tongxin__AuditRequest *req, Tongxin__AuditResponse **out,
    char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	Tongxin__AuditResponse *resp;
	sqlite3_stmt *st;
	uint32_t limit = req->limit && req->limit < LIST_MAX ? req->limit : LIST_MAX;

	char sql[8192];
	size_t n;

	*out = NULL;
#define AUDIT_SEL "SELECT a.version, a.at, d.name, a.operator, a.action, a.tbl, a.row_id," \
	" a.seq, a.detail FROM audit a LEFT JOIN device d ON d.id = a.device_id"
#define AUDIT_FILTER " AND (?2 IS NULL OR d.name = ?2) AND (?3 = 0 OR a.at >= ?3)"
	if (req->row_id[0] == '\0') {
		snprintf(sql, sizeof sql, AUDIT_SEL " WHERE 1" AUDIT_FILTER
		    " ORDER BY a.version DESC LIMIT ?4");
	} else {
		/* A row's trail: its changes by index, and its insert through _created. */
		n = (size_t)snprintf(sql, sizeof sql, "SELECT * FROM (" AUDIT_SEL
		    " WHERE a.row_id = ?1 AND a.action <> 'insert'" AUDIT_FILTER
		    " UNION ALL " AUDIT_SEL " WHERE a.version IN (");
		for (int t = 0; t < TBL_COUNT && n < sizeof sql; t++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%sSELECT _created FROM %s WHERE id = ?1",
			    t ? " UNION ALL " : "", schema_tables[t].name);
		if (n >= sizeof sql ||
		    (size_t)snprintf(sql + n, sizeof sql - n, ")" AUDIT_FILTER
		    ") ORDER BY 1 DESC LIMIT ?4") >= sizeof sql - n) {
			snprintf(err, errlen, "internal: the audit query is too long");
			return -1;
		}
	}
#undef AUDIT_SEL
#undef AUDIT_FILTER
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	bind_text_or_null(st, 1, req->row_id);
	bind_text_or_null(st, 2, req->device_name);
	sqlite3_bind_int64(st, 3, req->since_ms);
	sqlite3_bind_int(st, 4, (int)limit);
	if ((resp = malloc(sizeof *resp)) == NULL ||
	    (tongxin__audit_response__init(resp),
	     resp->entries = calloc(limit, sizeof *resp->entries)) == NULL) {
		free(resp);
		sqlite3_finalize(st);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		Tongxin__AuditEntry *e = malloc(sizeof *e);
		if (e == NULL)
			break;
		tongxin__audit_entry__init(e);
		e->version = (uint64_t)sqlite3_column_int64(st, 0);
		e->at_ms = sqlite3_column_int64(st, 1);
		e->device_name = col_str(st, 2);
		e->operator_name = col_str(st, 3);
		e->action = col_str(st, 4);
		e->table = (uint32_t)sqlite3_column_int(st, 5);
		e->row_id = col_str(st, 6);
		e->seq = (uint64_t)sqlite3_column_int64(st, 7);
		if (sqlite3_column_type(st, 8) == SQLITE_BLOB)
			e->detail = audit_render_change(sqlite3_column_blob(st, 8),
			    sqlite3_column_bytes(st, 8));
		else if (sqlite3_column_type(st, 8) == SQLITE_NULL && strcmp(e->action, "insert") == 0)
			e->detail = render_insert(s, (int)e->table, e->row_id, e->version);
		else
			e->detail = col_str(st, 8);
		resp->entries[resp->n_entries++] = e;
	}
	sqlite3_finalize(st);
	*out = resp;
	return 0;
}

struct devices_ctx {
	struct sq_store *s;
	Tongxin__DevicesResponse *resp;
	size_t cap;
	int oom;
};

static int
add_device(const struct store_device *d, void *arg)
{
	struct devices_ctx *x = arg;
	Tongxin__DeviceInfo *di;
	sqlite3_stmt *st;

	if ((di = devices_add(x->resp, &x->cap, d)) == NULL)
		return x->oom = 1;
	if (sqlite3_prepare_v2(x->s->db, "SELECT (SELECT count(*) FROM conflict WHERE device_id = ?1"
	    " AND status = 'open'), replica_check, coalesce(replica_checked_at, 0)"
	    " FROM device WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			di->open_conflicts = sqlite3_column_int64(st, 0);
			di->replica_check = col_str(st, 1);
			di->replica_checked_at_ms = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
	}
	return 0;
}

int
sqs_devices(struct store *base, Tongxin__DevicesResponse **out, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	struct devices_ctx x = { s, NULL, 0, 0 };

	*out = NULL;
	if ((x.resp = malloc(sizeof *x.resp)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tongxin__devices_response__init(x.resp);
	if (store_device_each(&s->base, add_device, &x) != 0 || x.oom) {
		tongxin__devices_response__free_unpacked(x.resp, NULL);
		snprintf(err, errlen, x.oom ? "out of memory" : "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	*out = x.resp;
	return 0;
}

int
sqs_replica_check(struct store *base, const struct store_actor *who,
    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
    size_t errlen)
{
	struct sq_store *s = SQ(base);
	Tongxin__ReplicaCheckResult *res;
	char hi[SCOPE_MAX], hash[65], verdict[512] = "";
	size_t vl = 0;
	sqlite3_stmt *st;

	*out = NULL;
	if (req->n_table_hashes != TBL_COUNT) {
		snprintf(err, errlen, "a replica check carries %d table digests, not %zu", TBL_COUNT,
		    req->n_table_hashes);
		return -1;
	}
	if ((res = malloc(sizeof *res)) == NULL ||
	    (tongxin__replica_check_result__init(res),
	     res->mismatched_tables = calloc(TBL_COUNT, sizeof *res->mismatched_tables)) == NULL) {
		free(res);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	scope_hi(who->scope, hi, sizeof hi);
	if (db_exec(s->db, "BEGIN", err, errlen) != 0) {
		tongxin__replica_check_result__free_unpacked(res, NULL);
		return -1;
	}
	for (int t = 0; t < TBL_COUNT; t++) {
		char cond[600];
		snprintf(cond, sizeof cond, "_deleted = 0 AND ");
		if (store_scope_cond(cond + strlen(cond), sizeof cond - strlen(cond), t, "?1", "?2") != 0 ||
		    table_hash(s->db, t, cond, who->scope, hi, hash) != 0) {
			snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
			db_exec(s->db, "ROLLBACK", NULL, 0);
			tongxin__replica_check_result__free_unpacked(res, NULL);
			return -1;
		}
		if (strcmp(hash, req->table_hashes[t]) != 0) {
			res->mismatched_tables[res->n_mismatched_tables++] =
			    pb_str_dup(schema_tables[t].name);
			vl += (size_t)snprintf(verdict + vl, sizeof verdict - vl, "%s%s",
			    vl ? ", " : "mismatch: ", schema_tables[t].name);
		}
	}
	db_exec(s->db, "COMMIT", NULL, 0);
	res->match = res->n_mismatched_tables == 0;
	if (res->match)
		snprintf(verdict, sizeof verdict, "match");
	if (sqlite3_prepare_v2(s->db, "UPDATE device SET replica_check = ?2, replica_checked_at = ?3"
	    " WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, who->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, verdict, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms());
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	*out = res;
	return 0;
}

int
sqs_resolutions(struct store *base, const struct store_actor *who, uint64_t *cursor,
    Tongxin__PullResponse *resp)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st;
	size_t cap = 256;
	uint64_t snapshot;

	/*
	 * Every resolution takes a new store version (resolved_version =
	 * ++s->version, in the transaction that writes it), and the cursor is
	 * the version this query last saw: at or past the current version
	 * nothing can be new, and a pull (every no-op sync) skips the query.
	 * The version committed, not this handle's counter: the store thread
	 * writes through a handle of its own.
	 */
	if (store_committed_version(s, &snapshot) != 0)
		return -1;
	if (*cursor >= snapshot) {
		*cursor = snapshot;
		return 0;
	}
	/*
	 * Settled conflicts of this device's own changes, and newer-wins
	 * decisions that replaced a value this device had written.
	 */
	if (sqlite3_prepare_v2(s->db, "SELECT id, resolution, coalesce(resolved_by, ''),"
	    " coalesce(resolved_at, received_at), CASE WHEN status = 'auto' THEN reason ELSE note END,"
	    " resolved_version, CASE WHEN status = 'auto' THEN coalesce(reason_code, 0) ELSE 0 END,"
	    " reason_args FROM conflict WHERE resolved_version > ?2"
	    " AND ((device_id = ?1 AND status = 'resolved') OR loser_device_id = ?1)"
	    " ORDER BY resolved_version LIMIT ?3", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if ((resp->resolutions = calloc(cap, sizeof *resp->resolutions)) == NULL) {
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_bind_text(st, 1, who->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)*cursor);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)cap);
	while (sqlite3_step(st) == SQLITE_ROW) {
		Tongxin__Resolution *r = malloc(sizeof *r);
		if (r == NULL)
			break;
		tongxin__resolution__init(r);
		r->conflict_id = col_str(st, 0);
		r->decision = col_str(st, 1);
		r->resolved_by = col_str(st, 2);
		r->resolved_at_ms = sqlite3_column_int64(st, 3);
		r->note = col_str(st, 4);
		if (sqlite3_column_int64(st, 6) != 0) {
			/*
			 * A newer-wins decision, told to the device whose value lost:
			 * in its own words (the office that won was told with
			 * R_NEWER_OFFICE in its push result).
			 */
			struct reason why;
			reason_unpack((uint32_t)sqlite3_column_int64(st, 6),
			    (const char *)sqlite3_column_text(st, 7), &why);
			if (why.code == R_NEWER_OFFICE)
				why.code = R_NEWER_REPLACED;
			reason_args_copy(&why, &r->reason_code, &r->reason_args, &r->n_reason_args);
		}
		*cursor = (uint64_t)sqlite3_column_int64(st, 5);
		resp->resolutions[resp->n_resolutions++] = r;
	}
	sqlite3_finalize(st);
	if (resp->n_resolutions < cap)
		*cursor = snapshot;
	else
		resp->more = 1;
	return 0;
}
