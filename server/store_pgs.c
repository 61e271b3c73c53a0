/*
 * store_pgs.c - the PostgreSQL store behind store.h (store_pgs.h): open and
 * close, settings, organisations, devices and their sessions, and the
 * pull's reads. What decides (push, resolution, recovery) is the engine's
 * over sto_pg_ops (store_pg.c); the administrator's reads are in
 * store_pg_admin.c. Every statement binds its values ($n, pg_util.h).
 *
 * Devices' bookkeeping (store_device_seen: when a device was last seen,
 * pushed, pulled) is written at once through a second connection of its
 * own whose commits do not wait for the disk (synchronous_commit off): it is
 * bookkeeping, not data, and waiting for an fsync at every Hello would cost
 * every session what the SQLite store saves by noting it in memory. The
 * data's own connection keeps synchronous commits: an acknowledged push is
 * on disk.
 */
#include "store_pgs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"
#include "log.h"
#include "schema.h"

/* The PostgreSQL store's own extra: the bookkeeping connection. */
struct pg_store_x {
	struct pg_store s;
	char uri[1024];
	PGconn *notes;          /* opened when first needed; NULL until then or after a failure */
	int in_view;            /* between pull_begin and pull_end */
	uint64_t view_upto;     /* pull_begin's bound: what the view's snapshot holds whole */
};

static int
meta_get(struct pg_store *s, const char *key, char *buf, size_t cap)
{
	struct pgp p = { .n = 0 };
	char err[256];
	PGresult *r;
	int found;

	pgp_text(&p, key);
	if ((r = pg_run(s->c, "meta", "SELECT value FROM meta WHERE key = $1", &p, err,
	    sizeof err)) == NULL) {
		log_warnx("store (postgresql): %s", err);
		buf[0] = '\0';
		return -1;
	}
	found = PQntuples(r) == 1;
	snprintf(buf, cap, "%s", found ? pg_str(r, 0, 0) : "");
	PQclear(r);
	return found ? 0 : -1;
}

static int
meta_set(struct pg_store *s, const char *key, const char *value, char *err, size_t errlen)
{
	struct pgp p = { .n = 0 };

	pgp_text(&p, key);
	pgp_text(&p, value);
	return pg_run0(s->c, "meta", "INSERT INTO meta (key, value) VALUES ($1, $2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", &p, err, errlen);
}

/* The epoch (see store_restore.c), made on a database that has none. */
static int
epoch_load(struct pg_store *s, char *err, size_t errlen)
{
	struct store_epoch *e = &s->base.epoch;
	char v[64];

	memset(e, 0, sizeof *e);
	if (meta_get(s, "epoch", e->epoch, sizeof e->epoch) != 0) {
		/*
		 * The first: DO NOTHING, then read again, so that two processes
		 * opening a new database at once end with the same epoch.
		 */
		char id[ID_TEXT_LEN + 1];
		struct pgp p = { .n = 0 };
		pgp_text(&p, id);
		if (id_new(id) != 0 || pg_run0(s->c, "meta", "INSERT INTO meta (key, value)"
		    " VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING", &p, err, errlen) != 0 ||
		    meta_get(s, "epoch", e->epoch, sizeof e->epoch) != 0) {
			if (err[0] == '\0')
				snprintf(err, errlen, "cannot give the database its epoch");
			return -1;
		}
	}
	if (meta_get(s, "restored_version", v, sizeof v) == 0)
		e->restored_version = strtoull(v, NULL, 10);
	if (meta_get(s, "version_floor", v, sizeof v) == 0)
		e->version_floor = strtoull(v, NULL, 10);
	return 0;
}

