#pragma once
// A model from a GGUF file: its shape from the metadata and its exact weights from the tensor
// table (header only; the file is memory-mapped and no weight is read).

#include <cstdint>
#include <string>
#include <vector>

#include "formats/gguf.h"
#include "planner/model_spec.h"
#include "planner/weights.h"

namespace hwplan::planner {

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
WeightInventory inventory_from_tensors(const std::vector<TensorRecord>& tensors, int64_t n_layers,
                                       const std::string& origin);

/// What a GGUF file says about its model.
struct GgufModel {
  ModelSpec spec;
  WeightInventory weights;  ///< exact: every tensor's real type and bytes
  std::string file_type;    ///< general.file_type's name, or the dominant tensor type
};

/// Reads a GGUF file's metadata and tensor table. Error{kInput} naming the file and key for
/// missing or impossible metadata (counts are checked against common/limits.h before use).
GgufModel model_from_gguf(const std::string& path);

/// The same from a file already read (or parsed from memory, as the fuzzer does).
GgufModel model_from_gguf(const formats::GgufFile& file);

}  // namespace hwplan::planner
