/*
 * sync_int.h - the insides of the sync procedure shared by sync.c (the
 * connection, hello, push) and sync_pull.c (the pull). Nothing outside
 * client/sync*.c includes it.
 */
#ifndef TX_SYNC_INT_H
#define TX_SYNC_INT_H

#include "sync.h"

/* Record why the exchange failed (c->fail, c->err); returns -1. */
int conn_fail(struct conn *c, enum sync_fail f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Read the next frame's body into *buf (grown as needed: *bufcap bytes; the
 * caller's to keep and free), its length in *len. At most cap bytes. 0, or
 * -1 with c->fail set.
 */
int conn_read_frame(struct conn *c, size_t cap, uint8_t **buf, size_t *bufcap, uint32_t *len);
/*
 * A frame of len bytes as frame_decode returned it (NULL: unreadable): an
 * Error becomes c's failure (env freed, NULL returned); anything else is
 * returned as it is.
 */
Tongxin__Envelope *conn_check(struct conn *c, Tongxin__Envelope *env, size_t len);
/* The next envelope, which must be the reply of kind body to request id; NULL (c->err) else. */
Tongxin__Envelope *conn_expect(struct conn *c, uint32_t id, Tongxin__Envelope__BodyCase body);
/*
 * Pull the device's scope into r until the server has sent everything,
 * counting into rep. 0, or -1 with c->fail and c->err set.
 */
int sync_pull(struct conn *c, struct replica *r, const struct sync_opts *o,
    struct sync_report *rep);

#endif
