/*
 * test_outbox_ref.c - the outbox's reference form (replica_capture.c): an
 * entry of inserts refers to its rows (each marked with _version -seq)
 * instead of holding a copy of their values, and is read from them when it
 * is sent.
 * Invariants 2 and 3 of PRODUCT.md hold only if such an entry always
 * stands for what the clerk wrote at the time, however the rows change
 * afterwards. Each part changes the rows in one of the ways they can
 * change before the push is acknowledged, then checks the entry's changes
 * (unpacked as the push sends them) and the server's rows:
 *
 * 1. A later local update and a later delete of rows a stored entry refers
 *    to: that entry (and no other) keeps the values as inserted; the server
 *    ends with the update and the delete applied after the inserts.
 * 2. An update in the same local transaction, after its inserts: the entry
 *    is packed, the insert with the value as inserted.
 * 3. A lost acknowledgement, then another device edits one of the rows and
 *    this one pulls only: the pull brings the edit into the row, the entry
 *    keeps the inserted value, and the next push is acknowledged as a
 *    duplicate (the server's digest of the entry did not change).
 * 4. A rolled-back transaction leaves no reference behind; an insert whose
 *    value would not read back the same from its column is packed.
 * 5. A row changed behind capture's back (SQL straight on the file, as a
 *    writer that forgot rep_ref_settle would): the entry's check no longer
 *    holds, the push refuses to send it (nothing reaches the server), and
 *    sends it once the row is as it was.
 * The desk's search triggers are on A's replica throughout (they insert
 * rows of their own at every member insert). 2,000 random mutations of a
 * stored reference form are read without reading or writing out of bounds
 * (ASan), and none reads back as the entry it was.
 */
#include "sync_harness.h"

#include "domain.h"
#include "replica_int.h"

static struct h_server S;
static struct h_dev A, A2;
static char street_id[ID_TEXT_LEN + 1], community_id[ID_TEXT_LEN + 1], branch_id[ID_TEXT_LEN + 1];

/* Outbox entries that refer to members: each marks its rows with _version -seq. */
static int64_t
refs(struct h_dev *d)
{
	return h_sql_int(replica_db(d->r), "SELECT count(DISTINCT _version) FROM member"
	    " WHERE _version < 0", NULL, NULL);
}

/* n new members of the branch in one local transaction: ids and names out. */
static void
insert_members(struct h_dev *d, int n, char (*ids)[ID_TEXT_LEN + 1], char (*names)[64])
{
	Tongxin__Value v[32];
	struct h_member m;

	dev_begin(d);
	for (int i = 0; i < n; i++) {
		h_member_vals(v, &m, branch_id, NULL);
		dev_insert(d, TBL_MEMBER, v, ids[i]);
		snprintf(names[i], 64, "%s", m.name);
	}
	dev_commit(d);
}

/*
 * The value of column col that the outbox's change of row id with op
 * carries (as the push would send it), into out; 1 found, 0 not.
 */
static int
outbox_value(struct h_dev *d, const char *id, Tongxin__Change__Op op, const char *col,
    char *out, size_t cap)
{
	Tongxin__Txn **txns = NULL;
	uint32_t want = (uint32_t)h_col(TBL_MEMBER, col);
	int n = rep_outbox_peek(d->r, 100000, SIZE_MAX, &txns), found = 0;

	H_CHECK(n >= 0, "the outbox of %s cannot be read", d->name);
	for (int i = 0; i < n; i++) {
		for (size_t j = 0; !found && j < txns[i]->n_changes; j++) {
			const Tongxin__Change *c = txns[i]->changes[j];
			if (c->op != op || strcmp(c->row_id, id) != 0)
				continue;
			for (size_t k = 0; k < c->n_cols && k < c->n_values; k++)
				if (c->cols[k] == want && c->values[k]->kind_case ==
				    TONGXIN__VALUE__KIND_S) {
					snprintf(out, cap, "%s", c->values[k]->s);
					found = 1;
				}
		}
		tongxin__txn__free_unpacked(txns[i], NULL);
	}
	free(txns);
	return found;
}

