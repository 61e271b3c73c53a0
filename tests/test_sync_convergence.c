/*
 * test_sync_convergence.c - invariants 2 (nothing lost), 4 (atomic) and 5
 * (convergence) of PRODUCT.md against a real tongxind.
 *
 * A street administrator's device and two community offices (SQ01 and SQ02,
 * two branches each) work offline for many rounds: random inserts, updates
 * and deletes of members, meetings with their attendance in one local
 * transaction, edits of branches, on rows they share (the street edits the
 * communities' rows; a "hot" set of members everyone edits often) and on rows
 * only one of them touches. The street also moves members between the two
 * communities, so rows leave an office's scope and come back. Each round the devices sync in a random order,
 * some of them not at all, some push-only or pull-only.
 *
 * At the end everyone syncs twice and then:
 *   - every replica equals the server for its scope, table by table
 *     (rep_table_hash; a row-by-row diff is printed on a mismatch);
 *   - every local transaction is accounted for: empty outbox, one outcome
 *     per seq (applied/merged/conflict/rejected), one txn_log row per
 *     (device, seq) with the same status, each conflict in the server's
 *     queue holding the whole transaction as sent, with its author;
 *   - the run produced merges and conflicts (else it proved little).
 *
 * The seed is printed; TX_SEED=<n> reruns the same choices, TX_ROUNDS=<n>
 * changes the number of rounds (default 30). The default seed, 402, makes
 * the street move a member from one community to the other and back while
 * that community's office is away; on the code this test was written
 * against the office then loses the member (see test_sync_scope.c, part 4),
 * so the run fails at the convergence check for that reason.
 */
#include "sync_harness.h"
#include "sync_ops.h"

#define NDEV 3

static struct h_server S;
static struct h_dev A, O1, O2;
static struct h_dev *devs[NDEV] = { &A, &O1, &O2 };
static char street_id[ID_TEXT_LEN + 1], sq1_id[ID_TEXT_LEN + 1], sq2_id[ID_TEXT_LEN + 1];
/* Members every device may edit: made by the street before the offices join. */
static struct h_ids hot;

static struct {
	int64_t ops, cross, syncs;   /* the rest in sync_ops.h's OST */
} ST;

/*
 * The street moves a member to a branch of the other community (a street
 * administrator may; an office cannot). Often a hot member, so members go
 * out and come back while an office is away.
 */
static void
op_cross_move(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], org[ID_TEXT_LEN + 1], to[ID_TEXT_LEN + 1], parent[ID_TEXT_LEN + 1];
	char sql[256];

	if (!pick_member(d, id) ||
	    !h_sql_text(replica_db(d->r), "SELECT org_id FROM member WHERE id = ?1", id, org,
	        sizeof org) ||
	    !h_sql_text(replica_db(d->r), "SELECT parent_id FROM org WHERE id = ?1", org, parent,
	        sizeof parent))
		return;
	snprintf(sql, sizeof sql, "SELECT id FROM org WHERE kind = 'branch' AND parent_id <> '%s' "
	    "ORDER BY code", parent);
	if (!pick(d, sql, to))
		return;
	dev_begin(d);
	dev_update1(d, TBL_MEMBER, id, "org_id", to, 0);
	dev_commit(d);
	OST.moves++;
	ST.cross++;
	OST.updates++;
	OST.txns++;
}

/*
 * A hot member's field that this kind of device looks after (the street the
 * address, the offices the education): concurrent edits of one row that
 * touch different fields, which must merge.
 */
static void
op_own_field(struct h_dev *d)
{
	char id[ID_TEXT_LEN + 1], buf[64];

	/* The first hot member of SQ01 or of SQ02: everyone who sees it edits it often. */
	if (hot.n < 8)
		return;
	snprintf(id, sizeof id, "%s", hot.v[h_randn(2) * 4]);
	if (!h_sql_int(replica_db(d->r), "SELECT count(*) FROM member WHERE id = ?1", id, NULL) &&
	    (snprintf(id, sizeof id, "%s", hot.v[0]) < 0 ||
	    !h_sql_int(replica_db(d->r), "SELECT count(*) FROM member WHERE id = ?1", id, NULL)) &&
	    (snprintf(id, sizeof id, "%s", hot.v[4]) < 0 ||
	    !h_sql_int(replica_db(d->r), "SELECT count(*) FROM member WHERE id = ?1", id, NULL)))
		return;
	dev_begin(d);
	if (d->admin) {
		snprintf(buf, sizeof buf, "街道登记地址%u号", h_randn(1000));
		dev_update1(d, TBL_MEMBER, id, "address", buf, 0);
	} else {
		dev_update1(d, TBL_MEMBER, id, "education", h_educations[h_randn(8)], 0);
	}
	dev_commit(d);
	OST.updates++;
	OST.txns++;
}

