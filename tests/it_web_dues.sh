#!/usr/bin/env bash
# it_web_dues.sh - 党费 on the desk in a real browser (Debian's chromium,
# headless, puppeteer-core; see it_web_browser.sh for what is needed): an
# office replica with four members, two with a dues class set and months
# paid with the CLI against a real tongxind (李四 up to four months ago, 王五
# seven months ago), then the desk offline; tests/web/dues_story.mjs pays
# one member with 交纳, the rest with 全部交纳, reads the arrears, sets a
# farmer's amount on a member page (a refused one first) and pays his month.
# Afterwards the replica holds exactly those writes. Screenshots (1366x768)
# go to $TX_WEB_SHOTS (default: it_web_dues.shots in the test's working
# directory).
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }
# The month n months before this one, YYYY-MM.
ago() { date -d "$(date +%Y-%m-15) -$1 months" +%Y-%m; }

step "set up: a street, a community with a branch, an office replica with four members"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null
tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01 --branch-type residential
tx "${A[@]}" -q sync
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null
DB=$D/office.db
O=(--replica "$DB")
tx "${O[@]}" join "$D/office.bundle" >/dev/null
tx "${O[@]}" -q sync
n=0
for name in 张三 李四 王五 钱七; do
	n=$((n + 1))
	tx "${O[@]}" -q member add --name "$name" --gender male --ethnicity 汉族 --id-number "$(idn_male 1960010$n "$n")" \
		--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 --full-date 2001-07-01
done
tx "${O[@]}" -q dues set 李四 --class 在岗职工 --base 4500
tx "${O[@]}" -q dues set 王五 --class 离退休 --base 5200
for k in 12 11 10 9 8 7 6 5 4; do
	tx "${O[@]}" -q dues pay 李四 --month "$(ago "$k")"
done
tx "${O[@]}" -q dues pay 王五 --month "$(ago 7)"
tx "${O[@]}" -q sync
[ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox")" = 0 ] || fail "the set-up did not sync"
stop_server   # the desk works offline

step "start the desk"
desk_start 30 "${O[@]}" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/dues_story.mjs" "$URL" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the dues story"

step "the replica holds exactly what was saved"
kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
q() { sqlite3 "$DB" "$1"; }
NOW=$(ago 0)
got=$(q "SELECT group_concat(x, ' ') FROM (SELECT m.name || ':' || p.amount AS x FROM dues_payment p
	JOIN member m ON m.id = p.member_id WHERE p.month = '$NOW' ORDER BY m.name)")
[ "$got" = "张三:50 李四:4500 王五:5200" ] || fail "this month's payments: $got"
[ "$(q "SELECT dues_class || '|' || dues_base FROM member WHERE name = '张三'")" = "farmer|50" ] ||
	fail "张三's class: $(q "SELECT dues_class, dues_base FROM member WHERE name = '张三'")"
# 交纳, 全部交纳, the class, 交纳: four local transactions, none for the refusal.
[ "$(q "SELECT count(*) FROM outbox")" = 4 ] || fail "outbox: $(q "SELECT count(*) FROM outbox") transactions, want 4"
step "ok"
