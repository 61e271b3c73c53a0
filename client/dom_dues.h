/*
 * dom_dues.h - 党费 (Party dues) for both front ends: the CLI (cmd_dues.c,
 * tongxin dues) and the desk (web_api_dues.c). A member's dues class and
 * monthly base (member.dues_class, member.dues_base in fen), the monthly
 * amount by the 党费收缴 rules (common/dues.h), one payment per member and
 * month (dues_payment, period "<member_id>/<YYYY-MM>": the same month paid
 * at two offices is a conflict for the street, never a second payment),
 * the month's list and the arrears report. The rules, the SQL and the
 * messages live here once.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error (kind, the
 * column concerned or -1, a Chinese-first message); list rows are handed
 * to a callback and their strings live only during the call; every write
 * checks its rules inside its own local transaction (BEGIN IMMEDIATE) and
 * a refused write changes nothing; dry_run runs the same checks and rolls
 * back. Amounts are fen (int64); people give and read yuan with two
 * decimals (dom_yuan_parse, dom_yuan_text).
 *
 * Who owes dues: a member on the books in normal standing (dom_report.h's
 * DOM_MEMBER_COUNTED: not reduced, not expelled or deceased, not 停止党籍),
 * from the month of joining (预备党员 pay as full members do). A member who
 * left (left_reason set) pays nothing: a payment for him is refused.
 */
#ifndef TX_DOM_DUES_H
#define TX_DOM_DUES_H

#include "domain.h"

/* The longest month list and arrears report (members); more are counted, not listed. */
#define DOM_DUES_MAX_ROWS 20000
/* How far back arrears are counted (months): a member unpaid longer shows this many and more. */
#define DOM_DUES_MAX_MONTHS 240
/* Bounds of what the clerk types: a yuan amount, a name, a note. */
#define DOM_DUES_YUAN_MAX 16
#define DOM_DUES_BY_MAX 100
#define DOM_DUES_NOTE_MAX 500
/* The most one payment may be, in fen (the row rule's bound: 100,000 yuan). */
#define DOM_DUES_AMOUNT_MAX 10000000
/* Arrears flags: consecutive unpaid months for a warning (提醒) and for the 党章's threshold. */
#define DOM_DUES_WARN_MONTHS 3
#define DOM_DUES_CHARTER_MONTHS 6

/*
 * Parse yuan text ("45", "45.5", "45.50", "0.20") into fen: digits, at
 * most two decimals, at most DOM_DUES_YUAN_MAX bytes. 0; -1 not an amount;
 * -2 an amount above 10,000,000 yuan (DUES_BASE_MAX fen).
 */
int dom_yuan_parse(const char *s, int64_t *fen);
/* fen as yuan with two decimals ("45.00", "-1.50"); returns out. */
char *dom_yuan_text(int64_t fen, char out[32]);
/* Whether s is a month YYYY-MM from 1900-01 on. */
bool dom_month_valid(const char *s);
/* This month, YYYY-MM (local time). */
void dom_month_now(char out[8]);
/* The month n months after m (n may be negative), YYYY-MM. */
void dom_month_add(const char *m, int n, char out[8]);

/* --- a member's class and base ------------------------------------------------ */

/*
 * Set member id's dues class (dues_class: a code, label or alias: 在岗职工,
 * retired, 学生 ...) and base (yuan text: the monthly wage or pension after
 * tax for salaried and retired members, required; a farmer's chosen amount
 * 0.2..1 元, required; none for the fixed 0.2 元 classes, whose base is
 * cleared and a given one refused). In one local transaction: the member is
 * in this replica and has not left, the member's row rules (validate.c)
 * hold. *monthly receives the month's amount in fen (may be NULL). Columns
 * named by e->col are the member's. 0, or -1 with e; on -1 nothing changed.
 */
int dom_dues_set(struct replica *r, const char *operator_name, const char *id, const char *cls,
    const char *base_yuan, bool dry_run, int64_t *monthly, struct dom_error *e);

/* A member's dues as the replica holds them. */
struct dom_dues_member {
	char cls[17];        /* dues_class code, "" when not set */
	int64_t base;        /* fen, -1 when not set */
	int64_t monthly;     /* fen by the rules, -1 when it cannot be computed (no class) */
	int rate_bp;         /* the share in per ten thousand; 0 for the fixed classes */
	char join_month[8];  /* YYYY-MM of joining, "" when unknown */
	bool left;           /* reduced (left_reason set) or not in normal standing */
};
/* Member id's dues; DOM_NOT_FOUND when the replica does not hold him. */
int dom_dues_member(struct replica *r, const char *id, struct dom_dues_member *d,
    struct dom_error *e);

/* --- payments ---------------------------------------------------------------- */

/* A payment as the clerk gives it; strings borrowed, NULL or "" when not given. */
struct dom_dues_pay {
	const char *month;     /* YYYY-MM; required */
	const char *amount;    /* yuan; default the month's amount by the rules */
	const char *paid_on;   /* YYYY-MM-DD; default today */
	const char *by;        /* 收缴人 */
	const char *note;
};

/*
 * Record member id's payment for a month, in one local transaction: the
 * member is in this replica, has not left and is in normal standing; the
 * month is valid, not before the month he joined and at most a year ahead;
 * no payment of this month is in the replica already (DOM_INVALID naming
 * the one there); the amount given or computed (DOM_MISSING when neither:
 * no class set); the row's rules (validate.c: the period, paid_on not in
 * the future, the amount's bounds). Columns named by e->col are
 * dues_payment's. id_out (may be NULL) gets the new row's id and *amount
 * (may be NULL) the fen recorded. 0, or -1 with e; on -1 nothing changed.
 */
