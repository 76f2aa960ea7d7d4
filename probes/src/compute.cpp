#include "probes/compute.h"

// GCC 12's AVX-512 reductions read an _mm512_undefined register on purpose; its -Wuninitialized
// fires inside the intrinsic headers once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <cpuid.h>
#include <immintrin.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/error.h"
#include "probes/bandwidth.h"
#include "thread_team.h"

namespace hwplan::probes {
namespace {

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

double fma_scalar(int64_t iterations) {
  float acc[12];
  for (auto& a : acc) a = 1.0f;
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = a * 0.999999f + 1e-7f;
  }
  volatile float sink = acc[0] + acc[11];
  (void)sink;
  return static_cast<double>(iterations) * 12 * 2;
}

struct Choice {
  double (*run)(int64_t) = nullptr;
  const char* isa = "";
  std::string skipped;
};

Choice choose(const std::string& kind) {
  const bool avx512 = __builtin_cpu_supports("avx512f");
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (kind == "fp32_fma") {
    if (avx512) return {fma_avx512, "avx512", ""};
    if (avx2) return {fma_avx2, "avx2", ""};
    return {fma_scalar, "scalar", ""};
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

}  // namespace

ComputeResult measure_compute(const char* kind, int64_t threads, int64_t repetitions,
                              double seconds_per_run) {
  ComputeResult result;
  result.kind = kind;
  result.threads = threads;
  const auto choice = choose(kind);
  if (choice.run == nullptr) {
    result.status = ProbeStatus::kSkipped;
    result.reason = choice.skipped;
    return result;
  }
  result.isa = choice.isa;
  // Size the work from a short calibration run so each repetition lasts about seconds_per_run.
  int64_t iterations = 1 << 14;
  const auto begin = std::chrono::steady_clock::now();
  choice.run(iterations);
  const double once =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  iterations =
      std::max<int64_t>(iterations, static_cast<int64_t>(static_cast<double>(iterations) *
                                                         seconds_per_run / std::max(once, 1e-6)));
  detail::ThreadTeam team(static_cast<int>(threads), allowed_cpus());
  std::vector<double> ops(static_cast<size_t>(threads));
  std::vector<double> rates;
  for (int64_t rep = 0; rep <= repetitions; ++rep) {
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "probe: interrupted");
    const double seconds =
        team.run([&](int t) { ops[static_cast<size_t>(t)] = choice.run(iterations); });
    double total = 0;
    for (double o : ops) total += o;
    if (rep > 0) rates.push_back(total / seconds / 1e12);
  }
  result.tops = summarize_samples(rates);
  return result;
}

}  // namespace hwplan::probes
