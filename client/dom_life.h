/*
 * dom_life.h - the end of membership (党员减少: death, withdrawal, removal,
 * expulsion) and discipline (党纪处分), and the member's life in date order,
 * for both front ends: the CLI (cmd_life.c, tongxin member leave /
 * discipline / sanctions / history) and the desk (web_api_life.c). The
 * rules, the SQL and the messages live here once.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error (kind, the
 * column concerned or -1, a Chinese-first message); list rows are handed
 * to a callback and their strings live only during the call; every write
 * checks its rules inside its own local transaction (BEGIN IMMEDIATE) and
 * a refused write changes nothing; dry_run runs the same checks and rolls
 * back.
 *
 * A member who left stays in the replica and in history; a reduction is
 * undone only by an administrator's edit of the member (there is no
 * "reinstate" step): the clerk's tools refuse to record a second one.
 */
#ifndef TX_DOM_LIFE_H
#define TX_DOM_LIFE_H

#include "domain.h"

/* The most sanctions one member's list and history show (more are counted, not shown). */
#define DOM_LIFE_MAX_SANCTIONS 200
/* The most events a member's history holds. */
#define DOM_LIFE_MAX_EVENTS 400

/* --- 党员减少 ------------------------------------------------------------------ */

/* A reduction as the clerk gives it; strings borrowed, NULL or "" when not given. */
struct dom_leave {
	const char *reason;   /* leave_reason: a code, label or alias (死亡, withdrawal, 开除 ...) */
	const char *date;     /* YYYY-MM-DD; required */
	const char *note;     /* 减少原因, optional */
};

/*
 * Member id leaves (党员减少), in one local transaction: the member is in
 * this replica and has not left already; no transfer of the member waits
 * for the receiving office (it would accept a member who is no longer one:
 * the clerk withdraws it first); the reason is one of the
 * vocabulary's; the date is given, valid, not in the future nor before the
 * member joined; death sets the standing to deceased and expulsion to
 * expelled in the same write (validate.c's rule for the row). Columns named
 * by e->col are the member's (left_reason, left_on, left_note). 0, or -1
 * with e; on -1 nothing was changed.
 */
int dom_member_leave(struct replica *r, const char *operator_name, const char *id,
    const struct dom_leave *l, bool dry_run, struct dom_error *e);

/*
 * For the other steps of a member's record (a transfer request, 失联, a
 * promotion ...): refuse a member who left. what says, in Chinese, what is
 * refused ("不能申请转接"). Call inside the write's transaction. 0 when the
 * member has not left (or is not in the replica: the caller says so), or
 * -1 with e (DOM_INVALID, no column, the date and the way the member left).
 */
int dom_member_not_left(struct replica *r, const char *id, const char *what,
    struct dom_error *e);

/* --- 党纪处分 ------------------------------------------------------------------ */

/* A sanction as the clerk gives it; strings borrowed, NULL or "" when not given. */
struct dom_sanction {
	const char *kind;        /* discipline_kind: code, label or alias; required */
	const char *decided_on;  /* YYYY-MM-DD; required */
	const char *decided_by;  /* 决定机关 */
	const char *grounds;     /* 处分事由; required */
	const char *until;       /* 察看期满: 留党察看 only, and required for it */
	const char *note;
};

/*
 * Record a sanction on member id (党纪处分), in one local transaction: the
 * member is in this replica and has not left; the row's own checks (the
 * required items, lengths, blank text, decided_on not in the future, a
 * 留党察看's end within two years: validate.c); decided_on not before the
 * member joined; an end date only for 留党察看, and at least a year after
 * the decision (it lasts one or two years). An expulsion (开除党籍)
 * also makes the member leave in the same transaction, refused like
 * dom_member_leave while a transfer of the member is open (left_reason
 * expulsion, left_on the decision's date, left_note the grounds cut to
 * fit, standing expelled). Columns named by e->col are discipline's.
 * id_out (may be NULL) receives the new row's id (not with dry_run).
 * 0, or -1 with e; on -1 nothing was changed.
 */
int dom_discipline_add(struct replica *r, const char *operator_name, const char *member_id,
    const struct dom_sanction *s, bool dry_run, char id_out[ID_TEXT_LEN + 1],
    struct dom_error *e);

/* One sanction of a member. */
struct dom_sanction_row {
	const char *id, *member_id, *kind, *decided_on, *decided_by, *grounds, *until, *note;
};

/*
 * Member id's sanctions, by date then id, at most DOM_LIFE_MAX_SANCTIONS
 * (*more set when there are others; more may be NULL). DOM_NOT_FOUND when
 * the replica does not hold the member.
 */
int dom_discipline_list(struct replica *r, const char *member_id,
    void (*each)(const struct dom_sanction_row *s, void *arg), void *arg, bool *more,
    struct dom_error *e);

/* --- the member's life --------------------------------------------------------- */

/* One event of a member's life. */
struct dom_life_event {
	const char *date;    /* YYYY-MM-DD */
	const char *event;   /* applied, activist, candidate, joined, extended, full, transfer,
	                        lost, discipline, left */
	const char *title;   /* Chinese: "递交入党申请", "党纪处分：警告" ... */
	const char *detail;  /* more, may be "" (grounds, the deciding meeting, the note) */
};

/*
 * Member id's life in date order (events of one date in the life's own
 * order): from the application (an applicant row naming this member),
 * joining, extension of probation (dated by its meeting, else the end of
 * the first year), full membership, accepted transfers, lost contact (when
 * dated), each sanction and the end of membership. Events without a
 * date are left out. DOM_NOT_FOUND when the replica does not hold the member.
 */
int dom_member_history(struct replica *r, const char *id,
    void (*each)(const struct dom_life_event *ev, void *arg), void *arg, struct dom_error *e);

#endif
