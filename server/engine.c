/*
 * engine.c - the apply engine (engine.h): a push's transactions judged
 * change by change - shape, scope, references, domain rules, merge policy
 * - and what becomes of each: applied, merged, queued whole as a conflict,
 * or rejected, with the result the device is told. Storage is reached only
 * through the operations of sto.h.
 *
 * Rows are never removed (_deleted), so an update against a delete can be
 * detected and a delete undone by an administrator; _scope and _scope2
 * (organisation paths like "/S01/C01/B02/") decide which devices see a row.
 */
#include "engine.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "ids.h"
#include "log.h"
#include "validate.h"
#include "value.h"

void
engine_init(struct eng *e, const struct sto_ops *ops, void *b)
{
	memset(e, 0, sizeof *e);
	e->ops = ops;
	e->b = b;
	e->hlc = hlc_next(0);
	e->max_open_conflicts = CONFLICTS_PER_DEVICE_MAX;
	e->push_seq_max = UINT64_MAX;
	today_str(e->today);
}

void
engine_free(struct eng *e)
{
	if (e == NULL)
		return;
	free(e->vers);
	e->vers = NULL;
	e->vers_cap = 0;
}

int
sto_ids_add(struct sto_ids *l, const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *p = realloc(l->id, cap * sizeof *l->id);
		if (p == NULL)
			return -1;
		l->id = p;
		l->cap = cap;
	}
	snprintf(l->id[l->n++], sizeof *l->id, "%s", id);
	return 0;
}

void
sto_ids_free(struct sto_ids *l)
{
	free(l->id);
	memset(l, 0, sizeof *l);
}

void
srow_clear(struct srow *r)
{
	for (int i = 0; i < MAX_COLS; i++)
		value_clear(&r->v[i]);
	r->exists = 0;
}

int
result_set_reason(Tongxin__TxnResult *res, const struct reason *r)
{
	char en[REASON_TEXT_MAX];

	free(res->reason != protobuf_c_empty_string ? res->reason : NULL);
	res->reason = NULL;
	reason_text(r, REASON_EN, en, sizeof en);
	if ((res->reason = strdup(en)) == NULL)
		return -1;
	return reason_args_copy(r, &res->reason_code, &res->reason_args, &res->n_reason_args);
}

int
reason_args_copy(const struct reason *r, uint32_t *code, char ***args, size_t *nargs)
{
	*code = r->code;
	*args = NULL;
	*nargs = 0;
	if (r->nargs == 0)
		return 0;
	if ((*args = calloc(r->nargs, sizeof **args)) == NULL)
		return -1;
	for (size_t i = 0; i < r->nargs; i++) {
		if (((*args)[i] = strdup(r->args[i])) == NULL)
			return -1;   /* the message's free takes what was made */
		(*nargs)++;
	}
	return 0;
}

/* Whether path lies within the scope prefix. */
int
in_scope(const char *path, const char *prefix)
{
	return path[0] != '\0' && strncmp(path, prefix, strlen(prefix)) == 0;
}

void
scope_hi(const char *prefix, char *hi, size_t cap)
{
	size_t n = strlen(prefix);

	snprintf(hi, cap, "%s", prefix);
	if (n > 0 && n < cap)
		hi[n - 1] = (char)(prefix[n - 1] + 1);
}

/*
 * Refuse a change that names a row the device does not hold. The same words
 * whether the row does not exist at all or lies outside the device's
 * organisation: a refusal never tells an office what exists elsewhere. Only
 * the id the device itself sent is repeated.
 */
enum ch_result
refuse_unseen(struct txn_verdict *vd, const struct table_def *td, const char *what,
    const char *id)
{
	char ca[REASON_COL_MAX];

	snprintf(vd->kind, sizeof vd->kind, "scope");
	if (what == NULL)
		reason_set(&vd->why, R_UNSEEN_ROW, td->name, id);
	else
		reason_set(&vd->why, R_UNSEEN_REF, reason_col(ca, td->name, what), id);
	return CH_REJECTED;
}

/*
 * Compute the scope(s) of a row from its values. On a problem fills the
 * verdict and returns CH_CONFLICT (parent gone) or CH_REJECTED.
 */
enum ch_result
row_scopes(struct eng *e, int t, const Tongxin__Value *v, char *scope, char *scope2,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[t];
	int cols[2] = { td->scope_col, td->scope2_col };
	char *outs[2] = { scope, scope2 };
	char ca[REASON_COL_MAX];

	scope2[0] = '\0';
	for (int k = 0; k < 2; k++) {
		int c = cols[k], rt, rc;
		if (c < 0)
			continue;
		/*
		 * A second scope the row may go without: an optional reference to
		 * another office's row (volunteer hours of a non-member). A
		 * transfer's or a report's second scope is filled by the server or
		 * refused, never left out.
		 */
		if (k == 1 && v[c].kind_case != TONGXIN__VALUE__KIND_S &&
		    (td->cols[c].flags & (COLF_REQUIRED | COLF_ANYSCOPE)) == COLF_ANYSCOPE)
			continue;
		if (v[c].kind_case != TONGXIN__VALUE__KIND_S) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set(&vd->why, R_REQUIRED, reason_col(ca, td->name, td->cols[c].name));
			return CH_REJECTED;
		}
		rt = schema_table_index(td->cols[c].ref_table);
		rc = STO(e, ref_scope, rt, v[c].s, outs[k], SCOPE_MAX);
		if (rc < 0)
			return CH_ERROR;
		if (rc == 0)
			return refuse_unseen(vd, td, td->cols[c].name, v[c].s);
		if (rc == 2 && k == 0) {
			snprintf(vd->kind, sizeof vd->kind, "missing_parent");
			reason_set(&vd->why, R_PARENT_GONE, reason_col(ca, td->name, td->cols[c].name),
			    v[c].s);
			return CH_CONFLICT;
		}
	}
	if (t == TBL_ORG) {
		int code = schema_col_index(td, "code");
		size_t n = strlen(scope);
		if (v[code].kind_case != TONGXIN__VALUE__KIND_S ||
		    strchr(v[code].s, '/') != NULL || n + strlen(v[code].s) + 2 > SCOPE_MAX) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set0(&vd->why, R_BAD_ORG_CODE);
			return CH_REJECTED;
		}
		snprintf(scope + n, SCOPE_MAX - n, "%s/", v[code].s);
	}
	return CH_APPLIED;
}

/*
 * The shares a row of a table with COLF_SHARE references makes (schema.h):
 * a live row shares each row it names into its own scope, and a named row
 * the scope did not see is written again at a new version (values
 * unchanged, not an echo) so the scope's replicas receive it with their
 * next pull; a deleted row shares nothing, and a named row the scope then
 * sees no longer (not its own scope or second scope, no other share into
 * it) is evicted from the scope's replicas. The share columns and the scope
 * column of such a table are immutable (test_common checks the schema), so
 * only whether the row lives changes what it shares.
 */
