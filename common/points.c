/* points.c - the assessment's grade thresholds and the member points' weights; see points.h. */
#include "points.h"

#include <stdio.h>
#include <stdlib.h>

/*
 * Why these weights: the 积分制管理 schemes streets publish give a member a
 * base score from three things everyone can check in the records: taking
 * part in organisational life (2 points a time), serving as a volunteer (1
 * point an hour) and paying dues on time (1 point a month). Twelve months of
 * dues (12) and a monthly meeting (24) weigh about as much as forty hours of
 * volunteering, so no single source dominates.
 */
const struct points_rule points_rules[POINTS_NSOURCES] = {
	[POINTS_ATTENDANCE] = { POINTS_ATTENDANCE, "attendance", "参加组织生活", "次", 20 },
	[POINTS_VOLUNTEER]  = { POINTS_VOLUNTEER, "volunteer", "志愿服务", "小时", 10 },
	[POINTS_DUES]       = { POINTS_DUES, "dues", "按时交纳党费", "月", 10 },
};

enum assess_grade
assess_grade_of(int64_t total10)
{
	if (total10 >= ASSESS_EXCELLENT_MIN * 10)
		return GRADE_EXCELLENT;
	if (total10 < ASSESS_COMPETENT_MIN * 10)
		return GRADE_FAILING;
	return GRADE_COMPETENT;
}

const char *
assess_grade_code(enum assess_grade g)
{
	return g == GRADE_EXCELLENT ? "excellent" : g == GRADE_FAILING ? "not_competent" :
	    "competent";
}

const char *
assess_grade_label(enum assess_grade g)
{
	return g == GRADE_EXCELLENT ? "优秀" : g == GRADE_FAILING ? "不称职" : "称职";
}

const char *
assess_grade_rule(void)
{
	static char buf[160];

	snprintf(buf, sizeof buf, "等次 grades: >= %d 优秀, < %d 不称职, 其间 称职 (满分 %d)",
	    ASSESS_EXCELLENT_MIN, ASSESS_COMPETENT_MIN, ASSESS_FULL);
	return buf;
}

int64_t
points_of10(enum points_source s, int64_t count)
{
	if (s == POINTS_VOLUNTEER)   /* count is minutes */
		return count * points_rules[s].tenths / 60;
	return count * points_rules[s].tenths;
}

int64_t
points_total10(int64_t present, int64_t minutes, int64_t dues_months)
{
	return points_of10(POINTS_ATTENDANCE, present) + points_of10(POINTS_VOLUNTEER, minutes) +
	    points_of10(POINTS_DUES, dues_months);
}

void
points_show10(int64_t tenths, char out[24])
{
	if (tenths % 10 == 0)
		snprintf(out, 24, "%lld", (long long)(tenths / 10));
	else
		snprintf(out, 24, "%s%lld.%lld", tenths < 0 ? "-" : "", (long long)(llabs(tenths) / 10),
		    (long long)(llabs(tenths) % 10));
}

const char *
points_rule_text(void)
{
	static char buf[256];
	size_t n = 0;

	n += (size_t)snprintf(buf, sizeof buf, "积分规则 points");
	for (int i = 0; i < POINTS_NSOURCES && n < sizeof buf; i++) {
		char p[24];
		points_show10(points_rules[i].tenths, p);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s %s 每%s %s 分", i ? "，" : ": ",
		    points_rules[i].label, points_rules[i].unit, p);
	}
	return buf;
}
