#include "planner/memory.h"

#include <algorithm>

#include "common/error.h"

namespace hwplan::planner {
namespace {

double d(int64_t value) { return static_cast<double>(value); }
constexpr double kF32Bytes = 4.0;

// Gated DeltaNet state per sequence and layer, kept in F32 by llama.cpp: the causal-conv window
// (kernel - 1 past inputs of the q, k, v channels) and the delta-rule matrix (dk x dv per head).
double recurrent_state_bytes(const ModelSpec& m) {
  const auto& l = m.linear;
  const double channels =
      2.0 * d(l.n_key_heads * l.key_head_dim) + d(l.n_value_heads * l.value_head_dim);
  const double conv = d(l.conv_kernel - 1) * channels;
  const double state = d(l.n_value_heads) * d(l.key_head_dim) * d(l.value_head_dim);
  return (conv + state) * kF32Bytes;
}

}  // namespace

void validate_workload(const ModelSpec& model, const Workload& w) {
  if (w.context_tokens <= 0) {
    throw_input("--ctx: context must be > 0 tokens, got {}", w.context_tokens);
  }
  if (w.context_tokens > model.max_context) {
    throw_input("--ctx: context of {} tokens exceeds {}'s maximum of {} (max_position_embeddings)",
                w.context_tokens, model.name.empty() ? model.id : model.name, model.max_context);
  }
  if (w.batch <= 0) throw_input("--batch: must be >= 1 sequence, got {}", w.batch);
  if (w.ubatch_tokens <= 0) throw_input("--ubatch: must be >= 1 token, got {}", w.ubatch_tokens);
  if (w.kv_cache.bytes_per_element <= 0) throw_input("--kv-type: unknown KV cache type");
}

double kv_bytes_per_token_per_layer(const ModelSpec& m, const KvCacheType& kv) {
  if (m.attention == AttentionKind::kMla) {
    // The compressed latent and the shared RoPE key are all that is cached (DeepSeek-V2
    // paper, 2.1).
    return d(m.mla.kv_lora_rank + m.mla.rope_head_dim) * kv.bytes_per_element;
  }
  return 2.0 * d(m.n_kv_heads) * d(m.head_dim) * kv.bytes_per_element;
}

double kv_bytes_per_token(const ModelSpec& m, const KvCacheType& kv) {
  double sum = 0;
  for (const auto kind : m.layer_kinds) {
    if (kind != LayerKind::kLinearAttention) sum += kv_bytes_per_token_per_layer(m, kv);
  }
  return sum;
}

int64_t padded_context(int64_t context_tokens) {
  return (context_tokens + kContextPad - 1) / kContextPad * kContextPad;
}

double kv_cache_bytes_for_layer(const ModelSpec& m, const Workload& w, int64_t layer) {
  const auto kind = m.layer_kinds[static_cast<size_t>(layer)];
  const double sequences = d(w.batch);
  switch (kind) {
    case LayerKind::kLinearAttention:
      return recurrent_state_bytes(m) * sequences;
    case LayerKind::kSlidingAttention: {
      // llama.cpp's SWA cache: the window plus one ubatch, padded like the full cache.
      const int64_t tokens = padded_context(
          std::min(padded_context(w.context_tokens), m.sliding_window + w.ubatch_tokens));
      return d(tokens) * kv_bytes_per_token_per_layer(m, w.kv_cache) * sequences;
    }
    case LayerKind::kFullAttention:
      break;
  }
  return d(padded_context(w.context_tokens)) * kv_bytes_per_token_per_layer(m, w.kv_cache) *
         sequences;
}

double kv_cache_bytes(const ModelSpec& m, const Workload& w) {
  double sum = 0;
  for (int64_t layer = 0; layer < m.n_layers; ++layer) sum += kv_cache_bytes_for_layer(m, w, layer);
  return sum;
}

double compute_buffer_bytes(const ModelSpec& m, const Workload& w) {
  // The routed experts' intermediates of a token and the shared expert's are not live at once.
  const double ffn_width =
      is_moe(m)
          ? std::max(d(m.moe.n_experts_per_token * m.moe.expert_ffn_size), d(m.moe.shared_ffn_size))
          : d(m.ffn_size);
  const double hidden = d(m.hidden_size);
  const double kv_width = d(m.n_kv_heads * m.head_dim);
  const double n_kv = d(padded_context(w.context_tokens) * w.batch);
  // The attention mask covers every cached token: F16 with flash attention, F32 without.
  const double mask = w.flash_attention ? n_kv / 2 : n_kv;
  // F32 values per token live at the graph allocator's peak, the largest of three phases.
  const double output = d(m.vocab_size) + 2 * hidden + 1;  // logits, final norm in and out, ids
  const double feed_forward =
      3 * ffn_width + 4 * hidden + mask + (w.flash_attention ? 0 : kv_width);
  // The attention phase. Latent attention (MLA, llama.cpp's absorbed form) always holds the
  // queries in latent space (heads x (latent + RoPE)), the absorbed query and the latent output
  // (2 x heads x latent) beside the mask; GQA peaks here only without flash attention, where the
  // scores (heads x cached tokens) are held.
  const double heads = d(m.n_heads);
  const double scores = w.flash_attention ? 0 : heads * n_kv;
  double attention = 0;
  if (m.attention == AttentionKind::kMla) {
    const double latent = d(m.mla.kv_lora_rank);
    attention = heads * (latent + d(m.mla.rope_head_dim)) + 2 * heads * latent + mask + scores;
  } else if (!w.flash_attention) {
    attention = scores + mask + 5 * hidden + 2 * kv_width;
  }
  const double tokens = d(std::min(w.ubatch_tokens, w.context_tokens * w.batch));
  return kF32Bytes * tokens * std::max({output, feed_forward, attention});
}

}  // namespace hwplan::planner