int
share_follow(struct eng *e, const struct store_actor *who, int t, const char *id,
    const struct srow *r)
{
	const struct table_def *td = &schema_tables[t];
	int shares = 0;

	for (int c = 0; c < td->ncols; c++)
		shares |= (td->cols[c].flags & COLF_SHARE) != 0;
	if (!shares)
		return 0;
	if (r->deleted && STO(e, share_drop, t, id) != 0)
		return -1;
	for (int c = 0; c < td->ncols; c++) {
		const struct col_def *cd = &td->cols[c];
		const char *named;
		int rt, rc = 0, seen;
		struct srow u;
		char hi[SCOPE_MAX];

		if (!(cd->flags & COLF_SHARE) || r->v[c].kind_case != TONGXIN__VALUE__KIND_S)
			continue;
		named = r->v[c].s;
		rt = schema_table_index(cd->ref_table);
		if (!r->deleted && STO(e, share_put, t, id, rt, named, r->scope) != 0)
			return -1;
		if (STO(e, row_load, rt, named, &u) != 0)
			return -1;
		seen = u.exists && (in_scope(u.scope, r->scope) || in_scope(u.scope2, r->scope));
		if (u.exists && !u.deleted && !seen) {
			if (!r->deleted) {
				/*
				 * After a restore, a row still as restored stays so at its
				 * new version (recovered_put): its own office's copy from
				 * before the restore is then still taken, not queued.
				 */
				uint64_t origin = 0, rv = 0;
				int rec = e->restored_version ? STO(e, recovered_get, rt, named, &origin,
				    &rv) : 0;
				int restored = e->restored_version != 0 && rec >= 0 &&
				    (u.version <= e->restored_version || (rec > 0 && u.version == rv));
				if (rec < 0)
					rc = -1;
				u.version = STO0(e, version_next);
				u.echo = 0;
				if (rc == 0)
					rc = STO(e, row_write, rt, named, &u, 0) == STO_WRITTEN ? 0 : -1;
				if (rc == 0 && restored)
					rc = STO(e, recovered_put, rt, named,
					    rec > 0 ? origin : e->restored_version, u.version, who->device_id);
			} else {
				scope_hi(r->scope, hi, sizeof hi);
				if ((rc = STO(e, share_in, rt, named, r->scope, hi)) == 0)
					rc = STO(e, evict_put, STO0(e, version_next), rt, named, r->scope,
					    u.scope);
				else if (rc > 0)
					rc = 0;
			}
		}
		srow_clear(&u);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
row_seen(struct eng *e, int t, const char *id, const struct srow *r, const char *scope)
{
	char hi[SCOPE_MAX];

	if (in_scope(r->scope, scope) || in_scope(r->scope2, scope))
		return 1;
	if ((schema_tables[t].flags & TBLF_DOWN) && r->scope[0] != '\0' &&
	    strncmp(scope, r->scope, strlen(r->scope)) == 0)
		return 1;
	if (!schema_shared(t))
		return 0;
	scope_hi(scope, hi, sizeof hi);
	return STO(e, share_in, t, id, scope, hi);
}

/*
 * A change to a row the device sees but does not own (shared with it, or
 * set above it): refused, saying so. CH_REJECTED, or CH_ERROR.
 */
static enum ch_result
refuse_read_only(struct eng *e, const struct store_actor *who, const struct table_def *td,
    int t, const char *id, const struct srow *r, struct txn_verdict *vd, int *seen)
{
	if ((*seen = row_seen(e, t, id, r, who->scope)) < 0)
		return CH_ERROR;
	if (*seen == 0)
		return CH_APPLIED;
	snprintf(vd->kind, sizeof vd->kind, "scope");
	reason_set(&vd->why, R_READ_ONLY, td->name, id);
	return CH_REJECTED;
}

/*
 * Check the non-scope references of the given columns: each must name a live
 * row the device holds (COLF_ANYSCOPE columns: any live row). A row that has
 * left the device's organisation since (a transfer) makes a conflict, kept
 * for the street; one it never held is refused like one that does not exist.
 */
enum ch_result
check_refs(struct eng *e, const struct store_actor *who, int t, const Tongxin__Value *v,
    const uint32_t *cols, size_t n, struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[t];
	char tmp[SCOPE_MAX], ca[REASON_COL_MAX];

	for (size_t i = 0; i < n; i++) {
		const struct col_def *cd = &td->cols[cols[i]];
		int rt, rc, seen;
		if (cd->type != COL_REF || (int)cols[i] == td->scope_col ||
		    (int)cols[i] == td->scope2_col || v[cols[i]].kind_case != TONGXIN__VALUE__KIND_S)
			continue;
		rt = schema_table_index(cd->ref_table);
		rc = STO(e, ref_scope, rt, v[cols[i]].s, tmp, sizeof tmp);
		if (rc < 0)
			return CH_ERROR;
		seen = rc > 0 && ((cd->flags & COLF_ANYSCOPE) || in_scope(tmp, who->scope));
		if (rc > 0 && !seen) {
			int moved = row_left_scope(e, rt, v[cols[i]].s, who->scope, &vd->why);
			if (moved < 0)
				return CH_ERROR;
			if (moved) {
				snprintf(vd->kind, sizeof vd->kind, "transferred");
				return CH_CONFLICT;
			}
		}
		if (!seen)
			return refuse_unseen(vd, td, cd->name, v[cols[i]].s);
		if (rc == 2) {
			snprintf(vd->kind, sizeof vd->kind, "missing_parent");
			reason_set(&vd->why, R_PARENT_GONE, reason_col(ca, td->name, cd->name),
			    v[cols[i]].s);
			return CH_CONFLICT;
		}
	}
	return CH_APPLIED;
}

/* Generic shape checks of a change before anything is read. */
static enum ch_result
change_shape(const Tongxin__Change *c, struct txn_verdict *vd)
{
	const struct table_def *td;
	uint64_t seen = 0;
	char n[24], ca[REASON_COL_MAX];

	snprintf(vd->kind, sizeof vd->kind, "invalid");
	if (c->table >= TBL_COUNT) {
		reason_set(&vd->why, R_UNKNOWN_TABLE, reason_num(n, c->table));
		return CH_REJECTED;
	}
	td = &schema_tables[c->table];
	if (!id_valid(c->row_id)) {
		reason_set(&vd->why, R_BAD_ROW_ID, td->name);
		return CH_REJECTED;
	}
	if (c->n_values != c->n_cols ||
	    (c->op != TONGXIN__CHANGE__OP__OP_INSERT && c->n_before != c->n_cols)) {
		reason_set(&vd->why, R_COUNTS_DIFFER, td->name);
		return CH_REJECTED;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		if (c->cols[i] >= (uint32_t)td->ncols || (seen & (1ull << c->cols[i]))) {
			reason_set(&vd->why, R_BAD_COLUMN, td->name, reason_num(n, c->cols[i]));
			return CH_REJECTED;
		}
		seen |= 1ull << c->cols[i];
		if (c->op == TONGXIN__CHANGE__OP__OP_DELETE)
			continue;
		if (validate_value_reason(&td->cols[c->cols[i]], c->values[i], &vd->why) != 0)
			return CH_REJECTED;
		/* A required column is never set to nothing, on insert or update. */
		if ((td->cols[c->cols[i]].flags & COLF_REQUIRED) &&
		    (c->values[i]->kind_case == TONGXIN__VALUE__KIND__NOT_SET ||
		     (c->values[i]->kind_case == TONGXIN__VALUE__KIND_S && c->values[i]->s[0] == '\0'))) {
			reason_set(&vd->why, R_REQUIRED,
			    reason_col(ca, td->name, td->cols[c->cols[i]].name));
			return CH_REJECTED;
		}
		/*
		 * There is one root, made by tongxind init: a district is never
		 * added, and a street only under a district (org_rules).
		 */
		if (c->table == TBL_ORG && c->values[i]->kind_case == TONGXIN__VALUE__KIND_S &&
		    (int)c->cols[i] == schema_col_index(td, "kind") &&
		    strcmp(c->values[i]->s, "district") == 0) {
			reason_set0(&vd->why, R_ONE_DISTRICT);
			return CH_REJECTED;
		}
	}
	return CH_APPLIED;
}

/*
 * Record an applied change in the audit log. An insert's values are not
 * repeated (see the audit table): every later change of a row's values must
 * be audited with the values it replaced, so that they can be taken back.
 */
int
audit_change(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, uint64_t version, const char *action)
{
	uint8_t buf[8192], *p = buf;
	int is_insert = strcmp(action, "insert") == 0;
	size_t n = is_insert ? 0 : tongxin__change__get_packed_size(c);
	int rc;

	if (n > sizeof buf && (p = malloc(n)) == NULL)
		return -1;
	if (!is_insert)
		tongxin__change__pack(c, p);
	struct sto_audit a = {
		.version = version,
		.at = now_ms(),
		.device_id = who->device_id,
		.operator_name = tx->operator_name[0] ? tx->operator_name : who->operator_name,
		.action = action,
		.table = (int)c->table,
		.row_id = c->row_id,
		.seq = tx->seq,
		.detail = is_insert ? NULL : p,
		.detail_len = n,
	};
	rc = STO(e, audit_put, &a);
	if (p != buf)
		free(p);
	return rc;
}

/*
 * Changes that would break the structure a device stands on, refused for
 * every device: no device deletes, dissolves or re-kinds the organisation
 * at the root of its own scope (its community's row belongs to the street,
 * and without it every device of the community is refused); a transfer is
 * changed only by the side it belongs to (see transfer_guard).
 */
static enum ch_result
structure_guard(const struct store_actor *who, const Tongxin__Change *c, const struct srow *r,
    struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[c->table];

	if (c->table == TBL_TRANSFER)
		return transfer_guard(who, c, r, vd);
	if (c->table != TBL_ORG || strcmp(r->scope, who->scope) != 0)
		return CH_APPLIED;
	snprintf(vd->kind, sizeof vd->kind, "scope");
	if (c->op == TONGXIN__CHANGE__OP__OP_DELETE) {
		reason_set0(&vd->why, R_OWN_ORG_DELETE);
		return CH_REJECTED;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		const char *name = td->cols[c->cols[i]].name;
		if (value_eq(&r->v[c->cols[i]], c->values[i]))
			continue;
		if (strcmp(name, "dissolved") == 0 || strcmp(name, "kind") == 0) {
			char ca[REASON_COL_MAX];
			reason_set(&vd->why, R_OWN_ORG_CHANGE, reason_col(ca, td->name, name));
			return CH_REJECTED;
		}
	}
	return CH_APPLIED;
}

char *
pb_str_dup(const char *t)
{
	char *s;

	if (t == NULL || *t == '\0' || (s = strdup(t)) == NULL)
		return (char *)protobuf_c_empty_string;
	return s;
}

/*
 * The verdict on a row write that clashed with another live row's unique
 * value (STO_UNIQUE), an insert's or an update's alike: a "unique"
 * conflict that keeps the row it clashes with as the server's side
 * (vd->server, vd->server_id), so the administrator sees both. The
 * reason names that row's id only when the device holds it too.
 * CH_CONFLICT, or CH_ERROR when a lookup fails.
 */
static enum ch_result
unique_verdict(struct eng *e, const struct store_actor *who, int t, const char *row_id,
    const struct srow *r, struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[t];
	char ca[REASON_COL_MAX];
	int rc;

	snprintf(vd->kind, sizeof vd->kind, "unique");
	reason_set(&vd->why, R_UNIQUE, td->name);
	for (int k = 0; k < td->ncols; k++) {
		if (!(td->cols[k].flags & COLF_UNIQUE))
			continue;
		if ((rc = STO(e, unique_owner, t, k, &r->v[k], row_id, vd->server_id)) < 0)
			return CH_ERROR;
		if (rc == 0)
			continue;
		if (vd->have_server)
			srow_clear(&vd->server);
		vd->have_server = STO(e, row_load, t, vd->server_id, &vd->server) == 0;
		if (vd->have_server && (in_scope(vd->server.scope, who->scope) ||
		    in_scope(vd->server.scope2, who->scope)))
			reason_set(&vd->why, R_UNIQUE_HERE, reason_col(ca, td->name, td->cols[k].name),
			    r->v[k].kind_case == TONGXIN__VALUE__KIND_S ? r->v[k].s : "",
			    vd->server_id);
		else
			reason_set(&vd->why, R_UNIQUE_ELSEWHERE,
			    reason_col(ca, td->name, td->cols[k].name),
			    r->v[k].kind_case == TONGXIN__VALUE__KIND_S ? r->v[k].s : "");
		break;
	}
	return CH_CONFLICT;
}

enum ch_result
apply_insert(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd)
{
	const struct table_def *td = &schema_tables[c->table];
	struct srow r;
	enum ch_result res;
	enum sto_write wr;
	char to_id[ID_TEXT_LEN + 1], ca[REASON_COL_MAX];

	memset(&r, 0, sizeof r);
	for (size_t i = 0; i < c->n_cols; i++)
		r.v[c->cols[i]] = *c->values[i];   /* borrowed: not cleared below */
	for (int k = 0; k < td->ncols; k++)
		if ((td->cols[k].flags & COLF_REQUIRED) &&
		    r.v[k].kind_case == TONGXIN__VALUE__KIND__NOT_SET) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set(&vd->why, R_REQUIRED, reason_col(ca, td->name, td->cols[k].name));
			return CH_REJECTED;
		}
	if (c->table == TBL_ORG &&
	    r.v[schema_col_index(td, "parent_id")].kind_case != TONGXIN__VALUE__KIND_S) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		reason_set0(&vd->why, R_NEEDS_PARENT);
		return CH_REJECTED;
	}
	if (c->table == TBL_TRANSFER &&
	    (res = transfer_prepare_insert(e, &r, to_id, vd)) != CH_APPLIED)
		return res;
	if (c->table == TBL_SERVICE_REPORT &&
	    (res = service_report_prepare(e, &r, to_id, vd)) != CH_APPLIED)
		return res;
	if (validate_row_reason((int)c->table, r.v, e->today, &vd->why) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		return CH_REJECTED;
	}
	if ((res = row_scopes(e, (int)c->table, r.v, r.scope, r.scope2, vd)) == CH_ERROR)
		return res;
	/*
	 * Scope before anything else: a device learns nothing outside its
	 * subtree. A new row must lie in the device's own organisation; a second
	 * scope (a transfer's receiving side) only lets another office see it.
	 */
	if (res != CH_REJECTED && !in_scope(r.scope, who->scope)) {
		int sc = td->scope_col;
		return refuse_unseen(vd, td, td->cols[sc].name,
		    r.v[sc].kind_case == TONGXIN__VALUE__KIND_S ? r.v[sc].s : "");
	}
	if (res != CH_APPLIED)
		return res;
	if (c->table == TBL_TRANSFER && (res = transfer_check_member(e, who, &r, vd)) != CH_APPLIED)
		return res;
	/* After scope: a device outside the agreement's community learns nothing of units. */
	if (c->table == TBL_AGREEMENT && (res = agreement_prepare(e, &r, to_id, vd)) != CH_APPLIED)
		return res;
	if ((res = check_refs(e, who, (int)c->table, r.v, c->cols, c->n_cols, vd)) != CH_APPLIED)
		return res;
	if ((res = engine_row_rules(e, who, (int)c->table, c->row_id, r.v, NULL, 0, vd)) != CH_APPLIED)
		return res;
	r.version = STO0(e, version_next);
	r.hlc = tx->hlc;
	snprintf(r.device, sizeof r.device, "%s", who->device_id);
	r.echo = e->echo_ok;
	/*
	 * A write that fails writes nothing; its version is handed back here,
	 * as a one-insert transaction has no savepoint to do it (apply_changes).
	 */
	wr = STO(e, row_write, (int)c->table, c->row_id, &r, 1);
	if (wr == STO_DUP_ID || wr == STO_UNIQUE)
		STO(e, version_back, r.version);
	if (wr == STO_DUP_ID) {
		/*
		 * Ids are made unique on the devices: only a broken client repeats
		 * one. Whose row holds it is not said.
		 */
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		reason_set(&vd->why, R_ID_IN_USE, td->name, c->row_id);
		return CH_REJECTED;
	}
	if (wr == STO_UNIQUE)
		return unique_verdict(e, who, (int)c->table, c->row_id, &r, vd);
	if (wr != STO_WRITTEN)
		return CH_ERROR;
	if (audit_change(e, who, tx, c, r.version, "insert") != 0 ||
	    share_follow(e, who, (int)c->table, c->row_id, &r) != 0)
		return CH_ERROR;
	vd->version = r.version;
	return CH_APPLIED;
}

