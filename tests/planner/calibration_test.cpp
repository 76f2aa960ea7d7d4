// The speed model against the published measurements it is calibrated on
// (../shared/calibration/measured.csv): the targets, and that the committed
// profiles/calibration.json is what fitting the CSV gives. Skips where ../shared is absent.

#include "planner/calibration.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "common/json_util.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

// The bundled measurements: present in every checkout. `hwplan calibrate` fits both.
const std::string kMeasured = std::string(HWPLAN_TEST_PROFILES_DIR) + "/measurements/measured.csv";
const std::string kConfigs = std::string(HWPLAN_TEST_PROFILES_DIR) + "/measurements/configs.csv";

std::vector<CalibrationRow> rows_of(const std::string& csv) {
  const auto inputs_path = std::string(HWPLAN_TEST_PROFILES_DIR) + "/calibration_inputs.json";
  const auto inputs = calibration_inputs_from_json(load_json_file(inputs_path), inputs_path);
  return calibration_rows(load_csv_file(csv), csv, inputs, testing::db());
}

std::vector<CalibrationRow> rows() {
  auto all = rows_of(kMeasured);
  auto more = rows_of(kConfigs);
  std::move(more.begin(), more.end(), std::back_inserter(all));
  return all;
}

const CalibrationRow& row_by_id(const std::vector<CalibrationRow>& all, const std::string& id) {
  for (const auto& r : all) {
    if (r.row_id == id) return r;
  }
  throw std::runtime_error("no row " + id);
}

TEST(Calibration, MeetsTheErrorTargets) {
  const auto all = rows();
  const auto table = fit_efficiency(all, "measured.csv");
  const auto summary = summarize(evaluate(all, table));
  // Multi-GPU and partial-offload rows are among them.
  EXPECT_GE(summary.decode_rows, 350);
  EXPECT_GE(summary.prefill_rows, 350);
  EXPECT_LE(summary.decode_median, 0.10);
  EXPECT_LE(summary.decode_p90, 0.25);
  EXPECT_LE(summary.prefill_median, 0.20);
  // The 0.40 target is not met yet (0.442); this keeps the gain of the quantized-GEMM and
  // pipeline-overlap factors from slipping back (0.578 before them).
  EXPECT_LE(summary.prefill_p90, 0.46);
  std::printf(
      "calibration: decode median %.3f p90 %.3f (%lld rows); prefill median %.3f p90 %.3f\n",
      summary.decode_median, summary.decode_p90, static_cast<long long>(summary.decode_rows),
      summary.prefill_median, summary.prefill_p90);
}

// A run of a model resident on a made-up machine: its bandwidth, FP16 peak and depth.
CalibrationRow resident_row(const std::string& id, const std::string& backend,
                            const std::string& memory_class, double bandwidth, double peak,
                            int64_t depth) {
  CalibrationRow r;
  r.row_id = id;
  r.backend = backend;
  r.memory_class = memory_class;
  r.machine.bandwidth_bytes_per_s = bandwidth;
  r.machine.fp16_flop_per_s = peak;
  r.depth_tokens = depth;
  r.placement = "resident";
  r.categories = {"resident"};
  return r;
}

// A prompt of 512 tokens at depth `depth` on a made-up unified machine (50 TFLOP/s, 256 GB/s),
// measured as if its weight GEMMs ran at `gemm_share` of the peak and attention at
// `attention_share`: 8 GFLOP of weights per token; attention 4 x 4096 x 32 FLOP per token pair.
CalibrationRow sweep_row(const std::string& backend, int64_t depth, double gemm_share,
                         double attention_share, double measured_scale) {
  auto r =
      resident_row(fmt::format("{}-{}", backend, depth), backend, "unified", 256e9, 50e12, depth);
  auto& c = r.prefill;
  c.prompt_tokens = 512;
  c.gpu_flop_per_s = r.machine.fp16_flop_per_s;
  c.gpu_bandwidth_bytes_per_s = r.machine.bandwidth_bytes_per_s;
  const double gemm_flop = 2 * 8e9 * 512;
  c.attention_flop = 4.0 * 4096 * 32 * 512 * (static_cast<double>(depth) + 256);
  c.flop = gemm_flop + c.attention_flop;
  const double seconds =
      gemm_flop / (gemm_share * 50e12) + c.attention_flop / (attention_share * 50e12);
  r.measured_prefill_tok_per_s = 512 / seconds * measured_scale;
  return r;
}

