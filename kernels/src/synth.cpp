// Synthetic models. Randomness: one splitmix64 stream per (seed, tensor, row), so rows can be
// generated in parallel by whichever thread owns them and still give the same bytes; normal
// deviates come from the Irwin-Hall sum of four 16-bit uniforms (mean 2, variance 1/3, rescaled),
// which is plenty for weights that only need the right scale and no structure.
#include "kernels/synth.h"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "aligned_blocks.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/text_util.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "kernels/quantize.h"
#include "kernels/thread_pool.h"

namespace hwplan::kernels {
namespace {

using detail::AlignedBlocks;

struct MixName {
  SynthMix mix;
  std::string_view name;
};
constexpr std::array kMixNames = {
    MixName{SynthMix::kF32, "f32"},     MixName{SynthMix::kF16, "f16"},
    MixName{SynthMix::kBF16, "bf16"},   MixName{SynthMix::kQ8_0, "q8_0"},
    MixName{SynthMix::kQ4_0, "q4_0"},   MixName{SynthMix::kQ4K, "q4_k"},
    MixName{SynthMix::kQ4KM, "q4_k_m"}, MixName{SynthMix::kQ6K, "q6_k"}};

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Fills `out` with N(mean, sigma) deviates from the stream of (seed, tensor, row).
void normal_row(uint64_t seed, uint64_t tensor, uint64_t row, float mean, float sigma, float* out,
                int64_t n) {
  uint64_t state = seed ^ (tensor * 0xd1b54a32d192ed03ULL) ^ (row * 0x8cb92ba72f3d8dd7ULL);
  splitmix64(state);
  constexpr float kUnit = 1.0f / 65536.0f;
  const float scale = sigma * std::sqrt(3.0f);
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t r = splitmix64(state);
    const float sum =
        static_cast<float>((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff) + (r >> 48)) *
        kUnit;
    out[i] = mean + (sum - 2.0f) * scale;
  }
}

/// `v` rounded to float32. Through a volatile: GCC 12 at -O2 dropped a plain double(float(v))
/// (and a bit_cast round trip) from the generated code of synth_llama.
double as_float32(double v) {
  volatile auto narrowed = static_cast<float>(v);
  return narrowed;
}

bool use_more_bits(int64_t layer, int64_t n_layer) {
  // llama-quantize's rule for which layers of a _M mix keep more bits.
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

WeightFormat base_format(SynthMix mix) {
  switch (mix) {
    case SynthMix::kF32:
      return WeightFormat::kF32;
    case SynthMix::kF16:
      return WeightFormat::kF16;
    case SynthMix::kBF16:
      return WeightFormat::kBF16;
    case SynthMix::kQ8_0:
      return WeightFormat::kQ8_0;
    case SynthMix::kQ4_0:
      return WeightFormat::kQ4_0;
    case SynthMix::kQ4K:
    case SynthMix::kQ4KM:
      return WeightFormat::kQ4K;
    case SynthMix::kQ6K:
      return WeightFormat::kQ6K;
  }
  return WeightFormat::kF16;
}

class Builder {
 public:
  Builder(uint64_t seed, SynthMix mix, int64_t n_layer, ThreadPool& pool, SynthModel& model)
      : seed_(seed),
        mix_(mix),
        n_layer_(n_layer),
        pool_(pool),
        model_(model),
        owned_(std::make_shared<AlignedBlocks>()) {}

  MatrixView matrix(const std::string& role, int64_t layer, int64_t cols, int64_t rows) {
    const WeightFormat f = synth_tensor_format(mix_, role, layer, n_layer_, cols);
    const int64_t rb = row_bytes(f, cols);
    uint8_t* data = owned_->allocate(rows * rb, "synthetic weights");
    const uint64_t tensor = model_.tensors.size();
    pool_.parallel_for(rows, kRowGrain, [&](int64_t begin, int64_t end) {
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = begin; r < end; ++r) {
        normal_row(seed_, tensor, static_cast<uint64_t>(r), 0.0f, 0.02f, row.data(), cols);
        quantize_row(f, row.data(), data + r * rb, cols);
      }
    });
    add(role, layer, {cols, rows}, f, data, rows * rb);
    return MatrixView{f, rows, cols, data, rb};
  }

  std::span<const float> norm(const std::string& role, int64_t layer, int64_t n) {
    const int64_t bytes = n * static_cast<int64_t>(sizeof(float));
    auto* data = reinterpret_cast<float*>(owned_->allocate(bytes, "synthetic weights"));
    normal_row(seed_, model_.tensors.size(), 0, 1.0f, 0.01f, data, n);
    add(role, layer, {n}, WeightFormat::kF32, reinterpret_cast<const uint8_t*>(data),
        n * static_cast<int64_t>(sizeof(float)));
    return {data, static_cast<size_t>(n)};
  }

  std::shared_ptr<AlignedBlocks> storage() const { return owned_; }

 private:
  void add(const std::string& role, int64_t layer, std::vector<int64_t> shape, WeightFormat f,
           const uint8_t* data, int64_t bytes) {
    const std::string name = layer < 0 ? role : fmt::format("blk.{}.{}", layer, role);
    model_.tensors.push_back({name, std::move(shape), f, data, bytes});
  }

  uint64_t seed_;
  SynthMix mix_;
  int64_t n_layer_;
  ThreadPool& pool_;
  SynthModel& model_;
  std::shared_ptr<AlignedBlocks> owned_;
};

}  // namespace

