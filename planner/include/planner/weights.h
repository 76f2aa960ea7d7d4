#pragma once
// Where a model's weight bytes are: per layer and tensor class (DESIGN.md "Quantization").
// From a mix (effective bits per weight per class) or, exactly, from a GGUF tensor table.

#include <cstdint>
#include <string>
#include <vector>

#include "planner/model_spec.h"
#include "planner/quant_spec.h"

namespace hwplan::planner {

/// What a group of tensors does; decides where llama.cpp places it and whether every token reads
/// it.
enum class TensorClass {
  kEmbedding,      ///< token_embd: stays in host memory in llama.cpp, one row read per token
  kOutput,         ///< output projection (and final norm)
  kAttention,      ///< Q, K, V, O (or MLA projections)
  kRecurrent,      ///< linear-attention / SSM mixer weights
  kFfn,            ///< dense FFN
  kExperts,        ///< routed experts: only n_experts_per_token of n_experts read per token
  kSharedExperts,  ///< shared experts: read every token
  kRouter,         ///< expert gate
  kNorm,           ///< norm weights, biases
};

/// One group of tensors. `layer` is -1 for the embedding and n_layers for the output.
struct TensorGroup {
  std::string name;
  int64_t layer = -1;
  TensorClass cls = TensorClass::kAttention;
  double n_params = 0;
  double bytes = 0;
  std::string type;  ///< ggml type or mix name
  bool operator==(const TensorGroup&) const = default;
};

/// All weight groups of one model at one quantization.
struct WeightInventory {
  std::vector<TensorGroup> groups;
  bool exact = false;  ///< true when taken from a GGUF tensor table
  bool operator==(const WeightInventory&) const = default;
};

/// Parameter counts per class for one layer, before quantization.
struct LayerParams {
  double attention = 0;
  double recurrent = 0;
  double ffn = 0;
  double experts = 0;
  double shared_experts = 0;
  double router = 0;
  double norm = 0;
};

/// Parameters of layer `layer` by class (formulas in weights.cpp, per architecture).
LayerParams layer_params(const ModelSpec& model, int64_t layer);

/// Builds the inventory of a model at a mix: repeating matrices at weights_bpw, embedding and
/// output at their own bpw (a tied embedding takes the output's type, as llama-quantize does),
/// norms and routers in F32.
WeightInventory build_inventory(const ModelSpec& model, const QuantSpec& quant);

/// Sum of bytes over all groups.
double total_weight_bytes(const WeightInventory& inventory);

/// Whether weights stored at `bits_per_weight` are quantized (below 12: F16/BF16/F32 are 16+).
bool quantized_bits(double bits_per_weight);
/// Whether a group's weights are quantized: its ggml type says so; a format without one (MLX,
/// GPTQ, ...) by its bits per weight.
bool is_quantized(const TensorGroup& group);
/// Sum of parameters over all groups.
double total_params(const WeightInventory& inventory);
/// Bytes of groups in one layer (-1: embedding, n_layers: output), optionally one class only.
double layer_weight_bytes(const WeightInventory& inventory, int64_t layer);
double class_weight_bytes(const WeightInventory& inventory, TensorClass cls, int64_t layer);
/// Parameters read per token: routed experts scaled by n_experts_per_token / n_experts, the
/// embedding counted as one row.
double active_params(const ModelSpec& model, const WeightInventory& inventory);

const char* tensor_class_name(TensorClass cls);

}  // namespace hwplan::planner
