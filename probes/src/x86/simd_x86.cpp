// x86-64 kernels: AVX-512 and AVX2 bandwidth loops and FMA/VNNI/BF16 peak loops, each compiled
// for its level through a target attribute and chosen from CPUID at run time.

// GCC 12's AVX-512 reductions read an _mm512_undefined register on purpose; its -Wuninitialized
// fires inside the intrinsic headers once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cpuid.h>
#include <immintrin.h>

#include "../simd_kernels.h"
#include "common/error.h"

namespace hwplan::probes::detail {
namespace {

// ---- bandwidth ----

// Four streams, one per quarter of the chunk, so one thread keeps several prefetch streams (and
// so enough misses) in flight; a single sequential stream leaves DRAM bandwidth unused.
__attribute__((target("avx512f"))) double read_avx512(const double* a, size_t n) {
  __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  const size_t q = n / 4;
  const double *p0 = a, *p1 = a + q, *p2 = a + 2 * q, *p3 = a + 3 * q;
  for (size_t i = 0; i < q; i += 8) {
    s0 = _mm512_add_pd(s0, _mm512_load_pd(p0 + i));
    s1 = _mm512_add_pd(s1, _mm512_load_pd(p1 + i));
    s2 = _mm512_add_pd(s2, _mm512_load_pd(p2 + i));
    s3 = _mm512_add_pd(s3, _mm512_load_pd(p3 + i));
  }
  return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
}
__attribute__((target("avx512f"))) void write_avx512(double* a, size_t n, double v) {
  const __m512d x = _mm512_set1_pd(v);
  for (size_t i = 0; i < n; i += 8) _mm512_store_pd(a + i, x);
}
__attribute__((target("avx512f"))) void write_nt_avx512(double* a, size_t n, double v) {
  const __m512d x = _mm512_set1_pd(v);
  for (size_t i = 0; i < n; i += 8) _mm512_stream_pd(a + i, x);
  _mm_sfence();
}
__attribute__((target("avx512f"))) void copy_avx512(double* c, const double* a, size_t n) {
  for (size_t i = 0; i < n; i += 8) _mm512_store_pd(c + i, _mm512_load_pd(a + i));
}
__attribute__((target("avx512f"))) void triad_avx512(double* a, const double* b, const double* c,
                                                     size_t n, double s) {
  const __m512d x = _mm512_set1_pd(s);
  for (size_t i = 0; i < n; i += 8) {
    _mm512_store_pd(a + i, _mm512_fmadd_pd(x, _mm512_load_pd(c + i), _mm512_load_pd(b + i)));
  }
}

__attribute__((target("avx2,fma"))) double read_avx2(const double* a, size_t n) {
  __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
  const size_t q = n / 4;
  const double *p0 = a, *p1 = a + q, *p2 = a + 2 * q, *p3 = a + 3 * q;
  for (size_t i = 0; i < q; i += 4) {
    s0 = _mm256_add_pd(s0, _mm256_load_pd(p0 + i));
    s1 = _mm256_add_pd(s1, _mm256_load_pd(p1 + i));
    s2 = _mm256_add_pd(s2, _mm256_load_pd(p2 + i));
    s3 = _mm256_add_pd(s3, _mm256_load_pd(p3 + i));
  }
  const __m256d s = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
  alignas(32) double lanes[4];
  _mm256_store_pd(lanes, s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}
__attribute__((target("avx2,fma"))) void write_avx2(double* a, size_t n, double v) {
  const __m256d x = _mm256_set1_pd(v);
  for (size_t i = 0; i < n; i += 4) _mm256_store_pd(a + i, x);
}
__attribute__((target("avx2,fma"))) void write_nt_avx2(double* a, size_t n, double v) {
  const __m256d x = _mm256_set1_pd(v);
  for (size_t i = 0; i < n; i += 4) _mm256_stream_pd(a + i, x);
  _mm_sfence();
}
__attribute__((target("avx2,fma"))) void copy_avx2(double* c, const double* a, size_t n) {
  for (size_t i = 0; i < n; i += 4) _mm256_store_pd(c + i, _mm256_load_pd(a + i));
}
__attribute__((target("avx2,fma"))) void triad_avx2(double* a, const double* b, const double* c,
                                                    size_t n, double s) {
  const __m256d x = _mm256_set1_pd(s);
  for (size_t i = 0; i < n; i += 4) {
    _mm256_store_pd(a + i, _mm256_fmadd_pd(x, _mm256_load_pd(c + i), _mm256_load_pd(b + i)));
  }
}

// ---- peak compute ----

// CPUID leaf 7: subleaf 0 ECX bit 11 = AVX512_VNNI; subleaf 1 EAX bit 5 = AVX512_BF16.
bool cpu_has_vnni() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 11)) != 0 &&
         __builtin_cpu_supports("avx512f");
}
bool cpu_has_bf16() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  return __get_cpuid_count(7, 1, &a, &b, &c, &d) && (a & (1u << 5)) != 0 &&
         __builtin_cpu_supports("avx512f");
}