enum ch_result
apply_update(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd, struct lww_note *note, int force)
{
	const struct table_def *td = &schema_tables[c->table];
	struct srow r;
	enum ch_result res = CH_APPLIED;
	char new_scope[SCOPE_MAX], new_scope2[SCOPE_MAX];
	int scope_changed = 0, undeleted = 0;
	enum sto_write wr;
	char oldv[128], newv[128], ca[REASON_COL_MAX];
	/* The columns this change really sets: the audit records only those. */
	uint32_t acols[MAX_COLS];
	Tongxin__Value *avals[MAX_COLS], *abefore[MAX_COLS];
	Tongxin__Value before_copy[MAX_COLS];
	size_t napplied = 0;

	if (STO(e, row_load, (int)c->table, c->row_id, &r) != 0)
		return CH_ERROR;
	if (!r.exists)
		return refuse_unseen(vd, td, NULL, c->row_id);
	if (!in_scope(r.scope, who->scope) && !in_scope(r.scope2, who->scope)) {
		int seen, moved;
		if ((res = refuse_read_only(e, who, td, (int)c->table, c->row_id, &r, vd, &seen)) !=
		    CH_APPLIED)
			goto out;
		/*
		 * A shared table's rows never move (their scope is immutable): an
		 * eviction there is a share that ended, not a transfer.
		 */
		moved = schema_shared((int)c->table) ? 0 :
		    row_left_scope(e, (int)c->table, c->row_id, who->scope, &vd->why);
		if (moved < 0) {
			res = CH_ERROR;
			goto out;
		}
		if (moved) {
			/* Edited here after it moved away: both sides are kept for the street. */
			snprintf(vd->kind, sizeof vd->kind, "transferred");
			res = CH_CONFLICT;
			goto keep;
		}
		res = refuse_unseen(vd, td, NULL, c->row_id);
		goto out;
	}
	if ((res = structure_guard(who, c, &r, vd)) != CH_APPLIED)
		goto out;
	if (r.deleted && force) {
		r.deleted = 0;   /* an administrator took the update over the delete */
		undeleted = 1;
	} else if (r.deleted) {
		snprintf(vd->kind, sizeof vd->kind, "update_deleted");
		reason_set(&vd->why, R_DELETED_ON_SERVER, td->name, c->row_id);
		res = CH_CONFLICT;
		goto keep;
	}
	for (size_t i = 0; i < c->n_cols; i++) {
		uint32_t k = c->cols[i];
		const struct col_def *cd = &td->cols[k];
		Tongxin__Value *cur = &r.v[k];
		if (value_eq(cur, c->values[i]))
			continue;                   /* already that value */
		if (cd->merge == MERGE_IMMUTABLE) {
			snprintf(vd->kind, sizeof vd->kind, "invalid");
			reason_set(&vd->why, R_IMMUTABLE, reason_col(ca, td->name, cd->name));
			res = CH_REJECTED;
			goto out;
		}
		if (!force && !value_eq(cur, c->before[i])) {
			if (cd->merge == MERGE_NEWER_WINS) {
				note->table = (int)c->table;
				snprintf(note->row_id, sizeof note->row_id, "%s", c->row_id);
				reason_set(&note->why, tx->hlc > r.hlc ? R_NEWER_OFFICE : R_NEWER_SERVER,
				    reason_col(ca, td->name, cd->name), value_str(cur, oldv, sizeof oldv),
				    value_str(c->values[i], newv, sizeof newv));
				if (tx->hlc <= r.hlc)
					continue;   /* the server's value is newer: keep it */
				if (strcmp(r.device, who->device_id) != 0)
					snprintf(note->loser, sizeof note->loser, "%s", r.device);
			} else if (res == CH_APPLIED) {
				snprintf(vd->kind, sizeof vd->kind, "same_field");
				reason_set(&vd->why, R_SAME_FIELD, reason_col(ca, td->name, cd->name),
				    value_str(cur, oldv, sizeof oldv),
				    value_str(c->before[i], newv, sizeof newv));
				res = CH_CONFLICT;
				continue;  /* look on for rejections */
			} else {
				continue;
			}
		}
		/* Remember what the server held, for the audit. */
		before_copy[napplied] = *cur;
		tongxin__value__init(cur);
		if (value_copy(cur, c->values[i]) != 0) {
			*cur = before_copy[napplied];
			res = CH_ERROR;
			goto out;
		}
		acols[napplied] = k;
		avals[napplied] = c->values[i];
		abefore[napplied] = &before_copy[napplied];
		napplied++;
		if ((int)k == td->scope_col || (int)k == td->scope2_col)
			scope_changed = 1;
	}
	if (res == CH_APPLIED && napplied == 0 && !undeleted) {
		/* Nothing to write: every value was already there, or the server's was newer. */
		goto out;
	}
	if (res == CH_CONFLICT)
		goto keep;
	if (scope_changed) {
		res = row_scopes(e, (int)c->table, r.v, new_scope, new_scope2, vd);
		if (res == CH_APPLIED && !in_scope(new_scope, who->scope) &&
		    !in_scope(new_scope2, who->scope)) {
			snprintf(vd->kind, sizeof vd->kind, "scope");
			reason_set(&vd->why, R_MOVE_OUT, td->name);
			res = CH_REJECTED;
		}
		if (res != CH_APPLIED)
			goto keep;
	}
	if ((res = check_refs(e, who, (int)c->table, r.v, c->cols, c->n_cols, vd)) != CH_APPLIED)
		goto keep;
	if (validate_row_reason((int)c->table, r.v, e->today, &vd->why) != 0) {
		snprintf(vd->kind, sizeof vd->kind, "invalid");
		res = CH_REJECTED;
		goto out;
	}
	/* Brought back from deletion, the whole row is new again: check every column. */
	if ((res = engine_row_rules(e, who, (int)c->table, c->row_id, r.v, undeleted ? NULL : acols,
	    napplied, vd)) != CH_APPLIED)
		goto out;
	if (c->table == TBL_TRANSFER) {
		struct srow old;
		if (STO(e, row_load, TBL_TRANSFER, c->row_id, &old) != 0) {
			res = CH_ERROR;
			goto out;
		}
		res = transfer_on_update(e, who, tx, &old, &r, vd);
		/*
		 * What the decision changed besides the change's columns (the
		 * member's name leaves with him) is audited with them.
		 */
		for (int k = 0; res == CH_APPLIED && k < td->ncols; k++) {
			bool listed = false;
			for (size_t i = 0; i < napplied && !listed; i++)
				listed = acols[i] == (uint32_t)k;
			if (listed || value_eq(&old.v[k], &r.v[k]))
				continue;
			before_copy[napplied] = old.v[k];      /* taken from old */
			tongxin__value__init(&old.v[k]);
			acols[napplied] = (uint32_t)k;
			avals[napplied] = &r.v[k];
			abefore[napplied] = &before_copy[napplied];
			napplied++;
		}
		srow_clear(&old);
		if (res != CH_APPLIED)
			goto keep;
	}
	res = (c->base_version != 0 && r.version > c->base_version &&
	    strcmp(r.device, who->device_id) != 0) ? CH_MERGED : CH_APPLIED;
	r.version = STO0(e, version_next);
	if (tx->hlc > r.hlc)
		r.hlc = tx->hlc;
	snprintf(r.device, sizeof r.device, "%s", who->device_id);
	if (scope_changed) {
		if (strcmp(new_scope, r.scope) != 0 &&
		    STO(e, evict_put, r.version, (int)c->table, c->row_id, r.scope, new_scope) != 0) {
			res = CH_ERROR;
			goto out;
		}
		snprintf(r.scope, sizeof r.scope, "%s", new_scope);
		snprintf(r.scope2, sizeof r.scope2, "%s", new_scope2);
	}
	r.echo = e->echo_ok;
	wr = STO(e, row_write, (int)c->table, c->row_id, &r, 0);
	if (wr == STO_UNIQUE) {
		/* Both sides: the row it clashes with, else (none found) its own. */
		res = unique_verdict(e, who, (int)c->table, c->row_id, &r, vd);
		if (res == CH_CONFLICT)
			goto keep;
		goto out;
	}
	if (wr != STO_WRITTEN) {
		res = CH_ERROR;
		goto out;
	}
	{
		Tongxin__Change ac = *c;
		ac.cols = acols;
		ac.n_cols = napplied;
		ac.values = avals;
		ac.n_values = napplied;
		ac.before = abefore;
		ac.n_before = napplied;
		if (audit_change(e, who, tx, &ac, r.version, undeleted ? "restore" : "update") != 0 ||
		    (undeleted && share_follow(e, who, (int)c->table, c->row_id, &r) != 0))
			res = CH_ERROR;
	}
	goto out;
keep:
	/* Conflicts keep the server's row for the record. */
	if (res == CH_CONFLICT && !vd->have_server) {
		srow_clear(&r);
		for (size_t i = 0; i < napplied; i++)
			value_clear(&before_copy[i]);
		vd->have_server = STO(e, row_load, (int)c->table, c->row_id, &vd->server) == 0;
		return res;
	}
out:
	srow_clear(&r);
	for (size_t i = 0; i < napplied; i++)
		value_clear(&before_copy[i]);
	return res;
}

