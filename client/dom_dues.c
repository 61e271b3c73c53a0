/*
 * dom_dues.c - 党费: classes and bases, payments, the month's list and
 * arrears; see dom_dues.h. Every write is one local transaction whose
 * rules read the rows inside it.
 */
#include "dom_dues.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dom_handle.h"
#include "dom_report.h"
#include "dues.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MCOL(name) schema_col_index(&schema_tables[TBL_MEMBER], name)
#define PCOL(name) schema_col_index(&schema_tables[TBL_DUES_PAYMENT], name)

/* The most yuan an amount or base may be: DUES_BASE_MAX fen. */
#define YUAN_MAX (DUES_BASE_MAX / 100)

_Static_assert(DOM_DUES_CHARTER_MONTHS > DOM_DUES_WARN_MONTHS, "the flags grow with the months");
_Static_assert(DOM_DUES_MAX_MONTHS >= DOM_DUES_CHARTER_MONTHS, "the cap is past the threshold");

static int64_t
stmt_int_or(sqlite3_stmt *st, int c, int64_t dflt)
{
	return sqlite3_column_type(st, c) == SQLITE_NULL ? dflt : sqlite3_column_int64(st, c);
}

static const char *
val_text(const Tongxin__Value *v, int c)
{
	return v[c].kind_case == TONGXIN__VALUE__KIND_S ? v[c].s : NULL;
}

static void
clear_row(Tongxin__Value *v)
{
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&v[c]);
}

/* --- amounts and months ------------------------------------------------------- */

int
dom_yuan_parse(const char *s, int64_t *fen)
{
	int64_t y = 0, f = 0;
	size_t i = 0, n;
	int dec = 0;
	bool big = false;   /* more yuan than the bound: keep reading, to tell it from no amount */

	if (s == NULL || (n = strlen(s)) == 0 || n > DOM_DUES_YUAN_MAX)
		return -1;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	while (s[i] >= '0' && s[i] <= '9') {
		if (!big)
			y = y * 10 + (s[i] - '0');
		big = big || y > YUAN_MAX;
		i++;
	}
	if (s[i] == '.') {
		i++;
		while (s[i] >= '0' && s[i] <= '9' && dec < 2) {
			f = f * 10 + (s[i++] - '0');
			dec++;
		}
		if (dec == 0)
			return -1;
		if (dec == 1)
			f *= 10;
	}
	if (s[i] != '\0')
		return -1;
	if (big || y * 100 + f > DUES_BASE_MAX)
		return -2;
	*fen = y * 100 + f;
	return 0;
}

char *
dom_yuan_text(int64_t fen, char out[32])
{
	int64_t a = fen < 0 ? -fen : fen;

	snprintf(out, 32, "%s%lld.%02lld", fen < 0 ? "-" : "", (long long)(a / 100),
	    (long long)(a % 100));
	return out;
}

bool
dom_month_valid(const char *s)
{
	char d[11];

	if (s == NULL || strlen(s) != 7 || s[4] != '-')
		return false;
	snprintf(d, sizeof d, "%s-01", s);
	return validate_date(d) != 0;
}

/* The month as a count of months (year * 12 + month - 1); -1 if malformed. */
static int
month_index(const char *m)
{
	if (!dom_month_valid(m))
		return -1;
	return atoi(m) * 12 + atoi(m + 5) - 1;
}

static void
month_of_index(int i, char out[8])
{
	snprintf(out, 8, "%04d-%02d", i / 12, i % 12 + 1);
}

void
dom_month_now(char out[8])
{
	char today[11];

	today_str(today);
	snprintf(out, 8, "%.7s", today);
}

void
dom_month_add(const char *m, int n, char out[8])
{
	int i = month_index(m);

	if (i < 0) {   /* not a month: nothing to add to */
		snprintf(out, 8, "%s", "0000-00");
		return;
	}
	month_of_index(i + n, out);
}

/* The class's label for messages. */
static const char *
class_label(const char *cls)
{
	return vocab_show(vocab_get("dues_class"), cls);
}

/* --- the member ------------------------------------------------------------------ */

/*
 * Member id into cur (DOM_MAX_COLS, zeroed; clear with clear_row), inside
 * the caller's transaction when there is one. 0, or -1 with e.
 */
static int
member_load(struct replica *r, const char *id, Tongxin__Value *cur, struct dom_error *e)
{
	int rc;

	memset(cur, 0, sizeof(Tongxin__Value) * DOM_MAX_COLS);
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	rc = rep_get(r, TBL_MEMBER, id, cur, NULL);
	if (rc < 0)
		return dom_db_err(r, e);
	return rc == 0 ? dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member in this replica") : 0;
}

