// The hwplan executable: registers subcommands with CLI11, picks the output format and sink, and
// is the one place that catches errors and turns them into exit codes (STYLE.md).

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>

#include "app.h"
#include "cmd_calibrate.h"
#include "cmd_claims.h"
#include "cmd_compare.h"
#include "cmd_fit.h"
#include "cmd_generate.h"
#include "cmd_list.h"
#include "cmd_predict.h"
#include "cmd_probe.h"
#include "cmd_report.h"
#include "cmd_scan.h"
#include "cmd_synth.h"
#include "cmd_validate.h"
#include "common/cancel.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/limits.h"
#include "common/text_util.h"

namespace {

// A whole number in [lo, hi]: rejects 0, negatives and values that would wrap (4294967296 threads).
CLI::Validator count_in(int64_t lo, int64_t hi) { return CLI::Range(lo, hi); }

// A finite number in [lo, hi]: NaN and infinities are refused (a plain range lets NaN through).
CLI::Validator finite_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) ||
            value < lo || value > hi) {
          return fmt::format("'{}' is not a finite number in [{}, {}]", text, lo, hi);
        }
        return "";
      },
      fmt::format("NUMBER in [{} - {}]", lo, hi));
}

constexpr const char* kLlamaArgsHelp =
    "A llama.cpp command line (quoted) whose placement to plan: -ngl, -ot/--override-tensor, "
    "--cpu-moe, -ncmoe, -ts, -sm, -mg, -c (all sequences), -np, --kv-unified, -ub, -b, -ctk/-ctv, "
    "-fa, -nkvo, --fit; other flags are listed as not modelled";

using hwplan::cli::CommandResult;

struct OutputOptions {
  std::string format = "text";
  bool json = false;
  std::string out;
};

void add_output_options(CLI::App* command, OutputOptions& output) {
  command->add_option("--format", output.format, "Output format: text, json, md, csv or html")
      ->capture_default_str();
  command->add_flag("--json", output.json, "Same as --format json");
  command->add_option("-o,--out", output.out, "Write the result to this file instead of stdout");
}

int emit(const CommandResult& result, const OutputOptions& output) {
  const auto format = hwplan::reports::parse_format(output.json ? "json" : output.format);
  const std::string text = hwplan::reports::render(result.report, format);
  if (output.out.empty()) {
    std::cout << text << std::flush;
    if (!std::cout) {
      throw hwplan::Error(hwplan::ErrorKind::kResource,
                          "standard output: write failed (closed, or the disk is full)");
    }
  } else {
    hwplan::write_output_file(output.out, text);
    std::fprintf(stderr, "hwplan: wrote %s\n", output.out.c_str());
  }
  return result.exit_code;
}

// --hw's help, the same on every subcommand but for its default.
std::string hw_help(const std::string& default_machines) {
  return "Bundled hardware id or profile JSON; a+b puts b's GPUs beside a's in a's host (e.g. "
         "rtx-5090+rtx-4090: mixed GPUs); repeat or comma-separate (default: " +
         default_machines + ")";
}

