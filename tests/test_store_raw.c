/*
 * test_store_raw.c - the store's apply path as the server drives it, in
 * process (no network): what must keep holding now that it digests and
 * keeps the bytes as received, caches organisations, and notes devices in
 * memory.
 *
 *   - exactly once across both entries: a transaction pushed with its bytes
 *     (store_push_raw) and pushed again without them (store_push), or the
 *     other way round, is a duplicate (the digests agree for protobuf-c's
 *     packing, which our clients send); a different content under the same
 *     sequence is still a reused_seq conflict, kept whole with the bytes as
 *     received; a rejected transaction's bytes are kept in txn_log as sent;
 *   - the organisation cache never answers with a state the database does
 *     not hold: in one push, a community dissolved by one transaction is
 *     dissolved for the next one (a new branch under it is a conflict), and
 *     an undissolve rolled back with its rejected transaction leaves it
 *     dissolved for the transaction after it;
 *   - device bookkeeping: store_device_seen writes nothing, the devices
 *     view shows it at once, a push's transaction writes it, and so do
 *     store_device_flush and store_close.
 */
#include "sync_harness.h"

#include "db.h"
#include "reason.h"
#include "store_internal.h"

static struct store *st;
static char dir[4096], street_id[ID_TEXT_LEN + 1], dev_id[ID_TEXT_LEN + 1];
static struct store_actor who;
static char branch[ID_TEXT_LEN + 1];   /* a live branch (check_org_cache makes it) */

/* A change under construction: up to 32 columns of text or integer. */
struct chb {
	Tongxin__Change c;
	uint32_t cols[32];
	Tongxin__Value vals[32], *vp[32], bef[32], *bp[32];
	Tongxin__Value row[64];     /* member_insert's values (the strings of m) */
	struct h_member m;
};

static void
chb_init(struct chb *b, int t, Tongxin__Change__Op op, const char *row_id)
{
	memset(b, 0, sizeof *b);
	tongxin__change__init(&b->c);
	b->c.table = (uint32_t)t;
	b->c.op = op;
	b->c.row_id = (char *)row_id;
	b->c.cols = b->cols;
	b->c.values = b->vp;
}

static void
chb_set(struct chb *b, const char *col, const char *text, long long n, const char *before)
{
	size_t i = b->c.n_cols++;

	b->cols[i] = (uint32_t)h_col((int)b->c.table, col);
	tongxin__value__init(&b->vals[i]);
	if (text != NULL) {
		b->vals[i].kind_case = TONGXIN__VALUE__KIND_S;
		b->vals[i].s = (char *)text;
	} else {
		b->vals[i].kind_case = TONGXIN__VALUE__KIND_I;
		b->vals[i].i = n;
	}
	b->vp[i] = &b->vals[i];
	b->c.n_values = b->c.n_cols;
	if (b->c.op != TONGXIN__CHANGE__OP__OP_INSERT) {
		/* The base: the column as the office last saw it (0 or the text given). */
		tongxin__value__init(&b->bef[i]);
		if (before != NULL) {
			b->bef[i].kind_case = TONGXIN__VALUE__KIND_S;
			b->bef[i].s = (char *)before;
		} else {
			b->bef[i].kind_case = TONGXIN__VALUE__KIND_I;
			b->bef[i].i = 0;
		}
		b->bp[i] = &b->bef[i];
		b->c.before = b->bp;
		b->c.n_before = b->c.n_cols;
	}
}

/* An organisation insert: code, name, kind under parent. */
static void
org_insert(struct chb *b, const char *id, const char *code, const char *kind, const char *parent)
{
	chb_init(b, TBL_ORG, TONGXIN__CHANGE__OP__OP_INSERT, id);
	chb_set(b, "code", code, 0, NULL);
	chb_set(b, "name", code, 0, NULL);
	chb_set(b, "kind", kind, 0, NULL);
	chb_set(b, "parent_id", parent, 0, NULL);
	if (strcmp(kind, "branch") == 0)
		chb_set(b, "branch_type", "residential", 0, NULL);
	chb_set(b, "founded_on", "2010-07-01", 0, NULL);
	chb_set(b, "dissolved", NULL, 0, NULL);
}

