/*
 * test_sync_scope.c - invariant 6 of PRODUCT.md (scope) and the replica's
 * promise that pulled rows never clobber its own unacknowledged changes.
 *
 * The street (admin device A) with two communities SQ01 and SQ02, one
 * branch each at first; office devices O1 (SQ01) and O2 (SQ02).
 *
 *  1. What a device receives: O1 holds exactly the SQ01 subtree - the
 *     organisations SQ01 and SQ01B1 (not the street's row, not SQ02's),
 *     SQ01's members, meetings and attendance - before and after the street
 *     and SQ02 add rows, and equals the server for its scope. At the end
 *     the store itself is asked (store_pull with O1's scope, from cursor 0
 *     and from cursor 1 so that tombstones come too): every row it would
 *     send lies in SQ01's subtree.
 *  2. Writes outside the subtree: O1 inserts a member into SQ02's branch,
 *     updates and deletes an SQ02 member whose row it smuggled into its
 *     replica out of band, adds a branch under SQ02, moves its own member
 *     into SQ02, holds a meeting in SQ02, and mixes an in-scope insert with
 *     an out-of-scope update in one transaction. Every one is `rejected`
 *     with a reason, nothing of any of them is on the server (rows, audit),
 *     the mixed transaction is rejected whole, a later in-scope transaction
 *     is applied, and afterwards O1's replica holds no foreign row.
 *  3. No clobbering: with a changed, a deleted and an inserted row pending
 *     on O1 (one transaction), a pull-only sync brings other rows up to date
 *     but leaves the pending rows as O1 has them; the full sync then queues
 *     the transaction whole (its delete met the street's edit) and the
 *     replica shows the server's rows. Likewise a pending edit of one field
 *     survives a pull and then merges with the street's edit of another.
 *  4. Moves between communities: a member the street moves from SQ01 to
 *     SQ02 leaves O1's replica (its personal data with it) and reaches O2's;
 *     a member moved out and back again between two of O1's syncs is still
 *     on O1 afterwards. (This last check runs at the very end: on the code
 *     it was written against it fails, because rep_apply_page() applies a
 *     page's rows before its evictions, so the stale eviction of the first
 *     move deletes the row the same page just brought back.)
 */
#include "sync_harness.h"

#include "store.h"

static struct h_server S;
static struct h_dev A, O1, O2;
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], sq2[ID_TEXT_LEN + 1];
static char sq1b1[ID_TEXT_LEN + 1], sq2b1[ID_TEXT_LEN + 1];

static void
new_member(struct h_dev *d, const char *org, char id[ID_TEXT_LEN + 1])
{
	Tongxin__Value v[32];
	struct h_member m;

	h_member_vals(v, &m, org, NULL);
	dev_insert(d, TBL_MEMBER, v, id);
}

static void
new_member_txn(struct h_dev *d, const char *org, char id[ID_TEXT_LEN + 1])
{
	dev_begin(d);
	new_member(d, org, id);
	dev_commit(d);
}

static void
new_meeting(struct h_dev *d, const char *org, const char *member, char mid[ID_TEXT_LEN + 1])
{
	Tongxin__Value v[32];
	char aid[ID_TEXT_LEN + 1];

	h_vals_null(v, TBL_MEETING);
	h_set(v, TBL_MEETING, "org_id", org);
	h_set(v, TBL_MEETING, "kind", "committee_meeting");
	h_set(v, TBL_MEETING, "held_on", "2024-03-05");
	h_set(v, TBL_MEETING, "topic", "支委会");
	dev_insert(d, TBL_MEETING, v, mid);
	h_vals_null(v, TBL_ATTENDANCE);
	h_set(v, TBL_ATTENDANCE, "meeting_id", mid);
	h_set(v, TBL_ATTENDANCE, "member_id", member);
	h_set(v, TBL_ATTENDANCE, "status", "present");
	dev_insert(d, TBL_ATTENDANCE, v, aid);
}

