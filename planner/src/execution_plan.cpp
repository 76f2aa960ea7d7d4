#include "planner/execution_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <numeric>

#include "common/check.h"
#include "common/error.h"
#include "common/units.h"

namespace hwplan::planner {
namespace {

// Types llama.cpp's CPU backend repacks for its matrix products on x86 with AVX2 (ggml-cpu
// repack.cpp, ggml_repack_get_optimal_repack_type): a weight of these types lives in the
// CPU_REPACK buffer, so a tied output of such a type is a copy beside the embedding (which stays
// in the plain CPU buffer for row lookups). ARM hosts repack more types (Q5_K, Q6_K); not modelled.
bool cpu_repacks(const std::string& type) {
  return type == "Q4_0" || type == "Q4_K" || type == "Q2_K" || type == "IQ4_NL" || type == "MXFP4";
}

// A tied output that takes no memory of its own: on the host the embedding serves as the output
// unless the CPU backend repacks its type (then llama.cpp holds a repacked copy); on a GPU it is
// always a copy.
bool shares_embedding(const PlannedTensor& t) {
  return t.duplicate && t.device.kind != DeviceKind::kGpu && !cpu_repacks(t.tensor.type);
}

// The CPU computes something when a tensor other than the embedding lookup is placed on it, or a
// KV cache is (attention then runs on the CPU).
bool host_computes(const ExecutionPlan& plan) {
  for (const auto& t : plan.tensors) {
    if (t.device.kind == DeviceKind::kHost && t.tensor.cls != TensorClass::kEmbedding) return true;
  }
  for (const auto& kv : plan.kv) {
    if (kv.device.kind != DeviceKind::kGpu && kv.bytes > 0) return true;
  }
  return false;
}

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes_to_gib(bytes)); }

}  // namespace

Device gpu_device(int64_t index) { return {DeviceKind::kGpu, index}; }
Device host_device() { return {DeviceKind::kHost, 0}; }
Device streamed_device() { return {DeviceKind::kStreamed, 0}; }

std::vector<Device> llama_layer_devices(int64_t n_layers, int64_t n_gpu_layers, int64_t n_gpus,
                                        const std::vector<double>& proportions) {
  std::vector<Device> devices(static_cast<size_t>(n_layers + 1), host_device());
  if (n_gpus <= 0 || n_gpu_layers <= 0) return devices;
  // llama_model::load_tensors: cumulative split points normalised to 1, in float as llama.cpp
  // computes them, so that layer boundaries fall exactly where llama.cpp puts them.
  std::vector<float> splits(static_cast<size_t>(n_gpus), 1.0F);
  const bool given = !proportions.empty() && std::any_of(proportions.begin(), proportions.end(),
                                                         [](double p) { return p > 0; });
  if (given) {
    for (size_t i = 0; i < splits.size(); ++i) {
      splits[i] = i < proportions.size() ? static_cast<float>(proportions[i]) : 0.0F;
    }
  }
  float sum = 0.0F;
  for (auto& s : splits) {
    sum += s;
    s = sum;
  }
  for (auto& s : splits) s /= sum;
  const int64_t gpu_start = std::max<int64_t>(n_layers + 1 - n_gpu_layers, 0);
  const int64_t active = std::min(n_gpu_layers, n_layers + 1);
  for (int64_t layer = gpu_start; layer <= n_layers; ++layer) {
    if (layer - gpu_start >= active) break;
    const float x = static_cast<float>(layer - gpu_start) / static_cast<float>(active);
    const auto gpu = std::upper_bound(splits.begin(), splits.end(), x) - splits.begin();
    devices[static_cast<size_t>(layer)] = gpu_device(std::min<int64_t>(gpu, n_gpus - 1));
  }
  return devices;
}

