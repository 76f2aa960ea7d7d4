// AVX-512 dot products (F, BW, VL, VNNI; compiled with those flags, run only where CPUID has
// them). Integer formats multiply unsigned weight codes by signed 8-bit activations
// (vpdpbusd / vpmaddubsw) and fold the codes' offsets back in through precomputed activation
// sums, so the inner loops never widen to float per element.
#include <immintrin.h>

#include "../attention_loops.h"
#include "kernels/blocks.h"
#include "kernels/half.h"
#include "kernels/matvec.h"

namespace hwplan::kernels::detail {
namespace {

/// How far ahead of the current block the Q4_0 and Q6_K kernels prefetch: a page, so the next
/// page's lines are in flight before the hardware prefetcher (which stops at page boundaries)
/// retrains. Measured with hwplan_bench: it helped Q4_0 and Q6_K at 2 threads and slowed Q8_0
/// and Q4_K (whose prefetches, one or two per block, mostly repeated lines already requested).
constexpr int64_t kPrefetchAhead = 4096;

void prefetch_ahead(const void* p) {
  const char* ahead = static_cast<const char*>(p) + kPrefetchAhead;
  _mm_prefetch(ahead, _MM_HINT_T1);
  _mm_prefetch(ahead + 64, _MM_HINT_T1);
}

float hsum128(__m128 v) {
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  v = _mm_add_ss(v, _mm_movehdup_ps(v));
  return _mm_cvtss_f32(v);
}

float dot_f32(const uint8_t* row, const PreparedInput& x) {
  const auto* w = reinterpret_cast<const float*>(row);
  const float* xf = x.f32.data();
  __m512 acc0 = _mm512_setzero_ps();
  __m512 acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= x.n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(xf + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(xf + i + 16), acc1);
  }
  float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
  for (; i < x.n; ++i) sum += w[i] * xf[i];
  return sum;
}

__m512 load_f16(const uint8_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

__m512 load_bf16(const uint8_t* p) {
  const __m512i wide =
      _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

template <__m512 (*kLoad)(const uint8_t*), float (*kConvert)(uint16_t)>
float dot_16bit(const uint8_t* row, const PreparedInput& x) {
  const float* xf = x.f32.data();
  __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                   _mm512_setzero_ps()};
  int64_t i = 0;
  for (; i + 64 <= x.n; i += 64) {
    for (int k = 0; k < 4; ++k) {
      acc[k] =
          _mm512_fmadd_ps(kLoad(row + 2 * (i + 16 * k)), _mm512_loadu_ps(xf + i + 16 * k), acc[k]);
    }
  }
  for (; i + 16 <= x.n; i += 16)
    acc[0] = _mm512_fmadd_ps(kLoad(row + 2 * i), _mm512_loadu_ps(xf + i), acc[0]);
  float sum = _mm512_reduce_add_ps(
      _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
  for (; i < x.n; ++i) {
    uint16_t bits = 0;
    __builtin_memcpy(&bits, row + 2 * i, 2);
    sum += kConvert(bits) * xf[i];
  }
  return sum;
}

/// Four rows with exactly dot_16bit's arithmetic per row (same accumulators, same order), so a
/// row's result does not depend on which path computed it.
void f16_rows4(const uint8_t* rows, int64_t row_stride, const PreparedInput& x, float* out,
               int64_t out_stride) {
  const float* xf = x.f32.data();
  __m512 acc[4][4];
  for (auto& row_acc : acc) {
    for (__m512& a : row_acc) a = _mm512_setzero_ps();
  }
  int64_t i = 0;
  for (; i + 64 <= x.n; i += 64) {
    for (int k = 0; k < 4; ++k) {
      const __m512 xv = _mm512_loadu_ps(xf + i + 16 * k);
      for (int r = 0; r < 4; ++r) {
        acc[r][k] =
            _mm512_fmadd_ps(load_f16(rows + r * row_stride + 2 * (i + 16 * k)), xv, acc[r][k]);
      }
    }
  }
  const int64_t vector_end = i;
  for (int r = 0; r < 4; ++r) {
    const uint8_t* row = rows + r * row_stride;
    int64_t j = vector_end;
    for (; j + 16 <= x.n; j += 16) {
      acc[r][0] = _mm512_fmadd_ps(load_f16(row + 2 * j), _mm512_loadu_ps(xf + j), acc[r][0]);
    }
    float sum = _mm512_reduce_add_ps(
        _mm512_add_ps(_mm512_add_ps(acc[r][0], acc[r][1]), _mm512_add_ps(acc[r][2], acc[r][3])));
    for (; j < x.n; ++j) {
      uint16_t bits = 0;
      __builtin_memcpy(&bits, row + 2 * j, 2);
      sum += half_to_float(bits) * xf[j];
    }
    out[r * out_stride] = sum;
  }
}

/// Four binary16 block scales (stride `stride` bytes) as floats. Assembled in a general register
/// and moved once: four 2-byte stores read back as one 8-byte load would stall store forwarding.
__m128 load_scales4(const uint8_t* first, int64_t stride) {
  uint64_t packed = 0;
  for (int k = 0; k < 4; ++k) {
    uint16_t h = 0;
    __builtin_memcpy(&h, first + k * stride, 2);
    packed |= static_cast<uint64_t>(h) << (16 * k);
  }
  return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(packed)));
}

__m512i load2x256(const void* a, const void* b) {
  return _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(a))),
      _mm256_loadu_si256(static_cast<const __m256i*>(b)), 1);
}

