/*
 * replica_int.h - the replica's insides, shared by replica.c (opening,
 * health, salvage), replica_capture.c (local writes), replica_outbox.c (the
 * outbox and acknowledgements), replica_meta.c (last contact, kept blobs)
 * and replica_pull.c (pulled pages).
 * Outside client/replica*.c only sync_pull.c includes it, for the pull's
 * two brackets (rep_pull_begin, rep_pull_end) at the end of this file.
 */
#ifndef TX_REPLICA_INT_H
#define TX_REPLICA_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "replica.h"

#define MAX_COLS 32

/*
 * The statements kept for each table. A command touches a few tables, and
 * preparing all of them at open (six for each of ~15 tables) cost a CLI
 * process ~2 ms before it did anything.
 */
enum rep_tstmt {
	TS_INS,     /* insert a local row */
	TS_UPSERT,  /* write the server's state of a row */
	TS_GET,     /* read a row's columns and version */
	TS_DEL,     /* delete a row */
	TS_UPD,     /* write every column of a row */
	TS_VER,     /* set the server version of a row */
	TS_COUNT
};

struct replica {
	sqlite3 *db;
	struct rep_info info;
	uint64_t hlc;
	/* Per-table statements, prepared at first use (rep_tstmt). */
	sqlite3_stmt *ts[TS_COUNT][TBL_COUNT];
	sqlite3_stmt *meta_get;
	sqlite3_stmt *meta_put;
	sqlite3_stmt *pending_put;
	sqlite3_stmt *pending_has;
	sqlite3_stmt *pending_drop;
	sqlite3_stmt *outbox_put;
	sqlite3_stmt *outbox_drop;
	sqlite3_stmt *outbox_peek;
	sqlite3_stmt *outcome_put;
	sqlite3_stmt *cursor_put;
	/* The newest outbox entry's seq and hlc (replica_capture.c, prepared at first use). */
	sqlite3_stmt *outbox_last;
	/* The local transaction being built. */
	int in_txn;
	char operator_name[65];
	uint64_t seq;                  /* sequence of the outbox chunk being built */
	/*
	 * After a commit of a local transaction: the database's data version
	 * then (SQLITE_FCNTL_DATA_VERSION, which every connection's commit
	 * moves, this one's too). While it is unchanged nothing has been
	 * written since, so seq and hlc are what rep_next_seq would read.
	 */
	unsigned int seq_dv;
	bool seq_known;
	/*
	 * The chunk's changes, each packed once as it is recorded, as the
	 * bytes of Txn field 5 (repeated Change): the outbox entry is the
	 * packed Txn header followed by these bytes.
	 */
	uint8_t *chunk;
	size_t chunk_len, chunk_cap;
	size_t nchanges;
	/*
	 * The entry's inserts as rows of the replica (table, rowid), while every
	 * change of the entry is an insert whose row gives back its values
	 * exactly (refs_off clear): such an entry is stored as references (the
	 * outbox reference form, replica_capture.c), its rows read again when it
	 * is sent, and each of its rows carries _version -seq until then.
	 */
	struct rep_ref *refs;
	size_t nrefs, refs_cap;
	bool refs_off;
	uint64_t refs_check;     /* change_check of the inserts noted */
	/*
	 * The pull (replica_pull.c). Its statements are prepared at the first
	 * page that needs them and finalised with the others by replica_close.
	 */
	sqlite3_stmt *pull_any_pending;   /* is anything unacknowledged? */
	sqlite3_stmt *pull_any_outbox;    /* is any local transaction unsent? */
	sqlite3_stmt *pull_mark[TBL_COUNT];   /* a row's _version (its mark, replica_capture.c) */
	sqlite3_stmt *pull_cursors;       /* the stored cursors, every row */
	sqlite3_stmt *pull_evict_outcome; /* forget our kept copy of an evicted row's change */
	sqlite3_stmt *pull_resolve;       /* an administrator's decision on our change */
	sqlite3_stmt *pull_notice;        /* a newer edit replaced a value we wrote */
	sqlite3_stmt *gone_put;           /* a deleted row's tombstone (replica_recover.c) */
	bool pull_active;                 /* between rep_pull_begin and rep_pull_end */
	bool pull_first;                  /* this pull starts from no cursor at all */
	bool pull_no_indexes;             /* secondary indexes dropped (meta pull_indexes) */
	int pull_cache_saved;             /* PRAGMA cache_size to put back at the end */
	struct pull_ckpt *pull_ckpt;      /* a first pull's checkpointer thread, or NULL */
};

