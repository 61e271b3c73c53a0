#!/usr/bin/env bash
# it_vocab.sh - the one vocabulary at the command line (issue 9, item 1), on
# an offline replica:
#
#   - a member added with Chinese labels and aliases (男, 本科, 正式党员, 汉)
#     and one added with codes (female, bachelor, full, 03) store the same
#     codes (and the ethnicity's label, 汉族 / 回族);
#   - member list and member show print labels (女, 大学本科, 是/否), never codes;
#   - --json is typed: codes with a separate *_label field, the ethnicity's
#     GB 3304 code, booleans true/false, counts as numbers; it parses;
#   - --csv shows labels that member import reads back;
#   - an unknown education is refused with exit 7 and the allowed labels;
#     "火星族" is refused (exit 7) and nothing changes;
#   - --help lists the allowed values, generated from the vocabulary;
#   - org list/tree and meeting/item options take labels too.
#
# Every check runs; the failures are listed together at the end.

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
check() {
	NCHECKS=$((NCHECKS + 1))
	[ "$2" = "$3" ] || bad "$1: got \"$2\", expected \"$3\""
}
digest() { sqlite3 "$DB" .dump | sha256sum; }
run_tx() {
	RC=0
	tx "$@" >"$OUT" 2>"$ERR" || RC=$?
}
expect_ok() {
	NCHECKS=$((NCHECKS + 1))
	run_tx "$@"
	[ "$RC" = 0 ] || bad "tongxin $*: exit $RC: $(cat "$ERR")"
}
# expect_refused 'stderr line' ARGS...: exit 7, that exact line, nothing changed.
expect_refused() {
	local want=$1 d0
	shift
	NCHECKS=$((NCHECKS + 1))
	d0=$(digest)
	run_tx "$@"
	[ "$RC" = 7 ] || bad "tongxin $*: exit $RC, expected 7; stderr: $(cat "$ERR")"
	grep -Fxq -- "$want" "$ERR" || bad "tongxin $*: expected on stderr: $want"$'\n'"    got: $(cat "$ERR")"
	[ -s "$OUT" ] && bad "tongxin $*: printed on stdout although refused: $(cat "$OUT")"
	[ "$(digest)" = "$d0" ] || bad "tongxin $*: the refused command changed the replica"
}
# has_field LABEL VALUE: a line of member show, the label padded to the
# widest label (which grows as the member gains columns), then the value.
has_field() {
	NCHECKS=$((NCHECKS + 1))
	grep -Eq -- "^$1 +$2\$" "$OUT" || bad "expected the field \"$1\" = \"$2\" in:"$'\n'"$(cat "$OUT")"
}
has() {
	NCHECKS=$((NCHECKS + 1))
	grep -Fq -- "$1" "$OUT" || bad "expected \"$1\" in:"$'\n'"$(cat "$OUT")"
}
lacks() {
	NCHECKS=$((NCHECKS + 1))
	grep -Eq -- "$1" "$OUT" && bad "did not expect /$1/ in:"$'\n'"$(cat "$OUT")"
	return 0
}
check_char() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) m=10X98765432 sum=0 i
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * w[i])); done
	echo "${m:sum % 11:1}"
}
idn() { echo "$1$(check_char "$1")"; }

step "offline replica"
"$TONGXIND" init "$TX_TMP/srv" --street 测试街道 --listen 127.0.0.1:1 >"$OUT" 2>&1 ||
	fail "tongxind init: $(cat "$OUT")"
"$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device 管理员 --admin --out "$TX_TMP/b.bundle" \
	>"$OUT" 2>&1 || fail "tongxind enroll: $(cat "$OUT")"
tx join "$TX_TMP/b.bundle" >"$OUT" 2>&1 || fail "tongxin join: $(cat "$OUT")"
q "INSERT INTO org(id,code,name,kind,dissolved,_version)
   VALUES ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)" ||
	fail "insert the street's row"

step "organisations by label"
expect_ok org add --code SQ01 --name 幸福社区党委 --kind 社区党委
expect_ok org add --code ZB01 --name 第一党支部 --kind 党支部 --parent SQ01 --branch-type 离退休
expect_ok org add --code ZB02 --name 第二党支部 --kind branch --parent SQ01 --branch-type 驻区单位党支部
check "kinds and branch types stored as codes" \
	"$(q "SELECT code || ':' || kind || ':' || coalesce(branch_type, '') FROM org ORDER BY code" | tr '\n' ' ')" \
	"JD01:street: SQ01:community: ZB01:branch:retired ZB02:branch:resident_unit "

