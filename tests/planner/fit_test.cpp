#include "planner/fit.h"

#include <gtest/gtest.h>

#include "common/units.h"
#include "planner/execution_plan.h"
#include "planner/llama_args.h"
#include "planner/memory.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

using testing::db;
using testing::model;
using testing::quant;

// A 24 GiB card (0.5 GiB kept by the driver, 0.6 GiB CUDA context) in a 64 GiB host, written
// out here so the expected numbers below do not move when a bundled profile is corrected.
HardwareSpec card_24gib(int64_t gpus = 1) {
  HardwareSpec hw;
  hw.id = "card";
  hw.kind = MemoryKind::kDiscrete;
  hw.backend = Backend::kCuda;
  hw.gpu_count = gpus;
  hw.memory_bytes = gib_to_bytes(24);
  hw.bandwidth_bytes_per_s = 1e12;
  hw.fp16_flop_per_s = 1e14;
  hw.gpu_memory_reserved_bytes = gib_to_bytes(0.5);
  hw.runtime_overhead_bytes = gib_to_bytes(0.6);
  hw.host_memory_bytes = gib_to_bytes(64);
  hw.host_reserved_bytes = gib_to_bytes(6);
  hw.bus_bytes_per_s = 31.5e9;
  return hw;
}

HardwareSpec mac(double memory_gib) {
  HardwareSpec hw;
  hw.id = "mac";
  hw.kind = MemoryKind::kUnified;
  hw.backend = Backend::kMetal;
  hw.memory_bytes = gib_to_bytes(memory_gib);
  hw.gpu_memory_limit_bytes = gib_to_bytes(memory_gib * 0.75);
  hw.gpu_memory_limit_raised_bytes = gib_to_bytes(memory_gib - 8);
  hw.host_memory_bytes = hw.memory_bytes;
  hw.host_reserved_bytes = gib_to_bytes(8);
  hw.runtime_overhead_bytes = gib_to_bytes(0.25);
  return hw;
}

Workload ctx(int64_t tokens) {
  Workload w;
  w.context_tokens = tokens;
  return w;
}

// Llama 3.1 70B at Q4_K_M (llama-quantize's rules: Q4_K, with attn_v and ffn_down in Q6_K in
// the use_more_bits layers: i < 10, i >= 70, or (i - 10) % 3 == 2 -> 40 of 80; in the other
// layers attn_v gets Q5_K, llama.cpp's bump for a 70B Llama), 8192 tokens:
//   a layer in Q4_K: 855,638,016 params x 4.5 / 8 + 2 x 8192 F32 norm = 481,361,920 B
//   a more-bits layer adds (8,388,608 + 234,881,024) x (6.5625 - 4.5) / 8 = 62,717,952 B
//   a plain layer adds 8,388,608 x (5.5 - 4.5) / 8 = 1,048,576 B (attn_v in Q5_K)
//   layer KV: 8192 x 2 x 8 x 128 x 2 = 33,554,432 B
//   -> 515,964,928 B per plain layer, 577,634,304 B per more-bits layer
//   output: 128256 x 8192 x 6.5625 / 8 + 8192 x 4 = 861,913,088 B
//   compute buffer (the logits phase, memory.h): 4 x 512 x (128256 + 2 x 8192 + 1) = 296,224,768 B
//   GPU room: (24 - 0.5 - 0.6) GiB - 296,224,768 = 24,292,514,611.2 B
//   after the output: 23,430,601,523.2 B. From the last layer down: 79..70 (10 more-bits)
//   5,776,343,040; 69..40 (ten of more, plain, plain) 16,095,641,600; 39 (more) and 38 (plain)
//   1,093,599,232; total 22,965,583,872; layer 37 (515,964,928) no longer fits -> 42 layers.
TEST(Fit, Llama70bQ4KmOn24GibCardOffloads42Layers) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto fit = fit_model(m, weights, card_24gib(), ctx(8192));
  EXPECT_EQ(fit.kind, FitKind::kPartialOffload);
  EXPECT_EQ(fit.n_gpu_layers, 43);
  EXPECT_EQ(fit.n_cpu_moe, 0);
  EXPECT_EQ(llama_cpp_args(fit, ctx(8192)), "-ngl 43 -c 8192");
  // Host: embedding (Q4_K) + layers 0..37 (19 more-bits: 0..9 and 12, 15, ..., 36; 19 plain)
  // + a host compute buffer.
  const double embedding = 128256.0 * 8192 * 4.5 / 8;
  EXPECT_NEAR(fit.host_bytes, embedding + 19 * 577634304.0 + 19 * 515964928.0 + 296224768.0, 1.0);
  EXPECT_NE(fit.summary.find("42 of 80 layers (+output) on the GPU"), std::string::npos)
      << fit.summary;
}

