// Formats: binary16/bfloat16 conversions, dequantization of hand-made blocks, quantize/dequantize
// round trips, and every dot product (scalar and SIMD) against an Eigen double-precision reference.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "kernels/blocks.h"
#include "kernels/half.h"
#include "kernels/matvec.h"
#include "kernels/quantize.h"

namespace hwplan::kernels {
namespace {

std::vector<float> random_floats(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& f : v) f = dist(rng);
  return v;
}

std::vector<uint8_t> quantized(WeightFormat f, const std::vector<float>& x) {
  std::vector<uint8_t> out(static_cast<size_t>(row_bytes(f, static_cast<int64_t>(x.size()))));
  quantize_row(f, x.data(), out.data(), static_cast<int64_t>(x.size()));
  return out;
}

std::vector<float> dequantized(WeightFormat f, const std::vector<uint8_t>& q, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(f, q.data(), out.data(), n);
  return out;
}

TEST(Half, KnownValues) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_to_float(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::isinf(half_to_float(0x7c00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1.0).
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // rounds past the largest half
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie at half the smallest: even
  EXPECT_EQ(float_to_half(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(bf16_to_float(0xc040), -3.0f);
}

TEST(Half, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const auto bits = static_cast<uint16_t>(h);
    const float f = half_to_float(bits);
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), bits) << std::hex << h;
  }
}

TEST(Dequantize, Q4_0HandBlock) {
  // d = 0.5 (0x3800); byte i holds element i (low nibble) and i + 16 (high nibble).
  BlockQ4_0 b{};
  b.d = 0x3800;
  for (int i = 0; i < 16; ++i) b.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
  float out[32];
  dequantize_row(WeightFormat::kQ4_0, reinterpret_cast<const uint8_t*>(&b), out, 32);
  EXPECT_EQ(out[0], -4.0f);  // 0.5 * (0 - 8)
  EXPECT_EQ(out[15], 3.5f);  // 0.5 * (15 - 8)
  EXPECT_EQ(out[16], 3.5f);  // high nibble of byte 0 is 15
  EXPECT_EQ(out[31], -4.0f);
}

TEST(Dequantize, Q4KHandBlock) {
  // d = 1, dmin = 0.5. Sub-block 0: scale 3, min 2; sub-block 5: scale 40 (0b101000), min 17
  // (0b010001): low 4 bits in byte 9, top 2 bits in bytes 1 and 5.
  BlockQ4K b{};
  b.d = 0x3c00;
  b.dmin = 0x3800;
  b.scales[0] = 3;
  b.scales[4] = 2;
  b.scales[9] = static_cast<uint8_t>((40 & 0x0f) | ((17 & 0x0f) << 4));
  b.scales[1] = static_cast<uint8_t>((40 >> 4) << 6);
  b.scales[5] = static_cast<uint8_t>((17 >> 4) << 6);
  const Q4KScales s = unpack_q4k_scales(b.scales);
  EXPECT_EQ(s.scale[0], 3);
  EXPECT_EQ(s.min[0], 2);
  EXPECT_EQ(s.scale[5], 40);
  EXPECT_EQ(s.min[5], 17);
  EXPECT_EQ(s.scale[1], 0);
  b.qs[0] = 0x07;       // element 0 (sub-block 0) = 7
  b.qs[64 + 1] = 0x90;  // element 128+32+1 = 161 (sub-block 5) = 9 (high nibble, chunk 2)
  float out[256];
  dequantize_row(WeightFormat::kQ4K, reinterpret_cast<const uint8_t*>(&b), out, 256);
  EXPECT_EQ(out[0], 1.0f * 3 * 7 - 0.5f * 2);
  EXPECT_EQ(out[1], -1.0f);  // code 0 in sub-block 0
  EXPECT_EQ(out[161], 1.0f * 40 * 9 - 0.5f * 17);
}

TEST(Dequantize, Q6KHandBlock) {
  // Element 70 = second half? No: first half, quarter 2 (64..95), l = 6: low bits from the high
  // nibble of ql[6], high bits from bits 4-5 of qh[6]. Code 0b10'0101 = 37 -> q - 32 = 5.
  BlockQ6K b{};
  b.d = 0x3800;  // 0.5
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g - 8);
  std::memset(b.ql, 0, sizeof(b.ql));
  std::memset(b.qh, 0, sizeof(b.qh));
  b.ql[6] = 0x50;
  b.qh[6] = 0x20;
  b.ql[64 + 32 + 3] = 0x0f;  // element 128 + 32 + 3 = 163: low nibble of ql[32+3] of half 1
  b.qh[32 + 3] = 0x0c;       // bits 2-3 -> high bits 3: code 63 -> q 31
  float out[256];
  dequantize_row(WeightFormat::kQ6K, reinterpret_cast<const uint8_t*>(&b), out, 256);
  EXPECT_EQ(out[70], 0.5f * static_cast<float>(70 / 16 - 8) * 5);
  EXPECT_EQ(out[0], 0.5f * -8 * -32);  // code 0 means q = -32
  EXPECT_EQ(out[163], 0.5f * static_cast<float>(163 / 16 - 8) * 31);
}

