#!/usr/bin/env bash
# it_volunteer.sh - 志愿服务 (issue 14, item 5) against a real tongxind:
# 幸福社区 (SQ02) has a volunteer team, its activities and the hours of three
# kinds of participant: its own member (王芳), an in-service member of a
# branch under 和平社区 (SQ01) who reported to SQ02 (孙磊), and a resident
# who is no member (李大爷). Every operation and refusal with its message
# and nothing written; the year's report (per person, per team) and the
# activity list against sums this script makes from the hours it entered;
# scope: 孙磊's hours reach SQ01 (his own office, through the report) and
# SQ01's volunteer back shows them, while SQ01 holds none of SQ02's teams,
# activities or other people's hours; the street sees everything; every
# replica converges.
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
# unchanged NAME WHAT CMD...: CMD is refused with exit status 7 and NAME's replica stays as it was.
refused() {
	local n=$1 want=$2 what=$3 d0
	shift 3
	d0=$(digest "$n")
	expect "$want" "$what" "$@"
	equals "$what: nothing written" "$(digest "$n")" "$d0"
}

step "a street, two communities with a branch each, a member each; 孙磊 reports to SQ02"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 市第一医院党支部 --kind branch --parent SQ01 \
    --branch-type resident_unit
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 \
    --branch-type residential
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done
must tx sq01 member add --name 孙磊 --gender male --ethnicity 汉族 --id-number "$(idn_male 19800101 7)" \
    --education master --category full --branch SQ01-01 --join-date 2005-07-01 \
    --full-date 2006-07-01 --job 市第一医院 --phone 13800000001
must tx sq02 member add --name 王芳 --gender female --ethnicity 汉族 \
    --id-number "$(idn_female 19700302 8)" --education bachelor --category full --branch SQ02-01 \
    --join-date 1995-07-01 --full-date 1996-07-01
must tx sq01 service report 孙磊 --community SQ02 --date 2025-03-01
for d in sq01 street sq02; do must tx "$d" sync -q; done
equals "SQ02 holds 孙磊's report" "$(q sq02 "SELECT name FROM service_report")" 孙磊

step "team add: refusals change nothing; the team"
refused sq02 2 "no name" tx sq02 volunteer team add --leader 王芳
refused sq02 9 "an unknown organisation" tx sq02 volunteer team add --name 幸福志愿服务队 --org SQ09
expect_contains "$W/out" "未知组织"
refused sq02 7 "founded in the future" tx sq02 volunteer team add --name 幸福志愿服务队 \
    --founded-on 2999-01-01
expect_contains "$W/out" "晚于今天"
expect 0 "team add" tx sq02 volunteer team add --name 幸福志愿服务队 --leader 王芳 --founded-on 2024-01-01
expect_contains "$W/out" "已成立志愿服务队"
refused sq02 7 "the same name again" tx sq02 volunteer team add --name 幸福志愿服务队
expect_contains "$W/out" "本组织已有服务队“幸福志愿服务队”"
equals "the team is SQ02's" "$(q sq02 "SELECT t.name, t.leader, o.code FROM volunteer_team t JOIN org o ON o.id = t.org_id")" \
    "幸福志愿服务队|王芳|SQ02"

step "activity add: refusals change nothing; three activities"
refused sq02 9 "an unknown team" tx sq02 volunteer activity add --team 光明服务队 --date 2025-04-05 --topic 清洁家园
expect_contains "$W/out" "本副本中没有服务队“光明服务队”"
refused sq02 7 "in the future" tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2999-04-05 --topic 清洁家园
refused sq02 7 "before the team was founded" tx sq02 volunteer activity add --team 幸福志愿服务队 \
    --date 2023-12-31 --topic 清洁家园
