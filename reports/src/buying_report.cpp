// The buying report: machines, models on them, recommendations and charts. The economics (energy,
// cost of ownership, break-even) are economics.h.
#include "reports/buying_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>

#include "common/error.h"
#include "common/text_util.h"
#include "common/units.h"
#include "planner/fit.h"
#include "planner/predict.h"

namespace hwplan::reports {
namespace {

using planner::band_text;
using planner::hardware_label;

// Stands for --engine all: each machine's fastest engine (best_engine_run).
const planner::EngineFactors& best_of_all() {
  static const planner::EngineFactors kAll = [] {
    planner::EngineFactors e;
    e.name = "all";
    return e;
  }();
  return kAll;
}

// The factors of the report's engine; nullptr for llama.cpp (the physics as fitted).
const planner::EngineFactors* engine_of_terms(const BuyingTerms& o, const planner::ProfileDb& db) {
  if (o.engine.empty() || o.engine == "llama.cpp") return nullptr;
  if (o.engine == "all") return &best_of_all();
  return &planner::find_engine(db.efficiency.engines, o.engine);
}

// The fastest of llama.cpp and every engine that runs on the plan's machine and loads the model;
// an engine without a band of its own (fewer than kMinBandRows published pairs, or another
// engine's factors standing in: engine_has_own_band) is not picked (a point
// estimate from one or three pairs would win on its noise). Its reason names the engine.
planner::Prediction best_engine_run(const BuyingModel& m, const planner::Workload& w,
                                    const planner::ChosenPlan& chosen,
                                    const planner::PredictOptions& popt,
                                    const planner::ProfileDb& db,
                                    const planner::Prediction& llama) {
  const bool ik = !planner::ik_only_type(m.weights).empty();
  const bool llama_loads = planner::engine_loads("llama.cpp", m.format_family, ik);
  planner::Prediction best = llama;
  bool have = llama_loads;
  if (llama_loads) best.reason = "llama.cpp: " + best.reason;
  for (const auto* e : planner::engines_for(db.efficiency.engines, chosen.machine, m.format_family,
                                            ik, popt.nodes)) {
    if (!planner::engine_has_own_band(*e)) continue;
    auto p = planner::predict_with_engine(m.spec, m.weights, w, chosen, llama, popt, *e, db.quants,
                                          db.efficiency);
    if (!have ||
        (std::isfinite(p.decode.tok_per_s) && p.decode.tok_per_s > best.decode.tok_per_s)) {
      best = std::move(p);
      have = true;
    }
  }
  return best;
}

// The prediction for `chosen` run by `engine` (nullptr: llama.cpp; best_of_all(): the fastest),
// as predict shows it.
planner::Prediction run_by(const BuyingModel& m, const planner::Workload& w,
                           const planner::ChosenPlan& chosen, const planner::PredictOptions& popt,
                           const planner::ProfileDb& db, const planner::EngineFactors* engine) {
  auto p = planner::predict_chosen(m.spec, chosen, popt, db.efficiency);
  if (engine == nullptr) return p;
  if (engine == &best_of_all()) return best_engine_run(m, w, chosen, popt, db, p);
  return planner::predict_with_engine(m.spec, m.weights, w, chosen, p, popt, *engine, db.quants,
                                      db.efficiency);
}

// Whether `engine` runs on `machine` (llama.cpp and "all" run everywhere).
bool engine_runs_on(const planner::EngineFactors* engine, const planner::HardwareSpec& machine) {
  return engine == nullptr || engine == &best_of_all() || planner::engine_runs_on(*engine, machine);
}

struct Pairing {
  const planner::HardwareSpec* hw;
  const BuyingModel* model;
  planner::Prediction p;
  bool runs = false;  ///< fits somewhere (GPU or partial offload)
};

std::string why(const Pairing& c) {
  if (!c.runs) {
    return fmt::format("does not fit: needs {:.1f} GiB, {:.1f} GiB usable",
                       bytes_to_gib(c.p.fit.gpu_need_bytes), usable_gpu_gib(*c.hw));
  }
  return c.p.reason;
}

// Value: decode tok/s per dollar of cost of ownership (price and electricity over --years).
double tok_per_s_per_tco_usd(const Pairing& c, const OwnershipTerms& terms) {
  return c.p.decode.tok_per_s / economics_of(*c.hw, terms).tco_usd;
}

Cell months_cell(double months) {
  return std::isfinite(months) ? Cell{months} : Cell{std::string("never")};
}

// The answer in three sentences: the cheapest machine that runs the most of the models at
// --min-tps; the fastest machine for the largest model anything runs that fast; the best value
// for that model over --years and when it pays off against renting the cloud GPU.
Table verdict_table(const std::vector<Pairing>& cells,
                    const std::vector<const planner::HardwareSpec*>& machines,
                    const std::vector<BuyingModel>& models, const OwnershipTerms& terms,
                    const BuyingTerms& o, const planner::HardwareSpec& cloud,
                    const std::map<const BuyingModel*, double>& cloud_tps) {
  Table t{"verdict", "Verdict (estimates; bands are 80% of measured runs)", {}, {}};
  t.columns = {{"verdict", "In short", "", Align::kLeft}};
  auto usable = [&](const Pairing& c) { return c.runs && c.p.decode.tok_per_s >= o.min_tps; };
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
  const Pairing* largest = nullptr;
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
      largest->model->spec.id, largest->hw->id, largest->p.decode.tok_per_s,
      band_text(largest->p.decode, "no band"), usd(*largest->hw->price_usd))});
  const Pairing* value = nullptr;
  auto per_tco = [&](const Pairing& c) { return tok_per_s_per_tco_usd(c, terms); };
  for (const auto& c : cells) {
    if (c.model == largest->model && usable(c) &&
        (value == nullptr || per_tco(c) > per_tco(*value)))
      value = &c;
  }
  const double cloud_speed = cloud_tps.at(largest->model);
  const double months = std::isfinite(cloud_speed)
                            ? token_matched_breakeven_months(*value->hw, terms,
                                                             value->p.decode.tok_per_s, cloud_speed)
                            : std::nan("");
  const std::string payoff =
      std::isnan(months)
          ? fmt::format("{} cannot hold it, so no token-matched break-even", cloud.id)
      : std::isinf(months)
          ? fmt::format("renting {} for the same tokens stays cheaper", cloud.id)
          : fmt::format(
                "against renting {} at ${:g}/h for the same tokens it pays off after "
                "{:.0f} months",
                cloud.id, o.ownership.cloud_usd_per_hour, months);
  t.rows.push_back({fmt::format(
      "Best value for it over {:g} years: {} ({:.2f} tok/s per $1000 of price and electricity); "
      "{}.",
      o.ownership.years, value->hw->id, 1000 * per_tco(*value), payoff)});
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

