#pragma once
// Dot products of one weight block with float activations, in the GGUF block layouts of
// kernels/blocks.h: the arithmetic of the CUDA matrix-vector kernels (kernels/cuda), written once
// for host and device so the CPU tests check it against the exact dequantization in double
// precision. C++17 (nvcc compiles it too).

#include <cstdint>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/host_device.h"

namespace hwplan::kernels::block_math {

/// binary16 bits -> float, exact (subnormals included); no intrinsics, so host and device agree.
HWPLAN_HOST_DEVICE inline float f16_value(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;  // 2^-24
    return sign != 0 ? -magnitude : magnitude;
  }
  float f = 0.0f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

/// Q8_0: d * sum(q[i] * x[i]) over 32 weights.
HWPLAN_HOST_DEVICE inline float dot_q8_0(const BlockQ8_0& b, const float* x) {
  float sum = 0.0f;
  for (int i = 0; i < kQ8Block; ++i) sum += static_cast<float>(b.qs[i]) * x[i];
  return f16_value(b.d) * sum;
}

/// Q4_0: d * sum((q[i] - 8) * x[i]); element i < 16 is the low nibble of qs[i], i + 16 the high.
HWPLAN_HOST_DEVICE inline float dot_q4_0(const BlockQ4_0& b, const float* x) {
  float sum = 0.0f;
  for (int i = 0; i < kQ8Block / 2; ++i) {
    sum += static_cast<float>((b.qs[i] & 0x0f) - 8) * x[i];
    sum += static_cast<float>((b.qs[i] >> 4) - 8) * x[i + kQ8Block / 2];
  }
  return f16_value(b.d) * sum;
}

/// Q4_K: per sub-block s of 32, d * sc[s] * sum(q * x) - dmin * m[s] * sum(x), over 256 weights.
HWPLAN_HOST_DEVICE inline float dot_q4k(const BlockQ4K& b, const float* x) {
  const Q4KScales s = unpack_q4k_scales(b.scales);
  const float d = f16_value(b.d);
  const float dmin = f16_value(b.dmin);
  float sum = 0.0f;
  for (int sub = 0; sub < 8; ++sub) {
    float qx = 0.0f;
    float xs = 0.0f;
    for (int i = 32 * sub; i < 32 * sub + 32; ++i) {
      qx += static_cast<float>(q4k_value(b, i)) * x[i];
      xs += x[i];
    }
    sum += d * static_cast<float>(s.scale[sub]) * qx - dmin * static_cast<float>(s.min[sub]) * xs;
  }
  return sum;
}

/// binary16 weights: sum(w[i] * x[i]) over i in [begin, end) with the given stride.
HWPLAN_HOST_DEVICE inline float dot_f16(const uint16_t* w, const float* x, int64_t begin,
                                        int64_t end, int64_t stride) {
  float sum = 0.0f;
  for (int64_t i = begin; i < end; i += stride) sum += f16_value(w[i]) * x[i];
  return sum;
}

}  // namespace hwplan::kernels::block_math
