#!/bin/bash
# it_pg_engine.sh - the apply engine's cases (test_engine) on the PostgreSQL
# store too (issue 13, item 2): with TX_PG_URI set, test_engine runs the
# storage contract and every case on the in-memory store, on SQLite and on
# PostgreSQL (a new schema per case in a private cluster), and every case
# must end alike on all three.
#
# Needs the PostgreSQL server programs (scripts/deps.sh installs them);
# without them pg.sh says so and the test is skipped (exit 77).
#
# Run by ctest (TEST_ENGINE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

: "${TEST_ENGINE:?TEST_ENGINE must name the test_engine program}"

step "a private PostgreSQL cluster"
pg_up "$TX_TMP/pg"

step "test_engine on memory, SQLite and PostgreSQL"
TX_PG_URI=$TX_PG_URI "$TEST_ENGINE" >"$TX_TMP/engine.out" 2>&1
rc=$?
cat "$TX_TMP/engine.out"
[ "$rc" -eq 0 ] || fail "test_engine failed (status $rc)"
grep -q -- '- the same contract of the PostgreSQL store' "$TX_TMP/engine.out" ||
	fail "test_engine did not run on PostgreSQL"
grep -q '^ok [0-9]* - \[postgresql\]' "$TX_TMP/engine.out" ||
	fail "no case ran on PostgreSQL"

step "the cluster stops"
pg_down "$TX_TMP/pg"
step "done"
