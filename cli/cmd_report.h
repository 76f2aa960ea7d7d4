#pragma once
#include <string>
#include <vector>

#include "app.h"

namespace hwplan::cli {

struct ReportOptions {
  double budget_usd = 0;  ///< 0: no budget limit
  std::vector<std::string> models = {"llama-3.1-8b", "qwen3-30b-a3b", "llama-3.1-70b",
                                     "gpt-oss-120b", "deepseek-v3"};
  std::string quant = "q4_k_m";
  int64_t context_tokens = 8192;
  int64_t prompt_tokens = 1024;
  double min_tps = 10;
  std::vector<std::string> hw;         ///< empty: every bundled machine with a price
  std::vector<std::string> hw_specs;   ///< key=value overrides or inline machines (as predict)
  std::vector<std::string> prices;     ///< ID=USD: a machine's price for this report
  std::string cloud_gpu = "h100-sxm";  ///< the GPU --cloud-price rents, for token-matched costs
  double electricity_usd_per_kwh = 0.15;
  double hours_per_day = 12;
  double years = 3;
  double cloud_usd_per_hour = 2.39;
  std::string llama_args;  ///< a llama.cpp command line every machine runs the models with
  std::string engine = "llama.cpp";  ///< the engine every machine runs the models with
};

/// `hwplan report`: what should I buy? Machines, models on them, cost of ownership, cloud
/// break-even, recommendations with reasons, and charts (HTML/Markdown).
CommandResult run_report(const GlobalOptions& global, const ReportOptions& options);

}  // namespace hwplan::cli
