#!/usr/bin/env bash
# it_web_admin.sh - 转接 and the street administrator's pages (冲突, 设备,
# 审计) on the web desk in a real browser, against a real tongxind: a
# street with communities SQ01 and SQ02, one desk (tongxin ui) per replica
# (the street's administrator, SQ01's office, SQ02's office), driven by
# tests/web/admin_story.mjs in Debian's chromium.
#
# Set up here: a member 张建国 whose education (学历) the street changes
# while SQ01's office, not yet synced, changes it too (the office's edit
# waits in its outbox), the same for 王芳's name (settled by a merged
# value typed on the desk), and a member 李娜 that SQ01 will send to SQ02.
# The story then: SQ01's desk requests the transfer and syncs (the
# education edit becomes a conflict); SQ02's desk syncs, sees the incoming
# request with the member's name (and no member record), accepts it with a
# note; the street's desk opens 冲突, sees base, server and office values
# side by side with both authors, takes the office's value with a note,
# syncs, and its member page has the office's value; SQ01's 首页 shows the
# street's decision. Afterwards the replicas are checked here with sqlite3.
# Screenshots of 转接, 冲突 (list and side by side), 设备 and 审计 are kept in
# $TX_WEB_SHOTS (default: it_web_admin.shots in the working directory).
. "$(dirname "$0")/lib.sh"

need_browser
command -v sqlite3 >/dev/null || fail "the sqlite3 shell is missing"
D=$TX_TMP
chmod 700 "$D"
tx() { local n=$1; shift; "$TONGXIN" --replica "$D/$n.db" "$@"; }
idnum() {
	python3 -c 's = "'"$1"'"; w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(s + "10X98765432"[sum(int(a) * b for a, b in zip(s, w)) % 11])'
}
add_member() {   # REPLICA NAME IDNUM BRANCH
	tx "$1" -q member add --name "$2" --gender female --ethnicity 汉族 --id-number "$3" \
	    --education bachelor --category full --branch "$4" --join-date 2000-07-01 \
	    --full-date 2001-07-01 --phone 13800000001
}

step "set up: a street, two communities, three replicas"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "$TX_ADDR" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device street --admin --out "$D/street.bundle" >/dev/null
start_server "$D/srv"
tx street join "$D/street.bundle" >/dev/null
tx street -q sync
tx street -q org add --code SQ01 --name 和平社区 --kind community
tx street -q org add --code SQ02 --name 幸福社区 --kind community
tx street -q org add --code SQ01-01 --name 和平第一支部 --kind branch --parent SQ01
tx street -q org add --code SQ02-01 --name 幸福第一支部 --kind branch --parent SQ02
tx street -q sync
for dev in sq01:SQ01 sq02:SQ02; do
	"$TONGXIND" enroll "$D/srv" --org "${dev#*:}" --device "${dev%:*}" --out "$D/${dev%:*}.bundle" >/dev/null
	tx "${dev%:*}" join "$D/${dev%:*}.bundle" >/dev/null
	tx "${dev%:*}" -q sync
done
A=$(idnum 11010519700101002)     # the conflict: education (women: an even 17th digit)
T=$(idnum 11010519710202002)     # the transfer
M=$(idnum 11010519720303004)     # the conflict settled by a merged value: name
add_member sq01 张建国 "$A" SQ01-01
add_member sq01 李娜 "$T" SQ01-01
add_member sq01 王芳 "$M" SQ01-01
tx sq01 -q sync
tx street -q sync
A_ID=$(sqlite3 "$D/street.db" "SELECT id FROM member WHERE id_number = '$A'")
M_ID=$(sqlite3 "$D/street.db" "SELECT id FROM member WHERE id_number = '$M'")
[ -n "$A_ID" ] && [ -n "$M_ID" ] || fail "the street does not have the members"

step "the same field changed on both sides: the office's edit waits in its outbox"
tx sq01 -q member edit "$A" --education master
tx sq01 -q member edit "$M" --name 王芳芳
tx street -q member edit "$A" --education doctorate
tx street -q member edit "$M" --name 王方
tx street -q sync

step "start three desks"
declare -A URL
DESKS=()
for n in street sq01 sq02; do
	"$TONGXIN" --replica "$D/$n.db" --operator "${n}经办人" ui >"$D/ui-$n.log" 2>&1 &
	TX_BG_PIDS+=("$!")
	DESKS+=("$!")
done
for n in street sq01 sq02; do
	wait_for_text "$D/ui-$n.log" "token=" 10
	URL[$n]=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$D/ui-$n.log")
	[ -n "${URL[$n]}" ] || fail "no token URL in $n's desk output: $(cat "$D/ui-$n.log")"
done

step "the story in chromium"
rm -rf "$SHOTS"
run "$D/story.out" timeout 150 node "$WEB/admin_story.mjs" "${URL[street]}" "${URL[sq01]}" \
    "${URL[sq02]}" "$A_ID" "$M_ID" "$SHOTS"
cat "$D/story.out"
expect_rc 0 "the browser story"

step "the replicas agree with what the desks showed"
tx sq01 -q sync
tx sq02 -q sync
tx street -q sync
[ "$(sqlite3 "$D/street.db" "SELECT education FROM member WHERE id = '$A_ID'")" = master ] ||
	fail "the street's replica does not have the office's value after the resolution"
[ "$(sqlite3 "$D/sq01.db" "SELECT education FROM member WHERE id = '$A_ID'")" = master ] ||
	fail "SQ01's replica does not have the office's value"
