#pragma once
// Matrix-vector products over weights in their GGUF block layout: a scalar reference per format
// and SIMD versions (AVX2 and AVX-512 with VNNI on x86-64, Advanced SIMD on AArch64), chosen
// through an explicit dispatch table.

#include <cstdint>
#include <span>
#include <string_view>

#include "kernels/activation.h"
#include "kernels/weight_format.h"

namespace hwplan::kernels {

/// An instruction-set level of the dot products.
enum class Isa { kScalar, kAvx2, kAvx512, kNeon };

/// Every level this library knows, whether or not this build or CPU has it.
inline constexpr Isa kAllIsas[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kNeon};

/// "scalar", "avx2", "avx512", "neon".
std::string_view isa_name(Isa isa);
/// The levels this CPU and build can run, scalar first.
std::span<const Isa> available_isas();
/// The fastest available level.
Isa best_isa();

/// A row-major weight matrix in GGUF layout: `rows` rows of `cols` elements, `row_bytes` apart.
/// Does not own `data`.
struct MatrixView {
  WeightFormat format = WeightFormat::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const uint8_t* data = nullptr;
  int64_t row_bytes = 0;

  const uint8_t* row(int64_t r) const { return data + r * row_bytes; }
};

/// The dot product of one row (`x.n` elements of `format`) with prepared activations.
float dot_row(WeightFormat format, const uint8_t* row, const PreparedInput& x, Isa isa);

/// y[r] = row r . x for r in [row_begin, row_end). Preconditions: x.n == w.cols and x holds
/// the form `w.format` reads (checked).
void matvec_rows(const MatrixView& w, const PreparedInput& x, float* y, int64_t row_begin,
                 int64_t row_end, Isa isa);

/// For each row in [row_begin, row_end) and each of `xs`: ys[t][r] = row r . xs[t]. Reads each
/// row once for all the inputs (prefill).
void matmul_rows(const MatrixView& w, std::span<const PreparedInput> xs, std::span<float* const> ys,
                 int64_t row_begin, int64_t row_end, Isa isa);

/// Attention scores over a binary16 K cache: out[j] = scale * (k[j * stride .. + dim] . q) for
/// j < n_pos.
void f16_scores(const uint16_t* k, int64_t stride, int64_t n_pos, const float* q, int64_t dim,
                float scale, float* out, Isa isa);
/// Attention's weighted sum over a binary16 V cache: out[i] = sum_j w[j] * v[j * stride + i] for
/// i < dim (out is overwritten).
void f16_weighted_sum(const uint16_t* v, int64_t stride, int64_t n_pos, const float* w, int64_t dim,
                      float* out, Isa isa);

namespace detail {

/// One format's row dot product at one ISA level.
using RowDotFn = float (*)(const uint8_t* row, const PreparedInput& x);

/// Four rows `row_stride` bytes apart at once: out[k * out_stride] = row k . x. Four concurrent
/// streams keep more cache-line misses in flight than one, which a single core needs to reach
/// the memory bandwidth (matvec_rows takes one row from each quarter of its range).
using Rows4DotFn = void (*)(const uint8_t* rows, int64_t row_stride, const PreparedInput& x,
                            float* out, int64_t out_stride);

/// Dot products of every format for one ISA level.
struct DotTable {
  RowDotFn f32, f16, bf16, q8_0, q4_0, q4k, q6k;
  Rows4DotFn f16_rows4, q8_0_rows4, q4_0_rows4;  ///< nullptr: rows one at a time
  void (*f16_scores)(const uint16_t* k, int64_t stride, int64_t n_pos, const float* q, int64_t dim,
                     float scale, float* out);
  void (*f16_weighted_sum)(const uint16_t* v, int64_t stride, int64_t n_pos, const float* w,
                           int64_t dim, float* out);
};

const DotTable& dot_table_scalar();
const DotTable* dot_table_avx2();    ///< nullptr when not compiled for x86-64
const DotTable* dot_table_avx512();  ///< nullptr when not compiled for x86-64
const DotTable* dot_table_neon();    ///< nullptr when not compiled for AArch64

}  // namespace detail
}  // namespace hwplan::kernels
