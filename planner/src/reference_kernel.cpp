// Speed model of the reference kernel (reference_kernel.h). The kernel runs one matrix at a time
// with all threads, so the types' times add up. Memory and dot-product time are taken not to
// overlap: on the machine this was checked on (2 Zen 4 cores, 1 and 2 threads, F16/Q8_0/Q4_0/
// Q4_K) the sum was 6-18% below the measurement, where max() (a pure roofline) overpredicted by up
// to 68%.
#include "planner/reference_kernel.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "planner/memory.h"

namespace hwplan::planner {

ReferencePrediction predict_reference_decode(const ModelSpec& model, const WeightInventory& weights,
                                             int64_t context_tokens, const CpuKernelRates& rates) {
  if (!(rates.read_bandwidth_bytes_per_s > 0) || rates.threads < 1) {
    throw_input("reference kernel: read bandwidth must be > 0 and threads >= 1");
  }
  std::map<std::string, double> bytes_by_type;
  for (const TensorGroup& g : weights.groups) {
    // The embedding is read one row per token unless it is also the output (tied).
    const bool one_row = g.cls == TensorClass::kEmbedding && !model.tied_embeddings;
    const double bytes = one_row ? g.bytes / static_cast<double>(model.vocab_size) : g.bytes;
    if (g.cls == TensorClass::kNorm) continue;  // F32 vectors: kilobytes, read from cache
    bytes_by_type[g.type] += bytes;
  }
  ReferencePrediction p;
  for (const auto& [type, bytes] : bytes_by_type) {
    const auto it = rates.compute_bytes_per_s_per_thread.find(type);
    if (it == rates.compute_bytes_per_s_per_thread.end() || !(it->second > 0)) {
      throw_input("reference kernel: no measured compute rate for weight type {}", type);
    }
    const double memory_seconds = bytes / rates.read_bandwidth_bytes_per_s;
    const double compute_seconds = bytes / (it->second * static_cast<double>(rates.threads));
    const double seconds = memory_seconds + compute_seconds;
    p.terms.push_back({fmt::format("weights {}", type), bytes, bytes / seconds, 0.0, seconds,
                       compute_seconds > memory_seconds ? Bound::kCompute : Bound::kMemory});
  }
  // K and V of every cached position in binary16 (the kernel's cache, exactly the positions used:
  // no padding to llama.cpp's 256 cells), per layer by the planner's one per-token formula.
  const double kv_bytes = static_cast<double>(context_tokens) *
                          static_cast<double>(model.n_layers) *
                          kv_bytes_per_token_per_layer(model, {"F16", 2.0});
  p.terms.push_back({"kv cache", kv_bytes, rates.read_bandwidth_bytes_per_s, 0.0,
                     kv_bytes / rates.read_bandwidth_bytes_per_s, Bound::kMemory});
  double longest = 0;
  for (const Term& t : p.terms) {
    p.seconds += t.seconds;
    if (t.seconds > longest) {
      longest = t.seconds;
      p.bound = t.bound;
    }
  }
  p.tok_per_s = 1.0 / p.seconds;
  return p;
}

}  // namespace hwplan::planner
