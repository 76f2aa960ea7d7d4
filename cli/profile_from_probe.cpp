#include "profile_from_probe.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/json_util.h"
#include "common/text_util.h"
#include "common/units.h"
#include "probes/bandwidth.h"
#include "probes/probe.h"
#include "probes/usable_memory.h"

namespace hwplan::cli {
namespace {

namespace fs = std::filesystem;

nlohmann::json samples_json(const probes::Samples& s) {
  return {{"best", s.best}, {"median", s.median}, {"min", s.min},
          {"max", s.max},   {"stddev", s.stddev}, {"samples", s.values}};
}

/// The GPU probe's results (CUDA builds on a machine with a GPU), or why it was skipped.
nlohmann::json gpu_json(const probes::GpuMeasurement& g) {
  if (g.status != probes::ProbeStatus::kOk) return {{"status", "skipped"}, {"reason", g.reason}};
  nlohmann::json transfers = nlohmann::json::array();
  for (const auto& t : g.transfers) {
    transfers.push_back({{"direction", t.direction},
                         {"pinned", t.pinned},
                         {"bytes", t.bytes},
                         {"best_gbs", t.gbs.best},
                         {"median_gbs", t.gbs.median},
                         {"samples_gbs", t.gbs.values}});
  }
  return {{"status", "ok"},
          {"name", g.name},
          {"compute_capability", fmt::format("{}.{}", g.compute_major, g.compute_minor)},
          {"total_gib", bytes_to_gib(g.total_bytes)},
          {"free_gib", bytes_to_gib(g.free_bytes)},
          {"theoretical_bandwidth_gbs", bytes_per_s_to_gbs(g.theoretical_bandwidth_bytes_per_s)},
          {"device_read_gbs", g.device_read_gbs.best},
          {"device_read_samples_gbs", g.device_read_gbs.values},
          {"small_transfer_latency_us", g.small_transfer_latency_us},
          {"transfers", transfers}};
}

/// Usable memory by allocation, or null when it was not asked for.
nlohmann::json usable_json(const std::optional<probes::UsableMemoryResult>& u) {
  if (!u) return nullptr;
  if (u->status != probes::ProbeStatus::kOk) return {{"status", "skipped"}, {"reason", u->reason}};
  return {{"status", "ok"},
          {"usable_gib", bytes_to_gib(u->usable_bytes)},
          {"available_at_start_gib", bytes_to_gib(u->available_at_start_bytes)},
          {"margin_gib", bytes_to_gib(u->margin_bytes)},
          {"stopped", probes::usable_stop_text(u->stop)},
          {"seconds", u->seconds}};
}

/// Per-node read bandwidth (threads on the node's CPUs, memory bound to it), or why it was skipped.
nlohmann::json numa_json(const probes::MachineMeasurement& m) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& n : m.numa) {
    nlohmann::json j = {{"node", n.node},
                        {"cpus", n.cpus},
                        {"status", n.status == probes::ProbeStatus::kOk ? "ok" : "skipped"}};
    if (n.status == probes::ProbeStatus::kOk) {
      j["read_gbs"] = n.read.gbs.best;
      j["read_gbs_median"] = n.read.gbs.median;
      j["samples_gbs"] = n.read.gbs.values;
    } else {
      j["reason"] = n.reason;
    }
    nodes.push_back(j);
  }
  return nodes;
}

// Latency at the largest measured size below `bytes` (or the last point for DRAM).
double latency_below(const probes::MachineMeasurement& m, double bytes) {
  double ns = 0;
  for (const auto& p : m.latency) {
    if (p.bytes <= bytes) ns = p.ns;
  }
  return ns;
}

