#pragma once
// The one error type of hwplan (STYLE.md "Error handling"). Thrown only at boundaries (parse, load,
// validate, probe setup) and caught once, in cli/main.cpp.

#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace hwplan {

/// What kind of failure; decides the exit code.
enum class ErrorKind {
  kUsage,        ///< bad command line: exit 2
  kInput,        ///< bad file or value: exit 2
  kUnsupported,  ///< valid but not supported here: exit 3
  kResource,     ///< out of memory, file system: exit 3
  kCancelled,    ///< interrupted by SIGINT: exit 130
};

/// An expected failure whose message names the file, field and problem.
class Error : public std::runtime_error {
 public:
  /// `message` is stored with control characters escaped (text_util.h printable): it often
  /// quotes untrusted text (tensor names, metadata keys, file names).
  Error(ErrorKind kind, const std::string& message);
  /// The kind, which maps to an exit code through exit_code_for().
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

/// Exit code for an error kind: 2 for usage/input, 3 for unsupported/resource.
int exit_code_for(ErrorKind kind);

/// Name of an error kind for JSON output ("usage", "input", ...).
const char* error_kind_name(ErrorKind kind);

/// Throws Error{kInput} with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void throw_input(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorKind::kInput, fmt::format(format, std::forward<Args>(args)...));
}

/// Throws Error{kUsage} with a fmt-formatted message.
template <typename... Args>
[[noreturn]] void throw_usage(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(ErrorKind::kUsage, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace hwplan
