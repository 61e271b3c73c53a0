#!/usr/bin/env bash
# it_committee.sh - committees and 党员中心户 (issue 10, item 5) against a
# real tongxind: 和平社区 (SQ01) has a branch of 8 full members and a
# probationary one (SQ01-01, with a Party group) and a branch of 2 full
# members (SQ01-02). Each rule's refusal exits 7 (or 9 for what does not
# exist, 2 for a usage error) and leaves the replica byte for byte as it
# was: a probationary member, a member of another branch, a name alone for
# a role other than 兼职委员, a 组织委员 in a branch under 7 full members, a
# committee for a Party group, a second current seat of one person, a new
# secretary who does not start after the current one, an end before the
# start or in the future, a name that is no person's name. A secretary
# change made offline at the office ends the predecessor's seat the day
# before and sets org.secretary in ONE outbox transaction; after syncs the
# street's committee list and org.secretary show the new secretary. A
# center (党员中心户) covers at most 30 households; the 31st, a duplicate,
# a bad head's name and a second center of one member are refused.
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
digest() { sqlite3 "$W/$1.db" .dump | sha256sum; }
# refused N WHAT NEEDLE CMD...: CMD exits N, says NEEDLE, and sq01's replica is unchanged.
refused() {
	local want=$1 what=$2 needle=$3 d0
	shift 3
	d0=$(digest sq01)
	expect "$want" "$what" "$@"
	[ -z "$needle" ] || expect_contains "$W/out" "$needle"
	equals "$what: nothing changed" "$(digest sq01)" "$d0"
}

step "a street, a community with two branches and a group"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 \
    --branch-type residential
must tx street org add --code SQ01-02 --name 和平第二支部 --kind branch --parent SQ01 \
    --branch-type residential
must tx street org add --code SQ01-01-G1 --name 第一党小组 --kind group --parent SQ01-01
must tx street sync -q
"$TONGXIND" enroll "$W/srv" --org SQ01 --device sq01 --out "$W/sq01.bundle" >/dev/null
must tx sq01 join "$W/sq01.bundle"
must tx sq01 sync -q

# full NAME GENDER BRANCH N: a full member who joined in 2005.
full() {
	local id
	if [ "$2" = male ]; then id=$(idn_male 19700101 "$4"); else id=$(idn_female 19700101 "$4"); fi
	must tx sq01 member add --name "$1" --gender "$2" --ethnicity 汉族 --id-number "$id" \
	    --education bachelor --category full --branch "$3" --join-date 2005-07-01 \
	    --full-date 2006-07-01 --address "和平路$4号"
}
n=0
for p in 王建国:male 李明:male 张伟:male 刘洋:male 陈静:female 杨帆:male 赵磊:male 周强:male; do
	n=$((n + 1))
	full "${p%:*}" "${p#*:}" SQ01-01 "$n"
done
full 孙丽 female SQ01-02 20
full 郑刚 male SQ01-02 21
JOINED=$(date -d '-2 months' +%F)
must tx sq01 member add --name 吴敏 --gender male --ethnicity 汉族 --id-number "$(idn_male 19900101 3)" \
    --education bachelor --category probationary --branch SQ01-01 --join-date "$JOINED"
must tx sq01 sync -q

step "the first secretary; org.secretary follows"
expect 0 "王建国 书记 of SQ01-01" tx sq01 committee add --org SQ01-01 --member 王建国 --role 书记 --from 2023-01-10
expect_contains "$W/out" "书记"
equals "org.secretary" "$(q sq01 "SELECT secretary FROM org WHERE code = 'SQ01-01'")" 王建国
expect 0 "李明 组织委员" tx sq01 committee add --org SQ01-01 --member 李明 --role organisation --from 2023-01-10
expect 0 "a 兼职委员 by name" tx sq01 committee add --org SQ01-01 --name 马晓东 --role 兼职委员 --from 2023-01-10 \
    --note 驻区单位
expect 0 "the small branch's secretary" tx sq01 committee add --org SQ01-02 --member 孙丽 --role secretary --from 2024-01-01
expect 0 "and its one deputy" tx sq01 committee add --org SQ01-02 --member 郑刚 --role 副书记 --from 2024-01-01

step "each rule's refusal changes nothing"
refused 7 "a probationary member" "预备党员" \
    tx sq01 committee add --org SQ01-01 --member 吴敏 --role 宣传委员 --from 2024-01-01
refused 7 "a member of another branch" "不是和平第一支部" \
    tx sq01 committee add --org SQ01-01 --member 孙丽 --role 宣传委员 --from 2024-01-01
