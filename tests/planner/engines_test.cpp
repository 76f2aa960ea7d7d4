// Engines over llama.cpp: pairs from a small CSV by hand, the fitted ratios, and a prediction
// carried over to an engine.
#include "planner/engines.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "common/csv.h"
#include "planner/predict.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;

// Two machines; on each, llama.cpp and MLX ran the same model (names differ after the base name),
// plus a concurrency-4 row that must not count and an engine that is neither.
const char* kCsv =
    "source_id,hardware,engine,model,decode_tps,prefill_tps,notes\n"
    "S,Mac A,llama.cpp llama-server b1,Qwen3-8B Q4_K_M,50,1000,\n"
    "S,Mac A,mlx-lm 0.31,Qwen3-8B MLX 4bit,75,2500,\n"
    "S,Mac A,mlx-lm 0.31,Qwen3-8B MLX 4bit,65,,\n"
    "S,Mac A,vllm-mlx,Qwen3-8B MLX 4bit,300,,concurrency=4; aggregate\n"
    "S,Mac B,llama.cpp b2,Qwen3-8B (GGUF),40,,\n"
    "S,Mac B,oMLX,Qwen3-8B 4bit,48,,\n"
    "S,Mac B,SGLang,Qwen3-8B,60,,\n"
    "T,Mac C,mlx-lm,Other-1B,10,,\n"
    "T,Rig,llama.cpp b3,Qwen3-8B Q4_K_M,50,,\n"
    "T,Rig,vLLM 0.19.0 (TP=2),Qwen3-8B BF16,40,,\n";

TEST(Engines, PairsAndRatiosByHand) {
  const auto csv = parse_csv(kCsv, "e.csv");
  const auto pairs = engine_pairs(csv, "e.csv");
  // Mac A: MLX mean (75 + 65) / 2 = 70 over 50 = 1.4 decode, 2500 / 1000 = 2.5 prefill;
  // Mac B: 48 / 40 = 1.2. SGLang and the unpaired Mac C row make no pair, nor does vLLM's
  // tensor-parallel run beside llama.cpp's layer split on the rig.
  ASSERT_EQ(pairs.size(), 2u);
  const auto engines = fit_engines(pairs);
  const auto& mlx = find_engine(engines, "mlx");
  EXPECT_DOUBLE_EQ(mlx.decode_ratio, 1.3);  // median of 1.4 and 1.2
  EXPECT_EQ(mlx.decode_pairs, 2);
  EXPECT_DOUBLE_EQ(mlx.prefill_ratio, 2.5);
  EXPECT_EQ(mlx.prefill_pairs, 1);
  // |1.4/1.3 - 1| = |1.2/1.3 - 1| = 0.0769...
  EXPECT_NEAR(mlx.decode_spread, 0.1 / 1.3, 1e-12);
  EXPECT_EQ(find_engine(engines, "vllm").decode_pairs, 0);
  EXPECT_EQ(engine_of("ExLlamaV3 0.0.4"), "exllamav3");
  EXPECT_TRUE(runs_tensor_parallel("vLLM 0.19.0 (TP=2) | tensor parallel TP=2 across both GPUs"));
  EXPECT_FALSE(runs_tensor_parallel("ExLlamaV2 | layer split across 3 GPUs (no TP)"));
  EXPECT_FALSE(runs_tensor_parallel("vLLM | TP=1"));
  EXPECT_EQ(engine_of("TensorRT-LLM"), "");
  EXPECT_NE(error_of([&] { find_engine(engines, "sglang"); }).find("unknown engine 'sglang'"),
            std::string::npos);
  EXPECT_EQ(engines_from_json(engines_to_json(engines), "c.json"), engines);
}

