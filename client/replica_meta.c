/*
 * replica_meta.c - what a sync keeps in the replica's meta table besides
 * the data: the last contact with the street (rep_contact) and kept blobs
 * such as the TLS session (rep_set_blob, rep_get_blob). See replica.h.
 */
#include "replica.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "replica_int.h"

int
rep_contact(struct replica *r, const char *street)
{
	char have[256] = "";

	/* One small transaction: the time, and the street's name only when it changed. */
	if (db_exec(r->db, "BEGIN IMMEDIATE", NULL, 0) != 0)
		return -1;
	if ((street && street[0] && (db_meta_get(r->db, "street", have, sizeof have) != 0 ||
	    strcmp(have, street) != 0) && db_meta_set(r->db, "street", street) != 0) ||
	    db_meta_set_int(r->db, "last_contact", now_ms()) != 0 ||
	    db_exec(r->db, "COMMIT", NULL, 0) != 0) {
		db_exec(r->db, "ROLLBACK", NULL, 0);
		return -1;
	}
	return 0;
}

int
rep_set_blob(struct replica *r, const char *key, const void *data, size_t len)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(r->db, "INSERT INTO meta(key, value) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
rep_get_blob(struct replica *r, const char *key, void **data, size_t *len)
{
	sqlite3_stmt *st;
	int found = -1;

	*data = NULL;
	*len = 0;
	if (sqlite3_prepare_v2(r->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		if ((*data = malloc(*len ? *len : 1)) != NULL) {
			memcpy(*data, sqlite3_column_blob(st, 0), *len);
			found = 0;
		}
	}
	sqlite3_finalize(st);
	return found;
}
