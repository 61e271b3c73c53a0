/* dom_feedback.c - 民情回音壁 on the replica; see dom_feedback.h. */
#include "dom_feedback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_cob.h"
#include "dom_handle.h"
#include "dom_wish.h"
#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define FCOL(name) schema_col_index(&schema_tables[TBL_FEEDBACK], name)

static const char *
vtext(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : NULL;
}

static void
clear_row(Tongxin__Value *v)
{
	for (int c = 0; c < schema_tables[TBL_FEEDBACK].ncols; c++)
		value_clear(&v[c]);
}

static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* The code of vocabulary name for text (any spelling), or -1 with e naming col. */
static int
parse_enum(const char *name, const char *text, const char *col, const char **code,
    struct dom_error *e)
{
	const struct vocab *v = vocab_get(name);
	int c = FCOL(col);
	char vals[512];

	if (dom_given(text) == NULL)
		return dom_err(e, DOM_MISSING, c, "缺少必填项 %s (--%s)",
		    schema_tables[TBL_FEEDBACK].cols[c].label, col);
	if ((*code = vocab_parse(v, text)) != NULL)
		return 0;
	vocab_list(v, 1, "、", vals, sizeof vals);
	return dom_err(e, DOM_INVALID, c, "%s“%s”无效，可选：%s (unknown value)",
	    schema_tables[TBL_FEEDBACK].cols[c].label, text_show(text), vals);
}

