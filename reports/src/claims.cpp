// Claim checks. Each kind compares the claim with the figure the profiles or the planner give:
// datasheet figures (bandwidth, compute, price) within a tolerance, or they are inconsistent;
// speeds against the physical bound (peak bandwidth over bytes per token) and the planner's
// prediction band; memory and fit against the planner's weights and placement.
#include "reports/claims.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <optional>
#include <regex>

#include "common/csv.h"
#include "common/error.h"
#include "common/units.h"
#include "planner/fit.h"
#include "planner/predict.h"
#include "planner/weights.h"
#include "reports/claim_resolve.h"

namespace hwplan::reports {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Dual-channel DDR5 desktops: 2 x 64-bit at DDR5-4800 to DDR5-8000 (JEDEC and common XMP speeds).
constexpr double kDdr5DualLowGbs = 76.8;
constexpr double kDdr5DualHighGbs = 128.0;

ClaimCheck base(const Claim& c) {
  ClaimCheck r;
  r.id = c.id;
  r.kind = c.kind;
  r.value = kNaN;
  return r;
}

ClaimCheck unverifiable(ClaimCheck r, const std::string& why) {
  r.verdict = ClaimVerdict::kUnverifiable;
  r.reason = why;
  return r;
}

std::string range_text(const ClaimedValue& v) {
  if (std::isinf(v.high)) return fmt::format(">={:g}", v.low);
  return v.low == v.high ? fmt::format("{:g}", v.low) : fmt::format("{:g}-{:g}", v.low, v.high);
}

/// A datasheet figure: the claim must match within `tolerance`.
ClaimCheck datasheet(ClaimCheck r, const ClaimedValue& v, double actual, const std::string& unit,
                     double tolerance, const std::string& what) {
  r.value = actual;
  r.value_unit = unit;
  const bool matches = v.low <= actual * (1 + tolerance) && v.high >= actual * (1 - tolerance);
  r.verdict = matches ? ClaimVerdict::kConsistent : ClaimVerdict::kInconsistent;
  r.reason = matches ? fmt::format("{} is {:.4g} {}", what, actual, unit)
                     : fmt::format("claimed {} {} but {} is {:.4g} {}", range_text(v), unit, what,
                                   actual, unit);
  return r;
}

/// An estimate with tolerance: claims above it are optimistic, below pessimistic.
ClaimCheck estimate(ClaimCheck r, const ClaimedValue& v, double computed, const std::string& unit,
                    double tolerance, const std::string& what, bool higher_is_optimistic = true) {
  r.value = computed;
  r.value_unit = unit;
  if (v.low > computed * (1 + tolerance)) {
    r.verdict = higher_is_optimistic ? ClaimVerdict::kOptimistic : ClaimVerdict::kPessimistic;
  } else if (v.high < computed * (1 - tolerance)) {
    r.verdict = higher_is_optimistic ? ClaimVerdict::kPessimistic : ClaimVerdict::kOptimistic;
  } else {
    r.verdict = ClaimVerdict::kConsistent;
  }
  r.reason =
      fmt::format("claimed {} {}; {} is {:.3g} {}", range_text(v), unit, what, computed, unit);
  return r;
}

planner::Workload claim_workload(std::vector<std::string>& assumptions) {
  planner::Workload w;
  w.context_tokens = 2048;
  assumptions.emplace_back("2048 tokens of context assumed (claims rarely say)");
  return w;
}

/// The machine, model and weights a claim is about; nullopt (with `why`) when one has no profile.
struct ClaimTarget {
  ClaimMachine machine;
  const planner::ModelProfile* model = nullptr;
  std::string quant;
  planner::WeightInventory weights;
};

std::optional<ClaimTarget> resolve_target(const Claim& c, const planner::ProfileDb& db,
                                          ClaimCheck& r, std::string& why) {
  const auto machine = resolve_claim_machine(c.hardware, db, r.assumptions);
  if (!machine || machine->generic_ddr5_desktop) {
    why = fmt::format("no bundled profile for '{}'", c.hardware);
    return std::nullopt;
  }
  const auto* model = resolve_claim_model(c.model, db, r.assumptions);
  if (model == nullptr) {
    why = fmt::format("no bundled model close to '{}'", c.model);
    return std::nullopt;
  }
  ClaimTarget t{*machine, model, resolve_claim_quant(c.quant, db, r.assumptions), {}};
  t.weights = planner::build_inventory(model->spec, planner::find_quant(db.quants, t.quant));
  return t;
}

/// Speed: consistent within the prediction's own 80% band; optimistic above it (impossible above
/// the physical bound, else possible only at an efficiency llama.cpp's fit does not reach);
/// pessimistic below it.
ClaimCheck check_speed(ClaimCheck r, const Claim& c, ClaimedValue v, const planner::ProfileDb& db,
                       bool prefill) {
  std::string why;
  const auto target = resolve_target(c, db, r, why);
  if (!target) return unverifiable(r, why);
  const ClaimMachine* machine = &target->machine;
  const auto* model = target->model;
  const std::string& quant = target->quant;
  const auto& weights = target->weights;
  const planner::Workload w = claim_workload(r.assumptions);
  planner::PredictOptions options;
  options.nodes = machine->nodes;
  if (!machine->link.empty()) options.link = machine->link;
  const std::string condition = c.condition;
  if (condition.find("PCIe") != std::string::npos ||
      condition.find("swapped") != std::string::npos) {
    options.offload = planner::OffloadMode::kStream;
  }
  if (std::regex_search(condition, std::regex("MLX|ExLlama|vllm|vLLM", std::regex::icase))) {
    r.assumptions.push_back(
        fmt::format("'{}': hwplan's efficiencies are fitted to llama.cpp; other engines may be "
                    "faster, up to the bandwidth bound",
                    condition));
  }
  const planner::Prediction p =
      planner::predict(model->spec, weights, machine->spec, w, options, db.efficiency);
  if (p.fit.kind == planner::FitKind::kNoFit) {
    r.verdict = ClaimVerdict::kOptimistic;
    r.value = 0;
    r.value_unit = "tok/s";
    r.reason = fmt::format("{} {} does not fit {} at all (needs {:.1f} GiB)", model->spec.id, quant,
                           machine->spec.id, bytes_to_gib(p.fit.gpu_need_bytes));
    return r;
  }
  // The bound: every byte at the peak rate of where it lives, no compute, no overhead.
  double bound = 0;
  if (prefill) {
    bound = machine->spec.fp16_flop_per_s * static_cast<double>(machine->spec.gpu_count) /
            (2.0 * planner::active_params(model->spec, weights));
  } else {
    const auto& d = p.decode_cost;
    const double seconds =
        d.gpu_bytes / (machine->spec.bandwidth_bytes_per_s * static_cast<double>(d.parallel_gpus)) +
        (machine->spec.host_bandwidth_bytes_per_s > 0
             ? d.host_bytes / machine->spec.host_bandwidth_bytes_per_s
             : 0) +
        (machine->spec.bus_bytes_per_s > 0 ? d.streamed_bytes / machine->spec.bus_bytes_per_s : 0);
    bound = static_cast<double>(d.batch) / seconds;
  }
  const planner::SpeedPrediction& s = prefill ? p.prefill : p.decode;
  double band = s.error_band_fraction;
  if (!(band > 0)) {
    band = 0.2;
    r.assumptions.emplace_back("no measured band for this placement: +-20% assumed");
  }
  r.value = bound;
  r.value_unit = "tok/s";
  r.predicted = s.tok_per_s;
  r.predicted_band_fraction = band;
  const std::string what = fmt::format("{} {} on {}", model->spec.id, quant, machine->spec.id);
  const char* bound_what =
      prefill ? "peak FP16 compute" : "peak memory bandwidth over bytes per token";
  if (v.low > bound * 1.02) {
    r.verdict = ClaimVerdict::kOptimistic;
    r.reason = fmt::format(
        "claimed {} tok/s but {} cannot exceed {:.3g} tok/s ({}); hwplan "
        "predicts {:.3g} (+-{:.0f}%)",
        range_text(v), what, bound, bound_what, s.tok_per_s, 100 * band);
  } else if (v.low > s.tok_per_s * (1 + band)) {
    r.verdict = ClaimVerdict::kOptimistic;
    r.reason = fmt::format(
        "claimed {} tok/s is above hwplan's {:.3g} tok/s (+-{:.0f}%) for {} but under the {:.3g} "
        "tok/s bound: possible only if the run reaches {:.0f}% of {} where llama.cpp's fitted "
        "efficiency reaches {:.0f}%{}",
        range_text(v), s.tok_per_s, 100 * band, what, bound, 100 * v.low / bound, bound_what,
        100 * s.tok_per_s / bound,
        condition.empty() ? std::string() : fmt::format(" (the claim's condition: {})", condition));
  } else if (v.high < s.tok_per_s * (1 - band)) {
    r.verdict = ClaimVerdict::kPessimistic;
    r.reason = fmt::format(
        "claimed {} tok/s; hwplan predicts {:.3g} tok/s (+-{:.0f}%) for {}, bound {:.3g}",
        range_text(v), s.tok_per_s, 100 * band, what, bound);
  } else {
    r.verdict = ClaimVerdict::kConsistent;
    r.reason = fmt::format(
        "claimed {} tok/s is within hwplan's {:.3g} tok/s (+-{:.0f}%) for {}, under the {:.3g} "
        "bound",
        range_text(v), s.tok_per_s, 100 * band, what, bound);
  }
  return r;
}

double aggregate_bandwidth_gbs(const ClaimMachine& m) {
  const auto units = static_cast<double>(m.units * m.nodes);
  const double gpus =
      m.spec.kind == planner::MemoryKind::kUnified ? 1.0 : static_cast<double>(m.spec.gpu_count);
  return bytes_per_s_to_gbs(m.spec.bandwidth_bytes_per_s) * gpus * units;
}

ClaimCheck check_bandwidth(ClaimCheck r, const Claim& c, const ClaimedValue& v,
                           const planner::ProfileDb& db) {
  const auto machine = resolve_claim_machine(c.hardware, db, r.assumptions);
  if (!machine) return unverifiable(r, fmt::format("no bundled profile for '{}'", c.hardware));
  if (machine->generic_ddr5_desktop) {
    r.value = kDdr5DualHighGbs;
    r.value_unit = "GB/s";
    const bool within = v.low <= kDdr5DualHighGbs * 1.02 && v.high >= kDdr5DualLowGbs;
    r.verdict = v.high > kDdr5DualHighGbs * 1.02 ? ClaimVerdict::kOptimistic
                : within                         ? ClaimVerdict::kConsistent
                                                 : ClaimVerdict::kPessimistic;
    r.reason = fmt::format(
        "dual-channel DDR5 peaks at {:.1f} GB/s (DDR5-4800) to {:.1f} GB/s (DDR5-8000): "
        "2 channels x 8 bytes x transfer rate",
        kDdr5DualLowGbs, kDdr5DualHighGbs);
    if (v.high > kDdr5DualHighGbs * 1.02)
      r.reason += fmt::format("; {} GB/s is above it", range_text(v));
    return r;
  }
  return datasheet(r, v, aggregate_bandwidth_gbs(*machine), "GB/s", 0.03,
                   fmt::format("{}'s datasheet memory bandwidth", machine->spec.id));
}

}  // namespace

