/*
 * store.h - the authoritative store behind a narrow interface.
 *
 * Sessions and admin commands talk to the store only through these calls,
 * never through SQL, so a PostgreSQL implementation can replace
 * store_sqlite.c later. Every call that changes data commits durably before
 * it returns success: the caller may acknowledge to a peer right after.
 *
 * Error convention: 0 on success, -1 on failure with a sentence in err
 * (when the call takes one). Nothing is changed by a failing call.
 */
#ifndef TX_STORE_H
#define TX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "tongxin.pb-c.h"

struct store;

/* A lookup's answer when the store cannot be read now (see store_device_by_serial). */
#define STORE_UNREADABLE (-2)

/* A device as enrolled. */
struct store_device {
	char id[40];          /* UUID made at enrolment; half of every idempotency key */
	char name[65];
	char org_code[65];
	char role[16];        /* "office" or "admin" */
	char serial[80];      /* certificate serial, lower-case hex */
	int64_t enrolled_at;  /* Unix ms */
	int64_t revoked_at;   /* Unix ms, 0 if live */
	int64_t last_seen;    /* Unix ms of the last authenticated session, 0 if never */
	int64_t last_push;
	int64_t last_pull;
	int64_t txns_applied;  /* these three: store_device_each only (0 from the lookups) */
	int64_t txns_conflict;
	int64_t txns_rejected;
};

/* Who is asking: fixed at Hello for the life of a session. */
struct store_actor {
	const char *device_id;
	const char *device_name;
	const char *role;
	const char *scope;        /* organisation path prefix, e.g. "/S01/C01/" */
	const char *operator_name;
};

/*
 * Open the store: where is a data directory (the SQLite store, tongxind.db
 * in it) or a postgresql:// address (the PostgreSQL store, when built with
 * libpq). create != 0 makes a new one.
 */
struct store *store_open(const char *where, int create, char *err, size_t errlen);
/* Whether where names a PostgreSQL database (postgresql:// or postgres://). */
int store_is_pg(const char *where);
/* Close, checkpointing the WAL; accepts NULL. */
void store_close(struct store *s);

/* Create the street: the root organisation. Only on a new store. */
int store_init_street(struct store *s, const char *name, const char *code, char *err,
    size_t errlen);
/*
 * The same for a root of another kind: "district" (a district's server,
 * streets added under it by its administrator) or "street". The settings
 * keep the names street_name, street_code and street_id for either.
 */
int store_init_root(struct store *s, const char *kind, const char *name, const char *code,
    char *err, size_t errlen);
/* Settings kept in the store (street name, street code). */
int store_setting(struct store *s, const char *key, char *buf, size_t cap);

/*
 * Resolve an organisation code to its scope path and name. -1 if there is
 * no live organisation with that code, STORE_UNREADABLE when the store
 * cannot be read now (the caller says so; nothing is refused for good).
 */
int store_org_scope(struct store *s, const char *code, char *scope, size_t scope_cap,
    char *name, size_t name_cap);

/* Enrol a device; -1 if a live device already has the name. */
int store_device_add(struct store *s, const struct store_device *d, char *err, size_t errlen);
/*
 * Look up a device by certificate serial (any state) or by live name. -1 if
 * none, STORE_UNREADABLE when the store cannot be read now (a database
 * restarting: the device is told to sync again later, not that it is
 * unknown). The txns_* counts are left 0 (see struct store_device).
 */
int store_device_by_serial(struct store *s, const char *serial, struct store_device *d);
int store_device_by_name(struct store *s, const char *name, struct store_device *d);
/* Revoke the live device with this name. -1 if there is none. */
int store_device_revoke(struct store *s, const char *name, char *err, size_t errlen);
/* The highest transaction sequence the server holds from a device (0: none). */
uint64_t store_device_last_seq(struct store *s, const char *device_id);
/*
 * Note an authenticated session of a device: what is "seen" (hello),
 * "push" or "pull". Recorded in memory only (no write, no fsync: a no-op
 * sync must not wait for the disk); store_device_flush writes it. -1 only
 * when the table in memory cannot grow and flushing it fails.
 */
int store_device_seen(struct store *s, const char *device_id, const char *what);
/*
 * Write every device's bookkeeping noted since the last flush (last_seen,
 * last_push, last_pull) in one transaction; nothing when nothing is noted.
 * store_push does it inside its own transaction, store_close at the end;
 * the server calls it from its periodic tick. Inside a transaction the
 * caller opened it writes there and keeps the notes (that transaction may
 * yet roll back): the next flush writes them again. -1 on a database error
 * (the notes stay and are written next time).
 */
int store_device_flush(struct store *s);
/*
 * Make dst note sessions in src's table of notes (two handles of one
 * process: the loop's notes them, the store thread's writes them; see
 * server/work.h). store_device_seen and store_device_flush are then safe
 * to call from either handle's thread.
 */
