/*
 * dom_develop.h - the development pipeline (发展党员) and probation (预备期):
 * the clerk's operations for both front ends, the CLI (cmd_develop.c:
 * tongxin develop, member promote/extend) and the desk (web_api_develop.c).
 *
 * A person's way in:
 *   applicant 入党申请人 --activist--> 入党积极分子 (a branch committee or
 *   general meeting decides) --candidate--> 发展对象 (a year of training
 *   after being named an activist) --admit--> 预备党员 (a general meeting;
 *   the member row is made then, category probationary, joined that day)
 *   --promote--> 正式党员 (a general meeting, once the probation year or
 *   its extension has ended); extend 延长预备期 (a general meeting, at most
 *   a year more, once). stop 停止培养 ends an applicant's way before
 *   admission.
 *
 * The meeting that decides a step must be in the replica, of a kind
 * validate.h's meeting_kinds_for() allows for the step, held by the
 * person's own organisation or - for a person in a Party group - by the
 * group's branch (a group holds no 支委会 or 党员大会 of its own), and held
 * on or before the step's date. The step's date defaults to the meeting's.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call; every
 * write checks its rules (validate_row included) inside its own local
 * transaction and a refused write changes nothing; dry_run checks and
 * rolls back.
 */
#ifndef TX_DOM_DEVELOP_H
#define TX_DOM_DEVELOP_H

#include "domain.h"

/*
 * The applicant named by handle: full id, id suffix of 6+ characters,
 * citizen ID number, or an exact name that one applicant has. 0 with id
 * set, or -1 with e (DOM_NOT_FOUND, or DOM_INVALID listing candidates).
 */
int dom_applicant_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/*
 * Add an applicant (入党申请人). vals (DOM_MAX_COLS, applicant columns in
 * schema order, borrowed) with set[]; org_id is an id. The stage is
 * applicant and the later steps' columns may not be given; the birth date
 * comes from the citizen ID when not given. Inside the transaction: the
 * row's rules (18 at application, the ID's region, gender and birth date),
 * the organisation is a branch or group and not dissolved, the citizen ID
 * is neither another applicant's nor a member's. 0, or -1 with e.
 */
