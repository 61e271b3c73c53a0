#!/usr/bin/env bash
# it_web_roster.sh - the desk's roster on 100,000 members (TX_ROSTER_MEMBERS):
# the first page, a deep page, search as you type by part of a name, by a
# citizen ID prefix, by branch, a search that matches nothing, the
# dashboard and the organisation list. Prints each answer's server time
# (took_us, measured in the handler around the domain call) beside the time
# of a bare SQLite query of the same rows on the same file (sqlite3 .timer),
# and the ratio. Fails only beyond generous budgets (the suite runs under
# ASan on shared cores), which still catch a plan that walks the name
# index and looks every row up (seconds per keystroke).
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
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 50)
INSERT INTO org(id, code, name, kind, parent_id, dissolved, _version)
 SELECT printf('00000000-0000-7000-8001-%012d', i), printf('ZB%02d', i), printf('第%d党支部', i),
  'branch', '00000000-0000-7000-8000-000000000001', 0, 1 FROM k;
WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < $N - 1)
INSERT INTO member(id, name, gender, ethnicity, id_number, birth_date, education, category, org_id,
  join_date, standing, lost_contact, mobile, retired, in_service, relocated, phone, _version)
 SELECT printf('01000000-0000-7000-8000-%012d', i),
  substr('王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗', 1 + i % 20, 1)
   || substr('小大明华建国志伟秀英丽强军平', 1 + (i / 20) % 14, 1)
   || substr('一二三四五六七八九十春夏秋冬', 1 + (i / 280) % 14, 1),
  CASE i % 2 WHEN 0 THEN 'male' ELSE 'female' END, '汉族',
  printf('110105%04d%02d%02d%03d0', 1940 + i % 60, 1 + i % 12, 1 + i % 28, i % 1000),
  printf('%04d-%02d-%02d', 1940 + i % 60, 1 + i % 12, 1 + i % 28), 'bachelor', 'full',
  printf('00000000-0000-7000-8001-%012d', 1 + i % 50),
  printf('%04d-%02d-%02d', 1962 + i % 60, 1 + i % 12, 1 + i % 28),
  'normal', 0, 0, i % 3 = 0, 0, 0, printf('138%08d', i), 1 FROM k;
EOF
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM member')" = "$N" ] || fail "the members were not written"

step "start the desk"
"$TONGXIN" --replica "$DB" ui >"$D/ui.log" 2>&1 &
UI_PID=$!
TX_BG_PIDS+=("$UI_PID")
wait_for_text "$D/ui.log" "token=" 30
URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$D/ui.log")
B=${URL%%/?token=*}
curl -s -o /dev/null -D "$D/login" "$URL"
COOKIE=$(sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/ip' "$D/login" | tr -d '\r')
[ -n "$COOKIE" ] || fail "no session cookie"

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
# The best of two answers' server time (took_us) of an API path, in milliseconds.
desk_ms() {
	local best="" body
	for _ in 1 2; do
		body=$(curl -s -H "Cookie: $COOKIE" "$B$1")
		local t
		t=$(printf '%s' "$body" | python3 -c 'import json, sys; print("%.1f" % (json.load(sys.stdin)["took_us"] / 1000))') ||
			fail "$1: $body"
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
	done
	echo "$best"
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
text_sql() {
	local f=${FILTER//Q/$1}
	echo "SELECT count(*) FROM member m NOT INDEXED WHERE $f;
SELECT $COLS FROM member m NOT INDEXED LEFT JOIN org o ON o.id = m.org_id WHERE $f ORDER BY m.name, m.id LIMIT 20;"
}
# The page without text, as the domain layer reads it (the rowid subquery on the name index).
page_sql() {
	echo "SELECT $COLS FROM member m LEFT JOIN org o ON o.id = m.org_id WHERE m.rowid IN
 (SELECT rowid FROM member ORDER BY name, id LIMIT 20 OFFSET $1) ORDER BY m.name, m.id;"
}
report() {   # report WHAT DESK_MS BARE_MS BUDGET_MS
	local ratio
	ratio=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	printf '  %-44s desk %8s ms   bare SQLite %7s ms   ratio %5s   (budget %s ms)\n' "$1" "$2" "$3" "$ratio" "$4"
	awk -v a="$2" -v b="$4" 'BEGIN { exit !(a <= b) }' || fail "$1 took $2 ms, over the budget of $4 ms"
}

step "figures (server time of the handler; bare = the same rows by sqlite3)"
report "first page (20 of $N, by name)" "$(desk_ms '/api/members?limit=20')" \
	"$(bare_ms "SELECT count(*) FROM member; $(page_sql 0)")" 1000
report "last page (offset $((N - 20)))" "$(desk_ms "/api/members?limit=20&offset=$((N - 20))")" \
	"$(bare_ms "SELECT count(*) FROM member; $(page_sql $((N - 20)))")" 2000
report "search 王 (part of a name, 5% match)" "$(desk_ms '/api/members?limit=20&q=%E7%8E%8B')" "$(bare_ms "$(text_sql 王)")" 2000
report "search 小明 (two characters, no match)" "$(desk_ms '/api/members?limit=20&q=%E5%B0%8F%E6%98%8E')" "$(bare_ms "$(text_sql 小明)")" 2000
report "search 1101051950 (citizen ID prefix)" "$(desk_ms '/api/members?limit=20&q=1101051950')" "$(bare_ms "$(text_sql 1101051950)")" 2000
report "search 第7党支部 (a branch)" "$(desk_ms '/api/members?limit=20&q=%E7%AC%AC7%E5%85%9A%E6%94%AF%E9%83%A8')" "$(bare_ms "$(text_sql 第7党支部)")" 2000
DASH=$(wall_ms /api/dashboard)
printf '  %-44s wall %8s ms   (budget 2000 ms)\n' "dashboard (GET /api/dashboard)" "$DASH"
awk -v a="$DASH" 'BEGIN { exit !(a <= 2000) }' || fail "the dashboard is over 2 s"
printf '  %-44s wall %8s ms\n' "organisations with member counts" "$(wall_ms /api/orgs)"

kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
step "ok"
