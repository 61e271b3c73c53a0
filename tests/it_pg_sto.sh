#!/bin/bash
# it_pg_sto.sh - the PostgreSQL store (server/store_pg.c, issue 13 item 2)
# against a private cluster: test_pg_sto holds it to the storage contract of
# sto.h (versions with gaps), checks that values, reasons and conflicts come
# back as written, that SQLSTATE 23505 becomes STO_DUP_ID or STO_UNIQUE and
# the transaction goes on, that row_load in a write transaction serialises
# two connections and an insert race ends as STO_DUP_ID, and that the
# in-flight bound (pg_sto_safe_version) never reaches a version whose
# transaction is still open on another connection, that a lost connection
# is made again by the next begin (a broken transaction leaves nothing), and
# that a lock wait gives up after lock_timeout.
#
# Needs the PostgreSQL server programs (scripts/deps.sh installs them);
# without them pg.sh says so and the test is skipped (exit 77).
#
# Run by ctest (TEST_PG_STO set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

: "${TEST_PG_STO:?TEST_PG_STO must name the test_pg_sto program}"

step "a private PostgreSQL cluster"
pg_up "$TX_TMP/pg"

step "test_pg_sto on the database tongxin"
"$TEST_PG_STO" "$TX_PG_URI" || fail "test_pg_sto failed"

step "the cluster stops"
pg_down "$TX_TMP/pg"
step "done"