void store_share_notes(struct store *dst, struct store *src);
/*
 * Call fn for every device (live and revoked), newest first. Stops early
 * if fn returns non-zero.
 */
int store_device_each(struct store *s, int (*fn)(const struct store_device *, void *), void *arg);

/*
 * Apply a push. Every transaction in req gets one result in *out (a new
 * message, free with tongxin__push_response__free_unpacked(*out, NULL)).
 * The whole batch is committed durably before this returns 0; on -1
 * nothing of it was committed and the caller must not acknowledge.
 */
int store_push(struct store *s, const struct store_actor *who, const Tongxin__PushRequest *req,
    Tongxin__PushResponse **out, char *err, size_t errlen);
/*
 * store_push, given also the bytes of each transaction exactly as received
 * (raw[i] for req->txns[i]; raw may be NULL, then the transactions are
 * packed again where bytes are needed). The idempotency digest is SHA-256 of
 * those bytes (for our clients, which send protobuf-c's packing, the same
 * digest as that of the re-packed transaction), and the transaction log and
 * the conflict queue keep those bytes. The caller keeps raw's memory.
 */
int store_push_raw(struct store *s, const struct store_actor *who,
    const Tongxin__PushRequest *req, const ProtobufCBinaryData *raw,
    Tongxin__PushResponse **out, char *err, size_t errlen);

/*
 * One page of rows changed in the actor's scope since req's cursors.
 * *out is a new message (free with tongxin__pull_response__free_unpacked).
 */
int store_pull(struct store *s, const struct store_actor *who, const Tongxin__PullRequest *req,
    Tongxin__PullResponse **out, char *err, size_t errlen);

/*
 * Administrators. Each fills *out with a new message (free it with the
 * message's free_unpacked(*out, NULL)). The caller has checked the role.
 */
int store_conflict_list(struct store *s, const Tongxin__ConflictFilter *f,
    Tongxin__ConflictListResponse **out, char *err, size_t errlen);
/* -1 with "no conflict ..." in err when the id is unknown. */
int store_conflict_show(struct store *s, const char *id, Tongxin__ConflictInfo **out, char *err,
    size_t errlen);
/*
 * Settle an open conflict. keep_server changes no data; take_office applies
 * the office's transaction over the server's values; set does the same with
 * the given columns of the conflicted row replaced by merged values. The
 * resulting changes get new versions (so they reach every replica in scope),
 * the decision is audited, and the device that made the change learns it at
 * its next pull. Committed durably before returning 0.
 */
int store_conflict_resolve(struct store *s, const struct store_actor *admin,
    const Tongxin__ConflictResolveRequest *req, Tongxin__ConflictResolveResponse **out,
    char *err, size_t errlen);
int store_audit(struct store *s, const Tongxin__AuditRequest *req, Tongxin__AuditResponse **out,
    char *err, size_t errlen);
int store_devices(struct store *s, Tongxin__DevicesResponse **out, char *err, size_t errlen);
/* Compare a replica's table digests with the server's view of its scope; remember the result. */
int store_replica_check(struct store *s, const struct store_actor *who,
    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
    size_t errlen);
/* Resolutions of this device's conflicts after *cursor (advanced). For pull. */
int store_resolutions(struct store *s, const struct store_actor *who, uint64_t *cursor,
    Tongxin__PullResponse *resp);

/*
 * How many open conflicts one device may have waiting for the street;
 * further conflicts of that device are rejected (and kept whole in the
 * transaction log). The default is 1000.
 */
void store_set_conflict_limit(struct store *s, int64_t n);

/* Number of open conflicts, and of rows in a table that are live. For status and tests. */
int64_t store_count(struct store *s, const char *what);
/*
 * A consistent copy of the whole database in file (which must not exist),
 * made while the server runs (VACUUM INTO reads one snapshot; pushes go on
 * meanwhile), then opened and checked (quick_check). *bytes gets its size
 * and *max_version the highest row version it holds. -1 with err, and no
 * file left behind, when either fails.
 */
int store_backup(struct store *s, const char *file, int64_t *bytes, uint64_t *max_version,
    char *err, size_t errlen);

/* --- restore and recovery (store_restore.c) --- */

/* Versions a restore skips: more than a street hands out between a backup and a restore. */
#define RESTORE_VERSION_GAP (UINT64_C(1) << 32)

/*
 * The database's epoch: a random id made when the database is made (or
 * first opened by a tongxind that knows epochs) and renewed by every
 * restore. After a restore, restored_version is the highest version the
 * restored copy held and version_floor the version the server went on
 * from: versions in between were handed out before the restore and lost
 * with it, and replicas holding rows at such versions send them back
 * (store_recover). Both 0 for a database never restored.
 */
