/*
 * dom_feedback.h - 民情回音壁 (the feedback wall) for both front ends: the
 * CLI (cmd_feedback.c) and, later, the desk.
 *
 * A resident's opinion is received (date, source, grid, category; the
 * resident's name and phone are personal and optional), a member or a
 * named person handles it, the reply (回音) is given back to the resident
 * with its date, and the opinion is closed. The row is feedback
 * (common/schema.c), scoped to the community or branch that received it;
 * its rules are validate.c's (cobuild_rules), checked here and again by
 * the server.
 *
 * States: open -> handling (assigned) -> replied -> closed. A reply is
 * given to any opinion not closed (a second reply corrects the first);
 * only a replied opinion is closed; a closed one is final.
 *
 * Conventions are domain.h's (see dom_wish.h too).
 */
#ifndef TX_DOM_FEEDBACK_H
#define TX_DOM_FEEDBACK_H

#include "domain.h"

/*
 * An opinion is answered within this many days of receipt; one not
 * replied by then is overdue (docs/cobuilding.md). The one definition:
 * the overdue list and the reports read it from here.
 */
#define FEEDBACK_REPLY_DAYS 7

/* Bounds of the inputs (the schema's column sizes). */
#define DOM_FEEDBACK_CONTENT_MAX 2000
#define DOM_FEEDBACK_REPLY_MAX 2000
#define DOM_FEEDBACK_NAME_MAX 100
#define DOM_FEEDBACK_PHONE_MAX 32
#define DOM_FEEDBACK_GRID_MAX 100
#define DOM_FEEDBACK_NOTE_MAX 500

/* A new opinion. Enums take a code, a label or an alias (vocab.h). */
struct dom_feedback_req {
	const char *org_id;     /* the community or branch; NULL or "": this device's own */
	const char *content;    /* 反映内容 (required) */
	const char *source;     /* feedback_source (required) */
	const char *category;   /* feedback_category (required) */
	const char *resident;   /* 反映人 */
	const char *phone;      /* 联系电话 */
	const char *grid;
	const char *date;       /* received_on; NULL or "": today */
};

/* feedback add: id_out receives the new id. */
int dom_feedback_add(struct replica *r, const char *operator_name,
    const struct dom_feedback_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * feedback assign: the handler, a member of this replica (member_id) or a
 * person by name (handler), exactly one; the other is cleared. An open
 * opinion becomes handling; one being handled is given to another; a
 * replied or closed one is refused.
 */
int dom_feedback_assign(struct replica *r, const char *operator_name, const char *id,
    const char *member_id, const char *handler, struct dom_error *e);
/* feedback reply: the reply and its date (default today), status replied; not when closed. */
int dom_feedback_reply(struct replica *r, const char *operator_name, const char *id,
    const char *reply, const char *date, struct dom_error *e);
/* feedback close: a replied opinion is closed. */
int dom_feedback_close(struct replica *r, const char *operator_name, const char *id,
    struct dom_error *e);

/* An opinion as lists show it. */
struct dom_feedback_row {
	const char *id, *org_id, *org_code, *org_name;
	const char *received_on, *source, *category, *grid, *resident, *phone, *content;
	const char *handler;        /* the member's name, else the handler's, else NULL */
	const char *status, *reply, *replied_on, *note;
	const char *due_on;         /* received_on + FEEDBACK_REPLY_DAYS */
	int64_t days_over;          /* overdue list: days past due_on as of the date asked */
};

/* The opinions in this replica, by date received. status: any spelling of feedback_status. */
int dom_feedback_list(struct replica *r, const char *status,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e);
/* One opinion. DOM_NOT_FOUND when absent. */
int dom_feedback_get(struct replica *r, const char *id,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e);
/*
 * feedback overdue: the opinions received by as_of (default today) and not
 * replied by then although their FEEDBACK_REPLY_DAYS are over (as_of later
 * than due_on), most overdue first.
 */
int dom_feedback_overdue(struct replica *r, const char *as_of,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e);

/* The opinion named by handle (its id or the id's last 6+ characters). */
int dom_feedback_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

#endif
