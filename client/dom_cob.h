/*
 * dom_cob.h - what the co-building records' domain operations share
 * (wishes, opinions, the fund, list items' claims): organisations checked
 * by kind, the organisation a new record belongs to, bounded texts, the
 * clerk's dates, and an update checked by the server's row rules.
 */
#ifndef TX_DOM_COB_H
#define TX_DOM_COB_H

#include "domain.h"

/*
 * An organisation of this replica for a co-building record: code to id,
 * refused unless its kind is in kinds (NULL-terminated codes of org_kind)
 * and it is not dissolved. what names the role in messages ("认领支部").
 */
int dom_cob_org(struct replica *r, const char *code, const char *const *kinds,
    const char *what, char id[ID_TEXT_LEN + 1], struct dom_error *e);

/* The kinds of organisation a wish or an opinion belongs to (community, general branch, branch). */
extern const char *const dom_cob_home_kinds[];
/* The kind of organisation that claims a wish as a branch (--branch). */
extern const char *const dom_cob_branch_kinds[];

/*
 * The organisation for a new record: org_id
 * when given (checked as dom_cob_org's kinds), else this device's own
 * (which must be one of kinds). 0 with out set, or -1 with e.
 */
int dom_cob_home_org(struct replica *r, const char *org_id, const char *const *kinds,
    char out[ID_TEXT_LEN + 1], struct dom_error *e);

/*
 * Inside an open transaction: set the n
 * columns cols[] of row id of table t to vals[] (borrowed), having
 * checked each value against its column and the whole row as it would be
 * (validate_row, the server's rules). cur holds the row as read (every
 * column, schema order). 0, or -1 with e (nothing written).
 */
int dom_cob_update(struct replica *r, int t, const char *id, const Tongxin__Value *cur,
    const uint32_t *cols, const Tongxin__Value *vals, size_t n, struct dom_error *e);

/*
 * A date the clerk gave (YYYY-MM-DD, a real
 * day, not after today) or today when none: out holds it. col names the
 * column of t in e. 0, or -1 with e.
 */
int dom_cob_date(const char *s, int t, const char *col, char out[11], struct dom_error *e);


#endif
