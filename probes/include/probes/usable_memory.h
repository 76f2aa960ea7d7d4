#pragma once
// Usable memory by allocation: how much this process can really allocate and touch, found by
// doing it in steps, never past a limit that keeps the machine out of swap and away from the OOM
// killer (MemAvailable and the cgroup's headroom, less a safety margin, checked again after every
// step). Everything is freed before it returns, on Ctrl-C too.

#include <functional>
#include <string>

#include "probes/measurement.h"

namespace hwplan::probes {

/// What the kernel says about memory at one moment (bytes; 0 where unknown).
struct MemorySnapshot {
  double total_bytes = 0;         ///< MemTotal
  double available_bytes = 0;     ///< MemAvailable
  double swap_free_bytes = 0;     ///< SwapFree
  double cgroup_limit_bytes = 0;  ///< memory.max (0: none)
  double cgroup_usage_bytes = 0;  ///< memory.current
};

/// MemTotal, MemAvailable and SwapFree from /proc/meminfo and the cgroup's limit and usage under
/// `root`.
MemorySnapshot read_memory_snapshot(const std::string& root = "/");

/// The most the probe may hold at once: the smaller of MemAvailable and the cgroup's headroom,
/// less the margin (at least 0). `held_bytes` is what the probe already holds (it counts against
/// MemAvailable and the cgroup usage already).
double allocation_ceiling(const MemorySnapshot& now, double held_bytes, double margin_bytes);

const char* usable_stop_text(UsableStop stop);

/// The next step's decision, from the snapshot after the last step: a size (bytes) to allocate
/// next, or 0 with `stop` set. `swap_free_at_start` detects the kernel starting to swap.
double next_usable_step(const MemorySnapshot& now, double held_bytes, double step_bytes,
                        double margin_bytes, double cap_bytes, double swap_free_at_start,
                        UsableStop& stop);

struct UsableMemoryOptions {
  double step_bytes = 512.0 * 1024 * 1024;
  /// Left to the system: max(margin_bytes, margin_fraction x MemTotal).
  double margin_bytes = 1024.0 * 1024 * 1024;
  double margin_fraction = 0.05;
  double cap_bytes = 0;  ///< 0: no cap beyond the system's
  std::function<void(const std::string&)> progress;
};

/// Allocates and touches memory in steps until next_usable_step says stop; frees everything.
/// Throws Error(kCancelled) on Ctrl-C after freeing.
UsableMemoryResult measure_usable_memory(const UsableMemoryOptions& options);

}  // namespace hwplan::probes
