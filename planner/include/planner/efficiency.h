#pragma once
// The few efficiency factors that turn peak figures into achieved ones (DESIGN.md "Effective =
// peak x efficiency"): one set per backend and memory class, fitted by least squares to the
// published measurements (calibration.cpp) and stored in profiles/calibration.json.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "planner/engines.h"

namespace hwplan::planner {

/// Factors of one (backend, memory class) group and how well they fit the measured rows.
struct Efficiency {
  std::string backend;                ///< cuda, metal, rocm, vulkan
  std::string memory_class;           ///< gddr, hbm, unified or host (memory_class())
  double bandwidth_fraction = 0.7;    ///< decode: achieved / peak memory bandwidth
  double layer_overhead_seconds = 0;  ///< decode: launch/sync cost per layer per token
  /// decode: seconds per (FLOP / peak FLOP/s), added to the memory time; dequantization and dot
  /// products that do not overlap the loads (1 / this is the effective fraction of peak; 0: none)
  double decode_compute_factor = 0;
  double compute_fraction = 0.5;              ///< prefill: achieved / peak FP16 rate
  double prefill_layer_overhead_seconds = 0;  ///< prefill: per layer per ubatch
  /// prefill: seconds per (activation bytes / peak bandwidth): norms, element-wise ops and
  /// activation (de)quantization that stream activations through memory
  double prefill_activation_factor = 0;
  /// prefill: extra seconds per (routed-expert FLOP / peak FLOP/s): each expert multiplies only
  /// the ubatch's tokens routed to it (512 x 8/128 = 32 rows for Qwen3-30B-A3B), GEMMs too small
  /// to reach the dense rate (0: experts run as fast as dense layers)
  double prefill_expert_factor = 0;
  /// prefill: extra seconds per (FLOP of quantized weights / peak FLOP/s): the GEMMs of a
  /// quantized matrix dequantize its blocks (or run integer kernels) where F16/BF16 weights go
  /// straight to the tensor cores (0: quantized weights run at the F16 rate)
  double prefill_quant_factor = 0;
  /// prefill: achieved / peak FP16 rate of attention over the cached and prompt tokens (flash
  /// attention kernels run at their own rate, far from the weight GEMMs' on some backends); 0:
  /// the same as compute_fraction (a group without runs at depth)
  double prefill_attention_fraction = 0;
  int64_t decode_rows = 0;  ///< measured rows behind the decode factors (0: a fallback)
  int64_t prefill_rows = 0;
  bool operator==(const Efficiency&) const = default;
};

/// The host's memory system, told by its peak bandwidth: desktop (two channels, up to 110 GB/s),
/// workstation (four to eight channels, up to 320 GB/s), server (twelve channels and more). A
/// decode thread pool reaches a smaller share of a wide memory system: fewer bytes per core in
/// flight per channel, and NUMA on servers.
enum class HostClass { kDesktop, kWorkstation, kServer };
HostClass host_class(double host_bytes_per_s);
const char* host_class_name(HostClass host_class);

/// CPU decode efficiency of one host class and the rows behind it.
struct HostEfficiency {
  std::string host_class;  ///< host_class_name()
  double bandwidth_fraction = 0.6;
  int64_t rows = 0;
  bool operator==(const HostEfficiency&) const = default;
};

/// Placement kinds a prediction's error band is told apart by (placement_kind() in predict.h).
inline constexpr const char* kPlacementKinds[] = {"resident", "partial_offload", "multi_gpu", "cpu",
                                                  "cluster"};

/// Residuals of one placement kind on one backend and memory class: the error band source.
struct ErrorBand {
  std::string placement;
  std::string backend;
  std::string memory_class;
  int64_t decode_rows = 0;
  double decode_p80 = 0;
  int64_t prefill_rows = 0;
  double prefill_p80 = 0;
  bool operator==(const ErrorBand&) const = default;
};

/// All groups plus the host-side factors.
struct EfficiencyTable {
  std::vector<Efficiency> groups;
  double cpu_bandwidth_fraction = 0.6;  ///< pooled over every host class (the fallback)
  std::vector<HostEfficiency> hosts;    ///< per host class where rows exist
  /// CPU decode: effective FLOP/s per core of llama.cpp's CPU matrix-vector products
  /// (dequantization and dot products) beside its memory reads; 0: not modelled
  double cpu_core_flop_per_s = 0;
  /// CPU-only prefill: the share of the CPU's FP32 FMA peak (the profile's fp16_tflops on a CPU
  /// machine) that llama.cpp's CPU matrix multiplications reach; 0: not fitted (the GPU groups'
  /// factors are borrowed).
  double cpu_prefill_fraction = 0;
  /// CPU-only rows with a measured prefill behind cpu_prefill_fraction
  int64_t cpu_prefill_rows = 0;
  std::vector<ErrorBand> bands;  ///< per (placement, backend, memory class) with rows
  std::vector<EngineFactors> engines = known_engines();  ///< other engines over llama.cpp
  double bus_fraction = 0.8;  ///< achieved / theoretical PCIe throughput (pinned copies)
  /// Layer split prefill: the share of the ideal overlap of ubatches across the GPUs' pipeline
  /// stages that is achieved (1: u ubatches on g GPUs take u + g - 1 stage times; 0: they run one
  /// after another, no faster than on one GPU). Fitted on the multi-GPU prefill rows.
  double pipeline_overlap = 1.0;
  /// Of the re-reads of the cache llama.cpp's vector attention kernel makes (one per query head,
  /// cache_reads_per_token), the share that comes from memory rather than the GPU's L2 cache:
  /// 1 counts every re-read (the upper bound). Fitted on the runs at depth that make them.
  double cache_reread_fraction = 1.0;
  int64_t cache_reread_rows = 0;  ///< runs at depth behind cache_reread_fraction
  std::string fitted_from;        ///< the CSV the factors came from, or "defaults"
  bool operator==(const EfficiencyTable&) const = default;
};

/// The group for a backend and memory class: exact match, else the same memory class pooled
/// ("*" backend), else the first group of the same backend, else defaults. `fallback` says which.
Efficiency efficiency_for(const EfficiencyTable& table, const std::string& backend,
                          const std::string& memory_class, std::string* fallback = nullptr);

/// The pipeline speed-up prefill gets from `ideal_speedup` (PrefillCost::pipeline_speedup) at the
/// table's pipeline_overlap: 1 + overlap x (ideal - 1).
double achieved_pipeline_speedup(const EfficiencyTable& table, double ideal_speedup);

/// CPU decode bandwidth fraction for a host of this peak bandwidth: its class's, else pooled.
double cpu_fraction_for(const EfficiencyTable& table, double host_bytes_per_s);

/// A prediction's 80% error band and where it came from.
struct BandChoice {
  double decode = 0;  ///< 80% of runs within +- this fraction (0: none known)
  double prefill = 0;
  int64_t decode_rows = 0;  ///< runs of the prediction's own class behind it
  int64_t prefill_rows = 0;
  std::string note;  ///< set when the band is borrowed and widened
  bool operator==(const BandChoice&) const = default;
};

/// A band class in words: "CPU-only" for runs without a GPU, else "<placement> <backend>
/// <memory class>" ("partial-offload cuda gddr").
std::string band_class_words(const std::string& placement, const std::string& backend,
                             const std::string& memory_class);

/// Fewest runs of a class for its own 80th percentile to be the band.
inline constexpr int64_t kMinBandRows = 5;
/// How much a band borrowed from pooled residuals is widened.
inline constexpr double kBorrowedBandWidening = 1.5;

/// The band of a placement kind on a backend and memory class: its own residuals where it has at
/// least kMinBandRows runs, else the pooled residuals of the same placement kind, else of all
/// runs, widened by kBorrowedBandWidening, with a note saying so.
BandChoice error_band_for(const EfficiencyTable& table, const std::string& placement,
                          const std::string& backend, const std::string& memory_class);

/// Reads profiles/calibration.json (its "efficiency" part); Error{kInput} naming file and pointer.
EfficiencyTable efficiency_table_from_json(const nlohmann::json& json, const std::string& origin);
/// Writes the "efficiency" part of calibration.json.
nlohmann::json efficiency_table_to_json(const EfficiencyTable& table);

}  // namespace hwplan::planner
