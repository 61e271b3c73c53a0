/*
 * test_pull_page.c - pull pages encoded straight from SQLite
 * (store_pull_page) against the protobuf-c path they replace, and the
 * rows a device wrote itself left out of its pulls.
 *
 * A real tongxind holds a street (admin A), communities SQ01 (office O)
 * and SQ02 (office P). O adds members (Chinese text, integers, NULLs, an
 * empty text), deletes some; the street edits one, moves two to SQ02 (an
 * eviction for O) and wins a same-field clash that queues O's change as a
 * conflict, which an administrator then settles (a resolution for O). The
 * server is stopped, a few values no client sends are written into its
 * database (a REAL, a BLOB, the extreme integers, addresses of 200 KB so
 * that pages end at PULL_MAX_BYTES) and the store opened here, so that:
 *
 *   1. every page store_pull_page makes, for O, P and A, from cursors 0
 *      and 1, with max_rows 0 (the server's limit), 1 and 4, is byte for
 *      byte the frame protobuf-c makes of what the old store_pull (kept
 *      below as the reference) returns for the same request, decodes with
 *      frame_decode, and the pages carry deleted rows, evictions and the
 *      resolution;
 *   2. O's pull from cursor 1 leaves out exactly the rows whose current
 *      state O wrote and was told (_echo = 1, _device = O) and sends every
 *      other row of its scope (the street's edit, the settled conflict),
 *      over pages of 4 rows, none twice;
 *   3. a pull from cursor 0 (a fresh replica) sends O's own rows too,
 *      across every page of the pull;
 *   4. store_pull, now a wrapper, returns what the reference returns;
 *   5. the client's in-place reading of every page (client/pull_raw.c) finds
 *      the rows protobuf-c finds, value for value, and the rest of the
 *      envelope decodes to the same cursors, evictions and resolutions; and
 *      of each page mutated at random (bytes changed, cut short), whatever
 *      both readers accept, they read alike.
 */
#include "sync_harness.h"

#include "db.h"
#include "frame.h"
#include "pull_raw.h"
#include "store_internal.h"

static struct h_server S;
static struct h_dev A, O, P;
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], sq2[ID_TEXT_LEN + 1];
static char b1[ID_TEXT_LEN + 1], c1[ID_TEXT_LEN + 1];
static struct h_ids mine;   /* members O added */

/* ------------------------------------------------ the reference (old store_pull) */

static void
ref_scope_hi(const char *prefix, char *hi, size_t cap)
{
	size_t n = strlen(prefix);
	snprintf(hi, cap, "%s", prefix);
	if (n > 0 && n < cap)
		hi[n - 1] = (char)(prefix[n - 1] + 1);
}

/*
 * store_pull as it was before pages were encoded from SQLite: a
 * Tongxin__PullResponse with an allocation per row and per value. The
 * statements' ?5 stays unbound (NULL): every row is sent.
 */
