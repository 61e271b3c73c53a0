#!/usr/bin/env bash
# it_claim.sh - claims on list items (双向认领, issue 14 item 2) and the
# month's public board (公示) against a real tongxind: a street and two
# communities, SQ01 and SQ02, each with a branch. SQ01 claims its items by
# a branch, a member and a resident unit (a 责任 item too); several
# claimants take on one need, the same one not twice while active; claims
# go claimed -> in progress -> done or withdrawn, and the item follows
# (open again when its last claim is withdrawn); every refusal says why,
# exits with its status and writes nothing (the replica's dump is
# compared). The old form --by NAME names a real organisation or is
# refused. SQ01's unit, shared with SQ02 by an agreement, claims an SQ02
# need once SQ02 holds it (after the agreement's sync: refused before).
# Scope: SQ01's claims reach the street, never SQ02. The board is checked
# against the lines this script writes down as it makes each row.
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
# refused DEV STATUS TEXT CMD...: CMD at DEV exits STATUS, says TEXT, and DEV's replica is unchanged.
refused() {
	local dev=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$dev")
	expect "$want" "$*" tx "$dev" "$@"
	expect_contains "$W/out" "$text"
	equals "nothing written by: $*" "$(digest "$dev")" "$d0"
}
item() { q "$1" "SELECT id FROM list_item WHERE title = '$2'"; }
# The claim just made (the last line of the claim's output names it: 认领编号 claim XXXXXXXX).
claim_of() { sed -n 's/.*认领编号 claim \([0-9a-f]*\)).*/\1/p' "$W/out"; }
istate() { q "$1" "SELECT status || '|' || coalesce(claimed_by, '') || '|' || coalesce(claimed_on, '') FROM list_item WHERE id = '$2'"; }
cstate() { q "$1" "SELECT state || '|' || coalesce(done_on, '') || '|' || coalesce(result, '') FROM claim WHERE id LIKE '%$2'"; }
CODE=12100000400000626K
TODAY=$(TZ=Asia/Shanghai date +%F)

step "a street, two communities with a branch each, a member and a unit of SQ01"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 \
    --branch-type residential
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 \
    --branch-type residential
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done
must tx sq01 member add --name 李明 --gender male --ethnicity 汉族 --id-number "$(idn_male 19800101 3)" \
    --education bachelor --category full --branch SQ01-01 --join-date 2005-07-01 --full-date 2006-07-01
must tx sq01 unit add --name 市第一医院 --kind 医院 --credit-code "$CODE" --joined-on 2024-03-01
must tx sq01 item add --kind need --title 独居老人助餐
must tx sq01 item add --kind responsibility --title 楼道整治责任 --org SQ01-01
must tx sq01 item add --kind problem --title 路灯损坏 --due-on 2025-07-31
must tx sq01 item add --kind resource --title 活动室开放
must tx sq02 item add --kind need --title 助老义诊
N=$(item sq01 独居老人助餐); R=$(item sq01 楼道整治责任); P=$(item sq01 路灯损坏)
S=$(item sq01 活动室开放); N2=$(item sq02 助老义诊)

step "claims by a branch and a member on one need; the same claimant twice is refused"
expect 0 "claim by a branch" tx sq01 item claim "${N: -6}" --branch SQ01-01 --date 2025-05-03
expect_contains "$W/out" "已认领"
C1=$(claim_of)
[ -n "$C1" ] || fail "claim printed no claim handle: $(cat "$W/out")"
equals "the claim row" "$(q sq01 "SELECT k.state || '|' || k.claimed_on || '|' || o.code FROM claim k
    JOIN org o ON o.id = k.by_org_id WHERE k.item_id = '$N'")" "claimed|2025-05-03|SQ01-01"
equals "the item is claimed by the branch" "$(istate sq01 "$N")" "claimed|和平第一支部|2025-05-03"
expect 0 "a second claimant, a member" tx sq01 item claim "$N" --member 李明 --date 2025-05-04
C2=$(claim_of)
equals "two claims on the need" "$(q sq01 "SELECT count(*) FROM claim WHERE item_id = '$N'")" 2
equals "the item keeps its first claimant" "$(istate sq01 "$N")" "claimed|和平第一支部|2025-05-03"
refused sq01 7 "“和平第一支部”已于 2025-05-03 认领本清单" item claim "$N" --branch SQ01-01
refused sq01 7 "“李明”已于 2025-05-04 认领本清单" item claim "$N" --member 李明

