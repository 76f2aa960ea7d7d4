#pragma once
// The execution plan (DESIGN.md "The execution plan"): the one record of what runs where for one
// model on one machine. `fit` proposes one, a llama.cpp command line builds one (llama_args.h);
// memory, decode, prefill and the emitted command all read it, so nothing is derived twice.

#include <cstdint>
#include <string>
#include <vector>

#include "planner/fit.h"
#include "planner/hardware_spec.h"
#include "planner/memory.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

/// Where a tensor (or a layer's KV cache) lives and is used.
enum class DeviceKind {
  kGpu,       ///< in GPU `gpu`'s memory (or unified memory), computed there
  kHost,      ///< in host RAM, computed by the CPU (llama.cpp partial offload, -ot X=CPU)
  kStreamed,  ///< in host RAM, copied over the bus to the GPU for every token
};

/// A device of the plan; `gpu` is the GPU index for kGpu, 0 otherwise.
struct Device {
  DeviceKind kind = DeviceKind::kGpu;
  int64_t gpu = 0;
  bool operator==(const Device&) const = default;
};

/// GPU i, the host CPU, host memory streamed over the bus.
Device gpu_device(int64_t index);
Device host_device();
Device streamed_device();

/// Where weights that do not fit the GPU go.
enum class OffloadMode {
  kAuto,    ///< llama.cpp's choice: computed by the CPU from host RAM (same as kCpu)
  kCpu,     ///< computed by the CPU from host RAM (-ngl / --n-cpu-moe)
  kStream,  ///< kept in host RAM and copied over the bus to the GPU for every token
  kNone,    ///< refuse: the model must fit GPU memory
};

/// How several GPUs share a model (llama.cpp -sm).
enum class SplitMode {
  kNone,    ///< one GPU (-mg) holds everything offloaded
  kLayer,   ///< pipeline: each GPU holds whole layers and they run one after another
  kRow,     ///< matrices split by rows across GPUs (llama.cpp -sm row)
  kTensor,  ///< tensor parallel: every GPU holds a slice of every layer, all-reduce twice per layer
};

/// One tensor (or group of tensors of one class in one layer) and the device it lives on.
struct PlannedTensor {
  TensorGroup tensor;
  Device device;
  /// True for a copy the runtime makes that the file does not hold (a tied embedding duplicated
  /// as the output matrix on the output's device). On the host it takes no memory of its own (the
  /// embedding serves) unless llama.cpp's CPU backend repacks its type (Q4_0, Q4_K, Q2_K, IQ4_NL,
  /// MXFP4 on x86 with AVX2): then the repacked output is a copy.
  bool duplicate = false;
  bool operator==(const PlannedTensor&) const = default;
};

/// The KV cache (or recurrent state) of one layer, for all sequences, and where it lives.
struct PlannedKv {
  int64_t layer = 0;
  double bytes = 0;
  Device device;
  bool operator==(const PlannedKv&) const = default;
};

/// What runs where: every tensor with its type, bytes and device; the KV cache per layer; the
/// workload (context per sequence, sequences, KV type, ubatch, flash attention); how GPUs split.
struct ExecutionPlan {
  std::string model_id;
  std::string hardware_id;
  std::vector<PlannedTensor> tensors;
  std::vector<PlannedKv> kv;    ///< one entry per layer, in layer order
  Workload workload;            ///< context_tokens is per sequence; batch = sequences (-np)
  bool kv_unified = false;      ///< sequences share one cache of context x sequences cells
  int64_t batch_tokens = 2048;  ///< llama.cpp logical batch (-b)
  int64_t n_gpus = 1;           ///< GPUs the plan may use (all GPUs of all nodes)
  int64_t nodes = 1;
  SplitMode split = SplitMode::kLayer;
  int64_t main_gpu = 0;              ///< -mg: the GPU of -sm none and of row-split outputs
  std::vector<double> tensor_split;  ///< -ts proportions as given; empty: by free memory
  int64_t n_gpu_layers = 0;          ///< -ngl that produced the layer placement
  bool offload_kv = true;            ///< false: -nkvo, every KV cache in host RAM
  bool operator==(const ExecutionPlan&) const = default;
};

/// Memory one device holds for a plan.
struct DeviceMemory {
  Device device;
  double weights_bytes = 0;
  double kv_bytes = 0;
  double compute_bytes = 0;
  double overhead_bytes = 0;
  double total_bytes() const { return weights_bytes + kv_bytes + compute_bytes + overhead_bytes; }
  bool operator==(const DeviceMemory&) const = default;
};

/// The device of each layer 0..n_layers (n_layers is the output layer) under llama.cpp's rule:
/// layers from n_layers + 1 - n_gpu_layers on are offloaded; the offloaded ones are spread over
/// the GPUs at the cumulative `proportions` (equal when empty), as llama_model::load_tensors does.
std::vector<Device> llama_layer_devices(int64_t n_layers, int64_t n_gpu_layers, int64_t n_gpus,
                                        const std::vector<double>& proportions);

/// A plan with every tensor on its layer's device (`layer_devices` from llama_layer_devices; the
/// token embedding always on the host), KV caches with their layers (or on the host when
/// !offload_kv) and a tied embedding duplicated on the output's device.
ExecutionPlan plan_from_layers(const ModelSpec& model, const WeightInventory& weights,
                               const HardwareSpec& hardware, const Workload& workload,
                               const std::vector<Device>& layer_devices, bool offload_kv);

/// The plan that a fit result describes (its -ngl, --n-cpu-moe and tensor split); host-held
/// weights are streamed instead of computed by the CPU when `offload` is kStream.
ExecutionPlan plan_from_fit(const ModelSpec& model, const WeightInventory& weights,
                            const HardwareSpec& hardware, const Workload& workload,
                            const FitResult& fit, OffloadMode offload);

/// Memory per device: the host first, then each GPU that holds anything (or all GPUs of a
/// row/tensor split). A GPU gets a compute buffer and the runtime overhead; the host gets a
/// compute buffer when it computes any layer.
std::vector<DeviceMemory> plan_memory(const ExecutionPlan& plan, const ModelSpec& model,
                                      const HardwareSpec& hardware);

/// Bytes of weights the file holds (duplicates excluded).
double plan_weight_bytes(const ExecutionPlan& plan);
/// Bytes of weights on a device kind (duplicates that take memory included; a tied output the
/// host shares with the embedding is not).
double plan_bytes_on(const ExecutionPlan& plan, DeviceKind kind);

/// How well a plan fits: per-GPU and host memory against what the machine can use; the legacy
/// fields (n_gpu_layers, n_cpu_moe, bytes_per_gpu) describe the plan as far as they can.
FitResult fit_of_plan(const ExecutionPlan& plan, const ModelSpec& model,
                      const HardwareSpec& hardware);

/// One line a person reads: each device's memory and what it holds, e.g.
/// "CUDA0 20.1 GiB (attention 1.2, experts 16.0, output 0.6; KV 1.5; buffers 0.8); CPU 0.6 GiB
/// (embedding 0.6)".
std::string describe_plan(const ExecutionPlan& plan, const ModelSpec& model,
                          const HardwareSpec& hardware);

/// "CUDA0", "ROCm1", "Metal", "Vulkan0", "CPU" (llama.cpp's buffer names), "host (streamed)".
std::string device_name(const Device& device, Backend backend);

const char* split_mode_name(SplitMode mode);
const char* offload_mode_name(OffloadMode mode);

}  // namespace hwplan::planner
