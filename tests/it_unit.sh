#!/usr/bin/env bash
# it_unit.sh - resident units and co-building agreements (issue 14, item 1)
# against a real tongxind: 和平社区 (SQ01) registers a hospital; 幸福社区
# (SQ02) signs an agreement with it by its credit code and, after a sync,
# holds the same unit row (one row, read only: its edit is refused locally
# and a forged one by the server); SQ01's later edit reaches SQ02; 光明社区
# (SQ03) never sees it; the street sees one unit and both agreements; SQ02
# ends its agreement (the unit stays on record), then deletes it by mistake
# (the unit leaves SQ02's replica, not SQ01's); bad input is refused with
# its message and changes nothing; an agreement naming a credit code no unit
# has is rejected by the server; every replica converges (the replica
# check counts shared rows).
. "$(dirname "$0")/lib.sh"

W=$TX_TMP
tx() { local n=$1; shift; "$TONGXIN" --replica "$W/$n.db" "$@"; }
q() { sqlite3 "$W/$1.db" "$2"; }
must() { run "$W/must.out" "$@"; [ "$TX_RC" -eq 0 ] || { cat "$W/must.out" >&2; fail "setup failed: $*"; }; }
# expect N WHAT CMD...: CMD exits N (output in $W/out).
expect() {
	local want=$1 what=$2
	shift 2
	run "$W/out" "$@"
	[ "$TX_RC" -eq "$want" ] || { cat "$W/out" >&2; fail "$what: exit $TX_RC, want $want"; }
}
equals() { [ "$2" == "$3" ] || fail "$1: got \"$2\", want \"$3\""; }
units() { q "$1" "SELECT count(*) FROM resident_unit"; }
CODE=12100000400000626K      # a valid 统一社会信用代码
OTHER=91350100M000100Y43     # valid, but no unit has it

step "a street and three communities, each with its office"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ03 --name 光明社区 --kind community
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02 sq03:SQ03; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done

step "SQ01 registers a unit; bad input is refused and changes nothing"
expect 7 "a wrong check character" tx sq01 unit add --name 市第一医院 --kind 医院 \
    --credit-code 12100000400000626X
expect_contains "$W/out" "统一社会信用代码 “12100000400000626X” 无效"
expect 7 "an unknown kind" tx sq01 unit add --name 市第一医院 --kind 工厂
expect_contains "$W/out" "单位类别"
expect 2 "no name" tx sq01 unit add --kind 医院
expect 7 "joined in the future" tx sq01 unit add --name 市第一医院 --kind 医院 --joined-on 2999-01-01
expect_contains "$W/out" "晚于今天"
expect 7 "a unit in the street, not a community" tx street unit add --name 市第一医院 --kind 医院
equals "nothing written" "$(units sq01)|$(q sq01 "SELECT count(*) FROM outbox")" "0|0"
expect 0 "unit add" tx sq01 unit add --name 市第一医院 --kind 医院 --credit-code "$CODE" \
    --party-org 市第一医院党委 --party-members 120 --contact 张敏 --phone 13700000001 \
    --joined-on 2024-03-01
expect_contains "$W/out" "已登记驻区单位"
expect 7 "the same credit code again" tx sq01 unit add --name 第一医院 --kind 医院 --credit-code "$CODE"
expect_contains "$W/out" "已登记为“市第一医院”"
U=$(q sq01 "SELECT id FROM resident_unit")
must tx sq01 sync -q
must tx street sync -q
must tx sq02 sync -q
equals "the street holds it" "$(units street)" 1
equals "SQ02 does not (no agreement yet)" "$(units sq02)" 0
expect 9 "SQ02 names it by name: not here" tx sq02 agreement add --unit 市第一医院
expect_contains "$W/out" "本副本中没有驻区单位“市第一医院”"

step "SQ02 signs an agreement by the credit code; after a sync it holds the unit"
expect 0 "agreement add by credit code" tx sq02 agreement add --unit "$CODE" \
    --signed-on 2025-01-10 --ends-on 2027-12-31 --unit-commits 每月义诊 --community-commits 提供场地
expect 0 "agreement list before the sync" tx sq02 agreement list
expect_contains "$W/out" "同步后显示"
must tx sq02 sync -q
equals "SQ02 holds the unit now, the same row" "$(q sq02 "SELECT id FROM resident_unit")" "$U"
equals "and the agreement names it" "$(q sq02 "SELECT unit_id FROM agreement")" "$U"
expect 0 "unit list at SQ02" tx sq02 unit list
expect_contains "$W/out" "市第一医院"
expect_contains "$W/out" "其他社区"
expect 7 "SQ02 cannot edit SQ01's unit" tx sq02 unit edit "$CODE" --phone 13900000000
expect_contains "$W/out" "该单位属于其他社区"
expect 7 "a second agreement in force" tx sq02 agreement add --unit 市第一医院
expect_contains "$W/out" "已有有效的共建协议"
must tx sq03 sync -q
equals "SQ03 never sees it" "$(units sq03)|$(q sq03 "SELECT count(*) FROM agreement")" "0|0"

step "a part-time member of SQ01's 党委 from the unit"
expect 7 "a unit only for a part-time member" tx sq01 committee add --org SQ01 --role 委员 \
    --name 刘强 --unit 市第一医院 --from 2025-01-01
