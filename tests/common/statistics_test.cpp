#include "common/statistics.h"

#include <gtest/gtest.h>

namespace hwplan {
namespace {

// Position q (n - 1) between order statistics, by hand: {0, 10} at 0.9 -> 0 + 0.9 x 10 = 9.
TEST(Statistics, QuantileInterpolatesLinearly) {
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 0.5), 2.5);  // unsorted input
  EXPECT_DOUBLE_EQ(quantile({0, 10}, 0.9), 9.0);
  EXPECT_DOUBLE_EQ(quantile({7}, 0.3), 7.0);
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile({1, 2, 3, 4, 5}, 1.0), 5.0);
}

TEST(Statistics, MedianIsTheMiddleOrTheMeanOfTheTwo) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median({100, 1, 2, 3}), 2.5);
}

}  // namespace
}  // namespace hwplan
