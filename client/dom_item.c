/*
 * dom_item.c - list-based management (清单式管理): add an item, take it a
 * step (claim 认领, rectify 整改, close out 销号), list items, one item. Each
 * write is one local transaction whose rules read the row inside it. See
 * dom_work.h for the item's life.
 */
#include "dom_work.h"

#include <stdio.h>
#include <string.h>

#include "validate.h"
#include "value.h"
#include "vocab.h"

#define ICOL(name) schema_col_index(&schema_tables[TBL_LIST_ITEM], name)

static const char *
stmt_text(sqlite3_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st, c);
}

/* The text of column c of a row, or NULL. */
static const char *
val_text(const Tongxin__Value *v, int c)
{
	return v[c].kind_case == TONGXIN__VALUE__KIND_S ? v[c].s : NULL;
}

/* --- add ------------------------------------------------------------------ */

int
dom_item_add(struct replica *r, const char *operator_name, const Tongxin__Value *vals,
    const int *set, bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	static const char *const steps_cols[] = { "status", "claimed_by", "claimed_on",
		"rectification", "rectified_on", "closed_on", "close_note" };
	Tongxin__Value v[DOM_MAX_COLS];
	int s[DOM_MAX_COLS];
	char id[ID_TEXT_LEN + 1], err[512] = "";

	dom_error_clear(e);
	/* A new item is open: its steps are taken by dom_item_step, never given here. */
	for (size_t k = 0; k < sizeof steps_cols / sizeof steps_cols[0]; k++)
		if (set[ICOL(steps_cols[k])])
			return dom_work_fail(e, DOM_INVALID, ICOL(steps_cols[k]), "新清单不能填写%s "
			    "a new item is open; its steps come later",
			    schema_tables[TBL_LIST_ITEM].cols[ICOL(steps_cols[k])].label);
	memcpy(v, vals, sizeof v);   /* borrowed strings */
	memcpy(s, set, sizeof s);
	value_set_text(&v[ICOL("status")], "open");
	s[ICOL("status")] = 1;
	if (rep_begin(r, operator_name) != 0)
		return dom_work_db_fail(r, e);
	if (dom_check_values(TBL_LIST_ITEM, v, s, true, e) != 0 ||
	    dom_work_org_open(r, v[ICOL("org_id")].s, ICOL("org_id"), "items", e) != 0) {
		rep_rollback(r);
		return -1;
	}
	if (dry_run) {
		rep_rollback(r);
		return 0;
	}
	if (rep_insert(r, TBL_LIST_ITEM, v, id, err, sizeof err) != 0) {
		rep_rollback(r);
		return dom_work_fail(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_work_fail(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* --- claim, rectify, close ------------------------------------------------ */

/* The step's date and text columns. */
static const char *const step_date_col[] = { "claimed_on", "rectified_on", "closed_on" };
static const char *const step_text_col[] = { "claimed_by", "rectification", "close_note" };
static const char *const step_status[] = { "claimed", "rectified", "closed" };

/* Whether the step fits the item's kind and status (cur). 0, or -1 with e. */
static int
step_allowed(enum dom_item_step step, const Tongxin__Value *cur, struct dom_item_done *done,
    struct dom_error *e)
{
	const struct vocab *kinds = vocab_get("item_kind");
	const char *kind = val_text(cur, ICOL("kind")), *status = val_text(cur, ICOL("status"));
	const char *by = val_text(cur, ICOL("claimed_by")), *on = val_text(cur, ICOL("claimed_on"));

	if (kind == NULL || status == NULL)
		return dom_work_fail(e, DOM_INVALID, -1, "清单缺少类型或状态 the item has no kind or "
		    "status");
	if (strcmp(status, "closed") == 0)
		return dom_work_fail(e, DOM_INVALID, ICOL("status"), "清单已销号 the item was closed "
		    "on %s", val_text(cur, ICOL("closed_on")) ? val_text(cur, ICOL("closed_on")) : "?");
	switch (step) {
	case DOM_ITEM_CLAIM:
		if (strcmp(kind, "need") != 0 && strcmp(kind, "project") != 0 &&
		    strcmp(kind, "resource") != 0 && strcmp(kind, "problem") != 0)
			return dom_work_fail(e, DOM_INVALID, ICOL("kind"), "只有需求、项目、资源、问题"
			    "清单可以认领 only need, project, resource and problem items are claimed; "
			    "this is a %s (%s) item", vocab_show(kinds, kind), kind);
		if (strcmp(status, "claimed") == 0)
			return dom_work_fail(e, DOM_INVALID, ICOL("status"), "已被认领 the item was "
			    "already claimed by %s on %s", by ? by : "?", on ? on : "?");
		if (strcmp(status, "open") != 0)
			return dom_work_fail(e, DOM_INVALID, ICOL("status"), "清单%s，不能再认领 the "
			    "item is %s; only open items are claimed",
			    vocab_show(vocab_get("item_status"), status), status);
		break;
	case DOM_ITEM_RECTIFY:
		if (strcmp(kind, "problem") != 0)
			return dom_work_fail(e, DOM_INVALID, ICOL("kind"), "只有问题清单需要整改 only "
			    "problem items are rectified; this is a %s (%s) item",
			    vocab_show(kinds, kind), kind);
		break;
	case DOM_ITEM_CLOSE:
		if (strcmp(kind, "problem") == 0 && strcmp(status, "rectified") != 0) {
			done->need_rectify = true;
			return dom_work_fail(e, DOM_INVALID, ICOL("status"), "问题清单须先整改再销号 "
			    "a problem item must be rectified before it is closed");
		}
		break;
	}
	return 0;
}

unsigned
dom_item_next(const char *kind, const char *status)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	struct dom_item_done done;
	struct dom_error e;
	unsigned mask = 0;

	if (kind == NULL || status == NULL)
		return 0;
	memset(cur, 0, sizeof cur);
	value_set_text(&cur[ICOL("kind")], kind);
	value_set_text(&cur[ICOL("status")], status);
	for (int s = DOM_ITEM_CLAIM; s <= DOM_ITEM_CLOSE; s++)
		if (step_allowed((enum dom_item_step)s, cur, &done, &e) == 0)
			mask |= 1u << s;
	return mask;
}

/*
 * The step's date: its form, not in the future, not before an earlier
 * step's date (claim, then rectify, then close). 0, or -1 with e.
 */
static int
step_date_ok(enum dom_item_step step, const Tongxin__Value *cur, const char *date,
    const char *today, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_LIST_ITEM];
	int c = ICOL(step_date_col[step]);
	Tongxin__Value dv;
	char why[512];

	value_set_text(&dv, date);
	if (validate_value(&td->cols[c], &dv, why, sizeof why) != 0)
		return dom_work_fail(e, DOM_INVALID, c, "%s", why);
	if (strcmp(date, today) > 0)
		return dom_work_fail(e, DOM_INVALID, c, "%s %s 晚于今天 (in the future)",
		    td->cols[c].label, date);
	for (int k = 0; k < (int)step; k++) {
		const char *earlier = val_text(cur, ICOL(step_date_col[k]));
		if (earlier != NULL && strcmp(date, earlier) < 0)
			return dom_work_fail(e, DOM_INVALID, c, "%s %s 早于%s %s", td->cols[c].label,
			    date, td->cols[ICOL(step_date_col[k])].label, earlier);
	}
	return 0;
}

/*
 * Check the step on row cur and write it (the transaction is open). 0, or
 * -1 with e.
 */
static int
step_apply(struct replica *r, const char *id, enum dom_item_step step, Tongxin__Value *cur,
    const char *date, const char *text, const char *today, bool dry_run,
    struct dom_item_done *done, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_LIST_ITEM];
	Tongxin__Value newv[DOM_MAX_COLS], setv[3];
	uint32_t cols[3];
	char why[512], err[512] = "";
	size_t n = 0;

	snprintf(done->kind, sizeof done->kind, "%s", val_text(cur, ICOL("kind")) ?
	    val_text(cur, ICOL("kind")) : "");
	snprintf(done->title, sizeof done->title, "%s", val_text(cur, ICOL("title")) ?
	    val_text(cur, ICOL("title")) : "");
	if (step_allowed(step, cur, done, e) != 0 || step_date_ok(step, cur, date, today, e) != 0)
		return -1;
	cols[n] = (uint32_t)ICOL("status");
	value_set_text(&setv[n++], step_status[step]);
	cols[n] = (uint32_t)ICOL(step_date_col[step]);
	value_set_text(&setv[n++], date);
	cols[n] = (uint32_t)ICOL(step_text_col[step]);
	if (text && text[0])
		value_set_text(&setv[n++], text);
	else
		value_set_null(&setv[n++]);
	/* The row as it would be, checked whole. */
	memcpy(newv, cur, sizeof newv);   /* borrowed strings */
	for (size_t k = 0; k < n; k++) {
		if (validate_value(&td->cols[cols[k]], &setv[k], why, sizeof why) != 0)
			return dom_work_fail(e, DOM_INVALID, (int)cols[k], "%s", why);
		newv[cols[k]] = setv[k];
	}
	if (validate_row(TBL_LIST_ITEM, newv, today, why, sizeof why) != 0)
		return dom_work_fail(e, DOM_INVALID, -1, "%s", why);
	if (dry_run)
		return 0;
	if (rep_update(r, TBL_LIST_ITEM, id, cols, setv, n, err, sizeof err) != 0)
		return dom_work_fail(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

int
dom_item_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_item_step step, const char *date, const char *text, bool dry_run,
    struct dom_item_done *done, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	struct dom_item_done local;
	char today[11], err[512] = "";
	int rc;

	dom_error_clear(e);
	if (done == NULL)
		done = &local;
	memset(done, 0, sizeof *done);
	if ((unsigned)step > DOM_ITEM_CLOSE)
		return dom_work_fail(e, DOM_INVALID, -1, "未知的步骤 unknown step");
	/* What each step must say: who claims it, what was done. */
	if (step == DOM_ITEM_CLAIM && (text == NULL || text[0] == '\0'))
		return dom_work_fail(e, DOM_MISSING, ICOL("claimed_by"), "缺少认领方 (the branch or "
		    "unit that claims it) is required");
	if (step == DOM_ITEM_RECTIFY && (text == NULL || text[0] == '\0'))
		return dom_work_fail(e, DOM_MISSING, ICOL("rectification"), "缺少整改情况 (what was "
		    "done) is required");
	today_str(today);
	if (date == NULL || date[0] == '\0')
		date = today;
	snprintf(done->date, sizeof done->date, "%s", date);
	if (id == NULL || !id_valid(id))
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到清单 no such item");
	if (rep_begin(r, operator_name) != 0)
		return dom_work_db_fail(r, e);
	memset(cur, 0, sizeof cur);
	rc = rep_get(r, TBL_LIST_ITEM, id, cur, NULL);
	if (rc <= 0) {
		rep_rollback(r);
		return rc == 0 ? dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到清单 no such item") :
		    dom_work_db_fail(r, e);
	}
	rc = step_apply(r, id, step, cur, date, text, today, dry_run, done, e);
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	if (rc != 0 || dry_run) {
		rep_rollback(r);
		return rc;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_work_fail(e, DOM_FAIL, -1, "%s", err);
	return 0;
}

/* --- reading -------------------------------------------------------------- */

#define ITEM_COLS							\
	"SELECT i.id, i.org_id, coalesce(o.name, i.org_id), i.kind, i.title, i.detail,"	\
	" i.due_on, i.status, i.claimed_by, i.claimed_on, i.rectification,"	\
	" i.rectified_on, i.closed_on, i.close_note,"			\
	" i.kind = 'problem' AND i.due_on IS NOT NULL AND i.due_on < ?5"	\
	"  AND coalesce(i.status, 'open') <> 'closed'"			\
	" FROM list_item i LEFT JOIN org o ON o.id = i.org_id"

/* Hand every row of st to each. 0, or -1 with e. */
static int
item_rows(struct replica *r, sqlite3_stmt *st,
    void (*each)(const struct dom_item_row *i, void *arg), void *arg, int *nrows,
    struct dom_error *e)
{
	int rc;

	*nrows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_item_row i = {
			.id = stmt_text(st, 0), .org_id = stmt_text(st, 1),
			.org_name = stmt_text(st, 2), .kind = stmt_text(st, 3),
			.title = stmt_text(st, 4), .detail = stmt_text(st, 5),
			.due_on = stmt_text(st, 6), .status = stmt_text(st, 7),
			.claimed_by = stmt_text(st, 8), .claimed_on = stmt_text(st, 9),
			.rectification = stmt_text(st, 10), .rectified_on = stmt_text(st, 11),
			.closed_on = stmt_text(st, 12), .close_note = stmt_text(st, 13),
			.overdue = sqlite3_column_int(st, 14) != 0,
		};
		each(&i, arg);
		(*nrows)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_work_db_fail(r, e);
}

int
dom_item_list(struct replica *r, const struct dom_item_query *q,
    void (*each)(const struct dom_item_row *i, void *arg), void *arg, struct dom_error *e)
{
	const char *kind = NULL, *status = NULL;
	char today[11];
	sqlite3_stmt *st;
	int n;

	dom_error_clear(e);
	if (q->kind && q->kind[0] && (kind = vocab_parse(vocab_get("item_kind"), q->kind)) == NULL)
		return dom_work_fail(e, DOM_INVALID, ICOL("kind"), "清单类型 \"%s\" 无效 unknown "
		    "item kind", q->kind);
	if (q->status && q->status[0] &&
	    (status = vocab_parse(vocab_get("item_status"), q->status)) == NULL)
		return dom_work_fail(e, DOM_INVALID, ICOL("status"), "清单状态 \"%s\" 无效 unknown "
		    "item status", q->status);
	today_str(today);
	/* An organisation takes in its whole subtree. Open items first, by due date. */
	if (sqlite3_prepare_v2(replica_db(r), DOM_SUBTREE_CTE " " ITEM_COLS
	    " WHERE (?1 IS NULL OR i.org_id IN (SELECT id FROM sub))"
	    " AND (?2 IS NULL OR i.kind = ?2) AND (?3 = 0 OR i.status <> 'closed')"
	    " AND (?4 IS NULL OR i.status = ?4)"
	    " ORDER BY i.status = 'closed', coalesce(i.due_on, '9999-99-99'), i.id", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, q->org_id && q->org_id[0] ? q->org_id : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, q->open_only);
	sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, today, -1, SQLITE_STATIC);
	return item_rows(r, st, each, arg, &n, e);
}

int
dom_item_get(struct replica *r, const char *id,
    void (*each)(const struct dom_item_row *i, void *arg), void *arg, struct dom_error *e)
{
	char today[11];
	sqlite3_stmt *st;
	int n;

	dom_error_clear(e);
	if (id == NULL || !id_valid(id))
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到清单 no such item");
	today_str(today);
	if (sqlite3_prepare_v2(replica_db(r), ITEM_COLS " WHERE i.id = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, today, -1, SQLITE_STATIC);
	if (item_rows(r, st, each, arg, &n, e) != 0)
		return -1;
	return n == 1 ? 0 : dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到清单 no such item");
}