static int
ref_pull(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    Tongxin__PullResponse **out)
{
	Tongxin__PullResponse *resp;
	uint32_t max = req->max_rows ? req->max_rows : PULL_MAX_ROWS;
	size_t bytes = 0;
	char hi[SCOPE_MAX];
	uint64_t snapshot;

	*out = NULL;
	if (max > PULL_MAX_ROWS)
		max = PULL_MAX_ROWS;
	ref_scope_hi(who->scope, hi, sizeof hi);
	resp = malloc(sizeof *resp);
	H_CHECK(resp != NULL, "oom");
	tongxin__pull_response__init(resp);
	resp->rows = calloc(max, sizeof *resp->rows);
	resp->cursors = calloc(TBL_COUNT, sizeof *resp->cursors);
	H_CHECK(resp->rows && resp->cursors, "oom");
	resp->n_cursors = TBL_COUNT;
	H_CHECK(db_exec(SQ(s)->db, "BEGIN", NULL, 0) == 0, "begin");
	snapshot = SQ(s)->version;
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		sqlite3_stmt *st = SQ(s)->pull[t];
		uint64_t cur = t < (int)req->n_cursors ? req->cursors[t] : 0;
		uint32_t room = max - (uint32_t)resp->n_rows;
		uint32_t got = 0;
		int rc;

		resp->cursors[t] = cur;
		if (room == 0 || bytes >= PULL_MAX_BYTES) {
			resp->more = 1;
			continue;
		}
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cur);
		sqlite3_bind_text(st, 2, who->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, room);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			Tongxin__Row *m = malloc(sizeof *m);
			H_CHECK(m != NULL, "oom");
			tongxin__row__init(m);
			resp->rows[resp->n_rows++] = m;
			got++;
			m->table = (uint32_t)t;
			m->row_id = strdup((const char *)sqlite3_column_text(st, 0));
			m->version = (uint64_t)sqlite3_column_int64(st, td->ncols + 1);
			m->deleted = sqlite3_column_int(st, td->ncols + 2) != 0;
			resp->cursors[t] = m->version;
			bytes += 64;
			if (m->deleted)
				continue;
			m->values = calloc((size_t)td->ncols, sizeof *m->values);
			for (int c = 0; c < td->ncols; c++) {
				m->values[c] = malloc(sizeof **m->values);
				m->n_values++;
				H_CHECK(value_from_column(st, c + 1, m->values[c]) == 0, "oom");
				bytes += (size_t)sqlite3_column_bytes(st, c + 1) + 4;
			}
			if (bytes >= PULL_MAX_BYTES)
				break;
		}
		H_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE, "pull %s: %s", td->name,
		    sqlite3_errmsg(SQ(s)->db));
		sqlite3_reset(st);
		if (got < room && bytes < PULL_MAX_BYTES)
			resp->cursors[t] = snapshot;
		else
			resp->more = 1;
	}
	{
		sqlite3_stmt *st = SQ(s)->evict_get;
		size_t cap = 1024, fetched = 0;
		resp->evict_cursor = req->evict_cursor;
		resp->evictions = calloc(cap, sizeof *resp->evictions);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)req->evict_cursor);
		sqlite3_bind_text(st, 2, who->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, hi, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)cap);
		while (sqlite3_step(st) == SQLITE_ROW) {
			Tongxin__Eviction *e;
			int et = sqlite3_column_int(st, 1);
			const char *eid = (const char *)sqlite3_column_text(st, 2);
			struct srow cur;

			fetched++;
			resp->evict_cursor = (uint64_t)sqlite3_column_int64(st, 0);
			if (et >= 0 && et < TBL_COUNT && row_load(SQ(s), et, eid, &cur) == 0) {
				int back = cur.exists && !cur.deleted &&
				    (in_scope(cur.scope, who->scope) || in_scope(cur.scope2, who->scope));
				srow_clear(&cur);
				if (back)
					continue;
			}
			e = malloc(sizeof *e);
			tongxin__eviction__init(e);
			resp->evictions[resp->n_evictions++] = e;
			e->table = (uint32_t)et;
			e->row_id = strdup(eid);
		}
		sqlite3_reset(st);
		if (fetched == cap)
			resp->more = 1;
		else
			resp->evict_cursor = snapshot;
	}
	resp->note_cursor = req->note_cursor;
	H_CHECK(store_resolutions(s, who, &resp->note_cursor, resp) == 0, "store_resolutions");
	db_exec(SQ(s)->db, "COMMIT", NULL, 0);
	*out = resp;
	return 0;
}

/* ------------------------------------------------------------------ setup */

