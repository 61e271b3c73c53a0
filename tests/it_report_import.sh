#!/usr/bin/env bash
# it_report_import.sh - tongxin report (profile, compliance, inactive,
# overdue, terms) on a fixed dataset whose answers are known, and tongxin
# member import: an error file with exactly the bad rows and their reasons,
# nothing written when a row is bad, --take-good, re-importing the corrected
# error file, bounds, and 20,000 rows (timed, not asserted).
#
# No server runs: the replica is made from a bundle, and the street's
# organisation row (which would arrive by sync) is inserted by hand. Every
# report is run with --as-of 2024-06-30, so the answers never move.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TONGXIN=${TONGXIN:-$HERE/../build/tongxin}
TONGXIND=${TONGXIND:-$HERE/../build/tongxind}
T=$(mktemp -d "${TMPDIR:-/tmp}/it_report_import.XXXXXX")
DB=$T/r.db
NFAIL=0
NPASS=0
trap 'if [ "$NFAIL" -gt 0 ] || [ "${TX_KEEP:-0}" = 1 ]; then echo "files kept in $T" >&2; else rm -rf "$T"; fi' EXIT

fail() { echo "FAIL: $*" >&2; NFAIL=$((NFAIL + 1)); }
pass() { NPASS=$((NPASS + 1)); }
die() { echo "FATAL: $*" >&2; NFAIL=$((NFAIL + 1)); exit 1; }
tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }

# check DESCRIPTION ACTUAL EXPECTED
check() {
	if [ "$2" == "$3" ]; then
		pass
	else
		fail "$1: got [$2], expected [$3]"
	fi
}

# has FILE LINE: FILE (CR stripped) has exactly this line.
has() {
	if sed '1s/^\xef\xbb\xbf//' "$1" | tr -d '\r' | grep -Fxq -- "$2"; then
		pass
	else
		fail "$(basename "$1") lacks the line: $2"$'\n'"--- it has:"$'\n'"$(cat "$1")"
	fi
}

# contains FILE TEXT: FILE contains TEXT somewhere.
contains() {
	if grep -Fq -- "$2" "$1"; then
		pass
	else
		fail "$(basename "$1") lacks: $2"$'\n'"--- it has:"$'\n'"$(cat "$1")"
	fi
}

# report OUT ARGS...: run a report as of the fixed date; it must succeed.
report() {
	local out=$1
	shift
	if ! tx report "$@" --as-of 2024-06-30 >"$T/$out" 2>"$T/$out.err"; then
		fail "report $* failed: $(cat "$T/$out.err")"
	fi
}

# rows FILE: the data rows of a CSV table (without BOM/header, CR stripped).
rows() { tail -n +2 "$1" | tr -d '\r'; }

# The 18-character citizen ID number for 17 digits (GB 11643 check character).
idn() {
	awk -v s="$1" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		print s substr("10X98765432", sum % 11 + 1, 1)
	}'
}

# ---------------------------------------------------------------------------
echo "== set-up: an offline replica"
"$TONGXIND" init "$T/srv" --street 测试街道 --listen 127.0.0.1:1 >/dev/null ||
	die "tongxind init failed"
"$TONGXIND" enroll "$T/srv" --org JD01 --device 管理员 --admin --out "$T/b.bundle" >/dev/null ||
	die "tongxind enroll failed"
tx join "$T/b.bundle" >/dev/null || die "tongxin join failed"
q "INSERT INTO org(id,code,name,kind,dissolved,_version) VALUES
   ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)" ||
	die "cannot seed the street"

org() { tx org add "$@" >/dev/null || die "org add $* failed"; }
org --code SQ01 --name 第一社区 --kind community --parent JD01 --term-start 2019-08-01
org --code SQ02 --name 第二社区 --kind community --parent JD01 --term-start 2019-01-01 \
	--term-end 2024-03-31
org --code ZB01 --name 第一支部 --kind branch --parent SQ01 --branch-type residential \
	--founded-on 2015-01-01 --term-start 2021-09-15
org --code ZB02 --name 第二支部 --kind branch --parent SQ01 --branch-type retired \
	--term-start 2022-01-01
org --code ZB03 --name 第三支部 --kind branch --parent SQ02 --founded-on 2024-05-10 \
	--term-start 2020-02-29
org --code XZ01 --name 第一党小组 --kind group --parent ZB01
org --code ZZ01 --name 第二党总支 --kind general_branch --parent SQ02
org --code ZB04 --name 已撤销支部 --kind branch --parent SQ02 --term-end 2024-01-01 --dissolved 1