// An engine against the physics with runs at depth: a pair at `depth` whose physics step is
// `physics` s, `cache` s of it for the cached tokens and `comm` s on the link, measured at
// `measured` s.
EnginePair deep_pair(int64_t depth, double physics, double cache, double comm, double measured) {
  EnginePair p{"ik_llama.cpp", "S", "Rig", "M", 0, 0, true, {}};
  p.depth_tokens = depth;
  p.physics_seconds = physics;
  p.cache_seconds = cache;
  p.communication_seconds = comm;
  p.measured_seconds = measured;
  p.decode_ratio = (physics - comm) / (measured - comm);
  return p;
}

// Runs made with known factors (kernels 1.25x llama.cpp's, each cached token 5x the physics'
// time) give those factors back exactly: the ratio from the shallow runs (their small cache at
// the cache factor), the cache factor from what each deep run leaves once the rest runs at the
// ratio; every run is then predicted without error.
TEST(Engines, CacheFactorFittedFromRunsAtDepthByHand) {
  const double g = 1.25;
  const double c = 5;
  auto pair = [&](int64_t depth, double physics, double cache, double comm) {
    return deep_pair(depth, physics, cache, comm, (physics - cache - comm) / g + cache * c + comm);
  };
  std::vector<EnginePair> pairs = {pair(0, 0.030, 0.0005, 0), pair(0, 0.100, 0.0010, 0.004),
                                   pair(8192, 0.032, 0.002, 0), pair(16384, 0.034, 0.004, 0),
                                   pair(31744, 0.110, 0.010, 0.004)};
  const auto ik = find_engine(fit_engines(pairs), "ik_llama.cpp");
  EXPECT_NEAR(ik.decode_ratio, g, 1e-9);
  EXPECT_NEAR(ik.cache_ratio, c, 1e-9);
  EXPECT_EQ(ik.cache_pairs, 3);
  EXPECT_EQ(ik.decode_pairs, 5);
  EXPECT_NEAR(ik.decode_median_error, 0, 1e-9);
  EXPECT_NEAR(ik.decode_spread, 0, 1e-9);
  // The step in the engine: the rest at its ratio, the cache at its factor, the link as it is:
  // (0.1 - 0.02 - 0.01) / 1.25 + 0.02 x 5 + 0.01 = 0.166 s.
  EXPECT_NEAR(engine_decode_seconds(ik, 0.1, 0.02, 0.01), 0.166, 1e-9);
  // Two runs at depth are too few: one ratio, the median of all four, and no cache factor.
  pairs.pop_back();
  pairs.erase(pairs.begin() + 1);
  const auto few = find_engine(fit_engines(pairs), "ik_llama.cpp");
  EXPECT_EQ(few.cache_ratio, 0);
  EXPECT_EQ(few.cache_pairs, 0);
  std::vector<double> ratios = {pairs[0].decode_ratio, pairs[1].decode_ratio,
                                pairs[2].decode_ratio};
  std::sort(ratios.begin(), ratios.end());
  EXPECT_DOUBLE_EQ(few.decode_ratio, ratios[1]);
  EXPECT_DOUBLE_EQ(engine_decode_seconds(few, 0.1, 0.02, 0.01), 0.09 / few.decode_ratio + 0.01);
  const auto round_trip = engines_from_json(engines_to_json({ik}), "c.json");
  EXPECT_EQ(find_engine(round_trip, "ik_llama.cpp").cache_ratio, ik.cache_ratio);
  EXPECT_EQ(find_engine(round_trip, "ik_llama.cpp").cache_pairs, 3);
}

