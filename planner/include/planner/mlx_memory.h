#pragma once
// MLX's memory on a Mac (mlx-lm): the weights in unified memory, a KV cache that grows with the
// conversation in 256-token steps, the activations of one prompt chunk, all under the GPU's
// working-set (wired) limit. Beyond that limit MLX still allocates, but macOS pages GPU memory and
// mlx-lm warns that generation will be slow. An estimate: the activation term is not measured.

#include <cstdint>
#include <string>

#include "planner/hardware_spec.h"
#include "planner/memory.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

struct MlxOptions {
  int64_t prefill_step_tokens = 2048;  ///< mlx-lm's prefill_step_size: prompt chunk
  /// Macs the model is sharded over (exo, MLX distributed): each holds 1/nodes of the weights and
  /// KV cache and a whole prompt chunk's activations; the verdict is one Mac's.
  int64_t nodes = 1;
};

/// How a model sits in MLX on a Mac, best first.
enum class MlxVerdict {
  kFits,        ///< under the default wired limit
  kRaiseLimit,  ///< under the raised limit (sysctl iogpu.wired_limit_mb)
  kPages,       ///< within RAM but beyond the GPU's working set: runs, slowly (mlx-lm warns)
  kNoFit,       ///< beyond the RAM the OS leaves
};

struct MlxMemory {
  double weights_bytes = 0;
  double kv_bytes = 0;          ///< every sequence's cache at the workload's context (16-bit)
  double activation_bytes = 0;  ///< one prefill chunk through the widest layer (estimate)
  double total_bytes = 0;
  double limit_bytes = 0;         ///< the GPU's default working-set (wired) limit
  double raised_limit_bytes = 0;  ///< after raising it
  double pool_bytes = 0;          ///< RAM less what the OS keeps
  MlxVerdict verdict = MlxVerdict::kNoFit;
  std::string reason;  ///< one sentence: the verdict and why
};

/// MLX on `hardware` (a Metal machine; Error{kInput} otherwise) for `workload` (its batch is the
/// number of sequences generated together, each with its cache).
MlxMemory mlx_memory(const ModelSpec& model, const WeightInventory& weights,
                     const HardwareSpec& hardware, const Workload& workload,
                     const MlxOptions& options = {});

/// "fits", "raise limit", "pages (slow)", "no".
const char* mlx_verdict_label(MlxVerdict verdict);

/// The command to run it: `mlx_lm.server --model REPO --max-kv-size N`; with `convert_args`
/// (QuantSpec::convert_args) the checkpoint is converted first (`mlx_lm.convert --hf-path REPO
/// ARGS --mlx-path mlx-model`) and the server loads the conversion; the sysctl that raises the
/// limit goes first where it is needed; "" when it does not fit.
std::string mlx_command(const std::string& model, const std::string& convert_args,
                        const MlxMemory& memory, const HardwareSpec& hardware,
                        const Workload& workload);

}  // namespace hwplan::planner
