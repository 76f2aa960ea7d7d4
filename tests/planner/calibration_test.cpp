// The speed model against the published measurements it is calibrated on
// (../shared/calibration/measured.csv): the targets, and that the committed
// profiles/calibration.json is what fitting the CSV gives. Skips where ../shared is absent.

#include "planner/calibration.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/json_util.h"
#include "test_util.h"

namespace hwplan::planner {
namespace {

// The bundled measurements: present in every checkout.
const std::string kCsv = std::string(HWPLAN_TEST_PROFILES_DIR) + "/measurements/measured.csv";

std::vector<CalibrationRow> rows() {
  const auto inputs_path = std::string(HWPLAN_TEST_PROFILES_DIR) + "/calibration_inputs.json";
  const auto inputs = calibration_inputs_from_json(load_json_file(inputs_path), inputs_path);
  return calibration_rows(load_csv_file(kCsv), kCsv, inputs, testing::db());
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
  std::printf(
      "calibration: decode median %.3f p90 %.3f (%lld rows); prefill median %.3f p90 %.3f\n",
      summary.decode_median, summary.decode_p90, static_cast<long long>(summary.decode_rows),
      summary.prefill_median, summary.prefill_p90);
}

TEST(Calibration, CommittedFactorsAreWhatTheCsvGives) {
  const auto table = fit_efficiency(rows(), "profiles/measurements/measured.csv");
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
