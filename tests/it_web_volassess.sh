#!/usr/bin/env bash
# it_web_volassess.sh - the desk's API for 志愿服务 and 考核
# (web_api_volassess.c), request by request (curl), against a real
# `tongxin ui` on replicas synced with a real tongxind: a street (JD01),
# 和平社区 (SQ01, branch SQ01-01 with 孙磊, an in-service member who reports
# to SQ02) and 幸福社区 (SQ02, branch SQ02-01 with 王芳).
#
#   - the street's desk: a foreign Host and a POST without (or with a wrong)
#     CSRF token are refused and write nothing; a wrong method is 405; the
#     year's indicators set (refusals: a total over 100, a code used twice, an
#     unknown target, points that are no number, a too long item), edited
#     (refused beyond 100), listed with each target's total (the 100-point
#     check); scores (refusals: above the indicator's points, two decimals,
#     an unknown organisation or indicator; a second score is an edit), stars
#     (refusals: six, a community); the report with grades (优秀 93.5, 未评完,
#     a branch's 称职 and stars) and its CSV byte for byte the CLI's.
#   - SQ02's desk: an indicator is refused (not a street); the street's are
#     listed read only; a team, an activity, hours of a member, of 孙磊 by his
#     report and of a resident (refusals: no participant, two, the same again,
#     hours that are none, an unknown team or activity, a future date); the
#     year's report per person and per team against the figures this script
#     wrote, its CSV and member points' CSV byte for byte the CLI's; points
#     with the rules of common/points.h.
#   - SQ01's desk after a sync: 孙磊's hours in the report back to his unit.
# Every refusal answers 422 (404 for a record not here) with the domain's
# message and leaves the replica byte for byte unchanged (sqlite3 .dump);
# every success is checked in the replica with sqlite3.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
W=$TX_TMP
chmod 700 "$W"
tx() { local n=$1; shift; "$TONGXIN" --replica "$W/$n.db" "$@"; }
q() { sqlite3 "$W/$1.db" "$2"; }
digest() { sqlite3 "$W/$DB.db" .dump | sha256sum; }
Y=$(TZ=Asia/Shanghai date +%Y)
LY=$((Y - 1))                # last year: every date below is in the past
TOMORROW=$(TZ=Asia/Shanghai date -d tomorrow +%F)

step "a street, two communities with a branch and a member each; 孙磊 reports to SQ02"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
tx street join "$W/street.bundle" >/dev/null
tx street -q sync
tx street -q org add --code SQ01 --name 和平社区 --kind community
tx street -q org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential
tx street -q org add --code SQ02 --name 幸福社区 --kind community
tx street -q org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type residential
tx street -q member add --name 孙磊 --gender male --ethnicity 汉族 --id-number "$(idn_male 19800101 7)" \
	--education master --category full --branch SQ01-01 --join-date 2005-07-01 --full-date 2006-07-01 \
	--job 市第一医院
tx street -q member add --name 王芳 --gender female --ethnicity 汉族 --id-number "$(idn_female 19700302 8)" \
	--education bachelor --category full --branch SQ02-01 --join-date 1995-07-01 --full-date 1996-07-01
tx street -q sync
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	tx "${d%:*}" join "$W/${d%:*}.bundle" >/dev/null
	tx "${d%:*}" -q sync
done
tx sq01 -q service report 孙磊 --community SQ02 --date "$LY-03-01"
tx sq01 -q sync
tx sq02 -q sync
[ "$(q sq02 "SELECT name FROM service_report")" = 孙磊 ] || fail "SQ02 does not hold 孙磊's report"
WANGFANG=$(q sq02 "SELECT id FROM member WHERE name = '王芳'")
[ -n "$WANGFANG" ] || fail "SQ02's replica lacks 王芳"

