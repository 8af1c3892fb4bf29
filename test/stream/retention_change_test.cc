// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Changing retention on a live stream (issue 8): IncreaseStreamRetentionPeriod,
// DecreaseStreamRetentionPeriod and UpdateRetentionBytes, their validation,
// their effect on readers and storage, and their persistence. The period
// bounds every stream shares, remote ones included, are in
// reshard_contract_test.cc.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/stream_impl.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

constexpr char kShard0[] = "shardId-000000000000";

internal::StreamImpl* Impl(Stream* stream) {
  return static_cast<internal::StreamImpl*>(stream);
}

// An existing stream opens as stored (its retention was changed by a call).
std::unique_ptr<Stream> MakeStream(StreamOptions options,
                                   const std::string& dir = "",
                                   OpenMode mode = OpenMode::kCreateIfMissing) {
  options.accept_stored_options = true;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      dir.empty() ? Stream::Create(options) : Stream::Open(dir, options, mode);
  BROOK_REQUIRE_OK(s);
  return *std::move(s);
}

// The data of shard 0 readable from TRIM_HORIZON.
std::vector<std::string> ReadShard0(Stream* stream) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  std::vector<std::string> out;
  for (const Record& record : r->records()) out.emplace_back(record.data);
  return out;
}

TEST_CASE(
    "Retention change: an increase keeps expired records expired, across "
    "reopen",
    "[retention]") {
  const bool durable = GENERATE(false, true);
  INFO("durable " << durable);
  testing::TempDir tmp;
  const std::string dir = durable ? tmp.Sub("s") : "";
  ManualClockEnv env(10'000);
  StreamOptions options;
  options.env = &env;
  options.retention_period = absl::Milliseconds(1000);
  std::unique_ptr<Stream> stream = MakeStream(options, dir);
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "a"));  // t=10000
  env.SetNowMillis(10'600);
  BROOK_REQUIRE_OK(producer.PutRecord("k", "b"));  // t=10600
  env.SetNowMillis(11'100);  // "a" has expired; its segment is kept for "b"
  CHECK(ReadShard0(stream.get()) == std::vector<std::string>{"b"});

  BROOK_REQUIRE_OK(
      stream->IncreaseStreamRetentionPeriod(absl::Milliseconds(5000)));
  CHECK(stream->options().retention_period == absl::Seconds(5));
  CHECK(stream->DescribeStream().retention_period == absl::Seconds(5));
  // "a" stays expired (as in Kinesis); "b" lives longer.
  CHECK(ReadShard0(stream.get()) == std::vector<std::string>{"b"});
  env.SetNowMillis(12'000);
  CHECK(ReadShard0(stream.get()) == std::vector<std::string>{"b"});

  if (durable) {
    BROOK_REQUIRE_OK(stream->Close());
    stream.reset();
    StreamOptions other;  // a reopen keeps the stream's own retention
    other.env = &env;
    stream = MakeStream(other, dir, OpenMode::kMustExist);
    CHECK(stream->options().retention_period == absl::Seconds(5));
    CHECK(ReadShard0(stream.get()) == std::vector<std::string>{"b"});
  }
  env.SetNowMillis(15'601);
  CHECK(ReadShard0(stream.get()).empty());
}

TEST_CASE(
    "Retention change: a decrease hides older records and frees their "
    "segments at once",
    "[retention]") {
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.retention_period = absl::Milliseconds(10'000);
  options.segment_roll_age =
      absl::Milliseconds(1000);  // "a" and "b" in separate segments
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "a"));
  env.SetNowMillis(5000);
  BROOK_REQUIRE_OK(producer.PutRecord("k", "b"));
  REQUIRE(Impl(stream.get())->SegmentCountForTesting() == 2);
  const int64_t both = Impl(stream.get())->StoredBytesForTesting();

  BROOK_REQUIRE_OK(
      stream->DecreaseStreamRetentionPeriod(absl::Milliseconds(3000)));
  CHECK(stream->options().retention_period == absl::Seconds(3));
  CHECK(Impl(stream.get())->SegmentCountForTesting() == 1);
  CHECK(Impl(stream.get())->StoredBytesForTesting() < both);
  CHECK(ReadShard0(stream.get()) == std::vector<std::string>{"b"});
}

TEST_CASE(
    "Retention change: bad byte bounds are kInvalidArgument naming the bound",
    "[retention]") {
  StreamOptions options;
  options.retention_period = absl::Milliseconds(60'000);
  options.segment_bytes = 64 << 10;
  std::unique_ptr<Stream> stream = MakeStream(options);
  const auto check = [](const absl::Status& s, absl::string_view words) {
    BROOK_CHECK_CODE(s, kInvalidArgument);
    INFO(s.message());
    CHECK(absl::StrContains(s.message(), words));
  };
  check(stream->UpdateRetentionBytes(-1),
        "retention_bytes must not be negative");
  check(stream->UpdateRetentionBytes((64 << 10) * 2 - 1),
        "must be at least twice segment_bytes (65536)");
  // Nothing changed.
  CHECK(stream->options().retention_bytes == 0);
  BROOK_CHECK_OK(stream->UpdateRetentionBytes(0));
  BROOK_CHECK_OK(stream->UpdateRetentionBytes(128 << 10));
  CHECK(stream->options().retention_bytes == (128 << 10));
}

TEST_CASE(
    "Retention change: refused with kFailedPrecondition on closed and "
    "read-only streams",
    "[retention]") {
  testing::TempDir tmp;
  StreamOptions options;
  std::unique_ptr<Stream> writer = MakeStream(options, tmp.Sub("s"));
  std::unique_ptr<Stream> reader =
      MakeStream(options, tmp.Sub("s"), OpenMode::kReadOnly);
  std::unique_ptr<Stream> memory = MakeStream(options);
  BROOK_REQUIRE_OK(memory->Close());
  for (Stream* stream : {reader.get(), memory.get()}) {
    BROOK_CHECK_CODE(
        stream->IncreaseStreamRetentionPeriod(options.retention_period * 2),
        kFailedPrecondition);
    BROOK_CHECK_CODE(
        stream->DecreaseStreamRetentionPeriod(absl::Milliseconds(1)),
        kFailedPrecondition);
    BROOK_CHECK_CODE(stream->UpdateRetentionBytes(0), kFailedPrecondition);
  }
  BROOK_REQUIRE_OK(writer->Close());
  BROOK_CHECK_CODE(writer->DecreaseStreamRetentionPeriod(absl::Milliseconds(1)),
                   kFailedPrecondition);
  // Nothing reached the directory.
  std::unique_ptr<Stream> again =
      MakeStream(options, tmp.Sub("s"), OpenMode::kMustExist);
  CHECK(again->options().retention_period == options.retention_period);
}

TEST_CASE("Retention change: a lower byte bound drops at once or rejects",
          "[retention]") {
  const bool durable = GENERATE(false, true);
  const RetentionFullPolicy policy = GENERATE(
      RetentionFullPolicy::kDropOldest, RetentionFullPolicy::kRejectWrites);
  INFO("durable " << durable << " policy " << static_cast<int>(policy));
  testing::TempDir tmp;
  const std::string dir = durable ? tmp.Sub("s") : "";
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.segment_bytes = 64 << 10;
  options.on_full = policy;
  std::unique_ptr<Stream> stream = MakeStream(options, dir);
  Producer producer(stream.get());
  const std::string payload(1000, 'b');
  std::vector<std::string> written;
  for (int i = 0; i < 600; ++i) {
    env.Advance(absl::Milliseconds(1));
    written.push_back(absl::StrCat(i, payload));
    BROOK_REQUIRE_OK(producer.PutRecord("k", written.back()));
  }
  const int64_t before = stream->DescribeStream().stored_bytes;
  REQUIRE(before > (512 << 10));

  const int64_t bound = 256 << 10;
  BROOK_REQUIRE_OK(stream->UpdateRetentionBytes(bound));
  CHECK(stream->options().retention_bytes == bound);
  const std::vector<std::string> kept = ReadShard0(stream.get());
  REQUIRE(!kept.empty());
  // Whatever is kept is the newest suffix, in order.
  CHECK(std::equal(kept.begin(), kept.end(), written.end() - kept.size()));
  if (policy == RetentionFullPolicy::kDropOldest) {
    // Down to the bound, plus the open segment.
    CHECK(stream->DescribeStream().stored_bytes <=
          bound + options.segment_bytes);
    BROOK_CHECK_OK(producer.PutRecord("k", "more"));
  } else {
    // Nothing dropped; writes wait for age retention.
    CHECK(stream->DescribeStream().stored_bytes == before);
    CHECK(kept.size() == written.size());
    BROOK_CHECK_CODE(producer.PutRecord("k", "more").status(),
                     kResourceExhausted);
  }
  if (durable) {
    BROOK_REQUIRE_OK(stream->Close());
    stream.reset();
    StreamOptions other;
    other.env = &env;
    stream = MakeStream(other, dir, OpenMode::kMustExist);
    CHECK(stream->options().retention_bytes == bound);
  }
}

TEST_CASE(
    "Retention change: options() and changes race safely with appends and "
    "reads",
    "[retention][concurrency]") {
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_period = absl::Milliseconds(1'000'000);
  options.on_full = RetentionFullPolicy::kDropOldest;
  std::unique_ptr<Stream> stream = MakeStream(options);
  testing::Barrier start(3);
  constexpr int kOps = 200;
  std::atomic<int> failures{0};  // Catch2 checks only on the main thread
  std::thread writer([&] {
    Producer producer(stream.get());
    start.ArriveAndWait();
    for (int i = 0; i < kOps; ++i) {
      if (!producer.PutRecord(absl::StrCat("k", i), "v").ok()) ++failures;
      env.Advance(absl::Milliseconds(1));
    }
  });
  std::thread reader([&] {
    start.ArriveAndWait();
    for (int i = 0; i < kOps; ++i) {
      const StreamOptions o = stream->options();
      if (o.retention_period < absl::Milliseconds(1) ||
          (o.retention_bytes != 0 && o.retention_bytes != (128 << 10))) {
        ++failures;
      }
      Consumer consumer(stream.get());
      absl::StatusOr<ShardIterator> it =
          consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
      if (!it.ok() || !consumer.GetRecords(*it).ok()) ++failures;
    }
  });
  start.ArriveAndWait();
  for (int i = 0; i < kOps; ++i) {
    if (i % 2 == 0) {
      BROOK_CHECK_OK(stream->DecreaseStreamRetentionPeriod(
          absl::Milliseconds(1'000'000 - i)));
      BROOK_CHECK_OK(stream->UpdateRetentionBytes(128 << 10));
    } else {
      BROOK_CHECK_OK(stream->IncreaseStreamRetentionPeriod(
          absl::Milliseconds(1'000'000 - i + 1)));
      BROOK_CHECK_OK(stream->UpdateRetentionBytes(0));
    }
  }
  writer.join();
  reader.join();
  CHECK(failures.load() == 0);
  CHECK(stream->options().retention_bytes == 0);
}

}  // namespace
}  // namespace brook
