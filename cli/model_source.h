#pragma once
// Resolves --model: a bundled id, a Hugging Face config.json, or a GGUF file.

#include <optional>
#include <string>
#include <vector>

#include "planner/model_spec.h"
#include "planner/profiles.h"
#include "planner/weights.h"

namespace hwplan::cli {

/// A model from wherever it came; `exact_weights` is set for GGUF files (their tensor table).
struct ModelSource {
  planner::ModelSpec spec;
  std::optional<planner::WeightInventory> exact_weights;
  std::string origin;          ///< "bundled", a config path or a GGUF path
  std::string gguf_file_type;  ///< the GGUF's dominant tensor type, when from GGUF
};

/// Resolves `name`: "*.gguf" -> GGUF header and tensor table; an existing file -> config.json;
/// otherwise a bundled id (Error{kInput} with suggestions when unknown).
ModelSource resolve_model(const planner::ProfileDb& db, const std::string& name);

/// One tensor of a file or synthetic model, as the weight inventory needs it.
struct TensorRecord {
  std::string name;  ///< GGUF name, e.g. "blk.3.ffn_up.weight"
  int64_t n_dims = 0;
  double n_elements = 0;
  double bytes = 0;
  std::string type;  ///< ggml type name
};

/// The exact inventory of a tensor list (classes from the llama.cpp tensor names); Error{kInput}
/// naming `origin` for a block index beyond n_layers.
planner::WeightInventory inventory_from_tensors(const std::vector<TensorRecord>& tensors,
                                                int64_t n_layers, const std::string& origin);

/// ModelSpec and exact weights from a GGUF file's metadata and tensor table (model_from_gguf.cpp).
ModelSource model_from_gguf(const std::string& path);

}  // namespace hwplan::cli
