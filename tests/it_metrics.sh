#!/bin/bash
# it_metrics.sh - tongxind's metrics page (issue 12, item 6), scraped from a
# real tongxind with curl:
#   - metrics_listen in tongxind.conf opens GET /metrics on that loopback
#     address; the page is exposition format 0.0.4 (text/plain;
#     version=0.0.4, every sample "name{labels} value", HELP and TYPE for
#     every family, counters ending in _total) and starts at zero;
#   - a device's syncs (join, sync, org add, sync) and a client with a
#     certificate no CA of the street signed move the counters as the
#     server's log tells it happened: handshakes ok and refused (tls),
#     and revoked, pushes and applied transactions, the push and pull histograms'
#     counts, bytes in and out; the device's seconds since its last sync,
#     the database and WAL sizes are there (a device name's quote and
#     backslash escaped; a revoked device left out);
#   - GET of another path is 404, POST 405, oversized headers are refused;
#   - a metrics_listen that is not loopback (0.0.0.0, a name) is refused
#     by check and by serve, naming its line; one already taken stops serve
#     with a message; SIGHUP says a new one takes a restart.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

command -v curl >/dev/null || { echo "skip: curl is not installed" >&2; exit 77; }

D=$TX_TMP
MPORT=$(free_port)
while [ "$MPORT" = "$TX_PORT" ]; do MPORT=$(free_port); done
M=127.0.0.1:$MPORT

# scrape FILE: GET /metrics into FILE (headers in FILE.h); it must answer 200 text/plain 0.0.4.
scrape() {
	local code
	code=$(curl -sS --max-time 5 -D "$1.h" -o "$1" -w '%{http_code}' "http://$M/metrics") ||
		fail "curl could not scrape http://$M/metrics"
	[ "$code" = 200 ] || fail "GET /metrics answered $code"
	grep -qi '^Content-Type: text/plain; version=0\.0\.4' "$1.h" ||
		{ cat "$1.h" >&2; fail "GET /metrics: not text/plain; version=0.0.4 (headers above)"; }
}

# parses FILE: the page is exposition format: samples, HELP and TYPE lines only; each
# sample's family has HELP and TYPE before it; counters end in _total.
parses() {
	awk '
	function bad(why) { printf "line %d: %s: %s\n", NR, why, $0; err = 1 }
	/^# HELP tongxind_[a-z_]+ [^ ]/ { help[$3] = 1; next }
	/^# TYPE tongxind_[a-z_]+ (counter|gauge|histogram)$/ {
		if (!($3 in help)) bad("TYPE before HELP")
		type[$3] = $4
		if ($4 == "counter" && $3 !~ /_total$/) bad("a counter not ending in _total")
		next
	}
	/^#/ { bad("a comment that is neither HELP nor TYPE"); next }
	{
		lab = "[a-z_]+=\"([^\"\\\\\n]|\\\\[\\\\\"n])*\""
		if ($0 !~ "^tongxind_[a-z_]+(\\{" lab "(," lab ")*\\})? (-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|\\+Inf)$") {
			bad("not name{labels} value"); next
		}
		name = $0; sub(/[{ ].*/, "", name)
		fam = name
		if (!(fam in type)) sub(/_(bucket|sum|count)$/, "", fam)
		if (!(fam in help) || !(fam in type)) bad("no HELP and TYPE for " name)
		else if (fam != name && type[fam] != "histogram") bad(name " is not of a histogram")
		n++
	}
	END { if (n < 40) { print "only " n " samples"; err = 1 } exit err }
	' "$1" >"$1.bad" || { cat "$1.bad" >&2; fail "$1 is not exposition format (above)"; }
}

# val FILE SERIES: the value of the sample named exactly SERIES (name{labels}).
val() {
	# (through the environment: awk -v would undo the label escapes)
	S=$2 awk 'BEGIN { s = ENVIRON["S"] } index($0, s " ") == 1 && length($0) > length(s) + 1 { print substr($0, length(s) + 2); f = 1 }
	END { exit !f }' "$1" || fail "no sample $2 in $1"
}

# scrape_idle FILE: scrape into FILE once no session is open (a connection
# just closed, the port probe's or a client's, may still be counted for a moment).
scrape_idle() {
	for _ in $(seq 40); do
		scrape "$1"
		[ "$(val "$1" tongxind_sessions_open)" = 0 ] && return 0
		sleep 0.05
	done
}

