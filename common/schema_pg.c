/* schema_pg.c - the server's database in PostgreSQL; see schema_pg.h. */
#include "schema_pg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* A column's PostgreSQL type, from SQLite's: INTEGER, TEXT (or none), BLOB. */
enum pg_type { PG_BIGINT, PG_TEXT, PG_BYTEA };

static const char *const pg_type_names[] = {
	[PG_BIGINT] = "BIGINT",
	[PG_TEXT] = "TEXT COLLATE \"C\"",
	[PG_BYTEA] = "BYTEA",
};

#define NN 0x1   /* NOT NULL */
#define UQ 0x2   /* UNIQUE (a column constraint, as in SQLite) */

struct pg_col {
	const char *name;
	enum pg_type type;
	unsigned flags;     /* NN, UQ */
	const char *dflt;   /* DEFAULT expression, or NULL */
};

/*
 * One of the store's own tables. from names where its SQLite form is
 * written, so that a change there is made here too (test_pg_schema
 * compares the two, column by column, in a database tongxind made).
 */
struct pg_table {
	const char *name;
	const char *from;
	const struct pg_col *cols;
	int ncols;
	const char *pk;     /* the primary key's columns */
};

struct pg_index {
	const char *name;
	const char *table;
	const char *cols;
	const char *where;  /* a partial index's predicate, or NULL */
	int unique;
};

/*
 * The server's bookkeeping columns of every synced table, after the
 * schema's: common/schema.c schema_ddl(server = 1).
 */
static const struct pg_col synced_book[] = {
	{ "_version", PG_BIGINT, NN, NULL },
	{ "_created", PG_BIGINT, 0, NULL },
	{ "_deleted", PG_BIGINT, NN, "0" },
	{ "_scope", PG_TEXT, NN, NULL },
	{ "_scope2", PG_TEXT, 0, NULL },
	{ "_hlc", PG_BIGINT, NN, "0" },
	{ "_device", PG_TEXT, 0, NULL },
	{ "_echo", PG_BIGINT, NN, "0" },
};

/* common/db.c db_meta_init: "value" has no type there; here it is text. */
static const struct pg_col meta_cols[] = {
	{ "key", PG_TEXT, 0, NULL },
	{ "value", PG_TEXT, 0, NULL },
};

/* server/store_sqlite.c store_ddl, and the tables below down to evict. */
static const struct pg_col device_cols[] = {
	{ "id", PG_TEXT, NN, NULL },
	{ "name", PG_TEXT, NN, NULL },
	{ "org_code", PG_TEXT, NN, NULL },
	{ "role", PG_TEXT, NN, NULL },
	{ "serial", PG_TEXT, NN | UQ, NULL },
	{ "enrolled_at", PG_BIGINT, NN, NULL },
	{ "revoked_at", PG_BIGINT, 0, NULL },
	{ "last_seen", PG_BIGINT, 0, NULL },
	{ "last_push", PG_BIGINT, 0, NULL },
	{ "last_pull", PG_BIGINT, 0, NULL },
	{ "replica_check", PG_TEXT, 0, NULL },
	{ "replica_checked_at", PG_BIGINT, 0, NULL },
};

static const struct pg_col txn_log_cols[] = {
	{ "device_id", PG_TEXT, NN, NULL },
	{ "seq", PG_BIGINT, NN, NULL },
	{ "status", PG_BIGINT, NN, NULL },
	{ "reason", PG_TEXT, 0, NULL },
	{ "conflict_id", PG_TEXT, 0, NULL },
	{ "received_at", PG_BIGINT, NN, NULL },
	{ "hlc", PG_BIGINT, 0, NULL },
	{ "txn", PG_BYTEA, 0, NULL },
	{ "digest", PG_BYTEA, 0, NULL },
	{ "reason_code", PG_BIGINT, 0, NULL },
	{ "reason_args", PG_TEXT, 0, NULL },
};

static const struct pg_col conflict_cols[] = {
	{ "id", PG_TEXT, NN, NULL },
	{ "device_id", PG_TEXT, NN, NULL },
	{ "seq", PG_BIGINT, NN, NULL },
	{ "operator", PG_TEXT, 0, NULL },
	{ "kind", PG_TEXT, NN, NULL },
	{ "reason", PG_TEXT, NN, NULL },
	{ "tbl", PG_BIGINT, 0, NULL },
	{ "row_id", PG_TEXT, 0, NULL },
	{ "txn", PG_BYTEA, NN, NULL },
	{ "server_row", PG_BYTEA, 0, NULL },
	{ "hlc", PG_BIGINT, 0, NULL },
	{ "local_time", PG_BIGINT, 0, NULL },
	{ "received_at", PG_BIGINT, NN, NULL },
	{ "status", PG_TEXT, NN, "'open'" },
	{ "resolution", PG_TEXT, 0, NULL },
	{ "resolved_by", PG_TEXT, 0, NULL },
	{ "resolved_at", PG_BIGINT, 0, NULL },
	{ "resolved_version", PG_BIGINT, 0, NULL },
	{ "note", PG_TEXT, 0, NULL },
	{ "loser_device_id", PG_TEXT, 0, NULL },
	{ "digest", PG_BYTEA, 0, NULL },
	{ "reason_code", PG_BIGINT, 0, NULL },
	{ "reason_args", PG_TEXT, 0, NULL },
};

