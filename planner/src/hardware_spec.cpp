#include "planner/hardware_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "common/error.h"
#include "common/json_util.h"
#include "common/limits.h"
#include "common/text_util.h"
#include "common/units.h"

namespace hwplan::planner {
namespace {

constexpr double kMaxMemoryGib = 1 << 20;    // 1 PiB: anything above is a typo
constexpr double kMaxBandwidthGbs = 100000;  // 100 TB/s
constexpr double kMaxTflops = 1e6;
// Unified machines with no explicit limit: macOS's default wired limit is 3/4 of RAM above 36 GB.
constexpr double kDefaultUnifiedLimitFraction = 0.75;

const std::vector<std::string> kBackends = {"cuda", "metal", "rocm", "vulkan", "cpu"};
const std::vector<std::string> kMemoryTypes = {"gddr6",   "gddr6x", "gddr7",   "hbm2e",
                                               "hbm3",    "hbm3e",  "lpddr4x", "lpddr5",
                                               "lpddr5x", "ddr4",   "ddr5"};
const std::vector<std::string> kInterconnects = {"none",         "pcie",     "nvlink",
                                                 "thunderbolt5", "ethernet", "infiniband"};

std::vector<Source> read_sources(JsonObject& root) {
  std::vector<Source> sources;
  const auto& list = root.array("sources");
  for (size_t i = 0; i < list.size(); ++i) {
    JsonObject entry(list[i], root.file(), fmt::format("/sources/{}", i));
    Source source{entry.string("title"), entry.optional_string("url").value_or(""),
                  entry.optional_string("accessed").value_or("")};
    entry.finish();
    sources.push_back(std::move(source));
  }
  return sources;
}

// price_parts: each part with a positive price; their sum must be price_usd (to the dollar).
std::vector<PricePart> read_price_parts(JsonObject& root, const std::optional<double>& price) {
  std::vector<PricePart> parts;
  const auto& list = root.array("price_parts");
  double sum = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    JsonObject entry(list[i], root.file(), fmt::format("/price_parts/{}", i));
    PricePart p{entry.string("part"), entry.number("usd", {0.0, 1e9, false}),
                entry.optional_string("note").value_or("")};
    entry.finish();
    sum += p.usd;
    parts.push_back(std::move(p));
  }
  if (parts.empty()) root.fail("price_parts", "must list at least one part");
  if (!price || std::abs(*price - sum) > 1.0) {
    root.fail("price_usd", fmt::format("must be the sum of price_parts ({:.0f}), got {}", sum,
                                       price ? fmt::format("{:.0f}", *price) : "none"));
  }
  return parts;
}

void read_unified(JsonObject& root, HardwareSpec& hw) {
  const double memory_gib = bytes_to_gib(hw.memory_bytes);
  const auto limit = root.optional_number("gpu_memory_limit_gib", NumberRange::positive());
  const double limit_gib = limit.value_or(memory_gib * kDefaultUnifiedLimitFraction);
  if (limit_gib > memory_gib) {
    root.fail("gpu_memory_limit_gib",
              fmt::format("{} GiB exceeds memory_gib ({} GiB)", limit_gib, memory_gib));
  }
  const double raised_gib =
      root.optional_number("gpu_memory_limit_raised_gib", NumberRange::positive())
          .value_or(limit_gib);
  if (raised_gib < limit_gib || raised_gib > memory_gib) {
    root.fail("gpu_memory_limit_raised_gib",
              fmt::format("must be between gpu_memory_limit_gib ({}) and memory_gib ({}), got {}",
                          limit_gib, memory_gib, raised_gib));
  }
  hw.gpu_memory_limit_bytes = gib_to_bytes(limit_gib);
  hw.gpu_memory_limit_raised_bytes = gib_to_bytes(raised_gib);
  hw.host_memory_bytes = hw.memory_bytes;
  hw.host_bandwidth_bytes_per_s = hw.bandwidth_bytes_per_s;
}

void read_discrete(JsonObject& root, HardwareSpec& hw) {
  const double reserved_gib =
      root.optional_number("gpu_memory_reserved_gib", NumberRange::non_negative()).value_or(0.0);
  if (gib_to_bytes(reserved_gib) >= hw.memory_bytes) {
    root.fail("gpu_memory_reserved_gib", "must be less than memory_gib");
  }
  hw.gpu_memory_reserved_bytes = gib_to_bytes(reserved_gib);
  hw.host_memory_bytes = gib_to_bytes(root.number("host_memory_gib", {0.0, kMaxMemoryGib, false}));
  hw.host_bandwidth_bytes_per_s =
      gbs_to_bytes_per_s(root.number("host_bandwidth_gbs", {0.0, kMaxBandwidthGbs, false}));
  hw.bus_bytes_per_s = gbs_to_bytes_per_s(root.number("bus_gbs", {0.0, kMaxBandwidthGbs, false}));
  hw.pcie_generation = root.optional_integer("pcie_generation", 1, 7).value_or(0);
  hw.pcie_lanes = root.optional_integer("pcie_lanes", 1, 32).value_or(0);
}

// The per-GPU fields (GPU 0's when the GPUs differ) as a GpuSpec.
GpuSpec top_level_gpu(const HardwareSpec& hw) {
  return {hw.name,
          hw.memory_bytes,
          hw.bandwidth_bytes_per_s,
          hw.fp16_flop_per_s,
          hw.int8_op_per_s,
          hw.gpu_memory_reserved_bytes,
          hw.runtime_overhead_bytes,
          hw.bus_bytes_per_s};
}

void set_top_level_gpu(HardwareSpec& hw, const GpuSpec& gpu) {
  hw.memory_bytes = gpu.memory_bytes;
  hw.bandwidth_bytes_per_s = gpu.bandwidth_bytes_per_s;
  hw.fp16_flop_per_s = gpu.fp16_flop_per_s;
  hw.int8_op_per_s = gpu.int8_op_per_s;
  hw.gpu_memory_reserved_bytes = gpu.gpu_memory_reserved_bytes;
  hw.runtime_overhead_bytes = gpu.runtime_overhead_bytes;
  hw.bus_bytes_per_s = gpu.bus_bytes_per_s;
}

// Memory, bandwidth, FP16 (required) and int8 (optional) of one GPU: at the top level of a
// profile whose GPUs are alike, or in each entry of "gpus".
GpuSpec read_gpu_figures(JsonObject& object) {
  GpuSpec g;
  g.memory_bytes = gib_to_bytes(object.number("memory_gib", {0.0, kMaxMemoryGib, false}));
  g.bandwidth_bytes_per_s =
      gbs_to_bytes_per_s(object.number("bandwidth_gbs", {0.0, kMaxBandwidthGbs, false}));
  g.fp16_flop_per_s = tflops_to_flop_per_s(object.number("fp16_tflops", {0.0, kMaxTflops, false}));
  g.int8_op_per_s = tflops_to_flop_per_s(
      object.optional_number("int8_tops", {0.0, kMaxTflops, false}).value_or(0.0));
  return g;
}

// The figures each GPU of a mixed machine must state; the others default to the top level's.
const std::vector<std::string> kPerGpuKeys = {"memory_gib", "bandwidth_gbs", "fp16_tflops"};

// "gpus": one object per GPU of a machine whose GPUs differ (discrete only, gpu_count entries).
std::vector<GpuSpec> read_gpus(JsonObject& root, int64_t gpu_count) {
  const auto& list = root.array("gpus");
  if (static_cast<int64_t>(list.size()) != gpu_count) {
    root.fail("gpus", fmt::format("lists {} GPU(s) but gpu_count is {}", list.size(), gpu_count));
  }
  for (const auto& key : kPerGpuKeys) {
    if (root.has(key)) {
      root.fail(key, "a machine with a gpus list states each GPU's figures there, not at the top");
    }
  }
  std::vector<GpuSpec> gpus;
  for (size_t i = 0; i < list.size(); ++i) {
    JsonObject entry(list[i], root.file(), fmt::format("/gpus/{}", i));
    GpuSpec g = read_gpu_figures(entry);
    g.name = entry.string("name");
    // Optional per GPU; the top-level value (read later) fills what is missing: NaN marks it.
    auto optional_gib = [&entry](const char* key) {
      const auto v = entry.optional_number(key, NumberRange::non_negative());
      return v ? gib_to_bytes(*v) : std::nan("");
    };
    g.gpu_memory_reserved_bytes = optional_gib("gpu_memory_reserved_gib");
    g.runtime_overhead_bytes = optional_gib("runtime_overhead_gib");
    const auto bus = entry.optional_number("bus_gbs", {0.0, kMaxBandwidthGbs, false});
    g.bus_bytes_per_s = bus ? gbs_to_bytes_per_s(*bus) : std::nan("");
    entry.finish();
    if (!std::isnan(g.gpu_memory_reserved_bytes) && g.gpu_memory_reserved_bytes >= g.memory_bytes) {
      entry.fail("gpu_memory_reserved_gib", "must be less than memory_gib");
    }
    gpus.push_back(std::move(g));
  }
  return gpus;
}

// Fills each listed GPU's unstated figures from the top level, then the top level from GPU 0.
void complete_gpus(JsonObject& root, HardwareSpec& hw) {
  for (size_t i = 0; i < hw.gpus.size(); ++i) {
    auto& g = hw.gpus[i];
    if (std::isnan(g.gpu_memory_reserved_bytes))
      g.gpu_memory_reserved_bytes = hw.gpu_memory_reserved_bytes;
    if (std::isnan(g.runtime_overhead_bytes)) g.runtime_overhead_bytes = hw.runtime_overhead_bytes;
    if (std::isnan(g.bus_bytes_per_s)) g.bus_bytes_per_s = hw.bus_bytes_per_s;
    if (g.gpu_memory_reserved_bytes >= g.memory_bytes) {
      root.fail(fmt::format("gpus/{}/memory_gib", i),
                "must exceed the VRAM the driver keeps (gpu_memory_reserved_gib)");
    }
  }
  set_top_level_gpu(hw, hw.gpus.front());
}

}  // namespace

