#include "planner/predict.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "common/units.h"
#include "planner/llama_args.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::error_of;
using testing::model;
using testing::quant;

// Factors with every term but bandwidth switched off, so the expected values below are plain
// bytes / (fraction x bandwidth).
EfficiencyTable bandwidth_only(double fraction) {
  EfficiencyTable table;
  Efficiency e;
  e.backend = "cuda";
  e.memory_class = "gddr";
  e.bandwidth_fraction = fraction;
  e.compute_fraction = 0.5;
  table.groups.push_back(e);
  table.bus_fraction = 0.8;
  table.cpu_bandwidth_fraction = 0.5;
  return table;
}

HardwareSpec card(double memory_gib, int64_t gpus = 1) {
  HardwareSpec hw;
  hw.id = "card";
  hw.kind = MemoryKind::kDiscrete;
  hw.memory_type = "gddr6x";
  hw.backend = Backend::kCuda;
  hw.gpu_count = gpus;
  hw.memory_bytes = gib_to_bytes(memory_gib);
  hw.bandwidth_bytes_per_s = 1e12;
  hw.fp16_flop_per_s = 1e14;
  hw.host_memory_bytes = gib_to_bytes(128);
  hw.host_bandwidth_bytes_per_s = 1e11;
  hw.bus_bytes_per_s = 32e9;
  return hw;
}

Workload ctx(int64_t tokens, int64_t batch = 1) {
  Workload w;
  w.context_tokens = tokens;
  w.batch = batch;
  return w;
}

// Llama 3.1 8B at F16 fully in a 40 GiB card, 1 token in the cache: every token reads all
// weights but the embedding (16,061,054,976 - 1,050,673,152 = 15,010,381,824 B) plus the KV of
// the 256 cells llama.cpp allocates and attends over at least (256 x 131,072 = 33,554,432 B) =
// 15,043,936,256 B at 0.5 x 1e12 B/s = 0.030087872512 s -> 33.24 tok/s.
TEST(Predict, DenseModelInVramIsBytesOverEffectiveBandwidth) {
  const auto& m = model("llama-3.1-8b");
  const auto p =
      predict(m, build_inventory(m, quant("f16")), card(40), ctx(1), {}, bandwidth_only(0.5));
  EXPECT_EQ(p.fit.kind, FitKind::kGpu);
  EXPECT_DOUBLE_EQ(p.decode_cost.gpu_bytes, 15043936256.0);
  EXPECT_NEAR(p.decode.seconds, 15043936256.0 / 0.5e12, 1e-12);
  EXPECT_NEAR(p.decode.tok_per_s, 33.24, 0.01);
  EXPECT_EQ(p.decode.bound, Bound::kMemory);
  EXPECT_NE(p.reason.find("bound by GPU memory bandwidth: 15.04 GB per token at 500 GB/s"),
            std::string::npos)
      << p.reason;
}

// Several sequences: llama.cpp multiplies a batch as one tiled GEMM (8 columns a tile on CUDA,
// 32 elsewhere) at the prefill share of the peak where that beats the vector kernel's cost per
// sequence; attention stays per sequence.
TEST(Predict, ABatchsProductsTakeTheFasterOfVectorAndTiledGemm) {
  DecodeCost c;
  c.batch = 16;
  c.gpu_attention_flop = 16 * 1e8;
  c.gpu_flop = 16 * 1e10 + c.gpu_attention_flop;
  c.gpu_flop_per_s = 1e14;
  c.gpu_bandwidth_bytes_per_s = 1e12;
  c.gpu_bytes = 5e9;
  Efficiency e;
  e.compute_fraction = 0.5;
  e.decode_compute_factor = 8;
  e.bandwidth_fraction = 1;
  // CUDA: 16 columns are two tiles: 16 x 1e10 / (0.5 x 1e14) = 3.2 ms, attention 1.6e9 x 8 / 1e14
  // = 0.128 ms. Elsewhere 32 columns: 6.4 ms + 0.128 ms.
  EXPECT_NEAR(batched_gemm_seconds(c, Backend::kCuda, e, 1), 3.328e-3, 1e-12);
  EXPECT_NEAR(batched_gemm_seconds(c, Backend::kMetal, e, 1), 6.528e-3, 1e-12);
  HardwareSpec hw;
  hw.backend = Backend::kCuda;
  // The vector kernel would take 1.616e11 x 8 / 1e14 = 12.928 ms: the GEMM's 3.328 ms is used.
  const auto s = decode_speed(c, hw, e, EfficiencyTable{});
  EXPECT_NEAR(s.gpu_compute_seconds, 3.328e-3, 1e-12);
  EXPECT_NEAR(s.seconds, 5e-3 + 3.328e-3, 1e-12);
  // One sequence always runs the vector kernel.
  c.batch = 1;
  c.gpu_attention_flop = 1e8;
  c.gpu_flop = 1e10 + 1e8;
  EXPECT_TRUE(std::isinf(batched_gemm_seconds(c, Backend::kCuda, e, 1)));
  EXPECT_NEAR(decode_speed(c, hw, e, EfficiencyTable{}).gpu_compute_seconds, 1.01e10 * 8 / 1e14,
              1e-12);
}

