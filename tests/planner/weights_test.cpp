#include "planner/weights.h"

#include <gtest/gtest.h>

#include "common/units.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::model;
using testing::quant;

// Llama 3.1 8B (hidden 4096, 32 layers, 32 heads, 8 KV heads of 128, FFN 14336, vocab 128256):
//   embedding = output = 128256 * 4096                     =   525,336,576
//   per layer: q, o 4096^2 each; k, v 4096*1024 each       =    41,943,040
//              SwiGLU 3 * 4096 * 14336                     =   176,160,768
//              2 RMSNorm weights 2 * 4096                  =         8,192
//   32 layers                                              = 6,979,584,000
//   + final norm 4096 -> total 8,030,261,248 parameters (the published "8.03B").
// At F16 the matrices take 2 bytes and the 65 norm vectors (266,240 values) stay F32:
//   (8,030,261,248 - 266,240) * 2 + 266,240 * 4 = 16,061,054,976 bytes = 16.06e9.
TEST(Weights, Llama31_8bAtF16Is16_06GB) {
  const auto inv = build_inventory(model("llama-3.1-8b"), quant("f16"));
  EXPECT_DOUBLE_EQ(total_params(inv), 8030261248.0);
  EXPECT_DOUBLE_EQ(total_weight_bytes(inv), 16061054976.0);
  EXPECT_NEAR(total_weight_bytes(inv) / 1e9, 16.06, 0.005);
}

// Mixtral 8x7B: 32 layers of attention (41,943,040) + 8 experts * 3 * 4096 * 14336
// (1,409,286,144) + router 4096 * 8 + norms 8192; plus 2 * 32000 * 4096 embeddings and a final
// norm = 46,702,792,704 parameters (the published 46.7B). Active: 2 of 8 experts
// -> 32 * (41,943,040 + 352,321,536 + 32,768 + 8,192) + output 131,072,000 + one embedding row
// 4096 + final norm 4096 = 12,748,857,344 (the published 12.9B counts the whole embedding).
TEST(Weights, MixtralTotalAndActiveParameters) {
  const auto& m = model("mixtral-8x7b");
  const auto inv = build_inventory(m, quant("f16"));
  EXPECT_DOUBLE_EQ(total_params(inv), 46702792704.0);
  EXPECT_DOUBLE_EQ(active_params(m, inv), 12748857344.0);
}

// Qwen3 30B-A3B: per layer attention 2048*4096*2 + 2048*512*2 = 18,874,368, experts
// 128 * 3 * 2048 * 768 = 603,979,776, router 262,144, norms 4096 -> 623,120,384 * 48 layers
// + 2 * 151936 * 2048 + 2048 = 30,532,110,336 total. Active: experts 8/128 -> 37,748,736;
// 48 * (18,874,368 + 37,748,736 + 262,144 + 4096) + output 311,164,928 + 2048 + 2048
// = 3,041,857,536.
TEST(Weights, Qwen3MoeTotalVersusActive) {
  const auto& m = model("qwen3-30b-a3b");
  const auto inv = build_inventory(m, quant("q8_0"));
  EXPECT_DOUBLE_EQ(total_params(inv), 30532110336.0);
  EXPECT_DOUBLE_EQ(active_params(m, inv), 3041857536.0);
  // The experts are 94.8% of the weights (mostly what --n-cpu-moe can move to host RAM).
  double experts = 0;
  for (const auto& g : inv.groups) experts += g.cls == TensorClass::kExperts ? g.bytes : 0.0;
  EXPECT_NEAR(experts / total_weight_bytes(inv), 0.9484, 0.0005);
}

// DeepSeek V3: 671B parameters without the multi-token-prediction layer (llama.cpp does not load
// it).
TEST(Weights, DeepSeekV3Is671B) {
  const auto inv = build_inventory(model("deepseek-v3"), quant("f16"));
  EXPECT_NEAR(total_params(inv) / 1e9, 671.0, 0.5);
  EXPECT_NEAR(active_params(model("deepseek-v3"), inv) / 1e9, 37.5, 1.0);  // published: 37B
}

