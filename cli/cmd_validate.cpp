// validate: for each weight format, build (or load) the model, measure prefill and decode of
// the reference kernel, measure the read bandwidth just before and just after the decode (this
// machine's bandwidth drifts over minutes, so the prediction uses the figure from the same
// window), measure each weight type's in-cache dot-product rate, and set the planner's roofline
// (planner/reference_kernel.h) beside the measurement.
#include "cmd_validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "cmd_generate.h"
#include "common/error.h"
#include "common/statistics.h"
#include "common/units.h"
#include "formats/gguf.h"
#include "kernel_model.h"
#include "kernels/llama_context.h"
#include "kernels/measure.h"
#include "kernels/synth.h"
#include "kernels/thread_pool.h"
#include "model_source.h"
#include "planner/reference_kernel.h"
#include "platform/affinity.h"
#include "probes/bandwidth.h"
#include "probes/probe.h"
#include "probes/topology.h"
#include "reports/compare.h"

namespace hwplan::cli {
namespace {

/// Read probes during one decode run: before each of this many groups of tokens, and after.
constexpr int64_t kSegments = 8;

void say(const std::string& text) { std::fprintf(stderr, "hwplan validate: %s\n", text.c_str()); }

struct ModelUnderTest {
  std::string label;
  kernels::LlamaWeights weights;
  std::shared_ptr<kernels::SynthModel> synth;  ///< keeps a synthetic model alive
  planner::ModelSpec spec;
  planner::WeightInventory inventory;
};

ModelUnderTest synthetic_model(const planner::ModelSpec& spec, const std::string& quant,
                               uint64_t seed, int64_t layers, kernels::ThreadPool& pool) {
  const kernels::SynthMix mix = parse_mix(quant);
  say(fmt::format("building synthetic {} {} with {} threads", spec.id, kernels::synth_mix_name(mix),
                  pool.size()));
  kernels::LlamaShape shape = llama_shape_for(spec);
  if (layers > 0) shape.n_layer = std::min(layers, shape.n_layer);
  auto model = std::make_shared<kernels::SynthModel>(
      kernels::synth_llama(shape, spec.tied_embeddings, mix, seed, pool, spec.id));
  planner::ModelSpec planned = spec;
  planned.n_layers = shape.n_layer;
  planned.layer_kinds.resize(static_cast<size_t>(shape.n_layer));
  ModelUnderTest m{std::string(kernels::synth_mix_name(mix)), model->weights, model, planned,
                   inventory_of(*model)};
  return m;
}

ModelUnderTest gguf_model(const std::string& path, kernels::ThreadPool& pool) {
  const ModelSource source = source_from_gguf(path);
  const auto file = formats::GgufFile::open(path);
  say(fmt::format("copying {} into memory owned by the kernel's threads", path));
  ModelUnderTest m{source.gguf_file_type, kernels::localize(kernels::llama_from_gguf(file), pool),
                   nullptr, source.spec, *source.exact_weights};
  return m;
}

void check_memory(double model_bytes, double array_bytes) {
  const probes::Topology topo = probes::read_topology();
  double available = topo.available_ram_bytes;
  if (topo.cgroup_limit_bytes > 0) available = std::min(available, topo.cgroup_limit_bytes);
  // The model, the bandwidth probe's arrays and headroom for the rest of the system.
  if (available > 0 && model_bytes + 3 * array_bytes > 0.8 * available) {
    throw Error(
        ErrorKind::kResource,
        fmt::format("validate: the model needs {:.2f} GB and the bandwidth probe {:.2f} GB, "
                    "but only {:.2f} GB are available; pick a smaller model or format",
                    bytes_to_gb(model_bytes), bytes_to_gb(3 * array_bytes),
                    bytes_to_gb(available)));
  }
}

// The kernel's run (kernels/measure.h) with the read bandwidth probed between groups of steps:
// the machine's bandwidth drifts within seconds, so both medians come from the same window. The
// probe's arrays are allocated and faulted in once per run, not at every probe.
kernels::DecodeMeasurement measure(const ModelUnderTest& m, const ValidateOptions& o,
                                   kernels::ThreadPool& pool, kernels::Isa isa,
                                   double array_bytes) {
  std::optional<probes::StreamBuffers> buffers;
  if (o.bandwidth_gbs <= 0) buffers.emplace(array_bytes);
  auto bandwidth = [&] {
    if (!buffers) return o.bandwidth_gbs;
    // The probe places its own threads on every CPU the process may use, read while the caller
    // is unpinned (pinned, it would see only its own CPU).
    const kernels::ThreadPool::CallerUnpinned unpinned(pool);
    return probes::measure_bandwidth("read", pool.size(), *buffers, 2, platform::allowed_cpus())
        .gbs.best;
  };
  const kernels::DecodeRun run{o.prompt, o.ctx, o.tokens, kSegments, o.seed};
  return kernels::measure_decode(m.weights, pool, isa, run, bandwidth,
                                 [&](const std::string& what) { say(m.label + ": " + what); });
}

void validate_options(const ValidateOptions& o) {
  if (o.tokens < 4 || o.tokens > 100000)
    throw_usage("validate: --tokens must be 4..100000, got {}", o.tokens);
  if (o.ctx < 0 || o.ctx > 1000000)
    throw_usage("validate: --ctx must be 0..1000000, got {}", o.ctx);
  if (o.prompt < 1 || o.prompt > 100000)
    throw_usage("validate: --prompt must be 1..100000, got {}", o.prompt);
  if (o.threads < 0 || o.layers < 0) throw_usage("validate: --threads and --layers must be >= 0");
  if (o.bandwidth_gbs < 0 || o.max_error < 0)
    throw_usage("validate: --bandwidth-gbs and --max-error must be >= 0");
}

}  // namespace

CommandResult run_validate(const GlobalOptions& global, const ValidateOptions& o) {
  if (!o.llama_bench.empty()) return run_validate_llama_bench(global, o);
  if (o.device == "cuda") return run_validate_cuda(global, o);
  validate_options(o);
  const kernels::Isa isa = parse_isa(o.isa);
  const auto db = load_profiles(global);
  kernels::ThreadPool pool(o.threads > 0 ? static_cast<int>(o.threads) : default_kernel_threads());
  const double array_bytes =
      o.bandwidth_gbs > 0 ? 0.0 : probes::bandwidth_array_bytes(probes::read_topology());
  std::vector<std::string> quants = o.gguf.empty() ? o.quants : std::vector<std::string>{o.gguf};
  planner::ModelSpec spec;
  if (o.gguf.empty()) {
    spec = resolve_model(db, o.model).spec;
    for (const auto& q : quants) parse_mix(q);  // reject a bad name before minutes of work
  }

  CommandResult result;
  result.report.context = make_context(global);
  reports::Table table{"validate", "Reference kernel: measured vs predicted decode", {}, {}};
  table.columns = {{"quant", "Format", "", reports::Align::kLeft},
                   {"weights_gb", "Weights", "GB", reports::Align::kRight, 2},
                   {"threads", "Threads", "", reports::Align::kRight},
                   {"measured_tok_per_s", "Measured", "tok/s", reports::Align::kRight, 2},
                   {"predicted_tok_per_s", "Predicted", "tok/s", reports::Align::kRight, 2},
                   {"error_fraction", "Error", "", reports::Align::kRight, 3},
                   {"achieved_bandwidth_gbs", "Achieved", "GB/s", reports::Align::kRight, 1},
                   {"probed_bandwidth_gbs", "Read probe", "GB/s", reports::Align::kRight, 1},
                   {"bandwidth_fraction", "Fraction", "", reports::Align::kRight, 3},
                   {"token_spread", "Step spread", "", reports::Align::kRight, 3},
                   {"probe_spread", "Probe spread", "", reports::Align::kRight, 3},
                   {"bound", "Bound", "", reports::Align::kLeft},
                   {"prefill_tok_per_s", "Prefill", "tok/s", reports::Align::kRight, 1}};
  nlohmann::json details = nlohmann::json::array();
  bool missed = false;
  for (const std::string& q : quants) {
    const ModelUnderTest m =
        o.gguf.empty() ? synthetic_model(spec, q, o.seed, o.layers, pool) : gguf_model(q, pool);
    const auto weight_bytes = static_cast<double>(kernels::llama_weight_bytes(m.weights));
    check_memory(weight_bytes, array_bytes);
    const kernels::DecodeMeasurement r = measure(m, o, pool, isa, array_bytes);
    const double seconds = median(r.token_seconds);
    const double tok_per_s = 1.0 / seconds;
    const int64_t attended = o.ctx + o.tokens / 2;
    const double bytes = kernels::llama_decode_cost(m.weights, attended).bytes_read;
    const double probed_gbs = median(r.between);
    planner::CpuKernelRates rates{gbs_to_bytes_per_s(probed_gbs), r.rates_per_thread, pool.size()};
    const planner::ReferencePrediction p =
        planner::predict_reference_decode(m.spec, m.inventory, attended, rates);
    const double error = p.tok_per_s / tok_per_s - 1.0;
    missed = missed || (o.max_error > 0 && std::fabs(error) > o.max_error);
    const double achieved_gbs = bytes_per_s_to_gbs(bytes * tok_per_s);
    // The run's own spread: decode steps between their 10th and 90th percentiles, and the read
    // probes from lowest to highest, each over its median.
    const double token_spread =
        (quantile(r.token_seconds, 0.9) - quantile(r.token_seconds, 0.1)) / seconds;
    const double probe_spread = (quantile(r.between, 1.0) - quantile(r.between, 0.0)) / probed_gbs;
    table.rows.push_back({m.label, bytes_to_gb(weight_bytes), int64_t{pool.size()}, tok_per_s,
                          p.tok_per_s, error, achieved_gbs, probed_gbs, achieved_gbs / probed_gbs,
                          token_spread, probe_spread, std::string(planner::bound_name(p.bound)),
                          r.prefill_tok_per_s});
    nlohmann::json rates_json;
    for (const auto& [type, rate] : r.rates_per_thread) rates_json[type] = bytes_per_s_to_gbs(rate);
    details.push_back({{"quant", m.label},
                       {"token_seconds", r.token_seconds},
                       {"read_bandwidth_gbs", r.between},
                       {"in_cache_rate_gbs_per_thread", rates_json},
                       {"bytes_per_token", bytes},
                       {"token_spread", token_spread},
                       {"probe_spread", probe_spread},
                       {"attended_tokens", attended}});
  }
  result.report.tables.push_back(table);
  result.report.details = {{"runs", details}, {"isa", std::string(kernels::isa_name(isa))}};
  result.report.notes.push_back(
      fmt::format("Measured: median of {} decode steps at context {} ({} threads, {} kernels); "
                  "achieved = bytes read per "
                  "token x tok/s; read probe = median all-thread read bandwidth, probed between "
                  "every few tokens; step spread = (p90 - p10) / median of the decode steps, "
                  "probe spread = (highest - lowest) / median of the read probes.",
                  o.tokens, o.ctx, pool.size(), kernels::isa_name(isa)));
  result.report.notes.emplace_back(
      "Predicted: the planner's model of the reference kernel (planner/reference_kernel.h): each "
      "weight type's "
      "bytes at the read bandwidth plus their dot products at the measured in-cache rate x threads "
      "(no overlap), "
      "and the KV cache at the read bandwidth.");
  if (o.gguf.empty()) {
    result.report.notes.push_back(
        fmt::format("Weights are synthetic (seed {}), in {}'s shape; the KV cache beyond "
                    "the {}-token prompt holds random values.",
                    o.seed, spec.id, o.prompt));
  }
  if (missed) {
    result.report.notes.push_back(
        fmt::format("A prediction missed by more than --max-error {:.0f}%.", 100 * o.max_error));
    result.exit_code = 1;
  }
  return result;
}

}  // namespace hwplan::cli
