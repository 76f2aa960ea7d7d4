#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/statistics.h"
#include "probes/measurement.h"

namespace hwplan::probes {

Samples summarize_samples(std::vector<double> values) {
  Samples s;
  s.values = values;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.min = values.front();
  s.max = values.back();
  s.best = s.max;
  const size_t n = values.size();
  s.median = median(values);
  const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  s.stddev = n > 1 ? std::sqrt(squares / static_cast<double>(n - 1)) : 0.0;
  return s;
}

}  // namespace hwplan::probes
