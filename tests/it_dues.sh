#!/usr/bin/env bash
# it_dues.sh - 党费 (issue 10, item 6) against a real tongxind, with a street,
# two communities and two devices of the same community:
#
#   - dues set: each class and band of the 党费收缴 rules computed by hand
#     (salaried 3000 -> 15.00, 4500 -> 45.00, 5000 -> 50.00, 5000.01 -> 75.00,
#     10000 -> 150.00, 12000 -> 240.00; retired 5000 -> 25.00, 5200 -> 52.00;
#     student, unemployed, relief 0.20; farmer 0.50), and the refusals (a
#     farmer's 1.50, a base for a fixed class, a missing base, no amount,
#     an unknown class) exit 7 and change nothing;
#   - dues pay: the computed amount by default; a second payment of the same
#     month is refused (7) and changes nothing; a month before joining, more
#     than a year ahead, a malformed month, a member who left (7); unknown
#     member 9; missing --month 2; dues fix corrects the recorded one;
#   - dues pay-all: every member who owes and has not paid, one local
#     transaction, members without a class left out and counted;
#   - dues list: who paid what and the totals; --csv amounts as 12.50 text;
#   - dues arrears: consecutive unpaid months computed by hand (3: 提醒, 6:
#     党章, 2: neither), members without a class apart;
#   - the same month paid offline at two devices of one community: both
#     sync, one is applied, the other is a conflict in the second device's
#     status and in the street's conflicts list, and the server holds exactly
#     one payment of that month; the street keeps the server's and the second
#     device sees the decision; the other community never receives them;
#   - a transfer takes the member's payments to the receiving community (both
#     devices of the sending one drop them) and his arrears go on there.

. "$(dirname "$0")/lib.sh"

OUT=$TX_TMP/out
OFF="--server 127.0.0.1:1"       # nothing listens there: the office is offline
AHEAD=$(date -d "$(date +%Y-%m-15) +14 months" +%Y-%m)   # more than a year ahead

tx() { local n=$1; shift; "$TONGXIN" --replica "$TX_TMP/$n.db" "$@"; }
q() { sqlite3 "$TX_TMP/$1.db" "$2"; }
digest() { sqlite3 "$TX_TMP/$1.db" .dump | sha256sum; }
must() { run "$OUT" "$@"; [ "$TX_RC" -eq 0 ] || { cat "$OUT" >&2; fail "setup step failed (exit $TX_RC): $*"; }; }
equals() { [ "$2" = "$3" ] || fail "$1: got \"$2\", want \"$3\""; }
outbox_n() { q "$1" "SELECT count(*) FROM outbox"; }

# refused OFFICE RC TEXT ARGS...: tongxin ARGS on OFFICE exits RC, says TEXT, changes nothing.
refused() {
	local o=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$o")
	run "$OUT" tx "$o" "$@"
	expect_rc "$want" "tongxin $*"
	expect_contains "$OUT" "$text"
	[ "$(digest "$o")" = "$d0" ] || fail "tongxin $*: a refused command changed the replica"
}

add_member() {   # OFFICE NAME IDNUM BRANCH JOIN_DATE
	local full
	full=$(date -d "$5 +1 year +5 days" +%F)
	must tx "$1" member add --name "$2" --gender male --ethnicity 汉族 --id-number "$3" \
	    --education bachelor --category full --branch "$4" --join-date "$5" --full-date "$full"
}

step "a street, two communities, SQ01 with two devices"
"$TONGXIND" init "$TX_TMP/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null ||
	fail "tongxind init"
start_server "$TX_TMP/srv"
must "$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device street --admin --out "$TX_TMP/street.bundle"
must tx street join "$TX_TMP/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential
must tx street org add --code SQ01-02 --name 和平第二支部 --kind branch --parent SQ01 --branch-type retired
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type grid
must tx street sync -q
for o in sq01:SQ01 sq01b:SQ01 sq02:SQ02; do
	must "$TONGXIND" enroll "$TX_TMP/srv" --org "${o#*:}" --device "${o%:*}" --out "$TX_TMP/${o%:*}.bundle"
	must tx "${o%:*}" join "$TX_TMP/${o%:*}.bundle"
	must tx "${o%:*}" sync -q
