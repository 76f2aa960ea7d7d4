// CUDA matrix-vector products: one warp per row, its 32 lanes over the row's blocks (F16: over
// its elements), a warp-shuffle sum at the end. The block arithmetic is kernels/block_math.h.
#include <cuda_runtime.h>

#include <stdexcept>

#include "kernels/block_math.h"
#include "kernels/cuda_matvec.h"

namespace hwplan::kernels::cuda {
namespace {

constexpr int kWarp = 32;
constexpr int kRowsPerBlock = 8;  // 256 threads

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

template <CudaFormat kFormat>
__global__ void matvec_kernel(const uint8_t* w, int64_t rows, int64_t cols, int64_t row_bytes,
                              const float* x, float* y) {
  const int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
  const int lane = static_cast<int>(threadIdx.x % kWarp);
  if (row >= rows) return;
  const uint8_t* r = w + row * row_bytes;
  float sum = 0.0f;
  if constexpr (kFormat == CudaFormat::kF16) {
    sum = block_math::dot_f16(reinterpret_cast<const uint16_t*>(r), x, lane, cols, kWarp);
  } else if constexpr (kFormat == CudaFormat::kQ8_0) {
    const auto* blocks = reinterpret_cast<const BlockQ8_0*>(r);
    for (int64_t b = lane; b < cols / kQ8Block; b += kWarp)
      sum += block_math::dot_q8_0(blocks[b], x + b * kQ8Block);
  } else if constexpr (kFormat == CudaFormat::kQ4_0) {
    const auto* blocks = reinterpret_cast<const BlockQ4_0*>(r);
    for (int64_t b = lane; b < cols / kQ8Block; b += kWarp)
      sum += block_math::dot_q4_0(blocks[b], x + b * kQ8Block);
  } else {
    const auto* blocks = reinterpret_cast<const BlockQ4K*>(r);
    for (int64_t b = lane; b < cols / kSuperBlock; b += kWarp)
      sum += block_math::dot_q4k(blocks[b], x + b * kSuperBlock);
  }
  for (int offset = kWarp / 2; offset > 0; offset /= 2)
    sum += __shfl_down_sync(0xffffffffu, sum, offset);
  if (lane == 0) y[row] = sum;
}

void launch(CudaFormat format, const uint8_t* w, int64_t rows, int64_t cols, int64_t row_bytes,
            const float* x, float* y, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock));
  const dim3 block(kRowsPerBlock * kWarp);
  switch (format) {
    case CudaFormat::kF16:
      matvec_kernel<CudaFormat::kF16><<<grid, block, 0, stream>>>(w, rows, cols, row_bytes, x, y);
      break;
    case CudaFormat::kQ8_0:
      matvec_kernel<CudaFormat::kQ8_0><<<grid, block, 0, stream>>>(w, rows, cols, row_bytes, x, y);
      break;
    case CudaFormat::kQ4_0:
      matvec_kernel<CudaFormat::kQ4_0><<<grid, block, 0, stream>>>(w, rows, cols, row_bytes, x, y);
      break;
    case CudaFormat::kQ4K:
      matvec_kernel<CudaFormat::kQ4K><<<grid, block, 0, stream>>>(w, rows, cols, row_bytes, x, y);
      break;
  }
  check(cudaGetLastError(), "matvec launch");
}

/// Device (or pinned host) memory freed on scope exit.
struct DeviceBuffer {
  void* p = nullptr;
  bool pinned_host = false;
  DeviceBuffer(size_t bytes, bool host) : pinned_host(host) {
    check(host ? cudaMallocHost(&p, bytes) : cudaMalloc(&p, bytes),
          host ? "cudaMallocHost" : "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (p != nullptr) (void)(pinned_host ? cudaFreeHost(p) : cudaFree(p));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(p);
  }
};

}  // namespace

DeviceCheck check_device() {
  DeviceCheck d;
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    d.reason =
        std::string("no CUDA device (") + cudaGetErrorName(e) + ": " + cudaGetErrorString(e) + ")";
    return d;
  }
  if (count == 0) {
    d.reason = "no CUDA device";
    return d;
  }
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  d.present = true;
  d.name = prop.name;
  return d;
}

