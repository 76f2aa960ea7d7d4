#pragma once
// Timing the reference decode kernel (validate's measurement): each weight format's in-cache dot
// product rate, a prefill, and decode steps timed one by one with a hook between groups of steps
// (validate probes the read bandwidth there, so prediction and run share one time window).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "kernels/llama.h"
#include "kernels/matvec.h"
#include "kernels/thread_pool.h"

namespace hwplan::kernels {

/// Bytes per second one thread's dot products consume `format` at from L2 while every member of
/// `pool` computes at once: each multiplies its own 256 KiB matrix repeatedly for about 10 ms;
/// the members' mean rate, best of 5 runs.
double in_cache_rate(WeightFormat format, int64_t cols, Isa isa, ThreadPool& pool);

/// What to run: a prompt, the cache filled to `context_tokens` (synthetic values past the
/// prompt), then `tokens` decode steps in `segments` groups.
struct DecodeRun {
  int64_t prompt_tokens = 16;
  int64_t context_tokens = 0;
  int64_t tokens = 16;
  int64_t segments = 8;
  uint64_t seed = 1;
};

struct DecodeMeasurement {
  double prefill_tok_per_s = 0;
  std::vector<double> token_seconds;  ///< one per decode step, in order
  /// What `between_segments` returned: before each group of steps and once after the last.
  std::vector<double> between;
  std::map<std::string, double> rates_per_thread;  ///< in_cache_rate by format name
};

/// Measures `run` on `weights`: in-cache rates of its formats, the prefill, two untimed warm-up
/// steps, then the timed steps with `between_segments` called around each group. `progress` hears
/// what starts. Ctrl-C (common/cancel.h) stops it with Error{kCancelled}.
DecodeMeasurement measure_decode(const LlamaWeights& weights, ThreadPool& pool, Isa isa,
                                 const DecodeRun& run,
                                 const std::function<double()>& between_segments,
                                 const std::function<void(const std::string&)>& progress);

}  // namespace hwplan::kernels
