// Google Benchmark microbenchmarks of the decode kernels (not part of ctest): matrix-vector
// products per format, ISA and thread count over a matrix well beyond the last-level cache (the
// decode case) and one that fits in L2 (the compute ceiling), with bytes processed so the
// report shows GB/s; and a whole decode step of a synthetic 1B-class model.

#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <random>

#include "kernels/llama_context.h"
#include "kernels/matvec.h"
#include "kernels/quantize.h"
#include "kernels/synth.h"
#include "kernels/thread_pool.h"
#include "platform/affinity.h"
#include "probes/bandwidth.h"

namespace {

using hwplan::kernels::WeightFormat;

/// A random matrix with an activation vector prepared for it and room for the product.
struct Matrix {
  std::vector<uint8_t> bytes;
  hwplan::kernels::MatrixView view;
  hwplan::kernels::PreparedInput input;
  std::vector<float> y;
};

Matrix random_matrix(WeightFormat f, int64_t rows, int64_t cols) {
  Matrix m;
  const int64_t rb = hwplan::kernels::row_bytes(f, cols);
  m.bytes.resize(static_cast<size_t>(rows * rb));
  std::mt19937 rng(1);
  std::normal_distribution<float> dist(0.0f, 0.02f);
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = dist(rng);
    hwplan::kernels::quantize_row(f, row.data(), m.bytes.data() + r * rb, cols);
  }
  m.view = {f, rows, cols, m.bytes.data(), rb};
  const std::vector<float> x(static_cast<size_t>(cols), 0.5f);
  hwplan::kernels::prepare_input(x.data(), cols, m.input);
  m.y.resize(static_cast<size_t>(rows));
  return m;
}

