/*
 * store_pg_admin.c - the administrators' reads of the PostgreSQL store
 * (store_pgs.h): the conflict queue (list, show), the audit trail, the
 * devices report, replica checks and the resolutions a pull carries. Each
 * answers exactly as its SQLite twin in store_admin.c (same messages, same
 * errors, same order, same limits); every statement has bound parameters
 * (pg_util.h), with types cast where PostgreSQL cannot infer them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "engine.h"
#include "ids.h"
#include "reason.h"
#include "schema.h"
#include "admin_view.h"
#include "store_pgs.h"
#include "value.h"

#define LIST_MAX 1000   /* store_admin.c: rows in one list or audit answer */

/* A malloc'd copy of a text column, or protobuf's empty string for NULL or "". */
static char *
col_str(const PGresult *r, int row, int col)
{
	const char *t = pg_str(r, row, col);
	char *s;

	if (*t == '\0' || (s = strdup(t)) == NULL)
		return (char *)protobuf_c_empty_string;
	return s;
}

/* --- conflicts ----------------------------------------------------------------- */

/* store_admin.c CONFLICT_COLS, without the detail columns a list does not show. */
#define LIST_COLS "c.id, c.kind, c.reason, d.name, d.org_code, c.operator, c.tbl, c.row_id," \
	" c.seq, c.hlc, c.local_time, c.received_at, c.status, c.resolution, c.resolved_by," \
	" c.resolved_at, coalesce(c.reason_code, 0), c.reason_args"

/* A list's ConflictInfo from row i of LIST_COLS (no sides: show gives those). NULL on OOM. */
static Tongxin__ConflictInfo *
conflict_brief(const PGresult *r, int i)
{
	Tongxin__ConflictInfo *ci = malloc(sizeof *ci);

	if (ci == NULL)
		return NULL;
	tongxin__conflict_info__init(ci);
	ci->id = col_str(r, i, 0);
	ci->kind = col_str(r, i, 1);
	ci->reason = col_str(r, i, 2);
	ci->device_name = col_str(r, i, 3);
	ci->org_code = col_str(r, i, 4);
	ci->operator_name = col_str(r, i, 5);
	ci->table = (uint32_t)pg_int(r, i, 6);
	ci->row_id = col_str(r, i, 7);
	ci->seq = (uint64_t)pg_int(r, i, 8);
	ci->hlc = (uint64_t)pg_int(r, i, 9);
	ci->local_time_ms = pg_int(r, i, 10);
	ci->received_at_ms = pg_int(r, i, 11);
	ci->status = col_str(r, i, 12);
	ci->resolution = col_str(r, i, 13);
	ci->resolved_by = col_str(r, i, 14);
	ci->resolved_at_ms = pg_int(r, i, 15);
	if (pg_int(r, i, 16) != 0) {
		/* On OOM the list goes out with the English reason alone (as SQLite's). */
		struct reason why;
		reason_unpack((uint32_t)pg_int(r, i, 16), pg_str(r, i, 17), &why);
		reason_args_copy(&why, &ci->reason_code, &ci->reason_args, &ci->n_reason_args);
	}
	return ci;
}