// Twelve independent accumulators hide the FMA latency (4 cycles x 2-3 pipes on current cores).
// Each returns the operations it did (FLOPs or int8 ops) so the caller need not know the ISA.
__attribute__((target("avx512f"))) double fma_avx512(int64_t iterations) {
  __m512 acc[12];
  for (auto& a : acc) a = _mm512_set1_ps(1.0f);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = _mm512_fmadd_ps(a, x, y);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm512_add_ps(sum, acc[j]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double fma_avx2(int64_t iterations) {
  __m256 acc[12];
  for (auto& a : acc) a = _mm256_set1_ps(1.0f);
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = _mm256_fmadd_ps(a, x, y);
  }
  __m256 sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm256_add_ps(sum, acc[j]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  volatile float sink = lanes[0];
  (void)sink;
  return static_cast<double>(iterations) * 12 * 8 * 2;
}

// vpdpbusd: 16 lanes x 4 u8*s8 products, each a multiply and an add.
__attribute__((target("avx512f,avx512vnni"))) double int8_avx512(int64_t iterations) {
  __m512i acc[12];
  for (auto& a : acc) a = _mm512_setzero_si512();
  const __m512i x = _mm512_set1_epi8(1), y = _mm512_set1_epi8(2);
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = _mm512_dpbusd_epi32(a, x, y);
  }
  __m512i sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm512_add_epi32(sum, acc[j]);
  volatile int sink = _mm512_reduce_add_epi32(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12 * 64 * 2;
}

// vdpbf16ps: 16 lanes x 2 bf16 products accumulated in FP32.
__attribute__((target("avx512f,avx512bf16"))) double bf16_avx512(int64_t iterations) {
  __m512 acc[12];
  for (auto& a : acc) a = _mm512_setzero_ps();
  const auto x = (__m512bh)_mm512_set1_epi16(0x3f80), y = (__m512bh)_mm512_set1_epi16(0x3c00);
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = _mm512_dpbf16_ps(a, x, y);
  }
  __m512 sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = _mm512_add_ps(sum, acc[j]);
  volatile float sink = _mm512_reduce_add_ps(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12 * 32 * 2;
}

}  // namespace

const StreamKernels& best_stream_kernels() {
  static const StreamKernels kAvx512{"avx512",        read_avx512, write_avx512,
                                     write_nt_avx512, copy_avx512, triad_avx512};
  static const StreamKernels kAvx2{"avx2",        read_avx2, write_avx2,
                                   write_nt_avx2, copy_avx2, triad_avx2};
  static const StreamKernels& chosen =
      __builtin_cpu_supports("avx512f")                                 ? kAvx512
      : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? kAvx2
                                                                        : scalar_stream_kernels();
  return chosen;
}

PeakKernel best_peak_kernel(const std::string& kind) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (kind == "fp32_fma") {
    if (avx512) return {fma_avx512, "avx512", ""};
    if (avx2) return {fma_avx2, "avx2", ""};
    return {scalar_fp32_fma, "scalar", ""};
  }
  if (kind == "int8_dot") {
    if (cpu_has_vnni()) return {int8_avx512, "avx512_vnni", ""};
    return {nullptr, "", "this CPU has no AVX-512 VNNI"};
  }
  if (kind == "bf16_dot") {
    if (cpu_has_bf16()) return {bf16_avx512, "avx512_bf16", ""};
    return {nullptr, "", "this CPU has no AVX-512 BF16"};
  }
  throw_usage("probe: unknown compute kind '{}'", kind);
}

}  // namespace hwplan::probes::detail