refused 7 "a name alone for a 委员" "只能是兼职委员" \
    tx sq01 committee add --org SQ01-01 --name 钱多多 --role 委员 --from 2024-01-01
refused 7 "a 组织委员 in a branch of 2 full members" "不足 7 名，不设支部委员会" \
    tx sq01 committee add --org SQ01-02 --name 钱多多 --role 兼职委员 --from 2024-01-01
refused 7 "a second deputy there" "只能设一名副书记" \
    tx sq01 committee add --org SQ01-02 --name 钱多多 --role deputy --from 2024-01-01
refused 7 "a committee for a Party group" "党小组设组长" \
    tx sq01 committee add --org SQ01-01-G1 --member 张伟 --role 委员 --from 2024-01-01
refused 7 "a second current seat of one person" "已在和平第一支部任书记" \
    tx sq01 committee add --org SQ01-01 --member 王建国 --role 宣传委员 --from 2024-01-01
refused 7 "a new secretary who starts before the current one" "须晚于现任书记王建国的任职日期 2023-01-10" \
    tx sq01 committee add --org SQ01-01 --member 张伟 --role 书记 --from 2023-01-10
refused 7 "a part-time name that is no name" "姓名" \
    tx sq01 committee add --org SQ01-01 --name "'; DROP TABLE org;--" --role part_time --from 2024-01-01
refused 7 "an unknown role" "职务“校长”无效" \
    tx sq01 committee add --org SQ01-01 --member 张伟 --role 校长 --from 2024-01-01
refused 7 "a start in the future" "" \
    tx sq01 committee add --org SQ01-01 --member 张伟 --role 委员 --from 2999-01-01
refused 9 "an unknown organisation" "未知组织" \
    tx sq01 committee add --org XX99 --member 张伟 --role 委员 --from 2024-01-01
refused 9 "an unknown member" "" \
    tx sq01 committee add --org SQ01-01 --member 不存在 --role 委员 --from 2024-01-01
refused 2 "--member and --name together" "" \
    tx sq01 committee add --org SQ01-01 --member 张伟 --name 张伟 --role 委员 --from 2024-01-01
refused 2 "no --from" "" tx sq01 committee add --org SQ01-01 --member 张伟 --role 委员
must tx sq01 member leave 周强 --reason withdrawal --date 2024-06-01
refused 7 "a member who left" "已不在党员名册" \
    tx sq01 committee add --org SQ01-01 --member 周强 --role 宣传委员 --from 2024-07-01
refused 7 "an end before the start" "早于开始日期" tx sq01 committee end 李明 --date 2022-12-31
refused 7 "an end in the future" "晚于今天" tx sq01 committee end 李明 --date 2999-01-01
refused 9 "an unknown seat" "" tx sq01 committee end 不存在 --date 2024-01-01

step "the lists"
expect 0 "committee list" tx sq01 committee list --org SQ01-01
expect_contains "$W/out" 王建国
expect_contains "$W/out" 组织委员
expect_contains "$W/out" "（兼职，非本组织党员）"
expect_not_contains "$W/out" 孙丽
expect 0 "committee list (the whole community)" tx sq01 committee list
expect_contains "$W/out" 孙丽
expect_contains "$W/out" 副书记
run "$W/list.json" tx sq01 --json committee list --org SQ01-02
expect_rc 0 "committee list --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [(x["role"], x["role_label"], x["name"]) for x in d] == [("secretary", "书记", "孙丽"), ("deputy", "副书记", "郑刚")], d' "$W/list.json" \
    || fail "committee list --json: the secretary then the deputy, coded roles"
run "$W/list.csv" tx sq01 --csv committee list --org SQ01-02
expect_rc 0 "committee list --csv"
expect_contains "$W/list.csv" "书记"

step "a secretary change offline at the office: one transaction, org.secretary follows"
n0=$(q sq01 "SELECT count(*) FROM outbox")
expect 0 "张伟 书记 from 2025-06-01" tx sq01 committee add --org SQ01-01 --member 张伟 --role 书记 --from 2025-06-01
expect_contains "$W/out" "前任书记 王建国 的任职于 2025-05-31 结束"
equals "one outbox transaction of three changes (the end, the seat, org.secretary)" \
    "$(q sq01 "SELECT count(*) - $n0 FROM outbox")|$(q sq01 "SELECT nchanges FROM outbox ORDER BY seq DESC LIMIT 1")" "1|3"
equals "org.secretary at the office" "$(q sq01 "SELECT secretary FROM org WHERE code = 'SQ01-01'")" 张伟
equals "王建国's seat ended the day before" \
    "$(q sq01 "SELECT ended_on FROM committee_member WHERE name = '王建国'")" 2025-05-31