/// Relative RMS error of quantize -> dequantize on N(0,1) data, per format. Bounds are a little
/// above the uniform-rounding estimate step/sqrt(12) over the block's range.
struct RoundTripCase {
  WeightFormat format;
  double max_relative_rms;
};

TEST(Quantize, RoundTripErrorPerFormat) {
  const RoundTripCase cases[] = {{WeightFormat::kF32, 0.0},   {WeightFormat::kF16, 5e-4},
                                 {WeightFormat::kBF16, 4e-3}, {WeightFormat::kQ8_0, 0.01},
                                 {WeightFormat::kQ6K, 0.04},  {WeightFormat::kQ4_0, 0.12},
                                 {WeightFormat::kQ4K, 0.12}};
  const int64_t n = 4096;
  const std::vector<float> x = random_floats(n, 7);
  for (const RoundTripCase& c : cases) {
    const std::vector<float> back = dequantized(c.format, quantized(c.format, x), n);
    double err = 0.0;
    double norm = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      err += std::pow(double{back[static_cast<size_t>(i)]} - x[static_cast<size_t>(i)], 2);
      norm += std::pow(double{x[static_cast<size_t>(i)]}, 2);
    }
    EXPECT_LE(std::sqrt(err / norm), c.max_relative_rms) << format_name(c.format);
    if (c.format == WeightFormat::kF32) {
      EXPECT_EQ(back, x);
    } else {
      EXPECT_GT(std::sqrt(err / norm), c.max_relative_rms / 20)
          << format_name(c.format) << ": suspiciously exact";
    }
  }
}

/// Dot product bound: |dot - exact| <= tol * |w| * |x| (norms), where exact uses the dequantized
/// weights and the original float activations in double precision. The integer formats'
/// tolerance is the 8-bit activation rounding (about 0.5/127 of each block's max, relative).
double dot_tolerance(WeightFormat f) {
  switch (f) {
    case WeightFormat::kF32:
    case WeightFormat::kF16:
    case WeightFormat::kBF16:
      return 2e-6;
    default:
      return 8e-3;
  }
}

std::vector<int64_t> test_sizes(WeightFormat f) {
  if (block_elements(f) == 256) return {256, 768, 17 * 256};
  if (block_elements(f) == 32) return {32, 96, 128, 160, 33 * 32, 1056 + 128};
  return {1, 3, 17, 33, 64, 1023, 2048};
}

TEST(Dot, EveryFormatAndIsaAgainstDoublePrecision) {
  for (WeightFormat f : all_weight_formats()) {
    for (int64_t n : test_sizes(f)) {
      const std::vector<float> w = random_floats(n, static_cast<uint32_t>(n) * 3 + 1, 0.02f);
      const std::vector<float> xv = random_floats(n, static_cast<uint32_t>(n) * 5 + 2);
      const std::vector<uint8_t> q = quantized(f, w);
      const std::vector<float> wd = dequantized(f, q, n);
      const Eigen::VectorXd wd64 = Eigen::Map<const Eigen::VectorXf>(wd.data(), n).cast<double>();
      const Eigen::VectorXd x64 = Eigen::Map<const Eigen::VectorXf>(xv.data(), n).cast<double>();
      const double exact = wd64.dot(x64);
      const double scale = wd64.norm() * x64.norm();
      PreparedInput x;
      prepare_input(xv.data(), n, x);
      const float reference = dot_row(f, q.data(), x, Isa::kScalar);
      EXPECT_NEAR(reference, exact, dot_tolerance(f) * scale) << format_name(f) << " n=" << n;
      for (Isa isa : available_isas()) {
        // SIMD vs scalar: same integer sums, float rounding only (summation order).
        const float simd = dot_row(f, q.data(), x, isa);
        EXPECT_NEAR(simd, reference, 2e-6 * scale)
            << format_name(f) << " " << isa_name(isa) << " n=" << n;
      }
    }
  }
}

