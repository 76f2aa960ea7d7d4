// The buying report: machines, models on them, recommendations and charts. The economics (energy,
// cost of ownership, break-even) are reports/economics.h.
#include "cmd_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

#include "common/error.h"
#include "common/text_util.h"
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

// Value: decode tok/s per dollar of cost of ownership (price and electricity over --years).
double tok_per_s_per_tco_usd(const Cell& c, const reports::OwnershipTerms& terms) {
  return c.p.decode.tok_per_s / reports::economics_of(*c.hw, terms).tco_usd;
}

reports::Cell months_cell(double months) {
  return std::isfinite(months) ? reports::Cell{months} : reports::Cell{std::string("never")};
}

// The answer in three sentences: the cheapest machine that runs the most of the models at
// --min-tps; the fastest machine for the largest model anything runs that fast; the best value
// for that model over --years and when it pays off against renting the cloud GPU.
reports::Table verdict_table(const std::vector<Cell>& cells,
                             const std::vector<const planner::HardwareSpec*>& machines,
                             const std::vector<PlannedModel>& models,
                             const reports::OwnershipTerms& terms, const ReportOptions& o,
                             const planner::HardwareSpec& cloud,
                             const std::map<const PlannedModel*, double>& cloud_tps) {
  reports::Table t{"verdict", "Verdict (estimates; bands are 80% of measured runs)", {}, {}};
  t.columns = {{"verdict", "In short", "", reports::Align::kLeft}};
  auto usable = [&](const Cell& c) { return c.runs && c.p.decode.tok_per_s >= o.min_tps; };
  const planner::HardwareSpec* widest = nullptr;
  int64_t widest_count = -1;
  for (const auto* h : machines) {
    int64_t count = 0;
    for (const auto& c : cells) count += c.hw == h && usable(c) ? 1 : 0;
    if (count > widest_count || (count == widest_count && *h->price_usd < *widest->price_usd)) {
      widest = h;
      widest_count = count;
    }
  }
  if (widest_count <= 0) {
    t.rows.push_back({fmt::format(
        "No machine in scope runs any of the {} models at {:g} tok/s or more: raise the budget, "
        "lower --min-tps or pick smaller models or quants.",
        models.size(), o.min_tps)});
    return t;
  }
  t.rows.push_back({fmt::format(
      "{} ({}) is the cheapest machine that runs {} of the {} models at {:g} tok/s or more.",
      widest->id, usd(*widest->price_usd), widest_count, models.size(), o.min_tps)});
  const Cell* largest = nullptr;
  for (const auto& c : cells) {
    if (!usable(c)) continue;
    const double params = planner::total_params(c.model->weights);
    if (largest == nullptr || params > planner::total_params(largest->model->weights) ||
        (c.model == largest->model && c.p.decode.tok_per_s > largest->p.decode.tok_per_s)) {
      largest = &c;
    }
  }
  t.rows.push_back({fmt::format(
      "The largest model that runs that fast is {}: fastest on {} at {:.1f} tok/s ({} of the "
      "prediction) for {}.",
      largest->model->source.spec.id, largest->hw->id, largest->p.decode.tok_per_s,
      band_text(largest->p.decode, "no band"), usd(*largest->hw->price_usd))});
  const Cell* value = nullptr;
  auto per_tco = [&](const Cell& c) { return tok_per_s_per_tco_usd(c, terms); };
  for (const auto& c : cells) {
    if (c.model == largest->model && usable(c) &&
        (value == nullptr || per_tco(c) > per_tco(*value)))
      value = &c;
  }
  const double cloud_speed = cloud_tps.at(largest->model);
  const double months = std::isfinite(cloud_speed)
                            ? reports::token_matched_breakeven_months(
                                  *value->hw, terms, value->p.decode.tok_per_s, cloud_speed)
                            : std::nan("");
  const std::string payoff =
      std::isnan(months)
          ? fmt::format("{} cannot hold it, so no token-matched break-even", cloud.id)
      : std::isinf(months)
          ? fmt::format("renting {} for the same tokens stays cheaper", cloud.id)
          : fmt::format(
                "against renting {} at ${:g}/h for the same tokens it pays off after "
                "{:.0f} months",
                cloud.id, o.cloud_usd_per_hour, months);
  t.rows.push_back({fmt::format(
      "Best value for it over {:g} years: {} ({:.2f} tok/s per $1000 of price and electricity); "
      "{}.",
      o.years, value->hw->id, 1000 * per_tco(*value), payoff)});
  return t;
}

