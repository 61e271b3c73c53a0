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
#include <pthread.h>
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

struct dev_notes;
static struct dev_notes *dev_notes_new(void);
static void dev_notes_unref(struct dev_notes *t);
static int device_notes_write(struct sq_store *s);
static void device_notes_written(struct sq_store *s);
static void device_overlay(struct sq_store *s, struct store_device *d);

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
	"  old_scope TEXT NOT NULL, new_scope TEXT NOT NULL);"
	/*
	 * A row seen in another scope while the row that shares it lives (a
	 * resident unit in the scope of a co-building agreement; schema.h
	 * COLF_SHARE). The pull and the replica check read it by row.
	 */
	"CREATE TABLE share ("
	"  via_tbl INTEGER NOT NULL, via_id TEXT NOT NULL, tbl INTEGER NOT NULL,"
	"  row_id TEXT NOT NULL, scope TEXT NOT NULL,"
	"  PRIMARY KEY (via_tbl, via_id, tbl, row_id)) WITHOUT ROWID;"
	"CREATE INDEX share_row ON share(tbl, row_id, scope);";

/* Set a statement's parameter to the text, or NULL when empty. */
void
bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL || *s == '\0')
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

/* Prepare the per-table statements from the schema. */
static int
store_prepare(struct sq_store *s)
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
	    " loser_device_id, reason_code, reason_args, digest)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20)");
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
store_migrate(struct sq_store *s, char *err, size_t errlen)
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
	 * own echoes in the index instead of reading each of their rows, and
	 * the scope filter reads the index too, not each row of another
	 * organisation (a district's many devices pull past each other's rows).
	 * An older database's index, without the scopes, is made again.
	 */
	for (int t = 0; t < TBL_COUNT; t++) {
		const char *tn = schema_tables[t].name;
		char sql[400];
		int have;

		snprintf(sql, sizeof sql, "SELECT 1 FROM sqlite_schema WHERE type = 'index'"
		    " AND name = '%s_pull' AND instr(sql, '_scope2') > 0", tn);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot read the schema: %s", sqlite3_errmsg(s->db));
			return -1;
		}
		have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (have)
			continue;
		snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; DROP INDEX IF EXISTS %s_pull;"
		    " CREATE INDEX %s_pull ON %s(_version, _scope, _scope2, _echo, _device);"
		    " DROP INDEX IF EXISTS %s_version; COMMIT", tn, tn, tn, tn);
		if (db_exec(s->db, sql, err, errlen) != 0) {
			db_exec(s->db, "ROLLBACK", NULL, 0);
			return -1;
		}
		if (t == 0)
			log_info("store: pull indexes now hold the scope and echo columns (%s_pull and "
			    "the others)", tn);
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

/*
 * Any transaction's end empties the organisation cache: what it read may
 * have been written by the transaction (a rollback takes that back) or by
 * another process between transactions. The commit hook returns 0: the
 * commit goes on.
 */