// A tied embedding takes the output's type (llama-quantize), so Llama 3.2 1B at Q4_K_M stores
// token_embd as Q6_K: 128256 * 2048 * 6.5625 / 8 = 215,470,080 bytes, and has no output group.
TEST(Weights, TiedEmbeddingTakesTheOutputType) {
  const auto inv = build_inventory(model("llama-3.2-1b"), quant("q4_k_m"));
  EXPECT_DOUBLE_EQ(layer_weight_bytes(inv, -1), 215470080.0);
  EXPECT_DOUBLE_EQ(class_weight_bytes(inv, TensorClass::kOutput, 16), 0.0);
}

TEST(Weights, PublishedTotalsOfBundledModels) {
  // Published parameter counts (model cards), within 1.5%: ours omit biases and q/k norms.
  const std::vector<std::pair<std::string, double>> published = {
      {"llama-2-7b", 6.74},         {"llama-3.1-70b", 70.6},    {"llama-3.1-405b", 405.9},
      {"qwen2.5-72b", 72.7},        {"qwen3-235b-a22b", 235.1}, {"gpt-oss-120b", 116.8},
      {"gpt-oss-20b", 20.9},        {"kimi-k2", 1026.0},        {"gemma-3-27b", 27.0},
      {"qwen3-next-80b-a3b", 79.7}, {"mistral-7b", 7.25}};
  for (const auto& [id, billions] : published) {
    const auto inv = build_inventory(model(id), quant("bf16"));
    EXPECT_NEAR(total_params(inv) / 1e9, billions, billions * 0.015) << id;
  }
}

// The per-tensor rules of each K-quant mix, applied to Llama 3 8B, give the file sizes
// llama.cpp's tools/quantize/quantize.cpp lists for Llama-3-8B (GiB, two decimals there).
TEST(Weights, KQuantRulesGiveLlamaCppsPublishedSizes) {
  const std::vector<std::pair<std::string, double>> published = {
      {"q2_k", 2.96},   {"q3_k_s", 3.41}, {"q3_k_m", 3.74}, {"q3_k_l", 4.03}, {"q4_k_s", 4.37},
      {"q4_k_m", 4.58}, {"q5_k_s", 5.21}, {"q5_k_m", 5.33}, {"q6_k", 6.14},   {"q8_0", 7.96}};
  const auto& m = model("llama-3.1-8b");
  for (const auto& [id, gib] : published) {
    const double ours = bytes_to_gib(total_weight_bytes(build_inventory(m, quant(id))));
    EXPECT_NEAR(ours, gib, 0.015) << id;  // the list rounds to 0.01 GiB
  }
}

// Q4_K_M on Llama 3.1 8B, tensor by tensor: attn_v and ffn_down in Q6_K exactly in the
// use_more_bits layers (i < 4, i >= 28, (i - 4) % 3 == 2 of 32), Q4_K elsewhere.
TEST(Weights, Q4KmTypesTensorsAsLlamaQuantize) {
  const auto inv = build_inventory(model("llama-3.1-8b"), quant("q4_k_m"));
  auto type_of = [&](const std::string& name) {
    for (const auto& g : inv.groups) {
      if (g.name == name) return g.type;
    }
    return std::string("missing");
  };
  for (int layer : {0, 3, 6, 9, 27, 28, 31}) {
    EXPECT_EQ(type_of("blk." + std::to_string(layer) + ".attn_v.weight"), "Q6_K") << layer;
    EXPECT_EQ(type_of("blk." + std::to_string(layer) + ".ffn_down.weight"), "Q6_K") << layer;
  }
  for (int layer : {4, 5, 7, 8, 26}) {
    EXPECT_EQ(type_of("blk." + std::to_string(layer) + ".attn_v.weight"), "Q4_K") << layer;
    EXPECT_EQ(type_of("blk." + std::to_string(layer) + ".ffn_down.weight"), "Q4_K") << layer;
  }
  EXPECT_EQ(type_of("blk.5.attn_q.weight"), "Q4_K");
  EXPECT_EQ(type_of("output.weight"), "Q6_K");
  EXPECT_EQ(type_of("token_embd.weight"), "Q4_K");
}

