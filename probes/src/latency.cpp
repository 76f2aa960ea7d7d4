#include "probes/latency.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include "common/cancel.h"
#include "common/error.h"

namespace hwplan::probes {
namespace {

constexpr size_t kLineBytes = 64;
constexpr size_t kSlotsPerLine = kLineBytes / sizeof(size_t);

}  // namespace

double chase_latency_ns(double bytes, int64_t hops) {
  const size_t lines = std::max<size_t>(2, static_cast<size_t>(bytes) / kLineBytes);
  std::vector<size_t> next(lines * kSlotsPerLine, 0);
  std::vector<size_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 random(42);  // fixed seed: the same cycle every run
  std::shuffle(order.begin() + 1, order.end(), random);
  for (size_t i = 0; i < lines; ++i) {
    next[order[i] * kSlotsPerLine] = order[(i + 1) % lines] * kSlotsPerLine;
  }
  // Warm the caches with the whole cycle where it fits them; a buffer larger than the timed
  // hops is cold beyond them anyway (its pages are already touched by the fill above), so a
  // warm-up as long as the timed run is enough.
  const size_t warm = std::min(lines, static_cast<size_t>(std::max<int64_t>(hops, 1)));
  size_t position = 0;
  for (size_t i = 0; i < warm; ++i) position = next[position];
  const auto begin = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < hops; ++i) position = next[position];
  const auto end = std::chrono::steady_clock::now();
  volatile size_t sink = position;  // keep the chain alive
  (void)sink;
  return std::chrono::duration<double, std::nano>(end - begin).count() / static_cast<double>(hops);
}

std::vector<LatencyPoint> latency_curve(double max_bytes, int64_t hops) {
  std::vector<LatencyPoint> curve;
  for (double bytes = 16 * 1024.0; bytes <= max_bytes; bytes *= 2) {
    if (cancel_requested()) throw Error(ErrorKind::kCancelled, "probe: interrupted");
    curve.push_back({bytes, chase_latency_ns(bytes, hops)});
  }
  return curve;
}

}  // namespace hwplan::probes