/* Sorted comma-separated codes of the organisations a replica holds. */
static void
org_codes(struct h_dev *d, char *buf, size_t cap)
{
	h_sql_text(replica_db(d->r), "SELECT group_concat(code, ',') FROM "
	    "(SELECT code FROM org ORDER BY code)", NULL, buf, cap);
}

/*
 * Every row of every table in d's replica exists live on the server inside
 * d's scope.
 */
static void
check_only_own_subtree(struct h_dev *d)
{
	sqlite3 *sdb = srv_db(&S);
	char sql[256], scope[512], scope2[512], hi[512];

	h_scope_hi(d->scope, hi, sizeof hi);
	for (int t = 0; t < TBL_COUNT; t++) {
		struct h_ids ids;
		snprintf(sql, sizeof sql, "SELECT id FROM %s ORDER BY id", schema_tables[t].name);
		h_sql_ids(replica_db(d->r), sql, NULL, &ids);
		for (size_t i = 0; i < ids.n; i++) {
			snprintf(sql, sizeof sql, "SELECT _scope FROM %s WHERE id = ?1",
			    schema_tables[t].name);
			H_CHECK(h_sql_text(sdb, sql, ids.v[i], scope, sizeof scope),
			    "%s holds %s %s, which the server does not have", d->name,
			    schema_tables[t].name, ids.v[i]);
			snprintf(sql, sizeof sql, "SELECT _scope2 FROM %s WHERE id = ?1",
			    schema_tables[t].name);
			h_sql_text(sdb, sql, ids.v[i], scope2, sizeof scope2);
			H_CHECK(strncmp(scope, d->scope, strlen(d->scope)) == 0 ||
			    (scope2[0] && strncmp(scope2, d->scope, strlen(d->scope)) == 0),
			    "%s (scope %s) holds %s %s of scope %s", d->name, d->scope,
			    schema_tables[t].name, ids.v[i], scope);
		}
		h_ids_free(&ids);
	}
	sqlite3_close(sdb);
}

/* Copy a server row into a replica behind the capture's back (learnt out of band). */
static void
smuggle(struct h_dev *d, int t, const char *id)
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096], attach[4400];
	size_t n;
	sqlite3 *db = replica_db(d->r);
	sqlite3_stmt *st;

	snprintf(attach, sizeof attach, "ATTACH DATABASE 'file:%s?mode=ro' AS srv", srv_db_path(&S));
	H_CHECK(sqlite3_exec(db, attach, NULL, NULL, NULL) == SQLITE_OK, "attach: %s",
	    sqlite3_errmsg(db));
	n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO main.%s (id", td->name);
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
	n += (size_t)snprintf(sql + n, sizeof sql - n, ", _version) SELECT id");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, ", _version FROM srv.%s WHERE id = ?1", td->name);
	H_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	H_CHECK(sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1, "smuggle %s %s: %s",
	    td->name, id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	H_CHECK(sqlite3_exec(db, "DETACH DATABASE srv", NULL, NULL, NULL) == SQLITE_OK, "detach: %s",
	    sqlite3_errmsg(db));
}

/* The server's full row (with bookkeeping) as text, for before/after comparisons. */
static void
server_row_text(int t, const char *id, char *buf, size_t cap)
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096];
	size_t n;
	sqlite3 *sdb = srv_db(&S);

	n = (size_t)snprintf(sql, sizeof sql, "SELECT quote(_version) || '|' || quote(_deleted) || "
	    "'|' || quote(_scope)");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " || '|' || quote(%s)", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, " FROM %s WHERE id = ?1", td->name);
	h_sql_text(sdb, sql, id, buf, cap);
	sqlite3_close(sdb);
}

static int64_t
server_has(int t, const char *id)
{
	char sql[128];
	sqlite3 *sdb = srv_db(&S);
	int64_t n;

	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE id = ?1", schema_tables[t].name);
	n = h_sql_int(sdb, sql, id, NULL);
	sqlite3_close(sdb);
	return n;
}

