// The decode step (DESIGN.md "validate": a real transformer step, weights read once per step).
// Numerics follow llama.cpp's CPU path where it matters for comparing logits: activations are
// quantized per format before integer dot products (activation.h), K and V are cached as
// binary16 after RoPE, softmax and norms run in float.
#include "kernels/llama_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "common/check.h"
#include "common/error.h"
#include "kernels/half.h"
#include "kernels/quantize.h"
#include "kernels/thread_pool.h"

namespace hwplan::kernels {
namespace {

void rms_norm(const float* x, std::span<const float> weight, double eps, float* out) {
  const auto n = static_cast<int64_t>(weight.size());
  double sum_sq = 0.0;
  for (int64_t i = 0; i < n; ++i) sum_sq += double{x[i]} * x[i];
  const auto scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[static_cast<size_t>(i)];
}

float silu(float v) { return v / (1.0f + std::exp(-v)); }

}  // namespace

LlamaContext::LlamaContext(const LlamaWeights& weights, ThreadPool& pool, int64_t n_ctx, Isa isa)
    : w_(weights), pool_(pool), isa_(isa), n_ctx_(n_ctx) {
  const LlamaShape& s = w_.shape;
  HWPLAN_CHECK(n_ctx > 0) << "context " << n_ctx;
  // Frequency of rotated pair i: base^(-2i / rope_dim), divided by the model's factor if any.
  for (int64_t i = 0; i < s.rope_dim / 2; ++i) {
    double f =
        std::pow(s.rope_freq_base, -2.0 * static_cast<double>(i) / static_cast<double>(s.rope_dim));
    if (!w_.rope_freq_factors.empty()) f /= w_.rope_freq_factors[static_cast<size_t>(i)];
    inv_freq_.push_back(f);
  }
  const auto cache_elements = static_cast<size_t>(n_ctx * s.n_head_kv * s.head_dim);
  try {
    k_cache_.assign(static_cast<size_t>(s.n_layer), std::vector<uint16_t>(cache_elements));
    v_cache_.assign(static_cast<size_t>(s.n_layer), std::vector<uint16_t>(cache_elements));
    scores_.assign(static_cast<size_t>(pool.size()),
                   std::vector<float>(static_cast<size_t>(n_ctx)));
  } catch (const std::bad_alloc&) {
    throw Error(ErrorKind::kResource,
                fmt::format("KV cache of {} positions does not fit in memory", n_ctx));
  }
}

void LlamaContext::prepare(const std::vector<float>& rows, int64_t width, int64_t n_tokens) {
  if (static_cast<int64_t>(inputs_.size()) < n_tokens)
    inputs_.resize(static_cast<size_t>(n_tokens));
  pool_.parallel_for(n_tokens, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      prepare_input(rows.data() + t * width, width, inputs_[static_cast<size_t>(t)]);
    }
  });
}

void LlamaContext::project(const MatrixView& w, std::span<const PreparedInput> in,
                           std::vector<float>& out, int64_t n_tokens) {
  out.resize(static_cast<size_t>(n_tokens * w.rows));
  outputs_.resize(static_cast<size_t>(n_tokens));
  for (int64_t t = 0; t < n_tokens; ++t) outputs_[static_cast<size_t>(t)] = out.data() + t * w.rows;
  const std::span<float* const> outs(outputs_);
  pool_.parallel_for(w.rows, kRowGrain, [&](int64_t begin, int64_t end) {
    if (n_tokens == 1) {
      matvec_rows(w, in[0], outs[0], begin, end, isa_);  // decode: the multi-row kernels
    } else {
      matmul_rows(w, in.first(static_cast<size_t>(n_tokens)), outs, begin, end, isa_);
    }
  });
}

