#!/bin/bash
# it_revoke.sh - a revoked device's open sessions end (issue 8).
#
# tongxind revoke is another process writing the server's database. A
# session the device opened before the revocation must be closed by the
# running server within a few seconds (ERR_REVOKED, 7), and a push sent on
# such a session after the revocation is refused with nothing of it stored
# (no txn_log row, no audit row). The server logs a warning naming the
# device and its address, and goes on serving other devices; a new
# connection of the revoked device is refused as before. A device name with
# control characters is refused at enrolment.
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

# sqlite3 on the server's database: one value.
q() {
	sqlite3 "$SRV/tongxind.db" "$1"
}

ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

step "a street with community SQ01 and two office devices"
run "$D/init.out" "$TONGXIND" init "$SRV" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init"
run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org JD01 --device admin1 --admin --out "$D/admin.bundle"
expect_rc 0 "tongxind enroll admin1"
start_server "$SRV"
run "$D/join.out" tx admin join "$D/admin.bundle"
expect_rc 0 "tongxin join admin"
run "$D/sync.out" tx admin sync
expect_rc 0 "the admin's first sync"
run "$D/org.out" tx admin org add --code SQ01 --name 和平社区 --kind community
expect_rc 0 "tongxin org add SQ01"
run "$D/sync.out" tx admin sync
expect_rc 0 "the admin's sync"
for dev in office1 office2; do
	run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org SQ01 --device $dev --out "$D/$dev.bundle"
	expect_rc 0 "tongxind enroll $dev"
done
run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org SQ01 --device $'evil\e[2J\r' --out "$D/evil.bundle"
expect_rc 2 "tongxind enroll with control characters in the device name"
[ ! -e "$D/evil.bundle" ] || fail "a refused enroll left a bundle"
run "$D/devices.out" "$TONGXIND" devices "$SRV"
expect_rc 0 "tongxind devices"
expect_contains "$D/devices.out" "office1"
office1_id=$(q "SELECT id FROM device WHERE name = 'office1'")
office2_id=$(q "SELECT id FROM device WHERE name = 'office2'")

step "control: the probe's push from a live device is stored"
run "$D/control.out" "$TX_PROBE" push "$TX_ADDR" --bundle "$D/office2.bundle" --seq 1 --expect reply
expect_rc 0 "tx_probe push from office2"
expect_contains "$D/control.out" "push result: 1 results"
[ "$(q "SELECT count(*) FROM txn_log WHERE device_id = '$office2_id'")" = 1 ] ||
	fail "the control push left no txn_log row"

step "office1 opens two sessions: one holds, one will push after the revocation"
bg "$TX_PROBE" tls "$TX_ADDR" --bundle "$D/office1.bundle" --hold 30 --expect welcome >"$D/held.out" 2>&1
bg "$TX_PROBE" push "$TX_ADDR" --bundle "$D/office1.bundle" --seq 1 --changes 1 --cols 2 \
	--value-bytes 10 --wait-file "$D/go" --expect error=7 >"$D/push.out" 2>&1
push_pid=${TX_BG_PIDS[-1]}
wait_for_text "$D/held.out" "welcome device=office1" 15
wait_for_text "$D/push.out" "welcome device=office1" 15
txns0=$(q "SELECT count(*) FROM txn_log")
audit0=$(q "SELECT count(*) FROM audit")
conflicts0=$(q "SELECT count(*) FROM conflict")
mark=$(log_mark)

step "tongxind revoke office1 while both sessions are open"
t0=$(date +%s%N)
run "$D/revoke.out" "$TONGXIND" revoke "$SRV" --device office1
expect_rc 0 "tongxind revoke office1"
: >"$D/go"
wait_for_text "$D/held.out" "error code=7" 5
held_ms=$(ms_since "$t0")
step "  the held session got ERR_REVOKED $held_ms ms after the revocation began"
[ "$held_ms" -le 3000 ] || fail "the held session was closed after $held_ms ms (want within 3 s)"
expect_contains "$D/held.out" "has been revoked"
rc=0
wait "$push_pid" || rc=$?
[ "$rc" -eq 0 ] || { cat "$D/push.out" >&2; fail "the push after the revocation was not refused with ERR_REVOKED (tx_probe exit $rc)"; }
expect_contains "$D/push.out" "error code=7"
expect_not_contains "$D/push.out" "push result"

step "nothing of office1's push is stored"
[ "$(q "SELECT count(*) FROM txn_log WHERE device_id = '$office1_id'")" = 0 ] ||
	fail "office1's push after its revocation is in txn_log"
[ "$(q "SELECT count(*) FROM txn_log")" = "$txns0" ] || fail "txn_log grew"
[ "$(q "SELECT count(*) FROM audit")" = "$audit0" ] || fail "the audit log grew"
[ "$(q "SELECT count(*) FROM conflict")" = "$conflicts0" ] || fail "the conflict queue grew"

step "the server logs a warning naming the device and its address"
log_since "$mark" >"$D/log.part"
expect_contains "$D/log.part" "device office1 (office, SQ01) from 127.0.0.1:"
expect_contains "$D/log.part" "device revoked while connected"
n=$(grep -c "device revoked while connected" "$D/log.part" || true)
[ "$n" -eq 2 ] || fail "the log has $n revocation warnings, want 2 (one per session)"

step "office1 is refused from now on; office2 and the admin go on"
run "$D/again.out" "$TX_PROBE" tls "$TX_ADDR" --bundle "$D/office1.bundle" --expect error=7
expect_rc 0 "a new office1 session (want ERR_REVOKED)"
run "$D/control2.out" "$TX_PROBE" push "$TX_ADDR" --bundle "$D/office2.bundle" --seq 2 --expect reply
expect_rc 0 "office2's push after office1's revocation"
run "$D/sync.out" tx admin sync
expect_rc 0 "the admin's sync after the revocation"
server_alive || fail "the server died"
stop_server
step "done"
