#include "planner/efficiency.h"

#include <fmt/format.h>

#include <algorithm>

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

HostClass host_class(double host_bytes_per_s) {
  if (host_bytes_per_s <= 110e9) return HostClass::kDesktop;
  if (host_bytes_per_s <= 320e9) return HostClass::kWorkstation;
  return HostClass::kServer;
}

const char* host_class_name(HostClass host_class) {
  switch (host_class) {
    case HostClass::kDesktop:
      return "desktop";
    case HostClass::kWorkstation:
      return "workstation";
    case HostClass::kServer:
      return "server";
  }
  return "desktop";
}

double cpu_fraction_for(const EfficiencyTable& table, double host_bytes_per_s) {
  const std::string name = host_class_name(host_class(host_bytes_per_s));
  for (const auto& h : table.hosts) {
    if (h.host_class == name && h.rows > 0) return h.bandwidth_fraction;
  }
  return table.cpu_bandwidth_fraction;
}

namespace {

const ErrorBand* find_band(const EfficiencyTable& table, const std::string& placement,
                           const std::string& backend, const std::string& memory_class) {
  for (const auto& b : table.bands) {
    if (b.placement == placement && b.backend == backend && b.memory_class == memory_class)
      return &b;
  }
  return nullptr;
}

// A placement kind in words: "CPU-only", "partial-offload".
std::string placement_words(const std::string& placement) {
  if (placement == "cpu") return "CPU-only";
  std::string words = placement;
  std::replace(words.begin(), words.end(), '_', '-');
  return words;
}

// One metric's band: its own class's 80th percentile, else a pooled one widened; `where` names
// the pooled residuals used ("" when its own).
void choose_band(const EfficiencyTable& table, const std::string& placement,
                 const std::string& backend, const std::string& memory_class, bool decode,
                 double& band, int64_t& own_rows, std::string& where) {
  auto rows_of = [decode](const ErrorBand& b) { return decode ? b.decode_rows : b.prefill_rows; };
  auto p80_of = [decode](const ErrorBand& b) { return decode ? b.decode_p80 : b.prefill_p80; };
  const ErrorBand* own = find_band(table, placement, backend, memory_class);
  own_rows = own == nullptr ? 0 : rows_of(*own);
  band = 0;
  if (own != nullptr && own_rows >= kMinBandRows) {
    band = p80_of(*own);
    return;
  }
  for (const auto* pooled :
       {find_band(table, placement, "*", "*"), find_band(table, "*", "*", "*")}) {
    if (pooled == nullptr || rows_of(*pooled) < kMinBandRows) continue;
    band = kBorrowedBandWidening * p80_of(*pooled);
    where = pooled->placement == "*"
                ? "all measured runs"
                : fmt::format("all measured {} runs", placement_words(placement));
    return;
  }
}

}  // namespace

std::string band_class_words(const std::string& placement, const std::string& backend,
                             const std::string& memory_class) {
  if (placement == "cpu") return placement_words(placement);
  return fmt::format("{} {} {}", placement_words(placement), backend, memory_class);
}

BandChoice error_band_for(const EfficiencyTable& table, const std::string& placement,
                          const std::string& backend, const std::string& memory_class) {
  BandChoice c;
  std::string decode_where, prefill_where;
  choose_band(table, placement, backend, memory_class, true, c.decode, c.decode_rows, decode_where);
  choose_band(table, placement, backend, memory_class, false, c.prefill, c.prefill_rows,
              prefill_where);
  const std::string runs = band_class_words(placement, backend, memory_class);
  auto borrowed = [&](const char* metric, int64_t rows, const std::string& where) {
    return fmt::format("{} band from {} widened {:.1f}x ({} measured {} runs, fewer than {})",
                       metric, where, kBorrowedBandWidening, rows, runs, kMinBandRows);
  };
  if (!decode_where.empty() && decode_where == prefill_where) {
    c.note = fmt::format("bands from {} widened {:.1f}x ({} measured {} runs, fewer than {})",
                         decode_where, kBorrowedBandWidening, c.decode_rows, runs, kMinBandRows);
  } else {
    if (!decode_where.empty()) c.note = borrowed("decode", c.decode_rows, decode_where);
    if (!prefill_where.empty()) {
      c.note += (c.note.empty() ? "" : "; ") + borrowed("prefill", c.prefill_rows, prefill_where);
    }
  }
  return c;
}

double achieved_pipeline_speedup(const EfficiencyTable& table, double ideal_speedup) {
  return 1.0 + table.pipeline_overlap * (ideal_speedup - 1.0);
}

