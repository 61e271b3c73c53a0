/*
 * pull_page.c - a pull page made from any backend's rows (store.h's
 * store_pull_page): the backend reads (store_backend.h: pull_begin,
 * pull_rows, pull_evictions, pull_end) and hands each row's columns to
 * pull_put_row as plain values; this file encodes them straight into one
 * frame (common/pbwire.h) with no allocation per row or value, and puts the
 * cursors, evictions, resolutions and the frame around them.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"
#include "store_backend.h"

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
int_text_len(int64_t v)
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
 * Whether table t's rows that the pulling device wrote itself and already
 * holds (_echo) may be left out: not when the device pulls the table from
 * cursor 0 (a fresh replica holds nothing yet).
 */
static int
echo_skippable(const struct pull_page *pg, int t)
{
	return !(pg->echo_tables >> t & 1);
}

int
pull_put_row(struct pull_page *pg, int t, const char *id, size_t idn, uint64_t version,
    int deleted, const struct pull_val *v)
{
	const struct table_def *td = &schema_tables[t];
	struct pbw *w = &pg->row;
	size_t bytes = 64;

	pbw_reset(w);
	if (t != 0)
		pbw_uint(w, 1, (uint64_t)t);
	if (idn > 0)
		pbw_bytes(w, 2, id, idn);
	if (version != 0)
		pbw_uint(w, 3, version);
	if (deleted) {
		pbw_uint(w, 4, 1);
	} else {
		/*
		 * Each column as a Value message, field 5 of a Row (sint64 i = 1,
		 * string s = 3, NULL = an empty Value: a oneof member is written
		 * even when it is 0 or empty). The byte estimate is the one
		 * store_pull always counted: the value as SQLite prints it, + 4.
		 */
		for (int c = 0; c < td->ncols; c++) {
			switch (v[c].kind) {
			case PULL_INT: {
				uint64_t zz = ((uint64_t)v[c].i << 1) ^ (uint64_t)(v[c].i >> 63);
				pbw_tag(w, 5, PB_LEN);
				pbw_varint(w, 1 + pb_varint_size(zz));
				pbw_tag(w, 1, PB_VARINT);
				pbw_varint(w, zz);
				bytes += int_text_len(v[c].i) + 4;
				break;
			}
			case PULL_REAL:
				pbw_tag(w, 5, PB_LEN);
				pbw_varint(w, 9);
				pbw_double(w, 2, v[c].r);
				bytes += v[c].n + 4;   /* its text's length, as SQLite gives it */
				break;
			case PULL_TEXT: {
				size_t n = v[c].n;
				const unsigned char *nul = n > 0 ? memchr(v[c].p, 0, n) : NULL;
				bytes += n + 4;
				/* A C string as protobuf-c sends it: up to a NUL (a BLOB may hold one). */
				if (nul != NULL)
					n = (size_t)(nul - v[c].p);
				pbw_tag(w, 5, PB_LEN);
				pbw_varint(w, 1 + pb_varint_size(n) + n);
				pbw_bytes(w, 3, v[c].p, n);
				break;
			}
			default:
				pbw_tag(w, 5, PB_LEN);
				pbw_varint(w, 0);
				bytes += 4;
				break;
			}
		}
	}
	pbw_bytes(&pg->buf, 1, w->p, w->len);
	pg->cursors[t] = version;
	pg->n_rows++;
	pg->bytes += bytes;
	return pg->bytes < PULL_MAX_BYTES;
}

int
pull_put_eviction(struct store *s, const struct store_actor *who, struct pull_page *pg,
    uint64_t version, int t, const char *id, size_t idn)
{
	pg->evict_cursor = version;
	if (id == NULL)
		return 0;
	/* A row that left and came back is in scope again: not evicted. */
	if (t >= 0 && t < TBL_COUNT) {
		struct srow cur;
		int back;
		if (STO(&s->eng, row_load, t, id, &cur) != 0)
			return -1;
		back = cur.exists && !cur.deleted ? row_seen(&s->eng, t, id, &cur, who->scope) : 0;
		srow_clear(&cur);
		if (back < 0)
			return -1;
		if (back)
			return 0;
	}
	pbw_reset(&pg->row);
	if (t != 0)
		pbw_uint(&pg->row, 1, (uint64_t)(uint32_t)t);
	if (idn > 0)
		pbw_bytes(&pg->row, 2, id, idn);
	pbw_bytes(&pg->aux, 4, pg->row.p, pg->row.len);
	return 0;
}

