#include "common/json_util.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"

namespace hwplan {
namespace {

const char* type_name(const nlohmann::json& value) { return value.type_name(); }

// A short description of a value for an error message, without serialising a large or deeply
// nested value whole.
std::string describe(const nlohmann::json& value) {
  constexpr size_t kMaxShown = 60;
  if (value.is_array()) return fmt::format("of {} items", value.size());
  if (value.is_object()) return fmt::format("of {} keys", value.size());
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    return nlohmann::json(s.size() > kMaxShown ? s.substr(0, kMaxShown) + "..." : s).dump();
  }
  return value.dump();
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& origin) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    // A syntax error, or a number beyond the double range (out_of_range 406). nlohmann's message
    // carries the byte offset or the number; strip its "[json.exception...]" tag.
    std::string message = error.what();
    const auto tag_end = message.find("] ");
    if (tag_end != std::string::npos) message = message.substr(tag_end + 2);
    throw_input("{}: not valid JSON: {}", origin, message);
  }
}

nlohmann::json load_json_file(const std::string& path) {
  return parse_json_text(read_input_file(path, "JSON file"), path);
}

std::string json_pointer_escape(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

nlohmann::json json_number(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

JsonObject::JsonObject(const nlohmann::json& value, std::string file, std::string pointer)
    : value_(&value), file_(std::move(file)), pointer_(std::move(pointer)) {
  if (!value.is_object()) {
    throw_input("{}: {}: expected an object, got {}", file_, pointer_.empty() ? "/" : pointer_,
                type_name(value));
  }
}

std::string JsonObject::pointer_of(std::string_view key) const {
  return pointer_ + "/" + json_pointer_escape(key);
}

void JsonObject::fail(std::string_view key, const std::string& problem) const {
  throw_input("{}: {}: {}", file_, pointer_of(key), problem);
}

bool JsonObject::has(std::string_view key) const {
  auto it = value_->find(key);
  return it != value_->end() && !it->is_null();
}

const nlohmann::json& JsonObject::require(std::string_view key) {
  seen_.emplace(key);
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) fail(key, "missing required field");
  return *it;
}

void JsonObject::check_range(std::string_view key, double value, const NumberRange& range) const {
  if (!std::isfinite(value)) fail(key, "must be a finite number");
  const bool below = range.min_inclusive ? value < range.min : value <= range.min;
  if (below) {
    fail(key,
         fmt::format("must be {} {}, got {}", range.min_inclusive ? ">=" : ">", range.min, value));
  }
  if (value > range.max) fail(key, fmt::format("must be <= {}, got {}", range.max, value));
}

double JsonObject::number(std::string_view key, NumberRange range) {
  const auto& value = require(key);
  if (!value.is_number()) {
    fail(key, fmt::format("expected a number, got {} {}", type_name(value), describe(value)));
  }
  const double number = value.get<double>();
  check_range(key, number, range);
  return number;
}

std::optional<double> JsonObject::optional_number(std::string_view key, NumberRange range) {
  seen_.emplace(key);
  if (!has(key)) return std::nullopt;
  return number(key, range);
}

int64_t JsonObject::integer(std::string_view key, int64_t min, int64_t max) {
  const auto& value = require(key);
  if (!value.is_number_integer()) {
    fail(key, fmt::format("expected an integer, got {} {}", type_name(value), describe(value)));
  }
  const int64_t number = value.get<int64_t>();
  if (number < min) fail(key, fmt::format("must be >= {}, got {}", min, number));
  if (number > max) fail(key, fmt::format("must be <= {}, got {}", max, number));
  return number;
}

std::optional<int64_t> JsonObject::optional_integer(std::string_view key, int64_t min,
                                                    int64_t max) {
  seen_.emplace(key);
  if (!has(key)) return std::nullopt;
  return integer(key, min, max);
}

std::string JsonObject::string(std::string_view key) {
  const auto& value = require(key);
  if (!value.is_string()) {
    fail(key, fmt::format("expected a string, got {} {}", type_name(value), describe(value)));
  }
  return value.get<std::string>();
}

std::optional<std::string> JsonObject::optional_string(std::string_view key) {
  seen_.emplace(key);
  if (!has(key)) return std::nullopt;
  return string(key);
}

std::string JsonObject::choice(std::string_view key, const std::vector<std::string>& allowed) {
  std::string value = string(key);
  for (const auto& option : allowed) {
    if (option == value) return value;
  }
  fail(key, fmt::format("must be one of {}, got \"{}\"", fmt::join(allowed, ", "), value));
}

bool JsonObject::boolean(std::string_view key) {
  const auto& value = require(key);
  if (!value.is_boolean()) {
    fail(key, fmt::format("expected true or false, got {} {}", type_name(value), describe(value)));
  }
  return value.get<bool>();
}

std::optional<bool> JsonObject::optional_boolean(std::string_view key) {
  seen_.emplace(key);
  if (!has(key)) return std::nullopt;
  return boolean(key);
}

JsonObject JsonObject::object(std::string_view key) {
  const auto& value = require(key);
  return JsonObject(value, file_, pointer_of(key));
}

std::optional<JsonObject> JsonObject::optional_object(std::string_view key) {
  seen_.emplace(key);
  if (!has(key)) return std::nullopt;
  return object(key);
}

const nlohmann::json& JsonObject::array(std::string_view key) {
  const auto& value = require(key);
  if (!value.is_array()) {
    fail(key, fmt::format("expected an array, got {} {}", type_name(value), describe(value)));
  }
  return value;
}

void JsonObject::ignore(std::string_view key) { seen_.emplace(key); }

void JsonObject::finish() const {
  for (const auto& [key, unused] : value_->items()) {
    if (seen_.find(key) == seen_.end()) fail(key, "unknown field (misspelled?)");
  }
}

}  // namespace hwplan
