#!/usr/bin/env bash
# it_doctor.sh - a damaged replica and tongxin doctor:
#
#   - one page of the member table overwritten in the middle of the file:
#     "member list" fails with the damage message and exit 8 (never an empty
#     list with exit 0), both when the check at open finds it and when the
#     check is skipped and the query meets the bad page itself;
#   - "tongxin doctor" reports the damage (exit 8) and a sound replica (exit 0);
#   - "tongxin doctor --rebuild" with the server down changes nothing (exit 3);
#     with the server up it rebuilds the replica: every synced member is back,
#     the unsent changes of the outbox are sent with their own sequence
#     numbers, the damaged file is kept aside (0600), the new file passes
#     integrity_check and "sync --verify" matches; an unsent import stored as
#     references to its rows is read from the damaged file, the rows on a
#     second bad page (the member table's last leaf) left out and counted;
#   - an unreadable credential: doctor says so and points to "tongxin join".
. "$(dirname "$0")/lib.sh"

N=400
D=$TX_TMP
tx() { "$TONGXIN" "$@"; }
q() { sqlite3 "$1" "$2"; }

# N members (成员 and k in Chinese numerals: a name takes no digits) with valid
# citizen ID numbers (a man's 17th digit odd, a woman's even), as the national form's CSV.
make_csv() {
	awk -v n="$1" -v branch="$2" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ");
		map = "10X98765432";
		split("零 一 二 三 四 五 六 七 八 九", cn, " ");
		print "姓名,性别,民族,公民身份号码,出生日期,学历,人员类别,所在党支部,入党日期";
		for (k = 0; k < n; k++) {
			y = 1940 + (k % 60); m = 1 + (k % 12); d = 1 + (k % 28);
			s = sprintf("110105%04d%02d%02d%03d", y, m, d, k % 1000);
			sum = 0;
			for (j = 1; j <= 17; j++) sum += substr(s, j, 1) * w[j];
			t = sprintf("%d", k); name = "成员";
			for (j = 1; j <= length(t); j++) name = name cn[substr(t, j, 1) + 1];
			printf "%s,%s,汉族,%s%s,%04d-%02d-%02d,bachelor,full,%s,%04d-%02d-%02d\n",
			    name, (k % 2 ? "男" : "女"), s, substr(map, (sum % 11) + 1, 1), y, m, d, branch,
			    y + 20, m, d;
		}
	}'
}

integrity() { q "$1" "PRAGMA integrity_check" 2>/dev/null || true; }
server_members() { q "$D/srv/tongxind.db" "SELECT count(*) FROM member WHERE _deleted = 0"; }

step "set up: a street server, an administrator's replica, $N members synced"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "127.0.0.1:$TX_PORT" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
DB=$D/admin.db
A=(--replica "$DB")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null

tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01
make_csv "$N" SQ01-01 >"$D/members.csv"
run "$D/import.out" tx "${A[@]}" member import "$D/members.csv"
expect_rc 0 "import of $N members"
run "$D/sync1.out" tx "${A[@]}" sync --verify
expect_rc 0 "the first sync"
expect_contains "$D/sync1.out" "replica check: match"
[ "$(server_members)" = "$N" ] || fail "the server holds $(server_members) members, want $N"

step "a sound replica: doctor says so (exit 0)"
run "$D/doc0.out" tx "${A[@]}" doctor
expect_rc 0 "doctor on a sound replica"
expect_contains "$D/doc0.out" "passes the integrity check"
run "$D/debug.out" env TONGXIN_DEBUG=1 "$TONGXIN" "${A[@]}" status
expect_rc 0 "status on a sound replica"
expect_contains "$D/debug.out" "quick_check of $DB: ok in"

step "three unsent changes: a new member, an edit and an import"
run "$D/add.out" tx "${A[@]}" member add --name 未同步 --gender female --ethnicity 汉族 \
	--id-number 110105199003070025 --education bachelor --category full --branch SQ01-01 \
	--join-date 2015-07-01