step "members by label and by code"
A=$(idn 11010519600101001)
B=$(idn 11010519700202002)
expect_ok member add --name 张建国 --gender 男 --ethnicity 汉 --id-number "$A" --education 本科 \
	--category 正式党员 --branch ZB01 --join-date 1985-07-01 --full-date 1986-07-01 --retired 是
expect_ok member add --name 刘秀英 --gender female --ethnicity 03 --id-number "$B" \
	--education bachelor --category full --branch ZB01 --join-date 1995-07-01 --retired 0 \
	--standing 正常
check "labels and codes store the same" \
	"$(q "SELECT name, gender, ethnicity, education, category, standing, retired FROM member ORDER BY name" | tr '\n' ' ')" \
	"刘秀英|female|回族|bachelor|full|normal|0 张建国|male|汉族|bachelor|full|normal|1 "
expect_ok member edit "$B" --education 硕士 --gender 女 --ethnicity " Hui "
check "edit by alias" "$(q "SELECT education || ethnicity FROM member WHERE id_number = '$B'")" "master回族"

step "tables show labels"
expect_ok member list
has "张建国  男"
has "刘秀英  女"
has "正式党员"
lacks "female|male|full"
expect_ok member show "$A"
has_field 性别 男
has_field 民族 汉族
has_field 学历 大学本科
has_field 人员类别 正式党员
has_field 党籍状态 正常
has_field 离退休 是
has_field 流动党员 否
expect_ok org list
has "社区党委"
lacks " community "

step "--json is typed"
expect_ok member list --json
has '"gender": "male", "gender_label": "男"'
has '"category": "full", "category_label": "正式党员"'
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$OUT" || bad "member list --json does not parse"
expect_ok member show "$A" --json
python3 - "$OUT" <<'PY' || bad "member show --json: $(cat "$OUT")"
import json, sys
row = json.load(open(sys.argv[1]))
want = {"gender": "male", "gender_label": "男", "ethnicity": "汉族", "ethnicity_code": "01",
        "education": "bachelor", "education_label": "大学本科", "retired": True,
        "mobile": False, "standing_label": "正常", "name": "张建国"}
bad = {k: (row.get(k), v) for k, v in want.items() if row.get(k) != v}
sys.exit("mismatch: %r" % bad if bad else 0)
PY
expect_ok org tree --json
python3 - "$OUT" <<'PY' || bad "org tree --json: $(cat "$OUT")"
import json, sys
rows = {r["code"]: r for r in json.load(open(sys.argv[1]))}
z = rows["ZB01"]
assert z["kind"] == "branch" and z["kind_label"] == "党支部", z
assert z["members"] == 2 and rows["SQ01"]["members_total"] == 2, rows
assert z["dissolved"] is False and z["parent"] == "SQ01", z
PY

expect_ok status --json
python3 - "$OUT" <<'PY' || bad "status --json: $(cat "$OUT")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["role"] == "admin" and s["role_label"] == "管理员", s
assert isinstance(s["pending_txns"], int) and s["pending_txns"] >= 5, s
assert s["last_contact"] is None and s["outcomes"] == [] and s["notices"] == [], s
PY

step "refusals list the allowed values"
C=$(idn 11010519800303003)
expect_refused 'tongxin member add: 学历 (--education) 取值 "幼儿园" 无效 invalid value; 可选 allowed: 小学 primary、初中 junior_high、高中 senior_high、中专 vocational、大学专科 associate、大学本科 bachelor、硕士研究生 master、博士研究生 doctorate' \
	member add --name 王五 --gender 男 --ethnicity 汉族 --id-number "$C" --education 幼儿园 \
	--category 正式党员 --branch ZB01 --join-date 2001-07-01
NCHECKS=$((NCHECKS + 1))
run_tx member add --name 王五 --gender 男 --ethnicity 火星族 --id-number "$C" --education 本科 \
	--category 正式党员 --branch ZB01 --join-date 2001-07-01
[ "$RC" = 7 ] || bad "火星族: exit $RC, expected 7"
grep -Fq '民族 (--ethnicity) 取值 "火星族" 无效 invalid value; 可选 allowed: 汉族、蒙古族、回族' "$ERR" ||
	bad "火星族: $(cat "$ERR")"
