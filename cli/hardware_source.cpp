#include "hardware_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "common/error.h"
#include "common/json_util.h"
#include "common/text_util.h"
#include "profile_from_probe.h"

namespace hwplan::cli {

namespace {

namespace fs = std::filesystem;

// The JSON of one --hw value: a profile file or a bundled id.
nlohmann::json hardware_json(const planner::ProfileDb& db, const std::string& value,
                             std::string& origin) {
  std::error_code error;
  // Anything that exists is read as a file: a directory or FIFO gets "must be a regular file".
  if (fs::exists(value, error)) {
    origin = value;
    auto json = load_json_file(value);
    planner::hardware_from_json(json, value);  // validate before any override
    return json;
  }
  if (value == "local") {
    origin = local_profile_path();
    return load_json_file(origin);
  }
  if (value.find('/') != std::string::npos || fs::path(value).extension() == ".json") {
    throw_input("{}: no such file", value);
  }
  const auto& hw = planner::find_hardware(db, value);
  origin = fmt::format("{}/hardware/{}.json", db.directory, hw.id);
  return planner::hardware_to_json(hw);
}

// "rtx-5090+rtx-4090": the GPUs of several profiles in the first one's host; one profile
// otherwise. Each part is a bundled id or a profile file.
nlohmann::json machine_json(const planner::ProfileDb& db, const std::string& value,
                            std::string& origin) {
  std::error_code error;
  if (value.find('+') == std::string::npos || fs::exists(value, error)) {
    return hardware_json(db, value, origin);
  }
  std::vector<planner::HardwareSpec> parts;
  for (const auto& part : split(value, '+')) {
    if (part.empty()) throw_usage("--hw {}: an empty machine between '+' signs", value);
    std::string part_origin;
    parts.push_back(planner::hardware_from_json(hardware_json(db, part, part_origin), part_origin));
  }
  origin = "--hw " + value;
  return planner::hardware_to_json(planner::combine_gpus(parts));
}

}  // namespace

std::vector<planner::HardwareSpec> resolve_hardware(const planner::ProfileDb& db,
                                                    const std::vector<std::string>& hw,
                                                    const std::vector<std::string>& hw_specs,
                                                    int64_t gpus,
                                                    std::vector<std::string>& warnings) {
  std::vector<planner::HardwareSpec> machines;
  if (hw.empty() && !hw_specs.empty()) {
    for (const auto& spec : hw_specs) {
      machines.push_back(planner::apply_hardware_overrides(nullptr, spec, "--hw-spec " + spec));
    }
  } else if (hw.empty()) {
    machines = db.hardware;
  } else {
    for (const auto& value : hw) {
      std::string origin;
      auto json = machine_json(db, value, origin);
      std::string overrides;
      for (const auto& spec : hw_specs) overrides += (overrides.empty() ? "" : ",") + spec;
      machines.push_back(
          overrides.empty()
              ? planner::hardware_from_json(json, origin)
              : planner::apply_hardware_overrides(
                    json, overrides, fmt::format("{} with --hw-spec {}", origin, overrides)));
    }
  }
  if (gpus < 0) throw_usage("--gpus: must be >= 1, got {}", gpus);
  if (gpus > 0) {
    for (auto& machine : machines) {
      if (machine.kind == planner::MemoryKind::kUnified) {
        warnings.push_back(
            fmt::format("--gpus {} ignored for {} (unified memory, one GPU)", gpus, machine.id));
        continue;
      }
      if (planner::mixed_gpus(machine)) {
        throw_usage("--gpus {}: {} lists its GPUs ({}); name the GPUs with --hw a+b instead", gpus,
                    machine.id, planner::gpu_list_text(machine));
      }
      machine.gpu_count = gpus;
    }
  }
  return machines;
}

}  // namespace hwplan::cli
