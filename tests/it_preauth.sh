#!/bin/bash
# it_preauth.sh - the limits before authentication (issue 8): connections
# still in TLS or Hello per source address, new connections per second per
# address (a token bucket whose burst is the rate), and pre-auth
# connections in all; their settings in tongxind.conf and as serve flags.
#
# The attackers are tx_probe idle connections bound to other loopback
# addresses (127.0.0.3 ...), so each phase counts exactly: the probe opens N
# silent connections at once and reports how many the server closed during
# one-second hold (those refused at accept); the others are held until the
# handshake timeout. Asserts:
#   - serve --help names every limit and its config key;
#   - a bad number in tongxind.conf is an error naming the file and line;
#     contradicting limits and bad flags are refused;
#   - per address: with max_preauth_per_address 4 (config) ten connections
#     leave 4 open; a flag (8) overrides the config;
#   - per second: with 5 new connections per second a burst of 30 leaves 5
#     (or 6) open, and a second later the bucket holds 5 again;
#   - in all: with max_preauth 6, two addresses get 4 + 2; a device is
#     served again once the silent ones have timed out;
#   - a device that syncs more often than the per-second limit (1) is never
#     refused: an authenticated connection gives its token back;
#   - thousands of refusals make one log line per 10 s, not one each.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
SRV=$D/srv
CONF=$SRV/tongxind.conf

tx() {
	"$TONGXIN" --replica "$D/a.db" "$@"
}

# burst SOURCE COUNT: open COUNT silent connections from SOURCE at once,
# hold them 1 s; prints how many stayed open.
burst() {
	local src=$1 count=$2 out closed
	out="$D/burst.$src.out"
	"$TX_PROBE" idle "$TX_ADDR" --source "$src" --count "$count" --hold 1 >"$out" 2>&1 ||
		{ cat "$out" >&2; fail "tx_probe idle from $src failed"; }
	closed=$(sed -n 's/^server closed \([0-9]*\) of .*/\1/p' "$out")
	[ -n "$closed" ] || { cat "$out" >&2; fail "tx_probe idle from $src printed no count"; }
	echo $((count - closed))
}

expect_open() {
	local what=$1 got=$2 lo=$3 hi=${4:-$3}
	[ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ] ||
		fail "$what: $got connections stayed open, want $lo${hi:+..$hi}"
	step "  $what: $got stayed open"
}

step "serve --help names every limit and its config key"
run "$D/help.out" "$TONGXIND" serve --help
expect_rc 0 "tongxind serve --help"
for k in "--max-sessions N" "--max-preauth N" "--max-preauth-per-address N" \
	"--new-connections-per-second N" "--handshake-timeout S" "--idle-timeout S" \
	"[max_sessions]" "[max_preauth]" "[max_preauth_per_address]" \
	"[new_connections_per_second]" "[handshake_timeout]" "[idle_timeout]"; do
	expect_contains "$D/help.out" "$k"
done

step "init; the config lists the limits' defaults"
run "$D/init.out" "$TONGXIND" init "$SRV" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init"
expect_contains "$CONF" "# max_preauth_per_address = 16"
expect_contains "$CONF" "# new_connections_per_second = 20"
run "$D/enroll.out" "$TONGXIND" enroll "$SRV" --org JD01 --device admin1 --admin --out "$D/admin.bundle"
expect_rc 0 "tongxind enroll"
run "$D/join.out" tx join "$D/admin.bundle"
expect_rc 0 "tongxin join"
cp "$CONF" "$D/conf.orig"

step "bad settings are refused with the file and line"
{ cat "$D/conf.orig"; echo "max_preauth = lots"; } >"$CONF"
line=$(wc -l <"$CONF")
run "$D/bad.out" "$TONGXIND" serve "$SRV" --listen "$TX_ADDR"
expect_rc 1 "serve with max_preauth = lots"
expect_contains "$D/bad.out" "tongxind.conf:$line: max_preauth must be a whole number from 1 to 1000000, not \"lots\""
{ cat "$D/conf.orig"; echo "idle_timeout = 0"; } >"$CONF"
run "$D/bad.out" "$TONGXIND" serve "$SRV" --listen "$TX_ADDR"
expect_rc 1 "serve with idle_timeout = 0"
expect_contains "$D/bad.out" "tongxind.conf:$line: idle_timeout must be a whole number from 1 to 86400"
{ cat "$D/conf.orig"; echo "max_sessions = 100"; echo "max_preauth = 100"; } >"$CONF"
run "$D/bad.out" "$TONGXIND" serve "$SRV" --listen "$TX_ADDR"
expect_rc 1 "serve with max_preauth = max_sessions"
expect_contains "$D/bad.out" "max_preauth (100) must be below max_sessions (100)"
cp "$D/conf.orig" "$CONF"
run "$D/bad.out" "$TONGXIND" serve "$SRV" --listen "$TX_ADDR" --max-preauth 0
expect_rc 2 "serve --max-preauth 0"
run "$D/bad.out" "$TONGXIND" serve "$SRV" --listen "$TX_ADDR" --new-connections-per-second x
expect_rc 2 "serve --new-connections-per-second x"
run "$D/bad.out" "$TONGXIND" serve "$SRV" --listen "$TX_ADDR" --max-preauth-per-address 9 --max-preauth 8
expect_rc 1 "serve with more per address than in all"
expect_contains "$D/bad.out" "max_preauth_per_address (9) cannot exceed max_preauth (8)"

