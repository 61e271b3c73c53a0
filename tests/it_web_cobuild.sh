#!/usr/bin/env bash
# it_web_cobuild.sh - the desk's API for co-building (web_api_cobuild.c),
# request by request (curl), against a real `tongxin ui` on replicas synced
# with a real tongxind: a street, 和平社区 (SQ01, a branch and a member) and
# 幸福社区 (SQ02).
#
#   - SQ01's desk: a foreign Host and a POST without (or with a wrong) CSRF
#     token are refused and write nothing; a unit added, refused first (bad
#     credit code, unknown kind, no name, a date in the future, a credit code
#     already registered), shown by id and handle, edited; an agreement added,
#     refused again while in force, ended (refused before it was signed and a
#     second time), a second one deleted; 微心愿 added (refusals: value, date,
#     no resident, a too long item), claimed by a member, a unit and a branch
#     (refusals: no claimant, two, an unknown member, a claimed wish again),
#     fulfilled and cancelled (refusals: the wrong state), listed by status
#     and month, the year's report (and its CSV) against counts this script
#     makes; 民情回音壁 added, assigned, replied and closed (refusals:
#     unknown source, no content, closing before the reply, a closed one
#     assigned), the overdue list as of a date (and its CSV). Every refusal
#     answers 422 (404 for a record not here) with the domain's message and
#     leaves the replica byte for byte unchanged; every success is checked
#     in the replica with sqlite3.
#   - the pages in chromium (tests/web/cobuild_story.mjs): a wish added
#     (after a refused one), claimed and fulfilled, the year's report and
#     chart; the overdue opinion highlighted and replied to; markup in a
#     grid shown as text; the rows checked in the replica afterwards.
#   - SQ02's desk: an agreement with SQ01's unit by its credit code (not held
#     here); after a sync the unit is here, 其他社区 (own false), and its edit
#     is refused.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
W=$TX_TMP
chmod 700 "$W"
tx() { local n=$1; shift; "$TONGXIN" --replica "$W/$n.db" "$@"; }
q() { sqlite3 "$W/$1.db" "$2"; }
digest() { sqlite3 "$W/$DB.db" .dump | sha256sum; }
CODE=12100000400000626K      # a valid 统一社会信用代码
Y=$(TZ=Asia/Shanghai date +%Y)
LY=$((Y - 1))                # last year: every date below is in the past
TOMORROW=$(TZ=Asia/Shanghai date -d tomorrow +%F)

step "a street, 和平社区 with a branch and a member, 幸福社区; both offices joined"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
tx street join "$W/street.bundle" >/dev/null
tx street -q sync
tx street -q org add --code SQ01 --name 和平社区 --kind community
tx street -q org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01
tx street -q org add --code SQ02 --name 幸福社区 --kind community
tx street -q member add --name 李明 --gender male --ethnicity 汉族 --id-number "$(idn_male 19700101 1)" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01
tx street -q sync
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	tx "${d%:*}" join "$W/${d%:*}.bundle" >/dev/null
	tx "${d%:*}" -q sync
done
SQ01=$(q sq01 "SELECT id FROM org WHERE code = 'SQ01'")
LIMING=$(q sq01 "SELECT id FROM member WHERE name = '李明'")
[ -n "$SQ01" ] && [ -n "$LIMING" ] || fail "SQ01's replica lacks its organisation or member"

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

step "SQ01's desk, signed in"
DB=sq01
UI_PORT=$(free_port)
B=http://127.0.0.1:$UI_PORT
desk_start 10 --replica "$W/sq01.db" ui --listen "127.0.0.1:$UI_PORT"
desk_login
OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $B")
UNIT=(--data-urlencode name=市第一医院 --data-urlencode kind=医院 --data-urlencode "credit_code=$CODE"
	--data-urlencode party_org=市第一医院党委 --data-urlencode party_members=120
	--data-urlencode contact_name=张敏 --data-urlencode contact_phone=13700000001
	--data-urlencode joined_on=2024-03-01)

