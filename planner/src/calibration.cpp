#include "planner/calibration.h"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <tuple>

#include "common/error.h"
#include "common/json_util.h"
#include "common/statistics.h"
#include "common/text_util.h"
#include "common/units.h"
#include "planner/llama_args.h"

namespace hwplan::planner {
namespace {

double d(int64_t value) { return static_cast<double>(value); }

// llmfit's averaged tok/s includes prompt processing; its PR #755 says generation alone is
// about 9% higher (measured.csv notes).
constexpr double kLlmfitGenerationFactor = 1.09;

double number_or_zero(const std::string& text) {
  if (text.empty()) return 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  return end == text.c_str() ? 0 : value;
}

// "key=NUMBER" in a row's notes: a range "225-250" gives its middle; 0 when absent or not a
// number ("host_bw_gbs=n/a").
double note_number(const std::string& notes, const std::string& key) {
  const std::regex pattern("(^|[;\\s])" + key +
                           R"(=([0-9]+(?:\.[0-9]+)?)(?:-([0-9]+(?:\.[0-9]+)?))?)");
  std::smatch m;
  if (!std::regex_search(notes, m, pattern)) return 0;
  const double low = std::strtod(m[2].str().c_str(), nullptr);
  return m[3].matched ? (low + std::strtod(m[3].str().c_str(), nullptr)) / 2.0 : low;
}

// The largest count a calibration row may give (tokens, GPUs, cores, threads, batch).
constexpr double kMaxCount = 1e9;

// A count from a row's column or notes as an integer; below 0 or above kMaxCount (a value an
// int64 may not even hold) an input error naming the file, row and field.
int64_t checked_count(double value, const std::string& origin, const std::string& row_id,
                      const std::string& field) {
  if (!(value >= 0 && value <= kMaxCount)) {
    throw Error(ErrorKind::kInput, fmt::format("{}: row {}: {}: {} is not a count from 0 to {:.0f}",
                                               origin, row_id, field, value, kMaxCount));
  }
  return static_cast<int64_t>(value);
}

// Threads a row's CPU decoded with: the tg run's -t, else any -t or "threads N", else the host's
// core count ("16C", "24-core"); 0 when none is given.
int64_t host_threads(const std::string& notes, const std::string& hardware,
                     const std::string& origin, const std::string& row_id) {
  static const std::vector<std::regex> kPatterns = {
      std::regex(R"(tg[0-9]+ run with -t ([0-9]+))"), std::regex(R"((?:^|\s)-t ([0-9]+))"),
      std::regex(R"(threads ([0-9]+))"), std::regex(R"(([0-9]+) ?C\b)"),
      std::regex(R"(([0-9]+)-core)")};
  for (const auto& text : {notes, hardware}) {
    for (const auto& pattern : kPatterns) {
      std::smatch m;
      if (std::regex_search(text, m, pattern)) {
        return checked_count(std::strtod(m[1].str().c_str(), nullptr), origin, row_id, "threads");
      }
    }
  }
  return 0;
}

// Whether a row's text says flash attention was on: "-fa 1", "-fa on", a bare "-fa" flag (the
// older spelling), or "FA on" in the notes; "-fa 0", "fa off" and silence mean off.
bool flash_attention_on(const std::string& text) {
  static const std::regex kOn(R"((^|[\s(|])-fa( (1|on)\b|\s+-|\s*$|,)|\bFA on\b)");
  return std::regex_search(text, kOn);
}

// Why a row is not a run of llama.cpp itself (empty when it is): forks with their own kernels
// and quant types get their own factors or none, never llama.cpp's.
bool is_ik_llama(const std::string& engine) {
  return contains_ignoring_case(engine, "ik_llama") && !contains_ignoring_case(engine, "mainline");
}

std::string other_engine(const std::string& engine, const std::string& backend) {
  if (is_ik_llama(engine))
    return "ik_llama.cpp is another engine (its own kernels and quant types): kept out of "
           "llama.cpp's fit, its own factor against llama.cpp's physics";
  if (contains_ignoring_case(engine, "AmpereComputingAI"))
    return "Ampere's llama.cpp fork with its own quant types: kept out of llama.cpp's fit";
  if (contains_ignoring_case(backend, "rocm") && contains_ignoring_case(backend, "cuda"))
    return "GPUs of two vendors in one process: mixed GPUs cannot be described yet";
  return "";
}

std::string normalise_backend(const std::string& text) {
  for (const char* backend : {"cuda", "metal", "rocm", "vulkan", "cpu"}) {
    if (contains_ignoring_case(text, backend)) return backend;
  }
  return to_lower(text);
}

// The mix whose tensor classes stand in for a row's quantization label.
std::string mix_for(const std::string& quant) {
  if (contains_ignoring_case(quant, "mlx"))
    return contains_ignoring_case(quant, "8bit") ? "mlx-8bit" : "mlx-4bit";
  if (contains_ignoring_case(quant, "awq")) return "awq-int4-g128";
  if (contains_ignoring_case(quant, "gptq")) return "gptq-int4-g128";
  if (contains_ignoring_case(quant, "q4_k")) return "q4_k_m";
  if (contains_ignoring_case(quant, "q4_0")) return "q4_0";
  if (contains_ignoring_case(quant, "q8_0")) return "q8_0";
  if (contains_ignoring_case(quant, "q6_k")) return "q6_k";
  if (contains_ignoring_case(quant, "q3_k")) return "q3_k_m";
  if (contains_ignoring_case(quant, "mxfp4")) return "mxfp4";
  if (contains_ignoring_case(quant, "f16")) return "f16";
  return "q4_k_m";
}

// Field access by column name.
struct CsvRow {
  const CsvTable& table;
  const std::vector<std::string>& values;
  const std::string& origin;
  const std::string& operator[](const char* name) const {
    return values[table.column(name, origin)];
  }
};

int64_t count(const CsvRow& r, const char* column) {
  return checked_count(number_or_zero(r[column]), r.origin, r["row_id"], column);
}

const CalibrationInputs::Model* find_model_input(const CalibrationInputs& in,
                                                 const std::string& name) {
  for (const auto& m : in.models) {
    if (contains_ignoring_case(name, m.match)) return &m;
  }
  return nullptr;
}

// Peak FP16 of a measured machine: by name (longest match) and GPU core count where the name
// alone is ambiguous; rows without a core count take the configuration their bandwidth implies.
double peak_flop_per_s(const CalibrationInputs& in, const std::string& hardware, int64_t cores,
                       double bandwidth_gbs) {
  if (cores == 0) {
    for (const auto& def : in.defaults) {
      if (contains_ignoring_case(hardware, def.match) &&
          std::abs(def.bandwidth_gbs - bandwidth_gbs) < 1)
        cores = def.gpu_cores;
    }
  }
  const CalibrationInputs::Peak* best = nullptr;
  for (const auto& p : in.peaks) {
    if (!contains_ignoring_case(hardware, p.match)) continue;
    if (p.gpu_cores != 0 && p.gpu_cores != cores) continue;
    if (best == nullptr || p.match.size() > best->match.size()) best = &p;
  }
  return best == nullptr ? 0 : tflops_to_flop_per_s(best->fp16_tflops);
}

HardwareSpec machine_of(const CsvRow& r, const CalibrationInputs& in, double bandwidth_gbs,
                        double peak) {
  HardwareSpec hw;
  hw.id = r["hardware"];
  hw.name = r["hardware"];
  hw.kind = r["hw_class"] == "discrete_gpu" ? MemoryKind::kDiscrete : MemoryKind::kUnified;
  hw.memory_type = contains_ignoring_case(r["memory_type"], "hbm") ? "hbm2e" : "";
  hw.backend = backend_from_name(normalise_backend(r["backend"]));
  hw.gpu_count = std::max<int64_t>(1, count(r, "num_gpus"));
  hw.bandwidth_bytes_per_s = gbs_to_bytes_per_s(bandwidth_gbs);
  hw.fp16_flop_per_s = peak;
  hw.interconnect = hw.gpu_count > 1 ? "pcie" : "none";
  hw.host_bandwidth_bytes_per_s = hw.bandwidth_bytes_per_s;
  hw.bus_bytes_per_s = 25e9;
  for (const auto& host : in.hosts) {
    if (contains_ignoring_case(r["hardware"], host.match))
      hw.host_bandwidth_bytes_per_s = gbs_to_bytes_per_s(host.host_bandwidth_gbs);
  }
  return hw;
}

// The llama.cpp placement flags a row's offload column quotes ("-ngl 44 (partial)", "all layers
// (-ngl 10000); split across 4 GPUs", "--n-cpu-moe 16 (MoE experts on CPU)"), and the KV cache
// types its engine column quotes ("-ctk q8_0 -ctv q8_0"), parsed as any command line is;
// placement is pinned (--fit off) because the row states it.
LlamaArgs args_of_row(const std::string& offload) {
  static const std::regex kFlag(
      R"((^|[\s(])(-ngl|--n-gpu-layers|--n-cpu-moe|-ncmoe|-ts|-sm|-ub|-ot|--override-tensor|)"
      R"(-ctk|-ctv|--cache-type-k|--cache-type-v)\s+)"
      R"((\S+=[A-Za-z0-9]+|[0-9][0-9,./]*|[a-z][a-z0-9_]*))");
  std::string flags;
  for (auto it = std::sregex_iterator(offload.begin(), offload.end(), kFlag);
       it != std::sregex_iterator(); ++it) {
    flags += fmt::format(" {} '{}'", (*it)[2].str(), (*it)[3].str());  // as typed in a shell
  }
  LlamaArgs args = parse_llama_args(flags);
  args.fit = false;
  return args;
}

// What a row's flags mean for the generic-shape rows (no tensor list): offloaded slots of
// n_layers + 1 and the count of layers whose experts stay on the CPU.
FitResult placement_of_row(const std::string& offload, int64_t n_layers, int64_t gpus) {
  const LlamaArgs args = args_of_row(offload);
  FitResult fit;
  fit.n_layers = n_layers;
  fit.n_gpu_layers = std::min(args.n_gpu_layers.value_or(n_layers + 1), n_layers + 1);
  for (const auto& o : args.overrides) {
    if (o.flag == "--n-cpu-moe" || o.flag == "-ncmoe") ++fit.n_cpu_moe;
  }
  fit.kind = fit.n_gpu_layers <= n_layers || fit.n_cpu_moe > 0 ? FitKind::kPartialOffload
             : gpus > 1                                        ? FitKind::kMultiGpu
                                                               : FitKind::kGpu;
  return fit;
}

// A bundled model at the row's mix, its bytes scaled to the file size the row reports.
void build_generic_costs(CalibrationRow& row, const CsvRow& r, const std::string& offload,
                         const CalibrationInputs::Model& shape, double size_bytes, int64_t prompt,
                         int64_t ubatch) {
  const int64_t n_layers = shape.n_layers;
  const double params = number_or_zero(r["params_b"]) * 1e9;
  double active_b = number_or_zero(r["active_params_b"]);
  if (active_b <= 0) active_b = shape.active_params_b;
  const double active_fraction = active_b > 0 && params > 0 ? active_b * 1e9 / params : 1.0;
  const double active_params = params * active_fraction;
  const auto fit = placement_of_row(offload, n_layers, row.machine.gpu_count);
  if (fit.n_cpu_moe > 0) {
    row.skipped = "expert offload of a model whose expert share is unknown";
    return;
  }
  const double gpu_share =
      fit.kind == FitKind::kPartialOffload ? d(fit.n_gpu_layers) / d(n_layers + 1) : 1.0;
  row.decode.gpu_bytes = size_bytes * active_fraction * gpu_share;
  row.decode.host_bytes = size_bytes * active_fraction * (1.0 - gpu_share);
  row.decode.gpu_layers = static_cast<int64_t>(std::lround(d(n_layers + 1) * gpu_share));
  row.decode.gpu_flop = 2.0 * active_params * gpu_share;
  row.decode.host_flop = 2.0 * active_params * (1.0 - gpu_share);
  const double ubatches = std::ceil(d(prompt) / d(ubatch));
  row.prefill.prompt_tokens = prompt;
  row.prefill.flop = 2.0 * active_params * d(prompt);
  if (params > 0 && quantized_bits(size_bytes * 8.0 / params))
    row.prefill.quantized_flop = row.prefill.flop;
  row.prefill.weight_bytes = size_bytes * ubatches;
  // Hidden size of a Llama-like shape with these parameters: about 12 h^2 per layer
  // (4 h^2 attention + 3 h x 2.7 h FFN); activations as activation_elements_per_layer.
  const double hidden = std::sqrt(active_params / (12.0 * d(n_layers)));
  row.prefill.activation_bytes = d(prompt) * d(n_layers) * (8.0 + 3.0 * 2.7) * hidden * 4.0;
  row.prefill.layer_launches = static_cast<int64_t>(d(n_layers + 1) * ubatches);
  // The row's machine has alike GPUs: its per-GPU rates are the GPU terms' rates.
  row.decode.gpu_bandwidth_bytes_per_s = row.prefill.gpu_bandwidth_bytes_per_s =
      row.machine.bandwidth_bytes_per_s;
  row.decode.gpu_flop_per_s = row.prefill.gpu_flop_per_s = row.machine.fp16_flop_per_s;
}

}  // namespace

WeightInventory scaled_inventory(const ModelSpec& spec, const QuantSpec& quant, double size_bytes) {
  auto inv = build_inventory(spec, quant);
  const double total = total_weight_bytes(inv);
  if (size_bytes <= 0) return inv;
  double experts = 0;
  for (const auto& g : inv.groups) experts += g.cls == TensorClass::kExperts ? g.bytes : 0;
  // A MoE file far from the mix's size differs in its routed experts: a model published with
  // quantized experts keeps them at any conversion type (gpt-oss's "F16" GGUF holds MXFP4
  // experts), and expert-only requantization is the common recipe. The rest keeps its types.
  const double ratio = size_bytes / total;
  const double experts_scale = (experts + size_bytes - total) / std::max(experts, 1.0);
  const bool experts_differ = experts > 0 &&
                              (ratio < kMixSizeTolerance || ratio > 1.0 / kMixSizeTolerance) &&
                              experts_scale > 0;
  for (auto& g : inv.groups) {
    if (!experts_differ) {
      g.bytes *= ratio;
    } else if (g.cls == TensorClass::kExperts) {
      g.bytes *= experts_scale;
    }
  }
  return inv;
}

CalibrationInputs calibration_inputs_from_json(const nlohmann::json& json,
                                               const std::string& origin) {
  JsonObject root(json, origin, "");
  root.integer("schema_version", 1, 1);
  root.ignore("description");
  root.ignore("sources");
  CalibrationInputs in;
  const auto& peaks = root.array("hardware_peaks");
  for (size_t i = 0; i < peaks.size(); ++i) {
    JsonObject p(peaks[i], origin, fmt::format("/hardware_peaks/{}", i));
    in.peaks.push_back({p.string("match"), p.integer("gpu_cores", 0, 1000),
                        p.number("fp16_tflops", NumberRange::positive())});
    p.ignore("source");
    p.finish();
  }
  const auto& defaults = root.array("hardware_defaults");
  for (size_t i = 0; i < defaults.size(); ++i) {
    JsonObject p(defaults[i], origin, fmt::format("/hardware_defaults/{}", i));
    in.defaults.push_back({p.string("match"), p.number("bandwidth_gbs", NumberRange::positive()),
                           p.integer("gpu_cores", 1, 1000)});
    p.finish();
  }
  const auto& models = root.array("models");
  for (size_t i = 0; i < models.size(); ++i) {
    JsonObject p(models[i], origin, fmt::format("/models/{}", i));
    in.models.push_back(
        {p.string("match"), p.optional_string("bundled").value_or(""),
         p.optional_integer("n_layers", 1, 1000).value_or(0),
         p.optional_number("active_params_b", NumberRange::positive()).value_or(0)});
    if (in.models.back().bundled.empty() && in.models.back().n_layers == 0) {
      p.fail("n_layers", "give bundled or n_layers");
    }
    p.finish();
  }
  const auto& hosts = root.array("hosts");
  for (size_t i = 0; i < hosts.size(); ++i) {
    JsonObject p(hosts[i], origin, fmt::format("/hosts/{}", i));
    in.hosts.push_back({p.string("match"), p.number("host_bandwidth_gbs", NumberRange::positive()),
                        p.optional_integer("host_cores", 1, 4096).value_or(0)});
    p.ignore("source");
    p.finish();
  }
  root.finish();
  return in;
}

std::vector<CalibrationRow> calibration_rows(const CsvTable& csv, const std::string& origin,
                                             const CalibrationInputs& in, const ProfileDb& db) {
  std::vector<CalibrationRow> rows;
  for (const auto& values : csv.rows) {
    const CsvRow r{csv, values, origin};
    CalibrationRow row;
    row.row_id = r["row_id"];
    row.source_id = r["source_id"];
    row.hardware = r["hardware"];
    row.model = r["model"];
    row.quant = r["quant"];
    row.source_file = origin;
    const bool cpu_only = r["hw_class"] == "cpu" || r["num_gpus"] == "0";
    row.backend = cpu_only ? "cpu" : normalise_backend(r["backend"]);
    row.memory_class = cpu_only                                          ? "host"
                       : r["hw_class"] != "discrete_gpu"                 ? "unified"
                       : contains_ignoring_case(r["memory_type"], "hbm") ? "hbm"
                                                                         : "gddr";
    row.measured_decode_tok_per_s = number_or_zero(r["decode_tps"]);
    if (row.source_id == "LLMFIT_PR") row.measured_decode_tok_per_s *= kLlmfitGenerationFactor;
    row.measured_prefill_tok_per_s = number_or_zero(r["prefill_tps"]);
    const double bandwidth_gbs = number_or_zero(r["mem_bw_gbs"]);
    const int64_t cores = count(r, "gpu_cores");
    const double peak = peak_flop_per_s(in, row.hardware, cores, bandwidth_gbs);
    const auto* model_input = find_model_input(in, row.model);
    const std::string& notes = r["notes"];
    row.skipped = other_engine(r["engine"], r["backend"]);
    // ik_llama.cpp's rows are costed like llama.cpp's (the same plan from the same flags) and
    // kept out of llama.cpp's fit at the end: they give that engine its factor.
    if (is_ik_llama(r["engine"])) {
      row.engine = "ik_llama.cpp";
      row.skipped.clear();
    } else if (const auto named = engine_of(r["engine"]); !named.empty()) {
      row.engine = named;  // engines.csv: mlx, vllm, ...
    }
    row.engine_cell = r["engine"];
    if (bandwidth_gbs <= 0 && row.skipped.empty()) row.skipped = "no memory bandwidth given";
    if (peak <= 0 && !cpu_only && row.skipped.empty())
      row.skipped = "no peak FP16 figure for this machine";
    if (model_input == nullptr && row.skipped.empty()) row.skipped = "model shape unknown";
    if (!row.skipped.empty()) {
      rows.push_back(std::move(row));
      continue;
    }
    row.machine = machine_of(r, in, bandwidth_gbs, peak);
    // The host's bandwidth: the row's notes, else the known hosts, else unknown (a CPU-only row's
    // memory bandwidth is its host's).
    bool host_known = cpu_only;
    for (const auto& host : in.hosts)
      host_known = host_known || contains_ignoring_case(row.hardware, host.match);
    if (const double host_gbs = note_number(notes, "host_bw_gbs"); host_gbs > 0 && !cpu_only) {
      row.machine.host_bandwidth_bytes_per_s = gbs_to_bytes_per_s(host_gbs);
      host_known = true;
    }
    row.machine.host_cores = host_threads(notes, row.hardware, origin, row.row_id);
    for (const auto& host : in.hosts) {
      if (contains_ignoring_case(row.hardware, host.match) && host.host_cores > 0)
        row.machine.host_cores = host.host_cores;
    }
    if (cpu_only && peak <= 0)
      row.prefill_skipped = "CPU-only prefill needs the CPU's FP32 FMA peak (calibration_inputs)";
    const double size = number_or_zero(r["model_size"]);
    const auto& mix = find_quant(db.quants, mix_for(row.quant));
    double size_bytes =
        r["model_size_unit"].find("GiB") != std::string::npos ? gib_to_bytes(size) : size * 1e9;
    if (size_bytes <= 0) size_bytes = number_or_zero(r["params_b"]) * 1e9 * mix.weights_bpw / 8.0;
    const auto prompt = std::max<int64_t>(1, count(r, "prompt_tokens"));
    const int64_t depth = count(r, "kv_depth");
    row.depth_tokens = depth;
    const int64_t gen = count(r, "gen_tokens");
    int64_t ubatch = contains_ignoring_case(r["engine"] + r["backend"], "-ub 2048") ? 2048 : 512;
    if (const double ub = note_number(notes, "ub"); ub >= 1)
      ubatch = checked_count(ub, origin, row.row_id, "notes ub");
    // batched-bench's B sequences, or a server's N concurrent requests (engines.csv), whose
    // aggregate tok/s is the row's decode.
    const auto batch = std::max<int64_t>(
        1, checked_count(std::max(note_number(notes, "B"), note_number(notes, "concurrency")),
                         origin, row.row_id, "notes B / concurrency"));
    row.batch = batch;
    if (const double aggregate = note_number(notes, "aggregate tok/s"); batch > 1 && aggregate > 0)
      row.measured_decode_tok_per_s = aggregate;
    if (row.measured_prefill_tok_per_s > 0 && prompt <= 1) row.measured_prefill_tok_per_s = 0;
    if (!model_input->bundled.empty()) {
      const auto& spec = find_model(db, model_input->bundled).spec;
      const auto inv = scaled_inventory(spec, mix, size_bytes);
      Workload w;
      // tgN from depth d: the cache holds d + N/2 tokens on average.
      // (A run at the model's full context reads at most max_position_embeddings cells.)
      w.context_tokens = std::clamp<int64_t>(depth + gen / 2, 1, spec.max_context);
      w.ubatch_tokens = ubatch;
      w.batch = batch;  // batched-bench rows: B sequences, aggregate tok/s
      // Flash attention was off by default in llama-bench until 2025; the rows say when it was on.
      w.flash_attention = flash_attention_on(r["engine"] + " | " + r["offload"] + " | " + notes) ||
                          row.source_id == "LCPP_BENCHES";
      PredictOptions options;
      options.prompt_tokens = prompt;
      options.engine = row.engine;  // its kernels decide how often the cache is read
      // Each row is the plan of its own flags, built as any llama.cpp command line is.
      std::vector<std::string> plan_notes;
      ExecutionPlan plan;
      try {
        LlamaArgs args =
            args_of_row((cpu_only ? std::string("-ngl 0") : r["offload"]) + " | " + r["engine"]);
        // Another engine's tensor-parallel run ("vLLM 0.19.0 (TP=2)"): every GPU holds a slice of
        // each matrix, as llama.cpp's tensor split.
        if (runs_tensor_parallel(r["engine"] + " | " + r["offload"]))
          args.split = SplitMode::kTensor;
        // batched-bench's B sequences decode together, each with its own context.
        if (batch > 1) {
          args.n_parallel = batch;
          args.context_tokens = w.context_tokens * batch;
        }
        plan = plan_from_llama_args(spec, inv, row.machine, args, w, db.quants, plan_notes);
      } catch (const Error& e) {
        row.skipped = e.what();  // e.g. a depth beyond the model's context
        rows.push_back(std::move(row));
        continue;
      }
      row.decode = decode_cost(spec, plan, row.machine, options);
      row.prefill = prefill_cost(spec, plan, row.machine, options, depth);
    } else if (depth > 0) {
      row.skipped = "KV cache at depth needs the model's architecture";
    } else {
      row.generic_shape = true;
      build_generic_costs(row, r, cpu_only ? "-ngl 0" : r["offload"], *model_input, size_bytes,
                          prompt, ubatch);
    }
    if (row.skipped.empty() && row.decode.host_bytes > 0 && !host_known)
      row.skipped = "weights read from host memory, but the host's bandwidth is not stated";
    row.placement = placement_kind(row.decode, row.machine, 1);
    row.categories.push_back(row.placement);
    if (row.machine.gpu_count > 1 && row.placement != "multi_gpu" && !cpu_only)
      row.categories.emplace_back("multi_gpu");
    if (depth >= kLongContextTokens) row.categories.emplace_back("long_context");
    if (row.engine != "llama.cpp" && row.skipped.empty()) {
      row.other_engine_costed = true;
      row.skipped = other_engine(r["engine"], r["backend"]);
      if (row.skipped.empty())
        row.skipped = fmt::format("{} is another engine: kept out of llama.cpp's fit", row.engine);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<EnginePair> physics_pairs(const std::vector<CalibrationRow>& rows,
                                      const EfficiencyTable& table) {
  std::vector<EnginePair> pairs;
  for (const auto& r : rows) {
    if (!r.other_engine_costed) continue;
    const auto e = efficiency_for(table, r.backend, r.memory_class);
    EnginePair p{r.engine, r.source_id, r.hardware, r.model, 0, 0, true, {r.row_id}};
    // The ratio of the engine's kernels: the link's communication is the same in either engine
    // (engine_seconds).
    auto kernel_ratio = [](const SpeedPrediction& physics, double measured_tok_per_s) {
      const double tokens = physics.tok_per_s * physics.seconds;
      const double comm = physics.communication_seconds;
      const double measured_seconds = tokens / measured_tok_per_s;
      return measured_seconds > comm ? (physics.seconds - comm) / (measured_seconds - comm)
                                     : measured_tok_per_s / physics.tok_per_s;
    };
    if (r.measured_decode_tok_per_s > 0) {
      const auto physics = decode_speed(r.decode, r.machine, e, table);
      p.decode_ratio = kernel_ratio(physics, r.measured_decode_tok_per_s);
      p.depth_tokens = r.depth_tokens;
      p.physics_seconds = physics.seconds;
      p.cache_seconds = cache_seconds(r.decode, r.machine, e, table);
      p.communication_seconds = physics.communication_seconds;
      p.measured_seconds = physics.tok_per_s * physics.seconds / r.measured_decode_tok_per_s;
    }
    if (r.measured_prefill_tok_per_s > 0 && r.prefill_skipped.empty()) {
      p.prefill_ratio =
          kernel_ratio(prefill_speed(r.prefill, r.machine, e, table), r.measured_prefill_tok_per_s);
    }
    if (p.decode_ratio > 0 || p.prefill_ratio > 0) pairs.push_back(p);
  }
  return pairs;
}

std::vector<EnginePair> unpaired_physics_pairs(const std::vector<CalibrationRow>& engine_rows,
                                               const std::vector<EnginePair>& llama_pairs,
                                               const EfficiencyTable& table) {
  std::set<std::string> paired;
  for (const auto& p : llama_pairs) paired.insert(p.row_ids.begin(), p.row_ids.end());
  std::vector<CalibrationRow> unpaired;
  for (const auto& r : engine_rows) {
    if (r.other_engine_costed && r.batch == 1 && !paired.contains(r.row_id)) unpaired.push_back(r);
  }
  return physics_pairs(unpaired, table);
}

std::vector<BatchPair> batch_pairs(const std::vector<CalibrationRow>& rows,
                                   const EfficiencyTable& table) {
  std::vector<BatchPair> pairs;
  for (const auto& single : rows) {
    if (!single.other_engine_costed || single.batch != 1 || single.measured_decode_tok_per_s <= 0)
      continue;
    for (const auto& many : rows) {
      if (!many.other_engine_costed || many.batch <= 1 || many.measured_decode_tok_per_s <= 0 ||
          many.source_id != single.source_id || many.hardware != single.hardware ||
          many.model != single.model || many.engine_cell != single.engine_cell ||
          many.quant != single.quant)
        continue;
      const auto e = efficiency_for(table, many.backend, many.memory_class);
      const auto one = decode_speed(single.decode, single.machine, e, table);
      const auto all = decode_speed(many.decode, many.machine, e, table);
      if (all.communication_seconds > 0) continue;  // runs on one device only (BatchPair)
      BatchPair p{many.engine,
                  many.source_id,
                  many.hardware,
                  many.model,
                  many.batch,
                  single.measured_decode_tok_per_s,
                  many.measured_decode_tok_per_s};
      p.physics_single_seconds = one.seconds;
      p.physics_seconds = all.seconds;
      p.physics_compute_seconds = all.gpu_compute_seconds;
      p.flop_per_sequence = many.decode.gpu_flop / static_cast<double>(many.batch);
      p.peak_flop_per_s =
          many.decode.gpu_flop_per_s * static_cast<double>(many.decode.parallel_gpus);
      p.gemm_seconds = all.gpu_gemm_seconds;
      pairs.push_back(p);
    }
  }
  return pairs;
}

namespace {

bool usable_decode(const CalibrationRow& r) {
  return r.skipped.empty() && r.measured_decode_tok_per_s > 0;
}
bool usable_prefill(const CalibrationRow& r) {
  return r.skipped.empty() && r.prefill_skipped.empty() && r.measured_prefill_tok_per_s > 0;
}

// Non-negative least squares of relative error for t = sum_j coef_j x_j + fixed (rows scaled by
// 1/t), by trying every subset of factors that keeps the first (required) one: at most five
// factors, so sixteen small solves.
std::vector<double> fit_nonnegative_subsets(const std::vector<double>& t,
                                            const std::vector<std::vector<double>>& x,
                                            const std::vector<double>& fixed, bool first_required) {
  const auto rows = static_cast<Eigen::Index>(t.size());
  const auto factors = x.size();
  Eigen::MatrixXd a(rows, static_cast<Eigen::Index>(factors));
  Eigen::VectorXd b(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    const auto k = static_cast<size_t>(i);
    for (size_t j = 0; j < factors; ++j) a(i, static_cast<Eigen::Index>(j)) = x[j][k] / t[k];
    b(i) = 1.0 - fixed[k] / t[k];
  }
  std::vector<double> best(factors, 0.0);
  double best_error = std::numeric_limits<double>::infinity();
  for (unsigned mask = 1; mask < (1u << factors); mask += first_required ? 2 : 1) {
    std::vector<Eigen::Index> used;
    for (size_t j = 0; j < factors; ++j) {
      if (mask & (1u << j)) used.push_back(static_cast<Eigen::Index>(j));
    }
    if (static_cast<Eigen::Index>(used.size()) > rows) continue;
    Eigen::MatrixXd sub(rows, static_cast<Eigen::Index>(used.size()));
    for (size_t j = 0; j < used.size(); ++j) sub.col(static_cast<Eigen::Index>(j)) = a.col(used[j]);
    const Eigen::VectorXd solution = sub.colPivHouseholderQr().solve(b);
    if ((solution.array() < 0).any() || (first_required && solution(0) <= 0)) continue;
    const double error = (sub * solution - b).squaredNorm();
    if (error < best_error) {
      best_error = error;
      std::fill(best.begin(), best.end(), 0.0);
      for (size_t j = 0; j < used.size(); ++j)
        best[static_cast<size_t>(used[j])] = solution(static_cast<Eigen::Index>(j));
    }
  }
  return best;
}

// The fit with factor `index` held at `value`: its time joins the fixed part, `fit` solves for
// the others (t, the remaining regressors, the new fixed part), and the value goes back in place.
template <class Fit>
std::vector<double> fit_with_pinned(const std::vector<double>& t,
                                    const std::vector<std::vector<double>>& x,
                                    std::vector<double> fixed, size_t index, double value,
                                    Fit fit) {
  for (size_t i = 0; i < t.size(); ++i) fixed[i] += value * x[index][i];
  std::vector<std::vector<double>> rest = x;
  rest.erase(rest.begin() + static_cast<std::ptrdiff_t>(index));
  auto coef = fit(t, rest, fixed);
  coef.insert(coef.begin() + static_cast<std::ptrdiff_t>(index), value);
  return coef;
}

// As above, with the first factor (1 / efficiency) at least `min_first`: no machine beats its
// datasheet peak, so an efficiency above 1 means the other terms are missing time; the bound
// keeps a small group from trading a physical factor for an unphysical one.
std::vector<double> fit_nonnegative(const std::vector<double>& t,
                                    const std::vector<std::vector<double>>& x,
                                    const std::vector<double>& fixed, double min_first) {
  auto coef = fit_nonnegative_subsets(t, x, fixed, true);
  if (coef[0] >= min_first) return coef;
  return fit_with_pinned(t, x, fixed, 0, min_first,
                         [](const auto& tt, const auto& xx, const auto& f) {
                           return fit_nonnegative_subsets(tt, xx, f, false);
                         });
}

// Rows at depth tell attention's own rate apart from the weight GEMMs': two of them beside the
// group's shallow rows give the slope (a depth sweep of one model is typically 0, 4K and 32K).
constexpr int64_t kMinDepthForAttention = 4096;
constexpr int64_t kMinDeepRows = 2;

// The attention fit again with the weight GEMMs (the second factor) held at their peak, where
// unpinned they would beat it: no machine does, so the time they cannot take is the other terms'.
std::vector<double> fit_with_gemms_at_peak(const std::vector<double>& t,
                                           const std::vector<std::vector<double>>& x,
                                           const std::vector<double>& fixed) {
  return fit_with_pinned(t, x, fixed, 1, 1.0, [](const auto& tt, const auto& xx, const auto& f) {
    return fit_nonnegative(tt, xx, f, 1.0);
  });
}

// With enough prefill rows at depth, attention gets its own rate: the same least squares with
// attention FLOPs as the first (required) regressor and the weight GEMMs' FLOPs second; kept only
// when both rates are physical (at most peak) and the fit is no worse than with one rate.
void fit_attention(const std::vector<const CalibrationRow*>& rows, Efficiency& e) {
  int64_t deep = 0;
  for (const auto* r : rows) {
    deep += usable_prefill(*r) && r->depth_tokens >= kMinDepthForAttention ? 1 : 0;
  }
  if (deep < kMinDeepRows) return;
  std::vector<double> t, fixed;
  std::vector<std::vector<double>> x(6);
  for (const auto* r : rows) {
    if (!usable_prefill(*r)) continue;
    const double n = d(r->prefill.parallel_gpus) * r->prefill.pipeline_speedup;
    const double peak = r->machine.fp16_flop_per_s * n;
    t.push_back(d(r->prefill.prompt_tokens) / r->measured_prefill_tok_per_s);
    x[0].push_back(r->prefill.attention_flop / peak);
    x[1].push_back((r->prefill.flop - r->prefill.attention_flop) / peak);
    x[2].push_back(r->prefill.activation_bytes / (r->machine.bandwidth_bytes_per_s * n));
    x[3].push_back(d(r->prefill.layer_launches) / r->prefill.pipeline_speedup);
    x[4].push_back(r->prefill.expert_flop / peak);
    x[5].push_back(r->prefill.quantized_flop / peak);
    fixed.push_back(r->prefill.comm_seconds + d(r->prefill.host_syncs) * e.layer_overhead_seconds);
  }
  auto coef = fit_nonnegative(t, x, fixed, 1.0);
  if (coef[1] < 1.0) coef = fit_with_gemms_at_peak(t, x, fixed);
  auto squared_error = [&](const std::vector<double>& c, bool split) {
    double sum = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      const double model =
          split
              ? c[0] * x[0][i] + c[1] * x[1][i] + c[2] * x[2][i] + c[3] * x[3][i] + c[4] * x[4][i] +
                    c[5] * x[5][i] + fixed[i]
              : (x[0][i] + x[1][i]) / e.compute_fraction + e.prefill_activation_factor * x[2][i] +
                    e.prefill_layer_overhead_seconds * x[3][i] + e.prefill_expert_factor * x[4][i] +
                    e.prefill_quant_factor * x[5][i] + fixed[i];
      sum += std::pow(model / t[i] - 1.0, 2);
    }
    return sum;
  };
  if (squared_error(coef, true) > squared_error(coef, false)) return;
  e.prefill_attention_fraction = 1.0 / coef[0];
  e.compute_fraction = 1.0 / coef[1];
  e.prefill_activation_factor = coef[2];
  e.prefill_layer_overhead_seconds = coef[3];
  e.prefill_expert_factor = coef[4];
  e.prefill_quant_factor = coef[5];
}

Efficiency fit_group(const std::vector<const CalibrationRow*>& rows, const std::string& backend,
                     const std::string& memory_class, double reread_fraction) {
  Efficiency e;
  e.backend = backend;
  e.memory_class = memory_class;
  // Decode: t = a bytes/BW + k flop/peak + c layers + communication.
  std::vector<double> t, fixed;
  std::vector<std::vector<double>> x(3);
  for (const auto* r : rows) {
    if (!usable_decode(*r) || r->decode.host_bytes > 0 || r->decode.streamed_bytes > 0) continue;
    const double n = d(r->decode.parallel_gpus);
    t.push_back(1.0 / r->measured_decode_tok_per_s);
    const double bytes = r->decode.gpu_bytes + reread_fraction * r->decode.kv_gpu_reread_bytes;
    x[0].push_back(bytes / (r->machine.bandwidth_bytes_per_s * n));
    x[1].push_back(r->decode.gpu_flop / (r->machine.fp16_flop_per_s * n));
    // A host synchronization (row split) costs one layer's fixed overhead, as decode_speed has it.
    x[2].push_back(d(r->decode.gpu_layers + r->decode.host_syncs));
    fixed.push_back(r->decode.comm_seconds);
  }
  if (!t.empty()) {
    const auto coef = fit_nonnegative(t, x, fixed, 1.0);
    e.bandwidth_fraction = 1.0 / coef[0];
    e.decode_compute_factor = coef[1];
    e.layer_overhead_seconds = coef[2];
    e.decode_rows = static_cast<int64_t>(t.size());
  }
  // Prefill: t = a flop/peak + f activation bytes/BW + c launches + x expert flop/peak + bus +
  // communication.
  t.clear();
  fixed.clear();
  x.assign(5, {});
  for (const auto* r : rows) {
    if (!usable_prefill(*r)) continue;
    const double n = d(r->prefill.parallel_gpus) * r->prefill.pipeline_speedup;
    t.push_back(d(r->prefill.prompt_tokens) / r->measured_prefill_tok_per_s);
    x[0].push_back(r->prefill.flop / (r->machine.fp16_flop_per_s * n));
    x[1].push_back(r->prefill.activation_bytes / (r->machine.bandwidth_bytes_per_s * n));
    x[2].push_back(d(r->prefill.layer_launches) / r->prefill.pipeline_speedup);
    x[3].push_back(r->prefill.expert_flop / (r->machine.fp16_flop_per_s * n));
    x[4].push_back(r->prefill.quantized_flop / (r->machine.fp16_flop_per_s * n));
    fixed.push_back(r->prefill.comm_seconds +
                    d(r->prefill.host_syncs) * e.layer_overhead_seconds);  // as prefill_speed
  }
  if (!t.empty()) {
    const auto coef = fit_nonnegative(t, x, fixed, 1.0);
    e.compute_fraction = 1.0 / coef[0];
    e.prefill_activation_factor = coef[1];
    e.prefill_layer_overhead_seconds = coef[2];
    e.prefill_expert_factor = coef[3];
    e.prefill_quant_factor = coef[4];
    e.prefill_rows = static_cast<int64_t>(t.size());
  }
  fit_attention(rows, e);
  return e;
}

// CPU efficiency from rows that read weights from host memory (partial offload and CPU-only),
// the GPU part predicted with its group's factors; only hosts of `host` class when given.
// Returns the fraction and the rows behind it (0 rows: the table's current fraction).
std::pair<double, int64_t> fit_cpu_fraction(const std::vector<CalibrationRow>& rows,
                                            const EfficiencyTable& table,
                                            const std::optional<HostClass>& host) {
  double numerator = 0;
  double denominator = 0;
  int64_t used = 0;
  for (const auto& r : rows) {
    if (!usable_decode(r) || r.decode.host_bytes <= 0) continue;
    if (host && host_class(r.machine.host_bandwidth_bytes_per_s) != *host) continue;
    ++used;
    DecodeCost gpu_only = r.decode;
    gpu_only.host_bytes = 0;
    const auto e = efficiency_for(table, r.backend, r.memory_class);
    const double t = 1.0 / r.measured_decode_tok_per_s;
    const double g = decode_speed(gpu_only, r.machine, e, table).seconds;
    const double h = r.decode.host_bytes / r.machine.host_bandwidth_bytes_per_s;
    numerator += (h / t) * (1.0 - g / t);
    denominator += (h / t) * (h / t);
  }
  if (!(denominator > 0 && numerator > 0)) return {table.cpu_bandwidth_fraction, 0};
  return {denominator / numerator, used};
}

// Host bandwidth fractions (pooled and per host class) for one CPU rate per core.
void fit_host_fractions(const std::vector<CalibrationRow>& rows, EfficiencyTable& table) {
  table.hosts.clear();
  table.cpu_bandwidth_fraction = fit_cpu_fraction(rows, table, std::nullopt).first;
  for (const auto host : {HostClass::kDesktop, HostClass::kWorkstation, HostClass::kServer}) {
    const auto [fraction, used] = fit_cpu_fraction(rows, table, host);
    if (used > 0) table.hosts.push_back({host_class_name(host), fraction, used});
  }
}

// CPU-only prefill: the share f of the CPU's FP32 FMA peak its matrix multiplications reach,
// least squares of relative error in closed form: predicted / measured = u / f with u the
// peak-rate time over the measured time, so 1/f = sum(u) / sum(u^2).
void fit_cpu_prefill(const std::vector<CalibrationRow>& rows, EfficiencyTable& table) {
  double sum_u = 0;
  double sum_u2 = 0;
  int64_t used = 0;
  for (const auto& r : rows) {
    if (!usable_prefill(r) || r.backend != "cpu" || r.machine.fp16_flop_per_s <= 0) continue;
    const double peak_seconds = r.prefill.flop / r.machine.fp16_flop_per_s;
    const double u = peak_seconds / (d(r.prefill.prompt_tokens) / r.measured_prefill_tok_per_s);
    sum_u += u;
    sum_u2 += u * u;
    ++used;
  }
  table.cpu_prefill_rows = used;
  table.cpu_prefill_fraction = used > 0 ? std::min(1.0, sum_u2 / sum_u) : 0;
}

// The CPU's rate per core and the host bandwidth fractions: for each candidate rate (0: no
// compute term) the fractions are fitted in closed form, and the rate whose rows' squared
// relative decode error is least wins. The candidates step by sqrt(2) over 5-80 GFLOP/s per core.
void fit_host(const std::vector<CalibrationRow>& rows, EfficiencyTable& table) {
  std::vector<double> candidates = {0};
  for (double gflops = 5; gflops <= 81; gflops *= std::sqrt(2.0))
    candidates.push_back(gflops * 1e9);
  double best_error = std::numeric_limits<double>::infinity();
  EfficiencyTable best = table;
  for (const double rate : candidates) {
    EfficiencyTable trial = table;
    trial.cpu_core_flop_per_s = rate;
    fit_host_fractions(rows, trial);
    double error = 0;
    for (const auto& r : rows) {
      if (!usable_decode(r) || r.decode.host_bytes <= 0) continue;
      const auto e = efficiency_for(trial, r.backend, r.memory_class);
      const double predicted = decode_speed(r.decode, r.machine, e, trial).tok_per_s;
      error += std::pow(predicted / r.measured_decode_tok_per_s - 1.0, 2);
    }
    if (error < best_error) {
      best_error = error;
      best = trial;
    }
  }
  table = best;
}

// The 80th percentile of absolute errors of the rows `member` picks, decode and prefill.
template <typename Pick>
ErrorBand band_of(const std::vector<RowResult>& results, Pick member) {
  std::vector<double> decode, prefill;
  for (const auto& res : results) {
    if (!member(*res.row)) continue;
    if (res.row->measured_decode_tok_per_s > 0) decode.push_back(std::abs(res.decode_error));
    if (usable_prefill(*res.row)) prefill.push_back(std::abs(res.prefill_error));
  }
  ErrorBand b;
  b.decode_rows = static_cast<int64_t>(decode.size());
  b.decode_p80 = quantile(decode, 0.8);
  b.prefill_rows = static_cast<int64_t>(prefill.size());
  b.prefill_p80 = quantile(prefill, 0.8);
  return b;
}

// Error bands per (placement, backend, memory class) present, per placement pooled ("*", "*"),
// and over everything ("*", "*", "*").
std::vector<ErrorBand> error_bands(const std::vector<RowResult>& results) {
  std::map<std::tuple<std::string, std::string, std::string>, bool> keys;
  for (const auto& res : results)
    keys[{res.row->placement, res.row->backend, res.row->memory_class}] = true;
  std::vector<ErrorBand> bands;
  for (const auto& entry : keys) {
    const std::string placement = std::get<0>(entry.first);
    const std::string backend = std::get<1>(entry.first);
    const std::string memory_class = std::get<2>(entry.first);
    ErrorBand b = band_of(results, [&](const CalibrationRow& r) {
      return r.placement == placement && r.backend == backend && r.memory_class == memory_class;
    });
    b.placement = placement, b.backend = backend, b.memory_class = memory_class;
    bands.push_back(b);
  }
  for (const char* placement : kPlacementKinds) {
    ErrorBand b =
        band_of(results, [&](const CalibrationRow& r) { return r.placement == placement; });
    if (b.decode_rows + b.prefill_rows == 0) continue;
    b.placement = placement, b.backend = "*", b.memory_class = "*";
    bands.push_back(b);
  }
  ErrorBand all = band_of(results, [](const CalibrationRow&) { return true; });
  all.placement = "*", all.backend = "*", all.memory_class = "*";
  bands.push_back(all);
  return bands;
}

}  // namespace

namespace {

// The GPU groups' factors fitted on rows whose layer-split prefill achieves `overlap` of the ideal
// pipeline speed-up (the rows carry the ideal one; the fit sees what this overlap achieves). The
// host factors do not depend on it: fit_efficiency fits them once.
EfficiencyTable fit_at_overlap(const std::vector<CalibrationRow>& rows, double overlap,
                               double reread_fraction, const std::string& fitted_from) {
  EfficiencyTable table;
  table.fitted_from = fitted_from;
  table.pipeline_overlap = overlap;
  table.cache_reread_fraction = reread_fraction;
  std::vector<CalibrationRow> achieved = rows;
  for (auto& r : achieved)
    r.prefill.pipeline_speedup = achieved_pipeline_speedup(table, r.prefill.pipeline_speedup);
  std::map<std::pair<std::string, std::string>, std::vector<const CalibrationRow*>> groups;
  std::map<std::string, std::vector<const CalibrationRow*>> pooled;
  for (const auto& r : achieved) {
    if (!r.skipped.empty() || r.backend == "cpu") continue;  // CPU-only rows fit the host only
    groups[{r.backend, r.memory_class}].push_back(&r);
    pooled[r.memory_class].push_back(&r);
  }
  for (const auto& [key, members] : groups)
    table.groups.push_back(fit_group(members, key.first, key.second, reread_fraction));
  for (const auto& [memory_class, members] : pooled)
    table.groups.push_back(fit_group(members, "*", memory_class, reread_fraction));
  return table;
}

// Mean |log(predicted / measured)| of the prefill rows a table predicts.
double prefill_log_error(const std::vector<CalibrationRow>& rows, const EfficiencyTable& table) {
  double sum = 0;
  int64_t n = 0;
  for (const auto& res : evaluate(rows, table)) {
    if (!usable_prefill(*res.row) || res.row->backend == "cpu") continue;  // not a GPU's prefill
    sum += std::abs(std::log1p(res.prefill_error));
    ++n;
  }
  return n > 0 ? sum / d(n) : 0;
}

}  // namespace

namespace {

constexpr int kRereadRounds = 8;

// Every factor but the cache re-read share, fitted at that share.
EfficiencyTable fit_at_reread(const std::vector<CalibrationRow>& rows, double reread_fraction,
                              const std::string& fitted_from) {
  // The pipeline overlap is one number for llama.cpp: the one (in steps of 0.1) whose fit
  // predicts the prefill rows best.
  EfficiencyTable table;
  double best = std::numeric_limits<double>::infinity();
  for (int step = 0; step <= 10; ++step) {
    auto candidate = fit_at_overlap(rows, 0.1 * step, reread_fraction, fitted_from);
    const double error = prefill_log_error(rows, candidate);
    if (error < best) {
      best = error;
      table = std::move(candidate);
    }
  }
  fit_host(rows, table);
  fit_cpu_prefill(rows, table);
  return table;
}

// The re-read share (in steps of 0.05) whose decode predictions of the runs that re-read their
// cache have the least squared log error, the other factors held; and how many runs those are.
std::pair<double, int64_t> fit_reread_fraction(const std::vector<CalibrationRow>& rows,
                                               EfficiencyTable table) {
  double best = 1.0;
  double best_error = std::numeric_limits<double>::infinity();
  int64_t used = 0;
  for (int step = 0; step <= 20; ++step) {
    table.cache_reread_fraction = 0.05 * step;
    double error = 0;
    used = 0;
    for (const auto& res : evaluate(rows, table)) {
      if (res.row->decode.kv_gpu_reread_bytes <= 0 || !usable_decode(*res.row)) continue;
      error += std::pow(std::log1p(res.decode_error), 2);
      ++used;
    }
    if (used > 0 && error < best_error) {
      best_error = error;
      best = table.cache_reread_fraction;
    }
  }
  return {best, used};
}

}  // namespace

EfficiencyTable fit_efficiency(const std::vector<CalibrationRow>& rows,
                               const std::string& fitted_from) {
  // The cache re-read share and the other factors are fitted in turn, each given the other,
  // starting from no re-reads, until the share stops moving (alternated least squares).
  EfficiencyTable table = fit_at_reread(rows, 0.0, fitted_from);
  double share = 0;
  int64_t reread_rows = 0;
  for (int round = 0; round < kRereadRounds; ++round) {
    const auto [next, used] = fit_reread_fraction(rows, table);
    reread_rows = used;
    if (used == 0 || next == share) break;  // no runs to fit it on, or settled
    share = next;
    table = fit_at_reread(rows, share, fitted_from);
  }
  // Without runs that re-read, the share changes no fitted factor: every re-read counts.
  table.cache_reread_fraction = reread_rows > 0 ? share : 1.0;
  table.cache_reread_rows = reread_rows;
  // Error bands: the 80th percentile of the absolute relative errors per placement class.
  table.bands = error_bands(evaluate(rows, table));
  return table;
}

std::vector<RowResult> evaluate(const std::vector<CalibrationRow>& rows,
                                const EfficiencyTable& table) {
  std::vector<RowResult> results;
  for (const auto& r : rows) {
    if (!r.skipped.empty()) continue;
    RowResult res;
    res.row = &r;
    const auto e = efficiency_for(table, r.backend, r.memory_class);
    if (r.measured_decode_tok_per_s > 0) {
      res.predicted_decode_tok_per_s = decode_speed(r.decode, r.machine, e, table).tok_per_s;
      res.decode_error = res.predicted_decode_tok_per_s / r.measured_decode_tok_per_s - 1.0;
    }
    if (usable_prefill(r)) {
      res.predicted_prefill_tok_per_s = prefill_speed(r.prefill, r.machine, e, table).tok_per_s;
      res.prefill_error = res.predicted_prefill_tok_per_s / r.measured_prefill_tok_per_s - 1.0;
    }
    results.push_back(res);
  }
  return results;
}

ErrorSummary summarize(const std::vector<RowResult>& results) {
  return summarize_category(results, "");
}

ErrorSummary summarize_category(const std::vector<RowResult>& results,
                                const std::string& category) {
  std::vector<double> decode, prefill;
  for (const auto& r : results) {
    const auto& cats = r.row->categories;
    if (!category.empty() && std::find(cats.begin(), cats.end(), category) == cats.end()) continue;
    if (r.row->measured_decode_tok_per_s > 0) decode.push_back(std::abs(r.decode_error));
    if (usable_prefill(*r.row)) prefill.push_back(std::abs(r.prefill_error));
  }
  return {static_cast<int64_t>(decode.size()),  quantile(decode, 0.5),  quantile(decode, 0.9),
          static_cast<int64_t>(prefill.size()), quantile(prefill, 0.5), quantile(prefill, 0.9)};
}

nlohmann::json calibration_to_json(const EfficiencyTable& table,
                                   const std::vector<CalibrationRow>& rows,
                                   const std::vector<RowResult>& results, const ErrorSummary& s) {
  nlohmann::json json;
  json["schema_version"] = 1;
  json["description"] =
      "Efficiency factors fitted by `hwplan calibrate` to the published llama.cpp measurements in "
      "profiles/measurements/measured.csv (sources: its SOURCES.md); do not edit by hand.";
  json["efficiency"] = efficiency_table_to_json(table);
  json["summary"] = {{"decode_rows", s.decode_rows},
                     {"decode_median_error", s.decode_median},
                     {"decode_p90_error", s.decode_p90},
                     {"prefill_rows", s.prefill_rows},
                     {"prefill_median_error", s.prefill_median},
                     {"prefill_p90_error", s.prefill_p90}};
  nlohmann::json used = nlohmann::json::array();
  for (const auto& r : results) {
    used.push_back(
        {{"row_id", r.row->row_id},
         {"source_id", r.row->source_id},
         {"decode_error",
          json_number(r.row->measured_decode_tok_per_s > 0 ? r.decode_error : std::nan(""))},
         {"prefill_error", json_number(usable_prefill(*r.row) ? r.prefill_error : std::nan(""))},
         {"categories", r.row->categories}});
  }
  json["rows"] = used;
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& r : rows) {
    if (!r.skipped.empty()) skipped.push_back({{"row_id", r.row_id}, {"reason", r.skipped}});
  }
  json["skipped_rows"] = skipped;
  return json;
}

}  // namespace hwplan::planner