/// N rows `row_stride` bytes apart: out[r * out_stride] = row r . x, each row with the same
/// operations in the same order whatever N is, so one row and four agree bit for bit.
template <int N>
void q8_0_rows(const uint8_t* rows, int64_t row_stride, const PreparedInput& x, float* out,
               int64_t out_stride) {
  const BlockQ8_0* blocks[N];
  for (int r = 0; r < N; ++r) blocks[r] = reinterpret_cast<const BlockQ8_0*>(rows + r * row_stride);
  const int64_t n_blocks = x.n / kQ8Block;
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  // Lane l of a 2-block product belongs to block l / 8.
  const __m512i idx01 = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i idx23 = _mm512_add_epi32(idx01, _mm512_set1_epi32(2));
  __m512 acc[N];
  __m128 bias[N];
  for (int r = 0; r < N; ++r) {
    acc[r] = _mm512_setzero_ps();
    bias[r] = _mm_setzero_ps();
  }
  int64_t b = 0;
  for (; b + 4 <= n_blocks; b += 4) {
    const int8_t* xq = x.q8.data() + b * kQ8Block;
    const __m512i x01 = _mm512_loadu_si512(xq);
    const __m512i x23 = _mm512_loadu_si512(xq + 64);
    const __m128 xd = _mm_loadu_ps(&x.q8_d[static_cast<size_t>(b)]);
    const __m128 xsum = _mm_loadu_ps(&x.q8_dsum[static_cast<size_t>(b)]);
    for (int r = 0; r < N; ++r) {
      const BlockQ8_0* blk = blocks[r] + b;
      // (w xor 0x80) read unsigned is w + 128; the 128 * sum(x) it adds is removed through bias.
      const __m512i w01 = _mm512_xor_si512(load2x256(blk[0].qs, blk[1].qs), flip);
      const __m512i w23 = _mm512_xor_si512(load2x256(blk[2].qs, blk[3].qs), flip);
      const __m512i p01 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w01, x01);
      const __m512i p23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w23, x23);
      const __m128 dw =
          load_scales4(reinterpret_cast<const uint8_t*>(&blk[0].d), sizeof(BlockQ8_0));
      const __m512 s = _mm512_castps128_ps512(_mm_mul_ps(dw, xd));
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p01), _mm512_permutexvar_ps(idx01, s), acc[r]);
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p23), _mm512_permutexvar_ps(idx23, s), acc[r]);
      bias[r] = _mm_fmadd_ps(dw, xsum, bias[r]);
    }
  }
  for (int r = 0; r < N; ++r) {
    float sum = _mm512_reduce_add_ps(acc[r]) - 128.0f * hsum128(bias[r]);
    for (int64_t t = b; t < n_blocks; ++t) {
      const BlockQ8_0& blk = blocks[r][t];
      const int8_t* xq = x.q8.data() + t * kQ8Block;
      int isum = 0;
      for (int i = 0; i < kQ8Block; ++i) isum += blk.qs[i] * xq[i];
      sum += _cvtsh_ss(blk.d) * x.q8_d[static_cast<size_t>(t)] * static_cast<float>(isum);
    }
    out[r * out_stride] = sum;
  }
}

