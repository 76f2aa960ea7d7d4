#include "planner/quant_spec.h"

#include <fmt/format.h>

#include <sstream>

#include "common/error.h"
#include "common/json_util.h"
#include "common/text_util.h"

namespace hwplan::planner {
namespace {

constexpr double kMaxBitsPerWeight = 64.0;

void check_gguf_types(JsonObject& root) {
  const auto& types = root.array("gguf_types");
  for (size_t i = 0; i < types.size(); ++i) {
    JsonObject entry(types[i], root.file(), fmt::format("/gguf_types/{}", i));
    const auto id = entry.integer("id", 0, 1000);
    const auto name = entry.string("name");
    const auto elements = entry.integer("block_elements", 1, 4096);
    const auto bytes = entry.integer("block_bytes", 1, 65536);
    entry.finish();
    const auto known = ggml_type_by_id(static_cast<uint32_t>(id));
    if (!known || known->name != name || known->block_elements != elements ||
        known->block_bytes != bytes) {
      entry.fail("name",
                 fmt::format("{} (id {}, {} elements, {} bytes) disagrees with ggml's table", name,
                             id, elements, bytes));
    }
  }
  if (types.size() != ggml_types().size()) {
    root.fail("gguf_types",
              fmt::format("lists {} types, ggml has {}", types.size(), ggml_types().size()));
  }
}

// One of `<what>_type` (a ggml type name) or `<what>_bpw` (a number) must be given.
double read_bpw(JsonObject& entry, const std::string& what, std::string& type_out) {
  const std::string type_key = what + "_type";
  const std::string bpw_key = what + "_bpw";
  const bool has_type = entry.has(type_key);
  const bool has_bpw = entry.has(bpw_key);
  entry.ignore(type_key);
  entry.ignore(bpw_key);
  if (has_type == has_bpw) {
    entry.fail(type_key, fmt::format("give exactly one of {} and {}", type_key, bpw_key));
  }
  if (has_type) {
    type_out = entry.string(type_key);
    const auto type = ggml_type_by_name(type_out);
    if (!type) entry.fail(type_key, fmt::format("unknown ggml type \"{}\"", type_out));
    type_out = std::string(type->name);
    return ggml_bits_per_weight(*type);
  }
  return entry.number(bpw_key, {0.0, kMaxBitsPerWeight, false});
}

TensorTypeRule read_rule(JsonObject entry) {
  TensorTypeRule rule;
  rule.tensor = entry.optional_string("tensor").value_or("");
  rule.cls = entry.has("class") ? entry.choice("class", {"experts"}) : "";
  if (rule.tensor.empty() == rule.cls.empty())
    entry.fail("tensor", "give exactly one of tensor and class");
  rule.type = entry.string("type");
  const auto type = ggml_type_by_name(rule.type);
  if (!type) entry.fail("type", fmt::format("unknown ggml type \"{}\"", rule.type));
  rule.bpw = ggml_bits_per_weight(*type);
  const std::string layers =
      entry.has("layers") ? entry.choice("layers", {"all", "more_bits", "first_eighth",
                                                    "first_sixteenth", "first_two", "first_four"})
                          : "all";
  rule.layers = layers == "more_bits"         ? LayerSelector::kMoreBits
                : layers == "first_eighth"    ? LayerSelector::kFirstEighth
                : layers == "first_sixteenth" ? LayerSelector::kFirstSixteenth
                : layers == "first_two"       ? LayerSelector::kFirstTwo
                : layers == "first_four"      ? LayerSelector::kFirstFour
                                              : LayerSelector::kAll;
  const std::string when =
      entry.has("when") ? entry.choice("when", {"gqa>=4", "experts==8", "experts>=4", "llama_70b"})
                        : "";
  rule.when = when == "gqa>=4"       ? RuleCondition::kGqaAtLeast4
              : when == "experts==8" ? RuleCondition::kExperts8
              : when == "experts>=4" ? RuleCondition::kExpertsAtLeast4
              : when == "llama_70b"  ? RuleCondition::kLlama70b
                                     : RuleCondition::kAlways;
  entry.finish();
  return rule;
}

QuantSpec read_mix(JsonObject entry) {
  QuantSpec quant;
  quant.id = entry.string("id");
  quant.name = entry.string("name");
  quant.family =
      entry.choice("family", {"gguf", "mlx", "gptq", "awq", "fp8", "fp4", "exl2", "exl3"});
  quant.weights_bpw = read_bpw(entry, "weights", quant.weights_type);
  if (entry.has("tensor_types")) {
    if (quant.weights_type.empty()) {
      entry.fail("tensor_types", "needs weights_type (the type the rules make exceptions to)");
    }
    const auto& rules = entry.array("tensor_types");
    for (size_t i = 0; i < rules.size(); ++i) {
      quant.tensor_types.push_back(read_rule(JsonObject(
          rules[i], entry.file(), fmt::format("{}/tensor_types/{}", entry.pointer(), i))));
    }
  }
  quant.embedding_bpw = read_bpw(entry, "embedding", quant.embedding_type);
  quant.output_bpw = read_bpw(entry, "output", quant.output_type);
  quant.quality_rank = entry.integer("quality_rank", 0, 1000);
  quant.source = entry.string("source");
  quant.convert_args = entry.optional_string("convert_args").value_or("");
  quant.gguf_counterpart = entry.optional_string("gguf_counterpart").value_or("");
  entry.finish();
  return quant;
}

}  // namespace

QuantCatalog quant_catalog_from_json(const nlohmann::json& json, const std::string& origin) {
  JsonObject root(json, origin, "");
  root.integer("schema_version", 1, 1);
  root.ignore("sources");
  check_gguf_types(root);
  QuantCatalog catalog;
  const auto& mixes = root.array("mixes");
  for (size_t i = 0; i < mixes.size(); ++i) {
    catalog.mixes.push_back(read_mix(JsonObject(mixes[i], origin, fmt::format("/mixes/{}", i))));
    for (size_t j = 0; j + 1 < catalog.mixes.size(); ++j) {
      if (catalog.mixes[j].id == catalog.mixes.back().id) {
        throw_input("{}: /mixes/{}/id: duplicate id \"{}\"", origin, i, catalog.mixes[j].id);
      }
    }
  }
  for (size_t i = 0; i < catalog.mixes.size(); ++i) {
    const auto& counterpart = catalog.mixes[i].gguf_counterpart;
    if (counterpart.empty()) continue;
    const auto it = std::find_if(catalog.mixes.begin(), catalog.mixes.end(),
                                 [&](const QuantSpec& q) { return q.id == counterpart; });
    if (it == catalog.mixes.end() || it->family != "gguf") {
      throw_input("{}: /mixes/{}/gguf_counterpart: \"{}\" is not a GGUF mix of this file", origin,
                  i, counterpart);
    }
  }
  const auto& kv_types = root.array("kv_cache_types");
  for (size_t i = 0; i < kv_types.size(); ++i) {
    const auto& name = kv_types[i];
    const auto type = name.is_string() ? ggml_type_by_name(name.get<std::string>()) : std::nullopt;
    if (!type) throw_input("{}: /kv_cache_types/{}: unknown ggml type {}", origin, i, name.dump());
    catalog.kv_cache_types.push_back(
        {std::string(type->name),
         static_cast<double>(type->block_bytes) / static_cast<double>(type->block_elements)});
  }
  root.finish();
  return catalog;
}

const QuantSpec& find_quant(const QuantCatalog& catalog, const std::string& name) {
  const std::string wanted = to_lower(name);
  std::vector<std::string> ids;
  for (const auto& quant : catalog.mixes) {
    if (to_lower(quant.id) == wanted || to_lower(quant.name) == wanted) return quant;
    ids.push_back(quant.id);
  }
  throw Error(ErrorKind::kInput, unknown_name_message("quantization", name, ids));
}

KvCacheType find_kv_cache_type(const QuantCatalog& catalog, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& type : catalog.kv_cache_types) {
    if (to_lower(type.name) == to_lower(name)) return type;
    names.push_back(to_lower(type.name));
  }
  throw Error(ErrorKind::kInput, unknown_name_message("KV cache type", name, names));
}

bool quantized_cache(const KvCacheType& kv) {
  std::string part;
  std::istringstream parts(kv.name);
  while (std::getline(parts, part, '/')) {
    if (part != "F16" && part != "BF16" && part != "F32") return true;
  }
  return false;
}

}  // namespace hwplan::planner