# api METHOD PATH [curl args]: the status; the body in $W/body.
api() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$W/body" -w '%{http_code}' -X "$m" "${J[@]}" "${OK[@]}" "$@" "$B$p"
}
# expect STATUS METHOD PATH [curl args]
expect() {
	local want=$1 got
	shift
	got=$(api "$@")
	[ "$got" = "$want" ] || fail "$1 $2 answered $got, want $want: $(cat "$W/body")"
}
# js EXPR: a Python expression over the body's JSON (as b) must be true.
js() {
	python3 -c 'import json, sys; b = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]): sys.exit("not true: " + sys.argv[2] + "\n" + json.dumps(b, ensure_ascii=False))' \
		"$W/body" "$1" || fail "JSON check failed: $1"
}
# refused STATUS TEXT METHOD PATH [curl args]: refused with TEXT in the message, nothing changed.
refused() {
	local want=$1 text=$2 d0
	shift 2
	d0=$(digest)
	expect "$want" "$@"
	js "'$text' in b.get('message', '') and b.get('ok') in (None, False)"
	[ "$(digest)" = "$d0" ] || fail "a refused $1 $2 changed the replica"
}
new_id() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$W/body"; }
# same_csv PATH CLI-ARGS...: the desk's CSV at PATH is byte for byte the CLI's --csv.
same_csv() {
	local p=$1
	shift
	curl -s -D "$W/hdr" -o "$W/desk.csv" "${J[@]}" "$B$p"
	grep -qi '^Content-Type: text/csv' "$W/hdr" || fail "$p: not a CSV: $(cat "$W/hdr")"
	grep -qi '^Content-Disposition: attachment' "$W/hdr" || fail "$p: not a download: $(cat "$W/hdr")"
	tx "$DB" --csv "$@" >"$W/cli.csv" || fail "tongxin $* --csv failed"
	cmp -s "$W/desk.csv" "$W/cli.csv" || fail "$p differs from tongxin $* --csv:
$(diff <(cat -A "$W/desk.csv") <(cat -A "$W/cli.csv"))"
}
# desk NAME: the desk on NAME's replica, signed in.
desk() {
	DB=$1
	desk_start 10 --replica "$W/$1.db" ui --listen "127.0.0.1:$UI_PORT"
	desk_login
	OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $B")
}
desk_stop() {
	kill -TERM "$UI_PID"
	wait "$UI_PID" || fail "the desk exited $? after SIGTERM"
}
# story MODE: the browser story (tests/web/volassess_story.mjs) on a fresh desk of $DB.
story() {
	need_browser
	desk_start 10 --replica "$W/$DB.db" ui --listen "127.0.0.1:$UI_PORT"
	rm -rf "$SHOTS/$1"
	run "$W/story.out" timeout 120 node "$WEB/volassess_story.mjs" "$URL" "$SHOTS/$1" "$1" "$LY"
	cat "$W/story.out"
	expect_rc 0 "the browser story ($1)"
	desk_stop
}
UI_PORT=$(free_port)

step "the street's desk: a foreign Host, a missing or wrong CSRF token, a wrong method"
desk street
IND=(--data-urlencode "year=$LY" --data-urlencode target=community --data-urlencode code=C1
	--data-urlencode name=组织建设 --data-urlencode points=60 --data-urlencode evidence=会议记录)
d0=$(digest)
got=$(curl -s -o "$W/body" -w '%{http_code}' "${J[@]}" -H "Host: evil.example:$UI_PORT" "$B/api/assess/indicators")
[ "$got" = 403 ] || fail "a foreign Host answered $got"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Origin: $B" "${IND[@]}" "$B/api/assess/indicators/add")
[ "$got" = 403 ] || fail "a POST without the CSRF token answered $got"
grep -q '"error":"csrf"' "$W/body" || fail "not refused as csrf: $(cat "$W/body")"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Origin: $B" -H "X-Tongxin-CSRF: ${CSRF%?}x" \
	"${IND[@]}" "$B/api/assess/indicators/add")
[ "$got" = 403 ] || fail "a POST with a wrong CSRF token answered $got"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Host: evil.example:$UI_PORT" \
	-H "X-Tongxin-CSRF: $CSRF" "${IND[@]}" "$B/api/assess/indicators/add")
[ "$got" = 403 ] || fail "a POST with a foreign Host answered $got"
[ "$(digest)" = "$d0" ] || fail "a refused request changed the replica"
[ "$(q street "SELECT count(*) FROM assessment_indicator")" = 0 ] || fail "an indicator was written"
expect 405 GET /api/assess/indicators/add
expect 405 POST /api/volunteer/report
expect 405 GET /api/volunteer/hours/add

