#pragma once
// A Hugging Face checkpoint's exact weights from its safetensors headers (the one place where the
// safetensors reader meets the planner): tensor names mapped to layers and classes as llama.cpp's
// names are in gguf_model.h, and quantized checkpoints (MLX, AWQ, GPTQ) counted by their real
// packed bytes with their scales.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "formats/safetensors.h"
#include "planner/weights.h"

namespace hwplan::planner {

/// Bits per quantized weight from config.json: "quantization": {"bits": 4} (MLX) or
/// "quantization_config": {"bits": 4} (AWQ, GPTQ); 0 for an unquantized checkpoint.
int64_t quantization_bits(const nlohmann::json& config);

/// The safetensors files of a model folder: those its model.safetensors.index.json maps tensors
/// to (Error{kInput} naming a listed file that is missing), else every *.safetensors in it, in
/// name order; empty when there are none.
std::vector<std::string> safetensors_files(const std::string& folder);

/// The exact inventory of the tensors in `files`: packed integer weights (U32/I32/U8 "weight" or
/// "qweight" of a quantized checkpoint) count 32/bits (or 8/bits) parameters per element; scales,
/// biases, zero points and group indices are bytes without parameters. Error{kInput} naming the
/// file and tensor for a block index at or beyond n_layers.
WeightInventory inventory_from_safetensors(const std::vector<formats::SafetensorsHeader>& files,
                                           int64_t n_layers, int64_t quant_bits);

/// "BF16" or "4-bit (U32 packed)": the dtype holding most bytes of the repeating layers.
std::string safetensors_file_type(const std::vector<formats::SafetensorsHeader>& files,
                                  int64_t quant_bits);

}  // namespace hwplan::planner
