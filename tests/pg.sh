# pg.sh - a private PostgreSQL cluster for a test, started and stopped by the test.
#
# Source it after lib.sh (or alone):   . "$(dirname "$0")/pg.sh"
#
# When the PostgreSQL server programs are missing (Debian: postgresql;
# scripts/deps.sh installs it) sourcing it says so and exits 77, which
# ctest counts as skipped (SKIP_RETURN_CODE 77), not passed.
#
# Helpers:
#   pg_up DIR     initdb a new cluster in DIR (made here; it must not exist),
#                 start it on a private Unix socket directory DIR/sock and on
#                 127.0.0.1:$TX_PG_PORT (a free port), wait until it accepts,
#                 create the database "tongxin" owned by the superuser "tx",
#                 and export
#                   TX_PG_URI         postgresql://tx@127.0.0.1:PORT/tongxin
#                   TX_PG_SOCKET_URI  the same through DIR/sock
#                   TX_PG_PORT, TX_PG_DIR
#   pg_down DIR   stop it (fast, then immediate). The EXIT trap stops every
#                 cluster still running, whether the test passed or failed,
#                 before lib.sh's cleanup removes $TX_TMP.
#   pg_sql SQL    run SQL through psql on the last cluster pg_up started
#                 (for a test's set-up only; the product speaks libpq).
#
# The cluster is never the packaged one and never systemd's: initdb in DIR,
# pg_ctl, as the postgres system user when the test runs as root (the server
# refuses to run as root), as the caller otherwise. Authentication is trust,
# on the private socket and on loopback only. fsync is off: a test cluster
# need not survive a power cut, and with it off initdb and every commit skip
# the disk flush (a cluster is up in about a second). synchronous_commit
# stays on, so a commit is in the WAL before it is acknowledged and a killed
# server (kill -9 of postgres) loses nothing acknowledged.

PG_BINDIR=${PG_BINDIR:-}
if [ -z "$PG_BINDIR" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			PG_BINDIR=$d
			break
		fi
	done
fi
if [ -z "$PG_BINDIR" ] || [ ! -x "$PG_BINDIR/initdb" ] || [ ! -x "$PG_BINDIR/pg_ctl" ] ||
    [ ! -x "$PG_BINDIR/pg_isready" ] || [ ! -x "$PG_BINDIR/psql" ]; then
	echo "SKIP: the PostgreSQL server programs (initdb, pg_ctl; Debian: postgresql) are missing;" \
		"scripts/deps.sh installs them, or set PG_BINDIR" >&2
	exit 77
fi

# The user the cluster runs as: postgres when we are root.
_PG_USER=
if [ "$(id -u)" -eq 0 ]; then
	if ! id postgres >/dev/null 2>&1; then
		echo "SKIP: running as root and there is no postgres system user to run the cluster" >&2
		exit 77
	fi
	_PG_USER=postgres
fi
_PG_DIRS=()

# Run a PostgreSQL program as the cluster's user.
_pg_as() {
	if [ -n "$_PG_USER" ]; then
		runuser -u "$_PG_USER" -- "$@"
	else
		"$@"
	fi
}

_pg_port() {
	if declare -F free_port >/dev/null; then
		free_port
		return
	fi
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "pg.sh: no free port found" >&2
	return 1
}

_pg_fail() {
	if declare -F fail >/dev/null; then
		fail "$*"
	fi
	echo "FAIL: $*" >&2
	exit 1
}

pg_up() {
	local dir=$1 parent port t0
	t0=$(date +%s%N)
	[ -e "$dir" ] && _pg_fail "pg_up: $dir exists already"
	parent=$(dirname "$dir")
	mkdir -m 700 "$dir"
	if [ -n "$_PG_USER" ]; then
		# The cluster's user must reach DIR: lib.sh's $TX_TMP is root's and
		# mode 700. Search permission only (711): nobody else can list it.
		if ! runuser -u "$_PG_USER" -- test -x "$parent"; then
			chmod 711 "$parent"
		fi
		chown "$_PG_USER" "$dir"
	fi
	_pg_as mkdir -m 700 "$dir/sock"
	if ! _pg_as "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U tx -E UTF8 --no-locale \
	    --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		_pg_fail "pg_up: initdb failed"
	fi
	_PG_DIRS+=("$dir")
	# A port another process takes between the choice and the start: try again.
	for _ in 1 2 3; do
		port=$(_pg_port) || _pg_fail "pg_up: no free port"
		if _pg_as "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
		    -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off" \
		    start >"$dir/pg_ctl.log" 2>&1; then
			break
		fi
		port=
	done
	if [ -z "$port" ]; then
		tail -n 20 "$dir/server.log" >&2
		_pg_fail "pg_up: the cluster in $dir did not start"
	fi
	for _ in $(seq 100); do
		"$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U tx -d postgres && break
		sleep 0.1
	done
	"$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port" -U tx -d postgres ||
		_pg_fail "pg_up: the cluster on port $port does not accept connections"
	TX_PG_DIR=$dir
	TX_PG_PORT=$port
	TX_PG_URI="postgresql://tx@127.0.0.1:$port/tongxin"
	TX_PG_SOCKET_URI="postgresql://tx@/tongxin?host=$dir/sock&port=$port"
	export TX_PG_DIR TX_PG_PORT TX_PG_URI TX_PG_SOCKET_URI
	"$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 "postgresql://tx@127.0.0.1:$port/postgres" \
		-c "CREATE DATABASE tongxin TEMPLATE template0 ENCODING 'UTF8'" >/dev/null ||
		_pg_fail "pg_up: cannot create the database tongxin"
	local ms=$((($(date +%s%N) - t0) / 1000000))
	echo "pg.sh: PostgreSQL $("$PG_BINDIR/pg_ctl" --version | awk '{print $3}') up in ${ms} ms" \
		"on 127.0.0.1:$port ($dir)"
}

pg_down() {
	local dir=$1 keep=()
	for d in "${_PG_DIRS[@]}"; do
		[ "$d" = "$dir" ] || keep+=("$d")
	done
	_PG_DIRS=("${keep[@]}")
	[ -f "$dir/data/postmaster.pid" ] || return 0
	_pg_as "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop >/dev/null 2>&1 ||
		_pg_as "$PG_BINDIR/pg_ctl" -D "$dir/data" -m immediate -w -t 20 stop >/dev/null 2>&1
}

pg_sql() {
	"$PG_BINDIR/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$TX_PG_URI" -c "$1"
}

# Stop every cluster still up, then hand over to lib.sh's cleanup (which
# removes $TX_TMP and exits with the test's status).
_pg_exit() {
	local rc=$?
	set +e
	for d in "${_PG_DIRS[@]}"; do
		pg_down "$d"
	done
	if declare -F _tx_cleanup >/dev/null; then
		(exit "$rc")
		_tx_cleanup
	fi
	exit "$rc"
}
trap _pg_exit EXIT