step "indicators: refusals, then the year's 100 points for communities and for branches"
refused 422 "过长" POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C1 --data-urlencode name=组织建设 --data-urlencode points=60 \
	--data-urlencode "evidence=$(printf '证%.0s' $(seq 700))"
refused 422 "过长" GET "/api/assess/indicators?year=$(printf '2%.0s' $(seq 40))"
refused 422 "" POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=街道 \
	--data-urlencode code=C1 --data-urlencode name=组织建设 --data-urlencode points=60
refused 422 "" POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C1 --data-urlencode name=组织建设 --data-urlencode points=六十
refused 422 "100" POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C1 --data-urlencode name=组织建设 --data-urlencode points=101
expect 201 POST /api/assess/indicators/add "${IND[@]}"
C1=$(new_id)
refused 422 "C1" POST /api/assess/indicators/add "${IND[@]}"
refused 422 "100" POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C2 --data-urlencode name=服务群众 --data-urlencode points=41
expect 201 POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=社区党组织 \
	--data-urlencode code=C2 --data-urlencode name=服务群众 --data-urlencode points=40
expect 201 POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=branch \
	--data-urlencode code=B1 --data-urlencode name=三会一课 --data-urlencode points=100
[ "$(q street "SELECT group_concat(target || ':' || code || ':' || name || ':' || points, ',') FROM
	(SELECT * FROM assessment_indicator WHERE year = $LY ORDER BY target, code)")" = \
	"branch:B1:三会一课:100,community:C1:组织建设:60,community:C2:服务群众:40" ] ||
	fail "the indicators in the replica: $(q street "SELECT * FROM assessment_indicator")"
refused 422 "100" POST /api/assess/indicators/edit --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C2 --data-urlencode points=45
refused 404 "" POST /api/assess/indicators/edit --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C9 --data-urlencode name=无此指标
expect 200 POST /api/assess/indicators/edit --data-urlencode "year=$LY" --data-urlencode target=community \
	--data-urlencode code=C1 --data-urlencode name=组织建设与党建引领
[ "$(q street "SELECT name || ':' || points FROM assessment_indicator WHERE id = '$C1'")" = 组织建设与党建引领:60 ] ||
	fail "the edited indicator: $(q street "SELECT * FROM assessment_indicator WHERE id = '$C1'")"
expect 200 GET "/api/assess/indicators?year=$LY"
js "[(r['target']['code'], r['code'], r['points'], r['own']) for r in b['rows']] == [('community', 'C1', 60, True), ('community', 'C2', 40, True), ('branch', 'B1', 100, True)]"
js "sorted((t['target']['code'], t['points'], t['full']) for t in b['totals']) == [('branch', 100, True), ('community', 100, True)] and b['full'] == 100"
expect 200 GET "/api/assess/indicators?year=$Y"
js "b['rows'] == [] and all(t['points'] == 0 and not t['full'] for t in b['totals'])"

step "scores and stars: refusals, then SQ01 优秀, SQ02 未评完, SQ01-01 称职 with 4 stars"
SC=(--data-urlencode "year=$LY" --data-urlencode scorer=李评 --data-urlencode "date=$LY-12-20")
refused 422 "" POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01 --data-urlencode indicator=C2 \
	--data-urlencode points=40.5
refused 422 "" POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01 --data-urlencode indicator=C2 \
	--data-urlencode points=38.25
refused 404 "" POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ09 --data-urlencode indicator=C2 \
	--data-urlencode points=38
refused 404 "" POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01 --data-urlencode indicator=C9 \
	--data-urlencode points=38
refused 404 "党支部的考核指标“C1”" POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01-01 --data-urlencode indicator=C1 \
	--data-urlencode points=38
expect 201 POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01 --data-urlencode indicator=C1 \
	--data-urlencode points=50
js "b['edited'] is False"
S1=$(new_id)
expect 200 POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01 --data-urlencode indicator=C1 \
	--data-urlencode points=55
js "b['edited'] is True and b['id'] == '$S1'"
expect 201 POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01 --data-urlencode indicator=C2 \
	--data-urlencode points=38.5
