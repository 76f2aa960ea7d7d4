// GGUF files the reader accepts but the planner's reading of the model must refuse
// (tests/fixtures/gguf_malformed/planner_expected.json, made by make_corpus.py): counts beyond
// the caps, metadata that contradicts the tensor table, untrusted names escaped.
#include "planner/gguf_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "../formats/tiny_gguf.h"
#include "common/error.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "planner/engines.h"
#include "planner/execution_plan.h"
#include "planner/fit.h"
#include "planner/memory.h"

namespace hwplan::planner {
namespace {

const std::string kCorpus = std::string(HWPLAN_TEST_FIXTURES_DIR) + "/gguf_malformed";

TEST(GgufModelCorpus, EveryFileIsRefusedWithItsMessage) {
  const auto expected = nlohmann::json::parse(std::ifstream(kCorpus + "/planner_expected.json"));
  ASSERT_GE(expected.size(), 6u);
  for (const auto& [name, want] : expected.items()) {
    const std::string path = kCorpus + "/" + name;
    try {
      (void)model_from_gguf(path);
      ADD_FAILURE() << name << " was accepted";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find('\x1b'), std::string::npos) << name << ": raw escape in the message";
      EXPECT_NE(message.find(path), std::string::npos) << name << ": " << message;
      EXPECT_NE(message.find(want["message"].get<std::string>()), std::string::npos)
          << name << ": " << message;
      EXPECT_EQ(error_kind_name(e.kind()), want["kind"].get<std::string>()) << name;
    }
  }
}

// The tiny Llama split into `shards` files whose split.no values are `numbers` (0-based) and
// whose first promises `promised` tensors.
struct TinySplit {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hwplan_tiny_split_" + std::to_string(::getpid()));
  testing::TinyLlama tiny;

  std::string write(int64_t shards, std::vector<uint16_t> numbers, int32_t promised) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string prefix = (dir / "tiny").string();
    if (shards == 1) {
      tiny.write(prefix + ".gguf");
      return prefix + ".gguf";
    }
    const auto tensors = tiny.tensors();
    for (int64_t i = 0; i < shards; ++i) {
      auto kv = i == 0 ? tiny.metadata : decltype(tiny.metadata){};
      kv.emplace_back("split.no", numbers[static_cast<size_t>(i)]);
      kv.emplace_back("split.count", static_cast<uint16_t>(shards));
      kv.emplace_back("split.tensors.count", promised);
      const auto begin = static_cast<std::ptrdiff_t>(4 * i / shards);
      const auto end = static_cast<std::ptrdiff_t>(4 * (i + 1) / shards);
      formats::write_gguf(formats::gguf_shard_path(prefix, i + 1, shards), kv,
                          {tensors.begin() + begin, tensors.begin() + end});
    }
    return formats::gguf_shard_path(prefix, 1, shards);
  }
  ~TinySplit() { std::filesystem::remove_all(dir); }
};

