/*
 * dom_work.h - the clerk's operations on 会议 (organisational life, with
 * attendance) and 清单 (list items), for both front ends: the CLI verbs
 * (cmd_meeting.c, cmd_item.c) and the desk (web_api_work.c). The rules,
 * the SQL and the messages live here once; the front ends parse their own
 * input (option syntax, HTTP fields) and present the answers.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error (kind, the
 * column concerned or -1, a Chinese-first message); list rows are handed to
 * a callback and their strings live only during the call; every write
 * checks its rules inside its own local transaction (BEGIN IMMEDIATE) and a
 * refused write changes nothing; dry_run runs the same checks and rolls
 * back.
 */
#ifndef TX_DOM_WORK_H
#define TX_DOM_WORK_H

#include "domain.h"

/* --- meetings ----------------------------------------------------------- */

/*
 * A meeting and its attendance must fit in one outbox transaction
 * (replica.c cuts a local transaction at REP_TXN_MAX_CHANGES changes), or
 * the server could apply the meeting without part of its attendance.
 */
#define DOM_MAX_ATTENDEES (REP_TXN_MAX_CHANGES - 1)

/* One member on a meeting's roll, as the clerk gave it. */
struct dom_attendee {
	const char *member;   /* a member handle (dom_handle.h): id, its last 6+ characters, citizen ID, name */
	const char *status;   /* present / excused / absent (a code, label or alias) */
	const char *reason;   /* the reason of an excused member; ignored otherwise */
	bool by_name;         /* messages name the member by name, not as given (the desk sends ids) */
};

/* Attendance counts, indexed present 0, excused 1, absent 2. */
enum { DOM_PRESENT, DOM_EXCUSED, DOM_ABSENT };

/*
 * Record a meeting with its attendance in one local transaction. vals
 * (DOM_MAX_COLS, meeting columns in schema order, borrowed) with set[]; the
 * organisation (org_id) is an id and required. The rules, all read inside
 * the transaction: the meeting's values (required items, forms, not in the
 * future); the organisation exists and is not dissolved; at most
 * DOM_MAX_ATTENDEES on the roll; each entry names a member of this replica
 * once, who belongs to the meeting's organisation or one below it (a
 * branch's groups); an excused member has a reason; the reason's length.
 * On failure *bad (may be NULL) is the index of the roll entry concerned,
 * or -1. counts (may be NULL) receives the attendance counts. 0, or -1 with
 * e; on -1 nothing was changed.
 */
int dom_meeting_add(struct replica *r, const char *operator_name, const Tongxin__Value *vals,
    const int *set, const struct dom_attendee *roll, size_t n, bool dry_run,
    char id_out[ID_TEXT_LEN + 1], int counts[3], int *bad, struct dom_error *e);

/* Which meetings: every filter may be NULL. */
struct dom_meeting_query {
	const char *org_id;   /* this organisation and every one below it */
	const char *kind;     /* a meeting kind (code, label or alias) */
	const char *from, *to;   /* held on or after / on or before, YYYY-MM-DD */
};
/* One meeting in a list. */
struct dom_meeting_row {
	const char *id, *held_on, *kind, *org_id, *org_name, *org_code, *topic, *host;
	int64_t counts[3];
};
/*
 * The meetings that match q, by date, then organisation code. DOM_INVALID
 * (nothing listed) for an unknown kind, a malformed date or from after to.
 */
int dom_meeting_list(struct replica *r, const struct dom_meeting_query *q,
    void (*each)(const struct dom_meeting_row *m, void *arg), void *arg, struct dom_error *e);

/* One line of a meeting's roll. */
struct dom_attendance_row {
	const char *member_id;
	const char *name;     /* NULL when the member is not in this replica (moved away) */
	const char *status;   /* code */
	const char *reason;
};
/*
 * One meeting: its columns into vals (DOM_MAX_COLS; clear each with
 * value_clear), its organisation's name and code ("" when unknown), the
 * counts, and its roll to each (present, excused, absent; by name).
 * each may be NULL. DOM_NOT_FOUND when absent.
 */
int dom_meeting_get(struct replica *r, const char *id, Tongxin__Value *vals,
    char org_name[256], char org_code[65], int counts[3],
    void (*each)(const struct dom_attendance_row *a, void *arg), void *arg, struct dom_error *e);

