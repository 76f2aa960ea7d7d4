#pragma once
// Marks block arithmetic that both the CPU kernels and the CUDA kernels (kernels/cuda, compiled by
// nvcc) use, so each format's layout and arithmetic is written once.

#if defined(__CUDACC__)
#define HWPLAN_HOST_DEVICE __host__ __device__
#else
#define HWPLAN_HOST_DEVICE
#endif
