/*
 * replica.h - the office's local replica: its data tables (from the shared
 * schema), its outbox of local transactions not yet acknowledged by the
 * server, and the bookkeeping that sync needs.
 *
 * Capture is done here, in the same SQLite transaction as the write: every
 * write goes through rep_insert/rep_update/rep_delete between rep_begin and
 * rep_commit, which record the change (with the values it replaces, the
 * base) in memory and append it to the outbox at commit. A local
 * transaction of more than REP_TXN_MAX_CHANGES changes (a bulk import) is
 * cut into several outbox transactions, each applied atomically. An
 * outbox transaction of inserts refers to its rows rather than copying
 * them (replica_capture.c, the reference form): the rows are read again
 * when it is pushed, each carries _version -seq meanwhile, and whatever
 * changes such a row first stores the entry as the bytes it stands for
 * (rep_ref_settle, replica_int.h). A new writer of replica rows must do
 * the same.
 *
 * Rows with unacknowledged changes are listed in "pending"; the server's
 * state never overwrites them until the server has acknowledged them.
 */
#ifndef TX_REPLICA_H
#define TX_REPLICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "ids.h"
#include "pki.h"
#include "schema.h"
#include "tongxin.pb-c.h"

#define REP_TXN_MAX_CHANGES 1000

struct replica;

/* What the replica knows about its device and server. */
struct rep_info {
	char path[4096];
	char device_id[40];
	char device[65];
	char org_code[65];
	char role[16];
	char server[300];       /* HOST:PORT from the bundle (or --server at join) */
	char street[256];       /* learnt at the first contact */
	int64_t last_contact;   /* Unix ms of the last successful sync/check, 0 if never */
	int64_t pending_txns;   /* local transactions not yet acknowledged */
	int64_t pending_changes;
	/*
	 * The check at open (replica.c's own): whether the file is known sound
	 * (it passed the check, or is as a tongxin that knew it sound left it),
	 * and its mark when it was opened.
	 */
	bool file_sound;
	char file_mark[128];
};

/*
 * Create a replica at path from a bundle: the database and a copy of the
 * credential beside it (path + ".credential"), both mode 0600 whatever the
 * umask (SQLite gives the -wal and -shm files the database's mode). Folders
 * missing on the way are created 0700; an existing folder open to other
 * users gets a one-line warning and is left as it is. Works offline.
 * server_override replaces the bundle's server address when not NULL.
 */
int replica_join(const char *path, const char *bundle, const char *server_override,
    char *err, size_t errlen);

/*
 * Open an existing replica. NULL with err set if it cannot. The file is
 * checked first (PRAGMA quick_check, stopped after REP_CHECK_MS or
 * $TONGXIN_CHECK_MS milliseconds, 0 = not at all; a file too big to check in
 * time is accepted with a debug note): a damaged file is refused with the
 * damage message in err, and replica_damaged() turns true. The check is
 * left out when the file is exactly as a tongxin that knew it sound closed
 * it: replica_close keeps the file's mark (device, inode, size, time of
 * last change) in its extended attribute REP_MARK_ATTR, and only SQLite's
 * checkpoints, which leave a new mark at close, change the main file
 * otherwise. A file written by anything else, copied, or left mid-
 * checkpoint by a crash, is checked (the check of a 20,000-member replica
 * takes 0.1-0.3 s; every command opens the replica). Damage a query meets
 * later is reported all the same (replica_damaged). Files of the replica
 * that older versions left readable by others are made 0600.
 */
struct replica *replica_open(const char *path, char *err, size_t errlen);
/* replica_open, the check run whatever the mark says (tongxin status). */
struct replica *replica_open_checked(const char *path, char *err, size_t errlen);
/* The extended attribute holding a replica file's mark (see replica_open). */
#define REP_MARK_ATTR "user.tongxin.checked"
/*
 * Close; accepts NULL. While the outbox holds local changes the server has
 * not acknowledged, the close makes every commit durable (SQLite's
 * checkpoint, with fsync). Otherwise, and while the WAL is at most
 * REP_WAL_KEEP bytes, the WAL is left for the next open or checkpoint: a
 * sync with nothing to do or a command that only reads costs no fsync.
 */
void replica_close(struct replica *r);
/* How large a WAL replica_close may leave behind unsynced (bytes: 64 pages). */
#define REP_WAL_KEEP (64 * 4096 + 32 + 64 * 24)

sqlite3 *replica_db(struct replica *r);
const struct rep_info *replica_info(struct replica *r);
/*
 * The PEM texts of the credential kept beside the replica, for a TLS
 * context (pki_bundle_load: checked whole at join and by tongxin doctor,
 * not parsed again here; c->id stays empty, replica_info names the device).
 */
int replica_credential(struct replica *r, struct pki_cred *c, char *err, size_t errlen);

