#!/usr/bin/env bash
# it_web_roster.sh - the desk's roster on 100,000 members (TX_ROSTER_MEMBERS):
# the first page, a deep page, search as you type by part of a name, by a
# citizen ID prefix, by branch, a search that matches nothing, the
# dashboard and the organisation list. Prints each answer's server time
# (took_us, measured in the handler around the domain call) beside the time
# of the plainest SQLite query of the same rows on the same file (sqlite3
# .timer), and the ratio; each search's total against the plain count. The
# first page and every search must stay within 4x the issue's 50 ms (this
# suite runs a Debug ASan build on shared cores), or half the bare query's
# time when the machine is so loaded that this is more: a plan that reads
# every member again fails it.
#
# The members are written straight into an offline replica with SQL: this
# measures reading, not capture.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
N=${TX_ROSTER_MEMBERS:-100000}
D=$TX_TMP
chmod 700 "$D"
DB=$D/r.db

step "an offline replica with $N members in 50 branches"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen 127.0.0.1:1 >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/b.bundle" >/dev/null
"$TONGXIN" --replica "$DB" join "$D/b.bundle" >/dev/null
sqlite3 "$DB" <<EOF
INSERT INTO org(id, code, name, kind, dissolved, _version)
 VALUES ('00000000-0000-7000-8000-000000000001', 'JD01', '测试街道', 'street', 0, 1);
INSERT INTO org(id, code, name, kind, parent_id, dissolved, _version)
 VALUES ('00000000-0000-7000-8000-000000000002', 'SQ01', '测试社区', 'community',
  '00000000-0000-7000-8000-000000000001', 0, 1);
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 50)
INSERT INTO org(id, code, name, kind, parent_id, dissolved, _version)
 SELECT printf('00000000-0000-7000-8001-%012d', i), printf('ZB%02d', i), printf('第%d党支部', i),
  'branch', '00000000-0000-7000-8000-000000000002', 0, 1 FROM k;
-- Citizen IDs as the rules want them: region 110105 (GB/T 2260), the birth
-- date (i % 420 picks it), a sequence i / 420 (unique with the date below
-- 420,000 members) whose parity is the gender (GB 11643: odd male), and the
-- check character.
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $N - 1),
 p(i, s) AS (SELECT i, printf('110105%04d%02d%02d%03d', 1940 + i % 60, 1 + i % 12, 1 + i % 28, i / 420) FROM k)
INSERT INTO member(id, name, gender, ethnicity, id_number, birth_date, education, category, org_id,
  join_date, standing, lost_contact, mobile, retired, in_service, relocated, phone, _version)
 SELECT printf('01000000-0000-7000-8000-%012d', i),
  substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', 1 + i % 20, 1)
   || substr('小大明华建国志伟秀英丽强军平', 1 + (i / 20) % 14, 1)
   || substr('一二三四五六七八九十春夏秋冬', 1 + (i / 280) % 14, 1),
  CASE (i / 420) % 2 WHEN 1 THEN 'male' ELSE 'female' END, '汉族',
  s || substr('10X98765432', 1 + (substr(s, 1, 1) * 7 + substr(s, 2, 1) * 9 + substr(s, 3, 1) * 10 +
   substr(s, 4, 1) * 5 + substr(s, 5, 1) * 8 + substr(s, 6, 1) * 4 + substr(s, 7, 1) * 2 +
   substr(s, 8, 1) * 1 + substr(s, 9, 1) * 6 + substr(s, 10, 1) * 3 + substr(s, 11, 1) * 7 +
   substr(s, 12, 1) * 9 + substr(s, 13, 1) * 10 + substr(s, 14, 1) * 5 + substr(s, 15, 1) * 8 +
   substr(s, 16, 1) * 4 + substr(s, 17, 1) * 2) % 11, 1),
  printf('%04d-%02d-%02d', 1940 + i % 60, 1 + i % 12, 1 + i % 28), 'bachelor', 'full',
  printf('00000000-0000-7000-8001-%012d', 1 + i % 50),
  printf('%04d-%02d-%02d', 1962 + i % 60, 1 + i % 12, 1 + i % 28),
  'normal', 0, 0, i % 3 = 0, 0, 0, printf('138%08d', i), 1 FROM p;