static void
setup(void)
{
	Tongxin__Value v[64];
	struct h_member m;
	char id[ID_TEXT_LEN + 1];

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, sq2);
	dev_add_org(&A, "SQ01B1", "第一党支部", "branch", sq1, b1);
	dev_add_org(&A, "SQ02B1", "第一党支部", "branch", sq2, c1);
	dev_sync(&A, &S, NULL);
	dev_new(&O, &S, "SQ01", "office-sq01", 0);
	dev_new(&P, &S, "SQ02", "office-sq02", 0);
	dev_sync(&O, &S, NULL);
	dev_sync(&P, &S, NULL);

	/* O's members: three transactions of ten. */
	for (int k = 0; k < 3; k++) {
		dev_begin(&O);
		for (int i = 0; i < 10; i++) {
			h_member_vals(v, &m, b1, NULL);
			if (i == 0)
				h_set(v, TBL_MEMBER, "address", "北京市朝阳区幸福路１号院（东门）");
			if (i == 1)
				h_set(v, TBL_MEMBER, "job", "");
			dev_insert(&O, TBL_MEMBER, v, id);
			h_ids_add(&mine, id);
		}
		dev_commit(&O);
	}
	dev_sync(&O, &S, NULL);
	/* Three deleted by O. */
	dev_begin(&O);
	for (int i = 27; i < 30; i++)
		dev_delete(&O, TBL_MEMBER, mine.v[i]);
	dev_commit(&O);
	dev_sync(&O, &S, NULL);
	/* The street edits member 0, moves members 1 and 2 to SQ02, and edits 3's name first. */
	dev_sync(&A, &S, NULL);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, mine.v[0], "phone", "13900000000", 0);
	dev_update1(&A, TBL_MEMBER, mine.v[1], "org_id", c1, 0);
	dev_update1(&A, TBL_MEMBER, mine.v[2], "org_id", c1, 0);
	dev_update1(&A, TBL_MEMBER, mine.v[3], "name", "街道改名", 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	/* O, not having pulled, renames member 3 too: a conflict. */
	dev_begin(&O);
	dev_update1(&O, TBL_MEMBER, mine.v[3], "name", "社区改名", 0);
	dev_commit(&O);
	dev_sync(&O, &S, NULL);
	H_CHECK(h_sql_int(replica_db(O.r), "SELECT count(*) FROM outcome WHERE status = 'conflict'",
	    NULL, NULL) == 1, "O's rename should have been queued as a conflict");
	srv_stop(&S);
}

/*
 * Values no client sends but a column may hold, written into the stopped
 * server's database directly: a REAL, a BLOB, the extreme integers (their
 * decimal length counts towards the page's bytes), and addresses of 200 KB
 * each, so that the pages of a pull end at PULL_MAX_BYTES, not only at
 * max_rows. The versions stay: only the encoding is exercised.
 */