// One recommendation: the need, the pick (none: empty cells and the reason why), its decode speed
// with the 80% band, its price and the reason.
std::vector<Cell> recommendation_row(const std::string& need, const Pairing* pick,
                                     const planner::SpeedPrediction& decode,
                                     const std::string& reason) {
  if (pick == nullptr) return {need, Cell{}, Cell{}, Cell{}, Cell{}, Cell{}, reason};
  return {need,
          pick->hw->id,
          pick->model->spec.id,
          decode.tok_per_s,
          band_text(decode, "-"),
          *pick->hw->price_usd,
          reason};
}

// Depth of the long-document use: a 32K-token conversation or document before the prompt.
constexpr int64_t kLongDocumentDepth = 32768;
// Users of the several-users use: sequences decoding at once (llama-server -np).
constexpr int64_t kSeveralUsers = 4;

// The same model and machine as `c` with another workload and prompt depth (nullopt where that
// does not fit).
std::optional<planner::Prediction> predict_variant(const Pairing& c, const planner::Workload& w,
                                                   const planner::PredictOptions& popt,
                                                   const planner::ProfileDb& db,
                                                   const std::optional<planner::LlamaArgs>& args,
                                                   const planner::EngineFactors* engine) {
  const auto& spec = c.model->spec;
  try {
    const auto chosen = planner::choose_plan(spec, c.model->weights, *c.hw, w, popt,
                                             args ? &*args : nullptr, db.quants);
    auto p = run_by(*c.model, w, chosen, popt, db, engine);
    if (p.fit.kind == planner::FitKind::kNoFit || !std::isfinite(p.decode.tok_per_s))
      return std::nullopt;
    return p;
  } catch (const Error&) {
    return std::nullopt;  // e.g. the depth is beyond this model's context
  }
}