struct store *
pgs_open(const char *uri, int create, char *err, size_t errlen)
{
	struct pg_store_x *x;

	if (strlen(uri) >= sizeof x->uri) {
		snprintf(err, errlen, "the PostgreSQL address is too long");
		return NULL;
	}
	if ((x = calloc(1, sizeof *x)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(x->uri, sizeof x->uri, "%s", uri);
	x->s.base.be = &store_pg_backend;
	if ((x->s.sto = pg_sto_open(uri, create, err, errlen)) == NULL) {
		free(x);
		return NULL;
	}
	x->s.c = pg_sto_conn(x->s.sto);
	engine_init(&x->s.base.eng, &sto_pg_ops, x->s.sto);
	err[0] = '\0';
	if (epoch_load(&x->s, err, errlen) != 0) {
		store_close(&x->s.base);
		return NULL;
	}
	return &x->s.base;
}

static void
pgs_close(struct store *base)
{
	struct pg_store_x *x = (struct pg_store_x *)base;

	engine_free(&base->eng);
	pg_sto_close(x->s.sto);
	if (x->notes != NULL)
		PQfinish(x->notes);
	free(x);
}

int
pgs_committed_version(struct pg_store *s, uint64_t *v)
{
	struct pg_store_x *x = (struct pg_store_x *)s;

	/*
	 * Inside a pull's view, its snapshot predates a bound read now: what
	 * committed since is not in it, so the view's own bound (the
	 * resolutions a page reads, store_resolutions) or they are skipped.
	 */
	if (x->in_view) {
		*v = x->view_upto;
		return 0;
	}
	return pg_sto_safe_version(s->sto, v);
}

static int
pgs_setting_put(struct store *base, const char *key, const char *value, char *err,
    size_t errlen)
{
	return meta_set(PGS(base), key, value, err, errlen);
}

static int
pgs_setting(struct store *base, const char *key, char *buf, size_t cap)
{
	return meta_get(PGS(base), key, buf, cap);
}

static int
pgs_org_scope(struct store *base, const char *code, char *scope, size_t scope_cap, char *name,
    size_t name_cap)
{
	struct pg_store *s = PGS(base);
	struct pgp p = { .n = 0 };
	char err[256];
	PGresult *r;
	int found;

	pgp_text(&p, code);
	if ((r = pg_run(s->c, "org_scope", "SELECT _scope, name FROM org WHERE code = $1"
	    " AND _deleted = 0 AND coalesce(dissolved, 0) = 0", &p, err, sizeof err)) == NULL) {
		log_warnx("store (postgresql): %s", err);
		return STORE_UNREADABLE;
	}
	if ((found = PQntuples(r) >= 1)) {
		snprintf(scope, scope_cap, "%s", pg_str(r, 0, 0));
		if (name)
			snprintf(name, name_cap, "%s", pg_str(r, 0, 1));
	}
	PQclear(r);
	return found ? 0 : -1;
}

/* --- devices ----------------------------------------------------------------- */

#define DEVICE_COLS0 "id, name, org_code, role, serial, enrolled_at, coalesce(revoked_at, 0)," \
	" coalesce(last_seen, 0), coalesce(last_push, 0), coalesce(last_pull, 0)"
#define DEVICE_COLS DEVICE_COLS0 "," \
	" (SELECT count(*) FROM txn_log t WHERE t.device_id = device.id AND t.status <= 1)," \
	" (SELECT count(*) FROM txn_log t WHERE t.device_id = device.id AND t.status = 2)," \
	" (SELECT count(*) FROM txn_log t WHERE t.device_id = device.id AND t.status = 3)"
#define DEVICE_COLS_LOOKUP DEVICE_COLS0 ", 0, 0, 0"

static void
device_from_row(const PGresult *r, int i, struct store_device *d)
{
	memset(d, 0, sizeof *d);
	snprintf(d->id, sizeof d->id, "%s", pg_str(r, i, 0));
	snprintf(d->name, sizeof d->name, "%s", pg_str(r, i, 1));
	snprintf(d->org_code, sizeof d->org_code, "%s", pg_str(r, i, 2));
	snprintf(d->role, sizeof d->role, "%s", pg_str(r, i, 3));
	snprintf(d->serial, sizeof d->serial, "%s", pg_str(r, i, 4));
	d->enrolled_at = pg_int(r, i, 5);
	d->revoked_at = pg_int(r, i, 6);
	d->last_seen = pg_int(r, i, 7);
	d->last_push = pg_int(r, i, 8);
	d->last_pull = pg_int(r, i, 9);
	d->txns_applied = pg_int(r, i, 10);
	d->txns_conflict = pg_int(r, i, 11);
	d->txns_rejected = pg_int(r, i, 12);
}

static int
pgs_device_add(struct store *base, const struct store_device *d, char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	struct pgp p = { .n = 0 };
	PGresult *r;

	pgp_text(&p, d->id);
	pgp_text(&p, d->name);
	pgp_text(&p, d->org_code);
	pgp_text(&p, d->role);
	pgp_text(&p, d->serial);
	pgp_int(&p, d->enrolled_at);
	r = PQexecParams(s->c, "INSERT INTO device (id, name, org_code, role, serial, enrolled_at)"
	    " VALUES ($1, $2, $3, $4, $5, $6)", p.n, NULL, p.v, p.len, p.fmt, 0);
	if (pg_ok(r)) {
		PQclear(r);
		return 0;
	}
	if (strcmp(pg_state(r), "23505") == 0)
		snprintf(err, errlen, "a device named \"%s\" is already enrolled; revoke it first",
		    d->name);
	else
		snprintf(err, errlen, "database: %s", PQresultErrorMessage(r));
	PQclear(r);
	return -1;
}

/* The device row matching where ($1 = arg) into d: 0, -1 if none, STORE_UNREADABLE. */
static int
device_query(struct pg_store *s, const char *where, const char *arg, struct store_device *d)
{
	struct pgp p = { .n = 0 };
	char sql[1024], err[256];
	PGresult *r;
	int found;

	snprintf(sql, sizeof sql, "SELECT " DEVICE_COLS_LOOKUP " FROM device WHERE %s", where);
	pgp_text(&p, arg);
	if ((r = pg_run(s->c, "device", sql, &p, err, sizeof err)) == NULL) {
		log_warnx("store (postgresql): %s", err);
		return STORE_UNREADABLE;
	}
	if ((found = PQntuples(r) >= 1))
		device_from_row(r, 0, d);
	PQclear(r);
	return found ? 0 : -1;
}

static int
pgs_device_by_serial(struct store *base, const char *serial, struct store_device *d)
{
	return device_query(PGS(base), "serial = $1", serial, d);
}

static int
pgs_device_by_name(struct store *base, const char *name, struct store_device *d)
{
	return device_query(PGS(base), "name = $1 AND revoked_at IS NULL", name, d);
}

static int
pgs_device_revoke(struct store *base, const char *name, char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	struct pgp p = { .n = 0 };
	PGresult *r;
	int n;

	pgp_text(&p, name);
	pgp_int(&p, now_ms());
	if ((r = pg_run(s->c, "revoke", "UPDATE device SET revoked_at = $2 WHERE name = $1"
	    " AND revoked_at IS NULL", &p, err, errlen)) == NULL)
		return -1;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (n == 0) {
		snprintf(err, errlen, "no enrolled device is named \"%s\"", name);
		return -1;
	}
	return 0;
}

static uint64_t
pgs_device_last_seq(struct store *base, const char *device_id)
{
	uint64_t v = 0;

	/* The storage operation's prepared statement: every session's Hello asks. */
	if (STO(&base->eng, txn_seq_max, device_id, &v) != 0)
		return 0;
	return v;
}

/* The bookkeeping connection: commits that do not wait for the disk. NULL on failure (logged). */
static PGconn *
notes_conn(struct pg_store_x *x)
{
	char err[512];

	if (x->notes != NULL)
		return pg_revive(x->notes) == 0 ? x->notes : NULL;
	/* The setting in the startup options: a reset session keeps it. */
	if ((x->notes = pg_connect(x->uri, "-c synchronous_commit=off", err, sizeof err)) == NULL)
		log_warnx("store (postgresql): devices' bookkeeping: %s", err);
	return x->notes;
}

static int
pgs_device_seen(struct store *base, const char *device_id, const char *what)
{
	struct pg_store_x *x = (struct pg_store_x *)base;
	const char *col = strcmp(what, "push") == 0 ? "last_push" :
	    strcmp(what, "pull") == 0 ? "last_pull" : "last_seen";
	struct pgp p = { .n = 0 };
	char sql[128], err[256];
	PGconn *c;

	if ((c = notes_conn(x)) == NULL)
		return -1;
	/* GREATEST: two processes noting one device keep the later time. */
	snprintf(sql, sizeof sql, "UPDATE device SET %s = GREATEST(coalesce(%s, 0), $2)"
	    " WHERE id = $1", col, col);
	pgp_text(&p, device_id);
	pgp_int(&p, now_ms());
	if (pg_run0(c, "device_seen", sql, &p, err, sizeof err) != 0) {
		log_warnx("store (postgresql): %s", err);
		return -1;
	}
	return 0;
}

/* Written as they come (device_seen): nothing waits in memory. */
static int
pgs_device_flush(struct store *base)
{
	(void)base;
	return 0;
}

static void
pgs_share_notes(struct store *dst, struct store *src)
{
	(void)dst;
	(void)src;
}

static int
pgs_device_each(struct store *base, int (*fn)(const struct store_device *, void *), void *arg)
{
	struct pg_store *s = PGS(base);
	struct store_device d;
	char err[256];
	PGresult *r;

	if ((r = pg_run(s->c, "devices", "SELECT " DEVICE_COLS " FROM device"
	    " ORDER BY enrolled_at DESC", NULL, err, sizeof err)) == NULL) {
		log_warnx("store (postgresql): %s", err);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		device_from_row(r, i, &d);
		if (fn(&d, arg) != 0)
			break;
	}
	PQclear(r);
	return 0;
}

static int64_t
pgs_count(struct store *base, const char *what)
{
	struct pg_store *s = PGS(base);
	char sql[256], err[256];
	PGresult *r;
	int64_t n = -1;

	if (strcmp(what, "conflicts") == 0)
		snprintf(sql, sizeof sql, "SELECT count(*) FROM conflict WHERE status = 'open'");
	else if (schema_table(what) != NULL)   /* a name from the schema, never from outside */
		snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE _deleted = 0", what);
	else
		return -1;
	if ((r = pg_run(s->c, "count", sql, NULL, err, sizeof err)) == NULL)
		return -1;
	if (PQntuples(r) == 1)
		n = pg_int(r, 0, 0);
	PQclear(r);
	return n;
}

static int
pgs_backup(struct store *base, const char *file, int64_t *bytes, uint64_t *max_version,
    char *err, size_t errlen)
{
	(void)base;
	(void)file;
	*bytes = 0;
	*max_version = 0;
	snprintf(err, errlen, "this server keeps its data in PostgreSQL: back it up with "
	    "PostgreSQL's own tools (pg_dump, or a base backup with WAL archiving); "
	    "tongxind backup copies an SQLite store");
	return -1;
}

static int
pgs_recover(struct store *base, const struct store_actor *who,
    const Tongxin__RecoverRequest *req, Tongxin__RecoverResponse **out, char *err,
    size_t errlen)
{
	*out = NULL;
	/* A PostgreSQL store is never restored by tongxind: engine_recover says so. */
	return engine_recover(&base->eng, &base->epoch, who, req, out, err, errlen);
}

/* --- sessions ---------------------------------------------------------------- */

static int
pgs_session_init(struct store *base, char *err, size_t errlen)
{
	(void)base;
	(void)err;
	(void)errlen;
	return 0;   /* device_replica is made with the schema */
}

static int
pgs_devices_revoked(struct store *base, const char *const *ids, size_t n, int *revoked)
{
	struct pg_store *s = PGS(base);
	char err[256];

	for (size_t i = 0; i < n; i++) {
		struct pgp p = { .n = 0 };
		PGresult *r;

		pgp_text(&p, ids[i]);
		if ((r = pg_run(s->c, "revoked", "SELECT revoked_at IS NOT NULL FROM device"
		    " WHERE id = $1", &p, err, sizeof err)) == NULL) {
			log_warnx("store (postgresql): %s", err);
			return -1;
		}
		/* No longer enrolled at all counts as revoked. */
		revoked[i] = PQntuples(r) == 0 || strcmp(pg_str(r, 0, 0), "t") == 0;
		PQclear(r);
	}
	return 0;
}

/* The replica id device_id is bound to into out: 1 found, 0 none, -1 on failure. */
static int
replica_bound(struct pg_store *s, const char *device_id, char *out, size_t cap)
{
	struct pgp p = { .n = 0 };
	char err[256];
	PGresult *r;
	int found;

	pgp_text(&p, device_id);
	if ((r = pg_run(s->c, "replica", "SELECT replica_id FROM device_replica"
	    " WHERE device_id = $1", &p, err, sizeof err)) == NULL) {
		log_warnx("store (postgresql): %s", err);
		return -1;
	}
	if ((found = PQntuples(r) == 1))
		snprintf(out, cap, "%s", pg_str(r, 0, 0));
	PQclear(r);
	return found;
}

static int
pgs_replica_bound(struct store *base, const char *device_id, const char *replica_id)
{
	char bound[ID_TEXT_LEN + 8];
	int rc = replica_bound(PGS(base), device_id, bound, sizeof bound);

	if (rc <= 0)
		return rc;
	return strcmp(bound, replica_id) == 0 ? 1 : 2;
}

static int
pgs_replica_bind(struct store *base, const char *device_id, const char *replica_id, int *other,
    char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	struct pgp p = { .n = 0 };
	char bound[ID_TEXT_LEN + 8];

	*other = 0;
	/* DO NOTHING: another process may have bound it a moment ago; read it again. */
	pgp_text(&p, device_id);
	pgp_text(&p, replica_id);
	pgp_int(&p, now_ms());
	if (pg_run0(s->c, "replica_bind", "INSERT INTO device_replica (device_id, replica_id,"
	    " bound_at) VALUES ($1, $2, $3) ON CONFLICT (device_id) DO NOTHING", &p, err,
	    errlen) != 0)
		return -1;
	if (replica_bound(s, device_id, bound, sizeof bound) != 1) {
		snprintf(err, errlen, "database: the device's replica cannot be read back");
		return -1;
	}
	*other = strcmp(bound, replica_id) != 0;
	return 0;
}

/* --- the pull's reads ---------------------------------------------------------- */

/*
 * One view for a page: the safe version first (every version at or below
 * it is committed, or never will be: pg_sto_safe_version), then a
 * REPEATABLE READ transaction whose snapshot, taken by its first read,
 * sees all of them; the reads also say _version <= upto, so a row
 * committed after the bound waits for the next page.
 */
static int
pgs_pull_begin(struct store *base, uint64_t *upto, char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);

	if (pg_sto_safe_version(s->sto, upto) != 0) {
		snprintf(err, errlen, "cannot read the version: %s", sto_pg_ops.errmsg(s->sto));
		return -1;
	}
	if (pg_run0(s->c, "pull", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL, err,
	    errlen) != 0)
		return -1;
	((struct pg_store_x *)base)->in_view = 1;
	((struct pg_store_x *)base)->view_upto = *upto;
	return 0;
}

static void
pgs_pull_end(struct store *base)
{
	PGresult *r = PQexec(PGS(base)->c, "COMMIT");

	((struct pg_store_x *)base)->in_view = 0;
	PQclear(r);
}

static int
pgs_pull_rows(struct store *base, int t, const struct pull_query *q, struct pull_page *pg,
    char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	const struct table_def *td = &schema_tables[t];
	struct pull_val v[MAX_COLS];
	struct pgp p = { .n = 0 };
	PGresult *r;
	int rows;

	pgp_int(&p, (int64_t)q->cursor);
	pgp_text(&p, q->scope);
	pgp_text(&p, q->hi);
	pgp_int(&p, q->room);
	pgp_text(&p, q->echo_device);
	pgp_int(&p, (int64_t)q->upto);
	if ((r = pg_sto_pull_rows(s->sto, t, &p, err, errlen)) == NULL)
		return -1;
	rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		uint64_t version = (uint64_t)pg_int(r, i, td->ncols + 1);
		int deleted = pg_int(r, i, td->ncols + 2) != 0;

		for (int c = 0; c < td->ncols && !deleted; c++) {
			if (PQgetisnull(r, i, c + 1)) {
				v[c].kind = PULL_NULL;
			} else if (td->cols[c].type == COL_INT || td->cols[c].type == COL_BOOL) {
				v[c].kind = PULL_INT;
				v[c].i = pg_int(r, i, c + 1);
			} else {
				v[c].kind = PULL_TEXT;
				v[c].p = (const unsigned char *)PQgetvalue(r, i, c + 1);
				v[c].n = (size_t)PQgetlength(r, i, c + 1);
			}
		}
		if (!pull_put_row(pg, t, PQgetvalue(r, i, 0), (size_t)PQgetlength(r, i, 0), version,
		    deleted, v))
			break;
	}
	PQclear(r);
	return 0;
}

