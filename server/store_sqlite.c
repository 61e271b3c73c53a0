/*
 * store_sqlite.c - the authoritative store on SQLite; see store.h.
 *
 * Every synced row carries the server's bookkeeping: _version (the global
 * change sequence that last touched it; pull cursors are versions),
 * _deleted (rows are never removed, so an update against a delete can be
 * detected and a delete undone by an administrator), _scope and _scope2
 * (organisation paths like "/S01/C01/B02/" that decide which devices see the
 * row), _hlc and _device (the last writer).
 *
 * The process is the only writer. The version counter lives in memory and
 * is persisted in meta inside every write transaction.
 */
#include "store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>
#include <openssl/sha.h>

#include "db.h"
#include "ids.h"
#include "log.h"
#include "schema.h"
#include "validate.h"
#include "value.h"

#include "store_internal.h"

static int device_notes_write(struct store *s);
static void device_notes_written(struct store *s);
static void device_overlay(struct store *s, struct store_device *d);

static const char store_ddl[] =
	"CREATE TABLE device ("
	"  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, org_code TEXT NOT NULL,"
	"  role TEXT NOT NULL, serial TEXT NOT NULL UNIQUE, enrolled_at INTEGER NOT NULL,"
	"  revoked_at INTEGER, last_seen INTEGER, last_push INTEGER, last_pull INTEGER,"
	"  replica_check TEXT, replica_checked_at INTEGER);"
	"CREATE UNIQUE INDEX device_live_name ON device(name) WHERE revoked_at IS NULL;"
	/* One row per transaction a device pushed: the idempotency record. */
	"CREATE TABLE txn_log ("
	"  device_id TEXT NOT NULL, seq INTEGER NOT NULL, status INTEGER NOT NULL,"
	"  reason TEXT, conflict_id TEXT, received_at INTEGER NOT NULL, hlc INTEGER,"
	"  txn BLOB, digest BLOB, reason_code INTEGER, reason_args TEXT,"
	"  PRIMARY KEY (device_id, seq)) WITHOUT ROWID;"
	/* A local transaction kept whole: both sides, who, when, the base. */
	"CREATE TABLE conflict ("
	"  id TEXT PRIMARY KEY NOT NULL, device_id TEXT NOT NULL, seq INTEGER NOT NULL,"
	"  operator TEXT, kind TEXT NOT NULL, reason TEXT NOT NULL, tbl INTEGER, row_id TEXT,"
	"  txn BLOB NOT NULL, server_row BLOB, hlc INTEGER, local_time INTEGER,"
	"  received_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'open',"
	"  resolution TEXT, resolved_by TEXT, resolved_at INTEGER, resolved_version INTEGER,"
	"  note TEXT, loser_device_id TEXT, digest BLOB, reason_code INTEGER, reason_args TEXT);"
	"CREATE INDEX conflict_loser ON conflict(loser_device_id, resolved_version);"
	"CREATE INDEX conflict_resolved ON conflict(device_id, resolved_version);"
	"CREATE INDEX conflict_status ON conflict(status, received_at);"
	/*
	 * Every applied change: who, which device, when, what. detail is the
	 * change as applied (a packed Change with the values it replaced), except
	 * for inserts: their values are the row's, with the later changes taken
	 * back (store_audit rebuilds them), so the bulk of the audit does not
	 * repeat every row. Older databases keep a packed Change there too.
	 */
	"CREATE TABLE audit ("
	"  version INTEGER PRIMARY KEY, at INTEGER NOT NULL, device_id TEXT, operator TEXT,"
	"  action TEXT NOT NULL, tbl INTEGER, row_id TEXT, seq INTEGER, detail BLOB);"
	/*
	 * Inserts are found through their row's _created version, so the bulk
	 * of the audit (one insert per row) stays out of this index.
	 */
	"CREATE INDEX audit_row ON audit(row_id) WHERE action <> 'insert';"
	/* A row that left a scope: replicas of the old scope must drop it. */
	"CREATE TABLE evict ("
	"  version INTEGER PRIMARY KEY, tbl INTEGER NOT NULL, row_id TEXT NOT NULL,"
	"  old_scope TEXT NOT NULL, new_scope TEXT NOT NULL);";

/* Set a statement's parameter to the text, or NULL when empty. */
void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || *s == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

void
srow_clear(struct srow *r)
{
	for (int i = 0; i < MAX_COLS; i++)
		value_clear(&r->v[i]);
	r->exists = 0;
}

/* Prepare the per-table statements from the schema. */
static int
store_prepare(struct store *s)
{
	char sql[4096];

	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		size_t n;

		n = (size_t)snprintf(sql, sizeof sql, "SELECT ");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s, ", td->cols[c].name);
		snprintf(sql + n, sizeof sql - n,
		    "_version, _deleted, _scope, _scope2, _hlc, _device FROM %s WHERE id = ?1",
		    td->name);
		if ((s->row_get[t] = db_prepare(s->db, sql)) == NULL)
			return -1;

		n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (", td->name);
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s, ", td->cols[c].name);
		n += (size_t)snprintf(sql + n, sizeof sql - n,
		    "_version, _deleted, _scope, _scope2, _hlc, _device, id, _echo, _created) VALUES (");
		for (int c = 0; c < td->ncols + 8; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s?%d", c ? ", " : "", c + 1);
		/* _created is the insert's version: where the row's audit trail starts. */
		snprintf(sql + n, sizeof sql - n, ", ?%d)", td->ncols + 1);
		if ((s->row_ins[t] = db_prepare(s->db, sql)) == NULL)
			return -1;

		n = (size_t)snprintf(sql, sizeof sql, "UPDATE %s SET ", td->name);
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s = ?%d, ", td->cols[c].name,
			    c + 1);
		snprintf(sql + n, sizeof sql - n,
		    "_version = ?%d, _deleted = ?%d, _scope = ?%d, _scope2 = ?%d, _hlc = ?%d,"
		    " _device = ?%d, _echo = ?%d WHERE id = ?%d", td->ncols + 1, td->ncols + 2,
		    td->ncols + 3, td->ncols + 4, td->ncols + 5, td->ncols + 6, td->ncols + 8,
		    td->ncols + 7);
		if ((s->row_upd[t] = db_prepare(s->db, sql)) == NULL)
			return -1;

		snprintf(sql, sizeof sql, "SELECT _scope, _deleted, %s FROM %s WHERE id = ?1",
		    t == TBL_ORG ? "coalesce(dissolved, 0)" : "0", td->name);
		if ((s->scope_get[t] = db_prepare(s->db, sql)) == NULL)
			return -1;
		snprintf(sql, sizeof sql, "SELECT _version, _deleted, _scope, coalesce(_scope2, '')"
		    " FROM %s WHERE id = ?1", td->name);
		if ((s->ver_get[t] = db_prepare(s->db, sql)) == NULL)
			return -1;
		for (int c = 0; c < td->ncols; c++) {
			if (!(td->cols[c].flags & COLF_UNIQUE))
				continue;
			/* One unique column per table at most, for now. */
			snprintf(sql, sizeof sql,
			    "SELECT id FROM %s WHERE %s = ?1 AND _deleted = 0 AND id <> ?2",
			    td->name, td->cols[c].name);
			if ((s->unique_get[t] = db_prepare(s->db, sql)) == NULL)
				return -1;
		}
	}
	s->sp_begin = db_prepare(s->db, "SAVEPOINT txn");
	s->sp_release = db_prepare(s->db, "RELEASE txn");
	s->sp_rollback = db_prepare(s->db, "ROLLBACK TO txn");
	if (!s->sp_begin || !s->sp_release || !s->sp_rollback)
		return -1;
	s->txn_get = db_prepare(s->db,
	    "SELECT status, reason, conflict_id, digest, coalesce(reason_code, 0), reason_args"
	    " FROM txn_log WHERE device_id = ?1 AND seq = ?2");
	s->txn_put = db_prepare(s->db,
	    "INSERT INTO txn_log (device_id, seq, status, reason, conflict_id, received_at, hlc, txn,"
	    " digest, reason_code, reason_args) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
	s->conflict_put = db_prepare(s->db,
	    "INSERT INTO conflict (id, device_id, seq, operator, kind, reason, tbl, row_id, txn,"
	    " server_row, hlc, local_time, received_at, status, resolution, resolved_version,"
	    " loser_device_id, reason_code, reason_args)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19)");
	s->audit_put = db_prepare(s->db,
	    "INSERT INTO audit (version, at, device_id, operator, action, tbl, row_id, seq, detail)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	s->evict_put = db_prepare(s->db,
	    "INSERT INTO evict (version, tbl, row_id, old_scope, new_scope) VALUES (?1, ?2, ?3, ?4, ?5)");
	s->conflict_count = db_prepare(s->db,
	    "SELECT count(*) FROM conflict WHERE device_id = ?1 AND status = 'open'");
	s->version_put = db_prepare(s->db,
	    "INSERT INTO meta (key, value) VALUES ('version', ?1)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	s->org_get = db_prepare(s->db,
	    "SELECT _scope, _deleted, coalesce(dissolved, 0), kind FROM org WHERE id = ?1");
	/* A NULL time is one not noted since the last flush: the column keeps its value. */
	s->device_put = db_prepare(s->db,
	    "UPDATE device SET last_seen = coalesce(?2, last_seen), last_push = coalesce(?3, last_push),"
	    " last_pull = coalesce(?4, last_pull) WHERE id = ?1");
	s->org_by_code = db_prepare(s->db, "SELECT _scope, name FROM org WHERE code = ?1"
	    " AND _deleted = 0 AND coalesce(dissolved, 0) = 0");
	s->seq_max_get = db_prepare(s->db, "SELECT coalesce(max(seq), 0) FROM txn_log"
	    " WHERE device_id = ?1");
	if (!s->txn_get || !s->txn_put || !s->conflict_put || !s->audit_put || !s->evict_put ||
	    !s->version_put || !s->conflict_count || !s->org_get || !s->device_put ||
	    !s->org_by_code || !s->seq_max_get)
		return -1;
	return store_pull_prepare(s);
}

/*
 * Bring a database made by an older tongxind up to this one's bookkeeping
 * tables (the synced tables are guarded by the schema text instead). Each
 * step is idempotent: it looks before it alters. Reasons got codes
 * (common/reason.h): txn_log and conflict gained reason_code and
 * reason_args; older rows keep NULL there and their English reason.
 */
static int
store_migrate(struct store *s, char *err, size_t errlen)
{
	static const char *const tables[] = { "txn_log", "conflict" };
	sqlite3_stmt *st;

	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT reason_code, reason_args FROM %s LIMIT 0", tables[i]);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_finalize(st);
			continue;
		}
		snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; ALTER TABLE %s ADD COLUMN reason_code"
		    " INTEGER; ALTER TABLE %s ADD COLUMN reason_args TEXT; COMMIT", tables[i], tables[i]);
		if (db_exec(s->db, sql, err, errlen) != 0) {
			db_exec(s->db, "ROLLBACK", NULL, 0);
			return -1;
		}
		log_info("store: %s now keeps reasons as codes (reason_code, reason_args)", tables[i]);
	}
	/* _echo (see struct srow): a row without it was never echoed, so 0 is right. */
	for (int t = 0; t < TBL_COUNT; t++) {
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT _echo FROM %s LIMIT 0", schema_tables[t].name);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
			sqlite3_finalize(st);
			continue;
		}
		snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN _echo INTEGER NOT NULL DEFAULT 0",
		    schema_tables[t].name);
		if (db_exec(s->db, sql, err, errlen) != 0)
			return -1;
	}
	/*
	 * The pull's index (common/schema.c: TABLE_pull) takes the place of
	 * TABLE_version, which it covers: a pull after a large push walks its
	 * own echoes in the index instead of reading each of their rows.
	 */
	for (int t = 0; t < TBL_COUNT; t++) {
		const char *tn = schema_tables[t].name;
		char sql[400];
		int have;

		snprintf(sql, sizeof sql, "SELECT 1 FROM sqlite_schema WHERE type = 'index'"
		    " AND name = '%s_pull'", tn);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot read the schema: %s", sqlite3_errmsg(s->db));
			return -1;
		}
		have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have)
			continue;
		snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; CREATE INDEX %s_pull ON %s(_version, _echo,"
		    " _device); DROP INDEX IF EXISTS %s_version; COMMIT", tn, tn, tn);
		if (db_exec(s->db, sql, err, errlen) != 0) {
			db_exec(s->db, "ROLLBACK", NULL, 0);
			return -1;
		}
		if (t == 0)
			log_info("store: pull indexes now hold the echo columns (%s_pull and the others)",
			    tn);
	}
	return 0;
}

