#include "planner/model_spec.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;
using testing::model;

TEST(ModelSpec, ReadsLlamaConfig) {
  const auto& m = model("llama-3.1-8b");
  EXPECT_EQ(m.n_layers, 32);
  EXPECT_EQ(m.n_kv_heads, 8);
  EXPECT_EQ(m.head_dim, 128);  // hidden / heads when head_dim is absent
  EXPECT_FALSE(m.tied_embeddings);
  EXPECT_FALSE(is_moe(m));
}

TEST(ModelSpec, ReadsArchitectureVariants) {
  const auto& ds = model("deepseek-v3");
  EXPECT_EQ(ds.attention, AttentionKind::kMla);
  EXPECT_EQ(ds.mla.kv_lora_rank, 512);
  EXPECT_EQ(ds.moe.n_dense_layers, 3);
  EXPECT_FALSE(is_moe_layer(ds, 2));
  EXPECT_TRUE(is_moe_layer(ds, 3));
  EXPECT_EQ(ds.moe.shared_ffn_size, 2048);

  const auto& gemma = model("gemma-3-27b");  // nested text_config, ties by default
  EXPECT_TRUE(gemma.tied_embeddings);
  EXPECT_EQ(gemma.layer_kinds[4], LayerKind::kSlidingAttention);
  EXPECT_EQ(gemma.layer_kinds[5], LayerKind::kFullAttention);

  const auto& next = model("qwen3-next-80b-a3b");
  EXPECT_EQ(next.layer_kinds[0], LayerKind::kLinearAttention);
  EXPECT_EQ(next.layer_kinds[3], LayerKind::kFullAttention);

  const auto& qwen = model("qwen2.5-7b");  // sliding_window present but switched off
  EXPECT_EQ(qwen.sliding_window, 0);
  EXPECT_TRUE(qwen.qkv_bias);
}

TEST(ModelSpec, MissingOrImpossibleFieldsNameThePointer) {
  auto config = nlohmann::json::parse(R"({"hidden_size": 4096, "num_hidden_layers": 32,
      "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000,
      "max_position_embeddings": 4096})");
  EXPECT_EQ(error_of([&] { model_from_hf_config(config, "config.json"); }),
            "config.json: /intermediate_size: missing required field");
  config["intermediate_size"] = 11008;
  config["num_key_value_heads"] = 5;
  EXPECT_EQ(
      error_of([&] { model_from_hf_config(config, "config.json"); }),
      "config.json: num_key_value_heads: 32 attention heads are not divisible into 5 KV heads");
  config["num_key_value_heads"] = 8;
  config["num_hidden_layers"] = 0;
  EXPECT_EQ(error_of([&] { model_from_hf_config(config, "config.json"); }),
            "config.json: /num_hidden_layers: must be >= 1, got 0");
  config["num_hidden_layers"] = 32;
  config["num_local_experts"] = 8;
  EXPECT_EQ(error_of([&] { model_from_hf_config(config, "config.json"); }),
            "config.json: /num_experts_per_tok: missing for a mixture-of-experts model");
  config["num_experts_per_tok"] = 9;
  EXPECT_EQ(error_of([&] { model_from_hf_config(config, "config.json"); }),
            "config.json: num_experts_per_tok: must be in 1..8 (the number of experts), got 9");
  config["num_experts_per_tok"] = 2;
  EXPECT_EQ(model_from_hf_config(config, "config.json").moe.n_experts, 8);
}

TEST(ModelSpec, LayerTypesMustMatchLayerCount) {
  const auto config = nlohmann::json::parse(R"({"hidden_size": 64, "num_hidden_layers": 3,
      "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
      "max_position_embeddings": 512, "sliding_window": 16,
      "layer_types": ["sliding_attention", "full_attention"]})");
  EXPECT_EQ(error_of([&] { model_from_hf_config(config, "c.json"); }),
            "c.json: /layer_types: has 2 entries, but num_hidden_layers is 3");
}

// Qwen3.5/3.6 state no dense FFN size (every layer is a mixture of experts): the expert width
// stands in; a config with neither size is refused naming intermediate_size.
TEST(ModelSpec, AllExpertModelsNeedNoDenseFfnSize) {
  auto config = nlohmann::json::parse(R"({"hidden_size": 64, "num_hidden_layers": 2,
      "num_attention_heads": 4, "vocab_size": 100, "max_position_embeddings": 512,
      "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 32})");
  const auto m = model_from_hf_config(config, "c.json");
  EXPECT_EQ(m.ffn_size, 32);
  EXPECT_EQ(m.moe.expert_ffn_size, 32);
  EXPECT_EQ(m.moe.n_experts, 8);
  config.erase("moe_intermediate_size");
  EXPECT_NE(error_of([&] { model_from_hf_config(config, "c.json"); }).find("intermediate_size"),
            std::string::npos);
}

// Llama 4 Scout's config: chunked attention (8192) in the RoPE layers, full in the NoPE layers
// (no_rope_layers 0: every 4th), and one shared expert of the expert width that no key states.
TEST(ModelSpec, Llama4ChunkedAttentionAndItsSharedExpert) {
  const auto& m = model("llama-4-scout");
  EXPECT_EQ(m.sliding_window, 8192);
  int64_t full = 0;
  for (const auto kind : m.layer_kinds) full += kind == LayerKind::kFullAttention ? 1 : 0;
  EXPECT_EQ(full, 12);
  EXPECT_EQ(m.layer_kinds[3], LayerKind::kFullAttention);
  EXPECT_EQ(m.layer_kinds[4], LayerKind::kSlidingAttention);
  EXPECT_EQ(m.moe.n_experts, 16);
  EXPECT_EQ(m.moe.n_experts_per_token, 1);
  EXPECT_EQ(m.moe.shared_ffn_size, 8192);
}

}  // namespace
}  // namespace hwplan::planner
