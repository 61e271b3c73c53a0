#!/usr/bin/env bash
# it_web_claimfund.sh - the desk's API for claims on list items, the month's
# 公示 board and the service fund (web_api_claimfund.c), request by request
# (curl), against a real `tongxin ui` on replicas synced with a real
# tongxind: a street, 和平社区 (SQ01, a branch, a member, a resident unit,
# three list items) and 幸福社区 (SQ02).
#
#   - a foreign Host and a POST without (or with a wrong) CSRF token are
#     refused and write nothing; a wrong method is 405; a too long id 422.
#   - claims: refusals (no item, an unknown item, no claimant, two, an
#     unknown member or branch, a date in the future, the same claimant
#     twice while active), then claims by a branch, a unit and a member (a
#     责任 item), progress, done with its result (refused without one),
#     withdraw (refused twice); the item follows its claims; the claims of an
#     item with their next steps; the board of two months and its CSV, byte
#     for byte tongxin item board --csv.
#   - the fund: budget refusals (no year, no amount, a branch, a future
#     date, a second for the year), spending refusals (no purpose, nothing,
#     an unknown item), entries in Q2 and Q3 (one paid for an item), the book
#     with the running balance, the quarter's disclosure against figures this
#     script computes, its CSV byte for byte tongxin fund disclose --csv; an
#     entry beyond the budget written with over true.
#   Every refusal answers 422 (404 for a record not here) with the domain's
#   message and leaves the replica byte for byte unchanged; every success is
#   checked in the replica with sqlite3.
#   - the pages in chromium (tests/web/claimfund_story.mjs), rows checked after.
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

step "a street, 和平社区 with a branch, a member, a unit and three items; 幸福社区"
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
tx sq01 -q unit add --name 市第一医院 --kind 医院 --credit-code "$CODE" --joined-on 2024-03-01
tx sq01 -q item add --kind need --title 独居老人助餐
tx sq01 -q item add --kind responsibility --title 楼道整治责任 --org SQ01-01
tx sq01 -q item add --kind problem --title 路灯损坏 --due-on "$LY-07-31"
SQ01=$(q sq01 "SELECT id FROM org WHERE code = 'SQ01'")
BR=$(q sq01 "SELECT id FROM org WHERE code = 'SQ01-01'")
LIMING=$(q sq01 "SELECT id FROM member WHERE name = '李明'")
U=$(q sq01 "SELECT id FROM resident_unit")
I1=$(q sq01 "SELECT id FROM list_item WHERE title = '独居老人助餐'")
I2=$(q sq01 "SELECT id FROM list_item WHERE title = '楼道整治责任'")
I3=$(q sq01 "SELECT id FROM list_item WHERE title = '路灯损坏'")
[ -n "$SQ01" ] && [ -n "$LIMING" ] && [ -n "$U" ] && [ -n "$I1" ] && [ -n "$I2" ] ||
	fail "SQ01's replica lacks its organisation, member, unit or items"

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
item_status() { q sq01 "SELECT status FROM list_item WHERE id = '$1'"; }

step "SQ01's desk, signed in"
DB=sq01
UI_PORT=$(free_port)
B=http://127.0.0.1:$UI_PORT
desk_start 10 --replica "$W/sq01.db" ui --listen "127.0.0.1:$UI_PORT"
desk_login
OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $B")

step "a foreign Host, a missing or wrong CSRF token: refused, nothing written"
d0=$(digest)
got=$(curl -s -o "$W/body" -w '%{http_code}' "${J[@]}" -H "Host: evil.example:$UI_PORT" "$B/api/board")
[ "$got" = 403 ] || fail "a foreign Host answered $got"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Origin: $B" \
	--data-urlencode "item=$I1" --data-urlencode branch=SQ01-01 "$B/api/claims/add")
