#!/usr/bin/env bash
# it_rules_report.sh - the reports and lists tell the truth (issue 10): a
# fixed data set whose answers were computed by hand, on an offline replica
# (no server runs; the street's row, which would arrive by sync, is inserted
# by hand). Reports run --as-of fixed dates, so the answers never move.
#
#   1. Members who left (党员减少: left_reason set, or standing expelled or
#      deceased) count nowhere: org tree/list, profile, inactive, roster,
#      compliance's member counts; member list shows only the active
#      members unless --all.
#   2. 三会一课 compliance: no 支委会 demanded of a branch with fewer than 7
#      full members; a branch with no active members is not flagged; a
#      cycle is due only once it has ended, and a period with nothing due
#      says 本季度尚未到期 (not 全部达标).
#   3. report inactive: an excused absence (请假) is taking part.
#   4. report profile: women, ethnic minorities, aged 35 and under, college
#      and above.
#   5. member report --community: only a community (a branch is 7).
#   6. Branch sizes: over 50 active members or under 3 full members, in
#      report branches and in reconcile.
#   Ethnicity is a vocabulary, not free text (火星族 is 7).
#
# The data (as of 2024-06-30):
#   第一支部 ZB01 (with the group XZ01): 10 active members, 9 full; and three
#     who left: 褚亡 (died), 卫退 (withdrew, standing still normal), 蒋开
#     (expelled). 5 women, 3 minorities (回, 满, 壮), 3 aged 35
#     and under (孙三 turns 36 that very day), 6 college and above, 2 aged 60+.
#   第二支部 ZB02: 4 full members (no 支委会 required), meets everything else.
#   第三支部 ZB03: only a deceased member: no active members.
#   第四支部 ZB04: 2 full members, and 沈停 (suspended: on the books, in no count).
#   第五支部 ZB05: 51 full members (imported).

. "$(dirname "$0")/lib.sh"

DB=$TX_TMP/r.db
OUT=$TX_TMP/out
ERR=$TX_TMP/err
PROBLEMS=()
NCHECKS=0

tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }
bad() {
	PROBLEMS+=("$*")
	echo "FAIL: $*" >&2
}
run_tx() {
	RC=0
	tx "$@" >"$OUT" 2>"$ERR" || RC=$?
}
# expect RC ARGS...: tongxin ARGS exits RC.
expect() {
	local want=$1
	shift
	NCHECKS=$((NCHECKS + 1))
	run_tx "$@"
	[ "$RC" = "$want" ] || bad "tongxin $*: exit $RC, expected $want; stderr: $(cat "$ERR")"
	return 0
}
out_has() {
	NCHECKS=$((NCHECKS + 1))
	grep -Fq -- "$1" "$OUT" || bad "expected on stdout \"$1\"; got: $(head -c 1500 "$OUT")"
}
out_lacks() {
	NCHECKS=$((NCHECKS + 1))
	! grep -Fq -- "$1" "$OUT" || bad "unexpected on stdout \"$1\"; got: $(head -c 1500 "$OUT")"
}
err_has() {
	NCHECKS=$((NCHECKS + 1))
	grep -Fq -- "$1" "$ERR" || bad "expected on stderr \"$1\"; got: $(cat "$ERR")"
}
# line LINE: stdout (BOM and CR stripped) has exactly this line.
line() {
	NCHECKS=$((NCHECKS + 1))
	sed '1s/^\xef\xbb\xbf//' "$OUT" | tr -d '\r' | grep -Fxq -- "$1" ||
		bad "expected the line \"$1\"; got: $(head -c 1500 "$OUT")"
}
# same WHAT ACTUAL EXPECTED
same() {
	NCHECKS=$((NCHECKS + 1))
	[ "$2" == "$3" ] || bad "$1: got [$2], expected [$3]"
}
# rows: the data rows of the last CSV output.
rows() { tail -n +2 "$OUT" | tr -d '\r'; }
idn() {
	awk -v s="$1" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		print s substr("10X98765432", sum % 11 + 1, 1)
	}'
}

step "an offline replica: a street, a community, five branches and a group"
"$TONGXIND" init "$TX_TMP/srv" --street 测试街道 --listen 127.0.0.1:1 >"$OUT" 2>&1 ||
	fail "tongxind init: $(cat "$OUT")"
