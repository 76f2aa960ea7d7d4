#include "planner/fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/units.h"
#include "planner/execution_plan.h"

namespace hwplan::planner {
namespace {

// Everything fit needs, computed once per (model, weights, workload).
struct Layout {
  std::vector<double> layer_bytes;   // weights + KV of each repeating layer
  std::vector<double> expert_bytes;  // routed-expert weights of each layer
  double embedding_bytes = 0;        // token_embd: host memory in llama.cpp
  double output_gpu_bytes = 0;       // output + final norm (a tied embedding is duplicated)
  double compute_bytes = 0;
  double overhead_bytes = 0;
  double weights_bytes = 0;
  double kv_bytes = 0;
};

Layout make_layout(const ModelSpec& m, const WeightInventory& inv, const HardwareSpec& hw,
                   const Workload& w) {
  Layout l;
  const auto n = static_cast<size_t>(m.n_layers);
  l.layer_bytes.assign(n, 0.0);
  l.expert_bytes.assign(n, 0.0);
  // One pass over the groups: this runs inside the context bisection and the quant search.
  for (const auto& g : inv.groups) {
    l.weights_bytes += g.bytes;
    if (g.layer < 0) {
      l.embedding_bytes += g.bytes;
    } else if (g.layer >= m.n_layers) {
      l.output_gpu_bytes += g.bytes;
    } else {
      l.layer_bytes[static_cast<size_t>(g.layer)] += g.bytes;
      if (g.cls == TensorClass::kExperts) l.expert_bytes[static_cast<size_t>(g.layer)] += g.bytes;
    }
  }
  for (int64_t layer = 0; layer < m.n_layers; ++layer) {
    const double kv = kv_cache_bytes_for_layer(m, w, layer);
    l.layer_bytes[static_cast<size_t>(layer)] += kv;
    l.kv_bytes += kv;
  }
  // A tied model has no output tensor: llama.cpp copies token_embd to the output's device.
  if (m.tied_embeddings) l.output_gpu_bytes += l.embedding_bytes;
  l.compute_bytes = compute_buffer_bytes(m, w);
  l.overhead_bytes = hw.runtime_overhead_bytes;
  return l;
}

double sum(const std::vector<double>& values) {
  return std::accumulate(values.begin(), values.end(), 0.0);
}

// Bytes one GPU must hold when every layer is on it.
double all_on_gpu_bytes(const Layout& l) {
  return sum(l.layer_bytes) + l.output_gpu_bytes + l.compute_bytes + l.overhead_bytes;
}

// What each GPU of the machine may hold, and what it holds before any layer: its compute buffer
// and runtime overhead (GPUs of a mixed machine differ in both memory and overhead).
struct GpuRoom {
  std::vector<double> usable;
  std::vector<double> fixed;
};

GpuRoom gpu_room(const Layout& l, const HardwareSpec& hw) {
  GpuRoom room;
  for (int64_t i = 0; i < hw.gpu_count; ++i) {
    room.usable.push_back(usable_gpu_bytes_of(hw, i));
    room.fixed.push_back(l.compute_bytes + gpu_spec(hw, i).runtime_overhead_bytes);
  }
  return room;
}

// llama.cpp's default split: proportional to free memory (equal GPUs get equal shares of the
// n_layers + 1 slots, the output being the last), placed by the same rule the plan uses.
// `slots_out` counts the layer slots each GPU gets (the output is a slot).
std::vector<double> default_split_bytes(const Layout& l, const GpuRoom& room,
                                        const std::vector<double>& proportions,
                                        std::vector<int64_t>& slots_out) {
  const auto n_layers = static_cast<int64_t>(l.layer_bytes.size());
  std::vector<double> bytes = room.fixed;
  slots_out.assign(bytes.size(), 0);
  const auto devices =
      llama_layer_devices(n_layers, n_layers + 1, static_cast<int64_t>(bytes.size()), proportions);
  for (int64_t i = 0; i < n_layers; ++i) {
    const auto gpu = static_cast<size_t>(devices[static_cast<size_t>(i)].gpu);
    bytes[gpu] += l.layer_bytes[static_cast<size_t>(i)];
    ++slots_out[gpu];
  }
  bytes[static_cast<size_t>(devices.back().gpu)] += l.output_gpu_bytes;
  ++slots_out[static_cast<size_t>(devices.back().gpu)];
  return bytes;
}

bool within(const std::vector<double>& bytes, const std::vector<double>& usable) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] > usable[i]) return false;
  }
  return true;
}

