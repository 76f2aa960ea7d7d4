#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (AddressSanitizer and UBSan, any report fatal) and runs
# each for a bounded time from its committed seeds. A crash, a sanitizer report or an escaped
# exception fails the script. Usage: scripts/fuzz.sh [seconds per target]   (default 45)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
build_dir=${HWPLAN_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHWPLAN_FUZZ=ON -DHWPLAN_BUILD_TESTS=OFF -DHWPLAN_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target gguf_fuzz parsers_fuzz -j "$(nproc)"
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
status=0
run_target() {
  local target=$1 seeds=$2
  local corpus log
  corpus=$(mktemp -d)
  log="$build_dir/$target.log"
  # New inputs go to a scratch directory; the committed seeds are only read.
  if ! "$build_dir/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
      -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1; then
    echo "fuzz: $target FAILED (full log: $log)" >&2
    grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -n 20 >&2 || true
    status=1
  fi
  if grep -q "runtime error" "$log"; then
    echo "fuzz: $target: sanitizer report (full log: $log)" >&2
    status=1
  fi
  echo "fuzz: $target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs in ${seconds} s" >&2
  rm -rf "$corpus"
}
run_target gguf_fuzz tests/fixtures/gguf_malformed
run_target parsers_fuzz tests/fuzz/corpus/parsers
exit $status
