/*
 * test_reason.c - the server's refusal and conflict reasons as codes and
 * arguments, rendered in Chinese by the client (issue 9, item 2).
 *
 * Part 1, the table (common/reason.c), row by row:
 *   - every code below R_COUNT has a unique stable name, a Chinese and an
 *     English template, and renders in Chinese with sample arguments: no
 *     placeholder is left, the generic sentence is not used, and the text
 *     holds Chinese characters;
 *   - no template uses an argument it does not have, and every argument is
 *     used by both templates;
 *   - column and table arguments render as their labels from the schema.
 * Part 2, what a peer may send: an unknown code, a count that differs from
 * the code's (fewer, more, a thousand with a one-element array), NULL
 * arguments, control characters and broken UTF-8, a 10 kB argument, tiny
 * buffers - each renders a bounded, valid UTF-8 sentence (the generic one
 * names the code), and ASan sees no read past the arguments.
 * Part 3, storage: pack and unpack keep the arguments; unpack bounds them.
 * Part 4, end to end on a real tongxind whose database was made before the
 * codes (txn_log and conflict without reason_code / reason_args) and a
 * replica whose outcome table has no reason_code:
 *   - both open and work (the server says it migrated);
 *   - a rejected insert (no 民族) comes back rejected; the replica keeps
 *     "党员的民族为必填项" and the code R_REQUIRED; the server's txn_log
 *     keeps the code, the argument "member.ethnicity" and the English
 *     sentence for its log;
 *   - the same transaction pushed again gets the same answer: duplicate,
 *     same code, same arguments;
 *   - an answer the server kept from before the codes (a txn_log row with
 *     only English) is answered again as it was, and shown as it was;
 *   - a same-field conflict: the clerk's outcome is in Chinese, and the
 *     administrator's ConflictInfo carries the code and arguments that
 *     reason_render() turns into the same sentence.
 */
#include "sync_harness.h"
#include "hostile.h"
#include "reason.h"

#include <openssl/sha.h>

static struct h_server S;
static struct h_dev A, B;
static int failures;

#define CHECK(cond, ...)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			failures++;                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, \
			    __LINE__, #cond);                                 \
			fprintf(stderr, __VA_ARGS__);                         \
			fputc('\n', stderr);                                  \
		}                                                             \
	} while (0)

/* Whether s is valid UTF-8 without control characters. */
static int
clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80 ? 0 : *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc2 ? 1 : -1;
		if (n < 0 || (n == 0 && (*p < 0x20 || *p == 0x7f)))
			return 0;
		for (int i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += n + 1;
	}
	return 1;
}

/* Whether s holds a CJK character (U+4E00..U+9FFF: lead bytes E4..E9). */
static int
has_cjk(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p >= 0xe4 && *p <= 0xe9)
			return 1;
	return 0;
}

/*
 * The highest argument number a template names, and which ones it names
 * (bit i: argument i + 1). -1 if a placeholder is malformed.
 */
static int
template_args(const char *t, unsigned *used)
{
	int max = 0;

	*used = 0;
	for (const char *p = t; (p = strchr(p, '%')) != NULL;) {
		p++;
		if (*p == '%') {
			p++;
			continue;
		}
		if (*p == 't' || *p == 'c' || *p == 'v')
			p++;
		if (*p < '1' || *p > '9')
			return -1;
		if (*p - '0' > max)
			max = *p - '0';
		*used |= 1u << (*p - '1');
		p++;
	}
	return max;
}

/*
 * Sample arguments for a code: "member.phone" where a template names the
 * argument as a table or column, else a plain value (ASCII, so that the
 * English rendering holds no Chinese of ours).
 */
