#pragma once
// Sweeps over quantizations: which mix is the best that still fits a machine.

#include <string>
#include <vector>

#include "planner/exllama_memory.h"
#include "planner/fit.h"
#include "planner/quant_spec.h"

namespace hwplan::planner {

/// One mix's weights for one model.
struct QuantCandidate {
  std::string id;
  WeightInventory weights;
};

/// Every mix of the catalog that `engine` loads (engines.h engine_loads: llama.cpp, GGUF mixes
/// of its own types), sized for `model`, best quality first (at equal quality the smaller file
/// first). Built once per model and reused for every machine.
std::vector<QuantCandidate> quant_candidates(const ModelSpec& model, const QuantCatalog& catalog,
                                             const std::string& engine = "llama.cpp");

/// The highest-quality candidate at which the model sits entirely in GPU memory (one GPU or
/// several) at this workload; "" when none does. ExLlamaV2, V3 and vLLM decide by their own memory
/// (exllama_memory.h with `exllama`: its layer split or tensor parallel; vllm_memory.h), other
/// engines by llama.cpp's fit.
std::string best_fitting_quant(const std::vector<QuantCandidate>& candidates,
                               const ModelSpec& model, const HardwareSpec& hardware,
                               const Workload& workload, const std::string& engine = "llama.cpp",
                               const ExllamaOptions& exllama = {});

}  // namespace hwplan::planner
