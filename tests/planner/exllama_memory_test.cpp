// ExLlamaV2's memory per GPU, by hand.
#include "planner/exllama_memory.h"

#include <gtest/gtest.h>

#include "planner/profiles.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;
using testing::model;
using testing::quant;

Workload context(int64_t tokens, const std::string& kv = "F16") {
  Workload w;
  w.context_tokens = tokens;
  w.kv_cache = find_kv_cache_type(testing::db().quants, kv);
  return w;
}

// Its cache classes: FP16, and Q8/Q6/Q4 with an FP16 scale per 32 values.
TEST(ExllamaMemory, CacheModesAndBytes) {
  EXPECT_EQ(exllama_cache_mode({"F16", 2}), "FP16");
  EXPECT_EQ(exllama_cache_mode({"Q8_0", 1.0625}), "Q8");
  EXPECT_EQ(exllama_cache_mode({"Q5_1", 0.75}), "Q6");
  EXPECT_EQ(exllama_cache_mode({"Q4_0", 0.5625}), "Q4");
  EXPECT_DOUBLE_EQ(exllama_cache_element_bytes("FP16"), 2.0);
  EXPECT_DOUBLE_EQ(exllama_cache_element_bytes("Q8"), 1.0 + 2.0 / 32);
  EXPECT_DOUBLE_EQ(exllama_cache_element_bytes("Q6"), 0.75 + 2.0 / 32);
  EXPECT_DOUBLE_EQ(exllama_cache_element_bytes("Q4"), 0.5 + 2.0 / 32);
}

// Llama 3.1 8B at EXL2 4.0 bpw on one RTX 4090, 8192 tokens of FP16 cache:
//   KV per token: 32 layers x 2 (K, V) x 8 heads x 128 x 2 B = 131,072 B; 8192 tokens: 1 GiB.
//   Buffers (hidden 4096, 32 heads, FFN 14336, vocabulary 128256, a 2048-token pass):
//     rotary 128 x 8192 x 2 B x 2 = 4,194,304; hidden state 2048 x 4096 x 2 = 16,777,216;
//     mask 2048^2 x 2 = 8,388,608; the largest scratch is the head's dequantized matrix,
//     2 x min(4096 x 128256, 512 Mi) = 1,050,673,152 (attention's 209,715,200 and the FFN's
//     251,658,240 are smaller); attention workspace 2 x floor(2048^2 / (2048 / 190)) x 32 x 2 =
//     2 x 389,120 x 64 = 49,807,360. Sum: 1,129,840,640 B.
//   A Q4 cache adds one layer's FP16 K and V: 2 x 1024 x 2 B x 8192 = 33,554,432 B.
TEST(ExllamaMemory, OneGpuByHand) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("exl2-4.0bpw"));
  const auto hw = find_hardware(testing::db(), "rtx-4090");
  const auto x = exllama_memory(m, weights, hw, context(8192));
  EXPECT_TRUE(x.fits) << x.reason;
  EXPECT_EQ(x.cache_mode, "FP16");
  EXPECT_DOUBLE_EQ(x.kv_bytes_per_token, 131072.0);
  ASSERT_EQ(x.devices.size(), 1u);
  const auto& dev = x.devices[0];
  EXPECT_EQ(dev.layers, 32);
  EXPECT_TRUE(dev.output);
  EXPECT_DOUBLE_EQ(dev.kv_bytes, 1024.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(dev.buffers_bytes, 1129840640.0);
  // Every weight but the embedding, which stays in host memory.
  EXPECT_DOUBLE_EQ(dev.weights_bytes,
                   total_weight_bytes(weights) - layer_weight_bytes(weights, -1));
  EXPECT_DOUBLE_EQ(dev.capacity_bytes, hw.memory_bytes - hw.gpu_memory_reserved_bytes);
  EXPECT_DOUBLE_EQ(x.need_bytes, dev.total_bytes());
  EXPECT_DOUBLE_EQ(x.host_bytes, layer_weight_bytes(weights, -1));

  const auto q4 = exllama_memory(m, weights, hw, context(8192, "q4_0"));
  EXPECT_EQ(q4.cache_mode, "Q4");
  EXPECT_DOUBLE_EQ(q4.kv_bytes_per_token, 32 * 2 * 1024 * (0.5 + 2.0 / 32));
  EXPECT_DOUBLE_EQ(q4.devices[0].buffers_bytes, 1129840640.0 + 33554432.0);
}

