/*
 * store_pull.c - what a device pulls: the rows of its scope since its
 * cursors, each page encoded from the SQLite columns straight into one frame
 * (common/pbwire.h), with no allocation per row or value; see store.h.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "frame.h"
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

		n = (size_t)snprintf(sql, sizeof sql, "SELECT id, ");
		for (int c = 0; c < td->ncols; c++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, "%s, ", td->cols[c].name);
		snprintf(sql + n, sizeof sql - n,
		    "_version, _deleted FROM %s WHERE _version > ?1"
		    " AND ((_scope >= ?2 AND _scope < ?3) OR (_scope2 >= ?2 AND _scope2 < ?3))"
		    " AND (_deleted = 0 OR ?1 > 0)"
		    " AND (?5 IS NULL OR _echo = 0 OR _device IS NOT ?5)"
		    " ORDER BY _version LIMIT ?4", td->name);
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

_Static_assert(TBL_COUNT <= 64, "pull_page.echo_tables has a bit per table");

/*
 * Room left in front of the PullResponse for the frame header and the
 * envelope's own fields: 4 (length) + 1 + 5 (id) + 2 (tag 23) + 5 (length).
 */
#define PAGE_RESERVE 17

void
pull_page_init(struct pull_page *pg)
{
	memset(pg, 0, sizeof *pg);
	pbw_init(&pg->buf, PAGE_RESERVE + FRAME_MAX);
	pbw_init(&pg->row, FRAME_MAX);
	pbw_init(&pg->aux, FRAME_MAX);
}

void
pull_page_free(struct pull_page *pg)
{
	if (pg == NULL)
		return;
	pbw_free(&pg->buf);
	pbw_free(&pg->row);
	pbw_free(&pg->aux);
	pg->frame = NULL;
	pg->frame_len = 0;
}

/* Decimal length of an integer as SQLite prints it: the byte estimate store_pull always used. */
static size_t
int_text_len(sqlite3_int64 v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = v < 0 ? 2 : 1;

	while (u >= 10) {
		u /= 10;
		n++;
	}
	return n;
}

/*
 * Column col of the current row as a Value message, field 5 of a Row
 * (sint64 i = 1, double r = 2, string s = 3, NULL = an empty Value: a
 * oneof member is written even when it is 0 or empty). Returns what the
 * page's byte estimate counts for it, as store_pull counted it.
 */
static size_t
enc_value(struct pbw *w, sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER: {
		sqlite3_int64 v = sqlite3_column_int64(st, col);
		uint64_t zz = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
		pbw_tag(w, 5, PB_LEN);
		pbw_varint(w, 1 + pb_varint_size(zz));
		pbw_tag(w, 1, PB_VARINT);
		pbw_varint(w, zz);
		return int_text_len(v) + 4;
	}
	case SQLITE_FLOAT:
		pbw_tag(w, 5, PB_LEN);
		pbw_varint(w, 9);
		pbw_double(w, 2, sqlite3_column_double(st, col));
		return (size_t)sqlite3_column_bytes(st, col) + 4;   /* rare: no REAL column */
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const unsigned char *t = sqlite3_column_text(st, col);
		size_t n = (size_t)sqlite3_column_bytes(st, col), est = n + 4;
		const unsigned char *nul = n > 0 ? memchr(t, 0, n) : NULL;
		/* A C string as protobuf-c sends it: up to a NUL (a BLOB may hold one). */
		if (nul != NULL)
			n = (size_t)(nul - t);
		pbw_tag(w, 5, PB_LEN);
		pbw_varint(w, 1 + pb_varint_size(n) + n);
		pbw_bytes(w, 3, t, n);
		return est;
	}
	default:
		pbw_tag(w, 5, PB_LEN);
		pbw_varint(w, 0);
		return 4;
	}
}

/*
 * The current row of table t's pull statement as a Row message into w
 * (emptied first); proto3 leaves out fields at their defaults. Returns the
 * byte estimate of the row.
 */
