// One matrix-vector product per weight format and ISA, single-threaded, for counting the
// kernels' instructions per weight byte under callgrind (scripts/perf_check.sh). Instruction
// counts do not depend on what else the machine is doing, so unlike a bandwidth ratio they can be
// compared with a committed baseline across machines that run the same build.
//
// Usage: hwplan_kernel_work FORMAT ISA [ROWS]   (prints the weight bytes the product read)
// Each product runs in kernel_work_product(), the function callgrind is told to count.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/matvec.h"
#include "kernels/quantize.h"
#include "kernels/weight_format.h"

namespace {

using hwplan::kernels::Isa;
using hwplan::kernels::WeightFormat;

// Deterministic values in about [-0.05, 0.05]: no <random> so nothing but the product is counted.
std::vector<float> pattern_row(int64_t cols, int64_t row) {
  std::vector<float> out(static_cast<size_t>(cols));
  for (int64_t c = 0; c < cols; ++c) {
    out[static_cast<size_t>(c)] =
        static_cast<float>(((c * 7919 + row * 104729) % 2001) - 1000) * 5e-5f;
  }
  return out;
}

}  // namespace

/// The counted region (callgrind --toggle-collect=kernel_work_product).
extern "C" __attribute__((noinline)) void kernel_work_product(
    const hwplan::kernels::MatrixView& m, const hwplan::kernels::PreparedInput& x, float* y,
    Isa isa) {
  hwplan::kernels::matvec_rows(m, x, y, 0, m.rows, isa);
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: %s FORMAT ISA [ROWS]\n", argv[0]);
    return 2;
  }
  const auto format = hwplan::kernels::format_from_name(argv[1]);
  if (!format) {
    std::fprintf(stderr, "%s: unknown format '%s'\n", argv[0], argv[1]);
    return 2;
  }
  const std::string_view isa_arg = argv[2];
  const Isa* isa = nullptr;
  for (const Isa& candidate : hwplan::kernels::available_isas()) {
    if (hwplan::kernels::isa_name(candidate) == isa_arg) isa = &candidate;
  }
  if (isa == nullptr) {
    std::fprintf(stderr, "%s: ISA '%s' is not available here\n", argv[0], argv[2]);
    return 2;
  }
  const int64_t rows = argc == 4 ? std::atoll(argv[3]) : 256;
  if (rows < 1 || rows > 65536) {
    std::fprintf(stderr, "%s: ROWS must be 1..65536\n", argv[0]);
    return 2;
  }
  const int64_t cols = 4096;
  const int64_t rb = hwplan::kernels::row_bytes(*format, cols);
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * rb));
  for (int64_t r = 0; r < rows; ++r) {
    hwplan::kernels::quantize_row(*format, pattern_row(cols, r).data(), bytes.data() + r * rb,
                                  cols);
  }
  const hwplan::kernels::MatrixView view{*format, rows, cols, bytes.data(), rb};
  const std::vector<float> x(static_cast<size_t>(cols), 0.5f);
  hwplan::kernels::PreparedInput input;
  hwplan::kernels::prepare_input(x.data(), cols, input);
  std::vector<float> y(static_cast<size_t>(rows));
  kernel_work_product(view, input, y.data(), *isa);
  // Use the result so the product cannot be dropped.
  double sum = 0;
  for (float v : y) sum += v;
  std::printf("%lld %.6g\n", static_cast<long long>(bytes.size()), sum);
  return 0;
}