TEST(Engines, PredictionCarriedOverAndRefusedWhereTheEngineCannotRun) {
  EngineFactors mlx = known_engines().front();
  mlx.decode_ratio = 1.5;
  mlx.decode_pairs = 10;
  mlx.decode_spread = 0.2;
  mlx.prefill_ratio = 2;
  mlx.prefill_pairs = 3;
  Prediction p;
  p.fit.kind = FitKind::kGpu;
  p.decode.tok_per_s = 40;
  p.decode.seconds = 0.025;
  p.decode.error_band_fraction = 0.2;
  p.prefill.tok_per_s = 1000;
  p.prefill.seconds = 0.5;
  p.ttft_seconds = 0.5;
  const auto q = with_engine(p, mlx);
  EXPECT_EQ(q.engine, "mlx");
  EXPECT_DOUBLE_EQ(q.decode.tok_per_s, 60);
  EXPECT_DOUBLE_EQ(q.decode.seconds, 0.025 / 1.5);
  EXPECT_DOUBLE_EQ(q.decode.error_band_fraction, 0.4);  // 0.2 + the pairs' 0.2
  EXPECT_DOUBLE_EQ(q.ttft_seconds, 0.25);
  EXPECT_GE(q.prefill.error_band_fraction, 0.5);  // 3 prefill pairs: too few for a band
  // The engine's factor is over llama.cpp's kernels, not over the link: of a 25 ms step, 10 ms of
  // all-reduces stay, the other 15 ms take 15 / 1.5 = 10 ms.
  EXPECT_DOUBLE_EQ(engine_seconds(0.025, 0.010, 1.5), 0.020);
  p.decode.communication_seconds = 0.010;
  EXPECT_NEAR(with_engine(p, mlx).decode.tok_per_s, 1 / 0.020, 1e-9);
  HardwareSpec card;
  card.id = "card";
  card.backend = Backend::kCuda;
  EXPECT_EQ(error_of([&] { check_engine_runs_on(mlx, card); }),
            "--engine mlx: cannot run on card (cuda); it runs on metal");
}

