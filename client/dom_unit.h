/*
 * dom_unit.h - resident units (驻区单位) and co-building agreements (共建协议)
 * for both front ends (cmd_unit.c; the desk). See docs/cobuilding.md.
 *
 * A unit belongs to the community it sits in (org_id): that community's
 * office registers and edits it. A community that signs an agreement with
 * a unit sees the unit too (the server shares it while the agreement
 * lives): its replica holds the unit after the next sync, read only. An
 * office names a unit it does not hold yet by its 统一社会信用代码; the
 * server fills the agreement's unit from it.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call; every
 * write checks its rules inside its own local transaction and a refused
 * write changes nothing.
 */
#ifndef TX_DOM_UNIT_H
#define TX_DOM_UNIT_H

#include "domain.h"

/*
 * A unit's items as the clerk gives them (text; NULL or "" not given).
 * kind takes a code or a label of the unit_kind vocabulary; party_members
 * a whole number; dates YYYY-MM-DD.
 */
struct dom_unit_req {
	const char *name, *kind, *credit_code, *party_org, *party_members;
	const char *contact_name, *contact_phone, *address, *joined_on, *left_on, *note;
	const char *community_id;   /* add: the community's org id; NULL: this device's own */
};

/*
 * unit add: the unit in the community (which must be a community of this
 * replica, not dissolved); a credit code another unit of this replica has
 * is refused. id_out receives the new id.
 */
int dom_unit_add(struct replica *r, const char *operator_name, const struct dom_unit_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * unit edit: the items given change (an item given as "" is cleared, the
 * name and kind excepted). Only a unit of this office's own organisations:
 * a unit shared by an agreement belongs to its own community.
 */
int dom_unit_edit(struct replica *r, const char *operator_name, const char *id,
    const struct dom_unit_req *q, struct dom_error *e);

/*
 * The unit named by handle: its id or the id's last 6+ characters, its
 * credit code, or a name exactly one unit of the replica has.
 */
int dom_unit_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/* A unit as lists show it. */
struct dom_unit_row {
	const char *id, *name, *kind, *credit_code, *party_org, *contact_name, *contact_phone;
	const char *address, *joined_on, *left_on, *note;
	int64_t party_members;             /* -1: not given */
	const char *org_id, *org_code, *org_name;   /* the community it sits in (NULL: not held) */
	bool own;            /* it sits in one of this replica's organisations (editable here) */
	int64_t agreements;  /* agreements in force (not ended) */
	int64_t part_timers; /* part-time members (兼职委员) now seated */
};

/* The units of the replica (all: also those that left), by name. */
int dom_unit_list(struct replica *r, bool all,
    void (*each)(const struct dom_unit_row *row, void *arg), void *arg, struct dom_error *e);
/* One unit. DOM_NOT_FOUND when absent. */
int dom_unit_get(struct replica *r, const char *id,
    void (*each)(const struct dom_unit_row *row, void *arg), void *arg, struct dom_error *e);

/* An agreement as the clerk gives it. */
struct dom_agreement_req {
	const char *unit;           /* a unit handle (dom_unit_handle), or a credit code the
	                               replica does not hold: the server finds the unit */
	const char *community_id;   /* NULL: this device's own organisation */
	const char *signed_on, *ends_on, *unit_commits, *community_commits, *note;
};

/*
 * agreement add: signed on a date not in the future, ending after it; the
 * community must be a community of this replica; a unit it already has an
 * agreement in force with is refused. id_out receives the id.
 */
int dom_agreement_add(struct replica *r, const char *operator_name,
    const struct dom_agreement_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);
/* agreement end: ended on date (default today; not before it was signed; once). */
int dom_agreement_end(struct replica *r, const char *operator_name, const char *id,
    const char *date, struct dom_error *e);
/*
 * agreement delete: an agreement entered by mistake goes; the unit is no
 * longer shared with the community (an ended agreement stays on record).
 */
int dom_agreement_delete(struct replica *r, const char *operator_name, const char *id,
    struct dom_error *e);

/* An agreement as lists show it. */
struct dom_agreement_row {
	const char *id, *org_id, *org_code, *org_name;
	const char *unit_id, *unit_name, *unit_code;   /* unit_name NULL: not here yet (sync) */
	const char *signed_on, *ends_on, *ended_on, *unit_commits, *community_commits, *note;
	bool in_force;       /* not ended, and its end date (if any) not past */
};

/* Agreements (of unit_id, or all; all: also ended ones), by date signed. */
int dom_agreement_list(struct replica *r, const char *unit_id, bool all,
    void (*each)(const struct dom_agreement_row *row, void *arg), void *arg,
    struct dom_error *e);

#endif
