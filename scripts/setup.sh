#!/usr/bin/env bash
# Installs the Debian packages hwplan needs, builds it, and prints a "will it fit" table for a
# default set of models on every bundled machine. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config git
          libfmt-dev nlohmann-json3-dev libcli11-dev libeigen3-dev
          libhwloc-dev libnuma-dev libbenchmark-dev libgtest-dev libgmock-dev
          clang clang-format clang-tidy libclang-rt-14-dev chromium valgrind)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${HWPLAN_BUILD_DIR:-build}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release ${HWPLAN_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"

if [ "${HWPLAN_SETUP_NO_RUN:-0}" != 1 ]; then
  "$build_dir/cli/hwplan" fit \
    --model llama-3.1-8b,qwen3-30b-a3b,llama-3.1-70b,gpt-oss-120b,deepseek-v3 --quant q4_k_m
fi