/* Bind a reason's code (NULL when none) and packed arguments at parameters i and i + 1. */
static void
bind_reason(sqlite3_stmt *st, int i, const struct reason *r)
{
	char packed[REASON_MAX_ARGS * (REASON_ARG_MAX + 1) + 1];

	if (r->code == R_NONE || reason_pack(r, packed, sizeof packed) != 0) {
		sqlite3_bind_null(st, i);
		sqlite3_bind_null(st, i + 1);
		return;
	}
	sqlite3_bind_int64(st, i, (sqlite3_int64)r->code);
	sqlite3_bind_text(st, i + 1, packed, -1, SQLITE_TRANSIENT);
}

int
result_set_reason(Tongxin__TxnResult *res, const struct reason *r)
{
	char en[REASON_TEXT_MAX];

	free(res->reason != protobuf_c_empty_string ? res->reason : NULL);
	res->reason = NULL;
	reason_text(r, REASON_EN, en, sizeof en);
	if ((res->reason = strdup(en)) == NULL)
		return -1;
	return reason_args_copy(r, &res->reason_code, &res->reason_args, &res->n_reason_args);
}

int
reason_args_copy(const struct reason *r, uint32_t *code, char ***args, size_t *nargs)
{
	*code = r->code;
	*args = NULL;
	*nargs = 0;
	if (r->nargs == 0)
		return 0;
	if ((*args = calloc(r->nargs, sizeof **args)) == NULL)
		return -1;
	for (size_t i = 0; i < r->nargs; i++) {
		if (((*args)[i] = strdup(r->args[i])) == NULL)
			return -1;   /* the message's free takes what was made */
		(*nargs)++;
	}
	return 0;
}

/*
 * Any transaction's end empties the organisation cache: what it read may
 * have been written by the transaction (a rollback takes that back) or by
 * another process between transactions. The commit hook returns 0: the
 * commit goes on.
 */
static int
org_cache_commit(void *arg)
{
	struct store *s = arg;

	s->org_gen++;
	s->org_written = 0;
	return 0;
}

static void
org_cache_rollback(void *arg)
{
	(void)org_cache_commit(arg);
}