step "a foreign Host, a missing or wrong CSRF token: refused, nothing written"
d0=$(digest)
got=$(curl -s -o "$W/body" -w '%{http_code}' "${J[@]}" -H "Host: evil.example:$UI_PORT" "$B/api/units")
[ "$got" = 403 ] || fail "a foreign Host answered $got"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Origin: $B" "${UNIT[@]}" "$B/api/units/add")
[ "$got" = 403 ] || fail "a POST without the CSRF token answered $got"
grep -q '"error":"csrf"' "$W/body" || fail "not refused as csrf: $(cat "$W/body")"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Origin: $B" -H "X-Tongxin-CSRF: ${CSRF%?}x" \
	--data-urlencode "id=x" --data-urlencode reply=x "$B/api/feedback/reply")
[ "$got" = 403 ] || fail "a POST with a wrong CSRF token answered $got"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Host: evil.example:$UI_PORT" \
	-H "X-Tongxin-CSRF: $CSRF" "${UNIT[@]}" "$B/api/units/add")
[ "$got" = 403 ] || fail "a POST with a foreign Host answered $got"
[ "$(digest)" = "$d0" ] || fail "a refused request changed the replica"
expect 405 GET /api/units/add
expect 405 POST /api/wishes/report
refused 422 "过长" POST /api/wishes/fulfil --data-urlencode "id=$(printf 'a%.0s' $(seq 300))"
refused 422 "过长" GET "/api/feedback?status=$(printf 'a%.0s' $(seq 40))"

step "units: refusals, then a unit added"
refused 422 "统一社会信用代码" POST /api/units/add --data-urlencode name=市第一医院 --data-urlencode kind=医院 \
	--data-urlencode credit_code=12100000400000626X
js "b['field'] == 'credit_code'"
refused 422 "单位类别" POST /api/units/add --data-urlencode name=市第一医院 --data-urlencode kind=工厂
refused 422 "单位名称" POST /api/units/add --data-urlencode kind=医院
refused 422 "晚于今天" POST /api/units/add --data-urlencode name=市第一医院 --data-urlencode kind=医院 \
	--data-urlencode "joined_on=$TOMORROW"
refused 422 "过长" POST /api/units/add --data-urlencode "name=$(printf '院%.0s' $(seq 80))" --data-urlencode kind=医院
expect 201 POST /api/units/add "${UNIT[@]}"
U=$(new_id)
[ "$(q sq01 "SELECT name || '|' || kind || '|' || credit_code || '|' || party_members || '|' || org_id FROM resident_unit")" = \
	"市第一医院|hospital|$CODE|120|$SQ01" ] || fail "the unit in the replica: $(q sq01 "SELECT * FROM resident_unit")"
refused 422 "已登记为“市第一医院”" POST /api/units/add --data-urlencode name=第一医院 --data-urlencode kind=医院 \
	--data-urlencode "credit_code=$CODE"

step "units: list, show by id and handle, edit"
expect 200 GET /api/units
js "len(b['rows']) == 1 and b['rows'][0]['id'] == '$U' and b['rows'][0]['own'] is True"
js "b['rows'][0]['kind'] == {'code': 'hospital', 'label': '医疗卫生机构'} and b['rows'][0]['community']['code'] == 'SQ01'"
js "b['rows'][0]['party_members'] == 120 and any(k['code'] == 'hospital' for k in b['kinds'])"
expect 200 GET "/api/units/show?id=$U"
js "b['unit']['name'] == '市第一医院' and b['agreements'] == []"
expect 200 GET "/api/units/show?id=${U: -8}"
js "b['unit']['id'] == '$U'"
expect 404 GET "/api/units/show?id=00000000-0000-7000-8000-00000000dead"
refused 422 "晚于今天" POST /api/units/edit --data-urlencode "id=$U" --data-urlencode "left_on=$TOMORROW"
refused 404 "" POST /api/units/edit --data-urlencode "id=00000000-0000-7000-8000-00000000dead" --data-urlencode note=x
expect 200 POST /api/units/edit --data-urlencode "id=$U" --data-urlencode contact_phone=13700000002 \
	--data-urlencode party_org=
