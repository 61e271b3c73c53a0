#!/usr/bin/env bash
# it_life.sh - the end of membership (党员减少) and discipline (党纪处分)
# against a real tongxind, with a street and two community offices:
#
#   - member leave: each refusal (unknown reason, a date in the future, before
#     joining, not a date, a member who left already) exits 7 with the Chinese
#     reason and changes nothing; a death recorded offline is kept, synced
#     later and reaches the street with the standing 死亡; member show still
#     shows the member with 减少方式/减少日期/减少原因;
#   - member discipline: warning, 留党察看 with its end (required, within two
#     years, only for it), refusals exit 7 and change nothing; 开除党籍 as a
#     sanction makes the member leave in the same local transaction;
#     member sanctions as a table, --csv and --json; member history in date
#     order;
#   - scope: the other community never receives the discipline rows, cannot
#     record one for a member it does not hold (9), and a modified client that
#     pushes one anyway is refused by the server; after a transfer the
#     discipline rows move with the member (the old office no longer holds
#     them, the new one does).

. "$(dirname "$0")/lib.sh"

OUT=$TX_TMP/out
OFF="--server 127.0.0.1:1"       # nothing listens there: the office is offline
FUTURE=$(date -d tomorrow +%F)    # the replica's "today" is the local date

tx() { local n=$1; shift; "$TONGXIN" --replica "$TX_TMP/$n.db" "$@"; }
q() { sqlite3 "$TX_TMP/$1.db" "$2"; }
digest() { sqlite3 "$TX_TMP/$1.db" .dump | sha256sum; }
must() { run "$OUT" "$@"; [ "$TX_RC" -eq 0 ] || { cat "$OUT" >&2; fail "setup step failed (exit $TX_RC): $*"; }; }
equals() { [ "$2" = "$3" ] || fail "$1: got \"$2\", want \"$3\""; }

# refused OFFICE RC TEXT ARGS...: tongxin ARGS on OFFICE exits RC, says TEXT, changes nothing.
refused() {
	local o=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$o")
	run "$OUT" tx "$o" "$@"
	expect_rc "$want" "tongxin $*"
	expect_contains "$OUT" "$text"
	[ "$(digest "$o")" = "$d0" ] || fail "tongxin $*: a refused command changed the replica"
}

# A product defect outside this test's files: fails when TX_STRICT=1, else said on stderr.
known() {
	if [ "${TX_STRICT:-0}" = 1 ]; then fail "product bug: $*"; fi
	echo "KNOWN BUG: $*" >&2
}
# json_whole WHAT: $OUT is one JSON document and nothing else.
json_whole() {
	python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$OUT" 2>/dev/null ||
		known "$1 --json is not one JSON document: cli.c's verb_member prints the --help's" \
		    "allowed values after a sub-verb of cmd_life.c ran (its ran flag is set only by cli.c's own entries)"
}

add_member() {   # OFFICE NAME IDNUM BRANCH
	must tx "$1" member add --name "$2" --gender male --ethnicity 汉族 --id-number "$3" \
	    --education bachelor --category full --branch "$4" --join-date 2000-07-01 \
	    --full-date 2001-07-01
}
mid() { q "$1" "SELECT id FROM member WHERE id_number = '$2'"; }
outbox_n() { q "$1" "SELECT count(*) FROM outbox"; }

step "a street, two communities, one device each"
"$TONGXIND" init "$TX_TMP/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null ||
	fail "tongxind init"
start_server "$TX_TMP/srv"
must "$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device street --admin --out "$TX_TMP/street.bundle"
must tx street join "$TX_TMP/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type grid
must tx street sync -q
for o in sq01:SQ01 sq02:SQ02; do
	must "$TONGXIND" enroll "$TX_TMP/srv" --org "${o#*:}" --device "${o%:*}" --out "$TX_TMP/${o%:*}.bundle"
	must tx "${o%:*}" join "$TX_TMP/${o%:*}.bundle"
	must tx "${o%:*}" sync -q
