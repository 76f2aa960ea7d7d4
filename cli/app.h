#pragma once
// Shared wiring for subcommands: where the profiles are, the report context, the result type.

#include <string>
#include <vector>

#include "planner/profiles.h"
#include "reports/report.h"

namespace hwplan::cli {

/// Options every subcommand has.
struct GlobalOptions {
  std::string profiles_dir;  ///< --profiles; empty: HWPLAN_PROFILES, then the install, then source
  std::string command_line;
};

/// A subcommand's result: the report and the exit code the caller asked for (0, or 1 for
/// --require-fit and similar checks).
struct CommandResult {
  reports::Report report;
  int exit_code = 0;
};

/// The profiles directory to use (see GlobalOptions::profiles_dir).
std::string resolve_profiles_dir(const std::string& requested);

/// Loads the profile database once per run.
planner::ProfileDb load_profiles(const GlobalOptions& options);

/// Version, git SHA, build type, UTC time, host and command line, plus environment warnings.
reports::Context make_context(const GlobalOptions& options);

}  // namespace hwplan::cli
