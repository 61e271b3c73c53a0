/*
 * mem_sto.h - a second, complete implementation of the storage operations
 * (server/sto.h) in memory. It exists for two reasons:
 *
 *   1. to test the apply engine (server/engine.c) alone: tests/test_engine.c
 *      drives engine_push over it and reads the outcome back through the
 *      accessors below, never through the engine;
 *   2. to be the model the PostgreSQL store follows: every operation does
 *      exactly what the contract comment in sto.h says, in the plainest
 *      way (linear arrays, deep copies), so that what a real store must do
 *      for each operation can be read here without SQL.
 *
 * Transactions are real: begin takes a snapshot of the whole state and
 * rollback puts it back; sp_begin takes another, sp_rollback restores it
 * (and leaves the savepoint open), so every write since - rows, audit,
 * evictions, txn_log, conflicts and versions handed out - is undone.
 * Writes outside a transaction, a nested begin, or a savepoint operation
 * without a savepoint are contract violations: the operation fails and is
 * counted (mem_sto_misuse), so a test can assert the engine never does so.
 *
 * Not for production: every lookup is a scan, every snapshot a full copy.
 *
 * What sto.h leaves open, and how the two stores answer (test_engine's
 * sto_contract runs on both; a third store should settle these the same):
 *   - versions: rollback and sp_rollback give back the versions handed out,
 *     so the next write gets the next number (test_engine checks it). A
 *     PostgreSQL sequence cannot give numbers back; a store that takes them
 *     from one leaves gaps, and must say so where the contract is checked.
 *   - an insert whose id is taken and whose unique value is held too:
 *     memory answers STO_DUP_ID, SQLite STO_UNIQUE.
 *   - an update (is_new 0) of an id that is not there: memory fails
 *     (STO_FAILED), SQLite's UPDATE matches nothing and says STO_WRITTEN.
 *   - struct sto_txnlog.why and sto_conflict.why: the engine always gives
 *     one; SQLite reads it without a NULL check, memory takes NULL as none.
 *   - ref_scope and org_get must know the org table's kind and dissolved
 *     columns; conflict_get needs the device's name and organisation code,
 *     which no operation writes (mem_sto_device stands in for enrolment).
 *   - audit and evict: one entry per version (the tables' primary keys).
 */
#ifndef TX_MEM_STO_H
#define TX_MEM_STO_H

#include <stddef.h>
#include <stdint.h>

#include "sto.h"

struct mem_sto;

/* The operations table; its handle is a struct mem_sto *. */
extern const struct sto_ops mem_sto_ops;

/* A new, empty store (version 0). NULL when memory runs out. */
struct mem_sto *mem_sto_new(void);
/* Free everything; accepts NULL. */
void mem_sto_free(struct mem_sto *m);

/*
 * Tell the store of an enrolled device (the device table is not part of
 * sto_ops): conflict_get names a conflict's device and its organisation
 * code from it, as the SQLite store joins its device table. -1 on OOM.
 */
int mem_sto_device(struct mem_sto *m, const char *device_id, const char *name,
    const char *org_code);

/* --- read-only accessors for tests (never through the engine) --------- */

/* The version counter (the last version handed out and kept). */
uint64_t mem_sto_version(const struct mem_sto *m);
/* Contract violations seen (writes outside a transaction and the like). */
int mem_sto_misuse(const struct mem_sto *m);
/* Whether a write transaction is open. */
int mem_sto_in_txn(const struct mem_sto *m);
/* Rows of table t; live_only: without the deleted ones. */
size_t mem_sto_count(const struct mem_sto *m, int t, int live_only);
/* Row id of table t as stored, or NULL. Valid until the next write. */
const struct srow *mem_sto_row(const struct mem_sto *m, int t, const char *id);

/* One audit entry as stored. */
struct mem_audit {
	uint64_t version;
	int64_t at;
	char device_id[40];
	char operator_name[128];
	char action[24];
	int table;
	char row_id[ID_TEXT_LEN + 1];
	uint64_t seq;
	uint8_t *detail;      /* NULL when none */
	size_t detail_len;
	int detail_text;
};
size_t mem_sto_naudit(const struct mem_sto *m);
const struct mem_audit *mem_sto_audit(const struct mem_sto *m, size_t i);

/* One eviction as stored. */
struct mem_evict {
	uint64_t version;
	int table;
	char row_id[ID_TEXT_LEN + 1];
	char old_scope[SCOPE_MAX];
	char new_scope[SCOPE_MAX];
};
size_t mem_sto_nevict(const struct mem_sto *m);
const struct mem_evict *mem_sto_evict(const struct mem_sto *m, size_t i);

/* One idempotency record (txn_log) as stored. */
struct mem_txnlog {
	char device_id[40];
	uint64_t seq;
	int status;
	int has_reason;
	char reason[REASON_TEXT_MAX];
	struct reason why;
	char conflict_id[ID_TEXT_LEN + 1];
	int64_t received_at;
	uint64_t hlc;
	uint8_t *txn;         /* NULL when not kept */
	size_t txn_len;
	uint8_t digest[32];
};
size_t mem_sto_ntxn(const struct mem_sto *m);
const struct mem_txnlog *mem_sto_txn(const struct mem_sto *m, size_t i);

/* One conflict as stored (and as settled). */
struct mem_conflict {
	char id[ID_TEXT_LEN + 1];
	char device_id[40];
	uint64_t seq;
	char operator_name[128];
	char kind[32];
	char reason[REASON_TEXT_MAX];
	struct reason why;
	int table;
	char row_id[ID_TEXT_LEN + 1];
	uint8_t *txn;
	size_t txn_len;
	uint8_t *server_row;  /* packed Row, NULL when none */
	size_t server_row_len;
	uint64_t hlc;
	int64_t local_time;
	int64_t received_at;
	char status[16];      /* open, auto, resolved */
	char resolution[1024];
	uint64_t resolved_version;
	char loser[40];
	int has_digest;
	uint8_t digest[32];
	char resolved_by[200];
	int64_t resolved_at;
	char note[600];
};
size_t mem_sto_nconflicts(const struct mem_sto *m);
const struct mem_conflict *mem_sto_conflict(const struct mem_sto *m, size_t i);

#endif