// A decode run on a made-up CUDA card (1e12 B/s) reading 10 GB of weights and a cache of 100 KB
// per cached token, measured as if it reached 80% of its bandwidth and read `reread_share` of
// `rereads` more cache reads from memory.
CalibrationRow decode_row(int64_t depth, double rereads, double reread_share) {
  auto r =
      resident_row(fmt::format("decode-{}-{}", depth, rereads), "cuda", "gddr", 1e12, 1e14, depth);
  auto& c = r.decode;
  c.kv_gpu_bytes = 100e3 * static_cast<double>(depth + 64);
  c.gpu_bytes = 10e9 + c.kv_gpu_bytes;
  c.kv_gpu_reread_bytes = rereads * c.kv_gpu_bytes;
  c.gpu_bandwidth_bytes_per_s = 1e12;
  c.gpu_flop_per_s = 1e14;
  const double seconds = (c.gpu_bytes + reread_share * c.kv_gpu_reread_bytes) / (0.8 * 1e12);
  r.measured_decode_tok_per_s = 1 / seconds;
  return r;
}

// Runs whose cache is re-read (a quantized cache on CUDA, 15 re-reads) beside runs that read it
// once: the share of re-reads from memory (0.4 here) and the bandwidth fraction (0.8) are both
// recovered, and every run is then predicted within 1%.
TEST(Calibration, CacheRereadShareIsRecoveredFromRunsAtDepth) {
  std::vector<CalibrationRow> sweep;
  for (const int64_t depth : {0, 4096, 16384, 32768}) {
    sweep.push_back(decode_row(depth, 0, 0));
    sweep.push_back(decode_row(depth, 15, 0.4));
  }
  const auto table = fit_efficiency(sweep, "sweep");
  EXPECT_NEAR(table.cache_reread_fraction, 0.4, 0.051);
  EXPECT_EQ(table.cache_reread_rows, 4);
  EXPECT_NEAR(efficiency_for(table, "cuda", "gddr").bandwidth_fraction, 0.8, 0.01);
  for (const auto& res : evaluate(sweep, table))
    EXPECT_NEAR(res.decode_error, 0, 0.01) << res.row->row_id;
  // Without any runs that re-read, every re-read counts (the upper bound).
  std::vector<CalibrationRow> once;
  for (const int64_t depth : {0, 4096, 32768}) once.push_back(decode_row(depth, 0, 0));
  EXPECT_EQ(fit_efficiency(once, "once").cache_reread_fraction, 1.0);
}

// Layer-split and row-split runs on the made-up card (80% of its bandwidth, 50 us per layer):
// a row-split run also stops the GPUs 7 times per layer, each costing what a layer's overhead
// does. Fitting the synchronizations with the layers recovers both factors and every run.
TEST(Calibration, RowSplitSynchronizationsCountAsLayerOverheads) {
  std::vector<CalibrationRow> runs;
  for (const int64_t layers : {32, 64, 80}) {
    for (const bool row_split : {false, true}) {
      auto r = decode_row(0, 0, 0);
      r.row_id = fmt::format("{}-{}", layers, row_split);
      r.decode.gpu_bytes = 0.15e9 * static_cast<double>(layers);
      r.decode.gpu_layers = layers;
      r.decode.host_syncs = row_split ? 7 * layers : 0;
      const double seconds = r.decode.gpu_bytes / (0.8 * 1e12) +
                             static_cast<double>(layers + r.decode.host_syncs) * 50e-6;
      r.measured_decode_tok_per_s = 1 / seconds;
      runs.push_back(r);
    }
  }
  const auto table = fit_efficiency(runs, "runs");
  const auto& e = efficiency_for(table, "cuda", "gddr");
  EXPECT_NEAR(e.bandwidth_fraction, 0.8, 0.001);
  EXPECT_NEAR(e.layer_overhead_seconds, 50e-6, 1e-8);
  for (const auto& res : evaluate(runs, table))
    EXPECT_NEAR(res.decode_error, 0, 1e-6) << res.row->row_id;
}

