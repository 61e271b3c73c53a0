/*
 * dom_life.c - the end of membership (党员减少), discipline (党纪处分) and
 * the member's life in date order; see dom_life.h. Every write is one
 * local transaction whose rules read the rows inside it.
 */
#include "dom_life.h"
#include "dom_handle.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MCOL(name) schema_col_index(&schema_tables[TBL_MEMBER], name)
#define DCOL(name) schema_col_index(&schema_tables[TBL_DISCIPLINE], name)

_Static_assert(DOM_LIFE_MAX_EVENTS > DOM_LIFE_MAX_SANCTIONS + 64,
    "a member's history holds every sanction shown and the other events");

/* The text of column c of a row, or NULL. */
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

/*
 * Member id into cur (DOM_MAX_COLS, zeroed; clear with clear_row), inside
 * the caller's transaction. 0, or -1 with e (DOM_NOT_FOUND when absent).
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
 * Refuse a member who left already: a second reduction, or a sanction
 * after it (col: the column e names, or -1).
 */
static int
not_left(const Tongxin__Value *cur, const char *what, int col, struct dom_error *e)
{
	const char *how = val_text(cur, MCOL("left_reason")), *on = val_text(cur, MCOL("left_on"));

	if (how == NULL)
		return 0;
	return dom_err(e, DOM_INVALID, col, "该党员已于 %s 减少（%s），%s；减少只能由"
	    "管理员修改党员信息撤销 the member left on %s (%s)", on ? on : "?",
	    vocab_show(vocab_get("leave_reason"), how), what, on ? on : "?", how);
}

