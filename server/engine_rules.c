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

#include "engine.h"
#include "validate.h"
#include "vocab.h"
#include "value.h"

/* The kind of live organisation id into out: 1, 0 if none (or deleted), -1 on failure. */
static int
org_kind(struct eng *e, const char *id, char *out, size_t cap)
{
	struct sto_org o;
	int rc = STO(e, org_get, id, &o);

	if (rc <= 0 || o.deleted)
		return rc < 0 ? -1 : 0;
	snprintf(out, cap, "%s", o.kind);
	return 1;
}

/* The kind of live meeting id into out: 1, 0 if none (or deleted), -1 on failure. */
static int
meeting_kind(struct eng *e, const char *id, char *out, size_t cap)
{
	const struct table_def *td = &schema_tables[TBL_MEETING];
	struct srow m;
	int rc, k = schema_col_index(td, "kind");

	if (STO(e, row_load, TBL_MEETING, id, &m) != 0)
		return -1;
	rc = m.exists && !m.deleted;
	if (rc)
		snprintf(out, cap, "%s", m.v[k].kind_case == TONGXIN__VALUE__KIND_S ? m.v[k].s : "");
	srow_clear(&m);
	return rc;
}

int
org_by_code(struct eng *e, const char *code, char id[ID_TEXT_LEN + 1])
{
	struct sto_ids ids = { 0 };
	struct sto_org o;
	int rc = 0;

	/* Codes are unique among live organisations; a dissolved one is not a destination. */
	if (STO(e, ids_where, TBL_ORG, schema_col_index(&schema_tables[TBL_ORG], "code"), code, 0,
	    &ids) != 0)
		return -1;
	for (size_t i = 0; i < ids.n && rc == 0; i++) {
		int got = STO(e, org_get, ids.id[i], &o);
		if (got < 0)
			rc = -1;
		else if (got == 1 && !o.deleted && !o.dissolved) {
			snprintf(id, ID_TEXT_LEN + 1, "%s", ids.id[i]);
			rc = 1;
		}
	}
	sto_ids_free(&ids);
	return rc;
}

int
org_scope_by_code(struct eng *e, const char *code, char *scope, size_t cap)
{
	char id[ID_TEXT_LEN + 1];
	struct sto_org o;
	int rc;

	if ((rc = org_by_code(e, code, id)) != 1)
		return rc;
	if ((rc = STO(e, org_get, id, &o)) != 1)
		return rc;
	snprintf(scope, cap, "%s", o.scope);
	return 1;
}

/*
 * Column index of name in table t, found by name once per (table, name):
 * the rules ask for the same few columns for every row written. name must
 * be a string that lives for the program (a literal, a schema name).
 */
