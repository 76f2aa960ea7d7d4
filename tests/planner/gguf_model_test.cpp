// GGUF files the reader accepts but the planner's reading of the model must refuse
// (tests/fixtures/gguf_malformed/planner_expected.json, made by make_corpus.py): counts beyond
// the caps, metadata that contradicts the tensor table, untrusted names escaped.
#include "planner/gguf_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "../formats/tiny_gguf.h"
#include "common/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"

namespace hwplan::planner {
namespace {

const std::string kCorpus = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/gguf_malformed";

TEST(GgufModelCorpus, EveryFileIsRefusedWithItsMessage) {
  const auto expected = nlohmann::json::parse(std::ifstream(kCorpus + "/planner_expected.json"));
  ASSERT_GE(expected.size(), 6u);
  for (const auto& [name, want] : expected.items()) {
    const std::string path = kCorpus + "/" + name;
    try {
      (void)model_from_gguf(path);
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\x1b'), std::string::npos) << name << ": raw escape in the message";
      EXPECT_NE(message.find(path), std::string::npos) << name << ": " << message;
      EXPECT_NE(message.find(want["message"].get<std::string>()), std::string::npos)
          << name << ": " << message;
      EXPECT_EQ(error_kind_name(e.kind()), want["kind"].get<std::string>()) << name;
    }
  }
}

// The tiny Llama split into `shards` files whose split.no values are `numbers` (0-based) and
// whose first promises `promised` tensors.
struct TinySplit {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hwplan_tiny_split_" + std::to_string(::getpid()));
  testing::TinyLlama tiny;

  std::string write(int64_t shards, std::vector<uint16_t> numbers, int32_t promised) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string prefix = (dir / "tiny").string();
    if (shards == 1) {
      tiny.write(prefix + ".gguf");
      return prefix + ".gguf";
    }
    const auto tensors = tiny.tensors();
    for (int64_t i = 0; i < shards; ++i) {
      auto kv = i == 0 ? tiny.metadata : decltype(tiny.metadata){};
      kv.emplace_back("split.no", numbers[static_cast<size_t>(i)]);
      kv.emplace_back("split.count", static_cast<uint16_t>(shards));
      kv.emplace_back("split.tensors.count", promised);
      const auto begin = static_cast<std::ptrdiff_t>(4 * i / shards);
      const auto end = static_cast<std::ptrdiff_t>(4 * (i + 1) / shards);
      formats::write_gguf(formats::gguf_shard_path(prefix, i + 1, shards), kv,
                          {tensors.begin() + begin, tensors.begin() + end});
    }
    return formats::gguf_shard_path(prefix, 1, shards);
  }
  ~TinySplit() { std::filesystem::remove_all(dir); }
};

std::string error_of_model(const std::string& path) {
  try {
    (void)model_from_gguf(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GgufSplit, ShardsMakeTheSameModelAsOneFile) {
  TinySplit tiny;
  const auto whole = model_from_gguf(tiny.write(1, {}, 0));
  const auto split = model_from_gguf(tiny.write(3, {0, 1, 2}, 4));
  EXPECT_EQ(split.spec.id, "tiny");
  EXPECT_EQ(split.spec, whole.spec);
  EXPECT_EQ(split.weights, whole.weights);
  EXPECT_DOUBLE_EQ(total_weight_bytes(split.weights), (256 + 3 * 8) * 4.0);
}

TEST(GgufSplit, InconsistentShardsAreErrorsNamingTheFile) {
  TinySplit tiny;
  std::string first = tiny.write(3, {0, 2, 2}, 4);
  EXPECT_NE(error_of_model(first).find("tiny-00002-of-00003.gguf: metadata split.no/split.count "
                                       "say shard 3 of 3, expected shard 2 of 3"),
            std::string::npos)
      << error_of_model(first);
  first = tiny.write(2, {0, 1}, 7);
  EXPECT_NE(error_of_model(first).find("\"split.tensors.count\" is 7 but the 2 shards hold 4"),
            std::string::npos)
      << error_of_model(first);
  // A shard renamed so its siblings cannot be found.
  first = tiny.write(2, {0, 1}, 4);
  const auto renamed = (tiny.dir / "renamed.gguf").string();
  std::filesystem::rename(first, renamed);
  EXPECT_NE(error_of_model(renamed).find("is not named <prefix>-NNNNN-of-00002.gguf"),
            std::string::npos)
      << error_of_model(renamed);
}

}  // namespace
}  // namespace hwplan::planner