static void
setup(void)
{
	char m[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1], codes[256];

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, sq2);
	dev_add_org(&A, "SQ01B1", "第一社区第一党支部", "branch", sq1, sq1b1);
	dev_add_org(&A, "SQ02B1", "第二社区第一党支部", "branch", sq2, sq2b1);
	dev_begin(&A);
	for (int i = 0; i < 6; i++)
		new_member(&A, sq1b1, m);
	for (int i = 0; i < 4; i++)
		new_member(&A, sq2b1, m);
	new_meeting(&A, sq2b1, m, mid);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_new(&O1, &S, "SQ01", "office-sq01", 0);
	dev_new(&O2, &S, "SQ02", "office-sq02", 0);
	dev_sync(&O1, &S, NULL);
	dev_sync(&O2, &S, NULL);
	H_CHECK(strcmp(O1.scope, "/JD01/SQ01/") == 0, "SQ01's scope is %s", O1.scope);

	/* 1. Exactly the subtree, not even the street's own row. */
	org_codes(&O1, codes, sizeof codes);
	H_CHECK(strcmp(codes, "SQ01,SQ01B1") == 0, "SQ01's replica holds organisations %s; "
	    "expected exactly SQ01,SQ01B1", codes);
	org_codes(&O2, codes, sizeof codes);
	H_CHECK(strcmp(codes, "SQ02,SQ02B1") == 0, "SQ02's replica holds organisations %s", codes);
	org_codes(&A, codes, sizeof codes);
	H_CHECK(strcmp(codes, "JD01,SQ01,SQ01B1,SQ02,SQ02B1") == 0, "the street holds %s", codes);
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member", NULL, NULL) == 6 &&
	    h_sql_int(replica_db(O1.r), "SELECT count(*) FROM meeting", NULL, NULL) == 0 &&
	    h_sql_int(replica_db(O1.r), "SELECT count(*) FROM attendance", NULL, NULL) == 0,
	    "SQ01 should hold its 6 members and no meeting");
	check_only_own_subtree(&O1);
	check_only_own_subtree(&O2);
	h_require_equal(&S, &O1);
	h_require_equal(&S, &O2);
}

/* 1, continued: others add rows on both sides; O1 gets only its own. */
static void
others_write(void)
{
	char id[ID_TEXT_LEN + 1], b2[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1], codes[256];

	dev_add_org(&A, "SQ02B2", "第二社区第二党支部", "branch", sq2, b2);
	dev_begin(&A);
	new_member(&A, b2, id);
	new_member(&A, sq1b1, id);           /* one for SQ01 too */
	new_meeting(&A, sq1b1, id, mid);
	dev_commit(&A);
	dev_begin(&O2);
	new_member(&O2, sq2b1, id);
	new_meeting(&O2, sq2b1, id, mid);
	dev_commit(&O2);
	dev_sync(&A, &S, NULL);
	dev_sync(&O2, &S, NULL);
	dev_sync(&O1, &S, NULL);
	org_codes(&O1, codes, sizeof codes);
	H_CHECK(strcmp(codes, "SQ01,SQ01B1") == 0, "SQ01's replica holds organisations %s", codes);
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member", NULL, NULL) == 7 &&
	    h_sql_int(replica_db(O1.r), "SELECT count(*) FROM meeting", NULL, NULL) == 1 &&
	    h_sql_int(replica_db(O1.r), "SELECT count(*) FROM attendance", NULL, NULL) == 1,
	    "SQ01 should hold 7 members, 1 meeting, 1 attendance");
	check_only_own_subtree(&O1);
	check_only_own_subtree(&O2);
	h_require_equal(&S, &O1);
	h_require_equal(&S, &O2);
	h_log("devices receive exactly their subtree");
}

