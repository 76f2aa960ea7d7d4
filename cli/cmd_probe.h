#pragma once
#include <cstdint>
#include <string>

#include "app.h"

namespace hwplan::cli {

struct ProbeCliOptions {
  bool quick = false;
  std::string write;  ///< -o: write the hardware profile here
  int64_t threads = 0;
  std::string expect;  ///< compare with this saved profile; exit 1 below 90%
  std::string id = "local";
  bool compare_stream = false;  ///< only compare copy/triad with STREAM's loops and print ratios
  bool usable_memory = false;  ///< also allocate and touch memory in steps (probes/usable_memory.h)
  double usable_cap_gib = 0;
  std::string gpu_result;  ///< a saved GPU measurement to use instead of probing the GPU   ///<
                           ///< stop there at the latest (0: the system's safe ceiling)
};

/// `hwplan probe`: measure this machine and write a hardware profile.
CommandResult run_probe(const GlobalOptions& global, const ProbeCliOptions& options);

}  // namespace hwplan::cli
