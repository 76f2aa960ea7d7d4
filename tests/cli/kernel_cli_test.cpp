// End-to-end: synth, generate and validate through the built binary.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "run_util.h"

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

const std::string kFixtures = std::string(HWPLAN_TEST_SHARED_DIR) + "/fixtures/gguf";

TEST(KernelCli, GenerateReproducesTheFixtureReference) {
  const std::string file = kFixtures + "/tiny-a-f16.gguf";
  if (!std::filesystem::exists(file)) GTEST_SKIP() << "no ../shared fixtures here";
  const auto r =
      run_hwplan("generate --gguf " + file +
                 " --prompt-ids 1,450,4996,17354,1701,29916 --tokens 8 --threads 1 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // llama.cpp's greedy_16 for this file starts with eight 29916 (tiny-a-reference.json), margins
  // above 0.05 for those steps; its top logit is 29916 at 1.6779604.
  EXPECT_EQ(json["greedy_ids"], nlohmann::json(std::vector<int>(8, 29916)));
  EXPECT_EQ(json["top_k"].size(), 10u);
  EXPECT_EQ(json["top_k"][0][0], 29916);
  EXPECT_NEAR(json["top_k"][0][1].get<double>(), 1.6779604, 0.0125);
  // F16 weights multiply float activations: the norm agrees as closely as in the kernel test.
  EXPECT_NEAR(json["logits_l2"].get<double>(), 57.2932655, 0.002);
}

TEST(KernelCli, SynthWritesAFileGenerateReads) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("hwplan_cli_synth_" + std::to_string(::getpid()) + ".gguf"))
                        .string();
  auto r = run_hwplan("synth -m llama-3.2-1b --layers 1 -q q4_0 -o " + path + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // One layer of Llama 3.2 1B: Q4_0 matrices (2048x2048 q, 512x2048 k and v, 2048x2048 o,
  // 8192x2048 gate/up, 2048x8192 down = 60,817,408 weights x 18/32 B = 34,209,792 B) and the tied
  // 128256x2048 embedding in Q6_K (262,668,288 weights x 210/256 B = 215,470,080 B), plus F32
  // norms (3 x 2048 x 4 = 24,576 B).
  EXPECT_EQ(json["tensor_bytes"].get<double>(), 34209792.0 + 215470080.0 + 24576.0);
  EXPECT_EQ(std::filesystem::file_size(path) > 249704448u, true);
  r = run_hwplan("generate --gguf " + path + " --prompt-ids 1,2,3 --tokens 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["greedy_ids"].size(), 4u);
  std::filesystem::remove(path);
}

// A mixture of experts is written as a zero-weight layout whose plan hwplan reads back exactly:
// fit on the file reports the file's own tensor bytes, and the experts sit in the plan as experts.
// Shapes synth cannot write in llama.cpp's llama/qwen2moe layout are refused with the reason.
TEST(KernelCli, SynthWritesAMixtureOfExpertsLayout) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("hwplan_cli_moe_" + std::to_string(::getpid()) + ".gguf"))
                        .string();
  auto r = run_hwplan("synth -m mixtral-8x7b --layers 1 -q q8_0 --shared-expert-ff 1024 -o " +
                      path + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double tensor_bytes = nlohmann::json::parse(r.out)["tensor_bytes"].get<double>();
  r = run_hwplan("fit --model " + path + " --hw m3-ultra-512 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto fit = nlohmann::json::parse(r.out);
  EXPECT_DOUBLE_EQ(fit["tables"]["models"][0]["weights_gb"].get<double>() * 1e9, tensor_bytes);
  EXPECT_NE(fit["tables"]["models"][0]["params_b"].get<double>(),
            fit["tables"]["models"][0]["active_params_b"].get<double>());  // 2 of 8 experts read
  std::filesystem::remove(path);
  r = run_hwplan("synth -m qwen3-30b-a3b --out " + path);  // --out as in every other command
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("does not equal the hidden size"), std::string::npos) << r.err;
  r = run_hwplan("synth -m llama-3.2-1b --shared-expert-ff 64 -o " + path);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(path));
}