std::vector<Claim> read_claims(const std::string& path) {
  return claims_from_csv(load_csv_file(path), path);
}

std::vector<Claim> claims_from_csv(const CsvTable& table, const std::string& path) {
  const std::vector<std::string> expected = {"id",      "kind", "hardware",  "model", "quant",
                                             "claimed", "unit", "condition", "source"};
  if (table.header != expected) {
    throw_input("{}: header must be {}", path, fmt::join(expected, ","));
  }
  std::vector<Claim> claims;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    if (row.size() != expected.size()) {
      throw_input("{}: row {} has {} fields, expected {}", path, i + 2, row.size(),
                  expected.size());
    }
    claims.push_back({row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8]});
    try {
      (void)parse_claimed(claims.back());
    } catch (const Error& e) {
      throw_input("{}: row {}: {}", path, i + 2, e.what());
    }
  }
  return claims;
}

ClaimedValue parse_claimed(const Claim& c) {
  ClaimedValue v;
  std::string t = c.claimed;
  if (t == "yes" || t == "no") {
    v.yes_no = t == "yes";
    return v;
  }
  std::smatch m;
  // At most 15 digits before the point: every match converts exactly, none overflows.
  const std::string number = R"(\s*(\d{1,15}(?:\.\d{1,15})?)\s*)";
  if (std::regex_match(t, m, std::regex(number))) {
    v.low = v.high = std::stod(m[1].str());
  } else if (std::regex_match(t, m, std::regex(number + "-" + number))) {
    v.low = std::stod(m[1].str());
    v.high = std::stod(m[2].str());
  } else if (std::regex_match(t, m, std::regex(R"(\s*<)" + number))) {
    v.low = 0;
    v.high = std::stod(m[1].str());
  } else if (std::regex_match(t, m, std::regex(R"(\s*>)" + number)) ||
             std::regex_match(t, m, std::regex(number + R"(\+\s*)"))) {
    // ">x" and "x+": at least x.
    v.low = std::stod(m[1].str());
    v.high = std::numeric_limits<double>::infinity();
  } else {
    throw_input("claim {}: claimed value '{}' is not a number, a range a-b, <x, >x, x+, yes or no",
                c.id, t);
  }
  if (v.low > v.high) throw_input("claim {}: range '{}' runs backwards", c.id, t);
  return v;
}

