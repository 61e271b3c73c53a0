#!/usr/bin/env bash
# it_web_member.sh - the member's page and the organisation tree on the web
# desk in a real browser (Debian's chromium, headless, puppeteer-core; see
# it_web_browser.sh for what is needed): an office replica with a community,
# a branch and a member, set up with the CLI against a real tongxind; then
# tests/web/member_story.mjs edits the member (a wrong check digit refused
# inline, then saved), marks it 失联 and 恢复联系, and adds a branch from the
# tree where only the kinds the parent allows are offered; a new man whose
# citizen ID's 17th digit says woman is refused beside the field, live and on
# 保存, and nothing is saved. Afterwards the
# replica holds exactly the saved changes. Screenshots (1366x768) are kept
# in $TX_WEB_SHOTS (default: it_web_member.shots in the test's working
# directory) and their paths printed.
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
# A man's ID: region 110105 (GB/T 2260), an odd 17th digit (GB 11643).
IDN=$(python3 -c 's = "11010519800101003"; w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(s + "10X98765432"[sum(int(a) * b for a, b in zip(s, w)) % 11])')
tx --replica "$DB" -q member add --name 张三 --gender male --ethnicity 汉族 --id-number "$IDN" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 --phone 13800000001
tx --replica "$DB" -q sync
stop_server   # the desk works offline

step "start the desk"
desk_start 30 --replica "$DB" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/member_story.mjs" "$URL" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the member story"
# Defects the story found but lets pass (TX_STRICT=1 fails on them): said on stderr.
grep '^KNOWN BUG' "$D/story.out" >&2 || true

step "the replica holds exactly what was saved"
kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
q() { sqlite3 "$DB" "$1"; }
[ "$(q "SELECT id_number, phone, lost_contact, quote(lost_since) FROM member WHERE name = '张三'")" = "$IDN|13911112222|0|NULL" ] ||
	fail "the member after the story: $(q "SELECT id_number, phone, lost_contact, lost_since FROM member")"
[ "$(q "SELECT o.kind, o.branch_type, o.secretary, p.code FROM org o JOIN org p ON p.id = o.parent_id WHERE o.code = 'SQ01-02'")" = "branch|grid|刘书记|SQ01" ] ||
	fail "the branch added from the tree: $(q "SELECT * FROM org WHERE code = 'SQ01-02'")"
[ "$(q "SELECT count(*) FROM org WHERE code = 'SQ01-X'")" = 0 ] || fail "the refused group is in the replica"
[ "$(q "SELECT count(*) FROM member WHERE name = '李四'")" = 0 ] || fail "the refused man with a woman's ID is in the replica"
# edit, lost, found and the new branch: four local transactions, none for the refusals.
[ "$(q "SELECT count(*) FROM outbox")" = 4 ] || fail "outbox: $(q "SELECT count(*) FROM outbox") transactions, want 4"
step "ok"
