#include "cmd_calibrate.h"

#include <fmt/format.h>

#include <fstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/json_util.h"

namespace hwplan::cli {
namespace {

using reports::Align;
using reports::Cell;
using reports::Table;

// Targets of the speed model on the calibration rows, overall and per category: decode median
// <= 10%, p90 <= 25%; prefill median <= 20%, p90 <= 40%.
constexpr double kDecodeMedianTarget = 0.10;
constexpr double kDecodeP90Target = 0.25;
constexpr double kPrefillMedianTarget = 0.20;
constexpr double kPrefillP90Target = 0.40;

// The bundled measurements (profiles/measurements/, sources beside them): llama.cpp runs, mostly
// resident, and the hard configurations (offload, multi-GPU, depth, CPU-only).
std::vector<std::string> default_csvs(const planner::ProfileDb& db) {
  return {db.directory + "/measurements/measured.csv", db.directory + "/measurements/configs.csv"};
}

Cell met(int64_t rows, double value, double target) {
  return rows > 0 ? Cell{value <= target} : Cell{};
}

Cell value_or_none(int64_t rows, double value) { return rows > 0 ? Cell{value} : Cell{}; }

// Error per category: the targets hold per category where rows exist; "no rows" says where none.
Table category_table(const std::vector<planner::RowResult>& results) {
  Table t{"categories", "Error per category (rows can be in several)", {}, {}};
  t.columns = {{"category", "Category", "", Align::kLeft},
               {"decode_rows", "Decode rows", "", Align::kRight},
               {"decode_median_fraction", "Median", "", Align::kRight, 3},
               {"decode_p90_fraction", "p90", "", Align::kRight, 3},
               {"decode_met", "Met", "", Align::kLeft},
               {"prefill_rows", "Prefill rows", "", Align::kRight},
               {"prefill_median_fraction", "Median", "", Align::kRight, 3},
               {"prefill_p90_fraction", "p90", "", Align::kRight, 3},
               {"prefill_met", "Met", "", Align::kLeft}};
  for (const char* category : planner::kCalibrationCategories) {
    const auto s = planner::summarize_category(results, category);
    const bool decode_met =
        s.decode_median <= kDecodeMedianTarget && s.decode_p90 <= kDecodeP90Target;
    const bool prefill_met =
        s.prefill_median <= kPrefillMedianTarget && s.prefill_p90 <= kPrefillP90Target;
    t.rows.push_back({std::string(category), s.decode_rows,
                      value_or_none(s.decode_rows, s.decode_median),
                      value_or_none(s.decode_rows, s.decode_p90),
                      s.decode_rows > 0 ? Cell{std::string(decode_met ? "yes" : "no")}
                                        : Cell{std::string("no rows")},
                      s.prefill_rows, value_or_none(s.prefill_rows, s.prefill_median),
                      value_or_none(s.prefill_rows, s.prefill_p90),
                      s.prefill_rows > 0 ? Cell{std::string(prefill_met ? "yes" : "no")}
                                         : Cell{std::string("no rows")}});
  }
  return t;
}

Table summary_table(const planner::ErrorSummary& s) {
  Table t{"summary", "Error on the calibration rows (|predicted / measured - 1|)", {}, {}};
  t.columns = {{"metric", "Metric", "", Align::kLeft},
               {"rows", "Rows", "", Align::kRight},
               {"value_fraction", "Value", "", Align::kRight, 3},
               {"target_fraction", "Target", "", Align::kRight, 2},
               {"met", "Met", "", Align::kLeft}};
  t.rows.push_back({std::string("decode median"), s.decode_rows, s.decode_median,
                    kDecodeMedianTarget, met(s.decode_rows, s.decode_median, kDecodeMedianTarget)});
  t.rows.push_back({std::string("decode p90"), s.decode_rows, s.decode_p90, kDecodeP90Target,
                    met(s.decode_rows, s.decode_p90, kDecodeP90Target)});
  t.rows.push_back({std::string("prefill median"), s.prefill_rows, s.prefill_median,
                    kPrefillMedianTarget,
                    met(s.prefill_rows, s.prefill_median, kPrefillMedianTarget)});
  t.rows.push_back({std::string("prefill p90"), s.prefill_rows, s.prefill_p90, kPrefillP90Target,
                    met(s.prefill_rows, s.prefill_p90, kPrefillP90Target)});
  return t;
}

Table groups_table(const planner::EfficiencyTable& table) {
  Table t{"groups", "Efficiency factors per backend and memory class", {}, {}};
  t.columns = {{"backend", "Backend", "", Align::kLeft},
               {"memory_class", "Memory", "", Align::kLeft},
               {"bandwidth_fraction", "BW eff", "", Align::kRight, 3},
               {"layer_overhead_us", "Launch/layer", "us", Align::kRight, 2},
               {"decode_compute_factor", "Decode FLOP x", "", Align::kRight, 2},
               {"compute_fraction", "FLOP eff", "", Align::kRight, 3},
               {"prefill_attention_fraction", "Attn eff", "", Align::kRight, 3},
               {"prefill_activation_factor", "Act x", "", Align::kRight, 2},
               {"prefill_expert_factor", "Expert FLOP x", "", Align::kRight, 2},
               {"prefill_quant_factor", "Quant FLOP x", "", Align::kRight, 2},
               {"prefill_layer_overhead_us", "Launch/layer/ubatch", "us", Align::kRight, 1},
               {"decode_rows", "Decode rows", "", Align::kRight},
               {"prefill_rows", "Prefill rows", "", Align::kRight}};
  for (const auto& g : table.groups) {
    t.rows.push_back({g.backend, g.memory_class, g.bandwidth_fraction,
                      g.layer_overhead_seconds * 1e6, g.decode_compute_factor, g.compute_fraction,
                      g.prefill_attention_fraction > 0 ? Cell{g.prefill_attention_fraction}
                                                       : Cell{std::string("= FLOP")},
                      g.prefill_activation_factor, g.prefill_expert_factor, g.prefill_quant_factor,
                      g.prefill_layer_overhead_seconds * 1e6, g.decode_rows, g.prefill_rows});
  }
  return t;
}

// The bands predictions carry: 80% of each placement class's runs within +- this ("*" rows are
// the pooled ones a class with fewer than kMinBandRows runs borrows, widened).
Table bands_table(const planner::EfficiencyTable& table) {
  Table t{"bands",
          "Error bands (80% of runs within +-) per placement, backend and memory class",
          {},
          {}};
  t.columns = {{"placement", "Placement", "", Align::kLeft},
               {"backend", "Backend", "", Align::kLeft},
               {"memory_class", "Memory", "", Align::kLeft},
               {"decode_rows", "Decode rows", "", Align::kRight},
               {"decode_p80_fraction", "Decode p80", "", Align::kRight, 3},
               {"prefill_rows", "Prefill rows", "", Align::kRight},
               {"prefill_p80_fraction", "Prefill p80", "", Align::kRight, 3}};
  for (const auto& b : table.bands) {
    t.rows.push_back({b.placement, b.backend, b.memory_class, b.decode_rows,
                      b.decode_rows > 0 ? Cell{b.decode_p80} : Cell{}, b.prefill_rows,
                      b.prefill_rows > 0 ? Cell{b.prefill_p80} : Cell{}});
  }
  return t;
}

Table hosts_table(const planner::EfficiencyTable& table) {
  Table t{"hosts", "CPU decode bandwidth fraction per host class (of the host's peak)", {}, {}};
  t.columns = {{"host_class", "Host", "", Align::kLeft},
               {"bandwidth_fraction", "BW eff", "", Align::kRight, 3},
               {"rows", "Rows", "", Align::kRight}};
  for (const auto& h : table.hosts) t.rows.push_back({h.host_class, h.bandwidth_fraction, h.rows});
  t.rows.push_back({std::string("pooled"), table.cpu_bandwidth_fraction, Cell{}});
  return t;
}

// Each engine's decode over llama.cpp's on the same machine and model: the median of published
// pairs, the median and 80th percentile of how far the pairs lie from it (the error of predicting
// an engine's run from its llama.cpp partner); where fitted, its time per cached token over the
// physics' (from its runs at depth).
Table engines_table(const std::vector<planner::EngineFactors>& engines) {
  Table t{"engines",
          "Engines over llama.cpp (engines.csv runs beside llama.cpp runs on the same machine and "
          "model; physics: runs no llama.cpp run pairs with, such as tensor-parallel runs, and "
          "ik_llama.cpp's in configs.csv, against llama.cpp's fitted physics on their own plans)",
          {},
          {}};
  t.columns = {{"engine", "Engine", "", Align::kLeft},
               {"decode_ratio", "Decode x", "", Align::kRight, 2},
               {"decode_pairs", "Pairs", "", Align::kRight},
               {"decode_median_error_fraction", "Pair median", "", Align::kRight, 3},
               {"decode_spread_fraction", "Pair p80", "", Align::kRight, 3},
               {"cache_ratio", "Cache x", "", Align::kRight, 2},
               {"cache_pairs", "Deep runs", "", Align::kRight},
               {"prefill_ratio", "Prefill x", "", Align::kRight, 2},
               {"prefill_pairs", "Pairs", "", Align::kRight},
               {"against", "Against", "", Align::kLeft}};
  for (const auto& e : engines) {
    t.rows.push_back(
        {e.name, e.decode_pairs > 0 ? Cell{e.decode_ratio} : Cell{}, e.decode_pairs,
         e.decode_pairs > 0 ? Cell{e.decode_median_error} : Cell{},
         e.decode_pairs > 0 ? Cell{e.decode_spread} : Cell{},
         e.cache_ratio > 0 ? Cell{e.cache_ratio} : Cell{}, e.cache_pairs,
         e.prefill_pairs > 0 ? Cell{e.prefill_ratio} : Cell{}, e.prefill_pairs,
         !e.factors_of.empty()              ? e.factors_of + "'s factors"
         : planner::against_physics_only(e) ? std::string("physics")
         : e.decode_physics_pairs > 0
             ? fmt::format("{} llama.cpp runs, {} physics", e.decode_pairs - e.decode_physics_pairs,
                           e.decode_physics_pairs)
             : std::string("llama.cpp runs")});
  }
  return t;
}

// Other engines' published runs at several users against what hwplan predicts for them: from the
// physics alone, and from the run's own single-stream measurement (how the factor is fitted).
Table concurrency_table(const std::vector<planner::BatchPair>& pairs,
                        const std::vector<planner::EngineFactors>& engines) {
  Table t{"concurrency",
          "Engines at several users: aggregate decode of published runs (engines.csv) against "
          "hwplan's prediction (target: within 25%)",
          {},
          {}};
  t.columns = {{"engine", "Engine", "", Align::kLeft},
               {"hardware", "Hardware", "", Align::kLeft},
               {"model", "Model", "", Align::kLeft},
               {"users", "Users", "", Align::kRight},
               {"measured_single_tok_per_s", "One user", "tok/s", Align::kRight, 1},
               {"measured_aggregate_tok_per_s", "Measured", "tok/s", Align::kRight, 1},
               {"predicted_aggregate_tok_per_s", "Predicted", "tok/s", Align::kRight, 1},
               {"error_fraction", "Error", "", Align::kRight, 3},
               {"from_single_tok_per_s", "From one user's run", "tok/s", Align::kRight, 1},
               {"from_single_error_fraction", "Error", "", Align::kRight, 3},
               {"flop_fraction", "Batched FLOP share", "", Align::kRight, 3}};
  for (const auto& p : pairs) {
    const auto& e = planner::find_engine(engines, p.engine);
    const double predicted = planner::batch_pair_predicted_aggregate(p, e);
    const double from_single = planner::batch_pair_aggregate(p, e);
    t.rows.push_back({p.engine, p.hardware.substr(0, 28), p.model.substr(0, 28), p.batch,
                      p.single_tok_per_s, p.aggregate_tok_per_s, predicted,
                      predicted / p.aggregate_tok_per_s - 1.0, from_single,
                      from_single / p.aggregate_tok_per_s - 1.0, e.batch_flop_fraction});
  }
  return t;
}

Table rows_table(const std::vector<planner::RowResult>& results) {
  Table t{"rows", "Per row", {}, {}};
  t.columns = {{"row_id", "Row", "", Align::kRight},
               {"hardware", "Hardware", "", Align::kLeft},
               {"backend", "Backend", "", Align::kLeft},
               {"model", "Model", "", Align::kLeft},
               {"quant", "Quant", "", Align::kLeft},
               {"measured_decode_tok_per_s", "Decode", "tok/s", Align::kRight, 1},
               {"predicted_decode_tok_per_s", "Predicted", "tok/s", Align::kRight, 1},
               {"decode_error_fraction", "Error", "", Align::kRight, 3},
               {"measured_prefill_tok_per_s", "Prefill", "tok/s", Align::kRight, 0},
               {"predicted_prefill_tok_per_s", "Predicted", "tok/s", Align::kRight, 0},
               {"prefill_error_fraction", "Error", "", Align::kRight, 3}};
  auto or_empty = [](double measured, double value) { return measured > 0 ? Cell{value} : Cell{}; };
  for (const auto& r : results) {
    const auto& row = *r.row;
    const double prefill_used = row.prefill_skipped.empty() ? row.measured_prefill_tok_per_s : 0;
    t.rows.push_back({row.row_id, row.hardware.substr(0, 40), row.backend, row.model.substr(0, 32),
                      row.quant.substr(0, 16),
                      or_empty(row.measured_decode_tok_per_s, row.measured_decode_tok_per_s),
                      or_empty(row.measured_decode_tok_per_s, r.predicted_decode_tok_per_s),
                      or_empty(row.measured_decode_tok_per_s, r.decode_error),
                      or_empty(prefill_used, row.measured_prefill_tok_per_s),
                      or_empty(prefill_used, r.predicted_prefill_tok_per_s),
                      or_empty(prefill_used, r.prefill_error)});
  }
  return t;
}

}  // namespace

CommandResult run_calibrate(const GlobalOptions& global, const CalibrateOptions& options) {
  const auto db = load_profiles(global);
  const std::vector<std::string> csv_paths = options.csv.empty() ? default_csvs(db) : options.csv;
  const auto inputs_path = db.directory + "/calibration_inputs.json";
  const auto inputs =
      planner::calibration_inputs_from_json(load_json_file(inputs_path), inputs_path);
  std::vector<planner::CalibrationRow> rows;
  std::vector<std::string> fitted_from;
  for (const auto& path : csv_paths) {
    auto more = planner::calibration_rows(load_csv_file(path), path, inputs, db);
    std::move(more.begin(), more.end(), std::back_inserter(rows));
    fitted_from.push_back(
        options.csv.empty() ? "profiles/measurements/" + path.substr(path.rfind('/') + 1) : path);
  }
  auto table = planner::fit_efficiency(rows, fmt::format("{}", fmt::join(fitted_from, ", ")));
  // Other engines: their published runs paired with llama.cpp's on the same machine and model.
  const std::string engines_csv = db.directory + "/measurements/engines.csv";
  auto pairs = planner::engine_pairs(load_csv_file(engines_csv), engines_csv);
  // ik_llama.cpp's runs (configs.csv) against llama.cpp's physics on their own plans.
  const auto ik = planner::physics_pairs(rows, table);
  pairs.insert(pairs.end(), ik.begin(), ik.end());
  // Their runs at several concurrent users beside their single-stream runs, and the runs no
  // llama.cpp run pairs with, against the physics.
  const auto engine_rows =
      planner::calibration_rows(load_csv_file(engines_csv), engines_csv, inputs, db);
  const auto unpaired = planner::unpaired_physics_pairs(engine_rows, pairs, table);
  pairs.insert(pairs.end(), unpaired.begin(), unpaired.end());
  const auto batch = planner::batch_pairs(engine_rows, table);
  table.engines = planner::fit_engines(pairs, batch);
  const auto results = planner::evaluate(rows, table);
  const auto summary = planner::summarize(results);

  CommandResult result;
  result.report.context = make_context(global);
  result.report.tables.push_back(summary_table(summary));
  result.report.tables.push_back(category_table(results));
  result.report.tables.push_back(groups_table(table));
  result.report.tables.push_back(bands_table(table));
  result.report.tables.push_back(hosts_table(table));
  result.report.tables.push_back(engines_table(table.engines));
  result.report.tables.push_back(concurrency_table(batch, table.engines));
  if (options.rows) result.report.tables.push_back(rows_table(results));
  int64_t skipped = 0;
  for (const auto& r : rows) skipped += r.skipped.empty() ? 0 : 1;
  int64_t prefill_not_modelled = 0;
  for (const auto& r : rows) {
    prefill_not_modelled +=
        r.skipped.empty() && !r.prefill_skipped.empty() && r.measured_prefill_tok_per_s > 0 ? 1 : 0;
  }
  result.report.notes.push_back(fmt::format(
      "{} rows read from {}, {} used, {} skipped (reasons in calibration.json: other engines, "
      "machines or models not described); {} used rows have a prefill that is not modelled "
      "(CPU-only, the CPU's FMA peak unknown); CPU-only prefill at {:.2f} of the CPU's FP32 FMA "
      "peak ({} rows); CPU bandwidth fraction pooled over all hosts {:.2f}; CPU compute per core "
      "{} (fitted among 0 and 5-80 GFLOP/s per core on the rows that read host memory).",
      rows.size(), fmt::join(csv_paths, " and "), rows.size() - static_cast<size_t>(skipped),
      skipped, prefill_not_modelled, table.cpu_prefill_fraction, table.cpu_prefill_rows,
      table.cpu_bandwidth_fraction,
      table.cpu_core_flop_per_s > 0
          ? fmt::format("{:.1f} GFLOP/s", table.cpu_core_flop_per_s / 1e9)
          : std::string("not modelled: every rate tried made the host rows' error larger")));
  result.report.notes.push_back(fmt::format(
      "Cache re-reads: llama.cpp's vector attention kernel (decode on CUDA with a quantized cache, "
      "and on ROCm) reads a grouped-query cache once per query head; {:.2f} of those re-reads "
      "come from memory rather than the L2 cache ({}).",
      table.cache_reread_fraction,
      table.cache_reread_rows > 0
          ? fmt::format("fitted on {} runs that make them", table.cache_reread_rows)
          : std::string("no runs make them: every re-read counted")));
  if (!options.write.empty()) {
    write_output_file(options.write,
                      planner::calibration_to_json(table, rows, results, summary).dump(2) + "\n");
    result.report.notes.push_back(fmt::format("wrote {}", options.write));
  }
  return result;
}

}  // namespace hwplan::cli