/* --- health (tongxin doctor) --- */

/* How long the check at open may take, in milliseconds. */
#define REP_CHECK_MS 1500

/*
 * Whether this process has met a damaged replica file: the check at open
 * failed, or a statement met SQLITE_CORRUPT or SQLITE_NOTADB (SQLite's
 * error log reports it wherever it happens, so no caller has to test for
 * it), or an outbox entry could not be unpacked.
 */
bool replica_damaged(void);
/*
 * Copy the damage message (Chinese first; names the file and tells the
 * clerk to run tongxin doctor) into buf, unless replica_open has already
 * handed it out in its err. true when copied: the caller prints it.
 */
bool replica_damage_untold(char *buf, size_t cap);
/* Forget the damage met so far: tongxin doctor looks for it on purpose. */
void replica_damage_forget(void);

/*
 * PRAGMA integrity_check on the file at path, on a connection of its own
 * and without time limit. Each problem found (at most 100) is passed to
 * each(). Returns 0 sound, 1 damaged, -1 the check could not run (err).
 */
int replica_integrity(const char *path, void (*each)(const char *problem, void *arg),
    void *arg, char *err, size_t errlen);

/* Read the credential kept beside the replica at path (path + ".credential"). */
int replica_credential_at(const char *path, struct pki_cred *c, char *addr, size_t addrlen,
    char *err, size_t errlen);

/* Warn (one line on stderr) when the folder holding path is open to other users. */
void replica_folder_warn(const char *path);

/* What replica_salvage read back from a damaged replica. */
struct rep_salvage {
	int64_t outbox;          /* unsent transactions copied, each with its sequence */
	int64_t outbox_lost;     /* unsent transactions that could not be read or unpacked */
	int64_t changes_lost;    /* inserts left out of copied ones: their rows were unreadable */
	int64_t outcomes;        /* earlier answers of the server copied */
	int64_t notices;         /* notices copied */
	bool counters;           /* the sequence and clock counters were readable */
	bool identity;           /* the replica's identity was readable and kept */
	bool readable;           /* the file could be opened as a database at all */
};

/*
 * Copy what can still be read of the replica file at from into the new,
 * empty replica r, in one local transaction: the unsent outbox (each packed
 * Txn as it was, with its sequence, and the pending marks of the rows it
 * changes), the answers and notices already received, the street's name,
 * the replica's identity, and the sequence and clock counters (never
 * lowered). Damage in from only shortens what is copied. -1 with err when
 * from belongs to another device or r cannot be written (r is then as it
 * was); 0 otherwise, with s filled.
 */
int replica_salvage(struct replica *r, const char *from, struct rep_salvage *s, char *err,
    size_t errlen);

/*
 * Move the replica file at path (and its -wal, which belongs to it) aside
 * to path + ".damaged-YYYYMMDD-HHMMSS", mode 0600, and remove its -shm.
 * The new name goes to aside. 0, or -1 with err (nothing moved).
 */
int replica_set_aside(const char *path, char *aside, size_t asidelen, char *err,
    size_t errlen);

/*
 * Put the closed replica at from in the place of to (which must not exist)
 * and remove from's copy of the credential. 0, or -1 with err.
 */
int replica_install(const char *from, const char *to, char *err, size_t errlen);

/* Remove a replica's files (database, -wal, -shm, credential); missing ones are fine. */
void replica_discard(const char *path);

/* --- local writes (capture) --- */

/* Start a local transaction; operator_name (may be NULL) is recorded with it. */
int rep_begin(struct replica *r, const char *operator_name);
/*
 * Insert a row of table t with values vals[0..ncols-1] (unset = NULL).
 * A new id is made and written to id_out.
 */
int rep_insert(struct replica *r, int t, const Tongxin__Value *vals, char id_out[ID_TEXT_LEN + 1],
    char *err, size_t errlen);
/* Set columns cols[0..n-1] of row id to vals. Unchanged columns are not recorded. */
int rep_update(struct replica *r, int t, const char *id, const uint32_t *cols,
    const Tongxin__Value *vals, size_t n, char *err, size_t errlen);
/* Delete row id of table t. */
int rep_delete(struct replica *r, int t, const char *id, char *err, size_t errlen);
/* Commit: the data and the outbox entry become durable together. */
int rep_commit(struct replica *r, char *err, size_t errlen);
/* Abandon the transaction; nothing of it is kept. */
void rep_rollback(struct replica *r);

/*
 * Read row id of table t into vals (ncols values, strings malloc'd: clear
 * them with value_clear), and into *version the server's version of it (0
 * while the server has not acknowledged it). Returns 1 found, 0 not
 * found, -1 error.
 */
int rep_get(struct replica *r, int t, const char *id, Tongxin__Value *vals, uint64_t *version);

