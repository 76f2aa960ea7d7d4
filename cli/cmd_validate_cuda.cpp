// `hwplan validate --device cuda`: the weight pass of one decode step (every matrix-vector
// product of the model's shape, one token) on the GPU, timed in three placements, next to the
// planner's bytes-over-bandwidth prediction from the GPU probe run in the same command. Without a
// CUDA build or a usable GPU it stops with the reason (exit 3).
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "app.h"
#include "cmd_validate.h"
#include "common/error.h"
#include "common/statistics.h"
#include "common/units.h"
#include "kernel_model.h"
#include "model_source.h"
#include "profile_from_probe.h"

#if defined(HWPLAN_HAVE_CUDA)
#include "kernels/cuda_matvec.h"
#include "kernels/matvec.h"
#include "kernels/quantize.h"
#include "kernels/thread_pool.h"
#include "kernels/weight_format.h"
#include "probes/bandwidth.h"
#include "probes/cuda_probe.h"
#include "probes/probe.h"
#include "probes/topology.h"
#endif

namespace hwplan::cli {

#if !defined(HWPLAN_HAVE_CUDA)

CommandResult run_validate_cuda(const GlobalOptions&, const ValidateOptions&) {
  throw Error(ErrorKind::kUnsupported,
              "validate --device cuda: this hwplan was built without CUDA (nvcc was not found "
              "when it was configured)");
}

#else

namespace {

using Clock = std::chrono::steady_clock;

struct Format {
  kernels::WeightFormat weights;
  kernels::cuda::CudaFormat cuda;
};

Format format_of(const std::string& name) {
  if (name == "f16") return {kernels::WeightFormat::kF16, kernels::cuda::CudaFormat::kF16};
  if (name == "q8_0") return {kernels::WeightFormat::kQ8_0, kernels::cuda::CudaFormat::kQ8_0};
  if (name == "q4_0") return {kernels::WeightFormat::kQ4_0, kernels::cuda::CudaFormat::kQ4_0};
  if (name == "q4_k") return {kernels::WeightFormat::kQ4K, kernels::cuda::CudaFormat::kQ4K};
  throw_usage("validate --device cuda: --quant {}: the CUDA kernels read f16, q8_0, q4_0, q4_k",
              name);
}

/// The matrices one token's decode reads, layer by layer, then the output projection.
std::vector<kernels::cuda::PassMatrix> layer_matrices(const kernels::LlamaShape& s, Format f) {
  const int64_t q = s.n_head * s.head_dim;
  const int64_t kv = s.n_head_kv * s.head_dim;
  const std::pair<int64_t, int64_t> shapes[] = {
      {q, s.n_embd},      {kv, s.n_embd},     {kv, s.n_embd},    {s.n_embd, q},
      {s.n_ff, s.n_embd}, {s.n_ff, s.n_embd}, {s.n_embd, s.n_ff}};
  std::vector<kernels::cuda::PassMatrix> out;
  for (const auto& [rows, cols] : shapes)
    out.push_back({f.cuda, rows, cols, kernels::row_bytes(f.weights, cols)});
  return out;
}

double pass_bytes(const std::vector<kernels::cuda::PassMatrix>& ms) {
  double b = 0;
  for (const auto& m : ms) b += static_cast<double>(m.rows * m.row_bytes);
  return b;
}

/// The CPU's share of a split pass: the same products with the CPU kernels, timed per token.
std::vector<double> time_cpu_pass(const std::vector<kernels::cuda::PassMatrix>& ms, Format f,
                                  kernels::ThreadPool& pool, int64_t tokens) {
  std::vector<std::vector<uint8_t> > storage;
  int64_t widest = 0, tallest = 0;
  for (const auto& m : ms) {
    storage.emplace_back(static_cast<size_t>(m.rows * m.row_bytes), uint8_t{0});
    std::vector<float> zeros(static_cast<size_t>(m.cols), 0.0f);
    for (int64_t r = 0; r < m.rows; ++r)
      kernels::quantize_row(f.weights, zeros.data(), storage.back().data() + r * m.row_bytes,
                            m.cols);
    widest = std::max(widest, m.cols);
    tallest = std::max(tallest, m.rows);
  }
  std::vector<float> y(static_cast<size_t>(tallest));
  std::vector<kernels::PreparedInput> inputs(ms.size());
  for (size_t i = 0; i < ms.size(); ++i) {
    std::vector<float> x(static_cast<size_t>(ms[i].cols), 0.5f);
    kernels::prepare_input(x.data(), ms[i].cols, inputs[i]);
  }
  std::vector<double> seconds;
  for (int64_t t = -1; t < tokens; ++t) {
    const auto start = Clock::now();
    for (size_t i = 0; i < ms.size(); ++i) {
      const kernels::MatrixView w{f.weights, ms[i].rows, ms[i].cols, storage[i].data(),
                                  ms[i].row_bytes};
      pool.parallel_for(w.rows, 16, [&](int64_t begin, int64_t end) {
        kernels::matvec_rows(w, inputs[i], y.data(), begin, end, kernels::best_isa());
      });
    }
    if (t >= 0) seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  return seconds;
}

}  // namespace

CommandResult run_validate_cuda(const GlobalOptions& global, const ValidateOptions& o) {
  const auto device = kernels::cuda::check_device();
  if (!device.present)
    throw Error(ErrorKind::kUnsupported, fmt::format("validate --device cuda: {}", device.reason));
  const auto db = load_profiles(global);
  kernels::LlamaShape shape = llama_shape_for(resolve_model(db, o.model).spec);
  if (o.layers > 0) shape.n_layer = std::min(o.layers, shape.n_layer);
  std::vector<Format> formats;
  for (const auto& q : o.quants) formats.push_back(format_of(q));
  std::fprintf(stderr, "hwplan validate: GPU probe (device read, host-to-device)\n");
  const auto gpu = probes::run_cuda_probe(gib_to_bytes(1), 3);
  if (gpu.status != probes::ProbeStatus::kOk)
    throw Error(ErrorKind::kUnsupported, fmt::format("validate --device cuda: {}", gpu.reason));
  const double device_gbs = gpu.device_read_gbs.best;
  const double bus_gbs = pinned_h2d_gbs(gpu);
  kernels::ThreadPool pool(o.threads > 0 ? static_cast<int>(o.threads) : default_kernel_threads());
  std::fprintf(stderr, "hwplan validate: CPU read probe\n");
  const double cpu_gbs =
      probes::measure_bandwidth("read", pool.size(),
                                probes::bandwidth_array_bytes(probes::read_topology()), 3)
          .gbs.best;

  CommandResult result;
  result.report.context = make_context(global);
  reports::Table table{"validate_cuda", "GPU weight pass: measured vs predicted", {}, {}};
  table.columns = {{"quant", "Format", "", reports::Align::kLeft},
                   {"placement", "Placement", "", reports::Align::kLeft},
                   {"weights_gb", "Weights", "GB", reports::Align::kRight, 2},
                   {"measured_tok_per_s", "Measured", "tok/s", reports::Align::kRight, 1},
                   {"predicted_tok_per_s", "Predicted", "tok/s", reports::Align::kRight, 1},
                   {"error_fraction", "Error", "", reports::Align::kRight, 3},
                   {"achieved_gbs", "Achieved", "GB/s", reports::Align::kRight, 1},
                   {"limit_gbs", "Probed limit", "GB/s", reports::Align::kRight, 1},
                   {"fraction", "Fraction", "", reports::Align::kRight, 3}};
  const int tokens = static_cast<int>(std::max<int64_t>(o.tokens, 4));
  for (size_t i = 0; i < formats.size(); ++i) {
    const Format f = formats[i];
    const auto layer = layer_matrices(shape, f);
    std::vector<kernels::cuda::PassMatrix> all;
    for (int64_t l = 0; l < shape.n_layer; ++l) all.insert(all.end(), layer.begin(), layer.end());
    all.push_back(
        {f.cuda, shape.n_vocab, shape.n_embd, kernels::row_bytes(f.weights, shape.n_embd)});
    const double bytes = pass_bytes(all);
    // First half of the layers on the GPU, the rest (and the output) on the CPU kernels.
    const auto gpu_layers = static_cast<size_t>(shape.n_layer / 2) * layer.size();
    const std::vector<kernels::cuda::PassMatrix> front(all.begin(),
                                                       all.begin() + static_cast<long>(gpu_layers));
    const std::vector<kernels::cuda::PassMatrix> back(all.begin() + static_cast<long>(gpu_layers),
                                                      all.end());
    std::fprintf(stderr, "hwplan validate: %s: resident, streamed, split passes\n",
                 o.quants[i].c_str());
    const double resident = median(
        kernels::cuda::time_weight_passes(all, kernels::cuda::CudaPlacement::kResident, tokens));
    const double streamed = median(
        kernels::cuda::time_weight_passes(all, kernels::cuda::CudaPlacement::kStreamed, tokens));
    const double split = median(kernels::cuda::time_weight_passes(
                             front, kernels::cuda::CudaPlacement::kResident, tokens)) +
                         median(time_cpu_pass(back, f, pool, tokens));
    const double front_bytes = pass_bytes(front), back_bytes = pass_bytes(back);
    struct Case {
      const char* placement;
      double seconds;
      double predicted_seconds;
      double limit_gbs;
    };
    const Case cases[] = {
        {"resident", resident, bytes / gbs_to_bytes_per_s(device_gbs), device_gbs},
        {"streamed", streamed, bytes / gbs_to_bytes_per_s(bus_gbs), bus_gbs},
        {"split (half the layers on the CPU)", split,
         front_bytes / gbs_to_bytes_per_s(device_gbs) + back_bytes / gbs_to_bytes_per_s(cpu_gbs),
         bytes /
             (front_bytes / gbs_to_bytes_per_s(device_gbs) +
              back_bytes / gbs_to_bytes_per_s(cpu_gbs)) /
             1e9}};
    for (const auto& c : cases) {
      const double achieved = bytes / c.seconds / 1e9;
      table.rows.push_back({o.quants[i], std::string(c.placement), bytes_to_gb(bytes),
                            1.0 / c.seconds, 1.0 / c.predicted_seconds,
                            (1.0 / c.seconds) / (1.0 / c.predicted_seconds) - 1.0, achieved,
                            c.limit_gbs, achieved / c.limit_gbs});
    }
  }
  result.report.tables.push_back(table);
  result.report.notes.push_back(fmt::format(
      "{}: device read {:.0f} GB/s, pinned host-to-device {:.1f} GB/s, CPU read {:.1f} GB/s "
      "({} threads), all probed in this run. Measured: median of {} passes over every "
      "matrix-vector product of one decode step of {} ({} layers and the output; attention, norms "
      "and activations are not included). Predicted: bytes over the probed rate of where they are "
      "read (split: the GPU's half and the CPU's half one after the other).",
      device.name, device_gbs, bus_gbs, cpu_gbs, pool.size(), tokens, o.model, shape.n_layer));
  return result;
}

#endif

}  // namespace hwplan::cli