expect_contains "$W/out" "只有兼职委员来自驻区单位"
expect 9 "an unknown unit" tx sq01 committee add --org SQ01 --role 兼职委员 --name 刘强 \
    --unit 市第二医院 --from 2025-01-01
must tx sq01 committee add --org SQ01 --role 兼职委员 --name 刘强 --unit "$CODE" --from 2025-01-01
equals "the seat names the unit" "$(q sq01 "SELECT name, role, unit_id FROM committee_member")" \
    "刘强|part_time|$U"
expect 0 "unit list counts him" tx sq01 unit list --csv
expect_contains "$W/out" ",0,1,是"

step "SQ01's edit reaches SQ02; SQ01's own agreement adds no second unit"
must tx sq01 unit edit 市第一医院 --phone 13700000002
must tx sq01 agreement add --unit 市第一医院 --signed-on 2024-03-01 --unit-commits 健康讲座
must tx sq01 sync -q
must tx sq02 sync -q
must tx street sync -q
equals "SQ02 sees the new phone" "$(q sq02 "SELECT contact_phone FROM resident_unit")" 13700000002
equals "one unit at the street, two agreements" \
    "$(units street)|$(q street "SELECT count(*) FROM agreement")" "1|2"
equals "SQ01: one unit, its own agreement only" \
    "$(units sq01)|$(q sq01 "SELECT count(*) FROM agreement")" "1|1"
expect 0 "unit show at the street" tx street unit show "$CODE" --json
expect_contains "$W/out" '"agreements": ['
expect_contains "$W/out" '"credit_code": "12100000400000626K"'

step "the same item changed at SQ01 and the street: a conflict; SQ02 sees the street's value"
must tx street sync -q
must tx street unit edit "$CODE" --party-org 市第一医院党委（街道核定）
must tx street sync -q
must tx sq01 unit edit "$CODE" --party-org 市第一医院党总支
run "$W/out" tx sq01 sync
expect_contains "$W/out" "1 conflict"
run "$W/out" tx street conflicts list
expect_rc 0 "conflicts list"
expect_contains "$W/out" "resident_unit"
must tx sq01 sync -q
must tx sq02 sync -q
equals "SQ01 and SQ02 hold the server's value" \
    "$(q sq01 "SELECT party_org FROM resident_unit")|$(q sq02 "SELECT party_org FROM resident_unit")" \
    "市第一医院党委（街道核定）|市第一医院党委（街道核定）"

step "a modified client at SQ02 that edits the unit is refused by the server"
# The domain refuses; a modified client is given the unit's community row so
# that it lets the edit through (the local write goes through, as any could).
sqlite3 "$W/sq02.db" "INSERT INTO org (id, code, name, kind, _version)
    SELECT org_id, 'SQ01', '和平社区', 'community', 0 FROM resident_unit"
must tx sq02 unit edit 市第一医院 --phone 13900000000
sqlite3 "$W/sq02.db" "DELETE FROM org WHERE code = 'SQ01'"
expect 10 "the server refuses SQ02's change to SQ01's unit" tx sq02 sync
expect 0 "status at SQ02" tx sq02 status
expect_contains "$W/out" "由其所属组织维护，本设备只能查看"
equals "SQ02 still holds the unit, as SQ01 keeps it" \
    "$(q sq02 "SELECT id, contact_phone FROM resident_unit")" "$U|13700000002"
must tx sq01 sync -q
equals "SQ01's unit keeps its phone" "$(q sq01 "SELECT contact_phone FROM resident_unit")" 13700000002
equals "so does the street's" "$(q street "SELECT contact_phone FROM resident_unit")" 13700000002

step "an agreement naming a credit code no unit has is rejected by the server"
must tx sq03 agreement add --unit "$OTHER" --signed-on 2025-02-01
expect 10 "the server rejects it" tx sq03 sync
expect 0 "status" tx sq03 status
expect_contains "$W/out" "没有统一社会信用代码为 $OTHER 的驻区单位"
equals "SQ03 still holds no unit" "$(units sq03)" 0

step "SQ02 ends its agreement: the unit stays; deleting it takes the unit from SQ02 only"
A2=$(q sq02 "SELECT id FROM agreement")
expect 7 "ended before it was signed" tx sq02 agreement end "${A2: -8}" --date 2024-01-01
must tx sq02 agreement end "${A2: -8}" --date 2025-06-30
expect 7 "ended twice" tx sq02 agreement end "${A2: -8}"
expect_contains "$W/out" "已于 2025-06-30 终止"
must tx sq02 sync -q
must tx sq02 sync -q
equals "an ended agreement keeps the unit on record" "$(units sq02)" 1
expect 0 "agreement list: none in force" tx sq02 agreement list
expect_contains "$W/out" "没有有效的共建协议"
must tx sq02 agreement delete "${A2: -8}"
must tx sq02 sync -q
must tx sq02 sync -q
equals "SQ02 no longer holds the unit" "$(units sq02)|$(q sq02 "SELECT count(*) FROM agreement")" "0|0"
must tx sq01 sync -q
equals "SQ01 keeps it" "$(units sq01)" 1
must tx sq02 agreement add --unit "$CODE" --signed-on 2025-09-01
must tx sq02 sync -q
must tx sq02 sync -q
equals "a new agreement brings it back" "$(q sq02 "SELECT id FROM resident_unit")" "$U"

step "every replica converges"
for d in street sq01 sq02 sq03; do
	must tx "$d" sync -q
done
for d in street sq01 sq02 sq03; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done
step "ok"
