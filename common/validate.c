/* validate.c - see validate.h. */
#include "validate.h"

#include <stdio.h>
#include <string.h>

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
		if ((*p & 0xe0) == 0xc0 && *p >= 0xc2) n = 1;
		else if ((*p & 0xf0) == 0xe0) n = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4) n = 3;
		else return 0;
		for (int i = 1; i <= n; i++)
			if ((p[i] & 0xc0) != 0x80)
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
