#pragma once
// Resolves --model: a bundled id, a Hugging Face config.json, or a GGUF file.

#include <optional>
#include <string>
#include <vector>

#include "formats/model_stores.h"
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
  /// The checkpoint's dominant dtype ("BF16", "4-bit (U32 packed)"), when its weights come from
  /// the safetensors headers beside a config.json
  std::string safetensors_file_type;
};

/// A model from a GGUF file: its shape and exact weights (planner/gguf_model.h), its path.
ModelSource source_from_gguf(const std::string& path);

/// A model found in a local store (formats/model_stores.h), named as the store names it.
ModelSource source_from_stored(const planner::ProfileDb& db, const formats::StoredModel& stored);

/// Resolves `name`: "*.gguf" -> GGUF header and tensor table; an existing file -> config.json
/// (with exact weights from the safetensors headers in its folder, when there are any);
/// "ollama:...", "lmstudio:...", "hf:..." -> that model in the local store
/// (formats/model_stores.h); otherwise a bundled id (Error{kInput} with suggestions when unknown).
ModelSource resolve_model(const planner::ProfileDb& db, const std::string& name);

}  // namespace hwplan::cli
