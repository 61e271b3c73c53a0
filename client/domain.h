/*
 * domain.h - the clerk's operations on the local replica, typed, for every
 * front end: the CLI verbs and the web desk (tongxin ui) call these, and
 * neither front end holds SQL of its own for them.
 *
 * Conventions: functions return 0 on success and -1 on failure with a
 * struct dom_error filled in (what kind of failure, the column it concerns
 * when there is one, and a Chinese-first sentence). Lists are delivered to
 * a callback one row at a time; the strings in a row are valid only during
 * the call. Writes validate inside the same replica transaction as the
 * write (BEGIN IMMEDIATE), so no check reads a state that the write does
 * not see.
 */
#ifndef TX_DOMAIN_H
#define TX_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "replica.h"

/* s, or NULL when s is NULL or empty: an option or a form field left out. */
static inline const char *
dom_given(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* Column c of a statement's row as text (NULL for an SQL NULL). */
static inline const char *
dom_col_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

/*
 * SQL shared by the reports (cmd_report.c) and the dashboard, so that a
 * figure on the desk and the same figure in a report are one query.
 */
/* The subtree of org ?1 (an org id; NULL means "no restriction", and sub is empty). */
#define DOM_SUBTREE_CTE							\
	"WITH RECURSIVE sub(id) AS (SELECT id FROM org WHERE id = ?1"	\
	" UNION SELECT o.id FROM org o JOIN sub ON o.parent_id = sub.id)"
/* Problem items (alias i) past their due date ?2 and not closed out, under ?1. */
#define DOM_OVERDUE_WHERE						\
	" i.kind = 'problem' AND i.due_on IS NOT NULL AND i.due_on < ?2"	\
	"  AND coalesce(i.status, 'open') <> 'closed' AND (?1 IS NULL OR i.org_id IN sub)"
/*
 * Committees' terms (换届): the recorded term end, else the term start plus
 * 5 years (community committees and general branches) or 3 years (branches),
 * 29 February falling on 28 February as date_add_years() does. Under ?1.
 */
#define DOM_TERM_SELECT							\
	" SELECT o.code, o.name, o.kind, o.term_start, o.term_end IS NULL AS computed,"	\
	"  coalesce(o.term_end, CASE WHEN o.term_start IS NULL THEN NULL"		\
	"   WHEN substr(o.term_start, 6, 5) = '02-29'"				\
	"   THEN printf('%04d-02-28', CAST(substr(o.term_start, 1, 4) AS INTEGER) + o.years)"	\
	"   ELSE printf('%04d', CAST(substr(o.term_start, 1, 4) AS INTEGER) + o.years)"	\
	"    || substr(o.term_start, 5) END) AS term_end"				\
	" FROM (SELECT org.*, CASE WHEN kind IN ('community', 'general_branch') THEN 5"	\
	"  ELSE 3 END AS years FROM org) o"					\
	" WHERE o.kind IN ('community', 'general_branch', 'branch')"		\
	"  AND coalesce(o.dissolved, 0) = 0 AND (?1 IS NULL OR o.id IN sub)"

/* Kinds of failure. Append only. */
enum dom_fail {
	DOM_OK = 0,
	DOM_INVALID,    /* the input breaks a rule: nothing was changed */
	DOM_MISSING,    /* a required item is missing (col names it): nothing was changed */
	DOM_NOT_FOUND,  /* no such row in this replica */
	DOM_FAIL,       /* the replica could not be read or written */
};

struct dom_error {
	enum dom_fail kind;
	int col;            /* column index in the table concerned, or -1 */
	char msg[512];      /* Chinese first; never holds another row's personal data */
};

/* Reset e to "no error". */
void dom_error_clear(struct dom_error *e);
/* Fill e (col: a column of the table concerned, or -1; msg from fmt) and return -1. */
int dom_err(struct dom_error *e, enum dom_fail kind, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* dom_err with DOM_FAIL and the replica's SQLite error: the replica could not be used. */
int dom_db_err(struct replica *r, struct dom_error *e);
/*
 * A text input of at most max bytes: 0, or -1 with e naming column col of
 * table t, in the words validate.c uses for a value that is too long.
 */
int dom_bounded(int t, const char *col, const char *s, size_t max, struct dom_error *e);

/*
 * A list read as a stream (table.h): a read snapshot, so that a list read
 * twice (a text table's two passes) sees the same rows both times even if
 * another process writes in between; and SQLite's sorter allowed to spill
 * to a temporary file. The replica's connections keep temporary storage in
 * memory (common/db.c, for the speed of capture), where an ORDER BY over a
 * million members sorts every row in memory (160 MB); for the list the
 * sorter keeps a few megabytes and writes the rest to a file SQLite makes
 * 0600 and unlinks at once. When a transaction is open already, its
 * snapshot serves and nothing is changed.
 */
struct dom_snapshot {
	bool began;         /* this call began the transaction (dom_read_end ends it) */
	int temp_store;     /* PRAGMA temp_store to set back; -1 none */
};
/* Begin (s is then for dom_read_end); 0, or -1 with e filled when the replica cannot be read. */
int dom_read_begin(struct replica *r, struct dom_snapshot *s, struct dom_error *e);
/* End what dom_read_begin began, and set temp_store back. */
void dom_read_end(struct replica *r, struct dom_snapshot *s);

/*
 * The page cache of a bulk write's connection (member import), in KiB
 * (SQLite's negative cache_size). The citizen ID index (member_id_number)
 * takes rows in random order: with the default 2 MB cache, once the index
 * outgrows it nearly every row reads a page back from the file and spills
 * a dirty one into the WAL, the same pages again and again in one long
 * transaction (2 preads and 2 pwrites per row at a million members), so a
 * million rows (two files of 500,000) took 14-17 times as long as 100,000.
 * 64 MB holds that index (28 MB at a million members) and the pages the
 * other indexes append to: 10 times (linear). Pages are taken as used: a
 * small import stays small. The desk's connection has it too (domain.c).
 */
#define DOM_BULK_CACHE_KIB 65536
/*
 * Set db's page cache to kib KiB for a bulk write; *old gets the setting
 * to restore with dom_cache_restore (0: nothing changed, it was as large
 * already or unknown). A failure is not an error: the write is only slower.
 */
void dom_cache_raise(sqlite3 *db, int kib, int *old);
void dom_cache_restore(sqlite3 *db, int old);

/* Upper bound on the columns of any table (schema.c). */
#define DOM_MAX_COLS 32

/* --- values ------------------------------------------------------------- */

/*
 * Turn a person's text for column c into a value: empty text is NULL;
 * booleans take 0/1, yes/no, 是/否; enums take a code or any alias or label
 * of the vocabulary (the code is stored). v borrows text (or the
 * vocabulary's code string). 0, or -1 with e (DOM_INVALID, e->col unset).
 */
int dom_value_parse(const struct col_def *c, const char *text, Tongxin__Value *v,
    struct dom_error *e);

/*
 * The rules of a row of table t at entry, in the order the CLI has always
 * reported them: per column in schema order, a required value missing
 * (when insert) and the value's own check; then the cross-column rules
 * (validate_row). set[] marks the columns given. 0, or -1 with e.
 */
int dom_check_values(int t, const Tongxin__Value *vals, const int *set, bool insert,
    struct dom_error *e);

/*
 * What the replica itself can tell about a member's values: the citizen
 * ID is not registered to another member, the branch exists and is not
 * dissolved, and the community reported to (report_org_id) is a community
 * (社区党委 or 党总支), not dissolved. self is the member's own id on edit (NULL on add). Reads the
 * replica as it is now: call inside the write's transaction.
 */
int dom_member_replica_checks(struct replica *r, const Tongxin__Value *vals, const int *set,
    const char *self, struct dom_error *e);

/*
 * Add a member. vals (DOM_MAX_COLS entries, schema order, borrowed) and
 * set[] hold what the clerk gave; the defaults are filled in here (birth
 * date from the citizen ID, standing normal, flags 0). Inside one local
 * transaction: check the values (dom_check_values), the replica
 * (dom_member_replica_checks), insert, commit. With dry_run the same
 * checks run and the transaction is rolled back: nothing is written.
 * id_out receives the new id (not with dry_run). vals may be changed
 * (defaults). 0, or -1 with e; on -1 nothing was changed.
 */
int dom_member_add(struct replica *r, const char *operator_name, Tongxin__Value *vals, int *set,
    bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* --- editing ------------------------------------------------------------- */

/*
 * The one rule of the organisation tree: whether an organisation of kind
 * may sit directly under a parent of parent_kind (NULL: no parent, which
 * only the street has). A community's 党委 under the street; general
 * branches and branches under a community or a general branch; groups
 * under a branch.
 */
bool dom_org_kind_allowed(const char *parent_kind, const char *kind);
/* The kinds allowed under parent_kind, in the rule's order, into out; their count. */
size_t dom_org_kinds_under(const char *parent_kind, const char **out, size_t cap);

/*
 * Change the set[] columns of row id of table t to vals (schema order,
 * borrowed; an unset value clears the item). Inside one local transaction:
 * each value's own check, the member's replica checks (member), immutable
 * and required items, the cross-item rules on the row as it would be
 * (read in the transaction), the tree rules (org: the kind fits the parent
 * and the children fit the kind; a branch type only on a branch), then
 * the update and the commit. dry_run: the same checks, rolled back.
 * 0, or -1 with e (DOM_NOT_FOUND when there is no such row); on -1 nothing
 * was changed.
 */
int dom_row_edit(struct replica *r, const char *operator_name, int t, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e);
/* dom_row_edit of a member (any of the 16 items and the flags). */
int dom_member_edit(struct replica *r, const char *operator_name, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e);
/* dom_row_edit of an organisation (secretary, terms, branch type, dissolved ...). */
int dom_org_edit(struct replica *r, const char *operator_name, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e);

/* A member's life steps, each one edit of its flags. Append only. */
enum dom_member_step {
	DOM_STEP_LOST,     /* 失联: lost_contact, lost_since (default today), lost_note */
	DOM_STEP_FOUND,    /* 恢复联系: lost_contact 0, lost_since cleared */
	DOM_STEP_MOBILE,   /* 外出流动: mobile, flow_to (required) */
	DOM_STEP_RETURN,   /* 返回: mobile 0, flow_to cleared */
	DOM_STEP_REPORT,   /* 到社区报到: in_service, report_org_id (a community) */
};
/* What a step takes; NULL or "" where not given. */
struct dom_step_args {
	const char *since, *note;   /* lost */
	const char *flow_to;        /* mobile */
	const char *community_id;   /* report: an organisation id */
	/*
	 * report: the community's code when this replica does not hold it
	 * (another community of the street); used when community_id is empty.
	 */
	const char *community_code;
};
/* The step's name as the CLI and the API spell it ("lost" ...), or NULL. */
const char *dom_step_name(enum dom_member_step step);
/*
 * Take step for member id: one dom_row_edit (same transaction rules,
 * dry_run). A broken rule of the whole row names the step's own item
 * (lost_since, flow_to, report_org_id) in e->col. The report's
 * organisation must be a community (dom_member_replica_checks).
 */
int dom_member_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_member_step step, const struct dom_step_args *a, bool dry_run, struct dom_error *e);

/*
 * Add an organisation (vals/set as with dom_member_add; dissolved defaults
 * to 0, parent_id must be given). Inside one local transaction: the values,
 * not a second street, a code not in use, the parent known and not
 * dissolved, the kind allowed under the parent's kind (dom_org_kind_allowed),
 * a branch type only on a branch; insert, commit. dry_run as for members.
 * 0, or -1 with e; on -1 nothing was changed.
 */
int dom_org_add(struct replica *r, const char *operator_name, Tongxin__Value *vals, int *set,
    bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* --- reading ------------------------------------------------------------ */

/* The office's situation at a glance (首页). */
struct dom_dashboard {
	char device[65], role[16], org_code[65], org_name[256], street[256];
	int64_t last_contact_ms;       /* 0: never */
	int64_t pending_txns, pending_changes;
	int64_t members, branches;
	int64_t conflicts_open;        /* this device's changes in conflict, not yet settled */
	int64_t conflicts_settled;     /* ... settled by the street */
	int64_t rejected;              /* this device's changes the server refused */
	int64_t overdue_items;         /* problem items past due and not closed out */
	int64_t terms_expiring;        /* committees whose term ended or ends within 6 months */
	int64_t branches_behind;       /* branches short of 三会一课 this year so far */
};
int dom_dashboard(struct replica *r, const char *today, struct dom_dashboard *d,
    struct dom_error *e);

/* One answer of the server to a change this device made. */
struct dom_outcome {
	int64_t seq;
	const char *status;        /* applied, merged, conflict, rejected */
	const char *reason;        /* may be NULL */
	const char *conflict_id;   /* may be NULL */
	const char *resolution;    /* what the street decided, may be NULL */
	int64_t at_ms;
};
/*
 * Answers to this device's changes with seq in [from, to] (to < 0: no
 * upper bound), newest first, at most limit; with problems_only only
 * conflicts, rejections and noted decisions.
 */
int dom_outcomes(struct replica *r, int64_t from, int64_t to, bool problems_only, int limit,
    void (*each)(const struct dom_outcome *o, void *arg), void *arg, struct dom_error *e);
/* The local sequence numbers waiting in the outbox: count, lowest, highest (0 when none). */
int dom_outbox_span(struct replica *r, int64_t *count, int64_t *lo, int64_t *hi,
    struct dom_error *e);

/* The roster's question. */
struct dom_member_query {
	const char *text;      /* part of a name, citizen ID (prefix), branch name or code; NULL/"" all */
	const char *org_id;    /* only this organisation's members; NULL all */
	int offset, limit;     /* limit 1..200 */
};
/* One line of the roster. */
struct dom_member_row {
	const char *id, *name, *gender, *id_number, *category, *org_id, *org_name, *join_date,
	    *phone, *standing;
	bool lost_contact, mobile, retired, in_service, relocated;
};
/*
 * A page of the roster, ordered by name then id, and the number of members
 * that match (*total). A search's count stops at a cap (1,000): then
 * *at_least is set and *total is a lower bound. Every part of a search is
 * answered from an index (see domain.c), not by reading every member.
 */
int dom_member_page(struct replica *r, const struct dom_member_query *q,
    void (*each)(const struct dom_member_row *m, void *arg), void *arg, int64_t *total,
    bool *at_least, struct dom_error *e);

/*
 * One member: every column in schema order into vals (DOM_MAX_COLS entries;
 * clear each with value_clear), and the names of the branch and of the
 * community reported to (may be ""). DOM_NOT_FOUND when absent.
 */
int dom_member_get(struct replica *r, const char *id, Tongxin__Value *vals,
    char org_name[256], char report_org_name[256], struct dom_error *e);

/*
 * One organisation, with the members directly in it (every member record,
 * as tongxin org tree counts them; answered from the org_id index).
 */
struct dom_org_row {
	const char *id, *parent_id, *code, *name, *kind, *branch_type, *secretary;
	const char *term_start, *term_end;
	bool dissolved;
	int64_t members;
};
/* Every organisation in the replica, by code. */
int dom_org_list(struct replica *r, void (*each)(const struct dom_org_row *o, void *arg),
    void *arg, struct dom_error *e);

/*
 * The local objects the roster's search needs on a large replica: a
 * covering index in name order and the names' one- and two-character
 * pieces, kept by triggers (domain.c). Idempotent; the desk calls it at
 * start (and the roster, when they are missing). Not part of the synced
 * schema nor its hash: a replica without them works the same, only slower.
 */
int dom_prepare_indexes(struct replica *r, struct dom_error *e);

#endif