step "a 责任 item is claimed by a resident unit; bad claims are refused and change nothing"
expect 0 "a responsibility item claimed by a unit" tx sq01 item claim "$R" --unit 市第一医院 --date 2025-05-10
C3=$(claim_of)
equals "by the unit" "$(q sq01 "SELECT u.name FROM claim k JOIN resident_unit u ON u.id = k.by_unit_id
    WHERE k.item_id = '$R'")" 市第一医院
refused sq01 2 "请给出一个认领方：--branch、--unit 或 --member" item claim "$S"
refused sq01 2 "请给出一个认领方" item claim "$S" --branch SQ01-01 --member 李明
refused sq01 9 "认领支部：本副本中没有组织“SQ09”" item claim "$S" --branch SQ09
refused sq01 9 "李四" item claim "$S" --member 李四
refused sq01 9 "本副本中没有驻区单位“市第二医院”" item claim "$S" --unit 市第二医院
refused sq01 7 "晚于今天" item claim "$S" --branch SQ01-01 --date 2999-01-01
refused sq01 7 "2025-02-29" item claim "$S" --branch SQ01-01 --date 2025-02-29
refused sq01 9 "本副本中没有清单“000000”" item claim 000000 --branch SQ01-01

step "the old form --by names a real organisation, by code or name, or is refused"
refused sq01 9 "认领方“另一支部”不是本副本中的组织" item claim "$S" --by 另一支部
refused sq01 7 "缺少认领方 --by NAME" item claim "$S" --by ""
expect 0 "--by a branch's name" tx sq01 item claim "$P" --by 和平第一支部 --date 2025-06-02
C4=$(claim_of)
equals "a claim row naming the branch" "$(q sq01 "SELECT o.code FROM claim k JOIN org o ON o.id = k.by_org_id
    WHERE k.item_id = '$P'")" SQ01-01

step "a claim's life: claimed -> in progress -> done; withdrawn; done and withdrawn are final"
expect 0 "progress" tx sq01 item progress "$C1"
equals "in progress" "$(cstate sq01 "$C1")" "in_progress||"
refused sq01 7 "该认领已办理中" item progress "$C1"
refused sq01 2 "--result" item done "$C1"
refused sq01 7 "缺少完成情况" item done "$C1" --result ""
refused sq01 7 "完成日期" item done "$C1" --result 送餐 --date 2025-05-01
refused sq01 7 "晚于今天" item done "$C1" --result 送餐 --date 2999-01-01
expect 0 "done" tx sq01 item done "$C1" --result 每周送餐三次 --date 2025-05-20
equals "done with its date and result" "$(cstate sq01 "$C1")" "done|2025-05-20|每周送餐三次"
refused sq01 7 "该认领已完成，不能再变更" item progress "$C1"
refused sq01 7 "该认领已完成，不能再变更" item withdraw "$C1"
expect 0 "the member withdraws" tx sq01 item withdraw "$C2" --note 工作调动
equals "withdrawn" "$(cstate sq01 "$C2")" "withdrawn||"
equals "the item still claimed (a done claim remains)" "$(istate sq01 "$N")" "claimed|和平第一支部|2025-05-03"
refused sq01 7 "该认领已撤回，不能再变更" item done "$C2" --result x
refused sq01 9 "本副本中没有认领“abcdef”" item progress abcdef
expect 0 "the unit withdraws from the 责任 item" tx sq01 item withdraw "$C3"
equals "the item is open again" "$(istate sq01 "$R")" "open||"
expect 0 "a withdrawn claimant may claim again" tx sq01 item claim "$R" --unit 市第一医院 --date 2025-05-12
C5=$(claim_of)
equals "claimed again" "$(istate sq01 "$R")" "claimed|市第一医院|2025-05-12"

