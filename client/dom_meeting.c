/*
 * dom_meeting.c - organisational life (组织生活): a meeting with its
 * attendance, written in one local transaction so the server applies them
 * whole or queues them whole; the lists and one meeting. See dom_work.h.
 */
#include "dom_work.h"
#include "dom_handle.h"
#include "dom_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"
#include "value.h"
#include "vocab.h"

#define MCOL(name) schema_col_index(&schema_tables[TBL_MEETING], name)
#define ACOL(name) schema_col_index(&schema_tables[TBL_ATTENDANCE], name)

_Static_assert(DOM_MAX_ATTENDEES + 1 <= REP_TXN_MAX_CHANGES,
    "a meeting and its whole roll fit in one outbox transaction");

int
dom_work_fail(struct dom_error *e, enum dom_fail kind, int col, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
dom_work_db_fail(struct replica *r, struct dom_error *e)
{
	return dom_work_fail(e, DOM_FAIL, -1, "副本读写失败 the replica could not be used: %s",
	    sqlite3_errmsg(replica_db(r)));
}

int
dom_work_org_open(struct replica *r, const char *org_id, int col, const char *what_en,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), "SELECT coalesce(dissolved, 0) FROM org WHERE id = ?1",
	    -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0)
		rc = dom_work_fail(e, DOM_INVALID, col, "组织已撤销 the organisation is dissolved; no "
		    "%s can be recorded for it", what_en);
	else if (rc == SQLITE_DONE)
		rc = dom_work_fail(e, DOM_INVALID, col, "未知组织 unknown organisation");
	else if (rc == SQLITE_ROW)
		rc = 0;
	else
		rc = dom_work_db_fail(r, e);
	sqlite3_finalize(st);
	return rc;
}

/* Index into counts[] of an attendance code. */
static int
count_slot(const char *status)
{
	return status == NULL ? DOM_ABSENT : strcmp(status, "present") == 0 ? DOM_PRESENT :
	    strcmp(status, "excused") == 0 ? DOM_EXCUSED : DOM_ABSENT;
}

/* --- recording a meeting -------------------------------------------------- */

/* The roll resolved: each entry's member id and status code. */
struct roll_ids {
	char (*member)[ID_TEXT_LEN + 1];
	const char **status;
};

/*
 * Check the roll against the replica as the transaction sees it and
 * resolve each entry. 0, or -1 with e and *bad.
 */
static int
roll_check(struct replica *r, const char *org_id, const struct dom_attendee *roll, size_t n,
    struct roll_ids *ids, int *bad, struct dom_error *e)
{
	const struct col_def *reason_col = &schema_tables[TBL_ATTENDANCE].cols[ACOL("reason")];
	const struct vocab *states = vocab_get("attendance");
	sqlite3_stmt *find = NULL, *under = NULL;
	char why[512], shown[256];
	int rc = -1;

