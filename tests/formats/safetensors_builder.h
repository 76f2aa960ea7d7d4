#pragma once
// Writes safetensors files for tests: a real header, and the data region as a sparse hole (the
// reader never reads weights), so a multi-GB checkpoint costs no disk.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "formats/safetensors.h"

namespace hwplan::testing {

struct StTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
};

/// The header JSON for `tensors` laid out back to back; `extra_bytes` is added to the last
/// tensor's end offset (to make a header that lies).
inline std::string safetensors_header_json(const std::vector<StTensor>& tensors,
                                           int64_t& data_bytes, int64_t extra_bytes = 0) {
  nlohmann::json header = nlohmann::json::object();
  int64_t offset = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& t = tensors[i];
    int64_t n = formats::safetensors_dtype_bytes(t.dtype);
    for (auto d : t.shape) n *= d;
    const int64_t end = offset + n + (i + 1 == tensors.size() ? extra_bytes : 0);
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  header["__metadata__"] = {{"format", "pt"}};
  data_bytes = offset - extra_bytes;
  return header.dump();
}

/// Writes `path` with `tensors`; the file holds exactly the data its header promises unless
/// `extra_bytes` makes the header claim more.
inline void write_safetensors(const std::filesystem::path& path,
                              const std::vector<StTensor>& tensors, int64_t extra_bytes = 0) {
  int64_t data_bytes = 0;
  const std::string json = safetensors_header_json(tensors, data_bytes, extra_bytes);
  {
    std::ofstream out(path, std::ios::binary);
    uint64_t length = json.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((length >> (8 * i)) & 0xff));
    out << json;
  }
  std::filesystem::resize_file(path, 8 + json.size() + static_cast<uint64_t>(data_bytes));
}

/// Llama 3.2 1B's tensors with Hugging Face names (tied embedding) at `dtype`; with `mlx_bits`
/// > 0 each 2-D weight is MLX-quantized instead: U32 [rows, cols x bits / 32] and BF16 scales
/// and biases [rows, cols / 64].
inline std::vector<StTensor> llama_3_2_1b_tensors(const std::string& dtype, int64_t mlx_bits = 0) {
  std::vector<StTensor> out;
  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols) {
    if (mlx_bits == 0) {
      out.push_back({name + ".weight", dtype, {rows, cols}});
      return;
    }
    out.push_back({name + ".weight", "U32", {rows, cols * mlx_bits / 32}});
    out.push_back({name + ".scales", "BF16", {rows, cols / 64}});
    out.push_back({name + ".biases", "BF16", {rows, cols / 64}});
  };
  matrix("model.embed_tokens", 128256, 2048);
  for (int layer = 0; layer < 16; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    matrix(p + "self_attn.q_proj", 2048, 2048);
    matrix(p + "self_attn.k_proj", 512, 2048);
    matrix(p + "self_attn.v_proj", 512, 2048);
    matrix(p + "self_attn.o_proj", 2048, 2048);
    matrix(p + "mlp.gate_proj", 8192, 2048);
    matrix(p + "mlp.up_proj", 8192, 2048);
    matrix(p + "mlp.down_proj", 2048, 8192);
    out.push_back({p + "input_layernorm.weight", dtype, {2048}});
    out.push_back({p + "post_attention_layernorm.weight", dtype, {2048}});
  }
  out.push_back({"model.norm.weight", dtype, {2048}});
  return out;
}

}  // namespace hwplan::testing
