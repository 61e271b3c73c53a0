#!/usr/bin/env bash
# it_cobuild_report.sh - the street's co-building report (issue 14, item 8:
# report cobuild) against a real tongxind: two communities' offices record
# a year of units, agreements, wishes and opinions through the CLI, sync,
# and the street's report gives, per community, the figures this script
# counts itself from what it made (units of the year only, agreements in
# force during it, wishes posted and fulfilled in it with their value,
# opinions received, replied within 7 days, overdue at the year's end).
# Claims, volunteer hours, the service fund and the assessment (the grade by
# common/points.h, the branch's score left out) are read from rows put into
# a copy of the street's replica (their verbs are separate features), so
# the report's own arithmetic is checked on every column. The community's
# own report shows only itself; --csv and --json carry the same figures.
. "$(dirname "$0")/lib.sh"

W=$TX_TMP
tx() { local n=$1; shift; "$TONGXIN" --replica "$W/$n.db" "$@"; }
q() { sqlite3 "$W/$1.db" "$2"; }
must() { run "$W/must.out" "$@"; [ "$TX_RC" -eq 0 ] || { cat "$W/must.out" >&2; fail "setup failed: $*"; }; }
equals() { [ "$2" == "$3" ] || fail "$1: got \"$2\", want \"$3\""; }

step "a street, two communities, a branch of SQ01, the offices"
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

step "SQ01: two units (one left in 2024), agreements; SQ02 co-builds with SQ01's hospital"
must tx sq01 unit add --name 市第一医院 --kind 医院 --credit-code 12100000400000626K --joined-on 2023-05-01
must tx sq01 unit add --name 老纺织厂 --kind 国有企业 --joined-on 2020-01-01
must tx sq01 agreement add --unit 市第一医院 --signed-on 2024-03-01 --ends-on 2026-02-28
must tx sq01 agreement add --unit 老纺织厂 --signed-on 2021-01-01 --ends-on 2024-06-30
must tx sq01 unit edit 老纺织厂 --left-on 2024-06-30
must tx sq01 committee add --org SQ01 --role 兼职委员 --name 张敏 --unit 市第一医院 --from 2025-01-01
must tx sq01 sync -q
must tx sq02 agreement add --unit 12100000400000626K --signed-on 2025-04-01
must tx sq02 sync -q
must tx sq02 sync -q

step "wishes: SQ01 posts three in 2025, fulfils two of them and one of 2024 (170 元 in all)"
wish() {  # wish OFFICE DATE TEXT VALUE -> id
	must tx "$1" wish add --resident 王大妈 --wish "$3" --value "$4" --date "$2"
	q "$1" "SELECT id FROM micro_wish WHERE wish = '$3'"
}
w1=$(wish sq01 2025-02-01 轮椅 120)
w2=$(wish sq01 2025-03-01 助听器 35.5)
wish sq01 2025-11-20 冬衣 80 >/dev/null
w4=$(wish sq01 2024-12-01 台灯 14.5)
must tx sq01 wish claim "${w1: -8}" --branch SQ01-01 --date 2025-02-03
must tx sq01 wish fulfil "${w1: -8}" --date 2025-02-10
must tx sq01 wish claim "${w2: -8}" --unit 市第一医院 --date 2025-03-02
must tx sq01 wish fulfil "${w2: -8}" --date 2025-03-20
must tx sq01 wish claim "${w4: -8}" --branch SQ01-01 --date 2024-12-02
must tx sq01 wish fulfil "${w4: -8}" --date 2025-01-05
wish sq02 2025-05-05 书包 60 >/dev/null

step "opinions: replied in 3 days, in 9 days, never (overdue), and one of 2024"
fb() {  # fb OFFICE DATE TEXT [REPLY_DATE]
	must tx "$1" feedback add --content "$3" --source 走访 --category 环境卫生 --date "$2"
	local id
	id=$(q "$1" "SELECT id FROM feedback WHERE content = '$3'")
	[ -z "${4:-}" ] || must tx "$1" feedback reply "${id: -8}" --reply 已处理 --date "$4"
}
fb sq01 2025-03-01 楼道堆物 2025-03-04
fb sq01 2025-04-01 路灯不亮 2025-04-10
fb sq01 2025-12-30 垃圾清运
fb sq01 2024-12-01 噪音扰民 2024-12-03
fb sq02 2025-06-01 停车难
for d in sq01 sq02 street; do must tx "$d" sync -q; done

step "claims, volunteer hours, the fund and scores in a copy of the street's replica"
sqlite3 "$W/street.db" ".backup '$W/copy.db'"
ITEM=i0000000-0000-7000-8000-000000000001
SQ01=$(q street "SELECT id FROM org WHERE code = 'SQ01'")
B1=$(q street "SELECT id FROM org WHERE code = 'SQ01-01'")
SQ02=$(q street "SELECT id FROM org WHERE code = 'SQ02'")
JD=$(q street "SELECT id FROM org WHERE code = 'JD01'")
sqlite3 "$W/copy.db" <<SQL
INSERT INTO list_item (id, org_id, kind, title, status, closed_on, close_note)
    VALUES ('$ITEM', '$B1', 'need', '助老', 'closed', '2025-08-01', '完成');
