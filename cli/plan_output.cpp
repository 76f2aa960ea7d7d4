#include "plan_output.h"

#include <cmath>

#include "common/error.h"
#include "common/units.h"

namespace hwplan::cli {

std::optional<planner::LlamaArgs> parse_llama_args_option(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return planner::parse_llama_args(text);
}

std::string llama_command_for(const planner::ChosenPlan& chosen, const ModelSource& source,
                              const std::optional<planner::LlamaArgs>& args, std::string* why) {
  if (chosen.fit.kind == planner::FitKind::kNoFit) {
    if (why != nullptr) *why = "no placement fits";
    return "";
  }
  std::string path = args ? args->model_path : "";
  if (!source.gguf_file_type.empty()) path = source.origin;
  try {
    return planner::emit_llama_command(chosen.plan, source.spec, chosen.machine, path,
                                       planner::EmitMode::kPinned, why);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kUnsupported) throw;
    if (why != nullptr) *why = e.what();
    return "";
  }
}

std::string llama_flags_of(const std::string& command) {
  // "llama-server -m PATH rest": the path may be quoted, so skip the first three words by
  // finding " -ngl " or " -c " (the first flag after the path that the emitter always writes).
  for (const char* first : {" -ngl ", " -c "}) {
    const auto at = command.find(first);
    if (at != std::string::npos) return command.substr(at + 1);
  }
  return command;
}

nlohmann::json plan_json(const planner::ChosenPlan& chosen, const planner::ModelSpec& model) {
  nlohmann::json devices = nlohmann::json::array();
  for (const auto& dm : planner::plan_memory(chosen.plan, model, chosen.machine)) {
    devices.push_back({{"device", planner::device_name(dm.device, chosen.machine.backend)},
                       {"weights_gib", bytes_to_gib(dm.weights_bytes)},
                       {"kv_cache_gib", bytes_to_gib(dm.kv_bytes)},
                       {"buffers_gib", bytes_to_gib(dm.compute_bytes + dm.overhead_bytes)},
                       {"total_gib", bytes_to_gib(dm.total_bytes())}});
  }
  return {{"source", chosen.from_command_line ? "llama.cpp command line" : "hwplan fit"},
          {"split", planner::split_mode_name(chosen.plan.split)},
          {"nodes", chosen.plan.nodes},
          {"context_tokens_per_sequence", chosen.plan.workload.context_tokens},
          {"sequences", chosen.plan.workload.batch},
          {"kv_unified", chosen.plan.kv_unified},
          {"ubatch_tokens", chosen.plan.workload.ubatch_tokens},
          {"devices", devices},
          {"summary", planner::describe_plan(chosen.plan, model, chosen.machine)}};
}

}  // namespace hwplan::cli