/* Copy s into out (cap bytes) cut at a UTF-8 character boundary. Returns out. */
static char *
utf8_cut(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* What the clerk typed, as a message quotes it: at most 60 bytes, cut on a character. */
static const char *
quoted(const char *s, char out[61])
{
	return utf8_cut(s, out, 61);
}

/*
 * A date item: given (DOM_MISSING), a real date, not in the future, not
 * before the member joined (join may be NULL). label names it; col is the
 * column e names.
 */
static int
date_ok(const char *date, const char *label, const char *join, const char *today, int col,
    struct dom_error *e)
{
	char q[61];

	if (!dom_given(date))
		return dom_err(e, DOM_MISSING, col, "缺少必填项 %s", label);
	if (!validate_date(date))
		return dom_err(e, DOM_INVALID, col, "%s \"%s\" 不是有效日期 (YYYY-MM-DD)", label,
		    quoted(date, q));
	if (strcmp(date, today) > 0)
		return dom_err(e, DOM_INVALID, col, "%s %s 晚于今天 (in the future)", label, date);
	if (join && strcmp(date, join) < 0)
		return dom_err(e, DOM_INVALID, col, "%s %s 早于入党日期 %s (before the member joined)",
		    label, date, join);
	return 0;
}

/*
 * Set the member's reduction columns (and standing for death and
 * expulsion) on row cur, check the row as it would be and write it; the
 * transaction is open. A broken rule of the whole row names no column.
 * 0, or -1 with e.
 */
static int
leave_write(struct replica *r, const char *id, const Tongxin__Value *cur, const char *how,
    const char *date, const char *note, bool dry_run, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[TBL_MEMBER];
	Tongxin__Value merged[DOM_MAX_COLS], setv[4];
	uint32_t cols[4];
	char why[512], err[512] = "", today[11];
	size_t n = 0;

	cols[n] = (uint32_t)MCOL("left_reason");
	value_set_text(&setv[n++], how);
	cols[n] = (uint32_t)MCOL("left_on");
	value_set_text(&setv[n++], date);
	cols[n] = (uint32_t)MCOL("left_note");
	if (dom_given(note))
		value_set_text(&setv[n++], note);
	else
		value_set_null(&setv[n++]);
	if (strcmp(how, "death") == 0 || strcmp(how, "expulsion") == 0) {
		cols[n] = (uint32_t)MCOL("standing");
		value_set_text(&setv[n++], strcmp(how, "death") == 0 ? "deceased" : "expelled");
	}
	memcpy(merged, cur, sizeof merged);   /* borrowed strings */
	for (size_t k = 0; k < n; k++) {
		if (validate_value(&td->cols[cols[k]], &setv[k], why, sizeof why) != 0)
			return dom_err(e, DOM_INVALID, (int)cols[k], "%s", why);
		merged[cols[k]] = setv[k];
	}
	today_str(today);
	if (validate_row(TBL_MEMBER, merged, today, why, sizeof why) != 0)
		return dom_err(e, DOM_INVALID, -1, "%s", why);
	if (dry_run)
		return 0;
	if (rep_update(r, TBL_MEMBER, id, cols, setv, n, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* --- 党员减少 ------------------------------------------------------------------ */

/*
 * Refuse a reduction while a transfer of the member waits for the
 * receiving office: it would accept a member who is no longer one. The
 * clerk withdraws the request first. Inside the write's transaction.
 */
static int
no_open_transfer(struct replica *r, const char *id, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, to_org_code FROM transfer"
	    " WHERE member_id = ?1 AND status = 'requested' ORDER BY id LIMIT 1", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = dom_err(e, DOM_INVALID, -1, "该党员的组织关系转接（编号 %s，转往 %s）尚待接收，"
		    "请先撤回 a transfer of this member is open: tongxin transfer withdraw %s",
		    dom_short(dom_col_text(st, 0)), dom_col_text(st, 1) ? dom_col_text(st, 1) : "?",
		    dom_short(dom_col_text(st, 0)));
	else
		rc = rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
	sqlite3_finalize(st);
	return rc;
}

int
dom_member_leave(struct replica *r, const char *operator_name, const char *id,
    const struct dom_leave *l, bool dry_run, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	const char *how;
	char today[11], err[512] = "", reasons[256], q[61];
	int rc;

	dom_error_clear(e);
	if (!dom_given(l->reason))
		return dom_err(e, DOM_MISSING, MCOL("left_reason"), "缺少必填项 减少方式 (how the member "
		    "left)");
	if ((how = vocab_parse(vocab_get("leave_reason"), l->reason)) == NULL) {
		vocab_list(vocab_get("leave_reason"), 1, "、", reasons, sizeof reasons);
		return dom_err(e, DOM_INVALID, MCOL("left_reason"), "减少方式 \"%s\" 无效，可选：%s",
		    quoted(l->reason, q), reasons);
	}
	if (!dom_given(l->date))
		return dom_err(e, DOM_MISSING, MCOL("left_on"), "缺少必填项 减少日期 (the date)");
	if (id == NULL || !id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	today_str(today);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((rc = member_load(r, id, cur, e)) == 0 &&
	    (rc = not_left(cur, "不能再次登记减少", MCOL("left_reason"), e)) == 0 &&
	    (rc = no_open_transfer(r, id, e)) == 0 &&
	    (rc = date_ok(l->date, "减少日期", val_text(cur, MCOL("join_date")), today,
	    MCOL("left_on"), e)) == 0)
		rc = leave_write(r, id, cur, how, l->date, l->note, dry_run, e);
	clear_row(cur);
	if (rc != 0 || dry_run) {
		rep_rollback(r);
		return rc;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	return 0;
}

int
dom_member_not_left(struct replica *r, const char *id, const char *what, struct dom_error *e)
{
	Tongxin__Value cur[DOM_MAX_COLS];
	int rc;

	dom_error_clear(e);
	if ((rc = member_load(r, id, cur, e)) != 0) {
		clear_row(cur);
		return e->kind == DOM_NOT_FOUND ? (dom_error_clear(e), 0) : -1;
	}
	rc = not_left(cur, what, -1, e);
	clear_row(cur);
	return rc;
}

/* --- 党纪处分 ------------------------------------------------------------------ */

/*
 * The sanction's values (DOM_MAX_COLS, borrowed from s) with set[], and the
 * checks that need no replica: the kind, an end date for 留党察看 only.
 * 0, or -1 with e.
 */
static int
sanction_values(const char *member_id, const struct dom_sanction *s, Tongxin__Value *v,
    int *set, struct dom_error *e)
{
	static const struct {
		const char *col;
		size_t off;
	} texts[] = {
		{ "decided_on", offsetof(struct dom_sanction, decided_on) },
		{ "decided_by", offsetof(struct dom_sanction, decided_by) },
		{ "grounds", offsetof(struct dom_sanction, grounds) },
		{ "until", offsetof(struct dom_sanction, until) },
		{ "note", offsetof(struct dom_sanction, note) },
	};
	const char *kind;
	char kinds[256], q[61];

	memset(v, 0, sizeof(Tongxin__Value) * DOM_MAX_COLS);
	if (!dom_given(s->kind))
		return dom_err(e, DOM_MISSING, DCOL("kind"), "缺少必填项 处分种类 (the kind)");
	if ((kind = vocab_parse(vocab_get("discipline_kind"), s->kind)) == NULL) {
		vocab_list(vocab_get("discipline_kind"), 1, "、", kinds, sizeof kinds);
		return dom_err(e, DOM_INVALID, DCOL("kind"), "处分种类 \"%s\" 无效，可选：%s",
		    quoted(s->kind, q), kinds);
	}
	value_set_text(&v[DCOL("member_id")], member_id);
	set[DCOL("member_id")] = 1;
	value_set_text(&v[DCOL("kind")], kind);
	set[DCOL("kind")] = 1;
	for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
		const char *t = *(const char *const *)((const char *)s + texts[k].off);
		if (dom_given(t)) {
			value_set_text(&v[DCOL(texts[k].col)], t);
			set[DCOL(texts[k].col)] = 1;
		}
	}
	if (strcmp(kind, "probation") == 0 && !dom_given(s->until))
		return dom_err(e, DOM_MISSING, DCOL("until"), "缺少必填项 察看期满 (留党察看 needs the "
		    "end of its one or two years)");
	if (strcmp(kind, "probation") != 0 && dom_given(s->until))
		return dom_err(e, DOM_INVALID, DCOL("until"), "只有留党察看有察看期满日期 only 留党察看 "
		    "has an end date");
	return 0;
}

/*
 * The sanction's dates against the member and today, then every rule of
 * the row (dom_check_values). The transaction is open. 0, or -1 with e.
 */
static int
sanction_checks(const Tongxin__Value *member, const Tongxin__Value *v, const int *set,
    struct dom_error *e)
{
	const char *on = val_text(v, DCOL("decided_on")), *until = val_text(v, DCOL("until"));
	char today[11], one[11], two[11], q[61];

	today_str(today);
	if (!dom_given(val_text(v, DCOL("grounds"))))
		return dom_err(e, DOM_MISSING, DCOL("grounds"), "缺少必填项 处分事由 (the grounds)");
	if (date_ok(on, "处分日期", val_text(member, MCOL("join_date")), today, DCOL("decided_on"),
	    e) != 0)
		return -1;
	if (until) {
		if (!validate_date(until))
			return dom_err(e, DOM_INVALID, DCOL("until"), "察看期满 \"%s\" 不是有效日期 "
			    "(YYYY-MM-DD)", quoted(until, q));
		/* 纪律处分条例: 留党察看 is one year, or two (at most, once extended). */
		date_add_years(on, 1, one);
		date_add_years(on, 2, two);
		if (strcmp(until, one) < 0)
			return dom_err(e, DOM_INVALID, DCOL("until"), "察看期满 %s 不足一年（最早 %s）"
			    "留党察看 lasts one or two years", until, one);
		if (strcmp(until, two) > 0)
			return dom_err(e, DOM_INVALID, DCOL("until"), "察看期满 %s 超过两年（最迟 %s）"
			    "留党察看 lasts at most two years", until, two);
	}
	return dom_check_values(TBL_DISCIPLINE, v, set, true, e);
}

int
dom_discipline_add(struct replica *r, const char *operator_name, const char *member_id,
    const struct dom_sanction *s, bool dry_run, char id_out[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS], cur[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char id[ID_TEXT_LEN + 1] = "", err[512] = "", note[501];

	dom_error_clear(e);
	memset(cur, 0, sizeof cur);
	if (sanction_values(member_id, s, v, set, e) != 0)
		return -1;
	if (member_id == NULL || !id_valid(member_id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((rc = member_load(r, member_id, cur, e)) == 0 &&
	    (rc = not_left(cur, "不能再登记处分", -1, e)) == 0)
		rc = sanction_checks(cur, v, set, e);
	if (rc == 0 && !dry_run && rep_insert(r, TBL_DISCIPLINE, v, id, err, sizeof err) != 0)
		rc = dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	/* 开除党籍 ends the membership in the same transaction. */
	if (rc == 0 && strcmp(val_text(v, DCOL("kind")), "expulsion") == 0 &&
	    (rc = no_open_transfer(r, member_id, e)) == 0) {
		utf8_cut(val_text(v, DCOL("grounds")), note, sizeof note);
		rc = leave_write(r, member_id, cur, "expulsion", val_text(v, DCOL("decided_on")),
		    note, dry_run, e);
		if (rc != 0 && e->col >= 0)
			e->col = -1;   /* a member column: not one of the sanction's */
	}
	clear_row(cur);
	if (rc != 0 || dry_run) {
		rep_rollback(r);
		return rc;
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* Whether the replica holds member id: 1, 0, or -1 with e. */
static int
member_held(struct replica *r, const char *id, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (id == NULL || !id_valid(id))
		return 0;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM member WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_discipline_list(struct replica *r, const char *member_id,
    void (*each)(const struct dom_sanction_row *s, void *arg), void *arg, bool *more,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	dom_error_clear(e);
	if (more)
		*more = false;
	if ((rc = member_held(r, member_id, e)) <= 0)
		return rc < 0 ? -1 : dom_err(e, DOM_NOT_FOUND, -1, "未找到党员 no such member in this "
		    "replica");
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, member_id, kind, decided_on, decided_by,"
	    " grounds, until, note FROM discipline WHERE member_id = ?1"
	    " ORDER BY decided_on, id LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, member_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, DOM_LIFE_MAX_SANCTIONS + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_sanction_row s = {
			.id = dom_col_text(st, 0), .member_id = dom_col_text(st, 1), .kind = dom_col_text(st, 2),
			.decided_on = dom_col_text(st, 3), .decided_by = dom_col_text(st, 4),
			.grounds = dom_col_text(st, 5), .until = dom_col_text(st, 6), .note = dom_col_text(st, 7),
		};
		if (++n > DOM_LIFE_MAX_SANCTIONS) {
			if (more)
				*more = true;
			continue;
		}
		each(&s, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

/* --- the member's life --------------------------------------------------------- */

/* Events of one date come in the life's own order. */
enum ev_rank { EV_APPLIED, EV_ACTIVIST, EV_CANDIDATE, EV_JOINED, EV_EXTENDED, EV_FULL,
	EV_TRANSFER, EV_LOST, EV_DISCIPLINE, EV_LEFT };
static const char *const ev_code[] = { "applied", "activist", "candidate", "joined", "extended",
	"full", "transfer", "lost", "discipline", "left" };

/* One event being collected; title and detail malloc'd. */
struct ev {
	char date[11];
	enum ev_rank rank;
	int seq;             /* the order collected: ties keep it */
	char *title, *detail;
};

/* The events collected so far. */
struct evs {
	struct ev v[DOM_LIFE_MAX_EVENTS];
	int n;
	bool oom;
};

/* Add an event (date given and well formed; title and detail copied). */
static void __attribute__((format(printf, 5, 6)))
ev_add(struct evs *s, const char *date, enum ev_rank rank, const char *title,
    const char *fmt, ...)
{
	struct ev *ev;
	va_list ap;
	char buf[3072];

	if (!dom_given(date) || !validate_date(date) || s->n >= DOM_LIFE_MAX_EVENTS)
		return;
	ev = &s->v[s->n];
	snprintf(ev->date, sizeof ev->date, "%s", date);
	ev->rank = rank;
	ev->seq = s->n;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	ev->title = strdup(title);
	ev->detail = strdup(buf);
	if (ev->title == NULL || ev->detail == NULL) {
		free(ev->title);
		free(ev->detail);
		s->oom = true;
		return;
	}
	s->n++;
}

static int
ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;
	int c = strcmp(x->date, y->date);

	if (c != 0)
		return c;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * A meeting as history names it: "支委会 2024-03-01「topic」", its date into
 * held_on (11 bytes, "" when unknown). out is "" when id is NULL or the
 * meeting is not in the replica.
 */
static void
meeting_desc(struct replica *r, const char *id, char *out, size_t cap, char held_on[11])
{
	sqlite3_stmt *st;

	out[0] = '\0';
	held_on[0] = '\0';
	if (!dom_given(id) || sqlite3_prepare_v2(replica_db(r), "SELECT kind, held_on, topic FROM"
	    " meeting WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const char *held = dom_col_text(st, 1) ? dom_col_text(st, 1) : "";
		snprintf(out, cap, "%s %s「%s」", vocab_show(vocab_get("meeting_kind"),
		    dom_col_text(st, 0)), held, dom_col_text(st, 2) ? dom_col_text(st, 2) : "");
		snprintf(held_on, 11, "%s", held);
	}
	sqlite3_finalize(st);
}

/* The development steps of the applicant row that names member id, if any. */
static int
history_applicant(struct replica *r, const char *id, struct evs *s)
{
	static const struct {
		int col_on, col_meeting;
		enum ev_rank rank;
		const char *title;
	} steps[] = {
		{ 0, -1, EV_APPLIED, "递交入党申请" },
		{ 1, 2, EV_ACTIVIST, "确定为入党积极分子" },
		{ 3, 4, EV_CANDIDATE, "确定为发展对象" },
	};
	sqlite3_stmt *st;
	char desc[512], held[11];
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT applied_on, activist_on, activist_meeting_id,"
	    " candidate_on, candidate_meeting_id FROM applicant WHERE member_id = ?1"
	    " ORDER BY applied_on, id LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
			desc[0] = '\0';
			if (steps[k].col_meeting >= 0)
				meeting_desc(r, dom_col_text(st, steps[k].col_meeting), desc, sizeof desc,
				    held);
			ev_add(s, dom_col_text(st, steps[k].col_on), steps[k].rank, steps[k].title, "%s",
			    desc);
		}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The events the member row itself dates: joining, probation, lost contact, leaving. */
static void
history_member(struct replica *r, const Tongxin__Value *m, struct evs *s)
{
	const char *join = val_text(m, MCOL("join_date")), *until = val_text(m, MCOL("probation_until"));
	const char *how = val_text(m, MCOL("left_reason")), *note = val_text(m, MCOL("left_note"));
	char desc[512], held[11], year[11], title[128];

	ev_add(s, join, EV_JOINED, "入党（接收为预备党员）", "%s", "");
	if (until && join) {
		/* Decided by a general meeting: its date, else the end of the first year. */
		meeting_desc(r, val_text(m, MCOL("extension_meeting_id")), desc, sizeof desc, held);
		date_add_years(join, 1, year);
		ev_add(s, held[0] ? held : year, EV_EXTENDED, "延长预备期", "延长至 %s%s%s", until,
		    desc[0] ? "；" : "", desc);
	}
	meeting_desc(r, val_text(m, MCOL("full_meeting_id")), desc, sizeof desc, held);
	ev_add(s, val_text(m, MCOL("full_date")), EV_FULL, "转为正式党员", "%s", desc);
	if (m[MCOL("lost_contact")].kind_case == TONGXIN__VALUE__KIND_I && m[MCOL("lost_contact")].i)
		ev_add(s, val_text(m, MCOL("lost_since")), EV_LOST, "失联", "%s",
		    val_text(m, MCOL("lost_note")) ? val_text(m, MCOL("lost_note")) : "");
	if (how) {
		snprintf(title, sizeof title, "党员减少：%s", vocab_show(vocab_get("leave_reason"), how));
		ev_add(s, val_text(m, MCOL("left_on")), EV_LEFT, title, "%s", note ? note : "");
	}
}

/* Accepted transfers of member id (组织关系转接), the newest 50. */
static int
history_transfers(struct replica *r, const char *id, struct evs *s)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT t.decided_on, t.to_org_code,"
	    " coalesce(o.name, ''), coalesce(f.name, '') FROM transfer t"
	    " LEFT JOIN org o ON o.id = t.to_org_id LEFT JOIN org f ON f.id = t.from_org_id"
	    " WHERE t.member_id = ?1 AND t.status = 'accepted'"
	    " ORDER BY t.decided_on DESC, t.id LIMIT 50", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *to = dom_col_text(st, 1) ? dom_col_text(st, 1) : "", *name = dom_col_text(st, 2);
		const char *from = dom_col_text(st, 3);
		ev_add(s, dom_col_text(st, 0), EV_TRANSFER, "组织关系转接", "%s%s转入 %s%s%s%s",
		    from[0] ? "自" : "", from, name, name[0] ? "（" : "", to, name[0] ? "）" : "");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One sanction as an event. */
static void
history_sanction(const struct dom_sanction_row *d, void *arg)
{
	struct evs *s = arg;
	char title[128];

	snprintf(title, sizeof title, "党纪处分：%s",
	    vocab_show(vocab_get("discipline_kind"), d->kind));
	ev_add(s, d->decided_on, EV_DISCIPLINE, title, "%s%s%s%s%s%s%s",
	    d->grounds ? d->grounds : "", d->decided_by ? "；决定机关 " : "",
	    d->decided_by ? d->decided_by : "", d->until ? "；察看期满 " : "",
	    d->until ? d->until : "", d->note ? "；" : "", d->note ? d->note : "");
}

int
dom_member_history(struct replica *r, const char *id,
    void (*each)(const struct dom_life_event *ev, void *arg), void *arg, struct dom_error *e)
{
	Tongxin__Value m[DOM_MAX_COLS];
	struct evs *s;
	int rc;

	dom_error_clear(e);
	if ((s = calloc(1, sizeof *s)) == NULL)
		return dom_err(e, DOM_FAIL, -1, "内存不足 out of memory");
	/* One read transaction: the member and the rows that name it agree. */
	if (sqlite3_exec(replica_db(r), "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		free(s);
		return dom_db_err(r, e);
	}
	rc = member_load(r, id, m, e);
	if (rc == 0) {
		history_member(r, m, s);
		if (history_applicant(r, id, s) != 0 || history_transfers(r, id, s) != 0)
			rc = dom_db_err(r, e);
	}
	if (rc == 0)
		rc = dom_discipline_list(r, id, history_sanction, s, NULL, e);
	sqlite3_exec(replica_db(r), "COMMIT", NULL, NULL, NULL);
	clear_row(m);
	if (rc == 0 && s->oom)
		rc = dom_err(e, DOM_FAIL, -1, "内存不足 out of memory");
	if (rc == 0) {
		qsort(s->v, (size_t)s->n, sizeof s->v[0], ev_cmp);
		for (int k = 0; k < s->n; k++) {
			struct dom_life_event ev = { .date = s->v[k].date,
				.event = ev_code[s->v[k].rank], .title = s->v[k].title,
				.detail = s->v[k].detail };
			each(&ev, arg);
		}
	}
	for (int k = 0; k < s->n; k++) {
		free(s->v[k].title);
		free(s->v[k].detail);
	}
	free(s);
	return rc;
}
