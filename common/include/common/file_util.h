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

}  // namespace hwplan
