/*
 * test_server_validation.c - "the server validates again and rejects what a
 * modified client sends, with the reason" (issue 5, PRODUCT.md invariant 8).
 *
 * A real tongxind; the street (admin device A) with community SQ01 (branch
 * SQ01B1) and community SQ02; an office device O of SQ01. O plays a modified
 * client: it writes through rep_begin/rep_insert/rep_update/rep_commit,
 * which capture but do not validate (that is the CLI's job), and for what
 * the capture API cannot express (a row id that is not a UUID, an unknown
 * table or column) it rewrites the packed transaction in its outbox.
 *
 * Each case is one crafted local transaction followed by one valid one
 * (a new member) from the same device, pushed in one sync. For every case:
 *   - the crafted transaction comes back `rejected`, with a reason that
 *     names the problem (a substring of the reason in the replica's outcome
 *     table and in the server's txn_log);
 *   - nothing of it is on the server: the row it inserted does not exist,
 *     the row it updated is byte for byte as before, every table's row
 *     count, the audit log, the conflict queue and the eviction log grew by
 *     exactly what the valid transaction wrote (one member, one audit row);
 *   - the next, valid transaction from the same device is applied;
 *   - the replica equals the server again (a rejected insert leaves the
 *     replica, a rejected update is undone there).
 * At the end every local transaction of O is accounted for (outcome on the
 * device = status in the server's txn_log; each rejected one kept whole).
 *
 * The cases: a bad citizen-ID check digit (insert and update), a birth date
 * that does not match the ID, joining before the 18th birthday, a join date
 * in the future, a full-membership date less than a year after joining, a
 * lost-contact flag without its date, an unknown enum value, a text longer
 * than its column's maximum, invalid UTF-8, a number where text belongs, a
 * reference that is not a row id, a missing required column, a bool of 2,
 * an immutable column changed, a row id that is not a UUID, an unknown
 * table, an unknown column, a transfer whose to_org_code does not exist,
 * and a transaction whose first change is valid and second is not
 * (rejected whole).
 *
 * Then, after the accounting check, a last group of what the CLI refuses
 * at entry and the server must refuse as well: a required column set to
 * NULL by an update, a required text that is empty, a second street. These
 * run in soft mode (each failure is logged, all run, the test fails at the
 * end), because on the code they were written against the server applies
 * all three.
 */
#include "sync_harness.h"
#include "reason.h"
#include "replica_int.h"

static struct h_server S;
static struct h_dev A, O;
static char street_id[ID_TEXT_LEN + 1], sq1[ID_TEXT_LEN + 1], sq1b1[ID_TEXT_LEN + 1];
static char sq2[ID_TEXT_LEN + 1], m0[ID_TEXT_LEN + 1];
static char tomorrow[11];
static int ncases;
/*
 * Soft mode: a case that is not rejected is reported and counted, and the
 * run goes on (the failure is raised at the end). Used for the last group,
 * so that every gap the server leaves shows in one run.
 */
static int soft, gaps;

/* What the server holds, in counts. */
struct snap {
	int64_t rows[TBL_COUNT];   /* every row, tombstones too */
	int64_t audit, conflicts, evictions, txns;
};

static void
snap_take(struct snap *sn)
{
	sqlite3 *db = srv_db(&S);
	char sql[128];

	for (int t = 0; t < TBL_COUNT; t++) {
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", schema_tables[t].name);
		sn->rows[t] = h_sql_int(db, sql, NULL, NULL);
	}
	sn->audit = h_sql_int(db, "SELECT count(*) FROM audit", NULL, NULL);
	sn->conflicts = h_sql_int(db, "SELECT count(*) FROM conflict", NULL, NULL);
	sn->evictions = h_sql_int(db, "SELECT count(*) FROM evict", NULL, NULL);
	sn->txns = h_sql_int(db, "SELECT count(*) FROM txn_log", NULL, NULL);
	sqlite3_close(db);
}

