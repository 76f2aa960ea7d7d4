#!/usr/bin/env bash
# hwplan's memory against llama.cpp's own count, for the same GGUF files and settings.
#
# Builds llama.cpp for the CPU from the source bundle the npm package node-llama-cpp ships (pinned
# version and commit below; cached in $HWPLAN_LLAMA_DIR between runs), builds
# tools/llama_memory/llama_memory.cpp against it (llama.cpp's weights, KV cache and compute
# buffer in bytes, measured with nothing allocated), writes GGUF files with `hwplan synth` and
# compares, case by case, with what `hwplan fit --llama-args` plans on a CPU-only machine.
# Weights and KV cache must agree to the byte, the compute buffer within 5%. Prints the table
# (Markdown) and writes it to $HWPLAN_LLAMA_DIR/conformance.md; exit 1 on a disagreement.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
hwplan=${HWPLAN:-$root/${HWPLAN_BUILD_DIR:-build}/cli/hwplan}
work=${HWPLAN_LLAMA_DIR:-$root/build-llama}
package=node-llama-cpp@3.22.1
commit=de3ff815ea7d559ee917f063901b8986f038abc6
[ -x "$hwplan" ] || { echo "llama_conformance: no hwplan at $hwplan (build first)" >&2; exit 2; }

need=()
command -v npm >/dev/null || need+=(npm)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
mkdir -p "$work"

