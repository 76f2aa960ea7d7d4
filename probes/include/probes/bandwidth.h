#pragma once
// Memory bandwidth kernels (read, write, non-temporal write, copy, triad) run by a team of pinned
// threads over buffers each thread first-touches, so pages land on its NUMA node.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "probes/measurement.h"

namespace hwplan::probes {

/// The instruction set the kernels use: the widest this CPU supports.
std::string best_simd_isa();

/// The three arrays the bandwidth kernels work on, allocated once (bound to a NUMA node when one is
/// given) and reused by every kernel and thread count, so a probe faults its memory in once rather
/// than once per kernel. Each measurement fills them before its untimed warm-up.
class StreamBuffers {
 public:
  /// Three arrays of `array_bytes` each; Error{kResource} when they cannot be had.
  explicit StreamBuffers(double array_bytes, int numa_node = -1);
  ~StreamBuffers();
  StreamBuffers(const StreamBuffers&) = delete;
  StreamBuffers& operator=(const StreamBuffers&) = delete;
  double* a() const { return a_; }
  double* b() const { return b_; }
  double* c() const { return c_; }
  size_t doubles() const { return doubles_; }  ///< per array

 private:
  double* a_ = nullptr;
  double* b_ = nullptr;
  double* c_ = nullptr;
  size_t doubles_ = 0;
  int numa_node_ = -1;
};

/// Several kernels at one thread count over `buffers` (as many whole blocks of them as divide
/// among the threads), one window of each in turn (read, copy, triad, read, ...) so the windows
/// compared are back to back and drift reaches each kernel alike: `repetitions` timed windows per
/// kernel after one warm-up window each, every window checked after its timed region. The arrays
/// are filled once; the kernels that store write only the first. Results in `kernels`' order.
std::vector<BandwidthResult> measure_bandwidth_interleaved(const std::vector<std::string>& kernels,
                                                           int64_t threads, StreamBuffers& buffers,
                                                           int64_t repetitions,
                                                           const std::vector<int>& cpus);

/// measure_bandwidth_interleaved of one kernel.
BandwidthResult measure_bandwidth(const std::string& kernel, int64_t threads,
                                  StreamBuffers& buffers, int64_t repetitions,
                                  const std::vector<int>& cpus);

/// Measures one kernel (read, write, write_nt, copy, triad; copy_stream and triad_stream are
/// STREAM's plain loops, the reference): `threads` pinned threads, `array_bytes` per array,
/// `repetitions` timed runs after one warm-up; the result is checked after the timed region. Throws
/// Error on cancel.
BandwidthResult measure_bandwidth(const std::string& kernel, int64_t threads, double array_bytes,
                                  int64_t repetitions);

/// measure_bandwidth with the threads pinned to `cpus` (round robin) and, for numa_node >= 0, the
/// arrays bound to that NUMA node (libnuma).
BandwidthResult measure_bandwidth_placed(const std::string& kernel, int64_t threads,
                                         double array_bytes, int64_t repetitions,
                                         const std::vector<int>& cpus, int numa_node);

/// Read bandwidth of every NUMA node from its own CPUs into its own memory; one skipped entry
/// (with the reason) on a single-node machine or without libnuma support.
std::vector<NumaNodeBandwidth> measure_numa_nodes(double array_bytes, int64_t repetitions);

/// Bytes one pass of `kernel` moves per array element, as STREAM counts them (write 1, copy 2,
/// triad 3 doubles); read passes over all three arrays, 3 doubles like triad.
double stream_bytes_per_element(const std::string& kernel);

}  // namespace hwplan::probes
