// Dispatch: which ISA levels this CPU runs (CPUID through the compiler's builtins), and the
// row loops over a table of per-format dot products.
#include "kernels/matvec.h"

#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "common/check.h"

namespace hwplan::kernels {
namespace {

#if defined(__x86_64__)
bool cpu_has_f16c() {
  // CPUID leaf 1, ECX bit 29 (not every compiler's __builtin_cpu_supports knows "f16c").
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}
#endif

bool cpu_has_avx2() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c();
#else
  return false;
#endif
}

bool cpu_has_avx512() {
#if defined(__x86_64__)
  // The AVX-512 kernels use F (foundation), BW (byte/word ops), VL (256-bit forms) and VNNI.
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vnni");
#else
  return false;
#endif
}

std::vector<Isa> detect_isas() {
  std::vector<Isa> isas{Isa::kScalar};
  if (detail::dot_table_avx2() != nullptr && cpu_has_avx2()) isas.push_back(Isa::kAvx2);
  if (detail::dot_table_avx512() != nullptr && cpu_has_avx512()) isas.push_back(Isa::kAvx512);
  // Advanced SIMD is mandatory on AArch64: built means runnable.
  if (detail::dot_table_neon() != nullptr) isas.push_back(Isa::kNeon);
  return isas;
}

const detail::DotTable& table_for(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      HWPLAN_CHECK(detail::dot_table_avx512() != nullptr) << "AVX-512 kernels not built";
      return *detail::dot_table_avx512();
    case Isa::kAvx2:
      HWPLAN_CHECK(detail::dot_table_avx2() != nullptr) << "AVX2 kernels not built";
      return *detail::dot_table_avx2();
    case Isa::kNeon:
      HWPLAN_CHECK(detail::dot_table_neon() != nullptr) << "NEON kernels not built";
      return *detail::dot_table_neon();
    case Isa::kScalar:
      break;
  }
  return detail::dot_table_scalar();
}

detail::RowDotFn dot_fn(WeightFormat format, Isa isa) {
  const detail::DotTable& t = table_for(isa);
  switch (format) {
    case WeightFormat::kF32:
      return t.f32;
    case WeightFormat::kF16:
      return t.f16;
    case WeightFormat::kBF16:
      return t.bf16;
    case WeightFormat::kQ8_0:
      return t.q8_0;
    case WeightFormat::kQ4_0:
      return t.q4_0;
    case WeightFormat::kQ4K:
      return t.q4k;
    case WeightFormat::kQ6K:
      return t.q6k;
  }
  return t.f32;
}

detail::Rows4DotFn rows4_fn(WeightFormat format, Isa isa) {
  const detail::DotTable& t = table_for(isa);
  switch (format) {
    case WeightFormat::kF16:
      return t.f16_rows4;
    case WeightFormat::kQ8_0:
      return t.q8_0_rows4;
    case WeightFormat::kQ4_0:
      return t.q4_0_rows4;
    default:
      return nullptr;
  }
}

void check_input(WeightFormat format, int64_t cols, const PreparedInput& x) {
  HWPLAN_CHECK(x.n == cols) << "activation length " << x.n << " != matrix columns " << cols;
  const bool q8_0 = format == WeightFormat::kQ8_0 || format == WeightFormat::kQ4_0;
  const bool q8_k = format == WeightFormat::kQ4K || format == WeightFormat::kQ6K;
  HWPLAN_CHECK(!q8_0 || !x.q8.empty()) << "input lacks its Q8_0 form";
  HWPLAN_CHECK(!q8_k || !x.qk.empty()) << "input lacks its Q8_K form";
}

}  // namespace

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
    case Isa::kNeon:
      return "neon";
  }
  return "scalar";
}

std::span<const Isa> available_isas() {
  static const std::vector<Isa> kIsas = detect_isas();
  return kIsas;
}

Isa best_isa() { return available_isas().back(); }

float dot_row(WeightFormat format, const uint8_t* row, const PreparedInput& x, Isa isa) {
  return dot_fn(format, isa)(row, x);
}

void f16_scores(const uint16_t* k, int64_t stride, int64_t n_pos, const float* q, int64_t dim,
                float scale, float* out, Isa isa) {
  table_for(isa).f16_scores(k, stride, n_pos, q, dim, scale, out);
}

void f16_weighted_sum(const uint16_t* v, int64_t stride, int64_t n_pos, const float* w, int64_t dim,
                      float* out, Isa isa) {
  table_for(isa).f16_weighted_sum(v, stride, n_pos, w, dim, out);
}

void matvec_rows(const MatrixView& w, const PreparedInput& x, float* y, int64_t row_begin,
                 int64_t row_end, Isa isa) {
  check_input(w.format, w.cols, x);
  const detail::RowDotFn fn = dot_fn(w.format, isa);
  int64_t r = row_begin;
  const detail::Rows4DotFn rows4 = rows4_fn(w.format, isa);
  if (rows4 != nullptr) {
    // One row from each quarter of the range at a time: four streams that each run through
    // consecutive rows, so the hardware prefetchers stay trained across rows. In `hwplan
    // validate` (fraction of the read probe): F16 0.67-0.71, against 0.55-0.56 for four adjacent
    // rows (four streams of one row each, restarted every group; software prefetches 2 or 4 KiB
    // ahead in each stream gave 0.60-0.71 and were left out); Q8_0 0.60-0.66 and Q4_0
    // 0.50-0.55, against 0.50-0.52 and 0.44-0.48 one row at a time.
    const int64_t quarter = (row_end - row_begin) / 4;
    for (int64_t k = 0; k < quarter; ++k) {
      rows4(w.row(row_begin + k), quarter * w.row_bytes, x, y + row_begin + k, quarter);
    }
    r = row_begin + 4 * quarter;
  }
  for (; r < row_end; ++r) y[r] = fn(w.row(r), x);
}

void matmul_rows(const MatrixView& w, std::span<const PreparedInput> xs, std::span<float* const> ys,
                 int64_t row_begin, int64_t row_end, Isa isa) {
  HWPLAN_CHECK(xs.size() == ys.size()) << "inputs and outputs differ in count";
  for (const PreparedInput& x : xs) check_input(w.format, w.cols, x);
  const detail::RowDotFn fn = dot_fn(w.format, isa);
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* row = w.row(r);
    for (size_t t = 0; t < xs.size(); ++t) ys[t][r] = fn(row, xs[t]);
  }
}

}  // namespace hwplan::kernels