const std::vector<std::string>& backend_names() { return kBackends; }

const char* memory_kind_name(MemoryKind kind) {
  return kind == MemoryKind::kUnified ? "unified" : "discrete";
}

HardwareSpec hardware_from_json(const nlohmann::json& json, const std::string& origin) {
  JsonObject root(json, origin, "");
  HardwareSpec hw;
  root.integer("schema_version", 1, 1);
  hw.id = root.string("id");
  if (hw.id.empty()) root.fail("id", "must not be empty");
  hw.name = root.string("name");
  hw.kind = root.choice("kind", {"unified", "discrete"}) == "unified" ? MemoryKind::kUnified
                                                                      : MemoryKind::kDiscrete;
  hw.memory_type = root.has("memory_type") ? root.choice("memory_type", kMemoryTypes) : "";
  root.ignore("memory_type");
  hw.backend = backend_from_name(root.choice("backend", kBackends));
  hw.gpu_count = root.integer("gpu_count", 1, 64);
  if (hw.kind == MemoryKind::kUnified && hw.gpu_count != 1) {
    root.fail("gpu_count", "a unified-memory machine has one GPU (use interconnect for clusters)");
  }
  if (root.has("gpus") && hw.kind == MemoryKind::kUnified)
    root.fail("gpus", "a unified-memory machine has one GPU");
  if (root.has("gpus")) hw.gpus = read_gpus(root, hw.gpu_count);
  // The top level's per-GPU figures are GPU 0's when the GPUs are listed (read_discrete checks
  // the reserve against them).
  const GpuSpec first = hw.gpus.empty() ? read_gpu_figures(root) : hw.gpus.front();
  hw.memory_bytes = first.memory_bytes;
  hw.bandwidth_bytes_per_s = first.bandwidth_bytes_per_s;
  hw.fp16_flop_per_s = first.fp16_flop_per_s;
  hw.int8_op_per_s = first.int8_op_per_s;
  hw.runtime_overhead_bytes = gib_to_bytes(
      root.optional_number("runtime_overhead_gib", NumberRange::non_negative()).value_or(0.0));
  hw.host_reserved_bytes = gib_to_bytes(
      root.optional_number("host_reserved_gib", NumberRange::non_negative()).value_or(0.0));
  hw.host_cores = root.optional_integer("host_cores", 1, limits::kMaxThreads).value_or(0);
  if (hw.kind == MemoryKind::kUnified) {
    read_unified(root, hw);
  } else {
    read_discrete(root, hw);
  }
  if (!hw.gpus.empty()) complete_gpus(root, hw);
  if (hw.host_reserved_bytes >= hw.host_memory_bytes) {
    root.fail("host_reserved_gib", "must be less than the host memory");
  }
  hw.interconnect = root.optional_string("interconnect").value_or("none");
  if (std::find(kInterconnects.begin(), kInterconnects.end(), hw.interconnect) ==
      kInterconnects.end()) {
    root.fail("interconnect", fmt::format("must be one of {}, got \"{}\"",
                                          fmt::join(kInterconnects, ", "), hw.interconnect));
  }
  hw.interconnect_bytes_per_s = gbs_to_bytes_per_s(
      root.optional_number("interconnect_gbs", NumberRange::non_negative()).value_or(0.0));
  hw.power_idle_w = root.optional_number("power_idle_w", NumberRange::non_negative()).value_or(0);
  hw.power_load_w = root.optional_number("power_load_w", NumberRange::non_negative()).value_or(0);
  if (hw.power_load_w > 0 && hw.power_idle_w > hw.power_load_w) {
    root.fail("power_idle_w", "must not exceed power_load_w");
  }
  hw.price_usd = root.optional_number("price_usd", NumberRange::positive());
  hw.price_date = root.optional_string("price_date").value_or("");
  hw.price_note = root.optional_string("price_note").value_or("");
  if (root.has("price_parts")) hw.price_parts = read_price_parts(root, hw.price_usd);
  hw.notes = root.optional_string("notes").value_or("");
  if (root.has("status")) hw.status = root.choice("status", {"estimate", "announced", "not sold"});
  hw.sources = root.has("sources") ? read_sources(root) : std::vector<Source>{};
  root.ignore("sources");
  root.ignore("measured");  // written by `hwplan probe`; the planner reads the top-level figures
  root.finish();
  return hw;
}