/// state.range: 0 = rows, 1 = threads, 2 = ISA index into available_isas(), 3 = columns.
void BM_Matvec(benchmark::State& state, WeightFormat format) {
  const int64_t cols = state.range(3);
  const int64_t rows = state.range(0);
  const auto isas = hwplan::kernels::available_isas();
  if (static_cast<size_t>(state.range(2)) >= isas.size()) {
    state.SkipWithError("ISA not available on this CPU");
    return;
  }
  const auto isa = isas[static_cast<size_t>(state.range(2))];
  hwplan::kernels::ThreadPool pool(static_cast<int>(state.range(1)));
  Matrix m = random_matrix(format, rows, cols);
  for (auto _ : state) {
    pool.parallel_for(rows, hwplan::kernels::kRowGrain, [&](int64_t begin, int64_t end) {
      hwplan::kernels::matvec_rows(m.view, m.input, m.y.data(), begin, end, isa);
    });
    benchmark::DoNotOptimize(m.y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(m.bytes.size()));
  state.SetLabel(std::string(hwplan::kernels::isa_name(isa)));
}

/// A decode step of a Llama-3.2-1B-shaped synthetic model at context 512.
void BM_DecodeStep(benchmark::State& state, hwplan::kernels::SynthMix mix) {
  hwplan::kernels::LlamaShape s;
  s.n_layer = 16, s.n_embd = 2048, s.n_head = 32, s.n_head_kv = 8, s.head_dim = 64;
  s.n_ff = 8192, s.n_vocab = 128256, s.rope_dim = 64, s.rope_freq_base = 500000;
  hwplan::kernels::ThreadPool pool(static_cast<int>(state.range(0)));
  const auto model = hwplan::kernels::synth_llama(s, true, mix, 1, pool);
  hwplan::kernels::LlamaContext ctx(model.weights, pool, 512 + 4096, hwplan::kernels::best_isa());
  ctx.fill_cache_synthetic(512, 1);
  int32_t token = 1;
  for (auto _ : state) {
    if (ctx.position() + 1 >= ctx.n_ctx()) {
      ctx.reset();
      ctx.fill_cache_synthetic(512, 1);
    }
    token = hwplan::kernels::argmax(ctx.decode(token));
  }
  const auto cost = hwplan::kernels::llama_decode_cost(model.weights, 512);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(cost.bytes_read));
  state.counters["tok_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

/// The same product one row at a time through dot_row (the single-stream baseline of matvec's
/// four-row F16 kernel), interleaved with BM_Matvec in one run to compare.
void BM_MatvecOneRowAtATime(benchmark::State& state, WeightFormat format) {
  const int64_t cols = 4096;
  const int64_t rows = state.range(0);
  const auto isa = hwplan::kernels::best_isa();
  hwplan::kernels::ThreadPool pool(static_cast<int>(state.range(1)));
  Matrix m = random_matrix(format, rows, cols);
  for (auto _ : state) {
    pool.parallel_for(rows, hwplan::kernels::kRowGrain, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        m.y[static_cast<size_t>(r)] = hwplan::kernels::dot_row(format, m.view.row(r), m.input, isa);
      }
    });
    benchmark::DoNotOptimize(m.y.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(m.bytes.size()));
}

/// The matrix-vector product's bandwidth over the read probe's, measured back to back in each
/// iteration (all threads, a 128 MiB matrix), as the counter "ratio". scripts/perf_check.sh prints
/// it against a baseline but does not gate on it: it depends on the machine's compute and memory.
void BM_KernelOverRead(benchmark::State& state, WeightFormat format) {
  const auto threads = static_cast<int>(hwplan::platform::allowed_cpus().size());
  hwplan::kernels::ThreadPool pool(threads);
  const int64_t cols = 4096;
  const int64_t rows = (int64_t{128} << 20) / hwplan::kernels::row_bytes(format, cols);
  // Built once per format: repetitions re-run this function, and the values do not matter.
  static std::map<WeightFormat, Matrix> cache;
  if (cache.count(format) == 0) cache.emplace(format, random_matrix(format, rows, cols));
  Matrix& m = cache.at(format);
  double ratio_sum = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (int pass = 0; pass < 3; ++pass) {
      pool.parallel_for(rows, hwplan::kernels::kRowGrain, [&](int64_t begin, int64_t end) {
        hwplan::kernels::matvec_rows(m.view, m.input, m.y.data(), begin, end,
                                     hwplan::kernels::best_isa());
      });
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double kernel_gbs = 3.0 * static_cast<double>(m.bytes.size()) / seconds / 1e9;
    double read_gbs = 0;
    {
      const hwplan::kernels::ThreadPool::CallerUnpinned unpinned(pool);
      read_gbs = hwplan::probes::measure_bandwidth("read", threads, 128.0 * (1 << 20), 1).gbs.best;
    }
    ratio_sum += kernel_gbs / read_gbs;
    benchmark::DoNotOptimize(m.y.data());
  }
  state.counters["ratio"] = ratio_sum / static_cast<double>(state.iterations());
}

void matvec_args(benchmark::internal::Benchmark* b) {
  // 16384 x 4096 is 32-128 MiB (beyond the LLC); 256 x 4096 fits in L2.
  for (int64_t rows : {16384, 256}) {
    for (int64_t threads : {1, 2}) {
      for (int64_t isa : {0, 1, 2}) b->Args({rows, threads, isa, 4096});
    }
  }
  // Llama 3.2 1B's FFN gate/up shape (rows of 2048): the decode case at its own row length.
  for (int64_t threads : {1, 2}) b->Args({8192, threads, 2, 2048});
  b->UseRealTime();
}

}  // namespace

BENCHMARK_CAPTURE(BM_Matvec, f16, WeightFormat::kF16)->Apply(matvec_args);
BENCHMARK_CAPTURE(BM_Matvec, bf16, WeightFormat::kBF16)->Apply(matvec_args);
BENCHMARK_CAPTURE(BM_Matvec, q8_0, WeightFormat::kQ8_0)->Apply(matvec_args);
BENCHMARK_CAPTURE(BM_Matvec, q4_0, WeightFormat::kQ4_0)->Apply(matvec_args);
BENCHMARK_CAPTURE(BM_Matvec, q4_k, WeightFormat::kQ4K)->Apply(matvec_args);
BENCHMARK_CAPTURE(BM_Matvec, q6_k, WeightFormat::kQ6K)->Apply(matvec_args);
BENCHMARK_CAPTURE(BM_MatvecOneRowAtATime, f16, WeightFormat::kF16)
    ->Args({16384, 1})
    ->Args({16384, 2})
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_KernelOverRead, f16, WeightFormat::kF16)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_KernelOverRead, q4_0, WeightFormat::kQ4_0)
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeStep, f16, hwplan::kernels::SynthMix::kF16)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeStep, q4_0, hwplan::kernels::SynthMix::kQ4_0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
