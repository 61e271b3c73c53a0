#!/usr/bin/env bash
# it_meeting_item.sh - tongxin meeting (组织生活) and tongxin item (清单) on an
# offline replica: every command's normal path, every validation error with
# its exact message, nothing written by a failed command, a meeting and its
# attendance as one outbox transaction, and CSV with a UTF-8 BOM.
#
# No server runs: the replica is made from a bundle, and the street's
# organisation row (which would arrive by sync) is inserted by hand.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TONGXIN=${TONGXIN:-$HERE/../build/tongxin}
TONGXIND=${TONGXIND:-$HERE/../build/tongxind}
T=$(mktemp -d "${TMPDIR:-/tmp}/it_meeting_item.XXXXXX")
trap 'rm -rf "$T"' EXIT
DB=$T/r.db
NFAIL=0
NPASS=0

fail() { echo "FAIL: $*" >&2; NFAIL=$((NFAIL + 1)); }
pass() { NPASS=$((NPASS + 1)); }
die() { echo "FATAL: $*" >&2; exit 1; }
tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }

# Counts of the outbox and the meeting and list tables, and a digest of everything.
counts() {
	q "SELECT (SELECT count(*) FROM outbox) || ' ' || (SELECT count(*) FROM meeting) || ' ' ||
	    (SELECT count(*) FROM attendance) || ' ' || (SELECT count(*) FROM list_item)"
}
digest() { sqlite3 "$DB" .dump | sha256sum; }
last_nchanges() { q "SELECT nchanges FROM outbox ORDER BY seq DESC LIMIT 1"; }
outbox_n() { q "SELECT count(*) FROM outbox"; }

# expect_err RC 'exact line on stderr' ARGS...: the command exits RC, prints
# that line, and leaves the replica (outbox, tables, everything) unchanged.
expect_err() {
	local want_rc=$1 want=$2 rc c0 d0
	shift 2
	c0=$(counts)
	d0=$(digest)
	tx "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" != "$want_rc" ]; then
		fail "$* exited $rc, expected $want_rc; stderr: $(cat "$T/err")"
		return
	fi
	if ! grep -Fxq -- "$want" "$T/err"; then
		fail "$*: expected message: $want"$'\n'"   got: $(cat "$T/err")"
		return
	fi
	if [ "$(counts)" != "$c0" ] || [ "$(digest)" != "$d0" ]; then
		fail "$*: a failed command changed the replica ($c0 -> $(counts))"
		return
	fi
	pass
}

# expect_txn N ARGS...: the command succeeds and adds exactly one outbox
# transaction, of N changes.
expect_txn() {
	local want=$1 n0 rc
	shift
	n0=$(outbox_n)
	tx "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" != 0 ]; then
		fail "$* exited $rc: $(cat "$T/err")"
		return
	fi
	if [ "$(outbox_n)" != $((n0 + 1)) ] || [ "$(last_nchanges)" != "$want" ]; then
		fail "$*: expected one outbox transaction of $want changes, outbox $n0 -> $(outbox_n)," \
		    "last nchanges $(last_nchanges)"
		return
	fi
	pass
}

# check COND-DESCRIPTION ACTUAL EXPECTED
check() {
	if [ "$2" = "$3" ]; then pass; else fail "$1: got \"$2\", expected \"$3\""; fi
}

# aligned FILE: every line of a text table starts its last column at the
# same display column (CJK characters, 3 bytes in UTF-8, take two columns;
# a line ending in a space has an empty last cell).
aligned() {
	[ "$(LC_ALL=C awk 'function dw(s,  t, n) { t = s; n = gsub(/[\200-\377]/, "", t)
		return length(s) - n / 3 }
		{ if ($0 ~ / $/) p = dw($0); else p = dw($0) - dw($NF); print p }' "$1" |
		sort -u | wc -l)" = 1 ]
}

# A citizen ID number with its GB 11643 check character (the 17th digit:
# odd for a man, even for a woman).
idn() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) m=10X98765432 sum=0 i
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * ${w[i]})); done
	echo "$s${m:sum % 11:1}"
}

