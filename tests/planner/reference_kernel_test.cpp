// The reference kernel's speed model with hand-computed numbers.
#include "planner/reference_kernel.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace hwplan::planner {
namespace {

ModelSpec tiny_model(bool tied) {
  ModelSpec m;
  m.id = "tiny";
  m.n_layers = 2;
  m.hidden_size = 256;
  m.n_heads = 4;
  m.n_kv_heads = 2;
  m.head_dim = 64;
  m.vocab_size = 1000;
  m.tied_embeddings = tied;
  m.max_context = 4096;
  m.layer_kinds.assign(2, LayerKind::kFullAttention);  // every ModelSpec has one per layer
  return m;
}

TEST(ReferenceKernel, SumsMemoryAndComputePerType) {
  // Q4_0 layers 1.0e9 B, Q6_K output 0.2e9 B, untied embedding 0.5e9 B (one row of 1000 read:
  // 0.5e6 B), norms ignored. Read bandwidth 20e9 B/s, 2 threads; in-cache rates per thread
  // Q4_0 25e9, Q6_K 10e9 B/s.
  //   Q4_0: 1.0e9/20e9 + 1.0e9/(2 x 25e9) = 0.05 + 0.02 = 0.07 s
  //   Q6_K: (0.2e9 + 0.5e6)/20e9 + (0.2005e9)/(2 x 10e9) = 0.010025 + 0.010025 = 0.02005 s
  //   KV at context 100: 2 layers x 100 x 2 heads x 64 x 2 (K,V) x 2 B = 102,400 B / 20e9 =
  //   5.12e-6 s.  Total 0.09005512 s.
  WeightInventory inv;
  inv.groups = {{"blk", 0, TensorClass::kAttention, 0, 1.0e9, "Q4_0"},
                {"output.weight", 2, TensorClass::kOutput, 0, 0.2e9, "Q6_K"},
                {"token_embd.weight", -1, TensorClass::kEmbedding, 0, 0.5e9, "Q6_K"},
                {"norm", 0, TensorClass::kNorm, 0, 4096, "F32"}};
  CpuKernelRates rates{20e9, {{"Q4_0", 25e9}, {"Q6_K", 10e9}}, 2};
  const auto p = predict_reference_decode(tiny_model(false), inv, 100, rates);
  ASSERT_EQ(p.terms.size(), 3u);
  EXPECT_NEAR(p.terms[0].seconds, 0.07, 1e-12);
  EXPECT_EQ(p.terms[0].bound, Bound::kMemory);
  EXPECT_NEAR(p.terms[1].seconds, 0.02005, 1e-12);
  EXPECT_NEAR(p.terms[2].seconds, 102400.0 / 20e9, 1e-15);
  EXPECT_NEAR(p.seconds, 0.09005512, 1e-9);
  EXPECT_NEAR(p.tok_per_s, 1.0 / 0.09005512, 1e-6);
  // Tied: the whole embedding is read (it is the output): Q6_K 0.7e9 B.
  const auto tied = predict_reference_decode(tiny_model(true), inv, 100, rates);
  EXPECT_NEAR(tied.terms[1].seconds, 0.7e9 / 20e9 + 0.7e9 / 20e9, 1e-12);
  EXPECT_EQ(tied.terms[1].bound, Bound::kMemory);  // 0.035 s memory = 0.035 s compute: not above
}

TEST(ReferenceKernel, MissingRateIsAnError) {
  WeightInventory inv;
  inv.groups = {{"blk", 0, TensorClass::kAttention, 0, 1.0e9, "Q5_K"}};
  EXPECT_THROW(predict_reference_decode(tiny_model(true), inv, 10, {20e9, {{"Q4_0", 1e9}}, 1}),
               Error);
  EXPECT_THROW(predict_reference_decode(tiny_model(true), inv, 10, {0, {{"Q5_K", 1e9}}, 1}), Error);
}

}  // namespace
}  // namespace hwplan::planner
