/* validate.c - see validate.h. */
#include "validate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ids.h"
#include "reason.h"
#include "dues.h"
#include "region.h"

/*
 * Every check below decides a reason code (common/reason.h) and its
 * arguments. The server keeps the code and sends it; the functions of
 * validate.h give the person at the keyboard a sentence: the row rules and
 * the citizen ID checks the Chinese rendering of the code, validate_value
 * the label-and-identifier sentences the CLI has always printed
 * (value_why).
 */

/* The argument naming column c: "table.column" when c is a schema column, else its label. */
static const char *
col_arg(const struct col_def *c, char out[REASON_COL_MAX])
{
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		uintptr_t p = (uintptr_t)c, lo = (uintptr_t)td->cols;
		if (p >= lo && p < lo + (uintptr_t)td->ncols * sizeof *td->cols)
			return reason_col(out, td->name, c->name);
	}
	snprintf(out, REASON_COL_MAX, "%s", c->label);
	return out;
}

/* Render r in Chinese into why; returns -1 (the checks' failure value). */
static int
fail_zh(const struct reason *r, char *why, size_t cap)
{
	if (why != NULL && cap > 0)
		reason_text(r, REASON_ZH, why, cap);
	return -1;
}

int
validate_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 0;
	return 1;
}

char
id_number_check_char(const char *s17)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char map[] = "10X98765432";
	int sum = 0;

	for (int i = 0; i < 17; i++)
		sum += (s17[i] - '0') * w[i];
	return map[sum % 11];
}

int
validate_id_number_reason(const char *s, struct reason *r)
{
	char date[11], n[24], ch[2];

	if (strlen(s) != 18) {
		reason_set(r, R_ID_LENGTH, reason_num(n, (long long)strlen(s)));
		return -1;
	}
	for (int i = 0; i < 17; i++)
		if (s[i] < '0' || s[i] > '9') {
			reason_set0(r, R_ID_DIGITS);
			return -1;
		}
	snprintf(date, sizeof date, "%.4s-%.2s-%.2s", s + 6, s + 10, s + 12);
	if (!validate_date(date)) {
		reason_set(r, R_ID_BIRTH, date);
		return -1;
	}
	if (s[17] != id_number_check_char(s)) {
		ch[0] = id_number_check_char(s);
		ch[1] = '\0';
		reason_set(r, R_ID_CHECK, ch);
		return -1;
	}
	return 0;
}

int
validate_id_number(const char *s, char *why, size_t cap)
{
	struct reason r;

	return validate_id_number_reason(s, &r) == 0 ? 0 : fail_zh(&r, why, cap);
}

int
validate_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n;
		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				return 0;
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) n = 1;
		else if (*p >= 0xe0 && *p <= 0xef) n = 2;
		else if (*p >= 0xf0 && *p <= 0xf4) n = 3;
		else return 0;
		for (int i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		/* No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. */
		if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
		    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
			return 0;
		p += n + 1;
	}
	return 1;
}

/* The code point at p (valid UTF-8, as validate_utf8 has checked) and its length in *n. */
static uint32_t
utf8_at(const unsigned char *p, int *n)
{
	if (p[0] < 0x80) {
		*n = 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*n = 2;
		return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*n = 3;
		return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	*n = 4;
	return (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
	    (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

/* A blank: ASCII space, tab or line end, the ideographic space U+3000, a no-break space. */
static bool
is_blank_cp(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0x3000 || c == 0xa0;
}

bool
is_blank_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n;
		if (!is_blank_cp(utf8_at(p, &n)))
			return false;
		p += n;
	}
	return true;
}

/* A Chinese character: the CJK Unified Ideographs with extensions A to H, and the compatibility ones. */
static bool
is_hanzi(uint32_t c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x20000 && c <= 0x323af) || (c >= 0xf900 && c <= 0xfaff) || c == 0x3007;
}

/* The middle dot of transliterated names (GB/T 28039): ·, and the look-alikes keyboards type. */
static bool
is_name_dot(uint32_t c)
{
	return c == 0xb7 || c == 0x2027 || c == 0x30fb || c == 0x2022 || c == 0xff0e ||
	    c == 0x2e31 || c == 0x2219;
}

/* A Latin letter, with the accented ones of the Latin-1 and Latin Extended-A/B blocks. */
static bool
is_latin(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= 0xc0 && c <= 0x24f && c != 0xd7 && c != 0xf7);
}

bool
is_person_name(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t prev = ' ';
	bool letters = false;

	while (*p) {
		int n;
		uint32_t c = utf8_at(p, &n);
		if (is_hanzi(c) || is_latin(c))
			letters = true;
		else if (c == ' ' || c == '-' || is_name_dot(c)) {
			/* A separator stands between letters: not first, not doubled. */
			if (prev == ' ' || prev == '-' || is_name_dot(prev))
				return false;
		} else
			return false;
		prev = c;
		p += n;
	}
	return letters && prev != ' ' && prev != '-' && !is_name_dot(prev);
}