/* 2. Writes outside the subtree are rejected with a reason, and nothing of them applied. */
static void
out_of_scope_writes(void)
{
	struct h_ids sq2m, sq1m;
	char ins_foreign[ID_TEXT_LEN + 1], org_foreign[ID_TEXT_LEN + 1], mid[ID_TEXT_LEN + 1];
	char mixed_ok[ID_TEXT_LEN + 1], later_ok[ID_TEXT_LEN + 1], tmp[ID_TEXT_LEN + 1];
	char before_m2[8192], before_m1[8192], after[8192];
	const char *m2, *m1;
	int64_t first_seq, last_seq, meetings_before, orgs_before;
	struct sync_report rep;
	sqlite3 *sdb;
	char seqs[32];

	h_sql_ids(replica_db(A.r), "SELECT id FROM member WHERE org_id = ?1 ORDER BY id", sq2b1, &sq2m);
	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY id", NULL, &sq1m);
	H_CHECK(sq2m.n >= 2 && sq1m.n >= 2, "setup");
	m2 = sq2m.v[0];
	m1 = sq1m.v[0];
	server_row_text(TBL_MEMBER, m2, before_m2, sizeof before_m2);
	server_row_text(TBL_MEMBER, m1, before_m1, sizeof before_m1);
	sdb = srv_db(&S);
	meetings_before = h_sql_int(sdb, "SELECT count(*) FROM meeting", NULL, NULL);
	orgs_before = h_sql_int(sdb, "SELECT count(*) FROM org", NULL, NULL);
	sqlite3_close(sdb);

	/* O1 learns SQ02's member and the member it will delete out of band. */
	smuggle(&O1, TBL_MEMBER, m2);
	smuggle(&O1, TBL_MEMBER, sq2m.v[1]);
	first_seq = dev_next_seq(&O1);

	new_member_txn(&O1, sq2b1, ins_foreign);                      /* insert into SQ02 */
	dev_begin(&O1);                                               /* update SQ02's member */
	dev_update1(&O1, TBL_MEMBER, m2, "phone", "13000000001", 0);
	dev_commit(&O1);
	dev_begin(&O1);                                               /* delete SQ02's member */
	dev_delete(&O1, TBL_MEMBER, sq2m.v[1]);
	dev_commit(&O1);
	dev_add_org(&O1, "SQ02BX", "冒名支部", "branch", sq2, org_foreign); /* a branch under SQ02 */
	dev_begin(&O1);                                               /* move own member out */
	dev_update1(&O1, TBL_MEMBER, m1, "org_id", sq2b1, 0);
	dev_commit(&O1);
	dev_begin(&O1);                                               /* a meeting in SQ02 */
	new_meeting(&O1, sq2b1, m2, mid);
	dev_commit(&O1);
	dev_begin(&O1);                                               /* mixed: rejected whole */
	new_member(&O1, sq1b1, mixed_ok);
	dev_update1(&O1, TBL_MEMBER, m2, "job", "越权修改", 0);
	dev_commit(&O1);
	last_seq = dev_next_seq(&O1) - 1;
	H_CHECK(last_seq - first_seq + 1 == 7, "expected 7 crafted transactions");
	new_member_txn(&O1, sq1b1, later_ok);                         /* in scope: applied */

	dev_sync(&O1, &S, &rep);
	H_CHECK(rep.acks.rejected == 7 && rep.acks.applied == 1 && rep.acks.conflict == 0,
	    "out-of-scope writes: %lld applied, %lld conflict, %lld rejected; expected 1/0/7",
	    (long long)rep.acks.applied, (long long)rep.acks.conflict, (long long)rep.acks.rejected);
	for (int64_t s = first_seq; s <= last_seq; s++) {
		char q[128], status[32], reason[1024];
		snprintf(q, sizeof q, "SELECT status FROM outcome WHERE seq = %lld", (long long)s);
		h_sql_text(replica_db(O1.r), q, NULL, status, sizeof status);
		snprintf(q, sizeof q, "SELECT reason FROM outcome WHERE seq = %lld", (long long)s);
		h_sql_text(replica_db(O1.r), q, NULL, reason, sizeof reason);
		H_CHECK(strcmp(status, "rejected") == 0, "crafted transaction %lld: %s, expected "
		    "rejected", (long long)s, status);
		/* Out of scope reads as "does not exist here": a refusal reveals nothing. */
		H_CHECK(strstr(reason, "移出本设备所属组织") != NULL ||
		    strstr(reason, "不在本设备所属组织的范围内") != NULL,
		    "crafted transaction %lld rejected with reason \"%s\"; expected it to say the "
		    "row lies outside the device's organisation", (long long)s, reason);
	}
	/* Nothing of them reached the server. */
	server_row_text(TBL_MEMBER, m2, after, sizeof after);
	H_CHECK(strcmp(after, before_m2) == 0, "SQ02's member changed on the server:\n  before %s\n"
	    "  after  %s", before_m2, after);
	server_row_text(TBL_MEMBER, m1, after, sizeof after);
	H_CHECK(strcmp(after, before_m1) == 0, "SQ01's member moved on the server:\n  before %s\n"
	    "  after  %s", before_m1, after);
	server_row_text(TBL_MEMBER, sq2m.v[1], after, sizeof after);
	H_CHECK(strstr(after, "|0|'/JD01/SQ02/") != NULL, "SQ02's member was deleted: %s", after);
	H_CHECK(server_has(TBL_MEMBER, ins_foreign) == 0, "the member inserted into SQ02 exists");
	H_CHECK(server_has(TBL_ORG, org_foreign) == 0, "the branch added under SQ02 exists");
	H_CHECK(server_has(TBL_MEETING, mid) == 0, "the meeting held in SQ02 exists");
	H_CHECK(server_has(TBL_MEMBER, mixed_ok) == 0, "the in-scope half of the mixed transaction "
	    "was applied: it must be rejected whole");
	H_CHECK(server_has(TBL_MEMBER, later_ok) == 1, "a later in-scope transaction was not applied");
	sdb = srv_db(&S);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM meeting", NULL, NULL) == meetings_before &&
	    h_sql_int(sdb, "SELECT count(*) FROM org", NULL, NULL) == orgs_before,
	    "meetings or organisations changed");
	snprintf(seqs, sizeof seqs, "%lld", (long long)first_seq);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM audit WHERE device_id = ?1 AND seq >= ?2 AND "
	    "seq < ?2 + 7", O1.device_id, seqs) == 0, "rejected transactions left audit rows");
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM txn_log WHERE device_id = ?1 AND seq >= ?2 AND "
	    "seq < ?2 + 7 AND status = 3 AND (reason LIKE '%outside%' OR reason LIKE"
	    " '%does not exist in this device''s organisation%')", O1.device_id, seqs) == 7,
	    "txn_log does not record the 7 rejections with their reason");
	sqlite3_close(sdb);

	/* O1 holds nothing foreign afterwards: the answers removed what it made up. */
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member WHERE id = ?1", m2, NULL) == 0,
	    "the smuggled SQ02 member is still in SQ01's replica");
	H_CHECK(h_org_id(replica_db(O1.r), "SQ02BX", tmp) == 0, "the made-up branch is still in "
	    "SQ01's replica");
	check_only_own_subtree(&O1);
	h_require_equal(&S, &O1);
	h_check_accounted(&S, &O1, NULL);
	h_ids_free(&sq2m);
	h_ids_free(&sq1m);
	h_log("7 out-of-scope transactions rejected with reasons, nothing applied");
}

