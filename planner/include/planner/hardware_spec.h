#pragma once
// A machine as the planner sees it (DESIGN.md "Usable memory", "Decode"). Loaded from a bundled
// profile, a profile written by `hwplan probe`, or an inline what-if; wherever it came from.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hwplan::planner {

/// Whether CPU and GPU share one memory pool.
enum class MemoryKind {
  kUnified,   ///< Apple M-series, Strix Halo, DGX Spark: one pool, the GPU may use part of it
  kDiscrete,  ///< GPU(s) with their own VRAM behind a bus, host RAM beside
};

/// The GPU runtime llama.cpp uses on the machine (or none).
enum class Backend { kCuda, kMetal, kRocm, kVulkan, kCpu };

/// The memory class efficiency factors are grouped by (DESIGN.md "per backend and memory class").
enum class MemoryClass {
  kHbm,      ///< HBM GPUs
  kGddr,     ///< other discrete GPUs
  kUnified,  ///< unified-memory machines
  kHost,     ///< machines without a GPU backend: the CPU reads host RAM
};

/// Where a number came from.
struct Source {
  std::string title;
  std::string url;
  std::string accessed;
  bool operator==(const Source&) const = default;
};

/// One item of what a machine's price buys ("4 x RTX 3090, used", "board, CPU, RAM, PSU, case").
struct PricePart {
  std::string part;
  double usd = 0;
  std::string note;  ///< new/used, date, where the figure comes from
  bool operator==(const PricePart&) const = default;
};

/// One GPU of a machine whose GPUs differ (an RTX 5090 beside an RTX 4090): the figures that are
/// per GPU in HardwareSpec.
struct GpuSpec {
  std::string name;
  double memory_bytes = 0;
  double bandwidth_bytes_per_s = 0;
  double fp16_flop_per_s = 0;
  double int8_op_per_s = 0;
  double gpu_memory_reserved_bytes = 0;
  double runtime_overhead_bytes = 0;
  double bus_bytes_per_s = 0;
  bool operator==(const GpuSpec&) const = default;
};

/// One machine. Quantities in base units (bytes, bytes/s, FLOP/s); per-GPU where it says so.
struct HardwareSpec {
  std::string id;
  std::string name;
  MemoryKind kind = MemoryKind::kDiscrete;
  std::string memory_type;  ///< gddr6, gddr6x, gddr7, hbm2e, hbm3, hbm3e, lpddr5, lpddr5x, ddr5
  Backend backend = Backend::kCuda;
  int64_t gpu_count = 1;
  /// Empty: gpu_count identical GPUs as the per-GPU fields below describe. Otherwise one entry
  /// per GPU (gpu_count of them, discrete only), and the per-GPU fields below hold GPU 0's.
  /// Read a GPU's figures with gpu_spec(), never the per-GPU fields, where GPUs may differ.
  std::vector<GpuSpec> gpus;
  double memory_bytes = 0;                   ///< per GPU (discrete) or the whole pool (unified)
  double bandwidth_bytes_per_s = 0;          ///< per GPU
  double fp16_flop_per_s = 0;                ///< dense, per GPU
  double int8_op_per_s = 0;                  ///< dense, per GPU; 0 when not given
  double gpu_memory_limit_bytes = 0;         ///< unified: what the GPU may use by default
  double gpu_memory_limit_raised_bytes = 0;  ///< unified: after the user raises the limit
  double gpu_memory_reserved_bytes = 0;      ///< discrete: VRAM kept by driver and display
  double runtime_overhead_bytes = 0;         ///< per GPU: runtime context and workspaces
  double host_memory_bytes = 0;              ///< discrete: host RAM; unified: the pool
  double host_bandwidth_bytes_per_s = 0;
  double host_reserved_bytes = 0;  ///< RAM the OS and other programs keep
  /// CPU cores llama.cpp's threads run on when the CPU computes layers (0: not known, and the
  /// CPU's compute is then left out of the speed model)
  int64_t host_cores = 0;
  double bus_bytes_per_s = 0;  ///< per GPU link, per direction; 0 for unified
  int64_t pcie_generation = 0;
  int64_t pcie_lanes = 0;
  std::string interconnect = "none";  ///< between GPUs or nodes
  double interconnect_bytes_per_s = 0;
  double power_idle_w = 0;
  double power_load_w = 0;
  std::optional<double> price_usd;
  std::string price_date;
  std::string price_note;
  /// What the price buys, part by part; when given, price_usd is their sum. Empty: the profile
  /// does not break it down (the report says so for discrete GPUs: maybe the card alone).
  std::vector<PricePart> price_parts;
  std::string notes;
  /// "" for a machine on sale with datasheet or measured figures; "estimate" (figures derived,
  /// not published), "announced" (not shipping yet) or "not sold" (a what-if configuration):
  /// shown beside the machine wherever it appears.
  std::string status;
  std::vector<Source> sources;
  bool operator==(const HardwareSpec&) const = default;
};