static void
odd_values(void)
{
	char path[4300], *big, sql[1024];
	sqlite3 *db;
	const size_t n = 200 * 1024;

	snprintf(path, sizeof path, "%s/tongxind.db", S.dir);
	H_CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
	big = malloc(n + 1);
	H_CHECK(big != NULL, "oom");
	for (size_t i = 0; i < n; i += 3)
		memcpy(big + i, "党", i + 3 <= n ? 3 : n - i);
	big[n - n % 3] = '\0';
	for (int i = 4; i < 27; i++) {
		sqlite3_stmt *st;
		snprintf(sql, sizeof sql, "UPDATE member SET address = ?1 || '%d' WHERE id = ?2", i);
		H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
		    sqlite3_errmsg(db));
		sqlite3_bind_text(st, 1, big, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, mine.v[i], -1, SQLITE_STATIC);
		H_CHECK(sqlite3_step(st) == SQLITE_DONE, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	snprintf(sql, sizeof sql, "UPDATE member SET retired = 2.5, job = X'E78E8B00' WHERE id = '%s';"
	    "UPDATE member SET retired = -9223372036854775808 WHERE id = '%s';"
	    "UPDATE member SET retired = 9223372036854775807 WHERE id = '%s'",
	    mine.v[5], mine.v[6], mine.v[7]);
	H_CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	free(big);
}

/* ------------------------------------------------------------------ checks */

static void
actor_of(const struct h_dev *d, struct store_actor *a)
{
	memset(a, 0, sizeof *a);
	a->device_id = d->device_id;
	a->device_name = d->name;
	a->role = d->admin ? "admin" : "office";
	a->scope = d->scope;
	a->operator_name = "test";
}

struct seen {
	int pages, rows, deleted, evictions, resolutions;
};

/* Whether the raw row (pull_raw_row of p, n) is the decoded row d, as the replica binds them. */
static int
raw_row_equal(const uint8_t *p, size_t n, const Tongxin__Row *d)
{
	struct raw_row r;

	if (pull_raw_row(p, n, &r) != 0 || r.table != d->table || r.version != d->version ||
	    r.deleted != (d->deleted != 0) || r.as_sent != (d->as_sent != 0) ||
	    r.n_values != d->n_values || strnlen(r.row_id, r.row_id_len) != strlen(d->row_id) ||
	    memcmp(r.row_id, d->row_id, strlen(d->row_id)) != 0)
		return 0;
	for (size_t k = 0; k < r.n_values; k++) {
		const struct raw_value *a = &r.values[k];
		const Tongxin__Value *b = d->values[k];
		if (a->kind != (int)b->kind_case)
			return 0;
		if (a->kind == TONGXIN__VALUE__KIND_I && a->i != b->i)
			return 0;
		if (a->kind == TONGXIN__VALUE__KIND_R && memcmp(&a->r, &b->r, sizeof a->r) != 0)
			return 0;
		/* Text up to its first NUL, as both paths bind it. */
		if (a->kind == TONGXIN__VALUE__KIND_S && (strnlen(a->s, a->len) != strlen(b->s) ||
		    memcmp(a->s, b->s, strlen(b->s)) != 0))
			return 0;
	}
	return 1;
}

/*
 * Split a copy of body (len bytes) and compare with frame_decode's reading.
 * Returns 1 when both accept and agree, 0 when both refuse, -1 when they
 * disagree on accepting, -2 when both accept and the rows or the rest differ.
 */
static int
raw_compare(struct pull_raw *raw, const uint8_t *body, size_t len)
{
	Tongxin__Envelope *dec, *rest = NULL;
	int ok_raw, rc = 1;

	dec = frame_decode(body, len);
	ok_raw = pull_raw_split_copy(raw, body, len) == 0 &&
	    (rest = frame_decode(raw->rest, raw->rest_len)) != NULL;
	if (dec == NULL || !ok_raw) {
		rc = dec == NULL && !ok_raw ? 0 : -1;
		goto out;
	}
	if (dec->id != rest->id || dec->body_case != rest->body_case) {
		rc = -2;
		goto out;
	}
	if (dec->body_case == TONGXIN__ENVELOPE__BODY_PULL_RESULT) {
		const Tongxin__PullResponse *a = dec->pull_result, *b = rest->pull_result;
		if (b->n_rows != 0 || a->n_rows != raw->n_rows || a->more != b->more ||
		    a->evict_cursor != b->evict_cursor || a->note_cursor != b->note_cursor ||
		    a->n_cursors != b->n_cursors || a->n_evictions != b->n_evictions ||
		    a->n_resolutions != b->n_resolutions ||
		    (a->n_cursors && memcmp(a->cursors, b->cursors, a->n_cursors * sizeof a->cursors[0])))
			rc = -2;
		for (size_t i = 0; rc == 1 && i < a->n_rows; i++)
			if (!raw_row_equal(raw->row_p[i], raw->row_n[i], a->rows[i]))
				rc = -2;
	}
out:
	envelope_free(dec);
	envelope_free(rest);
	return rc;
}

/* Check 5 on one page: the page itself, then mutations of it. */
static void
raw_check(const uint8_t *body, size_t len, const char *what)
{
	static unsigned seed = 12345;
	static int disagree;
	struct pull_raw raw = { 0 };
	uint8_t *m = malloc(len);

	H_CHECK(m != NULL, "out of memory");
	H_CHECK(raw_compare(&raw, body, len) == 1, "%s: the in-place reading differs from "
	    "protobuf-c's", what);
	/* Fewer for the 200 KB pages: each mutation is decoded twice (under ASan in make test). */
	for (int k = 0; k < (len > 65536 ? 10 : 40); k++) {
		size_t n = len;
		int rc;
		memcpy(m, body, len);
		for (int j = 0; j < 1 + k % 4; j++)
			m[(size_t)rand_r(&seed) % len] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		if (k % 5 == 4)
			n = (size_t)rand_r(&seed) % len + 1;
		rc = raw_compare(&raw, m, n);
		H_CHECK(rc != -2, "%s, mutation %d: both readers accept it and read it differently",
		    what, k);
		if (rc == -1 && disagree++ < 5)
			h_log("%s, mutation %d: one reader accepts, the other refuses", what, k);
	}
	pull_raw_free(&raw);
	free(m);
}

/*
 * Part 1: the pages of one whole pull, new against the reference, from
 * cursors all c0, max_rows max. echo_tables is set to every table so that
 * nothing is left out (the reference sends everything).
 */
static void
compare_pull(struct store *s, const struct h_dev *d, uint64_t c0, uint32_t max, struct seen *sn)
{
	struct store_actor who;
	uint64_t cursors[TBL_COUNT];
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	struct pull_page pg;
	char err[512] = "";
	int more = 1;

	actor_of(d, &who);
	for (int t = 0; t < TBL_COUNT; t++)
		cursors[t] = c0;
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.max_rows = max;
	pull_page_init(&pg);
	pg.pages = 1;
	pg.echo_tables = ~(uint64_t)0;
	while (more) {
		Tongxin__PullResponse *ref;
		Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *dec;
		uint8_t *want;
		size_t want_len;
		uint32_t eid = 77 + (uint32_t)sn->pages * 1000;

		H_CHECK(sn->pages < 10000, "the pull does not end");
		ref_pull(s, &who, &req, &ref);
		H_CHECK(store_pull_page(s, &who, &req, eid, &pg, err, sizeof err) == 0,
		    "store_pull_page: %s", err);
		env.id = eid;
		env.body_case = TONGXIN__ENVELOPE__BODY_PULL_RESULT;
		env.pull_result = ref;
		want = frame_encode(&env, &want_len);
		H_CHECK(want != NULL, "frame_encode of the reference page");
		if (pg.frame_len != want_len || memcmp(pg.frame, want, want_len) != 0) {
			size_t i = 0;
			while (i < want_len && i < pg.frame_len && pg.frame[i] == want[i])
				i++;
			H_CHECK(0, "%s, cursors %llu, max_rows %u, page %d: the frame differs from "
			    "protobuf-c's (%zu vs %zu bytes, first difference at byte %zu)", d->name,
			    (unsigned long long)c0, max, sn->pages, pg.frame_len, want_len, i);
		}
		dec = frame_decode(pg.frame + FRAME_HDR_LEN, pg.frame_len - FRAME_HDR_LEN);
		H_CHECK(dec != NULL && dec->id == eid &&
		    dec->body_case == TONGXIN__ENVELOPE__BODY_PULL_RESULT, "the page does not decode");
		raw_check(pg.frame + FRAME_HDR_LEN, pg.frame_len - FRAME_HDR_LEN, d->name);
		H_CHECK(pg.n_rows == ref->n_rows && pg.more == (int)ref->more &&
		    pg.evict_cursor == ref->evict_cursor && pg.note_cursor == ref->note_cursor,
		    "the page's summary differs from the reference");
		for (int t = 0; t < TBL_COUNT; t++)
			H_CHECK(pg.cursors[t] == ref->cursors[t], "cursor %d differs", t);
		sn->pages++;
		sn->rows += (int)ref->n_rows;
		for (size_t i = 0; i < ref->n_rows; i++)
			sn->deleted += ref->rows[i]->deleted;
		sn->evictions += (int)ref->n_evictions;
		sn->resolutions += (int)ref->n_resolutions;
		more = ref->more;
		memcpy(cursors, ref->cursors, sizeof cursors);
		req.evict_cursor = ref->evict_cursor;
		req.note_cursor = ref->note_cursor;
		envelope_free(dec);
		free(want);
		tongxin__pull_response__free_unpacked(ref, NULL);
	}
	pull_page_free(&pg);
}

/* Row ids (member table) a whole pull sends; echo rules as the server applies them. */
static int
pull_ids(struct store *s, const struct h_dev *d, uint64_t c0, uint32_t max, struct h_ids *ids)
{
	struct store_actor who;
	uint64_t cursors[TBL_COUNT];
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	struct pull_page pg;
	char err[512] = "";
	int more = 1, total = 0;

	actor_of(d, &who);
	for (int t = 0; t < TBL_COUNT; t++)
		cursors[t] = c0;
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.max_rows = max;
	memset(ids, 0, sizeof *ids);
	pull_page_init(&pg);
	while (more) {
		Tongxin__Envelope *env;
		const Tongxin__PullResponse *r;

		H_CHECK(store_pull_page(s, &who, &req, 5, &pg, err, sizeof err) == 0,
		    "store_pull_page: %s", err);
		env = frame_decode(pg.frame + FRAME_HDR_LEN, pg.frame_len - FRAME_HDR_LEN);
		H_CHECK(env != NULL && env->body_case == TONGXIN__ENVELOPE__BODY_PULL_RESULT,
		    "the page does not decode");
		r = env->pull_result;
		H_CHECK(r->n_rows <= max, "a page of %zu rows, max_rows %u", r->n_rows, max);
		for (size_t i = 0; i < r->n_rows; i++) {
			if (r->rows[i]->table == TBL_MEMBER) {
				for (size_t k = 0; k < ids->n; k++)
					H_CHECK(strcmp(ids->v[k], r->rows[i]->row_id) != 0,
					    "member %s sent twice", r->rows[i]->row_id);
				h_ids_add(ids, r->rows[i]->row_id);
			}
			total++;
		}
		more = pg.more;
		memcpy(cursors, pg.cursors, sizeof cursors);
		req.evict_cursor = pg.evict_cursor;
		req.note_cursor = pg.note_cursor;
		envelope_free(env);
	}
	pull_page_free(&pg);
	return total;
}

static int
has(const struct h_ids *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], id) == 0)
			return 1;
	return 0;
}

