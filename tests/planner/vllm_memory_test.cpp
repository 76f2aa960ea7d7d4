// vLLM's memory per GPU, by hand.
#include "planner/vllm_memory.h"

#include <gtest/gtest.h>

#include "common/units.h"
#include "planner/profiles.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;
using testing::model;
using testing::quant;

Workload context(int64_t tokens) {
  Workload w;
  w.context_tokens = tokens;
  return w;
}

// Llama 3.1 70B in BF16 on 4 x H100 80 GB (tensor parallel 4), vLLM's defaults:
//   budget 0.9 x 80 GiB = 72 GiB; weights / 4;
//   activations 2048 tokens x (4 x 8192 + 3 x 28672 / 4) x 2 B = 222,298,112 B;
//   CUDA graphs 0.5 GiB; runtime 0.6 GiB (the H100 profile's);
//   KV per token per GPU: 80 layers x 2 (K, V) x 8 / 4 = 2 heads x 128 x 2 B = 81,920 B,
//   capacity in whole 16-token blocks.
TEST(VllmMemory, TensorParallelSplitsWeightsAndKvHeads) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("bf16"));
  HardwareSpec hw = find_hardware(testing::db(), "h100-sxm");
  hw.gpu_count = 4;
  const auto v = vllm_memory(m, weights, hw, context(32768));
  EXPECT_EQ(v.tensor_parallel, 4);
  EXPECT_DOUBLE_EQ(v.budget_bytes, 0.9 * hw.memory_bytes);
  EXPECT_DOUBLE_EQ(v.weights_bytes, total_weight_bytes(weights) / 4);
  EXPECT_DOUBLE_EQ(v.activation_bytes, 222298112.0);
  EXPECT_DOUBLE_EQ(v.kv_bytes_per_token, 81920.0);
  const double budget = 0.9 * hw.memory_bytes - total_weight_bytes(weights) / 4 - 222298112.0 -
                        gib_to_bytes(0.5) - hw.runtime_overhead_bytes;
  EXPECT_DOUBLE_EQ(v.kv_budget_bytes, budget);
  EXPECT_EQ(v.kv_capacity_tokens, static_cast<int64_t>(budget / (81920.0 * 16)) * 16);
  EXPECT_TRUE(v.starts);
  EXPECT_DOUBLE_EQ(v.max_concurrency, static_cast<double>(v.kv_capacity_tokens) / 32768);
  EXPECT_EQ(vllm_command("meta-llama/Llama-3.1-70B-Instruct", v, context(32768)),
            "vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4 "
            "--max-model-len 32768 --gpu-memory-utilization 0.9");
}

// Fewer KV heads than GPUs: each GPU holds one whole KV head (Llama 3.1 8B, 8 KV heads, on 16).
// One GPU of 24 GiB cannot start a 70B in BF16, and says by how much.
TEST(VllmMemory, ReplicatedKvHeadsAndAModelThatDoesNotStart) {
  const auto& small = model("llama-3.1-8b");
  HardwareSpec hw = find_hardware(testing::db(), "h100-sxm");
  hw.gpu_count = 16;
  const auto v = vllm_memory(small, build_inventory(small, quant("bf16")), hw, context(8192));
  EXPECT_DOUBLE_EQ(v.kv_bytes_per_token, 32 * 2 * 1 * 128 * 2.0);
  const auto& big = model("llama-3.1-70b");
  const auto none = vllm_memory(big, build_inventory(big, quant("bf16")),
                                find_hardware(testing::db(), "rtx-4090"), context(8192));
  EXPECT_FALSE(none.starts);
  EXPECT_LT(none.kv_budget_bytes, 0);
  EXPECT_NE(none.reason.find("does not start"), std::string::npos) << none.reason;
}

TEST(VllmMemory, RefusesHeadsThatDoNotSplitAndMachinesItDoesNotServe) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("bf16"));
  HardwareSpec three = find_hardware(testing::db(), "h100-sxm");
  three.gpu_count = 3;
  EXPECT_EQ(error_of([&] { vllm_memory(m, weights, three, context(4096)); }),
            "vllm: 32 attention heads of llama-3.1-8b do not split over 3 GPUs (tensor parallel)");
  EXPECT_EQ(error_of([&] {
              vllm_memory(m, weights, find_hardware(testing::db(), "m4-max-128"), context(4096));
            }),
            "vllm: m4-max-128 is not a CUDA or ROCm GPU machine");
}

}  // namespace
}  // namespace hwplan::planner
