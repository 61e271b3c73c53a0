/*
 * test_conflict_limit.c - an office cannot fill the street's conflict queue
 * (issue 8), and the limit is the operator's: max_open_conflicts in
 * tongxind.conf.
 *
 * A real tongxind whose config sets max_open_conflicts = 3; the street
 * (admin A) with community SQ01 and a branch holding one member M; an office
 * device O of SQ01. O registers five members offline, each with M's citizen
 * ID, each in its own transaction, and syncs once:
 *   - the first three are conflicts (unique), the last two rejected with a
 *     reason that says the queue is full; all five are accounted for on the
 *     device and kept whole on the server (conflict queue or txn_log);
 *   - the server's log names the limit in force;
 *   - once the street settles one of them, O's next clash is queued again.
 */
#include "sync_harness.h"

#include "frame.h"

static struct h_server S;
static struct h_dev A, O;

/* One local transaction of d: a member of org whose citizen ID is idn. */
static void
clash(struct h_dev *d, const char *org, const char *idn)
{
	Tongxin__Value v[32];
	struct h_member m;
	char id[ID_TEXT_LEN + 1];

	h_member_vals(v, &m, org, idn);
	dev_begin(d);
	dev_insert(d, TBL_MEMBER, v, id);
	dev_commit(d);
}

/* Open conflicts of device id on the server. */
static int64_t
open_conflicts(const char *device_id)
{
	sqlite3 *db = srv_db(&S);
	int64_t n = h_sql_int(db, "SELECT count(*) FROM conflict WHERE device_id = ?1"
	    " AND status = 'open'", device_id, NULL);
	sqlite3_close(db);
	return n;
}

int
main(void)
{
	char street[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], b1[ID_TEXT_LEN + 1];
	char m[ID_TEXT_LEN + 1], idn[19], path[4200], cid[ID_TEXT_LEN + 1];
	char q[256], reason[1024];
	struct sync_report rep;
	Tongxin__Value v[32];
	struct h_member hm;
	int64_t rejected_kept;
	FILE *f;

	h_init("test_conflict_limit", 5);
	srv_init(&S, "srv");
	snprintf(path, sizeof path, "%s/tongxind.conf", S.dir);
	H_CHECK((f = fopen(path, "a")) != NULL, "cannot open %s", path);
	fprintf(f, "max_open_conflicts = 3\n");
	fclose(f);
	srv_start(&S);
	H_CHECK(h_file_has(S.log, 0, "3 open conflicts per device"),
	    "the server's log does not name the conflict limit in force");

	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street, sq1);
	dev_add_org(&A, "SQ01B1", "第一社区第一党支部", "branch", sq1, b1);
	h_member_vals(v, &hm, b1, NULL);
	snprintf(idn, sizeof idn, "%s", hm.idn);
	dev_begin(&A);
	dev_insert(&A, TBL_MEMBER, v, m);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);
	dev_new(&O, &S, "SQ01", "office-sq01", 0);
	dev_sync(&O, &S, NULL);

	for (int i = 0; i < 5; i++)
		clash(&O, b1, idn);
	dev_sync(&O, &S, &rep);
	H_CHECK(rep.acks.conflict == 3 && rep.acks.rejected == 2, "five clashes with a limit of 3: "
	    "%lld conflict, %lld rejected; expected 3 and 2", (long long)rep.acks.conflict,
	    (long long)rep.acks.rejected);
	H_CHECK(open_conflicts(O.device_id) == 3, "%lld open conflicts of the office, expected 3",
	    (long long)open_conflicts(O.device_id));
	h_sql_text(replica_db(O.r), "SELECT reason FROM outcome WHERE status = 'rejected'"
	    " ORDER BY seq LIMIT 1", NULL, reason, sizeof reason);
	H_CHECK(strstr(reason, "本设备已有 3 条冲突等待街道处理") != NULL, "the rejection does not "
	    "say the queue is full: \"%s\"", reason);
	{
		sqlite3 *db = srv_db(&S);
		rejected_kept = h_sql_int(db, "SELECT count(*) FROM txn_log WHERE device_id = ?1"
		    " AND status = 3 AND txn IS NOT NULL", O.device_id, NULL);
		sqlite3_close(db);
	}
	H_CHECK(rejected_kept == 2, "%lld rejected clashes kept whole in txn_log, expected 2",
	    (long long)rejected_kept);
	h_check_accounted(&S, &O, NULL);

	/* The street settles one; the office's next clash is queued again. */
	{
		sqlite3 *db = srv_db(&S);
		h_sql_text(db, "SELECT id FROM conflict WHERE device_id = ?1 AND status = 'open'"
		    " ORDER BY received_at LIMIT 1", O.device_id, cid, sizeof cid);
		sqlite3_close(db);
	}
	{
		Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
		Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *reply = NULL;
		struct sync_opts o = { 0 };
		enum sync_fail fl;
		char err[1024] = "";
		rr.id = cid;
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER;
		env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE;
		env.conflict_resolve = &rr;
		o.server = S.addr;
		H_CHECK(sync_request(A.r, &o, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_RESOLVE_RESULT,
		    &reply, &fl, err, sizeof err) == 0, "the street cannot settle %s: %s", cid, err);
		envelope_free(reply);
	}
	clash(&O, b1, idn);
	dev_sync(&O, &S, &rep);
	H_CHECK(rep.acks.conflict == 1 && rep.acks.rejected == 0, "after the street settled one: "
	    "%lld conflict, %lld rejected; expected the new clash queued",
	    (long long)rep.acks.conflict, (long long)rep.acks.rejected);
	snprintf(q, sizeof q, "%lld", (long long)open_conflicts(O.device_id));
	H_CHECK(open_conflicts(O.device_id) == 3, "%s open conflicts, expected 3 again", q);

	srv_stop(&S);
	h_check_integrity(&S);
	dev_close(&A);
	dev_close(&O);
	return h_done();
}
