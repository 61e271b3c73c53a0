/*
 * bounds.h - the limits both sides share: how long every string the wire
 * carries may be, how many of each repeated thing a message may hold.
 *
 * The server checks every body against these before any handler runs
 * (server.c's dispatch table), so a hostile peer cannot make it store or
 * copy more than this; the client keeps its own input within them, so an
 * honest peer is never refused. Change one and both sides change with it.
 *
 * (Named bounds.h, not limits.h: common/ is on the include path, and a
 * limits.h there would hide the C library's <limits.h>.)
 */
#ifndef TX_BOUNDS_H
#define TX_BOUNDS_H

#include "frame.h"
#include "ids.h"

/* Names people type: operator names, device names, the program version. */
#define WIRE_MAX_NAME 64
/* Row ids are UUID text. */
#define WIRE_MAX_ROW_ID ID_TEXT_LEN
/* A replica's identity (a UUID made at join). */
#define WIRE_MAX_REPLICA_ID ID_TEXT_LEN
/* Short identifiers in requests: conflict ids, codes, table and status names. */
#define WIRE_MAX_IDENT 64
/* A free-text note (an administrator's reason for a resolution). */
#define WIRE_MAX_NOTE 500
/* One Value's text: the longest text column in the schema. */
#define WIRE_MAX_VALUE 20000
/* A hex SHA-256 digest. */
#define WIRE_MAX_DIGEST 64

/* Transactions in one push, changes in one transaction. */
#define WIRE_MAX_TXNS 1024
#define WIRE_MAX_CHANGES 2000
/* Columns a change names (and values and base values parallel to them). */
#define WIRE_MAX_COLS 32
/* Rows in one recovery request (RecoverRequest) after a restore. */
#define WIRE_MAX_RECOVER_ROWS 1000
/* Tables a pull or a replica check may name. */
#define WIRE_MAX_TABLES 64

_Static_assert(WIRE_MAX_ROW_ID == 36, "row ids are UUID text");
_Static_assert(WIRE_MAX_COLS <= 64, "the store tracks a change's columns in a 64-bit set");
_Static_assert(WIRE_MAX_NAME < WIRE_MAX_NOTE && WIRE_MAX_IDENT < WIRE_MAX_NOTE,
    "a note holds at least a name");
_Static_assert(WIRE_MAX_NAME * 2 + WIRE_MAX_REPLICA_ID + 64 < FRAME_MAX_PREAUTH,
    "a Hello at its limits fits in the frame allowed before authentication");
_Static_assert((unsigned long long)WIRE_MAX_VALUE * WIRE_MAX_COLS * 2 < FRAME_MAX,
    "one change at its limits fits in a frame");
_Static_assert(WIRE_MAX_TXNS > 0 && WIRE_MAX_CHANGES > 0, "a push carries something");

#endif
