#pragma once
// GGUF writer (version 3, little-endian): metadata, tensor-info records and tensor data at the
// file's alignment. Files it writes are read back by GgufFile and load in llama.cpp.

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hwplan::formats {

/// A metadata value to write.
using GgufWriteValue =
    std::variant<uint16_t, uint32_t, int32_t, uint64_t, float, bool, std::string,
                 std::vector<std::string>, std::vector<float>, std::vector<int32_t>>;

/// A tensor to write: shape in ggml order (innermost first), the ggml type id, and its bytes
/// (exactly the size the type and shape give; checked).
struct GgufWriteTensor {
  std::string name;
  std::vector<int64_t> shape;
  uint32_t ggml_type = 0;
  std::span<const uint8_t> data;
  /// With `data` empty: the tensor is this many zero bytes, written as a hole (a sparse file
  /// takes no disk for them; zero blocks are valid in every ggml type).
  uint64_t zero_bytes = 0;
};

/// The bytes a tensor's data take in the file: its data, or its zero_bytes.
uint64_t tensor_data_bytes(const GgufWriteTensor& tensor);

/// The whole file as bytes (tests, fuzz seeds). `alignment` must be a power of two; it is also
/// written as general.alignment when not 32.
std::vector<uint8_t> gguf_bytes(const std::vector<std::pair<std::string, GgufWriteValue>>& metadata,
                                const std::vector<GgufWriteTensor>& tensors,
                                uint64_t alignment = 32);

/// Writes the file to `path`, streaming tensor data (no full copy in memory). Throws
/// Error{kResource} naming the path when it cannot be written.
void write_gguf(const std::string& path,
                const std::vector<std::pair<std::string, GgufWriteValue>>& metadata,
                const std::vector<GgufWriteTensor>& tensors, uint64_t alignment = 32);

}  // namespace hwplan::formats