struct store *
store_open(const char *dir, int create, char *err, size_t errlen)
{
	char path[4096];
	struct store *s;
	char ddl[32768];

	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->org_gen = 1;
	s->push_seq_max = UINT64_MAX;
	if ((s->orgs = calloc(ORG_CACHE_SLOTS, sizeof *s->orgs)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	if ((s->db = db_open(path, create, 1, err, errlen)) == NULL) {
		free(s->orgs);
		free(s);
		return NULL;
	}
	sqlite3_commit_hook(s->db, org_cache_commit, s);
	sqlite3_rollback_hook(s->db, org_cache_rollback, s);
	if (create) {
		if (schema_ddl(ddl, sizeof ddl, 1) < 0) {
			snprintf(err, errlen, "internal: schema DDL too long");
			goto fail;
		}
		if (db_exec(s->db, "BEGIN", err, errlen) != 0)
			goto fail;
		if (db_meta_init(s->db) != 0 || db_exec(s->db, ddl, err, errlen) != 0 ||
		    db_exec(s->db, store_ddl, err, errlen) != 0 ||
		    db_meta_set(s->db, "schema", schema_canonical_text()) != 0 ||
		    db_meta_set_int(s->db, "version", 0) != 0 ||
		    db_exec(s->db, "COMMIT", err, errlen) != 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "cannot create the database: %s",
				    sqlite3_errmsg(s->db));
			goto fail;
		}
	} else {
		char have[16384];
		if (db_meta_get(s->db, "schema", have, sizeof have) != 0) {
			snprintf(err, errlen, "%s is not a tongxind database", path);
			goto fail;
		}
		if (strcmp(have, schema_canonical_text()) != 0) {
			snprintf(err, errlen, "%s was made with another schema version; "
			    "upgrade it before serving", path);
			goto fail;
		}
	}
	s->version = (uint64_t)db_meta_get_int(s->db, "version", 0);
	s->hlc = hlc_next(0);
	s->max_open_conflicts = CONFLICTS_PER_DEVICE_MAX;
	today_str(s->today);
	if (store_migrate(s, err, errlen) != 0)
		goto fail;
	if (store_prepare(s) != 0) {
		snprintf(err, errlen, "cannot prepare statements: %s", sqlite3_errmsg(s->db));
		goto fail;
	}
	if (store_session_init(s, err, errlen) != 0 || store_epoch_init(s, err, errlen) != 0)
		goto fail;
	return s;
fail:
	store_close(s);
	return NULL;
}

void
store_close(struct store *s)
{
	sqlite3_stmt *st;

	if (s == NULL)
		return;
	if (s->db != NULL && s->device_put != NULL && store_device_flush(s) != 0)
		log_warnx("store: the devices' last sessions could not be written: %s",
		    sqlite3_errmsg(s->db));
	if (s->db != NULL) {
		while ((st = sqlite3_next_stmt(s->db, NULL)) != NULL)
			sqlite3_finalize(st);
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		db_close(s->db);
	}
	free(s->vers);
	free(s->notes);
	free(s->orgs);
	free(s);
}

void
store_set_conflict_limit(struct store *s, int64_t n)
{
	s->max_open_conflicts = n > 0 ? n : CONFLICTS_PER_DEVICE_MAX;
}

int
store_setting(struct store *s, const char *key, char *buf, size_t cap)
{
	return db_meta_get(s->db, key, buf, cap);
}

/* Persist the version counter inside the current write transaction. */
int
store_save_version(struct store *s)
{
	int rc;
	sqlite3_bind_int64(s->version_put, 1, (sqlite3_int64)s->version);
	rc = sqlite3_step(s->version_put);
	sqlite3_reset(s->version_put);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Load a row by id into r (r->exists says whether it was found). -1 on error. */
int
row_load(struct store *s, int t, const char *id, struct srow *r)
{
	sqlite3_stmt *st = s->row_get[t];
	int nc = schema_tables[t].ncols, rc;

	memset(r, 0, sizeof *r);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		r->exists = 1;
		for (int c = 0; c < nc; c++)
			if (value_from_column(st, c, &r->v[c]) != 0)
				rc = SQLITE_NOMEM;
		r->version = (uint64_t)sqlite3_column_int64(st, nc);
		r->deleted = sqlite3_column_int(st, nc + 1);
		snprintf(r->scope, sizeof r->scope, "%s", (const char *)sqlite3_column_text(st, nc + 2));
		if (sqlite3_column_type(st, nc + 3) != SQLITE_NULL)
			snprintf(r->scope2, sizeof r->scope2, "%s",
			    (const char *)sqlite3_column_text(st, nc + 3));
		r->hlc = (uint64_t)sqlite3_column_int64(st, nc + 4);
		if (sqlite3_column_type(st, nc + 5) != SQLITE_NULL)
			snprintf(r->device, sizeof r->device, "%s",
			    (const char *)sqlite3_column_text(st, nc + 5));
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("store: load %s/%s: %s", schema_tables[t].name, id, sqlite3_errstr(rc));
		srow_clear(r);
		return -1;
	}
	return 0;
}

/* Write r (insert when is_new) with all bookkeeping columns. Returns the SQLite code. */
int
row_write(struct store *s, int t, const char *id, const struct srow *r, int is_new)
{
	sqlite3_stmt *st = is_new ? s->row_ins[t] : s->row_upd[t];
	int nc = schema_tables[t].ncols, rc;

	for (int c = 0; c < nc; c++)
		value_bind(st, c + 1, &r->v[c]);
	sqlite3_bind_int64(st, nc + 1, (sqlite3_int64)r->version);
	sqlite3_bind_int(st, nc + 2, r->deleted);
	sqlite3_bind_text(st, nc + 3, r->scope, -1, SQLITE_STATIC);
	bind_text_or_null(st, nc + 4, r->scope2);
	sqlite3_bind_int64(st, nc + 5, (sqlite3_int64)r->hlc);
	bind_text_or_null(st, nc + 6, r->device);
	sqlite3_bind_text(st, nc + 7, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, nc + 8, r->echo);
	if (t == TBL_ORG) {
		/* Not from memory until this transaction ends: a savepoint may take it back. */
		s->org_gen++;
		s->org_written = 1;
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);   /* every parameter is bound again by the next write */
	return rc;
}

/* FNV-1a of an id: its organisation cache slot. */
static size_t
org_slot(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h % ORG_CACHE_SLOTS;
}

int
org_lookup(struct store *s, const char *id, const struct org_entry **e)
{
	struct org_entry *o = &s->orgs[org_slot(id)];
	sqlite3_stmt *st = s->org_get;
	/*
	 * From memory only inside a write transaction, which no other process
	 * can interleave with; the cache is emptied when one begins (store_push,
	 * a resolution) and ends (the hooks).
	 */
	int rc, cached = !s->org_written && strlen(id) <= ID_TEXT_LEN &&
	    sqlite3_txn_state(s->db, NULL) == SQLITE_TXN_WRITE;

	if (cached && o->gen == s->org_gen && strcmp(o->id, id) == 0) {
		*e = o;
		return 1;
	}
	if (!cached)
		o = &s->org_tmp;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(o->id, sizeof o->id, "%s", id);
		snprintf(o->scope, sizeof o->scope, "%s", (const char *)sqlite3_column_text(st, 0));
		o->deleted = sqlite3_column_int(st, 1);
		o->dissolved = sqlite3_column_int(st, 2);
		snprintf(o->kind, sizeof o->kind, "%s", sqlite3_column_type(st, 3) == SQLITE_TEXT ?
		    (const char *)sqlite3_column_text(st, 3) : "");
		o->gen = cached ? s->org_gen : 0;
		*e = o;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Whether path lies within the scope prefix. */
int
in_scope(const char *path, const char *prefix)
{
	return path[0] != '\0' && strncmp(path, prefix, strlen(prefix)) == 0;
}

/*
 * Resolve a reference for scope: the scope path of the row id in table t.
 * Returns 1 found live, 2 found but deleted or dissolved, 0 not found, -1 error.
 */
static int
ref_scope(struct store *s, int t, const char *id, char *scope, size_t cap)
{
	sqlite3_stmt *st = s->scope_get[t];
	int rc, found = 0;

	if (t == TBL_ORG) {
		const struct org_entry *o;
		if ((rc = org_lookup(s, id, &o)) <= 0)
			return rc;
		snprintf(scope, cap, "%s", o->scope);
		return o->deleted || o->dissolved ? 2 : 1;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(scope, cap, "%s", (const char *)sqlite3_column_text(st, 0));
		found = sqlite3_column_int(st, 1) || sqlite3_column_int(st, 2) ? 2 : 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

/*
 * Refuse a change that names a row the device does not hold. The same words
 * whether the row does not exist at all or lies outside the device's
 * organisation: a refusal never tells an office what exists elsewhere. Only
 * the id the device itself sent is repeated.
 */
enum ch_result
refuse_unseen(struct txn_verdict *vd, const struct table_def *td, const char *what,
    const char *id)
{
	char ca[REASON_COL_MAX];

	snprintf(vd->kind, sizeof vd->kind, "scope");
	if (what == NULL)
		reason_set(&vd->why, R_UNSEEN_ROW, td->name, id);
	else
		reason_set(&vd->why, R_UNSEEN_REF, reason_col(ca, td->name, what), id);
	return CH_REJECTED;
}

/*
 * Compute the scope(s) of a row from its values. On a problem fills the
 * verdict and returns CH_CONFLICT (parent gone) or CH_REJECTED.
 */
enum ch_result
row_scopes(struct store *s, int t, const Tongxin__Value *v, char *scope, char *scope2,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[t];
	int cols[2] = { td->scope_col, td->scope2_col };
	char *outs[2] = { scope, scope2 };
	char ca[REASON_COL_MAX];

	scope2[0] = '\0';
	for (int k = 0; k < 2; k++) {
		int c = cols[k], rt, rc;
		if (c < 0)
			continue;
		if (v[c].kind_case != TONGXIN__VALUE__KIND_S) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set(&vd->why, R_REQUIRED, reason_col(ca, td->name, td->cols[c].name));
			return CH_REJECTED;
		}
		rt = schema_table_index(td->cols[c].ref_table);
		rc = ref_scope(s, rt, v[c].s, outs[k], SCOPE_MAX);
		if (rc < 0)
			return CH_ERROR;
		if (rc == 0)
			return refuse_unseen(vd, td, td->cols[c].name, v[c].s);
		if (rc == 2 && k == 0) {
			snprintf(vd->kind, sizeof vd->kind, "missing_parent");
			reason_set(&vd->why, R_PARENT_GONE, reason_col(ca, td->name, td->cols[c].name),
			    v[c].s);
			return CH_CONFLICT;
		}
	}
	if (t == TBL_ORG) {
		int code = schema_col_index(td, "code");
		size_t n = strlen(scope);
		if (v[code].kind_case != TONGXIN__VALUE__KIND_S ||
		    strchr(v[code].s, '/') != NULL || n + strlen(v[code].s) + 2 > SCOPE_MAX) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set0(&vd->why, R_BAD_ORG_CODE);
			return CH_REJECTED;
		}
		snprintf(scope + n, SCOPE_MAX - n, "%s/", v[code].s);
	}
	return CH_APPLIED;
}

/*
 * Check the non-scope references of the given columns: each must name a live
 * row the device holds (COLF_ANYSCOPE columns: any live row). A row that has
 * left the device's organisation since (a transfer) makes a conflict, kept
 * for the street; one it never held is refused like one that does not exist.
 */
enum ch_result
check_refs(struct store *s, const struct store_actor *who, int t, const Tongxin__Value *v,
    const uint32_t *cols, size_t n, struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[t];
	char tmp[SCOPE_MAX], ca[REASON_COL_MAX];

	for (size_t i = 0; i < n; i++) {
		const struct col_def *cd = &td->cols[cols[i]];
		int rt, rc, seen;
		if (cd->type != COL_REF || (int)cols[i] == td->scope_col ||
		    (int)cols[i] == td->scope2_col || v[cols[i]].kind_case != TONGXIN__VALUE__KIND_S)
			continue;
		rt = schema_table_index(cd->ref_table);
		rc = ref_scope(s, rt, v[cols[i]].s, tmp, sizeof tmp);
		if (rc < 0)
			return CH_ERROR;
		seen = rc > 0 && ((cd->flags & COLF_ANYSCOPE) || in_scope(tmp, who->scope));
		if (rc > 0 && !seen) {
			int moved = row_left_scope(s, rt, v[cols[i]].s, who->scope, &vd->why);
			if (moved < 0)
				return CH_ERROR;
			if (moved) {
				snprintf(vd->kind, sizeof vd->kind, "transferred");
				return CH_CONFLICT;
			}
		}
		if (!seen)
			return refuse_unseen(vd, td, cd->name, v[cols[i]].s);
		if (rc == 2) {
			snprintf(vd->kind, sizeof vd->kind, "missing_parent");
			reason_set(&vd->why, R_PARENT_GONE, reason_col(ca, td->name, cd->name),
			    v[cols[i]].s);
			return CH_CONFLICT;
		}
	}
	return CH_APPLIED;
}

/* Generic shape checks of a change before anything is read. */
static enum ch_result
change_shape(const Tongxin__Change *c, struct txn_verdict *vd)
{
	const struct table_def *td;
	uint64_t seen = 0;
	char n[24], ca[REASON_COL_MAX];

	snprintf(vd->kind, sizeof vd->kind, "invalid");
	if (c->table >= TBL_COUNT) {
		reason_set(&vd->why, R_UNKNOWN_TABLE, reason_num(n, c->table));
		return CH_REJECTED;
	}
	td = &schema_tables[c->table];
	if (!id_valid(c->row_id)) {
		reason_set(&vd->why, R_BAD_ROW_ID, td->name);
		return CH_REJECTED;
	}
	if (c->n_values != c->n_cols ||
	    (c->op != TONGXIN__CHANGE__OP__OP_INSERT && c->n_before != c->n_cols)) {
		reason_set(&vd->why, R_COUNTS_DIFFER, td->name);
		return CH_REJECTED;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		if (c->cols[i] >= (uint32_t)td->ncols || (seen & (1ull << c->cols[i]))) {
			reason_set(&vd->why, R_BAD_COLUMN, td->name, reason_num(n, c->cols[i]));
			return CH_REJECTED;
		}
		seen |= 1ull << c->cols[i];
		if (c->op == TONGXIN__CHANGE__OP__OP_DELETE)
			continue;
		if (validate_value_reason(&td->cols[c->cols[i]], c->values[i], &vd->why) != 0)
			return CH_REJECTED;
		/* A required column is never set to nothing, on insert or update. */
		if ((td->cols[c->cols[i]].flags & COLF_REQUIRED) &&
		    (c->values[i]->kind_case == TONGXIN__VALUE__KIND__NOT_SET ||
		     (c->values[i]->kind_case == TONGXIN__VALUE__KIND_S && c->values[i]->s[0] == '\0'))) {
			reason_set(&vd->why, R_REQUIRED,
			    reason_col(ca, td->name, td->cols[c->cols[i]].name));
			return CH_REJECTED;
		}
		/* There is one street, made by tongxind init. */
		if (c->table == TBL_ORG && c->values[i]->kind_case == TONGXIN__VALUE__KIND_S &&
		    (int)c->cols[i] == schema_col_index(td, "kind") &&
		    strcmp(c->values[i]->s, "street") == 0) {
			reason_set0(&vd->why, R_ONE_STREET);
			return CH_REJECTED;
		}
	}
	return CH_APPLIED;
}

/*
 * Record an applied change in the audit log. An insert's values are not
 * repeated (see the audit table): every later change of a row's values must
 * be audited with the values it replaced, so that they can be taken back.
 */
int
audit_change(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, uint64_t version, const char *action)
{
	uint8_t buf[8192], *p = buf;
	int is_insert = strcmp(action, "insert") == 0;
	size_t n = is_insert ? 0 : tongxin__change__get_packed_size(c);
	int rc;

	if (n > sizeof buf && (p = malloc(n)) == NULL)
		return -1;
	if (!is_insert)
		tongxin__change__pack(c, p);
	sqlite3_bind_int64(s->audit_put, 1, (sqlite3_int64)version);
	sqlite3_bind_int64(s->audit_put, 2, now_ms());
	sqlite3_bind_text(s->audit_put, 3, who->device_id, -1, SQLITE_STATIC);
	bind_text_or_null(s->audit_put, 4, tx->operator_name[0] ? tx->operator_name : who->operator_name);
	sqlite3_bind_text(s->audit_put, 5, action, -1, SQLITE_STATIC);
	sqlite3_bind_int(s->audit_put, 6, (int)c->table);
	sqlite3_bind_text(s->audit_put, 7, c->row_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->audit_put, 8, (sqlite3_int64)tx->seq);
	if (is_insert)
		sqlite3_bind_null(s->audit_put, 9);
	else
		sqlite3_bind_blob(s->audit_put, 9, p, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(s->audit_put);
	sqlite3_reset(s->audit_put);   /* every parameter is bound again by the next entry */
	if (p != buf)
		free(p);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Changes that would break the structure a device stands on, refused for
 * every device: no device deletes, dissolves or re-kinds the organisation
 * at the root of its own scope (its community's row belongs to the street,
 * and without it every device of the community is refused); a transfer is
 * changed only by the side it belongs to (see transfer_guard).
 */
static enum ch_result
structure_guard(const struct store_actor *who, const Tongxin__Change *c, const struct srow *r,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[c->table];

	if (c->table == TBL_TRANSFER)
		return transfer_guard(who, c, r, vd);
	if (c->table != TBL_ORG || strcmp(r->scope, who->scope) != 0)
		return CH_APPLIED;
	snprintf(vd->kind, sizeof vd->kind, "scope");
	if (c->op == TONGXIN__CHANGE__OP__OP_DELETE) {
		reason_set0(&vd->why, R_OWN_ORG_DELETE);
		return CH_REJECTED;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		const char *name = td->cols[c->cols[i]].name;
		if (value_eq(&r->v[c->cols[i]], c->values[i]))
			continue;
		if (strcmp(name, "dissolved") == 0 || strcmp(name, "kind") == 0) {
			char ca[REASON_COL_MAX];
			reason_set(&vd->why, R_OWN_ORG_CHANGE, reason_col(ca, td->name, name));
			return CH_REJECTED;
		}
	}
	return CH_APPLIED;
}

enum ch_result
apply_insert(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[c->table];
	struct srow r;
	enum ch_result res;
	int rc;
	char to_id[ID_TEXT_LEN + 1], ca[REASON_COL_MAX];

	memset(&r, 0, sizeof r);
	for (size_t i = 0; i < c->n_cols; i++)
		r.v[c->cols[i]] = *c->values[i];   /* borrowed: not cleared below */
	for (int k = 0; k < td->ncols; k++)
		if ((td->cols[k].flags & COLF_REQUIRED) &&
		    r.v[k].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set(&vd->why, R_REQUIRED, reason_col(ca, td->name, td->cols[k].name));
			return CH_REJECTED;
		}
	if (c->table == TBL_ORG &&
	    r.v[schema_col_index(td, "parent_id")].kind_case != TONGXIN__VALUE__KIND_S) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		reason_set0(&vd->why, R_NEEDS_PARENT);
		return CH_REJECTED;
	}
	if (c->table == TBL_TRANSFER &&
	    (res = transfer_prepare_insert(s, &r, to_id, vd)) != CH_APPLIED)
		return res;
	if (c->table == TBL_SERVICE_REPORT &&
	    (res = service_report_prepare(s, &r, to_id, vd)) != CH_APPLIED)
		return res;
	if (validate_row_reason((int)c->table, r.v, s->today, &vd->why) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		return CH_REJECTED;
	}
	if ((res = row_scopes(s, (int)c->table, r.v, r.scope, r.scope2, vd)) == CH_ERROR)
		return res;
	/*
	 * Scope before anything else: a device learns nothing outside its
	 * subtree. A new row must lie in the device's own organisation; a second
	 * scope (a transfer's receiving side) only lets another office see it.
	 */
	if (res != CH_REJECTED && !in_scope(r.scope, who->scope)) {
		int sc = td->scope_col;
		return refuse_unseen(vd, td, td->cols[sc].name,
		    r.v[sc].kind_case == TONGXIN__VALUE__KIND_S ? r.v[sc].s : "");
	}
	if (res != CH_APPLIED)
		return res;
	if (c->table == TBL_TRANSFER && (res = transfer_check_member(s, who, &r, vd)) != CH_APPLIED)
		return res;
	if ((res = check_refs(s, who, (int)c->table, r.v, c->cols, c->n_cols, vd)) != CH_APPLIED)
		return res;
	if ((res = store_row_rules(s, who, (int)c->table, c->row_id, r.v, NULL, 0, vd)) != CH_APPLIED)
		return res;
	r.version = ++s->version;
	r.hlc = tx->hlc;
	snprintf(r.device, sizeof r.device, "%s", who->device_id);
	r.echo = s->echo_ok;
	rc = row_write(s, (int)c->table, c->row_id, &r, 1);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		/*
		 * Ids are made unique on the devices: only a broken client repeats
		 * one. Whose row holds it is not said.
		 */
		s->version--;
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		reason_set(&vd->why, R_ID_IN_USE, td->name, c->row_id);
		return CH_REJECTED;
	}
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		sqlite3_stmt *st = s->unique_get[c->table];
		s->version--;
		snprintf(vd->kind, sizeof vd->kind, "unique");
		reason_set(&vd->why, R_UNIQUE, td->name);
		for (int k = 0; st != NULL && k < td->ncols; k++) {
			if (!(td->cols[k].flags & COLF_UNIQUE))
				continue;
			value_bind(st, 1, &r.v[k]);
			sqlite3_bind_text(st, 2, c->row_id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW) {
				snprintf(vd->server_id, sizeof vd->server_id, "%s",
				    (const char *)sqlite3_column_text(st, 0));
				vd->have_server = row_load(s, (int)c->table, vd->server_id,
				    &vd->server) == 0;
				/* Name the other row only when the device holds it too. */
				if (vd->have_server && (in_scope(vd->server.scope, who->scope) ||
				    in_scope(vd->server.scope2, who->scope)))
					reason_set(&vd->why, R_UNIQUE_HERE,
					    reason_col(ca, td->name, td->cols[k].name),
					    r.v[k].kind_case == TONGXIN__VALUE__KIND_S ? r.v[k].s : "",
					    vd->server_id);
				else
					reason_set(&vd->why, R_UNIQUE_ELSEWHERE,
					    reason_col(ca, td->name, td->cols[k].name),
					    r.v[k].kind_case == TONGXIN__VALUE__KIND_S ? r.v[k].s : "");
			}
			sqlite3_reset(st);
		}
		return CH_CONFLICT;
	}
	if (rc != SQLITE_DONE) {
		s->version--;
		log_warnx("store: insert %s: %s", td->name, sqlite3_errmsg(s->db));
		return CH_ERROR;
	}
	if (audit_change(s, who, tx, c, r.version, "insert") != 0)
		return CH_ERROR;
	vd->version = r.version;
	return CH_APPLIED;
}

enum ch_result
apply_update(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd, struct lww_note *note, int force)
{
	const struct table_def *td = &schema_tables[c->table];
	struct srow r;
	enum ch_result res = CH_APPLIED;
	char new_scope[SCOPE_MAX], new_scope2[SCOPE_MAX];
	int scope_changed = 0, rc, undeleted = 0;
	char oldv[128], newv[128], ca[REASON_COL_MAX];
	/* The columns this change really sets: the audit records only those. */
	uint32_t acols[MAX_COLS];
	Tongxin__Value *avals[MAX_COLS], *abefore[MAX_COLS];
	Tongxin__Value before_copy[MAX_COLS];
	size_t napplied = 0;

	if (row_load(s, (int)c->table, c->row_id, &r) != 0)
		return CH_ERROR;
	if (!r.exists)
		return refuse_unseen(vd, td, NULL, c->row_id);
	if (!in_scope(r.scope, who->scope) && !in_scope(r.scope2, who->scope)) {
		int moved = row_left_scope(s, (int)c->table, c->row_id, who->scope, &vd->why);
		if (moved < 0) {
			res = CH_ERROR;
			goto out;
		}
		if (moved) {
			/* Edited here after it moved away: both sides are kept for the street. */
			snprintf(vd->kind, sizeof vd->kind, "transferred");
			res = CH_CONFLICT;
			goto keep;
		}
		res = refuse_unseen(vd, td, NULL, c->row_id);
		goto out;
	}
	if ((res = structure_guard(who, c, &r, vd)) != CH_APPLIED)
		goto out;
	if (r.deleted && force) {
		r.deleted = 0;   /* an administrator took the update over the delete */
		undeleted = 1;
	} else if (r.deleted) {
		snprintf(vd->kind, sizeof vd->kind, "update_deleted");
		reason_set(&vd->why, R_DELETED_ON_SERVER, td->name, c->row_id);
		res = CH_CONFLICT;
		goto keep;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		uint32_t k = c->cols[i];
		const struct col_def *cd = &td->cols[k];
		Tongxin__Value *cur = &r.v[k];
		if (value_eq(cur, c->values[i]))
			continue;                   /* already that value */
		if (cd->merge == MERGE_IMMUTABLE) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set(&vd->why, R_IMMUTABLE, reason_col(ca, td->name, cd->name));
			res = CH_REJECTED;
			goto out;
		}
		if (!force && !value_eq(cur, c->before[i])) {
			if (cd->merge == MERGE_NEWER_WINS) {
				note->table = (int)c->table;
				snprintf(note->row_id, sizeof note->row_id, "%s", c->row_id);
				reason_set(&note->why, tx->hlc > r.hlc ? R_NEWER_OFFICE : R_NEWER_SERVER,
				    reason_col(ca, td->name, cd->name), value_str(cur, oldv, sizeof oldv),
				    value_str(c->values[i], newv, sizeof newv));
				if (tx->hlc <= r.hlc)
					continue;   /* the server's value is newer: keep it */
				if (strcmp(r.device, who->device_id) != 0)
					snprintf(note->loser, sizeof note->loser, "%s", r.device);
			} else if (res == CH_APPLIED) {
				snprintf(vd->kind, sizeof vd->kind, "same_field");
				reason_set(&vd->why, R_SAME_FIELD, reason_col(ca, td->name, cd->name),
				    value_str(cur, oldv, sizeof oldv),
				    value_str(c->before[i], newv, sizeof newv));
				res = CH_CONFLICT;
				continue;  /* look on for rejections */
			} else {
				continue;
			}
		}
		/* Remember what the server held, for the audit. */
		before_copy[napplied] = *cur;
		tongxin__value__init(cur);
		if (value_copy(cur, c->values[i]) != 0) {
			*cur = before_copy[napplied];
			res = CH_ERROR;
			goto out;
		}
		acols[napplied] = k;
		avals[napplied] = c->values[i];
		abefore[napplied] = &before_copy[napplied];
		napplied++;
		if ((int)k == td->scope_col || (int)k == td->scope2_col)
			scope_changed = 1;
	}
	if (res == CH_APPLIED && napplied == 0 && !undeleted) {
		/* Nothing to write: every value was already there, or the server's was newer. */
		goto out;
	}
	if (res == CH_CONFLICT)
		goto keep;
	if (scope_changed) {
		res = row_scopes(s, (int)c->table, r.v, new_scope, new_scope2, vd);
		if (res == CH_APPLIED && !in_scope(new_scope, who->scope) &&
		    !in_scope(new_scope2, who->scope)) {
			snprintf(vd->kind, sizeof vd->kind, "scope");
			reason_set(&vd->why, R_MOVE_OUT, td->name);
			res = CH_REJECTED;
		}
		if (res != CH_APPLIED)
			goto keep;
	}
	if ((res = check_refs(s, who, (int)c->table, r.v, c->cols, c->n_cols, vd)) != CH_APPLIED)
		goto keep;
	if (validate_row_reason((int)c->table, r.v, s->today, &vd->why) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		res = CH_REJECTED;
		goto out;
	}
	/* Brought back from deletion, the whole row is new again: check every column. */
	if ((res = store_row_rules(s, who, (int)c->table, c->row_id, r.v, undeleted ? NULL : acols,
	    napplied, vd)) != CH_APPLIED)
		goto out;
	if (c->table == TBL_TRANSFER) {
		struct srow old;
		if (row_load(s, TBL_TRANSFER, c->row_id, &old) != 0) {
			res = CH_ERROR;
			goto out;
		}
		res = transfer_on_update(s, who, tx, &old, &r, vd);
		/*
		 * What the decision changed besides the change's columns (the
		 * member's name leaves with him) is audited with them.
		 */
		for (int k = 0; res == CH_APPLIED && k < td->ncols; k++) {
			bool listed = false;
			for (size_t i = 0; i < napplied && !listed; i++)
				listed = acols[i] == (uint32_t)k;
			if (listed || value_eq(&old.v[k], &r.v[k]))
				continue;
			before_copy[napplied] = old.v[k];      /* taken from old */
			tongxin__value__init(&old.v[k]);
			acols[napplied] = (uint32_t)k;
			avals[napplied] = &r.v[k];
			abefore[napplied] = &before_copy[napplied];
			napplied++;
		}
		srow_clear(&old);
		if (res != CH_APPLIED)
			goto keep;
	}
	res = (c->base_version != 0 && r.version > c->base_version &&
	    strcmp(r.device, who->device_id) != 0) ? CH_MERGED : CH_APPLIED;
	r.version = ++s->version;
	if (tx->hlc > r.hlc)
		r.hlc = tx->hlc;
	snprintf(r.device, sizeof r.device, "%s", who->device_id);
	if (scope_changed) {
		if (strcmp(new_scope, r.scope) != 0 &&
		    evict_record(s, r.version, (int)c->table, c->row_id, r.scope, new_scope) != 0) {
			res = CH_ERROR;
			goto out;
		}
		snprintf(r.scope, sizeof r.scope, "%s", new_scope);
		snprintf(r.scope2, sizeof r.scope2, "%s", new_scope2);
	}
	r.echo = s->echo_ok;
	rc = row_write(s, (int)c->table, c->row_id, &r, 0);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		snprintf(vd->kind, sizeof vd->kind, "unique");
		reason_set(&vd->why, R_UNIQUE, td->name);
		res = CH_CONFLICT;
		goto out;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("store: update %s: %s", td->name, sqlite3_errmsg(s->db));
		res = CH_ERROR;
		goto out;
	}
	{
		Tongxin__Change ac = *c;
		ac.cols = acols;
		ac.n_cols = napplied;
		ac.values = avals;
		ac.n_values = napplied;
		ac.before = abefore;
		ac.n_before = napplied;
		if (audit_change(s, who, tx, &ac, r.version, undeleted ? "restore" : "update") != 0)
			res = CH_ERROR;
	}
	goto out;
