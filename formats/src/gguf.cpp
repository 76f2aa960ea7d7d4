#include "formats/gguf.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <limits>
#include <regex>

#include "common/error.h"
#include "common/file_util.h"

namespace hwplan::formats {

// RAII for the mapping: unmapped when the last GgufFile copy goes away.
struct GgufFile::Mapping {
  void* address = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (address != nullptr && address != MAP_FAILED) munmap(address, size);
  }
};

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS
constexpr uint32_t kMaxArrayDepth = 4;
// A tensor-info record has at least a name length, n_dims, type and offset: 8 + 4 + 4 + 8 bytes.
constexpr uint64_t kMinTensorInfoBytes = 24;
// A key-value pair has at least a key length and a value type: 8 + 4 bytes.
constexpr uint64_t kMinKvBytes = 12;
constexpr uint64_t kMaxNumbersKept = uint64_t{1} << 22;

// Bounds-checked little-endian cursor over the file.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& origin)
      : bytes_(bytes), origin_(origin) {}

  uint64_t position() const { return position_; }
  uint64_t remaining() const { return bytes_.size() - position_; }

  template <typename T>
  T read(const char* what) {
    require(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return value;
  }

  std::string read_string(const char* what) {
    const auto length = read<uint64_t>(what);
    require(length, what);
    std::string text(reinterpret_cast<const char*>(bytes_.data() + position_),
                     static_cast<size_t>(length));
    position_ += length;
    return text;
  }

  void skip(uint64_t count, const char* what) {
    require(count, what);
    position_ += count;
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw_input("{}: {} (at byte {})", origin_, problem, position_);
  }

 private:
  void require(uint64_t count, const char* what) const {
    if (count > remaining()) {
      fail(fmt::format("truncated: {} needs {} bytes, {} left in the file", what, count,
                       remaining()));
    }
  }

  std::span<const uint8_t> bytes_;
  const std::string& origin_;
  uint64_t position_ = 0;
};

uint64_t scalar_size(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray:
      return 0;
  }
  return 0;
}

GgufValueType read_type(Cursor& in, const std::string& key) {
  const auto raw = in.read<uint32_t>("a value type");
  if (raw > static_cast<uint32_t>(GgufValueType::kFloat64)) {
    in.fail(fmt::format("metadata \"{}\": unknown value type {}", key, raw));
  }
  return static_cast<GgufValueType>(raw);
}

// Reads one scalar as the widest matching C++ type.
GgufValue read_scalar(Cursor& in, GgufValueType type, const std::string& key) {
  GgufValue v{type, uint64_t{0}};
  switch (type) {
    case GgufValueType::kUint8:
      v.value = uint64_t{in.read<uint8_t>("uint8")};
      break;
    case GgufValueType::kInt8:
      v.value = int64_t{in.read<int8_t>("int8")};
      break;
    case GgufValueType::kUint16:
      v.value = uint64_t{in.read<uint16_t>("uint16")};
      break;
    case GgufValueType::kInt16:
      v.value = int64_t{in.read<int16_t>("int16")};
      break;
    case GgufValueType::kUint32:
      v.value = uint64_t{in.read<uint32_t>("uint32")};
      break;
    case GgufValueType::kInt32:
      v.value = int64_t{in.read<int32_t>("int32")};
      break;
    case GgufValueType::kUint64:
      v.value = in.read<uint64_t>("uint64");
      break;
    case GgufValueType::kInt64:
      v.value = in.read<int64_t>("int64");
      break;
    case GgufValueType::kFloat32:
      v.value = double{in.read<float>("float32")};
      break;
    case GgufValueType::kFloat64:
      v.value = in.read<double>("float64");
      break;
    case GgufValueType::kBool: {
      const auto byte = in.read<uint8_t>("bool");
      if (byte > 1) in.fail(fmt::format("metadata \"{}\": bool must be 0 or 1, got {}", key, byte));
      v.value = byte == 1;
      break;
    }
    case GgufValueType::kString:
      v.value = in.read_string("a string value");
      break;
    case GgufValueType::kArray:
      in.fail("internal: array read as scalar");
  }
  return v;
}

double as_double(const GgufValue& v) {
  if (const auto* u = std::get_if<uint64_t>(&v.value)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&v.value)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v.value)) return *d;
  if (const auto* b = std::get_if<bool>(&v.value)) return *b ? 1.0 : 0.0;
  return 0.0;
}

