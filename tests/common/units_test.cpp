#include "common/units.h"

#include <gtest/gtest.h>

namespace hwplan {
namespace {

TEST(Units, GibIsTwoToTheThirtyBytes) {
  EXPECT_DOUBLE_EQ(gib_to_bytes(1.0), 1073741824.0);
  EXPECT_DOUBLE_EQ(bytes_to_gib(25769803776.0), 24.0);  // a "24 GB" card is 24 GiB
}

TEST(Units, GbsIsDecimalBytesPerSecond) {
  EXPECT_DOUBLE_EQ(gbs_to_bytes_per_s(1008.0), 1.008e12);
  EXPECT_DOUBLE_EQ(bytes_per_s_to_gbs(273e9), 273.0);
}

TEST(Units, TflopsAndBits) {
  EXPECT_DOUBLE_EQ(tflops_to_flop_per_s(165.2), 1.652e14);
  EXPECT_DOUBLE_EQ(flop_per_s_to_tflops(1e12), 1.0);
  EXPECT_DOUBLE_EQ(bits_to_bytes(4.5 * 256), 144.0);  // one Q4_K block
  EXPECT_DOUBLE_EQ(bytes_to_mib(mib_to_bytes(3.0)), 3.0);
}

}  // namespace
}  // namespace hwplan