"$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device 管理员 --admin --out "$TX_TMP/b.bundle" \
	>"$OUT" 2>&1 || fail "tongxind enroll: $(cat "$OUT")"
tx join "$TX_TMP/b.bundle" >"$OUT" 2>&1 || fail "tongxin join: $(cat "$OUT")"
q "INSERT INTO org(id,code,name,kind,dissolved,_version)
   VALUES ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)" ||
	fail "insert the street's row"
org() { tx org add "$@" >"$OUT" 2>&1 || fail "org add $*: $(cat "$OUT")"; }
org --code SQ01 --name 第一社区 --kind community --parent JD01
for b in 1:第一支部 2:第二支部 3:第三支部 4:第四支部 5:第五支部; do
	org --code "ZB0${b%%:*}" --name "${b#*:}" --kind branch --parent SQ01 \
		--branch-type residential --founded-on 2015-01-01 --secretary 书记
done
org --code XZ01 --name 第一党小组 --kind group --parent ZB01

# madd NAME GENDER ETHNICITY BIRTH EDUCATION CATEGORY ORG [--FIELD VALUE...]: the
# citizen ID is 110105 + birth + a sequence number whose last digit says the
# gender (odd: male); joined at 25.
declare -A ID
SEQ=100
madd() {
	local name=$1 g=$2 eth=$3 birth=$4 edu=$5 cat=$6 org=$7
	shift 7
	SEQ=$((SEQ + 1))
	if [ "$g" = male ] && [ $((SEQ % 2)) = 0 ]; then SEQ=$((SEQ + 1)); fi
	if [ "$g" = female ] && [ $((SEQ % 2)) = 1 ]; then SEQ=$((SEQ + 1)); fi
	ID[$name]=$(idn "110105${birth//-/}${SEQ}")
	tx member add --name "$name" --gender "$g" --ethnicity "$eth" --id-number "${ID[$name]}" \
		--education "$edu" --category "$cat" --branch "$org" \
		--join-date "$((${birth:0:4} + 25))${birth:4}" "$@" >"$OUT" 2>&1 ||
		fail "member add $name: $(cat "$OUT")"
}
madd 赵一 male 汉族 1950-01-01 primary full ZB01 --retired 1
madd 钱二 female 回族 1990-07-01 bachelor full ZB01
madd 孙三 female 汉族 1988-06-30 associate full ZB01
madd 李四 male 满族 1988-07-01 master full ZB01
madd 周五 male 汉族 1960-03-03 senior_high full ZB01
madd 吴六 female 汉族 1970-04-04 vocational full ZB01
madd 郑七 male 汉族 1975-05-05 doctorate full ZB01
madd 王八 female 汉族 1995-08-08 bachelor probationary ZB01 --join-date 2023-07-01
madd 冯九 male 汉族 1965-09-09 junior_high full XZ01
madd 陈十 female 壮族 1980-10-10 bachelor full XZ01
# Those who left (党员减少), kept in history.
madd 褚亡 male 汉族 1940-02-02 primary full ZB01 --standing deceased --left-reason death \
	--left-on 2024-01-10
madd 卫退 female 汉族 1985-03-03 bachelor full ZB01 --left-reason withdrawal --left-on 2024-02-01
madd 蒋开 male 汉族 1978-04-04 senior_high full ZB01 --standing expelled
madd 韩甲 male 汉族 1945-01-01 primary full ZB02 --retired 1
madd 杨乙 female 汉族 1948-01-01 junior_high full ZB02 --retired 1
madd 朱丙 male 蒙古族 1952-01-01 associate full ZB02 --retired 1
madd 秦丁 female 汉族 1955-01-01 bachelor full ZB02 --retired 1
madd 许故 male 汉族 1942-05-05 primary full ZB03 --standing deceased --left-reason death \
	--left-on 2023-05-05
# A probationary member who withdrew before her year was out: no finding of reconcile.
madd 孔退 female 汉族 1996-01-02 bachelor probationary ZB04 --join-date 2022-01-01 \
	--left-reason withdrawal --left-on 2022-06-01
