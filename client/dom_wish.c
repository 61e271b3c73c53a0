/* dom_wish.c - 微心愿 on the replica; see dom_wish.h. */
#include "dom_wish.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_cob.h"
#include "dom_dues.h"
#include "dom_fund.h"
#include "dom_handle.h"
#include "dom_unit.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define WCOL(name) schema_col_index(&schema_tables[TBL_MICRO_WISH], name)

const char *const dom_item_claim_kinds[] = { "branch", "general_branch", "community", NULL };

static const char *
vtext(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : NULL;
}

static void
clear_row(int t, Tongxin__Value *v)
{
	for (int c = 0; c < schema_tables[t].ncols; c++)
		value_clear(&v[c]);
}

/* Commit (rep_commit rolls back itself on failure). */
static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* The wish id's row into cur (inside the transaction): 0, or -1 with e. */
static int
load(struct replica *r, const char *id, Tongxin__Value *cur, struct dom_error *e)
{
	int rc;

	memset(cur, 0, sizeof *cur * DOM_MAX_COLS);
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该微心愿 (no such wish)");
	if ((rc = rep_get(r, TBL_MICRO_WISH, id, cur, NULL)) != 1)
		return rc == 0 ? dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该微心愿 (no such wish)") :
		    dom_db_err(r, e);
	return 0;
}

/* The wish's status label for messages. */
static const char *
status_label(const Tongxin__Value *cur)
{
	return vocab_show(vocab_get("wish_status"), vtext(&cur[WCOL("status")]));
}

/* Whether the wish's status is code. */
static bool
status_is(const Tongxin__Value *cur, const char *code)
{
	const char *s = vtext(&cur[WCOL("status")]);
	return s != NULL && strcmp(s, code) == 0;
}

