#!/usr/bin/env bash
# it_echo.sh - rows an office wrote itself are not sent back to it by the
# pull after its push (its push result told it their state), and nothing a
# replica needs is left out because of that (issue 11):
#   - office A imports 50 members and syncs: its pull brings back 0 rows;
#   - the street edits one of them: A's next pull brings exactly that row and
#     A shows the street's value;
#   - a fresh replica of a new device of A's office receives all 50;
#   - a member transferred from A's community to B's is received by B (and
#     leaves A);
#   - a push whose acknowledgement is lost (the client dies right after the
#     server committed) leaves, after the next sync, a complete replica;
#   - every replica's digests match the server's (sync --verify) at the end.
. "$(dirname "$0")/lib.sh"

D=$TX_TMP
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" "$@"; }
count() { sqlite3 "$D/$1.db" "SELECT count(*) FROM $2"; }
srv() { sqlite3 "$D/srv/tongxind.db" "$1"; }

# N members from number START of branch BRANCH as the national form's CSV
# (names in Chinese numerals: a name takes no digits).
make_csv() {
	awk -v n="$1" -v start="$2" -v branch="$3" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ");
		map = "10X98765432";
		split("零 一 二 三 四 五 六 七 八 九", cn, " ");
		print "姓名,性别,民族,公民身份号码,出生日期,学历,人员类别,所在党支部,入党日期,转正日期";
		for (i = 0; i < n; i++) {
			k = start + i;
			y = 1950 + (k % 40); m = 1 + (k % 12); d = 1 + (k % 28);
			s = sprintf("110105%04d%02d%02d%03d", y, m, d, k % 1000);
			sum = 0;
			for (j = 1; j <= 17; j++) sum += substr(s, j, 1) * w[j];
			id = s substr(map, (sum % 11) + 1, 1);
			t = sprintf("%d", k); name = "回声";
			for (j = 1; j <= length(t); j++) name = name cn[substr(t, j, 1) + 1];
			printf "%s,%s,汉族,%s,%04d-%02d-%02d,bachelor,full,%s,%04d-%02d-%02d,%04d-%02d-%02d\n",
			    name, (k % 2 ? "男" : "女"), id, y, m, d, branch, y + 20, m, d, y + 21, m, d;
		}
	}'
}

# pulled FILE: the rows a sync's summary says it pulled.
pulled() { sed -n 's/.*pulled \([0-9]*\) rows.*/\1/p' "$1"; }

# verify NAME: a sync with --verify must say match.
verify() {
	run "$D/$1.verify.out" tx "$1" sync --verify
	expect_rc 0 "sync --verify of $1"
	expect_contains "$D/$1.verify.out" "replica check: match"
}

step "set up: the street, SQ01 and SQ02 with a branch each, offices A (SQ01) and B (SQ02)"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device street --admin --out "$D/street.bundle" >/dev/null
start_server "$D/srv"
tx street join "$D/street.bundle" >/dev/null
tx street -q sync
tx street -q org add --code SQ01 --name 和平社区 --kind community
tx street -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01
tx street -q org add --code SQ02 --name 幸福社区 --kind community
tx street -q org add --code SQ02-01 --name 第一党支部 --kind branch --parent SQ02
tx street -q sync
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office-a --out "$D/a.bundle" >/dev/null
"$TONGXIND" enroll "$D/srv" --org SQ02 --device office-b --out "$D/b.bundle" >/dev/null
tx a join "$D/a.bundle" >/dev/null
tx b join "$D/b.bundle" >/dev/null
tx a -q sync
tx b -q sync

step "A imports 50 members and syncs: nothing comes back"
make_csv 50 0 SQ01-01 >"$D/m50.csv"
run "$D/import.out" tx a member import "$D/m50.csv"
expect_rc 0 "import of 50 members"
mark=$(log_mark)
run "$D/a1.out" tx a sync
expect_rc 0 "A's sync"
expect_contains "$D/a1.out" "1 applied"
[ "$(pulled "$D/a1.out")" = 0 ] || fail "A's pull after its push brought $(pulled "$D/a1.out") rows back (want 0): $(cat "$D/a1.out")"
log_since "$mark" | grep -q "office-a.*pull: 0 rows sent" || fail "the server's log does not say it sent A 0 rows"
[ "$(srv 'SELECT count(*) FROM member WHERE _deleted = 0')" = 50 ] || fail "the server does not hold 50 members"
[ "$(sqlite3 "$D/a.db" 'SELECT count(*) FROM member WHERE _version > 0')" = 50 ] ||
	fail "A's members do not all carry the server's version"
verify a

step "the street edits one of them: A receives exactly that row"
tx street -q sync
[ "$(count street member)" = 50 ] || fail "the street holds $(count street member) members, want 50"
M=$(sqlite3 "$D/a.db" "SELECT id_number FROM member ORDER BY id_number LIMIT 1")
MID=$(sqlite3 "$D/a.db" "SELECT id FROM member WHERE id_number = '$M'")
run "$D/edit.out" tx street member edit "$MID" --phone 13911112222
expect_rc 0 "the street's edit"
tx street -q sync
run "$D/a2.out" tx a sync
expect_rc 0 "A's sync after the street's edit"
[ "$(pulled "$D/a2.out")" = 1 ] || fail "A pulled $(pulled "$D/a2.out") rows after the street's edit (want 1)"
[ "$(sqlite3 "$D/a.db" "SELECT phone FROM member WHERE id = '$MID'")" = 13911112222 ] ||
	fail "A does not show the street's phone number"
