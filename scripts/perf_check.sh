#!/usr/bin/env bash
# Kernel performance check for CI, in two parts:
#  1. The gate: instructions per weight byte of each kernel (format x ISA, one single-threaded
#     product of 256 x 4096, counted by callgrind inside kernel_work_product only) against
#     tests/perf/kernel-instructions-baseline.json; exit 1 when any rises by more than 10%.
#     Instruction counts are the same on every run of the same build, whatever else the machine
#     does, so the gate cannot flake; it catches lost vectorisation, a slower inner loop or an
#     extra pass over the weights. AVX-512 paths are not counted (valgrind does not run them).
#  2. A report: the kernels' bandwidth over the read probe's on this machine (BM_KernelOverRead,
#     8 repetitions), printed against tests/perf/kernel-ratios-baseline.json. It depends on the
#     machine's cores and memory (runs here spread 0.60-0.99 for F16), so it informs, not gates.
# With --record, rewrites both baselines instead.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HWPLAN_BUILD_DIR:-build}
hwplan="$build_dir/cli/hwplan"
work="$build_dir/bench/hwplan_kernel_work"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

instructions_json="$tmp/instructions.json"
{
  echo '{"context": {"counted_by": "callgrind, kernel_work_product only"}, "benchmarks": ['
  first=1
  for isa in scalar avx2; do
    if ! valgrind -q "$work" f16 "$isa" >/dev/null 2>&1; then
      echo "perf_check: $isa does not run under valgrind here; its counts are skipped" >&2
      continue
    fi
    for format in f16 bf16 q8_0 q4_0 q4_k q6_k; do
      out="$tmp/cg.$format.$isa"
      bytes=$(valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
        --toggle-collect=kernel_work_product "$work" "$format" "$isa" 2>"$tmp/valgrind.log" |
        cut -d' ' -f1) || { cat "$tmp/valgrind.log" >&2; exit 2; }
      ir=$(sed -n 's/^totals: \([0-9]*\).*/\1/p' "$out")
      if [ -z "$ir" ] || [ "$ir" -eq 0 ]; then
        echo "perf_check: callgrind counted nothing for $format/$isa" >&2
        exit 2
      fi
      [ $first = 1 ] || echo ','
      first=0
      printf '{"name": "kernel_instructions/%s/%s", "run_type": "iteration", "instructions_per_byte": %s}' \
        "$format" "$isa" "$(awk -v i="$ir" -v b="$bytes" 'BEGIN { printf "%.6f", i / b }')"
    done
  done
  echo ']}'
} >"$instructions_json"

ratios_json="$tmp/ratios.json"
"$build_dir/bench/hwplan_bench" --benchmark_filter=KernelOverRead --benchmark_repetitions=8 \
  --benchmark_out="$ratios_json" --benchmark_out_format=json >/dev/null

if [ "${1:-}" = "--record" ]; then
  cp "$instructions_json" tests/perf/kernel-instructions-baseline.json
  cp "$ratios_json" tests/perf/kernel-ratios-baseline.json
  echo "perf_check: wrote tests/perf/kernel-instructions-baseline.json and kernel-ratios-baseline.json"
  exit 0
fi

echo "## Kernel bandwidth over the read probe on this machine (informational)"
"$hwplan" compare tests/perf/kernel-ratios-baseline.json "$ratios_json" --metric ratio \
  --threshold 25% --format md || echo "(machine-dependent: not a gate)"
echo
echo "## Instructions per weight byte (the gate)"
"$hwplan" compare tests/perf/kernel-instructions-baseline.json "$instructions_json" \
  --metric instructions_per_byte --threshold 10% --format md