madd 何戊 male 汉族 1970-01-01 bachelor full ZB04
madd 吕己 female 汉族 1972-01-01 bachelor full ZB04
# Suspended (停止党籍): on the books (member list, roster), in no count.
madd 沈停 male 汉族 1974-01-01 bachelor full ZB04 --standing suspended
# 第五支部: 51 full members, imported.
awk 'BEGIN {
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	print "姓名,性别,民族,公民身份号码,学历,人员类别,所在党支部,入党日期"
	for (k = 0; k < 51; k++) {
		s = sprintf("110105%04d0101%03d", 1960 + k % 30, 2 * k + 1)
		sum = 0
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		nm = "五支" substr("ABCDEFGHIJ", int(k / 10) + 1, 1) substr("ABCDEFGHIJ", k % 10 + 1, 1)
		printf "%s,男,汉族,%s%s,大学本科,正式党员,ZB05,%04d-01-01\n", nm, s,
		    substr("10X98765432", sum % 11 + 1, 1), 1985 + k % 30
	}
}' >"$TX_TMP/zb05.csv"
tx member import "$TX_TMP/zb05.csv" >"$OUT" 2>&1 || fail "import ZB05: $(cat "$OUT")"
same "members in the replica" "$(q "SELECT count(*) FROM member")" "73"

# Meetings: meet ORG KIND DATE [NAMES...] present, by citizen ID.
meet() {
	local org=$1 kind=$2 date=$3 ids="" k
	shift 3
	for k in "$@"; do ids="${ids:+$ids,}${ID[$k]}"; done
	tx meeting add --org "$org" --kind "$kind" --held-on "$date" --topic "$kind $date" \
		${ids:+--present "$ids"} >"$OUT" 2>&1 || fail "meeting add $org $kind $date: $(cat "$OUT")"
}
ZB01_ALL=(赵一 钱二 孙三 李四 周五 王八 冯九 陈十)
meet ZB01 committee_meeting 2024-04-08 赵一 周五
meet ZB01 committee_meeting 2024-06-08 赵一 周五
meet XZ01 group_meeting 2024-04-15 冯九 陈十
meet XZ01 group_meeting 2024-05-15 冯九 陈十
meet XZ01 group_meeting 2024-06-15 冯九 陈十
meet ZB01 party_lecture 2024-06-25 "${ZB01_ALL[@]}"
meet ZB01 theme_day 2024-04-01 "${ZB01_ALL[@]}"
meet ZB01 theme_day 2024-05-01 "${ZB01_ALL[@]}"
meet ZB01 theme_day 2024-06-01 "${ZB01_ALL[@]}"
# The general meeting: 郑七 excused (请假), 吴六 absent without reason.
ALL_IDS=""
for k in "${ZB01_ALL[@]}"; do ALL_IDS="${ALL_IDS:+$ALL_IDS,}${ID[$k]}"; done
tx meeting add --org ZB01 --kind general_meeting --held-on 2024-05-20 --topic 党员大会 \
	--present "$ALL_IDS" \
	--excused "${ID[郑七]}:出差" --absent "${ID[吴六]}" >"$OUT" 2>&1 ||
	fail "meeting add (excused): $(cat "$OUT")"
# 第二支部: no committee meetings (4 full members need none), all else held.
meet ZB02 general_meeting 2024-04-10 韩甲 杨乙 朱丙 秦丁
meet ZB02 party_lecture 2024-04-20 韩甲 杨乙 朱丙 秦丁
meet ZB02 theme_day 2024-04-02 韩甲 杨乙 朱丙 秦丁
meet ZB02 theme_day 2024-05-02 韩甲 杨乙 朱丙 秦丁
meet ZB02 theme_day 2024-06-02 韩甲 杨乙 朱丙 秦丁
# 第四支部: everything but a committee.
meet ZB04 general_meeting 2024-06-15 何戊 吕己
meet ZB04 party_lecture 2024-06-15 何戊 吕己
meet ZB04 theme_day 2024-04-03 何戊 吕己
meet ZB04 theme_day 2024-05-03 何戊 吕己
meet ZB04 theme_day 2024-06-03 何戊 吕己

