// Which way a Google Benchmark counter points decides whether a change is a regression.
#include "formats/benchmark_results.h"

#include <gtest/gtest.h>

namespace {

using hwplan::formats::parse_benchmark_text;

constexpr const char* kTwoCounters = R"({"benchmarks": [
  {"name": "k/f16", "run_type": "iteration", "instructions_per_byte": 0.19, "bytes_per_second": 4e9,
   "ratio": 0.8, "cycles": 1200}]})";

TEST(BenchmarkCounters, CostCountersAreBetterLowerAndRatesHigher) {
  EXPECT_FALSE(
      parse_benchmark_text(kTwoCounters, "t.json", "instructions_per_byte").at(0).higher_is_better);
  EXPECT_FALSE(parse_benchmark_text(kTwoCounters, "t.json", "cycles").at(0).higher_is_better);
  EXPECT_TRUE(
      parse_benchmark_text(kTwoCounters, "t.json", "bytes_per_second").at(0).higher_is_better);
  EXPECT_TRUE(parse_benchmark_text(kTwoCounters, "t.json", "ratio").at(0).higher_is_better);
  const auto one = parse_benchmark_text(kTwoCounters, "t.json", "instructions_per_byte").at(0);
  EXPECT_EQ(one.name, "k/f16");
  ASSERT_EQ(one.samples.size(), 1U);
  EXPECT_DOUBLE_EQ(one.samples[0], 0.19);
}

TEST(BenchmarkCounters, AMissingCounterIsAnErrorNamingIt) {
  try {
    parse_benchmark_text(kTwoCounters, "t.json", "real_time");
    FAIL() << "expected an input error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("real_time"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("t.json"), std::string::npos) << e.what();
  }
}

}  // namespace