// What a several-users figure rests on for the engine that runs it.
std::string batching_basis(const std::string& engine, const planner::ProfileDb& db) {
  if (engine.empty() || engine == "llama.cpp")
    return "llama.cpp's efficiencies: the batch's products as one GEMM where that is faster";
  const auto& e = planner::find_engine(db.efficiency.engines, engine);
  if (e.batch_flop_fraction > 0)
    return fmt::format("{}'s batching as its published runs at several users show", e.name);
  return fmt::format(
      "{}'s single-stream factor on llama.cpp's batching (no published runs of "
      "it at several users)",
      e.name);
}

// Recommendations by what the machine is for, each for the largest model some machine runs at
// --min-tps: chat (the cheapest machine at that speed), long documents (the shortest time to
// first token at 32K tokens of depth), capacity (the cheapest machine that holds the largest
// model at any speed) and several users (the most tokens per second over 4 sequences).
void add_use_recommendations(Table& rec, const std::vector<Pairing>& cells,
                             const std::vector<BuyingModel>& models, const planner::ProfileDb& db,
                             const planner::PredictOptions& popt,
                             const std::optional<planner::LlamaArgs>& args, const BuyingTerms& o) {
  const auto* engine = engine_of_terms(o, db);
  auto params = [](const BuyingModel* m) { return planner::total_params(m->weights); };
  const BuyingModel* target = nullptr;
  const BuyingModel* biggest = nullptr;
  for (const auto& c : cells) {
    if (!c.runs) continue;
    if (biggest == nullptr || params(c.model) > params(biggest)) biggest = c.model;
    if (c.p.decode.tok_per_s >= o.min_tps &&
        (target == nullptr || params(c.model) > params(target)))
      target = c.model;
  }
  auto row = [&](const std::string& need, const Pairing* c, const planner::SpeedPrediction& decode,
                 const std::string& reason) {
    rec.rows.push_back(recommendation_row(need, c, decode, reason));
  };
  if (target == nullptr) {
    row("chat", nullptr, {},
        fmt::format("no machine in scope runs any of the {} models at {:g} tok/s", models.size(),
                    o.min_tps));
    return;
  }
  const Pairing* chat = nullptr;
  for (const auto& c : cells) {
    if (c.model == target && c.runs && c.p.decode.tok_per_s >= o.min_tps &&
        (chat == nullptr || *c.hw->price_usd < *chat->hw->price_usd))
      chat = &c;
  }
  row(fmt::format("chat: {} at >= {:g} tok/s, {} tokens of context", target->spec.id, o.min_tps,
                  o.context_tokens),
      chat, chat->p.decode,
      fmt::format("the cheapest that fast ({} of the prediction); {}",
                  band_text(chat->p.decode, "no band"), chat->p.reason));
  // Long documents: the prompt after kLongDocumentDepth tokens, with a cache that holds them all.
  const int64_t depth =
      std::min<int64_t>(kLongDocumentDepth, target->spec.max_context - o.prompt_tokens);
  const Pairing* doc = nullptr;
  double best_ttft = std::numeric_limits<double>::infinity();
  planner::Prediction doc_p;
  for (const auto& c : cells) {
    if (c.model != target || !c.runs || depth <= 0) continue;
    planner::Workload w = c.model->workload;
    w.context_tokens = depth + o.prompt_tokens;
    planner::PredictOptions deep = popt;
    deep.depth_tokens = depth;
    const auto p = predict_variant(c, w, deep, db, args, engine);
    if (p && p->ttft_seconds < best_ttft) {
      best_ttft = p->ttft_seconds;
      doc = &c;
      doc_p = *p;
    }
  }
  row(fmt::format("long documents: {}-token prompt after {} tokens", o.prompt_tokens, depth), doc,
      doc_p.decode,
      doc == nullptr ? "no machine holds a cache that long for this model"
                     : fmt::format("first token after {:.1f} s ({} prefill band); decode {:.1f} "
                                   "tok/s at that depth",
                                   doc_p.ttft_seconds, band_text(doc_p.prefill, "no"),
                                   doc_p.decode.tok_per_s));
  // Capacity: the largest model any machine holds, at any speed.
  const Pairing* holds = nullptr;
  for (const auto& c : cells) {
    if (c.model == biggest && c.runs &&
        (holds == nullptr || *c.hw->price_usd < *holds->hw->price_usd))
      holds = &c;
  }
  row(fmt::format("capacity: the largest model ({})", biggest->spec.id), holds, holds->p.decode,
      fmt::format("the cheapest machine that holds it ({}), at {:.1f} tok/s",
                  planner::fit_kind_label(holds->p.fit.kind), holds->p.decode.tok_per_s));
  // Several users: aggregate decode of kSeveralUsers sequences, each with its own cache.
  const Pairing* users = nullptr;
  planner::Prediction users_p;
  for (const auto& c : cells) {
    if (c.model != target || !c.runs) continue;
    planner::Workload w = c.model->workload;
    w.batch = kSeveralUsers;
    const auto p = predict_variant(c, w, popt, db, args, engine);
    if (p && (users == nullptr || p->decode.tok_per_s > users_p.decode.tok_per_s)) {
      users = &c;
      users_p = *p;
    }
  }
  row(fmt::format("{} users of {} at once", kSeveralUsers, target->spec.id), users, users_p.decode,
      users == nullptr ? "no machine holds the caches of that many users"
                       : fmt::format("{:.1f} tok/s over {} sequences ({:.1f} each; {})",
                                     users_p.decode.tok_per_s, kSeveralUsers,
                                     users_p.decode.tok_per_s / kSeveralUsers,
                                     batching_basis(users_p.engine, db)));
}