// gpt-oss: routed experts MXFP4, the rest BF16 (native) or Q8_0 (llama.cpp's MXFP4_MOE).
TEST(Weights, MxfpMixesTypeOnlyTheExperts) {
  const auto& m = model("gpt-oss-120b");
  for (const auto& [id, other] :
       std::vector<std::pair<std::string, std::string>>{{"mxfp4", "BF16"}, {"mxfp4_moe", "Q8_0"}}) {
    for (const auto& g : build_inventory(m, quant(id)).groups) {
      if (g.cls == TensorClass::kExperts) {
        EXPECT_EQ(g.type, "MXFP4") << id << " " << g.name;
      } else if (g.cls == TensorClass::kAttention) {
        EXPECT_EQ(g.type, other) << id << " " << g.name;
      }
    }
  }
}

// MLX's affine formats: bits + 32/group bits per weight (an fp16 scale and bias per group), on
// every matrix including the embedding and the output; norms are not quantized. So 6-bit and
// 4-bit (group 64) differ by exactly 2 bits per matrix weight, and group 32 adds 0.5 bit.
TEST(Weights, MlxFormatsCostTheirBitsPlusScaleAndBiasPerGroup) {
  const auto& m = model("llama-3.1-8b");
  const auto four = build_inventory(m, quant("mlx-4bit"));
  double matrix_params = 0;
  for (const auto& g : four.groups) matrix_params += g.cls == TensorClass::kNorm ? 0 : g.n_params;
  EXPECT_NEAR(total_weight_bytes(build_inventory(m, quant("mlx-6bit"))) - total_weight_bytes(four),
              matrix_params * 2.0 / 8, 1.0);
  EXPECT_NEAR(
      total_weight_bytes(build_inventory(m, quant("mlx-4bit-g32"))) - total_weight_bytes(four),
      matrix_params * 0.5 / 8, 1.0);
  EXPECT_NEAR(total_weight_bytes(four) - total_weight_bytes(build_inventory(m, quant("mlx-mxfp4"))),
              matrix_params * 0.25 / 8, 1.0);
}

// ik_llama.cpp's types by their block structs: IQ4_K 144 bytes per 256 weights (4.5 bpw), IQ2_K
// 76 (2.375 bpw); the ik mixes put them on the routed experts only, Q8_0 (8.5 bpw) elsewhere.
TEST(Weights, IkMixesTypeTheExpertsWithIkTypes) {
  const auto& m = model("deepseek-v3");
  const auto four = build_inventory(m, quant("ik-q8-iq4_k"));
  const auto two = build_inventory(m, quant("ik-q8-iq2_k"));
  double expert_params = 0;
  double four_experts = 0;
  double two_experts = 0;
  for (size_t i = 0; i < four.groups.size(); ++i) {
    const auto& g = four.groups[i];
    if (g.cls == TensorClass::kExperts) {
      EXPECT_EQ(g.type, "IQ4_K") << g.name;
      EXPECT_EQ(two.groups[i].type, "IQ2_K") << g.name;
      expert_params += g.n_params;
      four_experts += g.bytes;
      two_experts += two.groups[i].bytes;
    } else if (g.cls == TensorClass::kAttention) {
      EXPECT_EQ(g.type, two.groups[i].type) << g.name;
    }
  }
  EXPECT_NEAR(four_experts, expert_params * 144.0 / 256.0, 1.0);
  EXPECT_NEAR(two_experts, expert_params * 76.0 / 256.0, 1.0);
}

// Quantized or not: by ggml type where the group has one (norms stay F32), else by bits per
// weight (MLX 4-bit matrices at 4.5 bpw are; an F16 checkpoint's are not).
TEST(Weights, QuantizedByTypeOrByBitsPerWeight) {
  const auto& m = model("llama-3.1-8b");
  for (const auto& g : build_inventory(m, quant("q4_k_m")).groups)
    EXPECT_EQ(is_quantized(g), g.cls != TensorClass::kNorm) << g.name;
  for (const auto& g : build_inventory(m, quant("f16")).groups) EXPECT_FALSE(is_quantized(g));
  for (const auto& g : build_inventory(m, quant("mlx-4bit")).groups) {
    if (g.cls != TensorClass::kNorm) {
      EXPECT_TRUE(is_quantized(g)) << g.name << " " << g.type;
    }
  }
  EXPECT_TRUE(quantized_bits(8.5));
  EXPECT_FALSE(quantized_bits(16.0));
}

}  // namespace
}  // namespace hwplan::planner