/* version is SQLite's INTEGER PRIMARY KEY there, always given by the store. */
static const struct pg_col audit_cols[] = {
	{ "version", PG_BIGINT, 0, NULL },
	{ "at", PG_BIGINT, NN, NULL },
	{ "device_id", PG_TEXT, 0, NULL },
	{ "operator", PG_TEXT, 0, NULL },
	{ "action", PG_TEXT, NN, NULL },
	{ "tbl", PG_BIGINT, 0, NULL },
	{ "row_id", PG_TEXT, 0, NULL },
	{ "seq", PG_BIGINT, 0, NULL },
	{ "detail", PG_BYTEA, 0, NULL },
};

static const struct pg_col evict_cols[] = {
	{ "version", PG_BIGINT, 0, NULL },
	{ "tbl", PG_BIGINT, NN, NULL },
	{ "row_id", PG_TEXT, NN, NULL },
	{ "old_scope", PG_TEXT, NN, NULL },
	{ "new_scope", PG_TEXT, NN, NULL },
};

static const struct pg_col share_cols[] = {
	{ "via_tbl", PG_BIGINT, NN, NULL },
	{ "via_id", PG_TEXT, NN, NULL },
	{ "tbl", PG_BIGINT, NN, NULL },
	{ "row_id", PG_TEXT, NN, NULL },
	{ "scope", PG_TEXT, NN, NULL },
};

/* server/store_session.c session_ddl (and store_restore.c, which makes it too). */
static const struct pg_col device_replica_cols[] = {
	{ "device_id", PG_TEXT, NN, NULL },
	{ "replica_id", PG_TEXT, NN, NULL },
	{ "bound_at", PG_BIGINT, NN, NULL },
};

/* server/store_restore.c restore_ddl, the three tables. */
static const struct pg_col recovered_cols[] = {
	{ "tbl", PG_BIGINT, NN, NULL },
	{ "row_id", PG_TEXT, NN, NULL },
	{ "origin", PG_BIGINT, NN, NULL },
	{ "version", PG_BIGINT, NN, NULL },
	{ "device_id", PG_TEXT, NN, NULL },
};

static const struct pg_col recovered_conflict_cols[] = {
	{ "device_id", PG_TEXT, NN, NULL },
	{ "tbl", PG_BIGINT, NN, NULL },
	{ "row_id", PG_TEXT, NN, NULL },
	{ "origin", PG_BIGINT, NN, NULL },
	{ "conflict_id", PG_TEXT, NN, NULL },
};

static const struct pg_col recovery_cols[] = {
	{ "device_id", PG_TEXT, NN, NULL },
	{ "epoch", PG_TEXT, NN, NULL },
	{ "started_at", PG_BIGINT, NN, NULL },
	{ "finished_at", PG_BIGINT, 0, NULL },
	{ "applied", PG_BIGINT, NN, "0" },
	{ "known", PG_BIGINT, NN, "0" },
	{ "conflicts", PG_BIGINT, NN, "0" },
	{ "rejected", PG_BIGINT, NN, "0" },
};

#define TABLE(n, from, pk) { #n, from, n##_cols, ARRAY_LEN(n##_cols), pk }
static const struct pg_table store_tables[] = {
	TABLE(meta, "common/db.c db_meta_init", "key"),
	TABLE(device, "server/store_sqlite.c store_ddl", "id"),
	TABLE(txn_log, "server/store_sqlite.c store_ddl", "device_id, seq"),
	TABLE(conflict, "server/store_sqlite.c store_ddl", "id"),
	TABLE(audit, "server/store_sqlite.c store_ddl", "version"),
	TABLE(evict, "server/store_sqlite.c store_ddl", "version"),
	TABLE(share, "server/store_sqlite.c store_ddl", "via_tbl, via_id, tbl, row_id"),
	TABLE(device_replica, "server/store_session.c session_ddl", "device_id"),
	TABLE(recovered, "server/store_restore.c restore_ddl", "tbl, row_id"),
	TABLE(recovered_conflict, "server/store_restore.c restore_ddl",
	    "device_id, tbl, row_id, origin"),
	TABLE(recovery, "server/store_restore.c restore_ddl", "device_id, epoch"),
};
#undef TABLE

