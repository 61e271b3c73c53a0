/*
 * dom_committee.h - 委员会 (committee seats with their terms) and 党员中心户
 * (member households that keep in touch with a grid's households) for both
 * front ends: the CLI (cmd_committee.c) and the desk (web_api_committee.c).
 *
 * A seat is one committee_member row: the organisation, the person (a
 * member of the organisation's subtree, whose name is copied, or, for a
 * 兼职委员 from a resident unit, only a name), the role (vocab
 * committee_role) and the term (started_on, ended_on). A seat is current
 * while ended_on is NULL. The rules, checked inside the write's own
 * transaction (a refused write changes nothing):
 *   - one current 书记 per organisation: a new secretary ends the previous
 *     one's seat on the day before the new one starts, in the same
 *     transaction, and org.secretary (the name the reports and the 组织
 *     page show) becomes the new name; a start not after the previous
 *     secretary's is refused;
 *   - a seat named by a member: a member in normal standing on the books
 *     (DOM_MEMBER_COUNTED) of the organisation's subtree, and a full member
 *     (党章 第七条: a probationary member cannot be elected); by name alone
 *     only a 兼职委员 (role part_time);
 *   - a branch with fewer than 7 full members elects no 支部委员会
 *     (支部工作条例 第十条): only a secretary and at most one deputy;
 *   - a Party group (党小组) has a 组长, no committee;
 *   - one current seat per person and organisation (to change roles, end
 *     the seat first);
 *   - a seat ends on a date not before its start and not after today.
 * A 党员中心户 is one center_household row: the member (active, in normal
 * standing) and his branch (a group's member: the group's branch), one
 * open center per member; its households (covered_household) have a head
 * whose name follows the person-name rule, an address, at most
 * DOM_CENTER_MAX_HOUSEHOLDS per center, and one household is covered by
 * one open center only.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call.
 */
#ifndef TX_DOM_COMMITTEE_H
#define TX_DOM_COMMITTEE_H

#include "domain.h"
#include "dom_report.h"

/*
 * Most households one 党员中心户 keeps in touch with. Our rule, not a
 * national one: typical practice is 10 to 15 households a center; 30
 * leaves room for a large courtyard and still keeps the contact personal.
 */
#define DOM_CENTER_MAX_HOUSEHOLDS 30
/* Under this many full members a branch has no 支委会 (only 书记 and 副书记): dom_report.h's. */
#define DOM_COMMITTEE_FULL_MIN DOM_COMMITTEE_MIN_FULL

/* Bounds of the inputs (the schema's column sizes). */
#define DOM_COMMITTEE_NAME_MAX 100
#define DOM_COMMITTEE_NOTE_MAX 500
#define DOM_CENTER_GRID_MAX 100
#define DOM_CENTER_ADDRESS_MAX 200
#define DOM_CENTER_PHONE_MAX 32

/* A new seat; strings borrowed, NULL or "" when not given. */
struct dom_seat_req {
	const char *org_id;      /* the organisation (an id of this replica); required */
	const char *member_id;   /* the member, or */
	const char *name;        /* the name of a 兼职委员 from outside */
	const char *role;        /* committee_role: code, label or alias; required */
	const char *from;        /* started_on, YYYY-MM-DD; required */
	const char *note;
	const char *unit_id;     /* a 兼职委员's resident unit (an id of this replica), or NULL */
};
/* What an added seat did besides itself. */
struct dom_seat_done {
	char id[ID_TEXT_LEN + 1];          /* the new seat */
	char ended_id[ID_TEXT_LEN + 1];    /* the previous secretary's seat it ended, or "" */
	char ended_name[DOM_COMMITTEE_NAME_MAX + 1];
	char ended_on[11];
};

/*
 * committee add: the seat, with the rules above, in one local transaction
 * (with the previous secretary's end and org.secretary). dry_run: the same
 * checks, rolled back. done may be NULL. DOM_NOT_FOUND for an unknown
 * organisation or member.
 */
int dom_committee_add(struct replica *r, const char *operator_name,
    const struct dom_seat_req *q, bool dry_run, struct dom_seat_done *done,
    struct dom_error *e);

/*
 * committee end: seat id ends on date (NULL or "": today). Not already
 * ended, not before its start, not after today. A secretary's end clears
 * org.secretary when it still holds his name (in the same transaction).
 */