int
validate_value_reason(const struct col_def *c, const Tongxin__Value *v, struct reason *r)
{
	char ca[REASON_COL_MAX], n[24];

	if (v->kind_case == TONGXIN__VALUE__KIND__NOT_SET)
		return 0;
	switch (c->type) {
	case COL_INT:
	case COL_BOOL:
		if (v->kind_case != TONGXIN__VALUE__KIND_I) {
			reason_set(r, R_NOT_INTEGER, col_arg(c, ca));
			return -1;
		}
		if (c->type == COL_BOOL && v->i != 0 && v->i != 1) {
			reason_set(r, R_NOT_BOOL, col_arg(c, ca));
			return -1;
		}
		return 0;
	default:
		break;
	}
	if (v->kind_case != TONGXIN__VALUE__KIND_S) {
		reason_set(r, R_NOT_TEXT, col_arg(c, ca));
		return -1;
	}
	if (c->max_len > 0 && strlen(v->s) > (size_t)c->max_len) {
		reason_set(r, R_TOO_LONG, col_arg(c, ca), reason_num(n, c->max_len));
		return -1;
	}
	if (!validate_utf8(v->s)) {
		reason_set(r, R_BAD_UTF8, col_arg(c, ca));
		return -1;
	}
	if (v->s[0] != '\0' && is_blank_text(v->s)) {
		reason_set(r, R_BLANK, col_arg(c, ca));
		return -1;
	}
	if ((c->flags & COLF_PERSON_NAME) && v->s[0] != '\0' && !is_person_name(v->s)) {
		reason_set(r, R_NAME_CHARS, col_arg(c, ca));
		return -1;
	}
	switch (c->type) {
	case COL_DATE:
		if (!validate_date(v->s)) {
			reason_set(r, R_BAD_DATE, col_arg(c, ca), v->s);
			return -1;
		}
		break;
	case COL_ENUM:
		if (!schema_enum_ok(c, v->s)) {
			reason_set(r, R_BAD_ENUM, col_arg(c, ca), v->s);
			return -1;
		}
		break;
	case COL_REF:
		if (!id_valid(v->s)) {
			reason_set(r, R_NOT_ROW_ID, col_arg(c, ca));
			return -1;
		}
		break;
	default:
		if (strcmp(c->name, "id_number") == 0)
			return validate_id_number_reason(v->s, r);
		break;
	}
	return 0;
}

/*
 * The sentence validate_value gives at entry: the column's label with its
 * identifier, as the CLI's messages (and the scripts and tests that read
 * them) have it. The server sends the same reason as a code instead.
 */
static int
value_why(const struct col_def *c, const Tongxin__Value *v, const struct reason *r, char *why,
    size_t cap)
{
	const char *s = v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : "";

	switch (r->code) {
	case R_NOT_INTEGER:
		snprintf(why, cap, "%s (%s) 应为整数 must be an integer", c->label, c->name);
		return -1;
	case R_NOT_BOOL:
		snprintf(why, cap, "%s (%s) 应为 0 或 1 must be 0 or 1", c->label, c->name);
		return -1;
	case R_NOT_TEXT:
		snprintf(why, cap, "%s (%s) 应为文本 must be text", c->label, c->name);
		return -1;
	case R_TOO_LONG:
		snprintf(why, cap, "%s (%s) 超过 %d 字节 is longer than %d bytes", c->label, c->name,
		    c->max_len, c->max_len);
		return -1;
	case R_BAD_UTF8:
		snprintf(why, cap, "%s (%s) 不是有效的 UTF-8 文本 is not valid UTF-8 text", c->label, c->name);
		return -1;
	case R_BAD_DATE:
		snprintf(why, cap, "%s (%s) 日期 \"%s\" 无效，应为 YYYY-MM-DD", c->label, c->name, s);
		return -1;
	case R_BAD_ENUM:
		snprintf(why, cap, "%s (%s) 取值 \"%s\" 不在允许范围内", c->label, c->name, s);
		return -1;
	case R_NOT_ROW_ID:
		snprintf(why, cap, "%s (%s) 不是记录编号 is not a row id", c->label, c->name);
		return -1;
	default:
		return fail_zh(r, why, cap);   /* the citizen ID checks */
	}
}

int
validate_value(const struct col_def *c, const Tongxin__Value *v, char *why, size_t cap)
{
	struct reason r;

	return validate_value_reason(c, v, &r) == 0 ? 0 : value_why(c, v, &r, why, cap);
}

void
today_str(char out[11])
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

