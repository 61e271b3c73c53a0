#!/usr/bin/env bash
# it_feedback.sh - 民情回音壁 (issue 14, item 4) against a real tongxind: a
# street and two communities, SQ01 (A) and SQ02 (B). SQ01 records
# residents' opinions (sources and categories by label, code or alias),
# assigns them to a member or a named person, replies (回音) and closes
# them; every refusal (bad value, bad state, unknown member, future date,
# handler missing, reply before receipt) says why, exits with its status
# and writes nothing. The overdue list (not replied within
# FEEDBACK_REPLY_DAYS = 7 days of receipt) is checked at several dates
# against what this script computes itself from the opinions it made.
# After syncs the street holds SQ01's opinions and SQ02 none (nor SQ01
# SQ02's); the resident's name and phone show on a terminal and stay text
# in CSV; the same opinion assigned to two different people at SQ01 and at
# the street is a conflict the street sees.
. "$(dirname "$0")/lib.sh"

W=$TX_TMP
tx() { local n=$1; shift; "$TONGXIN" --replica "$W/$n.db" "$@"; }
q() { sqlite3 "$W/$1.db" "$2"; }
must() { run "$W/must.out" "$@"; [ "$TX_RC" -eq 0 ] || { cat "$W/must.out" >&2; fail "setup failed: $*"; }; }
expect() {
	local want=$1 what=$2
	shift 2
	run "$W/out" "$@"
	[ "$TX_RC" -eq "$want" ] || { cat "$W/out" >&2; fail "$what: exit $TX_RC, want $want"; }
}
equals() { [ "$2" == "$3" ] || fail "$1: got \"$2\", want \"$3\""; }
digest() { sqlite3 "$W/$1.db" .dump | sha256sum; }
refused() {
	local dev=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$dev")
	expect "$want" "$*" tx "$dev" "$@"
	expect_contains "$W/out" "$text"
	equals "nothing written by: $*" "$(digest "$dev")" "$d0"
}

# What the script knows of each opinion it made: RECEIVED[content], REPLIED[content].
declare -A RECEIVED REPLIED
REPLY_DAYS=7
# The opinions overdue as of D by the rule, computed here with date(1): "content:days" by content.
expected_overdue() {
	local as=$1 c due days
	for c in "${!RECEIVED[@]}"; do
		[[ ${RECEIVED[$c]} > $as ]] && continue
		[ -n "${REPLIED[$c]:-}" ] && ! [[ ${REPLIED[$c]} > $as ]] && continue
		due=$(date -u -d "${RECEIVED[$c]} + $REPLY_DAYS days" +%F)
		[[ $as > $due ]] || continue
		days=$((($(date -u -d "$as" +%s) - $(date -u -d "$due" +%s)) / 86400))
		echo "$c:$days"
	done | LC_ALL=C sort
}
# The overdue list a device prints (JSON), as the same lines.
device_overdue() {
	tx "$1" --json feedback overdue --as-of "$2" | tr '{' '\n' |
		sed -n 's/.*"content": "\([^"]*\)".*"days_over": \([0-9-]*\).*/\1:\2/p' | LC_ALL=C sort
}

step "a street, two communities with a branch each"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 \
    --branch-type residential
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done
must tx sq01 member add --name 李明 --gender male --ethnicity 汉族 --id-number "$(idn_male 19800101 3)" \
    --education bachelor --category full --branch SQ01-01 --join-date 2005-07-01 --full-date 2006-07-01
TOMORROW=$(TZ=Asia/Shanghai date -d tomorrow +%F)
Y=2026
[ "$(TZ=Asia/Shanghai date +%F)" \> "$Y-06-30" ] || { echo "it_feedback: the dates below must be in the past" >&2; exit 77; }

