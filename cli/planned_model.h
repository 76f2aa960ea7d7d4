#pragma once
// A model resolved and sized for one workload: shared by fit and predict.

#include <string>
#include <vector>

#include "model_source.h"
#include "planner/execution_plan.h"
#include "planner/memory.h"
#include "planner/profiles.h"
#include "planner/weights.h"

namespace hwplan::cli {

/// What every planning subcommand asks about a model.
struct ModelRequest {
  std::string quant = "q4_k_m";
  bool quant_given = false;
  int64_t context_tokens = 0;
  bool context_given = false;  ///< false: min(default_context, the model's maximum)
  int64_t default_context = 8192;
  std::string kv_type = "f16";
  int64_t batch = 1;
};

struct PlannedModel {
  ModelSource source;
  planner::WeightInventory weights;
  std::string quant_name;
  /// The weights' format for the engine check: gguf (a GGUF file or mix), safetensors (a
  /// checkpoint as published), or the catalog family of the mix (mlx, gptq, awq, fp8, fp4, exl2).
  std::string format_family;
  std::string convert_args;      ///< the mix's converter options (QuantSpec::convert_args)
  std::string gguf_counterpart;  ///< the mix's llama.cpp GGUF (QuantSpec::gguf_counterpart)
  planner::Workload workload;
};

/// Resolves `name` (bundled id, config.json, GGUF), sizes its weights at the requested mix (or
/// the GGUF's own tensors) and validates the workload. Notes go to `notes`.
PlannedModel plan_model(const planner::ProfileDb& db, const std::string& name,
                        const ModelRequest& request, std::vector<std::string>& notes);

/// The same for a model already resolved.
PlannedModel plan_model(const planner::ProfileDb& db, ModelSource source,
                        const ModelRequest& request, std::vector<std::string>& notes);

/// --split of fit and predict: layer, row, tensor or none (a usage error otherwise).
planner::SplitMode parse_split(const std::string& text);

}  // namespace hwplan::cli
