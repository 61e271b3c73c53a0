#!/bin/bash
# it_pg_migrate.sh - a street that outgrew SQLite moves to PostgreSQL
# (tongxind migrate, issue 13), with the real programs and a private
# cluster (tests/pg.sh):
#   - refused while the server runs, into a database that has the schema
#     already or is not UTF8 (init --store too), and on a directory already
#     on PostgreSQL: each changes nothing
#     (tongxind.db and tongxind.conf as they were, the database empty);
#   - after the move every table holds in PostgreSQL what it held in SQLite,
#     tongxind.conf names the store (its other lines kept), tongxind.db is
#     kept aside; the devices go on where they were: their next sync pulls
#     nothing again, an offline edit made before the move is applied once,
#     the open conflict is still open and settles, and every replica checks
#     equal with the server (sync --verify).
#
# Needs the PostgreSQL server programs (scripts/deps.sh); skipped (77) without.
# Run by ctest (TONGXIND, TONGXIN set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

SRV=$TX_TMP/srv
OUT=$TX_TMP/out
tx() { local db=$1; shift; "$TONGXIN" --replica "$TX_TMP/$db.db" "$@"; }
q() { sqlite3 "$TX_TMP/$1.db" "$2"; }
must() { "$@" >"$OUT" 2>&1 || fail "$* failed: $(cat "$OUT")"; }

step "a private PostgreSQL cluster, and a street on SQLite with two offices"
pg_up "$TX_TMP/pg"
two_communities "$SRV" "$TX_TMP/admin.db"
office_up "$SRV" o1 SQ01 "$TX_TMP/o1.db"
office_up "$SRV" o2 SQ02 "$TX_TMP/o2.db"
echo "log_level = info" >>"$SRV/tongxind.conf"
A=$(idn_male 19700101)
B=$(idn_female 19750505)
must tx o1 member add --name 张三 --gender male --ethnicity 汉族 --id-number "$A" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 \
	--full-date 2001-07-01
must tx o1 sync -q
must tx admin sync -q
must tx admin member edit "$A" --education doctorate
must tx admin sync -q
must tx o1 member edit "$A" --education master
run "$OUT" tx o1 sync
expect_contains "$OUT" "1 conflict"

step "refused while the server runs: nothing changes"
run "$OUT" "$TONGXIND" migrate "$SRV" --store "$TX_PG_URI"
[ "$TX_RC" != 0 ] || fail "migrate ran beside a running server"
expect_contains "$OUT" "stop it first"
stop_server

step "offline edits made before the move wait in the outboxes"
must tx o2 member add --name 李四 --gender female --ethnicity 汉族 --id-number "$B" \
	--education bachelor --category full --branch SQ02-01 --join-date 2003-07-01 \
	--full-date 2004-07-01
conf_before=$(cat "$SRV/tongxind.conf")
counts() {   # TABLE...: "table=count" of live rows, SQLite's or PostgreSQL's
	local t
	for t in org member txn_log conflict audit device; do
		if [ "$1" = sqlite ]; then
			echo "$t=$(sqlite3 "$2" "SELECT count(*) FROM $t")"
		else
			echo "$t=$(pg_sql "SELECT count(*) FROM $t")"
		fi
	done
}
before=$(counts sqlite "$SRV/tongxind.db")
version=$(sqlite3 "$SRV/tongxind.db" "SELECT value FROM meta WHERE key = 'version'")
epoch=$(sqlite3 "$SRV/tongxind.db" "SELECT value FROM meta WHERE key = 'epoch'")

