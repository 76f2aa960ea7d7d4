#pragma once
// Runs the built hwplan binary and captures stdout, stderr and the exit code.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace hwplan::cli::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs `hwplan <args>` (args are passed to the shell as written) with the bundled profiles.
inline RunResult run_hwplan(const std::string& args) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("hwplan_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto out = dir / "out";
  const auto err = dir / "err";
  const std::string command = std::string("HWPLAN_PROFILES='") + HWPLAN_TEST_PROFILES_DIR + "' '" +
                              HWPLAN_BINARY + "' " + args + " >'" + out.string() + "' 2>'" +
                              err.string() + "' </dev/null";
  const int status = std::system(command.c_str());
  RunResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

inline std::string shared_fixture(const std::string& name) {
  return std::string(HWPLAN_TEST_SHARED_DIR) + "/fixtures/gguf/" + name;
}

}  // namespace hwplan::cli::testing
