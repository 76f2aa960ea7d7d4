// GGUF metadata and tensor table -> ModelSpec + exact WeightInventory: the one place where the
// GGUF reader (formats) meets the planner.
#include "planner/gguf_model.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>
#include <regex>

#include "common/error.h"
#include "common/limits.h"
#include "formats/gguf.h"

namespace hwplan::planner {
namespace {

// "blk.12.ffn_up_exps.weight" -> layer 12, class experts (llama.cpp tensor names, llama-arch.cpp).
TensorClass classify(const std::string& role, int64_t n_dims) {
  auto has = [&](const char* part) { return role.find(part) != std::string::npos; };
  if (has("_exps")) return TensorClass::kExperts;
  if (has("_shexp")) return TensorClass::kSharedExperts;
  if (has("ffn_gate_inp")) return TensorClass::kRouter;
  if (n_dims == 1 || has("norm") || has("bias")) return TensorClass::kNorm;
  if (has("ssm_")) return TensorClass::kRecurrent;
  if (has("ffn_")) return TensorClass::kFfn;
  return TensorClass::kAttention;
}

// The tensor tables of a model's files: one file, or every shard of a split model in order.
using TensorTable = std::vector<const formats::GgufTensorInfo*>;

TensorTable table_of(const std::vector<formats::GgufFile>& files) {
  TensorTable table;
  for (const auto& f : files) {
    for (const auto& t : f.tensors()) table.push_back(&t);
  }
  return table;
}

const formats::GgufTensorInfo* find(const TensorTable& table, const std::string& name) {
  for (const auto* t : table) {
    if (t->name == name) return t;
  }
  return nullptr;
}

WeightInventory inventory_from(const TensorTable& table, int64_t n_layers,
                               const std::string& origin) {
  std::vector<TensorRecord> records;
  for (const auto* t : table) {
    records.push_back({t->name, static_cast<int64_t>(t->shape.size()),
                       static_cast<double>(t->n_elements), static_cast<double>(t->n_bytes),
                       std::string(t->type.name)});
  }
  return inventory_from_tensors(records, n_layers, origin);
}

// The shards of a split model (llama.cpp's gguf-split): every file named like `first`, each
// saying which shard it is, all agreeing on the count; the tensor total the first promises.
std::vector<formats::GgufFile> open_shards(const formats::GgufFile& first,
                                           const std::string& path) {
  const auto count = first.get_int("split.count");
  const auto name = formats::gguf_shard_name(path);
  if (!count || *count <= 1) return {};  // not split; callers use `first`
  if (*count > limits::kMaxShards) {
    throw_input("{}: metadata \"split.count\" is {}, outside 1..{}", path, *count,
                limits::kMaxShards);
  }
  if (!name || name->count != *count) {
    throw_input(
        "{}: metadata \"split.count\" is {} but the file is not named "
        "<prefix>-NNNNN-of-{:05d}.gguf, so its other shards cannot be found",
        path, *count, *count);
  }
  std::vector<formats::GgufFile> shards;
  for (int64_t i = 1; i <= *count; ++i) {
    const std::string shard_path = formats::gguf_shard_path(name->prefix, i, *count);
    if (!std::filesystem::exists(shard_path)) {
      throw_input(
          "{}: shard {} of {} is missing: {} (split models need every shard beside the "
          "first)",
          path, i, *count, shard_path);
    }
    shards.push_back(formats::GgufFile::open(shard_path));
    const auto& shard = shards.back();
    const auto no = shard.get_int("split.no");
    const auto its_count = shard.get_int("split.count");
    if (!no || *no != i - 1 || !its_count || *its_count != *count) {
      throw_input("{}: metadata split.no/split.count say shard {} of {}, expected shard {} of {}",
                  shard.origin(), no ? std::to_string(*no + 1) : "?",
                  its_count ? std::to_string(*its_count) : "?", i, *count);
    }
  }
  const auto promised = shards.front().get_int("split.tensors.count");
  const auto total = static_cast<int64_t>(table_of(shards).size());
  if (promised && *promised != total) {
    throw_input("{}: metadata \"split.tensors.count\" is {} but the {} shards hold {} tensors",
                shards.front().origin(), *promised, *count, total);
  }
  return shards;
}

// A count from the metadata, checked against its cap before anything is sized by it.
int64_t bounded(const formats::GgufFile& file, const std::string& key, int64_t value, int64_t max) {
  if (value < 0 || value > max) {
    throw_input("{}: metadata \"{}\" is {}, outside 0..{}", file.origin(), key, value, max);
  }
  return value;
}

std::optional<int64_t> optional_count(const formats::GgufFile& file, const std::string& key,
                                      int64_t max = limits::kMaxDimension) {
  const auto value = file.get_int(key);
  if (value) bounded(file, key, *value, max);
  return value;
}

int64_t required(const formats::GgufFile& file, const std::string& key,
                 int64_t max = limits::kMaxDimension) {
  const auto value = file.get_int(key);
  if (!value) throw_input("{}: metadata \"{}\" is missing", file.origin(), key);
  if (*value <= 0)
    throw_input("{}: metadata \"{}\" must be > 0, got {}", file.origin(), key, *value);
  return bounded(file, key, *value, max);
}

// head_count_kv may be one number or a per-layer array (0 for recurrent layers).
int64_t kv_heads(const formats::GgufFile& file, const std::string& arch, int64_t n_heads) {
  const std::string key = arch + ".attention.head_count_kv";
  if (const auto* array = file.get_array(key)) {
    int64_t most = 0;
    for (double v : array->numbers) most = std::max(most, static_cast<int64_t>(v));
    return most > 0 ? most : n_heads;
  }
  return file.get_int(key).value_or(n_heads);
}

std::vector<LayerKind> layer_kinds(const formats::GgufFile& file, const std::string& arch,
                                   ModelSpec& m) {
  std::vector<LayerKind> kinds(static_cast<size_t>(m.n_layers), LayerKind::kFullAttention);
  if (const auto interval = file.get_int(arch + ".full_attention_interval")) {
    for (int64_t i = 0; i < m.n_layers; ++i) {
      if (*interval > 0 && (i + 1) % *interval != 0) {
        kinds[static_cast<size_t>(i)] = LayerKind::kLinearAttention;
      }
    }
    return kinds;
  }
  const auto window = file.get_int(arch + ".attention.sliding_window");
  if (!window || *window <= 0) return kinds;
  m.sliding_window = *window;
  // Where the pattern is fixed in llama.cpp's model code rather than in metadata.
  const int64_t pattern = arch == "gemma3" ? 6 : arch == "gpt-oss" ? 2 : 1;
  for (int64_t i = 0; i < m.n_layers; ++i) {
    const bool global = pattern > 1 && (arch == "gpt-oss" ? i % 2 == 1 : (i + 1) % pattern == 0);
    if (!global) kinds[static_cast<size_t>(i)] = LayerKind::kSlidingAttention;
  }
  return kinds;
}

// general.file_type is llama.cpp's llama_ftype (include/llama.h); it names the mix a file was
// quantized to. Without it, name the type holding most bytes of the repeating layers.
std::string file_type_name(const formats::GgufFile& file, const TensorTable& table) {
  static const std::map<int64_t, std::string> kFileTypes = {
      {0, "F32"},      {1, "F16"},      {2, "Q4_0"},      {3, "Q4_1"},    {7, "Q8_0"},
      {8, "Q5_0"},     {9, "Q5_1"},     {10, "Q2_K"},     {11, "Q3_K_S"}, {12, "Q3_K_M"},
      {13, "Q3_K_L"},  {14, "Q4_K_S"},  {15, "Q4_K_M"},   {16, "Q5_K_S"}, {17, "Q5_K_M"},
      {18, "Q6_K"},    {19, "IQ2_XXS"}, {20, "IQ2_XS"},   {21, "Q2_K_S"}, {22, "IQ3_XS"},
      {23, "IQ3_XXS"}, {24, "IQ1_S"},   {25, "IQ4_NL"},   {26, "IQ3_S"},  {27, "IQ3_M"},
      {28, "IQ2_S"},   {29, "IQ2_M"},   {30, "IQ4_XS"},   {31, "IQ1_M"},  {32, "BF16"},
      {36, "TQ1_0"},   {37, "TQ2_0"},   {38, "MXFP4_MOE"}};
  if (const auto type = file.get_int("general.file_type")) {
    if (const auto it = kFileTypes.find(*type); it != kFileTypes.end()) return it->second;
  }
  std::map<std::string, int64_t> bytes;
  for (const auto* t : table) {
    if (t->name.rfind("blk.", 0) == 0) bytes[std::string(t->type.name)] += t->n_bytes;
  }
  std::string best = "unknown";
  int64_t most = -1;
  for (const auto& [type, count] : bytes) {
    if (count > most) {
      most = count;
      best = type;
    }
  }
  return best;
}

}  // namespace

WeightInventory inventory_from_tensors(const std::vector<TensorRecord>& tensors, int64_t n_layers,
                                       const std::string& origin) {
  WeightInventory inv;
  inv.exact = true;
  static const std::regex kBlock(R"(^blk\.(\d+)\.(.*)$)");
  for (const auto& t : tensors) {
    TensorGroup g;
    g.name = t.name;
    g.n_params = t.n_elements;
    g.bytes = t.bytes;
    g.type = t.type;
    std::smatch match;
    if (t.name == "token_embd.weight") {
      g.layer = -1;
      g.cls = TensorClass::kEmbedding;
    } else if (std::regex_match(t.name, match, kBlock)) {
      if (match[1].length() > 9) {
        throw_input("{}: tensor \"{}\": block index {} is out of range", origin, t.name,
                    match[1].str());
      }
      g.layer = std::stoll(match[1].str());
      if (g.layer >= n_layers) {
        throw_input("{}: tensor \"{}\": layer {} but block_count is {}", origin, t.name, g.layer,
                    n_layers);
      }
      g.cls = classify(match[2].str(), t.n_dims);
    } else {
      g.layer = n_layers;  // output, output_norm, rope tables: with the output layer
      g.cls = t.name.rfind("output.", 0) == 0 ? TensorClass::kOutput : TensorClass::kNorm;
    }
    inv.groups.push_back(std::move(g));
  }
  return inv;
}

namespace {

// The model a file's metadata describes with the tensors of `table` (the file's own, or every
// shard's); `id` names it (a split model by its prefix).
GgufModel model_from(const formats::GgufFile& file, const TensorTable& table,
                     const std::string& id) {
  const std::string& path = file.origin();
  const auto arch = file.get_string("general.architecture");
  if (!arch) throw_input("{}: metadata \"general.architecture\" is missing", path);
  ModelSpec m;
  m.architecture = *arch;
  m.id = id;
  m.name = file.get_string("general.name").value_or(m.id);
  const std::string& a = *arch;
  m.n_layers = required(file, a + ".block_count", limits::kMaxLayers);
  m.hidden_size = required(file, a + ".embedding_length");
  m.n_heads = required(file, a + ".attention.head_count", limits::kMaxHeads);
  m.n_kv_heads = bounded(file, a + ".attention.head_count_kv", kv_heads(file, a, m.n_heads),
                         limits::kMaxHeads);
  m.head_dim =
      optional_count(file, a + ".attention.key_length").value_or(m.hidden_size / m.n_heads);
  m.ffn_size = optional_count(file, a + ".feed_forward_length").value_or(0);
  m.max_context = required(file, a + ".context_length", limits::kMaxContextTokens);
  const auto* embedding = find(table, "token_embd.weight");
  if (embedding == nullptr || embedding->shape.size() != 2) {
    throw_input("{}: tensor \"token_embd.weight\" (2-D) is missing", path);
  }
  m.vocab_size = bounded(file, a + ".vocab_size",
                         optional_count(file, a + ".vocab_size").value_or(embedding->shape[1]),
                         limits::kMaxDimension);
  m.tied_embeddings = find(table, "output.weight") == nullptr;
  if (const auto experts = optional_count(file, a + ".expert_count", limits::kMaxExperts);
      experts && *experts > 0) {
    m.moe.n_experts = *experts;
    m.moe.n_experts_per_token = required(file, a + ".expert_used_count");
    m.moe.expert_ffn_size = file.get_int(a + ".expert_feed_forward_length").value_or(m.ffn_size);
    m.moe.shared_ffn_size = file.get_int(a + ".expert_shared_feed_forward_length").value_or(0);
    if (const auto shared = file.get_int(a + ".expert_shared_count");
        shared && m.moe.shared_ffn_size == 0) {
      m.moe.shared_ffn_size = *shared * m.moe.expert_ffn_size;
    }
    m.moe.n_dense_layers = file.get_int(a + ".leading_dense_block_count").value_or(0);
  }
  if (const auto rank = file.get_int(a + ".attention.kv_lora_rank"); rank && *rank > 0) {
    m.attention = AttentionKind::kMla;
    m.mla.kv_lora_rank = *rank;
    m.mla.q_lora_rank = file.get_int(a + ".attention.q_lora_rank").value_or(0);
    m.mla.rope_head_dim = required(file, a + ".rope.dimension_count");
    // Files converted for llama.cpp's MLA cache state the per-head widths apart (key_length is
    // then the cached latent + RoPE width, value_length the latent's).
    if (const auto k_mla = file.get_int(a + ".attention.key_length_mla")) m.head_dim = *k_mla;
    m.mla.nope_head_dim = m.head_dim - m.mla.rope_head_dim;
    m.mla.v_head_dim =
        file.get_int(a + ".attention.value_length_mla")
            .value_or(file.get_int(a + ".attention.value_length").value_or(m.mla.nope_head_dim));
  }
  if (const auto conv = file.get_int(a + ".ssm.conv_kernel")) {
    // llama.cpp's Qwen3-Next keys: group_count = key heads, time_step_rank = value heads,
    // state_size = head dim, inner_size = value heads x value head dim.
    m.linear.conv_kernel = *conv;
    m.linear.n_key_heads = file.get_int(a + ".ssm.group_count").value_or(0);
    m.linear.n_value_heads = file.get_int(a + ".ssm.time_step_rank").value_or(0);
    m.linear.key_head_dim = file.get_int(a + ".ssm.state_size").value_or(0);
    const auto inner = file.get_int(a + ".ssm.inner_size").value_or(0);
    m.linear.value_head_dim = m.linear.n_value_heads > 0 ? inner / m.linear.n_value_heads : 0;
  }
  m.layer_kinds = layer_kinds(file, a, m);
  validate_model(m, path);
  // Metadata that contradicts the tensor table: an error naming both.
  if (embedding->shape[0] != m.hidden_size) {
    throw_input(
        "{}: metadata \"{}.embedding_length\" is {} but tensor \"token_embd.weight\" has {} "
        "values per row",
        path, a, m.hidden_size, embedding->shape[0]);
  }
  GgufModel model;
  model.weights = inventory_from(table, m.n_layers, path);
  int64_t last_block = -1;
  for (const auto& g : model.weights.groups) {
    if (g.layer < m.n_layers) last_block = std::max(last_block, g.layer);
  }
  if (last_block + 1 != m.n_layers) {
    throw_input("{}: metadata \"{}.block_count\" is {} but the tensor table has blocks 0..{}", path,
                a, m.n_layers, last_block);
  }
  model.spec = std::move(m);
  model.file_type = file_type_name(file, table);
  return model;
}

}  // namespace

GgufModel model_from_gguf(const std::string& path) {
  auto first = formats::GgufFile::open(path);
  if (first.get_int("split.count").value_or(1) <= 1) return model_from_gguf(first);
  const auto shards = open_shards(first, path);
  // The first shard carries the model's metadata (gguf-split writes it there only).
  const auto name = formats::gguf_shard_name(path);
  return model_from(shards.front(), table_of(shards),
                    std::filesystem::path(name->prefix).filename().string());
}

GgufModel model_from_gguf(const formats::GgufFile& file) {
  TensorTable table;
  for (const auto& t : file.tensors()) table.push_back(&t);
  return model_from(file, table, std::filesystem::path(file.origin()).stem().string());
}

}  // namespace hwplan::planner