void
date_add_years(const char *d, int years, char out[11])
{
	int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
	char tmp[11];

	snprintf(tmp, sizeof tmp, "%04d%.6s", y + years, d + 4);
	if (!validate_date(tmp))   /* 29 February of a leap year */
		snprintf(tmp, sizeof tmp, "%04d-02-28", y + years);
	memcpy(out, tmp, 11);
}

/* The text of column name in v, or NULL. */
static const char *
txt(int t, const Tongxin__Value *v, const char *name)
{
	int c = schema_col_index(&schema_tables[t], name);
	return c >= 0 && v[c].kind_case == TONGXIN__VALUE__KIND_S ? v[c].s : NULL;
}

static int
flag(int t, const Tongxin__Value *v, const char *name)
{
	int c = schema_col_index(&schema_tables[t], name);
	return c >= 0 && v[c].kind_case == TONGXIN__VALUE__KIND_I && v[c].i != 0;
}

/* Reject a date column later than today. */
static int
not_future(int t, const Tongxin__Value *v, const char *name, const char *today,
    struct reason *r)
{
	const char *d = txt(t, v, name);
	char ca[REASON_COL_MAX];

	if (d != NULL && strcmp(d, today) > 0) {
		reason_set(r, R_FUTURE_DATE, reason_col(ca, schema_tables[t].name, name), d);
		return -1;
	}
	return 0;
}

/* The kinds an organisation may be under each kind of parent (PRODUCT.md's tree). */
static const struct {
	const char *parent, *kind;
} org_tree_rules[] = {
	{ "district", "street" },
	{ "street", "community" },
	{ "community", "general_branch" },
	{ "community", "branch" },
	{ "general_branch", "general_branch" },
	{ "general_branch", "branch" },
	{ "branch", "group" },
};

bool
org_kind_allowed(const char *parent_kind, const char *kind)
{
	if (kind == NULL)
		return false;
	if (parent_kind == NULL)   /* the root, made by tongxind init */
		return strcmp(kind, "street") == 0 || strcmp(kind, "district") == 0;
	for (size_t i = 0; i < sizeof org_tree_rules / sizeof org_tree_rules[0]; i++)
		if (strcmp(org_tree_rules[i].parent, parent_kind) == 0 &&
		    strcmp(org_tree_rules[i].kind, kind) == 0)
			return true;
	return false;
}

size_t
org_kinds_under(const char *parent_kind, const char **out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof org_tree_rules / sizeof org_tree_rules[0]; i++)
		if (parent_kind && strcmp(org_tree_rules[i].parent, parent_kind) == 0 && n < cap)
			out[n++] = org_tree_rules[i].kind;
	return n;
}

bool
org_kind_holds_members(const char *kind)
{
	return kind != NULL && (strcmp(kind, "branch") == 0 || strcmp(kind, "group") == 0);
}

/*
 * Who decides each step (中国共产党发展党员工作细则): the branch committee
 * names activists and candidates (a general meeting may too); admission,
 * extension of probation and full membership are decided by the branch's
 * general meeting (支部党员大会) alone.
 */
static const char *const committee_or_general[] = { "committee_meeting", "general_meeting", NULL };
static const char *const general_only[] = { "general_meeting", NULL };
static const struct {
	int t;
	const char *col;
	const char *const *kinds;
} meeting_rules[] = {
	{ TBL_APPLICANT, "activist_meeting_id", committee_or_general },
	{ TBL_APPLICANT, "candidate_meeting_id", committee_or_general },
	{ TBL_APPLICANT, "admitted_meeting_id", general_only },
	{ TBL_MEMBER, "extension_meeting_id", general_only },
	{ TBL_MEMBER, "full_meeting_id", general_only },
};

const char *const *
meeting_kinds_for(int t, const char *col)
{
	for (size_t i = 0; i < sizeof meeting_rules / sizeof meeting_rules[0]; i++)
		if (meeting_rules[i].t == t && strcmp(meeting_rules[i].col, col) == 0)
			return meeting_rules[i].kinds;
	return NULL;
}

/*
 * The rules a person's citizen ID number sets for the rest of the row
 * (member and applicant alike): the birth date it carries, the gender its
 * 17th digit gives (GB 11643: odd male, even female), and a region code
 * GB/T 2260 has (unless a person checked a genuine exception).
 */
static int
person_id_rules(int t, const Tongxin__Value *v, struct reason *r)
{
	const char *idn = txt(t, v, "id_number"), *birth = txt(t, v, "birth_date");
	const char *gender = txt(t, v, "gender");
	char d[11], ca[REASON_COL_MAX], code[7];

	if (idn == NULL || strlen(idn) != 18)
		return 0;
	if (birth) {
		snprintf(d, sizeof d, "%.4s-%.2s-%.2s", idn + 6, idn + 10, idn + 12);
		if (strcmp(d, birth) != 0) {
			reason_set(r, R_BIRTH_MISMATCH, birth, d);
			return -1;
		}
	}
	if (gender && (strcmp(gender, "male") == 0 || strcmp(gender, "female") == 0)) {
		const char *says = (idn[16] - '0') % 2 ? "male" : "female";
		if (strcmp(says, gender) != 0) {
			reason_set(r, R_ID_GENDER, reason_col(ca, schema_tables[t].name, "gender"), says,
			    gender);
			return -1;
		}
	}
	if (!flag(t, v, "id_region_verified") && !is_region_code(idn)) {
		snprintf(code, sizeof code, "%.6s", idn);
		reason_set(r, R_ID_REGION, code);
		return -1;
	}
	return 0;
}

