#include "cmd_scan.h"

#include <fmt/format.h>

#include <cmath>

#include "common/error.h"
#include "common/units.h"
#include "formats/model_stores.h"
#include "hardware_source.h"
#include "planned_model.h"
#include "planner/predict.h"

namespace hwplan::cli {
namespace {

using reports::Align;
using reports::Cell;
using reports::Table;

}  // namespace

CommandResult run_scan(const GlobalOptions& global, const ScanOptions& options) {
  const auto db = load_profiles(global);
  CommandResult result;
  auto& report = result.report;
  report.context = make_context(global);
  const auto roots = formats::default_store_roots();
  std::vector<std::string> problems;
  const auto stored = formats::scan_stores(roots, problems);
  // This machine (probed quickly and cached, as --hw local) unless machines are named.
  std::vector<planner::HardwareSpec> machines;
  if (!options.no_fit && !stored.empty()) {
    const std::vector<std::string> local = {"local"};
    machines =
        resolve_hardware(db, options.hw.empty() && options.hw_specs.empty() ? local : options.hw,
                         options.hw_specs, 0, report.context.warnings);
  }

  Table t{"scan", "Models in the local stores", {}, {}};
  t.columns = {{"store", "Store", "", Align::kLeft},
               {"model", "Model (--model store:name)", "", Align::kLeft},
               {"format", "Format", "", Align::kLeft},
               {"quant", "Quant", "", Align::kLeft},
               {"size_gb", "On disk", "GB", Align::kRight, 2},
               {"params_b", "Params", "B", Align::kRight, 2},
               {"hardware", "Hardware", "", Align::kLeft},
               {"fit", "Fit", "", Align::kLeft},
               {"decode_tok_per_s", "Decode", "tok/s", Align::kRight, 1}};
  ModelRequest request;
  // --ctx, or the model's own maximum where that is shorter.
  request.default_context = options.context_tokens;
  size_t listed = 0;
  for (const auto& m : stored) {
    // Planned from what the scan found: no second walk of the store per model.
    PlannedModel planned;
    try {
      planned = plan_model(db, source_from_stored(db, m), request, report.notes);
    } catch (const Error& e) {
      problems.emplace_back(e.what());
      continue;
    }
    ++listed;
    const Cell params{planner::total_params(planned.weights) / 1e9};
    if (machines.empty()) {
      t.rows.push_back({m.store, m.name, m.format, planned.quant_name,
                        static_cast<double>(m.bytes) / 1e9, params, Cell{}, Cell{}, Cell{}});
      continue;
    }
    for (const auto& hw : machines) {
      const auto chosen = planner::choose_plan(planned.source.spec, planned.weights, hw,
                                               planned.workload, {}, nullptr, db.quants);
      const auto p = planner::predict_chosen(planned.source.spec, chosen, {}, db.efficiency);
      t.rows.push_back({m.store, m.name, m.format, planned.quant_name,
                        static_cast<double>(m.bytes) / 1e9, params, hw.id,
                        std::string(planner::fit_kind_label(p.fit.kind)),
                        std::isfinite(p.decode.tok_per_s) ? Cell{p.decode.tok_per_s} : Cell{}});
    }
  }
  report.tables.push_back(t);
  report.notes.push_back(fmt::format(
      "Looked in Ollama {}, LM Studio {}, Hugging Face {} (read-only; nothing is downloaded); "
      "{} models at {} tokens of context{}. Decode speeds are estimates (hwplan predict).",
      roots.ollama.empty() ? "-" : roots.ollama, roots.lmstudio.empty() ? "-" : roots.lmstudio,
      roots.huggingface.empty() ? "-" : roots.huggingface, listed, options.context_tokens,
      machines.empty() ? "" : "; fit and speed on the machines shown"));
  for (const auto& p : problems) report.context.warnings.push_back("left out: " + p);
  return result;
}

}  // namespace hwplan::cli