static void
expect_outbox_value(struct h_dev *d, const char *id, Tongxin__Change__Op op, const char *col,
    const char *want, const char *when)
{
	char got[256] = "";

	H_CHECK(outbox_value(d, id, op, col, got, sizeof got) && strcmp(got, want) == 0,
	    "%s: the outbox's %s of %s carries %s \"%s\", expected \"%s\"", when,
	    op == TONGXIN__CHANGE__OP__OP_INSERT ? "insert" : "update", id, col, got, want);
}

/* The server's member id holds want in column col. */
static void
expect_server(const char *id, const char *col, const char *want, const char *when)
{
	sqlite3 *db = srv_db(&S);
	char sql[96], got[256] = "";

	snprintf(sql, sizeof sql, "SELECT %s FROM member WHERE id = ?1", col);
	H_CHECK(h_sql_text(db, sql, id, got, sizeof got) && strcmp(got, want) == 0,
	    "%s: the server holds %s \"%s\" for %s, expected \"%s\"", when, col, got, id, want);
	sqlite3_close(db);
}

/*
 * Entry seq of d's outbox, changed at random 2,000 times (bytes changed,
 * cut short, lengthened): rep_outbox_expand stays within its buffers, and
 * a stream changed after its version byte (references or check) is never
 * read as an entry: the check or the rows refuse it.
 */
static void
mutate_refs(struct h_dev *d, int64_t seq)
{
	sqlite3 *db = replica_db(d->r);
	sqlite3_stmt *st;
	uint8_t *orig, *m, *buf = NULL;
	const uint8_t *full;
	size_t len, cap = 0, flen, refs_at = 0;
	int accepted = 0;

	H_CHECK(sqlite3_prepare_v2(db, "SELECT txn FROM outbox WHERE seq = ?1", -1, &st, NULL) ==
	    SQLITE_OK, "prepare");
	sqlite3_bind_int64(st, 1, seq);
	H_CHECK(sqlite3_step(st) == SQLITE_ROW, "no outbox entry %lld", (long long)seq);
	len = (size_t)sqlite3_column_bytes(st, 0);
	H_CHECK((orig = malloc(len)) != NULL && (m = malloc(len + 16)) != NULL, "out of memory");
	memcpy(orig, sqlite3_column_blob(st, 0), len);
	sqlite3_finalize(st);
	H_CHECK(rep_outbox_expand(db, orig, len, &buf, &cap, &full, &flen) == 1,
	    "entry %lld is not in the reference form", (long long)seq);
	{
		/* Where the stream's references start: after field 14's version byte. */
		struct pbr rd;
		struct pb_field f;
		pbr_init(&rd, orig, len);
		while (pbr_next(&rd, &f) == 1)
			if (f.field == OUTBOX_REF_FIELD)
				refs_at = (size_t)(f.data - orig) + 1;
		H_CHECK(refs_at > 0 && refs_at < len, "no reference stream in entry %lld",
		    (long long)seq);
	}
	for (int i = 0; i < 2000; i++) {
		size_t ml = len, at;
		bool in_refs = true;
		memcpy(m, orig, len);
		switch (h_randn(3)) {
		case 0:   /* bytes changed, in the stream's references most of the time */
			for (int k = 1 + (int)h_randn(3); k > 0; k--) {
				at = h_randn(4) ? refs_at + h_randn((uint32_t)(len - refs_at)) :
				    h_randn((uint32_t)len);
				in_refs = in_refs && at >= refs_at;
				m[at] = (uint8_t)h_rand();
			}
			break;
		case 1:   /* cut short */
			ml = h_randn((uint32_t)len);
			break;
		default:   /* lengthened */
			ml = len + 1 + h_randn(16);
			for (size_t k = len; k < ml; k++)
				m[k] = (uint8_t)h_rand();
			break;
		}
		if (ml == len && memcmp(m, orig, len) == 0)
			continue;
		if (rep_outbox_expand(db, m, ml, &buf, &cap, &full, &flen) >= 0) {
			accepted++;
			H_CHECK(ml != len || !in_refs, "mutation %d: a reference stream changed after "
			    "its version byte was read as an entry (%zu bytes)", i, flen);
		}
	}
	h_log("reference form mutations: %d of 2000 still read as an entry", accepted);
	free(orig);
	free(m);
	free(buf);
}

