// GGUF layout (ggml/docs/gguf.md): magic "GGUF", version 3, tensor count, metadata count (u64),
// key-value pairs, tensor infos (name, n_dims, dims, type, offset relative to the data section),
// padding to the alignment, then the data, each tensor starting at an aligned offset.
#include "formats/gguf_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/cancel.h"
#include "common/check.h"
#include "common/error.h"
#include "common/ggml_types.h"

namespace hwplan::formats {
namespace {

constexpr uint32_t kMagic = 0x46554747;
constexpr uint32_t kVersion = 3;

enum class Type : uint32_t {
  kU16 = 2,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10
};

class Bytes {
 public:
  template <typename T>
  void put(T v) {
    append(&v, sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    append(s.data(), s.size());
  }
  void append(const void* p, size_t n) {
    const size_t at = out_.size();
    out_.resize(at + n);
    if (n > 0) std::memcpy(out_.data() + at, p, n);
  }
  void pad_to(uint64_t alignment) {
    while (out_.size() % alignment != 0) out_.push_back(0);
  }
  std::vector<uint8_t>& data() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

void put_value(Bytes& b, const GgufWriteValue& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, uint16_t>) {
          b.put(Type::kU16), b.put(v);
        } else if constexpr (std::is_same_v<V, uint32_t>) {
          b.put(Type::kU32), b.put(v);
        } else if constexpr (std::is_same_v<V, int32_t>) {
          b.put(Type::kI32), b.put(v);
        } else if constexpr (std::is_same_v<V, uint64_t>) {
          b.put(Type::kU64), b.put(v);
        } else if constexpr (std::is_same_v<V, float>) {
          b.put(Type::kF32), b.put(v);
        } else if constexpr (std::is_same_v<V, bool>) {
          b.put(Type::kBool), b.put<uint8_t>(v ? 1 : 0);
        } else if constexpr (std::is_same_v<V, std::string>) {
          b.put(Type::kString), b.put_string(v);
        } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          b.put(Type::kArray), b.put(Type::kString), b.put<uint64_t>(v.size());
          for (const std::string& s : v) b.put_string(s);
        } else if constexpr (std::is_same_v<V, std::vector<float>>) {
          b.put(Type::kArray), b.put(Type::kF32), b.put<uint64_t>(v.size());
          for (float f : v) b.put(f);
        } else {
          b.put(Type::kArray), b.put(Type::kI32), b.put<uint64_t>(v.size());
          for (int32_t i : v) b.put(i);
        }
      },
      value);
}

uint64_t aligned(uint64_t offset, uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

/// Header, metadata and tensor infos, padded to the alignment: everything before the data.
std::vector<uint8_t> header_bytes(
    const std::vector<std::pair<std::string, GgufWriteValue>>& metadata,
    const std::vector<GgufWriteTensor>& tensors, uint64_t alignment) {
  HWPLAN_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0) << "alignment " << alignment;
  const bool write_alignment = alignment != 32;
  Bytes b;
  b.put(kMagic);
  b.put(kVersion);
  b.put<uint64_t>(tensors.size());
  b.put<uint64_t>(metadata.size() + (write_alignment ? 1 : 0));
  for (const auto& [key, value] : metadata) {
    b.put_string(key);
    put_value(b, value);
  }
  if (write_alignment) {
    b.put_string("general.alignment");
    put_value(b, static_cast<uint32_t>(alignment));
  }
  uint64_t offset = 0;
  for (const GgufWriteTensor& t : tensors) {
    const auto type = ggml_type_by_id(t.ggml_type);
    HWPLAN_CHECK(type.has_value()) << "unknown ggml type " << t.ggml_type;
    int64_t n = 1;
    for (int64_t d : t.shape) n *= d;
    HWPLAN_CHECK(ggml_row_bytes(*type, n) == static_cast<int64_t>(tensor_data_bytes(t)))
        << t.name << ": " << tensor_data_bytes(t) << " bytes for " << n << " elements of "
        << type->name;
    b.put_string(t.name);
    b.put<uint32_t>(static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) b.put<uint64_t>(static_cast<uint64_t>(d));
    b.put<uint32_t>(t.ggml_type);
    b.put<uint64_t>(offset);
    offset = aligned(offset + tensor_data_bytes(t), alignment);
  }
  b.pad_to(alignment);
  return std::move(b.data());
}

}  // namespace

uint64_t tensor_data_bytes(const GgufWriteTensor& tensor) {
  return tensor.data.empty() ? tensor.zero_bytes : tensor.data.size();
}

std::vector<uint8_t> gguf_bytes(const std::vector<std::pair<std::string, GgufWriteValue>>& metadata,
                                const std::vector<GgufWriteTensor>& tensors, uint64_t alignment) {
  std::vector<uint8_t> out = header_bytes(metadata, tensors, alignment);
  const size_t data_start = out.size();
  for (const GgufWriteTensor& t : tensors) {
    out.resize(data_start + aligned(out.size() - data_start, alignment), 0);
    if (t.data.empty()) {
      out.resize(out.size() + t.zero_bytes, 0);
    } else {
      out.insert(out.end(), t.data.begin(), t.data.end());
    }
  }
  return out;
}

void write_gguf(const std::string& path,
                const std::vector<std::pair<std::string, GgufWriteValue>>& metadata,
                const std::vector<GgufWriteTensor>& tensors, uint64_t alignment) {
  const std::vector<uint8_t> header = header_bytes(metadata, tensors, alignment);
  // Written beside the target and renamed over it at the end: Ctrl-C or a failed write leaves
  // no partial file.
  const std::string partial = path + ".partial";
  std::ofstream out(partial, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw Error(ErrorKind::kResource,
                fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  }
  out.write(reinterpret_cast<const char*>(header.data()),
            static_cast<std::streamsize>(header.size()));
  uint64_t written = 0;
  static const char kZeros[256] = {};
  for (const GgufWriteTensor& t : tensors) {
    if (cancel_requested()) {
      out.close();
      std::remove(partial.c_str());
      throw Error(ErrorKind::kCancelled, fmt::format("{}: interrupted; nothing written", path));
    }
    const uint64_t padding = aligned(written, alignment) - written;
    if (t.data.empty()) {
      // Zero tensors: skip over them, leaving a hole the file system reads as zeros.
      out.seekp(static_cast<std::streamoff>(padding + t.zero_bytes), std::ios::cur);
      written += padding + t.zero_bytes;
      continue;
    }
    for (uint64_t left = padding; left > 0;) {
      const uint64_t chunk = std::min<uint64_t>(left, sizeof(kZeros));
      out.write(kZeros, static_cast<std::streamsize>(chunk));
      left -= chunk;
    }
    out.write(reinterpret_cast<const char*>(t.data.data()),
              static_cast<std::streamsize>(t.data.size()));
    written += padding + t.data.size();
  }
  out.close();
  // A file that ends in zero tensors gets its full length (the holes at its end included).
  std::error_code size_error;
  if (out) std::filesystem::resize_file(partial, header.size() + written, size_error);
  if (size_error) out.setstate(std::ios::failbit);
  if (!out || std::rename(partial.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::remove(partial.c_str());
    throw Error(ErrorKind::kResource,
                fmt::format("{}: write failed: {}", path, std::strerror(saved)));
  }
}

}  // namespace hwplan::formats