TEST(Fit, Llama70bQ4KmFitsTwo24GibCardsWithLlamaCppsEvenSplit) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto fit = fit_model(m, weights, card_24gib(2), ctx(8192));
  EXPECT_EQ(fit.kind, FitKind::kMultiGpu);
  ASSERT_EQ(fit.bytes_per_gpu.size(), 2u);
  // llama.cpp splits the 81 slots (80 layers + output) at 0.5: slot i goes to GPU 0 while
  // i / 81 < 0.5, i.e. layers 0..40 (41 layers); GPU 1 holds layers 41..79 (39) and the output.
  // Each has its own buffers.
  // More-bits layers (see above): 20 of 0..40 and 20 of 41..79.
  const double buffers = 296224768.0 + gib_to_bytes(0.6);
  EXPECT_NEAR(fit.bytes_per_gpu[0], 20 * 577634304.0 + 21 * 515964928.0 + buffers, 1.0);
  EXPECT_NEAR(fit.bytes_per_gpu[1], 20 * 577634304.0 + 19 * 515964928.0 + 861913088.0 + buffers,
              1.0);
  EXPECT_TRUE(fit.layers_per_gpu.empty());  // the default split works: no --tensor-split
}

// A 32 GiB card beside the 24 GiB one (GPU 0 the larger, as `--hw rtx-5090+rtx-4090` lists).
HardwareSpec mixed_32_24() {
  HardwareSpec hw = card_24gib(2);
  GpuSpec big{"big", gib_to_bytes(32), 1.8e12, 2e14, 0, gib_to_bytes(0.5), gib_to_bytes(0.6),
              31.5e9};
  GpuSpec small{"small",           gib_to_bytes(24),  1e12,  1e14, 0,
                gib_to_bytes(0.5), gib_to_bytes(0.6), 31.5e9};
  hw.gpus = {big, small};
  hw.memory_bytes = big.memory_bytes;
  return hw;
}

// llama.cpp splits by free memory: 31.5 / (31.5 + 23.5) = 0.5727 of the 81 slots go to GPU 0,
// slot i while i / 81 < 0.5727, i.e. layers 0..46 (22 more-bits: 0..9 and 12, 15, ..., 45; 25
// plain); GPU 1 holds 47..79 (18 more-bits: 48, 51, ..., 69 and 70..79; 15 plain) and the
// output. -ts gives llama.cpp the same 47 and 34 slots.
TEST(Fit, MixedGpusSplitLayersByEachGpusMemory) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto hw = mixed_32_24();
  const auto fit = fit_model(m, weights, hw, ctx(8192));
  EXPECT_EQ(fit.kind, FitKind::kMultiGpu);
  ASSERT_EQ(fit.bytes_per_gpu.size(), 2u);
  const double buffers = 296224768.0 + gib_to_bytes(0.6);
  EXPECT_NEAR(fit.bytes_per_gpu[0], 22 * 577634304.0 + 25 * 515964928.0 + buffers, 1.0);
  EXPECT_NEAR(fit.bytes_per_gpu[1], 18 * 577634304.0 + 15 * 515964928.0 + 861913088.0 + buffers,
              1.0);
  EXPECT_EQ(fit.layers_per_gpu, (std::vector<int64_t>{47, 34}));
  EXPECT_EQ(llama_cpp_args(fit, ctx(8192)), "-ngl 81 -c 8192 --tensor-split 47,34");
  EXPECT_NE(fit.summary.find("fits across big + small: 24.7 + 18.6 GiB of 31.5 + 23.5 GiB usable"),
            std::string::npos)
      << fit.summary;
  // The plan built from the fit puts the same bytes on each GPU.
  const auto plan = plan_from_fit(m, weights, hw, ctx(8192), fit, OffloadMode::kAuto);
  const auto again = fit_of_plan(plan, m, hw);
  EXPECT_NEAR(again.bytes_per_gpu[0], fit.bytes_per_gpu[0], 1.0);
  EXPECT_NEAR(again.bytes_per_gpu[1], fit.bytes_per_gpu[1], 1.0);
  EXPECT_EQ(again.kind, FitKind::kMultiGpu);
}

