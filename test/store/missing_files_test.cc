// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Issue 7: every gap between what STREAM and a shard's bounds marker say and
// what the segment files hold is data loss. A writable open refuses (rather
// than give positions out again); a read-only open reports the file and the
// positions, and serves what remains. Retention's own drops are no gap.

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/stream.h"

#include "store/batch_format.h"
#include "store/mmap_segment_store.h"
#include "store/store_testing.h"
#include "stream/stream_meta.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::AppendBatch;
using testing::Crash;
using testing::OpenOrDie;
using testing::ReadShard;
using testing::TempDir;

constexpr char kShard0[] = "/shardId-000000000000";

std::vector<std::string> FilesWith(const std::string& dir,
                                   const std::string& extension) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == extension) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// 300 batches of three 200-byte records in shard 0: five 64 KiB segments.
StreamOptions SmallSegments() {
  StreamOptions options;
  options.segment_bytes = 64 << 10;
  return options;
}

void Fill(const std::string& dir, bool clean) {
  std::unique_ptr<Stream> stream = OpenOrDie(dir, SmallSegments());
  for (int b = 0; b < 300; ++b) AppendBatch(stream.get(), b * 3, 3, 200);
  if (clean) {
    BROOK_REQUIRE_OK(stream->Close());
  } else {
    // Under kNone the marker's head follows a roll on the writer's preparer
    // thread (SEGMENT_FORMAT.md): a crash before it has moved leaves a
    // lower bound, against which a missing newest segment cannot be told.
    static_cast<internal::StreamImpl*>(stream.get())
        ->durable_store()
        ->WaitForPreparerForTesting();
    Crash(std::move(stream));
  }
}

// A writable open fails with kDataLoss naming `file`; a read-only open
// reports `file` as data loss and returns the read-only stream.
std::unique_ptr<Stream> CheckLoss(const std::string& dir,
                                  const std::string& file,
                                  const std::string& reason_part) {
  absl::StatusOr<std::unique_ptr<Stream>> writer =
      Stream::Open(dir, testing::AcceptStored(), OpenMode::kMustExist);
  BROOK_CHECK_CODE(writer, kDataLoss);
  CHECK(absl::StrContains(writer.status().message(), file));
  std::unique_ptr<Stream> reader =
      OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
  const RecoveryReport& report = reader->recovery_report();
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].data_loss);
  CHECK(report.problems[0].file == file);
  CHECK(absl::StrContains(report.problems[0].reason, reason_part));
  return reader;
}

TEST_CASE("Recovery: a missing segment file is data loss",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const bool clean = GENERATE(true, false);
  Fill(dir, clean);
  const std::vector<std::string> segments = FilesWith(dir + kShard0, ".seg");
  REQUIRE(segments.size() >= 4);
  const int which = GENERATE(0, 1, 2);  // first, middle, last
  INFO((clean ? "clean" : "crashed") << " stream, segment " << which);
  const size_t victim = which == 0   ? 0
                        : which == 1 ? segments.size() / 2
                                     : segments.size() - 1;
  std::filesystem::remove(segments[victim]);

  std::unique_ptr<Stream> reader;
  if (which == 1) {
    // The gap shows at the end of the segment before it.
    reader = CheckLoss(dir, segments[victim - 1], "the next segment starts");
  } else {
    reader = CheckLoss(
        dir, segments[victim],
        which == 0 ? "first segment missing" : "newest segment missing");
  }
  std::vector<testing::OwnedRecord> records;
  const absl::Status read =
      testing::ReadShardInto(reader.get(), "shardId-000000000000",
                             StartingPosition::TrimHorizon(), &records);
  if (which == 1) {
    // Found when a read reached the segment before the gap (recovery opens
    // only the last file): every read at the gap says so.
    BROOK_CHECK_CODE(read, kDataLoss);
    CHECK(absl::StrContains(read.message(), segments[victim - 1]));
  } else {
    BROOK_CHECK_OK(read);
  }
  REQUIRE(!records.empty());
  // What remains is readable: from the second segment on, or up to the gap.
  CHECK((records.front().data.substr(0, 2) == "r0") == (which != 0));
  CHECK(static_cast<int>(records.size()) < 900);
  // Nothing was repaired or given out again.
  CHECK(FilesWith(dir + kShard0, ".seg").size() == segments.size() - 1);
}

