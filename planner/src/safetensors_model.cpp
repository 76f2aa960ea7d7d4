#include "planner/safetensors_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text_util.h"

namespace hwplan::planner {
namespace {

namespace fs = std::filesystem;

// The class of a tensor inside a decoder layer, from its Hugging Face name after
// "model.layers.N." (Llama, Qwen, Mixtral, DeepSeek, gpt-oss and Gemma conventions).
TensorClass classify_layer_role(const std::string& role, size_t n_dims) {
  auto has = [&](const char* part) { return role.find(part) != std::string::npos; };
  if (has("shared_expert_gate")) return TensorClass::kRouter;
  if (has("shared_expert")) return TensorClass::kSharedExperts;
  if (has("experts.") || has("experts_")) return TensorClass::kExperts;
  if (has("mlp.gate.") || has("block_sparse_moe.gate.") || has("router"))
    return TensorClass::kRouter;
  if (n_dims == 1 || has("norm") || has("layernorm")) return TensorClass::kNorm;
  if (has("linear_attn") || has("mamba") || has("ssm")) return TensorClass::kRecurrent;
  if (has("mlp.") || has("feed_forward") || has("block_sparse_moe")) return TensorClass::kFfn;
  return TensorClass::kAttention;
}

// Parameters a tensor holds: packed integer weights hold several per element; quantization
// metadata holds none.
double params_of(const formats::SafetensorsTensor& t, int64_t quant_bits) {
  const auto n = static_cast<double>(t.n_elements);
  const bool metadata = ends_with(t.name, ".scales") || ends_with(t.name, ".biases") ||
                        ends_with(t.name, ".qzeros") || ends_with(t.name, ".g_idx") ||
                        ends_with(t.name, ".scales_inv") || ends_with(t.name, "_scale") ||
                        ends_with(t.name, ".weight_scale_inv");
  if (metadata) return 0;
  const bool packed_int = t.dtype == "U32" || t.dtype == "I32" || t.dtype == "U8";
  if (quant_bits > 0 && packed_int &&
      (ends_with(t.name, ".weight") || ends_with(t.name, ".qweight") ||
       ends_with(t.name, "_blocks"))) {
    const double element_bits = t.dtype == "U8" ? 8.0 : 32.0;
    return n * element_bits / static_cast<double>(quant_bits);
  }
  return n;
}

}  // namespace

int64_t quantization_bits(const nlohmann::json& config) {
  for (const char* key : {"quantization", "quantization_config"}) {
    if (!config.contains(key) || !config[key].is_object()) continue;
    const auto& q = config[key];
    if (q.contains("bits") && q["bits"].is_number_integer()) {
      const auto bits = q["bits"].get<int64_t>();
      if (bits >= 1 && bits <= 16) return bits;
    }
  }
  return 0;
}

std::vector<std::string> safetensors_files(const std::string& folder) {
  std::vector<std::string> files;
  const fs::path index = fs::path(folder) / "model.safetensors.index.json";
  std::error_code error;
  if (fs::exists(index, error)) {
    const auto json =
        nlohmann::json::parse(read_input_file(index.string(), "safetensors index"), nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("weight_map") ||
        !json["weight_map"].is_object()) {
      throw_input("{}: not a safetensors index (needs a \"weight_map\" object)", index.string());
    }
    std::set<std::string> names;
    for (const auto& [tensor, file] : json["weight_map"].items()) {
      if (!file.is_string())
        throw_input("{}: weight_map[\"{}\"] must be a file name", index.string(),
                    printable(tensor));
      const std::string name = file.get<std::string>();
      if (name.empty() || name.find('/') != std::string::npos || name == "..")
        throw_input("{}: weight_map names \"{}\", not a file in the folder", index.string(),
                    printable(name));
      names.insert(name);
    }
    for (const auto& name : names) {
      const fs::path path = fs::path(folder) / name;
      if (!fs::exists(path, error))
        throw_input("{}: lists {}, which is missing", index.string(), path.string());
      files.push_back(path.string());
    }
    return files;
  }
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".safetensors") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

WeightInventory inventory_from_safetensors(const std::vector<formats::SafetensorsHeader>& files,
                                           int64_t n_layers, int64_t quant_bits) {
  WeightInventory inv;
  inv.exact = true;
  static const std::regex kLayer(
      R"(^(?:model\.|language_model\.model\.|model\.language_model\.)?layers\.(\d+)\.(.*)$)");
  for (const auto& file : files) {
    for (const auto& t : file.tensors) {
      TensorGroup g;
      g.name = t.name;
      g.n_params = params_of(t, quant_bits);
      g.bytes = static_cast<double>(t.n_bytes);
      g.type = t.dtype;
      std::smatch m;
      if (t.name.find("embed_tokens") != std::string::npos || t.name == "model.embed.weight") {
        g.layer = -1;
        g.cls = TensorClass::kEmbedding;
      } else if (std::regex_match(t.name, m, kLayer)) {
        if (m[1].length() > 9)
          throw_input("{}: tensor \"{}\": layer index out of range", file.path, printable(t.name));
        g.layer = std::stoll(m[1].str());
        if (g.layer >= n_layers) {
          throw_input("{}: tensor \"{}\": layer {} but config.json has {} layers", file.path,
                      printable(t.name), g.layer, n_layers);
        }
        g.cls = classify_layer_role(m[2].str(), t.shape.size());
      } else {
        g.layer = n_layers;  // lm_head, the final norm, and anything outside the decoder
        g.cls =
            t.name.find("lm_head") != std::string::npos ? TensorClass::kOutput : TensorClass::kNorm;
      }
      inv.groups.push_back(std::move(g));
    }
  }
  return inv;
}

std::string safetensors_file_type(const std::vector<formats::SafetensorsHeader>& files,
                                  int64_t quant_bits) {
  std::map<std::string, int64_t> bytes;
  for (const auto& f : files) {
    for (const auto& t : f.tensors) {
      if (t.name.find("layers.") != std::string::npos) bytes[t.dtype] += t.n_bytes;
    }
  }
  std::string best = "unknown";
  int64_t most = -1;
  for (const auto& [dtype, count] : bytes) {
    if (count > most) {
      most = count;
      best = dtype;
    }
  }
  const bool packed = best == "U32" || best == "I32" || best == "U8";
  return quant_bits > 0 && packed ? fmt::format("{}-bit ({} packed)", quant_bits, best) : best;
}

}  // namespace hwplan::planner