/* 3. Pulled rows never clobber the replica's own unacknowledged changes. */
static void
no_clobber(void)
{
	struct h_ids ms;
	char mine[ID_TEXT_LEN + 1], val[256], oldjob[256];
	const char *upd, *del, *other;
	struct sync_report rep;
	enum sync_fail f;
	char err[1024];

	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY id", NULL, &ms);
	H_CHECK(ms.n >= 3, "setup");
	upd = ms.v[0];
	del = ms.v[1];
	other = ms.v[2];
	dev_sync(&A, &S, NULL);
	h_sql_text(replica_db(O1.r), "SELECT job FROM member WHERE id = ?1", upd, oldjob,
	    sizeof oldjob);

	/* O1, offline: a change, a delete and an insert. */
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, upd, "address", "社区本地地址1号", 0);
	dev_delete(&O1, TBL_MEMBER, del);
	new_member(&O1, sq1b1, mine);
	dev_commit(&O1);
	/* The street edits the same rows (other fields) and one more. */
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, upd, "job", "街道改的岗位", 0);
	dev_update1(&A, TBL_MEMBER, del, "address", "街道改的地址", 0);
	dev_update1(&A, TBL_MEMBER, other, "address", "街道改的另一个地址", 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);

	/* Pull only: the untouched row updates, the pending ones stay as O1 has them. */
	H_CHECK(dev_sync_try(&O1, &S, 0, 1, &rep, &f, err, sizeof err) == 0, "pull-only sync: %s",
	    err);
	H_CHECK(dev_outbox(&O1) == 1, "a pull must not touch the outbox");
	h_sql_text(replica_db(O1.r), "SELECT address FROM member WHERE id = ?1", other, val,
	    sizeof val);
	H_CHECK(strcmp(val, "街道改的另一个地址") == 0, "the pull did not bring the street's change "
	    "of a row without local changes (address %s)", val);
	h_sql_text(replica_db(O1.r), "SELECT coalesce(address, '') || '/' || coalesce(job, '') FROM member WHERE id = ?1", upd,
	    val, sizeof val);
	{
		char want[512];
		snprintf(want, sizeof want, "社区本地地址1号/%s", oldjob);
		H_CHECK(strcmp(val, want) == 0, "the pull clobbered a row with an unacknowledged "
		    "change: address/job is %s, expected %s", val, want);
	}
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member WHERE id = ?1", del,
	    NULL) == 0, "the pull brought back a row this replica deleted and has not pushed");
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member WHERE id = ?1", mine,
	    NULL) == 1, "the pull removed a row this replica inserted and has not pushed");

	/* The full sync: the delete conflicts (the street changed the row): queued whole. */
	dev_sync(&O1, &S, &rep);
	H_CHECK(rep.pushed_txns == 1 && rep.acks.conflict == 1, "the pending transaction: %lld "
	    "pushed, %lld applied, %lld merged, %lld conflict", (long long)rep.pushed_txns,
	    (long long)rep.acks.applied, (long long)rep.acks.merged, (long long)rep.acks.conflict);
	h_sql_text(replica_db(O1.r), "SELECT coalesce(address, '') || '/' || coalesce(job, '') FROM member WHERE id = ?1", upd,
	    val, sizeof val);
	/* Atomic: the delete conflicted, so the whole transaction waits in the queue. */
	H_CHECK(strstr(val, "社区本地地址1号") == NULL && strstr(val, "/街道改的岗位") != NULL,
	    "the transaction went to the conflict queue whole, so the replica should show the "
	    "server's row (address/job %s)", val);
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member WHERE id = ?1", mine,
	    NULL) == 0 && server_has(TBL_MEMBER, mine) == 0, "the insert of a conflicting "
	    "transaction was applied in part");
	h_sql_text(replica_db(O1.r), "SELECT address FROM member WHERE id = ?1", del, val,
	    sizeof val);
	H_CHECK(strcmp(val, "街道改的地址") == 0, "after the conflict the replica should show the "
	    "server's row again (address %s)", val);
	h_require_equal(&S, &O1);
	h_check_accounted(&S, &O1, NULL);
	h_ids_free(&ms);
	h_log("pulled rows did not clobber unacknowledged changes");
}

