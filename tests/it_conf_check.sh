#!/bin/bash
# it_conf_check.sh - "tongxind check DIR" and the server's log (issue 12,
# items 3, 5 and 8), against golden files and a real tongxind:
#   - every tests/conf/NAME.conf put in a data directory made by tongxind
#     init gives exactly tests/conf/NAME.out (stdout and stderr, then
#     "rc=STATUS"; the directory written DIR): the settings in force with
#     the line that set each, or the first error as FILE:LINE (among them
#     the street's time_zone: time-zone.conf names one, time-zone-unknown
#     and time-zone-path name no zone this machine has);
#   - a line too long and a missing file are errors too, and check changes
#     nothing in the directory;
#   - serve refuses a configuration check refuses, with the same message;
#   - every line of the server's log says its level after a UTC timestamp;
#     --log-level warning leaves the info lines out; a refused certificate
#     is a warning that names the address;
#   - SIGHUP reads tongxind.conf again: a broken file is a warning naming
#     its line and changes nothing; a good one changes the limits and the
#     log level of the running server, which keeps serving;
#   - with stderr the journal's stream ($JOURNAL_STREAM = its device:inode)
#     lines start with their syslog priority ("<6>") and no timestamp;
#   - --version of both programs gives the protocol version and schema hash.
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
CONF_DIR=${TESTS_DIR:-$(dirname "$0")}/conf

step "a data directory"
run "$D/init.out" "$TONGXIND" init "$D/srv" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "tongxind init"
cp "$D/srv/tongxind.conf" "$D/orig.conf"

# Run check on conf file $1 in the data directory; the output, with "rc=N", to $2.
check_conf() {
	local rc=0
	cp "$1" "$D/srv/tongxind.conf"
	"$TONGXIND" check "$D/srv" >"$2" 2>&1 || rc=$?
	echo "rc=$rc" >>"$2"
	sed -i "s|$D/srv|DIR|g" "$2"
}