// Greedy split: fill GPUs in layer order, output on the last; returns false if it does not fit.
// `layers_out` counts slots per GPU (the output is a slot), which is what -ts needs for
// llama.cpp to reproduce the split.
bool greedy_split(const Layout& l, const GpuRoom& room, std::vector<int64_t>& layers_out,
                  std::vector<double>& bytes_out) {
  bytes_out = room.fixed;
  layers_out.assign(bytes_out.size(), 0);
  size_t gpu = 0;
  for (double layer : l.layer_bytes) {
    while (gpu < bytes_out.size() && bytes_out[gpu] + layer > room.usable[gpu]) ++gpu;
    if (gpu == bytes_out.size()) return false;
    bytes_out[gpu] += layer;
    ++layers_out[gpu];
  }
  while (gpu < bytes_out.size() && bytes_out[gpu] + l.output_gpu_bytes > room.usable[gpu]) ++gpu;
  if (gpu == bytes_out.size()) return false;
  bytes_out[gpu] += l.output_gpu_bytes;
  ++layers_out[gpu];
  return true;
}

// -ngl: the output first, then repeating layers from the last backwards, into GPUs from the last.
// Fills `fit` with the placement; the host keeps the embedding, the rest and its own buffer.
void layer_offload(const Layout& l, const GpuRoom& room, FitResult& fit) {
  const auto n_gpus = static_cast<int64_t>(room.usable.size());
  std::vector<double> load(static_cast<size_t>(n_gpus), 0.0);
  int64_t gpu = n_gpus - 1;
  int64_t on_gpu = 0;
  const auto n_layers = static_cast<int64_t>(l.layer_bytes.size());
  // The output "layer" is offloaded first (-ngl 1 puts only the output on the GPU).
  std::vector<double> order;
  order.push_back(l.output_gpu_bytes);
  for (int64_t i = n_layers - 1; i >= 0; --i)
    order.push_back(l.layer_bytes[static_cast<size_t>(i)]);
  std::vector<int64_t> slots(static_cast<size_t>(n_gpus), 0);
  auto capacity = [&room](int64_t i) {
    return room.usable[static_cast<size_t>(i)] - room.fixed[static_cast<size_t>(i)];
  };
  for (double bytes : order) {
    while (gpu >= 0 && load[static_cast<size_t>(gpu)] + bytes > capacity(gpu)) --gpu;
    if (gpu < 0) break;
    load[static_cast<size_t>(gpu)] += bytes;
    ++slots[static_cast<size_t>(gpu)];
    ++on_gpu;
  }
  fit.n_gpu_layers = on_gpu;
  // Several GPUs filled from the last: -ts with these slot counts makes llama.cpp do the same.
  if (n_gpus > 1 && on_gpu > 0) fit.layers_per_gpu = slots;
  const double gpu_weights = sum(load);
  fit.gpu_bytes = on_gpu > 0 ? gpu_weights + sum(room.fixed) : 0.0;
  const double all = sum(l.layer_bytes) + l.output_gpu_bytes;
  fit.host_bytes = l.embedding_bytes + (all - gpu_weights) + l.compute_bytes;
}