done
A=$(idn_male 19500101 1)   # 孙磊: dies
B=$(idn_male 19700202 2)   # 刘洋: a warning, then moves to SQ02
C=$(idn_male 19750303 3)   # 钱敏: expelled as a sanction
D=$(idn_male 19800404 4)   # 赵强: withdraws
add_member sq01 孙磊 "$A" SQ01-01
add_member sq01 刘洋 "$B" SQ01-01
add_member sq01 钱敏 "$C" SQ01-01
add_member sq01 赵强 "$D" SQ01-01
must tx sq01 sync -q
must tx street sync -q
A_ID=$(mid sq01 "$A") B_ID=$(mid sq01 "$B") C_ID=$(mid sq01 "$C")

step "member leave: refusals exit 7 with the reason in Chinese and change nothing"
refused sq01 7 '减少方式 "升天" 无效' member leave 孙磊 --reason 升天 --date 2025-01-02
refused sq01 7 "死亡 death" member leave 孙磊 --reason 升天 --date 2025-01-02
refused sq01 7 "晚于今天" member leave 孙磊 --reason 死亡 --date "$FUTURE"
refused sq01 7 "早于入党日期 2000-07-01" member leave 孙磊 --reason death --date 1999-12-31
refused sq01 7 "不是有效日期" member leave 孙磊 --reason death --date 2025-02-30
refused sq01 7 "缺少必填项 减少日期" member leave 孙磊 --reason death --date ""
refused sq01 2 "--date" member leave 孙磊 --reason death
refused sq01 9 "没有党员" member leave 不存在的人 --reason death --date 2025-01-02

step "a death recorded offline reaches the street"
N0=$(outbox_n sq01)
run "$OUT" tx sq01 member leave 孙磊 --reason 死亡 --date 2025-01-02 --note 病故
expect_rc 0 "member leave --reason 死亡"
expect_contains "$OUT" "已登记党员减少 孙磊：死亡，2025-01-02"
equals "one local transaction" "$(outbox_n sq01)" $((N0 + 1))
equals "the row: reason, date, note and standing together" \
	"$(q sq01 "SELECT left_reason || '|' || left_on || '|' || left_note || '|' || standing FROM member WHERE id = '$A_ID'")" \
	"death|2025-01-02|病故|deceased"
run "$OUT" tx sq01 $OFF sync
expect_rc 3 "sync while the server is unreachable"
run "$OUT" tx sq01 status
expect_contains "$OUT" "1 transactions"
run "$OUT" tx sq01 member show 孙磊
expect_rc 0 "member show of a member who left"
expect_contains "$OUT" "减少方式"
expect_contains "$OUT" "死亡"
expect_contains "$OUT" "2025-01-02"
expect_contains "$OUT" "病故"
refused sq01 7 "该党员已于 2025-01-02 减少（死亡）" member leave 孙磊 --reason 退党 --date 2025-01-03
refused sq01 7 "不能再登记处分" member discipline 孙磊 --kind 警告 --date 2024-12-01 --grounds 违反纪律
refused sq01 7 "不能申请转接" transfer request 孙磊 --to SQ02-01 --reason 搬家
refused sq01 7 "不能标记失联" member lost 孙磊 --since 2025-03-01
refused sq01 7 "不能登记外出流动" member mobile 孙磊 --to 深圳
must tx sq01 sync -q
must tx street sync -q
equals "the street has the death" \
	"$(q street "SELECT left_reason || '|' || left_on || '|' || standing FROM member WHERE id = '$A_ID'")" \
	"death|2025-01-02|deceased"
run "$OUT" tx street member history "$A"
expect_contains "$OUT" "党员减少：死亡"

step "member leave: withdrawal keeps the standing"
must tx sq01 member leave 赵强 --reason withdrawal --date 2025-02-01
equals "withdrawal" "$(q sq01 "SELECT left_reason || '|' || standing FROM member WHERE id_number = '$D'")" \
	"withdrawal|normal"

