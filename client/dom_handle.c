/*
 * dom_handle.c - resolving the handles of dom_handle.h against the replica.
 */
#include "dom_handle.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "schema.h"
#include "validate.h"

/* Most candidates named in an "ambiguous" message. */
#define SHOW_CANDIDATES 5

const char *
dom_short(const char *id)
{
	size_t n = strlen(id);
	return n > DOM_SHORT_LEN ? id + n - DOM_SHORT_LEN : id;
}

/* Whether s could be an id or an id's suffix: hex digits and dashes only. */
static bool
id_like(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

/*
 * Run sql (binding handle as ?1) and collect up to SHOW_CANDIDATES + 1 ids
 * and labels (column 0 the id, column 1 a label or NULL). Returns how many
 * rows matched (capped at SHOW_CANDIDATES + 1) or -1 on a replica error.
 */
static int
candidates(sqlite3 *db, const char *sql, const char *handle,
    char ids[SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], char labels[SHOW_CANDIDATES + 1][128],
    struct dom_error *e)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		e->kind = DOM_FAIL;
		snprintf(e->msg, sizeof e->msg, "读取副本失败 replica: %s", sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_text(st, 1, handle, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < SHOW_CANDIDATES + 1) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		const char *l = (const char *)sqlite3_column_text(st, 1);
		snprintf(ids[n], ID_TEXT_LEN + 1, "%s", id ? id : "");
		snprintf(labels[n], 128, "%s", l ? l : "");
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		e->kind = DOM_FAIL;
		snprintf(e->msg, sizeof e->msg, "读取副本失败 replica: %s", sqlite3_errmsg(db));
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

/* e: several records match handle; list them by short handle (and label). */
static void
ambiguous(struct dom_error *e, const char *what, const char *handle, int n,
    char ids[SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], char labels[SHOW_CANDIDATES + 1][128])
{
	size_t len;

	e->kind = DOM_INVALID;
	snprintf(e->msg, sizeof e->msg, "“%s”对应多条%s，请给出%s (ambiguous): ", handle, what,
	    strcmp(what, "党员") == 0 ? "公民身份号码或更长的编号" : "更长的编号");
	for (int i = 0; i < n && i < SHOW_CANDIDATES; i++) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, "%s%s%s%s%s", i ? "、" : "",
		    dom_short(ids[i]), labels[i][0] ? "（" : "", labels[i], labels[i][0] ? "）" : "");
	}
	if (n > SHOW_CANDIDATES) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof e->msg - len, "……");
	}
}

static void
not_found(struct dom_error *e, const char *what, const char *handle)
{
	e->kind = DOM_NOT_FOUND;
	snprintf(e->msg, sizeof e->msg, "本副本中没有%s“%s” (not found)", what, handle);
}

int
dom_row_handle(struct replica *r, int t, const char *handle, const char *what,
    char id[ID_TEXT_LEN + 1], struct dom_error *e)
{
	char ids[SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], labels[SHOW_CANDIDATES + 1][128];
	char sql[256];
	size_t len = strlen(handle);
	int n;

	dom_error_clear(e);
	if (len < 6 || len > ID_TEXT_LEN || !id_like(handle)) {
		e->kind = DOM_INVALID;
		snprintf(e->msg, sizeof e->msg, "%s编号“%s”无效：请给出完整编号或其末尾至少6位"
		    " (give the id or its last 6+ characters)", what, handle);
		return -1;
	}
	/* The table name comes from the schema, never from input. */
	snprintf(sql, sizeof sql, "SELECT id, NULL FROM %s WHERE id = lower(?1)"
	    " UNION ALL SELECT id, NULL FROM %s WHERE substr(id, -length(?1)) = lower(?1)"
	    " AND id <> lower(?1)", schema_tables[t].name, schema_tables[t].name);
	if ((n = candidates(replica_db(r), sql, handle, ids, labels, e)) < 0)
		return -1;
	if (n == 0) {
		not_found(e, what, handle);
		return -1;
	}
	/* An exact id wins over suffixes of other ids. */
	if (n > 1 && strcasecmp(ids[0], handle) != 0) {
		ambiguous(e, what, handle, n, ids, labels);
		return -1;
	}
	snprintf(id, ID_TEXT_LEN + 1, "%s", ids[0]);
	return 0;
}

int
dom_member_handle(struct replica *r, const char *handle, char id[ID_TEXT_LEN + 1],
    struct dom_error *e)
{
	char ids[SHOW_CANDIDATES + 1][ID_TEXT_LEN + 1], labels[SHOW_CANDIDATES + 1][128];
	char upper[64];
	size_t len = strlen(handle);
	int n;

	dom_error_clear(e);
	if (len == 0 || len > 255) {
		e->kind = DOM_INVALID;
		snprintf(e->msg, sizeof e->msg, "请给出党员的公民身份号码、编号末尾至少6位或姓名"
		    " (give a citizen ID, the id's last 6+ characters or a name)");
		return -1;
	}
	/* A citizen ID number: 17 digits and a check character (x as X). */
	if (len == 18 && strspn(handle, "0123456789") >= 17) {
		snprintf(upper, sizeof upper, "%s", handle);
		if (upper[17] == 'x')
			upper[17] = 'X';
		n = candidates(replica_db(r), "SELECT id, name FROM member WHERE id_number = ?1",
		    upper, ids, labels, e);
		if (n < 0)
			return -1;
		if (n == 1) {
			snprintf(id, ID_TEXT_LEN + 1, "%s", ids[0]);
			return 0;
		}
		if (n > 1) {
			ambiguous(e, "党员", handle, n, ids, labels);
			return -1;
		}
	}
	if (len >= 6 && len <= ID_TEXT_LEN && id_like(handle)) {
		struct dom_error e2;
		if (dom_row_handle(r, TBL_MEMBER, handle, "党员", id, &e2) == 0)
			return 0;
		if (e2.kind != DOM_NOT_FOUND) {
			*e = e2;
			return -1;
		}
	}
	/* A name: exactly one member of the replica has it. */
	n = candidates(replica_db(r), "SELECT id, id_number FROM member WHERE name = ?1"
	    " ORDER BY id_number", handle, ids, labels, e);
	if (n < 0)
		return -1;
	if (n == 0) {
		not_found(e, "党员", handle);
		return -1;
	}
	if (n > 1) {
		ambiguous(e, "党员", handle, n, ids, labels);
		return -1;
	}
	snprintf(id, ID_TEXT_LEN + 1, "%s", ids[0]);
	return 0;
}
