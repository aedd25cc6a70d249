#!/usr/bin/env bash
# valgrind.sh: runs a representative subset of the C test executables
# (tests/c, one per area) under valgrind memcheck, and every fourth of the
# mnist-train processes that test_cli starts, and fails on any memory error
# or any definite or indirect leak. test_threads is left out: valgrind runs
# threads one at a time, so there it is the slowest and checks the same
# code as the one-thread tests; ASan and the native run cover the threaded
# paths. Natively and under ASan every executable runs in full.
#
# It builds the `valgrind` preset rather than using build/native: that one is
# compiled with -march=native, and valgrind cannot run AVX-512 code. The
# tests run with NN_TEST_QUICK=1 (unless set otherwise), which shrinks
# test_nn's training runs so that the whole run takes a few minutes.
#
# VALGRIND_AREAS="cli data" runs only those executables.
#
# Prints one line per executable, `valgrind test_<area>: ok ...` or
# `valgrind test_<area>: FAILED: ...`, and exits 1 if any failed. Each
# process's valgrind report is kept in build/valgrind/logs/. A missing
# valgrind is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/.."

areas=(${VALGRIND_AREAS:-nn idx model cli data train augment layers export gradients})
build=build/valgrind
logs=$build/logs

fail_all() {
  for a in "${areas[@]}"; do echo "valgrind test_$a: FAILED: $1"; done
  exit 1
}

command -v valgrind >/dev/null 2>&1 || fail_all "valgrind not found (Debian: apt-get install valgrind)"

echo "valgrind: building the valgrind preset"
mkdir -p "$build"
if ! { cmake --preset valgrind && cmake --build --preset valgrind -j 2; } >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log"
  fail_all "the valgrind preset did not build (log: $build/build.log)"
fi
rm -rf "$logs"
mkdir -p "$logs"

export NN_TEST_QUICK=${NN_TEST_QUICK:-1}
failed=0
for a in "${areas[@]}"; do
  exe=$build/test_$a
  if [ ! -x "$exe" ]; then
    echo "valgrind test_$a: FAILED: $exe was not built"
    failed=1
    continue
  fi
  start=$(date +%s)
  # %p: one report per process, so the sampled mnist-train runs get their
  # own and their messages stay out of the stderr that test_cli checks.
  memcheck=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --log-file="$logs/test_$a.%p.log")
  # (--child-silent-after-fork: test_cli's own forks only exec a shell)
  NN_CLI_WRAP="${memcheck[*]}" NN_CLI_WRAP_EVERY=4 "${memcheck[@]}" --child-silent-after-fork=yes --error-exitcode=1 \
    "$exe" >"$logs/test_$a.out" 2>&1
  rc=$?
  took=$(($(date +%s) - start))
  shopt -s nullglob
  reports=("$logs"/test_"$a".*.log)
  shopt -u nullglob
  bad=()
  for r in "${reports[@]}"; do
    grep -q 'ERROR SUMMARY: 0 errors' "$r" || bad+=("$r")
  done
  if ((${#bad[@]})); then
    for r in "${bad[@]}"; do
      echo "--- $r"
      grep -v '^==[0-9]*== *$' "$r" | head -n 60
    done
    echo "valgrind test_$a: FAILED: memory errors or leaks in ${#bad[@]} of ${#reports[@]} processes (reports above)"
    failed=1
  elif [ "$rc" -ne 0 ]; then
    tail -n 30 "$logs/test_$a.out"
    echo "valgrind test_$a: FAILED: the test itself failed under valgrind (exit $rc; output: $logs/test_$a.out)"
    failed=1
  else
    echo "valgrind test_$a: ok, ${#reports[@]} processes, no errors or leaks, in $took s"
  fi
done
exit $failed
