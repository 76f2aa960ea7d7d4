#include "planner/sweep.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/units.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::db;
using testing::model;

HardwareSpec card(double gib) {
  HardwareSpec hw;
  hw.id = "card";
  hw.backend = Backend::kCuda;
  hw.memory_bytes = gib_to_bytes(gib);
  hw.bandwidth_bytes_per_s = 1e12;
  hw.fp16_flop_per_s = 1e14;
  hw.host_memory_bytes = gib_to_bytes(64);
  return hw;
}

TEST(Sweep, CandidatesRunBestQualityFirst) {
  const auto candidates = quant_candidates(model("llama-3.1-8b"), db().quants);
  ASSERT_GT(candidates.size(), 15u);
  for (size_t i = 1; i < candidates.size(); ++i) {
    const auto& a = find_quant(db().quants, candidates[i - 1].id);
    const auto& b = find_quant(db().quants, candidates[i].id);
    EXPECT_GE(a.quality_rank, b.quality_rank) << a.id << " before " << b.id;
  }
}

// The answer fits in GPU memory and every better candidate does not.
TEST(Sweep, BestFittingQuantIsTheFirstThatFits) {
  const auto& m = model("llama-3.1-70b");
  const auto candidates = quant_candidates(m, db().quants);
  Workload w;
  w.context_tokens = 8192;
  for (double gib : {24.0, 48.0, 96.0}) {
    const auto hw = card(gib);
    const std::string best = best_fitting_quant(candidates, m, hw, w);
    ASSERT_FALSE(best.empty()) << gib;
    for (const auto& c : candidates) {
      const auto kind = fit_model(m, c.weights, hw, w).kind;
      if (c.id == best) {
        EXPECT_EQ(kind, FitKind::kGpu) << gib;
        break;
      }
      EXPECT_NE(kind, FitKind::kGpu) << c.id << " on " << gib << " GiB";
    }
  }
  // Nothing fits 4 GiB.
  EXPECT_EQ(best_fitting_quant(candidates, m, card(4), w), "");
}

// The best quant for llama.cpp is one llama.cpp loads: no MLX, GPTQ, EXL2 or ik_llama.cpp mix
// (whose experts are IQ*_K) even where one would fit better.
TEST(Sweep, CandidatesAreWhatTheEngineLoads) {
  const auto candidates = quant_candidates(model("mixtral-8x7b"), db().quants);
  for (const auto& c : candidates) {
    EXPECT_EQ(find_quant(db().quants, c.id).family, "gguf") << c.id;
    EXPECT_EQ(c.id.rfind("ik-", 0), std::string::npos) << c.id;
  }
  const auto exl2 = quant_candidates(model("mixtral-8x7b"), db().quants, "exllamav2");
  EXPECT_TRUE(std::any_of(exl2.begin(), exl2.end(),
                          [](const QuantCandidate& c) { return c.id == "exl2-4.0bpw"; }));
  EXPECT_LT(candidates.size(), db().quants.mixes.size());
  // Another engine's best quant is one of its own formats or the unquantized weights, never a
  // quantized GGUF mix (which it would only take as the same model at that size).
  const auto vllm = quant_candidates(model("mixtral-8x7b"), db().quants, "vllm");
  std::vector<std::string> ids;
  for (const auto& c : vllm) ids.push_back(c.id);
  for (const char* id : {"fp8", "awq-int4-g128", "gptq-int4-g128", "bf16"})
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  for (const char* id : {"q8_0", "q4_k_m", "iq2_xxs", "mlx-4bit", "exl2-4.0bpw"})
    EXPECT_EQ(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
}

// ExLlamaV2's best bitrate is the one its own memory holds (it cannot offload): Llama 3.1 70B with
// 32768 tokens of FP16 cache (10 GiB) on two RTX 3090s takes 4.0 bpw (about 33 GiB of weights
// on the GPUs) but not 5.0 (about 41 GiB), and nothing fits one RTX 4090.
TEST(Sweep, ExllamaBestQuantIsWhatItsOwnMemoryHolds) {
  const auto& m = model("llama-3.1-70b");
  const auto candidates = quant_candidates(m, db().quants, "exllamav2");
  Workload w;
  w.context_tokens = 32768;
  EXPECT_EQ(best_fitting_quant(candidates, m, find_hardware(db(), "2x-rtx-3090"), w, "exllamav2"),
            "exl2-4.0bpw");
  EXPECT_EQ(best_fitting_quant(candidates, m, find_hardware(db(), "rtx-4090"), w, "exllamav2"), "");
  // 65536 tokens (20 GiB of cache) on four RTX 3090s: 8.0 bpw (about 66 GiB) leaves too little
  // for whole layers beside each GPU's buffers in ExLlamaV2's split, while llama.cpp's plan (which
  // would take 8.0) says it fits; ExLlamaV2's best is 6.0.
  w.context_tokens = 65536;
  const auto four = find_hardware(db(), "4x-rtx-3090");
  EXPECT_EQ(best_fitting_quant(candidates, m, four, w, "exllamav2"), "exl2-6.0bpw");
  EXPECT_EQ(best_fitting_quant(candidates, m, four, w), "exl2-8.0bpw");
  // Its tensor parallel deals every layer and the cache out evenly (a quarter each, no whole
  // layers to round and no head on the last GPU alone), so 8.0 bpw fits the same four GPUs.
  const auto tensor = exllama_options(SplitMode::kTensor);
  EXPECT_EQ(best_fitting_quant(candidates, m, four, w, "exllamav2", tensor), "exl2-8.0bpw");
  const auto eight = std::find_if(candidates.begin(), candidates.end(),
                                  [](const QuantCandidate& c) { return c.id == "exl2-8.0bpw"; });
  ASSERT_NE(eight, candidates.end());
  EXPECT_TRUE(exllama_memory(m, eight->weights, four, w, tensor).fits);
  EXPECT_FALSE(exllama_memory(m, eight->weights, four, w).fits);
}

// vLLM's best quant is one its own memory starts with: Llama 3.1 70B on two RTX 3090s (90% of each
// for vLLM: 21.6 GiB) takes 4-bit AWQ (18.5 GiB of weights per GPU), not FP8 (about 33 GiB).
TEST(Sweep, VllmBestQuantIsOneItStartsWith) {
  const auto& m = model("llama-3.1-70b");
  const auto candidates = quant_candidates(m, db().quants, "vllm");
  Workload w;
  w.context_tokens = 8192;
  EXPECT_EQ(best_fitting_quant(candidates, m, find_hardware(db(), "2x-rtx-3090"), w, "vllm"),
            "awq-int4-g128");
  EXPECT_EQ(best_fitting_quant(candidates, m, find_hardware(db(), "rtx-4090"), w, "vllm"), "");
  // Gemma 3 27B on an RTX 5090: FP8 (about 25 GiB) is within llama.cpp's 31.5 usable GiB but
  // leaves vLLM's 28.8 (90%) too little for its buffers and an 8192-token cache.
  const auto& gemma = model("gemma-3-27b");
  const auto gemma_candidates = quant_candidates(gemma, db().quants, "vllm");
  const auto rtx5090 = find_hardware(db(), "rtx-5090");
  EXPECT_EQ(best_fitting_quant(gemma_candidates, gemma, rtx5090, w, "vllm"), "awq-int4-g128");
  EXPECT_EQ(best_fitting_quant(gemma_candidates, gemma, rtx5090, w), "fp8");
}

}  // namespace
}  // namespace hwplan::planner
