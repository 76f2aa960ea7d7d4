// The hand-made malformed GGUF corpus (tests/fixtures/gguf_malformed, made by make_corpus.py):
// every file must be refused with an Error of the expected kind whose message names the file and
// the problem, never a crash.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "formats/gguf.h"
#include "kernels/llama.h"

namespace hwplan::kernels {
namespace {

const std::string kCorpus = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/gguf_malformed";

TEST(GgufCorpus, EveryMalformedFileIsRefusedClearly) {
  const auto expected = nlohmann::json::parse(std::ifstream(kCorpus + "/expected.json"));
  ASSERT_GE(expected.size(), 15u);
  for (const auto& [name, want] : expected.items()) {
    const std::string path = kCorpus + "/" + name;
    try {
      const formats::GgufFile file = formats::GgufFile::open(path);
      (void)llama_from_gguf(file);
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(path), std::string::npos) << name << ": " << message;
      EXPECT_NE(message.find(want["message"].get<std::string>()), std::string::npos)
          << name << ": " << message;
      EXPECT_EQ(error_kind_name(e.kind()), want["kind"].get<std::string>())
          << name << ": " << message;
    }
  }
}

}  // namespace
}  // namespace hwplan::kernels