nlohmann::json measured_json(const probes::MachineMeasurement& m) {
  const auto& topo = m.topology;
  nlohmann::json bandwidth = nlohmann::json::array();
  for (const auto& b : m.bandwidth) {
    bandwidth.push_back({{"kernel", b.kernel},
                         {"threads", b.threads},
                         {"array_mib", bytes_to_mib(b.array_bytes)},
                         {"gbs", samples_json(b.gbs)}});
  }
  nlohmann::json compute = nlohmann::json::array();
  for (const auto& c : m.compute) {
    nlohmann::json entry = {{"kind", c.kind}, {"threads", c.threads}};
    if (c.status == probes::ProbeStatus::kSkipped) {
      entry["skipped"] = c.reason;
    } else {
      entry["isa"] = c.isa;
      entry["tflops"] = samples_json(c.tops);
    }
    compute.push_back(entry);
  }
  nlohmann::json latency = nlohmann::json::array();
  for (const auto& p : m.latency) latency.push_back({{"bytes", p.bytes}, {"ns", p.ns}});
  nlohmann::json caches = nlohmann::json::array();
  for (const auto& c : topo.caches)
    caches.push_back({{"level", c.level}, {"kib", c.bytes / kBytesPerKib}, {"count", c.count}});
  nlohmann::json pci = nlohmann::json::array();
  for (const auto& d : topo.pci_devices) {
    pci.push_back({{"name", d.name},
                   {"vendor_id", fmt::format("0x{:04x}", d.vendor_id)},
                   {"class_id", fmt::format("0x{:04x}", d.class_id)},
                   {"link_gbs", d.link_gbs},
                   {"gpu", d.gpu}});
  }
  std::vector<double> numa_gib;
  for (double bytes : topo.numa_node_bytes) numa_gib.push_back(bytes_to_gib(bytes));
  nlohmann::json latency_summary = {{"dram_ns", m.latency.empty() ? 0.0 : m.latency.back().ns}};
  for (const auto& c : topo.caches) {
    latency_summary[fmt::format("l{}_ns", c.level)] = latency_below(m, c.bytes / 2);
  }
  return {{"probe_version", m.probe_version},
          {"date_utc", m.date_utc},
          {"quick", m.quick},
          {"decode_bandwidth_from", "read_gbs (all threads, best): decode is dominated by reads"},
          {"bandwidth_isa", probes::best_simd_isa()},
          {"read_gbs", best_gbs(m, "read", true)},
          {"write_gbs", best_gbs(m, "write", true)},
          {"write_nt_gbs", best_gbs(m, "write_nt", true)},
          {"copy_gbs", best_gbs(m, "copy", true)},
          {"triad_gbs", best_gbs(m, "triad", true)},
          {"single_thread",
           {{"read_gbs", best_gbs(m, "read", false)},
            {"copy_gbs", best_gbs(m, "copy", false)},
            {"triad_gbs", best_gbs(m, "triad", false)}}},
          {"bandwidth", bandwidth},
          {"numa_read", numa_json(m)},
          {"latency_curve", latency},
          {"latency_summary", latency_summary},
          {"compute", compute},
          {"topology",
           {{"cpu_model", topo.cpu_model},
            {"packages", topo.packages},
            {"cores", topo.cores},
            {"pus", topo.pus},
            {"numa_nodes", topo.numa_nodes},
            {"numa_node_gib", numa_gib},
            {"caches", caches},
            {"total_ram_gib", bytes_to_gib(topo.total_ram_bytes)},
            {"available_ram_gib", bytes_to_gib(topo.available_ram_bytes)},
            {"cgroup_limit_gib", bytes_to_gib(topo.cgroup_limit_bytes)},
            {"transparent_hugepages", topo.transparent_hugepages},
            {"hugepages_total", topo.hugepages_total},
            {"pci_devices", pci}}},
          {"gpu", gpu_json(m.gpu)},
          {"usable_memory", usable_json(m.usable)},
          {"mac_gpu",
           {{"present", m.mac.present},
            {"wired_limit_gib", bytes_to_gib(m.mac.wired_limit_bytes)},
            {"memsize_gib", bytes_to_gib(m.mac.memsize_bytes)}}},
          {"apu",
           {{"present", m.apu.present},
            {"card", m.apu.card},
            {"vram_total_gib", bytes_to_gib(m.apu.vram_total_bytes)},
            {"gtt_total_gib", bytes_to_gib(m.apu.gtt_total_bytes)}}},
          {"warnings", m.warnings}};
}

/// "NVIDIA GeForce RTX 4090" -> "RTX 4090"; "NVIDIA H200" -> "H200".
std::string gpu_model_token(std::string name) {
  for (const std::string prefix : {"NVIDIA ", "GeForce "}) {
    if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  }
  return name;
}

