/*
 * sto.h - the storage operations the apply engine (engine.h) drives: a
 * table of functions in the style of Redis' connection type, so that the
 * rules of merge, conflicts, scope, references and transfers live once,
 * above SQL, and a second store implements only this table.
 *
 * Every operation takes the backend's own handle first (struct eng.b).
 * Operations run inside the write transaction the engine opened with
 * begin and ended with commit or rollback; a savepoint (sp_begin) may be
 * open inside it. Nothing here knows a merge rule: a store reads and
 * writes what it is given and says what happened in typed outcomes.
 *
 * Error convention: 0 on success, -1 on a storage failure (logged by the
 * store, with what it knows: statement, error code). Lookups return 1
 * found, 0 not found, -1 on failure.
 */
#ifndef TX_STO_H
#define TX_STO_H

#include <stddef.h>
#include <stdint.h>

#include "bounds.h"
#include "ids.h"
#include "reason.h"
#include "tongxin.pb-c.h"

#define MAX_COLS WIRE_MAX_COLS
#define SCOPE_MAX 512

/* A row as the server holds it: the schema's columns and the bookkeeping. */
struct srow {
	int exists;
	Tongxin__Value v[MAX_COLS];
	uint64_t version;       /* _version: the change that last touched the row */
	int deleted;            /* _deleted: rows are never removed */
	char scope[SCOPE_MAX];  /* _scope: organisation path that decides who sees the row */
	char scope2[SCOPE_MAX]; /* _scope2: a second one (a transfer's receiving side), or "" */
	uint64_t hlc;
	char device[40];        /* the last writer */
	/*
	 * Written to _echo: 1 when the row's state at this version is the one
	 * the push result tells its writer (device) as it is applied, so that
	 * device's pulls need not send the row back. Only the push path sets
	 * it, for the rows a transaction names; row_load leaves it 0, so any
	 * other write (a transfer's moves, a resolution, a rule) clears it.
	 */
	int echo;
};

/*
 * What the engine asks of an organisation for every reference it checks
 * (see sto_ops.org_get): its scope path, kind, and whether it is deleted or
 * dissolved.
 */
struct sto_org {
	char kind[40];
	int deleted;
	int dissolved;
	char scope[SCOPE_MAX];
};

/* How a row write ended. */
enum sto_write {
	STO_WRITTEN,
	STO_DUP_ID,     /* an insert whose id another row holds */
	STO_UNIQUE,     /* a unique column's value is held by another live row */
	STO_FAILED      /* a storage failure (logged) */
};

/* A list of row ids (sto_ops.ids_where); sto_ids_free frees it. */
struct sto_ids {
	char (*id)[ID_TEXT_LEN + 1];
	size_t n, cap;
};
/* Append an id (stores call it). -1 when memory runs out. */
int sto_ids_add(struct sto_ids *l, const char *id);
void sto_ids_free(struct sto_ids *l);

/* One applied change in the audit log. detail: a packed Change, or NULL. */
struct sto_audit {
	uint64_t version;
	int64_t at;               /* Unix ms */
	const char *device_id;
	const char *operator_name;   /* NULL or "" when none */
	const char *action;       /* insert, update, delete, restore, transfer, ... */
	int table;
	const char *row_id;
	uint64_t seq;
	const uint8_t *detail;
	size_t detail_len;
	int detail_text;          /* detail is a sentence (a resolution), not a packed Change */
};

/* A transaction's idempotency record (txn_log), as written and as found. */
struct sto_txnlog {
	const char *device_id;
	uint64_t seq;
	int status;                 /* Tongxin__TxnResult__Status */
	const char *reason;         /* English sentence, or NULL */
	const struct reason *why;   /* code and arguments (code 0: none) */
	const char *conflict_id;    /* NULL or "" when none */
	int64_t received_at;
	uint64_t hlc;
	const uint8_t *txn;         /* the transaction kept whole, or NULL */
	size_t txn_len;
	const uint8_t *digest;      /* 32 bytes */
};
struct sto_logged {
	int status;
	int has_reason;
	char reason[REASON_TEXT_MAX];
	struct reason why;          /* code 0 when the record has none */
	char conflict_id[ID_TEXT_LEN + 1];
	int has_digest;
	uint8_t digest[32];
};

