#pragma once
// Benchmark regression checks (`hwplan compare`): two sets of named samples, a threshold on the
// slowdown and, where both sides have repetitions, a Mann-Whitney U test on them.

#include <cstdint>
#include <string>
#include <vector>

#include "formats/benchmark_results.h"

namespace hwplan::reports {

/// One benchmark's samples in one run.
using BenchmarkSamples = formats::BenchmarkSamples;

enum class Verdict {
  kRegression,         ///< slower beyond the threshold (and significant where testable)
  kImprovement,        ///< faster beyond the threshold (and significant where testable)
  kUnchanged,          ///< within the threshold, or the difference is not significant
  kMissingInCurrent,   ///< in the baseline only
  kMissingInBaseline,  ///< in the current run only
  kUnitMismatch,       ///< the two runs measured it in different units or directions
};

/// One row of the comparison.
struct Comparison {
  std::string name;
  std::string unit;
  double baseline = 0;           ///< median of the baseline samples
  double current = 0;            ///< median of the current samples
  double slowdown_fraction = 0;  ///< > 0: current is worse by this fraction of the baseline
  double p_value = -1;           ///< two-sided Mann-Whitney p, or -1 when not testable
  Verdict verdict = Verdict::kUnchanged;
  std::string reason;
};

/// Two-sided p-value of the Mann-Whitney U test that `a` and `b` come from the same
/// distribution: exact (counting every arrangement of ranks) when both have at most 20 values
/// and there are no ties, else the normal approximation with tie correction and continuity
/// correction. Precondition: both non-empty.
double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b);

/// The median of a non-empty sample.

/// Compares every benchmark of `current` with the baseline of the same name. `threshold_fraction`
/// is the slowdown tolerated (0.05 = 5%); `alpha` the significance level where both sides have
/// at least two samples. Rows follow the baseline's order, then benchmarks new in `current`.
std::vector<Comparison> compare_benchmarks(const std::vector<BenchmarkSamples>& baseline,
                                           const std::vector<BenchmarkSamples>& current,
                                           double threshold_fraction, double alpha);

/// "regression", "improvement", "unchanged", "missing in current", ...
const char* verdict_name(Verdict verdict);

}  // namespace hwplan::reports
