#!/usr/bin/env bash
# it_web_service.sh - 双报到 on the web desk in a real browser (chromium
# headless, puppeteer-core; see it_web_browser.sh): a real tongxind, the
# street reports 孙磊 (a member of a branch under 和平社区) to 幸福社区, whose
# office desk then runs tests/web/service_story.mjs: the list without his
# citizen ID, a refused and a recorded service, an outsider, the report
# back, the report ended. Afterwards the street has the service after the
# office's sync, and the street's desk (his own office's) shows the report
# and its hours on his member page and reports him to another community.
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
S=(--replica "$D/street.db")
O=(--replica "$D/office.db")

step "set up: a street, two communities, a member reported to 幸福社区"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device street --admin --out "$D/street.bundle" >/dev/null
start_server "$D/srv"
"$TONGXIN" "${S[@]}" join "$D/street.bundle" >/dev/null
"$TONGXIN" "${S[@]}" -q sync
"$TONGXIN" "${S[@]}" -q org add --code SQ01 --name 和平社区 --kind community
"$TONGXIN" "${S[@]}" -q org add --code SQ02 --name 幸福社区 --kind community
"$TONGXIN" "${S[@]}" -q org add --code SQ01-01 --name 市第一医院党支部 --kind branch --parent SQ01
ID=$(idn_male 19800101 7)
"$TONGXIN" "${S[@]}" -q member add --name 孙磊 --gender male --ethnicity 汉族 --id-number "$ID" \
	--education master --category full --branch SQ01-01 --join-date 2005-07-01 --full-date 2006-07-01 \
	--job 市第一医院 --phone 13800000001
"$TONGXIN" "${S[@]}" -q member report 孙磊 --community SQ02
"$TONGXIN" "${S[@]}" -q sync
"$TONGXIND" enroll "$D/srv" --org SQ02 --device office --out "$D/office.bundle" >/dev/null
"$TONGXIN" "${O[@]}" join "$D/office.bundle" >/dev/null
"$TONGXIN" "${O[@]}" -q sync
[ "$(sqlite3 "$D/office.db" "SELECT count(*) FROM service_report")" = 1 ] || fail "the office has no report"

step "the office's desk"
desk_start 10 "${O[@]}" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/service_story.mjs" "$URL" "$SHOTS" "$ID"
cat "$D/story.out"
expect_rc 0 "the browser story"
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the desk exited $? after SIGTERM"

step "the street has the service after the office's sync"
"$TONGXIN" "${O[@]}" -q sync
"$TONGXIN" "${S[@]}" -q sync
[ "$(sqlite3 "$D/street.db" "SELECT activity || '|' || minutes FROM service_record")" = "社区义诊|90" ] ||
	fail "the street's service records: $(sqlite3 "$D/street.db" "SELECT * FROM service_record")"

step "the member's page at his own office (the street's desk): his report and hours, a new report"
"$TONGXIN" "${S[@]}" ui >"$D/ui2.log" 2>&1 &
UI_PID=$!
TX_BG_PIDS+=("$UI_PID")
wait_for_text "$D/ui2.log" "token=" 10
URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$D/ui2.log")
run "$D/story2.out" timeout 120 node "$WEB/service_story.mjs" member "$URL" "$SHOTS"
cat "$D/story2.out"
expect_rc 0 "the member page's story"
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the street's desk exited $? after SIGTERM"
[ "$(sqlite3 "$D/street.db" "SELECT count(*) FROM service_report WHERE name = '孙磊' AND ended_on IS NULL")" = 1 ] ||
	fail "the street's new report is missing"
stop_server
step "ok"