# --- an offline replica ------------------------------------------------------

"$TONGXIND" init "$T/srv" --street 测试街道 --listen 127.0.0.1:1 >/dev/null || die "init"
"$TONGXIND" enroll "$T/srv" --org JD01 --device 管理员 --admin --out "$T/b.bundle" >/dev/null ||
	die "enroll"
tx join "$T/b.bundle" >/dev/null || die "join"
q "INSERT INTO org(id,code,name,kind,dissolved,_version)
   VALUES ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)" ||
	die "street org"
tx org add --code SQ01 --name 幸福社区 --kind community >/dev/null || die "org SQ01"
tx org add --code ZB01 --name 第一党支部 --kind branch --parent SQ01 --branch-type residential \
	>/dev/null || die "org ZB01"
tx org add --code ZB09 --name 已撤销支部 --kind branch --parent SQ01 --dissolved 1 >/dev/null ||
	die "org ZB09"
A=$(idn 11010519491231001)
B=$(idn 11010519600101004)
C=$(idn 11010519700505003)
D=$(idn 11010519800808006)
for p in "张三 $A male" "李四 $B female" "王五 $C male" "赵六 $D female"; do
	set -- $p
	tx member add --name "$1" --gender "$3" --ethnicity 汉族 --id-number "$2" \
		--education bachelor --category full --branch ZB01 --join-date 2000-07-01 >/dev/null ||
		die "member $1"
done
MID_B=$(q "SELECT id FROM member WHERE id_number = '$B'")
ORG_JD=00000000-0000-7000-8000-000000000001
ORG_ZB=$(q "SELECT id FROM org WHERE code = 'ZB01'")
TODAY=$(date +%F)

# --- meeting add ---------------------------------------------------------------

# A meeting and its four attendance rows: one outbox transaction of 5 changes.
expect_txn 5 meeting add --org ZB01 --kind 支委会 --held-on 2025-05-10 --topic 学习党章 \
	--host 张三 --recorder 李四 --minutes "会议纪要：学习党章第一章" \
	--present "$A,$MID_B" --excused "$C:出差" --absent "$D"
grep -Fq "已添加会议 Added meeting 2025-05-10 支委会「学习党章」" "$T/out" || fail "meeting add output"
M1=$(q "SELECT id FROM meeting WHERE topic = '学习党章'")
check "meeting row" "$(q "SELECT org_id, kind, held_on, host, recorder FROM meeting WHERE id = '$M1'")" \
	"$ORG_ZB|committee_meeting|2025-05-10|张三|李四"
check "attendance rows" "$(q "SELECT group_concat(s, ' ') FROM (SELECT m.name || ':' || a.status ||
	coalesce(':' || a.reason, '') AS s FROM attendance a JOIN member m ON m.id = a.member_id
	WHERE a.meeting_id = '$M1' ORDER BY m.id_number)")" "张三:present 李四:present 王五:excused:出差 赵六:absent"
# The outbox transaction holds the meeting and its attendance; new rows need no pending
# mark (they cannot come back in a pull before the server has them).
check "pending rows of the meeting transaction" \
	"$(q "SELECT count(*) FROM pending WHERE seq = (SELECT max(seq) FROM outbox)")" "0"

# English kind, a full-width colon for the reason, --org defaulting to the device's organisation.
expect_txn 3 meeting add --kind general_meeting --held-on 2025-06-01 --topic 党员大会选举 \
	--present "$A" --excused "$B：生病住院"
check "default org" "$(q "SELECT org_id FROM meeting WHERE topic = '党员大会选举'")" "$ORG_JD"
check "full-width colon reason" "$(q "SELECT reason FROM attendance WHERE status = 'excused'
	AND meeting_id = (SELECT id FROM meeting WHERE topic = '党员大会选举')")" "生病住院"

