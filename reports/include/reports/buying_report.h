#pragma once
// The buying report (DESIGN.md "What should I buy?"): every model on every machine in scope, what
// each machine costs to own, recommendations by use with their reasons and bands, a three-sentence
// verdict and the charts, built from the same plans fit and predict show.

#include <optional>
#include <string>
#include <vector>

#include "planner/engines.h"
#include "planner/hardware_spec.h"
#include "planner/llama_args.h"
#include "planner/memory.h"
#include "planner/model_spec.h"
#include "planner/profiles.h"
#include "planner/weights.h"
#include "reports/economics.h"
#include "reports/report.h"

namespace hwplan::reports {

/// A model sized for the report's workload.
struct BuyingModel {
  planner::ModelSpec spec;
  planner::WeightInventory weights;
  planner::Workload workload;
  std::string format_family = "gguf";  ///< the weights' format, for which engines load them
};

/// What the buyer asked, beyond the machines and models.
struct BuyingTerms {
  std::string quant = "q4_k_m";  ///< shown in titles and assumptions
  int64_t context_tokens = 8192;
  int64_t prompt_tokens = 1024;
  double min_tps = 10;
  double budget_usd = 0;  ///< 0: no budget limit
  OwnershipTerms ownership;
  /// The engine every machine runs the models with: llama.cpp (default) or one whose factors
  /// calibration.json holds (mlx, vllm, exllamav2, ...); machines it cannot run on are left out.
  /// "all": each machine runs each model with the fastest engine that runs there and loads it.
  std::string engine = "llama.cpp";
};

struct BuyingQuestion {
  std::vector<planner::HardwareSpec> machines;  ///< candidates; unpriced or over budget left out
  std::vector<BuyingModel> models;
  planner::HardwareSpec cloud;  ///< the GPU the cloud price rents (token-matched break-even)
  std::optional<planner::LlamaArgs> llama_args;  ///< the command line every machine runs
  BuyingTerms terms;
};

/// Sets a machine's price for one report (--price ID=USD): the part list becomes that one figure.
void set_price(planner::HardwareSpec& machine, double usd);

/// The machines a report compares: priced, within the budget and able to run `engine` (nullptr:
/// llama.cpp, which runs everywhere); a note for each left out. Error{kInput} when none is left.
std::vector<const planner::HardwareSpec*> machines_in_scope(
    const std::vector<planner::HardwareSpec>& machines, double budget_usd,
    std::vector<std::string>& notes, const planner::EngineFactors* engine = nullptr);

/// Adds the verdict, machines, models and recommendations tables, the charts and the notes.
void add_buying_report(const BuyingQuestion& question, const planner::ProfileDb& db,
                       Report& report);

}  // namespace hwplan::reports
