// The scalar reference dot products: the truth every SIMD path is tested against. Integer formats
// use the prepared 8-bit activations exactly as the SIMD paths do, so the two agree to float
// rounding; the float formats accumulate in float.
#include <cstring>

#include "attention_loops.h"
#include "kernels/blocks.h"
#include "kernels/half.h"
#include "kernels/matvec.h"

namespace hwplan::kernels::detail {
namespace {

float dot_f32(const uint8_t* row, const PreparedInput& x) {
  float sum = 0.0f;
  for (int64_t i = 0; i < x.n; ++i) {
    float w = 0.0f;
    std::memcpy(&w, row + 4 * i, 4);
    sum += w * x.f32[static_cast<size_t>(i)];
  }
  return sum;
}

template <float (*kConvert)(uint16_t)>
float dot_16bit(const uint8_t* row, const PreparedInput& x) {
  float sum = 0.0f;
  for (int64_t i = 0; i < x.n; ++i) {
    uint16_t bits = 0;
    std::memcpy(&bits, row + 2 * i, 2);
    sum += kConvert(bits) * x.f32[static_cast<size_t>(i)];
  }
  return sum;
}

float dot_q8_0(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row);
  float sum = 0.0f;
  for (int64_t b = 0; b < x.n / kQ8Block; ++b) {
    const int8_t* xq = x.q8.data() + b * kQ8Block;
    int isum = 0;
    for (int i = 0; i < kQ8Block; ++i) isum += blocks[b].qs[i] * xq[i];
    sum += half_to_float(blocks[b].d) * x.q8_d[static_cast<size_t>(b)] * static_cast<float>(isum);
  }
  return sum;
}

float dot_q4_0(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(row);
  float sum = 0.0f;
  for (int64_t b = 0; b < x.n / kQ8Block; ++b) {
    const int8_t* xq = x.q8.data() + b * kQ8Block;
    int isum = 0;
    for (int i = 0; i < kQ8Block / 2; ++i) {
      isum += ((blocks[b].qs[i] & 0x0f) - 8) * xq[i];
      isum += ((blocks[b].qs[i] >> 4) - 8) * xq[i + kQ8Block / 2];
    }
    sum += half_to_float(blocks[b].d) * x.q8_d[static_cast<size_t>(b)] * static_cast<float>(isum);
  }
  return sum;
}

float dot_q4k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4K*>(row);
  float sum = 0.0f;
  for (int64_t b = 0; b < x.n / kSuperBlock; ++b) {
    const int8_t* xq = x.qk.data() + b * kSuperBlock;
    const Q4KScales s = unpack_q4k_scales(blocks[b].scales);
    int scaled = 0;
    int mins = 0;
    for (int sub = 0; sub < 8; ++sub) {
      int isum = 0;
      for (int i = 32 * sub; i < 32 * sub + 32; ++i) isum += q4k_value(blocks[b], i) * xq[i];
      scaled += s.scale[sub] * isum;
      mins += s.min[sub] * x.qk_sum32[static_cast<size_t>(b * 8 + sub)];
    }
    const float dx = x.qk_d[static_cast<size_t>(b)];
    sum += dx * (half_to_float(blocks[b].d) * static_cast<float>(scaled) -
                 half_to_float(blocks[b].dmin) * static_cast<float>(mins));
  }
  return sum;
}

float dot_q6k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ6K*>(row);
  float sum = 0.0f;
  for (int64_t b = 0; b < x.n / kSuperBlock; ++b) {
    const int8_t* xq = x.qk.data() + b * kSuperBlock;
    int scaled = 0;
    for (int g = 0; g < 16; ++g) {
      int isum = 0;
      for (int i = 16 * g; i < 16 * g + 16; ++i) isum += (q6k_value(blocks[b], i) - 32) * xq[i];
      scaled += blocks[b].scales[g] * isum;
    }
    sum += half_to_float(blocks[b].d) * x.qk_d[static_cast<size_t>(b)] * static_cast<float>(scaled);
  }
  return sum;
}

float f16_dot(const uint16_t* a, const float* b, int64_t n) {
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) sum += half_to_float(a[i]) * b[i];
  return sum;
}

void f16_axpy(float alpha, const uint16_t* v, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += alpha * half_to_float(v[i]);
}

}  // namespace

const DotTable& dot_table_scalar() {
  static const DotTable kTable{dot_f32,
                               dot_16bit<half_to_float>,
                               dot_16bit<bf16_to_float>,
                               dot_q8_0,
                               dot_q4_0,
                               dot_q4k,
                               dot_q6k,
                               nullptr,
                               nullptr,
                               nullptr,
                               f16_scores_with<f16_dot>,
                               f16_weighted_sum_with<f16_axpy>};
  return kTable;
}

}  // namespace hwplan::kernels::detail
