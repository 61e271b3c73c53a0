/*
 * test_sync_restore.c - invariants 2 and 3 of PRODUCT.md when a replica is
 * restored from an old backup (the office PC's disk died; yesterday's copy
 * of tongxin.db is put back).
 *
 * The restored replica still holds its device's credential, but its local
 * sequence is behind what the server has already seen from that device.
 * Its outbox entries that were pushed after the backup are true re-sends and
 * must be acknowledged as duplicates (exactly once). But the clerk's NEW
 * changes made on the restored replica get sequence numbers the server
 * already holds for different transactions. The idempotency key alone
 * would call them "already known" and the change would vanish: the device
 * records it as applied and the push result overwrites the clerk's row
 * with the server's state. Nothing lost means such a change must reach the
 * server, or be queued or rejected with a reason the clerk can see - never
 * acknowledged as a duplicate of something else.
 *
 * Checks, in order:
 *   1. The backup's pending transaction that the original device already
 *      pushed comes back as a duplicate and is not applied twice.
 *   2. Contact moves the replica's next sequence past the server's; a new,
 *      different change made before contact under a reused sequence number
 *      is queued whole as a conflict, never acknowledged as a duplicate.
 *   3. The next change after that gets a fresh sequence and applies.
 */
#include "sync_harness.h"

static struct h_server S;
static struct h_dev A;
static char street_id[ID_TEXT_LEN + 1], community_id[ID_TEXT_LEN + 1], branch_id[ID_TEXT_LEN + 1];

/* Copy the replica files of path (db, WAL, credential) to/from the backup. */
static void
copy_replica(const char *from, const char *to)
{
	static const char *const sfx[] = { "", "-wal", ".credential" };
	char a[4400], b[4400];

	for (int i = 0; i < 3; i++) {
		snprintf(a, sizeof a, "%s%s", from, sfx[i]);
		snprintf(b, sizeof b, "%s%s", to, sfx[i]);
		unlink(b);
		h_copy_file(a, b);
	}
}

int
main(void)
{
	Tongxin__Value v[32];
	struct h_member m;
	char x[ID_TEXT_LEN + 1], y[ID_TEXT_LEN + 1], backup[4200], val[256], status[32];
	char reason[1024], q[128];
	struct sync_report rep;
	sqlite3 *sdb;
	int64_t reused_seq, members, audit;

	h_init("test_sync_restore", 13);
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_street_tree(&A, &S, street_id, community_id, branch_id);
	h_member_vals(v, &m, branch_id, NULL);
	dev_begin(&A);
	dev_insert(&A, TBL_MEMBER, v, x);
	h_member_vals(v, &m, branch_id, NULL);
	dev_insert(&A, TBL_MEMBER, v, y);
	dev_commit(&A);
	dev_sync(&A, &S, NULL);

	/* Yesterday: one more change, not yet synced, then the backup is taken. */
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, x, "address", "备份前的地址", 0);
	dev_commit(&A);
	dev_close(&A);
	snprintf(backup, sizeof backup, "%s/backup.db", H.tmp);
	copy_replica(A.path, backup);
	dev_reopen(&A);

	/* Today: it syncs, and the clerk goes on (the next sequence number is used). */
	dev_sync(&A, &S, NULL);
	reused_seq = dev_next_seq(&A);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, x, "phone", "13811112222", 0);
	dev_commit(&A);
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.acks.applied == 1, "the original's change was not applied");

	/* The disk dies; yesterday's backup is restored. */
	dev_close(&A);
	copy_replica(backup, A.path);
	dev_reopen(&A);
	H_CHECK(dev_outbox(&A) == 1, "the backup should hold its one pending transaction");
	H_CHECK(dev_next_seq(&A) == reused_seq, "the backup's next sequence should be %lld",
	    (long long)reused_seq);
	sdb = srv_db(&S);
	members = h_sql_int(sdb, "SELECT count(*) FROM member WHERE _deleted = 0", NULL, NULL);
	audit = h_sql_int(sdb, "SELECT count(*) FROM audit", NULL, NULL);
	sqlite3_close(sdb);

	/* 1. The pending transaction the original already pushed: a duplicate. */
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == 1 && rep.acks.duplicate == 1, "the restored replica's pending "
	    "transaction: %lld pushed, %lld duplicates", (long long)rep.pushed_txns,
	    (long long)rep.acks.duplicate);
	sdb = srv_db(&S);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM audit", NULL, NULL) == audit &&
	    h_sql_int(sdb, "SELECT count(*) FROM member WHERE _deleted = 0", NULL, NULL) == members,
	    "the re-sent transaction was applied again");
	sqlite3_close(sdb);
	h_require_equal(&S, &A);
	h_log("the backup's already-pushed transaction came back as a duplicate");

	/* Contact moved the replica's next sequence past everything the server holds. */
	H_CHECK(dev_next_seq(&A) > reused_seq, "after hello the next sequence is %lld; the "
	    "server holds %lld", (long long)dev_next_seq(&A), (long long)reused_seq);
	h_log("hello moved the next sequence past the server's last one");

	/*
	 * 2. Restored again, and this time the clerk works before any contact:
	 * the new change reuses a sequence the server holds for another
	 * transaction. It must be kept whole, never acknowledged as a duplicate.
	 */
	dev_close(&A);
	copy_replica(backup, A.path);
	dev_reopen(&A);
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, y, "job", "恢复后新录入的岗位", 0);
	dev_commit(&A);
	H_CHECK(dev_next_seq(&A) - 1 == reused_seq, "setup: the new change should reuse seq %lld",
	    (long long)reused_seq);
	dev_sync(&A, &S, &rep);
	snprintf(q, sizeof q, "SELECT status FROM outcome WHERE seq = %lld", (long long)reused_seq);
	h_sql_text(replica_db(A.r), q, NULL, status, sizeof status);
	snprintf(q, sizeof q, "SELECT coalesce(reason, '') FROM outcome WHERE seq = %lld",
	    (long long)reused_seq);
	h_sql_text(replica_db(A.r), q, NULL, reason, sizeof reason);
	h_log("new change under reused seq %lld: outcome %s: %s", (long long)reused_seq, status,
	    reason);
	H_CHECK(strcmp(status, "conflict") == 0 && strstr(reason, "已被另一项修改使用") != NULL,
	    "a new change under a reused sequence must be queued with a reason; got %s \"%s\"",
	    status, reason);
	sdb = srv_db(&S);
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM conflict WHERE kind = 'reused_seq'"
	    " AND status = 'open' AND instr(txn, CAST('恢复后新录入的岗位' AS BLOB)) > 0", NULL,
	    NULL) == 1, "the server does not keep the reused-sequence change whole");
	sqlite3_close(sdb);

	/* 3. The clerk's next change gets a fresh sequence and simply applies. */
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, y, "address", "恢复后的新地址", 0);
	dev_commit(&A);
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.acks.applied == 1 && rep.acks.duplicate == 0,
	    "the next change after the restore: %lld applied, %lld duplicates",
	    (long long)rep.acks.applied, (long long)rep.acks.duplicate);
	sdb = srv_db(&S);
	h_sql_text(sdb, "SELECT coalesce(address, '') FROM member WHERE id = ?1", y, val, sizeof val);
	sqlite3_close(sdb);
	H_CHECK(strcmp(val, "恢复后的新地址") == 0, "server address is \"%s\"", val);
	srv_stop(&S);
	dev_close(&A);
	return h_done();
}