	if (n > DOM_MAX_ATTENDEES)
		return dom_work_fail(e, DOM_INVALID, -1, "出勤名单过长 %zu members on the roll; at "
		    "most %d per meeting", n, DOM_MAX_ATTENDEES);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT id, org_id, name FROM member WHERE id = ?1",
	    -1, &find, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(replica_db(r), DOM_SUBTREE_CTE " SELECT 1 FROM sub WHERE id = ?2",
	    -1, &under, NULL) != SQLITE_OK) {
		rc = dom_work_db_fail(r, e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct dom_attendee *a = &roll[i];
		const char *key = a->member ? a->member : "";
		int step;

		*bad = (int)i;
		if ((ids->status[i] = vocab_parse(states, a->status ? a->status : "")) == NULL) {
			dom_work_fail(e, DOM_INVALID, ACOL("status"), "出勤情况 \"%s\" 无效 invalid "
			    "attendance (member \"%s\"); 可选 allowed: 出席、请假、缺席",
			    a->status ? a->status : "", key);
			goto out;
		}
		/* Any member handle: id, its last 6+ characters, citizen ID, a name one member has. */
		if (dom_member_handle(r, key, ids->member[i], e) != 0) {
			if (e->kind == DOM_NOT_FOUND)
				dom_work_fail(e, DOM_INVALID, ACOL("member_id"), "未找到党员 no member "
				    "\"%s\" in this replica", key);
			else if (e->kind == DOM_INVALID)
				e->col = ACOL("member_id");
			goto out;
		}
		sqlite3_reset(find);
		sqlite3_bind_text(find, 1, ids->member[i], -1, SQLITE_STATIC);
		if ((step = sqlite3_step(find)) != SQLITE_ROW) {
			dom_work_db_fail(r, e);
			goto out;
		}
		if (a->by_name && dom_col_text(find, 2) != NULL) {
			snprintf(shown, sizeof shown, "%s", dom_col_text(find, 2));
			key = shown;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(ids->member[j], ids->member[i]) == 0) {
				if (a->by_name || strcmp(roll[j].member, key) == 0)
					dom_work_fail(e, DOM_INVALID, ACOL("member_id"), "党员重复 member "
					    "\"%s\" is listed more than once", key);
				else
					dom_work_fail(e, DOM_INVALID, ACOL("member_id"), "党员重复 member "
					    "\"%s\" is listed more than once (also as \"%s\")", key,
					    roll[j].member);
				goto out;
			}
		sqlite3_reset(under);
		sqlite3_bind_text(under, 1, org_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(under, 2, dom_col_text(find, 1), -1, SQLITE_TRANSIENT);
		if ((step = sqlite3_step(under)) != SQLITE_ROW) {
			if (step == SQLITE_DONE)
				dom_work_fail(e, DOM_INVALID, ACOL("member_id"), "党员不属于本会议的组织 "
				    "member \"%s\" is not in the meeting's organisation or its groups",
				    key);
			else
				dom_work_db_fail(r, e);
			goto out;
		}
		if (strcmp(ids->status[i], "excused") != 0)
			continue;
		if (a->reason == NULL || a->reason[0] == '\0') {
			dom_work_fail(e, DOM_MISSING, ACOL("reason"), "请假须说明事由 excused member "
			    "\"%s\" needs a reason", key);
			goto out;
		}
		{
			Tongxin__Value v;
			value_set_text(&v, a->reason);
			if (validate_value(reason_col, &v, why, sizeof why) != 0) {
				dom_work_fail(e, DOM_INVALID, ACOL("reason"), "%s (member \"%s\")", why,
				    key);
				goto out;
			}
		}
	}
	*bad = -1;
	rc = 0;
out:
	sqlite3_finalize(find);
	sqlite3_finalize(under);
	return rc;
}

/* Insert the meeting and its roll (the transaction is open). 0, or -1 with e. */
static int
meeting_insert(struct replica *r, const Tongxin__Value *vals, const struct dom_attendee *roll,
    size_t n, const struct roll_ids *ids, char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	char err[512] = "";

	if (rep_insert(r, TBL_MEETING, vals, id, err, sizeof err) != 0)
		return dom_work_fail(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	for (size_t i = 0; i < n; i++) {
		Tongxin__Value av[DOM_MAX_COLS];
		char aid[ID_TEXT_LEN + 1];

		memset(av, 0, sizeof av);
		value_set_text(&av[ACOL("meeting_id")], id);
		value_set_text(&av[ACOL("member_id")], ids->member[i]);
		value_set_text(&av[ACOL("status")], ids->status[i]);
		if (strcmp(ids->status[i], "excused") == 0)
			value_set_text(&av[ACOL("reason")], roll[i].reason);
		if (rep_insert(r, TBL_ATTENDANCE, av, aid, err, sizeof err) != 0)
			return dom_work_fail(e, DOM_FAIL, -1, "%s", err[0] ? err :
			    "cannot write the replica");
	}
	return 0;
}

int
dom_meeting_add(struct replica *r, const char *operator_name, const Tongxin__Value *vals,
    const int *set, const struct dom_attendee *roll, size_t n, bool dry_run,
    char id_out[ID_TEXT_LEN + 1], int counts[3], int *bad, struct dom_error *e)
{
	struct roll_ids ids = { 0 };
	char id[ID_TEXT_LEN + 1], err[512] = "";
	int bad_local, rc = -1;

	dom_error_clear(e);
	if (bad == NULL)
		bad = &bad_local;
	*bad = -1;
	if (n > DOM_MAX_ATTENDEES)
		return dom_work_fail(e, DOM_INVALID, -1, "出勤名单过长 %zu members on the roll; at "
		    "most %d per meeting", n, DOM_MAX_ATTENDEES);
	ids.member = calloc(n ? n : 1, sizeof *ids.member);
	ids.status = calloc(n ? n : 1, sizeof *ids.status);
	if (ids.member == NULL || ids.status == NULL) {
		dom_work_fail(e, DOM_FAIL, -1, "内存不足 out of memory");
		goto out;
	}
	if (rep_begin(r, operator_name) != 0) {
		dom_work_db_fail(r, e);
		goto out;
	}
	/* Every rule against the replica as this transaction sees it. */
	if (dom_check_values(TBL_MEETING, vals, set, true, e) != 0) {
		/* The meeting's one cross-column rule (validate_row) is its date. */
		if (e->kind == DOM_INVALID && e->col < 0)
			e->col = MCOL("held_on");
		rep_rollback(r);
		goto out;
	}
	if (dom_work_org_open(r, vals[MCOL("org_id")].s, MCOL("org_id"), "meetings", e) != 0 ||
	    roll_check(r, vals[MCOL("org_id")].s, roll, n, &ids, bad, e) != 0) {
		rep_rollback(r);
		goto out;
	}
	if (counts != NULL) {
		counts[0] = counts[1] = counts[2] = 0;
		for (size_t i = 0; i < n; i++)
			counts[count_slot(ids.status[i])]++;
	}
	if (dry_run) {
		rep_rollback(r);
		rc = 0;
		goto out;
	}
	if (meeting_insert(r, vals, roll, n, &ids, id, e) != 0) {
		rep_rollback(r);
		goto out;
	}
	if (rep_commit(r, err, sizeof err) != 0) {
		dom_work_fail(e, DOM_FAIL, -1, "%s", err);
		goto out;
	}
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	rc = 0;
out:
	free(ids.member);
	free(ids.status);
	return rc;
}

/* --- reading -------------------------------------------------------------- */

int
dom_meeting_list(struct replica *r, const struct dom_meeting_query *q,
    void (*each)(const struct dom_meeting_row *m, void *arg), void *arg, struct dom_error *e)
{
	const char *kind = NULL, *from = q->from, *to = q->to;
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (q->kind && q->kind[0] && (kind = vocab_parse(vocab_get("meeting_kind"), q->kind)) == NULL)
		return dom_work_fail(e, DOM_INVALID, MCOL("kind"), "会议类型 \"%s\" 无效 unknown "
		    "meeting kind", q->kind);
	if (from && !from[0])
		from = NULL;
	if (to && !to[0])
		to = NULL;
	if ((from && !validate_date(from)) || (to && !validate_date(to)))
		return dom_work_fail(e, DOM_INVALID, -1, "日期 \"%s\" 无效，应为 YYYY-MM-DD",
		    from && !validate_date(from) ? from : to);
	if (from && to && strcmp(from, to) > 0)
		return dom_work_fail(e, DOM_INVALID, -1, "起始日期 %s 晚于截止日期 %s (--from is "
		    "after --to)", from, to);
	/* An organisation takes in its whole subtree: a community sees its branches. */
	if (sqlite3_prepare_v2(replica_db(r), DOM_SUBTREE_CTE
	    " SELECT m.id, m.held_on, m.kind, m.org_id, coalesce(o.name, m.org_id), o.code,"
	    " m.topic, m.host,"
	    " (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id AND a.status = 'present'),"
	    " (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id AND a.status = 'excused'),"
	    " (SELECT count(*) FROM attendance a WHERE a.meeting_id = m.id AND a.status = 'absent')"
	    " FROM meeting m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE (?1 IS NULL OR m.org_id IN (SELECT id FROM sub))"
	    " AND (?2 IS NULL OR m.kind = ?2) AND (?3 IS NULL OR m.held_on >= ?3)"
	    " AND (?4 IS NULL OR m.held_on <= ?4)"
	    " ORDER BY m.held_on, o.code, m.id", -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, q->org_id && q->org_id[0] ? q->org_id : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, to, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_meeting_row m = {
			.id = dom_col_text(st, 0), .held_on = dom_col_text(st, 1), .kind = dom_col_text(st, 2),
			.org_id = dom_col_text(st, 3), .org_name = dom_col_text(st, 4),
			.org_code = dom_col_text(st, 5), .topic = dom_col_text(st, 6),
			.host = dom_col_text(st, 7),
			.counts = { sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9),
			    sqlite3_column_int64(st, 10) },
		};
		each(&m, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_work_db_fail(r, e);
}

int
dom_meeting_get(struct replica *r, const char *id, Tongxin__Value *vals, char org_name[256],
    char org_code[65], int counts[3],
    void (*each)(const struct dom_attendance_row *a, void *arg), void *arg, struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	memset(vals, 0, sizeof *vals * DOM_MAX_COLS);
	org_name[0] = org_code[0] = '\0';
	counts[0] = counts[1] = counts[2] = 0;
	if (id == NULL || !id_valid(id))
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到会议 no such meeting");
	rc = rep_get(r, TBL_MEETING, id, vals, NULL);
	if (rc == 0)
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "未找到会议 no such meeting");
	if (rc < 0)
		return dom_work_db_fail(r, e);
	if (sqlite3_prepare_v2(replica_db(r), "SELECT name, code FROM org WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	value_bind(st, 1, &vals[MCOL("org_id")]);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(org_name, 256, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(org_code, 65, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
	}
	sqlite3_finalize(st);
	/* The roll: present first, then excused, then absent, by name. */
	if (sqlite3_prepare_v2(replica_db(r), "SELECT a.member_id, p.name, a.status, a.reason"
	    " FROM attendance a LEFT JOIN member p ON p.id = a.member_id"
	    " WHERE a.meeting_id = ?1 ORDER BY CASE a.status WHEN 'present' THEN 0"
	    " WHEN 'excused' THEN 1 ELSE 2 END, p.name, a.id", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_attendance_row a = {
			.member_id = dom_col_text(st, 0), .name = dom_col_text(st, 1),
			.status = dom_col_text(st, 2), .reason = dom_col_text(st, 3),
		};
		counts[count_slot(a.status)]++;
		if (each)
			each(&a, arg);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	dom_work_db_fail(r, e);
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&vals[c]);
	return -1;
}

int
dom_roll_members(struct replica *r, const char *org_id,
    void (*each)(const struct dom_roll_member *m, void *arg), void *arg, bool *more,
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	dom_error_clear(e);
	*more = false;
	if (org_id == NULL || !id_valid(org_id))
		return dom_work_fail(e, DOM_NOT_FOUND, -1, "未知组织 unknown organisation");
	if (sqlite3_prepare_v2(replica_db(r), DOM_SUBTREE_CTE
	    " SELECT m.id, m.name, m.org_id, o.name FROM member m JOIN org o ON o.id = m.org_id"
	    " WHERE m.org_id IN (SELECT id FROM sub) AND " DOM_MEMBER_COUNTED
	    " ORDER BY m.org_id <> ?1, o.code, m.name, m.id LIMIT ?2", -1, &st, NULL) != SQLITE_OK)
		return dom_work_db_fail(r, e);
	sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, DOM_MAX_ATTENDEES + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_roll_member m = {
			.id = dom_col_text(st, 0), .name = dom_col_text(st, 1),
			.org_id = dom_col_text(st, 2), .org_name = dom_col_text(st, 3),
		};
		if (++n > DOM_MAX_ATTENDEES) {
			*more = true;
			continue;
		}
		each(&m, arg);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return dom_work_db_fail(r, e);
	if (n == 0) {
		/* No one on the roll: say so when the organisation itself is unknown. */
		if (sqlite3_prepare_v2(replica_db(r), "SELECT 1 FROM org WHERE id = ?1", -1, &st,
		    NULL) != SQLITE_OK)
			return dom_work_db_fail(r, e);
		sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return dom_work_fail(e, DOM_NOT_FOUND, -1, "未知组织 unknown organisation");
	}
	return 0;
}
