#pragma once
// Free-text names in published claims ("Apple M3 Ultra (Mac Studio 96GB)", "4x NVIDIA RTX 3090
// rig", "Llama 3.1 70B", "4-bit") resolved to bundled profiles, with every guess stated.

#include <optional>
#include <string>
#include <vector>

#include "planner/profiles.h"

namespace hwplan::reports {

/// A machine a claim names.
struct ClaimMachine {
  planner::HardwareSpec spec;
  int64_t nodes = 1;  ///< identical machines in a cluster
  std::string link;   ///< between nodes
  int64_t units = 1;  ///< "4x" of a GPU or machine (aggregate figures multiply by it)
  bool generic_ddr5_desktop = false;  ///< "dual-channel DDR5 desktop": no bundled profile
};

/// Resolves a hardware text; nullopt when nothing bundled matches. Assumptions are appended.
std::optional<ClaimMachine> resolve_claim_machine(const std::string& text,
                                                  const planner::ProfileDb& db,
                                                  std::vector<std::string>& assumptions);

/// Every bundled variant of the machine a text names (e.g. all M3 Ultra memory sizes), for claims
/// that leave the size open.
std::vector<const planner::HardwareSpec*> machine_variants(const std::string& text,
                                                           const planner::ProfileDb& db);

/// Resolves a model text ("Llama 3.1 70B", "7B"); nullptr when nothing bundled is close.
const planner::ModelProfile* resolve_claim_model(const std::string& text,
                                                 const planner::ProfileDb& db,
                                                 std::vector<std::string>& assumptions);

/// Resolves a quantization text ("4-bit", "Q4", "Q4_K_M", "") to a bundled quant id.
std::string resolve_claim_quant(const std::string& text, const planner::ProfileDb& db,
                                std::vector<std::string>& assumptions);

}  // namespace hwplan::reports
