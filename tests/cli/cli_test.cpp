// End-to-end: the built binary's JSON, messages and exit codes (0 ok, 1 asked-for failure,
// 2 usage/input, 3 unsupported).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "run_util.h"

namespace hwplan::cli {
namespace {

using testing::run_hwplan;

nlohmann::json json_of(const testing::RunResult& r) {
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(Cli, FitJsonForA70bOnA4090) {
  const auto json =
      json_of(run_hwplan("fit --model llama-3.1-70b --quant q4_k_m --hw rtx-4090 --json"));
  EXPECT_EQ(json["schema_version"], 1);
  const auto& row = json["tables"]["fit"][0];
  EXPECT_EQ(row["hardware"], "rtx-4090");
  EXPECT_EQ(row["fit"], "partial_offload");
  EXPECT_EQ(row["gpu_layers"], 43);  // derivation in tests/planner/fit_test.cpp
  EXPECT_EQ(row["llama_cpp_args"], "-ngl 43 -c 8192 -fa on --fit off");
  const auto& model = json["tables"]["models"][0];
  EXPECT_NEAR(model["weights_gb"].get<double>(), 42.51, 0.01);  // Q4_K_M by llama-quantize's rules
  EXPECT_EQ(model["context_tokens"], 8192);
  const auto& details = json["details"]["rows"][0];
  EXPECT_EQ(details["llama_command"],
            "llama-server -m MODEL.gguf -ngl 43 -c 8192 -fa on --fit off");
  EXPECT_NEAR(details["breakdown"]["kv_cache_gib"].get<double>(), 2.5, 1e-9);  // 8192 x 320 KiB
  EXPECT_EQ(details["n_layers"], 80);
}

TEST(Cli, RequireFitExitCodes) {
  EXPECT_EQ(run_hwplan("fit -m llama-3.1-8b --hw rtx-4090 --require-fit").exit_code, 0);
  EXPECT_EQ(run_hwplan("fit -m llama-3.1-70b --hw rtx-4090 --require-fit").exit_code, 1);
  EXPECT_EQ(
      run_hwplan("fit -m llama-3.1-70b --hw rtx-4090 --require-fit --allow-offload").exit_code, 0);
  EXPECT_EQ(
      run_hwplan("fit -m llama-3.1-70b --hw rtx-4090 --hw m4-max-128 --require-fit").exit_code, 1);
}

// A format the engine cannot load is refused by fit, predict and report alike, naming both.
TEST(Cli, AFormatTheEngineCannotLoadExits2) {
  const std::string expected =
      "hwplan: error: llama.cpp cannot load EXL2 4.0 bpw (exl2 weights); it runs in exllamav2: use "
      "--engine exllamav2\n";
  for (const char* command : {"fit -m llama-3.1-8b -q exl2-4.0bpw --hw rtx-4090",
                              "predict -m llama-3.1-8b -q exl2-4.0bpw --hw rtx-4090",
                              "report -m llama-3.1-8b -q exl2-4.0bpw --hw rtx-4090"}) {
    const auto r = run_hwplan(command);
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_EQ(r.err, expected) << command;
  }
  // gpt-oss's published MXFP4 checkpoint is not a GGUF; its GGUF is named.
  const auto oss = run_hwplan("fit -m gpt-oss-120b -q mxfp4 --hw h200");
  EXPECT_EQ(oss.exit_code, 2);
  EXPECT_EQ(oss.err,
            "hwplan: error: llama.cpp cannot load MXFP4 (fp4 weights); it runs in vllm: use "
            "--engine vllm, or for llama.cpp its GGUF: --quant mxfp4_moe\n");
  const auto r =
      run_hwplan("predict -m llama-3.1-8b -q mlx-4bit --hw rtx-4090 --engine all --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = json_of(r)["tables"]["predict"];
  EXPECT_EQ(rows.size(), 0u) << rows;  // no engine both runs on CUDA and loads MLX weights
  const auto text = run_hwplan("predict -m llama-3.1-8b -q mlx-4bit --hw rtx-4090 --engine all");
  EXPECT_NE(text.out.find("llama-3.1-8b MLX 4-bit on rtx-4090: no engine that runs on cuda loads "
                          "it (mlx weights load in mlx, exo)"),
            std::string::npos)
      << text.out;
}

// Two different GPUs named with '+': one machine, split by memory, with the -ts that does it.
TEST(Cli, MixedGpusFromTwoProfiles) {
  const auto json = json_of(
      run_hwplan("fit -m llama-3.1-70b -q q4_k_m --hw rtx-5090+rtx-4090 --ctx 8192 --json"));
  const auto& row = json["tables"]["fit"][0];
  EXPECT_EQ(row["hardware"], "rtx-5090+rtx-4090 (not sold)");
  EXPECT_EQ(row["fit"], "multi_gpu");
  EXPECT_NE(row["llama_cpp_args"].get<std::string>().find("-ts 47,34"), std::string::npos) << row;
  const auto r = run_hwplan("fit -m llama-3.1-8b --hw rtx-5090+m3-ultra-96");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "hwplan: error: m3-ultra-96: a unified-memory machine; only discrete GPUs can share a "
            "host\n");
}

TEST(Cli, UnknownNamesSuggestAndExit2) {
  auto r = run_hwplan("fit --model lama-3.1-8b");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "hwplan: error: unknown model 'lama-3.1-8b'; did you mean: llama-3.1-8b?\n");
  r = run_hwplan("fit --model llama-3.1-8b --hw rtx4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "hwplan: error: unknown hardware 'rtx4090'; did you mean: rtx-4090?\n");
  r = run_hwplan("fit --model llama-3.1-8b --quant q4km --json");
  EXPECT_EQ(r.exit_code, 2);
  const auto error = nlohmann::json::parse(r.out);
  EXPECT_EQ(error["error"]["kind"], "input");
  EXPECT_EQ(error["error"]["message"].get<std::string>().rfind("unknown quantization 'q4km'", 0),
            0u);
}

TEST(Cli, ImpossibleNumbersExit2) {
  auto r = run_hwplan("fit -m llama-2-7b --ctx 8192 --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "hwplan: error: --ctx: context of 8192 tokens exceeds Llama 2 7B's maximum of "
            "4096 (max_position_embeddings)\n");
  EXPECT_EQ(run_hwplan("fit -m llama-3.1-8b --batch 0").exit_code, 2);
  EXPECT_EQ(run_hwplan("fit -m llama-3.1-8b --ctx -5").exit_code, 2);
  EXPECT_EQ(run_hwplan("fit -m llama-3.1-8b --kv-type q3_k").exit_code, 2);
  r = run_hwplan("fit -m llama-3.1-8b --hw rtx-4090 --hw-spec memory_gib=-1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("/memory_gib: must be > 0, got -1"), std::string::npos) << r.err;
  EXPECT_EQ(run_hwplan("fit -m llama-3.1-8b --gpus -2 --hw rtx-4090").exit_code, 2);
}

TEST(Cli, UsageErrorsAndHelp) {
  EXPECT_EQ(run_hwplan("").exit_code, 2);
  EXPECT_EQ(run_hwplan("fit").exit_code, 2);
  EXPECT_EQ(run_hwplan("list gpus").exit_code, 2);
  const auto help = run_hwplan("fit --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--require-fit"), std::string::npos);
}

TEST(Cli, MalformedFilesNameFileAndField) {
  const auto dir = std::filesystem::temp_directory_path() / "hwplan_cli_files";
  std::filesystem::create_directories(dir);
  const auto hw = (dir / "machine.json").string();
  std::ofstream(hw) << R"({"schema_version": 1, "id": "m", "name": "m", "kind": "unified",
      "backend": "metal", "gpu_count": 1, "memory_gib": "lots", "bandwidth_gbs": 1, "fp16_tflops": 1})";
  auto r = run_hwplan("fit -m llama-3.1-8b --hw " + hw);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "hwplan: error: " + hw + ": /memory_gib: expected a number, got string \"lots\"\n");

