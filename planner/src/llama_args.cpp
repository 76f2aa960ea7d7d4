#include "planner/llama_args.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>

#include "common/error.h"
#include "common/limits.h"
#include "common/text_util.h"

namespace hwplan::planner {
namespace {

// Upper bounds for counts a command line may give (beyond any real model or machine).
constexpr int64_t kMaxLayersFlag = 1'000'000;
constexpr int64_t kMaxContextFlag = int64_t{1} << 26;
constexpr int64_t kMaxParallel = 4096;
constexpr int64_t kMaxBatchFlag = int64_t{1} << 20;
constexpr int64_t kMaxGpuIndex = 1024;

// Flags that change nothing hwplan models: sampling, networking, threads, logging. A value
// follows those in the first list.
const std::set<std::string>& ignored_value_flags() {
  static const std::set<std::string> kFlags = {"-t",
                                               "--threads",
                                               "-tb",
                                               "--threads-batch",
                                               "--host",
                                               "--port",
                                               "--temp",
                                               "--top-k",
                                               "--top-p",
                                               "--min-p",
                                               "--repeat-penalty",
                                               "-n",
                                               "--n-predict",
                                               "-s",
                                               "--seed",
                                               "-a",
                                               "--alias",
                                               "--chat-template",
                                               "--chat-template-file",
                                               "--api-key",
                                               "--timeout",
                                               "-to",
                                               "-p",
                                               "--prompt",
                                               "-f",
                                               "--file",
                                               "--numa",
                                               "--reasoning-format",
                                               "--reasoning-budget",
                                               "--cache-reuse",
                                               "--log-file",
                                               "-r",
                                               "--reverse-prompt",
                                               "--grammar",
                                               "--grammar-file",
                                               "--prio",
                                               "--poll",
                                               "-C",
                                               "--cpu-mask",
                                               "-Cr",
                                               "--cpu-range",
                                               "--keep",
                                               "--samplers",
                                               "--slot-save-path",
                                               "--log-verbosity",
                                               "-lv",
                                               "--repeat-last-n",
                                               "--presence-penalty",
                                               "--frequency-penalty"};
  return kFlags;
}

const std::set<std::string>& ignored_bare_flags() {
  static const std::set<std::string> kFlags = {"--jinja",
                                               "--mlock",
                                               "--no-mmap",
                                               "--mmap",
                                               "-cb",
                                               "--cont-batching",
                                               "-nocb",
                                               "--no-cont-batching",
                                               "--metrics",
                                               "--slots",
                                               "--no-slots",
                                               "-v",
                                               "--verbose",
                                               "--log-disable",
                                               "--no-warmup",
                                               "-cnv",
                                               "--conversation",
                                               "-no-cnv",
                                               "--no-conversation",
                                               "-i",
                                               "--interactive",
                                               "--no-webui",
                                               "--perf",
                                               "--no-perf",
                                               "-e",
                                               "--escape",
                                               "--color",
                                               "--simple-io",
                                               "-st",
                                               "--single-turn",
                                               "--no-display-prompt",
                                               "--log-colors"};
  return kFlags;
}

int64_t whole_number(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
  int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range ||
      (ec == std::errc() && ptr == end && (value < lo || value > hi))) {
    throw_usage("--llama-args: {} {}: must be between {} and {}", flag, text, lo, hi);
  }
  if (ec != std::errc() || ptr != end) {
    throw_usage("--llama-args: {} '{}': not a whole number", flag, text);
  }
  return value;
}

std::vector<double> proportions(const std::string& flag, const std::string& text) {
  std::vector<double> values;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find_first_of(",/", start);
    const std::string part =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    char* stop = nullptr;
    const double value = std::strtod(part.c_str(), &stop);
    if (part.empty() || stop != part.c_str() + part.size() || !std::isfinite(value) || value < 0) {
      throw_usage("--llama-args: {} '{}': '{}' is not a proportion >= 0", flag, text, part);
    }
    values.push_back(value);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  if (values.size() > static_cast<size_t>(kMaxGpuIndex))
    throw_usage("--llama-args: {}: too many values", flag);
  if (std::none_of(values.begin(), values.end(), [](double v) { return v > 0; })) {
    throw_usage("--llama-args: {} '{}': at least one proportion must be > 0", flag, text);
  }
  return values;
}

SplitMode split_mode(const std::string& text) {
  if (text == "none") return SplitMode::kNone;
  if (text == "layer") return SplitMode::kLayer;
  if (text == "row") return SplitMode::kRow;
  if (text == "tensor") return SplitMode::kTensor;
  throw_usage("--llama-args: -sm '{}': not one of none, layer, row, tensor", text);
}

// Checks a regex the way llama.cpp will compile it (std::regex, ECMAScript). std::regex compiles
// and matches recursively, so a pattern far longer than any tensor name could exhaust the stack:
// such patterns are refused.
constexpr size_t kMaxPatternLength = 512;

// True when a quantifier repeats something that is itself repeated ("0**", "(a*)*", "(a+){2,}"):
// std::regex backtracks exponentially on such patterns (the fuzzer found one taking 39 s on a
// 30-character tensor name), in llama.cpp as here. Lazy "*?" is fine.
bool nested_repetition(const std::string& pattern) {
  auto quantifier = [](char c) { return c == '*' || c == '+' || c == '{'; };
  std::vector<bool> group_repeats;  // per open group: does its content repeat?
  bool previous_repeats = false;    // the last atom carries a quantifier
  bool last_group_repeats = false;  // the group just closed contained a quantifier
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;  // an escaped character is an atom
      previous_repeats = last_group_repeats = false;
      continue;
    }
    if (c == '[') {  // a class is one atom
      i = pattern.find(']', i + 2);
      if (i == std::string::npos) return false;  // the regex compiler reports it
      previous_repeats = last_group_repeats = false;
      continue;
    }
    if (quantifier(c) || c == '?') {
      if (c == '?' && previous_repeats && i > 0 && pattern[i - 1] != '?') continue;  // lazy
      if (previous_repeats || last_group_repeats) return true;
      if (c == '{') i = pattern.find('}', i);
      if (i == std::string::npos) return false;
      previous_repeats = c != '?';
      if (!group_repeats.empty() && previous_repeats) group_repeats.back() = true;
      last_group_repeats = false;
      continue;
    }
    if (c == '(') {
      group_repeats.push_back(false);
    } else if (c == ')' && !group_repeats.empty()) {
      last_group_repeats = group_repeats.back();
      group_repeats.pop_back();
      if (last_group_repeats && !group_repeats.empty()) group_repeats.back() = true;
      previous_repeats = false;
      continue;
    }
    previous_repeats = last_group_repeats = false;
  }
  return false;
}

