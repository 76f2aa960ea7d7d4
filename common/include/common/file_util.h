#pragma once
// Reading a user's input file safely: only regular files, never without a size bound, never
// blocking on a FIFO or a device.

#include <cstddef>
#include <string>

namespace hwplan {

/// Largest text input (JSON, CSV) hwplan reads: far beyond any real profile or result file.
inline constexpr size_t kMaxTextInputBytes = size_t{256} << 20;

/// The whole content of `path`. Error{kInput} naming the file and `what` (e.g. "llama-bench
/// results") when it does not exist, is not a regular file (a directory, FIFO or device), is
/// larger than `max_bytes` or cannot be read.
std::string read_input_file(const std::string& path, const std::string& what,
                            size_t max_bytes = kMaxTextInputBytes);

/// Opens `path` read-only for memory mapping or reading without blocking (O_NONBLOCK, so a FIFO
/// never hangs) and returns the descriptor after checking it is a regular file; `size_bytes`
/// gets its size. Error{kInput} naming the file and `what` otherwise. The caller closes it.
int open_regular_file(const std::string& path, const std::string& what, size_t& size_bytes);

/// Writes `text` to `path`: a new or regular file is written beside it and renamed over it, so a
/// failed or interrupted write leaves no partial file; an existing device or FIFO (/dev/stdout) is
/// written in place. Error{kUsage} for a directory, Error{kResource} when writing fails.
void write_output_file(const std::string& path, const std::string& text);

}  // namespace hwplan
