/*
 * replica_recover.c - what a replica sends back to a server restored from
 * a backup (see RecoverRequest in proto/tongxin.proto and
 * server/store_restore.c).
 *
 * The restored server lost the versions between restored_version and
 * version_floor. This replica holds the state of some rows at such
 * versions (changes of its own the server acknowledged, changes of others
 * it pulled) and tombstones of rows deleted at such versions: those go
 * back. A row with a change still in the outbox goes back as the server
 * last had it (its base: the values before the clerk's first pending
 * change), so the change itself is pushed afterwards as an ordinary one and
 * judged against what the server then holds. The conflicts the server
 * queued for this device may be lost too: their transactions, kept whole
 * in outcome, are sent again (a server that still has one answers it as a
 * duplicate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "replica_int.h"
#include "value.h"

/* The rows of one batch, owned here. */
struct rec_batch {
	Tongxin__Row **rows;
	size_t n, cap;
};

static void
row_free(Tongxin__Row *row)
{
	if (row == NULL)
		return;
	for (size_t k = 0; k < row->n_values; k++)
		value_clear(row->values[k]);
	if (row->n_values)
		free(row->values[0]);   /* one array of Values; values[] points into it */
	free(row->values);
	free(row->row_id);
	free(row);
}

static void
batch_clear(struct rec_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		row_free(b->rows[i]);
	b->n = 0;
}

/* A new row message with room for n values (all NULL). NULL on OOM. */
static Tongxin__Row *
row_new(int t, const char *id, uint64_t version, size_t n)
{
	Tongxin__Row *row = calloc(1, sizeof *row);
	Tongxin__Value *vals = NULL;

	if (row == NULL)
		return NULL;
	tongxin__row__init(row);
	row->table = (uint32_t)t;
	row->version = version;
	if ((row->row_id = strdup(id)) == NULL)
		goto oom;
	if (n > 0) {
		if ((vals = calloc(n, sizeof *vals)) == NULL ||
		    (row->values = calloc(n, sizeof *row->values)) == NULL)
			goto oom;
		for (size_t k = 0; k < n; k++) {
			tongxin__value__init(&vals[k]);
			row->values[k] = &vals[k];
		}
		row->n_values = n;
	}
	return row;
oom:
	free(vals);
	free(row->values);
	free(row->row_id);
	free(row);
	return NULL;
}

/*
 * The values of a row with pending changes as the server last had them:
 * each column a pending update changed takes the value before the first
 * such change. 1 when the row was made here and never reached the server
 * (nothing to send back), 0 done, -1 on error.
 */
static int
row_base(struct replica *r, const char *id, Tongxin__Row *row)
{
	sqlite3_stmt *st = NULL;
	uint64_t set = 0;
	uint8_t *buf = NULL;
	size_t cap = 0;
	int rc = 0;

	if (sqlite3_prepare_v2(r->db, "SELECT o.txn FROM pending p JOIN outbox o ON o.seq = p.seq"
	    " WHERE p.row_id = ?1 ORDER BY p.seq", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		const uint8_t *full;
		size_t flen;
		Tongxin__Txn *tx;

		if (rep_outbox_expand(r->db, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0),
		    &buf, &cap, &full, &flen) < 0 ||
		    (tx = tongxin__txn__unpack(NULL, flen, full)) == NULL) {
			rc = -1;
			break;
		}
		for (size_t i = 0; rc == 0 && i < tx->n_changes; i++) {
			const Tongxin__Change *c = tx->changes[i];
			if (strcmp(c->row_id, id) != 0)
				continue;
			if (c->op == TONGXIN__CHANGE__OP__OP_INSERT) {
				rc = 1;
				break;
			}
			if (c->op != TONGXIN__CHANGE__OP__OP_UPDATE || c->n_before != c->n_cols)
				continue;
			for (size_t j = 0; j < c->n_cols; j++) {
				uint32_t k = c->cols[j];
				if (k >= row->n_values || (set & (1ull << k)))
					continue;
				set |= 1ull << k;
				value_clear(row->values[k]);
				tongxin__value__init(row->values[k]);
				if (value_copy(row->values[k], c->before[j]) != 0)
					rc = -1;
			}
		}
		tongxin__txn__free_unpacked(tx, NULL);
	}
	sqlite3_finalize(st);
	free(buf);
	return rc;
}

static int
batch_add(struct rec_batch *b, Tongxin__Row *row)
{
	if (b->n == b->cap) {
		size_t nc = b->cap ? b->cap * 2 : 64;
		Tongxin__Row **p = realloc(b->rows, nc * sizeof *p);
		if (p == NULL)
			return -1;
		b->rows = p;
		b->cap = nc;
	}
	b->rows[b->n++] = row;
	return 0;
}

/* Hand a full batch (or, with last, whatever is left) to each. */
static int
batch_flush(struct rec_batch *b, size_t max, bool last,
    int (*each)(Tongxin__Row *const *rows, size_t n, bool last, void *arg), void *arg)
{
	int rc;

	if (b->n < max && !last)
		return 0;
	rc = each(b->rows, b->n, last, arg);
	batch_clear(b);
	return rc;
}

/*
 * Add row to the batch (taking it: freed if it cannot be added) and hand a
 * full batch to each. 0, each's non-zero result, or -1 with *oom set.
 */
