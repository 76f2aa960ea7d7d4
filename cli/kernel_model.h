#pragma once
// Where the planner's models meet the reference kernel: a bundled model's shape as a kernel
// shape, and a synthetic model's tensors as the planner's weight inventory.

#include <string>
#include <vector>

#include "kernels/llama.h"
#include "kernels/synth.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::cli {

/// The kernel shape of a model. Error{kUnsupported} naming the model for what the reference
/// kernel does not run (MoE, MLA, sliding-window or recurrent layers, biases, gates).
kernels::LlamaShape llama_shape_for(const planner::ModelSpec& model);

/// The llama.cpp MoE layout of a mixture-of-experts model (kernels::write_moe_layout_gguf):
/// Error{kUnsupported} unless it has GQA attention with hidden = heads x head width (the
/// "llama" and "qwen2moe" layouts derive the head width that way) and no dense layers.
kernels::MoeShape moe_shape_for(const planner::ModelSpec& model);

/// A model's dimensions as a kernels::LlamaShape, whatever its architecture (for layout files).
kernels::LlamaShape layout_shape_for(const planner::ModelSpec& model);

/// A mix name ("q4_k_m"); Error{kInput} listing the accepted names.
kernels::SynthMix parse_mix(const std::string& name);

/// The exact weight inventory of a synthetic model.
planner::WeightInventory inventory_of(const kernels::SynthModel& model);

/// Threads the kernels use by default: every CPU this process may run on.
int default_kernel_threads();

/// The bundled planner quantization closest to a mix ("q4_k" -> "q4_k_s").
std::string planner_quant_for(kernels::SynthMix mix);

}  // namespace hwplan::cli