keep:
	/* Conflicts keep the server's row for the record. */
	if (res == CH_CONFLICT && !vd->have_server) {
		srow_clear(&r);
		for (size_t i = 0; i < napplied; i++)
			value_clear(&before_copy[i]);
		vd->have_server = row_load(s, (int)c->table, c->row_id, &vd->server) == 0;
		return res;
	}
out:
	srow_clear(&r);
	for (size_t i = 0; i < napplied; i++)
		value_clear(&before_copy[i]);
	return res;
}

enum ch_result
apply_delete(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd, int force)
{
	const struct table_def *td = &schema_tables[c->table];
	struct srow r;
	enum ch_result res = CH_APPLIED;
	char a[128], b[128], ca[REASON_COL_MAX];
	int rc;

	if (row_load(s, (int)c->table, c->row_id, &r) != 0)
		return CH_ERROR;
	if (!r.exists)
		return refuse_unseen(vd, td, NULL, c->row_id);
	if (!in_scope(r.scope, who->scope) && !in_scope(r.scope2, who->scope)) {
		int moved = row_left_scope(s, (int)c->table, c->row_id, who->scope, &vd->why);
		if (moved > 0) {
			snprintf(vd->kind, sizeof vd->kind, "transferred");
			vd->have_server = row_load(s, (int)c->table, c->row_id, &vd->server) == 0;
			res = CH_CONFLICT;
			goto out;
		}
		res = moved < 0 ? CH_ERROR : refuse_unseen(vd, td, NULL, c->row_id);
		goto out;
	}
	if ((res = structure_guard(who, c, &r, vd)) != CH_APPLIED)
		goto out;
	if (r.deleted)
		goto out;   /* both sides deleted it: they agree */
	for (size_t i = 0; i < c->n_cols && !force; i++) {
		if (!value_eq(&r.v[c->cols[i]], c->before[i])) {
			snprintf(vd->kind, sizeof vd->kind, "delete_updated");
			reason_set(&vd->why, R_DELETE_UPDATED, td->name, c->row_id,
			    reason_col(ca, td->name, td->cols[c->cols[i]].name),
			    value_str(&r.v[c->cols[i]], a, sizeof a), value_str(c->before[i], b, sizeof b));
			vd->have_server = row_load(s, (int)c->table, c->row_id, &vd->server) == 0;
			res = CH_CONFLICT;
			goto out;
		}
	}
	r.deleted = 1;
	r.version = ++s->version;
	if (tx->hlc > r.hlc)
		r.hlc = tx->hlc;
	snprintf(r.device, sizeof r.device, "%s", who->device_id);
	r.echo = s->echo_ok;
	rc = row_write(s, (int)c->table, c->row_id, &r, 0);
	if (rc != SQLITE_DONE) {
		log_warnx("store: delete %s: %s", td->name, sqlite3_errmsg(s->db));
		res = CH_ERROR;
	} else if (audit_change(s, who, tx, c, r.version, "delete") != 0) {
		res = CH_ERROR;
	}
out:
	srow_clear(&r);
	return res;
}

