/*
 * store.c - the store's public interface (store.h) over its backends: the
 * decisions go to the apply engine (engine.h), everything else to the
 * backend's table (store_backend.h). Which backend: store_open's argument.
 */
#include <stdio.h>
#include <string.h>

#include "bounds.h"
#include "ids.h"
#include "schema.h"
#include "store_backend.h"
#include "value.h"
#ifdef TX_HAVE_PG
#include "store_pgs.h"
#endif

int
store_is_pg(const char *where)
{
	return strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0;
}

struct store *
store_open(const char *where, int create, char *err, size_t errlen)
{
	if (!store_is_pg(where))
		return sqs_open(where, create, err, errlen);
#ifdef TX_HAVE_PG
	return pgs_open(where, create, err, errlen);
#else
	snprintf(err, errlen, "this tongxind was built without PostgreSQL (libpq); "
	    "install libpq-dev and build again, or keep the SQLite store");
	return NULL;
#endif
}

void
store_close(struct store *s)
{
	if (s != NULL)
		s->be->close(s);
}

/*
 * The root organisation (the street, or a district), written through the engine's storage
 * operations like any row, with the settings that name it, in one
 * transaction.
 */
int
store_init_street(struct store *s, const char *name, const char *code, char *err,
    size_t errlen)
{
	return store_init_root(s, "street", name, code, err, errlen);
}

int
store_init_root(struct store *s, const char *kind, const char *name, const char *code,
    char *err, size_t errlen)
{
	struct eng *e = &s->eng;
	const struct table_def *td = &schema_tables[TBL_ORG];
	struct srow r;
	char id[ID_TEXT_LEN + 1];

	err[0] = '\0';
	memset(&r, 0, sizeof r);   /* values borrowed (value_set_text): nothing to free */
	if (id_new(id) != 0) {
		snprintf(err, errlen, "random number generator failed");
		return -1;
	}
	value_set_text(&r.v[schema_col_index(td, "code")], code);
	value_set_text(&r.v[schema_col_index(td, "name")], name);
	value_set_text(&r.v[schema_col_index(td, "kind")], kind);
	value_set_int(&r.v[schema_col_index(td, "dissolved")], 0);
	snprintf(r.scope, sizeof r.scope, "/%s/", code);
	r.hlc = hlc_next(0);
	if (STO(e, begin, err, errlen) != 0)
		goto fail;
	r.version = STO0(e, version_next);
	if (r.version == 0 || STO(e, row_write, TBL_ORG, id, &r, 1) != STO_WRITTEN ||
	    s->be->setting_put(s, "street_name", name, err, errlen) != 0 ||
	    s->be->setting_put(s, "street_code", code, err, errlen) != 0 ||
	    s->be->setting_put(s, "street_id", id, err, errlen) != 0 ||
	    STO(e, commit, err, errlen) != 0) {
		STO0(e, rollback);
		goto fail;
	}
	return 0;
fail:
	if (err[0] == '\0')
		snprintf(err, errlen, "cannot create the street: %s", STO0(e, errmsg));
	return -1;
}

int
store_setting(struct store *s, const char *key, char *buf, size_t cap)
{
	return s->be->setting(s, key, buf, cap);
}

int
store_org_scope(struct store *s, const char *code, char *scope, size_t scope_cap,
    char *name, size_t name_cap)
{
	return s->be->org_scope(s, code, scope, scope_cap, name, name_cap);
}

int
store_device_add(struct store *s, const struct store_device *d, char *err, size_t errlen)
{
	return s->be->device_add(s, d, err, errlen);
}

int
store_device_by_serial(struct store *s, const char *serial, struct store_device *d)
{
	return s->be->device_by_serial(s, serial, d);
}

int
store_device_by_name(struct store *s, const char *name, struct store_device *d)
{
	return s->be->device_by_name(s, name, d);
}

int
store_device_revoke(struct store *s, const char *name, char *err, size_t errlen)
{
	return s->be->device_revoke(s, name, err, errlen);
}

uint64_t
store_device_last_seq(struct store *s, const char *device_id)
{
	return s->be->device_last_seq(s, device_id);
}

