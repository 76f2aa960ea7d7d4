// End-to-end: hwplan predict and hwplan calibrate.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "run_util.h"

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

TEST(PredictCli, JsonCarriesTheAdvertisedKeys) {
  const auto r = run_hwplan(
      "predict -m qwen3-30b-a3b -q q4_k_m --hw m4-max-128 --ctx 4096 --prompt 512 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& row = json["details"]["rows"][0];
  for (const char* key : {"decode_tok_per_s", "prefill_tok_per_s", "ttft_seconds", "bound",
                          "reason", "decode", "prefill", "decode_cost", "efficiency"}) {
    EXPECT_TRUE(row.contains(key)) << key;
  }
  EXPECT_EQ(row["bound"], "memory");
  EXPECT_GT(row["decode_tok_per_s"].get<double>(), 10.0);
  EXPECT_GT(row["decode"]["terms"].size(), 0u);
  EXPECT_EQ(row["decode"]["terms"][0]["placement"], "unified memory");
  EXPECT_EQ(row["efficiency"]["memory_class"], "unified");
  // TTFT is the prompt over the prefill rate.
  EXPECT_NEAR(row["ttft_seconds"].get<double>(), 512.0 / row["prefill_tok_per_s"].get<double>(),
              1e-9);
  EXPECT_EQ(json["tables"]["predict"][0]["decode_band"].get<std::string>().rfind("+-", 0), 0u);
}

TEST(PredictCli, OffloadModesAndBadInput) {
  auto r = run_hwplan("predict -m llama-3.1-70b --hw rtx-4090 --offload none");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--offload none: llama-3.1-70b does not fit"), std::string::npos) << r.err;
  r = run_hwplan("predict -m llama-3.1-70b --hw rtx-4090 --offload stream --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["details"]["rows"][0]["bound"], "bus");
  // MLX runs on Apple silicon only: an error naming engine and machine (issue: exit 2).
  r = run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --engine mlx");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--engine mlx: cannot run on rtx-4090 (cuda)"), std::string::npos) << r.err;
  r = run_hwplan("predict -m llama-3.1-8b --hw m4-max-128 --engine mlx --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["details"]["rows"][0]["engine"], "mlx");
  // MLX does not run llama-server: no llama.cpp command on its row, and the note says why.
  EXPECT_TRUE(nlohmann::json::parse(r.out)["details"]["rows"][0]["llama_command"].is_null());
  EXPECT_EQ(nlohmann::json::parse(r.out)["details"]["rows"][0]["llama_command_note"],
            "mlx runs it; the llama.cpp command does not apply");
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --offload maybe").exit_code, 2);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --link carrier-pigeon").exit_code, 2);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --prompt 0").exit_code, 2);
  EXPECT_EQ(run_hwplan("predict -m llama-3.1-8b --hw rtx-4090 --nodes 0").exit_code, 2);
}

// Four users at once: aggregate and per-user columns, TTFT for all four prompts, -np 4 in the
// command, and the same figures in JSON (per user = aggregate / 4).
// --depth is a conversation's history: without --ctx the cache is sized for it and the prompt,
// and decode reads that cache (slower than at the default 4096); a --ctx too small is refused.
TEST(PredictCli, DepthSizesTheCacheAndDecodeContinuesThere) {
  const std::string ask = "predict -m llama-3.1-8b -q q4_k_m --hw rtx-4090 --json";
  const auto fresh = run_hwplan(ask);
  const auto deep = run_hwplan(ask + " --depth 32768 --prompt 512");
  ASSERT_EQ(fresh.exit_code, 0) << fresh.err;
  ASSERT_EQ(deep.exit_code, 0) << deep.err;
  const auto a = nlohmann::json::parse(fresh.out)["details"]["rows"][0];
  const auto b = nlohmann::json::parse(deep.out)["details"]["rows"][0];
  EXPECT_NE(b["llama_command"].get<std::string>().find("-c 33280 "), std::string::npos);
  EXPECT_LT(b["decode_tok_per_s"].get<double>(), a["decode_tok_per_s"].get<double>());
  EXPECT_LT(b["prefill_tok_per_s"].get<double>(), a["prefill_tok_per_s"].get<double>());
  const auto small = run_hwplan(ask + " --depth 32768 --ctx 4096");
  EXPECT_EQ(small.exit_code, 2);
  EXPECT_NE(small.err.find("--ctx 4096 cannot hold --depth 32768 + --prompt 512"),
            std::string::npos)
      << small.err;
}

