#pragma once
// Quantizations as the planner sees them: bits per weight per tensor class (DESIGN.md).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/ggml_types.h"

namespace hwplan::planner {

/// Which layers a tensor-type rule applies to (llama.cpp's llama_tensor_get_type selectors; i is
/// the tensor's index among the tensors its rule names, n their count).
enum class LayerSelector {
  kAll,
  kMoreBits,        ///< use_more_bits: i < n/8, i >= 7n/8, or (i - n/8) % 3 == 2
  kFirstEighth,     ///< i < n/8
  kFirstSixteenth,  ///< i < n/16
  kFirstTwo,        ///< i < 2
  kFirstFour,       ///< i < 4
};

/// When a rule applies, by the model's shape.
enum class RuleCondition {
  kAlways,
  kGqaAtLeast4,      ///< attention heads / KV heads >= 4
  kExperts8,         ///< exactly 8 routed experts (Mixtral)
  kExpertsAtLeast4,  ///< 4 or more routed experts
  kLlama70b,         ///< llama.cpp's LLM_TYPE_70B: a Llama with 80 layers and grouped KV heads
};

/// One line of a mix: tensors whose llama.cpp name contains `tensor` (or, with `cls`, every tensor
/// of that class) get `type` in the selected layers. The first rule that matches decides.
struct TensorTypeRule {
  std::string tensor;  ///< substring of the name, e.g. "attn_v.weight", "ffn_down"
  std::string cls;     ///< or a class: "experts" (routed expert matrices)
  std::string type;    ///< ggml type name
  double bpw = 0;      ///< bits per weight of `type`
  LayerSelector layers = LayerSelector::kAll;
  RuleCondition when = RuleCondition::kAlways;
  bool operator==(const TensorTypeRule&) const = default;
};

/// A file mix or format: effective bits per weight of the repeating-layer matrices, and of the
/// token embedding and output matrices as the mix keeps them.
struct QuantSpec {
  std::string id;      ///< "q4_k_m"
  std::string name;    ///< "Q4_K_M"
  std::string family;  ///< gguf, mlx, gptq, awq, fp8, fp4, exl2
  double weights_bpw = 0;
  double embedding_bpw = 0;
  double output_bpw = 0;
  std::string embedding_type;  ///< ggml type name when known ("Q4_K"), else ""
  std::string output_type;
  std::string weights_type;  ///< the matrices' ggml type when the mix names one
  /// Per-tensor exceptions to weights_type, in order (llama-quantize's rules for the mix); empty
  /// when the mix is one bpw throughout.
  std::vector<TensorTypeRule> tensor_types;
  int64_t quality_rank = 0;  ///< larger is closer to the original weights
  std::string source;
  /// The converter's options that make this format from a published checkpoint (MLX:
  /// `mlx_lm.convert` flags); "" where hwplan names no converter.
  std::string convert_args;
  /// The llama.cpp GGUF mix of the same checkpoint (gpt-oss's "mxfp4" -> "mxfp4_moe"); "" where
  /// none is named.
  std::string gguf_counterpart;
  bool operator==(const QuantSpec&) const = default;
};

/// Bytes per element of a KV cache type (ggml block bytes / block elements).
struct KvCacheType {
  std::string name;  ///< "F16", "Q8_0", ...
  double bytes_per_element = 0;
  bool operator==(const KvCacheType&) const = default;
};

/// Everything profiles/quants.json holds.
struct QuantCatalog {
  std::vector<QuantSpec> mixes;
  std::vector<KvCacheType> kv_cache_types;
};

/// Parses quants.json; checks its gguf_types table against the compiled one (common/ggml_types.h)
/// and every mix. Throws Error{kInput} naming `origin` and the JSON pointer.
QuantCatalog quant_catalog_from_json(const nlohmann::json& root, const std::string& origin);

/// Finds a mix by id or name, case-insensitive; throws Error{kInput} with suggestions.
const QuantSpec& find_quant(const QuantCatalog& catalog, const std::string& name);

/// Finds a KV cache type ("f16", "q8_0"), case-insensitive; throws Error{kInput} with suggestions.
KvCacheType find_kv_cache_type(const QuantCatalog& catalog, const std::string& name);

/// Whether a cache type is quantized: any part of its name ("Q8_0", or "K/V" for mixed types such
/// as "Q8_0/F16") other than F16, BF16 or F32.
bool quantized_cache(const KvCacheType& kv);

}  // namespace hwplan::planner
