#!/usr/bin/env bash
# it_fund.sh - 服务群众专项经费 (issue 14, item 7) against a real tongxind: a
# street and two communities, SQ01 and SQ02. SQ01 sets its 2025 budget
# (a second for the year is refused) and records spending, one entry paid
# for a project item and one for a wish; spending beyond the budget is
# recorded with a warning; every refusal says why, exits with its status
# and writes nothing (the replica's dump is compared). The book (fund
# list) and the quarter's disclosure (fund disclose) are checked against
# figures this script computes itself from the entries it made. Scope:
# SQ01's budget and spending reach the street, never SQ02. A 2026 budget
# for SQ01 written both at SQ01 and at the street (offline) meets at the
# server as a unique conflict the street sees.
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
refused() {
	local dev=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$dev")
	expect "$want" "$*" tx "$dev" "$@"
	expect_contains "$W/out" "$text"
	equals "nothing written by: $*" "$(digest "$dev")" "$d0"
}
yuan() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }   # fen (>= 0) as 元

step "a street and two communities, each with its office"
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
must tx sq01 item add --kind project --title 老年食堂
must tx sq01 wish add --resident 王奶奶 --wish 助行器 --value 300 --date 2025-03-01
ITEM=$(q sq01 "SELECT id FROM list_item"); WISH=$(q sq01 "SELECT id FROM micro_wish")

step "the 2025 budget: refusals change nothing; one per community and year"
refused sq01 2 "--year" fund budget --amount 50000
refused sq01 7 "年度“1999”无效" fund budget --year 1999 --amount 50000
refused sq01 7 "金额“5万”无效" fund budget --year 2025 --amount 5万
refused sq01 7 "金额“-5”无效" fund budget --year 2025 --amount -5
refused sq01 7 "经费所属社区须为社区党委，“和平第一支部”是党支部" fund budget --year 2025 --amount 1 --org SQ01-01
refused sq01 9 "本副本中没有组织“SQ09”" fund budget --year 2025 --amount 1 --org SQ09
refused street 7 "请用 --org 指定社区或支部" fund budget --year 2025 --amount 1
refused sq01 7 "晚于今天" fund budget --year 2025 --amount 1 --date 2999-01-01
expect 0 "budget" tx sq01 fund budget --year 2025 --amount 50000元 --date 2025-01-05
equals "the budget row" "$(q sq01 "SELECT b.year || '|' || b.amount || '|' || b.approved_on || '|' ||
    (b.budget_key = o.id || '/2025') FROM fund_budget b JOIN org o ON o.id = b.org_id")" "2025|5000000|2025-01-05|1"
refused sq01 7 "和平社区 2025 年度已有预算 50000.00 元" fund budget --year 2025 --amount 1

step "spending: refusals change nothing; beyond the budget is recorded with a warning"
refused sq01 2 "--purpose" fund spend --amount 10 --approver 王书记
refused sq01 2 "--approver" fund spend --amount 10 --purpose 慰问
refused sq01 7 "金额须大于 0 元" fund spend --amount 0 --purpose 慰问 --approver 王书记
refused sq01 7 "金额“1.005”无效" fund spend --amount 1.005 --purpose 慰问 --approver 王书记
refused sq01 7 "晚于今天" fund spend --amount 10 --purpose 慰问 --approver 王书记 --date 2999-01-01
refused sq01 9 "本副本中没有清单“abcdef”" fund spend --amount 10 --purpose x --approver y --item abcdef
refused sq01 9 "abcdef" fund spend --amount 10 --purpose x --approver y --wish abcdef
# The entries (date fen purpose), kept to compute the book and the disclosure.
SPEND=()
spend() {   # spend DATE FEN YUAN PURPOSE [options...]
	local d=$1 f=$2 y=$3 p=$4
	shift 4
	expect 0 "spend $y on $d" tx sq01 fund spend --amount "$y" --purpose "$p" --approver 王书记 --date "$d" "$@"
	SPEND+=("$d $f $p")
}
spend 2025-02-10 120050 1200.50 慰问困难党员
expect_not_contains "$W/out" "注意"
spend 2025-04-03 300000 3000 老年食堂餐具 --item "${ITEM: -6}"
spend 2025-05-20 30000 300元 助行器 --wish "${WISH: -6}"
spend 2025-06-30 50000 500 端午活动
spend 2025-07-01 4600000 46000 楼道改造
expect_contains "$W/out" "注意：本年度已支出 51000.50 元，超出预算 50000.00 元"
equals "the links" "$(q sq01 "SELECT (SELECT count(*) FROM fund_spending WHERE item_id = '$ITEM') || '|' ||
    (SELECT count(*) FROM fund_spending WHERE wish_id = '$WISH')")" "1|1"
BUDGET=5000000

# The book as this script computes it: "year kind date amount balance purpose" lines.
expected_book() {
	local b=$BUDGET spent=0 d f p
	echo "2025 budget 2025-01-05 $(yuan $b) $(yuan $b) "
	for e in "${SPEND[@]}"; do
		read -r d f p <<<"$e"
		spent=$((spent + f))
		if [ $((b - spent)) -ge 0 ]; then bal=$(yuan $((b - spent))); else bal=-$(yuan $((spent - b))); fi
		echo "2025 spend $d $(yuan "$f") $bal $p"
	done
}
device_book() {
	tx "$1" --json fund list ${2:+--org "$2"} --year 2025 | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print(r["year"], r["kind"], r["date"], "%.2f" % r["amount"], "%.2f" % r["balance"],
          r["purpose"] if r["kind"] == "spend" else "")'
}

