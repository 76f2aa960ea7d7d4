#include "cmd_probe.h"

#include "app.h"

#if defined(HWPLAN_HAVE_CUDA)
#include "probes/cuda_probe.h"
#endif

#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include "common/error.h"
#include "common/file_util.h"
#include "common/json_util.h"
#include "common/units.h"
#include "planner/hardware_spec.h"
#include "probes/probe.h"
#include "probes/usable_memory.h"
#include "profile_from_probe.h"

namespace hwplan::cli {
namespace {

using reports::Align;
using reports::Cell;
using reports::Table;

// A drop below this fraction of the saved profile fails --expect (a misconfigured DIMM, a
// throttled CPU).
constexpr double kExpectFraction = 0.9;

Table bandwidth_table(const probes::MachineMeasurement& m) {
  Table t{"bandwidth", "Memory bandwidth (STREAM counting: bytes read + written)", {}, {}};
  t.columns = {{"kernel", "Kernel", "", Align::kLeft},
               {"threads", "Threads", "", Align::kRight},
               {"array_mib", "Array", "MiB", Align::kRight, 1},
               {"best_gbs", "Best", "GB/s", Align::kRight, 1},
               {"median_gbs", "Median", "GB/s", Align::kRight, 1},
               {"min_gbs", "Min", "GB/s", Align::kRight, 1},
               {"stddev_gbs", "Stddev", "GB/s", Align::kRight, 2},
               {"samples", "Samples", "", Align::kRight}};
  for (const auto& b : m.bandwidth) {
    t.rows.push_back({b.kernel, b.threads, bytes_to_mib(b.array_bytes), b.gbs.best, b.gbs.median,
                      b.gbs.min, b.gbs.stddev, static_cast<int64_t>(b.gbs.values.size())});
  }
  return t;
}

Table compute_table(const probes::MachineMeasurement& m) {
  Table t{"compute", "Compute", {}, {}};
  t.columns = {{"kind", "Kind", "", Align::kLeft},
               {"isa", "ISA", "", Align::kLeft},
               {"threads", "Threads", "", Align::kRight},
               {"best_tflops", "Best", "TFLOP/s", Align::kRight, 3},
               {"median_tflops", "Median", "TFLOP/s", Align::kRight, 3},
               {"note", "Note", "", Align::kLeft}};
  for (const auto& c : m.compute) {
    const bool ok = c.status == probes::ProbeStatus::kOk;
    t.rows.push_back({c.kind, c.isa, c.threads, ok ? Cell{c.tops.best} : Cell{},
                      ok ? Cell{c.tops.median} : Cell{},
                      ok ? Cell{} : Cell{"skipped: " + c.reason}});
  }
  return t;
}

Table gpu_table(const probes::GpuMeasurement& g) {
  Table t{"gpu_transfers", fmt::format("{}: transfers (best of repetitions)", g.name), {}, {}};
  t.columns = {{"direction", "Direction", "", Align::kLeft},
               {"host_memory", "Host memory", "", Align::kLeft},
               {"size_kib", "Size", "KiB", Align::kRight, 0},
               {"best_gbs", "Best", "GB/s", Align::kRight, 2},
               {"median_gbs", "Median", "GB/s", Align::kRight, 2}};
  for (const auto& x : g.transfers) {
    t.rows.push_back({x.direction,
                      std::string(x.direction == "d2d" ? "-"
                                  : x.pinned           ? "pinned"
                                                       : "pageable"),
                      x.bytes / kBytesPerKib, x.gbs.best, x.gbs.median});
  }
  return t;
}

Table latency_table(const probes::MachineMeasurement& m) {
  Table t{"latency", "Latency (dependent loads over a random cycle)", {}, {}};
  t.columns = {{"size_kib", "Buffer", "KiB", Align::kRight, 0},
               {"latency_ns", "Latency", "ns", Align::kRight, 1}};
  for (const auto& p : m.latency) t.rows.push_back({p.bytes / kBytesPerKib, p.ns});
  return t;
}

Table topology_table(const probes::MachineMeasurement& m) {
  const auto& topo = m.topology;
  Table t{"topology", "Topology and capacity", {}, {}};
  t.columns = {{"item", "Item", "", Align::kLeft}, {"value", "Value", "", Align::kLeft}};
  t.rows.push_back({std::string("CPU"), topo.cpu_model});
  t.rows.push_back(
      {std::string("packages / cores / PUs / NUMA nodes"),
       fmt::format("{} / {} / {} / {}", topo.packages, topo.cores, topo.pus, topo.numa_nodes)});
  for (const auto& c : topo.caches) {
    t.rows.push_back({fmt::format("L{} cache", c.level),
                      fmt::format("{} x {:.0f} KiB", c.count, c.bytes / kBytesPerKib)});
  }
  t.rows.push_back({std::string("RAM total / available (GiB)"),
                    fmt::format("{:.1f} / {:.1f}", bytes_to_gib(topo.total_ram_bytes),
                                bytes_to_gib(topo.available_ram_bytes))});
  t.rows.push_back({std::string("cgroup memory limit (GiB)"),
                    topo.cgroup_limit_bytes > 0
                        ? fmt::format("{:.1f}", bytes_to_gib(topo.cgroup_limit_bytes))
                        : std::string("none")});
  t.rows.push_back({std::string("transparent huge pages / huge pages"),
                    fmt::format("{} / {}", topo.transparent_hugepages, topo.hugepages_total)});
  int gpus = 0;
  for (const auto& d : topo.pci_devices) {
    if (!d.gpu) continue;
    ++gpus;
    t.rows.push_back(
        {std::string("GPU (PCI)"), fmt::format("{} {} link {:.1f} GB/s", d.name,
                                               fmt::format("0x{:04x}", d.vendor_id), d.link_gbs)});
  }
  if (gpus == 0)
    t.rows.push_back({std::string("GPU"), std::string("none found; bus probes skipped")});
  if (m.apu.present) {
    t.rows.push_back({std::string("APU GPU memory (VRAM + GTT, GiB)"),
                      fmt::format("{:.1f} + {:.1f}", bytes_to_gib(m.apu.vram_total_bytes),
                                  bytes_to_gib(m.apu.gtt_total_bytes))});
  }
  return t;
}

Table expect_table(const planner::HardwareSpec& saved, const probes::MachineMeasurement& m,
                   bool& regressed) {
  Table t{"expect", "Against the saved profile", {}, {}};
  t.columns = {{"metric", "Metric", "", Align::kLeft},
               {"expected", "Expected", "", Align::kRight, 2},
               {"measured", "Measured", "", Align::kRight, 2},
               {"ratio", "Ratio", "", Align::kRight, 3},
               {"verdict", "Verdict", "", Align::kLeft}};
  auto row = [&](const char* metric, double expected, double measured) {
    const double ratio = expected > 0 ? measured / expected : 1.0;
    const bool low = ratio < kExpectFraction;
    regressed |= low;
    t.rows.push_back(
        {std::string(metric), expected, measured, ratio, std::string(low ? "BELOW 90%" : "ok")});
  };
  row("bandwidth_gbs (read, all threads)", bytes_per_s_to_gbs(saved.bandwidth_bytes_per_s),
      best_gbs(m, "read", true));
  row("fp16_tflops (FP32 FMA, all threads)", flop_per_s_to_tflops(saved.fp16_flop_per_s),
      best_tops(m, "fp32_fma"));
  return t;
}

/// Best read over best triad at each thread count measured (probes::read_over_triad).
std::map<int64_t, double> read_triad_ratios(const probes::MachineMeasurement& m) {
  std::map<int64_t, double> ratios;
  for (const auto& b : m.bandwidth) {
    if (b.kernel != "read") continue;
    const double ratio = probes::read_over_triad(m.bandwidth, b.threads);
    if (ratio > 0) ratios[b.threads] = ratio;
  }
  return ratios;
}

/// Read against triad at the most threads measured, and what the ratio should be: the check that
/// the read figure (the profile's bandwidth) is the memory's.
std::string read_triad_note(int64_t threads, double ratio) {
  return fmt::format(
      "Read / triad at {} threads: {:.3f} (best windows). Triad's stores first read each line "
      "(write-allocate): 32 bytes move per element where STREAM counts 24, so a read of the same "
      "arrays comes out between 1 and {:.3f} of triad when both are the memory's.",
      threads, ratio, probes::kReadOverTriadMax);
}

/// What the allocation found and the llama.cpp --fit-target (MiB left free per device) it implies:
/// what the system called available at the start less what could really be held.
std::string usable_memory_note(const probes::UsableMemoryResult& u) {
  if (u.status != probes::ProbeStatus::kOk)
    return fmt::format("Usable memory skipped: {}.", u.reason);
  const double fit_target_mib =
      std::max(0.0, bytes_to_mib(u.available_at_start_bytes - u.usable_bytes));
  return fmt::format(
      "Usable memory: {:.1f} GiB allocated and touched at once in {:.1f} s ({}; {:.1f} GiB "
      "was available at the start, {:.1f} GiB kept as margin); all freed. For llama.cpp on "
      "unified memory: --fit-target {:.0f} leaves that much free. The profile's host reserve "
      "is set from it.",
      bytes_to_gib(u.usable_bytes), u.seconds, probes::usable_stop_text(u.stop),
      bytes_to_gib(u.available_at_start_bytes), bytes_to_gib(u.margin_bytes), fit_target_mib);
}

}  // namespace

CommandResult compare_stream(const GlobalOptions& global, const ProbeCliOptions& options) {
  CommandResult result;
  result.report.context = make_context(global);
  Table t{"stream_ratio",
          "Probe kernels against STREAM's loops (best of 10 windows each, taken in turn)",
          {},
          {}};
  t.columns = {{"kernel", "Kernel", "", Align::kLeft},
               {"threads", "Threads", "", Align::kRight},
               {"probe_gbs", "Probe", "GB/s", Align::kRight, 1},
               {"stream_gbs", "STREAM loops", "GB/s", Align::kRight, 1},
               {"ratio", "Ratio", "", Align::kRight, 3}};
  const auto rows = probes::compare_with_stream(options.threads, 10, [](const std::string& step) {
    std::fprintf(stderr, "hwplan probe: %s\n", step.c_str());
  });
  for (const auto& r : rows) {
    t.rows.push_back(
        {r.kernel, r.threads, r.probe_gbs, r.reference_gbs, r.probe_gbs / r.reference_gbs});
  }
  result.report.tables.push_back(t);
  result.report.notes.emplace_back(
      "Target: every ratio within 0.95..1.05 or above (the probe must not read low).");
  return result;
}

CommandResult run_probe(const GlobalOptions& global, const ProbeCliOptions& options) {
  if (options.compare_stream) return compare_stream(global, options);
  if (options.id.empty()) throw_usage("--id: must not be empty");
  // Read the saved profile first: a typo should fail before a minute of measuring.
  std::optional<planner::HardwareSpec> saved;
  if (!options.expect.empty())
    saved = planner::hardware_from_json(load_json_file(options.expect), options.expect);
  std::optional<probes::GpuMeasurement> saved_gpu;
  if (!options.gpu_result.empty())
    saved_gpu = gpu_measurement_from_json(load_json_file(options.gpu_result), options.gpu_result);
  const auto db = load_profiles(global);
  probes::ProbeOptions probe_options;
  probe_options.quick = options.quick;
  probe_options.threads = options.threads;
  probe_options.progress = [](const std::string& step) {
    std::fprintf(stderr, "hwplan probe: %s\n", step.c_str());
  };
  if (options.usable_cap_gib > 0 && !options.usable_memory)
    throw_usage("--usable-cap: only with --usable-memory");
  auto m = probes::run_probe(probe_options);
  if (options.usable_memory) {
    probes::UsableMemoryOptions usable;
    usable.cap_bytes = gib_to_bytes(options.usable_cap_gib);
    usable.progress = probe_options.progress;
    m.usable = probes::measure_usable_memory(usable);
  }
  if (saved_gpu) {
    m.gpu = *saved_gpu;
  } else {
#if defined(HWPLAN_HAVE_CUDA)
    std::fprintf(stderr, "hwplan probe: GPU (CUDA): transfers, device bandwidth\n");
    m.gpu = probes::run_cuda_probe(gib_to_bytes(1), options.quick ? 3 : 10);
#endif
  }
  const auto profile = profile_from_probe(m, options.id, &db);

  CommandResult result;
  result.report.context = make_context(global);
  result.report.context.warnings.insert(result.report.context.warnings.end(), m.warnings.begin(),
                                        m.warnings.end());
  result.report.tables.push_back(bandwidth_table(m));
  const auto ratios = read_triad_ratios(m);
  if (!ratios.empty()) {
    const auto& [threads, ratio] = *ratios.rbegin();
    result.report.notes.push_back(read_triad_note(threads, ratio));
  }
  result.report.tables.push_back(compute_table(m));
  result.report.tables.push_back(latency_table(m));
  result.report.tables.push_back(topology_table(m));
  if (m.usable) result.report.notes.push_back(usable_memory_note(*m.usable));
  if (m.gpu.status == probes::ProbeStatus::kOk) {
    result.report.tables.push_back(gpu_table(m.gpu));
  } else {
    result.report.notes.push_back(fmt::format("GPU probe skipped: {}.", m.gpu.reason));
  }
  if (saved) {
    bool regressed = false;
    result.report.tables.push_back(expect_table(*saved, m, regressed));
    if (regressed) result.exit_code = 1;
  }
  for (const auto& n : m.numa) {
    result.report.notes.push_back(
        n.status == probes::ProbeStatus::kOk
            ? fmt::format("NUMA node {}: read {:.1f} GB/s from its {} CPUs into its own memory.",
                          n.node, n.read.gbs.best, n.cpus.size())
            : fmt::format("Per-NUMA-node bandwidth skipped: {}.", n.reason));
  }
  result.report.notes.push_back(
      fmt::format("Profile: bandwidth_gbs {:.1f} (all-thread read, used for decode), fp16_tflops "
                  "{:.3f}, memory {:.1f} GiB.",
                  profile["bandwidth_gbs"].get<double>(), profile["fp16_tflops"].get<double>(),
                  profile["memory_gib"].get<double>()));
  if (!options.write.empty()) {
    write_output_file(options.write, profile.dump(2) + "\n");
    result.report.notes.push_back(
        fmt::format("Wrote {} (use it with --hw {}).", options.write, options.write));
  }
  result.report.details["profile"] = profile;
  for (const auto& [threads, ratio] : ratios)
    result.report.details["read_over_triad"][std::to_string(threads)] = ratio;
  return result;
}

}  // namespace hwplan::cli
