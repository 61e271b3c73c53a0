# lib.sh - the shared harness of the shell integration tests (it_*.sh).
#
# Source it first:   . "$(dirname "$0")/lib.sh"
#
# It stops at the first error (set -euo pipefail), makes a private
# directory $TX_TMP (removed on exit; kept when TX_KEEP=1 or a check
# failed), picks a free loopback port $TX_PORT, and on exit kills the
# server and every background process the test started.
#
# The programs come from the environment ctest sets: TONGXIND, TONGXIN,
# TX_PROBE (and TESTS_DIR).
#
# Helpers:
#   step TEXT                      announce a step (with the elapsed time)
#   fail TEXT                      fail the test (prints the server log tail)
#   free_port                      print a free TCP port on 127.0.0.1
#   start_server DIR [ARGS...]     tongxind serve DIR --listen 127.0.0.1:$TX_PORT ARGS,
#                                  log in $TX_SERVER_LOG; waits until the port accepts
#   stop_server [SECS]             SIGTERM; the server must exit 0 within SECS (default 10)
#   server_alive                   whether the started server still runs
#   run FILE CMD...                run CMD with stdout+stderr in FILE; exit code in $TX_RC
#   expect_rc N [WHAT]             $TX_RC must be N
#   expect_contains FILE TEXT      FILE must contain TEXT (fixed string)
#   expect_not_contains FILE TEXT
#   expect_mode FILE MODE          octal permission bits, e.g. 600
#   wait_for_text FILE TEXT SECS   wait until FILE contains TEXT
#   log_mark                       print the server log's current line count
#   log_since MARK                 print the server log lines after MARK
#   bg CMD...                      start CMD in the background; killed on exit
#   known_bug TEXT                 fail, naming the product bug a check caught
#   check_char S17                 the GB 11643 check character of 17 digits
#   idn S17                        S17 and its check character: an 18-character citizen ID
#   idn_male YYYYMMDD [N]          a man's citizen ID: region 110105 (北京市朝阳区, GB/T 2260),
#   idn_female YYYYMMDD [N]        born YYYYMMDD, 17th digit odd (man) / even (woman);
#                                  N (0-498, default 0) tells people born the same day apart
#   need_browser                   chromium, node and puppeteer-core are here; sets WEB
#                                  (tests/web) and SHOTS ($TX_WEB_SHOTS or NAME.shots)
#   desk_start SECS ARGS...        "$TONGXIN" ARGS (ending with ui and its options) in the
#                                  background, its output in $TX_TMP/ui.log; waits SECS for
#                                  the one-time link; sets UI_PID and URL
#   desk_login                     opens URL as a browser would; sets B (the desk's base
#                                  URL), COOKIE, J (curl's cookie arguments) and CSRF

set -euo pipefail

: "${TONGXIND:?TONGXIND must name the tongxind program}"
: "${TONGXIN:?TONGXIN must name the tongxin program}"
: "${TX_PROBE:?TX_PROBE must name the tx_probe program}"

TX_NAME=$(basename "$0" .sh)
TX_TMP=$(mktemp -d "${TMPDIR:-/tmp}/$TX_NAME.XXXXXX")
TX_SERVER_PID=""
TX_SERVER_LOG="$TX_TMP/server.log"
TX_BG_PIDS=()
TX_FAILED=0
TX_KNOWN_BUGS=()
TX_START=$(date +%s%N)
TX_RC=0

# Whether PID is a job of this shell still: a PID kept in TX_BG_PIDS or
# TX_SERVER_PID whose process has ended and been waited for may belong to
# another test by now (PIDs are reused, and quickly when ctest runs several
# tests), and killing it killed that test without a word.
_tx_ours() {
	case " $(jobs -p | tr '\n' ' ') " in *" $1 "*) return 0 ;; esac
	return 1
}