std::string error_of_model(const std::string& path) {
  try {
    (void)model_from_gguf(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(GgufSplit, ShardsMakeTheSameModelAsOneFile) {
  TinySplit tiny;
  const auto whole = model_from_gguf(tiny.write(1, {}, 0));
  const auto split = model_from_gguf(tiny.write(3, {0, 1, 2}, 4));
  EXPECT_EQ(split.spec.id, "tiny");
  EXPECT_EQ(split.spec, whole.spec);
  EXPECT_EQ(split.weights, whole.weights);
  EXPECT_DOUBLE_EQ(total_weight_bytes(split.weights), (256 + 3 * 8) * 4.0);
}

TEST(GgufSplit, InconsistentShardsAreErrorsNamingTheFile) {
  TinySplit tiny;
  std::string first = tiny.write(3, {0, 2, 2}, 4);
  EXPECT_NE(error_of_model(first).find("tiny-00002-of-00003.gguf: metadata split.no/split.count "
                                       "say shard 3 of 3, expected shard 2 of 3"),
            std::string::npos)
      << error_of_model(first);
  first = tiny.write(2, {0, 1}, 7);
  EXPECT_NE(error_of_model(first).find("\"split.tensors.count\" is 7 but the 2 shards hold 4"),
            std::string::npos)
      << error_of_model(first);
  // A shard renamed so its siblings cannot be found.
  first = tiny.write(2, {0, 1}, 4);
  const auto renamed = (tiny.dir / "renamed.gguf").string();
  std::filesystem::rename(first, renamed);
  EXPECT_NE(error_of_model(renamed).find("is not named <prefix>-NNNNN-of-00002.gguf"),
            std::string::npos)
      << error_of_model(renamed);
}

// A latent-attention file as llama.cpp's converter writes it today (and `hwplan synth` for
// DeepSeek): key_length / value_length are the cached latent's widths (latent + RoPE, latent),
// key_length_mla / value_length_mla the per-head widths the model computes with.
TEST(GgufModel, LatentAttentionReadsThePerHeadWidthsApart) {
  using formats::GgufWriteValue;
  const std::string a = "deepseek2";
  const std::vector<std::pair<std::string, GgufWriteValue>> kv = {
      {"general.architecture", a},
      {a + ".block_count", uint32_t{1}},
      {a + ".context_length", uint32_t{256}},
      {a + ".embedding_length", uint32_t{64}},
      {a + ".feed_forward_length", uint32_t{128}},
      {a + ".attention.head_count", uint32_t{4}},
      {a + ".attention.head_count_kv", uint32_t{1}},
      {a + ".attention.key_length", uint32_t{40}},
      {a + ".attention.value_length", uint32_t{32}},
      {a + ".attention.key_length_mla", uint32_t{24}},
      {a + ".attention.value_length_mla", uint32_t{16}},
      {a + ".attention.kv_lora_rank", uint32_t{32}},
      {a + ".rope.dimension_count", uint32_t{8}},
      {a + ".expert_count", uint32_t{4}},
      {a + ".expert_used_count", uint32_t{2}},
      {a + ".expert_feed_forward_length", uint32_t{32}},
      {a + ".expert_shared_count", uint32_t{1}}};
  const std::vector<float> embedding(64 * 100, 0.0F);
  const auto as_bytes = [](const std::vector<float>& v, size_t n) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), n * sizeof(float));
  };
  const std::vector<formats::GgufWriteTensor> tensors = {
      {"token_embd.weight", {64, 100}, 0, as_bytes(embedding, embedding.size())},
      {"blk.0.attn_norm.weight", {64}, 0, as_bytes(embedding, 64)}};
  const auto bytes = formats::gguf_bytes(kv, tensors);
  const auto file = formats::GgufFile::parse(bytes, "mla.gguf");
  const auto m = model_from_gguf(file).spec;
  EXPECT_EQ(m.attention, AttentionKind::kMla);
  EXPECT_EQ(m.head_dim, 24);
  EXPECT_EQ(m.mla.nope_head_dim, 16);
  EXPECT_EQ(m.mla.v_head_dim, 16);
  EXPECT_EQ(m.mla.kv_lora_rank, 32);
  EXPECT_EQ(m.moe.shared_ffn_size, 32);
  // The cache holds the latent and the RoPE key: (32 + 8) values x 2 bytes per token at F16.
  EXPECT_DOUBLE_EQ(kv_bytes_per_token_per_layer(m, {"F16", 2.0}), 80.0);
}

