/*
 * store_transfer.c - the server's half of a transfer (组织关系转接): a
 * workflow, not a field edit. The sending office inserts a request naming
 * the receiving organisation by code; the receiving office (or the street)
 * accepts or rejects it; only acceptance moves the member, inside the same
 * server transaction, and leaves an eviction so the sending office's
 * replicas drop the member's personal data.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "value.h"

#define COL(name) schema_col_index(&schema_tables[TBL_TRANSFER], name)

static const char *
text_of(const Tongxin__Value *v)
{
	return v->kind_case == TONGXIN__VALUE__KIND_S ? v->s : NULL;
}

/* Refuse with a reason code that takes no arguments. */
static enum ch_result
reject(struct txn_verdict *vd, const char *kind, enum reason_code code)
{
	snprintf(vd->kind, sizeof vd->kind, "%s", kind);
	reason_set0(&vd->why, code);
	return CH_REJECTED;
}

static int move_dependents(struct eng *e, const struct store_actor *who,
    const Tongxin__Txn *tx, const char *member, const char *to, const char *old_scope,
    const char *new_scope);

enum ch_result
transfer_prepare_insert(struct eng *e, struct srow *r, char to_id[ID_TEXT_LEN + 1],
    struct txn_verdict *vd)
{
	const char *code = text_of(&r->v[COL("to_org_code")]);
	const char *status = text_of(&r->v[COL("status")]);
	const char *member = text_of(&r->v[COL("member_id")]);
	const char *from = text_of(&r->v[COL("from_org_id")]);
	int found;

	if (status == NULL || strcmp(status, "requested") != 0)
		return reject(vd, "invalid", R_TRANSFER_NOT_REQUESTED);
	if (code == NULL || member == NULL || from == NULL)
		return reject(vd, "invalid", R_TRANSFER_INCOMPLETE);
	if ((found = org_by_code(e, code, to_id)) < 0)
		return CH_ERROR;
	if (!found) {
		snprintf(vd->kind, sizeof vd->kind, "unknown_ref");
		reason_set(&vd->why, R_TRANSFER_UNKNOWN_ORG, code);
		return CH_REJECTED;
	}
	if (text_of(&r->v[COL("to_org_id")]) && strcmp(text_of(&r->v[COL("to_org_id")]), to_id) != 0)
		return reject(vd, "invalid", R_TRANSFER_ORG_MISMATCH);
	value_set_text(&r->v[COL("to_org_id")], to_id);
	if (strcmp(to_id, from) == 0)
		return reject(vd, "invalid", R_TRANSFER_SAME_ORG);
	return transfer_target_rule(e, to_id, vd);
}

enum ch_result
transfer_check_member(struct eng *e, const struct store_actor *who, const struct srow *r,
    struct txn_verdict *vd)
{
	const char *member = text_of(&r->v[COL("member_id")]);
	const char *from = text_of(&r->v[COL("from_org_id")]);
	struct srow m;
	int mc, moved;

	if (STO(e, row_load, TBL_MEMBER, member, &m) != 0)
		return CH_ERROR;
	if (!m.exists || !in_scope(m.scope, who->scope)) {
		/* Only a member the device holds can be sent; one that left meanwhile is a conflict. */
		srow_clear(&m);
		if ((moved = row_left_scope(e, TBL_MEMBER, member, who->scope, &vd->why)) < 0)
			return CH_ERROR;
		if (moved) {
			snprintf(vd->kind, sizeof vd->kind, "transferred");
			return CH_CONFLICT;
		}
		return refuse_unseen(vd, &schema_tables[TBL_TRANSFER], "member_id", member);
	}
	/* The member must still be where the request says. */
	mc = schema_col_index(&schema_tables[TBL_MEMBER], "org_id");
	if (m.deleted || text_of(&m.v[mc]) == NULL || strcmp(text_of(&m.v[mc]), from) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "missing_parent");
		reason_set(&vd->why, R_TRANSFER_MEMBER_LEFT, member);
		srow_clear(&m);
		return CH_CONFLICT;
	}
	srow_clear(&m);
	return CH_APPLIED;
}

/* Whether a changed column of the transfer is the receiving side's decision. */
static int
is_decision_col(int col)
{
	return col == COL("status") || col == COL("decided_on") || col == COL("decision_note");
}

enum ch_result
transfer_guard(const struct store_actor *who, const Tongxin__Change *c, const struct srow *r,
    struct txn_verdict *vd)
{
	int sender = in_scope(r->scope, who->scope), receiver = in_scope(r->scope2, who->scope);
	const char *status = text_of(&r->v[COL("status")]);

