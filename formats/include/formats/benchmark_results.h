#pragma once
// Benchmark result files `hwplan compare` reads, recognised by their shape: Google Benchmark JSON
// (with or without repetitions and aggregates), llama-bench JSON or JSONL, and hwplan's own JSON
// (any subcommand's tables, e.g. probe or validate).

#include <string>
#include <vector>

namespace hwplan::formats {

/// One benchmark's repeated measurements.
struct BenchmarkSamples {
  std::string name;
  std::string unit;  ///< "ns", "tok/s", "GB/s", "" (a ratio)
  bool higher_is_better = false;
  std::vector<double> samples;  ///< repetitions (one value when there were none)
};

/// Reads `path`. `metric` picks what to compare: for Google Benchmark "real_time" (default),
/// "cpu_time" or a counter name (e.g. bytes_per_second); for llama-bench it is ignored (tok/s);
/// for hwplan JSON a column key (default: every column whose key ends in _gbs, _tok_per_s,
/// _fraction, _tflops, _seconds or _ms). Error{kInput} naming the file for anything else.
std::vector<BenchmarkSamples> read_benchmark_file(const std::string& path,
                                                  const std::string& metric);

/// The same from text already read; `origin` names it in errors.
std::vector<BenchmarkSamples> parse_benchmark_text(const std::string& text,
                                                   const std::string& origin,
                                                   const std::string& metric);

}  // namespace hwplan::formats