std::optional<SynthMix> synth_mix_from_name(std::string_view name) {
  for (const MixName& m : kMixNames) {
    if (m.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), m.name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return m.mix;
    }
  }
  return std::nullopt;
}

std::vector<std::string> synth_mix_names() {
  std::vector<std::string> names;
  names.reserve(kMixNames.size());
  for (const MixName& m : kMixNames) names.emplace_back(m.name);
  return names;
}

std::string_view synth_mix_name(SynthMix mix) {
  for (const MixName& m : kMixNames) {
    if (m.mix == mix) return m.name;
  }
  return "f16";
}

WeightFormat synth_tensor_format(SynthMix mix, std::string_view role, int64_t layer,
                                 int64_t n_layer, int64_t cols) {
  WeightFormat f = base_format(mix);
  const bool four_bit = mix == SynthMix::kQ4_0 || mix == SynthMix::kQ4K || mix == SynthMix::kQ4KM;
  if (role == "output.weight" && four_bit) f = WeightFormat::kQ6K;
  if (mix == SynthMix::kQ4KM && (role == "attn_v.weight" || role == "ffn_down.weight") &&
      use_more_bits(layer, n_layer)) {
    f = WeightFormat::kQ6K;
  }
  if (cols % block_elements(f) != 0) f = cols % 32 == 0 ? WeightFormat::kQ8_0 : WeightFormat::kF16;
  return f;
}

