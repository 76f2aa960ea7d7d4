#include "planner/sweep.h"

#include <algorithm>

#include "common/error.h"
#include "planner/engines.h"
#include "planner/exllama_memory.h"
#include "planner/vllm_memory.h"

namespace hwplan::planner {

std::vector<QuantCandidate> quant_candidates(const ModelSpec& model, const QuantCatalog& catalog,
                                             const std::string& engine) {
  std::vector<const QuantSpec*> order;
  order.reserve(catalog.mixes.size());
  for (const auto& q : catalog.mixes) order.push_back(&q);
  std::stable_sort(order.begin(), order.end(), [](const auto* a, const auto* b) {
    if (a->quality_rank != b->quality_rank) return a->quality_rank > b->quality_rank;
    return a->weights_bpw < b->weights_bpw;
  });
  // Other engines take a GGUF mix as the same model at that size in their own format, but what
  // one would download for them is their own format or the unquantized checkpoint.
  const bool runs_gguf = runs_ggml(engine);
  std::vector<QuantCandidate> candidates;
  candidates.reserve(order.size());
  for (const auto* q : order) {
    auto weights = build_inventory(model, *q);
    if (!engine_loads(engine, q->family, !ik_only_type(weights).empty())) continue;
    if (!runs_gguf && q->family == "gguf" && quantized_bits(q->weights_bpw)) continue;
    candidates.push_back({q->id, std::move(weights)});
  }
  return candidates;
}

namespace {

// Whether `engine` holds the model entirely in GPU (or, for llama.cpp on a CPU machine, host)
// memory: ExLlamaV2, V3 (where modelled) and vLLM by their own memory, every other engine by
// llama.cpp's fit.
bool fits_entirely(const ModelSpec& model, const WeightInventory& weights,
                   const HardwareSpec& hardware, const Workload& workload,
                   const std::string& engine, const ExllamaOptions& exllama) {
  try {
    if (is_exllama(engine) && exllama_not_modelled(model, hardware, exllama).empty())
      return exllama_memory(model, weights, hardware, workload, exllama).fits;
    if (engine == "vllm") return vllm_memory(model, weights, hardware, workload).starts;
  } catch (const Error&) {
    return false;  // a model or machine it does not run
  }
  const auto kind = fit_model(model, weights, hardware, workload).kind;
  return kind == FitKind::kGpu || kind == FitKind::kMultiGpu || kind == FitKind::kHost;
}

}  // namespace

std::string best_fitting_quant(const std::vector<QuantCandidate>& candidates,
                               const ModelSpec& model, const HardwareSpec& hardware,
                               const Workload& workload, const std::string& engine,
                               const ExllamaOptions& exllama) {
  for (const auto& c : candidates) {
    if (fits_entirely(model, c.weights, hardware, workload, engine, exllama)) return c.id;
  }
  return "";
}

}  // namespace hwplan::planner
