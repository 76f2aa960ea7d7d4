// llama-bench's JSON and JSONL outputs (llama.cpp tools/llama-bench, "Output formats").
#include "formats/llama_bench.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text_util.h"

namespace hwplan::formats {
namespace {

double number(const nlohmann::json& row, const char* key, const std::string& where, bool required) {
  if (!row.contains(key)) {
    if (required) throw_input("{}: field \"{}\" is missing", where, key);
    return 0;
  }
  const auto& v = row.at(key);
  // llama-bench's CSV-derived tools sometimes quote numbers; accept numeric strings too.
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    try {
      size_t used = 0;
      const double d = std::stod(v.get<std::string>(), &used);
      if (used == v.get<std::string>().size()) return d;
    } catch (const std::exception&) {
    }
  }
  throw_input("{}: field \"{}\" must be a number, got {}", where, key, v.type_name());
}

// A count (tokens, layers, threads): a whole number in [0, 10^9], so the conversion to int64 is
// always defined.
int64_t count(const nlohmann::json& row, const char* key, const std::string& where, bool required) {
  const double value = number(row, key, where, required);
  if (!(value >= 0 && value <= 1e9) || value != std::floor(value)) {
    throw_input("{}: field \"{}\" must be a whole number in 0..1000000000, got {}", where, key,
                value);
  }
  return static_cast<int64_t>(value);
}

std::string text(const nlohmann::json& row, const char* key) {
  return row.contains(key) && row.at(key).is_string() ? row.at(key).get<std::string>() : "";
}

LlamaBenchResult result_from(const nlohmann::json& row, const std::string& where) {
  if (!row.is_object()) throw_input("{}: expected an object, got {}", where, row.type_name());
  LlamaBenchResult r;
  if (row.contains("model_type") && !row.at("model_type").is_string()) {
    throw_input("{}: field \"model_type\" must be a string", where);
  }
  r.model_type = text(row, "model_type");
  if (r.model_type.empty()) throw_input("{}: field \"model_type\" is missing", where);
  r.model_filename = text(row, "model_filename");
  r.backends = text(row, "backends");
  r.model_size_bytes = number(row, "model_size", where, true);
  r.model_n_params = number(row, "model_n_params", where, true);
  r.n_threads = count(row, "n_threads", where, false);
  r.n_gpu_layers = count(row, "n_gpu_layers", where, false);
  r.n_prompt = count(row, "n_prompt", where, true);
  r.n_gen = count(row, "n_gen", where, true);
  r.n_depth = count(row, "n_depth", where, false);
  r.flash_attn = row.contains("flash_attn") && row.at("flash_attn").is_boolean() &&
                 row.at("flash_attn").get<bool>();
  r.avg_ts = number(row, "avg_ts", where, true);
  r.stddev_ts = number(row, "stddev_ts", where, false);
  if (row.contains("samples_ts")) {
    if (!row.at("samples_ts").is_array())
      throw_input("{}: field \"samples_ts\" must be an array", where);
    for (const auto& s : row.at("samples_ts")) {
      if (!s.is_number()) throw_input("{}: samples_ts holds a {}", where, s.type_name());
      r.samples_ts.push_back(s.get<double>());
    }
  }
  if (r.n_prompt < 0 || r.n_gen < 0 || r.n_depth < 0 || (r.n_prompt == 0 && r.n_gen == 0)) {
    throw_input("{}: n_prompt {} / n_gen {} / n_depth {} do not describe a test", where, r.n_prompt,
                r.n_gen, r.n_depth);
  }
  if (!(r.model_size_bytes >= 0) || !(r.model_n_params >= 0)) {
    throw_input("{}: model_size and model_n_params must be >= 0", where);
  }
  if (!(r.avg_ts > 0)) throw_input("{}: avg_ts must be > 0, got {}", where, r.avg_ts);
  return r;
}

}  // namespace

std::string LlamaBenchResult::test_name() const {
  std::string name = n_prompt > 0 && n_gen > 0 ? fmt::format("pp{}+tg{}", n_prompt, n_gen)
                     : n_prompt > 0            ? fmt::format("pp{}", n_prompt)
                                               : fmt::format("tg{}", n_gen);
  if (n_depth > 0) name += fmt::format(" @ d{}", n_depth);
  return name;
}

std::vector<LlamaBenchResult> parse_llama_bench(const std::string& content,
                                                const std::string& origin) {
  std::vector<LlamaBenchResult> results;
  const auto first = content.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    throw_input("{}: empty; expected llama-bench -o json or jsonl output", origin);
  try {
    if (content[first] == '[') {
      const auto rows = nlohmann::json::parse(content);
      for (size_t i = 0; i < rows.size(); ++i) {
        results.push_back(result_from(rows[i], fmt::format("{}: result {}", origin, i)));
      }
    } else {
      std::istringstream lines(content);
      std::string line;
      for (int64_t n = 1; std::getline(lines, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        results.push_back(
            result_from(nlohmann::json::parse(line), fmt::format("{}: line {}", origin, n)));
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw_input("{}: not llama-bench JSON or JSONL: {}", origin, e.what());
  }
  if (results.empty()) throw_input("{}: no results", origin);
  return results;
}

std::vector<LlamaBenchResult> read_llama_bench(const std::string& path) {
  return parse_llama_bench(read_input_file(path, "llama-bench results"), path);
}

std::string quant_from_model_type(const std::string& model_type) {
  // "<arch> <size> <type>": the type is everything after the second space-separated token.
  std::istringstream words(model_type);
  std::string arch, size, rest, word;
  words >> arch >> size;
  while (words >> word) rest += (rest.empty() ? "" : " ") + word;
  std::string q = to_lower(rest);
  if (q.rfind("mostly ", 0) == 0) q = q.substr(7);
  for (const auto& [suffix, tag] : {std::pair<std::string, std::string>{" - medium", "_m"},
                                    {" - small", "_s"},
                                    {" - large", "_l"}}) {
    if (q.size() > suffix.size() &&
        q.compare(q.size() - suffix.size(), suffix.size(), suffix) == 0) {
      q.resize(q.size() - suffix.size());
      q += tag;
    }
  }
  if (q.find(' ') != std::string::npos || q.empty()) return "";
  return q;
}

}  // namespace hwplan::formats
