/*
 * replica_int.h - the replica's insides, shared by replica.c (the replica,
 * its outbox and acknowledgements) and replica_pull.c (pulled pages).
 * Nothing outside client/replica*.c includes it.
 */
#ifndef TX_REPLICA_INT_H
#define TX_REPLICA_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "replica.h"

#define MAX_COLS 32

struct replica {
	sqlite3 *db;
	struct rep_info info;
	uint64_t hlc;
	/* Per-table statements. */
	sqlite3_stmt *ins[TBL_COUNT];     /* insert a local row */
	sqlite3_stmt *upsert[TBL_COUNT];  /* write the server's state of a row */
	sqlite3_stmt *get[TBL_COUNT];
	sqlite3_stmt *del[TBL_COUNT];
	sqlite3_stmt *upd[TBL_COUNT];     /* write every column of a row */
	sqlite3_stmt *ver[TBL_COUNT];     /* set the server version of a row */
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
	/* The local transaction being built. */
	int in_txn;
	char operator_name[65];
	uint64_t seq;                  /* sequence of the outbox chunk being built */
	/*
	 * The chunk's changes, each packed once as it is recorded, as the
	 * bytes of Txn field 5 (repeated Change): the outbox entry is the
	 * packed Txn header followed by these bytes.
	 */
	uint8_t *chunk;
	size_t chunk_len, chunk_cap;
	size_t nchanges;
};

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

#endif
