#!/usr/bin/env bash
# it_web_work.sh - the desk's API for 会议 and 清单 (web_api_work.c), request
# by request (curl), on an offline office replica (no server runs: the desk
# works with the cable pulled):
#
#   - the attendance checklist of a branch: its members and its groups'
#     members of normal standing, not another branch's, not a suspended one;
#   - a meeting with its roll saved in one request as one outbox
#     transaction; refusals (an excused member without a reason, a member of
#     another branch, a date in the future) answer 422 (or the check's
#     "no") naming the field, the roll's "r.ID" / "a.ID" included, and leave
#     the replica byte for byte unchanged;
#   - the meeting's page data: typed kind and attendance {code, label},
#     counts as numbers; the list by organisation, kind and year;
#   - an item added, claimed, rectified and closed out, each step refused
#     with its field when wrong (no claimant, a date before the claim, a
#     close before the rectification) and changing nothing; the steps the
#     domain offers next; the list by status.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
D=$TX_TMP
chmod 700 "$D"
DB=$D/office.db
tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }
digest() { sqlite3 "$DB" .dump | sha256sum; }
idn() {
	python3 -c 'import sys; s = sys.argv[1]; w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(s + "10X98765432"[sum(int(a) * b for a, b in zip(s, w)) % 11])' "$1"
}

step "set up: an offline replica with two branches, a group and five members"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen 127.0.0.1:1 >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device office --out "$D/b.bundle" >/dev/null
tx join "$D/b.bundle" >/dev/null
q "INSERT INTO org(id,code,name,kind,dissolved,_version)
   VALUES ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)"
tx -q org add --code SQ01 --name 幸福社区 --kind community
tx -q org add --code ZB01 --name 第一党支部 --kind branch --parent SQ01 --branch-type residential
tx -q org add --code ZB01-1 --name 第一党小组 --kind group --parent ZB01
tx -q org add --code ZB02 --name 第二党支部 --kind branch --parent SQ01 --branch-type residential
n=0
for p in "张三 ZB01" "李四 ZB01" "王五 ZB01-1" "赵六 ZB02" "钱七 ZB01"; do
	set -- $p
	n=$((n + 1))
	# Men: region 110105 (GB/T 2260) and an odd 17th digit (GB 11643).
	tx -q member add --name "$1" --gender male --ethnicity 汉族 --id-number "$(idn 1101051970010100$((2 * n - 1)))" \
		--education bachelor --category full --branch "$2" --join-date 2000-07-01
done
q "UPDATE member SET standing = 'suspended' WHERE name = '钱七'"
mid() { q "SELECT id FROM member WHERE name = '$1'"; }
ZS=$(mid 张三) LS=$(mid 李四) WW=$(mid 王五) ZL=$(mid 赵六) QQ=$(mid 钱七)
ZB01=$(q "SELECT id FROM org WHERE code = 'ZB01'")
OUT0=$(q "SELECT count(*) FROM outbox")

step "start the desk and sign in"
UI_PORT=$(free_port)
B=http://127.0.0.1:$UI_PORT
desk_start 10 --replica "$DB" ui --listen "127.0.0.1:$UI_PORT"
desk_login
OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $B")

# api METHOD PATH [curl args]: the status; the body in $D/body.
api() {
	local m=$1 p=$2
	shift 2
	curl -s -o "$D/body" -w '%{http_code}' -X "$m" "${J[@]}" "${OK[@]}" "$@" "$B$p"
}
# expect STATUS METHOD PATH [curl args]
expect() {
	local want=$1 got
	shift
	got=$(api "$@")
	[ "$got" = "$want" ] || fail "$1 $2 answered $got, want $want: $(cat "$D/body")"
}
# js EXPR: a Python expression over the body's JSON (as b) must be true.
js() {
	python3 -c 'import json, sys; b = json.load(open(sys.argv[1]))
if not eval(sys.argv[2]): sys.exit("not true: " + sys.argv[2] + "\n" + json.dumps(b, ensure_ascii=False))' \
		"$D/body" "$1" || fail "JSON check failed: $1"
}
# refused STATUS FIELD METHOD PATH [curl args]: refused, naming FIELD, nothing changed.
refused() {
	local want=$1 field=$2 d0
	shift 2
	d0=$(digest)
	expect "$want" "$@"
	js "b.get('field') == ('$field' or None) and b.get('ok') in (None, False)"
	[ "$(digest)" = "$d0" ] || fail "a refused $1 $2 changed the replica"
}

step "the attendance checklist: the branch and its group, normal standing only"
expect 200 GET "/api/branch-members?org=$ZB01"
js "[m['name'] for m in b['members']] == ['张三', '李四', '王五'] and b['more'] is False"
js "b['members'][2]['org_name'] == '第一党小组'"
expect 404 GET "/api/branch-members?org=00000000-0000-7000-8000-00000000dead"

step "a meeting's refusals name the field and change nothing"
M=(--data-urlencode "org_id=$ZB01" --data-urlencode kind=支委会 --data-urlencode held_on=2025-05-10
	--data-urlencode topic=学习党章 --data-urlencode host=张三 --data-urlencode "a.$ZS=present")
