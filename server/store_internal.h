/*
 * store_internal.h - what the SQLite store's files share. Not part of the
 * store's interface (store.h): only store_*.c include it.
 */
#ifndef TX_STORE_INTERNAL_H
#define TX_STORE_INTERNAL_H

#include <stdint.h>
#include <sqlite3.h>

#include "bounds.h"
#include "engine.h"
#include "ids.h"
#include "reason.h"
#include "schema.h"
#include "sto.h"
#include "store.h"
#include "store_backend.h"
#include "tongxin.pb-c.h"


/*
 * A device's bookkeeping noted in memory (store_device_seen) and not yet
 * written (store_device_flush). Times are Unix ms; dirty has one bit per
 * time (DEV_SEEN, DEV_PUSH, DEV_PULL) noted since the last flush.
 */
struct dev_note {
	char id[40];
	int64_t at[3];
	unsigned dirty;
};
enum { DEV_SEEN, DEV_PUSH, DEV_PULL };
#define DEV_NOTES_MAX 4096     /* more devices than this between flushes: flush first */

/*
 * What the apply path keeps of an organisation row (ref_scope and the
 * rules' kind lookups ask for it per changed row): its scope path, kind,
 * and whether it is deleted or dissolved. See org_lookup in store_sqlite.c
 * for when the cache is emptied.
 */
struct org_entry {
	uint64_t gen;          /* valid while it equals store.org_gen */
	char id[ID_TEXT_LEN + 1];
	char kind[40];
	int deleted;
	int dissolved;
	char scope[SCOPE_MAX];
};
#define ORG_CACHE_SLOTS 256    /* direct-mapped by a hash of the id */

struct sq_store {
	/* First: the public handle (its engine runs over sto_sqlite_ops, its epoch is meta's). */
	struct store base;
	sqlite3 *db;
	uint64_t version;       /* last change version handed out */
	uint64_t sp_version;    /* version when the open savepoint began (sp_rollback gives back) */
	uint64_t tx_version;    /* version when the write transaction began (rollback gives back) */
	int noted;              /* begin wrote the devices' notes: commit marks them written */
	sqlite3_stmt *row_get[TBL_COUNT];
	sqlite3_stmt *row_ins[TBL_COUNT];
	sqlite3_stmt *row_upd[TBL_COUNT];
	sqlite3_stmt *pull[TBL_COUNT];
	sqlite3_stmt *txn_get;
	sqlite3_stmt *txn_put;
	sqlite3_stmt *conflict_put;
	sqlite3_stmt *audit_put;
	sqlite3_stmt *evict_put;
	sqlite3_stmt *evict_get;
	sqlite3_stmt *version_put;
	sqlite3_stmt *version_get;      /* store_committed_version's, prepared when first used */
	sqlite3_stmt *conflict_count;   /* open conflicts of a device */
	sqlite3_stmt *unique_by[TBL_COUNT][MAX_COLS];   /* unique_owner's, prepared when first used */
	sqlite3_stmt *scope_get[TBL_COUNT];   /* _scope, _deleted, dissolved of a row */
	sqlite3_stmt *sp_begin, *sp_release, *sp_rollback;   /* the per-transaction savepoint */
	sqlite3_stmt *ver_get[TBL_COUNT];     /* _version, _deleted, _scope, _scope2 of a row */
	sqlite3_stmt *ids_where[TBL_COUNT][MAX_COLS];   /* ids_where's, prepared when first used */
	sqlite3_stmt *reused_get;       /* reused_find's */
	sqlite3_stmt *evict_find;       /* evict_find's */
	sqlite3_stmt *share_put, *share_drop, *share_in;   /* the share table's (sto_ops) */
	sqlite3_stmt *device_put;       /* store_device_flush's update of one device */
	struct dev_notes *notes;        /* devices noted since the last flush (maybe shared) */
	struct dev_note *wrote;         /* what device_notes_write wrote, till it is committed */
	size_t nwrote, wrote_cap;
	/*
	 * Organisation rows as committed (or as written by this transaction
	 * while org_written is 0). Emptied when an org row is written (and not
	 * used again until the transaction ends: a savepoint may be rolled back)
	 * and when any transaction commits or rolls back (sqlite3 hooks).
	 */
	struct org_entry *orgs;         /* ORG_CACHE_SLOTS slots (calloc'd) */
	uint64_t org_gen;               /* bumped to empty the cache at once */
	int org_written;                /* an org row was written in the open transaction */
	sqlite3_stmt *org_get;          /* what an org_entry holds, from the org table */
	struct org_entry org_tmp;       /* org_lookup's answer while the cache is not used */
	sqlite3_stmt *org_by_code;      /* store_org_scope's, asked at every session's start */
	sqlite3_stmt *seq_max_get;
	/* Kept once first used (every handshake or Hello asks); store_close finalises them. */
	sqlite3_stmt *device_by_serial;   /* store_device_by_serial's */
	sqlite3_stmt *replica_bound;      /* store_session.c's device_replica lookup */
	sqlite3_stmt *device_revoked;     /* store_devices_revoked's */
	sqlite3_stmt *recovered_get, *recovered_put;   /* store_recover's, prepared when first used */
};

/* Make the restore bookkeeping (epoch, recovered rows) on open (store_restore.c). -1 on error. */
int store_epoch_init(struct sq_store *s, char *err, size_t errlen);
/* The recovery's storage operations (store_restore.c), for sto_sqlite_ops. */
int sq_recovered_get(void *b, int t, const char *id, uint64_t *origin, uint64_t *version);
int sq_recovered_put(void *b, int t, const char *id, uint64_t origin, uint64_t version,
    const char *device_id);
