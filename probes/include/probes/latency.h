#pragma once
// Load-to-use latency by dependent pointer chase over a random cycle of cache lines.

#include <cstdint>
#include <vector>

#include "probes/measurement.h"

namespace hwplan::probes {

/// Average ns per dependent load over a buffer of `bytes` (one pointer per 64-byte line, visited
/// in one random cycle so prefetchers cannot guess), about `hops` loads.
double chase_latency_ns(double bytes, int64_t hops);

/// The curve from 16 KiB to `max_bytes`, doubling.
std::vector<LatencyPoint> latency_curve(double max_bytes, int64_t hops);

}  // namespace hwplan::probes
