/* replica_pull.c - pulled pages and the pull cursors of the replica; see replica.h. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "log.h"
#include "pull_raw.h"
#include "reason.h"
#include "replica_int.h"
#include "value.h"
#include "vocab.h"

/* Whether a row has a change the server has not acknowledged yet. */
static int
row_pending(struct replica *r, const char *id)
{
	int rc;
	sqlite3_bind_text(r->pending_has, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->pending_has);
	sqlite3_reset(r->pending_has);
	return rc == SQLITE_ROW;
}

static int stmt_once(struct replica *r, sqlite3_stmt **st, const char *sql);
static int row_settle(struct replica *r, uint32_t t, const char *id);

/* Binds a row's values to parameters 2.. of st: from a decoded row, or from a page's bytes. */
typedef void (*bind_values_fn)(sqlite3_stmt *st, int ncols, const void *src);

/*
 * Make the replica show the server's state of a row (unless it has pending
 * changes): the one path for decoded rows and rows read in place. 0, or -1.
 */
static int
apply_row(struct replica *r, uint32_t table, const char *id, uint64_t version, bool deleted,
    bool as_sent, size_t n_values, bind_values_fn bind, const void *src, int check_pending,
    uint64_t *applied)
{
	const struct table_def *td;
	sqlite3_stmt *st;
	int rc;

	if (table >= TBL_COUNT || !id_valid(id))
		return -1;
	td = &schema_tables[table];
	if ((check_pending & ROW_CHECK_PENDING) && row_pending(r, id))
		return 0;
	if ((check_pending & ROW_SETTLE) && row_settle(r, table, id) != 0)
		return -1;
	if (as_sent) {
		/* The server holds what we inserted: only its version is new. */
		if ((st = rep_tstmt(r, TS_VER, (int)table)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)version);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (deleted) {
		if ((st = rep_tstmt(r, TS_DEL, (int)table)) == NULL)
			return -1;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (applied && sqlite3_changes(r->db) > 0)
			(*applied)++;
		if (rc == SQLITE_DONE && (check_pending & ROW_TOMBSTONE) && version > 0) {
			/* Kept for a restored server that may have lost the deletion (replica_recover.c). */
			if (stmt_once(r, &r->gone_put, "INSERT OR REPLACE INTO gone (row_id, tbl, version)"
			    " VALUES (?1, ?2, ?3)") != 0)
				return -1;
			sqlite3_bind_text(r->gone_put, 1, id, -1, SQLITE_STATIC);
			sqlite3_bind_int(r->gone_put, 2, (int)table);
			sqlite3_bind_int64(r->gone_put, 3, (sqlite3_int64)version);
			rc = sqlite3_step(r->gone_put);
			sqlite3_reset(r->gone_put);
		}
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (n_values != (size_t)td->ncols)
		return -1;
	if ((st = rep_tstmt(r, TS_UPSERT, (int)table)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	bind(st, td->ncols, src);
	sqlite3_bind_int64(st, td->ncols + 2, (sqlite3_int64)version);
	rc = sqlite3_step(st);
	sqlite3_reset(st);   /* the values outlive the step; every parameter is bound each time */
	if (applied)
		(*applied)++;
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
bind_decoded(sqlite3_stmt *st, int ncols, const void *src)
{
	const Tongxin__Row *row = src;

	for (int k = 0; k < ncols; k++)
		value_bind_static(st, k + 2, row->values[k]);
}

int
apply_server_row(struct replica *r, const Tongxin__Row *row, int check_pending, uint64_t *applied)
{
	return apply_row(r, row->table, row->row_id, row->version, row->deleted, row->as_sent,
	    row->n_values, bind_decoded, row, check_pending, applied);
}

/* A string value is text up to its first NUL, as value_bind_static binds protobuf-c's copy. */
static void
bind_raw(sqlite3_stmt *st, int ncols, const void *src)
{
	const struct raw_row *row = src;

	for (int k = 0; k < ncols; k++) {
		const struct raw_value *v = &row->values[k];
		switch (v->kind) {
		case TONGXIN__VALUE__KIND_I:
			sqlite3_bind_int64(st, k + 2, v->i);
			break;
		case TONGXIN__VALUE__KIND_R:
			sqlite3_bind_double(st, k + 2, v->r);
			break;
		case TONGXIN__VALUE__KIND_S:
			sqlite3_bind_text(st, k + 2, v->s, (int)strnlen(v->s, v->len), SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(st, k + 2);
			break;
		}
	}
}

/*
 * A row read in place from a pull page (pull_raw.h), applied as a decoded
 * one is, its values bound from the page's bytes (which outlive the step).
 * 0, or -1.
 */
static int
apply_raw_row(struct replica *r, const uint8_t *p, size_t n, int check_pending, uint64_t *applied)
{
	struct raw_row raw;
	char id[ID_TEXT_LEN + 1];

	if (pull_raw_row(p, n, &raw) != 0 || raw.row_id_len > ID_TEXT_LEN)
		return -1;
	/* An id with a NUL inside ends there, as protobuf-c's copy did: id_valid refuses it. */
	memcpy(id, raw.row_id, raw.row_id_len);
	id[raw.row_id_len] = '\0';
	return apply_row(r, raw.table, id, raw.version, raw.deleted, raw.as_sent, raw.n_values,
	    bind_raw, &raw, check_pending, applied);
}

/* Prepare *st once (kept in r, finalised by replica_close with the others); 0 or -1. */
static int
stmt_once(struct replica *r, sqlite3_stmt **st, const char *sql)
{
	if (*st == NULL && sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return -1;
	}
	return 0;
}

/*
 * Before row id of table t changes (a pulled row, an eviction): when an
 * outbox entry refers to it (its _version is -seq: the server can send it
 * back only after a push whose answer was lost), the entry is stored as
 * the bytes it stands for first. 0, or -1.
 */
static int
row_settle(struct replica *r, uint32_t t, const char *id)
{
	char sql[128], err[256] = "";
	sqlite3_int64 v = 0;
	int rc;

	snprintf(sql, sizeof sql, "SELECT _version FROM %s WHERE id = ?1", schema_tables[t].name);
	if (stmt_once(r, &r->pull_mark[t], sql) != 0)
		return -1;
	sqlite3_bind_text(r->pull_mark[t], 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(r->pull_mark[t])) == SQLITE_ROW)
		v = sqlite3_column_int64(r->pull_mark[t], 0);
	sqlite3_reset(r->pull_mark[t]);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (v < 0 && rep_outbox_unref(r->db, -v, err, sizeof err) != 0) {
		log_warnx("replica: %s", err);
		return -1;
	}
	return 0;
}

/*
 * Whether the query sql ("SELECT 1 FROM t LIMIT 1", prepared once into *st)
 * finds a row: 1, 0, or -1 on a SQLite error.
 */
static int
any_row(struct replica *r, sqlite3_stmt **st, const char *sql)
{
	int rc;

	if (stmt_once(r, st, sql) != 0)
		return -1;
	rc = sqlite3_step(*st);
	sqlite3_reset(*st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Whether the outbox holds anything: 1, 0, or -1 on a SQLite error. */
static int
any_outbox(struct replica *r)
{
	return any_row(r, &r->pull_any_outbox, "SELECT 1 FROM outbox LIMIT 1");
}

/*
 * The stored cursors: the tables', the eviction cursor (row -1) and the
 * resolution-notice cursor (row -2); a missing row is 0, as the server
 * takes it. 0, or -1 on a SQLite error.
 */
static int
cursors_read(struct replica *r, uint64_t *cursors, uint64_t *evict, uint64_t *note)
{
	sqlite3_stmt *st;
	int rc;

	memset(cursors, 0, TBL_COUNT * sizeof *cursors);
	*evict = *note = 0;
	if (stmt_once(r, &r->pull_cursors, "SELECT tbl, version FROM cursor") != 0)
		return -1;
	st = r->pull_cursors;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int t = sqlite3_column_int(st, 0);
		uint64_t v = (uint64_t)sqlite3_column_int64(st, 1);
		if (t >= 0 && t < TBL_COUNT)
			cursors[t] = v;
		else if (t == -1)
			*evict = v;
		else if (t == -2)
			*note = v;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

uint64_t
rep_note_cursor(struct replica *r)
{
	uint64_t cursors[TBL_COUNT], evict, note;

	return cursors_read(r, cursors, &evict, &note) == 0 ? note : 0;
}

int
rep_cursors(struct replica *r, uint64_t *cursors, uint64_t *evict_cursor)
{
	uint64_t note;

	return cursors_read(r, cursors, evict_cursor, &note);
}

static int
cursor_set(struct replica *r, int t, uint64_t v)
{
	int rc;
	sqlite3_bind_int(r->cursor_put, 1, t);
	sqlite3_bind_int64(r->cursor_put, 2, (sqlite3_int64)v);
	rc = sqlite3_step(r->cursor_put);
	sqlite3_reset(r->cursor_put);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Write the page's cursors that differ from the stored ones (a page that
 * moves none writes none); *moved tells whether any differs. With write
 * unset only compares. 0, or -1 on a SQLite error.
 */
static int
cursors_advance(struct replica *r, const Tongxin__PullResponse *page, bool write, bool *moved)
{
	uint64_t have[TBL_COUNT], evict, note;

	*moved = false;
	if (cursors_read(r, have, &evict, &note) != 0)
		return -1;
	for (int t = 0; t < TBL_COUNT && t < (int)page->n_cursors; t++)
		if (page->cursors[t] != have[t]) {
			*moved = true;
			if (write && cursor_set(r, t, page->cursors[t]) != 0)
				return -1;
		}
	if (page->note_cursor != note) {
		*moved = true;
		if (write && cursor_set(r, -2, page->note_cursor) != 0)
			return -1;
	}
	if (page->evict_cursor != evict) {
		*moved = true;
		if (write && cursor_set(r, -1, page->evict_cursor) != 0)
			return -1;
	}
	return 0;
}

/* Whether anything of this replica awaits the server's acknowledgement; -1 on error. */
static int
any_pending(struct replica *r)
{
	return any_row(r, &r->pull_any_pending, "SELECT 1 FROM pending LIMIT 1");
}

/* Remove an evicted row and our kept copies of changes to it: personal data leaves whole. */
static int
apply_eviction(struct replica *r, const Tongxin__Eviction *e, int settle, uint64_t *evicted)
{
	sqlite3_stmt *st;
	int rc;

	if (e->table >= TBL_COUNT)
		return 0;
	if (settle && row_settle(r, e->table, e->row_id) != 0)
		return -1;
	if ((st = rep_tstmt(r, TS_DEL, e->table)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, e->row_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (evicted)
		*evicted += (uint64_t)sqlite3_changes(r->db);
	if (stmt_once(r, &r->pull_evict_outcome, "UPDATE outcome SET txn = NULL WHERE txn IS NOT NULL"
	    " AND instr(txn, CAST(?1 AS BLOB)) > 0") != 0)
		return -1;
	st = r->pull_evict_outcome;
	sqlite3_bind_text(st, 1, e->row_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Record an administrator's decision: on our own change, its outcome (the
 * server keeps the whole change; the replica keeps the outcome but no
 * longer the values, which may be another office's now); on someone
 * else's, a notice that a value we wrote was replaced by a newer edit.
 */
static int
apply_resolution(struct replica *r, const Tongxin__Resolution *res, uint64_t *notices)
{
	char text[600], note[REASON_TEXT_MAX], code[32];
	const char *rest = strchr(res->decision, ' ');
	sqlite3_stmt *st;
	int rc;

	/*
	 * As the clerk reads it: the decision's label (its first word is the
	 * code: "set name=..." keeps the columns), who decided, the note.
	 */
	snprintf(code, sizeof code, "%.*s", rest ? (int)(rest - res->decision) :
	    (int)strlen(res->decision), res->decision);
	snprintf(text, sizeof text, "%s%s%s%s%s%s", vocab_show(vocab_get("decision"),
	    code), rest ? rest : "", res->resolved_by[0] ? "（" : "", res->resolved_by,
	    res->resolved_by[0] ? "）" : "", res->note[0] ? "；" : "");
	snprintf(text + strlen(text), sizeof text - strlen(text), "%s", res->note);
	if (stmt_once(r, &r->pull_resolve, "UPDATE outcome SET resolution = ?2, txn = NULL"
	    " WHERE conflict_id = ?1") != 0)
		return -1;
	st = r->pull_resolve;
	sqlite3_bind_text(st, 1, res->conflict_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(r->db) > 0)
		return 0;
	/* Not one of our changes: a value we wrote was replaced by a newer edit. */
	if (stmt_once(r, &r->pull_notice, "INSERT OR IGNORE INTO notice (id, at, text)"
	    " VALUES (?1, ?2, ?3)") != 0)
		return -1;
	st = r->pull_notice;
	/* A newer-wins decision, in Chinese from its code when the server sent one. */
	reason_show(res->reason_code, (const char *const *)res->reason_args,
	    res->n_reason_args, res->note, note, sizeof note);
	sqlite3_bind_text(st, 1, res->conflict_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, res->resolved_at_ms);
	sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	if (notices)
		(*notices)++;
	return 0;
}

/* --- a first pull without secondary indexes -------------------------------- */

/*
 * A replica that never pulled takes its whole scope in one go: inserting
 * 100,000 members into the random-order indexes (id_number above all) costs
 * more than the rows, and superlinearly so. The first pull of several pages
 * drops the synced tables' secondary indexes in the transaction of its
 * first page, keeping their names and SQL in meta "pull_indexes" (lines of
 * NAME TAB SQL), and builds them after the last page, deleting the key in
 * the same transaction. A kill in between leaves the key: the next pull
 * carries on without them and builds them at its end (rep_indexes_repair
 * does it alone). The replica's indexes are plain (not UNIQUE): without
 * them every query still answers the same, only slower.
 *
 * The desk's name index (domain.c: the ui_member_gram table and the
 * triggers on member that fill it for every row) is dropped too, not
 * rebuilt here: the desk makes it afresh, and fills it in one pass, the
 * first time a roster query finds it missing (dom_prepare_indexes).
 */
#define PULL_INDEXES_KEY "pull_indexes"
#define PULL_INDEXES_MAX (64u * 1024u)

/* Whether meta pull_indexes is present (indexes dropped and not yet built); -1 on error. */
static int
indexes_pending(struct replica *r)
{
	int rc;

	sqlite3_bind_text(r->meta_get, 1, PULL_INDEXES_KEY, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->meta_get);
	sqlite3_reset(r->meta_get);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* indexes_drop's work, without its savepoint. */
static int
indexes_drop_all(struct replica *r)
{
	static const char q[] = "SELECT name, sql FROM sqlite_schema WHERE type = 'index'"
	    " AND sql IS NOT NULL AND tbl_name = ?1 ORDER BY name";
	char *saved = NULL;
	size_t len = 0;
	sqlite3_stmt *st;
	int rc = -1;

	if ((saved = calloc(1, PULL_INDEXES_MAX)) == NULL ||
	    sqlite3_prepare_v2(r->db, q, -1, &st, NULL) != SQLITE_OK) {
		free(saved);
		return -1;
	}
	for (int t = 0; t < TBL_COUNT; t++) {
		sqlite3_bind_text(st, 1, schema_tables[t].name, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			const char *def = (const char *)sqlite3_column_text(st, 1);
			int w = snprintf(saved + len, PULL_INDEXES_MAX - len, "%s\t%s\n", name, def);
			if (w < 0 || (size_t)w >= PULL_INDEXES_MAX - len || strchr(def, '\n')) {
				rc = SQLITE_TOOBIG;   /* keep what we cannot rebuild */
				break;
			}
			len += (size_t)w;
		}
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto out;
	rc = -1;
	sqlite3_bind_text(r->meta_put, 1, PULL_INDEXES_KEY, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->meta_put, 2, saved, (int)len, SQLITE_STATIC);
	if (sqlite3_step(r->meta_put) != SQLITE_DONE) {
		sqlite3_reset(r->meta_put);
		goto out;
	}
	sqlite3_reset(r->meta_put);
	for (char *line = saved; *line; ) {
		char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');
		/* Index names come from sqlite_schema; quoted as identifiers all the same. */
		char *drop;
		*tab = '\0';
		drop = sqlite3_mprintf("DROP INDEX \"%w\"", line);
		*tab = '\t';
		if (drop == NULL || sqlite3_exec(r->db, drop, NULL, NULL, NULL) != SQLITE_OK) {
			sqlite3_free(drop);
			goto out;
		}
		sqlite3_free(drop);
		line = nl + 1;
	}
	if (sqlite3_exec(r->db, "DROP TRIGGER IF EXISTS ui_member_gram_ins;"
	    " DROP TRIGGER IF EXISTS ui_member_gram_del; DROP TRIGGER IF EXISTS ui_member_gram_upd;"
	    " DROP TABLE IF EXISTS ui_member_gram", NULL, NULL, NULL) != SQLITE_OK)
		goto out;
	r->pull_no_indexes = true;
	rc = 0;
out:
	free(saved);
	return rc;
}

/*
 * Drop the secondary indexes of the synced tables and the desk's name
 * index, inside the page's transaction; 0, or -1 with nothing dropped
 * (its own savepoint is rolled back: the pull goes on with the indexes).
 */
static int
indexes_drop(struct replica *r)
{
	if (db_exec(r->db, "SAVEPOINT pull_indexes", NULL, 0) != 0)
		return -1;
	if (indexes_drop_all(r) == 0)
		return db_exec(r->db, "RELEASE pull_indexes", NULL, 0);
	r->pull_no_indexes = false;
	log_warnx("replica: cannot set the indexes aside for a first pull: %s",
	    sqlite3_errmsg(r->db));
	db_exec(r->db, "ROLLBACK TO pull_indexes", NULL, 0);
	db_exec(r->db, "RELEASE pull_indexes", NULL, 0);
	return -1;
}

/* Build the indexes named in meta pull_indexes and delete the key, in one transaction. */
static int
indexes_build(struct replica *r, char *err, size_t errlen)
{
	sqlite3_stmt *exists = NULL;
	char *saved = NULL;
	int rc;

	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	sqlite3_bind_text(r->meta_get, 1, PULL_INDEXES_KEY, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->meta_get);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(r->meta_get, 0);
		saved = strdup(v ? v : "");
	}
	sqlite3_reset(r->meta_get);
	if (rc == SQLITE_DONE) {   /* built already (by another process) */
		r->pull_no_indexes = false;
		return db_exec(r->db, "COMMIT", err, errlen);
	}
	if (saved == NULL || sqlite3_prepare_v2(r->db, "SELECT 1 FROM sqlite_schema"
	    " WHERE type = 'index' AND name = ?1", -1, &exists, NULL) != SQLITE_OK)
		goto fail;
	for (char *line = saved, *tab, *nl; *line; line = nl + 1) {
		const char *def;
		if ((tab = strchr(line, '\t')) == NULL || (nl = strchr(tab, '\n')) == NULL)
			break;
		*tab = *nl = '\0';
		def = tab + 1;
		/* Only what indexes_drop kept: one CREATE [UNIQUE] INDEX statement. */
		if ((strncmp(def, "CREATE INDEX ", 13) != 0 &&
		    strncmp(def, "CREATE UNIQUE INDEX ", 20) != 0) || strchr(def, ';'))
			continue;
		sqlite3_bind_text(exists, 1, line, -1, SQLITE_STATIC);
		rc = sqlite3_step(exists);
		sqlite3_reset(exists);
		if (rc == SQLITE_ROW)
			continue;   /* made meanwhile (the desk's roster index) */
		if (rc != SQLITE_DONE || db_exec(r->db, def, err, errlen) != 0)
			goto fail;
	}
	sqlite3_finalize(exists);
	exists = NULL;
	if (db_exec(r->db, "DELETE FROM meta WHERE key = '" PULL_INDEXES_KEY "'", err,
	    errlen) != 0 || db_exec(r->db, "COMMIT", err, errlen) != 0)
		goto fail;
	free(saved);
	r->pull_no_indexes = false;
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot build the replica's indexes: %s",
		    sqlite3_errmsg(r->db));
	sqlite3_finalize(exists);
	free(saved);
	db_exec(r->db, "ROLLBACK", NULL, 0);
	return -1;
}

int
rep_indexes_repair(struct replica *r, char *err, size_t errlen)
{
	int p = indexes_pending(r);

	if (p < 0) {
		snprintf(err, errlen, "cannot read the replica: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return p ? indexes_build(r, err, errlen) : 0;
}

/* --- checkpoints of a first pull off the applying thread ------------------- */

/*
 * A first pull writes the whole scope (40 MB for 100,000 members) through
 * the WAL. SQLite's automatic checkpoint runs in the committing thread:
 * every 1000 WAL pages it copies them into the database and syncs both
 * files, and the applier waits for those syncs (about 20 ms each on this
 * kind of machine, some ten times per 100,000 members). During a first
 * pull the commits only signal (sqlite3_wal_hook) a thread of our own,
 * which checkpoints through a second connection of its own (PASSIVE: it
 * never blocks the writer, and a checkpoint is as safe from any
 * connection). The writer restarts the WAL from its start once a
 * checkpoint has caught up, so the WAL stays about as small as before.
 */
#define CKPT_FRAMES 1000   /* as SQLite's default automatic checkpoint */
/*
 * The WAL size (pages) at which the applier checkpoints itself after all,
 * as SQLite would have: when the checkpointer fails, or never catches up
 * with the writer, so that the WAL is never restarted. A checkpoint after
 * the checkpointer's copies only copies what they left.
 */
#define CKPT_WAL_MAX (16 * CKPT_FRAMES)

struct pull_ckpt {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	sqlite3 *db;        /* the checkpointer's own connection */
	int frames;         /* WAL pages at the last commit (under mu) */
	bool quiet;         /* commits no longer wake the checkpointer (under mu) */
	bool stop;          /* (under mu) */
};

/* The checkpointer: a PASSIVE checkpoint whenever the WAL has grown by CKPT_FRAMES. */
static void *
ckpt_main(void *arg)
{
	struct pull_ckpt *k = arg;

	pthread_mutex_lock(&k->mu);
	for (;;) {
		while (!k->stop && k->frames < CKPT_FRAMES)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->stop)
			break;
		k->frames = 0;
		pthread_mutex_unlock(&k->mu);
		/* SQLITE_BUSY (another checkpoint) or an error: the next commit asks again. */
		sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&k->mu);
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

/* The applier's commit hook during a first pull: wake the checkpointer, never wait for it. */
static int
ckpt_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct pull_ckpt *k = arg;

	pthread_mutex_lock(&k->mu);
	if (!k->quiet) {
		k->frames = frames;
		if (frames >= CKPT_FRAMES)
			pthread_cond_signal(&k->cv);
	}
	pthread_mutex_unlock(&k->mu);
	if (frames >= CKPT_WAL_MAX)
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

/*
 * Start checkpointing r's WAL in a thread of its own; on any failure the
 * pull goes on with SQLite's own checkpoints (slower, not wrong).
 */
static void
ckpt_start(struct replica *r)
{
	const char *path = sqlite3_db_filename(r->db, "main");
	struct pull_ckpt *k;

	if (path == NULL || path[0] == '\0' || (k = calloc(1, sizeof *k)) == NULL)
		return;
	if (sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK || db_exec(k->db, "PRAGMA synchronous = NORMAL", NULL, 0) != 0) {
		sqlite3_close(k->db);
		free(k);
		return;
	}
	pthread_mutex_init(&k->mu, NULL);
	pthread_cond_init(&k->cv, NULL);
	if (pthread_create(&k->th, NULL, ckpt_main, k) != 0) {
		pthread_cond_destroy(&k->cv);
		pthread_mutex_destroy(&k->mu);
		sqlite3_close(k->db);
		free(k);
		return;
	}
	sqlite3_wal_hook(r->db, ckpt_hook, k);   /* in place of the automatic checkpoint */
	r->pull_ckpt = k;
}

/*
 * The last pages are in: later commits (the index build's) no longer wake
 * the checkpointer, so that ckpt_stop, right after, does not wait for a
 * checkpoint of them. What they leave in the WAL is checkpointed as at any
 * other time (ckpt_stop).
 */
static void
ckpt_quiet(struct replica *r)
{
	struct pull_ckpt *k = r->pull_ckpt;

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	k->quiet = true;
	pthread_mutex_unlock(&k->mu);
}

/*
 * Stop the checkpointer (after the checkpoint it may be running) and give
 * the applier's connection its automatic checkpoint back: the WAL pages
 * written since are checkpointed by the next commit past CKPT_FRAMES, as
 * at any other time.
 */
static void
ckpt_stop(struct replica *r)
{
	struct pull_ckpt *k = r->pull_ckpt;

	if (k == NULL)
		return;
	sqlite3_wal_autocheckpoint(r->db, CKPT_FRAMES);   /* removes ckpt_hook */
	pthread_mutex_lock(&k->mu);
	k->stop = true;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	pthread_join(k->th, NULL);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	sqlite3_close(k->db);
	free(k);
	r->pull_ckpt = NULL;
}

/* The page cache of a pull, in KiB: a street's members and their indexes stay in memory. */
#define PULL_CACHE_KIB 65536

/*
 * The page cache of a first pull, in KiB: SQLite's default. Its secondary
 * indexes are dropped until the last page, and ids are time-ordered (UUID
 * version 7), so its writes go to the right edge of each B-tree and a large
 * cache holds nothing that is read again. It only cost: each page of cache
 * is memory touched for the first time, a page fault per 4 KiB (~20 us on a
 * virtual machine). A first pull of 100,000 members with 64 MiB took 44,000
 * to 51,000 faults and 1.5-2.6 s of CPU; with this and 1,000-row pages
 * (sync_pull.c) 7,100 faults and 0.9-1.2 s, peak RSS 112 -> 26 MB.
 */
#define PULL_FIRST_CACHE_KIB 2000

/*
 * r->pull_cache_saved while the pull has not been prepared (pull_prepare):
 * no page has written yet, the cache is as the connection had it, and
 * rep_pull_end puts nothing back (nor for 0). Kept in that field
 * because the replica's struct (replica_int.h) is not this file's.
 */
#define PULL_UNPREPARED INT_MIN

/*
 * The work of a pull that writes: its page cache, whether it is a
 * first pull (from the cursors, still as before the pull), and the
 * checkpointer of a first pull. Done by the first page that writes (or by
 * rep_pull_begin when indexes are pending), so that a pull with nothing in
 * it (a no-op sync) does none of it. 0, or -1 with err.
 */
static int
pull_prepare(struct replica *r, char *err, size_t errlen)
{
	uint64_t cursors[TBL_COUNT], evict, note;
	sqlite3_stmt *st;
	char sql[64];

	r->pull_cache_saved = 0;
	if (cursors_read(r, cursors, &evict, &note) != 0) {
		snprintf(err, errlen, "cannot read the replica: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	r->pull_first = evict == 0 && note == 0;
	for (int t = 0; t < TBL_COUNT; t++)
		if (cursors[t] != 0)
			r->pull_first = false;
	if (sqlite3_prepare_v2(r->db, "PRAGMA cache_size", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			r->pull_cache_saved = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (r->pull_first || r->pull_no_indexes) {
		/* Writing without indexes: the default cache (a desk's may be larger), put back after. */
		snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", PULL_FIRST_CACHE_KIB);
		db_exec(r->db, sql, NULL, 0);
	} else if (r->pull_cache_saved != 0 && r->pull_cache_saved > -PULL_CACHE_KIB) {
		/* Larger only: a desk's connection may hold a larger cache already. */
		snprintf(sql, sizeof sql, "PRAGMA cache_size = -%d", PULL_CACHE_KIB);
		db_exec(r->db, sql, NULL, 0);
	} else {
		r->pull_cache_saved = 0;   /* nothing to put back */
	}
	/* A first pull (or one carrying on after a kill) writes the whole scope. */
	if (r->pull_first || r->pull_no_indexes)
		ckpt_start(r);
	return 0;
}

int
rep_pull_begin(struct replica *r, char *err, size_t errlen)
{
	int p;

	r->pull_active = true;
	r->pull_first = false;
	r->pull_cache_saved = PULL_UNPREPARED;
	if ((p = indexes_pending(r)) < 0) {
		snprintf(err, errlen, "cannot read the replica: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	r->pull_no_indexes = p == 1;
	/* Indexes left dropped by a killed first pull: rep_pull_end builds them, pages or not. */
	if (r->pull_no_indexes)
		return pull_prepare(r, err, errlen);
	return 0;
}

int
rep_pull_end(struct replica *r, char *err, size_t errlen)
{
	int rc = 0;

	if (!r->pull_active)
		return 0;
	ckpt_quiet(r);
	if (r->pull_no_indexes)
		rc = indexes_build(r, err, errlen);
	ckpt_stop(r);
	if (r->pull_cache_saved != 0 && r->pull_cache_saved != PULL_UNPREPARED) {
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA cache_size = %d", r->pull_cache_saved);
		db_exec(r->db, sql, NULL, 0);
	}
	r->pull_active = r->pull_first = false;
	r->pull_cache_saved = 0;
	return rc;
}

/* Whether a page carries nothing to write but perhaps its cursors. */
static bool
page_is_empty(const Tongxin__PullResponse *page, size_t n_rows)
{
	return n_rows == 0 && page->n_evictions == 0 && page->n_resolutions == 0;
}

int
rep_apply_page(struct replica *r, const Tongxin__PullResponse *page, uint64_t *applied,
    uint64_t *evicted, uint64_t *notices, char *err, size_t errlen)
{
	return rep_apply_page_raw(r, page, NULL, applied, evicted, notices, err, errlen);
}

int
rep_apply_page_raw(struct replica *r, const Tongxin__PullResponse *page,
    const struct pull_raw *raw, uint64_t *applied, uint64_t *evicted, uint64_t *notices,
    char *err, size_t errlen)
{
	size_t n_rows = raw ? raw->n_rows : page->n_rows;
	bool moved;
	int check_pending, settle;

	/* A page that changes nothing writes nothing: a no-op sync leaves the file alone. */
	if (page_is_empty(page, n_rows)) {
		if (cursors_advance(r, page, false, &moved) != 0) {
			snprintf(err, errlen, "cannot read the pull cursors: %s", sqlite3_errmsg(r->db));
			return -1;
		}
		if (!moved)
			return 0;
	}
	/* The first page that writes prepares the pull (before its transaction: the cursors as they were). */
	if (r->pull_active && r->pull_cache_saved == PULL_UNPREPARED &&
	    pull_prepare(r, err, errlen) != 0)
		return -1;
	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/* Rows an unsent outbox entry may refer to: each is looked at before it changes. */
	if ((settle = any_outbox(r)) < 0)
		goto fail;
	/* The first page of a first pull that has more to come: no indexes until the last. */
	if (r->pull_active && r->pull_first && !r->pull_no_indexes && page->more &&
	    n_rows > 0 && indexes_drop(r) != 0)
		r->pull_first = false;   /* with them, then: slower, not wrong */
	for (size_t i = 0; i < page->n_evictions; i++)
		if (apply_eviction(r, page->evictions[i], settle, evicted) != 0) {
			snprintf(err, errlen, "cannot evict a row: %s", sqlite3_errmsg(r->db));
			goto fail;
		}
	/*
	 * Rows after evictions: a row that left and came back ends up present.
	 * A replica with nothing pending (a bootstrap) skips the per-row check.
	 */
	check_pending = n_rows > 0 ? any_pending(r) : 0;
	if (check_pending < 0)
		goto fail;
	if (settle)
		check_pending |= ROW_SETTLE;
	for (size_t i = 0; i < n_rows; i++)
		if ((raw ? apply_raw_row(r, raw->row_p[i], raw->row_n[i],
		    check_pending | ROW_TOMBSTONE, applied) :
		    apply_server_row(r, page->rows[i], check_pending | ROW_TOMBSTONE, applied)) != 0) {
			snprintf(err, errlen, "cannot apply a pulled row: %s", sqlite3_errmsg(r->db));
			goto fail;
		}
	for (size_t i = 0; i < page->n_resolutions; i++)
		if (apply_resolution(r, page->resolutions[i], notices) != 0)
			goto fail;
	if (cursors_advance(r, page, true, &moved) != 0 ||
	    db_exec(r->db, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot apply a pull page: %s", sqlite3_errmsg(r->db));
	db_exec(r->db, "ROLLBACK", NULL, 0);
	/* A rolled-back drop did not happen. */
	if (r->pull_no_indexes && indexes_pending(r) == 0)
		r->pull_no_indexes = false;
	return -1;
}