# is VALUE WANT WHAT: VALUE must be the number WANT.
is() {
	[ "$1" = "$2" ] || fail "$3: $1, expected $2"
}

# moved BEFORE AFTER WANT WHAT: AFTER - BEFORE must be WANT (">0": positive).
moved() {
	local d=$(($2 - $1))
	if [ "$3" = ">0" ]; then
		[ "$d" -gt 0 ] || fail "$4 did not move ($1 -> $2)"
	else
		[ "$d" -eq "$3" ] || fail "$4 moved by $d ($1 -> $2), expected $3"
	fi
}

step "a data directory with metrics_listen"
run "$D/init.out" "$TONGXIND" init "$D/srv" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init"
cp "$D/srv/tongxind.conf" "$D/orig.conf"
printf 'metrics_listen = %s\n' "$M" >>"$D/srv/tongxind.conf"
mline=$(wc -l <"$D/srv/tongxind.conf")
run "$D/check.out" "$TONGXIND" check "$D/srv"
expect_rc 0 "tongxind check with metrics_listen"
grep -qE "^metrics_listen = $M +# $D/srv/tongxind.conf:$mline\$" "$D/check.out" ||
	{ cat "$D/check.out" >&2; fail "check does not show metrics_listen with its line"; }
run "$D/enroll.out" "$TONGXIND" enroll "$D/srv" --org JD01 --device admin1 --admin \
	--out "$D/admin.bundle"
expect_rc 0 "tongxind enroll admin1"
# An office whose name needs the label escapes (a double quote, a backslash), and one to revoke.
odd='社区"一"\办'
run "$D/enroll2.out" "$TONGXIND" enroll "$D/srv" --org JD01 --device "$odd" --out "$D/odd.bundle"
expect_rc 0 "tongxind enroll $odd"
run "$D/enroll3.out" "$TONGXIND" enroll "$D/srv" --org JD01 --device gone --out "$D/gone.bundle"
expect_rc 0 "tongxind enroll gone"

step "the page at start"
start_server "$D/srv"
wait_for_text "$TX_SERVER_LOG" "metrics on http://$M/metrics"
# start_server's probe of the port is a connection without TLS: wait until it is closed.
scrape_idle "$D/p0"
parses "$D/p0"
is "$(val "$D/p0" tongxind_sessions_open)" 0 "sessions open at start"
is "$(val "$D/p0" 'tongxind_handshakes_total{result="ok"}')" 0 "handshakes ok at start"
is "$(val "$D/p0" tongxind_pushes_total)" 0 "pushes at start"
for r in applied merged conflict rejected known; do
	is "$(val "$D/p0" "tongxind_transactions_total{result=\"$r\"}")" 0 "$r transactions at start"
done
for h in push pull; do
	is "$(val "$D/p0" "tongxind_${h}_duration_seconds_count")" 0 "${h}_duration_seconds_count at start"
	is "$(val "$D/p0" "tongxind_${h}_duration_seconds_bucket{le=\"+Inf\"}")" 0 "$h +Inf bucket at start"
done
is "$(val "$D/p0" tongxind_received_bytes_total)" 0 "bytes received at start"
is "$(val "$D/p0" tongxind_sent_bytes_total)" 0 "bytes sent at start"
is "$(val "$D/p0" tongxind_conflicts_open)" 0 "open conflicts at start"
expect_not_contains "$D/p0" "tongxind_device_last_sync_age_seconds{"
for r in tls revoked limit hello; do
	val "$D/p0" "tongxind_handshakes_total{result=\"refused\",reason=\"$r\"}" >/dev/null
done

step "a device syncs, a stranger is refused"
mark=$(log_mark)
run "$D/join.out" "$TONGXIN" --replica "$D/a.db" join "$D/admin.bundle"
expect_rc 0 "tongxin join"
run "$D/sync1.out" "$TONGXIN" --replica "$D/a.db" sync
expect_rc 0 "the first sync"
# tongxind revoke, another process, empties the WAL as it closes the database: before the push.
for dev in odd gone; do
	run "$D/join-$dev.out" "$TONGXIN" --replica "$D/$dev.db" join "$D/$dev.bundle"
	expect_rc 0 "tongxin join $dev"
	run "$D/sync-$dev.out" "$TONGXIN" --replica "$D/$dev.db" sync
	expect_rc 0 "the first sync of $dev"
