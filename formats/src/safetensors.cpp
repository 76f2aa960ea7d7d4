#include "formats/safetensors.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "common/limits.h"
#include "common/text_util.h"

namespace hwplan::formats {
namespace {

uint64_t little_endian_u64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Parses the JSON header; `data_bytes` is what follows it in the file (ranges must stay inside).
SafetensorsHeader parse_json_header(const std::string& json_text, uint64_t data_bytes,
                                    const std::string& origin) {
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw_input("{}: the safetensors header is not JSON ({})", origin, e.what());
  }
  if (!header.is_object()) throw_input("{}: the safetensors header is not a JSON object", origin);
  SafetensorsHeader out;
  out.path = origin;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    const std::string shown = printable(name);
    if (name == "__metadata__") {
      if (!entry.is_object()) throw_input("{}: __metadata__ must be an object", origin);
      for (const auto& [key, value] : entry.items()) {
        if (value.is_string()) out.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (out.tensors.size() >= static_cast<size_t>(limits::kMaxTensors))
      throw_input("{}: more than {} tensors", origin, limits::kMaxTensors);
    if (!entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string() ||
        !entry.contains("shape") || !entry["shape"].is_array() || !entry.contains("data_offsets") ||
        !entry["data_offsets"].is_array() || entry["data_offsets"].size() != 2) {
      throw_input(R"({}: tensor "{}": needs dtype (string), shape (array) and data_offsets )"
                  "([begin, end])",
                  origin, shown);
    }
    SafetensorsTensor t;
    t.name = name;
    t.dtype = entry["dtype"].get<std::string>();
    const int64_t element_bytes = safetensors_dtype_bytes(t.dtype);
    if (element_bytes == 0)
      throw_input(R"({}: tensor "{}": unknown dtype "{}")", origin, shown, printable(t.dtype));
    if (entry["shape"].size() > 8)
      throw_input(R"({}: tensor "{}": more than 8 dimensions)", origin, shown);
    int64_t elements = 1;
    for (const auto& dim : entry["shape"]) {
      if (!dim.is_number_unsigned())
        throw_input(R"({}: tensor "{}": shape must hold non-negative integers)", origin, shown);
      const auto d = dim.get<uint64_t>();
      if (d > static_cast<uint64_t>(limits::kMaxDimension) * 64 ||
          (d > 0 && static_cast<uint64_t>(elements) >
                        static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / d / 8)) {
        throw_input(R"({}: tensor "{}": shape is too large)", origin, shown);
      }
      t.shape.push_back(static_cast<int64_t>(d));
      elements *= static_cast<int64_t>(d);
    }
    t.n_elements = elements;
    const auto& offsets = entry["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
      throw_input(R"({}: tensor "{}": data_offsets must be non-negative integers)", origin, shown);
    const auto begin = offsets[0].get<uint64_t>();
    const auto end = offsets[1].get<uint64_t>();
    if (end < begin || end > data_bytes) {
      throw_input(R"({}: tensor "{}": data_offsets [{}, {}] leave the {} bytes of data)", origin,
                  shown, begin, end, data_bytes);
    }
    t.n_bytes = static_cast<int64_t>(end - begin);
    if (t.n_bytes != elements * element_bytes) {
      throw_input(R"({}: tensor "{}": {} {} elements need {} bytes but data_offsets give {})",
                  origin, shown, elements, printable(t.dtype), elements * element_bytes, t.n_bytes);
    }
    ranges.emplace_back(begin, end);
    out.tensors.push_back(std::move(t));
  }
  // Tensors in offset order; no two share bytes.
  std::vector<size_t> order(out.tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ranges[a] < ranges[b]; });
  std::vector<SafetensorsTensor> sorted;
  uint64_t previous_end = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    const auto [begin, end] = ranges[order[k]];
    if (k > 0 && begin < previous_end && end > begin) {
      throw_input(R"({}: tensor "{}" overlaps the bytes of another tensor)", origin,
                  printable(out.tensors[order[k]].name));
    }
    previous_end = std::max(previous_end, end);
    sorted.push_back(std::move(out.tensors[order[k]]));
  }
  out.tensors = std::move(sorted);
  return out;
}

}  // namespace

int64_t safetensors_dtype_bytes(const std::string& dtype) {
  static const std::map<std::string, int64_t> kBytes = {
      {"F64", 8},  {"I64", 8},     {"U64", 8},     {"F32", 4},     {"I32", 4},  {"U32", 4},
      {"F16", 2},  {"BF16", 2},    {"I16", 2},     {"U16", 2},     {"I8", 1},   {"U8", 1},
      {"BOOL", 1}, {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"F8_E8M0", 1}, {"E8M0", 1}, {"F8_E4M3FN", 1}};
  const auto it = kBytes.find(dtype);
  return it == kBytes.end() ? 0 : it->second;
}

SafetensorsHeader parse_safetensors_header(const std::string& bytes, const std::string& origin) {
  if (bytes.size() < 8) throw_input("{}: shorter than a safetensors header (8 bytes)", origin);
  const uint64_t length = little_endian_u64(reinterpret_cast<const unsigned char*>(bytes.data()));
  if (length > kMaxSafetensorsHeaderBytes || length > bytes.size() - 8) {
    throw_input("{}: safetensors header length {} is beyond the file ({} bytes) or the {} byte cap",
                origin, length, bytes.size(), kMaxSafetensorsHeaderBytes);
  }
  return parse_json_header(bytes.substr(8, length), bytes.size() - 8 - length, origin);
}

SafetensorsHeader read_safetensors_header(const std::string& path) {
  size_t size = 0;
  const int fd = open_regular_file(path, "safetensors file", size);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  auto read_exactly = [&](void* into, size_t n, off_t at) {
    size_t done = 0;
    while (done < n) {
      const ssize_t got =
          ::pread(fd, static_cast<char*>(into) + done, n - done, at + static_cast<off_t>(done));
      if (got <= 0) throw_input("{}: cannot read the safetensors header", path);
      done += static_cast<size_t>(got);
    }
  };
  if (size < 8) throw_input("{}: shorter than a safetensors header (8 bytes)", path);
  unsigned char prefix[8];
  read_exactly(prefix, 8, 0);
  const uint64_t length = little_endian_u64(prefix);
  if (length > kMaxSafetensorsHeaderBytes || length > size - 8) {
    throw_input("{}: safetensors header length {} is beyond the file ({} bytes) or the {} byte cap",
                path, length, size, kMaxSafetensorsHeaderBytes);
  }
  std::string json(static_cast<size_t>(length), '\0');
  read_exactly(json.data(), json.size(), 8);
  return parse_json_header(json, size - 8 - length, path);
}

}  // namespace hwplan::formats