/* A member who may be on a meeting's roll. */
struct dom_roll_member {
	const char *id, *name, *org_id, *org_name;
};
/*
 * The attendance checklist of organisation org_id: the members of it and of
 * the organisations below it (a branch's groups) whose standing is normal,
 * those directly in it first, then by name; at most DOM_MAX_ATTENDEES
 * (*more set when there are others). DOM_NOT_FOUND for an unknown org.
 */
int dom_roll_members(struct replica *r, const char *org_id,
    void (*each)(const struct dom_roll_member *m, void *arg), void *arg, bool *more,
    struct dom_error *e);

/* --- list items (清单) --------------------------------------------------- */

/*
 * An item's life, kept in its status:
 *   open --claim--> claimed --close--> closed          (every kind)
 *   open [--claim--> claimed] --rectify--> rectified --close--> closed   (problem)
 *   open --close--> closed                             (every kind but problem)
 * Any item may be claimed (双向认領, the claims below) by branches, units
 * or members; a problem item is closed out (销号) only once rectified.
 */
enum dom_item_step { DOM_ITEM_CLAIM, DOM_ITEM_RECTIFY, DOM_ITEM_CLOSE };

/*
 * Add an item (status open). vals (DOM_MAX_COLS, list_item columns in
 * schema order, borrowed) with set[]; org_id (an id), kind and title are
 * required; the status and the steps' columns may not be given. The
 * organisation must exist and not be dissolved. 0, or -1 with e.
 */
int dom_item_add(struct replica *r, const char *operator_name, const Tongxin__Value *vals,
    const int *set, bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * The steps an item of this kind and status may take now, as a bit mask
 * (1 << DOM_ITEM_CLAIM ...): the same rule dom_item_step applies, so a
 * front end offers only what would be accepted.
 */
unsigned dom_item_next(const char *kind, const char *status);

/* What a step did (for the front end's message). */
struct dom_item_done {
	char kind[33];          /* the item's kind code */
	char title[256];        /* its title (cut to fit) */
	char date[11];          /* the step's date */
	bool need_rectify;      /* refused: a problem item closed before it was rectified */
	char claimant[256];     /* claim: the claimant's name (cut to fit) */
};
/*
 * Take item id one step. date (YYYY-MM-DD, NULL or "" for today) may not be
 * in the future nor before an earlier step's date; text is who claims it
 * (required for claim: an organisation, dom_claim_org_named; the claim is
 * dom_item_claim's), the rectification (required for rectify) or the
 * close-out note (optional). The step must fit the item's kind and status
 * (see above); the row as it would be is checked whole. done may be NULL.
 * 0, or -1 with e; on -1 nothing was changed.
 */
int dom_item_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_item_step step, const char *date, const char *text, bool dry_run,
    struct dom_item_done *done, struct dom_error *e);

/* Which items: every filter may be NULL / false. */
struct dom_item_query {
	const char *org_id;   /* this organisation and every one below it */
	const char *kind;     /* an item kind (code, label or alias) */
	const char *status;   /* an item status (code, label or alias) */
	bool open_only;       /* not closed out */
};
/* One item: every column (NULL when empty). */
struct dom_item_row {
	const char *id, *org_id, *org_name, *kind, *title, *detail, *due_on, *status;
	const char *claimed_by, *claimed_on, *rectification, *rectified_on, *closed_on, *close_note;
	bool overdue;         /* a problem item past its due date, not closed out */
};
/*
 * The items that match q: those not closed first, by due date, then id.
 * DOM_INVALID for an unknown kind or status.
 */
int dom_item_list(struct replica *r, const struct dom_item_query *q,
    void (*each)(const struct dom_item_row *i, void *arg), void *arg, struct dom_error *e);
/* One item to each (called once). DOM_NOT_FOUND when absent. */
int dom_item_get(struct replica *r, const char *id,
    void (*each)(const struct dom_item_row *i, void *arg), void *arg, struct dom_error *e);

/* --- claims (双向认领) on list items ----------------------------------------- */