GgufValue read_value(Cursor& in, GgufValueType type, const std::string& key, uint32_t depth) {
  if (type != GgufValueType::kArray) return read_scalar(in, type, key);
  if (depth >= kMaxArrayDepth) in.fail(fmt::format("metadata \"{}\": arrays nested too deep", key));
  GgufArray array;
  array.element_type = read_type(in, key);
  array.count = in.read<uint64_t>("an array length");
  const uint64_t element = scalar_size(array.element_type);
  // A count the rest of the file cannot hold is corrupt; reject before looping over it.
  const uint64_t min_element = element > 0 ? element : 8;
  if (array.count > in.remaining() / min_element) {
    in.fail(fmt::format("metadata \"{}\": array of {} elements cannot fit in the {} bytes left",
                        key, array.count, in.remaining()));
  }
  const bool numeric = element > 0;
  for (uint64_t i = 0; i < array.count; ++i) {
    if (array.element_type == GgufValueType::kString) {
      in.skip(in.read<uint64_t>("a string length"), "an array string");
    } else {
      const auto item = read_value(in, array.element_type, key, depth + 1);
      if (numeric && array.count <= kMaxNumbersKept) array.numbers.push_back(as_double(item));
    }
  }
  return {GgufValueType::kArray, std::move(array)};
}

uint64_t align_up(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

}  // namespace

GgufFile GgufFile::open(const std::string& path) {
  size_t size = 0;
  const int fd = open_regular_file(path, "GGUF file", size);
  auto mapping = std::make_shared<Mapping>();
  mapping->size = size;
  if (mapping->size > 0) {
    // Read-only shared mapping: pages come from the page cache on demand, the file is never read
    // whole.
    mapping->address = mmap(nullptr, mapping->size, PROT_READ, MAP_SHARED, fd, 0);
  }
  ::close(fd);
  if (mapping->size > 0 && mapping->address == MAP_FAILED) {
    throw Error(ErrorKind::kResource,
                fmt::format("{}: mmap failed: {}", path, std::strerror(errno)));
  }
  GgufFile file;
  file.mapping_ = std::move(mapping);
  file.bytes_ = {static_cast<const uint8_t*>(file.mapping_->address), file.mapping_->size};
  file.origin_ = path;
  file.parse_all();
  return file;
}

GgufFile GgufFile::parse(std::span<const uint8_t> bytes, const std::string& origin) {
  GgufFile file;
  file.bytes_ = bytes;
  file.origin_ = origin;
  file.parse_all();
  return file;
}

void GgufFile::parse_all() {
  Cursor in(bytes_, origin_);
  if (bytes_.size() < 4 || in.read<uint32_t>("the magic") != kMagic) {
    throw_input("{}: not a GGUF file (the first 4 bytes are not \"GGUF\")", origin_);
  }
  version_ = in.read<uint32_t>("the version");
  if (version_ != 2 && version_ != 3) {
    in.fail(fmt::format("unsupported GGUF version {} (2 and 3 are supported)", version_));
  }
  const auto n_tensors = in.read<uint64_t>("the tensor count");
  const auto n_kv = in.read<uint64_t>("the metadata count");
  if (n_kv > in.remaining() / kMinKvBytes) {
    in.fail(fmt::format("metadata count {} cannot fit in a {}-byte file", n_kv, bytes_.size()));
  }
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = in.read_string("a metadata key");
    const auto type = read_type(in, key);
    auto value = read_value(in, type, key, 0);
    if (!metadata_.emplace(key, std::move(value)).second) {
      in.fail(fmt::format("metadata key \"{}\" appears twice", key));
    }
  }
  if (auto alignment = get_int("general.alignment")) {
    if (*alignment <= 0 || (*alignment & (*alignment - 1)) != 0) {
      in.fail(fmt::format("general.alignment must be a power of two, got {}", *alignment));
    }
    alignment_ = static_cast<uint64_t>(*alignment);
  }
  if (n_tensors > in.remaining() / kMinTensorInfoBytes) {
    in.fail(fmt::format("tensor count {} cannot fit in a {}-byte file", n_tensors, bytes_.size()));
  }
  std::vector<uint64_t> relative_offsets;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo tensor;
    tensor.name = in.read_string("a tensor name");
    const auto n_dims = in.read<uint32_t>("n_dims");
    if (n_dims == 0 || n_dims > kMaxDims) {
      in.fail(fmt::format("tensor \"{}\": n_dims must be 1..{}, got {}", tensor.name, kMaxDims,
                          n_dims));
    }
    int64_t elements = 1;
    for (uint32_t dim = 0; dim < n_dims; ++dim) {
      const auto size = in.read<uint64_t>("a dimension");
      if (size == 0 ||
          size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / elements)) {
        in.fail(fmt::format("tensor \"{}\": dimension {} is {} (zero or overflowing)", tensor.name,
                            dim, size));
      }
      tensor.shape.push_back(static_cast<int64_t>(size));
      elements *= static_cast<int64_t>(size);
    }
    const auto type_id = in.read<uint32_t>("a tensor type");
    const auto type = ggml_type_by_id(type_id);
    if (!type) in.fail(fmt::format("tensor \"{}\": unknown ggml type {}", tensor.name, type_id));
    tensor.type = *type;
    tensor.n_elements = elements;
    if (tensor.shape[0] % type->block_elements != 0) {
      in.fail(fmt::format(
          "tensor \"{}\": row of {} elements is not a whole number of {}-element {} blocks",
          tensor.name, tensor.shape[0], type->block_elements, type->name));
    }
    const int64_t blocks = elements / type->block_elements;
    if (blocks > std::numeric_limits<int64_t>::max() / type->block_bytes) {
      in.fail(fmt::format("tensor \"{}\": {} elements of {} overflow a byte count", tensor.name,
                          elements, type->name));
    }
    tensor.n_bytes = blocks * type->block_bytes;
    relative_offsets.push_back(in.read<uint64_t>("a tensor offset"));
    tensors_.push_back(std::move(tensor));
  }
  data_offset_ = align_up(in.position(), alignment_);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    auto& tensor = tensors_[i];
    const uint64_t relative = relative_offsets[i];
    if (relative % alignment_ != 0) {
      throw_input("{}: tensor \"{}\": offset {} is not a multiple of the alignment {}", origin_,
                  tensor.name, relative, alignment_);
    }
    const auto size = static_cast<uint64_t>(tensor.n_bytes);
    if (relative > bytes_.size() || data_offset_ > bytes_.size() - relative ||
        size > bytes_.size() - relative - data_offset_) {
      throw_input(
          "{}: tensor \"{}\": data [{}, +{}) runs past the end of the {}-byte file "
          "(truncated?)",
          origin_, tensor.name, data_offset_ + relative, size, bytes_.size());
    }
    tensor.offset = data_offset_ + relative;
  }
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  for (const auto& tensor : tensors_) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

