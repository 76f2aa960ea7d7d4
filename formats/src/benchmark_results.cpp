#include "formats/benchmark_results.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text_util.h"
#include "formats/llama_bench.h"

namespace hwplan::formats {
namespace {

std::string slurp(const std::string& path) { return read_input_file(path, "benchmark results"); }

/// Nanoseconds per Google Benchmark time unit.
double ns_per(const std::string& unit, const std::string& where) {
  if (unit == "ns") return 1.0;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  throw_input("{}: unknown time_unit '{}'", where, unit);
}

/// Counters that measure cost (times, instruction or cycle counts) are better lower.
bool counter_higher_is_better(const std::string& name) {
  return !(name.find("time") != std::string::npos ||
           name.find("instructions") != std::string::npos ||
           name.find("cycles") != std::string::npos || ends_with(name, "_ns") ||
           ends_with(name, "_ms") || ends_with(name, "_seconds"));
}

std::vector<BenchmarkSamples> from_google_benchmark(const nlohmann::json& root,
                                                    const std::string& path,
                                                    const std::string& metric_in) {
  const std::string metric = metric_in.empty() ? "real_time" : metric_in;
  const bool is_time = metric == "real_time" || metric == "cpu_time";
  std::map<std::string, BenchmarkSamples> iterations;  // repetitions, by run_name
  std::map<std::string, BenchmarkSamples> aggregates;  // median (or mean) when only aggregates
  std::vector<std::string> order;
  const auto& list = root.at("benchmarks");
  if (!list.is_array()) throw_input("{}: \"benchmarks\" must be an array", path);
  for (size_t i = 0; i < list.size(); ++i) {
    const auto& b = list[i];
    const std::string where = fmt::format("{}: benchmarks[{}]", path, i);
    if (!b.is_object() || !b.contains("name") || !b["name"].is_string()) {
      throw_input("{}: a benchmark needs a \"name\" string", where);
    }
    if (b.contains("run_name") && !b["run_name"].is_string()) {
      throw_input("{}: \"run_name\" must be a string", where);
    }
    for (const char* key : {"run_type", "time_unit", "aggregate_name"}) {
      if (b.contains(key) && !b[key].is_string())
        throw_input("{}: \"{}\" must be a string", where, key);
    }
    if (b.contains("error_occurred") && b["error_occurred"].is_boolean() &&
        b["error_occurred"].get<bool>())
      continue;
    const std::string run_name = b.value("run_name", b["name"].get<std::string>());
    if (!b.contains(metric) || !b[metric].is_number()) {
      throw_input("{} ({}): no numeric \"{}\"", where, run_name, metric);
    }
    double value = b[metric].get<double>();
    if (is_time && !(value > 0)) {
      throw_input("{} ({}): \"{}\" is {}, but a time must be > 0", where, run_name, metric, value);
    }
    if (!std::isfinite(value))
      throw_input("{} ({}): \"{}\" is not a finite number", where, run_name, metric);
    std::string unit = metric;
    if (is_time) {
      value *= ns_per(b.value("time_unit", std::string("ns")), where);
      unit = "ns";
    }
    const std::string run_type = b.value("run_type", std::string("iteration"));
    auto& target = run_type == "aggregate" ? aggregates : iterations;
    const bool is_new = iterations.count(run_name) == 0 && aggregates.count(run_name) == 0;
    if (run_type == "aggregate") {
      // Used only when a run has no iteration rows: its median, else its mean.
      const std::string agg = b.value("aggregate_name", std::string());
      if (agg != "median" && !(agg == "mean" && aggregates.count(run_name) == 0)) continue;
      aggregates[run_name].samples.clear();
    }
    if (is_new) order.push_back(run_name);
    BenchmarkSamples& s = target[run_name];
    s.name = run_name;
    s.unit = unit;
    s.higher_is_better = !is_time && counter_higher_is_better(metric);
    s.samples.push_back(value);
  }
  std::vector<BenchmarkSamples> out;
  for (const auto& name : order) {
    if (iterations.count(name) != 0) {
      out.push_back(iterations[name]);
    } else if (aggregates.count(name) != 0) {
      out.push_back(aggregates[name]);
    }
  }
  return out;
}

std::vector<BenchmarkSamples> from_llama_bench(const std::string& text, const std::string& path) {
  std::vector<BenchmarkSamples> out;
  for (const LlamaBenchResult& r : parse_llama_bench(text, path)) {
    BenchmarkSamples s;
    s.name =
        fmt::format("{} {} t{} ngl{}", r.model_type, r.test_name(), r.n_threads, r.n_gpu_layers);
    s.unit = "tok/s";
    s.higher_is_better = true;
    s.samples = r.samples_ts.empty() ? std::vector<double>{r.avg_ts} : r.samples_ts;
    out.push_back(s);
  }
  return out;
}

std::vector<BenchmarkSamples> from_hwplan(const nlohmann::json& root, const std::string& path,
                                          const std::string& metric) {
  static const std::vector<std::pair<std::string, bool>> kSuffixes = {
      {"_gbs", true},    {"_tok_per_s", true}, {"_fraction", true},
      {"_tflops", true}, {"_seconds", false},  {"_ms", false}};
  std::vector<BenchmarkSamples> out;
  for (const auto& [table, rows] : root.at("tables").items()) {
    if (!rows.is_array()) continue;
    for (const auto& row : rows) {
      // The row's identity: its text columns (model, quant, kernel, ...) and integer columns.
      std::string id;
      for (const auto& [key, value] : row.items()) {
        if (value.is_string() || value.is_number_integer())
          id += (id.empty() ? "" : " ") + key + "=" + value.dump();
      }
      for (const auto& [key, value] : row.items()) {
        if (!value.is_number_float() && !value.is_number_integer()) continue;
        bool higher = true;
        bool wanted = false;
        if (!metric.empty()) {
          wanted = key == metric;
          higher = counter_higher_is_better(key);
        } else {
          for (const auto& [suffix, up] : kSuffixes) {
            if (ends_with(key, suffix) && !ends_with(key, "error_fraction")) {
              wanted = true;
              higher = up;
            }
          }
        }
        if (!wanted || value.is_number_integer()) continue;
        out.push_back(
            {fmt::format("{}: {} [{}]", table, id, key), key, higher, {value.get<double>()}});
      }
    }
  }
  if (out.empty()) throw_input("{}: hwplan JSON without any comparable column", path);
  return out;
}

}  // namespace

std::vector<BenchmarkSamples> read_benchmark_file(const std::string& path,
                                                  const std::string& metric) {
  return parse_benchmark_text(slurp(path), path, metric);
}

std::vector<BenchmarkSamples> parse_benchmark_text(const std::string& text, const std::string& path,
                                                   const std::string& metric) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw_input("{}: empty file", path);
  // llama-bench JSONL: one object per line, each with model_type.
  if (text[first] == '{' && text.find("\"model_type\"") != std::string::npos &&
      text.find("\"benchmarks\"") == std::string::npos &&
      text.find("\"schema_version\"") == std::string::npos) {
    return from_llama_bench(text, path);
  }
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_input("{}: malformed JSON: {}", path, e.what());
  }
  if (root.is_array()) return from_llama_bench(text, path);
  if (root.is_object() && root.contains("benchmarks"))
    return from_google_benchmark(root, path, metric);
  if (root.is_object() && root.contains("tables")) return from_hwplan(root, path, metric);
  throw_input("{}: not Google Benchmark, llama-bench or hwplan JSON", path);
}

}  // namespace hwplan::formats