/* A transaction kept whole in the conflict queue. */
struct sto_conflict {
	const char *id;
	const char *device_id;
	uint64_t seq;
	const char *operator_name;  /* NULL or "" when none */
	const char *kind;
	const char *reason;         /* English sentence */
	const struct reason *why;
	int table;                  /* -1 when none */
	const char *row_id;         /* NULL or "" when none */
	const uint8_t *txn;
	size_t txn_len;
	const uint8_t *server_row;  /* packed Row, or NULL */
	size_t server_row_len;
	uint64_t hlc;
	int64_t local_time;
	int64_t received_at;
	const char *status;         /* "open", "auto", or "rejected" (a reused sequence refused) */
	const char *resolution;     /* NULL unless decided on arrival */
	uint64_t resolved_version;  /* 0 unless decided on arrival */
	const char *loser;          /* NULL or "" when none */
	const uint8_t *digest;      /* 32 bytes, or NULL (a reused sequence keeps its digest) */
};

/* A device's recovery after a restore, in one epoch: rows by outcome. */
struct sto_recovery {
	uint32_t applied, known, conflicts, rejected;
};

struct sto_ops {
	const char *name;
	/* The last storage error, in words, for a log line ("" if none). */
	const char *(*errmsg)(void *b);

	/*
	 * A write transaction (begin takes the store's write lock and writes
	 * the devices' bookkeeping noted since the last one; commit persists
	 * the version counter and makes everything durable before it returns
	 * 0; rollback undoes all, including the versions handed out on stores
	 * without gaps; PostgreSQL's sequence leaves gaps). commit fails when
	 * version_next failed inside the transaction (it returned 0).
	 */
	int (*begin)(void *b, char *err, size_t errlen);
	int (*commit)(void *b, char *err, size_t errlen);
	void (*rollback)(void *b);
	/*
	 * The savepoint around one transaction of a push. sp_rollback undoes
	 * every write since sp_begin (and the versions handed out since, on
	 * stores without gaps; PostgreSQL's sequence leaves gaps) and leaves
	 * it open; sp_release closes it.
	 */
	int (*sp_begin)(void *b);
	int (*sp_release)(void *b);
	int (*sp_rollback)(void *b);
	/*
	 * The next change version: above every version handed out so far and
	 * not given back. A store may give back the versions a rollback or
	 * sp_rollback took (memory, SQLite: they are handed out again), or, if
	 * it says so, leave gaps (PostgreSQL: a sequence never gives a number
	 * back, store_pg.h): its versions are unique and increasing, not dense.
	 * 0 on failure (no version is ever 0): a store that cannot take a
	 * version must then fail the transaction's commit, as the PostgreSQL
	 * store does: the engine does not check each call.
	 */
	uint64_t (*version_next)(void *b);
	/*
	 * Give back v, the version version_next has just handed out, when the
	 * write it was taken for did not happen (a one-insert transaction runs
	 * without a savepoint, engine.c apply_changes). A store with gaps may
	 * keep it taken.
	 */
	void (*version_back)(void *b, uint64_t v);

	/* Row id of table t into r (r->exists says whether it was found). -1 on failure. */
	int (*row_load)(void *b, int t, const char *id, struct srow *r);
	/* Write r with every bookkeeping column: insert when is_new, else update. */
	enum sto_write (*row_write)(void *b, int t, const char *id, const struct srow *r,
	    int is_new);
	/*
	 * The live row other than not_id whose unique column col holds v, into
	 * out. 1 found, 0 none, -1 on failure.
	 */
	int (*unique_owner)(void *b, int t, int col, const Tongxin__Value *v, const char *not_id,
	    char out[ID_TEXT_LEN + 1]);
	/*
	 * The scope path of row id of table t, for a reference: 1 found live,
	 * 2 found but deleted (or, for an organisation, dissolved), 0 none, -1.
	 */
	int (*ref_scope)(void *b, int t, const char *id, char *scope, size_t cap);
	/* Organisation id, whether deleted or not: 1 found, 0 none, -1 on failure. */
	int (*org_get)(void *b, const char *id, struct sto_org *o);
	/*
	 * Ids of the live rows of table t whose column col holds the text value
	 * (appended to out, at most max of them; max 0: all). 0, or -1.
	 */
	int (*ids_where)(void *b, int t, int col, const char *value, size_t max,
	    struct sto_ids *out);

