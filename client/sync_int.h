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
/* The next envelope, which must be the reply of kind body to request id; NULL (c->err) else. */
Tongxin__Envelope *conn_expect(struct conn *c, uint32_t id, Tongxin__Envelope__BodyCase body);
/*
 * Pull the device's scope into r until the server has sent everything,
 * counting into rep. 0, or -1 with c->fail and c->err set.
 */
int sync_pull(struct conn *c, struct replica *r, const struct sync_opts *o,
    struct sync_report *rep);

#endif