/* Part 1: rows a stored entry refers to are updated and deleted later. */
static void
later_edits(void)
{
	char ids[1500][ID_TEXT_LEN + 1], names[1500][64];
	struct sync_report rep;

	insert_members(&A, 30, ids, names);
	H_CHECK(refs(&A) == 1 && dev_outbox(&A) == 1, "30 inserts in one transaction: %lld "
	    "entries in the reference form, %lld in the outbox; expected 1 and 1",
	    (long long)refs(&A), (long long)dev_outbox(&A));
	expect_outbox_value(&A, ids[12], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[12],
	    "read from its row");
	H_CHECK(h_sql_int(replica_db(A.r), "SELECT count(*) FROM ui_member_gram", NULL, NULL) > 0,
	    "the desk's triggers wrote nothing: the test does not test what it says");
	mutate_refs(&A, h_sql_int(replica_db(A.r), "SELECT max(seq) FROM outbox", NULL, NULL));
	dev_begin(&A);
	dev_update1(&A, TBL_MEMBER, ids[12], "name", "改过的名字", 0);
	dev_commit(&A);
	H_CHECK(refs(&A) == 0, "an update of a row the entry referred to left %lld entries in "
	    "the reference form", (long long)refs(&A));
	expect_outbox_value(&A, ids[12], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[12],
	    "after a later update");
	expect_outbox_value(&A, ids[12], TONGXIN__CHANGE__OP__OP_UPDATE, "name", "改过的名字",
	    "the update itself");

	/* 1,500 inserts: two entries (1,000 and 500), both references; then a delete. */
	insert_members(&A, 1500, ids, names);
	H_CHECK(refs(&A) == 2, "1,500 inserts in one transaction: %lld entries in the reference "
	    "form, expected 2", (long long)refs(&A));
	dev_begin(&A);
	dev_delete(&A, TBL_MEMBER, ids[1234]);
	dev_commit(&A);
	H_CHECK(refs(&A) == 1, "a delete of a row of the second entry left %lld entries in the "
	    "reference form; expected the first one only", (long long)refs(&A));
	expect_outbox_value(&A, ids[1234], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[1234],
	    "after a later delete");
	expect_outbox_value(&A, ids[999], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[999],
	    "the last row of the first entry");
	expect_outbox_value(&A, ids[1000], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[1000],
	    "the first row of the second entry");

	dev_sync(&A, &S, &rep);
	expect_server(ids[1499], "name", names[1499], "the last insert of the import");
	H_CHECK(rep.acks.applied == rep.pushed_txns && rep.pushed_txns == 5,
	    "the push: %lld transactions, %lld applied; expected 5 and 5",
	    (long long)rep.pushed_txns, (long long)rep.acks.applied);
	{
		sqlite3 *db = srv_db(&S);
		H_CHECK(h_sql_int(db, "SELECT _deleted FROM member WHERE id = ?1", ids[1234], NULL) ==
		    1, "the deleted member %s is not deleted on the server", ids[1234]);
		sqlite3_close(db);
	}
	H_CHECK(dev_outbox(&A) == 0 && refs(&A) == 0, "after the sync the outbox holds %lld "
	    "entries, %lld in the reference form", (long long)dev_outbox(&A), (long long)refs(&A));
}

/* Part 2: an update in the same transaction as the inserts. */
static void
same_txn_edit(void)
{
	char ids[20][ID_TEXT_LEN + 1], names[20][64], phone[32];
	Tongxin__Value v[32];
	struct h_member m;
	struct sync_report rep;

	dev_begin(&A);
	for (int i = 0; i < 20; i++) {
		h_member_vals(v, &m, branch_id, NULL);
		dev_insert(&A, TBL_MEMBER, v, ids[i]);
		snprintf(names[i], sizeof names[i], "%s", m.name);
		if (i == 15)
			snprintf(phone, sizeof phone, "%s", m.phone);
	}
	dev_update1(&A, TBL_MEMBER, ids[15], "phone", "13700000000", 0);
	dev_commit(&A);
	H_CHECK(refs(&A) == 0, "a transaction that updates a row it inserted was stored in the "
	    "reference form");
	expect_outbox_value(&A, ids[15], TONGXIN__CHANGE__OP__OP_INSERT, "phone", phone,
	    "an insert updated in its own transaction");
	expect_outbox_value(&A, ids[19], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[19],
	    "an insert after the update");
	dev_sync(&A, &S, &rep);
	expect_server(ids[15], "phone", "13700000000", "an update in the inserts' transaction");
}