SynthModel synth_llama(const LlamaShape& shape, bool tied, SynthMix mix, uint64_t seed,
                       ThreadPool& pool, const std::string& name) {
  SynthModel model;
  model.name = name;
  model.mix = mix;
  LlamaWeights& w = model.weights;
  w.shape = shape;
  // GGUF stores these as float32: round them now so a written and re-read model is the same.
  w.shape.rms_norm_eps = as_float32(shape.rms_norm_eps);
  w.shape.rope_freq_base = as_float32(shape.rope_freq_base);
  w.tied_embeddings = tied;
  Builder b(seed, mix, shape.n_layer, pool, model);
  // Tied: the one matrix is the output, so it takes the output's format (as llama-quantize does).
  w.token_embd =
      b.matrix(tied ? "output.weight" : "token_embd.weight", -1, shape.n_embd, shape.n_vocab);
  if (tied) model.tensors.back().name = "token_embd.weight";
  w.output_norm = b.norm("output_norm.weight", -1, shape.n_embd);
  w.output = tied ? w.token_embd : b.matrix("output.weight", -1, shape.n_embd, shape.n_vocab);
  const int64_t q_dim = shape.n_head * shape.head_dim;
  const int64_t kv_dim = shape.n_head_kv * shape.head_dim;
  for (int64_t l = 0; l < shape.n_layer; ++l) {
    // Ctrl-C between layers: a large model takes seconds per layer to quantize.
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "synth: interrupted");
    LlamaLayer layer;
    layer.attn_norm = b.norm("attn_norm.weight", l, shape.n_embd);
    layer.wq = b.matrix("attn_q.weight", l, shape.n_embd, q_dim);
    layer.wk = b.matrix("attn_k.weight", l, shape.n_embd, kv_dim);
    layer.wv = b.matrix("attn_v.weight", l, shape.n_embd, kv_dim);
    layer.wo = b.matrix("attn_output.weight", l, q_dim, shape.n_embd);
    layer.ffn_norm = b.norm("ffn_norm.weight", l, shape.n_embd);
    layer.gate = b.matrix("ffn_gate.weight", l, shape.n_embd, shape.n_ff);
    layer.up = b.matrix("ffn_up.weight", l, shape.n_embd, shape.n_ff);
    layer.down = b.matrix("ffn_down.weight", l, shape.n_ff, shape.n_embd);
    w.layers.push_back(layer);
  }
  w.storage = b.storage();
  return model;
}

namespace {

/// ggml's file-type code of a mix (llama_ftype), for general.file_type.
uint32_t file_type_code(SynthMix mix) {
  switch (mix) {
    case SynthMix::kF32:
      return 0;
    case SynthMix::kF16:
      return 1;
    case SynthMix::kQ4_0:
      return 2;
    case SynthMix::kQ8_0:
      return 7;
    case SynthMix::kQ4K:
      return 14;  // Q4_K_S: Q4_K everywhere but the output
    case SynthMix::kQ4KM:
      return 15;
    case SynthMix::kQ6K:
      return 18;
    case SynthMix::kBF16:
      return 32;
  }
  return 1;
}

/// A placeholder SentencePiece vocabulary: unknown, BOS, EOS, the 256 byte tokens, then "tN".
void add_vocabulary(std::vector<std::pair<std::string, formats::GgufWriteValue>>& kv,
                    int64_t n_vocab) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  tokens.reserve(static_cast<size_t>(n_vocab));
  for (int64_t i = 0; i < n_vocab; ++i) {
    if (i == 0) {
      tokens.emplace_back("<unk>"), types.push_back(2);
    } else if (i == 1) {
      tokens.emplace_back("<s>"), types.push_back(3);
    } else if (i == 2) {
      tokens.emplace_back("</s>"), types.push_back(3);
    } else if (i < 3 + 256) {
      tokens.push_back(fmt::format("<0x{:02X}>", i - 3)), types.push_back(6);
    } else {
      tokens.push_back(fmt::format("t{}", i)), types.push_back(1);
    }
    scores.push_back(-static_cast<float>(i));
  }
  kv.emplace_back("tokenizer.ggml.model", std::string("llama"));
  kv.emplace_back("tokenizer.ggml.tokens", std::move(tokens));
  kv.emplace_back("tokenizer.ggml.scores", std::move(scores));
  kv.emplace_back("tokenizer.ggml.token_type", std::move(types));
  kv.emplace_back("tokenizer.ggml.bos_token_id", uint32_t{1});
  kv.emplace_back("tokenizer.ggml.eos_token_id", uint32_t{2});
  kv.emplace_back("tokenizer.ggml.unknown_token_id", uint32_t{0});
}

uint32_t u32(int64_t v) { return static_cast<uint32_t>(v); }

