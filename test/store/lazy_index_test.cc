// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A kReadOnly open indexes a shard's segments as readers reach them (issue
// 7: "get-records touches only what it returns"): a read at the tail, at a
// sequence number or at a timestamp of a many-segment shard walks O(1)
// segments; the recovery report and DescribeStream() still walk them all,
// and damage a reader reaches ends the log there, as a full walk would.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "store/batch_format.h"
#include "store/mmap_recovery.h"
#include "store/mmap_segment_store.h"
#include "store/store_testing.h"
#include "stream/sequence.h"
#include "stream/stream_impl.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

using testing::OpenOrDie;
using testing::OwnedRecord;
using testing::TempDir;

constexpr int kBatches = 600;
constexpr int kPerBatch = 5;
constexpr int kRecords = kBatches * kPerBatch;
// Arrival times start now: the readers' clock is the real one, and the
// default retention of 24 hours keeps every record.
const int64_t kStartMillis = absl::ToUnixMillis(absl::Now());

// Segments walked by `stream`'s store so far.
int64_t Indexed(Stream* stream) {
  return static_cast<internal::StreamImpl*>(stream)
      ->durable_store()
      ->IndexedSegmentsForTesting();
}

// A cleanly closed one-shard stream in `dir` of 64 KiB segments holding
// "r0".."r<kRecords-1>", batch b arriving at kStartMillis + 10 * b. Returns
// the number of segment files.
int MakeLongShard(const std::string& dir, bool clean = true) {
  ManualClockEnv clock(kStartMillis);
  StreamOptions options;
  options.shard_count = 1;
  options.segment_bytes = 64 << 10;
  options.env = &clock;
  std::unique_ptr<Stream> s = OpenOrDie(dir, options);
  for (int b = 0; b < kBatches; ++b) {
    testing::AppendBatch(s.get(), b * kPerBatch, kPerBatch, 1000);
    clock.Advance(absl::Milliseconds(10));
  }
  const int segments = static_cast<int>(
      static_cast<internal::StreamImpl*>(s.get())->SegmentCountForTesting());
  if (clean) {
    BROOK_REQUIRE_OK(s->Close());
  } else {
    testing::Crash(std::move(s));
  }
  return segments;
}

std::vector<OwnedRecord> ReadSome(Stream* stream, const StartingPosition& start,
                                  int limit) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator("shardId-000000000000", start);
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions options;
  options.limit = limit;
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
  BROOK_REQUIRE_OK(r);
  std::vector<OwnedRecord> out;
  for (const Record& rec : r->records()) {
    out.push_back({rec.sequence_number,
                   rec.approximate_arrival_timestamp_millis, rec.hash_key,
                   rec.has_explicit_hash_key, std::string(rec.partition_key),
                   std::string(rec.data)});
  }
  return out;
}

TEST_CASE("Lazy index: a read-only read walks only the segments it returns",
          "[store][read_only][lazy]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const bool clean = GENERATE(true, false);
  INFO((clean ? "closed cleanly" : "crashed"));
  const int segments = MakeLongShard(dir, clean);
  REQUIRE(segments >= 40);
  StreamOptions options;
  options.follow = GENERATE(true, false);
  INFO("follow " << options.follow);

  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  CHECK(Indexed(reader.get()) == 0);

  // The first record: the first segment, and the last two (recovery's tail
  // check), nothing else.
  std::vector<OwnedRecord> first =
      ReadSome(reader.get(), StartingPosition::TrimHorizon(), 1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].data.substr(0, 3) == "r0x");
  const int64_t after_first = Indexed(reader.get());
  CHECK(after_first <= 3);

  // A record in the middle, by timestamp: one or two more.
  const int batch = kBatches / 2;
  std::vector<OwnedRecord> mid =
      ReadSome(reader.get(),
               StartingPosition::AtTimestamp(kStartMillis + 10 * batch), 3);
  REQUIRE(mid.size() == 3);
  CHECK(mid[0].data.substr(0, 5) ==
        absl::StrCat("r", batch * kPerBatch).substr(0, 5));
  CHECK(mid[0].arrival == kStartMillis + 10 * batch);
  CHECK(Indexed(reader.get()) <= after_first + 2);

  // LATEST and the tail read no older segment.
  const int64_t before_tail = Indexed(reader.get());
  Consumer consumer(reader.get());
  absl::StatusOr<ShardIterator> latest = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::Latest());
  BROOK_REQUIRE_OK(latest);
  absl::StatusOr<GetRecordsResult> none = consumer.GetRecords(*latest);
  BROOK_REQUIRE_OK(none);
  CHECK(none->records().empty());
  CHECK(Indexed(reader.get()) == before_tail);
  CHECK(Indexed(reader.get()) < segments / 4);

  // Every record, in order, once; then the report covers every segment.
  testing::CheckShardNumbered(reader.get(), kRecords);
  const RecoveryReport& report = reader->recovery_report();
  CHECK(report.problems.empty());
  CHECK(report.scanned_records == kRecords);
  CHECK(report.scanned_segments >= segments);
}

