#pragma once
// NVIDIA GPU probes (built only when CMake finds nvcc): device memory the driver reports free and
// total, host<->device transfer throughput with pinned and pageable memory over sizes from 4 KiB
// up, device-to-device copies, device memory read bandwidth, and the latency of a small transfer.
// Without a GPU or driver the result is skipped, with why.

#include "probes/measurement.h"

namespace hwplan::probes {

/// Runs every GPU probe on device 0. `max_transfer_bytes` caps the largest transfer (a quarter
/// of free device memory at most). Polls the SIGINT flag.
GpuMeasurement run_cuda_probe(double max_transfer_bytes, int repetitions);

}  // namespace hwplan::probes
