#include "planner/mlx_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "common/units.h"
#include "planner/fit.h"

namespace hwplan::planner {
namespace {

double d(int64_t value) { return static_cast<double>(value); }

// mlx-lm keeps its caches in the model's 16-bit type.
constexpr double kElementBytes = 2.0;

std::string gib(double bytes) { return fmt::format("{:.1f} GiB", bytes_to_gib(bytes)); }

}  // namespace

MlxMemory mlx_memory(const ModelSpec& m, const WeightInventory& weights, const HardwareSpec& hw,
                     const Workload& w, const MlxOptions& o) {
  if (hw.backend != Backend::kMetal) throw_input("mlx: {} is not an Apple (Metal) machine", hw.id);
  if (o.nodes < 1) throw_input("mlx: nodes must be >= 1, got {}", o.nodes);
  MlxMemory x;
  const double share = 1.0 / d(o.nodes);
  x.weights_bytes = total_weight_bytes(weights) * share;
  // The planner's KV bytes at 16 bits: mlx-lm grows each cache in 256-token steps, the same steps
  // llama.cpp pads to; sliding-window layers keep their window (RotatingKVCache).
  Workload sixteen = w;
  sixteen.kv_cache = {"F16", kElementBytes};
  x.kv_bytes = kv_cache_bytes(m, sixteen) * share;
  const double ffn =
      is_moe(m) ? d(m.moe.n_experts_per_token * m.moe.expert_ffn_size + m.moe.shared_ffn_size)
                : d(m.ffn_size);
  const int64_t chunk = std::min(o.prefill_step_tokens, w.context_tokens);
  x.activation_bytes = d(chunk) * (4.0 * d(m.hidden_size) + 3.0 * ffn) * kElementBytes;
  x.total_bytes = x.weights_bytes + x.kv_bytes + x.activation_bytes;
  x.limit_bytes = hw.gpu_memory_limit_bytes;
  x.raised_limit_bytes = hw.gpu_memory_limit_raised_bytes;
  x.pool_bytes = usable_host_bytes(hw);
  const std::string need =
      fmt::format("weights {} + KV cache {} + activations {} = {}", gib(x.weights_bytes),
                  gib(x.kv_bytes), gib(x.activation_bytes), gib(x.total_bytes));
  if (x.total_bytes <= x.limit_bytes) {
    x.verdict = MlxVerdict::kFits;
    x.reason = fmt::format("fits the GPU's working set of {}: {}", gib(x.limit_bytes), need);
  } else if (x.total_bytes <= x.raised_limit_bytes) {
    x.verdict = MlxVerdict::kRaiseLimit;
    x.reason = fmt::format("{} exceeds the GPU's working set of {}: {}", need, gib(x.limit_bytes),
                           raise_limit_hint(hw, x.total_bytes));
  } else if (x.total_bytes <= x.pool_bytes) {
    x.verdict = MlxVerdict::kPages;
    x.reason = fmt::format(
        "{} exceeds even the raised GPU limit of {} but not the {} macOS leaves: MLX allocates it, "
        "macOS pages GPU memory and mlx-lm warns that generation will be slow",
        need, gib(x.raised_limit_bytes), gib(x.pool_bytes));
  } else {
    x.verdict = MlxVerdict::kNoFit;
    x.reason = fmt::format("does not fit: {} of {} usable", need, gib(x.pool_bytes));
  }
  return x;
}

const char* mlx_verdict_label(MlxVerdict verdict) {
  switch (verdict) {
    case MlxVerdict::kFits:
      return "fits";
    case MlxVerdict::kRaiseLimit:
      return "raise limit";
    case MlxVerdict::kPages:
      return "pages (slow)";
    case MlxVerdict::kNoFit:
      return "no";
  }
  return "no";
}

std::string mlx_command(const std::string& model, const std::string& convert_args,
                        const MlxMemory& x, const HardwareSpec& hw, const Workload& w) {
  if (x.verdict == MlxVerdict::kNoFit) return "";
  std::string serve = fmt::format("mlx_lm.server --model {} --max-kv-size {}",
                                  convert_args.empty() ? model : "mlx-model", w.context_tokens);
  if (!convert_args.empty()) {
    serve = fmt::format("mlx_lm.convert --hf-path {} {} --mlx-path mlx-model && {}", model,
                        convert_args, serve);
  }
  if (x.verdict == MlxVerdict::kFits) return serve;
  const auto mib = static_cast<int64_t>(
      std::ceil(bytes_to_mib(std::min(x.total_bytes * 1.05, hw.gpu_memory_limit_raised_bytes))));
  return fmt::format("sudo sysctl iogpu.wired_limit_mb={} && {}", mib, serve);
}

}  // namespace hwplan::planner
