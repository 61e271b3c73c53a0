#!/usr/bin/env bash
# it_cli_admin.sh - `tongxin transfer`, `conflicts`, `audit` and `devices` on
# the one command table (client/cmd.c, issue 9 item 2), against a real
# tongxind:
#
#   - options as getopt_long reads them: --note=TEXT, a note that looks like
#     an option (--note=--csv, --note --json), `--` ending the options;
#   - one kind of handle: a transfer by its id's last 6 characters and by the
#     short handle transfer list shows (and --json's "handle"); the member of
#     a request by name and by citizen ID number; an ambiguous name is 7 with
#     the candidates listed; a conflict by the short handle its list shows;
#   - the exit statuses every verb shares: unknown handle 9 (a transfer, a
#     member, a conflict), missing required option 2, unknown option 2,
#     invalid value 7 - and a refused command changes nothing;
#   - a conflict's reason in Chinese (rendered from the server's reason code)
#     in conflicts list and show, and the street's decision by its label.
. "$(dirname "$0")/lib.sh"

D=$TX_TMP
OUT=$D/out
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" --server "$TX_ADDR" "$@"; }
q() { sqlite3 "$D/$1.db" "$2"; }
must() { run "$OUT" "$@"; [ "$TX_RC" = 0 ] || fail "$* exited $TX_RC: $(cat "$OUT")"; }
# refused RC TEXT REPLICA ARGS...: tongxin ARGS exits RC, says TEXT, and changes nothing.
refused() {
	local want=$1 text=$2 r=$3 d0
	shift 3
	d0=$(sqlite3 "$D/$r.db" .dump | sha256sum)
	run "$OUT" tx "$r" "$@"
	expect_rc "$want" "tongxin $*"
	expect_contains "$OUT" "$text"
	[ "$(sqlite3 "$D/$r.db" .dump | sha256sum)" = "$d0" ] ||
		fail "tongxin $*: a refused command changed the replica"
}

# refused_srv RC TEXT REPLICA ARGS...: as refused, for the verbs that ask the server (an
# exchange with the server records its contact time in the replica).
refused_srv() {
	local want=$1 text=$2 r=$3
	shift 3
	run "$OUT" tx "$r" "$@"
	expect_rc "$want" "tongxin $*"
	expect_contains "$OUT" "$text"
}

step "a street, two communities, an office device"
"$TONGXIND" init "$D/srv" --street 和平街道 --code JD01 --listen "$TX_ADDR" >"$D/init.out" 2>&1 ||
	fail "tongxind init: $(cat "$D/init.out")"
start_server "$D/srv"
"$TONGXIND" enroll "$D/srv" --org JD01 --device street --admin --out "$D/street.bundle" >/dev/null 2>&1 ||
	fail "enroll street"
must tx street join "$D/street.bundle"
must tx street sync -q
must tx street org add --code SQ01 --name 和平社区 --kind community
must tx street org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01 \
	--branch-type residential
must tx street org add --code SQ02 --name 幸福社区 --kind community
must tx street org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02 --branch-type grid
must tx street sync -q
"$TONGXIND" enroll "$D/srv" --org SQ01 --device sq01 --out "$D/sq01.bundle" >/dev/null 2>&1 ||
	fail "enroll sq01"
must tx sq01 join "$D/sq01.bundle"
must tx sq01 sync -q
A=$(idn_male 19700101)
B=$(idn_female 19710202)
F1=$(idn_female 19800808)
F2=$(idn_female 19810909)
for p in "张三 $A male" "李四 $B female" "王芳 $F1 female" "王芳 $F2 female"; do
	set -- $p
	must tx sq01 member add --name "$1" --gender "$3" --ethnicity 汉族 --id-number "$2" \
		--education bachelor --category full --branch SQ01-01 --join-date 2000-07-01 \
		--full-date 2001-07-01
done
must tx sq01 sync -q
ID_A=$(q sq01 "SELECT id FROM member WHERE id_number = '$A'")
ID_B=$(q sq01 "SELECT id FROM member WHERE id_number = '$B'")

step "transfer request: the member by name and by citizen ID, --opt=value"
must tx sq01 transfer request 张三 --to SQ02-01 --reason=搬迁
must tx sq01 transfer request --to=SQ02-01 "$B" --date 2025-03-01
TA=$(q sq01 "SELECT id FROM transfer WHERE member_id = '$ID_A'")
TB=$(q sq01 "SELECT id FROM transfer WHERE member_id = '$ID_B'")
[ -n "$TA" ] && [ -n "$TB" ] || fail "the requests by name and citizen ID made no transfer rows"
[ "$(q sq01 "SELECT reason FROM transfer WHERE id = '$TA'")" = 搬迁 ] ||
	fail "--reason=搬迁 was not kept"