/* Part 3: a lost acknowledgement, another device's edit, a pull only, the push again. */
static void
lost_ack_pull(void)
{
	char ids[40][ID_TEXT_LEN + 1], names[40][64], out[4300], got[256];
	struct sync_report rep;
	enum sync_fail f;
	char err[1024];
	int rc;

	insert_members(&A, 40, ids, names);
	H_CHECK(refs(&A) == 1, "40 inserts: not in the reference form");
	dev_close(&A);
	snprintf(out, sizeof out, "%s/ref-die-after-push.out", H.tmp);
	{
		const char *argv[] = { H.tongxin, "--replica", A.path, "--server", S.addr, "sync", NULL };
		const char *env[] = { "TONGXIN_TEST_DIE_AFTER_PUSH=1", NULL };
		rc = h_run(argv, out, env);
	}
	H_CHECK(rc == 3, "tongxin sync with TONGXIN_TEST_DIE_AFTER_PUSH=1 exited %d, expected 3: %s",
	    rc, h_slurp_tail(out, 2000));
	dev_reopen(&A);
	H_CHECK(dev_outbox(&A) == 1 && refs(&A) == 1, "after the lost answer the outbox holds "
	    "%lld entries, %lld in the reference form; expected 1 and 1",
	    (long long)dev_outbox(&A), (long long)refs(&A));

	/* Another device of the scope renames one of them on the server. */
	dev_sync(&A2, &S, NULL);
	dev_begin(&A2);
	dev_update1(&A2, TBL_MEMBER, ids[7], "name", "别处改名", 0);
	dev_commit(&A2);
	dev_sync(&A2, &S, NULL);

	/* A pulls only: the server sends the row back with the other device's name. */
	rc = dev_sync_try(&A, &S, 0, 1, &rep, &f, err, sizeof err);
	H_CHECK(rc == 0, "pull only: %s", err);
	H_CHECK(h_sql_text(replica_db(A.r), "SELECT name FROM member WHERE id = ?1", ids[7], got,
	    sizeof got) && strcmp(got, "别处改名") == 0,
	    "after the pull the replica holds \"%s\" for %s, expected the other device's name",
	    got, ids[7]);
	H_CHECK(refs(&A) == 0, "a pull left an entry in the reference form");
	expect_outbox_value(&A, ids[7], TONGXIN__CHANGE__OP__OP_INSERT, "name", names[7],
	    "after a pull changed the row");

	/* The same bytes again: the server knows them. */
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == 1 && rep.acks.duplicate == 1,
	    "the push after the lost answer: %lld sent, %lld duplicates; expected 1 and 1 (a "
	    "digest that differs would mean the entry changed)", (long long)rep.pushed_txns,
	    (long long)rep.acks.duplicate);
	expect_server(ids[7], "name", "别处改名", "the other device's edit");
}