ClaimCheck check_claim(const Claim& c, const planner::ProfileDb& db) {
  ClaimCheck r = base(c);
  const ClaimedValue v = parse_claimed(c);
  const auto parsed_kind = claim_kind_from_name(c.kind);
  if (!parsed_kind) return unverifiable(r, fmt::format("unknown claim kind '{}'", c.kind));
  const ClaimKind kind = *parsed_kind;
  if (kind == ClaimKind::kBandwidth) return check_bandwidth(r, c, v, db);
  if (kind == ClaimKind::kDecodeTps) return check_speed(r, c, v, db, false);
  if (kind == ClaimKind::kPrefillTps) return check_speed(r, c, v, db, true);
  if (kind == ClaimKind::kSecondsPerToken) {
    ClaimedValue tps{1.0 / v.high, v.low > 0 ? 1.0 / v.low : 1e9, std::nullopt};
    r.assumptions.push_back(
        fmt::format("{} s/token read as {:.3g}-{:.3g} tok/s", range_text(v), tps.low, tps.high));
    return check_speed(r, c, tps, db, false);
  }
  if (kind == ClaimKind::kMemoryNeeded) {
    const auto* model = resolve_claim_model(c.model, db, r.assumptions);
    if (model == nullptr)
      return unverifiable(r, fmt::format("no bundled model close to '{}'", c.model));
    const std::string quant = resolve_claim_quant(c.quant, db, r.assumptions);
    const double gb = bytes_to_gb(planner::total_weight_bytes(
        planner::build_inventory(model->spec, planner::find_quant(db.quants, quant))));
    return estimate(r, v, gb, "GB", 0.15, fmt::format("{} weights at {}", model->spec.id, quant),
                    false);
  }
  if (kind == ClaimKind::kMaxModelParams) {
    const auto machine = resolve_claim_machine(c.hardware, db, r.assumptions);
    if (!machine || machine->generic_ddr5_desktop)
      return unverifiable(r, fmt::format("no bundled profile for '{}'", c.hardware));
    const std::string quant = resolve_claim_quant(c.quant, db, r.assumptions);
    const double bytes_per_param = planner::find_quant(db.quants, quant).weights_bpw / 8.0;
    // 10% of the usable memory kept for the KV cache and compute buffers.
    r.assumptions.emplace_back("10% of usable GPU memory kept for KV cache and buffers");
    const double usable =
        planner::usable_gpu_bytes(machine->spec) * static_cast<double>(machine->spec.gpu_count);
    return estimate(r, v, 0.9 * usable / bytes_per_param / 1e9, "B params", 0.25,
                    fmt::format("the largest dense model at {} in {:.1f} GiB usable", quant,
                                bytes_to_gib(usable)));
  }
  if (kind == ClaimKind::kFits) {
    std::string why;
    const auto target = resolve_target(c, db, r, why);
    if (!target) return unverifiable(r, why);
    const ClaimMachine* machine = &target->machine;
    const auto* model = target->model;
    const std::string& quant = target->quant;
    const auto& weights = target->weights;
    const auto fit =
        planner::fit_model(model->spec, weights, machine->spec, claim_workload(r.assumptions));
    const bool fits =
        fit.kind == planner::FitKind::kGpu || fit.kind == planner::FitKind::kGpuRaisedLimit ||
        fit.kind == planner::FitKind::kMultiGpu || fit.kind == planner::FitKind::kHost;
    r.value = bytes_to_gib(fit.gpu_need_bytes);
    r.value_unit = "GiB needed";
    const bool claimed = v.yes_no.value_or(false);
    r.verdict = claimed == fits ? ClaimVerdict::kConsistent
                : claimed       ? ClaimVerdict::kOptimistic
                                : ClaimVerdict::kPessimistic;
    r.reason = fmt::format("{} {} needs {:.1f} GiB; {} ({})", model->spec.id, quant, r.value,
                           machine->spec.id, planner::fit_kind_label(fit.kind));
    return r;
  }
  if (kind == ClaimKind::kBandwidthRatio) {
    const auto split = c.hardware.find(" vs ");
    if (split == std::string::npos) return unverifiable(r, "expected 'A vs B'");
    const auto a = resolve_claim_machine(c.hardware.substr(0, split), db, r.assumptions);
    const auto b = resolve_claim_machine(c.hardware.substr(split + 4), db, r.assumptions);
    if (!a || !b || a->generic_ddr5_desktop || b->generic_ddr5_desktop)
      return unverifiable(r, "a machine has no bundled profile");
    return datasheet(r, v, aggregate_bandwidth_gbs(*a) / aggregate_bandwidth_gbs(*b), "x", 0.05,
                     fmt::format("{} / {} datasheet bandwidth", a->spec.id, b->spec.id));
  }
  const auto machine = resolve_claim_machine(c.hardware, db, r.assumptions);
  if (!machine || machine->generic_ddr5_desktop)
    return unverifiable(r, fmt::format("no bundled profile for '{}'", c.hardware));
  const auto units = static_cast<double>(machine->units * machine->nodes);
  if (kind == ClaimKind::kComputeTflops) {
    return datasheet(
        r, v,
        machine->spec.fp16_flop_per_s * static_cast<double>(machine->spec.gpu_count) * units / 1e12,
        "TFLOP/s", 0.10, fmt::format("{}'s dense FP16 rate", machine->spec.id));
  }
  if (kind == ClaimKind::kPowerW) {
    if (machine->spec.power_load_w <= 0) return unverifiable(r, "no power figure in the profile");
    return estimate(r, v, machine->spec.power_load_w * units, "W", 0.25,
                    fmt::format("{}'s power under load (profile)", machine->spec.id), false);
  }
  const auto variants = machine_variants(c.hardware, db);
  if (kind == ClaimKind::kPricePerGb || kind == ClaimKind::kBreakEvenHours) {
    // A claim that leaves the memory size open is checked against every bundled size.
    std::vector<double> values;
    std::smatch m;
    double cloud = 0;
    if (kind == ClaimKind::kBreakEvenHours) {
      if (!std::regex_search(c.condition, m, std::regex(R"((\d{1,9}(\.\d{1,9})?)\s*USD/hour)"))) {
        return unverifiable(r, "no cloud price per hour in the condition");
      }
      cloud = std::stod(m[1].str());
    }
    const bool sized = std::regex_search(c.hardware, std::regex(R"(\d+\s*GB)", std::regex::icase));
    for (const auto* h :
         sized ? std::vector<const planner::HardwareSpec*>{&machine->spec} : variants) {
      if (!h->price_usd) continue;
      const double gb = bytes_to_gb(h->memory_bytes * static_cast<double>(h->gpu_count));
      values.push_back(kind == ClaimKind::kPricePerGb ? *h->price_usd / gb : *h->price_usd / cloud);
    }
    if (values.empty()) return unverifiable(r, "no price in the profile");
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    if (values.size() > 1) {
      r.assumptions.push_back(fmt::format(
          "no memory size given: every bundled size checked ({:.3g} to {:.3g})", *lo, *hi));
    }
    const std::string unit = kind == ClaimKind::kPricePerGb ? "USD/GB" : "hours";
    const double nearest = v.low > *hi ? *hi : v.high < *lo ? *lo : v.low;
    return estimate(r, v, nearest, unit, 0.15,
                    kind == ClaimKind::kPricePerGb
                        ? "the profile's list price per GB of memory"
                        : fmt::format("list price over {} USD/hour", cloud),
                    /*higher_is_optimistic=*/false);
  }
  return unverifiable(r, fmt::format("claim kind '{}' is not checked", c.kind));
}

