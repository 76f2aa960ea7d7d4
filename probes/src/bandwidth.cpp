#include "probes/bandwidth.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "common/cancel.h"
#include "common/error.h"
#include "platform/affinity.h"
#include "platform/numa.h"
#include "simd_kernels.h"
#include "thread_team.h"

#if __has_include(<sys/mman.h>)
#include <sys/mman.h>
#endif

namespace hwplan::probes {
namespace {

constexpr double kTriadScalar = 3.0;
// Heap arrays start on a 2 MiB boundary so the kernel can back them with transparent huge pages.
constexpr size_t kAlignment = size_t{2} << 20;
constexpr double kPassBytes = 1024.0 * 1024 * 1024;  // data one timed run passes over, at least
// Kernels work on whole 32-double blocks so every SIMD width divides them (simd_kernels.h).
constexpr size_t kBlockDoubles = 32;

// One thread's share of the arrays.
struct Chunk {
  double* a = nullptr;
  double* b = nullptr;
  double* c = nullptr;
  size_t n = 0;
};

// STREAM's own loops, as its reference C compiles them with plain -O3 (no ISA attributes): the
// reference the probe's kernels are compared with (`hwplan probe --compare-stream`).
void copy_stream_reference(double* dst, const double* src, size_t n) {
  for (size_t j = 0; j < n; ++j) dst[j] = src[j];
}
void triad_stream_reference(double* a, const double* b, const double* c, size_t n, double s) {
  for (size_t j = 0; j < n; ++j) a[j] = b[j] + s * c[j];
}

// Every kernel that stores writes array a, so b and c keep their filled values and a holds what
// the last writer left: kernels can run in any order without refilling.
constexpr double kFillA = 1.0, kFillB = 2.0, kFillC = 0.5;
constexpr double kWriteValue = 0.25;

// What a holds after a pass of `kernel`; `before` for read, which stores nothing.
double a_after(const std::string& kernel, double before) {
  if (kernel.rfind("triad", 0) == 0) return kFillB + kTriadScalar * kFillC;
  if (kernel.rfind("copy", 0) == 0) return kFillB;
  if (kernel.rfind("write", 0) == 0) return kWriteValue;
  return before;
}

// One pass of a named kernel over a chunk, resolved once before the timed loop; returns the read
// kernel's sum (0 for the others). Unknown names are a usage error, not a silent triad.
using PassFn = double (*)(const Chunk&);

PassFn pass_function(const std::string& kernel) {
  static const std::vector<std::pair<std::string, PassFn>> kPasses = {
      // Read passes over all three arrays: the same bytes triad touches, so the two compare
      // like for like even where a large cache would hold one array but not three.
      {"read",
       [](const Chunk& ch) {
         const auto& k = detail::best_stream_kernels();
         return k.read(ch.a, ch.n) + k.read(ch.b, ch.n) + k.read(ch.c, ch.n);
       }},
      {"write",
       [](const Chunk& ch) {
         detail::best_stream_kernels().write(ch.a, ch.n, kWriteValue);
         return 0.0;
       }},
      {"write_nt",
       [](const Chunk& ch) {
         detail::best_stream_kernels().write_nt(ch.a, ch.n, kWriteValue);
         return 0.0;
       }},
      {"copy",
       [](const Chunk& ch) {
         detail::best_stream_kernels().copy(ch.a, ch.b, ch.n);
         return 0.0;
       }},
      {"triad",
       [](const Chunk& ch) {
         detail::best_stream_kernels().triad(ch.a, ch.b, ch.c, ch.n, kTriadScalar);
         return 0.0;
       }},
      {"copy_stream",
       [](const Chunk& ch) {
         copy_stream_reference(ch.a, ch.b, ch.n);
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

// An array from the heap (first-touched by its threads) or bound to one NUMA node (libnuma).
double* allocate(size_t doubles, int numa_node) {
  const size_t bytes = doubles * sizeof(double);
  // Binding is a placement request: without NUMA support the memory is the heap's.
  const bool bound = numa_node >= 0 && platform::numa_supported();
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = bound ? platform::numa_allocate_on(bytes, numa_node)
                  : std::aligned_alloc(kAlignment, rounded);
  if (p == nullptr) {
    throw Error(ErrorKind::kResource, fmt::format("probe: cannot allocate {} MiB", bytes >> 20));
  }
  // Huge pages where the kernel offers them on request: a 4 KiB page's TLB miss costs most in a
  // virtual machine (two page-table walks), and how many of them a window takes varies run to run.
#if defined(MADV_HUGEPAGE)
  if (!bound) (void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
  return static_cast<double*>(p);
}

void release(double* p, size_t doubles, int numa_node) {
  if (p == nullptr) return;
  if (numa_node >= 0 && platform::numa_supported()) {
    platform::numa_release(p, doubles * sizeof(double));
  } else {
    std::free(p);
  }
}

}  // namespace

std::string best_simd_isa() { return detail::best_stream_kernels().isa; }

double stream_bytes_per_element(const std::string& kernel) {
  if (kernel.rfind("copy", 0) == 0) return 16;
  if (kernel.rfind("triad", 0) == 0 || kernel == "read") return 24;  // read: a, b and c
  return 8;                                                          // write, write_nt
}

BandwidthResult measure_bandwidth(const std::string& kernel, int64_t threads, double array_bytes,
                                  int64_t repetitions) {
  return measure_bandwidth_placed(kernel, threads, array_bytes, repetitions,
                                  platform::allowed_cpus(), -1);
}

StreamBuffers::StreamBuffers(double array_bytes, int numa_node)
    : doubles_(std::max<size_t>(
          kBlockDoubles, static_cast<size_t>(array_bytes / 8.0) / kBlockDoubles * kBlockDoubles)),
      numa_node_(numa_node) {
  try {
    a_ = allocate(doubles_, numa_node);
    b_ = allocate(doubles_, numa_node);
    c_ = allocate(doubles_, numa_node);
  } catch (...) {
    release(a_, doubles_, numa_node);
    release(b_, doubles_, numa_node);
    throw;
  }
}

StreamBuffers::~StreamBuffers() {
  release(a_, doubles_, numa_node_);
  release(b_, doubles_, numa_node_);
  release(c_, doubles_, numa_node_);
}

std::vector<BandwidthResult> measure_bandwidth_interleaved(const std::vector<std::string>& kernels,
                                                           int64_t threads, StreamBuffers& buffers,
                                                           int64_t repetitions,
                                                           const std::vector<int>& cpus) {
  std::vector<PassFn> pass_fns;
  pass_fns.reserve(kernels.size());
  for (const auto& kernel : kernels) pass_fns.push_back(pass_function(kernel));
  const size_t per_thread =
      std::max<size_t>(kBlockDoubles, buffers.doubles() / static_cast<size_t>(threads) /
                                          kBlockDoubles * kBlockDoubles);
  const size_t total = per_thread * static_cast<size_t>(threads);
  if (total > buffers.doubles()) {
    throw Error(ErrorKind::kResource,
                fmt::format("probe: {} threads need more than the {} MiB arrays", threads,
                            buffers.doubles() * 8 >> 20));
  }
  detail::ThreadTeam team(static_cast<int>(threads), cpus);
  auto chunk = [&](int t) {
    const size_t offset = static_cast<size_t>(t) * per_thread;
    return Chunk{buffers.a() + offset, buffers.b() + offset, buffers.c() + offset, per_thread};
  };
  // Fill by the threads that will use the pages (on first use this places them: NUMA first
  // touch), untimed; after it only array a changes (a_after).
  team.run([&](int t) {
    const auto ch = chunk(t);
    for (size_t i = 0; i < ch.n; ++i) {
      ch.a[i] = kFillA;
      ch.b[i] = kFillB;
      ch.c[i] = kFillC;
    }
  });
  double a_value = kFillA;
  // A buffer that fits a cache is passed over many times per timed run, so the ~10 us it takes
  // to release and collect the threads stays below 1% of the run.
  const double array_bytes = static_cast<double>(total) * 8.0;
  const int64_t passes = std::max<int64_t>(1, static_cast<int64_t>(kPassBytes / array_bytes));
  std::vector<double> sums(static_cast<size_t>(threads), 0.0);
  std::vector<std::vector<double>> rates(kernels.size());
  std::vector<double> window_bytes;  // as STREAM counts them, per kernel
  window_bytes.reserve(kernels.size());
  for (const auto& kernel : kernels) {
    window_bytes.push_back(stream_bytes_per_element(kernel) * static_cast<double>(total) *
                           static_cast<double>(passes));
  }
  // Window by window in turn (read, copy, triad, read, ...): drift over the run reaches every
  // kernel alike, and the windows compared are back to back. Window 0 of each warms up.
  for (int64_t rep = 0; rep <= repetitions; ++rep) {
    for (size_t k = 0; k < kernels.size(); ++k) {
      if (cancel_requested()) throw Error(ErrorKind::kCancelled, "probe: interrupted");
      std::fill(sums.begin(), sums.end(), 0.0);
      const PassFn pass_fn = pass_fns[k];
      const double seconds = team.run([&](int t) {
        const auto ch = chunk(t);
        for (int64_t pass = 0; pass < passes; ++pass) sums[static_cast<size_t>(t)] += pass_fn(ch);
      });
      if (rep > 0) {
        rates[k].push_back(window_bytes[k] / seconds / 1e9);
      }
      // Checked after the timed region: the values the kernel must have read or left behind.
      a_value = a_after(kernels[k], a_value);
      const bool read_wrong =
          kernels[k] == "read" && sums[0] != (a_value + kFillB + kFillC) *
                                                 static_cast<double>(per_thread) *
                                                 static_cast<double>(passes);
      if (read_wrong || buffers.a()[total - 1] != a_value || buffers.a()[0] != a_value) {
        throw Error(ErrorKind::kResource,
                    fmt::format("probe: {} kernel left wrong values (a bug)", kernels[k]));
      }
    }
  }
  if (buffers.b()[total - 1] != kFillB || buffers.c()[total - 1] != kFillC) {
    throw Error(ErrorKind::kResource, "probe: a bandwidth kernel wrote b or c (a bug)");
  }
  std::vector<BandwidthResult> results;
  results.reserve(kernels.size());
  for (size_t k = 0; k < kernels.size(); ++k) {
    BandwidthResult r;
    r.kernel = kernels[k];
    r.threads = threads;
    r.array_bytes = array_bytes;
    r.gbs = summarize_samples(rates[k]);
    results.push_back(std::move(r));
  }
  return results;
}

BandwidthResult measure_bandwidth(const std::string& kernel, int64_t threads,
                                  StreamBuffers& buffers, int64_t repetitions,
                                  const std::vector<int>& cpus) {
  return measure_bandwidth_interleaved({kernel}, threads, buffers, repetitions, cpus).front();
}

BandwidthResult measure_bandwidth_placed(const std::string& kernel, int64_t threads,
                                         double array_bytes, int64_t repetitions,
                                         const std::vector<int>& cpus, int numa_node) {
  // Each thread's share is a whole number of blocks, at least one.
  const double per_thread_bytes =
      std::max(8.0 * kBlockDoubles,
               std::floor(array_bytes / 8.0 / static_cast<double>(threads) / kBlockDoubles) *
                   kBlockDoubles * 8.0);
  StreamBuffers buffers(per_thread_bytes * static_cast<double>(threads), numa_node);
  return measure_bandwidth(kernel, threads, buffers, repetitions, cpus);
}

std::vector<NumaNodeBandwidth> measure_numa_nodes(double array_bytes, int64_t repetitions) {
  std::vector<NumaNodeBandwidth> out;
  if (!platform::numa_supported()) {
    out.push_back(
        {-1, {}, {}, ProbeStatus::kSkipped, "libnuma reports no NUMA support on this system"});
    return out;
  }
  const int nodes = platform::numa_node_count();
  if (nodes <= 1) {
    out.push_back({0,
                   platform::allowed_cpus(),
                   {},
                   ProbeStatus::kSkipped,
                   "one NUMA node: the all-thread figures are that node's"});
    return out;
  }
  const std::vector<int> allowed = platform::allowed_cpus();
  for (int node = 0; node <= platform::numa_highest_node(); ++node) {
    NumaNodeBandwidth n;
    n.node = node;
    n.cpus = platform::numa_node_cpus(node, allowed);
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
