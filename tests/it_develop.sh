#!/usr/bin/env bash
# it_develop.sh - 发展党员 and probation (issue 10, item 2) against a real
# tongxind, with a street and two community offices:
#
#   - the whole path at SQ01, offline: applicant -> activist -> candidate
#     (refused before a year of training) -> admit (the member row made in
#     the same transaction) -> extend -> promote (refused before the
#     extended end); each refusal (a meeting of the wrong kind or branch, an
#     unknown meeting, a second extension, a step out of order) exits 7 or 9
#     and leaves the replica byte for byte as it was;
#   - the promotion decided offline is synced and the street's replica shows
#     the member as 正式党员 with its date (`member show` there);
#   - handles (the list's short handle, citizen ID, a name; an ambiguous
#     name 7 with the candidates, an unknown one 9), develop edit before
#     admission only, usage errors 2;
#   - `develop due --month 2025-03` at SQ02 with hand-computed lines: an
#     activist whose year ends in the month, a probationary member due, two
#     overdue (one who joined on 29 February), one extended, one promoted.
#
# The path's dates are relative to today (every step must be in the past);
# the due month's fixtures have fixed dates.

. "$(dirname "$0")/lib.sh"

OUT=$TX_TMP/out
tx() { local n=$1; shift; "$TONGXIN" --replica "$TX_TMP/$n.db" "$@"; }
q() { sqlite3 "$TX_TMP/$1.db" "$2"; }
digest() { sqlite3 "$TX_TMP/$1.db" .dump | sha256sum; }
must() { run "$OUT" "$@"; [ "$TX_RC" -eq 0 ] || { cat "$OUT" >&2; fail "setup: $*"; }; }
# refused DB RC TEXT ARGS...: tongxin ARGS on DB exits RC, says TEXT, and changes nothing.
refused() {
	local db=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$db")
	run "$OUT" tx "$db" "$@"
	expect_rc "$want" "tongxin $*"
	expect_contains "$OUT" "$text"
	[ "$(digest "$db")" = "$d0" ] || fail "tongxin $*: a refused command changed the replica"
}
# The date $1 relative to today ("-4 years", "-18 months", "today").
ago() { date -d "$TODAY $1" +%F; }
TODAY=$(date +%F)
# A meeting at REPLICA of BRANCH, KIND, on DATE; prints its id.
meeting() {
	must tx "$1" meeting add --org "$2" --kind "$3" --held-on "$4" --topic "会议 $4"
	q "$1" "SELECT id FROM meeting WHERE org_id = (SELECT id FROM org WHERE code = '$2')
	    AND kind = '$3' AND held_on = '$4'"
}

