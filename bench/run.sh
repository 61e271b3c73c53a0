#!/usr/bin/env bash
# run.sh - run every benchmark in order and print their figures.
#
# usage: bash bench/run.sh BUILD_DIR [--full]
#
# By default the bootstrap benchmark runs at a tenth of its size (10,000
# members, 100,000 attendance rows) so that "make bench" takes about a
# minute; --full runs it at the size the issue names (100,000 members and
# 1,000,000 attendance rows: several minutes, most of it spent populating
# the server). The other benchmarks always run at full size.
#
# Temporary files go under $BENCH_TMPDIR (else $TMPDIR, else /tmp) and are
# removed by each benchmark, which also stops any server it started. Put
# them on the disk you care about: the figures depend on fsync's cost.
set -euo pipefail

usage() {
	echo "usage: bash bench/run.sh BUILD_DIR [--full]" >&2
	exit 2
}

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
for b in bench_capture bench_apply bench_bootstrap bench_noop; do
	if [ ! -x "$bin/$b" ]; then
		echo "run.sh: $bin/$b is missing; build first (make build)" >&2
		exit 1
	fi
done
export TONGXIND=${TONGXIND:-$(cd "$build" && pwd)/tongxind}

if [ $full -eq 1 ]; then
	boot_args=(100000 1000000)
	size="full size"
else
	boot_args=(10000 100000)
	size="quick size; --full for 100,000 members and 1,000,000 attendance rows"
fi

echo "Tongxin benchmarks ($(uname -srm), $(nproc) CPUs; bootstrap at $size)"
echo "Ratios compare against a baseline measured in the same process."
echo
start=$(date +%s)
"$bin/bench_capture"
echo
"$bin/bench_apply"
echo
"$bin/bench_bootstrap" "${boot_args[@]}"
echo
"$bin/bench_noop"
echo
bash "$(dirname "$0")/desk.sh" "$build"; echo
echo "All benchmarks done in $(( $(date +%s) - start )) s."