# No attendance: one change. Every Chinese kind name is accepted.
expect_txn 1 meeting add --org ZB01 --kind 党课 --held-on 2025-07-01 --topic 七一党课
for k in 党员大会 党小组会 主题党日 组织生活会 民主评议 life_meeting; do
	expect_txn 1 meeting add --org ZB01 --kind "$k" --held-on 2024-12-01 --topic "kind $k"
done
check "Chinese kinds stored as schema values" \
	"$(q "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM meeting WHERE topic LIKE 'kind %'
	ORDER BY rowid)")" "general_meeting group_meeting theme_day life_meeting democratic_review life_meeting"

# Validation errors: exit 7, an exact message, nothing written.
ME="tongxin meeting add:"
base=(meeting add --org ZB01 --kind 支委会 --held-on 2025-05-11 --topic 测试)
expect_err 9 "$ME 未找到党员 no member \"110105000000000000\" in this replica" \
	"${base[@]}" --present "$A,110105000000000000"
expect_err 9 "$ME 未找到党员 no member \"nobody\" in this replica" \
	"${base[@]}" --present "$A" --absent nobody
expect_err 7 "$ME 党员重复 member \"$A\" is listed more than once" \
	"${base[@]}" --present "$A,$A"
expect_err 7 "$ME 党员重复 member \"$A\" is listed more than once" \
	"${base[@]}" --present "$A" --absent "$A"
expect_err 7 "$ME 党员重复 member \"$MID_B\" is listed more than once (also as \"$B\")" \
	"${base[@]}" --present "$B" --excused "$MID_B:事假"
expect_err 7 "$ME 请假须说明事由 excused member \"$C\" needs a reason (--excused ID:REASON)" \
	"${base[@]}" --excused "$C"
expect_err 7 "$ME 请假须说明事由 excused member \"$C\" needs a reason (--excused ID:REASON)" \
	"${base[@]}" --excused "$C: "
expect_err 7 "$ME 请假项缺少党员 the excused entry \":出差\" names no member (--excused ID:REASON)" \
	"${base[@]}" --excused ":出差"
expect_err 7 "$ME 请假事由 (reason) 超过 200 字节 is longer than 200 bytes (member \"$C\")" \
	"${base[@]}" --excused "$C:$(printf '假%.0s' $(seq 1 70))"
expect_err 7 "$ME 会议类型 (--kind) 取值 \"座谈会\" 无效 invalid value; 可选 allowed: 支委会 committee_meeting、党员大会 general_meeting、党小组会 group_meeting、党课 party_lecture、主题党日 theme_day、组织生活会 life_meeting、民主评议 democratic_review" \
	meeting add --org ZB01 --kind 座谈会 --held-on 2025-05-11 --topic 测试
expect_err 7 "$ME 日期 2999-01-01 晚于今天 (in the future)" \
	meeting add --org ZB01 --kind 党课 --held-on 2999-01-01 --topic 测试 --present "$A"
expect_err 7 "$ME 日期 (held_on) 日期 \"2025-02-30\" 无效，应为 YYYY-MM-DD" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-02-30 --topic 测试
expect_err 2 "$ME 缺少必填选项 --topic TEXT missing required option" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-11 --present "$A"
expect_err 7 "$ME 缺少必填项 主题 (--topic)" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-11 --topic ""
expect_err 2 "$ME 缺少必填选项 --held-on DATE missing required option" \
	meeting add --org ZB01 --kind 党课 --topic 测试
expect_err 2 "$ME 缺少必填选项 --kind KIND missing required option" \
	meeting add --org ZB01 --held-on 2025-05-11 --topic 测试
expect_err 9 "$ME 未知组织 unknown organisation code \"NOPE\"" \
	meeting add --org NOPE --kind 党课 --held-on 2025-05-11 --topic 测试
expect_err 7 "$ME 主题 (topic) 超过 200 字节 is longer than 200 bytes" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-11 --topic "$(printf '长%.0s' $(seq 1 70))"
expect_err 7 "$ME 组织已撤销 the organisation is dissolved; no meetings can be recorded for it" \
	meeting add --org ZB09 --kind 党课 --held-on 2025-05-11 --topic 测试