/* The same, for an update that merges: both sides' fields end up on the replica. */
static void
no_clobber_merge(void)
{
	struct h_ids ms;
	char val[256];
	const char *upd;
	struct sync_report rep;
	enum sync_fail f;
	char err[1024];

	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY id DESC", NULL, &ms);
	upd = ms.v[0];
	dev_sync(&A, &S, NULL);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, upd, "ethnicity", "回族", 0);
	dev_commit(&O1);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, upd, "education", "doctorate", 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	H_CHECK(dev_sync_try(&O1, &S, 0, 1, &rep, &f, err, sizeof err) == 0, "pull-only: %s", err);
	h_sql_text(replica_db(O1.r), "SELECT ethnicity || '/' || education FROM member WHERE id = ?1",
	    upd, val, sizeof val);
	H_CHECK(strncmp(val, "回族/", strlen("回族/")) == 0 && strstr(val, "doctorate") == NULL,
	    "while its change is pending the replica shows %s", val);
	dev_sync(&O1, &S, &rep);
	H_CHECK(rep.acks.merged == 1, "expected the concurrent edit of another field to merge "
	    "(%lld applied, %lld merged, %lld conflict)", (long long)rep.acks.applied,
	    (long long)rep.acks.merged, (long long)rep.acks.conflict);
	h_sql_text(replica_db(O1.r), "SELECT ethnicity || '/' || education FROM member WHERE id = ?1",
	    upd, val, sizeof val);
	H_CHECK(strcmp(val, "回族/doctorate") == 0, "after the merge the replica shows %s, expected "
	    "both changes (回族/doctorate)", val);
	h_require_equal(&S, &O1);
	h_ids_free(&ms);
}