// A model split as llama.cpp's gguf-split does answers exactly as the same model in one file,
// given any of its shards; a missing shard is an error naming it.
TEST(KernelCli, SplitGgufAnswersAsOneFile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hwplan_cli_split_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "one");
  std::filesystem::create_directories(dir / "split");
  const std::string one = (dir / "one" / "tiny.gguf").string();
  const std::string split = (dir / "split" / "tiny.gguf").string();
  const std::string synth = "synth -m llama-3.2-1b --layers 1 -q q4_0 --json -o ";
  ASSERT_EQ(run_hwplan(synth + one).exit_code, 0);
  const auto written = run_hwplan(synth + split + " --split 3");
  ASSERT_EQ(written.exit_code, 0) << written.err;
  const auto files = nlohmann::json::parse(written.out)["files"];
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[1], (dir / "split" / "tiny-00002-of-00003.gguf").string());
  auto fit = [&](const std::string& path) {
    const auto r = run_hwplan("fit -m " + path + " --hw rtx-4090,m4-max-128 --json");
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out)["tables"] : nlohmann::json();
  };
  const auto whole = fit(one);
  ASSERT_FALSE(whole.empty());
  EXPECT_EQ(fit(files[0].get<std::string>()), whole);
  EXPECT_EQ(fit(files[2].get<std::string>()), whole);  // any shard names the model
  std::filesystem::remove(files[1].get<std::string>());
  const auto missing = run_hwplan("fit -m " + files[0].get<std::string>() + " --hw rtx-4090");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("shard 2 of 3 is missing: " + files[1].get<std::string>()),
            std::string::npos)
      << missing.err;
  EXPECT_EQ(run_hwplan(synth + split + " --split 1000").exit_code, 2);  // more shards than tensors
  std::filesystem::remove_all(dir);
}

