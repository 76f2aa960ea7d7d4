#pragma once
// What `hwplan probe` measures on this machine. Plain data; cli/profile_from_probe.cpp turns it
// into a hardware profile (probes know nothing of the planner).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hwplan::probes {

/// A probe that cannot run here says so instead of inventing a number (STYLE.md).
enum class ProbeStatus { kOk, kSkipped };

/// Repeated measurements of one quantity and their statistics (same unit as the samples).
struct Samples {
  std::vector<double> values;
  double best = 0;  ///< the largest (rates) value
  double median = 0;
  double min = 0;
  double max = 0;
  double stddev = 0;
};

/// Statistics of raw samples.
Samples summarize_samples(std::vector<double> values);

/// One bandwidth kernel at one thread count, counted as STREAM counts (bytes read + written,
/// no write-allocate traffic).
struct BandwidthResult {
  std::string kernel;  ///< read, write, write_nt, copy, triad
  int64_t threads = 1;
  double array_bytes = 0;  ///< per array
  Samples gbs;
  ProbeStatus status = ProbeStatus::kOk;
  std::string reason;
};

/// Read bandwidth of one NUMA node: threads on its CPUs, memory bound to it.
struct NumaNodeBandwidth {
  int node = 0;
  std::vector<int> cpus;
  BandwidthResult read;
  ProbeStatus status = ProbeStatus::kOk;
  std::string reason;
};

/// Average load-to-use latency of a dependent pointer chase over `bytes`.
struct LatencyPoint {
  double bytes = 0;
  double ns = 0;
};

/// Peak arithmetic rate of one instruction kind at one thread count.
struct ComputeResult {
  std::string kind;  ///< fp32_fma, int8_dot, bf16_dot
  std::string isa;   ///< avx512, avx2, scalar
  int64_t threads = 1;
  Samples tops;  ///< TFLOP/s (or TOPS for int8)
  ProbeStatus status = ProbeStatus::kOk;
  std::string reason;
};

struct CacheLevel {
  int64_t level = 0;
  double bytes = 0;  ///< one instance
  int64_t count = 0;
};

struct PciDevice {
  std::string name;
  uint32_t vendor_id = 0;
  uint32_t class_id = 0;
  double link_gbs = 0;  ///< theoretical, per direction, as hwloc reports it
  bool gpu = false;
};

/// Capacity and topology (hwloc, /proc/meminfo, cgroup, sysfs).
struct Topology {
  std::string cpu_model;
  int64_t packages = 0;
  int64_t cores = 0;
  int64_t pus = 0;
  int64_t numa_nodes = 0;
  std::vector<double> numa_node_bytes;
  std::vector<CacheLevel> caches;
  double total_ram_bytes = 0;
  double available_ram_bytes = 0;
  double cgroup_limit_bytes = 0;      ///< 0: no limit
  std::string transparent_hugepages;  ///< the selected mode: always, madvise, never
  int64_t hugepages_total = 0;
  std::vector<PciDevice> pci_devices;
  double last_level_cache_bytes() const;
};

/// GPU-usable memory of a Linux AMD APU from sysfs (VRAM carve-out + GTT).
struct ApuMemory {
  bool present = false;
  std::string card;
  double vram_total_bytes = 0;
  double gtt_total_bytes = 0;
};

/// What a Mac's GPU may use (macOS only): the wired-memory limit the GPU can hold, from
/// sysctl iogpu.wired_limit_mb (0 means the system default, about two thirds to three quarters of
/// RAM), and the installed RAM from hw.memsize.
struct MacGpuMemory {
  bool present = false;
  double wired_limit_bytes = 0;  ///< 0: not raised, the default applies
  double memsize_bytes = 0;
};

/// One host/device transfer measurement.
struct GpuTransfer {
  std::string direction;  ///< "h2d", "d2h", "d2d"
  bool pinned = true;     ///< page-locked host memory (else pageable)
  double bytes = 0;
  Samples gbs;
};

/// What the GPU probe (probes/cuda, built where nvcc exists) measured on device 0; skipped with
/// the reason when there is no GPU, driver or CUDA build.
struct GpuMeasurement {
  ProbeStatus status = ProbeStatus::kSkipped;
  std::string reason = "hwplan was built without CUDA (no nvcc found)";
  std::string name;
  int compute_major = 0, compute_minor = 0;
  double total_bytes = 0;  ///< the driver's figures (cudaMemGetInfo)
  double free_bytes = 0;
  int pci_bus = 0, pci_device = 0;
  double theoretical_bandwidth_bytes_per_s = 0;
  std::vector<GpuTransfer> transfers;
  Samples device_read_gbs;
  double small_transfer_latency_us = 0;
};

/// Why the stepping stopped; kCeiling is the normal end.
enum class UsableStop { kCeiling, kCap, kSwapping, kAllocationFailed, kCancelled };
/// Usable memory by allocation (probes/usable_memory.h), when it was asked for.
struct UsableMemoryResult {
  ProbeStatus status = ProbeStatus::kOk;
  std::string reason;
  double usable_bytes = 0;  ///< allocated and touched, all at once
  double available_at_start_bytes = 0;
  double margin_bytes = 0;
  double seconds = 0;
  UsableStop stop = UsableStop::kCeiling;
};

/// Everything one probe run measured.
struct MachineMeasurement {
  std::string probe_version;
  std::string date_utc;
  bool quick = false;
  Topology topology;
  ApuMemory apu;
  MacGpuMemory mac;
  GpuMeasurement gpu;
  std::optional<UsableMemoryResult> usable;  ///< hwplan probe --usable-memory
  std::vector<BandwidthResult> bandwidth;
  std::vector<NumaNodeBandwidth> numa;  ///< per-node read bandwidth (full probe only)
  std::vector<LatencyPoint> latency;
  std::vector<ComputeResult> compute;
  std::vector<std::string> warnings;
};

}  // namespace hwplan::probes