expect_err 2 "$ME 未知选项 unknown option --place (see tongxin meeting add --help)" \
	"${base[@]}" --place 会议室
expect_err 2 "$ME 选项 --topic 缺少取值 option needs a value" \
	meeting add --org ZB01 --kind 党课 --held-on 2025-05-11 --topic

# --- meeting list / show -------------------------------------------------------

tx meeting list >"$T/out" 2>"$T/err" || fail "meeting list: $(cat "$T/err")"
check "meeting list header" "$(head -1 "$T/out" | tr -s ' ')" "编号 日期 类型 组织 主题 主持人 出席 请假 缺席"
grep -Eq "^${M1: -8} +2025-05-10 +支委会 +第一党支部 +学习党章 +张三 +2 +1 +1$" "$T/out" ||
	fail "meeting list row: $(cat "$T/out")"
aligned "$T/out" || fail "meeting list is not aligned by display width: $(cat "$T/out")"
check "meeting list rows" "$(($(wc -l <"$T/out") - 1))" "9"
check "list --kind (Chinese)" "$(tx meeting list --kind 党员大会 --csv | tail -n +2 | wc -l)" "2"
check "list --org takes the subtree" "$(tx meeting list --org SQ01 --csv | tail -n +2 | wc -l)" "8"
check "list --org JD01 sees all" "$(tx meeting list --org JD01 --csv | tail -n +2 | wc -l)" "9"
check "list --from --to" "$(tx meeting list --from 2025-05-01 --to 2025-06-30 --csv | tail -n +2 |
	wc -l)" "2"
check "meeting list --csv BOM" "$(tx meeting list --csv | head -c 3 | od -An -tx1 | tr -d ' ')" "efbbbf"
tx meeting list --json --kind committee_meeting >"$T/out"
grep -Fq "\"id\": \"$M1\", \"handle\": \"${M1: -8}\", \"held_on\": \"2025-05-10\", \"kind\": \"committee_meeting\", \"kind_label\": \"支委会\", \"org\": \"第一党支部\", \"topic\": \"学习党章\", \"host\": \"张三\", \"present\": 2, \"excused\": 1, \"absent\": 1" \
	"$T/out" || fail "meeting list --json: $(cat "$T/out")"
ML="tongxin meeting list:"
expect_err 9 "$ML 未知组织 unknown organisation code \"NOPE\"" meeting list --org NOPE
expect_err 7 "$ML 日期 \"2025-13-01\" 无效，应为 YYYY-MM-DD" meeting list --from 2025-13-01
expect_err 7 "$ML 起始日期 2025-06-01 晚于截止日期 2025-05-01 (--from is after --to)" \
	meeting list --from 2025-06-01 --to 2025-05-01
expect_err 7 "$ML 会议类型 (--kind) 取值 \"x\" 无效 invalid value; 可选 allowed: 支委会 committee_meeting、党员大会 general_meeting、党小组会 group_meeting、党课 party_lecture、主题党日 theme_day、组织生活会 life_meeting、民主评议 democratic_review" \
	meeting list --kind x

tx meeting show "${M1: -6}" >"$T/out" 2>"$T/err" || fail "meeting show: $(cat "$T/err")"
for line in "编号      $M1" "组织      第一党支部 (ZB01)" "会议类型  支委会" "日期      2025-05-10" \
	"主题      学习党章" "主持人    张三" "记录人    李四" "会议记录  会议纪要：学习党章第一章" \
	"出勤      出席 2，请假 1，缺席 1"; do
	grep -Fxq "$line" "$T/out" || fail "meeting show: no line \"$line\" in: $(cat "$T/out")"
done
check "meeting show roll" "$(sed -n '/^党员/,$p' "$T/out" | sed 's/ *$//' | tr -s ' ')" \
	"党员 出勤 请假事由
