#include "common/text_util.h"

#include <gtest/gtest.h>

namespace hwplan {
namespace {

TEST(TextUtil, EndsWithAndContainsIgnoringCase) {
  EXPECT_TRUE(ends_with("model.scales", ".scales"));
  EXPECT_FALSE(ends_with("scales", "model.scales"));
  EXPECT_TRUE(ends_with("x", ""));
  EXPECT_TRUE(contains_ignoring_case("mlx-lm 0.31 (Apple)", "MLX"));
  EXPECT_FALSE(contains_ignoring_case("llama.cpp", "vllm"));
}

TEST(TextUtil, UsdHasThousandsSeparators) {
  EXPECT_EQ(usd(0), "$0");
  EXPECT_EQ(usd(999.4), "$999");
  EXPECT_EQ(usd(9499), "$9,499");
  EXPECT_EQ(usd(1234567.5), "$1,234,568");
  EXPECT_EQ(usd(-1234.6), "-$1,235");
}

TEST(TextUtil, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("RTX-4090", "rtx-4090"), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(TextUtil, ClosestNamesPreferSubstringsThenTypos) {
  const std::vector<std::string> ids = {"rtx-3090", "rtx-4090", "rtx-5090", "m4-max-128"};
  EXPECT_EQ(closest_names("4090", ids), (std::vector<std::string>{"rtx-4090"}));
  const auto typo = closest_names("rtx4090", ids);
  ASSERT_FALSE(typo.empty());
  EXPECT_EQ(typo.front(), "rtx-4090");
  EXPECT_TRUE(closest_names("zzzzzzzzzz", ids).empty());
}

TEST(TextUtil, UnknownNameMessage) {
  EXPECT_EQ(unknown_name_message("model", "lama-3.1-8b", {"llama-3.1-8b", "qwen3-8b"}),
            "unknown model 'lama-3.1-8b'; did you mean: llama-3.1-8b?");
  EXPECT_EQ(unknown_name_message("model", "xyzzy-foo-bar", {"a1", "b2"}),
            "unknown model 'xyzzy-foo-bar'; known: a1, b2");
}

TEST(TextUtil, LettersAndDigitsLower) {
  EXPECT_EQ(letters_and_digits_lower("Llama 3.1-70B"), "llama3170b");
  EXPECT_EQ(letters_and_digits_lower("gpt_oss / MoE!"), "gptossmoe");
  EXPECT_EQ(letters_and_digits_lower(""), "");
}

TEST(TextUtil, SplitTrimsPieces) {
  EXPECT_EQ(split(" a = 1, b=2 ,", ','), (std::vector<std::string>{"a = 1", "b=2", ""}));
  EXPECT_EQ(trim("  x \n"), "x");
  EXPECT_EQ(to_lower("Q4_K_M"), "q4_k_m");
}

}  // namespace
}  // namespace hwplan