expect 0 "the current list" tx sq01 committee list --org SQ01-01
expect_contains "$W/out" 张伟
expect_not_contains "$W/out" 王建国
expect 3 "the office is offline (the changes wait)" tx sq01 --server 127.0.0.1:1 sync
must tx sq01 sync -q
must tx street sync -q
expect 0 "the street's committee list" tx street committee list --org SQ01-01
expect_contains "$W/out" 张伟
expect_not_contains "$W/out" 王建国
expect 0 "the street's list with the ended seats" tx street committee list --org SQ01-01 --all
expect_contains "$W/out" 2025-05-31
equals "the street's org.secretary" "$(q street "SELECT secretary FROM org WHERE code = 'SQ01-01'")" 张伟
expect 0 "the street's org list shows him" tx street org list
expect_contains "$W/out" 张伟

step "the community's own committee: a member of a branch under it, org.secretary of the community"
expect 0 "刘洋 书记 of SQ01 (a member of SQ01-01)" \
    tx sq01 committee add --org SQ01 --member 刘洋 --role 书记 --from 2024-03-01
expect 0 "a 宣传委员 of SQ01 from the small branch (the size rule is a branch's)" \
    tx sq01 committee add --org SQ01 --member 郑刚 --role publicity --from 2024-03-01
must tx sq01 sync -q
must tx street sync -q
equals "the street's SQ01 secretary" "$(q street "SELECT secretary FROM org WHERE code = 'SQ01'")" 刘洋
equals "the server applied every change of the office" \
    "$(q sq01 "SELECT count(*) FROM outcome WHERE status NOT IN ('applied', 'merged')")" 0

step "ending a secretary's seat clears org.secretary"
expect 0 "孙丽 leaves her seat" tx sq01 committee end 孙丽 --date 2025-12-31
equals "SQ01-02 has no secretary" "$(q sq01 "SELECT coalesce(secretary, '-') FROM org WHERE code = 'SQ01-02'")" -
refused 7 "ended twice" "已于 2025-12-31 结束" tx sq01 committee end "$(q sq01 "SELECT substr(id, -8) FROM committee_member WHERE name = '孙丽'")"

step "a seat holder who leaves is flagged in the list until his seat ends"
expect 0 "赵磊 宣传委员" tx sq01 committee add --org SQ01-01 --member 赵磊 --role publicity --from 2024-01-01
must tx sq01 member leave 赵磊 --reason withdrawal --date 2025-08-01
expect 0 "committee list" tx sq01 committee list --org SQ01-01
expect_contains "$W/out" "已减少或党籍不正常，请办理离任"
run "$W/left.json" tx sq01 --json committee list --org SQ01-01
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [x["name"] for x in d if x["member_left"]] == ["赵磊"], d' "$W/left.json" \
    || fail "committee list --json: member_left only for 赵磊"
expect 0 "his seat ends" tx sq01 committee end 赵磊 --date 2025-08-01

step "党员中心户: a center and its households"
expect 0 "王建国's household becomes a center" \
    tx sq01 committee household add --member 王建国 --grid 第三网格 --from 2024-01-01
equals "the center's branch and default address" \
    "$(q sq01 "SELECT o.code || '|' || c.address FROM center_household c JOIN org o ON o.id = c.org_id")" "SQ01-01|和平路1号"
refused 7 "a second center of one member" "已是党员中心户" \
    tx sq01 committee household add --member 王建国 --from 2024-02-01
refused 9 "an unknown member" "" tx sq01 committee household add --member 不存在 --from 2024-02-01
expect 0 "the first household" tx sq01 committee household cover 王建国 --name 张大山 --address 和平路1号1单元101 \
    --phone 13800000001
refused 7 "a head's name with digits" "户主姓名" \
    tx sq01 committee household cover 王建国 --name 张三3 --address 和平路1号1单元102
refused 7 "a head's name of full-width blanks" "" \
    tx sq01 committee household cover 王建国 --name "　　" --address 和平路1号1单元102
refused 7 "the same household again" "已由党员中心户" \
    tx sq01 committee household cover 王建国 --name 张大山 --address 和平路1号1单元101
refused 2 "no address" "" tx sq01 committee household cover 王建国 --name 李四
sur=(赵 钱 孙 李 周 吴 郑 王 冯 陈 褚 卫 蒋 沈 韩 杨 朱 秦 尤 许 何 吕 施 张 孔 曹 严 华 金 魏)
for i in $(seq 0 28); do
	must tx sq01 committee household cover 王建国 --name "${sur[$i]}小户" --address "和平路2号$((i + 1))室"
