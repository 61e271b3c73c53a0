#!/bin/bash
# it_scope_warning.sh - a write outside the device's organisation is a
# security event (issue 12, item 5): an office whose replica was tampered
# with (another community's branch copied into it) adds a member to that
# branch. The server refuses the transaction, the clerk's sync says so
# (exit 10), nothing reaches the other community, and the server's log has
# one warning line naming the device and its address.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
OUT=$D/out
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" "$@"; }
must() { run "$OUT" "$@"; [ "$TX_RC" = 0 ] || fail "$* exited $TX_RC: $(cat "$OUT")"; }

step "a street with two communities, an office of the first"
two_communities "$D/srv" "$D/admin.db"
office_up "$D/srv" b1 SQ01 "$D/b.db"

step "the office's replica is given the other community's branch"
sqlite3 "$D/b.db" "ATTACH '$D/admin.db' AS a; INSERT INTO org SELECT * FROM a.org
	WHERE code = 'SQ02-01'" || fail "cannot tamper with the replica"
must tx b member add --name 越界者 --gender 男 --ethnicity 汉族 \
	--id-number "$(idn_male 19491231)" --education 本科 --category 正式党员 \
	--branch SQ02-01 --join-date 1975-07-01
mark=$(log_mark)

step "the server refuses it, and says so at warning"
run "$OUT" tx b sync
expect_rc 10 "the office's sync with an out-of-scope member"
wait_for_text "$TX_SERVER_LOG" "out-of-scope write refused" 5
log_since "$mark" >"$D/log.out"
expect_contains "$D/log.out" "warning: device b1 (office, SQ01) from 127.0.0.1:"
expect_contains "$D/log.out" "out-of-scope write refused: transaction"
[ "$(grep -c "out-of-scope write refused" "$D/log.out")" = 1 ] ||
	fail "the refusal is not logged exactly once"
[ "$(sqlite3 "$D/srv/tongxind.db" "SELECT count(*) FROM member WHERE name = '越界者'")" = 0 ] ||
	fail "the out-of-scope member reached the server"
stop_server

echo "ok: it_scope_warning"