// The smaller GPU is the one that overflows: a plan that puts 47 layers on the 24 GiB card does
// not fit although the 32 GiB card could hold them; swapped it fits.
TEST(Fit, MixedGpusCheckEachGpuAgainstItsOwnMemory) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  const auto hw = mixed_32_24();
  std::vector<std::string> notes;
  auto plan_of = [&](const std::string& args) {
    return plan_from_llama_args(m, weights, hw, parse_llama_args(args), ctx(8192), db().quants,
                                notes);
  };
  const auto bad = fit_of_plan(plan_of("-ngl 99 -ts 34,47"), m, hw);
  EXPECT_EQ(bad.kind, FitKind::kNoFit) << bad.summary;
  EXPECT_NE(bad.summary.find("of 23.5 GiB usable"), std::string::npos) << bad.summary;
  EXPECT_EQ(fit_of_plan(plan_of("-ngl 99 -ts 47,34"), m, hw).kind, FitKind::kMultiGpu);
  // Without -ts, llama.cpp splits by free memory: the same 47 and 34 slots as fit's plan.
  const auto by_memory = fit_of_plan(plan_of("-ngl 99"), m, hw);
  const auto proposed = fit_model(m, weights, hw, ctx(8192));
  ASSERT_EQ(by_memory.bytes_per_gpu.size(), 2u);
  EXPECT_NEAR(by_memory.bytes_per_gpu[0], proposed.bytes_per_gpu[0], 1.0);
  EXPECT_NEAR(by_memory.bytes_per_gpu[1], proposed.bytes_per_gpu[1], 1.0);
}

