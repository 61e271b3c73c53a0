/*
 * dom_roster.h - the roster exported losslessly: every member's record as
 * the table "member import" (cmd_import.c) takes back to the same values,
 * for the CLI (member export) and the desk (/api/report/roster-export.csv).
 */
#ifndef TX_DOM_ROSTER_H
#define TX_DOM_ROSTER_H

#include <stdbool.h>
#include <stdio.h>

#include "domain.h"
#include "table.h"

/* At most this many members in one export: what one import takes. */
#define DOM_ROSTER_EXPORT_MAX 500000

/*
 * The export of the members under org_id (its subtree; NULL or "" the whole
 * replica): those on the books (DOM_MEMBER_ACTIVE), or with all also those
 * who left. Columns: every member column but the meeting references, headed
 * by the schema's labels (the import's header names), org references as
 * the organisation's code, vocabularies and booleans typed so the CSV
 * writer shows their labels (男, 汉族, 是/否), dues_base as a number.
 * Ordered by branch code, name, id. *rows gets the count (may be NULL).
 * The export is written to f as CSV while it is read (table.h's stream:
 * no row kept, so a street's roster takes a few megabytes): the one CSV
 * writer's TABLE_CSV form. The members are counted first in the same read
 * snapshot: over DOM_ROSTER_EXPORT_MAX writes nothing (DOM_INVALID).
 * DOM_FAIL when the replica cannot be read or f cannot be written (f may
 * then hold a part).
 */
int dom_roster_export_write(struct replica *r, const char *org_id, bool all, FILE *f, long *rows,
    struct dom_error *e);

#endif