/* The server's row (t, id) as text, every column and the bookkeeping; "" if none. */
static void
srv_row_text(int t, const char *id, char *buf, size_t cap)
{
	const struct table_def *td = &schema_tables[t];
	char sql[4096];
	size_t n;
	sqlite3 *db;

	n = (size_t)snprintf(sql, sizeof sql, "SELECT quote(id)");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, " || '|' || quote(%s)", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, " || '|' || _version || '|' || _deleted || '|' || _scope"
	    " FROM %s WHERE id = ?1", td->name);
	db = srv_db(&S);
	h_sql_text(db, sql, id, buf, cap);
	sqlite3_close(db);
}

/* --- what the modified client writes --------------------------------------- */

/* A valid new member of SQ01B1 in v (m holds the text). */
static void
member_vals(Tongxin__Value *v, struct h_member *m)
{
	h_member_vals(v, m, sq1b1, NULL);
}

/* One local transaction inserting the member in v; its id into id. */
static void
insert_txn(int t, const Tongxin__Value *v, char id[ID_TEXT_LEN + 1])
{
	dev_begin(&O);
	dev_insert(&O, t, v, id);
	dev_commit(&O);
}

/* One local transaction setting column col of row id to v (unchecked). */
static void
update_txn(int t, const char *id, const char *col, const Tongxin__Value *v)
{
	char err[1024] = "";
	uint32_t c = (uint32_t)h_col(t, col);

	dev_begin(&O);
	H_CHECK(rep_update(O.r, t, id, &c, v, 1, err, sizeof err) == 0, "rep_update %s.%s: %s",
	    schema_tables[t].name, col, err);
	dev_commit(&O);
}

/* How patch_last_txn rewrites the transaction. */
enum patch { P_ROW_ID, P_TABLE, P_COLUMN };

/*
 * Rewrite the newest outbox transaction the way a modified client would
 * send it (a row id that is not a UUID, an unknown table, an unknown
 * column), and drop the local row it inserted: such a client keeps no
 * readable row for it.
 */
