// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Provisioned-mode emulation (ThroughputOptions::provisioned): every limit on
// a hand-moved clock, the distinct message, PutRecords' per-shard prefix,
// the throttled-call counter, options persisted and validated.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/stream_impl.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;
constexpr absl::string_view kShard0 = "shardId-000000000000";

StreamOptions Provisioned(Env* env) {
  StreamOptions o;
  o.name = "s";
  o.env = env;
  o.throughput.provisioned = true;
  return o;
}

std::unique_ptr<Stream> Make(const StreamOptions& o) {
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(o);
  BROOK_REQUIRE_OK(s);
  return std::move(*s);
}

// Records of shard 0 from the trim horizon, read without limits counting
// (the test's own reads are not under test here).
std::vector<std::string> ReadShard0(Stream* stream) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions read;
  read.dedicated_throughput = true;
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, read);
  BROOK_REQUIRE_OK(r);
  std::vector<std::string> data;
  for (const Record& rec : r->records()) data.emplace_back(rec.data);
  return data;
}

size_t CountStored(Stream* stream) { return ReadShard0(stream).size(); }

int64_t ThrottledCalls(Stream* stream) {
  auto* impl = static_cast<internal::StreamImpl*>(stream);
  absl::StatusOr<internal::ShardImpl*> shard = impl->FindShard(kShard0);
  REQUIRE(shard.ok());
  REQUIRE((*shard)->throttle() != nullptr);
  return (*shard)->throttle()->throttled_calls();
}

void CheckThrottled(const absl::Status& s, absl::string_view limit) {
  BROOK_CHECK_CODE(s, kResourceExhausted);
  CHECK(s.message() ==
        absl::StrCat("stream s: provisioned throughput exceeded for shard ",
                     kShard0, ": ", limit));
}

TEST_CASE("Throughput: write bytes per shard are limited, refill on the clock",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = Make(Provisioned(&clock));
  Producer producer(stream.get());
  const std::string data(100 * 1024 - 1, 'x');  // 100 KiB with the key
  for (int i = 0; i < 10; ++i) BROOK_REQUIRE_OK(producer.PutRecord("k", data));
  // 1 MiB - 1000 KiB = 24 KiB left: the 11th is refused, nothing stored.
  absl::StatusOr<PutRecordResult> r = producer.PutRecord("k", data);
  CheckThrottled(r.status(), "write limit of 1048576 bytes/s");
  CHECK(CountStored(stream.get()) == 10);
  CHECK(ThrottledCalls(stream.get()) == 1);
  clock.Advance(absl::Milliseconds(70));  // +71.68 KiB: 95.68 KiB, not enough
  CheckThrottled(producer.PutRecord("k", data).status(),
                 "write limit of 1048576 bytes/s");
  clock.Advance(absl::Milliseconds(5));  // +5.12 KiB: 100.8 KiB
  BROOK_CHECK_OK(producer.PutRecord("k", data));
  CHECK(CountStored(stream.get()) == 11);
  CHECK(ThrottledCalls(stream.get()) == 2);
}

TEST_CASE("Throughput: records per shard are limited apart from bytes",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = Make(Provisioned(&clock));
  Producer producer(stream.get());
  for (int i = 0; i < 1000; ++i) BROOK_REQUIRE_OK(producer.PutRecord("k", "d"));
  CheckThrottled(producer.PutRecord("k", "d").status(),
                 "write limit of 1000 records/s");
  clock.Advance(absl::Milliseconds(1));  // one record's worth
  BROOK_CHECK_OK(producer.PutRecord("k", "d"));
  CheckThrottled(producer.PutRecord("k", "d").status(),
                 "write limit of 1000 records/s");
  CHECK(CountStored(stream.get()) == 1001);
}