// The metadata every llama.cpp architecture reads under its own prefix: name, layer count,
// trained context, widths, heads, RoPE base and norm epsilon.
std::vector<std::pair<std::string, formats::GgufWriteValue>> base_metadata(const std::string& arch,
                                                                           const std::string& name,
                                                                           const LlamaShape& s,
                                                                           int64_t ffn) {
  return {{"general.architecture", arch},
          {"general.name", name},
          {arch + ".block_count", u32(s.n_layer)},
          {arch + ".context_length", u32(s.context_length)},
          {arch + ".embedding_length", u32(s.n_embd)},
          {arch + ".feed_forward_length", u32(ffn)},
          {arch + ".attention.head_count", u32(s.n_head)},
          {arch + ".attention.head_count_kv", u32(s.n_head_kv)},
          {arch + ".rope.freq_base", static_cast<float>(s.rope_freq_base)},
          {arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(s.rms_norm_eps)}};
}

}  // namespace

std::vector<std::string> write_synth_gguf(const SynthModel& model, const std::string& path,
                                          int64_t shards) {
  const LlamaShape& s = model.weights.shape;
  auto kv = base_metadata("llama", model.name, s, s.n_ff);
  kv.emplace_back("general.file_type", file_type_code(model.mix));
  kv.emplace_back("llama.attention.key_length", u32(s.head_dim));
  kv.emplace_back("llama.attention.value_length", u32(s.head_dim));
  kv.emplace_back("llama.rope.dimension_count", u32(s.rope_dim));
  kv.emplace_back("llama.vocab_size", u32(s.n_vocab));
  add_vocabulary(kv, s.n_vocab);
  std::vector<formats::GgufWriteTensor> tensors;
  for (const SynthModel::Tensor& t : model.tensors) {
    tensors.push_back({t.name, t.shape, static_cast<uint32_t>(t.format),
                       std::span<const uint8_t>(t.data, static_cast<size_t>(t.bytes))});
  }
  if (shards <= 1) {
    formats::write_gguf(path, kv, tensors);
    return {path};
  }
  const auto total = static_cast<int64_t>(tensors.size());
  if (shards > total || shards > 99999) {
    throw_input("--split {}: the model has {} tensors, so at most {} shards", shards, total,
                std::min<int64_t>(total, 99999));
  }
  if (path.size() <= 5 || path.substr(path.size() - 5) != ".gguf") {
    throw_input("--split: the output must end in .gguf to name the shards, got {}", path);
  }
  const std::string prefix = path.substr(0, path.size() - 5);
  std::vector<std::string> written;
  for (int64_t i = 0; i < shards; ++i) {
    const auto begin = static_cast<std::ptrdiff_t>(total * i / shards);
    const auto end = static_cast<std::ptrdiff_t>(total * (i + 1) / shards);
    std::vector<std::pair<std::string, formats::GgufWriteValue>> shard_kv;
    if (i == 0) shard_kv = kv;
    shard_kv.emplace_back("split.no", static_cast<uint16_t>(i));
    shard_kv.emplace_back("split.count", static_cast<uint16_t>(shards));
    shard_kv.emplace_back("split.tensors.count", static_cast<int32_t>(total));
    written.push_back(formats::gguf_shard_path(prefix, i + 1, shards));
    formats::write_gguf(
        written.back(), shard_kv,
        std::vector<formats::GgufWriteTensor>(tensors.begin() + begin, tensors.begin() + end));
  }
  return written;
}

WeightFormat synth_base_format(SynthMix mix) { return base_format(mix); }

namespace {

// Tensors of a layout file: name, ggml-order shape, format and bytes.
class LayoutTensors {
 public:
  void add(std::string name, std::vector<int64_t> dims, WeightFormat format) {
    int64_t rows = 1;
    for (size_t i = 1; i < dims.size(); ++i) rows *= dims[i];
    const int64_t bytes = rows * row_bytes(format, dims[0]);  // before dims is moved
    planned_.push_back({std::move(name), std::move(dims), format, bytes});
  }

