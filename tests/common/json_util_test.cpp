#include "common/json_util.h"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"

namespace hwplan {
namespace {

// Runs `body`, expects an Error of `kind`, and returns its message.
template <typename Body>
std::string error_of(Body body, ErrorKind kind = ErrorKind::kInput) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind);
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

TEST(JsonObject, NamesFilePointerAndProblem) {
  const auto json = nlohmann::json::parse(R"({"bandwidth_gbs": -1})");
  JsonObject object(json, "profiles/hardware/rtx-4090.json", "");
  EXPECT_EQ(error_of([&] { object.number("bandwidth_gbs", NumberRange::positive()); }),
            "profiles/hardware/rtx-4090.json: /bandwidth_gbs: must be > 0, got -1");
}

TEST(JsonObject, RejectsWrongTypeMissingAndUnknownKeys) {
  const auto json = nlohmann::json::parse(R"({"memory_gib": "24", "extra": 1, "inner": {"x": 1}})");
  JsonObject object(json, "f.json", "");
  EXPECT_EQ(error_of([&] { object.number("memory_gib"); }),
            "f.json: /memory_gib: expected a number, got string \"24\"");
  EXPECT_EQ(error_of([&] { object.string("id"); }), "f.json: /id: missing required field");
  auto inner = object.object("inner");
  EXPECT_EQ(error_of([&] { inner.finish(); }), "f.json: /inner/x: unknown field (misspelled?)");
  EXPECT_EQ(error_of([&] { object.finish(); }), "f.json: /extra: unknown field (misspelled?)");
}

TEST(JsonObject, IntegerRangeAndChoice) {
  const auto json = nlohmann::json::parse(R"({"n": 0, "kind": "hybrid", "f": 1.5})");
  JsonObject object(json, "f.json", "");
  EXPECT_EQ(error_of([&] { object.integer("n", 1, 8); }), "f.json: /n: must be >= 1, got 0");
  EXPECT_EQ(error_of([&] { object.integer("f"); }),
            "f.json: /f: expected an integer, got number 1.5");
  EXPECT_EQ(error_of([&] {
              object.choice("kind", {"unified", "discrete"});
            }),
            "f.json: /kind: must be one of unified, discrete, got \"hybrid\"");
  EXPECT_FALSE(object.optional_number("absent").has_value());
}

TEST(JsonObject, PointerEscapesSlashAndTilde) {
  EXPECT_EQ(json_pointer_escape("a/b~c"), "a~1b~0c");
}

TEST(LoadJson, MissingFileAndParseErrorNameTheFile) {
  EXPECT_NE(error_of([] {
              load_json_file("/nonexistent/x.json");
            }).find("/nonexistent/x.json: cannot open"),
            std::string::npos);
  const auto message = error_of([] { parse_json_text("{\"a\": 1,", "broken.json"); });
  EXPECT_EQ(message.rfind("broken.json: not valid JSON:", 0), 0u) << message;
}

TEST(JsonNumber, NanBecomesNull) {
  EXPECT_TRUE(json_number(std::nan("")).is_null());
  EXPECT_EQ(json_number(2.5).get<double>(), 2.5);
}

TEST(ErrorKind, ExitCodes) {
  EXPECT_EQ(exit_code_for(ErrorKind::kUsage), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::kInput), 2);
  EXPECT_EQ(exit_code_for(ErrorKind::kUnsupported), 3);
  EXPECT_EQ(exit_code_for(ErrorKind::kResource), 3);
}

}  // namespace
}  // namespace hwplan