/* A valid new member of branch org (every column the harness fills). */
static void
member_insert(struct chb *b, const char *id, const char *org)
{
	chb_init(b, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_INSERT, id);
	h_member_vals(b->row, &b->m, org, NULL);
	for (int k = 0; k < schema_tables[TBL_MEMBER].ncols; k++) {
		size_t i;
		if (b->row[k].kind_case == TONGXIN__VALUE__KIND__NOT_SET)
			continue;
		i = b->c.n_cols++;
		b->cols[i] = (uint32_t)k;
		b->vals[i] = b->row[k];
		b->vp[i] = &b->vals[i];
	}
	b->c.n_values = b->c.n_cols;
}

/* A transaction of the given changes. */
static void
txn_of(Tongxin__Txn *tx, Tongxin__Change **ch, size_t n, uint64_t seq)
{
	tongxin__txn__init(tx);
	tx->seq = seq;
	tx->hlc = (uint64_t)now_ms() << 16;
	tx->local_time_ms = now_ms();
	tx->changes = ch;
	tx->n_changes = n;
}

/* Pack tx as a client does (protobuf-c), into a malloc'd binary. */
static ProtobufCBinaryData
packed(const Tongxin__Txn *tx)
{
	ProtobufCBinaryData b;

	b.len = tongxin__txn__get_packed_size(tx);
	b.data = malloc(b.len ? b.len : 1);
	H_CHECK(b.data != NULL, "out of memory");
	tongxin__txn__pack(tx, b.data);
	return b;
}

/*
 * Push the n transactions in one request (with their bytes when raw is not
 * NULL); the response, which the caller frees.
 */
static Tongxin__PushResponse *
push(Tongxin__Txn **txs, size_t n, const ProtobufCBinaryData *raw)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	char err[512] = "";

	req.txns = txs;
	req.n_txns = n;
	H_CHECK((raw ? store_push_raw(st, &who, &req, raw, &resp, err, sizeof err) :
	    store_push(st, &who, &req, &resp, err, sizeof err)) == 0, "store_push: %s", err);
	H_CHECK(resp->n_results == n, "%zu results for %zu transactions", resp->n_results, n);
	return resp;
}

static const char *
status_name(Tongxin__TxnResult__Status s)
{
	switch (s) {
	case TONGXIN__TXN_RESULT__STATUS__APPLIED: return "applied";
	case TONGXIN__TXN_RESULT__STATUS__MERGED: return "merged";
	case TONGXIN__TXN_RESULT__STATUS__CONFLICT: return "conflict";
	default: return "rejected";
	}
}

static void
expect(const Tongxin__TxnResult *r, Tongxin__TxnResult__Status want, int dup, const char *what)
{
	H_CHECK(r->status == want && (int)r->duplicate == dup, "%s: %s%s (%s), expected %s%s", what,
	    status_name(r->status), r->duplicate ? " duplicate" : "", r->reason ? r->reason : "",
	    status_name(want), dup ? " duplicate" : "");
}