static void
sample_args(uint32_t code, const char *argv[REASON_MAX_ARGS])
{
	static const char *const plain[REASON_MAX_ARGS] = { "v1", "v2", "v3", "v4", "v5", "v6" };

	for (int i = 0; i < REASON_MAX_ARGS; i++)
		argv[i] = plain[i];
	for (int lang = REASON_ZH; lang <= REASON_EN; lang++)
		for (const char *p = reason_template(code, lang); p && (p = strchr(p, '%')) != NULL;) {
			p++;
			if ((*p == 't' || *p == 'c') && p[1] >= '1' && p[1] <= '6')
				argv[p[1] - '1'] = "member.phone";
		}
}

static void
test_table(void)
{
	const char *names[R_COUNT];
	const char *sample[REASON_MAX_ARGS];

	for (uint32_t code = 1; code < R_COUNT; code++) {
		const char *zh = reason_template(code, REASON_ZH), *en = reason_template(code, REASON_EN);
		int n = reason_nargs(code), mz, me;
		unsigned uz, ue;
		char out[REASON_TEXT_MAX];

		names[code] = reason_name(code);
		CHECK(strcmp(names[code], "unknown") != 0 && zh != NULL && en != NULL && zh[0] &&
		    en[0], "code %u has no row in the table", code);
		if (zh == NULL || en == NULL)
			continue;
		for (uint32_t k = 1; k < code; k++)
			CHECK(strcmp(names[k], names[code]) != 0, "codes %u and %u share the name %s", k,
			    code, names[code]);
		CHECK(n >= 0 && n <= REASON_MAX_ARGS, "%s takes %d arguments", names[code], n);
		mz = template_args(zh, &uz);
		me = template_args(en, &ue);
		CHECK(mz >= 0 && mz <= n, "%s: the Chinese template names argument %d of %d: %s",
		    names[code], mz, n, zh);
		CHECK(me >= 0 && me <= n, "%s: the English template names argument %d of %d: %s",
		    names[code], me, n, en);
		CHECK(uz == (1u << n) - 1 && ue == (1u << n) - 1, "%s: not every one of its %d "
		    "arguments is shown (zh %#x, en %#x)", names[code], n, uz, ue);
		sample_args(code, sample);
		reason_render(code, sample, (size_t)n, REASON_ZH, out, sizeof out);
		CHECK(out[0] && strchr(out, '%') == NULL && has_cjk(out) && clean_utf8(out) &&
		    strstr(out, "无法显示的原因") == NULL, "%s renders \"%s\"", names[code], out);
		CHECK(strstr(out, "member.") == NULL, "%s shows a raw column name: \"%s\"",
		    names[code], out);
		reason_render(code, sample, (size_t)n, REASON_EN, out, sizeof out);
		CHECK(out[0] && strchr(out, '%') == NULL && !has_cjk(out), "%s in English renders "
		    "\"%s\"", names[code], out);
	}
	CHECK(strcmp(reason_name(R_COUNT), "unknown") == 0 && reason_nargs(R_COUNT) == -1 &&
	    reason_template(R_COUNT, REASON_ZH) == NULL, "a code past the table is known");
	/* The codes are kept on disk and sent: their numbers never move. */
	CHECK(R_REQUIRED == 29 && R_UNSEEN_REF == 31 && R_UNIQUE == 40 &&
	    R_DELETED_ON_SERVER == 43 && R_SAME_FIELD == 48 && R_QUEUE_FULL == 55,
	    "a reason code was renumbered");
	CHECK(strcmp(reason_name(R_REQUIRED), "required") == 0 &&
	    strcmp(reason_name(R_UNSEEN_REF), "out_of_scope") == 0 &&
	    strcmp(reason_name(R_UNIQUE), "unique_clash") == 0 &&
	    strcmp(reason_name(R_DELETED_ON_SERVER), "deleted_on_server") == 0,
	    "a stable code name changed");
}

/* One rendering against its expected text. */
static void
expect(uint32_t code, const char *const *args, size_t n, enum reason_lang lang, const char *want)
{
	char out[REASON_TEXT_MAX];

	reason_render(code, args, n, lang, out, sizeof out);
	CHECK(strcmp(out, want) == 0, "%s renders \"%s\", expected \"%s\"", reason_name(code), out,
	    want);
}

