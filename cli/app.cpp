#include "app.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "hwplan_git_sha.h"  // generated at build time (cmake/GitSha.cmake)

namespace hwplan::cli {

namespace fs = std::filesystem;

std::string resolve_profiles_dir(const std::string& requested) {
  if (!requested.empty()) return requested;
  if (const char* env = std::getenv("HWPLAN_PROFILES"); env != nullptr && *env != '\0') return env;
  // An installed binary finds bin/../share/hwplan/profiles.
  std::error_code error;
  const auto exe = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    const auto installed = exe.parent_path().parent_path() / "share" / "hwplan" / "profiles";
    if (fs::is_directory(installed, error)) return installed.string();
  }
  return HWPLAN_DEFAULT_PROFILES_DIR;
}

planner::ProfileDb load_profiles(const GlobalOptions& options) {
  return planner::load_profile_db(resolve_profiles_dir(options.profiles_dir));
}

reports::Context make_context(const GlobalOptions& options) {
  reports::Context context;
  context.tool_version = HWPLAN_VERSION;
  context.git_sha = HWPLAN_GIT_SHA;
  context.build_type = HWPLAN_BUILD_TYPE;
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> time_text{};
  std::strftime(time_text.data(), time_text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  context.utc_time = time_text.data();
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) == 0) context.host = host.data();
  context.command = options.command_line;
  if (context.build_type == "Debug") {
    context.warnings.emplace_back("debug build: timings from this binary are not representative");
  }
  return context;
}

}  // namespace hwplan::cli