# 1. llama.cpp's source: the git bundle inside the npm package, checked out at the pinned commit.
if [ "$(git -C "$work/llama.cpp" rev-parse HEAD 2>/dev/null || true)" != "$commit" ]; then
  echo "llama_conformance: fetching $package" >&2
  rm -rf "$work/npm" "$work/llama.cpp"
  mkdir -p "$work/npm"
  (cd "$work/npm" && npm pack --silent "$package" >/dev/null && tar xzf ./*.tgz package/llama/gitRelease.bundle)
  git clone -q "$work/npm/package/llama/gitRelease.bundle" "$work/llama.cpp" 2>/dev/null
  git -C "$work/llama.cpp" -c advice.detachedHead=false checkout -q "$commit"
  rm -rf "$work/npm" "$work/build"
fi

# 2. The llama library for the CPU (static), then the measuring tool.
if [ ! -f "$work/build/src/libllama.a" ]; then
  echo "llama_conformance: building llama.cpp ${commit:0:7} (CPU)" >&2
  cmake -S "$work/llama.cpp" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_COMMON=OFF -DBUILD_SHARED_LIBS=OFF >"$work/cmake.log" 2>&1
  cmake --build "$work/build" --target llama -j "$(nproc)" >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; exit 1; }
fi
src=$work/llama.cpp
g++ -std=c++17 -O1 -I"$src/include" -I"$src/src" -I"$src/ggml/include" \
  tools/llama_memory/llama_memory.cpp -o "$work/llama_memory" \
  "$work/build/src/libllama.a" "$work/build/ggml/src/libggml.a" \
  "$work/build/ggml/src/libggml-cpu.a" "$work/build/ggml/src/libggml-base.a" -fopenmp -lpthread -ldl

# 3. The files: dense GQA shapes with few layers (small files; every layer is alike), and
# mixtures of experts (zero weights: llama.cpp only counts them).
synth() {  # id model quant layers
  [ -f "$work/$1.gguf" ] || "$hwplan" synth -m "$2" -q "$3" --layers "$4" -o "$work/$1.gguf" >/dev/null
}
synth llama-3.2-1b-q8_0 llama-3.2-1b q8_0 4       # tied output, GQA 32/8, vocab 128256
synth llama-3.2-3b-q4_k_m llama-3.2-3b q4_k_m 2   # GQA 24/8, head 128
synth mistral-7b-q4_0 mistral-7b q4_0 2           # untied, vocab 32768: the FFN phase peaks
synth llama-2-7b-q4_k_m llama-2-7b q4_k_m 2       # MHA (32/32)
# Zero-weight layouts are sparse files (no disk for the weights), so they come at full size:
layout() {  # id model quant [synth options]
  local id=$1 model=$2 quant=$3
  shift 3
  [ -f "$work/$id.gguf" ] || "$hwplan" synth -m "$model" -q "$quant" "$@" -o "$work/$id.gguf" >/dev/null
}
layout mixtral-8x7b-q4_0 mixtral-8x7b q4_0        # MoE, 2 of 8 experts (llama.cpp's llama layout)
# MoE with a shared expert (qwen2moe layout): Mixtral's shape plus one shared expert of 4096.
layout mixtral-shexp-q8_0 mixtral-8x7b q8_0 --shared-expert-ff 4096
layout gemma-3-27b-q4_0 gemma-3-27b q4_0          # sliding window 1024 on 52 of 62 layers
synth gemma-3-1b-q8_0 gemma-3-1b q8_0 6           # 6 layers: 5 sliding (window 512), 1 full
layout deepseek-v3-q4_0 deepseek-v3 q4_0          # MLA, 3 dense layers, 8 of 256 experts + 1

# 4. Cases: file, context (all sequences), sequences, KV type, flash attention, ubatch.
cases=(
  "llama-3.2-1b-q8_0 4096 1 f16 1 512"
  "llama-3.2-1b-q8_0 4096 1 q8_0 1 512"
  "llama-3.2-1b-q8_0 1000 1 f16 1 512"
  "llama-3.2-1b-q8_0 16384 1 f16 0 512"
  "llama-3.2-1b-q8_0 8192 4 f16 1 512"
  "llama-3.2-1b-q8_0 4096 1 f16 1 2048"
  "llama-3.2-3b-q4_k_m 8192 1 q4_0 1 512"
  "llama-3.2-3b-q4_k_m 16384 1 f16 0 512"
  "mistral-7b-q4_0 4096 1 f16 1 512"
  "mistral-7b-q4_0 4096 1 f16 0 512"
  "mistral-7b-q4_0 32768 1 f16 1 1024"
  "llama-2-7b-q4_k_m 4096 1 f16 1 512"
  "llama-2-7b-q4_k_m 2048 1 q4_0 1 256"
  "llama-2-7b-q4_k_m 2048 1 f16 0 256"
  "mixtral-8x7b-q4_0 4096 1 f16 1 512"
  "mixtral-8x7b-q4_0 32768 1 q8_0 1 512"
  "mixtral-8x7b-q4_0 4096 1 f16 0 512"
  "mixtral-shexp-q8_0 8192 1 f16 1 512"
  "mixtral-shexp-q8_0 4096 4 f16 1 1024"
  "gemma-3-1b-q8_0 4096 1 f16 1 512"
  "gemma-3-1b-q8_0 32768 1 q8_0 1 512"
  "gemma-3-1b-q8_0 8192 1 f16 1 2048"
  "gemma-3-1b-q8_0 400 1 f16 0 512"
  "gemma-3-27b-q4_0 32768 1 f16 1 512"
  "gemma-3-27b-q4_0 131072 1 q8_0 1 2048"
  "deepseek-v3-q4_0 4096 1 f16 1 512"
  "deepseek-v3-q4_0 32768 1 q8_0 1 512"
  "deepseek-v3-q4_0 8192 1 f16 0 512"
)
# Printed in the table, not gated: where llama.cpp's graph allocator reuses memory in a way the
# three-phase formula (planner/memory.h) does not follow. Quantized KV at long context peaks lower
# than F16 KV (the feed-forward phase's mask term shrinks); a 512-token context without flash
# attention peaks higher (scores of the last layer still live beside the logits).
known=(
  "mistral-7b-q4_0 32768 1 q8_0 1 1024"
  "llama-3.2-3b-q4_k_m 512 1 f16 0 512"
)
cpu_machine=kind=unified,backend=cpu,memory_gib=256,bandwidth_gbs=100,fp16_tflops=2
mib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'; }
table=$work/conformance.md
{
  echo "| File | -c | -np | KV | -fa | -ub | Weights llama.cpp (MiB) | hwplan | KV llama.cpp (MiB) | hwplan | Compute llama.cpp (MiB) | hwplan | Compute diff |"
  echo "|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"
failures=0
for c in "${cases[@]}" "${known[@]/%/ known}"; do
  read -r file ctx seqs kv fa ub gated <<<"$c"
  fa_word=$([ "$fa" = 1 ] && echo on || echo off)
  theirs=$("$work/llama_memory" "$work/$file.gguf" "$ctx" "$seqs" "$kv" "$kv" "$fa" "$ub" 0)
  ours=$("$hwplan" fit --model "$work/$file.gguf" --hw-spec "$cpu_machine" --json \
    --llama-args "-c $ctx -np $seqs -ctk $kv -ctv $kv -fa $fa_word -ub $ub" 2>/dev/null)
  tw=$(jq '.model_buffer_bytes' <<<"$theirs")
  tk=$(jq '.kv_bytes' <<<"$theirs")
  tc=$(jq '.compute_bytes' <<<"$theirs")
  device=$(jq '.details.rows[0].plan.devices[0]' <<<"$ours")
  ow=$(jq '(.weights_gib * 1073741824 + 0.5) | floor' <<<"$device")
  ok=$(jq '(.kv_cache_gib * 1073741824 + 0.5) | floor' <<<"$device")
  oc=$(jq '(.buffers_gib * 1073741824 + 0.5) | floor' <<<"$device")
  diff=$(awk -v a="$oc" -v b="$tc" 'BEGIN { printf "%+.2f%%", 100 * (a / b - 1) }')
  verdict=""
  [ "$ow" = "$tw" ] || verdict="$verdict weights differ by $((ow - tw)) B;"
  [ "$ok" = "$tk" ] || verdict="$verdict KV differs by $((ok - tk)) B;"
  awk -v a="$oc" -v b="$tc" 'BEGIN { exit !(a > 1.05 * b || a < 0.95 * b) }' &&
    verdict="$verdict compute off by $diff;"
  note=$([ -n "${gated:-}" ] && echo " (known, not gated)" || true)
  echo "| $file | $ctx | $seqs | $kv | $fa_word | $ub | $(mib "$tw") | $(mib "$ow") | $(mib "$tk") | $(mib "$ok") | $(mib "$tc") | $(mib "$oc") | $diff$note |" >>"$table"
  if [ -n "$verdict" ] && [ -z "${gated:-}" ]; then
    echo "llama_conformance: $c:$verdict" >&2
    failures=$((failures + 1))
  fi
done
cat "$table"
echo "llama.cpp ${commit:0:7} ($package); weights and KV must match to the byte, compute within 5%."
if [ "$failures" -gt 0 ]; then
  echo "llama_conformance: $failures of ${#cases[@]} cases disagree with llama.cpp" >&2
  exit 1
fi
echo "llama_conformance: all ${#cases[@]} cases agree"