/* A blob column of the store equals bytes b. */
static int
blob_is(const char *sql, const char *a1, const ProtobufCBinaryData *b)
{
	sqlite3_stmt *q;
	int same = 0;

	H_CHECK(sqlite3_prepare_v2(SQ(st)->db, sql, -1, &q, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(SQ(st)->db));
	sqlite3_bind_text(q, 1, a1, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		same = sqlite3_column_bytes(q, 0) == (int)b->len &&
		    memcmp(sqlite3_column_blob(q, 0), b->data, b->len) == 0;
	sqlite3_finalize(q);
	return same;
}

static void
open_store(int create)
{
	char err[512] = "";

	st = store_open(dir, create, err, sizeof err);
	H_CHECK(st != NULL, "store_open: %s", err);
}

/* Exactly once with and without the received bytes. */
static void
check_raw_digest(void)
{
	char sq1[ID_TEXT_LEN + 1], sq2[ID_TEXT_LEN + 1];
	struct chb a, b, c;
	Tongxin__Change *ca[] = { &a.c }, *cb[] = { &b.c }, *cc[] = { &c.c };
	Tongxin__Txn t1, t1x, t2, *p[1];
	ProtobufCBinaryData r1, r1x, r2;
	Tongxin__PushResponse *resp;

	H_CHECK(id_new(sq1) == 0 && id_new(sq2) == 0, "id_new");
	org_insert(&a, sq1, "SQ01", "community", street_id);
	txn_of(&t1, ca, 1, 1);
	r1 = packed(&t1);
	p[0] = &t1;
	resp = push(p, 1, &r1);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "first push with bytes");
	tongxin__push_response__free_unpacked(resp, NULL);
	resp = push(p, 1, NULL);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 1, "the same, packed again");
	tongxin__push_response__free_unpacked(resp, NULL);
	resp = push(p, 1, &r1);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 1, "the same with bytes");
	tongxin__push_response__free_unpacked(resp, NULL);

	/* Pushed first without its bytes, then with them. */
	org_insert(&c, sq2, "SQ02", "community", street_id);
	txn_of(&t2, cc, 1, 2);
	r2 = packed(&t2);
	p[0] = &t2;
	resp = push(p, 1, NULL);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "seq 2 packed");
	tongxin__push_response__free_unpacked(resp, NULL);
	resp = push(p, 1, &r2);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 1, "seq 2 with bytes");
	tongxin__push_response__free_unpacked(resp, NULL);

	/* Other contents under seq 1: not a duplicate, a reused_seq conflict kept as received. */
	org_insert(&b, sq1, "SQ01", "community", street_id);
	b.vals[1].s = (char *)"第一社区（改）";
	txn_of(&t1x, cb, 1, 1);
	r1x = packed(&t1x);
	p[0] = &t1x;
	resp = push(p, 1, &r1x);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__CONFLICT, 0, "seq 1 reused");
	H_CHECK(resp->results[0]->reason_code == R_REUSED_SEQ, "reason %u, expected reused_seq",
	    resp->results[0]->reason_code);
	H_CHECK(blob_is("SELECT txn FROM conflict WHERE id = ?1", resp->results[0]->conflict_id,
	    &r1x), "the conflict does not hold the transaction's bytes as received");
	tongxin__push_response__free_unpacked(resp, NULL);
	/* Re-sent, packed again this time: the same conflict, once. */
	resp = push(p, 1, NULL);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__CONFLICT, 1, "seq 1 reused again");
	tongxin__push_response__free_unpacked(resp, NULL);
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT count(*) FROM conflict WHERE kind = 'reused_seq'", NULL,
	    NULL) == 1, "the reused sequence was queued more than once");

	/* A rejection (a second street) keeps the bytes as sent in txn_log. */
	{
		struct chb d;
		Tongxin__Change *cd[] = { &d.c };
		Tongxin__Txn t3;
		ProtobufCBinaryData r3;
		char id3[ID_TEXT_LEN + 1];
		H_CHECK(id_new(id3) == 0, "id_new");
		org_insert(&d, id3, "JD02", "street", street_id);
		txn_of(&t3, cd, 1, 3);
		r3 = packed(&t3);
		p[0] = &t3;
		resp = push(p, 1, &r3);
		expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__REJECTED, 0, "a second street");
		tongxin__push_response__free_unpacked(resp, NULL);
		H_CHECK(blob_is("SELECT txn FROM txn_log WHERE seq = 3 AND device_id = ?1", dev_id, &r3),
		    "txn_log does not hold the rejected transaction's bytes as received");
		free(r3.data);
	}
	free(r1.data);
	free(r1x.data);
	free(r2.data);
	h_log("exactly once with and without the received bytes: ok");
}

