#!/usr/bin/env bash
# Checks formatting (.clang-format) and runs clang-tidy (.clang-tidy) over the libraries and the
# executable. Needs a configured build directory (compile_commands.json). Exit 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${HWPLAN_BUILD_DIR:-build}

mapfile -t sources < <(git ls-files '*.cpp' '*.h' '*.cu')
echo "lint: clang-format on ${#sources[@]} files" >&2
clang-format --dry-run --Werror "${sources[@]}"

if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "lint: no $build_dir/compile_commands.json; configure first (scripts/setup.sh)" >&2
  exit 2
fi
# Translation units of the libraries and the executable (tests and benchmarks follow gtest's and
# benchmark's own naming); headers are checked through them.
mapfile -t units < <(git ls-files 'common/src/*.cpp' 'platform/src/*.cpp' 'planner/src/*.cpp' 'probes/src/*.cpp' \
                                  'kernels/src/*.cpp' 'reports/src/*.cpp' 'cli/*.cpp')
echo "lint: clang-tidy on ${#units[@]} files" >&2
run-clang-tidy -quiet -extra-arg=-Wno-unknown-warning-option -p "$build_dir" -j "$(nproc)" "${units[@]}" > "$build_dir/clang-tidy.log" 2>&1 || {
  grep -E "(warning|error):" "$build_dir/clang-tidy.log" | sort -u >&2
  echo "lint: clang-tidy found problems (full log: $build_dir/clang-tidy.log)" >&2
  exit 1
}
echo "lint: clean" >&2
