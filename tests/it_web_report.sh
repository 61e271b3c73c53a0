#!/usr/bin/env bash
# it_web_report.sh - 报表 on the web desk in a real browser (chromium headless,
# puppeteer-core; see it_web_browser.sh for the set-up scripts/deps.sh does).
#
# A real tongxind, the street's administrator replica and a community office
# replica holding members, meetings, an item and terms of a known shape (all
# dated so that every figure is fixed as of 2024-06-30). Before the browser:
# the desk's CSV downloads must be byte for byte `tongxin report NAME --csv`
# (one query and one CSV writer for both), a bad option is 422 naming it, and
# 核对 is refused on an office replica. Then tests/web/report_story.mjs: the
# profile's shares and SVG bars (computed by hand below), a missing 主题党日
# marked in the 三会一课 grid, inactive members, overdue items, terms, the
# roster's CSV fetched from the page (BOM, citizen IDs as text, a formula
# cell neutralised), the print views under print media (nav and buttons
# hidden, A4, headers repeated), and 核对 on the administrator's desk.
# Screenshots (1366x768) go to $TX_WEB_SHOTS (default it_web_report.shots).
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }
# The 18-character citizen ID number for 17 digits (GB 11643 check character).
idn() {
	awk -v s="$1" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		print s substr("10X98765432", sum % 11 + 1, 1)
	}'
}

step "set up: a street, a community with two branches, an office replica"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null
tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community --term-start 2019-08-01
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01 \
	--term-start 2021-09-15
tx "${A[@]}" -q org add --code SQ01-02 --name 第二党支部 --kind branch --parent SQ01 \
	--term-start 2023-01-01 --secretary 孙六 --founded-on 2024-06-01
tx "${A[@]}" -q sync
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null
O=(--replica "$D/office.db")
tx "${O[@]}" join "$D/office.bundle" >/dev/null
tx "${O[@]}" -q sync

# Members: KEY NAME BIRTH BRANCH EDUCATION CATEGORY [--FIELD VALUE...]; joined at 25.
declare -A ID
SEQ=299
madd() {
	local name=$1 birth=$2 branch=$3 edu=$4 cat=$5
	shift 5
	SEQ=$((SEQ + 2))   # odd: the 17th digit of a man's citizen ID
	ID[$name]=$(idn "110105${birth//-/}${SEQ}")
	tx "${O[@]}" -q member add --name "$name" --gender male --ethnicity 汉族 \
		--id-number "${ID[$name]}" --education "$edu" --category "$cat" --branch "$branch" \
		--join-date "$(( ${birth:0:4} + 25 ))${birth:4}" "$@"
}
# As of 2024-06-30, in normal standing: 6 members. Aged 60+: 张一, 李二, 孙六 (王三
# turns 60 the day after); retired: 张一, 孙六; junior high or below: 张一, 王三;
# relocated: 李二; mobile: 王三; lost contact: 钱五; probationary: 赵四.
# 周七 is deceased: neither on the roster nor in any figure.
madd 张一 1950-01-01 SQ01-01 primary full --retired 1
madd 李二 1960-08-01 SQ01-01 bachelor full --relocated 1
madd 王三 1964-07-01 SQ01-01 junior_high full --mobile 1 --flow-to 广东省深圳市 \
	--job '=1+2' --phone 13800000003
madd 赵四 1985-03-15 SQ01-01 bachelor probationary
madd 钱五 1990-05-20 SQ01-01 master full --lost-contact 1 --lost-since 2023-01-01
madd 孙六 1955-02-02 SQ01-02 senior_high full --retired 1
madd 周七 1940-04-04 SQ01-01 primary full --standing deceased

# Meetings of 2024-Q2: 第一党支部 (4 full members: no 支委会 owed, though it
# meets) misses its 主题党日 of May; 第二党支部, founded on 2024-06-01, owes
# June's monthly meetings only, and holds them.
meet() {
	local org=$1 kind=$2 date=$3 ids="" k
	shift 3
	for k in "$@"; do ids="${ids:+$ids,}${ID[$k]}"; done
	tx "${O[@]}" -q meeting add --org "$org" --kind "$kind" --held-on "$date" \
		--topic "$kind $date" --present "$ids"
}
meet SQ01-01 committee_meeting 2024-04-08 张一 李二
meet SQ01-01 committee_meeting 2024-06-08 张一 李二
meet SQ01-01 general_meeting 2024-05-20 张一 李二 赵四
meet SQ01-01 party_lecture 2024-06-25 张一 李二 赵四
for m in 04 06; do meet SQ01-01 theme_day "2024-$m-01" 张一 赵四; done
meet SQ01-02 committee_meeting 2024-06-10 孙六
meet SQ01-02 theme_day 2024-06-11 孙六
# A problem item 30 days overdue on 2024-06-30, and one not yet due.
tx "${O[@]}" -q item add --kind problem --org SQ01-01 --title 楼道堆物整治 --due-on 2024-05-31
tx "${O[@]}" -q item add --kind problem --org SQ01-02 --title 尚未到期 --due-on 2024-07-15
tx "${O[@]}" -q sync
tx "${A[@]}" -q sync

