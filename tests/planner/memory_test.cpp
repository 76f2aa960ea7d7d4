#include "planner/memory.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;
using testing::model;

const KvCacheType kF16{"F16", 2.0};
const KvCacheType kQ8_0{"Q8_0", 34.0 / 32.0};

Workload workload(int64_t context, int64_t batch = 1, KvCacheType kv = kF16) {
  Workload w;
  w.context_tokens = context;
  w.batch = batch;
  w.kv_cache = kv;
  return w;
}

// Llama 3.1 8B: 2 (K and V) x 32 layers x 8 KV heads x 128 dims x 2 bytes = 131,072 B = 128 KiB.
TEST(KvCache, Llama31_8bIs128KibPerTokenAtF16) {
  const auto& m = model("llama-3.1-8b");
  EXPECT_DOUBLE_EQ(kv_bytes_per_token_per_layer(m, kF16) * 32, 131072.0);
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(8192)), 8192.0 * 131072.0);  // 1 GiB
  // Q8_0: 34 bytes per 32 values -> 131072 * 17/32 per token; llama.cpp rounds the context up to
  // 256 cells, so one token takes 256 cells.
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(1, 1, kQ8_0)), 256 * 69632.0);
  // Two sequences hold two caches, each of 1000 tokens rounded up to 1024 cells.
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(1000, 2)), 2.0 * 1024.0 * 131072.0);
}

// DeepSeek V3 MLA caches (kv_lora_rank 512 + rope dim 64) values per layer per token:
// 576 x 61 layers x 2 bytes = 70,272 bytes per token (68.6 KiB). Full K (128 heads x 192) and V
// (128 x 128) would be 40,960 x 61 x 2 = 4,997,120 bytes (4.8 MiB) per token.
TEST(KvCache, DeepSeekV3MlaLatent) {
  const auto& m = model("deepseek-v3");
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(1)), 256 * 70272.0);  // 256 cells at least
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(32768)), 70272.0 * 32768.0);
}

// gpt-oss-20b: 12 full layers keep every token; 12 sliding layers keep window 128 + ubatch 512 =
// 640 tokens, padded to 768 cells as llama.cpp's SWA cache is. Per layer per token 2 x 8 x 64 x 2
// = 2048 B -> 8192 x 12 x 2048 + 768 x 12 x 2048.
TEST(KvCache, SlidingWindowLayersAreCapped) {
  const auto& m = model("gpt-oss-20b");
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(8192)), 201326592.0 + 18874368.0);
  // Below the cap every layer holds the whole (padded) context: 100 tokens -> 256 cells.
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(100)), 256.0 * 24 * 2048);
}

// Qwen3-Next: 36 Gated DeltaNet layers hold F32 state: conv 3 x (2 x 16 x 128 + 32 x 128) =
// 24,576 plus delta state 32 x 128 x 128 = 524,288 values -> 2,195,456 B per layer; 12 full
// attention layers hold 2 x 2 x 256 x 2 = 2048 B per token.
TEST(KvCache, RecurrentLayersHoldConstantState) {
  const auto& m = model("qwen3-next-80b-a3b");
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(1)), 36 * 2195456.0 + 12 * 2048.0 * 256);
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(4096, 2)), 2 * (36 * 2195456.0 + 12 * 2048.0 * 4096));
}

// Gemma 3 27B: 52 of 62 layers slide (window 1024), every 6th is global: 2 x 16 x 128 x 2 =
// 8192 B per token per layer -> at 32768 tokens: 10 x 32768 x 8192 + 52 x 1536 x 8192.
TEST(KvCache, Gemma3Pattern) {
  const auto& m = model("gemma-3-27b");
  EXPECT_DOUBLE_EQ(kv_cache_bytes(m, workload(32768)), 10.0 * 32768 * 8192 + 52.0 * 1536 * 8192);
}