// A tied embedding in Q4_0 (Google's QAT Gemma 3 files are like this): llama.cpp's CPU backend
// repacks Q4_0 matrices for its products, so the output is a repacked copy beside the embedding
// (scripts/llama_conformance.sh: gemma-3-27b Q4_0 holds 792,916,992 bytes more than its file);
// in Q8_0 the embedding serves as the output. Zero tensors are written as holes (zero_bytes).
TEST(GgufModel, TiedOutputOnTheCpuIsACopyOnlyWhereItIsRepacked) {
  using formats::GgufWriteValue;
  for (const auto& [type_id, row_bytes] :
       std::vector<std::pair<uint32_t, uint64_t>>{{2, 2 * 18}, {8, 2 * 34}}) {
    const std::vector<std::pair<std::string, GgufWriteValue>> kv = {
        {"general.architecture", std::string("llama")},
        {"llama.block_count", uint32_t{1}},
        {"llama.context_length", uint32_t{256}},
        {"llama.embedding_length", uint32_t{64}},
        {"llama.feed_forward_length", uint32_t{128}},
        {"llama.attention.head_count", uint32_t{4}}};
    const std::vector<formats::GgufWriteTensor> tensors = {
        {"token_embd.weight", {64, 100}, type_id, {}, 100 * row_bytes},
        {"blk.0.attn_q.weight", {64, 64}, type_id, {}, 64 * row_bytes},
        {"blk.0.attn_norm.weight", {64}, 0, {}, 64 * 4}};
    const auto bytes = formats::gguf_bytes(kv, tensors);
    const auto model = model_from_gguf(formats::GgufFile::parse(bytes, "tied.gguf"));
    ASSERT_TRUE(model.spec.tied_embeddings);
    HardwareSpec cpu;
    cpu.id = "cpu";
    cpu.kind = MemoryKind::kUnified;
    cpu.backend = Backend::kCpu;
    cpu.memory_bytes = 64.0 * (1 << 30);
    cpu.bandwidth_bytes_per_s = 1e11;
    cpu.fp16_flop_per_s = 1e12;
    cpu.gpu_memory_limit_bytes = cpu.memory_bytes;
    cpu.host_memory_bytes = cpu.memory_bytes;
    Workload w;
    w.context_tokens = 256;
    const auto fit = fit_model(model.spec, model.weights, cpu, w);
    const auto plan = plan_from_fit(model.spec, model.weights, cpu, w, fit, OffloadMode::kCpu);
    const double file_bytes = (100.0 + 64.0) * static_cast<double>(row_bytes) + 256;
    const double embedding = 100.0 * static_cast<double>(row_bytes);
    EXPECT_DOUBLE_EQ(plan_memory(plan, model.spec, cpu).front().weights_bytes,
                     type_id == 2 ? file_bytes + embedding : file_bytes)
        << "type " << type_id;
  }
}

// A file from ik_llama.cpp's quantizer: its IQ4_K (id 139, 144 bytes per 256 weights) is read to
// the byte, and llama.cpp is refused the file, ik_llama.cpp not.
TEST(GgufModel, IkLlamaTypesAreReadExactlyAndOnlyIkLlamaLoadsThem) {
  using formats::GgufWriteValue;
  const std::vector<std::pair<std::string, GgufWriteValue>> kv = {
      {"general.architecture", std::string("llama")}, {"llama.block_count", uint32_t{1}},
      {"llama.context_length", uint32_t{256}},        {"llama.embedding_length", uint32_t{256}},
      {"llama.feed_forward_length", uint32_t{512}},   {"llama.attention.head_count", uint32_t{4}}};
  const std::vector<formats::GgufWriteTensor> tensors = {
      {"token_embd.weight", {256, 100}, 8, {}, 100 * 8 * 34},
      {"blk.0.ffn_up.weight", {256, 512}, 139, {}, 512 * 144},
      {"blk.0.attn_norm.weight", {256}, 0, {}, 256 * 4}};
  const auto model =
      model_from_gguf(formats::GgufFile::parse(formats::gguf_bytes(kv, tensors), "ik.gguf"));
  double ffn = 0;
  for (const auto& g : model.weights.groups) {
    if (g.name == "blk.0.ffn_up.weight") ffn = g.bytes;
  }
  EXPECT_DOUBLE_EQ(ffn, 512.0 * 144.0);
  EXPECT_EQ(ik_only_type(model.weights), "IQ4_K");
  try {
    check_engine_loads("llama.cpp", "gguf", model.weights, "ik.gguf");
    ADD_FAILURE() << "llama.cpp loaded an ik_llama.cpp type";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "llama.cpp cannot load ik.gguf (IQ4_K tensors, a type only ik_llama.cpp defines); "
              "it runs in ik_llama.cpp: use --engine ik_llama.cpp");
  }
  EXPECT_NO_THROW(check_engine_loads("ik_llama.cpp", "gguf", model.weights, "ik.gguf"));
}

}  // namespace
}  // namespace hwplan::planner
