#!/usr/bin/env bash
# it_web_committee.sh - 委员会 and 党员中心户 on the web desk in a real browser
# (chromium headless, puppeteer-core; see it_web_browser.sh): a real tongxind,
# 和平社区 (SQ01) with a branch of 7 full members and one of 2; the office's
# desk runs tests/web/committee_story.mjs. Afterwards the replica holds
# exactly what the story saved (3 seats, one ended the day before the new
# secretary, one 兼职委员 ended; org.secretary 张伟; one center with one
# household), and the street has them after the office's sync.
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
S=(--replica "$D/street.db")
O=(--replica "$D/office.db")
q() { sqlite3 "$D/$1.db" "$2"; }

step "set up: a street, a community with a branch of 7 and a branch of 2"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device street --admin --out "$D/street.bundle" >/dev/null
start_server "$D/srv"
"$TONGXIN" "${S[@]}" join "$D/street.bundle" >/dev/null
"$TONGXIN" "${S[@]}" -q sync
"$TONGXIN" "${S[@]}" -q org add --code SQ01 --name 和平社区 --kind community
"$TONGXIN" "${S[@]}" -q org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01
"$TONGXIN" "${S[@]}" -q org add --code SQ01-02 --name 和平第二支部 --kind branch --parent SQ01
n=0
for p in 王建国:SQ01-01 李明:SQ01-01 张伟:SQ01-01 刘洋:SQ01-01 杨帆:SQ01-01 赵磊:SQ01-01 周强:SQ01-01 \
    孙刚:SQ01-02 郑刚:SQ01-02; do
	n=$((n + 1))
	"$TONGXIN" "${S[@]}" -q member add --name "${p%:*}" --gender male --ethnicity 汉族 \
	    --id-number "$(idn_male 19700101 "$n")" --education bachelor --category full --branch "${p#*:}" \
	    --join-date 2005-07-01 --full-date 2006-07-01 --address "和平路$n号"
done
"$TONGXIN" "${S[@]}" -q sync
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null
"$TONGXIN" "${O[@]}" join "$D/office.bundle" >/dev/null
"$TONGXIN" "${O[@]}" -q sync

step "the office's desk"
desk_start 10 "${O[@]}" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/committee_story.mjs" "$URL" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the browser story"
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the desk exited $? after SIGTERM"

step "the replica holds exactly what the story saved"
got=$(q office "SELECT group_concat(name || ':' || role || ':' || started_on || ':' || coalesce(ended_on, '-'), ' ') FROM (SELECT * FROM committee_member ORDER BY started_on, name)")
[ "$got" = "王建国:secretary:2023-01-10:2025-05-31 马晓东:part_time:2024-01-01:2025-12-31 张伟:secretary:2025-06-01:-" ] ||
	fail "the seats: $got"
[ "$(q office "SELECT secretary FROM org WHERE code = 'SQ01-01'")" = 张伟 ] || fail "org.secretary at the office"
[ "$(q office "SELECT count(*) FROM center_household")|$(q office "SELECT head_name FROM covered_household")" = "1|张大山" ] ||
	fail "the center and its household"

step "the street has them after the office's sync"
"$TONGXIN" "${O[@]}" -q sync
"$TONGXIN" "${S[@]}" -q sync
[ "$(q street "SELECT secretary FROM org WHERE code = 'SQ01-01'")" = 张伟 ] || fail "org.secretary at the street"
[ "$(q street "SELECT count(*) FROM committee_member")|$(q street "SELECT count(*) FROM covered_household")" = "3|1" ] ||
	fail "the street's seats and households"
stop_server
step "ok"