static int
org_cache_commit(void *arg)
{
	struct sq_store *s = arg;

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
sqs_open(const char *dir, int create, char *err, size_t errlen)
{
	char path[4096];
	struct sq_store *s;
	char ddl[65536];

	if ((s = calloc(1, sizeof *s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base.be = &store_sqlite_backend;
	s->org_gen = 1;
	engine_init(&s->base.eng, &sto_sqlite_ops, s);
	if ((s->notes = dev_notes_new()) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((s->orgs = calloc(ORG_CACHE_SLOTS, sizeof *s->orgs)) == NULL) {
		dev_notes_unref(s->notes);
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(path, sizeof path, "%s/tongxind.db", dir);
	if ((s->db = db_open(path, create, 1, err, errlen)) == NULL) {
		dev_notes_unref(s->notes);
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
		char have[32768];
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
	if (store_migrate(s, err, errlen) != 0)
		goto fail;
	if (store_prepare(s) != 0) {
		snprintf(err, errlen, "cannot prepare statements: %s", sqlite3_errmsg(s->db));
		goto fail;
	}
	if (store_session_init(&s->base, err, errlen) != 0 || store_epoch_init(s, err, errlen) != 0)
		goto fail;
	return &s->base;
fail:
	store_close(&s->base);
	return NULL;
}

void
sqs_close(struct store *base)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st;

	if (s == NULL)
		return;
	if (s->db != NULL && s->device_put != NULL && store_device_flush(&s->base) != 0)
		log_warnx("store: the devices' last sessions could not be written: %s",
		    sqlite3_errmsg(s->db));
	if (s->db != NULL) {
		while ((st = sqlite3_next_stmt(s->db, NULL)) != NULL)
			sqlite3_finalize(st);
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		db_close(s->db);
	}
	engine_free(&s->base.eng);
	dev_notes_unref(s->notes);
	free(s->wrote);
	free(s->orgs);
	free(s);
}


int
sqs_setting(struct store *base, const char *key, char *buf, size_t cap)
{
	struct sq_store *s = SQ(base);
	return db_meta_get(s->db, key, buf, cap);
}

/* Persist the version counter inside the current write transaction. */
int
store_save_version(struct sq_store *s)
{
	int rc;
	sqlite3_bind_int64(s->version_put, 1, (sqlite3_int64)s->version);
	rc = sqlite3_step(s->version_put);
	sqlite3_reset(s->version_put);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_committed_version(struct sq_store *s, uint64_t *v)
{
	sqlite3_stmt *st = s->version_get;
	int rc;

	if (st == NULL && (st = s->version_get = db_prepare(s->db,
	    "SELECT value FROM meta WHERE key = 'version'")) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*v = (uint64_t)sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*v = 0;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Load a row by id into r (r->exists says whether it was found). -1 on error. */
int
row_load(struct sq_store *s, int t, const char *id, struct srow *r)
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
row_write(struct sq_store *s, int t, const char *id, const struct srow *r, int is_new)
{
	sqlite3_stmt *st = is_new ? s->row_ins[t] : s->row_upd[t];
	int nc = schema_tables[t].ncols, rc;

	for (int c = 0; c < nc; c++)
		value_bind_static(st, c + 1, &r->v[c]);   /* r outlives the step */
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
org_lookup(struct sq_store *s, const char *id, const struct org_entry **e)
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

/*
 * Resolve a reference for scope: the scope path of the row id in table t.
 * Returns 1 found live, 2 found but deleted or dissolved, 0 not found, -1 error.
 */
static int
ref_scope(struct sq_store *s, int t, const char *id, char *scope, size_t cap)
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

int
sqs_setting_put(struct store *base, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct sq_store *s = SQ(base);

	if (db_meta_set(s->db, key, value) != 0) {
		snprintf(err, errlen, "cannot write the setting %s: %s", key, sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
sqs_org_scope(struct store *base, const char *code, char *scope, size_t scope_cap, char *name,
    size_t name_cap)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st = s->org_by_code;
	int found = -1;

	sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		snprintf(scope, scope_cap, "%s", (const char *)sqlite3_column_text(st, 0));
		if (name)
			snprintf(name, name_cap, "%s", (const char *)sqlite3_column_text(st, 1));
		found = 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		found = STORE_UNREADABLE;
		break;
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
sqs_device_add(struct store *base, const struct store_device *d, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
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
device_query(struct sq_store *s, const char *where, const char *arg, struct store_device *d,
    sqlite3_stmt **kept)
{
	char sql[1024];
	sqlite3_stmt *st = kept ? *kept : NULL;
	int found = -1;

	if (st == NULL) {
		snprintf(sql, sizeof sql, "SELECT " DEVICE_COLS_LOOKUP " FROM device WHERE %s", where);
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
			return STORE_UNREADABLE;
		if (kept)
			*kept = st;
	}
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		device_from_row(st, d);
		device_overlay(s, d);
		found = 0;
		break;
	case SQLITE_DONE:
		break;
	default:
		found = STORE_UNREADABLE;   /* busy past its timeout, I/O */
		break;
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
sqs_device_by_serial(struct store *base, const char *serial, struct store_device *d)
{
	struct sq_store *s = SQ(base);
	return device_query(s, "serial = ?1", serial, d, &s->device_by_serial);
}

int
sqs_device_by_name(struct store *base, const char *name, struct store_device *d)
{
	struct sq_store *s = SQ(base);
	return device_query(s, "name = ?1 AND revoked_at IS NULL", name, d, NULL);
}

int
sqs_device_revoke(struct store *base, const char *name, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
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
sqs_device_last_seq(struct store *base, const char *device_id)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st = s->seq_max_get;   /* kept: every session's hello asks */
	uint64_t v = 0;

	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/*
 * The devices' notes may be shared by two store handles of one process
 * (the loop's, which notes sessions, and the store thread's, which writes
 * them: store_share_notes), so they live in a table of their own under a
 * mutex. A note is forgotten only when what was written of it is still
 * what it holds: a session noted while its write was under way is written
 * by the next one.
 */
struct dev_notes {
	pthread_mutex_t mu;
	struct dev_note *v;
	size_t n, cap;
	int refs;
};

static struct dev_notes *
dev_notes_new(void)
{
	struct dev_notes *t = calloc(1, sizeof *t);

	if (t != NULL) {
		pthread_mutex_init(&t->mu, NULL);
		t->refs = 1;
	}
	return t;
}

static void
dev_notes_unref(struct dev_notes *t)
{
	int last;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->mu);
	if (!last)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t->v);
	free(t);
}

void
sqs_share_notes(struct store *dstb, struct store *srcb)
{
	struct sq_store *dst = SQ(dstb), *src = SQ(srcb);
	pthread_mutex_lock(&src->notes->mu);
	src->notes->refs++;
	pthread_mutex_unlock(&src->notes->mu);
	dev_notes_unref(dst->notes);
	dst->notes = src->notes;
}

/* The note of device_id, or NULL when it has none. The caller holds t->mu. */
static struct dev_note *
device_note(struct dev_notes *t, const char *device_id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, device_id) == 0)
			return &t->v[i];
	return NULL;
}

int
sqs_device_seen(struct store *base, const char *device_id, const char *what)
{
	struct sq_store *s = SQ(base);
	struct dev_notes *t = s->notes;
	struct dev_note *d;
	int k = strcmp(what, "push") == 0 ? DEV_PUSH : strcmp(what, "pull") == 0 ? DEV_PULL :
	    DEV_SEEN, rc = 0;

	if (strlen(device_id) >= sizeof d->id)
		return -1;   /* no enrolled device has such an id */
	pthread_mutex_lock(&t->mu);
	if ((d = device_note(t, device_id)) == NULL) {
		/*
		 * Bounded: the notes are written every second or so, and those of
		 * devices written are dropped. Past the bound a session goes
		 * unnoted until then (bookkeeping, not data).
		 */
		if (t->n == DEV_NOTES_MAX) {
			rc = -1;
			goto out;
		}
		if (t->n == t->cap) {
			size_t cap = t->cap ? 2 * t->cap : 16;
			struct dev_note *n = realloc(t->v, cap * sizeof *n);
			if (n == NULL) {
				rc = -1;
				goto out;
			}
			t->v = n;
			t->cap = cap;
		}
		d = &t->v[t->n++];
		memset(d, 0, sizeof *d);
		snprintf(d->id, sizeof d->id, "%s", device_id);
	}
	d->at[k] = now_ms();
	d->dirty |= 1u << k;
out:
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/*
 * Write every dirty note inside the open transaction, keeping a copy of
 * what was written in s->wrote. 1 when something was written (call
 * device_notes_written once the transaction has committed), 0 when nothing
 * was noted, -1 on a database error.
 */
static int
device_notes_write(struct sq_store *s)
{
	struct dev_notes *t = s->notes;
	sqlite3_stmt *st = s->device_put;

	pthread_mutex_lock(&t->mu);
	s->nwrote = 0;
	if (s->wrote_cap < t->n) {
		struct dev_note *n = realloc(s->wrote, t->n * sizeof *n);
		if (n == NULL) {
			pthread_mutex_unlock(&t->mu);
			return -1;
		}
		s->wrote = n;
		s->wrote_cap = t->n;
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].dirty != 0)
			s->wrote[s->nwrote++] = t->v[i];
	pthread_mutex_unlock(&t->mu);
	for (size_t i = 0; i < s->nwrote; i++) {
		const struct dev_note *d = &s->wrote[i];
		int rc;
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
	}
	return s->nwrote > 0;
}

/*
 * The notes written are in the database now: forget each time that is
 * still what was written (one noted meanwhile stays for the next write),
 * and every note with nothing left to write.
 */
static void
device_notes_written(struct sq_store *s)
{
	struct dev_notes *t = s->notes;
	size_t keep = 0;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < s->nwrote; i++) {
		struct dev_note *d = device_note(t, s->wrote[i].id);
		for (int k = 0; d != NULL && k < 3; k++)
			if ((s->wrote[i].dirty & (1u << k)) && d->at[k] == s->wrote[i].at[k])
				d->dirty &= ~(1u << k);
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].dirty != 0)
			t->v[keep++] = t->v[i];
	t->n = keep;
	pthread_mutex_unlock(&t->mu);
	s->nwrote = 0;
}

int
sqs_device_flush(struct store *base)
{
	struct sq_store *s = SQ(base);
	int own, rc, any;

	pthread_mutex_lock(&s->notes->mu);
	any = s->notes->n > 0;
	pthread_mutex_unlock(&s->notes->mu);
	if (!any)
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
device_overlay(struct sq_store *s, struct store_device *d)
{
	const struct dev_note *n;

	pthread_mutex_lock(&s->notes->mu);
	if ((n = device_note(s->notes, d->id)) != NULL) {
		if ((n->dirty & (1u << DEV_SEEN)) && n->at[DEV_SEEN] > d->last_seen)
			d->last_seen = n->at[DEV_SEEN];
		if ((n->dirty & (1u << DEV_PUSH)) && n->at[DEV_PUSH] > d->last_push)
			d->last_push = n->at[DEV_PUSH];
		if ((n->dirty & (1u << DEV_PULL)) && n->at[DEV_PULL] > d->last_pull)
			d->last_pull = n->at[DEV_PULL];
	}
	pthread_mutex_unlock(&s->notes->mu);
}

int
sqs_device_each(struct store *base, int (*fn)(const struct store_device *, void *), void *arg)
{
	struct sq_store *s = SQ(base);
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
sqs_count(struct store *base, const char *what)
{
	struct sq_store *s = SQ(base);
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
sqs_backup(struct store *base, const char *file, int64_t *bytes, uint64_t *max_version,
    char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
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

static int
evict_record(struct sq_store *s, uint64_t version, int t, const char *id, const char *old_scope,
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

/* --- the storage operations (sto.h) the engine drives ------------------- */

static const char *
sq_errmsg(void *b)
{
	struct sq_store *s = b;

	return sqlite3_errmsg(s->db);
}

static int
sq_begin(void *b, char *err, size_t errlen)
{
	struct sq_store *s = b;

	if (db_exec(s->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	s->org_gen++;   /* organisations as this transaction reads them (org_lookup) */
	/* The devices' bookkeeping rides along: no transaction (and fsync) of its own. */
	if ((s->noted = device_notes_write(s)) < 0) {
		snprintf(err, errlen, "cannot note the devices' sessions: %s", sqlite3_errmsg(s->db));
		db_exec(s->db, "ROLLBACK", NULL, 0);
		s->noted = 0;
		return -1;
	}
	s->tx_version = s->version;
	return 0;
}

static int
sq_commit(void *b, char *err, size_t errlen)
{
	struct sq_store *s = b;

	if (store_save_version(s) != 0 || db_exec(s->db, "COMMIT", err, errlen) != 0)
		return -1;
	if (s->noted)
		device_notes_written(s);
	s->noted = 0;
	return 0;
}

static void
sq_rollback(void *b)
{
	struct sq_store *s = b;

	db_exec(s->db, "ROLLBACK", NULL, 0);
	s->version = s->tx_version;
	s->noted = 0;
}

static int
sq_sp_begin(void *b)
{
	struct sq_store *s = b;

	s->sp_version = s->version;
	return step_once(s->sp_begin);
}

static int
sq_sp_release(void *b)
{
	return step_once(((struct sq_store *)b)->sp_release);
}

static int
sq_sp_rollback(void *b)
{
	struct sq_store *s = b;

	s->version = s->sp_version;   /* the versions taken since are handed out again */
	return step_once(s->sp_rollback);
}

static uint64_t
sq_version_next(void *b)
{
	return ++((struct sq_store *)b)->version;
}

static void
sq_version_back(void *b, uint64_t v)
{
	struct sq_store *s = b;

	if (v != 0 && s->version == v)
		s->version = v - 1;
}

static int
sq_row_load(void *b, int t, const char *id, struct srow *r)
{
	return row_load(b, t, id, r);
}

static enum sto_write
sq_row_write(void *b, int t, const char *id, const struct srow *r, int is_new)
{
	struct sq_store *s = b;
	int rc = row_write(s, t, id, r, is_new);

	switch (rc) {
	case SQLITE_DONE:
		return STO_WRITTEN;
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return STO_DUP_ID;
	case SQLITE_CONSTRAINT_UNIQUE:
		return STO_UNIQUE;
	default:
		log_warnx("store: %s %s/%s: %s", is_new ? "insert" : "update", schema_tables[t].name,
		    id, sqlite3_errmsg(s->db));
		return STO_FAILED;
	}
}


static int
sq_unique_owner(void *b, int t, int col, const Tongxin__Value *v, const char *not_id,
    char out[ID_TEXT_LEN + 1])
{
	struct sq_store *s = b;
	const struct table_def *td = &schema_tables[t];
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	if (col < 0 || col >= td->ncols || !(td->cols[col].flags & COLF_UNIQUE))
		return 0;
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1 AND _deleted = 0 AND id <> ?2",
	    td->name, td->cols[col].name);
	if ((st = db_kept(s->db, &s->unique_by[t][col], sql)) == NULL)
		return -1;
	value_bind(st, 1, v);
	sqlite3_bind_text(st, 2, not_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, ID_TEXT_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_ref_scope(void *b, int t, const char *id, char *scope, size_t cap)
{
	return ref_scope(b, t, id, scope, cap);
}

static int
sq_org_get(void *b, const char *id, struct sto_org *out)
{
	const struct org_entry *o;
	int rc = org_lookup(b, id, &o);

	if (rc == 1) {
		snprintf(out->kind, sizeof out->kind, "%s", o->kind);
		out->deleted = o->deleted;
		out->dissolved = o->dissolved;
		snprintf(out->scope, sizeof out->scope, "%s", o->scope);
	}
	return rc;
}

static int
sq_ids_where(void *b, int t, int col, const char *value, size_t max, struct sto_ids *out)
{
	struct sq_store *s = b;
	const struct table_def *td = &schema_tables[t];
	char sql[256];
	sqlite3_stmt *st;
	int rc;

	if (col < 0 || col >= td->ncols)
		return -1;
	snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE %s = ?1 AND _deleted = 0 LIMIT ?2",
	    td->name, td->cols[col].name);
	if ((st = db_kept(s->db, &s->ids_where[t][col], sql)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, max ? (sqlite3_int64)max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sto_ids_add(out, (const char *)sqlite3_column_text(st, 0)) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_audit_put(void *b, const struct sto_audit *a)
{
	struct sq_store *s = b;
	sqlite3_stmt *st = s->audit_put;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)a->version);
	sqlite3_bind_int64(st, 2, a->at);
	sqlite3_bind_text(st, 3, a->device_id, -1, SQLITE_STATIC);
	bind_text_or_null(st, 4, a->operator_name);
	sqlite3_bind_text(st, 5, a->action, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, a->table);
	sqlite3_bind_text(st, 7, a->row_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)a->seq);
	if (a->detail == NULL)
		sqlite3_bind_null(st, 9);
	else if (a->detail_text)
		sqlite3_bind_text(st, 9, (const char *)a->detail, (int)a->detail_len, SQLITE_STATIC);
	else
		sqlite3_bind_blob(st, 9, a->detail, (int)a->detail_len, SQLITE_STATIC);
	/* every parameter is bound again by the next entry */
	return step_once(st);
}

static int
sq_evict_put(void *b, uint64_t version, int t, const char *id, const char *old_scope,
    const char *new_scope)
{
	return evict_record(b, version, t, id, old_scope, new_scope);
}

static int
sq_evict_find(void *b, int t, const char *id, const char *scope)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	char hi[SCOPE_MAX];
	int rc;

	scope_hi(scope, hi, sizeof hi);
	if ((st = db_kept(s->db, &s->evict_find, "SELECT 1 FROM evict WHERE tbl = ?1 AND row_id = ?2"
	    " AND old_scope >= ?3 AND old_scope < ?4 LIMIT 1")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hi, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_share_put(void *b, int via_t, const char *via_id, int t, const char *id, const char *scope)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;

	if ((st = db_kept(s->db, &s->share_put, "INSERT OR REPLACE INTO share (via_tbl, via_id,"
	    " tbl, row_id, scope) VALUES (?1, ?2, ?3, ?4, ?5)")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, via_t);
	sqlite3_bind_text(st, 2, via_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, t);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, scope, -1, SQLITE_STATIC);
	return step_once(st);
}

static int
sq_share_drop(void *b, int via_t, const char *via_id)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;

	if ((st = db_kept(s->db, &s->share_drop, "DELETE FROM share WHERE via_tbl = ?1"
	    " AND via_id = ?2")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, via_t);
	sqlite3_bind_text(st, 2, via_id, -1, SQLITE_STATIC);
	return step_once(st);
}

static int
sq_share_in(void *b, int t, const char *id, const char *lo, const char *hi)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int rc;

	if ((st = db_kept(s->db, &s->share_in, "SELECT 1 FROM share WHERE tbl = ?1"
	    " AND row_id = ?2 AND scope >= ?3 AND scope < ?4 LIMIT 1")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, t);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, hi, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_txn_find(void *b, const char *device_id, uint64_t seq, struct sto_logged *out)
{
	struct sq_store *s = b;
	sqlite3_stmt *st = s->txn_get;
	int rc;

	memset(out, 0, sizeof *out);
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->status = sqlite3_column_int(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
			out->has_reason = 1;
			snprintf(out->reason, sizeof out->reason, "%s",
			    (const char *)sqlite3_column_text(st, 1));
		}
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			snprintf(out->conflict_id, sizeof out->conflict_id, "%s",
			    (const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_bytes(st, 3) == (int)sizeof out->digest) {
			out->has_digest = 1;
			memcpy(out->digest, sqlite3_column_blob(st, 3), sizeof out->digest);
		}
		if (sqlite3_column_int64(st, 4) != 0)
			reason_unpack((uint32_t)sqlite3_column_int64(st, 4),
			    (const char *)sqlite3_column_text(st, 5), &out->why);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static int
sq_txn_put(void *b, const struct sto_txnlog *r)
{
	struct sq_store *s = b;
	sqlite3_stmt *st = s->txn_put;
	int rc;

	sqlite3_bind_text(st, 1, r->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)r->seq);
	sqlite3_bind_int(st, 3, r->status);
	bind_text_or_null(st, 4, r->reason);
	bind_text_or_null(st, 5, r->conflict_id);
	sqlite3_bind_int64(st, 6, r->received_at);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->hlc);
	if (r->txn != NULL)
		sqlite3_bind_blob(st, 8, r->txn, (int)r->txn_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_blob(st, 9, r->digest, 32, SQLITE_STATIC);
	bind_reason(st, 10, r->why);
	rc = step_once(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
sq_txn_seq_max(void *b, const char *device_id, uint64_t *out)
{
	struct sq_store *s = b;
	sqlite3_stmt *st = s->seq_max_get;
	int rc;

	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
sq_conflict_put(void *b, const struct sto_conflict *c)
{
	struct sq_store *s = b;
	sqlite3_stmt *st = s->conflict_put;
	int rc;

	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)c->seq);
	bind_text_or_null(st, 4, c->operator_name);
	sqlite3_bind_text(st, 5, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, c->table);
	bind_text_or_null(st, 8, c->row_id);
	sqlite3_bind_blob(st, 9, c->txn, (int)c->txn_len, SQLITE_STATIC);
	if (c->server_row != NULL)
		sqlite3_bind_blob(st, 10, c->server_row, (int)c->server_row_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)c->hlc);
	sqlite3_bind_int64(st, 12, c->local_time);
	sqlite3_bind_int64(st, 13, c->received_at);
	sqlite3_bind_text(st, 14, c->status, -1, SQLITE_STATIC);
	bind_text_or_null(st, 15, c->resolution);
	if (c->resolved_version != 0)
		sqlite3_bind_int64(st, 16, (sqlite3_int64)c->resolved_version);
	bind_text_or_null(st, 17, c->loser);
	bind_reason(st, 18, c->why);
	if (c->digest != NULL)
		sqlite3_bind_blob(st, 20, c->digest, 32, SQLITE_STATIC);
	rc = step_once(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int
sq_conflict_open_count(void *b, const char *device_id, int64_t *n)
{
	struct sq_store *s = b;
	sqlite3_stmt *st = s->conflict_count;
	int rc;

	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int
sq_reused_find(void *b, const char *device_id, uint64_t seq, const uint8_t digest[32],
    struct sto_logged *out)
{
	struct sq_store *s = b;
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof *out);
	if ((st = db_kept(s->db, &s->reused_get, "SELECT id, status, reason, reason_code, reason_args"
	    " FROM conflict WHERE device_id = ?1 AND seq = ?2 AND kind = 'reused_seq'"
	    " AND digest = ?3")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	sqlite3_bind_blob(st, 3, digest, 32, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 1);
		snprintf(out->conflict_id, sizeof out->conflict_id, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		out->status = status && strcmp(status, "rejected") == 0 ?
		    TONGXIN__TXN_RESULT__STATUS__REJECTED : TONGXIN__TXN_RESULT__STATUS__CONFLICT;
		out->has_reason = 1;
		snprintf(out->reason, sizeof out->reason, "%s",
		    (const char *)sqlite3_column_text(st, 2));
		if (sqlite3_column_int64(st, 3) != 0)
			reason_unpack((uint32_t)sqlite3_column_int64(st, 3),
			    (const char *)sqlite3_column_text(st, 4), &out->why);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

const struct sto_ops sto_sqlite_ops = {
	.name = "sqlite",
	.errmsg = sq_errmsg,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.sp_begin = sq_sp_begin,
	.sp_release = sq_sp_release,
	.sp_rollback = sq_sp_rollback,
	.version_next = sq_version_next,
	.version_back = sq_version_back,
	.row_load = sq_row_load,
	.row_write = sq_row_write,
	.unique_owner = sq_unique_owner,
	.ref_scope = sq_ref_scope,
	.org_get = sq_org_get,
	.ids_where = sq_ids_where,
	.audit_put = sq_audit_put,
	.evict_put = sq_evict_put,
	.evict_find = sq_evict_find,
	.share_put = sq_share_put,
	.share_drop = sq_share_drop,
	.share_in = sq_share_in,
	.txn_find = sq_txn_find,
	.txn_put = sq_txn_put,
	.txn_seq_max = sq_txn_seq_max,
	.conflict_put = sq_conflict_put,
	.conflict_open_count = sq_conflict_open_count,
	.reused_find = sq_reused_find,
	.recovered_get = sq_recovered_get,
	.recovered_put = sq_recovered_put,
	.recovered_queued = sq_recovered_queued,
	.recovered_queued_put = sq_recovered_queued_put,
	.recovery_add = sq_recovery_add,
	.recovery_get = sq_recovery_get,
	.conflict_get = sq_conflict_get,
	.conflict_settle = sq_conflict_settle,
};

/* The public operations that are only storage (store_backend.h). */
const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.close = sqs_close,
	.setting_put = sqs_setting_put,
	.setting = sqs_setting,
	.org_scope = sqs_org_scope,
	.device_add = sqs_device_add,
	.device_by_serial = sqs_device_by_serial,
	.device_by_name = sqs_device_by_name,
	.device_revoke = sqs_device_revoke,
	.device_last_seq = sqs_device_last_seq,
	.device_seen = sqs_device_seen,
	.device_flush = sqs_device_flush,
	.share_notes = sqs_share_notes,
	.device_each = sqs_device_each,
	.conflict_list = sqs_conflict_list,
	.conflict_show = sqs_conflict_show,
	.audit = sqs_audit,
	.devices = sqs_devices,
	.replica_check = sqs_replica_check,
	.resolutions = sqs_resolutions,
	.count = sqs_count,
	.backup = sqs_backup,
	.recover = sqs_recover,
	.session_init = sqs_session_init,
	.devices_revoked = sqs_devices_revoked,
	.replica_bind = sqs_replica_bind,
	.replica_bound = sqs_replica_bound,
	.pull_begin = sqs_pull_begin,
	.pull_end = sqs_pull_end,
	.pull_rows = sqs_pull_rows,
	.pull_evictions = sqs_pull_evictions,
};