std::string join_args(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) line += (i ? " " : "") + std::string(argv[i]);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  hwplan::install_cancel_handler();
  CLI::App app{
      "hwplan: will this LLM fit this machine, and how fast will it run?\n"
      "Profiles of machines and models are bundled (hwplan list hardware|models|quants)."};
  app.require_subcommand(1);
  hwplan::cli::GlobalOptions global;
  global.command_line = join_args(argc, argv);
  app.add_option(
      "--profiles", global.profiles_dir,
      "Profile directory (default: $HWPLAN_PROFILES, then the installed or source copy)");
  OutputOptions output;

  hwplan::cli::ListOptions list;
  auto* list_cmd = app.add_subcommand("list", "List bundled hardware, models or quantizations");
  list_cmd->add_option("what", list.what, "hardware, models or quants")
      ->required()
      ->check(CLI::IsMember({"hardware", "models", "quants"}));
  add_output_options(list_cmd, output);

  hwplan::cli::FitOptions fit;
  auto* fit_cmd = app.add_subcommand(
      "fit",
      "Will a model fit? Memory breakdown, placement, longest context, best quantization "
      "and the llama.cpp flags, per machine");
  fit_cmd
      ->add_option("-m,--model", fit.models,
                   "Bundled model id, a config.json or a .gguf file (repeat or comma-separate)")
      ->required()
      ->delimiter(',');
  fit_cmd
      ->add_option("-q,--quant", fit.quant, "Quantization (hwplan list quants); ignored for GGUF")
      ->capture_default_str();
  fit_cmd
      ->add_option("-c,--ctx", fit.context_tokens,
                   "Context tokens per sequence (default: 8192 or the model's maximum if lower)")
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  fit_cmd->add_option("--kv-type", fit.kv_type, "KV cache type: f16, q8_0, q4_0, ...")
      ->capture_default_str();
  fit_cmd
      ->add_option("-b,--batch,--concurrency", fit.batch,
                   "Users at once: parallel sequences (llama-server -np), each with its own KV "
                   "cache")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxSequences));
  fit_cmd->add_option("--hw", fit.hw, hw_help("all bundled"))->delimiter(',');
  fit_cmd->add_option("--hw-spec", fit.hw_specs,
                      "key=value,... profile fields: overrides --hw, or alone an inline machine, "
                      "e.g. kind=unified,memory_gib=128,bandwidth_gbs=256,fp16_tflops=59");
  fit_cmd->add_option("--gpus", fit.gpus, "Number of GPUs in each discrete machine (what-if)")
      ->check(count_in(1, hwplan::limits::kMaxGpus));
  fit_cmd->add_option("--llama-args", fit.llama_args, kLlamaArgsHelp);
  fit_cmd
      ->add_option(
          "--engine", fit.engine,
          "llama.cpp (default), ik_llama.cpp, mlx, exo, vllm, exllamav2, exllamav3, or all (a row "
          "per engine that runs on the machine and loads the weights): the decode "
          "column is that engine's (llama.cpp's physics times its published speed over "
          "llama.cpp); the plan is llama.cpp's, and vllm, mlx, exllamav2 and exllamav3 add a "
          "table of their own memory (ExLlama, which cannot offload, is no fit where it does "
          "not fit)")
      ->capture_default_str();
  fit_cmd
      ->add_option("--split", fit.split,
                   "Across GPUs: layer (pipeline), row or tensor (parallel), none (one GPU); "
                   "exllamav2/v3 run tensor parallel for row or tensor; -sm in --llama-args wins")
      ->capture_default_str();
  fit_cmd
      ->add_option("--nodes", fit.nodes,
                   "Identical machines: will the model fit across them, as a pipeline (--split "
                   "layer) or tensor parallel over --link (--split tensor)")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxNodes));
  fit_cmd
      ->add_option("--link", fit.link,
                   "Link between nodes: thunderbolt5, 10gbe, 25gbe, 100gbe, infiniband")
      ->capture_default_str();
  fit_cmd->add_flag("--require-fit", fit.require_fit,
                    "Exit 1 unless the model fits entirely in GPU/unified memory everywhere");
  fit_cmd->add_flag(
      "--allow-offload", fit.allow_offload,
      "With --require-fit: partial offload and a raised memory limit count as fitting");
  add_output_options(fit_cmd, output);

  hwplan::cli::PredictCliOptions predict;
  auto* predict_cmd = app.add_subcommand(
      "predict", "Decode and prefill tokens/second, time to first token, and what bounds them");
  predict_cmd
      ->add_option("-m,--model", predict.models,
                   "Bundled model id, a config.json or a .gguf file (repeat or comma-separate)")
      ->required()
      ->delimiter(',');
  predict_cmd
      ->add_option("-q,--quant", predict.quants,
                   "Quantizations, each predicted for every model (repeat or comma-separate; "
                   "hwplan list quants)")
      ->capture_default_str()
      ->delimiter(',');
  predict_cmd
      ->add_option("-c,--ctx", predict.request.context_tokens,
                   "Tokens in the KV cache when decoding (default 4096, or --depth + --prompt when "
                   "--depth is given; at most the model's max)")
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  predict_cmd
      ->add_option("-p,--prompt", predict.prompt_tokens, "Prompt tokens for prefill and TTFT")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  predict_cmd
      ->add_option("-d,--depth", predict.depth_tokens,
                   "Tokens already in the cache when the prompt arrives (a conversation's "
                   "history; llama-bench -d): prefill attends to them, and decode continues after "
                   "the prompt")
      ->capture_default_str()
      ->check(count_in(0, hwplan::limits::kMaxContextTokens));
  predict_cmd
      ->add_option("-b,--batch,--concurrency", predict.request.batch,
                   "Users at once: parallel sequences (llama-server -np); decode is then shown "
                   "per user and in aggregate, and TTFT for all prompts arriving together")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxSequences));
  predict_cmd->add_option("--kv-type", predict.request.kv_type, "KV cache type")
      ->capture_default_str();
  predict_cmd->add_option("--hw", predict.hw, hw_help("all bundled"))->delimiter(',');
  predict_cmd->add_option("--hw-spec", predict.hw_specs,
                          "key=value,... overrides or an inline machine");
  predict_cmd->add_option("--gpus", predict.gpus, "GPUs in each discrete machine (what-if)")
      ->check(count_in(1, hwplan::limits::kMaxGpus));
  predict_cmd
      ->add_option("--offload", predict.offload,
                   "What does not fit the GPU: auto|cpu (CPU computes it), stream (copied over "
                   "the bus per token), none (refuse)")
      ->capture_default_str();
  predict_cmd
      ->add_option("--split", predict.split,
                   "Across GPUs: layer (pipeline), row or tensor (parallel), none (one GPU); -sm "
                   "in --llama-args wins")
      ->capture_default_str();
  predict_cmd
      ->add_option("--nodes", predict.nodes,
                   "Identical machines: a pipeline (--split layer) or tensor parallel over --link "
                   "(--split tensor)")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxNodes));
  predict_cmd
      ->add_option("--link", predict.link,
                   "Link between nodes: thunderbolt5, 10gbe, 25gbe, 100gbe, infiniband")
      ->capture_default_str();
  predict_cmd
      ->add_option("--engine", predict.engine,
                   "llama.cpp (default), ik_llama.cpp, mlx, exo, vllm, exllamav2, exllamav3, or "
                   "all (one row per "
                   "engine that "
                   "runs on the machine): other engines are llama.cpp's physics times their "
                   "published speed over llama.cpp")
      ->capture_default_str();
  predict_cmd->add_option("--backend", predict.backend,
                          "cuda|metal|rocm|vulkan|cpu (default: the machine's)");
  predict_cmd->add_option("--llama-args", predict.llama_args, kLlamaArgsHelp);
  add_output_options(predict_cmd, output);

  hwplan::cli::ProbeCliOptions probe;
  OutputOptions probe_output;
  auto* probe_cmd = app.add_subcommand(
      "probe",
      "Measure this machine (bandwidth, latency, compute, topology) and write a hardware "
      "profile the planner loads");
  probe_cmd->add_flag("--quick", probe.quick,
                      "Fewer kernels and repetitions: read, copy and triad at 1 and all threads, 3 "
                      "windows of at least 1 GiB each (about 3.5 s on 2 cores)");
  probe_cmd->add_option("-o,--output,--out", probe.write, "Write the hardware profile JSON here");
  probe_cmd
      ->add_option("--threads", probe.threads,
                   "Threads for the all-thread runs (default: all CPUs)")
      ->check(count_in(0, hwplan::limits::kMaxThreads));
  probe_cmd->add_option("--expect", probe.expect,
                        "Saved profile: exit 1 when bandwidth or compute fell below 90% of it");
  probe_cmd->add_option("--id", probe.id, "Profile id")->capture_default_str();
  probe_cmd->add_option("--gpu-result", probe.gpu_result,
                        "Use this GPU measurement (measured.gpu of a probed profile, or a file "
                        "scripts/gpu_measure.sh wrote) instead of probing the GPU; with a GPU the "
                        "profile is discrete");
  probe_cmd->add_flag("--usable-memory", probe.usable_memory,
                      "Also find how much memory can really be allocated: allocate and touch it in "
                      "512 MiB steps up to MemAvailable and the cgroup limit less a margin "
                      "(max 1 GiB, 5% of RAM), never into swap; all freed after (and on Ctrl-C)");
  probe_cmd
      ->add_option("--usable-cap", probe.usable_cap_gib,
                   "With --usable-memory: stop at this many GiB at the latest")
      ->check(CLI::Range(0.0, 1e6));
  probe_cmd->add_flag(
      "--compare-stream", probe.compare_stream,
      "Only compare copy/triad with STREAM's loops, interleaved, and print the ratios");
  probe_cmd->add_option("--format", probe_output.format, "Output format: text, json, md or csv")
      ->capture_default_str();
  probe_cmd->add_flag("--json", probe_output.json, "Same as --format json");

  hwplan::cli::CalibrateOptions calibrate;
  auto* calibrate_cmd = app.add_subcommand(
      "calibrate",
      "Fit the speed model's efficiency factors to published measurements and report "
      "its error on them");
  calibrate_cmd->add_option(
      "--csv", calibrate.csv,
      "Measured rows, repeatable (default: the bundled profiles/measurements/measured.csv and "
      "configs.csv)");
  calibrate_cmd->add_option("--write", calibrate.write,
                            "Write the fitted factors here (profiles/calibration.json)");
  calibrate_cmd->add_flag("--rows", calibrate.rows, "Include the per-row table");
  // The report (targets, categories, factors, bands, engines) is what calibrate prints anyway;
  // --report says so in a script.
  calibrate_cmd->add_flag("--report")
      ->description("Print the error report against the targets (the default)");
  add_output_options(calibrate_cmd, output);

  hwplan::cli::ValidateOptions validate;
  auto* validate_cmd = app.add_subcommand(
      "validate",
      "Run the reference decode kernel here and set the planner's prediction beside it");
  validate_cmd
      ->add_option("-m,--model", validate.model,
                   "Bundled dense Llama-architecture model for synthetic weights")
      ->capture_default_str();
  validate_cmd
      ->add_option("-q,--quant", validate.quants,
                   "Weight formats: f32, f16, bf16, q8_0, q4_0, q4_k, q4_k_m, q6_k")
      ->delimiter(',')
      ->capture_default_str();
  validate_cmd->add_option("--gguf", validate.gguf,
                           "A real Llama GGUF file instead of synthetic weights");
  validate_cmd
      ->add_option("-t,--threads", validate.threads,
                   "Kernel threads (default: every CPU this process may use)")
      ->check(count_in(0, hwplan::limits::kMaxThreads));
  validate_cmd->add_option("--tokens", validate.tokens, "Decode steps timed")
      ->capture_default_str()
      ->check(count_in(1, 1000000));
  validate_cmd->add_option("-c,--ctx", validate.ctx, "Tokens in the KV cache while decoding")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  validate_cmd
      ->add_option("-p,--prompt", validate.prompt, "Prompt tokens for the prefill measurement")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  validate_cmd
      ->add_option("--bandwidth-gbs", validate.bandwidth_gbs,
                   "Use this read bandwidth instead of probing it around each run")
      ->check(finite_in(0, 1e6));
  validate_cmd
      ->add_option(
          "--max-error", validate.max_error,
          "Exit 1 when a prediction misses the measurement by more than this fraction (e.g. 0.1)")
      ->check(finite_in(0, 100));
  validate_cmd->add_option("--seed", validate.seed, "Seed of the synthetic weights")
      ->capture_default_str();
  validate_cmd->add_option("--isa", validate.isa,
                           "Kernel instruction set: scalar, avx2, avx512 (default: best)");
  validate_cmd
      ->add_option("--layers", validate.layers, "Fewer layers than the model has (a quick run)")
      ->check(count_in(0, hwplan::limits::kMaxLayers));
  validate_cmd
      ->add_option("--device", validate.device,
                   "cpu: the reference decode kernel; cuda: the GPU weight pass (every "
                   "matrix-vector product of a decode step) resident, streamed from pinned host "
                   "memory, and split with the CPU, against the planner")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
  validate_cmd->add_option("--llama-bench", validate.llama_bench,
                           "Check llama-bench -o json/jsonl results instead of running the kernel");
  validate_cmd->add_option("--hw", validate.hw,
                           "With --llama-bench: the machine the results came from");
  add_output_options(validate_cmd, output);

  hwplan::cli::SynthOptions synth;
  auto* synth_cmd = app.add_subcommand(
      "synth",
      "Write a GGUF of a bundled model's shape: random weights the reference "
      "kernel runs, or a zero-weight layout llama.cpp loads (for memory checks)");
  synth_cmd
      ->add_option("-m,--model", synth.model,
                   "Bundled dense Llama-architecture model (random weights the reference kernel "
                   "runs); a mixture of experts whose head width is hidden / heads, a Gemma 3 "
                   "model or a DeepSeek-style latent-attention model are written with zero "
                   "weights in llama.cpp's own layout, for memory checks only")
      ->capture_default_str();
  synth_cmd
      ->add_option("-q,--quant", synth.quant, "f32, f16, bf16, q8_0, q4_0, q4_k, q4_k_m or q6_k")
      ->capture_default_str();
  synth_cmd->add_option("-o,--output,--out", synth.out, "The GGUF file to write")->required();
  synth_cmd->add_option("--seed", synth.seed, "Random seed")->capture_default_str();
  synth_cmd->add_option("-t,--threads", synth.threads, "Threads (default: all)")
      ->check(count_in(0, hwplan::limits::kMaxThreads));
  synth_cmd
      ->add_option("--split", synth.split,
                   "Write N shards as llama.cpp's gguf-split does (X-00001-of-0000N.gguf, ...)")
      ->capture_default_str()
      ->check(count_in(1, 99999));
  synth_cmd
      ->add_option("--layers", synth.layers, "Fewer layers than the model has (a smaller file)")
      ->check(count_in(0, hwplan::limits::kMaxLayers));
  synth_cmd
      ->add_option("--shared-expert-ff", synth.shared_expert_ff,
                   "Mixture of experts only: give every layer one shared expert of this width "
                   "(a what-if shape; llama.cpp's qwen2moe layout)")
      ->check(count_in(0, hwplan::limits::kMaxDimension));
  synth_cmd
      ->add_option("--experts", synth.experts,
                   "Mixture of experts only: fewer routed experts than the model has (a smaller "
                   "file; at least the experts each token uses)")
      ->check(count_in(0, hwplan::limits::kMaxExperts));
  OutputOptions synth_output;
  synth_cmd->add_option("--format", synth_output.format, "Output format: text, json, md or csv")
      ->capture_default_str();
  synth_cmd->add_flag("--json", synth_output.json, "Same as --format json");

  hwplan::cli::GenerateOptions generate;
  auto* generate_cmd = app.add_subcommand(
      "generate", "Greedy continuation of token ids with the reference kernel, and the top logits");
  generate_cmd->add_option("--gguf", generate.gguf, "Llama-architecture GGUF file")->required();
  generate_cmd->add_option("--prompt-ids", generate.prompt_ids, "Prompt token ids, comma-separated")
      ->required()
      ->delimiter(',');
  generate_cmd->add_option("-n,--tokens", generate.tokens, "Tokens to generate")
      ->capture_default_str()
      ->check(count_in(1, 1000000));
  generate_cmd->add_option("--top-k", generate.top_k, "Logits to list after the prompt")
      ->capture_default_str()
      ->check(count_in(0, hwplan::limits::kMaxDimension));
  generate_cmd->add_option("-t,--threads", generate.threads, "Threads (default: all)")
      ->check(count_in(0, hwplan::limits::kMaxThreads));
  generate_cmd->add_option("--isa", generate.isa, "scalar, avx2 or avx512 (default: best)");
  generate_cmd->add_flag("--batched-prompt", generate.batched_prompt,
                         "Read the prompt as one batch");
  add_output_options(generate_cmd, output);

  hwplan::cli::CompareOptions compare;
  auto* compare_cmd = app.add_subcommand(
      "compare",
      "Benchmark regression check: Google Benchmark, llama-bench or hwplan JSON; exit 1 on a "
      "regression");
  compare_cmd->add_option("baseline", compare.baseline, "Baseline results file")->required();
  compare_cmd->add_option("current", compare.current, "Current results file")->required();
  compare_cmd->add_option("--threshold", compare.threshold, "Slowdown tolerated: 5% or 0.05")
      ->capture_default_str();
  compare_cmd->add_option("--alpha", compare.alpha, "Significance level of the Mann-Whitney test")
      ->capture_default_str()
      ->check(finite_in(0, 1));
  compare_cmd->add_option(
      "--metric", compare.metric,
      "Google Benchmark: real_time (default), cpu_time or a counter; hwplan JSON: a column key");
  add_output_options(compare_cmd, output);

  hwplan::cli::ClaimsOptions claims;
  auto* claims_cmd = app.add_subcommand(
      "claims", "Is a published number plausible? A verdict and a reason for each claim in a CSV");
  claims_cmd
      ->add_option("csv", claims.csv,
                   "Claims CSV: id,kind,hardware,model,quant,claimed,unit,condition,source")
      ->required();
  add_output_options(claims_cmd, output);

  hwplan::cli::ReportOptions report_options;
  auto* report_cmd = app.add_subcommand(
      "report",
      "What should I buy? Models on every machine, cost of ownership, cloud break-even, "
      "recommendations with reasons; md or self-contained html with charts");
  report_cmd
      ->add_option("--budget", report_options.budget_usd,
                   "Leave out machines above this price (USD)")
      ->check(finite_in(0, 1e9));
  report_cmd
      ->add_option("-m,--model,--models", report_options.models,
                   "Models to compare (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  report_cmd->add_option("-q,--quant", report_options.quant, "Quantization")->capture_default_str();
  report_cmd->add_option("-c,--ctx", report_options.context_tokens, "Context tokens")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  report_cmd
      ->add_option("-p,--prompt", report_options.prompt_tokens,
                   "Prompt tokens for time to first token")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  report_cmd->add_option("--llama-args", report_options.llama_args, kLlamaArgsHelp);
  report_cmd
      ->add_option(
          "--engine", report_options.engine,
          "llama.cpp (default), ik_llama.cpp, mlx, exo, vllm, exllamav2 or exllamav3: every "
          "machine runs "
          "the models with it (llama.cpp's physics times its published speed over llama.cpp); "
          "machines it cannot run on are left out. all: each machine runs each model with the "
          "fastest engine that runs there and loads it")
      ->capture_default_str();
  report_cmd
      ->add_option("--min-tps", report_options.min_tps,
                   "Slowest decode that counts as usable (tok/s)")
      ->capture_default_str()
      ->check(finite_in(0, 1e9));
  report_cmd->add_option("--hw", report_options.hw, hw_help("every bundled machine with a price"))
      ->delimiter(',');
  report_cmd->add_option("--electricity", report_options.electricity_usd_per_kwh, "USD per kWh")
      ->capture_default_str()
      ->check(finite_in(0, 100));
  report_cmd->add_option("--hours", report_options.hours_per_day, "Hours per day at load")
      ->capture_default_str()
      ->check(finite_in(0, 24));
  report_cmd->add_option("--years", report_options.years, "Years of ownership")
      ->capture_default_str()
      ->check(finite_in(0.01, 100));
  report_cmd
      ->add_option("--cloud-price", report_options.cloud_usd_per_hour, "Cloud GPU USD per hour")
      ->capture_default_str()
      ->check(finite_in(0, 1e6));
  report_cmd
      ->add_option("--cloud-gpu", report_options.cloud_gpu,
                   "The machine --cloud-price rents (bundled id): its predicted speed per model "
                   "gives the token-matched break-even")
      ->capture_default_str();
  report_cmd
      ->add_option("--price", report_options.prices,
                   "ID=USD: the price of a machine as you would pay it (repeat or comma-separate)")
      ->delimiter(',');
  report_cmd->add_option("--hw-spec", report_options.hw_specs,
                         "key=value,... overrides of every --hw machine, or an inline machine");
  add_output_options(report_cmd, output);

  hwplan::cli::ScanOptions scan;
  auto* scan_cmd = app.add_subcommand(
      "scan",
      "Models already on this machine (Ollama, LM Studio, Hugging Face cache): size, format, "
      "quant and how each fits --hw");
  scan_cmd
      ->add_option("--hw", scan.hw,
                   "Machines to fit each model on: bundled ids, a `hwplan probe -o` profile or "
                   "local (repeat or comma-separate; default: local, this machine probed quickly "
                   "and cached for a day)")
      ->delimiter(',');
  scan_cmd->add_flag("--no-fit", scan.no_fit, "List the models only (no probe, no fit)");
  scan_cmd->add_option("--hw-spec", scan.hw_specs,
                       "key=value,... overrides of every --hw machine, or an inline machine");
  scan_cmd
      ->add_option("-c,--ctx", scan.context_tokens,
                   "Context tokens (or the model's maximum where shorter)")
      ->capture_default_str()
      ->check(count_in(1, hwplan::limits::kMaxContextTokens));
  add_output_options(scan_cmd, output);

  bool json_errors = false;
  try {
    app.parse(argc, argv);
    fit.quant_given = fit_cmd->count("--quant") > 0;
    fit.context_given = fit_cmd->count("--ctx") > 0;
    json_errors = output.json || output.format == "json";
    if (*list_cmd) return emit(run_list(global, list), output);
    if (*fit_cmd) return emit(run_fit(global, fit), output);
    if (*scan_cmd) return emit(run_scan(global, scan), output);
    if (*calibrate_cmd) return emit(run_calibrate(global, calibrate), output);
    if (*compare_cmd) return emit(run_compare(global, compare), output);
    if (*claims_cmd) return emit(run_claims(global, claims), output);
    if (*report_cmd) return emit(run_report(global, report_options), output);
    if (*validate_cmd) {
      validate.model_given = validate_cmd->count("--model") > 0;
      return emit(run_validate(global, validate), output);
    }
    if (*generate_cmd) return emit(run_generate(global, generate), output);
    if (*synth_cmd) {
      json_errors = synth_output.json || synth_output.format == "json";
      return emit(run_synth(global, synth), synth_output);
    }
    if (*probe_cmd) {
      json_errors = probe_output.json || probe_output.format == "json";
      return emit(run_probe(global, probe), probe_output);
    }
    if (*predict_cmd) {
      predict.request.quant_given = predict_cmd->count("--quant") > 0;
      predict.request.context_given = predict_cmd->count("--ctx") > 0;
      return emit(run_predict(global, predict), output);
    }
    return 2;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "hwplan: error: %s\nRun with --help for usage.\n",
                 hwplan::printable(e.what()).c_str());
    return 2;
  } catch (const hwplan::Error& e) {
    std::fprintf(stderr, "hwplan: error: %s\n", e.what());
    if (json_errors) {
      const nlohmann::json error = {
          {"error", {{"kind", hwplan::error_kind_name(e.kind())}, {"message", e.what()}}}};
      std::cout << error.dump(2) << std::endl;
    }
    return hwplan::exit_code_for(e.kind());
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "hwplan: error: out of memory\n");
    return 3;
  } catch (const std::exception& e) {
    // Anything a library did not turn into hwplan::Error: still a message and exit 2, never an
    // abort.
    std::fprintf(stderr, "hwplan: error: %s\n", hwplan::printable(e.what()).c_str());
    return 2;
  } catch (...) {
    std::fprintf(stderr, "hwplan: error: unexpected failure\n");
    return 2;
  }
}