int sq_recovered_queued(void *b, const char *device_id, int t, const char *id, uint64_t origin);
int sq_recovered_queued_put(void *b, const char *device_id, int t, const char *id,
    uint64_t origin, const char *conflict_id);
int sq_recovery_add(void *b, const char *device_id, const char *epoch,
    const struct sto_recovery *add, int done);
int sq_recovery_get(void *b, const char *device_id, const char *epoch,
    struct sto_recovery *out);

/*
 * The state of organisation id (see struct org_entry), from memory when it
 * can: 1 found (*e points at it until the next store call), 0 no such row,
 * -1 on a database error.
 */
int org_lookup(struct sq_store *s, const char *id, const struct org_entry **e);

/* Prepare the pull's statements (store_pull.c): s->pull[] and s->evict_get. -1 on error. */
int store_pull_prepare(struct sq_store *s);
/* Bind text, or NULL when s is NULL or empty. */
void bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
/*
 * The last version committed to the database (meta), as the open read
 * transaction sees it; store.version is this handle's own counter, which
 * another handle's writes do not move. -1 on error.
 */
int store_committed_version(struct sq_store *s, uint64_t *v);
/* Persist the version counter inside the current write transaction. */
int store_save_version(struct sq_store *s);
/* Load row id of table t; r->exists says whether it was found. -1 on error. */
int row_load(struct sq_store *s, int t, const char *id, struct srow *r);
/* Write r with all bookkeeping columns; returns the SQLite result code. */
int row_write(struct sq_store *s, int t, const char *id, const struct srow *r, int is_new);
/* Run a kept statement without results. 0, or -1 (logged). */
int step_once(sqlite3_stmt *st);

/* store_admin.c's operations of sto_sqlite_ops (see sto.h: conflict_get, conflict_settle). */
int sq_conflict_get(void *b, const char *key, Tongxin__ConflictInfo **out, char *err,
    size_t errlen);
int sq_conflict_settle(void *b, const char *id, const char *resolution, const char *by,
    int64_t at, uint64_t version, const char *note);

/* The SQLite store's operations (sto.h), which its engine (struct sq_store.eng) drives. */
extern const struct sto_ops sto_sqlite_ops;

/* The SQLite store as a struct store (base is its first member). */
#define SQ(st) ((struct sq_store *)(st))

/* store_backend's operations, SQLite's (in store_sqlite.c, store_pull.c, store_admin.c,
 * store_session.c, store_restore.c; the table is store_sqlite_backend). */
void sqs_close(struct store *s);
int sqs_setting_put(struct store *s, const char *key, const char *value, char *err,
    size_t errlen);
int sqs_setting(struct store *s, const char *key, char *buf, size_t cap);
int sqs_org_scope(struct store *s, const char *code, char *scope, size_t scope_cap, char *name,
    size_t name_cap);
int sqs_device_add(struct store *s, const struct store_device *d, char *err, size_t errlen);
int sqs_device_by_serial(struct store *s, const char *serial, struct store_device *d);
int sqs_device_by_name(struct store *s, const char *name, struct store_device *d);
int sqs_device_revoke(struct store *s, const char *name, char *err, size_t errlen);
uint64_t sqs_device_last_seq(struct store *s, const char *device_id);
int sqs_device_seen(struct store *s, const char *device_id, const char *what);
int sqs_device_flush(struct store *s);
void sqs_share_notes(struct store *dst, struct store *src);
int sqs_device_each(struct store *s, int (*fn)(const struct store_device *, void *), void *arg);
int sqs_conflict_list(struct store *s, const Tongxin__ConflictFilter *f,
    Tongxin__ConflictListResponse **out, char *err, size_t errlen);
int sqs_conflict_show(struct store *s, const char *id, Tongxin__ConflictInfo **out, char *err,
    size_t errlen);
int sqs_audit(struct store *s, const Tongxin__AuditRequest *req, Tongxin__AuditResponse **out,
    char *err, size_t errlen);
int sqs_devices(struct store *s, Tongxin__DevicesResponse **out, char *err, size_t errlen);
int sqs_replica_check(struct store *s, const struct store_actor *who,
    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
    size_t errlen);
int sqs_resolutions(struct store *s, const struct store_actor *who, uint64_t *cursor,
    Tongxin__PullResponse *resp);
int64_t sqs_count(struct store *s, const char *what);
int sqs_backup(struct store *s, const char *file, int64_t *bytes, uint64_t *max_version,
    char *err, size_t errlen);
int sqs_recover(struct store *s, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen);
int sqs_session_init(struct store *s, char *err, size_t errlen);
int sqs_devices_revoked(struct store *s, const char *const *ids, size_t n, int *revoked);
int sqs_replica_bind(struct store *s, const char *device_id, const char *replica_id,
    int *other, char *err, size_t errlen);
int sqs_replica_bound(struct store *s, const char *device_id, const char *replica_id);
int sqs_pull_begin(struct store *s, uint64_t *upto, char *err, size_t errlen);
void sqs_pull_end(struct store *s);
int sqs_pull_rows(struct store *s, int t, const struct pull_query *q, struct pull_page *pg,
    char *err, size_t errlen);
int sqs_pull_evictions(struct store *s, const struct pull_query *q, struct pull_page *pg,
    uint32_t *fetched, char *err, size_t errlen);

#endif
