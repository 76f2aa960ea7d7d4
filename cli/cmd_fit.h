#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "app.h"

namespace hwplan::cli {

struct FitOptions {
  std::vector<std::string> models;  ///< bundled ids, config.json or .gguf paths
  std::string quant = "q4_k_m";
  bool quant_given = false;
  int64_t context_tokens = 0;
  bool context_given = false;  ///< false: min(8192, the model's maximum)
  std::string kv_type = "f16";
  int64_t batch = 1;
  std::vector<std::string> hw;
  std::vector<std::string> hw_specs;
  int64_t gpus = 0;
  bool require_fit = false;
  bool allow_offload = false;
  std::string llama_args;             ///< a llama.cpp command line whose placement to check
  std::string engine = "llama.cpp";   ///< the engine whose decode speed the table shows
  std::string split = "layer";        ///< across GPUs: layer, row, tensor or none (parse_split)
  int64_t nodes = 1;                  ///< identical machines the model is split over
  std::string link = "thunderbolt5";  ///< the link between them
};

/// `hwplan fit`: will each model fit each machine, how, and with which llama.cpp flags.
CommandResult run_fit(const GlobalOptions& global, const FitOptions& options);

}  // namespace hwplan::cli
