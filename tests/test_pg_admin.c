/*
 * test_pg_admin.c - the administrators' reads of the PostgreSQL store
 * (server/store_pg_admin.c) answer as the SQLite store's (store_admin.c):
 * tests/it_pg_admin.sh starts a private cluster and runs
 *
 *   test_pg_admin URI
 *
 * on its database (emptied here first). The same small world is built on a
 * SQLite store (a temporary directory) and on the PostgreSQL store, through
 * the public API only (store_init_street, store_device_add, store_push,
 * store_conflict_resolve), from the very same transactions: a street admin
 * and a community office, three members, then a newer-wins decision (auto),
 * a same-field clash, an update of a deleted member, a unique clash and a
 * reused sequence (open), two of them settled. Then each of the six reads
 * must answer alike on both stores:
 *   - conflict list: every status, the office, table and time filters, a
 *     limit; a bad status and an unknown table are refused in the same words;
 *   - conflict show: every conflict by its id and by a suffix (both sides,
 *     the row now, who wrote the server's value); an unknown and a too short
 *     id refused alike;
 *   - audit: the whole trail, a row's trail (its insert rendered from the
 *     row), by device, since a time, with a limit;
 *   - devices: counts, open conflicts, the last replica check;
 *   - replica check: digests the store's own table_hash gives (SQLite's
 *     rowhash.c, over a copy of PostgreSQL's rows for that store) match,
 *     a wrong one is named, the member table's digest is the same number on
 *     both stores, and a wrong count of digests is refused alike;
 *   - resolutions: each device gets the same decisions, and nothing more
 *     from the cursor it was given; on PostgreSQL, a resolution committed
 *     while a lower version is still in flight waits for it (once), and
 *     while another handle settles 119 of the office's conflicts one after
 *     another, the office's pulls (store_pull_page, which reads resolutions
 *     inside the page's snapshot) get every one of them exactly once.
 * The answers are compared packed, after what differs by construction is
 * made equal: the server's ids (the street's, each conflict's: the same
 * length, so replaced in the packed bytes), times and versions (a
 * PostgreSQL sequence leaves gaps where SQLite gives versions back).
 * Exit status 0 when every check passed.
 */
#include "sync_harness.h"

#include <pthread.h>

#include <libpq-fe.h>

#include "rowhash.h"
#include "store.h"
#include "store_pgs.h"

static int failures, checks;

static void
check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* --- the two stores ----------------------------------------------------------- */

#define MAX_CONFLICTS 16

struct world {
	const char *name;               /* "sqlite", "postgresql" */
	struct store *st;
	char street_id[ID_TEXT_LEN + 1];
	/* The conflicts, in the order of conflict list "all" (received_at, id). */
	char cids[MAX_CONFLICTS][ID_TEXT_LEN + 1];
	int ncids;
};

static struct world W[2];
static char sqlite_db[4200];          /* W[0]'s file, read here for the digests */
static const char *pg_uri;
static char a_id[ID_TEXT_LEN + 1], o_id[ID_TEXT_LEN + 1];
static struct store_actor A, O;       /* street admin, office of SQ01 */

/*
 * Replace, in buf, each of w's server-made ids with a token of the same
 * length (so the packed message stays well-formed): the street's id, and
 * conflict i's id.
 */
static void
ids_normalise(const struct world *w, uint8_t *buf, size_t n)
{
	char tok[ID_TEXT_LEN + 1];

	for (int k = -1; k < w->ncids; k++) {
		const char *id = k < 0 ? w->street_id : w->cids[k];
		size_t il = strlen(id);
		if (il != ID_TEXT_LEN)
			continue;
		if (k < 0)
			snprintf(tok, sizeof tok, "%-*s", ID_TEXT_LEN, "street-id");
		else
			snprintf(tok, sizeof tok, "conflict-%0*d", ID_TEXT_LEN - 9, k);
		for (size_t i = 0; i + il <= n; i++)
			if (memcmp(buf + i, id, il) == 0)
				memcpy(buf + i, tok, il);
	}
}

/* The same for a C string (an error message). */
static void
ids_normalise_str(const struct world *w, char *s)
{
	ids_normalise(w, (uint8_t *)s, strlen(s));
}

/*
 * Compare two packed answers (each normalised by its world's ids); on a
 * difference say where, with the bytes around it.
 */
static void
same_bytes(const char *what, uint8_t *a, size_t an, uint8_t *b, size_t bn)
{
	size_t i = 0;

	ids_normalise(&W[0], a, an);
	ids_normalise(&W[1], b, bn);
	if (an == bn && memcmp(a, b, an) == 0) {
		checks++;
		return;
	}
	while (i < an && i < bn && a[i] == b[i])
		i++;
	check(0, "%s: the answers differ (sqlite %zu bytes, postgresql %zu) at byte %zu", what, an,
	    bn, i);
	for (int k = 0; k < 2; k++) {
		const uint8_t *p = k ? b : a;
		size_t n = k ? bn : an, from = i > 40 ? i - 40 : 0;
		fprintf(stderr, "  %-10s ", k ? "postgresql" : "sqlite");
		for (size_t j = from; j < n && j < i + 80; j++)
			fputc(p[j] >= 0x20 && p[j] < 0x7f ? p[j] : '.', stderr);
		fputc('\n', stderr);
	}
}

/* Pack message m (any protobuf-c message) into a malloc'd buffer. */
static uint8_t *
pack(const ProtobufCMessage *m, size_t *n)
{
	uint8_t *b;

	*n = protobuf_c_message_get_packed_size(m);
	H_CHECK((b = malloc(*n ? *n : 1)) != NULL, "out of memory");
	protobuf_c_message_pack(m, b);
	return b;
}

static void
same_msg(const char *what, const ProtobufCMessage *a, const ProtobufCMessage *b)
{
	size_t an, bn;
	uint8_t *pa = pack(a, &an), *pb = pack(b, &bn);

	same_bytes(what, pa, an, pb, bn);
	free(pa);
	free(pb);
}

/* Both refused, in the same words (ids normalised). */
static void
same_error(const char *what, int rc0, char *e0, int rc1, char *e1)
{
	ids_normalise_str(&W[0], e0);
	ids_normalise_str(&W[1], e1);
	check(rc0 == -1 && rc1 == -1 && strcmp(e0, e1) == 0 && e0[0] != '\0',
	    "%s: sqlite %d \"%s\", postgresql %d \"%s\"; expected both refused alike", what, rc0, e0,
	    rc1, e1);
}