namespace {

constexpr std::pair<ClaimKind, const char*> kKindNames[] = {
    {ClaimKind::kBandwidth, "bandwidth"},
    {ClaimKind::kMemoryNeeded, "memory_needed"},
    {ClaimKind::kDecodeTps, "decode_tps"},
    {ClaimKind::kPrefillTps, "prefill_tps"},
    {ClaimKind::kSecondsPerToken, "seconds_per_token"},
    {ClaimKind::kMaxModelParams, "max_model_params"},
    {ClaimKind::kFits, "fits"},
    {ClaimKind::kBandwidthRatio, "bandwidth_ratio"},
    {ClaimKind::kComputeTflops, "compute_tflops"},
    {ClaimKind::kPowerW, "power_w"},
    {ClaimKind::kPricePerGb, "price_per_gb"},
    {ClaimKind::kBreakEvenHours, "break_even_hours"},
};

}  // namespace

const char* claim_kind_name(ClaimKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "bandwidth";
}

std::optional<ClaimKind> claim_kind_from_name(const std::string& name) {
  for (const auto& [k, text] : kKindNames) {
    if (name == text) return k;
  }
  return std::nullopt;
}

const char* claim_verdict_name(ClaimVerdict verdict) {
  switch (verdict) {
    case ClaimVerdict::kConsistent:
      return "consistent";
    case ClaimVerdict::kOptimistic:
      return "optimistic";
    case ClaimVerdict::kPessimistic:
      return "pessimistic";
    case ClaimVerdict::kInconsistent:
      return "inconsistent";
    case ClaimVerdict::kUnverifiable:
      return "unverifiable";
  }
  return "unverifiable";
}

}  // namespace hwplan::reports