TEST_CASE("Throughput: the burst is how much of its rate a bucket holds",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  StreamOptions o = Provisioned(&clock);
  int expected = 0;
  SECTION("two seconds") {
    o.throughput.burst = absl::Seconds(2);
    expected = 2000;
  }
  SECTION("a tenth of a second") {
    o.throughput.burst = absl::Milliseconds(100);
    expected = 100;
  }
  std::unique_ptr<Stream> stream = Make(o);
  Producer producer(stream.get());
  for (int i = 0; i < expected; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("k", "d"));
  }
  CheckThrottled(producer.PutRecord("k", "d").status(),
                 "write limit of 1000 records/s");
  // A long pause fills the bucket to its burst, no further.
  clock.Advance(absl::Hours(1));
  for (int i = 0; i < expected; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("k", "d"));
  }
  CHECK_FALSE(producer.PutRecord("k", "d").ok());
}

TEST_CASE("Throughput: a record larger than the bucket passes a full one",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  StreamOptions o = Provisioned(&clock);
  o.throughput.write_bytes_per_second = 64 * 1024;
  std::unique_ptr<Stream> stream = Make(o);
  Producer producer(stream.get());
  const std::string big(100 * 1024 - 1, 'b');
  BROOK_REQUIRE_OK(producer.PutRecord("k", big));  // full bucket: into debt
  // 36 KiB of debt: repaid after 562.5 ms; a small record needs a bit more.
  clock.Advance(absl::Milliseconds(562));
  CheckThrottled(producer.PutRecord("k", "d").status(),
                 "write limit of 65536 bytes/s");
  clock.Advance(absl::Milliseconds(1));
  BROOK_CHECK_OK(producer.PutRecord("k", "d"));
  // A big record needs a full bucket again, not merely a positive one.
  clock.Advance(absl::Milliseconds(900));
  CHECK_FALSE(producer.PutRecord("k", big).ok());
  clock.Advance(absl::Milliseconds(200));
  BROOK_CHECK_OK(producer.PutRecord("k", big));
}

TEST_CASE("Throughput: PutRecords stores the admitted prefix of each shard",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  StreamOptions o = Provisioned(&clock);
  o.shard_count = 2;
  o.throughput.write_records_per_second = 10;
  std::unique_ptr<Stream> stream = Make(o);
  Producer producer(stream.get());
  // Shard 0 holds the lower half of the key space, shard 1 the upper.
  const std::string low = "1";
  const std::string high = "340282366920938463463374607431768211455";
  std::vector<std::string> data;
  std::vector<PutRecordsEntry> entries;
  for (int i = 0; i < 30; ++i) data.push_back(absl::StrCat("r", i));
  for (int i = 0; i < 30; ++i) {
    // 15 for each shard, interleaved; shard 1 gets only 8 of them below.
    entries.push_back({"k", data[i], i % 2 == 0 ? low : high});
  }
  entries.resize(23);  // shard 0: 12 entries, shard 1: 11
  absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(r);
  CHECK(r->failed_record_count == 3);
  int ok_low = 0, ok_high = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const PutRecordsResultEntry& e = r->records[i];
    const bool is_low = i % 2 == 0;
    const int nth = static_cast<int>(i / 2);  // index within its shard
    INFO("entry " << i);
    if (nth < 10) {
      BROOK_CHECK_OK(e.status);
      (is_low ? ok_low : ok_high)++;
    } else {
      BROOK_CHECK_CODE(e.status, kResourceExhausted);
      CHECK(absl::StrContains(e.status.message(),
                              "provisioned throughput exceeded for shard "));
      CHECK(absl::StrContains(e.status.message(), "10 records/s"));
    }
  }
  CHECK(ok_low == 10);
  CHECK(ok_high == 10);
  // Shard 0 stored its first ten, in order, and nothing else.
  const std::vector<std::string> got = ReadShard0(stream.get());
  REQUIRE(got.size() == 10);
  for (int k = 0; k < 10; ++k) CHECK(got[k] == data[2 * k]);
}

