#include "planner/vllm_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/units.h"

namespace hwplan::planner {
namespace {

double d(int64_t v) { return static_cast<double>(v); }

// CUDA graphs vLLM captures for its decode batch sizes: a few hundred MiB on the GPUs it runs on
// (vLLM's startup log, "Graph capturing finished ... took X GiB"); an estimate, not measured here.
constexpr double kCudaGraphGib = 0.5;
// Activations in the model's 16-bit type.
constexpr double kActivationBytes = 2.0;

// KV heads each GPU holds: split evenly, or one whole head each when there are fewer KV heads
// than GPUs (vLLM replicates them).
double kv_heads_per_gpu(const ModelSpec& m, int64_t tp) {
  return std::max(1.0, d(m.n_kv_heads) / d(tp));
}

// vLLM's KV cache: the model's 16-bit type ("auto"), F32, or FP8 for any quantized request.
double kv_element_bytes(const KvCacheType& kv) {
  if (kv.name == "F32") return 4;
  if (kv.name == "F16" || kv.name == "BF16") return 2;
  return 1;
}

void check_split(const ModelSpec& m, int64_t tp) {
  if (m.n_heads % tp != 0) {
    throw_input("vllm: {} attention heads of {} do not split over {} GPUs (tensor parallel)",
                m.n_heads, m.id, tp);
  }
  if (m.attention != AttentionKind::kMla && m.n_kv_heads % tp != 0 && tp % m.n_kv_heads != 0) {
    throw_input("vllm: {} KV heads of {} do not split over {} GPUs (tensor parallel)", m.n_kv_heads,
                m.id, tp);
  }
}

}  // namespace

VllmMemory vllm_memory(const ModelSpec& m, const WeightInventory& weights, const HardwareSpec& hw,
                       const Workload& w, const VllmOptions& o) {
  if (hw.kind != MemoryKind::kDiscrete ||
      (hw.backend != Backend::kCuda && hw.backend != Backend::kRocm)) {
    throw_input("vllm: {} is not a CUDA or ROCm GPU machine", hw.id);
  }
  const int64_t tp = std::max<int64_t>(1, hw.gpu_count);
  check_split(m, tp);
  VllmMemory v;
  v.tensor_parallel = tp;
  // Tensor parallelism gives every GPU an equal slice: the smallest GPU sets the budget.
  double gpu_memory = hw.memory_bytes;
  for (int64_t i = 0; i < hw.gpu_count; ++i)
    gpu_memory = std::min(gpu_memory, gpu_spec(hw, i).memory_bytes);
  v.budget_bytes = gpu_memory * o.gpu_memory_utilization;
  // Every matrix is split over the group (the vocabulary-parallel embedding and output too);
  // norms are copied, a negligible share.
  v.weights_bytes = total_weight_bytes(weights) / d(tp);
  // The profiling pass: max_num_batched_tokens through the widest layer, hidden states whole and
  // the FFN (or the experts a token uses) split over the group.
  const double ffn = is_moe(m) ? std::max(d(m.moe.n_experts_per_token * m.moe.expert_ffn_size),
                                          d(m.moe.shared_ffn_size))
                               : d(m.ffn_size);
  v.activation_bytes =
      d(o.max_num_batched_tokens) * (4 * d(m.hidden_size) + 3 * ffn / d(tp)) * kActivationBytes;
  v.cuda_graph_bytes = gib_to_bytes(kCudaGraphGib);
  v.runtime_bytes = hw.runtime_overhead_bytes;
  v.kv_budget_bytes =
      v.budget_bytes - v.weights_bytes - v.activation_bytes - v.cuda_graph_bytes - v.runtime_bytes;
  // The model's KV bytes per token (planner/memory.h) in vLLM's element type, of which each GPU
  // holds its heads' share (all of an MLA latent, which is replicated).
  const KvCacheType element{w.kv_cache.name, kv_element_bytes(w.kv_cache)};
  const double share =
      m.attention == AttentionKind::kMla ? 1.0 : kv_heads_per_gpu(m, tp) / d(m.n_kv_heads);
  v.kv_bytes_per_token = kv_bytes_per_token(m, element) * share;
  if (v.kv_budget_bytes > 0 && v.kv_bytes_per_token > 0) {
    const double block = v.kv_bytes_per_token * d(o.block_tokens);
    v.kv_capacity_tokens =
        static_cast<int64_t>(std::floor(v.kv_budget_bytes / block)) * o.block_tokens;
  }
  v.max_model_len = std::min(m.max_context, v.kv_capacity_tokens);
  v.max_concurrency = w.context_tokens > 0 ? d(v.kv_capacity_tokens) / d(w.context_tokens) : 0;
  v.starts = v.kv_budget_bytes > 0 && v.kv_capacity_tokens >= w.context_tokens;
  if (v.kv_budget_bytes <= 0) {
    v.reason = fmt::format(
        "does not start: weights {:.1f} + activations {:.1f} + graphs and runtime {:.1f} GiB per "
        "GPU exceed {:.1f} GiB ({:.0f}% of {:.1f} GiB)",
        bytes_to_gib(v.weights_bytes), bytes_to_gib(v.activation_bytes),
        bytes_to_gib(v.cuda_graph_bytes + v.runtime_bytes), bytes_to_gib(v.budget_bytes),
        100 * o.gpu_memory_utilization, bytes_to_gib(gpu_memory));
  } else if (!v.starts) {
    v.reason = fmt::format(
        "the KV cache holds {} tokens, fewer than one {}-token context: lower --max-model-len or "
        "raise --gpu-memory-utilization",
        v.kv_capacity_tokens, w.context_tokens);
  } else {
    v.reason = fmt::format(
        "tensor parallel over {} GPU{}: {:.1f} GiB of weights and {:.1f} GiB of KV cache each "
        "({} tokens, {:.1f} sequences of {} tokens at once)",
        tp, tp == 1 ? "" : "s", bytes_to_gib(v.weights_bytes), bytes_to_gib(v.kv_budget_bytes),
        v.kv_capacity_tokens, v.max_concurrency, w.context_tokens);
  }
  return v;
}

int64_t vllm_admitted_prompts(const VllmMemory& v, int64_t prompts, int64_t tokens) {
  if (tokens <= 0) throw_input("vLLM: a prompt of {} tokens", tokens);
  return std::clamp<int64_t>(v.kv_capacity_tokens / tokens, 1, std::max<int64_t>(prompts, 1));
}

std::string vllm_queue_text(const VllmMemory& v, const Workload& w, int64_t held, int64_t admitted,
                            int64_t tokens) {
  const std::string steady = fmt::format(
      "once the sequences reach {} tokens its cache holds {} at a time and the others are "
      "preempted until one finishes, so the decode speeds are those of {}",
      w.context_tokens, held, held);
  if (admitted >= w.batch) {
    return fmt::format("vLLM admits all {} prompts at once ({} of its {}-token KV cache); {}. ",
                       w.batch, w.batch * tokens, v.kv_capacity_tokens, steady);
  }
  return fmt::format(
      "vLLM's KV cache ({} tokens) admits {} of the {} prompts of {} tokens at once; the other {} "
      "wait for a sequence to finish, so when the last first token comes depends on how long the "
      "answers are (not predicted); {}. ",
      v.kv_capacity_tokens, admitted, w.batch, tokens, w.batch - admitted, steady);
}

std::string vllm_command(const std::string& model, const VllmMemory& v, const Workload& w,
                         const VllmOptions& o) {
  std::string command = "vllm serve " + model;
  if (v.tensor_parallel > 1)
    command += fmt::format(" --tensor-parallel-size {}", v.tensor_parallel);
  command += fmt::format(" --max-model-len {}", std::min(w.context_tokens, v.max_model_len));
  command += fmt::format(" --gpu-memory-utilization {:g}", o.gpu_memory_utilization);
  if (w.kv_cache.name != "F16" && w.kv_cache.name != "BF16") command += " --kv-cache-dtype fp8";
  return command;
}

}  // namespace hwplan::planner
