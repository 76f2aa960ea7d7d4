#pragma once
#include <string>

#include "app.h"

namespace hwplan::cli {

struct CompareOptions {
  std::string baseline;
  std::string current;
  std::string threshold = "5%";  ///< "5%" or "0.05"
  double alpha = 0.05;
  std::string metric;  ///< see read_benchmark_file
};

/// `hwplan compare`: per-benchmark verdicts; exit 1 on a regression.
CommandResult run_compare(const GlobalOptions& global, const CompareOptions& options);

/// "5%" -> 0.05, "0.05" -> 0.05; Error{kUsage} for anything else or outside [0, 10).
double parse_threshold(const std::string& text);

}  // namespace hwplan::cli
