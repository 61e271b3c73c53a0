#!/usr/bin/env bash
# it_assess.sh - the yearly 100-point assessment, 评星定级 and member points
# (issue 14, item 6) against a real tongxind: the street sets 2025's
# indicators (communities: 3 adding up to 100; branches: 2); every refusal
# says why and changes nothing; the indicators reach both communities, which
# cannot add or change one (a local refusal; a modified client's change is
# refused by the server as read only and the replica heals); the street
# scores both communities and two branches, 和平社区 (SQ01) scores its own
# branch; a second score of one indicator is an edit, and the same indicator
# scored at two devices is a conflict; scores reach the scored community
# only; report totals, grades (>= 90 优秀, < 70 不称职) and stars are checked
# against what this script computes from the scores it gave; member points
# from attendance, volunteering and dues against the script's own sums.
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
# refused NAME STATUS WHAT CMD...: CMD exits STATUS and NAME's replica stays as it was.
refused() {
	local n=$1 want=$2 what=$3 d0
	shift 3
	d0=$(digest "$n")
	expect "$want" "$what" "$@"
	equals "$what: nothing written" "$(digest "$n")" "$d0"
}

step "a street, two communities, three branches, their offices"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential
must tx street org add --code SQ01-02 --name 和平第二支部 --kind branch --parent SQ01 --branch-type retired
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type residential
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done

step "the street sets 2025's indicators; refusals change nothing"
# target|code|name|points
INDICATORS="community|C1|组织建设|30
community|C2|服务群众|40
community|C3|共驻共建|30
branch|B1|三会一课|50
branch|B2|党员教育管理|50"
ind() { must tx street assess indicator add --year 2025 --target "$1" --code "$2" --name "$3" --points "$4"; }
while IFS='|' read -r t c n p; do
	[ "$c" = C3 ] && continue
	ind "$t" "$c" "$n" "$p"
done <<<"$INDICATORS"
expect 7 "check before the scheme is complete" tx street assess indicator check --year 2025
expect_contains "$W/out" "do not add up to 100"
refused street 7 "a total above 100" tx street assess indicator add --year 2025 --target community \
    --code C3 --name 共驻共建 --points 31
expect_contains "$W/out" "合计将为 101 分，超过 100 分"
refused street 7 "a code in use" tx street assess indicator add --year 2025 --target community \
    --code C1 --name 重复 --points 10
expect_contains "$W/out" "已有编号为“C1”的考核指标"
refused street 7 "an unknown target" tx street assess indicator add --year 2025 --target 街道 \
    --code X1 --name 其他 --points 10
expect_contains "$W/out" "考核对象"
refused street 7 "no points" tx street assess indicator add --year 2025 --target branch --code X1 \
    --name 其他 --points 0
refused street 7 "points that are no number" tx street assess indicator add --year 2025 \
    --target branch --code X1 --name 其他 --points 十
refused street 7 "a year out of range" tx street assess indicator add --year 1999 --target branch \
    --code X1 --name 其他 --points 10
refused street 2 "no name" tx street assess indicator add --year 2025 --target branch --code X1 --points 10
while IFS='|' read -r t c n p; do
	[ "$c" = C3 ] && ind "$t" "$c" "$n" "$p"
done <<<"$INDICATORS"
expect 0 "check: both targets add up to 100" tx street assess indicator check --year 2025
expect_contains "$W/out" "add up to 100"
refused sq01 7 "a community cannot set an indicator" tx sq01 assess indicator add --year 2025 \
    --target branch --code B3 --name 其他 --points 10
expect_contains "$W/out" "考核指标由街道党工委制定，本设备只能查看"

step "the indicators reach both communities, read only"
must tx street sync -q
for d in sq01 sq02; do
	must tx "$d" sync -q
	equals "$d holds the street's indicators" \
	    "$(q "$d" "SELECT group_concat(id || code || points, ',') FROM (SELECT * FROM assessment_indicator ORDER BY id)")" \
	    "$(q street "SELECT group_concat(id || code || points, ',') FROM (SELECT * FROM assessment_indicator ORDER BY id)")"
done
expect 0 "indicator list at SQ02" tx sq02 assess indicator list --year 2025 --csv
equals "five indicators listed" "$(tail -n +2 "$W/out" | wc -l)" 5
expect_contains "$W/out" "上级组织"
refused sq01 7 "SQ01 cannot change an indicator" tx sq01 assess indicator edit --year 2025 \
    --target community --code C1 --name 组织建设（改）