// --n-cpu-moe N: everything on the GPU(s) but the routed experts of the first N layers.
// Returns false when even N = n_layers leaves too much for the GPUs.
bool expert_offload(const Layout& l, const GpuRoom& room, FitResult& fit) {
  const double capacity = sum(room.usable) - sum(room.fixed);
  double gpu_weights = sum(l.layer_bytes) + l.output_gpu_bytes;
  double host_experts = 0;
  const auto n_layers = static_cast<int64_t>(l.layer_bytes.size());
  for (int64_t n = 0; n <= n_layers; ++n) {
    if (gpu_weights <= capacity) {
      fit.n_cpu_moe = n;
      fit.n_gpu_layers = n_layers + 1;
      fit.gpu_bytes = gpu_weights + sum(room.fixed);
      fit.host_bytes = l.embedding_bytes + host_experts + l.compute_bytes;
      return true;
    }
    if (n == n_layers) break;
    gpu_weights -= l.expert_bytes[static_cast<size_t>(n)];
    host_experts += l.expert_bytes[static_cast<size_t>(n)];
  }
  return false;
}

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes_to_gib(bytes)); }

void place_offloaded(const ModelSpec& m, const Layout& l, const HardwareSpec& hw,
                     const GpuRoom& room, FitResult& fit) {
  const bool moe = is_moe(m) && expert_offload(l, room, fit);
  if (!moe) layer_offload(l, room, fit);
  const double usable = sum(room.usable);
  // Unified memory: GPU and host share one pool, so the whole model must fit the pool.
  const double host_need =
      hw.kind == MemoryKind::kUnified ? fit.host_bytes + fit.gpu_bytes : fit.host_bytes;
  const bool fits = host_need <= fit.host_usable_bytes;
  fit.kind = fits ? FitKind::kPartialOffload : FitKind::kNoFit;
  const std::string gpus = gpu_list_text(hw);
  const std::string where =
      moe ? fmt::format("experts of {} of {} layers in host RAM, the rest on {}", fit.n_cpu_moe,
                        m.n_layers, gpus)
          : fmt::format("{} of {} layers (+output) on {}",
                        std::max<int64_t>(fit.n_gpu_layers - 1, 0), m.n_layers, gpus);
  if (fits) {
    fit.summary =
        fmt::format("needs {} but {} usable on {}: {}, {} in host RAM", gib(fit.gpu_need_bytes),
                    gib(usable), gpus, where, gib(fit.host_bytes));
  } else {
    fit.summary = fmt::format(
        "does not fit: needs {} on the GPU side; {} usable on {} and {} of "
        "host RAM",
        gib(fit.gpu_need_bytes), gib(usable), gpus, gib(fit.host_usable_bytes));
  }
}

/// llama.cpp's CPU backend: weights, KV cache and compute buffer all in host RAM, nothing to
/// offload and no GPU runtime.
FitResult fit_on_host(const Layout& l, const ModelSpec& m, const HardwareSpec& hw) {
  FitResult fit;
  fit.n_layers = m.n_layers;
  fit.need = {l.weights_bytes, l.kv_bytes, l.compute_bytes, 0};
  fit.host_usable_bytes = usable_host_bytes(hw);
  fit.gpu_need_bytes = l.weights_bytes + l.kv_bytes + l.compute_bytes;
  fit.host_bytes = fit.gpu_need_bytes;
  if (fit.host_bytes <= fit.host_usable_bytes) {
    fit.kind = FitKind::kHost;
    fit.summary = fmt::format("fits in RAM (CPU backend, no GPU): needs {} of {} usable",
                              gib(fit.host_bytes), gib(fit.host_usable_bytes));
  } else {
    fit.kind = FitKind::kNoFit;
    fit.summary = fmt::format("does not fit: needs {} of RAM; {} usable (CPU backend, no GPU)",
                              gib(fit.host_bytes), gib(fit.host_usable_bytes));
  }
  return fit;
}

}  // namespace