TEST_CASE("Lazy index: the report and DescribeStream walk what no reader did",
          "[store][read_only][lazy]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  const int segments = MakeLongShard(dir, /*clean=*/false);
  // What a writable open's recovery finds.
  RecoveryReport full;
  int64_t full_bytes = 0;
  {
    const std::string copy = tmp.Sub("copy");
    testing::CopyDir(dir, copy);
    std::unique_ptr<Stream> w =
        OpenOrDie(copy, StreamOptions(), OpenMode::kMustExist);
    full = w->recovery_report();
    full_bytes = w->DescribeStream().stored_bytes;
  }
  std::unique_ptr<Stream> reader =
      OpenOrDie(dir, StreamOptions(), OpenMode::kReadOnly);
  REQUIRE(ReadSome(reader.get(), StartingPosition::TrimHorizon(), 2).size() ==
          2);
  CHECK(Indexed(reader.get()) < segments / 4);
  CHECK(reader->DescribeStream().stored_bytes == full_bytes);
  const RecoveryReport& report = reader->recovery_report();
  CHECK(report.problems.empty());
  CHECK(report.scanned_records == full.scanned_records);
  CHECK(report.scanned_batches == full.scanned_batches);
  CHECK(report.scanned_bytes == full.scanned_bytes);
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

using testing::OpenOrDie;
using testing::OwnedRecord;
using testing::TempDir;

constexpr char kShard0[] = "shardId-000000000000";

// The segment files of shard 0 of `dir`, by base position.
std::vector<std::string> SegmentPaths(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e :
       std::filesystem::directory_iterator(dir + "/" + kShard0)) {
    if (e.path().extension() == ".seg") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());  // fixed-width names
  return paths;
}

uint64_t BaseOf(const std::string& path) {
  uint64_t base = 0;
  REQUIRE(internal::ParseSegmentName(
      std::filesystem::path(path).filename().string(), &base));
  return base;
}

// Rewrites the first batch of segment file `path` to say it starts at
// `position`, with its CRC made to match: a well-formed batch whose
// position disagrees with the file's name.
void SetFirstPosition(const std::string& path, uint64_t position) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f);
  std::vector<char> header(internal::kBatchHeaderBytes);
  f.read(header.data(), static_cast<std::streamsize>(header.size()));
  const internal::BatchHeader h = internal::DecodeBatchHeader(header.data());
  std::vector<char> frame(h.frame_bytes);
  f.seekg(0);
  f.read(frame.data(), static_cast<std::streamsize>(frame.size()));
  REQUIRE(f);
  std::memcpy(frame.data() + internal::batch_field::kFirstPosition, &position,
              sizeof(position));  // little-endian, as the format
  const uint32_t crc = internal::ComputeFrameCrc(frame.data(), frame.size());
  std::memcpy(frame.data() + internal::batch_field::kCrc, &crc, sizeof(crc));
  f.seekp(0);
  f.write(frame.data(), static_cast<std::streamsize>(frame.size()));
  REQUIRE(f);
}

// Reads shard 0 from `start` until the end or an error, which it returns.
absl::Status ReadUntilError(Stream* stream, const StartingPosition& start,
                            std::vector<OwnedRecord>* out,
                            uint64_t* skipped = nullptr) {
  return testing::ReadShardInto(stream, kShard0, start, out, skipped);
}

// "r<first>".."r<first + n - 1>" of MakeLongShard().
void CheckRun(const std::vector<OwnedRecord>& records, int first, int n) {
  REQUIRE(records.size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const std::string want = absl::StrCat("r", first + i, "x");
    INFO("record " << i);
    REQUIRE(records[static_cast<size_t>(i)].data.substr(0, want.size()) ==
            want);
  }
}