TEST(KernelCli, ValidateRowsCarryTheDocumentedFields) {
  const auto r = run_hwplan(
      "validate -m llama-3.2-1b --layers 1 -q q8_0,q4_0 --tokens 4 --ctx 32 --prompt 4 "
      "--bandwidth-gbs 20 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& rows = json["tables"]["validate"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["quant"], "q8_0");
  for (const auto& row : rows) {
    for (const char* key : {"measured_tok_per_s", "predicted_tok_per_s", "achieved_bandwidth_gbs",
                            "bandwidth_fraction"}) {
      ASSERT_TRUE(row[key].is_number()) << key;
      EXPECT_GT(row[key].get<double>(), 0) << key;
    }
    EXPECT_EQ(row["probed_bandwidth_gbs"], 20.0);  // --bandwidth-gbs replaces the probe
    EXPECT_NEAR(row["bandwidth_fraction"].get<double>(),
                row["achieved_bandwidth_gbs"].get<double>() / 20.0, 1e-9);
    EXPECT_NEAR(
        row["error_fraction"].get<double>(),
        row["predicted_tok_per_s"].get<double>() / row["measured_tok_per_s"].get<double>() - 1,
        1e-9);
  }
}

TEST(KernelCli, BadInputsAreClearErrors) {
  auto r = run_hwplan("validate -q q5_k --layers 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown weight format 'q5_k'"), std::string::npos) << r.err;
  r = run_hwplan("synth -m qwen3-next-80b-a3b -o /tmp/x.gguf");  // recurrent experts: no layout
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("attention other than full GQA"), std::string::npos) << r.err;
  r = run_hwplan("synth -m gpt-oss-20b -o /tmp/x.gguf");  // sliding-window experts: no layout
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("attention other than full GQA"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists("/tmp/x.gguf"));
  r = run_hwplan("generate --gguf /nonexistent.gguf --prompt-ids 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/nonexistent.gguf"), std::string::npos) << r.err;
  r = run_hwplan("validate --tokens 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tokens"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hwplan::cli

namespace hwplan::cli {
namespace {

const std::string kBench = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/llama_bench/";

TEST(LlamaBenchCli, JsonAndJsonlGiveTheSameRows) {
  for (const char* file : {"example.json", "example.jsonl"}) {
    const auto r =
        testing::run_hwplan("validate --llama-bench " + kBench + file + " --hw rtx-4090 --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = nlohmann::json::parse(r.out);
    const auto& rows = json["tables"]["validate"];
    ASSERT_EQ(rows.size(), 2u) << file;  // the falcon row has no bundled model: skipped with a note
    EXPECT_EQ(rows[0]["model"], "llama-3.1-8b");
    EXPECT_EQ(rows[0]["quant"], "q4_k_m");
    EXPECT_EQ(rows[0]["test"], "pp512");
    EXPECT_EQ(rows[1]["test"], "tg128");
    EXPECT_EQ(rows[1]["backend"], "cuda");
    EXPECT_EQ(rows[1]["measured_tok_per_s"], 150.0);
    // The prediction is predict's own for the same request.
    const auto p =
        testing::run_hwplan("predict -m llama-3.1-8b -q q4_k_m --hw rtx-4090 -c 64 --json");
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_NEAR(
        rows[1]["predicted_tok_per_s"].get<double>(),
        nlohmann::json::parse(p.out)["tables"]["predict"][0]["decode_tok_per_s"].get<double>(),
        1e-9);
    EXPECT_NE(json["notes"].dump().find("falcon 13B Q4_0"), std::string::npos);
  }
}

TEST(LlamaBenchCli, MalformedResultsAreClearErrors) {
  auto r = testing::run_hwplan("validate --llama-bench " + kBench + "malformed.json --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("malformed.json: result 0: field \"avg_ts\" is missing"), std::string::npos)
      << r.err;
  r = testing::run_hwplan("validate --llama-bench " + kBench + "README.md --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("not llama-bench JSON or JSONL"), std::string::npos) << r.err;
  r = testing::run_hwplan("validate --llama-bench " + kBench + "example.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("needs --hw"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hwplan::cli

namespace hwplan::cli {
namespace {

const std::string kCompare = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/compare/";

nlohmann::json compare_json(const std::string& current, int expected_exit,
                            const std::string& extra = "") {
  const auto r = testing::run_hwplan("compare " + kCompare + "baseline.json " + kCompare + current +
                                     " --json" + extra);
  EXPECT_EQ(r.exit_code, expected_exit) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(CompareCli, ClearRegressionExits1) {
  const auto rows = compare_json("regression.json", 1)["tables"]["compare"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["benchmark"], "BM_Matvec/q4_0");
  EXPECT_EQ(rows[0]["verdict"], "regression");
  EXPECT_NEAR(rows[0]["slowdown_fraction"].get<double>(), 0.20, 1e-12);  // medians 100 -> 120 us
  EXPECT_NEAR(rows[0]["p_value"].get<double>(), 2.0 / 252, 1e-12);       // 5 vs 5, separated
  EXPECT_EQ(rows[0]["unit"], "ns");
  EXPECT_EQ(rows[0]["baseline"], 100000.0);
  EXPECT_EQ(rows[1]["verdict"], "unchanged");
}

TEST(CompareCli, NoiseImprovementAndUnitsExit0) {
  const auto noise = compare_json("noise.json", 0);
  for (const auto& row : noise["tables"]["compare"]) EXPECT_EQ(row["verdict"], "unchanged");
  const auto rows = compare_json("improvement.json", 0)["tables"]["compare"];
  EXPECT_EQ(rows[0]["verdict"], "improvement");
  // BM_Decode is in seconds there and milliseconds in the baseline: the same times.
  EXPECT_EQ(rows[2]["verdict"], "unchanged");
  EXPECT_EQ(rows[2]["current"], 50000000.0);
  // A 1% threshold still calls the noise file's q4_0 (+2%) unchanged: not significant. Ranks of
  // the baseline 98..102 among 100..104 (three tied pairs): sum 19.5, U = 4.5, variance
  // 25/12 x (11 - 18/90) = 22.5, z = (8 - 0.5)/4.743 = 1.581, p = 0.114.
  EXPECT_EQ(compare_json("noise.json", 0, " --threshold 1%")["tables"]["compare"][0]["reason"],
            "not significant (p = 0.114 >= 0.05)");
}

TEST(CompareCli, MissingAndNewBenchmarksAreReported) {
  const auto rows = compare_json("missing.json", 0)["tables"]["compare"];
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1]["verdict"], "missing in current");
  EXPECT_TRUE(rows[1]["current"].is_null());
  EXPECT_EQ(rows[3]["benchmark"], "BM_New");
  EXPECT_EQ(rows[3]["verdict"], "new");
  EXPECT_EQ(compare_json("aggregates-only.json", 0)["tables"]["compare"][0]["current"], 100000.0);
}

TEST(CompareCli, BadInputExits2) {
  auto r =
      testing::run_hwplan("compare " + kCompare + "baseline.json " + kCompare + "malformed.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("malformed.json: malformed JSON"), std::string::npos) << r.err;
  r = testing::run_hwplan("compare " + kCompare + "baseline.json " + kCompare +
                          "noise.json --threshold lots");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threshold: 'lots'"), std::string::npos) << r.err;
  r = testing::run_hwplan("compare " + kCompare + "baseline.json " + kCompare +
                          "noise.json --metric ratio");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no numeric \"ratio\""), std::string::npos) << r.err;
}

// A crashed benchmark run (empty or unrelated results) must not pass a CI gate, and an impossible
// time is not a 200% improvement.
TEST(CompareCli, NothingComparedOrImpossibleTimesExit2) {
  for (const char* file : {"empty.json", "unrelated.json"}) {
    const auto r = testing::run_hwplan("compare " + kCompare + "baseline.json " + kCompare + file);
    EXPECT_EQ(r.exit_code, 2) << file;
    EXPECT_NE(r.err.find("compare: nothing was compared: no benchmark of " + kCompare + file),
              std::string::npos)
        << r.err;
  }
  const auto r = testing::run_hwplan("compare " + kCompare + "baseline.json " + kCompare +
                                     "negative-time.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("negative-time.json: benchmarks[0] (BM_Matvec/q4_0): \"real_time\" is -100, "
                       "but a time must be > 0"),
            std::string::npos)
      << r.err;
}

TEST(CompareCli, LlamaBenchAndHwplanJson) {
  const std::string bench = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/llama_bench/";
  auto r =
      testing::run_hwplan("compare " + bench + "example.json " + bench + "example.jsonl --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out)["tables"]["compare"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1]["benchmark"], "llama 8B Q4_K - Medium tg128 t16 ngl99");
  EXPECT_EQ(rows[1]["unit"], "tok/s");
  EXPECT_EQ(rows[1]["verdict"], "unchanged");
}

}  // namespace
}  // namespace hwplan::cli

namespace hwplan::cli {
namespace {

std::map<std::string, nlohmann::json> claims_by_id(const std::string& csv) {
  const auto r = testing::run_hwplan("claims " + csv + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, nlohmann::json> out;
  const auto json = nlohmann::json::parse(r.out);  // kept: a temporary in the range would dangle
  for (const auto& row : json["tables"]["claims"]) out[row["id"].get<std::string>()] = row;
  return out;
}

TEST(ClaimsCli, VerdictsReasonedByHand) {
  const auto c = claims_by_id(std::string(HWPLAN_TEST_FIXTURES_DIR) + "/claims/sample.csv");
  ASSERT_EQ(c.size(), 9u);
  // s1: the M3 Max's datasheet bandwidth is 400 GB/s (512-bit LPDDR5-6400); 800 is the M2/M3
  // Ultra's class.
  EXPECT_EQ(c.at("s1")["verdict"], "inconsistent");
  EXPECT_EQ(c.at("s1")["value"], 400.0);
  // s2: 70.6B parameters at Q4_K_M (llama-quantize's per-tensor rules) are 42.5 GB; 140 GB is
  // the F16 size: pessimistic.
  EXPECT_EQ(c.at("s2")["verdict"], "pessimistic");
  EXPECT_NEAR(c.at("s2")["value"].get<double>(), 42.51, 0.01);
  // s3: every token reads ~42.6 GB; 546 GB/s / 42.6 GB = 12.8 tok/s at most: 50 is optimistic.
  EXPECT_EQ(c.at("s3")["verdict"], "optimistic");
  EXPECT_NEAR(c.at("s3")["value"].get<double>(), 12.8, 0.1);
  // s4: 2 channels x 8 bytes x 8000 MT/s = 128 GB/s at most; 150 is above it.
  EXPECT_EQ(c.at("s4")["verdict"], "optimistic");
  // s5: 40.3 GiB needed, 72 GiB usable by the GPU by default on a 96 GB Mac: it fits, so "no" is
  // pessimistic.
  EXPECT_EQ(c.at("s5")["verdict"], "pessimistic");
  // s6: 4 x 936 GB/s = 3744 GB/s.
  EXPECT_EQ(c.at("s6")["verdict"], "consistent");
  // s7: 614 / 273 = 2.25x, not 4x.
  EXPECT_EQ(c.at("s7")["verdict"], "inconsistent");
  EXPECT_NEAR(c.at("s7")["value"].get<double>(), 614.0 / 273.0, 1e-9);
  // s8: $2,199 / 2.39 $/h = 920 hours, within 15% of 1000.
  EXPECT_EQ(c.at("s8")["verdict"], "consistent");
  EXPECT_NEAR(c.at("s8")["value"].get<double>(), 2199 / 2.39, 1e-6);
  // s9: no bundled model is a 0.6B Qwen3: said, not guessed.
  EXPECT_EQ(c.at("s9")["verdict"], "unverifiable");
  // Assumptions are stated where the claim left something out.
  EXPECT_NE(c.at("s2")["assumptions"].get<std::string>().find("'4-bit' taken as Q4_K_M"),
            std::string::npos);
}

TEST(ClaimsCli, PublishedClaimsAllGetAVerdict) {
  // The bundled example: claims published in buying guides, with their sources.
  const std::string csv =
      std::string(HWPLAN_TEST_PROFILES_DIR) + "/../examples/published-claims.csv";
  const auto c = claims_by_id(csv);
  EXPECT_EQ(c.size(), 54u);
  for (const auto& [id, row] : c) EXPECT_FALSE(row["reason"].get<std::string>().empty()) << id;
  // c1: 819 GB/s (M3 Ultra) over 936 GB/s (RTX 3090) is 0.875x, not 2.3x.
  EXPECT_EQ(c.at("c1")["verdict"], "inconsistent");
  // a5: 70B Q4_K_M with 42 of 80 layers on a 4090 and the rest in DDR5: hwplan predicts ~2.9
  // tok/s, so "<1" is pessimistic.
  EXPECT_EQ(c.at("a5")["verdict"], "pessimistic");
  // d13: the DGX Spark's 273 GB/s matches its datasheet.
  EXPECT_EQ(c.at("d13")["verdict"], "consistent");
}

TEST(ClaimsCli, MalformedCsvIsAClearError) {
  const auto r = testing::run_hwplan("claims " + std::string(HWPLAN_TEST_FIXTURES_DIR) +
                                     "/claims/malformed.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("claim x1: claimed value 'lots' is not a number"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace hwplan::cli

namespace hwplan::cli {
namespace {

nlohmann::json report_json(const std::string& args) {
  const auto r = testing::run_hwplan(
      "report --hw rtx-3090 --hw strix-halo-128 --models llama-3.1-8b,llama-3.1-70b --json " +
      args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(ReportCli, CostsComputedByHand) {
  const auto json = report_json("");
  const auto& m = json["tables"]["machines"];
  ASSERT_EQ(m.size(), 2u);
  // RTX 3090 desktop ($800 used card + $498 desktop = $1,298): 500 W x 12 h + 80 W x 12 h =
  // 6,960 Wh/day; x 365 = 2,540.4 kWh; x $0.15 = $381.06/year; over 3 years: $2,441.18. Cloud at
  // $2.39/h x 12 h x 365 / 12 days = $872.35/month, electricity $31.755/month: the $1,298 is paid
  // back by the $840.59 saved each month after 1.544 months. $1,298 / 23.5 GiB = $55.23/GiB.
  EXPECT_NEAR(m[0]["energy_usd_per_year"].get<double>(), 381.06, 1e-9);
  EXPECT_NEAR(m[0]["tco_usd"].get<double>(), 2441.18, 1e-9);
  EXPECT_NEAR(m[0]["breakeven_months"].get<double>(), 1298 / (2.39 * 12 * 365 / 12 - 381.06 / 12),
              1e-9);
  EXPECT_NEAR(m[0]["breakeven_months"].get<double>(), 1.544, 0.001);
  EXPECT_NEAR(m[0]["usd_per_gib"].get<double>(), 1298 / 23.5, 1e-9);
  EXPECT_NE(m[0]["price_includes"].get<std::string>().find("RTX 3090 24 GB, used $800 + "),
            std::string::npos)
      << m[0]["price_includes"];
  // Strix Halo: (160 x 12 + 10 x 12) x 365 / 1000 x 0.15 = $111.69; + $1,999 = $2,334.07.
  EXPECT_NEAR(m[1]["energy_usd_per_year"].get<double>(), 111.69, 1e-9);
  EXPECT_NEAR(m[1]["tco_usd"].get<double>(), 2334.07, 1e-9);
  // Speeds are predict's, and $ per tok/s is the price over them.
  const auto p = testing::run_hwplan(
      "predict -m llama-3.1-70b -q q4_k_m --hw strix-halo-128 -c 8192 -p 1024 --json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const double predicted =
      nlohmann::json::parse(p.out)["tables"]["predict"][0]["decode_tok_per_s"].get<double>();
  // The cloud GPU (h100-sxm by default) at its own predicted speed for the same model.
  const auto h =
      testing::run_hwplan("predict -m llama-3.1-8b -q q4_k_m --hw h100-sxm -c 8192 -p 1024 --json");
  ASSERT_EQ(h.exit_code, 0) << h.err;
  const double cloud_8b =
      nlohmann::json::parse(h.out)["tables"]["predict"][0]["decode_tok_per_s"].get<double>();
  int checked = 0;
  for (const auto& row : json["tables"]["models"]) {
    if (row["model"] == "llama-3.1-70b" && row["hardware"] == "strix-halo-128") {
      ++checked;
      EXPECT_NEAR(row["decode_tok_per_s"].get<double>(), predicted, 1e-9);
      // Cost of ownership per tok/s, and 160 W / (tok/s x 3600) kWh/1000 x 1e6 x $0.15.
      EXPECT_NEAR(row["tco_usd_per_tok_per_s"].get<double>(), 2334.07 / predicted, 1e-6);
      EXPECT_NEAR(row["energy_usd_per_million_tokens"].get<double>(),
                  160.0 / (predicted * 3600) / 1000 * 1e6 * 0.15, 1e-9);
    }
    if (row["model"] == "llama-3.1-8b" && row["hardware"] == "rtx-3090") {
      ++checked;
      // Token-matched: rent the H100 for own/cloud of the hours: $1,298 / ($872.35 x own / cloud
      // - $31.755).
      const double own = row["decode_tok_per_s"].get<double>();
      EXPECT_NEAR(row["token_breakeven_months"].get<double>(),
                  1298 / (2.39 * 12 * 365 / 12 * own / cloud_8b - 381.06 / 12), 1e-6);
    }
  }
  EXPECT_EQ(checked, 2);
}

TEST(ReportCli, PriceOverridesAndBadPrices) {
  // At its bundled $1,298 (card and desktop) the RTX 3090 is the cheapest way to the 8B; priced at
  // $2,500 the Strix Halo ($1,999) wins the same need.
  auto rec = report_json("")["tables"]["recommendations"];
  EXPECT_EQ(rec[0]["hardware"], "rtx-3090");
  const auto priced = report_json("--price rtx-3090=2500");
  EXPECT_EQ(priced["tables"]["recommendations"][0]["hardware"], "strix-halo-128");
  EXPECT_EQ(priced["tables"]["machines"][0]["price_usd"].get<double>(), 2500);
  EXPECT_EQ(priced["tables"]["machines"][0]["price_date"], "set with --price");
  for (const char* bad : {"--price rtx-3090", "--price rtx-3090=-5", "--price rtx-3090=abc",
                          "--price h200=9000", "--price =5", "--cloud-gpu nosuch"}) {
    const auto r = testing::run_hwplan(
        std::string("report --hw rtx-3090 --hw strix-halo-128 --models llama-3.1-8b ") + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_FALSE(r.err.empty()) << bad;
  }
  // The verdict answers first.
  const auto verdict = priced["tables"]["verdict"];
  ASSERT_EQ(verdict.size(), 3u);
  EXPECT_NE(
      verdict[0]["verdict"].get<std::string>().find("strix-halo-128 ($1,999) is the cheapest"),
      std::string::npos)
      << verdict[0];
}

TEST(ReportCli, RecommendationsFollowTheNeed) {
  // At >= 10 tok/s neither machine runs the 70B (about 4.5 and 1.5 tok/s), so the largest model is
  // the 8B, on the cheaper machine; at >= 4 tok/s the Strix Halo runs the 70B entirely.
  auto rec = report_json("")["tables"]["recommendations"];
  EXPECT_EQ(rec[0]["hardware"], "rtx-3090");
  EXPECT_EQ(rec[0]["model"], "llama-3.1-8b");
  rec = report_json("--min-tps 4")["tables"]["recommendations"];
  EXPECT_EQ(rec[0]["hardware"], "strix-halo-128");
  EXPECT_EQ(rec[0]["model"], "llama-3.1-70b");
  bool fastest_70b = false;
  for (const auto& r : rec) {
    if (r["need"] == "fastest for llama-3.1-70b") {
      fastest_70b = true;
      EXPECT_EQ(r["hardware"], "strix-halo-128");
      EXPECT_NE(r["reason"].get<std::string>().find("bound by unified memory bandwidth"),
                std::string::npos);
    }
  }
  EXPECT_TRUE(fastest_70b);
  // By use, for the 70B: chat wants 4 tok/s (only the Strix Halo); capacity only wants it held,
  // and the RTX 3090 desktop ($1,298) holds it with offload for less than the Strix Halo ($1,999).
  std::map<std::string, std::string> by_use;
  for (const auto& r : rec) {
    const std::string need = r["need"];
    by_use[need.substr(0, need.find(':'))] = r["hardware"].is_string() ? r["hardware"] : "";
  }
  EXPECT_EQ(by_use["chat"], "strix-halo-128");
  EXPECT_EQ(by_use["capacity"], "rtx-3090");
  EXPECT_FALSE(by_use["long documents"].empty());
  // A budget leaves out what costs more, and says so.
  const auto cheap = report_json("--budget 1500");
  EXPECT_EQ(cheap["tables"]["machines"].size(), 1u);
  EXPECT_NE(
      cheap["notes"].dump().find("strix-halo-128: left out ($1,999 is over the $1,500 budget)"),
      std::string::npos);
}

TEST(ReportCli, HtmlIsSelfContained) {
  const auto r =
      testing::run_hwplan("report --hw rtx-3090 --hw strix-halo-128 --hw m4-max-128 --format html");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(r.out.find("<script"), std::string::npos);
  EXPECT_EQ(r.out.find("https://"), std::string::npos);
  EXPECT_EQ(r.out.find("src="), std::string::npos);
  // Only the SVG namespace names a URL; nothing is fetched.
  size_t urls = 0;
  for (size_t at = r.out.find("http://"); at != std::string::npos;
       at = r.out.find("http://", at + 1))
    ++urls;
  size_t svgs = 0;
  for (size_t at = r.out.find("<svg "); at != std::string::npos; at = r.out.find("<svg ", at + 1))
    ++svgs;
  EXPECT_EQ(svgs, 3u);
  EXPECT_EQ(urls, svgs);
  EXPECT_NE(r.out.find("Pareto"), std::string::npos);
  const auto md = testing::run_hwplan("report --hw rtx-3090 --format md");
  EXPECT_NE(md.out.find("```"), std::string::npos);  // charts as text bars
}

// The GPU weight pass: where there is no CUDA build or no usable GPU it stops with the reason
// (exit 3); with a GPU it prints one row per format and placement.
TEST(KernelCli, ValidateOnCudaSaysWhyItCannotOrMeasures) {
  const auto r = testing::run_hwplan("validate --device cuda --quant q4_0 --layers 2 --tokens 4");
  if (r.exit_code == 0) {
    EXPECT_NE(r.out.find("resident"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("streamed"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("split"), std::string::npos) << r.out;
    return;
  }
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("validate --device cuda: "), std::string::npos) << r.err;
  EXPECT_EQ(testing::run_hwplan("validate --device tpu").exit_code, 2);
}

}  // namespace
}  // namespace hwplan::cli
