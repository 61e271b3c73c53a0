/*
 * dom_wish.h - 微心愿 (micro-wishes) for both front ends: the CLI
 * (cmd_wish.c) and, later, the desk.
 *
 * A resident in difficulty posts a small wish (the resident's name and
 * household are personal data); a member, a resident unit or a branch
 * claims it; it is fulfilled (date, photo reference) or cancelled. The row
 * is micro_wish (common/schema.c), scoped to the community or branch that
 * keeps it (org_id); its rules are validate.c's (cobuild_rules), checked
 * here at entry and again by the server. The value is kept in fen and
 * given and shown in 元 with two decimals.
 *
 * States: open -> claimed -> fulfilled, open -> cancelled, claimed ->
 * cancelled. Only an open wish is claimed, only a claimed one fulfilled;
 * a fulfilled or cancelled wish is final.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call; every
 * write checks its rules inside its own local transaction and a refused
 * write changes nothing.
 */
#ifndef TX_DOM_WISH_H
#define TX_DOM_WISH_H

#include "domain.h"

/* Bounds of the inputs (the schema's column sizes). */
#define DOM_WISH_NAME_MAX 100
#define DOM_WISH_HOUSEHOLD_MAX 200
#define DOM_WISH_GRID_MAX 100
#define DOM_WISH_TEXT_MAX 500
#define DOM_WISH_PHOTO_MAX 500
#define DOM_WISH_NOTE_MAX 500
/* The most a wish may be worth, in fen (the row rule's bound: 1,000,000 元). */
#define DOM_WISH_VALUE_MAX 100000000

/* A new wish. */
struct dom_wish_req {
	const char *org_id;      /* the community or branch; NULL or "": this device's own */
	const char *resident;    /* 居民姓名 (required) */
	const char *household;   /* 家庭住址 */
	const char *grid;        /* 网格 */
	const char *wish;        /* 心愿内容 (required) */
	const char *value;       /* 估值 in 元 ("50", "49.90", "50元"); NULL or "": none */
	const char *date;        /* posted_on; NULL or "": today */
};

/*
 * wish add: the organisation must be a community, a general branch or a
 * branch of this replica, not dissolved. id_out receives the new id.
 */
int dom_wish_add(struct replica *r, const char *operator_name, const struct dom_wish_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* Who claims a wish: exactly one of the three ids (this replica's rows). */
struct dom_claimant {
	const char *member_id;   /* a member */
	const char *unit_id;     /* a resident unit (any community's) */
	const char *branch_id;   /* a branch (org id) */
};

/* wish claim: an open wish gets its claimant and claimed_on (date, default today). */
int dom_wish_claim(struct replica *r, const char *operator_name, const char *id,
    const struct dom_claimant *who, const char *date, struct dom_error *e);
/* wish fulfil: a claimed wish is fulfilled on date (default today), with a photo reference. */
int dom_wish_fulfil(struct replica *r, const char *operator_name, const char *id,
    const char *date, const char *photo, const char *note, struct dom_error *e);
/* wish cancel: an open or claimed wish is cancelled. */
int dom_wish_cancel(struct replica *r, const char *operator_name, const char *id,
    const char *note, struct dom_error *e);

/* A wish as lists show it. */
struct dom_wish_row {
	const char *id, *org_id, *org_code, *org_name;
	const char *resident, *household, *grid, *wish, *status;
	int64_t value;            /* fen; -1 when not given */
	const char *posted_on, *claimed_on, *fulfilled_on, *photo, *note;
	const char *claimant_kind;   /* "member", "unit", "branch" or NULL */
	const char *claimant;        /* the claimant's name (or a short id when not held here) */
};

/* Which wishes. */
struct dom_wish_query {
	const char *status;   /* a code, label or alias of wish_status; NULL all */
	const char *month;    /* YYYY-MM: posted in that month; NULL all */
};

/* The wishes in this replica, by date posted. DOM_INVALID for a bad status or month. */
int dom_wish_list(struct replica *r, const struct dom_wish_query *q,
    void (*each)(const struct dom_wish_row *w, void *arg), void *arg, struct dom_error *e);
/* One wish. DOM_NOT_FOUND when absent. */
int dom_wish_get(struct replica *r, const char *id,
    void (*each)(const struct dom_wish_row *w, void *arg), void *arg, struct dom_error *e);

/*
 * One line of wish report: per organisation and month of the year, the
 * wishes posted, claimed and fulfilled in that month (by their dates) and
 * the value of those fulfilled (fen). A month with none of the three is
 * not given.
 */
struct dom_wish_month {
	const char *org_id, *org_code, *org_name;
	const char *month;   /* YYYY-MM */
	int64_t posted, claimed, fulfilled, value_fulfilled;
};
/* wish report: the year's lines by organisation code, then month. DOM_INVALID for a bad year. */
int dom_wish_report(struct replica *r, const char *year,
    void (*each)(const struct dom_wish_month *m, void *arg), void *arg, struct dom_error *e);

/* The wish named by handle (its id or the id's last 6+ characters). */
int dom_wish_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/*
 * The resident unit that claims a wish, named by handle: its id, the id's
 * last 6+ characters, or a name exactly one unit in this replica has.
 * DOM_NOT_FOUND (saying so when the replica holds no unit at all: units
 * arrive with tongxin unit, issue 14 item 1), DOM_INVALID when ambiguous.
 * Once dom_unit.h's dom_unit_handle (credit codes too) is in, this should
 * call it after its own "no unit yet" check.
 */
int dom_claim_unit_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/* The kinds of organisation that claim a list item as one: a branch, a general branch, a community. */
extern const char *const dom_item_claim_kinds[];

/*
 * The claimant a clerk named: the first of member (a member's handle), unit
 * (a resident unit's handle or credit code) and branch (an organisation's
 * code, of branch_kinds) that is not NULL. Its id goes to cid and *who
 * points at it there. 0, or -1 with e (who untouched).
 */
int dom_claimant_of(struct replica *r, const char *member, const char *unit, const char *branch,
    const char *const *branch_kinds, char cid[ID_TEXT_LEN + 1], struct dom_claimant *who,
    struct dom_error *e);


#endif