static void
test_labels(void)
{
	const char *const req[] = { "member.ethnicity" };
	const char *const ref[] = { "member.org_id", "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b" };
	const char *const same[] = { "member.name", "张三", "张四" };
	const char *const tbl[] = { "transfer", "X1" };
	const char *const edu[] = { "member.education", "doctorate", "nonsense" };
	const char *const flag[] = { "member.lost_contact", "1", "0" };
	const char *const unknown_col[] = { "member.nope" };
	const char *const no_table[] = { "nope.name" };

	expect(R_REQUIRED, req, 1, REASON_ZH, "党员的民族为必填项");
	expect(R_REQUIRED, req, 1, REASON_EN, "member: ethnicity is required");
	expect(R_UNSEEN_REF, ref, 2, REASON_ZH,
	    "党员：所在党支部 0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b 不在本设备所属组织的范围内");
	expect(R_SAME_FIELD, same, 3, REASON_ZH, "党员的姓名已在服务器上改为“张三”，本设备修改时看到的是“张四”");
	/* Values of coded columns show their labels from the vocabulary. */
	expect(R_SAME_FIELD, edu, 3, REASON_ZH, "党员的学历已在服务器上改为“博士研究生”，本设备修改时看到的是“nonsense”");
	expect(R_SAME_FIELD, edu, 3, REASON_EN,
	    "member: education was changed on the server to \"doctorate\" since this device saw \"nonsense\"");
	expect(R_NEWER_SERVER, flag, 3, REASON_ZH, "党员的失联党员两边都有修改，保留了服务器上较新的修改（服务器“是”，本单位“否”）");
	expect(R_DELETED_ON_SERVER, tbl, 2, REASON_ZH, "组织关系转接：记录 X1 已在服务器上删除");
	/* A name this schema does not have is shown as text, never looked up past the table. */
	expect(R_REQUIRED, unknown_col, 1, REASON_ZH, "党员的nope为必填项");
	expect(R_REQUIRED, no_table, 1, REASON_ZH, "nope的name为必填项");
	expect(R_NONE, NULL, 0, REASON_ZH, "");
}

