#pragma once
// ExLlamaV2's and ExLlamaV3's memory on a machine (DESIGN.md "engines"): their automatic split
// fills the GPUs in order, layer by layer, each GPU holding its layers' weights and KV cache
// beside the buffers ExLlamaV2's own device map reserves (rotary tables, the hidden state and
// mask of one forward pass, the largest module's scratch, the attention workspace) and the
// runtime. The KV cache is exact for their cache types (ExLlamaV3's in whole 256-token pages);
// the buffers follow ExLlamaV2's sizing formulas at its defaults (a 2048-token forward pass), and
// ExLlamaV3, which measures a 2048-token forward pass per module while it loads, is given the
// same plus the 0.5 GiB it reserves on every GPU by default. The whole is an estimate: PyTorch's
// allocator is not modelled.

#include <cstdint>
#include <string>
#include <vector>

#include "planner/execution_plan.h"
#include "planner/hardware_spec.h"
#include "planner/memory.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

struct ExllamaOptions {
  int64_t max_input_len = 2048;              ///< tokens of one forward pass (its default)
  int64_t max_attention_size = 2048 * 2048;  ///< its default attention workspace
  double max_dequantized_elements = 512.0 * 1024 * 1024;  ///< max_dq_size: 512 Mi elements
  /// Tensor parallel (its load_tp) over every GPU instead of the automatic layer split: each GPU
  /// holds its share of every layer, attention split by KV heads, the FFN and head evenly.
  bool tensor_parallel = false;
  /// 2: ExLlamaV2; 3: ExLlamaV3 (its cache in pages of page_tokens, reserve_bytes kept free on
  /// every GPU by its loader: model.load's reserve_per_device default of 0.5 GiB)
  int version = 2;
  int64_t page_tokens = 1;
  double reserve_bytes = 0;
};

/// One GPU under ExLlamaV2.
struct ExllamaDevice {
  int64_t gpu = 0;
  int64_t layers = 0;        ///< decoder layers placed here (a share of every one in TP)
  int64_t kv_heads = 0;      ///< KV heads of each layer here
  bool output = false;       ///< the output head is here (the last GPU used; a share in TP)
  double weights_bytes = 0;  ///< its layers' (and the head's) weights
  double kv_bytes = 0;       ///< its layers' KV cache
  /// rotary, hidden state, mask, scratch, workspace, cache staging (and ExLlamaV3's reserve)
  double buffers_bytes = 0;
  double runtime_bytes = 0;   ///< CUDA context and libraries (the profile's runtime overhead)
  double capacity_bytes = 0;  ///< the GPU's memory less the driver's reserve
  double total_bytes() const { return weights_bytes + kv_bytes + buffers_bytes + runtime_bytes; }
  bool operator==(const ExllamaDevice&) const = default;
};

struct ExllamaMemory {
  std::string engine = "ExLlamaV2";  ///< ExLlamaV2 or ExLlamaV3
  std::string cache_mode;            ///< FP16, Q8, Q6 or Q4 (ExLlamaV2's cache classes; V3 also Q5)
  bool tensor_parallel = false;
  double kv_bytes_per_token = 0;       ///< over all layers and GPUs, one sequence
  std::vector<ExllamaDevice> devices;  ///< GPUs used, in order
  int64_t layers_placed = 0;           ///< layers placed whole (the layer split)
  /// What it needs in GPU memory in all: every layer's weights and cache, the head, and the
  /// buffers and runtime of each GPU it uses (at least one).
  double need_bytes = 0;
  double host_bytes = 0;  ///< the embedding, which it keeps in host RAM
  bool fits = false;
  std::string reason;  ///< the one-line summary, or what does not fit
  bool operator==(const ExllamaMemory&) const = default;
};

/// Whether `engine` is exllamav2 or exllamav3 (the engines this memory model describes).
bool is_exllama(const std::string& engine);

/// "ExLlamaV2" or "ExLlamaV3", as its options say.
const char* exllama_name(const ExllamaOptions& options);

/// The options of `engine` (exllamav2 or exllamav3) for a --split: tensor parallel for row or
/// tensor, its automatic layer split otherwise.
ExllamaOptions exllama_options(SplitMode split, const std::string& engine = "exllamav2");

/// The cache mode for a --kv-type: F16/BF16/F32 -> FP16, Q8_0 -> Q8, Q5_x -> Q6 (ExLlamaV2's
/// nearest) or Q5 (ExLlamaV3 takes 2-8 bits), other 4-bit types -> Q4; and the bytes per element:
/// 2, or the bits plus an FP16 scale per 32 (both engines' quantized caches).
std::string exllama_cache_mode(const KvCacheType& kv, int version = 2);
double exllama_cache_element_bytes(const std::string& cache_mode);

/// "" where exllama_memory models the engine's memory for this model and machine; otherwise why
/// not, for an engine that runs it all the same (ExLlamaV3's MLA and recurrent layers, and its
/// tensor parallel where ExLlamaV2's would refuse): callers then keep llama.cpp's plan and say so.
std::string exllama_not_modelled(const ModelSpec& model, const HardwareSpec& hardware,
                                 const ExllamaOptions& options);

/// ExLlamaV2 or V3 on `hardware` (discrete CUDA or ROCm GPUs): Error{kInput} for other machines,
/// for models ExLlamaV2 does not run (MLA or linear-attention layers), in its tensor parallel for
/// sliding-window layers (its TP attention has no window) or fewer KV heads than GPUs, and for
/// ExLlamaV3 wherever exllama_not_modelled says so.
ExllamaMemory exllama_memory(const ModelSpec& model, const WeightInventory& weights,
                             const HardwareSpec& hardware, const Workload& workload,
                             const ExllamaOptions& options = {});

/// The longest context (per sequence, in 256-token steps, up to the model's maximum) at which
/// the engine still holds the model on `hardware`; 0 when not even 256 tokens fit.
int64_t exllama_max_context(const ModelSpec& model, const WeightInventory& weights,
                            const HardwareSpec& hardware, Workload workload,
                            const ExllamaOptions& options = {});

}  // namespace hwplan::planner
