/*
 * replica_meta.c - what a sync keeps in the replica's meta table besides
 * the data: the last contact with the street (rep_contact) and kept blobs
 * such as the TLS session (rep_set_blob, rep_get_blob). See replica.h.
 */
#include "replica.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "replica_int.h"

/*
 * The time of the last contact is bookkeeping (tongxin status shows it):
 * written at most this often, so that syncs in a row that change nothing
 * leave the replica's file alone.
 */
#define CONTACT_EVERY_MS 10000

int
rep_contact(struct replica *r, const char *street)
{
	bool named = street != NULL && street[0] != '\0';
	int64_t now = now_ms(), last = r->info.last_contact;
	sqlite3_stmt *st;
	int rc;

	/*
	 * r->info is what replica_info read at the start of this sync: a
	 * contact recorded less than CONTACT_EVERY_MS ago, with the same
	 * street, is not written again.
	 */
	if ((!named || strcmp(r->info.street, street) == 0) && last > 0 && now >= last &&
	    now - last < CONTACT_EVERY_MS)
		return 0;
	/*
	 * One statement, so one small transaction: the time, and the street's
	 * name only when it changed (a row whose value stays is not written).
	 */
	if (sqlite3_prepare_v2(r->db, named ?
	    "INSERT INTO meta(key, value) VALUES ('last_contact', ?1), ('street', ?2)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
	    " WHERE meta.value IS NOT excluded.value" :
	    "INSERT INTO meta(key, value) VALUES ('last_contact', ?1)"
	    " ON CONFLICT(key) DO UPDATE SET value = excluded.value", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	if (named)
		sqlite3_bind_text(st, 2, street, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
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
