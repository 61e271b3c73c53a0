/*
 * admin_view.h - what the administrator's reads (store_admin.c for SQLite,
 * store_pg_admin.c for PostgreSQL) make of the rows they read, the same for
 * every backend: an audited change in words, an insert's row as it was
 * made, a device's entry in the devices report.
 */
#ifndef TX_ADMIN_VIEW_H
#define TX_ADMIN_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "store.h"

/*
 * "name=value, ..." (an update: "name: before → after") for an audited
 * change, a packed Change of len bytes: malloc'd; "(unreadable)" when it
 * does not unpack, protobuf's empty string when memory runs out.
 */
char *audit_render_change(const void *blob, size_t len);
/*
 * Take one later audited change (a packed Change) back out of r, a row of
 * table t as it is now: an update's columns get the values it replaced.
 * Anything else (a delete, a sentence, unreadable bytes) leaves r alone.
 * Applied newest first, it leaves r as the insert made it.
 */
void audit_take_back(struct srow *r, int t, const void *blob, size_t len);
/* "name=value, ..." of r's set columns (table t): malloc'd, or protobuf's empty string. */
char *audit_render_row(const struct srow *r, int t);

/*
 * The columns of a conflicted row whose server value the office's change
 * met: those where the server's row (ci->server_row, when it is row_id)
 * differs from the base the office saw (an update or delete), or the
 * unique columns (an insert that clashed), or failing both every column
 * the office's change names. A bit mask.
 */
uint64_t conflict_clash_cols(const Tongxin__ConflictInfo *ci, const char *row_id);
/*
 * Whether an audited change (its action, and detail: a packed Change or
 * NULL) wrote the server's value a conflict met: a delete, or a change
 * that set one of the columns in mask (conflict_clash_cols).
 */
bool audit_sets_cols(const char *action, const void *detail, size_t len, uint64_t mask);

/*
 * A new entry for device d at the end of resp->devices (grown through
 * *cap), with what struct store_device holds; the backend adds the open
 * conflicts and the replica check. NULL when memory runs out.
 */
Tongxin__DeviceInfo *devices_add(Tongxin__DevicesResponse *resp, size_t *cap,
    const struct store_device *d);

#endif
