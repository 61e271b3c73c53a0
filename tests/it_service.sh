#!/usr/bin/env bash
# it_service.sh - 双报到 (issue 10, item 4) against a real tongxind: an
# in-service member of a work-unit branch under 和平社区 (SQ01) reports to
# 幸福社区 (SQ02). The member's report is written with his flags in ONE
# local transaction; after syncs SQ02's replica holds the limited record
# (name, unit, phone) and never his member row nor his citizen ID (the
# replica files are searched for the number); SQ02 records two services;
# SQ01's service back shows them with the hours; SQ02 cannot touch SQ01's
# member; a third community SQ03 sees nothing; a report to a branch is
# refused; a person from outside the street reports to SQ02 alone; the
# report ends and later services are refused; every replica converges; a
# modified client at SQ02 that forges his member row is refused by the
# server.
#
# Who files the report: the member's office. Its replica holds only its own
# subtree, so it names the community by code (service_report.org_code) and
# the server fills in org_id and checks that it is a community, as it does
# for a transfer's receiving organisation.
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

step "a street, three communities, a work-unit branch under SQ01"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ03 --name 光明社区 --kind community
must tx street org add --code SQ01-01 --name 市第一医院党支部 --kind branch --parent SQ01 \
    --branch-type resident_unit
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 \
    --branch-type residential
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02 sq03:SQ03; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done
ID=$(idn_male 19800101 7)
must tx sq01 member add --name 孙磊 --gender male --ethnicity 汉族 --id-number "$ID" \
    --education master --category full --branch SQ01-01 --join-date 2005-07-01 \
    --full-date 2006-07-01 --job 市第一医院 --phone 13800000001 --address 和平路8号
MID=$(q sq01 "SELECT id FROM member WHERE id_number = '$ID'")
must tx sq01 sync -q

step "a report to a branch is refused (7), nothing written"
must tx street sync -q
d0=$(digest street)
expect 7 "member report --community <a branch>" tx street member report "$MID" --community SQ02-01
expect_contains "$W/out" "report to a community (this is a 党支部)"
expect 7 "service report --community <a branch>" tx street service report "$MID" --community SQ01-01
expect_contains "$W/out" "report to a community"
equals "the refusals changed nothing" "$(digest street)" "$d0"
d0=$(digest sq01)
expect 7 "a code that is no organisation code" tx sq01 service report 孙磊 --community "SQ/02"
equals "the refusal changed nothing at SQ01" "$(digest sq01)" "$d0"

step "SQ01 files the report by code: the member's flags and the community's record in one transaction"
n0=$(q sq01 "SELECT count(*) FROM outbox")
expect 0 "SQ01 files 孙磊's report to SQ02, a community its replica lacks" \
    tx sq01 service report 孙磊 --community SQ02 --date 2024-03-01
equals "one outbox transaction of two changes" \
    "$(q sq01 "SELECT count(*) - $n0 FROM outbox")|$(q sq01 "SELECT nchanges FROM outbox ORDER BY seq DESC LIMIT 1")" "1|2"
equals "the record names the community by code until the server fills its id" \
    "$(q sq01 "SELECT org_code || '|' || coalesce(org_id, '') FROM service_report")" "SQ02|"
must tx sq01 sync -q
SQ02_ID=$(q street "SELECT id FROM org WHERE code = 'SQ02'")
equals "after the sync the server's id of SQ02 is on SQ01's record" \
    "$(q sq01 "SELECT org_id FROM service_report")" "$SQ02_ID"
equals "the member is in service" "$(q sq01 "SELECT in_service FROM member WHERE id = '$MID'")" 1
equals "the record: name, unit (his job), phone; member and organisations" \
    "$(q sq01 "SELECT name || '|' || unit || '|' || phone || '|' || reported_on || '|' || (member_id = '$MID') FROM service_report")" \
    "孙磊|市第一医院|13800000001|2024-03-01|1"
must tx street sync -q
expect 7 "a second report to the same community (the street holds SQ02)" \
    tx street service report "$MID" --community SQ02 --date 2024-03-02
expect_contains "$W/out" "已于 2024-03-01 向该社区报到"
for d in sq01 sq02 sq03; do must tx "$d" sync -q; done

step "SQ02 holds the limited record, never the member row nor the citizen ID"
RID=$(q sq02 "SELECT id FROM service_report")
[ -n "$RID" ] || fail "SQ02's replica holds no service_report after syncs"
equals "SQ02's record" "$(q sq02 "SELECT name || '|' || unit || '|' || phone FROM service_report")" \
    "孙磊|市第一医院|13800000001"
