#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, address and undefined sanitizers) in
# build-fuzz/ and runs each for SECONDS seconds (default 30) on a copy of its
# seed corpus, test/fuzz/corpus/<target>/. Crashes are written to
# build-fuzz/findings/<target>/ and fail the script; add each (minimised with
# -minimize_crash=1) to the corpus once fixed, so that ctest replays it.
#   test/fuzz/run.sh 30
#   FUZZ_TARGETS="window_state" FUZZ_JOBS=2 test/fuzz/run.sh 300
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=${FUZZ_TARGETS:-"window_state pipeline_state stream_meta segment_recovery kpl_aggregate"}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBROOK_BUILD_FUZZERS=ON \
  -DBROOK_BUILD_TESTS=OFF -DBROOK_BUILD_BENCH=OFF -DBROOK_BUILD_EXAMPLES=OFF \
  -DBROOK_BUILD_TOOLS=OFF -DBROOK_INSTALL=OFF >/dev/null
cmake --build "$build" --target $(printf 'brook_fuzz_%s ' $targets)

# Scratch stream directories: on tmpfs when there is one (fsync is cheap).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ]; then export TMPDIR=/dev/shm; fi
status=0
for t in $targets; do
  work="$build/corpus/$t"
  findings="$build/findings/$t"
  mkdir -p "$work" "$findings"
  cp -n test/fuzz/corpus/"$t"/* "$work"/ 2>/dev/null || true
  echo "=== fuzzing $t for ${seconds}s"
  # New inputs go to the work copy, never into the repository's corpus.
  if ! "$build/test/fuzz/brook_fuzz_$t" "$work" test/fuzz/corpus/"$t" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=4096 -print_final_stats=1 -artifact_prefix="$findings/" \
      ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS} 2>"$build/$t.log"; then
    status=1
    tail -n 40 "$build/$t.log"
    echo "=== $t: FAILED, see $findings/ and $build/$t.log"
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
    "$build/$t.log" || true
done
exit $status
