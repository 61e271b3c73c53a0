/*
 * dom_report.h - the reports (报表) and the street's cross-office checks
 * (核对) on the local replica, typed, for every front end: tongxin report
 * and tongxin reconcile (cmd_report.c, cmd_reconcile.c) and the desk
 * (web_api_report.c). One query per figure: the CLI, the desk's JSON and
 * the desk's CSV downloads all read the same rows from the functions here.
 *
 * Conventions of domain.h: 0, or -1 with a struct dom_error (DOM_INVALID
 * for a bad option, DOM_NOT_FOUND for an unknown organisation, DOM_FAIL for
 * the replica); rows go to a callback one at a time, and the strings in a
 * row are valid only during the call. Nothing here writes.
 *
 * The reports as tables (dom_*_table): the same rows laid out as the CLI
 * prints them (struct table, table.h), so that `tongxin report X --csv`
 * and the desk's /api/report/X.csv are one CSV, written by the one CSV
 * writer. text selects the cells people read on a terminal (labels,
 * "未达标 short") over the machine form ("short", item ids).
 */
#ifndef TX_DOM_REPORT_H
#define TX_DOM_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"

struct table;

/*
 * Who is a member (alias m), defined once for every front end:
 *
 * DOM_MEMBER_ACTIVE - on the books (在册): not reduced (党员减少). A member
 * whose left_reason is set (death, withdrawal, removal, expulsion) or whose
 * standing is expelled or deceased has left; the record stays in history
 * (member list --all, member show) but in no list or figure. The roster
 * and member list show the active members.
 *
 * DOM_MEMBER_COUNTED - an active member in normal standing (党籍正常): the
 * members every count is made of (org tree/list, profile, compliance's
 * branch sizes, inactive, branch size warnings). A suspended member (停止
 * 党籍) is on the books but has, while suspended, no part in the figures.
 */
#define DOM_MEMBER_ACTIVE						\
	"(m.left_reason IS NULL"					\
	" AND coalesce(m.standing, 'normal') NOT IN ('expelled', 'deceased'))"
#define DOM_MEMBER_COUNTED						\
	"(" DOM_MEMBER_ACTIVE " AND coalesce(m.standing, 'normal') = 'normal')"

/* Where and as of which day a report looks. */
struct dom_report_scope {
	char org_id[ID_TEXT_LEN + 1];   /* the subtree's root; "" for the whole replica */
	char org_code[65];              /* as given; "" for the whole replica */
	char org_name[256];             /* its name, for titles ("" when whole) */
	char as_of[11];                 /* the day the report is computed for, YYYY-MM-DD */
};

/*
 * Resolve a report's scope: org_code NULL or "" means the whole replica,
 * else an organisation of the replica (DOM_NOT_FOUND: 未知组织 ...); as_of
 * NULL or "" means today, else a valid YYYY-MM-DD (DOM_INVALID).
 */
int dom_report_scope(struct replica *r, const char *org_code, const char *as_of,
    struct dom_report_scope *s, struct dom_error *e);
/* The scope as people read it: "第一社区 (SQ01)" or "本副本全部组织 whole replica". */
void dom_report_scope_text(const struct dom_report_scope *s, char *buf, size_t cap);

/*
 * A share of n in total in tenths of a percent, rounded half up with
 * integer arithmetic (1 in 16 is 63, i.e. 6.3%, on every machine); -1
 * when total is 0. dom_share_text writes it as "6.3%" ("-" for -1).
 */
int64_t dom_share_tenths(int64_t n, int64_t total);
void dom_share_text(int64_t n, int64_t total, char *buf, size_t cap);

/* --- 党员队伍结构 profile ---------------------------------------------- */

enum { DOM_PROFILE_N = 12 };
/* The profile's figures in the order shown: an id, a Chinese label, an English note. */
struct dom_profile_item {
	const char *id, *label, *note;
};
extern const struct dom_profile_item dom_profile_items[DOM_PROFILE_N];
/*
 * The profile of the members counted (DOM_MEMBER_COUNTED) under the scope,
 * in the order of dom_profile_items: n[0] the total, then the shares
 * street reports quote - women, ethnic minorities (not 汉族), aged 35 or
 * under and aged 60 or over on as_of (by birthdays, 29 February counting as
 * 28 February), college or above (大学专科 and higher), junior high or below,
 * retired, relocated, mobile, lost contact, probationary. One query.
 */
int dom_report_profile(struct replica *r, const struct dom_report_scope *s,
    int64_t n[DOM_PROFILE_N], struct dom_error *e);