int
dom_wish_add(struct replica *r, const char *operator_name, const struct dom_wish_req *q,
    char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS];
	char date[11], org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], err[512] = "";
	int64_t fen = -1;
	int rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->resident) == NULL)
		return dom_err(e, DOM_MISSING, WCOL("resident_name"), "缺少必填项 居民姓名 (--resident)");
	if (dom_given(q->wish) == NULL)
		return dom_err(e, DOM_MISSING, WCOL("wish"), "缺少必填项 心愿内容 (--wish)");
	if (dom_bounded(TBL_MICRO_WISH, "resident_name", q->resident, DOM_WISH_NAME_MAX, e) ||
	    dom_bounded(TBL_MICRO_WISH, "household", q->household, DOM_WISH_HOUSEHOLD_MAX, e) ||
	    dom_bounded(TBL_MICRO_WISH, "grid", q->grid, DOM_WISH_GRID_MAX, e) ||
	    dom_bounded(TBL_MICRO_WISH, "wish", q->wish, DOM_WISH_TEXT_MAX, e) ||
	    dom_cob_date(q->date, TBL_MICRO_WISH, "posted_on", date, e))
		return -1;
	if (dom_given(q->value)) {
		/* "50元" as clerks write it (dom_fund.h). */
		rc = dom_yuan_given(q->value, &fen);
		if (rc == -1)
			return dom_err(e, DOM_INVALID, WCOL("value"), "估值“%s”无效：请写元，最多两位小数，"
			    "如 50 或 49.90 (yuan with at most two decimals)", text_show(q->value));
		if (rc != 0 || fen > DOM_WISH_VALUE_MAX)
			return dom_err(e, DOM_INVALID, WCOL("value"), "估值“%s”元超出范围，应在 0 到 "
			    "1000000 元之间 (out of range)", text_show(q->value));
	}
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_cob_home_org(r, q->org_id, dom_cob_home_kinds, org, e) != 0)
		goto refused;
	value_set_text(&v[WCOL("org_id")], org);
	value_set_text(&v[WCOL("resident_name")], q->resident);
	if (dom_given(q->household))
		value_set_text(&v[WCOL("household")], q->household);
	if (dom_given(q->grid))
		value_set_text(&v[WCOL("grid")], q->grid);
	value_set_text(&v[WCOL("wish")], q->wish);
	if (fen >= 0)
		value_set_int(&v[WCOL("value")], fen);
	value_set_text(&v[WCOL("status")], "open");
	value_set_text(&v[WCOL("posted_on")], date);
	for (int c = 0; c < schema_tables[TBL_MICRO_WISH].ncols; c++)
		set[c] = v[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
	if (dom_check_values(TBL_MICRO_WISH, v, set, true, e) != 0)
		goto refused;
	if (rep_insert(r, TBL_MICRO_WISH, v, id, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto refused;
	}
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
refused:
	rep_rollback(r);
	return -1;
}

/* Whether row id of table t exists in this replica: 1, 0, or -1 on error. */
static int
row_here(struct replica *r, const char *table, const char *id)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc;

	/* table is one of ours, never input. */
	snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE id = ?1", table);
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id ? id : "", -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
dom_wish_claim(struct replica *r, const char *operator_name, const char *id,
    const struct dom_claimant *who, const char *date, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[5];
	uint32_t cols[5];
	const char *tbl = NULL, *cid = NULL;
	char day[11];
	int n = 0, k = 0, rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	n = (dom_given(who->member_id) != NULL) + (dom_given(who->unit_id) != NULL) +
	    (dom_given(who->branch_id) != NULL);
	if (n != 1)
		return dom_err(e, n == 0 ? DOM_MISSING : DOM_INVALID, WCOL("by_member_id"),
		    "认领人须为一名党员、一个驻区单位或一个支部（三者选一） (one claimant: --member, "
		    "--unit or --branch)");
	if (dom_cob_date(date, TBL_MICRO_WISH, "claimed_on", day, e) != 0)
		return -1;
	if (dom_given(who->member_id)) {
		tbl = "member";
		cid = who->member_id;
		cols[k] = (uint32_t)WCOL("by_member_id");
	} else if (dom_given(who->unit_id)) {
		tbl = "resident_unit";
		cid = who->unit_id;
		cols[k] = (uint32_t)WCOL("by_unit_id");
	} else {
		tbl = "org";
		cid = who->branch_id;
		cols[k] = (uint32_t)WCOL("by_org_id");
	}
	value_set_text(&v[k++], cid);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load(r, id, cur, e) != 0)
		goto refused;
	if (!status_is(cur, "open")) {
		dom_err(e, DOM_INVALID, WCOL("status"), "该微心愿%s，只有待认领的心愿可以认领 "
		    "(only an open wish is claimed)", status_label(cur));
		goto refused;
	}
	if ((rc = row_here(r, tbl, cid)) != 1) {
		if (rc < 0)
			dom_db_err(r, e);
		else
			dom_err(e, DOM_NOT_FOUND, (int)cols[0], "本副本中没有该认领人 (no such claimant)");
		goto refused;
	}
	cols[k] = (uint32_t)WCOL("status");
	value_set_text(&v[k++], "claimed");
	cols[k] = (uint32_t)WCOL("claimed_on");
	value_set_text(&v[k++], day);
	if (dom_cob_update(r, TBL_MICRO_WISH, id, cur, cols, v, (size_t)k, e) != 0)
		goto refused;
	clear_row(TBL_MICRO_WISH, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_row(TBL_MICRO_WISH, cur);
	return -1;
}

int
dom_wish_fulfil(struct replica *r, const char *operator_name, const char *id,
    const char *date, const char *photo, const char *note, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[4];
	uint32_t cols[4];
	char day[11];
	int k = 0;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	if (dom_bounded(TBL_MICRO_WISH, "photo", photo, DOM_WISH_PHOTO_MAX, e) ||
	    dom_bounded(TBL_MICRO_WISH, "note", note, DOM_WISH_NOTE_MAX, e) ||
	    dom_cob_date(date, TBL_MICRO_WISH, "fulfilled_on", day, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load(r, id, cur, e) != 0)
		goto refused;
	if (!status_is(cur, "claimed")) {
		dom_err(e, DOM_INVALID, WCOL("status"), "该微心愿%s，只有已认领的心愿可以登记实现 "
		    "(only a claimed wish is fulfilled)", status_label(cur));
		goto refused;
	}
	cols[k] = (uint32_t)WCOL("status");
	value_set_text(&v[k++], "fulfilled");
	cols[k] = (uint32_t)WCOL("fulfilled_on");
	value_set_text(&v[k++], day);
	if (dom_given(photo)) {
		cols[k] = (uint32_t)WCOL("photo");
		value_set_text(&v[k++], photo);
	}
	if (dom_given(note)) {
		cols[k] = (uint32_t)WCOL("note");
		value_set_text(&v[k++], note);
	}
	if (dom_cob_update(r, TBL_MICRO_WISH, id, cur, cols, v, (size_t)k, e) != 0)
		goto refused;
	clear_row(TBL_MICRO_WISH, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_row(TBL_MICRO_WISH, cur);
	return -1;
}

int
dom_wish_cancel(struct replica *r, const char *operator_name, const char *id, const char *note,
    struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[2];
	uint32_t cols[2];
	int k = 0;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	if (dom_bounded(TBL_MICRO_WISH, "note", note, DOM_WISH_NOTE_MAX, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load(r, id, cur, e) != 0)
		goto refused;
	if (!status_is(cur, "open") && !status_is(cur, "claimed")) {
		dom_err(e, DOM_INVALID, WCOL("status"), "该微心愿%s，不能再撤销 (a fulfilled or "
		    "cancelled wish is final)", status_label(cur));
		goto refused;
	}
	cols[k] = (uint32_t)WCOL("status");
	value_set_text(&v[k++], "cancelled");
	if (dom_given(note)) {
		cols[k] = (uint32_t)WCOL("note");
		value_set_text(&v[k++], note);
	}
	if (dom_cob_update(r, TBL_MICRO_WISH, id, cur, cols, v, (size_t)k, e) != 0)
		goto refused;
	clear_row(TBL_MICRO_WISH, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_row(TBL_MICRO_WISH, cur);
	return -1;
}

/*
 * The wishes with their organisation and claimant: ?1 status or NULL, ?2
 * first day of the month or NULL, ?3 its last day, ?4 one id or NULL.
 */
static const char list_sql[] =
    "SELECT w.id, w.org_id, o.code, o.name, w.resident_name, w.household, w.grid, w.wish,"
    " w.status, coalesce(w.value, -1), w.posted_on, w.claimed_on, w.fulfilled_on, w.photo,"
    " w.note,"
    " CASE WHEN w.by_member_id IS NOT NULL THEN 'member' WHEN w.by_unit_id IS NOT NULL"
    "  THEN 'unit' WHEN w.by_org_id IS NOT NULL THEN 'branch' END,"
    " coalesce(m.name, u.name, b.name, substr(coalesce(w.by_member_id, w.by_unit_id,"
    "  w.by_org_id), -8))"
    " FROM micro_wish w LEFT JOIN org o ON o.id = w.org_id"
    " LEFT JOIN member m ON m.id = w.by_member_id"
    " LEFT JOIN resident_unit u ON u.id = w.by_unit_id"
    " LEFT JOIN org b ON b.id = w.by_org_id"
    " WHERE (?1 IS NULL OR w.status = ?1) AND (?2 IS NULL OR w.posted_on BETWEEN ?2 AND ?3)"
    " AND (?4 IS NULL OR w.id = ?4)"
    " ORDER BY w.posted_on, w.id";

static int
list_run(struct replica *r, const struct dom_wish_query *q, const char *one,
    void (*each)(const struct dom_wish_row *w, void *arg), void *arg, struct dom_error *e)
{
	const char *status = NULL;
	char from[11], to[11];
	sqlite3_stmt *st;
	int rc, n = 0;

	dom_error_clear(e);
	if (dom_given(q->status) && (status = vocab_parse(vocab_get("wish_status"), q->status)) == NULL) {
		char vals[256];
		vocab_list(vocab_get("wish_status"), 0, "、", vals, sizeof vals);
		return dom_err(e, DOM_INVALID, WCOL("status"), "状态“%s”无效，可选：%s (unknown status)",
		    text_show(q->status), vals);
	}
	if (dom_given(q->month)) {
		if (!dom_month_valid(q->month))
			return dom_err(e, DOM_INVALID, -1, "月份“%s”无效，应为 YYYY-MM (not a month)",
			    text_show(q->month));
		snprintf(from, sizeof from, "%.7s-01", q->month);
		snprintf(to, sizeof to, "%.7s-31", q->month);
	}
	if (sqlite3_prepare_v2(replica_db(r), list_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (status)
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	if (dom_given(q->month)) {
		sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	}
	if (one)
		sqlite3_bind_text(st, 4, one, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_wish_row w = {
			.id = dom_col_text(st, 0), .org_id = dom_col_text(st, 1), .org_code = dom_col_text(st, 2),
			.org_name = dom_col_text(st, 3), .resident = dom_col_text(st, 4),
			.household = dom_col_text(st, 5), .grid = dom_col_text(st, 6), .wish = dom_col_text(st, 7),
			.status = dom_col_text(st, 8), .value = sqlite3_column_int64(st, 9),
			.posted_on = dom_col_text(st, 10), .claimed_on = dom_col_text(st, 11),
			.fulfilled_on = dom_col_text(st, 12), .photo = dom_col_text(st, 13),
			.note = dom_col_text(st, 14), .claimant_kind = dom_col_text(st, 15),
			.claimant = dom_col_text(st, 16),
		};
		each(&w, arg);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (one && n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该微心愿 (no such wish)");
	return 0;
}

int
dom_wish_list(struct replica *r, const struct dom_wish_query *q,
    void (*each)(const struct dom_wish_row *w, void *arg), void *arg, struct dom_error *e)
{
	return list_run(r, q, NULL, each, arg, e);
}

int
dom_wish_get(struct replica *r, const char *id,
    void (*each)(const struct dom_wish_row *w, void *arg), void *arg, struct dom_error *e)
{
	struct dom_wish_query q = { 0 };

	if (id == NULL || !id_valid(id)) {
		dom_error_clear(e);
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该微心愿 (no such wish)");
	}
	return list_run(r, &q, id, each, arg, e);
}

/*
 * Per organisation and month of year ?1: wishes posted, claimed and
 * fulfilled in the month (each by its own date), and the value fulfilled.
 */
static const char report_sql[] =
    "WITH ev(org_id, month, p, c, f, v) AS ("
    " SELECT org_id, substr(posted_on, 1, 7), 1, 0, 0, 0 FROM micro_wish"
    "  WHERE substr(posted_on, 1, 4) = ?1"
    " UNION ALL SELECT org_id, substr(claimed_on, 1, 7), 0, 1, 0, 0 FROM micro_wish"
    "  WHERE substr(claimed_on, 1, 4) = ?1"
    " UNION ALL SELECT org_id, substr(fulfilled_on, 1, 7), 0, 0, 1, coalesce(value, 0)"
    "  FROM micro_wish WHERE status = 'fulfilled' AND substr(fulfilled_on, 1, 4) = ?1)"
    " SELECT ev.org_id, o.code, o.name, ev.month, sum(p), sum(c), sum(f), sum(v)"
    " FROM ev LEFT JOIN org o ON o.id = ev.org_id"
    " GROUP BY ev.org_id, ev.month ORDER BY o.code, ev.org_id, ev.month";

int
dom_wish_report(struct replica *r, const char *year,
    void (*each)(const struct dom_wish_month *m, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (year == NULL || strlen(year) != 4 || strspn(year, "0123456789") != 4)
		return dom_err(e, DOM_INVALID, -1, "年份“%s”无效，应为 YYYY (not a year)",
		    text_show(year ? year : ""));
	if (sqlite3_prepare_v2(replica_db(r), report_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, year, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_wish_month m = {
			.org_id = dom_col_text(st, 0), .org_code = dom_col_text(st, 1),
			.org_name = dom_col_text(st, 2), .month = dom_col_text(st, 3),
			.posted = sqlite3_column_int64(st, 4), .claimed = sqlite3_column_int64(st, 5),
			.fulfilled = sqlite3_column_int64(st, 6),
			.value_fulfilled = sqlite3_column_int64(st, 7),
		};
		each(&m, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_wish_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	return dom_row_handle(r, TBL_MICRO_WISH, handle ? handle : "", "微心愿", id, e);
}

int
dom_claimant_of(struct replica *r, const char *member, const char *unit, const char *branch,
    const char *const *branch_kinds, char cid[ID_TEXT_LEN + 1], struct dom_claimant *who,
    struct dom_error *e)
{
	if (member != NULL) {
		if (dom_member_handle(r, member, cid, e) != 0)
			return -1;
		who->member_id = cid;
	} else if (unit != NULL) {
		if (dom_claim_unit_handle(r, unit, cid, e) != 0)
			return -1;
		who->unit_id = cid;
	} else {
		if (dom_cob_org(r, branch, branch_kinds, "认领支部", cid, e) != 0)
			return -1;
		who->branch_id = cid;
	}
	return 0;
}

int
dom_claim_unit_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int units = 0;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT count(*) FROM resident_unit", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (sqlite3_step(st) == SQLITE_ROW)
		units = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (units == 0 && handle != NULL && handle[0] != '\0')
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中还没有驻区单位记录，无法按单位认领“%s”"
		    "（先登记驻区单位并同步）(this replica holds no resident unit yet)", text_show(handle));
	return dom_unit_handle(r, handle, id, e);
}