/* The store's own indexes: server/store_sqlite.c store_ddl. */
static const struct pg_index store_indexes[] = {
	{ "device_live_name", "device", "name", "revoked_at IS NULL", 1 },
	{ "conflict_loser", "conflict", "loser_device_id, resolved_version", NULL, 0 },
	{ "conflict_resolved", "conflict", "device_id, resolved_version", NULL, 0 },
	{ "conflict_status", "conflict", "status, received_at", NULL, 0 },
	/* Inserts are found through their row's _created: the bulk stays out. */
	{ "audit_row", "audit", "row_id", "action <> 'insert'", 0 },
	{ "share_row", "share", "tbl, row_id, scope", NULL, 0 },
};

const char *
schema_pg_col_type(enum col_type t)
{
	return pg_type_names[(t == COL_INT || t == COL_BOOL) ? PG_BIGINT : PG_TEXT];
}

/* The writer every emitter shares: appends, or fails once cap is reached. */
struct out {
	char *buf;
	size_t cap, n;
	int full;
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (o->full)
		return;
	va_start(ap, fmt);
	w = vsnprintf(o->buf + o->n, o->cap - o->n, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= o->cap - o->n)
		o->full = 1;
	else
		o->n += (size_t)w;
}

/* A column's definition, after a comma unless it is the table's first. */
static void
put_col(struct out *o, const struct pg_col *c, int first)
{
	put(o, "%s\n  %s %s%s%s%s%s", first ? "" : ",", c->name, pg_type_names[c->type],
	    (c->flags & NN) ? " NOT NULL" : "", (c->flags & UQ) ? " UNIQUE" : "",
	    c->dflt ? " DEFAULT " : "", c->dflt ? c->dflt : "");
}

static void
put_index(struct out *o, const struct pg_index *x)
{
	put(o, "CREATE %sINDEX %s ON %s (%s)%s%s;\n", x->unique ? "UNIQUE " : "", x->name,
	    x->table, x->cols, x->where ? " WHERE " : "", x->where ? x->where : "");
}

/*
 * A synced table as schema_ddl(server = 1) makes it: id, the schema's
 * columns, the bookkeeping; then its indexes by the same rules (the pull's,
 * the scope's, a unique one on live rows for each COLF_UNIQUE column, a
 * plain one for each reference).
 */
static void
put_synced(struct out *o, const struct table_def *td)
{
	char name[128];

	put(o, "CREATE TABLE %s (\n  id %s NOT NULL", td->name, pg_type_names[PG_TEXT]);
	for (int c = 0; c < td->ncols; c++)
		put(o, ",\n  %s %s", td->cols[c].name, schema_pg_col_type(td->cols[c].type));
	for (int c = 0; c < ARRAY_LEN(synced_book); c++)
		put_col(o, &synced_book[c], 0);
	put(o, ",\n  PRIMARY KEY (id)\n);\n");
	snprintf(name, sizeof name, "%s_pull", td->name);
	put_index(o, &(struct pg_index){ name, td->name, "_version, _scope, _scope2, _echo, _device",
	    NULL, 0 });
	snprintf(name, sizeof name, "%s_scope", td->name);
	put_index(o, &(struct pg_index){ name, td->name, "_scope", NULL, 0 });
	for (int c = 0; c < td->ncols; c++) {
		const struct col_def *cd = &td->cols[c];
		int unique = (cd->flags & COLF_UNIQUE) != 0;

		if (!unique && cd->type != COL_REF)
			continue;
		snprintf(name, sizeof name, "%s_%s", td->name, cd->name);
		put_index(o, &(struct pg_index){ name, td->name, cd->name,
		    unique ? "_deleted = 0" : NULL, unique });
	}
}

int
schema_pg_ddl(char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, cap == 0 };

	for (int t = 0; t < TBL_COUNT; t++)
		put_synced(&o, &schema_tables[t]);
	for (int t = 0; t < ARRAY_LEN(store_tables); t++) {
		const struct pg_table *pt = &store_tables[t];

		put(&o, "CREATE TABLE %s (", pt->name);
		for (int c = 0; c < pt->ncols; c++)
			put_col(&o, &pt->cols[c], c == 0);
		put(&o, ",\n  PRIMARY KEY (%s)\n);\n", pt->pk);
	}
	for (int i = 0; i < ARRAY_LEN(store_indexes); i++)
		put_index(&o, &store_indexes[i]);
	put(&o, "CREATE SEQUENCE " SCHEMA_PG_VERSION_SEQ
	    " AS BIGINT MINVALUE 1 START 1 CACHE 1 NO CYCLE;\n");
	return o.full ? -1 : (int)o.n;
}

const char *
schema_pg_next(const char **p, size_t *len)
{
	const char *s = *p, *e;

	while (*s == '\n' || *s == ' ')
		s++;
	if (*s == '\0' || (e = strchr(s, ';')) == NULL) {
		*p = s;
		return NULL;
	}
	*len = (size_t)(e - s);
	*p = e + 1;
	return s;
}
