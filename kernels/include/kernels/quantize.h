#pragma once
// Row conversion between float and every weight format: dequantization is exact to the format's
// definition (the reference every other path is checked against); quantization is a simple
// round-to-nearest scheme used to build synthetic models (not llama.cpp's search-based quantizer).

#include <cstdint>
#include <span>

#include "kernels/weight_format.h"

namespace hwplan::kernels {

/// Decodes `n` elements of `format` at `src` into `dst`. Precondition: n is a multiple of the
/// format's block size and src holds row_bytes(format, n) bytes.
void dequantize_row(WeightFormat format, const uint8_t* src, float* dst, int64_t n);

/// Encodes `n` floats into `format` at `dst` (row_bytes(format, n) bytes). Same precondition.
void quantize_row(WeightFormat format, const float* src, uint8_t* dst, int64_t n);

}  // namespace hwplan::kernels