[ "$(q sq01 "SELECT contact_phone || '|' || coalesce(party_org, 'NULL') || '|' || name FROM resident_unit")" = \
	"13700000002|NULL|市第一医院" ] || fail "the edit: $(q sq01 "SELECT * FROM resident_unit")"

step "agreements: add, refused while in force, end, delete"
refused 422 "驻区单位" POST /api/agreements/add --data-urlencode signed_on=$LY-01-10
refused 404 "没有驻区单位" POST /api/agreements/add --data-urlencode unit=不存在的单位 --data-urlencode signed_on=$LY-01-10
refused 422 "晚于今天" POST /api/agreements/add --data-urlencode "unit=$U" --data-urlencode "signed_on=$TOMORROW"
expect 201 POST /api/agreements/add --data-urlencode "unit=$U" --data-urlencode signed_on=$LY-01-10 \
	--data-urlencode ends_on=$((Y + 2))-12-31 --data-urlencode unit_commits=每月义诊 --data-urlencode community_commits=提供场地
G1=$(new_id)
refused 422 "" POST /api/agreements/add --data-urlencode "unit=市第一医院" --data-urlencode signed_on=$LY-02-10
expect 200 GET /api/agreements
js "len(b['rows']) == 1 and b['rows'][0]['in_force'] is True and b['rows'][0]['unit_name'] == '市第一医院'"
expect 200 GET "/api/units/show?id=$U"
js "len(b['agreements']) == 1 and b['agreements'][0]['unit_commits'] == '每月义诊' and b['unit']['agreements'] == 1"
refused 422 "" POST /api/agreements/end --data-urlencode "id=$G1" --data-urlencode date=$LY-01-01
expect 200 POST /api/agreements/end --data-urlencode "id=${G1: -8}" --data-urlencode date=$LY-06-30
[ "$(q sq01 "SELECT ended_on FROM agreement WHERE id = '$G1'")" = "$LY-06-30" ] || fail "the agreement did not end"
refused 422 "" POST /api/agreements/end --data-urlencode "id=$G1" --data-urlencode date=$LY-07-30
expect 200 GET /api/agreements
js "b['rows'] == []"
expect 200 GET "/api/agreements?all=1"
js "len(b['rows']) == 1 and b['rows'][0]['ended_on'] == '$LY-06-30' and b['rows'][0]['in_force'] is False"
expect 201 POST /api/agreements/add --data-urlencode "unit=$CODE" --data-urlencode signed_on=$LY-08-01
G2=$(new_id)
expect 200 POST /api/agreements/delete --data-urlencode "id=$G2"
[ "$(q sq01 "SELECT count(*) FROM agreement")" = 1 ] || fail "the deleted agreement is still there"
refused 404 "" POST /api/agreements/delete --data-urlencode "id=$G2"

step "微心愿: refusals, then three wishes"
refused 422 "估值“abc”无效" POST /api/wishes/add --data-urlencode resident_name=甲 --data-urlencode wish=乙 --data-urlencode value=abc
refused 422 "晚于今天" POST /api/wishes/add --data-urlencode resident_name=甲 --data-urlencode wish=乙 --data-urlencode "posted_on=$TOMORROW"
refused 422 "居民姓名" POST /api/wishes/add --data-urlencode wish=乙
refused 422 "过长" POST /api/wishes/add --data-urlencode resident_name=甲 --data-urlencode "wish=$(printf '心%.0s' $(seq 200))"
refused 404 "没有组织" POST /api/wishes/add --data-urlencode resident_name=甲 --data-urlencode wish=乙 \
	--data-urlencode org_id=00000000-0000-7000-8000-00000000dead
expect 201 POST /api/wishes/add --data-urlencode resident_name=李秀英 --data-urlencode wish=轮椅一台 \
	--data-urlencode value=50元 --data-urlencode posted_on=$LY-03-05 --data-urlencode grid=第一网格
W1=$(new_id)
expect 201 POST /api/wishes/add --data-urlencode resident_name=王建国 --data-urlencode wish=助听器 \
	--data-urlencode value=120.5 --data-urlencode posted_on=$LY-03-20