// The cache's share of a step: without_cache takes out the KV bytes (on every device) and the
// attention over them, and cache_seconds is what that leaves out of the step. Memory-bound at
// 1 TB/s: 2 GB of the 10 read are cache, so 2 ms; the attention's 1e9 FLOP at a decode factor
// of 8 over 1e14 FLOP/s add 0.08 ms.
TEST(Predict, TheCachesShareOfAStepIsItsBytesAndAttention) {
  DecodeCost c;
  c.gpu_bytes = 10e9;
  c.kv_gpu_bytes = 2e9;
  c.host_bytes = 1e9;
  c.kv_host_bytes = 0.5e9;
  c.gpu_flop = 2e10;
  c.gpu_attention_flop = 1e9;
  c.gpu_flop_per_s = 1e14;
  c.gpu_bandwidth_bytes_per_s = 1e12;
  const auto bare = without_cache(c);
  EXPECT_DOUBLE_EQ(bare.gpu_bytes, 8e9);
  EXPECT_DOUBLE_EQ(bare.host_bytes, 0.5e9);
  EXPECT_DOUBLE_EQ(bare.gpu_flop, 1.9e10);
  EXPECT_EQ(bare.kv_gpu_bytes + bare.kv_host_bytes + bare.gpu_attention_flop, 0);
  Efficiency e;
  e.bandwidth_fraction = 1;
  e.decode_compute_factor = 8;
  EfficiencyTable table;
  table.cpu_bandwidth_fraction = 0.5;
  HardwareSpec hw;
  hw.backend = Backend::kCuda;
  hw.host_bandwidth_bytes_per_s = 100e9;
  // GPU: 2e9 / 1e12 = 2 ms and 1e9 x 8 / 1e14 = 0.08 ms; host: 0.5e9 / (0.5 x 100e9) = 10 ms.
  EXPECT_NEAR(cache_seconds(c, hw, e, table), 2e-3 + 0.08e-3 + 10e-3, 1e-12);
  // A real plan: Llama 3.1 8B at 4096 tokens holds 4096 x 128 KiB of F16 cache on the GPU.
  const auto& m = model("llama-3.1-8b");
  const auto plan = choose_plan(m, build_inventory(m, quant("q4_k_m")), card(24), ctx(4096),
                                PredictOptions{}, nullptr, QuantCatalog{});
  const auto cost = decode_cost(m, plan.plan, plan.machine, PredictOptions{});
  EXPECT_DOUBLE_EQ(cost.kv_gpu_bytes, 4096.0 * 128 * 1024);
  EXPECT_GT(cost.gpu_attention_flop, 0);
}

// llama.cpp's vector attention kernel reads a grouped-query cache once per query head: Llama 3.1
// 8B has 32 query heads over 8 KV heads, so on CUDA a Q8_0 cache is read 4 times per token (the
// F16 cache once: the mma kernel shares it across the group), on ROCm every cache 4 times; other
// backends, other engines and latent attention once.
TEST(Predict, QuantizedCacheOnCudaIsReadOncePerQueryHead) {
  const auto& m = model("llama-3.1-8b");
  ASSERT_EQ(m.n_heads, 32);
  ASSERT_EQ(m.n_kv_heads, 8);
  Workload q8 = ctx(4096);
  q8.kv_cache = {"Q8_0", 34.0 / 32.0};
  Workload mixed = q8;
  mixed.kv_cache.name = "Q8_0/F16";
  const Workload f16 = ctx(4096);
  EXPECT_EQ(cache_reads_per_token(m, q8, Backend::kCuda, "llama.cpp"), 4);
  EXPECT_EQ(cache_reads_per_token(m, mixed, Backend::kCuda, "llama.cpp"), 4);
  EXPECT_EQ(cache_reads_per_token(m, f16, Backend::kCuda, "llama.cpp"), 1);
  EXPECT_EQ(cache_reads_per_token(m, f16, Backend::kRocm, "llama.cpp"), 4);
  EXPECT_EQ(cache_reads_per_token(m, q8, Backend::kMetal, "llama.cpp"), 1);
  EXPECT_EQ(cache_reads_per_token(m, q8, Backend::kCuda, "vllm"), 1);
  EXPECT_EQ(cache_reads_per_token(model("deepseek-v3"), q8, Backend::kCuda, "llama.cpp"), 1);
  // The plan's cache: 4096 cells x 32 layers x 2 x 8 heads x 128 x 34/32 B = 285,212,672 B, read
  // once in gpu_bytes, the 3 re-reads (855,638,016 B) beside it.
  const auto plan = choose_plan(m, build_inventory(m, quant("q4_k_m")), card(24), q8,
                                PredictOptions{}, nullptr, QuantCatalog{});
  const auto cost = decode_cost(m, plan.plan, plan.machine, PredictOptions{});
  EXPECT_DOUBLE_EQ(cost.kv_gpu_bytes, 285212672.0);
  EXPECT_DOUBLE_EQ(cost.kv_gpu_reread_bytes, 3 * 285212672.0);
  // decode_speed reads the table's share of the re-reads from memory: at 1 against 0 the step
  // grows by 855,638,016 B / (0.5 x 1e12 B/s) = 1.711276032 ms; without the cache, not at all.
  auto all = bandwidth_only(0.5);
  auto none = all;
  none.cache_reread_fraction = 0;
  const auto e = efficiency_for(all, "cuda", "gddr");
  EXPECT_NEAR(decode_speed(cost, plan.machine, e, all).seconds -
                  decode_speed(cost, plan.machine, e, none).seconds,
              1.711276032e-3, 1e-12);
  EXPECT_DOUBLE_EQ(decode_speed(without_cache(cost), plan.machine, e, all).seconds,
                   decode_speed(without_cache(cost), plan.machine, e, none).seconds);
  PredictOptions other;
  other.engine = "ik_llama.cpp";
  EXPECT_EQ(decode_cost(m, plan.plan, plan.machine, other).kv_gpu_reread_bytes, 0);
}