/// A bundled single-GPU discrete profile whose name contains the GPU's model name.
const planner::HardwareSpec* datasheet_match(const planner::ProfileDb* db, const std::string& gpu) {
  if (db == nullptr) return nullptr;
  const std::string token = gpu_model_token(gpu);
  if (token.empty()) return nullptr;
  for (const auto& hw : db->hardware) {
    if (hw.kind == planner::MemoryKind::kDiscrete && hw.gpu_count == 1 &&
        contains_ignoring_case(hw.name, token))
      return &hw;
  }
  return nullptr;
}

/// Turns the CPU-side profile `j` into a discrete one for the measured GPU.
void make_discrete(nlohmann::json& j, const probes::GpuMeasurement& g, double host_memory,
                   const planner::ProfileDb* db, std::vector<std::string>& notes) {
  const double host_bandwidth = j["bandwidth_gbs"].get<double>();
  j["name"] = fmt::format("{} in {}", g.name, j["name"].get<std::string>());
  j["kind"] = "discrete";
  j["backend"] = "cuda";
  j.erase("gpu_memory_limit_gib");
  j.erase("gpu_memory_limit_raised_gib");
  j["memory_gib"] = bytes_to_gib(g.total_bytes);
  // What the driver, display and other processes hold already is not ours to plan with.
  j["gpu_memory_reserved_gib"] = bytes_to_gib(std::max(0.0, g.total_bytes - g.free_bytes));
  j["bandwidth_gbs"] = g.device_read_gbs.best;
  j["runtime_overhead_gib"] = 0.6;
  j["host_memory_gib"] = bytes_to_gib(host_memory);
  j["host_bandwidth_gbs"] = host_bandwidth;
  j["bus_gbs"] = pinned_h2d_gbs(g);
  j.erase("int8_tops");
  if (const auto* sheet = datasheet_match(db, g.name)) {
    j["fp16_tflops"] = sheet->fp16_flop_per_s / 1e12;
    if (sheet->int8_op_per_s > 0) j["int8_tops"] = sheet->int8_op_per_s / 1e12;
    if (!sheet->memory_type.empty()) j["memory_type"] = sheet->memory_type;
    notes.push_back(fmt::format(
        "fp16_tflops (and memory_type) from the bundled profile '{}' (datasheet): the probe does "
        "not measure tensor-core FLOP/s",
        sheet->id));
  } else {
    // Unknown GPU: no tensor-core figure; the CPU's FP32 peak stays as a floor and says so.
    notes.push_back(fmt::format(
        "no bundled profile names '{}': fp16_tflops is the CPU's FP32 peak, far below the GPU's; "
        "give the datasheet figure with --hw-spec fp16_tflops=N",
        gpu_model_token(g.name)));
  }
  notes.emplace_back(
      "bandwidth_gbs is the GPU's device read rate, bus_gbs the pinned host-to-device rate at the "
      "largest size, host_bandwidth_gbs the CPU's all-thread read; runtime_overhead_gib 0.6 is the "
      "bundled CUDA profiles' assumption");
}

}  // namespace

double pinned_h2d_gbs(const probes::GpuMeasurement& g) {
  double bytes = 0, gbs = 0;
  for (const auto& t : g.transfers) {
    if (t.direction != "h2d" || !t.pinned || t.bytes < bytes) continue;
    bytes = t.bytes;
    gbs = t.gbs.best;
  }
  return gbs;
}