expect_contains "$W/out" "早于服务队成立日期 2024-01-01"
refused sq02 2 "no topic" tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2025-04-05
refused sq02 7 "a malformed date" tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2025-13-01 --topic 清洁家园
must tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2025-04-05 --topic 清洁家园 --place 幸福小区
must tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2025-06-01 --topic 敬老助老
must tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2024-12-20 --topic 冬季送温暖
A1=$(q sq02 "SELECT id FROM volunteer_activity WHERE held_on = '2025-04-05'")
A2=$(q sq02 "SELECT id FROM volunteer_activity WHERE held_on = '2025-06-01'")
A0=$(q sq02 "SELECT id FROM volunteer_activity WHERE held_on = '2024-12-20'")

step "hours: refusals change nothing"
refused sq02 2 "two participants" tx sq02 volunteer hours "${A1: -8}" --member 王芳 --name 李大爷 --hours 2
refused sq02 2 "no participant" tx sq02 volunteer hours "${A1: -8}" --hours 2
refused sq02 7 "hours that are no number" tx sq02 volunteer hours "${A1: -8}" --member 王芳 --hours 两个
expect_contains "$W/out" "服务时长“两个”无效"
refused sq02 7 "more than a day" tx sq02 volunteer hours "${A1: -8}" --member 王芳 --hours 25
expect_contains "$W/out" "1 分钟到 24 小时"
refused sq02 9 "a member SQ02 does not hold" tx sq02 volunteer hours "${A1: -8}" --member 张三 --hours 2
refused sq02 9 "an unknown activity" tx sq02 volunteer hours 00000000 --member 王芳 --hours 2
refused sq02 7 "a resident's name with digits" tx sq02 volunteer hours "${A1: -8}" --name 李大爷1 --hours 2
refused sq02 7 "an activity before 孙磊 reported" tx sq02 volunteer hours "${A0: -8}" --report 孙磊 --hours 2
expect_contains "$W/out" "早于报到日期 2025-03-01"

step "hours of a member, an in-service member and a resident"
# name|kind|activity|hours: what this script enters, and sums below.
ENTRIES="王芳|member|$A1|2
孙磊|in_service|$A1|1.5
李大爷|resident|$A1|3
王芳|member|$A2|2.5
孙磊|in_service|$A2|2
李大爷|resident|$A2|1
王芳|member|$A0|4"
while IFS='|' read -r name kind act h; do
	case $kind in
	member) must tx sq02 volunteer hours "${act: -8}" --member "$name" --hours "$h" ;;
	in_service) must tx sq02 volunteer hours "${act: -8}" --report "$name" --hours "$h" ;;
	resident) must tx sq02 volunteer hours "${act: -8}" --name "$name" --hours "$h" ;;
	esac
done <<<"$ENTRIES"
refused sq02 7 "a member entered twice at one activity" tx sq02 volunteer hours "${A1: -8}" --member 王芳 --hours 1
expect_contains "$W/out" "已经登记过"
refused sq02 7 "a resident entered twice" tx sq02 volunteer hours "${A1: -8}" --name 李大爷 --hours 1
equals "the name is always kept" \
    "$(q sq02 "SELECT count(*) FROM volunteer_hours WHERE name IS NULL OR name = ''")|$(q sq02 "SELECT count(*) FROM volunteer_hours WHERE report_id IS NOT NULL AND name = '孙磊'")" "0|2"