static void
test_hostile(void)
{
	char out[REASON_TEXT_MAX], big[10000], tiny[8];
	const char *const one[] = { "member.name" };
	const char *two[2] = { "member.name", "x" };
	const char *nulls[3] = { NULL, NULL, NULL };
	const char *const evil[] = { "member.name", "\x1b[31m红\xff\xfe", "a\nb" };

	/* Unknown codes, and counts that differ from the code's: the generic sentence with the code. */
	reason_render(9999, one, 1, REASON_ZH, out, sizeof out);
	CHECK(strstr(out, "代码 9999") != NULL && has_cjk(out), "unknown code: \"%s\"", out);
	reason_render(R_COUNT, NULL, 0, REASON_ZH, out, sizeof out);
	CHECK(strstr(out, "代码") != NULL, "R_COUNT: \"%s\"", out);
	reason_render(UINT32_MAX, NULL, 0, REASON_EN, out, sizeof out);
	CHECK(strstr(out, "4294967295") != NULL, "UINT32_MAX: \"%s\"", out);
	reason_render(R_REQUIRED, NULL, 0, REASON_ZH, out, sizeof out);
	CHECK(strstr(out, "代码 29") != NULL, "too few arguments: \"%s\"", out);
	reason_render(R_REQUIRED, two, 2, REASON_ZH, out, sizeof out);
	CHECK(strstr(out, "代码 29") != NULL, "too many arguments: \"%s\"", out);
	/* A thousand claimed, one given: nothing past the one may be read (ASan watches). */
	reason_render(R_REQUIRED, one, 1000, REASON_ZH, out, sizeof out);
	CHECK(strstr(out, "代码 29") != NULL, "a thousand arguments claimed: \"%s\"", out);
	reason_render(R_REQUIRED, NULL, 1, REASON_ZH, out, sizeof out);
	CHECK(strstr(out, "代码 29") != NULL, "NULL argument array: \"%s\"", out);
	reason_render(R_SAME_FIELD, nulls, 3, REASON_ZH, out, sizeof out);
	CHECK(clean_utf8(out) && has_cjk(out), "NULL arguments: \"%s\"", out);

	/* Control characters and broken UTF-8 from a peer are replaced. */
	reason_render(R_SAME_FIELD, evil, 3, REASON_ZH, out, sizeof out);
	CHECK(clean_utf8(out) && strstr(out, "红??") != NULL && strstr(out, "a b") != NULL,
	    "hostile arguments render \"%s\"", out);

	/* A 10 kB argument is cut at REASON_ARG_MAX bytes, at a character. */
	for (size_t i = 0; i + 3 < sizeof big; i += 3)
		memcpy(big + i, "党", 3);
	big[sizeof big - 1 - (sizeof big - 1) % 3] = '\0';
	{
		const char *const a[] = { "member.name", big, big };
		size_t n = reason_render(R_SAME_FIELD, a, 3, REASON_ZH, out, sizeof out);
		CHECK(n < sizeof out && n == strlen(out) && clean_utf8(out) &&
		    n < 2 * REASON_ARG_MAX + 200, "a 10 kB argument renders %zu bytes", n);
	}
	/* Tiny buffers: always terminated, never a broken character. */
	for (size_t cap = 1; cap <= sizeof tiny; cap++) {
		memset(tiny, 'Z', sizeof tiny);
		reason_render(R_REQUIRED, one, 1, REASON_ZH, tiny, cap);
		CHECK(memchr(tiny, '\0', cap) != NULL && clean_utf8(tiny), "cap %zu: broken output",
		    cap);
		reason_render(7777, NULL, 0, REASON_ZH, tiny, cap);
		CHECK(memchr(tiny, '\0', cap) != NULL && clean_utf8(tiny), "cap %zu: broken generic",
		    cap);
	}
	tiny[0] = 'Z';
	reason_render(R_REQUIRED, one, 1, REASON_ZH, tiny, 0);
	CHECK(tiny[0] == 'Z', "a zero-sized buffer was written");

	/* An old server's English sentence is shown as it came, made safe the same way. */
	reason_show(R_NONE, NULL, 0, "member: ethnicity is required", out, sizeof out);
	CHECK(strcmp(out, "member: ethnicity is required") == 0, "legacy text: \"%s\"", out);
	reason_show(R_NONE, NULL, 0, "bad\x1b]0;title\x07 \xff", out, sizeof out);
	CHECK(clean_utf8(out) && strstr(out, "bad") == out, "legacy hostile text: \"%s\"", out);
	reason_show(R_NONE, NULL, 0, NULL, out, sizeof out);
	CHECK(out[0] == '\0', "no text at all: \"%s\"", out);
	reason_show(R_REQUIRED, one, 1, "ignored", out, sizeof out);
	CHECK(strcmp(out, "党员的姓名为必填项") == 0, "a code wins over the legacy text: \"%s\"", out);
}

