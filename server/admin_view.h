/*
 * admin_view.h - what the administrator's reads (store_admin.c for SQLite,
 * store_pg_admin.c for PostgreSQL) make of the rows they read, the same for
 * every backend: an audited change in words, an insert's row as it was
 * made, a device's entry in the devices report.
 */
#ifndef TX_ADMIN_VIEW_H
#define TX_ADMIN_VIEW_H

#include <stddef.h>

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
 * A new entry for device d at the end of resp->devices (grown through
 * *cap), with what struct store_device holds; the backend adds the open
 * conflicts and the replica check. NULL when memory runs out.
 */
Tongxin__DeviceInfo *devices_add(Tongxin__DevicesResponse *resp, size_t *cap,
    const struct store_device *d);

#endif