/// Parses a hardware profile (schema in README "Hardware profile schema"). Rejects unknown keys,
/// missing fields, wrong types and impossible values, naming `origin` and the JSON pointer.
HardwareSpec hardware_from_json(const nlohmann::json& json, const std::string& origin);

/// Writes a profile in the same schema; hardware_from_json(hardware_to_json(h)) == h.
nlohmann::json hardware_to_json(const HardwareSpec& hardware);

/// Applies "key=value,key=value" overrides to a profile's JSON and re-validates it, so an override
/// is checked exactly like a file. An empty base builds an inline what-if machine from defaults.
HardwareSpec apply_hardware_overrides(const nlohmann::json& base, const std::string& overrides,
                                      const std::string& origin);

/// Which GPU memory limit applies on unified machines.
enum class LimitMode { kDefault, kRaised };

/// Memory one GPU may use for model, KV cache and buffers (unified: the wired/GTT limit; discrete:
/// VRAM less what driver and display keep), in bytes.
double usable_gpu_bytes(const HardwareSpec& hardware, LimitMode mode = LimitMode::kDefault);

/// Memory GPU `index` may use at the default limit (usable_gpu_bytes for alike GPUs; a listed GPU's
/// VRAM less what driver and display keep).
double usable_gpu_bytes_of(const HardwareSpec& hardware, int64_t index);

/// llama.cpp's default split of layers over the GPUs (proportional to free memory): each GPU's
/// usable memory where they differ; empty (equal shares) where they are alike.
std::vector<double> default_split_proportions(const HardwareSpec& hardware);

/// GPU `index`'s figures: its entry in `gpus`, or the per-GPU fields when the GPUs are alike.
GpuSpec gpu_spec(const HardwareSpec& hardware, int64_t index);

/// True when the machine's GPUs differ (`gpus` lists them).
bool mixed_gpus(const HardwareSpec& hardware);

/// "RTX 5090 + RTX 4090" for mixed GPUs, "4 GPUs" / "the GPU" otherwise (for sentences).
std::string gpu_list_text(const HardwareSpec& hardware);

/// One machine with the GPUs of several discrete profiles in one host (`--hw rtx-5090+rtx-4090`):
/// host, bus and platform from the first; every GPU of each part, in order. All parts must be
/// discrete and share one backend (llama.cpp runs one GPU backend per process). The price and
/// power are left to the parts (the result is unpriced; its power adds each further GPU's load
/// above idle). Error{kInput} naming the part otherwise.
HardwareSpec combine_gpus(const std::vector<HardwareSpec>& parts);

/// Host memory available for weights the CPU holds (unified: the whole pool less the OS).
double usable_host_bytes(const HardwareSpec& hardware);

/// The GPUs llama.cpp can place tensors on: none with the CPU backend, else gpu_count.
int64_t placement_gpu_count(const HardwareSpec& hardware);

const char* memory_kind_name(MemoryKind kind);

/// The backends a profile may name: cuda, metal, rocm, vulkan, cpu.
const std::vector<std::string>& backend_names();

/// "cuda", "metal", ... (profile and JSON spelling).
const char* backend_name(Backend backend);

/// The backend a name stands for; Error{kUsage} listing the names for an unknown one.
Backend backend_from_name(const std::string& name);

/// The memory class of a machine: unified, HBM or other discrete memory.
MemoryClass memory_class(const HardwareSpec& hardware);

/// "hbm", "gddr", "unified" (the spelling of calibration.json's groups).
const char* memory_class_name(MemoryClass memory_class);

/// A machine as tables show it: its id, and its status where it is not an ordinary machine on sale
/// ("m5-max-128 (estimate)").
std::string hardware_label(const HardwareSpec& hardware);

}  // namespace hwplan::planner