equals "SQ02 holds no member row of his" "$(q sq02 "SELECT count(*) FROM member WHERE id = '$MID'")" 0
for f in "$W"/sq02.db*; do
	if grep -qaF "$ID" "$f"; then fail "SQ02's replica file $(basename "$f") holds the citizen ID"; fi
	if grep -qaF "和平路8号" "$f"; then fail "SQ02's replica file $(basename "$f") holds his address"; fi
done
expect 0 "service list at SQ02" tx sq02 service list
expect_contains "$W/out" 孙磊
expect_contains "$W/out" 市第一医院
expect_contains "$W/out" 13800000001
expect_contains "$W/out" "报到本社区"
expect_not_contains "$W/out" "$ID"
equals "SQ01 got the record too (the member's office)" \
    "$(q sq01 "SELECT count(*) FROM service_report WHERE id = '$RID'")" 1

step "SQ02 records two services; refusals change nothing"
expect 0 "a service by name" tx sq02 service record 孙磊 --date 2024-03-10 --activity 社区义诊 --hours 2
expect 0 "a service by handle, 1.5 hours" \
    tx sq02 service record "${RID: -8}" --date 2024-04-02 --activity 垃圾分类宣传 --hours 1.5
equals "minutes stored" "$(q sq02 "SELECT group_concat(minutes) FROM (SELECT minutes FROM service_record ORDER BY served_on)")" "120,90"
d0=$(digest sq02)
expect 7 "zero hours" tx sq02 service record 孙磊 --date 2024-04-03 --activity 巡逻 --hours 0
expect 7 "hours that are not a number" tx sq02 service record 孙磊 --date 2024-04-03 --activity 巡逻 --hours 两
expect 7 "a service before the report" tx sq02 service record 孙磊 --date 2024-02-01 --activity 巡逻 --hours 1
expect_contains "$W/out" "早于报到日期"
expect 7 "the same service twice" tx sq02 service record 孙磊 --date 2024-03-10 --activity 社区义诊 --hours 2
expect 2 "a missing --hours" tx sq02 service record 孙磊 --date 2024-04-03 --activity 巡逻
expect 9 "an unknown report" tx sq02 service record 张三 --date 2024-04-03 --activity 巡逻 --hours 1
equals "the refusals changed nothing" "$(digest sq02)" "$d0"
d0=$(digest sq01)
expect 7 "the member's office does not record the community's services" \
    tx sq01 service record 孙磊 --date 2024-04-03 --activity 巡逻 --hours 1
expect_contains "$W/out" "只有报到社区可以登记服务"
equals "nothing written at SQ01" "$(digest sq01)" "$d0"
must tx sq02 sync -q
must tx sq01 sync -q

step "SQ01's report back to the unit shows the services and hours"
expect 0 "service back --year 2024 at SQ01" tx sq01 service back --year 2024
expect_contains "$W/out" "2024 年在职党员到社区报到服务情况"
expect_contains "$W/out" 孙磊
expect_contains "$W/out" 市第一医院
expect_contains "$W/out" "3.5"
expect_contains "$W/out" "2024-03-10 社区义诊（2小时）；2024-04-02 垃圾分类宣传（1.5小时）"
run "$W/back.json" tx sq01 --json service back --year 2024
expect_rc 0 "service back --json"
expect_contains "$W/back.json" '"services": 2'
expect_contains "$W/back.json" '"hours": 3.5'
expect 0 "service back --year 2023: nothing that year" tx sq01 service back --year 2023
expect_contains "$W/out" "没有报到登记"
expect 0 "service show at SQ01" tx sq01 service show 孙磊
expect_contains "$W/out" 社区义诊
expect_contains "$W/out" 垃圾分类宣传

step "SQ02 cannot change SQ01's member; SQ03 sees nothing"
expect 9 "SQ02 cannot edit the member (not in its replica)" tx sq02 member edit "$MID" --phone 13900000000
expect 9 "nor report him again" tx sq02 service report "$MID" --community SQ02
equals "SQ03 holds no report, service or member of his" \
    "$(q sq03 "SELECT (SELECT count(*) FROM service_report) || '|' || (SELECT count(*) FROM service_record) || '|' || (SELECT count(*) FROM member)")" "0|0|0"
expect 0 "service list at SQ03" tx sq03 service list --all
expect_contains "$W/out" "没有报到登记"

step "a person from outside the street reports to SQ02 alone"
expect 0 "service add at SQ02" tx sq02 service add --name 赵敏 --reported-on 2024-05-01 \
    --unit 外区某公司 --phone 13700000002