enum ch_result
apply_delete(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, struct txn_verdict *vd, int force)
{
	const struct table_def *td = &schema_tables[c->table];
	struct srow r;
	enum ch_result res = CH_APPLIED;
	char a[128], b[128], ca[REASON_COL_MAX];

	if (STO(e, row_load, (int)c->table, c->row_id, &r) != 0)
		return CH_ERROR;
	if (!r.exists)
		return refuse_unseen(vd, td, NULL, c->row_id);
	if (!in_scope(r.scope, who->scope) && !in_scope(r.scope2, who->scope)) {
		int seen, moved;
		if ((res = refuse_read_only(e, who, td, (int)c->table, c->row_id, &r, vd, &seen)) !=
		    CH_APPLIED)
			goto out;
		/*
		 * A shared table's rows never move (their scope is immutable): an
		 * eviction there is a share that ended, not a transfer.
		 */
		moved = schema_shared((int)c->table) ? 0 :
		    row_left_scope(e, (int)c->table, c->row_id, who->scope, &vd->why);
		if (moved > 0) {
			snprintf(vd->kind, sizeof vd->kind, "transferred");
			vd->have_server = STO(e, row_load, (int)c->table, c->row_id, &vd->server) == 0;
			res = CH_CONFLICT;
			goto out;
		}
		res = moved < 0 ? CH_ERROR : refuse_unseen(vd, td, NULL, c->row_id);
		goto out;
	}
	if ((res = structure_guard(who, c, &r, vd)) != CH_APPLIED)
		goto out;
	if (r.deleted)
		goto out;   /* both sides deleted it: they agree */
	for (size_t i = 0; i < c->n_cols && !force; i++) {
		if (!value_eq(&r.v[c->cols[i]], c->before[i])) {
			snprintf(vd->kind, sizeof vd->kind, "delete_updated");
			reason_set(&vd->why, R_DELETE_UPDATED, td->name, c->row_id,
			    reason_col(ca, td->name, td->cols[c->cols[i]].name),
			    value_str(&r.v[c->cols[i]], a, sizeof a), value_str(c->before[i], b, sizeof b));
			vd->have_server = STO(e, row_load, (int)c->table, c->row_id, &vd->server) == 0;
			res = CH_CONFLICT;
			goto out;
		}
	}
	r.deleted = 1;
	r.version = STO0(e, version_next);
	if (tx->hlc > r.hlc)
		r.hlc = tx->hlc;
	snprintf(r.device, sizeof r.device, "%s", who->device_id);
	r.echo = e->echo_ok;
	if (STO(e, row_write, (int)c->table, c->row_id, &r, 0) != STO_WRITTEN)
		res = CH_ERROR;
	else if (audit_change(e, who, tx, c, r.version, "delete") != 0 ||
	    share_follow(e, who, (int)c->table, c->row_id, &r) != 0) {
		res = CH_ERROR;
	}
out:
	srow_clear(&r);
	return res;
}

