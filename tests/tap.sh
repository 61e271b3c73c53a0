#!/usr/bin/env bash
# tap.sh - what it_conflicts.sh and it_transfer.sh share: a work directory
# removed at the end (TX_KEEP=1 keeps it), TAP-style assertions that count
# passes and failures (ok, bad, expect_rc, contains, lacks, equals, must),
# citizen ID numbers, replicas by name under $W, and a street's tongxind
# on a free loopback port that goes when the script goes.
#
# Source it with TAP_NAME set to the test's name. Environment (set by
# ctest): TONGXIN, TONGXIND.
set -u

for v in TONGXIN TONGXIND; do
	if [ -z "${!v:-}" ] || [ ! -x "${!v}" ]; then
		echo "$TAP_NAME: set $v to the built program" >&2
		exit 1
	fi
done
command -v sqlite3 >/dev/null || { echo "$TAP_NAME: needs the sqlite3 shell" >&2; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/$TAP_NAME.XXXXXX") || exit 1
SERVER_PID="" WATCHDOG_PID="" NPASS=0 NFAIL=0 T0=$SECONDS

cleanup() {
	local rc=$?
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	[ -n "$WATCHDOG_PID" ] && kill "$WATCHDOG_PID" 2>/dev/null
	if [ "$NFAIL" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "--- tongxind log (last 30 lines) ---"
		tail -n 30 "$W/tongxind.log" 2>/dev/null
	fi
	if [ -n "${TX_KEEP:-}" ]; then echo "(work directory kept: $W)"; else rm -rf "$W"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- assertions -------------------------------------------------------------

tx() { local n=$1; shift; "$TONGXIN" --replica "$W/$n.db" "$@"; }
run() { OUT=$("$@" 2>&1); RC=$?; }
ok() { NPASS=$((NPASS + 1)); echo "ok   - $1"; }
bad() {
	NFAIL=$((NFAIL + 1))
	echo "FAIL - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/     | /'
	return 1
}
section() { echo; echo "# $*"; }
# expect_rc CODE DESC CMD...: run CMD (output in $OUT) and check its exit code.
expect_rc() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$RC" -eq "$want" ]; then ok "$desc"; else bad "$desc (exit $RC, expected $want)" "\$ $*" "$OUT"; fi
}
# contains DESC TEXT NEEDLE...: every needle occurs in TEXT (fixed strings).
contains() {
	local desc=$1 hay=$2 n
	shift 2
	for n in "$@"; do
		grep -qF -- "$n" <<<"$hay" || { bad "$desc (no \"$n\")" "$hay"; return 1; }
	done
	ok "$desc"
}
lacks() {
	local desc=$1 hay=$2 n
	shift 2
	for n in "$@"; do
		grep -qF -- "$n" <<<"$hay" && { bad "$desc (unexpected \"$n\")" "$hay"; return 1; }
	done
	ok "$desc"
}
equals() {
	if [ "$2" == "$3" ]; then ok "$1"; else bad "$1 (got \"$2\", expected \"$3\")"; fi
}
# must CMD...: a setup step; the test cannot go on without it.
must() {
	run "$@"
	[ "$RC" -eq 0 ] && return 0
	bad "setup step failed (exit $RC): $*" "$OUT"
	exit 1
}

# --- helpers ----------------------------------------------------------------

# A citizen ID number with its GB 11643 check character (the 17 digits
# given decide the gender: GB 11643, odd = male).
idnum() {
	local s=$1 w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) map=10X98765432 sum=0 i
	for i in $(seq 0 16); do sum=$((sum + ${s:i:1} * ${w[i]})); done
	echo "$s${map:$((sum % 11)):1}"
}
# The member's row id in a replica, by citizen ID number.
mid() { sqlite3 "$W/$1.db" "SELECT id FROM member WHERE id_number = '$2'"; }
mcount() { sqlite3 "$W/$1.db" "SELECT count(*) FROM member WHERE id_number = '$2'"; }
# add_member REPLICA NAME IDNUM BRANCH [--FIELD VALUE...]: a man, a full member since 2001.
add_member() {
	local r=$1 name=$2 idn=$3 br=$4
	shift 4
	must tx "$r" member add --name "$name" --gender male --ethnicity 汉族 --id-number "$idn" \
	    --education bachelor --category full --branch "$br" --join-date 2000-07-01 \
	    --full-date 2001-07-01 "$@"
}
sync_all() { local d; for d in "$@"; do must tx "$d" sync -q; done; }
# converge DESC REPLICAS...: each syncs with --verify and must report "match".
converge() {
	local desc=$1 d
	shift
	for d in "$@"; do
		run tx "$d" sync --verify
		if [ "$RC" -eq 0 ] && grep -q "replica check: match" <<<"$OUT"; then
			ok "$desc: $d converged (sync --verify: match)"
		else
			bad "$desc: $d did not converge (exit $RC)" "$OUT"
		fi
	done
}

# A free loopback port (nothing answers a connect there).
free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 64); do
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
	done
	return 1
}

# tap_start_street STREET CODE: tongxind init and serve in $W/srv on a free
# port ($PORT; its log in $W/tongxind.log), tried on up to three ports. A
# watchdog stops the server should the script be killed outright.
tap_start_street() {
	local _attempt up store=()
	for _attempt in 1 2 3; do
		PORT=$(free_port) || { echo "$TAP_NAME: no free port" >&2; exit 1; }
		rm -rf "$W/srv"
		# Under tests/pg_run.sh: the street's data in a new PostgreSQL database.
		if [ -n "${TX_PG_URI:-}" ]; then
			"$TX_PG_BINDIR/psql" -X -q "$TX_PG_URI" -c "CREATE DATABASE t$$_$_attempt" ||
				{ echo "$TAP_NAME: cannot create a database" >&2; exit 1; }
			store=(--store "${TX_PG_URI%/*}/t$$_$_attempt")
		fi
		must "$TONGXIND" init "$W/srv" --street "$1" --code "$2" --listen "127.0.0.1:$PORT" \
		    "${store[@]}"
		"$TONGXIND" serve "$W/srv" >>"$W/tongxind.log" 2>&1 &
		SERVER_PID=$!
		up=0
		for _ in $(seq 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then up=1; break; fi
			sleep 0.1
		done
		[ "$up" -eq 1 ] && break
		kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""
	done
	[ -n "$SERVER_PID" ] || { echo "$TAP_NAME: tongxind did not start" >&2; exit 1; }
	( while kill -0 $$ 2>/dev/null; do sleep 1; done; kill "$SERVER_PID" 2>/dev/null ) \
	    </dev/null >/dev/null 2>&1 &
	WATCHDOG_PID=$!
}

# tap_end: stop the server (it must exit 0 on SIGTERM, its log free of
# sanitizer reports), print the count and exit non-zero on any failure.
tap_end() {
	section "the server stops cleanly"
	kill -TERM "$SERVER_PID"
	wait "$SERVER_PID"
	equals "tongxind exits 0 on SIGTERM" "$?" 0
	SERVER_PID=""
	SAN=$(grep -E "ERROR: [A-Za-z]+Sanitizer|runtime error:" "$W/tongxind.log" | head -n 5)
	[ -z "$SAN" ] && ok "tongxind's log has no sanitizer report" || bad "tongxind reported a sanitizer error" "$SAN"
	echo
	echo "# $NPASS passed, $NFAIL failed in $((SECONDS - T0)) s"
	[ "$NFAIL" -eq 0 ]
}