// Numbers std::regex would parse into an int without a range check (the fuzzer found signed
// overflow in libstdc++'s compiler): backreferences (\1 and up: a tensor pattern has no use for
// them) and repetition counts of more than four digits.
std::string unsafe_number(const std::string& pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (pattern[i + 1] >= '1' && pattern[i + 1] <= '9') return "a backreference";
      ++i;
      continue;
    }
    if (pattern[i] == '{') {
      size_t digits = 0;
      for (size_t k = i + 1; k < pattern.size() && pattern[k] != '}'; ++k) {
        digits = std::isdigit(static_cast<unsigned char>(pattern[k])) != 0 ? digits + 1 : 0;
        if (digits > 4) return "a repetition count over 9999";
      }
    }
  }
  return "";
}

void check_regex(const std::string& flag, const std::string& pattern) {
  if (const auto what = unsafe_number(pattern); !what.empty()) {
    throw_usage("--llama-args: {} '{}': {} is not allowed in a tensor pattern", flag, pattern,
                what);
  }
  if (nested_repetition(pattern)) {
    throw_usage(
        "--llama-args: {} '{}': a repetition of something already repeated (like 'a**' "
        "or '(a*)*') can take exponential time to match; write it once",
        flag, pattern);
  }
  if (pattern.size() > kMaxPatternLength) {
    throw_usage("--llama-args: {}: a pattern of {} characters is longer than the {} allowed", flag,
                pattern.size(), kMaxPatternLength);
  }
  try {
    const std::regex compiled(pattern);
    (void)compiled;
  } catch (const std::regex_error& e) {
    throw_usage("--llama-args: {} '{}': not a valid regular expression ({})", flag, pattern,
                e.what());
  }
}