/*
 * Build a Row message with the server's current state of (t, id). A row
 * outside scope (when scope is not NULL) is sent as deleted: a device never
 * learns the contents of rows outside its subtree. NULL on OOM.
 */
Tongxin__Row *
row_message(struct eng *e, int t, const char *id, const char *scope)
{
	Tongxin__Row *m = malloc(sizeof *m);
	struct srow r;
	int nc = schema_tables[t].ncols, seen = 1;

	if (m == NULL)
		return NULL;
	tongxin__row__init(m);
	m->table = (uint32_t)t;
	if ((m->row_id = strdup(id)) == NULL || STO(e, row_load, t, id, &r) != 0) {
		tongxin__row__free_unpacked(m, NULL);
		return NULL;
	}
	if (scope != NULL && r.exists && (seen = row_seen(e, t, id, &r, scope)) < 0) {
		srow_clear(&r);
		tongxin__row__free_unpacked(m, NULL);
		return NULL;
	}
	if (scope != NULL && r.exists && seen == 0) {
		/* Outside the device's scope: exactly what a row that never existed looks like. */
		m->deleted = 1;
		srow_clear(&r);
		return m;
	}
	if (!r.exists || r.deleted) {
		m->deleted = 1;
		m->version = r.version;
		srow_clear(&r);
		return m;
	}
	m->version = r.version;
	m->values = calloc((size_t)nc, sizeof *m->values);
	if (m->values == NULL)
		goto oom;
	for (int c = 0; c < nc; c++) {
		if ((m->values[c] = malloc(sizeof **m->values)) == NULL)
			goto oom;
		*m->values[c] = r.v[c];        /* takes the string */
		tongxin__value__init(&r.v[c]);
		m->n_values++;
	}
	return m;
oom:
	srow_clear(&r);
	tongxin__row__free_unpacked(m, NULL);
	return NULL;
}

/* Order change indexes by (table, row id), then by their place in the transaction. */
static int
change_row_cmp(const void *a, const void *b, void *arg)
{
	const Tongxin__Txn *tx = arg;
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const Tongxin__Change *x = tx->changes[ia], *y = tx->changes[ib];
	int c;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if ((c = strcmp(x->row_id, y->row_id)) != 0)
		return c;
	return ia < ib ? -1 : ia > ib;
}

/* Fill res->rows with the current state of every distinct row tx touches. */
static int
result_rows(struct eng *e, const Tongxin__Txn *tx, const char *scope, Tongxin__TxnResult *res,
    const uint64_t *versions)
{
	size_t *order;
	int applied = res->status == TONGXIN__TXN_RESULT__STATUS__APPLIED ||
	    res->status == TONGXIN__TXN_RESULT__STATUS__MERGED;

	if (tx->n_changes == 0)
		return 0;
	if ((res->rows = calloc(tx->n_changes, sizeof *res->rows)) == NULL ||
	    (order = malloc(tx->n_changes * sizeof *order)) == NULL)
		return -1;
	/* Each distinct row once: sort the changes by row, then by position. */
	for (size_t i = 0; i < tx->n_changes; i++)
		order[i] = i;
	qsort_r(order, tx->n_changes, sizeof *order, change_row_cmp, (void *)tx);
	for (size_t i = 0; i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[order[i]];
		size_t j = i, first = order[i];
		int only_insert;
		Tongxin__Row *m;

		if (c->table >= TBL_COUNT || !id_valid(c->row_id))
			continue;
		while (j + 1 < tx->n_changes && tx->changes[order[j + 1]]->table == c->table &&
		    strcmp(tx->changes[order[j + 1]]->row_id, c->row_id) == 0)
			j++;
		/*
		 * An insert applied as sent needs no values back: the device has
		 * them; only the version travels. Not for a re-sent transaction
		 * (others may have changed the row since) nor for rows the server
		 * completes: a transfer (to_org_id), a service report (org_id
		 * from org_code) and an agreement (unit_id from unit_code). The
		 * device then holds exactly the server's row, which is what lets
		 * its pulls leave the row out (_echo).
		 */
		only_insert = i == j && c->op == TONGXIN__CHANGE__OP__OP_INSERT && !res->duplicate &&
		    c->table != TBL_TRANSFER && c->table != TBL_SERVICE_REPORT &&
		    c->table != TBL_AGREEMENT && applied &&
		    versions != NULL && versions[first] != 0;
		i = j;
		if (only_insert) {
			if ((m = malloc(sizeof *m)) == NULL) {
				free(order);
				return -1;
			}
			tongxin__row__init(m);
			m->table = c->table;
			m->version = versions[first];
			m->as_sent = 1;
			res->rows[res->n_rows++] = m;
			if ((m->row_id = strdup(c->row_id)) == NULL) {
				free(order);
				return -1;
			}
			continue;
		}
		if ((res->rows[res->n_rows] = row_message(e, (int)c->table, c->row_id, scope)) == NULL) {
			free(order);
			return -1;
		}
		res->n_rows++;
	}
	free(order);
	return 0;
}

