#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "app.h"
#include "planned_model.h"

namespace hwplan::cli {

struct PredictCliOptions {
  std::vector<std::string> models;
  ModelRequest request{"q4_k_m", false, 0, false, 4096, "f16", 1};
  std::vector<std::string> quants{"q4_k_m"};  ///< each model is predicted at each
  std::vector<std::string> hw;
  std::vector<std::string> hw_specs;
  int64_t gpus = 0;
  int64_t prompt_tokens = 512;
  int64_t depth_tokens = 0;  ///< cached tokens before the prompt
  std::string offload = "auto";
  std::string split = "layer";
  int64_t nodes = 1;
  std::string link = "thunderbolt5";
  std::string engine = "llama.cpp";
  std::string backend;     ///< empty: each machine's native backend
  std::string llama_args;  ///< a llama.cpp command line whose placement to predict
};

/// `hwplan predict`: decode and prefill tok/s, time to first token, the breakdown and the bound.
CommandResult run_predict(const GlobalOptions& global, const PredictCliOptions& options);

}  // namespace hwplan::cli