[ "$got" = 403 ] || fail "a claim without the CSRF token answered $got"
grep -q '"error":"csrf"' "$W/body" || fail "not refused as csrf: $(cat "$W/body")"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Origin: $B" -H "X-Tongxin-CSRF: ${CSRF%?}x" \
	--data-urlencode year=$LY --data-urlencode amount=1 "$B/api/fund/budget")
[ "$got" = 403 ] || fail "a budget with a wrong CSRF token answered $got"
got=$(curl -s -o "$W/body" -w '%{http_code}' -X POST "${J[@]}" -H "Host: evil.example:$UI_PORT" \
	-H "X-Tongxin-CSRF: $CSRF" --data-urlencode amount=1 --data-urlencode purpose=x --data-urlencode approver=y \
	"$B/api/fund/spend")
[ "$got" = 403 ] || fail "a spending entry with a foreign Host answered $got"
[ "$(digest)" = "$d0" ] || fail "a refused request changed the replica"
[ "$(q sq01 "SELECT count(*) FROM claim") $(q sq01 "SELECT count(*) FROM fund_budget")" = "0 0" ] ||
	fail "a refused request wrote a claim or a budget"
expect 405 GET /api/claims/add
expect 405 GET /api/fund/spend
expect 405 POST /api/board
refused 422 "过长" POST /api/claims/done --data-urlencode "id=$(printf 'a%.0s' $(seq 300))" --data-urlencode result=x
refused 422 "过长" GET "/api/board?month=$(printf '2%.0s' $(seq 20))"

step "claims: refusals"
refused 422 "清单编号" POST /api/claims/add --data-urlencode branch=SQ01-01
refused 404 "" POST /api/claims/add --data-urlencode item=00000000-0000-7000-8000-00000000dead --data-urlencode branch=SQ01-01
refused 422 "三者选一" POST /api/claims/add --data-urlencode "item=$I1"
js "b['field'] == 'branch'"
refused 422 "三者选一" POST /api/claims/add --data-urlencode "item=$I1" --data-urlencode branch=SQ01-01 --data-urlencode "unit=$U"
refused 422 "" POST /api/claims/add --data-urlencode "item=$I1" --data-urlencode member=王不在
js "b['field'] == 'member'"
refused 422 "SQ09" POST /api/claims/add --data-urlencode "item=$I1" --data-urlencode branch=SQ09
js "b['field'] == 'branch'"
refused 422 "晚于今天" POST /api/claims/add --data-urlencode "item=$I1" --data-urlencode branch=SQ01-01 \
	--data-urlencode "date=$TOMORROW"

step "claims: a branch, a unit and a member claim; the item follows"
expect 201 POST /api/claims/add --data-urlencode "item=$I1" --data-urlencode branch=SQ01-01 --data-urlencode date=$LY-04-10
C1=$(new_id)
[ "$(q sq01 "SELECT item_id || '|' || by_org_id || '|' || state || '|' || claimed_on FROM claim WHERE id = '$C1'")" = \
	"$I1|$BR|claimed|$LY-04-10" ] || fail "the branch's claim: $(q sq01 "SELECT * FROM claim")"
[ "$(item_status "$I1")" = claimed ] || fail "the item after its claim: $(item_status "$I1")"
refused 422 "" POST /api/claims/add --data-urlencode "item=${I1: -8}" --data-urlencode branch=SQ01-01 --data-urlencode date=$LY-04-11
expect 201 POST /api/claims/add --data-urlencode "item=${I1: -8}" --data-urlencode "unit=$U" --data-urlencode date=$LY-04-12
C2=$(new_id)
[ "$(q sq01 "SELECT by_unit_id || '|' || state FROM claim WHERE id = '$C2'")" = "$U|claimed" ] ||
	fail "the unit's claim: $(q sq01 "SELECT * FROM claim WHERE id = '$C2'")"