TEST_CASE("Recovery: a missing shard directory is data loss",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  StreamOptions options = SmallSegments();
  options.shard_count = 2;
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, options);
    AppendBatch(stream.get(), 0, 3, 10);
    BROOK_REQUIRE_OK(stream->Close());
  }
  std::filesystem::remove_all(dir + kShard0);
  std::unique_ptr<Stream> reader =
      CheckLoss(dir, dir + kShard0, "shard directory missing");
  CHECK(!std::filesystem::exists(dir + kShard0));
}

TEST_CASE("Recovery: a closed shard whose files end early is data loss",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, SmallSegments());
    for (int b = 0; b < 10; ++b) AppendBatch(stream.get(), b * 3, 3, 20);
    BROOK_REQUIRE_OK(stream->SplitShard(
        "shardId-000000000000",
        "170141183460469231731687303715884105728"));  // 2^127
    BROOK_REQUIRE_OK(stream->Close());
  }
  // Zero the closed shard's last batch: its log now ends a batch early.
  const std::vector<std::string> segments = FilesWith(dir + kShard0, ".seg");
  REQUIRE(segments.size() == 1);
  std::string bytes = testing::ReadFileBytes(segments[0]);
  size_t off = 0, last = 0;
  while (internal::DecodeFixed<uint32_t>(&bytes[off]) != 0) {
    last = off;
    off += internal::DecodeFixed<uint32_t>(&bytes[off]);
  }
  std::fill(bytes.begin() + static_cast<long>(last),
            bytes.begin() + static_cast<long>(off), '\0');
  testing::WriteFileBytes(segments[0], bytes);

  std::unique_ptr<Stream> reader =
      CheckLoss(dir, segments[0], "closed shard ends at position 31");
  testing::CheckShardNumbered(reader.get(), 27);
}

TEST_CASE("Recovery: retention's dropped segments are no gap",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const bool clean = GENERATE(true, false);
  {
    std::unique_ptr<Stream> stream =
        OpenOrDie(dir, testing::DropOldestOptions());
    for (int b = 0; b < 600; ++b) AppendBatch(stream.get(), b * 3, 3, 300);
    if (clean) {
      BROOK_REQUIRE_OK(stream->Close());
    } else {
      Crash(std::move(stream));
    }
  }
  for (const OpenMode mode : {OpenMode::kReadOnly, OpenMode::kMustExist}) {
    std::unique_ptr<Stream> stream = OpenOrDie(dir, StreamOptions(), mode);
    CHECK(stream->recovery_report().problems.empty());
  }
  CHECK(FilesWith(dir + kShard0, ".bounds").size() == 1);
}

TEST_CASE("Recovery: a version 1 directory opens and is upgraded",
          "[store][recovery]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  Fill(dir, /*clean=*/true);
  Env* env = Env::Default();
  // As version 1 left it: no bounds markers.
  for (const std::string& marker : FilesWith(dir + kShard0, ".bounds")) {
    std::filesystem::remove(marker);
  }
  absl::StatusOr<internal::proto::StreamMeta> meta =
      internal::ReadStreamMeta(env, dir);
  BROOK_REQUIRE_OK(meta);
  meta->set_format_version(1);
  BROOK_REQUIRE_OK(internal::WriteStreamMeta(env, dir, *meta));
  {
    std::unique_ptr<Stream> reader =
        OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
    CHECK(reader->recovery_report().problems.empty());
    testing::CheckShardNumbered(reader.get(), 900);
  }
  {
    std::unique_ptr<Stream> writer =
        OpenOrDie(dir, StreamOptions(), OpenMode::kMustExist);
    CHECK(writer->recovery_report().problems.empty());
    testing::CheckShardNumbered(writer.get(), 900);
    BROOK_REQUIRE_OK(writer->Close());
  }
  meta = internal::ReadStreamMeta(env, dir);
  BROOK_REQUIRE_OK(meta);
  CHECK(meta->format_version() == 2);
  CHECK(FilesWith(dir + kShard0, ".bounds").size() == 1);

  // A version this build does not know is refused with a clear error.
  meta->set_format_version(4);
  BROOK_REQUIRE_OK(internal::WriteStreamMeta(env, dir, *meta));
  absl::StatusOr<std::unique_ptr<Stream>> newer =
      Stream::Open(dir, StreamOptions(), OpenMode::kReadOnly);
  BROOK_CHECK_CODE(newer, kDataLoss);
  CHECK(absl::StrContains(
      newer.status().message(),
      "format version 4 is not one this build reads (1 to 3)"));
}

}  // namespace
}  // namespace brook