step "member discipline: refusals exit 7 and change nothing"
refused sq01 7 "缺少必填项 察看期满" member discipline 刘洋 --kind 留党察看 --date 2025-03-01 --grounds 违反纪律
refused sq01 7 "超过两年" member discipline 刘洋 --kind 留党察看 --date 2025-03-01 --until 2027-03-02 --grounds 违反纪律
refused sq01 7 "不足一年（最早 2025-03-01）" member discipline 刘洋 --kind 留党察看 --date 2024-03-01 --until 2025-02-28 --grounds 违反纪律
refused sq01 7 "只有留党察看有察看期满日期" member discipline 刘洋 --kind 警告 --date 2025-03-01 --until 2026-03-01 --grounds 违反纪律
refused sq01 7 "晚于今天" member discipline 刘洋 --kind 警告 --date "$FUTURE" --grounds 违反纪律
refused sq01 7 "早于入党日期" member discipline 刘洋 --kind 警告 --date 1999-03-01 --grounds 违反纪律
refused sq01 7 '处分种类 "罚款" 无效' member discipline 刘洋 --kind 罚款 --date 2025-03-01 --grounds 违反纪律
refused sq01 7 "处分事由" member discipline 刘洋 --kind 警告 --date 2025-03-01 --grounds "　 "
refused sq01 2 "--grounds" member discipline 刘洋 --kind 警告 --date 2025-03-01
refused sq01 7 "处分事由 (grounds) 超过 2000 字节" member discipline 刘洋 --kind 警告 --date 2025-03-01 \
	--grounds "$(printf '违%.0s' $(seq 667))"
refused sq01 7 "减少原因 (left_note) 超过 500 字节" member leave 刘洋 --reason 退党 --date 2025-03-01 \
	--note "$(printf '退%.0s' $(seq 167))"
refused sq01 9 "没有党员" member discipline 不存在的人 --kind 警告 --date 2025-03-01 --grounds 违反纪律

step "member discipline: a warning and a 留党察看 for 刘洋"
run "$OUT" tx sq01 member discipline 刘洋 --kind 警告 --date 2024-05-06 --grounds 违反廉洁纪律 --by 和平社区党委
expect_rc 0 "member discipline --kind 警告"
expect_contains "$OUT" "已登记党纪处分 刘洋：警告，2024-05-06"
must tx sq01 member discipline "$B" --kind probation --date 2025-03-01 --until 2026-03-01 --grounds 再次违反纪律
run "$OUT" tx sq01 member sanctions 刘洋
expect_rc 0 "member sanctions"
expect_contains "$OUT" "警告"
expect_contains "$OUT" "留党察看"
expect_contains "$OUT" "违反廉洁纪律"
expect_contains "$OUT" "和平社区党委"
run "$OUT" tx sq01 member sanctions 刘洋 --json
expect_contains "$OUT" '"kind": "warning"'
expect_contains "$OUT" '"kind_label": "警告"'
expect_contains "$OUT" '"until": "2026-03-01"'
json_whole "member sanctions"
run "$OUT" tx sq01 member sanctions 刘洋 --csv
expect_contains "$OUT" "2024-05-06"
expect_contains "$OUT" "留党察看"
run "$OUT" tx sq01 member sanctions 钱敏
expect_rc 0 "member sanctions of a member without any"
expect_contains "$OUT" "没有党纪处分记录"

step "member history: the life in date order"
run "$OUT" tx sq01 member history 刘洋
expect_rc 0 "member history"
ORDER=$(grep -oE "入党（接收为预备党员）|转为正式党员|党纪处分：警告|党纪处分：留党察看" "$OUT" | tr '\n' ' ')
equals "history order" "$ORDER" "入党（接收为预备党员） 转为正式党员 党纪处分：警告 党纪处分：留党察看 "
run "$OUT" tx sq01 member history 刘洋 --json
expect_contains "$OUT" '"event": "discipline"'
expect_contains "$OUT" '"date": "2024-05-06"'
json_whole "member history"

step "member history: the application and an extended probation, by their meetings"
# Rows another office's workflow would have written (develop admit, member
# extend), put straight into the replica and taken out again before any sync.
SQ01_BR=$(q sq01 "SELECT id FROM org WHERE code = 'SQ01-01'")
MT1=01000000-0000-7000-8000-0000000000a1 MT2=01000000-0000-7000-8000-0000000000a2
AP=01000000-0000-7000-8000-0000000000a3
q sq01 "INSERT INTO meeting (id, org_id, kind, held_on, topic, _version) VALUES
    ('$MT1', '$SQ01_BR', 'committee_meeting', '1998-09-01', '确定入党积极分子', 0),
    ('$MT2', '$SQ01_BR', 'general_meeting', '2001-06-20', '讨论预备党员转正', 0);
  INSERT INTO applicant (id, org_id, name, gender, ethnicity, id_number, birth_date, stage,
    applied_on, activist_on, activist_meeting_id, candidate_on, admitted_on, member_id, _version)
    VALUES ('$AP', '$SQ01_BR', '刘洋', 'male', '汉族', '$B', '1970-02-02', 'admitted',
    '1998-03-01', '1998-09-01', '$MT1', '1999-10-01', '2000-07-01', '$B_ID', 0);
  UPDATE member SET probation_until = '2001-12-31', extension_meeting_id = '$MT2',
    full_date = '2002-01-05' WHERE id = '$B_ID'"
