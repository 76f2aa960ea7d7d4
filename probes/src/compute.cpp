#include "probes/compute.h"

#include <chrono>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/error.h"
#include "platform/affinity.h"
#include "probes/bandwidth.h"
#include "simd_kernels.h"
#include "thread_team.h"

namespace hwplan::probes {

ComputeResult measure_compute(const char* kind, int64_t threads, int64_t repetitions,
                              double seconds_per_run) {
  ComputeResult result;
  result.kind = kind;
  result.threads = threads;
  const detail::PeakKernel choice = detail::best_peak_kernel(kind);
  if (choice.run == nullptr) {
    result.status = ProbeStatus::kSkipped;
    result.reason = choice.skipped;
    return result;
  }
  result.isa = choice.isa;
  // Size the work from a short calibration run so each repetition lasts about seconds_per_run.
  int64_t iterations = 1 << 14;
  const auto begin = std::chrono::steady_clock::now();
  choice.run(iterations);
  const double once =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  iterations =
      std::max<int64_t>(iterations, static_cast<int64_t>(static_cast<double>(iterations) *
                                                         seconds_per_run / std::max(once, 1e-6)));
  detail::ThreadTeam team(static_cast<int>(threads), platform::allowed_cpus());
  std::vector<double> ops(static_cast<size_t>(threads));
  std::vector<double> rates;
  for (int64_t rep = 0; rep <= repetitions; ++rep) {
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "probe: interrupted");
    const double seconds =
        team.run([&](int t) { ops[static_cast<size_t>(t)] = choice.run(iterations); });
    double total = 0;
    for (double o : ops) total += o;
    if (rep > 0) rates.push_back(total / seconds / 1e12);
  }
  result.tops = summarize_samples(rates);
  return result;
}

}  // namespace hwplan::probes
