#!/usr/bin/env bash
# fuzz.sh (`npm run fuzz`): builds the `fuzz` preset (clang, libFuzzer, ASan,
# UBSan) and, for each target in tests/fuzz (fuzz_idx, fuzz_model, fuzz_data, fuzz_npz):
#   1. replays its seed corpus and tests/fuzz/regressions/<target>/ once each;
#   2. fuzzes, starting from a copy of those files in a temp dir, so the
#      corpus in the repo stays as committed: for FUZZ_SECONDS (default 60)
#      with a new random seed (`npm run fuzz`), or, with FUZZ_FIXED=1 (as
#      `npm test` runs it), a fixed number of inputs per target from seed 1,
#      so the gate repeats itself and a new finding never fails an unrelated
#      change.
# Prints one line per target, `fuzz <target>: ok, N executions in S s ...`
# or `fuzz <target>: FAILED: ...` naming the crashing input's path, and
# exits 1 if any target failed. Found crashes stay in build/fuzz/crashes/;
# logs in build/fuzz/logs/. To keep a crash as a regression test, copy it to
# tests/fuzz/regressions/<idx|model|data|npz>/ under a name that says what it is.
# A missing clang or libFuzzer runtime is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
fixed=${FUZZ_FIXED:-0}
targets=(idx model data npz)
# FUZZ_FIXED=1: inputs per target (about 10 s each here; fuzz_data runs a
# training step per input, so it takes far fewer per second)
declare -A fixed_runs=([idx]=300000 [model]=300000 [data]=8000 [npz]=300000)
build=build/fuzz
logs=$build/logs

fail_all() {
  for t in "${targets[@]}"; do echo "fuzz fuzz_$t: FAILED: $1"; done
  exit 1
}

case $seconds in '' | *[!0-9]* | 0) fail_all "FUZZ_SECONDS must be a positive whole number, not '$seconds'" ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/mnist-fuzz.XXXXXX") || fail_all "cannot make a temp dir"
trap 'rm -rf "$work"' EXIT

# The toolchain: clang, and its libFuzzer runtime (Debian: libclang-rt-14-dev).
command -v clang >/dev/null 2>&1 ||
  fail_all "clang not found (Debian: apt-get install clang libclang-rt-14-dev)"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
  >"$work/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" >"$work/probe.log" 2>&1; then
  cat "$work/probe.log"
  fail_all "clang cannot link libFuzzer with ASan/UBSan: its runtime is missing (Debian: apt-get install libclang-rt-14-dev)"
fi

echo "fuzz: building the fuzz preset"
mkdir -p "$build"
if ! { cmake --preset fuzz && cmake --build --preset fuzz -j 2; } >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  fail_all "the fuzz preset did not build (log above)"
fi
mkdir -p "$logs"

failed=0
for t in "${targets[@]}"; do
  exe=$build/fuzz_$t
  crashes=$build/crashes/$t
  log=$logs/fuzz_$t.log
  mkdir -p "$crashes"
  shopt -s nullglob
  seeds=(tests/fuzz/corpus/"$t"/* tests/fuzz/regressions/"$t"/*)
  shopt -u nullglob

  # 1. Every committed input, once: the regression tests.
  if ((${#seeds[@]})) && ! "$exe" -rss_limit_mb=2048 -timeout=20 "${seeds[@]}" >"$log.replay" 2>&1; then
    bad=$(grep -o 'Running: .*' "$log.replay" | tail -n 1 | cut -c 10-)
    tail -n 40 "$log.replay"
    echo "fuzz fuzz_$t: FAILED: committed input ${bad:-?} crashes (log: $log.replay)"
    failed=1
    continue
  fi

  # 2. Fuzz from a scratch copy of the seeds.
  mkdir -p "$work/$t"
  ((${#seeds[@]})) && cp "${seeds[@]}" "$work/$t/"
  start=$(date +%s)
  if [ "$fixed" = 1 ]; then budget=(-runs="${fixed_runs[$t]}" -seed=1); else budget=(-max_total_time="$seconds"); fi
  "$exe" "${budget[@]}" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048 \
    -artifact_prefix="$crashes/" "$work/$t" >"$log" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -c 6-)
  found=$(ls "$work/$t" | wc -l)
  if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
    echo "fuzz fuzz_$t: ok, $execs executions in $took s (coverage $cov edges, corpus ${#seeds[@]} -> $found inputs)"
  else
    crash=$(grep -o 'Test unit written to .*' "$log" | tail -n 1 | cut -c 22-)
    grep -v '^#[0-9]' "$log" | tail -n 60
    echo "fuzz fuzz_$t: FAILED: exit $rc after ${execs:-?} executions; crash input: ${crash:-none written} (log: $log)"
    failed=1
  fi
done
exit $failed