// Two different GPUs in a pipeline: each reads its own layers at its own speed, so the GPU term
// is the sum of bytes_i / (fraction x bandwidth_i); with every matrix split in equal slices
// (tensor parallel) the slower GPU sets the pace: total / (2 x fraction x slower bandwidth).
TEST(Predict, MixedGpusReadTheirOwnBytesAtTheirOwnBandwidth) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("f16"));
  HardwareSpec hw = card(48, 2);
  hw.gpus = {{"fast", gib_to_bytes(48), 2e12, 2e14, 0, 0, 0, 32e9},
             {"slow", gib_to_bytes(16), 1e12, 1e14, 0, 0, 0, 32e9}};
  const QuantCatalog& catalog = testing::db().quants;
  const auto args = parse_llama_args("-ngl 99 -ts 3,1");
  const auto chosen = choose_plan(m, weights, hw, ctx(4096), {}, &args, catalog);
  std::vector<double> bytes(2, 0.0);
  for (const auto& t : chosen.plan.tensors) {
    if (t.device.kind == DeviceKind::kGpu && t.tensor.cls != TensorClass::kEmbedding)
      bytes[static_cast<size_t>(t.device.gpu)] += t.tensor.bytes;
  }
  for (const auto& kv : chosen.plan.kv) bytes[static_cast<size_t>(kv.device.gpu)] += kv.bytes;
  ASSERT_GT(bytes[0], 2.5 * bytes[1]);  // -ts 3,1: about three quarters on the fast GPU
  const auto p = predict_chosen(m, chosen, {}, bandwidth_only(0.5));
  ASSERT_EQ(p.decode.terms.front().placement, "GPU memory");
  EXPECT_NEAR(p.decode.terms.front().seconds, bytes[0] / 1e12 + bytes[1] / 0.5e12, 1e-12);

  PredictOptions tensor;
  tensor.split = SplitMode::kTensor;
  const auto parallel = predict(m, weights, hw, ctx(4096), tensor, bandwidth_only(0.5));
  const double total = parallel.decode_cost.gpu_bytes;
  EXPECT_NEAR(parallel.decode.terms.front().seconds, total / (2 * 0.5e12), 1e-12);
  // Two such machines as a cluster: each node brings both GPUs.
  PredictOptions nodes;
  nodes.nodes = 2;
  const auto cluster = machine_for(hw, nodes);
  ASSERT_EQ(cluster.gpus.size(), 4u);
  EXPECT_EQ(gpu_spec(cluster, 3).name, "slow");
  EXPECT_TRUE(std::isfinite(
      predict(m, weights, hw, ctx(4096), nodes, bandwidth_only(0.5)).decode.tok_per_s));
}

// Quantized weights cost prefill an extra term: their GEMMs' FLOPs at peak / prefill_quant_factor.
// F16 weights have none; Q8_0 puts every matrix in it (norms stay F32, attention has no weights).
TEST(Predict, PrefillOfQuantizedWeightsAddsTheDequantizationTerm) {
  const auto& m = model("llama-3.1-8b");
  auto table = bandwidth_only(0.5);
  table.groups[0].prefill_quant_factor = 1.0;
  const auto f16 = predict(m, build_inventory(m, quant("f16")), card(40), ctx(4096), {}, table);
  EXPECT_EQ(f16.prefill_cost.quantized_flop, 0.0);
  const auto q8 = predict(m, build_inventory(m, quant("q8_0")), card(40), ctx(4096), {}, table);
  double norm_flop = 0;
  for (const auto& t : q8.plan.tensors) {
    if (t.tensor.cls == TensorClass::kNorm) norm_flop += 512 * 2.0 * t.tensor.n_params;
  }
  const auto& c = q8.prefill_cost;
  EXPECT_NEAR(c.quantized_flop, c.flop - c.attention_flop - norm_flop, 1.0);
  const auto term = std::find_if(q8.prefill.terms.begin(), q8.prefill.terms.end(),
                                 [](const Term& t) { return t.placement.find("dequant") == 0; });
  ASSERT_NE(term, q8.prefill.terms.end());
  EXPECT_NEAR(term->seconds, c.quantized_flop / 1e14, 1e-12);
  // The layer split's pipeline reaches the table's share of its ideal speed-up.
  table.pipeline_overlap = 0.5;
  EXPECT_DOUBLE_EQ(achieved_pipeline_speedup(table, 3.0), 2.0);
}

