/*
 * store_internal.h - what the SQLite store's files share. Not part of the
 * store's interface (store.h): only store_*.c include it.
 */
#ifndef TX_STORE_INTERNAL_H
#define TX_STORE_INTERNAL_H

#include <stdint.h>
#include <sqlite3.h>

#include "bounds.h"
#include "ids.h"
#include "reason.h"
#include "schema.h"
#include "store.h"
#include "tongxin.pb-c.h"

#define MAX_COLS WIRE_MAX_COLS
#define SCOPE_MAX 512
#define PULL_MAX_ROWS 5000
#define PULL_MAX_BYTES (4u * 1024u * 1024u)
#define PUSH_MAX_TXNS WIRE_MAX_TXNS
#define TXN_MAX_CHANGES WIRE_MAX_CHANGES
#define TXN_OPERATOR_MAX WIRE_MAX_NAME      /* bytes of a transaction's operator name */
#define HLC_AHEAD_MAX_MS (5 * 60 * 1000)    /* a device clock may run this far ahead */
#define CONFLICTS_PER_DEVICE_MAX 1000       /* open conflicts one device may have queued */

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

struct store {
	sqlite3 *db;
	uint64_t version;       /* last change version handed out */
	uint64_t hlc;           /* server's hybrid logical clock */
	char today[11];         /* YYYY-MM-DD for the domain rules, set per push */
	uint64_t *vers;         /* per change of the transaction being applied: insert versions */
	size_t vers_cap;
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
	sqlite3_stmt *conflict_count;   /* open conflicts of a device */
	int64_t max_open_conflicts;     /* beyond this a device's conflicts are rejected */
	sqlite3_stmt *unique_get[TBL_COUNT];
	sqlite3_stmt *scope_get[TBL_COUNT];   /* _scope, _deleted, dissolved of a row */
	sqlite3_stmt *sp_begin, *sp_release, *sp_rollback;   /* the per-transaction savepoint */
	sqlite3_stmt *ver_get[TBL_COUNT];     /* _version, _deleted, _scope, _scope2 of a row */
	sqlite3_stmt *rules[8];               /* store_rules.c's, prepared when first needed */
	int echo_ok;    /* apply_txn is applying a push: its own rows' writes set srow.echo */
	sqlite3_stmt *device_put;       /* store_device_flush's update of one device */
	struct dev_note *notes;         /* devices noted since the last flush (malloc'd) */
	size_t nnotes, notes_cap;
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
	/*
	 * During store_push_raw: the highest sequence the pushing device has in
	 * txn_log (a transaction above it cannot be a re-send: no lookup).
	 * UINT64_MAX otherwise (every transaction is looked up).
	 */
	uint64_t push_seq_max;
	sqlite3_stmt *seq_max_get;
	/* Kept once first used (every handshake or Hello asks); store_close finalises them. */
	sqlite3_stmt *device_by_serial;   /* store_device_by_serial's */
	sqlite3_stmt *replica_bound;      /* store_session.c's device_replica lookup */
	sqlite3_stmt *device_revoked;     /* store_devices_revoked's */
	/* The database's epoch (meta): see store_epoch and store_restore.c. */
	struct store_epoch epoch;
	sqlite3_stmt *recovered_get, *recovered_put;   /* store_recover's, prepared when first used */
};

/* Make the restore bookkeeping (epoch, recovered rows) on open (store_restore.c). -1 on error. */
int store_epoch_init(struct store *s, char *err, size_t errlen);

/* A row as the server holds it. */
struct srow {
	int exists;
	Tongxin__Value v[MAX_COLS];
	uint64_t version;
	int deleted;
	char scope[SCOPE_MAX];
	char scope2[SCOPE_MAX];
	uint64_t hlc;
	char device[40];
	/*
	 * Written to _echo: 1 when the row's state at this version is the one
	 * the push result tells its writer (device) as it is applied, so that
	 * device's pulls need not send the row back. Only the push path sets
	 * it, for the rows a transaction names; row_load leaves it 0, so any
	 * other write (a transfer's moves, a resolution, a rule) clears it.
	 */
	int echo;
};

/* Outcome of one change. */
enum ch_result { CH_APPLIED, CH_MERGED, CH_CONFLICT, CH_REJECTED, CH_ERROR };

/* Details of the first change that stopped a transaction. */
struct txn_verdict {
	char kind[32];
	struct reason why;    /* the reason as a code and arguments; code 0: none */
	int table;
	char row_id[40];
	struct srow server;   /* server's row when the conflict was found */
	int have_server;
	char server_id[40];   /* id of that row when it is not row_id (a uniqueness clash) */
	uint64_t version;     /* set by apply_insert: the version the new row got */
};

/* A note that a newer-wins column decided a clash: recorded, never silent. */
struct lww_note {
	int table;
	char row_id[40];
	struct reason why;   /* code 0: no newer-wins decision */
	char loser[40];      /* device whose value the newer edit replaced ("" if none) */
};


/*
 * The state of organisation id (see struct org_entry), from memory when it
 * can: 1 found (*e points at it until the next store call), 0 no such row,
 * -1 on a database error.
 */
int org_lookup(struct store *s, const char *id, const struct org_entry **e);

/* Prepare the pull's statements (store_pull.c): s->pull[] and s->evict_get. -1 on error. */
int store_pull_prepare(struct store *s);
/* Bind text, or NULL when s is NULL or empty. */
void bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
/* Free the strings of a loaded row. */
void srow_clear(struct srow *r);
/* Persist the version counter inside the current write transaction. */
int store_save_version(struct store *s);
/* Load row id of table t; r->exists says whether it was found. -1 on error. */
int row_load(struct store *s, int t, const char *id, struct srow *r);
/* Write r with all bookkeeping columns; returns the SQLite result code. */
int row_write(struct store *s, int t, const char *id, const struct srow *r, int is_new);
/*
 * The scope(s) of a row from its values (its organisation references). On
 * a problem fills vd: CH_CONFLICT (the parent is gone) or CH_REJECTED.
 */
