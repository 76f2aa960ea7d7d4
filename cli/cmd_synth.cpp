#include "cmd_synth.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "common/error.h"
#include "common/units.h"
#include "kernel_model.h"
#include "kernels/synth.h"
#include "kernels/thread_pool.h"
#include "model_source.h"

namespace hwplan::cli {
namespace {

// The answer for a zero-weight layout file: what was written, its size, and what it is for.
CommandResult layout_result(const GlobalOptions& global, const SynthOptions& options,
                            const std::string& title, const std::string& layout, double bytes) {
  CommandResult result;
  result.report.context = make_context(global);
  reports::Table table{"synth", title, {}, {}};
  table.columns = {{"layout", "llama.cpp layout", "", reports::Align::kLeft},
                   {"bytes_gb", "Size", "GB", reports::Align::kRight, 3}};
  table.rows.push_back({layout, bytes_to_gb(bytes)});
  result.report.tables.push_back(table);
  result.report.notes.push_back(fmt::format(
      "Wrote {}: llama.cpp's {} layout with every weight zero; it loads but generates nothing "
      "useful (for memory checks).",
      options.out, layout));
  result.report.top_level = {
      {"file", options.out}, {"files", {options.out}}, {"tensor_bytes", bytes}};
  return result;
}

void check_layout_options(const SynthOptions& options, bool moe) {
  if (options.split > 1) throw_usage("synth: --split is for dense Llama models");
  if (!moe && (options.shared_expert_ff > 0 || options.experts > 0))
    throw_usage("synth: --shared-expert-ff and --experts are for mixtures of experts");
}

// DeepSeek-style: latent attention and experts, zero weights in llama.cpp's deepseek2 layout.
CommandResult run_mla_synth(const GlobalOptions& global, const SynthOptions& options,
                            const ModelSource& source) {
  check_layout_options(options, true);
  if (options.shared_expert_ff > 0)
    throw_usage("synth: --shared-expert-ff is for the llama/qwen2moe layouts");
  const auto& m = source.spec;
  kernels::MlaShape shape;
  shape.base = layout_shape_for(m);
  if (options.layers > 0) shape.base.n_layer = options.layers;
  shape.q_lora_rank = m.mla.q_lora_rank;
  shape.kv_lora_rank = m.mla.kv_lora_rank;
  shape.rope_dim = m.mla.rope_head_dim;
  shape.nope_dim = m.mla.nope_head_dim;
  shape.v_dim = m.mla.v_head_dim;
  shape.n_dense_lead = std::min(m.moe.n_dense_layers, shape.base.n_layer);
  shape.n_expert = options.experts > 0 ? options.experts : m.moe.n_experts;
  shape.n_expert_used = m.moe.n_experts_per_token;
  shape.expert_ff = m.moe.expert_ffn_size;
  shape.n_shared = m.moe.expert_ffn_size > 0 ? m.moe.shared_ffn_size / m.moe.expert_ffn_size : 0;
  const kernels::WeightFormat format = kernels::synth_base_format(parse_mix(options.quant));
  std::fprintf(stderr, "hwplan synth: writing %s (%lld layers, %lld experts, zero weights)...\n",
               options.out.c_str(), static_cast<long long>(shape.base.n_layer),
               static_cast<long long>(shape.n_expert));
  const double bytes =
      kernels::write_deepseek2_layout_gguf(shape, format, m.id + "-layout", options.out);
  return layout_result(global, options,
                       fmt::format("Latent-attention layout of {} ({}, {} of {} experts, {} "
                                   "shared, {} dense layers first)",
                                   m.id, kernels::format_name(format), shape.n_expert_used,
                                   shape.n_expert, shape.n_shared, shape.n_dense_lead),
                       "deepseek2", bytes);
}

// A mixture of experts: zero weights in llama.cpp's llama (Mixtral) or qwen2moe layout.
CommandResult run_moe_synth(const GlobalOptions& global, const SynthOptions& options,
                            const ModelSource& source) {
  check_layout_options(options, true);
  kernels::MoeShape shape = moe_shape_for(source.spec);
  if (options.layers > 0) shape.base.n_layer = options.layers;
  if (options.shared_expert_ff > 0) shape.shared_ff = options.shared_expert_ff;
  if (options.experts > 0) shape.n_expert = options.experts;
  const kernels::WeightFormat format = kernels::synth_base_format(parse_mix(options.quant));
  std::fprintf(stderr, "hwplan synth: writing %s (%lld layers, %lld experts, zero weights)...\n",
               options.out.c_str(), static_cast<long long>(shape.base.n_layer),
               static_cast<long long>(shape.n_expert));
  const double bytes =
      kernels::write_moe_layout_gguf(shape, format, source.spec.id + "-layout", options.out);
  return layout_result(
      global, options,
      fmt::format("Mixture-of-experts layout of {} ({}, {} of {} experts, shared width {})",
                  source.spec.id, kernels::format_name(format), shape.n_expert_used, shape.n_expert,
                  shape.shared_ff),
      shape.shared_ff > 0 ? "qwen2moe" : "llama (Mixtral)", bytes);
}

// Gemma 3: sliding-window layers, zero weights in llama.cpp's gemma3 layout.
CommandResult run_gemma3_synth(const GlobalOptions& global, const SynthOptions& options,
                               const ModelSource& source) {
  check_layout_options(options, false);
  kernels::LlamaShape shape = layout_shape_for(source.spec);
  if (options.layers > 0) shape.n_layer = options.layers;
  const kernels::WeightFormat format = kernels::synth_base_format(parse_mix(options.quant));
  std::fprintf(stderr, "hwplan synth: writing %s (%lld layers, window %lld, zero weights)...\n",
               options.out.c_str(), static_cast<long long>(shape.n_layer),
               static_cast<long long>(source.spec.sliding_window));
  const double bytes = kernels::write_gemma3_layout_gguf(shape, source.spec.sliding_window, format,
                                                         source.spec.id + "-layout", options.out);
  return layout_result(global, options,
                       fmt::format("Sliding-window layout of {} ({}, window {})", source.spec.id,
                                   kernels::format_name(format), source.spec.sliding_window),
                       "gemma3", bytes);
}

}  // namespace

CommandResult run_synth(const GlobalOptions& global, const SynthOptions& options) {
  if (options.out.empty()) throw_usage("synth: -o FILE.gguf is required");
  if (options.threads < 0 || options.layers < 0)
    throw_usage("synth: --threads and --layers must be >= 0");
  const auto db = load_profiles(global);
  const ModelSource source = resolve_model(db, options.model);
  if (source.spec.attention == planner::AttentionKind::kMla && planner::is_moe(source.spec))
    return run_mla_synth(global, options, source);
  if (planner::is_moe(source.spec)) return run_moe_synth(global, options, source);
  if (source.spec.architecture.rfind("gemma3", 0) == 0 && source.spec.sliding_window > 0)
    return run_gemma3_synth(global, options, source);
  if (options.shared_expert_ff > 0)
    throw_usage("synth: --shared-expert-ff is for mixtures of experts; {} is dense",
                source.spec.id);
  kernels::LlamaShape shape = llama_shape_for(source.spec);
  if (options.layers > 0) shape.n_layer = options.layers;
  const kernels::SynthMix mix = parse_mix(options.quant);
  kernels::ThreadPool pool(options.threads > 0 ? static_cast<int>(options.threads)
                                               : default_kernel_threads());
  std::fprintf(stderr, "hwplan synth: building %s (%lld layers) in %s with %d threads...\n",
               source.spec.id.c_str(), static_cast<long long>(shape.n_layer),
               std::string(kernels::synth_mix_name(mix)).c_str(), pool.size());
  const auto start = std::chrono::steady_clock::now();
  const kernels::SynthModel model = kernels::synth_llama(
      shape, source.spec.tied_embeddings, mix, options.seed, pool, source.spec.id + "-synthetic");
  std::fprintf(stderr, "hwplan synth: writing %s...\n", options.out.c_str());
  const auto files = kernels::write_synth_gguf(model, options.out, options.split);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, std::pair<int64_t, double>> by_type;  // count, bytes
  for (const auto& t : model.tensors) {
    auto& entry = by_type[std::string(kernels::format_name(t.format))];
    entry.first += 1;
    entry.second += static_cast<double>(t.bytes);
  }
  CommandResult result;
  result.report.context = make_context(global);
  reports::Table table{"synth",
                       fmt::format("Synthetic {} ({}), seed {}", source.spec.id,
                                   kernels::synth_mix_name(mix), options.seed),
                       {},
                       {}};
  table.columns = {{"type", "Tensor type", "", reports::Align::kLeft},
                   {"tensors", "Tensors", "", reports::Align::kRight},
                   {"bytes_gb", "Size", "GB", reports::Align::kRight, 3}};
  double total = 0;
  for (const auto& [type, entry] : by_type) {
    table.rows.push_back({type, entry.first, bytes_to_gb(entry.second)});
    total += entry.second;
  }
  result.report.tables.push_back(table);
  result.report.notes.push_back(fmt::format("Wrote {} ({:.3f} GB of tensors) in {:.1f} s.",
                                            fmt::join(files, ", "), bytes_to_gb(total), seconds));
  result.report.top_level = {{"file", files.front()}, {"files", files}, {"tensor_bytes", total}};
  return result;
}

}  // namespace hwplan::cli