expect 201 POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ02 --data-urlencode indicator=C1 \
	--data-urlencode points=40
expect 201 POST /api/assess/scores/add "${SC[@]}" --data-urlencode org=SQ01-01 --data-urlencode indicator=B1 \
	--data-urlencode points=80
[ "$(q street "SELECT o.code || ':' || i.code || ':' || s.points10 FROM assessment_score s
	JOIN org o ON o.id = s.org_id JOIN assessment_indicator i ON i.id = s.indicator_id
	ORDER BY s.points10" | paste -sd,)" = "SQ01:C2:385,SQ02:C1:400,SQ01:C1:550,SQ01-01:B1:800" ] ||
	fail "the scores in the replica: $(q street "SELECT * FROM assessment_score")"
refused 422 "" POST /api/assess/stars/add --data-urlencode org=SQ01-01 --data-urlencode "year=$LY" --data-urlencode stars=6
refused 422 "" POST /api/assess/stars/add --data-urlencode org=SQ01 --data-urlencode "year=$LY" --data-urlencode stars=3
refused 404 "" POST /api/assess/stars/add --data-urlencode org=SQ09-01 --data-urlencode "year=$LY" --data-urlencode stars=3
expect 201 POST /api/assess/stars/add --data-urlencode org=SQ01-01 --data-urlencode "year=$LY" --data-urlencode stars=3 \
	--data-urlencode by=和平街道党工委
expect 200 POST /api/assess/stars/add --data-urlencode org=SQ01-01 --data-urlencode "year=$LY" --data-urlencode stars=4
js "b['edited'] is True"
[ "$(q street "SELECT stars FROM star_rating")" = 4 ] || fail "the rating: $(q street "SELECT * FROM star_rating")"

step "the assessment report with grades, and its CSV"
expect 200 GET "/api/assess/report?year=$LY"
js "b['excellent_min'] == 90 and b['competent_min'] == 70 and '优秀' in b['rule']"
js "{r['code']: (r['total'], r['scored'], r['indicators'], r['grade'] and r['grade']['label'], r['stars']) for r in b['rows']} == {'SQ01': ('93.5', 2, 2, '优秀', None), 'SQ02': ('40', 1, 2, None, None), 'SQ01-01': ('80', 1, 1, '称职', 4), 'SQ02-01': ('0', 0, 1, None, None)}"
expect 200 GET "/api/assess/report?year=$LY&target=branch"
js "[r['code'] for r in b['rows']] == ['SQ01-01', 'SQ02-01']"
refused 422 "考核对象" GET "/api/assess/report?year=$LY&target=街道"
refused 422 "年度“20x5”无效" GET "/api/assess/report?year=20x5"
same_csv "/api/assess/report.csv?year=$LY" assess report --year "$LY"
grep -q "^SQ01,和平社区,.*,2/2,93.5,excellent," "$W/desk.csv" || fail "the report CSV's SQ01 line: $(cat "$W/desk.csv")"
desk_stop

step "the street's pages in chromium: this year's indicator (after a refused one), a score and stars"
story assess
[ "$(q street "SELECT target || '|' || code || '|' || name || '|' || points || '|' || evidence FROM assessment_indicator
	WHERE year = $Y")" = "community|C1|为民服务|100|台账" ] ||
	fail "the indicator the browser set: $(q street "SELECT * FROM assessment_indicator WHERE year = $Y")"
[ "$(q street "SELECT o.code || '|' || s.points10 || '|' || s.scorer FROM assessment_score s JOIN org o ON o.id = s.org_id
	JOIN assessment_indicator i ON i.id = s.indicator_id WHERE i.year = $Y")" = "SQ02|950|李评" ] ||
	fail "the score the browser gave: $(q street "SELECT * FROM assessment_score")"
[ "$(q street "SELECT o.code || '|' || r.stars || '|' || r.year FROM star_rating r JOIN org o ON o.id = r.org_id
	WHERE r.year = $Y")" = "SQ02-01|5|$Y" ] || fail "the stars the browser gave: $(q street "SELECT * FROM star_rating")"
tx street -q sync

