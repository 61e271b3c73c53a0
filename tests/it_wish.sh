#!/usr/bin/env bash
# it_wish.sh - 微心愿 (issue 14, item 3) against a real tongxind: a street
# and two communities, SQ01 (A) and SQ02 (B). SQ01 posts wishes (for
# itself and for its branch), a member and a branch claim them, they are
# fulfilled or cancelled; every refusal (bad value, bad state, unknown
# member, future date, claimant missing, no resident unit yet) says why,
# exits with its status and writes nothing (the replica's dump is
# compared). The year's report is checked against counts this script
# keeps itself as it makes each row. After syncs the street holds SQ01's
# wishes and SQ02 none of them (nor SQ01 SQ02's); the resident's name and
# household are shown on a terminal and kept as text in CSV (a formula
# neutralised); the same wish cancelled with two different notes at SQ01
# and at the street is a conflict the street sees. Last, on a copy of SQ01's
# replica holding two resident units as a pull would bring them (units
# have no verb of their own yet), a unit claims a wish by name; an unknown
# or ambiguous unit is refused.
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
# refused DEV STATUS TEXT CMD...: CMD at DEV exits STATUS, says TEXT, and DEV's replica is unchanged.
refused() {
	local dev=$1 want=$2 text=$3 d0
	shift 3
	d0=$(digest "$dev")
	expect "$want" "$*" tx "$dev" "$@"
	expect_contains "$W/out" "$text"
	equals "nothing written by: $*" "$(digest "$dev")" "$d0"
}

