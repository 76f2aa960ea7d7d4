#include "formats/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/error.h"
#include "formats/gguf_writer.h"
#include "gguf_builder.h"

namespace hwplan::formats {
namespace {

using testing::GgufBuilder;
using testing::valid_gguf;

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    GgufFile::parse(bytes, "bad.gguf");
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    return e.what();
  }
  ADD_FAILURE() << "accepted a malformed file";
  return "";
}

TEST(GgufReader, ReadsAWellFormedFile) {
  const auto bytes = valid_gguf();
  const auto file = GgufFile::parse(bytes, "ok.gguf");
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.alignment(), 32u);
  EXPECT_EQ(file.get_string("general.architecture"), "llama");
  ASSERT_EQ(file.tensors().size(), 1u);
  const auto& w = file.tensors()[0];
  EXPECT_EQ(w.name, "w");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{8, 2}));
  EXPECT_EQ(w.n_bytes, 64);
  EXPECT_EQ(w.offset % 32, 0u);
  EXPECT_EQ(file.tensor_data(w)[0], 0x11);
  EXPECT_EQ(w.offset + 64, bytes.size());
}

TEST(GgufReader, RejectsBadMagicAndVersion) {
  auto bytes = valid_gguf();
  bytes[0] = 'X';
  EXPECT_EQ(error_of(bytes), "bad.gguf: not a GGUF file (the first 4 bytes are not \"GGUF\")");
  bytes = valid_gguf();
  bytes[4] = 1;
  EXPECT_EQ(error_of(bytes),
            "bad.gguf: unsupported GGUF version 1 (2 and 3 are supported) (at byte 8)");
  EXPECT_EQ(error_of({}), "bad.gguf: not a GGUF file (the first 4 bytes are not \"GGUF\")");
}

TEST(GgufReader, RejectsEveryTruncation) {
  const auto bytes = valid_gguf();
  // Every prefix shorter than the whole file is an error, never a crash or a silent success.
  for (size_t size = 0; size < bytes.size(); ++size) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
    const auto message = error_of(cut);
    EXPECT_FALSE(message.empty()) << size;
  }
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 1);
  EXPECT_NE(error_of(cut).find("runs past the end of the 223-byte file (truncated?)"),
            std::string::npos)
      << error_of(cut);
}

TEST(GgufReader, RejectsHugeCountsBeforeAllocating) {
  GgufBuilder b;
  b.u32(0x46554747).u32(3).u64(0).u64(uint64_t{1} << 60);
  EXPECT_EQ(error_of(b.out),
            "bad.gguf: metadata count 1152921504606846976 cannot fit in a 24-byte "
            "file (at byte 24)");
  GgufBuilder t;
  t.u32(0x46554747).u32(3).u64(uint64_t{1} << 62).u64(0);
  EXPECT_NE(error_of(t.out).find("tensor count 4611686018427387904 cannot fit"), std::string::npos);
  GgufBuilder a;  // an array claiming 2^40 elements
  a.u32(0x46554747).u32(3).u64(0).u64(1).str("k").u32(9).u32(4).u64(uint64_t{1} << 40);
  EXPECT_NE(error_of(a.out).find("metadata \"k\": array of 1099511627776 elements cannot fit"),
            std::string::npos);
  GgufBuilder s;  // a string longer than the file
  s.u32(0x46554747).u32(3).u64(0).u64(1).u64(uint64_t{1} << 50);
  s.out.resize(s.out.size() + 64, 0);  // enough bytes that the count itself is plausible
  EXPECT_NE(error_of(s.out).find("truncated: a metadata key needs 1125899906842624 bytes"),
            std::string::npos);
}

TEST(GgufReader, RejectsOffsetsPastTheEndAndMisalignment) {
  EXPECT_NE(error_of(valid_gguf(0, 8, 1 << 20)).find("runs past the end"), std::string::npos);
  EXPECT_EQ(error_of(valid_gguf(0, 8, 4, 96)),
            "bad.gguf: tensor \"w\": offset 4 is not a multiple of the alignment 32");
  EXPECT_NE(error_of(valid_gguf(0, 8, ~uint64_t{0} - 31)).find("runs past the end"),
            std::string::npos);
}

