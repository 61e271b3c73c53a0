#!/bin/bash
# it_credential.sh - one credential on two computers (issue 8).
#
# Every replica gets an identity at join (meta replica_id) and sends it in
# its Hello; the server binds a device to the first replica id it sees and
# refuses any other with ERR_CREDENTIAL_IN_USE (17), before anything is
# pushed. Asserts:
#   - two replicas joined from one bundle: the first syncs; the second is
#     refused with exit 4 and a Chinese-first message telling the clerk to
#     have this computer enrolled; the server records nothing from it;
#   - a second computer that holds data and an unsent change (a copy of the
#     first replica given an identity of its own) is refused the same way,
#     and its change stays in its outbox; the first goes on syncing;
#   - a replica made before replica ids existed gets one at its first sync;
#   - a device revoked and enrolled again is a new device and binds afresh.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
SRV=$D/srv

tx() {
	local replica=$1
	shift
	"$TONGXIN" --replica "$D/$replica.db" "$@"
}

q() {
	sqlite3 "$SRV/tongxind.db" "$1"
}

# A value from a replica's meta table.
meta() {
	sqlite3 "$D/$1.db" "SELECT value FROM meta WHERE key = '$2'"
}

outbox() {
	sqlite3 "$D/$1.db" "SELECT count(*) FROM outbox"
}

expect_refused() {
	local out=$1 what=$2
	expect_rc 4 "$what (want exit 4: refused)"
	expect_contains "$out" "此设备凭据已在另一台电脑上使用"
	expect_contains "$out" "tongxind enroll"
	expect_contains "$out" "This device's credential already belongs to another computer"
}

step "a street, its administrator's bundle joined on two computers"
run "$D/init.out" "$TONGXIND" init "$SRV" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init"
run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org JD01 --device street1 --admin --out "$D/street1.bundle"
expect_rc 0 "tongxind enroll street1"
start_server "$SRV"
run "$D/join.out" tx pc1 join "$D/street1.bundle"
expect_rc 0 "tongxin join on pc1"
run "$D/join.out" tx pc2 join "$D/street1.bundle"
expect_rc 0 "tongxin join on pc2"
rid1=$(meta pc1 replica_id)
rid2=$(meta pc2 replica_id)
[[ "$rid1" =~ ^[0-9a-f-]{36}$ ]] || fail "pc1's replica has no replica_id after join (\"$rid1\")"
[ "$rid1" != "$rid2" ] || fail "two joins made the same replica_id"
dev_id=$(q "SELECT id FROM device WHERE name = 'street1'")

step "pc1 syncs first and owns the credential"
run "$D/sync1.out" tx pc1 sync
expect_rc 0 "pc1's first sync"
[ "$(q "SELECT replica_id FROM device_replica WHERE device_id = '$dev_id'")" = "$rid1" ] ||
	fail "the server did not bind street1 to pc1's replica"

step "pc2's first sync is refused with ERR_CREDENTIAL_IN_USE"
txns0=$(q "SELECT count(*) FROM txn_log")
mark=$(log_mark)
run "$D/sync2.out" tx pc2 sync
expect_refused "$D/sync2.out" "pc2's sync"
log_since "$mark" >"$D/log.part"
expect_contains "$D/log.part" "credential presented by a second replica $rid2"
run "$D/check2.out" tx pc2 status --check
expect_refused "$D/check2.out" "pc2's status --check"
run "$D/probe.out" "$TX_PROBE" tls "$TX_ADDR" --bundle "$D/street1.bundle" --expect welcome
expect_rc 0 "a Hello without a replica id (an older client) is still served"

step "a second computer with data and an unsent change is refused; its change stays"
cp "$D/pc1.db" "$D/pc3.db"
cp "$D/pc1.db.credential" "$D/pc3.db.credential"
[ ! -f "$D/pc1.db-wal" ] || cp "$D/pc1.db-wal" "$D/pc3.db-wal"
# A replica set up on another computer: an identity of its own.
sqlite3 "$D/pc3.db" "UPDATE meta SET value = '$(cat /proc/sys/kernel/random/uuid)' WHERE key = 'replica_id'"
run "$D/org3.out" tx pc3 org add --code SQ03 --name 第三社区 --kind community
expect_rc 0 "tongxin org add on pc3 (offline work)"
[ "$(outbox pc3)" = 1 ] || fail "pc3's outbox holds $(outbox pc3) transactions, want 1"
run "$D/sync3.out" tx pc3 sync
expect_refused "$D/sync3.out" "pc3's sync"
[ "$(outbox pc3)" = 1 ] || fail "after the refusal pc3's outbox holds $(outbox pc3) transactions, want 1"
run "$D/status3.out" tx pc3 status
expect_contains "$D/status3.out" "1 transactions"
[ "$(q "SELECT count(*) FROM txn_log")" = "$txns0" ] || fail "the server stored something from a refused replica"
[ "$(q "SELECT count(*) FROM org WHERE code = 'SQ03'")" = 0 ] || fail "pc3's organisation reached the server"

step "pc1 goes on syncing"
run "$D/org1.out" tx pc1 org add --code SQ01 --name 和平社区 --kind community
expect_rc 0 "tongxin org add on pc1"
run "$D/sync1.out" tx pc1 sync
expect_rc 0 "pc1's sync after the refusals"
expect_contains "$D/sync1.out" "1 applied"
[ "$(q "SELECT count(*) FROM org WHERE code = 'SQ01'")" = 1 ] || fail "pc1's organisation did not reach the server"

step "a replica made before replica ids gets one at its first sync"
run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org SQ01 --device office1 --out "$D/office1.bundle"
expect_rc 0 "tongxind enroll office1"
run "$D/join.out" tx old join "$D/office1.bundle"
expect_rc 0 "tongxin join old"
sqlite3 "$D/old.db" "DELETE FROM meta WHERE key = 'replica_id'"
run "$D/old.out" tx old sync
expect_rc 0 "the old replica's sync"
rid_old=$(meta old replica_id)
[[ "$rid_old" =~ ^[0-9a-f-]{36}$ ]] || fail "the old replica has no replica_id after its sync"
office_id=$(q "SELECT id FROM device WHERE name = 'office1'")
[ "$(q "SELECT replica_id FROM device_replica WHERE device_id = '$office_id'")" = "$rid_old" ] ||
	fail "the server did not bind office1 to the old replica's new id"
run "$D/old.out" tx old sync
expect_rc 0 "the old replica's second sync (same id)"

step "revoked and enrolled again: a new device that binds afresh"
run "$D/revoke.out" "$TONGXIND" revoke "$SRV" --device street1
expect_rc 0 "tongxind revoke street1"
run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org JD01 --device street1 --admin --out "$D/street1b.bundle"
expect_rc 0 "tongxind enroll street1 again"
run "$D/join.out" tx pc2b join "$D/street1b.bundle"
expect_rc 0 "tongxin join with the new bundle"
run "$D/sync2b.out" tx pc2b sync
expect_rc 0 "the re-enrolled device's first sync"
server_alive || fail "the server died"
stop_server
step "done"
