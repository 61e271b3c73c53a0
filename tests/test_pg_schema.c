/*
 * test_pg_schema.c - the PostgreSQL schema (common/schema_pg.c) against a
 * real server: tests/it_pg_schema.sh starts a private cluster and runs
 *
 *   test_pg_schema URI [SQLITE_DB]
 *
 * on its empty database "tongxin". SQLITE_DB is a database tongxind itself
 * made (tongxind init): every table, column, primary key, default and named
 * index there must be in PostgreSQL in the same order and form, so a column
 * added to the SQLite store without its PostgreSQL twin fails here.
 *
 * Every statement goes through PQexecParams, values bound; identifiers come
 * from the schema or the catalog, never from input.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "schema.h"
#include "schema_pg.h"

static PGconn *pg;
static int failures, checks;

static void
check(int ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (ok)
		return;
	failures++;
	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/*
 * Run sql with up to 8 text parameters (a NULL-terminated list) that must
 * succeed; exits the test otherwise. The caller PQclears the result.
 */
static PGresult *
must(const char *sql, ...)
{
	const char *vals[8];
	int n = 0;
	va_list ap;
	PGresult *r;

	va_start(ap, sql);
	while (n < 8 && (vals[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	r = PQexecParams(pg, sql, n, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "FAIL: %s\n  in: %.200s\n", PQresultErrorMessage(r), sql);
		exit(1);
	}
	return r;
}

/* Print "ok - WHAT" when no check failed since before, "not ok - WHAT" otherwise. */
static void
report(int before, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
report(int before, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", failures == before ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static void
must_do(const char *sql)
{
	PQclear(must(sql, NULL));
}

static const char *
sqlstate(const PGresult *r)
{
	const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	return s ? s : "";
}

/*
 * Run the generated DDL as one transaction. Returns "" when it committed,
 * else the SQLSTATE of the statement that failed (rolled back).
 */
static const char *
create_schema(char *state, size_t cap)
{
	static char ddl[65536];
	const char *p = ddl, *st;
	size_t len;
	char stmt[4096];

	if (schema_pg_ddl(ddl, sizeof ddl) < 0) {
		fprintf(stderr, "FAIL: schema_pg_ddl: buffer too small\n");
		exit(1);
	}
	state[0] = '\0';
	must_do("BEGIN");
	while ((st = schema_pg_next(&p, &len)) != NULL) {
		PGresult *r;

		if (len >= sizeof stmt) {
			fprintf(stderr, "FAIL: a statement of %zu bytes\n", len);
			exit(1);
		}
		memcpy(stmt, st, len);
		stmt[len] = '\0';
		r = PQexecParams(pg, stmt, 0, NULL, NULL, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			snprintf(state, cap, "%s", sqlstate(r));
			fprintf(stderr, "  (refused: %s: %.60s...)\n", sqlstate(r), stmt);
			PQclear(r);
			must_do("ROLLBACK");
			return state;
		}
		PQclear(r);
	}
	must_do("COMMIT");
	return state;
}

static int
count(const char *sql, const char *arg)
{
	PGresult *r = must(sql, arg, NULL);
	int n = atoi(PQgetvalue(r, 0, 0));

	PQclear(r);
	return n;
}

/* The columns of a table in order: name, data_type, is_nullable, default, collation. */
static PGresult *
pg_columns(const char *table)
{
	return must("SELECT column_name, data_type, is_nullable, coalesce(column_default, ''),"
	    " coalesce(collation_name, '') FROM information_schema.columns"
	    " WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
	    table, NULL);
}

/* A text column must compare bytewise (COLLATE "C"), as SQLite's do. */
static void
check_collation(const char *table, PGresult *cols, int i)
{
	if (strcmp(PQgetvalue(cols, i, 1), "text") == 0)
		check(strcmp(PQgetvalue(cols, i, 4), "C") == 0, "%s.%s: collation %s, not C", table,
		    PQgetvalue(cols, i, 0), PQgetvalue(cols, i, 4));
}

/* Every synced table has id, the schema's columns with their types, the bookkeeping. */
static void
check_synced_tables(void)
{
	int f0 = failures;
	static const char *const book[][2] = {
		{ "_version", "bigint" }, { "_created", "bigint" }, { "_deleted", "bigint" },
		{ "_scope", "text" }, { "_scope2", "text" }, { "_hlc", "bigint" },
		{ "_device", "text" }, { "_echo", "bigint" },
	};
	const int nbook = (int)(sizeof book / sizeof book[0]);

	for (int t = 0; t < TBL_COUNT; t++) {
		const struct table_def *td = &schema_tables[t];
		PGresult *cols = pg_columns(td->name);
		int n = PQntuples(cols);

		check(n == 1 + td->ncols + nbook, "%s: %d columns, want %d", td->name, n,
		    1 + td->ncols + nbook);
		for (int i = 0; i < n && i < 1 + td->ncols + nbook; i++) {
			const char *name, *type;

			if (i == 0) {
				name = "id";
				type = "text";
			} else if (i <= td->ncols) {
				const struct col_def *cd = &td->cols[i - 1];
				name = cd->name;
				type = (cd->type == COL_INT || cd->type == COL_BOOL) ? "bigint" : "text";
			} else {
				name = book[i - 1 - td->ncols][0];
				type = book[i - 1 - td->ncols][1];
			}
			check(strcmp(PQgetvalue(cols, i, 0), name) == 0 &&
			    strcmp(PQgetvalue(cols, i, 1), type) == 0,
			    "%s column %d: %s %s, want %s %s", td->name, i, PQgetvalue(cols, i, 0),
			    PQgetvalue(cols, i, 1), name, type);
			check_collation(td->name, cols, i);
		}
		PQclear(cols);
		/* A unique column's index is unique among live rows only. */
		for (int c = 0; c < td->ncols; c++) {
			char idx[128];
			PGresult *r;

			if (!(td->cols[c].flags & COLF_UNIQUE))
				continue;
			snprintf(idx, sizeof idx, "%s_%s", td->name, td->cols[c].name);
			r = must("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
			    " AND indexname = $1", idx, NULL);
			check(PQntuples(r) == 1 && strstr(PQgetvalue(r, 0, 0), "UNIQUE") &&
			    strstr(PQgetvalue(r, 0, 0), "WHERE (_deleted = 0)"),
			    "%s: not a unique index on live rows (%s)", idx,
			    PQntuples(r) ? PQgetvalue(r, 0, 0) : "missing");
			PQclear(r);
		}
	}
	report(f0, "the %d synced tables: columns, types, bookkeeping, unique indexes on live rows",
	    TBL_COUNT);
}

/* SQLite's declared type as PostgreSQL's information_schema names it. */
static const char *
pg_type_of(const char *decl)
{
	if (decl == NULL || *decl == '\0' || strcmp(decl, "TEXT") == 0)
		return "text";
	if (strcmp(decl, "INTEGER") == 0)
		return "bigint";
	if (strcmp(decl, "BLOB") == 0)
		return "bytea";
	return "?";
}

/* A PostgreSQL default without its cast ("'open'::text" is SQLite's "'open'"). */
static void
strip_cast(char *s)
{
	char *c = strstr(s, "::");
	if (c != NULL)
		*c = '\0';
}

/*
 * Every table of the database tongxind made is in PostgreSQL with the same
 * columns in the same order, types, NOT NULL, defaults and primary key,
 * and every named index with the same uniqueness and partiality; and
 * PostgreSQL has no table SQLite lacks.
 */
static void
check_against_sqlite(const char *path)
{
	int f0 = failures;
	sqlite3 *db;
	sqlite3_stmt *tabs, *st;
	int ntables = 0;
	char sql[512];

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "FAIL: cannot open %s\n", path);
		exit(1);
	}
	sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table'"
	    " AND name NOT LIKE 'sqlite_%' ORDER BY name", -1, &tabs, NULL);
	while (sqlite3_step(tabs) == SQLITE_ROW) {
		char tn[128];
		PGresult *cols, *pk;
		int i = 0, sqlite_pk = 0;

		snprintf(tn, sizeof tn, "%s", (const char *)sqlite3_column_text(tabs, 0));
		ntables++;
		cols = pg_columns(tn);
		check(PQntuples(cols) > 0, "table %s: missing in PostgreSQL", tn);
		snprintf(sql, sizeof sql, "SELECT name, type, \"notnull\", dflt_value, pk"
		    " FROM pragma_table_info('%s') ORDER BY cid", tn);
		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		for (; sqlite3_step(st) == SQLITE_ROW; i++) {
			const char *name = (const char *)sqlite3_column_text(st, 0);
			const char *type = pg_type_of((const char *)sqlite3_column_text(st, 1));
			int notnull = sqlite3_column_int(st, 2) || sqlite3_column_int(st, 4);
			const char *dflt = (const char *)sqlite3_column_text(st, 3);
			char pgdflt[128];

			sqlite_pk += sqlite3_column_int(st, 4) != 0;
			if (i >= PQntuples(cols)) {
				check(0, "%s.%s: missing in PostgreSQL", tn, name);
				continue;
			}
			snprintf(pgdflt, sizeof pgdflt, "%s", PQgetvalue(cols, i, 3));
			strip_cast(pgdflt);
			check(strcmp(PQgetvalue(cols, i, 0), name) == 0, "%s column %d: %s, SQLite has %s",
			    tn, i, PQgetvalue(cols, i, 0), name);
			check(strcmp(PQgetvalue(cols, i, 1), type) == 0, "%s.%s: %s, want %s", tn, name,
			    PQgetvalue(cols, i, 1), type);
			check((strcmp(PQgetvalue(cols, i, 2), "NO") == 0) == notnull,
			    "%s.%s: nullable %s, SQLite NOT NULL %d", tn, name, PQgetvalue(cols, i, 2),
			    notnull);
			check(strcmp(pgdflt, dflt ? dflt : "") == 0, "%s.%s: default '%s', SQLite '%s'",
			    tn, name, pgdflt, dflt ? dflt : "");
			check_collation(tn, cols, i);
		}
		sqlite3_finalize(st);
		check(i == PQntuples(cols), "%s: %d columns in PostgreSQL, %d in SQLite", tn,
		    PQntuples(cols), i);
		PQclear(cols);
		/* The same primary key, in the same order. */
		pk = must("SELECT string_agg(k.column_name, ',' ORDER BY k.ordinal_position)"
		    " FROM information_schema.table_constraints c JOIN"
		    " information_schema.key_column_usage k USING (constraint_schema, constraint_name)"
		    " WHERE c.table_schema = 'public' AND c.table_name = $1"
		    " AND c.constraint_type = 'PRIMARY KEY'", tn, NULL);
		snprintf(sql, sizeof sql, "SELECT coalesce(group_concat(name, ','), '') FROM"
		    " (SELECT name FROM pragma_table_info('%s') WHERE pk > 0 ORDER BY pk)", tn);
		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		if (sqlite3_step(st) == SQLITE_ROW)
			check(strcmp(PQgetvalue(pk, 0, 0), (const char *)sqlite3_column_text(st, 0)) == 0,
			    "%s: primary key (%s), SQLite (%s)", tn, PQgetvalue(pk, 0, 0),
			    sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		PQclear(pk);
		(void)sqlite_pk;
		/* Named indexes (not SQLite's own for UNIQUE and PRIMARY KEY). */
		snprintf(sql, sizeof sql, "SELECT name, \"unique\", partial FROM pragma_index_list('%s')"
		    " WHERE origin = 'c'", tn);
		sqlite3_prepare_v2(db, sql, -1, &st, NULL);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *iname = (const char *)sqlite3_column_text(st, 0);
			PGresult *r = must("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'"
			    " AND tablename = $1 AND indexname = $2", tn, iname, NULL);

			if (PQntuples(r) != 1) {
				check(0, "index %s on %s: missing in PostgreSQL", iname, tn);
			} else {
				const char *def = PQgetvalue(r, 0, 0);
				check((strncmp(def, "CREATE UNIQUE", 13) == 0) == sqlite3_column_int(st, 1),
				    "index %s: %s; SQLite unique %d", iname, def, sqlite3_column_int(st, 1));
				check((strstr(def, " WHERE ") != NULL) == sqlite3_column_int(st, 2),
				    "index %s: %s; SQLite partial %d", iname, def, sqlite3_column_int(st, 2));
			}
			PQclear(r);
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tabs);
	sqlite3_close(db);
	check(count("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
	    "public") == ntables,
	    "PostgreSQL has tables SQLite does not (SQLite has %d)", ntables);
	report(f0, "all %d tables of a database tongxind made: columns, order, types, NOT NULL,"
	    " defaults, primary keys, named indexes", ntables);
}

/* No name is a keyword PostgreSQL reserves for table or column names. */
static void
check_keywords(void)
{
	int f0 = failures;
	PGresult *r = must("SELECT w.word, w.catcode FROM pg_get_keywords() w WHERE"
	    " w.catcode IN ('R', 'T') AND w.word IN (SELECT column_name FROM"
	    " information_schema.columns WHERE table_schema = $1 UNION SELECT table_name"
	    " FROM information_schema.tables WHERE table_schema = $1)", "public", NULL);

	for (int i = 0; i < PQntuples(r); i++)
		check(0, "%s is a reserved word (%s): quote it or rename it", PQgetvalue(r, i, 0),
		    PQgetvalue(r, i, 1));
	PQclear(r);
	report(f0, "no table or column name is a reserved word");
}

/* A value of the column's type in text form; k tells values apart. */
static const char *
value_of(const char *type, int k, char *buf, size_t cap)
{
	if (strcmp(type, "bigint") == 0)
		snprintf(buf, cap, "%d", k);
	else if (strcmp(type, "bytea") == 0)
		snprintf(buf, cap, "\\x%02x", k);
	else
		snprintf(buf, cap, "v%d", k);
	return buf;
}

static int
in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/*
 * Insert into table one row with the NOT NULL columns (without default)
 * and the index's columns: those in keycols get the fixed key, the others
 * the value k, and column extra (when not NULL) the value extra_val.
 * Returns the SQLSTATE ("" when it was inserted).
 */
static const char *
insert_row(const char *table, const char *keycols, int k, const char *extra,
    const char *extra_val, char *state, size_t cap)
{
	PGresult *cols = must("SELECT column_name, data_type FROM information_schema.columns"
	    " WHERE table_schema = 'public' AND table_name = $1 AND ((is_nullable = 'NO'"
	    " AND column_default IS NULL) OR column_name = ANY(string_to_array($2, ',')))"
	    " ORDER BY ordinal_position", table, keycols, NULL);
	char sql[2048], vals[16][64];
	const char *pv[16];
	size_t n;
	int nv = 0, extra_done = 0;
	PGresult *r;

	n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (", table);
	for (int i = 0; i < PQntuples(cols) && nv < 15; i++, nv++) {
		const char *name = PQgetvalue(cols, i, 0), *type = PQgetvalue(cols, i, 1);

		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s", i ? ", " : "", name);
		if (extra != NULL && strcmp(name, extra) == 0) {
			snprintf(vals[nv], sizeof vals[nv], "%s", extra_val);
			extra_done = 1;
		} else {
			value_of(type, in_list(keycols, name) ? 99 : k, vals[nv], sizeof vals[nv]);
		}
		pv[nv] = vals[nv];
	}
	if (extra != NULL && !extra_done) {
		n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", extra);
		snprintf(vals[nv], sizeof vals[nv], "%s", extra_val);
		pv[nv] = vals[nv];
		nv++;
	}
	n += (size_t)snprintf(sql + n, sizeof sql - n, ") VALUES (");
	for (int i = 0; i < nv; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s$%d", i ? ", " : "", i + 1);
	snprintf(sql + n, sizeof sql - n, ")");
	PQclear(cols);
	r = PQexecParams(pg, sql, nv, NULL, pv, NULL, NULL, 0);
	snprintf(state, cap, "%s", PQresultStatus(r) == PGRES_COMMAND_OK ? "" : sqlstate(r));
	if (state[0] != '\0' && strcmp(state, "23505") != 0)
		fprintf(stderr, "  %s: %s", table, PQresultErrorMessage(r));
	PQclear(r);
	return state;
}

/*
 * Every unique index (primary keys included) refuses a second row with the
 * same key (23505); a partial one takes a row outside its predicate (a
 * deleted row, a revoked device) with the same key. Each case runs in a
 * transaction rolled back, so the tables stay empty.
 */
static void
check_unique_indexes(void)
{
	int f0 = failures;
	PGresult *ix = must("SELECT i.relname, t.relname, coalesce(pg_get_expr(x.indpred,"
	    " x.indrelid), ''), array_to_string(ARRAY(SELECT a.attname FROM unnest(x.indkey) k"
	    " JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k), ',')"
	    " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
	    " JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace"
	    " WHERE s.nspname = $1 AND x.indisunique ORDER BY 1", "public", NULL);
	int partial = 0;

	for (int i = 0; i < PQntuples(ix); i++) {
		const char *iname = PQgetvalue(ix, i, 0), *table = PQgetvalue(ix, i, 1);
		const char *pred = PQgetvalue(ix, i, 2), *keycols = PQgetvalue(ix, i, 3);
		char st[16];

		must_do("BEGIN");
		check(strcmp(insert_row(table, keycols, 1, NULL, NULL, st, sizeof st), "") == 0,
		    "%s: a first row is refused (%s)", iname, st);
		check(strcmp(insert_row(table, keycols, 2, NULL, NULL, st, sizeof st), "23505") == 0,
		    "%s: a second row with the same %s: SQLSTATE '%s', want 23505", iname, keycols,
		    st);
		must_do("ROLLBACK");
		if (strcmp(iname, "member_id_number") == 0 && strcmp(st, "23505") == 0)
			printf("ok - a second live member with the same citizen ID is refused (23505)\n");
		if (pred[0] == '\0')
			continue;
		partial++;
		must_do("BEGIN");
		insert_row(table, keycols, 1, NULL, NULL, st, sizeof st);
		if (strcmp(pred, "(_deleted = 0)") == 0)
			insert_row(table, keycols, 3, "_deleted", "1", st, sizeof st);
		else if (strcmp(pred, "(revoked_at IS NULL)") == 0)
			insert_row(table, keycols, 3, "revoked_at", "1", st, sizeof st);
		else
			check(0, "%s: predicate %s: teach this test a row outside it", iname, pred);
		check(strcmp(st, "") == 0, "%s is partial (%s) yet refuses a row outside it (%s)",
		    iname, pred, st);
		must_do("ROLLBACK");
	}
	check(PQntuples(ix) > TBL_COUNT + 10, "only %d unique indexes", PQntuples(ix));
	report(f0, "%d unique indexes each refuse a duplicate; the %d partial ones take a row"
	    " outside their predicate", PQntuples(ix), partial);
	PQclear(ix);
}

/* Versions: BIGINT from 1, a rolled-back one is a gap, beyond 2^31 works. */
static void
check_sequence(void)
{
	int f0 = failures;
	PGresult *r = must("SELECT data_type::text, increment_by, cache_size FROM pg_sequences"
	    " WHERE sequencename = $1", SCHEMA_PG_VERSION_SEQ, NULL);

	check(PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "bigint") == 0 &&
	    strcmp(PQgetvalue(r, 0, 1), "1") == 0 && strcmp(PQgetvalue(r, 0, 2), "1") == 0,
	    "sequence " SCHEMA_PG_VERSION_SEQ ": not bigint, by 1, cache 1");
	PQclear(r);
	check(count("SELECT nextval($1)", SCHEMA_PG_VERSION_SEQ) == 1, "first version is not 1");
	must_do("BEGIN");
	PQclear(must("SELECT nextval($1)", SCHEMA_PG_VERSION_SEQ, NULL));
	must_do("ROLLBACK");
	check(count("SELECT nextval($1)", SCHEMA_PG_VERSION_SEQ) == 3,
	    "a version taken by a rolled-back transaction was handed out again");
	PQclear(must("SELECT setval($1, 3000000000)", SCHEMA_PG_VERSION_SEQ, NULL));
	r = must("SELECT nextval($1)", SCHEMA_PG_VERSION_SEQ, NULL);
	check(strcmp(PQgetvalue(r, 0, 0), "3000000001") == 0, "nextval after 3e9: %s",
	    PQgetvalue(r, 0, 0));
	PQclear(r);
	report(f0, SCHEMA_PG_VERSION_SEQ ": bigint from 1, cache 1; a rolled-back version"
	    " is a gap; versions beyond 2^31");
}

/*
 * Creating the schema again is refused (42P07, duplicate table) as a whole:
 * the transaction rolls back, the catalog and the rows stay as they were.
 * Refused rather than skipped: a database that has the tables may have an
 * older schema, and IF NOT EXISTS would leave it half-old without a word.
 */
static void
check_second_create(void)
{
	int f0 = failures;
	const char *tables = "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1";
	int before = count(tables, "public");
	char st[16];

	PQclear(must("INSERT INTO org (id, code, _version, _scope) VALUES ($1, $2, 1, '/S01/')",
	    "0190a5c2-0000-7000-8000-000000000001", "S01", NULL));
	check(strcmp(create_schema(st, sizeof st), "42P07") == 0,
	    "a second creation: SQLSTATE '%s', want 42P07", st);
	check(count(tables, "public") == before, "a refused second creation changed the catalog");
	check(count("SELECT count(*) FROM org WHERE code = $1", "S01") == 1,
	    "a refused second creation lost a row");
	report(f0, "creating the schema a second time is refused (42P07) and changes nothing");
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	char st[16];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: test_pg_schema URI [SQLITE_DB]\n");
		return 2;
	}
	pg = PQconnectdb(argv[1]);
	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "FAIL: cannot connect: %s", PQerrorMessage(pg));
		return 1;
	}
	printf("PostgreSQL server %d, libpq %d\n", PQserverVersion(pg), PQlibVersion());
	check(count("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
	    "public") == 0, "the database is not empty");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check(strcmp(create_schema(st, sizeof st), "") == 0, "creating the schema: %s", st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	report(0, "the schema is created in one transaction (%.0f ms)",
	    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	check_synced_tables();
	if (argc > 2)
		check_against_sqlite(argv[2]);
	check_keywords();
	check_unique_indexes();
	check_sequence();
	check_second_create();
	PQfinish(pg);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
