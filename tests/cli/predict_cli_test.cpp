// End-to-end: hwplan predict and hwplan calibrate.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "run_util.h"

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

TEST(PredictCli, JsonCarriesTheAdvertisedKeys) {
  const auto r = run_hwplan("predict -m qwen3-30b-a3b -q q4_k_m --hw m4-max-128 --ctx 4096 --prompt 512 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& row = json["details"]["rows"][0];
  for (const char* key : {"decode_tok_per_s", "prefill_tok_per_s", "ttft_seconds", "bound", "reason",
                          "decode", "prefill", "decode_cost", "efficiency"}) {
    EXPECT_TRUE(row.contains(key)) << key;
  }
  EXPECT_EQ(row["bound"], "memory");
  EXPECT_GT(row["decode_tok_per_s"].get<double>(), 10.0);
  EXPECT_GT(row["decode"]["terms"].size(), 0u);
  EXPECT_EQ(row["decode"]["terms"][0]["placement"], "unified memory");
  EXPECT_EQ(row["efficiency"]["memory_class"], "unified");
  // TTFT is the prompt over the prefill rate.
  EXPECT_NEAR(row["ttft_seconds"].get<double>(), 512.0 / row["prefill_tok_per_s"].get<double>(), 1e-9);
  EXPECT_EQ(json["tables"]["predict"][0]["decode_band"].get<std::string>().rfind("+-", 0), 0u);
}

TEST(PredictCli, OffloadModesAndBadInput) {
  auto r = run_hwplan("predict -m llama-3.1-70b --hw rtx-4090 --offload none");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--offload none: llama-3.1-70b does not fit"), std::string::npos) << r.err;
  r = run_hwplan("predict -m llama-3.1-70b --hw rtx-4090 --offload stream --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["details"]["rows"][0]["bound"], "bus");
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --engine mlx").exit_code, 3);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --offload maybe").exit_code, 2);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --link carrier-pigeon").exit_code, 2);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --prompt 0").exit_code, 2);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --nodes 0").exit_code, 2);
}

TEST(PredictCli, MultiGpuAndClusters) {
  auto r = run_hwplan("predict -m llama-3.1-70b --hw 2x-rtx-3090 --split tensor --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto tensor = nlohmann::json::parse(r.out)["details"]["rows"][0];
  r = run_hwplan("predict -m llama-3.1-70b --hw 2x-rtx-3090 --split layer --json");
  const auto layer = nlohmann::json::parse(r.out)["details"]["rows"][0];
  EXPECT_GT(tensor["decode_cost"]["communication_seconds"].get<double>(),
            layer["decode_cost"]["communication_seconds"].get<double>());
  r = run_hwplan("predict -m deepseek-v3 --hw m3-ultra-256 --nodes 2 --link thunderbolt5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["details"]["rows"][0]["fit"], "multi_gpu");
}

TEST(CalibrateCli, ReportsTheTargets) {
  const auto csv = std::string(HWPLAN_TEST_SHARED_DIR) + "/calibration/measured.csv";
  if (!std::filesystem::exists(csv)) GTEST_SKIP() << "no ../shared calibration data here";
  const auto r = run_hwplan("calibrate --csv " + csv + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out)["tables"]["summary"];
  ASSERT_EQ(summary.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(summary[i]["met"].get<bool>()) << summary[i]["metric"];
  EXPECT_EQ(run_hwplan("calibrate --csv /nonexistent.csv").exit_code, 2);
}

}  // namespace
}  // namespace hwplan::cli
