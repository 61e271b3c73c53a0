#!/usr/bin/env bash
# it_cut.sh - syncs cut in the middle: a client killed with SIGKILL while it
# pulls a large scope or pushes a large outbox, and a server stopped while a
# pull streams. Afterwards every replica is intact, a plain sync resumes,
# nothing is applied twice, and every replica equals the server (sync --verify).
. "$(dirname "$0")/lib.sh"

N=${TX_CUT_MEMBERS:-12000}
D=$TX_TMP
tx() { "$TONGXIN" "$@"; }

# N members (成员 and k in Chinese numerals: a name takes no digits) with valid
# citizen ID numbers (a man's 17th digit odd, a woman's even), as the national form's CSV.
make_csv() {
	awk -v n="$1" -v start="$2" -v branch="$3" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ");
		map = "10X98765432";
		split("零 一 二 三 四 五 六 七 八 九", cn, " ");
		print "姓名,性别,民族,公民身份号码,出生日期,学历,人员类别,所在党支部,入党日期,转正日期";
		for (i = 0; i < n; i++) {
			k = start + i;
			y = 1940 + (k % 60); m = 1 + (k % 12); d = 1 + (k % 28);
			s = sprintf("110105%04d%02d%02d%03d", y, m, d, k % 1000);
			sum = 0;
			for (j = 1; j <= 17; j++) sum += substr(s, j, 1) * w[j];
			id = s substr(map, (sum % 11) + 1, 1);
			t = sprintf("%d", k); name = "成员";
			for (j = 1; j <= length(t); j++) name = name cn[substr(t, j, 1) + 1];
			printf "%s,%s,汉族,%s,%04d-%02d-%02d,bachelor,full,%s,%04d-%02d-%02d,%04d-%02d-%02d\n",
			    name, (k % 2 ? "男" : "女"), id, y, m, d, branch, y + 20, m, d, y + 21, m, d;
		}
	}'
}

integrity() {
	[ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ] || fail "$1 fails PRAGMA integrity_check"
}

count() { sqlite3 "$1" "SELECT count(*) FROM $2"; }

step "set up: a street, a community with a branch, $N members"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "127.0.0.1:$TX_PORT" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null
tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community --secretary 李明
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01 --secretary 陈刚
tx "${A[@]}" -q sync
make_csv "$N" 0 SQ01-01 >"$D/members.csv"
run "$D/import.out" tx "${A[@]}" member import "$D/members.csv"
expect_rc 0 "import of $N members"
run "$D/push.out" tx "${A[@]}" sync
expect_rc 0 "push of $N members"
[ "$(sqlite3 "$D/srv/tongxind.db" 'SELECT count(*) FROM member WHERE _deleted = 0')" = "$N" ] ||
	fail "the server does not hold $N members"
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null

step "a client killed with SIGKILL in the middle of its first pull"
O=(--replica "$D/office.db")
tx "${O[@]}" join "$D/office.bundle" >/dev/null
cut_pull() {
	local db=$1 pid
	"$TONGXIN" --replica "$db" -q sync >/dev/null 2>&1 &
	pid=$!
	# Wait until at least one page is in, then cut.
	for _ in $(seq 200); do
		[ "$(sqlite3 "$db" 'SELECT count(*) FROM member' 2>/dev/null || echo 0)" -gt 0 ] && break
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cut_pull "$D/office.db"
integrity "$D/office.db"
got=$(count "$D/office.db" member)
echo "  cut after $got of $N members"
[ "$got" -lt "$N" ] || echo "  (the pull finished before the cut; the rest of the test still holds)"
# Pages are applied whole: every member present has its page's cursor behind it.
run "$D/resume.out" tx "${O[@]}" sync --verify
expect_rc 0 "the sync after the cut"
expect_contains "$D/resume.out" "replica check: match"
[ "$(count "$D/office.db" member)" = "$N" ] || fail "after resuming the office holds $(count "$D/office.db" member) members"

step "the server stopped (SIGTERM) while a pull streams"
O2=(--replica "$D/office2.db")
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office2 --out "$D/office2.bundle" >/dev/null
tx "${O2[@]}" join "$D/office2.bundle" >/dev/null
"$TONGXIN" "${O2[@]}" -q sync >"$D/stopped.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
	[ "$(sqlite3 "$D/office2.db" 'SELECT count(*) FROM member' 2>/dev/null || echo 0)" -gt 0 ] && break
	sleep 0.02
done
stop_server
set +e
wait "$pid"
rc=$?
set -e
echo "  the client ended with exit $rc: $(head -c 300 "$D/stopped.out")"
[ "$rc" = 0 ] || [ "$rc" = 6 ] || fail "a sync cut by the server's shutdown exited $rc (want 6, or 0 if it finished first)"
integrity "$D/office2.db"
integrity "$D/srv/tongxind.db"
start_server "$D/srv"
run "$D/resume2.out" tx "${O2[@]}" sync --verify
expect_rc 0 "the sync after the restart"
expect_contains "$D/resume2.out" "replica check: match"

step "a client killed with SIGKILL in the middle of a large push"
make_csv 3000 "$N" SQ01-01 >"$D/more.csv"
run "$D/import2.out" tx "${O[@]}" member import "$D/more.csv"
expect_rc 0 "import of 3000 more members"
before=$(sqlite3 "$D/srv/tongxind.db" 'SELECT count(*) FROM member WHERE _deleted = 0')
"$TONGXIN" "${O[@]}" -q sync >/dev/null 2>&1 &
pid=$!
sleep 0.05
kill -KILL "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
integrity "$D/office.db"
pending=$(count "$D/office.db" outbox)
echo "  cut with $pending of 3 outbox transactions still pending"
run "$D/resume3.out" tx "${O[@]}" sync --verify
expect_rc 0 "the sync after the cut push"
expect_contains "$D/resume3.out" "replica check: match"
after=$(sqlite3 "$D/srv/tongxind.db" 'SELECT count(*) FROM member WHERE _deleted = 0')
[ "$after" = $((before + 3000)) ] || fail "the server went from $before to $after members (want +3000 exactly)"
dups=$(sqlite3 "$D/srv/tongxind.db" "SELECT count(*) FROM (SELECT row_id FROM audit WHERE action = 'insert' GROUP BY row_id HAVING count(*) > 1)")
[ "$dups" = 0 ] || fail "$dups rows were inserted twice"
[ "$(count "$D/office.db" outbox)" = 0 ] || fail "the outbox is not empty after the resumed sync"
run "$D/street.out" tx "${A[@]}" sync --verify
expect_contains "$D/street.out" "replica check: match"
stop_server
integrity "$D/srv/tongxind.db"
echo "1 passed, 0 failed"