# start_desk NAME REPLICA: a desk in the background; its token URL in $URL.
start_desk() {
	"$TONGXIN" --replica "$2" ui >"$D/$1.log" 2>&1 &
	TX_BG_PIDS+=("$!")
	wait_for_text "$D/$1.log" "token=" 10
	URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$D/$1.log")
	[ -n "$URL" ] || fail "no token URL in the desk's output: $(cat "$D/$1.log")"
}
step "the desk's CSV is tongxin report --csv, byte for byte; bad options are refused"
# A desk of its own: its one-time link signs curl in, not the browser.
start_desk check "$D/office.db"
J=$D/jar
BASE=${URL%%/?token=*}
curl -s -c "$J" -o /dev/null "$URL"
for q in "profile?as_of=2024-06-30" "compliance?as_of=2024-06-30&org=SQ01-01" \
	"inactive?as_of=2024-06-30&months=6" "overdue?as_of=2024-06-30" \
	"terms?as_of=2024-06-30&within_months=6" "roster?as_of=2024-06-30&org=SQ01-01" \
	"branches?as_of=2024-06-30" "cobuild?as_of=2024-06-30&year=2024"; do
	name=${q%%\?*}
	args=(--as-of 2024-06-30)
	case $q in *org=SQ01-01*) args+=(--org SQ01-01) ;; esac
	case $q in *year=2024*) args+=(--year 2024) ;; esac
	curl -s -b "$J" -D "$D/$name.h" -o "$D/$name.web" "$BASE/api/report/$name.csv?${q#*\?}"
	tx "${O[@]}" --csv report "$name" "${args[@]}" >"$D/$name.cli"
	cmp -s "$D/$name.web" "$D/$name.cli" ||
		fail "$name.csv differs from tongxin report $name --csv: $(diff "$D/$name.web" "$D/$name.cli" | head)"
	grep -qi "^Content-Disposition: attachment; .*filename\*=UTF-8''%" "$D/$name.h" ||
		fail "$name.csv is not an attachment with a UTF-8 file name: $(cat "$D/$name.h")"
done
code=$(curl -s -b "$J" -o "$D/bad.json" -w '%{http_code}' "$BASE/api/report/compliance?month=13")
[ "$code" = 422 ] && grep -q '"field":"month"' "$D/bad.json" || fail "month=13 answered $code: $(cat "$D/bad.json")"
code=$(curl -s -b "$J" -o "$D/bad.json" -w '%{http_code}' "$BASE/api/report/cobuild?year=1999")
[ "$code" = 422 ] && grep -q '"field":"year"' "$D/bad.json" || fail "year=1999 answered $code: $(cat "$D/bad.json")"
curl -s -b "$J" -o "$D/cobuild.json" "$BASE/api/report/cobuild?as_of=2024-06-30&year=2024"
grep -q '"year":"2024"' "$D/cobuild.json" && grep -q '"code":"SQ01"' "$D/cobuild.json" &&
	grep -q '"reply_days":7' "$D/cobuild.json" || fail "the cobuild report's JSON: $(cat "$D/cobuild.json")"
code=$(curl -s -b "$J" -o "$D/bad.json" -w '%{http_code}' "$BASE/api/report/profile?org=NOPE")
[ "$code" = 422 ] && grep -q '"field":"org"' "$D/bad.json" || fail "org=NOPE answered $code: $(cat "$D/bad.json")"
code=$(curl -s -b "$J" -o "$D/bad.json" -w '%{http_code}' "$BASE/api/reconcile")
[ "$code" = 403 ] || fail "reconcile on an office replica answered $code: $(cat "$D/bad.json")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/report/roster.csv")
[ "$code" = 401 ] || fail "the roster's CSV without the session cookie answered $code"

step "start the office's and the street's desks"
start_desk office "$D/office.db"
OFFICE_URL=$URL
start_desk admin "$D/admin.db"
ADMIN_URL=$URL

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/report_story.mjs" "$OFFICE_URL" "$ADMIN_URL" "$SHOTS" \
	"${ID[王三]}"
cat "$D/story.out"
expect_rc 0 "the browser story"
stop_server
step "ok"