// Attention at depth gets its own rate from a sweep with two rows at depth (a machine whose
// flash attention runs at a twentieth of its peak, as Strix Halo's does, while its GEMMs reach
// half): one rate for both would be 3-4x optimistic at 32K. Where unpinned the GEMMs would beat
// their peak (measurement noise on a machine that reaches it), they are held at the peak and
// attention still gets its rate.
TEST(Calibration, AttentionAtDepthGetsItsOwnRate) {
  std::vector<CalibrationRow> sweep;
  for (const int64_t depth : {0, 0, 0, 4096, 32768})
    sweep.push_back(sweep_row("rocm", depth, 0.5, 0.05, 1.0));
  // At the peak, measured 3% faster than that at depth 0 and 3% slower at depth.
  for (const int64_t depth : {0, 0, 0, 4096, 32768})
    sweep.push_back(sweep_row("vulkan", depth, 1.0, 0.05, depth == 0 ? 1.03 : 0.97));
  const auto table = fit_efficiency(sweep, "sweep");
  const auto half = efficiency_for(table, "rocm", "unified");
  EXPECT_NEAR(half.compute_fraction, 0.5, 1e-6);
  EXPECT_NEAR(half.prefill_attention_fraction, 0.05, 1e-6);
  const auto peak = efficiency_for(table, "vulkan", "unified");
  EXPECT_DOUBLE_EQ(peak.compute_fraction, 1.0);
  EXPECT_NEAR(peak.prefill_attention_fraction, 0.05, 0.005);
  // The 32K row is predicted within the noise put on it.
  const auto results = evaluate(sweep, table);
  EXPECT_LT(std::abs(results[4].prefill_error), 1e-6);
  EXPECT_LT(std::abs(results[9].prefill_error), 0.05);
}

// A llama-batched-bench row with B sequences is costed as B sequences decoding together: the
// weights are read once per step, the products are computed B times, and tok/s is the aggregate.
TEST(Calibration, BatchedBenchRowsDecodeTheirSequencesTogether) {
  const std::string header =
      "row_id,source_id,hardware,hw_class,gpu_cores,memory_type,mem_bw_gbs,mem_bw_source,"
      "mem_capacity_gb,num_gpus,backend,engine,model,params_b,active_params_b,quant,model_size,"
      "model_size_unit,fits_in_gpu_mem,offload,prompt_tokens,gen_tokens,kv_depth,prefill_tps,"
      "decode_tps,build,date,source_url,source_path,source_quality,notes\n";
  auto line = [](const std::string& id, int batch) {
    return id +
           ",T,Test CPU 16C,cpu,,ddr4,76.8,,128,0,CPU,llama.cpp llama-batched-bench,"
           "Meta-Llama-3-8B,8.03,,Q4_0,4.33,GiB,,-ngl 0 (CPU only),128,128,0,,5.0,,,,,,"
           "cat=cpu; batched-bench B=" +
           std::to_string(batch) + " parallel sequences\n";
  };
  const auto path = std::filesystem::temp_directory_path() / "hwplan_batched_rows.csv";
  std::ofstream(path) << header + line("1", 1) + line("4", 4);
  const auto all = rows_of(path.string());
  std::filesystem::remove(path);
  const auto& one = row_by_id(all, "1");
  const auto& four = row_by_id(all, "4");
  ASSERT_TRUE(one.skipped.empty()) << one.skipped;
  ASSERT_TRUE(four.skipped.empty()) << four.skipped;
  EXPECT_EQ(one.decode.batch, 1);
  EXPECT_EQ(four.decode.batch, 4);
  // The same weights are read once per step; only the KV of each sequence adds bytes.
  EXPECT_GT(four.decode.host_bytes, one.decode.host_bytes);
  EXPECT_LT(four.decode.host_bytes, 1.05 * one.decode.host_bytes);
  EXPECT_GT(four.decode.host_flop, 3.99 * one.decode.host_flop);
}

