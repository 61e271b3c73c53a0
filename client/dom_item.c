/*
 * dom_item.c - list-based management (清单式管理): add an item, take it a
 * step (claim 认领, rectify 整改, close out 销号), list items, one item. Each
 * write is one local transaction whose rules read the row inside it. See
 * dom_work.h for the item's life.
 */
#include "dom_work.h"

#include "dom_cob.h"
#include "dom_dues.h"
#include "dom_handle.h"
#include "dom_wish.h"

#include <stdio.h>
#include <string.h>

#include "text.h"

#include "validate.h"
#include "value.h"
#include "vocab.h"

#define ICOL(name) schema_col_index(&schema_tables[TBL_LIST_ITEM], name)

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

	if (kind == NULL || status == NULL)
		return dom_work_fail(e, DOM_INVALID, -1, "清单缺少类型或状态 the item has no kind or "
		    "status");
	if (strcmp(status, "closed") == 0)
		return dom_work_fail(e, DOM_INVALID, ICOL("status"), "清单已销号 the item was closed "
		    "on %s", val_text(cur, ICOL("closed_on")) ? val_text(cur, ICOL("closed_on")) : "?");
	switch (step) {
	case DOM_ITEM_CLAIM:
		/* Every kind (责任 items too); several claimants may take on one item. */
		if (strcmp(status, "open") != 0 && strcmp(status, "claimed") != 0)
			return dom_work_fail(e, DOM_INVALID, ICOL("status"), "清单%s，不能再认领 the "
			    "item is %s; only open or claimed items are claimed",
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
	if (step == DOM_ITEM_CLAIM) {
		/* The claimant named by text is a real organisation: a claim row of its own. */
		struct dom_claimant who = { 0 };
		char org[ID_TEXT_LEN + 1];
		if (dom_claim_org_named(r, text, org, e) != 0) {
			e->col = ICOL("claimed_by");
			return -1;
		}
		who.branch_id = org;
		return dom_item_claim(r, operator_name, id, &who, date, dry_run, NULL, done, e);
	}
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
			.id = dom_col_text(st, 0), .org_id = dom_col_text(st, 1),
			.org_name = dom_col_text(st, 2), .kind = dom_col_text(st, 3),
			.title = dom_col_text(st, 4), .detail = dom_col_text(st, 5),
			.due_on = dom_col_text(st, 6), .status = dom_col_text(st, 7),
			.claimed_by = dom_col_text(st, 8), .claimed_on = dom_col_text(st, 9),
			.rectification = dom_col_text(st, 10), .rectified_on = dom_col_text(st, 11),
			.closed_on = dom_col_text(st, 12), .close_note = dom_col_text(st, 13),
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

/* --- claims (双向认领) ------------------------------------------------------- */

#define KCOL(name) schema_col_index(&schema_tables[TBL_CLAIM], name)

/* The states of a claim that still count for its claimant (active) and for the item. */
#define CLAIM_ACTIVE "('claimed', 'in_progress')"
#define CLAIM_HELD "('claimed', 'in_progress', 'done')"

/* Commit, or e. */
static int
claim_commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_work_fail(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

int
dom_claim_org_named(struct replica *r, const char *text, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, n = 0;
	char first[ID_TEXT_LEN + 1] = "";

	dom_error_clear(e);
	if (text == NULL || text[0] == '\0')
		return dom_work_fail(e, DOM_MISSING, -1, "缺少认领方 (the branch or unit that claims "
		    "it) is required");
	/* A code first (codes are unique), then a name that only one organisation has. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, kind, coalesce(dissolved, 0) FROM org"
	    " WHERE code = ?1 UNION ALL SELECT id, kind, coalesce(dissolved, 0) FROM org"
	    " WHERE name = ?1 AND NOT EXISTS (SELECT 1 FROM org WHERE code = ?1)"
	    " AND kind IN ('branch', 'general_branch', 'community')", -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = dom_col_text(st, 1);
		bool ok = false;
		for (int k = 0; dom_item_claim_kinds[k]; k++)
			ok = ok || (kind && strcmp(kind, dom_item_claim_kinds[k]) == 0);
		if (!ok || sqlite3_column_int(st, 2) != 0) {
			sqlite3_finalize(st);
			return dom_work_fail(e, DOM_INVALID, -1, "认领方“%s”%s，不能认领 (a claiming "
			    "organisation is a branch, general branch or community, not dissolved)",
			    text_show(text), ok ? "已撤销" : "不是支部、党总支或社区党组织");
		}
		if (n++ == 0)
			snprintf(first, sizeof first, "%s", dom_col_text(st, 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_work_db_fail(r, e);
	if (n == 0)
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "认领方“%s”不是本副本中的组织（编码或名称）；"
		    "驻区单位请用 --unit，党员请用 --member (no organisation has this code or name)",
		    text_show(text));
	if (n > 1)
		return dom_work_fail(e, DOM_INVALID, -1, "有 %d 个组织名为“%s”，请给出组织编码 "
		    "(ambiguous: give the code)", n, text_show(text));
	snprintf(id, ID_TEXT_LEN + 1, "%s", first);
	return 0;
}

/*
 * The claimant's column of table claim, the table holding it and its id,
 * from who (exactly one set). -1 with e otherwise.
 */
static int
claimant_of(const struct dom_claimant *who, const char **col, const char **table,
    const char **id, struct dom_error *e)
{
	int n = 0;

	if (who->branch_id && who->branch_id[0]) {
		n++;
		*col = "by_org_id", *table = "org", *id = who->branch_id;
	}
	if (who->unit_id && who->unit_id[0]) {
		n++;
		*col = "by_unit_id", *table = "resident_unit", *id = who->unit_id;
	}
	if (who->member_id && who->member_id[0]) {
		n++;
		*col = "by_member_id", *table = "member", *id = who->member_id;
	}
	if (n != 1)
		return dom_work_fail(e, n == 0 ? DOM_MISSING : DOM_INVALID, ICOL("claimed_by"),
		    "认领方须为一个支部、一个驻区单位或一名党员（三者选一） (one claimant: --branch, "
		    "--unit or --member)");
	return 0;
}

/* The name of row id of table (one of ours) into out; 1 found, 0 not, -1 error. */
static int
row_name(struct replica *r, const char *table, const char *id, char *out, size_t cap)
{
	char sql[96];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof sql, "SELECT name FROM %s WHERE id = ?1", table);
	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, cap, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Inside the transaction: make the item follow its claims. While a claim
 * that was not withdrawn remains, an open or claimed item is claimed, with
 * the earliest such claim's claimant and date; with none, a claimed item is
 * open again. cur is the item's row. 0, or -1 with e.
 */
static int
item_follow_claims(struct replica *r, const char *item_id, const Tongxin__Value *cur,
    struct dom_error *e)
{
	const char *status = val_text(cur, ICOL("status"));
	Tongxin__Value v[3];
	uint32_t cols[3] = { (uint32_t)ICOL("status"), (uint32_t)ICOL("claimed_by"),
		(uint32_t)ICOL("claimed_on") };
	char name[256] = "", on[11] = "";
	sqlite3_stmt *st;
	int rc;

	if (status == NULL || (strcmp(status, "open") != 0 && strcmp(status, "claimed") != 0))
		return 0;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT coalesce(b.name, u.name, m.name, '?'),"
	    " k.claimed_on FROM claim k LEFT JOIN org b ON b.id = k.by_org_id"
	    " LEFT JOIN resident_unit u ON u.id = k.by_unit_id"
	    " LEFT JOIN member m ON m.id = k.by_member_id"
	    " WHERE k.item_id = ?1 AND k.state IN " CLAIM_HELD
	    " ORDER BY k.claimed_on, k.id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, item_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(name, sizeof name, "%s", dom_col_text(st, 0));
		snprintf(on, sizeof on, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dom_work_db_fail(r, e);
	if (rc == SQLITE_ROW) {
		value_set_text(&v[0], "claimed");
		value_set_text(&v[1], name);
		value_set_text(&v[2], on);
	} else {
		value_set_text(&v[0], "open");
		value_set_null(&v[1]);
		value_set_null(&v[2]);
	}
	return dom_cob_update(r, TBL_LIST_ITEM, item_id, cur, cols, v, 3, e);
}

int
dom_item_claim(struct replica *r, const char *operator_name, const char *item_id,
    const struct dom_claimant *who, const char *date, bool dry_run,
    char claim_out[ID_TEXT_LEN + 1], struct dom_item_done *done, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 };
	struct dom_item_done local;
	const char *col = NULL, *table = NULL, *cid = NULL;
	char today[11], day[11], name[256], cl[ID_TEXT_LEN + 1], err[512] = "";
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (done == NULL)
		done = &local;
	memset(done, 0, sizeof *done);
	memset(cur, 0, sizeof cur);
	memset(v, 0, sizeof v);
	if (claimant_of(who, &col, &table, &cid, e) != 0)
		return -1;
	today_str(today);
	snprintf(day, sizeof day, "%s", date && date[0] ? date : today);
	if (step_date_ok(DOM_ITEM_CLAIM, cur, day, today, e) != 0)
		return -1;
	snprintf(done->date, sizeof done->date, "%s", day);
	if (item_id == NULL || !id_valid(item_id))
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到清单 no such item");
	if (rep_begin(r, operator_name) != 0)
		return dom_work_db_fail(r, e);
	rc = rep_get(r, TBL_LIST_ITEM, item_id, cur, NULL);
	if (rc <= 0) {
		rep_rollback(r);
		return rc == 0 ? dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到清单 no such item") :
		    dom_work_db_fail(r, e);
	}
	snprintf(done->kind, sizeof done->kind, "%s", val_text(cur, ICOL("kind")) ?
	    val_text(cur, ICOL("kind")) : "");
	snprintf(done->title, sizeof done->title, "%s", val_text(cur, ICOL("title")) ?
	    val_text(cur, ICOL("title")) : "");
	if (step_allowed(DOM_ITEM_CLAIM, cur, done, e) != 0)
		goto refused;
	/* The claimant is a row of this replica. */
	if ((rc = row_name(r, table, cid, name, sizeof name)) != 1) {
		if (rc < 0)
			dom_work_db_fail(r, e);
		else
			dom_work_fail(e, DOM_NOT_FOUND, ICOL("claimed_by"), "本副本中没有该认领方 "
			    "(no such claimant)");
		goto refused;
	}
	snprintf(done->claimant, sizeof done->claimant, "%s", name);
	/* Not the same claimant twice while its claim is active. */
	{
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT claimed_on FROM claim WHERE item_id = ?1 AND %s = ?2"
		    " AND state IN " CLAIM_ACTIVE, col);
		if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK) {
			dom_work_db_fail(r, e);
			goto refused;
		}
		sqlite3_bind_text(st, 1, item_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, cid, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			dom_work_fail(e, DOM_INVALID, ICOL("claimed_by"), "“%s”已于 %s 认领本清单，"
			    "认领尚未完成或撤回 (this claimant's claim on the item is still active)",
			    text_show(name), dom_col_text(st, 0) ? dom_col_text(st, 0) : "?");
		sqlite3_finalize(st);
		if (rc == SQLITE_ROW)
			goto refused;
		if (rc != SQLITE_DONE) {
			dom_work_db_fail(r, e);
			goto refused;
		}
	}
	value_set_text(&v[KCOL("item_id")], item_id);
	value_set_text(&v[KCOL(col)], cid);
	value_set_text(&v[KCOL("state")], "claimed");
	value_set_text(&v[KCOL("claimed_on")], day);
	for (int c = 0; c < schema_tables[TBL_CLAIM].ncols; c++)
		set[c] = v[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
	if (dom_check_values(TBL_CLAIM, v, set, true, e) != 0) {
		e->col = -1;
		goto refused;
	}
	if (rep_insert(r, TBL_CLAIM, v, cl, err, sizeof err) != 0) {
		dom_work_fail(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto refused;
	}
	if (item_follow_claims(r, item_id, cur, e) != 0)
		goto refused;
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	if (dry_run) {
		rep_rollback(r);
		return 0;
	}
	if (claim_commit(r, e) != 0)
		return -1;
	if (claim_out)
		snprintf(claim_out, ID_TEXT_LEN + 1, "%s", cl);
	return 0;
refused:
	rep_rollback(r);
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	return -1;
}

int
dom_claim_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	return dom_row_handle(r, TBL_CLAIM, handle ? handle : "", "认领", id, e);
}

int
dom_claim_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_claim_step step, const char *date, const char *text, struct dom_error *e)
{
	const struct vocab *states = vocab_get("claim_state");
	Tongxin__Value cur[DOM_MAX_COLS], item[DOM_MAX_COLS], v[3];
	uint32_t cols[3];
	const char *state;
	char day[11], item_id[ID_TEXT_LEN + 1] = "";
	size_t n = 0;
	int rc;

	dom_error_clear(e);
	memset(cur, 0, sizeof cur);
	memset(item, 0, sizeof item);
	if (step == DOM_CLAIM_DONE && (text == NULL || text[0] == '\0'))
		return dom_work_fail(e, DOM_MISSING, KCOL("result"), "缺少完成情况 (--result: what "
		    "was done) is required");
	if (dom_bounded(TBL_CLAIM, step == DOM_CLAIM_DONE ? "result" : "note", text,
	    step == DOM_CLAIM_DONE ? 2000 : 500, e) != 0)
		return -1;
	if (step == DOM_CLAIM_DONE && dom_cob_date(date, TBL_CLAIM, "done_on", day, e) != 0)
		return -1;
	if (id == NULL || !id_valid(id))
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "本副本中没有该认领 (no such claim)");
	if (rep_begin(r, operator_name) != 0)
		return dom_work_db_fail(r, e);
	if ((rc = rep_get(r, TBL_CLAIM, id, cur, NULL)) != 1) {
		rep_rollback(r);
		return rc == 0 ? dom_work_fail(e, DOM_NOT_FOUND, -1, "本副本中没有该认领 (no such "
		    "claim)") : dom_work_db_fail(r, e);
	}
	state = val_text(cur, KCOL("state"));
	if (state == NULL || strcmp(state, "done") == 0 || strcmp(state, "withdrawn") == 0) {
		dom_work_fail(e, DOM_INVALID, KCOL("state"), "该认领%s，不能再变更 (a done or "
		    "withdrawn claim is final)", vocab_show(states, state ? state : ""));
		goto refused;
	}
	if (step == DOM_CLAIM_PROGRESS && strcmp(state, "claimed") != 0) {
		dom_work_fail(e, DOM_INVALID, KCOL("state"), "该认领已%s (the claim is already in "
		    "progress)", vocab_show(states, state));
		goto refused;
	}
	cols[n] = (uint32_t)KCOL("state");
	value_set_text(&v[n++], step == DOM_CLAIM_PROGRESS ? "in_progress" :
	    step == DOM_CLAIM_DONE ? "done" : "withdrawn");
	if (step == DOM_CLAIM_DONE) {
		cols[n] = (uint32_t)KCOL("done_on");
		value_set_text(&v[n++], day);
		cols[n] = (uint32_t)KCOL("result");
		value_set_text(&v[n++], text);
	} else if (step == DOM_CLAIM_WITHDRAW && text && text[0]) {
		cols[n] = (uint32_t)KCOL("note");
		value_set_text(&v[n++], text);
	}
	if (dom_cob_update(r, TBL_CLAIM, id, cur, cols, v, n, e) != 0)
		goto refused;
	/* A withdrawal may leave the item without a claimant: it follows its claims. */
	if (step == DOM_CLAIM_WITHDRAW) {
		snprintf(item_id, sizeof item_id, "%s", val_text(cur, KCOL("item_id")) ?
		    val_text(cur, KCOL("item_id")) : "");
		if ((rc = rep_get(r, TBL_LIST_ITEM, item_id, item, NULL)) == 1 &&
		    item_follow_claims(r, item_id, item, e) != 0)
			goto refused;
		if (rc < 0) {
			dom_work_db_fail(r, e);
			goto refused;
		}
	}
	for (int c = 0; c < DOM_MAX_COLS; c++) {
		value_clear(&cur[c]);
		value_clear(&item[c]);
	}
	return claim_commit(r, e);
refused:
	rep_rollback(r);
	for (int c = 0; c < DOM_MAX_COLS; c++) {
		value_clear(&cur[c]);
		value_clear(&item[c]);
	}
	return -1;
}

/* A claim's claimant: its kind and its name (or what is known of it). */
#define CLAIMANT_SQL							\
	" CASE WHEN k.by_org_id IS NOT NULL THEN 'branch' WHEN k.by_unit_id IS NOT NULL"	\
	"  THEN 'unit' WHEN k.by_member_id IS NOT NULL THEN 'member' END,"	\
	" coalesce(b.name, u.name, m.name, CASE WHEN k.by_unit_id IS NOT NULL THEN"	\
	"  '其他社区的驻区单位' END, substr(coalesce(k.by_org_id, k.by_member_id), -8))"
#define CLAIMANT_JOINS							\
	" LEFT JOIN org b ON b.id = k.by_org_id"			\
	" LEFT JOIN resident_unit u ON u.id = k.by_unit_id"		\
	" LEFT JOIN member m ON m.id = k.by_member_id"

int
dom_claim_list(struct replica *r, const char *item_id,
    void (*each)(const struct dom_claim_row *c, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT k.id, k.item_id, i.kind, i.title,"
	    " coalesce(o.name, i.org_id)," CLAIMANT_SQL ", k.state, k.claimed_on, k.done_on,"
	    " k.result, k.note FROM claim k LEFT JOIN list_item i ON i.id = k.item_id"
	    " LEFT JOIN org o ON o.id = i.org_id" CLAIMANT_JOINS
	    " WHERE ?1 IS NULL OR k.item_id = ?1"
	    " ORDER BY i.title, k.item_id, k.claimed_on, k.id", -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, item_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_claim_row c = {
			.id = dom_col_text(st, 0), .item_id = dom_col_text(st, 1),
			.item_kind = dom_col_text(st, 2), .item_title = dom_col_text(st, 3),
			.org_name = dom_col_text(st, 4), .claimant_kind = dom_col_text(st, 5),
			.claimant = dom_col_text(st, 6), .state = dom_col_text(st, 7),
			.claimed_on = dom_col_text(st, 8), .done_on = dom_col_text(st, 9),
			.result = dom_col_text(st, 10), .note = dom_col_text(st, 11),
		};
		each(&c, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_work_db_fail(r, e);
}

/*
 * The month's board: ?1 the root of the scope ("" every item), ?2 and ?3
 * the month's first and last day.
 */
static const char board_sql[] =
	"WITH RECURSIVE"
	" within(id) AS (SELECT id FROM org WHERE id = ?1"
	"   UNION SELECT o.id FROM org o JOIN within w ON o.parent_id = w.id),"
	" comm(root, id) AS (SELECT id, id FROM org WHERE kind = 'community'"
	"   UNION SELECT c.root, o.id FROM org o JOIN comm c ON o.parent_id = c.id),"
	" items AS (SELECT i.* FROM list_item i WHERE (?1 = '' OR i.org_id IN (SELECT id FROM within))"
	"   AND ((i.status = 'closed' AND i.closed_on BETWEEN ?2 AND ?3) OR EXISTS (SELECT 1"
	"   FROM claim k WHERE k.item_id = i.id AND (k.claimed_on BETWEEN ?2 AND ?3"
	"   OR (k.state = 'done' AND k.done_on BETWEEN ?2 AND ?3)))))"
	" SELECT coalesce(co.code, io.code), coalesce(co.name, io.name), io.name, i.id, i.kind,"
	"  i.title, i.status, i.closed_on,"
	"  CASE WHEN i.status = 'closed' THEN coalesce(i.close_note, i.rectification) END,"
	CLAIMANT_SQL ", k.state, k.claimed_on, k.done_on, k.result"
	" FROM items i LEFT JOIN org io ON io.id = i.org_id"
	" LEFT JOIN comm cm ON cm.id = i.org_id LEFT JOIN org co ON co.id = cm.root"
	" LEFT JOIN claim k ON k.item_id = i.id" CLAIMANT_JOINS
	" ORDER BY 1, i.kind, i.title, i.id, k.claimed_on, k.id";

int
dom_item_board(struct replica *r, const char *org_id, const char *month,
    void (*each)(const struct dom_board_row *b, void *arg), void *arg, struct dom_error *e)
{
	char from[11], to[11];
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (month == NULL || strlen(month) != 7 || !dom_month_valid(month))
		return dom_work_fail(e, DOM_INVALID, -1, "月份“%s”无效，应为 YYYY-MM (not a month)",
		    text_show(month ? month : ""));
	snprintf(from, sizeof from, "%s-01", month);
	snprintf(to, sizeof to, "%s-31", month);
	if (sqlite3_prepare_v2(replica_db(r), board_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, org_id ? org_id : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_board_row b = {
			.comm_code = dom_col_text(st, 0), .comm_name = dom_col_text(st, 1),
			.org_name = dom_col_text(st, 2), .item_id = dom_col_text(st, 3),
			.kind = dom_col_text(st, 4), .title = dom_col_text(st, 5),
			.status = dom_col_text(st, 6), .closed_on = dom_col_text(st, 7),
			.close_result = dom_col_text(st, 8), .claimant_kind = dom_col_text(st, 9),
			.claimant = dom_col_text(st, 10), .state = dom_col_text(st, 11),
			.claimed_on = dom_col_text(st, 12), .done_on = dom_col_text(st, 13),
			.result = dom_col_text(st, 14),
		};
		each(&b, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_work_db_fail(r, e);
}
