// validate --llama-bench: someone's llama-bench results next to the planner's predictions for the
// machine they name with --hw. Each result is matched to a bundled model by architecture and
// parameter count (or --model), its quantization read from llama-bench's model_type.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "cmd_validate.h"
#include "common/error.h"
#include "common/text_util.h"
#include "formats/llama_bench.h"
#include "hardware_source.h"
#include "planner/predict.h"
#include "planner/weights.h"

namespace hwplan::cli {
namespace {

/// The bundled model of the same architecture whose parameter count is within 15% of the file's.
const planner::ModelProfile* match_model(const planner::ProfileDb& db,
                                         const formats::LlamaBenchResult& r) {
  const std::string arch = letters_and_digits_lower(r.model_type.substr(0, r.model_type.find(' ')));
  const planner::ModelProfile* best = nullptr;
  double best_gap = 0.15;
  const auto& f16 = planner::find_quant(db.quants, "f16");
  for (const auto& m : db.models) {
    const std::string a = letters_and_digits_lower(m.spec.architecture);
    // GGUF names MoE variants "<arch>moe" where Hugging Face says "<arch>_moe".
    if (a != arch) continue;
    const double params = planner::total_params(planner::build_inventory(m.spec, f16));
    const double gap = std::fabs(params / r.model_n_params - 1.0);
    if (gap < best_gap) {
      best_gap = gap;
      best = &m;
    }
  }
  return best;
}

std::string backend_of(const formats::LlamaBenchResult& r) {
  if (r.n_gpu_layers == 0) return "cpu";
  std::string b = letters_and_digits_lower(r.backends);
  if (b.find("cuda") != std::string::npos) return "cuda";
  if (b.find("metal") != std::string::npos) return "metal";
  if (b.find("rocm") != std::string::npos || b.find("hip") != std::string::npos) return "rocm";
  if (b.find("vulkan") != std::string::npos) return "vulkan";
  return "cpu";
}

}  // namespace

CommandResult run_validate_llama_bench(const GlobalOptions& global, const ValidateOptions& o) {
  if (o.hw.empty())
    throw_usage("validate --llama-bench needs --hw: the machine the results came from");
  const auto db = load_profiles(global);
  std::vector<std::string> warnings;
  const planner::HardwareSpec machine = resolve_hardware(db, {o.hw}, {}, 0, warnings).front();
  const std::vector<formats::LlamaBenchResult> results = formats::read_llama_bench(o.llama_bench);

  CommandResult out;
  out.report.context = make_context(global);
  out.report.context.warnings = warnings;
  reports::Table table{
      "validate", fmt::format("llama-bench results vs predictions on {}", machine.id), {}, {}};
  table.columns = {{"model_type", "Model (llama-bench)", "", reports::Align::kLeft},
                   {"model", "Matched", "", reports::Align::kLeft},
                   {"quant", "Quant", "", reports::Align::kLeft},
                   {"test", "Test", "", reports::Align::kLeft},
                   {"backend", "Backend", "", reports::Align::kLeft},
                   {"measured_tok_per_s", "Measured", "tok/s", reports::Align::kRight, 1},
                   {"predicted_tok_per_s", "Predicted", "tok/s", reports::Align::kRight, 1},
                   {"error_fraction", "Error", "", reports::Align::kRight, 3},
                   {"bound", "Bound", "", reports::Align::kLeft}};
  bool missed = false;
  for (const formats::LlamaBenchResult& r : results) {
    const planner::ModelProfile* model =
        o.model_given ? &planner::find_model(db, o.model) : match_model(db, r);
    const std::string quant_name = formats::quant_from_model_type(r.model_type);
    if (model == nullptr || quant_name.empty() ||
        db.quants.mixes.end() == std::find_if(db.quants.mixes.begin(), db.quants.mixes.end(),
                                              [&](const auto& q) { return q.id == quant_name; })) {
      out.report.notes.push_back(fmt::format("{} ({:.2f}B parameters), {}: skipped: {}",
                                             r.model_type, r.model_n_params / 1e9, r.test_name(),
                                             model == nullptr
                                                 ? "no bundled model of that architecture within "
                                                   "15% of its size (name one with --model)"
                                                 : "its quantization is not one hwplan knows"));
      continue;
    }
    planner::Workload w;
    w.context_tokens =
        std::max<int64_t>(1, r.n_depth + (r.is_generation() ? r.n_gen / 2 : r.n_prompt));
    w.flash_attention = r.flash_attn;
    planner::PredictOptions options;
    options.prompt_tokens = std::max<int64_t>(1, r.n_prompt);
    options.depth_tokens = r.n_depth;
    planner::HardwareSpec hw = machine;
    hw.backend = planner::backend_from_name(backend_of(r));
    const auto weights =
        planner::build_inventory(model->spec, planner::find_quant(db.quants, quant_name));
    // The plan of the run's own flags: its -ngl and -fa, placed as llama.cpp places them.
    planner::LlamaArgs args;
    args.n_gpu_layers = r.n_gpu_layers;
    args.flash_attention = r.flash_attn ? "on" : "off";
    args.fit = false;
    const auto chosen =
        planner::choose_plan(model->spec, weights, hw, w, options, &args, db.quants);
    const planner::Prediction p =
        planner::predict_chosen(model->spec, chosen, options, db.efficiency);
    if (chosen.fit.kind == planner::FitKind::kNoFit) {
      out.report.notes.push_back(
          fmt::format("{} {}: hwplan's memory model says -ngl {} does not fit {} ({})",
                      r.model_type, r.test_name(), r.n_gpu_layers, hw.id, chosen.fit.summary));
    }
    const double predicted = r.is_generation() ? p.decode.tok_per_s : p.prefill.tok_per_s;
    const double error = predicted / r.avg_ts - 1.0;
    missed = missed || (o.max_error > 0 && std::fabs(error) > o.max_error);
    table.rows.push_back(
        {r.model_type, model->spec.id, quant_name, r.test_name(),
         std::string(planner::backend_name(hw.backend)), r.avg_ts, predicted, error,
         std::string(planner::bound_name(r.is_generation() ? p.decode.bound : p.prefill.bound))});
  }
  out.report.tables.push_back(table);
  out.report.notes.push_back(
      fmt::format("Predictions use the bundled model's weights at the quantization llama-bench "
                  "names, {}'s profile and the "
                  "llama.cpp efficiencies fitted to {}.",
                  machine.id, db.efficiency.fitted_from));
  if (missed) out.exit_code = 1;
  return out;
}

}  // namespace hwplan::cli