// Counts beyond any real run (a number no int64 holds, found by the fuzzer, or a negative one) in
// a column or the notes are input errors naming the file, the row and the field.
TEST(Calibration, ImpossibleCountsAreErrorsNamingRowAndField) {
  const std::string header =
      "row_id,source_id,hardware,hw_class,gpu_cores,memory_type,mem_bw_gbs,mem_bw_source,"
      "mem_capacity_gb,num_gpus,backend,engine,model,params_b,active_params_b,quant,model_size,"
      "model_size_unit,fits_in_gpu_mem,offload,prompt_tokens,gen_tokens,kv_depth,prefill_tps,"
      "decode_tps,build,date,source_url,source_path,source_quality,notes\n";
  auto line = [](const std::string& prompt, const std::string& gen, const std::string& notes) {
    return "7,T,Test CPU 16C,cpu,,ddr4,76.8,,128,0,CPU,llama.cpp,Meta-Llama-3-8B,8.03,,Q4_0,4.33,"
           "GiB,,-ngl 0 (CPU only)," +
           prompt + "," + gen + ",0,,5.0,,,,,,cat=cpu; " + notes + "\n";
  };
  const auto path = std::filesystem::temp_directory_path() / "hwplan_impossible_counts.csv";
  const struct {
    std::string text, field;
  } cases[] = {{line("1e77", "128", ""), "prompt_tokens: 1e+77"},
               {line("128", "-5", ""), "gen_tokens: -5"},
               {line("128", "128", "B=99999999999999999999999"), "notes B / concurrency"},
               {line("128", "128", "tg128 run with -t 99999999999999999999999"), "threads"}};
  for (const auto& c : cases) {
    std::ofstream(path) << header + c.text;
    try {
      (void)rows_of(path.string());
      ADD_FAILURE() << "no error for " << c.text;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInput);
      const std::string what = e.what();
      EXPECT_NE(what.find(path.string() + ": row 7: "), std::string::npos) << what;
      EXPECT_NE(what.find(c.field), std::string::npos) << what;
    }
  }
  std::ofstream(path) << header + line("512", "128", "B=4");
  EXPECT_EQ(row_by_id(rows_of(path.string()), "7").decode.batch, 4);
  std::filesystem::remove(path);
}

// The KV cache type a row's engine column states sizes its cache: Llama 3 8B on one GPU at depth
// 8192 with -ctk q8_0 -ctv q8_0 reads 34/64 of the F16 row's cache bytes (Q8_0: 34 bytes per 32
// values), the weights alike.
TEST(Calibration, RowsKvCacheTypeComesFromItsEngineColumn) {
  const std::string header =
      "row_id,source_id,hardware,hw_class,gpu_cores,memory_type,mem_bw_gbs,mem_bw_source,"
      "mem_capacity_gb,num_gpus,backend,engine,model,params_b,active_params_b,quant,model_size,"
      "model_size_unit,fits_in_gpu_mem,offload,prompt_tokens,gen_tokens,kv_depth,prefill_tps,"
      "decode_tps,build,date,source_url,source_path,source_quality,notes\n";
  auto line = [](const std::string& id, const std::string& kv) {
    return id +
           ",T,NVIDIA GeForce RTX 3090 24GB,gpu,,gddr6x,936,,24,1,CUDA,llama.cpp llama-sweep-bench "
           "-fa" +
           kv + ",Meta-Llama-3-8B,8.03,,Q4_0,4.33,GiB,yes,-ngl 99,512,128,8192,,100,,,,,,\n";
  };
  const auto path = std::filesystem::temp_directory_path() / "hwplan_kv_rows.csv";
  std::ofstream(path) << header + line("1", "") + line("2", " -ctk q8_0 -ctv q8_0");
  const auto all = rows_of(path.string());
  std::filesystem::remove(path);
  const auto& f16 = row_by_id(all, "1");
  const auto& q8 = row_by_id(all, "2");
  ASSERT_TRUE(f16.skipped.empty()) << f16.skipped;
  ASSERT_TRUE(q8.skipped.empty()) << q8.skipped;
  ASSERT_GT(f16.decode.kv_gpu_bytes, 0);
  EXPECT_DOUBLE_EQ(q8.decode.kv_gpu_bytes, f16.decode.kv_gpu_bytes * 34.0 / 64.0);
  EXPECT_DOUBLE_EQ(q8.decode.gpu_bytes - q8.decode.kv_gpu_bytes,
                   f16.decode.gpu_bytes - f16.decode.kv_gpu_bytes);
}

