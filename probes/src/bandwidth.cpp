#include "probes/bandwidth.h"

#include <numa.h>

#include <functional>

// GCC 12's AVX-512 reductions read an _mm512_undefined_pd() register on purpose; its
// -Wuninitialized fires inside the intrinsic headers once they are inlined here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <fmt/format.h>
#include <immintrin.h>
#include <sched.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "common/cancel.h"
#include "common/error.h"
#include "thread_team.h"

namespace hwplan::probes {
namespace {

constexpr double kTriadScalar = 3.0;
constexpr size_t kAlignment = 64;
constexpr double kPassBytes = 256.0 * 1024 * 1024;  // data one timed run passes over, at least
// Kernels work on whole 32-double blocks so every SIMD width divides them.
constexpr size_t kBlockDoubles = 32;

// One thread's share of the arrays.
struct Chunk {
  double* a = nullptr;
  double* b = nullptr;
  double* c = nullptr;
  size_t n = 0;
};

// ---- kernels: AVX-512, AVX2 and scalar; chosen once through a table (STYLE.md) ----

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

double read_scalar(const double* a, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i < n; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  return s0 + s1 + s2 + s3;
}
void write_scalar(double* a, size_t n, double v) {
  for (size_t i = 0; i < n; ++i) a[i] = v;
}
void copy_scalar(double* c, const double* a, size_t n) { std::memcpy(c, a, n * sizeof(double)); }
void triad_scalar(double* a, const double* b, const double* c, size_t n, double s) {
  for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

// STREAM's own loops, as its reference C compiles them with plain -O3 (no ISA attributes): the
// reference the probe's kernels are compared with (`hwplan probe --compare-stream`).
void copy_stream_reference(double* c, const double* a, size_t n) {
  for (size_t j = 0; j < n; ++j) c[j] = a[j];
}
void triad_stream_reference(double* a, const double* b, const double* c, size_t n, double s) {
  for (size_t j = 0; j < n; ++j) a[j] = b[j] + s * c[j];
}

struct Kernels {
  const char* isa;
  double (*read)(const double*, size_t);
  void (*write)(double*, size_t, double);
  void (*write_nt)(double*, size_t, double);
  void (*copy)(double*, const double*, size_t);
  void (*triad)(double*, const double*, const double*, size_t, double);
};

const Kernels& kernels() {
  static const Kernels kAvx512{"avx512",        read_avx512, write_avx512,
                               write_nt_avx512, copy_avx512, triad_avx512};
  static const Kernels kAvx2{"avx2", read_avx2, write_avx2, write_nt_avx2, copy_avx2, triad_avx2};
  static const Kernels kScalar{"scalar",     read_scalar, write_scalar,
                               write_scalar, copy_scalar, triad_scalar};
  static const Kernels& chosen = __builtin_cpu_supports("avx512f") ? kAvx512
                                 : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                                     ? kAvx2
                                     : kScalar;
  return chosen;
}

// One pass of a named kernel over a chunk, resolved once before the timed loop; returns the read
// kernel's sum (0 for the others). Unknown names are a usage error, not a silent triad.
using PassFn = double (*)(const Chunk&);

PassFn pass_function(const std::string& kernel) {
  static const std::vector<std::pair<std::string, PassFn>> kPasses = {
      {"read", [](const Chunk& ch) { return kernels().read(ch.a, ch.n); }},
      {"write",
       [](const Chunk& ch) {
         kernels().write(ch.c, ch.n, 0.25);
         return 0.0;
       }},
      {"write_nt",
       [](const Chunk& ch) {
         kernels().write_nt(ch.c, ch.n, 0.25);
         return 0.0;
       }},
      {"copy",
       [](const Chunk& ch) {
         kernels().copy(ch.c, ch.b, ch.n);
         return 0.0;
       }},
      {"triad",
       [](const Chunk& ch) {
         kernels().triad(ch.a, ch.b, ch.c, ch.n, kTriadScalar);
         return 0.0;
       }},
      {"copy_stream",
       [](const Chunk& ch) {
         copy_stream_reference(ch.c, ch.b, ch.n);
         return 0.0;
       }},
      {"triad_stream", [](const Chunk& ch) {
         triad_stream_reference(ch.a, ch.b, ch.c, ch.n, kTriadScalar);
         return 0.0;
       }}};
  for (const auto& [name, fn] : kPasses) {
    if (name == kernel) return fn;
  }
  throw_usage("probe: unknown bandwidth kernel '{}'", kernel);
}

/// An array from the heap (first-touched by its threads) or bound to one NUMA node (libnuma).
using Array = std::unique_ptr<double, std::function<void(double*)>>;

Array allocate(size_t doubles, int numa_node) {
  const size_t bytes = doubles * sizeof(double);
  void* p =
      numa_node >= 0 ? numa_alloc_onnode(bytes, numa_node) : std::aligned_alloc(kAlignment, bytes);
  if (p == nullptr) {
    throw Error(ErrorKind::kResource, fmt::format("probe: cannot allocate {} MiB", bytes >> 20));
  }
  if (numa_node >= 0)
    return Array(static_cast<double*>(p), [bytes](double* q) { numa_free(q, bytes); });
  return Array(static_cast<double*>(p), [](double* q) { std::free(q); });
}

}  // namespace

std::string best_simd_isa() { return kernels().isa; }

double stream_bytes_per_element(const std::string& kernel) {
  if (kernel.rfind("copy", 0) == 0) return 16;
  if (kernel.rfind("triad", 0) == 0) return 24;
  return 8;  // read, write, write_nt
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

BandwidthResult measure_bandwidth(const std::string& kernel, int64_t threads, double array_bytes,
                                  int64_t repetitions) {
  return measure_bandwidth_placed(kernel, threads, array_bytes, repetitions, allowed_cpus(), -1);
}

BandwidthResult measure_bandwidth_placed(const std::string& kernel, int64_t threads,
                                         double array_bytes, int64_t repetitions,
                                         const std::vector<int>& cpus, int numa_node) {
  BandwidthResult result;
  result.kernel = kernel;
  result.threads = threads;
  const PassFn pass_fn = pass_function(kernel);
  const size_t per_thread = std::max<size_t>(
      kBlockDoubles, static_cast<size_t>(array_bytes / 8.0 / static_cast<double>(threads)) /
                         kBlockDoubles * kBlockDoubles);
  const size_t total = per_thread * static_cast<size_t>(threads);
  result.array_bytes = static_cast<double>(total) * 8.0;
  const Array a = allocate(total, numa_node), b = allocate(total, numa_node),
              c = allocate(total, numa_node);
  detail::ThreadTeam team(static_cast<int>(threads), cpus);
  auto chunk = [&](int t) {
    const size_t offset = static_cast<size_t>(t) * per_thread;
    return Chunk{a.get() + offset, b.get() + offset, c.get() + offset, per_thread};
  };
  // First touch by the thread that will use the pages (NUMA placement).
  team.run([&](int t) {
    const auto ch = chunk(t);
    for (size_t i = 0; i < ch.n; ++i) {
      ch.a[i] = 1.0;
      ch.b[i] = 2.0;
      ch.c[i] = 0.5;
    }
  });
  std::vector<double> sums(static_cast<size_t>(threads), 0.0);
  // A buffer that fits a cache is passed over many times per timed run, so the ~10 us it takes
  // to release and collect the threads stays below 1% of the run.
  const int64_t passes =
      std::max<int64_t>(1, static_cast<int64_t>(kPassBytes / result.array_bytes));
  auto job = [&](int t) {
    const auto ch = chunk(t);
    for (int64_t pass = 0; pass < passes; ++pass) sums[static_cast<size_t>(t)] += pass_fn(ch);
  };
  std::vector<double> rates;
  const double bytes =
      stream_bytes_per_element(kernel) * static_cast<double>(total) * static_cast<double>(passes);
  for (int64_t rep = 0; rep <= repetitions; ++rep) {
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "probe: interrupted");
    const double seconds = team.run(job);
    if (rep > 0) rates.push_back(bytes / seconds / 1e9);  // rep 0 warms up
  }
  // Verify after the timed region: the values every kernel must have left behind.
  const bool triad = kernel.rfind("triad", 0) == 0;
  const double expected_a = triad ? 2.0 + kTriadScalar * 0.5 : 1.0;
  const double expected_c = kernel.rfind("copy", 0) == 0    ? 2.0
                            : kernel.rfind("write", 0) == 0 ? 0.25
                                                            : 0.5;
  if (a.get()[total - 1] != expected_a || c.get()[total - 1] != expected_c ||
      (kernel == "read" && sums[0] != static_cast<double>(per_thread) *
                                          static_cast<double>((repetitions + 1) * passes))) {
    throw Error(ErrorKind::kResource,
                fmt::format("probe: {} kernel left wrong values (a bug)", kernel));
  }
  result.gbs = summarize_samples(rates);
  return result;
}

std::vector<NumaNodeBandwidth> measure_numa_nodes(double array_bytes, int64_t repetitions) {
  std::vector<NumaNodeBandwidth> out;
  if (numa_available() < 0) {
    out.push_back(
        {-1, {}, {}, ProbeStatus::kSkipped, "libnuma reports no NUMA support on this system"});
    return out;
  }
  const int nodes = numa_num_configured_nodes();
  if (nodes <= 1) {
    out.push_back({0,
                   allowed_cpus(),
                   {},
                   ProbeStatus::kSkipped,
                   "one NUMA node: the all-thread figures are that node's"});
    return out;
  }
  const std::vector<int> allowed = allowed_cpus();
  for (int node = 0; node <= numa_max_node(); ++node) {
    NumaNodeBandwidth n;
    n.node = node;
    bitmask* mask = numa_allocate_cpumask();
    if (numa_node_to_cpus(node, mask) == 0) {
      for (int cpu : allowed) {
        if (numa_bitmask_isbitset(mask, static_cast<unsigned>(cpu)) != 0) n.cpus.push_back(cpu);
      }
    }
    numa_free_cpumask(mask);
    if (n.cpus.empty()) {
      n.status = ProbeStatus::kSkipped;
      n.reason = "no CPU of this node is available to the process (or a memory-only node)";
    } else {
      // Threads on the node's CPUs, memory bound to the node: its local read bandwidth.
      n.read = measure_bandwidth_placed("read", static_cast<int64_t>(n.cpus.size()), array_bytes,
                                        repetitions, n.cpus, node);
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace hwplan::probes