done
add_member sq01 孙磊 "$(idn_male 19700101 1)" SQ01-01 2000-07-01   # the bands; arrears 3
add_member sq01 刘洋 "$(idn_male 19710202 2)" SQ01-01 2000-07-01   # arrears 6
add_member sq01 钱敏 "$(idn_male 19720303 3)" SQ01-01 2000-07-01   # paid up
add_member sq01 赵强 "$(idn_male 19800404 4)" SQ01-01 2025-05-10   # joined lately: arrears 2
add_member sq01 周杰 "$(idn_male 19810505 5)" SQ01-02 2000-07-01   # no class
add_member sq01 吴刚 "$(idn_male 19500606 6)" SQ01-02 2000-07-01   # retired; leaves
add_member sq01 郑伟 "$(idn_male 19600707 7)" SQ01-02 2000-07-01   # paid at two devices

step "dues set: each class and band of the 党费收缴 rules, computed by hand"
# set_is CLASS BASE MONTHLY: the confirmation says the month's amount.
set_is() {
	local cls=$1 base=$2 want=$3
	if [ -n "$base" ]; then
		run "$OUT" tx sq01 dues set 孙磊 --class "$cls" --base "$base"
	else
		run "$OUT" tx sq01 dues set 孙磊 --class "$cls"
	fi
	expect_rc 0 "dues set --class $cls --base $base"
	expect_contains "$OUT" "每月应交 $want 元"
}
set_is 在岗职工 3000 15.00       # 0.5% up to 3000 (3000 included)
set_is salaried 3000.01 30.00    # 1% above 3000: 30.0001 rounds to 30.00
set_is salaried 4500 45.00       # 1%
set_is salaried 5000 50.00       # 1% up to 5000 included
set_is salaried 5000.01 75.00    # 1.5%: 75.00015
set_is salaried 10000 150.00     # 1.5% up to 10000 included
set_is salaried 12000 240.00     # 2%
set_is 在岗职工 4321.57 43.22    # 1% of 4321.57 = 43.2157, rounded to the fen
set_is 离退休 5000 25.00         # 0.5% up to 5000
set_is retired 5200 52.00        # 1% above
set_is 学生 "" 0.20
set_is 下岗失业 "" 0.20
set_is 低保 "" 0.20
set_is 农民 0.5 0.50
set_is 农民 1 1.00
equals "stored in fen" "$(q sq01 "SELECT dues_class || '|' || dues_base FROM member WHERE name = '孙磊'")" \
	"farmer|100"
refused sq01 7 "农民党员每月交纳 0.20 至 1.00 元党费" dues set 孙磊 --class 农民 --base 1.5
refused sq01 7 "农民党员每月交纳 0.20 至 1.00 元党费" dues set 孙磊 --class farmer --base 0.1
refused sq01 7 "不需要交纳基数" dues set 孙磊 --class 学生 --base 100
refused sq01 7 "须给出交纳基数" dues set 孙磊 --class 在岗职工
refused sq01 7 "不是金额" dues set 孙磊 --class 在岗职工 --base 45.555
refused sq01 7 "不是金额" dues set 孙磊 --class 在岗职工 --base -45
refused sq01 7 "不是金额" dues set 孙磊 --class 在岗职工 --base 四千
refused sq01 7 '党费类别 "公务员" 无效' dues set 孙磊 --class 公务员 --base 4500
refused sq01 7 "在岗职工 salaried" dues set 孙磊 --class 公务员 --base 4500
refused sq01 2 "--class" dues set 孙磊 --base 4500
refused sq01 9 "没有党员" dues set 不存在的人 --class 学生

must tx sq01 dues set 孙磊 --class salaried --base 4500
must tx sq01 dues set 刘洋 --class retired --base 5200
must tx sq01 dues set 钱敏 --class 学生
must tx sq01 dues set 赵强 --class 农民 --base 0.5
must tx sq01 dues set 吴刚 --class retired --base 3000
must tx sq01 dues set 郑伟 --class salaried --base 12000
run "$OUT" tx sq01 dues show 孙磊
expect_rc 0 "dues show"
expect_contains "$OUT" "在岗职工，交纳基数 4500.00 元，比例 1%，每月应交 45.00 元"

step "dues pay: the computed amount, one payment per month"
N0=$(outbox_n sq01)
run "$OUT" tx sq01 dues pay 孙磊 --month 2025-01 --date 2025-01-20 --by 李会计
expect_rc 0 "dues pay"
expect_contains "$OUT" "已登记 孙磊 2025-01 的党费 45.00 元"
equals "one local transaction" "$(outbox_n sq01)" $((N0 + 1))
equals "the row" "$(q sq01 "SELECT p.month || '|' || p.amount || '|' || p.paid_on || '|' || p.received_by || '|' || (p.period = m.id || '/2025-01') FROM dues_payment p JOIN member m ON m.id = p.member_id WHERE m.name = '孙磊'")" \
	"2025-01|4500|2025-01-20|李会计|1"