int
store_device_seen(struct store *s, const char *device_id, const char *what)
{
	return s->be->device_seen(s, device_id, what);
}

int
store_device_flush(struct store *s)
{
	return s->be->device_flush(s);
}

void
store_share_notes(struct store *dst, struct store *src)
{
	dst->be->share_notes(dst, src);
}

int
store_device_each(struct store *s, int (*fn)(const struct store_device *, void *),
    void *arg)
{
	return s->be->device_each(s, fn, arg);
}

int
store_conflict_list(struct store *s, const Tongxin__ConflictFilter *f,
    Tongxin__ConflictListResponse **out, char *err, size_t errlen)
{
	return s->be->conflict_list(s, f, out, err, errlen);
}

int
store_conflict_show(struct store *s, const char *id, Tongxin__ConflictInfo **out,
    char *err, size_t errlen)
{
	return s->be->conflict_show(s, id, out, err, errlen);
}

int
store_audit(struct store *s, const Tongxin__AuditRequest *req,
    Tongxin__AuditResponse **out, char *err, size_t errlen)
{
	return s->be->audit(s, req, out, err, errlen);
}

int
store_devices(struct store *s, Tongxin__DevicesResponse **out, char *err, size_t errlen)
{
	return s->be->devices(s, out, err, errlen);
}

int
store_replica_check(struct store *s, const struct store_actor *who,
    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
    size_t errlen)
{
	return s->be->replica_check(s, who, req, out, err, errlen);
}

int
store_resolutions(struct store *s, const struct store_actor *who, uint64_t *cursor,
    Tongxin__PullResponse *resp)
{
	return s->be->resolutions(s, who, cursor, resp);
}

int64_t
store_count(struct store *s, const char *what)
{
	return s->be->count(s, what);
}

int
store_backup(struct store *s, const char *file, int64_t *bytes, uint64_t *max_version,
    char *err, size_t errlen)
{
	return s->be->backup(s, file, bytes, max_version, err, errlen);
}

int
store_recover(struct store *s, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen)
{
	return s->be->recover(s, who, req, out, err, errlen);
}

int
store_session_init(struct store *s, char *err, size_t errlen)
{
	return s->be->session_init(s, err, errlen);
}

int
store_devices_revoked(struct store *s, const char *const *ids, size_t n, int *revoked)
{
	return s->be->devices_revoked(s, ids, n, revoked);
}

int
store_replica_bind(struct store *s, const char *device_id, const char *replica_id,
    int *other, char *err, size_t errlen)
{
	return s->be->replica_bind(s, device_id, replica_id, other, err, errlen);
}

int
store_replica_bound(struct store *s, const char *device_id, const char *replica_id)
{
	return s->be->replica_bound(s, device_id, replica_id);
}


/* --- what the engine decides ---------------------------------------------- */

int
store_push(struct store *s, const struct store_actor *who, const Tongxin__PushRequest *req,
    Tongxin__PushResponse **out, char *err, size_t errlen)
{
	s->eng.restored_version = s->epoch.restored_version;
	return engine_push(&s->eng, who, req, NULL, out, err, errlen);
}

int
store_push_raw(struct store *s, const struct store_actor *who, const Tongxin__PushRequest *req,
    const ProtobufCBinaryData *raw, Tongxin__PushResponse **out, char *err, size_t errlen)
{
	s->eng.restored_version = s->epoch.restored_version;
	return engine_push(&s->eng, who, req, raw, out, err, errlen);
}

int
store_conflict_resolve(struct store *s, const struct store_actor *admin,
    const Tongxin__ConflictResolveRequest *req, Tongxin__ConflictResolveResponse **out,
    char *err, size_t errlen)
{
	s->eng.restored_version = s->epoch.restored_version;
	return engine_resolve(&s->eng, admin, req, out, err, errlen);
}

void
store_set_conflict_limit(struct store *s, int64_t n)
{
	s->eng.max_open_conflicts = n > 0 ? n : CONFLICTS_PER_DEVICE_MAX;
}

void
store_epoch(struct store *s, struct store_epoch *e)
{
	*e = s->epoch;
}