TEST(Dot, ExtremeCodesDoNotSaturate) {
  // Largest codes times the most negative activation: Q6_K code 63 x -128 and Q8_0 -127 x -127
  // overflow 16-bit pair sums if a kernel widens too late.
  const int64_t n = 512;
  std::vector<float> w(static_cast<size_t>(n), 1.0f);
  std::vector<float> xv(static_cast<size_t>(n), -1.0f);
  for (WeightFormat f :
       {WeightFormat::kQ8_0, WeightFormat::kQ4_0, WeightFormat::kQ4K, WeightFormat::kQ6K}) {
    const std::vector<uint8_t> q = quantized(f, w);
    PreparedInput x;
    prepare_input(xv.data(), n, x);
    const std::vector<float> wd = dequantized(f, q, n);
    double exact = 0.0;
    for (float v : wd) exact -= v;
    for (Isa isa : available_isas()) {
      EXPECT_NEAR(dot_row(f, q.data(), x, isa), exact, 1e-3 * std::fabs(exact))
          << format_name(f) << " " << isa_name(isa);
    }
  }
}

TEST(Matvec, RowsAndBatchAgree) {
  const int64_t rows = 37;
  const int64_t cols = 512;
  const std::vector<float> w = random_floats(rows * cols, 11, 0.02f);
  for (WeightFormat f : all_weight_formats()) {
    std::vector<uint8_t> q(static_cast<size_t>(rows * row_bytes(f, cols)));
    for (int64_t r = 0; r < rows; ++r) {
      quantize_row(f, w.data() + r * cols, q.data() + r * row_bytes(f, cols), cols);
    }
    const MatrixView m{f, rows, cols, q.data(), row_bytes(f, cols)};
    std::vector<PreparedInput> xs(3);
    for (size_t t = 0; t < xs.size(); ++t) {
      const std::vector<float> xv = random_floats(cols, static_cast<uint32_t>(t + 20));
      prepare_input(xv.data(), cols, xs[t]);
    }
    std::vector<std::vector<float>> ys(3, std::vector<float>(rows));
    std::vector<float*> yp = {ys[0].data(), ys[1].data(), ys[2].data()};
    matmul_rows(m, xs, yp, 0, rows, best_isa());
    // Ranges of 32 rows (four streams of 8) and of 29 (four of 7, then one row at a time).
    for (const auto& [begin, end] : {std::pair<int64_t, int64_t>{5, 37}, {3, 32}}) {
      for (size_t t = 0; t < xs.size(); ++t) {
        std::vector<float> y(rows, -1.0f);
        matvec_rows(m, xs[t], y.data(), begin, end, best_isa());
        for (int64_t r = 0; r < rows; ++r) {
          const float got = y[static_cast<size_t>(r)];
          if (r < begin || r >= end) {
            EXPECT_EQ(got, -1.0f) << "row " << r << " is outside the range";
            continue;
          }
          EXPECT_EQ(got, ys[t][static_cast<size_t>(r)]) << format_name(f) << " row " << r;
          EXPECT_EQ(got, dot_row(f, m.row(r), xs[t], best_isa())) << format_name(f) << " row " << r;
        }
      }
    }
  }
}

// A file's NaN or infinite weights reach the activations: quantizing them is defined (the fuzzer
// found the float-to-int conversion of NaN): NaN gives 0, infinities stay at the range's ends.
TEST(Activation, NanAndInfinityQuantizeToDefinedValues) {
  std::vector<float> x(256, 1.0f);
  x[0] = std::nanf("");
  x[1] = std::numeric_limits<float>::infinity();
  x[2] = -std::numeric_limits<float>::infinity();
  PreparedInput p;
  prepare_input(x.data(), 256, p);
  ASSERT_EQ(p.q8.size(), 256u);
  ASSERT_EQ(p.qk.size(), 256u);
  EXPECT_EQ(p.q8[0], 0);
  EXPECT_EQ(p.qk[0], 0);
  for (const auto& q : {p.q8, p.qk}) {
    for (int8_t v : q) {
      EXPECT_GE(v, -128);
      EXPECT_LE(v, 127);
    }
  }
}

}  // namespace
}  // namespace hwplan::kernels
