/* validate.c - see validate.h. */
#include "validate.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ids.h"

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
validate_id_number(const char *s, char *why, size_t cap)
{
	char date[11];

	if (strlen(s) != 18) {
		snprintf(why, cap, "公民身份号码应为18位，实际为%zu位", strlen(s));
		return -1;
	}
	for (int i = 0; i < 17; i++)
		if (s[i] < '0' || s[i] > '9') {
			snprintf(why, cap, "公民身份号码前17位应为数字");
			return -1;
		}
	snprintf(date, sizeof date, "%.4s-%.2s-%.2s", s + 6, s + 10, s + 12);
	if (!validate_date(date)) {
		snprintf(why, cap, "公民身份号码中的出生日期 %s 无效", date);
		return -1;
	}
	if (s[17] != id_number_check_char(s)) {
		snprintf(why, cap, "公民身份号码校验位错误（应为 %c）", id_number_check_char(s));
		return -1;
	}
	return 0;
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

int
validate_value(const struct col_def *c, const Tongxin__Value *v, char *why, size_t cap)
{
	if (v->kind_case == TONGXIN__VALUE__KIND__NOT_SET)
		return 0;
	switch (c->type) {
	case COL_INT:
	case COL_BOOL:
		if (v->kind_case != TONGXIN__VALUE__KIND_I) {
			snprintf(why, cap, "%s (%s) must be an integer", c->label, c->name);
			return -1;
		}
		if (c->type == COL_BOOL && v->i != 0 && v->i != 1) {
			snprintf(why, cap, "%s (%s) must be 0 or 1", c->label, c->name);
			return -1;
		}
		return 0;
	default:
		break;
	}
	if (v->kind_case != TONGXIN__VALUE__KIND_S) {
		snprintf(why, cap, "%s (%s) must be text", c->label, c->name);
		return -1;
	}
	if (c->max_len > 0 && strlen(v->s) > (size_t)c->max_len) {
		snprintf(why, cap, "%s (%s) is longer than %d bytes", c->label, c->name, c->max_len);
		return -1;
	}
	if (!validate_utf8(v->s)) {
		snprintf(why, cap, "%s (%s) is not valid UTF-8 text", c->label, c->name);
		return -1;
	}
	switch (c->type) {
	case COL_DATE:
		if (!validate_date(v->s)) {
			snprintf(why, cap, "%s (%s) 日期 \"%s\" 无效，应为 YYYY-MM-DD", c->label, c->name,
			    v->s);
			return -1;
		}
		break;
	case COL_ENUM:
		if (!schema_enum_ok(c, v->s)) {
			snprintf(why, cap, "%s (%s) 取值 \"%s\" 不在允许范围内", c->label, c->name, v->s);
			return -1;
		}
		break;
	case COL_REF:
		if (!id_valid(v->s)) {
			snprintf(why, cap, "%s (%s) is not a row id", c->label, c->name);
			return -1;
		}
		break;
	default:
		if (strcmp(c->name, "id_number") == 0)
			return validate_id_number(v->s, why, cap);
		break;
	}
	return 0;
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
not_future(int t, const Tongxin__Value *v, const char *name, const char *today, char *why,
    size_t cap)
{
	const char *d = txt(t, v, name);
	int c = schema_col_index(&schema_tables[t], name);

	if (d != NULL && strcmp(d, today) > 0) {
		snprintf(why, cap, "%s %s 晚于今天 (in the future)", schema_tables[t].cols[c].label, d);
		return -1;
	}
	return 0;
}

int
validate_row(int t, const Tongxin__Value *v, const char *today, char *why, size_t cap)
{
	const char *a, *b;
	char d[11];

	switch (t) {
	case TBL_MEMBER: {
		const char *idn = txt(t, v, "id_number"), *birth = txt(t, v, "birth_date");
		const char *join = txt(t, v, "join_date"), *full = txt(t, v, "full_date");
		const char *cat = txt(t, v, "category");
		if (idn && strlen(idn) == 18 && birth) {
			snprintf(d, sizeof d, "%.4s-%.2s-%.2s", idn + 6, idn + 10, idn + 12);
			if (strcmp(d, birth) != 0) {
				snprintf(why, cap, "出生日期 %s 与公民身份号码中的 %s 不符", birth, d);
				return -1;
			}
		}
		if (not_future(t, v, "birth_date", today, why, cap) ||
		    not_future(t, v, "join_date", today, why, cap) ||
		    not_future(t, v, "full_date", today, why, cap) ||
		    not_future(t, v, "lost_since", today, why, cap))
			return -1;
		if (birth && join) {
			date_add_years(birth, 18, d);
			if (strcmp(join, d) < 0) {
				snprintf(why, cap, "入党日期 %s 早于年满18周岁之日 %s", join, d);
				return -1;
			}
		}
		if (cat && strcmp(cat, "probationary") == 0 && full) {
			snprintf(why, cap, "预备党员不应有转正日期");
			return -1;
		}
		if (join && full) {
			date_add_years(join, 1, d);
			if (strcmp(full, d) < 0) {
				snprintf(why, cap, "转正日期 %s 早于入党满一年之日 %s", full, d);
				return -1;
			}
		}
		if (flag(t, v, "lost_contact") && txt(t, v, "lost_since") == NULL) {
			snprintf(why, cap, "失联党员须填写失联日期 (lost_since)");
			return -1;
		}
		if (flag(t, v, "mobile") && txt(t, v, "flow_to") == NULL) {
			snprintf(why, cap, "流动党员须填写外出流向 (flow_to)");
			return -1;
		}
		break;
	}
	case TBL_MEETING:
		return not_future(t, v, "held_on", today, why, cap);
	case TBL_ORG:
		a = txt(t, v, "term_start");
		b = txt(t, v, "term_end");
		if (a && b && strcmp(b, a) < 0) {
			snprintf(why, cap, "届期结束 %s 早于届期开始 %s", b, a);
			return -1;
		}
		return not_future(t, v, "founded_on", today, why, cap);
	case TBL_LIST_ITEM:
		a = txt(t, v, "status");
		if (a && strcmp(a, "closed") == 0 && txt(t, v, "closed_on") == NULL) {
			snprintf(why, cap, "销号须填写销号日期 (closed_on)");
			return -1;
		}
		if (a && strcmp(a, "rectified") == 0 && txt(t, v, "rectified_on") == NULL) {
			snprintf(why, cap, "整改须填写整改日期 (rectified_on)");
			return -1;
		}
		if (not_future(t, v, "closed_on", today, why, cap) ||
		    not_future(t, v, "rectified_on", today, why, cap) ||
		    not_future(t, v, "claimed_on", today, why, cap))
			return -1;
		a = txt(t, v, "closed_on");
		b = txt(t, v, "rectified_on");
		if (a && b && strcmp(a, b) < 0) {
			snprintf(why, cap, "销号日期 %s 早于整改日期 %s", a, b);
			return -1;
		}
		break;
	case TBL_TRANSFER:
		a = txt(t, v, "from_org_id");
		b = txt(t, v, "to_org_id");
		if (a && b && strcmp(a, b) == 0) {
			snprintf(why, cap, "转入组织与转出组织相同");
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}
