#pragma once
// Fitting the efficiency factors to published measurements (DESIGN.md "Effective = peak x
// efficiency"): each measured row becomes the same cost the planner computes for a prediction
// (predict.h), and per (backend, memory class) a least-squares fit of relative error finds
//   decode:  t = gpu_bytes / (f_bw x BW) + layers x t_launch (+ host part, + communication)
//   prefill: t = flop / (f_compute x peak) + layer launches x t_launch'.
// Eigen is used here and nowhere else.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/csv.h"
#include "planner/efficiency.h"
#include "planner/engines.h"
#include "planner/predict.h"
#include "planner/profiles.h"

namespace hwplan::planner {

/// Facts the measured CSV lacks (profiles/calibration_inputs.json): peak FP16 per machine name,
/// layer counts of models that are not bundled, host bandwidth of partial-offload machines.
struct CalibrationInputs {
  struct Peak {
    std::string match;
    int64_t gpu_cores = 0;
    double fp16_tflops = 0;
  };
  struct Default {
    std::string match;
    double bandwidth_gbs = 0;
    int64_t gpu_cores = 0;
  };
  struct Model {
    std::string match;
    std::string bundled;
    int64_t n_layers = 0;
    double active_params_b = 0;
  };
  struct Host {
    std::string match;
    double host_bandwidth_gbs = 0;
    int64_t host_cores = 0;  ///< 0: not given
  };
  std::vector<Peak> peaks;
  std::vector<Default> defaults;
  std::vector<Model> models;
  std::vector<Host> hosts;
};

/// Parses calibration_inputs.json; Error{kInput} naming file and pointer.
CalibrationInputs calibration_inputs_from_json(const nlohmann::json& json,
                                               const std::string& origin);

/// One measured row as the planner sees it.
struct CalibrationRow {
  std::string row_id;
  std::string source_id;
  std::string hardware;
  std::string model;
  std::string quant;
  std::string backend;       ///< normalised: cuda, metal, rocm, vulkan
  std::string memory_class;  ///< gddr, hbm, unified or host (memory_class())
  HardwareSpec machine;      ///< bandwidth, peak, GPUs, host and bus of the measured machine
  DecodeCost decode;
  PrefillCost prefill;
  double measured_decode_tok_per_s = 0;   ///< 0: no decode measurement
  double measured_prefill_tok_per_s = 0;  ///< 0: no prefill measurement
  bool generic_shape = false;  ///< the model is not bundled: layers from inputs, no KV detail
  std::string skipped;         ///< why the row cannot be used (empty: used)
  /// The engine that ran it: "llama.cpp", or "ik_llama.cpp" for rows kept out of llama.cpp's
  /// fit (skipped) whose costs were built all the same (other_engine_costed).
  std::string engine = "llama.cpp";
  bool other_engine_costed = false;
  std::string engine_cell;  ///< the row's engine column as published (its setup)
  int64_t batch = 1;        ///< sequences decoding together; the measured decode is their aggregate
  std::string prefill_skipped;  ///< why its prefill is not used although measured
  std::string source_file;      ///< the CSV the row came from
  int64_t depth_tokens = 0;     ///< tokens already in the cache (kv_depth)
  std::string placement;        ///< placement_kind() of its plan
  /// Report categories: resident, partial_offload, multi_gpu, long_context (depth >= 16K), cpu,
  /// cluster; a row can be in several.
  std::vector<std::string> categories;
};

/// The categories `hwplan calibrate` reports its error in, in order.
inline constexpr const char* kCalibrationCategories[] = {
    "resident", "partial_offload", "multi_gpu", "long_context", "cpu", "cluster"};
/// Depth from which a row counts as long context.
inline constexpr int64_t kLongContextTokens = 16384;

/// Turns measured.csv rows into costs. Rows that cannot be used carry `skipped`.
std::vector<CalibrationRow> calibration_rows(const CsvTable& csv, const std::string& origin,
                                             const CalibrationInputs& inputs, const ProfileDb& db);

/// How far a row's stated file size may be from its mix's before the difference is put on the
/// routed experts alone (MoE models) instead of on every tensor.
inline constexpr double kMixSizeTolerance = 0.8;

/// `model` at `quant` with its bytes brought to a published file's `size_bytes` (0: as the mix
/// gives). Every tensor is scaled alike, except that a MoE file more than kMixSizeTolerance away
/// from the mix's size differs in its routed experts only: a model published with quantized
/// experts keeps them at any conversion type (gpt-oss's "F16" GGUF holds MXFP4 experts), and
/// expert-only requantization is the common recipe.
WeightInventory scaled_inventory(const ModelSpec& model, const QuantSpec& quant, double size_bytes);

/// Another engine's rows (other_engine_costed) against llama.cpp's fitted physics on the same
/// plan: measured / predicted, decode and prefill (0 where not measured or not modelled), as
/// pairs for fit_engines. An engine without published llama.cpp runs beside it gets its factor
/// this way.
std::vector<EnginePair> physics_pairs(const std::vector<CalibrationRow>& rows,
                                      const EfficiencyTable& table);

/// engines.csv runs that no llama.cpp run pairs with (they ran tensor parallel beside llama.cpp's
/// layer split, or no llama.cpp run is published beside them), single-stream, against llama.cpp's
/// fitted physics on their own plans (physics_pairs): what such an engine's factor rests on.
std::vector<EnginePair> unpaired_physics_pairs(const std::vector<CalibrationRow>& engine_rows,
                                               const std::vector<EnginePair>& llama_pairs,
                                               const EfficiencyTable& table);

/// Other engines' runs at several concurrent sequences (batch > 1) beside their single-stream run
/// of the same source, machine, model, quantization and setup, with llama.cpp's physics for what
/// the batch adds besides the products (fit_engines fits batch_flop_fraction from them).
std::vector<BatchPair> batch_pairs(const std::vector<CalibrationRow>& rows,
                                   const EfficiencyTable& table);

/// Per-row outcome of a fitted table.
struct RowResult {
  const CalibrationRow* row = nullptr;
  double predicted_decode_tok_per_s = 0;
  double predicted_prefill_tok_per_s = 0;
  double decode_error = 0;  ///< predicted / measured - 1 (0 when not measured)
  double prefill_error = 0;
};

/// Error statistics over rows (absolute relative errors).
struct ErrorSummary {
  int64_t decode_rows = 0;
  double decode_median = 0;
  double decode_p90 = 0;
  int64_t prefill_rows = 0;
  double prefill_median = 0;
  double prefill_p90 = 0;
};

/// Fits one group per (backend, memory class) present, a pooled group per memory class, and the
/// CPU bandwidth fraction from partial-offload rows; fills each group's 80% error band.
EfficiencyTable fit_efficiency(const std::vector<CalibrationRow>& rows,
                               const std::string& fitted_from);

/// Predicts every usable row with `table` through decode_speed / prefill_speed.
std::vector<RowResult> evaluate(const std::vector<CalibrationRow>& rows,
                                const EfficiencyTable& table);

/// Median and 90th percentile of the absolute errors.
ErrorSummary summarize(const std::vector<RowResult>& results);

/// The same over the rows of one category (kCalibrationCategories).
ErrorSummary summarize_category(const std::vector<RowResult>& results, const std::string& category);

/// profiles/calibration.json: the fitted factors, the error summary, each used row's errors and
/// each skipped row's reason.
nlohmann::json calibration_to_json(const EfficiencyTable& table,
                                   const std::vector<CalibrationRow>& rows,
                                   const std::vector<RowResult>& results,
                                   const ErrorSummary& summary);

/// The q-quantile (0..1) of values, linear interpolation; 0 for none.

}  // namespace hwplan::planner