/*
 * Build a Row message with the server's current state of (t, id). A row
 * outside scope (when scope is not NULL) is sent as deleted: a device never
 * learns the contents of rows outside its subtree. NULL on OOM.
 */
Tongxin__Row *
row_message(struct store *s, int t, const char *id, const char *scope)
{
	Tongxin__Row *m = malloc(sizeof *m);
	struct srow r;
	int nc = schema_tables[t].ncols;

	if (m == NULL)
		return NULL;
	tongxin__row__init(m);
	m->table = (uint32_t)t;
	if ((m->row_id = strdup(id)) == NULL || row_load(s, t, id, &r) != 0) {
		tongxin__row__free_unpacked(m, NULL);
		return NULL;
	}
	if (scope != NULL && r.exists && !in_scope(r.scope, scope) && !in_scope(r.scope2, scope)) {
		/* Outside the device's scope: exactly what a row that never existed looks like. */
		m->deleted = 1;
		srow_clear(&r);
		return m;
	}
	if (!r.exists || r.deleted) {
		m->deleted = 1;
		m->version = r.version;
		srow_clear(&r);
		return m;
	}
	m->version = r.version;
	m->values = calloc((size_t)nc, sizeof *m->values);
	if (m->values == NULL)
		goto oom;
	for (int c = 0; c < nc; c++) {
		if ((m->values[c] = malloc(sizeof **m->values)) == NULL)
			goto oom;
		*m->values[c] = r.v[c];        /* takes the string */
		tongxin__value__init(&r.v[c]);
		m->n_values++;
	}
	return m;
oom:
	srow_clear(&r);
	tongxin__row__free_unpacked(m, NULL);
	return NULL;
}

