#include "planner/weights.h"

#include <fmt/format.h>

#include <utility>
#include <vector>

#include "common/ggml_types.h"
#include "common/units.h"

namespace hwplan::planner {
namespace {

constexpr double kF32Bits = 32.0;

double d(int64_t value) { return static_cast<double>(value); }

// MLA (DeepSeek V3 modeling code): q_a [h, q_lora], q_a_norm, q_b [q_lora, heads*(nope+rope)],
// kv_a [h, kv_lora+rope], kv_a_norm, kv_b [kv_lora, heads*(nope+v)], o [heads*v, h].
double mla_attention_params(const ModelSpec& m) {
  const double h = d(m.hidden_size);
  const double q_width = d(m.n_heads) * d(m.mla.nope_head_dim + m.mla.rope_head_dim);
  const double q = m.mla.q_lora_rank > 0 ? h * d(m.mla.q_lora_rank) + d(m.mla.q_lora_rank) * q_width
                                         : h * q_width;
  const double kv_a = h * d(m.mla.kv_lora_rank + m.mla.rope_head_dim);
  const double kv_b =
      d(m.mla.kv_lora_rank) * d(m.n_heads) * d(m.mla.nope_head_dim + m.mla.v_head_dim);
  const double o = d(m.n_heads) * d(m.mla.v_head_dim) * h;
  return q + kv_a + kv_b + o;
}

// GQA: q [h, heads*hd] (doubled with an output gate), k and v [h, kv*hd], o [heads*hd, h].
double gqa_attention_params(const ModelSpec& m) {
  const double h = d(m.hidden_size);
  const double q_width = d(m.n_heads * m.head_dim);
  const double kv_width = d(m.n_kv_heads * m.head_dim);
  const double q = h * q_width * (m.attention_output_gate ? 2.0 : 1.0);
  double params = q + 2.0 * h * kv_width + q_width * h;
  if (m.qkv_bias) params += q_width + 2.0 * kv_width;
  if (m.attention_out_bias) params += h;
  return params;
}

// Gated DeltaNet (Qwen3-Next): in_proj_qkvz [h, 2*nk*dk + 2*nv*dv], in_proj_ba [h, 2*nv],
// depthwise conv over q,k,v channels, A_log and dt_bias [nv], out_proj [nv*dv, h].
double linear_attention_params(const ModelSpec& m) {
  const auto& l = m.linear;
  const double h = d(m.hidden_size);
  const double key = d(l.n_key_heads * l.key_head_dim);
  const double value = d(l.n_value_heads * l.value_head_dim);
  const double in_proj = h * (2.0 * key + 2.0 * value) + h * 2.0 * d(l.n_value_heads);
  const double conv = (2.0 * key + value) * d(l.conv_kernel);
  const double out = value * h;
  return in_proj + conv + 2.0 * d(l.n_value_heads) + out;
}

// The attention matrices of one layer with their parameter counts (llama.cpp names).
std::vector<std::pair<const char*, double>> attention_tensors(const ModelSpec& m) {
  const double h = d(m.hidden_size);
  if (m.attention == AttentionKind::kMla) {
    const double q_width = d(m.n_heads) * d(m.mla.nope_head_dim + m.mla.rope_head_dim);
    std::vector<std::pair<const char*, double>> parts;
    if (m.mla.q_lora_rank > 0) {
      parts.emplace_back("attn_q_a", h * d(m.mla.q_lora_rank));
      parts.emplace_back("attn_q_b", d(m.mla.q_lora_rank) * q_width);
    } else {
      parts.emplace_back("attn_q", h * q_width);
    }
    parts.emplace_back("attn_kv_a_mqa", h * d(m.mla.kv_lora_rank + m.mla.rope_head_dim));
    parts.emplace_back("attn_kv_b", d(m.mla.kv_lora_rank) * d(m.n_heads) *
                                        d(m.mla.nope_head_dim + m.mla.v_head_dim));
    parts.emplace_back("attn_output", d(m.n_heads) * d(m.mla.v_head_dim) * h);
    return parts;
  }
  const double q_width = d(m.n_heads * m.head_dim);
  const double kv_width = d(m.n_kv_heads * m.head_dim);
  return {{"attn_q", h * q_width * (m.attention_output_gate ? 2.0 : 1.0)},
          {"attn_k", h * kv_width},
          {"attn_v", h * kv_width},
          {"attn_output", q_width * h}};
}

void add(WeightInventory& inv, std::string name, int64_t layer, TensorClass cls, double params,
         double bits_per_weight, std::string type) {
  if (params <= 0) return;
  inv.groups.push_back({std::move(name), layer, cls, params,
                        bits_to_bytes(params * bits_per_weight), std::move(type)});
}

// A repeating-layer matrix before its type is decided.
struct PendingTensor {
  std::string name;
  int64_t layer = 0;
  TensorClass cls = TensorClass::kAttention;
  double params = 0;
};

bool selected(LayerSelector selector, int64_t i, int64_t n) {
  switch (selector) {
    case LayerSelector::kAll:
      return true;
    case LayerSelector::kMoreBits:
      return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
    case LayerSelector::kFirstEighth:
      return i < n / 8;
    case LayerSelector::kFirstSixteenth:
      return i < n / 16;
    case LayerSelector::kFirstTwo:
      return i < 2;
    case LayerSelector::kFirstFour:
      return i < 4;
  }
  return true;
}

bool holds(RuleCondition when, const ModelSpec& m) {
  switch (when) {
    case RuleCondition::kAlways:
      return true;
    case RuleCondition::kGqaAtLeast4:
      return m.n_heads >= 4 * m.n_kv_heads;
    case RuleCondition::kExperts8:
      return m.moe.n_experts == 8;
    case RuleCondition::kExpertsAtLeast4:
      return m.moe.n_experts >= 4;
    case RuleCondition::kLlama70b:
      // llama-model.cpp: a Llama of 80 layers is LLM_TYPE_70B unless every head has its own KV.
      return m.architecture == "llama" && m.n_layers == 80 && m.n_kv_heads != m.n_heads;
  }
  return true;
}

bool names(const TensorTypeRule& rule, const PendingTensor& t) {
  if (!rule.cls.empty()) return t.cls == TensorClass::kExperts;
  return t.name.find(rule.tensor) != std::string::npos;
}

// Types the matrices as llama-quantize does for the mix (llama-quant.cpp llama_tensor_get_type):
// the first rule that names a tensor, holds for the model and selects its index decides. The
// index of a tensor among those a rule names is its order (attn_v: i_attention_wv) or, in MoE
// models for FFN tensors, its layer (llama.cpp reads it from the name); n is how many there are.
void add_matrices(WeightInventory& inv, const ModelSpec& m, const QuantSpec& q,
                  const std::vector<PendingTensor>& matrices) {
  std::vector<int64_t> count(q.tensor_types.size(), 0);
  for (size_t r = 0; r < q.tensor_types.size(); ++r) {
    for (const auto& t : matrices) count[r] += names(q.tensor_types[r], t) ? 1 : 0;
  }
  std::vector<int64_t> seen(q.tensor_types.size(), 0);
  for (const auto& t : matrices) {
    double bpw = q.weights_bpw;
    std::string type = q.weights_type.empty() ? q.name : q.weights_type;
    bool decided = false;
    for (size_t r = 0; r < q.tensor_types.size(); ++r) {
      const auto& rule = q.tensor_types[r];
      if (!names(rule, t)) continue;
      const bool by_layer = is_moe(m) && rule.tensor.rfind("ffn_", 0) == 0;
      const int64_t index = by_layer ? t.layer : seen[r];
      ++seen[r];
      if (!decided && holds(rule.when, m) && selected(rule.layers, index, count[r])) {
        bpw = rule.bpw;
        type = rule.type;
        decided = true;
      }
    }
    add(inv, t.name, t.layer, t.cls, t.params, bpw, type);
  }
}

}  // namespace

LayerParams layer_params(const ModelSpec& m, int64_t layer) {
  LayerParams p;
  const double h = d(m.hidden_size);
  const auto kind = m.layer_kinds[static_cast<size_t>(layer)];
  if (kind == LayerKind::kLinearAttention) {
    p.recurrent = linear_attention_params(m);
  } else {
    p.attention =
        m.attention == AttentionKind::kMla ? mla_attention_params(m) : gqa_attention_params(m);
  }
  // SwiGLU: gate and up [h, ffn], down [ffn, h].
  if (is_moe_layer(m, layer)) {
    p.experts = d(m.moe.n_experts) * 3.0 * h * d(m.moe.expert_ffn_size);
    p.shared_experts = 3.0 * h * d(m.moe.shared_ffn_size);
    p.router = h * d(m.moe.n_experts);
  } else {
    p.ffn = 3.0 * h * d(m.ffn_size);
  }
  p.norm = 2.0 * h;  // attention and FFN RMSNorm weights
  return p;
}

WeightInventory build_inventory(const ModelSpec& m, const QuantSpec& q) {
  WeightInventory inv;
  const double h = d(m.hidden_size);
  const double vocab_params = d(m.vocab_size) * h;
  // llama-quantize gives a tied token_embd the output tensor's type (it doubles as the output).
  const double embedding_bpw = m.tied_embeddings ? q.output_bpw : q.embedding_bpw;
  const std::string embedding_type = m.tied_embeddings ? q.output_type : q.embedding_type;
  add(inv, "token_embd.weight", -1, TensorClass::kEmbedding, vocab_params, embedding_bpw,
      embedding_type.empty() ? q.name : embedding_type);
  // One group per llama.cpp tensor (llama-arch.cpp names), so that -ot patterns select exactly
  // what they select in llama.cpp and a mix's per-tensor rules apply as llama-quantize applies
  // them. Each tensor's share of its class comes from its shape.
  std::vector<PendingTensor> matrices;
  for (int64_t layer = 0; layer < m.n_layers; ++layer) {
    const auto p = layer_params(m, layer);
    auto matrix = [&](const char* name, TensorClass cls, double params) {
      if (params > 0)
        matrices.push_back({fmt::format("blk.{}.{}.weight", layer, name), layer, cls, params});
    };
    if (p.attention > 0) {
      const std::vector<std::pair<const char*, double>> parts = attention_tensors(m);
      double listed = 0;
      for (const auto& [name, params] : parts) listed += params;
      // Biases are few; they go with the matrices in proportion.
      for (const auto& [name, params] : parts) {
        matrix(name, TensorClass::kAttention, p.attention * params / listed);
      }
    }
    matrix("ssm_in", TensorClass::kRecurrent, p.recurrent);
    for (const char* name : {"ffn_gate", "ffn_up", "ffn_down"}) {
      matrix(name, TensorClass::kFfn, p.ffn / 3.0);
    }
    for (const char* name : {"ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"}) {
      matrix(name, TensorClass::kExperts, p.experts / 3.0);
    }
    for (const char* name : {"ffn_gate_shexp", "ffn_up_shexp", "ffn_down_shexp"}) {
      matrix(name, TensorClass::kSharedExperts, p.shared_experts / 3.0);
    }
  }
  add_matrices(inv, m, q, matrices);
  for (int64_t layer = 0; layer < m.n_layers; ++layer) {
    const auto p = layer_params(m, layer);
    auto tensor = [&](const char* name, TensorClass cls, double params) {
      add(inv, fmt::format("blk.{}.{}.weight", layer, name), layer, cls, params, kF32Bits, "F32");
    };
    tensor("ffn_gate_inp", TensorClass::kRouter, p.router);
    tensor("attn_norm", TensorClass::kNorm, p.norm / 2.0);
    tensor("ffn_norm", TensorClass::kNorm, p.norm / 2.0);
  }
  add(inv, "output_norm.weight", m.n_layers, TensorClass::kNorm, h, kF32Bits, "F32");
  if (!m.tied_embeddings) {
    add(inv, "output.weight", m.n_layers, TensorClass::kOutput, vocab_params, q.output_bpw,
        q.output_type.empty() ? q.name : q.output_type);
  }
  return inv;
}

bool quantized_bits(double bits_per_weight) { return bits_per_weight < 12.0; }

bool is_quantized(const TensorGroup& g) {
  if (const auto type = ggml_type_by_name(g.type)) return type->quantized;
  return g.n_params > 0 && quantized_bits(g.bytes * 8.0 / g.n_params);
}

double total_weight_bytes(const WeightInventory& inv) {
  double sum = 0;
  for (const auto& g : inv.groups) sum += g.bytes;
  return sum;
}

double total_params(const WeightInventory& inv) {
  double sum = 0;
  for (const auto& g : inv.groups) sum += g.n_params;
  return sum;
}

double layer_weight_bytes(const WeightInventory& inv, int64_t layer) {
  double sum = 0;
  for (const auto& g : inv.groups) {
    if (g.layer == layer) sum += g.bytes;
  }
  return sum;
}

double class_weight_bytes(const WeightInventory& inv, TensorClass cls, int64_t layer) {
  double sum = 0;
  for (const auto& g : inv.groups) {
    if (g.layer == layer && g.cls == cls) sum += g.bytes;
  }
  return sum;
}

double active_params(const ModelSpec& m, const WeightInventory& inv) {
  double sum = 0;
  for (const auto& g : inv.groups) {
    if (g.cls == TensorClass::kExperts) {
      sum += g.n_params * d(m.moe.n_experts_per_token) / d(m.moe.n_experts);
    } else if (g.cls == TensorClass::kEmbedding) {
      sum += d(m.hidden_size);  // one row is looked up, not multiplied
    } else {
      sum += g.n_params;
    }
  }
  // A tied embedding is also the output matrix, read whole every token.
  if (m.tied_embeddings) sum += d(m.vocab_size) * d(m.hidden_size);
  return sum;
}

const char* tensor_class_name(TensorClass cls) {
  switch (cls) {
    case TensorClass::kEmbedding:
      return "embedding";
    case TensorClass::kOutput:
      return "output";
    case TensorClass::kAttention:
      return "attention";
    case TensorClass::kRecurrent:
      return "recurrent";
    case TensorClass::kFfn:
      return "ffn";
    case TensorClass::kExperts:
      return "experts";
    case TensorClass::kSharedExperts:
      return "shared_experts";
    case TensorClass::kRouter:
      return "router";
    case TensorClass::kNorm:
      return "norm";
  }
  return "other";
}

}  // namespace hwplan::planner