step "the year's report and list against the script's sums"
# Per person in 2025: activities and hours (the 2024 activity left out).
want_people=$(grep -v "|$A0|" <<<"$ENTRIES" | awk -F'|' '{ n[$1 "," $2]++; h[$1 "," $2] += $4 }
    END { for (k in n) printf "%s,%d,%g\n", k, n[k], h[k] }' | sort)
expect 0 "volunteer report --csv" tx sq02 volunteer report --year 2025 --csv
got_people=$(tail -n +2 "$W/out" | awk -F, '{ printf "%s,%s,%s,%g\n", $1, $2, $4, $5 }' | sort)
equals "hours per person" "$got_people" "$want_people"
want_total=$(grep -v "|$A0|" <<<"$ENTRIES" | awk -F'|' '{ s += $4 } END { printf "%g", s }')
expect 0 "volunteer report (table)" tx sq02 volunteer report --year 2025
expect_contains "$W/out" "3 人, 共 $want_total 小时"
expect 0 "volunteer report --json" tx sq02 volunteer report --year 2025 --json
python3 - "$W/out" "$want_total" <<'PY' || fail "the team's year in volunteer report --json"
import json, sys
d = json.load(open(sys.argv[1]))
t = d["teams"][0]
assert t["team"] == "幸福志愿服务队", t
assert t["activities"] == 2 and t["participations"] == 6, t
assert abs(float(t["hours"]) - float(sys.argv[2])) < 1e-9, t
PY
expect 0 "volunteer list --year 2025" tx sq02 volunteer list --year 2025 --csv
want_list=$(grep -v "|$A0|" <<<"$ENTRIES" | awk -F'|' '{ n[$3]++; h[$3] += $4 }
    END { for (k in n) printf "%s,%d,%g\n", k, n[k], h[k] }' | sort)
got_list=$(tail -n +2 "$W/out" | awk -F, '{ printf "%s,%s,%g\n", $1, $7, $8 }' | sort)
equals "each activity's participants and hours" "$got_list" "$want_list"
expect 0 "team list all time" tx sq02 volunteer team list --csv
expect_contains "$W/out" ",3,7,16"
expect 7 "a malformed year" tx sq02 volunteer report --year 25
expect 2 "report without a year" tx sq02 volunteer report

step "scope: 孙磊's hours reach his own office, nothing else of SQ02's does"
for d in sq02 street sq01; do must tx "$d" sync -q; done
equals "SQ01 holds 孙磊's two entries and no other hours" \
    "$(q sq01 "SELECT count(*), group_concat(DISTINCT name), sum(minutes) FROM volunteer_hours")" "2|孙磊|210"
equals "SQ01 holds no team or activity of SQ02" \
    "$(q sq01 "SELECT (SELECT count(*) FROM volunteer_team) + (SELECT count(*) FROM volunteer_activity)")" 0
want_back=$(awk -F'|' '$1 == "孙磊" { s += $4 } END { printf "%g", s }' <<<"$ENTRIES")
expect 0 "volunteer back at SQ01" tx sq01 volunteer back --year 2025
expect_contains "$W/out" "孙磊"
expect_contains "$W/out" "合计 total: $want_back 小时"
expect 0 "volunteer back --csv at SQ01" tx sq01 volunteer back --csv
equals "two rows, each 孙磊 of 市第一医院" "$(tail -n +2 "$W/out" | cut -d, -f1,2 | sort -u)" "孙磊,市第一医院"
expect 0 "volunteer back --csv at SQ01, with the activities' dates" tx sq01 volunteer back --year 2025 --csv
equals "SQ01 sees the dates too (they travel with the hours)" \
    "$(tail -n +2 "$W/out" | cut -d, -f5 | sort | tr '\n' ' ')" "2025-04-05 2025-06-01 "
expect 0 "volunteer back at SQ01 for another year" tx sq01 volunteer back --year 2024
expect_not_contains "$W/out" "孙磊"
expect 0 "volunteer back at SQ02 (not SQ02's members)" tx sq02 volunteer back
expect_contains "$W/out" "没有在职党员的志愿服务时长"
expect 0 "volunteer back at the street, with dates" tx street volunteer back --year 2025 --csv
equals "the street sees the dates" "$(tail -n +2 "$W/out" | cut -d, -f5 | sort | tr '\n' ' ')" "2025-04-05 2025-06-01 "
equals "the street holds every entry" "$(q street "SELECT count(*), sum(minutes) FROM volunteer_hours")" \
    "7|$(awk -F'|' '{ s += $4 * 60 } END { print s }' <<<"$ENTRIES")"
expect 9 "SQ01 cannot enter hours at SQ02's activity" tx sq01 volunteer hours "${A1: -8}" --member 孙磊 --hours 1

step "every replica converges"
for d in street sq01 sq02; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done
step "ok"