/* Order change indexes by (table, row id), then by their place in the transaction. */
static int
change_row_cmp(const void *a, const void *b, void *arg)
{
	const Tongxin__Txn *tx = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const Tongxin__Change *x = tx->changes[ia], *y = tx->changes[ib];
	int c;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if ((c = strcmp(x->row_id, y->row_id)) != 0)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/* Fill res->rows with the current state of every distinct row tx touches. */
static int
result_rows(struct store *s, const Tongxin__Txn *tx, const char *scope, Tongxin__TxnResult *res,
    const uint64_t *versions)
{
	size_t *order;
	int applied = res->status == TONGXIN__TXN_RESULT__STATUS__APPLIED ||
	    res->status == TONGXIN__TXN_RESULT__STATUS__MERGED;

	if (tx->n_changes == 0)
		return 0;
	if ((res->rows = calloc(tx->n_changes, sizeof *res->rows)) == NULL ||
	    (order = malloc(tx->n_changes * sizeof *order)) == NULL)
		return -1;
	/* Each distinct row once: sort the changes by row, then by position. */
	for (size_t i = 0; i < tx->n_changes; i++)
		order[i] = i;
	qsort_r(order, tx->n_changes, sizeof *order, change_row_cmp, (void *)tx);
	for (size_t i = 0; i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[order[i]];
		size_t j = i, first = order[i];
		int only_insert;
		Tongxin__Row *m;

		if (c->table >= TBL_COUNT || !id_valid(c->row_id))
			continue;
		while (j + 1 < tx->n_changes && tx->changes[order[j + 1]]->table == c->table &&
		    strcmp(tx->changes[order[j + 1]]->row_id, c->row_id) == 0)
			j++;
		/*
		 * An insert applied as sent needs no values back: the device has
		 * them; only the version travels. Not for a re-sent transaction
		 * (others may have changed the row since) nor for rows the server
		 * completes: a transfer (to_org_id) and a service report (org_id
		 * from org_code). The device then holds exactly the server's row,
		 * which is what lets its pulls leave the row out (_echo).
		 */
		only_insert = i == j && c->op == TONGXIN__CHANGE__OP__OP_INSERT && !res->duplicate &&
		    c->table != TBL_TRANSFER && c->table != TBL_SERVICE_REPORT && applied &&
		    versions != NULL && versions[first] != 0;
		i = j;
		if (only_insert) {
			if ((m = malloc(sizeof *m)) == NULL) {
				free(order);
				return -1;
			}
			tongxin__row__init(m);
			m->table = c->table;
			m->version = versions[first];
			m->as_sent = 1;
			res->rows[res->n_rows++] = m;
			if ((m->row_id = strdup(c->row_id)) == NULL) {
				free(order);
				return -1;
			}
			continue;
		}
		if ((res->rows[res->n_rows] = row_message(s, (int)c->table, c->row_id, scope)) == NULL) {
			free(order);
			return -1;
		}
		res->n_rows++;
	}
	free(order);
	return 0;
}

/* Pack a message into a malloc'd buffer. */
uint8_t *
pack_txn(const Tongxin__Txn *tx, size_t *n)
{
	uint8_t *p;
	*n = tongxin__txn__get_packed_size(tx);
	if ((p = malloc(*n ? *n : 1)) != NULL)
		tongxin__txn__pack(tx, p);
	return p;
}

/*
 * Keep a whole transaction in the conflict queue: raw, its bytes as
 * received (NULL: pack tx), so nothing is packed again.
 */
int
conflict_record(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, struct txn_verdict *vd, const char *status,
    const char *loser, char id[ID_TEXT_LEN + 1])
{
	size_t n, rn = 0;
	uint8_t *packed = raw ? NULL : pack_txn(tx, &n), *rblob = NULL;
	const uint8_t *blob = raw ? raw->data : packed;
	Tongxin__Row *row = NULL;
	int rc;
	char en[REASON_TEXT_MAX];

	if (raw)
		n = raw->len;
	if ((raw == NULL && packed == NULL) || id_new(id) != 0) {
		free(packed);
		return -1;
	}
	if (vd->table >= 0 && vd->row_id[0] && vd->have_server) {
		if ((row = row_message(s, vd->table, vd->server_id[0] ? vd->server_id : vd->row_id,
		    NULL)) != NULL) {
			rn = tongxin__row__get_packed_size(row);
			if ((rblob = malloc(rn ? rn : 1)) != NULL)
				tongxin__row__pack(row, rblob);
			tongxin__row__free_unpacked(row, NULL);
		}
	}
	sqlite3_stmt *st = s->conflict_put;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, who->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)tx->seq);
	bind_text_or_null(st, 4, tx->operator_name[0] ? tx->operator_name : who->operator_name);
	sqlite3_bind_text(st, 5, vd->kind, -1, SQLITE_STATIC);
	reason_text(&vd->why, REASON_EN, en, sizeof en);
	sqlite3_bind_text(st, 6, en, -1, SQLITE_STATIC);
	bind_reason(st, 18, &vd->why);
	sqlite3_bind_int(st, 7, vd->table);
	bind_text_or_null(st, 8, vd->row_id);
	sqlite3_bind_blob(st, 9, blob, (int)n, SQLITE_STATIC);
	if (rblob)
		sqlite3_bind_blob(st, 10, rblob, (int)rn, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)tx->hlc);
	sqlite3_bind_int64(st, 12, tx->local_time_ms);
	sqlite3_bind_int64(st, 13, now_ms());
	sqlite3_bind_text(st, 14, status, -1, SQLITE_STATIC);
	if (strcmp(status, "auto") == 0) {
		/* Decided on arrival: the device whose value was replaced hears of it at its pull. */
		sqlite3_bind_text(st, 15, "newer_wins", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 16, (sqlite3_int64)++s->version);
		bind_text_or_null(st, 17, loser);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	free(packed);
	free(rblob);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * SHA-256 of a transaction's bytes, what "the same transaction" means: the
 * bytes as received (raw), else its packed form (protobuf-c's packing, which
 * is what our clients send: both give the same digest).
 */
static int
txn_digest(const Tongxin__Txn *tx, const ProtobufCBinaryData *raw, uint8_t out[32])
{
	size_t n;
	uint8_t *p;

	if (raw != NULL) {
		SHA256(raw->data, raw->len, out);
		return 0;
	}
	if ((p = pack_txn(tx, &n)) == NULL)
		return -1;
	SHA256(p, n, out);
	free(p);
	return 0;
}

/* Run a kept statement without results. 0, or -1 (logged). */
int
step_once(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_warnx("store: %s: %s", sqlite3_sql(st), sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/*
 * The shape of a whole transaction, before anything of it is read or
 * stored: its size, sequence and operator, and every change's table, row
 * id, column indexes, types and sizes. CH_APPLIED when it may go on,
 * CH_REJECTED with vd filled otherwise.
 */
enum ch_result
txn_shape(const Tongxin__Txn *tx, struct txn_verdict *vd)
{
	char n[24];

	snprintf(vd->kind, sizeof vd->kind, "invalid");
	if (tx->seq == 0) {
		reason_set0(&vd->why, R_NO_SEQUENCE);
		return CH_REJECTED;
	}
	if (tx->n_changes == 0 || tx->n_changes > TXN_MAX_CHANGES) {
		reason_set(&vd->why, R_CHANGE_COUNT, reason_num(n, TXN_MAX_CHANGES));
		return CH_REJECTED;
	}
	if (strlen(tx->operator_name) > TXN_OPERATOR_MAX) {
		reason_set(&vd->why, R_OPERATOR_TOO_LONG, reason_num(n, TXN_OPERATOR_MAX));
		return CH_REJECTED;
	}
	for (size_t i = 0; i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[i];
		vd->table = c->table < TBL_COUNT ? (int)c->table : -1;
		snprintf(vd->row_id, sizeof vd->row_id, "%s", id_valid(c->row_id) ? c->row_id : "");
		if (change_shape(c, vd) != CH_APPLIED)
			return CH_REJECTED;
	}
	vd->kind[0] = '\0';
	vd->table = -1;
	vd->row_id[0] = '\0';
	return CH_APPLIED;
}

/*
 * Slots apply_changes needs for tx's newer-wins notes: one per update (at
 * least one). A note is a kilobyte: a bulk insert should not clear one per row.
 */
static size_t
note_slots(const Tongxin__Txn *tx)
{
	size_t n = 0;

	for (size_t i = 0; i < tx->n_changes; i++)
		n += tx->changes[i]->op == TONGXIN__CHANGE__OP__OP_UPDATE;
	return n ? n : 1;
}

/*
 * Run every change of tx (whose shape has been checked) inside the
 * savepoint "txn", opened here and left open: the caller rolls back or
 * releases it. vd gets the verdict of the change that decided the outcome
 * (the first rejection, else the first conflict); notes (note_slots(tx)
 * slots) the newer-wins decisions, counted in *nnotes. CH_ERROR: the
 * savepoint has been rolled back and released, vd holds no server row.
 */
static enum ch_result
apply_changes(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    struct txn_verdict *vd, struct lww_note *notes, size_t *nnotes)
{
	enum ch_result outcome = CH_APPLIED;

	if (s->vers_cap < tx->n_changes) {
		uint64_t *v = realloc(s->vers, tx->n_changes * sizeof *v);
		if (v == NULL)
			return CH_ERROR;
		s->vers = v;
		s->vers_cap = tx->n_changes;
	}
	memset(s->vers, 0, tx->n_changes * sizeof *s->vers);
	if (step_once(s->sp_begin) != 0)
		return CH_ERROR;
	for (size_t i = 0; outcome != CH_REJECTED && i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[i];
		enum ch_result r;
		struct txn_verdict v1;

		memset(&v1, 0, sizeof v1);
		v1.table = (int)c->table;
		snprintf(v1.row_id, sizeof v1.row_id, "%.36s", c->row_id);
		switch (c->op) {
		case TONGXIN__CHANGE__OP__OP_INSERT:
			r = apply_insert(s, who, tx, c, &v1);
			s->vers[i] = v1.version;
			break;
		case TONGXIN__CHANGE__OP__OP_UPDATE:
			r = apply_update(s, who, tx, c, &v1, &notes[*nnotes], 0);
			if (notes[*nnotes].why.code != R_NONE)
				(*nnotes)++;
			break;
		case TONGXIN__CHANGE__OP__OP_DELETE:
			r = apply_delete(s, who, tx, c, &v1, 0);
			break;
		default:
			snprintf(v1.kind, sizeof v1.kind, "invalid");
			{
				char n[24];
				reason_set(&v1.why, R_UNKNOWN_OP, reason_num(n, (int)c->op));
			}
			r = CH_REJECTED;
		}
		if (r == CH_ERROR) {
			if (v1.have_server)
				srow_clear(&v1.server);
			if (vd->have_server)
				srow_clear(&vd->server);
			vd->have_server = 0;
			step_once(s->sp_rollback);
			step_once(s->sp_release);
			return CH_ERROR;
		}
		if (r == CH_MERGED && outcome == CH_APPLIED)
			outcome = CH_MERGED;
		if ((r == CH_CONFLICT && outcome != CH_CONFLICT) || r == CH_REJECTED) {
			if (vd->have_server)
				srow_clear(&vd->server);
			*vd = v1;
			outcome = r;
		} else if (v1.have_server) {
			srow_clear(&v1.server);
		}
	}
	return outcome;
}

/*
 * Whether device has as many open conflicts as the queue takes from one
 * device: an office cannot fill the street's queue. -1 on error.
 */
int
conflict_queue_full(struct store *s, const char *device_id)
{
	int rc, full;

	sqlite3_bind_text(s->conflict_count, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->conflict_count);
	full = rc == SQLITE_ROW &&
	    sqlite3_column_int64(s->conflict_count, 0) >= s->max_open_conflicts;
	sqlite3_reset(s->conflict_count);
	return rc == SQLITE_ROW ? full : -1;
}

/* Turn a conflict the queue cannot take into a rejection (kept whole in txn_log). */
static void
queue_full_verdict(struct store *s, struct txn_verdict *vd)
{
	if (vd->have_server)
		srow_clear(&vd->server);
	vd->have_server = 0;
	char n[24];

	snprintf(vd->kind, sizeof vd->kind, "queue_full");
	reason_set(&vd->why, R_QUEUE_FULL, reason_num(n, (long long)s->max_open_conflicts));
}

/*
 * A transaction whose (device, seq) key the server knows with other
 * contents (a replica restored from a backup, or a credential used on two
 * computers). It is judged like any push - shape, then scope and the domain
 * rules in a savepoint that is always rolled back - and, unless that
 * rejects it, goes to the conflict queue whole (once: a re-send finds it).
 * A rejected one is answered but not stored: its key is taken.
 */
static int
reused_seq(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, const uint8_t digest[32], Tongxin__TxnResult *res)
{
	struct txn_verdict vd;
	char cid[ID_TEXT_LEN + 1] = "";
	sqlite3_stmt *st;
	int rc;

	res->status = TONGXIN__TXN_RESULT__STATUS__CONFLICT;
	if (sqlite3_prepare_v2(s->db, "SELECT id FROM conflict WHERE device_id = ?1 AND seq = ?2"
	    " AND kind = 'reused_seq' AND digest = ?3", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, who->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)tx->seq);
	sqlite3_bind_blob(st, 3, digest, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(cid, sizeof cid, "%s", (const char *)sqlite3_column_text(st, 0));
		res->duplicate = 1;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	memset(&vd, 0, sizeof vd);
	vd.table = -1;
	if (cid[0] == '\0') {
		enum ch_result outcome = txn_shape(tx, &vd);
		if (outcome == CH_APPLIED) {
			uint64_t version0 = s->version;
			struct lww_note *notes = calloc(note_slots(tx), sizeof *notes);
			size_t nnotes = 0;
			if (notes == NULL)
				return -1;
			outcome = apply_changes(s, who, tx, &vd, notes, &nnotes);
			free(notes);
			if (outcome == CH_ERROR)
				return -1;
			s->version = version0;
			if (step_once(s->sp_rollback) != 0 || step_once(s->sp_release) != 0) {
				if (vd.have_server)
					srow_clear(&vd.server);
				return -1;
			}
		}
		if (vd.have_server)
			srow_clear(&vd.server);
		if (outcome != CH_REJECTED && (rc = conflict_queue_full(s, who->device_id)) != 0) {
			if (rc < 0)
				return -1;
			queue_full_verdict(s, &vd);
			outcome = CH_REJECTED;
		}
		if (outcome == CH_REJECTED) {
			res->status = TONGXIN__TXN_RESULT__STATUS__REJECTED;
			if (result_set_reason(res, &vd.why) != 0)
				return -1;
			return result_rows(s, tx, who->scope, res, NULL);
		}
		memset(&vd, 0, sizeof vd);
	}
	vd.table = (int)tx->changes[0]->table;
	snprintf(vd.row_id, sizeof vd.row_id, "%s", tx->changes[0]->row_id);
	snprintf(vd.kind, sizeof vd.kind, "reused_seq");
	{
		char n[24];
		reason_set(&vd.why, R_REUSED_SEQ, reason_num(n, (long long)tx->seq));
	}
	if (cid[0] == '\0') {
		if (conflict_record(s, who, tx, raw, &vd, "open", NULL, cid) != 0)
			return -1;
		if (sqlite3_prepare_v2(s->db, "UPDATE conflict SET digest = ?2 WHERE id = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, cid, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, digest, 32, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	if (result_set_reason(res, &vd.why) != 0 || (res->conflict_id = strdup(cid)) == NULL)
		return -1;
	return result_rows(s, tx, who->scope, res, NULL);
}

/*
 * The latest HLC the server takes from a device: a few minutes past its
 * own wall clock. A device whose clock runs far ahead (or a forged
 * timestamp near 2^64) would otherwise win every newer-wins clash for ever
 * and overflow the signed column it is stored in.
 */
static uint64_t
hlc_ceiling(void)
{
	return (uint64_t)(now_ms() + HLC_AHEAD_MAX_MS) << 16 | 0xffff;
}

/*
 * Apply one transaction inside its own savepoint; fill res. raw: its bytes
 * as received, or NULL. -1: abort the batch.
 */
static int
apply_txn(struct store *s, const struct store_actor *who, const Tongxin__Txn *txin,
    const ProtobufCBinaryData *raw, Tongxin__TxnResult *res)
{
	struct txn_verdict vd;
	struct lww_note *notes = NULL;
	size_t nnotes = 0;
	enum ch_result outcome;
	char cid[ID_TEXT_LEN + 1] = "";
	int rc;
	uint8_t *blob = NULL;
	size_t blen = 0;
	uint64_t version0 = s->version;
	uint8_t digest[32];
	Tongxin__Txn txc = *txin, *tx = &txc;   /* a shallow copy whose hlc may be clamped */

	res->seq = tx->seq;
	if (txn_digest(tx, raw, digest) != 0)
		return -1;
	/*
	 * Idempotency: a transaction the server already knows is acknowledged
	 * again. One above every sequence of the device is new (no lookup).
	 */
	if (tx->seq > s->push_seq_max && tx->seq <= INT64_MAX) {
		rc = SQLITE_DONE;
	} else {
		sqlite3_bind_text(s->txn_get, 1, who->device_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s->txn_get, 2, (sqlite3_int64)tx->seq);
		rc = sqlite3_step(s->txn_get);
	}
	if (rc == SQLITE_ROW && sqlite3_column_bytes(s->txn_get, 3) == (int)sizeof digest &&
	    memcmp(sqlite3_column_blob(s->txn_get, 3), digest, sizeof digest) != 0) {
		/*
		 * The same key for different contents: a replica restored from an
		 * old backup has reused a sequence. Not a duplicate; kept whole.
		 */
		sqlite3_reset(s->txn_get);
		return reused_seq(s, who, tx, raw, digest, res);
	}
	if (rc == SQLITE_ROW) {
		res->status = (Tongxin__TxnResult__Status)sqlite3_column_int(s->txn_get, 0);
		res->duplicate = 1;
		/* The same answer as the first time: the code and its arguments too. */
		if (sqlite3_column_int64(s->txn_get, 4) != 0) {
			struct reason why;
			reason_unpack((uint32_t)sqlite3_column_int64(s->txn_get, 4),
			    (const char *)sqlite3_column_text(s->txn_get, 5), &why);
			if (reason_args_copy(&why, &res->reason_code, &res->reason_args,
			    &res->n_reason_args) != 0) {
				sqlite3_reset(s->txn_get);
				return -1;
			}
		}
		if (sqlite3_column_type(s->txn_get, 1) != SQLITE_NULL)
			res->reason = strdup((const char *)sqlite3_column_text(s->txn_get, 1));
		if (sqlite3_column_type(s->txn_get, 2) != SQLITE_NULL)
			res->conflict_id = strdup((const char *)sqlite3_column_text(s->txn_get, 2));
		sqlite3_reset(s->txn_get);
		return result_rows(s, tx, who->scope, res, NULL);
	}
	sqlite3_reset(s->txn_get);
	if (rc != SQLITE_DONE)
		return -1;

	memset(&vd, 0, sizeof vd);
	vd.table = -1;
	if (tx->hlc > hlc_ceiling()) {
		log_warnx("store: device %s: transaction %llu carries a clock far in the future; "
		    "taken as now", who->device_name ? who->device_name : who->device_id,
		    (unsigned long long)tx->seq);
		tx->hlc = s->hlc;
		raw = NULL;   /* what is kept is the transaction as taken, packed again */
	}
	if ((outcome = txn_shape(tx, &vd)) == CH_APPLIED) {
		if ((notes = calloc(note_slots(tx), sizeof *notes)) == NULL)
			return -1;
		s->echo_ok = 1;   /* this push's own rows: their writers hear of them in the result */
		outcome = apply_changes(s, who, tx, &vd, notes, &nnotes);
		s->echo_ok = 0;
		if (outcome == CH_ERROR)
			goto fail;
		if (outcome == CH_CONFLICT || outcome == CH_REJECTED) {
			if (step_once(s->sp_rollback) != 0)
				goto fail;
			s->version = version0;
		}
		if (step_once(s->sp_release) != 0)
			goto fail;
	}
	if (outcome == CH_CONFLICT) {
		if ((rc = conflict_queue_full(s, who->device_id)) < 0)
			goto fail;
		if (rc) {
			queue_full_verdict(s, &vd);
			outcome = CH_REJECTED;
		} else if (conflict_record(s, who, tx, raw, &vd, "open", NULL, cid) != 0) {
			goto fail;
		}
	} else if (outcome != CH_REJECTED) {
		/* Newer-wins clashes are decided, and recorded as settled conflicts. */
		for (size_t i = 0; i < nnotes; i++) {
			struct txn_verdict nv;
			char nid[ID_TEXT_LEN + 1];
			memset(&nv, 0, sizeof nv);
			nv.table = notes[i].table;
			snprintf(nv.row_id, sizeof nv.row_id, "%s", notes[i].row_id);
			snprintf(nv.kind, sizeof nv.kind, "newer_wins");
			nv.why = notes[i].why;
			if (conflict_record(s, who, tx, raw, &nv, "auto", notes[i].loser, nid) != 0)
				goto fail;
			/* The clerk is told too: the txn's reason carries the decision. */
			if (i == 0)
				vd.why = notes[i].why;
		}
		if (nnotes > 1) {
			char n[24];
			reason_set(&vd.why, R_NEWER_SEVERAL, notes[0].why.args[0],
			    reason_num(n, (long long)nnotes));
		}
	}
	free(notes);
	notes = NULL;
	if (vd.have_server)
		srow_clear(&vd.server);

	switch (outcome) {
	case CH_APPLIED: res->status = TONGXIN__TXN_RESULT__STATUS__APPLIED; break;
	case CH_MERGED: res->status = TONGXIN__TXN_RESULT__STATUS__MERGED; break;
	case CH_CONFLICT: res->status = TONGXIN__TXN_RESULT__STATUS__CONFLICT; break;
	default: res->status = TONGXIN__TXN_RESULT__STATUS__REJECTED; break;
	}
	if (vd.why.code != R_NONE && result_set_reason(res, &vd.why) != 0)
		return -1;
	if (vd.why.code != R_NONE && outcome != CH_APPLIED && outcome != CH_MERGED)
		log_info("store: device %s: transaction %llu %s: %s",
		    who->device_name ? who->device_name : who->device_id, (unsigned long long)tx->seq,
		    outcome == CH_CONFLICT ? "queued as a conflict" : "rejected", res->reason);
	if (outcome == CH_REJECTED && raw == NULL) {
		if ((blob = pack_txn(tx, &blen)) == NULL)
			return -1;
	}
	if (cid[0] && (res->conflict_id = strdup(cid)) == NULL) {
		free(blob);
		return -1;
	}
	sqlite3_bind_text(s->txn_put, 1, who->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->txn_put, 2, (sqlite3_int64)tx->seq);
	sqlite3_bind_int(s->txn_put, 3, (int)res->status);
	bind_text_or_null(s->txn_put, 4, res->reason);
	bind_reason(s->txn_put, 10, &vd.why);
	bind_text_or_null(s->txn_put, 5, cid);
	sqlite3_bind_int64(s->txn_put, 6, now_ms());
	sqlite3_bind_int64(s->txn_put, 7, (sqlite3_int64)tx->hlc);
	/* Rejected transactions are kept whole too: nothing a clerk entered is dropped. */
	if (outcome == CH_REJECTED && raw != NULL)
		sqlite3_bind_blob(s->txn_put, 8, raw->data, (int)raw->len, SQLITE_STATIC);
	else if (blob)
		sqlite3_bind_blob(s->txn_put, 8, blob, (int)blen, SQLITE_STATIC);
	else
		sqlite3_bind_null(s->txn_put, 8);
	sqlite3_bind_blob(s->txn_put, 9, digest, sizeof digest, SQLITE_STATIC);
	rc = sqlite3_step(s->txn_put);
	sqlite3_reset(s->txn_put);
	sqlite3_clear_bindings(s->txn_put);
	free(blob);
	if (rc != SQLITE_DONE)
		return -1;
	if (tx->seq > s->push_seq_max)
		s->push_seq_max = tx->seq;
	return result_rows(s, tx, who->scope, res,
	    outcome == CH_APPLIED || outcome == CH_MERGED ? s->vers : NULL);
fail:
	free(notes);
	if (vd.have_server)
		srow_clear(&vd.server);
	return -1;
}

int
store_push(struct store *s, const struct store_actor *who, const Tongxin__PushRequest *req,
    Tongxin__PushResponse **out, char *err, size_t errlen)
{
	return store_push_raw(s, who, req, NULL, out, err, errlen);
}

int
store_push_raw(struct store *s, const struct store_actor *who, const Tongxin__PushRequest *req,
    const ProtobufCBinaryData *raw, Tongxin__PushResponse **out, char *err, size_t errlen)
{
	Tongxin__PushResponse *resp;
	uint64_t saved_version = s->version;
	int noted;

	*out = NULL;
	if (req->n_txns > PUSH_MAX_TXNS) {
		snprintf(err, errlen, "a push may carry at most %d transactions", PUSH_MAX_TXNS);
		return -1;
	}
	if ((resp = malloc(sizeof *resp)) == NULL)
		goto oom;
	tongxin__push_response__init(resp);
	if (req->n_txns && (resp->results = calloc(req->n_txns, sizeof *resp->results)) == NULL)
		goto oom;
	for (size_t i = 0; i < req->n_txns; i++) {
		if (req->txns[i]->hlc > s->hlc && req->txns[i]->hlc <= hlc_ceiling())
			s->hlc = hlc_recv(s->hlc, req->txns[i]->hlc);
	}
	today_str(s->today);
	if (db_exec(s->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		goto fail;
	s->org_gen++;   /* organisations as this transaction reads them (org_lookup) */
	/* The devices' bookkeeping rides along: no transaction (and fsync) of its own. */
	if ((noted = device_notes_write(s)) < 0)
		goto rollback;
	/* The device's highest logged sequence: nothing else writes txn_log till we commit. */
	sqlite3_bind_text(s->seq_max_get, 1, who->device_id, -1, SQLITE_STATIC);
	if (sqlite3_step(s->seq_max_get) != SQLITE_ROW) {
		sqlite3_reset(s->seq_max_get);
		goto rollback;
	}
	s->push_seq_max = (uint64_t)sqlite3_column_int64(s->seq_max_get, 0);
	sqlite3_reset(s->seq_max_get);
	if (s->push_seq_max > INT64_MAX)
		s->push_seq_max = UINT64_MAX;   /* only sequences past INT64_MAX: look every one up */
	for (size_t i = 0; i < req->n_txns; i++) {
		Tongxin__TxnResult *r = malloc(sizeof *r);
		if (r == NULL)
			goto rollback;
		tongxin__txn_result__init(r);
		resp->results[resp->n_results++] = r;
		if (apply_txn(s, who, req->txns[i], raw ? &raw[i] : NULL, r) != 0) {
			snprintf(err, errlen, "cannot apply transaction %llu: %s",
			    (unsigned long long)req->txns[i]->seq, sqlite3_errmsg(s->db));
			goto rollback;
		}
	}
	s->push_seq_max = UINT64_MAX;
	if (store_save_version(s) != 0 || db_exec(s->db, "COMMIT", err, errlen) != 0)
		goto rollback;
	if (noted)
		device_notes_written(s);
	*out = resp;
	return 0;
rollback:
	s->push_seq_max = UINT64_MAX;
	db_exec(s->db, "ROLLBACK", NULL, 0);
	s->version = saved_version;
fail:
	if (resp)
		tongxin__push_response__free_unpacked(resp, NULL);
	if (err[0] == '\0')
		snprintf(err, errlen, "internal error");
	return -1;
oom:
	if (resp)
		tongxin__push_response__free_unpacked(resp, NULL);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
store_init_street(struct store *s, const char *name, const char *code, char *err, size_t errlen)
{
	const struct table_def *td = &schema_tables[TBL_ORG];
	struct srow r;
	char id[ID_TEXT_LEN + 1];
	int rc;

	memset(&r, 0, sizeof r);
	if (id_new(id) != 0) {
		snprintf(err, errlen, "random number generator failed");
		return -1;
	}
	value_set_text(&r.v[schema_col_index(td, "code")], code);
	value_set_text(&r.v[schema_col_index(td, "name")], name);
	value_set_text(&r.v[schema_col_index(td, "kind")], "street");
	value_set_int(&r.v[schema_col_index(td, "dissolved")], 0);
	snprintf(r.scope, sizeof r.scope, "/%s/", code);
	r.hlc = hlc_next(0);
	if (db_exec(s->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	r.version = ++s->version;
	rc = row_write(s, TBL_ORG, id, &r, 1);
	if (rc != SQLITE_DONE || store_save_version(s) != 0 ||
	    db_meta_set(s->db, "street_name", name) != 0 ||
	    db_meta_set(s->db, "street_code", code) != 0 ||
	    db_meta_set(s->db, "street_id", id) != 0 ||
	    db_exec(s->db, "COMMIT", err, errlen) != 0) {
		snprintf(err, errlen, "cannot create the street: %s", sqlite3_errmsg(s->db));
		db_exec(s->db, "ROLLBACK", NULL, 0);
		s->version--;
		return -1;
	}
	return 0;
}

int
store_org_scope(struct store *s, const char *code, char *scope, size_t scope_cap, char *name,
    size_t name_cap)
{
	sqlite3_stmt *st = s->org_by_code;
	int found = -1;

	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(scope, scope_cap, "%s", (const char *)sqlite3_column_text(st, 0));
		if (name)
			snprintf(name, name_cap, "%s", (const char *)sqlite3_column_text(st, 1));
		found = 0;
	}
	sqlite3_reset(st);
	return found;
}

#define DEVICE_COLS0 "id, name, org_code, role, serial, enrolled_at, coalesce(revoked_at, 0)," \
	" coalesce(last_seen, 0), coalesce(last_push, 0), coalesce(last_pull, 0)"
#define DEVICE_COLS DEVICE_COLS0 "," \
	" (SELECT count(*) FROM txn_log t WHERE t.device_id = device.id AND t.status <= 1)," \
	" (SELECT count(*) FROM txn_log t WHERE t.device_id = device.id AND t.status = 2)," \
	" (SELECT count(*) FROM txn_log t WHERE t.device_id = device.id AND t.status = 3)"
/*
 * A single device's lookup (every session starts with one) leaves the
 * transaction counts out: they read all of the device's txn_log.
 */
#define DEVICE_COLS_LOOKUP DEVICE_COLS0 ", 0, 0, 0"

static void
device_from_row(sqlite3_stmt *st, struct store_device *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(d->name, sizeof d->name, "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(d->org_code, sizeof d->org_code, "%s", (const char *)sqlite3_column_text(st, 2));
	snprintf(d->role, sizeof d->role, "%s", (const char *)sqlite3_column_text(st, 3));
	snprintf(d->serial, sizeof d->serial, "%s", (const char *)sqlite3_column_text(st, 4));
	d->enrolled_at = sqlite3_column_int64(st, 5);
	d->revoked_at = sqlite3_column_int64(st, 6);
	d->last_seen = sqlite3_column_int64(st, 7);
	d->last_push = sqlite3_column_int64(st, 8);
	d->last_pull = sqlite3_column_int64(st, 9);
	d->txns_applied = sqlite3_column_int64(st, 10);
	d->txns_conflict = sqlite3_column_int64(st, 11);
	d->txns_rejected = sqlite3_column_int64(st, 12);
}

int
store_device_add(struct store *s, const struct store_device *d, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO device (id, name, org_code, role, serial,"
	    " enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, d->org_code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, d->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, d->serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, d->enrolled_at);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE) {
		snprintf(err, errlen, "a device named \"%s\" is already enrolled; revoke it first",
		    d->name);
		return -1;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

/*
 * The device row matching where (one bound text, ?1) into d; 0, or -1 if
 * none. kept, if not NULL, holds the statement between calls: the lookup
 * by serial runs at every handshake. Kept statements are finalised by
 * store_close with all the others.
 */
static int
device_query(struct store *s, const char *where, const char *arg, struct store_device *d,
    sqlite3_stmt **kept)
{
	char sql[1024];
	sqlite3_stmt *st = kept ? *kept : NULL;
	int found = -1;

	if (st == NULL) {
		snprintf(sql, sizeof sql, "SELECT " DEVICE_COLS_LOOKUP " FROM device WHERE %s", where);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
			return -1;
		if (kept)
			*kept = st;
	}
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		device_from_row(st, d);
		device_overlay(s, d);
		found = 0;
	}
	if (kept) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else {
		sqlite3_finalize(st);
	}
	return found;
}

int
store_device_by_serial(struct store *s, const char *serial, struct store_device *d)
{
	return device_query(s, "serial = ?1", serial, d, &s->device_by_serial);
}

int
store_device_by_name(struct store *s, const char *name, struct store_device *d)
{
	return device_query(s, "name = ?1 AND revoked_at IS NULL", name, d, NULL);
}

int
store_device_revoke(struct store *s, const char *name, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "UPDATE device SET revoked_at = ?2 WHERE name = ?1"
	    " AND revoked_at IS NULL", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (sqlite3_changes(s->db) == 0) {
		snprintf(err, errlen, "no enrolled device is named \"%s\"", name);
		return -1;
	}
	return 0;
}

uint64_t
store_device_last_seq(struct store *s, const char *device_id)
{
	sqlite3_stmt *st = s->seq_max_get;   /* kept: every session's hello asks */
	uint64_t v = 0;

	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* The note of device_id, or NULL when it has none. */
static struct dev_note *
device_note(struct store *s, const char *device_id)
{
	for (size_t i = 0; i < s->nnotes; i++)
		if (strcmp(s->notes[i].id, device_id) == 0)
			return &s->notes[i];
	return NULL;
}

int
store_device_seen(struct store *s, const char *device_id, const char *what)
{
	struct dev_note *d;
	int k = strcmp(what, "push") == 0 ? DEV_PUSH : strcmp(what, "pull") == 0 ? DEV_PULL :
	    DEV_SEEN;

	if (strlen(device_id) >= sizeof d->id)
		return -1;   /* no enrolled device has such an id */
	if ((d = device_note(s, device_id)) == NULL) {
		/* Notes of devices that flushed and left are dropped at a flush; bound the rest. */
		if (s->nnotes == DEV_NOTES_MAX && store_device_flush(s) != 0)
			return -1;
		if (s->nnotes == s->notes_cap) {
			size_t cap = s->notes_cap ? 2 * s->notes_cap : 16;
			struct dev_note *n = realloc(s->notes, cap * sizeof *n);
			if (n == NULL)
				return -1;
			s->notes = n;
			s->notes_cap = cap;
		}
		d = &s->notes[s->nnotes++];
		memset(d, 0, sizeof *d);
		snprintf(d->id, sizeof d->id, "%s", device_id);
	}
	d->at[k] = now_ms();
	d->dirty |= 1u << k;
	return 0;
}

/*
 * Write every dirty note inside the open transaction. 1 when something was
 * written (call device_notes_written once the transaction has committed),
 * 0 when nothing was noted, -1 on a database error.
 */
static int
device_notes_write(struct store *s)
{
	sqlite3_stmt *st = s->device_put;
	int any = 0;

	for (size_t i = 0; i < s->nnotes; i++) {
		const struct dev_note *d = &s->notes[i];
		int rc;
		if (d->dirty == 0)
			continue;
		sqlite3_bind_text(st, 1, d->id, -1, SQLITE_STATIC);
		for (int k = 0; k < 3; k++) {
			if (d->dirty & (1u << k))
				sqlite3_bind_int64(st, 2 + k, d->at[k]);
			else
				sqlite3_bind_null(st, 2 + k);
		}
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc != SQLITE_DONE) {
			log_warnx("store: device %s: %s", d->id, sqlite3_errstr(rc));
			return -1;
		}
		any = 1;
	}
	return any;
}

/*
 * The notes are in the database now: forget them. Nothing else runs
 * between the write and the commit (one thread), so every note written
 * is exactly what the database holds.
 */
static void
device_notes_written(struct store *s)
{
	s->nnotes = 0;
}

int
store_device_flush(struct store *s)
{
	int own, rc;

	if (s->nnotes == 0)
		return 0;
	own = sqlite3_get_autocommit(s->db);
	if (own && db_exec(s->db, "BEGIN IMMEDIATE", NULL, 0) != 0)
		return -1;
	if ((rc = device_notes_write(s)) < 0) {
		if (own)
			db_exec(s->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	if (!own)
		return 0;   /* the caller's commit writes them; they stay noted till a flush of our own */
	if (db_exec(s->db, "COMMIT", NULL, 0) != 0) {
		db_exec(s->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	device_notes_written(s);
	return 0;
}

/* Show what is noted in memory over what the database holds. */
static void
device_overlay(struct store *s, struct store_device *d)
{
	const struct dev_note *n = device_note(s, d->id);

	if (n == NULL)
		return;
	if ((n->dirty & (1u << DEV_SEEN)) && n->at[DEV_SEEN] > d->last_seen)
		d->last_seen = n->at[DEV_SEEN];
	if ((n->dirty & (1u << DEV_PUSH)) && n->at[DEV_PUSH] > d->last_push)
		d->last_push = n->at[DEV_PUSH];
	if ((n->dirty & (1u << DEV_PULL)) && n->at[DEV_PULL] > d->last_pull)
		d->last_pull = n->at[DEV_PULL];
}

int
store_device_each(struct store *s, int (*fn)(const struct store_device *, void *), void *arg)
{
	sqlite3_stmt *st;
	struct store_device d;

	if (sqlite3_prepare_v2(s->db, "SELECT " DEVICE_COLS " FROM device ORDER BY enrolled_at DESC",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		device_from_row(st, &d);
		device_overlay(s, &d);
		if (fn(&d, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return 0;
}

int64_t
store_count(struct store *s, const char *what)
{
	char sql[256];
	sqlite3_stmt *st;
	int64_t n = -1;

	if (strcmp(what, "conflicts") == 0)
		snprintf(sql, sizeof sql, "SELECT count(*) FROM conflict WHERE status = 'open'");
	else if (schema_table(what) != NULL)
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE _deleted = 0", what);
	else
		return -1;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
store_backup(struct store *s, const char *file, int64_t *bytes, uint64_t *max_version,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *copy = NULL;
	struct stat sb;
	const char *check = NULL;
	int rc;

	if (lstat(file, &sb) == 0 || errno != ENOENT) {
		snprintf(err, errlen, "%s already exists; a backup is written to a new file", file);
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, "VACUUM INTO ?1", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot copy the database: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, file, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "cannot copy the database into %s: %s", file,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	/* The copy is read back whole before it is called a backup. */
	if (sqlite3_open_v2(file, &copy, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(copy, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the copy %s back: %s", file,
		    copy ? sqlite3_errmsg(copy) : "out of memory");
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		check = (const char *)sqlite3_column_text(st, 0);
	if (check == NULL || strcmp(check, "ok") != 0) {
		snprintf(err, errlen, "the copy %s does not check whole: %s", file,
		    check ? check : sqlite3_errmsg(copy));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	*max_version = 0;
	if (sqlite3_prepare_v2(copy, "SELECT value FROM meta WHERE key = 'version'", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*max_version = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(copy);
	*bytes = stat(file, &sb) == 0 ? (int64_t)sb.st_size : -1;
	return 0;
fail:
	sqlite3_finalize(st);
	sqlite3_close(copy);
	(void)unlink(file);
	return -1;
}

int
evict_record(struct store *s, uint64_t version, int t, const char *id, const char *old_scope,
    const char *new_scope)
{
	int rc;

	sqlite3_bind_int64(s->evict_put, 1, (sqlite3_int64)version);
	sqlite3_bind_int(s->evict_put, 2, t);
	sqlite3_bind_text(s->evict_put, 3, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->evict_put, 4, old_scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->evict_put, 5, new_scope, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->evict_put);
	sqlite3_reset(s->evict_put);
	sqlite3_clear_bindings(s->evict_put);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
row_left_scope(struct store *s, int t, const char *id, const char *scope, struct reason *why)
{
	sqlite3_stmt *st;
	char hi[SCOPE_MAX];
	size_t n = strlen(scope);
	int rc, found = 0;

	snprintf(hi, sizeof hi, "%s", scope);
	if (n > 0)
		hi[n - 1] = (char)(scope[n - 1] + 1);
	if (sqlite3_prepare_v2(s->db, "SELECT new_scope FROM evict WHERE tbl = ?1 AND row_id = ?2"
	    " AND old_scope >= ?3 AND old_scope < ?4 ORDER BY version DESC LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hi, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* Where it went is none of this device's business. */
		reason_set(why, R_TRANSFERRED_OUT, schema_tables[t].name, id);
		found = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}