static int
col_of(int t, const char *name)
{
	/* Per thread: the loop's and the store thread's engines may both ask. */
	static _Thread_local struct { int t; const char *name; int c; } memo[48];
	static _Thread_local size_t n;
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
	static _Thread_local uint64_t mask[TBL_COUNT];
	static _Thread_local bool done[TBL_COUNT];

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

/* Whether members or applicants belong to organisation id: 1, 0, -1 on failure. */
static int
has_people(struct eng *e, const char *id)
{
	static const int tables[] = { TBL_MEMBER, TBL_APPLICANT };
	int found = 0;

	for (size_t i = 0; i < sizeof tables / sizeof tables[0] && !found; i++) {
		struct sto_ids ids = { 0 };
		if (STO(e, ids_where, tables[i], col_of(tables[i], "org_id"), id, 1, &ids) != 0)
			return -1;
		found = ids.n > 0;
		sto_ids_free(&ids);
	}
	return found;
}

/* An organisation's kind under its parent, and its children and members under its kind. */
static enum ch_result
org_rules(struct eng *e, const char *id, const Tongxin__Value *v, bool is_insert,
    const uint32_t *cols, size_t n, struct txn_verdict *vd)
{
	const char *kind = text_of(&v[col_of(TBL_ORG, "kind")]);
	const char *parent = text_of(&v[col_of(TBL_ORG, "parent_id")]);
	char pkind[40];
	int rc;

	if (kind == NULL || !touched(TBL_ORG, "kind", cols, n))
		return CH_APPLIED;
	pkind[0] = '\0';
	if (parent != NULL && (rc = org_kind(e, parent, pkind, sizeof pkind)) < 0)
		return CH_ERROR;
	/*
	 * The street is the root tongxind init made, unless a district is: then
	 * streets go under it (a street under anything else is refused by the
	 * tree's rule below, in words true in either server).
	 */
	if (strcmp(kind, "street") == 0 && is_insert && parent == NULL) {
		reason_set0(&vd->why, R_ONE_STREET);
		return refuse(vd);
	}
	if (parent != NULL) {
		if (pkind[0] != '\0' && !org_kind_allowed(pkind, kind)) {
			reason_set(&vd->why, R_ORG_KIND_UNDER, "org.kind", kind, pkind);
			return refuse(vd);
		}
	}
	if (is_insert)
		return CH_APPLIED;
	{
		struct sto_ids kids = { 0 };
		struct sto_org o;
		char bad[40] = "";
		if (STO(e, ids_where, TBL_ORG, col_of(TBL_ORG, "parent_id"), id, 0, &kids) != 0)
			return CH_ERROR;
		for (size_t i = 0; i < kids.n && bad[0] == '\0'; i++) {
			if ((rc = STO(e, org_get, kids.id[i], &o)) < 0) {
				sto_ids_free(&kids);
				return CH_ERROR;
			}
			if (rc == 1 && !org_kind_allowed(kind, o.kind))
				snprintf(bad, sizeof bad, "%s", o.kind);
		}
		sto_ids_free(&kids);
		if (bad[0] != '\0') {
			reason_set(&vd->why, R_ORG_KIND_CHILD, "org.kind", kind, bad);
			return refuse(vd);
		}
	}
	if (!org_kind_holds_members(kind)) {
		if ((rc = has_people(e, id)) < 0)
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
person_org_rule(struct eng *e, int t, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const char *org = text_of(&v[col_of(t, "org_id")]);
	char kind[40];
	int rc;

	if (org == NULL || !touched(t, "org_id", cols, n))
		return CH_APPLIED;
	if ((rc = org_kind(e, org, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc == 1 && !org_kind_holds_members(kind)) {
		reason_set(&vd->why, R_MEMBER_ORG_KIND, "org.kind", kind);
		return refuse(vd);
	}
	return CH_APPLIED;
}

/* Each meeting a step names is of a kind that may decide it. */
static enum ch_result
meeting_rules(struct eng *e, int t, const Tongxin__Value *v, const uint32_t *cols, size_t n,
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
		if ((rc = meeting_kind(e, id, kind, sizeof kind)) < 0)
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
report_rule(struct eng *e, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const char *org = text_of(&v[col_of(TBL_SERVICE_REPORT, "org_id")]);
	char kind[40];
	int rc;

	if (org == NULL || !touched(TBL_SERVICE_REPORT, "org_id", cols, n))
		return CH_APPLIED;
	if ((rc = org_kind(e, org, kind, sizeof kind)) < 0)
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
service_rule(struct eng *e, const struct store_actor *who, const Tongxin__Value *v,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[TBL_SERVICE_RECORD];
	const char *report = text_of(&v[col_of(TBL_SERVICE_RECORD, "report_id")]);
	const char *org = text_of(&v[col_of(TBL_SERVICE_RECORD, "org_id")]);
	const char *home = text_of(&v[col_of(TBL_SERVICE_RECORD, "home_org_id")]);
	enum ch_result res = CH_APPLIED;
	struct srow r;

	if (report == NULL)
		return CH_APPLIED;
	if (STO(e, row_load, TBL_SERVICE_REPORT, report, &r) != 0)
		return CH_ERROR;
	if (r.exists && !r.deleted) {
		const char *rorg = text_of(&r.v[col_of(TBL_SERVICE_REPORT, "org_id")]);
		const char *rhome = text_of(&r.v[col_of(TBL_SERVICE_REPORT, "home_org_id")]);
		if (!in_scope(r.scope, who->scope) && !in_scope(r.scope2, who->scope))
			res = refuse_unseen(vd, td, "report_id", report);
		else if (org == NULL || rorg == NULL || strcmp(org, rorg) != 0) {
			reason_set(&vd->why, R_REPORT_MISMATCH, "service_record.org_id");
			res = refuse(vd);
		} else if (home == NULL || rhome == NULL || strcmp(home, rhome) != 0) {
			reason_set(&vd->why, R_REPORT_MISMATCH, "service_record.home_org_id");
			res = refuse(vd);
		}
	} else {
		res = refuse_unseen(vd, td, "report_id", report);
	}
	srow_clear(&r);
	return res;
}

/*
 * The organisations each co-building record may belong to (docs/cobuilding.md):
 * a street or district sets the assessment scheme; a community keeps its
 * resident units, agreements and service fund; wishes and opinions belong
 * to a community or a branch; a branch is rated (a volunteer team may be
 * any organisation's).
 */
static const struct {
	int table;
	const char *const *kinds;
} org_kinds_of[] = {
	{ TBL_ASSESSMENT_INDICATOR, (const char *const[]){ "street", "district", NULL } },
	{ TBL_RESIDENT_UNIT, (const char *const[]){ "community", NULL } },
	{ TBL_AGREEMENT, (const char *const[]){ "community", NULL } },
	{ TBL_FUND_BUDGET, (const char *const[]){ "community", NULL } },
	{ TBL_FUND_SPENDING, (const char *const[]){ "community", NULL } },
	{ TBL_MICRO_WISH, (const char *const[]){ "community", "general_branch", "branch", NULL } },
	{ TBL_FEEDBACK, (const char *const[]){ "community", "general_branch", "branch", NULL } },
	{ TBL_STAR_RATING, (const char *const[]){ "branch", NULL } },
};

/* The row's organisation (org_id) is of a kind its table allows. */
static enum ch_result
cobuild_org_rule(struct eng *e, int t, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const char *org, *kind_label = NULL;
	char kind[40], allowed[200] = "";
	size_t k, len = 0;
	int rc;

	for (k = 0; k < sizeof org_kinds_of / sizeof org_kinds_of[0]; k++)
		if (org_kinds_of[k].table == t)
			break;
	if (k == sizeof org_kinds_of / sizeof org_kinds_of[0] ||
	    (org = text_of(&v[col_of(t, "org_id")])) == NULL || !touched(t, "org_id", cols, n))
		return CH_APPLIED;
	if ((rc = org_kind(e, org, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc != 1)
		return CH_APPLIED;   /* an unknown organisation is the reference check's */
	for (const char *const *a = org_kinds_of[k].kinds; *a; a++) {
		if (strcmp(*a, kind) == 0)
			return CH_APPLIED;
		kind_label = vocab_label(vocab_get("org_kind"), *a);
		len += (size_t)snprintf(allowed + len, len < sizeof allowed ? sizeof allowed - len : 0,
		    "%s%s", len ? "、" : "", kind_label ? kind_label : *a);
	}
	reason_set(&vd->why, R_KIND_FOR, schema_tables[t].name, allowed);
	return refuse(vd);
}

/*
 * A score is given to an organisation of the indicator's target kind (a
 * community's indicator to a community, a branch's to a branch).
 */
static enum ch_result
score_rule(struct eng *e, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd)
{
	const char *org = text_of(&v[col_of(TBL_ASSESSMENT_SCORE, "org_id")]);
	const char *ind = text_of(&v[col_of(TBL_ASSESSMENT_SCORE, "indicator_id")]);
	const char *target, *label;
	char kind[40];
	struct srow r;
	enum ch_result res = CH_APPLIED;
	int rc;

	if (org == NULL || ind == NULL || (!touched(TBL_ASSESSMENT_SCORE, "org_id", cols, n) &&
	    !touched(TBL_ASSESSMENT_SCORE, "indicator_id", cols, n)))
		return CH_APPLIED;
	if ((rc = org_kind(e, org, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc != 1)
		return CH_APPLIED;
	if (STO(e, row_load, TBL_ASSESSMENT_INDICATOR, ind, &r) != 0)
		return CH_ERROR;
	target = r.exists ? text_of(&r.v[col_of(TBL_ASSESSMENT_INDICATOR, "target")]) : NULL;
	if (target != NULL && strcmp(target, kind) != 0) {
		label = vocab_label(vocab_get("org_kind"), target);
		reason_set(&vd->why, R_KIND_FOR, "assessment_score", label ? label : target);
		res = refuse(vd);
	}
	srow_clear(&r);
	return res;
}

enum ch_result
engine_row_rules(struct eng *e, const struct store_actor *who, int t, const char *id,
    const Tongxin__Value *v, const uint32_t *cols, size_t n, struct txn_verdict *vd)
{
	enum ch_result res = CH_APPLIED;

	switch (t) {
	case TBL_SERVICE_REPORT:
		res = report_rule(e, v, cols, n, vd);
		break;
	case TBL_SERVICE_RECORD:
		res = service_rule(e, who, v, vd);
		break;
	case TBL_ORG:
		res = org_rules(e, id, v, cols == NULL, cols, n, vd);
		break;
	case TBL_MEMBER:
	case TBL_APPLICANT:
		res = person_org_rule(e, t, v, cols, n, vd);
		break;
	case TBL_ASSESSMENT_SCORE:
		res = score_rule(e, v, cols, n, vd);
		break;
	default:
		res = cobuild_org_rule(e, t, v, cols, n, vd);
		break;
	}
	if (res != CH_APPLIED)
		return res;
	return meeting_rules(e, t, v, cols, n, vd);
}

enum ch_result
transfer_target_rule(struct eng *e, const char *to_org_id, struct txn_verdict *vd)
{
	char kind[40];
	int rc;

	if ((rc = org_kind(e, to_org_id, kind, sizeof kind)) < 0)
		return CH_ERROR;
	if (rc == 1 && !org_kind_holds_members(kind)) {
		reason_set(&vd->why, R_MEMBER_ORG_KIND, "org.kind", kind);
		return refuse(vd);
	}
	return CH_APPLIED;
}

enum ch_result
service_report_prepare(struct eng *e, struct srow *r, char org_id_buf[ID_TEXT_LEN + 1],
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
	if ((rc = org_by_code(e, code, org_id_buf)) < 0)
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

enum ch_result
agreement_prepare(struct eng *e, struct srow *r, char id_buf[ID_TEXT_LEN + 1],
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[TBL_AGREEMENT];
	const struct table_def *ud = &schema_tables[TBL_RESIDENT_UNIT];
	int c_code = schema_col_index(td, "unit_code"), c_unit = schema_col_index(td, "unit_id");
	const char *code = text_of(&r->v[c_code]), *unit = text_of(&r->v[c_unit]);
	char ca[REASON_COL_MAX];
	int rc;

	if (code == NULL) {
		if (unit != NULL)
			return CH_APPLIED;
		reason_set(&vd->why, R_REQUIRED, reason_col(ca, td->name, "unit_id"));
		return refuse(vd);
	}
	rc = STO(e, unique_owner, TBL_RESIDENT_UNIT, schema_col_index(ud, "credit_code"),
	    &r->v[c_code], "", id_buf);
	if (rc < 0)
		return CH_ERROR;
	if (rc == 0) {
		snprintf(vd->kind, sizeof vd->kind, "unknown_ref");
		reason_set(&vd->why, R_UNKNOWN_UNIT, code);
		return CH_REJECTED;
	}
	if (unit != NULL && strcmp(unit, id_buf) != 0) {
		reason_set0(&vd->why, R_UNIT_CODE_MISMATCH);
		return refuse(vd);
	}
	value_set_text(&r->v[c_unit], id_buf);
	return CH_APPLIED;
}
