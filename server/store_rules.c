/*
 * store_rules.c - the domain rules that need other rows, checked by the
 * server on every write (push, conflict resolution, take-office), after
 * the references have been found in the device's scope (check_refs):
 *
 *   - the organisation tree: an organisation's kind must be one its
 *     parent's kind allows (validate.h org_kind_allowed), and re-kinding
 *     one must leave its children and members in place;
 *   - members and applicants belong to a branch or a group;
 *   - each step of a member's life is decided by the right kind of meeting
 *     (validate.h meeting_kinds_for: admission and full membership by a
 *     支部党员大会).
 *
 * The client checks the same at entry with the same tables; the server
 * cannot trust it. A refusal names only kinds, never a row outside the
 * device's scope.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "store_internal.h"
#include "validate.h"
#include "value.h"

enum {
	Q_ORG_KIND,          /* kind of a live org */
	Q_MEETING_KIND,      /* kind of a live meeting */
	Q_CHILD_KINDS,       /* kinds of an org's live children */
	Q_HAS_MEMBERS,       /* whether members or applicants belong to an org */
	Q_REPORT,            /* a service report's orgs and scopes */
	Q_ORG_BY_CODE,       /* a live, undissolved org by code */
	Q_COUNT
};

_Static_assert(Q_COUNT <= sizeof ((struct store *)0)->rules / sizeof(sqlite3_stmt *),
    "store.rules holds every statement");

static const char *const rule_sql[Q_COUNT] = {
	[Q_ORG_KIND] = "SELECT kind FROM org WHERE id = ?1 AND _deleted = 0",
	[Q_MEETING_KIND] = "SELECT kind FROM meeting WHERE id = ?1 AND _deleted = 0",
	[Q_CHILD_KINDS] = "SELECT DISTINCT kind FROM org WHERE parent_id = ?1 AND _deleted = 0",
	[Q_HAS_MEMBERS] = "SELECT 1 FROM member WHERE org_id = ?1 AND _deleted = 0"
	    " UNION ALL SELECT 1 FROM applicant WHERE org_id = ?1 AND _deleted = 0 LIMIT 1",
	[Q_REPORT] = "SELECT org_id, home_org_id, _scope, coalesce(_scope2, '') FROM service_report"
	    " WHERE id = ?1 AND _deleted = 0",
	[Q_ORG_BY_CODE] = "SELECT id FROM org WHERE code = ?1 AND _deleted = 0"
	    " AND coalesce(dissolved, 0) = 0",
};

/* Statement q, prepared on first use (store_close finalises every statement). */
static sqlite3_stmt *
rule_stmt(struct store *s, int q)
{
	if (s->rules[q] == NULL)
		s->rules[q] = db_prepare(s->db, rule_sql[q]);
	return s->rules[q];
}

/*
 * The first text column of query q for id, into out. Returns 1 found, 0 not
 * found, -1 on error.
 */