TEST(PredictCli, ConcurrencyShowsPerUserAndAggregate) {
  auto r = run_hwplan("predict -m llama-3.1-8b --quant q4_k_m --hw rtx-4090 --concurrency 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Per user"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TTFT all"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 users at once"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("-np 4"), std::string::npos) << r.out;
  r = run_hwplan("predict -m llama-3.1-8b --quant q4_k_m --hw rtx-4090 --concurrency 4 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(r.out)["details"]["rows"][0];
  EXPECT_EQ(row["concurrency"], 4);
  EXPECT_DOUBLE_EQ(row["per_user_tok_per_s"].get<double>(),
                   row["decode_tok_per_s"].get<double>() / 4);
  EXPECT_GT(row["ttft_all_seconds"].get<double>(), row["ttft_seconds"].get<double>());
}

// fit --engine: the decode column is the engine's, i.e. llama.cpp's times the engine's fitted
// decode ratio (calibration.json), on the same plan; an engine that cannot run there is refused.
TEST(PredictCli, FitShowsAnEnginesDecode) {
  const auto calibration = nlohmann::json::parse(
      testing::read_file(std::string(HWPLAN_TEST_PROFILES_DIR) + "/calibration.json"));
  double ratio = 0;
  for (const auto& e : calibration["efficiency"]["engines"])
    if (e["name"] == "mlx") ratio = e["decode_ratio"].get<double>();
  ASSERT_GT(ratio, 0);
  const std::string base = "fit -m qwen3-30b-a3b --hw m4-max-128 --json";
  auto r = run_hwplan(base);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double llama = nlohmann::json::parse(r.out)["tables"]["fit"][0]["decode_tok_per_s"];
  r = run_hwplan(base + " --engine mlx");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_NEAR(json["tables"]["fit"][0]["decode_tok_per_s"].get<double>(), llama * ratio,
              1e-9 * llama * ratio);
  EXPECT_EQ(json["details"]["rows"][0]["decode_engine"], "mlx");
  EXPECT_TRUE(json["details"]["rows"][0]["llama_cpp_args"].is_null());  // MLX runs it
  EXPECT_EQ(run_hwplan("fit -m qwen3-30b-a3b --hw rtx-4090 --engine mlx").exit_code, 2);
}

// fit --engine all: a row per engine that runs on the machine and loads the weights, each
// engine's decode the same as asking for that engine alone; llama.cpp's command only on its row;
// MLX's memory table only for the Mac.
TEST(PredictCli, FitWithEveryEngine) {
  const std::string base = "fit -m qwen3-30b-a3b --hw m4-max-128,rtx-3090 --json";
  auto r = run_hwplan(base + " --engine all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  std::map<std::string, std::vector<std::string>> engines;
  std::map<std::string, double> mlx_on_mac;
  for (const auto& row : json["tables"]["fit"]) {
    const auto hw = row["hardware"].get<std::string>();
    const auto engine = row["engine"].get<std::string>();
    engines[hw].push_back(engine);
    EXPECT_EQ(row["llama_cpp_args"].is_null(), engine != "llama.cpp") << hw << " " << engine;
    if (hw == "m4-max-128") mlx_on_mac[engine] = row["decode_tok_per_s"].get<double>();
  }
  EXPECT_EQ(engines["m4-max-128"], (std::vector<std::string>{"llama.cpp", "mlx"}));
  const auto& cuda = engines["rtx-3090"];
  EXPECT_EQ(cuda.front(), "llama.cpp");
  EXPECT_NE(std::find(cuda.begin(), cuda.end(), "vllm"), cuda.end());
  EXPECT_EQ(std::find(cuda.begin(), cuda.end(), "mlx"), cuda.end());
  ASSERT_EQ(json["tables"]["mlx_memory"].size(), 1u);
  EXPECT_EQ(json["tables"]["mlx_memory"][0]["hardware"], "m4-max-128");
  ASSERT_EQ(json["tables"]["vllm_memory"].size(), 1u);
  EXPECT_EQ(json["tables"]["vllm_memory"][0]["hardware"], "rtx-3090");
  r = run_hwplan("fit -m qwen3-30b-a3b --hw m4-max-128 --engine mlx --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_DOUBLE_EQ(mlx_on_mac["mlx"],
                   nlohmann::json::parse(r.out)["tables"]["fit"][0]["decode_tok_per_s"]);
  // MLX weights on a CUDA machine: no engine there loads them, said so.
  r = run_hwplan("fit -m qwen3-30b-a3b -q mlx-4bit --hw rtx-3090 --engine all");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("no engine that runs on cuda loads it"), std::string::npos) << r.out;
}

// fit --engine vllm adds vLLM's own memory: tensor parallel over the rig's four GPUs, the
// command to paste (the bundled model's Hugging Face repository), and machines it cannot start on
// say why.
TEST(PredictCli, FitWithVllmShowsItsOwnMemory) {
  auto r = run_hwplan(
      "fit -m llama-3.1-70b -q awq-int4-g128 --hw 4x-rtx-3090,rtx-4090 --ctx 32768 --engine vllm "
      "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out)["tables"]["vllm_memory"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["tensor_parallel"], 4);
  EXPECT_EQ(rows[0]["starts"], true);
  EXPECT_GT(rows[0]["kv_capacity_tokens"].get<int64_t>(), 32768);
  EXPECT_EQ(rows[0]["vllm_command"],
            "vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 4 "
            "--max-model-len 32768 --gpu-memory-utilization 0.9");
  EXPECT_EQ(rows[1]["starts"], false);
  EXPECT_NE(rows[1]["vllm_command"].get<std::string>().find("does not start"), std::string::npos);
}

// vLLM on a rig of several GPUs runs tensor parallel: its decode starts from the tensor-split
// plan (faster than llama.cpp's layer split here), and the reason says what the engine changes.
// fit --engine exllamav2: ExLlamaV2's own memory per GPU, and its verdict where llama.cpp's
// plan would offload (ExLlamaV2 cannot).
TEST(PredictCli, FitWithExllamaShowsItsOwnMemory) {
  const auto r = run_hwplan(
      "fit -m llama-3.1-70b -q exl2-4.0bpw --hw 2x-rtx-3090,rtx-4090 --engine exllamav2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& table = json["tables"]["exllama_memory"];
  ASSERT_EQ(table.size(), 3u);  // two GPUs of one machine, the one GPU of the other
  EXPECT_EQ(table[0]["gpu"], 0);
  EXPECT_EQ(table[1]["gpu"], 1);
  EXPECT_EQ(table[0]["layers"].get<int>() + table[1]["layers"].get<int>(), 80);
  EXPECT_EQ(table[2]["fits"], false);
  // The fit table: llama.cpp would offload on the RTX 4090; ExLlamaV2 cannot.
  const auto& fit = json["tables"]["fit"];
  ASSERT_EQ(fit.size(), 2u);
  EXPECT_EQ(fit[0]["fit"], "multi_gpu");
  EXPECT_EQ(fit[1]["fit"], "no_fit");
  // Its own need (the two GPUs' totals) and no -ngl, which is llama.cpp's.
  EXPECT_NEAR(fit[0]["needed_gib"].get<double>(),
              table[0]["total_gib"].get<double>() + table[1]["total_gib"].get<double>(), 1e-6);
  EXPECT_TRUE(fit[0]["gpu_layers"].is_null());
  EXPECT_TRUE(fit[1]["decode_tok_per_s"].is_null());
  bool said = false;
  for (const auto& note : json["notes"]) {
    said |= note.get<std::string>().find("ExLlamaV2 does not fit: 50 of 80 layers") !=
            std::string::npos;
  }
  EXPECT_TRUE(said) << json["notes"].dump();
}

// fit --split tensor: ExLlamaV2's tensor parallel, a share of every layer on each GPU; a split
// that does not exist is a usage error.
TEST(PredictCli, FitExllamaTensorParallel) {
  const auto r = run_hwplan(
      "fit -m llama-3.1-70b -q exl2-4.0bpw --hw 4x-rtx-3090 --engine exllamav2 --split tensor "
      "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto table = nlohmann::json::parse(r.out)["tables"]["exllama_memory"];
  ASSERT_EQ(table.size(), 4u);
  for (const auto& row : table) {
    EXPECT_EQ(row["layers"], 80);
    EXPECT_NE(row["summary"].get<std::string>().find("tensor parallel"), std::string::npos);
  }
  const auto bad = run_hwplan("fit -m llama-3.1-70b --hw 4x-rtx-3090 --split diagonal");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--split: 'diagonal' is not one of"), std::string::npos) << bad.err;
}

// vLLM does not offload: where its own memory does not start, the row is no fit with its reason
// (llama.cpp's plan would offload 70B to host RAM on one RTX 4090).
TEST(PredictCli, VllmThatDoesNotStartIsNoFit) {
  const auto r =
      run_hwplan("predict -m llama-3.1-70b -q awq-int4-g128 --hw rtx-4090 --engine vllm --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(r.out)["details"]["rows"][0];
  EXPECT_EQ(row["fit"], "no_fit");
  EXPECT_TRUE(row["decode_tok_per_s"].is_null());
  EXPECT_NE(row["reason"].get<std::string>().find("vLLM does not start"), std::string::npos)
      << row["reason"];
}

// More users than vLLM's KV cache holds at their context: it runs as many as it holds (the rest
// queue), on the GPU, never offloading. Llama 3.1 8B AWQ on an RTX 4090 at 8192 tokens: 0.9 x 24
// GiB less weights and buffers leaves about 15 GiB, 128 KiB a token: 14 sequences at once.
TEST(PredictCli, VllmRunsWhatItsCacheHoldsAndQueuesTheRest) {
  const auto r = run_hwplan(
      "predict -m llama-3.1-8b -q awq-int4-g128 --hw rtx-4090 --engine vllm --concurrency 32 "
      "--ctx 8192 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(r.out)["details"]["rows"][0];
  EXPECT_EQ(row["fit"], "gpu");
  EXPECT_NE(row["reason"].get<std::string>().find("its cache holds 14 at a time"),
            std::string::npos)
      << row["reason"];
  EXPECT_NEAR(row["decode_tok_per_s"].get<double>() / row["per_user_tok_per_s"].get<double>(), 14.0,
              1e-9);
  // Its paged cache admits all 32 prompts of 512 tokens at once (16384 of 122368 tokens): the
  // last first token is that of 32 prompts prefilled together, as where the cache holds all 32
  // at the context (2048 tokens: 59 sequences), the plan's weights being the same.
  EXPECT_EQ(row["ttft_all_prompts"], 32);
  EXPECT_NE(row["reason"].get<std::string>().find("admits all 32 prompts at once (16384 of its "
                                                  "122368-token KV cache)"),
            std::string::npos)
      << row["reason"];
  const auto all_held = run_hwplan(
      "predict -m llama-3.1-8b -q awq-int4-g128 --hw rtx-4090 --engine vllm --concurrency 32 "
      "--ctx 2048 --json");
  ASSERT_EQ(all_held.exit_code, 0) << all_held.err;
  const auto held_row = nlohmann::json::parse(all_held.out)["details"]["rows"][0];
  EXPECT_EQ(held_row["ttft_all_prompts"], 32);
  EXPECT_NEAR(row["ttft_all_seconds"].get<double>(), held_row["ttft_all_seconds"].get<double>(),
              1e-9 * held_row["ttft_all_seconds"].get<double>());
}

// ExLlamaV3 does not offload either: 70B at EXL3 4.0 bpw on one RTX 4090 is no fit with its
// own reason (was llama.cpp's partial offload, 5.3 tok/s); on two RTX 3090s it fits. For an MLA
// model its memory is not modelled: llama.cpp's plan stands, and the note says so.
TEST(PredictCli, ExllamaV3DecidesByItsOwnMemory) {
  const auto r = run_hwplan(
      "predict -m llama-3.1-70b -q exl3-4.0bpw --hw rtx-4090,2x-rtx-3090 --engine exllamav3 "
      "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = nlohmann::json::parse(r.out)["details"]["rows"];
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["fit"], "no_fit");
  EXPECT_NE(rows[0]["reason"].get<std::string>().find(
                "ExLlamaV3 does not fit: 51 of 80 layers placed on 1 GPU"),
            std::string::npos)
      << rows[0]["reason"];
  EXPECT_EQ(rows[1]["fit"], "multi_gpu");
  EXPECT_NE(
      rows[1]["reason"].get<std::string>().find("ExLlamaV3's own memory: 80 layers on 2 GPUs"),
      std::string::npos)
      << rows[1]["reason"];
  const auto mla = run_hwplan(
      "predict -m deepseek-v3 -q exl3-4.0bpw --hw h100-sxm --gpus 8 --engine exllamav3 --json");
  ASSERT_EQ(mla.exit_code, 0) << mla.err;
  const auto row = nlohmann::json::parse(mla.out)["details"]["rows"][0];
  EXPECT_NE(row["fit"], "no_fit");
  EXPECT_NE(row["reason"].get<std::string>().find(
                "ExLlamaV3's own memory is not modelled where deepseek-v3 has MLA attention "
                "layers: the memory and plan are llama.cpp's"),
            std::string::npos)
      << row["reason"];
}

// fit --nodes: DeepSeek V3 at Q4_K_M (376 GiB) does not fit one M3 Ultra 256 GB (192 GiB for the
// GPU) but fits two over Thunderbolt 5, with llama.cpp's RPC flags; ExLlama has no multi-node
// mode and says so.
TEST(PredictCli, FitAcrossNodes) {
  auto r = run_hwplan("fit -m deepseek-v3 --hw m3-ultra-256 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["tables"]["fit"][0]["fit"], "no_fit");
  r = run_hwplan("fit -m deepseek-v3 --hw m3-ultra-256 --nodes 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(r.out)["tables"]["fit"][0];
  EXPECT_EQ(row["fit"], "multi_gpu");
  EXPECT_EQ(row["hardware"], "2x-m3-ultra-256 over thunderbolt5");
  EXPECT_NEAR(row["usable_gib"].get<double>(), 2 * 192.0, 1e-9);
  EXPECT_NE(row["llama_cpp_args"].get<std::string>().find("--rpc NODE1:50052"), std::string::npos)
      << row["llama_cpp_args"];
  // exo over the two: the MLX table is one Mac's share, half of the 351.9 GiB of weights.
  r = run_hwplan("fit -m deepseek-v3 -q mlx-4bit --hw m3-ultra-256 --nodes 2 --engine exo --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto mac = nlohmann::json::parse(r.out)["tables"]["mlx_memory"][0];
  EXPECT_EQ(mac["hardware"], "each of 2 x m3-ultra-256");
  EXPECT_EQ(mac["verdict"], "fits");
  EXPECT_NEAR(mac["weights_gib"].get<double>(), 351.87 / 2, 0.05);
  r = run_hwplan(
      "fit -m llama-3.1-70b -q exl2-4.0bpw --hw rtx-3090 --nodes 2 --link 10gbe --engine "
      "exllamav2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto exllama = nlohmann::json::parse(r.out)["tables"]["fit"][0];
  EXPECT_EQ(exllama["fit"], "no_fit");
  EXPECT_TRUE(exllama["best_quant"].is_null()) << exllama["best_quant"];
  EXPECT_NE(r.out.find("ExLlamaV2 runs on one machine: it has no mode over 2 nodes"),
            std::string::npos);
  // A cluster pools GPU memory: CPU-only machines over nodes are refused, not answered as one.
  r = run_hwplan(
      "fit -m llama-3.1-8b --hw-spec kind=unified,backend=cpu,memory_gib=64,"
      "bandwidth_gbs=83.2,fp16_tflops=2.3 --nodes 2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a cluster of CPU-only machines is not modelled"), std::string::npos)
      << r.err;
}

TEST(PredictCli, VllmPromptsBeyondItsCacheWaitAndHaveNoLastFirstToken) {
  // 64 prompts of 4096 tokens: its 122368-token cache takes floor(122368 / 4096) = 29 of them;
  // when the other 35 start depends on how long the answers are, so no "TTFT all" is given.
  const auto r = run_hwplan(
      "predict -m llama-3.1-8b -q awq-int4-g128 --hw rtx-4090 --engine vllm --concurrency 64 "
      "--ctx 32768 -p 4096 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto row = json["details"]["rows"][0];
  EXPECT_TRUE(row["ttft_all_seconds"].is_null()) << row["ttft_all_seconds"];
  EXPECT_EQ(row["ttft_all_prompts"], 29);
  EXPECT_NE(row["reason"].get<std::string>().find("admits 29 of the 64 prompts of 4096 tokens at "
                                                  "once; the other 35 wait"),
            std::string::npos)
      << row["reason"];
  EXPECT_EQ(json["notes"][0].get<std::string>().find("the last first token after"),
            std::string::npos);
}

TEST(PredictCli, VllmOnSeveralGpusIsTensorParallel) {
  auto r = run_hwplan("predict -m llama-3.1-70b --hw 4x-rtx-3090 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double layer = nlohmann::json::parse(r.out)["tables"]["predict"][0]["decode_tok_per_s"];
  r = run_hwplan("predict -m llama-3.1-70b --hw 4x-rtx-3090 --split tensor --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto tensor_json = nlohmann::json::parse(r.out);
  const double tensor = tensor_json["tables"]["predict"][0]["decode_tok_per_s"];
  double comm = 0;  // the all-reduces over PCIe: the same in either engine
  for (const auto& t : tensor_json["details"]["rows"][0]["decode"]["terms"])
    if (t["bound"] == "communication") comm = t["seconds"].get<double>();
  ASSERT_GT(comm, 0);
  r = run_hwplan("predict -m llama-3.1-70b --hw 4x-rtx-3090 --engine vllm --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto calibration = nlohmann::json::parse(
      testing::read_file(std::string(HWPLAN_TEST_PROFILES_DIR) + "/calibration.json"));
  double ratio = 0;
  for (const auto& e : calibration["efficiency"]["engines"])
    if (e["name"] == "vllm") ratio = e["decode_ratio"].get<double>();
  const double vllm = json["tables"]["predict"][0]["decode_tok_per_s"];
  EXPECT_NEAR(vllm, 1.0 / ((1.0 / tensor - comm) / ratio + comm), 1e-9 * vllm);
  EXPECT_GT(vllm, layer);
  EXPECT_NE(json["notes"][0].get<std::string>().find("tensor parallel over 4 GPUs in vLLM"),
            std::string::npos);
}

TEST(PredictCli, MultiGpuAndClusters) {
  auto r = run_hwplan("predict -m llama-3.1-70b --hw 2x-rtx-3090 --split tensor --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto tensor = nlohmann::json::parse(r.out)["details"]["rows"][0];
  r = run_hwplan("predict -m llama-3.1-70b --hw 2x-rtx-3090 --split layer --json");
  const auto layer = nlohmann::json::parse(r.out)["details"]["rows"][0];
  EXPECT_GT(tensor["decode_cost"]["communication_seconds"].get<double>(),
            layer["decode_cost"]["communication_seconds"].get<double>());
  r = run_hwplan("predict -m deepseek-v3 --hw m3-ultra-256 --nodes 2 --link thunderbolt5 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["details"]["rows"][0]["fit"], "multi_gpu");
}

TEST(CalibrateCli, ReportsTheTargets) {
  // Without --csv: the bundled measurements, so a fresh checkout calibrates.
  const auto r = run_hwplan("calibrate --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(r.out)["tables"]["summary"];
  ASSERT_EQ(summary.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(summary[i]["met"].get<bool>()) << summary[i]["metric"];
  // --report asks for the same report (a command the targets are quoted with).
  const auto report = run_hwplan("calibrate --report --json");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(nlohmann::json::parse(report.out)["tables"]["summary"], summary);
  EXPECT_EQ(run_hwplan("calibrate --csv /nonexistent.csv").exit_code, 2);
}

}  // namespace
}  // namespace hwplan::cli

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

nlohmann::json json_run(const std::string& args) {
  const auto r = run_hwplan(args);
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

// One plan, four consumers: fit, predict and report show the same per-device memory and decode
// speed for the same command line; validate --llama-bench predicts a run from its own -ngl the
// way predict --llama-args does.
TEST(PlanConsumers, FitPredictReportAndValidateAgree) {
  const std::string what =
      "-m qwen3-30b-a3b -q q4_k_m --hw rtx-4090 --ctx 8192 --llama-args '-ngl 99 -ot exps=CPU'";
  const auto fit = json_run("fit " + what + " --json");
  const auto predict = json_run("predict " + what + " --json");
  const auto report = json_run("report " + what + " --format json");
  ASSERT_FALSE(fit.empty());
  ASSERT_FALSE(predict.empty());
  ASSERT_FALSE(report.empty());
  const auto& fit_row = fit["details"]["rows"][0];
  const auto& predict_row = predict["details"]["rows"][0];
  EXPECT_EQ(fit_row["plan"]["devices"], predict_row["plan"]["devices"]);
  EXPECT_EQ(fit_row["plan"]["source"], "llama.cpp command line");
  const double decode = predict_row["decode_tok_per_s"].get<double>();
  EXPECT_DOUBLE_EQ(fit["tables"]["fit"][0]["decode_tok_per_s"].get<double>(), decode);
  EXPECT_DOUBLE_EQ(report["tables"]["models"][0]["decode_tok_per_s"].get<double>(), decode);
  // Experts in host RAM: the CPU holds more than the GPU, and decode reads from both.
  EXPECT_GT(predict_row["decode_cost"]["host_bytes"].get<double>(), 0.0);
  EXPECT_EQ(fit_row["llama_command"],
            "llama-server -m MODEL.gguf -ngl 49 --cpu-moe -c 8192 -fa on --fit off");

  // llama-bench's tg128 at -ngl 99 -fa 1: the cache holds 64 tokens on average.
  const auto validate = json_run("validate --llama-bench " + std::string(HWPLAN_TEST_FIXTURES_DIR) +
                                 "/llama_bench/example.json --hw rtx-4090 --json");
  const auto same = json_run(
      "predict -m llama-3.1-8b -q q4_k_m --hw rtx-4090 --ctx 64 --json "
      "--llama-args '-ngl 99 -fa on'");
  ASSERT_FALSE(validate.empty());
  ASSERT_FALSE(same.empty());
  EXPECT_DOUBLE_EQ(validate["tables"]["validate"][1]["predicted_tok_per_s"].get<double>(),
                   same["details"]["rows"][0]["decode_tok_per_s"].get<double>());
}

TEST(PlanConsumers, LlamaArgsErrorsAreUsageErrors) {
  auto r = run_hwplan("predict -m qwen3-30b-a3b --hw rtx-4090 --llama-args '-ot exps=CUDA3'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("-ot exps=CUDA3: rtx-4090 has 1 GPU"), std::string::npos) << r.err;
  r = run_hwplan("predict -m qwen3-30b-a3b --hw rtx-4090 --offload stream --llama-args '-ngl 10'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give one of them"), std::string::npos) << r.err;
  r = run_hwplan("fit -m qwen3-30b-a3b --hw rtx-4090 --llama-args '-ngl 99 --mystery 3' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_NE(json.dump().find("not modelled, ignored: --mystery 3"), std::string::npos);
}

}  // namespace
}  // namespace hwplan::cli
