#!/bin/bash
# it_revoke_resume.sh - a revoked device is refused when it resumes its TLS
# session (issue 13).
#
# The server caches each TLS 1.3 session without the device's certificate
# (common/tls.c, server_new_session): a resumed handshake verifies no
# certificate, and the server reads who the device is from what the session
# recorded when it was made. So after "tongxind revoke" a device whose
# replica still holds a session the server knows must be refused at Hello
# (ERR_REVOKED, nothing of its outbox stored) exactly as a full handshake
# is, and the server's log must show that it was a resumed session that was
# refused. Another office of the same community goes on resuming and syncing.
#
# Run by ctest (TONGXIND, TONGXIN set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
SRV=$D/srv

q() {
	sqlite3 "$SRV/tongxind.db" "$1"
}

step "a street, community SQ01 and two office devices that have synced"
two_communities "$SRV" "$D/admin.db"
office_up "$SRV" office1 SQ01 "$D/office1.db"
office_up "$SRV" office2 SQ01 "$D/office2.db"

step "office1's next sync resumes the TLS session of its first"
mark=$(log_mark)
run "$D/sync1.out" "$TONGXIN" --replica "$D/office1.db" sync -q
expect_rc 0 "office1's second sync"
log_since "$mark" >"$D/log1.part"
grep -q "office1.*authenticated (TLSv1.3, resumed" "$D/log1.part" ||
	fail "office1's second sync did not resume its TLS session (the test proves nothing)"

step "the replica keeps its TLS session without the server's certificate"
# Decoding the certificate was 15% of a no-op sync as a process (client/sync.c).
n=$(sqlite3 "$D/office1.db" "SELECT length(value) FROM meta WHERE key = 'tls_session'")
[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 400 ] ||
	fail "the stored TLS session is ${n:-missing} bytes: a session without the certificate is ~170"

step "office1 records a member offline, then the street revokes office1"
run "$D/add.out" "$TONGXIN" --replica "$D/office1.db" member add --name 王五 --gender male \
	--ethnicity 汉族 --id-number "$(idn_male 19800101)" --education bachelor --category full \
	--branch SQ01-01 --join-date 2000-07-01 --full-date 2001-07-01
expect_rc 0 "member add on office1 (offline)"
office1_id=$(q "SELECT id FROM device WHERE name = 'office1'")
txns0=$(q "SELECT count(*) FROM txn_log")
run "$D/revoke.out" "$TONGXIND" revoke "$SRV" --device office1
expect_rc 0 "tongxind revoke office1"

step "office1's sync on its resumed session is refused at Hello and stores nothing"
mark=$(log_mark)
run "$D/sync2.out" "$TONGXIN" --replica "$D/office1.db" sync
[ "$TX_RC" -ne 0 ] || fail "office1's sync after its revocation succeeded"
expect_contains "$D/sync2.out" "revoked"
log_since "$mark" >"$D/log2.part"
expect_contains "$D/log2.part" "(resumed TLS session): the certificate of device office1 has been revoked"
grep -q "office1.*: hello (client" "$D/log2.part" && fail "office1 got past Hello after its revocation"
[ "$(q "SELECT count(*) FROM txn_log WHERE device_id = '$office1_id'")" = 0 ] ||
	fail "office1's transaction was stored after its revocation"
[ "$(q "SELECT count(*) FROM txn_log")" = "$txns0" ] || fail "txn_log grew"
[ "$(q "SELECT count(*) FROM member WHERE name = '王五'")" = 0 ] ||
	fail "the revoked office's member reached the server"

step "office2 goes on resuming and syncing"
mark=$(log_mark)
run "$D/sync3.out" "$TONGXIN" --replica "$D/office2.db" sync -q
expect_rc 0 "office2's sync after office1's revocation"
log_since "$mark" >"$D/log3.part"
grep -q "office2.*authenticated (TLSv1.3, resumed" "$D/log3.part" ||
	fail "office2 did not resume its TLS session"
server_alive || fail "the server died"
stop_server
step "done"
