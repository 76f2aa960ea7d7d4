#pragma once
// Attention's loops over a binary16 K/V cache, written once over an ISA's two row primitives
// (dot of a binary16 row with floats, and y += a x row) and instantiated in each ISA's file, so
// the primitives inline into the loop there.

#include <cstdint>

namespace hwplan::kernels::detail {

/// out[j] = scale * (k[j * stride .. + dim] . q) for j < n_pos.
template <float (*kDot)(const uint16_t*, const float*, int64_t)>
void f16_scores_with(const uint16_t* k, int64_t stride, int64_t n_pos, const float* q, int64_t dim,
                     float scale, float* out) {
  for (int64_t j = 0; j < n_pos; ++j) out[j] = scale * kDot(k + j * stride, q, dim);
}

/// out[i] = sum_j w[j] * v[j * stride + i] for i < dim.
template <void (*kAxpy)(float, const uint16_t*, float*, int64_t)>
void f16_weighted_sum_with(const uint16_t* v, int64_t stride, int64_t n_pos, const float* w,
                           int64_t dim, float* out) {
  for (int64_t i = 0; i < dim; ++i) out[i] = 0.0f;
  for (int64_t j = 0; j < n_pos; ++j) kAxpy(w[j], v + j * stride, out, dim);
}

}  // namespace hwplan::kernels::detail
