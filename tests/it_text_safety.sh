#!/usr/bin/env bash
# it_text_safety.sh - text from another office made safe where it is shown
# (issue 8, items 7 and 8), through the real programs. A member's name takes
# only letters now (issue 10), so the hostile text sits in the free-text
# fields that still take it: branch names, a member's address and job.
#
#   - a hostile member name (CR LF, a C1 control, a bidi override, a formula,
#     +1, -2, @x, SQL, ESC) is refused at entry: exit 7, the Chinese reason,
#     nothing changed;
#   - branches named with CR LF (a forged table row), ESC[2J (clear the
#     screen; only a damaged or older replica can hold it), U+009B (the C1
#     CSI), U+202E (a bidi override): "member list" (its 支部 column) and
#     "org list" on stdout show each escaped (\r\n, \x1b[2J, \u009b,
#     \u202e), print no control byte, one line per member, and stay aligned
#     with Chinese names; --csv keeps the line break inside a quoted cell but
#     no other control; --json escapes them and parses back to the stored
#     names; "member show" never starts a value's second line (an address
#     with CR LF) at the left margin;
#   - branches named =HYPERLINK(...), +1, -2, @x: --csv writes them with a
#     leading apostrophe, phone numbers and citizen ID numbers after a TAB
#     (text to Excel and WPS); the exported cells (name, ID, phone and the
#     branch by its name), imported into another replica, give the same
#     values; the import's error file (the same CSV writer) marks formula
#     addresses the same way and, corrected, imports the same values;
#   - the server log: an operator name with a line break and ESC writes one
#     log line with the escapes, never a forged line; "tongxin audit" shows
#     that operator escaped.
. "$(dirname "$0")/lib.sh"

D=$TX_TMP
tx() { "$TONGXIN" --replica "$D/a.db" "$@"; }
q() { sqlite3 "$D/a.db" "$1"; }

digest() { sqlite3 "$D/a.db" .dump | sha256sum; }

# No byte a terminal takes as a control in FILE: C0 other than TAB/LF (and
# CR before LF with crlf=1), DEL, a C1 control, a bidi override or isolate.
expect_inert() {
	local file=$1 crlf=${2:-0} bad=""
	if [ "$crlf" = 1 ]; then
		LC_ALL=C grep -q $'[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]' "$file" && bad="a C0 control or DEL"
		LC_ALL=C grep -q $'\r.' "$file" && bad="a CR inside a line"
	else
		LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$file" && bad="a C0 control or DEL"
	fi
	LC_ALL=C grep -q $'\xc2[\x80-\x9f]' "$file" && bad="a C1 control"
	LC_ALL=C grep -q -e $'\xe2\x80[\xaa-\xae]' -e $'\xe2\x81[\xa6-\xa9]' "$file" && bad="a bidi control"
	if [ -n "$bad" ]; then
		echo "--- $file:" >&2
		od -c "$file" | head -n 40 >&2
		fail "$(basename "$file") holds $bad"
	fi
	return 0
}

# A line of FILE starts with TEXT (fixed string).
expect_line_start() {
	local file=$1 text=$2
	if ! TEXT=$text awk 'index($0, ENVIRON["TEXT"]) == 1 { found = 1 } END { exit !found }' "$file"; then
		echo "--- $file:" >&2
		cat "$file" >&2
		fail "no line of $(basename "$file") starts with \"$text\""
	fi
}

# The display column where the last field starts on each line: one value if aligned.
aligned() {
	[ "$(LC_ALL=C awk 'function dw(s,  t, n) { t = s; n = gsub(/[\200-\377]/, "", t)
		return length(s) - n / 3 }
		{ print dw($0) - dw($NF) }' "$1" | sort -u | wc -l)" = 1 ]
}