expect 7 "a name that is no name" tx sq02 service add --name "'; DROP TABLE x;--" --reported-on 2024-05-01
expect 0 "her service" tx sq02 service record 赵敏 --date 2024-05-04 --activity 关爱老人 --hours 3
must tx sq02 sync -q
for d in sq01 sq03 street; do must tx "$d" sync -q; done
equals "SQ01 and SQ03 do not see her; the street does" \
    "$(q sq01 "SELECT count(*) FROM service_report WHERE name = '赵敏'")$(q sq03 "SELECT count(*) FROM service_report")$(q street "SELECT count(*) FROM service_report WHERE name = '赵敏'")" "001"
expect 0 "SQ02's list shows both" tx sq02 service list
expect_contains "$W/out" 赵敏
expect_contains "$W/out" "街道外"

step "the report ends; a later service is refused"
expect 0 "service end" tx sq02 service end 孙磊 --date 2024-06-30
expect 7 "ended twice" tx sq02 service end "${RID: -8}" --date 2024-07-01
expect 7 "a service after the end" \
    tx sq02 service record "${RID: -8}" --date 2024-07-02 --activity 巡逻 --hours 1
expect_contains "$W/out" "晚于报到结束日期"
must tx sq02 sync -q
must tx sq01 sync -q
equals "SQ01 sees the end" "$(q sq01 "SELECT ended_on FROM service_report WHERE id = '$RID'")" 2024-06-30
expect 0 "SQ01's open list no longer shows him" tx sq01 service list
expect_not_contains "$W/out" 孙磊
expect 0 "--all does" tx sq01 service list --all
expect_contains "$W/out" 孙磊

step "every replica converges"
for d in street sq01 sq02 sq03; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done
step "a modified client at SQ02 that forges his member row is refused by the server"
# SQ02's replica is given a copy of the member row (as a modified client
# could) and edits his phone: the local write goes through, the server
# refuses it (exit 10) and SQ01's member keeps his phone.
sqlite3 "$W/sq02.db" "ATTACH '$W/sq01.db' AS a; INSERT INTO member SELECT * FROM a.member WHERE id = '$MID'"
must tx sq02 member edit "$MID" --phone 13900000000
expect 10 "SQ02's sync: the server refuses the change to SQ01's member" tx sq02 sync
must tx sq01 sync -q
must tx street sync -q
equals "SQ01's member keeps his phone" "$(q sq01 "SELECT phone FROM member WHERE id = '$MID'")" 13800000001
equals "and so does the street's" "$(q street "SELECT phone FROM member WHERE id = '$MID'")" 13800000001

step "a transfer moves his reports and their services to his new office"
must tx street org add --code SQ03-01 --name 光明第一支部 --kind branch --parent SQ03 \
    --branch-type residential
must tx street sync -q
must tx sq03 sync -q
equals "before: SQ01 holds his report and its services" \
    "$(q sq01 "SELECT (SELECT count(*) FROM service_report) || '|' || (SELECT count(*) FROM service_record)")" "1|2"
equals "before: SQ03 holds none" \
    "$(q sq03 "SELECT (SELECT count(*) FROM service_report) || '|' || (SELECT count(*) FROM service_record)")" "0|0"
must tx sq01 transfer request 孙磊 --to SQ03-01 --reason 工作调动
must tx sq01 sync -q
must tx sq03 sync -q
TR=$(q sq03 "SELECT id FROM transfer WHERE status = 'requested'")
must tx sq03 transfer accept "$TR"
must tx sq03 sync -q
must tx sq03 sync -q
for d in sq01 sq02 street; do must tx "$d" sync -q; done
equals "SQ01 no longer holds his report nor its services" \
    "$(q sq01 "SELECT (SELECT count(*) FROM service_report) || '|' || (SELECT count(*) FROM service_record)")" "0|0"
equals "SQ03, his new office, holds them" \
    "$(q sq03 "SELECT (SELECT count(*) FROM service_report WHERE id = '$RID') || '|' || (SELECT count(*) FROM service_record)")" "1|2"
equals "SQ02, the community he reports to, keeps them" \
    "$(q sq02 "SELECT (SELECT count(*) FROM service_report WHERE id = '$RID') || '|' || (SELECT count(*) FROM service_record WHERE report_id = '$RID')")" "1|2"
SQ0301=$(q street "SELECT id FROM org WHERE code = 'SQ03-01'")
equals "the report's home is his new branch" \
    "$(q street "SELECT home_org_id FROM service_report WHERE id = '$RID'")" "$SQ0301"
for d in street sq01 sq02 sq03; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify after the transfer"
	expect_contains "$W/v.out" "replica check: match"
done
step "ok"
