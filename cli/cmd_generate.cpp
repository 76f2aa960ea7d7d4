#include "cmd_generate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/cancel.h"
#include "common/error.h"
#include "formats/gguf.h"
#include "kernel_model.h"
#include "kernels/llama_context.h"
#include "kernels/thread_pool.h"

namespace hwplan::cli {

kernels::Isa parse_isa(const std::string& name) {
  if (name.empty()) return kernels::best_isa();
  for (kernels::Isa isa : kernels::kAllIsas) {
    if (kernels::isa_name(isa) != name) continue;
    const auto available = kernels::available_isas();
    if (std::find(available.begin(), available.end(), isa) == available.end()) {
      throw Error(ErrorKind::kUnsupported,
                  fmt::format("--isa {}: this CPU or build lacks it", name));
    }
    return isa;
  }
  throw_usage("--isa: '{}' is not one of scalar, avx2, avx512, neon", name);
}

CommandResult run_generate(const GlobalOptions& global, const GenerateOptions& options) {
  if (options.gguf.empty()) throw_usage("generate: --gguf FILE is required");
  if (options.prompt_ids.empty())
    throw_usage("generate: --prompt-ids must name at least one token");
  if (options.tokens < 1 || options.tokens > 100000)
    throw_usage("generate: --tokens must be 1..100000, got {}", options.tokens);
  if (options.top_k < 1) throw_usage("generate: --top-k must be >= 1, got {}", options.top_k);
  if (options.threads < 0) throw_usage("generate: --threads must be >= 0");
  const kernels::Isa isa = parse_isa(options.isa);
  const auto file = formats::GgufFile::open(options.gguf);
  const kernels::LlamaWeights weights = kernels::llama_from_gguf(file);
  std::vector<int32_t> prompt;
  for (int64_t id : options.prompt_ids) {
    if (id < 0 || id >= weights.shape.n_vocab) {
      throw_input("--prompt-ids: token {} is outside the vocabulary of {} (0..{})", id,
                  options.gguf, weights.shape.n_vocab - 1);
    }
    prompt.push_back(static_cast<int32_t>(id));
  }
  kernels::ThreadPool pool(options.threads > 0 ? static_cast<int>(options.threads)
                                               : default_kernel_threads());
  kernels::LlamaContext ctx(weights, pool, static_cast<int64_t>(prompt.size()) + options.tokens,
                            isa);
  std::span<const float> logits;
  if (options.batched_prompt) {
    logits = ctx.eval(prompt);
  } else {
    for (int32_t t : prompt) logits = ctx.decode(t);
  }
  const std::vector<float> prompt_logits(logits.begin(), logits.end());
  std::vector<int32_t> greedy;
  int32_t next = kernels::argmax(prompt_logits);
  for (int64_t i = 0; i < options.tokens; ++i) {
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "generate: interrupted");
    greedy.push_back(next);
    if (i + 1 < options.tokens) next = kernels::argmax(ctx.decode(next));
  }

  const auto k = static_cast<size_t>(
      std::min<int64_t>(options.top_k, static_cast<int64_t>(prompt_logits.size())));
  std::vector<int32_t> order(prompt_logits.size());
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](int32_t a, int32_t b) {
                      const float la = prompt_logits[static_cast<size_t>(a)];
                      const float lb = prompt_logits[static_cast<size_t>(b)];
                      return la > lb || (la == lb && a < b);
                    });
  double l2 = 0;
  for (float v : prompt_logits) l2 += double{v} * v;
  l2 = std::sqrt(l2);

  CommandResult result;
  result.report.context = make_context(global);
  reports::Table top{"top_k", fmt::format("Top {} logits after the prompt", k), {}, {}};
  top.columns = {{"rank", "Rank", "", reports::Align::kRight},
                 {"token_id", "Token", "", reports::Align::kRight},
                 {"logit", "Logit", "", reports::Align::kRight, 6}};
  nlohmann::json top_json = nlohmann::json::array();
  for (size_t i = 0; i < k; ++i) {
    const int32_t id = order[i];
    top.rows.push_back(
        {static_cast<int64_t>(i + 1), int64_t{id}, double{prompt_logits[static_cast<size_t>(id)]}});
    top_json.push_back({id, prompt_logits[static_cast<size_t>(id)]});
  }
  result.report.tables.push_back(top);
  result.report.notes.push_back(
      fmt::format("Greedy continuation ({} tokens): {}", greedy.size(), fmt::join(greedy, " ")));
  result.report.notes.push_back(
      fmt::format("Logit L2 norm after the prompt: {:.6f}; kernel {} with {} threads.", l2,
                  kernels::isa_name(isa), pool.size()));
  result.report.top_level = {{"greedy_ids", greedy},
                             {"top_k", top_json},
                             {"logits_l2", l2},
                             {"isa", std::string(kernels::isa_name(isa))}};
  return result;
}

}  // namespace hwplan::cli
