#include "planned_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "common/error.h"

namespace hwplan::cli {

PlannedModel plan_model(const planner::ProfileDb& db, const std::string& name,
                        const ModelRequest& request, std::vector<std::string>& notes) {
  return plan_model(db, resolve_model(db, name), request, notes);
}

PlannedModel plan_model(const planner::ProfileDb& db, ModelSource source,
                        const ModelRequest& request, std::vector<std::string>& notes) {
  PlannedModel p;
  p.source = std::move(source);
  const auto& spec = p.source.spec;
  if (p.source.exact_weights) {
    p.weights = *p.source.exact_weights;
    const bool gguf = !p.source.gguf_file_type.empty();
    p.quant_name = gguf ? p.source.gguf_file_type + " (GGUF)"
                        : p.source.safetensors_file_type + " (safetensors)";
    p.format_family = gguf ? "gguf" : "safetensors";
    if (request.quant_given) {
      notes.push_back(fmt::format("{}: --quant ignored; the {}'s own tensor types are used",
                                  spec.id, gguf ? "GGUF file" : "safetensors checkpoint"));
    }
  } else {
    const auto& quant = planner::find_quant(db.quants, request.quant);
    p.weights = planner::build_inventory(spec, quant);
    p.quant_name = quant.name;
    p.format_family = quant.family;
    p.convert_args = quant.convert_args;
    p.gguf_counterpart = quant.gguf_counterpart;
  }
  p.workload.context_tokens = request.context_given
                                  ? request.context_tokens
                                  : std::min(request.default_context, spec.max_context);
  p.workload.batch = request.batch;
  p.workload.kv_cache = planner::find_kv_cache_type(db.quants, request.kv_type);
  planner::validate_workload(spec, p.workload);
  return p;
}

planner::SplitMode parse_split(const std::string& text) {
  if (text == "layer") return planner::SplitMode::kLayer;
  if (text == "row") return planner::SplitMode::kRow;
  if (text == "tensor") return planner::SplitMode::kTensor;
  if (text == "none") return planner::SplitMode::kNone;
  throw_usage("--split: '{}' is not one of layer, row, tensor, none", text);
}

}  // namespace hwplan::cli
