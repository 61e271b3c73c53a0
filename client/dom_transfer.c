/*
 * dom_transfer.c - 组织关系转接 on the local replica; see dom_admin.h.
 *
 * The sending office requests (naming the receiving organisation by code,
 * which it cannot see); the receiving office sees the request after its
 * next sync and accepts or rejects it; the server moves the member only on
 * acceptance. Every write checks its rules inside its own transaction.
 */
#include "dom_admin.h"
#include "dom_life.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"

#define TCOL(name) schema_col_index(&schema_tables[TBL_TRANSFER], name)
#define MCOL(name) schema_col_index(&schema_tables[TBL_MEMBER], name)

/* Fill e and return -1. */
static int
fail(struct dom_error *e, enum dom_fail kind, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->col = -1;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static int
db_fail(struct replica *r, struct dom_error *e)
{
	return fail(e, DOM_FAIL, "副本读写失败 the replica could not be used: %s",
	    sqlite3_errmsg(replica_db(r)));
}

/* One text column of the first row of sql with ?1 = a into out. 1 found, 0 not, -1 error. */
static int
one_text(struct replica *r, const char *sql, const char *a, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, cap, "%s", sqlite3_column_text(st, 0) ?
		    (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void
clear_vals(int t, Tongxin__Value *v)
{
	for (int c = 0; c < schema_tables[t].ncols; c++)
		value_clear(&v[c]);
}

/* Commit, or roll back and fail. */
static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)   /* rep_commit rolls back itself */
		return fail(e, DOM_FAIL, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* The checks of a request, inside the open transaction; fills vals (borrowing mv). */
static int
request_checks(struct replica *r, const struct dom_transfer_req *q, const char *date,
    const char *mid, Tongxin__Value *mv, Tongxin__Value *vals, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_TRANSFER];
	char own[ID_TEXT_LEN + 1], why[256];
	int rc;

	memset(mv, 0, sizeof *mv * DOM_MAX_COLS);
	if ((rc = rep_get(r, TBL_MEMBER, mid, mv, NULL)) != 1)
		return rc == 0 ? fail(e, DOM_INVALID, "未找到党员 no member \"%s\" in this replica",
		    text_show(q->member)) : db_fail(r, e);
	/* One open request per member. */
	if ((rc = one_text(r, "SELECT id FROM transfer WHERE member_id = ?1 AND status = 'requested'",
	    mid, own, sizeof own)) != 0)
		return rc < 0 ? db_fail(r, e) : fail(e, DOM_INVALID, "该党员已有待办的转接 this "
		    "member already has an open transfer request");
	if ((rc = one_text(r, "SELECT id FROM org WHERE code = ?1", q->to_code, own, sizeof own)) < 0)
		return db_fail(r, e);
	if (rc == 1 && mv[MCOL("org_id")].kind_case == TONGXIN__VALUE__KIND_S &&
	    strcmp(own, mv[MCOL("org_id")].s) == 0)
		return fail(e, DOM_INVALID, "该党员已在 %s the member is already in %s",
		    text_show(q->to_code), text_show(q->to_code));
	memset(vals, 0, sizeof *vals * DOM_MAX_COLS);
	value_set_text(&vals[TCOL("member_id")], mid);
	if (mv[MCOL("org_id")].kind_case == TONGXIN__VALUE__KIND_S)
		value_set_text(&vals[TCOL("from_org_id")], mv[MCOL("org_id")].s);
	value_set_text(&vals[TCOL("to_org_code")], q->to_code);
	if (mv[MCOL("name")].kind_case == TONGXIN__VALUE__KIND_S)
		value_set_text(&vals[TCOL("member_name")], mv[MCOL("name")].s);
	value_set_text(&vals[TCOL("requested_on")], date);
	value_set_text(&vals[TCOL("status")], "requested");
	if (q->reason && q->reason[0])
		value_set_text(&vals[TCOL("reason")], q->reason);
	for (int c = 0; c < td->ncols; c++)
		if (validate_value(&td->cols[c], &vals[c], why, sizeof why) != 0) {
			e->kind = DOM_INVALID;
			e->col = c;
			snprintf(e->msg, sizeof e->msg, "%s", why);
			return -1;
		}
	return 0;
}

int
dom_transfer_request(struct replica *r, const char *operator_name,
    const struct dom_transfer_req *q, char id_out[ID_TEXT_LEN + 1], char name_out[128],
    struct dom_error *e)
{
	Tongxin__Value vals[DOM_MAX_COLS], mv[DOM_MAX_COLS];
	char mid[ID_TEXT_LEN + 1], today[11], err[512] = "";
	const char *date;
	int rc;

	dom_error_clear(e);
	if (q->to_code == NULL || q->to_code[0] == '\0')
		return fail(e, DOM_MISSING, "缺少转入组织编码 the receiving organisation's code is "
		    "required");
	today_str(today);
	date = q->date && q->date[0] ? q->date : today;
	if (!validate_date(date) || strcmp(date, today) > 0)
		return fail(e, DOM_INVALID, "申请日期 \"%s\" 无效 (YYYY-MM-DD, not in the future)",
		    text_show(date));
	if (q->member == NULL || q->member[0] == '\0' || strlen(q->member) > 64)
		return fail(e, DOM_INVALID, "未找到党员 no member \"%s\" in this replica",
		    text_show(q->member ? q->member : ""));
	if (strlen(q->to_code) > DOM_TRANSFER_CODE_MAX)
		return fail(e, DOM_INVALID, "organisation code longer than 32 bytes");
	if (rep_begin(r, operator_name) != 0)
		return db_fail(r, e);
	if ((rc = one_text(r, "SELECT id FROM member WHERE id = ?1 OR id_number = ?1", q->member,
	    mid, sizeof mid)) != 1) {
		rep_rollback(r);
		return rc < 0 ? db_fail(r, e) : fail(e, DOM_INVALID, "未找到党员 no member \"%s\" in "
		    "this replica", text_show(q->member));
	}
	if (dom_member_not_left(r, mid, "不能申请转接", e) != 0 ||
	    request_checks(r, q, date, mid, mv, vals, e) != 0) {
		rep_rollback(r);
		clear_vals(TBL_MEMBER, mv);
		return -1;
	}
	if (rep_insert(r, TBL_TRANSFER, vals, id_out, err, sizeof err) != 0) {
		rep_rollback(r);
		clear_vals(TBL_MEMBER, mv);
		return fail(e, DOM_FAIL, "%s", err[0] ? err : "cannot write");
	}
	snprintf(name_out, 128, "%s", mv[MCOL("name")].kind_case == TONGXIN__VALUE__KIND_S ?
	    mv[MCOL("name")].s : "");
	clear_vals(TBL_MEMBER, mv);
	return commit(r, e);
}

/* The transfer id's row into cur, which must be requested. Inside the transaction. */
static int
load_open(struct replica *r, const char *id, Tongxin__Value *cur, struct dom_error *e)
{
	int rc;

	memset(cur, 0, sizeof *cur * DOM_MAX_COLS);
	if (id == NULL || !id_valid(id))
		return fail(e, DOM_NOT_FOUND, "未找到转接 no such transfer");
	if ((rc = rep_get(r, TBL_TRANSFER, id, cur, NULL)) != 1)
		return rc == 0 ? fail(e, DOM_NOT_FOUND, "未找到转接 no such transfer") : db_fail(r, e);
	if (cur[TCOL("status")].kind_case != TONGXIN__VALUE__KIND_S ||
	    strcmp(cur[TCOL("status")].s, "requested") != 0)
		return fail(e, DOM_INVALID, "该转接已办理 this transfer is already %s",
		    cur[TCOL("status")].kind_case == TONGXIN__VALUE__KIND_S ?
		    text_show(cur[TCOL("status")].s) : "decided");
	return 0;
}

int
dom_transfer_decide(struct replica *r, const char *operator_name, const char *id,
    bool accept, const char *note, char name_out[128], struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], vals[3];
	uint32_t cols[3];
	char today[11], own[ID_TEXT_LEN + 1], err[512] = "";
	bool with_note = note != NULL && note[0] != '\0';
	int rc;

	dom_error_clear(e);
	name_out[0] = '\0';
	if (!accept && !with_note)
		return fail(e, DOM_MISSING, "退回须说明理由 a rejection needs a note");
	if (note && strlen(note) > DOM_TRANSFER_NOTE_MAX)
		return fail(e, DOM_INVALID, "the note is longer than 500 bytes");
	if (rep_begin(r, operator_name) != 0)
		return db_fail(r, e);
	if (load_open(r, id, cur, e) != 0)
		goto refused;
	/* The receiving side decides: its organisation must be in this replica. */
	if (cur[TCOL("to_org_id")].kind_case != TONGXIN__VALUE__KIND_S ||
	    cur[TCOL("to_org_code")].kind_case != TONGXIN__VALUE__KIND_S ||
	    (rc = one_text(r, "SELECT id FROM org WHERE code = ?1", cur[TCOL("to_org_code")].s, own,
	    sizeof own)) == 0) {
		fail(e, DOM_INVALID, "只能由转入组织办理 only the receiving organisation (%s) can "
		    "decide this transfer", cur[TCOL("to_org_code")].kind_case == TONGXIN__VALUE__KIND_S ?
		    text_show(cur[TCOL("to_org_code")].s) : "?");
		goto refused;
	}
	if (rc < 0) {
		db_fail(r, e);
		goto refused;
	}
	today_str(today);
	memset(vals, 0, sizeof vals);
	cols[0] = (uint32_t)TCOL("status");
	value_set_text(&vals[0], accept ? "accepted" : "rejected");
	cols[1] = (uint32_t)TCOL("decided_on");
	value_set_text(&vals[1], today);
	cols[2] = (uint32_t)TCOL("decision_note");
	value_set_text(&vals[2], with_note ? note : NULL);
	if (rep_update(r, TBL_TRANSFER, id, cols, vals, with_note ? 3 : 2, err, sizeof err) != 0) {
		fail(e, DOM_FAIL, "%s", err[0] ? err : "cannot write");
		goto refused;
	}
	snprintf(name_out, 128, "%s", cur[TCOL("member_name")].kind_case == TONGXIN__VALUE__KIND_S ?
	    cur[TCOL("member_name")].s : "");
	clear_vals(TBL_TRANSFER, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_vals(TBL_TRANSFER, cur);
	return -1;
}

int
dom_transfer_withdraw(struct replica *r, const char *operator_name, const char *id,
    struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	char own[ID_TEXT_LEN + 1], err[512] = "";
	int rc;

	dom_error_clear(e);
	if (rep_begin(r, operator_name) != 0)
		return db_fail(r, e);
	if (load_open(r, id, cur, e) != 0)
		goto refused;
	/* Only the sending side withdraws: its branch is in this replica. */
	if (cur[TCOL("from_org_id")].kind_case != TONGXIN__VALUE__KIND_S ||
	    (rc = one_text(r, "SELECT id FROM org WHERE id = ?1", cur[TCOL("from_org_id")].s, own,
	    sizeof own)) == 0) {
		fail(e, DOM_INVALID, "只能由转出组织撤回 only the sending organisation can withdraw "
		    "this transfer");
		goto refused;
	}
	if (rc < 0) {
		db_fail(r, e);
		goto refused;
	}
	/*
	 * The server fills in the receiving organisation's id: until the
	 * request has come back from it, a delete would carry a stale base and
	 * end as a conflict for the street instead of a withdrawal.
	 */
	if (cur[TCOL("to_org_id")].kind_case != TONGXIN__VALUE__KIND_S) {
		fail(e, DOM_INVALID, "该申请尚未经街道确认，请先同步再撤回 the request has not come "
		    "back from the server yet: sync, then withdraw it");
		goto refused;
	}
	if (rep_delete(r, TBL_TRANSFER, id, err, sizeof err) != 0) {
		fail(e, DOM_FAIL, "%s", err[0] ? err : "cannot write");
		goto refused;
	}
	clear_vals(TBL_TRANSFER, cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_vals(TBL_TRANSFER, cur);
	return -1;
}

int
dom_transfer_list(struct replica *r, bool all,
    void (*each)(const struct dom_transfer_row *t, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	/*
	 * Outgoing when the sending organisation is in this device's subtree
	 * (its own organisation or below it).
	 */
	if (sqlite3_prepare_v2(replica_db(r),
	    "WITH RECURSIVE mine(id) AS (SELECT id FROM org WHERE code = ?1"
	    "  UNION SELECT o.id FROM org o JOIN mine ON o.parent_id = mine.id)"
	    " SELECT t.id, t.from_org_id IN (SELECT id FROM mine), m.id IS NOT NULL,"
	    " t.member_id, coalesce(t.member_name, m.name), t.from_org_id, f.code, f.name,"
	    " t.to_org_id, t.to_org_code, d.name, t.requested_on, t.reason, t.status,"
	    " t.decided_on, t.decision_note, d.id IS NOT NULL, f.id IS NOT NULL"
	    " FROM transfer t LEFT JOIN member m ON m.id = t.member_id"
	    " LEFT JOIN org f ON f.id = t.from_org_id"
	    " LEFT JOIN org d ON d.code = t.to_org_code"
	    " WHERE ?2 OR t.status = 'requested' ORDER BY t.requested_on, t.id LIMIT 10000", -1, &st,
	    NULL) != SQLITE_OK)
		return db_fail(r, e);
	sqlite3_bind_text(st, 1, replica_info(r)->org_code, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, all);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bool open = dom_col_text(st, 13) && strcmp(dom_col_text(st, 13), "requested") == 0;
		struct dom_transfer_row t = {
			.id = dom_col_text(st, 0), .outgoing = sqlite3_column_int(st, 1) != 0,
			.member_here = sqlite3_column_int(st, 2) != 0,
			.member_id = dom_col_text(st, 3), .member_name = dom_col_text(st, 4),
			.from_org_id = dom_col_text(st, 5), .from_code = dom_col_text(st, 6),
			.from_name = dom_col_text(st, 7), .to_org_id = dom_col_text(st, 8),
			.to_code = dom_col_text(st, 9), .to_name = dom_col_text(st, 10),
			.requested_on = dom_col_text(st, 11), .reason = dom_col_text(st, 12),
			.status = dom_col_text(st, 13), .decided_on = dom_col_text(st, 14),
			.decision_note = dom_col_text(st, 15),
			.can_decide = open && sqlite3_column_int(st, 16) != 0 &&
			    dom_col_text(st, 8) != NULL,
			.can_withdraw = open && sqlite3_column_int(st, 17) != 0 &&
			    dom_col_text(st, 8) != NULL,
		};
		each(&t, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(r, e);
}
