#pragma once
// Inference engines other than llama.cpp, as a few factors on top of llama.cpp's fitted physics:
// which backends an engine runs on, and its decode and prefill speed over llama.cpp's on the same
// machine and model, the median of published pairs (engines.csv rows whose source also ran
// llama.cpp there). The pairs' spread is the engine's own part of the error band.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/csv.h"
#include "planner/hardware_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

/// One engine's factors.
struct EngineFactors {
  std::string name;               ///< "mlx", "vllm", "exllamav2", "exllamav3"
  std::vector<Backend> backends;  ///< where it runs
  double decode_ratio = 1;        ///< engine decode tok/s over llama.cpp's (median of pairs)
  int64_t decode_pairs = 0;
  double decode_spread = 0;  ///< 80th percentile of |pair ratio / median - 1|
  /// Median of |pair ratio / median - 1|: the median error of predicting the engine's run from
  /// its partner (llama.cpp's run, or llama.cpp's physics) with the fitted ratio
  double decode_median_error = 0;
  double prefill_ratio = 1;  ///< 1 when no pair measured prefill
  int64_t prefill_pairs = 0;
  /// Of decode_pairs, those against llama.cpp's fitted physics on the run's own plan (the rest
  /// beside llama.cpp runs); all of them for ik_llama.cpp, which has no llama.cpp runs beside its
  /// own (against_physics_only)
  int64_t decode_physics_pairs = 0;
  /// Another engine whose fitted factors this one uses (exo distributes MLX): "" for its own.
  std::string factors_of;
  /// Why factors_of's factors stand in for this engine's own, in words ("" for its own)
  std::string factors_why;
  /// Runs a model over several machines only (exo): no single-machine answer
  bool distributed = false;
  /// Serving several users at once: the share of the GPU's FP16 peak at which the engine computes
  /// the other sequences' matrix products in a decode step (the first sequence's step is its
  /// single-stream one). 0: not measured, llama.cpp's physics scaled by decode_ratio.
  double batch_flop_fraction = 0;
  int64_t batch_pairs = 0;
  double batch_median_error = 0;  ///< median |predicted / measured aggregate - 1| over the pairs
  double batch_spread = 0;        ///< 80th percentile of the same
  /// The engine's decode time per cached token over llama.cpp's physics' (the KV reads and the
  /// attention over them, cache_seconds), fitted from its runs against the physics at a depth of
  /// kCacheFitDepthTokens or more; decode_ratio then comes from its other runs. 0: not fitted,
  /// the cache runs at decode_ratio like the rest of the step.
  double cache_ratio = 0;
  int64_t cache_pairs = 0;
  bool operator==(const EngineFactors&) const = default;
};

/// Runs at this depth or deeper fit an engine's cache_ratio (where it has kMinCachePairs of them).
inline constexpr int64_t kCacheFitDepthTokens = 4096;
inline constexpr int64_t kMinCachePairs = 3;

/// Whether an engine's factor rests on enough of its own published runs for a band of its own:
/// at least kMinBandRows pairs, and not another engine's factors standing in (exo, exllamav3).
/// Below that its band is widened, and `report --engine all` does not pick it.
bool engine_has_own_band(const EngineFactors& engine);

/// Whether every decode pair of `engine` is against llama.cpp's physics (none beside llama.cpp
/// runs).
bool against_physics_only(const EngineFactors& engine);

/// The engines predict knows, with their backends and no pairs yet (ratio 1).
std::vector<EngineFactors> known_engines();

/// The canonical engine of an engines.csv "engine" cell ("mlx-lm 0.31.2 ..." -> "mlx",
/// "ExLlamaV2 ..." -> "exllamav2", "ExLlamaV3 ..." -> "exllamav3", "llama.cpp llama-server ..." ->
/// "llama.cpp"); "" for others.
std::string engine_of(const std::string& engine_cell);

/// One published pair: the same source, machine and model run by `engine` and by llama.cpp.
struct EnginePair {
  std::string engine;
  std::string source_id;
  std::string hardware;
  std::string model;
  double decode_ratio = 0;           ///< 0: not both measured
  double prefill_ratio = 0;          ///< 0: not both measured
  bool against_physics = false;      ///< the other side is llama.cpp's physics (physics_pairs)
  std::vector<std::string> row_ids;  ///< the engine's rows in the pair (row_id column, if any)
  /// Against the physics (decode): the run's tokens already cached, the physics' step, of it the
  /// cache's share (cache_seconds) and the link's, and the measured step, all in seconds
  int64_t depth_tokens = 0;
  double physics_seconds = 0;
  double cache_seconds = 0;
  double communication_seconds = 0;
  double measured_seconds = 0;
};

/// Whether a published run's engine or placement text says it ran tensor parallel ("TP=2");
/// "no TP" says it did not.
bool runs_tensor_parallel(const std::string& text);

/// Seconds in an engine that runs llama.cpp's kernels `ratio` times as fast: `seconds` of
/// llama.cpp's physics, of which `communication_seconds` over the link stay as they are.
double engine_seconds(double seconds, double communication_seconds, double ratio);

/// A decode step of one sequence in engine `e` from llama.cpp's physics of it: `seconds`, of
/// which `cache_seconds` the cached tokens cost and `communication_seconds` the link. Without a
/// fitted cache_ratio, engine_seconds at decode_ratio; with it, the rest of the kernels at
/// decode_ratio and the cache at cache_ratio times the physics' time.
double engine_decode_seconds(const EngineFactors& e, double seconds, double cache_seconds,
                             double communication_seconds);

