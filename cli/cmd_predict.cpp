#include "cmd_predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/json_util.h"
#include "common/units.h"
#include "hardware_source.h"
#include "plan_output.h"
#include "planner/engines.h"
#include "planner/predict.h"

namespace hwplan::cli {
namespace {

using reports::Align;
using reports::Cell;
using reports::Table;

planner::OffloadMode parse_offload(const std::string& text) {
  if (text == "auto") return planner::OffloadMode::kAuto;
  if (text == "cpu") return planner::OffloadMode::kCpu;
  if (text == "stream") return planner::OffloadMode::kStream;
  if (text == "none") return planner::OffloadMode::kNone;
  throw_usage("--offload: '{}' is not one of auto, cpu, stream, none", text);
}

struct Row {
  const PlannedModel* model = nullptr;
  planner::HardwareSpec hardware;
  planner::ChosenPlan chosen;
  planner::Prediction prediction;
  std::string command;      ///< the llama-server command that runs the plan ("" if none)
  std::string command_why;  ///< why it pins what it pins, or why there is none
};

Cell number_or_empty(double value) { return std::isfinite(value) ? Cell{value} : Cell{}; }

// `row` run by `engine` (planner::predict_with_engine: vLLM on several GPUs is tensor parallel).
planner::Prediction run_by_engine(const Row& row, const planner::EngineFactors& engine,
                                  const planner::ProfileDb& db,
                                  const planner::PredictOptions& options) {
  const auto& p = *row.model;
  return planner::predict_with_engine(p.source.spec, p.weights, p.workload, row.chosen,
                                      row.prediction, options, engine, db.quants, db.efficiency);
}

// The prediction of `row` for a named engine other than llama.cpp (Error{kInput} for one that
// does not exist or cannot run on the row's machine).
planner::Prediction engine_prediction(const Row& row, const std::string& name,
                                      const planner::ProfileDb& db,
                                      const planner::PredictOptions& options) {
  const auto& engine = planner::find_engine(db.efficiency.engines, name);
  planner::check_engine_runs_on(engine, row.chosen.machine);
  return run_by_engine(row, engine, db, options);
}

Table prediction_table(const std::vector<Row>& rows) {
  Table t{"predict", "Predicted speed", {}, {}};
  bool concurrent = false;
  for (const auto& r : rows) concurrent = concurrent || r.prediction.plan.workload.batch > 1;
  t.columns = {{"model", "Model", "", Align::kLeft},
               {"quant", "Quant", "", Align::kLeft},
               {"engine", "Engine", "", Align::kLeft},
               {"hardware", "Hardware", "", Align::kLeft},
               {"fit", "Fit", "", Align::kLeft},
               {"decode_tok_per_s", "Decode", "tok/s", Align::kRight, 1},
               {"decode_band", "80% band", "", Align::kRight},
               {"prefill_tok_per_s", "Prefill", "tok/s", Align::kRight, 0},
               {"prefill_band", "80% band", "", Align::kRight},
               {"ttft_seconds", "TTFT", "s", Align::kRight, 2},
               {"bound", "Bound", "", Align::kLeft},
               {"bytes_per_token_gb", "Read/token", "GB", Align::kRight, 2},
               {"host_bytes_per_token_gb", "From host", "GB", Align::kRight, 2}};
  if (concurrent) {
    // Several users at once: the decode column is their sum; each sees its share, and the last
    // of the prompts arriving together waits for all of them.
    t.columns[5].title = "Aggregate";
    t.columns.insert(t.columns.begin() + 6,
                     {"per_user_tok_per_s", "Per user", "tok/s", Align::kRight, 1});
    t.columns.insert(t.columns.begin() + 11,
                     {"ttft_all_seconds", "TTFT all", "s", Align::kRight, 2});
  }
  for (const auto& r : rows) {
    const auto& p = r.prediction;
    const bool fits = p.fit.kind != planner::FitKind::kNoFit;
    const double bytes = p.decode.read_bytes;
    std::vector<Cell> cells = {
        r.model->source.spec.id,
        r.model->quant_name,
        p.engine,
        hardware_label(r.chosen.machine),
        std::string(planner::fit_kind_name(p.fit.kind)),
        number_or_empty(p.decode.tok_per_s),
        band_text(p.decode),
        number_or_empty(p.prefill.tok_per_s),
        band_text(p.prefill),
        number_or_empty(p.ttft_seconds),
        fits ? Cell{std::string(planner::bound_name(p.decode.bound))} : Cell{},
        fits ? Cell{bytes_to_gb(bytes / static_cast<double>(p.decode_cost.batch))} : Cell{},
        fits
            ? Cell{bytes_to_gb(p.decode_cost.host_bytes / static_cast<double>(p.decode_cost.batch))}
            : Cell{}};
    if (concurrent) {  // at the columns inserted above
      cells.insert(cells.begin() + 6, number_or_empty(planner::per_sequence_tok_per_s(p)));
      cells.insert(cells.begin() + 11, number_or_empty(p.ttft_all_seconds));
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

nlohmann::json terms_json(const planner::SpeedPrediction& s) {
  nlohmann::json terms = nlohmann::json::array();
  for (const auto& term : s.terms) {
    terms.push_back({{"placement", term.placement},
                     {"bytes", term.bytes},
                     {"flop", term.flop},
                     {"rate_per_s", term.bytes_per_s},
                     {"seconds", term.seconds},
                     {"bound", planner::bound_name(term.bound)}});
  }
  return {{"terms", terms},
          {"overhead_seconds", s.overhead_seconds},
          {"seconds", json_number(s.seconds)},
          {"tok_per_s", json_number(s.tok_per_s)},
          {"bound", planner::bound_name(s.bound)},
          {"error_band_fraction", s.error_band_fraction}};
}

// Decode's terms plus the seconds of the step the cached tokens cost (an engine's cache factor
// applies to them).
nlohmann::json decode_json(const planner::SpeedPrediction& s) {
  auto json = terms_json(s);
  json["cache_seconds"] = s.cache_seconds;
  return json;
}

nlohmann::json row_json(const Row& r) {
  const auto& p = r.prediction;
  const auto& e = p.efficiency;
  return {
      {"model", r.model->source.spec.id},
      {"quant", r.model->quant_name},
      {"engine", p.engine},
      {"hardware", r.chosen.machine.id},
      {"hardware_status", r.chosen.machine.status},
      {"nodes", r.chosen.plan.nodes},
      {"fit", planner::fit_kind_name(p.fit.kind)},
      {"plan", plan_json(r.chosen, r.model->source.spec)},
      {"llama_command", r.command.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.command)},
      {"llama_command_note", r.command_why},
      {"decode_tok_per_s", json_number(p.decode.tok_per_s)},
      {"prefill_tok_per_s", json_number(p.prefill.tok_per_s)},
      {"ttft_seconds", json_number(p.ttft_seconds)},
      {"concurrency", r.chosen.plan.workload.batch},
      {"per_user_tok_per_s", json_number(planner::per_sequence_tok_per_s(p))},
      {"ttft_all_seconds", json_number(p.ttft_all_seconds)},
      {"ttft_all_prompts", p.ttft_all_prompts},
      {"bound", planner::bound_name(p.decode.bound)},
      {"reason", p.reason},
      {"error_band",
       {{"placement", p.placement},
        {"decode_fraction", p.band.decode},
        {"decode_rows", p.band.decode_rows},
        {"prefill_fraction", p.band.prefill},
        {"prefill_rows", p.band.prefill_rows},
        {"note", p.band.note}}},
      {"decode", decode_json(p.decode)},
      {"prefill", terms_json(p.prefill)},
      {"decode_cost",
       {{"gpu_bytes", p.decode_cost.gpu_bytes},
        {"host_bytes", p.decode_cost.host_bytes},
        {"streamed_bytes", p.decode_cost.streamed_bytes},
        {"kv_bytes", p.decode_cost.kv_gpu_bytes + p.decode_cost.kv_host_bytes},
        {"cache_reread_bytes", p.decode.cache_reread_bytes},
        {"read_bytes", p.decode.read_bytes},
        {"gpu_flop", p.decode_cost.gpu_flop},
        {"gpu_layers", p.decode_cost.gpu_layers},
        {"communication_seconds", p.decode_cost.comm_seconds}}},
      {"efficiency",
       {{"backend", e.backend},
        {"memory_class", e.memory_class},
        {"bandwidth_fraction", e.bandwidth_fraction},
        {"compute_fraction", e.compute_fraction},
        {"decode_rows", e.decode_rows},
        {"fallback", p.efficiency_note}}}};
}

std::string row_note(const Row& r) {
  const auto& p = r.prediction;
  if (p.fit.kind == planner::FitKind::kNoFit) {
    return fmt::format("{} {} on {}: {}.", r.model->source.spec.id, r.model->quant_name,
                       hardware_label(r.chosen.machine), p.reason);
  }
  std::string note =
      fmt::format("{} {} on {}: {:.1f} tok/s", r.model->source.spec.id, r.model->quant_name,
                  hardware_label(r.chosen.machine), p.decode.tok_per_s);
  if (p.engine != "llama.cpp" && p.decode.error_band_fraction > 0) {
    note += fmt::format(" (+-{:.0f}%: llama.cpp's band here plus the spread of {}'s runs)",
                        100 * p.decode.error_band_fraction, p.engine);
  } else if (p.decode.error_band_fraction > 0 && p.band.decode_rows >= planner::kMinBandRows) {
    // The decode band is its class's own; a note here can only be about the prefill band.
    note += fmt::format(
        " (80% of the {} measured {} runs within +-{:.0f}% of the model)", p.band.decode_rows,
        planner::band_class_words(p.placement, p.efficiency.backend, p.efficiency.memory_class),
        100 * p.decode.error_band_fraction);
    if (!p.band.note.empty()) note += fmt::format("; {}", p.band.note);
  } else if (p.decode.error_band_fraction > 0) {
    note += fmt::format(" (+-{:.0f}%: {})", 100 * p.decode.error_band_fraction, p.band.note);
  }
  // The prediction's own plan: an engine may run fewer sequences at once (vLLM's queue).
  const int64_t users = p.plan.workload.batch;
  if (users > 1) {
    note += fmt::format("; {} users at once: {:.1f} tok/s each, {:.1f} together", users,
                        planner::per_sequence_tok_per_s(p), p.decode.tok_per_s);
  }
  // Where some prompts wait for a sequence to finish there is no last first token to give.
  if (p.ttft_all_prompts > 1 && std::isfinite(p.ttft_all_seconds)) {
    note += fmt::format(
        "; {} prompts arriving together are prefilled as one batch, the last first token after "
        "{:.2f} s",
        p.ttft_all_prompts, p.ttft_all_seconds);
  }
  note += fmt::format("; {}", p.reason);
  if (!p.efficiency_note.empty()) note += fmt::format("; {}", p.efficiency_note);
  note += fmt::format(". Plan: {}",
                      planner::describe_plan(p.plan, r.model->source.spec, r.chosen.machine));
  if (!r.command.empty()) note += fmt::format(". Run: {}", r.command);
  for (const auto& n : r.chosen.notes) note += fmt::format(". {}", n);
  return note + ".";
}

}  // namespace

CommandResult run_predict(const GlobalOptions& global, const PredictCliOptions& options) {
  if (options.models.empty())
    throw_usage("predict: --model is required (try `hwplan list models`)");
  planner::PredictOptions predict_options;
  predict_options.prompt_tokens = options.prompt_tokens;
  predict_options.depth_tokens = options.depth_tokens;
  predict_options.offload = parse_offload(options.offload);
  predict_options.split = parse_split(options.split);
  predict_options.nodes = options.nodes;
  predict_options.link = options.link;
  planner::find_link(options.link);  // reject unknown links before any work

  const auto db = load_profiles(global);
  CommandResult result;
  auto& report = result.report;
  report.context = make_context(global);
  std::vector<PlannedModel> models;
  for (const auto& name : options.models) {
    for (const auto& quant : options.quants) {
      ModelRequest request = options.request;
      request.quant = quant;
      // A conversation's history: the cache holds it and the prompt, and decode continues there.
      if (options.depth_tokens > 0)
        request.default_context = options.depth_tokens + options.prompt_tokens;
      models.push_back(plan_model(db, name, request, report.notes));
    }
  }
  auto machines =
      resolve_hardware(db, options.hw, options.hw_specs, options.gpus, report.context.warnings);
  if (!options.backend.empty()) {
    const auto& backends = planner::backend_names();
    if (std::find(backends.begin(), backends.end(), options.backend) == backends.end()) {
      throw_usage("--backend: '{}' is not one of {}", options.backend, fmt::join(backends, ", "));
    }
    for (auto& machine : machines) machine.backend = planner::backend_from_name(options.backend);
  }
  const auto llama_args = parse_llama_args_option(options.llama_args);
  std::vector<Row> rows;
  for (const auto& p : models) {
    for (const auto& hw : machines) {
      Row r;
      r.model = &p;
      r.hardware = hw;
      r.chosen = planner::choose_plan(p.source.spec, p.weights, hw, p.workload, predict_options,
                                      llama_args ? &*llama_args : nullptr, db.quants);
      r.prediction =
          planner::predict_chosen(p.source.spec, r.chosen, predict_options, db.efficiency);
      r.command = llama_command_for(r.chosen, p.source, llama_args, &r.command_why);
      // Other engines: llama.cpp's physics times each engine's published ratio.
      const bool all = options.engine == "all";
      const std::string ik = planner::ik_only_type(p.weights);
      if (!all)
        planner::check_engine_loads(options.engine, p.format_family, p.weights, p.quant_name,
                                    p.gguf_counterpart);
      if (all || options.engine != "llama.cpp") {
        const Row llama = r;
        const auto rows_before = rows.size();
        if (!all) {
          r.prediction = engine_prediction(llama, options.engine, db, predict_options);
          // ik_llama.cpp's llama-server takes llama.cpp's flags; the other engines have their own.
          if (options.engine != "ik_llama.cpp") {
            r.command.clear();
            r.command_why = options.engine + " runs it; the llama.cpp command does not apply";
          }
        }
        if (!all || (llama.prediction.fit.kind != planner::FitKind::kNoFit &&
                     planner::engine_loads("llama.cpp", p.format_family, !ik.empty())))
          rows.push_back(r);
        if (all) {
          for (const auto* e : planner::engines_for(db.efficiency.engines, hw, p.format_family,
                                                    !ik.empty(), predict_options.nodes)) {
            Row other = llama;
            other.prediction = run_by_engine(llama, *e, db, predict_options);
            other.command.clear();
            other.command_why = e->name + " runs it; the llama.cpp command does not apply";
            rows.push_back(std::move(other));
          }
          if (rows.size() == rows_before) {
            report.notes.push_back(fmt::format(
                "{} {} on {}: no engine that runs on {} loads it ({} weights load in {})",
                p.source.spec.id, p.quant_name, hw.id, planner::backend_name(hw.backend),
                p.format_family,
                fmt::join(planner::engines_loading(p.format_family, !ik.empty()), ", ")));
          }
        }
        continue;
      }
      rows.push_back(std::move(r));
    }
  }
  report.tables.push_back(prediction_table(rows));
  report.details["rows"] = nlohmann::json::array();
  for (const auto& r : rows) {
    report.details["rows"].push_back(row_json(r));
    report.notes.push_back(row_note(r));
  }
  report.notes.push_back(fmt::format(
      "Context {} tokens in the cache while decoding, prompt {} tokens on top of {} cached, "
      "batch {}; every figure is an estimate from efficiencies fitted to {} (hwplan calibrate).",
      models.front().workload.context_tokens, options.prompt_tokens, options.depth_tokens,
      options.request.batch, db.efficiency.fitted_from));
  return result;
}

}  // namespace hwplan::cli
