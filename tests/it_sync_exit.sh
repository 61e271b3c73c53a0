#!/usr/bin/env bash
# it_sync_exit.sh - the exit code of "tongxin sync" when the server dies
# (issue 8, item 14). Scripts retry on 3 (unreachable) and 6 (server
# failure); 4 (refused) means "stop, this device is not allowed" and must
# be kept for a real refusal:
#
#   - a TLS server that completes the handshake, reads the Hello and is
#     killed with SIGKILL (openssl s_server with the street's own server
#     certificate, so the moment is exact): an unexpected TLS EOF after the
#     handshake is 6, never 4;
#   - a server frozen (SIGSTOP) before it answers the ClientHello, then
#     killed: the connection drops during the handshake: 3;
#   - the real tongxind killed with SIGKILL while a pull streams: 3 or 6
#     (0 if the pull finished first), the replica intact, and after a
#     restart the sync resumes and the replica matches the server;
#   - a real refusal still exits 4: an office device asking for the audit
#     (ERR_FORBIDDEN).
. "$(dirname "$0")/lib.sh"

N=${TX_KILL_MEMBERS:-12000}
D=$TX_TMP
tx() { "$TONGXIN" "$@"; }
command -v openssl >/dev/null || fail "the openssl command is needed (apt-get install openssl)"

# N members (成员 and k in Chinese numerals: a name takes no digits) with valid
# citizen ID numbers (a man's 17th digit odd, a woman's even), as the national form's CSV (as it_cut.sh).
make_csv() {
	awk -v n="$1" -v branch="$2" 'BEGIN {
		split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ");
		map = "10X98765432";
		split("零 一 二 三 四 五 六 七 八 九", cn, " ");
		print "姓名,性别,民族,公民身份号码,出生日期,学历,人员类别,所在党支部,入党日期,转正日期";
		for (k = 0; k < n; k++) {
			y = 1940 + (k % 60); m = 1 + (k % 12); d = 1 + (k % 28);
			s = sprintf("110105%04d%02d%02d%03d", y, m, d, k % 1000);
			sum = 0;
			for (j = 1; j <= 17; j++) sum += substr(s, j, 1) * w[j];
			id = s substr(map, (sum % 11) + 1, 1);
			t = sprintf("%d", k); name = "成员";
			for (j = 1; j <= length(t); j++) name = name cn[substr(t, j, 1) + 1];
			printf "%s,%s,汉族,%s,%04d-%02d-%02d,bachelor,full,%s,%04d-%02d-%02d,%04d-%02d-%02d\n",
			    name, (k % 2 ? "男" : "女"), id, y, m, d, branch, y + 20, m, d, y + 21, m, d;
		}
	}'
}

integrity() {
	[ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ] || fail "$1 fails PRAGMA integrity_check"
}

# A TLS server with the street's server certificate that asks for a device
# certificate from the street's CA, accepts one connection and says nothing.
# Sets FAKE_PID and FAKE_ADDR; its output (what the client sent) in $D/fake.out.
start_fake() {
	local port
	port=$(free_port)
	rm -f "$D/fake.in" "$D/fake.out"
	mkfifo "$D/fake.in"
	exec 7<>"$D/fake.in"   # a stdin that never ends
	openssl s_server -accept "127.0.0.1:$port" -cert "$D/srv/server.crt" -key "$D/srv/server.key" \
		-CAfile "$D/srv/ca.crt" -Verify 1 -tls1_3 -naccept 1 <"$D/fake.in" >"$D/fake.out" 2>&1 &
	FAKE_PID=$!
	TX_BG_PIDS+=("$FAKE_PID")
	FAKE_ADDR="127.0.0.1:$port"
	wait_for_text "$D/fake.out" "ACCEPT" 10
}

step "set up: a street, a community with a branch, $N members on the server"
"$TONGXIND" init "$D/srv" --street 测试街道 --code JD01 --listen "127.0.0.1:$TX_PORT" >/dev/null
"$TONGXIND" enroll "$D/srv" --org JD01 --device admin --admin --out "$D/admin.bundle" >/dev/null
start_server "$D/srv"
A=(--replica "$D/admin.db")
tx "${A[@]}" join "$D/admin.bundle" >/dev/null
tx "${A[@]}" -q sync
tx "${A[@]}" -q org add --code SQ01 --name 和平社区 --kind community
tx "${A[@]}" -q org add --code SQ01-01 --name 第一党支部 --kind branch --parent SQ01
make_csv "$N" SQ01-01 >"$D/members.csv"
run "$D/import.out" tx "${A[@]}" member import "$D/members.csv"
expect_rc 0 "import of $N members"
run "$D/push.out" tx "${A[@]}" sync
expect_rc 0 "push of $N members"
"$TONGXIND" enroll "$D/srv" --org SQ01 --device office --out "$D/office.bundle" >/dev/null
O=(--replica "$D/office.db")
tx "${O[@]}" join "$D/office.bundle" >/dev/null