float dot_q8_0(const uint8_t* row, const PreparedInput& x) {
  float out = 0.0f;
  q8_0_rows<1>(row, 0, x, &out, 0);
  return out;
}

/// N rows as q8_0_rows; with one row the next page is prefetched (see kPrefetchAhead), with
/// four the rows are four streams the hardware prefetchers follow.
template <int N>
void q4_0_rows(const uint8_t* rows, int64_t row_stride, const PreparedInput& x, float* out,
               int64_t out_stride) {
  const BlockQ4_0* blocks[N];
  for (int r = 0; r < N; ++r) blocks[r] = reinterpret_cast<const BlockQ4_0*>(rows + r * row_stride);
  const int64_t n_blocks = x.n / kQ8Block;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  // Lane l of the product belongs to block l / 4 (16 nibbles of each block per 128-bit lane).
  const __m512i idx = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
  __m512 acc[N];
  __m128 bias[N];
  for (int r = 0; r < N; ++r) {
    acc[r] = _mm512_setzero_ps();
    bias[r] = _mm_setzero_ps();
  }
  int64_t b = 0;
  for (; b + 4 <= n_blocks; b += 4) {
    const int8_t* xq = x.q8_nibble_order.data() + b * kQ8Block;
    const __m512i x_lo = _mm512_loadu_si512(xq);
    const __m512i x_hi = _mm512_loadu_si512(xq + 64);
    const __m128 xd = _mm_loadu_ps(&x.q8_d[static_cast<size_t>(b)]);
    const __m128 xsum = _mm_loadu_ps(&x.q8_dsum[static_cast<size_t>(b)]);
    for (int r = 0; r < N; ++r) {
      const BlockQ4_0* blk = blocks[r] + b;
      if constexpr (N == 1) prefetch_ahead(blk);
      __m512i q =
          _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[0].qs)));
      q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[1].qs)), 1);
      q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[2].qs)), 2);
      q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk[3].qs)), 3);
      const __m512i lo = _mm512_and_si512(q, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low4);
      __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, x_lo);
      p = _mm512_dpbusd_epi32(p, hi, x_hi);
      const __m128 dw =
          load_scales4(reinterpret_cast<const uint8_t*>(&blk[0].d), sizeof(BlockQ4_0));
      const __m512 s = _mm512_castps128_ps512(_mm_mul_ps(dw, xd));
      acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(p), _mm512_permutexvar_ps(idx, s), acc[r]);
      bias[r] = _mm_fmadd_ps(dw, xsum, bias[r]);
    }
  }
  for (int r = 0; r < N; ++r) {
    // Codes are q + 8 for weights q in [-8, 7].
    float sum = _mm512_reduce_add_ps(acc[r]) - 8.0f * hsum128(bias[r]);
    for (int64_t t = b; t < n_blocks; ++t) {
      const BlockQ4_0& blk = blocks[r][t];
      const int8_t* xq = x.q8.data() + t * kQ8Block;
      int isum = 0;
      for (int i = 0; i < kQ8Block / 2; ++i) {
        isum += ((blk.qs[i] & 0x0f) - 8) * xq[i] + ((blk.qs[i] >> 4) - 8) * xq[i + 16];
      }
      sum += _cvtsh_ss(blk.d) * x.q8_d[static_cast<size_t>(t)] * static_cast<float>(isum);
    }
    out[r * out_stride] = sum;
  }
}

float dot_q4_0(const uint8_t* row, const PreparedInput& x) {
  float out = 0.0f;
  q4_0_rows<1>(row, 0, x, &out, 0);
  return out;
}

