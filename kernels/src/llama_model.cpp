// Loading a Llama model from GGUF (shapes checked against the metadata, in ggml order: dimension
// 0 is the row length), its cost per decoded token, and the NUMA-local copy.
#include <fmt/format.h>

#include <cstdlib>
#include <cstring>

#include "aligned_blocks.h"
#include "common/error.h"
#include "formats/gguf.h"
#include "kernels/llama.h"
#include "kernels/thread_pool.h"

namespace hwplan::kernels {
namespace {

class Loader {
 public:
  explicit Loader(const formats::GgufFile& file) : file_(file) {}

  int64_t required_int(const std::string& key) const {
    const auto value = file_.get_int(key);
    if (!value) throw_input("{}: metadata key '{}' is missing", file_.origin(), key);
    if (*value <= 0)
      throw_input("{}: metadata '{}' must be > 0, got {}", file_.origin(), key, *value);
    return *value;
  }

  /// A weight matrix of `rows` rows of `cols` elements.
  MatrixView matrix(const std::string& name, int64_t cols, int64_t rows) const {
    const formats::GgufTensorInfo& t = tensor(name);
    if (t.shape.size() != 2 || t.shape[0] != cols || t.shape[1] != rows) {
      throw_input("{}: tensor '{}' has shape {}, expected [{}, {}]", file_.origin(), name,
                  shape_text(t), cols, rows);
    }
    const auto format = format_from_ggml_id(t.type.id);
    if (!format) {
      throw Error(
          ErrorKind::kUnsupported,
          fmt::format("{}: tensor '{}' is {}; the reference kernel computes F32, F16, BF16, "
                      "Q8_0, Q4_0, Q4_K and Q6_K",
                      file_.origin(), name, t.type.name));
    }
    return MatrixView{*format, rows, cols, file_.tensor_data(t).data(), row_bytes(*format, cols)};
  }

  /// An F32 vector of `n` elements.
  std::span<const float> vector(const std::string& name, int64_t n) const {
    const formats::GgufTensorInfo& t = tensor(name);
    if (t.shape.size() != 1 || t.shape[0] != n) {
      throw_input("{}: tensor '{}' has shape {}, expected [{}]", file_.origin(), name,
                  shape_text(t), n);
    }
    if (t.type.id != 0) {
      throw Error(ErrorKind::kUnsupported, fmt::format("{}: tensor '{}' is {}, expected F32",
                                                       file_.origin(), name, t.type.name));
    }
    const auto data = file_.tensor_data(t);
    if (reinterpret_cast<uintptr_t>(data.data()) % alignof(float) != 0) {
      throw_input("{}: tensor '{}' data is not 4-byte aligned", file_.origin(), name);
    }
    return {reinterpret_cast<const float*>(data.data()), static_cast<size_t>(n)};
  }

  const formats::GgufTensorInfo& tensor(const std::string& name) const {
    const formats::GgufTensorInfo* t = file_.find_tensor(name);
    if (t == nullptr) throw_input("{}: tensor '{}' is missing", file_.origin(), name);
    return *t;
  }

  bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }

