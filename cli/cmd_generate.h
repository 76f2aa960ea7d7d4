#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "app.h"
#include "kernels/matvec.h"

namespace hwplan::cli {

struct GenerateOptions {
  std::string gguf;
  std::vector<int64_t> prompt_ids;
  int64_t tokens = 16;
  int64_t top_k = 10;
  int64_t threads = 0;
  std::string isa;              ///< scalar, avx2, avx512; empty: the best this CPU runs
  bool batched_prompt = false;  ///< the prompt as one batch instead of one token per step
};

/// `hwplan generate`: greedy continuation of token ids with the reference kernel.
CommandResult run_generate(const GlobalOptions& global, const GenerateOptions& options);

/// The ISA named `name` (empty: the best); Error{kUnsupported} when this CPU lacks it.
kernels::Isa parse_isa(const std::string& name);

}  // namespace hwplan::cli
