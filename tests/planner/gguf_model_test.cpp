// GGUF files the reader accepts but the planner's reading of the model must refuse
// (tests/fixtures/gguf_malformed/planner_expected.json, made by make_corpus.py): counts beyond
// the caps, metadata that contradicts the tensor table, untrusted names escaped.
#include "planner/gguf_model.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.h"

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

}  // namespace
}  // namespace hwplan::planner
