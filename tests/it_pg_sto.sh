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
# that a lock wait gives up after lock_timeout. Then end to end: a street
# served from PostgreSQL whose cluster restarts under the running tongxind;
# the office's next sync works and its change reaches the database.
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

step "a street on PostgreSQL whose database restarts under the running tongxind"
SRV=$TX_TMP/srv
OUT=$TX_TMP/out
tx() { local db=$1; shift; "$TONGXIN" --replica "$TX_TMP/$db.db" "$@"; }
pg_sql "CREATE DATABASE street TEMPLATE template0 ENCODING 'UTF8'" ||
	fail "cannot create the database street"
run "$OUT" "$TONGXIND" init "$SRV" --street 和平街道 --listen "$TX_ADDR" \
	--store "postgresql://tx@127.0.0.1:$TX_PG_PORT/street"
expect_rc 0 "tongxind init --store"
two_communities "$SRV" "$TX_TMP/admin.db"
office_up "$SRV" o1 SQ01 "$TX_TMP/o1.db"
A=$(idn_male 19700101)
run "$OUT" tx o1 member add --name 张三 --gender male --ethnicity 汉族 --id-number "$A" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 \
	--full-date 2001-07-01
expect_rc 0 "member add"
mark=$(log_mark)
_pg_as "$PG_BINDIR/pg_ctl" -D "$TX_PG_DIR/data" -m fast -w -t 20 restart >/dev/null 2>&1 ||
	fail "the cluster did not restart"
"$PG_BINDIR/pg_isready" -q -t 10 -h 127.0.0.1 -p "$TX_PG_PORT" -U tx -d postgres ||
	fail "the cluster does not accept connections after its restart"
# Every connection of tongxind meets the break at its next statement, with
# no transaction open: that statement runs again on a new session, so the
# first sync works (before, the device lookup failed and the device was
# told it is not enrolled).
run "$OUT" tx o1 sync
expect_rc 0 "the first sync after the database restarted"
expect_contains "$OUT" "1 applied"
TX_PG_URI="postgresql://tx@127.0.0.1:$TX_PG_PORT/street" \
	pg_sql "SELECT count(*) FROM member WHERE id_number = '$A' AND _deleted = 0" >"$OUT"
[ "$(cat "$OUT")" = 1 ] || fail "o1's member did not reach PostgreSQL after the restart"
log_since "$mark" | grep -q "connected again" ||
	fail "tongxind did not log that it connected again: $(log_since "$mark" | tail -5)"
run "$OUT" tx admin sync -q
expect_rc 0 "the street's sync after the restart"
[ "$(sqlite3 "$TX_TMP/admin.db" "SELECT count(*) FROM member WHERE id_number = '$A'")" = 1 ] ||
	fail "the street does not hold o1's member"

step "the database is down for a while: a sync fails, and works once it is back"
_pg_as "$PG_BINDIR/pg_ctl" -D "$TX_PG_DIR/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
	fail "the cluster did not stop"
B=$(idn_female 19800202)
run "$OUT" tx o1 member add --name 李四 --gender female --ethnicity 汉族 --id-number "$B" \
	--education bachelor --category full --branch SQ01-01 --join-date 2001-07-01 \
	--full-date 2002-07-01
expect_rc 0 "member add"
run "$OUT" tx o1 sync
[ "$TX_RC" != 0 ] || fail "a sync while the database is down succeeded: $(cat "$OUT")"
# An error the device retries, never a refusal: the lookup could not be
# made, which is not "no such device" (store.h STORE_UNREADABLE).
expect_not_contains "$OUT" "not enrolled"
expect_contains "$OUT" "sync again"
server_alive || fail "tongxind died while the database was down"
_pg_as "$PG_BINDIR/pg_ctl" -D "$TX_PG_DIR/data" -l "$TX_PG_DIR/server.log" -w -t 30 \
	-o "-p $TX_PG_PORT -k $TX_PG_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off" \
	start >/dev/null 2>&1 || fail "the cluster did not start again"
sleep 1.1   # a failed reconnect holds the next attempt back for 1 s (pg_util.c)
run "$OUT" tx o1 sync
expect_rc 0 "a sync once the database is back"
TX_PG_URI="postgresql://tx@127.0.0.1:$TX_PG_PORT/street" \
	pg_sql "SELECT count(*) FROM member WHERE id_number = '$B' AND _deleted = 0" >"$OUT"
[ "$(cat "$OUT")" = 1 ] || fail "o1's second member did not reach PostgreSQL"
stop_server

step "the cluster stops"
pg_down "$TX_TMP/pg"
step "done"