step "feedback add: labels, codes and aliases; the organisation by default this office's"
add() {   # add CONTENT DATE ARGS...
	local c=$1 d=$2
	shift 2
	expect 0 "feedback add $c" tx sq01 feedback add --content "$c" --date "$d" "$@"
	RECEIVED[$c]=$d
}
add 楼道灯坏了 $Y-03-01 --source 入户走访 --category 设施 --resident 李秀英 --phone 13800000001 --grid 第一网格
add 垃圾清运不及时 $Y-03-02 --source hotline --category environment --org SQ01-01
add 停车难 $Y-03-10 --source 12345 --category 停车 --resident 王建国
add 小区门禁故障 $Y-03-20 --source 回音壁 --category 物业管理 --phone "=2+3"
F1=$(q sq01 "SELECT id FROM feedback WHERE content = '楼道灯坏了'")
F2=$(q sq01 "SELECT id FROM feedback WHERE content = '垃圾清运不及时'")
F3=$(q sq01 "SELECT id FROM feedback WHERE content = '停车难'")
F4=$(q sq01 "SELECT id FROM feedback WHERE content = '小区门禁故障'")
equals "stored as codes, open, with their organisation" \
    "$(q sq01 "SELECT group_concat(source || ':' || category || ':' || status || ':' || (SELECT code FROM org WHERE id = org_id), ' ') FROM (SELECT * FROM feedback ORDER BY received_on)")" \
    "visit:facilities:open:SQ01 hotline:environment:open:SQ01-01 hotline:traffic:open:SQ01 wall:property:open:SQ01"

step "feedback add refusals: nothing written"
refused sq01 7 "来源“电报”无效" feedback add --content x --source 电报 --category 环境
refused sq01 7 "类别“天气”无效" feedback add --content x --source 走访 --category 天气
refused sq01 7 "晚于今天" feedback add --content x --source 走访 --category 环境 --date "$TOMORROW"
refused sq01 7 "无效" feedback add --content x --source 走访 --category 环境 --date $Y-13-01
refused sq01 2 "--content" feedback add --source 走访 --category 环境
refused sq01 2 "--category" feedback add --content x --source 走访
refused sq01 9 "没有组织“SQ09”" feedback add --content x --source 走访 --category 环境 --org SQ09
refused sq01 7 "反映人" feedback add --content x --source 走访 --category 环境 --resident "=cmd()"
refused street 7 "--org" feedback add --content x --source 走访 --category 环境

step "assign, reply, close; refusals"
expect 0 "assigned to a member" tx sq01 feedback assign "${F1: -8}" --member 李明
expect 0 "assigned to a person by name" tx sq01 feedback assign "${F2: -8}" --handler 物业王经理
expect 0 "reassigned while handled" tx sq01 feedback assign "${F2: -8}" --handler 物业张经理
refused sq01 9 "没有党员“王五”" feedback assign "${F3: -8}" --member 王五
refused sq01 2 "二者选一" feedback assign "${F3: -8}"
refused sq01 2 "二者选一" feedback assign "${F3: -8}" --member 李明 --handler 某人
refused sq01 7 "尚未回音" feedback close "${F1: -8}"
refused sq01 7 "早于" feedback reply "${F1: -8}" --reply 已修好 --date $Y-02-28
refused sq01 7 "晚于今天" feedback reply "${F1: -8}" --reply 已修好 --date "$TOMORROW"
refused sq01 2 "--reply" feedback reply "${F1: -8}"
refused sq01 9 "没有民情意见“abcdef12”" feedback reply abcdef12 --reply x
expect 0 "replied on time" tx sq01 feedback reply "${F1: -8}" --reply 已更换灯泡 --date $Y-03-05
REPLIED[楼道灯坏了]=$Y-03-05
expect 0 "replied late" tx sq01 feedback reply "${F2: -8}" --reply 已协调清运公司 --date $Y-03-15
REPLIED[垃圾清运不及时]=$Y-03-15
refused sq01 7 "不能再交办" feedback assign "${F1: -8}" --handler 某人
expect 0 "closed after the reply" tx sq01 feedback close "${F1: -8}"
refused sq01 7 "已办结" feedback close "${F1: -8}"
refused sq01 7 "不能再回音" feedback reply "${F1: -8}" --reply 再说一次
refused sq01 7 "不能再交办" feedback assign "${F1: -8}" --member 李明
equals "the rows" \
    "$(q sq01 "SELECT group_concat(status || ':' || coalesce(handler, '') || ':' || (handler_member_id IS NOT NULL) || ':' || coalesce(replied_on, ''), ' ') FROM (SELECT * FROM feedback ORDER BY received_on)")" \
    "closed::1:$Y-03-05 replied:物业张经理:0:$Y-03-15 open::0: open::0:"

step "list / show: the resident on a terminal, CSV keeps text safe, JSON typed"
expect 0 "list" tx sq01 feedback list
for s in 李秀英 13800000001 王建国 第一网格 入户走访 热线电话 公共设施 已办结 已回音 待办理 李明 物业张经理; do
	expect_contains "$W/out" "$s"