/* The organisation cache follows writes and rollbacks inside one push. */
static void
check_org_cache(void)
{
	char sq3[ID_TEXT_LEN + 1], b1[ID_TEXT_LEN + 1], b2[ID_TEXT_LEN + 1], b3[ID_TEXT_LEN + 1];
	char m1[ID_TEXT_LEN + 1], m2[ID_TEXT_LEN + 1];
	static struct chb a, i0, i1, dis, i2, bd, mi, mj;
	Tongxin__Change *c0[] = { &a.c, &i0.c }, *c1[] = { &i1.c }, *c2[] = { &dis.c };
	Tongxin__Change *c3[] = { &i2.c }, *c4[] = { &bd.c, &mi.c }, *c5[] = { &mj.c };
	Tongxin__Txn t[6], *p[6];
	Tongxin__PushResponse *resp;

	H_CHECK(id_new(sq3) == 0 && id_new(b1) == 0 && id_new(b2) == 0 && id_new(b3) == 0 &&
	    id_new(m1) == 0 && id_new(m2) == 0, "id_new");
	org_insert(&a, sq3, "SQ03", "community", street_id);
	org_insert(&i0, b3, "SQ03B3", "branch", sq3);
	txn_of(&t[0], c0, 2, 10);
	p[0] = &t[0];
	resp = push(p, 1, NULL);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "SQ03 and SQ03B3");
	tongxin__push_response__free_unpacked(resp, NULL);

	/* One push: a branch under SQ03 (SQ03 is read), SQ03 dissolved, a second branch. */
	org_insert(&i1, b1, "SQ03B1", "branch", sq3);
	chb_init(&dis, TBL_ORG, TONGXIN__CHANGE__OP__OP_UPDATE, sq3);
	chb_set(&dis, "dissolved", NULL, 1, NULL);
	org_insert(&i2, b2, "SQ03B2", "branch", sq3);
	/*
	 * SQ03B3 dissolved and a member put in it (which reads it back,
	 * dissolved): a conflict, so all of it is rolled back, and a member of
	 * SQ03B3 in the next transaction finds it as it was.
	 */
	chb_init(&bd, TBL_ORG, TONGXIN__CHANGE__OP__OP_UPDATE, b3);
	chb_set(&bd, "dissolved", NULL, 1, NULL);
	member_insert(&mi, m1, b3);
	member_insert(&mj, m2, b3);
	txn_of(&t[1], c1, 1, 11);
	txn_of(&t[2], c2, 1, 12);
	txn_of(&t[3], c3, 1, 13);
	txn_of(&t[4], c4, 2, 14);
	txn_of(&t[5], c5, 1, 15);
	for (int k = 1; k < 6; k++)
		p[k - 1] = &t[k];
	resp = push(p, 5, NULL);
	expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "branch 1 under SQ03");
	expect(resp->results[1], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "SQ03 dissolved");
	expect(resp->results[2], TONGXIN__TXN_RESULT__STATUS__CONFLICT, 0,
	    "branch 2 under the dissolved SQ03");
	H_CHECK(resp->results[2]->reason_code == R_PARENT_GONE, "branch 2: reason %u, expected "
	    "parent gone", resp->results[2]->reason_code);
	expect(resp->results[3], TONGXIN__TXN_RESULT__STATUS__CONFLICT, 0,
	    "SQ03B3 dissolved with a member put in it");
	expect(resp->results[4], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0,
	    "a member of SQ03B3 after that was rolled back");
	tongxin__push_response__free_unpacked(resp, NULL);
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT dissolved FROM org WHERE id = ?1", sq3, NULL) == 1,
	    "SQ03 is not dissolved");
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT dissolved FROM org WHERE id = ?1", b3, NULL) == 0,
	    "SQ03B3 is dissolved");
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT count(*) FROM org WHERE parent_id = ?1", sq3, NULL) == 2,
	    "SQ03 holds other branches than SQ03B1 and SQ03B3");
	snprintf(branch, sizeof branch, "%s", b3);
	h_log("organisation cache through writes and rollbacks: ok");
}

/*
 * The audit does not repeat an insert's values, and still shows them: the
 * row as inserted, though it has been changed twice since.
 */
static void
check_audit(void)
{
	static struct chb ins, u1, u2;
	Tongxin__Change *c0[] = { &ins.c }, *c1[] = { &u1.c }, *c2[] = { &u2.c };
	Tongxin__Txn t[3], *p[3];
	Tongxin__PushResponse *resp;
	Tongxin__AuditRequest rq = TONGXIN__AUDIT_REQUEST__INIT;
	Tongxin__AuditResponse *ar = NULL;
	char id[ID_TEXT_LEN + 1], name0[64], want[128], err[512] = "";
	int found = 0;

	H_CHECK(id_new(id) == 0, "id_new");
	member_insert(&ins, id, branch);
	snprintf(name0, sizeof name0, "%s", ins.m.name);
	chb_init(&u1, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, id);
	chb_set(&u1, "name", "改名一", 0, name0);
	chb_init(&u2, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, id);
	chb_set(&u2, "name", "改名二", 0, "改名一");
	txn_of(&t[0], c0, 1, 30);
	txn_of(&t[1], c1, 1, 31);
	txn_of(&t[2], c2, 1, 32);
	for (int k = 0; k < 3; k++)
		p[k] = &t[k];
	resp = push(p, 3, NULL);
	for (int k = 0; k < 3; k++)
		expect(resp->results[k], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "insert, two renames");
	tongxin__push_response__free_unpacked(resp, NULL);
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT count(*) FROM audit WHERE row_id = ?1 AND action = 'insert'"
	    " AND detail IS NULL", id, NULL) == 1, "the insert's audit entry repeats its values");

	rq.row_id = id;
	H_CHECK(store_audit(st, &rq, &ar, err, sizeof err) == 0, "store_audit: %s", err);
	H_CHECK(ar->n_entries == 3, "%zu audit entries for the member, expected 3", ar->n_entries);
	for (size_t i = 0; i < ar->n_entries; i++) {
		const Tongxin__AuditEntry *e = ar->entries[i];
		if (strcmp(e->action, "insert") != 0)
			continue;
		found = 1;
		snprintf(want, sizeof want, "name=%s,", name0);
		H_CHECK(strstr(e->detail, want) != NULL && strstr(e->detail, "改名") == NULL &&
		    strstr(e->detail, ins.m.idn) != NULL, "the insert's audit shows \"%s\", not the "
		    "member as inserted (%s)", e->detail, name0);
		H_CHECK(e->seq == 30 && strcmp(e->device_name, "office-1") == 0,
		    "the insert's audit names seq %llu of %s", (unsigned long long)e->seq,
		    e->device_name);
	}
	H_CHECK(found, "no insert among the member's audit entries");
	tongxin__audit_response__free_unpacked(ar, NULL);
	h_log("audit of an insert without its values, shown as inserted: ok");
}