refused sq01 7 "2025-01 的党费已于 2025-01-20 交纳 45.00 元" dues pay 孙磊 --month 2025-01
refused sq01 7 "同一月份不能重复交纳" dues pay 孙磊 --month 2025-01 --amount 50
refused sq01 7 "早于入党月份 2025-05" dues pay 赵强 --month 2025-04
refused sq01 7 "党费最多预交一年" dues pay 孙磊 --month "$AHEAD"
refused sq01 7 '月份 "2025-13" 无效' dues pay 孙磊 --month 2025-13
refused sq01 7 '月份 "2025/02" 无效' dues pay 孙磊 --month 2025/02
refused sq01 7 "金额须大于 0 元" dues pay 孙磊 --month 2025-02 --amount 0
refused sq01 7 "不是金额" dues pay 孙磊 --month 2025-02 --amount 1e3
refused sq01 7 "超过一次交纳的上限 100000.00 元" dues pay 孙磊 --month 2025-02 --amount 100000.01
refused sq01 7 "超过上限 10000000 元" dues set 孙磊 --class 在岗职工 --base 10000000.01
refused sq01 2 "--month" dues pay 孙磊
refused sq01 9 "没有党员" dues pay 不存在的人 --month 2025-02
run "$OUT" tx sq01 dues pay 孙磊 --month 2025-02 --amount 60.5 --date 2025-02-18 --note 自愿多交
expect_rc 0 "dues pay --amount"
expect_contains "$OUT" "60.50 元"
equals "the amount given, in fen" "$(q sq01 "SELECT amount || '|' || note FROM dues_payment WHERE month = '2025-02'")" "6050|自愿多交"
must tx sq01 dues pay 孙磊 --month 2025-03 --amount 54
N0=$(outbox_n sq01)
run "$OUT" tx sq01 dues fix 孙磊 --month 2025-03 --amount 45 --note 金额录错
expect_rc 0 "dues fix"
expect_contains "$OUT" "已更正 孙磊 2025-03 的党费记录：45.00 元"
equals "one local transaction" "$(outbox_n sq01)" $((N0 + 1))
equals "the same row, corrected" "$(q sq01 "SELECT count(*) || '|' || max(amount) || '|' || max(note) FROM dues_payment WHERE month = '2025-03'")" "1|4500|金额录错"
refused sq01 9 "没有交纳记录" dues fix 孙磊 --month 2025-04 --amount 45
refused sq01 7 "没有要更正的内容" dues fix 孙磊 --month 2025-03
refused sq01 7 "晚于今天" dues fix 孙磊 --month 2025-03 --date "$(date -d tomorrow +%F)"

step "a member who left pays nothing"
must tx sq01 member leave 吴刚 --reason 死亡 --date 2025-03-10
refused sq01 7 "不再交纳党费" dues pay 吴刚 --month 2025-02
refused sq01 7 "不再交纳党费" dues set 吴刚 --class retired --base 3000

step "dues pay-all: everyone who owes and has not paid, one transaction"
# 2024-12 for 刘洋 and 钱敏 first; 2025-01..2025-06 for 钱敏; 2025-06 for 赵强.
must tx sq01 dues pay 刘洋 --month 2024-12
must tx sq01 dues pay 钱敏 --month 2024-12
N0=$(outbox_n sq01)
run "$OUT" tx sq01 dues pay-all --month 2024-12 --branch SQ01-01 --date 2025-01-05 --by 李会计
expect_rc 0 "dues pay-all --branch SQ01-01"
# 孙磊 owes 2024-12 (45.00); 赵强 joined in 2025: owes nothing yet.
expect_contains "$OUT" "已为 1 名党员登记 2024-12 的党费，共 45.00 元；2 名已交纳"
equals "one local transaction" "$(outbox_n sq01)" $((N0 + 1))
N0=$(outbox_n sq01)
run "$OUT" tx sq01 dues pay-all --month 2024-11
expect_rc 0 "dues pay-all over the whole replica"
# 孙磊 45.00 + 刘洋 52.00 + 钱敏 0.20 + 郑伟 240.00; 周杰 has no class; 吴刚 left.
expect_contains "$OUT" "已为 4 名党员登记 2024-11 的党费，共 337.20 元"
expect_contains "$OUT" "1 名党员未设定党费类别"
equals "one local transaction" "$(outbox_n sq01)" $((N0 + 1))
refused sq01 9 "未知组织" dues pay-all --month 2024-10 --branch NOPE
# One member's refusal refuses the batch, and says whose it is.
refused sq01 7 "赵强：交纳日期 2025-05-01 早于入党日期 2025-05-10" dues pay-all --month 2025-06 --date 2025-05-01
for m in 2025-01 2025-02 2025-03 2025-04 2025-05 2025-06; do
	must tx sq01 dues pay 钱敏 --month "$m"