step "per address: max_preauth_per_address from the config, then from a flag"
{ cat "$D/conf.orig"; echo "max_preauth_per_address = 4"; echo "new_connections_per_second = 1000"; } >"$CONF"
mark=$(log_mark)
start_server "$SRV"
log_since "$mark" >"$D/log.part"
expect_contains "$D/log.part" "limits: 1000 sessions, 256 before hello (4 from one address, 1000 new connections per second from one address)"
expect_open "10 connections from 127.0.0.3" "$(burst 127.0.0.3 10)" 4
run "$D/sync.out" tx sync
expect_rc 0 "a device's sync from 127.0.0.1 meanwhile"
stop_server
start_server "$SRV" --max-preauth-per-address 8
expect_open "10 connections from 127.0.0.3, with --max-preauth-per-address 8" "$(burst 127.0.0.3 10)" 8
stop_server

step "per second: a burst over new_connections_per_second is refused"
cp "$D/conf.orig" "$CONF"
start_server "$SRV" --max-preauth-per-address 100 --new-connections-per-second 5
expect_open "a burst of 30 from 127.0.0.4 at 5 per second" "$(burst 127.0.0.4 30)" 5 6
sleep 1
expect_open "another burst of 30 a second later" "$(burst 127.0.0.4 30)" 5 7
expect_open "a burst of 30 from 127.0.0.5 (its own bucket)" "$(burst 127.0.0.5 30)" 5 6

stop_server

step "a device that syncs more often than the per-second limit is never refused"
start_server "$SRV" --new-connections-per-second 1
sleep 1   # start_server's port probe took the one token
t0=$(date +%s%N)
for i in 1 2 3 4 5 6; do
	run "$D/sync.out" tx sync --quiet
	expect_rc 0 "sync $i of 6 in a row at 1 new connection per second"
done
step "  6 syncs in $((($(date +%s%N) - t0) / 1000000)) ms at 1 new connection per second"
stop_server

step "in all: max_preauth over several addresses"
start_server "$SRV" --max-preauth 6 --max-preauth-per-address 4 --new-connections-per-second 1000 \
	--handshake-timeout 4
"$TX_PROBE" idle "$TX_ADDR" --source 127.0.0.6 --count 4 --hold 6 >"$D/six.out" 2>&1 &
six=$!
TX_BG_PIDS+=("$six")
wait_for_text "$D/six.out" "opened 4 connections" 10
expect_open "4 from 127.0.0.7 while 4 from 127.0.0.6 wait" "$(burst 127.0.0.7 4)" 2
wait "$six" || true
expect_contains "$D/six.out" "server closed 4 of 4"
run "$D/sync.out" tx sync
expect_rc 0 "a device's sync once the silent connections timed out"
stop_server

step "thousands of refusals, one log line"
start_server "$SRV"
mark=$(log_mark)
run "$D/flood.out" "$TX_PROBE" idle "$TX_ADDR" --source 127.0.0.8 --count 1500 --hold 2 --reopen
expect_rc 0 "tx_probe idle --reopen from 127.0.0.8"
log_since "$mark" >"$D/log.part"
refused=$(sed -n 's/.*refused \([0-9]*\) connections\{0,1\} at accept.*/\1/p' "$D/log.part" | paste -sd+ | bc)
lines=$(grep -c "at accept" "$D/log.part" || true)
step "  $(sed -n 's/^reopened //p' "$D/flood.out"); the log has $lines line(s) about refusals"
[ "$lines" -ge 1 ] && [ "$lines" -le 2 ] || fail "$lines log lines about refused connections (want 1 or 2)"
expect_contains "$D/log.part" "the latest from 127.0.0.8"
stop_server
log_since "$mark" >"$D/log.part"
refused=$(sed -n 's/.*refused \([0-9]*\) connections\{0,1\} at accept.*/\1/p' "$D/log.part" | paste -sd+ | bc)
step "  in all $refused refusals were logged in $(grep -c "at accept" "$D/log.part") lines"
[ "$refused" -ge 1484 ] || fail "the log accounts for $refused refusals, want at least 1484"
step "done"
