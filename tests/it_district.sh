#!/bin/bash
# it_district.sh - a district's server (issue 13: "one tongxind serves a
# street or a district"): tongxind init --district makes the district the
# root; its administrator adds streets under it, each street its
# communities; a street's administrator sees its street only, the
# district's sees all, and an office its community:
#   - a second district and a street under a community are refused by the
#     CLI (the server's own refusals of pushed ones: test_server_validation,
#     "a district pushed" and "a second street");
#   - a member added by an office reaches its street's and the district's
#     administrators, and not the other street's;
#   - every replica checks equal with the server (sync --verify).
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

SRV=$TX_TMP/srv
OUT=$TX_TMP/out
tx() { local db=$1; shift; "$TONGXIN" --replica "$TX_TMP/$db.db" "$@"; }
q() { sqlite3 "$TX_TMP/$1.db" "$2"; }
must() { "$@" >"$OUT" 2>&1 || fail "$* failed: $(cat "$OUT")"; }

step "tongxind init --district"
run "$OUT" "$TONGXIND" init "$SRV" --district 和平区 --code QU01 --listen "$TX_ADDR"
expect_rc 0 "init --district"
expect_contains "$OUT" "Created district 和平区"
run "$OUT" "$TONGXIND" init "$TX_TMP/srv2" --street 甲 --district 乙 --listen "$TX_ADDR"
expect_rc 2 "init with both --street and --district"
must "$TONGXIND" enroll "$SRV" --org QU01 --device qu --admin --out "$TX_TMP/qu.bundle"
start_server "$SRV"
must tx qu join "$TX_TMP/qu.bundle"
must tx qu sync -q

step "the district's administrator adds two streets and their communities"
for s in "JD01 和平街道" "JD02 幸福街道"; do
	code=${s%% *} name=${s#* }
	must tx qu org add --code "$code" --name "$name" --kind street --parent QU01
	must tx qu org add --code "$code-SQ1" --name "${name}一社区" --kind community --parent "$code"
	must tx qu org add --code "$code-SQ1-01" --name "${name}一社区第一支部" --kind branch \
		--parent "$code-SQ1" --branch-type residential
done
must tx qu sync -q

step "refused: a second district, a street with no district above it"
run "$OUT" tx qu org add --code QU02 --name 第二区 --kind district
[ "$TX_RC" != 0 ] || fail "a second district was added"
expect_contains "$OUT" "one district per server"
run "$OUT" tx qu org add --code JD09 --name 孤立街道 --kind street --parent JD01-SQ1
[ "$TX_RC" != 0 ] || fail "a street under a community was added"
[ "$(q qu "SELECT count(*) FROM org WHERE code IN ('QU02', 'JD09')")" = 0 ] ||
	fail "a refused organisation is in the replica"

step "a street's administrator and an office of each street"
must "$TONGXIND" enroll "$SRV" --org JD01 --device jd1 --admin --out "$TX_TMP/jd1.bundle"
must "$TONGXIND" enroll "$SRV" --org JD02 --device jd2 --admin --out "$TX_TMP/jd2.bundle"
must "$TONGXIND" enroll "$SRV" --org JD01-SQ1 --device o1 --out "$TX_TMP/o1.bundle"
for d in jd1 jd2 o1; do
	must tx "$d" join "$TX_TMP/$d.bundle"
	must tx "$d" sync -q
done
[ "$(q jd1 "SELECT group_concat(code, ',') FROM (SELECT code FROM org ORDER BY code)")" = \
	"JD01,JD01-SQ1,JD01-SQ1-01" ] || fail "jd1 holds $(q jd1 "SELECT group_concat(code) FROM org")"
[ "$(q o1 "SELECT count(*) FROM org WHERE code LIKE 'JD02%'")" = 0 ] || fail "o1 holds JD02"

step "a member added by an office of JD01 reaches JD01 and the district, not JD02"
A=$(idn_male 19700101)
must tx o1 member add --name 张三 --gender male --ethnicity 汉族 --id-number "$A" \
	--education bachelor --category full --branch JD01-SQ1-01 --join-date 2000-07-01 \
	--full-date 2001-07-01
must tx o1 sync -q
for d in qu jd1 jd2; do must tx "$d" sync -q; done
[ "$(q qu "SELECT count(*) FROM member WHERE id_number = '$A'")" = 1 ] || fail "the district misses it"
[ "$(q jd1 "SELECT count(*) FROM member WHERE id_number = '$A'")" = 1 ] || fail "JD01 misses it"
[ "$(q jd2 "SELECT count(*) FROM member WHERE id_number = '$A'")" = 0 ] || fail "JD02 holds it"

step "JD02's administrator cannot add under JD01"
run "$OUT" tx jd2 org add --code JD01-SQ9 --name 越界社区 --kind community --parent JD01
[ "$TX_RC" != 0 ] || fail "JD02's administrator added under JD01 (the CLI let it through)"

step "every replica checks equal"
for d in qu jd1 jd2 o1; do
	run "$OUT" tx "$d" sync --verify
	expect_rc 0 "$d: sync --verify"
done
stop_server
step "done"