step "ethnicity is the vocabulary's, never free text"
expect 7 member add --name 测试 --gender male --ethnicity 火星族 \
	--id-number "$(idn 11010519800101991)" --education bachelor --category full --branch ZB04 \
	--join-date 2005-01-01
err_has "民族"
same "火星族 was not added" "$(q "SELECT count(*) FROM member WHERE name = '测试'")" "0"

step "1. members who left count nowhere: org tree, org list, member list, profile, roster"
# 第一支部: 8 active members directly and 2 in its group; 褚亡, 卫退, 蒋开 left.
expect 0 org tree
out_has "第一支部（ZB01）党支部 · 党员 10"
out_has "第一党小组（XZ01）党小组 · 党员 2"
out_has "第三支部（ZB03）党支部 · 党员 0"
out_has "第一社区（SQ01）社区党委 · 党员 67"
expect 0 org tree --csv
line "ZB01,第一支部,党支部,SQ01,书记,否,8,10"
expect 0 org list --csv
line "ZB01,第一支部,党支部,SQ01,书记,8"
line "ZB03,第三支部,党支部,SQ01,书记,0"
expect 0 member list --branch ZB01 --csv
same "member list ZB01: the active members" "$(rows | cut -d, -f2 | sort | tr '\n' ' ')" \
	"$(printf '%s\n' 赵一 钱二 孙三 李四 周五 吴六 郑七 王八 | sort | tr '\n' ' ')"
expect 0 member list --csv
same "member list: 68 on the books (沈停 suspended)" "$(rows | wc -l)" "68"
expect 0 member list --branch ZB04 --csv
same "member list ZB04" "$(rows | cut -d, -f2 | sort | tr '\n' ' ')" \
	"$(printf '%s\n' 何戊 吕己 沈停 | sort | tr '\n' ' ')"
expect 0 org list --csv
line "ZB04,第四支部,党支部,SQ01,书记,2"
expect 0 report roster --org ZB04 --csv
same "roster ZB04: suspended 沈停 on it" "$(rows | grep -c ',沈停,.*,停止党籍,')" "1"
out_lacks "许故"
expect 0 member list --branch ZB01 --all --csv
same "member list --all ZB01: every record" "$(rows | wc -l)" "11"
line "$(rows | grep ',褚亡,' | cut -d, -f1),褚亡,男,1940-02-02,正式党员,第一支部,1965-02-02,,死亡,死亡"
out_has ",卫退,女,1985-03-03,正式党员,第一支部,2010-03-03,,正常,退党"
out_has ",蒋开,男,1978-04-04,正式党员,第一支部,2003-04-04,,开除党籍,"
expect 0 member list --all --json
out_has '"left_reason": "withdrawal", "left_reason_label": "退党"'
expect 0 report profile --org ZB01 --as-of 2024-06-30 --csv
line "total,党员总数 members in normal standing,10,100.0%"
line "probationary,预备党员 probationary,1,10.0%"
expect 0 report roster --org ZB01 --as-of 2024-06-30 --csv
same "roster ZB01: the active members" "$(rows | wc -l)" "10"
out_lacks "卫退"
out_lacks "蒋开"

