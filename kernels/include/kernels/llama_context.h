#pragma once
// The reference decode step of a Llama model: embedding lookup, RMSNorm, Q/K/V projections, RoPE,
// grouped-query attention over a binary16 KV cache, output projection, SwiGLU FFN, final norm and
// logits. A prompt is processed as one batch (each weight row read once for all its tokens).

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/activation.h"
#include "kernels/llama.h"

namespace hwplan::kernels {

class ThreadPool;

/// One sequence's state: KV cache and position. Not thread-safe; the pool does the parallelism.
class LlamaContext {
 public:
  /// A context of `n_ctx` positions over `weights` (which must outlive it), computing on `pool`
  /// with the dot products of `isa`. Throws Error{kResource} when the cache does not fit in memory.
  LlamaContext(const LlamaWeights& weights, ThreadPool& pool, int64_t n_ctx, Isa isa);

  /// Appends `tokens` at the next positions (one batch) and returns the logits after the last.
  /// Throws Error{kInput} for a token id outside the vocabulary or when the context is full.
  std::span<const float> eval(std::span<const int32_t> tokens);
  /// eval() of one token.
  std::span<const float> decode(int32_t token) { return eval(std::span<const int32_t>(&token, 1)); }

  /// Positions filled so far.
  int64_t position() const { return position_; }
  int64_t n_ctx() const { return n_ctx_; }
  /// Forgets the sequence (the cache is overwritten from position 0).
  void reset() { position_ = 0; }
  /// Fills positions [position(), n) with seeded random keys and values, as if a prompt of that
  /// length had been read: decode then does the work of that context depth.
  void fill_cache_synthetic(int64_t n, uint64_t seed);

 private:
  void embed(std::span<const int32_t> tokens);
  void attention_block(const LlamaLayer& layer, int64_t layer_index, int64_t n_tokens);
  void ffn_block(const LlamaLayer& layer, int64_t n_tokens);
  void attend(int64_t layer_index, int64_t token, int64_t head, float* scores);
  void rope(float* vec, int64_t n_heads, int64_t pos) const;
  void project(const MatrixView& w, std::span<const PreparedInput> in, std::vector<float>& out,
               int64_t n_tokens);
  void prepare(const std::vector<float>& rows, int64_t width, int64_t n_tokens);

  const LlamaWeights& w_;
  ThreadPool& pool_;
  Isa isa_;
  int64_t n_ctx_;
  int64_t position_ = 0;
  std::vector<double> inv_freq_;
  std::vector<std::vector<uint16_t>> k_cache_, v_cache_;  // per layer: n_ctx x kv_dim binary16
  // Scratch, n_tokens rows each.
  std::vector<float> x_, h_, q_, k_, v_, attn_, ff_gate_, ff_up_, proj_;
  std::vector<PreparedInput> inputs_;
  std::vector<float*> outputs_;             // project()'s per-token output pointers (reused)
  std::vector<std::vector<float>> scores_;  // per pool member
  std::vector<float> logits_;
};

/// The index of the largest value, the lowest index on ties.
int32_t argmax(std::span<const float> values);

}  // namespace hwplan::kernels