// Offload by streaming: what does not fit crosses the bus every token at 0.8 x 32 GB/s, and the
// GPU then reads it like the rest.
TEST(Predict, StreamingIsOffloadedBytesOverBusThroughput) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  PredictOptions stream;
  stream.offload = OffloadMode::kStream;
  const auto p = predict(m, weights, card(24), ctx(8192), stream, bandwidth_only(0.5));
  ASSERT_EQ(p.fit.kind, FitKind::kPartialOffload);
  const double streamed = p.decode_cost.streamed_bytes;
  EXPECT_GT(streamed, 15e9);
  EXPECT_EQ(p.decode_cost.host_bytes, 0.0);
  EXPECT_NEAR(p.decode.seconds, p.decode_cost.gpu_bytes / 0.5e12 + streamed / (0.8 * 32e9), 1e-12);
  EXPECT_EQ(p.decode.bound, Bound::kBus);
  // Computing the same bytes on the CPU instead: host bytes at 0.5 x 100 GB/s.
  const auto cpu = predict(m, weights, card(24), ctx(8192), {}, bandwidth_only(0.5));
  EXPECT_DOUBLE_EQ(cpu.decode_cost.host_bytes, streamed);
  EXPECT_NEAR(cpu.decode.seconds, cpu.decode_cost.gpu_bytes / 0.5e12 + streamed / 0.5e11, 1e-12);
}

// Two 40 GiB cards joined by PCIe at 25 GB/s (10 us a message).
HardwareSpec two_cards_on_pcie() {
  auto hw = card(40, 2);
  hw.interconnect = "pcie";
  hw.interconnect_bytes_per_s = 25e9;
  return hw;
}

// Tensor parallel over 2 GPUs halves each GPU's bytes and adds two all-reduces per layer of the
// F16 hidden state (8192 x 2 B): ring all-reduce on PCIe (25 GB/s, 10 us) = 2 steps x 10 us +
// (2 x 1 / 2) x 16384 B / 25e9 = 20.65536 us; x 2 x 80 layers = 3.3048576 ms.
TEST(Predict, TensorParallelHalvesBytesAndAddsAllReduce) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto hw = two_cards_on_pcie();
  PredictOptions tensor;
  tensor.split = SplitMode::kTensor;
  const auto tp = predict(m, weights, hw, ctx(1), tensor, bandwidth_only(0.5));
  EXPECT_NEAR(tp.decode_cost.comm_seconds, 2 * 80 * (2 * 10e-6 + 16384.0 / 25e9), 1e-15);
  EXPECT_NEAR(tp.decode.seconds,
              tp.decode_cost.gpu_bytes / (2 * 0.5e12) + tp.decode_cost.comm_seconds, 1e-12);
  // Layer split: all bytes at one GPU's speed, plus one hop of the F32 hidden state.
  const auto pp = predict(m, weights, hw, ctx(1), {}, bandwidth_only(0.5));
  EXPECT_NEAR(pp.decode_cost.comm_seconds, 10e-6 + 8192 * 4.0 / 25e9, 1e-15);
  EXPECT_GT(pp.decode.seconds, tp.decode.seconds);
}

// llama.cpp's row split exchanges the activations at each of the 7 matrix products it splits per
// layer (7 x 80 = 560 per token; each as many ring steps as an all-reduce: 2 x 10 us + 16384 B /
// 25e9) and stops both GPUs for a host synchronization at each, costed as one layer's fixed
// overhead (here 50 us): 560 x 50 us = 28 ms. Tensor split has only its 160 all-reduces and no
// host synchronizations, nor has vLLM's tensor parallelism.
TEST(Predict, RowSplitSynchronizesAfterEverySplitProduct) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto hw = two_cards_on_pcie();
  auto table = bandwidth_only(0.5);
  table.groups[0].layer_overhead_seconds = 50e-6;
  PredictOptions row;
  row.split = SplitMode::kRow;
  const auto rp = predict(m, weights, hw, ctx(1), row, table);
  EXPECT_EQ(rp.decode_cost.host_syncs, 560);
  EXPECT_NEAR(rp.decode_cost.comm_seconds, 560 * (2 * 10e-6 + 16384.0 / 25e9), 1e-15);
  EXPECT_NEAR(rp.decode.communication_seconds, rp.decode_cost.comm_seconds + 560 * 50e-6, 1e-12);
  EXPECT_NE(rp.reason.find("row split stops every GPU 560 times per token"), std::string::npos)
      << rp.reason;
  PredictOptions tensor;
  tensor.split = SplitMode::kTensor;
  const auto tp = predict(m, weights, hw, ctx(1), tensor, table);
  EXPECT_EQ(tp.decode_cost.host_syncs, 0);
  EXPECT_NEAR(tp.decode.communication_seconds, 160 * (2 * 10e-6 + 16384.0 / 25e9), 1e-15);
  EXPECT_GT(tp.decode.tok_per_s, rp.decode.tok_per_s);
  EXPECT_EQ(host_syncs_per_step(m, SplitMode::kRow, 2, "ik_llama.cpp"), 560);
  EXPECT_EQ(host_syncs_per_step(m, SplitMode::kRow, 2, "vllm"), 0);
  EXPECT_EQ(host_syncs_per_step(m, SplitMode::kRow, 1, "llama.cpp"), 0);
  EXPECT_EQ(host_syncs_per_step(m, SplitMode::kLayer, 4, "llama.cpp"), 0);
  // Prefill of a 2048-token prompt in 512-token ubatches synchronizes 4 x 560 times.
  PredictOptions long_prompt = row;
  long_prompt.prompt_tokens = 2048;
  EXPECT_EQ(predict(m, weights, hw, ctx(4096), long_prompt, table).prefill_cost.host_syncs,
            4 * 560);
  // No calibration run splits by row or tensor: the band is borrowed from the pooled runs, not
  // the layer-split multi-GPU runs', and says so.
  const auto& fitted = testing::db().efficiency;
  const auto layer = predict(m, weights, hw, ctx(1), {}, fitted);
  EXPECT_GT(layer.band.decode_rows, 0);
  EXPECT_TRUE(layer.band.note.empty()) << layer.band.note;
  const auto split = predict(m, weights, hw, ctx(1), tensor, fitted);
  EXPECT_EQ(split.band.decode_rows, 0);
  EXPECT_NE(split.band.note.find("0 measured tensor-split cuda gddr runs"), std::string::npos)
      << split.band.note;
  EXPECT_GT(split.band.decode, layer.band.decode);
}