done
run "$D/revoke.out" "$TONGXIND" revoke "$D/srv" --device gone
expect_rc 0 "tongxind revoke gone"
run "$D/sync-revoked.out" "$TONGXIN" --replica "$D/gone.db" sync
[ "$TX_RC" != 0 ] || fail "a revoked device synced"
run "$D/org.out" "$TONGXIN" --replica "$D/a.db" org add --code SQ01 --name 和平社区 --kind community
expect_rc 0 "tongxin org add SQ01"
run "$D/sync2.out" "$TONGXIN" --replica "$D/a.db" sync
expect_rc 0 "the sync of org add"
expect_contains "$D/sync2.out" "1 applied"
# A client whose certificate no CA of the street signed: refused in the TLS handshake.
stranger_tls
scrape_idle "$D/p1"
parses "$D/p1"
log_since "$mark" >"$D/log1"
hellos=$(grep -c ': hello (client ' "$D/log1" || true)
pushes=$(grep -c ': push: [0-9]* applied' "$D/log1" || true)
applied=$(sed -n 's/.*: push: \([0-9]*\) applied.*/\1/p' "$D/log1" | awk '{ s += $1 } END { print s + 0 }')
pulls=$(grep -c ': pull: [0-9]* rows sent' "$D/log1" || true)
[ "$hellos" -ge 4 ] && [ "$pushes" -ge 1 ] && [ "$pulls" -ge 2 ] ||
	fail "the log shows $hellos hellos, $pushes pushes, $pulls pulls"
is "$(val "$D/p1" tongxind_sessions_open)" 0 "sessions open after the syncs"
moved "$(val "$D/p0" 'tongxind_handshakes_total{result="ok"}')" \
	"$(val "$D/p1" 'tongxind_handshakes_total{result="ok"}')" "$hellos" "handshakes ok"
moved "$(val "$D/p0" 'tongxind_handshakes_total{result="refused",reason="tls"}')" \
	"$(val "$D/p1" 'tongxind_handshakes_total{result="refused",reason="tls"}')" ">0" \
	"handshakes refused (tls)"
moved "$(val "$D/p0" 'tongxind_handshakes_total{result="refused",reason="revoked"}')" \
	"$(val "$D/p1" 'tongxind_handshakes_total{result="refused",reason="revoked"}')" 1 \
	"handshakes refused (revoked)"
is "$(val "$D/p1" 'tongxind_handshakes_total{result="refused",reason="limit"}')" 0 \
	"handshakes refused at accept"
moved "$(val "$D/p0" tongxind_pushes_total)" "$(val "$D/p1" tongxind_pushes_total)" "$pushes" \
	"pushes_total"
moved 0 "$(val "$D/p1" 'tongxind_transactions_total{result="applied"}')" "$applied" \
	"applied transactions"
[ "$applied" -ge 1 ] || fail "the log shows no applied transaction"
is "$(val "$D/p1" 'tongxind_transactions_total{result="rejected"}')" 0 "rejected transactions"
moved 0 "$(val "$D/p1" tongxind_push_duration_seconds_count)" "$pushes" "push_duration_seconds_count"
moved 0 "$(val "$D/p1" tongxind_pull_duration_seconds_count)" "$pulls" "pull_duration_seconds_count"
is "$(val "$D/p1" 'tongxind_pull_duration_seconds_bucket{le="+Inf"}')" "$pulls" \
	"the pull histogram's +Inf bucket"
# The buckets are cumulative: never fewer below a larger bound.
awk '/^tongxind_(push|pull)_duration_seconds_bucket/ { n = $NF; split($0, a, "{"); f = a[1]
	if (f == last && n < prev) { print "not cumulative: " $0; exit 1 } last = f; prev = n }' \
	"$D/p1" || fail "a histogram's buckets are not cumulative"