expect_contains "$W/out" "考核指标由街道党工委制定，本设备只能查看"
refused street 7 "the street's edit keeps the total" tx street assess indicator edit --year 2025 \
    --target community --code C1 --points 35
expect_contains "$W/out" "合计将为 105 分"

step "a modified client at SQ01 that changes an indicator is refused by the server"
JD=$(q street "SELECT id FROM org WHERE code = 'JD01'")
sqlite3 "$W/sq01.db" "INSERT INTO org (id, code, name, kind, _version) VALUES ('$JD', 'JD01', '和平街道', 'street', 0)"
must tx sq01 assess indicator edit --year 2025 --target community --code C1 --name 组织建设（改）
sqlite3 "$W/sq01.db" "DELETE FROM org WHERE code = 'JD01'"
expect 10 "the server refuses SQ01's change to the street's indicator" tx sq01 sync
expect 0 "status at SQ01" tx sq01 status
expect_contains "$W/out" "由其所属组织维护，本设备只能查看"
equals "SQ01's replica has the street's name again" \
    "$(q sq01 "SELECT name FROM assessment_indicator WHERE code = 'C1'")" 组织建设
must tx street sync -q
equals "the street's indicator is unchanged" \
    "$(q street "SELECT name FROM assessment_indicator WHERE code = 'C1'")" 组织建设

step "a modified client at SQ01 that adds an indicator of its own is refused by the server"
# It passes its community off as a street locally; the server knows better.
sqlite3 "$W/sq01.db" "UPDATE org SET kind = 'street' WHERE code = 'SQ01'"
must tx sq01 assess indicator add --year 2026 --target branch --code X1 --name 伪造指标 --points 10
sqlite3 "$W/sq01.db" "UPDATE org SET kind = 'community' WHERE code = 'SQ01'"
expect 10 "the server refuses SQ01's indicator" tx sq01 sync
expect 0 "status at SQ01" tx sq01 status
expect_contains "$W/out" "考核指标只能属于街道党工委、区委"
equals "no such indicator on the server" \
    "$(sqlite3 "$W/srv/tongxind.db" "SELECT count(*) FROM assessment_indicator WHERE code = 'X1'")" 0

step "scores: refusals change nothing"
sc() { local d=$1 org=$2 code=$3 p=$4; shift 4; tx "$d" assess score "$org" --indicator "$code" --year 2025 --points "$p" --scorer 李评 "$@"; }
refused street 7 "two decimals" sc street SQ01 C1 8.55
expect_contains "$W/out" "至多一位小数"
refused street 7 "above the indicator's points" sc street SQ01 C1 30.5
expect_contains "$W/out" "超过该指标的分值 30"
refused street 9 "an unknown indicator" sc street SQ01 C9 10
refused street 9 "a branch indicator for a community" sc street SQ01 B1 10
refused street 9 "an unknown organisation" sc street SQ09 C1 10
refused street 7 "the street is not scored" sc street JD01 C1 10
expect_contains "$W/out" "只对社区党委和党支部评分"
refused sq01 7 "SQ01 does not score itself" sc sq01 SQ01 C1 10
expect_contains "$W/out" "本组织不能为自己评分"
refused street 7 "a date in the future" sc street SQ01 C1 10 --date 2999-01-01
refused street 2 "no scorer" tx street assess score SQ01 --indicator C1 --year 2025 --points 10
refused street 7 "a year that is not one" tx street assess score SQ01 --indicator C1 --year 20x5 --points 10 --scorer 李评

step "the street scores the communities and two branches; SQ01 scores its branch"
# device|org|indicator|points (a later line for the same org and indicator is an edit)
SCORES="street|SQ01|C1|27.5
street|SQ01|C2|36
street|SQ01|C3|26
street|SQ02|C1|30
street|SQ02|C2|38
street|SQ02|C3|25
street|SQ01-01|B1|30
street|SQ01-01|B2|35
street|SQ01-02|B1|40
sq01|SQ01-02|B2|45.5"
while IFS='|' read -r d org c p; do
	expect 0 "score $org $c" sc "$d" "$org" "$c" "$p"
	expect_contains "$W/out" "已评分"
done <<<"$SCORES"
equals "SQ01 at 89.5 before the edit" "$(q street "SELECT sum(points10) FROM assessment_score s JOIN org o ON o.id = s.org_id WHERE o.code = 'SQ01'")" 895
expect 0 "a second score of SQ01's C1 is an edit" sc street SQ01 C1 28
expect_contains "$W/out" "已修改评分"
SCORES="$SCORES
street|SQ01|C1|28"
equals "still one score of SQ01's C1" \
    "$(q street "SELECT count(*), max(points10) FROM assessment_score s JOIN assessment_indicator i ON i.id = s.indicator_id JOIN org o ON o.id = s.org_id WHERE o.code = 'SQ01' AND i.code = 'C1'")" "1|280"