FitResult fit_model(const ModelSpec& m, const WeightInventory& inv, const HardwareSpec& hw,
                    const Workload& w) {
  const Layout l = make_layout(m, inv, hw, w);
  if (placement_gpu_count(hw) == 0) return fit_on_host(l, m, hw);
  FitResult fit;
  fit.n_layers = m.n_layers;
  fit.need = {l.weights_bytes, l.kv_bytes, l.compute_bytes, l.overhead_bytes};
  fit.gpu_usable_bytes = usable_gpu_bytes(hw, LimitMode::kDefault);
  fit.host_usable_bytes = usable_host_bytes(hw);
  const double gpu_need = all_on_gpu_bytes(l);
  fit.gpu_need_bytes = gpu_need;
  // On unified machines the embedding sits in the same pool, outside the GPU's limit.
  const bool pool_ok =
      hw.kind == MemoryKind::kDiscrete || gpu_need + l.embedding_bytes <= fit.host_usable_bytes;
  auto all_on_gpu = [&](FitKind kind, double usable) {
    fit.kind = kind;
    fit.gpu_usable_bytes = usable;
    fit.n_gpu_layers = m.n_layers + 1;
    fit.gpu_bytes = gpu_need;
    fit.host_bytes = l.embedding_bytes;
    fit.bytes_per_gpu = {gpu_need};
  };
  // A mixed machine's GPU 0 may be the smaller one: one GPU holds it all only if GPU 0 does
  // (llama.cpp's -sm none uses the main GPU).
  if (gpu_need <= fit.gpu_usable_bytes && pool_ok && !mixed_gpus(hw)) {
    all_on_gpu(FitKind::kGpu, fit.gpu_usable_bytes);
    fit.summary = fmt::format("fits in {} memory: needs {} of {} usable",
                              hw.kind == MemoryKind::kUnified ? "unified" : "GPU", gib(gpu_need),
                              gib(fit.gpu_usable_bytes));
    return fit;
  }
  const double raised = usable_gpu_bytes(hw, LimitMode::kRaised);
  if (hw.kind == MemoryKind::kUnified && gpu_need <= raised && pool_ok) {
    const double default_limit = fit.gpu_usable_bytes;
    all_on_gpu(FitKind::kGpuRaisedLimit, raised);
    fit.summary = fmt::format("fits after raising the GPU memory limit from {} to {}: needs {}",
                              gib(default_limit), gib(raised), gib(gpu_need));
    return fit;
  }
  const GpuRoom room = gpu_room(l, hw);
  if (hw.gpu_count > 1) {
    // llama.cpp splits by free memory: equal shares for equal GPUs, else in proportion.
    const std::vector<double> proportions = default_split_proportions(hw);
    const bool unequal = !proportions.empty();
    std::vector<int64_t> default_slots;
    auto bytes = default_split_bytes(l, room, proportions, default_slots);
    const bool even_fits = within(bytes, room.usable);
    std::vector<int64_t> greedy_layers;
    std::vector<double> greedy_bytes;
    if (even_fits || greedy_split(l, room, greedy_layers, greedy_bytes)) {
      fit.kind = FitKind::kMultiGpu;
      fit.n_gpu_layers = m.n_layers + 1;
      fit.bytes_per_gpu = even_fits ? bytes : greedy_bytes;
      // The plan and the emitted -ts follow the slots (a mixed machine's default split is by
      // memory, which the plan reproduces from them).
      if (!even_fits) fit.layers_per_gpu = greedy_layers;
      if (even_fits && unequal) fit.layers_per_gpu = default_slots;
      fit.gpu_bytes = sum(fit.bytes_per_gpu);
      fit.host_bytes = l.embedding_bytes;
      std::vector<std::string> parts;
      for (double b : fit.bytes_per_gpu) parts.push_back(fmt::format("{:.1f}", bytes_to_gib(b)));
      if (mixed_gpus(hw)) {
        std::vector<std::string> usable;
        for (double b : room.usable) usable.push_back(fmt::format("{:.1f}", bytes_to_gib(b)));
        fit.summary = fmt::format("fits across {}: {} GiB of {} GiB usable", gpu_list_text(hw),
                                  fmt::join(parts, " + "), fmt::join(usable, " + "));
      } else {
        fit.summary = fmt::format("fits across {} GPUs: {} GiB of {} usable each", hw.gpu_count,
                                  fmt::join(parts, " + "), gib(fit.gpu_usable_bytes));
      }
      return fit;
    }
  }
  place_offloaded(m, l, hw, room, fit);
  return fit;
}

