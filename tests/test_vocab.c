/*
 * test_vocab.c - table-driven unit tests of the one vocabulary (issue 9,
 * item 1):
 *
 *   - every vocabulary: codes unique, labels unique, every code, label and
 *     alias parses to its own entry (and to no other: no spelling is shared
 *     within a vocabulary), codes and ASCII aliases without regard to case,
 *     surrounding blanks ignored, unknown text and "" give NULL;
 *   - ethnicity: the 56 民族 of GB 3304 with their numbers 01..56 in order,
 *     stored as labels, "火星族" refused by validation;
 *   - the schema: every enum column has a vocabulary whose stored values
 *     are exactly its enum list, bools have the "bool" vocabulary, the
 *     canonical text (and so the hash) lists the vocabulary's values;
 *   - validation: a label, code or alias is not a stored value unless the
 *     column stores it (the wire carries stored values only).
 *
 * Exit status 0 when every check holds; otherwise each failed check is
 * printed and the status is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "schema.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

static int failures, checks;

#define CHECK(cond, ...)                                                         \
	do {                                                                     \
		checks++;                                                        \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n  ", __FILE__, \
			    __LINE__, #cond);                                    \
			fprintf(stderr, __VA_ARGS__);                            \
			fputc('\n', stderr);                                     \
			failures++;                                              \
		}                                                                \
	} while (0)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* The vocabularies issue 9 names, each of which must exist. */
static const char *const required[] = {
	"gender", "ethnicity", "education", "category", "standing", "org_kind", "branch_type",
	"meeting_kind", "attendance", "item_kind", "item_status", "transfer_status",
	"conflict_kind", "decision", "bool",
};

static void
upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static void
test_every_vocabulary(void)
{
	for (size_t k = 0; k < ARRAY_LEN(required); k++)
		CHECK(vocab_get(required[k]) != NULL, "no vocabulary \"%s\"", required[k]);
	CHECK(vocab_get("no_such") == NULL && vocab_get(NULL) == NULL, "vocab_get of unknown");
	CHECK(vocab_count() >= ARRAY_LEN(required), "only %zu vocabularies", vocab_count());
	for (size_t k = 0; k < vocab_count(); k++) {
		const struct vocab *v = vocab_at(k);
		size_t nstored = 0;
		CHECK(vocab_get(v->name) == v, "vocab_get(\"%s\") finds another table", v->name);
		CHECK(v->n > 0, "%s is empty", v->name);
		while (v->stored[nstored] != NULL)
			nstored++;
		CHECK(nstored == v->n, "%s stores %zu values for %zu entries", v->name, nstored, v->n);
		for (size_t i = 0; i < v->n; i++) {
			const struct vocab_entry *e = &v->entries[i];
			char buf[128];
			CHECK(e->code[0] && e->label[0], "%s entry %zu is blank", v->name, i);
			CHECK(strcmp(v->stored[i], v->store_label ? e->label : e->code) == 0,
			    "%s stored[%zu] is %s", v->name, i, v->stored[i]);
			for (const char *p = e->code; *p; p++)
				CHECK((unsigned char)*p < 0x80 && *p != ' ', "%s code \"%s\" is not ASCII",
				    v->name, e->code);
			for (size_t j = i + 1; j < v->n; j++) {
				CHECK(strcmp(e->code, v->entries[j].code) != 0, "%s: code %s twice",
				    v->name, e->code);
				CHECK(strcmp(e->label, v->entries[j].label) != 0, "%s: label %s twice",
				    v->name, e->label);
			}
			CHECK(strcmp(vocab_label(v, e->code), e->label) == 0, "%s: label of %s", v->name,
			    e->code);
			CHECK(vocab_parse(v, e->code) == e->code, "%s: code %s", v->name, e->code);
			CHECK(vocab_parse(v, e->label) == e->code, "%s: label %s", v->name, e->label);
			snprintf(buf, sizeof buf, "  %s\t", e->label);
			CHECK(vocab_parse(v, buf) == e->code, "%s: blanks around %s", v->name, e->label);
			snprintf(buf, sizeof buf, "\xe3\x80\x80%s\xe3\x80\x80", e->label);
			CHECK(vocab_parse(v, buf) == e->code, "%s: U+3000 around %s", v->name, e->label);
			snprintf(buf, sizeof buf, "%s", e->code);
			upper(buf);
			CHECK(vocab_parse(v, buf) == e->code, "%s: upper-case %s", v->name, buf);
			for (const char *const *a = e->aliases; a && *a; a++) {
				CHECK(vocab_parse(v, *a) == e->code, "%s: alias %s gives %s, not %s",
				    v->name, *a, vocab_parse(v, *a) ? vocab_parse(v, *a) : "NULL",
				    e->code);
				snprintf(buf, sizeof buf, "%s", *a);
				upper(buf);
				CHECK(vocab_parse(v, buf) == e->code, "%s: alias %s in capitals", v->name,
				    buf);
			}
		}
		CHECK(vocab_parse(v, "") == NULL && vocab_parse(v, "   ") == NULL &&
		    vocab_parse(v, NULL) == NULL, "%s: blank text parses", v->name);
		CHECK(vocab_parse(v, "no-such-value") == NULL && vocab_parse(v, "火星族") == NULL,
		    "%s: unknown text parses", v->name);
		CHECK(vocab_label(v, "no-such-value") == NULL, "%s: label of an unknown code",
		    v->name);
	}
}

