// libFuzzer target for every text parser a user can feed: the first byte picks the parser, the
// rest is its input. Expected failures are hwplan::Error; anything else (a crash, a sanitizer
// report, another exception escaping) is a bug. The bundled profiles give the llama-args, claims
// and calibration parsers a real model and machine to work on.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/csv.h"
#include "common/error.h"
#include "common/json_util.h"
#include "formats/benchmark_results.h"
#include "formats/llama_bench.h"
#include "planner/calibration.h"
#include "planner/hardware_spec.h"
#include "planner/llama_args.h"
#include "planner/model_spec.h"
#include "planner/profiles.h"
#include "reports/claims.h"

namespace {

using namespace hwplan;

const planner::ProfileDb& db() {
  static const planner::ProfileDb kDb = planner::load_profile_db(HWPLAN_FUZZ_PROFILES_DIR);
  return kDb;
}

void llama_args(const std::string& text) {
  const auto& m = planner::find_model(db(), "qwen3-30b-a3b").spec;
  static const auto kWeights =
      planner::build_inventory(m, planner::find_quant(db().quants, "q4_k_m"));
  auto hw = planner::find_hardware(db(), "2x-rtx-3090");
  std::vector<std::string> notes;
  const auto plan = planner::plan_from_llama_args(m, kWeights, hw, planner::parse_llama_args(text),
                                                  planner::Workload{}, db().quants, notes);
  (void)planner::fit_of_plan(plan, m, hw);
}

void claims(const std::string& text) {
  for (const auto& c : reports::claims_from_csv(parse_csv(text, "fuzz.csv"), "fuzz.csv")) {
    (void)reports::check_claim(c, db());
  }
}

void calibration(const std::string& text) {
  const auto inputs_path = std::string(HWPLAN_FUZZ_PROFILES_DIR) + "/calibration_inputs.json";
  static const auto kInputs =
      planner::calibration_inputs_from_json(load_json_file(inputs_path), inputs_path);
  (void)planner::calibration_rows(parse_csv(text, "fuzz.csv"), "fuzz.csv", kInputs, db());
}

void run(uint8_t which, const std::string& text) {
  switch (which % 8) {
    case 0:
      (void)planner::model_from_hf_config(parse_json_text(text, "config.json"), "config.json");
      break;
    case 1:
      (void)planner::hardware_from_json(parse_json_text(text, "hw.json"), "hw.json");
      break;
    case 2:
      (void)planner::apply_hardware_overrides(nlohmann::json::object(), text, "--hw-spec");
      break;
    case 3:
      llama_args(text);
      break;
    case 4:
      (void)formats::parse_llama_bench(text, "bench.json");
      break;
    case 5:
      (void)formats::parse_benchmark_text(text, "results.json", "real_time");
      break;
    case 6:
      claims(text);
      break;
    default:
      calibration(text);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  try {
    run(data[0], std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  } catch (const hwplan::Error&) {
    // A clear refusal is the expected outcome for malformed input.
  }
  return 0;
}