// A published file's size is spread over the mix's tensors: alike for a dense model or a MoE file
// near the mix's size; on the routed experts alone for a MoE file far from it (gpt-oss-20b's
// "F16" GGUF of 12.83 GiB holds MXFP4 experts, not the 39 GiB an all-F16 file would be).
TEST(Calibration, StatedSizeScalesTheMixOrTheExperts) {
  auto bytes_of = [](const WeightInventory& inv, bool experts) {
    double sum = 0;
    for (const auto& g : inv.groups)
      sum += (g.cls == TensorClass::kExperts) == experts ? g.bytes : 0;
    return sum;
  };
  const auto& moe = testing::model("gpt-oss-20b");
  const auto& f16 = testing::quant("f16");
  const auto mix = build_inventory(moe, f16);
  const double stated = 12.83 * 1024 * 1024 * 1024;
  ASSERT_LT(stated / total_weight_bytes(mix), kMixSizeTolerance);
  const auto file = scaled_inventory(moe, f16, stated);
  EXPECT_NEAR(total_weight_bytes(file), stated, 1.0);
  EXPECT_DOUBLE_EQ(bytes_of(file, false), bytes_of(mix, false));  // the rest keeps F16
  EXPECT_NEAR(bytes_of(file, true), stated - bytes_of(mix, false), 1.0);
  // Within the tolerance every tensor moves alike.
  const double near = 0.9 * total_weight_bytes(mix);
  const auto alike = scaled_inventory(moe, f16, near);
  EXPECT_NEAR(bytes_of(alike, false), 0.9 * bytes_of(mix, false), 1.0);
  EXPECT_NEAR(bytes_of(alike, true), 0.9 * bytes_of(mix, true), 1.0);
  // A dense model has no experts to carry the difference: alike however far.
  const auto& dense = testing::model("llama-3.1-8b");
  const auto dense_mix = build_inventory(dense, f16);
  const auto half = scaled_inventory(dense, f16, 0.5 * total_weight_bytes(dense_mix));
  for (size_t i = 0; i < half.groups.size(); ++i)
    EXPECT_NEAR(half.groups[i].bytes, 0.5 * dense_mix.groups[i].bytes, 1e-6);
  // No stated size: the mix as it is.
  EXPECT_EQ(scaled_inventory(moe, f16, 0), mix);
}

TEST(Calibration, CommittedFactorsAreWhatTheCsvGives) {
  const auto table = fit_efficiency(
      rows(), "profiles/measurements/measured.csv, profiles/measurements/configs.csv");
  const auto& committed = testing::db().efficiency;
  ASSERT_EQ(table.groups.size(), committed.groups.size());
  for (size_t i = 0; i < table.groups.size(); ++i) {
    const auto& a = table.groups[i];
    const auto& b = committed.groups[i];
    EXPECT_EQ(a.backend + a.memory_class, b.backend + b.memory_class);
    EXPECT_NEAR(a.bandwidth_fraction, b.bandwidth_fraction, 1e-9 * b.bandwidth_fraction)
        << a.backend;
    EXPECT_NEAR(a.compute_fraction, b.compute_fraction, 1e-9 * b.compute_fraction) << a.backend;
    EXPECT_EQ(a.decode_rows, b.decode_rows);
  }
}

TEST(Calibration, EveryPhysicalFactorIsPlausible) {
  for (const auto& g : testing::db().efficiency.groups) {
    EXPECT_GT(g.bandwidth_fraction, 0.3) << g.backend << " " << g.memory_class;
    EXPECT_LE(g.bandwidth_fraction, 1.0) << g.backend << " " << g.memory_class;
    EXPECT_LE(g.compute_fraction, 1.0) << g.backend << " " << g.memory_class;
    EXPECT_LT(g.layer_overhead_seconds, 1e-3);
  }
}