step "stars for branches"
refused street 7 "six stars" tx street assess stars SQ01-01 --year 2025 --stars 6
refused street 7 "a community is not rated" tx street assess stars SQ01 --year 2025 --stars 3
expect_contains "$W/out" "只评党支部"
refused street 9 "an unknown branch" tx street assess stars SQ09-01 --year 2025 --stars 3
must tx street assess stars SQ01-01 --year 2025 --stars 3 --by 和平街道党工委
must tx street assess stars SQ01-02 --year 2025 --stars 4 --by 和平街道党工委
expect 0 "a second rating is an edit" tx street assess stars SQ01-01 --year 2025 --stars 2
expect_contains "$W/out" "已修改星级"
STARS="SQ01-01|2
SQ01-02|4"

step "scores reach the scored community only"
for d in street sq01 sq02 street; do must tx "$d" sync -q; done
equals "SQ02 holds its own three scores" \
    "$(q sq02 "SELECT count(*), group_concat(DISTINCT o.code) FROM assessment_score s JOIN org o ON o.id = s.org_id")" "3|SQ02"
equals "SQ02 holds no score of SQ01 or its branches" "$(q sq02 "SELECT count(*) FROM assessment_score")" 3
equals "SQ01 holds its own and its branches' seven" \
    "$(q sq01 "SELECT count(*) FROM assessment_score")|$(q sq01 "SELECT count(*) FROM assessment_score s LEFT JOIN org o ON o.id = s.org_id WHERE o.id IS NULL")" "7|0"
equals "the street holds all ten" "$(q street "SELECT count(*) FROM assessment_score")" 10
equals "SQ01 holds its branches' stars" "$(q sq01 "SELECT group_concat(stars, ',') FROM (SELECT stars FROM star_rating ORDER BY rating_key)")" \
    "$(q street "SELECT group_concat(stars, ',') FROM (SELECT stars FROM star_rating ORDER BY rating_key)")"

step "the report against the script's totals, grades and stars"
# The final score per org and indicator (the last line wins), the indicators per target.
final=$(awk -F'|' '{ s[$2 "|" $3] = $4 } END { for (k in s) print k "|" s[k] }' <<<"$SCORES")
grade() { awk -v t="$1" 'BEGIN { if (t >= 90) print "excellent"; else if (t < 70) print "not_competent"; else print "competent" }'; }
want=""
for org in SQ01 SQ02 SQ01-01 SQ01-02 SQ02-01; do
	case $org in SQ0?) target=community ;; *) target=branch ;; esac
	n=$(grep -c "^$target|" <<<"$INDICATORS")
	k=$(grep -c "^$org|" <<<"$final" || true)
	total=$(awk -F'|' -v o="$org" '$1 == o { s += $3 } END { printf "%g", s + 0 }' <<<"$final")
	g=""
	[ "$k" -eq "$n" ] && g=$(grade "$total")
	st=$(awk -F'|' -v o="$org" '$1 == o { print $2 }' <<<"$STARS")
	want="$want$org,$k/$n,$total,$g,$st
"
done
expect 0 "assess report --csv at the street" tx street assess report --year 2025 --csv
got=$(tail -n +2 "$W/out" | tr -d '\r' | awk -F, '{ printf "%s,%s,%g,%s,%s\n", $1, $4, $5, $6, $7 }' | sort)
equals "per organisation: scored, total, grade, stars" "$got" "$(printf '%s' "$want" | sort)"
expect 0 "assess report (table)" tx street assess report --year 2025
expect_contains "$W/out" ">= 90 优秀, < 70 不称职, 其间 称职"
expect_contains "$W/out" "未评完"
expect 0 "assess report --target branch" tx street assess report --year 2025 --target 支部 --csv
equals "branches only" "$(tail -n +2 "$W/out" | cut -d, -f1 | tr '\n' ' ')" "SQ01-01 SQ01-02 SQ02-01 "
expect 0 "SQ02 sees its own result" tx sq02 assess report --year 2025 --target community --csv
equals "SQ02's own line" "$(tail -n +2 "$W/out" | cut -d, -f1,5,6)" \
    "SQ02,$(grep "^SQ02|" <<<"$final" | awk -F'|' '{ s += $3 } END { printf "%g", s }'),excellent"
expect 7 "an unknown target" tx street assess report --year 2025 --target 街道