TEST(Predict, MoreBandwidthNeverSlowerLongerContextNeverFaster) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto& table = testing::db().efficiency;
  double previous = 0;
  for (double gbs : {100.0, 250.0, 500.0, 1000.0, 2000.0}) {
    auto hw = card(24);
    hw.bandwidth_bytes_per_s = gbs * 1e9;
    const double tps = predict(m, weights, hw, ctx(4096), {}, table).decode.tok_per_s;
    EXPECT_GE(tps, previous) << gbs;
    previous = tps;
  }
  previous = std::numeric_limits<double>::infinity();
  for (int64_t context : {1, 1024, 8192, 32768}) {
    const auto p = predict(m, weights, card(24), ctx(context), {}, table);
    EXPECT_LE(p.decode.tok_per_s, previous) << context;
    previous = p.decode.tok_per_s;
  }
  // A longer prompt never reaches the first token sooner.
  double previous_ttft = 0;
  for (int64_t prompt : {128, 512, 2048, 8192}) {
    PredictOptions options;
    options.prompt_tokens = prompt;
    const double ttft = predict(m, weights, card(24), ctx(4096), options, table).ttft_seconds;
    EXPECT_GT(ttft, previous_ttft) << prompt;
    previous_ttft = ttft;
  }
}

// A batch of B sequences touches E (1 - (1 - k/E)^B) of E experts: Qwen3 30B-A3B (8 of 128) reads
// 8/128 of its expert bytes at B = 1 and 1 - (120/128)^4 = 22.75% at B = 4.
TEST(Predict, MoeBatchTouchesMoreExperts) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q8_0"));
  double experts = 0;
  for (const auto& g : weights.groups) experts += g.cls == TensorClass::kExperts ? g.bytes : 0;
  const auto one = predict(m, weights, card(40), ctx(1, 1), {}, bandwidth_only(0.5));
  const auto four = predict(m, weights, card(40), ctx(1, 4), {}, bandwidth_only(0.5));
  const double kv_one = kv_cache_bytes(m, ctx(1, 1));
  EXPECT_NEAR(four.decode_cost.gpu_bytes - one.decode_cost.gpu_bytes,
              experts * (1 - std::pow(120.0 / 128.0, 4) - 8.0 / 128.0) + 3 * kv_one, 1.0);
  EXPECT_GT(four.decode.tok_per_s, one.decode.tok_per_s);  // 4 tokens per step for < 4x the bytes
}

// Four users at once: decode.tok_per_s is their sum and each sees a quarter; the last of four
// 512-token prompts arriving together waits for one prefill of 2048 tokens, which is what one
// user's 2048-token prompt costs on the same machine (dense model: nothing depends on the batch).
TEST(Predict, ConcurrencyPerUserAndTimeToFirstTokenForAll) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("f16"));
  PredictOptions options;
  options.prompt_tokens = 512;
  const auto four = predict(m, weights, card(40), ctx(4096, 4), options, bandwidth_only(0.5));
  EXPECT_DOUBLE_EQ(per_sequence_tok_per_s(four), four.decode.tok_per_s / 4);
  options.prompt_tokens = 2048;
  const auto long_prompt = predict(m, weights, card(40), ctx(4096), options, bandwidth_only(0.5));
  EXPECT_NEAR(four.ttft_all_seconds, long_prompt.ttft_seconds, 1e-9 * long_prompt.ttft_seconds);
  EXPECT_GT(four.ttft_all_seconds, four.ttft_seconds);
  // One user: both are the same prefill.
  EXPECT_DOUBLE_EQ(long_prompt.ttft_all_seconds, long_prompt.ttft_seconds);
  EXPECT_DOUBLE_EQ(per_sequence_tok_per_s(long_prompt), long_prompt.decode.tok_per_s);
}