_tx_cleanup() {
	local rc=$?
	set +e
	for pid in "${TX_BG_PIDS[@]}"; do
		_tx_ours "$pid" && kill "$pid" 2>/dev/null
	done
	if [ -n "$TX_SERVER_PID" ] && _tx_ours "$TX_SERVER_PID" &&
	    kill -0 "$TX_SERVER_PID" 2>/dev/null; then
		kill -TERM "$TX_SERVER_PID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$TX_SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$TX_SERVER_PID" 2>/dev/null
	fi
	for pid in "${TX_BG_PIDS[@]}" $TX_SERVER_PID; do
		wait "$pid" 2>/dev/null
	done
	if [ ${#TX_KNOWN_BUGS[@]} -gt 0 ]; then
		echo "$TX_NAME: ${#TX_KNOWN_BUGS[@]} known product bug(s) seen (not failing; TX_STRICT=1 fails on them):" >&2
		for b in "${TX_KNOWN_BUGS[@]}"; do
			echo "  - $b" >&2
		done
	fi
	if [ "$rc" -ne 0 ] || [ "$TX_FAILED" -ne 0 ] || [ "${TX_KEEP:-0}" = 1 ]; then
		echo "$TX_NAME: files kept in $TX_TMP" >&2
	else
		rm -rf "$TX_TMP"
	fi
	exit "$rc"
}
trap _tx_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

_tx_elapsed() {
	local now
	now=$(date +%s%N)
	printf '%d.%03d' $(((now - TX_START) / 1000000000)) $((((now - TX_START) / 1000000) % 1000))
}

step() {
	echo "[$(_tx_elapsed)s] $*"
}

fail() {
	TX_FAILED=1
	echo "FAIL: $TX_NAME: $*" >&2
	if [ -n "$TX_SERVER_PID" ] && ! kill -0 "$TX_SERVER_PID" 2>/dev/null; then
		echo "  (tongxind pid $TX_SERVER_PID is no longer running: it crashed or was killed from outside)" >&2
	fi
	if [ -s "$TX_SERVER_LOG" ]; then
		echo "--- last lines of the server log ($TX_SERVER_LOG):" >&2
		tail -n 25 "$TX_SERVER_LOG" >&2
	fi
	exit 1
}

# A product bug a check was written against: it fails the test like any other.
known_bug() {
	fail "product bug: $*"
}

# A free port: ask the OS through tx_probe; else probe with bash's /dev/tcp.
free_port() {
	local p
	if p=$("$TX_PROBE" freeport 2>/dev/null) && [ -n "$p" ]; then
		echo "$p"
		return 0
	fi
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	fail "no free port found"
}

TX_PORT=$(free_port)
[ -n "$TX_PORT" ] || fail "no free port"
TX_ADDR="127.0.0.1:$TX_PORT"

# Whether something accepts TCP connections on $TX_PORT.
_tx_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$TX_PORT") 2>/dev/null
}

server_alive() {
	[ -n "$TX_SERVER_PID" ] && kill -0 "$TX_SERVER_PID" 2>/dev/null
}

start_server() {
	local dir=$1
	shift
	if server_alive; then
		fail "start_server: a server is already running (pid $TX_SERVER_PID)"
	fi
	echo "=== $TONGXIND serve $dir --listen $TX_ADDR $*" >>"$TX_SERVER_LOG"
	"$TONGXIND" serve "$dir" --listen "$TX_ADDR" "$@" >>"$TX_SERVER_LOG" 2>&1 &
	TX_SERVER_PID=$!
	for _ in $(seq 200); do
		if ! kill -0 "$TX_SERVER_PID" 2>/dev/null; then
			fail "tongxind serve exited during start-up"
		fi
		if _tx_port_open; then
			return 0
		fi
		sleep 0.05
	done
	fail "tongxind serve did not accept connections on $TX_ADDR within 10 s"
}

# SIGTERM the server; it must exit with status 0 within $1 seconds (default 10).
# Sets TX_STOP_MS to how long it took.
stop_server() {
	local secs=${1:-10} t0 t1 rc=0
	server_alive || fail "stop_server: the server is not running (it died earlier?)"
	t0=$(date +%s%N)
	kill -TERM "$TX_SERVER_PID"
	for _ in $(seq $((secs * 20))); do
		kill -0 "$TX_SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$TX_SERVER_PID" 2>/dev/null; then
		fail "tongxind did not exit within $secs s of SIGTERM"
	fi
	t1=$(date +%s%N)
	wait "$TX_SERVER_PID" || rc=$?
	# shellcheck disable=SC2034 # read by the tests
	TX_STOP_MS=$(((t1 - t0) / 1000000))
	TX_SERVER_PID=""
	[ "$rc" -eq 0 ] || fail "tongxind exited with status $rc after SIGTERM (want 0)"
}

run() {
	local out=$1
	shift
	TX_RC=0
	"$@" >"$out" 2>&1 || TX_RC=$?
}

expect_rc() {
	local want=$1 what=${2:-the command}
	if [ "$TX_RC" -ne "$want" ]; then
		fail "$what exited with $TX_RC, want $want"
	fi
}

expect_contains() {
	local file=$1 text=$2
	if ! grep -qF -- "$text" "$file"; then
		echo "--- $file:" >&2
		cat "$file" >&2
		fail "$(basename "$file") does not contain \"$text\""
	fi
}

expect_not_contains() {
	local file=$1 text=$2
	if grep -qF -- "$text" "$file"; then
		echo "--- $file:" >&2
		cat "$file" >&2
		fail "$(basename "$file") contains \"$text\""
	fi
}

expect_mode() {
	local file=$1 want=$2 got
	got=$(stat -c %a "$file") || fail "cannot stat $file"
	[ "$got" = "$want" ] || fail "$file has mode $got, want $want"
}

wait_for_text() {
	local file=$1 text=$2 secs=${3:-10}
	for _ in $(seq $((secs * 20))); do
		if [ -f "$file" ] && grep -qF -- "$text" "$file"; then
			return 0
		fi
		sleep 0.05
	done
	[ -f "$file" ] && { echo "--- $file:" >&2; cat "$file" >&2; }
	fail "\"$text\" did not appear in $(basename "$file") within $secs s"
}

log_mark() {
	if [ -f "$TX_SERVER_LOG" ]; then
		wc -l <"$TX_SERVER_LOG"
	else
		echo 0
	fi
}

log_since() {
	tail -n +$(($1 + 1)) "$TX_SERVER_LOG"
}

bg() {
	"$@" &
	TX_BG_PIDS+=($!)
}

# The GB 11643 check character (ISO 7064 MOD 11-2) of the 17 digits $1.
check_char() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) m=10X98765432 sum=0 i
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * w[i])); done
	echo "${m:sum % 11:1}"
}

