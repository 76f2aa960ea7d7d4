// Targets with no SIMD kernels of their own: the portable loops, and no integer or bf16 peak.
#include "common/error.h"
#include "simd_kernels.h"

namespace hwplan::probes::detail {

const StreamKernels& best_stream_kernels() { return scalar_stream_kernels(); }

PeakKernel best_peak_kernel(const std::string& kind) {
  if (kind == "fp32_fma") return {scalar_fp32_fma, "scalar", ""};
  if (kind == "int8_dot" || kind == "bf16_dot")
    return {nullptr, "", "no SIMD kernels for this CPU architecture in this build"};
  throw_usage("probe: unknown compute kind '{}'", kind);
}

}  // namespace hwplan::probes::detail