/*
 * A claim is a row of its own (table claim): one claimant (a branch, a
 * resident unit or a member of this replica: struct dom_claimant,
 * dom_wish.h), its state and its result. Any kind of item is claimed,
 * while open or claimed (not once rectified or closed); several claimants
 * may take on one item, but not the same one twice while its claim is
 * active (claimed or in progress). The item follows its claims: claimed,
 * with the earliest active claim's name and date in claimed_by and
 * claimed_on, while a claim that was not withdrawn remains; open again
 * when the last is withdrawn.
 *
 * A claim's life: claimed -> in_progress -> done; claimed or in_progress
 * -> withdrawn. done (with its date and result) and withdrawn are final.
 */
struct dom_claimant;
enum dom_claim_step { DOM_CLAIM_PROGRESS, DOM_CLAIM_DONE, DOM_CLAIM_WITHDRAW };

/*
 * Claim item_id for who (exactly one id set) on date (NULL or "": today):
 * the claim row and the item's status in one local transaction. claim_out
 * (may be NULL) receives the claim's id, done (may be NULL) the item's kind
 * and title. Errors name list_item's columns (claimed_by for the claimant,
 * claimed_on, status). 0, or -1 with e; nothing written on -1.
 */
int dom_item_claim(struct replica *r, const char *operator_name, const char *item_id,
    const struct dom_claimant *who, const char *date, bool dry_run,
    char claim_out[ID_TEXT_LEN + 1], struct dom_item_done *done, struct dom_error *e);

/*
 * The organisation named by text for a claim (the old "--by NAME"): an
 * organisation code or a name exactly one organisation of the kinds that
 * claim (branch, general branch, community) has, not dissolved. id set;
 * DOM_NOT_FOUND when none, DOM_INVALID when several.
 */
int dom_claim_org_named(struct replica *r, const char *text, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/*
 * Take claim id one step: progress (claimed -> in_progress), done (date,
 * NULL for today; text the result, required) or withdraw (text an optional
 * note). 0, or -1 with e (columns of table claim); nothing written on -1.
 */
int dom_claim_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_claim_step step, const char *date, const char *text, struct dom_error *e);

/* The claim named by handle (its id or the id's last 6+ characters). */
int dom_claim_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/* A claim with its item and claimant. */
struct dom_claim_row {
	const char *id, *item_id, *item_kind, *item_title, *org_name;
	const char *claimant_kind;   /* "branch", "unit" or "member" */
	const char *claimant;        /* its name ("其他社区的单位" when the unit is not held here) */
	const char *state, *claimed_on, *done_on, *result, *note;
};
/* The claims on item_id (NULL: every item of the replica), by item, then date. */
int dom_claim_list(struct replica *r, const char *item_id,
    void (*each)(const struct dom_claim_row *c, void *arg), void *arg, struct dom_error *e);

/*
 * One line of the month's public board (公示): an item with one of its
 * claims (claim fields NULL for an item closed out without a claim). An
 * item is on the board of month M when a claim on it was made or done in M
 * or it was closed out (销号) in M; it is shown with all its claims. The
 * community is the item's organisation's (the organisation itself when it
 * is under none).
 */
struct dom_board_row {
	const char *comm_code, *comm_name, *org_name;
	const char *item_id, *kind, *title, *status, *closed_on, *close_result;
	const char *claimant_kind, *claimant, *state, *claimed_on, *done_on, *result;
};
/*
 * The board of month (YYYY-MM) for org_id's subtree (NULL or "": the whole
 * replica), by community code, kind, title, claim date. DOM_INVALID for a
 * malformed month.
 */
int dom_item_board(struct replica *r, const char *org_id, const char *month,
    void (*each)(const struct dom_board_row *b, void *arg), void *arg, struct dom_error *e);

/* --- shared by dom_meeting.c and dom_item.c only -------------------------- */

/* Fill e (kind, col, printf-style message) and return -1. */
int dom_work_fail(struct dom_error *e, enum dom_fail kind, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* e as "the replica could not be used" with SQLite's message; returns -1. */
int dom_work_db_fail(struct replica *r, struct dom_error *e);
/*
 * Whether organisation org_id may take new records: DOM_INVALID (col; what_en
 * names the records in the message, "meetings") when unknown or dissolved.
 * Inside the write's transaction.
 */
int dom_work_org_open(struct replica *r, const char *org_id, int col, const char *what_en,
    struct dom_error *e);

#endif