static size_t
enc_row(struct pbw *w, sqlite3_stmt *st, int t, uint64_t version, int deleted)
{
	const struct table_def *td = &schema_tables[t];
	const unsigned char *id = sqlite3_column_text(st, 0);
	size_t idn = (size_t)sqlite3_column_bytes(st, 0), bytes = 64;

	pbw_reset(w);
	if (t != 0)
		pbw_uint(w, 1, (uint64_t)t);
	if (idn > 0)
		pbw_bytes(w, 2, id, idn);
	if (version != 0)
		pbw_uint(w, 3, version);
	if (deleted) {
		pbw_uint(w, 4, 1);
		return bytes;
	}
	for (int c = 0; c < td->ncols; c++)
		bytes += enc_value(w, st, c + 1);
	return bytes;
}

/*
 * Whether table t's rows that the pulling device wrote itself and already
 * holds (_echo) may be left out: not when the device pulls the table from
 * cursor 0 (a fresh replica holds nothing yet).
 */
static int
echo_skippable(const struct pull_page *pg, int t)
{
	return !(pg->echo_tables >> t & 1);
}

/* Rows of every table since the cursors, as field 1 of the response. 0, or -1 with err. */
static int
page_rows(struct sq_store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    const char *hi, uint64_t snapshot, struct pull_page *pg, char *err, size_t errlen)
{
	uint32_t max = req->max_rows ? req->max_rows : PULL_MAX_ROWS;
	size_t bytes = 0;

	if (max > PULL_MAX_ROWS)
		max = PULL_MAX_ROWS;
	for (int t = 0; t < TBL_COUNT; t++) {
		sqlite3_stmt *st = s->pull[t];
		uint64_t cur = t < (int)req->n_cursors ? req->cursors[t] : 0;
		uint32_t room = max - pg->n_rows, got = 0;
		int rc;

		pg->cursors[t] = cur;
		if (room == 0 || bytes >= PULL_MAX_BYTES) {
			pg->more = 1;
			continue;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cur);
		sqlite3_bind_text(st, 2, who->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, room);
		if (echo_skippable(pg, t) && who->device_id != NULL)
			sqlite3_bind_text(st, 5, who->device_id, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 5);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int nc = schema_tables[t].ncols;
			uint64_t v = (uint64_t)sqlite3_column_int64(st, nc + 1);

			bytes += enc_row(&pg->row, st, t, v, sqlite3_column_int(st, nc + 2) != 0);
			pbw_bytes(&pg->buf, 1, pg->row.p, pg->row.len);
			pg->cursors[t] = v;
			pg->n_rows++;
			got++;
			if (bytes >= PULL_MAX_BYTES)
				break;
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			snprintf(err, errlen, "pull %s: %s", schema_tables[t].name,
			    sqlite3_errmsg(s->db));
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
		if (got < room && bytes < PULL_MAX_BYTES)
			pg->cursors[t] = snapshot;   /* nothing more in scope up to the snapshot */
		else
			pg->more = 1;
	}
	return 0;
}

/*
 * Rows that left the device's scope since req's evict cursor, as Eviction
 * messages into pg->aux (field 4 each), pg->evict_cursor advanced.
 */
static int
page_evictions(struct sq_store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    const char *hi, uint64_t snapshot, struct pull_page *pg, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->evict_get;
	const size_t cap = 1024;
	size_t fetched = 0;
	int rc;

	pbw_reset(&pg->aux);
	pg->evict_cursor = req->evict_cursor;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)req->evict_cursor);
	sqlite3_bind_text(st, 2, who->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)cap);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int et = sqlite3_column_int(st, 1);
		const char *eid = (const char *)sqlite3_column_text(st, 2);
		size_t idn = (size_t)sqlite3_column_bytes(st, 2);
		struct srow cur;

		fetched++;
		pg->evict_cursor = (uint64_t)sqlite3_column_int64(st, 0);
		if (eid == NULL)
			continue;
		/* A row that left and came back is in scope again: not evicted. */
		if (et >= 0 && et < TBL_COUNT && row_load(s, et, eid, &cur) == 0) {
			int back = cur.exists && !cur.deleted &&
			    (in_scope(cur.scope, who->scope) || in_scope(cur.scope2, who->scope));
			srow_clear(&cur);
			if (back)
				continue;
		}
		pbw_reset(&pg->row);
		if (et != 0)
			pbw_uint(&pg->row, 1, (uint64_t)(uint32_t)et);
		if (idn > 0)
			pbw_bytes(&pg->row, 2, eid, idn);
		pbw_bytes(&pg->aux, 4, pg->row.p, pg->row.len);
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "pull evictions: %s", sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (fetched == cap)
		pg->more = 1;
	else
		pg->evict_cursor = snapshot;
	return 0;
}

