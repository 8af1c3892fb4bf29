// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A kReadOnly open indexes a shard's segments as readers reach them (issue
// 7: "get-records touches only what it returns"): a read at the tail, at a
// sequence number or at a timestamp of a many-segment shard walks O(1)
// segments; the recovery report and DescribeStream() still walk them all,
// and damage a reader reaches ends the log there, as a full walk would.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/stream.h"

#include "store/mmap_segment_store.h"
#include "store/store_testing.h"
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