TEST_CASE(
    "Lazy open: a segment whose first batch disagrees with its name is data "
    "loss for the reader that reaches it, and for verify",
    "[store][read_only][lazy]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  MakeLongShard(dir);
  const std::vector<std::string> paths = SegmentPaths(dir);
  REQUIRE(paths.size() >= 40);
  const size_t k = paths.size() / 2;
  const uint64_t first = BaseOf(paths[0]);
  const uint64_t base = BaseOf(paths[k]);
  SetFirstPosition(paths[k], base + 1);

  StreamOptions options;
  options.follow = GENERATE(true, false);
  INFO("follow " << options.follow);
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  // The tail reads as ever.
  std::vector<OwnedRecord> tail;
  BROOK_REQUIRE_OK(
      ReadUntilError(reader.get(),
                     StartingPosition::AtSequenceNumber(
                         internal::MakeSequenceNumber(BaseOf(paths.back()), 0)),
                     &tail));
  CHECK(!tail.empty());

  // From the start: every record before the file, then kDataLoss naming it,
  // again at every later read there.
  std::vector<OwnedRecord> got;
  const absl::Status error =
      ReadUntilError(reader.get(), StartingPosition::TrimHorizon(), &got);
  BROOK_CHECK_CODE(error, kDataLoss);
  CHECK(absl::StrContains(error.message(), paths[k]));
  CheckRun(got, 0, static_cast<int>(base - first));
  std::vector<OwnedRecord> again;
  BROOK_CHECK_CODE(
      ReadUntilError(reader.get(), StartingPosition::TrimHorizon(), &again),
      kDataLoss);
  CHECK(again.size() == got.size());

  const RecoveryReport& report = reader->recovery_report();
  REQUIRE(report.problems.size() == 1);
  CHECK(report.problems[0].file == paths[k]);
  CHECK(report.problems[0].data_loss);

  // verify (OpenMode::kVerify, what `brook verify` opens) walks every file.
  std::unique_ptr<Stream> verifier =
      OpenOrDie(dir, StreamOptions(), OpenMode::kVerify);
  bool named = false;
  for (const RecoveryReport::Problem& p :
       verifier->recovery_report().problems) {
    named = named || (p.data_loss && p.file == paths[k]);
  }
  CHECK(named);
}

TEST_CASE(
    "Lazy open: a segment file removed before a reader opened it is dropped "
    "by retention, or lost without the marker's word",
    "[store][read_only][lazy]") {
  TempDir tmp;
  const std::string dir = tmp.Sub("s");
  MakeLongShard(dir);
  const std::vector<std::string> paths = SegmentPaths(dir);
  REQUIRE(paths.size() >= 40);
  const uint64_t first = BaseOf(paths[0]);
  const size_t k = 5;
  const uint64_t kept = BaseOf(paths[k]);

  StreamOptions options;
  options.follow = GENERATE(true, false);
  INFO("follow " << options.follow);
  std::unique_ptr<Stream> reader = OpenOrDie(dir, options, OpenMode::kReadOnly);
  Consumer consumer(reader.get());
  // The shard recovered: its last file opened, no other.
  BROOK_REQUIRE_OK(
      consumer.GetShardIterator(kShard0, StartingPosition::Latest()));

  const bool retention = GENERATE(true, false);
  INFO((retention ? "retention" : "lost"));
  if (retention) {
    // What retention does, the bounds marker first (no writer publishes
    // anything in FOLLOW).
    for (const auto& e :
         std::filesystem::directory_iterator(dir + "/" + kShard0)) {
      if (e.path().extension() != ".bounds") continue;
      std::filesystem::rename(
          e.path(), dir + "/" + kShard0 + "/" +
                        internal::BoundsName(kept, BaseOf(paths.back())));
      break;
    }
    for (size_t i = 0; i < k; ++i) std::filesystem::remove(paths[i]);

    std::vector<OwnedRecord> got;
    uint64_t skipped = 0;
    BROOK_REQUIRE_OK(ReadUntilError(
        reader.get(), StartingPosition::TrimHorizon(), &got, &skipped));
    CHECK(skipped == 0);
    CheckRun(got, static_cast<int>(kept - first),
             kRecords - static_cast<int>(kept - first));
    // An iterator below the new trim skips what retention dropped.
    absl::StatusOr<ShardIterator> below = consumer.GetShardIterator(
        kShard0, StartingPosition::AtSequenceNumber(
                     internal::MakeSequenceNumber(first + 1, 0)));
    BROOK_REQUIRE_OK(below);
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*below);
    BROOK_REQUIRE_OK(r);
    CHECK(r->skipped_records() == kept - first - 1);
    REQUIRE(!r->records().empty());
    const std::string want = absl::StrCat("r", kept - first, "x");
    CHECK(r->records()[0].data.substr(0, want.size()) == want);
    CHECK(reader->recovery_report().problems.empty());
  } else {
    // Gone, and the marker says retention kept it: lost.
    for (size_t i = 1; i < k; ++i) std::filesystem::remove(paths[i]);
    std::vector<OwnedRecord> got;
    const absl::Status read =
        ReadUntilError(reader.get(), StartingPosition::TrimHorizon(), &got);
    BROOK_CHECK_CODE(read, kDataLoss);
    CHECK(absl::StrContains(read.message(), paths[1]));
    CheckRun(got, 0, static_cast<int>(BaseOf(paths[1]) - first));
    const RecoveryReport& report = reader->recovery_report();
    REQUIRE(!report.problems.empty());
    CHECK(report.problems[0].file == paths[1]);
    CHECK(report.problems[0].data_loss);
  }
}

}  // namespace
}  // namespace brook
