#include "cmd_compare.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "formats/benchmark_results.h"
#include "reports/compare.h"

namespace hwplan::cli {

double parse_threshold(const std::string& text) {
  std::string number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) number.pop_back();
  try {
    size_t used = 0;
    double value = std::stod(number, &used);
    if (used != number.size()) throw std::invalid_argument(text);
    if (percent) value /= 100.0;
    if (!(value >= 0.0 && value < 10.0)) throw std::out_of_range(text);
    return value;
  } catch (const std::exception&) {
    throw_usage("--threshold: '{}' is not a fraction or a percentage (5% or 0.05)", text);
  }
}

CommandResult run_compare(const GlobalOptions& global, const CompareOptions& options) {
  const double threshold = parse_threshold(options.threshold);
  if (!(options.alpha > 0.0 && options.alpha < 1.0))
    throw_usage("--alpha must be in (0, 1), got {}", options.alpha);
  const auto baseline = formats::read_benchmark_file(options.baseline, options.metric);
  const auto current = formats::read_benchmark_file(options.current, options.metric);
  const auto rows = reports::compare_benchmarks(baseline, current, threshold, options.alpha);

  CommandResult result;
  result.report.context = make_context(global);
  reports::Table table{
      "compare", fmt::format("{} vs {}", options.current, options.baseline), {}, {}};
  table.columns = {{"benchmark", "Benchmark", "", reports::Align::kLeft},
                   {"unit", "Unit", "", reports::Align::kLeft},
                   {"baseline", "Baseline", "", reports::Align::kRight, 2},
                   {"current", "Current", "", reports::Align::kRight, 2},
                   {"slowdown_fraction", "Slower by", "", reports::Align::kRight, 3},
                   {"p_value", "p", "", reports::Align::kRight, 4},
                   {"verdict", "Verdict", "", reports::Align::kLeft},
                   {"reason", "Why", "", reports::Align::kLeft}};
  int regressions = 0;
  int missing = 0;
  for (const auto& r : rows) {
    const bool has_current = r.verdict != reports::Verdict::kMissingInCurrent;
    const bool has_baseline = r.verdict != reports::Verdict::kMissingInBaseline;
    table.rows.push_back(
        {r.name, r.unit, has_baseline ? reports::Cell{r.baseline} : reports::Cell{},
         has_current ? reports::Cell{r.current} : reports::Cell{},
         has_current && has_baseline ? reports::Cell{r.slowdown_fraction} : reports::Cell{},
         r.p_value >= 0 ? reports::Cell{r.p_value} : reports::Cell{},
         std::string(reports::verdict_name(r.verdict)), r.reason});
    regressions += r.verdict == reports::Verdict::kRegression ? 1 : 0;
    missing += (r.verdict == reports::Verdict::kMissingInCurrent ||
                r.verdict == reports::Verdict::kUnitMismatch)
                   ? 1
                   : 0;
  }
  const auto compared = static_cast<int64_t>(rows.size()) - missing -
                        std::count_if(rows.begin(), rows.end(), [](const auto& r) {
                          return r.verdict == reports::Verdict::kMissingInBaseline;
                        });
  if (compared <= 0) {
    // An empty or unrelated current file (a crashed benchmark run) must not pass a CI gate.
    throw_input("compare: nothing was compared: no benchmark of {} is in {} with the same unit",
                options.current, options.baseline);
  }
  result.report.tables.push_back(table);
  result.report.notes.push_back(
      fmt::format("{} benchmarks: {} regressed (slower by more than {:.1f}% and, with repetitions "
                  "on both sides, "
                  "Mann-Whitney p < {}); {} missing or not comparable.",
                  rows.size(), regressions, 100 * threshold, options.alpha, missing));
  result.exit_code = regressions > 0 ? 1 : 0;
  return result;
}

}  // namespace hwplan::cli
