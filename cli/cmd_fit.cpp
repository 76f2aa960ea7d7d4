#include "cmd_fit.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "common/error.h"
#include "common/units.h"
#include "hardware_source.h"
#include "plan_output.h"
#include "planned_model.h"
#include "planner/engines.h"
#include "planner/exllama_memory.h"
#include "planner/fit.h"
#include "planner/mlx_memory.h"
#include "planner/predict.h"
#include "planner/sweep.h"
#include "planner/vllm_memory.h"

namespace hwplan::cli {
namespace {

using reports::Align;
using reports::Cell;
using reports::Table;

struct Row {
  const PlannedModel* model;
  const planner::HardwareSpec* hardware;
  planner::ChosenPlan chosen;
  planner::FitResult fit;
  int64_t max_context = 0;
  std::string best_quant;
  double decode_tok_per_s = 0;
  std::string engine = "llama.cpp";  ///< whose decode speed decode_tok_per_s is
  std::string engine_basis;          ///< what another engine's speed rests on (engine_basis)
  double decode_band = 0;            ///< another engine's 80% band (fraction)
  std::string command;               ///< the llama-server command that runs the plan
  std::string command_why;
  /// vLLM's and ExLlamaV2's own memory on their rows, as predict_with_engine computed it; unset
  /// where the engine does not run the model here (engine_refusal says why).
  std::optional<planner::VllmMemory> vllm;
  std::optional<planner::ExllamaMemory> exllama;
  std::string engine_refusal;
};

Table model_table(const std::vector<PlannedModel>& models) {
  Table t{"models", "Model", {}, {}};
  t.columns = {{"model", "Model", "", Align::kLeft},
               {"quant", "Quant", "", Align::kLeft},
               {"params_b", "Params", "B", Align::kRight, 2},
               {"active_params_b", "Active", "B", Align::kRight, 2},
               {"weights_gib", "Weights", "GiB", Align::kRight, 2},
               {"weights_gb", "Weights", "GB", Align::kRight, 2},
               {"context_tokens", "Context", "tokens", Align::kRight},
               {"batch", "Batch", "", Align::kRight},
               {"kv_type", "KV type", "", Align::kLeft},
               {"kv_cache_gib", "KV cache", "GiB", Align::kRight, 2},
               {"kv_per_token_kib", "KV/token", "KiB", Align::kRight, 1},
               {"compute_buffer_gib", "Compute buf", "GiB", Align::kRight, 2},
               {"weights_source", "Weights from", "", Align::kLeft}};
  for (const auto& p : models) {
    const auto& m = p.source.spec;
    const double weights = planner::total_weight_bytes(p.weights);
    const double kv = planner::kv_cache_bytes(m, p.workload);
    const double kv_per_token = planner::kv_bytes_per_token(m, p.workload.kv_cache);
    t.rows.push_back(
        {m.id, p.quant_name, planner::total_params(p.weights) / 1e9,
         planner::active_params(m, p.weights) / 1e9, bytes_to_gib(weights), bytes_to_gb(weights),
         p.workload.context_tokens, p.workload.batch, p.workload.kv_cache.name, bytes_to_gib(kv),
         kv_per_token / kBytesPerKib, bytes_to_gib(planner::compute_buffer_bytes(m, p.workload)),
         p.source.exact_weights
             ? std::string(p.source.gguf_file_type.empty() ? "safetensors headers (exact)"
                                                           : "GGUF tensor table (exact)")
             : std::string("mix bpw")});
  }
  return t;
}

Table fit_table(const std::vector<Row>& rows, bool many_models, bool show_engine) {
  Table t{"fit", "Will it fit?", {}, {}};
  if (many_models) t.columns.push_back({"model", "Model", "", Align::kLeft});
  t.columns.push_back({"hardware", "Hardware", "", Align::kLeft});
  if (show_engine) t.columns.push_back({"engine", "Engine", "", Align::kLeft});
  const std::vector<reports::Column> columns = {
      {"verdict", "Verdict", "", Align::kLeft},
      {"fit", "Fit", "", Align::kLeft},
      {"needed_gib", "Needs", "GiB", Align::kRight, 1},
      {"usable_gib", "Usable", "GiB", Align::kRight, 1},
      {"gpu_layers", "-ngl", "", Align::kRight},
      {"host_gib", "Host RAM", "GiB", Align::kRight, 1},
      {"decode_tok_per_s", "Decode", "tok/s", Align::kRight, 1},
      {"max_context_tokens", "Max ctx", "tokens", Align::kRight},
      {"best_quant", "Best quant", "", Align::kLeft},
      {"llama_cpp_args", "llama.cpp", "", Align::kLeft}};
  t.columns.insert(t.columns.end(), columns.begin(), columns.end());
  for (const auto& r : rows) {
    std::vector<Cell> cells;
    if (many_models) cells.emplace_back(r.model->source.spec.id);
    cells.emplace_back(hardware_label(*r.hardware));
    if (show_engine) cells.emplace_back(r.engine);
    const auto& f = r.fit;
    const bool on_host = planner::placement_gpu_count(*r.hardware) == 0;
    const double usable = on_host ? f.host_usable_bytes
                                  : f.gpu_usable_bytes * static_cast<double>(r.hardware->gpu_count);
    const std::string args = llama_flags_of(r.command);
    // ExLlamaV2's row: its own need and host share; it, like vLLM, has no -ngl.
    const bool own = r.exllama.has_value();
    const bool no_ngl = own || r.vllm.has_value();
    const double need = own ? r.exllama->need_bytes : f.gpu_need_bytes;
    const double host = own ? r.exllama->host_bytes : f.host_bytes;
    for (Cell cell : std::vector<Cell>{
             std::string(planner::fit_kind_label(f.kind)),
             std::string(planner::fit_kind_name(f.kind)), bytes_to_gib(need), bytes_to_gib(usable),
             f.kind == planner::FitKind::kNoFit || on_host || no_ngl ? Cell{}
                                                                     : Cell{f.n_gpu_layers},
             f.kind == planner::FitKind::kNoFit ? Cell{} : Cell{bytes_to_gib(host)},
             f.kind == planner::FitKind::kNoFit ? Cell{} : Cell{r.decode_tok_per_s},
             r.max_context > 0 ? Cell{r.max_context} : Cell{},
             r.best_quant.empty() ? Cell{} : Cell{r.best_quant},
             args.empty() ? Cell{} : Cell{args}}) {
      cells.push_back(std::move(cell));
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

// The rows whose speed is `engine`'s, for that engine's memory table.
std::vector<Row> rows_of_engine(const std::vector<Row>& rows, const std::string& engine) {
  std::vector<Row> picked;
  std::copy_if(rows.begin(), rows.end(), std::back_inserter(picked),
               [&](const Row& r) { return r.engine == engine; });
  return picked;
}

nlohmann::json row_details(const Row& r) {
  const auto& f = r.fit;
  std::vector<double> per_gpu;
  for (double b : f.bytes_per_gpu) per_gpu.push_back(bytes_to_gib(b));
  return {
      {"model", r.model->source.spec.id},
      {"hardware", r.hardware->id},
      {"fit", planner::fit_kind_name(f.kind)},
      {"decode_engine", r.engine},
      {"summary", f.summary},
      {"breakdown",
       {{"weights_gib", bytes_to_gib(f.need.weights_bytes)},
        {"kv_cache_gib", bytes_to_gib(f.need.kv_cache_bytes)},
        {"compute_buffer_gib", bytes_to_gib(f.need.compute_buffer_bytes)},
        {"runtime_overhead_gib", bytes_to_gib(f.need.runtime_overhead_bytes)}}},
      {"gpu_need_gib", bytes_to_gib(f.gpu_need_bytes)},
      {"gpu_usable_gib_per_gpu", bytes_to_gib(f.gpu_usable_bytes)},
      {"gpu_count", r.hardware->gpu_count},
      {"gpu_gib", bytes_to_gib(f.gpu_bytes)},
      {"host_gib", bytes_to_gib(f.host_bytes)},
      {"host_usable_gib", bytes_to_gib(f.host_usable_bytes)},
      {"gpu_layers", f.n_gpu_layers},
      {"n_layers", f.n_layers},
      {"n_cpu_moe", f.n_cpu_moe},
      {"tensor_split_layers", f.layers_per_gpu},
      {"gpu_gib_per_gpu", per_gpu},
      {"max_context_tokens", r.max_context},
      {"best_quant", r.best_quant.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.best_quant)},
      {"llama_cpp_args",
       r.command.empty() ? nlohmann::json(nullptr) : nlohmann::json(llama_flags_of(r.command))},
      {"llama_command", r.command.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.command)},
      {"llama_command_note", r.command_why},
      {"plan", plan_json(r.chosen, r.model->source.spec)}};
}

// The longest context vLLM's and ExLlamaV2's own memory holds (their memory is the prediction's).
void set_engine_context(Row& r, planner::SplitMode split) {
  if (r.vllm && r.vllm->starts) r.max_context = r.vllm->max_model_len;
  if (r.exllama && r.exllama->fits) {
    r.max_context =
        planner::exllama_max_context(r.model->source.spec, r.model->weights, *r.hardware,
                                     r.model->workload, planner::exllama_options(split, r.engine));
  }
}

std::string row_note(const Row& r) {
  std::string note = fmt::format("{} on {}: {}", r.model->source.spec.id,
                                 hardware_label(*r.hardware), r.fit.summary);
  if (r.engine != "llama.cpp" && std::isfinite(r.decode_tok_per_s)) {
    note += fmt::format(
        "; decode {:.1f} tok/s +-{:.0f}% with {} (llama.cpp's physics on this plan x {}; the "
        "memory shown is llama.cpp's plan{})",
        r.decode_tok_per_s, 100 * r.decode_band, r.engine, r.engine_basis,
        r.engine == "vllm"  ? ", vLLM's own is in the vLLM memory table"
        : r.engine == "mlx" ? ", MLX's own is in the MLX memory table"
        : r.exllama ? fmt::format(", {0}'s own is in the {0} memory table", r.exllama->engine)
                    : fmt::format(", {}'s own is not modelled", r.engine));
  }

  if (r.fit.kind == planner::FitKind::kGpuRaisedLimit) {
    note += fmt::format("; to raise it: {}",
                        planner::raise_limit_hint(*r.hardware, r.fit.gpu_need_bytes));
  }
  if (r.chosen.from_command_line) {
    note +=
        fmt::format(". Per device: {}",
                    planner::describe_plan(r.chosen.plan, r.model->source.spec, r.chosen.machine));
    for (const auto& n : r.chosen.notes) note += fmt::format(". {}", n);
  }
  return note + ".";
}

bool counts_as_fit(planner::FitKind kind, bool allow_offload) {
  if (kind == planner::FitKind::kGpu || kind == planner::FitKind::kMultiGpu ||
      kind == planner::FitKind::kHost)
    return true;
  return allow_offload && kind != planner::FitKind::kNoFit;
}

}  // namespace

// vLLM's own memory for every model and machine (planner/vllm_memory.h): tensor parallel over
// the machine's GPUs, gpu_memory_utilization 0.9, the KV cache's capacity and concurrency.
// The Hugging Face repository a bundled model's profile names (its config.json's source), for a
// command a person can paste; the model's own name otherwise.
std::string hf_repo_of(const planner::ProfileDb& db, const ModelSource& source) {
  if (source.origin != "bundled") return source.origin;
  const auto repo = planner::hugging_face_repo(planner::find_model(db, source.spec.id));
  return repo.empty() ? source.spec.id : repo;
}

reports::Table vllm_table(const std::vector<Row>& rows, const planner::ProfileDb& db) {
  reports::Table t{"vllm_memory", "vLLM memory per GPU (estimates)", {}, {}};
  t.columns = {{"model", "Model", "", reports::Align::kLeft},
               {"hardware", "Hardware", "", reports::Align::kLeft},
               {"tensor_parallel", "TP", "", reports::Align::kRight},
               {"weights_gib", "Weights", "GiB", reports::Align::kRight, 1},
               {"buffers_gib", "Activations+graphs+runtime", "GiB", reports::Align::kRight, 1},
               {"kv_cache_gib", "KV cache", "GiB", reports::Align::kRight, 1},
               {"kv_capacity_tokens", "KV capacity", "tokens", reports::Align::kRight},
               {"max_concurrency", "Sequences at ctx", "", reports::Align::kRight, 1},
               {"starts", "Starts", "", reports::Align::kLeft},
               {"vllm_command", "vLLM", "", reports::Align::kLeft}};
  for (const auto& r : rows) {
    const auto& spec = r.model->source.spec;
    if (r.vllm) {
      const auto& v = *r.vllm;
      t.rows.push_back(
          {spec.id, hardware_label(*r.hardware), v.tensor_parallel, bytes_to_gib(v.weights_bytes),
           bytes_to_gib(v.activation_bytes + v.cuda_graph_bytes + v.runtime_bytes),
           v.kv_budget_bytes > 0 ? reports::Cell{bytes_to_gib(v.kv_budget_bytes)} : reports::Cell{},
           v.kv_capacity_tokens, v.max_concurrency, v.starts,
           v.starts ? planner::vllm_command(hf_repo_of(db, r.model->source), v, r.model->workload)
                    : v.reason});
    } else {
      t.rows.push_back({spec.id, hardware_label(*r.hardware), reports::Cell{}, reports::Cell{},
                        reports::Cell{}, reports::Cell{}, reports::Cell{}, reports::Cell{}, false,
                        r.engine_refusal});
    }
  }
  return t;
}

// MLX's own memory for every model and Mac (planner/mlx_memory.h): weights, a KV cache growing in
// 256-token steps, one prompt chunk, under the GPU's working-set limit.
reports::Table mlx_table(const std::vector<Row>& rows, const planner::ProfileDb& db) {
  reports::Table t{"mlx_memory", "MLX memory on each Mac (estimates)", {}, {}};
  t.columns = {{"model", "Model", "", reports::Align::kLeft},
               {"hardware", "Hardware", "", reports::Align::kLeft},
               {"weights_gib", "Weights", "GiB", reports::Align::kRight, 1},
               {"kv_cache_gib", "KV cache", "GiB", reports::Align::kRight, 1},
               {"activations_gib", "Activations", "GiB", reports::Align::kRight, 1},
               {"total_gib", "Total", "GiB", reports::Align::kRight, 1},
               {"limit_gib", "GPU limit", "GiB", reports::Align::kRight, 1},
               {"verdict", "MLX", "", reports::Align::kLeft},
               {"mlx_command", "Run", "", reports::Align::kLeft}};
  for (const auto& r : rows) {
    const auto& spec = r.model->source.spec;
    if (r.hardware->backend != planner::Backend::kMetal) continue;
    // Over nodes: one Mac's share (each holds 1/N of the weights and cache).
    const int64_t nodes = r.chosen.plan.nodes;
    planner::MlxOptions mlx_options;
    mlx_options.nodes = nodes;
    const auto& mac = nodes > 1 ? r.chosen.node : *r.hardware;
    const auto x = planner::mlx_memory(spec, r.model->weights, mac, r.model->workload, mlx_options);
    // mlx_lm's commands run one Mac; exo and a cluster start differently.
    const std::string command =
        nodes > 1 || r.engine == "exo"
            ? std::string()
            : planner::mlx_command(hf_repo_of(db, r.model->source), r.model->convert_args, x, mac,
                                   r.model->workload);
    const std::string label =
        nodes > 1 ? fmt::format("each of {} x {}", nodes, mac.id) : hardware_label(mac);
    t.rows.push_back(
        {spec.id, label, bytes_to_gib(x.weights_bytes), bytes_to_gib(x.kv_bytes),
         bytes_to_gib(x.activation_bytes), bytes_to_gib(x.total_bytes), bytes_to_gib(x.limit_bytes),
         std::string(planner::mlx_verdict_label(x.verdict)), command.empty() ? x.reason : command});
  }
  return t;
}

// ExLlamaV2's or V3's own memory for every model and CUDA/ROCm machine
// (planner/exllama_memory.h): its automatic split or tensor parallel, GPU by GPU. `engine` is
// "ExLlamaV2" or "ExLlamaV3".
reports::Table exllama_table(const std::vector<Row>& rows, const std::string& engine) {
  reports::Table t{engine == "ExLlamaV3" ? "exllamav3_memory" : "exllama_memory",
                   engine + " memory per GPU (estimates)",
                   {},
                   {}};
  t.columns = {{"model", "Model", "", reports::Align::kLeft},
               {"hardware", "Hardware", "", reports::Align::kLeft},
               {"gpu", "GPU", "", reports::Align::kRight},
               {"layers", "Layers", "", reports::Align::kRight},
               {"weights_gib", "Weights", "GiB", reports::Align::kRight, 1},
               {"kv_cache_gib", "KV cache", "GiB", reports::Align::kRight, 1},
               {"buffers_gib", "Buffers+runtime", "GiB", reports::Align::kRight, 1},
               {"total_gib", "Total", "GiB", reports::Align::kRight, 1},
               {"capacity_gib", "GPU memory", "GiB", reports::Align::kRight, 1},
               {"cache_mode", "Cache", "", reports::Align::kLeft},
               {"fits", "Fits", "", reports::Align::kLeft},
               {"summary", engine, "", reports::Align::kLeft}};
  for (const auto& r : rows) {
    const auto& spec = r.model->source.spec;
    if (!r.exllama) {
      t.rows.push_back({spec.id, hardware_label(*r.hardware), reports::Cell{}, reports::Cell{},
                        reports::Cell{}, reports::Cell{}, reports::Cell{}, reports::Cell{},
                        reports::Cell{}, reports::Cell{}, false, r.engine_refusal});
      continue;
    }
    const auto& x = *r.exllama;
    if (x.devices.empty()) {
      t.rows.push_back({spec.id, hardware_label(*r.hardware), reports::Cell{}, int64_t{0},
                        reports::Cell{}, reports::Cell{}, reports::Cell{}, reports::Cell{},
                        reports::Cell{}, x.cache_mode, false, x.reason});
    }
    for (const auto& dev : x.devices) {
      t.rows.push_back({spec.id, hardware_label(*r.hardware), dev.gpu, dev.layers,
                        bytes_to_gib(dev.weights_bytes), bytes_to_gib(dev.kv_bytes),
                        bytes_to_gib(dev.buffers_bytes + dev.runtime_bytes),
                        bytes_to_gib(dev.total_bytes()), bytes_to_gib(dev.capacity_bytes),
                        x.cache_mode, x.fits, x.reason});
    }
  }
  return t;
}

constexpr const char* kVllmMemoryNote =
    "vLLM memory: tensor parallel over every GPU of the machine, 90% of each GPU for the engine "
    "(--gpu-memory-utilization 0.9), weights split over the GPUs, activations of a 2048-token "
    "profiling pass and 0.5 GiB of CUDA graphs (both estimates) and the runtime; the KV cache "
    "(16-bit, FP8 for a quantized --kv-type) takes the rest in 16-token blocks.";
constexpr const char* kExllamaMemoryNote =
    "ExLlamaV2 memory: its automatic split fills the GPUs in order, each holding its layers' "
    "weights and KV cache; with --split tensor or row it runs tensor parallel, each GPU holding "
    "a share of every layer (attention and cache by KV heads, the FFN and head evenly; no "
    "sliding windows). The cache is FP16, or Q8/Q6/Q4 from --kv-type with an FP16 scale per 32 "
    "values and one layer's FP16 copy per GPU; beside it the buffers its device map reserves for "
    "a 2048-token forward pass (rotary tables, hidden state, mask, the largest module's scratch, "
    "attention workspace) and the runtime; the embedding stays in host memory. An estimate: "
    "PyTorch's allocator is not modelled, and ExLlamaV2 does not offload to the CPU.";
constexpr const char* kExllamaV3MemoryNote =
    "ExLlamaV3 memory: as ExLlamaV2's (the automatic split in order, or tensor parallel with "
    "--split tensor or row), with its cache in whole 256-token pages (FP16, or 2-8 bits from "
    "--kv-type with an FP16 scale per 32 values and one layer's FP16 copy per GPU) and the 0.5 "
    "GiB it keeps free on every GPU while loading; its loader measures a 2048-token forward "
    "pass per module, given here ExLlamaV2's buffer sizes. An estimate; its opt-in CPU offload "
    "of MoE experts is not modelled, and where its memory is not modelled at all (MLA and "
    "linear-attention layers) the row keeps llama.cpp's plan and says so.";
constexpr const char* kMlxMemoryNote =
    "MLX memory: the weights, a 16-bit KV cache per sequence grown in 256-token steps (sliding "
    "layers keep their window) and one 2048-token prompt chunk through the widest layer (an "
    "estimate), against the GPU's working-set (wired) limit; beyond it MLX still runs but macOS "
    "pages GPU memory and mlx-lm warns that generation will be slow.";

CommandResult run_fit(const GlobalOptions& global, const FitOptions& options) {
  if (options.models.empty()) throw_usage("fit: --model is required (try `hwplan list models`)");
  const auto db = load_profiles(global);
  CommandResult result;
  auto& report = result.report;
  report.context = make_context(global);
  std::vector<PlannedModel> models;
  ModelRequest request{
      options.quant, options.quant_given, options.context_tokens, options.context_given,
      8192,          options.kv_type,     options.batch};
  for (const auto& name : options.models)
    models.push_back(plan_model(db, name, request, report.notes));
  const auto machines =
      resolve_hardware(db, options.hw, options.hw_specs, options.gpus, report.context.warnings);
  // With --nodes each row is the cluster of that machine (what fits and its memory); the plan
  // is chosen from the node, as predict does.
  planner::PredictOptions cluster_options;
  cluster_options.nodes = options.nodes;
  cluster_options.link = options.link;
  std::vector<planner::HardwareSpec> clusters;
  clusters.reserve(machines.size());
  for (const auto& hw : machines) clusters.push_back(planner::machine_for(hw, cluster_options));

  const auto llama_args = parse_llama_args_option(options.llama_args);
  const planner::SplitMode split = parse_split(options.split);
  const bool all = options.engine == "all";
  const planner::EngineFactors* engine =
      options.engine == "llama.cpp" || all
          ? nullptr
          : &planner::find_engine(db.efficiency.engines, options.engine);
  std::vector<Row> rows;
  for (const auto& p : models) {
    const auto first = rows.size();
    const bool ik = !planner::ik_only_type(p.weights).empty();
    // The quantizations each engine loads, built once per model (every mix's inventory).
    std::map<std::string, std::vector<planner::QuantCandidate>> candidates_by_engine;
    if (!all)
      planner::check_engine_loads(options.engine, p.format_family, p.weights, p.quant_name,
                                  p.gguf_counterpart);
    for (size_t m = 0; m < machines.size(); ++m) {
      const auto& hw = clusters[m];
      Row r{&p, &hw, {}, {}, 0, "", 0, "llama.cpp", "", 0, "", "", std::nullopt, std::nullopt, ""};
      planner::PredictOptions defaults = cluster_options;
      defaults.split = split;
      r.chosen = planner::choose_plan(p.source.spec, p.weights, machines[m], p.workload, defaults,
                                      llama_args ? &*llama_args : nullptr, db.quants);
      r.fit = r.chosen.fit;
      // The speed of this very plan (DESIGN.md "Decode").
      const planner::Prediction llama =
          planner::predict_chosen(p.source.spec, r.chosen, defaults, db.efficiency);
      r.decode_tok_per_s = llama.decode.tok_per_s;
      r.command = llama_command_for(r.chosen, p.source, llama_args, &r.command_why);
      // The longest context of hwplan's own placement; a given command line fixes its own -c.
      if (!llama_args) {
        r.max_context =
            planner::max_context_tokens(p.source.spec, p.weights, hw, p.workload, r.fit.kind);
      }
      // The engines asked about (nullptr: llama.cpp): one, or (all) llama.cpp where it loads the
      // weights and each other engine that runs here and loads them.
      std::vector<const planner::EngineFactors*> engines = {engine};
      if (all) {
        engines.clear();
        if (planner::engine_loads("llama.cpp", p.format_family, ik)) engines.push_back(nullptr);
        const auto others = planner::engines_for(db.efficiency.engines, r.chosen.machine,
                                                 p.format_family, ik, options.nodes);
        engines.insert(engines.end(), others.begin(), others.end());
      }
      if (engines.empty()) {
        report.notes.push_back(fmt::format(
            "{} {} on {}: no engine that runs on {} loads it ({} weights load in {})",
            p.source.spec.id, p.quant_name, hw.id, planner::backend_name(hw.backend),
            p.format_family, fmt::join(planner::engines_loading(p.format_family, ik), ", ")));
      }
      for (const auto* e : engines) {
        Row by_engine = r;
        if (e != nullptr) {
          planner::check_engine_runs_on(*e, r.chosen.machine);
          const auto speed =
              planner::predict_with_engine(p.source.spec, p.weights, p.workload, r.chosen, llama,
                                           defaults, *e, db.quants, db.efficiency);
          by_engine.engine = e->name;
          by_engine.engine_basis = planner::engine_basis(*e);
          by_engine.decode_tok_per_s = speed.decode.tok_per_s;
          by_engine.decode_band = speed.decode.error_band_fraction;
          // An engine that cannot hold it here (ExLlamaV2 has no CPU offload) says so.
          if (speed.fit.kind == planner::FitKind::kNoFit) {
            by_engine.fit.kind = planner::FitKind::kNoFit;
            by_engine.fit.summary = speed.fit.summary;
            by_engine.max_context = 0;  // llama.cpp's, with its offload
          }
          by_engine.vllm = speed.vllm_memory;
          by_engine.exllama = speed.exllama_memory;
          if (speed.fit.kind == planner::FitKind::kNoFit) by_engine.engine_refusal = speed.reason;
          set_engine_context(by_engine, split);
          // The llama.cpp command runs llama.cpp (ik_llama.cpp's llama-server takes its flags);
          // on another engine's row it would mislead.
          if (all || e->name != "ik_llama.cpp") {
            by_engine.command.clear();
            by_engine.command_why = e->name + " runs it; the llama.cpp command does not apply";
          }
        }
        auto candidates = candidates_by_engine.find(by_engine.engine);
        if (candidates == candidates_by_engine.end()) {
          candidates =
              candidates_by_engine
                  .emplace(by_engine.engine,
                           planner::quant_candidates(p.source.spec, db.quants, by_engine.engine))
                  .first;
        }
        // ExLlama has no multi-node mode: no quant of it runs over nodes.
        by_engine.best_quant =
            planner::is_exllama(by_engine.engine) && options.nodes > 1
                ? std::string()
                : planner::best_fitting_quant(candidates->second, p.source.spec, hw, p.workload,
                                              by_engine.engine,
                                              planner::exllama_options(split, by_engine.engine));
        rows.push_back(std::move(by_engine));
      }
    }
    // With no machine named, the best fits come first, smallest sufficient machine first.
    if (options.hw.empty()) {
      std::stable_sort(rows.begin() + static_cast<std::ptrdiff_t>(first), rows.end(),
                       [](const Row& a, const Row& b) {
                         if (a.fit.kind != b.fit.kind) return a.fit.kind < b.fit.kind;
                         return a.fit.gpu_usable_bytes *
                                    static_cast<double>(a.hardware->gpu_count) <
                                b.fit.gpu_usable_bytes * static_cast<double>(b.hardware->gpu_count);
                       });
    }
  }
  report.tables.push_back(model_table(models));
  report.tables.push_back(fit_table(rows, models.size() > 1, options.engine != "llama.cpp"));
  // vLLM and MLX: the engine's own memory beside llama.cpp's plan.
  if (const auto vllm = rows_of_engine(rows, "vllm"); !vllm.empty()) {
    report.tables.push_back(vllm_table(vllm, db));
    report.notes.emplace_back(kVllmMemoryNote);
  }
  if (const auto exllama = rows_of_engine(rows, "exllamav2"); !exllama.empty()) {
    report.tables.push_back(exllama_table(exllama, "ExLlamaV2"));
    report.notes.emplace_back(kExllamaMemoryNote);
  }
  if (const auto exllama = rows_of_engine(rows, "exllamav3"); !exllama.empty()) {
    report.tables.push_back(exllama_table(exllama, "ExLlamaV3"));
    report.notes.emplace_back(kExllamaV3MemoryNote);
  }
  // exo runs MLX: its rows (a machine the mlx rows do not already cover) share the table.
  auto mlx_rows = rows_of_engine(rows, "mlx");
  for (const auto& r : rows_of_engine(rows, "exo")) {
    const bool covered = std::any_of(mlx_rows.begin(), mlx_rows.end(), [&](const Row& m) {
      return m.model == r.model && m.hardware == r.hardware;
    });
    if (!covered) mlx_rows.push_back(r);
  }
  if (const auto& mlx = mlx_rows; !mlx.empty()) {
    report.tables.push_back(mlx_table(mlx, db));
    report.notes.emplace_back(kMlxMemoryNote);
  }
  report.details["rows"] = nlohmann::json::array();
  for (const auto& r : rows) {
    report.notes.push_back(row_note(r));
    report.details["rows"].push_back(row_details(r));
    if (options.require_fit && !counts_as_fit(r.fit.kind, options.allow_offload))
      result.exit_code = 1;
  }
  return result;
}

}  // namespace hwplan::cli