enum ch_result row_scopes(struct store *s, int t, const Tongxin__Value *v, char *scope,
    char *scope2, struct txn_verdict *vd);
/* Whether an organisation path lies within a scope prefix. */
int in_scope(const char *path, const char *prefix);
/*
 * The shape of a whole transaction (size, sequence, operator; every change's
 * table, row id, columns, types and sizes), before anything is read or
 * stored. CH_APPLIED, or CH_REJECTED with vd filled.
 */
enum ch_result txn_shape(const Tongxin__Txn *tx, struct txn_verdict *vd);
/* Refuse a change naming a row the device does not hold, in words that reveal nothing. */
enum ch_result refuse_unseen(struct txn_verdict *vd, const struct table_def *td,
    const char *what, const char *id);
/* Record an applied change in the audit log. */
int audit_change(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, uint64_t version, const char *action);
/* The server's state of a row as a message (deleted if outside scope). */
Tongxin__Row *row_message(struct store *s, int t, const char *id, const char *scope);
/*
 * Give a result its reason: the English sentence (old clients, the log), the
 * code and its arguments (malloc'd, freed with the message). -1 on OOM.
 */
int result_set_reason(Tongxin__TxnResult *res, const struct reason *r);
/* Copy r's code and arguments into a message's fields (malloc'd). -1 on OOM. */
int reason_args_copy(const struct reason *r, uint32_t *code, char ***args, size_t *nargs);
/* Pack a transaction into a malloc'd buffer of *n bytes. */
uint8_t *pack_txn(const Tongxin__Txn *tx, size_t *n);
/* Run a kept statement without results. 0, or -1 (logged). */
int step_once(sqlite3_stmt *st);
/*
 * Keep a whole transaction in the conflict queue with status ("open", or
 * "auto" with loser): raw, its bytes as received (NULL: tx is packed). The
 * new conflict's id goes to id. -1 on a database error.
 */
int conflict_record(struct store *s, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, struct txn_verdict *vd, const char *status,
    const char *loser, char id[ID_TEXT_LEN + 1]);
/* Whether a device has as many open conflicts as the queue takes from one device; -1 on error. */
int conflict_queue_full(struct store *s, const char *device_id);

/*
 * Apply one change. force (administrators settling a conflict) skips the
 * base comparison: the change's values are taken as they are, and an update
 * of a deleted row brings it back.
 */
enum ch_result apply_insert(struct store *s, const struct store_actor *who,
    const Tongxin__Txn *tx, const Tongxin__Change *c, struct txn_verdict *vd);
enum ch_result apply_update(struct store *s, const struct store_actor *who,
    const Tongxin__Txn *tx, const Tongxin__Change *c, struct txn_verdict *vd,
    struct lww_note *note, int force);
enum ch_result apply_delete(struct store *s, const struct store_actor *who,
    const Tongxin__Txn *tx, const Tongxin__Change *c, struct txn_verdict *vd, int force);

/* Record that a row left old_scope for new_scope (replicas of old_scope drop it). */
int evict_record(struct store *s, uint64_t version, int t, const char *id, const char *old_scope,
    const char *new_scope);
/*
 * If row id of table t left scope (an accepted transfer), set why (without
 * saying where it went) and return 1; 0 if it never left; -1 on error.
 */
int row_left_scope(struct store *s, int t, const char *id, const char *scope,
    struct reason *why);

/*
 * The rules that need other rows (store_rules.c): the organisation tree,
 * members and applicants in a branch or group, steps decided by the right
 * meeting. cols/n: the change's columns; cols NULL for an insert (every
 * column). CH_APPLIED, CH_REJECTED with vd filled, or CH_ERROR.
 */
enum ch_result store_row_rules(struct store *s, const struct store_actor *who, int t,
    const char *id, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd);
/*
 * A new service report naming its community by code (org_code): fill
 * org_id (into org_id_buf, which r borrows) from the live community with
 * that code; a report naming neither is refused, one naming both must
 * agree.
 */
enum ch_result service_report_prepare(struct store *s, struct srow *r,
    char org_id_buf[ID_TEXT_LEN + 1], struct txn_verdict *vd);
/* A transfer's receiving organisation must be one members belong to (a branch or a group). */
enum ch_result store_transfer_target_rule(struct store *s, const char *to_org_id,
    struct txn_verdict *vd);

/* Transfers (store_transfer.c). */
/* A new request: fill to_org_id (into to_id, which r borrows) from to_org_code; check the member. */
enum ch_result transfer_prepare_insert(struct store *s, struct srow *r,
    char to_id[ID_TEXT_LEN + 1], struct txn_verdict *vd);
/*
 * After the scope check of a new request: the member must be one the device
 * holds (refused otherwise; a conflict if it left meanwhile) and still be in
 * the sending organisation (a conflict otherwise).
 */
enum ch_result transfer_check_member(struct store *s, const struct store_actor *who,
    const struct srow *r, struct txn_verdict *vd);
/*
 * Who may change or withdraw an existing transfer r: the receiving side only
 * its decision, the sending side only the request (and withdraw it while it
 * is requested).
 */
enum ch_result transfer_guard(const struct store_actor *who, const Tongxin__Change *c,
    const struct srow *r, struct txn_verdict *vd);
/* A change of status: only the receiving side decides; acceptance moves the member. */
enum ch_result transfer_on_update(struct store *s, const struct store_actor *who,
    const Tongxin__Txn *tx, const struct srow *old, struct srow *r, struct txn_verdict *vd);

#endif