TEST(Predict, NoFitAndRefusedOffload) {
  const auto& m = model("llama-3.1-405b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto p = predict(m, weights, card(24), ctx(4096), {}, bandwidth_only(0.5));
  EXPECT_EQ(p.fit.kind, FitKind::kNoFit);
  EXPECT_TRUE(std::isnan(p.decode.tok_per_s));
  PredictOptions none;
  none.offload = OffloadMode::kNone;
  const auto& m70 = model("llama-3.1-70b");
  EXPECT_NE(error_of([&] {
              predict(m70, build_inventory(m70, quant("q4_k_m")), card(24), ctx(4096), none,
                      bandwidth_only(0.5));
            }).find("--offload none: llama-3.1-70b does not fit card without offloading"),
            std::string::npos);
  EXPECT_EQ(error_of([] { find_link("usb2"); }).rfind("unknown link 'usb2'", 0), 0u);
}

TEST(Predict, NodesPipelineOverTheLink) {
  const auto& m = model("deepseek-v3");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto& mac = find_hardware(testing::db(), "m3-ultra-256");
  PredictOptions two;
  two.nodes = 2;
  const auto p = predict(m, weights, mac, ctx(4096), two, testing::db().efficiency);
  EXPECT_EQ(p.fit.kind, FitKind::kMultiGpu);  // 403 GB does not fit one 256 GB Mac, fits two
  // One hop of the F32 hidden state (7168 x 4 B) over Thunderbolt 5 (10 GB/s, 10 us).
  EXPECT_NEAR(p.decode_cost.comm_seconds, 10e-6 + 7168 * 4.0 / 10e9, 1e-15);
  EXPECT_GT(p.decode.tok_per_s, 0);
}

// Experts on the CPU (-ot exps=CPU), the rest on the GPU: the step is the host's expert bytes
// (8 of 128 experts per layer) at 0.5 x 100 GB/s plus the GPU's bytes at 0.5 x 1 TB/s, and the
// experts' products are not charged to the GPU.
TEST(Predict, ExpertsOnTheCpuAreHostBytesOverHostBandwidthPlusGpuBytes) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q8_0"));
  double experts = 0;
  for (const auto& g : weights.groups) experts += g.cls == TensorClass::kExperts ? g.bytes : 0;
  const auto args = parse_llama_args("-ngl 99 -ot exps=CPU");
  const auto chosen = choose_plan(m, weights, card(24), ctx(1), {}, &args, testing::db().quants);
  const auto p = predict_chosen(m, chosen, {}, bandwidth_only(0.5));
  EXPECT_NEAR(p.decode_cost.host_bytes, experts * 8.0 / 128.0, 1.0);
  EXPECT_NEAR(p.decode.seconds,
              p.decode_cost.gpu_bytes / 0.5e12 + p.decode_cost.host_bytes / 0.5e11, 1e-12);
  EXPECT_EQ(p.placement, "partial_offload");
  const auto resident = predict(m, weights, card(40), ctx(1), {}, bandwidth_only(0.5));
  EXPECT_LT(p.decode_cost.gpu_flop, resident.decode_cost.gpu_flop);
}

// With a CPU rate per core, the CPU's products add host_flop / (cores x rate) to its reads.
TEST(Predict, CpuComputeAddsItsFlopsAtTheRatePerCore) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q8_0"));
  const auto args = parse_llama_args("-ngl 99 -ot exps=CPU");
  auto hw = card(24);
  hw.host_cores = 8;
  const auto chosen = choose_plan(m, weights, hw, ctx(1), {}, &args, testing::db().quants);
  auto table = bandwidth_only(0.5);
  const auto without = predict_chosen(m, chosen, {}, table);
  // 48 layers x 8 of 128 experts x 3 x 2048 x 768 parameters x 2 FLOPs = 1.208e9 FLOPs.
  EXPECT_NEAR(without.decode_cost.host_flop, 48 * 8 * 3 * 2048.0 * 768 * 2, 1e3);
  table.cpu_core_flop_per_s = 10e9;
  const auto with = predict_chosen(m, chosen, {}, table);
  EXPECT_NEAR(with.decode.seconds - without.decode.seconds,
              without.decode_cost.host_flop / (8 * 10e9), 1e-12);
  hw.host_cores = 0;  // unknown cores: no CPU compute term
  const auto unknown = choose_plan(m, weights, hw, ctx(1), {}, &args, testing::db().quants);
  EXPECT_DOUBLE_EQ(predict_chosen(m, unknown, {}, table).decode.seconds, without.decode.seconds);
}