expect 201 POST /api/claims/add --data-urlencode "item=$I2" --data-urlencode "member=$LIMING" --data-urlencode date=$LY-05-03
C3=$(new_id)
[ "$(q sq01 "SELECT by_member_id || '|' || state FROM claim WHERE id = '$C3'") $(item_status "$I2")" = \
	"$LIMING|claimed claimed" ] || fail "the member's claim of a 责任 item: $(q sq01 "SELECT * FROM claim WHERE id = '$C3'")"
expect 200 GET "/api/claims?item=$I1"
js "[(c['id'], c['claimant']['kind'], c['state']['code']) for c in b['rows']] == [('$C1', 'branch', 'claimed'), ('$C2', 'unit', 'claimed')]"
js "b['rows'][0]['claimant']['name'] == '和平第一支部' and b['rows'][1]['claimant']['name'] == '市第一医院'"
js "b['rows'][0]['next'] == ['progress', 'done', 'withdraw'] and any(s['code'] == 'withdrawn' for s in b['states'])"
expect 200 GET /api/claims
js "len(b['rows']) == 3"
expect 404 GET "/api/claims?item=00000000-0000-7000-8000-00000000dead"

step "claims: progress, done with its result, withdraw"
expect 200 POST /api/claims/progress --data-urlencode "id=$C1"
[ "$(q sq01 "SELECT state FROM claim WHERE id = '$C1'")" = in_progress ] || fail "progress was not written"
refused 422 "" POST /api/claims/progress --data-urlencode "id=$C1"
refused 422 "完成情况" POST /api/claims/done --data-urlencode "id=$C1" --data-urlencode date=$LY-05-20
refused 422 "晚于今天" POST /api/claims/done --data-urlencode "id=$C1" --data-urlencode result=每周送餐三次 \
	--data-urlencode "date=$TOMORROW"
refused 404 "" POST /api/claims/done --data-urlencode "id=00000000-0000-7000-8000-00000000dead" --data-urlencode result=x
expect 200 POST /api/claims/done --data-urlencode "id=${C1: -8}" --data-urlencode result=每周送餐三次 --data-urlencode date=$LY-05-20
[ "$(q sq01 "SELECT state || '|' || done_on || '|' || result FROM claim WHERE id = '$C1'")" = \
	"done|$LY-05-20|每周送餐三次" ] || fail "done was not written: $(q sq01 "SELECT * FROM claim WHERE id = '$C1'")"
expect 200 GET "/api/claims?item=$I1"
js "b['rows'][0]['next'] == [] and b['rows'][0]['result'] == '每周送餐三次'"
expect 200 POST /api/claims/withdraw --data-urlencode "id=$C2" --data-urlencode note=人手不足
refused 422 "已撤回" POST /api/claims/withdraw --data-urlencode "id=$C2"
expect 200 POST /api/claims/withdraw --data-urlencode "id=$C3"
[ "$(q sq01 "SELECT state FROM claim WHERE id = '$C3'") $(item_status "$I2") $(item_status "$I1")" = \
	"withdrawn open claimed" ] || fail "after the withdrawals: $(q sq01 "SELECT state FROM claim") items $(item_status "$I2") $(item_status "$I1")"

step "the board (公示) of April and May, and its CSV"
expect 200 GET "/api/board?month=$LY-04"
js "b['month'] == '$LY-04' and [(r['title'], r['claimant']['name'], r['state']['code']) for r in b['rows']] == [('独居老人助餐', '和平第一支部', 'done'), ('独居老人助餐', '市第一医院', 'withdrawn')]"
js "b['rows'][0]['comm_code'] == 'SQ01' and b['rows'][0]['kind']['code'] == 'need'"
expect 200 GET "/api/board?month=$LY-05"
js "sorted((r['title'], r['claimant']['kind']) for r in b['rows']) == [('楼道整治责任', 'member'), ('独居老人助餐', 'branch'), ('独居老人助餐', 'unit')]"
expect 200 GET "/api/board?month=$LY-06"
js "b['rows'] == []"
refused 422 "" GET "/api/board?month=$LY-13"
curl -s -D "$W/hdr" -o "$W/board.csv" "${J[@]}" "$B/api/board.csv?month=$LY-05"
grep -qi '^Content-Type: text/csv' "$W/hdr" || fail "the board CSV's type: $(cat "$W/hdr")"
grep -qi "^Content-Disposition: attachment; filename=\"tongxin-board-$LY-05.csv\"" "$W/hdr" || fail "the board CSV's name: $(cat "$W/hdr")"
grep -q '每周送餐三次' "$W/board.csv" || fail "the board CSV lacks the result: $(cat "$W/board.csv")"

