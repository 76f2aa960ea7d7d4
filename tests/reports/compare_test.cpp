// Regression verdicts and the Mann-Whitney test, with p-values computed by hand.
#include "reports/compare.h"

#include <gtest/gtest.h>

namespace hwplan::reports {
namespace {

TEST(MannWhitney, ExactSmallSamples) {
  // Completely separated samples of 5 and 5: U = 0; one of C(10,5) = 252 arrangements is as
  // extreme on each side, so p = 2/252.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  EXPECT_NEAR(mann_whitney_p({6, 7, 8, 9, 10}, {1, 2, 3, 4, 5}), 2.0 / 252, 1e-12);
  // 3 and 3 separated: 2 / C(6,3) = 0.1.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3}, {4, 5, 6}), 0.1, 1e-12);
  // Interleaved: U = 4.5 is the middle; p = 1.
  EXPECT_NEAR(mann_whitney_p({1, 3, 5}, {2, 4, 6}), 0.7, 1e-12);  // U = 3: P(U <= 3) = 7/20
}

TEST(MannWhitney, TiesUseTheNormalApproximation) {
  // a = 1,2,2,3 and b = 2,3,4,5: ranks of a are 1, 3, 3, 5.5 (ties averaged), sum 12.5, U = 2.5;
  // mean 8, variance 4*4/12 * (9 - (24 + 6)/(8*7)) = 11.2857; z = (5.5 - 0.5)/3.3594 = 1.48835;
  // p = erfc(z / sqrt 2) = 0.136658.
  EXPECT_NEAR(mann_whitney_p({1, 2, 2, 3}, {2, 3, 4, 5}), 0.1366582477, 1e-9);
}

BenchmarkSamples timed(const std::string& name, std::vector<double> samples) {
  return {name, "ns", false, std::move(samples)};
}

TEST(Compare, Verdicts) {
  const std::vector<BenchmarkSamples> base = {
      timed("slower", {100, 101, 99, 98, 102}),  timed("noise", {100, 101, 99, 100, 102}),
      timed("faster", {100, 101, 99, 100, 102}), timed("gone", {5}),
      timed("overlap", {90, 110, 95, 105, 100}), {"tokens", "tok/s", true, {50, 51, 49}}};
  const std::vector<BenchmarkSamples> cur = {
      timed("slower", {120, 121, 119, 122, 118}), timed("noise", {102, 103, 101, 102, 104}),
      timed("faster", {70, 71, 69, 70, 72}),      timed("overlap", {96, 118, 100, 112, 108}),
      {"tokens", "tok/s", true, {40, 41, 39}},    timed("new", {1})};
  const auto rows = compare_benchmarks(base, cur, 0.05, 0.05);
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0].verdict, Verdict::kRegression);
  EXPECT_NEAR(rows[0].slowdown_fraction, 0.20, 1e-12);  // medians 100 -> 120
  EXPECT_NEAR(rows[0].p_value, 2.0 / 252, 1e-12);
  EXPECT_EQ(rows[1].verdict, Verdict::kUnchanged);  // +2%: within 5%
  EXPECT_EQ(rows[2].verdict, Verdict::kImprovement);
  EXPECT_NEAR(rows[2].slowdown_fraction, -0.30, 1e-12);
  EXPECT_EQ(rows[3].verdict, Verdict::kMissingInCurrent);
  // Medians 100 -> 108 (8% slower) but the samples overlap: not significant at 0.05.
  EXPECT_EQ(rows[4].verdict, Verdict::kUnchanged);
  EXPECT_GT(rows[4].p_value, 0.05);
  // Throughput down from 50 to 40 tok/s: 20% slower; 3 vs 3 separated gives p = 0.1 > 0.05, so
  // with these few repetitions it is not called a regression.
  EXPECT_NEAR(rows[5].slowdown_fraction, 0.20, 1e-12);
  EXPECT_EQ(rows[5].verdict, Verdict::kUnchanged);
  EXPECT_EQ(rows[6].verdict, Verdict::kMissingInBaseline);
  // Single values: the threshold alone decides.
  const auto single = compare_benchmarks({timed("x", {100})}, {timed("x", {106})}, 0.05, 0.05);
  EXPECT_EQ(single[0].verdict, Verdict::kRegression);
  EXPECT_LT(single[0].p_value, 0);
  // Units that differ are reported, not compared.
  const auto mismatch =
      compare_benchmarks({timed("x", {100})}, {{"x", "tok/s", true, {1}}}, 0.05, 0.05);
  EXPECT_EQ(mismatch[0].verdict, Verdict::kUnitMismatch);
}

}  // namespace
}  // namespace hwplan::reports