/* Part 4: a rollback, and a value that would not read back as it was given. */
static void
rollback_and_shape(void)
{
	char ids[20][ID_TEXT_LEN + 1];
	Tongxin__Value v[32];
	struct h_member m;
	int64_t before = dev_outbox(&A);

	dev_begin(&A);
	for (int i = 0; i < 20; i++) {
		h_member_vals(v, &m, branch_id, NULL);
		dev_insert(&A, TBL_MEMBER, v, ids[i]);
	}
	rep_rollback(A.r);
	H_CHECK(dev_outbox(&A) == before && refs(&A) == 0, "a rolled-back transaction left "
	    "%lld outbox entries (%lld before), %lld in the reference form",
	    (long long)dev_outbox(&A), (long long)before, (long long)refs(&A));

	/* A number in a text column is stored as text: that entry holds its values. */
	dev_begin(&A);
	for (int i = 0; i < 20; i++) {
		h_member_vals(v, &m, branch_id, NULL);
		if (i == 3)
			h_seti(v, TBL_MEMBER, "job", 42);
		dev_insert(&A, TBL_MEMBER, v, ids[i]);
	}
	dev_commit(&A);
	H_CHECK(refs(&A) == 0, "an entry with a value that reads back differently was stored in "
	    "the reference form");
	{
		Tongxin__Txn **txns = NULL;
		int n = rep_outbox_peek(A.r, 100, SIZE_MAX, &txns), seen = 0;
		uint32_t job = (uint32_t)h_col(TBL_MEMBER, "job");
		H_CHECK(n == 1, "expected one outbox entry, found %d", n);
		for (size_t j = 0; j < txns[0]->n_changes; j++) {
			const Tongxin__Change *c = txns[0]->changes[j];
			if (strcmp(c->row_id, ids[3]) != 0)
				continue;
			for (size_t k = 0; k < c->n_cols; k++)
				if (c->cols[k] == job && c->values[k]->kind_case ==
				    TONGXIN__VALUE__KIND_I && c->values[k]->i == 42)
					seen = 1;
		}
		H_CHECK(seen, "the entry does not carry the integer 42 that was given");
		tongxin__txn__free_unpacked(txns[0], NULL);
		free(txns);
	}
	/* The server refuses it for its shape; the outbox is answered all the same. */
	{
		struct sync_report rep;
		dev_sync(&A, &S, &rep);
		H_CHECK(rep.acks.rejected == 1, "a number in a text column: %lld rejected, expected 1",
		    (long long)rep.acks.rejected);
	}
}

/* Set a member's name straight in the replica file, bypassing capture. */
static void
raw_rename(struct h_dev *d, const char *id, const char *name)
{
	sqlite3_stmt *st;

	H_CHECK(sqlite3_prepare_v2(replica_db(d->r), "UPDATE member SET name = ?2 WHERE id = ?1",
	    -1, &st, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(replica_db(d->r)));
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	H_CHECK(sqlite3_step(st) == SQLITE_DONE, "%s", sqlite3_errmsg(replica_db(d->r)));
	sqlite3_finalize(st);
}

/* Part 5: a row changed without settling: the entry is not sent as something else. */
static void
changed_behind(void)
{
	char ids[12][ID_TEXT_LEN + 1], names[12][64], err[1024];
	struct sync_report rep;
	enum sync_fail f;
	int64_t server_before;

	insert_members(&A, 12, ids, names);
	H_CHECK(refs(&A) == 1, "12 inserts: not in the reference form");
	raw_rename(&A, ids[10], "悄悄改名");
	{
		sqlite3 *db = srv_db(&S);
		server_before = h_sql_int(db, "SELECT count(*) FROM member", NULL, NULL);
		sqlite3_close(db);
	}
	H_CHECK(dev_sync_try(&A, &S, 0, 0, &rep, &f, err, sizeof err) != 0,
	    "a push whose rows changed behind capture's back succeeded");
	{
		sqlite3 *db = srv_db(&S);
		H_CHECK(h_sql_int(db, "SELECT count(*) FROM member", NULL, NULL) == server_before,
		    "rows of an entry whose check failed reached the server");
		sqlite3_close(db);
	}
	h_log("a changed row stops the push: %s", err);
	raw_rename(&A, ids[10], names[10]);
	dev_sync(&A, &S, &rep);
	H_CHECK(rep.pushed_txns == 1 && rep.acks.applied == 1, "the push with the row as it was: "
	    "%lld sent, %lld applied", (long long)rep.pushed_txns, (long long)rep.acks.applied);
}

int
main(void)
{
	h_init("test_outbox_ref", 11);
	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_new(&A2, &S, "JD01", "street-admin-2", 1);
	dev_street_tree(&A, &S, street_id, community_id, branch_id);
	dev_sync(&A, &S, NULL);
	/*
	 * The desk's objects on A's replica: triggers that insert into a table
	 * of their own at every member insert (the rowid an entry notes must be
	 * the member's, not theirs).
	 */
	{
		struct dom_error e;
		H_CHECK(dom_prepare_indexes(A.r, &e) == 0, "dom_prepare_indexes: %s", e.msg);
	}

	later_edits();
	same_txn_edit();
	lost_ack_pull();
	rollback_and_shape();
	changed_behind();

	h_check_integrity(&S);
	srv_stop(&S);
	dev_close(&A);
	dev_close(&A2);
	return h_done();
}
