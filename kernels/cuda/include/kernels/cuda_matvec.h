#pragma once
// Matrix-vector products on an NVIDIA GPU over weights in their GGUF block layouts (F16, Q8_0,
// Q4_0, Q4_K), with the block arithmetic of kernels/block_math.h, and the three placements the
// planner predicts for a decode step's weights: resident in device memory, streamed from pinned
// host memory every token, or the first k of them resident and the rest left to the CPU. Plain
// types only: the .cu file is compiled as C++17 by nvcc and links nothing of the project.

#include <cstdint>
#include <string>
#include <vector>

namespace hwplan::kernels::cuda {

/// The formats the CUDA kernels read; values are those of kernels::WeightFormat's GGUF types.
enum class CudaFormat { kF16, kQ8_0, kQ4_0, kQ4K };

/// Whether a usable device is there, or why not (no driver, no device, a driver too old).
struct DeviceCheck {
  bool present = false;
  std::string reason;
  std::string name;
};
DeviceCheck check_device();

/// y = W x on the device for host arrays: `weights` is rows x row_bytes in `format`'s layout, x
/// holds cols floats, y receives rows floats. Copies in and out (for tests); throws
/// std::runtime_error with the CUDA error's text on failure.
void matvec_host(CudaFormat format, const uint8_t* weights, int64_t rows, int64_t cols,
                 int64_t row_bytes, const float* x, float* y);

/// One matrix of a weight pass (rows x cols in `format`, `row_bytes` per row).
struct PassMatrix {
  CudaFormat format = CudaFormat::kF16;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_bytes = 0;
};

/// How the matrices live for a timed pass.
enum class CudaPlacement {
  kResident,  ///< all in device memory
  kStreamed,  ///< in pinned host memory, copied to the device before each product, every token
};

/// Times `tokens` passes over `matrices` (one matrix-vector product each, in order, as a decode
/// step reads them) for a placement; returns the seconds of each pass. Weights are filled with
/// a fixed pattern (timing only). Throws std::runtime_error on a CUDA failure.
std::vector<double> time_weight_passes(const std::vector<PassMatrix>& matrices,
                                       CudaPlacement placement, int tokens);

}  // namespace hwplan::kernels::cuda