done
expect 0 "list --status 待办" tx sq01 feedback list --status 待办
expect_contains "$W/out" 停车难
expect_not_contains "$W/out" 楼道灯坏了
refused sq01 7 "状态“finished”无效" feedback list --status finished
run "$W/f.csv" tx sq01 --csv feedback list
expect_rc 0 "list --csv"
expect_contains "$W/f.csv" "'=2+3"
expect_contains "$W/f.csv" "	13800000001"
run "$W/f.json" tx sq01 --json feedback show "${F1: -8}"
expect_rc 0 "show --json"
expect_contains "$W/f.json" '"reply": "已更换灯泡"'
expect_contains "$W/f.json" '"source": "visit"'
expect_contains "$W/f.json" '"source_label": "入户走访"'
expect_contains "$W/f.json" "\"due_on\": \"$Y-03-08\""
expect 0 "show" tx sq01 feedback show "${F2: -8}"
expect_contains "$W/out" 已协调清运公司
expect_contains "$W/out" 物业张经理

step "overdue: against the script's own computation, at several dates"
for as in $Y-03-08 $Y-03-09 $Y-03-10 $Y-03-14 $Y-03-16 $Y-03-28 $Y-04-01 $Y-12-31; do
	equals "overdue as of $as" "$(device_overdue sq01 $as | tr '\n' ' ')" "$(expected_overdue $as | tr '\n' ' ')"
done
# The rule itself, by hand: received 03-02, due 03-09, replied only 03-15.
equals "not vacuous: as of $Y-03-14" "$(expected_overdue $Y-03-14)" "垃圾清运不及时:5"
equals "not vacuous: as of $Y-03-28" "$(expected_overdue $Y-03-28 | wc -l)" 2
expect 0 "overdue on a terminal" tx sq01 feedback overdue --as-of $Y-03-28
expect_contains "$W/out" "超过 7 天未回音"
expect_contains "$W/out" 停车难
expect_contains "$W/out" 小区门禁故障
expect_not_contains "$W/out" 垃圾清运不及时
refused sq01 7 "日期“$Y-3-1”无效" feedback overdue --as-of $Y-3-1

step "sync: SQ01's opinions reach the street, never SQ02; SQ02's never SQ01"
must tx sq01 sync -q
must tx street sync -q
must tx sq02 sync -q
equals "the street holds SQ01's opinions" "$(q street "SELECT count(*) FROM feedback")" 4
equals "SQ02 holds none" "$(q sq02 "SELECT count(*) FROM feedback")" 0
expect 0 "SQ02 records its own" tx sq02 feedback add --content 噪音扰民 --source 议事会 \
    --category 纠纷 --resident 周敏 --date $Y-05-06
must tx sq02 sync -q
must tx street sync -q
must tx sq01 sync -q
equals "SQ01 does not hold it" "$(q sq01 "SELECT count(*) FROM feedback WHERE content = '噪音扰民'")" 0
for f in "$W"/sq01.db*; do
	if grep -qaF "周敏" "$f"; then fail "SQ01's replica file $(basename "$f") holds SQ02's resident"; fi
done
equals "the street holds all five" "$(q street "SELECT count(*) FROM feedback")" 5
RECEIVED[噪音扰民]=$Y-05-06
equals "the street's overdue list covers both" "$(device_overdue street $Y-06-01 | tr '\n' ' ')" \
    "$(expected_overdue $Y-06-01 | tr '\n' ' ')"

step "the same opinion assigned to two people at SQ01 and the street: a conflict"
must tx street feedback assign "${F3: -8}" --handler 街道城管科
must tx street sync -q
run "$W/out" tx sq01 feedback assign "${F3: -8}" --handler 社区网格员
expect_rc 0 "SQ01, not yet knowing, assigns too"
run "$W/out" tx sq01 sync
expect_contains "$W/out" "1 conflict"
must tx street sync -q
run "$W/out" tx street conflicts list
expect_rc 0 "conflicts list"
expect_contains "$W/out" "feedback"
equals "the server keeps the street's handler" \
    "$(sqlite3 "$W/srv/tongxind.db" "SELECT handler FROM feedback WHERE id = '$F3'")" 街道城管科
must tx sq01 sync -q
equals "SQ01 converges on it" "$(q sq01 "SELECT handler FROM feedback WHERE id = '$F3'")" 街道城管科
for d in street sq01 sq02; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done
step "ok"
