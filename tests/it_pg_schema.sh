#!/bin/bash
# it_pg_schema.sh - the server's database in PostgreSQL (issue 13, item 2):
# the schema common/schema_pg.c generates, created in a private cluster's
# empty database and checked through the catalog by test_pg_schema: every
# synced table and column with its type, every table of a database tongxind
# itself made (tongxind init) with the same columns, keys, defaults and
# indexes, each unique index refusing a duplicate, the partial ones partial,
# the version sequence, and a second creation refused whole.
#
# Needs the PostgreSQL server programs (scripts/deps.sh installs them);
# without them pg.sh says so and the test is skipped (exit 77).
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE, TEST_PG_SCHEMA set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

: "${TEST_PG_SCHEMA:?TEST_PG_SCHEMA must name the test_pg_schema program}"

step "a SQLite database made by tongxind init, to compare with"
run "$TX_TMP/init.out" "$TONGXIND" init "$TX_TMP/srv" --street 和平街道 --listen 127.0.0.1:1
expect_rc 0 "tongxind init"
[ -f "$TX_TMP/srv/tongxind.db" ] || fail "tongxind init made no tongxind.db"

step "a private PostgreSQL cluster"
pg_up "$TX_TMP/pg"

step "test_pg_schema on the empty database tongxin"
"$TEST_PG_SCHEMA" "$TX_PG_URI" "$TX_TMP/srv/tongxind.db" || fail "test_pg_schema failed"

step "the cluster stops"
pg_down "$TX_TMP/pg"
[ ! -f "$TX_TMP/pg/data/postmaster.pid" ] || fail "the cluster still runs after pg_down"
step "done"
