#pragma once
// Resolves --hw / --hw-spec / --gpus into the machines to plan for.

#include <string>
#include <vector>

#include "planner/hardware_spec.h"
#include "planner/profiles.h"

namespace hwplan::cli {

using planner::hardware_label;

/// Machines for `--hw` values (bundled id or profile path) with each `--hw-spec` applied to all of
/// them; with no --hw, each --hw-spec is one inline what-if machine; with neither, every bundled
/// machine. `gpus` > 0 sets gpu_count of discrete machines (unified ones are left alone, noted in
/// `warnings`).
std::vector<planner::HardwareSpec> resolve_hardware(const planner::ProfileDb& db,
                                                    const std::vector<std::string>& hw,
                                                    const std::vector<std::string>& hw_specs,
                                                    int64_t gpus,
                                                    std::vector<std::string>& warnings);

}  // namespace hwplan::cli