/* 4. Members moving between communities. */
static void
moves(void)
{
	struct h_ids ms;
	char m_out[ID_TEXT_LEN + 1];

	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	dev_sync(&O2, &S, NULL);
	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY id", NULL, &ms);
	H_CHECK(ms.n >= 4, "setup");
	snprintf(m_out, sizeof m_out, "%s", ms.v[2]);
	h_ids_free(&ms);

	/* Moved out for good: gone from SQ01, present in SQ02. */
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, m_out, "org_id", sq2b1, 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	dev_sync(&O2, &S, NULL);
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member WHERE id = ?1", m_out,
	    NULL) == 0, "a member moved to SQ02 is still in SQ01's replica (personal data left behind)");
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM attendance WHERE member_id = ?1",
	    m_out, NULL) == h_sql_int(replica_db(A.r), "SELECT count(*) FROM attendance a JOIN "
	    "meeting m ON m.id = a.meeting_id JOIN org o ON o.id = m.org_id WHERE a.member_id = ?1 "
	    "AND o.code LIKE 'SQ01%'", m_out, NULL), "SQ01's attendance rows of the moved member "
	    "changed (they belong to SQ01's meetings)");
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM outcome WHERE txn IS NOT NULL AND "
	    "instr(txn, CAST(?1 AS BLOB)) > 0", m_out, NULL) == 0 &&
	    h_sql_int(replica_db(O1.r), "SELECT count(*) FROM outbox WHERE "
	    "instr(txn, CAST(?1 AS BLOB)) > 0", m_out, NULL) == 0,
	    "SQ01's replica still keeps a copy of changes to the member who moved away");
	H_CHECK(h_sql_int(replica_db(O2.r), "SELECT count(*) FROM member WHERE id = ?1", m_out,
	    NULL) == 1, "a member moved to SQ02 did not reach SQ02's replica");
	h_require_equal(&S, &O1);
	h_require_equal(&S, &O2);
	h_log("a member moved out of SQ01 left its replica and reached SQ02's");
}

/* 4, continued: out and back again while O1 is away; O1 must still hold the member. */
static void
move_out_and_back(void)
{
	struct h_ids ms;
	char m_back[ID_TEXT_LEN + 1];
	int bad;

	dev_sync(&O1, &S, NULL);
	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY id", NULL, &ms);
	H_CHECK(ms.n >= 4, "setup");
	snprintf(m_back, sizeof m_back, "%s", ms.v[3]);
	h_ids_free(&ms);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, m_back, "org_id", sq2b1, 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, m_back, "org_id", sq1b1, 0);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	bad = h_compare(&S, &O1, 0);
	H_CHECK(bad == 0 && h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member WHERE id = ?1",
	    m_back, NULL) == 1, "a member moved from SQ01 to SQ02 and back between two syncs of "
	    "SQ01 is missing from SQ01's replica although the server has it in SQ01 (%d tables "
	    "differ)", bad);
	h_log("a member moved out and back between syncs is still on SQ01");
}

