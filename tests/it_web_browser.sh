#!/usr/bin/env bash
# it_web_browser.sh - the clerk's story on the web desk in a real browser:
# Debian's chromium, headless, driven by puppeteer-core (tests/web/, pinned
# by its package-lock.json; scripts/deps.sh installs chromium,
# fonts-noto-cjk and runs npm ci there). A real tongxind and an office
# replica are set up as in it_web_http.sh; tests/web/story.mjs then signs
# in with the token link, adds a member with a wrong check digit (inline
# error, nothing saved), fixes and saves it, finds it in the roster by
# part of the name, opens its page, the organisation tree, records a meeting
# of the branch with its attendance (one member excused with a reason), adds
# a problem item and claims, rectifies and closes it out, and syncs: every
# change comes back applied, and the street has the meeting with its roll
# and the closed item. A branch name that is markup shows as text (a
# person's name can no longer be markup: 汉字, letters, · only). No
# console errors, no dialog, no request to any host
# but 127.0.0.1. Screenshots (1366x768) of each page are kept in
# $TX_WEB_SHOTS (default: it_web_browser.shots in the test's working
# directory) and their paths printed.
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }

step "set up: a street, a community with a branch, an office replica"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null
tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01
tx "${A[@]}" -q org add --code SQ01-02 --name '<img src=x onerror=alert(1)>二支部' --kind branch --parent SQ01
tx "${A[@]}" -q sync
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null
DB=$D/office.db
tx --replica "$DB" join "$D/office.bundle" >/dev/null
tx --replica "$DB" -q sync
# IDs of men: region 110105 and an odd 17th digit (GB 11643, GB/T 2260).
idn() {
	python3 -c 'import sys; s = sys.argv[1]; w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(s + "10X98765432"[sum(int(a) * b for a, b in zip(s, w)) % 11])' "$1"
}
tx --replica "$DB" -q member add --name 李明 --gender male --ethnicity 汉族 \
	--id-number "$(idn 11010519700101001)" --education bachelor --category full --branch SQ01-01 --join-date 2000-07-01
# A member of the branch whose name is markup: the roster must show it as text.
tx --replica "$DB" -q member add --name 赵六 --gender male --ethnicity 汉族 \
	--id-number "$(idn 11010519720304003)" --education bachelor --category full --branch SQ01-02 --join-date 2001-07-01
tx --replica "$DB" -q sync

step "start the desk"
desk_start 10 --replica "$DB" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/story.mjs" "$URL" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the browser story"

step "the server has the member, the meeting and the item; the desk stops on SIGTERM"
tx "${A[@]}" -q sync >/dev/null
[ "$(sqlite3 "$D/admin.db" "SELECT count(*) FROM member WHERE name = '王小明'")" = 1 ] ||
	fail "the street does not have the member after the desk's sync"
[ "$(sqlite3 "$D/admin.db" "SELECT (SELECT kind FROM meeting WHERE topic = '学习党章') || ' ' ||
	(SELECT group_concat(s, ' ') FROM (SELECT a.status || ':' || coalesce(a.reason, '') AS s
	FROM attendance a JOIN meeting m ON m.id = a.meeting_id WHERE m.topic = '学习党章'
	ORDER BY a.status DESC))")" = "committee_meeting present: excused:外出务工" ] ||
	fail "the street does not have the meeting with its roll: $(sqlite3 "$D/admin.db" \
		"SELECT status, reason FROM attendance")"
[ "$(sqlite3 "$D/admin.db" "SELECT kind, status, claimed_by, rectification, close_note FROM list_item
	WHERE title = '楼道堆放杂物'")" = "problem|closed|第一党支部|已清理楼道，张贴提示|社区验收合格" ] ||
	fail "the street does not have the closed item: $(sqlite3 "$D/admin.db" "SELECT * FROM list_item")"
kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
stop_server
step "ok"
