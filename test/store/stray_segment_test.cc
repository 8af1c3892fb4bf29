// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Issue 7: segment files created for an append that never committed to them
// (the append failed, or the process died in between) must not break the
// stream later. Recovery treats a trailing segment without a committed batch
// as a torn tail; a failed append removes the segments it created.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include <catch2/catch.hpp>

#include "brook/stream.h"

#include "store/store_testing.h"
#include "stream/sequence.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::AppendBatch;
using testing::CheckShardNumbered;
using testing::OpenOrDie;
using testing::TempDir;

constexpr char kShardDir[] = "/shardId-000000000000";

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir + kShardDir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 4 && name.substr(name.size() - 4) == ".seg") {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string SegmentPath(const std::string& dir, uint64_t base) {
  return absl::StrFormat("%s%s/%020d.seg", dir, kShardDir, base);
}

// 64 KiB segments; 3 records of 10 KiB take about half of one.
StreamOptions SmallSegments() {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  return options;
}

TEST_CASE(
    "Recovery: an empty segment after the last one is a stray torn tail, and "
    "appends that fill the segment before it survive the next roll",
    "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const StreamOptions options = SmallSegments();
  uint64_t end = 0;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    end = internal::PositionOf(AppendBatch(stream.get(), 0, 3, 10 << 10)) + 3;
    testing::Crash(std::move(stream));
  }
  REQUIRE(SegmentFiles(dir).size() == 1);
  // What a kill between creating the next segment and committing to it
  // leaves: a file of the segment's full size (zero) or still empty.
  const size_t stray_bytes = GENERATE(size_t{0}, size_t{64} << 10);
  INFO("stray file of " << stray_bytes << " bytes");
  const std::string stray = SegmentPath(dir, end);
  {
    std::ofstream out(stray, std::ios::binary);
    out << std::string(stray_bytes, '\0');
    REQUIRE(out.good());
  }

  {
    // Read-only: ignored (not repaired) and reported.
    std::unique_ptr<Stream> stream =
        OpenOrDie(dir, options, OpenMode::kReadOnly);
    const RecoveryReport& report = stream->recovery_report();
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].file == stray);
    CHECK_FALSE(report.problems[0].data_loss);
    CheckShardNumbered(stream.get(), 3);
    CHECK(std::filesystem::exists(stray));
  }
  {
    std::unique_ptr<Stream> stream =
        OpenOrDie(dir, options, OpenMode::kMustExist);
    const RecoveryReport& report = stream->recovery_report();
    REQUIRE(report.problems.size() == 1);
    CHECK(report.problems[0].file == stray);
    CHECK_FALSE(report.problems[0].data_loss);
    CHECK_FALSE(std::filesystem::exists(stray));
    CheckShardNumbered(stream.get(), 3);
    // Fits in the first segment, past the stray's base.
    AppendBatch(stream.get(), 3, 1, 100);
    // Rolls to a new segment.
    AppendBatch(stream.get(), 4, 3, 10 << 10);
    AppendBatch(stream.get(), 7, 3, 10 << 10);
    CHECK(SegmentFiles(dir).size() == 2);
    BROOK_REQUIRE_OK(stream->Close());
  }
  for (const OpenMode mode : {OpenMode::kMustExist, OpenMode::kReadOnly}) {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options, mode);
    CHECK(stream->recovery_report().problems.empty());
    CheckShardNumbered(stream.get(), 10);
  }
}

}  // namespace
}  // namespace brook