bool fits_at_least(FitKind kind, FitKind reference) {
  return static_cast<int>(kind) <= static_cast<int>(reference);
}

int64_t max_context_tokens(const ModelSpec& m, const WeightInventory& inv, const HardwareSpec& hw,
                           const Workload& w, FitKind kind) {
  if (kind == FitKind::kNoFit) return 0;
  auto fits = [&](int64_t context) {
    Workload probe = w;
    probe.context_tokens = context;
    return fits_at_least(fit_model(m, inv, hw, probe).kind, kind);
  };
  if (!fits(1)) return 0;
  if (fits(m.max_context)) return m.max_context;
  // Memory grows monotonically with context, so bisect [good, bad).
  int64_t good = 1;
  int64_t bad = m.max_context;
  while (bad - good > 1) {
    const int64_t mid = good + (bad - good) / 2;
    (fits(mid) ? good : bad) = mid;
  }
  return good;
}

std::string llama_cpp_args(const FitResult& fit, const Workload& w) {
  if (fit.kind == FitKind::kNoFit) return "";
  std::vector<std::string> args;
  if (fit.kind != FitKind::kHost) args.push_back(fmt::format("-ngl {}", fit.n_gpu_layers));
  // llama-server's -c is the total over all parallel sequences.
  args.push_back(fmt::format("-c {}", w.context_tokens * w.batch));
  if (w.batch > 1) args.push_back(fmt::format("-np {}", w.batch));
  if (w.kv_cache.name != "F16") {
    const std::string type = fmt::format("{}", w.kv_cache.name);
    std::string lower;
    for (char c : type) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // A quantized V cache needs flash attention in llama.cpp.
    args.push_back(fmt::format("-fa on -ctk {} -ctv {}", lower, lower));
  }
  if (fit.n_cpu_moe > 0) args.push_back(fmt::format("--n-cpu-moe {}", fit.n_cpu_moe));
  if (!fit.layers_per_gpu.empty()) {
    args.push_back(fmt::format("--tensor-split {}", fmt::join(fit.layers_per_gpu, ",")));
  }
  return fmt::format("{}", fmt::join(args, " "));
}

std::string raise_limit_hint(const HardwareSpec& hw, double needed_bytes) {
  if (hw.backend == Backend::kMetal) {
    // iogpu.wired_limit_mb is in MiB; leave the profile's reserve to macOS.
    const auto mib =
        static_cast<int64_t>(std::ceil(bytes_to_mib(hw.gpu_memory_limit_raised_bytes)));
    return fmt::format("sudo sysctl iogpu.wired_limit_mb={} (needs {}; resets at reboot)", mib,
                       gib(needed_bytes));
  }
  return fmt::format(
      "raise the GPU's memory limit to at least {} (on Linux AMD APUs: the GTT "
      "size, e.g. amdttm.pages_limit; or the BIOS UMA frame buffer)",
      gib(needed_bytes));
}

const char* fit_kind_name(FitKind kind) {
  switch (kind) {
    case FitKind::kGpu:
      return "gpu";
    case FitKind::kGpuRaisedLimit:
      return "gpu_raised_limit";
    case FitKind::kMultiGpu:
      return "multi_gpu";
    case FitKind::kHost:
      return "cpu";
    case FitKind::kPartialOffload:
      return "partial_offload";
    case FitKind::kNoFit:
      return "no_fit";
  }
  return "no_fit";
}

const char* fit_kind_label(FitKind kind) {
  switch (kind) {
    case FitKind::kGpu:
      return "fits";
    case FitKind::kGpuRaisedLimit:
      return "fits (raise limit)";
    case FitKind::kMultiGpu:
      return "fits (multi-GPU)";
    case FitKind::kHost:
      return "fits (CPU)";
    case FitKind::kPartialOffload:
      return "offload";
    case FitKind::kNoFit:
      return "no";
  }
  return "no";
}

}  // namespace hwplan::planner