using CloudSpeeds = std::map<const BuyingModel*, double>;

// The cloud GPU's own decode speed per model, for the token-matched break-even (NaN: it does not
// hold the model).
CloudSpeeds cloud_speeds(const BuyingQuestion& q, const planner::ProfileDb& db,
                         const planner::PredictOptions& popt) {
  CloudSpeeds speeds;
  const auto* args = q.llama_args ? &*q.llama_args : nullptr;
  // The cloud GPU runs the report's engine where it can, llama.cpp otherwise.
  const auto* engine = engine_of_terms(q.terms, db);
  if (!engine_runs_on(engine, q.cloud)) engine = nullptr;
  for (const auto& m : q.models) {
    const auto chosen =
        planner::choose_plan(m.spec, m.weights, q.cloud, m.workload, popt, args, db.quants);
    const auto p = run_by(m, m.workload, chosen, popt, db, engine);
    speeds[&m] = p.fit.kind == planner::FitKind::kGpu ? p.decode.tok_per_s : std::nan("");
  }
  return speeds;
}

// Every model on every machine: the same plan fit and predict show for that model, machine and
// command line. The plans' notes go to `notes`.
std::vector<Pairing> pair_all(const BuyingQuestion& q,
                              const std::vector<const planner::HardwareSpec*>& machines,
                              const planner::ProfileDb& db, const planner::PredictOptions& popt,
                              std::vector<std::string>& notes) {
  std::vector<Pairing> cells;
  const auto* args = q.llama_args ? &*q.llama_args : nullptr;
  const auto* engine = engine_of_terms(q.terms, db);
  for (const auto* h : machines) {
    for (const auto& m : q.models) {
      const auto chosen =
          planner::choose_plan(m.spec, m.weights, *h, m.workload, popt, args, db.quants);
      for (const auto& n : chosen.notes)
        notes.push_back(fmt::format("{} on {}: {}.", m.spec.id, h->id, n));
      Pairing c{h, &m, run_by(m, m.workload, chosen, popt, db, engine)};
      c.runs = c.p.fit.kind != planner::FitKind::kNoFit && std::isfinite(c.p.decode.tok_per_s) &&
               c.p.decode.tok_per_s > 0;
      cells.push_back(std::move(c));
    }
  }
  return cells;
}

