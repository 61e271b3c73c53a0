#!/usr/bin/env bash
# it_cli_report.sh - the command line of tongxin report, reconcile and doctor
# now that each is a row of the one command table (client/cmd.h, getopt_long),
# on an offline replica (no server runs):
#
#   - --org=SQ01 and --as-of=DATE are --org SQ01 and --as-of DATE, byte for byte;
#   - an unknown option is exit 2 and named (report, reconcile, doctor); an
#     option of another report is unknown here; a flag given a value is 2;
#   - an option without its value is exit 2 and named;
#   - an unknown report is exit 2 and the reports are listed;
#   - `--` ends the options: what follows is an argument (refused, exit 2:
#     these verbs take none), never an option quietly applied; `doctor --
#     --rebuild` rebuilds nothing;
#   - a value that looks like an option is the value (--org --as-of asks for
#     the organisation "--as-of");
#   - the rule for a code on the command line that names nothing: exit 9
#     (not found), as every "no such record" in every verb. It applies to
#     --org of every report; reconcile and doctor take no code (an argument
#     given to them is a usage error, 2). A wrong value is 7 (a number out of
#     range, a bad date); --month with --quarter and a repeated option are 2;
#   - --help of each report, of report, reconcile and doctor: exit 0, usage
#     on stdout, nothing on stderr, no replica made.
#
# Every check runs; the failures are listed together at the end.

. "$(dirname "$0")/lib.sh"

DB=$TX_TMP/r.db
OUT=$TX_TMP/out
ERR=$TX_TMP/err
PROBLEMS=()
NCHECKS=0
REPORTS="profile compliance inactive overdue terms roster branches"

tx() { "$TONGXIN" --replica "$DB" "$@"; }
q() { sqlite3 "$DB" "$1"; }
bad() {
	PROBLEMS+=("$*")
	echo "FAIL: $*" >&2
}
digest() { sqlite3 "$DB" .dump | sha256sum; }
run_tx() {
	RC=0
	tx "$@" >"$OUT" 2>"$ERR" || RC=$?
}
# expect RC ARGS...: tongxin ARGS exits RC; a failure prints nothing on stdout.
expect() {
	local want=$1
	shift
	NCHECKS=$((NCHECKS + 1))
	run_tx "$@"
	[ "$RC" = "$want" ] || bad "tongxin $*: exit $RC, expected $want; stderr: $(cat "$ERR")"
	if [ "$want" != 0 ] && [ -s "$OUT" ]; then
		bad "tongxin $*: exit $RC but printed on stdout: $(head -c 300 "$OUT")"
	fi
	return 0
}
# err_has TEXT / out_has TEXT: the last command's stderr / stdout holds TEXT.
err_has() {
	NCHECKS=$((NCHECKS + 1))
	grep -Fq -- "$1" "$ERR" || bad "expected on stderr \"$1\"; got: $(cat "$ERR")"
}
out_has() {
	NCHECKS=$((NCHECKS + 1))
	grep -Fq -- "$1" "$OUT" || bad "expected on stdout \"$1\"; got: $(head -c 600 "$OUT")"
}
check_char() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) m=10X98765432 sum=0 i
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * w[i])); done
	echo "${m:sum % 11:1}"
}
idn() { echo "$1$(check_char "$1")"; }

step "offline replica: a street, a community, two branches, three members, an item"
"$TONGXIND" init "$TX_TMP/srv" --street 测试街道 --listen 127.0.0.1:1 >"$OUT" 2>&1 ||
	fail "tongxind init: $(cat "$OUT")"
"$TONGXIND" enroll "$TX_TMP/srv" --org JD01 --device 管理员 --admin --out "$TX_TMP/b.bundle" \
	>"$OUT" 2>&1 || fail "tongxind enroll: $(cat "$OUT")"
tx join "$TX_TMP/b.bundle" >"$OUT" 2>&1 || fail "tongxin join: $(cat "$OUT")"
q "INSERT INTO org(id,code,name,kind,dissolved,_version)
   VALUES ('00000000-0000-7000-8000-000000000001','JD01','测试街道','street',0,1)" ||
	fail "insert the street's row"