step "set up: a street, a community, a plain branch and seven branches with hostile names, synced"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "127.0.0.1:$TX_PORT" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/a.bundle" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin2 --admin --out "$D/b.bundle" >/dev/null
start_server "$D/srv"
tx join "$D/a.bundle" >/dev/null
tx -q sync
tx -q org add --code SQ01 --name 和平社区 --kind community
tx -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01
# BRANCH[i] is member i's branch name; member 0's branch gets ESC below, by hand.
BRANCH=(
	"第零党支部"
	$'张\r\n1  伪造  男'
	$'甲\xc2\x9b2J乙'
	$'abc\xe2\x80\xaecba'
	'=HYPERLINK("http://evil.example/","点我")'
	'+1'
	'-2'
	'@x'
	"第一党支部"
)
NM=${#BRANCH[@]}
BCODE=()
for i in "${!BRANCH[@]}"; do
	BCODE[i]=SQ01-1$i
	[ "$i" = 8 ] && { BCODE[i]=SQ01-01; continue; }
	run "$D/org.out" tx org add --code "${BCODE[$i]}" --name "${BRANCH[$i]}" --kind branch --parent SQ01
	expect_rc 0 "org add #$i"
	expect_inert "$D/org.out"
done
tx -q sync
# A second replica with the organisations only, for the round trip.
TXB=(--replica "$D/b.db")
"$TONGXIN" "${TXB[@]}" join "$D/b.bundle" >/dev/null
"$TONGXIN" "${TXB[@]}" -q sync
# ESC never passes the entry checks; a replica can still hold it (an older
# version, a damaged or hand-edited file): put it there directly.
run "$D/esc.out" tx org add --code SQ01-19 --name $'\x1b[2J丁' --kind branch --parent SQ01
expect_rc 7 "org add with ESC in the name"
q "UPDATE org SET name = char(27) || '[2J丁' WHERE code = '${BCODE[0]}'"
BRANCH[0]=$'\x1b[2J丁'

step "a hostile member name is refused at entry: exit 7, in Chinese, nothing changed"
BADNAMES=(
	$'张\r\n1  伪造  男'
	$'甲\xc2\x9b2J乙'
	$'abc\xe2\x80\xaecba'
	'=HYPERLINK("http://evil.example/","点我")'
	'+1'
	'-2'
	'@x'
	"'; DROP TABLE member;--"
)
d0=$(digest)
for n in "${BADNAMES[@]}"; do
	run "$D/bad.out" tx member add --name "$n" --gender male --ethnicity 汉族 \
		--id-number "$(idn_male 19800101 99)" --education bachelor --category full \
		--branch SQ01-01 --join-date 2000-07-01
	expect_rc 7 "member add --name $(printf %q "$n")"
	expect_contains "$D/bad.out" "姓名 只能由汉字、间隔号“·”、拉丁字母和空格组成"
	expect_inert "$D/bad.out"
done
run "$D/bad.out" tx member add --name $'\x1b[2J丁' --gender male --ethnicity 汉族 \
	--id-number "$(idn_male 19800101 99)" --education bachelor --category full \
	--branch SQ01-01 --join-date 2000-07-01
expect_rc 7 "member add with ESC in the name"
expect_contains "$D/bad.out" "姓名"
expect_inert "$D/bad.out"
[ "$(digest)" = "$d0" ] || fail "a refused member name changed the replica"

step "members in the hostile branches, one with a hostile address and job"
NAMES=(张三 李四 王五 赵六 钱七 孙八 周九 吴十 郑一)
for i in "${!NAMES[@]}"; do
	extra=()
	[ "$i" = 1 ] && extra=(--address $'幸福路\r\n1  伪造  男' --job $'甲\xc2\x9b2J乙')
	run "$D/add.out" tx member add --name "${NAMES[$i]}" --gender male --ethnicity 汉族 \
		--id-number "$(idn_male 19800101 "$i")" --education bachelor \
		--category full --branch "${BCODE[$i]}" --join-date 2000-07-01 --phone "1380013800$i" \
		"${extra[@]}"
	expect_rc 0 "member add #$i"
	expect_inert "$D/add.out"
done

step "member list, org list: escaped, one line per member, aligned"
run "$D/list.out" tx member list
expect_rc 0 "member list"
expect_inert "$D/list.out"
[ "$(wc -l <"$D/list.out")" = $((NM + 1)) ] || fail "member list printed $(wc -l <"$D/list.out") lines for $NM members:
$(cat "$D/list.out")"
expect_contains "$D/list.out" '\x1b[2J丁'
expect_contains "$D/list.out" '张\r\n1  伪造  男'
expect_contains "$D/list.out" '甲\u009b2J乙'
expect_contains "$D/list.out" 'abc\u202ecba'
expect_contains "$D/list.out" '=HYPERLINK("http://evil.example/","点我")'
aligned "$D/list.out" || fail "member list is not aligned:
$(cat "$D/list.out")"
run "$D/orgs.out" tx org list
expect_rc 0 "org list"
expect_inert "$D/orgs.out"
expect_contains "$D/orgs.out" '\x1b[2J丁'
expect_contains "$D/orgs.out" '张\r\n1  伪造  男'
expect_contains "$D/orgs.out" 'abc\u202ecba'

step "member show: the second line of a value is indented"
run "$D/show.out" tx member show "$(idn_male 19800101 1)"
expect_rc 0 "member show"
expect_inert "$D/show.out"
grep -q '^1  伪造' "$D/show.out" && fail "member show let an address start a line at the margin:
$(cat "$D/show.out")"
expect_contains "$D/show.out" "1  伪造  男"
expect_contains "$D/show.out" '甲\u009b2J乙'

step "member list --csv: no control, formulas neutralised, numbers as text"
run "$D/list.csv" tx member list --csv
expect_rc 0 "member list --csv"
expect_inert "$D/list.csv" 1
expect_contains "$D/list.csv" ',\x1b[2J丁,'
expect_contains "$D/list.csv" ',甲\u009b2J乙,'
expect_contains "$D/list.csv" ',abc\u202ecba,'
# The line break stays inside the quoted cell: a CSV reader gets the name whole.
expect_contains "$D/list.csv" ",\"张"$'\r'
expect_line_start "$D/list.csv" "1  伪造  男\","
expect_contains "$D/list.csv" ",\"'=HYPERLINK(\"\"http://evil.example/\"\",\"\"点我\"\")\","
expect_contains "$D/list.csv" ",'+1,"
expect_contains "$D/list.csv" ",'-2,"
expect_contains "$D/list.csv" ",'@x,"
expect_contains "$D/list.csv" $',\t13800138005\r'
expect_not_contains "$D/list.csv" ",=HYPERLINK"
expect_not_contains "$D/list.csv" ",+1,"

step "member list --json: escaped, and parses back to the stored branch names"
run "$D/list.json" tx member list --json
expect_rc 0 "member list --json"
expect_inert "$D/list.json"
expect_contains "$D/list.json" '"\u001b[2J丁"'
expect_contains "$D/list.json" '"张\r\n1  伪造  男"'
expect_contains "$D/list.json" '"甲\u009b2J乙"'
expect_contains "$D/list.json" '"abc\u202ecba"'
printf '%s\0' "${BRANCH[@]}" >"$D/names.bin"
python3 - "$D/list.json" "$D/names.bin" <<'EOF' || fail "the JSON does not give back the branch names"
import json, sys
got = sorted(r["branch"] for r in json.load(open(sys.argv[1], encoding="utf-8")))
want = sorted(open(sys.argv[2], "rb").read().decode("utf-8").split("\0")[:-1])
if got != want:
    print("JSON branches", got, "want", want)
    sys.exit(1)
EOF

step "member find --csv: citizen ID numbers after a TAB"
run "$D/find.csv" tx member find 1380013800 --csv
expect_rc 0 "member find --csv"
expect_inert "$D/find.csv" 1
for i in 1 2 3 4 5 6 7 8; do
	expect_contains "$D/find.csv" $',\t'"$(idn_male 19800101 "$i"),"
done

step "the exported cells import into another replica as the same values"
# 姓名, 公民身份号码, 联系电话 and 支部 (a branch by its name) exactly as find --csv
# wrote them (the rows whose branch name has no line break or escape: the
# formula-like ones and 第一党支部); the other columns are constant.
python3 - "$D/find.csv" "$D/roundtrip.csv" <<'EOF' || fail "cannot read find --csv"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
head = rows[0]
col = {h: head.index(h) for h in ("姓名", "公民身份号码", "支部", "电话")}
with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as f:
    w = csv.writer(f, lineterminator="\r\n")
    w.writerow(["姓名", "公民身份号码", "联系电话", "所在党支部", "性别", "民族", "学历", "人员类别", "入党日期"])
    for r in rows[1:]:
        b = r[col["支部"]]
        if "\\" in b or "\n" in b or "\r" in b:
            continue
        w.writerow([r[col["姓名"]], r[col["公民身份号码"]], r[col["电话"]], b,
                    "男", "汉族", "本科", "正式党员", "2000-07-01"])
EOF
[ "$(grep -c '2000-07-01' "$D/roundtrip.csv")" = 5 ] || fail "expected 5 rows in the round-trip file:
$(cat "$D/roundtrip.csv")"
expect_contains "$D/roundtrip.csv" "'=HYPERLINK("
expect_contains "$D/roundtrip.csv" $'\t1101051980'
run "$D/rt.out" "$TONGXIN" "${TXB[@]}" member import "$D/roundtrip.csv"
expect_rc 0 "importing the exported cells"
sel() {
	sqlite3 "$1" "SELECT m.name || '|' || m.id_number || '|' || m.phone || '|' || o.code
	    FROM member m JOIN org o ON o.id = m.org_id WHERE m.id_number IN ($2) ORDER BY m.id_number"
}
ids=$(sqlite3 "$D/b.db" "SELECT group_concat(quote(id_number)) FROM member")
[ "$(sel "$D/b.db" "$ids")" = "$(sel "$D/a.db" "$ids")" ] && [ -n "$(sel "$D/a.db" "$ids")" ] ||
	fail "the round trip changed values:
exported: $(sel "$D/a.db" "$ids")
imported: $(sel "$D/b.db" "$ids")"

step "the import's error file: the same writer, read back the same"
BADS=('=1+2' '+86 139' '-5' '@SUM(A1)' "'=already" '王五')
ENAMES=(冯一 冯二 冯三 冯四 冯五 冯六)
{
	printf '姓名,性别,民族,公民身份号码,学历,人员类别,所在党支部,入党日期,联系电话,家庭住址\n'
	for i in "${!BADS[@]}"; do
		printf '%s,女,汉族,%s,本科,正式党员,ZB99,2000-07-01,1390013900%d,"%s"\n' \
			"${ENAMES[$i]}" "$(idn_female 19800202 "$i")" "$i" "${BADS[$i]//\"/\"\"}"
	done
} >"$D/bad.csv"
run "$D/bad.out" tx member import "$D/bad.csv"
expect_rc 7 "import into an unknown branch"
expect_inert "$D/bad.out"
E=$D/bad.errors.csv
expect_inert "$E" 1
expect_contains "$E" ",'=1+2,"
expect_contains "$E" ",'+86 139,"
expect_contains "$E" ",'-5,"
expect_contains "$E" ",'@SUM(A1),"
# The file's own apostrophe was a text mark: the error file has the value, marked once.
expect_contains "$E" ",'=already,"
expect_not_contains "$E" ",=1+2,"
expect_contains "$E" $',\t'"$(idn_female 19800202 0)"','
expect_contains "$E" $',\t13900139000,'
sed 's/,ZB99,/,SQ01-01,/' "$E" >"$D/fixed.csv"
run "$D/fixed.out" tx member import "$D/fixed.csv"
expect_rc 0 "importing the corrected error file"
got=$(q "SELECT name || '|' || id_number || '|' || phone || '|' || address FROM member
	WHERE id_number LIKE '11010519800202%' ORDER BY id_number")
want=""
for i in "${!BADS[@]}"; do
	# The file's own apostrophe before a formula is the spreadsheet's text mark: dropped.
	n=${BADS[$i]}
	[ "$n" = "'=already" ] && n="=already"
	want+="${ENAMES[$i]}|$(idn_female 19800202 "$i")|1390013900$i|$n"$'\n'
done
[ "$got" = "${want%$'\n'}" ] || fail "the corrected error file imported other values:
got:
$got
want:
${want%$'\n'}"

step "the server log: an operator name cannot forge a line"
mark=$(log_mark)
OPER=$'甲\nFORGED tongxind: device admin: hello\x1b[2J'
run "$D/sync.out" tx --operator "$OPER" sync
log_since "$mark" >"$D/log.part"
expect_inert "$D/log.part"
if grep -q '^FORGED' "$D/log.part"; then
	fail "the operator name forged a server log line:
$(cat "$D/log.part")"
fi
if [ "$TX_RC" = 0 ]; then
	[ "$(grep -c 'FORGED' "$D/log.part")" = 1 ] || fail "the operator's name is not on one log line:
$(cat "$D/log.part")"
	expect_contains "$D/log.part" 'operator 甲\nFORGED tongxind: device admin: hello\x1b[2J'
	run "$D/audit.out" tx audit --limit 50
	expect_rc 0 "tongxin audit"
	expect_inert "$D/audit.out"
	expect_contains "$D/audit.out" '甲\nFORGED'
else
	echo "  (the server refused the operator name: $(head -c 200 "$D/sync.out"))"
fi
stop_server
echo "1 passed, 0 failed"