int
dom_feedback_add(struct replica *r, const char *operator_name,
    const struct dom_feedback_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS];
	const char *source = NULL, *category = NULL;
	char date[11], org[ID_TEXT_LEN + 1], id[ID_TEXT_LEN + 1], err[512] = "";

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (dom_given(q->content) == NULL)
		return dom_err(e, DOM_MISSING, FCOL("content"), "缺少必填项 反映内容 (--content)");
	if (parse_enum("feedback_source", q->source, "source", &source, e) ||
	    parse_enum("feedback_category", q->category, "category", &category, e) ||
	    dom_bounded(TBL_FEEDBACK, "content", q->content, DOM_FEEDBACK_CONTENT_MAX, e) ||
	    dom_bounded(TBL_FEEDBACK, "resident_name", q->resident, DOM_FEEDBACK_NAME_MAX, e) ||
	    dom_bounded(TBL_FEEDBACK, "resident_phone", q->phone, DOM_FEEDBACK_PHONE_MAX, e) ||
	    dom_bounded(TBL_FEEDBACK, "grid", q->grid, DOM_FEEDBACK_GRID_MAX, e) ||
	    dom_cob_date(q->date, TBL_FEEDBACK, "received_on", date, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_cob_home_org(r, q->org_id, dom_cob_home_kinds, org, e) != 0)
		goto refused;
	value_set_text(&v[FCOL("org_id")], org);
	value_set_text(&v[FCOL("received_on")], date);
	value_set_text(&v[FCOL("source")], source);
	value_set_text(&v[FCOL("category")], category);
	if (dom_given(q->grid))
		value_set_text(&v[FCOL("grid")], q->grid);
	if (dom_given(q->resident))
		value_set_text(&v[FCOL("resident_name")], q->resident);
	if (dom_given(q->phone))
		value_set_text(&v[FCOL("resident_phone")], q->phone);
	value_set_text(&v[FCOL("content")], q->content);
	value_set_text(&v[FCOL("status")], "open");
	for (int c = 0; c < schema_tables[TBL_FEEDBACK].ncols; c++)
		set[c] = v[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
	if (dom_check_values(TBL_FEEDBACK, v, set, true, e) != 0)
		goto refused;
	if (rep_insert(r, TBL_FEEDBACK, v, id, err, sizeof err) != 0) {
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

/* The opinion id's row into cur (inside the transaction): 0, or -1 with e. */
static int
load(struct replica *r, const char *id, Tongxin__Value *cur, struct dom_error *e)
{
	int rc;

	memset(cur, 0, sizeof *cur * DOM_MAX_COLS);
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该民情意见 (no such opinion)");
	if ((rc = rep_get(r, TBL_FEEDBACK, id, cur, NULL)) != 1)
		return rc == 0 ? dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该民情意见 (no such opinion)") :
		    dom_db_err(r, e);
	return 0;
}

static bool
status_is(const Tongxin__Value *cur, const char *code)
{
	const char *s = vtext(&cur[FCOL("status")]);
	return s != NULL && strcmp(s, code) == 0;
}

static const char *
status_label(const Tongxin__Value *cur)
{
	return vocab_show(vocab_get("feedback_status"), vtext(&cur[FCOL("status")]));
}

/* Whether member id is in this replica: 1, 0, -1 on error. */
static int
member_here(struct replica *r, const char *id)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM member WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
dom_feedback_assign(struct replica *r, const char *operator_name, const char *id,
    const char *member_id, const char *handler, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[3];
	uint32_t cols[3];
	int k = 0, rc;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	if ((dom_given(member_id) != NULL) == (dom_given(handler) != NULL))
		return dom_err(e, dom_given(member_id) ? DOM_INVALID : DOM_MISSING, FCOL("handler"),
		    "承办人须为一名党员（--member）或一个姓名（--handler），二者选一 (one handler)");
	if (dom_bounded(TBL_FEEDBACK, "handler", handler, DOM_FEEDBACK_NAME_MAX, e) != 0)
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load(r, id, cur, e) != 0)
		goto refused;
	if (!status_is(cur, "open") && !status_is(cur, "handling")) {
		dom_err(e, DOM_INVALID, FCOL("status"), "该意见%s，不能再交办 (only an open opinion, or "
		    "one being handled, is assigned)", status_label(cur));
		goto refused;
	}
	if (dom_given(member_id) && (rc = member_here(r, member_id)) != 1) {
		if (rc < 0)
			dom_db_err(r, e);
		else
			dom_err(e, DOM_NOT_FOUND, FCOL("handler_member_id"), "本副本中没有该党员 (no such member)");
		goto refused;
	}
	cols[k] = (uint32_t)FCOL("handler_member_id");
	if (dom_given(member_id))
		value_set_text(&v[k++], member_id);
	else
		value_set_null(&v[k++]);
	cols[k] = (uint32_t)FCOL("handler");
	if (dom_given(handler))
		value_set_text(&v[k++], handler);
	else
		value_set_null(&v[k++]);
	cols[k] = (uint32_t)FCOL("status");
	value_set_text(&v[k++], "handling");
	if (dom_cob_update(r, TBL_FEEDBACK, id, cur, cols, v, (size_t)k, e) != 0)
		goto refused;
	clear_row(cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_row(cur);
	return -1;
}

int
dom_feedback_reply(struct replica *r, const char *operator_name, const char *id,
    const char *reply, const char *date, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v[3];
	uint32_t cols[3];
	char day[11];
	int k = 0;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	if (dom_given(reply) == NULL || is_blank_text(reply))
		return dom_err(e, DOM_MISSING, FCOL("reply"), "缺少必填项 回音 (--reply)");
	if (dom_bounded(TBL_FEEDBACK, "reply", reply, DOM_FEEDBACK_REPLY_MAX, e) ||
	    dom_cob_date(date, TBL_FEEDBACK, "replied_on", day, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load(r, id, cur, e) != 0)
		goto refused;
	if (status_is(cur, "closed")) {
		dom_err(e, DOM_INVALID, FCOL("status"), "该意见已办结，不能再回音 (a closed opinion is final)");
		goto refused;
	}
	cols[k] = (uint32_t)FCOL("reply");
	value_set_text(&v[k++], reply);
	cols[k] = (uint32_t)FCOL("replied_on");
	value_set_text(&v[k++], day);
	cols[k] = (uint32_t)FCOL("status");
	value_set_text(&v[k++], "replied");
	if (dom_cob_update(r, TBL_FEEDBACK, id, cur, cols, v, (size_t)k, e) != 0)
		goto refused;
	clear_row(cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_row(cur);
	return -1;
}

int
dom_feedback_close(struct replica *r, const char *operator_name, const char *id,
    struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS], v;
	uint32_t col = (uint32_t)FCOL("status");

	dom_error_clear(e);
	memset(&v, 0, sizeof v);
	memset(cur, 0, sizeof cur);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (load(r, id, cur, e) != 0)
		goto refused;
	if (!status_is(cur, "replied")) {
		dom_err(e, DOM_INVALID, (int)col, status_is(cur, "closed") ?
		    "该意见已办结 (already closed)" : "该意见尚未回音，回音后才能办结 (reply first)");
		goto refused;
	}
	value_set_text(&v, "closed");
	if (dom_cob_update(r, TBL_FEEDBACK, id, cur, &col, &v, 1, e) != 0)
		goto refused;
	clear_row(cur);
	return commit(r, e);
refused:
	rep_rollback(r);
	clear_row(cur);
	return -1;
}

/*
 * The opinions with their organisation and handler: ?1 status or NULL,
 * ?2 one id or NULL, ?3 the reply days, ?4 overdue as of this date (NULL:
 * any), ordered by date received (overdue: most days over first).
 */
static const char list_sql[] =
    "SELECT f.id, f.org_id, o.code, o.name, f.received_on, f.source, f.category, f.grid,"
    " f.resident_name, f.resident_phone, f.content, coalesce(m.name, f.handler), f.status,"
    " f.reply, f.replied_on, f.note, date(f.received_on, '+' || ?3 || ' days') AS due,"
    " CASE WHEN ?4 IS NULL THEN 0"
    "  ELSE CAST(julianday(?4) - julianday(f.received_on, '+' || ?3 || ' days') AS INTEGER) END"
    "  AS over"
    " FROM feedback f LEFT JOIN org o ON o.id = f.org_id"
    " LEFT JOIN member m ON m.id = f.handler_member_id"
    " WHERE (?1 IS NULL OR f.status = ?1) AND (?2 IS NULL OR f.id = ?2)"
    " AND (?4 IS NULL OR (f.received_on <= ?4 AND (f.replied_on IS NULL OR f.replied_on > ?4)"
    "  AND date(f.received_on, '+' || ?3 || ' days') < ?4))"
    " ORDER BY CASE WHEN ?4 IS NULL THEN 0 ELSE -over END, f.received_on, f.id";

static int
list_run(struct replica *r, const char *status, const char *one, const char *as_of,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(replica_db(r), list_sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (status)
		sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
	if (one)
		sqlite3_bind_text(st, 2, one, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, FEEDBACK_REPLY_DAYS);
	if (as_of)
		sqlite3_bind_text(st, 4, as_of, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_feedback_row f = {
			.id = dom_col_text(st, 0), .org_id = dom_col_text(st, 1), .org_code = dom_col_text(st, 2),
			.org_name = dom_col_text(st, 3), .received_on = dom_col_text(st, 4),
			.source = dom_col_text(st, 5), .category = dom_col_text(st, 6), .grid = dom_col_text(st, 7),
			.resident = dom_col_text(st, 8), .phone = dom_col_text(st, 9),
			.content = dom_col_text(st, 10), .handler = dom_col_text(st, 11),
			.status = dom_col_text(st, 12), .reply = dom_col_text(st, 13),
			.replied_on = dom_col_text(st, 14), .note = dom_col_text(st, 15),
			.due_on = dom_col_text(st, 16), .days_over = sqlite3_column_int64(st, 17),
		};
		each(&f, arg);
		n++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_db_err(r, e);
	if (one && n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该民情意见 (no such opinion)");
	return 0;
}

int
dom_feedback_list(struct replica *r, const char *status,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e)
{
	const char *code = NULL;

	dom_error_clear(e);
	if (dom_given(status) && (code = vocab_parse(vocab_get("feedback_status"), status)) == NULL) {
		char vals[256];
		vocab_list(vocab_get("feedback_status"), 0, "、", vals, sizeof vals);
		return dom_err(e, DOM_INVALID, FCOL("status"), "状态“%s”无效，可选：%s (unknown status)",
		    text_show(status), vals);
	}
	return list_run(r, code, NULL, NULL, each, arg, e);
}

int
dom_feedback_get(struct replica *r, const char *id,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e)
{
	dom_error_clear(e);
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有该民情意见 (no such opinion)");
	return list_run(r, NULL, id, NULL, each, arg, e);
}

int
dom_feedback_overdue(struct replica *r, const char *as_of,
    void (*each)(const struct dom_feedback_row *f, void *arg), void *arg, struct dom_error *e)
{
	char day[11];

	dom_error_clear(e);
	if (dom_given(as_of) == NULL)
		today_str(day);
	else if (strlen(as_of) != 10 || !validate_date(as_of))
		return dom_err(e, DOM_INVALID, -1, "日期“%s”无效，应为 YYYY-MM-DD (not a date)",
		    text_show(as_of));
	else
		snprintf(day, sizeof day, "%s", as_of);
	return list_run(r, NULL, NULL, day, each, arg, e);
}

int
dom_feedback_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	return dom_row_handle(r, TBL_FEEDBACK, handle ? handle : "", "民情意见", id, e);
}