int dom_profile_table(struct replica *r, const struct dom_report_scope *s, bool text,
    struct table **out, struct dom_error *e);

/* --- 三会一课 compliance ------------------------------------------------ */

enum { DOM_LIFE_N = 5, DOM_CYCLES_MAX = 12 };
/* The required kinds (meeting_kind codes) in display order. */
extern const char *const dom_life_kinds[DOM_LIFE_N];

/* What a person asks: 0 for an item not given. */
struct dom_compliance_query {
	int year;            /* 1900..9999; default the year of as_of */
	int month;           /* 1..12, or */
	int quarter;         /* 1..4; neither: the year when year was given, else as_of's quarter */
	int lecture_months;  /* 党课 every N months, N dividing 12; default 3 */
};
/* The period the report covers, resolved from a query and the scope's date. */
struct dom_compliance_period {
	int year, month, quarter, lecture_months;   /* month/quarter 0 when not that kind */
	char start[11], end[11];                    /* first and last day */
	char label[16];                             /* "2024-05", "2024-Q2" or "2024" */
};
/* Check q and resolve it (DOM_INVALID, naming the item, when out of range). */
int dom_compliance_period(const struct dom_compliance_query *q, const char *as_of,
    struct dom_compliance_period *p, struct dom_error *e);

/*
 * Each branch's size, as CTEs (after WITH or a comma): bo(oid, bid) maps a
 * branch and each of its Party groups to the branch; bn(bid, members, full,
 * probationary) counts the branch's members (DOM_MEMBER_COUNTED, its groups'
 * included) and of them the full and the probationary ones. A branch with
 * no counted member has no row in bn.
 */
#define DOM_BRANCH_SIZES_CTE						\
	"bo(oid, bid) AS (SELECT id, id FROM org WHERE kind = 'branch'"		\
	"  UNION ALL SELECT id, parent_id FROM org WHERE kind = 'group'),"	\
	" bn(bid, members, full, probationary) AS (SELECT bo.bid, count(*),"	\
	"  sum(m.category = 'full'), sum(m.category = 'probationary')"		\
	"  FROM member m JOIN bo ON bo.oid = m.org_id WHERE " DOM_MEMBER_COUNTED	\
	"  GROUP BY bo.bid)"
/*
 * A branch's size rules (党章 第三十条, 支部工作条例): a branch is set up with 3
 * or more full members, and one of over 50 members is to be divided (a
 * general branch with branches under it). Findings of reconcile and report
 * branches.
 */
#define DOM_BRANCH_MIN_FULL 3
#define DOM_BRANCH_MAX_MEMBERS 50

/*
 * 三会一课 as this report reads the rules, as a CTE up to req(bid, kind, cs,
 * label, due, n): one row per branch, kind and cycle of the period that the
 * branch owes, whether the cycle is due (it ended by the date ?6) and the
 * meetings held in it. ?1 org or NULL, ?2 year, ?3 and ?4 the period, ?5
 * the Party lecture's months, ?6 the date. br(id, code, name, founded_on,
 * has_groups, members, full) holds each branch's counted members
 * (DOM_MEMBER_COUNTED, its groups' included) and of them the full members.
 * What a branch owes (支部工作条例):
 *   - nothing when it has no counted members (it is not flagged);
 *   - 支委会 monthly only with 7 or more full members (a smaller branch has
 *     no committee, only a secretary);
 *   - 党小组会 monthly only when it has Party groups (their meetings count);
 *   - 党员大会 quarterly, 主题党日 monthly, 党课 every ?5 months;
 *   - no cycle that began before the branch was founded.
 * Cycles are aligned to the calendar year. A cycle is due once it has ended
 * (its last day on or before the date): a quarter's general meeting is not
 * due before the quarter's last month is over. Only meetings held by the
 * date count; one held in a cycle not yet ended meets it early (the report
 * counts it as due and covered). The dashboard's count of branches behind
 * is "SELECT count(DISTINCT bid) FROM req WHERE due AND n = 0".
 */