  // Writes every tensor as zeros (zero blocks are valid in every format: scale 0), as holes of a
  // sparse file: a full-size layout takes almost no disk; returns the bytes of tensors.
  double write(const std::string& path,
               const std::vector<std::pair<std::string, formats::GgufWriteValue>>& kv) const {
    double total = 0;
    std::vector<formats::GgufWriteTensor> tensors;
    tensors.reserve(planned_.size());
    for (const auto& t : planned_) {
      total += static_cast<double>(t.bytes);
      tensors.push_back(
          {t.name, t.shape, static_cast<uint32_t>(t.format), {}, static_cast<uint64_t>(t.bytes)});
    }
    formats::write_gguf(path, kv, tensors);
    return total;
  }

 private:
  struct Planned {
    std::string name;
    std::vector<int64_t> shape;
    WeightFormat format;
    int64_t bytes;
  };
  std::vector<Planned> planned_;
};

}  // namespace

double write_moe_layout_gguf(const MoeShape& shape, WeightFormat format, const std::string& name,
                             const std::string& path) {
  const LlamaShape& b = shape.base;
  if (shape.n_expert <= 0 || shape.n_expert_used <= 0 || shape.n_expert_used > shape.n_expert ||
      shape.expert_ff <= 0 || shape.shared_ff < 0) {
    throw_input(
        "synth: a mixture of experts needs experts > 0, 0 < used <= experts and an expert "
        "width > 0");
  }
  const bool shared = shape.shared_ff > 0;
  const std::string arch = shared ? "qwen2moe" : "llama";
  auto kv = base_metadata(arch, name, b, shape.expert_ff);
  kv.emplace_back(arch + ".expert_count", u32(shape.n_expert));
  kv.emplace_back(arch + ".expert_used_count", u32(shape.n_expert_used));
  kv.emplace_back(arch + ".expert_feed_forward_length", u32(shape.expert_ff));
  if (shared) kv.emplace_back(arch + ".expert_shared_feed_forward_length", u32(shape.shared_ff));
  add_vocabulary(kv, b.n_vocab);

  LayoutTensors t;
  const int64_t q = b.n_embd, kv_width = b.n_head_kv * (b.n_embd / b.n_head);
  t.add("token_embd.weight", {b.n_embd, b.n_vocab}, format);
  for (int64_t l = 0; l < b.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    t.add(p + "attn_norm.weight", {b.n_embd}, WeightFormat::kF32);
    t.add(p + "attn_q.weight", {b.n_embd, q}, format);
    t.add(p + "attn_k.weight", {b.n_embd, kv_width}, format);
    t.add(p + "attn_v.weight", {b.n_embd, kv_width}, format);
    t.add(p + "attn_output.weight", {q, b.n_embd}, format);
    t.add(p + "ffn_norm.weight", {b.n_embd}, WeightFormat::kF32);
    t.add(p + "ffn_gate_inp.weight", {b.n_embd, shape.n_expert}, WeightFormat::kF32);
    t.add(p + "ffn_gate_exps.weight", {b.n_embd, shape.expert_ff, shape.n_expert}, format);
    t.add(p + "ffn_down_exps.weight", {shape.expert_ff, b.n_embd, shape.n_expert}, format);
    t.add(p + "ffn_up_exps.weight", {b.n_embd, shape.expert_ff, shape.n_expert}, format);
    if (shared) {
      t.add(p + "ffn_gate_inp_shexp.weight", {b.n_embd}, WeightFormat::kF32);
      t.add(p + "ffn_gate_shexp.weight", {b.n_embd, shape.shared_ff}, format);
      t.add(p + "ffn_down_shexp.weight", {shape.shared_ff, b.n_embd}, format);
      t.add(p + "ffn_up_shexp.weight", {b.n_embd, shape.shared_ff}, format);
    }
  }
  t.add("output_norm.weight", {b.n_embd}, WeightFormat::kF32);
  t.add("output.weight", {b.n_embd, b.n_vocab}, format);
  return t.write(path, kv);
}

