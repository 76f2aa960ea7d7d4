// GPU probes with the CUDA runtime: every copy timed with CUDA events on one stream, after a
// warm-up copy; rates are bytes over the event time. The device read kernel sums a buffer 8x the
// L2 size with vectorised loads so DRAM, not the cache, is measured.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cuda_raw.h"

namespace hwplan::probes::cuda_raw {
namespace {

std::string error_text(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

/// Sums float4s of `in` into one value per block (written to `out`), so nothing is optimised away.
__global__ void read_kernel(const float4* __restrict__ in, size_t n, float* __restrict__ out) {
  float sum = 0.0f;
  for (size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    const float4 v = in[i];
    sum += v.x + v.y + v.z + v.w;
  }
  if (sum == 12345.678f) out[blockIdx.x] = sum;  // practically never true; keeps the loads
}

class Timer {
 public:
  Timer() {
    cudaEventCreate(&start_);
    cudaEventCreate(&stop_);
  }
  ~Timer() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  void start(cudaStream_t s) { cudaEventRecord(start_, s); }
  double stop_seconds(cudaStream_t s) {
    cudaEventRecord(stop_, s);
    cudaEventSynchronize(stop_);
    float ms = 0;
    cudaEventElapsedTime(&ms, start_, stop_);
    return static_cast<double>(ms) / 1e3;
  }

 private:
  cudaEvent_t start_{}, stop_{};
};

std::vector<double> time_copies(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                                int repetitions, cudaStream_t stream, bool (*cancelled)()) {
  Timer timer;
  cudaMemcpyAsync(dst, src, bytes, kind, stream);  // warm-up
  cudaStreamSynchronize(stream);
  std::vector<double> rates;
  for (int r = 0; r < repetitions && !cancelled(); ++r) {
    timer.start(stream);
    cudaMemcpyAsync(dst, src, bytes, kind, stream);
    const double s = timer.stop_seconds(stream);
    if (s > 0) rates.push_back(static_cast<double>(bytes) / s / 1e9);
  }
  return rates;
}

}  // namespace

Device device() {
  Device d;
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    d.reason = e != cudaSuccess ? "no CUDA device (" + error_text(e) + ")" : "no CUDA device";
    return d;
  }
  cudaDeviceProp p{};
  cudaGetDeviceProperties(&p, 0);
  d.present = true;
  d.name = p.name;
  d.compute_major = p.major;
  d.compute_minor = p.minor;
  d.pci_bus = p.pciBusID;
  d.pci_device = p.pciDeviceID;
  size_t free_bytes = 0, total_bytes = 0;
  cudaMemGetInfo(&free_bytes, &total_bytes);
  d.free_bytes = static_cast<double>(free_bytes);
  d.total_bytes = static_cast<double>(total_bytes);
  int clock_khz = 0, bus_bits = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0);
  // Double data rate: two transfers per clock on each bus bit.
  d.theoretical_bandwidth_bytes_per_s = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;
  return d;
}

Measurement run(double max_transfer_bytes, int repetitions, bool (*cancelled)()) {
  Measurement m;
  m.device = device();
  if (!m.device.present) return m;
  const size_t cap = static_cast<size_t>(std::min(max_transfer_bytes, m.device.free_bytes / 4));
  cudaStream_t stream{};
  cudaStreamCreate(&stream);
  void* device_a = nullptr;
  void* device_b = nullptr;
  void* pinned = nullptr;
  if (cudaMalloc(&device_a, cap) != cudaSuccess || cudaMalloc(&device_b, cap) != cudaSuccess ||
      cudaMallocHost(&pinned, cap) != cudaSuccess) {
    m.device.present = false;
    m.device.reason = "could not allocate the transfer buffers";
  } else {
    void* pageable = std::malloc(cap);
    std::memset(pinned, 1, cap);
    std::memset(pageable, 1, cap);
    for (size_t bytes = 4096; bytes <= cap && !cancelled(); bytes *= 4) {
      for (const bool is_pinned : {true, false}) {
        void* host = is_pinned ? pinned : pageable;
        m.transfers.push_back({"h2d", is_pinned, static_cast<double>(bytes),
                               time_copies(device_a, host, bytes, cudaMemcpyHostToDevice,
                                           repetitions, stream, cancelled)});
        m.transfers.push_back({"d2h", is_pinned, static_cast<double>(bytes),
                               time_copies(host, device_a, bytes, cudaMemcpyDeviceToHost,
                                           repetitions, stream, cancelled)});
      }
      m.transfers.push_back({"d2d", true, static_cast<double>(bytes),
                             time_copies(device_b, device_a, bytes, cudaMemcpyDeviceToDevice,
                                         repetitions, stream, cancelled)});
    }
    // Latency: a 4-byte pinned copy, median of many.
    Timer timer;
    std::vector<double> us;
    for (int r = 0; r < 100; ++r) {
      timer.start(stream);
      cudaMemcpyAsync(device_a, pinned, 4, cudaMemcpyHostToDevice, stream);
      us.push_back(timer.stop_seconds(stream) * 1e6);
    }
    std::sort(us.begin(), us.end());
    m.small_transfer_latency_us = us[us.size() / 2];
    // Device read bandwidth over the whole buffer.
    int l2 = 0;
    cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, 0);
    const size_t read_bytes =
        std::min(cap, std::max<size_t>(static_cast<size_t>(l2) * 8, 256u << 20)) / 16 * 16;
    float* out = nullptr;
    cudaMalloc(&out, 65536 * sizeof(float));
    std::vector<double> rates;
    for (int r = 0; r <= repetitions; ++r) {
      timer.start(stream);
      read_kernel<<<1024, 256, 0, stream>>>(static_cast<const float4*>(device_a), read_bytes / 16,
                                            out);
      const double s = timer.stop_seconds(stream);
      if (r > 0 && s > 0) rates.push_back(static_cast<double>(read_bytes) / s / 1e9);
    }
    m.device_read_gbs = rates;
    cudaFree(out);
    std::free(pageable);
  }
  cudaFreeHost(pinned);
  cudaFree(device_b);
  cudaFree(device_a);
  cudaStreamDestroy(stream);
  return m;
}

}  // namespace hwplan::probes::cuda_raw
