#pragma once
// safetensors headers (https://huggingface.co/docs/safetensors: an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the data). Only the
// header is read, never the weights; every size is checked against the file.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hwplan::formats {

/// One tensor of a safetensors file.
struct SafetensorsTensor {
  std::string name;
  std::string dtype;  ///< "BF16", "F16", "F32", "U32", "I8", "F8_E4M3", ...
  std::vector<int64_t> shape;
  int64_t n_elements = 0;
  int64_t n_bytes = 0;  ///< data_offsets[1] - data_offsets[0], checked against dtype x shape
};

/// A file's header: its tensors in offset order and its __metadata__ strings.
struct SafetensorsHeader {
  std::string path;
  std::vector<SafetensorsTensor> tensors;
  std::map<std::string, std::string> metadata;
};

/// Largest header read (the format's own reference reader refuses beyond 100 MB).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// Bytes per element of a dtype; 0 for an unknown one.
int64_t safetensors_dtype_bytes(const std::string& dtype);

/// Reads the header of `path`. Error{kInput} naming the file (and tensor) for a file that is not
/// a regular file, a header longer than the file or the cap, malformed JSON, an unknown dtype, a
/// shape whose size disagrees with its byte range, or ranges that overlap or leave the file.
SafetensorsHeader read_safetensors_header(const std::string& path);

/// The same from bytes already in memory (tests, fuzzing); `origin` names them in errors.
SafetensorsHeader parse_safetensors_header(const std::string& bytes, const std::string& origin);

}  // namespace hwplan::formats
