// Reference dequantization (the definition of each format) and the simple quantizers used for
// synthetic models.
#include "kernels/quantize.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/half.h"

namespace hwplan::kernels {
namespace {

template <typename Block>
const Block* blocks_of(const uint8_t* src) {
  return reinterpret_cast<const Block*>(src);
}
template <typename Block>
Block* blocks_of(uint8_t* dst) {
  return reinterpret_cast<Block*>(dst);
}

int round_to_int(float v) { return static_cast<int>(std::lround(v)); }

void dequantize_q8_0(const uint8_t* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ8_0>(src);
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const float d = half_to_float(blocks[b].d);
    for (int i = 0; i < kQ8Block; ++i) dst[b * kQ8Block + i] = d * blocks[b].qs[i];
  }
}

void dequantize_q4_0(const uint8_t* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ4_0>(src);
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const float d = half_to_float(blocks[b].d);
    float* out = dst + b * kQ8Block;
    for (int i = 0; i < kQ8Block / 2; ++i) {
      out[i] = d * static_cast<float>((blocks[b].qs[i] & 0x0f) - 8);
      out[i + kQ8Block / 2] = d * static_cast<float>((blocks[b].qs[i] >> 4) - 8);
    }
  }
}

void dequantize_q4k(const uint8_t* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ4K>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float d = half_to_float(blocks[b].d);
    const float dmin = half_to_float(blocks[b].dmin);
    const Q4KScales s = unpack_q4k_scales(blocks[b].scales);
    for (int i = 0; i < kSuperBlock; ++i) {
      const int sub = i / 32;
      dst[b * kSuperBlock + i] =
          d * static_cast<float>(s.scale[sub]) * static_cast<float>(q4k_value(blocks[b], i)) -
          dmin * static_cast<float>(s.min[sub]);
    }
  }
}

void dequantize_q6k(const uint8_t* src, float* dst, int64_t n) {
  const auto* blocks = blocks_of<BlockQ6K>(src);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float d = half_to_float(blocks[b].d);
    for (int i = 0; i < kSuperBlock; ++i) {
      const int group = i / 16;  // one scale per 16 values
      dst[b * kSuperBlock + i] = d * static_cast<float>(blocks[b].scales[group]) *
                                 static_cast<float>(q6k_value(blocks[b], i) - 32);
    }
  }
}

void quantize_q8_0(const float* src, uint8_t* dst, int64_t n) {
  auto* blocks = blocks_of<BlockQ8_0>(dst);
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const float* x = src + b * kQ8Block;
    float amax = 0.0f;
    for (int i = 0; i < kQ8Block; ++i) amax = std::max(amax, std::fabs(x[i]));
    blocks[b].d = float_to_half(amax / 127.0f);
    const float d = half_to_float(blocks[b].d);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < kQ8Block; ++i) {
      blocks[b].qs[i] = static_cast<int8_t>(std::clamp(round_to_int(x[i] * inv), -127, 127));
    }
  }
}

void quantize_q4_0(const float* src, uint8_t* dst, int64_t n) {
  auto* blocks = blocks_of<BlockQ4_0>(dst);
  for (int64_t b = 0; b < n / kQ8Block; ++b) {
    const float* x = src + b * kQ8Block;
    // The value of largest magnitude maps to -8, the one code with no positive twin.
    float extreme = 0.0f;
    for (int i = 0; i < kQ8Block; ++i) {
      if (std::fabs(x[i]) > std::fabs(extreme)) extreme = x[i];
    }
    blocks[b].d = float_to_half(extreme / -8.0f);
    const float d = half_to_float(blocks[b].d);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < kQ8Block / 2; ++i) {
      const int lo = std::clamp(round_to_int(x[i] * inv) + 8, 0, 15);
      const int hi = std::clamp(round_to_int(x[i + kQ8Block / 2] * inv) + 8, 0, 15);
      blocks[b].qs[i] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void pack_q4k_scales(const int* scale, const int* min, uint8_t* packed) {
  for (int j = 0; j < 4; ++j) {
    packed[j] = static_cast<uint8_t>(scale[j] | ((scale[j + 4] >> 4) << 6));
    packed[j + 4] = static_cast<uint8_t>(min[j] | ((min[j + 4] >> 4) << 6));
    packed[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0x0f) | ((min[j + 4] & 0x0f) << 4));
  }
}

void quantize_q4k(const float* src, uint8_t* dst, int64_t n) {
  auto* blocks = blocks_of<BlockQ4K>(dst);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* x = src + b * kSuperBlock;
    BlockQ4K& out = blocks[b];
    // Each sub-block spans [-min, -min + 15 * scale]; the min is >= 0 (the range includes 0).
    float sub_scale[8];
    float sub_min[8];
    for (int s = 0; s < 8; ++s) {
      const auto [lo, hi] = std::minmax_element(x + 32 * s, x + 32 * s + 32);
      const float low = std::min(*lo, 0.0f);
      sub_scale[s] = (*hi - low) / 15.0f;
      sub_min[s] = -low;
    }
    const float max_scale = *std::max_element(sub_scale, sub_scale + 8);
    const float max_min = *std::max_element(sub_min, sub_min + 8);
    out.d = float_to_half(max_scale / 63.0f);
    out.dmin = float_to_half(max_min / 63.0f);
    const float d = half_to_float(out.d);
    const float dmin = half_to_float(out.dmin);
    int scale_q[8];
    int min_q[8];
    for (int s = 0; s < 8; ++s) {
      scale_q[s] = d > 0.0f ? std::clamp(round_to_int(sub_scale[s] / d), 0, 63) : 0;
      min_q[s] = dmin > 0.0f ? std::clamp(round_to_int(sub_min[s] / dmin), 0, 63) : 0;
    }
    pack_q4k_scales(scale_q, min_q, out.scales);
    std::memset(out.qs, 0, sizeof(out.qs));
    for (int i = 0; i < kSuperBlock; ++i) {
      const int s = i / 32;
      const float step = d * static_cast<float>(scale_q[s]);
      const float offset = dmin * static_cast<float>(min_q[s]);
      const int q = step > 0.0f ? std::clamp(round_to_int((x[i] + offset) / step), 0, 15) : 0;
      const int chunk = i / 64;
      const int e = i % 64;
      out.qs[32 * chunk + e % 32] |= static_cast<uint8_t>(e < 32 ? q : q << 4);
    }
  }
}

