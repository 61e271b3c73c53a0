/*
 * dom_service.h - 在职党员到社区报到 (双报到) for both front ends: the CLI
 * (cmd_service.c, and member report in cli.c through dom_member_step) and
 * the desk (web_api_service.c).
 *
 * A member's own office reports him to a community: his member row gets
 * in_service and report_org_id, and a service_report row is written in the
 * same local transaction. That row is the limited record the community
 * keeps (name, unit, phone, dates; never the citizen ID nor the profile):
 * its scope is the member's branch (home_org_id), its second scope the
 * community (org_id), so both offices' replicas receive it and nobody
 * else's. The community records the services he does (service_record,
 * with the same two organisations) and both offices read the hours: the
 * report back to the unit (反馈原单位) is service back. A member from
 * outside the street reports straight to the community (service add):
 * home_org_id = org_id = the community, no member row anywhere.
 *
 * Limit for now: the clerk names the community by code and the code must
 * resolve in this replica (the street's device, or a member reporting to
 * his own community). An office's replica holds only its own subtree, so
 * a community office cannot yet report its member to another community:
 * that needs the community's code on service_report, filled into org_id by
 * the server as it fills transfer.to_org_id (see the issue 10 notes).
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call; every
 * write checks its rules inside its own local transaction and a refused
 * write changes nothing.
 */
#ifndef TX_DOM_SERVICE_H
#define TX_DOM_SERVICE_H

#include "domain.h"

/* Bounds of the inputs (the schema's column sizes). */
#define DOM_SERVICE_NAME_MAX 100
#define DOM_SERVICE_UNIT_MAX 200
#define DOM_SERVICE_PHONE_MAX 32
#define DOM_SERVICE_NOTE_MAX 500
#define DOM_SERVICE_ACTIVITY_MAX 500
/* Longest hours text ("1.5", "12.25"). */
#define DOM_SERVICE_HOURS_MAX 16

/* A report: by a member's office (member report) or of an outsider (service add). */
struct dom_report_req {
	const char *member_id;     /* member report: the member's id (this replica holds him) */
	const char *community_id;  /* the community's org id (this replica holds it); NULL or ""
	                              for service add: this device's own organisation */
	/*
	 * member report to a community this replica does not hold (another
	 * community of the street): its code, used when community_id is empty;
	 * the server fills the report's org_id from it and checks its kind.
	 */
	const char *community_code;
	const char *date;          /* reported_on, YYYY-MM-DD; NULL or "": today */
	const char *name;          /* service add: the person's name (member report: his) */
	const char *unit;          /* 工作单位; member report default: the member's job */
	const char *phone;         /* member report default: the member's phone */
	const char *note;
};

/*
 * member report (domain.c): in ONE local transaction, the member's
 * in_service and report_org_id (the member's replica checks: the community
 * must be a community, not dissolved) and the service_report row. The
 * member must be on the books (not left, not deceased or expelled); an
 * open report to the same community is refused; an open report to another
 * community is ended on the new report's date. dry_run: the same checks,
 * rolled back. id_out (may be NULL) receives the report's id. DOM_NOT_FOUND
 * when the replica has no such member.
 */
int dom_member_report(struct replica *r, const char *operator_name,
    const struct dom_report_req *q, bool dry_run, char id_out[ID_TEXT_LEN + 1],
    struct dom_error *e);

/*
 * Inside the caller's open transaction (domain.c's member report): insert
 * the service_report of member m (member columns in schema order, as
 * rep_get read them) to community q->community_id on date. 0, or -1 with e.
 */
int dom_service_report_insert(struct replica *r, const char *member_id,
    const Tongxin__Value *m, const struct dom_report_req *q, const char *date,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * service add: a person from outside the street reports to this
 * community (q->name required; q->community_id or this device's own
 * organisation, which must be a community). id_out receives the id.
 */
int dom_service_add(struct replica *r, const char *operator_name,
    const struct dom_report_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * Hours as people write them ("2", "1.5", "0.75", "1.5小时") into minutes
 * (rounded to the minute). 0, or -1 with e (DOM_INVALID) for anything
 * else, zero, or more than 24 hours.
 */
int dom_service_hours(const char *text, int *minutes, struct dom_error *e);
/* Minutes as hours for people: "1.5", "2", "0.25" (at most two decimals). */
void dom_service_hours_show(int64_t minutes, char out[24]);

/*
 * service record: a service the reported member did, by the community
 * (this replica must hold the report's community). date not in the future,
 * not before the report nor after its end; the same report, date and
 * activity twice is refused. id_out receives the record's id.
 */
int dom_service_record(struct replica *r, const char *operator_name, const char *report_id,
    const char *date, const char *activity, const char *hours, const char *note,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* service end: the report ends on date (not before it began; not already ended). */
int dom_service_end(struct replica *r, const char *operator_name, const char *report_id,
    const char *date, struct dom_error *e);

/*
 * A report as lists show it. org_name / home_name are NULL when this
 * replica does not hold that organisation (the other office's); services
 * and minutes count the records of the year asked for, or all of them.
 */
struct dom_service_row {
	const char *id, *member_id, *name, *unit, *phone, *reported_on, *ended_on, *note;
	const char *org_id, *org_code, *org_name;          /* the community reported to */
	const char *home_org_id, *home_code, *home_name;   /* the member's own organisation */
	bool to_here;        /* reported to an organisation this replica holds (the community) */
	bool from_here;      /* a member of this replica's organisations (the member's office) */
	bool outside;        /* a person from outside the street (no member row) */
	int64_t services, minutes;
	const char *activities;   /* back: "YYYY-MM-DD 内容（N小时）；..." of the year; else NULL */
};

/* Which reports. */
struct dom_service_query {
	bool all;               /* also the ended ones */
	const char *member_id;  /* only this member's */
	const char *year;       /* YYYY: count the services of that year only (and list a report
	                           only when it was open during it); NULL: all time */
	bool activities;        /* fill row.activities */
};

/* The reports in this replica, by name then date. DOM_INVALID for a malformed year. */
int dom_service_list(struct replica *r, const struct dom_service_query *q,
    void (*each)(const struct dom_service_row *row, void *arg), void *arg,
    struct dom_error *e);

/* One report (all time). DOM_NOT_FOUND when absent. */
int dom_service_get(struct replica *r, const char *id,
    void (*each)(const struct dom_service_row *row, void *arg), void *arg,
    struct dom_error *e);

/* One service record. */
struct dom_service_rec {
	const char *id, *served_on, *activity, *note;
	int64_t minutes;
};
/* A report's services, by date. */
int dom_service_records(struct replica *r, const char *report_id,
    void (*each)(const struct dom_service_rec *s, void *arg), void *arg, struct dom_error *e);

/*
 * The report named by handle: its id or the id's last 6+ characters
 * (dom_handle.h), or a name exactly one open report has. 0 with id set, or
 * -1 with e (DOM_NOT_FOUND, or DOM_INVALID listing the candidates).
 */
int dom_service_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/*
 * The organisation of code in this replica (the community a clerk names):
 * 0 with id set, or -1 with e (DOM_NOT_FOUND: this replica does not hold
 * it; an office holds only its own organisations).
 */
int dom_service_org_by_code(struct replica *r, const char *code, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

#endif