void LlamaContext::rope(float* vec, int64_t n_heads, int64_t pos) const {
  const int64_t head_dim = w_.shape.head_dim;
  for (size_t i = 0; i < inv_freq_.size(); ++i) {
    const double angle = static_cast<double>(pos) * inv_freq_[i];
    const auto c = static_cast<float>(std::cos(angle));
    const auto s = static_cast<float>(std::sin(angle));
    for (int64_t h = 0; h < n_heads; ++h) {
      float* pair = vec + h * head_dim + 2 * static_cast<int64_t>(i);
      const float a = pair[0];
      const float b = pair[1];
      pair[0] = a * c - b * s;
      pair[1] = a * s + b * c;
    }
  }
}

void LlamaContext::embed(std::span<const int32_t> tokens) {
  const LlamaShape& s = w_.shape;
  x_.resize(tokens.size() * static_cast<size_t>(s.n_embd));
  for (size_t t = 0; t < tokens.size(); ++t) {
    dequantize_row(w_.token_embd.format, w_.token_embd.row(tokens[t]),
                   x_.data() + static_cast<int64_t>(t) * s.n_embd, s.n_embd);
  }
}

void LlamaContext::attend(int64_t layer_index, int64_t token, int64_t head, float* scores) {
  const LlamaShape& s = w_.shape;
  const int64_t kv_dim = s.n_head_kv * s.head_dim;
  const int64_t kv_head = head / (s.n_head / s.n_head_kv);
  const int64_t n_attended = position_ + token + 1;  // causal: positions up to its own
  const float* q = q_.data() + token * s.n_head * s.head_dim + head * s.head_dim;
  const uint16_t* k = k_cache_[static_cast<size_t>(layer_index)].data() + kv_head * s.head_dim;
  const uint16_t* v = v_cache_[static_cast<size_t>(layer_index)].data() + kv_head * s.head_dim;
  const auto scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(s.head_dim)));
  f16_scores(k, kv_dim, n_attended, q, s.head_dim, scale, scores, isa_);
  const float max_score = *std::max_element(scores, scores + n_attended);
  double total = 0.0;
  for (int64_t j = 0; j < n_attended; ++j) {
    scores[j] = std::exp(scores[j] - max_score);
    total += scores[j];
  }
  const auto inv_total = static_cast<float>(1.0 / total);
  for (int64_t j = 0; j < n_attended; ++j) scores[j] *= inv_total;
  float* out = attn_.data() + token * s.n_head * s.head_dim + head * s.head_dim;
  f16_weighted_sum(v, kv_dim, n_attended, scores, s.head_dim, out, isa_);
}

void LlamaContext::attention_block(const LlamaLayer& layer, int64_t layer_index, int64_t n_tokens) {
  const LlamaShape& s = w_.shape;
  const int64_t q_dim = s.n_head * s.head_dim;
  const int64_t kv_dim = s.n_head_kv * s.head_dim;
  h_.resize(static_cast<size_t>(n_tokens * s.n_embd));
  for (int64_t t = 0; t < n_tokens; ++t) {
    rms_norm(x_.data() + t * s.n_embd, layer.attn_norm, s.rms_norm_eps, h_.data() + t * s.n_embd);
  }
  prepare(h_, s.n_embd, n_tokens);
  project(layer.wq, inputs_, q_, n_tokens);
  project(layer.wk, inputs_, k_, n_tokens);
  project(layer.wv, inputs_, v_, n_tokens);
  auto& k_cache = k_cache_[static_cast<size_t>(layer_index)];
  auto& v_cache = v_cache_[static_cast<size_t>(layer_index)];
  for (int64_t t = 0; t < n_tokens; ++t) {
    const int64_t pos = position_ + t;
    rope(q_.data() + t * q_dim, s.n_head, pos);
    rope(k_.data() + t * kv_dim, s.n_head_kv, pos);
    for (int64_t i = 0; i < kv_dim; ++i) {
      k_cache[static_cast<size_t>(pos * kv_dim + i)] =
          float_to_half(k_[static_cast<size_t>(t * kv_dim + i)]);
      v_cache[static_cast<size_t>(pos * kv_dim + i)] =
          float_to_half(v_[static_cast<size_t>(t * kv_dim + i)]);
    }
  }
  attn_.resize(static_cast<size_t>(n_tokens * q_dim));
  pool_.run([&](int member) {
    const auto [begin, end] = pool_.share(n_tokens * s.n_head, 1, member);
    for (int64_t item = begin; item < end; ++item) {
      attend(layer_index, item / s.n_head, item % s.n_head,
             scores_[static_cast<size_t>(member)].data());
    }
  });
  prepare(attn_, q_dim, n_tokens);
  project(layer.wo, inputs_, proj_, n_tokens);
  for (size_t i = 0; i < x_.size(); ++i) x_[i] += proj_[i];
}

