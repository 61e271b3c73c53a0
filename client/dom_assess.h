/*
 * dom_assess.h - the yearly 100-point assessment (考核), 评星定级 and member
 * points (积分) for both front ends (cmd_assess.c; the desk). Issue 14,
 * item 6; docs/cobuilding.md. The thresholds and weights are common/points.h.
 *
 * The street sets a year's indicators for each target (communities,
 * branches); they add up to 100 (ASSESS_FULL). Every device under the
 * street receives them (TBLF_DOWN) read only: a device whose own
 * organisation is not a street (or district) cannot add one, and an
 * indicator set by an organisation this replica does not hold cannot be
 * changed here (the server refuses a forged change as read only).
 *
 * A score belongs to the organisation scored (its scope): the scored
 * community's replica receives it, no other community's. One score per
 * organisation and indicator (score_key ORG_ID/INDICATOR_ID): a second
 * score here is an edit of the first; two devices scoring the same
 * indicator meet at the server as a unique conflict. Stars likewise, one
 * per branch and year (rating_key ORG_ID/YYYY).
 *
 * Conventions are domain.h's.
 */
#ifndef TX_DOM_ASSESS_H
#define TX_DOM_ASSESS_H

#include "domain.h"

/* An indicator as the clerk gives it (text). */
struct dom_indicator_req {
	const char *year, *target, *code, *name, *points, *evidence;
};

/*
 * assess indicator add: by a street's (or district's) device only; the code
 * not yet used for the year and target; the year's total for the target
 * not above ASSESS_FULL after it. id_out receives the id.
 */
int dom_assess_indicator_add(struct replica *r, const char *operator_name,
    const struct dom_indicator_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * assess indicator edit: the indicator (year, target, code) gets the name,
 * points or evidence given. Only where the setting organisation is held
 * (its own street); the total stays within ASSESS_FULL.
 */
int dom_assess_indicator_edit(struct replica *r, const char *operator_name,
    const struct dom_indicator_req *q, struct dom_error *e);

/* An indicator as lists show it. */
struct dom_indicator_row {
	const char *id, *target, *code, *name, *evidence, *org_name;
	int64_t year, points;
	bool own;   /* set by an organisation of this replica (editable here) */
};
/* The indicators (of year, or all), by year, target, code. */
int dom_assess_indicator_list(struct replica *r, const char *year,
    void (*each)(const struct dom_indicator_row *row, void *arg), void *arg,
    struct dom_error *e);

/* One target's total for a year. */
struct dom_indicator_total {
	const char *target;
	int64_t indicators, points;
};
/* Each target's total for year (both targets, also one without indicators). */
int dom_assess_indicator_totals(struct replica *r, const char *year,
    void (*each)(const struct dom_indicator_total *t, void *arg), void *arg,
    struct dom_error *e);

/* A score as the clerk gives it. */
struct dom_score_req {
	const char *org_code;    /* the organisation scored (a community or a branch held here) */
	const char *indicator;   /* the indicator's code */
	const char *year;
	const char *points;      /* "8.5": at most one decimal, 0 .. the indicator's points */
	const char *scorer, *date, *evidence;
};
/*
 * assess score: the indicator of the year for the organisation's kind
 * (community -> community, branch -> branch); not by the organisation
 * itself. A score of this organisation and indicator already here is
 * changed (*edited set). id_out receives the score's id.
 */
int dom_assess_score(struct replica *r, const char *operator_name, const struct dom_score_req *q,
    bool *edited, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* A rating as the clerk gives it. */
struct dom_stars_req {
	const char *org_code, *year, *stars, *by, *date, *note;
};
/* assess stars: a branch's 1..5 stars for a year; a second rating here changes the first. */
int dom_assess_stars(struct replica *r, const char *operator_name, const struct dom_stars_req *q,
    bool *edited, struct dom_error *e);

/* One organisation's year. */
struct dom_assess_row {
	const char *org_id, *code, *name, *target;
	int64_t indicators, scored, total10;
	int64_t stars;        /* 0: not rated (branches only) */
	bool complete;        /* every indicator of the year scored: the grade stands */
};
/*
 * The year's results per organisation of the target (NULL: communities,
 * then branches) held here and not dissolved, by code.
 */
int dom_assess_report(struct replica *r, const char *year, const char *target,
    void (*each)(const struct dom_assess_row *row, void *arg), void *arg, struct dom_error *e);

/* One member's points (points.h). */
struct dom_points_row {
	const char *member_id, *name, *org_code, *org_name;
	int64_t present, minutes, dues_months, total10;
};
/*
 * Member points for year per member in good standing held here (of the
 * branch with code branch, or all), by branch then name. Volunteering
 * counts the member's own hours and those of his in-service reports whose
 * activity this replica holds.
 */
int dom_assess_points(struct replica *r, const char *year, const char *branch,
    void (*each)(const struct dom_points_row *row, void *arg), void *arg, struct dom_error *e);

/* Points text ("8.5", "10") into tenths: 0, or -1 with e (DOM_INVALID). */
int dom_assess_points_parse(const char *text, int64_t *tenths, struct dom_error *e);

#endif