	int (*audit_put)(void *b, const struct sto_audit *a);
	/* A row left old_scope for new_scope at version: replicas of old_scope drop it. */
	int (*evict_put)(void *b, uint64_t version, int t, const char *id, const char *old_scope,
	    const char *new_scope);
	/* Whether row id of table t ever left an organisation path under scope: 1, 0, -1. */
	int (*evict_find)(void *b, int t, const char *id, const char *scope);
	/*
	 * Shares (schema.h COLF_SHARE): while row via_id of table via_t lives,
	 * row id of table t is seen in scope as well. share_put records one (a
	 * second time changes nothing); share_drop forgets every share via_id
	 * made; share_in says whether row id of t is shared into a scope in
	 * [lo, hi): 1, 0, -1.
	 */
	int (*share_put)(void *b, int via_t, const char *via_id, int t, const char *id,
	    const char *scope);
	int (*share_drop)(void *b, int via_t, const char *via_id);
	int (*share_in)(void *b, int t, const char *id, const char *lo, const char *hi);

	/* The idempotency record of (device, seq): 1 found into *out, 0 none, -1. */
	int (*txn_find)(void *b, const char *device_id, uint64_t seq, struct sto_logged *out);
	int (*txn_put)(void *b, const struct sto_txnlog *rec);
	/* The highest sequence logged from a device (0: none). -1 on failure. */
	int (*txn_seq_max)(void *b, const char *device_id, uint64_t *out);

	int (*conflict_put)(void *b, const struct sto_conflict *c);
	/* Open conflicts a device has queued, into *n. -1 on failure. */
	int (*conflict_open_count)(void *b, const char *device_id, int64_t *n);
	/*
	 * Conflict key (its id, or a unique suffix of at least 6 characters)
	 * with both sides (txn, server_row, current_row) into a new *out (free
	 * with tongxin__conflict_info__free_unpacked). -1 with err ("no
	 * conflict ...", ambiguous, or a storage failure).
	 */
	int (*conflict_get)(void *b, const char *key, Tongxin__ConflictInfo **out, char *err,
	    size_t errlen);
	/*
	 * Settle open conflict id: its resolution, who and when, the version
	 * of the decision, the administrator's note. 1 settled, 0 it was not
	 * open (nothing changed), -1 on failure.
	 */
	int (*conflict_settle)(void *b, const char *id, const char *resolution, const char *by,
	    int64_t at, uint64_t version, const char *note);
	/*
	 * The record kept for a reused sequence of this device with these
	 * contents (digest; kind "reused_seq" in the conflict table), into
	 * *out: its conflict id, and status CONFLICT when it waits in the
	 * queue (status "open", or settled since) or REJECTED when its
	 * judgement refused it (status "rejected"), with the reason kept.
	 * 1 found, 0 none, -1 on failure.
	 */
	int (*reused_find)(void *b, const char *device_id, uint64_t seq, const uint8_t digest[32],
	    struct sto_logged *out);

	/* --- recovery after a restore (engine_recover.c) --- */
	/*
	 * Row id of table t as recovered before: the version it came from
	 * (origin) and the version it got. 1 found, 0 none, -1 on failure.
	 */
	int (*recovered_get)(void *b, int t, const char *id, uint64_t *origin, uint64_t *version);
	/* Remember (or replace) that row id was recovered from origin, now at version. */
	int (*recovered_put)(void *b, int t, const char *id, uint64_t origin, uint64_t version,
	    const char *device_id);
	/* Whether the device already queued its copy of row id from origin: 1, 0, -1. */
	int (*recovered_queued)(void *b, const char *device_id, int t, const char *id,
	    uint64_t origin);
	/* Remember that copy as queued under conflict_id (a second put changes nothing). */
	int (*recovered_queued_put)(void *b, const char *device_id, int t, const char *id,
	    uint64_t origin, const char *conflict_id);
	/* Add counts to the device's recovery in epoch (started now); done: it is finished. */
	int (*recovery_add)(void *b, const char *device_id, const char *epoch,
	    const struct sto_recovery *add, int done);
	/* The device's totals in epoch into *out (zeros if none): 1 finished, 0 not, -1. */
	int (*recovery_get)(void *b, const char *device_id, const char *epoch,
	    struct sto_recovery *out);
};

#endif