run "$D/show.out" tx a member show "$MID"
expect_contains "$D/show.out" 13911112222

step "the street and A edit different fields of one member: A's own push brings the street's field"
# A's row is then A's echo (left out of its pull): the merged state must reach A in its push result.
M2ID=$(sqlite3 "$D/a.db" "SELECT id FROM member ORDER BY id_number LIMIT 1 OFFSET 2")
run "$D/edit2.out" tx street member edit "$M2ID" --phone 13933334444
expect_rc 0 "the street's edit of the phone"
tx street -q sync
run "$D/edit3.out" tx a member edit "$M2ID" --address 幸福路二号
expect_rc 0 "A's edit of the address"
run "$D/a2m.out" tx a sync
expect_rc 0 "A's sync of its edit"
expect_contains "$D/a2m.out" "1 merged"
[ "$(srv "SELECT _echo FROM member WHERE id = '$M2ID'")" = 1 ] || fail "the merged row is not A's echo"
[ "$(sqlite3 "$D/a.db" "SELECT phone || '|' || address FROM member WHERE id = '$M2ID'")" = "13933334444|幸福路二号" ] ||
	fail "A shows $(sqlite3 "$D/a.db" "SELECT phone || '|' || address FROM member WHERE id = '$M2ID'"), want the street's phone and its own address"
verify a

step "a fresh replica of a new device of A's office receives all 50"
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office-a2 --out "$D/a2.bundle" >/dev/null
tx a2 join "$D/a2.bundle" >/dev/null
run "$D/a2first.out" tx a2 sync
expect_rc 0 "the new replica's first sync"
[ "$(count a2 member)" = 50 ] || fail "the new replica holds $(count a2 member) members, want 50"
verify a2

step "a member transferred from SQ01 to SQ02 is received by B"
T=$(sqlite3 "$D/a.db" "SELECT id_number FROM member ORDER BY id_number LIMIT 1 OFFSET 1")
TID=$(sqlite3 "$D/a.db" "SELECT id FROM member WHERE id_number = '$T'")
run "$D/treq.out" tx a transfer request "$T" --to SQ02-01 --reason 搬迁
expect_rc 0 "A requests the transfer"
tx a -q sync
tx b -q sync
TR=$(sqlite3 "$D/b.db" "SELECT id FROM transfer WHERE member_id = '$TID'")
[ -n "$TR" ] || fail "B has not received the transfer request"
run "$D/tacc.out" tx b transfer accept "${TR: -8}"
expect_rc 0 "B accepts"
run "$D/b1.out" tx b sync
expect_rc 0 "B's sync of its acceptance"
[ "$(sqlite3 "$D/b.db" "SELECT count(*) FROM member WHERE id = '$TID'")" = 1 ] ||
	fail "B did not receive the transferred member"
[ "$(sqlite3 "$D/b.db" "SELECT o.code FROM member m JOIN org o ON o.id = m.org_id WHERE m.id = '$TID'")" = SQ02-01 ] ||
	fail "B's replica does not show the member in SQ02-01"
tx a -q sync
[ "$(sqlite3 "$D/a.db" "SELECT count(*) FROM member WHERE id = '$TID'")" = 0 ] ||
	fail "A still holds the member who left"

step "a push whose acknowledgement is lost: the next sync leaves A complete"
make_csv 5 50 SQ01-01 >"$D/m5.csv"
run "$D/import5.out" tx a member import "$D/m5.csv"
expect_rc 0 "import of 5 more members"
set +e
TONGXIN_TEST_DIE_AFTER_PUSH=1 "$TONGXIN" --replica "$D/a.db" -q sync >"$D/die.out" 2>&1
rc=$?
set -e
[ "$rc" = 3 ] || fail "the sync with the test hook exited $rc, want 3: $(cat "$D/die.out")"
[ "$(srv 'SELECT count(*) FROM member WHERE _deleted = 0')" = 55 ] ||
	fail "the server did not commit the 5 members before the client died"
[ "$(count a outbox)" -ge 1 ] || fail "A's outbox lost its unacknowledged transaction"
run "$D/a3.out" tx a sync
expect_rc 0 "A's sync after the lost acknowledgement"
expect_contains "$D/a3.out" "already known"
[ "$(count a outbox)" = 0 ] || fail "A's outbox is not empty"
[ "$(count a member)" = 54 ] || fail "A holds $(count a member) members, want 54"
[ "$(sqlite3 "$D/a.db" 'SELECT count(*) FROM member WHERE coalesce(_version, 0) = 0')" = 0 ] ||
	fail "some of A's members lack the server's version"
dups=$(srv "SELECT count(*) FROM (SELECT row_id FROM audit WHERE action = 'insert' GROUP BY row_id HAVING count(*) > 1)")
[ "$dups" = 0 ] || fail "$dups rows were inserted twice"

step "every replica matches the server"
for r in a a2 b street; do
	verify "$r"
done
[ "$(count a2 member)" = 54 ] || fail "the second replica of A's office holds $(count a2 member) members, want 54"
[ "$(count street member)" = 55 ] || fail "the street holds $(count street member) members, want 55"
stop_server
echo "1 passed, 0 failed"