/* Last sessions are noted in memory and written with the next transaction. */
static void
check_device_notes(void)
{
	struct store_device d;
	const char *q = "SELECT coalesce(last_seen, 0) + coalesce(last_push, 0) * 0 FROM device"
	    " WHERE id = ?1";

	H_CHECK(store_device_seen(st, dev_id, "seen") == 0, "store_device_seen");
	H_CHECK(h_sql_int(SQ(st)->db, q, dev_id, NULL) == 0, "store_device_seen wrote to the database");
	H_CHECK(store_device_by_name(st, "office-1", &d) == 0 && d.last_seen > 0,
	    "the device's view does not show the session noted in memory");
	H_CHECK(store_device_flush(st) == 0, "store_device_flush: %s", sqlite3_errmsg(SQ(st)->db));
	H_CHECK(h_sql_int(SQ(st)->db, q, dev_id, NULL) == d.last_seen, "flush did not write last_seen");

	/* A push writes what was noted before it. */
	H_CHECK(store_device_seen(st, dev_id, "pull") == 0, "store_device_seen");
	{
		struct chb a;
		Tongxin__Change *ca[] = { &a.c };
		Tongxin__Txn t, *p[] = { &t };
		char id[ID_TEXT_LEN + 1];
		Tongxin__PushResponse *resp;
		H_CHECK(id_new(id) == 0, "id_new");
		org_insert(&a, id, "SQ04", "community", street_id);
		txn_of(&t, ca, 1, 20);
		resp = push(p, 1, NULL);
		expect(resp->results[0], TONGXIN__TXN_RESULT__STATUS__APPLIED, 0, "SQ04");
		tongxin__push_response__free_unpacked(resp, NULL);
	}
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT coalesce(last_pull, 0) FROM device WHERE id = ?1", dev_id,
	    NULL) > 0, "the push's transaction did not write the pull noted before it");

	/* Closing writes the rest. */
	H_CHECK(store_device_seen(st, dev_id, "push") == 0, "store_device_seen");
	store_close(st);
	open_store(0);
	H_CHECK(h_sql_int(SQ(st)->db, "SELECT coalesce(last_push, 0) FROM device WHERE id = ?1", dev_id,
	    NULL) > 0, "store_close did not write the push noted before it");
	h_log("device bookkeeping in memory: ok");
}

int
main(void)
{
	struct store_device d;
	char err[512] = "";

	h_init("test_store_raw", 4);
	h_path(dir, sizeof dir, "srv");
	H_CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
	open_store(1);
	H_CHECK(store_init_street(st, "测试街道", "JD01", err, sizeof err) == 0, "init: %s", err);
	H_CHECK(store_setting(st, "street_id", street_id, sizeof street_id) == 0, "no street id");
	H_CHECK(id_new(dev_id) == 0, "id_new");
	memset(&d, 0, sizeof d);
	snprintf(d.id, sizeof d.id, "%s", dev_id);
	snprintf(d.name, sizeof d.name, "office-1");
	snprintf(d.org_code, sizeof d.org_code, "JD01");
	snprintf(d.role, sizeof d.role, "admin");
	snprintf(d.serial, sizeof d.serial, "01");
	d.enrolled_at = now_ms();
	H_CHECK(store_device_add(st, &d, err, sizeof err) == 0, "device: %s", err);
	memset(&who, 0, sizeof who);
	who.device_id = dev_id;
	who.device_name = "office-1";
	who.role = "admin";
	who.scope = "/JD01/";
	who.operator_name = "测试";

	check_raw_digest();
	check_org_cache();
	check_audit();
	check_device_notes();
	store_close(st);
	return h_done();
}
