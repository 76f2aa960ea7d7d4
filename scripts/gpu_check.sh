#!/usr/bin/env bash
# Every GPU check in one run, for a machine with an NVIDIA GPU (time on one is short): builds with
# CUDA, runs the CUDA kernel tests, probes the machine (discrete profile), and runs the GPU weight
# pass against the planner. Everything is written under OUT_DIR (default: gpu-check-<date>), so one
# run gives all the results. Usage: scripts/gpu_check.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-check-$(date -u +%Y%m%d-%H%M%S)}
mkdir -p "$out"
build=${HWPLAN_BUILD_DIR:-build-gpu-check}
{
  date -u +%Y-%m-%dT%H:%M:%SZ
  nvidia-smi --query-gpu=name,driver_version,memory.total,power.draw --format=csv 2>&1
  nvcc --version 2>&1 | tail -1
} > "$out/machine.txt"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHWPLAN_BUILD_BENCH=OFF \
  > "$out/configure.log" 2>&1 && cmake --build "$build" -j "$(nproc)" > "$out/build.log" 2>&1 \
  || { echo "gpu_check: build failed (see $out/build.log)" >&2; exit 1; }
"$build/tests/kernels_cuda_tests" > "$out/kernels_cuda_tests.txt" 2>&1
echo "kernels_cuda_tests: exit $?" >> "$out/summary.txt"
"$build/cli/hwplan" probe --id gpu-probed -o "$out/profile.json" > "$out/probe.txt" 2>&1
echo "probe: exit $?" >> "$out/summary.txt"
"$build/cli/hwplan" validate --device cuda --json > "$out/validate_cuda.json" 2> "$out/validate_cuda.err"
echo "validate --device cuda: exit $?" >> "$out/summary.txt"
"$build/cli/hwplan" validate --device cuda > "$out/validate_cuda.txt" 2>&1
"$build/cli/hwplan" predict -m llama-3.2-1b --quant f16,q8_0,q4_0,q4_k_m --hw "$out/profile.json" \
  > "$out/predict_on_profile.txt" 2>&1
cat "$out/summary.txt"
echo "gpu_check: results in $out"