张三 出席
李四 出席
王五 请假 出差
赵六 缺席"
tx meeting show "$M1" >/dev/null || fail "meeting show by full id"
MS="tongxin meeting show:"
expect_err 9 "$MS 本副本中没有会议“ffffff” (not found)" meeting show ffffff
expect_err 7 "$MS 会议编号“abc”无效：请给出完整编号或其末尾至少6位 (give the id or its last 6+ characters)" \
	meeting show abc

# --- item add ------------------------------------------------------------------

expect_txn 1 item add --kind 问题 --title 楼道堆物 --org ZB01 --due-on 2025-12-31 --detail 三单元
P=$(q "SELECT id FROM list_item WHERE title = '楼道堆物'")
check "item row" "$(q "SELECT org_id, kind, status, due_on, detail FROM list_item WHERE id = '$P'")" \
	"$ORG_ZB|problem|open|2025-12-31|三单元"
grep -Fxq "已添加清单 Added 问题 item「楼道堆物」(id $P)" "$T/out" || fail "item add output: $(cat "$T/out")"
expect_txn 1 item add --kind need --title 独居老人助餐
N=$(q "SELECT id FROM list_item WHERE title = '独居老人助餐'")
check "item default org" "$(q "SELECT org_id FROM list_item WHERE id = '$N'")" "$ORG_JD"
expect_txn 1 item add --kind 责任清单 --title 书记抓党建 --org SQ01
R=$(q "SELECT id FROM list_item WHERE title = '书记抓党建'")
expect_txn 1 item add --kind 项目 --title 加装电梯 --org ZB01
J=$(q "SELECT id FROM list_item WHERE title = '加装电梯'")
for k in 学习 资源 活动 resource; do
	expect_txn 1 item add --kind "$k" --title "kind $k" --org ZB01
done

IA="tongxin item add:"
expect_err 7 "$IA 清单类型 (--kind) 取值 \"杂项\" 无效 invalid value; 可选 allowed: 责任 responsibility、问题 problem、学习 learning、资源 resource、活动 activity、需求 need、项目 project" \
	item add --kind 杂项 --title x
expect_err 2 "$IA 缺少必填选项 --title TEXT missing required option" item add --kind 问题
expect_err 2 "$IA 缺少必填选项 --kind KIND missing required option" item add --title 无类型
expect_err 7 "$IA 期限 (due_on) 日期 \"2025-13-01\" 无效，应为 YYYY-MM-DD" \
	item add --kind 问题 --title x --due-on 2025-13-01
expect_err 9 "$IA 未知组织 unknown organisation code \"NOPE\"" item add --kind 问题 --title x --org NOPE
expect_err 7 "$IA 事项 (title) 超过 200 字节 is longer than 200 bytes" \
	item add --kind 问题 --title "$(printf '长%.0s' $(seq 1 70))"
expect_err 2 "$IA 未知选项 unknown option --status (see tongxin item add --help)" \
	item add --kind 问题 --title x --status closed

# --- claim ---------------------------------------------------------------------

# A claim is its own row (claim) and moves the open item to claimed: two changes.
expect_txn 2 item claim "${N: -6}" --by 第一党支部
check "claimed (date defaults to today)" \
	"$(q "SELECT status, claimed_by, claimed_on FROM list_item WHERE id = '$N'")" "claimed|第一党支部|$TODAY"
expect_txn 2 item claim "$J" --by ZB01 --date 2025-03-01
check "claimed with --date" "$(q "SELECT status, claimed_on FROM list_item WHERE id = '$J'")" \
	"claimed|2025-03-01"
IC="tongxin item claim:"
check "claim row by the branch" "$(q "SELECT k.state || '|' || o.code FROM claim k JOIN org o
	ON o.id = k.by_org_id WHERE k.item_id = '$J'")" "claimed|ZB01"
# --by names a real organisation (code or name); free text is refused.
expect_err 9 "$IC 认领方“某驻区单位”不是本副本中的组织（编码或名称）；驻区单位请用 --unit，党员请用 --member (no organisation has this code or name)" \
	item claim "$N" --by 某驻区单位