static void
test_specific(void)
{
	static const struct {
		const char *vocab, *text, *code;
	} cases[] = {
		{ "gender", "男", "male" }, { "gender", "女", "female" }, { "gender", "Male", "male" },
		{ "gender", "female", "female" }, { "gender", "男性", "male" }, { "gender", "雄", NULL },
		{ "education", "本科", "bachelor" }, { "education", "大学本科", "bachelor" },
		{ "education", "bachelor", "bachelor" }, { "education", "硕士", "master" },
		{ "education", "研究生", "master" }, { "education", "博士", "doctorate" },
		{ "education", "大专", "associate" }, { "education", "中专", "vocational" },
		{ "education", "高中", "senior_high" }, { "education", "初中", "junior_high" },
		{ "education", "小学", "primary" }, { "education", "幼儿园", NULL },
		{ "category", "正式党员", "full" }, { "category", "预备", "probationary" },
		{ "standing", "停止党籍", "suspended" }, { "standing", "死亡", "deceased" },
		{ "org_kind", "党支部", "branch" }, { "org_kind", "社区党委", "community" },
		{ "branch_type", "离退休", "retired" }, { "branch_type", "驻区单位", "resident_unit" },
		{ "branch_type", "非公企业", "enterprise" }, { "branch_type", "网格", "grid" },
		{ "meeting_kind", "支委会", "committee_meeting" },
		{ "meeting_kind", "党课", "party_lecture" },
		{ "meeting_kind", "民主评议", "democratic_review" },
		{ "attendance", "请假", "excused" }, { "attendance", "缺席", "absent" },
		{ "item_kind", "问题清单", "problem" }, { "item_kind", "需求", "need" },
		{ "item_status", "已销号", "closed" }, { "transfer_status", "已接收", "accepted" },
		{ "conflict_kind", "same_field", "same_field" },
		{ "conflict_kind", "queue_full", "queue_full" },
		{ "conflict_kind", "reused_seq", "reused_seq" },
		{ "decision", "take_office", "take_office" }, { "decision", "set", "set" },
		{ "bool", "是", "1" }, { "bool", "否", "0" }, { "bool", "YES", "1" },
		{ "bool", "false", "0" }, { "bool", "2", NULL },
		{ "ethnicity", "汉族", "01" }, { "ethnicity", "汉", "01" }, { "ethnicity", "han", "01" },
		{ "ethnicity", "01", "01" }, { "ethnicity", "回族", "03" }, { "ethnicity", "Manchu", "11" },
		{ "ethnicity", "基诺族", "56" }, { "ethnicity", "火星族", NULL },
		{ "ethnicity", "1", NULL }, { "ethnicity", "57", NULL },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const char *got = vocab_parse(vocab_get(cases[i].vocab), cases[i].text);
		CHECK((got == NULL && cases[i].code == NULL) ||
		    (got && cases[i].code && strcmp(got, cases[i].code) == 0),
		    "%s \"%s\" gives %s, want %s", cases[i].vocab, cases[i].text, got ? got : "NULL",
		    cases[i].code ? cases[i].code : "NULL");
	}
	CHECK(strcmp(vocab_label(vocab_get("gender"), "female"), "女") == 0, "女");
	CHECK(strcmp(vocab_label(vocab_get("education"), "bachelor"), "大学本科") == 0, "本科");
	CHECK(strcmp(vocab_show(vocab_get("gender"), "x"), "x") == 0 &&
	    strcmp(vocab_show(vocab_get("gender"), NULL), "") == 0, "vocab_show");
	{
		char buf[64];
		size_t n = vocab_list(vocab_get("gender"), 0, "、", buf, sizeof buf);
		CHECK(strcmp(buf, "男、女") == 0 && n == strlen(buf), "list: %s", buf);
		n = vocab_list(vocab_get("gender"), 1, ", ", buf, sizeof buf);
		CHECK(strcmp(buf, "男 male, 女 female") == 0, "list with codes: %s", buf);
		n = vocab_list(vocab_get("education"), 0, "、", buf, 8);
		CHECK(n > 8 && strlen(buf) < 8, "list truncated: %zu %s", n, buf);
	}
}