nlohmann::json hardware_to_json(const HardwareSpec& hw) {
  nlohmann::json j;
  j["schema_version"] = 1;
  j["id"] = hw.id;
  j["name"] = hw.name;
  j["kind"] = memory_kind_name(hw.kind);
  if (!hw.memory_type.empty()) j["memory_type"] = hw.memory_type;
  j["backend"] = backend_name(hw.backend);
  j["gpu_count"] = hw.gpu_count;
  if (hw.gpus.empty()) {
    j["memory_gib"] = bytes_to_gib(hw.memory_bytes);
    j["bandwidth_gbs"] = bytes_per_s_to_gbs(hw.bandwidth_bytes_per_s);
    j["fp16_tflops"] = flop_per_s_to_tflops(hw.fp16_flop_per_s);
    if (hw.int8_op_per_s > 0) j["int8_tops"] = flop_per_s_to_tflops(hw.int8_op_per_s);
  } else {
    j["gpus"] = nlohmann::json::array();
    for (const auto& g : hw.gpus) {
      nlohmann::json gpu{{"name", g.name},
                         {"memory_gib", bytes_to_gib(g.memory_bytes)},
                         {"bandwidth_gbs", bytes_per_s_to_gbs(g.bandwidth_bytes_per_s)},
                         {"fp16_tflops", flop_per_s_to_tflops(g.fp16_flop_per_s)},
                         {"gpu_memory_reserved_gib", bytes_to_gib(g.gpu_memory_reserved_bytes)},
                         {"runtime_overhead_gib", bytes_to_gib(g.runtime_overhead_bytes)},
                         {"bus_gbs", bytes_per_s_to_gbs(g.bus_bytes_per_s)}};
      if (g.int8_op_per_s > 0) gpu["int8_tops"] = flop_per_s_to_tflops(g.int8_op_per_s);
      j["gpus"].push_back(gpu);
    }
  }
  if (hw.kind == MemoryKind::kUnified) {
    j["gpu_memory_limit_gib"] = bytes_to_gib(hw.gpu_memory_limit_bytes);
    j["gpu_memory_limit_raised_gib"] = bytes_to_gib(hw.gpu_memory_limit_raised_bytes);
  } else {
    j["gpu_memory_reserved_gib"] = bytes_to_gib(hw.gpu_memory_reserved_bytes);
    j["host_memory_gib"] = bytes_to_gib(hw.host_memory_bytes);
    j["host_bandwidth_gbs"] = bytes_per_s_to_gbs(hw.host_bandwidth_bytes_per_s);
    j["bus_gbs"] = bytes_per_s_to_gbs(hw.bus_bytes_per_s);
    if (hw.pcie_generation > 0) j["pcie_generation"] = hw.pcie_generation;
    if (hw.pcie_lanes > 0) j["pcie_lanes"] = hw.pcie_lanes;
  }
  j["runtime_overhead_gib"] = bytes_to_gib(hw.runtime_overhead_bytes);
  j["host_reserved_gib"] = bytes_to_gib(hw.host_reserved_bytes);
  if (hw.host_cores > 0) j["host_cores"] = hw.host_cores;
  j["interconnect"] = hw.interconnect;
  j["interconnect_gbs"] = bytes_per_s_to_gbs(hw.interconnect_bytes_per_s);
  j["power_idle_w"] = hw.power_idle_w;
  j["power_load_w"] = hw.power_load_w;
  if (hw.price_usd) j["price_usd"] = *hw.price_usd;
  if (!hw.price_date.empty()) j["price_date"] = hw.price_date;
  if (!hw.price_note.empty()) j["price_note"] = hw.price_note;
  if (!hw.status.empty()) j["status"] = hw.status;
  if (!hw.price_parts.empty()) {
    j["price_parts"] = nlohmann::json::array();
    for (const auto& p : hw.price_parts) {
      nlohmann::json part{{"part", p.part}, {"usd", p.usd}};
      if (!p.note.empty()) part["note"] = p.note;
      j["price_parts"].push_back(part);
    }
  }
  if (!hw.notes.empty()) j["notes"] = hw.notes;
  j["sources"] = nlohmann::json::array();
  for (const auto& source : hw.sources) {
    j["sources"].push_back(
        {{"title", source.title}, {"url", source.url}, {"accessed", source.accessed}});
  }
  return j;
}