W2=$(new_id)
expect 201 POST /api/wishes/add --data-urlencode resident_name=张桂兰 --data-urlencode wish=陪同就医 \
	--data-urlencode posted_on=$LY-04-01
W3=$(new_id)
[ "$(q sq01 "SELECT group_concat(coalesce(value, 'NULL') || ':' || status, ' ') FROM (SELECT * FROM micro_wish ORDER BY posted_on)")" = \
	"5000:open 12050:open NULL:open" ] || fail "the wishes: $(q sq01 "SELECT * FROM micro_wish")"

step "微心愿: claims by a member, a unit and a branch; fulfil; cancel; their refusals"
refused 422 "认领人" POST /api/wishes/claim --data-urlencode "id=$W1"
refused 422 "认领人" POST /api/wishes/claim --data-urlencode "id=$W1" --data-urlencode member=李明 --data-urlencode branch=SQ01-01
refused 422 "" POST /api/wishes/claim --data-urlencode "id=$W1" --data-urlencode member=不存在
js "b['field'] == 'member'"
refused 422 "" POST /api/wishes/claim --data-urlencode "id=$W1" --data-urlencode branch=SQ01
js "b['field'] == 'branch'"
refused 404 "" POST /api/wishes/claim --data-urlencode id=00000000-0000-7000-8000-00000000dead --data-urlencode member=李明
refused 422 "只有已认领的心愿" POST /api/wishes/fulfil --data-urlencode "id=$W1"
expect 200 POST /api/wishes/claim --data-urlencode "id=$W1" --data-urlencode member=李明 --data-urlencode date=$LY-03-10
refused 422 "" POST /api/wishes/claim --data-urlencode "id=$W1" --data-urlencode member=李明
expect 200 POST /api/wishes/claim --data-urlencode "id=${W2: -8}" --data-urlencode unit=市第一医院 --data-urlencode date=$LY-04-02
expect 200 POST /api/wishes/claim --data-urlencode "id=$W3" --data-urlencode branch=SQ01-01 --data-urlencode date=$LY-04-03
refused 422 "晚于今天" POST /api/wishes/fulfil --data-urlencode "id=$W1" --data-urlencode "date=$TOMORROW"
expect 200 POST /api/wishes/fulfil --data-urlencode "id=$W1" --data-urlencode date=$LY-03-25 --data-urlencode photo=相册/2025/轮椅.jpg
expect 200 POST /api/wishes/fulfil --data-urlencode "id=$W2" --data-urlencode date=$LY-04-15
refused 422 "" POST /api/wishes/cancel --data-urlencode "id=$W1" --data-urlencode note=误登
expect 200 POST /api/wishes/cancel --data-urlencode "id=$W3" --data-urlencode note=家属已陪同
[ "$(q sq01 "SELECT group_concat(status || ':' || coalesce(by_member_id, '') || ':' || coalesce(by_unit_id, '') || ':' ||
	coalesce((SELECT code FROM org WHERE id = by_org_id), '') || ':' || coalesce(claimed_on, '') || ':' || coalesce(fulfilled_on, ''), ' ')
	FROM (SELECT * FROM micro_wish ORDER BY posted_on)")" = \
	"fulfilled:$LIMING:::$LY-03-10:$LY-03-25 fulfilled::$U::$LY-04-02:$LY-04-15 cancelled:::SQ01-01:$LY-04-03:" ] ||
	fail "the wishes after the steps: $(q sq01 "SELECT * FROM micro_wish")"

