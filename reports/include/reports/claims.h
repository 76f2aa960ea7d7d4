#pragma once
// Published claims about local-LLM hardware ("machine X runs model Y at N tok/s", "model Y needs
// N GB", "machine X has N GB/s") checked against the bundled profiles and the planner.

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/csv.h"
#include "planner/profiles.h"

namespace hwplan::reports {

/// One row of a claims CSV (columns: id, kind, hardware, model, quant, claimed, unit, condition,
/// source; README.md "hwplan claims" lists them).
struct Claim {
  std::string id, kind, hardware, model, quant, claimed, unit, condition, source;
};

/// The claimed number or range: "30-50", "<1", "800", "yes"/"no".
struct ClaimedValue {
  double low = 0;
  double high = 0;
  std::optional<bool> yes_no;
};

/// What a claim states (the CSV's kind column).
enum class ClaimKind {
  kBandwidth,
  kMemoryNeeded,
  kDecodeTps,
  kPrefillTps,
  kSecondsPerToken,
  kMaxModelParams,
  kFits,
  kBandwidthRatio,
  kComputeTflops,
  kPowerW,
  kPricePerGb,
  kBreakEvenHours,
};

/// What the check concluded.
enum class ClaimVerdict { kConsistent, kOptimistic, kPessimistic, kInconsistent, kUnverifiable };

/// The CSV spelling: "bandwidth", "decode_tps", ...
const char* claim_kind_name(ClaimKind kind);
/// The kind a CSV name stands for; nullopt for an unknown one.
std::optional<ClaimKind> claim_kind_from_name(const std::string& name);
/// "consistent", "optimistic", "pessimistic", "inconsistent", "unverifiable".
const char* claim_verdict_name(ClaimVerdict verdict);

/// What the check concluded for one claim.
struct ClaimCheck {
  std::string id;
  std::string kind;
  ClaimVerdict verdict = ClaimVerdict::kUnverifiable;
  double value = 0;  ///< what hwplan computed (a bound or the datasheet figure); NaN if none
  std::string value_unit;
  /// Speed claims: hwplan's prediction and its 80% band (value is then the physical bound); NaN
  /// for other kinds.
  double predicted = std::numeric_limits<double>::quiet_NaN();
  double predicted_band_fraction = std::numeric_limits<double>::quiet_NaN();
  std::string reason;                    ///< one sentence
  std::vector<std::string> assumptions;  ///< what the claim left out and what was assumed
};

/// Reads a claims CSV; Error{kInput} naming the file, line and column for a malformed row.
std::vector<Claim> read_claims(const std::string& path);

/// The same from a CSV already parsed; `origin` names it in errors.
std::vector<Claim> claims_from_csv(const CsvTable& table, const std::string& origin);

/// Parses `claimed`; Error{kInput} naming the claim for text that is none of the forms.
ClaimedValue parse_claimed(const Claim& claim);

/// Checks one claim against the profiles and the planner.
ClaimCheck check_claim(const Claim& claim, const planner::ProfileDb& db);

}  // namespace hwplan::reports
