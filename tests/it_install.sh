#!/bin/bash
# it_install.sh - installing and running as an operator would (issue 12,
# items 1 and 2): "cmake --install" of this build into a staging root
# (DESTDIR, prefix /usr) puts tongxind in sbin, tongxin in bin, the manual
# pages, the systemd unit, the sysusers entry and a sample tongxind.conf in
# their places; the installed programs run a street end to end (init,
# check, enroll, serve, join, sync); the installed sample configuration
# passes "tongxind check"; the unit names the installed tongxind and passes
# "systemd-analyze verify" where systemd-analyze is installed; and tongxind
# tells systemd READY=1 once it listens and STOPPING=1 when SIGTERM comes
# ($NOTIFY_SOCKET, Type=notify).
#
# Run by ctest (TONGXIND, TONGXIN, TX_PROBE set). TX_KEEP=1 keeps the files.

. "${TESTS_DIR:-$(dirname "$0")}/lib.sh"

D=$TX_TMP
BUILD=$(cd "$(dirname "$TONGXIND")" && pwd)
R=$D/root

step "cmake --install into a staging root"
run "$D/install.out" env DESTDIR="$R" cmake --install "$BUILD" --prefix /usr
expect_rc 0 "cmake --install"
for f in usr/sbin/tongxind usr/bin/tongxin; do
	[ -x "$R/$f" ] || fail "cmake --install did not install $f"
done
for f in usr/lib/systemd/system/tongxind.service usr/lib/sysusers.d/tongxin.conf \
	usr/share/doc/tongxin/examples/tongxind.conf; do
	[ -f "$R/$f" ] || fail "cmake --install did not install $f"
done
# Every page in docs/man is installed in its section.
n=0
for page in "${TESTS_DIR:-$(dirname "$0")}"/../docs/man/*.[158]; do
	[ -f "$page" ] || continue
	name=$(basename "$page")
	[ -f "$R/usr/share/man/man${name##*.}/$name" ] || fail "cmake --install did not install $name"
	n=$((n + 1))
done
echo "# $n manual pages installed"
cmp -s "$R/usr/sbin/tongxind" "$TONGXIND" || fail "the installed tongxind is not this build's"

step "the installed programs run a street"
TXD=$R/usr/sbin/tongxind
TX=$R/usr/bin/tongxin
run "$D/init.out" "$TXD" init "$D/srv" --street 和平街道 --listen "$TX_ADDR"
expect_rc 0 "the installed tongxind init"
run "$D/check.out" "$TXD" check "$D/srv"
expect_rc 0 "the installed tongxind check"
expect_contains "$D/check.out" "the configuration is valid"
run "$D/enroll.out" "$TXD" enroll "$D/srv" --org JD01 --device admin1 --admin --out "$D/admin.bundle"
expect_rc 0 "the installed tongxind enroll"
TONGXIND=$TXD start_server "$D/srv"
run "$D/join.out" "$TX" --replica "$D/a.db" join "$D/admin.bundle"
expect_rc 0 "the installed tongxin join"
run "$D/sync.out" "$TX" --replica "$D/a.db" sync
expect_rc 0 "the installed tongxin sync"
expect_contains "$D/sync.out" "同步完成"
run "$D/org.out" "$TX" --replica "$D/a.db" org add --code SQ01 --name 和平社区 --kind community
expect_rc 0 "tongxin org add"
run "$D/sync2.out" "$TX" --replica "$D/a.db" sync
expect_rc 0 "the second sync"
expect_contains "$D/sync2.out" "1 applied"
stop_server

step "the sample configuration passes check"
mkdir -m 700 "$D/sample"
cp "$D/srv"/*.crt "$D/srv"/*.key "$D/srv"/tongxind.db "$D/sample/"
cp "$R/usr/share/doc/tongxin/examples/tongxind.conf" "$D/sample/tongxind.conf"
run "$D/sample.out" "$TXD" check "$D/sample"
expect_rc 0 "tongxind check on the installed sample tongxind.conf"

step "the unit"
U=$R/usr/lib/systemd/system/tongxind.service
expect_contains "$U" "ExecStart=/usr/sbin/tongxind serve /var/lib/tongxin"
expect_contains "$U" "ExecStartPre=/usr/sbin/tongxind check /var/lib/tongxin"
expect_contains "$U" "Type=notify"
if command -v systemd-analyze >/dev/null 2>&1 && [ -d /usr/lib/systemd/system ]; then
	# The staging root has no systemd of its own: the targets the unit is ordered
	# against come from the host. --man=no: the pages are not installed on the host.
	mkdir -p "$D/vroot"
	cp -a "$R/." "$D/vroot/"
	cp -a /usr/lib/systemd/system/*.target "$D/vroot/usr/lib/systemd/system/"
	# ExecReload's /bin/kill, as on a Debian system (/bin is /usr/bin).
	mkdir -p "$D/vroot/usr/bin"
	cp "$(readlink -f /bin/kill)" "$D/vroot/usr/bin/kill"
	ln -s usr/bin "$D/vroot/bin"
	run "$D/verify.out" systemd-analyze verify --man=no --root="$D/vroot" \
		/usr/lib/systemd/system/tongxind.service
	if [ "$TX_RC" -ne 0 ] || [ -s "$D/verify.out" ]; then
		cat "$D/verify.out" >&2
		fail "systemd-analyze verify finds fault with tongxind.service (status $TX_RC, above)"
	fi
else
	echo "# systemd-analyze is not installed: the unit is not verified"
fi

step "readiness: READY=1 once listening, RELOADING=1 and READY=1 on SIGHUP, STOPPING=1 on SIGTERM"
python3 - "$D/notify.sock" "$D/notify.log" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "a") as log:
    try:
        while True:
            msg = s.recv(4096).decode()
            log.write(msg.replace("\n", " ") + "\n")
            log.flush()
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
listener=$!
for _ in $(seq 100); do [ -S "$D/notify.sock" ] && break; sleep 0.05; done
[ -S "$D/notify.sock" ] || fail "the test's notify socket did not appear"
NOTIFY_SOCKET=$D/notify.sock "$TXD" serve "$D/srv" --listen "$TX_ADDR" 2>"$D/notify.err" &
npid=$!
wait_for_text "$D/notify.log" "READY=1"
_tx_port_open || fail "tongxind said READY=1 before its port was open"
kill -HUP "$npid"
wait_for_text "$D/notify.log" "RELOADING=1"
for _ in $(seq 100); do [ "$(grep -c 'READY=1' "$D/notify.log")" -ge 2 ] && break; sleep 0.05; done
[ "$(grep -c 'READY=1' "$D/notify.log")" -ge 2 ] || fail "no READY=1 after the reload"
kill -TERM "$npid"
wait "$npid" || fail "tongxind exited with status $? after SIGTERM"
wait "$listener" || true
expect_contains "$D/notify.log" "STOPPING=1"

echo "ok: it_install"