# The 17 digits $1 followed by their check character.
idn() { echo "$1$(check_char "$1")"; }

# A citizen ID that obeys every rule the client and server check: a real
# GB/T 2260 region (110105, 北京市朝阳区), the birth date $1 and a 17th digit
# that says the gender (odd for a man, even for a woman). $2 (0-498) makes
# the sequence differ for people born the same day.
idn_male() {
	local n=${2:-0}
	idn "110105$1$(printf '%03d' $((2 * 10#$n + 1)))"
}
idn_female() {
	local n=${2:-0}
	idn "110105$1$(printf '%03d' $((2 * 10#$n + 2)))"
}

# The web desk's browser tests need chromium, node and puppeteer-core.
# street_up SRV DB: the street 和平街道 served from the data directory SRV
# (made by tongxind init unless it holds a tongxind.conf already), its
# administrator's device admin1 enrolled ($TX_TMP/admin.bundle) and joined
# as the replica DB, the server started, and a first sync made.
street_up() {
	local srv=$1 db=$2
	if [ ! -f "$srv/tongxind.conf" ]; then
		run "$TX_TMP/init.out" "$TONGXIND" init "$srv" --street 和平街道 --listen "$TX_ADDR"
		expect_rc 0 "tongxind init"
	fi
	run "$TX_TMP/enroll.out" "$TONGXIND" enroll "$srv" --org JD01 --device admin1 --admin \
		--out "$TX_TMP/admin.bundle"
	expect_rc 0 "tongxind enroll admin1"
	start_server "$srv"
	run "$TX_TMP/join.out" "$TONGXIN" --replica "$db" join "$TX_TMP/admin.bundle"
	expect_rc 0 "tongxin join"
	run "$TX_TMP/sync.out" "$TONGXIN" --replica "$db" sync
	expect_rc 0 "the first sync"
}

# two_communities SRV DB: street_up SRV DB, then the street's administrator
# (replica DB) adds 和平社区 SQ01 and 幸福社区 SQ02, each with a residential
# branch (SQ01-01, SQ02-01), and syncs them up.
two_communities() {
	local srv=$1 db=$2 c code name
	street_up "$srv" "$db"
	for c in "SQ01 和平社区" "SQ02 幸福社区"; do
		code=${c%% *} name=${c#* }
		run "$TX_TMP/org.out" "$TONGXIN" --replica "$db" org add --code "$code" \
			--name "$name" --kind community
		expect_rc 0 "org add $code"
		run "$TX_TMP/org.out" "$TONGXIN" --replica "$db" org add --code "$code-01" \
			--name "${name}第一支部" --kind branch --parent "$code" --branch-type residential
		expect_rc 0 "org add $code-01"
	done
	run "$TX_TMP/sync.out" "$TONGXIN" --replica "$db" sync -q
	expect_rc 0 "the administrator's sync of the communities"
}

# office_up SRV DEVICE ORG DB: enrol DEVICE for organisation ORG (its bundle
# is TX_TMP/DEVICE.bundle), join replica DB from it and sync.
office_up() {
	local srv=$1 dev=$2 org=$3 db=$4
	run "$TX_TMP/enroll.out" "$TONGXIND" enroll "$srv" --org "$org" --device "$dev" \
		--out "$TX_TMP/$dev.bundle"
	expect_rc 0 "enroll $dev"
	run "$TX_TMP/join.out" "$TONGXIN" --replica "$db" join "$TX_TMP/$dev.bundle"
	expect_rc 0 "join $dev"
	run "$TX_TMP/sync.out" "$TONGXIN" --replica "$db" sync -q
	expect_rc 0 "the first sync of $dev"
}

# stranger_tls: a TLS 1.3 client whose certificate no CA of the street signed
# (self-signed, made here) connects to the running server, which must refuse
# it in the handshake; returns once the server has logged the failure.
stranger_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=stranger \
		-days 1 -keyout "$TX_TMP/stranger.key" -out "$TX_TMP/stranger.crt" 2>/dev/null ||
		fail "openssl req could not make a certificate"
	timeout 10 openssl s_client -connect "$TX_ADDR" -tls1_3 -cert "$TX_TMP/stranger.crt" \
		-key "$TX_TMP/stranger.key" </dev/null >"$TX_TMP/stranger.out" 2>&1 || true
	wait_for_text "$TX_SERVER_LOG" "TLS handshake failed"
}