expect_err 7 "$IC “第一党支部”已于 $TODAY 认领本清单，认领尚未完成或撤回 (this claimant's claim on the item is still active)" \
	item claim "$N" --by 第一党支部
expect_err 7 "$IC 认领支部“已撤销支部”已撤销 (dissolved)" item claim "$N" --branch ZB09
# Any kind is claimed (责任 items too), and by several claimants.
expect_txn 2 item claim "$R" --by 第一党支部
expect_txn 1 item claim "$N" --branch SQ01
check "two claims on the need" "$(q "SELECT count(*) FROM claim WHERE item_id = '$N'")" "2"
expect_err 2 "$IC 请给出一个认领方：--branch、--unit 或 --member（三者选一） (give exactly one of --branch CODE, --unit UNIT, --member M)" \
	item claim "$N"
expect_err 7 "$IC 缺少认领方 --by NAME (the branch or unit that claims it) is required" \
	item claim "$N" --by ""
RES=$(q "SELECT id FROM list_item WHERE title = 'kind resource'")
expect_err 7 "$IC 认领日期 2999-01-01 晚于今天 (in the future)" \
	item claim "$RES" --by 第一党支部 --date 2999-01-01
expect_err 7 "$IC 认领日期 (claimed_on) 日期 \"2025-02-29\" 无效，应为 YYYY-MM-DD" \
	item claim "$RES" --by 第一党支部 --date 2025-02-29
expect_err 9 "$IC 本副本中没有清单“000000” (not found)" item claim 000000 --by x
expect_err 7 "$IC 清单编号“abc”无效：请给出完整编号或其末尾至少6位 (give the id or its last 6+ characters)" \
	item claim abc --by x
expect_err 2 "$IC 未知选项 unknown option --note (see tongxin item claim --help)" \
	item claim "$RES" --note x
expect_err 2 "$IC 缺少参数 ITEM missing argument" item claim --by x

# --- rectify and close ---------------------------------------------------------

IR="tongxin item rectify:"
ICL="tongxin item close:"
expect_err 7 "$ICL 问题清单须先整改再销号 a problem item must be rectified before it is closed: tongxin item rectify ${P: -8} --note TEXT" \
	item close "${P: -8}" --note 已解决
expect_err 7 "$IR 只有问题清单需要整改 only problem items are rectified; this is a 需求 (need) item" \
	item rectify "$N" --note 已整改
expect_err 2 "$IR 缺少必填选项 --note TEXT missing required option" item rectify "$P"
expect_err 7 "$IR 缺少整改情况 --note TEXT (what was done) is required" item rectify "$P" --note ""
expect_err 7 "$IR 整改日期 2999-01-01 晚于今天 (in the future)" \
	item rectify "$P" --note 已清理 --date 2999-01-01
expect_txn 1 item rectify "$P" --note 已清理堆物 --date 2025-06-01
check "rectified" "$(q "SELECT status, rectification, rectified_on FROM list_item WHERE id = '$P'")" \
	"rectified|已清理堆物|2025-06-01"
expect_err 7 "$ICL 销号日期 2025-05-01 早于整改日期 2025-06-01" \
	item close "$P" --note 验收 --date 2025-05-01
expect_err 7 "$ICL 销号日期 2999-01-01 晚于今天 (in the future)" item close "$P" --date 2999-01-01
expect_txn 1 item close "$P" --note 社区验收合格 --date 2025-06-15
check "closed" "$(q "SELECT status, closed_on, close_note FROM list_item WHERE id = '$P'")" \
	"closed|2025-06-15|社区验收合格"
expect_err 7 "$ICL 清单已销号 the item was closed on 2025-06-15" item close "$P"
expect_err 7 "$IR 清单已销号 the item was closed on 2025-06-15" item rectify "$P" --note again
expect_err 7 "$ICL 销号日期 2025-02-01 早于认领日期 2025-03-01" item close "$J" --date 2025-02-01
# Other kinds are closed with their result (销号说明), on today's date by default.
expect_err 7 "$ICL 清单的销号说明为必填项" item close "$R"
expect_txn 1 item close "$R" --note 已落实
check "closed responsibility" "$(q "SELECT status, closed_on, close_note FROM list_item
	WHERE id = '$R'")" "closed|$TODAY|已落实"