#define DOM_REPORT_COMPLIANCE_CTE DOM_SUBTREE_CTE ","				\
	" kinds(kind, len, ord) AS (VALUES ('committee_meeting', 1, 1), ('group_meeting', 1, 2),"\
	"  ('general_meeting', 3, 3), ('party_lecture', ?5, 4), ('theme_day', 1, 5)),"	\
	" mon(m) AS (SELECT 1 UNION ALL SELECT m + 1 FROM mon WHERE m < 12),"		\
	" cyc(kind, cs, ce, label) AS (SELECT k.kind, printf('%04d-%02d-01', ?2, mon.m),"	\
	"  date(printf('%04d-%02d-01', ?2, mon.m), printf('+%d months', k.len), '-1 day'),"	\
	"  CASE k.len WHEN 1 THEN printf('%04d-%02d', ?2, mon.m)"			\
	"   WHEN 3 THEN printf('%04d-Q%d', ?2, (mon.m + 2) / 3)"			\
	"   WHEN 12 THEN printf('%04d', ?2)"						\
	"   ELSE printf('%04d-%02d~%02d', ?2, mon.m, mon.m + k.len - 1) END"		\
	"  FROM kinds k JOIN mon ON (mon.m - 1) % k.len = 0),"				\
	" " DOM_BRANCH_SIZES_CTE ","							\
	" br(id, code, name, founded_on, has_groups, members, full) AS (SELECT o.id, o.code,"\
	"  o.name, o.founded_on, EXISTS (SELECT 1 FROM org g WHERE g.parent_id = o.id"	\
	"   AND g.kind = 'group' AND coalesce(g.dissolved, 0) = 0),"			\
	"  coalesce(bn.members, 0), coalesce(bn.full, 0)"				\
	"  FROM org o LEFT JOIN bn ON bn.bid = o.id"					\
	"  WHERE o.kind = 'branch' AND coalesce(o.dissolved, 0) = 0"			\
	"  AND (?1 IS NULL OR o.id IN sub)),"						\
	" mown(bid, kind, held_on) AS (SELECT mt.org_id, mt.kind, mt.held_on FROM meeting mt"\
	"  WHERE mt.held_on >= ?3 AND mt.held_on <= ?4 AND mt.held_on <= ?6"		\
	"  UNION ALL SELECT g.parent_id, mt.kind, mt.held_on FROM meeting mt"		\
	"  JOIN org g ON g.id = mt.org_id WHERE g.kind = 'group' AND mt.kind = 'group_meeting'"\
	"  AND mt.held_on >= ?3 AND mt.held_on <= ?4 AND mt.held_on <= ?6),"		\
	" req(bid, kind, cs, label, due, n) AS (SELECT br.id, c.kind, c.cs, c.label,"	\
	"  c.ce <= ?6, count(m.bid)"							\
	"  FROM br JOIN cyc c ON c.cs >= ?3 AND c.ce <= ?4"				\
	"  LEFT JOIN mown m ON m.bid = br.id AND m.kind = c.kind"			\
	"   AND m.held_on >= c.cs AND m.held_on <= c.ce"				\
	"  WHERE br.members > 0"							\
	"  AND (c.kind <> 'group_meeting' OR br.has_groups)"				\
	"  AND (c.kind <> 'committee_meeting' OR br.full >= " DOM_COMMITTEE_MIN_FULL_SQL ")"\
	"  AND (br.founded_on IS NULL OR br.founded_on <= c.cs)"			\
	"  GROUP BY br.id, c.kind, c.cs)"
/* A branch elects a committee (支部委员会) with 7 or more full members. */
#define DOM_COMMITTEE_MIN_FULL 7
#define DOM_COMMITTEE_MIN_FULL_SQL "7"

/* One cycle of one kind: its label ("2024-05", "2024-Q2") and the meetings held. */
struct dom_cycle {
	char label[16];
	int64_t held;
};
/* A branch's result for the period. Append only: the codes are in CSV and JSON. */
enum dom_life_state {
	DOM_LIFE_OK,          /* something was due, and every due cycle had a meeting (达标) */
	DOM_LIFE_SHORT,       /* some due cycle had no meeting (未达标) */
	DOM_LIFE_NOT_DUE,     /* owes cycles of the period, none ended yet (尚未到期) */
	DOM_LIFE_NONE,        /* owes nothing in the period (founded after it) (无要求) */
	DOM_LIFE_NO_MEMBERS,  /* no counted members: owes nothing, not flagged (无党员) */
};
/* The state's code ("ok", "short", "not_due", "none", "no_members") and Chinese label. */
const char *dom_life_state_code(enum dom_life_state st);
const char *dom_life_state_label(enum dom_life_state st);
/* One branch's figures for the period. */
struct dom_compliance_row {
	const char *id, *code, *name;
	int64_t members, full;            /* counted members (groups included), full ones */
	struct {
		int required, covered;        /* cycles due, and those with a meeting */
		int pending;                  /* cycles owed in the period, not yet ended */
		int ncycles;                  /* == required, at most DOM_CYCLES_MAX */
		struct dom_cycle cycle[DOM_CYCLES_MAX];
	} kind[DOM_LIFE_N];
	bool short_;                      /* some due cycle had no meeting (未达标) */
	enum dom_life_state state;
	const char *missing;              /* "支委会 2024-05; 主题党日 2024-05 2024-06" */
	const char *pending;              /* not yet due: "党员大会 2024-Q2; 党课 2024-Q2" */
};
/*
 * Every branch (not dissolved) under the scope, by code, by the rules of
 * DOM_REPORT_COMPLIANCE_CTE. *nbranches and *nshort (either may be NULL)
 * count the branches and those short.
 */