/* GB 3304-1991, in order: the 56 民族 and their numbers. */
static const char *const gb3304[56] = {
	"汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族",
	"满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族",
	"佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族",
	"达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族",
	"普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族",
	"裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
};

static void
test_ethnicity(void)
{
	const struct vocab *v = vocab_get("ethnicity");
	const struct table_def *m = &schema_tables[TBL_MEMBER];
	const struct col_def *c = &m->cols[schema_col_index(m, "ethnicity")];
	Tongxin__Value val = TONGXIN__VALUE__INIT;
	char why[512];

	CHECK(v->store_label, "ethnicity stores labels");
	CHECK(v->n >= 56, "%zu ethnicities", v->n);
	for (int i = 0; i < 56 && (size_t)i < v->n; i++) {
		char code[3];
		snprintf(code, sizeof code, "%02d", i + 1);
		CHECK(strcmp(v->entries[i].code, code) == 0 && strcmp(v->entries[i].label, gb3304[i]) == 0,
		    "GB 3304 %s %s, found %s %s", code, gb3304[i], v->entries[i].code,
		    v->entries[i].label);
	}
	for (size_t i = 56; i < v->n; i++)
		CHECK(atoi(v->entries[i].code) > 56, "extra ethnicity code %s", v->entries[i].code);
	CHECK(c->type == COL_ENUM && vocab_of_col(c) == v, "member.ethnicity is the enum");
	CHECK(strcmp(vocab_col_store(c, "01"), "汉族") == 0 &&
	    strcmp(vocab_col_store(c, "han"), "汉族") == 0 && vocab_col_store(c, "火星族") == NULL,
	    "vocab_col_store on ethnicity");
	CHECK(strcmp(vocab_col_label(c, "回族"), "回族") == 0 &&
	    strcmp(vocab_col_entry(c, "回族")->code, "03") == 0, "vocab_col_entry");
	value_set_text(&val, "汉族");
	CHECK(validate_value(c, &val, why, sizeof why) == 0, "汉族 refused: %s", why);
	value_set_text(&val, "火星族");
	CHECK(validate_value(c, &val, why, sizeof why) != 0, "火星族 accepted");
	value_set_text(&val, "01");
	CHECK(validate_value(c, &val, why, sizeof why) != 0, "the code is not a stored value");

}