void LlamaContext::ffn_block(const LlamaLayer& layer, int64_t n_tokens) {
  const LlamaShape& s = w_.shape;
  for (int64_t t = 0; t < n_tokens; ++t) {
    rms_norm(x_.data() + t * s.n_embd, layer.ffn_norm, s.rms_norm_eps, h_.data() + t * s.n_embd);
  }
  prepare(h_, s.n_embd, n_tokens);
  project(layer.gate, inputs_, ff_gate_, n_tokens);
  project(layer.up, inputs_, ff_up_, n_tokens);
  for (size_t i = 0; i < ff_gate_.size(); ++i) ff_gate_[i] = silu(ff_gate_[i]) * ff_up_[i];
  prepare(ff_gate_, s.n_ff, n_tokens);
  project(layer.down, inputs_, proj_, n_tokens);
  for (size_t i = 0; i < x_.size(); ++i) x_[i] += proj_[i];
}

std::span<const float> LlamaContext::eval(std::span<const int32_t> tokens) {
  const LlamaShape& s = w_.shape;
  if (tokens.empty()) throw_input("no tokens to evaluate");
  if (position_ + static_cast<int64_t>(tokens.size()) > n_ctx_) {
    throw_input("context of {} positions is full: {} used, {} more requested", n_ctx_, position_,
                tokens.size());
  }
  for (int32_t token : tokens) {
    if (token < 0 || token >= s.n_vocab) {
      throw_input("token id {} is outside the vocabulary (0..{})", token, s.n_vocab - 1);
    }
  }
  const auto n_tokens = static_cast<int64_t>(tokens.size());
  embed(tokens);
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const LlamaLayer& layer = w_.layers[static_cast<size_t>(l)];
    attention_block(layer, l, n_tokens);
    ffn_block(layer, n_tokens);
  }
  // Logits of the last token only.
  std::vector<float> last(static_cast<size_t>(s.n_embd));
  rms_norm(x_.data() + (n_tokens - 1) * s.n_embd, w_.output_norm, s.rms_norm_eps, last.data());
  prepare(last, s.n_embd, 1);
  project(w_.output, inputs_, logits_, 1);
  position_ += n_tokens;
  return logits_;
}

void LlamaContext::fill_cache_synthetic(int64_t n, uint64_t seed) {
  const LlamaShape& s = w_.shape;
  if (n > n_ctx_) throw_input("cannot fill {} positions of a {}-position context", n, n_ctx_);
  const int64_t kv_dim = s.n_head_kv * s.head_dim;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t l = 0; l < s.n_layer; ++l) {
    for (int64_t i = position_ * kv_dim; i < n * kv_dim; ++i) {
      k_cache_[static_cast<size_t>(l)][static_cast<size_t>(i)] = float_to_half(dist(rng));
      v_cache_[static_cast<size_t>(l)][static_cast<size_t>(i)] = float_to_half(dist(rng));
    }
  }
  position_ = std::max(position_, n);
}

int32_t argmax(std::span<const float> values) {
  return static_cast<int32_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

}  // namespace hwplan::kernels