tx org add --code SQ01 --name 第一社区 --kind community --parent JD01 --term-start 2019-08-01 \
	>/dev/null || fail "org add SQ01"
tx org add --code ZB01 --name 第一支部 --kind branch --parent SQ01 --branch-type residential \
	--term-start 2021-09-15 >/dev/null || fail "org add ZB01"
tx org add --code ZB02 --name 第二支部 --kind branch --parent SQ01 --branch-type retired \
	--term-start 2022-01-01 >/dev/null || fail "org add ZB02"
n=0
for who in 甲一:ZB01:1950 甲二:ZB01:1980 乙一:ZB02:1945; do
	IFS=: read -r name branch year <<<"$who"
	n=$((n + 1))
	tx member add --name "$name" --gender male --ethnicity 汉族 \
		--id-number "$(idn "110105${year}0101${n}0$((2 * n - 1))")" --education bachelor --category full \
		--branch "$branch" --join-date "$((year + 25))-07-01" >/dev/null ||
		fail "member add $name"
done
tx item add --kind 问题清单 --title 路灯维修 --org ZB01 --due-on 2024-03-01 >/dev/null ||
	fail "item add"
D0=$(digest)

step "--org=CODE and --as-of=DATE are --org CODE and --as-of DATE, byte for byte"
for r in $REPORTS; do
	expect 0 report "$r" --org=SQ01 --as-of=2024-06-30
	cp "$OUT" "$TX_TMP/eq.$r"
	expect 0 report "$r" --org SQ01 --as-of 2024-06-30
	NCHECKS=$((NCHECKS + 1))
	cmp -s "$OUT" "$TX_TMP/eq.$r" || bad "report $r --org=SQ01 differs from --org SQ01"
done
expect 0 report profile --org=ZB02 --as-of=2024-06-30
out_has "第二支部"
expect 0 report roster --org=ZB02 --csv
NCHECKS=$((NCHECKS + 1))
[ "$(tail -n +2 "$OUT" | wc -l)" = 1 ] || bad "roster --org=ZB02 holds one member: $(cat "$OUT")"
expect 0 report overdue --as-of=2024-06-30 --org=SQ01
out_has "路灯维修"
expect 0 report compliance --org=ZB01 --year=2024 --quarter=2 --as-of=2024-06-30 --csv
out_has "ZB01,第一支部"

step "an unknown option: exit 2, the option named"
for r in $REPORTS; do
	expect 2 report "$r" --bogus
	err_has "--bogus"
	err_has "未知选项"
done
expect 2 report profile --months 3       # an option of report inactive, not of profile
err_has "--months"
expect 2 report inactive --within-months 3
err_has "--within-months"
expect 2 reconcile --bogus
err_has "未知选项"
err_has "--bogus"
expect 2 doctor --bogus
err_has "未知选项"
err_has "--bogus"
expect 2 doctor --rebuild=yes
err_has "不带取值"
err_has "--rebuild"

step "an option without its value: exit 2, the option named"
for o in --org --as-of; do
	expect 2 report profile "$o"
	err_has "缺少取值"
	err_has "$o"
done
for o in --year --month --quarter --lecture-months; do
	expect 2 report compliance "$o"
	err_has "$o"
done
expect 2 report inactive --months
err_has "--months"
expect 2 report terms --within-months
err_has "--within-months"

step "an unknown report: exit 2, the reports listed"
expect 2 report nosuch
err_has '未知报表 unknown report "nosuch"'
for r in $REPORTS; do err_has "$r"; done
expect 2 report
err_has "usage: tongxin report"
expect 2 report --org SQ01 profile      # the report's name comes first
err_has '"--org"'

