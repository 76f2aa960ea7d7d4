#pragma once
// How a chosen execution plan reaches the user: the llama.cpp command that runs it and its
// per-device memory as JSON. Shared by fit, predict and report so each shows the same plan.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "model_source.h"
#include "planner/predict.h"

namespace hwplan::cli {

/// The parsed --llama-args, or nothing when the option was not given.
std::optional<planner::LlamaArgs> parse_llama_args_option(const std::string& text);

/// The pinned llama-server command for a plan, with the GGUF path when the model came from one
/// (or the command line named one). Empty, with the reason in `why`, for weights streamed over
/// the bus (no llama.cpp flag does that) or a plan that does not fit.
std::string llama_command_for(const planner::ChosenPlan& chosen, const ModelSource& source,
                              const std::optional<planner::LlamaArgs>& args, std::string* why);

/// The flags alone (the command without "llama-server -m PATH").
std::string llama_flags_of(const std::string& command);

using planner::band_text;

/// {"source", "devices": [{device, weights_gib, kv_cache_gib, buffers_gib, total_gib}], "summary"}.
nlohmann::json plan_json(const planner::ChosenPlan& chosen, const planner::ModelSpec& model);

}  // namespace hwplan::cli
