#pragma once
// Validated reading of JSON documents: every problem is reported as
// "<file>: <json pointer>: <problem>" (STYLE.md "Profiles are data").

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace hwplan {

/// Parses a JSON file; throws Error{kInput} naming the file (missing, unreadable, or the parse
/// error with its byte offset).
nlohmann::json load_json_file(const std::string& path);

/// Parses JSON text; `origin` names it in error messages.
nlohmann::json parse_json_text(const std::string& text, const std::string& origin);

/// Allowed range of a number: (min, max] or [min, max] as `min_inclusive` says.
struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_inclusive = true;

  /// Numbers > 0.
  static NumberRange positive() { return {0.0, std::numeric_limits<double>::infinity(), false}; }
  /// Numbers >= 0.
  static NumberRange non_negative() { return {0.0, std::numeric_limits<double>::infinity(), true}; }
  /// Numbers in [0, 1].
  static NumberRange fraction() { return {0.0, 1.0, true}; }
};

/// A view of one JSON object that reads typed fields, checks them, and remembers which keys were
/// read so that finish() can reject unknown ones. Does not own the json.
class JsonObject {
 public:
  /// Throws if `value` is not an object. `pointer` is the JSON pointer of `value` ("" for root).
  JsonObject(const nlohmann::json& value, std::string file, std::string pointer);

  bool has(std::string_view key) const;
  double number(std::string_view key, NumberRange range = {});
  std::optional<double> optional_number(std::string_view key, NumberRange range = {});
  int64_t integer(std::string_view key, int64_t min = std::numeric_limits<int64_t>::min(),
                  int64_t max = std::numeric_limits<int64_t>::max());
  std::optional<int64_t> optional_integer(std::string_view key,
                                          int64_t min = std::numeric_limits<int64_t>::min(),
                                          int64_t max = std::numeric_limits<int64_t>::max());
  std::string string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  /// A string that must be one of `allowed`.
  std::string choice(std::string_view key, const std::vector<std::string>& allowed);
  bool boolean(std::string_view key);
  std::optional<bool> optional_boolean(std::string_view key);
  JsonObject object(std::string_view key);
  std::optional<JsonObject> optional_object(std::string_view key);
  /// The raw array at `key` (checked to be an array).
  const nlohmann::json& array(std::string_view key);
  /// Marks a key as known without reading it.
  void ignore(std::string_view key);
  /// Rejects any key that was not read or ignored.
  void finish() const;

  /// Throws Error{kInput}: "<file>: <pointer>/<key>: <problem>".
  [[noreturn]] void fail(std::string_view key, const std::string& problem) const;
  /// JSON pointer of a child key.
  std::string pointer_of(std::string_view key) const;
  const std::string& file() const { return file_; }
  const std::string& pointer() const { return pointer_; }
  const nlohmann::json& json() const { return *value_; }

 private:
  const nlohmann::json& require(std::string_view key);
  void check_range(std::string_view key, double value, const NumberRange& range) const;

  const nlohmann::json* value_;
  std::string file_;
  std::string pointer_;
  std::set<std::string, std::less<>> seen_;
};

/// Escapes one JSON-pointer reference token ("~" -> "~0", "/" -> "~1").
std::string json_pointer_escape(std::string_view token);

/// Converts a double for JSON output: NaN and infinities become null (STYLE.md).
nlohmann::json json_number(double value);

}  // namespace hwplan