/* Rows in d's scope (every table) with _version > c0, and how many of them are d's echoes. */
static int64_t
expect_rows(struct store *s, const struct h_dev *d, uint64_t c0, int64_t *echoes)
{
	char hi[512], sql[1024];
	int64_t n = 0;

	*echoes = 0;
	h_scope_hi(d->scope, hi, sizeof hi);
	for (int t = 0; t < TBL_COUNT; t++) {
		sqlite3_stmt *st;
		snprintf(sql, sizeof sql, "SELECT count(*), coalesce(sum(_echo = 1 AND _device = ?3), 0)"
		    " FROM %s WHERE _version > %llu AND ((_scope >= ?1 AND _scope < ?2) OR"
		    " (_scope2 >= ?1 AND _scope2 < ?2)) AND (_deleted = 0 OR %llu > 0)",
		    schema_tables[t].name, (unsigned long long)c0, (unsigned long long)c0);
		H_CHECK(sqlite3_prepare_v2(SQ(s)->db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
		    sqlite3_errmsg(SQ(s)->db));
		sqlite3_bind_text(st, 1, d->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, d->device_id, -1, SQLITE_STATIC);
		H_CHECK(sqlite3_step(st) == SQLITE_ROW, "count");
		n += sqlite3_column_int64(st, 0);
		if (t != TBL_SERVICE_REPORT)
			*echoes += sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
	}
	return n;
}

int
main(void)
{
	struct store *s;
	char err[1024] = "";
	struct seen sn;
	struct h_ids got;
	int64_t want, echoes;
	int n;
	const struct h_dev *devs[] = { &O, &P, &A };
	static const uint32_t maxes[] = { 0, 1, 4 };

	h_init("test_pull_page", 11);
	setup();
	odd_values();
	s = store_open(S.dir, 0, err, sizeof err);
	H_CHECK(s != NULL, "store_open: %s", err);
	{
		/* An administrator settles O's conflict: a resolution O learns by pull. */
		struct store_actor adm;
		Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
		Tongxin__ConflictResolveResponse *out = NULL;
		char cid[64] = "";
		H_CHECK(h_sql_text(SQ(s)->db, "SELECT id FROM conflict WHERE status = 'open'", NULL, cid,
		    sizeof cid) == 1, "no open conflict on the server");
		actor_of(&A, &adm);
		rr.id = cid;
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE;
		H_CHECK(store_conflict_resolve(s, &adm, &rr, &out, err, sizeof err) == 0,
		    "store_conflict_resolve: %s", err);
		tongxin__conflict_resolve_response__free_unpacked(out, NULL);
	}

	/* 1. Byte for byte what protobuf-c makes of the reference. */
	for (size_t d = 0; d < 3; d++)
		for (uint64_t c0 = 0; c0 < 2; c0++)
			for (size_t k = 0; k < 3; k++) {
				memset(&sn, 0, sizeof sn);
				compare_pull(s, devs[d], c0, maxes[k], &sn);
				h_log("%s from %llu, max_rows %u: %d pages, %d rows (%d deleted), "
				    "%d evictions, %d resolutions: equal", devs[d]->name,
				    (unsigned long long)c0, maxes[k], sn.pages, sn.rows, sn.deleted,
				    sn.evictions, sn.resolutions);
				if (devs[d] != &P && maxes[k] == 0)
					H_CHECK(sn.pages > 1, "23 rows of 200 KB should pass PULL_MAX_BYTES "
					    "on one page");
				if (devs[d] == &O && c0 == 1)
					H_CHECK(sn.deleted >= 3 && sn.evictions == 2 &&
					    sn.resolutions == 1, "O's pull from 1 should carry 3 deleted "
					    "rows, 2 evictions and 1 resolution");
				if (maxes[k] == 1)
					H_CHECK(sn.pages >= sn.rows, "pages of one row: %d pages for %d "
					    "rows", sn.pages, sn.rows);
			}

	/* 2. O from cursor 1: its own rows left out, everything else sent. */
	want = expect_rows(s, &O, 1, &echoes);
	H_CHECK(echoes >= 20, "O should have at least 20 echoed rows (has %lld)",
	    (long long)echoes);
	n = pull_ids(s, &O, 1, 4, &got);
	H_CHECK(n == want - echoes, "O's pull from 1 sent %d rows; %lld in scope less %lld echoes",
	    n, (long long)want, (long long)echoes);
	H_CHECK(has(&got, mine.v[0]), "the street's edit of O's member was not sent");
	H_CHECK(has(&got, mine.v[3]), "the settled conflict's row was not sent");
	for (int i = 4; i < 27; i++)
		H_CHECK(!has(&got, mine.v[i]), "O's own member %d was sent back", i);
	for (int i = 27; i < 30; i++)
		H_CHECK(!has(&got, mine.v[i]), "O's own deletion %d was sent back", i);
	h_log("O from 1, pages of 4: %d rows sent, %lld of its own left out", n, (long long)echoes);
	h_ids_free(&got);

	/* The other office pulls O's rows it can see (none), the street all of them. */
	want = expect_rows(s, &A, 1, &echoes);
	n = pull_ids(s, &A, 1, 4, &got);
	H_CHECK(n == want - echoes, "A's pull from 1 sent %d rows, want %lld", n,
	    (long long)(want - echoes));
	for (int i = 4; i < 30; i++)
		H_CHECK(has(&got, mine.v[i]), "the street did not receive O's member %d", i);
	h_ids_free(&got);

	/* 3. A fresh replica of O (cursor 0) receives all of its own rows, page after page. */
	memset(&sn, 0, sizeof sn);
	compare_pull(s, &O, 0, 4, &sn);
	n = pull_ids(s, &O, 0, 4, &got);
	H_CHECK(n == sn.rows, "O's pull from 0 sent %d rows, the reference %d", n, sn.rows);
	for (int i = 4; i < 27; i++)
		H_CHECK(has(&got, mine.v[i]), "a fresh replica of O missed its member %d", i);
	h_log("O from 0, pages of 4: all %d rows sent", n);
	h_ids_free(&got);

	/* 4. store_pull (the wrapper) from 0 as the reference. */
	{
		struct store_actor who;
		uint64_t cursors[TBL_COUNT] = { 0 };
		Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
		Tongxin__PullResponse *a = NULL, *b = NULL;
		size_t na, nb;
		uint8_t *pa, *pb;

		actor_of(&O, &who);
		req.cursors = cursors;
		req.n_cursors = TBL_COUNT;
		H_CHECK(store_pull(s, &who, &req, &a, err, sizeof err) == 0, "store_pull: %s", err);
		ref_pull(s, &who, &req, &b);
		na = tongxin__pull_response__get_packed_size(a);
		nb = tongxin__pull_response__get_packed_size(b);
		pa = malloc(na + 1);
		pb = malloc(nb + 1);
		tongxin__pull_response__pack(a, pa);
		tongxin__pull_response__pack(b, pb);
		H_CHECK(na == nb && memcmp(pa, pb, na) == 0 && a->n_rows > 20,
		    "store_pull differs from the reference (%zu vs %zu bytes)", na, nb);
		free(pa);
		free(pb);
		tongxin__pull_response__free_unpacked(a, NULL);
		tongxin__pull_response__free_unpacked(b, NULL);
	}
	h_ids_free(&mine);
	store_close(s);
	dev_close(&A);
	dev_close(&O);
	dev_close(&P);
	return h_done();
}