/// A permutation index that spreads two 16-bit values (positions a, b of a vector) over 16 lanes
/// each: lanes 0-15 take a, lanes 16-31 take b.
__m512i spread2(short a, short b) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi16(a)), _mm256_set1_epi16(b), 1);
}

float dot_q4k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ4K*>(row);
  const int64_t n_blocks = x.n / kSuperBlock;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  // The activations are in sub-block order 0,2 | 1,3 | 4,6 | 5,7, matching the nibble halves.
  const __m512i spread[4] = {spread2(0, 2), spread2(1, 3), spread2(4, 6), spread2(5, 7)};
  __m512 acc = _mm512_setzero_ps();
  __m128 mins_acc = _mm_setzero_ps();
  for (int64_t b = 0; b < n_blocks; ++b) {
    const BlockQ4K& blk = blocks[b];
    // Unpack the 6-bit scales and mins in SIMD (see unpack_q4k_scales in blocks.h): 32-bit lanes
    // w0, w1, w2 of the 12 scale bytes give scales 0-3 (w0), mins 0-3 (w1), and scales / mins
    // 4-7 from w2's low / high nibbles plus the top two bits of w0 / w1.
    const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales));
    const __m128i low6 = _mm_and_si128(w, _mm_set1_epi32(0x3f3f3f3f));  // [sc_lo, mn_lo, ., .]
    const __m128i w2 = _mm_shuffle_epi32(w, 0xaa);
    const __m128i nibbles =
        _mm_and_si128(_mm_srlv_epi32(w2, _mm_setr_epi32(0, 4, 0, 0)), _mm_set1_epi32(0x0f0f0f0f));
    const __m128i top2 =
        _mm_slli_epi32(_mm_and_si128(_mm_srli_epi32(w, 6), _mm_set1_epi32(0x03030303)), 4);
    const __m128i high = _mm_or_si128(nibbles, top2);  // [sc_hi, mn_hi, ., .]
    const __m256i s16 = _mm256_cvtepu8_epi16(_mm_unpacklo_epi32(low6, high));
    const __m512i scales = _mm512_castsi256_si512(s16);
    const __m512i qa = _mm512_loadu_si512(blk.qs);
    const __m512i qb = _mm512_loadu_si512(blk.qs + 64);
    const __m512i codes[4] = {
        _mm512_and_si512(qa, low4), _mm512_and_si512(_mm512_srli_epi16(qa, 4), low4),
        _mm512_and_si512(qb, low4), _mm512_and_si512(_mm512_srli_epi16(qb, 4), low4)};
    const int8_t* xq = x.qk_q4k_order.data() + b * kSuperBlock;
    __m512i isum = _mm512_setzero_si512();
    for (int k = 0; k < 4; ++k) {
      const __m512i p = _mm512_maddubs_epi16(codes[k], _mm512_loadu_si512(xq + 64 * k));
      isum =
          _mm512_add_epi32(isum, _mm512_madd_epi16(p, _mm512_permutexvar_epi16(spread[k], scales)));
    }
    const float dx = x.qk_d[static_cast<size_t>(b)];
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(_cvtsh_ss(blk.d) * dx), acc);
    const __m128i mins = _mm_madd_epi16(
        _mm256_extracti128_si256(s16, 1),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(x.qk_sum32.data() + b * 8)));
    mins_acc = _mm_fmadd_ps(_mm_cvtepi32_ps(mins), _mm_set1_ps(_cvtsh_ss(blk.dmin) * dx), mins_acc);
  }
  return _mm512_reduce_add_ps(acc) - hsum128(mins_acc);
}

/// Lanes 8k..8k+7 of 32 take position `first + k` of a 16-value vector.
__m512i spread4(short first) {
  return _mm512_setr_epi64(0x0001000100010001LL * first, 0x0001000100010001LL * first,
                           0x0001000100010001LL * (first + 1), 0x0001000100010001LL * (first + 1),
                           0x0001000100010001LL * (first + 2), 0x0001000100010001LL * (first + 2),
                           0x0001000100010001LL * (first + 3), 0x0001000100010001LL * (first + 3));
}