/* 1, at the source: what the store would send O1 from scratch and from cursor 1. */
static void
store_sends_only_scope(void)
{
	char err[1024] = "";
	struct store *st = store_open(S.store[0] ? S.store : S.dir, 0, err, sizeof err);
	struct store_actor who;
	sqlite3 *sdb;
	uint64_t start[2] = { 0, 1 };
	int64_t rows = 0;

	H_CHECK(st != NULL, "store_open: %s", err);
	memset(&who, 0, sizeof who);
	who.device_id = O1.device_id;
	who.device_name = O1.name;
	who.role = "office";
	who.scope = O1.scope;
	who.operator_name = "";
	sdb = srv_db(&S);
	for (int k = 0; k < 2; k++) {
		uint64_t cursors[TBL_COUNT], evict = start[k];
		int more = 1, pages = 0;
		for (int t = 0; t < TBL_COUNT; t++)
			cursors[t] = start[k];
		while (more) {
			Tongxin__PullRequest req = TONGXIN__PULL_REQUEST__INIT;
			Tongxin__PullResponse *resp = NULL;
			req.cursors = cursors;
			req.n_cursors = TBL_COUNT;
			req.evict_cursor = evict;
			req.max_rows = 7;     /* small pages */
			H_CHECK(store_pull(st, &who, &req, &resp, err, sizeof err) == 0, "store_pull: %s",
			    err);
			H_CHECK(++pages < 10000, "the pull does not end");
			for (size_t i = 0; i < resp->n_rows; i++) {
				const Tongxin__Row *r = resp->rows[i];
				char sql[160], scope[512], scope2[512];
				H_CHECK(r->table < TBL_COUNT, "bad table");
				snprintf(sql, sizeof sql, "SELECT _scope FROM %s WHERE id = ?1",
				    schema_tables[r->table].name);
				h_sql_text(sdb, sql, r->row_id, scope, sizeof scope);
				snprintf(sql, sizeof sql, "SELECT _scope2 FROM %s WHERE id = ?1",
				    schema_tables[r->table].name);
				h_sql_text(sdb, sql, r->row_id, scope2, sizeof scope2);
				H_CHECK(strncmp(scope, O1.scope, strlen(O1.scope)) == 0 ||
				    strncmp(scope2, O1.scope, strlen(O1.scope)) == 0,
				    "the store would send SQ01 %s %s of scope %s%s",
				    schema_tables[r->table].name, r->row_id, scope,
				    r->deleted ? " (a tombstone)" : "");
				rows++;
			}
			for (int t = 0; t < TBL_COUNT && t < (int)resp->n_cursors; t++)
				cursors[t] = resp->cursors[t];
			evict = resp->evict_cursor;
			more = resp->more;
			tongxin__pull_response__free_unpacked(resp, NULL);
		}
	}
	sqlite3_close(sdb);
	store_close(st);
	H_CHECK(rows > 0, "the store sent nothing at all");
	h_log("the store's pull for SQ01 (%lld rows in pages of 7) holds only SQ01's subtree",
	    (long long)rows);
}

int
main(void)
{
	h_init("test_sync_scope", 11);
	setup();
	others_write();
	out_of_scope_writes();
	no_clobber();
	no_clobber_merge();
	moves();
	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	dev_sync(&O2, &S, NULL);
	h_require_equal(&S, &A);
	h_require_equal(&S, &O1);
	h_require_equal(&S, &O2);
	check_only_own_subtree(&O1);
	check_only_own_subtree(&O2);
	srv_stop(&S);
	store_sends_only_scope();
	h_check_integrity(&S);
	/* Last, because it fails on the current code (see the comment at the top). */
	srv_start(&S);
	move_out_and_back();
	srv_stop(&S);
	dev_close(&A);
	dev_close(&O1);
	dev_close(&O2);
	return h_done();
}
