#include "planner/exllama_memory.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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

// The buffers ExLlamaV2's device map reserves on every GPU it uses (model.py set_device_map and
// the modules' scratch_space): the rotary sin/cos tables for the whole context, one forward
// pass's hidden state and mask, the largest module's scratch (hidden state, Q/K/V or the FFN's
// two intermediates, a matrix dequantized to FP16 up to max_dq_size, GQA's expanded K/V) and the
// attention workspace, as its flash-attention path sizes it.
double buffer_bytes(const ModelSpec& m, const Workload& w, const ExllamaOptions& o) {
  const double len = d(o.max_input_len) * d(w.batch);
  const double ctx = d(w.context_tokens);
  const double q_width = d(m.n_heads * m.head_dim);
  const double kv_width = d(m.n_kv_heads * m.head_dim);
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
  const double ffn = widest_ffn(m);
  const double ffn_scratch =
      len * hidden * kHalf + 2 * len * ffn * kHalf + dequantized(hidden * ffn);
  const double head_scratch = dequantized(hidden * d(m.vocab_size));
  // Flash attention's workspace: ExLlamaV2 shrinks the score buffer by sqrt(size) / 190.
  const double scores = std::min(d(o.max_attention_size), ctx * ctx);
  const double shrink = std::sqrt(d(o.max_attention_size)) / 190.0;
  const double workspace = 2 * std::floor(scores / shrink) * d(m.n_heads) * kHalf;
  return rotary + state + mask + std::max({attention_scratch, ffn_scratch, head_scratch}) +
         workspace;
}

}  // namespace

std::string exllama_cache_mode(const KvCacheType& kv) {
  const std::string& n = kv.name;
  if (n == "F16" || n == "BF16" || n == "F32") return "FP16";
  if (n == "Q8_0") return "Q8";
  if (n == "Q5_0" || n == "Q5_1") return "Q6";
  return "Q4";
}

double exllama_cache_element_bytes(const std::string& mode) {
  if (mode == "FP16") return kHalf;
  const double bits = mode == "Q8" ? 8 : mode == "Q6" ? 6 : 4;
  return bits / 8 + kScaleBytesPerValue;
}

ExllamaMemory exllama_memory(const ModelSpec& m, const WeightInventory& weights,
                             const HardwareSpec& hw, const Workload& w, const ExllamaOptions& o) {
  if (hw.kind != MemoryKind::kDiscrete ||
      (hw.backend != Backend::kCuda && hw.backend != Backend::kRocm)) {
    throw_input("exllamav2: {} is not a CUDA or ROCm GPU machine", hw.id);
  }
  if (m.attention == AttentionKind::kMla ||
      std::count(m.layer_kinds.begin(), m.layer_kinds.end(), LayerKind::kLinearAttention) > 0) {
    throw_input("exllamav2: {} has {} layers, which ExLlamaV2 does not run", m.id,
                m.attention == AttentionKind::kMla ? "MLA attention" : "linear-attention");
  }
  ExllamaMemory x;
  x.cache_mode = exllama_cache_mode(w.kv_cache);
  const double element = exllama_cache_element_bytes(x.cache_mode);
  // K and V of every KV head for every cached token of every sequence.
  const double layer_kv =
      2 * d(m.n_kv_heads * m.head_dim) * element * d(w.context_tokens) * d(w.batch);
  x.kv_bytes_per_token = 2 * d(m.n_kv_heads * m.head_dim) * element * d(m.n_layers);
  // A quantized cache is expanded one layer at a time into an FP16 staging copy on each GPU.
  const double staging = x.cache_mode == "FP16" ? 0.0
                                                : 2 * d(m.n_kv_heads * m.head_dim) * kHalf *
                                                      d(w.context_tokens) * d(w.batch);
  const double buffers = buffer_bytes(m, w, o);
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
    dev.capacity_bytes = gpu.memory_bytes - gpu.gpu_memory_reserved_bytes;  // the driver's
    dev.runtime_bytes = gpu.runtime_overhead_bytes;
    dev.buffers_bytes = buffers + staging;
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
  const auto used = static_cast<int64_t>(x.devices.size());
  if (x.fits) {
    x.reason =
        fmt::format("{} layers on {} GPU{} (automatic split), {} cache {:.1f} GiB for {} token{}",
                    m.n_layers, used, used == 1 ? "" : "s", x.cache_mode,
                    bytes_to_gib(x.kv_bytes_per_token * d(w.context_tokens) * d(w.batch)),
                    w.context_tokens * w.batch, w.context_tokens * w.batch == 1 ? "" : "s");
  } else {
    x.reason = fmt::format(
        "does not fit: {} of {} layers placed on {} GPU{} ({} cache, {} tokens); ExLlamaV2 does "
        "not offload to the CPU: a lower bitrate, a quantized cache (--kv-type q4_0) or a smaller "
        "--ctx",
        layer, m.n_layers, std::max<int64_t>(1, hw.gpu_count), hw.gpu_count <= 1 ? "" : "s",
        x.cache_mode, w.context_tokens * w.batch);
  }
  return x;
}

}  // namespace hwplan::planner