# member_csv N BRANCH_FORMAT NBRANCHES: a member import file of N members on
# stdout. Row k: name 党员 + k spelt A-J (党员AAAAA, 党员AAAAB, ...), a citizen
# ID of region 320102 (GB/T 2260) whose date and sequence come from a
# bijection of k (IDs arrive in no order, all different up to 16.8 million),
# the branch printf(BRANCH_FORMAT, 1 + k % NBRANCHES), phone 139 + k.
member_csv() {
	awk -v n="$1" -v bf="$2" -v nb="$3" 'BEGIN {
	split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
	print "姓名,性别,民族,公民身份号码,学历,人员类别,所在党支部,入党日期,联系电话"
	for (k = 0; k < n; k++) {
		j = (k * 1000003) % 16800000
		di = j % 16800; sq = int(j / 16800)
		y = 1940 + di % 50; m = 1 + int(di / 50) % 12; d = 1 + int(di / 600) % 28
		s = sprintf("320102%04d%02d%02d%03d", y, m, d, sq)
		sum = 0
		for (i = 1; i <= 17; i++) sum += substr(s, i, 1) * w[i]
		ds = sprintf("%05d", k); nm = "党员"
		for (i = 1; i <= 5; i++) nm = nm substr("ABCDEFGHIJ", substr(ds, i, 1) + 1, 1)
		printf "%s,%s,汉族,%s%s,%s,%s," bf ",%04d-%02d-%02d,139%08d\n", nm,
		    (sq % 2 ? "男" : "女"), s, substr("10X98765432", sum % 11 + 1, 1),
		    (k % 3 ? "本科" : "初中"), (k % 10 ? "正式党员" : "预备党员"), 1 + k % nb,
		    y + 25, m, d, k
	}
}'
}

need_browser() {
	WEB=$TESTS_DIR/web
	[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing: run scripts/deps.sh (apt-get install chromium fonts-noto-cjk)"
	command -v node >/dev/null || fail "node is missing (Node.js 18 or later)"
	[ -d "$WEB/node_modules/puppeteer-core" ] ||
		fail "puppeteer-core is missing: run scripts/deps.sh (npm ci in tests/web)"
	SHOTS=${TX_WEB_SHOTS:-$PWD/$TX_NAME.shots}
}

# Start the desk ("$TONGXIN" "$@" with the verb ui) and wait for its link.
desk_start() {
	local secs=$1
	shift
	"$TONGXIN" "$@" >"$TX_TMP/ui.log" 2>&1 &
	UI_PID=$!
	TX_BG_PIDS+=("$UI_PID")
	wait_for_text "$TX_TMP/ui.log" "token=" "$secs"
	URL=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$TX_TMP/ui.log" | head -n 1)
	[ -n "$URL" ] || fail "no token URL in the desk's output: $(cat "$TX_TMP/ui.log")"
}

# Log in to the started desk with its one-time link, as curl.
desk_login() {
	B=${URL%%/?token=*}
	curl -s -o /dev/null -D "$TX_TMP/login" "$URL"
	COOKIE=$(sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/ip' "$TX_TMP/login" | tr -d '\r')
	[ -n "$COOKIE" ] || fail "the desk's one-time link set no cookie"
	J=(-H "Cookie: $COOKIE")
	CSRF=$(curl -s "${J[@]}" "$B/api/session" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf"])')
	[ ${#CSRF} = 64 ] || fail "no CSRF token from /api/session"
}