int dom_report_compliance(struct replica *r, const struct dom_report_scope *s,
    const struct dom_compliance_period *p,
    void (*each)(const struct dom_compliance_row *b, void *arg), void *arg,
    int *nbranches, int *nshort, struct dom_error *e);
/*
 * Whether anything of the period has come due by as_of: the first month
 * of the period has ended (every branch with members owes a 主题党日 each
 * month). false: 本月/本季度/本年尚未到期.
 */
bool dom_compliance_any_due(const struct dom_compliance_period *p, const char *as_of);
/*
 * The period's cycles not yet ended on as_of, per kind, as people read
 * them ("党员大会 2024-Q2; 党课 2024-Q2"); "" when everything has ended.
 * Which of them a branch owes depends on the branch (its row's pending).
 */
void dom_compliance_pending(const struct dom_compliance_period *p, const char *as_of,
    char *buf, size_t cap);
/* The table, and with text a second one (*shorts) of the branches short; else *shorts NULL. */
int dom_compliance_table(struct replica *r, const struct dom_report_scope *s,
    const struct dom_compliance_period *p, bool text, struct table **out,
    struct table **shorts, int *nbranches, int *nshort, struct dom_error *e);

/* --- 支部规模 branches ------------------------------------------------------ */

/* A branch (not dissolved) and its size. */
struct dom_branch_row {
	const char *id, *code, *name, *parent_code, *parent_name;
	int64_t members, full, probationary, groups;
	bool committee;              /* 7+ full members: a 支委会 is elected */
	bool too_big, too_small;     /* over DOM_BRANCH_MAX_MEMBERS; under DOM_BRANCH_MIN_FULL full */
};
/*
 * Every branch under the scope (not dissolved), by code, with its counted
 * members (groups included), full and probationary members, its groups,
 * and the size warnings. *nwarn (may be NULL) counts the branches warned.
 */
int dom_report_branches(struct replica *r, const struct dom_report_scope *s,
    void (*each)(const struct dom_branch_row *b, void *arg), void *arg, int *nwarn,
    struct dom_error *e);
/*
 * A branch's warnings in Chinese ("党员超过50人（51人），应分设 ..."), ""
 * when none; the same sentences reconcile gives.
 */
void dom_branch_warning(const struct dom_branch_row *b, char *buf, size_t cap);
int dom_branches_table(struct replica *r, const struct dom_report_scope *s, bool text,
    struct table **out, int *nwarn, struct dom_error *e);

/* --- 不活跃党员 inactive -------------------------------------------------- */

/* A member counted (DOM_MEMBER_COUNTED) who took no part in any meeting in the window. */
struct dom_inactive_row {
	const char *member_id, *name, *branch_code, *branch_name;
	const char *last_attended;   /* NULL: never */
	int64_t days_since;          /* days from the last meeting to as_of; -1 never */
	const char *note;            /* "流动 失联 预备" as applies, may be "" */
};
/*
 * Members under the scope who took no part in any meeting in the months to
 * as_of (1..120): none in (as_of - months, as_of]. Taking part is being
 * present or excused (请假): 党章 第九条 counts only absence without good
 * reason against a member, so only absent or no record at all. Ordered by branch
 * code, those never present first, then the longest absent. *members is
 * the number of members in the scope; since receives the window's edge.
 */
int dom_report_inactive(struct replica *r, const struct dom_report_scope *s, int months,
    void (*each)(const struct dom_inactive_row *m, void *arg), void *arg, int64_t *members,
    char since[11], struct dom_error *e);
int dom_inactive_table(struct replica *r, const struct dom_report_scope *s, int months,
    bool text, struct table **out, int64_t *members, char since[11], struct dom_error *e);