step "-- ends the options; a value that looks like an option is a value"
expect 0 report profile --org SQ01 --as-of 2024-06-30 --
NCHECKS=$((NCHECKS + 1))
cmp -s "$OUT" "$TX_TMP/eq.profile" || bad "report profile ... -- differs from the same without --"
expect 2 report profile --as-of 2024-06-30 -- --org SQ01
err_has 'unexpected argument "--org"'
expect 2 report profile extra
err_has 'unexpected argument "extra"'
expect 0 reconcile --
expect 2 reconcile -- --bogus
err_has 'unexpected argument "--bogus"'
expect 2 reconcile extra
err_has 'unexpected argument "extra"'
expect 2 doctor -- --rebuild
err_has 'unexpected argument "--rebuild"'
NCHECKS=$((NCHECKS + 1))
[ ! -e "$DB.rebuilding" ] || bad "doctor -- --rebuild started a rebuild"
expect 2 doctor extra
err_has 'unexpected argument "extra"'
expect 9 report profile --org --as-of
err_has 'unknown organisation code "--as-of"'

step "a code that names nothing: exit 9 (not found) in every report"
for r in $REPORTS; do
	expect 9 report "$r" --org NOPE
	err_has '未知组织 unknown organisation code "NOPE"'
	expect 9 report "$r" --org=nope --as-of 2024-06-30
done
expect 9 report profile --org "$(head -c 300 /dev/zero | tr '\0' X)"
err_has "未知组织"

step "a wrong value: exit 7; a command line of the wrong shape: exit 2"
expect 7 report profile --as-of 2024-02-30
err_has '--as-of 日期 "2024-02-30" 无效'
expect 7 report roster --as-of=yesterday
expect 7 report compliance --month 13
err_has "--month"
expect 7 report compliance --quarter 0
expect 7 report compliance --year 99999
expect 7 report compliance --lecture-months 5
err_has "--lecture-months"
expect 7 report compliance --month=abc
expect 7 report inactive --months 0
expect 7 report inactive --months 121
expect 7 report terms --within-months -1
expect 0 report terms --within-months 0 --as-of 2024-06-30
expect 2 report compliance --month 5 --quarter 2
err_has "--quarter"
expect 2 report profile --org SQ01 --org ZB01
err_has "重复"

step "reconcile and doctor on the same replica"
expect 0 reconcile
expect 0 reconcile --json
NCHECKS=$((NCHECKS + 1))
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT" ||
	bad "reconcile --json is not JSON: $(head -c 300 "$OUT")"
expect 0 doctor
out_has "passes the integrity check"
expect 1 --replica "$TX_TMP/none.db" doctor
err_has "no replica at"

step "--help: exit 0, usage on stdout, nothing on stderr, no replica made"
for args in "report --help" "report -h" "report help" "reconcile --help" "doctor --help" \
	"doctor -h" "report profile --help" "report compliance --help" "report inactive -h" \
	"report overdue --help" "report terms --help" "report roster --help" \
	"report branches --help"; do
	# shellcheck disable=SC2086 # split on purpose
	set -- $args
	NCHECKS=$((NCHECKS + 1))
	RC=0
	"$TONGXIN" --replica "$TX_TMP/none.db" "$@" >"$OUT" 2>"$ERR" || RC=$?
	if [ "$RC" != 0 ] || ! grep -q "^usage: tongxin $1" "$OUT" || [ -s "$ERR" ]; then
		bad "tongxin $args: exit $RC (want 0); stdout: $(head -c 300 "$OUT"); stderr: $(cat "$ERR")"
	fi
done
NCHECKS=$((NCHECKS + 1))
[ ! -e "$TX_TMP/none.db" ] || bad "--help created a replica"
"$TONGXIN" report compliance --help >"$OUT"
out_has "--lecture-months N"
out_has "--org CODE"
out_has "9 无此组织"
"$TONGXIN" report --help >"$OUT"
for r in $REPORTS; do out_has "  $r"; done
out_has "--within-months N"
"$TONGXIN" doctor --help >"$OUT"
out_has "--rebuild"
out_has "PATH.damaged-YYYYMMDD-HHMMSS"

step "nothing above changed the replica"
NCHECKS=$((NCHECKS + 1))
[ "$(digest)" = "$D0" ] || bad "a report, reconcile or doctor changed the replica"

if [ ${#PROBLEMS[@]} -gt 0 ]; then
	echo "it_cli_report: ${#PROBLEMS[@]} of $NCHECKS checks failed" >&2
	exit 1
fi
echo "it_cli_report: $NCHECKS checks passed"
