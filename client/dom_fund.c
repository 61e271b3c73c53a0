/* dom_fund.c - 服务群众专项经费 on the replica; see dom_fund.h. */
#include "dom_fund.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_cob.h"
#include "dom_dues.h"
#include "dom_wish.h"
#include "text.h"
#include "validate.h"
#include "value.h"

#define BCOL(name) schema_col_index(&schema_tables[TBL_FUND_BUDGET], name)
#define SCOL(name) schema_col_index(&schema_tables[TBL_FUND_SPENDING], name)

/* A service fund belongs to a community. */
static const char *const fund_kinds[] = { "community", NULL };

int
dom_yuan_given(const char *s, int64_t *fen)
{
	char yuan[DOM_DUES_YUAN_MAX + 8];
	size_t len;

	if (s == NULL)
		return -1;
	len = strlen(s);
	if (len >= sizeof yuan)
		return -1;
	snprintf(yuan, sizeof yuan, "%s", s);
	/* "50元" as clerks write it: the unit is allowed after the number. */
	if (len > 3 && strcmp(yuan + len - 3, "元") == 0)
		yuan[len - 3] = '\0';
	return dom_yuan_parse(yuan, fen);
}

/* The amount in 元 of column col of table t into fen, at least min fen. 0, or -1 with e. */
static int
amount_of(const char *s, int t, const char *col, int64_t min, int64_t *fen, struct dom_error *e)
{
	int c = schema_col_index(&schema_tables[t], col), rc;

	if (dom_given(s) == NULL)
		return dom_err(e, DOM_MISSING, c, "缺少金额 (--amount 元) is required");
	rc = dom_yuan_given(s, fen);
	if (rc == -1)
		return dom_err(e, DOM_INVALID, c, "金额“%s”无效：请写元，最多两位小数，如 5000 或 "
		    "49.90 (yuan with at most two decimals)", text_show(s));
	if (rc != 0)
		return dom_err(e, DOM_INVALID, c, "金额“%s”元超出范围 (too large)", text_show(s));
	if (*fen < min)
		return dom_err(e, DOM_INVALID, c, "金额须大于 0 元 (the amount must be more than 0)");
	return 0;
}

