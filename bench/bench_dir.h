// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A directory for a benchmark's durable streams under $TMPDIR (or /tmp),
// removed with its contents when it goes. Header-only; shared by the
// benchmarks that write durable streams.

#ifndef BROOK_BENCH_BENCH_DIR_H_
#define BROOK_BENCH_BENCH_DIR_H_

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include <stdlib.h>

namespace brook {

class BenchDir {
 public:
  BenchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/brook-bench-XXXXXX";
    if (::mkdtemp(&pattern[0]) == nullptr) std::abort();
    path_ = pattern;
  }
  ~BenchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  BenchDir(const BenchDir&) = delete;
  BenchDir& operator=(const BenchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace brook

#endif  // BROOK_BENCH_BENCH_DIR_H_
