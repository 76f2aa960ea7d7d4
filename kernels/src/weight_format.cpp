#include "kernels/weight_format.h"

#include <array>

#include "common/ggml_types.h"

namespace hwplan::kernels {
namespace {

constexpr std::array kFormats = {WeightFormat::kF32,  WeightFormat::kF16,  WeightFormat::kBF16,
                                 WeightFormat::kQ8_0, WeightFormat::kQ4_0, WeightFormat::kQ4K,
                                 WeightFormat::kQ6K};

GgmlTypeInfo type_info(WeightFormat format) {
  // Every WeightFormat value is a ggml id present in the shared type table.
  return *ggml_type_by_id(static_cast<uint32_t>(format));
}

}  // namespace

std::span<const WeightFormat> all_weight_formats() { return kFormats; }

std::string_view format_name(WeightFormat format) { return type_info(format).name; }

std::optional<WeightFormat> format_from_ggml_id(uint32_t id) {
  for (WeightFormat f : kFormats) {
    if (static_cast<uint32_t>(f) == id) return f;
  }
  return std::nullopt;
}

std::optional<WeightFormat> format_from_name(std::string_view name) {
  const auto type = ggml_type_by_name(name);
  if (!type) return std::nullopt;
  return format_from_ggml_id(type->id);
}

int64_t block_elements(WeightFormat format) { return type_info(format).block_elements; }

int64_t block_bytes(WeightFormat format) { return type_info(format).block_bytes; }

int64_t row_bytes(WeightFormat format, int64_t n_cols) {
  return n_cols / block_elements(format) * block_bytes(format);
}

}  // namespace hwplan::kernels
