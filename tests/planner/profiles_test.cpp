#include "planner/profiles.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/json_util.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::db;
using testing::error_of;

TEST(Profiles, EveryBundledFileLoads) {
  // The issue's minimum: every machine buyers compare and every model they ask about.
  for (const char* id :
       {"m3-max-128",  "m3-ultra-96", "m3-ultra-192", "m3-ultra-256",   "m3-ultra-512",
        "m4-pro-64",   "m4-max-128",  "m5-max-128",   "strix-halo-128", "dgx-spark",
        "rtx-3090",    "rtx-4090",    "rtx-5090",     "rtx-6000-ada",   "rx-7900-xtx",
        "2x-rtx-3090", "4x-rtx-3090", "h100-sxm",     "h100-pcie",      "h200"}) {
    EXPECT_NO_THROW(find_hardware(db(), id)) << id;
  }
  for (const char* id :
       {"llama-2-7b",   "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",  "llama-3.2-1b",
        "llama-3.2-3b", "qwen2.5-7b",   "qwen2.5-32b",   "qwen2.5-72b",     "qwen3-8b",
        "qwen3-14b",    "qwen3-32b",    "qwen3-30b-a3b", "qwen3-235b-a22b", "qwen3-next-80b-a3b",
        "mistral-7b",   "mixtral-8x7b", "gpt-oss-20b",   "gpt-oss-120b",    "deepseek-v3",
        "kimi-k2",      "gemma-3-27b"}) {
    EXPECT_NO_THROW(find_model(db(), id)) << id;
  }
  for (const char* id :
       {"q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0", "q3_k_m", "q2_k", "iq4_xs", "mlx-4bit",
        "mlx-8bit", "gptq-int4-g128", "awq-int4-g128", "fp8", "nvfp4", "mxfp4"}) {
    EXPECT_NO_THROW(find_quant(db().quants, id)) << id;
  }
  EXPECT_EQ(db().quants.kv_cache_types.size(), 9u);
}

TEST(Profiles, EveryHardwareProfileHasASourceAndSensibleNumbers) {
  for (const auto& hw : db().hardware) {
    EXPECT_FALSE(hw.sources.empty()) << hw.id;
    EXPECT_GT(usable_gpu_bytes(hw), 0.0) << hw.id;
    EXPECT_LE(usable_gpu_bytes(hw), hw.memory_bytes) << hw.id;
    EXPECT_GT(hw.power_load_w, hw.power_idle_w) << hw.id;
  }
}

TEST(Profiles, UnknownNamesSuggestCloseOnes) {
  EXPECT_EQ(error_of([] { find_hardware(db(), "rtx4090"); }),
            "unknown hardware 'rtx4090'; did you mean: rtx-4090?");
  EXPECT_EQ(error_of([] { find_model(db(), "llama-3.1-7b"); }),
            "unknown model 'llama-3.1-7b'; did you mean: llama-3.1-70b, llama-3.1-8b?");
  EXPECT_EQ(error_of([] {
              find_quant(db().quants, "q4km");
            }).rfind("unknown quantization 'q4km'; did you mean:", 0),
            0u);
}

TEST(Profiles, MalformedFilesNameTheFile) {
  const auto dir = std::filesystem::temp_directory_path() / "hwplan_profiles_test";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(HWPLAN_TEST_PROFILES_DIR, dir, std::filesystem::copy_options::recursive);
  const auto bad = (dir / "hardware" / "broken.json").string();
  std::ofstream(bad) << R"({"schema_version": 1, "id": "other-id", "name": "x", "kind": "unified",
    "backend": "metal", "gpu_count": 1, "memory_gib": 64, "bandwidth_gbs": 273, "fp16_tflops": 9})";
  EXPECT_EQ(error_of([&] { load_profile_db(dir.string()); }),
            bad + ": /id: \"other-id\" differs from the file name \"broken\"");
  std::ofstream(bad) << "{";
  EXPECT_EQ(error_of([&] { load_profile_db(dir.string()); }).rfind(bad + ": not valid JSON", 0),
            0u);
  std::filesystem::remove(bad);
  // quants.json whose GGUF table disagrees with ggml's.
  auto quants = load_json_file((dir / "quants.json").string());
  quants["gguf_types"][10]["block_bytes"] = 145;  // Q4_K
  std::ofstream((dir / "quants.json").string()) << quants.dump();
  const auto message = error_of([&] { load_profile_db(dir.string()); });
  EXPECT_NE(
      message.find("/gguf_types/10/name: Q4_K (id 12, 256 elements, 145 bytes) disagrees with "
                   "ggml's table"),
      std::string::npos)
      << message;
  // A mix whose GGUF counterpart is not a GGUF mix of the file.
  quants = load_json_file((std::string(HWPLAN_TEST_PROFILES_DIR) + "/quants.json"));
  for (auto& mix : quants["mixes"]) {
    if (mix["id"] == "mxfp4") mix["gguf_counterpart"] = "awq-int4-g128";
  }
  std::ofstream((dir / "quants.json").string()) << quants.dump();
  const auto counterpart = error_of([&] { load_profile_db(dir.string()); });
  EXPECT_NE(counterpart.find("/gguf_counterpart: \"awq-int4-g128\" is not a GGUF mix of this file"),
            std::string::npos)
      << counterpart;
  std::filesystem::remove_all(dir);
}

// The repository a command loads: the first huggingface.co source's owner/name, whatever follows.
TEST(Profiles, HuggingFaceRepoOfAModel) {
  ModelProfile p;
  p.sources = {
      {"paper", "https://arxiv.org/abs/1", ""},
      {"config", "https://huggingface.co/meta-llama/Llama-3.1-8B/blob/main/config.json", ""}};
  EXPECT_EQ(hugging_face_repo(p), "meta-llama/Llama-3.1-8B");
  p.sources = {{"org page", "https://huggingface.co/meta-llama", ""}};
  EXPECT_EQ(hugging_face_repo(p), "");
}

}  // namespace
}  // namespace hwplan::planner
