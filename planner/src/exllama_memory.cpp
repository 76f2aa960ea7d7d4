#include "planner/exllama_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/error.h"
#include "common/units.h"

namespace hwplan::planner {
namespace {

double d(int64_t v) { return static_cast<double>(v); }

// ExLlamaV2 keeps activations, rotary tables and dequantized matrices in FP16.
constexpr double kHalf = 2.0;
// A quantized cache stores one FP16 scale per 32 values (exllamav2 cache.py).
constexpr double kScaleBytesPerValue = 2.0 / 32.0;

// Its largest FFN: the dense width, or the experts a token uses, or the shared experts.
double widest_ffn(const ModelSpec& m) {
  if (!is_moe(m)) return d(m.ffn_size);
  return std::max({d(m.ffn_size), d(m.moe.n_experts_per_token * m.moe.expert_ffn_size),
                   d(m.moe.shared_ffn_size)});
}

// The shares of one GPU's modules: `heads` of the attention heads and `widths` of the FFN and
// vocabulary (1 and 1 for the layer split, where a GPU holds whole layers).
struct Shares {
  double heads = 1.0;
  double widths = 1.0;
};

// The buffers ExLlamaV2's device map reserves on every GPU it uses (model.py set_device_map and
// the modules' scratch_space): the rotary sin/cos tables for the whole context, one forward
// pass's hidden state and mask, the largest module's scratch (hidden state, Q/K/V or the FFN's
// two intermediates, a matrix dequantized to FP16 up to max_dq_size, GQA's expanded K/V) and the
// attention workspace, as its flash-attention path sizes it.
double buffer_bytes(const ModelSpec& m, const Workload& w, const ExllamaOptions& o, Shares s) {
  const double len = d(o.max_input_len) * d(w.batch);
  const double ctx = d(w.context_tokens);
  const double q_width = d(m.n_heads * m.head_dim) * s.heads;
  const double kv_width = d(m.n_kv_heads * m.head_dim) * s.heads;
  const double hidden = d(m.hidden_size);
  auto dequantized = [&](double elements) {
    return kHalf * std::min(elements, o.max_dequantized_elements);
  };
  const double rotary = d(m.head_dim) * ctx * kHalf * 2;  // sin and cos
  const double state = len * hidden * kHalf;
  const double mask = d(o.max_input_len) * d(o.max_input_len) * d(w.batch) * kHalf;
  const double attention_scratch =
      len * std::max(q_width, hidden) * kHalf + len * q_width * kHalf + 2 * len * kv_width * kHalf +
      dequantized(hidden * std::max(q_width, kv_width)) +
      (m.n_kv_heads != m.n_heads ? 2 * ctx * d(w.batch) * q_width * kHalf : 0.0);
  const double ffn = widest_ffn(m) * s.widths;
  const double ffn_scratch =
      len * hidden * kHalf + 2 * len * ffn * kHalf + dequantized(hidden * ffn);
  const double head_scratch = dequantized(hidden * d(m.vocab_size) * s.widths);
  // Flash attention's workspace: ExLlamaV2 shrinks the score buffer by sqrt(size) / 190.
  const double scores = std::min(d(o.max_attention_size), ctx * ctx);
  const double shrink = std::sqrt(d(o.max_attention_size)) / 190.0;
  const double workspace = 2 * std::floor(scores / shrink) * d(m.n_heads) * s.heads * kHalf;
  return rotary + state + mask + std::max({attention_scratch, ffn_scratch, head_scratch}) +
         workspace;
}

// What in the model or split ExLlamaV2's memory model has no rule for: ExLlamaV2 does not run
// it; ExLlamaV3 runs some of it, with a memory this model does not describe. Empty `what`: none.
struct Unmodelled {
  std::string what;              ///< "deepseek-v3 has MLA attention layers"
  bool tensor_parallel = false;  ///< a limit of the tensor-parallel split only
};

Unmodelled unmodelled(const ModelSpec& m, const HardwareSpec& hw, const ExllamaOptions& o) {
  auto count = [&](LayerKind kind) {
    return std::count(m.layer_kinds.begin(), m.layer_kinds.end(), kind);
  };
  if (m.attention == AttentionKind::kMla) return {m.id + " has MLA attention layers"};
  if (count(LayerKind::kLinearAttention) > 0) return {m.id + " has linear-attention layers"};
  if (!o.tensor_parallel || hw.gpu_count <= 1) return {};
  if (count(LayerKind::kSlidingAttention) > 0) return {m.id + " has sliding-window layers", true};
  if (m.n_kv_heads < hw.gpu_count) {
    return {fmt::format("{} KV heads of {} do not split over {} GPUs", m.n_kv_heads, m.id,
                        hw.gpu_count),
            true};
  }
  return {};
}

void check_runs(const ModelSpec& m, const HardwareSpec& hw, const ExllamaOptions& o) {
  const std::string engine = o.version == 3 ? "exllamav3" : "exllamav2";
  if (hw.kind != MemoryKind::kDiscrete ||
      (hw.backend != Backend::kCuda && hw.backend != Backend::kRocm)) {
    throw_input("{}: {} is not a CUDA or ROCm GPU machine", engine, hw.id);
  }
  if (const auto why = exllama_not_modelled(m, hw, o); !why.empty()) {
    throw_input("{}: {}", engine, why);
  }
  // Architectures released after ExLlamaV2's last model additions: exllamav2's architecture.py
  // has no entry for them, and an unknown architecture loads as Llama, which these are not.
  static const std::set<std::string> kNotInExllamaV2 = {"gpt_oss", "llama4", "llama4_text",
                                                        "glm4_moe", "minimax_m2"};
  if (o.version == 2 && kNotInExllamaV2.contains(m.architecture)) {
    throw_input("exllamav2: {} is a {} model, an architecture ExLlamaV2 does not have", m.id,
                m.architecture);
  }
  const auto u = unmodelled(m, hw, o);
  if (u.what.empty()) return;
  throw_input("exllamav2: {}, which {} does not run", u.what,
              u.tensor_parallel ? "its tensor parallel" : "ExLlamaV2");
}

struct Cache {
  double element = 0;       ///< bytes per cached K or V value
  double per_head = 0;      ///< K and V of one KV head, one layer, the whole workload
  double staging_head = 0;  ///< the FP16 copy of the same a quantized cache expands into
};

// The tokens its cache holds: every sequence's context, in whole pages (ExLlamaV3's 256).
int64_t cache_tokens(const Workload& w, const ExllamaOptions& o) {
  const int64_t page = std::max<int64_t>(1, o.page_tokens);
  return (w.context_tokens * w.batch + page - 1) / page * page;
}

Cache cache_of(const ModelSpec& m, const Workload& w, const ExllamaOptions& o,
               const std::string& mode) {
  Cache c;
  c.element = exllama_cache_element_bytes(mode);
  const double values = 2 * d(m.head_dim) * d(cache_tokens(w, o));
  c.per_head = values * c.element;
  c.staging_head = mode == "FP16" ? 0.0 : values * kHalf;
  return c;
}

// The automatic split: GPU after GPU, as many whole layers as fit beside the buffers; the head
// with the last layer.
void layer_split(const ModelSpec& m, const WeightInventory& weights, const HardwareSpec& hw,
                 const Workload& w, const ExllamaOptions& o, const Cache& cache, ExllamaMemory& x) {
  const double layer_kv = d(m.n_kv_heads) * cache.per_head;
  // A quantized cache is expanded one layer at a time into an FP16 staging copy on each GPU.
  const double buffers =
      buffer_bytes(m, w, o, {}) + d(m.n_kv_heads) * cache.staging_head + o.reserve_bytes;
  // The embedding stays in host memory (ExLlamaV2 loads it to the CPU by default); the head goes
  // with the last layer: a tied model's is the embedding matrix again, at the head's bitrate (the
  // inventory sizes a tied embedding at the output's type).
  const double head = layer_weight_bytes(weights, m.n_layers) +
                      (m.tied_embeddings ? layer_weight_bytes(weights, -1) : 0.0);
  int64_t layer = 0;
  for (int64_t g = 0; g < std::max<int64_t>(1, hw.gpu_count) && layer < m.n_layers; ++g) {
    const auto gpu = gpu_spec(hw, g);
    ExllamaDevice dev;
    dev.gpu = g;
    dev.kv_heads = m.n_kv_heads;
    dev.capacity_bytes = gpu.memory_bytes - gpu.gpu_memory_reserved_bytes;
    dev.runtime_bytes = gpu.runtime_overhead_bytes;
    dev.buffers_bytes = buffers;
    while (layer < m.n_layers) {
      const double add = layer_weight_bytes(weights, layer) + layer_kv;
      const double last = layer + 1 == m.n_layers ? head : 0.0;
      if (dev.total_bytes() + add + last > dev.capacity_bytes) break;
      dev.weights_bytes += layer_weight_bytes(weights, layer) + last;
      dev.kv_bytes += layer_kv;
      dev.output = last > 0;
      ++dev.layers;
      ++layer;
    }
    if (dev.layers > 0) x.devices.push_back(dev);
  }
  x.layers_placed = layer;
  x.fits = layer == m.n_layers;
  x.need_bytes = head + d(m.n_layers) * layer_kv +
                 d(std::max<int64_t>(1, static_cast<int64_t>(x.devices.size()))) *
                     (buffers + gpu_spec(hw, 0).runtime_overhead_bytes);
  for (int64_t l = 0; l < m.n_layers; ++l) x.need_bytes += layer_weight_bytes(weights, l);
}

// Tensor parallel: every GPU holds a share of every layer, the KV heads dealt out as evenly as
// they go (8 over 3 GPUs: 3, 3, 2) with the attention weights and cache that follow them, the
// FFN, experts and head split evenly, norms and routers on each.
void tensor_split(const ModelSpec& m, const WeightInventory& weights, const HardwareSpec& hw,
                  const Workload& w, const ExllamaOptions& o, const Cache& cache,
                  ExllamaMemory& x) {
  const int64_t n = hw.gpu_count;
  const double head = layer_weight_bytes(weights, m.n_layers) +
                      (m.tied_embeddings ? layer_weight_bytes(weights, -1) : 0.0);
  x.fits = true;
  for (int64_t g = 0; g < n; ++g) {
    const auto gpu = gpu_spec(hw, g);
    ExllamaDevice dev;
    dev.gpu = g;
    dev.layers = m.n_layers;
    dev.output = true;
    dev.kv_heads = m.n_kv_heads / n + (g < m.n_kv_heads % n ? 1 : 0);
    const double head_share = d(dev.kv_heads) / d(m.n_kv_heads);
    const double share = 1.0 / d(n);
    for (int64_t layer = 0; layer < m.n_layers; ++layer) {
      const double attention = class_weight_bytes(weights, TensorClass::kAttention, layer);
      const double replicated = class_weight_bytes(weights, TensorClass::kNorm, layer) +
                                class_weight_bytes(weights, TensorClass::kRouter, layer);
      const double split = layer_weight_bytes(weights, layer) - attention - replicated;
      dev.weights_bytes += attention * head_share + split * share + replicated;
    }
    dev.weights_bytes += head * share;
    dev.kv_bytes = d(m.n_layers) * d(dev.kv_heads) * cache.per_head;
    dev.buffers_bytes = buffer_bytes(m, w, o, {head_share, share}) +
                        d(dev.kv_heads) * cache.staging_head + o.reserve_bytes;
    dev.capacity_bytes = gpu.memory_bytes - gpu.gpu_memory_reserved_bytes;
    dev.runtime_bytes = gpu.runtime_overhead_bytes;
    x.fits = x.fits && dev.total_bytes() <= dev.capacity_bytes;
    x.devices.push_back(dev);
  }
  x.layers_placed = x.fits ? m.n_layers : 0;
  for (const auto& dev : x.devices) x.need_bytes += dev.total_bytes();
}

std::string summary(const ModelSpec& m, const HardwareSpec& hw, const Workload& w,
                    const ExllamaMemory& x) {
  const int64_t tokens = w.context_tokens * w.batch;
  const auto used = static_cast<int64_t>(x.devices.size());
  const std::string split = x.tensor_parallel ? "tensor parallel" : "automatic split";
  if (x.fits) {
    double cache = 0;  // ExLlamaV3's in whole pages
    for (const auto& dev : x.devices) cache += dev.kv_bytes;
    return fmt::format("{} layers on {} GPU{} ({}), {} cache {:.1f} GiB for {} token{}", m.n_layers,
                       used, used == 1 ? "" : "s", split, x.cache_mode, bytes_to_gib(cache), tokens,
                       tokens == 1 ? "" : "s");
  }
  const std::string placed =
      x.tensor_parallel
          ? fmt::format(
                "a GPU's share of every layer exceeds its memory in tensor parallel over "
                "{} GPUs",
                used)
          : fmt::format("{} of {} layers placed on {} GPU{}", x.layers_placed, m.n_layers,
                        std::max<int64_t>(1, hw.gpu_count), hw.gpu_count <= 1 ? "" : "s");
  return fmt::format(
      "does not fit: {} ({} cache, {} tokens); {} does not offload to the CPU: a lower "
      "bitrate, a quantized cache (--kv-type q4_0) or a smaller --ctx",
      placed, x.cache_mode, tokens, x.engine);
}

}  // namespace

bool is_exllama(const std::string& engine) {
  return engine == "exllamav2" || engine == "exllamav3";
}

const char* exllama_name(const ExllamaOptions& o) {
  return o.version == 3 ? "ExLlamaV3" : "ExLlamaV2";
}

ExllamaOptions exllama_options(SplitMode split, const std::string& engine) {
  ExllamaOptions o;
  o.tensor_parallel = split == SplitMode::kTensor || split == SplitMode::kRow;
  if (engine == "exllamav3") {
    // exllamav3 cache/quant.py and fp16.py: max_num_tokens a multiple of PAGE_SIZE (256);
    // model.load_gen: reserve_per_device defaults to 0.5 GiB on every device.
    o.version = 3;
    o.page_tokens = 256;
    o.reserve_bytes = gib_to_bytes(0.5);
  }
  return o;
}

std::string exllama_cache_mode(const KvCacheType& kv, int version) {
  const std::string& n = kv.name;
  if (n == "F16" || n == "BF16" || n == "F32") return "FP16";
  if (n == "Q8_0") return "Q8";
  if (n == "Q5_0" || n == "Q5_1") return version == 3 ? "Q5" : "Q6";
  return "Q4";
}

double exllama_cache_element_bytes(const std::string& mode) {
  if (mode == "FP16") return kHalf;
  const double bits = mode == "Q8" ? 8 : mode == "Q6" ? 6 : mode == "Q5" ? 5 : 4;
  return bits / 8 + kScaleBytesPerValue;
}

std::string exllama_not_modelled(const ModelSpec& m, const HardwareSpec& hw,
                                 const ExllamaOptions& o) {
  if (o.version != 3) return "";
  const auto u = unmodelled(m, hw, o);
  if (u.what.empty()) return "";
  return fmt::format("ExLlamaV3's own memory is not modelled where {}{}", u.what,
                     u.tensor_parallel ? " (tensor parallel)" : "");
}

ExllamaMemory exllama_memory(const ModelSpec& m, const WeightInventory& weights,
                             const HardwareSpec& hw, const Workload& w, const ExllamaOptions& o) {
  check_runs(m, hw, o);
  ExllamaMemory x;
  x.engine = exllama_name(o);
  x.cache_mode = exllama_cache_mode(w.kv_cache, o.version);
  x.tensor_parallel = o.tensor_parallel && hw.gpu_count > 1;
  const Cache cache = cache_of(m, w, o, x.cache_mode);
  // K and V of every KV head of every layer, per token of one sequence.
  x.kv_bytes_per_token = 2 * d(m.n_kv_heads * m.head_dim) * cache.element * d(m.n_layers);
  if (x.tensor_parallel) {
    tensor_split(m, weights, hw, w, o, cache, x);
  } else {
    layer_split(m, weights, hw, w, o, cache, x);
  }
  x.host_bytes = layer_weight_bytes(weights, -1);  // the embedding, tied or not
  x.reason = summary(m, hw, w, x);
  return x;
}

int64_t exllama_max_context(const ModelSpec& m, const WeightInventory& weights,
                            const HardwareSpec& hw, Workload w, const ExllamaOptions& o) {
  constexpr int64_t kStep = 256;
  auto fits = [&](int64_t steps) {
    w.context_tokens = steps * kStep;
    return exllama_memory(m, weights, hw, w, o).fits;
  };
  // Memory grows with the context, so the longest that fits is found by bisection.
  int64_t lo = 0;
  int64_t hi = m.max_context / kStep;
  if (hi > 0 && fits(hi)) return std::min(hi * kStep, m.max_context);
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo * kStep;
}

}  // namespace hwplan::planner