TEST_CASE("Throughput: GetRecords calls per shard are limited",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = Make(Provisioned(&clock));
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  for (int i = 0; i < 5; ++i) BROOK_REQUIRE_OK(consumer.GetRecords(*it));
  CheckThrottled(consumer.GetRecords(*it).status(),
                 "GetRecords limit of 5 calls/s");
  // A second reader shares the shard's limit.
  Consumer other(stream.get());
  CheckThrottled(other.GetRecords(*it).status(),
                 "GetRecords limit of 5 calls/s");
  clock.Advance(absl::Milliseconds(199));
  CHECK_FALSE(consumer.GetRecords(*it).ok());
  clock.Advance(absl::Milliseconds(1));
  BROOK_CHECK_OK(consumer.GetRecords(*it));
  CHECK_FALSE(consumer.GetRecords(*it).ok());
  CHECK(ThrottledCalls(stream.get()) == 4);
}

TEST_CASE("Throughput: GetRecords bytes are charged after the read",
          "[throughput]") {
  ManualClockEnv clock(kStart);
  StreamOptions o = Provisioned(&clock);
  o.throughput.read_bytes_per_second = 64 * 1024;
  o.throughput.read_calls_per_second = 1000;
  o.throughput.write_bytes_per_second = int64_t{1} << 30;
  std::unique_ptr<Stream> stream = Make(o);
  Producer producer(stream.get());
  const std::string data(10 * 1024 - 1, 'x');  // 10 KiB with the key
  for (int i = 0; i < 20; ++i) BROOK_REQUIRE_OK(producer.PutRecord("k", data));
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  // One call may return more than the bucket: 200 KiB, 136 KiB of debt.
  absl::StatusOr<GetRecordsResult> all = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(all);
  CHECK(all->records().size() == 20);
  CheckThrottled(consumer.GetRecords(*it).status(),
                 "GetRecords limit of 65536 bytes/s");
  clock.Advance(absl::Milliseconds(2125));  // exactly repaid: still nothing
  CHECK_FALSE(consumer.GetRecords(*it).ok());
  clock.Advance(absl::Milliseconds(1));
  absl::StatusOr<GetRecordsResult> again = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(again);
  CHECK(again->records().size() == 20);
}

TEST_CASE("Throughput: off by default, nothing is throttled", "[throughput]") {
  ManualClockEnv clock(kStart);
  StreamOptions o;
  o.env = &clock;
  std::unique_ptr<Stream> stream = Make(o);
  Producer producer(stream.get());
  for (int i = 0; i < 3000; ++i) BROOK_REQUIRE_OK(producer.PutRecord("k", "d"));
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(kShard0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  for (int i = 0; i < 20; ++i) BROOK_REQUIRE_OK(consumer.GetRecords(*it));
  auto* impl = static_cast<internal::StreamImpl*>(stream.get());
  CHECK((*impl->FindShard(kShard0))->throttle() == nullptr);
}

TEST_CASE("Throughput: options are stored with the stream and compared",
          "[throughput]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  ManualClockEnv clock(kStart);
  StreamOptions o = Provisioned(&clock);
  o.throughput.write_records_per_second = 7;
  o.throughput.burst = absl::Milliseconds(2500);
  o.throughput.on_demand = true;
  o.throughput.split_bytes_per_second = 1234;
  o.throughput.split_window = absl::Seconds(10);
  {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir, o, OpenMode::kCreateIfMissing);
    BROOK_REQUIRE_OK(s);
    BROOK_REQUIRE_OK((*s)->Close());
  }
  StreamOptions plain;
  plain.name = "s";
  plain.env = &clock;
  {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir, plain, OpenMode::kMustExist);
    BROOK_CHECK_CODE(s.status(), kFailedPrecondition);
    CHECK(absl::StrContains(s.status().message(),
                            "option throughput.provisioned is true in the "
                            "stream but false in the options passed"));
  }
  StreamOptions other = o;
  other.throughput.burst = absl::Seconds(3);
  {
    absl::StatusOr<std::unique_ptr<Stream>> s =
        Stream::Open(dir, other, OpenMode::kMustExist);
    BROOK_CHECK_CODE(s.status(), kFailedPrecondition);
    CHECK(absl::StrContains(s.status().message(), "throughput.burst is 2.5s"));
  }
  plain.accept_stored_options = true;
  absl::StatusOr<std::unique_ptr<Stream>> s =
      Stream::Open(dir, plain, OpenMode::kMustExist);
  BROOK_REQUIRE_OK(s);
  const ThroughputOptions t = (*s)->options().throughput;
  CHECK(t.provisioned);
  CHECK(t.write_records_per_second == 7);
  CHECK(t.write_bytes_per_second == (int64_t{1} << 20));
  CHECK(t.burst == absl::Milliseconds(2500));
  CHECK(t.on_demand);
  CHECK(t.split_bytes_per_second == 1234);
  CHECK(t.split_window == absl::Seconds(10));
  // And the reopened stream enforces them: a 2.5 s burst of 7 records/s.
  Producer producer(s->get());
  for (int i = 0; i < 17; ++i) BROOK_REQUIRE_OK(producer.PutRecord("k", "d"));
  CheckThrottled(producer.PutRecord("k", "d").status(),
                 "write limit of 7 records/s");
}

