// Google Benchmark microbenchmarks of the probe kernels (not part of ctest). GB/s is reported
// from the bytes each kernel moves as STREAM counts them.

#include <benchmark/benchmark.h>

#include "probes/bandwidth.h"
#include "probes/latency.h"

namespace {

void BM_Bandwidth(benchmark::State& state, const char* kernel) {
  const double array_bytes = static_cast<double>(state.range(0)) * 1024 * 1024;
  const int64_t threads = state.range(1);
  for (auto _ : state) {
    const auto r = hwplan::probes::measure_bandwidth(kernel, threads, array_bytes, 1);
    state.SetIterationTime(r.gbs.best > 0 ? hwplan::probes::stream_bytes_per_element(kernel) *
                                                r.array_bytes / 8.0 / (r.gbs.best * 1e9)
                                          : 1.0);
    state.SetBytesProcessed(state.bytes_processed() +
                            static_cast<int64_t>(hwplan::probes::stream_bytes_per_element(kernel) *
                                                 r.array_bytes / 8.0));
  }
}

void BM_Latency(benchmark::State& state) {
  const double bytes = static_cast<double>(state.range(0)) * 1024;
  for (auto _ : state)
    state.counters["ns_per_load"] = hwplan::probes::chase_latency_ns(bytes, 200000);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Bandwidth, read, "read")->Args({128, 1})->Args({128, 2})->UseManualTime();
BENCHMARK_CAPTURE(BM_Bandwidth, copy, "copy")->Args({128, 1})->Args({128, 2})->UseManualTime();
BENCHMARK_CAPTURE(BM_Bandwidth, triad, "triad")->Args({128, 1})->Args({128, 2})->UseManualTime();
BENCHMARK_CAPTURE(BM_Bandwidth, triad_stream, "triad_stream")
    ->Args({128, 1})
    ->Args({128, 2})
    ->UseManualTime();
BENCHMARK(BM_Latency)->Arg(16)->Arg(512)->Arg(131072);

BENCHMARK_MAIN();