EOF
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM member')" = "$N" ] || fail "the members were not written"

step "start the desk"
# The first start on a replica makes the roster's local index and the names'
# pieces (a few seconds for 100,000 members, once).
desk_start 120 --replica "$DB" ui
B=${URL%%/?token=*}
curl -s -o /dev/null -D "$D/login" "$URL"
COOKIE=$(sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/ip' "$D/login" | tr -d '\r')
[ -n "$COOKIE" ] || fail "no session cookie"

# Budgets: the issue's 50 ms of server time for the first page and every
# search-as-you-type answer, times 4 for this suite (ASan, shared cores);
# a search that reads every member again (a scan: 58-106 ms in a Debug
# build on an idle machine, several hundred under load) fails it.
BUDGET=${TX_ROSTER_BUDGET_MS:-200}

# The best of two bare runs of SQL, in milliseconds (sqlite3 .timer, real).
bare_ms() {
	local best=""
	for _ in 1 2; do
		local t
		t=$(printf '.timer on\n%s\n' "$1" | sqlite3 "$DB" | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p' |
			awk '{ s += $1 } END { printf "%.1f", s * 1000 }')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	echo "$best"
}
# The best of three answers' server time (took_us) of an API path in $MS
# (milliseconds); the last answer's total and page size in $TOTAL, $ROWS.
desk_ms() {
	local body t
	MS=""
	for _ in 1 2 3; do
		body=$(curl -s -H "Cookie: $COOKIE" "$B$1")
		read -r t TOTAL ROWS < <(printf '%s' "$body" | python3 -c 'import json, sys
j = json.load(sys.stdin)
print("%.1f %d%s %d" % (j["took_us"] / 1000, j["total"], "+" if j.get("total_at_least") else "", len(j["rows"])))') ||
			fail "$1: $body"
		if [ -z "$MS" ] || awk -v a="$t" -v b="$MS" 'BEGIN { exit !(a < b) }'; then MS=$t; fi
	done
}
# Wall time of a GET (curl), best of two, in milliseconds.
wall_ms() {
	local best=""
	for _ in 1 2; do
		local t
		t=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $COOKIE" "$B$1" | awk '{ printf "%.1f", $1 * 1000 }')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	echo "$best"
}

COLS="m.id, m.name, m.gender, m.id_number, m.category, m.org_id, o.name, m.join_date, m.phone, m.standing"
FILTER="(m.name LIKE '%Q%' OR m.id_number >= 'Q' AND m.id_number < 'Q' || x'ff' OR m.org_id IN (SELECT id FROM org WHERE name LIKE '%Q%' OR code = 'Q'))"
# The same rows by the plainest SQL: a scan of the table, a sort of the matches.
text_sql() {
	local f=${FILTER//Q/$1}
	echo "SELECT count(*) FROM member m NOT INDEXED WHERE $f;
SELECT $COLS FROM member m NOT INDEXED LEFT JOIN org o ON o.id = m.org_id WHERE $f ORDER BY m.name, m.id LIMIT 20;"
}
text_count() { sqlite3 "$DB" "SELECT count(*) FROM member m NOT INDEXED WHERE ${FILTER//Q/$1}"; }
# The page without text, as the domain layer reads it (the rowid subquery on the roster's index).
page_sql() {
	echo "SELECT $COLS FROM member m LEFT JOIN org o ON o.id = m.org_id WHERE m.rowid IN
 (SELECT rowid FROM member ORDER BY name, id LIMIT 20 OFFSET $1) ORDER BY m.name, m.id;"
}
# The budget grows with the machine's load, measured by the bare query itself:
# at least half the bare time (a plan that reads every member again costs
# about the bare time, so it still fails; on an idle machine the bare scans
# take 60-110 ms and the budget stays as given). On 2 shared cores at load 17
# the bare scan of search 王 took 734 ms and the desk 227 ms.
report() {   # report WHAT DESK_MS BARE_MS BUDGET_MS
	local ratio budget
	ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	budget=$(awk -v g="$4" -v b="$3" 'BEGIN { printf "%.0f", (b / 2 > g ? b / 2 : g) }')
	printf '  %-44s desk %8s ms   bare SQLite %7s ms   ratio %5s   (budget %s ms)\n' "$1" "$2" "$3" "$ratio" "$budget"
	awk -v a="$2" -v b="$budget" 'BEGIN { exit !(a <= b) }' || fail "$1 took $2 ms, over the budget of $budget ms"
}
# search TEXT URL-ENCODED WHAT: one search's figure, and its total against the plain count.
search() {
	local want
	desk_ms "/api/members?limit=20&q=$2"
	want=$(text_count "$1")
	report "search $1 ($3)" "$MS" "$(bare_ms "$(text_sql "$1")")" "$BUDGET"
	if [ "$want" -ge 1000 ]; then
		[ "$TOTAL" = "1000+" ] || fail "search $1: total $TOTAL, want \"1000+\" ($want match)"
	else
		[ "$TOTAL" = "$want" ] || fail "search $1: total $TOTAL, the plain count says $want"
	fi
	[ "$ROWS" = "$(( want < 20 ? want : 20 ))" ] || fail "search $1: $ROWS rows on the first page"
}

step "figures (server time of the handler; bare = the same rows by sqlite3)"
desk_ms '/api/members?limit=20'
report "first page (20 of $N, by name)" "$MS" \
	"$(bare_ms "SELECT count(*) FROM member; $(page_sql 0)")" "$BUDGET"
[ "$TOTAL" = "$N" ] || fail "the first page says $TOTAL members, not $N"
desk_ms "/api/members?limit=20&offset=$((N - 20))"
report "last page (offset $((N - 20)))" "$MS" \
	"$(bare_ms "SELECT count(*) FROM member; $(page_sql $((N - 20)))")" 2000
search 王 '%E7%8E%8B' "part of a name, 5% match"
search 小明 '%E5%B0%8F%E6%98%8E' "two characters, no match"
search 王小一 '%E7%8E%8B%E5%B0%8F%E4%B8%80' "a whole name"
search 1101051950 1101051950 "citizen ID prefix"
search 1 1 "a first keystroke: every ID matches"
search 第7党支部 '%E7%AC%AC7%E5%85%9A%E6%94%AF%E9%83%A8' "a branch"
DASH=$(wall_ms /api/dashboard)
printf '  %-44s wall %8s ms   (budget 2000 ms)\n' "dashboard (GET /api/dashboard)" "$DASH"
awk -v a="$DASH" 'BEGIN { exit !(a <= 2000) }' || fail "the dashboard is over 2 s"
printf '  %-44s wall %8s ms\n' "organisations with member counts" "$(wall_ms /api/orgs)"

step "the names' pieces follow an edit made while the desk runs (triggers)"
sqlite3 "$DB" "UPDATE member SET name = '欧阳修远' WHERE id = '01000000-0000-7000-8000-000000000007'"
desk_ms '/api/members?limit=20&q=%E6%AC%A7%E9%98%B3'   # 欧阳
[ "$TOTAL" = 1 ] || fail "a renamed member is not found by its new name: total $TOTAL"
desk_ms '/api/members?limit=20&q=%E4%BF%AE%E8%BF%9C'   # 修远
[ "$TOTAL" = 1 ] || fail "a renamed member is not found by the end of its new name: total $TOTAL"
sqlite3 "$DB" "DELETE FROM member WHERE id = '01000000-0000-7000-8000-000000000007'"
desk_ms '/api/members?limit=20&q=%E6%AC%A7%E9%98%B3'
[ "$TOTAL" = 0 ] || fail "a deleted member is still found: total $TOTAL"

kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
step "ok"