static void
random_op(struct h_dev *d)
{
	uint32_t x = h_randn(100);

	ST.ops++;
	if (d->admin && h_randn(100) < 10)
		op_cross_move(d);
	else if (h_randn(100) < 12)
		op_own_field(d);
	else if (x < 25)
		op_insert_members(d, 1 + (int)h_randn(3));
	else if (x < 55)
		op_update_members(d, 1);
	else if (x < 60)
		op_update_members(d, 2 + (int)h_randn(2));
	else if (x < 68)
		op_delete_member(d);
	else if (x < 83)
		op_meeting(d);
	else if (x < 93)
		op_edit_meeting(d);
	else if (x < 96)
		op_delete_meeting(d);
	else
		op_edit_branch(d);
}

static void
setup(void)
{
	/* Edits as sync_ops.h makes them: moves between branches, citizen-ID clashes. */
	OPS.hot = &hot;
	OPS.hot_tenths = 7;
	OPS.moves = 1;
	OPS.clashes = 1;
	OPS.distinct = 0;

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	/* Two hot members per branch, made by the street. */
	ops_world(&A, &S, &S, 2, street_id, sq1_id, sq2_id);
	dev_new(&O1, &S, "SQ01", "office-sq01", 0);
	dev_new(&O2, &S, "SQ02", "office-sq02", 0);
	for (int i = 0; i < NDEV; i++) {
		dev_sync(devs[i], &S, NULL);
		h_require_equal(&S, devs[i]);
	}
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM member", NULL, NULL) == 4,
	    "SQ01 should hold its 4 hot members");
}

static void
finale(void)
{
	struct h_ids ms;
	const char *x = NULL, *y = NULL;

	dev_sync(&A, &S, NULL);
	dev_sync(&O1, &S, NULL);
	h_sql_ids(replica_db(O1.r), "SELECT id FROM member ORDER BY rowid", NULL, &ms);
	for (size_t i = 0; i < ms.n && y == NULL; i++) {
		if (!h_sql_int(replica_db(A.r), "SELECT count(*) FROM member WHERE id = ?1", ms.v[i],
		    NULL))
			continue;
		if (x == NULL)
			x = ms.v[i];
		else
			y = ms.v[i];
	}
	H_CHECK(y != NULL, "SQ01 should share at least two members with the street");
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, x, "address", "终局街道地址", 0);
	dev_update1(&A, TBL_MEMBER, y, "name", "终局街道改名", 0);
	dev_commit(&A);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, x, "education", "master", 0);
	dev_commit(&O1);
	dev_begin(&O1);
	dev_update1(&O1, TBL_MEMBER, y, "name", "终局社区改名", 0);
	dev_commit(&O1);
	dev_sync(&A, &S, NULL);
	h_ids_free(&ms);
}