step "a street, two communities with their branches, one device each"
"$TONGXIND" init "$TX_TMP/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$TX_TMP/srv"
"$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device street --admin --out "$TX_TMP/street.bundle" >/dev/null
must tx street join "$TX_TMP/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential
must tx street org add --code SQ01-02 --name 和平第二支部 --kind branch --parent SQ01 --branch-type retired
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type grid
must tx street sync -q
for dev in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$TX_TMP/srv" --org "${dev#*:}" --device "${dev%:*}" --out "$TX_TMP/${dev%:*}.bundle" >/dev/null
	must tx "${dev%:*}" join "$TX_TMP/${dev%:*}.bundle"
	must tx "${dev%:*}" sync -q
done
OFF="--server 127.0.0.1:1"   # nothing listens there: the office is offline

# --- the whole path at SQ01, offline -----------------------------------------------

step "develop add: an applicant, the rules at entry"
P=$(idn_male 19900312 1)
refused sq01 7 "年满18周岁" develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$P" --branch SQ01-01 --applied-on 2007-05-01
refused sq01 7 "GB/T 2260" develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$(idn 10137619900312003)" --branch SQ01-01 --applied-on "$(ago '-5 years')"
refused sq01 7 "党支部或党小组" develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$P" --branch SQ01 --applied-on "$(ago '-5 years')"
refused sq01 9 "未知组织" develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$P" --branch NOPE --applied-on "$(ago '-5 years')"
refused sq01 2 "--applied-on" develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$P" --branch SQ01-01
run "$OUT" tx sq01 $OFF develop add --name 周建国 --gender 男 --ethnicity 汉族 --id-number "$P" \
	--branch SQ01-01 --applied-on "$(ago '-5 years')" --phone 13800000011 --job 教师
expect_rc 0 "develop add"
expect_contains "$OUT" "已登记入党申请人"
refused sq01 7 "已有入党申请记录" develop add --name 周建国 --gender male --ethnicity 汉族 \
	--id-number "$P" --branch SQ01-01 --applied-on "$(ago '-5 years')"
[ "$(q sq01 "SELECT stage || '|' || birth_date FROM applicant WHERE id_number = '$P'")" = \
	"applicant|1990-03-12" ] || fail "the applicant's stage and birth date (from the ID)"
run "$OUT" tx sq01 develop list
expect_contains "$OUT" 周建国
expect_contains "$OUT" 入党申请人

step "activist: decided by a 支委会 of the person's branch"
MA=$(meeting sq01 SQ01-01 committee_meeting "$(ago '-4 years')")
OTHER=$(meeting sq01 SQ01-02 committee_meeting "$(ago '-4 years')")
refused sq01 7 "不是本人所在党支部" develop activist 周建国 --meeting "${OTHER: -8}"
refused sq01 9 "没有会议" develop activist 周建国 --meeting abcdef12
refused sq01 2 "--meeting" develop activist 周建国
refused sq01 7 "须先是入党积极分子" develop candidate 周建国 --meeting "${MA: -8}"
run "$OUT" tx sq01 develop activist "$P" --meeting "${MA: -8}"
expect_rc 0 "develop activist"
expect_contains "$OUT" "已确定为入党积极分子"
[ "$(q sq01 "SELECT stage || '|' || activist_on || '|' || activist_meeting_id FROM applicant
	WHERE id_number = '$P'")" = "activist|$(ago '-4 years')|$MA" ] || fail "the activist step's row"

step "candidate: refused before a year of training, then taken"
MB=$(meeting sq01 SQ01-01 committee_meeting "$(ago '-3 years -6 months')")
refused sq01 7 "一年以上培养考察" develop candidate 周建国 --meeting "${MB: -8}"
MC=$(meeting sq01 SQ01-01 committee_meeting "$(ago '-3 years')")
refused sq01 7 "早于作出决定的会议日期" develop candidate 周建国 --meeting "${MC: -8}" \
	--date "$(ago '-3 years -1 day')"
run "$OUT" tx sq01 develop candidate 周建国 --meeting "${MC: -8}"
expect_rc 0 "develop candidate"
[ "$(q sq01 "SELECT stage || '|' || candidate_on FROM applicant WHERE id_number = '$P'")" = \
	"candidate|$(ago '-3 years')" ] || fail "the candidate step's row"

step "admit: only a 支部党员大会; the member row in the same transaction"
refused sq01 7 "须由党员大会决定" develop admit 周建国 --meeting "${MC: -8}"
GA=$(meeting sq01 SQ01-01 general_meeting "$(ago '-18 months')")
refused sq01 7 "学历" develop admit 周建国 --meeting "${GA: -8}"
OUTBOX0=$(q sq01 "SELECT count(*) FROM outbox")
run "$OUT" tx sq01 develop admit 周建国 --meeting "${GA: -8}" --education 大学本科 --address 和平路1号
expect_rc 0 "develop admit"
expect_contains "$OUT" "已接收为预备党员"
JOIN=$(ago '-18 months')
[ "$(q sq01 "SELECT m.name || '|' || m.category || '|' || m.join_date || '|' || o.code || '|' || m.phone
	FROM member m JOIN org o ON o.id = m.org_id WHERE m.id_number = '$P'")" = \
	"周建国|probationary|$JOIN|SQ01-01|13800000011" ] || fail "the new member row"
MID=$(q sq01 "SELECT id FROM member WHERE id_number = '$P'")
[ "$(q sq01 "SELECT stage || '|' || admitted_on || '|' || member_id FROM applicant
	WHERE id_number = '$P'")" = "admitted|$JOIN|$MID" ] || fail "the applicant is admitted and names the member"
[ "$(q sq01 "SELECT count(*) FROM outbox")" = "$((OUTBOX0 + 1))" ] ||
	fail "the admission is one local transaction (one outbox entry)"
refused sq01 7 "须先是发展对象" develop admit 周建国 --meeting "${GA: -8}"
refused sq01 7 "已接收预备党员" develop stop 周建国

step "promote refused within the probation year; extend once, at most a year more"
GB=$(meeting sq01 SQ01-01 general_meeting "$(ago '-7 months')")
refused sq01 7 "早于入党满一年之日" member promote 周建国 --meeting "${GB: -8}"
GC=$(meeting sq01 SQ01-01 general_meeting "$(ago '-6 months')")
refused sq01 7 "延长不超过一年" member extend 周建国 --meeting "${GC: -8}" --until "$(ago '+7 months')"
refused sq01 2 "--until" member extend 周建国 --meeting "${GC: -8}"
refused sq01 7 "须由党员大会决定" member extend 周建国 --meeting "${MC: -8}" --until "$(ago '-1 month')"
run "$OUT" tx sq01 member extend 周建国 --meeting "${GC: -8}" --until "$(ago '-1 month')"
expect_rc 0 "member extend"
expect_contains "$OUT" "已延长预备期"
expect_not_contains "$OUT" "usage"
[ "$(wc -l <"$OUT")" -eq 1 ] || { cat "$OUT" >&2; fail "member extend says one line"; }
refused sq01 7 "只能延长一次" member extend 周建国 --meeting "${GC: -8}" --until "$(ago '-2 months')"
GD=$(meeting sq01 SQ01-01 general_meeting "$(ago '-2 months')")
refused sq01 7 "早于延长后的预备期满之日" member promote 周建国 --meeting "${GD: -8}"

step "promote after the extended end, offline; synced, the street sees a full member"
GE=$(meeting sq01 SQ01-01 general_meeting "$TODAY")
run "$OUT" tx sq01 $OFF member promote "$P" --meeting "${GE: -8}"
expect_rc 0 "member promote"
expect_contains "$OUT" "已转为正式党员"
[ "$(wc -l <"$OUT")" -eq 1 ] || { cat "$OUT" >&2; fail "member promote says one line"; }
[ "$(q sq01 "SELECT category || '|' || full_date || '|' || full_meeting_id || '|' ||
	probation_until FROM member WHERE id = '$MID'")" = "full|$TODAY|$GE|$(ago '-1 month')" ] ||
	fail "the promoted member's row"
refused sq01 7 "只有预备党员" member promote 周建国 --meeting "${GE: -8}"
run "$OUT" tx sq01 $OFF sync
expect_rc 3 "sync while offline"
must tx sq01 sync -q
[ "$(q sq01 "SELECT count(*) FROM outbox")" = 0 ] || fail "every change reached the server"
must tx street sync -q
run "$OUT" tx street member show "$P"
expect_rc 0 "member show at the street"
expect_contains "$OUT" 正式党员
expect_contains "$OUT" "$TODAY"
expect_contains "$OUT" "$(ago '-1 month')"
[ "$(q street "SELECT category || '|' || full_date || '|' || join_date FROM member WHERE id = '$MID'")" = \
	"full|$TODAY|$JOIN" ] || fail "the street's replica holds the promotion"
[ "$(q street "SELECT stage || '|' || member_id FROM applicant WHERE id_number = '$P'")" = \
	"admitted|$MID" ] || fail "the street's replica holds the development record"
run "$OUT" tx street develop show "$P"
expect_contains "$OUT" 已接收预备党员
must tx sq02 sync -q
[ "$(q sq02 "SELECT (SELECT count(*) FROM applicant) || '|' || (SELECT count(*) FROM member)")" = "0|0" ] ||
	fail "the other community's replica holds SQ01's development records"

step "stop: a second applicant leaves the pipeline"
S=$(idn_female 19950607 2)
must tx sq01 develop add --name 吴丽 --gender female --ethnicity 汉族 --id-number "$S" \
	--branch SQ01-01 --applied-on 2020-01-10
run "$OUT" tx sq01 develop stop 吴丽 --note 本人撤回申请
expect_rc 0 "develop stop"
[ "$(q sq01 "SELECT stage || '|' || note FROM applicant WHERE id_number = '$S'")" = \
	"stopped|本人撤回申请" ] || fail "the stopped applicant's row"
refused sq01 7 "须先是入党申请人" develop activist 吴丽 --meeting "${MA: -8}"
run "$OUT" tx sq01 --json develop list --stage 停止培养
expect_contains "$OUT" '"stage": "stopped"'
expect_not_contains "$OUT" 周建国

step "handles and usage: by short handle, ambiguous name 7, unknown 9, usage 2"
must tx sq01 develop add --name 吴丽 --gender female --ethnicity 汉族 --id-number "$(idn_female 19960708 3)" \
	--branch SQ01-02 --applied-on 2021-02-03
refused sq01 7 "对应多名" develop show 吴丽
H=$(tx sq01 --json develop list --stage applicant | grep -o '"handle": "[0-9a-f]*"' | head -1 | cut -d'"' -f4)
[ ${#H} -eq 8 ] || fail "develop list --json gives a short handle (got \"$H\")"
run "$OUT" tx sq01 develop show "$H"
expect_rc 0 "develop show by the list's short handle"
expect_contains "$OUT" 和平第二支部
run "$OUT" tx sq01 --json develop show "$S"
expect_rc 0 "develop show --json"
expect_contains "$OUT" '"stage": "stopped"'
expect_contains "$OUT" '"stage_label": "停止培养"'
refused sq01 9 "没有入党申请人" develop show 张无忌
run "$OUT" tx sq01 develop edit "$H" --phone 13900000022 --job 护士
expect_rc 0 "develop edit"
[ "$(q sq01 "SELECT phone || '|' || job FROM applicant WHERE id_number = '$(idn_female 19960708 3)'")" = \
	"13900000022|护士" ] || fail "develop edit changed the phone and job"
refused sq01 7 "性别" develop edit "$H" --gender male
refused sq01 7 "请修改党员信息" develop edit 周建国 --phone 13900000033
refused sq01 2 "--stage" develop edit "$H" --stage activist
refused sq01 2 "未知子命令" develop promote 周建国
refused sq01 7 "发展阶段" develop list --stage 党员
run "$OUT" tx sq01 member --help
expect_rc 0 "member --help"
expect_contains "$OUT" "member promote MEMBER --meeting MEETING"
expect_contains "$OUT" "member extend MEMBER --until D --meeting MEETING"

# --- develop due at SQ02, by hand -----------------------------------------------------

step "develop due --month 2025-03: hand-computed lines"
C1=$(meeting sq02 SQ02-01 committee_meeting 2024-03-15)
C2=$(meeting sq02 SQ02-01 committee_meeting 2024-04-01)
must tx sq02 develop add --name 郑一 --gender male --ethnicity 汉族 --id-number "$(idn_male 19980101 3)" \
	--branch SQ02-01 --applied-on 2023-06-01
must tx sq02 develop activist 郑一 --meeting "${C1: -8}"
must tx sq02 develop add --name 郑二 --gender male --ethnicity 汉族 --id-number "$(idn_male 19980202 4)" \
	--branch SQ02-01 --applied-on 2023-06-01
must tx sq02 develop activist 郑二 --meeting "${C2: -8}"
pm() {   # NAME ID JOIN [--FIELD VALUE...]
	local name=$1 id=$2 join=$3
	shift 3
	must tx sq02 member add --name "$name" --gender male --ethnicity 汉族 --id-number "$id" \
		--education bachelor --category probationary --branch SQ02-01 --join-date "$join" "$@"
}
pm 王一 "$(idn_male 19900101 5)" 2024-03-10                              # due 2025-03-10
pm 王二 "$(idn_male 19900102 6)" 2023-12-20                              # overdue since 2024-12-20
pm 王三 "$(idn_male 19900103 7)" 2024-02-29                              # overdue since 2025-02-28
pm 王四 "$(idn_male 19900104 8)" 2024-03-05 --probation-until 2025-09-05 # extended: not this month
pm 王五 "$(idn_male 19900105 9)" 2023-03-20 --probation-until 2025-03-20 # extended, due 2025-03-20
must tx sq02 member add --name 王六 --gender male --ethnicity 汉族 --id-number "$(idn_male 19900106 10)" \
	--education bachelor --category full --branch SQ02-01 --join-date 2024-03-12 --full-date 2025-03-12
run "$OUT" tx sq02 --csv develop due --month 2025-03
expect_rc 0 "develop due"
sed '1s/^\xEF\xBB\xBF//' "$OUT" | tr -d '\r\t' | cut -d, -f1-7 >"$TX_TMP/due.csv"
cat >"$TX_TMP/due.want" <<'EOF'
事项,状态,姓名,所在党支部,起始日期,到期日期,备注
可确定为发展对象,本月到期,郑一,幸福第一支部,2024-03-15,2025-03-15,
预备期满转正,逾期,王二,幸福第一支部,2023-12-20,2024-12-20,
预备期满转正,逾期,王三,幸福第一支部,2024-02-29,2025-02-28,
预备期满转正,本月到期,王一,幸福第一支部,2024-03-10,2025-03-10,
预备期满转正,本月到期,王五,幸福第一支部,2023-03-20,2025-03-20,已延长
EOF
diff -u "$TX_TMP/due.want" "$TX_TMP/due.csv" >&2 || fail "develop due --month 2025-03"
run "$OUT" tx sq02 --json develop due --month 2025-04
expect_contains "$OUT" '"step": "candidate"'
expect_contains "$OUT" '"name": "郑二"'
expect_contains "$OUT" '"status": "overdue"'
expect_contains "$OUT" '"name": "王一"'
expect_not_contains "$OUT" 王四
expect_not_contains "$OUT" 王六
refused sq02 7 "月份" develop due --month 2025-13
step "done"