// The written calibration file carries the factors, the summary, and every row used or skipped.
TEST(Calibration, FileRecordsUsedAndSkippedRows) {
  const auto all = rows();
  const auto table = fit_efficiency(all, "measured.csv");
  const auto results = evaluate(all, table);
  const auto summary = summarize(results);
  const auto json = calibration_to_json(table, all, results, summary);
  EXPECT_EQ(json["schema_version"], 1);
  EXPECT_EQ(json["summary"]["decode_rows"], summary.decode_rows);
  size_t skipped = 0;
  for (const auto& r : all) skipped += r.skipped.empty() ? 0 : 1;
  EXPECT_EQ(json["skipped_rows"].size(), skipped);
  EXPECT_EQ(json["rows"].size(), results.size());
  EXPECT_EQ(efficiency_table_from_json(json["efficiency"], "test").groups.size(),
            table.groups.size());
}

}  // namespace
}  // namespace hwplan::planner

namespace hwplan::planner {
namespace {

// engines.csv: runs at several users become batch rows with their aggregate, paired with the
// same setup's single-stream run.
TEST(CalibrationEngines, ConcurrencyRowsPairWithTheirSingleStreamRun) {
  const auto all = rows_of(std::string(HWPLAN_TEST_PROFILES_DIR) + "/measurements/engines.csv");
  // 20085: vllm-mlx, Llama 3.2 1B MLX 4-bit, "concurrency=5; aggregate tok/s=613.0".
  const auto& five = row_by_id(all, "20085");
  EXPECT_EQ(five.engine, "mlx");
  EXPECT_EQ(five.batch, 5);
  EXPECT_DOUBLE_EQ(five.measured_decode_tok_per_s, 613.0);
  EXPECT_TRUE(five.other_engine_costed);
  EXPECT_FALSE(five.skipped.empty());  // never in llama.cpp's fit
  // 20193: vLLM on an RTX 5060 Ti, two requests: decode_tps holds the per-sequence mean (76.48),
  // the aggregate 152.14 is in the notes.
  EXPECT_DOUBLE_EQ(row_by_id(all, "20193").measured_decode_tok_per_s, 152.14);
  const auto table = fit_efficiency(rows(), "test");
  // Runs no llama.cpp run pairs with are compared with the physics of their own plans: vLLM's
  // tensor-parallel run on two RTX 3090s (20018, its plan splits every matrix over both GPUs)
  // and its single run on an RTX 5060 Ti (20192); MLX's run beside llama.cpp's (20053) is not.
  const auto llama_pairs = engine_pairs(
      load_csv_file(std::string(HWPLAN_TEST_PROFILES_DIR) + "/measurements/engines.csv"), "e");
  const auto unpaired = unpaired_physics_pairs(all, llama_pairs, table);
  std::set<std::string> ids;
  for (const auto& p : unpaired) {
    EXPECT_TRUE(p.against_physics);
    ids.insert(p.row_ids.begin(), p.row_ids.end());
  }
  EXPECT_TRUE(ids.contains("20018"));
  EXPECT_TRUE(ids.contains("20192"));
  EXPECT_FALSE(ids.contains("20053"));
  EXPECT_FALSE(ids.contains("20193"));  // two users: a batch pair, not a single-stream one
  EXPECT_EQ(row_by_id(all, "20018").decode.parallel_gpus, 2);
  const auto pairs = batch_pairs(all, table);
  ASSERT_EQ(pairs.size(), 4u);  // three vllm-mlx models whose shape is bundled, one vLLM
  for (const auto& p : pairs) {
    if (p.model != "Llama-3.2-1B-Instruct") continue;
    EXPECT_EQ(p.batch, 5);
    EXPECT_DOUBLE_EQ(p.single_tok_per_s, 299.1);
    // One sequence's products: 2 FLOP per weight of the 1.24B (tied output included) plus
    // attention over ~128 cached tokens: between 2.4 and 2.6 GFLOP.
    EXPECT_GT(p.flop_per_sequence, 2.4e9);
    EXPECT_LT(p.flop_per_sequence, 2.6e9);
    EXPECT_NEAR(p.peak_flop_per_s, 16.2e12, 1e9);  // 40-core M4 Max (calibration_inputs)
    EXPECT_GT(p.physics_seconds, p.physics_single_seconds);
  }
}

// configs.csv: forks stay out of llama.cpp's fit; CPU-only rows are decode-only host rows.
TEST(CalibrationConfigs, OtherEnginesAreKeptOutAndCpuRowsReadHostMemory) {
  const auto all = rows_of(kConfigs);
  int64_t ik = 0;
  int64_t costed = 0;
  for (const auto& r : all) {
    if (r.engine != "ik_llama.cpp") continue;
    ++ik;
    EXPECT_FALSE(r.skipped.empty()) << r.row_id;  // never in llama.cpp's fit
    // Costed on its own plan for ik_llama.cpp's factor, the reason says so.
    if (r.other_engine_costed) {
      ++costed;
      EXPECT_EQ(r.skipped.find("ik_llama.cpp is another engine"), 0u) << r.skipped;
    }
  }
  EXPECT_EQ(ik, 89);  // CONFIGS_SOURCES.md: 89 rows are ik_llama.cpp
  EXPECT_GT(costed, 40);
  const auto pairs = physics_pairs(all, fit_efficiency(all, "test"));
  // A pair wherever decode or a modelled prefill was measured (CPU-only prefill is not modelled).
  EXPECT_GT(static_cast<int64_t>(pairs.size()), 40);
  EXPECT_LE(static_cast<int64_t>(pairs.size()), costed);
  for (const auto& p : pairs) {
    EXPECT_EQ(p.engine, "ik_llama.cpp");
    EXPECT_TRUE(p.decode_ratio > 0 || p.prefill_ratio > 0);
  }
  EXPECT_NE(row_by_id(all, "30122").skipped.find("Ampere"), std::string::npos);
  // 30131: Phi-4 Q4_K_M CPU-only on an EPYC 9554 (12 x DDR5-4800 = 460.8 GB/s theoretical).
  const auto& cpu = row_by_id(all, "30131");
  ASSERT_TRUE(cpu.skipped.empty()) << cpu.skipped;
  EXPECT_EQ(cpu.placement, "cpu");
  EXPECT_EQ(cpu.decode.gpu_bytes, 0.0);
  EXPECT_GT(cpu.decode.host_bytes, 8e9);  // ~9 GB of weights per token
  EXPECT_EQ(cpu.decode.gpu_flop, 0.0);    // nothing runs on a GPU
  EXPECT_NEAR(cpu.machine.host_bandwidth_bytes_per_s, 460.8e9, 1e6);
  EXPECT_FALSE(cpu.prefill_skipped.empty());
  EXPECT_EQ(cpu.machine.host_cores, 64);                      // "64C" in its notes
  EXPECT_EQ(row_by_id(all, "30001").machine.host_cores, 2);   // "tg128 run with -t 2"
  EXPECT_EQ(row_by_id(all, "30092").machine.host_cores, 24);  // "threads 24"
  // 30096: Qwen3-235B Q8_0, FFN of layers 14+ on the CPU (-ot), depth 31744: partial offload at
  // long context, host bandwidth from its notes (225-250 GB/s measured: the middle, 237.5).
  const auto& hybrid = row_by_id(all, "30096");
  ASSERT_TRUE(hybrid.skipped.empty()) << hybrid.skipped;
  EXPECT_EQ(hybrid.categories, (std::vector<std::string>{"partial_offload", "long_context"}));
  EXPECT_NEAR(hybrid.machine.host_bandwidth_bytes_per_s, 237.5e9, 1e6);
  // Host: FFN of layers 14-93 (80 layers), 8 of 128 experts each per token, gate/up/down of
  // 4096 x 1536 at Q8_0 (8.5 bits): 80 x 8 x 3 x 4096 x 1536 x 8.5 / 8 = 12.83 GB, the inventory
  // scaled to the file's reported size.
  EXPECT_NEAR(hybrid.decode.host_bytes, 12.83e9, 0.03 * 12.83e9);
  // 30115: "FA on" in its notes: the activations hold no score matrix, only 512 tokens x 32
  // layers x (8 x 4096 + 3 x 14336) F32 values = 4,966,055,936 B, whatever the 32K depth.
  const auto& fa = row_by_id(all, "30115");
  ASSERT_TRUE(fa.skipped.empty()) << fa.skipped;
  EXPECT_DOUBLE_EQ(fa.prefill.activation_bytes, 512.0 * 32 * (8 * 4096 + 3 * 14336) * 4);
  EXPECT_GT(fa.prefill.attention_flop, 0.5 * fa.prefill.flop);  // depth 32768 dominates
  // 30127: --n-cpu-moe 27, host RAM "DIMM count not stated" (host_bw_gbs=n/a): not guessed.
  EXPECT_NE(row_by_id(all, "30127").skipped.find("host's bandwidth is not stated"),
            std::string::npos);
  // 30126: the placement in words ("13 layers on GPU", no -ngl printed): not used.
  EXPECT_FALSE(row_by_id(all, "30126").skipped.empty());
}

TEST(CalibrationConfigs, CategoriesHostClassesAndBands) {
  const auto all = rows();
  const auto table = fit_efficiency(all, "both");
  const auto results = evaluate(all, table);
  // Every category with rows is reported; rows of several categories count in each.
  const auto cpu = summarize_category(results, "cpu");
  const auto cluster = summarize_category(results, "cluster");
  EXPECT_GE(cpu.decode_rows, 10);
  // CPU-only prefill: the Ryzen 9 7950X's rows, whose FMA peak calibration_inputs gives.
  EXPECT_GE(cpu.prefill_rows, 10);
  EXPECT_EQ(table.cpu_prefill_rows, cpu.prefill_rows);
  EXPECT_GT(table.cpu_prefill_fraction, 0.3);
  EXPECT_LE(table.cpu_prefill_fraction, 1.0);
  EXPECT_EQ(cluster.decode_rows, 0);
  EXPECT_GE(summarize_category(results, "long_context").prefill_rows, 5);
  // One host fraction per class with rows, each physical.
  ASSERT_FALSE(table.hosts.empty());
  for (const auto& h : table.hosts) {
    EXPECT_GT(h.rows, 0);
    EXPECT_GT(h.bandwidth_fraction, 0.3) << h.host_class;
    EXPECT_LE(h.bandwidth_fraction, 1.0) << h.host_class;
  }
  // The band of resident CUDA GDDR runs is their own; a class without runs borrows, widened.
  const auto own = error_band_for(table, "resident", "cuda", "gddr");
  EXPECT_GE(own.decode_rows, kMinBandRows);
  EXPECT_TRUE(own.note.empty()) << own.note;
  const auto none = error_band_for(table, "cluster", "metal", "unified");
  EXPECT_EQ(none.decode_rows, 0);
  EXPECT_NE(none.note.find("0 measured cluster metal unified runs, fewer than 5"),
            std::string::npos)
      << none.note;
  double pooled = 0;
  for (const auto& b : table.bands) {
    if (b.placement == "*") pooled = b.decode_p80;
  }
  EXPECT_DOUBLE_EQ(none.decode, kBorrowedBandWidening * pooled);
}

// A class with a decode band of its own but too few prefill rows: the note speaks of the prefill
// band only, in words a person reads ("CPU-only", not "cpu cpu host").
TEST(ErrorBands, OwnDecodeBandBorrowedPrefillBand) {
  EfficiencyTable table;
  table.bands = {{"cpu", "cpu", "host", 15, 0.30, 2, 0.9},
                 {"cpu", "*", "*", 15, 0.30, 2, 0.9},
                 {"*", "*", "*", 400, 0.14, 380, 0.20}};
  const auto cpu_only = error_band_for(table, "cpu", "cpu", "host");
  EXPECT_DOUBLE_EQ(cpu_only.decode, 0.30);
  EXPECT_DOUBLE_EQ(cpu_only.prefill, kBorrowedBandWidening * 0.20);
  EXPECT_EQ(cpu_only.note,
            "prefill band from all measured runs widened 1.5x (2 measured CPU-only runs, fewer "
            "than 5)");
}

TEST(BandClassWords, NamesTheClassAsAPersonWould) {
  EXPECT_EQ(band_class_words("cpu", "cpu", "host"), "CPU-only");
  EXPECT_EQ(band_class_words("partial_offload", "cuda", "gddr"), "partial-offload cuda gddr");
  EXPECT_EQ(band_class_words("resident", "metal", "unified"), "resident metal unified");
}

}  // namespace
}  // namespace hwplan::planner