INSERT INTO list_item (id, org_id, kind, title, status) VALUES ('i2', '$SQ02', 'need', '助学', 'open');
INSERT INTO claim (id, item_id, by_org_id, state, claimed_on, done_on, result)
    VALUES ('k1', '$ITEM', '$B1', 'done', '2025-07-01', '2025-08-01', '完成'),
           ('k2', '$ITEM', '$B1', 'claimed', '2024-07-01', NULL, NULL),
           ('k3', 'i2', NULL, 'claimed', '2025-07-01', NULL, NULL);
INSERT INTO volunteer_team (id, org_id, name) VALUES ('t1', '$B1', '红马甲'), ('t2', '$SQ02', '暖心');
INSERT INTO volunteer_activity (id, team_id, held_on, topic)
    VALUES ('a1', 't1', '2025-05-01', '清扫'), ('a2', 't1', '2024-05-01', '清扫'),
           ('a3', 't2', '2025-06-01', '探访');
INSERT INTO volunteer_hours (id, activity_id, name, minutes)
    VALUES ('h1', 'a1', '张三', 90), ('h2', 'a1', '李四', 60), ('h3', 'a2', '张三', 600),
           ('h4', 'a3', '赵五', 30);
INSERT INTO assessment_indicator (id, org_id, year, target, code, name, points)
    VALUES ('n1', '$JD', 2025, 'community', 'C1', '组织建设', 60),
           ('n2', '$JD', 2025, 'community', 'C2', '服务群众', 40),
           ('n3', '$JD', 2025, 'branch', 'B1', '支部建设', 100);
INSERT INTO assessment_score (id, org_id, indicator_id, score_key, points10, scorer, scored_on)
    VALUES ('p1', '$SQ01', 'n1', '$SQ01/n1', 575, '王主任', '2025-12-20'),
           ('p2', '$SQ01', 'n2', '$SQ01/n2', 350, '王主任', '2025-12-20'),
           ('p3', '$SQ02', 'n1', '$SQ02/n1', 400, '王主任', '2025-12-20'),
           ('p4', '$B1', 'n3', '$B1/n3', 990, '王主任', '2025-12-20');
INSERT INTO fund_budget (id, org_id, year, budget_key, amount)
    VALUES ('f1', '$SQ01', 2025, '$SQ01/2025', 20000000), ('f2', '$SQ01', 2024, '$SQ01/2024', 1);
INSERT INTO fund_spending (id, org_id, spent_on, purpose, amount, approver)
    VALUES ('s1', '$SQ01', '2025-03-01', '慰问', 150050, '王书记'),
           ('s2', '$SQ01', '2024-03-01', '慰问', 999, '王书记');
SQL

step "the street's report for 2025, checked against the counts made above"
run "$W/csv" "$TONGXIN" --replica "$W/copy.db" report cobuild --year 2025 --csv
expect_rc 0 "report cobuild --csv"
# code,name,units,agreements,part_time,claims,claims_done,items_closed,wishes,fulfilled,
# value,opinions,on_time,overdue,share,hours,budget,spent,assessment points,grade
row() { tr -d '\r\t' <"$W/csv" | grep "^$1,"; }
equals "SQ01" "$(row SQ01)" "SQ01,和平社区,1,1,1,1,1,1,3,3,170.00,3,1,1,33.3%,2.5,200000.00,1500.50,92.5,优秀"
equals "SQ02" "$(row SQ02)" "SQ02,幸福社区,0,1,0,1,0,0,1,0,0.00,1,0,1,0.0%,0.5,,0.00,40.0,未评完"
run "$W/txt" "$TONGXIN" --replica "$W/copy.db" report cobuild --year 2025
expect_rc 0 "report cobuild (text)"
expect_contains "$W/txt" "合计 total"
expect_contains "$W/txt" "2025 年共建共治工作"
run "$W/json" "$TONGXIN" --replica "$W/copy.db" report cobuild --year 2025 --json
expect_rc 0 "report cobuild --json"
expect_contains "$W/json" '"code": "SQ01"'
expect_contains "$W/json" '"wish_value_yuan": 170'
# 2024: the factory was still there, its agreement in force, one wish (fulfilled in
# 2025) and one opinion replied in two days.
run "$W/csv" "$TONGXIN" --replica "$W/copy.db" report cobuild --year 2024 --csv
equals "SQ01 in 2024" "$(row SQ01)" "SQ01,和平社区,2,2,0,1,0,0,1,0,0.00,1,1,0,100.0%,10,0.01,9.99,,"

step "the community's own report shows itself only; bad years are refused"
run "$W/csv" tx sq01 report cobuild --year 2025 --csv
expect_rc 0 "SQ01's report"
equals "SQ01 rows" "$(tr -d '\r' <"$W/csv" | grep -c '^SQ0')" 1
run "$W/out" tx street report cobuild --year 25
expect_rc 7 "a two-digit year"
expect_contains "$W/out" "年份“25”无效"
run "$W/out" tx street report cobuild --org SQ09
expect_rc 9 "an unknown organisation"
step "ok"
