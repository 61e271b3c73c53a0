/*
 * dom_cobuild.h - the street's co-building report (issue 14, item 8;
 * docs/cobuilding.md): per community, a year's co-building and service
 * work, for the CLI (report cobuild) and the desk. Read from the replica:
 * the street's device sees every community, a community's its own.
 */
#ifndef TX_DOM_COBUILD_H
#define TX_DOM_COBUILD_H

#include "dom_report.h"

/* One community's year (counts; money in fen; time in minutes). */
struct dom_cobuild_row {
	const char *org_id, *code, *name;
	int64_t units;            /* resident units sitting in it during the year */
	int64_t agreements;       /* its agreements in force at some time in the year */
	int64_t part_timers;      /* part-time members (兼职委员) from units seated in the year */
	int64_t claims, claims_done;     /* claims on its items made / done in the year */
	int64_t items_closed;     /* its list items closed out (销号) in the year */
	int64_t wishes, wishes_done, wish_value;   /* posted / fulfilled in the year, value fulfilled */
	int64_t opinions, on_time, overdue;  /* received in the year; replied within the reply days;
	                                        not replied although the days were over (as of) */
	int64_t volunteer_minutes;       /* at its teams' activities in the year */
	int64_t budget, spent;           /* its service fund: the year's budget, spent in the year */
	bool has_budget;
	/*
	 * The year's assessment by its street's (or district's) indicators for
	 * communities: the scores' total in tenths, how many of the indicators
	 * are scored, and how many there are.
	 */
	int64_t assess_total10, assess_scored, assess_indicators;
};

/*
 * The community's grade (common/points.h): "-" without indicators, 未评完
 * until every indicator is scored, else 优秀, 称职 or 不称职.
 */
const char *dom_cobuild_grade(const struct dom_cobuild_row *c);

/*
 * Every community under the scope (not dissolved), by code, for year YYYY
 * (its 1 January to 31 December; "overdue" as of the scope's date or the
 * year's end, whichever is earlier). DOM_INVALID for a malformed year.
 */
int dom_report_cobuild(struct replica *r, const struct dom_report_scope *s, const char *year,
    void (*each)(const struct dom_cobuild_row *row, void *arg), void *arg, struct dom_error *e);

/*
 * The same as a table (table.h; money in 元, time in hours, numbers typed),
 * with a 合计 total line when text and more than one community. *out is
 * the caller's to print or free.
 */
int dom_cobuild_table(struct replica *r, const struct dom_report_scope *s, const char *year,
    bool text, struct table **out, struct dom_error *e);

#endif
