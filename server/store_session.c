/*
 * store_session.c - what the server's session layer asks the store about
 * live sessions: whether their devices have been revoked since they
 * connected (tongxind revoke is another process writing the same
 * database), and which replica a device's credential belongs to.
 *
 * A device is bound to the first replica id it presents (device_replica);
 * a credential copied to a second computer presents another id and is
 * refused, so two replicas never number transactions from one sequence.
 * A device that is revoked and enrolled again gets a new device id and
 * binds afresh.
 */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "ids.h"

#include "store_internal.h"

static const char session_ddl[] =
	"CREATE TABLE IF NOT EXISTS device_replica ("
	"  device_id TEXT PRIMARY KEY NOT NULL, replica_id TEXT NOT NULL,"
	"  bound_at INTEGER NOT NULL) WITHOUT ROWID;";

int
sqs_session_init(struct store *base, char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	return db_exec(s->db, session_ddl, err, errlen);
}


int
sqs_devices_revoked(struct store *base, const char *const *ids, size_t n, int *revoked)
{
	struct sq_store *s = SQ(base);
	sqlite3_stmt *st;
	int rc = 0;

	if (n == 0)
		return 0;
	/* Kept in s (asked for every live session at each check); store_close finalises it. */
	if ((st = db_kept(s->db, &s->device_revoked,
	    "SELECT revoked_at IS NOT NULL FROM device WHERE id = ?1")) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int step;

		sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_STATIC);
		step = sqlite3_step(st);
		if (step == SQLITE_ROW)
			revoked[i] = sqlite3_column_int(st, 0) != 0;
		else if (step == SQLITE_DONE)
			revoked[i] = 1;   /* no longer enrolled at all (an older backup restored) */
		else
			rc = -1;
		sqlite3_reset(st);
		if (rc != 0)
			break;
	}
	sqlite3_clear_bindings(st);
	return rc;
}

/* The replica id device_id is bound to into out; 1 found, 0 none, -1 error. */
static int
replica_bound(struct sq_store *s, const char *device_id, char *out, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_kept(s->db, &s->replica_bound,
	    "SELECT replica_id FROM device_replica WHERE device_id = ?1")) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
sqs_replica_bound(struct store *base, const char *device_id, const char *replica_id)
{
	struct sq_store *s = SQ(base);
	char bound[ID_TEXT_LEN + 8];
	int rc = replica_bound(s, device_id, bound, sizeof bound);

	if (rc <= 0)
		return rc;
	return strcmp(bound, replica_id) == 0 ? 1 : 2;
}

int
sqs_replica_bind(struct store *base, const char *device_id, const char *replica_id, int *other,
    char *err, size_t errlen)
{
	struct sq_store *s = SQ(base);
	char bound[ID_TEXT_LEN + 8];
	sqlite3_stmt *st;
	int rc;

	*other = 0;
	if ((rc = replica_bound(s, device_id, bound, sizeof bound)) < 0)
		goto dberr;
	if (rc == 1) {
		*other = strcmp(bound, replica_id) != 0;
		return 0;
	}
	/* OR IGNORE: another process may have bound it a moment ago; read it again. */
	if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO device_replica (device_id, replica_id,"
	    " bound_at) VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
		goto dberr;
	sqlite3_bind_text(st, 1, device_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, replica_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms());
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || replica_bound(s, device_id, bound, sizeof bound) != 1)
		goto dberr;
	*other = strcmp(bound, replica_id) != 0;
	return 0;
dberr:
	snprintf(err, errlen, "database: %s", sqlite3_errmsg(s->db));
	return -1;
}