step "the same indicator scored at SQ02 and the street: a conflict"
must tx street assess score SQ02-01 --indicator B1 --year 2025 --points 40 --scorer 李评
must tx street sync -q
must tx sq02 assess score SQ02-01 --indicator B1 --year 2025 --points 45 --scorer 王书记
run "$W/out" tx sq02 sync
expect_contains "$W/out" "1 conflict"
expect 0 "status at SQ02" tx sq02 status
expect_contains "$W/out" "冲突"
equals "the server keeps the street's score" \
    "$(sqlite3 "$W/srv/tongxind.db" "SELECT group_concat(points10) FROM assessment_score s JOIN org o ON o.id = s.org_id WHERE o.code = 'SQ02-01' AND s._deleted = 0")" 400

step "member points: attendance, volunteering, dues on time"
must tx sq02 member add --name 王芳 --gender female --ethnicity 汉族 --id-number "$(idn_female 19700302 8)" \
    --education bachelor --category full --branch SQ02-01 --join-date 1995-07-01 --full-date 1996-07-01
must tx sq02 member add --name 赵强 --gender male --ethnicity 汉族 --id-number "$(idn_male 19750505 3)" \
    --education bachelor --category full --branch SQ02-01 --join-date 2000-07-01 --full-date 2001-07-01
must tx sq02 meeting add --kind 支委会 --held-on 2025-03-10 --topic 三月支委会 --org SQ02-01 --present 王芳,赵强
must tx sq02 meeting add --kind 党课 --held-on 2025-05-10 --topic 五月党课 --org SQ02-01 --present 王芳 --absent 赵强
must tx sq02 meeting add --kind 党课 --held-on 2024-12-10 --topic 去年党课 --org SQ02-01 --present 王芳,赵强
must tx sq02 volunteer team add --name 幸福志愿服务队 --founded-on 2024-01-01
must tx sq02 volunteer activity add --team 幸福志愿服务队 --date 2025-04-05 --topic 清洁家园
A=$(q sq02 "SELECT id FROM volunteer_activity")
must tx sq02 volunteer hours "${A: -8}" --member 王芳 --hours 2.5
must tx sq02 volunteer hours "${A: -8}" --member 赵强 --hours 1.25
# member|month|paid on: on time when paid in or before the month.
DUES="王芳|2025-01|2025-01-15
王芳|2025-02|2025-03-05
王芳|2025-03|2025-03-05
赵强|2025-01|2025-01-20
赵强|2024-12|2024-12-20"
while IFS='|' read -r m month on; do
	must tx sq02 dues pay "$m" --month "$month" --amount 10 --date "$on"
done <<<"$DUES"
# The rules as documented: 2 points a meeting present, 1 an hour (by the minute, down to a
# tenth), 1 a month paid on time. The script's own count, in tenths.
want_points() {
	local m=$1 present minutes dues
	present=$(q sq02 "SELECT count(*) FROM attendance a JOIN meeting g ON g.id = a.meeting_id JOIN member x ON x.id = a.member_id WHERE x.name = '$m' AND a.status = 'present' AND g.held_on LIKE '2025-%'")
	minutes=$(awk -v m="$m" '$1 == m { print $2 }' <<<"王芳 150
赵强 75")
	dues=$(awk -F'|' -v m="$m" '$1 == m && $2 ~ /^2025-/ && substr($3, 1, 7) <= $2 { n++ } END { print n + 0 }' <<<"$DUES")
	awk -v p="$present" -v mi="$minutes" -v d="$dues" 'BEGIN { t = p * 20 + int(mi * 10 / 60) + d * 10; printf "%s,%s,%g\n", p, d, t / 10 }'
}
expect 0 "assess points --csv" tx sq02 assess points --year 2025 --branch SQ02-01 --csv
for m in 王芳 赵强; do
	equals "$m's points" "$(grep "^$m," "$W/out" | awk -F, '{ printf "%s,%s,%g\n", $3, $5, $6 }')" "$(want_points "$m")"
done
equals "王芳's volunteering hours" "$(grep "^王芳," "$W/out" | cut -d, -f4)" 2.5
expect 0 "assess points (table) prints its rules" tx sq02 assess points --year 2025
expect_contains "$W/out" "参加组织生活 每次 2 分"
expect_contains "$W/out" "志愿服务 每小时 1 分"
expect_contains "$W/out" "按时交纳党费 每月 1 分"
expect 9 "an unknown branch" tx sq02 assess points --year 2025 --branch SQ09

step "every replica converges"
for d in street sq01 sq02; do must tx "$d" sync -q; done
for d in street sq01 sq02; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done
step "ok"
