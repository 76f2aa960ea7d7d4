#include "common/ggml_types.h"

#include <array>

#include "common/text_util.h"

namespace hwplan {
namespace {

// Block sizes from the block structs of ggml-common.h (QK_K = 256 super-blocks), e.g.
// block_q4_K = {d, dmin: 2 x fp16; scales[12]; qs[128]} = 144 bytes per 256 weights.
constexpr std::array<GgmlTypeInfo, 38> kTypes = {{
    {0, "F32", 1, 4, false},
    {1, "F16", 1, 2, false},
    {2, "Q4_0", 32, 18, true},
    {3, "Q4_1", 32, 20, true},
    {6, "Q5_0", 32, 22, true},
    {7, "Q5_1", 32, 24, true},
    {8, "Q8_0", 32, 34, true},
    {9, "Q8_1", 32, 36, true},
    {10, "Q2_K", 256, 84, true},
    {11, "Q3_K", 256, 110, true},
    {12, "Q4_K", 256, 144, true},
    {13, "Q5_K", 256, 176, true},
    {14, "Q6_K", 256, 210, true},
    {15, "Q8_K", 256, 292, true},
    {16, "IQ2_XXS", 256, 66, true},
    {17, "IQ2_XS", 256, 74, true},
    {18, "IQ3_XXS", 256, 98, true},
    {19, "IQ1_S", 256, 50, true},
    {20, "IQ4_NL", 32, 18, true},
    {21, "IQ3_S", 256, 110, true},
    {22, "IQ2_S", 256, 82, true},
    {23, "IQ4_XS", 256, 136, true},
    {24, "I8", 1, 1, false},
    {25, "I16", 1, 2, false},
    {26, "I32", 1, 4, false},
    {27, "I64", 1, 8, false},
    {28, "F64", 1, 8, false},
    {29, "IQ1_M", 256, 56, true},
    {30, "BF16", 1, 2, false},
    {34, "TQ1_0", 256, 54, true},
    {35, "TQ2_0", 256, 66, true},
    {39, "MXFP4", 32, 17, true},
    // NVFP4: 64 weights as four 16-weight sub-blocks, one E4M3 scale byte each + 32 bytes of
    // nibbles.
    {40, "NVFP4", 64, 36, true},
    // ik_llama.cpp's own types (its ggml.h enum and ggml-common.h block structs; mainline
    // llama.cpp does not define them): d (fp16) + extra (16 bits) + scales + quants per 256.
    {137, "IQ2_K", 256, 76, true},   // + scales[8] + qs[64]: 2.375 bpw
    {138, "IQ3_K", 256, 110, true},  // + scales_h (16 bits) + scales_l[8] + qs[64] + qh[32]
    {139, "IQ4_K", 256, 144, true},  // + scales_h[4] + scales_l[8] + qs[128]: 4.5 bpw
    {140, "IQ5_K", 256, 176, true},  // + scales_h[4] + scales_l[8] + qs[128] + qh[32]
    {141, "IQ6_K", 256, 212, true},  // + scales[16] + qs[128] + qh[64]: 6.625 bpw
}};

}  // namespace

std::span<const GgmlTypeInfo> ggml_types() { return kTypes; }

bool ggml_type_is_ik_only(const GgmlTypeInfo& type) {
  return type.id >= kFirstIkTypeId && type.id < kFirstIkRepackedTypeId;
}

std::optional<GgmlTypeInfo> ggml_type_by_id(uint32_t id) {
  for (const auto& type : ggml_types()) {
    if (type.id == id) return type;
  }
  return std::nullopt;
}

std::optional<GgmlTypeInfo> ggml_type_by_name(std::string_view name) {
  const std::string lowered = to_lower(name);
  for (const auto& type : ggml_types()) {
    if (to_lower(type.name) == lowered) return type;
  }
  return std::nullopt;
}

double ggml_bits_per_weight(const GgmlTypeInfo& type) {
  return static_cast<double>(type.block_bytes) * 8.0 / static_cast<double>(type.block_elements);
}

std::optional<int64_t> ggml_row_bytes(const GgmlTypeInfo& type, int64_t n_elements) {
  if (n_elements < 0 || n_elements % type.block_elements != 0) return std::nullopt;
  return n_elements / type.block_elements * type.block_bytes;
}

}  // namespace hwplan