grep -Fq '基诺族' "$ERR" || bad "火星族: the 56th ethnicity is not listed: $(cat "$ERR")"
check "火星族 changed nothing" "$(q "SELECT count(*) FROM member")" 2
expect_refused 'tongxin member edit: 性别 (--gender) 取值 "M F" 无效 invalid value; 可选 allowed: 男 male、女 female' \
	member edit "$A" --gender "M F"
expect_refused 'tongxin member edit: 离退休 (--retired) 取值 "也许" 无效 invalid value; 可选 allowed: 是 1、否 0' \
	member edit "$A" --retired 也许

step "--help lists the allowed values"
expect_ok member --help
has "  --gender       男 male、女 female"
has "汉族 01、蒙古族 02、回族 03"
has "基诺族 56"
has "大学本科 bachelor"
expect_ok org --help
has "驻区单位 resident_unit"
expect_ok meeting --help
has "支委会 committee_meeting"
expect_ok item --help
has "问题 problem"

step "meetings and items by label"
expect_ok meeting add --org ZB01 --kind 支部委员会 --held-on 2025-05-10 --topic 学习党章 \
	--present "$A" --excused "$B:出差"
check "meeting kind" "$(q "SELECT kind FROM meeting")" committee_meeting
expect_ok meeting list --json
has '"kind": "committee_meeting", "kind_label": "支委会"'
has '"present": 1, "excused": 1, "absent": 0'
expect_ok meeting list
has "支委会"
M=$(q "SELECT id FROM meeting")
expect_ok meeting show "$M"
has "出席"
has "请假"
expect_ok meeting show "$M" --json
python3 - "$OUT" <<'PY' || bad "meeting show --json: $(cat "$OUT")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["kind"] == "committee_meeting" and m["kind_label"] == "支委会", m
assert m["present"] == 1 and m["excused"] == 1 and m["absent"] == 0, m
roll = {a["member"]: a for a in m["attendance"]}
assert roll["刘秀英"]["status"] == "excused" and roll["刘秀英"]["status_label"] == "请假", roll
assert roll["刘秀英"]["reason"] == "出差" and roll["张建国"]["status_label"] == "出席", roll
PY
expect_ok item add --kind 问题清单 --title 楼道堆物 --org ZB01
expect_ok item list
has "问题"
has "待办"
expect_ok item list --json
has '"kind": "problem", "kind_label": "问题"'
has '"status": "open", "status_label": "待办"'

step "reconcile names kinds by their labels"
expect_ok reconcile --json
python3 - "$OUT" <<'PY' || bad "reconcile --json: $(cat "$OUT")"
import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["check"].startswith("组织未配书记")]
got = {r["record"]: r["detail"] for r in rows}
assert got.get("SQ01") == "社区党委" and got.get("ZB01") == "党支部", got
PY

step "CSV shows labels that import reads back"
expect_ok member list --csv
has "张建国,男"
D=$(idn 11010519900404004)
printf '姓名,性别,民族,公民身份号码,学历,人员类别,所在党支部,入党日期,离退休\n赵六,女,满,%s,大专,预备,ZB02,2020-07-01,否\n' "$D" >"$TX_TMP/in.csv"
expect_ok member import "$TX_TMP/in.csv"
check "import by alias" "$(q "SELECT gender, ethnicity, education, category, retired FROM member WHERE name = '赵六'")" \
	"female|满族|associate|probationary|0"
printf '姓名,性别,民族,公民身份号码,学历,人员类别,所在党支部,入党日期\n钱七,女,火星族,%s,本科,正式,ZB02,2000-07-01\n' \
	"$(idn 11010519700505006)" >"$TX_TMP/bad.csv"
NCHECKS=$((NCHECKS + 1))
run_tx member import "$TX_TMP/bad.csv"
[ "$RC" = 7 ] || bad "import of 火星族: exit $RC, expected 7: $(cat "$ERR" "$OUT")"

if [ "${#PROBLEMS[@]}" -gt 0 ]; then
	echo "it_vocab: ${#PROBLEMS[@]} of $NCHECKS checks failed (listed above)" >&2
	exit 1
fi
echo "it_vocab: all $NCHECKS checks passed"