step "微心愿: lists by status and month, show, the year's report and its CSV"
expect 200 GET "/api/wishes?status=fulfilled"
js "[w['resident'] for w in b['rows']] == ['李秀英', '王建国'] and b['rows'][0]['claimant'] == {'kind': 'member', 'label': '党员', 'name': '李明'}"
js "b['rows'][1]['claimant']['name'] == '市第一医院' and b['rows'][0]['value'] == 5000 and b['rows'][0]['value_yuan'] == '50.00'"
expect 200 GET "/api/wishes?status=已撤销"
js "[w['id'] for w in b['rows']] == ['$W3'] and b['rows'][0]['status']['code'] == 'cancelled'"
expect 200 GET "/api/wishes?month=$LY-03"
js "len(b['rows']) == 2 and any(s['code'] == 'open' for s in b['statuses'])"
refused 422 "状态" GET "/api/wishes?status=nonsense"
refused 422 "" GET "/api/wishes?month=$LY-13"
expect 200 GET "/api/wishes/show?id=${W1: -8}"
js "b['wish']['photo'] == '相册/2025/轮椅.jpg' and b['wish']['grid'] == '第一网格' and b['wish']['org']['code'] == 'SQ01'"
expect 404 GET "/api/wishes/show?id=00000000-0000-7000-8000-00000000dead"
expect 200 GET "/api/wishes/report?year=$LY"
# By this script's dates: March posted 2 / claimed 1 / fulfilled 1 (50 元); April 1 / 2 / 1 (120.50 元).
js "[(r['org']['code'], r['month'], r['posted'], r['claimed'], r['fulfilled'], r['value_fulfilled']) for r in b['rows']] == [('SQ01', '$LY-03', 2, 1, 1, 5000), ('SQ01', '$LY-04', 1, 2, 1, 12050)]"
js "b['total'] == {'posted': 3, 'claimed': 3, 'fulfilled': 2, 'value_fulfilled': 17050, 'value_fulfilled_yuan': '170.50'}"
expect 200 GET "/api/wishes/report?year=$Y"
js "b['rows'] == [] and b['total']['posted'] == 0"
refused 422 "年份" GET "/api/wishes/report?year=20x5"
curl -s -D "$W/hdr" -o "$W/report.csv" "${J[@]}" "$B/api/wishes/report.csv?year=$LY"
grep -qi '^Content-Type: text/csv' "$W/hdr" || fail "the report CSV's type: $(cat "$W/hdr")"
grep -qi "^Content-Disposition: attachment; filename=\"tongxin-wishes-$LY.csv\"" "$W/hdr" || fail "the CSV's name: $(cat "$W/hdr")"
sed '1s/^\xef\xbb\xbf//' "$W/report.csv" | tr -d '\r' >"$W/report.txt"
[ "$(cat "$W/report.txt")" = "组织编码,社区或支部,月份,征集,认领,实现,实现心愿估值（元）
SQ01,和平社区,$LY-03,2,1,1,50.00
SQ01,和平社区,$LY-04,1,2,1,120.50" ] || fail "the report CSV: $(cat "$W/report.txt")"

step "民情回音壁: refusals, then two opinions"
refused 422 "来源" POST /api/feedback/add --data-urlencode content=路灯不亮 --data-urlencode source=报纸 --data-urlencode category=环境
refused 422 "反映内容" POST /api/feedback/add --data-urlencode source=wall --data-urlencode category=environment
refused 422 "晚于今天" POST /api/feedback/add --data-urlencode content=x --data-urlencode source=wall \
	--data-urlencode category=environment --data-urlencode "received_on=$TOMORROW"
expect 200 GET /api/feedback
js "b['rows'] == [] and b['reply_days'] == 7 and len(b['sources']) > 0 and len(b['categories']) > 0"
SRC=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sources"][0]["label"])' "$W/body")
CAT=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["categories"][0]["label"])' "$W/body")
expect 201 POST /api/feedback/add --data-urlencode content=小区路灯不亮 --data-urlencode "source=$SRC" \
	--data-urlencode "category=$CAT" --data-urlencode resident_name=陈阿姨 --data-urlencode resident_phone=13900000001 \
	--data-urlencode grid=第二网格 --data-urlencode received_on=$LY-03-01
F1=$(new_id)
expect 201 POST /api/feedback/add --data-urlencode content='=HYPERLINK("x")楼道堆物' --data-urlencode "source=$SRC" \
	--data-urlencode "category=$CAT" --data-urlencode received_on=$LY-03-02
