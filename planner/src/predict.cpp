#include "planner/predict.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "common/error.h"
#include "common/text_util.h"
#include "common/units.h"
#include "planner/engines.h"

namespace hwplan::planner {
namespace {

double d(int64_t value) { return static_cast<double>(value); }

// Row and tensor split put a slice of every matrix on every GPU.
bool splits_tensors(SplitMode mode) {
  return mode == SplitMode::kRow || mode == SplitMode::kTensor;
}

// Layer index of a tensor for launch counting: the output's tensors count as layer n_layers.
int64_t layer_slot(const ModelSpec& m, int64_t layer) {
  return std::clamp<int64_t>(layer, 0, m.n_layers);
}

// Fraction of a layer's routed experts that `tokens` tokens touch: E x (1 - (1 - k/E)^B) / E
// (DESIGN.md "Batch"), assuming uniform routing.
double experts_touched_fraction(const ModelSpec& m, int64_t tokens) {
  if (!is_moe(m)) return 0;
  const double k_over_e = d(m.moe.n_experts_per_token) / d(m.moe.n_experts);
  return 1.0 - std::pow(1.0 - k_over_e, d(tokens));
}

// Cached tokens one query attends to in `layer` with `context` tokens in the cache: all of them,
// the window for sliding layers, none for recurrent layers.
double attended_tokens(const ModelSpec& m, int64_t layer, double context) {
  switch (m.layer_kinds[static_cast<size_t>(layer)]) {
    case LayerKind::kLinearAttention:
      return 0;
    case LayerKind::kSlidingAttention:
      return std::min(context, d(m.sliding_window));
    case LayerKind::kFullAttention:
      break;
  }
  return context;
}

// FLOPs of attention for one query token against `context` cached tokens: QK^T and AV.
double attention_flop(const ModelSpec& m, int64_t layer, double context) {
  const double width = m.attention == AttentionKind::kMla
                           ? d(m.n_heads) * d(m.mla.kv_lora_rank + m.mla.rope_head_dim)
                           : d(m.n_heads * m.head_dim);
  return 4.0 * width * attended_tokens(m, layer, context);
}

// F32 activation elements one token streams through one layer outside the matrix products:
// norms, residual adds, RoPE, SwiGLU, and the (de)quantized copies of the matmul inputs.
double activation_elements_per_layer(const ModelSpec& m) {
  const double ffn =
      is_moe(m) ? d(m.moe.n_experts_per_token * m.moe.expert_ffn_size + m.moe.shared_ffn_size)
                : d(m.ffn_size);
  return 8.0 * d(m.hidden_size) + 3.0 * ffn;
}

// Bytes and FLOPs each GPU of the plan handles.
struct GpuShares {
  std::vector<double> bytes;
  std::vector<double> flop;
  explicit GpuShares(int64_t n_gpus)
      : bytes(static_cast<size_t>(std::max<int64_t>(n_gpus, 1)), 0.0),
        flop(static_cast<size_t>(std::max<int64_t>(n_gpus, 1)), 0.0) {}
  void add(const Device& device, double b, double f) {
    if (device.kind == DeviceKind::kHost) return;
    const auto i =
        std::min(static_cast<size_t>(std::max<int64_t>(device.gpu, 0)), bytes.size() - 1);
    bytes[i] += b;
    flop[i] += f;
  }
};

// Per-GPU rate at which the GPUs' own times add up: sum(work) / sum(work_i / rate_i).
double combined_rate(const std::vector<double>& work, const std::vector<double>& rates) {
  double total = 0;
  double seconds = 0;
  for (size_t i = 0; i < work.size(); ++i) {
    total += work[i];
    seconds += work[i] / rates[i];
  }
  return total > 0 ? total / seconds : rates.front();
}

// The rates DecodeCost and PrefillCost document: the machine's for alike GPUs; for mixed GPUs
// each GPU at its own speed for its share, or the slowest when every GPU holds an equal slice.
std::pair<double, double> gpu_rates(const HardwareSpec& hw, const GpuShares& shares,
                                    bool equal_slices) {
  if (!mixed_gpus(hw)) return {hw.bandwidth_bytes_per_s, hw.fp16_flop_per_s};
  std::vector<double> bandwidth;
  std::vector<double> flop;
  for (int64_t i = 0; i < hw.gpu_count; ++i) {
    const auto g = gpu_spec(hw, i);
    bandwidth.push_back(g.bandwidth_bytes_per_s);
    flop.push_back(g.fp16_flop_per_s);
  }
  if (equal_slices) {
    return {*std::min_element(bandwidth.begin(), bandwidth.end()),
            *std::min_element(flop.begin(), flop.end())};
  }
  auto fit = [](std::vector<double> work, size_t n) {
    work.resize(n, 0.0);
    return work;
  };
  return {combined_rate(fit(shares.bytes, bandwidth.size()), bandwidth),
          combined_rate(fit(shares.flop, flop.size()), flop)};
}

Link interconnect_link(const HardwareSpec& hw) {
  Link link = hw.interconnect == "none" ? find_link("pcie") : find_link(hw.interconnect);
  if (hw.interconnect_bytes_per_s > 0) link.bytes_per_s = hw.interconnect_bytes_per_s;
  return link;
}

// Ring all-reduce of `bytes` over n devices: 2 (n - 1) / n of the data crosses each link, plus
// one latency per step.
double allreduce_seconds(double bytes, int64_t n, const Link& link) {
  if (n <= 1) return 0;
  const double steps = 2.0 * d(n - 1);
  return steps * link.latency_seconds + steps / d(n) * bytes / link.bytes_per_s;
}

// Hidden-state handoffs between pipeline stages (F32 activations of every token in flight).
double hop_seconds(int64_t hops, double tokens, const ModelSpec& m, const Link& link) {
  if (hops <= 0) return 0;
  const double bytes = tokens * d(m.hidden_size) * 4.0;
  return d(hops) * (link.latency_seconds + bytes / link.bytes_per_s);
}

// llama.cpp's --split-mode row gathers and broadcasts the activations at every matrix product it
// splits: q, k, v and o of attention, gate, up and down of the FFN.
constexpr int64_t kRowSplitProductsPerLayer = 7;

// Messages per layer of a tensor split: two all-reduces (after attention and after the FFN), or
// for row split one exchange (gather and broadcast: as many steps as a ring all-reduce) per
// product.
double exchanges_per_layer(SplitMode split) {
  return split == SplitMode::kRow ? d(kRowSplitProductsPerLayer) : 2.0;
}

// Messages per step: within each node, tensor-parallel all-reduces or pipeline hops between its
// GPUs over their interconnect; between nodes, pipeline hops over the node link.
double communication_seconds(const ModelSpec& m, const HardwareSpec& hw, const ExecutionPlan& plan,
                             const PredictOptions& options, double tokens) {
  const int64_t nodes = std::max<int64_t>(1, plan.nodes);
  const int64_t per_node = std::max<int64_t>(1, hw.gpu_count / nodes);
  const Link link = interconnect_link(hw);
  double seconds = 0;
  if (splits_tensors(plan.split)) {
    // Two all-reduces per layer (after attention and after the FFN) of F16 activations: among a
    // node's GPUs over their interconnect, then among the nodes over the node link.
    const double bytes = tokens * d(m.hidden_size) * 2.0;
    const double exchanges = exchanges_per_layer(plan.split) * d(m.n_layers);
    seconds += exchanges * allreduce_seconds(bytes, per_node, link);
    seconds += exchanges * allreduce_seconds(bytes, nodes, find_link(options.link));
    return seconds;
  }
  seconds += hop_seconds(nodes * (per_node - 1), tokens, m, link);
  if (nodes > 1) seconds += hop_seconds(nodes - 1, tokens, m, find_link(options.link));
  return seconds;
}

// Adds communication and overhead, sums the terms (DESIGN.md: a sum over placements), and names
// the largest term the bound.
void finish(SpeedPrediction& s, double comm_seconds, double overhead_seconds, double tokens) {
  if (comm_seconds > 0) {
    s.terms.push_back({"communication", 0, 0, 0, comm_seconds, Bound::kCommunication});
  }
  s.communication_seconds = comm_seconds;
  s.overhead_seconds = overhead_seconds;
  s.seconds = overhead_seconds;
  const Term* largest = &s.terms.front();
  for (const auto& t : s.terms) {
    s.seconds += t.seconds;
    if (t.seconds > largest->seconds) largest = &t;
  }
  s.bound = largest->bound;
  s.tok_per_s = tokens / s.seconds;
}

// Why a cluster is or is not faster than one of its nodes, with the communication it pays.
std::string cluster_reason(const ExecutionPlan& plan, const DecodeCost& cost,
                           const PredictOptions& options) {
  const double ms = cost.comm_seconds * 1e3;
  if (splits_tensors(plan.split)) {
    return fmt::format(
        "{} nodes over {} in tensor parallel: each reads 1/{} of the bytes per token, and two "
        "all-reduces per layer cost {:.1f} ms per token",
        plan.nodes, options.link, plan.nodes, ms);
  }
  return fmt::format(
      "{} nodes over {} in a pipeline: each token passes through every node in turn, so one "
      "sequence is no faster than on one node (the hops add {:.2f} ms per token); the cluster "
      "holds a model one node cannot, and --split tensor reads the nodes in parallel",
      plan.nodes, options.link, ms);
}

}  // namespace

Link find_link(const std::string& name) {
  // Per-direction bandwidth and one-way latency. PCIe 4.0 x16 and NVLink 4 from their specs;
  // Thunderbolt 5 is 80 Gbit/s (10 GB/s) with RDMA latency of about 10 us as exo reports it;
  // Ethernet latencies are typical kernel-bypass-free TCP figures (estimates).
  static const std::vector<Link> kLinks = {
      {"pcie", 25e9, 10e-6},      {"nvlink", 450e9, 3e-6},    {"thunderbolt5", 10e9, 10e-6},
      {"10gbe", 1.25e9, 50e-6},   {"25gbe", 3.125e9, 30e-6},  {"100gbe", 12.5e9, 10e-6},
      {"infiniband", 50e9, 2e-6}, {"ethernet", 1.25e9, 50e-6}};
  std::vector<std::string> names;
  for (const auto& link : kLinks) {
    if (link.name == to_lower(name)) return link;
    names.push_back(link.name);
  }
  throw Error(ErrorKind::kInput, unknown_name_message("link", name, names));
}

double cache_reads_per_token(const ModelSpec& m, const Workload& w, Backend backend,
                             const std::string& engine) {
  if (engine != "llama.cpp") return 1;
  if (m.attention != AttentionKind::kGqa || m.n_kv_heads <= 0 || m.n_heads <= m.n_kv_heads)
    return 1;
  const bool vector_kernel =
      backend == Backend::kRocm || (backend == Backend::kCuda && quantized_cache(w.kv_cache));
  return vector_kernel ? d(m.n_heads) / d(m.n_kv_heads) : 1;
}

int64_t host_syncs_per_step(const ModelSpec& m, SplitMode split, int64_t devices,
                            const std::string& engine) {
  if (devices <= 1 || split != SplitMode::kRow || !runs_ggml(engine)) return 0;
  return kRowSplitProductsPerLayer * m.n_layers;
}

DecodeCost decode_cost(const ModelSpec& m, const ExecutionPlan& plan, const HardwareSpec& hw,
                       const PredictOptions& options) {
  const Workload& w = plan.workload;
  const double touched = experts_touched_fraction(m, w.batch);
  const double expert_flop_share =
      is_moe(m) ? d(m.moe.n_experts_per_token) / d(m.moe.n_experts) : 0;
  DecodeCost cost;
  cost.batch = w.batch;
  auto add_bytes = [&cost](const Device& device, double bytes) {
    switch (device.kind) {
      case DeviceKind::kGpu:
        cost.gpu_bytes += bytes;
        break;
      case DeviceKind::kHost:
        cost.host_bytes += bytes;
        break;
      case DeviceKind::kStreamed:  // copied in, then read on the GPU at memory speed
        cost.streamed_bytes += bytes;
        cost.gpu_bytes += bytes;
        break;
    }
  };
  std::vector<bool> gpu_layer(static_cast<size_t>(m.n_layers + 1), false);
  GpuShares shares(hw.gpu_count);
  for (const auto& t : plan.tensors) {
    const auto& g = t.tensor;
    if (g.cls == TensorClass::kEmbedding) continue;  // one row looked up per token
    const bool experts = g.cls == TensorClass::kExperts;
    const double bytes = g.bytes * (experts ? touched : 1.0);
    add_bytes(t.device, bytes);
    // The CPU's share of the products runs in its own threads beside the host-memory reads.
    const double flop = d(w.batch) * 2.0 * g.n_params * (experts ? expert_flop_share : 1.0);
    (t.device.kind == DeviceKind::kHost ? cost.host_flop : cost.gpu_flop) += flop;
    shares.add(t.device, bytes, flop);
    if (t.device.kind == DeviceKind::kGpu)
      gpu_layer[static_cast<size_t>(layer_slot(m, g.layer))] = true;
  }
  const double gpu_cache_reads = cache_reads_per_token(m, w, hw.backend, options.engine);
  for (const auto& kv : plan.kv) {
    add_bytes(kv.device, kv.bytes);  // every sequence reads its own cache
    switch (kv.device.kind) {
      case DeviceKind::kGpu:
        cost.kv_gpu_bytes += kv.bytes;
        cost.kv_gpu_reread_bytes += (gpu_cache_reads - 1) * kv.bytes;
        break;
      case DeviceKind::kHost:
        cost.kv_host_bytes += kv.bytes;
        break;
      case DeviceKind::kStreamed:
        cost.kv_streamed_bytes += kv.bytes;
        cost.kv_gpu_bytes += kv.bytes;
        break;
    }
    const double flop = d(w.batch) * attention_flop(m, kv.layer, d(w.context_tokens));
    (kv.device.kind == DeviceKind::kHost ? cost.host_flop : cost.gpu_flop) += flop;
    (kv.device.kind == DeviceKind::kHost ? cost.host_attention_flop : cost.gpu_attention_flop) +=
        flop;
    shares.add(kv.device, kv.bytes, flop);
  }
  cost.gpu_layers = std::count(gpu_layer.begin(), gpu_layer.end(), true);
  // Tensor parallel: every GPU of every node holds a slice of each matrix and reads it at once.
  if (splits_tensors(plan.split)) cost.parallel_gpus = hw.gpu_count;
  std::tie(cost.gpu_bandwidth_bytes_per_s, cost.gpu_flop_per_s) =
      gpu_rates(hw, shares, splits_tensors(plan.split));
  cost.comm_seconds = communication_seconds(m, hw, plan, options, d(w.batch));
  cost.host_syncs = host_syncs_per_step(m, plan.split, hw.gpu_count, options.engine);
  return cost;
}

PrefillCost prefill_cost(const ModelSpec& m, const ExecutionPlan& plan, const HardwareSpec& hw,
                         const PredictOptions& options, int64_t depth_tokens) {
  const Workload& w = plan.workload;
  const double prompt = d(options.prompt_tokens);
  const double ubatches = std::ceil(prompt / d(w.ubatch_tokens));
  const double expert_flop_share =
      is_moe(m) ? d(m.moe.n_experts_per_token) / d(m.moe.n_experts) : 0;
  // A ubatch of many tokens touches (nearly) every expert.
  const double touched =
      experts_touched_fraction(m, std::min(options.prompt_tokens, w.ubatch_tokens));
  // Causal attention: token t attends to depth + t tokens; the mean is depth + (P + 1) / 2.
  const double mean_context = d(depth_tokens) + (prompt + 1.0) / 2.0;
  PrefillCost cost;
  cost.prompt_tokens = options.prompt_tokens;
  double host_weights = 0;
  std::vector<bool> gpu_layer(static_cast<size_t>(m.n_layers), false);
  GpuShares shares(hw.gpu_count);
  for (const auto& t : plan.tensors) {
    const auto& g = t.tensor;
    if (g.cls == TensorClass::kEmbedding) continue;
    const bool experts = g.cls == TensorClass::kExperts;
    const double flop = prompt * 2.0 * g.n_params * (experts ? expert_flop_share : 1.0);
    cost.flop += flop;
    if (experts) cost.expert_flop += flop;
    if (is_quantized(g)) cost.quantized_flop += flop;
    const double bytes = g.bytes * (experts ? touched : 1.0);
    // llama.cpp computes large batches on the GPU, host-held weights included (copied over).
    shares.add(t.device.kind == DeviceKind::kHost ? gpu_device(plan.main_gpu) : t.device, bytes,
               flop);
    if (t.device.kind == DeviceKind::kGpu) {
      cost.weight_bytes += bytes;
      if (g.layer < m.n_layers) gpu_layer[static_cast<size_t>(g.layer)] = true;
    } else {
      host_weights += bytes;
    }
  }
  for (const auto& kv : plan.kv) {
    const double flop = prompt * attention_flop(m, kv.layer, mean_context);
    cost.attention_flop += flop;
    shares.add(kv.device.kind == DeviceKind::kHost ? gpu_device(plan.main_gpu) : kv.device, 0,
               flop);
  }
  cost.flop += cost.attention_flop;
  cost.activation_bytes = prompt * d(m.n_layers) * activation_elements_per_layer(m) * 4.0;
  if (!w.flash_attention) {
    // Without flash attention the F32 score matrix (queries x context x heads) is written, read
    // and rewritten by softmax, and read again for the value product: about 3 passes.
    for (int64_t i = 0; i < m.n_layers; ++i) {
      cost.activation_bytes +=
          3.0 * prompt * attended_tokens(m, i, mean_context) * d(m.n_heads) * 4.0;
    }
  }
  cost.weight_bytes *= ubatches;
  // llama.cpp computes large batches on the GPU, copying host-held weights over for each ubatch;
  // on unified memory there is nothing to copy.
  if (hw.kind == MemoryKind::kDiscrete) cost.bus_bytes = host_weights * ubatches;
  const auto gpu_layers = std::count(gpu_layer.begin(), gpu_layer.end(), true);
  cost.layer_launches = static_cast<int64_t>(d(gpu_layers + 1) * ubatches);
  if (splits_tensors(plan.split)) {
    cost.parallel_gpus = hw.gpu_count;
  } else if (hw.gpu_count > 1) {
    // llama.cpp pipelines the ubatches of one logical batch (n_batch 2048 = 4 ubatches of 512).
    const double in_flight =
        std::min(ubatches, std::max(1.0, std::floor(d(plan.batch_tokens) / d(w.ubatch_tokens))));
    const double gpus = d(hw.gpu_count);
    cost.pipeline_speedup = in_flight * gpus / (in_flight + gpus - 1.0);
  }
  cost.comm_seconds = communication_seconds(m, hw, plan, options, prompt);
  cost.host_syncs = host_syncs_per_step(m, plan.split, hw.gpu_count, options.engine) *
                    static_cast<int64_t>(ubatches);
  std::tie(cost.gpu_bandwidth_bytes_per_s, cost.gpu_flop_per_s) =
      gpu_rates(hw, shares, splits_tensors(plan.split));
  return cost;
}

namespace {

// Columns of llama.cpp's tiled matrix multiplication a batch is rounded up to: MMQ on CUDA and
// ROCm takes tiles of 8 columns (ggml-cuda mmq.cuh), the other backends' mul_mm 32.
double gemm_tile_columns(Backend backend) {
  return backend == Backend::kCuda || backend == Backend::kRocm ? 8.0 : 32.0;
}

}  // namespace

double batched_gemm_seconds(const DecodeCost& c, Backend backend, const Efficiency& e,
                            double parallel) {
  if (c.batch <= 1 || e.compute_fraction <= 0 || c.gpu_flop_per_s <= 0)
    return std::numeric_limits<double>::infinity();
  const double b = d(c.batch);
  const double tile = gemm_tile_columns(backend);
  const double weights_per_sequence = (c.gpu_flop - c.gpu_attention_flop) / b;
  const double peak = c.gpu_flop_per_s * parallel;
  return std::ceil(b / tile) * tile * weights_per_sequence / (e.compute_fraction * peak) +
         c.gpu_attention_flop * e.decode_compute_factor / peak;
}

SpeedPrediction decode_speed(const DecodeCost& c, const HardwareSpec& hw, const Efficiency& e,
                             const EfficiencyTable& table) {
  SpeedPrediction s;
  const double n = d(c.parallel_gpus);
  const std::string memory = hw.kind == MemoryKind::kUnified ? "unified memory" : "GPU memory";
  s.cache_reread_bytes = table.cache_reread_fraction * c.kv_gpu_reread_bytes;
  const double gpu_bytes = c.gpu_bytes + s.cache_reread_bytes;
  s.read_bytes = gpu_bytes + c.host_bytes;
  const Term gpu_memory{memory,
                        gpu_bytes,
                        e.bandwidth_fraction * c.gpu_bandwidth_bytes_per_s * n,
                        0,
                        gpu_bytes / (e.bandwidth_fraction * c.gpu_bandwidth_bytes_per_s * n),
                        Bound::kMemory};
  s.terms.push_back(gpu_memory);
  // Decode does not overlap dequantization and dot products with the loads completely; the
  // calibration fits how much of the compute time adds to the memory time.
  if (e.decode_compute_factor > 0 && c.gpu_flop > 0) {
    const double rate = c.gpu_flop_per_s * n / e.decode_compute_factor;
    const double vector = c.gpu_flop / rate;
    const double gemm = batched_gemm_seconds(c, hw.backend, e, n);
    const double seconds = std::min(vector, gemm);
    s.terms.push_back(
        {seconds < vector ? "GPU compute (the batch's products as one GEMM)" : "GPU compute", 0,
         seconds < vector ? c.gpu_flop / seconds : rate, c.gpu_flop, seconds, Bound::kCompute});
    s.gpu_compute_seconds = seconds;
    s.gpu_gemm_seconds = std::isfinite(gemm) ? gemm : 0;
  }
  if (c.host_bytes > 0) {
    const double rate =
        cpu_fraction_for(table, hw.host_bandwidth_bytes_per_s) * hw.host_bandwidth_bytes_per_s;
    s.terms.push_back(
        {"host RAM (CPU)", c.host_bytes, rate, 0, c.host_bytes / rate, Bound::kMemory});
  }
  // The CPU's dequantization and dot products, at a fitted rate per core, add to its reads.
  if (c.host_flop > 0 && hw.host_cores > 0 && table.cpu_core_flop_per_s > 0) {
    const double rate = d(hw.host_cores) * table.cpu_core_flop_per_s;
    s.terms.push_back({"CPU compute", 0, rate, c.host_flop, c.host_flop / rate, Bound::kCompute});
  }
  if (c.streamed_bytes > 0) {
    const double rate = table.bus_fraction * hw.bus_bytes_per_s;
    s.terms.push_back({"bus (streamed weights)", c.streamed_bytes, rate, 0, c.streamed_bytes / rate,
                       Bound::kBus});
  }
  finish(s, c.comm_seconds + d(c.host_syncs) * e.layer_overhead_seconds,
         d(c.gpu_layers) * e.layer_overhead_seconds, d(c.batch));
  return s;
}

DecodeCost without_cache(const DecodeCost& c) {
  DecodeCost out = c;
  out.gpu_bytes = std::max(0.0, c.gpu_bytes - c.kv_gpu_bytes);
  out.host_bytes = std::max(0.0, c.host_bytes - c.kv_host_bytes);
  out.streamed_bytes = std::max(0.0, c.streamed_bytes - c.kv_streamed_bytes);
  out.gpu_flop = std::max(0.0, c.gpu_flop - c.gpu_attention_flop);
  out.host_flop = std::max(0.0, c.host_flop - c.host_attention_flop);
  out.kv_gpu_bytes = out.kv_host_bytes = out.kv_streamed_bytes = out.kv_gpu_reread_bytes = 0;
  out.gpu_attention_flop = out.host_attention_flop = 0;
  return out;
}

double cache_seconds(const DecodeCost& c, const HardwareSpec& hw, const Efficiency& e,
                     const EfficiencyTable& table) {
  return std::max(0.0, decode_speed(c, hw, e, table).seconds -
                           decode_speed(without_cache(c), hw, e, table).seconds);
}

SpeedPrediction prefill_speed(const PrefillCost& c, const HardwareSpec& hw, const Efficiency& e,
                              const EfficiencyTable& table) {
  SpeedPrediction s;
  // Without a GPU the CPU multiplies the prompt through every matrix at its fitted share of its
  // FP32 FMA peak.
  if (hw.backend == Backend::kCpu && table.cpu_prefill_fraction > 0) {
    const double rate = table.cpu_prefill_fraction * hw.fp16_flop_per_s;
    s.terms.push_back({"CPU compute", 0, rate, c.flop, c.flop / rate, Bound::kCompute});
    finish(s, 0, 0, d(c.prompt_tokens));
    return s;
  }
  const double pipeline = achieved_pipeline_speedup(table, c.pipeline_speedup);
  const double n = d(c.parallel_gpus) * pipeline;
  // Weight GEMMs at the compute fraction, attention at its own where fitted.
  const double attention_fraction =
      e.prefill_attention_fraction > 0 ? e.prefill_attention_fraction : e.compute_fraction;
  const double compute_seconds =
      (c.flop - c.attention_flop) / (e.compute_fraction * c.gpu_flop_per_s * n) +
      c.attention_flop / (attention_fraction * c.gpu_flop_per_s * n);
  const Term compute{"GPU compute",  0, c.flop / compute_seconds, c.flop, compute_seconds,
                     Bound::kCompute};
  const Term memory{"GPU memory",
                    c.weight_bytes,
                    e.bandwidth_fraction * c.gpu_bandwidth_bytes_per_s * n,
                    0,
                    c.weight_bytes / (e.bandwidth_fraction * c.gpu_bandwidth_bytes_per_s * n),
                    Bound::kMemory};
  s.terms.push_back(compute.seconds >= memory.seconds ? compute : memory);
  if (e.prefill_expert_factor > 0 && c.expert_flop > 0) {
    const double rate = c.gpu_flop_per_s * n / e.prefill_expert_factor;
    s.terms.push_back({"expert GEMMs (few tokens per expert)", 0, rate, c.expert_flop,
                       c.expert_flop / rate, Bound::kCompute});
  }
  if (e.prefill_quant_factor > 0 && c.quantized_flop > 0) {
    const double rate = c.gpu_flop_per_s * n / e.prefill_quant_factor;
    s.terms.push_back({"dequantization in the GEMMs", 0, rate, c.quantized_flop,
                       c.quantized_flop / rate, Bound::kCompute});
  }
  if (e.prefill_activation_factor > 0 && c.activation_bytes > 0) {
    const double rate = c.gpu_bandwidth_bytes_per_s * n / e.prefill_activation_factor;
    s.terms.push_back(
        {"activations", c.activation_bytes, rate, 0, c.activation_bytes / rate, Bound::kMemory});
  }
  if (c.bus_bytes > 0) {
    const double rate = table.bus_fraction * hw.bus_bytes_per_s;
    s.terms.push_back(
        {"bus (offloaded weights)", c.bus_bytes, rate, 0, c.bus_bytes / rate, Bound::kBus});
  }
  // A host synchronization stops the GPUs for as long as in decode, whatever the ubatch holds.
  finish(s, c.comm_seconds + d(c.host_syncs) * e.layer_overhead_seconds,
         d(c.layer_launches) * e.prefill_layer_overhead_seconds / pipeline, d(c.prompt_tokens));
  return s;
}

HardwareSpec cluster_of(const HardwareSpec& hw, int64_t nodes, const Link& link) {
  if (nodes <= 1) return hw;
  // Placement treats the nodes' GPUs as one pool split by layers; messages are counted per node
  // and per link in communication_seconds.
  HardwareSpec cluster = hw;
  cluster.id = fmt::format("{}x-{} over {}", nodes, hw.id, link.name);
  cluster.gpu_count = hw.gpu_count * nodes;
  // Each node has the same GPUs: a mixed machine's list repeats per node.
  if (!hw.gpus.empty()) {
    cluster.gpus.clear();
    for (int64_t n = 0; n < nodes; ++n)
      cluster.gpus.insert(cluster.gpus.end(), hw.gpus.begin(), hw.gpus.end());
  }
  return cluster;
}

// Seconds until the last of `prompts` prompts arriving together has its first token: one prefill
// of prompts x prompt tokens. Attention is counted as over one long prompt, an upper bound on N
// separate ones (small next to the weights at chat lengths).
double all_prompts_seconds(const ModelSpec& m, const ExecutionPlan& plan, const HardwareSpec& hw,
                           const PredictOptions& options, int64_t prompts, const Efficiency& e,
                           const EfficiencyTable& table) {
  PredictOptions all = options;
  all.prompt_tokens = options.prompt_tokens * prompts;
  return prefill_speed(prefill_cost(m, plan, hw, all, options.depth_tokens), hw, e, table).seconds;
}

HardwareSpec machine_for(const HardwareSpec& hw, const PredictOptions& options) {
  if (options.nodes <= 0) throw_input("--nodes: must be >= 1, got {}", options.nodes);
  // A cluster pools its nodes' GPUs; machines without one would pool host RAM, not modelled.
  if (options.nodes > 1 && hw.backend == Backend::kCpu) {
    throw_input(
        "--nodes {}: {} has no GPU, and a cluster of CPU-only machines is not modelled "
        "(a cluster here pools its nodes' GPU memory)",
        options.nodes, hw.id);
  }
  return cluster_of(hw, options.nodes, find_link(options.link));
}

Prediction predict_plan(const ModelSpec& m, const ExecutionPlan& plan, const HardwareSpec& hw,
                        const FitResult& fit, const PredictOptions& options,
                        const EfficiencyTable& table) {
  if (options.prompt_tokens <= 0)
    throw_input("--prompt: must be >= 1 token, got {}", options.prompt_tokens);
  if (options.depth_tokens < 0)
    throw_input("--depth: must be >= 0 tokens, got {}", options.depth_tokens);
  if (options.depth_tokens > 0 && options.depth_tokens + options.prompt_tokens > m.max_context) {
    throw_input("--depth {} + --prompt {} is beyond {}'s context of {} tokens",
                options.depth_tokens, options.prompt_tokens, m.id, m.max_context);
  }
  // The cache holds the conversation the prompt extends, and decode reads it at that length.
  const int64_t conversation = options.depth_tokens + options.prompt_tokens;
  if (options.depth_tokens > 0 && plan.workload.context_tokens < conversation) {
    throw_input(
        "--ctx {} cannot hold --depth {} + --prompt {} = {} tokens: give --ctx {} or more, or "
        "leave --ctx out (it then defaults to the conversation's length)",
        plan.workload.context_tokens, options.depth_tokens, options.prompt_tokens, conversation,
        conversation);
  }
  Prediction p;
  p.fit = fit;
  p.plan = plan;
  p.efficiency = efficiency_for(table, backend_name(hw.backend),
                                memory_class_name(memory_class(hw)), &p.efficiency_note);
  // Without a GPU the host class's CPU bandwidth fraction applies, not a GPU group's factors.
  if (plan.n_gpus == 0) p.efficiency_note.clear();
  if (p.fit.kind == FitKind::kNoFit) {
    p.reason = p.fit.summary;
    p.decode.tok_per_s = std::nan("");
    p.prefill.tok_per_s = std::nan("");
    p.ttft_seconds = std::nan("");
    p.ttft_all_seconds = std::nan("");
    return p;
  }
  p.decode_cost = decode_cost(m, plan, hw, options);
  p.prefill_cost = prefill_cost(m, plan, hw, options, options.depth_tokens);
  p.decode = decode_speed(p.decode_cost, hw, p.efficiency, table);
  p.decode.cache_seconds = cache_seconds(p.decode_cost, hw, p.efficiency, table);
  p.prefill = prefill_speed(p.prefill_cost, hw, p.efficiency, table);
  p.ttft_seconds = p.prefill.seconds;
  p.ttft_all_seconds = p.ttft_seconds;
  p.ttft_all_prompts = plan.workload.batch;
  if (plan.workload.batch > 1) {
    p.ttft_all_seconds =
        all_prompts_seconds(m, plan, hw, options, plan.workload.batch, p.efficiency, table);
  }
  p.placement = placement_kind(p.decode_cost, hw, plan.nodes);
  // The measured multi-GPU runs split by layer: a row or tensor split on one machine has no runs
  // of its own class, so its band is borrowed (and widened) from the pooled runs.
  const bool split_within_machine = splits_tensors(plan.split) && p.placement == "multi_gpu";
  p.band = error_band_for(
      table,
      split_within_machine ? std::string(split_mode_name(plan.split)) + "_split" : p.placement,
      backend_name(hw.backend), memory_class_name(memory_class(hw)));
  p.decode.error_band_fraction = p.band.decode;
  p.prefill.error_band_fraction = p.band.prefill;
  const Term* largest = &p.decode.terms.front();
  for (const auto& t : p.decode.terms) {
    if (t.seconds > largest->seconds) largest = &t;
  }
  const double share = largest->seconds / p.decode.seconds;
  if (largest->bound == Bound::kCompute) {
    p.reason = fmt::format("bound by compute: {:.1f} TFLOP/s effective ({:.0f}% of the step)",
                           flop_per_s_to_tflops(largest->bytes_per_s), 100 * share);
  } else if (largest->bound == Bound::kCommunication) {
    p.reason =
        fmt::format("bound by communication between devices ({:.0f}% of the step)", 100 * share);
  } else {
    p.reason = fmt::format(
        "bound by {} bandwidth: {:.2f} GB per token at {:.0f} GB/s effective "
        "({:.0f}% of the step)",
        largest->placement, bytes_to_gb(largest->bytes / d(plan.workload.batch)),
        bytes_per_s_to_gbs(largest->bytes_per_s), 100 * share);
  }
  if (p.decode.cache_reread_bytes > 0) {
    p.reason += fmt::format(
        "; of the bytes read, {:.2f} GB are the {} cache read again for each of the {:.0f} query "
        "heads per KV head (llama.cpp's vector attention kernel; {:.0f}% of re-reads from "
        "memory, the rest from L2: fitted)",
        bytes_to_gb(p.decode.cache_reread_bytes / d(plan.workload.batch)),
        plan.workload.kv_cache.name, d(m.n_heads) / d(m.n_kv_heads),
        100 * table.cache_reread_fraction);
  }
  if (p.decode_cost.host_syncs > 0) {
    p.reason += fmt::format(
        "; row split stops every GPU {} times per token (after each of the {} matrix products it "
        "splits per layer), each costed as one layer's fixed overhead ({:.0f} us, fitted): {:.1f} "
        "ms per token, which --split tensor avoids",
        p.decode_cost.host_syncs, kRowSplitProductsPerLayer,
        p.efficiency.layer_overhead_seconds * 1e6,
        d(p.decode_cost.host_syncs) * p.efficiency.layer_overhead_seconds * 1e3);
  }
  if (plan.nodes > 1) p.reason += "; " + cluster_reason(plan, p.decode_cost, options);
  return p;
}

ChosenPlan choose_plan(const ModelSpec& m, const WeightInventory& inv, const HardwareSpec& hw_in,
                       const Workload& w, const PredictOptions& options, const LlamaArgs* args,
                       const QuantCatalog& catalog) {
  ChosenPlan c;
  // One pipeline over all nodes: the hops are added by communication_seconds.
  c.machine = machine_for(hw_in, options);
  c.node = hw_in;
  if (args != nullptr) {
    if (options.offload != OffloadMode::kAuto) {
      throw_usage("--offload {} and --llama-args both place tensors: give one of them",
                  offload_mode_name(options.offload));
    }
    c.plan = plan_from_llama_args(m, inv, c.machine, *args, w, catalog, c.notes);
    if (!args->split) c.plan.split = options.split;
    c.plan.nodes = options.nodes;
    c.fit = fit_of_plan(c.plan, m, c.machine);
    c.from_command_line = true;
    return c;
  }
  if (options.split == SplitMode::kNone && c.machine.gpu_count > 1) {
    // One GPU holds everything offloaded (llama.cpp -sm none): the others are not used.
    c.machine.gpu_count = 1;
    // The main GPU, GPU 0: a mixed machine's top-level figures are already GPU 0's.
    c.machine.gpus.clear();
    c.notes.emplace_back("--split none: one GPU of the machine is used");
  }
  c.fit = fit_model(m, inv, c.machine, w);
  if (options.offload == OffloadMode::kNone && !fits_at_least(c.fit.kind, FitKind::kMultiGpu)) {
    throw_input("--offload none: {} does not fit {} without offloading ({})", m.id, c.machine.id,
                c.fit.summary);
  }
  c.plan = plan_from_fit(m, inv, c.machine, w, c.fit, options.offload);
  c.plan.split = options.split;
  c.plan.nodes = options.nodes;
  return c;
}

Prediction predict_chosen(const ModelSpec& m, const ChosenPlan& chosen,
                          const PredictOptions& options, const EfficiencyTable& table) {
  return predict_plan(m, chosen.plan, chosen.machine, chosen.fit, options, table);
}

Prediction predict(const ModelSpec& m, const WeightInventory& inv, const HardwareSpec& hw_in,
                   const Workload& w, const PredictOptions& options, const EfficiencyTable& table) {
  const QuantCatalog no_catalog;
  return predict_chosen(m, choose_plan(m, inv, hw_in, w, options, nullptr, no_catalog), options,
                        table);
}

std::string engine_basis(const EngineFactors& e) {
  const bool few = !engine_has_own_band(e);
  const std::string measured =
      !e.factors_of.empty() ? fmt::format("{}'s factor: {}", e.factors_of, e.factors_why)
      : against_physics_only(e)
          ? fmt::format("its {} published run{} against llama.cpp's physics on the same plans",
                        e.decode_pairs, e.decode_pairs == 1 ? "" : "s")
      : e.decode_physics_pairs > 0
          ? fmt::format(
                "median of {} published runs: {} beside llama.cpp runs on the same "
                "machine and model, {} against llama.cpp's physics on the same plans",
                e.decode_pairs, e.decode_pairs - e.decode_physics_pairs, e.decode_physics_pairs)
          : fmt::format("median of {} published pair{} on the same machine and model",
                        e.decode_pairs, e.decode_pairs == 1 ? "" : "s");
  const std::string cache =
      e.cache_ratio > 0
          ? fmt::format(
                ", and {:.1f}x its time per cached token (the KV reads and attention; {} "
                "runs at {} tokens of depth or more, of the builds they were published with: "
                "later builds may fall off less with depth)",
                e.cache_ratio, e.cache_pairs, kCacheFitDepthTokens)
          : "";
  return fmt::format(
      "{}: {:.2f}x llama.cpp's decode{}{} ({}{})", e.name, e.decode_ratio,
      e.prefill_pairs > 0 ? fmt::format(", {:.2f}x its prefill", e.prefill_ratio) : "", cache,
      measured, few ? ", too few for a band of their own" : "");
}

namespace {

// Several users in an engine with a fitted batched share (engine_step_seconds): the decode step,
// the term that says how the other sequences' products were costed, and the sentence for it.
std::string batched_engine_decode(Prediction& p, const EngineFactors& e) {
  const int64_t batch = p.decode_cost.batch;
  const double n = d(batch);
  const double flop_per_sequence = p.decode_cost.gpu_flop / n;
  const double peak = p.decode_cost.gpu_flop_per_s * d(p.decode_cost.parallel_gpus);
  const double comm = p.decode.communication_seconds;
  const double physics = p.decode.seconds - comm;
  const double gemm = p.decode.gpu_gemm_seconds;
  p.decode.seconds = comm + engine_step_seconds(e, batch, physics, p.decode.gpu_compute_seconds,
                                                flop_per_sequence, peak, gemm);
  const double vector = comm + engine_step_seconds(e, batch, physics, p.decode.gpu_compute_seconds,
                                                   flop_per_sequence, peak, 0);
  p.decode.tok_per_s = n / p.decode.seconds;
  // As for an engine's own factor: fewer runs than a band needs widen it by half.
  p.decode.error_band_fraction +=
      e.batch_pairs >= kMinBandRows ? e.batch_spread : std::max(e.batch_spread, 0.5);
  const std::string runs =
      fmt::format("{} published run{} at concurrency beside a single-stream run{}", e.batch_pairs,
                  e.batch_pairs == 1 ? "" : "s",
                  e.batch_pairs >= kMinBandRows ? "" : ", too few for a band of their own");
  if (p.decode.seconds < vector) {
    p.decode.terms.push_back({fmt::format("the batch's products as one tiled GEMM ({})", e.name), 0,
                              p.decode_cost.gpu_flop / gemm, p.decode_cost.gpu_flop, gemm,
                              Bound::kCompute});
    return fmt::format(
        "; {} users: {} computes the batch's products as one tiled GEMM at the prefill share of "
        "the GPU's FP16 peak, faster than its vector kernel per sequence at {:.0f}% ({}), {:.1f} "
        "tok/s together",
        batch, e.name, 100 * e.batch_flop_fraction, runs, p.decode.tok_per_s);
  }
  const double rate = peak * e.batch_flop_fraction;
  const double flop = flop_per_sequence * (n - 1);
  p.decode.terms.push_back(
      {fmt::format("other {} sequences' products ({}, batched)", batch - 1, e.name), 0, rate, flop,
       flop / rate, Bound::kCompute});
  return fmt::format(
      "; {} users: {} computes the other sequences' products at {:.0f}% of the GPU's FP16 peak "
      "(its {}), {:.1f} tok/s together",
      batch, e.name, 100 * e.batch_flop_fraction, runs, p.decode.tok_per_s);
}

}  // namespace

Prediction with_engine(Prediction p, const EngineFactors& e) {
  p.engine = e.name;
  if (p.fit.kind == FitKind::kNoFit) return p;
  // The engine's kernels run at its ratio; the link's communication stays as it is.
  auto scale = [](SpeedPrediction& s, double ratio) {
    const double tokens = s.tok_per_s * s.seconds;
    s.seconds = engine_seconds(s.seconds, s.communication_seconds, ratio);
    s.tok_per_s = tokens / s.seconds;
  };
  std::string batch_text;
  if (p.decode_cost.batch > 1 && e.batch_flop_fraction > 0 && p.decode_cost.gpu_flop > 0 &&
      p.decode_cost.gpu_flop_per_s > 0) {
    batch_text = batched_engine_decode(p, e);
  } else {
    // The engine's step (engine_decode_seconds: the cached tokens at its cache factor where it
    // has one, the rest at its ratio, the link as it is).
    const double tokens = p.decode.tok_per_s * p.decode.seconds;
    const double physics_cache = p.decode.cache_seconds;
    p.decode.seconds =
        engine_decode_seconds(e, p.decode.seconds, physics_cache, p.decode.communication_seconds);
    p.decode.cache_seconds =
        physics_cache * (e.cache_ratio > 0 ? e.cache_ratio : 1.0 / e.decode_ratio);
    p.decode.tok_per_s = tokens / p.decode.seconds;
  }
  scale(p.prefill, e.prefill_ratio);
  p.ttft_seconds = engine_seconds(p.ttft_seconds, p.prefill.communication_seconds, e.prefill_ratio);
  p.ttft_all_seconds =
      engine_seconds(p.ttft_all_seconds, p.prefill.communication_seconds, e.prefill_ratio);
  p.decode.error_band_fraction +=
      engine_has_own_band(e) ? e.decode_spread : std::max(e.decode_spread, 0.5);
  if (e.prefill_pairs < kMinBandRows) p.prefill.error_band_fraction += 0.5;
  p.reason = fmt::format("{}{}; llama.cpp's physics: {}", engine_basis(e), batch_text, p.reason);
  return p;
}

double per_sequence_tok_per_s(const Prediction& p) {
  return p.decode.tok_per_s / static_cast<double>(std::max<int64_t>(1, p.plan.workload.batch));
}

std::string placement_kind(const DecodeCost& cost, const HardwareSpec& machine, int64_t nodes) {
  if (cost.gpu_bytes <= 0 && cost.host_bytes > 0) return "cpu";
  if (cost.host_bytes > 0 || cost.streamed_bytes > 0) return "partial_offload";
  if (nodes > 1) return "cluster";
  if (machine.gpu_count > 1) return "multi_gpu";
  return "resident";
}

const char* bound_name(Bound bound) {
  switch (bound) {
    case Bound::kMemory:
      return "memory";
    case Bound::kCompute:
      return "compute";
    case Bound::kBus:
      return "bus";
    case Bound::kCommunication:
      return "communication";
  }
  return "memory";
}

std::string band_text(const SpeedPrediction& speed, const std::string& none) {
  if (!std::isfinite(speed.tok_per_s) || speed.error_band_fraction <= 0) return none;
  return fmt::format("+-{:.0f}%", 100 * speed.error_band_fraction);
}

namespace {

// A row the engine cannot run here: no fit, with its reason, and no speeds.
Prediction refused(Prediction p, const std::string& why) {
  p.fit.kind = FitKind::kNoFit;
  p.fit.summary = why;
  p.reason = why;
  p.decode.tok_per_s = std::nan("");
  p.prefill.tok_per_s = std::nan("");
  p.ttft_seconds = std::nan("");
  p.ttft_all_seconds = std::nan("");
  return p;
}

// ExLlamaV2 and V3 hold the whole model on their GPUs or do not load (no CPU offload): their own
// memory (exllama_memory.h) decides, and a model ExLlamaV2 does not run is refused the same way.
// Where ExLlamaV3's memory is not modelled (layers it runs that the model has no rule for),
// llama.cpp's plan stands and the reason says so.
Prediction with_exllama_memory(Prediction p, const ModelSpec& m, const WeightInventory& weights,
                               const HardwareSpec& hw, const Workload& w,
                               const ExllamaOptions& options) {
  if (const auto why = exllama_not_modelled(m, hw, options); !why.empty()) {
    p.reason += fmt::format("; {}: the memory and plan are llama.cpp's", why);
    return p;
  }
  try {
    p.exllama_memory = exllama_memory(m, weights, hw, w, options);
  } catch (const Error& e) {
    return refused(p, e.what());
  }
  const auto& x = *p.exllama_memory;
  if (!x.fits) return refused(p, x.engine + " " + x.reason);
  p.reason += fmt::format("; {}'s own memory: {}", x.engine, x.reason);
  return p;
}

}  // namespace

Prediction predict_with_engine(const ModelSpec& m, const WeightInventory& weights,
                               const Workload& w, const ChosenPlan& chosen,
                               const Prediction& prediction, const PredictOptions& options,
                               const EngineFactors& engine, const QuantCatalog& catalog,
                               const EfficiencyTable& table) {
  const auto& hw = chosen.machine;
  // Another engine's own kernels read the cache once per KV head (its factors are fitted so), and
  // it has no host synchronizations of llama.cpp's row split.
  const bool own_cache_reads =
      engine.name != options.engine &&
      (prediction.decode_cost.kv_gpu_reread_bytes > 0 || prediction.decode_cost.host_syncs > 0);
  PredictOptions engine_options = options;
  engine_options.engine = engine.name;
  const Prediction prediction_own =
      own_cache_reads ? predict_chosen(m, chosen, engine_options, table) : prediction;
  if (is_exllama(engine.name)) {
    const auto exllama = exllama_options(options.split, engine.name);
    // Neither ExLlama has a multi-node mode: its GPUs are one machine's.
    if (options.nodes > 1) {
      return refused(with_engine(prediction_own, engine),
                     fmt::format("{} runs on one machine: it has no mode over {} nodes",
                                 exllama_name(exllama), options.nodes));
    }
    if (!chosen.from_command_line)
      return with_exllama_memory(with_engine(prediction_own, engine), m, weights, hw, w, exllama);
  }
  // vLLM starts only where its weights, buffers and one context's KV cache fit its share of every
  // GPU (vllm_memory.h; it does not offload), and runs as many sequences at once as its cache
  // holds at the workload's context: the others wait in its queue.
  Workload running = w;
  Prediction base = prediction_own;
  std::string queue;
  std::optional<VllmMemory> vllm;
  int64_t admitted = w.batch;
  if (engine.name == "vllm" && !chosen.from_command_line) {
    try {
      vllm = vllm_memory(m, weights, hw, w);
    } catch (const Error& e) {
      return refused(with_engine(prediction_own, engine), e.what());
    }
    if (!vllm->starts) {
      auto p = with_engine(prediction_own, engine);
      p.vllm_memory = vllm;
      return refused(p, "vLLM " + vllm->reason);
    }
    running.batch =
        std::clamp<int64_t>(static_cast<int64_t>(std::floor(vllm->max_concurrency)), 1, w.batch);
    admitted = vllm_admitted_prompts(*vllm, w.batch, options.depth_tokens + options.prompt_tokens);
    if (running.batch < w.batch) {
      const auto held = choose_plan(m, weights, chosen.node, running, options, nullptr, catalog);
      if (held.fit.kind != FitKind::kNoFit) base = predict_chosen(m, held, engine_options, table);
      queue = vllm_queue_text(*vllm, w, running.batch, admitted,
                              options.depth_tokens + options.prompt_tokens);
    }
  }
  // vLLM's paged cache takes a new sequence while blocks for its prompt are free: the prompts
  // arriving together are prefilled as far as the cache holds them, not only as many as it
  // holds at the full context; any beyond wait for a sequence to finish (not predicted).
  auto admit = [&](Prediction& p, const ChosenPlan& plan, const PredictOptions& opts) {
    if (!vllm || p.fit.kind == FitKind::kNoFit || admitted == p.plan.workload.batch) return;
    p.ttft_all_prompts = admitted;
    p.ttft_all_seconds = admitted < w.batch ? std::nan("")
                                            : all_prompts_seconds(m, p.plan, plan.machine, opts,
                                                                  admitted, p.efficiency, table);
  };
  auto finished = [&](Prediction p) {
    p.reason = queue + p.reason;
    p.vllm_memory = vllm;
    return p;
  };
  // vLLM splits a model over a machine's GPUs, exo over a cluster's Macs, in tensor parallel.
  const bool tensor_parallel_engine =
      (engine.name == "vllm" && hw.gpu_count >= 2) || (engine.name == "exo" && options.nodes >= 2);
  if (!tensor_parallel_engine || chosen.from_command_line || options.split != SplitMode::kLayer) {
    admit(base, chosen, options);
    return finished(with_engine(base, engine));
  }
  PredictOptions tensor = engine_options;
  tensor.split = SplitMode::kTensor;
  const auto parallel = choose_plan(m, weights, chosen.node, running, tensor, nullptr, catalog);
  if (parallel.fit.kind == FitKind::kNoFit) {
    admit(base, chosen, options);
    return finished(with_engine(base, engine));
  }
  auto tensor_prediction = predict_chosen(m, parallel, tensor, table);
  admit(tensor_prediction, parallel, tensor);
  auto p = with_engine(tensor_prediction, engine);
  const std::string over = engine.name == "exo"
                               ? fmt::format("{} nodes over {}", options.nodes, options.link)
                               : fmt::format("{} GPUs", hw.gpu_count);
  p.reason =
      fmt::format("tensor parallel over {} in {}: {:.1f} tok/s; llama.cpp's {}: {:.1f} tok/s. {}",
                  over, engine.name == "exo" ? "exo" : "vLLM", p.decode.tok_per_s,
                  options.nodes >= 2 ? "pipeline over the nodes" : "layer split",
                  prediction_own.decode.tok_per_s, p.reason);
  return finished(p);
}

}  // namespace hwplan::planner