/* --- sync support --- */

/*
 * Up to max_txns outbox transactions (at most max_bytes packed) in order,
 * unpacked into *txns (free each with tongxin__txn__free_unpacked). Returns
 * the count, or -1.
 */
int rep_outbox_peek(struct replica *r, size_t max_txns, size_t max_bytes, Tongxin__Txn ***txns);

/*
 * Append the outbox transactions after sequence *after, in order (at most
 * max_txns, and at most max_bytes unless the first alone is larger), to out
 * as the txns field of a PushRequest, exactly as they are stored: nothing is
 * unpacked and packed again. *after becomes the last sequence taken.
 * Returns the count (0: nothing more), or -1 (an unreadable entry is noted
 * as damage; out->failed when out's cap was passed).
 */
struct pbw;
int rep_outbox_batch(struct replica *r, uint64_t *after, size_t max_txns, size_t max_bytes,
    struct pbw *out);

/* Counts of a push's results, for the sync summary. */
struct rep_ack_counts {
	int64_t applied, merged, conflict, rejected, duplicate;
	int64_t noted;   /* applied or merged with a note (a newer-wins decision) */
};

/*
 * Record the server's answers to a push in one local transaction: drop the
 * acknowledged transactions from the outbox, keep their outcome, and show
 * the server's state of each row that has no other unacknowledged change.
 */
int rep_ack(struct replica *r, const Tongxin__PushResponse *resp, struct rep_ack_counts *counts,
    char *err, size_t errlen);

/* Current pull cursors (TBL_COUNT entries) and the eviction cursor. */
int rep_cursors(struct replica *r, uint64_t *cursors, uint64_t *evict_cursor);
/* How far the replica has heard of its conflicts' resolutions. */
uint64_t rep_note_cursor(struct replica *r);

/*
 * Apply one pull page and advance the cursors in one local transaction.
 * *applied and *evicted count the rows changed and removed; *notices the
 * newer-wins decisions that replaced values this office wrote (any may be NULL).
 */
int rep_apply_page(struct replica *r, const Tongxin__PullResponse *page, uint64_t *applied,
    uint64_t *evicted, uint64_t *notices, char *err, size_t errlen);

struct pull_raw;
/*
 * The same, for a page read in place (client/pull_raw.h): its rows are
 * raw's (page's own rows are not looked at), everything else is page's.
 * raw NULL: rep_apply_page.
 */
int rep_apply_page_raw(struct replica *r, const Tongxin__PullResponse *page,
    const struct pull_raw *raw, uint64_t *applied, uint64_t *evicted, uint64_t *notices,
    char *err, size_t errlen);

/*
 * Make sure new local transactions get sequences above last_seq, the
 * highest the server has seen from this device (a replica restored from a
 * backup would otherwise reuse them).
 */
int rep_seq_floor(struct replica *r, uint64_t last_seq);

/* --- after the server was restored from a backup (replica_recover.c) --- */

/*
 * Every row held at a version in (lo, hi) - the versions the restored
 * server lost - and every tombstone there, as Row messages in batches of at
 * most max: each gets a batch (owned by the scan: valid during the call),
 * and last is set on the final call (its batch may be empty). A row with a
 * change still in the outbox goes as the server last had it; a row made
 * here and not yet sent is left to the push. *nrows counts the rows. 0, or
 * -1 with err (or each's non-zero result, err untouched).
 */
int rep_recover_scan(struct replica *r, uint64_t lo, uint64_t hi, size_t max,
    int (*each)(Tongxin__Row *const *rows, size_t n, bool last, void *arg), void *arg,
    uint64_t *nrows, char *err, size_t errlen);
/*
 * Each transaction the server queued as a conflict and that no decision
 * has settled yet, as kept in outcome (the bytes the server got). 0, or -1
 * with err (or each's non-zero result).
 */
int rep_open_conflicts(struct replica *r, int (*each)(const uint8_t *txn, size_t n, void *arg),
    void *arg, char *err, size_t errlen);
/*
 * Take the server's epoch as this replica's; with recovered (it has just
 * sent back what the restored server lacked) every table is pulled again.
 */
int rep_epoch_adopt(struct replica *r, const char *epoch, bool recovered, char *err,
    size_t errlen);

/* Record a successful contact with the server (and what it told us). */
int rep_contact(struct replica *r, const char *street);

/* Keep / fetch a TLS session for resumption (DER bytes). */
int rep_set_blob(struct replica *r, const char *key, const void *data, size_t len);
int rep_get_blob(struct replica *r, const char *key, void **data, size_t *len);

/*
 * A stable hash of the replica's live data of table t (ids and values in
 * id order), for convergence checks. out receives 64 hex characters.
 */
int rep_table_hash(sqlite3 *db, int t, const char *where_scope_sql, char out[65]);

#endif