// 70B at 4.0 bpw: two RTX 3090s hold it, filled in order; one RTX 4090 does not, and ExLlamaV2
// has no CPU offload to fall back on.
TEST(ExllamaMemory, FillsGpusInOrderAndDoesNotOffload) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("exl2-4.0bpw"));
  const auto two =
      exllama_memory(m, weights, find_hardware(testing::db(), "2x-rtx-3090"), context(8192));
  EXPECT_TRUE(two.fits) << two.reason;
  ASSERT_EQ(two.devices.size(), 2u);
  EXPECT_EQ(two.devices[0].layers + two.devices[1].layers, 80);
  EXPECT_GT(two.devices[0].layers, two.devices[1].layers);  // the first GPU is filled first
  EXPECT_FALSE(two.devices[0].output);
  EXPECT_TRUE(two.devices[1].output);
  for (const auto& dev : two.devices) EXPECT_LE(dev.total_bytes(), dev.capacity_bytes);
  const auto one =
      exllama_memory(m, weights, find_hardware(testing::db(), "rtx-4090"), context(8192));
  EXPECT_FALSE(one.fits);
  EXPECT_LT(one.layers_placed, 80);
  EXPECT_NE(one.reason.find("does not offload"), std::string::npos) << one.reason;
}

// A tied model (Llama 3.2 1B) has no output matrix of its own: ExLlamaV2's head on the GPU is the
// embedding matrix at the head's bitrate, while the embedding itself stays in host memory.
TEST(ExllamaMemory, TiedModelCarriesItsHead) {
  const auto& m = model("llama-3.2-1b");
  ASSERT_TRUE(m.tied_embeddings);
  const auto weights = build_inventory(m, quant("exl2-4.0bpw"));
  const auto x =
      exllama_memory(m, weights, find_hardware(testing::db(), "rtx-4090"), context(4096));
  ASSERT_EQ(x.devices.size(), 1u);
  EXPECT_DOUBLE_EQ(x.devices[0].weights_bytes, total_weight_bytes(weights));
}

// Tensor parallel over four RTX 3090s, Llama 3.1 70B at 4.0 bpw, 32768 tokens of FP16 cache:
// each GPU holds 2 of the 8 KV heads of every layer, 80 x 2 x (K, V) x 128 x 32768 x 2 B =
// 2.5 GiB of cache (the layer split's 10 GiB over four), a quarter of every matrix and of the head,
// and every norm. Over three GPUs the heads go 3, 3, 2 and the cache and attention follow them.
TEST(ExllamaMemory, TensorParallelSharesEveryLayer) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("exl2-4.0bpw"));
  HardwareSpec hw = find_hardware(testing::db(), "4x-rtx-3090");
  ExllamaOptions tp;
  tp.tensor_parallel = true;
  const auto x = exllama_memory(m, weights, hw, context(32768), tp);
  EXPECT_TRUE(x.tensor_parallel);
  EXPECT_TRUE(x.fits) << x.reason;
  ASSERT_EQ(x.devices.size(), 4u);
  double norms = 0;
  for (int64_t layer = 0; layer < m.n_layers; ++layer)
    norms += class_weight_bytes(weights, TensorClass::kNorm, layer);
  double weights_sum = 0;
  for (const auto& dev : x.devices) {
    EXPECT_EQ(dev.kv_heads, 2);
    EXPECT_EQ(dev.layers, 80);
    EXPECT_DOUBLE_EQ(dev.kv_bytes, 80.0 * 2 * 2 * 128 * 32768 * 2);
    weights_sum += dev.weights_bytes;
  }
  EXPECT_NEAR(weights_sum,
              total_weight_bytes(weights) - layer_weight_bytes(weights, -1) + 3 * norms, 1.0);

  hw.gpu_count = 3;
  const auto three = exllama_memory(m, weights, hw, context(32768), tp);
  ASSERT_EQ(three.devices.size(), 3u);
  EXPECT_EQ(three.devices[0].kv_heads, 3);
  EXPECT_EQ(three.devices[1].kv_heads, 3);
  EXPECT_EQ(three.devices[2].kv_heads, 2);
  EXPECT_DOUBLE_EQ(three.devices[2].kv_bytes, three.devices[0].kv_bytes * 2 / 3);
  EXPECT_LT(three.devices[2].weights_bytes, three.devices[0].weights_bytes);

  // Its tensor-parallel attention has no sliding window.
  const auto& gemma = model("gemma-3-27b");
  EXPECT_NE(error_of([&] {
              exllama_memory(gemma, build_inventory(gemma, quant("exl2-4.0bpw")), hw, context(4096),
                             tp);
            }).find("sliding-window layers"),
            std::string::npos);
}

// The longest context ExLlamaV2 holds: the context that fits with the next 256-token step not;
// the model's own maximum where everything fits.
TEST(ExllamaMemory, MaxContextIsTheLastStepThatFits) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("exl2-4.0bpw"));
  const auto hw = find_hardware(testing::db(), "2x-rtx-3090");
  const int64_t longest = exllama_max_context(m, weights, hw, context(4096));
  EXPECT_GT(longest, 8192);
  EXPECT_LT(longest, m.max_context);
  EXPECT_EQ(longest % 256, 0);
  EXPECT_TRUE(exllama_memory(m, weights, hw, context(longest)).fits);
  EXPECT_FALSE(exllama_memory(m, weights, hw, context(longest + 256)).fits);
  const auto& small = model("llama-3.2-1b");
  EXPECT_EQ(
      exllama_max_context(small, build_inventory(small, quant("exl2-4.0bpw")),
                          find_hardware(testing::db(), "rtx-pro-6000-blackwell"), context(4096)),
      small.max_context);
  EXPECT_EQ(
      exllama_max_context(m, weights, find_hardware(testing::db(), "rtx-4090"), context(4096)), 0);
}