refused 200 "r.$LS" POST /api/meetings/check "${M[@]}" --data-urlencode "a.$LS=excused"
js "b['message'].startswith('请假须说明事由') and '李四' in b['message']"
refused 422 "r.$LS" POST /api/meetings "${M[@]}" --data-urlencode "a.$LS=excused"
refused 422 "a.$ZL" POST /api/meetings "${M[@]}" --data-urlencode "a.$ZL=present"
js "'不属于' in b['message']"
refused 422 held_on POST /api/meetings --data-urlencode "org_id=$ZB01" --data-urlencode kind=党课 \
	--data-urlencode held_on=2999-01-01 --data-urlencode topic=x
refused 422 topic POST /api/meetings --data-urlencode "org_id=$ZB01" --data-urlencode kind=党课 \
	--data-urlencode held_on=2025-01-01
expect 200 POST /api/meetings/check "${M[@]}" --data-urlencode "a.$LS=excused" --data-urlencode "r.$LS=出差"
js "b['ok'] is True and b['saved'] is False"
[ "$(q "SELECT count(*) FROM outbox")" = "$OUT0" ] || fail "a check wrote to the outbox"

step "a meeting with its roll: one request, one outbox transaction"
expect 201 POST /api/meetings "${M[@]}" --data-urlencode "a.$LS=excused" --data-urlencode "r.$LS=出差" \
	--data-urlencode "a.$WW=absent" --data-urlencode "r.$WW=ignored"
MID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$D/body")
[ "$(q "SELECT count(*) FROM outbox")" = $((OUT0 + 1)) ] || fail "not one outbox transaction"
[ "$(q "SELECT nchanges FROM outbox ORDER BY seq DESC LIMIT 1")" = 4 ] || fail "not 4 changes"
[ "$(q "SELECT count(*) FROM attendance WHERE reason IS NOT NULL")" = 1 ] ||
	fail "a reason was kept for a member who was not excused"

step "the meeting's page: typed, with its roll"
expect 200 GET "/api/meeting?id=$MID"
js "b['kind'] == {'code': 'committee_meeting', 'label': '支委会'} and b['org_name'] == '第一党支部'"
js "(b['present'], b['excused'], b['absent']) == (1, 1, 1)"
js "[(a['name'], a['status']['label'], a['reason']) for a in b['attendance']] == [('张三', '出席', None), ('李四', '请假', '出差'), ('王五', '缺席', None)]"
expect 404 GET "/api/meeting?id=00000000-0000-7000-8000-00000000dead"
expect 200 GET "/api/meetings?org=$ZB01&year=2025"
js "len(b['rows']) == 1 and b['rows'][0]['id'] == '$MID' and b['rows'][0]['excused'] == 1"
expect 200 GET "/api/meetings?year=2024"
js "b['rows'] == []"
expect 200 GET "/api/meetings?kind=党课"
js "b['rows'] == []"
expect 422 GET "/api/meetings?year=20x5"

step "an item: add, claim, rectify, close out, each refusal naming its field"
refused 422 title POST /api/items --data-urlencode "org_id=$ZB01" --data-urlencode kind=问题清单
refused 422 status POST /api/items --data-urlencode "org_id=$ZB01" --data-urlencode kind=问题清单 \
	--data-urlencode title=x --data-urlencode status=closed
expect 201 POST /api/items --data-urlencode "org_id=$ZB01" --data-urlencode kind=问题清单 \
	--data-urlencode title=楼道堆物 --data-urlencode due_on=2025-03-31
IID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$D/body")
expect 200 GET "/api/item?id=$IID"
js "b['status']['code'] == 'open' and b['next'] == ['claim', 'rectify'] and b['overdue'] is True"
refused 422 by POST /api/items/claim --data-urlencode "id=$IID"
expect 201 POST /api/items/claim --data-urlencode "id=$IID" --data-urlencode by=第一党支部 \
	--data-urlencode date=2025-04-01
refused 422 date POST /api/items/rectify --data-urlencode "id=$IID" --data-urlencode note=已清理 \
	--data-urlencode date=2025-03-01
refused 422 "" POST /api/items/close --data-urlencode "id=$IID" --data-urlencode note=验收
expect 201 POST /api/items/rectify --data-urlencode "id=$IID" --data-urlencode note=已清理 \
	--data-urlencode date=2025-04-10
expect 200 GET "/api/item?id=$IID"
js "b['status']['label'] == '已整改' and b['next'] == ['rectify', 'close']"
expect 201 POST /api/items/close --data-urlencode "id=$IID" --data-urlencode note=验收合格
expect 200 GET "/api/item?id=$IID"
js "b['status']['code'] == 'closed' and b['next'] == [] and b['claimed_by'] == '第一党支部' and b['rectification'] == '已清理' and b['close_note'] == '验收合格' and b['overdue'] is False"
refused 422 "" POST /api/items/close --data-urlencode "id=$IID"
expect 404 POST /api/items/claim --data-urlencode "id=00000000-0000-7000-8000-00000000dead" \
	--data-urlencode by=x
expect 200 GET "/api/items?status=已销号"
js "[i['title'] for i in b['rows']] == ['楼道堆物']"
expect 200 GET "/api/items?status=open"
js "b['rows'] == []"
expect 422 GET "/api/items?kind=杂项"
step "ok"