F2=$(new_id)
[ "$(q sq01 "SELECT group_concat(status || ':' || received_on, ' ') FROM (SELECT * FROM feedback ORDER BY received_on)")" = \
	"open:$LY-03-01 open:$LY-03-02" ] || fail "the opinions: $(q sq01 "SELECT * FROM feedback")"

step "民情回音壁: assign, reply, close; their refusals"
refused 422 "" POST /api/feedback/assign --data-urlencode "id=$F1"
refused 422 "" POST /api/feedback/assign --data-urlencode "id=$F1" --data-urlencode member=不存在
js "b['field'] == 'member'"
refused 404 "" POST /api/feedback/assign --data-urlencode id=00000000-0000-7000-8000-00000000dead --data-urlencode handler=王主任
refused 422 "" POST /api/feedback/close --data-urlencode "id=$F1"
expect 200 POST /api/feedback/assign --data-urlencode "id=$F1" --data-urlencode member=李明
[ "$(q sq01 "SELECT status || ':' || handler_member_id FROM feedback WHERE id = '$F1'")" = "handling:$LIMING" ] ||
	fail "the assignment: $(q sq01 "SELECT * FROM feedback WHERE id = '$F1'")"
refused 422 "" POST /api/feedback/reply --data-urlencode "id=$F1" --data-urlencode date=$LY-03-05
refused 422 "过长" POST /api/feedback/reply --data-urlencode "id=$F1" --data-urlencode "reply=$(printf '回%.0s' $(seq 700))"
expect 200 POST /api/feedback/reply --data-urlencode "id=${F1: -8}" --data-urlencode reply=已联系物业更换灯泡 \
	--data-urlencode date=$LY-03-05
expect 200 POST /api/feedback/close --data-urlencode "id=$F1"
refused 422 "" POST /api/feedback/assign --data-urlencode "id=$F1" --data-urlencode handler=王主任
refused 422 "" POST /api/feedback/reply --data-urlencode "id=$F1" --data-urlencode reply=再次回音
[ "$(q sq01 "SELECT status || ':' || reply || ':' || replied_on FROM feedback WHERE id = '$F1'")" = \
	"closed:已联系物业更换灯泡:$LY-03-05" ] || fail "the reply: $(q sq01 "SELECT * FROM feedback WHERE id = '$F1'")"
expect 200 GET "/api/feedback?status=closed"
js "[f['id'] for f in b['rows']] == ['$F1'] and b['rows'][0]['handler'] == '李明' and b['rows'][0]['due_on'] == '$LY-03-08'"
expect 200 GET "/api/feedback/show?id=$F2"
js "b['opinion']['status']['code'] == 'open' and b['opinion']['content'].startswith('=HYPERLINK')"
refused 422 "" GET "/api/feedback?status=nonsense"

step "民情回音壁: the overdue list as of a date, and its CSV"
expect 200 GET "/api/feedback/overdue?as_of=$LY-03-20"
# F2 was received on 03-02, due 03-09, not replied: 11 days over on 03-20; F1 was replied in time.
js "[(f['id'], f['days_over'], f['due_on']) for f in b['rows']] == [('$F2', 11, '$LY-03-09')] and b['as_of'] == '$LY-03-20'"
expect 200 GET "/api/feedback/overdue?as_of=$LY-03-05"
js "b['rows'] == []"
refused 422 "" GET "/api/feedback/overdue?as_of=$LY-02-30"
curl -s -D "$W/hdr" -o "$W/overdue.csv" "${J[@]}" "$B/api/feedback/overdue.csv?as_of=$LY-03-20"
grep -qi '^Content-Type: text/csv' "$W/hdr" || fail "the overdue CSV's type: $(cat "$W/hdr")"
sed '1s/^\xef\xbb\xbf//' "$W/overdue.csv" | tr -d '\r' >"$W/overdue.txt"
[ "$(wc -l <"$W/overdue.txt")" = 2 ] || fail "the overdue CSV's lines: $(cat "$W/overdue.txt")"
head -n 1 "$W/overdue.txt" | grep -q '^简号,社区或支部,收集日期,应回音日期,逾期天数' || fail "the overdue CSV's header: $(cat "$W/overdue.txt")"
grep -q "^${F2: -8},和平社区,$LY-03-02,$LY-03-09,11,$SRC,$CAT,," "$W/overdue.txt" || fail "the overdue CSV's line: $(cat "$W/overdue.txt")"
grep -q "'=HYPERLINK" "$W/overdue.txt" || fail "a formula cell was not neutralised: $(cat "$W/overdue.txt")"
grep -q 陈阿姨 "$W/overdue.txt" && fail "the CSV carries a resident's name"
# An opinion whose grid is markup: the pages must show it as text (the browser story).
expect 201 POST /api/feedback/add --data-urlencode content=垃圾桶不够 --data-urlencode "source=$SRC" \
	--data-urlencode "category=$CAT" --data-urlencode 'grid=<img src=x onerror=alert(1)>'
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the desk exited $? after SIGTERM"

