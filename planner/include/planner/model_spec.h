#pragma once
// The shape of a model (DESIGN.md "The planning model"): what decides its weight bytes, KV cache
// and FLOPs. Built from a Hugging Face config.json (here) or from GGUF metadata (cli).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hwplan::planner {

/// How a layer attends; decides its KV cache.
enum class LayerKind {
  kFullAttention,     ///< KV grows with the whole context
  kSlidingAttention,  ///< KV capped at the sliding window
  kLinearAttention,   ///< recurrent (e.g. Gated DeltaNet): constant state, no KV per token
};

/// Attention variant of the attention layers.
enum class AttentionKind {
  kGqa,  ///< multi-head / grouped-query attention (K and V per KV head)
  kMla,  ///< multi-head latent attention (DeepSeek): one compressed latent per token
};

/// Mixture-of-experts shape; n_experts == 0 for a dense model.
struct MoeSpec {
  int64_t n_experts = 0;            ///< routed experts per MoE layer
  int64_t n_experts_per_token = 0;  ///< routed experts used per token
  int64_t expert_ffn_size = 0;      ///< FFN width of one routed expert
  int64_t shared_ffn_size = 0;      ///< total FFN width of the shared expert(s), 0 if none
  int64_t n_dense_layers = 0;       ///< leading layers with a dense FFN (DeepSeek first_k_dense)
  bool operator==(const MoeSpec&) const = default;
};

/// Multi-head latent attention shape (DeepSeek V2/V3, Kimi K2).
struct MlaSpec {
  int64_t kv_lora_rank = 0;
  int64_t q_lora_rank = 0;  ///< 0: queries projected directly
  int64_t rope_head_dim = 0;
  int64_t nope_head_dim = 0;
  int64_t v_head_dim = 0;
  bool operator==(const MlaSpec&) const = default;
};

/// Linear-attention (Gated DeltaNet) shape of recurrent layers (Qwen3-Next).
struct LinearAttentionSpec {
  int64_t n_key_heads = 0;
  int64_t n_value_heads = 0;
  int64_t key_head_dim = 0;
  int64_t value_head_dim = 0;
  int64_t conv_kernel = 0;
  bool operator==(const LinearAttentionSpec&) const = default;
};

/// A model's architecture, as far as memory and speed depend on it.
struct ModelSpec {
  std::string id;            ///< bundled id or file name
  std::string name;          ///< display name
  std::string architecture;  ///< HF model_type or GGUF general.architecture
  int64_t n_layers = 0;
  int64_t hidden_size = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn_size = 0;  ///< dense FFN width (SwiGLU: gate, up, down)
  int64_t vocab_size = 0;
  int64_t max_context = 0;  ///< max_position_embeddings
  bool tied_embeddings = false;
  bool qkv_bias = false;               ///< biases on Q, K, V (Qwen2)
  bool attention_out_bias = false;     ///< bias on the output projection too (gpt-oss)
  bool attention_output_gate = false;  ///< query projection doubled for a gate (Qwen3-Next)
  AttentionKind attention = AttentionKind::kGqa;
  int64_t sliding_window = 0;          ///< tokens; 0 when no layer slides
  std::vector<LayerKind> layer_kinds;  ///< one per layer
  MoeSpec moe;
  MlaSpec mla;
  LinearAttentionSpec linear;
  bool operator==(const ModelSpec&) const = default;
};

/// True when the model has routed experts.
bool is_moe(const ModelSpec& model);
/// True when layer `layer` has an MoE FFN (false for DeepSeek's leading dense layers).
bool is_moe_layer(const ModelSpec& model, int64_t layer);

/// Builds a ModelSpec from config.json content. `origin` names the file in errors; id and name are
/// left to the caller. Throws Error{kInput} for missing or impossible fields, naming the pointer.
ModelSpec model_from_hf_config(const nlohmann::json& config, const std::string& origin);

/// Checks the invariants every ModelSpec must satisfy (positive sizes, heads divisible by KV
/// heads, one layer kind per layer, ...); throws Error{kInput} naming `origin` and the field.
void validate_model(const ModelSpec& model, const std::string& origin);

}  // namespace hwplan::planner