/* Pack a message into a malloc'd buffer. */
uint8_t *
pack_txn(const Tongxin__Txn *tx, size_t *n)
{
	uint8_t *p;
	*n = tongxin__txn__get_packed_size(tx);
	if ((p = malloc(*n ? *n : 1)) != NULL)
		tongxin__txn__pack(tx, p);
	return p;
}

/*
 * Keep a whole transaction in the conflict queue: raw, its bytes as
 * received (NULL: pack tx), so nothing is packed again. digest: the
 * transaction's, kept for a reused sequence (NULL otherwise).
 */
static int
conflict_keep(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, struct txn_verdict *vd, const char *status,
    const char *loser, const uint8_t *digest, char id[ID_TEXT_LEN + 1])
{
	size_t n, rn = 0;
	uint8_t *packed = raw ? NULL : pack_txn(tx, &n), *rblob = NULL;
	Tongxin__Row *row = NULL;
	int rc, decided = strcmp(status, "auto") == 0;
	char en[REASON_TEXT_MAX];

	if (raw)
		n = raw->len;
	if ((raw == NULL && packed == NULL) || id_new(id) != 0) {
		free(packed);
		return -1;
	}
	if (vd->table >= 0 && vd->row_id[0] && vd->have_server) {
		if ((row = row_message(e, vd->table, vd->server_id[0] ? vd->server_id : vd->row_id,
		    NULL)) != NULL) {
			rn = tongxin__row__get_packed_size(row);
			if ((rblob = malloc(rn ? rn : 1)) != NULL)
				tongxin__row__pack(row, rblob);
			tongxin__row__free_unpacked(row, NULL);
		}
	}
	reason_text(&vd->why, REASON_EN, en, sizeof en);
	struct sto_conflict c = {
		.id = id,
		.device_id = who->device_id,
		.seq = tx->seq,
		.operator_name = tx->operator_name[0] ? tx->operator_name : who->operator_name,
		.kind = vd->kind,
		.reason = en,
		.why = &vd->why,
		.table = vd->table,
		.row_id = vd->row_id,
		.txn = raw ? raw->data : packed,
		.txn_len = n,
		.server_row = rblob,
		.server_row_len = rn,
		.hlc = tx->hlc,
		.local_time = tx->local_time_ms,
		.received_at = now_ms(),
		.status = status,
		/* Decided on arrival: the device whose value was replaced hears of it at its pull. */
		.resolution = decided ? "newer_wins" : NULL,
		.resolved_version = decided ? STO0(e, version_next) : 0,
		.loser = decided ? loser : NULL,
		.digest = digest,
	};
	rc = STO(e, conflict_put, &c);
	free(packed);
	free(rblob);
	return rc;
}

int
conflict_record(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, struct txn_verdict *vd, const char *status,
    const char *loser, char id[ID_TEXT_LEN + 1])
{
	return conflict_keep(e, who, tx, raw, vd, status, loser, NULL, id);
}

/*
 * SHA-256 of a transaction's bytes, what "the same transaction" means: the
 * bytes as received (raw), else its packed form (protobuf-c's packing, which
 * is what our clients send: both give the same digest).
 */
static int
txn_digest(const Tongxin__Txn *tx, const ProtobufCBinaryData *raw, uint8_t out[32])
{
	size_t n;
	uint8_t *p;

	if (raw != NULL) {
		SHA256(raw->data, raw->len, out);
		return 0;
	}
	if ((p = pack_txn(tx, &n)) == NULL)
		return -1;
	SHA256(p, n, out);
	free(p);
	return 0;
}

/*
 * The shape of a whole transaction, before anything of it is read or
 * stored: its size, sequence and operator, and every change's table, row
 * id, column indexes, types and sizes. CH_APPLIED when it may go on,
 * CH_REJECTED with vd filled otherwise.
 */
enum ch_result
txn_shape(const Tongxin__Txn *tx, struct txn_verdict *vd)
{
	char n[24];

	snprintf(vd->kind, sizeof vd->kind, "invalid");
	if (tx->seq == 0) {
		reason_set0(&vd->why, R_NO_SEQUENCE);
		return CH_REJECTED;
	}
	if (tx->n_changes == 0 || tx->n_changes > TXN_MAX_CHANGES) {
		reason_set(&vd->why, R_CHANGE_COUNT, reason_num(n, TXN_MAX_CHANGES));
		return CH_REJECTED;
	}
	if (strlen(tx->operator_name) > TXN_OPERATOR_MAX) {
		reason_set(&vd->why, R_OPERATOR_TOO_LONG, reason_num(n, TXN_OPERATOR_MAX));
		return CH_REJECTED;
	}
	for (size_t i = 0; i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[i];
		vd->table = c->table < TBL_COUNT ? (int)c->table : -1;
		snprintf(vd->row_id, sizeof vd->row_id, "%s", id_valid(c->row_id) ? c->row_id : "");
		if (change_shape(c, vd) != CH_APPLIED)
			return CH_REJECTED;
	}
	vd->kind[0] = '\0';
	vd->table = -1;
	vd->row_id[0] = '\0';
	return CH_APPLIED;
}

/*
 * Slots apply_changes needs for tx's newer-wins notes: one per update (at
 * least one). A note is a kilobyte: a bulk insert should not clear one per row.
 */
static size_t
note_slots(const Tongxin__Txn *tx)
{
	size_t n = 0;

	for (size_t i = 0; i < tx->n_changes; i++)
		n += tx->changes[i]->op == TONGXIN__CHANGE__OP__OP_UPDATE;
	return n ? n : 1;
}

/*
 * Run every change of tx (whose shape has been checked) inside the
 * savepoint "txn", opened here and left open: the caller rolls back or
 * releases it. vd gets the verdict of the change that decided the outcome
 * (the first rejection, else the first conflict); notes (note_slots(tx)
 * slots) the newer-wins decisions, counted in *nnotes. CH_ERROR: the
 * savepoint has been rolled back and released, vd holds no server row.
 *
 * *in_sp says whether the savepoint was opened. A transaction of one
 * insert runs without one unless undo (the caller undoes it whatever the
 * outcome): apply_insert decides every refusal and conflict before its one
 * write, a write that fails (the id or a unique value taken) writes nothing
 * on either store, and what follows the write fails only as CH_ERROR, on
 * which the whole push is rolled back. An office's one-row transactions
 * (most of a clerk's day) were a fifth slower for the savepoint: its page
 * copies, allocations and statements.
 */
static enum ch_result
apply_changes(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    struct txn_verdict *vd, struct lww_note *notes, size_t *nnotes, int undo, int *in_sp)
{
	enum ch_result outcome = CH_APPLIED;

	if (e->vers_cap < tx->n_changes) {
		uint64_t *v = realloc(e->vers, tx->n_changes * sizeof *v);
		if (v == NULL)
			return CH_ERROR;
		e->vers = v;
		e->vers_cap = tx->n_changes;
	}
	memset(e->vers, 0, tx->n_changes * sizeof *e->vers);
	*in_sp = undo || tx->n_changes != 1 || tx->changes[0]->op != TONGXIN__CHANGE__OP__OP_INSERT;
	if (*in_sp && STO0(e, sp_begin) != 0)
		return CH_ERROR;
	for (size_t i = 0; outcome != CH_REJECTED && i < tx->n_changes; i++) {
		const Tongxin__Change *c = tx->changes[i];
		enum ch_result r;
		struct txn_verdict v1;

		memset(&v1, 0, sizeof v1);
		v1.table = (int)c->table;
		snprintf(v1.row_id, sizeof v1.row_id, "%.36s", c->row_id);
		switch (c->op) {
		case TONGXIN__CHANGE__OP__OP_INSERT:
			r = apply_insert(e, who, tx, c, &v1);
			e->vers[i] = v1.version;
			break;
		case TONGXIN__CHANGE__OP__OP_UPDATE:
			r = apply_update(e, who, tx, c, &v1, &notes[*nnotes], 0);
			if (notes[*nnotes].why.code != R_NONE)
				(*nnotes)++;
			break;
		case TONGXIN__CHANGE__OP__OP_DELETE:
			r = apply_delete(e, who, tx, c, &v1, 0);
			break;
		default:
			snprintf(v1.kind, sizeof v1.kind, "invalid");
			{
				char n[24];
				reason_set(&v1.why, R_UNKNOWN_OP, reason_num(n, (int)c->op));
			}
			r = CH_REJECTED;
		}
		if (r == CH_ERROR) {
			if (v1.have_server)
				srow_clear(&v1.server);
			if (vd->have_server)
				srow_clear(&vd->server);
			vd->have_server = 0;
			if (*in_sp) {
				STO0(e, sp_rollback);
				STO0(e, sp_release);
			}
			return CH_ERROR;
		}
		if (r == CH_MERGED && outcome == CH_APPLIED)
			outcome = CH_MERGED;
		if ((r == CH_CONFLICT && outcome != CH_CONFLICT) || r == CH_REJECTED) {
			if (vd->have_server)
				srow_clear(&vd->server);
			*vd = v1;
			outcome = r;
		} else if (v1.have_server) {
			srow_clear(&v1.server);
		}
	}
	return outcome;
}