/* A time or a version that differs by construction: 0 stays 0, anything else is 1. */
static int64_t
flat(int64_t v)
{
	return v != 0;
}

static void
row_normalise(Tongxin__Row *r)
{
	if (r != NULL)
		r->version = (uint64_t)flat((int64_t)r->version);
}

static void
conflict_normalise(Tongxin__ConflictInfo *ci)
{
	ci->received_at_ms = flat(ci->received_at_ms);
	ci->resolved_at_ms = flat(ci->resolved_at_ms);
	ci->server_written_at_ms = flat(ci->server_written_at_ms);
	row_normalise(ci->server_row);
	row_normalise(ci->current_row);
}

/* --- building the world --------------------------------------------------------- */

/* A change under construction (as test_store_raw's): up to 40 columns. */
struct chb {
	Tongxin__Change c;
	uint32_t cols[40];
	Tongxin__Value vals[40], *vp[40], bef[40], *bp[40];
	Tongxin__Value row[64];
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
	b->c.before = b->bp;
}

/* Set a text column (an integer when text is NULL); before: the base an update saw. */
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
		tongxin__value__init(&b->bef[i]);
		if (before != NULL) {
			b->bef[i].kind_case = TONGXIN__VALUE__KIND_S;
			b->bef[i].s = (char *)before;
		}
		b->bp[i] = &b->bef[i];
		b->c.n_before = b->c.n_cols;
	}
}

static void
org_insert(struct chb *b, const char *id, const char *code, const char *name, const char *kind,
    const char *parent)
{
	chb_init(b, TBL_ORG, TONGXIN__CHANGE__OP__OP_INSERT, id);
	chb_set(b, "code", code, 0, NULL);
	chb_set(b, "name", name, 0, NULL);
	chb_set(b, "kind", kind, 0, NULL);
	chb_set(b, "parent_id", parent, 0, NULL);
	if (strcmp(kind, "branch") == 0)
		chb_set(b, "branch_type", "residential", 0, NULL);
	chb_set(b, "founded_on", "2010-07-01", 0, NULL);
	chb_set(b, "dissolved", NULL, 0, NULL);
}

