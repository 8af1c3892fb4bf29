// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A temporary directory under $TMPDIR (or /tmp), removed with its contents
// when the object is destroyed, and small file helpers for store tests.

#ifndef BROOK_TEST_TESTING_TEMP_DIR_H_
#define BROOK_TEST_TESTING_TEMP_DIR_H_

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include <stdlib.h>

namespace brook {
namespace testing {

class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/brook-test-XXXXXX";
    REQUIRE(::mkdtemp(&pattern[0]) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFileBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// Copies directory `from` (recursively) to `to`, replacing `to`.
inline void CopyDir(const std::string& from, const std::string& to) {
  std::filesystem::remove_all(to);
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_TESTING_TEMP_DIR_H_
