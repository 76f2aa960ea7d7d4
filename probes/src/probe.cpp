#include "probes/probe.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <ctime>

#include "common/error.h"
#include "platform/affinity.h"
#include "probes/bandwidth.h"
#include "probes/compute.h"
#include "probes/latency.h"
#include "probes/topology.h"

namespace hwplan::probes {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kMinArrayBytes = 64 * kMiB;
constexpr double kMaxArrayBytes = 256 * kMiB;
constexpr double kQuickLatencyBytes = 64 * kMiB;
constexpr int64_t kMaxThreads = 4096;

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text.data();
}

}  // namespace

// Each array 4x the last-level cache (at least 64 MiB), three arrays within the budget.
double bandwidth_array_bytes(const Topology& topo) {
  const double wanted =
      std::clamp(4.0 * topo.last_level_cache_bytes(), kMinArrayBytes, kMaxArrayBytes);
  const double budget = probe_memory_budget(topo) / 3.0;
  if (budget < 16 * kMiB) {
    throw Error(ErrorKind::kResource,
                fmt::format("probe: only {:.0f} MiB may be used (a quarter of available memory); "
                            "too little to measure DRAM bandwidth",
                            budget * 3 / kMiB));
  }
  return std::min(wanted, budget);
}

std::vector<std::string> bandwidth_warnings(const std::vector<BandwidthResult>& results) {
  constexpr double kSpreadLimit = 0.10;
  constexpr double kReadBelowLimit = 0.05;
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (r.kernel == "read_l2" || r.gbs.median <= 0) continue;
    const double spread = (r.gbs.max - r.gbs.min) / r.gbs.median;
    if (spread > kSpreadLimit) {
      out.push_back(fmt::format(
          "bandwidth {} x{} threads: its windows spread {:.0f}% around their median ({:.1f} to "
          "{:.1f} GB/s); the machine was busy or its bandwidth drifts, so repeat the probe on an "
          "idle machine before trusting the figure",
          r.kernel, r.threads, 100 * spread, r.gbs.min, r.gbs.max));
    }
  }
  for (const auto& read : results) {
    if (read.kernel != "read") continue;
    const double over_triad = read_over_triad(results, read.threads);
    if (over_triad > kReadOverTriadMax) {
      out.push_back(fmt::format(
          "read x{} threads measured {:.2f}x triad, more than the {:.2f}x that triad's "
          "write-allocate reads explain: a cache held part of the arrays, so the read figure is "
          "above the memory's",
          read.threads, over_triad, kReadOverTriadMax));
    }
    for (const auto& other : results) {
      // Read passes over triad's bytes, so the two agree within the windows' noise (5%).
      if ((other.kernel != "copy" && other.kernel != "triad") || other.threads != read.threads ||
          other.gbs.best <= (1 + kReadBelowLimit) * read.gbs.best)
        continue;
      out.push_back(
          fmt::format("read x{} threads measured {:.1f} GB/s, more than 5% below {} at {:.1f} "
                      "GB/s: reading is the cheapest "
                      "access, so something else used the memory during the read; repeat the probe",
                      read.threads, read.gbs.best, other.kernel, other.gbs.best));
    }
  }
  return out;
}

double read_over_triad(const std::vector<BandwidthResult>& results, int64_t threads) {
  auto best = [&](const char* kernel) {
    for (const auto& r : results) {
      if (r.kernel == kernel && r.threads == threads) return r.gbs.best;
    }
    return 0.0;
  };
  const double read = best("read"), triad = best("triad");
  return read > 0 && triad > 0 ? read / triad : 0.0;
}