run "$OUT" tx sq01 member history 刘洋
expect_rc 0 "member history with the application"
ORDER=$(grep -oE "递交入党申请|确定为入党积极分子|确定为发展对象|入党（接收为预备党员）|延长预备期|转为正式党员|党纪处分：警告" "$OUT" | tr '\n' ' ')
equals "history order from the application" "$ORDER" \
	"递交入党申请 确定为入党积极分子 确定为发展对象 入党（接收为预备党员） 延长预备期 转为正式党员 党纪处分：警告 "
expect_contains "$OUT" "支委会 1998-09-01「确定入党积极分子」"
expect_contains "$OUT" "延长至 2001-12-31；党员大会 2001-06-20「讨论预备党员转正」"
grep -q "^2001-06-20 *延长预备期" "$OUT" || fail "the extension is dated by its meeting: $(cat "$OUT")"
q sq01 "DELETE FROM applicant WHERE id = '$AP'; DELETE FROM meeting WHERE id IN ('$MT1', '$MT2');
  UPDATE member SET probation_until = NULL, extension_meeting_id = NULL, full_date = '2001-07-01'
  WHERE id = '$B_ID'"

step "开除党籍 as a sanction: the member leaves in the same transaction"
N0=$(outbox_n sq01)
run "$OUT" tx sq01 member discipline 钱敏 --kind 开除 --date 2025-04-01 --grounds 严重违纪
expect_rc 0 "member discipline --kind 开除"
expect_contains "$OUT" "已登记党员减少 钱敏：开除党籍，2025-04-01"
equals "one local transaction" "$(outbox_n sq01)" $((N0 + 1))
equals "of two changes" "$(q sq01 "SELECT nchanges FROM outbox ORDER BY seq DESC LIMIT 1")" 2
equals "the member left, expelled" \
	"$(q sq01 "SELECT left_reason || '|' || left_on || '|' || left_note || '|' || standing FROM member WHERE id = '$C_ID'")" \
	"expulsion|2025-04-01|严重违纪|expelled"
run "$OUT" tx sq01 member history 钱敏
expect_contains "$OUT" "党纪处分：开除党籍"
expect_contains "$OUT" "党员减少：开除党籍"
must tx sq01 sync -q
must tx street sync -q
equals "the street has the three sanctions" "$(q street "SELECT count(*) FROM discipline")" 3
equals "the street has the expulsion" \
	"$(q street "SELECT left_reason || '|' || standing FROM member WHERE id = '$C_ID'")" "expulsion|expelled"

step "scope: the other community never receives the discipline rows"
must tx sq02 sync -q
equals "SQ02 holds no discipline row" "$(q sq02 "SELECT count(*) FROM discipline")" 0
equals "SQ02 holds no member of SQ01" "$(q sq02 "SELECT count(*) FROM member")" 0
refused sq02 9 "没有党员" member discipline "$B_ID" --kind 警告 --date 2025-03-01 --grounds 越权
# A modified client: SQ02's replica is made to hold SQ01's member, so the
# local checks pass; the server must refuse the write.
SQ02_BR=$(q sq02 "SELECT id FROM org WHERE code = 'SQ02-01'")
q sq02 "INSERT INTO member (id, name, gender, ethnicity, id_number, birth_date, education,
    category, org_id, join_date, standing, _version)
    VALUES ('$B_ID', '刘洋', 'male', '汉族', '$B', '1970-02-02', 'bachelor', 'full',
    '$SQ02_BR', '2000-07-01', 'normal', 0)"
