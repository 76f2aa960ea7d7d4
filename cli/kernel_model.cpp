#include "kernel_model.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "model_source.h"
#include "planner/gguf_model.h"
#include "platform/affinity.h"

namespace hwplan::cli {

kernels::LlamaShape layout_shape_for(const planner::ModelSpec& m) {
  kernels::LlamaShape s;
  s.n_layer = m.n_layers;
  s.n_embd = m.hidden_size;
  s.n_head = m.n_heads;
  s.n_head_kv = m.n_kv_heads;
  s.head_dim = m.head_dim;
  s.n_ff = m.ffn_size;
  s.n_vocab = m.vocab_size;
  s.rope_dim = m.head_dim;
  s.context_length = m.max_context;
  return s;
}

kernels::MoeShape moe_shape_for(const planner::ModelSpec& m) {
  auto refuse = [&](const std::string& what) {
    throw Error(ErrorKind::kUnsupported,
                fmt::format("model '{}': {}; synth writes mixtures of experts in llama.cpp's "
                            "llama/qwen2moe layout (e.g. mixtral-8x7b)",
                            m.id, what));
  };
  if (!planner::is_moe(m)) refuse("not a mixture of experts");
  if (m.attention != planner::AttentionKind::kGqa || m.sliding_window > 0 ||
      m.attention_output_gate ||
      std::any_of(m.layer_kinds.begin(), m.layer_kinds.end(),
                  [](planner::LayerKind k) { return k != planner::LayerKind::kFullAttention; })) {
    refuse("attention other than full GQA");
  }
  if (m.n_heads * m.head_dim != m.hidden_size) {
    refuse(fmt::format("{} heads x {} does not equal the hidden size {}", m.n_heads, m.head_dim,
                       m.hidden_size));
  }
  if (m.moe.n_dense_layers > 0) refuse("dense leading layers");
  kernels::MoeShape s;
  s.base = layout_shape_for(m);
  s.n_expert = m.moe.n_experts;
  s.n_expert_used = m.moe.n_experts_per_token;
  s.expert_ff = m.moe.expert_ffn_size;
  s.shared_ff = m.moe.shared_ffn_size;
  return s;
}

kernels::LlamaShape llama_shape_for(const planner::ModelSpec& m) {
  auto refuse = [&](const char* what) {
    throw Error(ErrorKind::kUnsupported,
                fmt::format("model '{}': {}; the reference kernel runs dense Llama-architecture "
                            "models (llama-3.x, llama-2, mistral, qwen3 dense)",
                            m.id, what));
  };
  if (planner::is_moe(m)) refuse("mixture of experts");
  if (m.attention != planner::AttentionKind::kGqa) refuse("latent attention (MLA)");
  if (m.sliding_window > 0) refuse("sliding-window layers");
  if (std::any_of(m.layer_kinds.begin(), m.layer_kinds.end(),
                  [](planner::LayerKind k) { return k != planner::LayerKind::kFullAttention; })) {
    refuse("recurrent layers");
  }
  if (m.attention_output_gate) refuse("gated attention output");
  return layout_shape_for(m);
}

kernels::SynthMix parse_mix(const std::string& name) {
  if (const auto mix = kernels::synth_mix_from_name(name)) return *mix;
  throw_input("unknown weight format '{}': use one of {}", name,
              fmt::join(kernels::synth_mix_names(), ", "));
}

planner::WeightInventory inventory_of(const kernels::SynthModel& model) {
  std::vector<planner::TensorRecord> records;
  for (const auto& t : model.tensors) {
    double n = 1;
    for (int64_t d : t.shape) n *= static_cast<double>(d);
    records.push_back({t.name, static_cast<int64_t>(t.shape.size()), n,
                       static_cast<double>(t.bytes), std::string(kernels::format_name(t.format))});
  }
  return planner::inventory_from_tensors(records, model.weights.shape.n_layer, model.name);
}

int default_kernel_threads() {
  return std::max<int>(1, static_cast<int>(platform::allowed_cpus().size()));
}

std::string planner_quant_for(kernels::SynthMix mix) {
  if (mix == kernels::SynthMix::kQ4K) return "q4_k_s";
  return std::string(kernels::synth_mix_name(mix));
}

}  // namespace hwplan::cli