HardwareSpec apply_hardware_overrides(const nlohmann::json& base, const std::string& overrides,
                                      const std::string& origin) {
  nlohmann::json json = base;
  std::vector<std::string> assumed;
  if (json.is_null()) {
    // An inline what-if machine: only what a user is likely to type is required; the rest gets
    // a typical value, named in the notes so nobody mistakes it for a measurement.
    json = {{"schema_version", 1},         {"id", "what-if"},         {"name", "what-if machine"},
            {"backend", "vulkan"},         {"gpu_count", 1},          {"fp16_tflops", 50.0},
            {"runtime_overhead_gib", 0.5}, {"host_reserved_gib", 4.0}};
    assumed = {"backend=vulkan", "fp16_tflops=50", "runtime_overhead_gib=0.5",
               "host_reserved_gib=4"};
  }
  for (const auto& pair : split(overrides, ',')) {
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw_usage("{}: \"{}\" is not key=value (e.g. memory_gib=128)", origin, pair);
    }
    const std::string key = trim(pair.substr(0, eq));
    const std::string value = trim(pair.substr(eq + 1));
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    const bool numeric = !value.empty() && end == value.c_str() + value.size();
    // A price given here replaces the profile's breakdown of it.
    if (key == "price_usd") json.erase("price_parts");
    if (key == "gpu_count" || key == "pcie_generation" || key == "pcie_lanes" ||
        key == "host_cores") {
      // A whole number becomes an integer; any other number stays as given, for the profile's
      // own check to name (converting 2.5 or 1e30 to an integer would hide it or overflow).
      const bool whole = numeric && std::fabs(number) < 1e15 && number == std::floor(number);
      json[key] = whole     ? nlohmann::json(static_cast<int64_t>(number))
                  : numeric ? nlohmann::json(number)
                            : nlohmann::json(value);
    } else {
      json[key] = numeric ? nlohmann::json(number) : nlohmann::json(value);
    }
  }
  if (base.is_null()) {
    const bool discrete = json.value("kind", "") == "discrete";
    if (discrete) {
      for (const auto& [key, value] :
           {std::pair{"host_memory_gib", 64.0}, {"host_bandwidth_gbs", 89.6}, {"bus_gbs", 31.5}}) {
        if (!json.contains(key)) {
          json[key] = value;
          assumed.push_back(fmt::format("{}={}", key, value));
        }
      }
    }
    json["name"] = fmt::format("what-if ({})", overrides);
    json["notes"] = fmt::format("inline machine; assumed {}", fmt::join(assumed, ", "));
  }
  return hardware_from_json(json, origin);
}

