#pragma once
// GGUF reader: header, metadata and tensor table of a memory-mapped file; every count, offset and
// size is bounds-checked against the file before use (spec: ggml/docs/gguf.md, versions 2 and 3).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/ggml_types.h"

namespace hwplan::formats {

/// GGUF metadata value types (gguf_metadata_value_type).
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

/// An array value: element type and count; numeric elements are kept, strings only counted.
struct GgufArray {
  GgufValueType element_type = GgufValueType::kUint8;
  uint64_t count = 0;
  std::vector<double> numbers;  ///< filled for numeric and bool element types
};

/// One metadata value.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string, GgufArray> value;
};

/// One tensor-info record, resolved against the file.
struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> shape;  ///< ggml order: innermost dimension first
  GgmlTypeInfo type;
  uint64_t offset = 0;  ///< absolute file offset of the data
  int64_t n_elements = 0;
  int64_t n_bytes = 0;
};

/// A parsed GGUF file. Owns its mapping; tensor data stays in the mapping and is never copied.
class GgufFile {
 public:
  /// Memory-maps and parses `path`. Throws Error{kInput} naming the file and the problem.
  static GgufFile open(const std::string& path);
  /// Parses bytes already in memory (tests, fuzzing); `origin` names them in errors. The bytes
  /// must outlive the returned object.
  static GgufFile parse(std::span<const uint8_t> bytes, const std::string& origin);

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes_.size(); }
  const std::string& origin() const { return origin_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

  /// The tensor called `name`, or nullptr.
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  /// The raw bytes of a tensor (inside the mapping).
  std::span<const uint8_t> tensor_data(const GgufTensorInfo& tensor) const;

  /// A metadata value as an integer; nullopt when absent. Throws if present with a non-integer
  /// type.
  std::optional<int64_t> get_int(const std::string& key) const;
  /// A metadata value as a floating-point number; nullopt when absent.
  std::optional<double> get_float(const std::string& key) const;
  /// A metadata string; nullopt when absent.
  std::optional<std::string> get_string(const std::string& key) const;
  /// A metadata array; nullptr when absent or not an array.
  const GgufArray* get_array(const std::string& key) const;

 private:
  struct Mapping;
  GgufFile() = default;
  void parse_all();

  std::shared_ptr<Mapping> mapping_;
  std::span<const uint8_t> bytes_;
  std::string origin_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
};

/// llama.cpp's split files (gguf-split): "<prefix>-00002-of-00005.gguf", shard numbers from 1.
std::string gguf_shard_path(const std::string& prefix, int64_t shard, int64_t count);

/// Where `path` names one shard of a split model: its prefix, shard number (from 1) and count;
/// nullopt for a file name that is not one.
struct GgufShardName {
  std::string prefix;
  int64_t shard = 0;
  int64_t count = 0;
};
std::optional<GgufShardName> gguf_shard_name(const std::string& path);

/// Name of a value type ("uint32", "string", ...).
const char* gguf_value_type_name(GgufValueType type);

}  // namespace hwplan::formats