/*
 * Refuse a member who pays no dues: one who left (党员减少), or whose
 * standing is not normal (停止党籍, 开除党籍, 死亡). what says what was asked.
 */
static int
owes_dues(const Tongxin__Value *cur, const char *what, int col, struct dom_error *e)
{
	const char *how = val_text(cur, MCOL("left_reason")), *on = val_text(cur, MCOL("left_on"));
	const char *standing = val_text(cur, MCOL("standing"));

	if (how != NULL)
		return dom_err(e, DOM_INVALID, col, "该党员已于 %s 减少（%s），不再交纳党费，%s the member "
		    "left on %s (%s) and pays no dues", on ? on : "?",
		    vocab_show(vocab_get("leave_reason"), how), what, on ? on : "?", how);
	if (standing != NULL && strcmp(standing, "normal") != 0)
		return dom_err(e, DOM_INVALID, col, "该党员党籍状态为%s，不交纳党费，%s the member's "
		    "standing is %s", vocab_show(vocab_get("standing"), standing), what, standing);
	return 0;
}

int
dom_dues_member(struct replica *r, const char *id, struct dom_dues_member *d,
    struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	const char *cls, *join, *standing;
	int cb = MCOL("dues_base");

	dom_error_clear(e);
	memset(d, 0, sizeof *d);
	if (member_load(r, id, cur, e) != 0) {
		clear_row(cur);
		return -1;
	}
	cls = val_text(cur, MCOL("dues_class"));
	join = val_text(cur, MCOL("join_date"));
	standing = val_text(cur, MCOL("standing"));
	snprintf(d->cls, sizeof d->cls, "%s", cls ? cls : "");
	d->base = cur[cb].kind_case == TONGXIN__VALUE__KIND_I ? cur[cb].i : -1;
	d->monthly = cls ? dues_monthly(cls, d->base) : -1;
	d->rate_bp = cls ? dues_rate_bp(cls, d->base) : 0;
	snprintf(d->join_month, sizeof d->join_month, "%.7s", join ? join : "");
	d->left = val_text(cur, MCOL("left_reason")) != NULL ||
	    (standing != NULL && strcmp(standing, "normal") != 0);
	clear_row(cur);
	return 0;
}

/* --- class and base ------------------------------------------------------------- */

/* Whether class cls is figured on a base (wage, pension, a farmer's amount). */
static bool
class_has_base(const char *cls)
{
	return strcmp(cls, "salaried") == 0 || strcmp(cls, "retired") == 0 ||
	    strcmp(cls, "farmer") == 0;
}

/*
 * The class and base as the clerk gives them, checked without the replica:
 * *cls the vocabulary's code, *base fen or -1 (none). 0, or -1 with e.
 */
static int
setting_parse(const char *cls_in, const char *base_yuan, const char **cls, int64_t *base,
    struct dom_error *e)
{
	int cc = MCOL("dues_class"), cb = MCOL("dues_base");
	char list[256], y[32];

	if (!dom_given(cls_in))
		return dom_err(e, DOM_MISSING, cc, "缺少必填项 党费类别 (the dues class)");
	if ((*cls = vocab_parse(vocab_get("dues_class"), cls_in)) == NULL) {
		vocab_list(vocab_get("dues_class"), 1, "、", list, sizeof list);
		return dom_err(e, DOM_INVALID, cc, "党费类别 \"%.64s\" 无效，可选：%s", cls_in, list);
	}
	*base = -1;
	if (!class_has_base(*cls)) {
		if (dom_given(base_yuan))
			return dom_err(e, DOM_INVALID, cb, "%s党员每月固定交纳 %s 元党费，不需要交纳基数 "
			    "(this class pays a fixed amount: no base)", class_label(*cls),
			    dom_yuan_text(DUES_FIXED, y));
		return 0;
	}
	if (!dom_given(base_yuan))
		return dom_err(e, DOM_MISSING, cb, strcmp(*cls, "farmer") == 0 ?
		    "农民党员须给出每月交纳的金额（0.20 至 1.00 元）the farmer's monthly amount is "
		    "required" : "%s党员须给出交纳基数：每月%s（税后，元）the monthly base is required",
		    class_label(*cls), strcmp(*cls, "retired") == 0 ? "离退休费" : "工资收入");
	switch (dom_yuan_parse(base_yuan, base)) {
	case 0:
		break;
	case -2:
		return dom_err(e, DOM_INVALID, cb, "交纳基数 %.32s 元超过上限 %lld 元 (too large)",
		    base_yuan, (long long)YUAN_MAX);
	default:
		return dom_err(e, DOM_INVALID, cb, "交纳基数 \"%.32s\" 不是金额：应为元，最多两位小数 "
		    "(yuan with up to two decimals)", base_yuan);
	}
	if (strcmp(*cls, "farmer") == 0 && (*base < DUES_FARMER_MIN || *base > DUES_FARMER_MAX))
		return dom_err(e, DOM_INVALID, cb, "农民党员每月交纳 0.20 至 1.00 元党费，%s 元不在此范围 "
		    "(a farmer pays 0.20 to 1.00 yuan)", dom_yuan_text(*base, y));
	return 0;
}