done
equals "30 households" "$(q sq01 "SELECT count(*) FROM covered_household")" 30
refused 7 "the 31st household" "达到上限 30 户" \
    tx sq01 committee household cover 王建国 --name 欧阳修 --address 和平路3号
expect 0 "household show" tx sq01 committee household show 王建国
expect_contains "$W/out" 张大山
expect_contains "$W/out" 金小户
run "$W/show.json" tx sq01 --json committee household show 王建国
expect_rc 0 "household show --json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["households"]) == 30, d' "$W/show.json" \
    || fail "household show --json: one document with its 30 households"
expect 0 "household list" tx sq01 committee household list
expect_contains "$W/out" 第三网格
expect_contains "$W/out" 30
must tx sq01 sync -q
must tx street sync -q
equals "the street holds the center and its households" \
    "$(q street "SELECT count(*) FROM center_household")|$(q street "SELECT count(*) FROM covered_household")" "1|30"
must tx sq01 member add --name 何芳 --gender female --ethnicity 汉族 --id-number "$(idn_female 19800101 4)" \
    --education bachelor --category full --branch SQ01-01-G1 --join-date 2010-07-01 --full-date 2011-07-01
expect 0 "a group's member: the center belongs to the group's branch" \
    tx sq01 committee household add --member 何芳 --address 和平路9号 --from 2024-05-01
equals "何芳's center's branch" "$(q sq01 "SELECT o.code FROM center_household c JOIN org o ON o.id = c.org_id JOIN member m ON m.id = c.member_id WHERE m.name = '何芳'")" SQ01-01
must tx sq01 member leave 何芳 --reason withdrawal --date 2025-09-01
expect 0 "household list" tx sq01 committee household list
expect_contains "$W/out" "何芳（已减少或党籍不正常，请撤销）"
expect 0 "her center closes" tx sq01 committee household end 何芳 --date 2025-09-01
expect 0 "household end" tx sq01 committee household end 王建国 --date 2025-01-01
refused 7 "a closed center covers no more households" "" \
    tx sq01 committee household cover "$(q sq01 "SELECT substr(c.id, -8) FROM center_household c JOIN member m ON m.id = c.member_id WHERE m.name = '王建国'")" --name 欧阳修 --address 和平路3号
must tx sq01 sync -q

step "two offline appointments of a secretary: the later one is a conflict for the street"
# The street appoints 李明 and SQ01, not yet synced, appoints 陈静: both end
# 刘洋's seat (on different days). The server holds SQ01's whole transaction
# (the end, 陈静's seat, org.secretary) as a conflict for the street to
# settle, so no organisation ends up with two current secretaries.
must tx street sync -q
expect 0 "the street appoints 李明 书记 of SQ01" \
    tx street committee add --org SQ01 --member 李明 --role 书记 --from 2026-01-01
expect 0 "SQ01, not synced, appoints 陈静" \
    tx sq01 committee add --org SQ01 --member 陈静 --role 书记 --from 2026-02-01
must tx street sync -q
expect 0 "SQ01's sync" tx sq01 sync
expect_contains "$W/out" "1 conflict"
must tx street sync -q
expect 0 "the street's list: 李明 alone is SQ01's secretary" tx street committee list --org SQ01
expect_contains "$W/out" 李明
expect_not_contains "$W/out" 陈静
expect_not_contains "$W/out" "两名现任书记"
equals "the street's SQ01 secretary" "$(q street "SELECT secretary FROM org WHERE code = 'SQ01'")" 李明
# Were both seats ever current (a settlement that applies both), the list says so:
# on a copy of the street's replica, 陈静's seat is put beside 李明's.
cp "$W/street.db" "$W/copy.db"
sqlite3 "$W/copy.db" "INSERT INTO committee_member (id, org_id, member_id, name, role, started_on, _version)
    SELECT lower(hex(randomblob(16))), org_id, NULL, '陈静', 'secretary', '2026-02-01', 0
    FROM committee_member WHERE name = '李明' AND role = 'secretary'"
expect 0 "committee list on the copy" tx copy committee list --org SQ01
expect_contains "$W/out" "注意：本组织有两名现任书记"
run "$W/clash.json" tx copy --json committee list --org SQ01
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert sorted(x["name"] for x in d if x["secretary_clash"]) == ["李明", "陈静"], d' "$W/clash.json" \
    || fail "committee list --json: secretary_clash on 李明 and 陈静"

step "every replica converges"
for d in street sq01; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done
step "ok"