/*
 * The same as a stream (table.h): the table with its columns and no rows
 * (NULL: out of memory), and the rows added to t, which may be streaming
 * (text: "从未 never" for no meeting). dom_inactive_table is the two.
 */
struct table *dom_inactive_table_new(void);
int dom_inactive_fill(struct replica *r, const struct dom_report_scope *s, int months, bool text,
    struct table *t, int64_t *members, char since[11], struct dom_error *e);

/* --- 逾期清单 overdue ------------------------------------------------------ */

/* A problem item past its due date and not closed out. */
struct dom_overdue_row {
	const char *id, *org_code, *org_name, *title, *due_on;
	const char *status;          /* item_status code */
	const char *claimed_by;      /* may be NULL */
	int64_t days_overdue;
};
/* Most overdue first. */
int dom_report_overdue(struct replica *r, const struct dom_report_scope *s,
    void (*each)(const struct dom_overdue_row *i, void *arg), void *arg, struct dom_error *e);
int dom_overdue_table(struct replica *r, const struct dom_report_scope *s, bool text,
    struct table **out, struct dom_error *e);

/* --- 换届提醒 terms ---------------------------------------------------------- */

/* A committee whose term ended or ends by the horizon (see DOM_TERM_SELECT). */
struct dom_term_row {
	const char *code, *name, *kind, *term_start, *term_end;
	bool computed;               /* term_end computed from the start (推算) */
	bool overdue;                /* ended before as_of */
	int64_t days;                /* days past the end when overdue, else days left */
};
/*
 * Committees under the scope whose term ends within months (0..120) of
 * as_of or has ended, by end date. until receives the horizon; *unknown
 * (may be NULL) the committees with no term dates recorded.
 */
int dom_report_terms(struct replica *r, const struct dom_report_scope *s, int months,
    void (*each)(const struct dom_term_row *t, void *arg), void *arg, char until[11],
    int64_t *unknown, struct dom_error *e);
int dom_terms_table(struct replica *r, const struct dom_report_scope *s, int months, bool text,
    struct table **out, int *noverdue, int64_t *unknown, char until[11], struct dom_error *e);

/* --- 党员花名册 roster ------------------------------------------------------ */

/* A member with the national form's items (stored values; enums as codes). */
struct dom_roster_row {
	const char *id, *org_code, *org_name;
	const char *name, *gender, *ethnicity, *id_number, *birth_date, *education, *category;
	const char *join_date, *full_date, *job, *phone, *address, *standing;
	bool lost_contact, mobile, retired, in_service, relocated;
	const char *lost_since, *flow_to;
};
/*
 * The members on the books under the scope (DOM_MEMBER_ACTIVE: in normal
 * standing or suspended, 停止党籍, shown as such; not those who left, 党员减少)
 * by organisation code and name; at most limit rows (1..DOM_ROSTER_MAX).
 */
enum { DOM_ROSTER_MAX = 20000 };
int dom_report_roster(struct replica *r, const struct dom_report_scope *s, int limit,
    void (*each)(const struct dom_roster_row *m, void *arg), void *arg, struct dom_error *e);
/* The roster in the national form's columns (序号, 姓名, 性别, ... 备注). */
int dom_roster_table(struct replica *r, const struct dom_report_scope *s, struct table **out,
    struct dom_error *e);
/* The same as a stream (table.h): the columns only (NULL: out of memory), then the rows into t. */
struct table *dom_roster_table_new(void);
int dom_roster_fill(struct replica *r, const struct dom_report_scope *s, struct table *t,
    struct dom_error *e);

/* --- 核对 reconcile ---------------------------------------------------------- */

/* A finding of the street's checks: which check, the organisation, the record, why. */
struct dom_finding {
	const char *check, *organisation, *record, *detail;
};
/*
 * The cross-office checks of tongxin reconcile on this replica as of today
 * (active members - DOM_MEMBER_ACTIVE - in dissolved or non-branch
 * organisations, past their probation year, lost contact 6+ months;
 * transfers waiting 30+ days, committees without a secretary, attendance
 * of unknown members, member records that fail a rule, branches over 50
 * members or under 3 full members). *n (may be NULL) counts the findings.
 */
int dom_reconcile(struct replica *r, const char *today,
    void (*each)(const struct dom_finding *f, void *arg), void *arg, int64_t *n,
    struct dom_error *e);
int dom_reconcile_table(struct replica *r, const char *today, struct table **out, int64_t *n,
    struct dom_error *e);

#endif
