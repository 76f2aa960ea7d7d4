#pragma once
// vLLM's memory on a machine (DESIGN.md "engines"): tensor parallel over the machine's GPUs,
// gpu_memory_utilization of each GPU for the engine, the KV cache taking what is left after the
// weights, the profiled activations, CUDA graphs and the runtime; its capacity in tokens and the
// concurrency it allows. An estimate: the activation and CUDA-graph terms are not measured here.

#include <cstdint>
#include <string>

#include "planner/hardware_spec.h"
#include "planner/memory.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

struct VllmOptions {
  double gpu_memory_utilization = 0.9;    ///< vLLM's default
  int64_t max_num_batched_tokens = 2048;  ///< tokens of the profiling forward pass
  int64_t block_tokens = 16;              ///< paged KV block size
};

/// One GPU's share under vLLM (all GPUs of a tensor-parallel group hold the same).
struct VllmMemory {
  int64_t tensor_parallel = 1;
  double budget_bytes = 0;         ///< total x gpu_memory_utilization
  double weights_bytes = 0;        ///< this GPU's shard of the weights
  double activation_bytes = 0;     ///< the profiling pass's peak activations (estimate)
  double cuda_graph_bytes = 0;     ///< captured CUDA graphs (estimate)
  double runtime_bytes = 0;        ///< CUDA context, NCCL and library workspaces (the profile's)
  double kv_budget_bytes = 0;      ///< what is left for the KV cache (< 0: does not start)
  double kv_bytes_per_token = 0;   ///< this GPU's share of one token's KV cache
  int64_t kv_capacity_tokens = 0;  ///< whole blocks of tokens the KV budget holds
  int64_t max_model_len = 0;       ///< min(the model's maximum, the capacity)
  double max_concurrency = 0;      ///< sequences of the workload's context held at once
  bool starts = false;             ///< weights and buffers fit and one full context fits
  std::string reason;              ///< why it does not start, or the one-line summary
  bool operator==(const VllmMemory&) const = default;
};

/// vLLM on `hardware` (discrete CUDA or ROCm GPUs; tensor parallel over all of them): Error{kInput}
/// when the model's attention heads cannot be split over that many GPUs or the machine is not one
/// vLLM serves. KV in the workload's KV type as vLLM has it: F16/BF16 (auto), F32, and FP8 (one
/// byte) for any quantized type asked for.
VllmMemory vllm_memory(const ModelSpec& model, const WeightInventory& weights,
                       const HardwareSpec& hardware, const Workload& workload,
                       const VllmOptions& options = {});

/// How many of `prompts` prompts arriving together vLLM takes at once: its paged cache admits a
/// sequence while blocks for its `tokens` (history + prompt) are free, so min(prompts,
/// capacity / tokens), at least 1.
int64_t vllm_admitted_prompts(const VllmMemory& memory, int64_t prompts, int64_t tokens);

/// The sentence for `users` sequences of which `held` fit the cache at the workload's context and
/// `admitted` were taken at arrival ("vLLM admits all 32 prompts at once ...").
std::string vllm_queue_text(const VllmMemory& memory, const Workload& workload, int64_t held,
                            int64_t admitted, int64_t tokens);

/// The `vllm serve` command for that plan ("vllm serve MODEL --tensor-parallel-size 4
/// --max-model-len 32768 --gpu-memory-utilization 0.9").
std::string vllm_command(const std::string& model, const VllmMemory& memory,
                         const Workload& workload, const VllmOptions& options = {});

}  // namespace hwplan::planner
