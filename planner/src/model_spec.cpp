#include "planner/model_spec.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/json_util.h"

namespace hwplan::planner {
namespace {

constexpr int64_t kMaxDimension = int64_t{1} << 24;  // sanity bound: no real model is this wide

// Reads HF config keys that can have several historical names.
std::optional<int64_t> first_integer(JsonObject& config, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (config.has(key)) return config.integer(key, 0, kMaxDimension);
  }
  return std::nullopt;
}

std::vector<LayerKind> layer_kinds_from_types(JsonObject& config, int64_t n_layers) {
  const auto& types = config.array("layer_types");
  if (static_cast<int64_t>(types.size()) != n_layers) {
    config.fail("layer_types",
                fmt::format("has {} entries, but num_hidden_layers is {}", types.size(), n_layers));
  }
  std::vector<LayerKind> kinds;
  for (const auto& type : types) {
    const std::string text = type.is_string() ? type.get<std::string>() : type.dump();
    if (text == "full_attention") {
      kinds.push_back(LayerKind::kFullAttention);
    } else if (text == "sliding_attention") {
      kinds.push_back(LayerKind::kSlidingAttention);
    } else if (text == "linear_attention") {
      kinds.push_back(LayerKind::kLinearAttention);
    } else {
      config.fail("layer_types", fmt::format("unknown layer type {}", text));
    }
  }
  return kinds;
}

// Which layers slide, attend fully or recur. HF configs say it in one of four ways.
std::vector<LayerKind> read_layer_kinds(JsonObject& config, const ModelSpec& model) {
  const auto n = model.n_layers;
  if (config.has("layer_types")) return layer_kinds_from_types(config, n);
  std::vector<LayerKind> kinds(static_cast<size_t>(n), LayerKind::kFullAttention);
  if (config.has("full_attention_interval")) {
    // Qwen3-Next: every k-th layer is full attention, the others linear attention.
    const int64_t interval = config.integer("full_attention_interval", 1, n);
    for (int64_t i = 0; i < n; ++i) {
      if ((i + 1) % interval != 0) kinds[static_cast<size_t>(i)] = LayerKind::kLinearAttention;
    }
    return kinds;
  }
  if (config.has("attention_chunk_size")) {
    // Llama 4: chunked attention (each token sees its chunk) in the RoPE layers, full attention
    // in the NoPE layers (no_rope_layers[i] == 0; every 4th when the list is absent, as llama.cpp
    // assumes). A chunk bounds the cache like a window does.
    std::vector<int64_t> rope(static_cast<size_t>(n), 1);
    for (int64_t i = 3; i < n; i += 4) rope[static_cast<size_t>(i)] = 0;
    if (config.has("no_rope_layers")) {
      const auto& list = config.array("no_rope_layers");
      if (list.size() == static_cast<size_t>(n)) {
        for (size_t i = 0; i < list.size(); ++i)
          rope[i] = list[i].is_number() && list[i] == 0 ? 0 : 1;
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      if (rope[static_cast<size_t>(i)] != 0)
        kinds[static_cast<size_t>(i)] = LayerKind::kSlidingAttention;
    }
    return kinds;
  }
  if (model.sliding_window > 0 && config.has("sliding_window_pattern")) {
    // Gemma 3: every k-th layer is global, the others use the sliding window.
    const int64_t pattern = config.integer("sliding_window_pattern", 1, n);
    for (int64_t i = 0; i < n; ++i) {
      if ((i + 1) % pattern != 0) kinds[static_cast<size_t>(i)] = LayerKind::kSlidingAttention;
    }
    return kinds;
  }
  if (model.sliding_window > 0) {
    // Mistral v0.1 style: every layer slides.
    for (auto& kind : kinds) kind = LayerKind::kSlidingAttention;
  }
  return kinds;
}

void read_moe(JsonObject& config, ModelSpec& model) {
  const auto experts =
      first_integer(config, {"num_local_experts", "num_experts", "n_routed_experts"});
  if (!experts || *experts == 0) return;
  model.moe.n_experts = *experts;
  const auto used = first_integer(config, {"num_experts_per_tok", "experts_per_token"});
  if (!used) config.fail("num_experts_per_tok", "missing for a mixture-of-experts model");
  model.moe.n_experts_per_token = *used;
  model.moe.expert_ffn_size =
      first_integer(config, {"moe_intermediate_size"}).value_or(model.ffn_size);
  if (const auto shared = first_integer(config, {"n_shared_experts"}); shared && *shared > 0) {
    model.moe.shared_ffn_size = *shared * model.moe.expert_ffn_size;
  }
  if (const auto shared = first_integer(config, {"shared_expert_intermediate_size"})) {
    model.moe.shared_ffn_size = *shared;
  }
  model.moe.n_dense_layers = first_integer(config, {"first_k_dense_replace"}).value_or(0);
  // Llama 4 routes each token to its experts and, always, one shared expert of the expert width
  // (transformers' Llama4TextMoe; llama.cpp's ffn_*_shexp); its config has no key for it.
  if (model.architecture == "llama4_text" && model.moe.shared_ffn_size == 0) {
    model.moe.shared_ffn_size = model.moe.expert_ffn_size;
  }
}

void read_attention_variants(JsonObject& config, ModelSpec& model) {
  if (config.has("kv_lora_rank")) {
    model.attention = AttentionKind::kMla;
    model.mla.kv_lora_rank = config.integer("kv_lora_rank", 1, kMaxDimension);
    model.mla.q_lora_rank = config.optional_integer("q_lora_rank", 0, kMaxDimension).value_or(0);
    model.mla.rope_head_dim = config.integer("qk_rope_head_dim", 1, kMaxDimension);
    model.mla.nope_head_dim = config.integer("qk_nope_head_dim", 1, kMaxDimension);
    model.mla.v_head_dim = config.integer("v_head_dim", 1, kMaxDimension);
    model.head_dim = model.mla.nope_head_dim + model.mla.rope_head_dim;
  }
  if (config.has("linear_num_value_heads")) {
    model.linear.n_key_heads = config.integer("linear_num_key_heads", 1, kMaxDimension);
    model.linear.n_value_heads = config.integer("linear_num_value_heads", 1, kMaxDimension);
    model.linear.key_head_dim = config.integer("linear_key_head_dim", 1, kMaxDimension);
    model.linear.value_head_dim = config.integer("linear_value_head_dim", 1, kMaxDimension);
    model.linear.conv_kernel = config.integer("linear_conv_kernel_dim", 1, kMaxDimension);
  }
}

}  // namespace

bool is_moe(const ModelSpec& model) { return model.moe.n_experts > 0; }

bool is_moe_layer(const ModelSpec& model, int64_t layer) {
  return is_moe(model) && layer >= model.moe.n_dense_layers;
}

ModelSpec model_from_hf_config(const nlohmann::json& root, const std::string& origin) {
  JsonObject top(root, origin, "");
  // Multimodal wrappers (Gemma 3) keep the language model under text_config.
  const bool nested = top.has("text_config");
  JsonObject config = nested ? top.object("text_config") : top;

  ModelSpec model;
  model.architecture = config.optional_string("model_type")
                           .value_or(top.optional_string("model_type").value_or("unknown"));
  model.n_layers = config.integer("num_hidden_layers", 1, kMaxDimension);
  model.hidden_size = config.integer("hidden_size", 1, kMaxDimension);
  model.n_heads = config.integer("num_attention_heads", 1, kMaxDimension);
  model.n_kv_heads =
      config.optional_integer("num_key_value_heads", 1, kMaxDimension).value_or(model.n_heads);
  model.head_dim = config.optional_integer("head_dim", 1, kMaxDimension)
                       .value_or(model.hidden_size / model.n_heads);
  // A model whose every layer is a mixture of experts (Qwen3.5/3.6) may state no dense FFN size;
  // its dense width is then the expert width (used by no layer).
  if (!config.has("intermediate_size") && config.has("moe_intermediate_size")) {
    model.ffn_size = config.integer("moe_intermediate_size", 1, kMaxDimension);
  } else {
    model.ffn_size = config.integer("intermediate_size", 1, kMaxDimension);
  }
  model.vocab_size = config.integer("vocab_size", 1, kMaxDimension);
  model.max_context = config.integer("max_position_embeddings", 1, int64_t{1} << 30);
  // Gemma ties embeddings unless told otherwise; everyone else unties by default.
  const bool default_tied = model.architecture.rfind("gemma", 0) == 0;
  model.tied_embeddings =
      top.optional_boolean("tie_word_embeddings")
          .value_or(config.optional_boolean("tie_word_embeddings").value_or(default_tied));
  model.qkv_bias =
      model.architecture == "qwen2" || config.optional_boolean("attention_bias").value_or(false);
  model.attention_out_bias = model.architecture == "gpt_oss";
  model.attention_output_gate = model.architecture == "qwen3_next";

  // Qwen2 configs carry a sliding_window that is switched off by use_sliding_window: false.
  const bool sliding_enabled = config.optional_boolean("use_sliding_window").value_or(true);
  if (sliding_enabled && config.has("sliding_window")) {
    model.sliding_window = config.integer("sliding_window", 1, int64_t{1} << 30);
  }
  if (config.has("attention_chunk_size")) {
    model.sliding_window = config.integer("attention_chunk_size", 1, int64_t{1} << 30);
  }
  read_moe(config, model);
  read_attention_variants(config, model);
  model.layer_kinds = read_layer_kinds(config, model);
  validate_model(model, origin);
  return model;
}

void validate_model(const ModelSpec& model, const std::string& origin) {
  auto fail = [&](const char* field, const std::string& problem) {
    throw_input("{}: {}: {}", origin, field, problem);
  };
  if (model.n_layers <= 0) fail("num_hidden_layers", "must be > 0");
  if (model.hidden_size <= 0) fail("hidden_size", "must be > 0");
  if (model.n_heads <= 0) fail("num_attention_heads", "must be > 0");
  if (model.n_kv_heads <= 0 || model.n_kv_heads > model.n_heads) {
    fail("num_key_value_heads",
         fmt::format("must be in 1..{} (the number of attention heads), got {}", model.n_heads,
                     model.n_kv_heads));
  }
  if (model.n_heads % model.n_kv_heads != 0) {
    fail("num_key_value_heads", fmt::format("{} attention heads are not divisible into {} KV heads",
                                            model.n_heads, model.n_kv_heads));
  }
  if (model.head_dim <= 0) fail("head_dim", "must be > 0");
  if (model.vocab_size <= 0) fail("vocab_size", "must be > 0");
  if (model.max_context <= 0) fail("max_position_embeddings", "must be > 0");
  if (static_cast<int64_t>(model.layer_kinds.size()) != model.n_layers) {
    fail("layer_types", "must have one entry per layer");
  }
  if (is_moe(model)) {
    if (model.moe.n_experts_per_token <= 0 || model.moe.n_experts_per_token > model.moe.n_experts) {
      fail("num_experts_per_tok", fmt::format("must be in 1..{} (the number of experts), got {}",
                                              model.moe.n_experts, model.moe.n_experts_per_token));
    }
    if (model.moe.expert_ffn_size <= 0) fail("moe_intermediate_size", "must be > 0");
    if (model.moe.n_dense_layers < 0 || model.moe.n_dense_layers > model.n_layers) {
      fail("first_k_dense_replace", "must be between 0 and the number of layers");
    }
  }
  bool has_linear = false;
  for (auto kind : model.layer_kinds) has_linear |= kind == LayerKind::kLinearAttention;
  if (has_linear && model.linear.n_value_heads <= 0) {
    fail("linear_num_value_heads", "linear-attention layers need the linear_* head fields");
  }
  bool has_sliding = false;
  for (auto kind : model.layer_kinds) has_sliding |= kind == LayerKind::kSlidingAttention;
  if (has_sliding && model.sliding_window <= 0) {
    fail("sliding_window", "sliding-attention layers need a sliding_window > 0");
  }
}

}  // namespace hwplan::planner