TEST(Fit, Llama8bFitsOneCardAndTheContextLimitIsExact) {
  const auto& m = model("llama-3.1-8b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  auto hw = card_24gib();
  hw.memory_bytes = gib_to_bytes(12);  // a 12 GiB card: the KV cache runs out before 128k tokens
  const auto fit = fit_model(m, weights, hw, ctx(8192));
  EXPECT_EQ(fit.kind, FitKind::kGpu);
  EXPECT_EQ(fit.n_gpu_layers, 33);
  const auto longest = max_context_tokens(m, weights, hw, ctx(8192), FitKind::kGpu);
  ASSERT_GT(longest, 8192);
  ASSERT_LT(longest, m.max_context);
  EXPECT_EQ(fit_model(m, weights, hw, ctx(longest)).kind, FitKind::kGpu);
  EXPECT_NE(fit_model(m, weights, hw, ctx(longest + 1)).kind, FitKind::kGpu);
}

// Llama 3.2 1B ties its output to the token embedding. On a CPU backend the embedding is the
// output (llama.cpp makes no copy: its model buffer is the file's tensor bytes, checked by
// scripts/llama_conformance.sh); offloaded, the output's GPU holds a copy as well.
TEST(Fit, TiedOutputIsCopiedOnlyToAGpu) {
  const auto& m = model("llama-3.2-1b");
  ASSERT_TRUE(m.tied_embeddings);
  const auto inv = build_inventory(m, quant("q8_0"));
  const double weights = total_weight_bytes(inv);
  double embedding = 0;
  for (const auto& g : inv.groups) embedding += g.cls == TensorClass::kEmbedding ? g.bytes : 0;
  HardwareSpec cpu = mac(64);
  cpu.backend = Backend::kCpu;
  const auto on_cpu = fit_model(m, inv, cpu, ctx(4096));
  const auto cpu_plan = plan_from_fit(m, inv, cpu, ctx(4096), on_cpu, OffloadMode::kCpu);
  const auto cpu_memory = plan_memory(cpu_plan, m, cpu);
  ASSERT_EQ(cpu_memory.size(), 1u);
  EXPECT_DOUBLE_EQ(cpu_memory.front().weights_bytes, weights);
  EXPECT_DOUBLE_EQ(plan_bytes_on(cpu_plan, DeviceKind::kHost), weights);

  const HardwareSpec gpu = card_24gib();
  const auto on_gpu = fit_model(m, inv, gpu, ctx(4096));
  const auto gpu_plan = plan_from_fit(m, inv, gpu, ctx(4096), on_gpu, OffloadMode::kCpu);
  const auto gpu_memory = plan_memory(gpu_plan, m, gpu);
  ASSERT_EQ(gpu_memory.size(), 2u);
  EXPECT_DOUBLE_EQ(gpu_memory[0].weights_bytes, embedding);  // the input stays on the CPU
  EXPECT_DOUBLE_EQ(gpu_memory[1].weights_bytes, weights);    // the rest and the output's copy
}

// A machine without a GPU backend (what `hwplan probe` writes where it finds no GPU): llama.cpp's
// CPU build holds weights, KV cache and compute buffer in host RAM; no -ngl, no offload, no GPU
// runtime. Llama 3.1 8B at 8192 tokens: KV = 8192 x 32 layers x 2 (K, V) x 8 heads x 128 x 2 B
// = 1,073,741,824 B.
TEST(Fit, CpuBackendPlacesEverythingInHostRamWithoutGpuFlags) {
  HardwareSpec hw = mac(64);
  hw.id = "cpu-box";
  hw.backend = Backend::kCpu;
  const auto& m = model("llama-3.1-8b");
  const auto inv = build_inventory(m, quant("q8_0"));
  double weights = 0;
  for (const auto& g : inv.groups) weights += g.bytes;
  const double need = weights + 1073741824.0 + compute_buffer_bytes(m, ctx(8192));
  const auto fit = fit_model(m, inv, hw, ctx(8192));
  EXPECT_EQ(fit.kind, FitKind::kHost);
  EXPECT_STREQ(fit_kind_name(fit.kind), "cpu");
  EXPECT_EQ(fit.n_gpu_layers, 0);
  EXPECT_NEAR(fit.host_bytes, need, 1.0);
  EXPECT_EQ(fit.need.runtime_overhead_bytes, 0.0);
  EXPECT_EQ(llama_cpp_args(fit, ctx(8192)), "-c 8192");
  EXPECT_NE(fit.summary.find("CPU backend"), std::string::npos) << fit.summary;

  // The plan: every tensor and every layer's KV in host memory; fit_of_plan agrees byte for byte.
  const auto plan = plan_from_fit(m, inv, hw, ctx(8192), fit, OffloadMode::kCpu);
  EXPECT_EQ(plan.n_gpus, 0);
  for (const auto& t : plan.tensors) EXPECT_EQ(t.device.kind, DeviceKind::kHost) << t.tensor.name;
  for (const auto& kv : plan.kv) EXPECT_EQ(kv.device.kind, DeviceKind::kHost);
  const auto again = fit_of_plan(plan, m, hw);
  EXPECT_EQ(again.kind, FitKind::kHost);
  EXPECT_NEAR(again.host_bytes, fit.host_bytes, 1.0);

  // The command has no placement flags, and reads back as the same plan.
  std::string why;
  const auto command = emit_llama_command(plan, m, hw, "", EmitMode::kPinned, &why);
  EXPECT_EQ(command, "llama-server -m MODEL.gguf -c 8192 -fa on");
  EXPECT_NE(why.find("CPU backend"), std::string::npos) << why;
  std::vector<std::string> notes;
  EXPECT_EQ(
      plan_from_llama_args(m, inv, hw, parse_llama_args(command), Workload{}, db().quants, notes),
      plan);

  // 16 GiB of RAM less the 8 GiB reserve: 8.5 GiB of Q8_0 weights and KV do not fit, in RAM terms.
  hw.host_memory_bytes = gib_to_bytes(16);
  const auto small = fit_model(m, inv, hw, ctx(8192));
  EXPECT_EQ(small.kind, FitKind::kNoFit);
  EXPECT_NE(small.summary.find("of RAM"), std::string::npos) << small.summary;
}

// macOS lets the GPU wire 3/4 of RAM by default: 96 GiB of a 128 GiB Mac; raised: 120 GiB.
// Llama 3.1 70B at Q8_0 (69.8 GiB of weights) with 8k context fits by default; with its full
// 131072-token context the KV cache adds 131072 x 320 KiB = 40 GiB: ~110 GiB, which needs the
// raised limit.
TEST(Fit, UnifiedMemoryDefaultAndRaisedWiredLimit) {
  const auto hw = mac(128);
  EXPECT_DOUBLE_EQ(usable_gpu_bytes(hw), gib_to_bytes(96));
  EXPECT_DOUBLE_EQ(usable_gpu_bytes(hw, LimitMode::kRaised), gib_to_bytes(120));
  const auto& m = model("llama-3.1-70b");
  EXPECT_EQ(fit_model(m, build_inventory(m, quant("q8_0")), hw, ctx(8192)).kind, FitKind::kGpu);
  const auto fit = fit_model(m, build_inventory(m, quant("q8_0")), hw, ctx(131072));
  EXPECT_EQ(fit.kind, FitKind::kGpuRaisedLimit);
  EXPECT_GT(fit.gpu_need_bytes, gib_to_bytes(96));
  EXPECT_LE(fit.gpu_need_bytes, gib_to_bytes(120));
  EXPECT_EQ(
      raise_limit_hint(hw, fit.gpu_need_bytes).rfind("sudo sysctl iogpu.wired_limit_mb=122880", 0),
      0u);
}

// A MoE that does not fit keeps experts of the first N layers on the CPU (--n-cpu-moe N), with
// N the smallest that fits: N - 1 must not fit.
TEST(Fit, MoeOffloadsExpertsFirstAndMinimally) {
  const auto& m = model("qwen3-30b-a3b");
  const auto weights = build_inventory(m, quant("q8_0"));  // ~30.4 GiB
  const auto hw = card_24gib();
  const auto fit = fit_model(m, weights, hw, ctx(8192));
  ASSERT_EQ(fit.kind, FitKind::kPartialOffload);
  EXPECT_EQ(fit.n_gpu_layers, 49);
  ASSERT_GT(fit.n_cpu_moe, 0);
  // The GPU then holds everything but n experts' layers, within its room.
  const double room =
      usable_gpu_bytes(hw) - compute_buffer_bytes(m, ctx(8192)) - hw.runtime_overhead_bytes;
  const double expert_layer = class_weight_bytes(weights, TensorClass::kExperts, 0);
  EXPECT_LE(fit.gpu_bytes - compute_buffer_bytes(m, ctx(8192)) - hw.runtime_overhead_bytes, room);
  EXPECT_GT(
      fit.gpu_bytes - compute_buffer_bytes(m, ctx(8192)) - hw.runtime_overhead_bytes + expert_layer,
      room);
  EXPECT_EQ(llama_cpp_args(fit, ctx(8192)),
            "-ngl 49 -c 8192 --n-cpu-moe " + std::to_string(fit.n_cpu_moe));
}

TEST(Fit, DoesNotFitWhenHostRamIsAlsoTooSmall) {
  const auto& m = model("llama-3.1-405b");
  const auto fit = fit_model(m, build_inventory(m, quant("q4_k_m")), card_24gib(), ctx(8192));
  EXPECT_EQ(fit.kind, FitKind::kNoFit);
  EXPECT_EQ(llama_cpp_args(fit, ctx(8192)), "");
  EXPECT_EQ(
      max_context_tokens(m, build_inventory(m, quant("q4_k_m")), card_24gib(), ctx(8192), fit.kind),
      0);
  EXPECT_EQ(fit.summary.rfind("does not fit: needs", 0), 0u) << fit.summary;
}

TEST(Fit, QuantizedKvCacheFlags) {
  const auto& m = model("llama-3.1-8b");
  Workload w = ctx(16384);
  w.kv_cache = find_kv_cache_type(db().quants, "q8_0");
  w.batch = 2;
  const auto fit = fit_model(m, build_inventory(m, quant("q4_k_m")), card_24gib(), w);
  EXPECT_EQ(llama_cpp_args(fit, w), "-ngl 33 -c 32768 -np 2 -fa on -ctk q8_0 -ctv q8_0");
}

TEST(Fit, MoreMemoryNeverFitsWorse) {
  const auto& m = model("llama-3.1-70b");
  const auto weights = build_inventory(m, quant("q4_k_m"));
  FitKind previous = FitKind::kNoFit;
  for (double gib : {8.0, 16.0, 24.0, 32.0, 48.0, 64.0, 96.0}) {
    auto hw = card_24gib();
    hw.memory_bytes = gib_to_bytes(gib);
    const auto kind = fit_model(m, weights, hw, ctx(8192)).kind;
    EXPECT_TRUE(fits_at_least(kind, previous)) << gib;
    previous = kind;
  }
  EXPECT_EQ(previous, FitKind::kGpu);
}

}  // namespace
}  // namespace hwplan::planner
