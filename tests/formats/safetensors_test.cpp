// safetensors headers: sizes from dtype x shape checked against each tensor's byte range and the
// file; malformed headers are errors naming the file and tensor.
#include "formats/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.h"
#include "safetensors_builder.h"

namespace hwplan::formats {
namespace {

using testing::StTensor;
using testing::write_safetensors;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const std::filesystem::path kDir =
    std::filesystem::temp_directory_path() / ("hwplan_st_test_" + std::to_string(::getpid()));

TEST(Safetensors, ReadsTheHeaderOnly) {
  std::filesystem::create_directories(kDir);
  const auto path = (kDir / "a.safetensors").string();
  // 128256 x 2048 BF16 = 525,336,576 bytes of data: a sparse hole, never read.
  write_safetensors(path, {{"w", "BF16", {128256, 2048}}, {"n", "F32", {2048}}});
  const auto h = read_safetensors_header(path);
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].name, "w");
  EXPECT_EQ(h.tensors[0].n_bytes, 525336576);
  EXPECT_EQ(h.tensors[0].n_elements, 262668288);
  EXPECT_EQ(h.tensors[1].n_bytes, 8192);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  std::filesystem::remove_all(kDir);
}

TEST(Safetensors, MalformedHeadersNameFileAndTensor) {
  std::filesystem::create_directories(kDir);
  const auto path = (kDir / "bad.safetensors").string();
  // The last tensor claims 16 bytes more than the file holds.
  write_safetensors(path, {{"w", "F16", {4, 4}}}, 16);
  EXPECT_NE(error_of([&] {
              read_safetensors_header(path);
            }).find("bad.safetensors: tensor \"w\": data_offsets [0, 48] leave the 32 bytes"),
            std::string::npos);
  auto header = [](const std::string& json) {
    std::string bytes(8, '\0');
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
    return bytes + json + std::string(64, '\0');
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"w": {"dtype": "F16", "shape": [4, 4], "data_offsets": [0, 30]}})",
       "16 F16 elements need 32 bytes but data_offsets give 30"},
      {R"({"w": {"dtype": "Q4", "shape": [4], "data_offsets": [0, 2]}})", "unknown dtype \"Q4\""},
      {R"({"w": {"dtype": "F16", "shape": [-4], "data_offsets": [0, 8]}})",
       "shape must hold non-negative integers"},
      {R"({"w": {"dtype": "F16", "shape": [4]}})", "needs dtype (string), shape (array)"},
      {R"({"a": {"dtype": "F16", "shape": [8], "data_offsets": [0, 16]},
           "b": {"dtype": "F16", "shape": [8], "data_offsets": [8, 24]}})",
       "overlaps the bytes of another tensor"},
      {R"([1, 2])", "the safetensors header is not a JSON object"},
      {R"({"w": )", "the safetensors header is not JSON"}};
  for (const auto& [json, want] : cases) {
    const auto message = error_of([&] { parse_safetensors_header(header(json), "x.st"); });
    EXPECT_NE(message.find(want), std::string::npos) << json << " -> " << message;
    EXPECT_EQ(message.rfind("x.st: ", 0), 0u) << message;
  }
  std::string huge(8, '\xff');
  EXPECT_NE(error_of([&] { parse_safetensors_header(huge, "x.st"); }).find("header length"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_safetensors_header(kDir.string()); }).find("regular file"),
            std::string::npos);
  std::filesystem::remove_all(kDir);
}

}  // namespace
}  // namespace hwplan::formats
