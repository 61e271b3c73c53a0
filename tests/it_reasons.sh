#!/usr/bin/env bash
# it_reasons.sh - the server's refusal and conflict reasons reach the clerk in
# Chinese (issue 9, item 2): sent as a code and its arguments, rendered by the
# client, kept in the replica's outcome table.
#
#   - a server database made before the codes (txn_log and conflict without
#     reason_code / reason_args) opens, says it migrated, and serves;
#   - a replica made before the codes (outcome without reason_code) opens;
#   - a transfer requested to an organisation code that does not exist is
#     refused by the server: `tongxin sync` and `tongxin status` (text and
#     --json) give "没有组织编码为“SQ99”的组织", not the English sentence;
#     the replica keeps the code; the server keeps the code, its argument
#     and the English sentence (its log, older clients);
#   - a same-field conflict on 学历 shows the values by their labels
#     (博士研究生, not doctorate) in sync and status.
. "$(dirname "$0")/lib.sh"

D=$TX_TMP
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" --server "$TX_ADDR" "$@"; }
q() { sqlite3 "$D/srv/tongxind.db" "$1"; }
# A sync whose exit code is anything but a crash or a failure to reach the server.
sync_to() {
	run "$D/$2" tx "$1" sync
	case $TX_RC in 0 | 1 | 5 | 7 | 10) ;; *) cat "$D/$2" >&2; fail "tongxin sync on $1 exited $TX_RC" ;; esac
}

step "a server database and a replica from before the reason codes"
"$TONGXIND" init "$D/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >"$D/init.out" 2>&1 ||
	fail "tongxind init: $(cat "$D/init.out")"
q "ALTER TABLE txn_log DROP COLUMN reason_code; ALTER TABLE txn_log DROP COLUMN reason_args;
   ALTER TABLE conflict DROP COLUMN reason_code; ALTER TABLE conflict DROP COLUMN reason_args;"
start_server "$D/srv"
wait_for_text "$TX_SERVER_LOG" "now keeps reasons as codes" 10
[ "$(q "SELECT count(*) FROM pragma_table_info('txn_log') WHERE name IN ('reason_code', 'reason_args')")" = 2 ] ||
	fail "txn_log was not given reason_code and reason_args"

"$TONGXIND" enroll "$D/srv" --org JD01 --device street --admin --out "$D/street.bundle" >/dev/null 2>&1 ||
	fail "enroll street"
tx street join "$D/street.bundle" >/dev/null 2>&1 || fail "join street"
tx street sync -q >/dev/null 2>&1 || fail "street sync"
tx street org add --code SQ01 --name 和平社区 --kind community >/dev/null 2>&1 || fail "org add SQ01"
tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 --branch-type residential \
	>/dev/null 2>&1 || fail "org add SQ01-01"
tx street sync -q >/dev/null 2>&1 || fail "street sync"
"$TONGXIND" enroll "$D/srv" --org SQ01 --device sq01 --out "$D/sq01.bundle" >/dev/null 2>&1 || fail "enroll sq01"
tx sq01 join "$D/sq01.bundle" >/dev/null 2>&1 || fail "join sq01"
tx sq01 sync -q >/dev/null 2>&1 || fail "sq01 sync"
sqlite3 "$D/sq01.db" "ALTER TABLE outcome DROP COLUMN reason_code"
run "$D/status0.out" tx sq01 status
expect_rc 0 "tongxin status on a replica from before the codes"
[ "$(sqlite3 "$D/sq01.db" "SELECT count(*) FROM pragma_table_info('outcome') WHERE name = 'reason_code'")" = 1 ] ||
	fail "the replica's outcome table was not given reason_code"

step "a transfer to an organisation code that does not exist: refused, in Chinese"
K=$(idn_female 19720303)     # 钱敏, a woman
run "$D/add.out" tx sq01 member add --name 钱敏 --gender female --ethnicity 汉族 --id-number "$K" \
	--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 --full-date 2001-07-01
expect_rc 0 "member add"
sync_to sq01 sync1.out
run "$D/req.out" tx sq01 transfer request "$K" --to SQ99
expect_rc 0 "transfer request (offline rules: the office cannot see other communities)"
sync_to sq01 sync2.out
[ "$TX_RC" = 10 ] || fail "a sync with a rejected change exited $TX_RC, not 10"
expect_contains "$D/sync2.out" "1 rejected"
expect_contains "$D/sync2.out" "有 1 个修改被街道服务器退回"
expect_contains "$D/sync2.out" "没有组织编码为“SQ99”的组织"
expect_not_contains "$D/sync2.out" "no organisation has the code"
run "$D/status.out" tx sq01 status
expect_rc 0 "tongxin status"
expect_contains "$D/status.out" "没有组织编码为“SQ99”的组织"
expect_not_contains "$D/status.out" "no organisation has the code"
run "$D/status.json" tx sq01 status --json
expect_rc 0 "tongxin status --json"
expect_contains "$D/status.json" "没有组织编码为“SQ99”的组织"
[ "$(sqlite3 "$D/sq01.db" "SELECT reason_code FROM outcome WHERE status = 'rejected'")" = 59 ] ||
	fail "the replica does not keep the code transfer_unknown_org (59)"
[ "$(q "SELECT reason_code || '|' || reason_args || '|' || reason FROM txn_log WHERE status = 3")" = \
	'59|SQ99|transfer: no organisation has the code "SQ99"' ] ||
	fail "the server keeps $(q "SELECT reason_code || '|' || reason_args || '|' || reason FROM txn_log WHERE status = 3")"
expect_contains "$TX_SERVER_LOG" 'rejected: transfer: no organisation has the code "SQ99"'

step "a same-field conflict on 学历: the values by their labels"
tx street sync -q >/dev/null 2>&1 || fail "street sync"
run "$D/e1.out" tx sq01 member edit "$K" --education master
expect_rc 0 "sq01 edits 学历 offline"
run "$D/e2.out" tx street member edit "$K" --education doctorate
expect_rc 0 "the street edits 学历"
tx street sync -q >/dev/null 2>&1 || fail "street sync"
sync_to sq01 sync3.out
expect_contains "$D/sync3.out" "1 conflict"
expect_contains "$D/sync3.out" "党员的学历已在服务器上改为“博士研究生”，本设备修改时看到的是“大学本科”"
run "$D/status2.out" tx sq01 status
expect_contains "$D/status2.out" "学历已在服务器上改为“博士研究生”"
expect_not_contains "$D/status2.out" "was changed on the server"
[ "$(q "SELECT reason_code || '|' || replace(reason_args, char(31), ',') FROM conflict WHERE kind = 'same_field'")" = \
	'48|member.education,doctorate,bachelor' ] ||
	fail "the conflict keeps $(q "SELECT reason_code || '|' || reason_args FROM conflict WHERE kind = 'same_field'")"

stop_server
step "done"