[ "$(sqlite3 "$D/sq01.db" "SELECT name FROM member WHERE id = '$M_ID'")" = 王芳方 ] ||
	fail "SQ01's replica does not have the merged name"
[ "$(sqlite3 "$D/street.db" "SELECT o.code FROM member m JOIN org o ON o.id = m.org_id
    WHERE m.id_number = '$T'")" = SQ02-01 ] || fail "the street does not see the member under SQ02-01"
[ "$(sqlite3 "$D/sq02.db" "SELECT count(*) FROM member WHERE id_number = '$T'")" = 1 ] ||
	fail "SQ02 does not hold the transferred member"
[ "$(sqlite3 "$D/sq01.db" "SELECT count(*) FROM member WHERE id_number = '$T'")" = 0 ] ||
	fail "SQ01 still holds the transferred member"
[ "$(sqlite3 "$D/street.db" "SELECT count(*) FROM transfer WHERE member_id = '$A_ID'")" = 0 ] ||
	fail "the withdrawn transfer request is still on the street's replica"
run "$D/audit.out" tx street audit --row "$A_ID"
expect_rc 0 "tongxin audit"
expect_contains "$D/audit.out" resolve

step "a slow server does not block the desk; a failed request says why in Chinese"
# A 'server' that accepts and says nothing for 2 s, then is gone.
HPORT=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4); print("ready", flush=True)
c, _ = s.accept(); time.sleep(2); c.close()' "$HPORT" >"$D/hang.log" 2>&1 &
TX_BG_PIDS+=("$!")
wait_for_text "$D/hang.log" ready 10
"$TONGXIN" --replica "$D/street.db" --server "127.0.0.1:$HPORT" ui >"$D/ui-slow.log" 2>&1 &
TX_BG_PIDS+=("$!")
DESKS+=("$!")
wait_for_text "$D/ui-slow.log" "token=" 10
SURL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$D/ui-slow.log")
SB=${SURL%%/?token=*}
curl -s -o /dev/null -c "$D/jar" "$SURL"
ms() { echo $(($(date +%s%N) / 1000000)); }
T0=$(ms)
curl -s -b "$D/jar" -w '\n%{http_code}\n' "$SB/api/admin/devices" >"$D/slow.out" &
SLOW=$!
sleep 0.5
curl -s -b "$D/jar" -o "$D/session.out" "$SB/api/session"
T1=$(ms)
grep -q '"role":"admin"' "$D/session.out" || fail "the desk did not answer /api/session: $(cat "$D/session.out")"
[ $((T1 - T0)) -lt 1400 ] || fail "/api/session took $((T1 - T0)) ms while a request to the server was waiting"
wait "$SLOW"
T2=$(ms)
echo "session answered after $((T1 - T0)) ms; the slow request after $((T2 - T0)) ms: $(head -c 300 "$D/slow.out")"
[ $((T2 - T0)) -ge 1500 ] || fail "the slow server's request ended after only $((T2 - T0)) ms"
grep -q '^502$' "$D/slow.out" || fail "a server that hung up did not give 502: $(cat "$D/slow.out")"
grep -q '街道服务器' "$D/slow.out" || fail "the failure is not said in Chinese: $(cat "$D/slow.out")"
curl -s -b "$D/jar" -w '\n%{http_code}\n' "$SB/api/admin/conflicts" >"$D/down.out"
grep -q '^502$' "$D/down.out" && grep -q '无法连接街道服务器' "$D/down.out" ||
	fail "an unreachable server is not said so: $(cat "$D/down.out")"

step "the API's bounds: a refused write says why and changes nothing"
CSRF=$(curl -s -b "$D/jar" "$SB/api/session" | python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf"])')
post() { curl -s -b "$D/jar" -H "X-Tongxin-CSRF: $CSRF" -H "Origin: $SB" -w '\n%{http_code}\n' "$@"; }
LONG=$(python3 -c 'print("长" * 200)')
post --data-urlencode "member=$A" --data-urlencode "to=SQ02-01" --data-urlencode "reason=$LONG" \
    "$SB/api/transfers" >"$D/long.out"
grep -q '^422$' "$D/long.out" || fail "a 600-byte reason was not refused: $(cat "$D/long.out")"
post --data-urlencode "member=$A" --data-urlencode "to=NOPE" --data-urlencode "date=2999-01-01" \
    "$SB/api/transfers" >"$D/future.out"
grep -q '^422$' "$D/future.out" && grep -q '申请日期' "$D/future.out" ||
	fail "a request dated in the future was not refused: $(cat "$D/future.out")"
post --data-urlencode "id=nope" --data-urlencode "decision=set" "$SB/api/admin/conflict/resolve" >"$D/noset.out"
grep -q '^422$' "$D/noset.out" || fail "a merge without values was not refused: $(cat "$D/noset.out")"
[ "$(sqlite3 "$D/street.db" "SELECT count(*) FROM outbox")" = 0 ] ||
	fail "a refused request left something in the street's outbox"

step "the desks stop on SIGTERM"
for pid in "${DESKS[@]}"; do
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "a desk exited $rc after SIGTERM"
done
for n in street sq01 sq02 slow; do
	if grep -E "ERROR: [A-Za-z]+Sanitizer|runtime error:" "$D/ui-$n.log"; then
		fail "$n's desk reported a sanitizer error"
	fi
done
stop_server
step "ok"
