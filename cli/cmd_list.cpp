#include "cmd_list.h"

#include <fmt/format.h>

#include "common/error.h"
#include "common/units.h"
#include "planner/weights.h"

namespace hwplan::cli {
namespace {

using reports::Align;
using reports::Cell;
using reports::Column;
using reports::Table;

Cell optional_number(double value) { return value > 0 ? Cell{value} : Cell{}; }

Table hardware_table(const planner::ProfileDb& db) {
  Table t{"hardware", "Bundled hardware", {}, {}};
  t.columns = {{"id", "Id", "", Align::kLeft},
               {"kind", "Kind", "", Align::kLeft},
               {"backend", "Backend", "", Align::kLeft},
               {"gpu_count", "GPUs", "", Align::kRight},
               {"memory_gib", "Memory", "GiB", Align::kRight, 0},
               {"usable_gpu_gib", "GPU usable", "GiB", Align::kRight, 1},
               {"usable_gpu_raised_gib", "Raised", "GiB", Align::kRight, 1},
               {"bandwidth_gbs", "Bandwidth", "GB/s", Align::kRight, 0},
               {"fp16_tflops", "FP16", "TFLOP/s", Align::kRight, 1},
               {"bus_gbs", "Bus", "GB/s", Align::kRight, 1},
               {"host_memory_gib", "Host RAM", "GiB", Align::kRight, 0},
               {"price_usd", "Price", "USD", Align::kRight, 0},
               {"status", "Status", "", Align::kLeft},
               {"name", "Name", "", Align::kLeft}};
  for (const auto& hw : db.hardware) {
    const bool unified = hw.kind == planner::MemoryKind::kUnified;
    t.rows.push_back(
        {hw.id, planner::memory_kind_name(hw.kind), std::string(planner::backend_name(hw.backend)),
         hw.gpu_count, bytes_to_gib(hw.memory_bytes),
         bytes_to_gib(planner::usable_gpu_bytes(hw, planner::LimitMode::kDefault)),
         unified ? Cell{bytes_to_gib(planner::usable_gpu_bytes(hw, planner::LimitMode::kRaised))}
                 : Cell{},
         bytes_per_s_to_gbs(hw.bandwidth_bytes_per_s), flop_per_s_to_tflops(hw.fp16_flop_per_s),
         optional_number(bytes_per_s_to_gbs(hw.bus_bytes_per_s)),
         unified ? Cell{} : Cell{bytes_to_gib(hw.host_memory_bytes)},
         hw.price_usd ? Cell{*hw.price_usd} : Cell{}, hw.status.empty() ? "on sale" : hw.status,
         hw.name});
  }
  return t;
}

std::string attention_label(const planner::ModelSpec& m) {
  std::string label = m.attention == planner::AttentionKind::kMla ? "MLA" : "GQA";
  int64_t sliding = 0;
  int64_t linear = 0;
  for (auto kind : m.layer_kinds) {
    sliding += kind == planner::LayerKind::kSlidingAttention;
    linear += kind == planner::LayerKind::kLinearAttention;
  }
  if (sliding > 0)
    label += fmt::format(" + SWA {} ({}/{} layers)", m.sliding_window, sliding, m.n_layers);
  if (linear > 0) label += fmt::format(" + linear ({}/{} layers)", linear, m.n_layers);
  return label;
}

Table models_table(const planner::ProfileDb& db) {
  Table t{"models", "Bundled models", {}, {}};
  t.columns = {{"id", "Id", "", Align::kLeft},
               {"params_b", "Params", "B", Align::kRight, 2},
               {"active_params_b", "Active", "B", Align::kRight, 2},
               {"bf16_gib", "BF16 size", "GiB", Align::kRight, 1},
               {"layers", "Layers", "", Align::kRight},
               {"max_context_tokens", "Max ctx", "tokens", Align::kRight},
               {"experts", "Experts", "", Align::kLeft},
               {"attention", "Attention", "", Align::kLeft},
               {"name", "Name", "", Align::kLeft}};
  const auto& bf16 = planner::find_quant(db.quants, "bf16");
  for (const auto& profile : db.models) {
    const auto& m = profile.spec;
    const auto inv = planner::build_inventory(m, bf16);
    const std::string experts =
        planner::is_moe(m) ? fmt::format("{} of {}{}", m.moe.n_experts_per_token, m.moe.n_experts,
                                         m.moe.shared_ffn_size > 0 ? " + shared" : "")
                           : "dense";
    t.rows.push_back({m.id, planner::total_params(inv) / 1e9, planner::active_params(m, inv) / 1e9,
                      bytes_to_gib(planner::total_weight_bytes(inv)), m.n_layers, m.max_context,
                      experts, attention_label(m), m.name});
  }
  return t;
}

Table quants_table(const planner::ProfileDb& db) {
  Table t{"quants", "Quantizations (effective bits per weight)", {}, {}};
  t.columns = {{"id", "Id", "", Align::kLeft},
               {"family", "Family", "", Align::kLeft},
               {"weights_bpw", "Weights", "bpw", Align::kRight, 2},
               {"embedding_bpw", "Embedding", "bpw", Align::kRight, 2},
               {"output_bpw", "Output", "bpw", Align::kRight, 2},
               {"quality_rank", "Quality rank", "", Align::kRight},
               {"source", "Source", "", Align::kLeft}};
  for (const auto& q : db.quants.mixes) {
    t.rows.push_back(
        {q.id, q.family, q.weights_bpw, q.embedding_bpw, q.output_bpw, q.quality_rank, q.source});
  }
  return t;
}

Table gguf_types_table() {
  Table t{"gguf_types", "GGUF tensor types", {}, {}};
  t.columns = {{"id", "Id", "", Align::kRight},
               {"name", "Type", "", Align::kLeft},
               {"block_elements", "Block", "weights", Align::kRight},
               {"block_bytes", "Block", "bytes", Align::kRight},
               {"bpw", "Bits per weight", "", Align::kRight, 4}};
  for (const auto& type : ggml_types()) {
    t.rows.push_back({static_cast<int64_t>(type.id), std::string(type.name), type.block_elements,
                      type.block_bytes, ggml_bits_per_weight(type)});
  }
  return t;
}

}  // namespace

CommandResult run_list(const GlobalOptions& global, const ListOptions& options) {
  const auto db = load_profiles(global);
  CommandResult result;
  result.report.context = make_context(global);
  if (options.what == "hardware") {
    result.report.tables.push_back(hardware_table(db));
    result.report.notes.emplace_back(
        "GPU usable: what the GPU may use by default (macOS wired limit, Strix Halo carve-out, "
        "VRAM "
        "less driver reserve); Raised: after the user raises the limit.");
  } else if (options.what == "models") {
    result.report.tables.push_back(models_table(db));
  } else if (options.what == "quants") {
    result.report.tables.push_back(quants_table(db));
    result.report.tables.push_back(gguf_types_table());
    std::vector<std::string> kv;
    for (const auto& type : db.quants.kv_cache_types) kv.push_back(type.name);
    result.report.notes.push_back(fmt::format("KV cache types: {}", fmt::join(kv, ", ")));
  } else {
    throw_usage("list: unknown list '{}' (choose hardware, models or quants)", options.what);
  }
  return result;
}

}  // namespace hwplan::cli
