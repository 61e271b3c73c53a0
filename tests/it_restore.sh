#!/bin/bash
# it_restore.sh - "tongxind restore DIR FILE" and the database epoch (issue 12,
# item 7, its second half): after the server's database is put back from an
# older backup, nothing it acknowledged since is lost and nothing is doubled.
#
# A street, an office SQ01 (b1) and an administrator (admin1) that holds
# everything. A backup is taken; then, all acknowledged by the server:
# SQ01 adds 5 members, edits a phone and deletes a member; a second office
# SQ02 (c1) is enrolled only now and imports 10 members; the administrator
# and c1 edit the same education, so c1's change waits in the conflict queue; a
# device d1 enrolled before the backup is revoked. SQ01 then edits an
# address without syncing (and its replica forgets the epoch, as one made by
# a tongxin from before epochs would). The server is stopped and the backup restored.
#   - a client from before epochs is refused by the restored server (it would
#     not send back what it holds);
#   - restore refuses while the server runs, refuses a file that is not a
#     tongxind database (changing nothing), and otherwise keeps the replaced
#     database aside, carries over c1's enrolment and d1's revocation;
#   - b1's sync sends back its own acknowledged changes (the 5 members, the
#     phone, the deletion) before anything else, then pushes its address;
#     c1's sends back its 10 members and sends its kept conflict again;
#   - the administrator's sync finds everything known;
#   - at the end: every acknowledged change is on the server exactly once
#     (no citizen ID twice, 24 + 10 live members), the conflict is queued
#     once, every replica's --verify matches, the log says who recovered what,
#     and a later sync recovers nothing again.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
OUT=$D/out
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" "$@"; }
must() { run "$OUT" "$@"; [ "$TX_RC" = 0 ] || fail "$* exited $TX_RC: $(cat "$OUT")"; }
srvq() { sqlite3 "$D/srv/tongxind.db" "$1"; }
live() { srvq "SELECT count(*) FROM member m JOIN org o ON o.id = m.org_id
	WHERE m._deleted = 0 AND o.code = '$1-01'"; }

step "a street, an office with 20 members, an administrator"
two_communities "$D/srv" "$D/admin.db"
office_up "$D/srv" b1 SQ01 "$D/b.db"
must "$TONGXIND" enroll "$D/srv" --org SQ01 --device d1 --out "$D/d.bundle"
member_csv 40 "SQ01-0%d" 1 | sed -n '1,21p' >"$D/b20.csv"
must tx b member import "$D/b20.csv"
must tx b sync -q
must tx admin sync -q

step "the backup"
must "$TONGXIND" backup "$D/srv" "$D/street.bak"

step "acknowledged after the backup"
member_csv 40 "SQ01-0%d" 1 | sed -n '1p;32,36p' >"$D/b5.csv"
must tx b member import "$D/b5.csv"
must tx b member edit 党员AAAAA --phone 13900000001
must tx b member delete 党员AAAAB
must tx b sync -q
office_up "$D/srv" c1 SQ02 "$D/c.db"
member_csv 40 "SQ02-0%d" 1 | sed -n '1p;22,31p' >"$D/c10.csv"
must tx c member import "$D/c10.csv"
must tx c sync -q
must tx admin sync -q
must tx admin member edit 党员AAACB --education 硕士研究生
must tx admin sync -q
must tx c member edit 党员AAACB --education 博士研究生
run "$OUT" tx c sync
expect_rc 0 "c1's sync with a conflicting education"
expect_contains "$OUT" "1 conflict"
must "$TONGXIND" revoke "$D/srv" --device d1
must tx admin sync -q
[ "$(srvq "SELECT count(*) FROM conflict WHERE status = 'open'")" = 1 ] ||
	fail "the conflict is not queued before the restore"
acked=$(srvq "SELECT count(*) FROM member WHERE _deleted = 0")
[ "$acked" = 34 ] || fail "before the restore the server holds $acked live members, not 34"
must tx b member edit 党员AAAAA --address 和平路1号
# b1's replica as a tongxin from before epochs left it: it knows none, and recovers all the same.
sqlite3 "$D/b.db" "DELETE FROM meta WHERE key = 'epoch'" || fail "cannot edit b1's replica"

step "restore refuses while the server runs"
run "$OUT" "$TONGXIND" restore "$D/srv" "$D/street.bak"
expect_rc 1 "restore under a running server"
expect_contains "$OUT" "stop it first"
stop_server
sum0=$(sha256sum <"$D/srv/tongxind.db")

step "restore refuses what is not a backup, changing nothing"
echo "not a database" >"$D/junk.bak"
run "$OUT" "$TONGXIND" restore "$D/srv" "$D/junk.bak"
expect_rc 1 "restore of a junk file"
expect_contains "$OUT" "Nothing was changed"
[ "$(sha256sum <"$D/srv/tongxind.db")" = "$sum0" ] || fail "a refused restore changed the database"
[ -z "$(ls "$D/srv" | grep -e replaced -e restoring)" ] || fail "a refused restore left files"
# Another street's backup, into a data directory whose database is gone: its tongxind.conf decides.
must "$TONGXIND" init "$D/other" --street 其他街道 --code JD99 --listen 127.0.0.1:1
must "$TONGXIND" backup "$D/other" "$D/other.bak"
mkdir -m 700 "$D/lost" && cp "$D/srv/tongxind.conf" "$D/srv/"*.crt "$D/srv/"*.key "$D/lost/"
run "$OUT" "$TONGXIND" restore "$D/lost" "$D/other.bak"
expect_rc 1 "restore of another street's backup"
expect_contains "$OUT" "is of street JD99"
[ ! -e "$D/lost/tongxind.db" ] || fail "another street's backup was put in place"

step "the restore"
run "$OUT" "$TONGXIND" restore "$D/srv" "$D/street.bak"
expect_rc 0 "tongxind restore"
expect_contains "$OUT" "已从备份恢复"
expect_contains "$OUT" "1 enrolled and 1 revoked since the backup, carried over"
expect_mode "$D/srv/tongxind.db" 600
aside=$(ls "$D/srv"/tongxind.db.replaced-* | head -1)
[ -f "$aside" ] || fail "the replaced database was not kept"
[ "$(sqlite3 "$aside" "SELECT count(*) FROM member WHERE _deleted = 0")" = 34 ] ||
	fail "the replaced database kept aside is not the one replaced"
[ "$(live SQ01)" = 20 ] && [ "$(live SQ02)" = 0 ] ||
	fail "the restored database is not the backup: $(live SQ01) and $(live SQ02) members"
[ "$(srvq "SELECT revoked_at IS NOT NULL FROM device WHERE name = 'd1'")" = 1 ] ||
	fail "d1's revocation was not carried over"
floor=$(srvq "SELECT value FROM meta WHERE key = 'version_floor'")
restored=$(srvq "SELECT value FROM meta WHERE key = 'restored_version'")
[ "$floor" -gt "$restored" ] || fail "no version floor after the restore"
start_server "$D/srv"

step "a client that would not send back what it holds is refused"
# tx_probe's Hello is a tongxin's from before epochs (no "recovers"): ERR_PROTOCOL_VERSION (1).
run "$OUT" "$TX_PROBE" tls "$TX_ADDR" --bundle "$D/b1.bundle" --expect error=1
expect_rc 0 "an old client's Hello to the restored server"
expect_contains "$OUT" "restored from a backup"

step "a revoked device stays revoked"
must tx d join "$D/d.bundle"
run "$OUT" tx d sync
[ "$TX_RC" != 0 ] || fail "d1, revoked after the backup, could sync after the restore"

step "a device enrolled after the restore joins and syncs as usual"
office_up "$D/srv" e1 SQ01 "$D/e.db"
[ "$(sqlite3 "$D/e.db" "SELECT value FROM meta WHERE key = 'epoch'")" = \
	"$(srvq "SELECT value FROM meta WHERE key = 'epoch'")" ] || fail "e1 did not take the epoch"

step "the office sends back its own acknowledged changes first"
run "$OUT" tx b sync
expect_rc 0 "b1's first sync after the restore"
expect_contains "$OUT" "服务器已从备份恢复"
[ "$(live SQ01)" = 24 ] || fail "after b1's recovery SQ01 has $(live SQ01) live members, not 24"
ph=$(srvq "SELECT phone || '|' || coalesce(address, '') FROM member WHERE name = '党员AAAAA'")
[ "$ph" = "13900000001|和平路1号" ] ||
	fail "党员AAAAA on the server is $ph: the acknowledged phone or the pending address is lost"
[ "$(srvq "SELECT _deleted FROM member WHERE name = '党员AAAAB'")" = 1 ] ||
	fail "the acknowledged deletion of 党员AAAAB was not sent back"

step "the office enrolled after the backup sends back everything, and its conflict"
run "$OUT" tx c sync
expect_rc 0 "c1's first sync after the restore"
expect_contains "$OUT" "服务器已从备份恢复"
[ "$(live SQ02)" = 10 ] || fail "after c1's recovery SQ02 has $(live SQ02) live members, not 10"

step "the administrator's copy is known"
run "$OUT" tx admin sync
expect_rc 0 "admin1's first sync after the restore"
expect_contains "$OUT" "服务器已从备份恢复"

step "every acknowledged change exactly once"
[ "$(live SQ01)" = 24 ] && [ "$(live SQ02)" = 10 ] ||
	fail "the server holds $(live SQ01) + $(live SQ02) live members, not 24 + 10"
[ "$(srvq "SELECT count(*) - count(DISTINCT id_number) FROM member")" = 0 ] ||
	fail "a member is on the server twice"
[ "$(srvq "SELECT education FROM member WHERE name = '党员AAACB'")" = master ] ||
	fail "the administrator's acknowledged education was lost"
[ "$(srvq "SELECT count(*) FROM conflict WHERE status = 'open'")" = 1 ] ||
	fail "c1's conflict is not queued exactly once: $(srvq "SELECT kind FROM conflict")"
[ "$(srvq "SELECT count(*) FROM member WHERE _version > $restored AND _version <= $floor")" = 0 ] ||
	fail "a version the restore skipped was handed out again"
for n in b c admin; do
	run "$OUT" tx "$n" sync --verify
	expect_rc 0 "$n's sync --verify"
	expect_contains "$OUT" "match"
	expect_not_contains "$OUT" "服务器已从备份恢复"
done
# The figures of the closing note: what each device sent back, and duplicates (0).
sqlite3 -separator ' ' "$D/srv/tongxind.db" "SELECT '# recovered from ' || d.name || ':',
	r.applied, 'written,', r.known, 'known,', r.conflicts, 'conflicts,', r.rejected, 'refused'
	FROM recovery r JOIN device d ON d.id = r.device_id ORDER BY d.name"
echo "# duplicates: $(srvq "SELECT count(*) - count(DISTINCT id_number) FROM member")"
expect_contains "$TX_SERVER_LOG" "b1 finished its recovery after the restore"
expect_contains "$TX_SERVER_LOG" "c1 finished its recovery after the restore"
stop_server

echo "ok: it_restore"