/*
 * Whether device has as many open conflicts as the queue takes from one
 * device: an office cannot fill the street's queue. -1 on error.
 */
int
conflict_queue_full(struct eng *e, const char *device_id)
{
	int64_t n;

	if (STO(e, conflict_open_count, device_id, &n) != 0)
		return -1;
	return n >= e->max_open_conflicts;
}

/* Turn a conflict the queue cannot take into a rejection (kept whole in txn_log). */
static void
queue_full_verdict(struct eng *e, struct txn_verdict *vd)
{
	if (vd->have_server)
		srow_clear(&vd->server);
	vd->have_server = 0;
	char n[24];

	snprintf(vd->kind, sizeof vd->kind, "queue_full");
	reason_set(&vd->why, R_QUEUE_FULL, reason_num(n, (long long)e->max_open_conflicts));
}

/*
 * A transaction whose (device, seq) key the server knows with other
 * contents (a replica restored from a backup, or a credential used on two
 * computers). Its key is taken in txn_log, so it is kept whole in the
 * conflict table under kind "reused_seq" (once: a re-send finds it by its
 * digest and gets the same answer). It is judged like any push - shape,
 * then scope and the domain rules in a savepoint that is always rolled
 * back: a transaction the judgement refuses is kept with status
 * "rejected" and its reason, and answered REJECTED (nothing lost,
 * PRODUCT.md invariant 2); any other waits in the queue ("open") for the
 * street to settle.
 */
static int
reused_seq(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, const uint8_t digest[32], Tongxin__TxnResult *res)
{
	struct txn_verdict vd;
	struct sto_logged kept;
	enum ch_result outcome;
	char cid[ID_TEXT_LEN + 1] = "", n[24];
	int rc, shaped;

	if ((rc = STO(e, reused_find, who->device_id, tx->seq, digest, &kept)) < 0)
		return -1;
	if (rc == 1) {
		/* A re-send: the answer it had. */
		res->duplicate = 1;
		res->status = (Tongxin__TxnResult__Status)kept.status;
		if (kept.why.code == 0)
			reason_set(&kept.why, R_REUSED_SEQ, reason_num(n, (long long)tx->seq));
		if (result_set_reason(res, &kept.why) != 0 || (res->status ==
		    TONGXIN__TXN_RESULT__STATUS__CONFLICT &&
		    (res->conflict_id = strdup(kept.conflict_id)) == NULL))
			return -1;
		return result_rows(e, tx, who->scope, res, NULL);
	}
	memset(&vd, 0, sizeof vd);
	vd.table = -1;
	outcome = txn_shape(tx, &vd);
	shaped = outcome == CH_APPLIED;
	if (shaped) {
		struct lww_note *notes = calloc(note_slots(tx), sizeof *notes);
		size_t nnotes = 0;
		int in_sp;
		if (notes == NULL)
			return -1;
		outcome = apply_changes(e, who, tx, &vd, notes, &nnotes, 1, &in_sp);
		free(notes);
		if (outcome == CH_ERROR)
			return -1;
		/* Judged only: what it wrote, and the versions it took, are undone. */
		if (STO0(e, sp_rollback) != 0 || STO0(e, sp_release) != 0) {
			if (vd.have_server)
				srow_clear(&vd.server);
			return -1;
		}
	}
	if (vd.have_server)
		srow_clear(&vd.server);
	if (outcome != CH_REJECTED && (rc = conflict_queue_full(e, who->device_id)) != 0) {
		if (rc < 0)
			return -1;
		queue_full_verdict(e, &vd);
		outcome = CH_REJECTED;
	}
	if (outcome != CH_REJECTED) {
		memset(&vd, 0, sizeof vd);
		reason_set(&vd.why, R_REUSED_SEQ, reason_num(n, (long long)tx->seq));
	}
	vd.have_server = 0;
	vd.server_id[0] = '\0';
	/* The row it names, when its shape says it names one (a malformed one may name none). */
	vd.table = shaped ? (int)tx->changes[0]->table : -1;
	snprintf(vd.row_id, sizeof vd.row_id, "%s", shaped ? tx->changes[0]->row_id : "");
	snprintf(vd.kind, sizeof vd.kind, "reused_seq");
	if (conflict_keep(e, who, tx, raw, &vd, outcome == CH_REJECTED ? "rejected" : "open", NULL,
	    digest, cid) != 0)
		return -1;
	res->status = outcome == CH_REJECTED ? TONGXIN__TXN_RESULT__STATUS__REJECTED :
	    TONGXIN__TXN_RESULT__STATUS__CONFLICT;
	/* A refusal names no conflict: the record is the street's, not a queue entry. */
	if (result_set_reason(res, &vd.why) != 0 || (outcome != CH_REJECTED &&
	    (res->conflict_id = strdup(cid)) == NULL))
		return -1;
	return result_rows(e, tx, who->scope, res, NULL);
}

/*
 * The latest HLC the server takes from a device: a few minutes past its
 * own wall clock. A device whose clock runs far ahead (or a forged
 * timestamp near 2^64) would otherwise win every newer-wins clash for ever
 * and overflow the signed column it is stored in.
 */
static uint64_t
hlc_ceiling(void)
{
	return (uint64_t)(now_ms() + HLC_AHEAD_MAX_MS) << 16 | 0xffff;
}

/*
 * Apply one transaction inside its own savepoint; fill res. raw: its bytes
 * as received, or NULL. -1: abort the batch.
 */