	if (c->op == TONGXIN__CHANGE__OP__OP_DELETE) {
		if (!sender || status == NULL || strcmp(status, "requested") != 0)
			return reject(vd, "scope", R_TRANSFER_WITHDRAW);
		return CH_APPLIED;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		int col = (int)c->cols[i];
		if (value_eq(&r->v[col], c->values[i]))
			continue;
		/* The receiving side decides; the sending side writes the request. */
		if (!sender && !is_decision_col(col))
			return reject(vd, "scope", R_TRANSFER_RECEIVER_ONLY);
		if (!receiver && is_decision_col(col) && col != COL("status"))
			return reject(vd, "scope", R_TRANSFER_DECIDER);
	}
	return CH_APPLIED;
}

/* Move the member now that the transfer is accepted. */
static enum ch_result
move_member(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const struct srow *t, struct txn_verdict *vd)
{
	const char *member = text_of(&t->v[COL("member_id")]);
	const char *from = text_of(&t->v[COL("from_org_id")]);
	const char *to = text_of(&t->v[COL("to_org_id")]);
	int mc = schema_col_index(&schema_tables[TBL_MEMBER], "org_id");
	struct srow m;
	Tongxin__Change c = TONGXIN__CHANGE__INIT;
	Tongxin__Value nv, ov, *nvp = &nv, *ovp = &ov;
	uint32_t col = (uint32_t)mc;
	char old_scope[SCOPE_MAX];
	enum sto_write wr;

	if (STO(e, row_load, TBL_MEMBER, member, &m) != 0)
		return CH_ERROR;
	if (!m.exists || m.deleted || text_of(&m.v[mc]) == NULL ||
	    strcmp(text_of(&m.v[mc]), from) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "missing_parent");
		reason_set(&vd->why, R_TRANSFER_ACCEPT_LEFT, member);
		srow_clear(&m);
		return CH_CONFLICT;
	}
	snprintf(old_scope, sizeof old_scope, "%s", m.scope);
	value_clear(&m.v[mc]);
	value_set_text(&ov, from);
	value_set_text(&nv, to);
	if (value_copy(&m.v[mc], &nv) != 0) {
		srow_clear(&m);
		return CH_ERROR;
	}
	snprintf(m.scope, sizeof m.scope, "%s", t->scope2);
	m.version = STO0(e, version_next);
	m.hlc = tx->hlc > m.hlc ? tx->hlc : m.hlc;
	snprintf(m.device, sizeof m.device, "%s", who->device_id);
	wr = STO(e, row_write, TBL_MEMBER, member, &m, 0);
	srow_clear(&m);
	if (wr != STO_WRITTEN || STO(e, evict_put, m.version, TBL_MEMBER, member, old_scope,
	    t->scope2) != 0 || move_dependents(e, who, tx, member, to, old_scope, t->scope2) != 0)
		return CH_ERROR;
	c.table = TBL_MEMBER;
	c.row_id = (char *)member;
	c.op = TONGXIN__CHANGE__OP__OP_UPDATE;
	c.cols = &col;
	c.n_cols = 1;
	c.values = &nvp;
	c.n_values = 1;
	c.before = &ovp;
	c.n_before = 1;
	return audit_change(e, who, tx, &c, m.version, "transfer") == 0 ? CH_APPLIED : CH_ERROR;
}

/*
 * Rows whose scope comes from the member (a discipline record) go where he
 * goes: each gets the new scope, a new version and an eviction, so the
 * sending office's replicas drop them with the member. Returns 0, or -1.
 */
/*
 * Move row id of table t whose column col names the member's old branch to
 * his new one (to, whose scope path is new_scope): the column, the scope it
 * decides (which = 1: _scope, 2: _scope2), a new version, and an eviction
 * for the offices that saw the row only through the old branch (not when
 * the row's other scope still shows it to them). 0, or -1.
 */
static int
move_home(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx, int t,
    const char *id, const char *col, int which, const char *to, const char *new_scope)
{
	struct srow d;
	Tongxin__Value nv, ov, *nvp = &nv, *ovp = &ov;
	Tongxin__Change ch = TONGXIN__CHANGE__INIT;
	uint32_t cu;
	char old[SCOPE_MAX];
	int c = schema_col_index(&schema_tables[t], col), rc;
	uint64_t v;

	if (STO(e, row_load, t, id, &d) != 0)
		return -1;
	snprintf(old, sizeof old, "%s", which == 1 ? d.scope : d.scope2);
	ov = d.v[c];                  /* the value replaced, for the audit */
	tongxin__value__init(&d.v[c]);
	value_set_text(&nv, to);
	if (value_copy(&d.v[c], &nv) != 0) {
		value_clear(&ov);
		srow_clear(&d);
		return -1;
	}
	snprintf(which == 1 ? d.scope : d.scope2, SCOPE_MAX, "%s", new_scope);
	d.version = v = STO0(e, version_next);
	d.hlc = tx->hlc > d.hlc ? tx->hlc : d.hlc;
	snprintf(d.device, sizeof d.device, "%s", who->device_id);
	rc = STO(e, row_write, t, id, &d, 0) == STO_WRITTEN ? 0 : -1;
	if (rc == 0 && !in_scope(old, which == 1 ? d.scope2 : d.scope) &&
	    STO(e, evict_put, v, t, id, old, new_scope) != 0)
		rc = -1;
	/* Audited like the member's own move: the audit can take every value back. */
	cu = (uint32_t)c;
	ch.table = (uint32_t)t;
	ch.row_id = (char *)id;
	ch.op = TONGXIN__CHANGE__OP__OP_UPDATE;
	ch.cols = &cu;
	ch.n_cols = 1;
	ch.values = &nvp;
	ch.n_values = 1;
	ch.before = &ovp;
	ch.n_before = 1;
	if (rc == 0 && audit_change(e, who, tx, &ch, v, "transfer") != 0)
		rc = -1;
	value_clear(&ov);
	srow_clear(&d);
	return rc;
}

