#!/bin/bash
# it_backup.sh - "tongxind backup DIR FILE" (issue 12, item 7, its first
# half): a consistent copy of a running server's database, taken while an
# office pushes an import, without stopping the server or its sessions:
#   - the copy is 0600, checks whole (PRAGMA integrity_check), and holds
#     the members of whole transactions only (the import is pushed as
#     1,000-member transactions: 200, 1,200, 2,200, ... never a part of one);
#   - a backup into an existing file is refused and leaves that file as it was;
#   - the server serves on, and a sync after the backup converges.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
A=(--replica "$D/a.db")
tx() { "$TONGXIN" "$@"; }

step "a street with a community office's import"
street_up "$D/srv" "$D/a.db"
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community || fail "org add SQ01"
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01 ||
	fail "org add SQ01-01"
member_csv 200 "SQ01-0%d" 1 >"$D/first.csv"
run "$D/import1.out" tx "${A[@]}" member import "$D/first.csv"
expect_rc 0 "member import of 200"
tx "${A[@]}" -q sync || fail "push of the first import"

step "a backup while the next import is pushed"
member_csv 6200 "SQ01-0%d" 1 | sed -n '1p;202,$p' >"$D/second.csv"
run "$D/import2.out" tx "${A[@]}" member import "$D/second.csv"
expect_rc 0 "member import of 6,000 more"
tx "${A[@]}" -q sync >"$D/push.out" 2>&1 &
push=$!
# Backups one after another for as long as the push runs (at least one).
i=0
while :; do
	i=$((i + 1))
	run "$D/backup.out" "$TONGXIND" backup "$D/srv" "$D/street.$i.bak"
	expect_rc 0 "tongxind backup $i while a push runs"
	kill -0 "$push" 2>/dev/null && [ "$i" -lt 30 ] || break
done
wait "$push" || fail "the push during the backups failed: $(cat "$D/push.out")"
expect_contains "$D/backup.out" "$D/street.$i.bak"
for k in $(seq "$i"); do
	b=$D/street.$k.bak
	expect_mode "$b" 600
	[ "$(sqlite3 "$b" 'PRAGMA integrity_check')" = ok ] || fail "backup $k does not check whole"
	n=$(sqlite3 "$b" "SELECT count(*) FROM member WHERE _deleted = 0")
	echo "# backup $k holds $n members"
	[ $(((n - 200) % 1000)) -eq 0 ] && [ "$n" -ge 200 ] && [ "$n" -le 6200 ] ||
		fail "backup $k holds $n members: part of a transaction"
done
cp "$D/street.1.bak" "$D/street.bak"

step "a backup never overwrites"
cp "$D/street.bak" "$D/keep.bak"
run "$D/again.out" "$TONGXIND" backup "$D/srv" "$D/street.bak"
expect_rc 1 "tongxind backup into an existing file"
expect_contains "$D/again.out" "already exists"
cmp -s "$D/street.bak" "$D/keep.bak" || fail "a refused backup changed the existing file"

step "the server serves on"
server_alive || fail "the server stopped during the backup"
tx "${A[@]}" -q sync || fail "sync after the backup"
run "$D/verify.out" tx "${A[@]}" sync --verify
expect_rc 0 "sync --verify after the backup"
[ "$(sqlite3 "$D/srv/tongxind.db" "SELECT count(*) FROM member WHERE _deleted = 0")" = 6200 ] ||
	fail "the server does not hold the 6,200 members"
stop_server

echo "ok: it_backup"