double write_gemma3_layout_gguf(const LlamaShape& b, int64_t sliding_window, WeightFormat format,
                                const std::string& name, const std::string& path) {
  if (sliding_window <= 0) throw_input("synth: a Gemma 3 layout needs a sliding window > 0");
  const std::string arch = "gemma3";
  auto kv = base_metadata(arch, name, b, b.n_ff);
  kv.emplace_back(arch + ".attention.key_length", u32(b.head_dim));
  kv.emplace_back(arch + ".attention.value_length", u32(b.head_dim));
  kv.emplace_back(arch + ".attention.sliding_window", u32(sliding_window));
  add_vocabulary(kv, b.n_vocab);
  LayoutTensors t;
  const int64_t q = b.n_head * b.head_dim, kv_width = b.n_head_kv * b.head_dim;
  t.add("token_embd.weight", {b.n_embd, b.n_vocab}, format);  // tied: also the output
  for (int64_t l = 0; l < b.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    t.add(p + "attn_norm.weight", {b.n_embd}, WeightFormat::kF32);
    t.add(p + "attn_q.weight", {b.n_embd, q}, format);
    t.add(p + "attn_k.weight", {b.n_embd, kv_width}, format);
    t.add(p + "attn_v.weight", {b.n_embd, kv_width}, format);
    t.add(p + "attn_output.weight", {q, b.n_embd}, format);
    t.add(p + "post_attention_norm.weight", {b.n_embd}, WeightFormat::kF32);
    t.add(p + "attn_k_norm.weight", {b.head_dim}, WeightFormat::kF32);
    t.add(p + "attn_q_norm.weight", {b.head_dim}, WeightFormat::kF32);
    t.add(p + "ffn_norm.weight", {b.n_embd}, WeightFormat::kF32);
    t.add(p + "ffn_gate.weight", {b.n_embd, b.n_ff}, format);
    t.add(p + "ffn_up.weight", {b.n_embd, b.n_ff}, format);
    t.add(p + "ffn_down.weight", {b.n_ff, b.n_embd}, format);
    t.add(p + "post_ffw_norm.weight", {b.n_embd}, WeightFormat::kF32);
  }
  t.add("output_norm.weight", {b.n_embd}, WeightFormat::kF32);
  return t.write(path, kv);
}

