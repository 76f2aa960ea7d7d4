#pragma once
// The probes' inner loops per instruction set, behind one interface: the STREAM-style bandwidth
// kernels and the peak-rate compute kernels. simd_scalar.cpp has the portable ones; exactly one of
// x86/simd_x86.cpp, arm/simd_arm64.cpp or simd_generic.cpp (CMake picks by target processor)
// chooses the fastest this CPU runs.

#include <cstddef>
#include <cstdint>
#include <string>

namespace hwplan::probes::detail {

/// One ISA's bandwidth kernels over arrays of doubles whose length is a multiple of 32.
struct StreamKernels {
  const char* isa;
  double (*read)(const double* a, size_t n);  ///< returns the sum (so the loads are kept)
  void (*write)(double* a, size_t n, double v);
  void (*write_nt)(double* a, size_t n, double v);  ///< non-temporal where the ISA has it
  void (*copy)(double* c, const double* a, size_t n);
  void (*triad)(double* a, const double* b, const double* c, size_t n, double s);
};

/// A peak-rate kernel: runs `iterations` rounds and returns the operations it did (FLOPs, or int8
/// multiply-adds counted as two), or is absent with the reason.
struct PeakKernel {
  double (*run)(int64_t iterations) = nullptr;
  const char* isa = "";
  std::string skipped;
};

const StreamKernels& scalar_stream_kernels();
double scalar_fp32_fma(int64_t iterations);

/// The fastest bandwidth kernels this CPU runs.
const StreamKernels& best_stream_kernels();
/// The fastest kernel of a compute kind (fp32_fma, int8_dot, bf16_dot) here; unknown kinds
/// are a usage error.
PeakKernel best_peak_kernel(const std::string& kind);

}  // namespace hwplan::probes::detail
