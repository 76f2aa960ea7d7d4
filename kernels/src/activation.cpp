// Activation quantization as llama.cpp's CPU backend does it: Q8_0 scales each block of 32 by
// max|x| / 127 and stores the scale as binary16; Q8_K scales each block of 256 so the value of
// largest magnitude maps to -127 (ggml's quantize_row_q8_K uses -127 / max) and clamps at 127.
#include "kernels/activation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/half.h"

namespace hwplan::kernels {
namespace {

// Clamps before converting: a float outside int's range (or NaN, from a file's NaN weights) has
// no defined conversion. NaN maps to 0, infinities to the ends of the range.
int8_t round_to_int8(float v, int lo, int hi) {
  if (std::isnan(v)) return 0;
  const float clamped = std::clamp(v, static_cast<float>(lo), static_cast<float>(hi));
  return static_cast<int8_t>(std::nearbyint(clamped));
}

void prepare_q8_0(const float* x, int64_t n, PreparedInput& out) {
  const int64_t n_blocks = n / kQ8Block;
  out.q8.resize(static_cast<size_t>(n));
  out.q8_nibble_order.resize(static_cast<size_t>(n));
  out.q8_d.resize(static_cast<size_t>(n_blocks));
  out.q8_dsum.resize(static_cast<size_t>(n_blocks));
  for (int64_t b = 0; b < n_blocks; ++b) {
    const float* xb = x + b * kQ8Block;
    float amax = 0.0f;
    for (int i = 0; i < kQ8Block; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int i = 0; i < kQ8Block; ++i) {
      const int8_t q = round_to_int8(xb[i] * inv, -127, 127);
      out.q8[static_cast<size_t>(b * kQ8Block + i)] = q;
      sum += q;
    }
    out.q8_d[static_cast<size_t>(b)] = half_to_float(float_to_half(d));
    out.q8_dsum[static_cast<size_t>(b)] =
        out.q8_d[static_cast<size_t>(b)] * static_cast<float>(sum);
  }
  // Nibble order for whole groups of four blocks; the tail is copied as it is.
  const int64_t n_grouped = n_blocks / 4 * 4;
  for (int64_t g = 0; g < n_grouped; g += 4) {
    int8_t* dst = out.q8_nibble_order.data() + g * kQ8Block;
    const int8_t* src = out.q8.data() + g * kQ8Block;
    for (int k = 0; k < 4; ++k) {
      std::memcpy(dst + 16 * k, src + kQ8Block * k, 16);
      std::memcpy(dst + 64 + 16 * k, src + kQ8Block * k + 16, 16);
    }
  }
  std::memcpy(out.q8_nibble_order.data() + n_grouped * kQ8Block,
              out.q8.data() + n_grouped * kQ8Block,
              static_cast<size_t>((n_blocks - n_grouped) * kQ8Block));
}

void prepare_q8_k(const float* x, int64_t n, PreparedInput& out) {
  const int64_t n_blocks = n / kSuperBlock;
  out.qk.resize(static_cast<size_t>(n));
  out.qk_q4k_order.resize(static_cast<size_t>(n));
  out.qk_d.resize(static_cast<size_t>(n_blocks));
  out.qk_sum16.resize(static_cast<size_t>(n_blocks * 16));
  out.qk_sum32.resize(static_cast<size_t>(n_blocks * 8));
  for (int64_t b = 0; b < n_blocks; ++b) {
    const float* xb = x + b * kSuperBlock;
    float extreme = 0.0f;
    for (int i = 0; i < kSuperBlock; ++i) {
      if (std::fabs(xb[i]) > std::fabs(extreme)) extreme = xb[i];
    }
    const float inv = extreme != 0.0f ? -127.0f / extreme : 0.0f;
    int8_t* q = out.qk.data() + b * kSuperBlock;
    for (int i = 0; i < kSuperBlock; ++i) q[i] = round_to_int8(xb[i] * inv, -128, 127);
    out.qk_d[static_cast<size_t>(b)] = inv != 0.0f ? 1.0f / inv : 0.0f;
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += q[16 * g + i];
      out.qk_sum16[static_cast<size_t>(b * 16 + g)] = static_cast<int16_t>(sum);
    }
    for (int s = 0; s < 8; ++s) {
      out.qk_sum32[static_cast<size_t>(b * 8 + s)] =
          static_cast<int16_t>(out.qk_sum16[static_cast<size_t>(b * 16 + 2 * s)] +
                               out.qk_sum16[static_cast<size_t>(b * 16 + 2 * s + 1)]);
    }
    static constexpr int kQ4KOrder[8] = {0, 2, 1, 3, 4, 6, 5, 7};
    int8_t* reordered = out.qk_q4k_order.data() + b * kSuperBlock;
    for (int k = 0; k < 8; ++k) std::memcpy(reordered + 32 * k, q + 32 * kQ4KOrder[k], 32);
  }
}

}  // namespace

void prepare_input(const float* x, int64_t n, PreparedInput& out) {
  out.n = n;
  out.f32.assign(x, x + n);
  if (n % kQ8Block == 0) {
    prepare_q8_0(x, n, out);
  } else {
    out.q8.clear();
    out.q8_nibble_order.clear();
    out.q8_d.clear();
    out.q8_dsum.clear();
  }
  if (n % kSuperBlock == 0) {
    prepare_q8_k(x, n, out);
  } else {
    out.qk.clear();
    out.qk_q4k_order.clear();
    out.qk_d.clear();
    out.qk_sum16.clear();
    out.qk_sum32.clear();
  }
}

}  // namespace hwplan::kernels
