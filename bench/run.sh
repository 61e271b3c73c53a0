#!/usr/bin/env bash
# run.sh - run every benchmark in order, print their figures, and end with a
# summary table: each goal of issue 11, the figure measured, meets/MISSES.
#
# usage: bash bench/run.sh BUILD_DIR [--full]
#
# Quick mode (the default, "make bench") runs each benchmark at a size that
# keeps the whole run to a few minutes on two cores; --full runs the sizes
# the issue names (much longer: most of it populating servers and replicas).
#                        quick                     --full
#   capture              100,000 / 10,000 rows, 3  the same, 9 runs
#   apply                100,000 / 10,000 rows, 3  the same, 5 runs
#   bootstrap            10,000 members            100,000 members
#                        + 100,000 attendance      + 1,000,000 attendance
#   no-op sync           100 rounds                100 rounds
#   clerk's sync         10,000 members            100,000 members
#   idle sessions        2,000                     10,000
#   member list          100,000 members           1,000,000 members
#   scale (N vs 10N)     10,000 vs 100,000, 3      100,000 vs 1,000,000, 5 runs
#   desk                 100,000 members           100,000 members
#   concurrent syncs     1,000 devices, 3 rounds   1,000 devices, 5 rounds
#   district bootstrap   15,000 members, 12 st.    150,000 members, 12 streets
#   pushes on PostgreSQL 40 devices x 100, 3 runs  40 devices x 200, 5 runs
#                        (fsync on, then off; skipped without PostgreSQL)
# Goals stated for the full size are scaled (bootstrap, sync) or projected
# (sessions) at the quick size, and each benchmark says so on its goal line.
#
# Every figure is a median of several runs with the sides interleaved, and
# each benchmark prints the load average at its start: figures measured on
# a busy machine are not the machine's.
#
# Temporary files go under $BENCH_TMPDIR (else $TMPDIR, else /tmp) and are
# removed by each benchmark, which also stops any server it started. Put
# them on the disk you care about: the figures depend on fsync's cost.
set -uo pipefail

usage() {
	echo "usage: bash bench/run.sh BUILD_DIR [--full]" >&2
	exit "${1:-2}"
}

case ${1:-} in
-h | --help) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
esac
[ $# -ge 1 ] || usage
build=$1
shift
full=0
for arg in "$@"; do
	case $arg in
	--full) full=1 ;;
	*) usage ;;
	esac
done

bin=$build/bench
benches="bench_capture bench_apply bench_bootstrap bench_noop bench_sync bench_sessions bench_list bench_scale bench_concurrent bench_district"
for b in $benches; do
	if [ ! -x "$bin/$b" ]; then
		echo "run.sh: $bin/$b is missing; build first (make build)" >&2
		exit 1
	fi
done
export TONGXIND=${TONGXIND:-$(cd "$build" && pwd)/tongxind}
export TONGXIN=${TONGXIN:-$(cd "$build" && pwd)/tongxin}
BENCH_SUMMARY=$(mktemp "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tongxin-bench-summary.XXXXXX")
export BENCH_SUMMARY
trap 'rm -f "$BENCH_SUMMARY"' EXIT

if [ $full -eq 1 ]; then
	size="full size"
	capture_args=(100000 10000 9); apply_args=(100000 10000 5)
	boot_args=(100000 1000000); sync_args=(100000); sessions_args=(10000)
	list_args=(1000000); scale_args=(100000 5)
	concurrent_args=(1000 5)
	pg_push_args=(40 200 5)
	district_args=(150000 12 3)
else
	size="quick size; --full for the sizes issue 11 names"
	capture_args=(100000 10000 3); apply_args=(100000 10000 3)
	boot_args=(10000 100000); sync_args=(10000); sessions_args=(2000)
	list_args=(100000); scale_args=(10000)
	concurrent_args=(1000 3)
	pg_push_args=(40 100 3)
	district_args=(15000 12 3)
fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "Tongxin benchmarks ($(uname -srm), $(nproc) CPUs; $size)"
echo "Ratios compare against a baseline measured in the same run; load average at start: $(load)"
echo
start=$(date +%s)
failed=()
step() {   # step NAME COMMAND...
	local name=$1
	shift
	if ! "$@"; then
		failed+=("$name")
		printf '%s\t%s\t%s\n' "$name" "did not finish (see above)" "FAILED" >>"$BENCH_SUMMARY"
	fi
	echo
}
step bench_capture "$bin/bench_capture" "${capture_args[@]}"
step bench_apply "$bin/bench_apply" "${apply_args[@]}"
step bench_bootstrap "$bin/bench_bootstrap" "${boot_args[@]}"
step bench_noop "$bin/bench_noop"
step bench_sync "$bin/bench_sync" "${sync_args[@]}"
step bench_sessions "$bin/bench_sessions" "${sessions_args[@]}"
step bench_list "$bin/bench_list" "${list_args[@]}"
step bench_scale "$bin/bench_scale" "${scale_args[@]}"
step bench_concurrent "$bin/bench_concurrent" "${concurrent_args[@]}"
step bench_district "$bin/bench_district" "${district_args[@]}"
step desk.sh bash "$(dirname "$0")/desk.sh" "$build"

# bench_pg_push (issue 13): a private PostgreSQL cluster, started here as
# tests/pg.sh starts a test's (initdb in a temporary folder, a private port,
# stopped at the end), measured twice: with fsync on (commits flushed, as
# SQLite's FULL sync is) and with fsync off (pg.sh's test setting). Skipped,
# and said so, when the PostgreSQL server programs or libpq are missing.
pg_push() {
	local tmp rc=0
	if [ ! -x "$bin/bench_pg_push" ]; then
		echo "bench_pg_push: skipped: this build has no libpq (scripts/deps.sh installs libpq-dev)"
		return 0
	fi
	tmp=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tongxin-bench-pg.XXXXXX") || return 1
	(
		. "$(dirname "$0")/../tests/pg.sh"
		pg_up "$tmp/pg" >/dev/null || exit 1
		restart() {   # restart FSYNC: the same cluster with fsync on or off
			_pg_as "$PG_BINDIR/pg_ctl" -D "$TX_PG_DIR/data" -l "$TX_PG_DIR/server.log" -w -t 60 \
				-o "-p $TX_PG_PORT -k $TX_PG_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=$1" \
				restart >/dev/null
		}
		restart on || exit 1
		"$bin/bench_pg_push" "$TX_PG_URI" "${pg_push_args[@]}" || exit 1
		echo
		restart off || exit 1
		"$bin/bench_pg_push" "$TX_PG_URI" "${pg_push_args[@]}" || exit 1
	) || rc=$?
	rm -rf "$tmp"
	if [ "$rc" -eq 77 ]; then
		echo "bench_pg_push: skipped: the PostgreSQL server programs are missing (scripts/deps.sh installs postgresql)"
		return 0
	fi
	return "$rc"
}
step bench_pg_push pg_push

echo "Summary: issue 11's goals ($size; load average now $(load))"
awk -F'\t' '
	{ w = length($1); if (w > gw) gw = w; g[NR] = $1; f[NR] = $2; v[NR] = $3
	  if ($3 == "meets") m++; else x++ }
	END {
		if (gw > 90) gw = 90
		fmt = "  %-7s %-" gw "s  %s\n"
		for (i = 1; i <= NR; i++)
			printf fmt, v[i], g[i], f[i]
		printf "  %d of %d goals met\n", m + 0, NR
	}' "$BENCH_SUMMARY"
echo "All benchmarks done in $(( $(date +%s) - start )) s."
[ ${#failed[@]} -eq 0 ] || { echo "Failed: ${failed[*]}" >&2; exit 1; }