probes::GpuMeasurement gpu_measurement_from_json(const nlohmann::json& json,
                                                 const std::string& origin) {
  const nlohmann::json& value = json.is_object() && json.contains("gpu") ? json["gpu"] : json;
  JsonObject root(value, origin, json.is_object() && json.contains("gpu") ? "/gpu" : "");
  probes::GpuMeasurement g;
  if (root.choice("status", {"ok", "skipped"}) == "skipped") {
    g.reason = root.optional_string("reason").value_or("skipped");
    return g;
  }
  g.status = probes::ProbeStatus::kOk;
  g.reason.clear();
  g.name = root.string("name");
  const std::string cc = root.string("compute_capability");
  if (std::sscanf(cc.c_str(), "%d.%d", &g.compute_major, &g.compute_minor) != 2)
    root.fail("compute_capability", fmt::format("'{}' is not MAJOR.MINOR", cc));
  g.total_bytes = gib_to_bytes(root.number("total_gib", NumberRange::positive()));
  g.free_bytes = gib_to_bytes(root.number("free_gib", NumberRange::non_negative()));
  if (g.free_bytes > g.total_bytes) root.fail("free_gib", "is more than total_gib");
  g.theoretical_bandwidth_bytes_per_s = gbs_to_bytes_per_s(
      root.optional_number("theoretical_bandwidth_gbs", NumberRange::non_negative()).value_or(0));
  const double read = root.number("device_read_gbs", NumberRange::positive());
  std::vector<double> samples;
  if (root.has("device_read_samples_gbs")) {
    for (const auto& v : root.array("device_read_samples_gbs")) {
      if (!v.is_number() || v.get<double>() <= 0)
        root.fail("device_read_samples_gbs", "must hold positive numbers");
      samples.push_back(v.get<double>());
    }
  }
  g.device_read_gbs =
      probes::summarize_samples(samples.empty() ? std::vector<double>{read} : samples);
  g.small_transfer_latency_us =
      root.optional_number("small_transfer_latency_us", NumberRange::non_negative()).value_or(0);
  const auto& transfers = root.array("transfers");
  for (size_t i = 0; i < transfers.size(); ++i) {
    JsonObject t(transfers[i], origin, fmt::format("{}/transfers/{}", root.pointer(), i));
    probes::GpuTransfer transfer;
    transfer.direction = t.choice("direction", {"h2d", "d2h", "d2d"});
    transfer.pinned = t.boolean("pinned");
    transfer.bytes = t.number("bytes", NumberRange::positive());
    const double best = t.number("best_gbs", NumberRange::positive());
    std::vector<double> rates;
    if (t.has("samples_gbs")) {
      for (const auto& v : t.array("samples_gbs")) {
        if (!v.is_number() || v.get<double>() <= 0)
          t.fail("samples_gbs", "must hold positive numbers");
        rates.push_back(v.get<double>());
      }
    }
    t.ignore("median_gbs");
    transfer.gbs = probes::summarize_samples(rates.empty() ? std::vector<double>{best} : rates);
    t.finish();
    g.transfers.push_back(transfer);
  }
  root.finish();
  return g;
}

double best_gbs(const probes::MachineMeasurement& m, const std::string& kernel, bool all_threads) {
  double best = 0;
  int64_t most_threads = 0;
  for (const auto& b : m.bandwidth) {
    if (b.kernel != kernel) continue;
    if (!all_threads && b.threads != 1) continue;
    if (all_threads && b.threads < most_threads) continue;
    if (all_threads && b.threads > most_threads) best = 0;
    most_threads = std::max(most_threads, b.threads);
    best = std::max(best, b.gbs.best);
  }
  return best;
}

double best_tops(const probes::MachineMeasurement& m, const std::string& kind) {
  double best = 0;
  int64_t most_threads = 0;
  for (const auto& c : m.compute) {
    if (c.kind != kind || c.status != probes::ProbeStatus::kOk || c.threads < most_threads)
      continue;
    if (c.threads > most_threads) best = 0;
    most_threads = c.threads;
    best = std::max(best, c.tops.best);
  }
  return best;
}

