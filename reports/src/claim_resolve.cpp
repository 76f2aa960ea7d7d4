#include "reports/claim_resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>

#include "common/text_util.h"
#include "common/units.h"
#include "planner/weights.h"

namespace hwplan::reports {
namespace {

/// Chip names in claims and the bundled ids that carry them (the memory size picks among several).
struct ChipAlias {
  const char* needle;
  std::vector<std::string> ids;
};

const std::vector<ChipAlias>& chip_aliases() {
  static const std::vector<ChipAlias> kAliases = {
      {"m3 ultra", {"m3-ultra-96", "m3-ultra-192", "m3-ultra-256", "m3-ultra-512"}},
      {"m3 max", {"m3-max-128"}},
      {"m4 max", {"m4-max-128"}},
      {"m4 pro", {"m4-pro-64"}},
      {"m5 max", {"m5-max-128"}},
      {"dgx spark", {"dgx-spark"}},
      {"ryzen ai max", {"strix-halo-128"}},
      {"strix halo", {"strix-halo-128"}},
      {"rtx 5090", {"rtx-5090"}},
      {"rtx 4090", {"rtx-4090"}},
      {"rtx 3090", {"rtx-3090", "2x-rtx-3090", "4x-rtx-3090"}},
      {"rtx 6000 ada", {"rtx-6000-ada"}},
      {"7900 xtx", {"rx-7900-xtx"}},
      {"h100 pcie", {"h100-pcie"}},
      {"h100", {"h100-sxm"}},
      {"h200", {"h200"}},
  };
  return kAliases;
}

const planner::HardwareSpec* find_id(const planner::ProfileDb& db, const std::string& id) {
  for (const auto& h : db.hardware) {
    if (h.id == id) return &h;
  }
  return nullptr;
}

}  // namespace

std::vector<const planner::HardwareSpec*> machine_variants(const std::string& text,
                                                           const planner::ProfileDb& db) {
  const std::string t = to_lower(text);
  for (const auto& alias : chip_aliases()) {
    if (t.find(alias.needle) == std::string::npos) continue;
    std::vector<const planner::HardwareSpec*> out;
    for (const auto& id : alias.ids) {
      if (const auto* h = find_id(db, id)) out.push_back(h);
    }
    return out;
  }
  return {};
}

std::optional<ClaimMachine> resolve_claim_machine(const std::string& text,
                                                  const planner::ProfileDb& db,
                                                  std::vector<std::string>& assumptions) {
  const std::string t = to_lower(text);
  ClaimMachine m;
  if (t.find("ddr5") != std::string::npos && t.find("dual") != std::string::npos) {
    m.generic_ddr5_desktop = true;
    return m;
  }
  std::smatch match;
  if (std::regex_search(t, match, std::regex(R"(^(\d{1,4})\s*x\s)")))
    m.units = std::stoll(match[1].str());
  // The machine's own memory: the first "<n>GB" before any "+ ... system RAM".
  const std::string main_part = t.substr(0, t.find('+'));
  double memory_gb = 0;
  if (std::regex_search(main_part, match, std::regex(R"((\d{1,7})\s*gb)")))
    memory_gb = std::stod(match[1].str());
  const auto variants = machine_variants(text, db);
  if (variants.empty()) return std::nullopt;
  const planner::HardwareSpec* chosen = variants.front();
  if (variants.size() > 1) {
    // RTX 3090 rigs are bundled by GPU count; Mac variants by memory.
    bool found = false;
    for (const auto* v : variants) {
      const bool count_match = m.units > 1 && v->gpu_count == m.units;
      const bool memory_match =
          memory_gb > 0 && std::fabs(bytes_to_gib(v->memory_bytes) - memory_gb) < 1;
      if (count_match || memory_match) {
        chosen = v;
        found = true;
        break;
      }
    }
    if (found && chosen->gpu_count == m.units && m.units > 1)
      m.units = 1;  // the rig is the profile
    if (!found && memory_gb == 0 && m.units <= 1) {
      assumptions.push_back(fmt::format("'{}' names no memory size: {} assumed", text, chosen->id));
    }
  }
  m.spec = *chosen;
  // "+ 128GB system RAM": the host RAM the claim describes.
  if (std::regex_search(t, match, std::regex(R"(\+\s*(\d{1,7})\s*gb\s*system ram)"))) {
    m.spec.host_memory_bytes = gib_to_bytes(std::stod(match[1].str()));
    assumptions.push_back(fmt::format("host RAM set to {} GiB as the claim says", match[1].str()));
  }
  if (m.units > 1 && m.spec.kind == planner::MemoryKind::kUnified) {
    m.nodes = m.units;
    m.units = 1;
    m.link = "thunderbolt5";
    if (t.find("thunderbolt") == std::string::npos) {
      assumptions.emplace_back("machines in a cluster linked by Thunderbolt 5 (RDMA) assumed");
    }
  }
  return m;
}

const planner::ModelProfile* resolve_claim_model(const std::string& text,
                                                 const planner::ProfileDb& db,
                                                 std::vector<std::string>& assumptions) {
  const std::string key = letters_and_digits_lower(text);
  if (key.empty()) return nullptr;
  // A bundled id or name that the claim's name starts with (DeepSeek V3.1 -> deepseek-v3).
  const planner::ModelProfile* best = nullptr;
  size_t best_len = 0;
  for (const auto& m : db.models) {
    for (const std::string& candidate :
         {letters_and_digits_lower(m.spec.id), letters_and_digits_lower(m.spec.name)}) {
      if (!candidate.empty() && key.rfind(candidate, 0) == 0 && candidate.size() > best_len) {
        best = &m;
        best_len = candidate.size();
      }
    }
  }
  if (best != nullptr) {
    if (best_len < key.size()) {
      assumptions.push_back(
          fmt::format("'{}' taken as {} (same architecture and size)", text, best->spec.id));
    }
    return best;
  }
  // A bare size ("7B", "34B"): the bundled dense model closest in parameters.
  std::smatch match;
  const std::string t = to_lower(text);
  if (std::regex_match(t, match, std::regex(R"(\s*(\d{1,6}(\.\d{1,6})?)\s*b\s*)"))) {
    const double wanted = std::stod(match[1].str()) * 1e9;
    const auto& f16 = planner::find_quant(db.quants, "f16");
    double best_gap = 0.25;
    for (const auto& m : db.models) {
      if (planner::is_moe(m.spec)) continue;
      const double params = planner::total_params(planner::build_inventory(m.spec, f16));
      const double gap = std::fabs(params / wanted - 1.0);
      if (gap < best_gap) {
        best_gap = gap;
        best = &m;
      }
    }
    if (best != nullptr) {
      assumptions.push_back(fmt::format("a dense '{}' model taken as {}, the closest bundled size",
                                        text, best->spec.id));
    }
  }
  return best;
}

std::string resolve_claim_quant(const std::string& text, const planner::ProfileDb& db,
                                std::vector<std::string>& assumptions) {
  const std::string t = to_lower(text);
  if (t.empty()) {
    assumptions.emplace_back("no quantization given: Q4_K_M assumed (the most common download)");
    return "q4_k_m";
  }
  if (t == "4-bit" || t == "q4" || t == "int4") {
    assumptions.push_back(fmt::format("'{}' taken as Q4_K_M", text));
    return "q4_k_m";
  }
  if (t == "q2") {
    assumptions.emplace_back("'Q2' taken as Q2_K");
    return "q2_k";
  }
  if (t == "8-bit" || t == "q8") return "q8_0";
  for (const auto& q : db.quants.mixes) {
    if (q.id == t) return q.id;
  }
  assumptions.push_back(fmt::format("unknown quantization '{}': Q4_K_M assumed", text));
  return "q4_k_m";
}

}  // namespace hwplan::reports
