#!/usr/bin/env bash
# Build and run the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang under
# ASan+UBSan, in build-fuzz/ (its own build directory: clang, -DTONGXIN_FUZZ=ON).
#
#   scripts/fuzz.sh build          configure and build the targets
#   scripts/fuzz.sh smoke          what ctest runs (fuzz_store_smoke): each target
#                                  replays its corpus from the tree and tries new
#                                  inputs for a bounded time; exits 77 (skipped)
#                                  when clang or libFuzzer's runtime is missing
#   scripts/fuzz.sh run [SECONDS]  what `make fuzz` runs: every target at once for
#                                  SECONDS (default $FUZZ_SECONDS, else 1800), going
#                                  on after a crash; then the figures and findings
#   scripts/fuzz.sh triage [DIR]   replay every finding in DIR (default the findings
#                                  directory) and print one line per input: what broke
#   scripts/fuzz.sh seeds          rewrite tests/fuzz/corpus_store/ from the targets
#                                  (fuzz_store, and fuzz_store_recover's recover-*)
#
# Environment: FUZZ_BUILD (build directory, default build-fuzz/), FUZZ_TARGETS
# (names, default all), FUZZ_SMOKE_SECONDS (per target; default 20 for the fast
# targets, and for the store targets (fuzz_store*: push, take-office, recovery) a
# share of FUZZ_SMOKE_STORE_SECONDS, default 36, so another mode does not lengthen
# the smoke test), FUZZ_SMOKE_RUNS (inputs per store target; default a share of
# FUZZ_SMOKE_STORE_RUNS, default 8000; FUZZ_SMOKE_RUNS_FAST for the others,
# default 100000), FUZZ_SMOKE_SEED (libFuzzer's -seed for the smoke run, default 1:
# the same inputs on every CI run, so a red run is the change's and replays; the
# long run draws a new seed each time), FUZZ_FINDINGS (where crash inputs go in a
# long run, default $FUZZ_BUILD/findings), FUZZ_JOBS (parallel build jobs).
# The store targets read TX_FUZZ_* variables too (see tests/fuzz/fuzz_store.c).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
cmd=${1:-smoke}

all_targets() {
	local f
	for f in "$root"/tests/fuzz/fuzz_*.c; do
		basename "$f" .c
	done
}
targets=${FUZZ_TARGETS:-$(all_targets | tr '\n' ' ')}

# The corpus a target starts from (in the tree), or nothing.
corpus_of() {
	case $1 in
	fuzz_store*) echo "$root/tests/fuzz/corpus_store" ;;
	*) echo "" ;;
	esac
}

dict_of() {
	case $1 in
	fuzz_store*) echo "-dict=$root/tests/fuzz/store.dict" ;;
	*) echo "" ;;
	esac
}

# Crashes must not look like ctest's "skipped" (77 is libFuzzer's default).
common_flags=(-error_exitcode=70 -timeout_exitcode=71 -timeout=25 -rss_limit_mb=2048
	-max_len=8192 -print_final_stats=1)
export ASAN_OPTIONS=${ASAN_OPTIONS:-max_malloc_fill_size=0:quarantine_size_mb=64:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

have_toolchain() {
	local tmp rc
	command -v clang >/dev/null 2>&1 || { echo "fuzz: clang is not installed (scripts/deps.sh installs it)" >&2; return 1; }
	tmp=$(mktemp -d)
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)(n & 0); }\n' >"$tmp/p.c"
	if clang -fsanitize=fuzzer,address,undefined "$tmp/p.c" -o "$tmp/p" >"$tmp/log" 2>&1; then rc=0; else rc=1; fi
	[ $rc -eq 0 ] || { echo "fuzz: clang cannot link libFuzzer (libclang-rt-14-dev missing?):" >&2; cat "$tmp/log" >&2; }
	rm -rf "$tmp"
	return $rc
}

do_build() {
	mkdir -p "$build"
	(
		# One build at a time (ctest's smoke test and `make fuzz` may meet here).
		flock 9
		if [ ! -f "$build/CMakeCache.txt" ]; then
			CC=clang cmake -S "$root" -B "$build" -DTONGXIN_FUZZ=ON -DBUILD_TESTING=ON \
				-DCMAKE_BUILD_TYPE= -DCMAKE_C_FLAGS="-O1 -g" >"$build/configure.log" 2>&1 ||
				{ cat "$build/configure.log" >&2; exit 1; }
		fi
		# shellcheck disable=SC2086
		cmake --build "$build" -j "$jobs" --target $targets >"$build/build.log" 2>&1 ||
			{ tail -50 "$build/build.log" >&2; exit 1; }
	) 9>"$build/.lock"
}

# The last figures libFuzzer printed: executions, speed, coverage.
figures() {
	local log=$1 line
	line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
	echo "  last: ${line:-none}"
	grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" |
		sed 's/^/  /' || true
}

