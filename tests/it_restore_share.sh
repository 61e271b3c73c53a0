#!/usr/bin/env bash
# it_restore_share.sh - shared rows (a resident unit shown to a community by a
# co-building agreement) across a server restore, and after a share ends.
#
# 1. After the backup, SQ01 edits its unit and SQ02 signs an agreement with
#    it (which writes the unit again at a new version so that SQ02 receives
#    it). The street restores the backup. SQ02 syncs first: its agreement is
#    recovered and shares the unit again. Then SQ01 sends back its edit,
#    which the server had acknowledged: it must be taken, not queued as a
#    conflict because the share wrote the unit meanwhile.
# 2. SQ02's copy of the unit (read only there) is not a row SQ02 recovers:
#    no conflict, no warning about a row outside its organisation.
# 3. After SQ02 deletes its agreement, a modified client at SQ02 that edits
#    the unit is refused, not queued for the street as a "transferred" row.
# Every replica verifies at each end.
. "$(dirname "$0")/lib.sh"

D=$TX_TMP
OUT=$D/out
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" "$@"; }
must() { run "$OUT" "$@"; [ "$TX_RC" = 0 ] || fail "$* exited $TX_RC: $(cat "$OUT")"; }
srvq() { sqlite3 "$D/srv/tongxind.db" "$1"; }
equals() { [ "$2" == "$3" ] || fail "$1: got \"$2\", want \"$3\""; }
verify_all() {
	local n
	for n in b c admin; do
		run "$OUT" tx "$n" sync --verify
		expect_rc 0 "$n sync --verify ($1)"
		expect_contains "$OUT" "replica check: match"
	done
}
CODE=12100000400000626K

step "a street, two communities; SQ01's unit is on the server; the backup"
two_communities "$D/srv" "$D/admin.db"
office_up "$D/srv" b1 SQ01 "$D/b.db"
office_up "$D/srv" c1 SQ02 "$D/c.db"
must tx b unit add --name 市第一医院 --kind 医院 --credit-code "$CODE" --contact 张敏 --phone 13700000001
must tx b sync -q
must "$TONGXIND" backup "$D/srv" "$D/street.bak"

step "after the backup: SQ01 edits its unit, SQ02 signs an agreement and receives it"
must tx b unit edit 市第一医院 --phone 13700000002
must tx b sync -q
must tx c agreement add --unit "$CODE" --signed-on 2025-01-10
must tx c sync -q
must tx c sync -q
must tx b sync -q
equals "SQ02 holds SQ01's unit with the new phone" "$(sqlite3 "$D/c.db" "SELECT contact_phone FROM resident_unit")" 13700000002

step "the street restores the backup; SQ02 syncs first, then SQ01 and the street"
stop_server
must "$TONGXIND" restore "$D/srv" "$D/street.bak"
start_server "$D/srv"
mark=$(log_mark)
for n in c b admin; do
	run "$OUT" tx "$n" sync
	expect_rc 0 "$n's sync after the restore"
done
log_since "$mark" >"$D/log.part"
equals "SQ01's acknowledged edit is back on the server" "$(srvq "SELECT contact_phone FROM resident_unit")" 13700000002
equals "the agreement is back" "$(srvq "SELECT count(*) FROM agreement WHERE _deleted = 0")" 1
equals "nothing went to the conflict queue" "$(srvq "SELECT count(*) FROM conflict")" 0
grep -q "recovery from c1: resident_unit" "$D/log.part" &&
	fail "SQ02's read-only copy was taken for a row outside its organisation: $(grep 'recovery from c1' "$D/log.part")"
for n in c b admin; do must tx "$n" sync -q; done
equals "SQ02 holds the unit as the server does" "$(sqlite3 "$D/c.db" "SELECT contact_phone FROM resident_unit")" 13700000002
verify_all "after the restore"

step "SQ02 deletes its agreement; its modified client's edit of the unit is refused, not queued"
A=$(sqlite3 "$D/c.db" "SELECT id FROM agreement")
must tx c agreement delete "${A: -8}"
must tx c sync -q
equals "the unit left SQ02's replica" "$(sqlite3 "$D/c.db" "SELECT count(*) FROM resident_unit")" 0
# A modified client keeps a copy and the unit's community row, and edits it.
sqlite3 "$D/c.db" "ATTACH '$D/b.db' AS b; INSERT INTO resident_unit SELECT * FROM b.resident_unit;
    INSERT INTO org SELECT * FROM b.org WHERE code = 'SQ01'"
must tx c unit edit 市第一医院 --phone 13900000000
sqlite3 "$D/c.db" "DELETE FROM org WHERE code = 'SQ01'"
run "$OUT" tx c sync
expect_rc 10 "the server rejects the edit"
equals "nothing went to the conflict queue" "$(srvq "SELECT count(*) FROM conflict")" 0
equals "the server's unit is unchanged" "$(srvq "SELECT contact_phone FROM resident_unit")" 13700000002
must tx c sync -q
verify_all "at the end"
step "ok"