done
must tx sq01 dues pay 赵强 --month 2025-06

step "dues list: who paid what, and the totals"
run "$OUT" tx sq01 dues list --month 2024-12
expect_rc 0 "dues list"
# Owing: 孙磊, 刘洋, 钱敏 (SQ01-01), 周杰, 郑伟 (SQ01-02); 吴刚 has left; 周杰 has no class.
expect_contains "$OUT" "合计：应交纳 5 人，已交 3 人，未交 2 人（其中未设定党费类别 1 人）"
expect_contains "$OUT" "应收 337.20 元，实收 97.20 元"
run "$OUT" tx sq01 dues list --month 2024-12 --csv
expect_contains "$OUT" ",孙磊,SQ01-01,和平第一支部,在岗职工,4500.00,45.00,已交纳,45.00,2025-01-05,李会计,"
expect_contains "$OUT" ",钱敏,SQ01-01,和平第一支部,学生,,0.20,已交纳,0.20,"
run "$OUT" tx sq01 dues list --month 2024-12 --branch SQ01-02 --json
expect_contains "$OUT" '"name": "郑伟"'
expect_contains "$OUT" '"monthly": 240.00'
expect_contains "$OUT" '"status": "unpaid"'
expect_not_contains "$OUT" '孙磊'

step "dues arrears as of 2025-07, months counted by hand"
run "$OUT" tx sq01 dues arrears --as-of 2025-07
expect_rc 0 "dues arrears"
cat "$OUT"
# 孙磊 paid to 2025-03: 2025-04..06 = 3 (提醒). 刘洋 paid 2024-11, 2024-12: 2025-01..06 = 6 (党章).
# 郑伟 paid 2024-11: 2024-12..2025-06 = 7. 赵强 joined 2025-05, paid 2025-06: none.
# 钱敏 paid up. 周杰 (no class) apart: 2000-07..2025-06 = 300, shown as 240+.
grep -q "孙磊 .* 3 .*2025-04~2025-06 .*135.00 .*提醒" "$OUT" || fail "孙磊: 3 months 135.00 提醒"
grep -q "刘洋 .* 6 .*2025-01~2025-06 .*312.00 .*党章规定连续六个月不交纳党费" "$OUT" ||
	fail "刘洋: 6 months 312.00 党章"
grep -q "郑伟 .* 7 .*2024-12~2025-06 .*1680.00 .*党章规定连续六个月不交纳党费" "$OUT" ||
	fail "郑伟: 7 months"
expect_not_contains "$OUT" 钱敏
expect_not_contains "$OUT" 赵强
expect_not_contains "$OUT" 吴刚
expect_contains "$OUT" "未设定党费类别的党员（另列"
grep -A3 "未设定党费类别的党员" "$OUT" | grep -q "周杰 .*240+" || fail "周杰 apart, 240+ months"
run "$OUT" tx sq01 dues arrears --as-of 2025-07 --json
expect_contains "$OUT" '"name": "孙磊", "org_code": "SQ01-01", "class": "salaried", "class_label": "在岗职工", "monthly": 45.00, "months": 3, "from": "2025-04", "to": "2025-06", "owed": 135.00, "flag": "warning"'
expect_contains "$OUT" '"months": 6, "from": "2025-01", "to": "2025-06", "owed": 312.00, "flag": "charter"'
run "$OUT" tx sq01 dues arrears --as-of 2025-06
# One month earlier: 孙磊 2 (no flag), 刘洋 5 (提醒), 赵强 1 (2025-05).
grep -q "孙磊 .* 2 .*2025-04~2025-05" "$OUT" || fail "孙磊 as of 2025-06: 2 months"
grep -q "刘洋 .* 5 .*提醒" "$OUT" || fail "刘洋 as of 2025-06: 5 months, 提醒"
grep -q "赵强 .* 1 .*2025-05~2025-05" "$OUT" || fail "赵强 as of 2025-06: 1 month"
refused sq01 7 '月份 "2025-7" 无效' dues arrears --as-of 2025-7