void quantize_q6k(const float* src, uint8_t* dst, int64_t n) {
  auto* blocks = blocks_of<BlockQ6K>(dst);
  for (int64_t b = 0; b < n / kSuperBlock; ++b) {
    const float* x = src + b * kSuperBlock;
    BlockQ6K& out = blocks[b];
    float group_scale[16];
    float max_scale = 0.0f;
    for (int g = 0; g < 16; ++g) {
      float amax = 0.0f;
      for (int i = 0; i < 16; ++i) amax = std::max(amax, std::fabs(x[16 * g + i]));
      group_scale[g] = amax / 31.0f;
      max_scale = std::max(max_scale, group_scale[g]);
    }
    out.d = float_to_half(max_scale / 127.0f);
    const float d = half_to_float(out.d);
    for (int g = 0; g < 16; ++g) {
      out.scales[g] =
          static_cast<int8_t>(d > 0.0f ? std::clamp(round_to_int(group_scale[g] / d), 0, 127) : 0);
    }
    std::memset(out.ql, 0, sizeof(out.ql));
    std::memset(out.qh, 0, sizeof(out.qh));
    for (int i = 0; i < kSuperBlock; ++i) {
      const int group = i / 16;  // one scale per 16 values
      const float step = d * out.scales[group];
      const int q = (step > 0.0f ? std::clamp(round_to_int(x[i] / step), -32, 31) : 0) + 32;
      const int half = i / 128;
      const int e = i % 128;
      const int l = e % 32;
      const int quarter = e / 32;
      uint8_t& ql = out.ql[64 * half + l + (quarter & 1) * 32];
      ql |= static_cast<uint8_t>(quarter < 2 ? (q & 0x0f) : ((q & 0x0f) << 4));
      out.qh[32 * half + l] |= static_cast<uint8_t>((q >> 4) << (2 * quarter));
    }
  }
}

}  // namespace

void dequantize_row(WeightFormat format, const uint8_t* src, float* dst, int64_t n) {
  assert(n % block_elements(format) == 0);
  switch (format) {
    case WeightFormat::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case WeightFormat::kF16:
    case WeightFormat::kBF16: {
      const bool is_half = format == WeightFormat::kF16;
      for (int64_t i = 0; i < n; ++i) {
        uint16_t bits = 0;
        std::memcpy(&bits, src + 2 * i, 2);
        dst[i] = is_half ? half_to_float(bits) : bf16_to_float(bits);
      }
      return;
    }
    case WeightFormat::kQ8_0:
      return dequantize_q8_0(src, dst, n);
    case WeightFormat::kQ4_0:
      return dequantize_q4_0(src, dst, n);
    case WeightFormat::kQ4K:
      return dequantize_q4k(src, dst, n);
    case WeightFormat::kQ6K:
      return dequantize_q6k(src, dst, n);
  }
}

void quantize_row(WeightFormat format, const float* src, uint8_t* dst, int64_t n) {
  assert(n % block_elements(format) == 0);
  switch (format) {
    case WeightFormat::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case WeightFormat::kF16:
    case WeightFormat::kBF16: {
      const bool is_half = format == WeightFormat::kF16;
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t bits = is_half ? float_to_half(src[i]) : float_to_bf16(src[i]);
        std::memcpy(dst + 2 * i, &bits, 2);
      }
      return;
    }
    case WeightFormat::kQ8_0:
      return quantize_q8_0(src, dst, n);
    case WeightFormat::kQ4_0:
      return quantize_q4_0(src, dst, n);
    case WeightFormat::kQ4K:
      return quantize_q4k(src, dst, n);
    case WeightFormat::kQ6K:
      return quantize_q6k(src, dst, n);
  }
}

}  // namespace hwplan::kernels