MemoryClass memory_class(const HardwareSpec& hw) {
  if (hw.backend == Backend::kCpu) return MemoryClass::kHost;
  if (hw.kind == MemoryKind::kUnified) return MemoryClass::kUnified;
  return hw.memory_type.rfind("hbm", 0) == 0 ? MemoryClass::kHbm : MemoryClass::kGddr;
}

const char* memory_class_name(MemoryClass memory_class) {
  switch (memory_class) {
    case MemoryClass::kHbm:
      return "hbm";
    case MemoryClass::kGddr:
      return "gddr";
    case MemoryClass::kUnified:
      return "unified";
    case MemoryClass::kHost:
      return "host";
  }
  return "gddr";
}

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::kCuda:
      return "cuda";
    case Backend::kMetal:
      return "metal";
    case Backend::kRocm:
      return "rocm";
    case Backend::kVulkan:
      return "vulkan";
    case Backend::kCpu:
      return "cpu";
  }
  return "cuda";
}

Backend backend_from_name(const std::string& name) {
  for (const Backend b :
       {Backend::kCuda, Backend::kMetal, Backend::kRocm, Backend::kVulkan, Backend::kCpu}) {
    if (name == backend_name(b)) return b;
  }
  throw_usage("backend '{}' is not one of {}", name, fmt::join(kBackends, ", "));
}