step "the fund: budget refusals, then the year's budget"
refused 422 "年度" POST /api/fund/budget --data-urlencode amount=50000
refused 422 "金额“5万”无效" POST /api/fund/budget --data-urlencode year=$LY --data-urlencode amount=5万
refused 422 "党支部" POST /api/fund/budget --data-urlencode year=$LY --data-urlencode amount=1 --data-urlencode "org_id=$BR"
refused 422 "晚于今天" POST /api/fund/budget --data-urlencode year=$LY --data-urlencode amount=1 --data-urlencode "date=$TOMORROW"
expect 201 POST /api/fund/budget --data-urlencode year=$LY --data-urlencode amount=50000 --data-urlencode date=$LY-01-15
[ "$(q sq01 "SELECT org_id || '|' || year || '|' || amount FROM fund_budget")" = "$SQ01|$LY|5000000" ] ||
	fail "the budget: $(q sq01 "SELECT * FROM fund_budget")"
refused 422 "已有预算 50000.00 元" POST /api/fund/budget --data-urlencode year=$LY --data-urlencode amount=1

step "the fund: spending refusals, then three entries"
refused 422 "" POST /api/fund/spend --data-urlencode amount=10 --data-urlencode approver=王书记
refused 422 "金额须大于 0 元" POST /api/fund/spend --data-urlencode amount=0 --data-urlencode purpose=慰问 --data-urlencode approver=王书记
refused 422 "晚于今天" POST /api/fund/spend --data-urlencode amount=10 --data-urlencode purpose=慰问 --data-urlencode approver=王书记 \
	--data-urlencode "date=$TOMORROW"
refused 404 "" POST /api/fund/spend --data-urlencode amount=10 --data-urlencode purpose=x --data-urlencode approver=y \
	--data-urlencode item_id=00000000-0000-7000-8000-00000000dead
expect 201 POST /api/fund/spend --data-urlencode amount=1200 --data-urlencode purpose=助餐食材 --data-urlencode approver=王书记 \
	--data-urlencode date=$LY-04-15 --data-urlencode "item_id=$I1"
S1=$(new_id)
js "b['over'] is False and b['spent'] == '1200.00' and b['budget'] == '50000.00'"
expect 201 POST /api/fund/spend --data-urlencode amount=800.50元 --data-urlencode purpose=慰问困难党员 --data-urlencode approver=王书记 \
	--data-urlencode date=$LY-05-02
expect 201 POST /api/fund/spend --data-urlencode amount=300 --data-urlencode purpose=楼道照明 --data-urlencode approver=王书记 \
	--data-urlencode date=$LY-08-01
[ "$(q sq01 "SELECT sum(amount) || '|' || count(*) FROM fund_spending")" = "230050|3" ] ||
	fail "the entries: $(q sq01 "SELECT * FROM fund_spending")"
[ "$(q sq01 "SELECT item_id FROM fund_spending WHERE id = '$S1'")" = "$I1" ] || fail "the entry's item"