/*
 * The reference form of an outbox entry (replica_capture.c writes it,
 * rep_outbox_expand reads it): the Txn header as packed, one empty Change
 * (field 5) per change, and in field OUTBOX_REF_FIELD (an unknown field to
 * protobuf-c) a stream: the byte OUTBOX_REF_V1, varint n, 8 bytes of a
 * check over the changes as captured (little-endian), then per change
 * varint table and the zigzag varint of its rowid less the one before (0
 * before the first). Each change is an insert whose row, read again,
 * packs to the very bytes capture would have stored; the check, computed
 * again from the rows, says that they did.
 */
#define OUTBOX_REF_FIELD 14
#define OUTBOX_REF_V1    1
/* One insert of the entry being built, by its row (struct replica's refs). */
struct rep_ref {
	int t;
	sqlite3_int64 rowid;
};

/* An integer from meta through the kept statement, or dflt (replica_capture.c). */
int64_t rep_meta_int(struct replica *r, const char *key, int64_t dflt);
/* Set an integer in meta through the kept statement; 0 or -1 (replica_capture.c). */
int rep_meta_set(struct replica *r, const char *key, int64_t v);

/*
 * The compact stored form of an outbox entry of inserts only
 * (replica_outbox.c; the format is described there). hdr (hlen bytes) is
 * the entry's packed Txn header, chg (clen bytes) its n changes as packed
 * (Txn field 5 each). Returns the blob of *blen bytes to store in place of
 * hdr+chg, inside a work buffer *work that the caller gives back with
 * rep_outbox_compact_done once the blob is stored; or NULL when the entry
 * is to be stored as it is (too few changes, one that is not an insert,
 * nothing gained, memory).
 */
uint8_t *rep_outbox_compact(const uint8_t *hdr, size_t hlen, const uint8_t *chg, size_t clen,
    size_t n, size_t *blen, uint8_t **work);
/* Give back the work buffer of rep_outbox_compact (kept for the next entry). */
void rep_outbox_compact_done(uint8_t *work);
/*
 * The Txn bytes a stored outbox entry stands for, as the push sends them:
 * 0 with *full = blob and *flen = len when the entry is stored as it is; 1
 * when it is compact or in the reference form, expanded into *buf (grown
 * with realloc as needed, *cap its size; the caller frees it) with *full =
 * *buf; -1 when blob is not a well-formed entry (fields of Txn only, the
 * compact form, or references to rows of db that are all there).
 * A reference form's rows are read from db: the replica the entry was
 * written in (salvage passes the damaged one).
 */
int rep_outbox_expand(sqlite3 *db, const uint8_t *blob, size_t len, uint8_t **buf,
    size_t *cap, const uint8_t **full, size_t *flen);
/*
 * rep_outbox_expand for salvage from a damaged file (db): the rows of a
 * reference form that cannot be read are left out, counted in *skipped,
 * and the rest make the Txn. A stored entry's own bytes are needed whole.
 */
int rep_outbox_salvage(sqlite3 *db, const uint8_t *blob, size_t len, uint8_t **buf,
    size_t *cap, const uint8_t **full, size_t *flen, size_t *skipped);
/*
 * The changes a reference form stands for (s, slen bytes: the stream after
 * its version byte), each read from its row in db and packed as capture
 * packs an insert, appended to *buf at *len (grown with realloc, *cap its
 * size). n is the number of changes the entry declares. 0, or -1 when the
 * stream is not well formed, a row is missing, the rows do not give back
 * the entry's check (one changed without rep_ref_settle) or memory runs
 * out. With skipped (salvage of a damaged file), a row that cannot be read
 * is left out and counted there, and the check is not asked for.
 */
