/* dom_assess.c - assessment, star ratings and member points on the replica; see dom_assess.h. */
#include "dom_assess.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "points.h"
#include "text.h"
#include "validate.h"
#include "value.h"

#define ICOL(name) schema_col_index(&schema_tables[TBL_ASSESSMENT_INDICATOR], name)
#define SCOL(name) schema_col_index(&schema_tables[TBL_ASSESSMENT_SCORE], name)
#define RCOL(name) schema_col_index(&schema_tables[TBL_STAR_RATING], name)

static int
refuse(struct replica *r)
{
	rep_rollback(r);
	return -1;
}

static int
commit(struct replica *r, struct dom_error *e)
{
	char err[512] = "";

	if (rep_commit(r, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}

/* Parse text for column name of table t into v[col] (borrowed) and mark it set. */
static int
put(int t, const char *name, const char *text, Tongxin__Value *v, int *set, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	int c = schema_col_index(td, name);

	if (dom_given(text) == NULL)
		return 0;
	set[c] = 1;
	if (dom_value_parse(&td->cols[c], text, &v[c], e) != 0) {
		e->col = c;
		return -1;
	}
	return 0;
}

/* A year "YYYY" into *y: 0, or -1 with e. */
static int
year_of(const char *text, int col, int64_t *y, struct dom_error *e)
{
	if (dom_given(text) == NULL)
		return dom_err(e, DOM_MISSING, col, "缺少必填项 年度 (--year)");
	if (strlen(text) != 4 || strspn(text, "0123456789") != 4 || atoi(text) < 2000 ||
	    atoi(text) > 2100)
		return dom_err(e, DOM_INVALID, col, "年度“%s”无效 (YYYY, 2000..2100)", text_show(text));
	*y = atoi(text);
	return 0;
}

/* Prepare sql and bind text parameters (NULL: SQL NULL); NULL statement after dom_db_err. */
static sqlite3_stmt *
prep(struct replica *r, const char *sql, int n, const char *const *p, struct dom_error *e)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(replica_db(r), sql, -1, &st, NULL) != SQLITE_OK) {
		dom_db_err(r, e);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		if (p[i])
			sqlite3_bind_text(st, i + 1, p[i], -1, SQLITE_TRANSIENT);
	return st;
}

int
dom_assess_points_parse(const char *text, int64_t *tenths, struct dom_error *e)
{
	const char *p = text;
	int64_t whole = 0;
	int digits = 0, frac = 0;

	if (dom_given(text) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("points10"), "缺少必填项 得分 (--points)");
	while (isdigit((unsigned char)*p) && digits < 4) {
		whole = whole * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.' && isdigit((unsigned char)p[1]) && p[2] == '\0') {
		frac = p[1] - '0';
		p += 2;
	}
	if (digits == 0 || *p != '\0')
		return dom_err(e, DOM_INVALID, SCOL("points10"), "得分“%s”无效：请写分数，至多一位小数，"
		    "如 8 或 8.5 (points, at most one decimal)", text_show(text));
	*tenths = whole * 10 + frac;
	return 0;
}

/* This device's own organisation: its id and kind into the buffers. 0, or -1 with e. */
static int
own_org(struct replica *r, char id[ID_TEXT_LEN + 1], char kind[32], struct dom_error *e)
{
	sqlite3_stmt *st = prep(r, "SELECT id, kind FROM org WHERE code = ?1", 1,
	    (const char *[]){ replica_info(r)->org_code }, e);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
		snprintf(kind, 32, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_INVALID, -1, "本副本中还没有本组织的记录，请先同步 this device's "
		    "organisation is not in the replica yet: run tongxin sync");
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

/* The sum of the year's points for target, without indicator self (may be NULL). */
static int
target_total(struct replica *r, int64_t year, const char *target, const char *self,
    int64_t *total, struct dom_error *e)
{
	char y[8];
	sqlite3_stmt *st;
	int rc;

	snprintf(y, sizeof y, "%lld", (long long)year);
	if ((st = prep(r, "SELECT coalesce(sum(points), 0) FROM assessment_indicator"
	    " WHERE year = CAST(?1 AS INTEGER) AND target = ?2 AND id IS NOT ?3", 3,
	    (const char *[]){ y, target, self }, e)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	*total = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

/* The total of target with points more must stay within ASSESS_FULL. */
static int
total_fits(struct replica *r, int64_t year, const char *target, const char *self,
    int64_t points, struct dom_error *e)
{
	int64_t total;

	if (target_total(r, year, target, self, &total, e) != 0)
		return -1;
	if (total + points > ASSESS_FULL)
		return dom_err(e, DOM_INVALID, ICOL("points"), "%lld年%s的考核指标合计将为 %lld 分，"
		    "超过 %d 分 the year's indicators would add up to more than %d",
		    (long long)year, strcmp(target, "branch") == 0 ? "党支部" : "社区党组织",
		    (long long)(total + points), ASSESS_FULL, ASSESS_FULL);
	return 0;
}

/* The indicator (year, target, code) into id, its points and whether its setter is held here. */
static int
indicator_find(struct replica *r, int64_t year, const char *target, const char *code,
    char id[ID_TEXT_LEN + 1], int64_t *points, bool *own, struct dom_error *e)
{
	char y[8];
	sqlite3_stmt *st;
	int rc;

	snprintf(y, sizeof y, "%lld", (long long)year);
	if ((st = prep(r, "SELECT i.id, i.points, o.id IS NOT NULL FROM assessment_indicator i"
	    " LEFT JOIN org o ON o.id = i.org_id WHERE i.year = CAST(?1 AS INTEGER)"
	    " AND i.target = ?2 AND i.code = ?3 ORDER BY i.id LIMIT 1", 3,
	    (const char *[]){ y, target, code }, e)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
		if (points)
			*points = sqlite3_column_int64(st, 1);
		if (own)
			*own = sqlite3_column_int(st, 2) != 0;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return dom_err(e, DOM_NOT_FOUND, SCOL("indicator_id"), "本副本中没有%lld年%s的考核指标“%s” "
		    "no such indicator (sync to receive the street's)", (long long)year,
		    strcmp(target, "branch") == 0 ? "党支部" : "社区党组织", text_show(code));
	return rc == SQLITE_ROW ? 0 : dom_db_err(r, e);
}

int
dom_assess_indicator_add(struct replica *r, const char *operator_name,
    const struct dom_indicator_req *q, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const int t = TBL_ASSESSMENT_INDICATOR;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 };
	char org[ID_TEXT_LEN + 1], kind[32], id[ID_TEXT_LEN + 1], err[512] = "";
	int64_t year;
	struct dom_error e2;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	if (year_of(q->year, ICOL("year"), &year, e) != 0)
		return -1;
	value_set_int(&v[ICOL("year")], year);
	set[ICOL("year")] = 1;
	if (put(t, "target", q->target, v, set, e) || put(t, "code", q->code, v, set, e) ||
	    put(t, "name", q->name, v, set, e) || put(t, "points", q->points, v, set, e) ||
	    put(t, "evidence", q->evidence, v, set, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (own_org(r, org, kind, e) != 0)
		return refuse(r);
	if (strcmp(kind, "street") != 0 && strcmp(kind, "district") != 0) {
		dom_err(e, DOM_INVALID, ICOL("org_id"), "考核指标由街道党工委制定，本设备只能查看 "
		    "indicators are set by the street; this device only reads them");
		return refuse(r);
	}
	value_set_text(&v[ICOL("org_id")], org);
	set[ICOL("org_id")] = 1;
	if (dom_check_values(t, v, set, true, e) != 0)
		return refuse(r);
	if (indicator_find(r, year, v[ICOL("target")].s, q->code, id, NULL, NULL, &e2) == 0) {
		dom_err(e, DOM_INVALID, ICOL("code"), "%lld年已有编号为“%s”的考核指标 the code is "
		    "in use for the year", (long long)year, text_show(q->code));
		return refuse(r);
	}
	if (e2.kind != DOM_NOT_FOUND) {
		*e = e2;
		return refuse(r);
	}
	if (total_fits(r, year, v[ICOL("target")].s, NULL, v[ICOL("points")].i, e) != 0)
		return refuse(r);
	if (rep_insert(r, t, v, id, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		return refuse(r);
	}
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

/*
 * Update the set[] columns of row id of table t to v inside the open
 * transaction, having checked the row as it would be (every rule of
 * dom_check_values on the merged row). 0, or -1 with e.
 */
static int
update_checked(struct replica *r, int t, const char *id, const Tongxin__Value *v,
    const int *set, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	Tongxin__Value cur[DOM_MAX_COLS], merged[DOM_MAX_COLS], setv[DOM_MAX_COLS];
	uint32_t cols[DOM_MAX_COLS];
	int all[DOM_MAX_COLS], rc = -1;
	size_t n = 0;
	char err[512] = "";

	memset(cur, 0, sizeof cur);
	if (rep_get(r, t, id, cur, NULL) != 1)
		return dom_db_err(r, e);
	for (int c = 0; c < td->ncols; c++) {
		merged[c] = set[c] ? v[c] : cur[c];
		all[c] = merged[c].kind_case != TONGXIN__VALUE__KIND__NOT_SET;
		if (set[c]) {
			cols[n] = (uint32_t)c;
			setv[n++] = v[c];
		}
	}
	if (dom_check_values(t, merged, all, true, e) != 0)
		goto out;
	if (rep_update(r, t, id, cols, setv, n, err, sizeof err) != 0) {
		dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
		goto out;
	}
	rc = 0;
out:
	for (int c = 0; c < td->ncols; c++)
		value_clear(&cur[c]);
	return rc;
}

int
dom_assess_indicator_edit(struct replica *r, const char *operator_name,
    const struct dom_indicator_req *q, struct dom_error *e)
{
	const int t = TBL_ASSESSMENT_INDICATOR;
	Tongxin__Value v[DOM_MAX_COLS], tv;
	int set[DOM_MAX_COLS] = { 0 };
	char id[ID_TEXT_LEN + 1];
	int64_t year, old;
	bool own;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	memset(&tv, 0, sizeof tv);
	if (year_of(q->year, ICOL("year"), &year, e) != 0)
		return -1;
	if (dom_given(q->target) == NULL)
		return dom_err(e, DOM_MISSING, ICOL("target"), "缺少必填项 考核对象 (--target)");
	if (dom_given(q->code) == NULL)
		return dom_err(e, DOM_MISSING, ICOL("code"), "缺少必填项 指标编号 (--code)");
	if (dom_value_parse(&schema_tables[t].cols[ICOL("target")], q->target, &tv, e) != 0) {
		e->col = ICOL("target");
		return -1;
	}
	if (put(t, "name", q->name, v, set, e) || put(t, "points", q->points, v, set, e) ||
	    put(t, "evidence", q->evidence, v, set, e))
		return -1;
	if (!set[ICOL("name")] && !set[ICOL("points")] && !set[ICOL("evidence")])
		return dom_err(e, DOM_INVALID, -1, "没有要修改的项目 nothing to change");
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (indicator_find(r, year, tv.s, q->code, id, &old, &own, e) != 0)
		return refuse(r);
	if (!own) {
		dom_err(e, DOM_INVALID, ICOL("org_id"), "考核指标由街道党工委制定，本设备只能查看 "
		    "indicators are set by the street; this device only reads them");
		return refuse(r);
	}
	if (set[ICOL("points")] && total_fits(r, year, tv.s, id, v[ICOL("points")].i, e) != 0)
		return refuse(r);
	if (update_checked(r, t, id, v, set, e) != 0)
		return refuse(r);
	return commit(r, e);
}

int
dom_assess_indicator_list(struct replica *r, const char *year,
    void (*each)(const struct dom_indicator_row *row, void *arg), void *arg,
    struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	int64_t y = 0;
	int rc;

	dom_error_clear(e);
	if (year && year_of(year, ICOL("year"), &y, e) != 0)
		return -1;
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if ((st = prep(r, "SELECT i.id, i.target, i.code, i.name, i.evidence, o.name, i.year,"
	    " i.points, o.id IS NOT NULL FROM assessment_indicator i LEFT JOIN org o"
	    " ON o.id = i.org_id WHERE ?1 IS NULL OR i.year = CAST(?1 AS INTEGER)"
	    " ORDER BY i.year, i.target = 'branch', i.code, i.id", 1,
	    (const char *[]){ year }, e)) == NULL) {
		dom_read_end(r, &snap);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_indicator_row i = {
			.id = dom_col_text(st, 0), .target = dom_col_text(st, 1), .code = dom_col_text(st, 2),
			.name = dom_col_text(st, 3), .evidence = dom_col_text(st, 4),
			.org_name = dom_col_text(st, 5), .year = sqlite3_column_int64(st, 6),
			.points = sqlite3_column_int64(st, 7), .own = sqlite3_column_int(st, 8) != 0,
		};
		each(&i, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_assess_indicator_totals(struct replica *r, const char *year,
    void (*each)(const struct dom_indicator_total *t, void *arg), void *arg,
    struct dom_error *e)
{
	static const char *const targets[] = { "community", "branch" };
	int64_t y;

	dom_error_clear(e);
	if (year_of(year, ICOL("year"), &y, e) != 0)
		return -1;
	for (size_t k = 0; k < 2; k++) {
		sqlite3_stmt *st = prep(r, "SELECT count(*), coalesce(sum(points), 0)"
		    " FROM assessment_indicator WHERE year = CAST(?1 AS INTEGER) AND target = ?2", 2,
		    (const char *[]){ year, targets[k] }, e);
		struct dom_indicator_total t = { .target = targets[k] };
		int rc;

		if (st == NULL)
			return -1;
		rc = sqlite3_step(st);
		t.indicators = sqlite3_column_int64(st, 0);
		t.points = sqlite3_column_int64(st, 1);
		sqlite3_finalize(st);
		if (rc != SQLITE_ROW)
			return dom_db_err(r, e);
		each(&t, arg);
	}
	return 0;
}

/* The organisation of code: id, kind; held here, not dissolved. */
static int
org_by_code(struct replica *r, const char *code, int col, char id[ID_TEXT_LEN + 1],
    char kind[32], struct dom_error *e)
{
	sqlite3_stmt *st;
	int rc, res = 0;

	if (dom_given(code) == NULL)
		return dom_err(e, DOM_MISSING, col, "缺少必填项 组织编码");
	if ((st = prep(r, "SELECT id, kind, coalesce(dissolved, 0) FROM org WHERE code = ?1", 1,
	    (const char *[]){ code }, e)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		res = dom_err(e, DOM_NOT_FOUND, col, "未知组织 unknown organisation code \"%s\"",
		    text_show(code));
	else if (rc != SQLITE_ROW)
		res = dom_db_err(r, e);
	else if (sqlite3_column_int(st, 2) != 0)
		res = dom_err(e, DOM_INVALID, col, "该组织已撤销 the organisation is dissolved");
	else {
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
		snprintf(kind, 32, "%s", dom_col_text(st, 1) ? dom_col_text(st, 1) : "");
	}
	sqlite3_finalize(st);
	return res;
}

/* The live row of table t whose key column holds key into id: 1, 0 none, -1 with e. */
static int
by_key(struct replica *r, const char *sql, const char *key, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	sqlite3_stmt *st = prep(r, sql, 1, (const char *[]){ key }, e);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_assess_score(struct replica *r, const char *operator_name, const struct dom_score_req *q,
    bool *edited, char id_out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	const int t = TBL_ASSESSMENT_SCORE;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], kind[32], self[ID_TEXT_LEN + 1], selfkind[32];
	char ind[ID_TEXT_LEN + 1], key[2 * ID_TEXT_LEN + 2], id[ID_TEXT_LEN + 1], today[11];
	char err[512] = "";
	int64_t year, tenths, max;
	const char *target;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	*edited = false;
	if (year_of(q->year, -1, &year, e) != 0 ||
	    dom_assess_points_parse(q->points, &tenths, e) != 0)
		return -1;
	if (dom_given(q->indicator) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("indicator_id"), "缺少必填项 考核指标 (--indicator)");
	if (dom_given(q->scorer) == NULL)
		return dom_err(e, DOM_MISSING, SCOL("scorer"), "缺少必填项 评分人 (--scorer)");
	today_str(today);
	if (put(t, "scorer", q->scorer, v, set, e) ||
	    put(t, "scored_on", dom_given(q->date) ? q->date : today, v, set, e) ||
	    put(t, "evidence", q->evidence, v, set, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (org_by_code(r, q->org_code, SCOL("org_id"), org, kind, e) != 0 ||
	    own_org(r, self, selfkind, e) != 0)
		return refuse(r);
	target = strcmp(kind, "community") == 0 ? "community" :
	    strcmp(kind, "branch") == 0 ? "branch" : NULL;
	if (target == NULL) {
		dom_err(e, DOM_INVALID, SCOL("org_id"), "只对社区党委和党支部评分 only communities and "
		    "branches are scored");
		return refuse(r);
	}
	if (strcmp(org, self) == 0) {
		dom_err(e, DOM_INVALID, SCOL("org_id"), "本组织不能为自己评分 an organisation does "
		    "not score itself");
		return refuse(r);
	}
	if (indicator_find(r, year, target, q->indicator, ind, &max, NULL, e) != 0)
		return refuse(r);
	if (tenths > max * 10) {
		dom_err(e, DOM_INVALID, SCOL("points10"), "得分 %s 超过该指标的分值 %lld the score is "
		    "above the indicator's %lld points", text_show(q->points), (long long)max,
		    (long long)max);
		return refuse(r);
	}
	snprintf(key, sizeof key, "%s/%s", org, ind);
	value_set_int(&v[SCOL("points10")], tenths);
	set[SCOL("points10")] = 1;
	if ((rc = by_key(r, "SELECT id FROM assessment_score WHERE score_key = ?1", key, id, e)) < 0)
		return refuse(r);
	if (rc > 0) {
		if (update_checked(r, t, id, v, set, e) != 0)
			return refuse(r);
		*edited = true;
	} else {
		value_set_text(&v[SCOL("org_id")], org);
		value_set_text(&v[SCOL("indicator_id")], ind);
		value_set_text(&v[SCOL("score_key")], key);
		set[SCOL("org_id")] = set[SCOL("indicator_id")] = set[SCOL("score_key")] = 1;
		if (dom_check_values(t, v, set, true, e) != 0)
			return refuse(r);
		if (rep_insert(r, t, v, id, err, sizeof err) != 0) {
			dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
			return refuse(r);
		}
	}
	if (commit(r, e) != 0)
		return -1;
	if (id_out)
		snprintf(id_out, ID_TEXT_LEN + 1, "%s", id);
	return 0;
}

int
dom_assess_stars(struct replica *r, const char *operator_name, const struct dom_stars_req *q,
    bool *edited, struct dom_error *e)
{
	const int t = TBL_STAR_RATING;
	Tongxin__Value v[DOM_MAX_COLS];
	int set[DOM_MAX_COLS] = { 0 }, rc;
	char org[ID_TEXT_LEN + 1], kind[32], key[ID_TEXT_LEN + 8], id[ID_TEXT_LEN + 1];
	char today[11], err[512] = "";
	int64_t year;

	dom_error_clear(e);
	memset(v, 0, sizeof v);
	*edited = false;
	if (year_of(q->year, RCOL("year"), &year, e) != 0)
		return -1;
	if (dom_given(q->stars) == NULL)
		return dom_err(e, DOM_MISSING, RCOL("stars"), "缺少必填项 星级 (--stars)");
	today_str(today);
	if (put(t, "stars", q->stars, v, set, e) || put(t, "rated_by", q->by, v, set, e) ||
	    put(t, "rated_on", dom_given(q->date) ? q->date : today, v, set, e) ||
	    put(t, "note", q->note, v, set, e))
		return -1;
	if (rep_begin(r, operator_name) != 0)
		return dom_db_err(r, e);
	if (org_by_code(r, q->org_code, RCOL("org_id"), org, kind, e) != 0)
		return refuse(r);
	if (strcmp(kind, "branch") != 0) {
		dom_err(e, DOM_INVALID, RCOL("org_id"), "评星定级只评党支部 only branches are rated");
		return refuse(r);
	}
	snprintf(key, sizeof key, "%s/%04lld", org, (long long)year);
	if ((rc = by_key(r, "SELECT id FROM star_rating WHERE rating_key = ?1", key, id, e)) < 0)
		return refuse(r);
	if (rc > 0) {
		if (update_checked(r, t, id, v, set, e) != 0)
			return refuse(r);
		*edited = true;
	} else {
		value_set_text(&v[RCOL("org_id")], org);
		value_set_int(&v[RCOL("year")], year);
		value_set_text(&v[RCOL("rating_key")], key);
		set[RCOL("org_id")] = set[RCOL("year")] = set[RCOL("rating_key")] = 1;
		if (dom_check_values(t, v, set, true, e) != 0)
			return refuse(r);
		if (rep_insert(r, t, v, id, err, sizeof err) != 0) {
			dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
			return refuse(r);
		}
	}
	return commit(r, e);
}

int
dom_assess_report(struct replica *r, const char *year, const char *target,
    void (*each)(const struct dom_assess_row *row, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	int64_t y;
	int rc;

	dom_error_clear(e);
	if (year_of(year, -1, &y, e) != 0)
		return -1;
	if (target && strcmp(target, "community") != 0 && strcmp(target, "branch") != 0)
		return dom_err(e, DOM_INVALID, -1, "考核对象“%s”无效：community 社区 或 branch 支部",
		    text_show(target));
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	if ((st = prep(r,
	    "WITH o AS (SELECT id, code, name, kind AS target FROM org"
	    "  WHERE kind IN ('community', 'branch') AND coalesce(dissolved, 0) = 0"
	    "  AND (?2 IS NULL OR kind = ?2)),"
	    " s AS (SELECT x.org_id, count(*) AS n, sum(x.points10) AS p FROM assessment_score x"
	    "  JOIN assessment_indicator i ON i.id = x.indicator_id"
	    "  WHERE i.year = CAST(?1 AS INTEGER) GROUP BY x.org_id)"
	    " SELECT o.id, o.code, o.name, o.target,"
	    "  (SELECT count(*) FROM assessment_indicator i WHERE i.year = CAST(?1 AS INTEGER)"
	    "   AND i.target = o.target),"
	    "  coalesce(s.n, 0), coalesce(s.p, 0),"
	    "  coalesce((SELECT stars FROM star_rating g WHERE g.org_id = o.id"
	    "   AND g.year = CAST(?1 AS INTEGER)), 0)"
	    " FROM o LEFT JOIN s ON s.org_id = o.id ORDER BY o.target = 'branch', o.code", 2,
	    (const char *[]){ year, target }, e)) == NULL) {
		dom_read_end(r, &snap);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_assess_row a = {
			.org_id = dom_col_text(st, 0), .code = dom_col_text(st, 1), .name = dom_col_text(st, 2),
			.target = dom_col_text(st, 3), .indicators = sqlite3_column_int64(st, 4),
			.scored = sqlite3_column_int64(st, 5), .total10 = sqlite3_column_int64(st, 6),
			.stars = sqlite3_column_int64(st, 7),
		};
		a.complete = a.indicators > 0 && a.scored >= a.indicators;
		each(&a, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}

int
dom_assess_points(struct replica *r, const char *year, const char *branch,
    void (*each)(const struct dom_points_row *row, void *arg), void *arg, struct dom_error *e)
{
	struct dom_snapshot snap;
	sqlite3_stmt *st;
	char from[11], to[11], org[ID_TEXT_LEN + 1] = "", kind[32];
	int64_t y;
	int rc;

	dom_error_clear(e);
	if (year_of(year, -1, &y, e) != 0)
		return -1;
	if (dom_given(branch) && org_by_code(r, branch, -1, org, kind, e) != 0)
		return -1;
	snprintf(from, sizeof from, "%s-01-01", year);
	snprintf(to, sizeof to, "%s-12-31", year);
	if (dom_read_begin(r, &snap, e) != 0)
		return -1;
	/*
	 * Attendance: present at a meeting of the year. Volunteering: the
	 * member's hours and his in-service reports' hours at activities of the
	 * year. Dues: months of the year paid in or before the month.
	 */
	if ((st = prep(r,
	    "SELECT m.id, m.name, o.code, o.name,"
	    " (SELECT count(*) FROM attendance a JOIN meeting g ON g.id = a.meeting_id"
	    "   WHERE a.member_id = m.id AND a.status = 'present' AND g.held_on BETWEEN ?1 AND ?2),"
	    " (SELECT coalesce(sum(h.minutes), 0) FROM volunteer_hours h"
	    "   LEFT JOIN volunteer_activity v ON v.id = h.activity_id"
	    "   WHERE (h.member_id = m.id OR h.report_id IN"
	    "    (SELECT s.id FROM service_report s WHERE s.member_id = m.id))"
	    "   AND coalesce(v.held_on, h.held_on) BETWEEN ?1 AND ?2),"
	    " (SELECT count(DISTINCT p.month) FROM dues_payment p WHERE p.member_id = m.id"
	    "   AND p.month BETWEEN substr(?1, 1, 7) AND substr(?2, 1, 7)"
	    "   AND substr(p.paid_on, 1, 7) <= p.month)"
	    " FROM member m LEFT JOIN org o ON o.id = m.org_id"
	    " WHERE coalesce(m.standing, 'normal') = 'normal' AND (?3 IS NULL OR m.org_id = ?3)"
	    " ORDER BY o.code, m.name, m.id", 3,
	    (const char *[]){ from, to, org[0] ? org : NULL }, e)) == NULL) {
		dom_read_end(r, &snap);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct dom_points_row p = {
			.member_id = dom_col_text(st, 0), .name = dom_col_text(st, 1),
			.org_code = dom_col_text(st, 2), .org_name = dom_col_text(st, 3),
			.present = sqlite3_column_int64(st, 4), .minutes = sqlite3_column_int64(st, 5),
			.dues_months = sqlite3_column_int64(st, 6),
		};
		p.total10 = points_total10(p.present, p.minutes, p.dues_months);
		each(&p, arg);
	}
	sqlite3_finalize(st);
	dom_read_end(r, &snap);
	return rc == SQLITE_DONE ? 0 : dom_db_err(r, e);
}
