// `hwplan report`: options to a buying question (reports/buying_report.h builds the report).
#include "cmd_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.h"
#include "common/text_util.h"
#include "hardware_source.h"
#include "plan_output.h"
#include "planned_model.h"
#include "planner/engines.h"
#include "reports/buying_report.h"

namespace hwplan::cli {
namespace {

// --price ID=USD values, each naming a machine in scope with a positive price.
std::map<std::string, double> parse_prices(const std::vector<std::string>& values,
                                           const std::vector<planner::HardwareSpec>& machines) {
  std::map<std::string, double> prices;
  for (const auto& value : values) {
    const auto eq = value.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == value.size())
      throw_usage("--price: '{}' is not ID=USD (e.g. 4x-rtx-3090=3620)", value);
    const std::string id = value.substr(0, eq);
    const std::string number = value.substr(eq + 1);
    char* end = nullptr;
    const double usd = std::strtod(number.c_str(), &end);
    if (end == number.c_str() || *end != '\0' || !std::isfinite(usd) || usd <= 0 || usd > 1e9)
      throw_usage("--price {}: '{}' is not a price in USD (a number > 0)", id, number);
    const bool known = std::any_of(machines.begin(), machines.end(),
                                   [&](const planner::HardwareSpec& h) { return h.id == id; });
    if (!known) throw_usage("--price {}: no machine '{}' in this report (see --hw)", value, id);
    prices[id] = usd;
  }
  return prices;
}

void check(const ReportOptions& o) {
  if (o.budget_usd < 0 || o.min_tps < 0 || o.electricity_usd_per_kwh < 0 ||
      o.cloud_usd_per_hour < 0) {
    throw_usage("report: --budget, --min-tps, --electricity and --cloud-price must be >= 0");
  }
  if (o.hours_per_day < 0 || o.hours_per_day > 24)
    throw_usage("report: --hours must be 0..24, got {}", o.hours_per_day);
  if (o.years <= 0 || o.years > 20)
    throw_usage("report: --years must be in (0, 20], got {}", o.years);
  if (o.models.empty()) throw_usage("report: --models needs at least one model");
}

}  // namespace

CommandResult run_report(const GlobalOptions& global, const ReportOptions& o) {
  check(o);
  const auto db = load_profiles(global);
  CommandResult result;
  auto& report = result.report;
  report.context = make_context(global);
  reports::BuyingQuestion question;
  question.machines = resolve_hardware(db, o.hw, o.hw_specs, 0, report.context.warnings);
  for (const auto& [id, usd] : parse_prices(o.prices, question.machines)) {
    for (auto& h : question.machines) {
      if (h.id == id) reports::set_price(h, usd);
    }
  }
  question.cloud = planner::find_hardware(db, o.cloud_gpu);
  question.llama_args = parse_llama_args_option(o.llama_args);
  question.terms.quant = o.quant;
  question.terms.context_tokens = o.context_tokens;
  question.terms.prompt_tokens = o.prompt_tokens;
  question.terms.min_tps = o.min_tps;
  question.terms.budget_usd = o.budget_usd;
  question.terms.ownership = {o.electricity_usd_per_kwh, o.hours_per_day, o.years,
                              o.cloud_usd_per_hour};
  question.terms.engine = o.engine;
  const ModelRequest request{o.quant, true, o.context_tokens, true, o.context_tokens, "f16", 1};
  for (const auto& name : o.models) {
    auto planned = plan_model(db, name, request, report.notes);
    // The report's engine must load the weights (an EXL2 or MLX file is not llama.cpp's).
    // "all" picks, per machine, among the engines that load them.
    if (o.engine != "all") {
      planner::check_engine_loads(o.engine.empty() ? "llama.cpp" : o.engine, planned.format_family,
                                  planned.weights, planned.quant_name, planned.gguf_counterpart);
    }
    question.models.push_back({std::move(planned.source.spec), std::move(planned.weights),
                               planned.workload, planned.format_family});
  }
  reports::add_buying_report(question, db, report);
  return result;
}

}  // namespace hwplan::cli