int
main(void)
{
	int rounds = getenv("TX_ROUNDS") ? atoi(getenv("TX_ROUNDS")) : 30;
	struct h_acct acct[NDEV];
	int64_t merged = 0, conflicts = 0, rejected = 0, applied = 0;
	int bad = 0;

	h_init("test_sync_convergence", 402);
	setup();
	h_log("setup done: street, SQ01 and SQ02 with two branches each, %zu hot members", hot.n);

	for (int round = 0; round < rounds; round++) {
		int order[NDEV] = { 0, 1, 2 };

		/* Offline work on every device. */
		for (int i = 0; i < NDEV; i++) {
			int k = (int)h_randn(5);
			for (int j = 0; j < k; j++)
				random_op(devs[i]);
		}
		/* A random sync order; some devices stay offline this round. */
		for (int i = NDEV - 1; i > 0; i--) {
			int j = (int)h_randn((uint32_t)i + 1), t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (int i = 0; i < NDEV; i++) {
			struct h_dev *d = devs[order[i]];
			struct sync_report rep;
			enum sync_fail f;
			char err[1024];
			uint32_t x = h_randn(20);
			int rc;

			if (x < 5)
				continue;           /* offline this round */
			rc = dev_sync_try(d, &S, x == 5, x == 6, &rep, &f, err, sizeof err);
			H_CHECK(rc == 0, "round %d: sync of %s failed (%d): %s", round, d->name, (int)f,
			    err);
			ST.syncs++;
		}
	}
	h_log("%d rounds: %lld ops, %lld transactions (%lld member inserts, %lld updates, "
	    "%lld deletes, %lld meetings, %lld branch moves of which %lld between communities, "
	    "%lld citizen-ID clashes), %lld syncs", rounds, (long long)ST.ops, (long long)OST.txns,
	    (long long)OST.inserts, (long long)OST.updates, (long long)OST.deletes,
	    (long long)OST.meetings, (long long)OST.moves, (long long)ST.cross,
	    (long long)OST.clashes, (long long)ST.syncs);

	/*
	 * A fixed finale, so that every run goes through both paths whatever
	 * the seed: the street and SQ01 edit different fields of one member
	 * (a merge) and the same field of another (a conflict), offline.
	 */
	finale();

	/* Everyone syncs twice; nobody edits. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < NDEV; i++)
			dev_sync(devs[i], &S, NULL);

	/* Convergence, for every device, every table. */
	/* (Checked last, so that a mismatch still lets the accounting run.) */
	for (int i = 0; i < NDEV; i++) {
		int b = h_compare(&S, devs[i], 0);
		if (b)
			h_log("%s differs from the server in %d table(s)", devs[i]->name, b);
		bad += b;
	}
	/* An office holds nothing outside its subtree: not even the street's row. */
	H_CHECK(h_sql_int(replica_db(O1.r), "SELECT count(*) FROM org WHERE code IN "
	    "('JD01', 'SQ02', 'SQ02B1', 'SQ02B2')", NULL, NULL) == 0,
	    "SQ01's replica holds organisations outside its subtree");

	/* Nothing lost: every local transaction has exactly one outcome on both sides. */
	for (int i = 0; i < NDEV; i++) {
		h_check_accounted(&S, devs[i], &acct[i]);
		h_log("%s: %lld transactions: %lld applied, %lld merged, %lld conflict, %lld rejected",
		    devs[i]->name, (long long)acct[i].txns, (long long)acct[i].applied,
		    (long long)acct[i].merged, (long long)acct[i].conflict, (long long)acct[i].rejected);
		applied += acct[i].applied;
		merged += acct[i].merged;
		conflicts += acct[i].conflict;
		rejected += acct[i].rejected;
	}
	/* The conflict queue says who, from which device, with both sides. */
	{
		sqlite3 *sdb = srv_db(&S);
		for (int i = 0; i < NDEV; i++) {
			int64_t n = h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE device_id = ?1 AND "
			    "status = 'open'", devs[i]->device_id, NULL);
			int64_t named = h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE device_id = ?1 "
			    "AND status = 'open' AND operator = ?2 AND received_at > 0 AND hlc > 0 AND "
			    "length(txn) > 0", devs[i]->device_id, devs[i]->name);
			H_CHECK(n == acct[i].conflict, "%s: %lld conflict outcomes but %lld open conflicts "
			    "on the server", devs[i]->name, (long long)acct[i].conflict, (long long)n);
			H_CHECK(named == n, "%s: %lld of %lld conflicts lack author, time or transaction",
			    devs[i]->name, (long long)(n - named), (long long)n);
		}
		H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE kind IN ('same_field', "
		    "'delete_updated', 'update_deleted') AND server_row IS NULL", NULL, NULL) == 0,
		    "a conflict about an existing row does not keep the server's side");
		sqlite3_close(sdb);
	}
	h_check_integrity(&S);
	H_CHECK(bad == 0, "replicas did not converge with the server (%d table mismatches, "
	    "diffs above)", bad);
	H_CHECK(merged > 0 && conflicts > 0, "the run produced %lld merges and %lld conflicts; the "
	    "workload should make both", (long long)merged, (long long)conflicts);
	h_log("all devices converged; %lld applied, %lld merged, %lld conflict, %lld rejected",
	    (long long)applied, (long long)merged, (long long)conflicts, (long long)rejected);
	srv_stop(&S);
	for (int i = 0; i < NDEV; i++)
		dev_close(devs[i]);
	h_ids_free(&hot);
	return h_done();
}
