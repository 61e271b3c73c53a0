#!/usr/bin/env bash
# it_stream.sh - the long lists stream (issue 11): member list (text, --csv,
# --json), member export and report inactive over 20,000 members imported
# with member import: each list has every member once, in its order, with
# the values the file gave. Then, over three times as many rows (copied in by
# SQL), the peak memory of each stays bounded: it grows by less than
# TX_STREAM_MB (default 8) megabytes over the same command listing nothing,
# where a list held whole grows by tens of megabytes (350 MB at a million).
#
# Peak memory is the child's ru_maxrss as python3's resource module reads it
# after the child ends (no GNU time needed). Under AddressSanitizer the
# freed-memory quarantine is turned off for the measured runs, so that what
# is measured is what the program holds, not what ASan keeps back.
#
# No server runs: the replica is made from a bundle and the street's
# organisation row (which would arrive by sync) is inserted by hand.
. "$(dirname "$0")/lib.sh"

N=20000
LIMIT_KB=$(( ${TX_STREAM_MB:-8} * 1024 ))
DB=$TX_TMP/r.db
tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }

# check WHAT GOT WANT
check() {
	[ "$2" == "$3" ] || fail "$1: got [$2], want [$3]"
}

# peak_kb OUT CMD...: run CMD with stdout to OUT; print its peak resident set (KB).
peak_kb() {
	local out=$1
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
	python3 - "$out" "$@" <<'EOF'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as out:
    rc = subprocess.run(sys.argv[2:], stdout=out).returncode
if rc != 0:
    sys.exit("exit status %d" % rc)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
EOF
}

# bounded WHAT KB BASE_KB: the list's peak grows by less than LIMIT_KB over the empty list's.
bounded() {
	echo "   $1: peak $(($2 / 1024)) MB, empty list $(($3 / 1024)) MB"
	[ $(($2 - $3)) -lt "$LIMIT_KB" ] ||
		fail "$1: peak memory grows by $((($2 - $3) / 1024)) MB over the empty list (limit $((LIMIT_KB / 1024)) MB): rows are held, not streamed"
}

step "an offline replica: a street, a community, five branches (ZB005 stays empty)"
"$TONGXIND" init "$TX_TMP/srv" --street 测试街道 --listen 127.0.0.1:1 >/dev/null ||
	fail "tongxind init"
"$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device 管理员 --admin --out "$TX_TMP/b.bundle" \
	>/dev/null || fail "tongxind enroll"
tx join "$TX_TMP/b.bundle" >/dev/null || fail "tongxin join"
q "INSERT INTO org(id,code,name,kind,dissolved,_version) VALUES
   ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)"
tx org add --code SQ01 --name 第一社区 --kind community --parent JD01 >/dev/null ||
	fail "org add SQ01"
for b in 1 2 3 4 5; do
	tx org add --code "ZB00$b" --name "第${b}支部" --kind branch --parent SQ01 \
		--branch-type residential >/dev/null || fail "org add ZB00$b"
done

step "member import of $N rows (citizen IDs in scrambled order)"
# lib.sh member_csv: IDs in scrambled order, branches ZB001-ZB004, phone 139 + k.
member_csv "$N" "ZB00%d" 4 >"$TX_TMP/in.csv"
run "$TX_TMP/import.out" tx member import "$TX_TMP/in.csv"
expect_rc 0 "member import"
check "members imported" "$(q "SELECT count(*) FROM member")" "$N"

# What every list must show, from the file: name, gender, birth date (from
# the ID), category, branch name, join date, phone; by branch, then name.
awk -F, 'NR > 1 {
	b = substr($7, 5); printf "ZB%s|%s|%s|%s-%s-%s|%s|第%d支部|%s|%s\n", b, $1, $2,
	    substr($4, 7, 4), substr($4, 11, 2), substr($4, 13, 2), $6, b + 0, $8, $9
}' "$TX_TMP/in.csv" | LC_ALL=C sort -t'|' -k1,1 -k2,2 | cut -d'|' -f2- >"$TX_TMP/want.txt"

step "member list --csv: every member once, in order, with the file's values"
tx member list --csv >"$TX_TMP/list.csv" || fail "member list --csv failed"
check "CSV lines" "$(wc -l <"$TX_TMP/list.csv")" "$((N + 1))"
check "CSV header" "$(head -1 "$TX_TMP/list.csv" | tr -d '\r')" \
	$'\xef\xbb\xbf编号,姓名,性别,出生日期,类别,支部,入党日期,电话'
# Phones (11 digits) are written after a TAB so spreadsheets keep them text.
tail -n +2 "$TX_TMP/list.csv" | tr -d '\r' | tr -d '\t' | cut -d, -f2- | tr , '|' \
	>"$TX_TMP/got.txt"
cmp -s "$TX_TMP/want.txt" "$TX_TMP/got.txt" ||
	fail "member list --csv differs from the imported file: $(diff "$TX_TMP/want.txt" "$TX_TMP/got.txt" | head -5)"