ExecutionPlan plan_from_layers(const ModelSpec& m, const WeightInventory& inv,
                               const HardwareSpec& hw, const Workload& w,
                               const std::vector<Device>& layer_devices, bool offload_kv) {
  HWPLAN_CHECK(static_cast<int64_t>(layer_devices.size()) == m.n_layers + 1)
      << "layer devices: " << layer_devices.size() << " for " << m.n_layers << " layers";
  ExecutionPlan plan;
  plan.model_id = m.id;
  plan.hardware_id = hw.id;
  plan.workload = w;
  plan.n_gpus = placement_gpu_count(hw);
  plan.offload_kv = offload_kv;
  plan.n_gpu_layers = 0;
  for (const auto& device : layer_devices) {
    if (device.kind == DeviceKind::kGpu) ++plan.n_gpu_layers;
  }
  const Device output_device = layer_devices.back();
  for (const auto& g : inv.groups) {
    Device device = host_device();  // the token embedding: llama.cpp keeps the input on the CPU
    if (g.layer >= 0) device = layer_devices[static_cast<size_t>(std::min(g.layer, m.n_layers))];
    plan.tensors.push_back({g, device, false});
    if (g.cls == TensorClass::kEmbedding && m.tied_embeddings) {
      // No output tensor: llama.cpp duplicates token_embd on the output layer's device.
      TensorGroup output = g;
      output.name = "output.weight";
      output.layer = m.n_layers;
      output.cls = TensorClass::kOutput;
      plan.tensors.push_back({output, output_device, true});
    }
  }
  for (int64_t layer = 0; layer < m.n_layers; ++layer) {
    const Device device = offload_kv ? layer_devices[static_cast<size_t>(layer)] : host_device();
    plan.kv.push_back({layer, kv_cache_bytes_for_layer(m, w, layer), device});
  }
  return plan;
}

ExecutionPlan plan_from_fit(const ModelSpec& m, const WeightInventory& inv, const HardwareSpec& hw,
                            const Workload& w, const FitResult& fit, OffloadMode offload) {
  std::vector<double> proportions(fit.layers_per_gpu.begin(), fit.layers_per_gpu.end());
  const int64_t n_gpu_layers = fit.kind == FitKind::kNoFit ? 0 : fit.n_gpu_layers;
  const auto devices = llama_layer_devices(m.n_layers, n_gpu_layers, hw.gpu_count, proportions);
  ExecutionPlan plan = plan_from_layers(m, inv, hw, w, devices, true);
  plan.tensor_split = proportions;
  for (auto& t : plan.tensors) {
    if (t.tensor.cls == TensorClass::kExperts && t.tensor.layer < fit.n_cpu_moe) {
      t.device = host_device();  // --n-cpu-moe N: experts of the first N layers on the CPU
    }
  }
  if (offload == OffloadMode::kStream) {
    for (auto& t : plan.tensors) {
      if (t.device.kind == DeviceKind::kHost && t.tensor.cls != TensorClass::kEmbedding) {
        t.device = streamed_device();
      }
    }
    for (auto& kv : plan.kv) {
      if (kv.device.kind == DeviceKind::kHost) kv.device = streamed_device();
    }
  }
  return plan;
}

std::vector<DeviceMemory> plan_memory(const ExecutionPlan& plan, const ModelSpec& m,
                                      const HardwareSpec& hw) {
  const double compute = compute_buffer_bytes(m, plan.workload);
  std::vector<DeviceMemory> memory;
  memory.push_back({host_device(), 0, 0, 0, 0});
  for (int64_t i = 0; i < plan.n_gpus; ++i) memory.push_back({gpu_device(i), 0, 0, 0, 0});
  auto slot = [&](const Device& device) -> DeviceMemory& {
    if (device.kind != DeviceKind::kGpu) return memory.front();  // streamed weights live in RAM
    HWPLAN_CHECK(device.gpu >= 0 && device.gpu < plan.n_gpus) << "GPU " << device.gpu;
    return memory[static_cast<size_t>(device.gpu + 1)];
  };
  std::vector<bool> used(memory.size(), false);
  for (const auto& t : plan.tensors) {
    if (shares_embedding(t)) continue;
    slot(t.device).weights_bytes += t.tensor.bytes;
    if (t.device.kind == DeviceKind::kGpu && t.tensor.cls != TensorClass::kEmbedding) {
      used[static_cast<size_t>(t.device.gpu + 1)] = true;
    }
  }
  for (const auto& kv : plan.kv) {
    slot(kv.device).kv_bytes += kv.bytes;
    if (kv.device.kind == DeviceKind::kGpu && kv.bytes > 0)
      used[static_cast<size_t>(kv.device.gpu + 1)] = true;
  }
  const bool split_tensors = plan.split == SplitMode::kRow || plan.split == SplitMode::kTensor;
  std::vector<DeviceMemory> out;
  if (host_computes(plan)) memory.front().compute_bytes = compute;
  out.push_back(memory.front());
  for (size_t i = 1; i < memory.size(); ++i) {
    if (!used[i] && !split_tensors) continue;
    memory[i].compute_bytes = compute;
    memory[i].overhead_bytes = gpu_spec(hw, static_cast<int64_t>(i) - 1).runtime_overhead_bytes;
    out.push_back(memory[i]);
  }
  return out;
}