/* A packed uint64 list (proto3's repeated scalars), unless it is empty. */
static void
enc_packed(struct pbw *w, uint32_t field, const uint64_t *v, size_t n)
{
	size_t len = 0;

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		len += pb_varint_size(v[i]);
	pbw_tag(w, field, PB_LEN);
	pbw_varint(w, len);
	for (size_t i = 0; i < n; i++)
		pbw_varint(w, v[i]);
}

/*
 * The resolutions of this device's conflicts (store_resolutions: rare and
 * small) as field 7 each, packed by protobuf-c into out; pg->note_cursor
 * advanced. -1 when memory runs out.
 */
static int
page_resolutions(struct sq_store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    struct pull_page *pg, struct pbw *out)
{
	Tongxin__PullResponse tmp = TONGXIN__PULL_RESPONSE__INIT;
	int rc = 0;

	pg->note_cursor = req->note_cursor;
	if (store_resolutions(&s->base, who, &pg->note_cursor, &tmp) != 0)
		rc = -1;
	if (tmp.more)
		pg->more = 1;
	for (size_t i = 0; i < tmp.n_resolutions; i++) {
		size_t n = tongxin__resolution__get_packed_size(tmp.resolutions[i]);
		uint8_t *p = malloc(n ? n : 1);

		if (p == NULL) {
			rc = -1;
		} else {
			tongxin__resolution__pack(tmp.resolutions[i], p);
			pbw_bytes(out, 7, p, n);
			free(p);
		}
		tongxin__resolution__free_unpacked(tmp.resolutions[i], NULL);
	}
	free(tmp.resolutions);
	return rc;
}

/* Write v as a varint at p; the number of bytes. */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * Put the frame header and the envelope's fields in front of the
 * PullResponse that follows PAGE_RESERVE bytes into pg->buf. -1 with err if
 * the frame would pass FRAME_MAX.
 */
static int
page_frame(struct pull_page *pg, uint32_t envelope_id, char *err, size_t errlen)
{
	size_t body = pg->buf.len - PAGE_RESERVE, env, pre, n = 0;
	uint8_t *p;

	env = (envelope_id ? 1 + pb_varint_size(envelope_id) : 0) + 2 + pb_varint_size(body) + body;
	if (env > FRAME_MAX) {
		snprintf(err, errlen, "pull page of %zu bytes over the frame limit", env);
		return -1;
	}
	pre = FRAME_HDR_LEN + env - body;
	assert(pre <= PAGE_RESERVE);
	p = pg->buf.p + PAGE_RESERVE - pre;
	p[n++] = (uint8_t)(env >> 24);
	p[n++] = (uint8_t)(env >> 16);
	p[n++] = (uint8_t)(env >> 8);
	p[n++] = (uint8_t)env;
	if (envelope_id) {
		p[n++] = 1 << 3 | PB_VARINT;
		n += put_varint(p + n, envelope_id);
	}
	n += put_varint(p + n, (uint64_t)TONGXIN__ENVELOPE__BODY_PULL_RESULT << 3 | PB_LEN);
	n += put_varint(p + n, body);
	assert(n == pre);
	pg->frame = p;
	pg->frame_len = pre + body;
	return 0;
}

/*
 * TONGXIN_PULL_TRACE=FILE appends a line per page made (when it started and
 * was ready, CLOCK_MONOTONIC seconds, as the client's trace in
 * client/sync_pull.c), for finding where a pull waits. Off unless set.
 */
