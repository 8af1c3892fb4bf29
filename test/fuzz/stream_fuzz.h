// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Shared by the stream directory fuzz targets: a scratch directory for the
// process (under $TMPDIR, removed at exit), and a reader that drains every
// shard of a stream.

#ifndef BROOK_TEST_FUZZ_STREAM_FUZZ_H_
#define BROOK_TEST_FUZZ_STREAM_FUZZ_H_

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

#include "brook/consumer.h"
#include "brook/stream.h"

#include "fuzz/fuzz_util.h"
#include <stdlib.h>
#include <unistd.h>

namespace brook {
namespace fuzz {

// This process's scratch directory, made on first use.
inline const std::string& ScratchDir() {
  static const std::string* dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/brook-fuzz-XXXXXX";
    if (::mkdtemp(&pattern[0]) == nullptr) {
      std::perror("mkdtemp");
      std::abort();
    }
    auto* d = new std::string(pattern);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(ScratchDir(), ignored);
    });
    return d;
  }();
  return *dir;
}

// An empty directory `name` in the scratch directory; returns its path.
inline std::string FreshDir(absl::string_view name) {
  const std::string dir = ScratchDir() + "/" + std::string(name);
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void WriteFile(const std::string& path, absl::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The data of every record of every shard, in shard then sequence order,
// with a separator between shards; reads at most `limit` batches per shard.
// An error ends a shard's read and is listed as "!<code>".
inline std::vector<std::string> DrainAll(Stream* stream, int limit = 64) {
  Consumer consumer(stream);
  std::vector<std::string> out;
  for (const ShardDescription& d : consumer.ListShards()) {
    out.push_back("--" + d.shard_id);
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(d.shard_id, StartingPosition::TrimHorizon());
    for (int i = 0; i < limit && it.ok() && it->valid(); ++i) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
      if (!r.ok()) {
        out.push_back(
            absl::StrCat("!", absl::StatusCodeToString(r.status().code())));
        break;
      }
      for (const Record& rec : r->records()) out.emplace_back(rec.data);
      if (r->records().empty()) break;
      *it = r->next_shard_iterator();
    }
  }
  return out;
}

}  // namespace fuzz
}  // namespace brook

#endif  // BROOK_TEST_FUZZ_STREAM_FUZZ_H_