int dom_committee_end(struct replica *r, const char *operator_name, const char *seat_id,
    const char *date, struct dom_error *e);

/* A seat as lists show it. */
struct dom_seat_row {
	const char *id, *org_id, *org_code, *org_name, *org_kind;
	const char *member_id;      /* NULL for a 兼职委员 named only */
	const char *name, *role, *started_on, *ended_on, *note;
	bool current;
	bool left;                  /* the member has left (党员减少) or is not in normal standing:
	                               a current seat to be ended */
	bool clash;                 /* a current secretary beside another current one of the same
	                               organisation (two offline appointments met at sync) */
};
/* Which seats. */
struct dom_seat_query {
	const char *org_id;      /* the subtree of this organisation; NULL: all */
	const char *member_id;   /* only this member's seats; NULL: everyone's */
	bool all;                /* also the ended seats */
};
/* The seats, by organisation code, current first, role (vocabulary order), start. */
int dom_committee_list(struct replica *r, const struct dom_seat_query *q,
    void (*each)(const struct dom_seat_row *s, void *arg), void *arg, struct dom_error *e);

/* An organisation's committee situation (the desk says what it may elect). */
struct dom_committee_org {
	char kind[32];
	int64_t members, full;   /* counted members of a branch (its groups' included) and of them full */
	bool small;              /* a branch under DOM_COMMITTEE_FULL_MIN full members */
	bool group;              /* a Party group: no committee */
};
int dom_committee_org_info(struct replica *r, const char *org_id, struct dom_committee_org *o,
    struct dom_error *e);

/*
 * The seat named by handle: its id or the id's last 6+ characters, or a
 * name exactly one current seat has. 0 with id set, or -1 with e
 * (DOM_NOT_FOUND, or DOM_INVALID listing the candidates).
 */
int dom_committee_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/* --- 党员中心户 ----------------------------------------------------------------- */

/* A new center; strings borrowed, NULL or "" when not given. */
struct dom_center_req {
	const char *member_id;   /* required */
	const char *grid;        /* 网格 */
	const char *address;     /* default: the member's address */
	const char *from;        /* started_on, YYYY-MM-DD; required */
	const char *note;
};
/* household add: the center, in one local transaction. id_out may be NULL. */
int dom_center_add(struct replica *r, const char *operator_name, const struct dom_center_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* A household a center covers; strings borrowed. */
struct dom_household_req {
	const char *head_name;   /* 户主姓名, required, a person's name */
	const char *address;     /* required */
	const char *phone;
	const char *note;
};
/*
 * household cover: a household of center id (open, under
 * DOM_CENTER_MAX_HOUSEHOLDS, the household not covered by an open center
 * already). id_out may be NULL.
 */
int dom_center_cover(struct replica *r, const char *operator_name, const char *center_id,
    const struct dom_household_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* household end: center id is closed on date (as a seat's end). */
int dom_center_end(struct replica *r, const char *operator_name, const char *center_id,
    const char *date, struct dom_error *e);

/* A center as lists show it. */
struct dom_center_row {
	const char *id, *org_id, *org_code, *org_name, *member_id, *member_name;
	const char *grid, *address, *started_on, *ended_on, *note;
	int64_t households;
	bool left;    /* its member has left or is not in normal standing: a center to close */
};
struct dom_center_query {
	const char *org_id;      /* the subtree of this organisation; NULL: all */
	const char *member_id;   /* only this member's; NULL: all */
	bool all;                /* also the closed centers */
};
/* The centers, by branch code and member name. */
int dom_center_list(struct replica *r, const struct dom_center_query *q,
    void (*each)(const struct dom_center_row *c, void *arg), void *arg, struct dom_error *e);
/* One center (open or closed). DOM_NOT_FOUND when absent. */
int dom_center_get(struct replica *r, const char *id,
    void (*each)(const struct dom_center_row *c, void *arg), void *arg, struct dom_error *e);

struct dom_household_row {
	const char *id, *head_name, *address, *phone, *note;
};
/* A center's households, by address then name. */
int dom_center_households(struct replica *r, const char *center_id,
    void (*each)(const struct dom_household_row *h, void *arg), void *arg,
    struct dom_error *e);

/*
 * The center named by handle: its id or the id's last 6+ characters, or
 * the name of the member of exactly one open center. As dom_committee_handle.
 */
int dom_center_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

#endif
