/*
 * dom_develop.c - the development pipeline (发展党员) and probation; see
 * dom_develop.h. Every step reads the person's row, the organisation and
 * the deciding meeting inside the write's own transaction, and checks the
 * whole row as it would be with validate_row (the server checks the same).
 */
#include "dom_develop.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dom_handle.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

#define ACOL(name) schema_col_index(&schema_tables[TBL_APPLICANT], name)
#define MCOL(name) schema_col_index(&schema_tables[TBL_MEMBER], name)

/* Most candidates an ambiguous applicant handle lists. */
#define DEV_SHOW_CANDIDATES 5

/* The text of column c of a row, or NULL. */
static const char *
val_text(const Tongxin__Value *v, int c)
{
	return c >= 0 && v[c].kind_case == TONGXIN__VALUE__KIND_S ? v[c].s : NULL;
}

/* The label of a vocabulary's code, for messages. */
static const char *
label_of(const char *vocab, const char *code)
{
	return code ? vocab_show(vocab_get(vocab), code) : "（无）";
}

/* --- steps' names ---------------------------------------------------------- */

static const struct {
	const char *name, *label, *meeting_col;
	int t;
} steps[] = {
	[DOM_DEV_ACTIVIST] = { "activist", "确定为入党积极分子", "activist_meeting_id", TBL_APPLICANT },
	[DOM_DEV_CANDIDATE] = { "candidate", "确定为发展对象", "candidate_meeting_id", TBL_APPLICANT },
	[DOM_DEV_ADMIT] = { "admit", "接收为预备党员", "admitted_meeting_id", TBL_APPLICANT },
	[DOM_DEV_PROMOTE] = { "promote", "预备党员转正", "full_meeting_id", TBL_MEMBER },
	[DOM_DEV_EXTEND] = { "extend", "延长预备期", "extension_meeting_id", TBL_MEMBER },
};

static bool
step_ok(enum dom_dev_step s)
{
	return (unsigned)s < sizeof steps / sizeof steps[0];
}

const char *
dom_dev_step_name(enum dom_dev_step s)
{
	return step_ok(s) ? steps[s].name : NULL;
}

const char *
dom_dev_step_label(enum dom_dev_step s)
{
	return step_ok(s) ? steps[s].label : "";
}

int
dom_dev_step_table(enum dom_dev_step s)
{
	return step_ok(s) ? steps[s].t : -1;
}

const char *
dom_dev_step_meeting_col(enum dom_dev_step s)
{
	return step_ok(s) ? steps[s].meeting_col : NULL;
}

/* --- handles ---------------------------------------------------------------- */

/*
 * Collect up to DEV_SHOW_CANDIDATES + 1 (id, label) rows of sql with ?1 =
 * handle. Returns how many, or -1 with e.
 */
static int
candidates(struct replica *r, const char *sql, const char *handle,
    char ids[DEV_SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], char labels[DEV_SHOW_CANDIDATES + 1][128],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < DEV_SHOW_CANDIDATES + 1) {
		snprintf(ids[n], ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(labels[n], 128, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		n = dom_db_err(r, e);
	sqlite3_finalize(st);
	return n;
}

/* e: the handle names several applicants, listed by short handle. */
static int
ambiguous(struct dom_error *e, const char *handle, int n,
    char ids[DEV_SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], char labels[DEV_SHOW_CANDIDATES + 1][128])
{
	size_t len;

	dom_err(e, DOM_INVALID, -1, "“%s”对应多名发展对象记录，请给出公民身份号码或更长的编号 (ambiguous): ",
	    handle);
	for (int i = 0; i < n && i < DEV_SHOW_CANDIDATES; i++) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, "%s%s%s%s%s", i ? "、" : "",
		    dom_short(ids[i]), labels[i][0] ? "（" : "", labels[i], labels[i][0] ? "）" : "");
	}
	if (n > DEV_SHOW_CANDIDATES) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, "……");
	}
	return -1;
}