double write_deepseek2_layout_gguf(const MlaShape& shape, WeightFormat format,
                                   const std::string& name, const std::string& path) {
  const LlamaShape& b = shape.base;
  if (shape.kv_lora_rank <= 0 || shape.rope_dim <= 0 || shape.nope_dim <= 0 || shape.v_dim <= 0 ||
      shape.n_expert <= 0 || shape.n_expert_used <= 0 || shape.n_expert_used > shape.n_expert ||
      shape.expert_ff <= 0) {
    throw_input(
        "synth: a latent-attention mixture of experts needs its ranks, head widths and "
        "experts > 0");
  }
  const std::string arch = "deepseek2";
  LlamaShape cached = b;
  cached.n_head_kv = 1;  // the converter's MLA cache: one "head" of latent + RoPE
  auto kv = base_metadata(arch, name, cached, b.n_ff);
  kv.emplace_back(arch + ".attention.key_length", u32(shape.kv_lora_rank + shape.rope_dim));
  kv.emplace_back(arch + ".attention.value_length", u32(shape.kv_lora_rank));
  kv.emplace_back(arch + ".attention.key_length_mla", u32(shape.nope_dim + shape.rope_dim));
  kv.emplace_back(arch + ".attention.value_length_mla", u32(shape.v_dim));
  kv.emplace_back(arch + ".attention.kv_lora_rank", u32(shape.kv_lora_rank));
  kv.emplace_back(arch + ".rope.dimension_count", u32(shape.rope_dim));
  kv.emplace_back(arch + ".leading_dense_block_count", u32(shape.n_dense_lead));
  kv.emplace_back(arch + ".expert_count", u32(shape.n_expert));
  kv.emplace_back(arch + ".expert_used_count", u32(shape.n_expert_used));
  kv.emplace_back(arch + ".expert_feed_forward_length", u32(shape.expert_ff));
  kv.emplace_back(arch + ".expert_shared_count", u32(shape.n_shared));
  kv.emplace_back(arch + ".expert_weights_scale", 2.5F);
  kv.emplace_back(arch + ".expert_weights_norm", true);
  kv.emplace_back(arch + ".expert_gating_func", u32(2));  // sigmoid
  if (shape.q_lora_rank > 0)
    kv.emplace_back(arch + ".attention.q_lora_rank", u32(shape.q_lora_rank));
  add_vocabulary(kv, b.n_vocab);
  LayoutTensors t;
  const int64_t k_head = shape.nope_dim + shape.rope_dim;
  t.add("token_embd.weight", {b.n_embd, b.n_vocab}, format);
  for (int64_t l = 0; l < b.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    t.add(p + "attn_norm.weight", {b.n_embd}, WeightFormat::kF32);
    if (shape.q_lora_rank > 0) {
      t.add(p + "attn_q_a_norm.weight", {shape.q_lora_rank}, WeightFormat::kF32);
      t.add(p + "attn_q_a.weight", {b.n_embd, shape.q_lora_rank}, format);
      t.add(p + "attn_q_b.weight", {shape.q_lora_rank, b.n_head * k_head}, format);
    } else {
      t.add(p + "attn_q.weight", {b.n_embd, b.n_head * k_head}, format);
    }
    t.add(p + "attn_kv_a_norm.weight", {shape.kv_lora_rank}, WeightFormat::kF32);
    t.add(p + "attn_kv_a_mqa.weight", {b.n_embd, shape.kv_lora_rank + shape.rope_dim}, format);
    t.add(p + "attn_k_b.weight", {shape.nope_dim, shape.kv_lora_rank, b.n_head}, format);
    t.add(p + "attn_v_b.weight", {shape.kv_lora_rank, shape.v_dim, b.n_head}, format);
    t.add(p + "attn_output.weight", {b.n_head * shape.v_dim, b.n_embd}, format);
    t.add(p + "ffn_norm.weight", {b.n_embd}, WeightFormat::kF32);
    if (l < shape.n_dense_lead) {
      t.add(p + "ffn_gate.weight", {b.n_embd, b.n_ff}, format);
      t.add(p + "ffn_down.weight", {b.n_ff, b.n_embd}, format);
      t.add(p + "ffn_up.weight", {b.n_embd, b.n_ff}, format);
      continue;
    }
    t.add(p + "ffn_gate_inp.weight", {b.n_embd, shape.n_expert}, WeightFormat::kF32);
    t.add(p + "exp_probs_b.bias", {shape.n_expert}, WeightFormat::kF32);
    t.add(p + "ffn_gate_exps.weight", {b.n_embd, shape.expert_ff, shape.n_expert}, format);
    t.add(p + "ffn_down_exps.weight", {shape.expert_ff, b.n_embd, shape.n_expert}, format);
    t.add(p + "ffn_up_exps.weight", {b.n_embd, shape.expert_ff, shape.n_expert}, format);
    if (shape.n_shared > 0) {
      const int64_t shared_ff = shape.expert_ff * shape.n_shared;
      t.add(p + "ffn_gate_shexp.weight", {b.n_embd, shared_ff}, format);
      t.add(p + "ffn_down_shexp.weight", {shared_ff, b.n_embd}, format);
      t.add(p + "ffn_up_shexp.weight", {b.n_embd, shared_ff}, format);
    }
  }
  t.add("output_norm.weight", {b.n_embd}, WeightFormat::kF32);
  t.add("output.weight", {b.n_embd, b.n_vocab}, format);
  return t.write(path, kv);
}

}  // namespace hwplan::kernels
