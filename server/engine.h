/*
 * engine.h - the apply engine: what a change may do and what becomes of
 * it, with no SQL. Change shape, scope, references, the domain rules that
 * need other rows, merge policy, conflict kinds, verdicts, transfer moves
 * and push results are decided here; the store (sto.h) only reads and
 * writes what the engine asks.
 *
 * One engine per store handle. It is used from one thread at a time.
 */
#ifndef TX_ENGINE_H
#define TX_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "reason.h"
#include "schema.h"
#include "sto.h"
#include "store.h"
#include "tongxin.pb-c.h"

#define PUSH_MAX_TXNS WIRE_MAX_TXNS
#define TXN_MAX_CHANGES WIRE_MAX_CHANGES
#define TXN_OPERATOR_MAX WIRE_MAX_NAME      /* bytes of a transaction's operator name */
#define HLC_AHEAD_MAX_MS (5 * 60 * 1000)    /* a device clock may run this far ahead */
#define CONFLICTS_PER_DEVICE_MAX 1000       /* open conflicts one device may have queued */

struct eng {
	const struct sto_ops *ops;
	void *b;                        /* the store's handle, first argument of every op */
	uint64_t hlc;                   /* the server's hybrid logical clock */
	char today[11];                 /* YYYY-MM-DD for the domain rules, set per push */
	int64_t max_open_conflicts;     /* beyond this a device's conflicts are rejected */
	/* Per change of the transaction being applied: the version an insert got. */
	uint64_t *vers;
	size_t vers_cap;
	int echo_ok;    /* a push is being applied: its own rows' writes set srow.echo */
	/*
	 * During engine_push: the highest sequence the pushing device has
	 * logged (a transaction above it cannot be a re-send: no lookup).
	 * UINT64_MAX otherwise (every transaction is looked up).
	 */
	uint64_t push_seq_max;
	/*
	 * The highest version the restored copy held, 0 for a database never
	 * restored (store_epoch; set by the store before each push, resolution
	 * and recovery): a row at or below it is still as restored.
	 */
	uint64_t restored_version;
};

/* Call operation op of e's store with e's handle. */
#define STO(e, op, ...) ((e)->ops->op((e)->b, __VA_ARGS__))
/* The same for an operation that takes nothing but the handle. */
#define STO0(e, op) ((e)->ops->op((e)->b))

/* Make an engine over a store's operations; engine_free gives back its memory. */
void engine_init(struct eng *e, const struct sto_ops *ops, void *b);
void engine_free(struct eng *e);

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
 * Apply a push (see store_push_raw in store.h): every transaction gets one
 * result, and the whole batch is committed durably before 0 returns.
 */
int engine_push(struct eng *e, const struct store_actor *who, const Tongxin__PushRequest *req,
    const ProtobufCBinaryData *raw, Tongxin__PushResponse **out, char *err, size_t errlen);

/*
 * Settle an open conflict (see store_conflict_resolve in store.h):
 * committed durably before 0 returns; *out is a new message.
 */
int engine_resolve(struct eng *e, const struct store_actor *admin,
    const Tongxin__ConflictResolveRequest *req, Tongxin__ConflictResolveResponse **out,
    char *err, size_t errlen);

/* Free the strings of a loaded row. */
void srow_clear(struct srow *r);
/* Whether an organisation path lies within a scope prefix. */
int in_scope(const char *path, const char *prefix);
/*
 * The upper bound of a scope prefix's range, so that the paths under it are
 * those in [prefix, hi): "/A/B/" -> "/A/B0" ('/' + 1 == '0'), for the stores'
 * range scans (byte order: SQLite's, PostgreSQL's COLLATE "C").
 */
void scope_hi(const char *prefix, char *hi, size_t cap);
/*
 * The scope(s) of a row from its values (its organisation references). On
 * a problem fills vd: CH_CONFLICT (the parent is gone) or CH_REJECTED.
 */
enum ch_result row_scopes(struct eng *e, int t, const Tongxin__Value *v, char *scope,
    char *scope2, struct txn_verdict *vd);
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
int audit_change(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const Tongxin__Change *c, uint64_t version, const char *action);
/* The server's state of a row as a message (deleted if outside scope). NULL on failure. */
Tongxin__Row *row_message(struct eng *e, int t, const char *id, const char *scope);
/*
 * Give a result its reason: the English sentence (old clients, the log), the
 * code and its arguments (malloc'd, freed with the message). -1 on OOM.
 */
int result_set_reason(Tongxin__TxnResult *res, const struct reason *r);
/* Copy r's code and arguments into a message's fields (malloc'd). -1 on OOM. */
int reason_args_copy(const struct reason *r, uint32_t *code, char ***args, size_t *nargs);
/* Pack a transaction into a malloc'd buffer of *n bytes. */
uint8_t *pack_txn(const Tongxin__Txn *tx, size_t *n);
/*
 * Keep a whole transaction in the conflict queue with status ("open", or
 * "auto" with loser): raw, its bytes as received (NULL: tx is packed). The
 * new conflict's id goes to id. -1 on a storage failure.
 */
int conflict_record(struct eng *e, const struct store_actor *who, const Tongxin__Txn *tx,
    const ProtobufCBinaryData *raw, struct txn_verdict *vd, const char *status,
    const char *loser, char id[ID_TEXT_LEN + 1]);
