/* replica_pull.c - pulled pages and the pull cursors of the replica; see replica.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
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

/* Make the replica show the server's state of a row (unless it has pending changes). */
int
apply_server_row(struct replica *r, const Tongxin__Row *row, int check_pending, uint64_t *applied)
{
	const struct table_def *td;
	sqlite3_stmt *st;
	int rc;

	if (row->table >= TBL_COUNT || !id_valid(row->row_id))
		return -1;
	td = &schema_tables[row->table];
	if (check_pending && row_pending(r, row->row_id))
		return 0;
	if (row->as_sent) {
		/* The server holds what we inserted: only its version is new. */
		st = r->ver[row->table];
		sqlite3_bind_text(st, 1, row->row_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)row->version);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (row->deleted) {
		st = r->del[row->table];
		sqlite3_bind_text(st, 1, row->row_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (applied && sqlite3_changes(r->db) > 0)
			(*applied)++;
		return rc == SQLITE_DONE ? 0 : -1;
	}
	if (row->n_values != (size_t)td->ncols)
		return -1;
	st = r->upsert[row->table];
	sqlite3_bind_text(st, 1, row->row_id, -1, SQLITE_STATIC);
	for (int k = 0; k < td->ncols; k++)
		value_bind_static(st, k + 2, row->values[k]);
	sqlite3_bind_int64(st, td->ncols + 2, (sqlite3_int64)row->version);
	rc = sqlite3_step(st);
	sqlite3_reset(st);   /* row outlives the step; every parameter is bound each time */
	if (applied)
		(*applied)++;
	return rc == SQLITE_DONE ? 0 : -1;
}


uint64_t
rep_note_cursor(struct replica *r)
{
	sqlite3_stmt *st;
	uint64_t v = 0;

	if (sqlite3_prepare_v2(r->db, "SELECT version FROM cursor WHERE tbl = -2", -1, &st,
	    NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
rep_cursors(struct replica *r, uint64_t *cursors, uint64_t *evict_cursor)
{
	sqlite3_stmt *st;

	memset(cursors, 0, TBL_COUNT * sizeof *cursors);
	*evict_cursor = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT tbl, version FROM cursor", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int t = sqlite3_column_int(st, 0);
		uint64_t v = (uint64_t)sqlite3_column_int64(st, 1);
		if (t >= 0 && t < TBL_COUNT)
			cursors[t] = v;
		else if (t == -1)
			*evict_cursor = v;
	}
	sqlite3_finalize(st);
	return 0;
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

int
rep_apply_page(struct replica *r, const Tongxin__PullResponse *page, uint64_t *applied,
    uint64_t *evicted, uint64_t *notices, char *err, size_t errlen)
{
	int check_pending;

	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < page->n_evictions; i++) {
		const Tongxin__Eviction *e = page->evictions[i];
		sqlite3_stmt *st;
		if (e->table >= TBL_COUNT)
			continue;
		st = r->del[e->table];
		sqlite3_bind_text(st, 1, e->row_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			snprintf(err, errlen, "cannot evict a row: %s", sqlite3_errmsg(r->db));
			goto fail;
		}
		sqlite3_reset(st);
		if (evicted)
			*evicted += (uint64_t)sqlite3_changes(r->db);
		/* Kept copies of our own changes to that row go too: personal data leaves whole. */
		if (sqlite3_prepare_v2(r->db, "UPDATE outcome SET txn = NULL WHERE txn IS NOT NULL"
		    " AND instr(txn, CAST(?1 AS BLOB)) > 0", -1, &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(st, 1, e->row_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
	}
	/* Rows after evictions: a row that left and came back ends up present. */
	{
		/* A replica with nothing pending (a bootstrap) skips the per-row check. */
		int any_pending = 0;
		sqlite3_stmt *st;
		if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM pending LIMIT 1", -1, &st, NULL) ==
		    SQLITE_OK) {
			any_pending = sqlite3_step(st) == SQLITE_ROW;
			sqlite3_finalize(st);
		} else {
			any_pending = 1;
		}
		check_pending = any_pending;
	}
	for (size_t i = 0; i < page->n_rows; i++)
		if (apply_server_row(r, page->rows[i], check_pending, applied) != 0) {
			snprintf(err, errlen, "cannot apply a pulled row: %s", sqlite3_errmsg(r->db));
			goto fail;
		}
	for (size_t i = 0; i < page->n_resolutions; i++) {
		const Tongxin__Resolution *res = page->resolutions[i];
		sqlite3_stmt *st;
		char text[600], note[REASON_TEXT_MAX];
		/*
		 * As the clerk reads it: the decision's label (its first word is the
		 * code: "set name=..." keeps the columns), who decided, the note.
		 */
		char code[32];
		const char *rest = strchr(res->decision, ' ');
		snprintf(code, sizeof code, "%.*s", rest ? (int)(rest - res->decision) :
		    (int)strlen(res->decision), res->decision);
		snprintf(text, sizeof text, "%s%s%s%s%s%s", vocab_show(vocab_get("decision"),
		    code), rest ? rest : "", res->resolved_by[0] ? "（" : "", res->resolved_by,
		    res->resolved_by[0] ? "）" : "", res->note[0] ? "；" : "");
		snprintf(text + strlen(text), sizeof text - strlen(text), "%s", res->note);
		/*
		 * Settled: the server keeps the whole change; the replica keeps the
		 * outcome but no longer the values (they may be another office's now).
		 */
		if (sqlite3_prepare_v2(r->db, "UPDATE outcome SET resolution = ?2, txn = NULL"
		    " WHERE conflict_id = ?1", -1, &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(st, 1, res->conflict_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
		if (sqlite3_changes(r->db) == 0) {
			/* Not one of our changes: a value we wrote was replaced by a newer edit. */
			if (sqlite3_prepare_v2(r->db, "INSERT OR IGNORE INTO notice (id, at, text)"
			    " VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
				goto fail;
			sqlite3_bind_text(st, 1, res->conflict_id, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, res->resolved_at_ms);
			/* A newer-wins decision, in Chinese from its code when the server sent one. */
			reason_show(res->reason_code, (const char *const *)res->reason_args,
			    res->n_reason_args, res->note, note, sizeof note);
			sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_DONE) {
				sqlite3_finalize(st);
				goto fail;
			}
			sqlite3_finalize(st);
			if (notices)
				(*notices)++;
		}
	}
	for (int t = 0; t < TBL_COUNT && t < (int)page->n_cursors; t++)
		if (cursor_set(r, t, page->cursors[t]) != 0)
			goto fail;
	if (cursor_set(r, -2, page->note_cursor) != 0 ||
	    cursor_set(r, -1, page->evict_cursor) != 0 ||
	    db_exec(r->db, "COMMIT", err, errlen) != 0)
		goto fail;
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot apply a pull page: %s", sqlite3_errmsg(r->db));
	db_exec(r->db, "ROLLBACK", NULL, 0);
	return -1;
}
