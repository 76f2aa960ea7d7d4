#include "planner/engines.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>

#include "common/error.h"
#include "common/ggml_types.h"
#include "common/json_util.h"
#include "common/statistics.h"
#include "common/text_util.h"
#include "planner/efficiency.h"

namespace hwplan::planner {
namespace {

double number(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end == text.c_str() || !std::isfinite(v) || v <= 0 ? 0 : v;
}

// "Qwen3.5-9B MLX 4bit (...)" and "Qwen3.5-9B Q4_K_M (...)" are the same model.
std::string base_model(const std::string& model) {
  return to_lower(model.substr(0, model.find_first_of(" (")));
}

}  // namespace

std::vector<EngineFactors> known_engines() {
  auto engine = [](const char* name, std::vector<Backend> backends, const char* factors_of = "",
                   const char* factors_why = "", bool distributed = false) {
    EngineFactors e;
    e.name = name;
    e.backends = std::move(backends);
    e.factors_of = factors_of;
    e.factors_why = factors_why;
    e.distributed = distributed;
    return e;
  };
  return {engine("mlx", {Backend::kMetal}), engine("vllm", {Backend::kCuda, Backend::kRocm}),
          engine("exllamav2", {Backend::kCuda, Backend::kRocm}),
          // ExLlamaV3 (EXL3 weights) runs on CUDA (its README); its one published comparison is
          // against ExLlamaV2 and older than its Ampere fix (ENGINES_SOURCES.md, EXL3_144).
          engine("exllamav3", {Backend::kCuda}, "exllamav2",
                 "its one published comparison (three RTX 3090s, against ExLlamaV2) predates "
                 "ExLlamaV3's Ampere fix, so ExLlamaV2's factor stands in"),
          // ik_llama.cpp: CUDA and CPU are its maintained backends (its README).
          engine("ik_llama.cpp", {Backend::kCuda, Backend::kCpu}),
          // exo: MLX distributed over Macs (pipeline or, over Thunderbolt 5 RDMA, tensor
          // parallel); no exo run with stated settings is published, so MLX's factors serve.
          engine("exo", {Backend::kMetal}, "mlx",
                 "exo runs MLX's kernels and no exo run with stated settings is published", true)};
}

bool against_physics_only(const EngineFactors& e) {
  return e.decode_pairs > 0 && e.decode_physics_pairs == e.decode_pairs;
}

bool engine_has_own_band(const EngineFactors& e) {
  return e.decode_pairs >= kMinBandRows && e.factors_of.empty();
}

bool runs_ggml(const std::string& engine) {
  return engine == "llama.cpp" || engine == "ik_llama.cpp";
}

bool engine_loads(const std::string& engine, const std::string& family, bool ik_types) {
  if (ik_types) return engine == "ik_llama.cpp";
  if (family == "gguf" || family == "safetensors") return true;
  // Each checkpoint format and the engines that load it (their documentation's format lists).
  static const std::map<std::string, std::vector<std::string>> kLoaders = {
      {"mlx", {"mlx", "exo"}}, {"gptq", {"vllm", "exllamav2"}},
      {"awq", {"vllm"}},       {"fp8", {"vllm"}},
      {"fp4", {"vllm"}},       {"exl2", {"exllamav2"}},
      {"exl3", {"exllamav3"}}};
  const auto it = kLoaders.find(family);
  if (it == kLoaders.end()) return false;
  return std::find(it->second.begin(), it->second.end(), engine) != it->second.end();
}

std::vector<std::string> engines_loading(const std::string& family, bool ik_types) {
  std::vector<std::string> out;
  for (const char* engine :
       {"llama.cpp", "ik_llama.cpp", "mlx", "exo", "vllm", "exllamav2", "exllamav3"}) {
    if (engine_loads(engine, family, ik_types)) out.emplace_back(engine);
  }
  return out;
}

std::string ik_only_type(const WeightInventory& weights) {
  for (const auto& g : weights.groups) {
    const auto type = ggml_type_by_name(g.type);
    if (type && ggml_type_is_ik_only(*type)) return std::string(type->name);
  }
  return "";
}

void check_engine_loads(const std::string& engine, const std::string& family,
                        const WeightInventory& weights, const std::string& quant_name,
                        const std::string& gguf_counterpart) {
  const std::string ik = ik_only_type(weights);
  if (engine_loads(engine, family, !ik.empty())) return;
  const auto loaders = engines_loading(family, !ik.empty());
  const std::string what = ik.empty()
                               ? fmt::format("{} weights", family)
                               : fmt::format("{} tensors, a type only ik_llama.cpp defines", ik);
  const std::string gguf =
      engine == "llama.cpp" && !gguf_counterpart.empty()
          ? fmt::format(", or for llama.cpp its GGUF: --quant {}", gguf_counterpart)
          : "";
  throw_input("{} cannot load {} ({}); it runs in {}: use --engine {}{}", engine, quant_name, what,
              fmt::join(loaders, " or "), loaders.empty() ? "llama.cpp" : loaders.front(), gguf);
}

std::string engine_of(const std::string& cell) {
  if (contains_ignoring_case(cell, "exllamav3")) return "exllamav3";
  if (contains_ignoring_case(cell, "exllama")) return "exllamav2";
  if (contains_ignoring_case(cell, "mlx"))
    return "mlx";  // mlx-lm, vllm-mlx, oMLX, LM Studio MLX, ...
  if (contains_ignoring_case(cell, "vllm")) return "vllm";
  if (contains_ignoring_case(cell, "llama.cpp") || contains_ignoring_case(cell, "llama-cpp") ||
      contains_ignoring_case(cell, "ollama"))
    return "llama.cpp";
  return "";
}

bool runs_tensor_parallel(const std::string& text) {
  static const std::regex kTensorParallel(R"(\bTP\s*=\s*[2-9])");
  return std::regex_search(text, kTensorParallel);
}

std::vector<EnginePair> engine_pairs(const CsvTable& csv, const std::string& origin) {
  struct Sums {
    double decode = 0, prefill = 0;
    double decode_n = 0, prefill_n = 0;
    std::vector<std::string> row_ids;
  };
  auto has = [&csv](const char* name) {
    return std::find(csv.header.begin(), csv.header.end(), name) != csv.header.end();
  };
  const bool has_row_id = has("row_id");
  const bool has_offload = has("offload");
  // (source, hardware, base model) -> engine -> sums
  std::map<std::tuple<std::string, std::string, std::string>, std::map<std::string, Sums>> groups;
  static const std::regex kConcurrency(R"(concurrency=(\d+))");
  for (const auto& values : csv.rows) {
    auto at = [&](const char* name) -> const std::string& {
      return values[csv.column(name, origin)];
    };
    std::smatch m;
    const std::string& notes = at("notes");
    if (std::regex_search(notes, m, kConcurrency) && std::strtod(m[1].str().c_str(), nullptr) > 1)
      continue;
    const std::string engine = engine_of(at("engine"));
    if (engine.empty()) continue;
    if (engine != "llama.cpp" &&
        runs_tensor_parallel(at("engine") + (has_offload ? " | " + at("offload") : "")))
      continue;
    auto& s = groups[{at("source_id"), at("hardware"), base_model(at("model"))}][engine];
    if (const double d = number(at("decode_tps")); d > 0) s.decode += d, s.decode_n += 1;
    if (const double p = number(at("prefill_tps")); p > 0) s.prefill += p, s.prefill_n += 1;
    if (has_row_id) s.row_ids.push_back(at("row_id"));
  }
  std::vector<EnginePair> pairs;
  for (const auto& [key, engines] : groups) {
    const auto llama = engines.find("llama.cpp");
    if (llama == engines.end()) continue;
    const Sums& l = llama->second;
    for (const auto& [engine, s] : engines) {
      if (engine == "llama.cpp") continue;
      EnginePair p{engine, std::get<0>(key), std::get<1>(key), std::get<2>(key), 0, 0,
                   false,  s.row_ids};
      if (s.decode_n > 0 && l.decode_n > 0)
        p.decode_ratio = (s.decode / s.decode_n) / (l.decode / l.decode_n);
      if (s.prefill_n > 0 && l.prefill_n > 0)
        p.prefill_ratio = (s.prefill / s.prefill_n) / (l.prefill / l.prefill_n);
      if (p.decode_ratio > 0 || p.prefill_ratio > 0) pairs.push_back(p);
    }
  }
  return pairs;
}

double engine_seconds(double seconds, double communication_seconds, double ratio) {
  const double comm = std::clamp(communication_seconds, 0.0, seconds);
  return (seconds - comm) / ratio + comm;
}

double engine_decode_seconds(const EngineFactors& e, double seconds, double cache_seconds,
                             double communication_seconds) {
  if (e.cache_ratio <= 0) return engine_seconds(seconds, communication_seconds, e.decode_ratio);
  const double comm = std::clamp(communication_seconds, 0.0, seconds);
  const double cache = std::clamp(cache_seconds, 0.0, seconds - comm);
  return (seconds - comm - cache) / e.decode_ratio + cache * e.cache_ratio + comm;
}

double engine_step_seconds(const EngineFactors& e, int64_t batch, double physics_seconds,
                           double physics_compute_seconds, double flop_per_sequence,
                           double peak_flop_per_s, double gemm_seconds) {
  if (batch <= 1 || e.batch_flop_fraction <= 0) return physics_seconds / e.decode_ratio;
  const auto n = static_cast<double>(batch);
  const double one = (physics_seconds - physics_compute_seconds * (n - 1) / n) / e.decode_ratio;
  const double vector =
      one + (n - 1) * flop_per_sequence / (e.batch_flop_fraction * peak_flop_per_s);
  if (gemm_seconds <= 0) return vector;
  return std::min(vector,
                  (physics_seconds - physics_compute_seconds) / e.decode_ratio + gemm_seconds);
}

namespace {

double batch_step(const BatchPair& p, const EngineFactors& e) {
  return engine_step_seconds(e, p.batch, p.physics_seconds, p.physics_compute_seconds,
                             p.flop_per_sequence, p.peak_flop_per_s, p.gemm_seconds);
}

}  // namespace

double batch_pair_aggregate(const BatchPair& p, const EngineFactors& e) {
  const double added = batch_step(p, e) - p.physics_single_seconds / e.decode_ratio;
  return static_cast<double>(p.batch) / (1.0 / p.single_tok_per_s + added);
}

double batch_pair_predicted_aggregate(const BatchPair& p, const EngineFactors& e) {
  return static_cast<double>(p.batch) / batch_step(p, e);
}

namespace {

// The fraction of the peak one pair implies: the measured step's growth beyond what the physics
// adds for the batch besides the products is the other sequences' products (at most the peak),
// computed by the vector kernel (the published batches are small: five users, two).
double implied_flop_fraction(const BatchPair& p, const EngineFactors& e) {
  const auto n = static_cast<double>(p.batch);
  const double added_memory =
      (p.physics_seconds - p.physics_compute_seconds * (n - 1) / n - p.physics_single_seconds) /
      e.decode_ratio;
  const double compute = n / p.aggregate_tok_per_s - 1.0 / p.single_tok_per_s - added_memory;
  if (compute <= 0) return 1.0;
  return std::min(1.0, (n - 1) * p.flop_per_sequence / (p.peak_flop_per_s * compute));
}

void fit_batch(EngineFactors& e, const std::vector<BatchPair>& batch) {
  std::vector<double> fractions;
  for (const auto& p : batch) {
    if (p.engine == e.name && p.batch > 1) fractions.push_back(implied_flop_fraction(p, e));
  }
  if (fractions.empty()) return;
  e.batch_flop_fraction = quantile(fractions, 0.5);
  e.batch_pairs = static_cast<int64_t>(fractions.size());
  std::vector<double> errors;
  for (const auto& p : batch) {
    if (p.engine != e.name || p.batch <= 1) continue;
    errors.push_back(std::abs(batch_pair_aggregate(p, e) / p.aggregate_tok_per_s - 1.0));
  }
  e.batch_median_error = quantile(errors, 0.5);
  e.batch_spread = quantile(errors, 0.8);
}

bool deep_physics_pair(const EnginePair& p) {
  return p.against_physics && p.depth_tokens >= kCacheFitDepthTokens && p.cache_seconds > 0 &&
         p.measured_seconds > 0;
}

// The cache factor one deep run implies once the rest of its step runs at `ratio`.
double implied_cache_ratio(const EnginePair& p, double ratio) {
  const double rest = (p.physics_seconds - p.cache_seconds - p.communication_seconds) / ratio;
  return std::max(0.0, p.measured_seconds - p.communication_seconds - rest) / p.cache_seconds;
}

// The kernel ratio one run implies once its cache runs at `cache_ratio` (0: at the ratio itself,
// the pair's own decode_ratio).
double implied_ratio(const EnginePair& p, double cache_ratio) {
  if (cache_ratio <= 0 || !p.against_physics || p.measured_seconds <= 0) return p.decode_ratio;
  const double rest = p.physics_seconds - p.cache_seconds - p.communication_seconds;
  const double left = p.measured_seconds - p.communication_seconds - p.cache_seconds * cache_ratio;
  return rest > 0 && left > 0 ? rest / left : p.decode_ratio;
}

// An engine's decode factors from its pairs. With kMinCachePairs runs at depth against the
// physics: decode_ratio is the median of what the other runs imply and cache_ratio the median of
// what each deep run's step leaves for its cache once the rest runs at decode_ratio, each given
// the other, alternated until they settle (a shallow run's small cache runs at cache_ratio too).
// Else decode_ratio is the median of all pairs. The errors are those of predicting each run.
void fit_decode(EngineFactors& e, const std::vector<const EnginePair*>& pairs) {
  std::vector<const EnginePair*> shallow, deep;
  std::vector<double> all;
  for (const auto* p : pairs) {
    all.push_back(p->decode_ratio);
    (deep_physics_pair(*p) ? deep : shallow).push_back(p);
  }
  e.decode_pairs = static_cast<int64_t>(pairs.size());
  e.decode_ratio = quantile(all, 0.5);
  e.cache_ratio = 0;
  e.cache_pairs = 0;
  if (static_cast<int64_t>(deep.size()) >= kMinCachePairs && !shallow.empty()) {
    auto medians = [](const std::vector<const EnginePair*>& of, auto implied) {
      std::vector<double> values;
      values.reserve(of.size());
      for (const auto* p : of) values.push_back(implied(*p));
      return quantile(values, 0.5);
    };
    double cache = 0;
    for (int round = 0; round < 100; ++round) {
      const double ratio =
          medians(shallow, [&](const EnginePair& p) { return implied_ratio(p, cache); });
      const double next =
          medians(deep, [&](const EnginePair& p) { return implied_cache_ratio(p, ratio); });
      e.decode_ratio = ratio;
      const bool settled = std::abs(next - cache) <= 1e-12 * next;
      cache = next;
      if (settled) break;
    }
    e.cache_ratio = cache;
    e.cache_pairs = static_cast<int64_t>(deep.size());
  }
  std::vector<double> deviations;
  deviations.reserve(pairs.size());
  for (const auto* p : pairs) {
    // Against the physics: the predicted speed over the measured; beside a llama.cpp run: the
    // pair's ratio over the fitted one.
    const bool timed = p->against_physics && p->measured_seconds > 0 && e.cache_ratio > 0;
    deviations.push_back(std::abs(
        timed ? p->measured_seconds / engine_decode_seconds(e, p->physics_seconds, p->cache_seconds,
                                                            p->communication_seconds) -
                    1.0
              : p->decode_ratio / e.decode_ratio - 1.0));
  }
  e.decode_spread = quantile(deviations, 0.8);
  e.decode_median_error = quantile(deviations, 0.5);
}

}  // namespace

std::vector<EngineFactors> fit_engines(const std::vector<EnginePair>& pairs,
                                       const std::vector<BatchPair>& batch) {
  auto engines = known_engines();
  for (auto& e : engines) {
    std::vector<double> prefill;
    std::vector<const EnginePair*> decode;
    for (const auto& p : pairs) {
      if (p.engine != e.name) continue;
      if (p.decode_ratio > 0) {
        decode.push_back(&p);
        e.decode_physics_pairs += p.against_physics ? 1 : 0;
      }
      if (p.prefill_ratio > 0) prefill.push_back(p.prefill_ratio);
    }
    if (!decode.empty()) fit_decode(e, decode);
    if (!prefill.empty()) {
      e.prefill_ratio = quantile(prefill, 0.5);
      e.prefill_pairs = static_cast<int64_t>(prefill.size());
    }
    fit_batch(e, batch);
  }
  for (auto& e : engines) {
    if (e.factors_of.empty()) continue;
    const auto& source = find_engine(engines, e.factors_of);
    const EngineFactors own = e;
    e = source;
    e.name = own.name;
    e.factors_of = own.factors_of;
    e.factors_why = own.factors_why;
    e.distributed = own.distributed;
    e.backends = own.backends;
  }
  return engines;
}

const EngineFactors& find_engine(const std::vector<EngineFactors>& engines,
                                 const std::string& name) {
  std::vector<std::string> names = {"llama.cpp"};
  for (const auto& e : engines) {
    if (e.name == to_lower(name)) return e;
    names.push_back(e.name);
  }
  throw Error(ErrorKind::kInput, unknown_name_message("engine", name, names));
}

bool engine_runs_on(const EngineFactors& engine, const HardwareSpec& machine) {
  return std::find(engine.backends.begin(), engine.backends.end(), machine.backend) !=
         engine.backends.end();
}

std::vector<const EngineFactors*> engines_for(const std::vector<EngineFactors>& engines,
                                              const HardwareSpec& machine,
                                              const std::string& family, bool ik_types,
                                              int64_t nodes) {
  std::vector<const EngineFactors*> out;
  for (const auto& e : engines) {
    if (!engine_runs_on(e, machine) || !engine_loads(e.name, family, ik_types)) continue;
    if (e.distributed && nodes < 2) continue;
    out.push_back(&e);
  }
  return out;
}

void check_engine_runs_on(const EngineFactors& engine, const HardwareSpec& machine) {
  if (engine_runs_on(engine, machine)) return;
  std::vector<std::string> where;
  for (const auto b : engine.backends) where.emplace_back(backend_name(b));
  throw_input("--engine {}: cannot run on {} ({}); it runs on {}", engine.name, machine.id,
              backend_name(machine.backend), fmt::join(where, ", "));
}

nlohmann::json engines_to_json(const std::vector<EngineFactors>& engines) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : engines) {
    out.push_back({{"name", e.name},
                   {"decode_ratio", e.decode_ratio},
                   {"decode_pairs", e.decode_pairs},
                   {"decode_spread", e.decode_spread},
                   {"decode_median_error", e.decode_median_error},
                   {"prefill_ratio", e.prefill_ratio},
                   {"prefill_pairs", e.prefill_pairs},
                   {"decode_physics_pairs", e.decode_physics_pairs},
                   {"batch_flop_fraction", e.batch_flop_fraction},
                   {"batch_pairs", e.batch_pairs},
                   {"batch_median_error", e.batch_median_error},
                   {"batch_spread", e.batch_spread},
                   {"cache_ratio", e.cache_ratio},
                   {"cache_pairs", e.cache_pairs}});
  }
  return out;
}