int rep_ref_expand(sqlite3 *db, const uint8_t *s, size_t slen, uint64_t n, uint8_t **buf,
    size_t *len, size_t *cap, size_t *skipped);
/*
 * Before a row whose _version is -seq changes (a local update or delete, a
 * pulled row or eviction): outbox entry seq, which refers to the row, is
 * stored as the bytes it stands for (compact where it can be) and every
 * row it named loses its mark (_version 0: written here, not yet
 * acknowledged); the entry being built instead packs its rows. Inside the
 * caller's write transaction. 0, or -1 with err.
 */
int rep_ref_settle(struct replica *r, uint64_t seq, char *err, size_t errlen);
/*
 * rep_ref_settle for a stored entry, on db: an entry not in the reference
 * form, or no longer in the outbox, is left as it is.
 */
int rep_outbox_unref(sqlite3 *db, sqlite3_int64 seq, char *err, size_t errlen);
/*
 * The rows a reference form's stream names (s, slen bytes after its version
 * byte) lose the mark -seq: _version 0 again. 0, or -1.
 */
int rep_ref_unmark(sqlite3 *db, const uint8_t *s, size_t slen, uint64_t seq);

/*
 * The sequence the next local transaction takes, with r->hlc raised to the
 * newest one written (replica_capture.c). A commit does not write them to
 * meta: meta's next_seq and hlc are floors that acknowledgements, salvage
 * and the server's floor raise, and the outbox's newest entry stands for
 * every commit since. -1 when SQLite fails.
 */
int64_t rep_next_seq(struct replica *r);

/* Record damage met in the replica file (replica.c); the first description is kept unless replace. */
void damage_note(const char *detail, bool replace);
/*
 * Make the replica show the server's state of a row, unless check_pending
 * and the row has a change the server has not acknowledged yet; counts an
 * applied row in *applied (may be NULL). 0, or -1 on a malformed row or a
 * SQLite error.
 */
int apply_server_row(struct replica *r, const Tongxin__Row *row, int check_pending,
    uint64_t *applied);
/*
 * Bits of apply_server_row's check_pending: skip a row with pending
 * changes; record a deleted row's tombstone (in gone: rows the server
 * deleted, as a pull or our own acknowledged delete tells).
 */
#define ROW_CHECK_PENDING 1
#define ROW_TOMBSTONE 2
/* (replica_pull.c) The outbox is not empty: a row an entry refers to is settled first. */
#define ROW_SETTLE 4

/*
 * Open a pull on r: a larger page cache for its pages (put back by
 * rep_pull_end, so that read-only commands keep a small footprint), and
 * whether this is a first pull into a replica that never pulled (then the
 * first page of several drops the synced tables' secondary indexes, and
 * rep_pull_end builds them). A first pull that a kill interrupted is
 * carried on by the next one. 0, or -1 with err.
 */
int rep_pull_begin(struct replica *r, char *err, size_t errlen);
/*
 * Close the pull opened by rep_pull_begin, whether it succeeded or not:
 * build the indexes a first pull dropped (the replica is whole again,
 * even if the pull stopped half way) and put the page cache back.
 * 0, or -1 with err (the indexes stay pending for the next pull).
 */
int rep_pull_end(struct replica *r, char *err, size_t errlen);
/*
 * Build the indexes that an interrupted first pull left dropped, if any
 * (meta pull_indexes); nothing else. For replica_open or a repair. 0, or
 * -1 with err.
 */
int rep_indexes_repair(struct replica *r, char *err, size_t errlen);

/*
 * The kept statement of kind k for table t, prepared on first use; NULL
 * (with the reason in sqlite3_errmsg) if it cannot be prepared.
 */
sqlite3_stmt *rep_tstmt(struct replica *r, enum rep_tstmt k, int t);

#endif
