/*
 * dom_handle.h - one kind of handle for every record the clerk names on the
 * command line (and the desk's links): what lists show and what verbs take.
 *
 *   - any record: its full id, or the id's last 6 or more characters
 *     (lists show the last DOM_SHORT_LEN: dom_short);
 *   - a member, also: the 18-character citizen ID number, or a name that
 *     exactly one member of the replica has.
 *
 * A handle that matches nothing is DOM_NOT_FOUND; one that matches several
 * records is DOM_INVALID with a message listing them (at most a few, by
 * their short handles) so the clerk can pick one.
 */
#ifndef TX_DOM_HANDLE_H
#define TX_DOM_HANDLE_H

#include "domain.h"

/* How many of the id's last characters lists show. */
#define DOM_SHORT_LEN 8

/* The short handle of id: a pointer to its last DOM_SHORT_LEN characters (id itself when shorter). */
const char *dom_short(const char *id);

/*
 * The row of table t named by handle (full id or a suffix of 6+
 * characters, case-insensitive). what names the kind of record in
 * messages ("会议"). 0 with id set, or -1 with e.
 */
int dom_row_handle(struct replica *r, int t, const char *handle, const char *what,
    char id[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * The member named by handle: full id, id suffix of 6+ characters, citizen
 * ID number (any case of its X), or an exact name that one member has.
 * 0 with id set, or -1 with e.
 */
int dom_member_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e);

#endif