TEST(ComputeBuffer, LogitsPhaseDominatesALargeVocabulary) {
  // Llama 3.1 8B, flash attention: the output phase, 128256 logits + 2 x 4096 + 1 = 136449 F32
  // values per token, beats the feed-forward phase (3 x 14336 + 4 x 4096 + 8192 / 2 = 63488).
  EXPECT_DOUBLE_EQ(compute_buffer_bytes(model("llama-3.1-8b"), workload(8192)), 4.0 * 512 * 136449);
  // A 100-token context never has a 512-token batch.
  EXPECT_DOUBLE_EQ(compute_buffer_bytes(model("llama-3.1-8b"), workload(100)), 4.0 * 100 * 136449);
}

TEST(ComputeBuffer, FeedForwardPhaseDominatesASmallVocabulary) {
  // Llama 2 7B (vocab 32000, FFN 11008), flash attention, 4096 cells: 3 x 11008 + 4 x 4096 + the
  // F16 mask 4096 / 2 = 51456 values per token. llama.cpp de3ff81 counts 105,396,224 bytes for a
  // 512-token ubatch (scripts/llama_conformance.sh): 4 x 512 x 51456 = 105,381,888 (-0.01%).
  EXPECT_DOUBLE_EQ(compute_buffer_bytes(model("llama-2-7b"), workload(4096)), 4.0 * 512 * 51456);
}

TEST(ComputeBuffer, MixtureOfExpertsIsAsWideAsItsRoutedExperts) {
  // Mixtral 8x7B, flash attention, 4096 cells: 2 of 8 experts of 14336 -> 3 x 28672 + 4 x 4096 +
  // 4096 / 2 = 104448 values per token; llama.cpp counts 213,923,840 bytes for a 512-token
  // ubatch (scripts/llama_conformance.sh): 4 x 512 x 104448 = 213,909,504 (-0.007%).
  EXPECT_DOUBLE_EQ(compute_buffer_bytes(model("mixtral-8x7b"), workload(4096)), 4.0 * 512 * 104448);
}

TEST(ComputeBuffer, LatentAttentionHoldsItsQueriesInLatentSpace) {
  // DeepSeek V3, flash attention, 4096 cells: 128 heads x (512 latent + 64 RoPE) + 2 x 128 x 512 +
  // 4096 / 2 = 206848 values per token, above the logits (129280 + 2 x 7168 + 1 = 143617).
  // llama.cpp counts 432,025,600 bytes for a 512-token ubatch (scripts/llama_conformance.sh):
  // 4 x 512 x 206848 = 423,624,704 (-1.9%).
  EXPECT_DOUBLE_EQ(compute_buffer_bytes(model("deepseek-v3"), workload(4096)), 4.0 * 512 * 206848);
}

TEST(ComputeBuffer, ScoresWithoutFlashAttentionGrowWithTheContext) {
  // Llama 2 7B without flash attention at 4096 cells: 32 heads x 4096 scores + the F32 mask 4096
  // + 5 x 4096 + 2 x 4096 (MHA: KV width = hidden) = 163840 values per token; llama.cpp counts
  // 335,554,560 bytes, 4 x 512 x 163840 = 335,544,320 (-0.003%).
  Workload w = workload(4096);
  w.flash_attention = false;
  EXPECT_DOUBLE_EQ(compute_buffer_bytes(model("llama-2-7b"), w), 4.0 * 512 * 163840);
}

TEST(Workload, RejectsImpossibleValues) {
  const auto& m = model("llama-3.1-8b");
  EXPECT_EQ(error_of([&] { validate_workload(m, workload(0)); }),
            "--ctx: context must be > 0 tokens, got 0");
  EXPECT_EQ(error_of([&] { validate_workload(m, workload(200000)); }),
            "--ctx: context of 200000 tokens exceeds Llama 3.1 8B's maximum of 131072 "
            "(max_position_embeddings)");
  EXPECT_EQ(error_of([&] { validate_workload(m, workload(4096, 0)); }),
            "--batch: must be >= 1 sequence, got 0");
  validate_workload(m, workload(131072));
}

}  // namespace
}  // namespace hwplan::planner
