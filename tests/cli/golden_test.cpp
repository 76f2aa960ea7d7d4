// Golden files of every format of every subcommand (tests/golden/<sub>/<case>.<ext>). Run with
// HWPLAN_UPDATE_GOLDEN=1 to rewrite them, then review the diff by hand.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_util.h"

namespace hwplan::cli {
namespace {

struct GoldenCase {
  std::string file;  // relative to tests/golden
  std::string args;
};

// JSON context (time, host, git SHA) changes every run; the golden keeps the rest.
std::string normalise(const std::string& file, const std::string& text) {
  if (file.size() < 5 || file.substr(file.size() - 5) != ".json") return text;
  auto json = nlohmann::json::parse(text);
  json.erase("context");
  return json.dump(2) + "\n";
}

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.file; }

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, MatchesFile) {
  const auto& c = GetParam();
  const auto result = testing::run_hwplan(c.args);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto actual = normalise(c.file, result.out);
  const auto path = std::filesystem::path(HWPLAN_TEST_GOLDEN_DIR) / c.file;
  if (const char* update = std::getenv("HWPLAN_UPDATE_GOLDEN");
      update && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << path;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << path << " missing; run with HWPLAN_UPDATE_GOLDEN=1";
  EXPECT_EQ(actual, testing::read_file(path)) << "golden " << c.file << " differs";
}

const std::string kFit =
    "fit --model llama-3.1-70b --quant q4_k_m --ctx 8192 --hw rtx-4090 --hw m3-ultra-96 "
    "--hw 2x-rtx-3090 --hw strix-halo-128";
const std::string kPredict =
    "predict --model llama-3.1-8b,qwen3-30b-a3b,llama-3.1-70b --quant q4_k_m --hw rtx-4090 "
    "--hw m4-max-128 --hw strix-halo-128 --hw h100-sxm";
const std::string kMoe =
    "fit --model qwen3-30b-a3b,gpt-oss-120b --quant q8_0 --hw rtx-4090 --hw dgx-spark";

INSTANTIATE_TEST_SUITE_P(
    Cli, Golden,
    ::testing::Values(GoldenCase{"fit/llama70b.txt", kFit},
                      GoldenCase{"fit/llama70b.json", kFit + " --json"},
                      GoldenCase{"fit/llama70b.md", kFit + " --format md"},
                      GoldenCase{"fit/llama70b.csv", kFit + " --format csv"},
                      GoldenCase{"fit/moe.txt", kMoe}, GoldenCase{"fit/moe.json", kMoe + " --json"},
                      GoldenCase{"predict/three_models.txt", kPredict},
                      GoldenCase{"predict/three_models.json", kPredict + " --json"},
                      GoldenCase{"predict/three_models.md", kPredict + " --format md"},
                      GoldenCase{"predict/three_models.csv", kPredict + " --format csv"},
                      GoldenCase{"list/hardware.txt", "list hardware"},
                      GoldenCase{"list/hardware.csv", "list hardware --format csv"},
                      GoldenCase{"list/models.md", "list models --format md"},
                      GoldenCase{"list/quants.json", "list quants --json"}),
    [](const ::testing::TestParamInfo<GoldenCase>& param_info) {
      std::string name = param_info.param.file;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace hwplan::cli