EfficiencyTable efficiency_table_from_json(const nlohmann::json& json, const std::string& origin) {
  JsonObject root(json, origin, "/efficiency");
  EfficiencyTable table;
  table.cpu_bandwidth_fraction = root.number("cpu_bandwidth_fraction", {0.0, 1.5, false});
  table.bus_fraction = root.number("bus_fraction", {0.0, 1.0, false});
  table.pipeline_overlap = root.optional_number("pipeline_overlap", {0.0, 1.0, true}).value_or(1.0);
  table.cache_reread_fraction =
      root.optional_number("cache_reread_fraction", {0.0, 1.0, true}).value_or(1.0);
  table.cache_reread_rows = root.optional_integer("cache_reread_rows", 0, 1000000).value_or(0);
  table.cpu_core_flop_per_s =
      root.optional_number("cpu_core_gflops", NumberRange::non_negative()).value_or(0) * 1e9;
  table.cpu_prefill_fraction =
      root.optional_number("cpu_prefill_fraction", {0.0, 1.0, true}).value_or(0);
  table.cpu_prefill_rows = root.optional_integer("cpu_prefill_rows", 0, 1000000).value_or(0);
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
    e.prefill_expert_factor =
        g.optional_number("prefill_expert_factor", NumberRange::non_negative()).value_or(0);
    e.prefill_quant_factor =
        g.optional_number("prefill_quant_factor", NumberRange::non_negative()).value_or(0);
    e.prefill_attention_fraction =
        g.optional_number("prefill_attention_fraction", {0.0, 1.2, true}).value_or(0);
    e.prefill_layer_overhead_seconds =
        g.number("prefill_layer_overhead_seconds", NumberRange::non_negative());
    e.decode_rows = g.integer("decode_rows", 0);
    e.prefill_rows = g.integer("prefill_rows", 0);
    g.finish();
    table.groups.push_back(e);
  }
  if (root.has("hosts")) {
    const auto& hosts = root.array("hosts");
    for (size_t i = 0; i < hosts.size(); ++i) {
      JsonObject h(hosts[i], origin, fmt::format("/efficiency/hosts/{}", i));
      HostEfficiency host;
      host.host_class = h.choice("host_class", {"desktop", "workstation", "server"});
      host.bandwidth_fraction = h.number("bandwidth_fraction", {0.0, 1.2, false});
      host.rows = h.integer("rows", 0);
      h.finish();
      table.hosts.push_back(host);
    }
  }
  if (root.has("engines")) table.engines = engines_from_json(root.array("engines"), origin);
  if (root.has("bands")) {
    const auto& bands = root.array("bands");
    for (size_t i = 0; i < bands.size(); ++i) {
      JsonObject b(bands[i], origin, fmt::format("/efficiency/bands/{}", i));
      ErrorBand band;
      band.placement = b.string("placement");
      band.backend = b.string("backend");
      band.memory_class = b.string("memory_class");
      band.decode_rows = b.integer("decode_rows", 0);
      band.decode_p80 = b.number("decode_p80", NumberRange::non_negative());
      band.prefill_rows = b.integer("prefill_rows", 0);
      band.prefill_p80 = b.number("prefill_p80", NumberRange::non_negative());
      b.finish();
      table.bands.push_back(band);
    }
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
                      {"prefill_expert_factor", e.prefill_expert_factor},
                      {"prefill_quant_factor", e.prefill_quant_factor},
                      {"prefill_attention_fraction", e.prefill_attention_fraction},
                      {"prefill_layer_overhead_seconds", e.prefill_layer_overhead_seconds},
                      {"decode_rows", e.decode_rows},
                      {"prefill_rows", e.prefill_rows}});
  }
  nlohmann::json hosts = nlohmann::json::array();
  for (const auto& h : table.hosts) {
    hosts.push_back({{"host_class", h.host_class},
                     {"bandwidth_fraction", h.bandwidth_fraction},
                     {"rows", h.rows}});
  }
  nlohmann::json bands = nlohmann::json::array();
  for (const auto& b : table.bands) {
    bands.push_back({{"placement", b.placement},
                     {"backend", b.backend},
                     {"memory_class", b.memory_class},
                     {"decode_rows", b.decode_rows},
                     {"decode_p80", b.decode_p80},
                     {"prefill_rows", b.prefill_rows},
                     {"prefill_p80", b.prefill_p80}});
  }
  return {{"cpu_bandwidth_fraction", table.cpu_bandwidth_fraction},
          {"hosts", hosts},
          {"engines", engines_to_json(table.engines)},
          {"cpu_core_gflops", table.cpu_core_flop_per_s / 1e9},
          {"cpu_prefill_fraction", table.cpu_prefill_fraction},
          {"cpu_prefill_rows", table.cpu_prefill_rows},
          {"bands", bands},
          {"bus_fraction", table.bus_fraction},
          {"pipeline_overlap", table.pipeline_overlap},
          {"cache_reread_fraction", table.cache_reread_fraction},
          {"cache_reread_rows", table.cache_reread_rows},
          {"fitted_from", table.fitted_from},
          {"groups", groups}};
}

}  // namespace hwplan::planner
