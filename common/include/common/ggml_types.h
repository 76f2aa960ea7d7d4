#pragma once
// The GGUF/ggml tensor types: numeric id as stored in a GGUF file, elements per block and bytes
// per block. Source: ggml/include/ggml.h (enum ggml_type) and the block structs of
// ggml/src/ggml-common.h in llama.cpp (each block's sizeof). Ids 4, 5, 31-33 and 36-38 were
// removed from the format and are rejected. Ids 137-141 are ik_llama.cpp's IQ2_K..IQ6_K. Shared by
// kernels (GGUF reader) and planner (weight sizes); profiles/quants.json repeats the table as data
// and is checked against it.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hwplan {

/// One ggml tensor type.
struct GgmlTypeInfo {
  uint32_t id;             ///< value in a GGUF tensor-info record
  std::string_view name;   ///< ggml's name, e.g. "Q4_K"
  int64_t block_elements;  ///< elements per block
  int64_t block_bytes;     ///< bytes per block
  bool quantized;          ///< true for block-quantized types
};

/// ik_llama.cpp numbers the types it adds from 133 (Q6_0) on and its row-interleaved ones from 200.
inline constexpr uint32_t kFirstIkTypeId = 133;
inline constexpr uint32_t kFirstIkRepackedTypeId = 200;

/// All types a GGUF file may contain, ordered by id.
std::span<const GgmlTypeInfo> ggml_types();
/// Looks a type up by id; nullopt for unknown or removed ids.
std::optional<GgmlTypeInfo> ggml_type_by_id(uint32_t id);
/// Looks a type up by name, case-insensitive ("q4_k" finds Q4_K); nullopt when unknown.
std::optional<GgmlTypeInfo> ggml_type_by_name(std::string_view name);
/// True for a type only ik_llama.cpp defines (IQ2_K ... IQ6_K): mainline llama.cpp refuses a file
/// that holds one.
bool ggml_type_is_ik_only(const GgmlTypeInfo& type);
/// Bits per weight of a type: block_bytes * 8 / block_elements.
double ggml_bits_per_weight(const GgmlTypeInfo& type);
/// Bytes of `n_elements` elements of a type; nullopt if n_elements is not a whole number of blocks.
std::optional<int64_t> ggml_row_bytes(const GgmlTypeInfo& type, int64_t n_elements);

}  // namespace hwplan
