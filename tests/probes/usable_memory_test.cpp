#include "probes/usable_memory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/units.h"

namespace hwplan::probes {
namespace {

namespace fs = std::filesystem;

constexpr double kGiB = 1024.0 * 1024 * 1024;

MemorySnapshot snapshot(double available_gib, double swap_free_gib = 0, double limit_gib = 0,
                        double usage_gib = 0) {
  return {0, available_gib * kGiB, swap_free_gib * kGiB, limit_gib * kGiB, usage_gib * kGiB};
}

// 20 GiB available, 2 GiB margin, nothing held: the ceiling is 18 GiB. Holding 10 GiB (which
// MemAvailable already lost: 10 left): still 18.
TEST(UsableMemory, CeilingIsAvailableLessTheMargin) {
  EXPECT_DOUBLE_EQ(allocation_ceiling(snapshot(20), 0, 2 * kGiB), 18 * kGiB);
  EXPECT_DOUBLE_EQ(allocation_ceiling(snapshot(10), 10 * kGiB, 2 * kGiB), 18 * kGiB);
  // A cgroup of 8 GiB with 3 in use leaves 5: ceiling 3 with the margin, whatever the host has.
  EXPECT_DOUBLE_EQ(allocation_ceiling(snapshot(20, 0, 8, 3), 0, 2 * kGiB), 3 * kGiB);
  // Nothing to spare: never negative.
  EXPECT_DOUBLE_EQ(allocation_ceiling(snapshot(1), 0, 2 * kGiB), 0.0);
}

TEST(UsableMemory, StepsStopAtTheCeilingTheCapOrSwap) {
  UsableStop stop = UsableStop::kCancelled;
  // 18 GiB ceiling, 16.5 held: the next step is the 1.5 GiB left, not a whole 4 GiB step.
  EXPECT_DOUBLE_EQ(next_usable_step(snapshot(3.5), 16.5 * kGiB, 4 * kGiB, 2 * kGiB, 0, 0, stop),
                   1.5 * kGiB);
  // At the ceiling: stop, saying why.
  EXPECT_EQ(next_usable_step(snapshot(2), 18 * kGiB, 4 * kGiB, 2 * kGiB, 0, 0, stop), 0.0);
  EXPECT_EQ(stop, UsableStop::kCeiling);
  // A cap below the ceiling ends it there.
  EXPECT_DOUBLE_EQ(next_usable_step(snapshot(20), 0, 4 * kGiB, 2 * kGiB, 3 * kGiB, 0, stop),
                   3 * kGiB);
  EXPECT_EQ(next_usable_step(snapshot(17), 3 * kGiB, 4 * kGiB, 2 * kGiB, 3 * kGiB, 0, stop), 0.0);
  EXPECT_EQ(stop, UsableStop::kCap);
  // 2 GiB of swap went since the start (more than a quarter of a 4 GiB step): stop at once.
  EXPECT_EQ(next_usable_step(snapshot(15, 6), 4 * kGiB, 4 * kGiB, 2 * kGiB, 0, 8 * kGiB, stop),
            0.0);
  EXPECT_EQ(stop, UsableStop::kSwapping);
}

TEST(UsableMemory, SnapshotReadsMeminfoAndCgroupV2) {
  const auto root = fs::temp_directory_path() / ("hwplan_usable_" + std::to_string(getpid()));
  fs::create_directories(root / "proc");
  fs::create_directories(root / "sys/fs/cgroup");
  std::ofstream(root / "proc/meminfo") << "MemTotal:       24000000 kB\n"
                                          "MemAvailable:   20000000 kB\n"
                                          "SwapFree:        1000000 kB\n";
  std::ofstream(root / "sys/fs/cgroup/memory.max") << "8589934592\n";
  std::ofstream(root / "sys/fs/cgroup/memory.current") << "1073741824\n";
  const auto s = read_memory_snapshot(root.string());
  EXPECT_DOUBLE_EQ(s.total_bytes, 24000000.0 * 1024);
  EXPECT_DOUBLE_EQ(s.available_bytes, 20000000.0 * 1024);
  EXPECT_DOUBLE_EQ(s.swap_free_bytes, 1000000.0 * 1024);
  EXPECT_DOUBLE_EQ(s.cgroup_limit_bytes, 8589934592.0);
  EXPECT_DOUBLE_EQ(s.cgroup_usage_bytes, 1073741824.0);
  fs::remove_all(root);
}

// A real run with a small cap: exactly the cap is allocated and touched, in whole steps.
TEST(UsableMemory, RealRunUpToASmallCapAndFreesItAll) {
  UsableMemoryOptions options;
  options.step_bytes = 32.0 * 1024 * 1024;
  options.cap_bytes = 96.0 * 1024 * 1024;
  int steps = 0;
  options.progress = [&](const std::string&) { ++steps; };
  const auto r = measure_usable_memory(options);
  if (r.status == ProbeStatus::kSkipped) GTEST_SKIP() << r.reason;
  EXPECT_DOUBLE_EQ(r.usable_bytes, 96.0 * 1024 * 1024);
  EXPECT_EQ(r.stop, UsableStop::kCap);
  EXPECT_EQ(steps, 3);
  EXPECT_GT(r.available_at_start_bytes, 0);
  EXPECT_GE(r.margin_bytes, 1024.0 * 1024 * 1024);
}

}  // namespace
}  // namespace hwplan::probes