step "transfer request refused: ambiguous name 7, unknown member 9, usage 2"
refused 7 "对应多条" sq01 transfer request 王芳 --to SQ02-01
expect_contains "$OUT" "（$F1）"
expect_contains "$OUT" "（$F2）"
refused 9 "没有" sq01 transfer request 无此人 --to SQ02-01
refused 2 "--to" sq01 transfer request 王芳
refused 2 "未知选项" sq01 transfer request 张三 --to SQ02-01 --bogus x
refused 2 "unknown sub-verb" sq01 transfer bogus
run "$OUT" tx sq01 transfer --help
expect_rc 0 "transfer --help"
expect_contains "$OUT" "tongxin transfer withdraw TRANSFER"

step "transfer list shows the short handle; --json keeps the id and adds the handle"
run "$OUT" tx sq01 transfer list
expect_rc 0 "transfer list"
expect_contains "$OUT" "${TA: -8}"
expect_not_contains "$OUT" "$TA"
run "$OUT" tx sq01 --json transfer list
expect_contains "$OUT" "\"id\": \"$TA\""
expect_contains "$OUT" "\"handle\": \"${TA: -8}\""

step "the street decides: a transfer by its 6-character suffix and by the list's handle"
must tx sq01 sync -q
must tx street sync -q
refused 9 "没有转接" street transfer accept 0123456789ab
refused 7 "无效" street transfer accept abc
refused 2 "--note" street transfer reject "${TA: -6}"
refused 2 "未知选项" street transfer accept "${TA: -6}" --bogus
# A note that looks like an option is the note.
must tx street transfer reject "${TA: -6}" --note=--csv
[ "$(q street "SELECT status || '|' || decision_note FROM transfer WHERE id = '$TA'")" = \
	"rejected|--csv" ] || fail "reject --note=--csv: $(q street "SELECT status, decision_note FROM transfer WHERE id = '$TA'")"
run "$OUT" tx street transfer accept "${TB: -8}" --note --json
expect_rc 0 "transfer accept HANDLE --note --json"
[ "$(q street "SELECT status || '|' || decision_note FROM transfer WHERE id = '$TB'")" = \
	"accepted|--json" ] || fail "accept --note --json: $(q street "SELECT status, decision_note FROM transfer WHERE id = '$TB'")"
must tx street sync -q
must tx sq01 sync -q

step "a conflict: its reason in Chinese in list and show, resolved by the short handle"
must tx sq01 member edit "$F1" --education master
must tx street sync -q
must tx street member edit "$F1" --education doctorate
must tx street sync -q
run "$OUT" tx sq01 sync
expect_contains "$OUT" "1 conflict"
run "$OUT" tx street --json conflicts list
expect_rc 0 "conflicts list --json"
C=$(sqlite3 :memory: "SELECT json_extract(value, '\$.id') FROM json_each(readfile('$OUT'))
	WHERE json_extract(value, '\$.kind') = 'same_field' LIMIT 1")
[ -n "$C" ] || fail "no same_field conflict: $(cat "$OUT")"
expect_contains "$OUT" "\"handle\": \"${C: -8}\""
expect_contains "$OUT" "学历已在服务器上改为“博士研究生”"
run "$OUT" tx street conflicts
expect_rc 0 "conflicts (no sub-verb lists)"
expect_contains "$OUT" "${C: -8}"
expect_contains "$OUT" "学历已在服务器上改为“博士研究生”"
expect_not_contains "$OUT" "was changed on the server"
run "$OUT" tx street conflicts show "${C: -8}"
expect_rc 0 "conflicts show HANDLE"
expect_contains "$OUT" "原因 Reason:    党员的学历已在服务器上改为“博士研究生”"
expect_not_contains "$OUT" "was changed on the server"
refused_srv 9 "街道服务器上没有冲突" street conflicts show 0123456789ab
refused_srv 7 "无效" street conflicts show abc
refused_srv 2 "choose one" street conflicts resolve "${C: -8}"
refused_srv 2 "未知选项" street conflicts list --bogus
refused_srv 7 "天数" street conflicts list --older-than=many
must tx street conflicts resolve "${C: -8}" --keep-server --note=--以街道为准
expect_contains "$OUT" "保留街道值"
run "$OUT" tx street conflicts show "$C"
expect_contains "$OUT" "已处理 resolved — 保留街道值 by street"

step "audit and devices"
run "$OUT" tx street audit --row="$ID_A" --limit 50
expect_rc 0 "audit --row=ID --limit 50"
expect_contains "$OUT" "insert"
refused_srv 7 "--since" street audit --since 2025-13-01
refused_srv 7 "--limit" street audit --limit=abc
refused_srv 2 "未知选项" street audit --bogus
run "$OUT" tx street devices
expect_rc 0 "devices"
expect_contains "$OUT" sq01
refused_srv 2 "多余的参数" street devices extra
run "$OUT" tx sq01 devices
expect_rc 4 "an office device cannot list the devices (exit 4)"

stop_server
step "done"
