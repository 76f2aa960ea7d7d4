// Regression verdicts. The slowdown is measured on medians (robust to one noisy repetition); the
// Mann-Whitney U test (rank-sum) needs no normality, which benchmark timings rarely have.
#include "reports/compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "common/statistics.h"

namespace hwplan::reports {
namespace {

constexpr size_t kExactLimit = 20;

/// Number of arrangements of m values of one sample among n of the other with rank-sum statistic
/// U = u, for every u: the classic recurrence c(m, n, u) = c(m-1, n, u-n) + c(m, n-1, u).
std::vector<double> u_distribution(size_t m, size_t n) {
  // table[i][j] is the distribution for sizes (i, j), as a vector over u.
  std::vector<std::vector<std::vector<double>>> table(m + 1,
                                                      std::vector<std::vector<double>>(n + 1));
  for (size_t i = 0; i <= m; ++i) {
    for (size_t j = 0; j <= n; ++j) {
      std::vector<double>& d = table[i][j];
      d.assign(i * j + 1, 0.0);
      if (i == 0 || j == 0) {
        d[0] = 1.0;
        continue;
      }
      for (size_t u = 0; u <= i * j; ++u) {
        if (u >= j) d[u] += table[i - 1][j][u - j];
        if (u <= i * (j - 1)) d[u] += table[i][j - 1][u];
      }
    }
  }
  return table[m][n];
}

}  // namespace

double mann_whitney_p(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t m = a.size();
  const size_t n = b.size();
  // Ranks of the pooled sample, ties sharing their average rank.
  std::vector<std::pair<double, int>> pooled;
  pooled.reserve(a.size());
  for (double v : a) pooled.emplace_back(v, 0);
  for (double v : b) pooled.emplace_back(v, 1);
  std::sort(pooled.begin(), pooled.end());
  double rank_sum_a = 0.0;
  double tie_term = 0.0;  // sum of t^3 - t over tie groups
  bool ties = false;
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const auto t = static_cast<double>(j - i);
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);
    for (size_t k = i; k < j; ++k) {
      if (pooled[k].second == 0) rank_sum_a += average_rank;
    }
    if (t > 1) {
      ties = true;
      tie_term += t * t * t - t;
    }
    i = j;
  }
  const auto md = static_cast<double>(m);
  const auto nd = static_cast<double>(n);
  const double u = rank_sum_a - md * (md + 1) / 2;
  const double u_low = std::min(u, md * nd - u);
  if (!ties && m <= kExactLimit && n <= kExactLimit) {
    const std::vector<double> dist = u_distribution(m, n);
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    double tail = 0.0;
    for (size_t k = 0; k <= static_cast<size_t>(u_low); ++k) tail += dist[k];
    return std::min(1.0, 2.0 * tail / total);
  }
  const double mean = md * nd / 2;
  const double total_n = md + nd;
  const double variance = md * nd / 12.0 * ((total_n + 1) - tie_term / (total_n * (total_n - 1)));
  if (variance <= 0) return 1.0;
  const double z = (std::fabs(u - mean) - 0.5) / std::sqrt(variance);
  return std::min(1.0, std::erfc(std::max(z, 0.0) / std::sqrt(2.0)));
}

std::vector<Comparison> compare_benchmarks(const std::vector<BenchmarkSamples>& baseline,
                                           const std::vector<BenchmarkSamples>& current,
                                           double threshold_fraction, double alpha) {
  std::map<std::string, const BenchmarkSamples*> by_name;
  for (const auto& c : current) by_name[c.name] = &c;
  std::vector<Comparison> rows;
  std::map<std::string, bool> seen;
  for (const auto& b : baseline) {
    Comparison row;
    row.name = b.name;
    row.unit = b.unit;
    row.baseline = median(b.samples);
    seen[b.name] = true;
    const auto it = by_name.find(b.name);
    if (it == by_name.end()) {
      row.verdict = Verdict::kMissingInCurrent;
      row.reason = "not in the current run";
      rows.push_back(row);
      continue;
    }
    const BenchmarkSamples& c = *it->second;
    row.current = median(c.samples);
    if (c.unit != b.unit || c.higher_is_better != b.higher_is_better) {
      row.verdict = Verdict::kUnitMismatch;
      row.reason = fmt::format("baseline in '{}', current in '{}'", b.unit, c.unit);
      rows.push_back(row);
      continue;
    }
    // Slowdown as a fraction of the baseline: more time, or less throughput.
    row.slowdown_fraction = b.higher_is_better ? (row.baseline - row.current) / row.baseline
                                               : (row.current - row.baseline) / row.baseline;
    const bool testable = b.samples.size() >= 2 && c.samples.size() >= 2;
    if (testable) row.p_value = mann_whitney_p(b.samples, c.samples);
    const bool significant = !testable || row.p_value < alpha;
    if (std::fabs(row.slowdown_fraction) <= threshold_fraction) {
      row.verdict = Verdict::kUnchanged;
      row.reason = fmt::format("within {:.1f}%", 100 * threshold_fraction);
    } else if (!significant) {
      row.verdict = Verdict::kUnchanged;
      row.reason = fmt::format("not significant (p = {:.3f} >= {})", row.p_value, alpha);
    } else {
      row.verdict = row.slowdown_fraction > 0 ? Verdict::kRegression : Verdict::kImprovement;
      row.reason = fmt::format("{} by {:.1f}%{}", row.slowdown_fraction > 0 ? "slower" : "faster",
                               100 * std::fabs(row.slowdown_fraction),
                               testable ? fmt::format(" (p = {:.3f})", row.p_value) : "");
    }
    rows.push_back(row);
  }
  for (const auto& c : current) {
    if (seen.count(c.name) != 0) continue;
    Comparison row;
    row.name = c.name;
    row.unit = c.unit;
    row.current = median(c.samples);
    row.verdict = Verdict::kMissingInBaseline;
    row.reason = "new: not in the baseline";
    rows.push_back(row);
  }
  return rows;
}

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kMissingInCurrent:
      return "missing in current";
    case Verdict::kMissingInBaseline:
      return "new";
    case Verdict::kUnitMismatch:
      return "unit mismatch";
  }
  return "unchanged";
}

}  // namespace hwplan::reports
