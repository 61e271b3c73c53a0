#!/bin/bash
# pg_run.sh PROGRAM [ARGS...] - run one of the shared suites (test_sync_*,
# it_transfer, ...) with every server it starts keeping its data in
# PostgreSQL (issue 13: the shared suites on both backends). A private
# cluster is started here (tests/pg.sh); TX_PG_URI tells the suite's harness
# to give each server a database of its own on it (tongxind init --store):
# sync_harness.h's srv_init, and reads the server's rows through a copy
# (srv_db_path); tap.sh's tap_start_street with psql from TX_PG_BINDIR. The
# program's status is this script's; without PostgreSQL it is skipped (77).
#
# Run by ctest (label pg; TONGXIND, TONGXIN set).

TX_NAME=pg_$(basename "$1")
. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

[ $# -ge 1 ] || fail "usage: pg_run.sh PROGRAM [ARGS...]"
pg_up "$TX_TMP/pg" >/dev/null
rc=0
TX_PG_URI=$TX_PG_URI TX_PG_BINDIR=$PG_BINDIR "$@" || rc=$?
pg_down "$TX_TMP/pg"
[ "$rc" -eq 0 ] || fail "$(basename "$1") failed on PostgreSQL (status $rc)"
step "done"