static int
pgs_pull_evictions(struct store *base, const struct pull_query *q, struct pull_page *pg,
    uint32_t *fetched, char *err, size_t errlen)
{
	struct pg_store *s = PGS(base);
	struct pgp p = { .n = 0 };
	PGresult *r;
	int rc = 0;

	pgp_int(&p, (int64_t)q->cursor);
	pgp_text(&p, q->scope);
	pgp_text(&p, q->hi);
	pgp_int(&p, q->room);
	pgp_int(&p, (int64_t)q->upto);
	if ((r = pg_run(s->c, "evictions", "SELECT version, tbl, row_id FROM evict"
	    " WHERE version > $1 AND version <= $5 AND old_scope >= $2 AND old_scope < $3"
	    " AND NOT (new_scope >= $2 AND new_scope < $3) ORDER BY version LIMIT $4", &p, err,
	    errlen)) == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
		(*fetched)++;
		rc = pull_put_eviction(base, q->who, pg, (uint64_t)pg_int(r, i, 0),
		    (int)pg_int(r, i, 1), PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2),
		    (size_t)PQgetlength(r, i, 2));
	}
	PQclear(r);
	if (rc != 0)
		snprintf(err, errlen, "pull evictions: %s", sto_pg_ops.errmsg(s->sto));
	return rc;
}

