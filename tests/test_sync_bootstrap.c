/*
 * test_sync_bootstrap.c - a new replica bootstraps its whole scope.
 *
 * The street loads 5,000 members into SQ01's branches and 1,000 into
 * SQ02's, 60 meetings with 10 attendance rows each in SQ01, then deletes
 * and edits some of them, so the server holds tombstones and rows with
 * many versions. Then:
 *   - a fresh SQ01 office joins and syncs once: it receives more rows than
 *     one pull page holds (5,000), exactly the live rows of its scope
 *     (pulled_rows equals that count: no tombstones, nothing twice), and
 *     equals the server table by table;
 *   - a fresh street device bootstraps everything the same way;
 *   - a third replica bootstraps through the wire by hand with pages of at
 *     most 500 rows (PullRequest.max_rows), applying each page with
 *     rep_apply_page: many pages, and the same result;
 *   - after more edits on the street (including members moved to SQ02), the
 *     bootstrapped office's next incremental sync converges again.
 */
#include "sync_harness.h"

#include "frame.h"
#include "tls.h"

static struct h_server S;
static struct h_dev A, O1, A2, O1b;
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], sq2[ID_TEXT_LEN + 1];
static char b11[ID_TEXT_LEN + 1], b12[ID_TEXT_LEN + 1], b21[ID_TEXT_LEN + 1];

/* Insert n members into org in transactions of up to per_txn. */
static void
load_members(struct h_dev *d, const char *org, int n, int per_txn)
{
	Tongxin__Value v[32];
	struct h_member m;
	char id[ID_TEXT_LEN + 1];

	for (int i = 0; i < n; i += per_txn) {
		dev_begin(d);
		for (int j = i; j < n && j < i + per_txn; j++) {
			h_member_vals(v, &m, org, NULL);
			dev_insert(d, TBL_MEMBER, v, id);
		}
		dev_commit(d);
	}
}

static int64_t
live_rows_in_scope(const char *scope)
{
	sqlite3 *sdb = srv_db(&S);
	char where[2048], sql[2300];
	int64_t n = 0;

	h_scope_where(scope, where, sizeof where);
	for (int t = 0; t < TBL_COUNT; t++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", schema_tables[t].name, where);
		n += h_sql_int(sdb, sql, NULL, NULL);
	}
	sqlite3_close(sdb);
	return n;
}

/* Hello, then one pull with max_rows; apply every page. Returns the page count. */
static int
manual_bootstrap(struct h_dev *d, uint32_t max_rows, uint64_t *rows)
{
	char err[1024] = "";
	Tongxin__Hello h = TONGXIN__HELLO__INIT;
	Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
	Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in;
	uint64_t cursors[TBL_COUNT], evict = 0, applied = 0, evicted = 0;
	struct pki_cred cred;
	struct conn c;
	SSL_CTX *ctx;
	uint8_t hash[32];
	int pages = 0, more = 1;

	H_CHECK(replica_credential(d->r, &cred, err, sizeof err) == 0, "credential: %s", err);
	ctx = tls_client_ctx(&cred, err, sizeof err);
	pki_cred_clear(&cred);
	H_CHECK(ctx != NULL, "TLS context: %s", err);
	H_CHECK(conn_open(&c, ctx, S.addr, NULL, 60000) == 0, "connect: %s", c.err);
	schema_hash(hash);
	h.protocol_version = PROTOCOL_VERSION;
	h.schema_hash.data = hash;
	h.schema_hash.len = sizeof hash;
	h.program_version = (char *)"test_sync_bootstrap";
	env.body_case = TONGXIN__ENVELOPE__BODY_HELLO;
	env.hello = &h;
	H_CHECK(conn_send(&c, &env) == 0, "send hello: %s", c.err);
	in = conn_recv(&c, FRAME_MAX);
	H_CHECK(in != NULL && in->body_case == TONGXIN__ENVELOPE__BODY_WELCOME, "no welcome: %s",
	    c.err);
	envelope_free(in);

	H_CHECK(rep_cursors(d->r, cursors, &evict) == 0, "cursors");
	req.cursors = cursors;
	req.n_cursors = TBL_COUNT;
	req.evict_cursor = evict;
	req.max_rows = max_rows;
	env = (Tongxin__Envelope)TONGXIN__ENVELOPE__INIT;
	env.body_case = TONGXIN__ENVELOPE__BODY_PULL;
	env.pull = &req;
	H_CHECK(conn_send(&c, &env) == 0, "send pull: %s", c.err);
	while (more) {
		in = conn_recv(&c, FRAME_MAX);
		H_CHECK(in != NULL && in->body_case == TONGXIN__ENVELOPE__BODY_PULL_RESULT,
		    "page %d: %s", pages, c.err);
		H_CHECK(in->pull_result->n_rows <= max_rows, "a page of %zu rows, asked for at most %u",
		    in->pull_result->n_rows, max_rows);
		more = in->pull_result->more;
		H_CHECK(rep_apply_page(d->r, in->pull_result, &applied, &evicted, NULL, err, sizeof err) == 0,
		    "apply page %d: %s", pages, err);
		envelope_free(in);
		pages++;
	}
	conn_close(&c, NULL);
	SSL_CTX_free(ctx);
	*rows = applied;
	return pages;
}

