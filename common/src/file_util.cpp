#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"

namespace hwplan {

int open_regular_file(const std::string& path, const std::string& what, size_t& size_bytes) {
  // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    throw_input("{}: cannot open {}: {}", path, what, std::strerror(errno));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    const int saved = errno;
    ::close(fd);
    throw_input("{}: cannot read {}: {}", path, what, std::strerror(saved));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    const char* kind = S_ISDIR(info.st_mode)                              ? "a directory"
                       : S_ISFIFO(info.st_mode)                           ? "a FIFO"
                       : (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)) ? "a device"
                                                                          : "not a file";
    throw_input("{}: {} must be a regular file, but this is {}", path, what, kind);
  }
  // Reads of a regular file never block; clear the flag so they behave as usual.
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  size_bytes = static_cast<size_t>(info.st_size);
  return fd;
}

std::string read_input_file(const std::string& path, const std::string& what, size_t max_bytes) {
  size_t size = 0;
  const int fd = open_regular_file(path, what, size);
  if (size > max_bytes) {
    ::close(fd);
    throw_input("{}: {} of {} bytes is larger than the {} bytes hwplan reads", path, what, size,
                max_bytes);
  }
  std::string content(size, '\0');
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, content.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the file shrank while read: keep what is there
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  content.resize(done);
  return content;
}

void write_output_file(const std::string& path, const std::string& text) {
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (std::filesystem::is_directory(status))
    throw Error(ErrorKind::kUsage, fmt::format("{}: is a directory", path));
  const bool in_place =
      std::filesystem::exists(status) && !std::filesystem::is_regular_file(status);
  const std::string target = in_place ? path : path + ".partial";
  std::ofstream file(target, std::ios::binary);
  file << text;
  file.close();
  if (!file || (!in_place && std::rename(target.c_str(), path.c_str()) != 0)) {
    if (!in_place) std::remove(target.c_str());
    throw Error(
        ErrorKind::kResource,
        fmt::format("{}: cannot write (directory missing, no permission or disk full)", path));
  }
}

}  // namespace hwplan
