#pragma once
#include <cstdint>
#include <string>

#include "app.h"

namespace hwplan::cli {

struct SynthOptions {
  std::string model = "llama-3.2-1b";
  std::string quant = "q4_0";
  std::string out;
  uint64_t seed = 1;
  int64_t threads = 0;           ///< 0: every CPU this process may use
  int64_t layers = 0;            ///< 0: the model's own
  int64_t split = 1;             ///< shards to write (llama.cpp's gguf-split layout)
  int64_t shared_expert_ff = 0;  ///< MoE only: one shared expert of this width (0: the model's)
  int64_t experts = 0;           ///< MoE only: fewer routed experts than the model has (0: its own)
};

/// `hwplan synth`: a GGUF of a bundled model's shape: random weights for dense Llama models, a
/// zero-weight llama.cpp layout (sparse file) for mixtures of experts, Gemma 3 and DeepSeek.
CommandResult run_synth(const GlobalOptions& global, const SynthOptions& options);

}  // namespace hwplan::cli