step "the same month paid offline at two devices of SQ01: one payment, one conflict"
must tx sq01 sync -q
must tx sq01b sync -q
equals "the second device holds 郑伟's payments" \
	"$(q sq01b "SELECT count(*) FROM dues_payment p JOIN member m ON m.id = p.member_id WHERE m.name = '郑伟'")" 1
run "$OUT" tx sq01 $OFF dues pay 郑伟 --month 2025-07 --by 甲
expect_rc 0 "the first device pays offline"
run "$OUT" tx sq01b $OFF dues pay 郑伟 --month 2025-07 --by 乙
expect_rc 0 "the second device, not knowing, pays the same month offline"
run "$OUT" tx sq01 $OFF sync
expect_rc 3 "offline"
must tx sq01 sync
expect_contains "$OUT" "1 applied"
run "$OUT" tx sq01b sync
expect_contains "$OUT" "1 conflict"
run "$OUT" tx sq01b status
expect_contains "$OUT" "冲突"
expect_contains "$OUT" "党费"
ZID=$(q sq01 "SELECT id FROM member WHERE name = '郑伟'")
expect_contains "$OUT" "$ZID/2025-07"
must tx street sync -q
run "$OUT" tx street conflicts list
expect_rc 0 "conflicts list"
expect_contains "$OUT" "dues_payment"
expect_contains "$OUT" "$ZID/2025-07"
equals "the server holds exactly one payment of that month" \
	"$(sqlite3 "$TX_TMP/srv/tongxind.db" "SELECT count(*) || '|' || max(received_by) FROM dues_payment WHERE period = '$ZID/2025-07' AND coalesce(_deleted, 0) = 0")" "1|甲"
must tx sq01b sync -q
must tx sq01 sync -q
for o in sq01 sq01b street; do
	equals "$o holds one payment of that month" \
		"$(q "$o" "SELECT count(*) || '|' || max(received_by) FROM dues_payment WHERE period = '$ZID/2025-07'")" "1|甲"
done
run "$OUT" tx sq01b dues list --month 2025-07 --branch SQ01-02
expect_contains "$OUT" "实收 240.00 元"
CID=$(tx street conflicts list --json | grep -o '"handle": "[0-9a-f]*"' | head -1 | cut -d'"' -f4)
[ -n "$CID" ] || fail "no handle of the conflict in the street's list"
must tx street conflicts resolve "$CID" --keep-server --note 以甲处登记为准
must tx sq01b sync -q
run "$OUT" tx sq01b status
expect_contains "$OUT" "保留街道值（street）；以甲处登记为准"
equals "the server still holds exactly one payment of that month" \
	"$(sqlite3 "$TX_TMP/srv/tongxind.db" "SELECT count(*) FROM dues_payment WHERE period = '$ZID/2025-07' AND coalesce(_deleted, 0) = 0")" 1

step "scope: the other community never receives SQ01's payments"
must tx sq02 sync -q
equals "SQ02 holds no payment" "$(q sq02 "SELECT count(*) FROM dues_payment")" 0
equals "the street holds them all" "$(q street "SELECT count(*) FROM dues_payment")" \
	"$(q sq01 "SELECT count(*) FROM dues_payment")"

step "a transfer takes the payments with the member; his arrears go on at SQ02"
must tx sq01 transfer request 郑伟 --to SQ02-01 --reason 搬迁
must tx sq01 sync -q
must tx sq02 sync -q
TR=$(q sq02 "SELECT id FROM transfer WHERE member_id = '$ZID'")
[ -n "$TR" ] || fail "SQ02 did not receive the transfer request"
must tx sq02 transfer accept "$TR"
must tx sq02 sync -q
must tx sq01 sync -q
must tx sq01b sync -q
equals "SQ01 no longer holds his payments" "$(q sq01 "SELECT count(*) FROM dues_payment WHERE member_id = '$ZID'")" 0
equals "nor does SQ01's second device" "$(q sq01b "SELECT count(*) FROM dues_payment WHERE member_id = '$ZID'")" 0
equals "SQ02 holds them (2024-11 and 2025-07)" \
	"$(q sq02 "SELECT group_concat(month, ' ') FROM (SELECT month FROM dues_payment WHERE member_id = '$ZID' ORDER BY month)")" \
	"2024-11 2025-07"
run "$OUT" tx sq02 dues arrears --as-of 2025-07
grep -q "郑伟 .*SQ02-01 .* 7 .*2024-12~2025-06" "$OUT" || fail "郑伟's arrears at SQ02: $(cat "$OUT")"
refused sq01 9 "没有党员" dues pay "$ZID" --month 2025-08

step "done"
