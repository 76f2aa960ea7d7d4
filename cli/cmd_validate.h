#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "app.h"

namespace hwplan::cli {

struct ValidateOptions {
  std::string model = "llama-3.2-1b";
  std::vector<std::string> quants = {"f16", "q8_0", "q4_0", "q4_k"};
  std::string gguf;          ///< a real model file instead of synthetic ones
  int64_t threads = 0;       ///< 0: every CPU this process may use
  int64_t tokens = 64;       ///< decoded tokens timed
  int64_t ctx = 512;         ///< tokens in the cache while decoding
  int64_t prompt = 32;       ///< prompt tokens for the prefill measurement
  double bandwidth_gbs = 0;  ///< > 0: skip the read probe and use this
  double max_error = 0;      ///< > 0: exit 1 when a prediction misses by more
  uint64_t seed = 1;
  std::string isa;
  int64_t layers = 0;          ///< > 0: fewer layers than the model has (quick runs)
  bool model_given = false;    ///< --model on the command line (llama-bench: skip matching)
  std::string llama_bench;     ///< llama-bench -o json/jsonl results to check instead
  std::string hw;              ///< the machine those results came from
  std::string device = "cpu";  ///< cpu (the reference kernel) or cuda (the GPU weight pass)
};

/// `hwplan validate`: the reference kernel's measured decode speed next to the planner's
/// prediction from this machine's measured bandwidth and kernel compute rates.
CommandResult run_validate(const GlobalOptions& global, const ValidateOptions& options);

/// `hwplan validate --llama-bench FILE --hw MACHINE`: published or local llama-bench results next
/// to the planner's predictions (cmd_validate_llama_bench.cpp).
CommandResult run_validate_llama_bench(const GlobalOptions& global, const ValidateOptions& options);

/// `hwplan validate --device cuda`: the GPU weight pass in three placements next to the
/// planner's prediction (cmd_validate_cuda.cpp); Error{kUnsupported} without CUDA or a GPU.
CommandResult run_validate_cuda(const GlobalOptions& global, const ValidateOptions& options);

}  // namespace hwplan::cli
