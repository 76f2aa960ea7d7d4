#pragma once
// The speed model (DESIGN.md "Decode", "Prefill"): tokens/second for a model on a machine, as a
// sum over where the weights live, with the term that bounds it. Two steps, both pure:
//   cost  - bytes, FLOPs, launches and messages per token, from the model and its placement;
//   speed - seconds from cost / (peak x efficiency), the efficiencies fitted in calibration.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/efficiency.h"
#include "planner/execution_plan.h"
#include "planner/exllama_memory.h"
#include "planner/fit.h"
#include "planner/llama_args.h"
#include "planner/vllm_memory.h"

namespace hwplan::planner {

/// What limits a prediction.
enum class Bound { kMemory, kCompute, kBus, kCommunication };

/// A link between devices or machines: bandwidth per direction and one-way latency.
struct Link {
  std::string name;
  double bytes_per_s = 0;
  double latency_seconds = 0;
  bool operator==(const Link&) const = default;
};

/// Known links by name: pcie, nvlink, thunderbolt5 (RDMA), 10gbe, 25gbe, 100gbe, infiniband.
/// Error{kInput} with suggestions for others.
Link find_link(const std::string& name);

/// Everything predict takes besides model, weights, machine and workload.
struct PredictOptions {
  int64_t prompt_tokens = 512;
  /// Tokens already in the cache when the prompt arrives (a conversation's history): prefill
  /// attends to them as well as to the prompt (llama-bench -d).
  int64_t depth_tokens = 0;
  OffloadMode offload = OffloadMode::kAuto;
  SplitMode split = SplitMode::kLayer;  ///< for the plan predict() proposes
  int64_t nodes = 1;                    ///< identical machines over `link`
  std::string link = "thunderbolt5";
  /// The engine whose kernels run the plan: llama.cpp's decide how often decode reads the cache
  /// (cache_reads_per_token); another engine's cache is counted as read once, its factors fitted
  /// so.
  std::string engine = "llama.cpp";
  bool operator==(const PredictOptions&) const = default;
};

/// How many times a decode step reads each GPU-held cache byte: llama.cpp's vector
/// flash-attention kernel runs one block per query head, each reading its KV head's K and V
/// (ggml-cuda/fattn-vec.cuh), so a grouped-query model's cache is read once per query head
/// (n_heads / n_kv_heads) where that kernel runs decode: on CUDA with a quantized cache (the mma
/// kernel that shares K and V across a query group takes F16 only, llama.cpp PR 12014, February
/// 2025) and on ROCm/HIP. Elsewhere, for latent attention (MLA) and for other engines, once. The L2
/// cache may serve some re-reads; this counts them all (an upper bound).
double cache_reads_per_token(const ModelSpec& m, const Workload& w, Backend backend,
                             const std::string& engine);

/// How many times per step llama.cpp's older --split-mode row stops every GPU for a host-side
/// synchronization: after each matrix product it splits (q, k, v and o; gate, up and down: 7 per
/// layer), which llama.cpp's maintainers name as the reason row split pays only on slow GPUs
/// (llama.cpp PR 19378). 0 for one device, other splits and other engines: --split-mode tensor
/// synchronizes only at its two all-reduces per layer, costed by their link latency.
int64_t host_syncs_per_step(const ModelSpec& m, SplitMode split, int64_t devices,
                            const std::string& engine);

/// Physics of one decode step (every sequence of the batch produces one token), before efficiency.
struct DecodeCost {
  double gpu_bytes = 0;       ///< read from GPU (or unified) memory
  double host_bytes = 0;      ///< read by the CPU from host RAM
  double host_flop = 0;       ///< products and attention the CPU computes
  double streamed_bytes = 0;  ///< copied host -> GPU over the bus
  double gpu_flop = 0;
  double gpu_attention_flop = 0;   ///< of gpu_flop, attention over the cached tokens
  double host_attention_flop = 0;  ///< of host_flop, attention over the cached tokens
  /// Of gpu_bytes, host_bytes and streamed_bytes: the KV cache's (every cached token read once)
  double kv_gpu_bytes = 0;
  double kv_host_bytes = 0;
  double kv_streamed_bytes = 0;
  /// The GPU-held cache's reads beyond the first (kv_gpu_bytes x (cache_reads_per_token - 1)),
  /// not in gpu_bytes: decode_speed adds the table's cache_reread_fraction of them.
  double kv_gpu_reread_bytes = 0;
  int64_t gpu_layers = 0;     ///< layer kernels launched on the GPU (for launch overhead)
  int64_t parallel_gpus = 1;  ///< GPUs sharing each layer's bytes (tensor parallel)
  double comm_seconds = 0;    ///< all-reduces, pipeline hops, network
  /// Times per step the host stops every GPU to synchronize them (host_syncs_per_step);
  /// decode_speed costs each as one layer's fixed overhead and adds it to the communication.
  int64_t host_syncs = 0;
  int64_t batch = 1;
  /// Peak memory rate and FP16 rate of "a GPU" for the GPU terms: the machine's when its GPUs
  /// are alike; on a mixed machine the rate at which the GPUs' own times add up (each GPU reads
  /// its share at its own speed: a share-weighted harmonic mean), or the slowest GPU's when
  /// every GPU holds an equal slice (tensor parallel).
  double gpu_bandwidth_bytes_per_s = 0;
  double gpu_flop_per_s = 0;
  bool operator==(const DecodeCost&) const = default;
};

/// Physics of a prompt of `prompt_tokens`, before efficiency.
struct PrefillCost {
  double flop = 0;
  double expert_flop = 0;       ///< the routed experts' share of flop
  double quantized_flop = 0;    ///< the share of flop on quantized (not F16/BF16/F32) weights
  double attention_flop = 0;    ///< attention over cached and prompt tokens, part of flop
  double weight_bytes = 0;      ///< GPU-resident weights read once per ubatch
  double activation_bytes = 0;  ///< F32 activations streamed through memory by non-matmul ops
  double bus_bytes = 0;         ///< host-held weights copied to the GPU, once per ubatch
  int64_t layer_launches = 0;   ///< layers x ubatches
  int64_t parallel_gpus = 1;
  /// Layer split: the ubatches of one batch flow through the GPUs as a pipeline, so u ubatches
  /// on g GPUs take (u + g - 1) stage times instead of u x g: a speed-up of u g / (u + g - 1).
  double pipeline_speedup = 1;
  double comm_seconds = 0;
  int64_t host_syncs = 0;  ///< host_syncs_per_step x ubatches
  int64_t prompt_tokens = 0;
  double gpu_bandwidth_bytes_per_s = 0;  ///< as in DecodeCost
  double gpu_flop_per_s = 0;             ///< as in DecodeCost
  bool operator==(const PrefillCost&) const = default;
};

/// One term of a prediction: where, how many bytes (or FLOPs) at what rate, for how long.
struct Term {
  std::string placement;
  double bytes = 0;
  double bytes_per_s = 0;  ///< effective rate (peak x efficiency); FLOP/s for compute terms
  double flop = 0;
  double seconds = 0;
  Bound bound = Bound::kMemory;
  bool operator==(const Term&) const = default;
};

/// Decode or prefill speed.
struct SpeedPrediction {
  std::vector<Term> terms;
  double overhead_seconds = 0;  ///< kernel launch / synchronisation
  double seconds = 0;           ///< per step (decode) or for the whole prompt (prefill)
  double tok_per_s = 0;
  Bound bound = Bound::kMemory;
  /// 80% of measured runs of the prediction's placement class within +- this (set by
  /// predict_plan from EfficiencyTable::bands; 0 from decode_speed / prefill_speed alone)
  double error_band_fraction = 0;
  /// Decode: seconds of the step's "GPU compute" term (the products of every sequence)
  double gpu_compute_seconds = 0;
  /// Decode, several sequences: the batch's products as one tiled GEMM (batched_gemm_seconds; 0
  /// for one sequence), whether or not it was the faster
  double gpu_gemm_seconds = 0;
  /// Seconds of the "communication" term (all-reduces, pipeline hops over the link): an engine's
  /// factor speeds up its kernels, not the link
  double communication_seconds = 0;
  /// Decode: of seconds, what the cached tokens cost (cache_seconds: the KV reads and attention)
  double cache_seconds = 0;
  /// Decode: bytes read per step from GPU and host memory, the cache's re-reads from memory
  /// included (the table's cache_reread_fraction of them)
  double read_bytes = 0;
  /// Decode: of read_bytes, the cache's re-reads from memory
  double cache_reread_bytes = 0;
  bool operator==(const SpeedPrediction&) const = default;
};

/// The full answer for one model on one machine.
struct Prediction {
  FitResult fit;
  ExecutionPlan plan;  ///< what runs where: every term below is read from it
  DecodeCost decode_cost;
  PrefillCost prefill_cost;
  SpeedPrediction decode;
  SpeedPrediction prefill;
  double ttft_seconds = 0;  ///< time to first token: the prefill of the prompt
  /// Concurrency (batch > 1): the last of `ttft_all_prompts` prompts arriving together gets its
  /// first token after all of them are prefilled (llama-server batches their prompts); =
  /// ttft_seconds at 1. NaN where some wait for a sequence to finish (vLLM's full cache).
  double ttft_all_seconds = 0;
  int64_t ttft_all_prompts = 1;  ///< the prompts that prefill covers: the batch, or vLLM's admitted
  Efficiency efficiency;
  std::string efficiency_note;       ///< set when the factors come from a fallback group
  std::string engine = "llama.cpp";  ///< the engine the speeds are for
  std::string placement;             ///< placement_kind(): the class the error bands come from
  BandChoice band;                   ///< the bands in decode/prefill and where they came from
  std::string reason;                ///< one sentence: what bounds decode and by how much
  /// The engine's own memory where it decides the verdict (predict_with_engine): vLLM's and
  /// ExLlamaV2's, which do not offload; unset for the others and where it does not run the model.
  std::optional<VllmMemory> vllm_memory;
  std::optional<ExllamaMemory> exllama_memory;
  bool operator==(const Prediction&) const = default;
};

/// Decode cost of a plan at `plan.workload.context_tokens` already in the cache: bytes each device
/// reads per token (routed experts at the share a batch touches, KV caches where they live).
DecodeCost decode_cost(const ModelSpec& model, const ExecutionPlan& plan,
                       const HardwareSpec& hardware, const PredictOptions& options);

/// Prefill cost of options.prompt_tokens on top of `depth_tokens` already cached.
PrefillCost prefill_cost(const ModelSpec& model, const ExecutionPlan& plan,
                         const HardwareSpec& hardware, const PredictOptions& options,
                         int64_t depth_tokens);

/// Seconds of a batch's decode products as llama.cpp's tiled GEMM: the weights' products of every
/// sequence, the batch rounded up to whole tiles (8 columns on CUDA and ROCm, 32 elsewhere), at
/// the prefill share of the peak over `parallel` GPUs, plus attention at the decode rate. Infinite
/// for one sequence. decode_speed takes the faster of this and the vector kernel's per-sequence
/// cost (llama.cpp switches to its GEMM for larger batches).
double batched_gemm_seconds(const DecodeCost& cost, Backend backend, const Efficiency& e,
                            double parallel);

/// Seconds and tok/s of a decode step: GPU bytes/(eff x BW) + factor x flop/peak + host bytes
/// / (eff x host BW) + streamed bytes / (eff x bus) + communication + layers x launch overhead.
SpeedPrediction decode_speed(const DecodeCost& cost, const HardwareSpec& hardware,
                             const Efficiency& efficiency, const EfficiencyTable& table);

/// The step without its cache: `cost` less the KV cache's bytes and the attention over it.
DecodeCost without_cache(const DecodeCost& cost);

/// Seconds of a decode step the cached tokens cost: the step less the step without_cache.
double cache_seconds(const DecodeCost& cost, const HardwareSpec& hardware, const Efficiency& e,
                     const EfficiencyTable& table);

/// Seconds and tok/s of a prefill: max(flop/(eff x peak), weight bytes/(eff x BW)) + factor x
/// activation bytes / BW + bus + communication + launches x overhead.
SpeedPrediction prefill_speed(const PrefillCost& cost, const HardwareSpec& hardware,
                              const Efficiency& efficiency, const EfficiencyTable& table);

/// The machine a cluster of `nodes` identical machines acts as for placement: nodes x GPUs.
HardwareSpec cluster_of(const HardwareSpec& hardware, int64_t nodes, const Link& link);

/// The machine predict plans for: a cluster of options.nodes over options.link (Error{kInput} for
/// nodes < 1 or an unknown link).
HardwareSpec machine_for(const HardwareSpec& hardware, const PredictOptions& options);

/// Cost and speed of a given plan on `hardware` (already machine_for'd), with the fit that
/// plan has; the plan's own split mode and nodes decide communication.
Prediction predict_plan(const ModelSpec& model, const ExecutionPlan& plan,
                        const HardwareSpec& hardware, const FitResult& fit,
                        const PredictOptions& options, const EfficiencyTable& table);

/// The plan a question is about, on the machine it runs on.
struct ChosenPlan {
  HardwareSpec machine;  ///< machine_for(hardware, options)
  HardwareSpec node;     ///< the machine as given (one node of a cluster)
  ExecutionPlan plan;
  FitResult fit;  ///< fit_model's verdict (proposed) or fit_of_plan (from a command line)
  std::vector<std::string> notes;
  bool from_command_line = false;
};

/// The plan for a model on a machine: the one a llama.cpp command line describes when `args` is
/// given (`catalog` resolves its KV types), else fit's proposal with options.offload. fit,
/// predict and report all take their plan from here. Error{kUsage} for --offload beside args.
ChosenPlan choose_plan(const ModelSpec& model, const WeightInventory& weights,
                       const HardwareSpec& hardware, const Workload& workload,
                       const PredictOptions& options, const LlamaArgs* args,
                       const QuantCatalog& catalog);

/// Cost and speed of a chosen plan.
Prediction predict_chosen(const ModelSpec& model, const ChosenPlan& chosen,
                          const PredictOptions& options, const EfficiencyTable& table);

/// Fit (the proposed plan), cost and speed in one call. Throws Error{kInput} for offload kNone when
/// it does not fit.
Prediction predict(const ModelSpec& model, const WeightInventory& weights,
                   const HardwareSpec& hardware, const Workload& workload,
                   const PredictOptions& options, const EfficiencyTable& table);

/// A llama.cpp prediction carried over to another engine: decode and prefill scaled by the
/// engine's ratios, its pairs' spread added to the bands (a band of at least 50% where fewer than
/// kMinBandRows pairs exist), and the reason says so. Call check_engine_runs_on first.
Prediction with_engine(Prediction prediction, const EngineFactors& engine);

/// What an engine's speed rests on, in words: "mlx: 1.44x llama.cpp's decode, 2.09x its prefill
/// (median of 10 published pairs on the same machine and model)", saying when the runs are too
/// few for a band of their own.
std::string engine_basis(const EngineFactors& engine);

/// The model run by `engine` on the machine of `chosen` (llama.cpp's plan and `prediction` for
/// it): with_engine on that plan, except that vLLM runs a machine of several GPUs tensor parallel,
/// so its base is the same model split by tensors (two all-reduces per layer over the link) when
/// the plan was hwplan's own layer split; the reason then says what the engine changes. (vLLM's
/// published pairs are themselves tensor-parallel runs of other weight formats against
/// llama.cpp's layer split of a GGUF, so its ratio mixes engine, format and parallelism; pairs
/// normalised by each side's own physics would separate them.) Call check_engine_runs_on first.
Prediction predict_with_engine(const ModelSpec& model, const WeightInventory& weights,
                               const Workload& workload, const ChosenPlan& chosen,
                               const Prediction& prediction, const PredictOptions& options,
                               const EngineFactors& engine, const QuantCatalog& catalog,
                               const EfficiencyTable& table);

/// Decode tok/s each of the plan's sequences (users) sees; decode.tok_per_s is their sum.
double per_sequence_tok_per_s(const Prediction& prediction);

/// The class of placement a prediction's error band is drawn from (kPlacementKinds): "cpu"
/// (nothing read on a GPU), "partial_offload" (weights or KV read from host memory or streamed),
/// "cluster" (nodes > 1), "multi_gpu" (several GPUs), else "resident".
std::string placement_kind(const DecodeCost& cost, const HardwareSpec& machine, int64_t nodes);

const char* bound_name(Bound bound);

/// A speed's 80% band as tables show it ("+-12%"); `none` when it has none (or no speed).
std::string band_text(const SpeedPrediction& speed, const std::string& none = "");

}  // namespace hwplan::planner