static void
test_schema(void)
{
	const char *text = schema_canonical_text();

	CHECK(strstr(text, " 汉族 蒙古族 回族") != NULL, "canonical text lacks the ethnicities");
	CHECK(strlen(text) < 32000, "canonical text is %zu bytes", strlen(text));
	/*
	 * What the engine's shares stand on (server/engine.c share_follow): a
	 * share is a reference that may name another scope's row, set once;
	 * the sharing row never changes scope; the row shared has a scope.
	 */
	for (int t = 0; t < TBL_COUNT; t++)
		for (int k = 0; k < schema_tables[t].ncols; k++) {
			const struct table_def *td = &schema_tables[t];
			const struct col_def *c = &td->cols[k];
			if (!(c->flags & COLF_SHARE))
				continue;
			CHECK(c->type == COL_REF && (c->flags & COLF_ANYSCOPE) &&
			    c->merge == MERGE_IMMUTABLE, "%s.%s shares but is not an immutable "
			    "any-scope reference", td->name, c->name);
			CHECK(td->scope_col >= 0 && td->cols[td->scope_col].merge == MERGE_IMMUTABLE &&
			    td->scope2_col < 0, "%s shares rows but its scope can change", td->name);
			CHECK(schema_shared(schema_table_index(c->ref_table)),
			    "%s is shared but schema_shared says not", c->ref_table);
		}
	CHECK(schema_shared(TBL_RESIDENT_UNIT) && !schema_shared(TBL_MEMBER),
	    "resident units are shared, members are not");
	for (int t = 0; t < TBL_COUNT; t++)
		for (int k = 0; k < schema_tables[t].ncols; k++) {
			const struct col_def *c = &schema_tables[t].cols[k];
			const struct vocab *v = vocab_of_col(c);
			Tongxin__Value val = TONGXIN__VALUE__INIT;
			char why[512];
			if (c->type == COL_BOOL) {
				CHECK(v == vocab_get("bool"), "%s.%s has no bool vocabulary",
				    schema_tables[t].name, c->name);
				continue;
			}
			if (c->type != COL_ENUM) {
				CHECK(v == NULL, "%s.%s has a vocabulary", schema_tables[t].name, c->name);
				continue;
			}
			CHECK(v != NULL && v->stored == c->enum_vals, "%s.%s has no vocabulary",
			    schema_tables[t].name, c->name);
			if (v == NULL)
				continue;
			for (size_t i = 0; i < v->n; i++) {
				CHECK(schema_enum_ok(c, v->stored[i]), "%s.%s refuses %s",
				    schema_tables[t].name, c->name, v->stored[i]);
				CHECK((int)strlen(v->stored[i]) <= c->max_len, "%s.%s: %s too long",
				    schema_tables[t].name, c->name, v->stored[i]);
				CHECK(strcmp(vocab_col_label(c, v->stored[i]), v->entries[i].label) == 0,
				    "label of %s", v->stored[i]);
				value_set_text(&val, v->stored[i]);
				CHECK(validate_value(c, &val, why, sizeof why) == 0, "%s refused: %s",
				    v->stored[i], why);
			}
			value_set_text(&val, "no_such_value");
			CHECK(validate_value(c, &val, why, sizeof why) != 0, "%s.%s accepts anything",
			    schema_tables[t].name, c->name);

		}
}

/* vocab_label() in SQL: the label, the code itself when unknown, NULL for NULL. */
static void
test_sql(void)
{
	static const struct {
		const char *sql, *want;
	} cases[] = {
		{ "SELECT vocab_label('gender', 'female')", "女" },
		{ "SELECT vocab_label('org_kind', 'branch')", "党支部" },
		{ "SELECT vocab_label('org_kind', 'village')", "village" },
		{ "SELECT vocab_label('no_such', 'x')", "x" },
		{ "SELECT vocab_label('gender', NULL)", NULL },
	};
	sqlite3 *db;

	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK && vocab_sql_register(db) == SQLITE_OK,
	    "vocab_sql_register");
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		sqlite3_stmt *st;
		const char *got;
		CHECK(sqlite3_prepare_v2(db, cases[i].sql, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW, "%s", cases[i].sql);
		got = (const char *)sqlite3_column_text(st, 0);
		CHECK((got == NULL && cases[i].want == NULL) ||
		    (got && cases[i].want && strcmp(got, cases[i].want) == 0), "%s gives %s",
		    cases[i].sql, got ? got : "NULL");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

int
main(void)
{
	test_every_vocabulary();
	test_specific();
	test_ethnicity();
	test_schema();
	test_sql();
	if (failures) {
		fprintf(stderr, "test_vocab: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	printf("test_vocab: all %d checks passed\n", checks);
	return 0;
}
