#include "cmd_claims.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "reports/claims.h"

namespace hwplan::cli {

CommandResult run_claims(const GlobalOptions& global, const ClaimsOptions& options) {
  const auto db = load_profiles(global);
  const std::vector<reports::Claim> claims = reports::read_claims(options.csv);
  CommandResult result;
  result.report.context = make_context(global);
  reports::Table table{"claims", fmt::format("Published claims checked ({})", options.csv), {}, {}};
  table.columns = {{"id", "Id", "", reports::Align::kLeft},
                   {"kind", "Kind", "", reports::Align::kLeft},
                   {"claimed", "Claimed", "", reports::Align::kRight},
                   {"unit", "Unit", "", reports::Align::kLeft},
                   {"verdict", "Verdict", "", reports::Align::kLeft},
                   {"predicted", "Predicted", "", reports::Align::kRight, 3},
                   {"predicted_band", "80% band", "", reports::Align::kRight},
                   {"value", "hwplan (bound or datasheet)", "", reports::Align::kRight, 3},
                   {"value_unit", "Unit", "", reports::Align::kLeft},
                   {"reason", "Why", "", reports::Align::kLeft},
                   {"assumptions", "Assumed", "", reports::Align::kLeft}};
  std::map<std::string, int> counts;
  nlohmann::json details = nlohmann::json::array();
  for (const reports::Claim& c : claims) {
    const reports::ClaimCheck r = reports::check_claim(c, db);
    ++counts[reports::claim_verdict_name(r.verdict)];
    std::string assumed;
    for (const auto& a : r.assumptions) assumed += (assumed.empty() ? "" : "; ") + a;
    table.rows.push_back(
        {r.id, r.kind, c.claimed, c.unit, std::string(reports::claim_verdict_name(r.verdict)),
         std::isfinite(r.predicted) ? reports::Cell{r.predicted} : reports::Cell{},
         std::isfinite(r.predicted_band_fraction)
             ? reports::Cell{fmt::format("+-{:.0f}%", 100 * r.predicted_band_fraction)}
             : reports::Cell{},
         std::isfinite(r.value) ? reports::Cell{r.value} : reports::Cell{}, r.value_unit, r.reason,
         assumed});
    details.push_back({{"id", r.id},
                       {"verdict", reports::claim_verdict_name(r.verdict)},
                       {"assumptions", r.assumptions},
                       {"source", c.source}});
  }
  result.report.tables.push_back(table);
  result.report.details = {{"claims", details}};
  std::string summary;
  for (const auto& [verdict, n] : counts)
    summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, verdict);
  result.report.notes.push_back(fmt::format("{} claims: {}.", claims.size(), summary));
  result.report.notes.emplace_back(
      "Speeds are consistent within hwplan's own 80% band (the residuals of measured llama.cpp "
      "runs of the same placement, backend and memory class), pessimistic below it and "
      "optimistic above it: possible only at an efficiency llama.cpp does not reach when under "
      "the physical bound (peak memory bandwidth over the bytes each token reads, or peak FP16 "
      "compute for prefill), impossible above it; datasheet figures must match the bundled "
      "profile.");
  return result;
}

}  // namespace hwplan::cli
