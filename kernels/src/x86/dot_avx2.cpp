// AVX2 + FMA + F16C dot products (compiled with those flags, run only where CPUID has them).
// Integer formats use vpmaddubsw (unsigned codes x signed activations) then vpmaddwd with the
// block scales; one block per step.
#include <immintrin.h>

#include "../attention_loops.h"
#include "kernels/blocks.h"
#include "kernels/half.h"
#include "kernels/matvec.h"

namespace hwplan::kernels::detail {
namespace {

float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

/// Sums adjacent 16-bit products into 32-bit lanes.
__m256i widen_sum(__m256i p16) { return _mm256_madd_epi16(p16, _mm256_set1_epi16(1)); }

float dot_f32(const uint8_t* row, const PreparedInput& x) {
  const auto* w = reinterpret_cast<const float*>(row);
  const float* xf = x.f32.data();
  __m256 acc0 = _mm256_setzero_ps();
  __m256 acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= x.n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(xf + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(xf + i + 8), acc1);
  }
  float sum = hsum256(_mm256_add_ps(acc0, acc1));
  for (; i < x.n; ++i) sum += w[i] * xf[i];
  return sum;
}

__m256 load_f16(const uint8_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

__m256 load_bf16(const uint8_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

template <__m256 (*kLoad)(const uint8_t*), float (*kConvert)(uint16_t)>
float dot_16bit(const uint8_t* row, const PreparedInput& x) {
  const float* xf = x.f32.data();
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= x.n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] =
          _mm256_fmadd_ps(kLoad(row + 2 * (i + 8 * k)), _mm256_loadu_ps(xf + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= x.n; i += 8)
    acc[0] = _mm256_fmadd_ps(kLoad(row + 2 * i), _mm256_loadu_ps(xf + i), acc[0]);
  float sum = hsum256(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < x.n; ++i) {
    uint16_t bits = 0;
    __builtin_memcpy(&bits, row + 2 * i, 2);
    sum += kConvert(bits) * xf[i];
  }
  return sum;
}

float dot_q8_0(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < x.n / kQ8Block; ++b) {
    const __m256i w = load256(blocks[b].qs);
    const __m256i xq = load256(x.q8.data() + b * kQ8Block);
    // |w| * (x with w's sign) equals w * x and keeps vpmaddubsw's first operand unsigned.
    const __m256i p =
        widen_sum(_mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xq, w)));
    const float s = _cvtsh_ss(blocks[b].d) * x.q8_d[static_cast<size_t>(b)];
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(s), acc);
  }
  return hsum256(acc);
}

float dot_q4_0(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps();
  float bias = 0.0f;
  for (int64_t b = 0; b < x.n / kQ8Block; ++b) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[b].qs));
    const __m256i codes = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q),
                                           low4);  // low nibbles, then high nibbles
    const __m256i p = widen_sum(_mm256_maddubs_epi16(codes, load256(x.q8.data() + b * kQ8Block)));
    const float dw = _cvtsh_ss(blocks[b].d);
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p),
                          _mm256_set1_ps(dw * x.q8_d[static_cast<size_t>(b)]), acc);
    bias += dw * x.q8_dsum[static_cast<size_t>(b)];
  }
  return hsum256(acc) - 8.0f * bias;
}

float dot_q4k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4K*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  __m256 acc = _mm256_setzero_ps();
  float mins_total = 0.0f;
  for (int64_t b = 0; b < x.n / kSuperBlock; ++b) {
    const BlockQ4K& blk = blocks[b];
    const Q4KScales s = unpack_q4k_scales(blk.scales);
    const int8_t* xq = x.qk.data() + b * kSuperBlock;
    __m256i isum = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i q = load256(blk.qs + 32 * j);
      const __m256i lo = _mm256_maddubs_epi16(_mm256_and_si256(q, low4), load256(xq + 64 * j));
      const __m256i hi = _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), low4),
                                              load256(xq + 64 * j + 32));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(lo, _mm256_set1_epi16(s.scale[2 * j])));
      isum = _mm256_add_epi32(isum, _mm256_madd_epi16(hi, _mm256_set1_epi16(s.scale[2 * j + 1])));
    }
    int mins = 0;
    for (int sub = 0; sub < 8; ++sub)
      mins += s.min[sub] * x.qk_sum32[static_cast<size_t>(b * 8 + sub)];
    const float dx = x.qk_d[static_cast<size_t>(b)];
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(_cvtsh_ss(blk.d) * dx), acc);
    mins_total += _cvtsh_ss(blk.dmin) * dx * static_cast<float>(mins);
  }
  return hsum256(acc) - mins_total;
}

float dot_q6k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ6K*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const __m256i low2 = _mm256_set1_epi8(0x03);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t b = 0; b < x.n / kSuperBlock; ++b) {
    const BlockQ6K& blk = blocks[b];
    const int8_t* xq = x.qk.data() + b * kSuperBlock;
    __m256i isum = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const __m256i ql0 = load256(blk.ql + 64 * half);
      const __m256i ql1 = load256(blk.ql + 64 * half + 32);
      const __m256i qh = load256(blk.qh + 32 * half);
      const __m256i codes[4] = {
          _mm256_or_si256(_mm256_and_si256(ql0, low4),
                          _mm256_slli_epi16(_mm256_and_si256(qh, low2), 4)),
          _mm256_or_si256(_mm256_and_si256(ql1, low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), low2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), low2), 4)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), low2), 4))};
      for (int k = 0; k < 4; ++k) {
        const int g = 8 * half + 2 * k;  // the register's two groups of 16
        const __m256i scale =
            _mm256_set_m128i(_mm_set1_epi16(blk.scales[g + 1]), _mm_set1_epi16(blk.scales[g]));
        const __m256i p = _mm256_maddubs_epi16(codes[k], load256(xq + 128 * half + 32 * k));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scale));
      }
    }
    int offset = 0;
    for (int g = 0; g < 16; ++g)
      offset += blk.scales[g] * x.qk_sum16[static_cast<size_t>(b * 16 + g)];
    isum = _mm256_sub_epi32(isum, _mm256_setr_epi32(32 * offset, 0, 0, 0, 0, 0, 0, 0));
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum),
                          _mm256_set1_ps(_cvtsh_ss(blk.d) * x.qk_d[static_cast<size_t>(b)]), acc);
  }
  return hsum256(acc);
}

float f16_dot(const uint16_t* a, const float* b, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    acc = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))),
                          _mm256_loadu_ps(b + i), acc);
  float sum = hsum256(acc);
  for (; i < n; ++i) sum += half_to_float(a[i]) * b[i];
  return sum;
}

void f16_axpy(float alpha, const uint16_t* a, float* y, int64_t n) {
  const __m256 scale = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(
        y + i, _mm256_fmadd_ps(
                   scale, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))),
                   _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * half_to_float(a[i]);
}

}  // namespace

const DotTable* dot_table_avx2() {
  static const DotTable kTable{dot_f32,
                               dot_16bit<load_f16, half_to_float>,
                               dot_16bit<load_bf16, bf16_to_float>,
                               dot_q8_0,
                               dot_q4_0,
                               dot_q4k,
                               dot_q6k,
                               nullptr,
                               nullptr,
                               nullptr,
                               f16_scores_with<f16_dot>,
                               f16_weighted_sum_with<f16_axpy>};
  return &kTable;
}

}  // namespace hwplan::kernels::detail
