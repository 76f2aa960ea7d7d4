#pragma once
// GGUF block layouts of the weight formats the kernels compute with, byte for byte as they lie in
// a GGUF file (ggml/src/ggml-common.h in llama.cpp defines them), plus the activation blocks the
// integer dot products use. Every block's size is asserted. Also compiled by nvcc (C++17) for the
// CUDA kernels, so nothing here needs C++20.

#include <cstdint>

#include "kernels/host_device.h"

namespace hwplan::kernels {

inline constexpr int kQ8Block = 32;      ///< elements per Q8_0 / Q4_0 block
inline constexpr int kSuperBlock = 256;  ///< elements per K-quant super-block

/// Q8_0: 32 weights = d * qs[i].
struct BlockQ8_0 {
  uint16_t d;  ///< scale, binary16
  int8_t qs[kQ8Block];
};
static_assert(sizeof(BlockQ8_0) == 34);

/// Q4_0: 32 weights = d * (q - 8); element i < 16 is the low nibble of qs[i], element i + 16 the
/// high nibble.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQ8Block / 2];
};
static_assert(sizeof(BlockQ4_0) == 18);

/// Q4_K: 256 weights in 8 sub-blocks of 32; weight = d * sc[s] * q - dmin * m[s] with 6-bit sc and
/// m packed in `scales`. Each 32 bytes of qs hold sub-block 2j in the low nibbles and 2j+1 in the
/// high nibbles.
struct BlockQ4K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kSuperBlock / 2];
};
static_assert(sizeof(BlockQ4K) == 144);

/// Q6_K: 256 weights in 16 groups of 16; weight = d * scales[g] * (q - 32), q six bits: four low
/// bits in ql, two high bits in qh.
struct BlockQ6K {
  uint8_t ql[kSuperBlock / 2];
  uint8_t qh[kSuperBlock / 4];
  int8_t scales[kSuperBlock / 16];
  uint16_t d;
};
static_assert(sizeof(BlockQ6K) == 210);

/// The 6-bit scales and mins of a Q4_K block, unpacked.
struct Q4KScales {
  uint8_t scale[8];
  uint8_t min[8];
};

/// Unpacks Q4_K's 12 scale bytes: sub-blocks 0-3 keep the low 6 bits of bytes 0-3 (scales) and
/// 4-7 (mins); sub-blocks 4-7 take their low 4 bits from bytes 8-11 and the top 2 from the spare
/// bits of bytes 0-7.
HWPLAN_HOST_DEVICE inline Q4KScales unpack_q4k_scales(const uint8_t* packed) {
  Q4KScales out{};
  for (int j = 0; j < 4; ++j) {
    out.scale[j] = packed[j] & 63;
    out.min[j] = packed[j + 4] & 63;
    out.scale[j + 4] = static_cast<uint8_t>((packed[j + 8] & 0x0f) | ((packed[j] >> 6) << 4));
    out.min[j + 4] = static_cast<uint8_t>((packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4));
  }
  return out;
}

/// Six-bit Q6_K value `i` (0..255) of a block, 0..63 (subtract 32 for the signed weight).
HWPLAN_HOST_DEVICE inline int q6k_value(const BlockQ6K& b, int i) {
  const int half = i / 128;
  const int e = i % 128;
  const int l = e % 32;
  const int quarter = e / 32;  // 0: ql low / qh bits 0-1, 1: ql[l+32] low / bits 2-3, ...
  const uint8_t ql = b.ql[64 * half + l + (quarter & 1) * 32];
  const int low = (quarter < 2) ? (ql & 0x0f) : (ql >> 4);
  const int high = (b.qh[32 * half + l] >> (2 * quarter)) & 3;
  return low | (high << 4);
}

/// Q4_K nibble `i` (0..255) of a block, 0..15.
HWPLAN_HOST_DEVICE inline int q4k_value(const BlockQ4K& b, int i) {
  const int chunk = i / 64;
  const int e = i % 64;
  const uint8_t byte = b.qs[32 * chunk + e % 32];
  return e < 32 ? (byte & 0x0f) : (byte >> 4);
}

}  // namespace hwplan::kernels
