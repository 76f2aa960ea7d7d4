#include "planner/efficiency.h"

#include <fmt/format.h>

#include "common/json_util.h"

namespace hwplan::planner {

Efficiency efficiency_for(const EfficiencyTable& table, const std::string& backend,
                          const std::string& memory_class, std::string* fallback) {
  auto note = [&](std::string text) {
    if (fallback != nullptr) *fallback = std::move(text);
  };
  note("");
  for (const auto& g : table.groups) {
    if (g.backend == backend && g.memory_class == memory_class) return g;
  }
  for (const auto& g : table.groups) {
    if (g.backend == "*" && g.memory_class == memory_class) {
      note(fmt::format("no measurements for {} on {} memory; using the pooled {} factors", backend,
                       memory_class, memory_class));
      Efficiency e = g;
      e.backend = backend;
      return e;
    }
  }
  for (const auto& g : table.groups) {
    if (g.backend == backend) {
      note(fmt::format("no measurements for {} on {} memory; using {} on {} memory", backend,
                       memory_class, g.backend, g.memory_class));
      return g;
    }
  }
  note("no calibration for this backend; default factors");
  Efficiency e;
  e.backend = backend;
  e.memory_class = memory_class;
  return e;
}

EfficiencyTable efficiency_table_from_json(const nlohmann::json& json, const std::string& origin) {
  JsonObject root(json, origin, "/efficiency");
  EfficiencyTable table;
  table.cpu_bandwidth_fraction = root.number("cpu_bandwidth_fraction", {0.0, 1.5, false});
  table.bus_fraction = root.number("bus_fraction", {0.0, 1.0, false});
  table.fitted_from = root.string("fitted_from");
  const auto& groups = root.array("groups");
  for (size_t i = 0; i < groups.size(); ++i) {
    JsonObject g(groups[i], origin, fmt::format("/efficiency/groups/{}", i));
    Efficiency e;
    e.backend = g.string("backend");
    e.memory_class = g.choice("memory_class", {"gddr", "hbm", "unified"});
    // Above 1 would mean faster than the datasheet peak; a little headroom for rounding.
    e.bandwidth_fraction = g.number("bandwidth_fraction", {0.0, 1.2, false});
    e.layer_overhead_seconds = g.number("layer_overhead_seconds", NumberRange::non_negative());
    e.decode_compute_factor = g.number("decode_compute_factor", NumberRange::non_negative());
    e.compute_fraction = g.number("compute_fraction", {0.0, 1.2, false});
    e.prefill_activation_factor =
        g.number("prefill_activation_factor", NumberRange::non_negative());
    e.prefill_layer_overhead_seconds =
        g.number("prefill_layer_overhead_seconds", NumberRange::non_negative());
    e.decode_rows = g.integer("decode_rows", 0);
    e.prefill_rows = g.integer("prefill_rows", 0);
    e.decode_error_p80 = g.number("decode_error_p80", NumberRange::non_negative());
    e.prefill_error_p80 = g.number("prefill_error_p80", NumberRange::non_negative());
    g.finish();
    table.groups.push_back(e);
  }
  root.finish();
  return table;
}

nlohmann::json efficiency_table_to_json(const EfficiencyTable& table) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& e : table.groups) {
    groups.push_back({{"backend", e.backend},
                      {"memory_class", e.memory_class},
                      {"bandwidth_fraction", e.bandwidth_fraction},
                      {"layer_overhead_seconds", e.layer_overhead_seconds},
                      {"decode_compute_factor", e.decode_compute_factor},
                      {"compute_fraction", e.compute_fraction},
                      {"prefill_activation_factor", e.prefill_activation_factor},
                      {"prefill_layer_overhead_seconds", e.prefill_layer_overhead_seconds},
                      {"decode_rows", e.decode_rows},
                      {"prefill_rows", e.prefill_rows},
                      {"decode_error_p80", e.decode_error_p80},
                      {"prefill_error_p80", e.prefill_error_p80}});
  }
  return {{"cpu_bandwidth_fraction", table.cpu_bandwidth_fraction},
          {"bus_fraction", table.bus_fraction},
          {"fitted_from", table.fitted_from},
          {"groups", groups}};
}

}  // namespace hwplan::planner