step "the pages in chromium: a wish added, claimed and fulfilled; the overdue opinion replied"
need_browser
desk_start 10 --replica "$W/sq01.db" ui --listen "127.0.0.1:$UI_PORT"
rm -rf "$SHOTS"
run "$W/story.out" timeout 120 node "$WEB/cobuild_story.mjs" "$URL" "$SHOTS"
cat "$W/story.out"
expect_rc 0 "the browser story"
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the desk exited $? after SIGTERM"
[ "$(q sq01 "SELECT wish || '|' || value || '|' || status || '|' || by_member_id || '|' || photo FROM micro_wish
	WHERE resident_name = '刘奶奶'")" = "一台收音机|8000|fulfilled|$LIMING|相册/收音机.jpg" ] ||
	fail "the wish the browser added: $(q sq01 "SELECT * FROM micro_wish WHERE resident_name = '刘奶奶'")"
[ "$(q sq01 "SELECT status || '|' || reply || '|' || replied_on FROM feedback WHERE id = '$F2'")" = \
	"replied|已协调物业清理楼道，居民表示满意|$(TZ=Asia/Shanghai date +%F)" ] ||
	fail "the opinion the browser replied to: $(q sq01 "SELECT * FROM feedback WHERE id = '$F2'")"

step "SQ02's desk: an agreement with SQ01's unit by its credit code; after a sync it is here, read only"
tx sq01 -q sync
DB=sq02
desk_start 10 --replica "$W/sq02.db" ui --listen "127.0.0.1:$UI_PORT"
desk_login
OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $B")
[ "$(q sq02 "SELECT count(*) FROM resident_unit")" = 0 ] || fail "SQ02 holds the unit before any agreement"
expect 201 POST /api/agreements/add --data-urlencode "unit=$CODE" --data-urlencode signed_on=$LY-05-01 \
	--data-urlencode unit_commits=送医上门
G3=$(new_id)
[ "$(q sq02 "SELECT unit_code || '|' || coalesce(unit_id, 'NULL') FROM agreement")" = "$CODE|NULL" ] ||
	fail "SQ02's agreement: $(q sq02 "SELECT * FROM agreement")"
expect 200 GET /api/agreements
js "len(b['rows']) == 1 and b['rows'][0]['unit_name'] is None and b['rows'][0]['unit_code'] == '$CODE'"
tx sq02 -q sync
[ "$(q sq02 "SELECT id FROM resident_unit")" = "$U" ] || fail "SQ02 does not hold the unit after the sync"
expect 200 GET /api/units
js "len(b['rows']) == 1 and b['rows'][0]['own'] is False and b['rows'][0]['community']['visible'] is False and b['rows'][0]['agreements'] == 1"
expect 200 GET "/api/units/show?id=$U"
js "[g['id'] for g in b['agreements']] == ['$G3'] and b['agreements'][0]['community']['code'] == 'SQ02'"
refused 422 "" POST /api/units/edit --data-urlencode "id=$U" --data-urlencode note=改一改
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "SQ02's desk exited $? after SIGTERM"
stop_server
step "ok"
