// A Hugging Face checkpoint folder (config.json beside safetensors shards): fit reads the exact
// weights from the headers, BF16 and MLX 4-bit alike; a missing shard or a lying header is exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../formats/safetensors_builder.h"
#include "run_util.h"

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

const std::filesystem::path kDir =
    std::filesystem::temp_directory_path() / ("hwplan_st_cli_" + std::to_string(::getpid()));

// Llama 3.2 1B's config.json (profiles/models/llama-3.2-1b.json), plus `extra` fields.
void write_config(const std::filesystem::path& folder, const nlohmann::json& extra) {
  std::filesystem::create_directories(folder);
  auto config = nlohmann::json::parse(R"({"architectures": ["LlamaForCausalLM"],
    "model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192,
    "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
    "vocab_size": 128256, "max_position_embeddings": 131072, "rms_norm_eps": 1e-05,
    "rope_theta": 500000.0, "tie_word_embeddings": true, "head_dim": 64})");
  config.update(extra);
  std::ofstream(folder / "config.json") << config.dump();
}

nlohmann::json model_row(const std::string& folder) {
  const auto r = run_hwplan("fit -m " + folder + " --hw rtx-4090 --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out)["tables"]["models"][0]
                          : nlohmann::json::object();
}

// Llama 3.2 1B holds 1,235,814,400 parameters (tied embedding): 1,235,746,816 in matrices and
// 67,584 in 33 norms. BF16: 2 bytes each. MLX 4-bit with groups of 64: 4 bits plus a BF16 scale
// and bias per 64 weights = 0.5625 bytes per matrix weight (695,107,584 B), norms in BF16
// (135,168 B).
TEST(SafetensorsCli, CheckpointFoldersGiveExactWeights) {
  std::filesystem::remove_all(kDir);
  const auto bf16 = kDir / "Llama-3.2-1B";
  write_config(bf16, nlohmann::json::object());
  auto tensors = hwplan::testing::llama_3_2_1b_tensors("BF16");
  // Two shards and an index, as Hugging Face stores large checkpoints.
  const auto half = tensors.begin() + static_cast<std::ptrdiff_t>(tensors.size() / 2);
  hwplan::testing::write_safetensors(bf16 / "model-00001-of-00002.safetensors",
                                     {tensors.begin(), half});
  hwplan::testing::write_safetensors(bf16 / "model-00002-of-00002.safetensors",
                                     {half, tensors.end()});
  nlohmann::json index = {{"metadata", {{"total_size", 2471628800}}},
                          {"weight_map", nlohmann::json::object()}};
  for (auto it = tensors.begin(); it != tensors.end(); ++it) {
    index["weight_map"][it->name] =
        it < half ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  std::ofstream(bf16 / "model.safetensors.index.json") << index.dump();
  auto row = model_row(bf16.string());
  EXPECT_EQ(row["model"], "Llama-3.2-1B");
  EXPECT_EQ(row["quant"], "BF16 (safetensors)");
  EXPECT_EQ(row["weights_source"], "safetensors headers (exact)");
  EXPECT_DOUBLE_EQ(row["params_b"].get<double>(), 1.2358144);
  EXPECT_DOUBLE_EQ(row["weights_gb"].get<double>(), 2.4716288);

  const auto mlx = kDir / "Llama-3.2-1B-4bit";
  write_config(mlx, {{"quantization", {{"group_size", 64}, {"bits", 4}}}});
  hwplan::testing::write_safetensors(mlx / "model.safetensors",
                                     hwplan::testing::llama_3_2_1b_tensors("BF16", 4));
  row = model_row(mlx.string());
  EXPECT_EQ(row["quant"], "4-bit (U32 packed) (safetensors)");
  EXPECT_DOUBLE_EQ(row["params_b"].get<double>(), 1.2358144);
  EXPECT_DOUBLE_EQ(row["weights_gb"].get<double>(), (695107584.0 + 135168.0) / 1e9);

  // A shard the index names is missing: exit 2 naming it.
  std::filesystem::remove(bf16 / "model-00002-of-00002.safetensors");
  auto r = run_hwplan("fit -m " + bf16.string() + " --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model-00002-of-00002.safetensors, which is missing"), std::string::npos)
      << r.err;
  // A header that promises more bytes than the file holds.
  hwplan::testing::write_safetensors(mlx / "model.safetensors",
                                     {{"model.norm.weight", "BF16", {2048}}}, 64);
  r = run_hwplan("fit -m " + mlx.string() + " --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("model.safetensors: tensor \"model.norm.weight\": data_offsets"),
            std::string::npos)
      << r.err;
  std::filesystem::remove_all(kDir);
}

}  // namespace
}  // namespace hwplan::cli