// Concurrency: an engine's runs at N users beside its single-stream run give the share of the
// peak at which it computes the other sequences' products; predictions use it.
TEST(Engines, BatchedShareFittedByHandAndUsedForSeveralUsers) {
  // One user 100 tok/s (10 ms). Physics: one sequence 8 ms; five 12 ms, of which 4 ms are the
  // five sequences' products, so one sequence's step within the batch is 12 - 4 x 4/5 = 8.8 ms:
  // the batch adds 0.8 ms of memory. At a share 0.2 of a 1e13 FLOP/s peak, the other four
  // sequences' 1e10 FLOP each take 4e10 / 2e12 = 20 ms: 5 / (10 + 0.8 + 20) ms = 162.34 tok/s.
  BatchPair pair{"mlx", "S", "Mac", "M", 5, 100, 5 / 0.0308, 0.008, 0.012, 0.004, 1e10, 1e13, 0};
  EnginePair single{"mlx", "S", "Mac", "M", 1.0, 0, false, {}};
  const auto engines = fit_engines({single}, {pair});
  const auto& mlx = find_engine(engines, "mlx");
  EXPECT_NEAR(mlx.batch_flop_fraction, 0.2, 1e-12);
  EXPECT_EQ(mlx.batch_pairs, 1);
  EXPECT_NEAR(mlx.batch_median_error, 0, 1e-12);
  EXPECT_NEAR(batch_pair_aggregate(pair, mlx), 5 / 0.0308, 1e-9);
  // From the physics alone: 8.8 ms + 20 ms.
  EXPECT_NEAR(batch_pair_predicted_aggregate(pair, mlx), 5 / 0.0288, 1e-9);
  EXPECT_EQ(find_engine(engines, "exo").batch_flop_fraction, mlx.batch_flop_fraction);
  EXPECT_EQ(engines_from_json(engines_to_json(engines), "c.json"), engines);
  // A batch no slower than one sequence implies at most the peak.
  BatchPair free = pair;
  free.aggregate_tok_per_s = 500;
  EXPECT_DOUBLE_EQ(find_engine(fit_engines({single}, {free}), "mlx").batch_flop_fraction, 1.0);

  // engine_step_seconds by hand: ratio 2, share 0.5; three sequences, physics 30 ms of which
  // 6 ms products: (30 - 6 x 2/3) / 2 = 13 ms, plus 2 x 1e9 / (0.5 x 1e12) = 4 ms.
  EngineFactors e = mlx;
  e.decode_ratio = 2;
  e.batch_flop_fraction = 0.5;
  e.batch_spread = 0.1;
  EXPECT_NEAR(engine_step_seconds(e, 3, 0.03, 0.006, 1e9, 1e12, 0), 0.017, 1e-15);
  EXPECT_NEAR(engine_step_seconds(e, 1, 0.03, 0.006, 1e9, 1e12, 0), 0.015, 1e-15);
  Prediction p;
  p.fit.kind = FitKind::kGpu;
  p.decode_cost.batch = 3;
  p.decode_cost.gpu_flop = 3e9;
  p.decode_cost.gpu_flop_per_s = 1e12;
  p.decode.seconds = 0.03;
  p.decode.tok_per_s = 100;
  p.decode.gpu_compute_seconds = 0.006;
  p.decode.error_band_fraction = 0.2;
  const auto q = with_engine(p, e);
  EXPECT_NEAR(q.decode.seconds, 0.017, 1e-15);
  EXPECT_NEAR(q.decode.tok_per_s, 3 / 0.017, 1e-9);
  EXPECT_NE(q.reason.find("3 users: mlx computes the other sequences' products at 50%"),
            std::string::npos)
      << q.reason;
  // One run at concurrency and one pair: each widens the band by half (0.2 + 0.5 + 0.5).
  EXPECT_NEAR(q.decode.error_band_fraction, 1.2, 1e-12);
  EXPECT_NE(q.reason.find("too few for a band of their own"), std::string::npos);
  // Where the backend's tiled GEMM of the batch (here 32 ms) is faster, the step is the step
  // without products, (30 - 6) / 2 = 12 ms, plus the GEMM: 44 ms against the vector kernel's
  // (30 - 6 x 19/20) / 2 + 19 x 1e9 / 5e11 = 12.15 + 38 = 50.15 ms for 20 sequences.
  EXPECT_NEAR(engine_step_seconds(e, 20, 0.03, 0.006, 1e9, 1e12, 0.032), 0.044, 1e-15);
  EXPECT_NEAR(engine_step_seconds(e, 20, 0.03, 0.006, 1e9, 1e12, 0), 0.05015, 1e-15);
  // A 40 ms GEMM is slower (12 + 40 = 52 ms): the vector kernel stays.
  EXPECT_NEAR(engine_step_seconds(e, 20, 0.03, 0.006, 1e9, 1e12, 0.040), 0.05015, 1e-15);
  p.decode_cost.batch = 20;
  p.decode_cost.gpu_flop = 20e9;
  p.decode.gpu_gemm_seconds = 0.032;
  EXPECT_NEAR(with_engine(p, e).decode.seconds, 0.044, 1e-15);
  EXPECT_NE(with_engine(p, e).reason.find("as one tiled GEMM"), std::string::npos);
  // Without a fitted share the engine scales llama.cpp's physics.
  e.batch_flop_fraction = 0;
  EXPECT_NEAR(with_engine(p, e).decode.seconds, 0.015, 1e-15);
}

// ExLlamaV3 loads EXL3 only; its one published comparison predates its Ampere fix, so ExLlamaV2's
// factor stands in, said so, with a band as for too few runs.
TEST(Engines, ExllamaV3StandsOnExllamaV2sFactorAndSaysWhy) {
  EXPECT_EQ(engine_of("ExLlamaV3 (ExLlamav3 loader in text-generation-webui)"), "exllamav3");
  EXPECT_EQ(engine_of("ExLlamaV2 0.0.6 (flash-attention 2.3.2)"), "exllamav2");
  const auto engines = fit_engines({{"exllamav2", "S", "3090", "m", 1.6, 0, false, {}}});
  const auto& v3 = find_engine(engines, "exllamav3");
  EXPECT_EQ(v3.factors_of, "exllamav2");
  EXPECT_DOUBLE_EQ(v3.decode_ratio, 1.6);
  EXPECT_FALSE(v3.distributed);
  EXPECT_NE(engine_basis(v3).find("exllamav2's factor: its one published comparison"),
            std::string::npos)
      << engine_basis(v3);
  const auto& m = testing::model("llama-3.1-8b");
  const auto exl3 = build_inventory(m, testing::quant("exl3-4.0bpw"));
  EXPECT_EQ(error_of([&] { check_engine_loads("llama.cpp", "exl3", exl3, "EXL3 4.0 bpw"); }),
            "llama.cpp cannot load EXL3 4.0 bpw (exl3 weights); it runs in exllamav3: use "
            "--engine exllamav3");
  EXPECT_NO_THROW(check_engine_loads("exllamav3", "exl3", exl3, "EXL3 4.0 bpw"));
  // A 6-bit head and a 16-bit embedding: Llama 3.1 8B's 128256 x 4096 at 6 and at 16 bits (the
  // final norm rides with the head).
  double head = 0, embedding = 0;
  for (const auto& g : exl3.groups) {
    if (g.cls == TensorClass::kEmbedding) embedding += g.bytes;
    if (g.cls == TensorClass::kOutput) head += g.bytes;
  }
  EXPECT_NEAR(embedding, 128256.0 * 4096 * 2, 1.0);
  EXPECT_NEAR(head, 128256.0 * 4096 * 6 / 8, 4096.0 * 4);
}

}  // namespace
}  // namespace hwplan::planner