Table machines_table(const std::vector<const planner::HardwareSpec*>& machines,
                     const BuyingTerms& o) {
  const OwnershipTerms& terms = o.ownership;
  Table mt{"machines", "Machines in scope", {}, {}};
  mt.columns = {
      {"hardware", "Hardware", "", Align::kLeft},
      {"price_usd", "Price", "USD", Align::kRight, 0},
      {"usable_gib", "Usable", "GiB", Align::kRight, 1},
      {"usd_per_gib", "$/GiB", "USD", Align::kRight, 1},
      {"power_load_w", "Load power", "W", Align::kRight, 0},
      {"energy_usd_per_year", "Energy/year", "USD", Align::kRight, 0},
      {"tco_usd", fmt::format("Cost over {:g} years", o.ownership.years), "USD", Align::kRight, 0},
      {"breakeven_months", "Cloud break-even", "months", Align::kRight, 1},
      {"price_date", "Price date", "", Align::kLeft},
      {"price_includes", "What the price includes", "", Align::kLeft}};
  for (const auto* h : machines) {
    const auto e = economics_of(*h, terms);
    mt.rows.push_back({hardware_label(*h), *h->price_usd, usable_gpu_gib(*h),
                       *h->price_usd / usable_gpu_gib(*h), h->power_load_w, e.energy_usd_per_year,
                       e.tco_usd,
                       std::isfinite(e.breakeven_months) ? Cell{e.breakeven_months} : Cell{},
                       h->price_date, price_includes(*h)});
  }
  return mt;
}

Table models_table(const std::vector<Pairing>& cells, const BuyingTerms& o,
                   const planner::HardwareSpec& cloud, const CloudSpeeds& cloud_tps) {
  const OwnershipTerms& terms = o.ownership;
  Table rt{"models",
           fmt::format("Models at {} with {} tokens of context", o.quant, o.context_tokens),
           {},
           {}};
  rt.columns = {
      {"model", "Model", "", Align::kLeft},
      {"hardware", "Hardware", "", Align::kLeft},
      {"fit", "Fit", "", Align::kLeft},
      {"decode_tok_per_s", "Decode", "tok/s", Align::kRight, 1},
      {"decode_band", "80% band", "", Align::kRight},
      {"prefill_tok_per_s", "Prefill", "tok/s", Align::kRight, 0},
      {"prefill_band", "80% band", "", Align::kRight},
      {"ttft_seconds", fmt::format("TTFT ({} tokens)", o.prompt_tokens), "s", Align::kRight, 2},
      {"tco_usd_per_tok_per_s", fmt::format("Cost over {:g} y per tok/s", o.ownership.years), "USD",
       Align::kRight, 0},
      {"energy_usd_per_million_tokens", "Energy per 1M tokens", "USD", Align::kRight, 2},
      {"token_breakeven_months", fmt::format("Break-even vs {} (same tokens)", cloud.id), "months",
       Align::kRight, 1},
      {"reason", "Why", "", Align::kLeft}};
  for (const auto& c : cells) {
    const double tps = c.runs ? c.p.decode.tok_per_s : 0;
    const auto e = economics_of(*c.hw, terms);
    const double energy = energy_usd_per_million_tokens(*c.hw, terms, tps);
    const double cloud_speed = cloud_tps.at(c.model);
    rt.rows.push_back(
        {c.model->spec.id, hardware_label(*c.hw),
         std::string(planner::fit_kind_label(c.p.fit.kind)), c.runs ? Cell{tps} : Cell{},
         c.runs ? Cell{band_text(c.p.decode)} : Cell{},
         c.runs ? Cell{c.p.prefill.tok_per_s} : Cell{},
         c.runs ? Cell{band_text(c.p.prefill)} : Cell{}, c.runs ? Cell{c.p.ttft_seconds} : Cell{},
         c.runs ? Cell{e.tco_usd / tps} : Cell{},
         c.runs && std::isfinite(energy) ? Cell{energy} : Cell{},
         c.runs && std::isfinite(cloud_speed)
             ? months_cell(token_matched_breakeven_months(*c.hw, terms, tps, cloud_speed))
             : Cell{},
         why(c)});
  }
  return rt;
}

