// AArch64 kernels: Advanced SIMD bandwidth loops and FP32 FMA peak (both part of every AArch64
// CPU), and the int8 dot-product peak (SDOT) where the CPU has the dot-product extension (Linux:
// HWCAP_ASIMDDP; every Apple silicon CPU has it). No BF16 peak yet.
#include <arm_neon.h>

#if defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "../simd_kernels.h"
#include "common/error.h"

namespace hwplan::probes::detail {
namespace {

// ---- bandwidth: four streams, one per quarter of the chunk (see x86/simd_x86.cpp) ----

double read_neon(const double* a, size_t n) {
  float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
  const size_t q = n / 4;
  const double *p0 = a, *p1 = a + q, *p2 = a + 2 * q, *p3 = a + 3 * q;
  for (size_t i = 0; i < q; i += 4) {
    s0 = vaddq_f64(s0, vaddq_f64(vld1q_f64(p0 + i), vld1q_f64(p0 + i + 2)));
    s1 = vaddq_f64(s1, vaddq_f64(vld1q_f64(p1 + i), vld1q_f64(p1 + i + 2)));
    s2 = vaddq_f64(s2, vaddq_f64(vld1q_f64(p2 + i), vld1q_f64(p2 + i + 2)));
    s3 = vaddq_f64(s3, vaddq_f64(vld1q_f64(p3 + i), vld1q_f64(p3 + i + 2)));
  }
  return vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
}
void write_neon(double* a, size_t n, double v) {
  const float64x2_t x = vdupq_n_f64(v);
  for (size_t i = 0; i < n; i += 4) {
    vst1q_f64(a + i, x);
    vst1q_f64(a + i + 2, x);
  }
}
void copy_neon(double* c, const double* a, size_t n) {
  for (size_t i = 0; i < n; i += 4) {
    vst1q_f64(c + i, vld1q_f64(a + i));
    vst1q_f64(c + i + 2, vld1q_f64(a + i + 2));
  }
}
void triad_neon(double* a, const double* b, const double* c, size_t n, double s) {
  for (size_t i = 0; i < n; i += 2)
    vst1q_f64(a + i, vfmaq_n_f64(vld1q_f64(b + i), vld1q_f64(c + i), s));
}

// ---- peak compute: twelve independent accumulators hide the FMA latency ----

double fma_neon(int64_t iterations) {
  float32x4_t acc[12];
  for (auto& a : acc) a = vdupq_n_f32(1.0f);
  const float32x4_t x = vdupq_n_f32(0.999999f), y = vdupq_n_f32(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = vfmaq_f32(y, a, x);
  }
  float32x4_t sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = vaddq_f32(sum, acc[j]);
  volatile float sink = vaddvq_f32(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12 * 4 * 2;
}

bool cpu_has_dotprod() {
#if defined(__APPLE__)
  return true;
#elif defined(__linux__) && defined(HWCAP_ASIMDDP)
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return false;
#endif
}

/// SDOT (the dot-product extension) written out: the compiler keeps generating baseline ARMv8-A
/// code (GCC 12 and clang 14 differ in how a target attribute would enable the intrinsic), only
/// the assembler is told the instruction exists; run only where cpu_has_dotprod().
int32x4_t sdot(int32x4_t acc, int8x16_t a, int8x16_t b) {
  __asm__(".arch armv8.2-a+dotprod\n\tsdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(b));
  return acc;
}

// SDOT: 4 lanes x 4 s8*s8 products, each a multiply and an add.
double int8_dotprod(int64_t iterations) {
  int32x4_t acc[12];
  for (auto& a : acc) a = vdupq_n_s32(0);
  const int8x16_t x = vdupq_n_s8(1), y = vdupq_n_s8(2);
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = sdot(a, x, y);
  }
  int32x4_t sum = acc[0];
  for (int j = 1; j < 12; ++j) sum = vaddq_s32(sum, acc[j]);
  volatile int sink = vaddvq_s32(sum);
  (void)sink;
  return static_cast<double>(iterations) * 12 * 16 * 2;
}

}  // namespace

const StreamKernels& best_stream_kernels() {
  // AArch64 has non-temporal pair stores (STNP) but no intrinsic for them: write_nt is write.
  static const StreamKernels kNeon{"neon",     read_neon, write_neon,
                                   write_neon, copy_neon, triad_neon};
  return kNeon;
}

PeakKernel best_peak_kernel(const std::string& kind) {
  if (kind == "fp32_fma") return {fma_neon, "neon", ""};
  if (kind == "int8_dot") {
    if (cpu_has_dotprod()) return {int8_dotprod, "neon_dotprod", ""};
    return {nullptr, "", "this CPU has no Advanced SIMD dot-product extension"};
  }
  if (kind == "bf16_dot") return {nullptr, "", "no BF16 peak kernel for AArch64 in this build"};
  throw_usage("probe: unknown compute kind '{}'", kind);
}

}  // namespace hwplan::probes::detail
