#include "kernels/measure.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/cancel.h"
#include "common/error.h"
#include "kernels/llama_context.h"
#include "kernels/quantize.h"

namespace hwplan::kernels {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

double in_cache_rate(WeightFormat format, int64_t cols, Isa isa, ThreadPool& pool) {
  const int64_t rb = row_bytes(format, cols);
  const int64_t rows = std::max<int64_t>(8, (256 * 1024) / rb);
  std::vector<uint8_t> bytes(static_cast<size_t>(rows * rb));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < cols; ++i)
      row[static_cast<size_t>(i)] = 0.02f * std::sin(static_cast<float>(r * 7 + i));
    quantize_row(format, row.data(), bytes.data() + r * rb, cols);
  }
  std::vector<float> x(static_cast<size_t>(cols), 0.5f);
  PreparedInput in;
  prepare_input(x.data(), cols, in);
  // Every member multiplies its own copy (in its own core's cache) at once, as in a decode step,
  // where all threads compute together: a core computing alone may run faster (a higher clock).
  const auto n = static_cast<size_t>(pool.size());
  std::vector<std::vector<uint8_t>> copies(n);
  std::vector<std::vector<float>> ys(n, std::vector<float>(static_cast<size_t>(rows)));
  std::vector<double> rates(n);
  double best = 0;
  for (int run = 0; run < 5; ++run) {
    pool.run([&](int member) {
      const auto k = static_cast<size_t>(member);
      if (copies[k].empty()) copies[k] = bytes;  // first touched by the member that reads it
      const MatrixView m{format, rows, cols, copies[k].data(), rb};
      int64_t passes = 0;
      const auto start = Clock::now();
      do {
        matvec_rows(m, in, ys[k].data(), 0, rows, isa);
        ++passes;
      } while (seconds_since(start) < 0.01);
      rates[k] = static_cast<double>(passes * rows * rb) / seconds_since(start);
    });
    double sum = 0;
    for (double r : rates) sum += r;
    best = std::max(best, sum / static_cast<double>(n));
  }
  return best;
}

DecodeMeasurement measure_decode(const LlamaWeights& weights, ThreadPool& pool, Isa isa,
                                 const DecodeRun& run,
                                 const std::function<double()>& between_segments,
                                 const std::function<void(const std::string&)>& progress) {
  auto check_cancel = [] {
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "validate: interrupted");
  };
  DecodeMeasurement r;
  for (WeightFormat f : weight_formats(weights))
    r.rates_per_thread[std::string(format_name(f))] =
        in_cache_rate(f, weights.shape.n_embd, isa, pool);
  LlamaContext ctx(weights, pool, run.context_tokens + run.tokens + run.prompt_tokens + 4, isa);
  std::vector<int32_t> prompt(static_cast<size_t>(run.prompt_tokens));
  for (size_t i = 0; i < prompt.size(); ++i)
    prompt[i] = static_cast<int32_t>((i * 7919 + 1) % static_cast<size_t>(weights.shape.n_vocab));
  progress(fmt::format("prefill of {} tokens", run.prompt_tokens));
  const auto start = Clock::now();
  ctx.eval(prompt);
  r.prefill_tok_per_s = static_cast<double>(run.prompt_tokens) / seconds_since(start);
  if (run.context_tokens > ctx.position()) ctx.fill_cache_synthetic(run.context_tokens, run.seed);
  progress(fmt::format("decoding {} tokens at context {}", run.tokens, run.context_tokens));
  int32_t token = 1;
  for (int i = 0; i < 2; ++i) token = argmax(ctx.decode(token));  // warm-up
  const int64_t segments = std::clamp<int64_t>(run.segments, 1, std::max<int64_t>(run.tokens, 1));
  const int64_t per_segment = (run.tokens + segments - 1) / segments;
  for (int64_t i = 0; i < run.tokens; ++i) {
    check_cancel();
    if (i % per_segment == 0) r.between.push_back(between_segments());
    const auto t0 = Clock::now();
    token = argmax(ctx.decode(token));
    r.token_seconds.push_back(seconds_since(t0));
  }
  r.between.push_back(between_segments());
  return r;
}

}  // namespace hwplan::kernels