TEST(ExllamaMemory, MachinesAndModelsItDoesNotRun) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("exl2-4.0bpw"));
  EXPECT_NE(error_of([&] {
              exllama_memory(m, weights, find_hardware(testing::db(), "m4-max-128"), context(4096));
            }).find("not a CUDA or ROCm GPU machine"),
            std::string::npos);
  const auto& mla = model("deepseek-v3");
  EXPECT_NE(error_of([&] {
              exllama_memory(mla, build_inventory(mla, quant("exl2-4.0bpw")),
                             find_hardware(testing::db(), "h100-sxm"), context(4096));
            }).find("MLA attention"),
            std::string::npos);
  // Architectures newer than ExLlamaV2's last additions (none in its architecture.py).
  const auto& oss = model("gpt-oss-20b");
  EXPECT_NE(error_of([&] {
              exllama_memory(oss, build_inventory(oss, quant("exl2-4.0bpw")),
                             find_hardware(testing::db(), "rtx-4090"), context(4096));
            }).find("a gpt_oss model, an architecture ExLlamaV2 does not have"),
            std::string::npos);
}

// ExLlamaV3: the same split with its cache in whole 256-token pages and 0.5 GiB kept free on
// every GPU. Llama 3.1 8B at EXL3 4.0 bpw on one RTX 4090, 8000 tokens of FP16 cache: the cache
// holds 8192 (32 pages), 1 GiB; the buffers are ExLlamaV2's at 8000 tokens (the rotary tables
// 128 x 8000 x 2 B x 2 = 4,096,000, the rest as at 8192 tokens above: 1,125,646,336) plus
// 536,870,912 B: 1,666,613,248 B. ExLlamaV2 at the same 8000 tokens holds 8000 x 131,072 B.
TEST(ExllamaMemory, ExllamaV3PagesItsCacheAndKeepsItsReserve) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("exl3-4.0bpw"));
  const auto hw = find_hardware(testing::db(), "rtx-4090");
  const auto v3 = exllama_options(SplitMode::kLayer, "exllamav3");
  const auto x = exllama_memory(m, weights, hw, context(8000), v3);
  EXPECT_TRUE(x.fits) << x.reason;
  EXPECT_EQ(x.engine, "ExLlamaV3");
  ASSERT_EQ(x.devices.size(), 1u);
  EXPECT_DOUBLE_EQ(x.devices[0].kv_bytes, 1024.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(x.devices[0].buffers_bytes, 1666613248.0);
  const auto v2 = exllama_memory(m, weights, hw, context(8000));
  EXPECT_EQ(v2.engine, "ExLlamaV2");
  EXPECT_DOUBLE_EQ(v2.devices[0].kv_bytes, 8000.0 * 131072);
  EXPECT_DOUBLE_EQ(v2.devices[0].buffers_bytes, 1129742336.0);
  // Its quantized caches take 2-8 bits: a Q5 cache is 5 bits plus an FP16 scale per 32 values.
  EXPECT_EQ(exllama_cache_mode({"Q5_0", 0.6875}, 3), "Q5");
  EXPECT_EQ(exllama_cache_mode({"Q5_0", 0.6875}, 2), "Q6");
  EXPECT_DOUBLE_EQ(exllama_cache_element_bytes("Q5"), 5.0 / 8 + 2.0 / 32);
  // 70B at 4.0 bpw does not fit one RTX 4090, and it does not offload either.
  const auto& big = model("llama-3.1-70b");
  EXPECT_FALSE(
      exllama_memory(big, build_inventory(big, quant("exl3-4.0bpw")), hw, context(4096), v3).fits);
}

// ExLlamaV3 runs MLA and linear-attention layers, which this memory model has no rule for: it
// says so (callers keep llama.cpp's plan) rather than refusing the model as ExLlamaV2's does.
TEST(ExllamaMemory, ExllamaV3MemoryNotModelledForMlaIsSaidNotRefused) {
  const auto& mla = model("deepseek-v3");
  const auto hw = find_hardware(testing::db(), "h100-sxm");
  const auto v3 = exllama_options(SplitMode::kLayer, "exllamav3");
  EXPECT_NE(exllama_not_modelled(mla, hw, v3).find("not modelled where deepseek-v3 has MLA"),
            std::string::npos);
  EXPECT_EQ(exllama_not_modelled(mla, hw, exllama_options(SplitMode::kLayer)), "");
  EXPECT_EQ(exllama_not_modelled(model("llama-3.1-8b"), hw, v3), "");
}

}  // namespace
}  // namespace hwplan::planner
