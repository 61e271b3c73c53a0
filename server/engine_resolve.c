/*
 * engine_resolve.c - an administrator settles a queued conflict: keep the
 * server's values (no data changes), take the office's transaction, or
 * take it with merged values. The office's transaction is applied as the
 * office could have applied it - its shape checked again and its scope the
 * office's, not the administrator's - and every change it makes gets a new
 * version, so it reaches every replica in scope. The decision is audited.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "ids.h"
#include "validate.h"
#include "value.h"


static void
render_value(const Tongxin__Value *v, char *buf, size_t cap)
{
	value_str(v, buf, cap);
}

/*
 * The office's transaction with the administrator's merged values laid over
 * the conflicted row's change. Returns a new Txn (free_unpacked) or NULL.
 */
static Tongxin__Txn *
merged_txn(const Tongxin__ConflictInfo *ci, const Tongxin__ConflictResolveRequest *req,
    char *err, size_t errlen)
{
	const struct table_def *td = &schema_tables[ci->table];
	uint8_t *buf;
	size_t n = tongxin__txn__get_packed_size(ci->txn);
	Tongxin__Txn *tx;
	int found = 0;

	/* A deep copy through the wire format: simple and certainly independent. */
	if ((buf = malloc(n ? n : 1)) == NULL)
		return NULL;
	tongxin__txn__pack(ci->txn, buf);
	tx = tongxin__txn__unpack(NULL, n, buf);
	free(buf);
	/*
	 * Its values are cleared and refilled below and by the caller: fields
	 * of a Value this version does not know (an office's data) go now.
	 */
	for (size_t i = 0; tx != NULL && i < tx->n_changes; i++) {
		for (size_t k = 0; k < tx->changes[i]->n_values; k++)
			value_drop_unknown(tx->changes[i]->values[k]);
		for (size_t k = 0; k < tx->changes[i]->n_before; k++)
			value_drop_unknown(tx->changes[i]->before[k]);
	}
	if (tx == NULL || req->decision != TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__SET)
		return tx;
	if (req->n_cols == 0 || req->n_cols != req->n_values) {
		snprintf(err, errlen, "--set needs at least one COLUMN=VALUE");
		goto fail;
	}
	for (size_t i = 0; i < tx->n_changes; i++) {
		Tongxin__Change *c = tx->changes[i];
		if (c->table != ci->table || strcmp(c->row_id, ci->row_id) != 0)
			continue;
		if (c->op == TONGXIN__CHANGE__OP__OP_DELETE) {
			snprintf(err, errlen, "the office deleted this row; settle it with --keep-server "
			    "or --take-office");
			goto fail;
		}
		found = 1;
		for (size_t k = 0; k < req->n_cols; k++) {
			size_t j;
			char why[256];
			if (req->cols[k] >= (uint32_t)td->ncols) {
				snprintf(err, errlen, "%s has no column %u", td->name, req->cols[k]);
				goto fail;
			}
			if (validate_value(&td->cols[req->cols[k]], req->values[k], why, sizeof why) != 0) {
				snprintf(err, errlen, "%s", why);
				goto fail;
			}
			for (j = 0; j < c->n_cols && c->cols[j] != req->cols[k]; j++)
				;
			if (j == c->n_cols) {
				/* A column the office did not touch: add it to the change. */
				uint32_t *nc = realloc(c->cols, (c->n_cols + 1) * sizeof *nc);
				Tongxin__Value **nv = nc ? realloc(c->values, (c->n_values + 1) * sizeof *nv) : NULL;
				Tongxin__Value **nb = nv ? realloc(c->before, (c->n_before + 1) * sizeof *nb) : NULL;
				if (nc) c->cols = nc;
				if (nv) c->values = nv;
				if (nb) c->before = nb;
				if (!nc || !nv || !nb)
					goto oom;
				c->cols[c->n_cols++] = req->cols[k];
				if ((c->values[c->n_values] = calloc(1, sizeof **c->values)) == NULL)
					goto oom;
				tongxin__value__init(c->values[c->n_values++]);
				if (c->op != TONGXIN__CHANGE__OP__OP_INSERT) {
					if ((c->before[c->n_before] = calloc(1, sizeof **c->before)) == NULL)
						goto oom;
					tongxin__value__init(c->before[c->n_before++]);
				}
			}
			value_clear(c->values[j]);
			if (value_copy(c->values[j], req->values[k]) != 0)
				goto oom;
		}
	}
	if (!found) {
		snprintf(err, errlen, "the conflicted row is not in the office's transaction");
		goto fail;
	}
	return tx;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	tongxin__txn__free_unpacked(tx, NULL);
	return NULL;
}

/* The verdict's reason in English, for an administrator's error message. */
static const char *
en_of(const struct txn_verdict *vd, char en[REASON_TEXT_MAX])
{
	reason_text(&vd->why, REASON_EN, en, REASON_TEXT_MAX);
	return en;
}