step "SQ02's desk: indicators read only; a team, an activity and hours"
tx sq02 -q sync
desk sq02
refused 422 "" POST /api/assess/indicators/add --data-urlencode "year=$LY" --data-urlencode target=branch \
	--data-urlencode code=B2 --data-urlencode name=自设指标 --data-urlencode points=10
expect 200 GET "/api/assess/indicators?year=$LY"
js "len(b['rows']) == 3 and not any(r['own'] for r in b['rows'])"
refused 422 "" POST /api/assess/indicators/edit --data-urlencode "year=$LY" --data-urlencode target=branch \
	--data-urlencode code=B1 --data-urlencode name=改一改
TEAM=(--data-urlencode name=幸福志愿服务队 --data-urlencode leader=王芳 --data-urlencode founded_on=$LY-01-01)
refused 422 "" POST /api/volunteer/teams/add --data-urlencode leader=王芳
refused 404 "" POST /api/volunteer/teams/add "${TEAM[@]}" --data-urlencode org=SQ09
refused 422 "" POST /api/volunteer/teams/add --data-urlencode name=幸福志愿服务队 --data-urlencode "founded_on=$TOMORROW"
refused 422 "过长" POST /api/volunteer/teams/add --data-urlencode "name=$(printf '队%.0s' $(seq 80))"
expect 201 POST /api/volunteer/teams/add "${TEAM[@]}"
T=$(new_id)
[ "$(q sq02 "SELECT t.name || '|' || t.leader || '|' || o.code FROM volunteer_team t JOIN org o ON o.id = t.org_id")" = \
	"幸福志愿服务队|王芳|SQ02" ] || fail "the team in the replica: $(q sq02 "SELECT * FROM volunteer_team")"
refused 422 "" POST /api/volunteer/teams/add "${TEAM[@]}"
refused 404 "" POST /api/volunteer/activities/add --data-urlencode team=光明服务队 --data-urlencode "date=$LY-04-05" \
	--data-urlencode topic=清洁家园
refused 422 "" POST /api/volunteer/activities/add --data-urlencode team=幸福志愿服务队 --data-urlencode "date=$TOMORROW" \
	--data-urlencode topic=清洁家园
refused 422 "" POST /api/volunteer/activities/add --data-urlencode team=幸福志愿服务队 --data-urlencode "date=$LY-04-05"
expect 201 POST /api/volunteer/activities/add --data-urlencode team=幸福志愿服务队 --data-urlencode "date=$LY-04-05" \
	--data-urlencode topic=清洁家园 --data-urlencode place=幸福小区
A1=$(new_id)
expect 201 POST /api/volunteer/activities/add --data-urlencode "team=${T: -8}" --data-urlencode "date=$LY-06-01" \
	--data-urlencode topic=敬老助老
A2=$(new_id)
[ "$(q sq02 "SELECT group_concat(held_on || ':' || topic, ',') FROM (SELECT * FROM volunteer_activity ORDER BY held_on)")" = \
	"$LY-04-05:清洁家园,$LY-06-01:敬老助老" ] || fail "the activities: $(q sq02 "SELECT * FROM volunteer_activity")"
HR=(--data-urlencode "activity=${A1: -8}")
refused 422 "只能一项" POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode hours=2
refused 422 "只能一项" POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode member=王芳 --data-urlencode name=李大爷 \
	--data-urlencode hours=2
refused 422 "志愿活动编号" POST /api/volunteer/hours/add --data-urlencode activity=nosuchact --data-urlencode member=王芳 --data-urlencode hours=2
js "b['field'] == 'activity'"
refused 404 "" POST /api/volunteer/hours/add --data-urlencode activity=abcdef12 --data-urlencode member=王芳 --data-urlencode hours=2
refused 404 "" POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode member=无此人 --data-urlencode hours=2
refused 422 "" POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode member=王芳 --data-urlencode hours=两小时
expect 201 POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode member=王芳 --data-urlencode hours=2.5
refused 422 "" POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode member=王芳 --data-urlencode hours=1
expect 201 POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode report=孙磊 --data-urlencode hours=2
expect 201 POST /api/volunteer/hours/add "${HR[@]}" --data-urlencode name=李大爷 --data-urlencode hours=1.5小时
expect 201 POST /api/volunteer/hours/add --data-urlencode "activity=$A2" --data-urlencode member=王芳 --data-urlencode hours=1
[ "$(q sq02 "SELECT group_concat(name || ':' || minutes || ':' || (member_id IS NOT NULL) || (report_id IS NOT NULL), ',')
	FROM (SELECT * FROM volunteer_hours ORDER BY minutes, name)")" = "王芳:60:10,李大爷:90:00,孙磊:120:01,王芳:150:10" ] ||
	fail "the hours in the replica: $(q sq02 "SELECT * FROM volunteer_hours")"