  const auto config = (dir / "config.json").string();
  std::ofstream(config) << R"({"hidden_size": 4096, "num_hidden_layers": 32})";
  r = run_hwplan("fit -m " + config + " --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "hwplan: error: " + config + ": /num_attention_heads: missing required field\n");

  std::ofstream(config)
      << R"({"hidden_size": 4096, "num_hidden_layers": 32, "num_attention_heads": 32,
      "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
      "max_position_embeddings": 131072})";
  const auto json = json_of(run_hwplan("fit -m " + config + " --hw rtx-4090 --quant f16 --json"));
  EXPECT_EQ(json["tables"]["models"][0]["model"], "hwplan_cli_files");
  EXPECT_NEAR(json["tables"]["models"][0]["weights_gb"].get<double>(), 16.06, 0.005);

  const auto gguf = (dir / "broken.gguf").string();
  std::ofstream(gguf) << "GGUF\x03";
  r = run_hwplan("fit -m " + gguf + " --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(gguf + ": truncated"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(Cli, GgufModelUsesItsExactTensorTable) {
  const auto path = testing::shared_fixture("tiny-a-q4_k_m.gguf");
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no ../shared fixtures here";
  const auto json = json_of(run_hwplan("fit -m " + path + " --hw rtx-4090 --json"));
  const auto& model = json["tables"]["models"][0];
  EXPECT_DOUBLE_EQ(model["weights_gb"].get<double>() * 1e9, 7668992.0);  // tensor_bytes_total
  EXPECT_EQ(model["quant"], "Q4_K_M (GGUF)");
  EXPECT_EQ(model["context_tokens"], 512);  // the file's context_length caps the default
  EXPECT_EQ(model["weights_source"], "GGUF tensor table (exact)");
  // 2 layers x 512 tokens x 2 x 2 KV heads x 64 x 2 bytes.
  EXPECT_DOUBLE_EQ(model["kv_cache_gib"].get<double>() * 1073741824.0, 2.0 * 512 * 2 * 2 * 64 * 2);

  // A truncated copy is rejected with the file named.
  const auto cut = std::filesystem::temp_directory_path() / "hwplan_cut.gguf";
  std::filesystem::copy_file(path, cut, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(cut, 8000000);
  const auto r = run_hwplan("fit -m " + cut.string() + " --hw rtx-4090");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("runs past the end of the 8000000-byte file (truncated?)"),
            std::string::npos)
      << r.err;
  std::filesystem::remove(cut);
}

