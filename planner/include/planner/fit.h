#pragma once
// "Will this model fit?" (DESIGN.md "Memory to fit", llama.cpp's placement rules).

#include <cstdint>
#include <string>
#include <vector>

#include "planner/hardware_spec.h"
#include "planner/memory.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

/// How a model fits a machine, best first.
enum class FitKind {
  kGpu,             ///< entirely in one GPU's memory (or unified memory under the default limit)
  kGpuRaisedLimit,  ///< unified memory, once the user raises the GPU memory limit
  kMultiGpu,        ///< only when its layers are split across several GPUs
  kHost,            ///< a machine without a GPU backend: all of it in host RAM, run by the CPU
  kPartialOffload,  ///< some layers (or experts) in host RAM, computed by the CPU
  kNoFit,           ///< not even GPU and host memory together hold it
};

/// Memory the model needs, all of it, wherever it is placed.
struct MemoryBreakdown {
  double weights_bytes = 0;
  double kv_cache_bytes = 0;
  double compute_buffer_bytes = 0;    ///< one device's worth
  double runtime_overhead_bytes = 0;  ///< one device's worth
  double total_bytes() const {
    return weights_bytes + kv_cache_bytes + compute_buffer_bytes + runtime_overhead_bytes;
  }
  bool operator==(const MemoryBreakdown&) const = default;
};

/// The answer for one model on one machine.
struct FitResult {
  FitKind kind = FitKind::kNoFit;
  MemoryBreakdown need;
  double gpu_need_bytes = 0;    ///< what all-on-GPU placement would take (all GPUs together)
  double gpu_usable_bytes = 0;  ///< per GPU, at the limit that applied
  double host_usable_bytes = 0;
  double gpu_bytes = 0;   ///< placed on GPU(s), all together
  double host_bytes = 0;  ///< placed in host RAM
  int64_t n_layers = 0;
  int64_t n_gpu_layers = 0;  ///< llama.cpp -ngl (counts the output layer: max n_layers + 1)
  int64_t n_cpu_moe = 0;     ///< llama.cpp --n-cpu-moe: layers whose experts stay on the CPU
  std::vector<int64_t> layers_per_gpu;  ///< non-empty when a --tensor-split is needed
  std::vector<double> bytes_per_gpu;
  std::string summary;  ///< one sentence: the verdict and why
  bool operator==(const FitResult&) const = default;
};

/// Places a model on a machine as llama.cpp would: token embedding in host memory; -ngl counts
/// layers from the last, the output first; KV cache with its layer; a compute buffer and runtime
/// overhead per GPU; MoE experts kept on the CPU before whole layers are (--n-cpu-moe).
FitResult fit_model(const ModelSpec& model, const WeightInventory& weights,
                    const HardwareSpec& hardware, const Workload& workload);

/// Longest context (tokens, <= model.max_context) at which the model still fits at least as well
/// as `kind` (kGpu: in GPU memory, ...); 0 when it never does.
int64_t max_context_tokens(const ModelSpec& model, const WeightInventory& weights,
                           const HardwareSpec& hardware, const Workload& workload, FitKind kind);

/// The llama.cpp flags that realise a fit: -ngl, -c, -np, -ctk/-ctv (+ -fa on), --n-cpu-moe,
/// --tensor-split. Empty for kNoFit.
std::string llama_cpp_args(const FitResult& fit, const Workload& workload);

/// What the user does to raise the GPU memory limit on this machine (sysctl on macOS, ...).
std::string raise_limit_hint(const HardwareSpec& hardware, double needed_bytes);

/// True when `kind` is at least as good as `reference` (kGpu best, kNoFit worst).
bool fits_at_least(FitKind kind, FitKind reference);

/// "gpu", "gpu_raised_limit", "multi_gpu", "partial_offload", "no_fit".
const char* fit_kind_name(FitKind kind);
/// A short human label: "fits in GPU", "fits with offload", ...
const char* fit_kind_label(FitKind kind);

}  // namespace hwplan::planner