step "close-out (销号) needs its result; a closed item is claimed no more"
refused sq01 7 "销号说明为必填项" item close "$N" --date 2025-05-25
expect 0 "close the need" tx sq01 item close "$N" --note 助餐点已运行 --date 2025-05-25
refused sq01 7 "清单已销号" item claim "$N" --member 李明
expect 0 "rectify the problem item" tx sq01 item rectify "$P" --note 已更换灯具 --date 2025-06-10
refused sq01 7 "不能再认领" item claim "$P" --member 李明
expect 0 "close the problem item" tx sq01 item close "$P" --date 2025-06-12

step "a claim made in April and done in May; an item closed in July without a claim"
expect 0 "claim the resource in April" tx sq01 item claim "$S" --branch SQ01-01 --date 2025-04-28
C7=$(claim_of)
expect 0 "done in May" tx sq01 item done "$C7" --result 每周开放两天 --date 2025-05-02
must tx sq01 item add --kind activity --title 七一活动
A7=$(item sq01 七一活动)
expect 0 "closed with no claim" tx sq01 item close "$A7" --note 参加80人 --date 2025-07-01

step "item claims lists them"
expect 0 "claims of the need" tx sq01 --csv item claims "${N: -6}"
equals "two claims listed" "$(tail -n +2 "$W/out" | wc -l)" 2
expect_contains "$W/out" 每周送餐三次
expect_contains "$W/out" 工作调动
expect 0 "all claims" tx sq01 item claims
expect_contains "$W/out" 市第一医院

# The boards as this script made the rows. May: the need (claimed 05-03
# and 05-04, done 05-20, closed 05-25) with both claims; the resource
# (claimed in April, done 05-02); the 责任 item (claimed 05-10, withdrawn,
# claimed again 05-12) with both. April: the resource. June: the problem
# item (claimed and closed in June). July: an item closed with no claim.
# Fields: community code, kind, title, claimant, claim state, claimed on,
# done on, result, item status, closed on, close result.
cat >"$W/board-05.want" <<EOT
SQ01,need,独居老人助餐,和平第一支部,done,2025-05-03,2025-05-20,每周送餐三次,closed,2025-05-25,助餐点已运行
SQ01,need,独居老人助餐,李明,withdrawn,2025-05-04,,,closed,2025-05-25,助餐点已运行
SQ01,resource,活动室开放,和平第一支部,done,2025-04-28,2025-05-02,每周开放两天,claimed,,
SQ01,responsibility,楼道整治责任,市第一医院,withdrawn,2025-05-10,,,claimed,,
SQ01,responsibility,楼道整治责任,市第一医院,claimed,2025-05-12,,,claimed,,
EOT
cat >"$W/board-04.want" <<EOT
SQ01,resource,活动室开放,和平第一支部,done,2025-04-28,2025-05-02,每周开放两天,claimed,,
EOT
cat >"$W/board-07.want" <<EOT
SQ01,activity,七一活动,,,,,,closed,2025-07-01,参加80人
EOT
cat >"$W/board-06.want" <<EOT
SQ01,problem,路灯损坏,和平第一支部,claimed,2025-06-02,,,closed,2025-06-12,已更换灯具
EOT
# The board a device prints as JSON, as the same lines.
board() {
	tx "$1" --json item board --month "$2" ${3:+--org "$3"} | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    f = [r["community_code"], r["kind"], r["title"], r["claimant"], r["claim_state"], r["claimed_on"],
         r["done_on"], r["result"], r["item_status"], r["closed_on"], r["close_result"]]
    print(",".join("" if v is None else str(v) for v in f))'
}

step "the board of May and June, checked against the rows made"
equals "SQ01's May board" "$(board sq01 2025-05)" "$(cat "$W/board-05.want")"
equals "SQ01's June board" "$(board sq01 2025-06)" "$(cat "$W/board-06.want")"
equals "SQ01's April board" "$(board sq01 2025-04)" "$(cat "$W/board-04.want")"
equals "SQ01's July board" "$(board sq01 2025-07)" "$(cat "$W/board-07.want")"
equals "an empty month" "$(board sq01 2025-03)" ""
expect 0 "the board as a table" tx sq01 item board --month 2025-05
expect_contains "$W/out" "清单认领公示 2025-05"
expect_contains "$W/out" 独居老人助餐
expect_not_contains "$W/out" "$(idn_male 19800101 3)"
expect 0 "the board as CSV" tx sq01 --csv item board --month 2025-05
equals "CSV: a header and five lines" "$(tail -n +2 "$W/out" | wc -l)" 5
refused sq01 7 "月份“2025-13”无效" item board --month 2025-13
refused sq01 9 "SQ09" item board --month 2025-05 --org SQ09

