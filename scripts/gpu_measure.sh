#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and CUDA but possibly none of the project's Debian packages:
# builds the dependency-free GPU probe with nvcc alone and writes its results (transfer
# throughput over sizes, device bandwidth, memory, latency) to profiles/measured/<gpu>-<date>.json,
# with the date and the machine's description. Usage: scripts/gpu_measure.sh [max transfer bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=profiles/measured
mkdir -p "$out_dir" build-gpu
nvcc -O2 -std=c++17 -o build-gpu/gpu_probe tools/gpu_probe_main.cpp probes/cuda/src/cuda_raw.cu
if ! result=$(./build-gpu/gpu_probe "${1:-1073741824}"); then
  echo "gpu_measure: no measurement: $result" >&2
  exit 3
fi
name=$(printf '%s' "$result" | sed -n 's/.*"name": "\([^"]*\)".*/\1/p' | tr 'A-Z ' 'a-z-' | tr -cd 'a-z0-9-')
date=$(date -u +%Y-%m-%d)
file="$out_dir/${name:-gpu}-$date.json"
{
  printf '{\n  "date_utc": "%s",\n  "host": "%s",\n  "cpu": "%s",\n  "driver": "%s",\n  "gpu": ' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" \
    "$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)"
  printf '%s' "$result" | sed '2,$s/^/  /'
  printf '\n}\n'
} > "$file"
echo "gpu_measure: wrote $file"