/* Refuse when column a's date is before column b's (both given). */
static int
date_order(int t, const Tongxin__Value *v, const char *a, const char *b, struct reason *r)
{
	const char *da = txt(t, v, a), *db = txt(t, v, b);
	char ca[REASON_COL_MAX], cb[REASON_COL_MAX];

	if (da && db && strcmp(da, db) < 0) {
		reason_set(r, R_DATE_ORDER, reason_col(ca, schema_tables[t].name, a), da,
		    reason_col(cb, schema_tables[t].name, b), db);
		return -1;
	}
	return 0;
}

/* Refuse a missing column the row's state needs. */
static int
needs(int t, const Tongxin__Value *v, const char *col, struct reason *r)
{
	char ca[REASON_COL_MAX];
	int c = schema_col_index(&schema_tables[t], col);

	if (c >= 0 && v[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
		reason_set(r, R_REQUIRED, reason_col(ca, schema_tables[t].name, col));
		return -1;
	}
	return 0;
}

/*
 * A member's probation and full membership: a year from joining, or until
 * the extended end (at most one more year, decided by a general meeting);
 * a member who joined less than that ago is probationary.
 */
static int
probation_rules(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	const char *join = txt(t, v, "join_date"), *full = txt(t, v, "full_date");
	const char *cat = txt(t, v, "category"), *until = txt(t, v, "probation_until");
	char year[11], two[11];

	if (cat && strcmp(cat, "probationary") == 0 && full) {
		reason_set0(r, R_PROBATIONARY_FULL);
		return -1;
	}
	if (join == NULL)
		return 0;
	date_add_years(join, 1, year);
	date_add_years(join, 2, two);
	if (until && (strcmp(until, year) <= 0 || strcmp(until, two) > 0)) {
		reason_set(r, R_PROBATION_EXTENSION, until, year, two);
		return -1;
	}
	if (full && strcmp(full, year) < 0) {
		reason_set(r, R_FULL_TOO_EARLY, full, year);
		return -1;
	}
	if (full && until && strcmp(full, until) < 0) {
		reason_set(r, R_FULL_BEFORE_EXTENDED, full, until);
		return -1;
	}
	if (cat && strcmp(cat, "full") == 0 && full == NULL &&
	    strcmp(until ? until : year, today) > 0) {
		reason_set(r, R_FULL_IN_PROBATION, join, until ? until : year);
		return -1;
	}
	return 0;
}

/* 党员减少: a way and a date together; death and expulsion show in the standing too. */
static int
leaving_rules(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	const char *how = txt(t, v, "left_reason"), *standing = txt(t, v, "standing");
	char ca[REASON_COL_MAX], cb[REASON_COL_MAX];
	static const struct {
		const char *how, *standing;
	} shows[] = { { "death", "deceased" }, { "expulsion", "expelled" } };

	if (how == NULL && txt(t, v, "left_on") == NULL)
		return 0;
	if (needs(t, v, "left_reason", r) || needs(t, v, "left_on", r) ||
	    not_future(t, v, "left_on", today, r) || date_order(t, v, "left_on", "join_date", r))
		return -1;
	for (size_t i = 0; i < sizeof shows / sizeof shows[0]; i++)
		if (strcmp(how, shows[i].how) == 0 &&
		    (standing == NULL || strcmp(standing, shows[i].standing) != 0)) {
			reason_set(r, R_LEFT_STANDING, reason_col(ca, "member", "left_reason"), how,
			    reason_col(cb, "member", "standing"), shows[i].standing);
			return -1;
		}
	return 0;
}

/* The development pipeline's dates, in order, each stage with the dates it needs. */
static int
applicant_rules(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	static const char *const steps[] = { "applied_on", "activist_on", "candidate_on",
	    "admitted_on" };
	static const char *const stages[] = { "applicant", "activist", "candidate", "admitted" };
	const char *birth = txt(t, v, "birth_date"), *applied = txt(t, v, "applied_on");
	const char *stage = txt(t, v, "stage"), *activist = txt(t, v, "activist_on");
	const char *candidate = txt(t, v, "candidate_on");
	char d[11];

	if (person_id_rules(t, v, r) != 0)
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (not_future(t, v, steps[i], today, r) != 0)
			return -1;
	if (birth && applied) {
		date_add_years(birth, 18, d);
		if (strcmp(applied, d) < 0) {
			reason_set(r, R_APPLY_BEFORE_18, applied, d);
			return -1;
		}
	}
	for (size_t i = 1; i < 4; i++)
		for (size_t k = i; k-- > 0;)
			if (txt(t, v, steps[k]) != NULL) {
				if (date_order(t, v, steps[i], steps[k], r) != 0)
					return -1;
				break;
			}
	if (activist && candidate) {
		date_add_years(activist, 1, d);
		if (strcmp(candidate, d) < 0) {
			reason_set(r, R_ACTIVIST_YEAR, candidate, d);
			return -1;
		}
	}
	/* A stage needs the dates of every step up to it, and no later one. */
	for (size_t s = 0; stage && s < 4; s++) {
		if (strcmp(stage, stages[s]) != 0)
			continue;
		for (size_t i = 0; i <= s; i++)
			if (needs(t, v, steps[i], r) != 0)
				return -1;
		if (s == 3 && needs(t, v, "member_id", r) != 0)
			return -1;
		for (size_t i = s + 1; i < 4; i++)
			if (txt(t, v, steps[i]) != NULL) {
				char ca[REASON_COL_MAX], cb[REASON_COL_MAX];
				reason_set(r, R_STAGE_AHEAD, reason_col(ca, "applicant", "stage"), stage,
				    reason_col(cb, "applicant", steps[i]));
				return -1;
			}
	}
	return 0;
}

/* 留党察看 lasts one or two years and needs its end; the other sanctions have none. */
static int
discipline_rules(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	const char *kind = txt(t, v, "kind"), *on = txt(t, v, "decided_on");
	const char *until = txt(t, v, "until");
	char two[11];

	if (not_future(t, v, "decided_on", today, r) != 0)
		return -1;
	if (kind && strcmp(kind, "probation") == 0 && needs(t, v, "until", r) != 0)
		return -1;
	if (until && on) {
		if (date_order(t, v, "until", "decided_on", r) != 0)
			return -1;
		date_add_years(on, 2, two);
		if (strcmp(until, two) > 0) {
			reason_set(r, R_DISCIPLINE_UNTIL, until, two);
			return -1;
		}
	}
	return 0;
}

/* Whether integer column name is set, its value into *out. */
static bool
ival(int t, const Tongxin__Value *v, const char *name, int64_t *out)
{
	int c = schema_col_index(&schema_tables[t], name);

	if (c < 0 || v[c].kind_case != TONGXIN__VALUE__KIND_I)
		return false;
	*out = v[c].i;
	return true;
}

/* Refuse an integer column outside lo..hi. */
static int
int_range(int t, const Tongxin__Value *v, const char *name, int64_t lo, int64_t hi,
    struct reason *r)
{
	int64_t x;
	char ca[REASON_COL_MAX], a[24], b[24], c[24];

	if (ival(t, v, name, &x) && (x < lo || x > hi)) {
		reason_set(r, R_INT_RANGE, reason_col(ca, schema_tables[t].name, name),
		    reason_num(a, x), reason_num(b, lo), reason_num(c, hi));
		return -1;
	}
	return 0;
}

/* A member's dues class and base: a farmer's amount 0.2..1 元, an income within bounds. */
static int
dues_rules(int t, const Tongxin__Value *v, struct reason *r)
{
	const char *cls = txt(t, v, "dues_class");

	if (cls && strcmp(cls, "farmer") == 0)
		return int_range(t, v, "dues_base", DUES_FARMER_MIN, DUES_FARMER_MAX, r);
	return int_range(t, v, "dues_base", 0, DUES_BASE_MAX, r);
}

/* One month's payment: a month YYYY-MM, the period that ties it to the member, an amount. */
static int
payment_rules(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	const char *month = txt(t, v, "month"), *member = txt(t, v, "member_id");
	const char *period = txt(t, v, "period");
	char ca[REASON_COL_MAX], want[SCHEMA_ID_LEN + 9], d[11], limit[11];

	if (month) {
		snprintf(d, sizeof d, "%.7s-01", month);
		if (strlen(month) != 7 || !validate_date(d)) {
			reason_set(r, R_BAD_MONTH, reason_col(ca, "dues_payment", "month"), month);
			return -1;
		}
		/* Paid ahead at most a year. */
		date_add_years(today, 1, limit);
		if (strcmp(d, limit) > 0) {
			reason_set(r, R_FUTURE_DATE, reason_col(ca, "dues_payment", "month"), month);
			return -1;
		}
	}
	if (month && member) {
		snprintf(want, sizeof want, "%s/%s", member, month);
		if (period == NULL || strcmp(period, want) != 0) {
			reason_set(r, R_PERIOD_MISMATCH, want);
			return -1;
		}
	}
	if (not_future(t, v, "paid_on", today, r) != 0)
		return -1;
	return int_range(t, v, "amount", 1, 10000000, r);
}

/*
 * 统一社会信用代码 (GB 32100-2015): 18 characters of the 31 that code uses
 * (digits and capitals without I, O, Z, S, V), the last a check character:
 * 31 - (sum of value * weight over the first 17) mod 31, 31 written as 0.
 */
int
validate_credit_code(const char *s)
{
	static const char chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	int sum = 0, check;

	if (s == NULL || strlen(s) != 18)
		return 0;
	for (int i = 0; i < 17; i++) {
		const char *p = s[i] ? strchr(chars, s[i]) : NULL;
		if (p == NULL)
			return 0;
		sum += (int)(p - chars) * w[i];
	}
	check = 31 - sum % 31;
	return s[17] == chars[check == 31 ? 0 : check];
}

/* A key column that must be the row's org_id, '/', then another column's value. */
static int
key_rules(int t, const Tongxin__Value *v, const char *key, const char *second, struct reason *r)
{
	const char *org = txt(t, v, "org_id"), *k = txt(t, v, key);
	char want[2 * SCHEMA_ID_LEN + 8], ca[REASON_COL_MAX];
	int64_t year;

	if (org == NULL)
		return 0;
	if (ival(t, v, second, &year))
		snprintf(want, sizeof want, "%s/%04lld", org, (long long)year);
	else if (txt(t, v, second) != NULL)
		snprintf(want, sizeof want, "%s/%s", org, txt(t, v, second));
	else
		return 0;
	if (k == NULL || strcmp(k, want) != 0) {
		reason_set(r, R_KEY_MISMATCH, reason_col(ca, schema_tables[t].name, key), want);
		return -1;
	}
	return 0;
}

/* At most one claimant (branch, resident unit, member); exactly one when need. */
static int
one_claimant(int t, const Tongxin__Value *v, bool need, struct reason *r)
{
	int n = (txt(t, v, "by_org_id") != NULL) + (txt(t, v, "by_unit_id") != NULL) +
	    (txt(t, v, "by_member_id") != NULL);

	if (n > 1 || (need && n == 0)) {
		reason_set(r, R_ONE_CLAIMANT, schema_tables[t].name);
		return -1;
	}
	return 0;
}

/* A year column within the years the records can concern. */
static int
year_rule(int t, const Tongxin__Value *v, struct reason *r)
{
	return int_range(t, v, "year", 2000, 2100, r);
}

/*
 * The co-building records (docs/cobuilding.md): what each state needs, dates
 * in order and not in the future, amounts and points in range, keys that
 * tie a row to its organisation and year.
 */
static int
cobuild_rules(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	const char *st, *code;
	char ca[REASON_COL_MAX];

	switch (t) {
	case TBL_RESIDENT_UNIT:
		code = txt(t, v, "credit_code");
		if (code != NULL && !validate_credit_code(code)) {
			reason_set(r, R_BAD_CREDIT_CODE, reason_col(ca, "resident_unit", "credit_code"),
			    code);
			return -1;
		}
		return int_range(t, v, "party_members", 0, 100000, r) ||
		    not_future(t, v, "joined_on", today, r) || not_future(t, v, "left_on", today, r) ||
		    date_order(t, v, "left_on", "joined_on", r) ? -1 : 0;
	case TBL_AGREEMENT:
		/* The unit by id, or (from an office that does not hold it) by credit code. */
		if (txt(t, v, "unit_id") == NULL && needs(t, v, "unit_code", r))
			return -1;
		return not_future(t, v, "signed_on", today, r) ||
		    not_future(t, v, "ended_on", today, r) ||
		    date_order(t, v, "ends_on", "signed_on", r) ||
		    date_order(t, v, "ended_on", "signed_on", r) ? -1 : 0;
	case TBL_CLAIM:
		st = txt(t, v, "state");
		if (one_claimant(t, v, true, r) || not_future(t, v, "claimed_on", today, r) ||
		    not_future(t, v, "done_on", today, r) ||
		    date_order(t, v, "done_on", "claimed_on", r))
			return -1;
		if (st && strcmp(st, "done") == 0 &&
		    (needs(t, v, "done_on", r) || needs(t, v, "result", r)))
			return -1;
		return 0;
	case TBL_MICRO_WISH:
		st = txt(t, v, "status");
		if (one_claimant(t, v, false, r) || int_range(t, v, "value", 0, 100000000, r) ||
		    not_future(t, v, "posted_on", today, r) ||
		    not_future(t, v, "claimed_on", today, r) ||
		    not_future(t, v, "fulfilled_on", today, r) ||
		    date_order(t, v, "claimed_on", "posted_on", r) ||
		    date_order(t, v, "fulfilled_on", "claimed_on", r))
			return -1;
		if (st && (strcmp(st, "claimed") == 0 || strcmp(st, "fulfilled") == 0) &&
		    (one_claimant(t, v, true, r) || needs(t, v, "claimed_on", r)))
			return -1;
		if (st && strcmp(st, "fulfilled") == 0 && needs(t, v, "fulfilled_on", r))
			return -1;
		return 0;
	case TBL_FEEDBACK:
		st = txt(t, v, "status");
		if (not_future(t, v, "received_on", today, r) ||
		    not_future(t, v, "replied_on", today, r) ||
		    date_order(t, v, "replied_on", "received_on", r))
			return -1;
		if (st && (strcmp(st, "replied") == 0 || strcmp(st, "closed") == 0) &&
		    (needs(t, v, "reply", r) || needs(t, v, "replied_on", r)))
			return -1;
		return 0;
	case TBL_VOLUNTEER_TEAM:
		return not_future(t, v, "founded_on", today, r) ||
		    date_order(t, v, "ended_on", "founded_on", r) ? -1 : 0;
	case TBL_VOLUNTEER_ACTIVITY:
		return not_future(t, v, "held_on", today, r);
	case TBL_VOLUNTEER_HOURS:
		if (txt(t, v, "report_id") != NULL && txt(t, v, "member_id") != NULL) {
			reason_set(r, R_ONE_PERSON, "volunteer_hours");
			return -1;
		}
		return int_range(t, v, "minutes", 1, 24 * 60, r);
	case TBL_ASSESSMENT_INDICATOR:
		return year_rule(t, v, r) || int_range(t, v, "points", 1, 100, r) ? -1 : 0;
	case TBL_ASSESSMENT_SCORE:
		return key_rules(t, v, "score_key", "indicator_id", r) ||
		    int_range(t, v, "points10", 0, 1000, r) ||
		    not_future(t, v, "scored_on", today, r) ? -1 : 0;
	case TBL_STAR_RATING:
		return year_rule(t, v, r) || key_rules(t, v, "rating_key", "year", r) ||
		    int_range(t, v, "stars", 1, 5, r) || not_future(t, v, "rated_on", today, r) ? -1 : 0;
	case TBL_FUND_BUDGET:
		return year_rule(t, v, r) || key_rules(t, v, "budget_key", "year", r) ||
		    int_range(t, v, "amount", 0, 10000000000LL, r) ? -1 : 0;
	case TBL_FUND_SPENDING:
		return int_range(t, v, "amount", 1, 10000000000LL, r) ||
		    not_future(t, v, "spent_on", today, r) ? -1 : 0;
	default:
		return 0;
	}
}

int
validate_row_reason(int t, const Tongxin__Value *v, const char *today, struct reason *r)
{
	const char *a, *b;
	char d[11];

	switch (t) {
	case TBL_MEMBER: {
		const char *birth = txt(t, v, "birth_date"), *join = txt(t, v, "join_date");
		if (person_id_rules(t, v, r) != 0)
			return -1;
		if (not_future(t, v, "birth_date", today, r) ||
		    not_future(t, v, "join_date", today, r) ||
		    not_future(t, v, "full_date", today, r) ||
		    not_future(t, v, "lost_since", today, r))
			return -1;
		if (birth && join) {
			date_add_years(birth, 18, d);
			if (strcmp(join, d) < 0) {
				reason_set(r, R_JOIN_BEFORE_18, join, d);
				return -1;
			}
		}
		if (probation_rules(t, v, today, r) != 0 || leaving_rules(t, v, today, r) != 0 ||
		    dues_rules(t, v, r) != 0)
			return -1;
		if (flag(t, v, "lost_contact") && txt(t, v, "lost_since") == NULL) {
			reason_set0(r, R_LOST_NEEDS_DATE);
			return -1;
		}
		if (flag(t, v, "mobile") && txt(t, v, "flow_to") == NULL) {
			reason_set0(r, R_MOBILE_NEEDS_FLOW);
			return -1;
		}
		break;
	}
	case TBL_APPLICANT:
		return applicant_rules(t, v, today, r);
	case TBL_DISCIPLINE:
		return discipline_rules(t, v, today, r);
	case TBL_DUES_PAYMENT:
		return payment_rules(t, v, today, r);
	case TBL_COMMITTEE_MEMBER:
		return not_future(t, v, "started_on", today, r) ||
		    date_order(t, v, "ended_on", "started_on", r) ? -1 : 0;
	case TBL_CENTER_HOUSEHOLD:
		return not_future(t, v, "started_on", today, r) ||
		    date_order(t, v, "ended_on", "started_on", r) ? -1 : 0;
	case TBL_SERVICE_REPORT:
		/* The community reported to, by id or (from another office) by code. */
		if (txt(t, v, "org_id") == NULL && needs(t, v, "org_code", r))
			return -1;
		return not_future(t, v, "reported_on", today, r) ||
		    date_order(t, v, "ended_on", "reported_on", r) ? -1 : 0;
	case TBL_SERVICE_RECORD:
		return not_future(t, v, "served_on", today, r) ||
		    int_range(t, v, "minutes", 1, 24 * 60, r) ? -1 : 0;
	case TBL_MEETING:
		return not_future(t, v, "held_on", today, r);
	case TBL_ORG:
		a = txt(t, v, "term_start");
		b = txt(t, v, "term_end");
		if (a && b && strcmp(b, a) < 0) {
			reason_set(r, R_TERM_END_EARLY, b, a);
			return -1;
		}
		return not_future(t, v, "founded_on", today, r);
	case TBL_LIST_ITEM:
		a = txt(t, v, "status");
		if (a && strcmp(a, "closed") == 0 && txt(t, v, "closed_on") == NULL) {
			reason_set0(r, R_CLOSE_NEEDS_DATE);
			return -1;
		}
		if (a && strcmp(a, "rectified") == 0 && txt(t, v, "rectified_on") == NULL) {
			reason_set0(r, R_RECTIFY_NEEDS_DATE);
			return -1;
		}
		if (not_future(t, v, "closed_on", today, r) ||
		    not_future(t, v, "rectified_on", today, r) ||
		    not_future(t, v, "claimed_on", today, r))
			return -1;
		a = txt(t, v, "closed_on");
		b = txt(t, v, "rectified_on");
		if (a && b && strcmp(a, b) < 0) {
			reason_set(r, R_CLOSE_BEFORE_RECTIFY, a, b);
			return -1;
		}
		/* 销号 records what was done: a closed item has its result (or its rectification). */
		a = txt(t, v, "status");
		if (a && strcmp(a, "closed") == 0 && txt(t, v, "rectification") == NULL &&
		    needs(t, v, "close_note", r))
			return -1;
		break;
	case TBL_TRANSFER:
		a = txt(t, v, "from_org_id");
		b = txt(t, v, "to_org_id");
		if (a && b && strcmp(a, b) == 0) {
			reason_set0(r, R_TRANSFER_SAME_ORG);
			return -1;
		}
		break;
	default:
		return cobuild_rules(t, v, today, r);
	}
	return 0;
}

int
validate_row(int t, const Tongxin__Value *v, const char *today, char *why, size_t cap)
{
	struct reason r;

	return validate_row_reason(t, v, today, &r) == 0 ? 0 : fail_zh(&r, why, cap);
}

/* The column a row rule's reason concerns, by its code (first the ones that name it). */
static int
reason_column(int t, const struct reason *r)
{
	static const struct {
		enum reason_code code;
		const char *col;
	} fixed[] = {
		{ R_BIRTH_MISMATCH, "birth_date" }, { R_JOIN_BEFORE_18, "join_date" },
		{ R_PROBATIONARY_FULL, "full_date" }, { R_FULL_TOO_EARLY, "full_date" },
		{ R_LOST_NEEDS_DATE, "lost_since" }, { R_MOBILE_NEEDS_FLOW, "flow_to" },
		{ R_TERM_END_EARLY, "term_end" }, { R_CLOSE_NEEDS_DATE, "closed_on" },
		{ R_RECTIFY_NEEDS_DATE, "rectified_on" }, { R_CLOSE_BEFORE_RECTIFY, "closed_on" },
		{ R_ID_REGION, "id_number" }, { R_FULL_IN_PROBATION, "full_date" },
		{ R_APPLY_BEFORE_18, "applied_on" }, { R_ACTIVIST_YEAR, "candidate_on" },
		{ R_PROBATION_EXTENSION, "probation_until" }, { R_FULL_BEFORE_EXTENDED, "full_date" },
		{ R_DISCIPLINE_UNTIL, "until" }, { R_PERIOD_MISMATCH, "period" },
		{ R_TRANSFER_SAME_ORG, "to_org_code" },
	};
	const struct table_def *td = &schema_tables[t];

	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (fixed[i].code == r->code)
			return schema_col_index(td, fixed[i].col);
	/* Otherwise the first argument, when it is "table.column" of this table. */
	if (r->nargs > 0) {
		size_t n = strlen(td->name);
		if (strncmp(r->args[0], td->name, n) == 0 && r->args[0][n] == '.')
			return schema_col_index(td, r->args[0] + n + 1);
	}
	return -1;
}

int
validate_row_col(int t, const Tongxin__Value *v, const char *today, char *why, size_t cap,
    int *col)
{
	struct reason r;

	*col = -1;
	if (validate_row_reason(t, v, today, &r) == 0)
		return 0;
	*col = reason_column(t, &r);
	return fail_zh(&r, why, cap);
}
