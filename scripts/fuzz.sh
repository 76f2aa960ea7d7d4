#!/usr/bin/env bash
# Builds the libFuzzer target of the GGUF reader with clang (address and undefined-behaviour
# sanitizers) and runs it for a bounded time, seeded with the malformed-file corpus.
# Usage: scripts/fuzz.sh [seconds]   (default 45)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-45}
build_dir=${HWPLAN_FUZZ_BUILD_DIR:-build-fuzz}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHWPLAN_FUZZ=ON -DHWPLAN_BUILD_TESTS=OFF -DHWPLAN_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" --target gguf_fuzz -j "$(nproc)"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
# New inputs go to a scratch directory; the committed seeds are only read.
"$build_dir/gguf_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
  "$corpus" tests/fixtures/gguf_malformed 2>&1 | tail -n 12