// "4 x RTX 3090 24 GB, used $3,000 + board, CPU, ... $487"; a discrete machine without parts may
// be priced as its card alone, and the text says so.
std::string price_includes(const planner::HardwareSpec& h) {
  if (h.price_parts.empty()) {
    return h.kind == planner::MemoryKind::kDiscrete
               ? "not broken down: perhaps the card alone, without the computer around it"
               : "not broken down";
  }
  std::string text;
  for (const auto& p : h.price_parts)
    text += fmt::format("{}{} {}", text.empty() ? "" : " + ", p.part, usd(p.usd));
  return text;
}

// Depth of the long-document use: a 32K-token conversation or document before the prompt.
constexpr int64_t kLongDocumentDepth = 32768;
// Users of the several-users use: sequences decoding at once (llama-server -np).
constexpr int64_t kSeveralUsers = 4;

// The same model and machine as `c` with another workload and prompt depth (nullopt where that
// does not fit).
std::optional<planner::Prediction> predict_variant(const Cell& c, const planner::Workload& w,
                                                   const planner::PredictOptions& popt,
                                                   const planner::ProfileDb& db,
                                                   const std::optional<planner::LlamaArgs>& args) {
  const auto& spec = c.model->source.spec;
  try {
    const auto chosen = planner::choose_plan(spec, c.model->weights, *c.hw, w, popt,
                                             args ? &*args : nullptr, db.quants);
    auto p = planner::predict_chosen(spec, chosen, popt, db.efficiency);
    if (p.fit.kind == planner::FitKind::kNoFit || !std::isfinite(p.decode.tok_per_s))
      return std::nullopt;
    return p;
  } catch (const Error&) {
    return std::nullopt;  // e.g. the depth is beyond this model's context
  }
}