static int
batch_take(struct rec_batch *b, Tongxin__Row *row, size_t max,
    int (*each)(Tongxin__Row *const *rows, size_t n, bool last, void *arg), void *arg, bool *oom)
{
	if (batch_add(b, row) != 0) {
		row_free(row);
		*oom = true;
		return -1;
	}
	return batch_flush(b, max, false, each, arg);
}

int
rep_recover_scan(struct replica *r, uint64_t lo, uint64_t hi, size_t max,
    int (*each)(Tongxin__Row *const *rows, size_t n, bool last, void *arg), void *arg,
    uint64_t *nrows, char *err, size_t errlen)
{
	struct rec_batch b = { 0 };
	sqlite3_stmt *st = NULL;
	char sql[4096];
	bool oom = false;
	int rc = -1;

	*nrows = 0;
	/* Tables in schema order: an organisation before the members it holds. */
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		size_t n = (size_t)snprintf(sql, sizeof sql, "SELECT id, _version");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
		/* Versions the server gave (> 0): a row an unsent entry refers to has -seq. */
		snprintf(sql + n, sizeof sql - n, " FROM %s WHERE _version > ?1 AND _version < ?2"
		    " AND _version > 0 ORDER BY _version", td->name);
		if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)lo);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)hi);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			Tongxin__Row *row = row_new(t, id, (uint64_t)sqlite3_column_int64(st, 1),
			    (size_t)td->ncols);
			int base = 0;

			if (row == NULL)
				goto oom;
			for (int c = 0; c < td->ncols; c++)
				if (value_from_column(st, c + 2, row->values[c]) != 0) {
					row_free(row);
					goto oom;
				}
			sqlite3_bind_text(r->pending_has, 1, id, -1, SQLITE_STATIC);
			if (sqlite3_step(r->pending_has) == SQLITE_ROW)
				base = 1;
			sqlite3_reset(r->pending_has);
			if (base && (base = row_base(r, id, row)) != 0) {
				row_free(row);
				if (base < 0) {
					snprintf(err, errlen, "cannot read the outbox for row %s", id);
					rc = -1;
					goto out;
				}
				continue;   /* made here, not yet sent: the push sends it */
			}
			(*nrows)++;
			if ((rc = batch_take(&b, row, max, each, arg, &oom)) != 0)
				goto out;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	/* Rows deleted at a lost version: a row that came back since is sent as it is. */
	if (sqlite3_prepare_v2(r->db, "SELECT g.tbl, g.row_id, g.version FROM gone g"
	    " WHERE g.version > ?1 AND g.version < ?2 ORDER BY g.version", -1, &st,
	    NULL) != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)lo);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)hi);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int t = sqlite3_column_int(st, 0);
		const char *id = (const char *)sqlite3_column_text(st, 1);
		sqlite3_stmt *get;
		Tongxin__Row *row;
		int present;

		if (t < 0 || t >= TBL_COUNT || (get = rep_tstmt(r, TS_GET, t)) == NULL)
			continue;
		sqlite3_bind_text(get, 1, id, -1, SQLITE_STATIC);
		present = sqlite3_step(get) == SQLITE_ROW;
		sqlite3_reset(get);
		if (present)
			continue;
		if ((row = row_new(t, id, (uint64_t)sqlite3_column_int64(st, 2), 0)) == NULL)
			goto oom;
		row->deleted = 1;
		(*nrows)++;
		if ((rc = batch_take(&b, row, max, each, arg, &oom)) != 0)
			goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	rc = batch_flush(&b, max, true, each, arg);
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
	rc = -1;
	goto out;
sqlfail:
	snprintf(err, errlen, "cannot read the replica: %s", sqlite3_errmsg(r->db));
	rc = -1;
out:
	if (oom)
		snprintf(err, errlen, "out of memory");
	sqlite3_finalize(st);
	batch_clear(&b);
	free(b.rows);
	return rc;
}

int
rep_open_conflicts(struct replica *r, int (*each)(const uint8_t *txn, size_t n, void *arg),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc = 0;

	if (sqlite3_prepare_v2(r->db, "SELECT txn FROM outcome WHERE status = 'conflict' AND"
	    " resolution IS NULL AND txn IS NOT NULL ORDER BY seq", -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the kept conflicts: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		rc = each(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), arg);
	sqlite3_finalize(st);
	return rc;
}

int
rep_epoch_adopt(struct replica *r, const char *epoch, bool recovered, char *err,
    size_t errlen)
{
	if (db_exec(r->db, "BEGIN IMMEDIATE", err, errlen) != 0)
		return -1;
	/*
	 * After a recovery every row is pulled again (from 1, not 0: deleted
	 * rows too), so the replica ends as the restored server has it: rows
	 * it lost when they left this scope come back, rows deleted since the
	 * restore go.
	 */
	if ((recovered && db_exec(r->db, "UPDATE cursor SET version = 1 WHERE tbl >= 0 AND"
	    " version > 1", err, errlen) != 0) ||
	    db_meta_set(r->db, "epoch", epoch) != 0 ||
	    db_exec(r->db, "COMMIT", err, errlen) != 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "cannot record the server's epoch: %s",
			    sqlite3_errmsg(r->db));
		db_exec(r->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	return 0;
}