step "a real refusal is still 4: an office device asks for the audit"
run "$D/forbidden.out" tx "${O[@]}" audit
expect_rc 4 "tongxin audit from an office device"

step "a TLS server killed (SIGKILL) after the handshake, with the Hello read: exit 6"
start_fake
"$TONGXIN" "${O[@]}" --server "$FAKE_ADDR" --operator KILLPROBE sync >"$D/fake_sync.out" 2>&1 &
cpid=$!
# The operator's name is in the Hello: once the server printed it, the client waits for Welcome.
wait_for_text "$D/fake.out" "KILLPROBE" 15
kill -KILL "$FAKE_PID"
set +e
wait "$cpid"
rc=$?
set -e
echo "  tongxin sync exited $rc: $(head -c 300 "$D/fake_sync.out")"
[ "$rc" != 4 ] || fail "a server that died mid-sync made tongxin sync exit 4 (refused); scripts would not retry: $(cat "$D/fake_sync.out")"
[ "$rc" = 6 ] || fail "a server that died after the handshake: exit $rc, want 6"
expect_contains "$D/fake_sync.out" "the server closed the connection"

step "a server frozen before the handshake, then killed: exit 3"
start_fake
kill -STOP "$FAKE_PID"
"$TONGXIN" "${O[@]}" --server "$FAKE_ADDR" sync >"$D/frozen_sync.out" 2>&1 &
cpid=$!
sleep 1   # the kernel has accepted the connection; the ClientHello waits unanswered
kill -KILL "$FAKE_PID"
set +e
wait "$cpid"
rc=$?
set -e
echo "  tongxin sync exited $rc: $(head -c 300 "$D/frozen_sync.out")"
[ "$rc" = 3 ] || fail "a server that died during the handshake: exit $rc, want 3 (unreachable)"

step "tongxind killed (SIGKILL) while a pull of $N members streams: exit 3 or 6"
# Killed as soon as the server has welcomed the device; if the pull still
# wins the race, again with a new device (up to 3 times).
for try in 1 2 3; do
	dev=office$try
	"$TONGXIND" enroll "$D/srv" --org SQ01 --device "$dev" --out "$D/$dev.bundle" >/dev/null
	tx --replica "$D/$dev.db" join "$D/$dev.bundle" >/dev/null
	mark=$(log_mark)
	"$TONGXIN" --replica "$D/$dev.db" sync >"$D/killed.out" 2>&1 &
	cpid=$!
	for _ in $(seq 1000); do
		log_since "$mark" | grep -q "device $dev .*hello" && break
		sleep 0.005
	done
	kill -KILL "$TX_SERVER_PID"
	wait "$TX_SERVER_PID" 2>/dev/null || true
	TX_SERVER_PID=""
	set +e
	wait "$cpid"
	rc=$?
	set -e
	got=$(sqlite3 "$D/$dev.db" 'SELECT count(*) FROM member')
	echo "  try $try: tongxin sync exited $rc after $got of $N members: $(head -c 200 "$D/killed.out")"
	case $rc in
	3 | 6) ;;
	0) ;;
	*) fail "a sync cut by the server's death exited $rc (want 3 or 6): $(cat "$D/killed.out")" ;;
	esac
	integrity "$D/$dev.db"
	integrity "$D/srv/tongxind.db"
	start_server "$D/srv"
	run "$D/resume.out" tx --replica "$D/$dev.db" sync --verify
	expect_rc 0 "the sync after the restart"
	expect_contains "$D/resume.out" "replica check: match"
	[ "$(sqlite3 "$D/$dev.db" 'SELECT count(*) FROM member')" = "$N" ] ||
		fail "$dev does not hold the $N members after resuming"
	[ "$rc" = 0 ] || break
	echo "  (the pull finished before the kill; the exact cases above still hold)"
done
stop_server
echo "1 passed, 0 failed"