moved 0 "$(val "$D/p1" tongxind_received_bytes_total)" ">0" "received_bytes_total"
moved 0 "$(val "$D/p1" tongxind_sent_bytes_total)" ">0" "sent_bytes_total"
age=$(val "$D/p1" 'tongxind_device_last_sync_age_seconds{device="admin1"}')
awk -v a="$age" 'BEGIN { exit !(a >= 0 && a < 60) }' || fail "admin1's last sync $age s ago"
# Label values escape backslash and double quote (the exposition format's rule).
val "$D/p1" 'tongxind_device_last_sync_age_seconds{device="社区\"一\"\\办"}' >/dev/null
expect_not_contains "$D/p1" 'device="gone"'
moved 0 "$(val "$D/p1" tongxind_database_bytes)" ">0" "database_bytes"
moved 0 "$(val "$D/p1" tongxind_wal_bytes)" ">0" "wal_bytes"
[ "$(val "$D/p1" tongxind_database_bytes)" = "$(stat -c %s "$D/srv/tongxind.db")" ] ||
	fail "database_bytes is not the size of tongxind.db"

step "other paths, methods and oversized requests"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://$M/other")
is "$code" 404 "GET /other"
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -X POST --data x=1 "http://$M/metrics")
is "$code" 405 "POST /metrics"
big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://$M/metrics" || true)
[ "$code" != 200 ] || fail "a request with 20 KB of headers was served"
scrape "$D/p2"   # still serving

step "SIGHUP: a new metrics_listen takes a restart; refusals at accept are counted"
mark=$(log_mark)
sed -i "s|^metrics_listen = .*|metrics_listen = [::1]:$MPORT|" "$D/srv/tongxind.conf"
printf 'new_connections_per_second = 1\n' >>"$D/srv/tongxind.conf"
kill -HUP "$TX_SERVER_PID"
wait_for_text "$TX_SERVER_LOG" "metrics_listen change at the next start"
wait_for_text "$TX_SERVER_LOG" "1 new connections per second from one address"
# Four connections at once from one address, with a burst of one: three or more closed at accept.
for _ in 1 2 3 4; do (exec 3<>"/dev/tcp/127.0.0.1/$TX_PORT") 2>/dev/null || true; done
scrape "$D/p3"   # the page stays where it was until then
lim=$(val "$D/p3" 'tongxind_handshakes_total{result="refused",reason="limit"}')
[ "$lim" -ge 3 ] || fail "refused at accept: $lim, expected 3 or more"
stop_server

step "check and serve refuse a metrics_listen that is not loopback"
for bad in "0.0.0.0:$MPORT" "192.0.2.1:$MPORT" "[::]:$MPORT" "localhost:$MPORT"; do
	cp "$D/orig.conf" "$D/srv/tongxind.conf"
	printf 'metrics_listen = %s\n' "$bad" >>"$D/srv/tongxind.conf"
	want="$D/srv/tongxind.conf:$mline: metrics_listen must be a loopback address (127.0.0.0/8 or ::1), not \"$bad\""
	run "$D/check-bad.out" "$TONGXIND" check "$D/srv"
	expect_rc 1 "tongxind check with metrics_listen = $bad"
	expect_contains "$D/check-bad.out" "$want"
	run "$D/serve-bad.out" "$TONGXIND" serve "$D/srv" --listen "$TX_ADDR"
	expect_rc 1 "tongxind serve with metrics_listen = $bad"
	expect_contains "$D/serve-bad.out" "$want"
done
cp "$D/orig.conf" "$D/srv/tongxind.conf"
printf 'metrics_listen = 127.0.0.1\n' >>"$D/srv/tongxind.conf"
run "$D/check-port.out" "$TONGXIND" check "$D/srv"
expect_rc 1 "tongxind check with metrics_listen without a port"
expect_contains "$D/check-port.out" "tongxind.conf:$mline: metrics_listen must be HOST:PORT"

step "serve says so when the metrics address is taken"
cp "$D/orig.conf" "$D/srv/tongxind.conf"
printf 'metrics_listen = %s\n' "$TX_ADDR" >>"$D/srv/tongxind.conf"
run "$D/serve-taken.out" "$TONGXIND" serve "$D/srv" --listen "$TX_ADDR"
expect_rc 1 "tongxind serve with metrics_listen on its own listen address"
expect_contains "$D/serve-taken.out" "cannot listen for metrics on $TX_ADDR"
cp "$D/orig.conf" "$D/srv/tongxind.conf"

echo "ok: it_metrics"
