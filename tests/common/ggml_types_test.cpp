#include "common/ggml_types.h"

#include <gtest/gtest.h>

#include <set>

namespace hwplan {
namespace {

// Bits per weight from the block structs (ggml-common.h), computed by hand:
// Q4_0 = (2 + 16) * 8 / 32 = 4.5; Q8_0 = (2 + 32) * 8 / 32 = 8.5; Q4_K = 144 * 8 / 256 = 4.5;
// Q6_K = (128 + 64 + 16 + 2) * 8 / 256 = 6.5625; IQ4_XS = 136 * 8 / 256 = 4.25;
// MXFP4 = (1 + 16) * 8 / 32 = 4.25.
TEST(GgmlTypes, BitsPerWeightOfCommonTypes) {
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("Q4_0")), 4.5);
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("q8_0")), 8.5);
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("Q4_K")), 4.5);
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("Q6_K")), 6.5625);
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("IQ4_XS")), 4.25);
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("MXFP4")), 4.25);
  EXPECT_DOUBLE_EQ(ggml_bits_per_weight(*ggml_type_by_name("F16")), 16.0);
}

TEST(GgmlTypes, IdsMatchTheFileFormatAndRemovedIdsAreRejected) {
  EXPECT_EQ(ggml_type_by_id(12)->name, "Q4_K");
  EXPECT_EQ(ggml_type_by_id(30)->name, "BF16");
  EXPECT_EQ(ggml_type_by_id(39)->name, "MXFP4");
  for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 1000u}) {
    EXPECT_FALSE(ggml_type_by_id(removed).has_value()) << removed;
  }
  std::set<uint32_t> ids;
  for (const auto& type : ggml_types()) EXPECT_TRUE(ids.insert(type.id).second) << type.name;
}

TEST(GgmlTypes, RowBytesNeedWholeBlocks) {
  const auto q4k = *ggml_type_by_name("Q4_K");
  EXPECT_EQ(ggml_row_bytes(q4k, 4096), 4096 / 256 * 144);
  EXPECT_FALSE(ggml_row_bytes(q4k, 100).has_value());
}

}  // namespace
}  // namespace hwplan