expect_rc 0 "member add"
EDIT_ID=$(q "$DB" "SELECT id FROM member WHERE name = '成员七'")
run "$D/edit.out" tx "${A[@]}" member edit "$EDIT_ID" --phone 13912345678
expect_rc 0 "member edit"
# An unsent import: its outbox entry refers to its rows (the reference form),
# which salvage has to read from the damaged file.
M=60
make_csv $((N + M)) SQ01-01 | sed -n "1p;$((N + 2)),$((N + M + 1))p" >"$D/more.csv"
run "$D/import2.out" tx "${A[@]}" member import "$D/more.csv"
expect_rc 0 "an unsent import of $M members"
[ "$(q "$DB" 'SELECT count(*) FROM member WHERE _version = (SELECT min(_version) FROM member)')" = $M ] ||
	fail "the unsent import of $M members is not stored as references to its rows (marked -seq)"
SEQS=$(q "$DB" "SELECT group_concat(seq, ' ') FROM (SELECT seq FROM outbox ORDER BY seq)")
[ "$(echo "$SEQS" | wc -w)" = 3 ] || fail "want 3 outbox entries, have: $SEQS"
DEVICE=$(q "$DB" "SELECT value FROM meta WHERE key = 'device_id'")
[ ! -e "$DB-wal" ] || [ ! -s "$DB-wal" ] || fail "the replica left a non-empty -wal behind"

step "the check at open: skipped while the file is as tongxin left it, run once it changed"
tx "${A[@]}" member list >/dev/null || fail "member list on the sound replica"
if python3 -c 'import os, sys; os.getxattr(sys.argv[1], "user.tongxin.checked")' "$DB" 2>/dev/null; then
	TONGXIN_DEBUG=1 tx "${A[@]}" member list >/dev/null 2>"$D/open1.err" ||
		fail "member list: $(cat "$D/open1.err")"
	expect_contains "$D/open1.err" "quick_check of $DB skipped"
	touch "$DB"   # a new mtime: not the file tongxin last knew sound
	TONGXIN_DEBUG=1 tx "${A[@]}" member list >/dev/null 2>"$D/open2.err" ||
		fail "member list: $(cat "$D/open2.err")"
	expect_not_contains "$D/open2.err" "skipped"
	TONGXIN_DEBUG=1 tx "${A[@]}" status >/dev/null 2>"$D/open3.err" ||
		fail "status: $(cat "$D/open3.err")"
	expect_not_contains "$D/open3.err" "skipped"
else
	echo "  (this file system keeps no user xattrs: the check runs at every open)"
fi

