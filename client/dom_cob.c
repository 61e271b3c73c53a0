/* dom_cob.c - what the co-building records share; see dom_cob.h. */
#include "dom_cob.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "validate.h"
#include "value.h"
#include "vocab.h"

const char *const dom_cob_home_kinds[] = { "community", "general_branch", "branch", NULL };
const char *const dom_cob_branch_kinds[] = { "branch", NULL };

int
dom_cob_date(const char *s, int t, const char *col, char out[11], struct dom_error *e)
{
	int c = schema_col_index(&schema_tables[t], col);
	char today[11];

	today_str(today);
	if (dom_given(s) == NULL) {
		snprintf(out, 11, "%s", today);
		return 0;
	}
	if (strlen(s) != 10 || !validate_date(s))
		return dom_err(e, DOM_INVALID, c, "%s“%s”无效，应为 YYYY-MM-DD (not a date)",
		    schema_tables[t].cols[c].label, text_show(s));
	if (strcmp(s, today) > 0)
		return dom_err(e, DOM_INVALID, c, "%s %s 晚于今天 (in the future)",
		    schema_tables[t].cols[c].label, s);
	snprintf(out, 11, "%s", s);
	return 0;
}

/* Whether kind is one of kinds. */
static bool
kind_in(const char *kind, const char *const *kinds)
{
	for (; kind && *kinds; kinds++)
		if (strcmp(kind, *kinds) == 0)
			return true;
	return false;
}

/* The kinds' labels, "社区党委、党支部", into buf. */
static const char *
kinds_text(const char *const *kinds, char *buf, size_t cap)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *kinds && n < cap; kinds++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "、" : "",
		    vocab_show(vocab_get("org_kind"), *kinds));
	return buf;
}

/* Check org (by id or, when code, by code) against kinds; id set. what for messages. */
static int
org_check(struct replica *r, const char *key, bool by_code, const char *const *kinds,
    const char *what, char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	sqlite3_stmt *st;
	char kt[128];
	int rc, res = 0;

	if (sqlite3_prepare_v2(replica_db(r), by_code ?
	    "SELECT id, kind, coalesce(dissolved, 0), name FROM org WHERE code = ?1" :
	    "SELECT id, kind, coalesce(dissolved, 0), name FROM org WHERE id = ?1", -1, &st,
	    NULL) != SQLITE_OK)
		return dom_db_err(r, e);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		res = dom_err(e, DOM_NOT_FOUND, -1, "%s：本副本中没有组织“%s” (unknown organisation)",
		    what, text_show(key));
	else if (rc != SQLITE_ROW)
		res = dom_db_err(r, e);
	else if (!kind_in(dom_col_text(st, 1), kinds))
		res = dom_err(e, DOM_INVALID, -1, "%s须为%s，“%s”是%s (wrong kind of organisation)",
		    what, kinds_text(kinds, kt, sizeof kt), text_show(dom_col_text(st, 3)),
		    vocab_show(vocab_get("org_kind"), dom_col_text(st, 1)));
	else if (sqlite3_column_int(st, 2) != 0)
		res = dom_err(e, DOM_INVALID, -1, "%s“%s”已撤销 (dissolved)", what,
		    text_show(dom_col_text(st, 3)));
	else
		snprintf(id, ID_TEXT_LEN + 1, "%s", dom_col_text(st, 0));
	sqlite3_finalize(st);
	return res;
}

int
dom_cob_org(struct replica *r, const char *code, const char *const *kinds, const char *what,
    char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	dom_error_clear(e);
	if (dom_given(code) == NULL)
		return dom_err(e, DOM_MISSING, -1, "缺少%s的组织编码 (give the organisation's code)", what);
	if (strlen(code) > 32)
		return dom_err(e, DOM_INVALID, -1, "组织编码超过 32 字节 (the code is too long)");
	return org_check(r, code, true, kinds, what, id, e);
}

int
dom_cob_home_org(struct replica *r, const char *org_id, const char *const *kinds,
    char out[ID_TEXT_LEN + 1], struct dom_error *e)
{
	if (dom_given(org_id))
		return org_check(r, org_id, false, kinds, "所属组织", out, e);
	/* This device's own organisation. */
	if (org_check(r, replica_info(r)->org_code, true, kinds, "本设备的组织", out, e) == 0)
		return 0;
	if (e->kind == DOM_NOT_FOUND)
		return dom_err(e, DOM_INVALID, -1, "本副本中还没有本组织的记录，请先同步"
		    " (this office's organisation is not in the replica yet: sync first)");
	if (e->kind == DOM_INVALID) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof e->msg - n, "；请用 --org 指定社区或支部 (give --org CODE)");
	}
	return -1;
}

int
dom_cob_update(struct replica *r, int t, const char *id, const Tongxin__Value *cur,
    const uint32_t *cols, const Tongxin__Value *vals, size_t n, struct dom_error *e)
{
	const struct table_def *td = &schema_tables[t];
	Tongxin__Value row[DOM_MAX_COLS];
	char today[11], why[512], err[512] = "";
	int bad;

	for (int c = 0; c < td->ncols; c++)
		row[c] = cur[c];
	for (size_t k = 0; k < n; k++) {
		if (validate_value(&td->cols[cols[k]], &vals[k], why, sizeof why) != 0)
			return dom_err(e, DOM_INVALID, (int)cols[k], "%s", why);
		row[cols[k]] = vals[k];
	}
	today_str(today);
	if (validate_row_col(t, row, today, why, sizeof why, &bad) != 0)
		return dom_err(e, DOM_INVALID, bad, "%s", why);
	if (rep_update(r, t, id, cols, vals, n, err, sizeof err) != 0)
		return dom_err(e, DOM_FAIL, -1, "%s", err[0] ? err : "cannot write the replica");
	return 0;
}