int
dom_dues_set(struct replica *r, const char *operator_name, const char *id, const char *cls_in,
    const char *base_yuan, bool dry_run, int64_t *monthly, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value cur[DOM_MAX_COLS], merged[DOM_MAX_COLS], setv[2];
	uint32_t cols[2] = { (uint32_t)MCOL("dues_class"), (uint32_t)MCOL("dues_base") };
	char why[512], err[512] = "", today[11];
	const char *cls = NULL;
	int64_t base = -1;
	int rc;

	dom_error_clear(e);
	if (setting_parse(cls_in, base_yuan, &cls, &base, e) != 0)
		return -1;
	value_set_text(&setv[0], cls);
	if (base >= 0)
		value_set_int(&setv[1], base);
	else
		value_set_null(&setv[1]);
	today_str(today);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((rc = member_load(r, id, cur, e)) == 0 &&
	    (rc = owes_dues(cur, "不能设定党费类别", (int)cols[0], e)) == 0) {
		memcpy(merged, cur, sizeof merged);   /* borrowed strings */
		for (int k = 0; k < 2 && rc == 0; k++) {
			if (validate_value(&td->cols[cols[k]], &setv[k], why, sizeof why) != 0)
				rc = dom_err(e, DOM_INVALID, (int)cols[k], "%s", why);
			merged[cols[k]] = setv[k];
		}
		if (rc == 0 && validate_row(TBL_MEMBER, merged, today, why, sizeof why) != 0)
			rc = dom_err(e, DOM_INVALID, -1, "%s", why);
		if (rc == 0 && !dry_run &&
		    rep_update(r, TBL_MEMBER, id, cols, setv, 2, err, sizeof err) != 0)
			rc = dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	clear_row(cur);
	if (rc != 0 || dry_run) {
		rep_rollback(r);
		if (rc == 0 && monthly)
			*monthly = dues_monthly(cls, base);
		return rc;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	if (monthly)
		*monthly = dues_monthly(cls, base);
	return 0;
}

/* --- payments ------------------------------------------------------------------- */

/*
 * The payment of member id for month already in the replica: 1 with its id,
 * amount and date (pid, amount, on may be NULL), 0 none, -1 error (e).
 */
static int
payment_of(struct replica *r, const char *id, const char *month, char pid[ID_TEXT_LEN + 1],
    int64_t *amount, char on[11], struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	/* By period (member/month): indexed on every replica. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, amount, paid_on FROM dues_payment"
	    " WHERE period = ?1 || '/' || ?2 ORDER BY id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (pid)
			snprintf(pid, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		if (amount)
			*amount = sqlite3_column_int64(st, 1);
		if (on)
			snprintf(on, 11, "%s", dom_col_text(st, 2) ? dom_col_text(st, 2) : "");
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = dom_db_err(r, e);
	}
	sqlite3_finalize(st);
	return rc;
}

/* The payment's values checked without the replica: month, amount (-1 none), date. */
static int
pay_parse(const struct dom_dues_pay *p, int64_t *amount, struct dom_error *e)
{
	char y[32];

	if (!dom_given(p->month))
		return dom_err(e, DOM_MISSING, PCOL("month"), "缺少必填项 月份 (the month, YYYY-MM)");
	if (!dom_month_valid(p->month))
		return dom_err(e, DOM_INVALID, PCOL("month"), "月份 \"%.16s\" 无效，应为 YYYY-MM "
		    "(a month such as 2026-03)", p->month);
	*amount = -1;
	if (dom_given(p->amount)) {
		int prc = dom_yuan_parse(p->amount, amount);
		if (prc == -1)
			return dom_err(e, DOM_INVALID, PCOL("amount"), "金额 \"%.32s\" 不是金额：应为元，"
			    "最多两位小数 (yuan with up to two decimals)", p->amount);
		if (prc == -2 || *amount > DOM_DUES_AMOUNT_MAX)
			return dom_err(e, DOM_INVALID, PCOL("amount"), "金额 %.32s 元超过一次交纳的上限 %s 元 "
			    "(too large)", p->amount, dom_yuan_text(DOM_DUES_AMOUNT_MAX, y));
		if (*amount <= 0)
			return dom_err(e, DOM_INVALID, PCOL("amount"), "金额须大于 0 元，而不是 %s 元 "
			    "(the amount must be more than 0)", dom_yuan_text(*amount, y));
	}
	if (dom_given(p->paid_on) && !validate_date(p->paid_on))
		return dom_err(e, DOM_INVALID, PCOL("paid_on"), "交纳日期 \"%.16s\" 不是有效日期 "
		    "(YYYY-MM-DD)", p->paid_on);
	if (p->by && strlen(p->by) > DOM_DUES_BY_MAX)
		return dom_err(e, DOM_INVALID, PCOL("received_by"), "收缴人不能超过 %d 字节 (too long)",
		    DOM_DUES_BY_MAX);
	if (p->note && strlen(p->note) > DOM_DUES_NOTE_MAX)
		return dom_err(e, DOM_INVALID, PCOL("note"), "备注不能超过 %d 字节 (too long)",
		    DOM_DUES_NOTE_MAX);
	return 0;
}

/*
 * Member id pays month p->month, inside the open transaction: the member's
 * checks, no payment of the month yet, the amount (want >= 0, else the
 * computed one), the row's rules, the insert. 0, or -1 with e.
 */
static int
pay_in_txn(struct replica *r, const char *id, const struct dom_dues_pay *p, int64_t want,
    bool dry_run, char id_out[ID_TEXT_LEN + 1], int64_t *amount, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 };
	char pid[ID_TEXT_LEN + 1], on[11], y[32], today[11], period[SCHEMA_ID_LEN + 9];
	char err[512] = "", nid[ID_TEXT_LEN + 1], limit[8];
	const char *cls, *join;
	int64_t paid, fen = want;
	int rc, cb = MCOL("dues_base");

	memset(v, 0, sizeof v);
	if ((rc = member_load(r, id, cur, e)) != 0 ||
	    (rc = owes_dues(cur, "不能登记交纳", PCOL("member_id"), e)) != 0)
		goto out;
	join = val_text(cur, MCOL("join_date"));
	today_str(today);
	snprintf(limit, sizeof limit, "%.7s", today);
	dom_month_add(limit, 12, limit);   /* this month plus a year (the row rule's bound) */
	if (strcmp(p->month, limit) > 0) {
		rc = dom_err(e, DOM_INVALID, PCOL("month"), "%s 超过一年之后：党费最多预交一年（至 %s）"
		    "(at most a year ahead)", p->month, limit);
		goto out;
	}
	if (join && strncmp(p->month, join, 7) < 0) {
		rc = dom_err(e, DOM_INVALID, PCOL("month"), "%s 早于入党月份 %.7s：入党前不交纳党费 "
		    "(before the member joined)", p->month, join);
		goto out;
	}
	if ((rc = payment_of(r, id, p->month, pid, &paid, on, e)) != 0) {
		if (rc > 0)
			rc = dom_err(e, DOM_INVALID, PCOL("month"), "%s 的党费已于 %s 交纳 %s 元（编号 %s），"
			    "同一月份不能重复交纳 the month is paid already", p->month, on,
			    dom_yuan_text(paid, y), dom_short(pid));
		goto out;
	}
	if (fen < 0) {
		cls = val_text(cur, MCOL("dues_class"));
		fen = cls ? dues_monthly(cls, cur[cb].kind_case == TONGXIN__VALUE__KIND_I ?
		    cur[cb].i : -1) : -1;
		if (fen <= 0) {
			rc = dom_err(e, DOM_MISSING, PCOL("amount"), "该党员未设定党费类别和交纳基数，无法"
			    "计算应交金额：请先设定（dues set）或给出金额 no dues class set: give the "
			    "amount");
			goto out;
		}
	}
	snprintf(period, sizeof period, "%s/%s", id, p->month);
	value_set_text(&v[PCOL("member_id")], id);
	value_set_text(&v[PCOL("month")], p->month);
	value_set_text(&v[PCOL("period")], period);
	value_set_int(&v[PCOL("amount")], fen);
	value_set_text(&v[PCOL("paid_on")], dom_given(p->paid_on) ? p->paid_on : today);
	if (dom_given(p->by))
		value_set_text(&v[PCOL("received_by")], p->by);
	if (dom_given(p->note))
		value_set_text(&v[PCOL("note")], p->note);
	for (int c = 0; c < schema_tables[TBL_DUES_PAYMENT].ncols; c++)
		set[c] = v[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
	if ((rc = dom_check_values(TBL_DUES_PAYMENT, v, set, true, e)) != 0)
		goto out;
	if (dom_given(p->paid_on) && join && strcmp(p->paid_on, join) < 0) {
		rc = dom_err(e, DOM_INVALID, PCOL("paid_on"), "交纳日期 %s 早于入党日期 %s "
		    "(before the member joined)", p->paid_on, join);
		goto out;
	}
	if (!dry_run && rep_insert(r, TBL_DUES_PAYMENT, v, nid, err, sizeof err) != 0) {
		rc = dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto out;
	}
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", dry_run ? "" : nid);
	if (amount)
		*amount = fen;
out:
	clear_row(cur);
	return rc;
}

int
dom_dues_pay(struct replica *r, const char *operator_name, const char *id,
    const struct dom_dues_pay *p, bool dry_run, char id_out[ID_TEXT_LEN + 1], int64_t *amount,
    struct dom_error *e)
{
	char err[512] = "";
	int64_t want;

	dom_error_clear(e);
	if (pay_parse(p, &want, e) != 0)
		return -1;
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (pay_in_txn(r, id, p, want, dry_run, id_out, amount, e) != 0 || dry_run) {
		rep_rollback(r);
		return e->kind == DOM_OK ? 0 : -1;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	return 0;
}

int
dom_dues_fix(struct replica *r, const char *operator_name, const char *id,
    const struct dom_dues_pay *p, bool dry_run, int64_t *amount, struct dom_error *e)
{
	static const char *const names[] = { "amount", "paid_on", "received_by", "note" };
	const struct table_def *td = &schema_tables[TBL_DUES_PAYMENT];
	Tongxin__Value cur[DOM_MAX_COLS], merged[DOM_MAX_COLS], setv[4];
	const char *given_text[4] = { NULL, p->paid_on, p->by, p->note };
	uint32_t cols[4];
	char pid[ID_TEXT_LEN + 1], why[512], err[512] = "", today[11];
	int64_t want;
	size_t n = 0;
	int rc;

	dom_error_clear(e);
	memset(cur, 0, sizeof cur);
	if (pay_parse(p, &want, e) != 0)
		return -1;
	if (want < 0 && !dom_given(p->paid_on) && !dom_given(p->by) && !dom_given(p->note))
		return dom_err(e, DOM_MISSING, PCOL("amount"), "没有要更正的内容：请给出金额、交纳日期、"
		    "收缴人或备注 (nothing to correct)");
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	for (size_t k = 0; k < 4; k++) {
		if (k == 0 ? want < 0 : !dom_given(given_text[k]))
			continue;
		cols[n] = (uint32_t)PCOL(names[k]);
		if (k == 0)
			value_set_int(&setv[n], want);
		else
			value_set_text(&setv[n], given_text[k]);
		n++;
	}
	today_str(today);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((rc = payment_of(r, id, p->month, pid, NULL, NULL, e)) == 0)
		rc = dom_err(e, DOM_NOT_FOUND, PCOL("month"), "%s 没有交纳记录，无可更正 (no payment of "
		    "this month in this replica)", p->month);
	else if (rc > 0 && (rc = rep_get(r, TBL_DUES_PAYMENT, pid, cur, NULL)) != 1)
		rc = dom_db_err(r, e);
	else if (rc > 0)
		rc = 0;
	if (rc == 0) {
		memcpy(merged, cur, sizeof merged);   /* borrowed strings */
		for (size_t k = 0; k < n && rc == 0; k++) {
			if (validate_value(&td->cols[cols[k]], &setv[k], why, sizeof why) != 0)
				rc = dom_err(e, DOM_INVALID, (int)cols[k], "%s", why);
			merged[cols[k]] = setv[k];
		}
		if (rc == 0 && validate_row(TBL_DUES_PAYMENT, merged, today, why, sizeof why) != 0)
			rc = dom_err(e, DOM_INVALID, -1, "%s", why);
		if (rc == 0 && amount)
			*amount = merged[PCOL("amount")].kind_case == TONGXIN__VALUE__KIND_I ?
			    merged[PCOL("amount")].i : 0;
		if (rc == 0 && !dry_run &&
		    rep_update(r, TBL_DUES_PAYMENT, pid, cols, setv, n, err, sizeof err) != 0)
			rc = dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	clear_row(cur);
	if (rc != 0 || dry_run) {
		rep_rollback(r);
		return rc;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	return 0;
}

/* The subtree's root for org_code (NULL/"": none) into sc. 0, or -1 with e. */
static int
scope_of(struct replica *r, const char *org_code, struct dom_report_scope *sc,
    struct dom_error *e)
{
	return dom_report_scope(r, org_code, NULL, sc, e);
}

/* Bind the subtree root (?1) of sc: NULL for the whole replica. */
static void
bind_scope(sqlite3_stmt *st, const struct dom_report_scope *sc)
{
	if (sc->org_id[0])
		sqlite3_bind_text(st, 1, sc->org_id, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 1);
}

/* Who owes dues in month ?2, under ?1's subtree (alias m). */
#define OWES_WHERE							\
	DOM_MEMBER_COUNTED " AND substr(m.join_date, 1, 7) <= ?2"	\
	" AND (?1 IS NULL OR m.org_id IN sub)"

int
dom_dues_pay_all(struct replica *r, const char *operator_name, const char *month,
    const char *org_code, const char *paid_on, const char *by, bool dry_run,
    struct dom_dues_batch *b, struct dom_error *e)
{
	static const char sql[] = DOM_SUBTREE_CTE
	    " SELECT m.id, m.dues_class,"
	    "  EXISTS (SELECT 1 FROM dues_payment p WHERE p.period = m.id || '/' || ?2), m.name"
	    " FROM member m WHERE " OWES_WHERE " ORDER BY m.id";
	/* A member's id and name, for the writes after the reading. */
	struct who {
		char id[ID_TEXT_LEN + 1];
		char name[128];
	};
	struct dom_dues_pay p = { .month = month, .paid_on = paid_on, .by = by };
	struct dom_report_scope sc;
	struct who *ids = NULL;
	size_t n = 0;
	char err[512] = "";
	sqlite3_stmt *st = NULL;
	int64_t want, fen;
	int rc = 0, step;

	dom_error_clear(e);
	memset(b, 0, sizeof *b);
	if (pay_parse(&p, &want, e) != 0 || scope_of(r, org_code, &sc, e) != 0)
		return -1;
	if ((ids = malloc(sizeof *ids * DOM_DUES_MAX_ROWS)) == NULL)
		return dom_err(e, DOM_FAIL, -1, "内存不足 out of memory");
	if (rep_begin(r, operator_name) != 0) {
		free(ids);
		return dom_db_err(r, e);
	}
	/* Who is due is read in the transaction; the writes follow the reading. */
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK) {
		rc = dom_db_err(r, e);
		goto out;
	}
	bind_scope(st, &sc);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 2)) {
			b->already++;
		} else if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
			b->no_class++;
		} else if (n == DOM_DUES_MAX_ROWS) {
			rc = dom_err(e, DOM_INVALID, -1, "一次最多为 %d 名党员登记交纳，请按支部分批 "
			    "(too many members at once: give --branch)", DOM_DUES_MAX_ROWS);
			goto out;
		} else {
			snprintf(ids[n].id, sizeof ids[n].id, "%s", dom_col_text(st, 0));
			snprintf(ids[n].name, sizeof ids[n].name, "%s",
			    dom_col_text(st, 3) ? dom_col_text(st, 3) : "");
			n++;
		}
	}
	if (step != SQLITE_DONE) {
		rc = dom_db_err(r, e);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (size_t k = 0; k < n; k++) {
		if ((rc = pay_in_txn(r, ids[k].id, &p, -1, dry_run, NULL, &fen, e)) != 0) {
			if (e->kind == DOM_MISSING) {   /* a class without a base: no amount */
				b->no_class++;
				dom_error_clear(e);
				rc = 0;
				continue;
			}
			/* Say whose payment was refused: nothing of the batch is kept. */
			if (e->kind == DOM_INVALID) {
				char why[sizeof e->msg];
				snprintf(why, sizeof why, "%s", e->msg);
				dom_err(e, DOM_INVALID, e->col, "%s：%s；全部未登记 (nothing was recorded)",
				    ids[k].name, why);
			}
			goto out;
		}
		b->paid++;
		b->amount += fen;
	}
out:
	sqlite3_finalize(st);
	free(ids);
	if (rc != 0 || dry_run) {
		rep_rollback(r);
		return rc;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	return 0;
}

/* --- the month's list -------------------------------------------------------------- */

int
dom_dues_month(struct replica *r, const char *month, const char *org_code,
    void (*each)(const struct dom_dues_row *row, void *arg), void *arg,
    struct dom_dues_totals *t, struct dom_error *e)
{
	static const char sql[] = DOM_SUBTREE_CTE
	    " SELECT m.id, m.name, o.code, o.name, m.dues_class, m.dues_base,"
	    "  (" OWES_WHERE ") AS owes, p.id, p.amount, p.paid_on, p.received_by, p.note"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    " LEFT JOIN dues_payment p ON p.id = (SELECT q.id FROM dues_payment q"
	    "  WHERE q.period = m.id || '/' || ?2 ORDER BY q.id LIMIT 1)"
	    " WHERE (?1 IS NULL OR m.org_id IN sub) AND ((" OWES_WHERE ") OR p.id IS NOT NULL)"
	    " ORDER BY o.code, m.name, m.id";
	struct dom_report_scope sc;
	sqlite3_stmt *st;
	int step, shown = 0;

	dom_error_clear(e);
	memset(t, 0, sizeof *t);
	if (!dom_month_valid(month))
		return dom_err(e, DOM_INVALID, -1, "月份 \"%.16s\" 无效，应为 YYYY-MM", month ? month : "");
	if (scope_of(r, org_code, &sc, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	bind_scope(st, &sc);
	sqlite3_bind_text(st, 2, month, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_dues_row row = {
			.member_id = dom_col_text(st, 0), .name = dom_col_text(st, 1),
			.org_code = dom_col_text(st, 2), .org_name = dom_col_text(st, 3),
			.cls = dom_col_text(st, 4), .base = stmt_int_or(st, 5, -1),
			.owes = sqlite3_column_int(st, 6) != 0, .payment_id = dom_col_text(st, 7),
			.amount = stmt_int_or(st, 8, 0), .paid_on = dom_col_text(st, 9),
			.received_by = dom_col_text(st, 10), .note = dom_col_text(st, 11),
		};
		row.monthly = row.cls ? dues_monthly(row.cls, row.base) : -1;
		if (row.owes) {
			t->members++;
			if (row.payment_id)
				t->paid++;
			else
				t->unpaid++;
			if (row.monthly < 0)
				t->no_class++;
			else
				t->due += row.monthly;
		}
		t->received += row.amount;
		if (shown == DOM_DUES_MAX_ROWS) {
			t->more = true;
			continue;
		}
		shown++;
		each(&row, arg);
	}
	sqlite3_finalize(st);
	return step == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_dues_history(struct replica *r, const char *id, const char *month, int n,
    void (*each)(const struct dom_dues_month_row *row, void *arg), void *arg,
    struct dom_error *e)
{
	struct dom_dues_member d;
	sqlite3_stmt *st;
	char last[8], first[8], m[8];
	int step, top;

	if (dom_dues_member(r, id, &d, e) != 0)
		return -1;
	if (n < 1 || n > 24)
		return dom_err(e, DOM_INVALID, -1, "月数应为 1 至 24 (months 1..24)");
	if (dom_given(month) && !dom_month_valid(month))
		return dom_err(e, DOM_INVALID, -1, "月份 \"%.16s\" 无效，应为 YYYY-MM", month);
	if (dom_given(month))
		snprintf(last, sizeof last, "%s", month);
	else
		dom_month_now(last);
	dom_month_add(last, -(n - 1), first);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT month, id, amount, paid_on, received_by, note"
	    " FROM dues_payment WHERE member_id = ?1 AND month >= ?2 AND month <= ?3"
	    " ORDER BY month DESC, id", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, first, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, last, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	top = month_index(last);
	for (int i = top; i > top - n; i--) {
		struct dom_dues_month_row row = { .month = m };
		month_of_index(i, m);
		row.owes = d.join_month[0] && strcmp(m, d.join_month) >= 0;
		/* Payments come newest first; skip a second row of one month (a clash kept locally). */
		while (step == SQLITE_ROW && strcmp(dom_col_text(st, 0), m) > 0)
			step = sqlite3_step(st);
		if (step == SQLITE_ROW && strcmp(dom_col_text(st, 0), m) == 0) {
			row.payment_id = dom_col_text(st, 1);
			row.amount = sqlite3_column_int64(st, 2);
			row.paid_on = dom_col_text(st, 3);
			row.received_by = dom_col_text(st, 4);
			row.note = dom_col_text(st, 5);
		}
		each(&row, arg);
	}
	sqlite3_finalize(st);
	return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/* --- arrears ------------------------------------------------------------------------ */

const char *
dom_dues_flag_code(enum dom_dues_flag f)
{
	switch (f) {
	case DOM_DUES_WARNING: return "warning";
	case DOM_DUES_CHARTER: return "charter";
	default: return "behind";
	}
}

const char *
dom_dues_flag_text(enum dom_dues_flag f)
{
	switch (f) {
	case DOM_DUES_WARNING:
		return "提醒：连续三个月以上未交纳党费";
	case DOM_DUES_CHARTER:
		return "党章规定连续六个月不交纳党费：没有正当理由的，按自行脱党处理（党章第九条）";
	default:
		return "";
	}
}

/* One member in arrears, owned (strings malloc'd). */
struct arrear {
	char *member_id, *name, *org_code, *org_name, *cls;
	int64_t monthly;
	int months;
	bool capped;
	char from[8], to[8];
};

static char *
dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int
str_cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Members with a class first; most months first; then branch code, name, id. */
static int
arrear_cmp(const void *pa, const void *pb)
{
	const struct arrear *a = pa, *b = pb;
	int c;

	if ((a->cls == NULL) != (b->cls == NULL))
		return a->cls == NULL ? 1 : -1;
	if (a->months != b->months)
		return a->months > b->months ? -1 : 1;
	if ((c = str_cmp0(a->org_code, b->org_code)) != 0 || (c = str_cmp0(a->name, b->name)) != 0)
		return c;
	return str_cmp0(a->member_id, b->member_id);
}

static void
arrears_free(struct arrear *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		free(v[k].member_id);
		free(v[k].name);
		free(v[k].org_code);
		free(v[k].org_name);
		free(v[k].cls);
	}
	free(v);
}

int
dom_dues_arrears(struct replica *r, const char *as_of, const char *org_code,
    void (*each)(const struct dom_arrears_row *row, void *arg), void *arg, bool *more,
    struct dom_error *e)
{
	/* ?2 is as-of: the months owed are those before it. */
	static const char sql[] = DOM_SUBTREE_CTE
	    " SELECT m.id, m.name, o.code, o.name, m.dues_class, m.dues_base,"
	    "  substr(m.join_date, 1, 7),"
	    "  (SELECT max(p.month) FROM dues_payment p WHERE p.member_id = m.id AND p.month < ?2)"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE " DOM_MEMBER_COUNTED " AND substr(m.join_date, 1, 7) < ?2"
	    "  AND (?1 IS NULL OR m.org_id IN sub)";
	struct dom_report_scope sc;
	struct arrear *v = NULL;
	size_t n = 0;
	sqlite3_stmt *st;
	char asof[8];
	int step, end;

	dom_error_clear(e);
	if (more)
		*more = false;
	if (dom_given(as_of) && !dom_month_valid(as_of))
		return dom_err(e, DOM_INVALID, -1, "月份 \"%.16s\" 无效，应为 YYYY-MM", as_of);
	if (dom_given(as_of))
		snprintf(asof, sizeof asof, "%s", as_of);
	else
		dom_month_now(asof);
	end = month_index(asof);
	if (scope_of(r, org_code, &sc, e) != 0)
		return -1;
	if ((v = calloc(DOM_DUES_MAX_ROWS, sizeof *v)) == NULL)
		return dom_err(e, DOM_FAIL, -1, "内存不足 out of memory");
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK) {
		free(v);
		return dom_db_err(r, e);
	}
	bind_scope(st, &sc);
	sqlite3_bind_text(st, 2, asof, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *join = dom_col_text(st, 6), *paid = dom_col_text(st, 7), *cls = dom_col_text(st, 4);
		int start = month_index(join);
		struct arrear *a;

		if (start < 0)
			continue;   /* no join date the rules accept: nothing to count from */
		if (paid && month_index(paid) + 1 > start)
			start = month_index(paid) + 1;
		if (start >= end)
			continue;
		if (n == DOM_DUES_MAX_ROWS) {
			if (more)
				*more = true;
			continue;
		}
		a = &v[n++];
		a->member_id = dup_or_null(dom_col_text(st, 0));
		a->name = dup_or_null(dom_col_text(st, 1));
		a->org_code = dup_or_null(dom_col_text(st, 2));
		a->org_name = dup_or_null(dom_col_text(st, 3));
		a->cls = dup_or_null(cls);
		a->monthly = cls ? dues_monthly(cls, stmt_int_or(st, 5, -1)) : -1;
		if (end - start > DOM_DUES_MAX_MONTHS) {
			start = end - DOM_DUES_MAX_MONTHS;
			a->capped = true;
		}
		a->months = end - start;
		month_of_index(start, a->from);
		month_of_index(end - 1, a->to);
		if (a->member_id == NULL || (dom_col_text(st, 1) && a->name == NULL)) {
			sqlite3_finalize(st);
			arrears_free(v, n);
			return dom_err(e, DOM_FAIL, -1, "内存不足 out of memory");
		}
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		arrears_free(v, n);
		return dom_db_err(r, e);
	}
	qsort(v, n, sizeof *v, arrear_cmp);
	for (size_t k = 0; k < n; k++) {
		struct arrear *a = &v[k];
		struct dom_arrears_row row = {
			.member_id = a->member_id, .name = a->name, .org_code = a->org_code,
			.org_name = a->org_name, .cls = a->cls, .monthly = a->monthly,
			.months = a->months, .capped = a->capped, .from = a->from, .to = a->to,
			.owed = a->monthly < 0 ? -1 : a->monthly * a->months,
			.flag = a->months >= DOM_DUES_CHARTER_MONTHS ? DOM_DUES_CHARTER :
			    a->months >= DOM_DUES_WARN_MONTHS ? DOM_DUES_WARNING : DOM_DUES_BEHIND,
		};
		each(&row, arg);
	}
	arrears_free(v, n);
	return 0;
}