std::vector<EngineFactors> engines_from_json(const nlohmann::json& json,
                                             const std::string& origin) {
  auto engines = known_engines();
  if (!json.is_array()) throw_input("{}: /efficiency/engines must be an array", origin);
  for (size_t i = 0; i < json.size(); ++i) {
    JsonObject o(json[i], origin, fmt::format("/efficiency/engines/{}", i));
    const std::string name = o.string("name");
    auto it = std::find_if(engines.begin(), engines.end(),
                           [&](const EngineFactors& e) { return e.name == name; });
    if (it == engines.end()) o.fail("name", fmt::format("unknown engine \"{}\"", printable(name)));
    it->decode_ratio = o.number("decode_ratio", {0.0, 100.0, false});
    it->decode_pairs = o.integer("decode_pairs", 0);
    it->decode_spread = o.number("decode_spread", NumberRange::non_negative());
    it->decode_median_error =
        o.optional_number("decode_median_error", NumberRange::non_negative()).value_or(0);
    it->prefill_ratio = o.number("prefill_ratio", {0.0, 100.0, false});
    it->prefill_pairs = o.integer("prefill_pairs", 0);
    o.ignore("against_physics");  // written by older builds: decode_physics_pairs says it
    it->decode_physics_pairs =
        o.optional_integer("decode_physics_pairs", 0, it->decode_pairs).value_or(0);
    it->batch_flop_fraction =
        o.optional_number("batch_flop_fraction", NumberRange::fraction()).value_or(0);
    it->batch_pairs = o.optional_integer("batch_pairs", 0, 1000000).value_or(0);
    it->batch_median_error =
        o.optional_number("batch_median_error", NumberRange::non_negative()).value_or(0);
    it->batch_spread = o.optional_number("batch_spread", NumberRange::non_negative()).value_or(0);
    it->cache_ratio = o.optional_number("cache_ratio", {0.0, 1000.0, true}).value_or(0);
    it->cache_pairs = o.optional_integer("cache_pairs", 0, 1000000).value_or(0);
    o.finish();
  }
  return engines;
}

}  // namespace hwplan::planner
