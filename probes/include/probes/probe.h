#pragma once
// One probe run: topology, bandwidth, latency and compute, within a memory and time budget.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "probes/measurement.h"

namespace hwplan::probes {

struct ProbeOptions {
  bool quick = false;   ///< under 10 s on 2 cores: fewer kernels and repetitions
  int64_t threads = 0;  ///< 0: every CPU this process may use
  std::function<void(const std::string&)> progress;  ///< one line per step (to stderr)
};

/// Runs every probe. Buffers: each array at least 4x the last-level cache (STREAM's rule), all
/// arrays together within a quarter of available memory (cgroup limit included). Throws
/// Error{kCancelled} on SIGINT after freeing, Error{kUsage} for absurd options.
MachineMeasurement run_probe(const ProbeOptions& options);

/// What a person should know about bandwidth results: a kernel whose timed windows spread more
/// than 10% around their median ((max - min) / median; the machine was busy or drifts), a read
/// more than 5% below copy or triad at the same thread count (reading is the cheapest access:
/// something else used the memory meanwhile), and a read above kReadOverTriadMax of triad (more
/// than write-allocation explains: a cache held part of the arrays). Cache-resident runs (read_l2)
/// are left out.
std::vector<std::string> bandwidth_warnings(const std::vector<BandwidthResult>& results);

/// Triad stores with ordinary stores, as STREAM does: each line written is first read into the
/// cache (write-allocate), so it moves 32 bytes per element where STREAM counts 24. A read over
/// the same three arrays moves what it counts, so from DRAM it measures between 1 and 32/24 of
/// counted triad.
inline constexpr double kReadOverTriadMax = 32.0 / 24.0;

/// Best read over best triad at this thread count (their best windows); 0 when either is missing.
double read_over_triad(const std::vector<BandwidthResult>& results, int64_t threads);

/// Bytes per array for DRAM bandwidth runs on this machine: 4x the last-level cache (at least
/// 64 MiB), three arrays within the probe's memory budget. Error{kResource} when too little.
double bandwidth_array_bytes(const Topology& topology);

/// The version written into profiles.
inline constexpr int kProbeVersion = 1;

}  // namespace hwplan::probes

namespace hwplan::probes {

/// One row of the comparison with STREAM's loops: the best window of each.
struct ReferenceComparison {
  std::string kernel;  ///< copy or triad
  int64_t threads = 1;
  double probe_gbs = 0;
  double reference_gbs = 0;
};

/// Runs the probe's copy/triad and STREAM's reference loops window by window in turn (`windows`
/// timed windows each, the same arrays, 1 and all threads) and returns the best of each, so drift
/// hits both alike.
std::vector<ReferenceComparison> compare_with_stream(
    int64_t threads, int64_t windows, const std::function<void(const std::string&)>& progress);

}  // namespace hwplan::probes