int
main(void)
{
	struct sync_report rep;
	int64_t want;
	double t0, dt;
	int pages;
	uint64_t rows;

	h_init("test_sync_bootstrap", 5);
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, sq2);
	dev_add_org(&A, "SQ01B1", "第一党支部", "branch", sq1, b11);
	dev_add_org(&A, "SQ01B2", "第二党支部", "branch", sq1, b12);
	dev_add_org(&A, "SQ02B1", "第一党支部", "branch", sq2, b21);

	/* 5,000 members in SQ01 (one local transaction of 2,500: cut into outbox chunks). */
	load_members(&A, b11, 2500, 2500);
	load_members(&A, b12, 2500, 500);
	load_members(&A, b21, 1000, 1000);
	{
		struct h_ids ms;
		Tongxin__Value v[32];
		char mid[ID_TEXT_LEN + 1], aid[ID_TEXT_LEN + 1], topic[64];
		h_sql_ids(replica_db(A.r), "SELECT id FROM member WHERE org_id = ?1 ORDER BY id", b11,
		    &ms);
		for (int k = 0; k < 60; k++) {
			dev_begin(&A);
			h_vals_null(v, TBL_MEETING);
			snprintf(topic, sizeof topic, "党课第%d讲", k + 1);
			h_set(v, TBL_MEETING, "org_id", b11);
			h_set(v, TBL_MEETING, "kind", "party_lecture");
			h_set(v, TBL_MEETING, "held_on", "2024-05-20");
			h_set(v, TBL_MEETING, "topic", topic);
			dev_insert(&A, TBL_MEETING, v, mid);
			for (int j = 0; j < 10; j++) {
				h_vals_null(v, TBL_ATTENDANCE);
				h_set(v, TBL_ATTENDANCE, "meeting_id", mid);
				h_set(v, TBL_ATTENDANCE, "member_id", ms.v[(size_t)(k * 10 + j) % ms.n]);
				h_set(v, TBL_ATTENDANCE, "status", j % 4 ? "present" : "excused");
				dev_insert(&A, TBL_ATTENDANCE, v, aid);
			}
			dev_commit(&A);
		}
		/* Tombstones and re-versioned rows. */
		dev_begin(&A);
		for (size_t i = 1000; i < 1100; i++)
			dev_delete(&A, TBL_MEMBER, ms.v[i]);
		for (size_t i = 1100; i < 1300; i++)
			dev_update1(&A, TBL_MEMBER, ms.v[i], "address", "新地址", 0);
		dev_commit(&A);
		h_ids_free(&ms);
	}
	t0 = h_elapsed();
	dev_sync(&A, &S, &rep);
	h_log("the street pushed %lld transactions in %.2f s", (long long)rep.pushed_txns,
	    h_elapsed() - t0);
	H_CHECK(rep.acks.applied == rep.pushed_txns, "not every load transaction applied: %lld of "
	    "%lld", (long long)rep.acks.applied, (long long)rep.pushed_txns);
	h_require_equal(&S, &A);

	/* A fresh SQ01 office. */
	dev_new(&O1, &S, "SQ01", "office-sq01", 0);
	want = live_rows_in_scope(O1.scope);
	H_CHECK(want > 5000, "SQ01's scope should exceed one page (%lld rows)", (long long)want);
	t0 = h_elapsed();
	dev_sync(&O1, &S, &rep);
	dt = h_elapsed() - t0;
	h_log("SQ01 bootstrapped %llu rows in %.2f s (%.0f rows/s)",
	    (unsigned long long)rep.pulled_rows, dt, (double)rep.pulled_rows / (dt > 0 ? dt : 1e-9));
	H_CHECK((int64_t)rep.pulled_rows == want, "SQ01 pulled %llu rows; its scope holds %lld live "
	    "rows", (unsigned long long)rep.pulled_rows, (long long)want);
	h_require_equal(&S, &O1);
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member", NULL, NULL) == 4900,
	    "SQ01 should hold 4,900 members");

	/* A fresh street device: everything. */
	dev_new(&A2, &S, "JD01", "street-admin-2", 1);
	want = live_rows_in_scope(A2.scope);
	t0 = h_elapsed();
	dev_sync(&A2, &S, &rep);
	dt = h_elapsed() - t0;
	h_log("the street bootstrapped %llu rows in %.2f s", (unsigned long long)rep.pulled_rows, dt);
	H_CHECK((int64_t)rep.pulled_rows == want, "the street pulled %llu rows of %lld",
	    (unsigned long long)rep.pulled_rows, (long long)want);
	h_require_equal(&S, &A2);

	/* By hand, small pages. */
	dev_new(&O1b, &S, "SQ01", "office-sq01-b", 0);
	want = live_rows_in_scope(O1b.scope);
	pages = manual_bootstrap(&O1b, 500, &rows);
	h_log("SQ01 again in pages of 500: %d pages, %llu rows", pages, (unsigned long long)rows);
	H_CHECK((int64_t)rows == want, "pulled %llu rows in small pages; scope holds %lld",
	    (unsigned long long)rows, (long long)want);
	H_CHECK(pages >= (int)(want / 500), "only %d pages for %lld rows", pages, (long long)want);
	h_require_equal(&S, &O1b);

	/* More changes; the bootstrapped office catches up incrementally. */
	{
		struct h_ids ms;
		h_sql_ids(replica_db(A.r), "SELECT id FROM member WHERE org_id = ?1 ORDER BY id", b12,
		    &ms);
		dev_begin(&A);
		for (size_t i = 0; i < 50; i++)
			dev_delete(&A, TBL_MEMBER, ms.v[i]);
		for (size_t i = 50; i < 150; i++)
			dev_update1(&A, TBL_MEMBER, ms.v[i], "job", "楼栋长", 0);
		for (size_t i = 150; i < 170; i++)
			dev_update1(&A, TBL_MEMBER, ms.v[i], "org_id", b21, 0);
		dev_commit(&A);
		h_ids_free(&ms);
	}
	load_members(&A, b12, 300, 100);
	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, &rep);
	h_log("SQ01's incremental sync: %llu rows, %llu removed", (unsigned long long)rep.pulled_rows,
	    (unsigned long long)rep.evicted_rows);
	H_CHECK(rep.evicted_rows == 20, "20 members moved to SQ02 should leave SQ01 (%llu evicted)",
	    (unsigned long long)rep.evicted_rows);
	h_require_equal(&S, &O1);
	pages = manual_bootstrap(&O1b, 100, &rows);
	h_require_equal(&S, &O1b);
	dev_sync(&A2, &S, NULL);
	h_require_equal(&S, &A2);

	srv_stop(&S);
	dev_close(&A);
	dev_close(&A2);
	dev_close(&O1);
	dev_close(&O1b);
	return h_done();
}
