#pragma once
// The one median and quantile of hwplan (probes, calibration, compare and validate use these).

#include <vector>

namespace hwplan {

/// The q-quantile (0 <= q <= 1) by linear interpolation between the order statistics at
/// q x (n - 1); 0 for no values.
double quantile(std::vector<double> values, double q);

/// quantile(values, 0.5): the middle value, or the mean of the two middle values.
double median(std::vector<double> values);

}  // namespace hwplan
