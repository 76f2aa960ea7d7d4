#include "planner/quant_spec.h"

#include <fmt/format.h>

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

QuantSpec read_mix(JsonObject entry) {
  QuantSpec quant;
  quant.id = entry.string("id");
  quant.name = entry.string("name");
  quant.family = entry.choice("family", {"gguf", "mlx", "gptq", "awq", "fp8", "fp4"});
  std::string unused;
  quant.weights_bpw = read_bpw(entry, "weights", unused);
  quant.embedding_bpw = read_bpw(entry, "embedding", quant.embedding_type);
  quant.output_bpw = read_bpw(entry, "output", quant.output_type);
  quant.quality_rank = entry.integer("quality_rank", 0, 1000);
  quant.source = entry.string("source");
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

}  // namespace hwplan::planner