# Members: madd KEY BIRTH BRANCH EDUCATION CATEGORY [--FIELD VALUE...]. The
# citizen ID number is 110105 + birth date + a sequence number; joined at 20.
declare -A ID
SEQ=99
madd() {
	local key=$1 birth=$2 branch=$3 edu=$4 cat=$5 d
	shift 5
	SEQ=$((SEQ + 2))
	d=${birth//-/}
	ID[$key]=$(idn "110105${d}${SEQ}")
	tx member add --name "$key" --gender male --ethnicity 汉族 --id-number "${ID[$key]}" \
		--education "$edu" --category "$cat" --branch "$branch" \
		--join-date "$(( ${birth:0:4} + 20 ))${birth:4}" "$@" >/dev/null ||
		die "member add $key failed"
}
# 第一支部: 18 members in normal standing; 11 aged 60+ on 2024-06-30 (m11 turns 60
# that very day, m12 the day after); 7 retired, 5 junior high or below (m1, m2,
# m3, m8, m12), 3 relocated, 2 mobile, 1 lost contact, 2 probationary.
madd 甲AB 1940-03-01 ZB01 primary full --retired 1
madd 甲AC 1942-04-02 ZB01 junior_high full --retired 1 --relocated 1
madd 甲AD 1945-05-03 ZB01 junior_high full --retired 1
madd 甲AE 1948-06-04 ZB01 senior_high full --retired 1
madd 甲AF 1950-07-05 ZB01 vocational full --retired 1
madd 甲AG 1952-08-06 ZB01 associate full --retired 1
madd 甲AH 1955-09-07 ZB01 bachelor full --retired 1
madd 甲AI 1957-10-08 ZB01 primary full
madd 甲AJ 1959-11-09 ZB01 bachelor full --relocated 1
madd 甲BA 1960-05-05 ZB01 master full
madd 甲BB 1964-06-30 ZB01 bachelor full
madd 甲BC 1964-07-01 ZB01 junior_high full
madd 甲BD 1970-01-13 ZB01 bachelor full --relocated 1
madd 甲BE 1975-01-14 ZB01 bachelor full --mobile 1 --flow-to 广东省深圳市
madd 甲BF 1980-01-15 ZB01 doctorate full --mobile 1 --flow-to 上海市
madd 甲BG 1985-01-16 ZB01 associate full --lost-contact 1 --lost-since 2023-01-01
madd 甲BH 1990-01-17 ZB01 bachelor probationary
madd 甲BI 2000-01-18 ZB01 master probationary
# Not counted: deceased.
madd 甲BJ 1938-01-19 ZB01 primary full --retired 1 --standing deceased
# 第二支部 (retired): 6 members, 5 aged 60+, all retired.
madd 乙AB 1941-02-01 ZB02 primary full --retired 1
madd 乙AC 1943-02-02 ZB02 junior_high full --retired 1
madd 乙AD 1946-02-03 ZB02 senior_high full --retired 1
madd 乙AE 1949-02-04 ZB02 associate full --retired 1
madd 乙AF 1953-02-05 ZB02 bachelor full --retired 1
madd 乙AG 1965-02-06 ZB02 bachelor full --retired 1
# 第三支部: 2 members.
madd 丙AB 1988-03-01 ZB03 bachelor full
madd 丙AC 1992-03-02 ZB03 master probationary
check "members in the replica" "$(q "SELECT count(*) FROM member")" "27"

# Meetings: meet ORG KIND DATE [PRESENT-KEYS...] (attendance by citizen ID number).
meet() {
	local org=$1 kind=$2 date=$3 ids="" k
	shift 3
	for k in "$@"; do
		ids="${ids:+$ids,}${ID[$k]}"
	done
	if [ -n "$ids" ]; then
		tx meeting add --org "$org" --kind "$kind" --held-on "$date" --topic "$kind $date" \
			--present "$ids" >/dev/null || die "meeting add $org $kind $date failed"
	else
		tx meeting add --org "$org" --kind "$kind" --held-on "$date" --topic "$kind $date" \
			>/dev/null || die "meeting add $org $kind $date failed"
	fi
}
ACTIVE_ZB01=(甲AB 甲AC 甲AD 甲AE 甲AF 甲AG 甲AH 甲AI 甲AJ 甲BA 甲BB 甲BH)
# 第一支部 (has a Party group) meets every requirement of 2024-Q2. (A group meeting
# may only list members of the group, and these members belong to the branch.)
meet ZB01 committee_meeting 2024-04-08 甲AB 甲AC
meet ZB01 committee_meeting 2024-05-08 甲AB 甲AC
meet ZB01 committee_meeting 2024-06-08 甲AB 甲AC
meet XZ01 group_meeting 2024-04-15
meet XZ01 group_meeting 2024-05-15
meet ZB01 group_meeting 2024-06-15 甲AD
meet ZB01 general_meeting 2024-05-20 "${ACTIVE_ZB01[@]}"
meet ZB01 party_lecture 2024-06-25 "${ACTIVE_ZB01[@]}"
meet ZB01 theme_day 2024-04-01 "${ACTIVE_ZB01[@]}"
meet ZB01 theme_day 2024-05-01 "${ACTIVE_ZB01[@]}"
meet ZB01 theme_day 2024-06-01 "${ACTIVE_ZB01[@]}"
# Excused (请假) is taking part (党章 第九条 counts only absence without good
# reason); absent is not.
tx meeting add --org ZB01 --kind 主题党日 --held-on 2024-06-02 --topic 补课 \
	--excused "${ID[甲BE]}:出差" --absent "${ID[甲BF]}" >/dev/null || die "meeting add (excused)"
# The 6-month window to 2024-06-30 opens after 2023-12-30.
meet ZB01 theme_day 2023-06-01 甲BC 甲BG
meet ZB01 theme_day 2023-12-30 甲BC
meet ZB01 theme_day 2023-12-31 甲BD
# 第二支部 (no groups): committee in April and June only, no general meeting,
# three theme days all in April.
meet ZB02 committee_meeting 2024-04-10 乙AB
meet ZB02 committee_meeting 2024-06-10 乙AB
meet ZB02 party_lecture 2024-04-20 乙AB 乙AC 乙AD 乙AE 乙AF
meet ZB02 theme_day 2024-04-01 乙AB
meet ZB02 theme_day 2024-04-11 乙AC
meet ZB02 theme_day 2024-04-21 乙AD
# After the date: never counted as of 2024-06-30.
meet ZB02 general_meeting 2024-07-05 乙AG
# 第三支部, founded 2024-05-10: only June is required in Q2.
meet ZB03 committee_meeting 2024-06-05 丙AB
meet ZB03 theme_day 2024-06-06 丙AB 丙AC

# Problem items: item KIND ORG TITLE DUE -> the new item's id.
item() {
	tx item add --kind "$1" --org "$2" --title "$3" --due-on "$4" |
		sed -n 's/.*(id \([0-9a-f-]*\))$/\1/p'
}
P1=$(item problem ZB01 楼道堆物整治 2024-05-31)
P2=$(item problem ZB02 路灯维修 2024-03-01)
P3=$(item problem ZB01 已销号问题 2024-04-01)
item problem SQ02 尚未到期 2024-07-15 >/dev/null
item need ZB01 需求不算 2024-01-01 >/dev/null
item problem ZB03 今天到期 2024-06-30 >/dev/null
item problem ZB03 昨天到期 2024-06-29 >/dev/null
[ -n "$P1" ] && [ -n "$P2" ] && [ -n "$P3" ] || die "item add did not print the new ids"
tx item rectify "$P2" --note 已更换灯泡 --date 2024-03-10 >/dev/null || die "item rectify failed"
tx item rectify "$P3" --note 已清理 --date 2024-03-20 >/dev/null || die "item rectify failed"
tx item close "$P3" --note 验收 --date 2024-03-25 >/dev/null || die "item close failed"

# ---------------------------------------------------------------------------
echo "== report profile"
report p1 profile --org ZB01 --csv
has "$T/p1" "total,党员总数 members in normal standing,18,100.0%"
has "$T/p1" "aged_60_plus,60岁以上 aged 60 or over,11,61.1%"
has "$T/p1" "retired,离退休 retired,7,38.9%"
has "$T/p1" "junior_high_or_below,初中及以下学历 junior high school or below,5,27.8%"
has "$T/p1" "relocated,拆迁党员 relocated (demolition),3,16.7%"
has "$T/p1" "mobile,流动党员 mobile (working away),2,11.1%"
has "$T/p1" "lost_contact,失联党员 lost contact,1,5.6%"
has "$T/p1" "probationary,预备党员 probationary,2,11.1%"
check "profile CSV starts with a BOM" "$(head -c 3 "$T/p1" | od -An -tx1 | tr -d ' ')" "efbbbf"
# A community: its subtree (第一支部 + 第二支部 = 24; 16 aged 60+, 13 retired).
report p2 profile --org SQ01 --json
contains "$T/p2" '{"item": "total", "label": "党员总数 members in normal standing", "count": 24, "share": "100.0%"}'
contains "$T/p2" '"item": "aged_60_plus", "label": "60岁以上 aged 60 or over", "count": 16, "share": "66.7%"'
contains "$T/p2" '"item": "retired", "label": "离退休 retired", "count": 13, "share": "54.2%"'
# The whole replica: 26 members, 16 aged 60+ (61.5%), 3 probationary (11.5%).
report p3 profile --csv
has "$T/p3" "total,党员总数 members in normal standing,26,100.0%"
has "$T/p3" "aged_60_plus,60岁以上 aged 60 or over,16,61.5%"
has "$T/p3" "probationary,预备党员 probationary,3,11.5%"
# The day before m11's 60th birthday: 10 of 18.
tx report profile --org ZB01 --as-of 2024-06-29 --csv >"$T/p4"
has "$T/p4" "aged_60_plus,60岁以上 aged 60 or over,10,55.6%"
# People read an aligned table.
report p5 profile --org ZB01
contains "$T/p5" "党员队伍结构 Member profile: 第一支部 (ZB01), 截至 as of 2024-06-30"
has "$T/p5" "60岁以上        aged 60 or over              11    61.1%"

# ---------------------------------------------------------------------------
echo "== report compliance"
report c1 compliance --year 2024 --quarter 2 --csv
# Members counted and full ones; 支委会 only with 7+ full members (第一支部).
has "$T/c1" "编码,支部,党员,正式党员,支委会,党小组会,党员大会,党课,主题党日,结果,缺项 missing,尚未到期 not yet due"
has "$T/c1" "ZB01,第一支部,18,16,3/3,3/3,1/1,1/1,3/3,ok,,"
has "$T/c1" "ZB02,第二支部,6,6,-,-,0/1,1/1,1/3,short,党员大会 2024-Q2; 主题党日 2024-05 2024-06,"
has "$T/c1" "ZB03,第三支部,2,1,-,-,-,-,1/1,ok,,"
check "compliance: dissolved branches are not listed" "$(rows "$T/c1" | wc -l)" "3"
report c2 compliance --year 2024 --quarter 2
contains "$T/c2" "未达标 short: 1 of 3 branches"
has "$T/c2" "ZB02  第二支部  党员大会 2024-Q2; 主题党日 2024-05 2024-06"
contains "$T/c2" "未达标 short"
# The default period is the quarter of the date.
report c3 compliance --csv
check "compliance defaults to the date's quarter" "$(cat "$T/c3")" "$(cat "$T/c1")"
# A month: only monthly requirements; Party lectures every month instead.
report c4 compliance --year 2024 --month 5 --csv
has "$T/c4" "ZB01,第一支部,18,16,1/1,1/1,-,-,1/1,ok,,"
has "$T/c4" "ZB02,第二支部,6,6,-,-,-,-,0/1,short,主题党日 2024-05,"
# Founded on 2024-05-10: it owed nothing in May (无要求).
has "$T/c4" "ZB03,第三支部,2,1,-,-,-,-,-,none,,"
report c5 compliance --year 2024 --quarter 2 --lecture-months 1 --org SQ01 --csv
has "$T/c5" "ZB01,第一支部,18,16,3/3,3/3,1/1,1/3,3/3,short,党课 2024-04 2024-05,"
has "$T/c5" "ZB02,第二支部,6,6,-,-,0/1,1/3,1/3,short,党员大会 2024-Q2; 党课 2024-05 2024-06; 主题党日 2024-05 2024-06,"
check "compliance --org SQ01 lists its branches only" "$(rows "$T/c5" | wc -l)" "2"
# Only what has ended by the date is due: on 2024-07-31 July, not yet Q3; the
# general meeting held on 2024-07-05 meets the quarter early.
tx report compliance --year 2024 --quarter 3 --as-of 2024-07-31 --org ZB02 --csv >"$T/c6"
has "$T/c6" "ZB02,第二支部,6,6,-,-,1/1,not_due,0/1,short,主题党日 2024-07,党课 2024-Q3; 主题党日 2024-08 2024-09"
tx report compliance --year 2024 --quarter 3 --as-of 2024-07-30 --org ZB02 --csv >"$T/c6b"
has "$T/c6b" "ZB02,第二支部,6,6,-,-,1/1,not_due,not_due,ok,,党课 2024-Q3; 主题党日 2024-07 2024-08 2024-09"
# Before the meeting of 2024-07-05 was held, nothing of Q3 is met or due.
tx report compliance --year 2024 --quarter 3 --as-of 2024-07-04 --org ZB02 --csv >"$T/c6c"
has "$T/c6c" "ZB02,第二支部,6,6,-,-,not_due,not_due,not_due,not_due,,党员大会 2024-Q3; 党课 2024-Q3; 主题党日 2024-07 2024-08 2024-09"
tx report compliance --year 2024 --quarter 3 --as-of 2024-09-30 --org ZB02 --csv >"$T/c7"
has "$T/c7" "ZB02,第二支部,6,6,-,-,1/1,0/1,0/3,short,党课 2024-Q3; 主题党日 2024-07 2024-08 2024-09,"
tx report compliance --lecture-months 5 >"$T/c8" 2>&1
check "--lecture-months must divide the year (a wrong value: 7)" "$?" "7"

# ---------------------------------------------------------------------------
echo "== report inactive"
report i1 inactive --csv
# By branch; those who never took part first, then the longest absent. 甲BE
# was excused on 2024-06-02: he took part.
check "inactive: who" "$(rows "$T/i1" | cut -d, -f1,3,4,5)" \
"ZB01,甲BF,,
ZB01,甲BI,,
ZB01,甲BG,2023-06-01,395
ZB01,甲BC,2023-12-30,183
ZB02,乙AG,,"
report i2 inactive
contains "$T/i2" "共 5 人 of 26 members (19.2%)"
contains "$T/i2" "从未 never"
report i3 inactive --org ZB02 --csv
check "inactive --org ZB02" "$(rows "$T/i3" | cut -d, -f3)" "乙AG"
# Over 12 months 甲BG (2023-06-01) is active again.
report i4 inactive --months 13 --csv
check "inactive --months 13" "$(rows "$T/i4" | cut -d, -f3 | tr '\n' ' ')" "甲BF 甲BI 乙AG "

# ---------------------------------------------------------------------------
echo "== report overdue"
report o1 overdue --csv
check "overdue: items and days" "$(rows "$T/o1" | cut -d, -f1,3,4,5,6)" \
"ZB02,路灯维修,2024-03-01,已整改,121
ZB01,楼道堆物整治,2024-05-31,待办,30
ZB03,昨天到期,2024-06-29,待办,1"
report o2 overdue --org SQ01 --csv
check "overdue --org SQ01" "$(rows "$T/o2" | cut -d, -f3 | tr '\n' ' ')" "路灯维修 楼道堆物整治 "
report o3 overdue
contains "$T/o3" "共 3 项 items"
contains "$T/o3" "已整改"

# ---------------------------------------------------------------------------
echo "== report terms"
report t1 terms --csv
check "terms: which and when" "$(rows "$T/t1" | cut -d, -f1,3,5,6,7)" \
"ZB03,党支部,2023-02-28,overdue,488
SQ02,社区党委,2024-03-31,overdue,91
SQ01,社区党委,2024-08-01,expiring,32
ZB01,党支部,2024-09-15,expiring,77"
report t2 terms
contains "$T/t2" "已到期 overdue: 2, 即将到期 expiring: 2"
contains "$T/t2" "2024-08-01 (推算)"
contains "$T/t2" "另有 1 个组织未登记届期"
report t3 terms --org SQ01 --within-months 7 --csv
check "terms --org SQ01 --within-months 7" "$(rows "$T/t3" | cut -d, -f1 | tr '\n' ' ')" \
	"SQ01 ZB01 ZB02 "

# ---------------------------------------------------------------------------
echo "== report roster"
report r1 roster --org ZB01 --csv
# The members on the books: 甲BJ is deceased (党员减少), so 18 of the 19 records.
check "roster ZB01: members on the books" "$(rows "$T/r1" | wc -l)" "18"
check "roster: 甲BJ (deceased) is not on it" "$(grep -c 甲BJ "$T/r1")" "0"
has "$T/r1" "序号,姓名,性别,民族,公民身份号码,出生日期,学历,人员类别,所在党支部,入党日期,转正日期,工作岗位,联系电话,家庭住址,党籍状态,失联党员,失联日期,流动党员,外出流向,备注"
# The citizen ID after a TAB (kept as text), labels for codes, 是/否 for flags.
has "$T/r1" "1,甲AB,男,汉族,	${ID[甲AB]},1940-03-01,小学,正式党员,第一支部,1960-03-01,,,,,正常,否,,否,,离退休"
has "$T/r1" "14,甲BE,男,汉族,	${ID[甲BE]},1975-01-14,大学本科,正式党员,第一支部,1995-01-14,,,,,正常,否,,是,广东省深圳市,"

# ---------------------------------------------------------------------------
echo "== report errors"
tx report profile --org NOPE >"$T/e1" 2>&1
check "unknown --org exits 9 (not found)" "$?" "9"
contains "$T/e1" '未知组织 unknown organisation code "NOPE"'
tx report profile --as-of 2024-02-30 >"$T/e2" 2>&1
check "bad --as-of exits 7 (a wrong value)" "$?" "7"
tx report nosuch >"$T/e3" 2>&1
check "unknown report exits 2" "$?" "2"
tx report --help >"$T/e4" 2>&1
check "report --help exits 0" "$?" "0"
contains "$T/e4" "--lecture-months N"

# ---------------------------------------------------------------------------
echo "== member import: bad rows"
# Rows (as a spreadsheet numbers them, the header being row 1):
#   2 good (branch by code)          6 unknown branch
#   3 bad check digit                7 good (branch by name, 2001年7月1日, 是)
#   4 birth date mismatch            8 the same citizen ID number as row 2
#   5 joined before 18               9 no name
#  10 good (an address with a comma and a line break)
#  11 empty cells (skipped)
G1=$(idn 11010819700101201)
G2=$(idn 11010819800202202)
G3=$(idn 11010819900303204)
GOODCK=$(idn 11010819710404204)
BADCK=${GOODCK:0:17}$([ "${GOODCK:17}" = 1 ] && echo 2 || echo 1)
MISM=$(idn 11010819750505205)
YOUNG=$(idn 11010819900101206)
UNK=$(idn 11010819850606207)
NONAME=$(idn 11010819950707208)
HDR="序号,姓名,性别,民族,公民身份号码,出生日期,学历,人员类别,所在党支部,入党日期,转正日期,联系电话,家庭住址,离退休"
{
	printf '\xef\xbb\xbf%s\r\n' "$HDR"
	printf '1,周一,男,汉族,%s,,本科,正式党员,ZB01,1995-07-01,1996-07-01,13800000001,,否\r\n' "$G1"
	printf '2,吴二,女,汉族,%s,,大专,正式党员,ZB01,1995-07-01,,,,\r\n' "$BADCK"
	printf '3,郑三,男,回族,%s,1975-05-06,高中,正式党员,ZB01,2000-07-01,,,,\r\n' "$MISM"
	printf '4,王四,女,汉族,%s,,本科,预备党员,ZB01,2007-12-31,,,,\r\n' "$YOUNG"
	printf '5,冯五,男,汉族,%s,,硕士,正式党员,ZB99,2010-07-01,,,,\r\n' "$UNK"
	printf '6,陈六,女,汉族,%s,,初中,正式党员,第二支部,2001年7月1日,2002/7/1,,,是\r\n' "$G2"
	printf '7,褚七,男,汉族,%s,,本科,正式党员,ZB01,2001-07-01,,,,\r\n' "$G1"
	printf '8,,女,汉族,%s,,本科,预备党员,ZB01,2020-07-01,,,,\r\n' "$NONAME"
	printf '9,卫九,女,汉族,%s,,本科,预备党员,ZB01,2023-07-01,,,"幸福路1号,\r\n2单元",否\r\n' "$G3"
	printf ',,,,,,,,,,,,,\r\n'
} >"$T/m.csv"
M0=$(q "SELECT count(*) FROM member")
O0=$(q "SELECT count(*) FROM outbox")
D0=$(sqlite3 "$DB" .dump | sha256sum)
tx member import "$T/m.csv" >"$T/im1" 2>"$T/im1.err"
check "import with bad rows exits 7" "$?" "7"
check "nothing imported: members" "$(q "SELECT count(*) FROM member")" "$M0"
check "nothing imported: outbox" "$(q "SELECT count(*) FROM outbox")" "$O0"
check "nothing imported: the whole replica" "$(sqlite3 "$DB" .dump | sha256sum)" "$D0"
contains "$T/im1.err" "6 行有错误，未导入任何记录 6 rows have errors; nothing was imported."
contains "$T/im1" "读取 rows read: 9, 可导入 good: 3, 错误 errors: 6"
E=$T/m.errors.csv
[ -f "$E" ] || die "no error file $E"
# The CSV writer keeps citizen ID numbers as text for spreadsheets: a TAB before them.
TB=$'\t'
check "error file starts with a BOM" "$(head -c 3 "$E" | od -An -tx1 | tr -d ' ')" "efbbbf"
has "$E" "$HDR,错误"
check "error file: exactly the bad rows" "$(rows "$E" | cut -d, -f1 | tr '\n' ' ')" "2 3 4 5 7 8 "
has "$E" "2,吴二,女,汉族,$TB$BADCK,,大专,正式党员,ZB01,1995-07-01,,,,,第3行: 公民身份号码校验位错误（应为 ${GOODCK:17:1}）"
has "$E" "3,郑三,男,回族,$TB$MISM,1975-05-06,高中,正式党员,ZB01,2000-07-01,,,,,第4行: 出生日期 1975-05-06 与公民身份号码中的 1975-05-05 不符"
has "$E" "4,王四,女,汉族,$TB$YOUNG,,本科,预备党员,ZB01,2007-12-31,,,,,第5行: 入党日期 2007-12-31 早于年满18周岁之日 2008-01-01"
has "$E" "5,冯五,男,汉族,$TB$UNK,,硕士,正式党员,ZB99,2010-07-01,,,,,\"第6行: 未知组织 所在党支部 \"\"ZB99\"\" (unknown organisation code or name)\""
has "$E" "7,褚七,男,汉族,$TB$G1,,本科,正式党员,ZB01,2001-07-01,,,,,第8行: 公民身份号码 $G1 与第 2 行重复 (the same citizen ID number as row 2)"
has "$E" "8,,女,汉族,$TB$NONAME,,本科,预备党员,ZB01,2020-07-01,,,,,第9行: 缺少必填项 姓名"

echo "== member import: --check changes nothing"
tx member import "$T/m.csv" --check --errors "$T/check.csv" >"$T/im2" 2>&1
check "--check with bad rows exits 7" "$?" "7"
check "--check wrote the same error rows" "$(rows "$T/check.csv")" "$(rows "$E")"
check "--check changed nothing" "$(sqlite3 "$DB" .dump | sha256sum)" "$D0"

echo "== member import: --take-good"
tx member import "$T/m.csv" --take-good >"$T/im3" 2>"$T/im3.err"
check "--take-good exits 0" "$?" "0"
contains "$T/im3" "读取 rows read: 9, 导入 imported: 3, 错误 errors: 6"
contains "$T/im3" "已跳过 skipped 6 bad rows (--take-good); 错误清单 error file: $E"
check "--take-good: members" "$(q "SELECT count(*) FROM member")" "$((M0 + 3))"
check "--take-good: one outbox transaction" "$(q "SELECT count(*) FROM outbox")" "$((O0 + 1))"
check "--take-good: its changes" "$(q "SELECT nchanges FROM outbox ORDER BY seq DESC LIMIT 1")" "3"
check "imported rows, mapped" \
	"$(q "SELECT m.name, m.gender, m.education, m.category, o.code, m.birth_date, m.join_date,
	      coalesce(m.full_date, ''), m.retired, m.standing, coalesce(m.address, '')
	      FROM member m JOIN org o ON o.id = m.org_id WHERE m.id_number IN ('$G1', '$G2', '$G3')
	      ORDER BY m.birth_date")" \
"周一|male|bachelor|full|ZB01|1970-01-01|1995-07-01|1996-07-01|0|normal|
陈六|female|junior_high|full|ZB02|1980-02-02|2001-07-01|2002-07-01|1|normal|
卫九|female|bachelor|probationary|ZB01|1990-03-03|2023-07-01||0|normal|幸福路1号,
2单元"
check "--take-good: the error file again" "$(rows "$E" | cut -d, -f1 | tr '\n' ' ')" "2 3 4 5 7 8 "

echo "== member import: the corrected error file"
NEWID=$(idn 11010819720808209)
sed -e "s/^2,吴二,女,汉族,$TB$BADCK,/2,吴二,女,汉族,$TB$GOODCK,/" \
	-e "s/^3,郑三,男,回族,$TB$MISM,1975-05-06,/3,郑三,男,回族,$TB$MISM,1975-05-05,/" \
	-e "s/^4,\(.*\),2007-12-31,/4,\1,2008-07-01,/" \
	-e "s/^5,\(.*\),ZB99,/5,\1,第一支部,/" \
	-e "s/^7,褚七,男,汉族,$TB$G1,/7,褚七,男,汉族,$TB$NEWID,/" \
	-e "s/^8,,/8,蒋八,/" "$E" >"$T/fixed.csv"
tx member import "$T/fixed.csv" >"$T/im4" 2>"$T/im4.err"
check "re-import of the corrected error file exits 0" "$?" "0"
contains "$T/im4" "读取 rows read: 6, 导入 imported: 6, 错误 errors: 0"
check "all members in" "$(q "SELECT count(*) FROM member")" "$((M0 + 9))"
check "no error file for a good import" "$([ -e "$T/fixed.errors.csv" ] && echo yes || echo no)" "no"
tx member import "$T/fixed.csv" >"$T/im5" 2>&1
check "importing the same rows again exits 7" "$?" "7"
contains "$T/fixed.errors.csv" "已登记"

echo "== member import: English columns, LF, no BOM"
printf 'name,gender,ethnicity,id_number,education,category,branch,join_date,mobile,flow_to\n' >"$T/en.csv"
printf 'Alice,female,Han,%s,master,full,ZB03,2010-05-05,yes,Beijing\n' \
	"$(idn 11010819860505210 | tr X x)" >>"$T/en.csv"
tx member import "$T/en.csv" >"$T/im6" 2>&1
check "English columns import" "$?" "0"
check "English row" "$(q "SELECT education, mobile, flow_to FROM member WHERE name = 'Alice'")" \
	"master|1|Beijing"

echo "== member import: bounds and malformed files"
printf '姓名,性别,外号\n张,男,小张\n' >"$T/bad1.csv"
tx member import "$T/bad1.csv" >"$T/b1" 2>&1
check "unknown column exits 7" "$?" "7"
contains "$T/b1" '未知列 unknown column "外号"'
printf '姓名,性别,民族\n张,男,汉族\n' >"$T/bad2.csv"
tx member import "$T/bad2.csv" >"$T/b2" 2>&1
check "missing required column exits 7" "$?" "7"
contains "$T/b2" "缺少必填列 the file has no column 公民身份号码"
printf '%s\n1,"unterminated\n' "$HDR" >"$T/bad3.csv"
tx member import "$T/bad3.csv" >"$T/b3" 2>&1
check "unterminated quote exits 7" "$?" "7"
contains "$T/b3" "引号未闭合"
{ printf '%s\n1,' "$HDR"; head -c 70000 /dev/zero | tr '\0' 'a'; printf '\n'; } >"$T/bad4.csv"
tx member import "$T/bad4.csv" >"$T/b4" 2>&1
check "overlong row exits 7" "$?" "7"
contains "$T/b4" "a row is longer than 65536 bytes"
truncate -s 51M "$T/bad5.csv"
tx member import "$T/bad5.csv" >"$T/b5" 2>&1
check "oversize file exits 7" "$?" "7"
contains "$T/b5" "文件过大"
tx member import "$T/m.csv" --errors "$T/m.csv" >"$T/b6" 2>&1
check "error file = input exits 2" "$?" "2"
tx member import >"$T/b7" 2>&1
check "no file exits 2" "$?" "2"
check "bounds: nothing written" "$(q "SELECT count(*) FROM member")" "$((M0 + 10))"

echo "== member import: 20,000 rows"
awk -v n=20000 'BEGIN {
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	print "姓名,性别,民族,公民身份号码,学历,人员类别,所在党支部,入党日期,联系电话"
	for (k = 0; k < n; k++) {
		y = 1940 + k % 50; m = 1 + int(k / 50) % 12; d = 1 + int(k / 600) % 28
		s = sprintf("320102%04d%02d%02d%03d", y, m, d, k % 1000)
		sum = 0
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		# A name is 汉字 and Latin letters only: the number spelt A-J.
		ds = sprintf("%05d", k); nm = "党员"
		for (i = 1; i <= 5; i++) nm = nm substr("ABCDEFGHIJ", substr(ds, i, 1) + 1, 1)
		printf "%s,%s,汉族,%s%s,%s,%s,ZB01,%04d-%02d-%02d,139%08d\n", nm,
		    (k % 2 ? "男" : "女"), s, substr("10X98765432", sum % 11 + 1, 1),
		    (k % 3 ? "本科" : "初中"), (k % 10 ? "正式党员" : "预备党员"), y + 25, m, d, k
	}
}' >"$T/big.csv"
M1=$(q "SELECT count(*) FROM member")
t0=$(date +%s%N)
tx member import "$T/big.csv" >"$T/big.out" 2>&1
rc=$?
t1=$(date +%s%N)
check "20,000 rows import" "$rc" "0"
check "20,000 members" "$(q "SELECT count(*) FROM member")" "$((M1 + 20000))"
check "20,000 rows in outbox transactions of at most 1000" \
	"$(q "SELECT count(*) || ' ' || max(nchanges) FROM outbox WHERE nchanges = 1000")" "20 1000"
echo "   20,000 rows imported in $(((t1 - t0) / 1000000)) ms"
t0=$(date +%s%N)
tx report profile --as-of 2024-06-30 >/dev/null
tx report compliance --year 2024 --as-of 2024-06-30 >/dev/null
tx report inactive --as-of 2024-06-30 >/dev/null
t1=$(date +%s%N)
echo "   profile + compliance + inactive over $((M1 + 20000)) members in $(((t1 - t0) / 1000000)) ms"

echo "it_report_import: $NPASS passed, $NFAIL failed"
[ "$NFAIL" -eq 0 ]
