#!/bin/bash
# it_pg_sync.sh - a street served from PostgreSQL (issue 13, item 2), end to
# end with the real programs: tongxind init --store names a database in a
# private cluster (tests/pg.sh), tongxind.conf keeps it, enroll and serve
# find it there, and offices sync through it as through the SQLite store:
#   - init writes no tongxind.db, and "tongxind check" shows the store with
#     its password hidden; a second init over the same database is refused
#     and changes nothing;
#   - the street adds two communities, two offices join and pull them; a
#     member added offline by one office reaches the street and not the
#     other office (scope), and the data is in PostgreSQL's tables;
#   - an edit of the same field by the street and an office: the later one
#     is queued as a conflict, the clerk is told, the server keeps its value;
#   - a restart of tongxind (stateless: everything is in the database) and
#     every replica checks equal with the server (sync --verify);
#   - tongxind revoke ends a device's access through the database.
#
# Needs the PostgreSQL server programs (scripts/deps.sh installs them);
# without them pg.sh says so and the test is skipped (exit 77).
# Run by ctest (TONGXIND, TONGXIN set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"
. "${TESTS_DIR:-$(dirname "$0")}/pg.sh"

SRV=$TX_TMP/srv
OUT=$TX_TMP/out
tx() { local db=$1; shift; "$TONGXIN" --replica "$TX_TMP/$db.db" "$@"; }
q() { sqlite3 "$TX_TMP/$1.db" "$2"; }
must() { "$@" >"$OUT" 2>&1 || fail "$* failed: $(cat "$OUT")"; }

step "a private PostgreSQL cluster"
pg_up "$TX_TMP/pg"

step "tongxind init --store: the street's database in PostgreSQL"
run "$OUT" "$TONGXIND" init "$SRV" --street 和平街道 --listen "$TX_ADDR" \
	--store "postgresql://tx:s3cret@127.0.0.1:$TX_PG_PORT/tongxin"
expect_rc 0 "tongxind init --store"
[ ! -e "$SRV/tongxind.db" ] || fail "init made tongxind.db although the store is PostgreSQL"
grep -q "^store = postgresql://tx:s3cret@127.0.0.1:$TX_PG_PORT/tongxin\$" "$SRV/tongxind.conf" ||
	fail "tongxind.conf does not name the store: $(cat "$SRV/tongxind.conf")"
expect_mode "$SRV/tongxind.conf" 600
[ "$(pg_sql "SELECT code FROM org WHERE kind = 'street'")" = JD01 ] ||
	fail "the street is not in PostgreSQL's org table"
run "$OUT" "$TONGXIND" check "$SRV"
expect_rc 0 "tongxind check"
expect_contains "$OUT" "store = postgresql://tx:***@127.0.0.1:$TX_PG_PORT/tongxin"
expect_not_contains "$OUT" s3cret
# A password given as a query parameter is hidden too, in check's output and its errors.
cp -r "$SRV" "$TX_TMP/srv-q"
sed -i "s|^store = .*|store = postgresql://tx@127.0.0.1:$TX_PG_PORT/nosuchdb?password=hunter2\&connect_timeout=5|" \
	"$TX_TMP/srv-q/tongxind.conf"
run "$OUT" "$TONGXIND" check "$TX_TMP/srv-q"
[ "$TX_RC" != 0 ] || fail "check passed with a store that names no database"
expect_contains "$OUT" "password=***"
expect_not_contains "$OUT" hunter2

step "a second init over the same database is refused and changes nothing"
before=$(pg_sql "SELECT count(*) FROM org")
run "$OUT" "$TONGXIND" init "$TX_TMP/srv2" --street 另一街道 --listen "$TX_ADDR" \
	--store "$TX_PG_URI"
[ "$TX_RC" != 0 ] || fail "a second init over a database holding a street succeeded"
[ "$(pg_sql "SELECT count(*) FROM org")" = "$before" ] || fail "the refused init wrote rows"
[ "$(pg_sql "SELECT value FROM meta WHERE key = 'street_code'")" = JD01 ] ||
	fail "the refused init changed the street"

step "the street and two offices sync through PostgreSQL"
two_communities "$SRV" "$TX_TMP/admin.db"
office_up "$SRV" o1 SQ01 "$TX_TMP/o1.db"
office_up "$SRV" o2 SQ02 "$TX_TMP/o2.db"
[ "$(tx o1 org list --csv | grep -c SQ01)" -ge 1 ] || fail "o1 did not pull its community"
[ "$(pg_sql "SELECT count(*) FROM device WHERE revoked_at IS NULL")" = 3 ] ||
	fail "the devices are not enrolled in PostgreSQL"

step "a member added offline by o1 reaches the street, not o2"
stop_server
A=$(idn_male 19700101)
must tx o1 member add --name 张三 --gender male --ethnicity 汉族 --id-number "$A" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 \
	--full-date 2001-07-01
start_server "$SRV"
must tx o1 sync -q
must tx admin sync -q
must tx o2 sync -q
[ "$(q admin "SELECT count(*) FROM member WHERE id_number = '$A'")" = 1 ] ||
	fail "the street does not hold o1's member"
[ "$(q o2 "SELECT count(*) FROM member WHERE id_number = '$A'")" = 0 ] ||
	fail "o2 holds a member of SQ01"
[ "$(pg_sql "SELECT count(*) FROM member WHERE id_number = '$A' AND _deleted = 0")" = 1 ] ||
	fail "the member is not in PostgreSQL exactly once"

step "the same field edited by the street and by o1: the later is queued"
must tx admin member edit "$A" --education doctorate
must tx admin sync -q
must tx o1 member edit "$A" --education master
run "$OUT" tx o1 sync
expect_contains "$OUT" "1 conflict"
[ "$(pg_sql "SELECT count(*) FROM conflict WHERE kind = 'same_field' AND status = 'open'")" = 1 ] ||
	fail "no open same_field conflict in PostgreSQL"
[ "$(pg_sql "SELECT education FROM member WHERE id_number = '$A'")" = doctorate ] ||
	fail "the server's value was overwritten"
run "$OUT" tx o1 status
expect_contains "$OUT" 冲突

step "tongxind restarts: nothing of its own to lose"
stop_server
start_server "$SRV"
for d in admin o1 o2; do
	run "$OUT" tx "$d" sync --verify
	expect_rc 0 "$d: sync --verify after the restart"
done

step "revoke: the device's next sync is refused"
run "$OUT" "$TONGXIND" revoke "$SRV" --device o2
expect_rc 0 "tongxind revoke o2"
[ "$(pg_sql "SELECT count(*) FROM device WHERE name = 'o2' AND revoked_at IS NOT NULL")" = 1 ] ||
	fail "the revocation is not in PostgreSQL"
run "$OUT" tx o2 sync
[ "$TX_RC" != 0 ] || fail "a revoked device synced"

stop_server
pg_down "$TX_TMP/pg"
step "done"