namespace hwplan::planner {
namespace {

// Who loads what: GGUF is llama.cpp's and ik_llama.cpp's (the others take a GGUF mix as the same
// model at that size in their own format); each checkpoint format its own engines; a type only
// ik_llama.cpp defines, ik_llama.cpp alone.
TEST(Engines, EachFormatIsLoadedByItsEngines) {
  EXPECT_EQ(engines_loading("gguf", false),
            (std::vector<std::string>{"llama.cpp", "ik_llama.cpp", "mlx", "exo", "vllm",
                                      "exllamav2", "exllamav3"}));
  EXPECT_EQ(engines_loading("gguf", true), (std::vector<std::string>{"ik_llama.cpp"}));
  EXPECT_EQ(engines_loading("exl2", false), (std::vector<std::string>{"exllamav2"}));
  EXPECT_EQ(engines_loading("exl3", false), (std::vector<std::string>{"exllamav3"}));
  EXPECT_EQ(engines_loading("gptq", false), (std::vector<std::string>{"vllm", "exllamav2"}));
  EXPECT_EQ(engines_loading("mlx", false), (std::vector<std::string>{"mlx", "exo"}));
  EXPECT_FALSE(engine_loads("llama.cpp", "awq", false));
  EXPECT_TRUE(engine_loads("vllm", "fp8", false));
}

// The engines `--engine all` chooses among: those that run on the backend and load the weights;
// exo only on several nodes.
TEST(Engines, EnginesForAMachineRunThereAndLoadTheWeights) {
  const auto engines = known_engines();
  auto names = [&](const char* machine, const std::string& family, bool ik, int64_t nodes) {
    std::vector<std::string> out;
    for (const auto* e :
         engines_for(engines, find_hardware(testing::db(), machine), family, ik, nodes))
      out.push_back(e->name);
    return out;
  };
  EXPECT_EQ(names("m3-ultra-96", "gguf", false, 1), (std::vector<std::string>{"mlx"}));
  EXPECT_EQ(names("m3-ultra-96", "mlx", false, 2), (std::vector<std::string>{"mlx", "exo"}));
  EXPECT_EQ(names("rtx-4090", "gguf", false, 1),
            (std::vector<std::string>{"vllm", "exllamav2", "exllamav3", "ik_llama.cpp"}));
  EXPECT_EQ(names("rtx-4090", "exl3", false, 1), (std::vector<std::string>{"exllamav3"}));
  EXPECT_TRUE(names("rx-7900-xtx", "exl3", false, 1).empty());  // ExLlamaV3 runs on CUDA
  EXPECT_EQ(names("rtx-4090", "gguf", true, 1), (std::vector<std::string>{"ik_llama.cpp"}));
  EXPECT_TRUE(names("rtx-4090", "mlx", false, 1).empty());
}

TEST(Engines, AFormatTheEngineCannotLoadIsAnErrorNamingBoth) {
  const auto& m = testing::model("deepseek-v3");
  const auto ik = build_inventory(m, testing::quant("ik-q8-iq4_k"));
  EXPECT_EQ(ik_only_type(ik), "IQ4_K");
  EXPECT_EQ(error_of([&] { check_engine_loads("llama.cpp", "gguf", ik, "ik mix"); }),
            "llama.cpp cannot load ik mix (IQ4_K tensors, a type only ik_llama.cpp defines); it "
            "runs in ik_llama.cpp: use --engine ik_llama.cpp");
  EXPECT_NO_THROW(check_engine_loads("ik_llama.cpp", "gguf", ik, "ik mix"));
  const auto exl2 = build_inventory(m, testing::quant("exl2-4.0bpw"));
  EXPECT_EQ(ik_only_type(exl2), "");
  EXPECT_EQ(error_of([&] { check_engine_loads("llama.cpp", "exl2", exl2, "EXL2 4.0 bpw"); }),
            "llama.cpp cannot load EXL2 4.0 bpw (exl2 weights); it runs in exllamav2: use "
            "--engine exllamav2");
}

// exo distributes MLX: MLX's fitted factors (said so, with a band as for too few runs), and on
// several Macs the tensor-parallel plan over the nodes, not llama.cpp's pipeline.
TEST(Engines, ExoRunsMlxsFactorsInTensorParallelOverTheNodes) {
  std::vector<EnginePair> pairs;
  for (int i = 0; i < 6; ++i) pairs.push_back({"mlx", "S", "Mac", "m", 1.5, 0, false, {}});
  const auto engines = fit_engines(pairs);
  const auto& exo = find_engine(engines, "exo");
  EXPECT_EQ(exo.factors_of, "mlx");
  EXPECT_DOUBLE_EQ(exo.decode_ratio, 1.5);
  // MLX's six pairs give it a band of its own; exo, on MLX's factors, has none.
  EXPECT_TRUE(engine_has_own_band(find_engine(engines, "mlx")));
  EXPECT_FALSE(engine_has_own_band(exo));
  const auto& m = testing::model("deepseek-v3");
  const auto weights = build_inventory(m, testing::quant("mlx-4bit"));
  const auto& mac = find_hardware(testing::db(), "m3-ultra-512");
  Workload w;
  w.context_tokens = 4096;
  PredictOptions two;
  two.nodes = 2;
  two.link = "thunderbolt5";
  const auto& table = testing::db().efficiency;
  const auto chosen = choose_plan(m, weights, mac, w, two, nullptr, testing::db().quants);
  const auto pipeline = predict_chosen(m, chosen, two, table);
  const auto p =
      predict_with_engine(m, weights, w, chosen, pipeline, two, exo, testing::db().quants, table);
  PredictOptions tensor = two;
  tensor.split = SplitMode::kTensor;
  const auto parallel = predict(m, weights, mac, w, tensor, table);
  // MLX's factor speeds up the kernels; the all-reduces over Thunderbolt take what they take.
  const double comm = parallel.decode.communication_seconds;
  ASSERT_GT(comm, 0);
  EXPECT_NEAR(p.decode.seconds, (parallel.decode.seconds - comm) / 1.5 + comm, 1e-12);
  EXPECT_NEAR(p.decode.tok_per_s, 1.0 / ((parallel.decode.seconds - comm) / 1.5 + comm), 1e-9);
  EXPECT_LT(p.decode.tok_per_s, 1.5 * parallel.decode.tok_per_s);
  EXPECT_GT(p.decode.tok_per_s, 1.5 * pipeline.decode.tok_per_s);
  EXPECT_NE(p.reason.find("tensor parallel over 2 nodes over thunderbolt5 in exo"),
            std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("mlx's factor"), std::string::npos) << p.reason;
  EXPECT_GE(p.decode.error_band_fraction, 0.5 + pipeline.decode.error_band_fraction - 1e-9);
}

}  // namespace
}  // namespace hwplan::planner
