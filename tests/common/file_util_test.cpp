#include "common/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "common/error.h"
#include "common/json_util.h"

namespace hwplan {
namespace {

namespace fs = std::filesystem;

std::string message_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInput);
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

class FileUtil : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hwplan_file_util_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(FileUtil, ReadsARegularFileWhole) {
  std::ofstream(path("a.txt"), std::ios::binary) << "hello\nworld";
  EXPECT_EQ(read_input_file(path("a.txt"), "test file"), "hello\nworld");
}

TEST_F(FileUtil, RefusesWhatIsNotARegularFile) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  // A FIFO with no writer: refused at once, never waited on.
  EXPECT_EQ(message_of([&] { read_input_file(path("fifo"), "test file"); }),
            path("fifo") + ": test file must be a regular file, but this is a FIFO");
  EXPECT_EQ(message_of([&] { read_input_file(dir_.string(), "test file"); }),
            dir_.string() + ": test file must be a regular file, but this is a directory");
  EXPECT_EQ(message_of([&] { read_input_file("/dev/null", "test file"); }),
            "/dev/null: test file must be a regular file, but this is a device");
  EXPECT_NE(message_of([&] {
              read_input_file(path("missing"), "test file");
            }).find("cannot open test file: No such file"),
            std::string::npos);
}

TEST_F(FileUtil, RefusesFilesOverTheBound) {
  std::ofstream(path("big.txt"), std::ios::binary) << std::string(100, 'x');
  EXPECT_EQ(message_of([&] { read_input_file(path("big.txt"), "test file", 99); }),
            path("big.txt") + ": test file of 100 bytes is larger than the 99 bytes hwplan reads");
  EXPECT_EQ(read_input_file(path("big.txt"), "test file", 100).size(), 100u);
}

TEST_F(FileUtil, JsonBeyondTheDoubleRangeIsAnInputError) {
  std::ofstream(path("big.json"), std::ios::binary) << R"({"bandwidth_gbs": 1e400})";
  EXPECT_EQ(message_of([&] { load_json_file(path("big.json")); }),
            path("big.json") + ": not valid JSON: number overflow parsing '1e400'");
}

}  // namespace
}  // namespace hwplan