double plan_weight_bytes(const ExecutionPlan& plan) {
  double sum = 0;
  for (const auto& t : plan.tensors) {
    if (!t.duplicate) sum += t.tensor.bytes;
  }
  return sum;
}

double plan_bytes_on(const ExecutionPlan& plan, DeviceKind kind) {
  double sum = 0;
  for (const auto& t : plan.tensors) {
    if (shares_embedding(t)) continue;
    if (t.device.kind == kind) sum += t.tensor.bytes;
  }
  return sum;
}

FitResult fit_of_plan(const ExecutionPlan& plan, const ModelSpec& m, const HardwareSpec& hw) {
  FitResult fit;
  fit.n_layers = m.n_layers;
  fit.n_gpu_layers = plan.n_gpu_layers;
  const auto memory = plan_memory(plan, m, hw);
  double kv_total = 0;
  for (const auto& kv : plan.kv) kv_total += kv.bytes;
  const bool cpu_only = plan.n_gpus == 0;  // no GPU runtime to count
  fit.need = {plan_weight_bytes(plan), kv_total, compute_buffer_bytes(m, plan.workload),
              cpu_only ? 0.0 : hw.runtime_overhead_bytes};
  fit.gpu_usable_bytes = usable_gpu_bytes(hw, LimitMode::kDefault);
  fit.host_usable_bytes = usable_host_bytes(hw);
  const double raised = usable_gpu_bytes(hw, LimitMode::kRaised);
  double largest_gpu = 0;
  // The GPU that is fullest for its size (on a mixed machine not always the one holding most).
  double worst_over = -1e300;
  for (const auto& dm : memory) {
    if (dm.device.kind == DeviceKind::kHost) {
      fit.host_bytes = dm.total_bytes();
    } else {
      fit.bytes_per_gpu.push_back(dm.total_bytes());
      fit.gpu_bytes += dm.total_bytes();
      const double usable = usable_gpu_bytes_of(hw, dm.device.gpu);
      if (dm.total_bytes() - usable > worst_over) {
        worst_over = dm.total_bytes() - usable;
        largest_gpu = dm.total_bytes();
        fit.gpu_usable_bytes = usable;
      }
    }
  }
  fit.gpu_need_bytes = fit.need.weights_bytes + kv_total + fit.need.compute_buffer_bytes +
                       fit.need.runtime_overhead_bytes;
  // --n-cpu-moe as far as the plan's host experts are the leading layers' experts.
  for (int64_t layer = 0; layer < m.n_layers; ++layer) {
    bool host_experts = false;
    for (const auto& t : plan.tensors) {
      if (t.tensor.layer == layer && t.tensor.cls == TensorClass::kExperts &&
          t.device.kind == DeviceKind::kHost) {
        host_experts = true;
      }
    }
    if (!host_experts) break;
    fit.n_cpu_moe = layer + 1;
  }
  bool offloaded = false;
  for (const auto& t : plan.tensors) {
    if (t.device.kind != DeviceKind::kGpu && t.tensor.cls != TensorClass::kEmbedding)
      offloaded = true;
  }
  for (const auto& kv : plan.kv) {
    if (kv.device.kind != DeviceKind::kGpu && kv.bytes > 0) offloaded = true;
  }
  const double host_need =
      hw.kind == MemoryKind::kUnified ? fit.host_bytes + fit.gpu_bytes : fit.host_bytes;
  const bool host_ok = host_need <= fit.host_usable_bytes;
  const std::string devices =
      fmt::format("{} GPU{}", fit.bytes_per_gpu.size(), fit.bytes_per_gpu.size() == 1 ? "" : "s");
  if (!host_ok || largest_gpu > raised ||
      (hw.kind == MemoryKind::kDiscrete && largest_gpu > fit.gpu_usable_bytes)) {
    fit.kind = FitKind::kNoFit;
    fit.summary = fmt::format(
        "this placement does not fit: {} on the busiest GPU of {} usable, "
        "{} in host memory of {} usable",
        gib(largest_gpu), gib(fit.gpu_usable_bytes), gib(host_need), gib(fit.host_usable_bytes));
    return fit;
  }
  if (cpu_only) {
    fit.kind = FitKind::kHost;
    fit.gpu_usable_bytes = 0;
    fit.summary = fmt::format("as placed: {} in host RAM of {} usable (CPU backend, no GPU)",
                              gib(fit.host_bytes), gib(fit.host_usable_bytes));
  } else if (offloaded) {
    fit.kind = FitKind::kPartialOffload;
    fit.summary = fmt::format("as placed: {} on {}, {} in host RAM", gib(fit.gpu_bytes), devices,
                              gib(fit.host_bytes));
  } else if (fit.bytes_per_gpu.size() > 1) {
    fit.kind = FitKind::kMultiGpu;
    fit.summary = fmt::format("as placed: {} across {}", gib(fit.gpu_bytes), devices);
  } else if (largest_gpu > fit.gpu_usable_bytes) {
    fit.kind = FitKind::kGpuRaisedLimit;
    fit.gpu_usable_bytes = raised;
    fit.summary = fmt::format("as placed: fits after raising the GPU memory limit to {}: needs {}",
                              gib(raised), gib(largest_gpu));
  } else {
    fit.kind = FitKind::kGpu;
    fit.summary = fmt::format("as placed: {} on the GPU of {} usable", gib(largest_gpu),
                              gib(fit.gpu_usable_bytes));
  }
  return fit;
}