/* Whether a device has as many open conflicts as the queue takes from one device; -1 on error. */
int conflict_queue_full(struct eng *e, const char *device_id);

/*
 * Apply one change. force (administrators settling a conflict) skips the
 * base comparison: the change's values are taken as they are, and an update
 * of a deleted row brings it back.
 */
enum ch_result apply_insert(struct eng *e, const struct store_actor *who,
    const Tongxin__Txn *tx, const Tongxin__Change *c, struct txn_verdict *vd);
enum ch_result apply_update(struct eng *e, const struct store_actor *who,
    const Tongxin__Txn *tx, const Tongxin__Change *c, struct txn_verdict *vd,
    struct lww_note *note, int force);
enum ch_result apply_delete(struct eng *e, const struct store_actor *who,
    const Tongxin__Txn *tx, const Tongxin__Change *c, struct txn_verdict *vd, int force);

/*
 * If row id of table t left scope (an accepted transfer), set why (without
 * saying where it went) and return 1; 0 if it never left; -1 on error.
 */
int row_left_scope(struct eng *e, int t, const char *id, const char *scope,
    struct reason *why);

/*
 * The rules that need other rows (engine_rules.c): the organisation tree,
 * members and applicants in a branch or group, steps decided by the right
 * meeting. cols/n: the change's columns; cols NULL for an insert (every
 * column). CH_APPLIED, CH_REJECTED with vd filled, or CH_ERROR.
 */
enum ch_result engine_row_rules(struct eng *e, const struct store_actor *who, int t,
    const char *id, const Tongxin__Value *v, const uint32_t *cols, size_t n,
    struct txn_verdict *vd);
/*
 * A new service report naming its community by code (org_code): fill
 * org_id (into org_id_buf, which r borrows) from the live community with
 * that code; a report naming neither is refused, one naming both must
 * agree.
 */
enum ch_result service_report_prepare(struct eng *e, struct srow *r,
    char org_id_buf[ID_TEXT_LEN + 1], struct txn_verdict *vd);
/*
 * A co-building agreement that names its resident unit by credit code
 * (unit_code, from an office that does not hold the unit): unit_id is
 * filled from the live unit holding that code (into id_buf), and must agree
 * with a unit_id given as well. CH_APPLIED, CH_REJECTED with vd, CH_ERROR.
 */
enum ch_result agreement_prepare(struct eng *e, struct srow *r, char id_buf[ID_TEXT_LEN + 1],
    struct txn_verdict *vd);
/*
 * Keep the shares of row id of table t (schema.h COLF_SHARE) after it was
 * written as r: see engine.c. 0, or -1 on a storage failure.
 */
int share_follow(struct eng *e, const struct store_actor *who, int t, const char *id,
    const struct srow *r);
/*
 * Whether a device of scope sees row id of table t, as r holds it: in its
 * scope or second scope, shared into the device's scope (COLF_SHARE), or
 * above it in a table seen below its scope (TBLF_DOWN). 1, 0, -1.
 */
int row_seen(struct eng *e, int t, const char *id, const struct srow *r, const char *scope);
/* A transfer's receiving organisation must be one members belong to (a branch or a group). */
enum ch_result transfer_target_rule(struct eng *e, const char *to_org_id,
    struct txn_verdict *vd);
/* The live, undissolved organisation with this code, into id: 1, 0 none, -1 on failure. */
int org_by_code(struct eng *e, const char *code, char id[ID_TEXT_LEN + 1]);
/* The scope path of the live, undissolved organisation with this code: 1, 0 none, -1. */
int org_scope_by_code(struct eng *e, const char *code, char *scope, size_t cap);

/*
 * Take back the rows a replica sends after a restore (store_recover in
 * store.h): each row judged as a push's change where the server's row is
 * still as restored, queued otherwise; in one transaction. ep: the
 * store's epoch. -1 with err when it cannot be done (never restored, an
 * old epoch, too many rows, a storage failure).
 */
int engine_recover(struct eng *e, const struct store_epoch *ep, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen);

/*
 * A malloc'd copy of t for a protobuf string field, or protobuf's empty
 * string for NULL, "" or when memory runs out (free_unpacked skips it).
 */
char *pb_str_dup(const char *t);

/* Transfers (engine_transfer.c). */
/* A new request: fill to_org_id (into to_id, which r borrows) from to_org_code; check the member. */
enum ch_result transfer_prepare_insert(struct eng *e, struct srow *r,
    char to_id[ID_TEXT_LEN + 1], struct txn_verdict *vd);
/*
 * After the scope check of a new request: the member must be one the device
 * holds (refused otherwise; a conflict if it left meanwhile) and still be in
 * the sending organisation (a conflict otherwise).
 */
enum ch_result transfer_check_member(struct eng *e, const struct store_actor *who,
    const struct srow *r, struct txn_verdict *vd);
/*
 * Who may change or withdraw an existing transfer r: the receiving side only
 * its decision, the sending side only the request (and withdraw it while it
 * is requested).
 */
enum ch_result transfer_guard(const struct store_actor *who, const Tongxin__Change *c,
    const struct srow *r, struct txn_verdict *vd);
/* A change of status: only the receiving side decides; acceptance moves the member. */
enum ch_result transfer_on_update(struct eng *e, const struct store_actor *who,
    const Tongxin__Txn *tx, const struct srow *old, struct srow *r, struct txn_verdict *vd);

#endif
