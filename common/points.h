/*
 * points.h - the rules of the yearly assessment (考核) and of member points
 * (党员积分), stated once for every front end and report (issue 14, item 6;
 * docs/cobuilding.md).
 *
 * Assessment: a street sets a year's indicators for communities and for
 * branches, each target's indicators adding up to ASSESS_FULL points; an
 * organisation's grade comes from the total of its scores:
 * >= ASSESS_EXCELLENT_MIN 优秀 (rewarded), < ASSESS_COMPETENT_MIN 不称职
 * (judged not competent), 称职 between. Points are kept in tenths.
 *
 * Member points (积分) for a year: each source in points_rules[] gives a
 * number of tenths of a point per unit. The report prints the table.
 */
#ifndef TX_POINTS_H
#define TX_POINTS_H

#include <stdint.h>

/* A year's indicators for one target add up to this many points. */
#define ASSESS_FULL 100
/* The grade thresholds, in points. */
#define ASSESS_EXCELLENT_MIN 90
#define ASSESS_COMPETENT_MIN 70

_Static_assert(ASSESS_COMPETENT_MIN < ASSESS_EXCELLENT_MIN, "grade thresholds in order");
_Static_assert(ASSESS_EXCELLENT_MIN <= ASSESS_FULL, "the top grade is reachable");

/* The grades. */
enum assess_grade {
	GRADE_EXCELLENT,   /* 优秀 */
	GRADE_COMPETENT,   /* 称职 */
	GRADE_FAILING,     /* 不称职 */
};

/* The grade of a total in tenths of a point. */
enum assess_grade assess_grade_of(int64_t total10);
/* Its code ("excellent", "competent", "not_competent") and its Chinese label. */
const char *assess_grade_code(enum assess_grade g);
const char *assess_grade_label(enum assess_grade g);
/* The thresholds as one line for report headers (static storage). */
const char *assess_grade_rule(void);

/* The sources of member points. Append only. */
enum points_source {
	POINTS_ATTENDANCE,   /* present at a meeting of organisational life (三会一课 and the rest) */
	POINTS_VOLUNTEER,    /* an hour of volunteering (volunteer_hours; pro rata by minute) */
	POINTS_DUES,         /* a month's dues paid on time (paid in or before that month) */
	POINTS_NSOURCES
};

/* One row of the rules. */
struct points_rule {
	enum points_source source;
	const char *code;      /* column id in reports: "attendance" ... */
	const char *label;     /* 中文 */
	const char *unit;      /* the unit counted: "次", "小时", "月" */
	int tenths;            /* tenths of a point per unit */
};

/* The rules, in points_source order. */
extern const struct points_rule points_rules[POINTS_NSOURCES];

/*
 * A member's points in tenths for a year from what was counted: meetings
 * present, minutes volunteered, months of dues paid on time. Volunteering
 * counts by the minute (60 minutes one hour), rounded down to a tenth.
 */
int64_t points_total10(int64_t present, int64_t minutes, int64_t dues_months);
/* The tenths for one source. */
int64_t points_of10(enum points_source s, int64_t count);

/* The rules as one line for report headers (static storage). */
const char *points_rule_text(void);

/* Tenths as text for people: "8.5", "90", "0". */
void points_show10(int64_t tenths, char out[24]);

#endif
