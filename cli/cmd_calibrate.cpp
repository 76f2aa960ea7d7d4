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

// Targets of the speed model on the calibration rows (issue: decode median <= 10%, p90 <= 25%;
// prefill median <= 20%).
constexpr double kDecodeMedianTarget = 0.10;
constexpr double kDecodeP90Target = 0.25;
constexpr double kPrefillMedianTarget = 0.20;

// The bundled measurements (profiles/measurements/, sources beside them).
std::string default_csv(const planner::ProfileDb& db) {
  return db.directory + "/measurements/measured.csv";
}

Table summary_table(const planner::ErrorSummary& s) {
  Table t{"summary", "Error on the calibration rows (|predicted / measured - 1|)", {}, {}};
  t.columns = {{"metric", "Metric", "", Align::kLeft},
               {"rows", "Rows", "", Align::kRight},
               {"value_fraction", "Value", "", Align::kRight, 3},
               {"target_fraction", "Target", "", Align::kRight, 2},
               {"met", "Met", "", Align::kLeft}};
  t.rows.push_back({std::string("decode median"), s.decode_rows, s.decode_median,
                    kDecodeMedianTarget, s.decode_median <= kDecodeMedianTarget});
  t.rows.push_back({std::string("decode p90"), s.decode_rows, s.decode_p90, kDecodeP90Target,
                    s.decode_p90 <= kDecodeP90Target});
  t.rows.push_back({std::string("prefill median"), s.prefill_rows, s.prefill_median,
                    kPrefillMedianTarget, s.prefill_median <= kPrefillMedianTarget});
  t.rows.push_back({std::string("prefill p90"), s.prefill_rows, s.prefill_p90, Cell{}, Cell{}});
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
               {"prefill_activation_factor", "Act x", "", Align::kRight, 2},
               {"prefill_layer_overhead_us", "Launch/layer/ubatch", "us", Align::kRight, 1},
               {"decode_rows", "Decode rows", "", Align::kRight},
               {"prefill_rows", "Prefill rows", "", Align::kRight},
               {"decode_error_p80", "Decode p80", "", Align::kRight, 3},
               {"prefill_error_p80", "Prefill p80", "", Align::kRight, 3}};
  for (const auto& g : table.groups) {
    t.rows.push_back({g.backend, g.memory_class, g.bandwidth_fraction,
                      g.layer_overhead_seconds * 1e6, g.decode_compute_factor, g.compute_fraction,
                      g.prefill_activation_factor, g.prefill_layer_overhead_seconds * 1e6,
                      g.decode_rows, g.prefill_rows, g.decode_error_p80, g.prefill_error_p80});
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
    t.rows.push_back({row.row_id, row.hardware.substr(0, 40), row.backend, row.model.substr(0, 32),
                      row.quant.substr(0, 16),
                      or_empty(row.measured_decode_tok_per_s, row.measured_decode_tok_per_s),
                      or_empty(row.measured_decode_tok_per_s, r.predicted_decode_tok_per_s),
                      or_empty(row.measured_decode_tok_per_s, r.decode_error),
                      or_empty(row.measured_prefill_tok_per_s, row.measured_prefill_tok_per_s),
                      or_empty(row.measured_prefill_tok_per_s, r.predicted_prefill_tok_per_s),
                      or_empty(row.measured_prefill_tok_per_s, r.prefill_error)});
  }
  return t;
}

}  // namespace

CommandResult run_calibrate(const GlobalOptions& global, const CalibrateOptions& options) {
  const auto db = load_profiles(global);
  const std::string csv_path = options.csv.empty() ? default_csv(db) : options.csv;
  const auto csv = load_csv_file(csv_path);
  const auto inputs_path = db.directory + "/calibration_inputs.json";
  const auto inputs =
      planner::calibration_inputs_from_json(load_json_file(inputs_path), inputs_path);
  const auto rows = planner::calibration_rows(csv, csv_path, inputs, db);
  const auto table = planner::fit_efficiency(
      rows, options.csv.empty() ? "profiles/measurements/measured.csv" : options.csv);
  const auto results = planner::evaluate(rows, table);
  const auto summary = planner::summarize(results);

  CommandResult result;
  result.report.context = make_context(global);
  result.report.tables.push_back(summary_table(summary));
  result.report.tables.push_back(groups_table(table));
  if (options.rows) result.report.tables.push_back(rows_table(results));
  int64_t skipped = 0;
  for (const auto& r : rows) skipped += r.skipped.empty() ? 0 : 1;
  result.report.notes.push_back(fmt::format(
      "{} rows read from {}, {} used, {} skipped (reasons in calibration.json); CPU offload "
      "bandwidth fraction {:.2f}.",
      rows.size(), csv_path, rows.size() - static_cast<size_t>(skipped), skipped,
      table.cpu_bandwidth_fraction));
  if (!options.write.empty()) {
    write_output_file(options.write,
                      planner::calibration_to_json(table, rows, results, summary).dump(2) + "\n");
    result.report.notes.push_back(fmt::format("wrote {}", options.write));
  }
  return result;
}

}  // namespace hwplan::cli