/* Rows of every table since the cursors, as field 1 of the response. 0, or -1 with err. */
static int
page_rows(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    struct pull_query *q, struct pull_page *pg, char *err, size_t errlen)
{
	uint32_t max = req->max_rows ? req->max_rows : PULL_MAX_ROWS;

	if (max > PULL_MAX_ROWS)
		max = PULL_MAX_ROWS;
	for (int t = 0; t < TBL_COUNT; t++) {
		uint32_t got = pg->n_rows;

		q->cursor = t < (int)req->n_cursors ? req->cursors[t] : 0;
		q->room = max - pg->n_rows;
		q->echo_device = echo_skippable(pg, t) ? who->device_id : NULL;
		pg->cursors[t] = q->cursor;
		if (q->room == 0 || pg->bytes >= PULL_MAX_BYTES) {
			pg->more = 1;
			continue;
		}
		if (s->be->pull_rows(s, t, q, pg, err, errlen) != 0)
			return -1;
		got = pg->n_rows - got;
		if (got < q->room && pg->bytes < PULL_MAX_BYTES)
			pg->cursors[t] = q->upto;   /* nothing more in scope up to the snapshot */
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
page_evictions(struct store *s, const Tongxin__PullRequest *req, struct pull_query *q,
    struct pull_page *pg, char *err, size_t errlen)
{
	uint32_t fetched = 0;

	pbw_reset(&pg->aux);
	pg->evict_cursor = req->evict_cursor;
	q->cursor = req->evict_cursor;
	q->room = PULL_EVICT_MAX;
	if (s->be->pull_evictions(s, q, pg, &fetched, err, errlen) != 0)
		return -1;
	if (fetched == PULL_EVICT_MAX)
		pg->more = 1;
	else
		pg->evict_cursor = q->upto;
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
page_resolutions(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    struct pull_page *pg, struct pbw *out)
{
	Tongxin__PullResponse tmp = TONGXIN__PULL_RESPONSE__INIT;
	int rc = 0;

	pg->note_cursor = req->note_cursor;
	if (store_resolutions(s, who, &pg->note_cursor, &tmp) != 0)
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
store_pull_page(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    uint32_t envelope_id, struct pull_page *pg, char *err, size_t errlen)
{
	struct timespec t0;
	static const uint8_t reserve[PAGE_RESERVE];
	char hi[SCOPE_MAX];
	struct pull_query q = { .who = who, .scope = who->scope, .hi = hi };

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
	pg->bytes = 0;
	pg->more = 0;
	pbw_reset(&pg->buf);
	pbw_reset(&pg->row);
	pbw_reset(&pg->aux);
	pbw_raw(&pg->buf, reserve, sizeof reserve);
	scope_hi(who->scope, hi, sizeof hi);
	/* One consistent view: every row the page reads is at or below q.upto. */
	if (s->be->pull_begin(s, &q.upto, err, errlen) != 0)
		return -1;
	/* PullResponse in field order, as protobuf-c writes it. */
	if (page_rows(s, who, req, &q, pg, err, errlen) != 0)
		goto fail;
	enc_packed(&pg->buf, 2, pg->cursors, TBL_COUNT);
	if (page_evictions(s, req, &q, pg, err, errlen) != 0)
		goto fail;
	if (pg->evict_cursor != 0)
		pbw_uint(&pg->buf, 3, pg->evict_cursor);
	pbw_raw(&pg->buf, pg->aux.p, pg->aux.len);
	pbw_reset(&pg->aux);
	if (page_resolutions(s, who, req, pg, &pg->aux) != 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->be->pull_end(s);
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
fail:
	s->be->pull_end(s);
	return -1;
}

/*
 * The old interface, for callers that want the message: one page made by
 * store_pull_page and unpacked by protobuf-c (one path reads rows). It keeps
 * no state from page to page, so echoes are sent only for tables whose
 * cursor in req is 0.
 */
int
store_pull(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    Tongxin__PullResponse **out, char *err, size_t errlen)
{
	struct pull_page pg;
	struct pbr r;
	struct pb_field f;
	int rc;

	*out = NULL;
	pull_page_init(&pg);
	if (store_pull_page(s, who, req, 0, &pg, err, errlen) != 0) {
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

int
store_scope_cond(char *buf, size_t cap, int t, const char *lo, const char *hi)
{
	int n;

	n = snprintf(buf, cap, "((_scope >= %s AND _scope < %s) OR (_scope2 >= %s AND _scope2 < %s)",
	    lo, hi, lo, hi);
	if (n >= 0 && (size_t)n < cap && schema_shared(t))
		n += snprintf(buf + n, cap - (size_t)n, " OR id IN (SELECT row_id FROM share"
		    " WHERE tbl = %d AND scope >= %s AND scope < %s)", t, lo, hi);
	if (n >= 0 && (size_t)n < cap && (schema_tables[t].flags & TBLF_DOWN))
		n += snprintf(buf + n, cap - (size_t)n, " OR substr(%s, 1, length(_scope)) = _scope",
		    lo);
	if (n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, ")");
	return n >= 0 && (size_t)n < cap ? 0 : -1;
}
