#pragma once
// A llama.cpp command line <-> an execution plan (DESIGN.md "The execution plan"). The parser
// reads the flags that decide placement and memory (-ngl, -ot, --cpu-moe, -ncmoe, -ts, -sm, -mg,
// -c, -np, --kv-unified, -ub, -b, -ctk/-ctv, -fa, -nkvo, --fit*), the builder applies them the way
// llama.cpp's loader does, and the emitter writes a command that builds the same plan again.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planner/execution_plan.h"
#include "planner/quant_spec.h"

namespace hwplan::planner {

/// One -ot/--override-tensor entry (or one that --cpu-moe / --n-cpu-moe stands for).
struct TensorOverride {
  std::string pattern;  ///< ECMAScript regex searched in tensor names, as llama.cpp does
  std::string buffer;   ///< as written: "CPU", "CUDA0", ...
  std::string flag;     ///< the flag it came from, for messages
  /// For --n-cpu-moe: the layer whose routed experts this stands for (matched without a regex,
  /// so thousands of layers cost nothing); -1 for a pattern.
  int64_t expert_layer = -1;
  bool operator==(const TensorOverride&) const = default;
};

/// The flags of a llama.cpp command line that decide the plan; unset ones take llama.cpp's
/// defaults when the plan is built.
struct LlamaArgs {
  std::string program;                    ///< "llama-server", "llama-cli", ... ("" if not given)
  std::string model_path;                 ///< -m
  std::optional<int64_t> n_gpu_layers;    ///< -ngl N; "all" = a value above any layer count
  bool n_gpu_layers_auto = false;         ///< -ngl auto (or not given)
  std::vector<TensorOverride> overrides;  ///< in command-line order: the first match wins
  std::optional<int64_t> context_tokens;  ///< -c: all sequences together; 0 = the model's maximum
  std::optional<int64_t> n_parallel;      ///< -np
  std::optional<bool> kv_unified;         ///< --kv-unified / --no-kv-unified
  std::optional<int64_t> ubatch_tokens;   ///< -ub
  std::optional<int64_t> batch_tokens;    ///< -b
  std::optional<std::string> cache_type_k;
  std::optional<std::string> cache_type_v;
  std::optional<std::string> flash_attention;  ///< "on", "off", "auto"
  bool no_kv_offload = false;                  ///< -nkvo
  std::optional<SplitMode> split;              ///< -sm
  std::optional<int64_t> main_gpu;             ///< -mg
  std::vector<double> tensor_split;            ///< -ts
  std::optional<bool> fit;                     ///< --fit on|off
  std::vector<int64_t> fit_target_mib;         ///< --fit-target (per device, MiB)
  std::optional<int64_t> fit_ctx;              ///< --fit-ctx
  std::vector<std::string> unknown;            ///< flags hwplan does not model, as written
  bool operator==(const LlamaArgs&) const = default;
};

/// Splits a command line into words as a POSIX shell would for plain words, 'single' and
/// "double" quotes and backslash escapes (no expansion). Error{kUsage} for an unclosed quote.
std::vector<std::string> split_command_line(const std::string& text);

/// Parses a llama.cpp command line (with or without the program name). Error{kUsage} naming the
/// flag for a missing or malformed value, an unknown -sm mode or a bad regex; flags it does not
/// model are listed in `unknown`, never guessed.
LlamaArgs parse_llama_args(const std::string& text);

/// The plan llama.cpp would run for these flags on `hardware`. `base` supplies what the command
/// leaves out (context, KV type). When placement is left to llama.cpp's own fitter (-ngl auto
/// with --fit on and no -ts/-ot) hwplan's fit_model stands in for it. Notes say what was assumed.
/// Error{kUsage} naming the flag for a device the machine lacks or a -ts longer than its GPUs;
/// Error{kInput} for a context beyond the model's.
ExecutionPlan plan_from_llama_args(const ModelSpec& model, const WeightInventory& weights,
                                   const HardwareSpec& hardware, const LlamaArgs& args,
                                   const Workload& base, const QuantCatalog& catalog,
                                   std::vector<std::string>& notes);

/// How the emitted command places tensors.
enum class EmitMode {
  kPinned,  ///< every placement flag written, with --fit off
  kAuto,    ///< placement left to llama.cpp's fitter: -c, --fit-ctx, --fit-target only
};

/// A command that builds `plan` again: parse + plan_from_llama_args of it gives `plan` back
/// (kPinned). `model_path` is written after -m ("MODEL.gguf" when empty). `why` gets one sentence
/// on the placement choice. Error{kUnsupported} for weights streamed over the bus, which no
/// llama.cpp flag expresses.
std::string emit_llama_command(const ExecutionPlan& plan, const ModelSpec& model,
                               const HardwareSpec& hardware, const std::string& model_path,
                               EmitMode mode, std::string* why = nullptr);

}  // namespace hwplan::planner