// A machine without a GPU prefills on its CPU: every FLOP of the prompt (matrices and attention)
// at the fitted share of the CPU's FP32 FMA peak, and nothing else.
TEST(Predict, CpuOnlyPrefillIsItsFlopsAtTheCpuShareOfItsPeak) {
  HardwareSpec hw;
  hw.id = "cpu-box";
  hw.kind = MemoryKind::kUnified;
  hw.backend = Backend::kCpu;
  hw.memory_bytes = gib_to_bytes(64);
  hw.bandwidth_bytes_per_s = 1e11;
  hw.fp16_flop_per_s = 1e12;  // what hwplan probe writes: the CPU's FP32 FMA peak
  hw.host_memory_bytes = hw.memory_bytes;
  hw.host_bandwidth_bytes_per_s = 1e11;
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("q8_0"));
  PredictOptions options;
  options.prompt_tokens = 512;
  auto table = bandwidth_only(0.5);
  table.cpu_prefill_fraction = 0.25;
  const auto p = predict(m, weights, hw, ctx(4096), options, table);
  ASSERT_EQ(p.prefill.terms.size(), 1u);
  EXPECT_EQ(p.prefill.terms[0].placement, "CPU compute");
  EXPECT_GT(p.prefill_cost.flop, 2.0 * 7e9 * 512);  // 2 x parameters x tokens and more
  EXPECT_DOUBLE_EQ(p.prefill.seconds, p.prefill_cost.flop / (0.25 * 1e12));
  EXPECT_DOUBLE_EQ(p.prefill.tok_per_s, 512 / p.prefill.seconds);
  // Twice the peak, half the time.
  hw.fp16_flop_per_s = 2e12;
  EXPECT_DOUBLE_EQ(predict(m, weights, hw, ctx(4096), options, table).prefill.seconds,
                   p.prefill.seconds / 2);
}

// Prefill of P tokens on top of d cached ones: each of Llama 3.1 8B's 32 layers adds 4 x 32 heads
// x 128 x d FLOPs per prompt token, so d = 8192 adds 512 x 32 x 4 x 4096 x 8192 FLOPs.
TEST(Predict, PrefillAtDepthAddsTheAttentionOfTheCachedTokens) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto& table = testing::db().efficiency;
  PredictOptions fresh;
  PredictOptions deep;
  deep.depth_tokens = 8192;
  const auto a = predict(m, weights, card(24), ctx(16384), fresh, table);
  const auto b = predict(m, weights, card(24), ctx(16384), deep, table);
  EXPECT_NEAR(b.prefill_cost.flop - a.prefill_cost.flop, 512.0 * 32 * 4 * 4096 * 8192, 1e3);
  EXPECT_GT(b.ttft_seconds, a.ttft_seconds);
  double previous = std::numeric_limits<double>::infinity();
  for (int64_t depth : {0, 2048, 8192, 32768, 100000}) {
    PredictOptions o;
    o.depth_tokens = depth;
    const double tps =
        predict(m, weights, card(24), ctx(std::max<int64_t>(16384, depth + 512)), o, table)
            .prefill.tok_per_s;
    EXPECT_LE(tps, previous) << depth;  // deeper context is never faster
    previous = tps;
  }
  PredictOptions beyond;
  beyond.depth_tokens = 131072;
  EXPECT_NE(error_of([&] {
              predict(m, weights, card(24), ctx(4096), beyond, table);
            }).find("beyond llama-3.1-8b's context of 131072 tokens"),
            std::string::npos);
  // The cache must hold the history and the prompt: 8192 + 512 tokens do not fit in 4096.
  EXPECT_NE(error_of([&] {
              predict(m, weights, card(24), ctx(4096), deep, table);
            }).find("--ctx 4096 cannot hold --depth 8192 + --prompt 512 = 8704 tokens"),
            std::string::npos);
}

// Host-held weights cross the bus once per ubatch during prefill: a larger -ub never makes an
// offloaded prefill slower.
TEST(Predict, LargerUbatchNeverSlowsOffloadedPrefill) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  double previous = 0;
  double previous_bus = std::numeric_limits<double>::infinity();
  for (const char* ub : {"128", "512", "2048", "4096"}) {
    const auto args = parse_llama_args(std::string("-ngl 99 -ot exps=CPU -b 4096 -ub ") + ub);
    PredictOptions o;
    o.prompt_tokens = 4096;
    const auto chosen =
        choose_plan(m, weights, card(24), ctx(8192), o, &args, testing::db().quants);
    const auto p = predict_chosen(m, chosen, o, testing::db().efficiency);
    EXPECT_LE(p.prefill_cost.bus_bytes, previous_bus) << ub;
    EXPECT_GE(p.prefill.tok_per_s, previous) << ub;
    previous = p.prefill.tok_per_s;
    previous_bus = p.prefill_cost.bus_bytes;
  }
}