TEST(Cli, InlineWhatIfMachineAndGpuCount) {
  auto json =
      json_of(run_hwplan("fit -m llama-3.1-70b --hw-spec "
                         "kind=unified,memory_gib=128,bandwidth_gbs=256,fp16_tflops=59 --json"));
  EXPECT_EQ(json["tables"]["fit"][0]["fit"], "gpu");
  EXPECT_DOUBLE_EQ(json["tables"]["fit"][0]["usable_gib"].get<double>(), 96.0);
  json = json_of(run_hwplan("fit -m llama-3.1-70b --hw rtx-3090 --gpus 2 --json"));
  EXPECT_EQ(json["tables"]["fit"][0]["fit"], "multi_gpu");
}

// Profile files in a bundled folder (one machine or model each).
size_t json_files_in(const std::string& folder) {
  size_t n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HWPLAN_TEST_PROFILES_DIR) + "/" + folder))
    n += entry.path().extension() == ".json" ? 1 : 0;
  return n;
}

TEST(Cli, NoHardwareMeansEveryBundledMachineBestFirst) {
  const auto json = json_of(run_hwplan("fit -m llama-3.1-70b --json"));
  const auto& rows = json["tables"]["fit"];
  EXPECT_EQ(rows.size(), json_files_in("hardware"));
  const std::vector<std::string> order = {"gpu", "gpu_raised_limit", "multi_gpu", "partial_offload",
                                          "no_fit"};
  size_t last = 0;
  for (const auto& row : rows) {
    const auto rank = static_cast<size_t>(
        std::find(order.begin(), order.end(), row["fit"].get<std::string>()) - order.begin());
    EXPECT_GE(rank, last);
    last = rank;
  }
}

