// Models in local stores: a fixture tree of Ollama, LM Studio and the Hugging Face cache (with a
// broken manifest and a symlink loop) scanned, and resolved by --model store:name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../formats/safetensors_builder.h"
#include "../formats/tiny_gguf.h"
#include "run_util.h"

namespace hwplan::cli {
namespace {

namespace fs = std::filesystem;
using testing::run_hwplan;

const std::string kDigest(64, 'a');
const std::string kMissing(64, 'b');

// HOME with .ollama/models and .lmstudio/models, and a Hugging Face hub folder.
struct StoreTree {
  fs::path root = fs::temp_directory_path() / ("hwplan_stores_" + std::to_string(::getpid()));
  StoreTree() {
    fs::remove_all(root);
    const hwplan::testing::TinyLlama tiny;
    // Ollama: a manifest naming a blob, and one naming a blob that is not there.
    const fs::path ollama = root / "home/.ollama/models";
    fs::create_directories(ollama / "blobs");
    tiny.write((ollama / "blobs" / ("sha256-" + kDigest)).string());
    auto manifest = [&](const std::string& model, const std::string& digest) {
      const fs::path dir = ollama / "manifests/registry.ollama.ai/library" / model;
      fs::create_directories(dir);
      std::ofstream(dir / "latest") << nlohmann::json{
          {"schemaVersion", 2},
          {"layers",
           {{{"mediaType", "application/vnd.ollama.image.model"},
             {"digest", "sha256:" + digest},
             {"size", 1192}}}}}.dump();
    };
    manifest("tiny", kDigest);
    manifest("broken", kMissing);
    // LM Studio: a GGUF and a vision projector beside it (not a model of its own).
    const fs::path lms = root / "home/.lmstudio/models/pub/Tiny-GGUF";
    fs::create_directories(lms);
    tiny.write((lms / "tiny-Q4.gguf").string());
    tiny.write((lms / "mmproj-tiny.gguf").string());
    // Hugging Face: a safetensors checkpoint at refs/main, a GGUF repo, and a looping symlink.
    const fs::path hub = root / "hub";
    const fs::path snap = hub / "models--org--Llama-3.2-1B/snapshots/abc123";
    fs::create_directories(snap);
    std::ofstream(hub / "models--org--Llama-3.2-1B/refs/main") << "abc123";
    std::ofstream(snap / "config.json") << R"({"architectures": ["LlamaForCausalLM"],
      "model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192,
      "num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8,
      "vocab_size": 128256, "max_position_embeddings": 131072, "tie_word_embeddings": true,
      "head_dim": 64})";
    hwplan::testing::write_safetensors(snap / "model.safetensors",
                                       hwplan::testing::llama_3_2_1b_tensors("BF16"));
    const fs::path gguf_snap = hub / "models--org--Tiny-GGUF/snapshots/r1";
    fs::create_directories(gguf_snap);
    tiny.write((gguf_snap / "tiny.gguf").string());
    const fs::path loop_snap = hub / "models--org--Loop/snapshots/r1";
    fs::create_directories(loop_snap);
    fs::create_symlink(loop_snap / "loop.gguf", loop_snap / "loop.gguf");
    ::setenv("HOME", (root / "home").c_str(), 1);
    ::setenv("HF_HUB_CACHE", hub.c_str(), 1);
    ::unsetenv("OLLAMA_MODELS");
    ::unsetenv("HF_HOME");
  }
  ~StoreTree() { fs::remove_all(root); }
};

TEST(StoresCli, ScanListsEveryModelAndNamesWhatItLeftOut) {
  const StoreTree tree;
  const auto r = run_hwplan("scan --hw rtx-4090 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  std::map<std::string, nlohmann::json> rows;
  for (const auto& row : json["tables"]["scan"])
    rows[row["store"].get<std::string>() + ":" + row["model"].get<std::string>()] = row;
  ASSERT_EQ(rows.size(), 4u) << json["tables"]["scan"].dump(1);
  EXPECT_EQ(rows.at("ollama:tiny:latest")["format"], "GGUF");
  EXPECT_EQ(rows.at("ollama:tiny:latest")["fit"], "fits");
  EXPECT_TRUE(rows.count("lmstudio:pub/Tiny-GGUF/tiny-Q4.gguf"));
  EXPECT_TRUE(rows.count("hf:org/Tiny-GGUF/tiny.gguf"));
  const auto& checkpoint = rows.at("hf:org/Llama-3.2-1B");
  EXPECT_EQ(checkpoint["format"], "safetensors");
  EXPECT_EQ(checkpoint["quant"], "BF16 (safetensors)");
  // 2,471,628,800 bytes of data plus the header.
  EXPECT_NEAR(checkpoint["size_gb"].get<double>(), 2.4716288, 1e-4);
  const std::string warnings = json["context"]["warnings"].dump();
  EXPECT_NE(warnings.find("sha256-" + kMissing + ", which is missing"), std::string::npos)
      << warnings;
  EXPECT_NE(warnings.find("loop.gguf"), std::string::npos) << warnings;
}

TEST(StoresCli, StoreReferencesResolveLocallyOrExit2) {
  const StoreTree tree;
  auto r = run_hwplan("fit -m ollama:tiny --hw rtx-4090 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tables"]["models"][0]["model"], "tiny");
  r = run_hwplan("fit -m hf:org/Llama-3.2-1B --hw rtx-4090 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["tables"]["models"][0]["weights_gb"].get<double>(),
                   2.4716288);
  r = run_hwplan("fit -m lmstudio:pub/Tiny-GGUF --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 0) << r.err;  // the folder's only model
  for (const auto& [reference, message] : std::vector<std::pair<std::string, std::string>>{
           {"ollama:broken", "which is missing"},
           {"ollama:nothing", "not in the Ollama store (no manifest"},
           {"hf:org/Missing", "not in the Hugging Face cache"},
           {"hf:org", "hf:ORG/REPO"},
           {"ollama:../x", "not a model name"}}) {
    r = run_hwplan("fit -m " + reference + " --hw rtx-4090");
    EXPECT_EQ(r.exit_code, 2) << reference;
    EXPECT_NE(r.err.find(message), std::string::npos) << reference << ": " << r.err;
  }
}

}  // namespace
}  // namespace hwplan::cli