 private:
  static std::string shape_text(const formats::GgufTensorInfo& t) {
    return fmt::format("[{}]", fmt::join(t.shape, ", "));
  }
  const formats::GgufFile& file_;
};

LlamaShape read_shape(const formats::GgufFile& file, const Loader& in) {
  const auto arch = file.get_string("general.architecture");
  if (!arch) throw_input("{}: metadata key 'general.architecture' is missing", file.origin());
  if (*arch != "llama") {
    throw Error(ErrorKind::kUnsupported,
                fmt::format("{}: architecture '{}': the reference kernel runs 'llama' only",
                            file.origin(), *arch));
  }
  LlamaShape s;
  s.n_layer = in.required_int("llama.block_count");
  s.n_embd = in.required_int("llama.embedding_length");
  s.n_head = in.required_int("llama.attention.head_count");
  s.n_head_kv = file.get_int("llama.attention.head_count_kv").value_or(s.n_head);
  s.n_ff = in.required_int("llama.feed_forward_length");
  s.context_length = file.get_int("llama.context_length").value_or(0);
  s.rope_freq_base = file.get_float("llama.rope.freq_base").value_or(10000.0);
  s.rms_norm_eps = file.get_float("llama.attention.layer_norm_rms_epsilon").value_or(1e-5);
  if (s.n_embd % s.n_head != 0) {
    throw_input("{}: embedding_length {} is not a multiple of head_count {}", file.origin(),
                s.n_embd, s.n_head);
  }
  if (s.n_head_kv <= 0 || s.n_head % s.n_head_kv != 0) {
    throw_input("{}: head_count {} is not a multiple of head_count_kv {}", file.origin(), s.n_head,
                s.n_head_kv);
  }
  s.head_dim = file.get_int("llama.attention.key_length").value_or(s.n_embd / s.n_head);
  s.rope_dim = file.get_int("llama.rope.dimension_count").value_or(s.head_dim);
  if (s.rope_dim <= 0 || s.rope_dim > s.head_dim || s.rope_dim % 2 != 0) {
    throw_input("{}: rope.dimension_count {} must be even and within head size {}", file.origin(),
                s.rope_dim, s.head_dim);
  }
  if (!(s.rms_norm_eps > 0.0) || !(s.rope_freq_base > 0.0)) {
    throw_input("{}: rms epsilon and rope base must be > 0", file.origin());
  }
  const formats::GgufTensorInfo& embd = in.tensor("token_embd.weight");
  if (embd.shape.size() != 2) throw_input("{}: token_embd.weight must be 2-D", file.origin());
  s.n_vocab = embd.shape[1];
  return s;
}

}  // namespace

LlamaWeights llama_from_gguf(const formats::GgufFile& file) {
  const Loader in(file);
  LlamaWeights w;
  w.shape = read_shape(file, in);
  const LlamaShape& s = w.shape;
  const int64_t q_dim = s.n_head * s.head_dim;
  const int64_t kv_dim = s.n_head_kv * s.head_dim;
  w.token_embd = in.matrix("token_embd.weight", s.n_embd, s.n_vocab);
  w.output_norm = in.vector("output_norm.weight", s.n_embd);
  w.tied_embeddings = !in.has("output.weight");
  w.output = w.tied_embeddings ? w.token_embd : in.matrix("output.weight", s.n_embd, s.n_vocab);
  if (in.has("rope_freqs.weight"))
    w.rope_freq_factors = in.vector("rope_freqs.weight", s.rope_dim / 2);
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string p = fmt::format("blk.{}.", l);
    LlamaLayer layer;
    layer.attn_norm = in.vector(p + "attn_norm.weight", s.n_embd);
    layer.ffn_norm = in.vector(p + "ffn_norm.weight", s.n_embd);
    layer.wq = in.matrix(p + "attn_q.weight", s.n_embd, q_dim);
    layer.wk = in.matrix(p + "attn_k.weight", s.n_embd, kv_dim);
    layer.wv = in.matrix(p + "attn_v.weight", s.n_embd, kv_dim);
    layer.wo = in.matrix(p + "attn_output.weight", q_dim, s.n_embd);
    layer.gate = in.matrix(p + "ffn_gate.weight", s.n_embd, s.n_ff);
    layer.up = in.matrix(p + "ffn_up.weight", s.n_embd, s.n_ff);
    layer.down = in.matrix(p + "ffn_down.weight", s.n_ff, s.n_embd);
    w.layers.push_back(layer);
  }
  w.storage = std::make_shared<formats::GgufFile>(file);
  return w;
}

namespace {

int64_t matrix_bytes(const MatrixView& m) { return m.rows * m.row_bytes; }

template <typename Fn>
void for_each_layer_matrix(const LlamaLayer& layer, Fn&& fn) {
  for (const MatrixView* m :
       {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.gate, &layer.up, &layer.down}) {
    fn(*m);
  }
}

}  // namespace

std::set<WeightFormat> weight_formats(const LlamaWeights& w) {
  std::set<WeightFormat> formats = {w.token_embd.format, w.output.format};
  for (const auto& layer : w.layers)
    for_each_layer_matrix(layer, [&](const MatrixView& m) { formats.insert(m.format); });
  return formats;
}

