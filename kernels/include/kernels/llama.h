#pragma once
// A Llama-architecture model for the reference kernel: its shape, its weights as views into
// memory someone else owns (a GGUF mapping, a synthetic model, a NUMA-local copy), and what one
// decode step costs.

#include <cstdint>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kernels/matvec.h"

namespace hwplan::formats {
class GgufFile;
}  // namespace hwplan::formats

namespace hwplan::kernels {

/// Hyperparameters of a Llama-architecture decoder.
struct LlamaShape {
  int64_t n_layer = 0;
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t n_ff = 0;
  int64_t n_vocab = 0;
  int64_t rope_dim = 0;  ///< dimensions of each head that RoPE rotates
  double rope_freq_base = 10000.0;
  double rms_norm_eps = 1e-5;
  int64_t context_length = 0;  ///< trained context (metadata only)
  bool operator==(const LlamaShape&) const = default;
};

/// One decoder layer's weights.
struct LlamaLayer {
  std::span<const float> attn_norm;
  std::span<const float> ffn_norm;
  MatrixView wq, wk, wv, wo, gate, up, down;
};

/// A model's weights. Views stay valid while `storage` (shared) lives.
struct LlamaWeights {
  LlamaShape shape;
  MatrixView token_embd;  ///< n_vocab rows of n_embd
  std::span<const float> output_norm;
  MatrixView output;  ///< n_vocab rows; the same memory as token_embd when tied
  bool tied_embeddings = false;
  std::span<const float> rope_freq_factors;  ///< empty, or rope_dim / 2 divisors of each frequency
  std::vector<LlamaLayer> layers;
  std::shared_ptr<const void> storage;
};

/// What one kernel invocation costs (STYLE.md: kernels declare their cost).
struct KernelCost {
  double flop = 0.0;
  double bytes_read = 0.0;
  double bytes_written = 0.0;
};

/// Cost of decoding one token that attends `n_attended` cached positions (its own included):
/// every matrix read once (the embedding only one row unless it is also the output), the K/V
/// cache (binary16) read for the attended positions and written for the new one.
KernelCost llama_decode_cost(const LlamaWeights& weights, int64_t n_attended);

/// Bytes of every weight matrix and norm vector (the model's resident size).
int64_t llama_weight_bytes(const LlamaWeights& weights);

/// The formats of every matrix of a model (embedding, output and each layer's seven).
std::set<WeightFormat> weight_formats(const LlamaWeights& weights);

/// Reads a Llama model from a parsed GGUF file: metadata `llama.*`, tensors `token_embd`,
/// `blk.N.{attn_norm,attn_q,attn_k,attn_v,attn_output,ffn_norm,ffn_gate,ffn_up,ffn_down}`,
/// `output_norm` and optional `output` (absent: tied to the embedding) and `rope_freqs`.
/// The weights view the file's mapping, which they keep alive. Throws Error{kInput} for a missing
/// or misshapen tensor or key, Error{kUnsupported} for another architecture or a tensor format
/// the kernels do not implement, naming the file and tensor.
LlamaWeights llama_from_gguf(const formats::GgufFile& file);

class ThreadPool;

/// A copy of the weights in fresh memory, each matrix row first touched by the pool member that
/// computes it in the kernels' row split (so with pinned threads the pages are NUMA-local).
LlamaWeights localize(const LlamaWeights& weights, ThreadPool& pool);

/// The row split the decode kernel uses for every matrix (rows per unit of work).
inline constexpr int64_t kRowGrain = 16;

}  // namespace hwplan::kernels