int
pgs_conflict_list(struct store *base, const Tongxin__ConflictFilter *f,
    Tongxin__ConflictListResponse **out, char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	Tongxin__ConflictListResponse *resp;
	const char *status = f && f->status[0] ? f->status : "open";
	uint32_t limit = f && f->limit && f->limit < LIST_MAX ? f->limit : LIST_MAX;
	struct pgp a = { .n = 0 };
	PGresult *r;
	int tbl = -1;

	*out = NULL;
	if (strcmp(status, "open") && strcmp(status, "resolved") && strcmp(status, "auto") &&
	    strcmp(status, "rejected") && strcmp(status, "all")) {
		snprintf(err, errlen, "unknown status \"%s\" (open, resolved, auto, rejected or all)",
		    status);
		return -1;
	}
	if (f && f->table[0] && (tbl = schema_table_index(f->table)) < 0) {
		snprintf(err, errlen, "unknown table \"%s\"", f->table);
		return -1;
	}
	pgp_text(&a, status);
	pgp_text_or_null(&a, f ? f->office : NULL);
	pgp_int(&a, tbl);
	pgp_int(&a, f ? f->older_than_ms : 0);
	pgp_int(&a, f ? f->newer_than_ms : 0);
	pgp_int(&a, limit);
	if ((r = pg_run(s->c, "database", "SELECT " LIST_COLS " FROM conflict c"
	    " LEFT JOIN device d ON d.id = c.device_id"
	    " WHERE ($1::text = 'all' OR c.status = $1::text)"
	    " AND ($2::text IS NULL OR d.org_code = $2::text)"
	    " AND ($3::bigint < 0 OR c.tbl = $3::bigint)"
	    " AND ($4::bigint = 0 OR c.received_at < $4::bigint)"
	    " AND ($5::bigint = 0 OR c.received_at > $5::bigint)"
	    " ORDER BY c.received_at, c.id LIMIT $6::bigint", &a, err, errlen)) == NULL)
		return -1;
	if ((resp = malloc(sizeof *resp)) == NULL ||
	    (tongxin__conflict_list_response__init(resp),
	     resp->conflicts = calloc(limit, sizeof *resp->conflicts)) == NULL) {
		free(resp);
		PQclear(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && resp->n_conflicts < limit; i++) {
		Tongxin__ConflictInfo *ci = conflict_brief(r, i);
		if (ci == NULL)
			break;
		resp->conflicts[resp->n_conflicts++] = ci;
	}
	PQclear(r);
	*out = resp;
	return 0;
}

/*
 * Both sides of one conflict: the storage operation conflict_get (store_pg.c)
 * finds it by id or unique suffix and builds it, as SQLite's conflict_lookup
 * does for sqs_conflict_show, with the same errors.
 */
int
pgs_conflict_show(struct store *base, const char *id, Tongxin__ConflictInfo **out, char *err,
    size_t errlen)
{
	struct pg_store *s = PGS(base);

	return STO(&s->base.eng, conflict_get, id, out, err, errlen);
}

/* --- audit ----------------------------------------------------------------------- */


/*
 * "name=value, ..." of the row an insert made (store_admin.c render_insert):
 * the row as it is now (read through the engine's row_load), every later
 * audited update taken back, the columns that are set.
 */
static char *
render_insert(struct pg_store *s, int t, const char *row_id, uint64_t version)
{
	struct srow r;
	struct pgp a = { .n = 0 };
	PGresult *q;
	char *out, err[256];

	if (t < 0 || t >= TBL_COUNT || row_id == NULL ||
	    STO(&s->base.eng, row_load, t, row_id, &r) != 0)
		return pb_str_dup("(unreadable)");
	if (!r.exists)
		return pb_str_dup("");
	pgp_text(&a, row_id);
	pgp_int(&a, t);
	pgp_int(&a, (int64_t)version);
	if ((q = pg_run(s->c, "audit", "SELECT detail FROM audit WHERE row_id = $1::text"
	    " AND tbl = $2::bigint AND action <> 'insert' AND action <> 'resolve'"
	    " AND version > $3::bigint ORDER BY version DESC", &a, err, sizeof err)) == NULL) {
		srow_clear(&r);
		return pb_str_dup("(unreadable)");
	}
	for (int i = 0; i < PQntuples(q); i++) {
		size_t dn;
		unsigned char *d = pg_blob(q, i, 0, &dn);
		if (d != NULL) {
			audit_take_back(&r, t, d, dn);
			PQfreemem(d);
		}
	}
	PQclear(q);
	out = audit_render_row(&r, t);
	srow_clear(&r);
	return out;
}

/*
 * An entry's detail. SQLite keeps a resolution's sentence as TEXT and a
 * packed Change as a BLOB; here both are BYTEA (store_pg.c pg_audit_put),
 * and the action tells them apart: only "resolve" writes a sentence
 * (engine_resolve.c). An insert keeps no detail: the row is rendered.
 */
static char *
audit_detail(struct pg_store *s, const PGresult *r, int i, const Tongxin__AuditEntry *e)
{
	unsigned char *d;
	size_t n;
	char *out;

	if (PQgetisnull(r, i, 8))
		return strcmp(e->action, "insert") == 0 ?
		    render_insert(s, (int)e->table, e->row_id, e->version) :
		    (char *)protobuf_c_empty_string;
	if ((d = pg_blob(r, i, 8, &n)) == NULL)
		return (char *)protobuf_c_empty_string;
	if (strcmp(e->action, "resolve") == 0) {
		/* col_str: the text, or "" for an empty one. */
		if (n == 0 || (out = malloc(n + 1)) == NULL) {
			PQfreemem(d);
			return (char *)protobuf_c_empty_string;
		}
		memcpy(out, d, n);
		out[n] = '\0';
	} else {
		out = audit_render_change(d, n);
	}
	PQfreemem(d);
	return out;
}

int
pgs_audit(struct store *base, const Tongxin__AuditRequest *req, Tongxin__AuditResponse **out,
    char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	Tongxin__AuditResponse *resp;
	uint32_t limit = req->limit && req->limit < LIST_MAX ? req->limit : LIST_MAX;
	struct pgp a = { .n = 0 };
	PGresult *r;
	char sql[8192];
	size_t n;

	*out = NULL;
	/* $1 the row (NULL: every row), $2 the device's name, $3 since, $4 the limit. */
#define AUDIT_SEL "SELECT a.version, a.at, d.name, a.operator, a.action, a.tbl, a.row_id," \
	" a.seq, a.detail FROM audit a LEFT JOIN device d ON d.id = a.device_id"
#define AUDIT_FILTER " AND ($2::text IS NULL OR d.name = $2::text)" \
	" AND ($3::bigint = 0 OR a.at >= $3::bigint)"
	if (req->row_id[0] == '\0') {
		/* $1 is NULL here; named so that the four parameters all have a type. */
		snprintf(sql, sizeof sql, AUDIT_SEL " WHERE $1::text IS NULL" AUDIT_FILTER
		    " ORDER BY a.version DESC LIMIT $4::bigint");
	} else {
		/* A row's trail: its changes by row id, and its insert through _created. */
		n = (size_t)snprintf(sql, sizeof sql, "SELECT * FROM (" AUDIT_SEL
		    " WHERE a.row_id = $1::text AND a.action <> 'insert'" AUDIT_FILTER
		    " UNION ALL " AUDIT_SEL " WHERE a.version IN (");
		for (int t = 0; t < TBL_COUNT && n < sizeof sql; t++)
			n += (size_t)snprintf(sql + n, sizeof sql - n,
			    "%sSELECT _created FROM %s WHERE id = $1::text", t ? " UNION ALL " : "",
			    schema_tables[t].name);
		if (n >= sizeof sql ||
		    (size_t)snprintf(sql + n, sizeof sql - n, ")" AUDIT_FILTER ") AS trail"
		    " ORDER BY 1 DESC LIMIT $4::bigint") >= sizeof sql - n) {
			snprintf(err, errlen, "internal: the audit query is too long");
			return -1;
		}
	}
#undef AUDIT_SEL
#undef AUDIT_FILTER
	pgp_text_or_null(&a, req->row_id);
	pgp_text_or_null(&a, req->device_name);
	pgp_int(&a, req->since_ms);
	pgp_int(&a, limit);
	if ((r = pg_run(s->c, "database", sql, &a, err, errlen)) == NULL)
		return -1;
	if ((resp = malloc(sizeof *resp)) == NULL ||
	    (tongxin__audit_response__init(resp),
	     resp->entries = calloc(limit, sizeof *resp->entries)) == NULL) {
		free(resp);
		PQclear(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < PQntuples(r) && resp->n_entries < limit; i++) {
		Tongxin__AuditEntry *e = malloc(sizeof *e);
		if (e == NULL)
			break;
		tongxin__audit_entry__init(e);
		e->version = (uint64_t)pg_int(r, i, 0);
		e->at_ms = pg_int(r, i, 1);
		e->device_name = col_str(r, i, 2);
		e->operator_name = col_str(r, i, 3);
		e->action = col_str(r, i, 4);
		e->table = (uint32_t)pg_int(r, i, 5);
		e->row_id = col_str(r, i, 6);
		e->seq = (uint64_t)pg_int(r, i, 7);
		e->detail = audit_detail(s, r, i, e);
		resp->entries[resp->n_entries++] = e;
	}
	PQclear(r);
	*out = resp;
	return 0;
}

/* --- devices ------------------------------------------------------------------------ */

struct devices_ctx {
	struct pg_store *s;
	Tongxin__DevicesResponse *resp;
	size_t cap;
	int oom;
};

static int
add_device(const struct store_device *d, void *arg)
{
	struct devices_ctx *x = arg;
	Tongxin__DeviceInfo *di;
	struct pgp a = { .n = 0 };
	char err[256];
	PGresult *r;

	if ((di = devices_add(x->resp, &x->cap, d)) == NULL)
		return x->oom = 1;
	/* Best effort, as SQLite's: a failed read leaves the three empty. */
	pgp_text(&a, d->id);
	if ((r = pg_run(x->s->c, "devices", "SELECT (SELECT count(*) FROM conflict"
	    " WHERE device_id = $1::text AND status = 'open'), replica_check,"
	    " coalesce(replica_checked_at, 0) FROM device WHERE id = $1::text", &a, err,
	    sizeof err)) != NULL) {
		if (PQntuples(r) > 0) {
			di->open_conflicts = pg_int(r, 0, 0);
			di->replica_check = col_str(r, 0, 1);
			di->replica_checked_at_ms = pg_int(r, 0, 2);
		}
		PQclear(r);
	}
	return 0;
}

int
pgs_devices(struct store *base, Tongxin__DevicesResponse **out, char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	struct devices_ctx x = { s, NULL, 0, 0 };

	*out = NULL;
	if ((x.resp = malloc(sizeof *x.resp)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	tongxin__devices_response__init(x.resp);
	if (store_device_each(&s->base, add_device, &x) != 0 || x.oom) {
		size_t n;
		tongxin__devices_response__free_unpacked(x.resp, NULL);
		snprintf(err, errlen, x.oom ? "out of memory" : "database: %s", PQerrorMessage(s->c));
		/* One line: libpq's message ends with a newline (pg_run does the same). */
		n = strlen(err);
		while (n > 0 && (err[n - 1] == '\n' || err[n - 1] == ' '))
			err[--n] = '\0';
		for (char *q = err; *q; q++)
			if (*q == '\n')
				*q = ' ';
		return -1;
	}
	*out = x.resp;
	return 0;
}

/* --- replica check ------------------------------------------------------------------ */

/*
 * rowhash.c table_hash over PostgreSQL, byte for byte: SHA-256 over the id
 * and schema columns of table t's live rows in [scope, hi) (either scope),
 * in id order (COLLATE "C": SQLite's byte order), each value as SQLite's
 * column type tag, its text's length (an int) and the text. The columns
 * are BIGINT or TEXT, as SQLite's INTEGER or TEXT: the text of a BIGINT
 * is SQLite's text of the integer. 0, or -1 with err.
 */
static int
pg_table_hash(struct pg_store *s, int t, const char *scope, const char *hi, char out[65],
    char *err, size_t errlen)
{
	const struct table_def *td = &schema_tables[t];
	struct pgp a = { .n = 0 };
	char sql[4096];
	size_t n;
	PGresult *r;
	EVP_MD_CTX *md;
	unsigned char h[32];
	unsigned int hl = 0;

	char cond[600];

	if (store_scope_cond(cond, sizeof cond, t, "$1::text", "$2::text") != 0) {
		snprintf(err, errlen, "internal: the scope condition is too long");
		return -1;
	}
	n = (size_t)snprintf(sql, sizeof sql, "SELECT id");
	for (int c = 0; c < td->ncols; c++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", td->cols[c].name);
	snprintf(sql + n, sizeof sql - n, " FROM %s WHERE _deleted = 0 AND %s ORDER BY id",
	    td->name, cond);
	pgp_text(&a, scope);
	pgp_text(&a, hi);
	if ((r = pg_run(s->c, "database", sql, &a, err, errlen)) == NULL)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL) {
		PQclear(r);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (int i = 0; i < PQntuples(r); i++) {
		for (int c = 0; c <= td->ncols; c++) {
			int null = PQgetisnull(r, i, c);
			int is_int = c > 0 && (td->cols[c - 1].type == COL_INT ||
			    td->cols[c - 1].type == COL_BOOL);
			int len = null ? 0 : PQgetlength(r, i, c);
			unsigned char tag = (unsigned char)(null ? SQLITE_NULL :
			    is_int ? SQLITE_INTEGER : SQLITE_TEXT);
			EVP_DigestUpdate(md, &tag, 1);
			EVP_DigestUpdate(md, &len, sizeof len);
			if (!null)
				EVP_DigestUpdate(md, PQgetvalue(r, i, c), (size_t)len);
		}
	}
	PQclear(r);
	EVP_DigestFinal_ex(md, h, &hl);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
	return 0;
}

int
pgs_replica_check(struct store *base, const struct store_actor *who,
    const Tongxin__ReplicaCheck *req, Tongxin__ReplicaCheckResult **out, char *err,
    size_t errlen)
{
	struct pg_store *s = PGS(base);
	Tongxin__ReplicaCheckResult *res;
	char hi[SCOPE_MAX], hash[65], verdict[512] = "", at[32], e2[256];
	size_t vl = 0;
	struct pgp a = { .n = 0 };

	*out = NULL;
	if (req->n_table_hashes != TBL_COUNT) {
		snprintf(err, errlen, "a replica check carries %d table digests, not %zu", TBL_COUNT,
		    req->n_table_hashes);
		return -1;
	}
	if ((res = malloc(sizeof *res)) == NULL ||
	    (tongxin__replica_check_result__init(res),
	     res->mismatched_tables = calloc(TBL_COUNT, sizeof *res->mismatched_tables)) == NULL) {
		free(res);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	scope_hi(who->scope, hi, sizeof hi);
	/* Every table from one snapshot, as SQLite's BEGIN (a read transaction) gives. */
	if (pg_run0(s->c, "database", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, err,
	    errlen) != 0) {
		tongxin__replica_check_result__free_unpacked(res, NULL);
		return -1;
	}
	for (int t = 0; t < TBL_COUNT; t++) {
		if (pg_table_hash(s, t, who->scope, hi, hash, err, errlen) != 0) {
			pg_run0(s->c, "database", "ROLLBACK", NULL, e2, sizeof e2);
			tongxin__replica_check_result__free_unpacked(res, NULL);
			return -1;
		}
		if (strcmp(hash, req->table_hashes[t]) != 0) {
			res->mismatched_tables[res->n_mismatched_tables++] =
			    pb_str_dup(schema_tables[t].name);
			vl += (size_t)snprintf(verdict + vl, sizeof verdict - vl, "%s%s",
			    vl ? ", " : "mismatch: ", schema_tables[t].name);
		}
	}
	pg_run0(s->c, "database", "COMMIT", NULL, e2, sizeof e2);
	res->match = res->n_mismatched_tables == 0;
	if (res->match)
		snprintf(verdict, sizeof verdict, "match");
	/* Remembered for the devices report; best effort, as SQLite's. */
	snprintf(at, sizeof at, "%lld", (long long)now_ms());
	pgp_text(&a, who->device_id);
	pgp_text(&a, verdict);
	pgp_text(&a, at);
	pg_run0(s->c, "replica check", "UPDATE device SET replica_check = $2::text,"
	    " replica_checked_at = $3::bigint WHERE id = $1::text", &a, e2, sizeof e2);
	*out = res;
	return 0;
}

/* --- resolutions ---------------------------------------------------------------------- */

int
pgs_resolutions(struct store *base, const struct store_actor *who, uint64_t *cursor,
    Tongxin__PullResponse *resp)
{
	struct pg_store *s = PGS(base);
	size_t cap = 256;
	uint64_t snapshot;
	struct pgp a = { .n = 0 };
	char err[256];
	PGresult *r;
	int i;

	/*
	 * As sqs_resolutions: every resolution takes a new version
	 * (resolved_version), and the cursor is the version this query last
	 * saw, so at or past the safe version nothing can be new and a no-op
	 * pull skips the query. The safe version, not the sequence: a
	 * resolution whose transaction is still in flight may commit below the
	 * sequence's last value, and the cursor must not pass it. For the same
	 * reason the query stops at the safe version (SQLite's committed
	 * version is the highest committed, so there the bound changes nothing).
	 */
	if (pgs_committed_version(s, &snapshot) != 0)
		return -1;
	if (*cursor >= snapshot) {
		*cursor = snapshot;
		return 0;
	}
	/*
	 * Settled conflicts of this device's own changes, and newer-wins
	 * decisions that replaced a value this device had written.
	 */
	pgp_text(&a, who->device_id);
	pgp_int(&a, (int64_t)*cursor);
	pgp_int(&a, (int64_t)cap);
	pgp_int(&a, (int64_t)snapshot);
	if ((r = pg_run(s->c, "resolutions", "SELECT id, resolution, coalesce(resolved_by, ''),"
	    " coalesce(resolved_at, received_at), CASE WHEN status = 'auto' THEN reason ELSE note END,"
	    " resolved_version, CASE WHEN status = 'auto' THEN coalesce(reason_code, 0) ELSE 0 END,"
	    " reason_args FROM conflict WHERE resolved_version > $2::bigint"
	    " AND resolved_version <= $4::bigint"
	    " AND ((device_id = $1::text AND status = 'resolved') OR loser_device_id = $1::text)"
	    " ORDER BY resolved_version LIMIT $3::bigint", &a, err, sizeof err)) == NULL)
		return -1;
	if ((resp->resolutions = calloc(cap, sizeof *resp->resolutions)) == NULL) {
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PQntuples(r) && resp->n_resolutions < cap; i++) {
		Tongxin__Resolution *res = malloc(sizeof *res);
		if (res == NULL)
			break;
		tongxin__resolution__init(res);
		res->conflict_id = col_str(r, i, 0);
		res->decision = col_str(r, i, 1);
		res->resolved_by = col_str(r, i, 2);
		res->resolved_at_ms = pg_int(r, i, 3);
		res->note = col_str(r, i, 4);
		if (pg_int(r, i, 6) != 0) {
			/*
			 * A newer-wins decision, told to the device whose value lost:
			 * in its own words (the office that won was told with
			 * R_NEWER_OFFICE in its push result).
			 */
			struct reason why;
			reason_unpack((uint32_t)pg_int(r, i, 6), pg_str(r, i, 7), &why);
			if (why.code == R_NEWER_OFFICE)
				why.code = R_NEWER_REPLACED;
			reason_args_copy(&why, &res->reason_code, &res->reason_args,
			    &res->n_reason_args);
		}
		*cursor = (uint64_t)pg_int(r, i, 5);
		resp->resolutions[resp->n_resolutions++] = res;
	}
	PQclear(r);
	if (resp->n_resolutions < cap)
		*cursor = snapshot;
	else
		resp->more = 1;
	return 0;
}