void matvec_host(CudaFormat format, const uint8_t* weights, int64_t rows, int64_t cols,
                 int64_t row_bytes, const float* x, float* y) {
  const auto w_bytes = static_cast<size_t>(rows * row_bytes);
  DeviceBuffer dw(w_bytes, false), dx(sizeof(float) * static_cast<size_t>(cols), false),
      dy(sizeof(float) * static_cast<size_t>(rows), false);
  check(cudaMemcpy(dw.p, weights, w_bytes, cudaMemcpyHostToDevice), "copy weights");
  check(cudaMemcpy(dx.p, x, sizeof(float) * static_cast<size_t>(cols), cudaMemcpyHostToDevice),
        "copy x");
  launch(format, dw.as<uint8_t>(), rows, cols, row_bytes, dx.as<float>(), dy.as<float>(), nullptr);
  check(cudaMemcpy(y, dy.p, sizeof(float) * static_cast<size_t>(rows), cudaMemcpyDeviceToHost),
        "copy y");
}

std::vector<double> time_weight_passes(const std::vector<PassMatrix>& matrices,
                                       CudaPlacement placement, int tokens) {
  size_t total = 0, largest = 0;
  int64_t widest = 0, tallest = 0;
  for (const auto& m : matrices) {
    const auto bytes = static_cast<size_t>(m.rows * m.row_bytes);
    total += bytes;
    largest = bytes > largest ? bytes : largest;
    widest = m.cols > widest ? m.cols : widest;
    tallest = m.rows > tallest ? m.rows : tallest;
  }
  const bool streamed = placement == CudaPlacement::kStreamed;
  DeviceBuffer weights(total, streamed);  // pinned host memory when streamed
  if (streamed) {
    for (size_t i = 0; i < total; ++i) weights.as<uint8_t>()[i] = static_cast<uint8_t>(i * 131);
  } else {
    check(cudaMemset(weights.p, 0x3c, total), "cudaMemset");
  }
  // Streamed: two staging buffers, the copy of matrix i + 1 overlapping the product of matrix i.
  DeviceBuffer stage0(streamed ? largest : 1, false), stage1(streamed ? largest : 1, false);
  DeviceBuffer x(sizeof(float) * static_cast<size_t>(widest), false),
      y(sizeof(float) * static_cast<size_t>(tallest), false);
  check(cudaMemset(x.p, 0, sizeof(float) * static_cast<size_t>(widest)), "cudaMemset");
  cudaStream_t compute = nullptr, copy = nullptr;
  check(cudaStreamCreate(&compute), "cudaStreamCreate");
  check(cudaStreamCreate(&copy), "cudaStreamCreate");
  cudaEvent_t start = nullptr, stop = nullptr, copied[2] = {nullptr, nullptr},
              consumed[2] = {nullptr, nullptr};
  for (cudaEvent_t* e : {&start, &stop, &copied[0], &copied[1], &consumed[0], &consumed[1]})
    check(cudaEventCreate(e), "cudaEventCreate");
  std::vector<double> seconds;
  for (int token = -1; token < tokens; ++token) {  // token -1 warms up
    check(cudaEventRecord(start, compute), "cudaEventRecord");
    size_t offset = 0;
    for (size_t i = 0; i < matrices.size(); ++i) {
      const auto& m = matrices[i];
      const auto bytes = static_cast<size_t>(m.rows * m.row_bytes);
      const uint8_t* w = weights.as<uint8_t>() + offset;
      if (streamed) {
        uint8_t* staging = (i % 2 == 0 ? stage0 : stage1).as<uint8_t>();
        check(cudaStreamWaitEvent(copy, consumed[i % 2], 0), "cudaStreamWaitEvent");
        check(cudaMemcpyAsync(staging, w, bytes, cudaMemcpyHostToDevice, copy), "copy weights");
        check(cudaEventRecord(copied[i % 2], copy), "cudaEventRecord");
        check(cudaStreamWaitEvent(compute, copied[i % 2], 0), "cudaStreamWaitEvent");
        w = staging;
      }
      launch(m.format, w, m.rows, m.cols, m.row_bytes, x.as<float>(), y.as<float>(), compute);
      if (streamed) check(cudaEventRecord(consumed[i % 2], compute), "cudaEventRecord");
      offset += bytes;
    }
    check(cudaEventRecord(stop, compute), "cudaEventRecord");
    check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0.0f;
    check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    if (token >= 0) seconds.push_back(static_cast<double>(ms) / 1e3);
  }
  for (cudaEvent_t e : {start, stop, copied[0], copied[1], consumed[0], consumed[1]})
    (void)cudaEventDestroy(e);
  (void)cudaStreamDestroy(compute);
  (void)cudaStreamDestroy(copy);
  return seconds;
}

}  // namespace hwplan::kernels::cuda