static void
trace_page(const struct pull_page *pg, const struct timespec *t0)
{
	static int state;   /* 0 not looked, 1 off, 2 on */
	static const char *path;
	struct timespec t1;
	FILE *f;

	if (state == 0) {
		path = getenv("TONGXIN_PULL_TRACE");
		state = path != NULL && path[0] != '\0' ? 2 : 1;
	}
	if (state != 2 || (f = fopen(path, "a")) == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(f, "S %u start %.6f ready %.6f rows %u bytes %zu\n", pg->pages,
	    (double)t0->tv_sec + (double)t0->tv_nsec / 1e9,
	    (double)t1.tv_sec + (double)t1.tv_nsec / 1e9, pg->n_rows, pg->frame_len);
	fclose(f);
}

int
sqs_pull_page(struct store *base, const struct store_actor *who, const Tongxin__PullRequest *req,
    uint32_t envelope_id, struct pull_page *pg, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	struct timespec t0;
	static const uint8_t reserve[PAGE_RESERVE];
	char hi[SCOPE_MAX];
	uint64_t snapshot;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pg->pages == 0) {
		/* A table pulled from 0 is one the replica holds nothing of yet. */
		pg->echo_tables = 0;
		for (int t = 0; t < TBL_COUNT; t++)
			if (t >= (int)req->n_cursors || req->cursors[t] == 0)
				pg->echo_tables |= (uint64_t)1 << t;
	}
	pg->frame = NULL;
	pg->frame_len = 0;
	pg->n_rows = 0;
	pg->more = 0;
	pbw_reset(&pg->buf);
	pbw_reset(&pg->row);
	pbw_reset(&pg->aux);
	pbw_raw(&pg->buf, reserve, sizeof reserve);
	scope_hi(who->scope, hi, sizeof hi);
	if (db_exec(s->db, "BEGIN", err, errlen) != 0)
		return -1;
	/*
	 * The last version committed, read in this read transaction: the rows
	 * it sees are exactly those up to it, whichever connection (this
	 * process's store thread) wrote them.
	 */
	if (store_committed_version(s, &snapshot) != 0) {
		snprintf(err, errlen, "cannot read the version: %s", sqlite3_errmsg(s->db));
		goto rollback;
	}
	/* PullResponse in field order, as protobuf-c writes it. */
	if (page_rows(s, who, req, hi, snapshot, pg, err, errlen) != 0)
		goto rollback;
	enc_packed(&pg->buf, 2, pg->cursors, TBL_COUNT);
	if (page_evictions(s, who, req, hi, snapshot, pg, err, errlen) != 0)
		goto rollback;
	if (pg->evict_cursor != 0)
		pbw_uint(&pg->buf, 3, pg->evict_cursor);
	pbw_raw(&pg->buf, pg->aux.p, pg->aux.len);
	pbw_reset(&pg->aux);
	if (page_resolutions(s, who, req, pg, &pg->aux) != 0) {
		snprintf(err, errlen, "out of memory");
		goto rollback;
	}
	db_exec(s->db, "COMMIT", NULL, 0);
	if (pg->more)
		pbw_uint(&pg->buf, 5, 1);
	pbw_raw(&pg->buf, pg->aux.p, pg->aux.len);
	if (pg->note_cursor != 0)
		pbw_uint(&pg->buf, 8, pg->note_cursor);
	if (pg->buf.failed || pg->row.failed || pg->aux.failed) {
		snprintf(err, errlen, "out of memory, or a pull page over the frame limit");
		return -1;
	}
	if (page_frame(pg, envelope_id, err, errlen) != 0)
		return -1;
	trace_page(pg, &t0);
	pg->pages++;
	return 0;
rollback:
	db_exec(s->db, "ROLLBACK", NULL, 0);
	return -1;
}

/*
 * The old interface, for callers that want the message: one page made by
 * store_pull_page and unpacked by protobuf-c (one path reads rows). It keeps
 * no state from page to page, so echoes are sent only for tables whose
 * cursor in req is 0.
 */
int
sqs_pull(struct store *base, const struct store_actor *who, const Tongxin__PullRequest *req,
    Tongxin__PullResponse **out, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	struct pull_page pg;
	struct pbr r;
	struct pb_field f;
	int rc;

	*out = NULL;
	pull_page_init(&pg);
	if (store_pull_page(&s->base, who, req, 0, &pg, err, errlen) != 0) {
		pull_page_free(&pg);
		return -1;
	}
	pbr_init(&r, pg.frame + FRAME_HDR_LEN, pg.frame_len - FRAME_HDR_LEN);
	while ((rc = pbr_next(&r, &f)) == 1)
		if (f.field == TONGXIN__ENVELOPE__BODY_PULL_RESULT && f.wt == PB_LEN)
			break;
	if (rc == 1)
		*out = tongxin__pull_response__unpack(NULL, f.len, f.data);
	pull_page_free(&pg);
	if (*out == NULL) {
		snprintf(err, errlen, rc == 1 ? "out of memory" : "pull page without its response");
		return -1;
	}
	return 0;
}