const struct store_backend store_pg_backend = {
	.name = "postgresql",
	.close = pgs_close,
	.setting_put = pgs_setting_put,
	.setting = pgs_setting,
	.org_scope = pgs_org_scope,
	.device_add = pgs_device_add,
	.device_by_serial = pgs_device_by_serial,
	.device_by_name = pgs_device_by_name,
	.device_revoke = pgs_device_revoke,
	.device_last_seq = pgs_device_last_seq,
	.device_seen = pgs_device_seen,
	.device_flush = pgs_device_flush,
	.share_notes = pgs_share_notes,
	.device_each = pgs_device_each,
	.conflict_list = pgs_conflict_list,
	.conflict_show = pgs_conflict_show,
	.audit = pgs_audit,
	.devices = pgs_devices,
	.replica_check = pgs_replica_check,
	.resolutions = pgs_resolutions,
	.count = pgs_count,
	.backup = pgs_backup,
	.recover = pgs_recover,
	.session_init = pgs_session_init,
	.devices_revoked = pgs_devices_revoked,
	.replica_bind = pgs_replica_bind,
	.replica_bound = pgs_replica_bound,
	.pull_begin = pgs_pull_begin,
	.pull_end = pgs_pull_end,
	.pull_rows = pgs_pull_rows,
	.pull_evictions = pgs_pull_evictions,
};