/* Commit, or e. */
static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* Insert row v of table t after its rules; the transaction is open. 0, or -1 with e. */
static int
insert(struct replica *r, int t, Tongxin__Value *v, char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	int set[DOM_MAX_COLS] = { 0 };
	char err[512] = "";

	for (int c = 0; c < schema_tables[t].ncols; c++)
		set[c] = v[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
	if (dom_check_values(t, v, set, true, e) != 0)
		return -1;
	if (rep_insert(r, t, v, id, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* The name of organisation id into out (for messages). */
static void
org_name(struct replica *r, const char *id, char *out, size_t cap)
{
	sqlite3_stmt *st;

	snprintf(out, cap, "%s", id);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT name FROM org WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && dom_col_text(st, 0))
		snprintf(out, cap, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
}

/* A year YYYY within the rule's years (2000-2100). */
static bool
year_ok(const char *y)
{
	return y != NULL && strlen(y) == 4 && strspn(y, "0123456789") == 4 &&
	    strcmp(y, "2000") >= 0 && strcmp(y, "2100") <= 0;
}

int
dom_fund_budget(struct replica *r, const char *operator_name,
    const struct dom_fund_budget_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	char org[ID_TEXT_LEN + 1], key[ID_TEXT_LEN + 8], day[11], id[ID_TEXT_LEN + 1], name[256];
	char yuan[32];
	int64_t fen;
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->year) == NULL)
		return dom_err(e, DOM_MISSING, BCOL("year"), "缺少年度 (--year YYYY) is required");
	if (!year_ok(q->year))
		return dom_err(e, DOM_INVALID, BCOL("year"), "年度“%s”无效，应为 2000 到 2100 之间的 "
		    "YYYY (not a year)", text_show(q->year));
	if (amount_of(q->amount, TBL_FUND_BUDGET, "amount", 0, &fen, e) != 0 ||
	    dom_bounded(TBL_FUND_BUDGET, "note", q->note, DOM_FUND_NOTE_MAX, e) != 0 ||
	    dom_cob_date(q->date, TBL_FUND_BUDGET, "approved_on", day, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_cob_home_org(r, q->org_id, fund_kinds, org, e) != 0)
		goto refused;
	snprintf(key, sizeof key, "%s/%s", org, q->year);
	/* One budget per community and year. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT amount FROM fund_budget WHERE budget_key = ?1",
	    -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		goto refused;
	}
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		org_name(r, org, name, sizeof name);
		dom_err(e, DOM_INVALID, BCOL("budget_key"), "%s %s 年度已有预算 %s 元，每个社区每年只有"
		    "一份预算 (one budget per community and year)", text_show(name), q->year,
		    dom_yuan_text(sqlite3_column_int64(st, 0), yuan));
	} else if (rc != SQLITE_DONE)
		dom_db_err(r, e);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto refused;
	value_set_text(&v[BCOL("org_id")], org);
	value_set_int(&v[BCOL("year")], strtol(q->year, NULL, 10));
	value_set_text(&v[BCOL("budget_key")], key);
	value_set_int(&v[BCOL("amount")], fen);
	value_set_text(&v[BCOL("approved_on")], day);
	if (dom_given(q->note))
		value_set_text(&v[BCOL("note")], q->note);
	if (insert(r, TBL_FUND_BUDGET, v, id, e) != 0)
		goto refused;
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
}

/* Whether row id of table (one of ours) is in the replica: 1, 0, -1 error. */
static int
row_here(struct replica *r, const char *table, const char *id)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ?1", table);
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The year's budget and spending of org (fen) into a. 0, or -1. */
static int
standing(struct replica *r, const char *org, const char *year, struct dom_fund_after *a)
{
	sqlite3_stmt *st;
	int rc;

	memset(a, 0, sizeof *a);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT (SELECT amount FROM fund_budget"
	    " WHERE org_id = ?1 AND year = ?2 LIMIT 1), (SELECT coalesce(sum(amount), 0)"
	    " FROM fund_spending WHERE org_id = ?1 AND substr(spent_on, 1, 4) = ?3)", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, strtol(year, NULL, 10));
	sqlite3_bind_text(st, 3, year, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		a->has_budget = sqlite3_column_type(st, 0) != SQLITE_NULL;
		a->budget = sqlite3_column_int64(st, 0);
		a->spent = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
dom_fund_spend(struct replica *r, const char *operator_name,
    const struct dom_fund_spend_req *q, char id_out[ID_TEXT_LEN + 1],
    struct dom_fund_after *after, struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	struct dom_fund_after local;
	char org[ID_TEXT_LEN + 1], day[11], id[ID_TEXT_LEN + 1], year[5];
	int64_t fen;
	int rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (after == NULL)
		after = &local;
	memset(after, 0, sizeof *after);
	if (amount_of(q->amount, TBL_FUND_SPENDING, "amount", 1, &fen, e) != 0)
		return -1;
	if (dom_given(q->purpose) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("purpose"), "缺少用途 (--purpose) is required");
	if (dom_given(q->approver) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("approver"), "缺少审批人 (--approver) is required");
	if (dom_bounded(TBL_FUND_SPENDING, "purpose", q->purpose, DOM_FUND_PURPOSE_MAX, e) ||
	    dom_bounded(TBL_FUND_SPENDING, "approver", q->approver, DOM_FUND_APPROVER_MAX, e) ||
	    dom_bounded(TBL_FUND_SPENDING, "note", q->note, DOM_FUND_NOTE_MAX, e) ||
	    dom_cob_date(q->date, TBL_FUND_SPENDING, "spent_on", day, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_cob_home_org(r, q->org_id, fund_kinds, org, e) != 0)
		goto refused;
	if (dom_given(q->item_id) && (rc = row_here(r, "list_item", q->item_id)) != 1) {
		if (rc < 0)
			dom_db_err(r, e);
		else
			dom_err(e, DOM_NOT_FOUND, SCOL("item_id"), "本副本中没有该清单 (no such item)");
		goto refused;
	}
	if (dom_given(q->wish_id) && (rc = row_here(r, "micro_wish", q->wish_id)) != 1) {
		if (rc < 0)
			dom_db_err(r, e);
		else
			dom_err(e, DOM_NOT_FOUND, SCOL("wish_id"), "本副本中没有该微心愿 (no such wish)");
		goto refused;
	}
	value_set_text(&v[SCOL("org_id")], org);
	value_set_text(&v[SCOL("spent_on")], day);
	value_set_text(&v[SCOL("purpose")], q->purpose);
	value_set_int(&v[SCOL("amount")], fen);
	value_set_text(&v[SCOL("approver")], q->approver);
	if (dom_given(q->item_id))
		value_set_text(&v[SCOL("item_id")], q->item_id);
	if (dom_given(q->wish_id))
		value_set_text(&v[SCOL("wish_id")], q->wish_id);
	if (dom_given(q->note))
		value_set_text(&v[SCOL("note")], q->note);
	if (insert(r, TBL_FUND_SPENDING, v, id, e) != 0)
		goto refused;
	snprintf(year, sizeof year, "%.4s", day);
	if (standing(r, org, year, after) != 0) {
		dom_db_err(r, e);
		goto refused;
	}
	after->over = !after->has_budget || after->spent > after->budget;
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
}

/*
 * The book: budgets and spending of the communities under ?1 ("" all), of
 * year ?2 (NULL all), dated up to ?3; per community and year the budget
 * first, then the spending by date. The last column is the year's budget.
 */
static const char book_sql[] =
	"WITH RECURSIVE within(id) AS (SELECT id FROM org WHERE id = ?1"
	"   UNION SELECT o.id FROM org o JOIN within w ON o.parent_id = w.id),"
	" book(id, org_id, year, k, day, amount, purpose, approver, item_id, wish_id, note) AS ("
	"  SELECT id, org_id, year, 0, approved_on, amount, NULL, NULL, NULL, NULL, note"
	"   FROM fund_budget"
	"  UNION ALL SELECT id, org_id, CAST(substr(spent_on, 1, 4) AS INTEGER), 1, spent_on, amount,"
	"   purpose, approver, item_id, wish_id, note FROM fund_spending)"
	" SELECT x.id, coalesce(o.code, ''), coalesce(o.name, x.org_id), x.k, x.day, x.year,"
	"  x.amount, x.purpose, x.approver, i.title, w.wish, x.note,"
	"  (SELECT b.amount FROM fund_budget b WHERE b.org_id = x.org_id AND b.year = x.year"
	"   LIMIT 1), x.org_id"
	" FROM book x LEFT JOIN org o ON o.id = x.org_id LEFT JOIN list_item i ON i.id = x.item_id"
	" LEFT JOIN micro_wish w ON w.id = x.wish_id"
	" WHERE (?1 = '' OR x.org_id IN (SELECT id FROM within)) AND (?2 IS NULL OR x.year = ?2)"
	"  AND (?3 IS NULL OR x.k = 0 OR x.day <= ?3)"
	" ORDER BY 2, x.org_id, x.year, x.k, x.day, x.id";

/*
 * Walk the book (see book_sql) with the running balance; entries dated
 * from `from` on (NULL: all) go to each. 0, or -1 with e.
 */
static int
book_walk(struct replica *r, const char *org_id, const char *year, const char *from,
    const char *upto, void (*each)(const struct dom_fund_entry *x, void *arg), void *arg,
    struct dom_error *e)
{
	char cur_org[ID_TEXT_LEN + 1] = "";
	int64_t cur_year = -1, spent = 0;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), book_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, dom_given(org_id) ? org_id : "", -1, SQLITE_STATIC);
	if (dom_given(year))
		sqlite3_bind_int64(st, 2, strtol(year, NULL, 10));
	if (upto)
		sqlite3_bind_text(st, 3, upto, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *org = dom_col_text(st, 13), *day = dom_col_text(st, 4);
		int64_t y = sqlite3_column_int64(st, 5), amount = sqlite3_column_int64(st, 6);
		bool is_spend = sqlite3_column_int(st, 3) == 1;
		struct dom_fund_entry x;

		if (strcmp(cur_org, org ? org : "") != 0 || y != cur_year) {
			snprintf(cur_org, sizeof cur_org, "%s", org ? org : "");
			cur_year = y;
			spent = 0;
		}
		if (is_spend)
			spent += amount;
		if (from && (!is_spend || day == NULL || strcmp(day, from) < 0))
			continue;
		x = (struct dom_fund_entry){
			.id = dom_col_text(st, 0), .org_code = dom_col_text(st, 1), .org_name = dom_col_text(st, 2),
			.kind = is_spend ? "spend" : "budget", .date = day, .year = y, .amount = amount,
			.has_budget = sqlite3_column_type(st, 12) != SQLITE_NULL,
			.purpose = dom_col_text(st, 7), .approver = dom_col_text(st, 8),
			.item_title = dom_col_text(st, 9), .wish = dom_col_text(st, 10), .note = dom_col_text(st, 11),
		};
		x.balance = sqlite3_column_int64(st, 12) - spent;
		each(&x, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_fund_list(struct replica *r, const char *org_id, const char *year,
    void (*each)(const struct dom_fund_entry *x, void *arg), void *arg, struct dom_error *e)
{
	dom_error_clear(e);
	if (dom_given(year) && !year_ok(year))
		return dom_err(e, DOM_INVALID, -1, "年度“%s”无效 (YYYY, 2000-2100)", text_show(year));
	return book_walk(r, org_id, year, NULL, NULL, each, arg, e);
}

/* The disclosure's figures: ?1 scope root ("" all), ?2 year, ?3..?4 the quarter, ?5 "YYYY-". */
static const char quarter_sql[] =
	"WITH RECURSIVE within(id) AS (SELECT id FROM org WHERE id = ?1"
	"   UNION SELECT o.id FROM org o JOIN within w ON o.parent_id = w.id)"
	" SELECT o.code, o.name, b.amount,"
	"  (SELECT coalesce(sum(x.amount), 0) FROM fund_spending x WHERE x.org_id = o.id"
	"   AND x.spent_on BETWEEN ?3 AND ?4),"
	"  (SELECT coalesce(sum(x.amount), 0) FROM fund_spending x WHERE x.org_id = o.id"
	"   AND x.spent_on BETWEEN ?5 || '01-01' AND ?4)"
	" FROM org o LEFT JOIN fund_budget b ON b.org_id = o.id AND b.year = ?2"
	" WHERE o.kind = 'community' AND (?1 = '' OR o.id IN (SELECT id FROM within))"
	"  AND (b.id IS NOT NULL OR EXISTS (SELECT 1 FROM fund_spending x WHERE x.org_id = o.id"
	"   AND x.spent_on BETWEEN ?5 || '01-01' AND ?5 || '12-31'))"
	" ORDER BY o.code";

int
dom_fund_disclose(struct replica *r, const char *org_id, const char *quarter,
    void (*sum)(const struct dom_fund_quarter *q, void *arg),
    void (*each)(const struct dom_fund_entry *x, void *arg), void *arg, struct dom_error *e)
{
	static const char *const starts[] = { "01-01", "04-01", "07-01", "10-01" };
	static const char *const ends[] = { "03-31", "06-30", "09-30", "12-31" };
	char year[5], from[11], to[11], pre[6];
	sqlite3_stmt *st;
	int n, rc;

	dom_error_clear(e);
	if (quarter == NULL || strlen(quarter) != 7 || quarter[4] != '-' ||
	    (quarter[5] != 'Q' && quarter[5] != 'q') || quarter[6] < '1' || quarter[6] > '4')
		return dom_err(e, DOM_INVALID, -1, "季度“%s”无效，应为 YYYY-Qn，如 2025-Q2 (not a "
		    "quarter)", text_show(quarter ? quarter : ""));
	snprintf(year, sizeof year, "%.4s", quarter);
	if (!year_ok(year))
		return dom_err(e, DOM_INVALID, -1, "季度“%s”无效，年份应在 2000 到 2100 之间",
		    text_show(quarter));
	n = quarter[6] - '1';
	snprintf(from, sizeof from, "%s-%s", year, starts[n]);
	snprintf(to, sizeof to, "%s-%s", year, ends[n]);
	snprintf(pre, sizeof pre, "%s-", year);
	if (sqlite3_prepare_v2(replica_db(r), quarter_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, dom_given(org_id) ? org_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, strtol(year, NULL, 10));
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, pre, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_fund_quarter q = {
			.org_code = dom_col_text(st, 0), .org_name = dom_col_text(st, 1),
			.has_budget = sqlite3_column_type(st, 2) != SQLITE_NULL,
			.budget = sqlite3_column_int64(st, 2),
			.spent_quarter = sqlite3_column_int64(st, 3),
			.spent_ytd = sqlite3_column_int64(st, 4),
		};
		q.balance = q.budget - q.spent_ytd;
		sum(&q, arg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	return book_walk(r, org_id, year, from, to, each, arg, e);
}
