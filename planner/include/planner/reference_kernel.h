#pragma once
// The speed model of hwplan's own reference decode kernel on a CPU (`hwplan validate`), per
// weight type: the kernel streams a type's bytes from memory at the read bandwidth of its thread
// count and spends bytes / (threads x in-cache rate) computing on them, without overlap between
// the two (the kernel issues its loads and its dot products from the same loop; software
// prefetch hides some of the latency but not the time). The K/V cache streams at the read
// bandwidth. Every rate is measured on the machine (the read probe at the kernel's thread count,
// an in-cache matrix-vector run per type with every thread computing at once): no fitted factor.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "planner/model_spec.h"
#include "planner/predict.h"
#include "planner/weights.h"

namespace hwplan::planner {

/// What the machine measured for the kernel.
struct CpuKernelRates {
  double read_bandwidth_bytes_per_s = 0;  ///< read bandwidth from memory with `threads` threads
  /// Bytes per second one thread's dot products consume each ggml type ("Q4_0", ...) at from
  /// cache (the compute roof), and how many threads share the work.
  std::map<std::string, double> compute_bytes_per_s_per_thread;
  int64_t threads = 1;
};

/// One term per weight type plus the K/V cache.
struct ReferencePrediction {
  std::vector<Term> terms;
  double seconds = 0;
  double tok_per_s = 0;
  Bound bound = Bound::kMemory;  ///< the bound of the term that takes longest
};

/// Decode of one token with `context_tokens` cached (binary16 K/V): every weight read once except
/// the embedding (one row; all of it when tied, as the output). Throws Error{kInput} when a weight
/// type has no measured compute rate or a rate is not positive.
ReferencePrediction predict_reference_decode(const ModelSpec& model, const WeightInventory& weights,
                                             int64_t context_tokens, const CpuKernelRates& rates);

}  // namespace hwplan::planner
