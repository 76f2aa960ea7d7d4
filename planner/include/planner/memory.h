#pragma once
// KV cache and buffer sizes (DESIGN.md "Memory to fit").

#include <cstdint>

#include "planner/model_spec.h"
#include "planner/quant_spec.h"

namespace hwplan::planner {

/// What is being run: context length per sequence, parallel sequences, KV cache type.
struct Workload {
  int64_t context_tokens = 4096;
  int64_t batch = 1;  ///< parallel sequences, each with its own KV cache
  KvCacheType kv_cache{"F16", 2.0};
  int64_t ubatch_tokens = 512;  ///< llama.cpp's physical batch (-ub), sizes compute buffers
  bool flash_attention = true;  ///< llama.cpp -fa: no score matrix in memory
  bool operator==(const Workload&) const = default;
};

/// Throws Error{kInput} for a context <= 0 or beyond the model's maximum, a batch < 1, ...
void validate_workload(const ModelSpec& model, const Workload& workload);

/// KV bytes one token adds to one full-attention layer: 2 x kv_heads x head_dim x bytes (GQA),
/// (kv_lora_rank + rope_dim) x bytes (MLA).
double kv_bytes_per_token_per_layer(const ModelSpec& model, const KvCacheType& kv);

/// KV cache (or recurrent state) bytes of one layer for the whole workload: full attention holds
/// every token of the padded context; sliding layers hold min(context, window + ubatch) tokens,
/// padded, as llama.cpp's SWA cache does; linear-attention layers hold a constant F32 state (conv
/// + delta-rule state) per sequence.
double kv_cache_bytes_for_layer(const ModelSpec& model, const Workload& workload, int64_t layer);

/// KV bytes one more token adds to one sequence, over every attention layer (full or sliding);
/// linear-attention layers keep a constant state instead.
double kv_bytes_per_token(const ModelSpec& model, const KvCacheType& kv);

/// llama.cpp rounds the context of each sequence up to a multiple of this many tokens.
inline constexpr int64_t kContextPad = 256;

/// The cache cells llama.cpp allocates for one sequence of `context_tokens`.
int64_t padded_context(int64_t context_tokens);

/// Sum of kv_cache_bytes_for_layer over all layers.
double kv_cache_bytes(const ModelSpec& model, const Workload& workload);

/// llama.cpp's compute (graph) buffer of one device: F32 values of one ubatch at the graph
/// allocator's peak, the largest of three phases per token:
/// - output: logits + 2 hidden-wide + the row ids;
/// - feed-forward: 3 FFN-wide + 4 hidden-wide + the attention mask over the cached cells (F16
///   with flash attention; F32 and one KV-wide view more without); a mixture of experts is as wide
///   as the routed experts of a token or its shared expert, whichever is wider;
/// - attention: latent attention (MLA) holds heads x (latent + RoPE) + 2 x heads x latent + mask;
///   without flash attention every model also holds the scores (heads x cached cells), GQA with
///   5 hidden-wide + 2 KV-wide beside them.
/// Checked against llama.cpp's own count by scripts/llama_conformance.sh (CPU: dense GQA/MHA,
/// MoE with and without a shared expert, sliding window, MLA).
double compute_buffer_bytes(const ModelSpec& model, const Workload& workload);

}  // namespace hwplan::planner
