#pragma once
// The few efficiency factors that turn peak figures into achieved ones (DESIGN.md "Effective =
// peak x efficiency"): one set per backend and memory class, fitted by least squares to the
// published measurements (calibration.cpp) and stored in profiles/calibration.json.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hwplan::planner {

/// Factors of one (backend, memory class) group and how well they fit the measured rows.
struct Efficiency {
  std::string backend;                ///< cuda, metal, rocm, vulkan
  std::string memory_class;           ///< gddr, hbm or unified (memory_class())
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
  int64_t decode_rows = 0;  ///< measured rows behind the decode factors (0: a fallback)
  int64_t prefill_rows = 0;
  double decode_error_p80 = 0;   ///< 80% of decode rows within +- this fraction
  double prefill_error_p80 = 0;  ///< 80% of prefill rows within +- this fraction
  bool operator==(const Efficiency&) const = default;
};

/// All groups plus the host-side factors.
struct EfficiencyTable {
  std::vector<Efficiency> groups;
  double cpu_bandwidth_fraction = 0.6;  ///< CPU decode of offloaded layers: achieved / host peak
  double bus_fraction = 0.8;            ///< achieved / theoretical PCIe throughput (pinned copies)
  std::string fitted_from;              ///< the CSV the factors came from, or "defaults"
  bool operator==(const EfficiencyTable&) const = default;
};

/// The group for a backend and memory class: exact match, else the same memory class pooled
/// ("*" backend), else the first group of the same backend, else defaults. `fallback` says which.
Efficiency efficiency_for(const EfficiencyTable& table, const std::string& backend,
                          const std::string& memory_class, std::string* fallback = nullptr);

/// Reads profiles/calibration.json (its "efficiency" part); Error{kInput} naming file and pointer.
EfficiencyTable efficiency_table_from_json(const nlohmann::json& json, const std::string& origin);
/// Writes the "efficiency" part of calibration.json.
nlohmann::json efficiency_table_to_json(const EfficiencyTable& table);

}  // namespace hwplan::planner
