#!/usr/bin/env bash
# it_web_life.sh - 党员减少 and 党纪处分 on the desk's member page in a real
# browser (Debian's chromium, headless, puppeteer-core; see
# it_web_browser.sh for what is needed): an office replica with a member, set
# up with the CLI against a real tongxind, then the desk offline;
# tests/web/life_story.mjs refuses a 留党察看 without its end and a death
# dated tomorrow beside their fields, then saves a sanction and a death.
# Afterwards the replica holds exactly those two changes. Screenshots
# (1366x768) go to $TX_WEB_SHOTS (default: it_web_life.shots in the test's
# working directory).
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }

step "set up: a street, a community with a branch, an office replica with a member"
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
tx --replica "$DB" join "$D/office.bundle" >/dev/null
tx --replica "$DB" -q sync
tx --replica "$DB" -q member add --name 张三 --gender male --ethnicity 汉族 --id-number "$(idn_male 19500101)" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 --full-date 2001-07-01
tx --replica "$DB" -q sync
stop_server   # the desk works offline

step "start the desk"
desk_start 30 --replica "$DB" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/life_story.mjs" "$URL" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the life story"

step "the replica holds exactly what was saved"
kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
q() { sqlite3 "$DB" "$1"; }
[ "$(q "SELECT left_reason || '|' || left_on || '|' || left_note || '|' || standing FROM member WHERE name = '张三'")" = "death|2025-06-01|病故|deceased" ] ||
	fail "the member after the story: $(q "SELECT left_reason, left_on, left_note, standing FROM member")"
[ "$(q "SELECT kind || '|' || decided_on || '|' || until || '|' || grounds || '|' || decided_by FROM discipline")" = "probation|2025-03-01|2026-03-01|违反组织纪律|和平社区党委" ] ||
	fail "the discipline rows after the story: $(q "SELECT * FROM discipline")"
# the sanction and the death: two local transactions, none for the refusals.
[ "$(q "SELECT count(*) FROM outbox")" = 2 ] || fail "outbox: $(q "SELECT count(*) FROM outbox") transactions, want 2"
step "ok"