nlohmann::json profile_from_probe(const probes::MachineMeasurement& m, const std::string& id,
                                  const planner::ProfileDb* db) {
  const auto& topo = m.topology;
  double memory = topo.total_ram_bytes;
  if (topo.cgroup_limit_bytes > 0) memory = std::min(memory, topo.cgroup_limit_bytes);
  // The OS keeps some of RAM: 10% with at least 2 GiB, as a planning reserve.
  const double reserved = std::max(gib_to_bytes(2), 0.1 * memory);
  nlohmann::json j;
  j["schema_version"] = 1;
  j["id"] = id;
  j["name"] = fmt::format("{} (probed {})", topo.cpu_model, m.date_utc.substr(0, 10));
  j["kind"] = "unified";
  j["memory_gib"] = bytes_to_gib(memory);
  j["bandwidth_gbs"] = best_gbs(m, "read", true);
  if (m.apu.present) {
    // An AMD APU: the GPU may use its carve-out plus GTT; llama.cpp's Vulkan backend runs there.
    // The bandwidth and compute below are the CPU's until a GPU probe measures the iGPU.
    j["backend"] = "vulkan";
    const double gpu = std::min(m.apu.vram_total_bytes + m.apu.gtt_total_bytes, memory - reserved);
    j["gpu_memory_limit_gib"] = bytes_to_gib(gpu);
    j["gpu_memory_limit_raised_gib"] = bytes_to_gib(gpu);
  } else if (m.mac.present) {
    // Apple silicon: Metal's default working set is three quarters of RAM above 36 GB and two
    // thirds below (as the bundled Mac profiles assume); iogpu.wired_limit_mb, when set, is the
    // raised limit.
    j["backend"] = "metal";
    const double ram = m.mac.memsize_bytes;
    j["memory_gib"] = bytes_to_gib(ram);
    j["gpu_memory_limit_gib"] = bytes_to_gib(ram * (ram > gib_to_bytes(36) ? 0.75 : 2.0 / 3.0));
    j["gpu_memory_limit_raised_gib"] =
        bytes_to_gib(m.mac.wired_limit_bytes > 0 ? m.mac.wired_limit_bytes : ram - reserved);
  } else {
    // No accelerator measured: llama.cpp's CPU backend computes in host RAM.
    j["backend"] = "cpu";
    j["gpu_memory_limit_gib"] = bytes_to_gib(memory - reserved);
    j["gpu_memory_limit_raised_gib"] = bytes_to_gib(memory - reserved);
  }
  j["gpu_count"] = 1;
  j["fp16_tflops"] = std::max(best_tops(m, "fp32_fma"), 1e-3);
  if (best_tops(m, "int8_dot") > 0) j["int8_tops"] = best_tops(m, "int8_dot");
  j["runtime_overhead_gib"] = 0.1;
  j["host_reserved_gib"] = bytes_to_gib(reserved);
  if (m.usable && m.usable->status == probes::ProbeStatus::kOk && m.usable->usable_bytes > 0 &&
      m.usable->stop != probes::UsableStop::kCap) {
    // Measured by allocation: what really could be held is what the planner may use.
    const double usable = std::min(m.usable->usable_bytes, memory);
    j["host_reserved_gib"] = bytes_to_gib(memory - usable);
    if (j["backend"] == "cpu") {
      j["gpu_memory_limit_gib"] = bytes_to_gib(usable);
      j["gpu_memory_limit_raised_gib"] = bytes_to_gib(usable);
    }
  }
  j["notes"] = fmt::format(
      "Measured by hwplan probe {}{}: bandwidth_gbs is the all-thread read rate (STREAM counting), "
      "fp16_tflops the CPU's FP32 FMA peak.",
      m.probe_version, m.quick ? " --quick" : "");
  if (m.gpu.status == probes::ProbeStatus::kOk) {
    std::vector<std::string> gpu_notes;
    make_discrete(j, m.gpu, memory, db, gpu_notes);
    j["notes"] = fmt::format("{} {}.", j["notes"].get<std::string>(), fmt::join(gpu_notes, "; "));
  }
  j["sources"] = nlohmann::json::array(
      {{{"title", "hwplan probe"}, {"url", ""}, {"accessed", m.date_utc.substr(0, 10)}}});
  j["measured"] = measured_json(m);
  planner::hardware_from_json(j, "probe result");  // the planner must accept what we write
  return j;
}

std::string local_profile_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  const fs::path dir = xdg != nullptr && *xdg != '\0' ? fs::path(xdg) / "hwplan"
                       : home != nullptr              ? fs::path(home) / ".cache" / "hwplan"
                                                      : fs::temp_directory_path() / "hwplan";
  const auto path = dir / "local.json";
  std::error_code error;
  if (fs::exists(path, error)) {
    const auto age = fs::file_time_type::clock::now() - fs::last_write_time(path, error);
    if (!error && age < std::chrono::hours(24)) return path.string();
  }
  fs::create_directories(dir, error);
  probes::ProbeOptions options;
  options.quick = true;
  options.progress = [](const std::string& step) {
    std::fprintf(stderr, "hwplan probe: %s\n", step.c_str());
  };
  const auto profile = profile_from_probe(probes::run_probe(options), "local");
  write_output_file(path.string(), profile.dump(2) + "\n");
  std::fprintf(stderr, "hwplan probe: cached %s\n", path.string().c_str());
  return path.string();
}

}  // namespace hwplan::cli
