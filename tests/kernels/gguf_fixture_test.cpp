// The GGUF reader against llama.cpp's own files and the tensor tables it recorded for them
// (../shared/fixtures/gguf/tiny-a-reference.json). Skips where ../shared is absent.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/gguf.h"

namespace hwplan::kernels {
namespace {

const std::string kFixtures = std::string(HWPLAN_TEST_SHARED_DIR) + "/fixtures/gguf";

TEST(GgufFixtures, TensorTablesMatchLlamaCpp) {
  const auto reference_path = kFixtures + "/tiny-a-reference.json";
  if (!std::filesystem::exists(reference_path)) GTEST_SKIP() << "no ../shared fixtures here";
  const auto reference = nlohmann::json::parse(std::ifstream(reference_path));
  int checked = 0;
  for (const auto& [name, expected] : reference.at("files").items()) {
    SCOPED_TRACE(name);
    const auto file = formats::GgufFile::open(kFixtures + "/" + name);
    EXPECT_EQ(file.file_size(), expected.at("size_bytes").get<uint64_t>());
    EXPECT_EQ(file.version(), expected.at("gguf_version").get<uint32_t>());
    EXPECT_EQ(file.alignment(), expected.at("alignment").get<uint64_t>());
    EXPECT_EQ(file.metadata().size(), expected.at("n_kv").get<size_t>());
    EXPECT_EQ(file.get_int("general.file_type"), expected.at("general_file_type").get<int64_t>());
    const auto& tensors = expected.at("tensors");
    ASSERT_EQ(file.tensors().size(), tensors.size());
    int64_t total = 0;
    for (size_t i = 0; i < tensors.size(); ++i) {
      const auto& got = file.tensors()[i];
      EXPECT_EQ(got.name, tensors[i].at("name").get<std::string>());
      EXPECT_EQ(std::string(got.type.name), tensors[i].at("type").get<std::string>());
      EXPECT_EQ(got.shape, tensors[i].at("shape").get<std::vector<int64_t>>());
      EXPECT_EQ(got.n_elements, tensors[i].at("n_elements").get<int64_t>());
      EXPECT_EQ(got.n_bytes, tensors[i].at("bytes").get<int64_t>());
      EXPECT_EQ(got.offset, tensors[i].at("offset").get<uint64_t>());
      total += got.n_bytes;
    }
    EXPECT_EQ(total, expected.at("tensor_bytes_total").get<int64_t>());
    ++checked;
  }
  EXPECT_EQ(checked, 5);
}

}  // namespace
}  // namespace hwplan::kernels