# Two whole rows, as the CSV writer writes them: the first and row k = 12345.
for k in 0 12345; do
	line=$(sed -n "$((k + 2))p" "$TX_TMP/in.csv")
	idn=$(echo "$line" | cut -d, -f4)
	name=$(echo "$line" | cut -d, -f1)
	id=$(q "SELECT id FROM member WHERE id_number = '$idn'")
	want=$(grep -F "$name|" "$TX_TMP/want.txt" | awk -F'|' -v id="$id" '{
		printf "%s,%s,%s,%s,%s,%s,%s,\t%s\r\n", id, $1, $2, $3, $4, $5, $6, $7 }')
	got=$(grep -F ",$name," "$TX_TMP/list.csv")
	check "member list --csv row of $name" "$got" "$want"
done
tx member list --csv --branch ZB005 >"$TX_TMP/none.csv" || fail "member list --branch ZB005"
check "an empty list is its header" "$(wc -l <"$TX_TMP/none.csv")" "1"

step "member list --json: the same members in the same order"
tx member list --json >"$TX_TMP/list.json" || fail "member list --json failed"
python3 -c '
import json, sys
for m in json.load(open(sys.argv[1], encoding="utf-8")):
    assert m["id"].endswith(m["handle"]), m
    print(m["name"])
' "$TX_TMP/list.json" >"$TX_TMP/got_json.txt" || fail "member list --json is not the JSON list"
check "JSON names in the CSV's order" "$(md5sum <"$TX_TMP/got_json.txt")" \
	"$(cut -d'|' -f1 "$TX_TMP/got.txt" | md5sum)"
check "an empty JSON list" "$(tx member list --json --branch ZB005)" "[]"

step "member list (text): aligned over all rows, read twice, the same order"
tx member list >"$TX_TMP/list.txt" || fail "member list failed"
check "text lines" "$(wc -l <"$TX_TMP/list.txt")" "$((N + 1))"
check "text header" "$(head -1 "$TX_TMP/list.txt" | tr -s ' ')" \
	"编号 姓名 性别 出生日期 类别 支部 入党日期 电话"
# Every row has cells of one width, so aligned rows are one length, in bytes.
check "text rows of one length" \
	"$(tail -n +2 "$TX_TMP/list.txt" | LC_ALL=C awk '{ print length($0) }' | sort -u | wc -l)" "1"
check "text names in the CSV's order" \
	"$(tail -n +2 "$TX_TMP/list.txt" | awk '{ print $2 }' | md5sum)" \
	"$(cut -d'|' -f1 "$TX_TMP/got.txt" | md5sum)"

step "member export and report inactive: every member"
tx member export - >"$TX_TMP/export.csv" 2>/dev/null || fail "member export failed"
check "export lines" "$(wc -l <"$TX_TMP/export.csv")" "$((N + 1))"
# No meeting was held: every member is inactive.
tx report inactive --csv --as-of 2024-06-30 >"$TX_TMP/inactive.csv" ||
	fail "report inactive failed"
check "inactive rows" "$(wc -l <"$TX_TMP/inactive.csv")" "$((N + 1))"

# The memory a list takes is about its rows, not how they came: three times as
# many rows are copied in by SQL (new ids; the replica is thrown away).
M=$((N * 3))
step "peak memory over $M members: no list grows by $((LIMIT_KB / 1024)) MB over an empty one"
cols=$(q "SELECT group_concat(name, ',') FROM pragma_table_info('member') WHERE name <> 'id'")
mcols=$(echo "$cols" | sed 's/\([a-z_0-9]*\)/m.\1/g')
q "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 2)
   INSERT INTO member(id, $cols) SELECT printf('%s-%d', m.id, k.n), $mcols FROM member m, k"
check "members copied" "$(q "SELECT count(*) FROM member")" "$M"

# measure WHAT LINES EMPTY-ARGS -- ARGS...: the list of all (LINES lines) and
# the empty list (EMPTY-ARGS added) must differ in peak memory by less than the limit.
measure() {
	local what=$1 lines=$2 empty=$3 peak none
	shift 4
	peak=$(peak_kb "$TX_TMP/all.out" "$TONGXIN" --replica "$DB" "$@") || fail "$what failed"
	check "$what: its lines" "$(wc -l <"$TX_TMP/all.out")" "$lines"
	# shellcheck disable=SC2086 # EMPTY-ARGS are words
	none=$(peak_kb "$TX_TMP/empty.out" "$TONGXIN" --replica "$DB" "$@" $empty) ||
		fail "$what $empty failed"
	bounded "$what" "$peak" "$none"
}
measure "member list --csv" $((M + 1)) "--branch ZB005" -- member list --csv
measure "member list --json" $((M + 2)) "--branch ZB005" -- member list --json
measure "member list" $((M + 1)) "--branch ZB005" -- member list
measure "member export" $((M + 1)) "--branch ZB005" -- member export -
measure "report inactive --csv" $((M + 1)) "--org ZB005" -- \
	report inactive --csv --as-of 2024-06-30

step "done"
