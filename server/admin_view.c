/*
 * admin_view.c - the administrator's reads, the part that is not storage
 * (admin_view.h).
 */
#include "admin_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "value.h"

#define RENDER_CAP 4096

char *
audit_render_change(const void *blob, size_t len)
{
	Tongxin__Change *c = tongxin__change__unpack(NULL, len, blob);
	char *out, vb[256];
	size_t n = 0;

	if (c == NULL)
		return pb_str_dup("(unreadable)");
	if ((out = malloc(RENDER_CAP)) == NULL) {
		tongxin__change__free_unpacked(c, NULL);
		return (char *)protobuf_c_empty_string;
	}
	out[0] = '\0';
	for (size_t i = 0; i < c->n_cols && i < c->n_values && n < RENDER_CAP; i++) {
		const char *name = c->table < TBL_COUNT &&
		    c->cols[i] < (uint32_t)schema_tables[c->table].ncols ?
		    schema_tables[c->table].cols[c->cols[i]].name : "?";
		if (c->op == TONGXIN__CHANGE__OP__OP_UPDATE && i < c->n_before) {
			char bb[256];
			n += (size_t)snprintf(out + n, RENDER_CAP - n, "%s%s: %s → %s", i ? ", " : "",
			    name, value_str(c->before[i], bb, sizeof bb),
			    value_str(c->values[i], vb, sizeof vb));
		} else if (c->op != TONGXIN__CHANGE__OP__OP_DELETE) {
			n += (size_t)snprintf(out + n, RENDER_CAP - n, "%s%s=%s", i ? ", " : "", name,
			    value_str(c->values[i], vb, sizeof vb));
		}
	}
	tongxin__change__free_unpacked(c, NULL);
	return out;
}

void
audit_take_back(struct srow *r, int t, const void *blob, size_t len)
{
	Tongxin__Change *c = tongxin__change__unpack(NULL, len, blob);

	if (c == NULL)
		return;   /* a resolution's words, or unreadable: the values stay */
	for (size_t k = 0; c->op == TONGXIN__CHANGE__OP__OP_UPDATE && k < c->n_cols &&
	    k < c->n_before; k++) {
		Tongxin__Value *v;
		if (c->cols[k] >= (uint32_t)schema_tables[t].ncols)
			continue;
		v = &r->v[c->cols[k]];
		value_clear(v);
		if (value_copy(v, c->before[k]) != 0)
			tongxin__value__init(v);
	}
	tongxin__change__free_unpacked(c, NULL);
}

char *
audit_render_row(const struct srow *r, int t)
{
	char *out, vb[256];
	size_t n = 0;

	if ((out = malloc(RENDER_CAP)) == NULL)
		return (char *)protobuf_c_empty_string;
	out[0] = '\0';
	for (int k = 0; k < schema_tables[t].ncols && n < RENDER_CAP; k++) {
		if (r->v[k].kind_case == TONGXIN__VALUE__KIND__NOT_SET)
			continue;
		n += (size_t)snprintf(out + n, RENDER_CAP - n, "%s%s=%s", n ? ", " : "",
		    schema_tables[t].cols[k].name, value_str(&r->v[k], vb, sizeof vb));
	}
	return out;
}

Tongxin__DeviceInfo *
devices_add(Tongxin__DevicesResponse *resp, size_t *cap, const struct store_device *d)
{
	Tongxin__DeviceInfo *di;

	if (resp->n_devices == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		Tongxin__DeviceInfo **n = realloc(resp->devices, ncap * sizeof *n);
		if (n == NULL)
			return NULL;
		resp->devices = n;
		*cap = ncap;
	}
	if ((di = malloc(sizeof *di)) == NULL)
		return NULL;
	tongxin__device_info__init(di);
	resp->devices[resp->n_devices++] = di;
	di->name = pb_str_dup(d->name);
	di->org_code = pb_str_dup(d->org_code);
	di->role = pb_str_dup(d->role);
	di->enrolled_at_ms = d->enrolled_at;
	di->revoked_at_ms = d->revoked_at;
	di->last_seen_ms = d->last_seen;
	di->last_push_ms = d->last_push;
	di->last_pull_ms = d->last_pull;
	di->txns_applied = d->txns_applied;
	di->txns_conflict = d->txns_conflict;
	di->txns_rejected = d->txns_rejected;
	return di;
}

uint64_t
conflict_clash_cols(const Tongxin__ConflictInfo *ci, const char *row_id)
{
	const struct table_def *td = &schema_tables[ci->table];
	uint64_t mask = 0, named = 0;

	for (size_t i = 0; ci->txn != NULL && i < ci->txn->n_changes; i++) {
		const Tongxin__Change *c = ci->txn->changes[i];
		if (c->table != ci->table || strcmp(c->row_id, ci->row_id) != 0)
			continue;
		for (size_t k = 0; k < c->n_cols; k++) {
			uint32_t col = c->cols[k];
			if (col >= (uint32_t)td->ncols)
				continue;
			named |= 1ull << col;
			if (c->op == TONGXIN__CHANGE__OP__OP_INSERT) {
				if (td->cols[col].flags & COLF_UNIQUE)
					mask |= 1ull << col;
			} else if (ci->server_row != NULL && strcmp(ci->server_row->row_id, row_id) == 0 &&
			    col < ci->server_row->n_values && k < c->n_before &&
			    !value_eq(ci->server_row->values[col], c->before[k])) {
				mask |= 1ull << col;
			}
		}
	}
	return mask ? mask : named;
}

bool
audit_sets_cols(const char *action, const void *detail, size_t len, uint64_t mask)
{
	Tongxin__Change *c;
	bool found = false;

	if (strcmp(action, "delete") == 0)
		return true;
	if (detail == NULL || (c = tongxin__change__unpack(NULL, len, detail)) == NULL)
		return false;
	for (size_t k = 0; k < c->n_cols && !found; k++)
		found = c->cols[k] < 64 && (mask & (1ull << c->cols[k]));
	tongxin__change__free_unpacked(c, NULL);
	return found;
}
