#pragma once
// An activation vector prepared once per matrix-vector product for every weight format: the
// integer formats multiply 8-bit quantized activations (as llama.cpp does: Q8_0 blocks of 32 for
// Q8_0/Q4_0 weights, Q8_K blocks of 256 for the K-quants), so the SIMD paths can use integer dot
// instructions. The copies in SIMD-friendly orders are made here, off the weight-streaming loop.

#include <cstdint>
#include <vector>

namespace hwplan::kernels {

/// Activations in every form a dot product reads. Build with prepare_input(); reusable.
struct PreparedInput {
  int64_t n = 0;           ///< elements
  std::vector<float> f32;  ///< the activations themselves
  // Q8_0 form: blocks of 32, value = q8_d[b] * q8[i].
  std::vector<int8_t> q8;  ///< natural order
  /// Per group of 4 blocks: the first 16 values of blocks 0..3, then their last 16 (the order
  /// of Q4_0's low and high nibbles); a trailing partial group stays in natural order.
  std::vector<int8_t> q8_nibble_order;
  std::vector<float> q8_d;     ///< scale per block (rounded to binary16, as stored by ggml)
  std::vector<float> q8_dsum;  ///< q8_d[b] * sum of block b's values
  // Q8_K form: blocks of 256, value = qk_d[b] * qk[i].
  std::vector<int8_t> qk;            ///< natural order
  std::vector<int8_t> qk_q4k_order;  ///< per block, 32-sub-blocks in the order 0,2,1,3,4,6,5,7
  std::vector<float> qk_d;           ///< scale per block
  std::vector<int16_t> qk_sum16;     ///< sum of each 16 values (16 per block)
  std::vector<int16_t> qk_sum32;     ///< sum of each 32 values (8 per block)
};

/// Fills `out` from `x` (n floats). The Q8_0 form needs n % 32 == 0 and the Q8_K form
/// n % 256 == 0; forms whose block size does not divide n are left empty.
void prepare_input(const float* x, int64_t n, PreparedInput& out);

}  // namespace hwplan::kernels