double usable_gpu_bytes(const HardwareSpec& hw, LimitMode mode) {
  if (hw.kind == MemoryKind::kUnified) {
    return mode == LimitMode::kRaised ? hw.gpu_memory_limit_raised_bytes
                                      : hw.gpu_memory_limit_bytes;
  }
  return hw.memory_bytes - hw.gpu_memory_reserved_bytes;
}

double usable_gpu_bytes_of(const HardwareSpec& hw, int64_t index) {
  if (hw.gpus.empty()) return usable_gpu_bytes(hw, LimitMode::kDefault);
  const auto& g = hw.gpus.at(static_cast<size_t>(index));
  return g.memory_bytes - g.gpu_memory_reserved_bytes;
}

std::vector<double> default_split_proportions(const HardwareSpec& hw) {
  std::vector<double> usable;
  for (int64_t i = 0; i < hw.gpu_count; ++i) usable.push_back(usable_gpu_bytes_of(hw, i));
  const bool alike =
      std::adjacent_find(usable.begin(), usable.end(), std::not_equal_to<>()) == usable.end();
  return alike ? std::vector<double>{} : usable;
}

GpuSpec gpu_spec(const HardwareSpec& hw, int64_t index) {
  if (hw.gpus.empty()) return top_level_gpu(hw);
  return hw.gpus.at(static_cast<size_t>(index));
}

bool mixed_gpus(const HardwareSpec& hw) { return !hw.gpus.empty(); }

std::string gpu_list_text(const HardwareSpec& hw) {
  if (hw.gpus.empty()) return hw.gpu_count > 1 ? fmt::format("{} GPUs", hw.gpu_count) : "the GPU";
  std::vector<std::string> names;
  for (const auto& g : hw.gpus) names.push_back(g.name);
  return fmt::format("{}", fmt::join(names, " + "));
}

HardwareSpec combine_gpus(const std::vector<HardwareSpec>& parts) {
  if (parts.empty()) throw_input("no machines to combine");
  HardwareSpec hw = parts.front();
  std::vector<std::string> ids;
  hw.gpus.clear();
  for (const auto& part : parts) {
    if (part.kind != MemoryKind::kDiscrete) {
      throw_input("{}: a unified-memory machine; only discrete GPUs can share a host", part.id);
    }
    if (part.backend != hw.backend) {
      throw_input(
          "{} ({}) and {} ({}): llama.cpp runs one GPU backend per process; use two "
          "profiles of one backend (e.g. both vulkan)",
          parts.front().id, backend_name(hw.backend), part.id, backend_name(part.backend));
    }
    ids.push_back(part.id);
    for (int64_t i = 0; i < part.gpu_count; ++i) {
      auto g = gpu_spec(part, i);
      if (part.gpus.empty()) g.name = part.id;
      hw.gpus.push_back(g);
    }
  }
  hw.gpu_count = static_cast<int64_t>(hw.gpus.size());
  set_top_level_gpu(hw, hw.gpus.front());
  hw.id = fmt::format("{}", fmt::join(ids, "+"));
  hw.name = fmt::format("{} in one host (the host of {})", fmt::join(ids, " + "), parts.front().id);
  for (size_t i = 1; i < parts.size(); ++i) {
    // Each further card adds its load above its host's idle draw (an estimate).
    hw.power_load_w += std::max(0.0, parts[i].power_load_w - parts[i].power_idle_w);
  }
  hw.price_usd.reset();
  hw.price_parts.clear();
  hw.price_date.clear();
  hw.price_note = "a combination of profiles: price the parts yourself (--price)";
  hw.status = "not sold";
  hw.notes = fmt::format("GPUs of {} in the host of {}", fmt::join(ids, ", "), parts.front().id);
  return hw;
}

double usable_host_bytes(const HardwareSpec& hw) {
  return hw.host_memory_bytes - hw.host_reserved_bytes;
}

int64_t placement_gpu_count(const HardwareSpec& hw) {
  return hw.backend == Backend::kCpu ? 0 : hw.gpu_count;
}

std::string hardware_label(const HardwareSpec& hardware) {
  return hardware.status.empty() ? hardware.id : hardware.id + " (" + hardware.status + ")";
}

}  // namespace hwplan::planner