std::string describe_plan(const ExecutionPlan& plan, const ModelSpec& m, const HardwareSpec& hw) {
  std::vector<std::string> parts;
  for (const auto& dm : plan_memory(plan, m, hw)) {
    if (dm.total_bytes() <= 0) continue;
    // Weights by class, largest first, on this device.
    std::vector<std::pair<double, std::string>> classes;
    for (int c = 0; c <= static_cast<int>(TensorClass::kNorm); ++c) {
      const auto cls = static_cast<TensorClass>(c);
      double bytes = 0;
      for (const auto& t : plan.tensors) {
        const bool here = dm.device.kind == DeviceKind::kHost ? t.device.kind != DeviceKind::kGpu
                                                              : t.device == dm.device;
        if (here && t.tensor.cls == cls) bytes += t.tensor.bytes;
      }
      if (bytes_to_gib(bytes) >= 0.05) classes.emplace_back(bytes, tensor_class_name(cls));
    }
    std::sort(classes.begin(), classes.end(), std::greater<>());
    std::vector<std::string> items;
    items.reserve(classes.size());
    for (const auto& [bytes, name] : classes)
      items.push_back(fmt::format("{} {:.1f}", name, bytes_to_gib(bytes)));
    std::string inside = fmt::format("{}", fmt::join(items, ", "));
    if (dm.kv_bytes > 0)
      inside += fmt::format("{}KV {:.1f}", inside.empty() ? "" : "; ", bytes_to_gib(dm.kv_bytes));
    const double buffers = dm.compute_bytes + dm.overhead_bytes;
    if (buffers > 0)
      inside += fmt::format("{}buffers {:.1f}", inside.empty() ? "" : "; ", bytes_to_gib(buffers));
    parts.push_back(fmt::format("{} {:.1f} GiB ({})", device_name(dm.device, hw.backend),
                                bytes_to_gib(dm.total_bytes()), inside));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string device_name(const Device& device, Backend backend) {
  switch (device.kind) {
    case DeviceKind::kHost:
      return "CPU";
    case DeviceKind::kStreamed:
      return "host (streamed)";
    case DeviceKind::kGpu:
      break;
  }
  switch (backend) {
    case Backend::kMetal:
      return "Metal";
    case Backend::kRocm:
      return fmt::format("ROCm{}", device.gpu);
    case Backend::kVulkan:
      return fmt::format("Vulkan{}", device.gpu);
    case Backend::kCpu:
      return "CPU";
    case Backend::kCuda:
      break;
  }
  return fmt::format("CUDA{}", device.gpu);
}

const char* split_mode_name(SplitMode mode) {
  switch (mode) {
    case SplitMode::kNone:
      return "none";
    case SplitMode::kLayer:
      return "layer";
    case SplitMode::kRow:
      return "row";
    case SplitMode::kTensor:
      return "tensor";
  }
  return "layer";
}

const char* offload_mode_name(OffloadMode mode) {
  switch (mode) {
    case OffloadMode::kAuto:
      return "auto";
    case OffloadMode::kCpu:
      return "cpu";
    case OffloadMode::kStream:
      return "stream";
    case OffloadMode::kNone:
      return "none";
  }
  return "auto";
}

}  // namespace hwplan::planner
