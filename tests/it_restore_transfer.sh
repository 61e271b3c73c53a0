#!/bin/bash
# it_restore_transfer.sh - a transfer requested and accepted after the
# backup, then the server restored (issue 12, item 7): the restored server
# has the member in the sending community and no transfer at all, the
# sending office has evicted the member, the receiving office holds it with
# an edit of its own. After the three devices sync (the offices first):
#   - the member is in the receiving branch with the receiving office's edit
#     (sent back by the street administrator's device, which holds both
#     sides; the receiving office's own copy lies outside its organisation
#     on the restored server and is refused, with a warning);
#   - the transfer is back, accepted, written from the administrator's copy
#     (a decided transfer is a record, not a new request); each office's
#     copy of it is kept in the conflict queue as "recovered" for the street;
#   - every replica's --verify matches.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
OUT=$D/out
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" "$@"; }
must() { run "$OUT" "$@"; [ "$TX_RC" = 0 ] || fail "$* exited $TX_RC: $(cat "$OUT")"; }
srvq() { sqlite3 "$D/srv/tongxind.db" "$1"; }
where() { srvq "SELECT o.code || '|' || coalesce(m.phone, '') FROM member m JOIN org o
	ON o.id = m.org_id WHERE m.name = '党员AAAAA'"; }

step "a street, two offices, five members in the first"
two_communities "$D/srv" "$D/admin.db"
office_up "$D/srv" b1 SQ01 "$D/b.db"
office_up "$D/srv" c1 SQ02 "$D/c.db"
member_csv 40 "SQ01-0%d" 1 | sed -n '1,6p' >"$D/b5.csv"
must tx b member import "$D/b5.csv"
must tx b sync -q
must "$TONGXIND" backup "$D/srv" "$D/street.bak"

step "after the backup: the transfer, accepted, and an edit by the receiving office"
must tx b transfer request 党员AAAAA --to SQ02-01 --reason 搬迁至幸福社区居住
must tx b sync -q
must tx c sync -q
tr=$(sqlite3 "$D/c.db" "SELECT id FROM transfer")
must tx c transfer accept "${tr: -8}"
must tx c sync -q
must tx c member edit 党员AAAAA --phone 13900000009
must tx c sync -q
must tx b sync -q
must tx admin sync -q
[ "$(where)" = "SQ02-01|13900000009" ] || fail "before the restore the member is $(where)"

step "the restore, then the offices sync, then the administrator"
stop_server
must "$TONGXIND" restore "$D/srv" "$D/street.bak"
[ "$(where)" = "SQ01-01|13900000000" ] || fail "the restored member is $(where)"
start_server "$D/srv"
mark=$(log_mark)
for n in b c admin; do
	run "$OUT" tx "$n" sync
	expect_rc 0 "$n's sync after the restore"
	expect_contains "$OUT" "服务器已从备份恢复"
done

step "the move, the edit and the transfer are back"
[ "$(where)" = "SQ02-01|13900000009" ] || fail "after the recovery the member is $(where)"
[ "$(srvq "SELECT status FROM transfer WHERE id = '$tr'")" = accepted ] ||
	fail "the accepted transfer is not back: '$(srvq "SELECT status FROM transfer")'"
[ "$(srvq "SELECT count(*) FROM conflict WHERE status = 'open' AND kind = 'recovered'
	AND row_id = '$tr'")" = 2 ] || fail "the offices' copies of the transfer are not kept"
log_since "$mark" >"$D/log.out"
expect_contains "$D/log.out" "warning: store: recovery from c1: member/"
for n in b c admin; do
	run "$OUT" tx "$n" sync --verify
	expect_rc 0 "$n's sync --verify"
	expect_contains "$OUT" "match"
done
[ "$(sqlite3 "$D/b.db" "SELECT count(*) FROM member WHERE name = '党员AAAAA'")" = 0 ] ||
	fail "the sending office holds the member again"
[ "$(sqlite3 "$D/c.db" "SELECT phone FROM member WHERE name = '党员AAAAA'")" = 13900000009 ] ||
	fail "the receiving office lost its edit"
stop_server

echo "ok: it_restore_transfer"
