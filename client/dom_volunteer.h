/*
 * dom_volunteer.h - 志愿服务: volunteer teams, their activities and who
 * served how long (issue 14, item 5; docs/cobuilding.md), for both front
 * ends (cmd_volunteer.c; the desk).
 *
 * A team belongs to an organisation (its scope); its activities and the
 * hours at them follow it. A participant is one of: a member this replica
 * holds (member_id), an in-service member reported to a community of this
 * replica (report_id: the member's own office sees the hours too, through
 * volunteer_hours' second scope, for the report back to his unit), or a
 * resident who is not a member (a name). The name is always stored.
 * Hours are written as people write them (dom_service_hours) and kept in
 * minutes.
 *
 * Known limit: volunteer_hours carries no date of its own. The member's own
 * office receives the hours but not the activity (it is the community's),
 * so at that office volunteer back shows those hours without a date and a
 * --year cannot place them: they are listed with the year's (see the
 * report of issue 14 for the schema change that would carry the date).
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call; every
 * write checks its rules inside its own local transaction and a refused
 * write changes nothing.
 */
#ifndef TX_DOM_VOLUNTEER_H
#define TX_DOM_VOLUNTEER_H

#include "domain.h"

/* A team as the clerk gives it (NULL or "": not given). */
struct dom_team_req {
	const char *name, *leader, *founded_on, *note;
	const char *org_id;   /* the organisation's id; NULL: this device's own */
};

/*
 * volunteer team add: a team of an organisation this replica holds (not
 * dissolved); a second live team of that name in the organisation is
 * refused. id_out receives the id.
 */
int dom_volunteer_team_add(struct replica *r, const char *operator_name,
    const struct dom_team_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* The team named by handle: its id or the id's last 6+ characters, or a name one team has. */
int dom_volunteer_team_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

/* A team as lists show it; activities and minutes of the year asked for (or all time). */
struct dom_team_row {
	const char *id, *name, *leader, *founded_on, *ended_on, *org_code, *org_name;
	int64_t activities, people, minutes;
};
/* The teams of the replica, by organisation then name. year: "YYYY" or NULL. */
int dom_volunteer_team_list(struct replica *r, const char *year,
    void (*each)(const struct dom_team_row *row, void *arg), void *arg, struct dom_error *e);

/*
 * volunteer activity add: an activity of team_id on date (not in the
 * future, not before the team was founded nor after it ended), topic
 * required. id_out receives the id.
 */
int dom_volunteer_activity_add(struct replica *r, const char *operator_name, const char *team_id,
    const char *date, const char *topic, const char *place, const char *note,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* An activity as lists show it. */
struct dom_activity_row {
	const char *id, *team_id, *team_name, *held_on, *topic, *place, *org_name;
	int64_t people, minutes;
};
/* The activities (of the year, or all), by date. */
int dom_volunteer_activity_list(struct replica *r, const char *year,
    void (*each)(const struct dom_activity_row *row, void *arg), void *arg, struct dom_error *e);

/* Who served: exactly one of member_id, report_id, name. */
struct dom_hours_req {
	const char *activity_id;
	const char *member_id;   /* a member this replica holds */
	const char *report_id;   /* an in-service member's report to a community held here */
	const char *name;        /* a resident who is not a member */
	const char *hours;       /* "2", "1.5", "1.5小时" */
	const char *note;
};

/*
 * volunteer hours: one participant's time at an activity. A member or a
 * report already entered at the activity (a resident: the same name) is
 * refused; a report must have begun by the activity's date and not have
 * ended before it. id_out receives the id.
 */
int dom_volunteer_hours_add(struct replica *r, const char *operator_name,
    const struct dom_hours_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* One person's year. kind: "member", "in_service" or "resident". */
struct dom_volunteer_person {
	const char *kind, *name, *org_name;   /* org_name: the member's organisation (a member) */
	int64_t activities, minutes;
};
/* Hours per person for the year (YYYY required), by name. */
int dom_volunteer_people(struct replica *r, const char *year,
    void (*each)(const struct dom_volunteer_person *p, void *arg), void *arg,
    struct dom_error *e);

/*
 * An in-service member's hours for the report back to his unit (反馈原单位):
 * those of reports whose member belongs to this replica's organisations.
 * held_on and topic are NULL where this replica does not hold the activity
 * (the member's own office: the activity is the community's).
 */
struct dom_volunteer_back_row {
	const char *report_id, *name, *unit, *community, *home_name, *held_on, *topic;
	int64_t minutes;
};
/* The year's (YYYY or NULL: all) by name then date; rows without a date are kept. */
int dom_volunteer_back(struct replica *r, const char *year,
    void (*each)(const struct dom_volunteer_back_row *b, void *arg), void *arg,
    struct dom_error *e);

/* One participant of an activity. kind: "member", "in_service" or "resident". */
struct dom_hours_row {
	const char *id, *kind, *name, *note;
	const char *member_id, *report_id;   /* NULL unless that kind */
	int64_t minutes;
};
/* The participants of activity_id (held here), by name. */
int dom_volunteer_hours_of(struct replica *r, const char *activity_id,
    void (*each)(const struct dom_hours_row *h, void *arg), void *arg, struct dom_error *e);

/* Whether year is "YYYY" (NULL is not). */
bool dom_volunteer_year_ok(const char *year);

#endif
