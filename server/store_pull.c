/* store_pull.c - what a device pulls: the rows of its scope since its cursors; see store.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "store_internal.h"
#include "value.h"

int
store_pull_prepare(struct store *s)
{
	char sql[4096];

	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		size_t n;

		n = (size_t)snprintf(sql, sizeof sql, "SELECT id, ");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s, ", td->cols[c].name);
		snprintf(sql + n, sizeof sql - n,
		    "_version, _deleted FROM %s WHERE _version > ?1"
		    " AND ((_scope >= ?2 AND _scope < ?3) OR (_scope2 >= ?2 AND _scope2 < ?3))"
		    " AND (_deleted = 0 OR ?1 > 0) ORDER BY _version LIMIT ?4", td->name);
		if ((s->pull[t] = db_prepare(s->db, sql)) == NULL)
			return -1;
	}
	s->evict_get = db_prepare(s->db,
	    "SELECT version, tbl, row_id FROM evict WHERE version > ?1"
	    " AND old_scope >= ?2 AND old_scope < ?3 AND NOT (new_scope >= ?2 AND new_scope < ?3)"
	    " ORDER BY version LIMIT ?4");
	return s->evict_get != NULL ? 0 : -1;
}

/* Upper bound of a scope prefix range: "/A/B/" -> "/A/B0" ('/' + 1 == '0'). */
static void
scope_hi(const char *prefix, char *hi, size_t cap)
{
	size_t n = strlen(prefix);
	snprintf(hi, cap, "%s", prefix);
	if (n > 0 && n < cap)
		hi[n - 1] = (char)(prefix[n - 1] + 1);
}

int
store_pull(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    Tongxin__PullResponse **out, char *err, size_t errlen)
{
	Tongxin__PullResponse *resp;
	uint32_t max = req->max_rows ? req->max_rows : PULL_MAX_ROWS;
	size_t bytes = 0;
	char hi[SCOPE_MAX];
	uint64_t snapshot;

	*out = NULL;
	if (max > PULL_MAX_ROWS)
		max = PULL_MAX_ROWS;
	scope_hi(who->scope, hi, sizeof hi);
	if ((resp = malloc(sizeof *resp)) == NULL)
		goto oom;
	tongxin__pull_response__init(resp);
	if ((resp->rows = calloc(max, sizeof *resp->rows)) == NULL ||
	    (resp->cursors = calloc(TBL_COUNT, sizeof *resp->cursors)) == NULL)
		goto oom;
	resp->n_cursors = TBL_COUNT;
	if (db_exec(s->db, "BEGIN", err, errlen) != 0)
		goto fail;
	snapshot = s->version;
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		sqlite3_stmt *st = s->pull[t];
		uint64_t cur = t < (int)req->n_cursors ? req->cursors[t] : 0;
		uint32_t room = max - (uint32_t)resp->n_rows;
		uint32_t got = 0;
		int rc;

		resp->cursors[t] = cur;
		if (room == 0 || bytes >= PULL_MAX_BYTES) {
			resp->more = 1;
			continue;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cur);
		sqlite3_bind_text(st, 2, who->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, room);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			Tongxin__Row *m = malloc(sizeof *m);
			if (m == NULL)
				goto oom_reset;
			tongxin__row__init(m);
			resp->rows[resp->n_rows++] = m;
			got++;
			m->table = (uint32_t)t;
			m->row_id = strdup((const char *)sqlite3_column_text(st, 0));
			m->version = (uint64_t)sqlite3_column_int64(st, td->ncols + 1);
			m->deleted = sqlite3_column_int(st, td->ncols + 2) != 0;
			resp->cursors[t] = m->version;
			if (m->row_id == NULL)
				goto oom_reset;
			bytes += 64;
			if (m->deleted)
				continue;
			if ((m->values = calloc((size_t)td->ncols, sizeof *m->values)) == NULL)
				goto oom_reset;
			for (int c = 0; c < td->ncols; c++) {
				if ((m->values[c] = malloc(sizeof **m->values)) == NULL)
					goto oom_reset;
				m->n_values++;
				if (value_from_column(st, c + 1, m->values[c]) != 0)
					goto oom_reset;
				bytes += (size_t)sqlite3_column_bytes(st, c + 1) + 4;
			}
			if (bytes >= PULL_MAX_BYTES)
				break;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			snprintf(err, errlen, "pull %s: %s", td->name, sqlite3_errmsg(s->db));
			sqlite3_reset(st);
			goto rollback;
		}
		sqlite3_reset(st);
		if (got < room && bytes < PULL_MAX_BYTES)
			resp->cursors[t] = snapshot;   /* nothing more in scope up to the snapshot */
		else
			resp->more = 1;
	}
	/* Rows that left the device's scope. */
	{
		sqlite3_stmt *st = s->evict_get;
		size_t cap = 1024;
		int rc;
		resp->evict_cursor = req->evict_cursor;
		if ((resp->evictions = calloc(cap, sizeof *resp->evictions)) == NULL)
			goto oom_tx;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)req->evict_cursor);
		sqlite3_bind_text(st, 2, who->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)cap);
		size_t fetched = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			Tongxin__Eviction *e;
			int et = sqlite3_column_int(st, 1);
			const char *eid = (const char *)sqlite3_column_text(st, 2);
			struct srow cur;

			fetched++;
			resp->evict_cursor = (uint64_t)sqlite3_column_int64(st, 0);
			/* A row that left and came back is in scope again: not evicted. */
			if (et >= 0 && et < TBL_COUNT && row_load(s, et, eid, &cur) == 0) {
				int back = cur.exists && !cur.deleted &&
				    (in_scope(cur.scope, who->scope) || in_scope(cur.scope2, who->scope));
				srow_clear(&cur);
				if (back)
					continue;
			}
			if ((e = malloc(sizeof *e)) == NULL)
				goto oom_reset_ev;
			tongxin__eviction__init(e);
			resp->evictions[resp->n_evictions++] = e;
			e->table = (uint32_t)et;
			if ((e->row_id = strdup(eid)) == NULL)
				goto oom_reset_ev;
		}
		sqlite3_reset(st);
		if (fetched == cap)
			resp->more = 1;
		else
			resp->evict_cursor = snapshot;
	}
	/* How this device's conflicts were settled. */
	resp->note_cursor = req->note_cursor;
	if (store_resolutions(s, who, &resp->note_cursor, resp) != 0)
		goto oom_tx;
	db_exec(s->db, "COMMIT", NULL, 0);
	*out = resp;
	return 0;
oom_reset_ev:
	sqlite3_reset(s->evict_get);
	goto oom_tx;
oom_reset:
	for (int t = 0; t < TBL_COUNT; t++)
		sqlite3_reset(s->pull[t]);
oom_tx:
	db_exec(s->db, "ROLLBACK", NULL, 0);
oom:
	snprintf(err, errlen, "out of memory");
	goto fail;
rollback:
	db_exec(s->db, "ROLLBACK", NULL, 0);
fail:
	if (resp)
		tongxin__pull_response__free_unpacked(resp, NULL);
	return -1;
}