MachineMeasurement run_probe(const ProbeOptions& options) {
  const auto say = [&](const std::string& text) {
    if (options.progress) options.progress(text);
  };
  MachineMeasurement m;
  m.probe_version = std::to_string(kProbeVersion);
  m.date_utc = utc_now();
  m.quick = options.quick;
  say(std::string("topology (hwloc)"));
  m.topology = read_topology();
  m.apu = read_apu_memory();
  m.mac = read_mac_gpu_memory();
  const int64_t cpus = static_cast<int64_t>(std::max<size_t>(1, platform::allowed_cpus().size()));
  if (options.threads < 0 || options.threads > kMaxThreads) {
    throw_usage("--threads: must be between 1 and {}, got {}", kMaxThreads, options.threads);
  }
  const int64_t all = options.threads > 0 ? options.threads : cpus;
  if (all > cpus) {
    m.warnings.push_back(
        fmt::format("--threads {} exceeds the {} CPUs this process may use", all, cpus));
  }
  const double array_bytes = bandwidth_array_bytes(m.topology);
  const int64_t reps = options.quick ? 3 : 8;
  const std::vector<std::string> kernels =
      options.quick ? std::vector<std::string>{"read", "copy", "triad"}
                    : std::vector<std::string>{"read", "write", "write_nt", "copy", "triad"};
  std::vector<int64_t> thread_counts = {1};
  if (all > 1) thread_counts.push_back(all);
  // The arrays are allocated and faulted in once; every kernel and thread count reuses them.
  // The kernels at one thread count take windows in turn, so drift reaches them alike.
  {
    StreamBuffers buffers(array_bytes);
    const auto cpus_allowed = platform::allowed_cpus();
    for (int64_t threads : thread_counts) {
      say(fmt::format("bandwidth {} x{} threads, windows in turn ({:.0f} MiB arrays)",
                      fmt::join(kernels, ", "), threads, array_bytes / kMiB));
      for (auto& r : measure_bandwidth_interleaved(kernels, threads, buffers, reps, cpus_allowed))
        m.bandwidth.push_back(std::move(r));
    }
  }
  for (auto& w : bandwidth_warnings(m.bandwidth)) m.warnings.push_back(std::move(w));
  // An L2-sized buffer: must read faster than DRAM (a sanity check the tests use too).
  if (m.topology.caches.size() >= 2) {
    const double l2 = m.topology.caches[1].bytes / 6;  // read's three arrays: half the L2
    say("bandwidth read, L2-resident");
    auto cached = measure_bandwidth("read", 1, l2, reps * 4);
    cached.kernel = "read_l2";
    m.bandwidth.push_back(cached);
  }
  if (!options.quick) {
    say("bandwidth read per NUMA node (libnuma)");
    m.numa = measure_numa_nodes(array_bytes, reps);
  }
  say("latency (pointer chase)");
  const double llc = std::max(m.topology.last_level_cache_bytes(), 8 * kMiB);
  // Quick: up to 64 MiB (building a larger random cycle takes seconds); past most caches.
  const double top = std::min(4 * llc, options.quick ? kQuickLatencyBytes : array_bytes);
  m.latency = latency_curve(top, options.quick ? 200000 : 1000000);
  for (const char* kind : {"fp32_fma", "int8_dot", "bf16_dot"}) {
    for (int64_t threads : thread_counts) {
      say(fmt::format("compute {} x{} threads", kind, threads));
      m.compute.push_back(
          measure_compute(kind, threads, options.quick ? 2 : 5, options.quick ? 0.05 : 0.2));
    }
  }
  return m;
}

}  // namespace hwplan::probes

namespace hwplan::probes {

std::vector<ReferenceComparison> compare_with_stream(
    int64_t threads, int64_t windows, const std::function<void(const std::string&)>& progress) {
  const auto topo = read_topology();
  const double array_bytes = bandwidth_array_bytes(topo);
  const int64_t cpus = static_cast<int64_t>(std::max<size_t>(1, platform::allowed_cpus().size()));
  const int64_t all = threads > 0 ? threads : cpus;
  std::vector<ReferenceComparison> rows;
  StreamBuffers buffers(array_bytes);
  const auto cpus_allowed = platform::allowed_cpus();
  for (int64_t t : all > 1 ? std::vector<int64_t>{1, all} : std::vector<int64_t>{1}) {
    for (const std::string kernel : {"copy", "triad"}) {
      if (progress)
        progress(fmt::format("{} and STREAM's {} x{} threads, {} windows each in turn", kernel,
                             kernel, t, windows));
      // The probe's kernel and STREAM's loop take windows in turn, back to back.
      const auto pair = measure_bandwidth_interleaved({kernel, kernel + "_stream"}, t, buffers,
                                                      windows, cpus_allowed);
      rows.push_back({kernel, t, pair[0].gbs.best, pair[1].gbs.best});
    }
  }
  return rows;
}

}  // namespace hwplan::probes
