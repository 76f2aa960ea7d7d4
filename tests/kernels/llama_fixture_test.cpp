// The decode kernel against llama.cpp's logits and greedy tokens for the tiny-a fixtures
// (../shared/fixtures/gguf, README there). Skips where ../shared is absent.
//
// Tolerance: llama.cpp's own CPU paths differ by up to 0.0125 in a logit on these files
// (llama_cpp_path_variation); the logits' standard deviation is about 0.32. We allow 0.0125 for
// each of the top-10 logits, and compare greedy tokens up to the first step whose margin is below
// that tolerance (a near-tie either implementation may break the other way).
// The L2 norm sums the squares of all 32,000 logits, so the 8-bit activation rounding (about 0.5%
// per element, different rounding in each implementation) moves it coherently: the F16 file
// (float activations) agrees to 0.0009, the quantized files by up to 0.046 (Q4_K_M). We allow
// 0.1% of the norm (0.057) for the norm; the top-10 logits carry the tight check.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/gguf.h"
#include "kernels/llama.h"
#include "kernels/llama_context.h"
#include "kernels/thread_pool.h"

namespace hwplan::kernels {
namespace {

const std::string kFixtures = std::string(HWPLAN_TEST_SHARED_DIR) + "/fixtures/gguf";
constexpr double kLogitTolerance = 0.0125;

struct RunResult {
  std::vector<float> prompt_logits;
  std::vector<int32_t> greedy;
};

RunResult run_reference_protocol(const LlamaWeights& w, const std::vector<int32_t>& prompt,
                                 int n_greedy, Isa isa, bool batched, int n_threads = 1) {
  ThreadPool pool(n_threads);
  LlamaContext ctx(w, pool, 512, isa);
  std::span<const float> logits;
  if (batched) {
    logits = ctx.eval(prompt);
  } else {
    for (int32_t t : prompt) logits = ctx.decode(t);  // one token per call, as the reference
  }
  RunResult r;
  r.prompt_logits.assign(logits.begin(), logits.end());
  int32_t next = argmax(logits);
  for (int i = 0; i < n_greedy; ++i) {
    r.greedy.push_back(next);
    if (i + 1 < n_greedy) next = argmax(ctx.decode(next));
  }
  return r;
}

class LlamaFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const auto path = kFixtures + "/tiny-a-reference.json";
    if (!std::filesystem::exists(path)) GTEST_SKIP() << "no ../shared fixtures here";
    reference_ = nlohmann::json::parse(std::ifstream(path));
  }
  nlohmann::json reference_;
};

TEST_P(LlamaFixture, MatchesLlamaCpp) {
  const std::string name = GetParam();
  const auto& expected = reference_.at("files").at(name);
  const auto prompt = reference_.at("prompt_ids").get<std::vector<int32_t>>();
  const auto file = formats::GgufFile::open(kFixtures + "/" + name);
  const LlamaWeights w = llama_from_gguf(file);
  EXPECT_TRUE(w.tied_embeddings);
  EXPECT_EQ(w.shape.n_layer, 2);
  EXPECT_EQ(w.shape.n_head_kv, 2);
  EXPECT_EQ(w.shape.n_vocab, 32000);

  for (Isa isa : available_isas()) {
    SCOPED_TRACE(std::string(isa_name(isa)));
    const RunResult r = run_reference_protocol(w, prompt, 16, isa, /*batched=*/false);
    const auto top10 = expected.at("top10");
    for (size_t i = 0; i < top10.size(); ++i) {
      const auto id = top10[i][0].get<int32_t>();
      EXPECT_NEAR(r.prompt_logits[static_cast<size_t>(id)], top10[i][1].get<double>(),
                  kLogitTolerance)
          << "top10[" << i << "] id " << id;
    }
    // The ids in order, as far as the reference's own gaps exceed the tolerance.
    std::vector<int32_t> order(r.prompt_logits.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
    std::partial_sort(order.begin(), order.begin() + 10, order.end(), [&](int32_t a, int32_t b) {
      return r.prompt_logits[static_cast<size_t>(a)] > r.prompt_logits[static_cast<size_t>(b)];
    });
    for (size_t i = 0; i < 10; ++i) {
      const bool clear_gap = (i == 0 || top10[i - 1][1].get<double>() - top10[i][1].get<double>() >
                                            2 * kLogitTolerance) &&
                             (i == 9 || top10[i][1].get<double>() - top10[i + 1][1].get<double>() >
                                            2 * kLogitTolerance);
      if (clear_gap) {
        EXPECT_EQ(order[i], top10[i][0].get<int32_t>()) << "rank " << i;
      }
    }
    double l2 = 0.0;
    for (float v : r.prompt_logits) l2 += double{v} * v;
    const double expected_l2 = expected.at("logits_l2").get<double>();
    EXPECT_NEAR(std::sqrt(l2), expected_l2, 1e-3 * expected_l2);
    if (name == "tiny-a-f16.gguf") {
      EXPECT_NEAR(std::sqrt(l2), expected_l2, 0.002);
    }
    const auto greedy = expected.at("greedy_16").get<std::vector<int32_t>>();
    const auto margins = expected.at("greedy_16_margin").get<std::vector<double>>();
    for (size_t i = 0; i < greedy.size() && margins[i] > kLogitTolerance; ++i) {
      EXPECT_EQ(r.greedy[i], greedy[i]) << "greedy step " << i + 1;
    }
  }
}

TEST_P(LlamaFixture, BatchedPromptAndThreadsAgreeWithTokenByToken) {
  const std::string name = GetParam();
  const auto prompt = reference_.at("prompt_ids").get<std::vector<int32_t>>();
  const auto file = formats::GgufFile::open(kFixtures + "/" + name);
  const LlamaWeights w = llama_from_gguf(file);
  const RunResult one = run_reference_protocol(w, prompt, 4, best_isa(), false);
  const RunResult batched = run_reference_protocol(w, prompt, 4, best_isa(), true, 2);
  float max_diff = 0.0f;
  for (size_t i = 0; i < one.prompt_logits.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(one.prompt_logits[i] - batched.prompt_logits[i]));
  }
  // Same arithmetic per token; only the thread split of attention work differs (not the sums).
  EXPECT_EQ(max_diff, 0.0f);
  EXPECT_EQ(one.greedy, batched.greedy);
}

/// "tiny-a-q4_k_m.gguf" -> "q4_k_m".
std::string fixture_label(const ::testing::TestParamInfo<std::string>& param) {
  return param.param.substr(7, param.param.size() - 12);
}

INSTANTIATE_TEST_SUITE_P(TinyA, LlamaFixture,
                         ::testing::Values("tiny-a-f16.gguf", "tiny-a-q8_0.gguf",
                                           "tiny-a-q4_0.gguf", "tiny-a-q4_k_m.gguf",
                                           "tiny-a-q6_k.gguf"),
                         fixture_label);

}  // namespace
}  // namespace hwplan::kernels
