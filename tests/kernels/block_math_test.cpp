// The CUDA kernels' block arithmetic (kernels/block_math.h), run on the host: each format's dot
// product against the exact dequantization (quantize.h) summed in double precision.
#include "kernels/block_math.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/half.h"
#include "kernels/quantize.h"
#include "kernels/weight_format.h"

namespace hwplan::kernels {
namespace {

TEST(BlockMath, HalfConversionIsExactForEveryValue) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float a = block_math::f16_value(static_cast<uint16_t>(h));
    const float b = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(b)) {
      EXPECT_TRUE(std::isnan(a)) << h;
    } else {
      EXPECT_EQ(a, b) << h;
    }
  }
}

// Random weights quantized to each format, random activations: the block dot equals the double
// sum of dequantized weights times activations to float rounding (1e-5 of the sum of |terms|).
TEST(BlockMath, DotsMatchExactDequantizationInDoublePrecision) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t n = 1024;
  std::vector<float> w(n), x(n), deq(n);
  for (auto& v : w) v = normal(rng);
  for (auto& v : x) v = normal(rng);
  for (WeightFormat f :
       {WeightFormat::kF16, WeightFormat::kQ8_0, WeightFormat::kQ4_0, WeightFormat::kQ4K}) {
    SCOPED_TRACE(format_name(f));
    std::vector<uint8_t> row(static_cast<size_t>(row_bytes(f, n)));
    quantize_row(f, w.data(), row.data(), n);
    dequantize_row(f, row.data(), deq.data(), n);
    double exact = 0, scale = 0;
    for (int64_t i = 0; i < n; ++i) {
      exact += static_cast<double>(deq[static_cast<size_t>(i)]) * x[static_cast<size_t>(i)];
      scale +=
          std::fabs(static_cast<double>(deq[static_cast<size_t>(i)]) * x[static_cast<size_t>(i)]);
    }
    double got = 0;
    switch (f) {
      case WeightFormat::kF16:
        got = block_math::dot_f16(reinterpret_cast<const uint16_t*>(row.data()), x.data(), 0, n, 1);
        break;
      case WeightFormat::kQ8_0:
        for (int64_t b = 0; b < n / kQ8Block; ++b)
          got += block_math::dot_q8_0(reinterpret_cast<const BlockQ8_0*>(row.data())[b],
                                      x.data() + b * kQ8Block);
        break;
      case WeightFormat::kQ4_0:
        for (int64_t b = 0; b < n / kQ8Block; ++b)
          got += block_math::dot_q4_0(reinterpret_cast<const BlockQ4_0*>(row.data())[b],
                                      x.data() + b * kQ8Block);
        break;
      default:
        for (int64_t b = 0; b < n / kSuperBlock; ++b)
          got += block_math::dot_q4k(reinterpret_cast<const BlockQ4K*>(row.data())[b],
                                     x.data() + b * kSuperBlock);
        break;
    }
    EXPECT_NEAR(got, exact, 1e-5 * scale);
    EXPECT_GT(scale, 100.0);  // a real sum, not zeros
  }
}

}  // namespace
}  // namespace hwplan::kernels