struct store_epoch {
	char epoch[40];
	uint64_t restored_version;
	uint64_t version_floor;
};
void store_epoch(struct store *s, struct store_epoch *e);

/*
 * Take a replica's recovered rows (see RecoverRequest in the proto): each
 * is written where the server's row is still as restored, or as recovered
 * from an older version; known where the server holds it already or a
 * newer state; queued as a conflict ("recovered") where the server's row
 * changed since the restore; refused on shape, scope or a domain rule,
 * exactly as a push would be. Repeating a request changes nothing more.
 * Committed durably before 0 returns; *out is a new message. -1 with err
 * for a request that cannot be taken at all (no restore, another epoch).
 */
int store_recover(struct store *s, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen);

/* What store_restore did. */
struct store_restore_report {
	struct store_epoch epoch;        /* the new epoch */
	char street_code[65];
	char aside[4200];               /* where the replaced database was kept ("" if none) */
	int replaced_readable;          /* the replaced database could be read */
	int devices_added;              /* enrolled after the backup: carried over */
	int devices_revoked;            /* revoked after the backup: carried over */
};

/*
 * Put the backup file in place of dir's database (tongxind must not be
 * serving dir: the caller holds its lock). The backup is checked whole
 * and must be a tongxind database of this schema (and of this street, when
 * the database it replaces can be read). The replaced database is renamed
 * aside, never deleted. The restored database gets a new epoch and goes on
 * from a version above any the replaced one handed out; the devices
 * enrolled or revoked since the backup are carried over from the replaced
 * database when it can be read. The certificates in dir are not touched.
 */
int store_restore(const char *dir, const char *file, const char *street_code,
    struct store_restore_report *rep, char *err, size_t errlen);

/* --- the session layer's questions (store_session.c) --- */

/* Create the session layer's tables if they are missing (every store_open). */
int store_session_init(struct store *s, char *err, size_t errlen);
/*
 * For each of the n device ids, set revoked[i] to 1 if the device has been
 * revoked (or is no longer enrolled), else 0. Reads what other processes
 * (tongxind revoke) have committed. -1 on a database error.
 */
int store_devices_revoked(struct store *s, const char *const *ids, size_t n, int *revoked);
/*
 * Bind a device to the replica that presents its credential: the first
 * replica id a device presents is kept, durably. *other is set to 1 when
 * the device is already bound to another replica id (nothing changes),
 * else 0. -1 with err on a database error.
 */
int store_replica_bind(struct store *s, const char *device_id, const char *replica_id, int *other,
    char *err, size_t errlen);
/*
 * Read only: 1 when device_id is bound to replica_id, 2 when it is bound to
 * another replica, 0 when it is not bound yet (store_replica_bind binds
 * it), -1 on a database error.
 */
int store_replica_bound(struct store *s, const char *device_id, const char *replica_id);

/* --- pull pages encoded straight from SQLite (store_pull.c) --- */
#include "pbwire.h"
#include "schema.h"

/*
 * One page of a pull as one complete frame, and what a pull carries from
 * page to page. pull_page_init before the first page of a pull; pass the
 * same struct back for each following page (its buffers are reused, and
 * echo_tables must survive); pull_page_free at the end.
 */
struct pull_page {
	/* Carried from page to page; set by the first page (pages == 0). */
	uint32_t pages;          /* pages made in this pull so far */
	uint64_t echo_tables;    /* bit t: table t's pull began at cursor 0, so rows the
	                            device wrote itself are sent too (a fresh replica) */
	/* This page: valid after store_pull_page returns 0, until the next call. */
	const uint8_t *frame;    /* length header + Envelope{id, pull_result}; inside buf */
	size_t frame_len;
	uint32_t n_rows;
	int more;                /* another page is waiting */
	uint64_t cursors[TBL_COUNT];   /* the next page's cursors, evict and note cursor */
	uint64_t evict_cursor;
	uint64_t note_cursor;
	/* Private: memory kept from page to page, and this page's byte estimate. */
	struct pbw buf, row, aux;
	size_t bytes;
};

void pull_page_init(struct pull_page *pg);
/* Free the page's buffers; accepts a page never used. pg may be reused after pull_page_init. */
void pull_page_free(struct pull_page *pg);
/*
 * The next page of rows changed in the actor's scope since req's cursors,
 * read as store_pull reads it (same limits, evictions, resolutions, more),
 * encoded straight from the store's columns into pg->frame as the reply to
 * request envelope_id. Rows whose current state the device wrote itself and
 * was told in its push result (_echo) are not sent, unless the table is in
 * pg->echo_tables. req->max_rows applies to every page. -1 with err.
 */
int store_pull_page(struct store *s, const struct store_actor *who,
    const Tongxin__PullRequest *req, uint32_t envelope_id, struct pull_page *pg, char *err,
    size_t errlen);

#endif
