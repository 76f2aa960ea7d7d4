#pragma once
#include <string>
#include <vector>

#include "app.h"
#include "planner/calibration.h"

namespace hwplan::cli {

struct CalibrateOptions {
  std::vector<std::string> csv;  ///< measured rows; default: measured.csv and configs.csv
  std::string write;  ///< write the fitted calibration.json here (e.g. profiles/calibration.json)
  bool rows = false;  ///< include the per-row table
};

/// `hwplan calibrate`: fits the efficiency factors to measured rows and reports the error.
CommandResult run_calibrate(const GlobalOptions& global, const CalibrateOptions& options);

/// calibration.json content for a fitted table and its evaluation (also used by tests).
nlohmann::json calibration_json(const planner::EfficiencyTable& table,
                                const std::vector<planner::CalibrationRow>& rows,
                                const std::vector<planner::RowResult>& results,
                                const planner::ErrorSummary& summary);

}  // namespace hwplan::cli
