#!/bin/bash
# it_pg_admin.sh - the administrator's reads of the PostgreSQL store
# (server/store_pg_admin.c, issue 13 item 2) against a private cluster:
# test_pg_admin builds one small world (members, conflicts of five kinds,
# two settled) on a SQLite store and on the PostgreSQL store from the same
# transactions, and checks that conflict list and show, audit, devices,
# replica check and resolutions answer alike on both, refusals included.
#
# Needs the PostgreSQL server programs (scripts/deps.sh installs them);
# without them pg.sh says so and the test is skipped (exit 77).
#
# Run by ctest (TEST_PG_ADMIN set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

: "${TEST_PG_ADMIN:?TEST_PG_ADMIN must name the test_pg_admin program}"

step "a private PostgreSQL cluster"
pg_up "$TX_TMP/pg"

step "test_pg_admin: the same world on SQLite and PostgreSQL, the same answers"
TMPDIR=$TX_TMP "$TEST_PG_ADMIN" "$TX_PG_URI" || fail "test_pg_admin failed"

step "the cluster stops"
pg_down "$TX_TMP/pg"
step "done"