expect 200 GET "/api/volunteer/activities/show?id=${A1: -8}"
js "b['activity']['id'] == '$A1' and sorted((p['name'], p['kind']['code'], p['minutes']) for p in b['participants']) == [('孙磊', 'in_service', 120), ('李大爷', 'resident', 90), ('王芳', 'member', 150)]"
expect 404 GET "/api/volunteer/activities/show?id=abcdef12"
expect 422 GET "/api/volunteer/activities/show?id=nosuchact"

step "the year's report per person and per team; its CSV and member points' CSV as the CLI's"
expect 200 GET /api/volunteer/teams
js "[(t['name'], t['activities'], t['people'], t['minutes']) for t in b['rows']] == [('幸福志愿服务队', 2, 4, 420)]"
expect 200 GET "/api/volunteer/activities?year=$LY"
js "[(a['topic'], a['people'], a['hours']) for a in b['rows']] == [('清洁家园', 3, '6'), ('敬老助老', 1, '1')]"
expect 200 GET "/api/volunteer/activities?year=$Y"
js "b['rows'] == []"
expect 200 GET "/api/volunteer/report?year=$LY"
js "sorted((p['name'], p['kind']['code'], p['activities'], p['hours']) for p in b['people']) == sorted([('王芳', 'member', 2, '3.5'), ('孙磊', 'in_service', 1, '2'), ('李大爷', 'resident', 1, '1.5')])"
js "b['people_total'] == 3 and b['minutes_total'] == 420 and b['hours_total'] == '7' and b['teams'][0]['minutes'] == 420"
refused 422 "年份" GET "/api/volunteer/report?year=20x5"
same_csv "/api/volunteer/report.csv?year=$LY" volunteer report --year "$LY"
grep -q "^王芳,member,幸福第一支部,2,3.5" "$W/desk.csv" || fail "the report CSV: $(cat "$W/desk.csv")"
expect 200 GET "/api/assess/points?year=$LY"
js "[(r['code'], r['points']) for r in b['rules']] == [('attendance', '2'), ('volunteer', '1'), ('dues', '1')]"
js "[(r['name'], r['minutes'], r['points']) for r in b['rows']] == [('王芳', 210, '3.5')]"
same_csv "/api/assess/points.csv?year=$LY" assess points --year "$LY"
desk_stop

step "SQ02's pages in chromium: an activity, hours refused then recorded, the report's bars; 考核 read only"
story volunteer
[ "$(q sq02 "SELECT h.name || ':' || h.minutes FROM volunteer_hours h JOIN volunteer_activity a ON a.id = h.activity_id
	WHERE a.topic = '垃圾分类宣传' AND a.place = '幸福小区广场' ORDER BY h.minutes" | paste -sd,)" = "张大妈:90,王芳:120" ] ||
	fail "the hours the browser recorded: $(q sq02 "SELECT * FROM volunteer_hours")"

step "SQ01's desk after a sync: 孙磊's hours in the report back to his unit"
tx sq02 -q sync
tx sq01 -q sync
desk sq01
expect 200 GET "/api/volunteer/back?year=$LY"
js "[(r['name'], r['minutes'], r['hours']) for r in b['rows']] == [('孙磊', 120, '2')] and b['hours_total'] == '2'"
same_csv "/api/volunteer/back.csv?year=$LY" volunteer back --year "$LY"
expect 200 GET "/api/assess/report?year=$LY"
js "{r['code']: r['total'] for r in b['rows']}.get('SQ01') == '93.5' and 'SQ02' not in {r['code'] for r in b['rows']}"
desk_stop
stop_server
step "ok"