# --- item list -----------------------------------------------------------------

tx item list >"$T/out" 2>"$T/err" || fail "item list: $(cat "$T/err")"
check "item list header" "$(head -1 "$T/out" | tr -s ' ')" \
	"编号 类型 事项 组织 状态 期限 认领方 认领日期 整改日期 销号日期"
grep -Eq "^${P: -8} +问题 +楼道堆物 +第一党支部 +已销号 +2025-12-31 +2025-06-01 +2025-06-15$" "$T/out" ||
	fail "item list row: $(cat "$T/out")"
aligned "$T/out" || fail "item list is not aligned by display width: $(cat "$T/out")"
check "item list rows" "$(($(wc -l <"$T/out") - 1))" "8"
check "item list --open" "$(tx item list --open --csv | tail -n +2 | wc -l)" "6"
check "item list --kind 需求" "$(tx item list --kind 需求 --csv | tail -n +2 | cut -d, -f3 |
	tr -d '\r')" "独居老人助餐"
check "item list --org ZB01 --open" "$(tx item list --org ZB01 --open --csv | tail -n +2 | wc -l)" "5"
check "item list --csv BOM" "$(tx item list --csv | head -c 3 | od -An -tx1 | tr -d ' ')" "efbbbf"
check "item list --csv header" "$(tx item list --csv | head -1 | tail -c +4 | tr -d '\r')" \
	"编号,类型,事项,组织,状态,期限,认领方,认领日期,整改日期,销号日期"
tx item list --json --kind need >"$T/out"
grep -Fq "{\"id\": \"$N\", \"handle\": \"${N: -8}\", \"kind\": \"need\", \"kind_label\": \"需求\", \"title\": \"独居老人助餐\", \"org\": \"测试街道\", \"status\": \"claimed\", \"status_label\": \"已认领\"" \
	"$T/out" || fail "item list --json: $(cat "$T/out")"
IL="tongxin item list:"
expect_err 9 "$IL 未知组织 unknown organisation code \"NOPE\"" item list --org NOPE
expect_err 7 "$IL 清单类型 (--kind) 取值 \"x\" 无效 invalid value; 可选 allowed: 责任 responsibility、问题 problem、学习 learning、资源 resource、活动 activity、需求 need、项目 project" \
	item list --kind x
expect_err 2 "$IL 未知选项 unknown option --closed (see tongxin item list --help)" item list --closed

# --- the roll belongs to the meeting's organisation; a problem item claimed ---

tx org add --code ZB02 --name 第二党支部 --kind branch --parent SQ01 --branch-type residential \
	>/dev/null || die "org ZB02"
expect_err 7 "$ME 党员不属于本会议的组织 member \"$A\" is not in the meeting's organisation or its groups" \
	meeting add --org ZB02 --kind 党课 --held-on 2025-05-11 --topic 测试 --present "$A"
expect_txn 2 meeting add --org SQ01 --kind 党课 --held-on 2025-05-12 --topic 社区党课 --present "$A"
# Attendees by any member handle: a name one member has, the id's last 8 characters.
expect_txn 3 meeting add --org ZB01 --kind 党课 --held-on 2025-05-13 --topic 按姓名 \
	--present "王五,${MID_B: -8}"
check "attendees by name and short id" "$(q "SELECT group_concat(m.name, ' ') FROM (SELECT m.name
	FROM attendance a JOIN member m ON m.id = a.member_id JOIN meeting t ON t.id = a.meeting_id
	WHERE t.topic = '按姓名' ORDER BY m.name) m")" "李四 王五"
expect_err 9 "$ME 未找到党员 no member \"王小五\" in this replica" "${base[@]}" --present 王小五