# The report's answers, kept as the rows are made: EXP[ORG|YYYY-MM]="posted claimed fulfilled fen".
declare -A EXP
bump() {   # bump ORG DATE FIELD [FEN]
	local k="$1|${2:0:7}" p=0 c=0 f=0 v=0
	[ -n "${EXP[$k]:-}" ] && read -r p c f v <<<"${EXP[$k]}"
	case $3 in
	posted) p=$((p + 1)) ;;
	claimed) c=$((c + 1)) ;;
	fulfilled) f=$((f + 1)); v=$((v + $4)) ;;
	esac
	EXP[$k]="$p $c $f $v"
}
# The expected report for YEAR as "CODE,MONTH,P,C,F,YUAN" lines, sorted.
expected_report() {
	local k p c f v
	for k in "${!EXP[@]}"; do
		case ${k#*|} in "$1"-*) ;; *) continue ;; esac
		read -r p c f v <<<"${EXP[$k]}"
		printf '%s,%s,%d,%d,%d,%d.%02d\n' "${k%%|*}" "${k#*|}" "$p" "$c" "$f" $((v / 100)) $((v % 100))
	done | LC_ALL=C sort
}
# The report a device prints as CSV, as the same lines (the name column left out).
device_report() {
	tx "$1" --csv wish report --year "$2" | sed '1s/^\xef\xbb\xbf//' | tr -d '\r' | tail -n +2 |
		awk -F, '{ print $1 "," $3 "," $4 "," $5 "," $6 "," $7 }' | LC_ALL=C sort
}

step "a street, two communities with a branch each"
"$TONGXIND" init "$W/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >/dev/null
start_server "$W/srv"
"$TONGXIND" enroll "$W/srv" --org JD01 --device street --admin --out "$W/street.bundle" >/dev/null
must tx street join "$W/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 \
    --branch-type residential
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 \
    --branch-type residential
must tx street sync -q
for d in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$W/srv" --org "${d#*:}" --device "${d%:*}" --out "$W/${d%:*}.bundle" >/dev/null
	must tx "${d%:*}" join "$W/${d%:*}.bundle"
	must tx "${d%:*}" sync -q
done
must tx sq01 member add --name 李明 --gender male --ethnicity 汉族 --id-number "$(idn_male 19800101 3)" \
    --education bachelor --category full --branch SQ01-01 --join-date 2005-07-01 --full-date 2006-07-01
TOMORROW=$(TZ=Asia/Shanghai date -d tomorrow +%F)
Y=2026
# Wishes wait until the year's posting dates; the test runs on any later day.
[ "$(TZ=Asia/Shanghai date +%F)" \> "$Y-06-30" ] || { echo "it_wish: the dates below must be in the past" >&2; exit 77; }

step "wish add: values in 元, the organisation by default this office's"
expect 0 "a wish for SQ01 (default org), 50 元" tx sq01 wish add --resident 李秀英 --wish 轮椅一台 \
    --household 和平路3号2单元 --grid 第一网格 --value 50元 --date $Y-03-02
bump SQ01 $Y-03-02 posted
W1=$(q sq01 "SELECT id FROM micro_wish WHERE resident_name = '李秀英'")
expect 0 "a wish for the branch, 120.5 元" tx sq01 wish add --resident 王建国 --wish 助听器 \
    --org SQ01-01 --value 120.5 --date $Y-03-05
bump SQ01-01 $Y-03-05 posted
W2=$(q sq01 "SELECT id FROM micro_wish WHERE resident_name = '王建国'")
expect 0 "a wish without a value" tx sq01 wish add --resident 张桂兰 --wish 陪同就医 --date $Y-04-01
bump SQ01 $Y-04-01 posted
W3=$(q sq01 "SELECT id FROM micro_wish WHERE resident_name = '张桂兰'")
expect 0 "a wish whose household looks like a formula" tx sq01 wish add --resident 赵军 \
    --wish 书包 --household "=1+2" --value 30.05 --date $Y-04-10
bump SQ01 $Y-04-10 posted
W4=$(q sq01 "SELECT id FROM micro_wish WHERE resident_name = '赵军'")
equals "stored: fen, status open, org" \
    "$(q sq01 "SELECT group_concat(coalesce(value, 'NULL') || ':' || status || ':' || (SELECT code FROM org WHERE id = org_id), ' ') FROM (SELECT * FROM micro_wish ORDER BY posted_on)")" \
    "5000:open:SQ01 12050:open:SQ01-01 NULL:open:SQ01 3005:open:SQ01"

step "wish add refusals: nothing written"
refused sq01 7 "估值“abc”无效" wish add --resident 甲 --wish 乙 --value abc
refused sq01 7 "估值“1.234”无效" wish add --resident 甲 --wish 乙 --value 1.234
refused sq01 7 "超出范围" wish add --resident 甲 --wish 乙 --value 2000000
refused sq01 7 "估值“-5”无效" wish add --resident 甲 --wish 乙 --value -5
refused sq01 7 "晚于今天" wish add --resident 甲 --wish 乙 --date "$TOMORROW"
refused sq01 7 "无效" wish add --resident 甲 --wish 乙 --date $Y-02-30
refused sq01 2 "--resident" wish add --wish 乙
refused sq01 9 "没有组织“SQ09”" wish add --resident 甲 --wish 乙 --org SQ09
refused sq01 7 "居民姓名" wish add --resident "=cmd()" --wish 乙
refused street 7 "--org" wish add --resident 甲 --wish 乙
refused street 7 "须为" wish add --resident 甲 --wish 乙 --org JD01

step "wish claim: by a member, by a branch; refusals"
expect 0 "claimed by a member" tx sq01 wish claim "${W1: -8}" --member 李明 --date $Y-03-10
bump SQ01 $Y-03-10 claimed
expect 0 "claimed by a branch" tx sq01 wish claim "${W2: -8}" --branch SQ01-01 --date $Y-04-02
bump SQ01-01 $Y-04-02 claimed
refused sq01 7 "只有待认领的心愿可以认领" wish claim "${W1: -8}" --member 李明 --date $Y-03-11
refused sq01 9 "没有党员“王五”" wish claim "${W3: -8}" --member 王五
refused sq01 2 "--member、--unit 或 --branch" wish claim "${W3: -8}"
refused sq01 2 "三者选一" wish claim "${W3: -8}" --member 李明 --branch SQ01-01
refused sq01 9 "还没有驻区单位记录" wish claim "${W3: -8}" --unit 市第一医院
refused sq01 7 "认领支部须为党支部" wish claim "${W3: -8}" --branch SQ01
refused sq01 7 "早于" wish claim "${W3: -8}" --member 李明 --date $Y-03-01
refused sq01 7 "晚于今天" wish claim "${W3: -8}" --member 李明 --date "$TOMORROW"
refused sq01 9 "没有微心愿“abcdef12”" wish claim abcdef12 --member 李明
refused sq01 7 "编号“W1”无效" wish claim W1 --member 李明
equals "claims stored" \
    "$(q sq01 "SELECT group_concat(status || ':' || CASE WHEN by_member_id IS NOT NULL THEN 'm' WHEN by_org_id IS NOT NULL THEN 'b' ELSE '' END || ':' || coalesce(claimed_on, ''), ' ') FROM (SELECT * FROM micro_wish ORDER BY posted_on)")" \
    "claimed:m:$Y-03-10 claimed:b:$Y-04-02 open:: open::"

step "wish fulfil and cancel; a final wish stays final"
refused sq01 7 "只有已认领的心愿可以登记实现" wish fulfil "${W3: -8}" --date $Y-04-20
refused sq01 7 "早于" wish fulfil "${W1: -8}" --date $Y-03-09
expect 0 "fulfilled with a photo" tx sq01 wish fulfil "${W1: -8}" --date $Y-04-15 --photo IMG_0415.jpg
bump SQ01 $Y-04-15 fulfilled 5000
expect 0 "the branch's wish fulfilled" tx sq01 wish fulfil "${W2: -8}" --date $Y-05-02 --note 已送达
bump SQ01-01 $Y-05-02 fulfilled 12050
refused sq01 7 "只有已认领的心愿可以登记实现" wish fulfil "${W1: -8}"
refused sq01 7 "不能再撤销" wish cancel "${W1: -8}"
expect 0 "an open wish cancelled" tx sq01 wish cancel "${W4: -8}" --note 家属已解决
refused sq01 7 "只有待认领的心愿可以认领" wish claim "${W4: -8}" --member 李明
refused sq01 7 "不能再撤销" wish cancel "${W4: -8}"
equals "the row" "$(q sq01 "SELECT status || '|' || fulfilled_on || '|' || photo FROM micro_wish WHERE id = '$W1'")" \
    "fulfilled|$Y-04-15|IMG_0415.jpg"

step "wish list / show: the resident on a terminal, CSV safe, JSON typed"
expect 0 "list" tx sq01 wish list
for s in 李秀英 和平路3号2单元 王建国 张桂兰 赵军 50.00 120.50 已实现 已撤销 待认领 李明 和平第一支部; do
	expect_contains "$W/out" "$s"
done
expect 0 "list --status 已实现" tx sq01 wish list --status 已实现
expect_contains "$W/out" 李秀英
expect_not_contains "$W/out" 张桂兰
expect 0 "list --status open (the code)" tx sq01 wish list --status open
expect_contains "$W/out" 张桂兰
expect_not_contains "$W/out" 李秀英
expect 0 "list --month $Y-04" tx sq01 wish list --month $Y-04
expect_contains "$W/out" 张桂兰
expect_not_contains "$W/out" 王建国
refused sq01 7 "状态“done”无效" wish list --status done
refused sq01 7 "月份“$Y-13”无效" wish list --month $Y-13
run "$W/w.csv" tx sq01 --csv wish list
expect_rc 0 "list --csv"
expect_contains "$W/w.csv" "'=1+2"
expect_contains "$W/w.csv" "李秀英"
run "$W/w.json" tx sq01 --json wish show "${W1: -8}"
expect_rc 0 "show --json"
expect_contains "$W/w.json" '"value": 50'
expect_contains "$W/w.json" '"status": "fulfilled"'
expect_contains "$W/w.json" '"status_label": "已实现"'
expect_contains "$W/w.json" '"photo": "IMG_0415.jpg"'
expect 0 "show" tx sq01 wish show "${W2: -8}"
expect_contains "$W/out" 助听器
expect_contains "$W/out" 120.50
expect_contains "$W/out" 已送达
refused sq01 9 "没有微心愿" wish show 00000000

step "wish report: per organisation and month, against the script's own counts"
equals "report $Y at SQ01" "$(device_report sq01 $Y)" "$(expected_report $Y)"
expect 0 "report on a terminal" tx sq01 wish report --year $Y
expect_contains "$W/out" "合计 Total: 征集 4，认领 2，实现 2，实现价值 170.50 元"
expect 0 "a year without wishes" tx sq01 wish report --year 2001
expect_contains "$W/out" "没有微心愿"
refused sq01 7 "年份“26”无效" wish report --year 26
refused sq01 2 "--year" wish report

step "sync: SQ01's wishes reach the street, never SQ02; SQ02's never SQ01"
must tx sq01 sync -q
must tx street sync -q
must tx sq02 sync -q
equals "the street holds SQ01's wishes" "$(q street "SELECT count(*) FROM micro_wish")" 4
equals "SQ02 holds none" "$(q sq02 "SELECT count(*) FROM micro_wish")" 0
expect 0 "SQ02 posts its own" tx sq02 wish add --resident 周敏 --wish 台灯 --value 88 --date $Y-05-06
bump SQ02 $Y-05-06 posted
must tx sq02 sync -q
must tx street sync -q
must tx sq01 sync -q
equals "SQ01 does not hold SQ02's wish" "$(q sq01 "SELECT count(*) FROM micro_wish WHERE resident_name = '周敏'")" 0
equals "the street holds all five" "$(q street "SELECT count(*) FROM micro_wish")" 5
for f in "$W"/sq01.db*; do
	if grep -qaF "周敏" "$f"; then fail "SQ01's replica file $(basename "$f") holds SQ02's resident"; fi
done
equals "the street's report covers both communities" "$(device_report street $Y)" "$(expected_report $Y)"
equals "SQ02's report is its own" "$(device_report sq02 $Y)" "$(expected_report $Y | grep '^SQ02,')"
expect 0 "the street claims SQ02's wish by SQ02's branch" tx street wish claim \
    "$(q street "SELECT substr(id, -8) FROM micro_wish WHERE resident_name = '周敏'")" --branch SQ02-01 --date $Y-05-07
must tx street sync -q
must tx sq02 sync -q
equals "SQ02 sees the claim" "$(q sq02 "SELECT status FROM micro_wish")" claimed

step "the same wish cancelled with different notes at SQ01 and the street: a conflict"
must tx street wish cancel "${W3: -8}" --note 街道：已由民政解决
must tx street sync -q
run "$W/out" tx sq01 wish cancel "${W3: -8}" --note 社区：家属不再需要
expect_rc 0 "SQ01, not yet knowing, cancels too"
run "$W/out" tx sq01 sync
expect_contains "$W/out" "1 conflict"
run "$W/out" tx sq01 status
expect_contains "$W/out" "冲突"
must tx street sync -q
run "$W/out" tx street conflicts list
expect_rc 0 "conflicts list"
expect_contains "$W/out" "micro_wish"
equals "the server keeps the street's note" \
    "$(sqlite3 "$W/srv/tongxind.db" "SELECT note FROM micro_wish WHERE id = '$W3'")" "街道：已由民政解决"
must tx sq01 sync -q
equals "SQ01 converges on it" "$(q sq01 "SELECT note FROM micro_wish WHERE id = '$W3'")" "街道：已由民政解决"
for d in street sq01 sq02; do
	run "$W/v.out" tx "$d" sync --verify
	expect_rc 0 "$d sync --verify"
	expect_contains "$W/v.out" "replica check: match"
done

step "claims by a resident unit (two units put in a copy of SQ01's replica, as a pull would)"
sqlite3 "$W/sq01.db" ".backup '$W/u.db'"
cp "$W/sq01.db.credential" "$W/u.db.credential"
SQ01_ID=$(q u "SELECT id FROM org WHERE code = 'SQ01'")
U1=0192aaaa-0000-7000-8000-00000000a001
U2=0192aaaa-0000-7000-8000-00000000a002
U3=0192aaaa-0000-7000-8000-00000000a003
sqlite3 "$W/u.db" "INSERT INTO resident_unit (id, org_id, name, kind, _version) VALUES
    ('$U1', '$SQ01_ID', '市第一医院', 'hospital', 1), ('$U2', '$SQ01_ID', '实验小学', 'school', 1),
    ('$U3', '$SQ01_ID', '实验小学', 'school', 1)"
expect 0 "a fresh wish at the copy" tx u wish add --resident 孙丽 --wish 体检 --date $Y-06-01
W6=$(q u "SELECT id FROM micro_wish WHERE resident_name = '孙丽'")
refused u 9 "没有驻区单位“市第二医院”" wish claim "${W6: -8}" --unit 市第二医院
refused u 7 "对应多个驻区单位" wish claim "${W6: -8}" --unit 实验小学
expect 0 "claimed by a unit, by name" tx u wish claim "${W6: -8}" --unit 市第一医院 --date $Y-06-02
equals "the unit is the claimant" "$(q u "SELECT by_unit_id || '|' || status FROM micro_wish WHERE id = '$W6'")" "$U1|claimed"
expect 0 "show names the unit" tx u wish show "${W6: -8}"
expect_contains "$W/out" 驻区单位
expect_contains "$W/out" 市第一医院
step "ok"
