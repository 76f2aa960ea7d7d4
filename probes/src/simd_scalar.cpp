// Portable kernels: what every CPU runs, and the fallback of every ISA file.
#include <cstring>

#include "simd_kernels.h"

namespace hwplan::probes::detail {
namespace {

double read_scalar(const double* a, size_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i < n; i += 4) {
    s0 += a[i];
    s1 += a[i + 1];
    s2 += a[i + 2];
    s3 += a[i + 3];
  }
  return s0 + s1 + s2 + s3;
}
void write_scalar(double* a, size_t n, double v) {
  for (size_t i = 0; i < n; ++i) a[i] = v;
}
void copy_scalar(double* c, const double* a, size_t n) { std::memcpy(c, a, n * sizeof(double)); }
void triad_scalar(double* a, const double* b, const double* c, size_t n, double s) {
  for (size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

}  // namespace

const StreamKernels& scalar_stream_kernels() {
  static const StreamKernels kScalar{"scalar",     read_scalar, write_scalar,
                                     write_scalar, copy_scalar, triad_scalar};
  return kScalar;
}

double scalar_fp32_fma(int64_t iterations) {
  float acc[12];
  for (auto& a : acc) a = 1.0f;
  for (int64_t i = 0; i < iterations; ++i) {
    for (auto& a : acc) a = a * 0.999999f + 1e-7f;
  }
  volatile float sink = acc[0] + acc[11];
  (void)sink;
  return static_cast<double>(iterations) * 12 * 2;
}

}  // namespace hwplan::probes::detail
