#pragma once
// Quantizations as the planner sees them: bits per weight per tensor class (DESIGN.md).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/ggml_types.h"

namespace hwplan::planner {

/// A file mix or format: effective bits per weight of the repeating-layer matrices, and of the
/// token embedding and output matrices as the mix keeps them.
struct QuantSpec {
  std::string id;      ///< "q4_k_m"
  std::string name;    ///< "Q4_K_M"
  std::string family;  ///< gguf, mlx, gptq, awq, fp8, fp4
  double weights_bpw = 0;
  double embedding_bpw = 0;
  double output_bpw = 0;
  std::string embedding_type;  ///< ggml type name when known ("Q4_K"), else ""
  std::string output_type;
  int64_t quality_rank = 0;  ///< larger is closer to the original weights
  std::string source;
  bool operator==(const QuantSpec&) const = default;
};

/// Bytes per element of a KV cache type (ggml block bytes / block elements).
struct KvCacheType {
  std::string name;  ///< "F16", "Q8_0", ...
  double bytes_per_element = 0;
  bool operator==(const KvCacheType&) const = default;
};

/// Everything profiles/quants.json holds.
struct QuantCatalog {
  std::vector<QuantSpec> mixes;
  std::vector<KvCacheType> kv_cache_types;
};

/// Parses quants.json; checks its gguf_types table against the compiled one (common/ggml_types.h)
/// and every mix. Throws Error{kInput} naming `origin` and the JSON pointer.
QuantCatalog quant_catalog_from_json(const nlohmann::json& root, const std::string& origin);

/// Finds a mix by id or name, case-insensitive; throws Error{kInput} with suggestions.
const QuantSpec& find_quant(const QuantCatalog& catalog, const std::string& name);

/// Finds a KV cache type ("f16", "q8_0"), case-insensitive; throws Error{kInput} with suggestions.
KvCacheType find_kv_cache_type(const QuantCatalog& catalog, const std::string& name);

}  // namespace hwplan::planner
