#!/usr/bin/env bash
# it_web_develop.sh - 发展党员 and 转正 on the web desk in a real browser
# (tests/web/develop_story.mjs: Debian's chromium headless, puppeteer-core).
# An office replica with a branch, its 支委会 and 支部党员大会 meetings (fixed
# past dates), an applicant and an overdue probationary member is set up
# through a real tongxind, which then stops: the desk works offline. The
# story adds an applicant (a wrong check digit refused first), takes 周建国
# from applicant to full member with the offered meetings (a 发展对象 before a
# year of training and a 转正 before the probation year refused beside the
# date), extends 钱七's probation (more than a year refused), and then the
# replica must hold exactly that: the development row,
# the member row, and one outbox transaction per saved step, none for the
# refusals. Screenshots (1366x768) go to $TX_WEB_SHOTS (default:
# it_web_develop.shots in the test's working directory).
. "$(dirname "$0")/lib.sh"

need_browser
D=$TX_TMP
chmod 700 "$D"
tx() { "$TONGXIN" "$@"; }
q() { sqlite3 "$DB" "$1"; }

step "set up: a street, a community with two branches, an office replica"
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
for m in committee_meeting:2016-03-01 committee_meeting:2016-09-01 committee_meeting:2017-03-15 \
	general_meeting:2017-06-01 general_meeting:2018-01-10 general_meeting:2018-06-20; do
	tx --replica "$DB" -q meeting add --org SQ01-01 --kind "${m%:*}" --held-on "${m#*:}" --topic "支部会议 ${m#*:}"
done
tx --replica "$DB" -q develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$(idn_male 19900312 1)" --branch SQ01-01 --applied-on 2015-01-10 --phone 13800000011
tx --replica "$DB" -q member add --name 钱七 --gender male --ethnicity 汉族 --id-number "$(idn_male 19800101 2)" \
	--education bachelor --category probationary --branch SQ01-01 --join-date 2023-01-01
tx --replica "$DB" -q sync
stop_server   # the desk works offline

step "start the desk"
desk_start 30 --replica "$DB" ui

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 120 node "$WEB/develop_story.mjs" "$URL" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the develop story"

step "the replica holds exactly what was saved"
kill -TERM "$UI_PID"
rc=0
wait "$UI_PID" || rc=$?
[ "$rc" = 0 ] || fail "the desk exited $rc after SIGTERM"
MID=$(q "SELECT member_id FROM applicant WHERE name = '周建国'")
[ "$(q "SELECT stage || '|' || activist_on || '|' || candidate_on || '|' || admitted_on FROM applicant
	WHERE name = '周建国'")" = "admitted|2016-03-01|2017-03-15|2017-06-01" ] ||
	fail "the development row: $(q "SELECT * FROM applicant WHERE name = '周建国'")"
[ "$(q "SELECT name || '|' || category || '|' || join_date || '|' || full_date || '|' || education || '|' || phone
	FROM member WHERE id = '$MID'")" = "周建国|full|2017-06-01|2018-06-20|bachelor|13800000011" ] ||
	fail "the member row: $(q "SELECT * FROM member WHERE id = '$MID'")"
[ "$(q "SELECT stage FROM applicant WHERE name = '吴丽'")" = applicant ] || fail "the added applicant"
[ "$(q "SELECT probation_until FROM member WHERE name = '钱七'")" = 2024-07-01 ] || fail "钱七's extension"
# add, activist, candidate, admit, promote, extend: six local transactions, none for the refusals.
[ "$(q "SELECT count(*) FROM outbox")" = 6 ] || fail "outbox: $(q "SELECT count(*) FROM outbox") transactions, want 6"
step "ok"