step "2. 三会一课: no 支委会 under 7 full members, no flag without members, due only once ended"
# 2024-Q2 as of 2024-06-30. 第一支部 has 9 full members: its 支委会 of May is
# missing. 第二支部 (4 full) and 第四支部 (2) owe no 支委会 and hold the rest.
# 第三支部 has no active member: it owes nothing and is not flagged. 第五支部
# (51 full) held nothing.
expect 0 report compliance --as-of 2024-06-30 --csv
line "编码,支部,党员,正式党员,支委会,党小组会,党员大会,党课,主题党日,结果,缺项 missing,尚未到期 not yet due"
line "ZB01,第一支部,10,9,2/3,3/3,1/1,1/1,3/3,short,支委会 2024-05,"
line "ZB02,第二支部,4,4,-,-,1/1,1/1,3/3,ok,,"
line "ZB03,第三支部,0,0,-,-,-,-,-,no_members,,"
line "ZB04,第四支部,2,2,-,-,1/1,1/1,3/3,ok,,"
line "ZB05,第五支部,51,51,0/3,-,0/1,0/1,0/3,short,支委会 2024-04 2024-05 2024-06; 党员大会 2024-Q2; 党课 2024-Q2; 主题党日 2024-04 2024-05 2024-06,"
expect 0 report compliance --as-of 2024-06-30
out_has "未达标 short: 2 of 5 branches"
out_has "无党员 no_members"
expect 0 report compliance --as-of 2024-06-30 --org SQ01 --json
out_has '"code": "ZB03", "branch": "第三支部", "members": 0, "full": 0'
# In the first month of the quarter nothing is due: said, neither 全部达标 nor short.
expect 0 report compliance --as-of 2024-04-15
out_has "本季度尚未到期"
out_lacks "全部达标"
out_lacks "未达标"
expect 0 report compliance --as-of 2024-04-15 --csv
line "ZB05,第五支部,51,51,not_due,-,not_due,not_due,not_due,not_due,,支委会 2024-04 2024-05 2024-06; 党员大会 2024-Q2; 党课 2024-Q2; 主题党日 2024-04 2024-05 2024-06"
# A meeting already held in a cycle not yet ended meets it early (第二支部's
# general meeting and theme day of April, by 2024-04-15); its lecture of
# 2024-04-20 is after the date, so the lecture is not yet due.
line "ZB02,第二支部,4,4,-,-,1/1,not_due,1/1,ok,,党课 2024-Q2; 主题党日 2024-05 2024-06"
# Mid-quarter: April is due (and May's theme day of 2024-05-03 met early);
# 第四支部's general meeting of the quarter is not yet due.
expect 0 report compliance --as-of 2024-05-15 --org ZB04 --csv
line "ZB04,第四支部,2,2,-,-,not_due,not_due,2/2,ok,,党员大会 2024-Q2; 党课 2024-Q2; 主题党日 2024-06"
expect 0 report compliance --as-of 2024-05-15 --org ZB04
out_has "全部达标"
out_has "本季度尚未到期 not yet due on 2024-05-15:"
out_has "党员大会 2024-Q2"
# A month still running: 本月尚未到期.
expect 0 report compliance --as-of 2024-05-31 --year 2024 --month 6 --org ZB04
out_has "本月尚未到期"
out_lacks "全部达标"
step "3. report inactive: an excused absence (请假) is taking part; absent is not"
# In the 6 months to 2024-06-30 郑七 was only excused (2024-05-20), 吴六 only absent.
expect 0 report inactive --org ZB01 --as-of 2024-06-30 --csv
same "inactive ZB01" "$(rows | cut -d, -f3,4)" "吴六,"
expect 0 report inactive --org ZB01 --as-of 2024-06-30
out_has "共 1 人 of 10 members (10.0%)"
expect 0 report inactive --org ZB02 --as-of 2024-06-30
out_has "没有 None: every one of 4 members attended."

step "4. report profile: women, minorities, aged 35 and under, college and above"
# 第一支部's 10: women 钱二 孙三 吴六 王八 陈十; minorities 钱二 (回) 李四 (满) 陈十 (壮);
# 35 or under 钱二 李四 王八 (孙三 turns 36 on 2024-06-30); college and above 钱二
# 孙三 李四 郑七 王八 陈十; 60+ 赵一 周五; junior high or below 赵一 冯九.
expect 0 report profile --org ZB01 --as-of 2024-06-30 --csv
line "women,女党员 women,5,50.0%"
line "minority,少数民族党员 ethnic minorities (not Han),3,30.0%"
line "aged_35_or_under,35岁及以下 aged 35 or under,3,30.0%"
line "college_or_above,大专及以上学历 associate degree or above,6,60.0%"
line "aged_60_plus,60岁以上 aged 60 or over,2,20.0%"
line "junior_high_or_below,初中及以下学历 junior high school or below,2,20.0%"
line "retired,离退休 retired,1,10.0%"
# The day before: 孙三 is still 35.
expect 0 report profile --org ZB01 --as-of 2024-06-29 --csv
line "aged_35_or_under,35岁及以下 aged 35 or under,4,40.0%"
# 第二支部: 2 women of 4, 1 minority (蒙古族), none under 36, 2 college and above.
expect 0 report profile --org ZB02 --as-of 2024-06-30 --json
out_has '{"item": "women", "label": "女党员 women", "count": 2, "share": "50.0%"}'
out_has '{"item": "minority", "label": "少数民族党员 ethnic minorities (not Han)", "count": 1, "share": "25.0%"}'
out_has '{"item": "aged_35_or_under", "label": "35岁及以下 aged 35 or under", "count": 0, "share": "0.0%"}'
out_has '{"item": "college_or_above", "label": "大专及以上学历 associate degree or above", "count": 2, "share": "50.0%"}'
expect 0 report profile --org ZB01 --as-of 2024-06-30
out_has "女党员"
out_has "35岁及以下"

