// The buying report: machines, models on them, recommendations and charts. The economics (energy,
// cost of ownership, break-even) are reports/economics.h.
#include "cmd_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "common/error.h"
#include "common/units.h"
#include "hardware_source.h"
#include "plan_output.h"
#include "planned_model.h"
#include "planner/fit.h"
#include "planner/predict.h"
#include "planner/weights.h"
#include "reports/economics.h"

namespace hwplan::cli {
namespace {

struct Cell {
  const planner::HardwareSpec* hw;
  const PlannedModel* model;
  planner::Prediction p;
  bool runs = false;  ///< fits somewhere (GPU or partial offload)
};

std::string why(const Cell& c) {
  if (!c.runs) {
    return fmt::format("does not fit: needs {:.1f} GiB, {:.1f} GiB usable",
                       bytes_to_gib(c.p.fit.gpu_need_bytes), reports::usable_gpu_gib(*c.hw));
  }
  return c.p.reason;
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
  std::vector<planner::HardwareSpec> all =
      resolve_hardware(db, o.hw, {}, 0, report.context.warnings);
  std::vector<const planner::HardwareSpec*> machines;
  for (const auto& h : all) {
    if (!h.price_usd) {
      report.notes.push_back(fmt::format("{}: left out (no price in its profile).", h.id));
    } else if (o.budget_usd > 0 && *h.price_usd > o.budget_usd) {
      report.notes.push_back(fmt::format("{}: left out (${:.0f} is over the ${:.0f} budget).", h.id,
                                         *h.price_usd, o.budget_usd));
    } else {
      machines.push_back(&h);
    }
  }
  if (machines.empty()) throw_input("report: no machine with a price within the budget");

  ModelRequest request{o.quant, true, o.context_tokens, true, o.context_tokens, "f16", 1};
  std::vector<PlannedModel> models;
  for (const auto& name : o.models) models.push_back(plan_model(db, name, request, report.notes));
  planner::PredictOptions popt;
  popt.prompt_tokens = o.prompt_tokens;
  const auto llama_args = parse_llama_args_option(o.llama_args);
  std::vector<Cell> cells;
  for (const auto* h : machines) {
    for (const auto& m : models) {
      // The same plan fit and predict would show for this model, machine and command line.
      const auto chosen = planner::choose_plan(m.source.spec, m.weights, *h, m.workload, popt,
                                               llama_args ? &*llama_args : nullptr, db.quants);
      for (const auto& n : chosen.notes)
        report.notes.push_back(fmt::format("{} on {}: {}.", m.source.spec.id, h->id, n));
      Cell c{h, &m, planner::predict_chosen(m.source.spec, chosen, popt, db.efficiency)};
      c.runs = c.p.fit.kind != planner::FitKind::kNoFit && std::isfinite(c.p.decode.tok_per_s) &&
               c.p.decode.tok_per_s > 0;
      cells.push_back(std::move(c));
    }
  }

  reports::Table mt{"machines", "Machines in scope", {}, {}};
  mt.columns = {
      {"hardware", "Hardware", "", reports::Align::kLeft},
      {"price_usd", "Price", "USD", reports::Align::kRight, 0},
      {"usable_gib", "Usable", "GiB", reports::Align::kRight, 1},
      {"usd_per_gib", "$/GiB", "USD", reports::Align::kRight, 1},
      {"power_load_w", "Load power", "W", reports::Align::kRight, 0},
      {"energy_usd_per_year", "Energy/year", "USD", reports::Align::kRight, 0},
      {"tco_usd", fmt::format("Cost over {:g} years", o.years), "USD", reports::Align::kRight, 0},
      {"breakeven_months", "Cloud break-even", "months", reports::Align::kRight, 1},
      {"price_date", "Price date", "", reports::Align::kLeft}};
  const reports::OwnershipTerms terms{o.electricity_usd_per_kwh, o.hours_per_day, o.years,
                                      o.cloud_usd_per_hour};
  for (const auto* h : machines) {
    const auto e = reports::economics_of(*h, terms);
    mt.rows.push_back(
        {h->id, *h->price_usd, reports::usable_gpu_gib(*h),
         *h->price_usd / reports::usable_gpu_gib(*h), h->power_load_w, e.energy_usd_per_year,
         e.tco_usd,
         std::isfinite(e.breakeven_months) ? reports::Cell{e.breakeven_months} : reports::Cell{},
         h->price_date});
  }
  report.tables.push_back(mt);

  reports::Table rt{
      "models",
      fmt::format("Models at {} with {} tokens of context", o.quant, o.context_tokens),
      {},
      {}};
  rt.columns = {{"model", "Model", "", reports::Align::kLeft},
                {"hardware", "Hardware", "", reports::Align::kLeft},
                {"fit", "Fit", "", reports::Align::kLeft},
                {"decode_tok_per_s", "Decode", "tok/s", reports::Align::kRight, 1},
                {"prefill_tok_per_s", "Prefill", "tok/s", reports::Align::kRight, 0},
                {"ttft_seconds", fmt::format("TTFT ({} tokens)", o.prompt_tokens), "s",
                 reports::Align::kRight, 2},
                {"usd_per_tok_per_s", "$ per tok/s", "USD", reports::Align::kRight, 0},
                {"tok_per_s_per_w", "tok/s per W", "", reports::Align::kRight, 3},
                {"reason", "Why", "", reports::Align::kLeft}};
  for (const auto& c : cells) {
    const double tps = c.runs ? c.p.decode.tok_per_s : 0;
    rt.rows.push_back({c.model->source.spec.id, c.hw->id,
                       std::string(planner::fit_kind_label(c.p.fit.kind)),
                       c.runs ? reports::Cell{tps} : reports::Cell{},
                       c.runs ? reports::Cell{c.p.prefill.tok_per_s} : reports::Cell{},
                       c.runs ? reports::Cell{c.p.ttft_seconds} : reports::Cell{},
                       c.runs ? reports::Cell{*c.hw->price_usd / tps} : reports::Cell{},
                       c.runs && c.hw->power_load_w > 0 ? reports::Cell{tps / c.hw->power_load_w}
                                                        : reports::Cell{},
                       why(c)});
  }
  report.tables.push_back(rt);

  // Recommendations.
  reports::Table rec{"recommendations", "Recommendations", {}, {}};
  rec.columns = {{"need", "Need", "", reports::Align::kLeft},
                 {"hardware", "Pick", "", reports::Align::kLeft},
                 {"model", "Model", "", reports::Align::kLeft},
                 {"decode_tok_per_s", "Decode", "tok/s", reports::Align::kRight, 1},
                 {"price_usd", "Price", "USD", reports::Align::kRight, 0},
                 {"reason", "Why", "", reports::Align::kLeft}};
  auto params_of = [](const Cell& c) { return planner::total_params(c.model->weights); };
  std::vector<double> tiers = {2000, 4000, 10000, std::numeric_limits<double>::infinity()};
  for (double tier : tiers) {
    if (o.budget_usd > 0 && tier > o.budget_usd && !std::isinf(tier)) continue;
    const Cell* best = nullptr;
    for (const auto& c : cells) {
      if (!c.runs || c.p.decode.tok_per_s < o.min_tps || *c.hw->price_usd > tier) continue;
      if (best == nullptr || params_of(c) > params_of(*best) ||
          (params_of(c) == params_of(*best) && *c.hw->price_usd < *best->hw->price_usd)) {
        best = &c;
      }
    }
    const std::string need =
        std::isinf(tier)
            ? fmt::format("largest model at >= {:g} tok/s", o.min_tps)
            : fmt::format("largest model at >= {:g} tok/s, up to ${:.0f}", o.min_tps, tier);
    if (best == nullptr) {
      rec.rows.push_back(
          {need, reports::Cell{}, reports::Cell{}, reports::Cell{}, reports::Cell{},
           fmt::format("no machine in scope runs any of the models at {:g} tok/s", o.min_tps)});
    } else {
      rec.rows.push_back({need, best->hw->id, best->model->source.spec.id, best->p.decode.tok_per_s,
                          *best->hw->price_usd, why(*best)});
    }
  }
  for (const auto& m : models) {
    const Cell* fastest = nullptr;
    const Cell* value = nullptr;
    for (const auto& c : cells) {
      if (c.model != &m || !c.runs) continue;
      if (fastest == nullptr || c.p.decode.tok_per_s > fastest->p.decode.tok_per_s) fastest = &c;
      if (value == nullptr || c.p.decode.tok_per_s / *c.hw->price_usd >
                                  value->p.decode.tok_per_s / *value->hw->price_usd)
        value = &c;
    }
    if (fastest == nullptr) continue;
    rec.rows.push_back({fmt::format("fastest for {}", m.source.spec.id), fastest->hw->id,
                        m.source.spec.id, fastest->p.decode.tok_per_s, *fastest->hw->price_usd,
                        why(*fastest)});
    rec.rows.push_back(
        {fmt::format("best value for {}", m.source.spec.id), value->hw->id, m.source.spec.id,
         value->p.decode.tok_per_s, *value->hw->price_usd,
         fmt::format("{:.2f} tok/s per $100; {}",
                     100 * value->p.decode.tok_per_s / *value->hw->price_usd, why(*value))});
  }
  report.tables.push_back(rec);

  // Charts.
  reports::Chart speed{"decode_vs_size",
                       "Decode speed against model size",
                       "Model size (B parameters, total)",
                       "Decode (tok/s)",
                       reports::Chart::Kind::kScatter,
                       true,
                       true,
                       {},
                       {}};
  for (const auto* h : machines) {
    reports::ChartSeries s{h->id, {}, {}, {}};
    std::vector<std::pair<double, const Cell*>> pts;
    for (const auto& c : cells) {
      if (c.hw == h && c.runs) pts.emplace_back(params_of(c) / 1e9, &c);
    }
    std::sort(pts.begin(), pts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [x, c] : pts) {
      s.x.push_back(x);
      s.y.push_back(c->p.decode.tok_per_s);
      s.labels.push_back(fmt::format("{} on {}", c->model->source.spec.id, h->id));
    }
    speed.series.push_back(s);
  }
  reports::Chart price{"price_vs_memory",
                       "Price against usable GPU memory (Pareto front outlined)",
                       "Usable memory (GiB)",
                       "Price (USD)",
                       reports::Chart::Kind::kScatter,
                       false,
                       false,
                       {},
                       reports::pareto_front(machines)};
  for (const auto* h : machines)
    price.series.push_back({h->id, {reports::usable_gpu_gib(*h)}, {*h->price_usd}, {h->id}});
  reports::Chart value{"tok_per_dollar",
                       fmt::format("Decode tok/s per $1000 ({})", models.front().source.spec.id),
                       "Machine",
                       "tok/s per $1000",
                       reports::Chart::Kind::kBars,
                       false,
                       false,
                       {},
                       {}};
  reports::ChartSeries vs{"tok/s per $1000", {}, {}, {}};
  for (const auto& c : cells) {
    if (c.model != &models.front() || !c.runs) continue;
    vs.x.push_back(static_cast<double>(vs.x.size()));
    vs.y.push_back(1000 * c.p.decode.tok_per_s / *c.hw->price_usd);
    vs.labels.push_back(c.hw->id);
  }
  value.series.push_back(vs);
  report.charts = {speed, price, value};

  std::string price_dates;
  for (const auto* h : machines)
    price_dates += fmt::format("{}{} {}", price_dates.empty() ? "" : ", ", h->id, h->price_date);
  report.notes.push_back(
      fmt::format("Assumptions: {} weights, {} tokens of context, {}-token prompts for TTFT; "
                  "electricity ${:g}/kWh, {:g} h/day at "
                  "load power and the rest idle; ownership over {:g} years; cloud GPU at "
                  "${:g}/hour for the same hours "
                  "(break-even: months until the price is paid back by the rent saved, rent minus "
                  "electricity, for "
                  "the same hours). Speeds are hwplan "
                  "predict's (llama.cpp "
                  "efficiencies fitted to {}).",
                  o.quant, o.context_tokens, o.prompt_tokens, o.electricity_usd_per_kwh,
                  o.hours_per_day, o.years, o.cloud_usd_per_hour, db.efficiency.fitted_from));
  report.notes.push_back("Prices as dated in the profiles: " + price_dates + ".");
  return result;
}

}  // namespace hwplan::cli