/* Whether s could be an id or its suffix: hex digits and dashes. */
static bool
id_like(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

int
dom_applicant_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	char ids[DEV_SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], labels[DEV_SHOW_CANDIDATES + 1][128];
	char upper[20];
	size_t len = strlen(handle);
	int n;

	dom_error_clear(e);
	if (len == 0 || len > 255)
		return dom_err(e, DOM_INVALID, -1, "请给出公民身份号码、编号末尾至少6位或姓名"
		    " (give a citizen ID, the id's last 6+ characters or a name)");
	if (len == 18 && strspn(handle, "0123456789") >= 17) {
		snprintf(upper, sizeof upper, "%s", handle);
		if (upper[17] == 'x')
			upper[17] = 'X';
		n = candidates(r, "SELECT id, name FROM applicant WHERE id_number = ?1", upper, ids,
		    labels, e);
		if (n < 0)
			return -1;
		if (n == 1) {
			snprintf(id, ID_TEXT_LEN + 1, "%s", ids[0]);
			return 0;
		}
		if (n > 1)
			return ambiguous(e, handle, n, ids, labels);
	}
	if (len >= 6 && len <= ID_TEXT_LEN && id_like(handle)) {
		struct dom_error e2;
		if (dom_row_handle(r, TBL_APPLICANT, handle, "发展对象记录", id, &e2) == 0)
			return 0;
		if (e2.kind != DOM_NOT_FOUND) {
			*e = e2;
			return -1;
		}
	}
	n = candidates(r, "SELECT id, id_number FROM applicant WHERE name = ?1 ORDER BY id_number",
	    handle, ids, labels, e);
	if (n < 0)
		return -1;
	if (n == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有入党申请人“%s” (not found)", handle);
	if (n > 1)
		return ambiguous(e, handle, n, ids, labels);
	snprintf(id, ID_TEXT_LEN + 1, "%s", ids[0]);
	return 0;
}

/* --- organisations and meetings --------------------------------------------- */

/* An organisation's kind, parent and dissolved flag. 1 found, 0 not, -1 error. */
static int
org_get(struct replica *r, const char *id, char kind[33], char parent[ID_TEXT_LEN + 1],
    bool *dissolved)
{
	sqlite3_stmt *st;
	int rc;

	kind[0] = parent[0] = '\0';
	*dissolved = false;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT kind, parent_id, coalesce(dissolved, 0)"
	    " FROM org WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(kind, 33, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(parent, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
		*dissolved = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * The organisation whose meetings decide for a person of org_id: org_id
 * itself, or for a Party group its branch (a group holds no 支委会 or
 * 党员大会). 0 with deciding set, or -1 with e.
 */
static int
deciding_org(struct replica *r, const char *org_id, char deciding[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	char kind[33], parent[ID_TEXT_LEN + 1];
	bool dissolved;
	int rc = org_get(r, org_id, kind, parent, &dissolved);

	if (rc < 0)
		return dom_db_err(r, e);
	if (rc == 0)
		return dom_err(e, DOM_INVALID, -1, "未知组织 unknown organisation");
	snprintf(deciding, ID_TEXT_LEN + 1, "%s", strcmp(kind, "group") == 0 && parent[0] ?
	    parent : org_id);
	return 0;
}

/* "支委会或支部党员大会": the kinds, by label, for messages. */
static void
kinds_text(const char *const *kinds, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; kinds && kinds[i] && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "或" : "",
		    label_of("meeting_kind", kinds[i]));
}

/*
 * Whether meeting mid may decide the step (table t, meeting column col)
 * for a person of org_id: it exists, its kind is allowed, it was held by
 * the deciding organisation. held_on receives its date. Inside the
 * write's transaction. 0, or -1 with e (col: the meeting column).
 */
static int
meeting_fits(struct replica *r, const char *mid, const char *org_id, int t, const char *col,
    char held_on[11], struct dom_error *e)
{
	const char *const *kinds = meeting_kinds_for(t, col);
	int c = schema_col_index(&schema_tables[t], col);
	char deciding[ID_TEXT_LEN + 1], mkind[33] = "", morg[ID_TEXT_LEN + 1] = "", allowed[128];
	sqlite3_stmt *st;
	bool kind_ok = false;
	int rc;

	if (mid == NULL || mid[0] == '\0')
		return dom_err(e, DOM_MISSING, c, "缺少必填项 %s", schema_tables[t].cols[c].label);
	if (!id_valid(mid))
		return dom_err(e, DOM_NOT_FOUND, c, "本副本中没有这次会议 (no such meeting)");
	if (deciding_org(r, org_id, deciding, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT kind, org_id, held_on FROM meeting"
	    " WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, mid, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(mkind, sizeof mkind, "%s", dom_col_text(st, 0) ? dom_col_text(st, 0) : "");
		snprintf(morg, sizeof morg, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
		snprintf(held_on, 11, "%s", dom_col_text(st, 2) ? dom_col_text(st, 2) : "");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, c, "本副本中没有这次会议 (no such meeting)");
	if (rc != SQLITE_ROW)
		return dom_db_err(r, e);
	for (size_t i = 0; kinds && kinds[i]; i++)
		kind_ok = kind_ok || strcmp(kinds[i], mkind) == 0;
	if (!kind_ok) {
		kinds_text(kinds, allowed, sizeof allowed);
		return dom_err(e, DOM_INVALID, c, "%s须由%s决定，这次会议是%s (the meeting's kind cannot "
		    "decide this step)", schema_tables[t].cols[c].label, allowed,
		    label_of("meeting_kind", mkind));
	}
	if (strcmp(morg, deciding) != 0)
		return dom_err(e, DOM_INVALID, c, "这次会议不是本人所在党支部的会议 (the meeting was held "
		    "by another organisation)");
	return 0;
}

/*
 * The step's date: given (its form checked) or the meeting's, and not
 * before the meeting. 0 with out set, or -1 with e naming column c.
 */
static int
step_date(const char *given, const char *held_on, int t, int c, char out[11],
    struct dom_error *e)
{
	const struct col_def *cd = &schema_tables[t].cols[c];

	if (given == NULL || given[0] == '\0') {
		snprintf(out, 11, "%s", held_on);
		return 0;
	}
	if (!validate_date(given))
		return dom_err(e, DOM_INVALID, c, "%s (%s) 日期 \"%s\" 无效，应为 YYYY-MM-DD", cd->label,
		    cd->name, given);
	if (strcmp(given, held_on) < 0)
		return dom_err(e, DOM_INVALID, c, "%s %s 早于作出决定的会议日期 %s (before the meeting)",
		    cd->label, given, held_on);
	snprintf(out, 11, "%s", given);
	return 0;
}

/* --- add an applicant ------------------------------------------------------- */

/* Whether sql (?1 bound to text a) finds a row; 1, 0, or -1 on error. */
static int
exists(struct replica *r, const char *sql, const char *a)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * What the replica tells about a new applicant: the organisation is a
 * branch or group, not dissolved; the citizen ID is not another
 * applicant's (still in the pipeline) nor a member's.
 */
static int
applicant_replica_checks(struct replica *r, const Tongxin__Value *v, struct dom_error *e)
{
	const char *org = val_text(v, ACOL("org_id")), *idn = val_text(v, ACOL("id_number"));
	char kind[33], parent[ID_TEXT_LEN + 1];
	bool dissolved;
	int rc;

	if ((rc = org_get(r, org, kind, parent, &dissolved)) < 0)
		return dom_db_err(r, e);
	if (rc == 0)
		return dom_err(e, DOM_INVALID, ACOL("org_id"), "未知组织 unknown organisation");
	if (dissolved)
		return dom_err(e, DOM_INVALID, ACOL("org_id"), "所在党支部已撤销 the branch has been "
		    "dissolved");
	if (!org_kind_holds_members(kind))
		return dom_err(e, DOM_INVALID, ACOL("org_id"), "入党申请人须在党支部或党小组登记，这是%s "
		    "(an applicant belongs to a branch or group)", label_of("org_kind", kind));
	if ((rc = exists(r, "SELECT 1 FROM applicant WHERE id_number = ?1", idn)) < 0)
		return dom_db_err(r, e);
	if (rc)
		return dom_err(e, DOM_INVALID, ACOL("id_number"), "公民身份号码 %s 已有入党申请记录 "
		    "(already an applicant)", idn);
	if ((rc = exists(r, "SELECT 1 FROM member WHERE id_number = ?1", idn)) < 0)
		return dom_db_err(r, e);
	if (rc)
		return dom_err(e, DOM_INVALID, ACOL("id_number"), "公民身份号码 %s 已是党员 (already a "
		    "member)", idn);
	return 0;
}

int
dom_applicant_add(struct replica *r, const char *operator_name, Tongxin__Value *vals,
    int *set, bool dry_run, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	static const char *const later[] = { "stage", "activist_on", "activist_meeting_id",
		"candidate_on", "candidate_meeting_id", "admitted_on", "admitted_meeting_id",
		"member_id" };
	static char birth[11];   /* borrowed by vals until the caller is done with them */
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	int c_id = ACOL("id_number"), c_birth = ACOL("birth_date"), c_reg = ACOL("id_region_verified");
	char id[ID_TEXT_LEN + 1], err[512] = "";

	dom_error_clear(e);
	for (size_t k = 0; k < sizeof later / sizeof later[0]; k++)
		if (set[ACOL(later[k])])
			return dom_err(e, DOM_INVALID, ACOL(later[k]), "新的入党申请人不能填写%s (the later "
			    "steps are taken one by one)", td->cols[ACOL(later[k])].label);
	value_set_text(&vals[ACOL("stage")], "applicant");
	set[ACOL("stage")] = 1;
	if (set[c_id] && vals[c_id].kind_case == TONGXIN__VALUE__KIND_S && !set[c_birth] &&
	    strlen(vals[c_id].s) == 18) {
		snprintf(birth, sizeof birth, "%.4s-%.2s-%.2s", vals[c_id].s + 6, vals[c_id].s + 10,
		    vals[c_id].s + 12);
		value_set_text(&vals[c_birth], birth);
		set[c_birth] = 1;
	}
	if (!set[c_reg]) {
		value_set_int(&vals[c_reg], 0);
		set[c_reg] = 1;
	}
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_check_values(TBL_APPLICANT, vals, set, true, e) != 0 ||
	    applicant_replica_checks(r, vals, e) != 0) {
		rep_rollback(r);
		return -1;
	}
	if (dry_run) {
		rep_rollback(r);
		return 0;
	}
	if (rep_insert(r, TBL_APPLICANT, vals, id, err, sizeof err) != 0) {
		rep_rollback(r);
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	}
	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err);
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/* --- steps ------------------------------------------------------------------ */

/* A pending update: columns and values (borrowed) of one row. */
struct upd {
	uint32_t cols[8];
	Tongxin__Value vals[8];
	size_t n;
};

/* Set column c of row (and record it in u) to text s (borrowed; NULL clears). */
static void
upd_text(struct upd *u, Tongxin__Value *row, int c, const char *s)
{
	if (s)
		value_set_text(&row[c], s);
	else
		value_set_null(&row[c]);
	u->cols[u->n] = (uint32_t)c;
	u->vals[u->n++] = row[c];
}

/* The stage a pipeline step follows, and its Chinese name. */
static int
stage_check(enum dom_dev_step step, const Tongxin__Value *cur, struct dom_error *e)
{
	static const char *const before[] = { "applicant", "activist", "candidate" };
	const char *stage = val_text(cur, ACOL("stage"));

	if (stage == NULL || strcmp(stage, before[step]) != 0)
		return dom_err(e, DOM_INVALID, ACOL("stage"), "%s须先是%s，此人现为%s (not at the stage "
		    "this step follows)", steps[step].label, label_of("dev_stage", before[step]),
		    label_of("dev_stage", stage));
	return 0;
}

/* Whether member row cur is a probationary member still on the books. */
static int
probation_check(enum dom_dev_step step, const Tongxin__Value *cur, struct dom_error *e)
{
	const char *cat = val_text(cur, MCOL("category")), *left = val_text(cur, MCOL("left_reason"));

	if (left != NULL)
		return dom_err(e, DOM_INVALID, MCOL("left_reason"), "此人已%s，不能%s (no longer a member)",
		    label_of("leave_reason", left), steps[step].label);
	if (cat == NULL || strcmp(cat, "probationary") != 0 || val_text(cur, MCOL("full_date")))
		return dom_err(e, DOM_INVALID, MCOL("category"), "只有预备党员才能%s，此人是%s (not a "
		    "probationary member)", steps[step].label, label_of("category", cat));
	if (step == DOM_DEV_EXTEND && val_text(cur, MCOL("probation_until")))
		return dom_err(e, DOM_INVALID, MCOL("probation_until"), "预备期已延长至 %s，只能延长一次 "
		    "(probation can be extended once)", val_text(cur, MCOL("probation_until")));
	return 0;
}

/*
 * The new member of an admission: the applicant's personal items, the
 * clerk's additions, category probationary, joined on date, standing
 * normal, flags 0. Strings are borrowed from cur, a and date.
 */
static void
member_of(const Tongxin__Value *cur, const struct dom_dev_args *a, const char *date,
    Tongxin__Value *mv, int *mset)
{
	static const char *const copied[][2] = { { "name", "name" }, { "gender", "gender" },
		{ "ethnicity", "ethnicity" }, { "id_number", "id_number" },
		{ "birth_date", "birth_date" }, { "education", "education" }, { "org_id", "org_id" },
		{ "job", "job" }, { "phone", "phone" }, { "id_region_verified", "id_region_verified" } };
	const struct table_def *tm = &schema_tables[TBL_MEMBER];
	const struct {
		const char *col, *given;
	} added[] = { { "education", a->education }, { "address", a->address },
		{ "phone", a->phone }, { "job", a->job } };

	for (size_t k = 0; k < sizeof copied / sizeof copied[0]; k++) {
		int from = ACOL(copied[k][1]), to = MCOL(copied[k][0]);
		if (cur[from].kind_case != TONGXIN__VALUE__KIND__NOT_SET) {
			mv[to] = cur[from];
			mset[to] = 1;
		}
	}
	for (size_t k = 0; k < sizeof added / sizeof added[0]; k++)
		if (added[k].given && added[k].given[0]) {
			const struct col_def *cd = &tm->cols[MCOL(added[k].col)];
			const char *s = cd->type == COL_ENUM ? vocab_col_store(cd, added[k].given) : NULL;
			value_set_text(&mv[MCOL(added[k].col)], s ? s : added[k].given);
			mset[MCOL(added[k].col)] = 1;
		}
	value_set_text(&mv[MCOL("category")], "probationary");
	value_set_text(&mv[MCOL("join_date")], date);
	value_set_text(&mv[MCOL("standing")], "normal");
	mset[MCOL("category")] = mset[MCOL("join_date")] = mset[MCOL("standing")] = 1;
	for (int c = 0; c < tm->ncols; c++)
		if (tm->cols[c].type == COL_BOOL && !mset[c]) {
			value_set_int(&mv[c], 0);
			mset[c] = 1;
		}
}

/* Fill done's name from row cur of table t. */
static void
done_name(struct dom_dev_done *done, int t, const Tongxin__Value *cur)
{
	const char *n = val_text(cur, schema_col_index(&schema_tables[t], "name"));

	snprintf(done->name, sizeof done->name, "%s", n ? n : "");
}

/* The step's date column (where a broken row rule is shown). */
static int
step_date_col(enum dom_dev_step step)
{
	static const char *const cols[] = { "activist_on", "candidate_on", "admitted_on",
		"full_date", "probation_until" };
	return schema_col_index(&schema_tables[steps[step].t], cols[step]);
}

/*
 * The admission's member row: checked as a new member would be, inserted,
 * its id to mid. Inside the open transaction. 0, or -1 with e (e->col an
 * applicant column where one maps, else -1).
 */
static int
admit_member(struct replica *r, const Tongxin__Value *cur, const struct dom_dev_args *a,
    const char *date, char mid[ID_TEXT_LEN + 1], struct dom_error *e)
{
	Tongxin__Value mv[DOM_MAX_COLS];
	int mset[DOM_MAX_COLS] = { 0 };
	char err[512] = "";

	memset(mv, 0, sizeof mv);
	member_of(cur, a, date, mv, mset);
	if (dom_check_values(TBL_MEMBER, mv, mset, true, e) != 0 ||
	    dom_member_replica_checks(r, mv, mset, NULL, e) != 0) {
		/* The member's column, named the way the applicant's form knows it. */
		if (e->col >= 0) {
			const char *name = schema_tables[TBL_MEMBER].cols[e->col].name;
			e->col = strcmp(name, "join_date") == 0 ? ACOL("admitted_on") :
			    schema_col_index(&schema_tables[TBL_APPLICANT], name);
		}
		if (e->kind == DOM_MISSING && e->col < 0)
			e->kind = DOM_INVALID;
		return -1;
	}
	if (rep_insert(r, TBL_MEMBER, mv, mid, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

int
dom_dev_step(struct replica *r, const char *operator_name, const char *id,
    enum dom_dev_step step, const struct dom_dev_args *a, bool dry_run,
    struct dom_dev_done *done, struct dom_error *e)
{
	static const struct dom_dev_args none = { 0 };
	struct dom_dev_done scratch;
	Tongxin__Value cur[DOM_MAX_COLS], row[DOM_MAX_COLS];
	struct upd u = { .n = 0 };
	char held_on[11] = "", date[11] = "", today[11], why[512], err[512] = "";
	char mid[ID_TEXT_LEN + 1] = "";
	const char *org, *meeting;
	int t, got, rc = -1, mcol;

	dom_error_clear(e);
	if (done == NULL)
		done = &scratch;
	memset(done, 0, sizeof *done);
	if (a == NULL)
		a = &none;
	if (!step_ok(step))
		return dom_err(e, DOM_INVALID, -1, "未知操作 unknown step");
	t = steps[step].t;
	mcol = schema_col_index(&schema_tables[t], steps[step].meeting_col);
	if (!id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到 no such record");
	if (step == DOM_DEV_EXTEND && (a->until == NULL || a->until[0] == '\0'))
		return dom_err(e, DOM_MISSING, MCOL("probation_until"), "缺少必填项 预备期满日期");
	memset(cur, 0, sizeof cur);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((got = rep_get(r, t, id, cur, NULL)) != 1) {
		if (got == 0)
			dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有这条记录 (not found)");
		else
			dom_db_err(r, e);
		goto out;
	}
	done_name(done, t, cur);
	if ((t == TBL_APPLICANT ? stage_check(step, cur, e) : probation_check(step, cur, e)) != 0)
		goto out;
	org = val_text(cur, schema_col_index(&schema_tables[t], "org_id"));
	meeting = a->meeting_id;
	if (meeting_fits(r, meeting, org ? org : "", t, steps[step].meeting_col, held_on, e) != 0)
		goto out;
	if (step == DOM_DEV_EXTEND) {
		snprintf(date, sizeof date, "%s", a->until);
		if (!validate_date(date)) {
			dom_err(e, DOM_INVALID, MCOL("probation_until"), "预备期满日期 (probation_until) 日期 "
			    "\"%s\" 无效，应为 YYYY-MM-DD", a->until);
			goto out;
		}
	} else if (step_date(a->date, held_on, t, step_date_col(step), date, e) != 0) {
		goto out;
	}
	memcpy(row, cur, sizeof row);   /* borrowed from cur */
	switch (step) {
	case DOM_DEV_ACTIVIST:
	case DOM_DEV_CANDIDATE:
	case DOM_DEV_ADMIT:
		upd_text(&u, row, ACOL("stage"), step == DOM_DEV_ACTIVIST ? "activist" :
		    step == DOM_DEV_CANDIDATE ? "candidate" : "admitted");
		upd_text(&u, row, step_date_col(step), date);
		upd_text(&u, row, mcol, meeting);
		break;
	case DOM_DEV_PROMOTE:
		upd_text(&u, row, MCOL("category"), "full");
		upd_text(&u, row, MCOL("full_date"), date);
		upd_text(&u, row, mcol, meeting);
		break;
	case DOM_DEV_EXTEND:
		upd_text(&u, row, MCOL("probation_until"), date);
		upd_text(&u, row, mcol, meeting);
		break;
	}
	/* The row as it would be keeps every rule (a placeholder member id until the insert). */
	if (step == DOM_DEV_ADMIT)
		upd_text(&u, row, ACOL("member_id"), "00000000-0000-0000-0000-000000000000");
	today_str(today);
	if (validate_row(t, row, today, why, sizeof why) != 0) {
		dom_err(e, DOM_INVALID, step_date_col(step), "%s", why);
		goto out;
	}
	if (step == DOM_DEV_ADMIT) {
		if (admit_member(r, cur, a, date, mid, e) != 0)
			goto out;
		u.n--;
		upd_text(&u, row, ACOL("member_id"), mid);
	} else if (t == TBL_MEMBER) {
		snprintf(mid, sizeof mid, "%s", id);
	}
	if (dry_run) {
		rc = 0;
		goto out;
	}
	if (rep_update(r, t, id, u.cols, u.vals, u.n, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto out;
	}
	if (rep_commit(r, err, sizeof err) != 0) {
		rc = dom_err(e, DOM_FAIL, -1, "%s", err);
		goto done;
	}
	rc = 0;
	snprintf(done->date, sizeof done->date, "%s", date);
	snprintf(done->member_id, sizeof done->member_id, "%s", mid);
	goto done;
out:
	rep_rollback(r);
	if (rc == 0) {
		snprintf(done->date, sizeof done->date, "%s", date);
		snprintf(done->member_id, sizeof done->member_id, "%s", mid);
	}
done:
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	return rc;
}

int
dom_dev_stop(struct replica *r, const char *operator_name, const char *id, const char *note,
    bool dry_run, struct dom_dev_done *done, struct dom_error *e)
{
	const struct col_def *cn = &schema_tables[TBL_APPLICANT].cols[ACOL("note")];
	struct dom_dev_done scratch;
	Tongxin__Value cur[DOM_MAX_COLS], row[DOM_MAX_COLS];
	struct upd u = { .n = 0 };
	char today[11], why[512], err[512] = "";
	const char *stage;
	int got, rc = -1;

	dom_error_clear(e);
	if (done == NULL)
		done = &scratch;
	memset(done, 0, sizeof *done);
	if (!id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到 no such record");
	memset(cur, 0, sizeof cur);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if ((got = rep_get(r, TBL_APPLICANT, id, cur, NULL)) != 1) {
		if (got == 0)
			dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有这条记录 (not found)");
		else
			dom_db_err(r, e);
		goto out;
	}
	done_name(done, TBL_APPLICANT, cur);
	stage = val_text(cur, ACOL("stage"));
	if (stage == NULL || strcmp(stage, "admitted") == 0 || strcmp(stage, "stopped") == 0) {
		dom_err(e, DOM_INVALID, ACOL("stage"), "此人现为%s，不能停止培养 (only a person still in "
		    "the pipeline can be stopped)", label_of("dev_stage", stage));
		goto out;
	}
	memcpy(row, cur, sizeof row);
	upd_text(&u, row, ACOL("stage"), "stopped");
	if (note && note[0]) {
		Tongxin__Value nv;
		value_set_text(&nv, note);
		if (validate_value(cn, &nv, why, sizeof why) != 0) {
			dom_err(e, DOM_INVALID, ACOL("note"), "%s", why);
			goto out;
		}
		upd_text(&u, row, ACOL("note"), note);
	}
	today_str(today);
	if (validate_row(TBL_APPLICANT, row, today, why, sizeof why) != 0) {
		dom_err(e, DOM_INVALID, -1, "%s", why);
		goto out;
	}
	if (dry_run) {
		rc = 0;
		goto out;
	}
	if (rep_update(r, TBL_APPLICANT, id, u.cols, u.vals, u.n, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto out;
	}
	rc = rep_commit(r, err, sizeof err) != 0 ? dom_err(e, DOM_FAIL, -1, "%s", err) : 0;
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	return rc;
out:
	rep_rollback(r);
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	return rc;
}

int
dom_applicant_edit(struct replica *r, const char *operator_name, const char *id,
    const Tongxin__Value *vals, const int *set, bool dry_run, struct dom_error *e)
{
	static const char *const editable[] = { "name", "gender", "ethnicity", "education", "phone",
		"job", "note", "id_region_verified" };
	const struct table_def *td = &schema_tables[TBL_APPLICANT];
	Tongxin__Value cur[DOM_MAX_COLS], row[DOM_MAX_COLS];
	struct upd u = { .n = 0 };
	char today[11], why[512], err[512] = "";
	const char *stage;
	int got, rc = -1;

	dom_error_clear(e);
	for (int c = 0; c < td->ncols; c++) {
		bool ok = false;
		if (!set[c])
			continue;
		for (size_t k = 0; k < sizeof editable / sizeof editable[0]; k++)
			ok = ok || strcmp(td->cols[c].name, editable[k]) == 0;
		if (!ok)
			return dom_err(e, DOM_INVALID, c, "%s不能在此修改 (%s is set by the pipeline's steps or "
			    "fixed with the record)", td->cols[c].label, td->cols[c].name);
		if (u.n == sizeof u.cols / sizeof u.cols[0])
			return dom_err(e, DOM_INVALID, c, "一次修改的项目过多 too many items");
		u.cols[u.n] = (uint32_t)c;
		u.vals[u.n++] = vals[c];
	}
	if (u.n == 0)
		return dom_err(e, DOM_INVALID, -1, "没有要修改的项目 nothing to change");
	if (!id_valid(id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未找到 no such record");
	memset(cur, 0, sizeof cur);
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (dom_check_values(TBL_APPLICANT, vals, set, false, e) != 0)
		goto out;
	if ((got = rep_get(r, TBL_APPLICANT, id, cur, NULL)) != 1) {
		if (got == 0)
			dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有这条记录 (not found)");
		else
			dom_db_err(r, e);
		goto out;
	}
	stage = val_text(cur, ACOL("stage"));
	if (stage != NULL && strcmp(stage, "admitted") == 0) {
		dom_err(e, DOM_INVALID, ACOL("stage"), "已接收为预备党员，请修改党员信息 (admitted: edit the "
		    "member record)");
		goto out;
	}
	for (int c = 0; c < td->ncols; c++) {
		row[c] = set[c] ? vals[c] : cur[c];
		if (set[c] && (td->cols[c].flags & COLF_REQUIRED) &&
		    vals[c].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
			dom_err(e, DOM_INVALID, c, "%s (%s) cannot be empty", td->cols[c].label,
			    td->cols[c].name);
			goto out;
		}
	}
	today_str(today);
	if (validate_row(TBL_APPLICANT, row, today, why, sizeof why) != 0) {
		dom_err(e, DOM_INVALID, -1, "%s", why);
		goto out;
	}
	if (dry_run) {
		rc = 0;
		goto out;
	}
	if (rep_update(r, TBL_APPLICANT, id, u.cols, u.vals, u.n, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto out;
	}
	rc = rep_commit(r, err, sizeof err) != 0 ? dom_err(e, DOM_FAIL, -1, "%s", err) : 0;
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	return rc;
out:
	rep_rollback(r);
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&cur[c]);
	return rc;
}

/* --- reading ---------------------------------------------------------------- */

int
dom_dev_list(struct replica *r, const struct dom_dev_query *q,
    void (*each)(const struct dom_dev_row *d, void *arg), void *arg, struct dom_error *e)
{
	const char *stage = NULL;
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	if (q && q->stage && q->stage[0] &&
	    (stage = vocab_parse(vocab_get("dev_stage"), q->stage)) == NULL)
		return dom_err(e, DOM_INVALID, ACOL("stage"), "发展阶段“%s”无效 (unknown stage)", q->stage);
	if (sqlite3_prepare_v2(replica_db(r), DOM_SUBTREE_CTE
	    " SELECT a.id, a.name, a.gender, a.id_number, a.stage, a.org_id, o.name, a.applied_on,"
	    "  a.activist_on, a.candidate_on, a.admitted_on, a.member_id, a.note"
	    " FROM applicant a LEFT JOIN org o ON o.id = a.org_id"
	    " WHERE (?1 IS NULL OR a.org_id IN sub) AND (?2 IS NULL OR a.stage = ?2)"
	    " ORDER BY CASE a.stage WHEN 'applicant' THEN 0 WHEN 'activist' THEN 1"
	    "  WHEN 'candidate' THEN 2 WHEN 'admitted' THEN 3 ELSE 4 END, a.name, a.id",
	    -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	if (q && q->org_id && q->org_id[0])
		sqlite3_bind_text(st, 1, q->org_id, -1, SQLITE_STATIC);
	if (stage)
		sqlite3_bind_text(st, 2, stage, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_dev_row d = {
			.id = dom_col_text(st, 0), .name = dom_col_text(st, 1), .gender = dom_col_text(st, 2),
			.id_number = dom_col_text(st, 3), .stage = dom_col_text(st, 4),
			.org_id = dom_col_text(st, 5), .org_name = dom_col_text(st, 6),
			.applied_on = dom_col_text(st, 7), .activist_on = dom_col_text(st, 8),
			.candidate_on = dom_col_text(st, 9), .admitted_on = dom_col_text(st, 10),
			.member_id = dom_col_text(st, 11), .note = dom_col_text(st, 12),
		};
		char next[11];
		if (d.stage && strcmp(d.stage, "activist") == 0 && d.activist_on &&
		    validate_date(d.activist_on)) {
			date_add_years(d.activist_on, 1, next);
			d.next_on = next;
		}
		each(&d, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_applicant_get(struct replica *r, const char *id, Tongxin__Value *vals, char org_name[256],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int got;

	dom_error_clear(e);
	org_name[0] = '\0';
	memset(vals, 0, sizeof *vals * DOM_MAX_COLS);
	if (!id_valid(id) || (got = rep_get(r, TBL_APPLICANT, id, vals, NULL)) == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有这条记录 (not found)");
	if (got < 0)
		return dom_db_err(r, e);
	if (val_text(vals, ACOL("org_id")) && sqlite3_prepare_v2(replica_db(r),
	    "SELECT name FROM org WHERE id = ?1", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, vals[ACOL("org_id")].s, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && dom_col_text(st, 0))
			snprintf(org_name, 256, "%s", dom_col_text(st, 0));
		sqlite3_finalize(st);
	}
	return 0;
}

int
dom_dev_meetings(struct replica *r, const char *org_id, enum dom_dev_step step, int limit,
    void (*each)(const struct dom_dev_meeting *m, void *arg), void *arg, struct dom_error *e)
{
	const char *const *kinds;
	char deciding[ID_TEXT_LEN + 1];
	sqlite3_stmt *st;
	int rc, n = 0;

	dom_error_clear(e);
	if (!step_ok(step))
		return dom_err(e, DOM_INVALID, -1, "未知操作 unknown step");
	kinds = meeting_kinds_for(steps[step].t, steps[step].meeting_col);
	if (org_id == NULL || !id_valid(org_id))
		return dom_err(e, DOM_NOT_FOUND, -1, "未知组织 unknown organisation");
	if (deciding_org(r, org_id, deciding, e) != 0)
		return -1;
	if (sqlite3_prepare_v2(replica_db(r), "SELECT m.id, m.held_on, m.kind, m.topic, o.name"
	    " FROM meeting m LEFT JOIN org o ON o.id = m.org_id WHERE m.org_id = ?1"
	    " ORDER BY m.held_on DESC, m.id", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, deciding, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < limit) {
		struct dom_dev_meeting m = { .id = dom_col_text(st, 0), .held_on = dom_col_text(st, 1),
			.kind = dom_col_text(st, 2), .topic = dom_col_text(st, 3), .org_name = dom_col_text(st, 4) };
		bool ok = false;
		for (size_t i = 0; kinds && kinds[i] && m.kind; i++)
			ok = ok || strcmp(kinds[i], m.kind) == 0;
		if (ok) {
			each(&m, arg);
			n++;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

/* Date column d plus one year in SQL, 29 February on 28 February as date_add_years(). */
#define PLUS_YEAR(d)							\
	"CASE WHEN substr(" d ", 6, 5) = '02-29'"			\
	" THEN printf('%04d-02-28', CAST(substr(" d ", 1, 4) AS INTEGER) + 1)"	\
	" ELSE printf('%04d', CAST(substr(" d ", 1, 4) AS INTEGER) + 1) || substr(" d ", 5) END"

int
dom_dev_due(struct replica *r, const char *month,
    void (*each)(const struct dom_due_row *d, void *arg), void *arg, struct dom_error *e)
{
	char first[11];
	sqlite3_stmt *st;
	int rc;

	dom_error_clear(e);
	snprintf(first, sizeof first, "%.7s-01", month ? month : "");
	if (month == NULL || strlen(month) != 7 || !validate_date(first))
		return dom_err(e, DOM_INVALID, -1, "月份“%s”无效，应为 YYYY-MM (give a month such as "
		    "2026-11)", month ? month : "");
	if (sqlite3_prepare_v2(replica_db(r),
	    "WITH due(kind, id, name, org_name, since, due_on, extended) AS ("
	    " SELECT 0, a.id, a.name, o.name, a.activist_on, " PLUS_YEAR("a.activist_on") ", 0"
	    "  FROM applicant a LEFT JOIN org o ON o.id = a.org_id"
	    "  WHERE a.stage = 'activist' AND a.activist_on IS NOT NULL"
	    " UNION ALL"
	    " SELECT 1, m.id, m.name, o.name, m.join_date,"
	    "  coalesce(m.probation_until, " PLUS_YEAR("m.join_date") "),"
	    "  m.probation_until IS NOT NULL"
	    "  FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    "  WHERE m.category = 'probationary' AND m.full_date IS NULL AND m.left_reason IS NULL"
	    "  AND coalesce(m.standing, 'normal') = 'normal' AND m.join_date IS NOT NULL)"
	    " SELECT kind, due_on < ?1, id, name, org_name, since, due_on, extended FROM due"
	    " WHERE substr(due_on, 1, 7) = ?2 OR (kind = 1 AND due_on < ?1)"
	    " ORDER BY kind, due_on < ?1 DESC, due_on, name, id", -1, &st, NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, first, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, month, 7, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_due_row d = {
			.kind = sqlite3_column_int(st, 0) ? DOM_DUE_PROMOTE : DOM_DUE_CANDIDATE,
			.overdue = sqlite3_column_int(st, 1) != 0, .id = dom_col_text(st, 2),
			.name = dom_col_text(st, 3), .org_name = dom_col_text(st, 4),
			.since = dom_col_text(st, 5), .due_on = dom_col_text(st, 6),
			.extended = sqlite3_column_int(st, 7) != 0,
		};
		each(&d, arg);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_probation_get(struct replica *r, const char *member_id, struct dom_probation *p,
    struct dom_error *e)
{
	Tongxin__Value v[DOM_MAX_COLS];
	const char *s;
	int got;

	dom_error_clear(e);
	memset(p, 0, sizeof *p);
	memset(v, 0, sizeof v);
	if (member_id == NULL || !id_valid(member_id) ||
	    (got = rep_get(r, TBL_MEMBER, member_id, v, NULL)) == 0)
		return dom_err(e, DOM_NOT_FOUND, -1, "本副本中没有这名党员 (not found)");
	if (got < 0)
		return dom_db_err(r, e);
#define COPY(dst, col) snprintf(dst, sizeof dst, "%s", (s = val_text(v, MCOL(col))) ? s : "")
	COPY(p->category, "category");
	COPY(p->join_date, "join_date");
	COPY(p->full_date, "full_date");
	COPY(p->org_id, "org_id");
	COPY(p->ends_on, "probation_until");
#undef COPY
	p->extended = p->ends_on[0] != '\0';
	if (!p->extended && validate_date(p->join_date))
		date_add_years(p->join_date, 1, p->ends_on);
	p->probationary = strcmp(p->category, "probationary") == 0 && p->full_date[0] == '\0' &&
	    val_text(v, MCOL("left_reason")) == NULL;
	for (int c = 0; c < DOM_MAX_COLS; c++)
		value_clear(&v[c]);
	return 0;
}
