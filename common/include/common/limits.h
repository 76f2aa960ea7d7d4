#pragma once
// Hard caps on counts and sizes a user's input may state, named in one place. Each is far beyond
// any real model or machine, so it only stops a corrupt file or a typo from allocating terabytes
// or looping for minutes before a check could say what is wrong.

#include <cstdint>

namespace hwplan::limits {

inline constexpr int64_t kMaxLayers = 4096;                 ///< repeating blocks of a model
inline constexpr int64_t kMaxDimension = int64_t{1} << 24;  ///< hidden, FFN, head and vocab sizes
inline constexpr int64_t kMaxHeads = 65536;                 ///< attention or KV heads
inline constexpr int64_t kMaxExperts = 65536;               ///< routed experts per layer
inline constexpr int64_t kMaxContextTokens = int64_t{1} << 26;  ///< context, prompt, depth
inline constexpr int64_t kMaxTensors = int64_t{1} << 20;        ///< tensors in one model file
inline constexpr int64_t kMaxShards = 99999;    ///< files of one split GGUF (five digits)
inline constexpr int64_t kMaxSequences = 4096;  ///< parallel sequences (batch, -np)
inline constexpr int64_t kMaxThreads = 4096;    ///< worker threads
inline constexpr int64_t kMaxGpus = 64;         ///< GPUs in one machine
inline constexpr int64_t kMaxNodes = 1024;      ///< machines in a cluster

}  // namespace hwplan::limits
