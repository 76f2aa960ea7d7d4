#pragma once
// A two-layer Llama of width 8 in F32 as GGUF metadata and four tensors: the smallest file the
// planner reads as a model (tests of shards and model stores).

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "formats/gguf_writer.h"

namespace hwplan::testing {

struct TinyLlama {
  std::vector<float> values = std::vector<float>(8 * 32, 0.5f);
  std::vector<std::pair<std::string, formats::GgufWriteValue>> metadata = {
      {"general.architecture", std::string("llama")}, {"llama.block_count", uint32_t{2}},
      {"llama.context_length", uint32_t{64}},         {"llama.embedding_length", uint32_t{8}},
      {"llama.feed_forward_length", uint32_t{16}},    {"llama.attention.head_count", uint32_t{2}}};

  std::span<const uint8_t> bytes(size_t floats) const {
    return {reinterpret_cast<const uint8_t*>(values.data()), floats * 4};
  }
  /// token_embd (8 x 32), two attention norms and the output norm: 280 F32 values.
  std::vector<formats::GgufWriteTensor> tensors() const {
    return {{"token_embd.weight", {8, 32}, 0, bytes(256)},
            {"blk.0.attn_norm.weight", {8}, 0, bytes(8)},
            {"blk.1.attn_norm.weight", {8}, 0, bytes(8)},
            {"output_norm.weight", {8}, 0, bytes(8)}};
  }
  void write(const std::string& path) const { formats::write_gguf(path, metadata, tensors()); }
};

}  // namespace hwplan::testing
