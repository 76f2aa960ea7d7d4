#!/usr/bin/env bash
# Cross-builds hwplan for 64-bit ARM Linux (DGX Spark, Ampere, Graviton, Apple hardware under
# Linux) with Debian's cross toolchain and runs the unit tests under qemu-user, so the AArch64
# code (Advanced SIMD kernels and probes, ISA detection) is built and tested on an x86-64 machine.
# Installs what it needs (arm64 multiarch libraries, crossbuild-essential-arm64,
# qemu-user-static) when missing. Usage: scripts/arm64_check.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
packages=(crossbuild-essential-arm64 qemu-user-static
          libfmt-dev:arm64 libhwloc-dev:arm64 libnuma-dev:arm64 libgtest-dev:arm64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "arm64_check: installing ${missing[*]}" >&2
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    "${sudo_cmd[@]}" dpkg --add-architecture arm64
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${HWPLAN_ARM64_BUILD_DIR:-build-arm64}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DHWPLAN_NO_CUDA=ON \
  -DHWPLAN_BUILD_BENCH=OFF ${HWPLAN_CMAKE_ARGS:-} >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
# The unit tests (kernels against their scalar reference and llama.cpp's logits, probes, planner,
# formats) run under emulation; the end-to-end CLI tests are x86-64's job.
# Rates measured through the emulator say nothing about hardware: the probe tests leave out their
# physics assertions when HWPLAN_EMULATED is set.
HWPLAN_EMULATED=qemu-user ctest --test-dir "$build_dir" -L unit --output-on-failure -j "$(nproc)" "$@"