step "refused into a database that has the schema already: nothing changes"
pg_sql "CREATE DATABASE taken"
taken=${TX_PG_URI%/*}/taken
pg_sql_taken() { "$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$taken" -c "$1"; }
pg_sql_taken "CREATE TABLE member (id TEXT)"
run "$OUT" "$TONGXIND" migrate "$SRV" --store "$taken"
[ "$TX_RC" != 0 ] || fail "migrate into a database with a member table succeeded"
expect_contains "$OUT" "Nothing was moved"
[ "$(pg_sql_taken "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 1 ] ||
	fail "the refused migrate left tables behind"
[ -f "$SRV/tongxind.db" ] || fail "the refused migrate moved tongxind.db"
[ "$(cat "$SRV/tongxind.conf")" = "$conf_before" ] || fail "the refused migrate changed tongxind.conf"

step "refused into a database that is not UTF8 (the Chinese would be garbled): nothing changes"
pg_sql "CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
run "$OUT" "$TONGXIND" migrate "$SRV" --store "${TX_PG_URI%/*}/latin"
[ "$TX_RC" != 0 ] || fail "migrate into a LATIN1 database succeeded"
expect_contains "$OUT" "tongxind needs UTF8"
[ -f "$SRV/tongxind.db" ] || fail "the refused migrate moved tongxind.db"
[ "$(cat "$SRV/tongxind.conf")" = "$conf_before" ] || fail "the refused migrate changed tongxind.conf"
run "$OUT" "$TONGXIND" init "$TX_TMP/srv-latin" --street 测试街道 --listen "$TX_ADDR" \
	--store "${TX_PG_URI%/*}/latin"
[ "$TX_RC" != 0 ] || fail "init --store into a LATIN1 database succeeded"
expect_contains "$OUT" "tongxind needs UTF8"

step "tongxind migrate: every table in PostgreSQL, the config names it"
run "$OUT" "$TONGXIND" migrate "$SRV" --store "$TX_PG_URI"
expect_rc 0 "tongxind migrate"
[ ! -e "$SRV/tongxind.db" ] || fail "tongxind.db is still in place"
aside=$(ls "$SRV"/tongxind.db.moved-* 2>/dev/null | head -1)
[ -n "$aside" ] || fail "the SQLite database was not kept aside"
[ "$(counts pg)" = "$before" ] || fail "the tables differ: SQLite $before; PostgreSQL $(counts pg)"
[ "$(pg_sql "SELECT last_value FROM tx_version")" = "$version" ] ||
	fail "the version sequence is not at the SQLite store's $version"
[ "$(pg_sql "SELECT value FROM meta WHERE key = 'epoch'")" = "$epoch" ] || fail "the epoch changed"
grep -q "^log_level = info\$" "$SRV/tongxind.conf" || fail "migrate lost a line of tongxind.conf"
grep -q "^store = $TX_PG_URI\$" "$SRV/tongxind.conf" || fail "tongxind.conf does not name the store"
expect_mode "$SRV/tongxind.conf" 600
run "$OUT" "$TONGXIND" migrate "$SRV" --store "$TX_PG_URI"
[ "$TX_RC" != 0 ] || fail "a second migrate succeeded"
expect_contains "$OUT" "in PostgreSQL already"

step "the devices go on where they were"
start_server "$SRV"
mark=$(log_mark)
must tx admin sync -q
must tx o1 sync -q
must tx o2 sync -q
log_since "$mark" | grep -q "admin1.*pull: 0 rows sent" ||
	fail "the street pulled again after the move: $(log_since "$mark" | grep pull)"
[ "$(pg_sql "SELECT count(*) FROM member WHERE id_number = '$B' AND _deleted = 0")" = 1 ] ||
	fail "o2's offline member is not applied once"
must tx admin sync -q
[ "$(q admin "SELECT count(*) FROM member WHERE id_number = '$B'")" = 1 ] ||
	fail "the street does not see o2's member"
[ "$(pg_sql "SELECT count(*) FROM conflict WHERE kind = 'same_field' AND status = 'open'")" = 1 ] ||
	fail "the open conflict did not move"
C=$(pg_sql "SELECT id FROM conflict WHERE kind = 'same_field' AND status = 'open'")
run "$OUT" tx admin conflicts resolve "$C" --keep-server
expect_rc 0 "the moved conflict settles"
for d in admin o1 o2; do
	run "$OUT" tx "$d" sync --verify
	expect_rc 0 "$d: sync --verify after the move"
done
stop_server
pg_down "$TX_TMP/pg"
step "done"
