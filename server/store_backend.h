/*
 * store_backend.h - what every store behind store.h is made of: the public
 * handle (struct store), which each backend embeds as its first member, and
 * the backend's table of the public operations that are only storage
 * (lookups, lists, bookkeeping, pull pages). The operations that decide -
 * push, resolution, recovery - are the engine's (engine.h), over the
 * backend's storage operations (sto.h): store.c calls the engine for those
 * and the table for the rest, so a backend implements sto_ops and this table
 * and nothing of the rules.
 *
 * Each entry does exactly what its store_* function in store.h says.
 * Only store.c and the backends include this file.
 */
#ifndef TX_STORE_BACKEND_H
#define TX_STORE_BACKEND_H

#include "engine.h"
#include "store.h"

struct store_backend;

/* The public handle: the first member of every backend's own handle. */
struct store {
	const struct store_backend *be;
	/* The apply engine over the backend's storage operations. */
	struct eng eng;
	/* The database's epoch (renewed at restore), as loaded at open. */
	struct store_epoch epoch;
};

struct store_backend {
	const char *name;        /* "sqlite", "postgresql" */
	void (*close)(struct store *s);
	int (*init_street)(struct store *s, const char *name, const char *code, char *err,
	    size_t errlen);
	int (*setting)(struct store *s, const char *key, char *buf, size_t cap);
	int (*org_scope)(struct store *s, const char *code, char *scope, size_t scope_cap,
	    char *name, size_t name_cap);
	int (*device_add)(struct store *s, const struct store_device *d, char *err,
	    size_t errlen);
	int (*device_by_serial)(struct store *s, const char *serial, struct store_device *d);
	int (*device_by_name)(struct store *s, const char *name, struct store_device *d);
	int (*device_revoke)(struct store *s, const char *name, char *err, size_t errlen);
	uint64_t (*device_last_seq)(struct store *s, const char *device_id);
	int (*device_seen)(struct store *s, const char *device_id, const char *what);
	int (*device_flush)(struct store *s);
	void (*share_notes)(struct store *dst, struct store *src);
	int (*device_each)(struct store *s, int (*fn)(const struct store_device *, void *),
	    void *arg);
	int (*pull)(struct store *s, const struct store_actor *who,
	    const Tongxin__PullRequest *req, Tongxin__PullResponse **out, char *err,
	    size_t errlen);
	int (*conflict_list)(struct store *s, const Tongxin__ConflictFilter *f,
	    Tongxin__ConflictListResponse **out, char *err, size_t errlen);
	int (*conflict_show)(struct store *s, const char *id, Tongxin__ConflictInfo **out,
	    char *err, size_t errlen);
	int (*audit)(struct store *s, const Tongxin__AuditRequest *req,
	    Tongxin__AuditResponse **out, char *err, size_t errlen);
	int (*devices)(struct store *s, Tongxin__DevicesResponse **out, char *err,
	    size_t errlen);
	int (*replica_check)(struct store *s, const struct store_actor *who,
	    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
	    size_t errlen);
	int (*resolutions)(struct store *s, const struct store_actor *who, uint64_t *cursor,
	    Tongxin__PullResponse *resp);
	int64_t (*count)(struct store *s, const char *what);
	int (*backup)(struct store *s, const char *file, int64_t *bytes, uint64_t *max_version,
	    char *err, size_t errlen);
	int (*recover)(struct store *s, const struct store_actor *who,
	    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
	    size_t errlen);
	int (*session_init)(struct store *s, char *err, size_t errlen);
	int (*devices_revoked)(struct store *s, const char *const *ids, size_t n, int *revoked);
	int (*replica_bind)(struct store *s, const char *device_id, const char *replica_id,
	    int *other, char *err, size_t errlen);
	int (*replica_bound)(struct store *s, const char *device_id, const char *replica_id);
	int (*pull_page)(struct store *s, const struct store_actor *who,
	    const Tongxin__PullRequest *req, uint32_t envelope_id, struct pull_page *pg,
	    char *err, size_t errlen);
};

/* The SQLite store (store_sqlite.c): dir holds tongxind.db. */
extern const struct store_backend store_sqlite_backend;
struct store *sqs_open(const char *dir, int create, char *err, size_t errlen);

#endif