int64_t llama_weight_bytes(const LlamaWeights& w) {
  int64_t total = matrix_bytes(w.token_embd) + (w.tied_embeddings ? 0 : matrix_bytes(w.output));
  total +=
      static_cast<int64_t>((w.output_norm.size() + w.rope_freq_factors.size()) * sizeof(float));
  for (const LlamaLayer& layer : w.layers) {
    for_each_layer_matrix(layer, [&](const MatrixView& m) { total += matrix_bytes(m); });
    total += static_cast<int64_t>((layer.attn_norm.size() + layer.ffn_norm.size()) * sizeof(float));
  }
  return total;
}

KernelCost llama_decode_cost(const LlamaWeights& w, int64_t n_attended) {
  const LlamaShape& s = w.shape;
  KernelCost c;
  auto add_matrix = [&](const MatrixView& m) {
    c.flop += 2.0 * static_cast<double>(m.rows * m.cols);
    c.bytes_read += static_cast<double>(matrix_bytes(m));
  };
  for (const LlamaLayer& layer : w.layers) {
    for_each_layer_matrix(layer, add_matrix);
    c.bytes_read +=
        static_cast<double>((layer.attn_norm.size() + layer.ffn_norm.size()) * sizeof(float));
  }
  add_matrix(w.output);
  if (!w.tied_embeddings) c.bytes_read += static_cast<double>(w.token_embd.row_bytes);
  c.bytes_read += static_cast<double>(w.output_norm.size() * sizeof(float));
  // K and V of every attended position, binary16, per layer; scores and the weighted sum of V
  // cost 2 flop per element each.
  const auto kv_elements = static_cast<double>(s.n_layer * n_attended * s.n_head_kv * s.head_dim);
  c.bytes_read += 2.0 * kv_elements * 2.0;
  c.flop += 4.0 * static_cast<double>(s.n_layer * s.n_head * s.head_dim * n_attended);
  c.bytes_written = 2.0 * static_cast<double>(s.n_layer * s.n_head_kv * s.head_dim) * 2.0;
  return c;
}

namespace {

MatrixView localize_matrix(const MatrixView& m, detail::AlignedBlocks& store, ThreadPool& pool) {
  uint8_t* dst = store.allocate(matrix_bytes(m), "weights");
  // Each member copies (so first touches) exactly the rows it will compute.
  pool.parallel_for(m.rows, kRowGrain, [&](int64_t begin, int64_t end) {
    std::memcpy(dst + begin * m.row_bytes, m.row(begin),
                static_cast<size_t>((end - begin) * m.row_bytes));
  });
  MatrixView out = m;
  out.data = dst;
  return out;
}

std::span<const float> localize_vector(std::span<const float> v, detail::AlignedBlocks& store) {
  if (v.empty()) return v;
  const auto bytes = static_cast<int64_t>(v.size_bytes());
  auto* dst = reinterpret_cast<float*>(store.allocate(bytes, "weights"));
  std::memcpy(dst, v.data(), v.size_bytes());
  return {dst, v.size()};
}

}  // namespace

LlamaWeights localize(const LlamaWeights& w, ThreadPool& pool) {
  auto store = std::make_shared<detail::AlignedBlocks>();
  LlamaWeights out = w;
  out.token_embd = localize_matrix(w.token_embd, *store, pool);
  out.output = w.tied_embeddings ? out.token_embd : localize_matrix(w.output, *store, pool);
  out.output_norm = localize_vector(w.output_norm, *store);
  out.rope_freq_factors = localize_vector(w.rope_freq_factors, *store);
  for (LlamaLayer& layer : out.layers) {
    layer.attn_norm = localize_vector(layer.attn_norm, *store);
    layer.ffn_norm = localize_vector(layer.ffn_norm, *store);
    for (MatrixView* m :
         {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.gate, &layer.up, &layer.down}) {
      *m = localize_matrix(*m, *store, pool);
    }
  }
  out.storage = store;
  return out;
}

}  // namespace hwplan::kernels