/// A decode step of `batch` sequences in engine `e`, in seconds, from llama.cpp's physics of the
/// same step: `physics_seconds`, of which `physics_compute_seconds` are every sequence's products.
/// For one sequence, or without a fitted batch_flop_fraction: physics_seconds / decode_ratio.
/// Otherwise one sequence's step over decode_ratio plus the other sequences' products
/// (`flop_per_sequence` each) at batch_flop_fraction x `peak_flop_per_s`; or, where faster, the
/// step without products plus `gemm_seconds`, the batch's products as the backend's tiled GEMM
/// (batched_gemm_seconds, SpeedPrediction::gpu_gemm_seconds; 0: none). Engines switch kernels as
/// llama.cpp does: MLX's qmv batch limit is that crossover, its qmm tile the Metal one (32 rows).
double engine_step_seconds(const EngineFactors& e, int64_t batch, double physics_seconds,
                           double physics_compute_seconds, double flop_per_sequence,
                           double peak_flop_per_s, double gemm_seconds);

/// One engine's published run with `batch` concurrent sequences beside its single-stream run on
/// the same source, machine, model and setup, with llama.cpp's physics of both steps (one device:
/// no communication over a link).
struct BatchPair {
  std::string engine;
  std::string source_id;
  std::string hardware;
  std::string model;
  int64_t batch = 1;
  double single_tok_per_s = 0;         ///< measured, one sequence
  double aggregate_tok_per_s = 0;      ///< measured, all `batch` sequences together
  double physics_single_seconds = 0;   ///< llama.cpp's physics, one sequence's step
  double physics_seconds = 0;          ///< llama.cpp's physics, the batch's step
  double physics_compute_seconds = 0;  ///< of which every sequence's products
  double flop_per_sequence = 0;        ///< one sequence's products per step (GPU)
  double peak_flop_per_s = 0;          ///< the GPUs' FP16 peak that computes them
  double gemm_seconds = 0;             ///< the batch's products as one tiled GEMM (0: none)
};

/// The pair's aggregate predicted from its measured single-stream run: its step plus what
/// engine_step_seconds adds for the batch over one sequence.
double batch_pair_aggregate(const BatchPair& pair, const EngineFactors& e);

/// The pair's aggregate predicted from the physics alone (engine_step_seconds of the batch).
double batch_pair_predicted_aggregate(const BatchPair& pair, const EngineFactors& e);

/// Pairs in engines.csv: single-stream rows (concurrency 1) grouped by source, machine and the
/// model's base name; each engine's mean against llama.cpp's mean in the group. A tensor-parallel
/// run pairs with nothing: llama.cpp's runs beside it split layers, so the ratio would mix engine
/// and parallelism (such runs give physics pairs where their model is known).
std::vector<EnginePair> engine_pairs(const CsvTable& csv, const std::string& origin);

/// known_engines() with ratios and spreads from `pairs`, and each engine's batch_flop_fraction
/// from `batch` (the median of the fractions each pair implies, at most 1).
std::vector<EngineFactors> fit_engines(const std::vector<EnginePair>& pairs,
                                       const std::vector<BatchPair>& batch = {});

/// The factors of `name` ("mlx", ...); Error{kInput} listing the known engines otherwise.
const EngineFactors& find_engine(const std::vector<EngineFactors>& engines,
                                 const std::string& name);

/// Error{kInput} naming engine and machine when the engine cannot run on the machine's backend.
void check_engine_runs_on(const EngineFactors& engine, const HardwareSpec& machine);

/// Whether the engine runs ggml's kernels on GGUF files: llama.cpp and ik_llama.cpp.
bool runs_ggml(const std::string& engine);

/// Whether `engine` loads weights of format `family` (a catalog family: gguf, mlx, gptq, awq,
/// fp8, fp4, exl2; "safetensors" for a checkpoint as published). `ik_types`: the weights hold a
/// type only ik_llama.cpp defines, which only it loads. MLX, vLLM and ExLlamaV2 take a GGUF mix
/// or a checkpoint as the same model at that size in their own format (their factors were
/// measured that way); llama.cpp and ik_llama.cpp load GGUF and no other engine's format.
bool engine_loads(const std::string& engine, const std::string& family, bool ik_types);

/// The engines that load `family` (as engine_loads), in a fixed order.
std::vector<std::string> engines_loading(const std::string& family, bool ik_types);

/// The first tensor type in `weights` that only ik_llama.cpp defines ("IQ4_K"); "" when none.
std::string ik_only_type(const WeightInventory& weights);

/// Error{kInput} naming engine, quantization and the engines that do load it, when `engine`
/// cannot load `quant_name` (format `family`); for llama.cpp it also names the checkpoint's GGUF
/// mix where one is known (`gguf_counterpart`).
void check_engine_loads(const std::string& engine, const std::string& family,
                        const WeightInventory& weights, const std::string& quant_name,
                        const std::string& gguf_counterpart = "");

/// Whether `engine` runs on `machine`'s backend (check_engine_runs_on without the error).
bool engine_runs_on(const EngineFactors& engine, const HardwareSpec& machine);

/// The engines of `engines` (llama.cpp is not among them) that can run a model whose weights are
/// of `family` (ik_types as engine_loads) on `machine` over `nodes` nodes: they run on its
/// backend, load the weights, and are not a distributed engine on one node (exo on one Mac is
/// MLX). `predict --engine all` and `report --engine all` choose among these.
std::vector<const EngineFactors*> engines_for(const std::vector<EngineFactors>& engines,
                                              const HardwareSpec& machine,
                                              const std::string& family, bool ik_types,
                                              int64_t nodes);

/// calibration.json's "engines" part and back (Error{kInput} naming file and pointer).
nlohmann::json engines_to_json(const std::vector<EngineFactors>& engines);
std::vector<EngineFactors> engines_from_json(const nlohmann::json& json, const std::string& origin);

}  // namespace hwplan::planner
