#pragma once
// Synthetic Llama models: any shape, seeded random weights (matrices N(0, 0.02), norm weights
// 1 + N(0, 0.01), as the tiny-a fixtures), in any weight format or llama.cpp-style mix, built in
// memory (NUMA-local when built on a pinned pool) and written as GGUF on request.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/llama.h"

namespace hwplan::kernels {

class ThreadPool;

/// What format each tensor gets: one format for every matrix, or a llama.cpp mix.
enum class SynthMix { kF32, kF16, kBF16, kQ8_0, kQ4_0, kQ4K, kQ4KM, kQ6K };

/// Parses "f16", "q4_k_m", ... (case-insensitive); nullopt when unknown.
std::optional<SynthMix> synth_mix_from_name(std::string_view name);
/// The names synth_mix_from_name accepts.
std::vector<std::string> synth_mix_names();
/// The canonical name of a mix ("q4_k_m").
std::string_view synth_mix_name(SynthMix mix);

/// The format of one tensor in a mix: `role` is the GGUF name without "blk.N." ("attn_v.weight",
/// "output.weight", ...), `layer` its block (or -1), `cols` its row length. Follows llama.cpp's
/// default choices (llama-quantize): the output matrix in Q6_K for the 4-bit mixes, Q4_K_M's
/// attn_v / ffn_down in Q6_K on the layers its use_more_bits rule picks; a K-quant whose block does
/// not divide the row falls back to Q8_0 (then F16).
WeightFormat synth_tensor_format(SynthMix mix, std::string_view role, int64_t layer,
                                 int64_t n_layer, int64_t cols);

/// A synthetic model: its weights and the tensors backing them, in GGUF order.
struct SynthModel {
  LlamaWeights weights;
  std::string name;
  SynthMix mix = SynthMix::kF16;
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;  ///< ggml order
    WeightFormat format;
    const uint8_t* data;
    int64_t bytes;
  };
  std::vector<Tensor> tensors;
};

/// Builds a model of `shape` (n_vocab rows of embedding; tied when `tied`) with weights drawn
/// from `seed`: the same seed, shape and mix give the same bytes whatever the thread count.
/// Each row is generated and first touched by the pool member that computes it.
SynthModel synth_llama(const LlamaShape& shape, bool tied, SynthMix mix, uint64_t seed,
                       ThreadPool& pool, const std::string& name = "synthetic");

/// Writes the model as a GGUF file llama.cpp can load (with a placeholder SentencePiece-style
/// vocabulary of n_vocab tokens). Throws Error{kResource} when the file cannot be written.
/// With `shards` > 1, writes llama.cpp's split layout instead: for path "X.gguf" the files
/// X-00001-of-0000N.gguf ..., tensors in order and about evenly by count, the model's metadata in
/// the first, split.no / split.count / split.tensors.count in each (as gguf-split writes them).
/// Returns the paths written. Error{kInput} for shards beyond the tensor count or a path without
/// ".gguf".
std::vector<std::string> write_synth_gguf(const SynthModel& model, const std::string& path,
                                          int64_t shards = 1);

/// The shape of a mixture-of-experts file for llama.cpp: every layer routes each token to
/// `n_expert_used` of `n_expert` experts of width `expert_ff`; `shared_ff` > 0 adds one shared
/// expert (with its gate) to every layer.
struct MoeShape {
  LlamaShape base;  ///< attention, vocabulary and layer count (base.n_ff is not used)
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t expert_ff = 0;
  int64_t shared_ff = 0;
};

/// The plain weight format of a mix (its type for every matrix without exceptions).
WeightFormat synth_base_format(SynthMix mix);

/// Writes a GGUF file of `shape` that llama.cpp loads, every weight zero: matrices in `format`,
/// norms and routers in F32, an untied output. Architecture "llama" (llama.cpp's Mixtral layout)
/// without a shared expert, "qwen2moe" with one. Nothing here can run it: it is for counting
/// memory (scripts/llama_conformance.sh). Returns the bytes of its tensors.
double write_moe_layout_gguf(const MoeShape& shape, WeightFormat format, const std::string& name,
                             const std::string& path);

/// Writes a zero-weight GGUF file in llama.cpp's Gemma 3 layout (tied embedding, q/k norms,
/// post-attention and post-FFN norms; every 6th layer full attention, the others sliding over
/// `sliding_window` tokens), for counting memory like write_moe_layout_gguf. Returns the bytes of
/// its tensors.
double write_gemma3_layout_gguf(const LlamaShape& shape, int64_t sliding_window,
                                WeightFormat format, const std::string& name,
                                const std::string& path);

/// A DeepSeek-V2/V3-style model: multi-head latent attention (queries through a rank
/// `q_lora_rank` bottleneck, keys and values from one `kv_lora_rank` latent plus a shared RoPE key)
/// and a mixture of experts with `n_shared` shared experts after `n_dense_lead` dense layers.
struct MlaShape {
  LlamaShape base;  ///< hidden size, heads, layers, vocabulary, dense FFN width (base.n_ff)
  int64_t q_lora_rank = 0;
  int64_t kv_lora_rank = 0;
  int64_t rope_dim = 0;
  int64_t nope_dim = 0;
  int64_t v_dim = 0;
  int64_t n_dense_lead = 0;
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t expert_ff = 0;
  int64_t n_shared = 0;
};

/// Writes a zero-weight GGUF file in llama.cpp's deepseek2 layout with MLA metadata as its
/// converter writes it today (one KV head of kv_lora_rank + rope_dim, per-head K/V
/// decompression split into attn_k_b and attn_v_b), for counting memory. Returns the bytes of
/// its tensors.
double write_deepseek2_layout_gguf(const MlaShape& shape, WeightFormat format,
                                   const std::string& name, const std::string& path);

}  // namespace hwplan::kernels
