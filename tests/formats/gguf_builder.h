#pragma once
// Builds GGUF bytes by hand for reader tests: a well-formed file by default, which each test then
// breaks in one way.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace hwplan::formats::testing {

class GgufBuilder {
 public:
  GgufBuilder& u32(uint32_t v) { return raw(&v, 4); }
  GgufBuilder& u64(uint64_t v) { return raw(&v, 8); }
  GgufBuilder& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  GgufBuilder& raw(const void* data, size_t size) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    out.insert(out.end(), bytes, bytes + size);
    return *this;
  }
  GgufBuilder& pad_to(size_t alignment) {
    while (out.size() % alignment != 0) out.push_back(0);
    return *this;
  }
  std::vector<uint8_t> out;
};

/// A valid v3 file: metadata general.architecture="llama", general.alignment=32, one F32 tensor
/// "w" of shape [8, 2] at offset 0 with 64 bytes of data.
inline std::vector<uint8_t> valid_gguf(uint32_t type = 0, uint64_t dim0 = 8, uint64_t offset = 0,
                                       uint64_t data_bytes = 64) {
  GgufBuilder b;
  b.u32(0x46554747).u32(3).u64(1).u64(2);
  b.str("general.architecture").u32(8).str("llama");
  b.str("general.alignment").u32(4).u32(32);
  b.str("w").u32(2).u64(dim0).u64(2).u32(type).u64(offset);
  b.pad_to(32);
  b.out.resize(b.out.size() + data_bytes, 0x11);
  return b.out;
}

}  // namespace hwplan::formats::testing