/*
 * 双报到: a transferred member's reports to communities, and the services
 * recorded on them, now belong to his new branch (their home_org_id): the
 * old office no longer sees them, the new one does, the community keeps
 * them. 0, or -1.
 */
static int
move_reports(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const char *member, const char *to, const char *new_scope)
{
	struct sto_ids reports = { 0 };
	int rc = 0;

	if (STO(e, ids_where, TBL_SERVICE_REPORT,
	    schema_col_index(&schema_tables[TBL_SERVICE_REPORT], "member_id"), member, 0,
	    &reports) != 0)
		return -1;
	for (size_t i = 0; i < reports.n && rc == 0; i++) {
		struct sto_ids recs = { 0 };
		if (move_home(e, who, tx, TBL_SERVICE_REPORT, reports.id[i], "home_org_id", 1, to,
		    new_scope) != 0 ||
		    STO(e, ids_where, TBL_SERVICE_RECORD,
		    schema_col_index(&schema_tables[TBL_SERVICE_RECORD], "report_id"), reports.id[i], 0,
		    &recs) != 0)
			rc = -1;
		for (size_t k = 0; k < recs.n && rc == 0; k++)
			rc = move_home(e, who, tx, TBL_SERVICE_RECORD, recs.id[k], "home_org_id", 2, to,
			    new_scope);
		sto_ids_free(&recs);
	}
	sto_ids_free(&reports);
	return rc;
}

static int
move_dependents(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const char *member, const char *to, const char *old_scope, const char *new_scope)
{
	if (move_reports(e, who, tx, member, to, new_scope) != 0)
		return -1;
	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		struct sto_ids ids = { 0 };
		size_t done = 0;
		bool ok;
		if (td->scope_col < 0 || td->cols[td->scope_col].type != COL_REF ||
		    strcmp(td->cols[td->scope_col].ref_table, "member") != 0)
			continue;
		if (STO(e, ids_where, t, td->scope_col, member, 0, &ids) != 0)
			return -1;
		for (size_t i = 0; i < ids.n; i++) {
			struct srow d;
			uint64_t v;
			if (STO(e, row_load, t, ids.id[i], &d) != 0)
				break;
			snprintf(d.scope, sizeof d.scope, "%s", new_scope);
			d.version = v = STO0(e, version_next);
			d.hlc = tx->hlc > d.hlc ? tx->hlc : d.hlc;
			snprintf(d.device, sizeof d.device, "%s", who->device_id);
			ok = STO(e, row_write, t, ids.id[i], &d, 0) == STO_WRITTEN &&
			    STO(e, evict_put, v, t, ids.id[i], old_scope, new_scope) == 0;
			srow_clear(&d);
			if (!ok)
				break;
			done++;
		}
		ok = done == ids.n;
		sto_ids_free(&ids);
		if (!ok)
			return -1;
	}
	return 0;
}

enum ch_result
transfer_on_update(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const struct srow *old, struct srow *r, struct txn_verdict *vd)
{
	const char *was = text_of(&old->v[COL("status")]);
	const char *now = text_of(&r->v[COL("status")]);

	if (was == NULL || now == NULL)
		return reject(vd, "invalid", R_TRANSFER_STATUS_REQUIRED);
	if (strcmp(was, now) == 0) {
		if (strcmp(was, "requested") != 0)
			return reject(vd, "invalid", R_TRANSFER_DECIDED);
		return CH_APPLIED;
	}
	if (strcmp(was, "requested") != 0)
		return reject(vd, "invalid", R_TRANSFER_FINAL);
	/* The receiving side decides: the sending office alone cannot accept. */
	if (!in_scope(r->scope2, who->scope))
		return reject(vd, "scope", R_TRANSFER_ACCEPTOR);
	if (strcmp(now, "rejected") == 0)
		return CH_APPLIED;
	if (strcmp(now, "accepted") != 0)
		return reject(vd, "invalid", R_TRANSFER_BAD_STATUS);
	/* The sending office keeps no personal data: the name goes with the member. */
	value_clear(&r->v[COL("member_name")]);
	return move_member(e, who, tx, r, vd);
}