run "$OUT" tx sq02 member discipline "$B_ID" --kind 警告 --date 2025-03-01 --grounds 越权写入
expect_rc 0 "the forged sanction is recorded locally"
q sq02 "DELETE FROM member WHERE id = '$B_ID'"
run "$OUT" tx sq02 sync
expect_rc 10 "the server rejects it (sync exit 10)"
expect_contains "$OUT" "1 rejected"
expect_contains "$OUT" "不在本设备所属组织的范围内"
must tx street sync -q
equals "the street has no such sanction" \
	"$(q street "SELECT count(*) FROM discipline WHERE grounds = '越权写入'")" 0
equals "SQ01 has no such sanction" "$(tx sq01 sync -q; q sq01 "SELECT count(*) FROM discipline WHERE grounds = '越权写入'")" 0

step "a transfer moves the discipline rows with the member"
must tx sq01 transfer request 刘洋 --to SQ02-01 --reason 搬迁
refused sq01 7 "尚待接收，请先撤回" member leave 刘洋 --reason 退党 --date 2025-05-01
refused sq01 7 "尚待接收，请先撤回" member discipline 刘洋 --kind 开除党籍 --date 2025-05-01 --grounds 严重违纪
must tx sq01 sync -q
must tx sq02 sync -q
TR=$(q sq02 "SELECT id FROM transfer WHERE member_id = '$B_ID'")
[ -n "$TR" ] || fail "SQ02 did not receive the transfer request"
must tx sq02 transfer accept "$TR"
must tx sq02 sync -q
must tx sq01 sync -q
equals "SQ01 no longer holds the member" "$(q sq01 "SELECT count(*) FROM member WHERE id = '$B_ID'")" 0
DS1=$(q sq01 "SELECT count(*) FROM discipline WHERE member_id = '$B_ID'")
DS2=$(q sq02 "SELECT count(*) FROM discipline WHERE member_id = '$B_ID'")
[ "$DS2" = 2 ] || fail "SQ02 should hold the member's 2 discipline rows after the transfer, holds $DS2"
[ "$DS1" = 0 ] || fail "SQ01 still holds $DS1 discipline rows of the member who moved to SQ02"
run "$OUT" tx sq02 member sanctions 刘洋
expect_contains "$OUT" "违反廉洁纪律"
run "$OUT" tx sq02 member history 刘洋
expect_contains "$OUT" "组织关系转接"
expect_contains "$OUT" "党纪处分：留党察看"
refused sq01 9 "没有党员" member sanctions "$B_ID"