float dot_q6k(const uint8_t* row, const PreparedInput& x) {
  const auto* blocks = reinterpret_cast<const BlockQ6K*>(row);
  const int64_t n_blocks = x.n / kSuperBlock;
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const __m512i low2 = _mm512_set1_epi8(0x03);
  const __m512i spread[4] = {spread4(0), spread4(4), spread4(8), spread4(12)};
  __m512 acc = _mm512_setzero_ps();
  for (int64_t b = 0; b < n_blocks; ++b) {
    const BlockQ6K& blk = blocks[b];
    prefetch_ahead(&blk);
    prefetch_ahead(blk.qh);
    const __m256i sc16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales)));
    const __m512i scales = _mm512_castsi256_si512(sc16);
    const int8_t* xq = x.qk.data() + b * kSuperBlock;
    __m512i isum = _mm512_setzero_si512();
    for (int half = 0; half < 2; ++half) {
      const __m512i ql = _mm512_loadu_si512(blk.ql + 64 * half);
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * half));
      // High bits of elements 0-31 and 32-63 are qh bits 0-1 and 2-3; of 64-127, bits 4-7.
      const __m512i high_a =
          _mm512_inserti64x4(_mm512_castsi256_si512(qh), _mm256_srli_epi16(qh, 2), 1);
      const __m512i high_b = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_srli_epi16(qh, 4)),
                                                _mm256_srli_epi16(qh, 6), 1);
      const __m512i codes_a = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                              _mm512_slli_epi16(_mm512_and_si512(high_a, low2), 4));
      const __m512i codes_b = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                              _mm512_slli_epi16(_mm512_and_si512(high_b, low2), 4));
      const __m512i pa = _mm512_maddubs_epi16(codes_a, _mm512_loadu_si512(xq + 128 * half));
      const __m512i pb = _mm512_maddubs_epi16(codes_b, _mm512_loadu_si512(xq + 128 * half + 64));
      isum = _mm512_add_epi32(
          isum, _mm512_madd_epi16(pa, _mm512_permutexvar_epi16(spread[2 * half], scales)));
      isum = _mm512_add_epi32(
          isum, _mm512_madd_epi16(pb, _mm512_permutexvar_epi16(spread[2 * half + 1], scales)));
    }
    // Codes are q + 32: remove 32 * sum_g scale[g] * sum(x in g).
    const __m256i offset = _mm256_madd_epi16(
        sc16, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qk_sum16.data() + b * 16)));
    isum = _mm512_sub_epi32(isum, _mm512_zextsi256_si512(_mm256_slli_epi32(offset, 5)));
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum),
                          _mm512_set1_ps(_cvtsh_ss(blk.d) * x.qk_d[static_cast<size_t>(b)]), acc);
  }
  return _mm512_reduce_add_ps(acc);
}

float f16_dot(const uint16_t* a, const float* b, int64_t n) {
  __m512 acc = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    acc = _mm512_fmadd_ps(
        _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i))),
        _mm512_loadu_ps(b + i), acc);
  float sum = _mm512_reduce_add_ps(acc);
  for (; i < n; ++i) sum += half_to_float(a[i]) * b[i];
  return sum;
}

void f16_axpy(float alpha, const uint16_t* a, float* y, int64_t n) {
  const __m512 scale = _mm512_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(
        y + i,
        _mm512_fmadd_ps(
            scale, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + i))),
            _mm512_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * half_to_float(a[i]);
}

}  // namespace

const DotTable* dot_table_avx512() {
  static const DotTable kTable{dot_f32,
                               dot_16bit<load_f16, half_to_float>,
                               dot_16bit<load_bf16, bf16_to_float>,
                               dot_q8_0,
                               dot_q4_0,
                               dot_q4k,
                               dot_q6k,
                               f16_rows4,
                               q8_0_rows<4>,
                               q4_0_rows<4>,
                               f16_scores_with<f16_dot>,
                               f16_weighted_sum_with<f16_axpy>};
  return &kTable;
}

}  // namespace hwplan::kernels::detail