step "one page of the member table overwritten in the middle of the file"
PS=$(q "$DB" 'PRAGMA page_size')
PAGES=$(q "$DB" "SELECT pageno FROM dbstat WHERE name = 'member' AND pagetype = 'leaf'
	ORDER BY pageno")
NP=$(echo "$PAGES" | wc -l)
[ "$NP" -ge 5 ] || fail "only $NP leaf pages in the member table"
PAGE=$(echo "$PAGES" | sed -n "$((NP / 2 + 1))p")
OUTBOX_PAGES=$(q "$DB" "SELECT group_concat(pageno) FROM dbstat WHERE name = 'outbox'")
echo "  page $PAGE of $(q "$DB" 'PRAGMA page_count') (page size $PS); outbox on pages $OUTBOX_PAGES"
cp "$DB" "$D/sound.db"
printf 'DAMAGED!%.0s' $(seq $((PS / 8))) >"$D/page"
dd if="$D/page" of="$DB" bs="$PS" seek=$((PAGE - 1)) conv=notrunc status=none
[ "$(integrity "$DB")" != ok ] || fail "the overwritten page went unnoticed by integrity_check"
# And the member table's last leaf, which holds only rows of the unsent import.
LAST=$(q "$D/sound.db" "SELECT pageno FROM dbstat WHERE name = 'member' AND pagetype = 'leaf'
	ORDER BY path DESC LIMIT 1")
ON_LAST=$(q "$D/sound.db" "SELECT ncell FROM dbstat WHERE pageno = $LAST")
[ "$ON_LAST" -gt 0 ] && [ "$ON_LAST" -lt "$M" ] ||
	fail "the last member leaf (page $LAST) holds $ON_LAST rows, want some of the $M imported"
dd if="$D/page" of="$DB" bs="$PS" seek=$((LAST - 1)) conv=notrunc status=none

step "member list on the damaged replica: the damage message and exit 8, no list"
RC=0
tx "${A[@]}" member list >"$D/list.out" 2>"$D/list.err" || RC=$?
[ "$RC" = 8 ] || fail "member list exited $RC, want 8; stderr: $(cat "$D/list.err")"
expect_contains "$D/list.err" "本机数据文件已损坏"
expect_contains "$D/list.err" "tongxin doctor"
[ ! -s "$D/list.out" ] || fail "member list printed a list: $(head -3 "$D/list.out")"
[ "$(grep -c 本机数据文件已损坏 "$D/list.err")" = 1 ] || fail "the message was printed twice"

step "the same when the check at open is skipped and the query meets the bad page"
RC=0
TONGXIN_CHECK_MS=0 tx "${A[@]}" member list >"$D/list2.out" 2>"$D/list2.err" || RC=$?
[ "$RC" = 8 ] || fail "member list (unchecked) exited $RC, want 8; stderr: $(cat "$D/list2.err")"
expect_contains "$D/list2.err" "本机数据文件已损坏"
RC=0
TONGXIN_CHECK_MS=0 tx "${A[@]}" --csv report profile >"$D/rep.out" 2>"$D/rep.err" || RC=$?
[ "$RC" = 8 ] || fail "report profile (unchecked) exited $RC, want 8; stderr: $(cat "$D/rep.err")"

step "status and sync refuse the damaged replica too"
run "$D/status.out" tx "${A[@]}" status
expect_rc 8 "status on the damaged replica"
run "$D/sync.out" tx "${A[@]}" sync
expect_rc 8 "sync on the damaged replica"

step "doctor reports the damage (exit 8)"
run "$D/doc1.out" tx "${A[@]}" doctor
expect_rc 8 "doctor on the damaged replica"
expect_contains "$D/doc1.out" "本机数据文件已损坏"
expect_contains "$D/doc1.out" "tongxin doctor --rebuild"

step "doctor --rebuild with the server down: exit 3, nothing changed"
stop_server
SUM=$(sha256sum <"$DB")
run "$D/doc2.out" tx "${A[@]}" doctor --rebuild
expect_rc 3 "doctor --rebuild without a server"
[ "$(sha256sum <"$DB")" = "$SUM" ] || fail "the failed rebuild changed the replica"
ls "$D" | grep -q 'admin.db.damaged' && fail "the failed rebuild moved the replica aside"
ls "$D" | grep -q 'admin.db.rebuilding' && fail "the failed rebuild left $(ls "$D" | grep rebuilding)"

step "doctor --rebuild with the server up"
start_server "$D/srv"
run "$D/doc3.out" tx "${A[@]}" doctor --rebuild
cat "$D/doc3.out"
expect_rc 0 "doctor --rebuild"
expect_contains "$D/doc3.out" "Unsent changes kept: 3 transactions"
expect_contains "$D/doc3.out" "无法读取 $ON_LAST new rows of kept transactions"
KEPT=$((N + 1 + M - ON_LAST))
expect_contains "$D/doc3.out" "replica check: match"
expect_contains "$D/doc3.out" "已重建"
ASIDE=$(ls "$D" | grep '^admin\.db\.damaged-[0-9]\{8\}-[0-9]\{6\}$' || true)
[ -n "$ASIDE" ] || fail "no damaged file kept aside: $(ls "$D")"
expect_mode "$D/$ASIDE" 600
[ "$(integrity "$D/$ASIDE")" != ok ] || fail "the file kept aside is not the damaged one"
expect_mode "$DB" 600
[ "$(integrity "$DB")" = ok ] || fail "the rebuilt replica fails integrity_check"
[ "$(server_members)" = $KEPT ] || fail "the server holds $(server_members) members, want $KEPT"
[ "$(q "$DB" 'SELECT count(*) FROM member')" = $KEPT ] ||
	fail "the rebuilt replica holds $(q "$DB" 'SELECT count(*) FROM member') members, want $KEPT"
[ "$(q "$D/srv/tongxind.db" "SELECT count(*) FROM member WHERE name LIKE '成员四%'")" -gt 0 ] ||
	fail "no member of the unsent import reached the server"
[ "$(q "$DB" "SELECT phone FROM member WHERE id = '$EDIT_ID'")" = 13912345678 ] ||
	fail "the unsent edit is not in the rebuilt replica"
[ "$(q "$D/srv/tongxind.db" "SELECT phone FROM member WHERE id = '$EDIT_ID'")" = 13912345678 ] ||
	fail "the unsent edit did not reach the server"
[ "$(q "$D/srv/tongxind.db" "SELECT count(*) FROM member WHERE name = '未同步'")" = 1 ] ||
	fail "the unsent new member did not reach the server"
for s in $SEQS; do
	[ "$(q "$D/srv/tongxind.db" "SELECT count(*) FROM txn_log WHERE device_id = '$DEVICE'
		AND seq = $s AND conflict_id IS NULL")" = 1 ] ||
		fail "the server has no transaction $s from this device: the sequence was not kept"
done
[ "$(q "$DB" 'SELECT count(*) FROM outbox')" = 0 ] || fail "the outbox is not empty after the rebuild"
[ ! -e "$DB.rebuilding" ] && [ ! -e "$DB.rebuilding.credential" ] ||
	fail "the rebuild left its working files: $(ls "$D")"

step "the rebuilt replica: list, verify, new changes, doctor"
run "$D/list3.out" tx "${A[@]}" --csv member list
expect_rc 0 "member list on the rebuilt replica"
[ "$(($(wc -l <"$D/list3.out") - 1))" = $KEPT ] || fail "member list shows $(($(wc -l <"$D/list3.out") - 1)) members"
run "$D/verify.out" tx "${A[@]}" sync --verify
expect_rc 0 "sync --verify after the rebuild"
expect_contains "$D/verify.out" "replica check: match"
run "$D/edit2.out" tx "${A[@]}" member edit "$EDIT_ID" --phone 13800000000
expect_rc 0 "an edit after the rebuild"
run "$D/sync4.out" tx "${A[@]}" sync --verify
expect_rc 0 "sync of the edit after the rebuild"
expect_contains "$D/sync4.out" "1 applied, 0 merged, 0 conflict, 0 rejected"
expect_contains "$D/sync4.out" "replica check: match"
run "$D/doc4.out" tx "${A[@]}" doctor
expect_rc 0 "doctor on the rebuilt replica"

step "an unreadable credential: doctor says so and points to tongxin join"
cp "$D/$ASIDE" "$D/other.db"
echo "not a credential" >"$D/other.db.credential"
chmod 600 "$D/other.db.credential"
SUM=$(sha256sum <"$D/other.db")
run "$D/doc5.out" tx --replica "$D/other.db" doctor --rebuild
expect_rc 8 "doctor --rebuild with an unreadable credential"
expect_contains "$D/doc5.out" "凭据无法读取"
expect_contains "$D/doc5.out" "tongxin join"
[ "$(sha256sum <"$D/other.db")" = "$SUM" ] || fail "doctor changed a replica it could not rebuild"

step "done"