int dom_dues_pay(struct replica *r, const char *operator_name, const char *id,
    const struct dom_dues_pay *p, bool dry_run, char id_out[ID_TEXT_LEN + 1], int64_t *amount,
    struct dom_error *e);

/*
 * Correct member id's recorded payment of p->month (a wrong amount, date,
 * collector or note): the items given in p replace the recorded ones
 * (amount in yuan; "" leaves an item as it is). In one local transaction:
 * the payment is in this replica (DOM_NOT_FOUND otherwise), the row's rules
 * hold as it would be. The member may have left since: the record stays
 * his. *amount (may be NULL) gets the fen now recorded. 0, or -1 with e.
 */
int dom_dues_fix(struct replica *r, const char *operator_name, const char *id,
    const struct dom_dues_pay *p, bool dry_run, int64_t *amount, struct dom_error *e);

/* What dom_dues_pay_all did. */
struct dom_dues_batch {
	int64_t paid;        /* payments recorded */
	int64_t amount;      /* their sum, fen */
	int64_t already;     /* members who had paid the month already */
	int64_t no_class;    /* members skipped: no dues class set */
};

/*
 * Record the month's payment, at its computed amount, for every member
 * who owes dues that month (in normal standing, joined by then) under
 * org_code's subtree (NULL or "": the whole replica) and has not paid it:
 * one local transaction, all or nothing. Members without a dues class are
 * skipped and counted. paid_on and by as for dom_dues_pay. 0 with b, or
 * -1 with e (nothing changed).
 */
int dom_dues_pay_all(struct replica *r, const char *operator_name, const char *month,
    const char *org_code, const char *paid_on, const char *by, bool dry_run,
    struct dom_dues_batch *b, struct dom_error *e);

/* --- the month's list -------------------------------------------------------- */

/* One member's line of a month. */
struct dom_dues_row {
	const char *member_id, *name, *org_code, *org_name;
	const char *cls;          /* NULL when not set */
	int64_t base;             /* fen, -1 when not set */
	int64_t monthly;          /* fen by the rules, -1 when no class */
	bool owes;                /* owes dues this month (on the books, normal standing, joined) */
	/* The payment of the month, when there is one (payment_id NULL otherwise). */
	const char *payment_id, *paid_on, *received_by, *note;
	int64_t amount;           /* fen, 0 when unpaid */
};

/* The month's totals. */
struct dom_dues_totals {
	int64_t members;          /* lines that owe dues */
	int64_t paid, unpaid;     /* of those, paid and not */
	int64_t no_class;         /* of those, without a class */
	int64_t due;              /* fen: the sum of monthly amounts of those with a class */
	int64_t received;         /* fen: the sum of the month's payments listed */
	bool more;                /* more than DOM_DUES_MAX_ROWS lines: the rest not listed */
};

/*
 * The month's list under org_code's subtree (NULL/"": the whole replica),
 * by branch code, name, id: every member who owes dues that month, and
 * whoever else paid it (a member who left since). DOM_NOT_FOUND for an
 * unknown organisation, DOM_INVALID for a bad month.
 */
int dom_dues_month(struct replica *r, const char *month, const char *org_code,
    void (*each)(const struct dom_dues_row *row, void *arg), void *arg,
    struct dom_dues_totals *t, struct dom_error *e);

/* One month of a member's record (dom_dues_history). */
struct dom_dues_month_row {
	const char *month;
	bool owes;               /* the member owed dues that month (joined by then) */
	const char *payment_id, *paid_on, *received_by, *note;   /* NULL when unpaid */
	int64_t amount;
};
/*
 * Member id's last n months (1..24) up to and including month (NULL: this
 * month), newest first. DOM_NOT_FOUND when the replica does not hold him.
 */
int dom_dues_history(struct replica *r, const char *id, const char *month, int n,
    void (*each)(const struct dom_dues_month_row *row, void *arg), void *arg,
    struct dom_error *e);

/* --- arrears ------------------------------------------------------------------- */

/* How far a member is behind. */
enum dom_dues_flag {
	DOM_DUES_BEHIND = 0,    /* 1 or 2 months */
	DOM_DUES_WARNING,       /* DOM_DUES_WARN_MONTHS and more: 提醒 */
	DOM_DUES_CHARTER,       /* DOM_DUES_CHARTER_MONTHS and more: the 党章's threshold */
};
/* The flag's code ("behind", "warning", "charter") and its Chinese sentence. */
const char *dom_dues_flag_code(enum dom_dues_flag f);
const char *dom_dues_flag_text(enum dom_dues_flag f);

/* One member in arrears. */
struct dom_arrears_row {
	const char *member_id, *name, *org_code, *org_name;
	const char *cls;          /* NULL: no class set (listed apart) */
	int64_t monthly;          /* fen, -1 when no class */
	int months;               /* consecutive unpaid months up to the month before as-of */
	bool capped;              /* months stopped at DOM_DUES_MAX_MONTHS: at least that many */
	const char *from, *to;    /* the first and last unpaid month, YYYY-MM */
	int64_t owed;             /* fen: months x monthly (by today's rate), -1 when no class */
	enum dom_dues_flag flag;
};

/*
 * Members behind with their dues as of month as_of (NULL/"": this month):
 * for each member who owes dues, the consecutive months without a payment
 * counted back from the month before as_of, not before the month he
 * joined; only those with at least one. Members with a class first (most
 * months first, then branch and name), then those without a class
 * (listed apart). Under org_code's subtree (NULL/"": the whole replica).
 * *more (may be NULL) is set when rows were left out (DOM_DUES_MAX_ROWS).
 */
int dom_dues_arrears(struct replica *r, const char *as_of, const char *org_code,
    void (*each)(const struct dom_arrears_row *row, void *arg), void *arg, bool *more,
    struct dom_error *e);

#endif