TEST_CASE("Throughput: bad option values are refused naming the field",
          "[throughput]") {
  StreamOptions o;
  o.name = "s";
  std::string field;
  SECTION("write bytes") {
    o.throughput.write_bytes_per_second = 1023;
    field =
        "throughput.write_bytes_per_second must be 1024 to 1073741824, "
        "got 1023";
  }
  SECTION("write records") {
    o.throughput.write_records_per_second = 0;
    field = "throughput.write_records_per_second must be 1 to 1000000, got 0";
  }
  SECTION("read calls") {
    o.throughput.read_calls_per_second = 10001;
    field = "throughput.read_calls_per_second must be 1 to 10000, got 10001";
  }
  SECTION("read bytes") {
    o.throughput.read_bytes_per_second = -1;
    field = "throughput.read_bytes_per_second must be 1024";
  }
  SECTION("subscriber bytes") {
    o.throughput.subscriber_bytes_per_second = int64_t{1} << 31;
    field = "throughput.subscriber_bytes_per_second must be 1024";
  }
  SECTION("burst, fraction") {
    o.throughput.burst = absl::Microseconds(1500);
    field =
        "throughput.burst must be a whole number of milliseconds, got 1.5ms";
  }
  SECTION("burst, zero") {
    o.throughput.burst = absl::ZeroDuration();
    field = "throughput.burst must be at least 1ms, got 0";
  }
  SECTION("burst, too long") {
    o.throughput.burst = absl::Hours(2);
    field = "throughput.burst must be at most 1h, got 2h";
  }
  SECTION("split rate") {
    o.throughput.split_bytes_per_second = 0;
    field = "throughput.split_bytes_per_second must be 1 to 1073741824, got 0";
  }
  SECTION("split window") {
    o.throughput.split_window = absl::InfiniteDuration();
    field = "throughput.split_window must be finite, got inf";
  }
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(o);
  BROOK_CHECK_CODE(s.status(), kInvalidArgument);
  CHECK(absl::StrContains(s.status().message(),
                          absl::StrCat("stream s: ", field)));
  // A durable stream refuses them too, before touching the disk.
  testing::TempDir tmp;
  absl::StatusOr<std::unique_ptr<Stream>> d =
      Stream::Open(tmp.Sub("d"), o, OpenMode::kCreateIfMissing);
  BROOK_CHECK_CODE(d.status(), kInvalidArgument);
}

}  // namespace
}  // namespace brook
