#pragma once
#include <string>
#include <vector>

#include "app.h"

namespace hwplan::cli {

struct ScanOptions {
  std::vector<std::string> hw;        ///< machines to fit each model on (none: this one, probed)
  bool no_fit = false;                ///< list the models only
  std::vector<std::string> hw_specs;  ///< key=value overrides or inline machines
  int64_t context_tokens = 8192;
};

/// `hwplan scan`: every model in the local Ollama, LM Studio and Hugging Face stores, with its
/// format, size and quantization, and how it fits each --hw machine.
CommandResult run_scan(const GlobalOptions& global, const ScanOptions& options);

}  // namespace hwplan::cli