step "5. member report --community: only a community; a branch or group is 7"
D0=$(sqlite3 "$DB" "SELECT count(*), coalesce(sum(nchanges), 0) FROM outbox")
expect 7 member report 赵一 --community ZB02
err_has "报到组织须为未撤销的社区党委或党总支"
expect 7 member report 赵一 --community XZ01
err_has "党小组"
same "a refused report changed nothing" \
	"$(sqlite3 "$DB" "SELECT count(*), coalesce(sum(nchanges), 0) FROM outbox")" "$D0"
same "赵一 reports nowhere" "$(q "SELECT coalesce(report_org_id, '') FROM member WHERE name = '赵一'")" ""
expect 0 member report 赵一 --community SQ01
same "赵一 reports to 第一社区" \
	"$(q "SELECT o.code FROM member m JOIN org o ON o.id = m.report_org_id WHERE m.name = '赵一'")" "SQ01"

step "6. branch sizes: over 50 members, under 3 full members (report branches, reconcile)"
expect 0 report branches --csv
line "编码,支部,上级,党员,正式党员,预备党员,党小组,设支委会,结果,提示 warning"
line "ZB01,第一支部,SQ01,10,9,1,1,是,ok,"
line "ZB02,第二支部,SQ01,4,4,0,0,否,ok,"
line "ZB03,第三支部,SQ01,0,0,0,0,否,warn,正式党员不足3人（0人），应与邻近单位联合建立支部或撤并 fewer than 3 full members"
line "ZB04,第四支部,SQ01,2,2,0,0,否,warn,正式党员不足3人（2人），应与邻近单位联合建立支部或撤并 fewer than 3 full members"
line "ZB05,第五支部,SQ01,51,51,0,0,是,warn,党员超过50人（51人），应分设党支部或成立党总支 over 50 members: divide the branch"
expect 0 report branches --org ZB05
out_has "需调整 to adjust: 1 of 1 branches"
expect 0 report branches --org ZB02
out_has "规模均正常"
expect 0 reconcile --csv
same "reconcile: the branch size findings" "$(rows | grep '^支部规模' | cut -d, -f3,4)" \
"ZB03,正式党员不足3人（0人），应与邻近单位联合建立支部或撤并 fewer than 3 full members
ZB04,正式党员不足3人（2人），应与邻近单位联合建立支部或撤并 fewer than 3 full members
ZB05,党员超过50人（51人），应分设党支部或成立党总支 over 50 members: divide the branch"
# Members who left are no findings: 王八 is past her probation year, 孔退 would be.
same "reconcile: probation past the year" "$(rows | grep '^预备期已满' | cut -d, -f3)" "王八"
same "reconcile: nothing of those who left" "$(rows | grep -c '褚亡\|卫退\|蒋开\|许故\|孔退')" "0"
# One more withdrawal in 第五支部 (left: not counted) brings it to 50: no warning.
expect 0 member edit 五支AA --left-reason withdrawal --left-on 2024-03-01
expect 0 report branches --org ZB05 --csv
line "ZB05,第五支部,SQ01,50,50,0,0,是,ok,"
expect 0 reconcile --csv
same "reconcile: 第五支部 at 50 is fine" "$(rows | grep -c '^支部规模.*ZB05')" "0"

if [ ${#PROBLEMS[@]} -gt 0 ]; then
	echo "it_rules_report: ${#PROBLEMS[@]} of $NCHECKS checks failed" >&2
	exit 1
fi
echo "it_rules_report: $NCHECKS checks passed"
