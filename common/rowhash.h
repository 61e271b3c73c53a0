/*
 * rowhash.h - a digest of a table's rows, equal on a replica and on the
 * server exactly when they hold the same rows with the same values: the
 * convergence check (PRODUCT.md invariant 5).
 */
#ifndef TX_ROWHASH_H
#define TX_ROWHASH_H

#include <sqlite3.h>

/*
 * SHA-256 over the ids and schema columns of table t, in id order, of the
 * rows matching where (constant SQL, may be NULL) with ?1 and ?2 bound to
 * p1 and p2 when they are not NULL. out receives 64 hex digits. Returns 0,
 * or -1 on a database error.
 */
int table_hash(sqlite3 *db, int t, const char *where, const char *p1, const char *p2,
    char out[65]);

#endif
