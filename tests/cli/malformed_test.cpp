// Every malformed input of tests/fixtures/malformed (cases.json): exit 2 and the exact message,
// never a crash, an abort or a silent answer.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "run_util.h"

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

TEST(MalformedInputs, EachGivesExit2AndItsMessage) {
  const std::string fixtures = HWPLAN_TEST_FIXTURES_DIR;
  const auto cases = nlohmann::json::parse(std::ifstream(fixtures + "/malformed/cases.json"));
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    std::string command = c["command"].get<std::string>();
    if (c.contains("file")) {
      command =
          replaced(command, "{file}", fixtures + "/malformed/" + c["file"].get<std::string>());
    }
    command = replaced(command, "{fixtures}", fixtures);
    const auto r = run_hwplan(command);
    EXPECT_EQ(r.exit_code, c["exit"].get<int>()) << command << "\n" << r.err;
    EXPECT_NE(r.err.find(c["message"].get<std::string>()), std::string::npos)
        << command << "\nexpected: " << c["message"] << "\ngot: " << r.err;
    EXPECT_EQ(r.err.rfind("hwplan: error: ", 0), 0u) << command << ": " << r.err;
  }
}

}  // namespace
}  // namespace hwplan::cli
