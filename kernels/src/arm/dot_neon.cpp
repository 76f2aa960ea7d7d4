// AArch64 Advanced SIMD (NEON) dot products: F32, F16 and BF16 in float lanes, Q8_0, Q4_0 and Q4_K
// as 8-bit products widened to 16 bits (vmull_s8) and summed pairwise into 32-bit lanes
// (vpadalq_s16), so no sum is ever held in 16 bits; Q6_K uses the scalar reference. Advanced
// SIMD is part of every AArch64 CPU, so these run wherever the build is for aarch64.
#include <arm_neon.h>

#include <cstring>

#include "../attention_loops.h"
#include "kernels/blocks.h"
#include "kernels/half.h"
#include "kernels/matvec.h"

namespace hwplan::kernels::detail {
namespace {

float32x4_t load_f16x4(const uint8_t* p) {
  uint16_t bits[4];
  std::memcpy(bits, p, sizeof(bits));
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(bits)));
}

float32x4_t load_bf16x4(const uint8_t* p) {
  uint16_t bits[4];
  std::memcpy(bits, p, sizeof(bits));
  return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(bits), 16));
}

float32x4_t load_f32x4(const uint8_t* p) {
  float v[4];
  std::memcpy(v, p, sizeof(v));
  return vld1q_f32(v);
}

/// Four float lanes per step over `n` elements of a row whose element is `kBytes` wide.
template <float32x4_t (*kLoad)(const uint8_t*), int kBytes, float (*kConvert)(const uint8_t*)>
float dot_float(const uint8_t* row, const PreparedInput& x) {
  const float* xf = x.f32.data();
  float32x4_t acc0 = vdupq_n_f32(0.0f), acc1 = acc0;
  int64_t i = 0;
  for (; i + 8 <= x.n; i += 8) {
    acc0 = vfmaq_f32(acc0, kLoad(row + kBytes * i), vld1q_f32(xf + i));
    acc1 = vfmaq_f32(acc1, kLoad(row + kBytes * (i + 4)), vld1q_f32(xf + i + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < x.n; ++i) sum += kConvert(row + kBytes * i) * xf[i];
  return sum;
}

float f32_at(const uint8_t* p) {
  float v = 0.0f;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
float f16_at(const uint8_t* p) {
  uint16_t bits = 0;
  std::memcpy(&bits, p, sizeof(bits));
  return half_to_float(bits);
}
float bf16_at(const uint8_t* p) {
  uint16_t bits = 0;
  std::memcpy(&bits, p, sizeof(bits));
  return bf16_to_float(bits);
}

/// acc += the pairwise sums of a[0..16) * b[0..16), in 32-bit lanes.
int32x4_t dot16_i8(int32x4_t acc, int8x16_t a, int8x16_t b) {
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(a), vget_low_s8(b)));
  return vpadalq_s16(acc, vmull_high_s8(a, b));
}

float dot_q8_0(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row);
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < x.n / kQ8Block; ++b) {
    const int8_t* xq = x.q8.data() + b * kQ8Block;
    int32x4_t isum = dot16_i8(vdupq_n_s32(0), vld1q_s8(blocks[b].qs), vld1q_s8(xq));
    isum = dot16_i8(isum, vld1q_s8(blocks[b].qs + 16), vld1q_s8(xq + 16));
    const float s = half_to_float(blocks[b].d) * x.q8_d[static_cast<size_t>(b)];
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(isum), s);
  }
  return vaddvq_f32(acc);
}

float dot_q4_0(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(row);
  const uint8x16_t low4 = vdupq_n_u8(0x0f);
  const int8x16_t eight = vdupq_n_s8(8);
  float32x4_t acc = vdupq_n_f32(0.0f);
  for (int64_t b = 0; b < x.n / kQ8Block; ++b) {
    const uint8x16_t q = vld1q_u8(blocks[b].qs);
    const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, low4)), eight);
    const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight);
    const int8_t* xq = x.q8.data() + b * kQ8Block;
    const int32x4_t isum =
        dot16_i8(dot16_i8(vdupq_n_s32(0), lo, vld1q_s8(xq)), hi, vld1q_s8(xq + 16));
    const float s = half_to_float(blocks[b].d) * x.q8_d[static_cast<size_t>(b)];
    acc = vfmaq_n_f32(acc, vcvtq_f32_s32(isum), s);
  }
  return vaddvq_f32(acc);
}

float dot_q4k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4K*>(row);
  const uint8x16_t low4 = vdupq_n_u8(0x0f);
  float sum = 0.0f;
  for (int64_t b = 0; b < x.n / kSuperBlock; ++b) {
    const BlockQ4K& blk = blocks[b];
    const Q4KScales s = unpack_q4k_scales(blk.scales);
    const int8_t* xq = x.qk.data() + b * kSuperBlock;
    int32x4_t scaled = vdupq_n_s32(0);
    // Each 32 bytes of qs: sub-block 2j in the low nibbles, 2j + 1 in the high ones.
    for (int j = 0; j < 4; ++j) {
      int32x4_t lo_sum = vdupq_n_s32(0), hi_sum = vdupq_n_s32(0);
      for (int half = 0; half < 2; ++half) {
        const uint8x16_t q = vld1q_u8(blk.qs + 32 * j + 16 * half);
        lo_sum = dot16_i8(lo_sum, vreinterpretq_s8_u8(vandq_u8(q, low4)),
                          vld1q_s8(xq + 64 * j + 16 * half));
        hi_sum = dot16_i8(hi_sum, vreinterpretq_s8_u8(vshrq_n_u8(q, 4)),
                          vld1q_s8(xq + 64 * j + 32 + 16 * half));
      }
      scaled = vmlaq_n_s32(scaled, lo_sum, s.scale[2 * j]);
      scaled = vmlaq_n_s32(scaled, hi_sum, s.scale[2 * j + 1]);
    }
    int mins = 0;
    for (int sub = 0; sub < 8; ++sub)
      mins += s.min[sub] * x.qk_sum32[static_cast<size_t>(b * 8 + sub)];
    const float dx = x.qk_d[static_cast<size_t>(b)];
    sum += dx * (half_to_float(blk.d) * static_cast<float>(vaddvq_s32(scaled)) -
                 half_to_float(blk.dmin) * static_cast<float>(mins));
  }
  return sum;
}

float f16_dot(const uint16_t* a, const float* b, int64_t n) {
  float32x4_t acc = vdupq_n_f32(0.0f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    acc = vfmaq_f32(acc, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(a + i))), vld1q_f32(b + i));
  }
  float sum = vaddvq_f32(acc);
  for (; i < n; ++i) sum += half_to_float(a[i]) * b[i];
  return sum;
}

void f16_axpy(float alpha, const uint16_t* a, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(a + i)));
    vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), v, alpha));
  }
  for (; i < n; ++i) y[i] += alpha * half_to_float(a[i]);
}

}  // namespace

const DotTable* dot_table_neon() {
  static const DotTable kTable{dot_float<load_f32x4, 4, f32_at>,
                               dot_float<load_f16x4, 2, f16_at>,
                               dot_float<load_bf16x4, 2, bf16_at>,
                               dot_q8_0,
                               dot_q4_0,
                               dot_q4k,
                               dot_table_scalar().q6k,
                               nullptr,
                               nullptr,
                               nullptr,
                               f16_scores_with<f16_dot>,
                               f16_weighted_sum_with<f16_axpy>};
  return &kTable;
}

}  // namespace hwplan::kernels::detail