step "the desk's API: the same rules, refusals naming the form's field, nothing changed"
command -v curl >/dev/null || fail "curl is needed (scripts/deps.sh installs it)"
E=$(idn_male 19780505 5)   # 周明: sanctioned through the desk
add_member sq01 周明 "$E" SQ01-01
E_ID=$(mid sq01 "$E") D_ID=$(mid sq01 "$D")
chmod 700 "$TX_TMP"
UI_PORT=$(free_port)
WB=http://127.0.0.1:$UI_PORT
"$TONGXIN" --replica "$TX_TMP/sq01.db" ui --listen "127.0.0.1:$UI_PORT" >"$TX_TMP/ui.log" 2>&1 &
UI_PID=$!
TX_BG_PIDS+=("$UI_PID")
wait_for_text "$TX_TMP/ui.log" "token=" 20
URL=$(grep -o "http://127.0.0.1:$UI_PORT/?token=[0-9a-f]*" "$TX_TMP/ui.log")
COOKIE=$(curl -s -o /dev/null -D - "$URL" | sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/ip' | tr -d '\r')
[ -n "$COOKIE" ] || fail "the desk gave no cookie"
J=(-H "Cookie: $COOKIE")
CSRF=$(curl -s "${J[@]}" "$WB/api/session" | python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf"])')
OK=(-H "X-Tongxin-CSRF: $CSRF" -H "Origin: $WB")
BODY=$TX_TMP/body
# http WANT METHOD PATH [curl args...]: the answer's status must be WANT; the body in $BODY.
http() {
	local want=$1 m=$2 p=$3 got
	shift 3
	got=$(curl -s -o "$BODY" -w '%{http_code}' -X "$m" "${J[@]}" "$@" "$WB$p")
	[ "$got" = "$want" ] || fail "$m $p answered $got, want $want: $(cat "$BODY")"
}
http 200 GET "/api/member/life?id=$D_ID"
python3 - "$BODY" <<'PY' || fail "the life of a member who withdrew: $(cat "$BODY")"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["left"]["reason"] == {"code": "withdrawal", "label": "退党"}, d["left"]
assert d["left"]["on"] == "2025-02-01", d["left"]
assert {"code": "probation", "label": "留党察看"} in d["kinds"], d["kinds"]
assert d["history"][-1]["event"] == "left", d["history"]
PY
http 404 GET "/api/member/life?id=01000000-0000-7000-8000-000000000000"
D0=$(digest sq01)
http 422 POST /api/member/leave "${OK[@]}" --data "id=$D_ID" --data reason=death --data date=2025-03-01
expect_contains "$BODY" '"field":"reason"'
expect_contains "$BODY" "已于 2025-02-01 减少"
http 422 POST /api/member/leave "${OK[@]}" --data "id=$E_ID" --data reason=death --data "date=$FUTURE"
expect_contains "$BODY" '"field":"date"'
http 200 POST /api/member/leave/check "${OK[@]}" --data "id=$E_ID" --data reason=removal --data date=2025-03-01
expect_contains "$BODY" '"ok":true'
http 200 POST /api/member/discipline/check "${OK[@]}" --data "id=$E_ID" --data kind=probation \
	--data decided_on=2025-03-01 --data-urlencode grounds=违纪
expect_contains "$BODY" '"ok":false'
expect_contains "$BODY" '"field":"until"'
http 422 POST /api/member/discipline "${OK[@]}" --data "id=$E_ID" --data kind=probation \
	--data decided_on=2025-03-01 --data until=2027-06-01 --data-urlencode grounds=违纪
expect_contains "$BODY" '"field":"until"'
http 422 POST /api/member/discipline "${OK[@]}" --data "id=$E_ID" --data kind=warning \
	--data decided_on=2025-03-01
expect_contains "$BODY" '"field":"grounds"'
http 422 POST /api/member/discipline "${OK[@]}" --data "id=$E_ID" --data kind=demotion \
	--data decided_on=2025-03-01 --data-urlencode grounds=违纪
expect_contains "$BODY" '"field":"kind"'
http 400 POST /api/member/discipline "${OK[@]}" --data "id=$E_ID" --data kind=warning \
	--data decided_on=2025-03-01 --data-urlencode grounds=违纪 --data member_id=x
http 404 POST /api/member/discipline "${OK[@]}" --data id=01000000-0000-7000-8000-000000000000 \
	--data kind=warning --data decided_on=2025-03-01 --data-urlencode grounds=违纪
http 403 POST /api/member/discipline --data "id=$E_ID" --data kind=warning \
	--data decided_on=2025-03-01 --data-urlencode grounds=违纪
[ "$(digest sq01)" = "$D0" ] || fail "a refused or checked write through the desk changed the replica"
http 201 POST /api/member/discipline "${OK[@]}" --data "id=$E_ID" --data kind=serious_warning \
	--data decided_on=2025-03-01 --data-urlencode grounds=违反工作纪律 --data-urlencode decided_by=和平社区党委
equals "the desk's sanction is in the replica" \
	"$(q sq01 "SELECT kind || '|' || grounds FROM discipline WHERE member_id = '$E_ID'")" "serious_warning|违反工作纪律"
kill -TERM "$UI_PID"
wait "$UI_PID" || fail "the desk did not stop cleanly"
must tx sq01 sync -q

step "a sanction the street records reaches the member's office"
must tx street sync -q
run "$OUT" tx street member discipline "$E" --kind 警告 --date 2025-05-06 --grounds 街道党工委决定 --by 和平街道党工委
expect_rc 0 "the street records a warning on an office's member"
must tx street sync -q
must tx sq01 sync -q
equals "SQ01 holds the street's sanction" \
	"$(q sq01 "SELECT kind || '|' || decided_by FROM discipline WHERE member_id = '$E_ID' AND grounds = '街道党工委决定'")" \
	"warning|和平街道党工委"
must tx sq02 sync -q
equals "SQ02 holds none" "$(q sq02 "SELECT count(*) FROM discipline WHERE member_id = '$E_ID'")" 0

step "every replica converges"
for o in street sq01 sq02; do
	run "$OUT" tx "$o" sync --verify
	expect_rc 0 "$o sync --verify"
	expect_contains "$OUT" "replica check: match"
done
stop_server
step "done"
