#!/usr/bin/env bash
# Measures the kernels' bandwidth over the read probe's (BM_KernelOverRead, 8 repetitions) and
# compares it with tests/perf/kernel-ratios-baseline.json: exit 1 on a significant drop beyond
# 25%. With --record, rewrites the baseline instead.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HWPLAN_BUILD_DIR:-build}
baseline=tests/perf/kernel-ratios-baseline.json
current=$(mktemp --suffix=.json)
trap 'rm -f "$current"' EXIT
"$build_dir/bench/hwplan_bench" --benchmark_filter=KernelOverRead --benchmark_repetitions=8 \
  --benchmark_out="$current" --benchmark_out_format=json >/dev/null
if [ "${1:-}" = "--record" ]; then
  cp "$current" "$baseline"
  echo "perf_check: wrote $baseline"
  exit 0
fi
"$build_dir/cli/hwplan" compare "$baseline" "$current" --metric ratio --threshold 25% --format md