static void
test_storage(void)
{
	struct reason r, back;
	char packed[REASON_MAX_ARGS * (REASON_ARG_MAX + 1) + 1], a[REASON_TEXT_MAX],
	    b[REASON_TEXT_MAX], many[64];

	reason_set(&r, R_DELETE_UPDATED, "member", "id-1", "member.phone", "", "旧\x1f值");
	CHECK(r.nargs == 5 && strchr(r.args[4], '\x1f') == NULL, "set keeps a separator");
	CHECK(reason_pack(&r, packed, sizeof packed) == 0, "pack");
	reason_unpack(r.code, packed, &back);
	reason_text(&r, REASON_ZH, a, sizeof a);
	reason_text(&back, REASON_ZH, b, sizeof b);
	CHECK(back.nargs == 5 && strcmp(a, b) == 0, "round trip: \"%s\" / \"%s\"", a, b);
	reason_set0(&r, R_NO_SEQUENCE);
	CHECK(reason_pack(&r, packed, sizeof packed) == 0, "pack, no arguments");
	reason_unpack(r.code, packed, &back);
	CHECK(back.nargs == 0, "no arguments come back as %zu", back.nargs);
	reason_set(&r, R_REQUIRED, "member.name");
	CHECK(reason_pack(&r, packed, 4) == -1, "a short buffer is refused");
	/* A stored value with more separators than any code has arguments is bounded. */
	memset(many, '\x1f', sizeof many - 1);
	many[sizeof many - 1] = '\0';
	reason_unpack(R_REQUIRED, many, &back);
	CHECK(back.nargs == REASON_MAX_ARGS, "unpack made %zu arguments", back.nargs);
	reason_text(&back, REASON_ZH, a, sizeof a);
	CHECK(strstr(a, "代码 29") != NULL, "a wrong count from storage renders \"%s\"", a);

	/* validate.c's checks give their codes. */
	{
		const struct table_def *td = &schema_tables[TBL_MEMBER];
		Tongxin__Value v = TONGXIN__VALUE__INIT;
		v.kind_case = TONGXIN__VALUE__KIND_S;
		v.s = (char *)"martian";
		CHECK(validate_value_reason(&td->cols[schema_col_index(td, "gender")], &v, &r) == -1 &&
		    r.code == R_BAD_ENUM && strcmp(r.args[0], "member.gender") == 0 &&
		    strcmp(r.args[1], "martian") == 0, "gender martian: code %u", r.code);
		CHECK(validate_id_number_reason("11010519491231002", &r) == -1 &&
		    r.code == R_ID_LENGTH && strcmp(r.args[0], "17") == 0, "17 digits: code %u",
		    r.code);
	}
}

/* ---------------------------------------------------------------- end to end */