// "-ot a=CPU,b=CUDA0": llama.cpp splits the value at commas, each at its first '='.
void add_overrides(LlamaArgs& args, const std::string& flag, const std::string& value) {
  size_t start = 0;
  while (start <= value.size()) {
    const size_t end = value.find(',', start);
    const std::string entry =
        value.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
      throw_usage("--llama-args: {} '{}': expected <tensor name pattern>=<buffer type>", flag,
                  entry);
    }
    TensorOverride o{entry.substr(0, eq), entry.substr(eq + 1), flag};
    check_regex(flag, o.pattern);
    args.overrides.push_back(std::move(o));
    if (end == std::string::npos) break;
    start = end + 1;
  }
}

// llama.cpp's --cpu-moe and --n-cpu-moe patterns (common/arg.cpp: llm_ffn_exps_block_regex).
constexpr const char* kExpsPattern = "\\.ffn_(up|down|gate)_exps";
std::string layer_exps_pattern(int64_t layer) {
  return fmt::format("blk\\.{}{}", layer, kExpsPattern);
}

bool is_on(const std::string& flag, const std::string& value) {
  const std::string v = to_lower(value);
  if (v == "on" || v == "1" || v == "true" || v == "enabled") return true;
  if (v == "off" || v == "0" || v == "false" || v == "disabled") return false;
  throw_usage("--llama-args: {} '{}': expected on or off", flag, value);
}

bool is_switch_value(const std::string& value) {
  static const std::set<std::string> kValues = {"on",   "off",   "auto",    "1",       "0",
                                                "true", "false", "enabled", "disabled"};
  return kValues.count(to_lower(value)) > 0;
}

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The device a buffer name stands for on this machine ("CPU", "CUDA1", "Metal", ...).
Device buffer_device(const TensorOverride& o, const HardwareSpec& hw, int64_t n_gpus) {
  const std::string name = to_lower(o.buffer);
  if (name == "cpu") return host_device();
  int64_t index = -1;
  if (name == "metal") index = 0;
  for (const std::string prefix : {"cuda", "rocm", "vulkan", "sycl", "mtl", "gpu"}) {
    if (index < 0 && name.rfind(prefix, 0) == 0 && name.size() > prefix.size()) {
      const std::string digits = name.substr(prefix.size());
      if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          digits.size() < 5) {
        index = std::stoll(digits);
      }
    }
  }
  if (index < 0) {
    throw_usage(
        "--llama-args: {} {}={}: unknown buffer type '{}' (CPU, CUDA0, ROCm0, Vulkan0, "
        "Metal, ...)",
        o.flag, o.pattern, o.buffer, o.buffer);
  }
  if (index >= n_gpus) {
    throw_usage("--llama-args: {} {}={}: {} has {} GPU{}", o.flag, o.pattern, o.buffer, hw.id,
                n_gpus, n_gpus == 1 ? "" : "s");
  }
  return gpu_device(index);
}

KvCacheType kv_type(const QuantCatalog& catalog, const std::string& flag, const std::string& name) {
  try {
    return find_kv_cache_type(catalog, name);
  } catch (const Error& e) {
    throw Error(ErrorKind::kUsage, fmt::format("--llama-args: {}: {}", flag, e.what()));
  }
}

}  // namespace