// DeepSeek V3 over 4 Mac Studios in tensor parallel: each node reads a quarter of the bytes, and
// every one of 61 layers adds two ring all-reduces of the F16 hidden state (7168 x 2 B) over
// Thunderbolt 5 (10 GB/s, 10 us): 2 x 61 x (6 x 10 us + 6/4 x 14336 B / 10 GB/s) = 7.58 ms.
// In a pipeline the same cluster is never faster than one node for one sequence.
TEST(Predict, ClusterInTensorParallelAndInAPipeline) {
  const auto& m = model("deepseek-v3");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto& mac = find_hardware(testing::db(), "m3-ultra-512");
  const auto& table = testing::db().efficiency;
  const auto one = predict(m, weights, mac, ctx(4096), {}, table);
  PredictOptions tensor;
  tensor.nodes = 4;
  tensor.split = SplitMode::kTensor;
  const auto tp = predict(m, weights, mac, ctx(4096), tensor, table);
  EXPECT_EQ(tp.decode_cost.parallel_gpus, 4);
  EXPECT_NEAR(tp.decode_cost.comm_seconds, 2 * 61 * (6 * 10e-6 + 1.5 * 14336 / 10e9), 1e-12);
  EXPECT_GT(tp.decode.tok_per_s, one.decode.tok_per_s);
  EXPECT_EQ(tp.placement, "cluster");
  EXPECT_NE(tp.reason.find("4 nodes over thunderbolt5 in tensor parallel"), std::string::npos)
      << tp.reason;
  for (int64_t nodes : {2, 4, 8}) {
    PredictOptions pipeline;
    pipeline.nodes = nodes;
    const auto pp = predict(m, weights, mac, ctx(4096), pipeline, table);
    EXPECT_LE(pp.decode.tok_per_s, one.decode.tok_per_s) << nodes;
    EXPECT_NE(pp.reason.find("no faster than on one node"), std::string::npos) << pp.reason;
  }
}

// Prefill of a MoE: the routed experts' FLOPs (Qwen3-30B-A3B: 8 of 128 experts per token) are
// in flop and, separately, in expert_flop; with an expert factor of 2 they add 2 x expert_flop /
// peak to the dense compute time.
TEST(Predict, ExpertGemmsAddTheirFittedFactorToPrefill) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  double expert_params = 0;
  for (const auto& g : weights.groups)
    expert_params += g.cls == TensorClass::kExperts ? g.n_params : 0;
  auto table = bandwidth_only(0.5);
  const auto plain = predict(m, weights, card(40), ctx(1), {}, table);
  EXPECT_NEAR(plain.prefill_cost.expert_flop, 512 * 2.0 * expert_params * 8.0 / 128.0, 1e3);
  table.groups[0].prefill_expert_factor = 2.0;
  const auto slowed = predict(m, weights, card(40), ctx(1), {}, table);
  EXPECT_NEAR(slowed.prefill.seconds - plain.prefill.seconds,
              2.0 * plain.prefill_cost.expert_flop / 1e14, 1e-9);
  // A dense model has no expert term.
  const auto& dense = model("llama-3.1-8b");
  EXPECT_EQ(predict(dense, build_inventory(dense, quant("q4_k_m")), card(40), ctx(1), {}, table)
                .prefill_cost.expert_flop,
            0.0);
}

// Attention FLOPs at their own fitted rate: (flop - attention) / (0.5 peak) + attention / (0.25
// peak) for the compute term of a prefill at depth.
TEST(Predict, PrefillAttentionAtItsOwnRate) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  auto table = bandwidth_only(0.5);
  PredictOptions deep;
  deep.depth_tokens = 16384;
  const auto same = predict(m, weights, card(24), ctx(32768), deep, table);
  const auto& c = same.prefill_cost;
  EXPECT_NEAR(same.prefill.terms.front().seconds, c.flop / (0.5 * 1e14), 1e-9);
  table.groups[0].prefill_attention_fraction = 0.25;
  const auto slower = predict(m, weights, card(24), ctx(32768), deep, table);
  EXPECT_NEAR(slower.prefill.terms.front().seconds,
              (c.flop - c.attention_flop) / (0.5 * 1e14) + c.attention_flop / (0.25 * 1e14), 1e-9);
}

// The host's share of its peak bandwidth comes from its class (desktop, workstation, server) where
// the calibration has rows of that class, else the pooled fraction.
TEST(Efficiency, CpuFractionByHostClass) {
  EfficiencyTable table;
  table.cpu_bandwidth_fraction = 0.6;
  table.hosts = {{"desktop", 0.8, 3}, {"server", 0.45, 4}};
  EXPECT_DOUBLE_EQ(cpu_fraction_for(table, 89.6e9), 0.8);    // 2 x DDR5-5600
  EXPECT_DOUBLE_EQ(cpu_fraction_for(table, 460.8e9), 0.45);  // 12 x DDR5-4800
  EXPECT_DOUBLE_EQ(cpu_fraction_for(table, 204.8e9), 0.6);   // 8 x DDR4-3200: no rows, pooled
  EXPECT_EQ(host_class(110e9), HostClass::kDesktop);
  EXPECT_EQ(host_class(110.1e9), HostClass::kWorkstation);
  EXPECT_EQ(host_class(320.1e9), HostClass::kServer);
}

TEST(Efficiency, FallsBackToThePooledGroupAndSaysSo) {
  const auto& table = testing::db().efficiency;
  std::string note;
  const auto e = efficiency_for(table, "cuda", "unified", &note);
  EXPECT_EQ(e.backend, "cuda");
  EXPECT_EQ(note, "no measurements for cuda on unified memory; using the pooled unified factors");
  efficiency_for(table, "cuda", "gddr", &note);
  EXPECT_EQ(note, "");
}

}  // namespace
}  // namespace hwplan::planner