/* Turn a database into one made before reason codes: drop the columns they added. */
static void
make_old(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	H_CHECK(sqlite3_open(path, &db) == SQLITE_OK, "open %s", path);
	H_CHECK(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(db);
}

static int
has_column(sqlite3 *db, const char *table, const char *col)
{
	char sql[200];
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "SELECT %s FROM %s LIMIT 0", col, table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_finalize(st);
	return 1;
}

/* Push one transaction through a raw session of d; *out is the envelope (envelope_free). */
static const Tongxin__TxnResult *
raw_push1(struct h_dev *d, Tongxin__Txn *tx, Tongxin__Envelope **out, struct hx *x)
{
	char bundle[4300];

	snprintf(bundle, sizeof bundle, "%s/%s.bundle", H.tmp, d->name);
	H_CHECK(hx_open(x, bundle, S.addr, "reason-test", 60000) == 0, "session: %s", x->err);
	H_CHECK(hx_push(x, &tx, 1, out) == 0, "push: %s", x->err);
	return (*out)->push_result->results[0];
}

static void
render_result(const Tongxin__TxnResult *r, char *buf, size_t cap)
{
	reason_show(r->reason_code, (const char *const *)r->reason_args, r->n_reason_args,
	    r->reason, buf, cap);
}

static void
test_end_to_end(void)
{
	char db_path[4300], street[ID_TEXT_LEN + 1], m[ID_TEXT_LEN + 1], text[REASON_TEXT_MAX];
	char sq1[ID_TEXT_LEN + 1], branch[ID_TEXT_LEN + 1];
	char q[300], args[512], en[512], shown[REASON_TEXT_MAX];
	Tongxin__Value v[32];
	struct h_member hm;
	struct sync_report rep;
	sqlite3 *sdb;
	int64_t seq;

	srv_init(&S, "srv");
	snprintf(db_path, sizeof db_path, "%s/tongxind.db", S.dir);
	make_old(db_path, "ALTER TABLE txn_log DROP COLUMN reason_code;"
	    "ALTER TABLE txn_log DROP COLUMN reason_args;"
	    "ALTER TABLE conflict DROP COLUMN reason_code;"
	    "ALTER TABLE conflict DROP COLUMN reason_args;");
	srv_start(&S);
	sdb = srv_db(&S);
	H_CHECK(has_column(sdb, "txn_log", "reason_code") && has_column(sdb, "conflict",
	    "reason_args"), "the older server database was not migrated");
	sqlite3_close(sdb);

	dev_new(&A, &S, "JD01", "street-a", 1);
	dev_sync(&A, &S, NULL);
	H_CHECK(h_org_id(replica_db(A.r), "JD01", street), "no street row");
	dev_close(&A);
	make_old(A.path, "ALTER TABLE outcome DROP COLUMN reason_code;");
	dev_reopen(&A);
	H_CHECK(has_column(replica_db(A.r), "outcome", "reason_code"),
	    "the older replica was not migrated");
	/* Members belong to a branch, under a community (the tree rule). */
	dev_add_org(&A, "SQ01", "第一社区", "community", street, sq1);
	dev_add_org(&A, "SQ01B1", "第一党支部", "branch", sq1, branch);
	dev_sync(&A, &S, NULL);

	/* A member without 民族: refused by the server, in Chinese on the replica. */
	h_member_vals(v, &hm, branch, NULL);
	tongxin__value__init(&v[h_col(TBL_MEMBER, "ethnicity")]);
	dev_begin(&A);
	dev_insert(&A, TBL_MEMBER, v, m);
	dev_commit(&A);
	seq = dev_next_seq(&A) - 1;
	dev_sync(&A, &S, &rep);
	CHECK(rep.acks.rejected == 1, "%lld rejected, expected 1", (long long)rep.acks.rejected);
	snprintf(q, sizeof q, "SELECT coalesce(reason, '') || '|' || coalesce(reason_code, 0)"
	    " FROM outcome WHERE seq = %lld AND status = 'rejected'", (long long)seq);
	h_sql_text(replica_db(A.r), q, NULL, text, sizeof text);
	snprintf(q, sizeof q, "党员的民族为必填项|%d", R_REQUIRED);
	CHECK(strcmp(text, q) == 0, "the replica keeps \"%s\", expected \"%s\"", text, q);
	sdb = srv_db(&S);
	snprintf(q, sizeof q, "SELECT reason_code || '|' || reason_args FROM txn_log"
	    " WHERE device_id = ?1 AND seq = %lld", (long long)seq);
	h_sql_text(sdb, q, A.device_id, args, sizeof args);
	snprintf(q, sizeof q, "SELECT reason FROM txn_log WHERE device_id = ?1 AND seq = %lld",
	    (long long)seq);
	h_sql_text(sdb, q, A.device_id, en, sizeof en);
	sqlite3_close(sdb);
	snprintf(q, sizeof q, "%d|member.ethnicity", R_REQUIRED);
	CHECK(strcmp(args, q) == 0, "the server keeps \"%s\", expected \"%s\"", args, q);
	CHECK(strcmp(en, "member: ethnicity is required") == 0, "the server's English: \"%s\"", en);
	CHECK(h_file_has(S.log, 0, "rejected: member: ethnicity is required"),
	    "the server's log does not give the English reason");

	/* The same transaction again: the same answer, code and arguments included. */
	{
		sqlite3_stmt *st;
		Tongxin__Txn *tx = NULL;
		Tongxin__Envelope *in = NULL;
		const Tongxin__TxnResult *r;
		struct hx x;

		H_CHECK(sqlite3_prepare_v2(replica_db(A.r), "SELECT txn FROM outcome WHERE seq = ?1",
		    -1, &st, NULL) == SQLITE_OK, "prepare");
		sqlite3_bind_int64(st, 1, seq);
		if (sqlite3_step(st) == SQLITE_ROW)
			tx = tongxin__txn__unpack(NULL, (size_t)sqlite3_column_bytes(st, 0),
			    sqlite3_column_blob(st, 0));
		sqlite3_finalize(st);
		H_CHECK(tx != NULL, "the rejected transaction is not kept on the replica");
		r = raw_push1(&A, tx, &in, &x);
		render_result(r, shown, sizeof shown);
		CHECK(r->duplicate && r->status == TONGXIN__TXN_RESULT__STATUS__REJECTED &&
		    r->reason_code == R_REQUIRED && r->n_reason_args == 1 &&
		    strcmp(r->reason_args[0], "member.ethnicity") == 0 &&
		    strcmp(shown, "党员的民族为必填项") == 0, "the re-sent transaction: duplicate %d, "
		    "code %u, %zu arguments, shown \"%s\"", r->duplicate, r->reason_code,
		    r->n_reason_args, shown);

		/* An answer kept from before the codes: English only, answered as it was. */
		{
			uint8_t digest[32], *p;
			size_t n;
			char dig[65], sql[600];
			tx->seq = 900;
			n = tongxin__txn__get_packed_size(tx);
			H_CHECK((p = malloc(n)) != NULL, "oom");
			tongxin__txn__pack(tx, p);
			SHA256(p, n, digest);
			free(p);
			for (int i = 0; i < 32; i++)
				snprintf(dig + 2 * i, 3, "%02x", digest[i]);
			snprintf(sql, sizeof sql, "INSERT INTO txn_log (device_id, seq, status, reason,"
			    " received_at, digest) VALUES ('%s', 900, 3, 'member: 民族 (ethnicity) is"
			    " required', 0, x'%s')", A.device_id, dig);
			make_old(db_path, sql);
		}
		envelope_free(in);
		hx_close(&x);
		r = raw_push1(&A, tx, &in, &x);
		render_result(r, shown, sizeof shown);
		CHECK(r->duplicate && r->reason_code == 0 && r->n_reason_args == 0 &&
		    strcmp(shown, "member: 民族 (ethnicity) is required") == 0, "an answer from "
		    "before the codes: duplicate %d, code %u, shown \"%s\"", r->duplicate,
		    r->reason_code, shown);
		envelope_free(in);
		hx_close(&x);
		tongxin__txn__free_unpacked(tx, NULL);
		H_CHECK(rep_seq_floor(A.r, 900) == 0, "rep_seq_floor");
	}

	/* A same-field conflict: Chinese for the clerk, a code for the administrator's list. */
	{
		Tongxin__Envelope env = TONGXIN__ENVELOPE__INIT, *in = NULL;
		Tongxin__ConflictListRequest req = TONGXIN__CONFLICT_LIST_REQUEST__INIT;
		char bundle[4300], ok_m[ID_TEXT_LEN + 1], want[REASON_TEXT_MAX];
		struct hx x;
		int found = 0;

		h_member_vals(v, &hm, branch, NULL);
		dev_begin(&A);
		dev_insert(&A, TBL_MEMBER, v, ok_m);
		dev_commit(&A);
		dev_sync(&A, &S, NULL);
		dev_new(&B, &S, "JD01", "street-b", 1);
		dev_sync(&B, &S, NULL);
		dev_begin(&A);
		dev_update1(&A, TBL_MEMBER, ok_m, "name", "甲改的名字", 0);
		dev_commit(&A);
		dev_sync(&A, &S, NULL);
		dev_begin(&B);
		dev_update1(&B, TBL_MEMBER, ok_m, "name", "乙改的名字", 0);
		dev_commit(&B);
		seq = dev_next_seq(&B) - 1;
		dev_sync(&B, &S, &rep);
		CHECK(rep.acks.conflict == 1, "%lld conflicts, expected 1", (long long)rep.acks.conflict);
		snprintf(want, sizeof want, "党员的姓名已在服务器上改为“甲改的名字”，本设备修改时看到的是“%s”",
		    hm.name);
		snprintf(q, sizeof q, "SELECT coalesce(reason, '') FROM outcome WHERE seq = %lld",
		    (long long)seq);
		h_sql_text(replica_db(B.r), q, NULL, text, sizeof text);
		CHECK(strcmp(text, want) == 0, "the clerk reads \"%s\", expected \"%s\"", text, want);

		snprintf(bundle, sizeof bundle, "%s/%s.bundle", H.tmp, A.name);
		H_CHECK(hx_open(&x, bundle, S.addr, "reason-test", 60000) == 0, "session: %s", x.err);
		env.body_case = TONGXIN__ENVELOPE__BODY_CONFLICT_LIST;
		env.conflict_list = &req;
		H_CHECK(hx_request(&x, &env, TONGXIN__ENVELOPE__BODY_CONFLICT_LIST_RESULT, &in) == 0,
		    "conflict list: %s", x.err);
		for (size_t i = 0; i < in->conflict_list_result->n_conflicts; i++) {
			const Tongxin__ConflictInfo *ci = in->conflict_list_result->conflicts[i];
			/* How the administrator's list shows a conflict's reason. */
			reason_show(ci->reason_code, (const char *const *)ci->reason_args,
			    ci->n_reason_args, ci->reason, shown, sizeof shown);
			if (strcmp(ci->row_id, ok_m) != 0)
				continue;
			found = 1;
			CHECK(ci->reason_code == R_SAME_FIELD && strcmp(shown, want) == 0 &&
			    strstr(ci->reason, "was changed on the server") != NULL, "the conflict "
			    "list gives code %u, shown \"%s\" (English \"%s\")", ci->reason_code, shown,
			    ci->reason);
		}
		CHECK(found, "the conflict is not in the administrator's list");
		envelope_free(in);
		hx_close(&x);

		/*
		 * A newer-wins column (phone): B's newer edit replaces the value A
		 * wrote. B is told its edit won; A, at its next pull, that its
		 * value was replaced - each in its own words.
		 */
		dev_begin(&A);
		dev_update1(&A, TBL_MEMBER, ok_m, "phone", "13800000001", 0);
		dev_commit(&A);
		dev_sync(&A, &S, NULL);
		h_msleep(5);
		dev_begin(&B);
		dev_update1(&B, TBL_MEMBER, ok_m, "phone", "13900000002", 0);
		dev_commit(&B);
		seq = dev_next_seq(&B) - 1;
		dev_sync(&B, &S, &rep);
		snprintf(q, sizeof q, "SELECT status || '|' || coalesce(reason, '') FROM outcome"
		    " WHERE seq = %lld", (long long)seq);
		h_sql_text(replica_db(B.r), q, NULL, text, sizeof text);
		CHECK(strcmp(text, "merged|党员的联系电话两边都有修改，采用了本单位较新的修改"
		    "（服务器“13800000001”，本单位“13900000002”）") == 0, "the winner reads \"%s\"", text);
		dev_sync(&A, &S, &rep);
		h_sql_text(replica_db(A.r), "SELECT text FROM notice ORDER BY at DESC LIMIT 1", NULL, text,
		    sizeof text);
		CHECK(strcmp(text, "党员的联系电话两边都有修改：另一设备较新的修改“13900000002”替换了本设备"
		    "写入的“13800000001”") == 0, "the device whose value lost reads \"%s\"", text);
	}
}

int
main(void)
{
	test_table();
	test_labels();
	test_hostile();
	test_storage();
	h_init("test_reason", 9);
	test_end_to_end();
	if (failures)
		fprintf(stderr, "test_reason: %d checks failed\n", failures);
	return failures ? 1 : h_done();
}