smoke() {
	have_toolchain || exit 77
	do_build
	local failed=0 t nstore=0 store_secs store_runs
	# The store targets share one budget of time and inputs.
	for t in $targets; do
		case $t in fuzz_store*) nstore=$((nstore + 1)) ;; esac
	done
	[ $nstore -gt 0 ] || nstore=1
	store_secs=${FUZZ_SMOKE_SECONDS:-$(( ${FUZZ_SMOKE_STORE_SECONDS:-36} / nstore ))}
	store_runs=${FUZZ_SMOKE_RUNS:-$(( ${FUZZ_SMOKE_STORE_RUNS:-8000} / nstore ))}
	for t in $targets; do
		local work="$build/smoke/$t" corpus log rc=0 n secs
		rm -rf "$work"
		mkdir -p "$work/new" "$work/artifacts"
		corpus=$(corpus_of "$t")
		log="$work/log"
		# The store targets make a store transaction per input; the others are fast.
		case $t in
		fuzz_store*) n=$store_runs secs=$store_secs ;;
		*) n=${FUZZ_SMOKE_RUNS_FAST:-100000} secs=${FUZZ_SMOKE_SECONDS:-20} ;;
		esac
		# shellcheck disable=SC2046
		"$build/tests/$t" "${common_flags[@]}" $(dict_of "$t") -max_total_time="$secs" \
			-seed="${FUZZ_SMOKE_SEED:-1}" -runs="$n" -artifact_prefix="$work/artifacts/" "$work/new" $corpus \
			>"$log" 2>&1 || rc=$?
		echo "fuzz: $t: exit $rc"
		figures "$log"
		if [ $rc -ne 0 ]; then
			failed=1
			echo "fuzz: $t FAILED; the input is in $work/artifacts/; the log ends:" >&2
			tail -60 "$log" >&2
		fi
	done
	exit $failed
}

run_long() {
	local secs=${1:-${FUZZ_SECONDS:-1800}} findings=${FUZZ_FINDINGS:-$build/findings} t
	have_toolchain || exit 1
	do_build
	mkdir -p "$findings" "$build/logs"
	declare -A pid
	for t in $targets; do
		local corpus work="$build/corpus/$t"
		mkdir -p "$work"
		corpus=$(corpus_of "$t")
		# Going on after a crash (-fork): one long run finds more than one bug.
		# shellcheck disable=SC2046
		"$build/tests/$t" "${common_flags[@]}" $(dict_of "$t") -max_total_time="$secs" \
			-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
			-artifact_prefix="$findings/$t-" "$work" $corpus >"$build/logs/$t.log" 2>&1 &
		pid[$t]=$!
		echo "fuzz: $t running for ${secs}s (log $build/logs/$t.log)"
	done
	for t in $targets; do
		wait "${pid[$t]}" || true
	done
	echo "fuzz: done; figures per target:"
	for t in $targets; do
		echo "$t:"
		grep -E '^#[0-9]+' "$build/logs/$t.log" | tail -1 | sed 's/^/  /' || true
		grep -cE 'INVARIANT BROKEN|ERROR: (Address|Leak|Undefined)Sanitizer|deadly signal|runtime error' \
			"$build/logs/$t.log" | sed 's/^/  failures reported: /' || true
	done
	if compgen -G "$findings/*" >/dev/null; then
		echo "fuzz: findings (replay one with: $build/tests/TARGET FILE):"
		ls -l "$findings"
		exit 1
	fi
	echo "fuzz: no crash, no broken invariant"
}

# One line per finding: the broken invariant, or the sanitizer's summary.
triage() {
	local dir=${1:-${FUZZ_FINDINGS:-$build/findings}} f t what
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		case $f in *.txt | *.log) continue ;; esac
		t=$(basename "$f" | sed -E 's/-(crash|leak|timeout|oom|slow-unit)-.*//')
		[ -x "$build/tests/$t" ] || { echo "$(basename "$f"): no target $t"; continue; }
		what=$("$build/tests/$t" "$f" 2>&1 | grep -a -m1 -E 'INVARIANT BROKEN|^SUMMARY: (Address|Undefined|Leak)|runtime error:|ERROR: AddressSanitizer' |
			sed -E 's/^==fuzz_store== //; s/ \(BuildId[^)]*\)//' || true)
		echo "$(basename "$f"): ${what:-no failure on replay}"
	done
}

case $cmd in
build) have_toolchain && do_build ;;
triage) triage "${2:-}" ;;
smoke) smoke ;;
run) run_long "${2:-}" ;;
seeds)
	do_build
	rm -rf "$root/tests/fuzz/corpus_store"
	mkdir -p "$root/tests/fuzz/corpus_store"
	TX_FUZZ_WRITE_SEEDS="$root/tests/fuzz/corpus_store" "$build/tests/fuzz_store"
	# The recovery mode's seeds (recover-*) in the same corpus.
	TX_FUZZ_WRITE_SEEDS="$root/tests/fuzz/corpus_store" "$build/tests/fuzz_store_recover"
	;;
*) echo "usage: scripts/fuzz.sh build|smoke|run [SECONDS]|triage [DIR]|seeds" >&2; exit 2 ;;
esac