step "the book with the running balance; the quarter's disclosure"
expect 200 GET "/api/fund?year=$LY"
js "[(r['kind'], r['amount'], r['balance']) for r in b['rows']] == [('budget', '50000.00', '50000.00'), ('spend', '1200.00', '48800.00'), ('spend', '800.50', '47999.50'), ('spend', '300.00', '47699.50')]"
js "b['rows'][1]['item_title'] == '独居老人助餐' and b['rows'][1]['balance_fen'] == 4880000"
refused 422 "年度“20x5”无效" GET "/api/fund?year=20x5"
expect 200 GET "/api/fund/disclose?quarter=$LY-Q2"
js "[(s['org_code'], s['budget'], s['spent_quarter'], s['spent_year'], s['balance']) for s in b['summary']] == [('SQ01', '50000.00', '2000.50', '2000.50', '47999.50')]"
js "[e['purpose'] for e in b['entries']] == ['助餐食材', '慰问困难党员']"
expect 200 GET "/api/fund/disclose?quarter=$LY-Q3"
js "b['summary'][0]['spent_quarter'] == '300.00' and b['summary'][0]['spent_year'] == '2300.50' and len(b['entries']) == 1"
expect 200 GET "/api/fund/disclose?quarter=$LY-Q1"
js "b['summary'][0]['spent_quarter'] == '0.00' and b['entries'] == []"
refused 422 "季度“$LY-Q5”无效" GET "/api/fund/disclose?quarter=$LY-Q5"
refused 422 "季度" GET "/api/fund/disclose"
curl -s -D "$W/hdr2" -o "$W/disclose.csv" "${J[@]}" "$B/api/fund/disclose.csv?quarter=$LY-Q2"
grep -qi '^Content-Type: text/csv' "$W/hdr2" || fail "the disclosure CSV's type: $(cat "$W/hdr2")"
[ "$(grep -c $'\xef\xbb\xbf' "$W/disclose.csv")" = 1 ] || fail "the disclosure CSV has more than one byte-order mark"
expect 201 POST /api/fund/spend --data-urlencode amount=60000 --data-urlencode purpose=活动中心改造 --data-urlencode approver=王书记 \
	--data-urlencode date=$LY-10-08
js "b['over'] is True and b['spent'] == '62300.50'"
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the desk exited $? after SIGTERM"

step "the CSVs byte for byte the CLI's"
tx sq01 --csv item board --month "$LY-05" >"$W/board.cli.csv"
cmp "$W/board.csv" "$W/board.cli.csv" || fail "the board CSV differs from the CLI's: $(diff "$W/board.csv" "$W/board.cli.csv")"
tx sq01 --csv fund disclose --quarter "$LY-Q2" >"$W/disclose.cli.csv"
cmp "$W/disclose.csv" "$W/disclose.cli.csv" || fail "the disclosure CSV differs from the CLI's: $(diff "$W/disclose.csv" "$W/disclose.cli.csv")"

if [ -f "$TESTS_DIR/web/claimfund_story.mjs" ]; then
	step "the pages in chromium: a claim on the item's page, progressed and done; the board; the fund"
	need_browser
	desk_start 10 --replica "$W/sq01.db" ui --listen "127.0.0.1:$UI_PORT"
	rm -rf "$SHOTS"
	run "$W/story.out" timeout 120 node "$WEB/claimfund_story.mjs" "$URL" "$SHOTS" "$LY"
	cat "$W/story.out"
	expect_rc 0 "the browser story"
	kill -TERM "$UI_PID"
	wait "$UI_PID" || fail "the desk exited $? after SIGTERM"
	[ "$(q sq01 "SELECT c.state || '|' || c.result || '|' || c.by_unit_id FROM claim c WHERE c.item_id = '$I3' AND c.state = 'done'")" = \
		"done|已更换灯泡|$U" ] || fail "the claim the browser made: $(q sq01 "SELECT * FROM claim WHERE item_id = '$I3'")"
	[ "$(q sq01 "SELECT amount || '|' || purpose || '|' || approver FROM fund_spending WHERE purpose = '路灯维修'")" = \
		"15000|路灯维修|王书记" ] || fail "the entry the browser made: $(q sq01 "SELECT * FROM fund_spending")"
fi
stop_server
step "ok"