step "the book: the budget, then each entry with its running balance"
equals "SQ01's book" "$(device_book sq01)" "$(expected_book)"
expect 0 "the book as a table" tx sq01 fund list
expect_contains "$W/out" "-1000.50"
refused sq01 7 "年度“20x5”无效" fund list --year 20x5

# The disclosure of 2025-Q2 as this script computes it.
expected_disclosure() {
	local q_from=2025-04-01 q_to=2025-06-30 spent=0 ytd=0 inq=0 d f p lines=""
	for e in "${SPEND[@]}"; do
		read -r d f p <<<"$e"
		[[ "$d" > "$q_to" ]] && continue
		ytd=$((ytd + f))
		if [[ ! "$d" < "$q_from" ]]; then
			inq=$((inq + f))
			lines+="entry $d $(yuan "$f") $(yuan $((BUDGET - ytd))) $p"$'\n'
		fi
	done
	echo "sum SQ01 $(yuan $BUDGET) $(yuan $inq) $(yuan $ytd) $(yuan $((BUDGET - ytd)))"
	printf '%s' "$lines"
}
device_disclosure() {
	tx "$1" --json fund disclose --quarter 2025-Q2 ${2:+--org "$2"} | python3 -c '
import json, sys
d = json.load(sys.stdin)
for s in d["summary"]:
    print("sum", s["community_code"], *("%.2f" % s[k] for k in ("budget", "spent_quarter", "spent_year", "balance")))
for r in d["entries"]:
    print("entry", r["date"], "%.2f" % r["amount"], "%.2f" % r["balance"], r["purpose"])'
}

step "the quarter's disclosure (党务公开), computed from the entries made"
equals "SQ01's 2025-Q2" "$(device_disclosure sq01)" "$(expected_disclosure)"
expect 0 "disclosure as a table" tx sq01 fund disclose --quarter 2025-Q2
expect_contains "$W/out" "服务群众专项经费公开 2025-Q2"
expect_contains "$W/out" 老年食堂餐具
expect_not_contains "$W/out" 楼道改造
expect 0 "disclosure as CSV" tx sq01 --csv fund disclose --quarter 2025-Q2
expect_contains "$W/out" "SQ01,和平社区,50000.00,3800.00,5000.50,44999.50"
equals "CSV: one byte-order mark, at the start" "$(grep -c $'\xef\xbb\xbf' "$W/out")|$(head -c 3 "$W/out" | od -An -tx1 | tr -d ' ')" "1|efbbbf"
equals "CSV: the entries after a blank line" "$(grep -c '^[0-9a-f-]\{36\},SQ01,' "$W/out")" 3
refused sq01 7 "季度“2025-Q5”无效" fund disclose --quarter 2025-Q5
refused sq01 7 "季度“2025Q2”无效" fund disclose --quarter 2025Q2

step "scope: SQ01's fund reaches the street, never SQ02"
must tx sq02 fund budget --year 2025 --amount 30000 --date 2025-01-06
must tx sq02 fund spend --amount 100 --purpose 便民服务 --approver 李书记 --date 2025-05-01
must tx sq01 sync -q
must tx sq02 sync -q
must tx street sync -q
must tx sq02 sync -q
equals "the street: both budgets, all six entries" \
    "$(q street "SELECT (SELECT count(*) FROM fund_budget) || '|' || (SELECT count(*) FROM fund_spending)")" "2|6"
equals "SQ02: its own only" \
    "$(q sq02 "SELECT (SELECT count(*) FROM fund_budget) || '|' || (SELECT count(*) FROM fund_spending)")" "1|1"
equals "the street's book of SQ01" "$(device_book street SQ01)" "$(expected_book)"
equals "the street's 2025-Q2 of SQ01" "$(device_disclosure street SQ01)" "$(expected_disclosure)"
expect 0 "the street's disclosure: both communities" tx street --csv fund disclose --quarter 2025-Q2
expect_contains "$W/out" "SQ02,幸福社区,30000.00,100.00,100.00,29900.00"
expect_contains "$W/out" "SQ01,和平社区,50000.00,3800.00,5000.50,44999.50"

step "a 2026 budget for SQ01 from SQ01 and from the street: a conflict on the server"
must tx sq01 fund budget --year 2026 --amount 60000
must tx street fund budget --year 2026 --amount 65000 --org SQ01
refused street 7 "和平社区 2026 年度已有预算 65000.00 元" fund budget --year 2026 --amount 1 --org SQ01
must tx sq01 sync -q
run "$W/out" tx street sync
expect_contains "$W/out" "冲突"
expect 0 "conflicts at the street" tx street conflicts list
expect_contains "$W/out" fund_budget
must tx street sync -q
must tx sq01 sync -q
equals "the server kept SQ01's budget, at both" \
    "$(q sq01 "SELECT amount FROM fund_budget WHERE year = 2026")|$(q street "SELECT group_concat(amount) FROM fund_budget WHERE year = 2026")" \
    "6000000|6000000"
step "ok"