std::span<const uint8_t> GgufFile::tensor_data(const GgufTensorInfo& tensor) const {
  return bytes_.subspan(tensor.offset, static_cast<size_t>(tensor.n_bytes));
}

std::optional<int64_t> GgufFile::get_int(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return std::nullopt;
  if (const auto* u = std::get_if<uint64_t>(&it->second.value)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw_input("{}: metadata \"{}\": {} is too large", origin_, key, *u);
    }
    return static_cast<int64_t>(*u);
  }
  if (const auto* i = std::get_if<int64_t>(&it->second.value)) return *i;
  throw_input("{}: metadata \"{}\": expected an integer, got {}", origin_, key,
              gguf_value_type_name(it->second.type));
}

std::optional<double> GgufFile::get_float(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return std::nullopt;
  if (it->second.type == GgufValueType::kString || it->second.type == GgufValueType::kArray) {
    throw_input("{}: metadata \"{}\": expected a number, got {}", origin_, key,
                gguf_value_type_name(it->second.type));
  }
  return as_double(it->second);
}

std::optional<std::string> GgufFile::get_string(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&it->second.value)) return *s;
  throw_input("{}: metadata \"{}\": expected a string, got {}", origin_, key,
              gguf_value_type_name(it->second.type));
}

const GgufArray* GgufFile::get_array(const std::string& key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return nullptr;
  return std::get_if<GgufArray>(&it->second.value);
}

const char* gguf_value_type_name(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
      return "uint8";
    case GgufValueType::kInt8:
      return "int8";
    case GgufValueType::kUint16:
      return "uint16";
    case GgufValueType::kInt16:
      return "int16";
    case GgufValueType::kUint32:
      return "uint32";
    case GgufValueType::kInt32:
      return "int32";
    case GgufValueType::kFloat32:
      return "float32";
    case GgufValueType::kBool:
      return "bool";
    case GgufValueType::kString:
      return "string";
    case GgufValueType::kArray:
      return "array";
    case GgufValueType::kUint64:
      return "uint64";
    case GgufValueType::kInt64:
      return "int64";
    case GgufValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

std::string gguf_shard_path(const std::string& prefix, int64_t shard, int64_t count) {
  return fmt::format("{}-{:05d}-of-{:05d}.gguf", prefix, shard, count);
}

std::optional<GgufShardName> gguf_shard_name(const std::string& path) {
  static const std::regex kShard(R"(^(.*)-([0-9]{5})-of-([0-9]{5})\.gguf$)");
  std::smatch m;
  if (!std::regex_match(path, m, kShard)) return std::nullopt;
  GgufShardName name{m[1].str(), std::stoll(m[2].str()), std::stoll(m[3].str())};
  if (name.count < 1 || name.shard < 1 || name.shard > name.count) return std::nullopt;
  return name;
}

}  // namespace hwplan::formats
