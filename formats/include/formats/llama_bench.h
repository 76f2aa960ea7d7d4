#pragma once
// llama-bench results (`llama-bench -o json` or `-o jsonl`): one result per model, quantization,
// thread count, GPU layers and pp/tg test, with its samples. Used by validate --llama-bench (and
// by compare).

#include <cstdint>
#include <string>
#include <vector>

namespace hwplan::formats {

/// One llama-bench result row (the fields hwplan uses).
struct LlamaBenchResult {
  std::string model_type;  ///< "llama 8B Q4_K - Medium"
  std::string model_filename;
  double model_size_bytes = 0;
  double model_n_params = 0;
  std::string backends;  ///< "CUDA", "Metal", "CPU", ...
  int64_t n_threads = 0;
  int64_t n_gpu_layers = 0;
  int64_t n_prompt = 0;
  int64_t n_gen = 0;
  int64_t n_depth = 0;
  bool flash_attn = false;
  double avg_ts = 0;  ///< tokens per second, mean over samples
  double stddev_ts = 0;
  std::vector<double> samples_ts;

  /// "pp512", "tg128", "tg128 @ d4096" as llama-bench names its tests.
  std::string test_name() const;
  /// True for a text-generation test (n_gen > 0, n_prompt == 0).
  bool is_generation() const { return n_gen > 0 && n_prompt == 0; }
};

/// Reads a JSON array or JSON Lines file of results. Error{kInput} naming the file, the row and
/// the field for anything malformed (a missing avg_ts, a negative count, not JSON at all).
std::vector<LlamaBenchResult> read_llama_bench(const std::string& path);

/// Parses the same from text; `origin` names it in errors.
std::vector<LlamaBenchResult> parse_llama_bench(const std::string& text, const std::string& origin);

/// The bundled quantization name for llama-bench's model_type suffix: "Q4_K - Medium" -> q4_k_m,
/// "mostly Q4_0" -> q4_0, "F16" -> f16. Empty when it does not recognise it.
std::string quant_from_model_type(const std::string& model_type);

}  // namespace hwplan::formats