Table recommendations_table(const std::vector<Pairing>& cells,
                            const std::vector<const planner::HardwareSpec*>& machines,
                            const std::vector<BuyingModel>& models, const planner::ProfileDb& db,
                            const planner::PredictOptions& popt,
                            const std::optional<planner::LlamaArgs>& llama_args,
                            const BuyingTerms& o) {
  const OwnershipTerms& terms = o.ownership;
  Table rec{"recommendations", "Recommendations", {}, {}};
  rec.columns = {{"need", "Need", "", Align::kLeft},
                 {"hardware", "Pick", "", Align::kLeft},
                 {"model", "Model", "", Align::kLeft},
                 {"decode_tok_per_s", "Decode", "tok/s", Align::kRight, 1},
                 {"decode_band", "80% band", "", Align::kRight},
                 {"price_usd", "Price", "USD", Align::kRight, 0},
                 {"reason", "Why", "", Align::kLeft}};
  auto params_of = [](const Pairing& c) { return planner::total_params(c.model->weights); };
  std::vector<double> tiers = {2000, 4000, 10000, std::numeric_limits<double>::infinity()};
  for (double tier : tiers) {
    if (o.budget_usd > 0 && tier > o.budget_usd && !std::isinf(tier)) continue;
    const Pairing* best = nullptr;
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
      rec.rows.push_back(recommendation_row(
          need, nullptr, {},
          any_in_tier ? fmt::format("no machine up to {} runs any of the models at {:g} tok/s",
                                    usd(tier), o.min_tps)
                      : fmt::format("no machine in scope costs {} or less", usd(tier))));
    } else {
      rec.rows.push_back(recommendation_row(need, best, best->p.decode, why(*best)));
    }
  }
  for (const auto& m : models) {
    const Pairing* fastest = nullptr;
    const Pairing* value = nullptr;
    auto per_tco = [&](const Pairing& c) { return tok_per_s_per_tco_usd(c, terms); };
    for (const auto& c : cells) {
      if (c.model != &m || !c.runs) continue;
      if (fastest == nullptr || c.p.decode.tok_per_s > fastest->p.decode.tok_per_s) fastest = &c;
      if (value == nullptr || per_tco(c) > per_tco(*value)) value = &c;
    }
    if (fastest == nullptr) continue;
    rec.rows.push_back(recommendation_row(fmt::format("fastest for {}", m.spec.id), fastest,
                                          fastest->p.decode, why(*fastest)));
    rec.rows.push_back(recommendation_row(
        fmt::format("best value for {}", m.spec.id), value, value->p.decode,
        fmt::format(
            "{:.2f} tok/s per $1000 of cost over {:g} years ({}: price and electricity); {}",
            1000 * per_tco(*value), o.ownership.years, usd(economics_of(*value->hw, terms).tco_usd),
            why(*value))));
  }
  add_use_recommendations(rec, cells, models, db, popt, llama_args, o);
  return rec;
}

