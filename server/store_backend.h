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

#define PULL_MAX_ROWS 5000                    /* rows in one page */
#define PULL_MAX_BYTES (4u * 1024u * 1024u)   /* a page's byte estimate stops adding rows */
#define PULL_EVICT_MAX 1024                   /* evictions read for one page */

/* What one read of a pull page asks of the backend (pull_rows, pull_evictions). */
struct pull_query {
	const struct store_actor *who;
	const char *scope, *hi;      /* the device's scope: paths in [scope, hi) */
	uint64_t cursor;             /* after this version */
	uint64_t upto;               /* up to this one (pull_begin's) */
	uint32_t room;               /* at most this many */
	const char *echo_device;     /* leave out the rows this device holds as written, or NULL */
};

/* One column's value as a backend hands it to pull_put_row (borrowed). */
enum pull_kind { PULL_NULL, PULL_INT, PULL_REAL, PULL_TEXT };
struct pull_val {
	enum pull_kind kind;
	int64_t i;
	double r;                    /* PULL_REAL: no column holds one, but a database may */
	const unsigned char *p;      /* PULL_TEXT: the bytes, n of them (no NUL needed) */
	size_t n;
};

/*
 * Encode one row of table t into the page (v: its schema columns, unread
 * when deleted), advancing table t's cursor to version. 1 while the page
 * has room for more, 0 when it is full.
 */
int pull_put_row(struct pull_page *pg, int t, const char *id, size_t idn, uint64_t version,
    int deleted, const struct pull_val *v);
/*
 * One eviction read at version: table t's row id left the scope. Added to
 * the page unless the row is back in who's scope now (read through the
 * engine's storage operations). 0, or -1 on a storage failure.
 */
int pull_put_eviction(struct store *s, const struct store_actor *who, struct pull_page *pg,
    uint64_t version, int t, const char *id, size_t idn);

/*
 * The condition a row of table t meets when a device sees it, as SQL text
 * for every store: lo and hi are the statement's placeholders for the
 * device's scope and the end of its range (scope_hi). A row is seen when its
 * scope or second scope lies in [lo, hi); a row of a shared table also when
 * a share puts it there (schema.h COLF_SHARE); a row of a table seen below
 * its scope (TBLF_DOWN) also when its scope is a prefix of the device's.
 * Into buf (cap bytes); 0, or -1 when cap is too small.
 */
int store_scope_cond(char *buf, size_t cap, int t, const char *lo, const char *hi);

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
	int (*setting)(struct store *s, const char *key, char *buf, size_t cap);
	/* Set a setting inside the write transaction the engine's begin opened. -1 with err. */
	int (*setting_put)(struct store *s, const char *key, const char *value, char *err,
	    size_t errlen);
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
	/*
	 * A pull page's reads (pull_page.c makes the page). pull_begin opens
	 * one consistent view and sets *upto: every row and eviction the page
	 * reads has a version at or below it, and every version at or below it
	 * that will ever be committed already is. pull_end closes the view.
	 */
	int (*pull_begin)(struct store *s, uint64_t *upto, char *err, size_t errlen);
	void (*pull_end)(struct store *s);
	/*
	 * Table t's rows in q's scope range with versions in (q->cursor,
	 * q->upto], by version, at most q->room of them, deleted ones only when
	 * q->cursor > 0, and not the rows q->echo_device wrote and holds (_echo)
	 * when it is set: each handed to pull_put_row, stopping when it says the
	 * page is full. 0, or -1 with err.
	 */
	int (*pull_rows)(struct store *s, int t, const struct pull_query *q, struct pull_page *pg,
	    char *err, size_t errlen);
	/*
	 * Evictions after q->cursor (up to q->upto) whose old scope is in q's
	 * range and whose new one is not, by version, at most q->room: each
	 * handed to pull_put_eviction, *fetched counting them. 0, or -1 with err.
	 */
	int (*pull_evictions)(struct store *s, const struct pull_query *q, struct pull_page *pg,
	    uint32_t *fetched, char *err, size_t errlen);
};

/* The SQLite store (store_sqlite.c): dir holds tongxind.db. */
extern const struct store_backend store_sqlite_backend;
struct store *sqs_open(const char *dir, int create, char *err, size_t errlen);

#endif
