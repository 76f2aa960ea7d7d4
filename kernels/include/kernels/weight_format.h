#pragma once
// The weight formats the kernels compute with, and how they map to GGUF tensor types.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace hwplan::kernels {

/// A weight format the kernels implement; the value is the ggml type id in a GGUF file.
enum class WeightFormat : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4K = 12,
  kQ6K = 14,
  kBF16 = 30,
};

/// All implemented formats, in a fixed order.
std::span<const WeightFormat> all_weight_formats();
/// ggml's name of a format ("Q4_K").
std::string_view format_name(WeightFormat format);
/// The format for a ggml type id; nullopt when the kernels do not implement it.
std::optional<WeightFormat> format_from_ggml_id(uint32_t id);
/// The format for a name, case-insensitive ("q4_k", "F16"); nullopt when unknown.
std::optional<WeightFormat> format_from_name(std::string_view name);
/// Elements per block (1 for F32/F16/BF16).
int64_t block_elements(WeightFormat format);
/// Bytes per block.
int64_t block_bytes(WeightFormat format);
/// Bytes of one row of `n_cols` elements. Precondition: n_cols is a multiple of block_elements.
int64_t row_bytes(WeightFormat format, int64_t n_cols);

}  // namespace hwplan::kernels