static int
apply_txn(struct eng *e, const struct store_actor *who, const Tongxin__Txn *txin,
    const ProtobufCBinaryData *raw, Tongxin__TxnResult *res)
{
	struct txn_verdict vd;
	struct lww_note *notes = NULL;
	size_t nnotes = 0;
	enum ch_result outcome;
	char cid[ID_TEXT_LEN + 1] = "";
	int rc;
	uint8_t *blob = NULL;
	size_t blen = 0;
	uint8_t digest[32];
	struct sto_logged logged;
	Tongxin__Txn txc = *txin, *tx = &txc;   /* a shallow copy whose hlc may be clamped */

	res->seq = tx->seq;
	if (txn_digest(tx, raw, digest) != 0)
		return -1;
	/*
	 * Idempotency: a transaction the server already knows is acknowledged
	 * again. One above every sequence of the device is new (no lookup).
	 */
	if (tx->seq > e->push_seq_max && tx->seq <= INT64_MAX)
		rc = 0;
	else if ((rc = STO(e, txn_find, who->device_id, tx->seq, &logged)) < 0)
		return -1;
	if (rc == 1 && logged.has_digest && memcmp(logged.digest, digest, sizeof digest) != 0) {
		/*
		 * The same key for different contents: a replica restored from an
		 * old backup has reused a sequence. Not a duplicate; kept whole.
		 */
		return reused_seq(e, who, tx, raw, digest, res);
	}
	if (rc == 1) {
		res->status = (Tongxin__TxnResult__Status)logged.status;
		res->duplicate = 1;
		/* The same answer as the first time: the code and its arguments too. */
		if (logged.why.code != R_NONE && reason_args_copy(&logged.why, &res->reason_code,
		    &res->reason_args, &res->n_reason_args) != 0)
			return -1;
		if (logged.has_reason && (res->reason = strdup(logged.reason)) == NULL)
			return -1;
		if (logged.conflict_id[0] && (res->conflict_id = strdup(logged.conflict_id)) == NULL)
			return -1;
		return result_rows(e, tx, who->scope, res, NULL);
	}

	memset(&vd, 0, sizeof vd);
	vd.table = -1;
	if (tx->hlc > hlc_ceiling()) {
		log_warnx("store: device %s: transaction %llu carries a clock far in the future; "
		    "taken as now", who->device_name ? who->device_name : who->device_id,
		    (unsigned long long)tx->seq);
		tx->hlc = e->hlc;
		raw = NULL;   /* what is kept is the transaction as taken, packed again */
	}
	if ((outcome = txn_shape(tx, &vd)) == CH_APPLIED) {
		if ((notes = calloc(note_slots(tx), sizeof *notes)) == NULL)
			return -1;
		int in_sp;
		e->echo_ok = 1;   /* this push's own rows: their writers hear of them in the result */
		outcome = apply_changes(e, who, tx, &vd, notes, &nnotes, 0, &in_sp);
		e->echo_ok = 0;
		if (outcome == CH_ERROR)
			goto fail;
		/* Without the savepoint a refusal or a conflict has written nothing. */
		if (in_sp && (outcome == CH_CONFLICT || outcome == CH_REJECTED)) {
			if (STO0(e, sp_rollback) != 0)
				goto fail;
		}
		if (in_sp && STO0(e, sp_release) != 0)
			goto fail;
	}
	if (outcome == CH_CONFLICT) {
		if ((rc = conflict_queue_full(e, who->device_id)) < 0)
			goto fail;
		if (rc) {
			queue_full_verdict(e, &vd);
			outcome = CH_REJECTED;
		} else if (conflict_record(e, who, tx, raw, &vd, "open", NULL, cid) != 0) {
			goto fail;
		}
	} else if (outcome != CH_REJECTED) {
		/* Newer-wins clashes are decided, and recorded as settled conflicts. */
		for (size_t i = 0; i < nnotes; i++) {
			struct txn_verdict nv;
			char nid[ID_TEXT_LEN + 1];
			memset(&nv, 0, sizeof nv);
			nv.table = notes[i].table;
			snprintf(nv.row_id, sizeof nv.row_id, "%s", notes[i].row_id);
			snprintf(nv.kind, sizeof nv.kind, "newer_wins");
			nv.why = notes[i].why;
			if (conflict_record(e, who, tx, raw, &nv, "auto", notes[i].loser, nid) != 0)
				goto fail;
			/* The clerk is told too: the txn's reason carries the decision. */
			if (i == 0)
				vd.why = notes[i].why;
		}
		if (nnotes > 1) {
			char n[24];
			reason_set(&vd.why, R_NEWER_SEVERAL, notes[0].why.args[0],
			    reason_num(n, (long long)nnotes));
		}
	}
	free(notes);
	notes = NULL;
	if (vd.have_server)
		srow_clear(&vd.server);

	switch (outcome) {
	case CH_APPLIED: res->status = TONGXIN__TXN_RESULT__STATUS__APPLIED; break;
	case CH_MERGED: res->status = TONGXIN__TXN_RESULT__STATUS__MERGED; break;
	case CH_CONFLICT: res->status = TONGXIN__TXN_RESULT__STATUS__CONFLICT; break;
	default: res->status = TONGXIN__TXN_RESULT__STATUS__REJECTED; break;
	}
	if (vd.why.code != R_NONE && result_set_reason(res, &vd.why) != 0)
		return -1;
	if (vd.why.code != R_NONE && outcome != CH_APPLIED && outcome != CH_MERGED)
		log_info("store: device %s: transaction %llu %s: %s",
		    who->device_name ? who->device_name : who->device_id, (unsigned long long)tx->seq,
		    outcome == CH_CONFLICT ? "queued as a conflict" : "rejected", res->reason);
	if (outcome == CH_REJECTED && raw == NULL) {
		if ((blob = pack_txn(tx, &blen)) == NULL)
			return -1;
	}
	if (cid[0] && (res->conflict_id = strdup(cid)) == NULL) {
		free(blob);
		return -1;
	}
	{
		struct sto_txnlog rec = {
			.device_id = who->device_id,
			.seq = tx->seq,
			.status = (int)res->status,
			.reason = res->reason,
			.why = &vd.why,
			.conflict_id = cid,
			.received_at = now_ms(),
			.hlc = tx->hlc,
			.digest = digest,
		};
		/* Rejected transactions are kept whole too: nothing a clerk entered is dropped. */
		if (outcome == CH_REJECTED && raw != NULL) {
			rec.txn = raw->data;
			rec.txn_len = raw->len;
		} else if (blob) {
			rec.txn = blob;
			rec.txn_len = blen;
		}
		rc = STO(e, txn_put, &rec);
	}
	free(blob);
	if (rc != 0)
		return -1;
	if (tx->seq > e->push_seq_max)
		e->push_seq_max = tx->seq;
	return result_rows(e, tx, who->scope, res,
	    outcome == CH_APPLIED || outcome == CH_MERGED ? e->vers : NULL);
fail:
	free(notes);
	if (vd.have_server)
		srow_clear(&vd.server);
	return -1;
}

int
engine_push(struct eng *e, const struct store_actor *who, const Tongxin__PushRequest *req,
    const ProtobufCBinaryData *raw, Tongxin__PushResponse **out, char *err, size_t errlen)
{
	Tongxin__PushResponse *resp;
	uint64_t seq_max;

	*out = NULL;
	if (req->n_txns > PUSH_MAX_TXNS) {
		snprintf(err, errlen, "a push may carry at most %d transactions", PUSH_MAX_TXNS);
		return -1;
	}
	if ((resp = malloc(sizeof *resp)) == NULL)
		goto oom;
	tongxin__push_response__init(resp);
	if (req->n_txns && (resp->results = calloc(req->n_txns, sizeof *resp->results)) == NULL)
		goto oom;
	for (size_t i = 0; i < req->n_txns; i++) {
		if (req->txns[i]->hlc > e->hlc && req->txns[i]->hlc <= hlc_ceiling())
			e->hlc = hlc_recv(e->hlc, req->txns[i]->hlc);
	}
	today_str(e->today);
	if (STO(e, begin, err, errlen) != 0)
		goto fail;
	/* The device's highest logged sequence: nothing else writes txn_log till we commit. */
	if (STO(e, txn_seq_max, who->device_id, &seq_max) != 0)
		goto rollback;
	/* Only sequences past INT64_MAX: look every one up. */
	e->push_seq_max = seq_max > INT64_MAX ? UINT64_MAX : seq_max;
	for (size_t i = 0; i < req->n_txns; i++) {
		Tongxin__TxnResult *r = malloc(sizeof *r);
		if (r == NULL)
			goto rollback;
		tongxin__txn_result__init(r);
		resp->results[resp->n_results++] = r;
		if (apply_txn(e, who, req->txns[i], raw ? &raw[i] : NULL, r) != 0) {
			snprintf(err, errlen, "cannot apply transaction %llu: %s",
			    (unsigned long long)req->txns[i]->seq, STO0(e, errmsg));
			goto rollback;
		}
	}
	e->push_seq_max = UINT64_MAX;
	if (STO(e, commit, err, errlen) != 0)
		goto rollback;
	*out = resp;
	return 0;
rollback:
	e->push_seq_max = UINT64_MAX;
	STO0(e, rollback);
fail:
	if (resp)
		tongxin__push_response__free_unpacked(resp, NULL);
	if (err[0] == '\0')
		snprintf(err, errlen, "internal error");
	return -1;
oom:
	if (resp)
		tongxin__push_response__free_unpacked(resp, NULL);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int
row_left_scope(struct eng *e, int t, const char *id, const char *scope, struct reason *why)
{
	int rc = STO(e, evict_find, t, id, scope);

	/* Where it went is none of this device's business. */
	if (rc == 1)
		reason_set(why, R_TRANSFERRED_OUT, schema_tables[t].name, id);
	return rc;
}