int dom_applicant_add(struct replica *r, const char *operator_name, Tongxin__Value *vals,
    int *set, bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * Correct the personal items of an applicant still in the pipeline (not
 * admitted: the member record is edited then): name, gender, ethnicity,
 * education, phone, job, note, id_region_verified. vals/set as for add (an
 * unset value clears an optional item). Inside one local transaction: the
 * stage, each value and the whole row as it would be (validate_row: the
 * ID's gender, for one). 0, or -1 with e; on -1 nothing was changed.
 */
int dom_applicant_edit(struct replica *r, const char *operator_name, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e);

/* A step of the pipeline or of probation. Append only. */
enum dom_dev_step {
	DOM_DEV_ACTIVIST,    /* applicant -> activist (activist_on, activist_meeting_id) */
	DOM_DEV_CANDIDATE,   /* activist -> candidate (candidate_on, candidate_meeting_id) */
	DOM_DEV_ADMIT,       /* candidate -> admitted: the member row is made */
	DOM_DEV_PROMOTE,     /* a probationary member -> full (full_date, full_meeting_id) */
	DOM_DEV_EXTEND,      /* a probationary member's probation extended (probation_until) */
};
/* The step's name as the CLI and the API spell it ("activist" ...), or NULL. */
const char *dom_dev_step_name(enum dom_dev_step step);
/* The step's Chinese name (确定为入党积极分子 ...). */
const char *dom_dev_step_label(enum dom_dev_step step);
/* The table and column of the meeting that decides step. */
int dom_dev_step_table(enum dom_dev_step step);
const char *dom_dev_step_meeting_col(enum dom_dev_step step);

/* What a step takes; NULL or "" where not given. */
struct dom_dev_args {
	const char *date;         /* the step's date (default: the meeting's date) */
	const char *meeting_id;   /* the deciding meeting (an id; required) */
	const char *until;        /* extend: the new end of probation (required) */
	/* admit: the member's items the applicant row lacks or the clerk adds. */
	const char *education, *address, *phone, *job;
};

/* What a step did, for the front end's message. */
struct dom_dev_done {
	char name[128];                  /* the person's name */
	char date[11];                   /* the step's date (extend: the new end) */
	char member_id[ID_TEXT_LEN + 1]; /* admit: the new member; promote/extend: the member */
};

/*
 * Take step for the applicant (activist, candidate, admit) or member
 * (promote, extend) id, in one local transaction: the person is at the
 * stage the step follows; the meeting fits (see above); the row as it
 * would be keeps validate_row's rules (a year of training before
 * candidate, admission not before candidate, 转正 not before the end of
 * probation, an extension within a year more). admit inserts the member
 * (the personal items copied, category probationary, join date the
 * admission date, the applicant's organisation) and sets the applicant's
 * stage admitted with member_id, both in the same transaction. done may be
 * NULL. 0, or -1 with e (e->col an applicant or member column when one is
 * concerned); on -1 nothing was changed.
 */
int dom_dev_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_dev_step step, const struct dom_dev_args *a, bool dry_run,
    struct dom_dev_done *done, struct dom_error *e);

/* Stop an applicant's development (停止培养), with an optional note. 0, or -1 with e. */
int dom_dev_stop(struct replica *r, const char *operator_name, const char *id, const char *note,
    bool dry_run, struct dom_dev_done *done, struct dom_error *e);

/* Which applicants: every filter may be NULL. */
struct dom_dev_query {
	const char *stage;    /* a stage (code, label or alias) */
	const char *org_id;   /* this organisation and every one below it */
};
/* One applicant (NULL where empty). */
struct dom_dev_row {
	const char *id, *name, *gender, *id_number, *stage, *org_id, *org_name, *applied_on,
	    *activist_on, *candidate_on, *admitted_on, *member_id, *note;
	const char *next_on;   /* the earliest date of the next step (candidate: a year after activist) */
};
/*
 * The applicants that match q, by stage in pipeline order, then name.
 * DOM_INVALID for an unknown stage.
 */
int dom_dev_list(struct replica *r, const struct dom_dev_query *q,
    void (*each)(const struct dom_dev_row *d, void *arg), void *arg, struct dom_error *e);

/*
 * One applicant: every column in schema order into vals (DOM_MAX_COLS;
 * clear each with value_clear) and the organisation's name. DOM_NOT_FOUND
 * when absent.
 */
int dom_applicant_get(struct replica *r, const char *id, Tongxin__Value *vals,
    char org_name[256], struct dom_error *e);

/* A meeting that may decide a step. */
struct dom_dev_meeting {
	const char *id, *held_on, *kind, *topic, *org_name;
};
/*
 * The meetings that may decide step for the person of organisation org_id
 * (the kinds and organisations above), newest first, at most limit.
 */
int dom_dev_meetings(struct replica *r, const char *org_id, enum dom_dev_step step, int limit,
    void (*each)(const struct dom_dev_meeting *m, void *arg), void *arg, struct dom_error *e);

/* What is due (develop due). */
enum dom_due_kind {
	DOM_DUE_CANDIDATE,   /* an activist whose year of training ends: may become 发展对象 */
	DOM_DUE_PROMOTE,     /* a probationary member whose probation (or extension) ends: 转正 */
};
struct dom_due_row {
	enum dom_due_kind kind;
	bool overdue;          /* the date is before the month (only for 转正) */
	const char *id;        /* the applicant's or member's id */
	const char *name, *org_name;
	const char *since;     /* activist_on or join_date */
	const char *due_on;    /* the year's end or the extended end */
	bool extended;         /* the probation was extended */
};
/*
 * Who is due for the next step in month (YYYY-MM) and who is overdue:
 * activists whose year of training ends in the month; probationary members
 * (normal standing, not left) whose probation or its extension ends in the
 * month, or ended before it (overdue). Ordered by kind, overdue first, then
 * date and name. DOM_INVALID for a malformed month.
 */
int dom_dev_due(struct replica *r, const char *month,
    void (*each)(const struct dom_due_row *d, void *arg), void *arg, struct dom_error *e);

/*
 * A member's probation at a glance (the desk's 预备期 section): category,
 * join date, the end of probation (the year's or the extension's), whether
 * extended, the full date. DOM_NOT_FOUND when absent.
 */
struct dom_probation {
	char category[17], join_date[11], ends_on[11], full_date[11];
	bool extended, probationary;
	char org_id[ID_TEXT_LEN + 1];
};
int dom_probation_get(struct replica *r, const char *member_id, struct dom_probation *p,
    struct dom_error *e);

#endif