/* The verdict's reason in Chinese, what the administrator reads first. */
static const char *
zh_of(const struct txn_verdict *vd, char zh[REASON_TEXT_MAX])
{
	reason_text(&vd->why, REASON_ZH, zh, REASON_TEXT_MAX);
	return zh;
}

int
engine_resolve(struct eng *e, const struct store_actor *admin,
    const Tongxin__ConflictResolveRequest *req, Tongxin__ConflictResolveResponse **out,
    char *err, size_t errlen)
{
	Tongxin__ConflictInfo *ci = NULL;
	Tongxin__ConflictResolveResponse *resp = NULL;
	Tongxin__Txn *tx = NULL;
	uint64_t rv;
	char resolution[1024], detail[1400], office_scope[SCOPE_MAX] = "";
	struct store_actor as_office;   /* the administrator, with the office's scope */
	const char *decision;
	char en[REASON_TEXT_MAX], zh[REASON_TEXT_MAX];
	int rc;

	*out = NULL;
	if (strlen(req->note) > 500) {
		snprintf(err, errlen, "the note is longer than 500 bytes");
		return -1;
	}
	if (STO(e, conflict_get, req->id, &ci, err, errlen) != 0)
		return -1;
	if (strcmp(ci->status, "open") != 0) {
		snprintf(err, errlen, "conflict %s is not open (%s%s%s%s%s)", ci->id, ci->status,
		    ci->resolution[0] ? ": " : "", ci->resolution,
		    ci->resolved_by[0] ? " by " : "", ci->resolved_by);
		goto fail;
	}
	if (ci->txn == NULL) {
		snprintf(err, errlen, "conflict %s: the stored transaction is unreadable", ci->id);
		goto fail;
	}
	switch (req->decision) {
	case TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER:
		decision = "keep_server";
		snprintf(resolution, sizeof resolution, "keep_server");
		break;
	case TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__TAKE_OFFICE:
		decision = "take_office";
		snprintf(resolution, sizeof resolution, "take_office");
		break;
	case TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__SET: {
		size_t l;
		decision = "set";
		l = (size_t)snprintf(resolution, sizeof resolution, "set");
		for (size_t k = 0; k < req->n_cols && k < req->n_values && l < sizeof resolution; k++) {
			char vb[256];
			if (req->cols[k] >= (uint32_t)schema_tables[ci->table].ncols)
				break;
			render_value(req->values[k], vb, sizeof vb);
			l += (size_t)snprintf(resolution + l, sizeof resolution - l, " %s=%s",
			    schema_tables[ci->table].cols[req->cols[k]].name, vb);
		}
		break;
	}
	default:
		snprintf(err, errlen, "unknown decision %d", (int)req->decision);
		goto fail;
	}
	if (req->decision != TONGXIN__CONFLICT_RESOLVE_REQUEST__DECISION__KEEP_SERVER) {
		struct txn_verdict vd;
		/*
		 * The office's transaction is applied as the office could have
		 * applied it: its shape checked again (a queue entry is data from
		 * a device) and its scope the office's, not the administrator's.
		 */
		memset(&vd, 0, sizeof vd);
		if (txn_shape(ci->txn, &vd) != CH_APPLIED) {
			snprintf(err, errlen, "the office's stored transaction is malformed (%s); "
			    "settle it with --keep-server", en_of(&vd, en));
			goto fail;
		}
		if (ci->org_code[0] == '\0' || org_scope_by_code(e, ci->org_code, office_scope,
		    sizeof office_scope) != 1) {
			snprintf(err, errlen, "the organisation of the device that made this change no "
			    "longer exists; settle it with --keep-server");
			goto fail;
		}
		if ((tx = merged_txn(ci, req, err, errlen)) == NULL) {
			if (err[0] == '\0')
				snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* The merged values obey the same rules as anything an office sends. */
		if (txn_shape(tx, &vd) != CH_APPLIED) {
			snprintf(err, errlen, "%s", zh_of(&vd, zh));
			goto fail;
		}
	}
	as_office = *admin;
	as_office.scope = office_scope;
	today_str(e->today);
	if (STO(e, begin, err, errlen) != 0)
		goto fail;
	if (tx != NULL) {
		/* The office's transaction, applied over the server's values, as the admin. */
		e->hlc = hlc_next(e->hlc);
		tx->hlc = e->hlc;
		/* The administrator makes these changes: the audit names them, not the clerk. */
		{
			char *op = strdup(admin->operator_name ? admin->operator_name : "");
			if (op == NULL) {
				snprintf(err, errlen, "out of memory");
				goto rollback;
			}
			if (tx->operator_name != protobuf_c_empty_string)
				free(tx->operator_name);
			tx->operator_name = op;
		}
		for (size_t i = 0; i < tx->n_changes; i++) {
			const Tongxin__Change *c = tx->changes[i];
			struct txn_verdict vd;
			struct lww_note note;
			enum ch_result r;

			memset(&vd, 0, sizeof vd);
			memset(&note, 0, sizeof note);
			if (c->table >= TBL_COUNT) {
				snprintf(err, errlen, "the office's transaction names an unknown table");
				goto rollback;
			}
			/* The audit should show what the server held, not the office's old base. */
			if (c->op == TONGXIN__CHANGE__OP__OP_UPDATE) {
				struct srow cur;
				if (STO(e, row_load, (int)c->table, c->row_id, &cur) != 0)
					goto dberr;
				for (size_t k = 0; cur.exists && k < c->n_cols && k < c->n_before; k++) {
					value_clear(c->before[k]);
					if (value_copy(c->before[k], &cur.v[c->cols[k]]) != 0) {
						srow_clear(&cur);
						goto dberr;
					}
				}
				srow_clear(&cur);
			}
			switch (c->op) {
			case TONGXIN__CHANGE__OP__OP_INSERT:
				r = apply_insert(e, &as_office, tx, c, &vd);
				break;
			case TONGXIN__CHANGE__OP__OP_UPDATE:
				r = apply_update(e, &as_office, tx, c, &vd, &note, 1);
				break;
			default:
				r = apply_delete(e, &as_office, tx, c, &vd, 1);
				break;
			}
			if (vd.have_server)
				srow_clear(&vd.server);
			if (r == CH_ERROR) {
				snprintf(err, errlen, "database: %s", STO0(e, errmsg));
				goto rollback;
			}
			if ((r == CH_CONFLICT || r == CH_REJECTED) &&
			    (strcmp(vd.kind, "scope") == 0 || strcmp(vd.kind, "transferred") == 0)) {
				snprintf(err, errlen, "不能采用社区的修改：%s。该记录已不在提交修改的设备所属"
				    "组织内，请用 --keep-server 处理；如修改无误，请在街道的设备上重新录入"
				    "（tongxin member edit ...）(the change lies outside the organisation of "
				    "the device that made it now)", zh_of(&vd, zh));
				goto rollback;
			}
			if (r == CH_CONFLICT || r == CH_REJECTED) {
				snprintf(err, errlen, "不能原样采用社区的修改：%s；请用 --set 列=值 填写合并后的值 "
				    "(the office's change cannot be taken as it is: %s)", zh_of(&vd, zh),
				    en_of(&vd, en));
				goto rollback;
			}
		}
	}
	rv = STO0(e, version_next);
	{
		char by[200];
		snprintf(by, sizeof by, "%s%s%s", admin->device_name,
		    admin->operator_name && admin->operator_name[0] ? " / " : "",
		    admin->operator_name ? admin->operator_name : "");
		if ((rc = STO(e, conflict_settle, ci->id, resolution, by, now_ms(), rv, req->note)) < 0)
			goto dberr;
		if (rc == 0) {
			snprintf(err, errlen, "conflict %s was settled meanwhile", ci->id);
			goto rollback;
		}
	}
	/* The decision itself goes into the audit trail. */
	snprintf(detail, sizeof detail, "conflict %s (%s) settled: %s%s%s", ci->id, ci->kind,
	    resolution, req->note[0] ? "; note: " : "", req->note);
	{
		struct sto_audit a = {
			.version = rv,
			.at = now_ms(),
			.device_id = admin->device_id,
			.operator_name = admin->operator_name,
			.action = "resolve",
			.table = (int)ci->table,
			.row_id = ci->row_id,
			.seq = 0,
			.detail = (const uint8_t *)detail,
			.detail_len = strlen(detail),
			.detail_text = 1,
		};
		if (STO(e, audit_put, &a) != 0 || STO(e, commit, err, errlen) != 0)
			goto dberr;
	}
	if ((resp = malloc(sizeof *resp)) == NULL) {
		/* Committed: report success without the echo rather than fail. */
		snprintf(err, errlen, "out of memory after committing the resolution");
		goto fail;
	}
	tongxin__conflict_resolve_response__init(resp);
	resp->id = pb_str_dup(ci->id);
	resp->resolution = pb_str_dup(resolution);
	resp->version = rv;
	(void)decision;
	tongxin__conflict_info__free_unpacked(ci, NULL);
	if (tx)
		tongxin__txn__free_unpacked(tx, NULL);
	*out = resp;
	return 0;
dberr:
	if (err[0] == '\0')
		snprintf(err, errlen, "database: %s", STO0(e, errmsg));
rollback:
	STO0(e, rollback);
fail:
	if (ci)
		tongxin__conflict_info__free_unpacked(ci, NULL);
	if (tx)
		tongxin__txn__free_unpacked(tx, NULL);
	return -1;
}