step "scope: SQ01's claims reach the street, never SQ02"
must tx sq01 sync -q
must tx street sync -q
must tx sq02 sync -q
equals "the street holds SQ01's six claims" "$(q street "SELECT count(*) FROM claim")" 6
equals "SQ02 holds none" "$(q sq02 "SELECT count(*) FROM claim")" 0
equals "the street's May board for SQ01" "$(board street 2025-05 SQ01)" "$(cat "$W/board-05.want")"
equals "the street's whole May board" "$(board street 2025-05)" "$(cat "$W/board-05.want")"
equals "SQ02's May board" "$(board sq02 2025-05)" ""
refused street 7 "认领支部须为" item claim "$S" --branch JD01

step "SQ01's unit claims an SQ02 need once SQ02 holds it through an agreement"
refused sq02 9 "本副本中还没有驻区单位记录" item claim "$N2" --unit 市第一医院
must tx sq02 agreement add --unit "$CODE" --signed-on 2025-01-10
refused sq02 9 "本副本中还没有驻区单位记录" item claim "$N2" --unit 市第一医院
must tx sq02 sync -q
expect 0 "claim by the shared unit" tx sq02 item claim "$N2" --unit 市第一医院 --date 2025-05-15
C6=$(claim_of)
must tx sq02 sync -q
must tx street sync -q
must tx sq01 sync -q
equals "the street holds SQ02's claim by SQ01's unit" \
    "$(q street "SELECT u.name FROM claim k JOIN resident_unit u ON u.id = k.by_unit_id
    JOIN list_item i ON i.id = k.item_id WHERE i.title = '助老义诊'")" 市第一医院
equals "SQ01 does not see SQ02's claim" "$(q sq01 "SELECT count(*) FROM claim")" 6
cat >"$W/board-05-sq02.want" <<EOT
SQ02,need,助老义诊,市第一医院,claimed,2025-05-15,,,claimed,,
EOT
equals "SQ02's May board" "$(board sq02 2025-05)" "$(cat "$W/board-05-sq02.want")"
equals "the street's May board: both communities" "$(board street 2025-05)" \
    "$(cat "$W/board-05.want" "$W/board-05-sq02.want")"
equals "SQ02's item follows its claim" "$(istate sq02 "$N2")" "claimed|市第一医院|2025-05-15"

step "progress made at SQ02 reaches the street; every replica verifies"
must tx sq02 item done "$C6" --result 义诊两次 --date 2025-05-30
must tx sq02 sync -q
must tx street sync -q
equals "done at the street" "$(q street "SELECT state || '|' || result FROM claim WHERE id LIKE '%$C6'")" \
    "done|义诊两次"
step "the same claim moved at SQ02 and at the street: a conflict the street sees"
expect 0 "SQ02's branch claims the need too" tx sq02 item claim "$N2" --branch SQ02-01 --date 2025-06-01
C7=$(claim_of)
must tx sq02 sync -q
must tx street sync -q
must tx street item progress "$C7"
must tx street sync -q
expect 0 "SQ02, not yet knowing, withdraws it" tx sq02 item withdraw "$C7" --note 人手不足
run "$W/out" tx sq02 sync
expect_contains "$W/out" "1 conflict"
run "$W/out" tx street conflicts list
expect_rc 0 "conflicts list"
expect_contains "$W/out" "claim"
equals "the server keeps the street's state" \
    "$(sqlite3 "$W/srv/tongxind.db" "SELECT state FROM claim WHERE id LIKE '%$C7'")" in_progress
must tx sq02 sync -q
equals "SQ02 converges on it" "$(q sq02 "SELECT state FROM claim WHERE id LIKE '%$C7'")" in_progress
for d in street sq01 sq02; do
	expect 0 "$d verifies" tx "$d" sync --verify
done
step "ok"