// Models in the order of their total parameters: the charts' categories.
std::vector<const BuyingModel*> by_size(const std::vector<BuyingModel>& models) {
  std::vector<const BuyingModel*> order;
  order.reserve(models.size());
  for (const auto& m : models) order.push_back(&m);
  std::stable_sort(order.begin(), order.end(), [](const BuyingModel* a, const BuyingModel* b) {
    return planner::total_params(a->weights) < planner::total_params(b->weights);
  });
  return order;
}

// A chart with one category per model (smallest first) and one series per machine: `value` of
// each pairing that runs, with its 80% band (the decode band, which a value proportional to the
// speed shares).
Chart per_model_chart(std::string key, std::string title, std::string y_title,
                      const std::vector<Pairing>& cells,
                      const std::vector<const planner::HardwareSpec*>& machines,
                      const std::vector<BuyingModel>& models,
                      const std::function<double(const Pairing&)>& value) {
  Chart chart;
  chart.key = std::move(key);
  chart.title = std::move(title);
  chart.x_title = "Model (smallest first)";
  chart.y_title = std::move(y_title);
  chart.kind = Chart::Kind::kCategories;
  chart.log_y = true;
  const auto order = by_size(models);
  for (const auto* m : order) chart.categories.push_back(m->spec.id);
  for (const auto* h : machines) {
    ChartSeries s;
    s.name = hardware_label(*h);
    for (size_t slot = 0; slot < order.size(); ++slot) {
      for (const auto& c : cells) {
        if (c.hw != h || c.model != order[slot] || !c.runs) continue;
        const double v = value(c);
        const double band = c.p.decode.error_band_fraction;
        s.x.push_back(static_cast<double>(slot));
        s.y.push_back(v);
        s.labels.push_back(fmt::format("{} on {}", c.model->spec.id, h->id));
        s.y_lo.push_back(band > 0 ? v * std::max(0.0, 1 - band) : std::nan(""));
        s.y_hi.push_back(band > 0 ? v * (1 + band) : std::nan(""));
      }
    }
    chart.series.push_back(std::move(s));
  }
  return chart;
}

std::vector<Chart> charts(const std::vector<Pairing>& cells,
                          const std::vector<const planner::HardwareSpec*>& machines,
                          const std::vector<BuyingModel>& models, const BuyingTerms& o) {
  Chart speed = per_model_chart("decode_per_model", "Decode speed per model and machine",
                                "Decode (tok/s)", cells, machines, models,
                                [](const Pairing& c) { return c.p.decode.tok_per_s; });
  Chart price;
  price.key = "price_vs_memory";
  price.title = "Price against usable GPU memory (Pareto front outlined)";
  price.x_title = "Usable memory (GiB)";
  price.y_title = "Price (USD)";
  price.highlight = pareto_front(machines);
  for (const auto* h : machines)
    price.series.push_back(
        {hardware_label(*h), {usable_gpu_gib(*h)}, {*h->price_usd}, {h->id}, {}, {}});
  Chart value = per_model_chart(
      "tok_per_dollar",
      fmt::format("Decode tok/s per $1000 of cost over {:g} years", o.ownership.years),
      "tok/s per $1000 of cost", cells, machines, models,
      [&](const Pairing& c) { return 1000 * tok_per_s_per_tco_usd(c, o.ownership); });
  return {speed, price, value};
}