/* A valid new member of branch org; idn: a citizen ID to reuse (a clash), or NULL. */
static void
member_insert(struct chb *b, const char *id, const char *org, const char *idn)
{
	chb_init(b, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_INSERT, id);
	h_member_vals(b->row, &b->m, org, idn);
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

static uint64_t clock_next;

/* A transaction of the given changes; its clock moves on from the last one's. */
static void
txn_of(Tongxin__Txn *tx, Tongxin__Change **ch, size_t n, uint64_t seq, const char *op)
{
	tongxin__txn__init(tx);
	tx->seq = seq;
	if (clock_next == 0)
		clock_next = (uint64_t)now_ms() << 16;
	tx->hlc = clock_next += 1u << 16;
	tx->local_time_ms = (int64_t)(tx->hlc >> 16);
	tx->operator_name = (char *)op;
	tx->changes = ch;
	tx->n_changes = n;
}

/*
 * Push one transaction as who to store k; its status must be want. A
 * pause after it, so that the next conflict is received a later
 * millisecond on both stores (conflict list orders by received_at).
 */
static void
push1(int k, const struct store_actor *who, Tongxin__Txn *tx, Tongxin__TxnResult__Status want,
    const char *what)
{
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	Tongxin__Txn *p[1] = { tx };
	char err[512] = "";

	req.txns = p;
	req.n_txns = 1;
	H_CHECK(store_push(W[k].st, who, &req, &resp, err, sizeof err) == 0, "%s: push %s: %s",
	    W[k].name, what, err);
	H_CHECK(resp->n_results == 1 && resp->results[0]->status == want, "%s: %s: status %d (%s),"
	    " expected %d", W[k].name, what, resp->results[0]->status, resp->results[0]->reason,
	    want);
	tongxin__push_response__free_unpacked(resp, NULL);
	h_msleep(3);
}

/* Push tx to both stores. */
static void
push2(const struct store_actor *who, Tongxin__Txn *tx, Tongxin__TxnResult__Status want,
    const char *what)
{
	push1(0, who, tx, want, what);
	push1(1, who, tx, want, what);
}

/* An empty database: the public schema dropped and made again. */
static void
empty_database(void)
{
	PGconn *c = PQconnectdb(pg_uri);
	PGresult *r;

	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect %s: %s", pg_uri, PQerrorMessage(c));
	r = PQexec(c, "DROP SCHEMA public CASCADE");
	PQclear(r);
	r = PQexec(c, "CREATE SCHEMA public");
	H_CHECK(PQresultStatus(r) == PGRES_COMMAND_OK, "create schema: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

static void
open_stores(void)
{
	char err[512] = "", dir[4200];
	struct store_device d;

	h_path(dir, sizeof dir, "srv");
	H_CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
	snprintf(sqlite_db, sizeof sqlite_db, "%s/tongxind.db", dir);
	W[0].name = "sqlite";
	H_CHECK((W[0].st = store_open(dir, 1, err, sizeof err)) != NULL, "sqlite: %s", err);
	W[1].name = "postgresql";
	empty_database();
	H_CHECK((W[1].st = pgs_open(pg_uri, 1, err, sizeof err)) != NULL, "postgresql: %s", err);

	H_CHECK(id_new(a_id) == 0 && id_new(o_id) == 0, "id_new");
	for (int k = 0; k < 2; k++) {
		H_CHECK(store_init_street(W[k].st, "测试街道", "JD01", err, sizeof err) == 0,
		    "%s: init: %s", W[k].name, err);
		H_CHECK(store_setting(W[k].st, "street_id", W[k].street_id,
		    sizeof W[k].street_id) == 0, "%s: no street id", W[k].name);
		memset(&d, 0, sizeof d);
		snprintf(d.id, sizeof d.id, "%s", a_id);
		snprintf(d.name, sizeof d.name, "street-admin");
		snprintf(d.org_code, sizeof d.org_code, "JD01");
		snprintf(d.role, sizeof d.role, "admin");
		snprintf(d.serial, sizeof d.serial, "0a");
		d.enrolled_at = 1764547200000;
		H_CHECK(store_device_add(W[k].st, &d, err, sizeof err) == 0, "%s: %s", W[k].name, err);
		snprintf(d.id, sizeof d.id, "%s", o_id);
		snprintf(d.name, sizeof d.name, "office-sq01");
		snprintf(d.org_code, sizeof d.org_code, "SQ01");
		snprintf(d.role, sizeof d.role, "office");
		snprintf(d.serial, sizeof d.serial, "0b");
		d.enrolled_at = 1764547300000;
		H_CHECK(store_device_add(W[k].st, &d, err, sizeof err) == 0, "%s: %s", W[k].name, err);
	}
	A = (struct store_actor){ a_id, "street-admin", "admin", "/JD01/", "张街道" };
	O = (struct store_actor){ o_id, "office-sq01", "office", "/JD01/SQ01/", "李社区" };
}

static char sq1[ID_TEXT_LEN + 1], b1[ID_TEXT_LEN + 1];
static char m1[ID_TEXT_LEN + 1], m2[ID_TEXT_LEN + 1], m3[ID_TEXT_LEN + 1];
static char m4[ID_TEXT_LEN + 1];
static int64_t t_mid;      /* between the second and the third conflict, on both stores */

/* Settle conflict i (list order) as the street admin on both stores. */
static void
resolve2(int i, Tongxin__ConflictResolveRequest__Decision dec, const char *note)
{
	for (int k = 0; k < 2; k++) {
		Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
		Tongxin__ConflictResolveResponse *resp = NULL;
		char err[512] = "";
		rr.id = W[k].cids[i];
		rr.decision = dec;
		rr.note = (char *)note;
		H_CHECK(store_conflict_resolve(W[k].st, &A, &rr, &resp, err, sizeof err) == 0,
		    "%s: resolve conflict %d: %s", W[k].name, i, err);
		tongxin__conflict_resolve_response__free_unpacked(resp, NULL);
		h_msleep(3);
	}
}

/* The conflicts' ids on store k, in list order ("all"). */
static void
conflict_ids(int k)
{
	Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__ConflictListResponse *l = NULL;
	char err[512] = "";

	f.status = (char *)"all";
	H_CHECK(store_conflict_list(W[k].st, &f, &l, err, sizeof err) == 0, "%s: list: %s",
	    W[k].name, err);
	H_CHECK(l->n_conflicts <= MAX_CONFLICTS, "too many conflicts");
	W[k].ncids = (int)l->n_conflicts;
	for (size_t i = 0; i < l->n_conflicts; i++)
		snprintf(W[k].cids[i], sizeof W[k].cids[i], "%s", l->conflicts[i]->id);
	tongxin__conflict_list_response__free_unpacked(l, NULL);
}

static void
build_world(void)
{
	static struct chb c_sq1[2], c_b1, c_m[3], u_phone, u_name_a, u_name_o, d_m3, u_m3, i_m4;
	static struct chb reuse;
	static Tongxin__Change *ch_sq1[2][1], *ch_b1[] = { &c_b1.c };
	static Tongxin__Change *ch_m[] = { &c_m[0].c, &c_m[1].c, &c_m[2].c };
	static Tongxin__Change *ch_phone[] = { &u_phone.c }, *ch_na[] = { &u_name_a.c };
	static Tongxin__Change *ch_no[] = { &u_name_o.c }, *ch_dm3[] = { &d_m3.c };
	static Tongxin__Change *ch_um3[] = { &u_m3.c }, *ch_m4[] = { &i_m4.c };
	static Tongxin__Change *ch_reuse[] = { &reuse.c };
	Tongxin__Txn t_sq1[2], t_b1, t_m, t_phone, t_na, t_no, t_dm3, t_um3, t_m4, t_reuse;
	uint64_t hlc;

	H_CHECK(id_new(sq1) == 0 && id_new(b1) == 0 && id_new(m1) == 0 && id_new(m2) == 0 &&
	    id_new(m3) == 0 && id_new(m4) == 0, "id_new");
	/* The community names the street as its parent: the street's id is each store's own. */
	hlc = clock_next;
	for (int k = 0; k < 2; k++) {
		org_insert(&c_sq1[k], sq1, "SQ01", "第一社区", "community", W[k].street_id);
		ch_sq1[k][0] = &c_sq1[k].c;
		clock_next = hlc;
		txn_of(&t_sq1[k], ch_sq1[k], 1, 1, "张街道");
		push1(k, &A, &t_sq1[k], TONGXIN__TXN_RESULT__STATUS__APPLIED, "SQ01");
	}
	org_insert(&c_b1, b1, "SQ01B1", "第一社区第一党支部", "branch", sq1);
	txn_of(&t_b1, ch_b1, 1, 2, "张街道");
	push2(&A, &t_b1, TONGXIN__TXN_RESULT__STATUS__APPLIED, "SQ01B1");
	member_insert(&c_m[0], m1, b1, NULL);
	member_insert(&c_m[1], m2, b1, NULL);
	member_insert(&c_m[2], m3, b1, NULL);
	txn_of(&t_m, ch_m, 3, 3, "张街道");
	push2(&A, &t_m, TONGXIN__TXN_RESULT__STATUS__APPLIED, "three members");

	/* Conflict 0, auto: the office's newer phone of M1 replaces the street's (newer wins). */
	chb_init(&u_phone, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, m1);
	chb_set(&u_phone, "phone", "13900000001", 0, "13800000000");
	txn_of(&t_phone, ch_phone, 1, 1, "李社区");
	push2(&O, &t_phone, TONGXIN__TXN_RESULT__STATUS__APPLIED, "M1's phone, newer wins");

	/* Conflict 1, same_field: both change M2's name; the office's comes second. */
	chb_init(&u_name_a, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, m2);
	chb_set(&u_name_a, "name", "王五", 0, c_m[1].m.name);
	txn_of(&t_na, ch_na, 1, 4, "张街道");
	push2(&A, &t_na, TONGXIN__TXN_RESULT__STATUS__APPLIED, "M2's name by the street");
	chb_init(&u_name_o, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, m2);
	chb_set(&u_name_o, "name", "赵六", 0, c_m[1].m.name);
	txn_of(&t_no, ch_no, 1, 2, "李社区");
	push2(&O, &t_no, TONGXIN__TXN_RESULT__STATUS__CONFLICT, "M2's name by the office");

	t_mid = now_ms();
	h_msleep(3);

	/* Conflict 2, update_deleted: the street deletes M3, the office edits it. */
	chb_init(&d_m3, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_DELETE, m3);
	txn_of(&t_dm3, ch_dm3, 1, 5, "张街道");
	push2(&A, &t_dm3, TONGXIN__TXN_RESULT__STATUS__APPLIED, "M3 deleted");
	chb_init(&u_m3, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, m3);
	chb_set(&u_m3, "job", "社区网格员", 0, c_m[2].m.job);
	txn_of(&t_um3, ch_um3, 1, 3, "李社区");
	push2(&O, &t_um3, TONGXIN__TXN_RESULT__STATUS__CONFLICT, "M3 edited after its delete");

	/* Conflict 3, unique: a new member with M1's citizen ID. */
	member_insert(&i_m4, m4, b1, c_m[0].m.idn);
	txn_of(&t_m4, ch_m4, 1, 4, "李社区");
	push2(&O, &t_m4, TONGXIN__TXN_RESULT__STATUS__CONFLICT, "M1's citizen ID again");

	/* Conflict 4, reused_seq: sequence 1 again with other contents. */
	chb_init(&reuse, TBL_MEMBER, TONGXIN__CHANGE__OP__OP_UPDATE, m1);
	chb_set(&reuse, "job", "楼栋长", 0, c_m[0].m.job);
	txn_of(&t_reuse, ch_reuse, 1, 1, "李社区");
	push2(&O, &t_reuse, TONGXIN__TXN_RESULT__STATUS__CONFLICT, "sequence 1 reused");

	conflict_ids(0);
	conflict_ids(1);
	H_CHECK(W[0].ncids == 5 && W[1].ncids == 5, "%d and %d conflicts, expected 5 on each",
	    W[0].ncids, W[1].ncids);

	/* The street settles two: keeps its name of M2, takes the office's edit of M3. */
	resolve2(1, TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER, "以街道为准");
	resolve2(2, TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE, "");
	h_log("the world: 3 members, 5 conflicts (auto, same_field, update_deleted, unique,"
	    " reused_seq), 2 settled, on both stores");
}

/* --- the six reads ---------------------------------------------------------------- */

static void
check_conflict_list(void)
{
	static const struct {
		const char *what, *status, *office, *table;
		int older_mid, newer_mid;
		uint32_t limit;
		int want;           /* conflicts expected (-1: an error) */
	} cases[] = {
		{ "the default (open)", "", "", "", 0, 0, 0, 2 },
		{ "open", "open", "", "", 0, 0, 0, 2 },
		{ "resolved", "resolved", "", "", 0, 0, 0, 2 },
		{ "auto", "auto", "", "", 0, 0, 0, 1 },
		{ "rejected", "rejected", "", "", 0, 0, 0, 0 },
		{ "all", "all", "", "", 0, 0, 0, 5 },
		{ "all of SQ01", "all", "SQ01", "", 0, 0, 0, 5 },
		{ "all of JD01", "all", "JD01", "", 0, 0, 0, 0 },
		{ "all of member", "all", "", "member", 0, 0, 0, 5 },
		{ "all of org", "all", "", "org", 0, 0, 0, 0 },
		{ "all received before the middle", "all", "", "", 1, 0, 0, 2 },
		{ "all received after the middle", "all", "", "", 0, 1, 0, 3 },
		{ "all, at most 2", "all", "", "", 0, 0, 2, 2 },
		{ "all, at most 1000", "all", "", "", 0, 0, 5000, 5 },
		{ "a bad status", "bogus", "", "", 0, 0, 0, -1 },
		{ "an unknown table", "all", "", "nosuch", 0, 0, 0, -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Tongxin__ConflictListResponse *l[2] = { NULL, NULL };
		char err[2][512] = { "", "" };
		int rc[2];
		for (int k = 0; k < 2; k++) {
			Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
			f.status = (char *)cases[i].status;
			f.office = (char *)cases[i].office;
			f.table = (char *)cases[i].table;
			f.older_than_ms = cases[i].older_mid ? t_mid : 0;
			f.newer_than_ms = cases[i].newer_mid ? t_mid : 0;
			f.limit = cases[i].limit;
			rc[k] = store_conflict_list(W[k].st, &f, &l[k], err[k], sizeof err[k]);
		}
		if (cases[i].want < 0) {
			same_error(cases[i].what, rc[0], err[0], rc[1], err[1]);
			continue;
		}
		H_CHECK(rc[0] == 0 && rc[1] == 0, "conflict list %s: %s / %s", cases[i].what, err[0],
		    err[1]);
		check((int)l[0]->n_conflicts == cases[i].want, "conflict list %s: %zu on sqlite,"
		    " expected %d", cases[i].what, l[0]->n_conflicts, cases[i].want);
		for (int k = 0; k < 2; k++)
			for (size_t j = 0; j < l[k]->n_conflicts; j++)
				conflict_normalise(l[k]->conflicts[j]);
		same_msg(cases[i].what, &l[0]->base, &l[1]->base);
		for (int k = 0; k < 2; k++)
			tongxin__conflict_list_response__free_unpacked(l[k], NULL);
	}
	h_log("conflict list: %zu cases alike", sizeof cases / sizeof cases[0]);
}

static void
check_conflict_show(void)
{
	char what[128];

	for (int i = 0; i < W[0].ncids; i++) {
		for (int by_suffix = 0; by_suffix < 2; by_suffix++) {
			Tongxin__ConflictInfo *ci[2] = { NULL, NULL };
			char err[2][512] = { "", "" };
			for (int k = 0; k < 2; k++) {
				const char *id = W[k].cids[i] + (by_suffix ? ID_TEXT_LEN - 8 : 0);
				H_CHECK(store_conflict_show(W[k].st, id, &ci[k], err[k],
				    sizeof err[k]) == 0, "%s: show conflict %d: %s", W[k].name, i,
				    err[k]);
				conflict_normalise(ci[k]);
			}
			check(ci[0]->txn != NULL && ci[0]->current_row != NULL,
			    "conflict %d: shown without the office's transaction or the row now", i);
			snprintf(what, sizeof what, "conflict show %d (%s, by %s)", i, ci[0]->kind,
			    by_suffix ? "suffix" : "id");
			same_msg(what, &ci[0]->base, &ci[1]->base);
			tongxin__conflict_info__free_unpacked(ci[0], NULL);
			tongxin__conflict_info__free_unpacked(ci[1], NULL);
		}
	}
	{
		static const char *const bad[] = { "zzzzzzzz", "abc", "0123456789012345678901234567890123456" };
		for (size_t j = 0; j < sizeof bad / sizeof bad[0]; j++) {
			Tongxin__ConflictInfo *ci[2] = { NULL, NULL };
			char err[2][512] = { "", "" };
			int rc[2];
			for (int k = 0; k < 2; k++)
				rc[k] = store_conflict_show(W[k].st, bad[j], &ci[k], err[k], sizeof err[k]);
			snprintf(what, sizeof what, "conflict show \"%s\"", bad[j]);
			same_error(what, rc[0], err[0], rc[1], err[1]);
			check(ci[0] == NULL && ci[1] == NULL, "%s: a message with the refusal", what);
		}
	}
	h_log("conflict show: %d conflicts by id and by suffix alike, 3 refusals alike", W[0].ncids);
}

static void
check_audit(void)
{
	static const struct {
		const char *what;
		int row;             /* 0: every row; 1..: m1, m2, m3, sq1, b1, m4 */
		const char *device;
		int since_mid;
		uint32_t limit;
		int min;             /* entries expected at least */
	} cases[] = {
		{ "the whole trail", 0, "", 0, 0, 10 },
		{ "M1's trail", 1, "", 0, 0, 2 },
		{ "M2's trail", 2, "", 0, 0, 3 },
		{ "M3's trail", 3, "", 0, 0, 3 },
		{ "SQ01's trail", 4, "", 0, 0, 1 },
		{ "SQ01B1's trail", 5, "", 0, 0, 1 },
		{ "M4's trail (never inserted)", 6, "", 0, 0, 0 },
		{ "the office's changes", 0, "office-sq01", 0, 0, 1 },
		{ "the street's changes", 0, "street-admin", 0, 0, 8 },
		{ "M3's trail by the street", 3, "street-admin", 0, 0, 2 },
		{ "since the middle", 0, "", 1, 0, 3 },
		{ "the last 3", 0, "", 0, 3, 3 },
		{ "a device that is not", 0, "nobody", 0, 0, 0 },
	};
	const char *rows[] = { NULL, m1, m2, m3, sq1, b1, m4 };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		Tongxin__AuditResponse *r[2] = { NULL, NULL };
		char err[2][512] = { "", "" };
		int inserts = 0;
		for (int k = 0; k < 2; k++) {
			Tongxin__AuditRequest q = TONGXIN__AUDIT_REQUEST__INIT;
			q.row_id = (char *)(cases[i].row ? rows[cases[i].row] : "");
			q.device_name = (char *)cases[i].device;
			q.since_ms = cases[i].since_mid ? t_mid : 0;
			q.limit = cases[i].limit;
			H_CHECK(store_audit(W[k].st, &q, &r[k], err[k], sizeof err[k]) == 0,
			    "%s: audit %s: %s", W[k].name, cases[i].what, err[k]);
			/* Newest first, every version its own. */
			for (size_t j = 1; j < r[k]->n_entries; j++)
				check(r[k]->entries[j]->version < r[k]->entries[j - 1]->version,
				    "%s: audit %s: versions not descending", W[k].name, cases[i].what);
			for (size_t j = 0; j < r[k]->n_entries; j++) {
				if (k == 0 && strcmp(r[k]->entries[j]->action, "insert") == 0 &&
				    r[k]->entries[j]->detail[0] != '\0')
					inserts++;
				r[k]->entries[j]->version = 0;
				r[k]->entries[j]->at_ms = 0;
			}
		}
		check((int)r[0]->n_entries >= cases[i].min, "audit %s: %zu entries on sqlite, expected"
		    " at least %d", cases[i].what, r[0]->n_entries, cases[i].min);
		check(cases[i].limit == 0 || r[0]->n_entries <= cases[i].limit, "audit %s: over the"
		    " limit", cases[i].what);
		check(cases[i].row < 1 || cases[i].row > 5 || cases[i].device[0] || inserts == 1,
		    "audit %s: %d inserts rendered, expected the row's insert", cases[i].what,
		    inserts);
		same_msg(cases[i].what, &r[0]->base, &r[1]->base);
		for (int k = 0; k < 2; k++)
			tongxin__audit_response__free_unpacked(r[k], NULL);
	}
	h_log("audit: %zu cases alike", sizeof cases / sizeof cases[0]);
}

static void
devices_same(const char *what)
{
	Tongxin__DevicesResponse *d[2] = { NULL, NULL };
	char err[2][512] = { "", "" };

	for (int k = 0; k < 2; k++) {
		H_CHECK(store_devices(W[k].st, &d[k], err[k], sizeof err[k]) == 0, "%s: devices: %s",
		    W[k].name, err[k]);
		for (size_t j = 0; j < d[k]->n_devices; j++) {
			Tongxin__DeviceInfo *di = d[k]->devices[j];
			di->last_seen_ms = flat(di->last_seen_ms);
			di->last_push_ms = flat(di->last_push_ms);
			di->last_pull_ms = flat(di->last_pull_ms);
			di->replica_checked_at_ms = flat(di->replica_checked_at_ms);
		}
	}
	check(d[0]->n_devices == 2, "devices %s: %zu on sqlite, expected 2", what, d[0]->n_devices);
	for (size_t j = 0; j < d[0]->n_devices; j++)
		if (strcmp(d[0]->devices[j]->name, "office-sq01") == 0)
			check(d[0]->devices[j]->open_conflicts == 2, "devices %s: the office has %lld"
			    " open conflicts, expected 2", what,
			    (long long)d[0]->devices[j]->open_conflicts);
	same_msg(what, &d[0]->base, &d[1]->base);
	for (int k = 0; k < 2; k++)
		tongxin__devices_response__free_unpacked(d[k], NULL);
}

static const char *const hash_where = "_deleted = 0 AND ((_scope >= ?1 AND _scope < ?2) OR"
    " (_scope2 >= ?1 AND _scope2 < ?2))";

/* The SQLite store's digests of scope: rowhash.c on its own file. */
static void
sqlite_digests(const char *scope, char out[TBL_COUNT][65])
{
	sqlite3 *db;
	char hi[SCOPE_MAX];

	scope_hi(scope, hi, sizeof hi);
	H_CHECK(sqlite3_open_v2(sqlite_db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
	    "open %s", sqlite_db);
	for (int t = 0; t < TBL_COUNT; t++)
		H_CHECK(table_hash(db, t, hash_where, scope, hi, out[t]) == 0, "table_hash %s: %s",
		    schema_tables[t].name, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/*
 * The PostgreSQL store's digests of scope as SQLite's rowhash.c computes
 * them: each table's rows copied (id, schema columns, bookkeeping the
 * filter reads) into a SQLite table of the same column types in memory.
 */
static void
pg_digests(const char *scope, char out[TBL_COUNT][65])
{
	PGconn *c = PQconnectdb(pg_uri);
	sqlite3 *db;
	char hi[SCOPE_MAX], sql[8192];

	scope_hi(scope, hi, sizeof hi);
	H_CHECK(PQstatus(c) == CONNECTION_OK, "connect: %s", PQerrorMessage(c));
	H_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite in memory");
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		int nc = td->ncols + 4;
		size_t n, m;
		sqlite3_stmt *ins;
		PGresult *r;

		n = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE %s (id TEXT", td->name);
		for (int k = 0; k < td->ncols; k++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s %s", td->cols[k].name,
			    td->cols[k].type == COL_INT || td->cols[k].type == COL_BOOL ? "INTEGER" :
			    "TEXT");
		snprintf(sql + n, sizeof sql - n, ", _deleted INTEGER, _scope TEXT, _scope2 TEXT)");
		H_CHECK(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s", sqlite3_errmsg(db));
		n = (size_t)snprintf(sql, sizeof sql, "SELECT id");
		m = 0;
		for (int k = 0; k < td->ncols; k++)
			n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[k].name);
		snprintf(sql + n, sizeof sql - n, ", _deleted, _scope, _scope2 FROM %s", td->name);
		r = PQexec(c, sql);
		H_CHECK(PQresultStatus(r) == PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
		m = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s VALUES (?", td->name);
		for (int k = 1; k < nc; k++)
			m += (size_t)snprintf(sql + m, sizeof sql - m, ", ?");
		snprintf(sql + m, sizeof sql - m, ")");
		H_CHECK(sqlite3_prepare_v2(db, sql, -1, &ins, NULL) == SQLITE_OK, "%s",
		    sqlite3_errmsg(db));
		for (int i = 0; i < PQntuples(r); i++) {
			for (int k = 0; k < nc; k++) {
				int is_int = (k > 0 && k <= td->ncols &&
				    (td->cols[k - 1].type == COL_INT || td->cols[k - 1].type == COL_BOOL)) ||
				    k == td->ncols + 1;
				if (PQgetisnull(r, i, k))
					sqlite3_bind_null(ins, k + 1);
				else if (is_int)
					sqlite3_bind_int64(ins, k + 1, strtoll(PQgetvalue(r, i, k), NULL, 10));
				else
					sqlite3_bind_text(ins, k + 1, PQgetvalue(r, i, k), -1, SQLITE_STATIC);
			}
			H_CHECK(sqlite3_step(ins) == SQLITE_DONE, "%s", sqlite3_errmsg(db));
			sqlite3_reset(ins);
		}
		sqlite3_finalize(ins);
		PQclear(r);
		H_CHECK(table_hash(db, t, hash_where, scope, hi, out[t]) == 0, "table_hash %s",
		    td->name);
	}
	sqlite3_close(db);
	PQfinish(c);
}

/* Ask store k for a replica check of who with digests d; the answer, or NULL with err. */
static Tongxin__ReplicaCheckResult *
replica_check(int k, const struct store_actor *who, char d[TBL_COUNT][65], size_t n,
    char *err, size_t errlen, int *rc)
{
	Tongxin__ReplicaCheck req = TONGXIN__REPLICA_CHECK__INIT;
	Tongxin__ReplicaCheckResult *res = NULL;
	char *p[TBL_COUNT];

	for (int t = 0; t < TBL_COUNT; t++)
		p[t] = d[t];
	req.table_hashes = p;
	req.n_table_hashes = n;
	*rc = store_replica_check(W[k].st, who, &req, &res, err, errlen);
	return res;
}

static void
check_replica_check(void)
{
	const struct store_actor *whos[2] = { &O, &A };
	static char d[2][TBL_COUNT][65];
	char what[128];

	for (int w = 0; w < 2; w++) {
		const struct store_actor *who = whos[w];
		Tongxin__ReplicaCheckResult *res[2];
		char err[2][512] = { "", "" };
		int rc[2];

		sqlite_digests(who->scope, d[0]);
		pg_digests(who->scope, d[1]);
		/* The members are the same rows on both: the same digest, computed apart. */
		check(strcmp(d[0][TBL_MEMBER], d[1][TBL_MEMBER]) == 0, "the member digest of %s"
		    " differs between the stores", who->scope);
		/* Each store's own digests match; then the organisations' is wrong. */
		for (int pass = 0; pass < 2; pass++) {
			for (int k = 0; k < 2; k++) {
				if (pass == 1)
					memset(d[k][TBL_ORG], '0', 64);
				res[k] = replica_check(k, who, d[k], TBL_COUNT, err[k], sizeof err[k],
				    &rc[k]);
				H_CHECK(rc[k] == 0, "%s: replica check: %s", W[k].name, err[k]);
			}
			check(res[0]->match == !pass && res[1]->match == !pass, "replica check of %s,"
			    " %s: sqlite %d, postgresql %d, expected %d", who->scope,
			    pass ? "a wrong org digest" : "its own digests", res[0]->match,
			    res[1]->match, !pass);
			snprintf(what, sizeof what, "replica check of %s, %s", who->scope,
			    pass ? "a wrong org digest" : "its own digests");
			same_msg(what, &res[0]->base, &res[1]->base);
			snprintf(what, sizeof what, "devices after the replica check of %s (%s)",
			    who->scope, pass ? "mismatch" : "match");
			devices_same(what);
			for (int k = 0; k < 2; k++)
				tongxin__replica_check_result__free_unpacked(res[k], NULL);
		}
		/* The other store's member digest is as good as its own. */
		memcpy(d[1][TBL_MEMBER], d[0][TBL_MEMBER], 65);
		{
			Tongxin__ReplicaCheckResult *r1 = replica_check(1, who, d[1], TBL_COUNT,
			    err[1], sizeof err[1], &rc[1]);
			H_CHECK(rc[1] == 0, "postgresql: %s", err[1]);
			check(r1->n_mismatched_tables == 1 &&
			    strcmp(r1->mismatched_tables[0], "org") == 0, "postgresql: SQLite's member"
			    " digest of %s is not taken as matching", who->scope);
			tongxin__replica_check_result__free_unpacked(r1, NULL);
		}
		/* A wrong count of digests. */
		for (int k = 0; k < 2; k++) {
			res[k] = replica_check(k, who, d[k], TBL_COUNT - 1, err[k], sizeof err[k],
			    &rc[k]);
			check(res[k] == NULL, "%s: an answer to a short replica check", W[k].name);
		}
		same_error("a short replica check", rc[0], err[0], rc[1], err[1]);
	}
	h_log("replica check: both scopes, own digests match, a wrong one is named, alike");
}

static uint64_t o_cursor_pg;   /* the office's resolutions cursor on PostgreSQL */

static void
check_resolutions(void)
{
	const struct store_actor *whos[2] = { &O, &A };
	const int want[2] = { 2, 1 };

	for (int w = 0; w < 2; w++) {
		Tongxin__PullResponse *p[2];
		uint64_t cursor[2] = { 0, 0 };
		char what[128];

		for (int k = 0; k < 2; k++) {
			H_CHECK((p[k] = malloc(sizeof *p[k])) != NULL, "out of memory");
			tongxin__pull_response__init(p[k]);
			H_CHECK(store_resolutions(W[k].st, whos[w], &cursor[k], p[k]) == 0,
			    "%s: resolutions", W[k].name);
			check(cursor[k] > 0, "%s: the cursor stays 0", W[k].name);
			for (size_t j = 0; j < p[k]->n_resolutions; j++)
				p[k]->resolutions[j]->resolved_at_ms =
				    flat(p[k]->resolutions[j]->resolved_at_ms);
		}
		if (w == 0)
			o_cursor_pg = cursor[1];
		check((int)p[0]->n_resolutions == want[w], "resolutions of %s: %zu on sqlite, expected"
		    " %d", whos[w]->device_name, p[0]->n_resolutions, want[w]);
		snprintf(what, sizeof what, "resolutions of %s", whos[w]->device_name);
		same_msg(what, &p[0]->base, &p[1]->base);
		for (int k = 0; k < 2; k++) {
			uint64_t again = cursor[k];
			tongxin__pull_response__free_unpacked(p[k], NULL);
			H_CHECK((p[k] = malloc(sizeof *p[k])) != NULL, "out of memory");
			tongxin__pull_response__init(p[k]);
			H_CHECK(store_resolutions(W[k].st, whos[w], &again, p[k]) == 0,
			    "%s: resolutions", W[k].name);
			check(p[k]->n_resolutions == 0 && again == cursor[k], "%s: resolutions of %s"
			    " again from the cursor: %zu, cursor %llu -> %llu", W[k].name,
			    whos[w]->device_name, p[k]->n_resolutions,
			    (unsigned long long)cursor[k], (unsigned long long)again);
			tongxin__pull_response__free_unpacked(p[k], NULL);
		}
	}
	h_log("resolutions: each device's decisions alike, nothing again from the cursor");
}

/*
 * PostgreSQL only (SQLite has one writer): a resolution committed while a
 * transaction that took a lower version is still open is not handed out
 * yet, and the cursor stays below that version, so the device gets the
 * resolution once the other transaction ends, and only once.
 */
static void
pg_resolve(int i)
{
	Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
	Tongxin__ConflictResolveResponse *resp = NULL;
	char err[512] = "";

	rr.id = W[1].cids[i];
	rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER;
	H_CHECK(store_conflict_resolve(W[1].st, &A, &rr, &resp, err, sizeof err) == 0,
	    "postgresql: resolve conflict %d: %s", i, err);
	tongxin__conflict_resolve_response__free_unpacked(resp, NULL);
}

/* The office's resolutions from *cursor on PostgreSQL: how many, the first one's conflict. */
static size_t
pg_resolutions(uint64_t *cursor, char *first, size_t cap)
{
	Tongxin__PullResponse *p = malloc(sizeof *p);
	size_t n;

	H_CHECK(p != NULL, "out of memory");
	tongxin__pull_response__init(p);
	H_CHECK(store_resolutions(W[1].st, &O, cursor, p) == 0, "resolutions");
	n = p->n_resolutions;
	snprintf(first, cap, "%s", n ? p->resolutions[0]->conflict_id : "");
	tongxin__pull_response__free_unpacked(p, NULL);
	return n;
}

static void
check_resolutions_in_flight(void)
{
	struct store *other;
	uint64_t held, cursor = o_cursor_pg;
	char err[512] = "", first[64];
	size_t n;

	/* Conflict 3 settled; then a writer takes a version and stays open; then conflict 4. */
	pg_resolve(3);
	H_CHECK((other = pgs_open(pg_uri, 0, err, sizeof err)) != NULL, "second handle: %s", err);
	H_CHECK(STO(&other->eng, begin, err, sizeof err) == 0, "begin: %s", err);
	held = STO0(&other->eng, version_next);
	H_CHECK(held > 0, "version_next: %s", STO0(&other->eng, errmsg));
	pg_resolve(4);
	n = pg_resolutions(&cursor, first, sizeof first);
	check(n == 1 && strcmp(first, W[1].cids[3]) == 0 && cursor < held, "with version %llu in"
	    " flight: %zu resolutions (first %s), cursor %llu; expected conflict 3's alone, below it",
	    (unsigned long long)held, n, first, (unsigned long long)cursor);
	n = pg_resolutions(&cursor, first, sizeof first);
	check(n == 0, "with version %llu in flight, from the cursor again: %zu resolutions (%s)",
	    (unsigned long long)held, n, first);
	STO0(&other->eng, rollback);
	n = pg_resolutions(&cursor, first, sizeof first);
	check(n == 1 && strcmp(first, W[1].cids[4]) == 0 && cursor > held, "after the transaction"
	    " in flight ended: %zu resolutions (first %s), cursor %llu (held %llu); expected"
	    " conflict 4's", n, first, (unsigned long long)cursor, (unsigned long long)held);
	store_close(other);
	h_log("resolutions on PostgreSQL: none above a version in flight, then each once");
}

/*
 * PostgreSQL only: resolutions read by pulls (store_pull_page reads them
 * inside the page's view) while another tongxind settles the office's
 * conflicts one after another. Every settled conflict must reach the
 * office exactly once: none skipped by a cursor that passed it, none twice.
 */
#define RACE_N 120

struct race {
	char ids[RACE_N][ID_TEXT_LEN + 1];
	int n;
	volatile int done;
};

static void *
race_resolver(void *arg)
{
	struct race *r = arg;
	struct store *st;
	char err[512] = "";

	H_CHECK((st = pgs_open(pg_uri, 0, err, sizeof err)) != NULL, "resolver: %s", err);
	for (int i = 0; i < r->n; i++) {
		Tongxin__ConflictResolveRequest rr = TONGXIN__CONFLICT_RESOLVE_REQUEST__INIT;
		Tongxin__ConflictResolveResponse *resp = NULL;
		rr.id = r->ids[i];
		rr.decision = TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER;
		H_CHECK(store_conflict_resolve(st, &A, &rr, &resp, err, sizeof err) == 0,
		    "resolver: %s: %s", r->ids[i], err);
		tongxin__conflict_resolve_response__free_unpacked(resp, NULL);
	}
	store_close(st);
	r->done = 1;
	return NULL;
}

static void
check_resolutions_during_pulls(void)
{
	static struct race r;
	static struct chb ins[RACE_N];
	static Tongxin__Change *ch[RACE_N][1];
	static Tongxin__Txn tx[RACE_N], *txp[RACE_N];
	static int seen[RACE_N];
	Tongxin__PushRequest req = TONGXIN__PUSH_REQUEST__INIT;
	Tongxin__PushResponse *resp = NULL;
	Tongxin__ConflictFilter f = TONGXIN__CONFLICT_FILTER__INIT;
	Tongxin__ConflictListResponse *l = NULL;
	struct pull_page pg;
	uint64_t cursor;
	pthread_t th;
	char err[512] = "", idn[19];
	int pulls = 0, twice = 0, missed = 0, last_round = 0;

	/* RACE_N unique clashes of the office, open; its cursor is past everything before. */
	snprintf(idn, sizeof idn, "%s", ins[0].m.idn);
	for (int i = 0; i < RACE_N; i++) {
		char *id = malloc(ID_TEXT_LEN + 1);
		H_CHECK(id != NULL && id_new(id) == 0, "id_new");
		member_insert(&ins[i], id, b1, i ? idn : NULL);
		if (i == 0)
			snprintf(idn, sizeof idn, "%s", ins[0].m.idn);
		ch[i][0] = &ins[i].c;
		txn_of(&tx[i], ch[i], 1, 100 + (uint64_t)i, "李社区");
		txp[i] = &tx[i];
	}
	req.txns = txp;
	req.n_txns = RACE_N;
	H_CHECK(store_push(W[1].st, &O, &req, &resp, err, sizeof err) == 0, "push: %s", err);
	tongxin__push_response__free_unpacked(resp, NULL);
	f.status = (char *)"open";
	f.office = (char *)"SQ01";
	H_CHECK(store_conflict_list(W[1].st, &f, &l, err, sizeof err) == 0, "list: %s", err);
	for (size_t i = 0; i < l->n_conflicts && r.n < RACE_N; i++)
		if (strcmp(l->conflicts[i]->kind, "unique") == 0 &&
		    strcmp(l->conflicts[i]->id, W[1].cids[3]) != 0)
			snprintf(r.ids[r.n++], sizeof r.ids[0], "%s", l->conflicts[i]->id);
	tongxin__conflict_list_response__free_unpacked(l, NULL);
	H_CHECK(r.n == RACE_N - 1, "%d open clashes, expected %d", r.n, RACE_N - 1);
	cursor = o_cursor_pg;
	{
		Tongxin__PullResponse *p = malloc(sizeof *p);
		H_CHECK(p != NULL, "out of memory");
		tongxin__pull_response__init(p);
		H_CHECK(store_resolutions(W[1].st, &O, &cursor, p) == 0, "resolutions");
		tongxin__pull_response__free_unpacked(p, NULL);
	}

	pull_page_init(&pg);
	H_CHECK(pthread_create(&th, NULL, race_resolver, &r) == 0, "pthread_create");
	while (last_round < 3) {
		Tongxin__PullRequest q = TONGXIN__PULL_REQUEST__INIT;
		Tongxin__Envelope *env;
		Tongxin__PullResponse *pr;
		if (r.done)
			last_round++;
		q.note_cursor = cursor;
		pg.pages = 0;
		H_CHECK(store_pull_page(W[1].st, &O, &q, 1, &pg, err, sizeof err) == 0, "pull: %s",
		    err);
		pulls++;
		env = tongxin__envelope__unpack(NULL, pg.frame_len - 4, pg.frame + 4);
		H_CHECK(env != NULL && env->body_case == TONGXIN__ENVELOPE__BODY_PULL_RESULT,
		    "a pull page that is not a pull result");
		pr = env->pull_result;
		for (size_t j = 0; j < pr->n_resolutions; j++)
			for (int i = 0; i < r.n; i++)
				if (strcmp(pr->resolutions[j]->conflict_id, r.ids[i]) == 0)
					seen[i]++;
		if (pr->note_cursor > cursor)
			cursor = pr->note_cursor;
		tongxin__envelope__free_unpacked(env, NULL);
	}
	pthread_join(th, NULL);
	pull_page_free(&pg);
	for (int i = 0; i < r.n; i++) {
		twice += seen[i] > 1;
		missed += seen[i] == 0;
	}
	check(twice == 0 && missed == 0, "%d conflicts settled during %d pulls: %d never reached"
	    " the office, %d more than once", r.n, pulls, missed, twice);
	h_log("resolutions during pulls on PostgreSQL: %d settled by another handle during %d"
	    " pulls, %d missed, %d twice", r.n, pulls, missed, twice);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: test_pg_admin URI\n");
		return 2;
	}
	pg_uri = argv[1];
	h_init("test_pg_admin", 13);
	open_stores();
	build_world();
	check_conflict_list();
	check_conflict_show();
	check_audit();
	devices_same("devices");
	check_replica_check();
	check_resolutions();
	check_resolutions_in_flight();
	check_resolutions_during_pulls();
	store_close(W[0].st);
	store_close(W[1].st);
	printf("%d checks, %d failed\n", checks, failures);
	if (failures)
		return 1;
	return h_done();
}