std::vector<std::string> split_command_line(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'' || c == '"') {
      const size_t close = text.find(c, i + 1);
      if (close == std::string::npos) throw_usage("--llama-args: unclosed {} quote", c);
      std::string quoted = text.substr(i + 1, close - i - 1);
      if (c == '"') {  // inside double quotes a backslash escapes only \ " $ `
        std::string unescaped;
        for (size_t k = 0; k < quoted.size(); ++k) {
          if (quoted[k] == '\\' && k + 1 < quoted.size() &&
              std::string("\\\"$`").find(quoted[k + 1]) != std::string::npos) {
            ++k;
          }
          unescaped += quoted[k];
        }
        quoted = unescaped;
      }
      word += quoted;
      in_word = true;
      i = close;
    } else if (c == '\\' && i + 1 < text.size()) {
      if (text[i + 1] != '\n') word += text[i + 1];  // a backslash-newline joins lines
      in_word = in_word || text[i + 1] != '\n';
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

LlamaArgs parse_llama_args(const std::string& text) {
  const auto words = split_command_line(text);
  LlamaArgs args;
  size_t i = 0;
  if (!words.empty() && words[0].rfind('-', 0) != 0) args.program = words[i++];
  while (i < words.size()) {
    std::string flag = words[i++];
    std::optional<std::string> inline_value;
    if (flag.rfind("--", 0) == 0 && flag.find('=') != std::string::npos) {
      inline_value = flag.substr(flag.find('=') + 1);
      flag = flag.substr(0, flag.find('='));
    }
    auto value = [&]() -> std::string {
      if (inline_value) return *inline_value;
      if (i >= words.size()) throw_usage("--llama-args: {} needs a value", flag);
      return words[i++];
    };
    if (flag == "-m" || flag == "--model") {
      args.model_path = value();
    } else if (flag == "-ngl" || flag == "--gpu-layers" || flag == "--n-gpu-layers") {
      const std::string v = value();
      if (v == "auto" || v == "-1") {
        args.n_gpu_layers.reset();
        args.n_gpu_layers_auto = true;
      } else if (v == "all") {
        args.n_gpu_layers = kMaxLayersFlag;
      } else {
        args.n_gpu_layers = whole_number(flag, v, 0, kMaxLayersFlag);
      }
    } else if (flag == "-ot" || flag == "--override-tensor") {
      add_overrides(args, flag, value());
    } else if (flag == "-cmoe" || flag == "--cpu-moe") {
      args.overrides.push_back({kExpsPattern, "CPU", flag});
    } else if (flag == "-ncmoe" || flag == "--n-cpu-moe") {
      // One override per layer, as llama.cpp adds them; matched by layer, not by regex (the
      // fuzzer found 39,999 compiled patterns taking 42 s).
      const int64_t n = whole_number(flag, value(), 0, limits::kMaxLayers);
      for (int64_t layer = 0; layer < n; ++layer) {
        args.overrides.push_back({layer_exps_pattern(layer), "CPU", flag, layer});
      }
    } else if (flag == "-ts" || flag == "--tensor-split") {
      args.tensor_split = proportions(flag, value());
    } else if (flag == "-sm" || flag == "--split-mode") {
      args.split = split_mode(value());
    } else if (flag == "-mg" || flag == "--main-gpu") {
      args.main_gpu = whole_number(flag, value(), 0, kMaxGpuIndex);
    } else if (flag == "-c" || flag == "--ctx-size") {
      args.context_tokens = whole_number(flag, value(), 0, kMaxContextFlag);
    } else if (flag == "-np" || flag == "--parallel") {
      const std::string v = value();
      if (v != "-1" && v != "auto") args.n_parallel = whole_number(flag, v, 1, kMaxParallel);
    } else if (flag == "-kvu" || flag == "--kv-unified") {
      args.kv_unified = true;
    } else if (flag == "-no-kvu" || flag == "--no-kv-unified") {
      args.kv_unified = false;
    } else if (flag == "-ub" || flag == "--ubatch-size") {
      args.ubatch_tokens = whole_number(flag, value(), 1, kMaxBatchFlag);
    } else if (flag == "-b" || flag == "--batch-size") {
      args.batch_tokens = whole_number(flag, value(), 1, kMaxBatchFlag);
    } else if (flag == "-ctk" || flag == "--cache-type-k") {
      args.cache_type_k = value();
    } else if (flag == "-ctv" || flag == "--cache-type-v") {
      args.cache_type_v = value();
    } else if (flag == "-fa" || flag == "--flash-attn") {
      // Older llama.cpp took -fa alone; current takes on|off|auto.
      std::string v = "on";
      if (inline_value || (i < words.size() && is_switch_value(words[i]))) v = value();
      v = to_lower(v);
      args.flash_attention = v == "auto" ? "auto" : (is_on(flag, v) ? "on" : "off");
    } else if (flag == "-nkvo" || flag == "--no-kv-offload") {
      args.no_kv_offload = true;
    } else if (flag == "-fit" || flag == "--fit") {
      args.fit = is_on(flag, value());
    } else if (flag == "-fitt" || flag == "--fit-target") {
      const std::string v = value();
      args.fit_target_mib.clear();
      for (double mib : proportions(flag, v))
        args.fit_target_mib.push_back(static_cast<int64_t>(mib));
    } else if (flag == "-fitc" || flag == "--fit-ctx") {
      args.fit_ctx = whole_number(flag, value(), 0, kMaxContextFlag);
    } else if (ignored_value_flags().count(flag) > 0) {
      (void)value();
    } else if (ignored_bare_flags().count(flag) > 0) {
      continue;
    } else if (flag.rfind('-', 0) == 0 && flag.size() > 1) {
      // Not modelled: listed, with the word after it when that looks like its value.
      std::string shown = flag;
      if (inline_value) {
        shown += "=" + *inline_value;
      } else if (i < words.size() && words[i].rfind('-', 0) != 0) {
        shown += " " + words[i++];
      }
      args.unknown.push_back(shown);
    } else {
      args.unknown.push_back(flag);
    }
  }
  return args;
}

ExecutionPlan plan_from_llama_args(const ModelSpec& m, const WeightInventory& inv,
                                   const HardwareSpec& hw, const LlamaArgs& args,
                                   const Workload& base, const QuantCatalog& catalog,
                                   std::vector<std::string>& notes) {
  const int64_t n_gpus = placement_gpu_count(hw);
  Workload w = base;
  const int64_t sequences = args.n_parallel.value_or(1);
  if (!args.n_parallel && base_name(args.program).find("llama-server") != std::string::npos) {
    notes.emplace_back(
        "llama-server without -np runs 4 slots sharing one cache of -c cells: the "
        "memory is that of -c; the speed shown is for one active sequence");
  }
  int64_t total_cells = args.context_tokens.value_or(base.context_tokens * base.batch);
  if (args.context_tokens && *args.context_tokens == 0) total_cells = m.max_context * sequences;
  if (total_cells < sequences) {
    throw_usage("--llama-args: -c {} is less than one cell per sequence (-np {})", total_cells,
                sequences);
  }
  w.batch = sequences;
  w.context_tokens = total_cells / sequences;  // llama.cpp: n_ctx_seq = n_ctx / n_seq
  const KvCacheType k =
      args.cache_type_k ? kv_type(catalog, "-ctk", *args.cache_type_k) : base.kv_cache;
  const KvCacheType v =
      args.cache_type_v ? kv_type(catalog, "-ctv", *args.cache_type_v) : base.kv_cache;
  // K and V hold the same number of elements (GQA), so mixed types average exactly.
  w.kv_cache =
      k == v ? k
             : KvCacheType{k.name + "/" + v.name, (k.bytes_per_element + v.bytes_per_element) / 2};
  const int64_t batch_tokens = args.batch_tokens.value_or(2048);
  w.ubatch_tokens = std::min(args.ubatch_tokens.value_or(base.ubatch_tokens), batch_tokens);
  if (args.flash_attention) w.flash_attention = *args.flash_attention != "off";
  if (!w.flash_attention && quantized_cache(v)) {
    throw_usage("--llama-args: -ctv {}: a quantized V cache needs flash attention (-fa on)",
                v.name);
  }
  validate_workload(m, w);
  const SplitMode split = args.split.value_or(SplitMode::kLayer);
  const int64_t main_gpu = args.main_gpu.value_or(0);
  if (n_gpus > 0 && main_gpu >= n_gpus) {
    throw_usage("--llama-args: -mg {}: {} has {} GPU{}", main_gpu, hw.id, n_gpus,
                n_gpus == 1 ? "" : "s");
  }
  if (static_cast<int64_t>(args.tensor_split.size()) > std::max<int64_t>(n_gpus, 1)) {
    throw_usage("--llama-args: -ts lists {} values but {} has {} GPU{}", args.tensor_split.size(),
                hw.id, n_gpus, n_gpus == 1 ? "" : "s");
  }
  const bool pinned = args.n_gpu_layers || !args.tensor_split.empty() || !args.overrides.empty();
  const bool fitter = args.fit.value_or(true) && !pinned;
  ExecutionPlan plan;
  if (fitter && n_gpus > 0) {
    // llama.cpp fits memory itself here; hwplan's own placement stands in for its fitter.
    const FitResult fit = fit_model(m, inv, hw, w);
    plan = plan_from_fit(m, inv, hw, w, fit, OffloadMode::kCpu);
    notes.emplace_back(
        "placement left to llama.cpp's fitter (-ngl auto, --fit on): hwplan's own "
        "placement is shown; llama.cpp's may differ");
  } else {
    int64_t ngl = std::min(args.n_gpu_layers.value_or(m.n_layers + 1), m.n_layers + 1);
    if (n_gpus == 0) ngl = 0;
    std::vector<double> shares = args.tensor_split;
    // Without -ts llama.cpp splits by each GPU's free memory.
    if (shares.empty()) shares = default_split_proportions(hw);
    if (split == SplitMode::kNone && n_gpus > 0) {
      shares.assign(static_cast<size_t>(n_gpus), 0.0);
      shares[static_cast<size_t>(main_gpu)] = 1.0;
    }
    const auto devices = llama_layer_devices(m.n_layers, ngl, n_gpus, shares);
    plan = plan_from_layers(m, inv, hw, w, devices, !args.no_kv_offload);
    plan.tensor_split = args.tensor_split;
  }
  // Tensor overrides, first match wins (llama_model_loader: std::regex_search, in order).
  struct Rule {
    std::optional<std::regex> pattern;
    int64_t expert_layer = -1;
    Device device;
  };
  std::vector<Rule> rules;
  for (const auto& o : args.overrides) {
    Rule rule;
    if (o.expert_layer < 0) rule.pattern = std::regex(o.pattern);
    rule.expert_layer = o.expert_layer;
    rule.device = buffer_device(o, hw, n_gpus);
    rules.push_back(std::move(rule));
  }
  for (auto& t : plan.tensors) {
    for (const auto& rule : rules) {
      const bool match = rule.pattern ? std::regex_search(t.tensor.name, *rule.pattern)
                                      : t.tensor.layer == rule.expert_layer &&
                                            t.tensor.cls == TensorClass::kExperts;
      if (match) {
        t.device = rule.device;
        break;
      }
    }
  }
  plan.batch_tokens = batch_tokens;
  plan.kv_unified = args.kv_unified.value_or(false);
  plan.split = split;
  plan.main_gpu = main_gpu;
  plan.n_gpus = n_gpus;
  plan.offload_kv = !args.no_kv_offload;
  if (args.no_kv_offload) {
    for (auto& kv : plan.kv) kv.device = host_device();
  }
  if (!args.unknown.empty()) {
    notes.push_back(fmt::format("not modelled, ignored: {}", fmt::join(args.unknown, " ")));
  }
  return plan;
}

namespace {

// "blk.12.ffn_up_exps.weight" -> (12, "ffn_up_exps"); other names -> (-1, name).
std::pair<int64_t, std::string> split_name(const std::string& name) {
  static const std::regex kBlock(R"(^blk\.(\d+)\.(.+)\.weight$)");
  std::smatch match;
  if (std::regex_match(name, match, kBlock)) return {std::stoll(match[1].str()), match[2].str()};
  return {-1, name};
}

std::string regex_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string(".^$|()[]{}*+?\\").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string alternation(const std::set<int64_t>& layers) {
  std::vector<std::string> parts;
  parts.reserve(layers.size());
  for (int64_t l : layers) parts.push_back(std::to_string(l));
  return parts.size() == 1 ? parts[0] : fmt::format("({})", fmt::join(parts, "|"));
}

std::string shell_quote(const std::string& word) {
  if (word.find_first_of(" \t\\'\"()|*?[]{}$;&<>`") == std::string::npos) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string emit_llama_command(const ExecutionPlan& plan, const ModelSpec& m,
                               const HardwareSpec& hw, const std::string& model_path, EmitMode mode,
                               std::string* why) {
  std::vector<std::string> words = {"llama-server", "-m",
                                    model_path.empty() ? "MODEL.gguf" : model_path};
  const Workload& w = plan.workload;
  auto add = [&words](std::string flag, std::string value = "") {
    words.push_back(std::move(flag));
    if (!value.empty()) words.push_back(std::move(value));
  };
  bool kv_kept_on_gpu = false;
  // llama.cpp's CPU backend has nothing to place: no -ngl, -nkvo or --fit.
  const bool cpu_only = plan.n_gpus == 0;
  if (mode == EmitMode::kPinned && !cpu_only) {
    add("-ngl", std::to_string(plan.n_gpu_layers));
    std::vector<double> shares = plan.tensor_split;
    if (plan.split == SplitMode::kNone && plan.n_gpus > 0) {
      shares.assign(static_cast<size_t>(plan.n_gpus), 0.0);
      shares[static_cast<size_t>(plan.main_gpu)] = 1.0;
    }
    const auto defaults = llama_layer_devices(m.n_layers, plan.n_gpu_layers, plan.n_gpus, shares);
    if (!plan.tensor_split.empty())
      add("-ts", fmt::format("{}", fmt::join(plan.tensor_split, ",")));
    if (plan.split != SplitMode::kLayer) add("-sm", split_mode_name(plan.split));
    if (plan.main_gpu != 0) add("-mg", std::to_string(plan.main_gpu));
    // Tensors away from their layer's device: grouped by device and tensor kind into patterns.
    std::map<std::string, std::map<std::string, std::set<int64_t>>>
        moved;                                                    // device -> kind -> layers
    std::map<std::string, std::vector<std::string>> moved_other;  // device -> names
    std::set<int64_t> expert_layers;
    for (const auto& t : plan.tensors) {
      if (t.tensor.cls == TensorClass::kExperts) expert_layers.insert(t.tensor.layer);
    }
    for (const auto& t : plan.tensors) {
      const Device expected =
          t.tensor.cls == TensorClass::kEmbedding
              ? host_device()
              : defaults[static_cast<size_t>(std::clamp<int64_t>(t.tensor.layer, 0, m.n_layers))];
      if (t.device == expected) continue;
      if (t.device.kind == DeviceKind::kStreamed) {
        throw Error(ErrorKind::kUnsupported,
                    "weights streamed over the bus every token have no llama.cpp flag");
      }
      const std::string buffer = device_name(t.device, hw.backend);
      const auto [layer, kind] = split_name(t.tensor.name);
      if (layer >= 0) {
        moved[buffer][kind].insert(layer);
      } else {
        moved_other[buffer].push_back(t.tensor.name);
      }
      if (t.device.kind == DeviceKind::kHost && layer >= 0 &&
          defaults[static_cast<size_t>(layer)].kind == DeviceKind::kGpu) {
        kv_kept_on_gpu = true;
      }
    }
    for (const auto& [buffer, kinds] : moved) {
      // Kinds moved for the same layers share one pattern.
      std::map<std::set<int64_t>, std::vector<std::string>> by_layers;
      for (const auto& [kind, layers] : kinds) by_layers[layers].push_back(kind);
      for (const auto& [layers, names] : by_layers) {
        const bool all_experts =
            names == std::vector<std::string>{"ffn_down_exps", "ffn_gate_exps", "ffn_up_exps"};
        if (all_experts && buffer == "CPU" && layers == expert_layers) {
          add("--cpu-moe");  // every routed expert
          continue;
        }
        if (all_experts && buffer == "CPU" &&
            *layers.rbegin() + 1 == static_cast<int64_t>(layers.size())) {
          add("--n-cpu-moe", std::to_string(layers.size()));  // the experts of layers 0..N-1
          continue;
        }
        std::vector<std::string> escaped;
        for (const auto& n : names) escaped.push_back(regex_escape(n));
        const std::string kind_pattern =
            escaped.size() == 1 ? escaped[0] : fmt::format("({})", fmt::join(escaped, "|"));
        add("-ot",
            fmt::format(R"(blk\.{}\.{}\.weight={})", alternation(layers), kind_pattern, buffer));
      }
    }
    for (const auto& [buffer, names] : moved_other) {
      for (const auto& n : names) add("-ot", fmt::format("^{}$={}", regex_escape(n), buffer));
    }
    for (const auto& kv : plan.kv) {
      const Device layer_device = defaults[static_cast<size_t>(kv.layer)];
      const Device expected = plan.offload_kv ? layer_device : host_device();
      if (kv.device != expected) {
        throw Error(ErrorKind::kUnsupported,
                    fmt::format("the KV cache of layer {} is placed apart from its layer, which no "
                                "llama.cpp flag expresses",
                                kv.layer));
      }
    }
    if (!plan.offload_kv) add("-nkvo");
  }
  add("-c", std::to_string(w.context_tokens * w.batch));
  if (w.batch > 1) add("-np", std::to_string(w.batch));
  if (plan.kv_unified) add("--kv-unified");
  if (w.ubatch_tokens != 512) add("-ub", std::to_string(w.ubatch_tokens));
  if (plan.batch_tokens != 2048) add("-b", std::to_string(plan.batch_tokens));
  if (w.kv_cache.name != "F16") {
    const auto slash = w.kv_cache.name.find('/');
    add("-ctk", to_lower(w.kv_cache.name.substr(0, slash)));
    add("-ctv",
        to_lower(slash == std::string::npos ? w.kv_cache.name : w.kv_cache.name.substr(slash + 1)));
  }
  add("-fa", w.flash_attention ? "on" : "off");
  // Over several nodes llama.cpp reaches the other nodes' GPUs through its RPC backend; their
  // devices come first in its device order, so this command runs on the last node of the plan.
  std::vector<std::string> remotes;
  for (int64_t node = 1; node < plan.nodes; ++node)
    remotes.push_back(fmt::format("NODE{}:50052", node));
  if (!remotes.empty()) add("--rpc", fmt::format("{}", fmt::join(remotes, ",")));
  if (cpu_only) {
    if (why != nullptr)
      *why = "llama.cpp's CPU backend: every tensor in host RAM, nothing to place";
  } else if (mode == EmitMode::kPinned) {
    add("--fit", "off");
    if (why != nullptr) {
      *why = kv_kept_on_gpu
                 ? "every placement is pinned (--fit off): the KV cache stays on the GPU with its "
                   "layer while weights live in host RAM; llama.cpp's fitter would spill the KV "
                   "cache with its layers"
                 : "every placement is pinned (--fit off), so llama.cpp runs exactly this plan";
    }
  } else {
    add("--fit", "on");
    add("--fit-ctx", std::to_string(w.context_tokens));
    if (why != nullptr)
      *why = "placement is left to llama.cpp's own fitter, which keeps at least --fit-ctx tokens";
  }
  if (why != nullptr && !remotes.empty()) {
    *why += fmt::format(
        "; over {} nodes: run `rpc-server -H 0.0.0.0 -p 50052` (llama.cpp built with "
        "-DGGML_RPC=ON) on each other node, named NODE1.. in --rpc, and this command on the last "
        "node (llama.cpp places the RPC devices first, as the plan does)",
        plan.nodes);
  }
  std::vector<std::string> quoted;
  quoted.reserve(words.size());
  for (const auto& word : words) quoted.push_back(shell_quote(word));
  return fmt::format("{}", fmt::join(quoted, " "));
}

}  // namespace hwplan::planner