std::vector<std::string> assumption_notes(const std::vector<const planner::HardwareSpec*>& machines,
                                          const planner::HardwareSpec& cloud,
                                          const planner::ProfileDb& db, const BuyingTerms& o) {
  std::vector<std::string> notes;
  std::string price_dates;
  for (const auto* h : machines)
    price_dates += fmt::format("{}{} {}", price_dates.empty() ? "" : ", ", h->id, h->price_date);
  notes.push_back(
      fmt::format("Assumptions: {} weights, {} tokens of context, {}-token prompts for TTFT; "
                  "electricity ${:g}/kWh, {:g} h/day at load power and the rest idle; ownership "
                  "over {:g} years; the cloud GPU ({}) at ${:g}/hour. Break-even = price / (rent "
                  "saved per month - electricity per month), rent saved = ${:g} x {:g} h x 365/12 "
                  "for the same hours, times own tok/s / {} tok/s for the same tokens. Speeds "
                  "are hwplan predict's (llama.cpp efficiencies fitted to {}).",
                  o.quant, o.context_tokens, o.prompt_tokens, o.ownership.electricity_usd_per_kwh,
                  o.ownership.hours_per_day, o.ownership.years, cloud.id,
                  o.ownership.cloud_usd_per_hour, o.ownership.cloud_usd_per_hour,
                  o.ownership.hours_per_day, cloud.id, db.efficiency.fitted_from));
  if (o.engine == "all") {
    notes.emplace_back(
        "Engine: on each machine the fastest of llama.cpp and the engines that run there, load "
        "the weights and have at least 5 published runs behind their factor (llama.cpp's "
        "prediction on the same plan times the engine's published speed over llama.cpp); each "
        "row's Why names it. The cloud GPU likewise. `hwplan predict --engine all` lists them "
        "all.");
  } else if (const auto* engine = engine_of_terms(o, db)) {
    notes.push_back(fmt::format(
        "Engine: {} on every machine: llama.cpp's prediction on the same plan times {}'s median "
        "published speed over llama.cpp ({:.2f}x decode from {} pairs, {:.2f}x prefill from {}); "
        "memory is llama.cpp's plan. The cloud GPU runs {} where it can, llama.cpp otherwise.",
        engine->name, engine->name, engine->decode_ratio, engine->decode_pairs,
        engine->prefill_ratio, engine->prefill_pairs, engine->name));
  }
  notes.push_back("Prices as dated in the profiles: " + price_dates + ".");
  return notes;
}

}  // namespace

void set_price(planner::HardwareSpec& machine, double usd) {
  machine.price_usd = usd;
  machine.price_date = "set with --price";
  machine.price_parts = {{"as given with --price", usd, ""}};
}

std::vector<const planner::HardwareSpec*> machines_in_scope(
    const std::vector<planner::HardwareSpec>& machines, double budget_usd,
    std::vector<std::string>& notes, const planner::EngineFactors* engine) {
  std::vector<const planner::HardwareSpec*> in_scope;
  for (const auto& h : machines) {
    if (!engine_runs_on(engine, h)) {
      notes.push_back(fmt::format("{}: left out ({} does not run on its {} backend).", h.id,
                                  engine->name, planner::backend_name(h.backend)));
    } else if (!h.price_usd) {
      notes.push_back(fmt::format("{}: left out (no price in its profile).", h.id));
    } else if (budget_usd > 0 && *h.price_usd > budget_usd) {
      notes.push_back(fmt::format("{}: left out ({} is over the {} budget).", h.id,
                                  usd(*h.price_usd), usd(budget_usd)));
    } else {
      in_scope.push_back(&h);
    }
  }
  if (in_scope.empty()) throw_input("report: no machine with a price within the budget");
  return in_scope;
}

void add_buying_report(const BuyingQuestion& q, const planner::ProfileDb& db, Report& report) {
  const auto machines =
      machines_in_scope(q.machines, q.terms.budget_usd, report.notes, engine_of_terms(q.terms, db));
  planner::PredictOptions popt;
  popt.prompt_tokens = q.terms.prompt_tokens;
  const auto cloud_tps = cloud_speeds(q, db, popt);
  const auto cells = pair_all(q, machines, db, popt, report.notes);
  report.tables.push_back(
      verdict_table(cells, machines, q.models, q.terms.ownership, q.terms, q.cloud, cloud_tps));
  report.tables.push_back(machines_table(machines, q.terms));
  report.tables.push_back(models_table(cells, q.terms, q.cloud, cloud_tps));
  report.tables.push_back(
      recommendations_table(cells, machines, q.models, db, popt, q.llama_args, q.terms));
  report.charts = charts(cells, machines, q.models, q.terms);
  for (auto& n : assumption_notes(machines, q.cloud, db, q.terms))
    report.notes.push_back(std::move(n));
}

}  // namespace hwplan::reports