// A GPU measurement (here a hand-written one in gpu_measure.sh's shape) makes the profile
// discrete: VRAM 140 GiB with the 0.5 GiB in use reserved, the device read rate as bandwidth, the
// pinned host-to-device rate at the largest size (256 MiB: 53 GB/s) as the bus, the CPU's read
// rate as the host's, and the bundled H200 profile's datasheet FP16 figure (989.4), said so.
TEST(Cli, ProbeWithAGpuMeasurementWritesADiscreteProfile) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hwplan_gpu_profile_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto profile = dir / "gpu.json";
  const std::string fixture = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/gpu/h200-like.json";
  auto r = run_hwplan("probe --quick --gpu-result " + fixture + " -o " + profile.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto p = nlohmann::json::parse(testing::read_file(profile));
  EXPECT_EQ(p["kind"], "discrete");
  EXPECT_EQ(p["backend"], "cuda");
  EXPECT_DOUBLE_EQ(p["memory_gib"].get<double>(), 140.0);
  EXPECT_NEAR(p["gpu_memory_reserved_gib"].get<double>(), 0.5, 1e-9);
  EXPECT_DOUBLE_EQ(p["bandwidth_gbs"].get<double>(), 4000.0);
  EXPECT_DOUBLE_EQ(p["bus_gbs"].get<double>(), 53.0);
  EXPECT_DOUBLE_EQ(p["host_bandwidth_gbs"].get<double>(), p["measured"]["read_gbs"].get<double>());
  EXPECT_DOUBLE_EQ(p["fp16_tflops"].get<double>(), 989.4);
  EXPECT_NE(p["notes"].get<std::string>().find("bundled profile 'h200'"), std::string::npos);
  EXPECT_EQ(p["measured"]["gpu"]["name"], "NVIDIA H200");
  // The planner runs on it: Llama 3.1 70B Q4_K_M is all on the GPU, with GPU flags.
  r = run_hwplan("fit -m llama-3.1-70b --quant q4_k_m --hw " + profile.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto row = nlohmann::json::parse(r.out)["tables"]["fit"][0];
  EXPECT_EQ(row["fit"], "gpu");
  EXPECT_NE(row["llama_cpp_args"].get<std::string>().find("-ngl"), std::string::npos);
  // A broken measurement is refused before any probing, naming the field.
  auto bad = nlohmann::json::parse(testing::read_file(fixture));
  bad["gpu"]["free_gib"] = 150.0;
  const auto bad_file = dir / "bad.json";
  std::ofstream(bad_file) << bad.dump();
  r = run_hwplan("probe --quick --gpu-result " + bad_file.string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("free_gib"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bad.json"), std::string::npos) << r.err;
  std::filesystem::remove_all(dir);
}

TEST(Cli, ProbeWritesAProfileThePlannerLoads) {
  const auto profile = std::filesystem::temp_directory_path() / "hwplan_probe.json";
  auto r = run_hwplan("probe --quick -o " + profile.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("hwplan probe: bandwidth read"), std::string::npos);  // progress on stderr
  const auto report = nlohmann::json::parse(r.out);
  EXPECT_GT(report["tables"]["bandwidth"].size(), 0u);
  const auto saved = nlohmann::json::parse(testing::read_file(profile));
  EXPECT_EQ(saved["measured"]["decode_bandwidth_from"].get<std::string>().rfind("read_gbs", 0), 0u);
  EXPECT_DOUBLE_EQ(saved["bandwidth_gbs"].get<double>(),
                   saved["measured"]["read_gbs"].get<double>());
  r = run_hwplan("fit -m llama-3.2-1b --hw " + profile.string() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto fit_row = nlohmann::json::parse(r.out)["tables"]["fit"][0];
  EXPECT_EQ(fit_row["hardware"], "local");
  if (saved["backend"] == "cpu") {
    // No GPU here: a CPU plan, and a command without GPU placement flags.
    EXPECT_EQ(fit_row["fit"], "cpu");
    EXPECT_EQ(fit_row["llama_cpp_args"].get<std::string>().find("-ngl"), std::string::npos);
    // Its decode band is the CPU-only runs' own; the borrowed prefill band is said as such and
    // not passed off as the decode band's origin.
    r = run_hwplan("predict -m llama-3.2-1b --hw " + profile.string());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("measured CPU-only runs within +-"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("%: prefill band"), std::string::npos) << r.out;
  }
  // --expect against an impossible profile: exit 1 and the table of what moved.
  auto fast = saved;
  fast["bandwidth_gbs"] = 100000.0;
  const auto expect = std::filesystem::temp_directory_path() / "hwplan_expect.json";
  std::ofstream(expect) << fast.dump();
  r = run_hwplan("probe --quick --expect " + expect.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("BELOW 90%"), std::string::npos);
  EXPECT_EQ(run_hwplan("probe --quick --threads -3").exit_code, 2);
  EXPECT_EQ(run_hwplan("probe --quick --usable-cap 1").exit_code, 2);  // needs --usable-memory
  // Usable memory by allocation, capped small: 256 MiB held at once, said so, then freed.
  // --out names the file as in every other command.
  r = run_hwplan("probe --quick --usable-memory --usable-cap 0.25 --out " + profile.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto usable =
      nlohmann::json::parse(testing::read_file(profile))["measured"]["usable_memory"];
  EXPECT_DOUBLE_EQ(usable["usable_gib"].get<double>(), 0.25);
  EXPECT_EQ(usable["stopped"], "reached the requested cap");
  EXPECT_NE(r.out.find("--fit-target"), std::string::npos) << r.out;
  EXPECT_EQ(run_hwplan("probe --quick --expect /nonexistent.json").exit_code, 2);
  std::filesystem::remove(profile);
  std::filesystem::remove(expect);
}

TEST(Cli, ProbeStopsCleanlyOnSigint) {
  // A full probe runs for ~15 s; SIGINT after 1 s must free and exit with 130.
  const auto r =
      run_hwplan("probe 2>/dev/null & pid=$!; sleep 1; kill -INT $pid; wait $pid; exit $?; :");
  EXPECT_EQ(r.exit_code, 130);
}

TEST(Cli, ListJson) {
  auto json = json_of(run_hwplan("list hardware --json"));
  EXPECT_EQ(json["tables"]["hardware"].size(), json_files_in("hardware"));
  EXPECT_GE(json["tables"]["hardware"].size(), 32u);
  json = json_of(run_hwplan("list models --json"));
  EXPECT_EQ(json["tables"]["models"].size(), json_files_in("models"));
  EXPECT_GE(json["tables"]["models"].size(), 31u);
  json = json_of(run_hwplan("list quants --json"));
  // 33 llama.cpp types and ik_llama.cpp's IQ2_K..IQ6_K.
  EXPECT_EQ(json["tables"]["gguf_types"].size(), 38u);
}

// A FIFO, a directory or a number beyond the double range: exit 2 with the file named, at once.
TEST(Cli, InputsThatAreNotRegularFilesOrNotNumbers) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hwplan_cli_inputs_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "results.json").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string gguf_fifo = (dir / "model.gguf").string();
  ASSERT_EQ(::mkfifo(gguf_fifo.c_str(), 0600), 0);
  struct Case {
    std::string args, message;
  };
  const std::vector<Case> cases = {
      {"compare " + fifo + " " + fifo,
       fifo + ": benchmark results must be a regular file, but this is a FIFO"},
      {"claims " + fifo, fifo + ": CSV file must be a regular file, but this is a FIFO"},
      {"fit --model " + gguf_fifo,
       gguf_fifo + ": GGUF file must be a regular file, but this is a FIFO"},
      {"fit --model llama-3.1-8b --hw " + fifo,
       fifo + ": JSON file must be a regular file, but this is a FIFO"},
      {"fit --model " + dir.string(),
       dir.string() + ": JSON file must be a regular file, but this is a directory"},
  };
  for (const auto& c : cases) {
    const auto r = run_hwplan(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
  }
  const std::string big = (dir / "machine.json").string();
  std::ofstream(big) << R"({"id": "x", "bandwidth_gbs": 1e400})";
  const auto r = run_hwplan("fit --model llama-3.1-8b --hw " + big);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(big + ": not valid JSON: number overflow parsing '1e400'"),
            std::string::npos)
      << r.err;
  // A Google Benchmark file with a wrongly typed field: a message, not an abort.
  const std::string typed = (dir / "gb.json").string();
  std::ofstream(typed)
      << R"({"benchmarks": [{"name": 42, "run_type": "iteration", "real_time": 1.0}]})";
  const auto t = run_hwplan("compare " + typed + " " + typed);
  EXPECT_EQ(t.exit_code, 2) << t.err;
  EXPECT_EQ(t.err.rfind("hwplan: error: ", 0), 0u) << t.err;
  std::filesystem::remove_all(dir);
}

// Counts that would wrap, zeros, NaN and absurd values: a usage error naming the option.
TEST(Cli, OptionValuesOutsideTheirRange) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"probe --threads 4294967296", "--threads: Value 4294967296 not in range 0 to 4096"},
      {"predict -m llama-3.1-8b --nodes 0", "--nodes: Value 0 not in range 1 to 1024"},
      {"predict -m llama-3.1-8b --prompt 0", "--prompt: Value 0 not in range 1"},
      {"fit -m llama-3.1-8b --gpus 100000", "--gpus: Value 100000 not in range 1 to 64"},
      {"report --years nan", "--years: 'nan' is not a finite number in [0.01, 100]"},
      {"report --electricity inf", "--electricity: 'inf' is not a finite number"},
      {"validate --max-error -1", "--max-error: '-1' is not a finite number in [0, 100]"},
  };
  for (const auto& [args, message] : cases) {
    const auto r = run_hwplan(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << ": " << r.err;
  }
}

// A write that fails is an error, never exit 0; -o never leaves a partial file.
TEST(Cli, OutputWriteFailuresAreErrors) {
  // A device is written in place (never replaced by a renamed file); /dev/full refuses.
  auto r = run_hwplan("list models -o /dev/full");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("/dev/full: cannot write"), std::string::npos) << r.err;
  struct stat info {};
  ASSERT_EQ(::stat("/dev/full", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
  r = run_hwplan("list models -o /nonexistent-dir/models.txt");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("/nonexistent-dir/models.txt: cannot write"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists("/nonexistent-dir/models.txt.partial"));
}

}  // namespace
}  // namespace hwplan::cli
