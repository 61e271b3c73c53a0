/*
 * store_pull.c - SQLite's side of a pull page (pull_page.c makes the page):
 * one read transaction, the rows of a table in the device's scope since a
 * cursor, and the evictions, each row's columns handed to pull_put_row as
 * they lie in SQLite's statement.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "store_internal.h"

/*
 * The pull's statements, one per table. ?5 is the pulling device's id when
 * the rows it wrote itself and was told in its push result (_echo) are left
 * out, NULL when every row is sent; in the WHERE clause, so that LIMIT
 * counts only the rows sent.
 */
int
store_pull_prepare(struct sq_store *s)
{
	char sql[4096];

	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		size_t n;

		char cond[512];

		if (store_scope_cond(cond, sizeof cond, t, "?2", "?3") != 0)
			return -1;
		n = (size_t)snprintf(sql, sizeof sql, "SELECT id, ");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s, ", td->cols[c].name);
		snprintf(sql + n, sizeof sql - n,
		    "_version, _deleted FROM %s WHERE _version > ?1 AND %s"
		    " AND (_deleted = 0 OR ?1 > 0)"
		    " AND (?5 IS NULL OR _echo = 0 OR _device IS NOT ?5)"
		    " ORDER BY _version LIMIT ?4", td->name, cond);
		if ((s->pull[t] = db_prepare(s->db, sql)) == NULL)
			return -1;
	}
	s->evict_get = db_prepare(s->db,
	    "SELECT version, tbl, row_id FROM evict WHERE version > ?1"
	    " AND old_scope >= ?2 AND old_scope < ?3 AND NOT (new_scope >= ?2 AND new_scope < ?3)"
	    " ORDER BY version LIMIT ?4");
	return s->evict_get != NULL ? 0 : -1;
}

int
sqs_pull_begin(struct store *base, uint64_t *upto, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);

	if (db_exec(s->db, "BEGIN", err, errlen) != 0)
		return -1;
	/*
	 * The last version committed, read in this read transaction: the rows
	 * it sees are exactly those up to it, whichever connection (this
	 * process's store thread) wrote them.
	 */
	if (store_committed_version(s, upto) != 0) {
		snprintf(err, errlen, "cannot read the version: %s", sqlite3_errmsg(s->db));
		db_exec(s->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	return 0;
}

void
sqs_pull_end(struct store *base)
{
	db_exec(SQ(base)->db, "COMMIT", NULL, 0);
}

int
sqs_pull_rows(struct store *base, int t, const struct pull_query *q, struct pull_page *pg,
    char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st = s->pull[t];
	const int nc = schema_tables[t].ncols;
	struct pull_val v[MAX_COLS];
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->cursor);
	sqlite3_bind_text(st, 2, q->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->hi, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->room);
	if (q->echo_device != NULL)
		sqlite3_bind_text(st, 5, q->echo_device, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t version = (uint64_t)sqlite3_column_int64(st, nc + 1);
		int deleted = sqlite3_column_int(st, nc + 2) != 0;

		for (int c = 0; c < nc && !deleted; c++) {
			switch (sqlite3_column_type(st, c + 1)) {
			case SQLITE_INTEGER:
				v[c].kind = PULL_INT;
				v[c].i = sqlite3_column_int64(st, c + 1);
				break;
			case SQLITE_NULL:
				v[c].kind = PULL_NULL;
				break;
			case SQLITE_FLOAT:
				v[c].kind = PULL_REAL;
				v[c].r = sqlite3_column_double(st, c + 1);
				v[c].n = (size_t)sqlite3_column_bytes(st, c + 1);
				break;
			default:   /* text (no REAL column; a BLOB is sent as its bytes) */
				v[c].kind = PULL_TEXT;
				v[c].p = sqlite3_column_text(st, c + 1);
				v[c].n = (size_t)sqlite3_column_bytes(st, c + 1);
				break;
			}
		}
		if (!pull_put_row(pg, t, (const char *)sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), version, deleted, v))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "pull %s: %s", schema_tables[t].name, sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

int
sqs_pull_evictions(struct store *base, const struct pull_query *q, struct pull_page *pg,
    uint32_t *fetched, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st = s->evict_get;
	int rc;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)q->cursor);
	sqlite3_bind_text(st, 2, q->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->hi, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, q->room);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*fetched)++;
		if (pull_put_eviction(base, q->who, pg, (uint64_t)sqlite3_column_int64(st, 0),
		    sqlite3_column_int(st, 1), (const char *)sqlite3_column_text(st, 2),
		    (size_t)sqlite3_column_bytes(st, 2)) != 0) {
			rc = SQLITE_ERROR;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "pull evictions: %s", sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}