n=0
for conf in "$CONF_DIR"/*.conf; do
	name=$(basename "$conf" .conf)
	step "check: $name"
	[ -f "$CONF_DIR/$name.out" ] || fail "$name.conf has no golden $name.out"
	check_conf "$conf" "$D/$name.got"
	if ! diff -u "$CONF_DIR/$name.out" "$D/$name.got" >&2; then
		fail "tongxind check on $name.conf: the output differs from $name.out (above)"
	fi
	n=$((n + 1))
done
[ "$n" -ge 10 ] || fail "only $n golden configurations in $CONF_DIR"

step "a line too long, a missing file, and check changes nothing"
{ cat "$D/orig.conf"; printf 'max_sessions = 1%02000d\n' 0; } >"$D/long.conf"
check_conf "$D/long.conf" "$D/long.got"
expect_contains "$D/long.got" "DIR/tongxind.conf:$(($(wc -l <"$D/orig.conf") + 1)): line longer than"
expect_contains "$D/long.got" "rc=1"
cp "$D/orig.conf" "$D/srv/tongxind.conf"
before=$(cd "$D/srv" && ls -l --time-style=+%s.%N && md5sum ./*)
run "$D/ok.out" "$TONGXIND" check "$D/srv"
expect_rc 0 "tongxind check on the configuration init wrote"
after=$(cd "$D/srv" && ls -l --time-style=+%s.%N && md5sum ./*)
[ "$before" = "$after" ] || fail "tongxind check changed the data directory"
mv "$D/srv/server.key" "$D/server.key"
run "$D/nokey.out" "$TONGXIND" check "$D/srv"
expect_rc 1 "tongxind check without server.key"
expect_contains "$D/nokey.out" "cannot read $D/srv/server.key"
mv "$D/server.key" "$D/srv/server.key"

step "serve refuses what check refuses, with the same message"
cp "$CONF_DIR/twice.conf" "$D/srv/tongxind.conf"
run "$D/serve-bad.out" "$TONGXIND" serve "$D/srv"
expect_rc 1 "tongxind serve on a configuration with a setting given twice"
expect_contains "$D/serve-bad.out" "$D/srv/tongxind.conf:5: max_sessions is already set on line 4"
cp "$CONF_DIR/preauth.conf" "$D/srv/tongxind.conf"
run "$D/serve-limits.out" "$TONGXIND" serve "$D/srv"
expect_rc 1 "tongxind serve on limits that contradict each other"
expect_contains "$D/serve-limits.out" "$D/srv/tongxind.conf:5: max_preauth (100) must be below max_sessions (100)"
cp "$CONF_DIR/time-zone-unknown.conf" "$D/srv/tongxind.conf"
run "$D/serve-tz.out" "$TONGXIND" serve "$D/srv"
expect_rc 1 "tongxind serve on an unknown time zone"
expect_contains "$D/serve-tz.out" "$D/srv/tongxind.conf:5: unknown time zone \"Asia/Beijing\""
cp "$D/orig.conf" "$D/srv/tongxind.conf"
# Given by a flag, the contradiction names the flag.
run "$D/serve-flag.out" "$TONGXIND" serve "$D/srv" --max-preauth 2000
expect_rc 1 "tongxind serve --max-preauth 2000"
expect_contains "$D/serve-flag.out" "--max-preauth: max_preauth (2000) must be below max_sessions (1000)"
run "$D/serve-level.out" "$TONGXIND" serve "$D/srv" --log-level loud
expect_rc 2 "tongxind serve --log-level loud"
expect_contains "$D/serve-level.out" 'unknown log level "loud"'

step "every line of the log says its level"
street_up "$D/srv" "$D/a.db"
# A client whose certificate no CA of the street signed: refused in the TLS handshake.
stranger_tls
stop_server
grep -v '^=== ' "$TX_SERVER_LOG" >"$D/log.lines"
[ -s "$D/log.lines" ] || fail "the server logged nothing"
if grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z tongxind: (error|warning|info|debug|fatal): ' \
	"$D/log.lines" >"$D/log.bad"; then
	cat "$D/log.bad" >&2
	fail "log lines without a timestamp and a level (above)"
fi
expect_contains "$D/log.lines" "tongxind: info: serving street"
grep -E 'tongxind: warning: 127\.0\.0\.1:[0-9]+: TLS handshake failed: .*certificate' "$D/log.lines" \
	>/dev/null || { cat "$D/log.lines" >&2; fail "the refused certificate is not a warning naming the address"; }

step "--log-level warning leaves the info lines out"
mark=$(log_mark)
start_server "$D/srv" --log-level warning
run "$D/sync2.out" "$TONGXIN" --replica "$D/a.db" sync
expect_rc 0 "tongxin sync"
stop_server
log_since "$mark" | grep -v '^=== ' >"$D/log2.lines" || true
expect_not_contains "$D/log2.lines" "info:"

step "SIGHUP: the file read again, sessions and the port kept"
cp "$D/orig.conf" "$D/srv/tongxind.conf"
start_server "$D/srv"
pid_before=$TX_SERVER_PID
mark=$(log_mark)
# A broken file changes nothing.
printf 'idle_timeout = soon\n' >>"$D/srv/tongxind.conf"
kill -HUP "$TX_SERVER_PID"
wait_for_text "$TX_SERVER_LOG" "the settings in force are kept"
log_since "$mark" | grep -q "tongxind.conf:$(wc -l <"$D/srv/tongxind.conf"): idle_timeout must be" ||
	fail "the SIGHUP warning does not name the line of the error"
# A good one applies: the limits, and the log level (info lines stop).
cp "$D/orig.conf" "$D/srv/tongxind.conf"
printf 'idle_timeout = 42\nmax_open_conflicts = 7\nlog_level = warning\n' >>"$D/srv/tongxind.conf"
kill -HUP "$TX_SERVER_PID"
wait_for_text "$TX_SERVER_LOG" "idle 42 s; 7 open conflicts per device; log level warning"
mark=$(log_mark)
run "$D/sync3.out" "$TONGXIN" --replica "$D/a.db" sync
expect_rc 0 "a sync after SIGHUP"
server_alive && [ "$TX_SERVER_PID" = "$pid_before" ] || fail "the server did not survive SIGHUP"
log_since "$mark" >"$D/log3.lines"
expect_not_contains "$D/log3.lines" "info:"
stop_server
cp "$D/orig.conf" "$D/srv/tongxind.conf"

step "under the journal: priorities, no timestamps"
: >"$D/journal.err"
js=$(stat -c '%d:%i' "$D/journal.err")
JOURNAL_STREAM=$js "$TONGXIND" serve "$D/srv" --listen "$TX_ADDR" 2>>"$D/journal.err" &
jpid=$!
wait_for_text "$D/journal.err" "serving street"
kill -TERM "$jpid"
wait "$jpid" || fail "tongxind under the journal exited with status $? after SIGTERM"
if grep -vE '^<[0-7]>tongxind: (error|warning|info|debug|fatal): ' "$D/journal.err" >"$D/journal.bad"; then
	cat "$D/journal.bad" >&2
	fail "journal lines without a priority and a level (above)"
fi
expect_contains "$D/journal.err" "<6>tongxind: info: serving street"
expect_contains "$D/journal.err" "<6>tongxind: info: stopped cleanly"
# A JOURNAL_STREAM that is not stderr (a redirected service) keeps the timestamps.
: >"$D/other.err"
JOURNAL_STREAM=$js "$TONGXIND" serve "$D/srv" --listen "$TX_ADDR" 2>>"$D/other.err" &
jpid=$!
wait_for_text "$D/other.err" "serving street"
kill -TERM "$jpid"
wait "$jpid" || fail "tongxind exited with status $? after SIGTERM"
expect_not_contains "$D/other.err" "<6>"
grep -qE '^[0-9]{4}-.*Z tongxind: info: serving street' "$D/other.err" ||
	fail "a stderr other than the journal's lost its timestamps"

step "--version: the protocol and the schema"
hash=
for prog in "$TONGXIND" "$TONGXIN"; do
	run "$D/version.out" "$prog" --version
	expect_rc 0 "$(basename "$prog") --version"
	line=$(sed -n 2p "$D/version.out")
	[[ $line =~ ^protocol\ [0-9]+,\ schema\ [0-9a-f]{64}$ ]] ||
		fail "$(basename "$prog") --version: second line \"$line\""
	[ -z "$hash" ] || [ "$hash" = "$line" ] || fail "tongxin and tongxind disagree: $hash / $line"
	hash=$line
done

echo "ok: it_conf_check"