static int
lookup(struct store *s, int q, const char *id, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	if (q == Q_ORG_KIND) {
		/* Asked for every member and applicant written: from memory (org_lookup). */
		const struct org_entry *o;
		if ((rc = org_lookup(s, id, &o)) <= 0 || o->deleted)
			return rc < 0 ? -1 : 0;
		if (out != NULL)
			snprintf(out, cap, "%s", o->kind);
		return 1;
	}
	if ((st = rule_stmt(s, q)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out != NULL)
		snprintf(out, cap, "%s", sqlite3_column_type(st, 0) == SQLITE_TEXT ?
		    (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Column index of name in table t, found by name once per (table, name):
 * the rules ask for the same few columns for every row written. name must
 * be a string that lives for the program (a literal, a schema name).
 */
static int
col_of(int t, const char *name)
{
	static struct { int t; const char *name; int c; } memo[48];
	static size_t n;
	int c;

	for (size_t i = 0; i < n; i++)
		if (memo[i].name == name && memo[i].t == t)
			return memo[i].c;
	c = schema_col_index(&schema_tables[t], name);
	if (n < sizeof memo / sizeof memo[0]) {
		memo[n].t = t;
		memo[n].name = name;
		memo[n].c = c;
		n++;
	}
	return c;
}

/*
 * Bit c set when column c of table t names a meeting that decides a step
 * (validate.h meeting_kinds_for), computed once per table.
 */
static uint64_t
meeting_cols(int t)
{
	static uint64_t mask[TBL_COUNT];
	static bool done[TBL_COUNT];

	if (!done[t]) {
		const struct table_def *td = &schema_tables[t];
		for (int c = 0; c < td->ncols && c < 64; c++)
			if (meeting_kinds_for(t, td->cols[c].name) != NULL)
				mask[t] |= 1ull << c;
		done[t] = true;
	}
	return mask[t];
}

static const char *
text_of(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : NULL;
}

/* Whether column name of table t is among the change's columns (all of them on insert). */
static bool
touched(int t, const char *name, const uint32_t *cols, size_t n)
{
	int c = col_of(t, name);

	if (cols == NULL)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((int)cols[i] == c)
			return true;
	return false;
}

static enum ch_result
refuse(struct txn_verdict *vd)
{
	snprintf(vd->kind, sizeof vd->kind, "invalid");
	return CH_REJECTED;
}

/* An organisation's kind under its parent, and its children and members under its kind. */
static enum ch_result
org_rules(struct store *s, const char *id, const Tongxin__Value *v, bool is_insert,
    const uint32_t *cols, size_t n, struct txn_verdict *vd)
{
	const char *kind = text_of(&v[col_of(TBL_ORG, "kind")]);
	const char *parent = text_of(&v[col_of(TBL_ORG, "parent_id")]);
	char pkind[40];
	int rc;

	if (kind == NULL || !touched(TBL_ORG, "kind", cols, n))
		return CH_APPLIED;
	if (parent != NULL) {
		if ((rc = lookup(s, Q_ORG_KIND, parent, pkind, sizeof pkind)) < 0)
			return CH_ERROR;
		if (rc == 1 && !org_kind_allowed(pkind, kind)) {
			reason_set(&vd->why, R_ORG_KIND_UNDER, "org.kind", kind, pkind);
			return refuse(vd);
		}
	}
	if (is_insert)
		return CH_APPLIED;
	{
		sqlite3_stmt *st = rule_stmt(s, Q_CHILD_KINDS);
		char bad[40] = "";
		if (st == NULL)
			return CH_ERROR;
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *ck = (const char *)sqlite3_column_text(st, 0);
			if (ck != NULL && !org_kind_allowed(kind, ck)) {
				snprintf(bad, sizeof bad, "%s", ck);
				break;
			}
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return CH_ERROR;
		if (bad[0] != '\0') {
			reason_set(&vd->why, R_ORG_KIND_CHILD, "org.kind", kind, bad);
			return refuse(vd);
		}
	}
	if (!org_kind_holds_members(kind)) {
		if ((rc = lookup(s, Q_HAS_MEMBERS, id, NULL, 0)) < 0)
			return CH_ERROR;
		if (rc == 1) {
			reason_set(&vd->why, R_ORG_KIND_MEMBERS, "org.kind", kind);
			return refuse(vd);
		}
	}
	return CH_APPLIED;
}

/* A member's or an applicant's organisation is a branch or a group. */
static enum ch_result
person_org_rule(struct store *s, int t, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const char *org = text_of(&v[col_of(t, "org_id")]);
	char kind[40];
	int rc;

	if (org == NULL || !touched(t, "org_id", cols, n))
		return CH_APPLIED;
	if ((rc = lookup(s, Q_ORG_KIND, org, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc == 1 && !org_kind_holds_members(kind)) {
		reason_set(&vd->why, R_MEMBER_ORG_KIND, "org.kind", kind);
		return refuse(vd);
	}
	return CH_APPLIED;
}

/* Each meeting a step names is of a kind that may decide it. */
static enum ch_result
meeting_rules(struct store *s, int t, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[t];
	char ca[REASON_COL_MAX], kind[40];

	uint64_t mask = meeting_cols(t);

	for (int c = 0; mask != 0 && c < td->ncols && c < 64; c++) {
		const char *const *kinds;
		const char *id = text_of(&v[c]);
		bool ok = false;
		int rc;
		if (!(mask & (1ull << c)) || id == NULL || !touched(t, td->cols[c].name, cols, n))
			continue;
		kinds = meeting_kinds_for(t, td->cols[c].name);
		if ((rc = lookup(s, Q_MEETING_KIND, id, kind, sizeof kind)) < 0)
			return CH_ERROR;
		if (rc == 0)
			continue;   /* check_refs has said what a missing meeting means */
		for (const char *const *k = kinds; *k != NULL && !ok; k++)
			ok = strcmp(*k, kind) == 0;
		if (!ok) {
			reason_set(&vd->why, R_MEETING_KIND, reason_col(ca, td->name, td->cols[c].name),
			    "meeting.kind", kinds[0]);
			return refuse(vd);
		}
	}
	return CH_APPLIED;
}

/* 双报到: a member reports to a community. */
static enum ch_result
report_rule(struct store *s, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const char *org = text_of(&v[col_of(TBL_SERVICE_REPORT, "org_id")]);
	char kind[40];
	int rc;

	if (org == NULL || !touched(TBL_SERVICE_REPORT, "org_id", cols, n))
		return CH_APPLIED;
	if ((rc = lookup(s, Q_ORG_KIND, org, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc == 1 && strcmp(kind, "community") != 0) {
		reason_set(&vd->why, R_NOT_COMMUNITY, "org.kind", kind);
		return refuse(vd);
	}
	return CH_APPLIED;
}

/*
 * A service record belongs to a report the writing device sees (as the
 * member's office or as the community), and carries that report's two
 * organisations: a community cannot show its records to a third office.
 */
static enum ch_result
service_rule(struct store *s, const struct store_actor *who, const Tongxin__Value *v,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[TBL_SERVICE_RECORD];
	const char *report = text_of(&v[col_of(TBL_SERVICE_RECORD, "report_id")]);
	const char *org = text_of(&v[col_of(TBL_SERVICE_RECORD, "org_id")]);
	const char *home = text_of(&v[col_of(TBL_SERVICE_RECORD, "home_org_id")]);
	sqlite3_stmt *st = rule_stmt(s, Q_REPORT);
	enum ch_result res = CH_APPLIED;
	int rc;

	if (report == NULL || st == NULL)
		return st == NULL ? CH_ERROR : CH_APPLIED;
	sqlite3_bind_text(st, 1, report, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *rorg = (const char *)sqlite3_column_text(st, 0);
		const char *rhome = (const char *)sqlite3_column_text(st, 1);
		const char *sc = (const char *)sqlite3_column_text(st, 2);
		const char *sc2 = (const char *)sqlite3_column_text(st, 3);
		if (!in_scope(sc, who->scope) && !in_scope(sc2, who->scope))
			res = refuse_unseen(vd, td, "report_id", report);
		else if (org == NULL || rorg == NULL || strcmp(org, rorg) != 0) {
			reason_set(&vd->why, R_REPORT_MISMATCH, "service_record.org_id");
			res = refuse(vd);
		} else if (home == NULL || rhome == NULL || strcmp(home, rhome) != 0) {
			reason_set(&vd->why, R_REPORT_MISMATCH, "service_record.home_org_id");
			res = refuse(vd);
		}
	} else if (rc == SQLITE_DONE) {
		res = refuse_unseen(vd, td, "report_id", report);
	} else {
		res = CH_ERROR;
	}
	sqlite3_reset(st);
	return res;
}

enum ch_result
store_row_rules(struct store *s, const struct store_actor *who, int t, const char *id,
    const Tongxin__Value *v, const uint32_t *cols, size_t n, struct txn_verdict *vd)
{
	enum ch_result res = CH_APPLIED;

	switch (t) {
	case TBL_SERVICE_REPORT:
		res = report_rule(s, v, cols, n, vd);
		break;
	case TBL_SERVICE_RECORD:
		res = service_rule(s, who, v, vd);
		break;
	case TBL_ORG:
		res = org_rules(s, id, v, cols == NULL, cols, n, vd);
		break;
	case TBL_MEMBER:
	case TBL_APPLICANT:
		res = person_org_rule(s, t, v, cols, n, vd);
		break;
	default:
		break;
	}
	if (res != CH_APPLIED)
		return res;
	return meeting_rules(s, t, v, cols, n, vd);
}

enum ch_result
store_transfer_target_rule(struct store *s, const char *to_org_id, struct txn_verdict *vd)
{
	char kind[40];
	int rc;

	if ((rc = lookup(s, Q_ORG_KIND, to_org_id, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc == 1 && !org_kind_holds_members(kind)) {
		reason_set(&vd->why, R_MEMBER_ORG_KIND, "org.kind", kind);
		return refuse(vd);
	}
	return CH_APPLIED;
}

enum ch_result
service_report_prepare(struct store *s, struct srow *r, char org_id_buf[ID_TEXT_LEN + 1],
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[TBL_SERVICE_REPORT];
	int c_code = schema_col_index(td, "org_code"), c_org = schema_col_index(td, "org_id");
	const char *code = text_of(&r->v[c_code]), *org = text_of(&r->v[c_org]);
	char ca[REASON_COL_MAX];
	int rc;

	if (code == NULL) {
		if (org != NULL)
			return CH_APPLIED;
		reason_set(&vd->why, R_REQUIRED, reason_col(ca, td->name, "org_id"));
		return refuse(vd);
	}
	if ((rc = lookup(s, Q_ORG_BY_CODE, code, org_id_buf, ID_TEXT_LEN + 1)) < 0)
		return CH_ERROR;
	if (rc == 0) {
		snprintf(vd->kind, sizeof vd->kind, "unknown_ref");
		reason_set(&vd->why, R_TRANSFER_UNKNOWN_ORG, code);
		return CH_REJECTED;
	}
	if (org != NULL && strcmp(org, org_id_buf) != 0) {
		reason_set(&vd->why, R_REPORT_MISMATCH, "service_report.org_id");
		return refuse(vd);
	}
	value_set_text(&r->v[c_org], org_id_buf);
	return CH_APPLIED;
}