# A problem item may be claimed by the branch that rectifies it (认领整改), then rectified and closed.
expect_txn 1 item add --kind 问题 --title 路灯损坏 --org ZB01 --due-on 2025-09-30
L=$(q "SELECT id FROM list_item WHERE title = '路灯损坏'")
expect_txn 2 item claim "$L" --by 第一党支部 --date 2025-06-01
grep -Fq "已认领 Claimed 问题 item「路灯损坏」by 第一党支部 on 2025-06-01 (认领编号 claim " "$T/out" ||
	fail "item claim output: $(cat "$T/out")"
expect_err 7 "$IR 整改日期 2025-05-01 早于认领日期 2025-06-01" item rectify "$L" --note 已修复 --date 2025-05-01
expect_err 7 "$ICL 问题清单须先整改再销号 a problem item must be rectified before it is closed: tongxin item rectify $L --note TEXT" \
	item close "$L"
expect_txn 1 item rectify "$L" --note 已修复 --date 2025-06-05
expect_err 7 "$IC 清单已整改，不能再认领 the item is rectified; only open or claimed items are claimed" \
	item claim "$L" --by ZB02
expect_txn 1 item close "$L" --date 2025-06-06
check "claimed problem closed" "$(q "SELECT status, claimed_by, claimed_on, rectified_on, closed_on
	FROM list_item WHERE id = '$L'")" "closed|第一党支部|2025-06-01|2025-06-05|2025-06-06"

# --- ambiguous id suffixes (on a copy, with rows made to collide) --------------

cp "$DB" "$T/amb.db"
cp "$DB.credential" "$T/amb.db.credential" 2>/dev/null
sqlite3 "$T/amb.db" "INSERT INTO list_item (id, org_id, kind, title, status, _version) VALUES
	('00000000-0000-7000-8000-000000fabcde', '$ORG_JD', 'need', 'a', 'open', 0),
	('00000000-0000-7000-8000-000001fabcde', '$ORG_JD', 'need', 'b', 'open', 0);
	INSERT INTO meeting (id, org_id, kind, held_on, topic, _version) VALUES
	('00000000-0000-7000-8000-000000fabcde', '$ORG_JD', 'party_lecture', '2025-01-01', 'a', 0),
	('00000000-0000-7000-8000-000001fabcde', '$ORG_JD', 'party_lecture', '2025-01-01', 'b', 0)"
DB0=$DB
DB=$T/amb.db
expect_err 7 "tongxin item claim: “FABCDE”对应多条清单，请给出更长的编号 (ambiguous): 00fabcde、01fabcde" \
	item claim FABCDE --by x
expect_err 7 "tongxin meeting show: “fabcde”对应多条会议，请给出更长的编号 (ambiguous): 00fabcde、01fabcde" \
	meeting show fabcde
expect_txn 2 item claim 00fabcde --by 第一党支部
tx meeting show 01fabcde >/dev/null || fail "meeting show by a longer unique suffix"
DB=$DB0

# --- help ----------------------------------------------------------------------

tx meeting --help >"$T/out" && grep -Fq "usage: tongxin meeting add --kind KIND" "$T/out" &&
	grep -Fq "党课 party_lecture" "$T/out" || fail "meeting --help: $(cat "$T/out")"
tx meeting add --help >"$T/out" && grep -Fq "usage: tongxin meeting add" "$T/out" &&
	grep -Fq "支委会 committee_meeting" "$T/out" || fail "meeting add --help: $(cat "$T/out")"
tx item --help >"$T/out" && grep -Fq "  tongxin item claim ITEM [--branch CODE] [--unit UNIT] [--member MEMBER] [--by NAME]" "$T/out" &&
	grep -Fq "问题 problem" "$T/out" || fail "item --help: $(cat "$T/out")"
tx item frobnicate >/dev/null 2>&1
check "item unknown sub-verb exit" "$?" "2"

echo "it_meeting_item: $NPASS passed, $NFAIL failed"
[ "$NFAIL" = 0 ]