TEST(GgufReader, RejectsUnknownTypesAndBadShapes) {
  EXPECT_EQ(error_of(valid_gguf(4)), "bad.gguf: tensor \"w\": unknown ggml type 4 (at byte 135)");
  EXPECT_EQ(error_of(valid_gguf(99)), "bad.gguf: tensor \"w\": unknown ggml type 99 (at byte 135)");
  // Q4_0 rows must be whole 32-element blocks.
  EXPECT_NE(error_of(valid_gguf(2, 8))
                .find("row of 8 elements is not a whole number of 32-element Q4_0 blocks"),
            std::string::npos);
  GgufBuilder b;
  b.u32(0x46554747).u32(3).u64(1).u64(0).str("w").u32(5);
  b.out.resize(b.out.size() + 64, 0);
  EXPECT_NE(error_of(b.out).find("n_dims must be 1..4, got 5"), std::string::npos);
  GgufBuilder z;
  z.u32(0x46554747).u32(3).u64(1).u64(0).str("w").u32(1).u64(0);
  z.out.resize(z.out.size() + 64, 0);
  EXPECT_NE(error_of(z.out).find("dimension 0 is 0"), std::string::npos);
}

TEST(GgufReader, RejectsBadMetadata) {
  GgufBuilder t;  // value type 13 does not exist
  t.u32(0x46554747).u32(3).u64(0).u64(1).str("k").u32(13);
  EXPECT_NE(error_of(t.out).find("metadata \"k\": unknown value type 13"), std::string::npos);
  GgufBuilder b;  // a bool of 2
  b.u32(0x46554747).u32(3).u64(0).u64(1).str("k").u32(7).raw("\x02", 1);
  EXPECT_NE(error_of(b.out).find("bool must be 0 or 1, got 2"), std::string::npos);
  GgufBuilder d;  // the same key twice
  d.u32(0x46554747).u32(3).u64(0).u64(2).str("k").u32(4).u32(1).str("k").u32(4).u32(2);
  EXPECT_NE(error_of(d.out).find("metadata key \"k\" appears twice"), std::string::npos);
  GgufBuilder a;  // alignment not a power of two
  a.u32(0x46554747).u32(3).u64(0).u64(1).str("general.alignment").u32(4).u32(24);
  EXPECT_NE(error_of(a.out).find("general.alignment must be a power of two, got 24"),
            std::string::npos);
}

TEST(GgufReader, TypedGettersComplainAboutTypes) {
  const auto bytes = valid_gguf();
  const auto file = GgufFile::parse(bytes, "ok.gguf");
  EXPECT_EQ(file.get_int("general.alignment"), 32);
  EXPECT_FALSE(file.get_int("absent").has_value());
  try {
    file.get_int("general.architecture");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "ok.gguf: metadata \"general.architecture\": expected an integer, got string");
  }
}

TEST(GgufReader, MissingFileIsAClearError) {
  try {
    GgufFile::open("/nonexistent/model.gguf");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "/nonexistent/model.gguf: cannot open GGUF file: No such file or directory");
  }
}

// Zero tensors (zero_bytes) are holes in the written file: the same bytes as gguf_bytes gives,
// the file as long as its data, and a trailing zero tensor gives the file its full length.
TEST(GgufWriter, ZeroTensorsAreHolesOfTheRightLength) {
  const std::vector<std::pair<std::string, GgufWriteValue>> kv = {
      {"general.architecture", std::string("llama")}};
  const std::vector<float> ones(8, 1.0F);
  const std::vector<GgufWriteTensor> tensors = {
      {"a", {8}, 0, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(ones.data()), 32)},
      {"zeros", {1024, 64}, 8, {}, 64 * 32 * 34},  // Q8_0: 32 blocks of 34 bytes per row
      {"tail", {1000}, 0, {}, 4000}};
  const auto bytes = gguf_bytes(kv, tensors);
  const auto path = (std::filesystem::temp_directory_path() /
                     ("hwplan_zero_tensors_" + std::to_string(::getpid()) + ".gguf"))
                        .string();
  write_gguf(path, kv, tensors);
  EXPECT_EQ(std::filesystem::file_size(path), bytes.size());
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> read((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  EXPECT_EQ(read, bytes);
  const auto file = GgufFile::open(path);
  ASSERT_EQ(file.tensors().size(), 3u);
  EXPECT_EQ(file.tensors()[1].n_bytes, 64 * 32 * 34);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hwplan::formats