// Recommendations by what the machine is for, each for the largest model some machine runs at
// --min-tps: chat (the cheapest machine at that speed), long documents (the shortest time to
// first token at 32K tokens of depth), capacity (the cheapest machine that holds the largest
// model at any speed) and several users (the most tokens per second over 4 sequences).
void add_use_recommendations(reports::Table& rec, const std::vector<Cell>& cells,
                             const std::vector<PlannedModel>& models, const planner::ProfileDb& db,
                             const planner::PredictOptions& popt,
                             const std::optional<planner::LlamaArgs>& args,
                             const ReportOptions& o) {
  auto params = [](const PlannedModel* m) { return planner::total_params(m->weights); };
  const PlannedModel* target = nullptr;
  const PlannedModel* biggest = nullptr;
  for (const auto& c : cells) {
    if (!c.runs) continue;
    if (biggest == nullptr || params(c.model) > params(biggest)) biggest = c.model;
    if (c.p.decode.tok_per_s >= o.min_tps &&
        (target == nullptr || params(c.model) > params(target)))
      target = c.model;
  }
  auto row = [&](const std::string& need, const Cell* c, double tps, const std::string& reason) {
    if (c == nullptr) {
      rec.rows.push_back(
          {need, reports::Cell{}, reports::Cell{}, reports::Cell{}, reports::Cell{}, reason});
    } else {
      rec.rows.push_back(
          {need, c->hw->id, c->model->source.spec.id, tps, *c->hw->price_usd, reason});
    }
  };
  if (target == nullptr) {
    row("chat", nullptr, 0,
        fmt::format("no machine in scope runs any of the {} models at {:g} tok/s", models.size(),
                    o.min_tps));
    return;
  }
  const Cell* chat = nullptr;
  for (const auto& c : cells) {
    if (c.model == target && c.runs && c.p.decode.tok_per_s >= o.min_tps &&
        (chat == nullptr || *c.hw->price_usd < *chat->hw->price_usd))
      chat = &c;
  }
  row(fmt::format("chat: {} at >= {:g} tok/s, {} tokens of context", target->source.spec.id,
                  o.min_tps, o.context_tokens),
      chat, chat->p.decode.tok_per_s,
      fmt::format("the cheapest that fast ({} of the prediction); {}",
                  band_text(chat->p.decode, "no band"), chat->p.reason));
  // Long documents: the prompt after kLongDocumentDepth tokens, with a cache that holds them all.
  const int64_t depth =
      std::min<int64_t>(kLongDocumentDepth, target->source.spec.max_context - o.prompt_tokens);
  const Cell* doc = nullptr;
  double best_ttft = std::numeric_limits<double>::infinity();
  planner::Prediction doc_p;
  for (const auto& c : cells) {
    if (c.model != target || !c.runs || depth <= 0) continue;
    planner::Workload w = c.model->workload;
    w.context_tokens = depth + o.prompt_tokens;
    planner::PredictOptions deep = popt;
    deep.depth_tokens = depth;
    const auto p = predict_variant(c, w, deep, db, args);
    if (p && p->ttft_seconds < best_ttft) {
      best_ttft = p->ttft_seconds;
      doc = &c;
      doc_p = *p;
    }
  }
  row(fmt::format("long documents: {}-token prompt after {} tokens", o.prompt_tokens, depth), doc,
      doc != nullptr ? doc_p.decode.tok_per_s : 0,
      doc == nullptr ? "no machine holds a cache that long for this model"
                     : fmt::format("first token after {:.1f} s ({} prefill band); decode {:.1f} "
                                   "tok/s at that depth",
                                   doc_p.ttft_seconds, band_text(doc_p.prefill, "no"),
                                   doc_p.decode.tok_per_s));
  // Capacity: the largest model any machine holds, at any speed.
  const Cell* holds = nullptr;
  for (const auto& c : cells) {
    if (c.model == biggest && c.runs &&
        (holds == nullptr || *c.hw->price_usd < *holds->hw->price_usd))
      holds = &c;
  }
  row(fmt::format("capacity: the largest model ({})", biggest->source.spec.id), holds,
      holds->p.decode.tok_per_s,
      fmt::format("the cheapest machine that holds it ({}), at {:.1f} tok/s",
                  planner::fit_kind_label(holds->p.fit.kind), holds->p.decode.tok_per_s));
  // Several users: aggregate decode of kSeveralUsers sequences, each with its own cache.
  const Cell* users = nullptr;
  planner::Prediction users_p;
  for (const auto& c : cells) {
    if (c.model != target || !c.runs) continue;
    planner::Workload w = c.model->workload;
    w.batch = kSeveralUsers;
    const auto p = predict_variant(c, w, popt, db, args);
    if (p && (users == nullptr || p->decode.tok_per_s > users_p.decode.tok_per_s)) {
      users = &c;
      users_p = *p;
    }
  }
  row(fmt::format("{} users of {} at once", kSeveralUsers, target->source.spec.id), users,
      users != nullptr ? users_p.decode.tok_per_s : 0,
      users == nullptr ? "no machine holds the caches of that many users"
                       : fmt::format("{:.1f} tok/s over {} sequences ({:.1f} each; llama.cpp "
                                     "efficiencies, other engines batch better)",
                                     users_p.decode.tok_per_s, kSeveralUsers,
                                     users_p.decode.tok_per_s / kSeveralUsers));
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
      resolve_hardware(db, o.hw, o.hw_specs, 0, report.context.warnings);
  for (const auto& [id, usd] : parse_prices(o.prices, all)) {
    for (auto& h : all) {
      if (h.id != id) continue;
      h.price_usd = usd;
      h.price_date = "set with --price";
      h.price_parts = {{"as given with --price", usd, ""}};
    }
  }
  const planner::HardwareSpec& cloud = planner::find_hardware(db, o.cloud_gpu);
  std::vector<const planner::HardwareSpec*> machines;
  for (const auto& h : all) {
    if (!h.price_usd) {
      report.notes.push_back(fmt::format("{}: left out (no price in its profile).", h.id));
    } else if (o.budget_usd > 0 && *h.price_usd > o.budget_usd) {
      report.notes.push_back(fmt::format("{}: left out ({} is over the {} budget).", h.id,
                                         usd(*h.price_usd), usd(o.budget_usd)));
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
  // The cloud GPU's own speed per model, for the token-matched break-even (NaN: does not fit).
  std::map<const PlannedModel*, double> cloud_tps;
  for (const auto& m : models) {
    const auto chosen = planner::choose_plan(m.source.spec, m.weights, cloud, m.workload, popt,
                                             llama_args ? &*llama_args : nullptr, db.quants);
    const auto p = planner::predict_chosen(m.source.spec, chosen, popt, db.efficiency);
    cloud_tps[&m] = p.fit.kind == planner::FitKind::kGpu ? p.decode.tok_per_s : std::nan("");
  }
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
      {"price_date", "Price date", "", reports::Align::kLeft},
      {"price_includes", "What the price includes", "", reports::Align::kLeft}};
  const reports::OwnershipTerms terms{o.electricity_usd_per_kwh, o.hours_per_day, o.years,
                                      o.cloud_usd_per_hour};
  for (const auto* h : machines) {
    const auto e = reports::economics_of(*h, terms);
    mt.rows.push_back(
        {hardware_label(*h), *h->price_usd, reports::usable_gpu_gib(*h),
         *h->price_usd / reports::usable_gpu_gib(*h), h->power_load_w, e.energy_usd_per_year,
         e.tco_usd,
         std::isfinite(e.breakeven_months) ? reports::Cell{e.breakeven_months} : reports::Cell{},
         h->price_date, price_includes(*h)});
  }
  report.tables.push_back(mt);

  reports::Table rt{
      "models",
      fmt::format("Models at {} with {} tokens of context", o.quant, o.context_tokens),
      {},
      {}};
  rt.columns = {
      {"model", "Model", "", reports::Align::kLeft},
      {"hardware", "Hardware", "", reports::Align::kLeft},
      {"fit", "Fit", "", reports::Align::kLeft},
      {"decode_tok_per_s", "Decode", "tok/s", reports::Align::kRight, 1},
      {"decode_band", "80% band", "", reports::Align::kRight},
      {"prefill_tok_per_s", "Prefill", "tok/s", reports::Align::kRight, 0},
      {"prefill_band", "80% band", "", reports::Align::kRight},
      {"ttft_seconds", fmt::format("TTFT ({} tokens)", o.prompt_tokens), "s",
       reports::Align::kRight, 2},
      {"tco_usd_per_tok_per_s", fmt::format("Cost over {:g} y per tok/s", o.years), "USD",
       reports::Align::kRight, 0},
      {"energy_usd_per_million_tokens", "Energy per 1M tokens", "USD", reports::Align::kRight, 2},
      {"token_breakeven_months", fmt::format("Break-even vs {} (same tokens)", cloud.id), "months",
       reports::Align::kRight, 1},
      {"reason", "Why", "", reports::Align::kLeft}};
  for (const auto& c : cells) {
    const double tps = c.runs ? c.p.decode.tok_per_s : 0;
    const auto e = reports::economics_of(*c.hw, terms);
    const double energy = reports::energy_usd_per_million_tokens(*c.hw, terms, tps);
    const double cloud_speed = cloud_tps.at(c.model);
    rt.rows.push_back(
        {c.model->source.spec.id, hardware_label(*c.hw),
         std::string(planner::fit_kind_label(c.p.fit.kind)),
         c.runs ? reports::Cell{tps} : reports::Cell{},
         c.runs ? reports::Cell{band_text(c.p.decode)} : reports::Cell{},
         c.runs ? reports::Cell{c.p.prefill.tok_per_s} : reports::Cell{},
         c.runs ? reports::Cell{band_text(c.p.prefill)} : reports::Cell{},
         c.runs ? reports::Cell{c.p.ttft_seconds} : reports::Cell{},
         c.runs ? reports::Cell{e.tco_usd / tps} : reports::Cell{},
         c.runs && std::isfinite(energy) ? reports::Cell{energy} : reports::Cell{},
         c.runs && std::isfinite(cloud_speed)
             ? months_cell(reports::token_matched_breakeven_months(*c.hw, terms, tps, cloud_speed))
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
            : fmt::format("largest model at >= {:g} tok/s, up to {}", o.min_tps, usd(tier));
    const bool any_in_tier = std::any_of(machines.begin(), machines.end(),
                                         [&](const auto* h) { return *h->price_usd <= tier; });
    if (best == nullptr) {
      rec.rows.push_back(
          {need, reports::Cell{}, reports::Cell{}, reports::Cell{}, reports::Cell{},
           any_in_tier ? fmt::format("no machine up to {} runs any of the models at {:g} tok/s",
                                     usd(tier), o.min_tps)
                       : fmt::format("no machine in scope costs {} or less", usd(tier))});
    } else {
      rec.rows.push_back({need, best->hw->id, best->model->source.spec.id, best->p.decode.tok_per_s,
                          *best->hw->price_usd, why(*best)});
    }
  }
  for (const auto& m : models) {
    const Cell* fastest = nullptr;
    const Cell* value = nullptr;
    auto per_tco = [&](const Cell& c) { return tok_per_s_per_tco_usd(c, terms); };
    for (const auto& c : cells) {
      if (c.model != &m || !c.runs) continue;
      if (fastest == nullptr || c.p.decode.tok_per_s > fastest->p.decode.tok_per_s) fastest = &c;
      if (value == nullptr || per_tco(c) > per_tco(*value)) value = &c;
    }
    if (fastest == nullptr) continue;
    rec.rows.push_back({fmt::format("fastest for {}", m.source.spec.id), fastest->hw->id,
                        m.source.spec.id, fastest->p.decode.tok_per_s, *fastest->hw->price_usd,
                        why(*fastest)});
    rec.rows.push_back(
        {fmt::format("best value for {}", m.source.spec.id), value->hw->id, m.source.spec.id,
         value->p.decode.tok_per_s, *value->hw->price_usd,
         fmt::format("{:.2f} tok/s per $1000 of cost over {:g} years ({}: price and "
                     "electricity); {}",
                     1000 * per_tco(*value), o.years,
                     usd(reports::economics_of(*value->hw, terms).tco_usd), why(*value))});
  }
  add_use_recommendations(rec, cells, models, db, popt, llama_args, o);
  report.tables.push_back(rec);
  report.tables.insert(report.tables.begin(),
                       verdict_table(cells, machines, models, terms, o, cloud, cloud_tps));

  // Charts.
  reports::Chart speed{"decode_vs_size",
                       "Decode speed against model size",
                       "Model size (B parameters, total)",
                       "Decode (tok/s)",
                       reports::Chart::Kind::kScatter,
                       true,
                       false,  // points only: a line would join unrelated models
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
                       fmt::format("Decode tok/s per $1000 of cost over {:g} years ({})", o.years,
                                   models.front().source.spec.id),
                       "Machine",
                       "tok/s per $1000 of cost",
                       reports::Chart::Kind::kBars,
                       false,
                       false,
                       {},
                       {}};
  reports::ChartSeries vs{"tok/s per $1000", {}, {}, {}};
  for (const auto& c : cells) {
    if (c.model != &models.front() || !c.runs) continue;
    vs.x.push_back(static_cast<double>(vs.x.size()));
    vs.y.push_back(1000 * tok_per_s_per_tco_usd(c, terms));
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