static void
patch_last_txn(enum patch how, const char *local_id)
{
	sqlite3 *db = replica_db(O.r);
	sqlite3_stmt *st;
	Tongxin__Txn *tx;
	int64_t seq;
	uint8_t *buf;
	size_t n;

	seq = h_sql_int(db, "SELECT max(seq) FROM outbox", NULL, NULL);
	H_CHECK(sqlite3_prepare_v2(db, "SELECT txn FROM outbox WHERE seq = ?1", -1, &st, NULL) ==
	    SQLITE_OK, "prepare");
	sqlite3_bind_int64(st, 1, seq);
	H_CHECK(sqlite3_step(st) == SQLITE_ROW, "no outbox transaction %lld", (long long)seq);
	{
		/* As the push would send it (an insert's entry refers to its row). */
		const uint8_t *full;
		uint8_t *xbuf = NULL;
		size_t xcap = 0, flen;
		tx = rep_outbox_expand(db, sqlite3_column_blob(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0), &xbuf, &xcap, &full, &flen) < 0 ? NULL :
		    tongxin__txn__unpack(NULL, flen, full);
		free(xbuf);
	}
	sqlite3_finalize(st);
	H_CHECK(tx != NULL && tx->n_changes == 1, "cannot read outbox transaction %lld",
	    (long long)seq);
	switch (how) {
	case P_ROW_ID:
		free(tx->changes[0]->row_id);
		tx->changes[0]->row_id = strdup("not-a-uuid'); DROP TABLE member; --");
		H_CHECK(tx->changes[0]->row_id != NULL, "out of memory");
		break;
	case P_TABLE:
		tx->changes[0]->table = 99;
		break;
	case P_COLUMN:
		tx->changes[0]->cols[0] = 99;
		break;
	}
	n = tongxin__txn__get_packed_size(tx);
	buf = malloc(n);
	H_CHECK(buf != NULL, "out of memory");
	tongxin__txn__pack(tx, buf);
	tongxin__txn__free_unpacked(tx, NULL);
	H_CHECK(sqlite3_prepare_v2(db, "UPDATE outbox SET txn = ?2 WHERE seq = ?1", -1, &st, NULL) ==
	    SQLITE_OK, "prepare");
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_blob(st, 2, buf, (int)n, SQLITE_TRANSIENT);
	H_CHECK(sqlite3_step(st) == SQLITE_DONE, "patch outbox: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	free(buf);
	H_CHECK(sqlite3_prepare_v2(db, "DELETE FROM member WHERE id = ?1", -1, &st, NULL) ==
	    SQLITE_OK, "prepare");
	sqlite3_bind_text(st, 1, local_id, -1, SQLITE_STATIC);
	H_CHECK(sqlite3_step(st) == SQLITE_DONE, "drop the local row: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

/*
 * A crafted case: make exactly one local transaction on O; write the row id
 * the server must not have changed into row (and its table into *table);
 * write the substring the rejection's reason must hold into reason.
 */
typedef void (*craft_fn)(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap);

static void
c_check_digit(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	m.idn[17] = m.idn[17] == '0' ? '1' : '0';
	snprintf(reason, cap, "公民身份号码校验位错误（应为 %c）", id_number_check_char(m.idn));
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_birth_mismatch(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;
	char idb[11];

	member_vals(v, &m);
	snprintf(idb, sizeof idb, "%s", m.birth);
	m.birth[9] = m.birth[9] == '1' ? '2' : '1';   /* another day of the same month */
	snprintf(reason, cap, "出生日期 %s 与公民身份号码中的 %s 不符", m.birth, idb);
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_join_before_18(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	snprintf(m.birth, sizeof m.birth, "2000-05-10");
	h_id_number(m.idn, m.birth, h_id_male(m.idn));   /* the gender h_member_vals gave */
	snprintf(m.join, sizeof m.join, "2018-05-09");
	h_set(v, TBL_MEMBER, "category", "full");
	snprintf(reason, cap, "入党日期 2018-05-09 早于年满18周岁之日 2018-05-10");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_future_join(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	snprintf(m.join, sizeof m.join, "%s", tomorrow);
	snprintf(reason, cap, "入党日期 %s 晚于今天 (in the future)", tomorrow);
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_full_too_soon(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v;

	value_set_text(&v, "2010-09-01");   /* m0 joined 2010-03-01 */
	snprintf(reason, cap, "转正日期 2010-09-01 早于入党满一年之日 2011-03-01");
	snprintf(row, ID_TEXT_LEN + 1, "%s", m0);
	*table = TBL_MEMBER;
	update_txn(TBL_MEMBER, m0, "full_date", &v);
}

static void
c_lost_without_date(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v;

	value_set_int(&v, 1);
	snprintf(reason, cap, "失联党员须填写失联日期 (lost_since)");
	snprintf(row, ID_TEXT_LEN + 1, "%s", m0);
	*table = TBL_MEMBER;
	update_txn(TBL_MEMBER, m0, "lost_contact", &v);
}

static void
c_update_check_digit(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v;
	static char idn[19];

	/* m0's own number (born 1985-06-15) with a wrong check character. */
	h_sql_text(replica_db(O.r), "SELECT id_number FROM member WHERE id = ?1", m0, idn, sizeof idn);
	H_CHECK(strlen(idn) == 18, "m0's citizen ID: \"%s\"", idn);
	idn[17] = idn[17] == 'X' ? '0' : idn[17] == '9' ? 'X' : (char)(idn[17] + 1);
	value_set_text(&v, idn);
	snprintf(reason, cap, "公民身份号码校验位错误（应为 %c）", id_number_check_char(idn));
	snprintf(row, ID_TEXT_LEN + 1, "%s", m0);
	*table = TBL_MEMBER;
	update_txn(TBL_MEMBER, m0, "id_number", &v);
}

static void
c_enum(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	h_set(v, TBL_MEMBER, "gender", "unknown");
	snprintf(reason, cap, "性别的取值“unknown”不在允许范围内");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_too_long(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;
	static char name[128];

	member_vals(v, &m);
	name[0] = '\0';
	for (int i = 0; i < 34; i++)
		strcat(name, "党");   /* 102 bytes, 34 characters */
	h_set(v, TBL_MEMBER, "name", name);
	snprintf(reason, cap, "姓名超过 100 字节");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_bad_utf8(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	h_set(v, TBL_MEMBER, "address", "幸福路\xff\xfe号");
	snprintf(reason, cap, "家庭住址含有无效字符（不是有效的 UTF-8 文本）");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_wrong_type(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	h_seti(v, TBL_MEMBER, "name", 42);
	snprintf(reason, cap, "姓名应为文本");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_ref_not_id(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	h_set(v, TBL_MEMBER, "org_id", "SQ01B1");   /* a code, not a row id */
	snprintf(reason, cap, "所在党支部不是有效的记录标识");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_missing_required(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	value_set_null(&v[h_col(TBL_MEMBER, "ethnicity")]);
	snprintf(reason, cap, "党员的民族为必填项");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_required_to_null(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v;

	value_set_null(&v);
	snprintf(reason, cap, "党员的姓名为必填项");
	snprintf(row, ID_TEXT_LEN + 1, "%s", m0);
	*table = TBL_MEMBER;
	update_txn(TBL_MEMBER, m0, "name", &v);
}

static void
c_bool2(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	h_seti(v, TBL_MEMBER, "lost_contact", 2);
	h_set(v, TBL_MEMBER, "lost_since", "2020-01-01");
	snprintf(reason, cap, "失联党员只能是“是”或“否”");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

static void
c_immutable(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v;

	value_set_text(&v, "SQ01B9");
	snprintf(reason, cap, "组织的组织编码不能修改");
	snprintf(row, ID_TEXT_LEN + 1, "%s", sq1b1);
	*table = TBL_ORG;
	update_txn(TBL_ORG, sq1b1, "code", &v);
}

static void
c_row_id(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	insert_txn(TBL_MEMBER, v, row);
	patch_last_txn(P_ROW_ID, row);
	snprintf(reason, cap, "党员：记录标识格式错误");
	*table = TBL_MEMBER;
}

static void
c_table(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	insert_txn(TBL_MEMBER, v, row);
	patch_last_txn(P_TABLE, row);
	snprintf(reason, cap, "未知的数据表（编号 99）");
	*table = TBL_MEMBER;
}

static void
c_column(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	insert_txn(TBL_MEMBER, v, row);
	patch_last_txn(P_COLUMN, row);
	snprintf(reason, cap, "党员：第 99 列不存在或重复");
	*table = TBL_MEMBER;
}

static void
c_transfer_code(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	const int t = TBL_TRANSFER;

	h_vals_null(v, t);
	h_set(v, t, "member_id", m0);
	h_set(v, t, "from_org_id", sq1b1);
	h_set(v, t, "to_org_code", "NOPE99");
	h_set(v, t, "member_name", "甲乙");
	h_set(v, t, "requested_on", "2024-05-01");
	h_set(v, t, "reason", "搬家");
	h_set(v, t, "status", "requested");
	snprintf(reason, cap, "没有组织编码为“NOPE99”的组织");
	*table = t;
	insert_txn(t, v, row);
}

/* A required text that is present but empty: the national item is still missing. */
static void
c_empty_required(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;

	member_vals(v, &m);
	h_set(v, TBL_MEMBER, "name", "");
	snprintf(reason, cap, "党员的姓名为必填项");
	*table = TBL_MEMBER;
	insert_txn(TBL_MEMBER, v, row);
}

/*
 * There is one street per server, made by tongxind init (the CLI refuses
 * another): one under a community breaks the tree's rule.
 */
static void
c_second_street(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	const int t = TBL_ORG;

	h_vals_null(v, t);
	h_set(v, t, "code", "JD99");
	h_set(v, t, "name", "冒名街道");
	h_set(v, t, "kind", "street");
	h_set(v, t, "parent_id", sq1);
	h_seti(v, t, "dissolved", 0);
	snprintf(reason, cap, "不能直接设在");   /* the tree's rule: a street under a community */
	*table = t;
	insert_txn(t, v, row);
}

/* A district is only ever the root tongxind init --district made: never pushed. */
static void
c_district(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	const int t = TBL_ORG;

	h_vals_null(v, t);
	h_set(v, t, "code", "QU99");
	h_set(v, t, "name", "冒名区");
	h_set(v, t, "kind", "district");
	h_set(v, t, "parent_id", sq1);
	h_seti(v, t, "dissolved", 0);
	snprintf(reason, cap, "每个服务器只有一个区");
	*table = t;
	insert_txn(t, v, row);
}

/* A valid member and an invalid one in one transaction: nothing of it is applied. */
static void
c_mixed(char row[ID_TEXT_LEN + 1], int *table, char *reason, size_t cap)
{
	Tongxin__Value v[32];
	struct h_member m;
	char bad_id[ID_TEXT_LEN + 1];

	dev_begin(&O);
	member_vals(v, &m);
	dev_insert(&O, TBL_MEMBER, v, row);          /* valid: must not be applied either */
	member_vals(v, &m);
	h_set(v, TBL_MEMBER, "education", "kindergarten");
	dev_insert(&O, TBL_MEMBER, v, bad_id);
	dev_commit(&O);
	snprintf(reason, cap, "学历的取值“kindergarten”不在允许范围内");
	*table = TBL_MEMBER;
}

/* --- the check ------------------------------------------------------------ */

static void
expect_rejected(const char *what, craft_fn craft)
{
	struct snap before, after;
	struct sync_report rep;
	char row[ID_TEXT_LEN + 1] = "", ok_id[ID_TEXT_LEN + 1], reason[512] = "";
	char row_before[8192], row_after[8192], got[1024], status[32], q[160];
	Tongxin__Value v[32];
	struct h_member m;
	int64_t seq = dev_next_seq(&O);
	int table = -1;
	sqlite3 *sdb;

	ncases++;
	snap_take(&before);
	craft(row, &table, reason, sizeof reason);
	H_CHECK(dev_next_seq(&O) == seq + 1, "%s: the case made %lld local transactions, not 1",
	    what, (long long)(dev_next_seq(&O) - seq));
	srv_row_text(table, row, row_before, sizeof row_before);
	/* The next transaction of the same device is valid. */
	member_vals(v, &m);
	insert_txn(TBL_MEMBER, v, ok_id);

	dev_sync(&O, &S, &rep);
	snprintf(q, sizeof q, "SELECT status FROM outcome WHERE seq = %lld", (long long)seq);
	h_sql_text(replica_db(O.r), q, NULL, status, sizeof status);
	snprintf(q, sizeof q, "SELECT reason FROM outcome WHERE seq = %lld", (long long)seq);
	h_sql_text(replica_db(O.r), q, NULL, got, sizeof got);
	if (soft && strcmp(status, "rejected") != 0) {
		gaps++;
		h_log("FAIL: %s: the transaction came back \"%s\" (reason \"%s\"), expected rejected "
		    "with a reason that says \"%s\"", what, status, got, reason);
		h_require_equal(&S, &O);
		return;
	}
	H_CHECK(strcmp(status, "rejected") == 0, "%s: the transaction came back \"%s\" (reason \"%s\"), "
	    "expected rejected", what, status, got);
	H_CHECK(strstr(got, reason) != NULL, "%s: rejected with reason \"%s\"; expected it to say "
	    "\"%s\"", what, got, reason);
	H_CHECK(rep.acks.rejected == 1 && rep.acks.applied == 1 && rep.acks.conflict == 0 &&
	    rep.acks.merged == 0, "%s: sync summary %lld applied, %lld merged, %lld conflict, "
	    "%lld rejected; expected 1 applied and 1 rejected", what, (long long)rep.acks.applied,
	    (long long)rep.acks.merged, (long long)rep.acks.conflict, (long long)rep.acks.rejected);
	snprintf(q, sizeof q, "SELECT status FROM outcome WHERE seq = %lld", (long long)seq + 1);
	h_sql_text(replica_db(O.r), q, NULL, status, sizeof status);
	H_CHECK(strcmp(status, "applied") == 0, "%s: the valid transaction after it came back "
	    "\"%s\"", what, status);

	/*
	 * The server says the same, and kept the reason: as a code and its
	 * arguments that render to exactly what the clerk was shown, and as an
	 * English sentence for its log and for older clients.
	 */
	sdb = srv_db(&S);
	{
		char en[1024], args[1024], zh[REASON_TEXT_MAX];
		struct reason why;
		int64_t code;
		snprintf(q, sizeof q, "SELECT coalesce(reason_code, 0) FROM txn_log"
		    " WHERE device_id = ?1 AND seq = %lld", (long long)seq);
		code = h_sql_int(sdb, q, O.device_id, NULL);
		snprintf(q, sizeof q, "SELECT coalesce(reason_args, '') FROM txn_log"
		    " WHERE device_id = ?1 AND seq = %lld", (long long)seq);
		h_sql_text(sdb, q, O.device_id, args, sizeof args);
		snprintf(q, sizeof q, "SELECT reason FROM txn_log WHERE device_id = ?1 AND seq = %lld",
		    (long long)seq);
		h_sql_text(sdb, q, O.device_id, en, sizeof en);
		reason_unpack((uint32_t)code, args, &why);
		reason_text(&why, REASON_ZH, zh, sizeof zh);
		H_CHECK(code > 0 && code < R_COUNT && strcmp(zh, got) == 0, "%s: the server's txn_log "
		    "keeps code %lld (%s) rendering \"%s\", the clerk saw \"%s\"", what, (long long)code,
		    reason_name((uint32_t)code), zh, got);
		H_CHECK(en[0] != '\0' && strcmp(en, got) != 0, "%s: the server's English reason is "
		    "\"%s\"", what, en);
	}
	H_CHECK(h_sql_int(sdb, "SELECT count(*) FROM member WHERE id = ?1 AND _deleted = 0", ok_id,
	    NULL) == 1 && h_sql_int(sdb, "SELECT count(*) FROM audit WHERE row_id = ?1", ok_id, NULL)
	    == 1, "%s: the valid member after it is not on the server", what);
	sqlite3_close(sdb);

	/* Nothing of it was applied. */
	srv_row_text(table, row, row_after, sizeof row_after);
	H_CHECK(strcmp(row_before, row_after) == 0, "%s: %s %s changed on the server:\n  before %s\n"
	    "  after  %s", what, schema_tables[table].name, row, row_before, row_after);
	snap_take(&after);
	for (int t = 0; t < TBL_COUNT; t++)
		H_CHECK(after.rows[t] == before.rows[t] + (t == TBL_MEMBER), "%s: the server's %s "
		    "table went from %lld to %lld rows (expected +%d, the valid member)", what,
		    schema_tables[t].name, (long long)before.rows[t], (long long)after.rows[t],
		    t == TBL_MEMBER);
	H_CHECK(after.audit == before.audit + 1, "%s: the audit log grew by %lld rows, expected 1 "
	    "(the valid member)", what, (long long)(after.audit - before.audit));
	H_CHECK(after.conflicts == before.conflicts && after.evictions == before.evictions,
	    "%s: a conflict or an eviction was recorded", what);
	H_CHECK(after.txns == before.txns + 2, "%s: txn_log grew by %lld, expected 2", what,
	    (long long)(after.txns - before.txns));
	/* The replica shows the server's state again: no trace of the rejected change. */
	h_require_equal(&S, &O);
	h_log("%-40s rejected: %s", what, reason);
}

static void
setup(void)
{
	Tongxin__Value v[32];
	struct h_member m;
	time_t t = time(NULL) + 86400;
	struct tm tm;

	srv_init(&S, "srv");
	srv_start(&S);
	dev_new(&A, &S, "JD01", "street-admin", 1);
	dev_sync(&A, &S, NULL);
	/* Tomorrow in the street's zone, which the first sync made this process's (as tongxin's). */
	localtime_r(&t, &tm);
	strftime(tomorrow, sizeof tomorrow, "%Y-%m-%d", &tm);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street_id), "no street row");
	dev_add_org(&A, "SQ01", "第一社区", "community", street_id, sq1);
	dev_add_org(&A, "SQ01B1", "第一社区第一党支部", "branch", sq1, sq1b1);
	dev_add_org(&A, "SQ02", "第二社区", "community", street_id, sq2);
	dev_sync(&A, &S, NULL);
	dev_new(&O, &S, "SQ01", "office-sq01", 0);
	dev_sync(&O, &S, NULL);

	/* m0: a member the update cases edit; born 1985-06-15, joined 2010-03-01, full 2011-03-01. */
	member_vals(v, &m);
	snprintf(m.birth, sizeof m.birth, "1985-06-15");
	h_id_number(m.idn, m.birth, h_id_male(m.idn));   /* the gender h_member_vals gave */
	snprintf(m.join, sizeof m.join, "2010-03-01");
	h_set(v, TBL_MEMBER, "category", "full");
	h_set(v, TBL_MEMBER, "full_date", "2011-03-01");
	insert_txn(TBL_MEMBER, v, m0);
	dev_sync(&O, &S, NULL);
	H_CHECK(h_sql_int(replica_db(O.r), "SELECT count(*) FROM outcome WHERE status = 'applied'",
	    NULL, NULL) == 1, "the valid member m0 was not applied");
	h_require_equal(&S, &O);
}

int
main(void)
{
	static const struct {
		const char *what;
		craft_fn fn;
	} cases[] = {
		{ "citizen ID with a bad check digit", c_check_digit },
		{ "birth date not matching the ID", c_birth_mismatch },
		{ "joined before the 18th birthday", c_join_before_18 },
		{ "join date in the future", c_future_join },
		{ "unknown enum value", c_enum },
		{ "text longer than its max", c_too_long },
		{ "invalid UTF-8", c_bad_utf8 },
		{ "a number where text belongs", c_wrong_type },
		{ "a reference that is not a row id", c_ref_not_id },
		{ "a missing required column", c_missing_required },
		{ "a bool of 2", c_bool2 },
		{ "a row id that is not a UUID", c_row_id },
		{ "an unknown table", c_table },
		{ "an unknown column", c_column },
		{ "a transfer to an unknown code", c_transfer_code },
		{ "a valid change with an invalid one", c_mixed },
		{ "update: bad check digit", c_update_check_digit },
		{ "update: full date within a year", c_full_too_soon },
		{ "update: lost contact without a date", c_lost_without_date },
		{ "update: an immutable column", c_immutable },
	};
	/* What the CLI refuses at entry and the server must refuse too. */
	static const struct {
		const char *what;
		craft_fn fn;
	} more[] = {
		{ "update: a required column to NULL", c_required_to_null },
		{ "a required text that is empty", c_empty_required },
		{ "a second street", c_second_street },
		{ "a district pushed", c_district },
	};
	struct h_acct acct;

	h_init("test_server_validation", 5);
	setup();
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_rejected(cases[i].what, cases[i].fn);
	/* Every local transaction of O is accounted for, each rejected one kept whole. */
	h_check_accounted(&S, &O, &acct);
	H_CHECK(acct.rejected == ncases && acct.applied == ncases + 1 && acct.conflict == 0,
	    "accounting: %lld applied, %lld rejected, %lld conflict; expected %d, %d, 0",
	    (long long)acct.applied, (long long)acct.rejected, (long long)acct.conflict, ncases + 1,
	    ncases);
	soft = 1;
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		expect_rejected(more[i].what, more[i].fn);
	H_CHECK(gaps == 0, "%d of %zu changes a modified client sent were not rejected (see the "
	    "FAIL lines above)", gaps, sizeof more / sizeof more[0]);
	srv_stop(&S);
	h_check_integrity(&S);
	dev_close(&A);
	dev_close(&O);
	return h_done();
}
