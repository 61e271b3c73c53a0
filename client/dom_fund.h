/*
 * dom_fund.h - 服务群众专项经费 (service funds) for both front ends: the CLI
 * (cmd_fund.c) and, later, the desk (docs/cobuilding.md).
 *
 * A community has one budget a year (fund_budget, budget_key ORG_ID/YYYY:
 * a second is refused here, and two offices that each write one meet as a
 * unique conflict on the server) and spending entries (fund_spending:
 * date, purpose, amount, approver, the item or wish it paid for). Amounts
 * are kept in fen and given and shown in 元 with two decimals.
 *
 * Spending beyond the year's budget (or with no budget) is written and
 * reported (over, below), not refused: the entry records money already
 * paid out, and refusing it would keep the overspending out of the books
 * and out of the disclosure (党务公开), which must show it.
 *
 * Conventions are domain.h's: 0 or -1 with a struct dom_error; rows are
 * handed to a callback and their strings live only during the call; every
 * write checks its rules inside its own local transaction.
 */
#ifndef TX_DOM_FUND_H
#define TX_DOM_FUND_H

#include "domain.h"

/* Bounds of what the clerk types (the schema's column sizes). */
#define DOM_FUND_PURPOSE_MAX 500
#define DOM_FUND_APPROVER_MAX 100
#define DOM_FUND_NOTE_MAX 500

/*
 * Yuan as clerks write it ("50", "49.90", "50元") into fen: dom_yuan_parse
 * (dom_dues.h) after an optional trailing 元. 0; -1 not an amount; -2 too
 * large. The one place that strips the 元 (dom_wish.c has its own copy of
 * these lines and should call this).
 */
int dom_yuan_given(const char *s, int64_t *fen);

/* A year's budget. */
struct dom_fund_budget_req {
	const char *org_id;   /* a community's id; NULL or "": this device's own */
	const char *year;     /* YYYY (required) */
	const char *amount;   /* 元 (required) */
	const char *date;     /* approved_on; NULL or "": today */
	const char *note;
};
/* fund budget: refused when the community has one for the year already. */
int dom_fund_budget(struct replica *r, const char *operator_name,
    const struct dom_fund_budget_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e);

/* A spending entry. */
struct dom_fund_spend_req {
	const char *org_id;     /* a community's id; NULL or "": this device's own */
	const char *amount;     /* 元 (required, more than 0) */
	const char *purpose;    /* required */
	const char *approver;   /* required */
	const char *date;       /* spent_on; NULL or "": today */
	const char *item_id;    /* a list item of this replica, or NULL */
	const char *wish_id;    /* a micro-wish of this replica, or NULL */
	const char *note;
};
/* The year's standing after a spending entry (fen). */
struct dom_fund_after {
	bool has_budget;
	int64_t budget, spent;   /* the year's budget; spent in the year, this entry included */
	bool over;               /* spent > budget (or no budget) */
};
int dom_fund_spend(struct replica *r, const char *operator_name,
    const struct dom_fund_spend_req *q, char id_out[ID_TEXT_LEN + 1],
    struct dom_fund_after *after, struct dom_error *e);

/*
 * One line of the fund's book: a community's budget for a year ("budget")
 * or a spending entry ("spend"), with the balance after it (the year's
 * budget, 0 when none, less what was spent so far that year).
 */
struct dom_fund_entry {
	const char *id, *org_code, *org_name, *kind, *date;
	int64_t year, amount, balance;
	bool has_budget;
	const char *purpose, *approver, *item_title, *wish, *note;
};
/*
 * fund list: org_id's communities (NULL: every one in the replica), year
 * (NULL or "": every year); per community and year its budget first, then
 * the spending by date. DOM_INVALID for a malformed year.
 */
int dom_fund_list(struct replica *r, const char *org_id, const char *year,
    void (*each)(const struct dom_fund_entry *x, void *arg), void *arg, struct dom_error *e);

/* One community's quarter in the disclosure (fen). */
struct dom_fund_quarter {
	const char *org_code, *org_name;
	bool has_budget;
	int64_t budget, spent_quarter, spent_ytd, balance;   /* ytd: 1 January to the quarter's end */
};
/*
 * fund disclose: for quarter "YYYY-Qn", per community under org_id (NULL:
 * every one) with a budget or spending that year, its figures (sum), then
 * the quarter's entries (each, the balance after each). DOM_INVALID for a
 * malformed quarter.
 */
int dom_fund_disclose(struct replica *r, const char *org_id, const char *quarter,
    void (*sum)(const struct dom_fund_quarter *q, void *arg),
    void (*each)(const struct dom_fund_entry *x, void *arg), void *arg, struct dom_error *e);

#endif
