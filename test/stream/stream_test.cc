// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Behaviour of brook's own streams that rests on local features (options,
// segments, the manual clock, byte retention). What every stream must do,
// remote ones included, is in stream_contract_test.cc.

#include "brook/stream.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"

#include "testing/status_testing.h"

namespace brook {
namespace {

std::unique_ptr<Stream> MakeStream(StreamOptions options) {
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(options);
  REQUIRE(s.ok());
  return *std::move(s);
}

std::unique_ptr<Stream> MakeStream(int shards, Env* env = nullptr) {
  StreamOptions options;
  options.shard_count = shards;
  options.env = env;
  return MakeStream(options);
}

// Reads a whole shard from TRIM_HORIZON into owned strings.
std::vector<std::string> ReadAll(
    Stream* stream, const std::string& shard_id,
    const StartingPosition& start = StartingPosition::TrimHorizon()) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(shard_id, start);
  REQUIRE(it.ok());
  std::vector<std::string> out;
  for (;;) {
    absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
    REQUIRE(r.ok());
    if (r->records().empty()) break;
    for (const Record& rec : r->records()) out.emplace_back(rec.data);
    *it = r->next_shard_iterator();
  }
  return out;
}

TEST_CASE("Stream: bad options are rejected by name", "[stream]") {
  const auto expect_bad = [](StreamOptions o, absl::string_view field) {
    absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(o);
    BROOK_CHECK_CODE(s, kInvalidArgument);
    CHECK(s.status().message().find(std::string(field)) !=
          absl::string_view::npos);
  };
  StreamOptions o;
  o.shard_count = 0;
  expect_bad(o, "shard_count");
  o = {};
  o.shard_count = 10001;
  expect_bad(o, "shard_count");
  o = {};
  o.max_record_bytes = kLargestMaxRecordBytes + 1;
  expect_bad(o, "max_record_bytes");
  o = {};
  o.max_record_bytes = 0;
  expect_bad(o, "max_record_bytes");
  o = {};
  o.retention_period = absl::Milliseconds(0);
  expect_bad(o, "retention_period must be at least 1ms, got 0");
  o = {};
  o.retention_period = absl::Microseconds(1500);
  expect_bad(o,
             "retention_period must be a whole number of milliseconds, got "
             "1.5ms");
  o = {};
  o.retention_period = absl::InfiniteDuration();
  expect_bad(o, "retention_period must be finite, got inf");
  o = {};
  o.segment_roll_age = absl::Milliseconds(-1);
  expect_bad(o, "segment_roll_age must be at least 0ms, got -1ms");
  o = {};
  o.group_commit_interval = absl::Nanoseconds(1);
  expect_bad(o,
             "group_commit_interval must be a whole number of milliseconds, "
             "got 1ns");
  o = {};
  o.durability = Durability::kGroupCommit;
  o.group_commit_bytes = 0;
  o.group_commit_interval = absl::ZeroDuration();
  expect_bad(o,
             "kGroupCommit needs group_commit_bytes or group_commit_interval");
  o = {};
  o.segment_bytes = 1000;
  expect_bad(o, "segment_bytes");
  o = {};
  o.retention_bytes = -1;
  expect_bad(o, "retention_bytes");
  o = {};
  o.retention_bytes = o.segment_bytes;
  expect_bad(o, "retention_bytes");
  o = {};
  o.name = "";
  expect_bad(o, "name");
}

TEST_CASE("Producer: max record size counts key and data and is configurable",
          "[producer]") {
  StreamOptions options;
  options.max_record_bytes = 100;
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  BROOK_CHECK_OK(producer.PutRecord("k", std::string(99, 'x')));
  BROOK_CHECK_CODE(producer.PutRecord("k", std::string(100, 'x')),
                   kInvalidArgument);
  BROOK_CHECK_CODE(producer.PutRecord("kk", std::string(99, 'x')),
                   kInvalidArgument);

  options.max_record_bytes = kLargestMaxRecordBytes;
  stream = MakeStream(options);
  Producer large(stream.get());
  const std::string ten_mib(kLargestMaxRecordBytes - 1, 'y');
  BROOK_REQUIRE_OK(large.PutRecord("k", ten_mib));
  BROOK_CHECK_CODE(large.PutRecord("kk", ten_mib), kInvalidArgument);
  const std::vector<std::string> back =
      ReadAll(stream.get(), "shardId-000000000000");
  REQUIRE(back.size() == 1);
  CHECK(back[0] == ten_mib);
}

TEST_CASE("Shard: Append takes pre-routed batches, all or nothing", "[shard]") {
  std::unique_ptr<Stream> stream = MakeStream(2);
  Shard* shard = *stream->GetShard("shardId-000000000001");
  const HashKey start = shard->hash_key_range().starting_hash_key;
  std::vector<RoutedRecord> batch = {{"a", "1", start, true},
                                     {"b", "2", start + 5, true}};
  absl::StatusOr<SequenceNumber> first = shard->Append(batch);
  BROOK_REQUIRE_OK(first);

  // A hash key of the other shard spoils the whole batch.
  batch.push_back({"c", "3", start - 1, true});
  absl::StatusOr<SequenceNumber> bad = shard->Append(batch);
  BROOK_CHECK_CODE(bad, kInvalidArgument);
  CHECK(bad.status().message().find("record 2") != absl::string_view::npos);
  BROOK_CHECK_CODE(shard->Append({}), kInvalidArgument);
  BROOK_CHECK_CODE(shard->Append({{"", "x", start, false}}), kInvalidArgument);

  CHECK(ReadAll(stream.get(), shard->id()) ==
        std::vector<std::string>{"1", "2"});
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      shard->id(), StartingPosition::AtSequenceNumber(*first));
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->records().size() == 2);
  CHECK(r->records()[0].sequence_number == *first);
  CHECK(r->records()[0].hash_key == start);
  CHECK(r->records()[0].has_explicit_hash_key);
  CHECK(r->records()[1].partition_key == "b");
}

TEST_CASE("Consumer: limits, byte caps, resumption across segments",
          "[consumer]") {
  StreamOptions options;
  options.segment_bytes = 64 << 10;  // small segments: many of them
  std::unique_ptr<Stream> stream = MakeStream(options);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  Consumer consumer(stream.get());
  // Batches of varied sizes so frames end at odd places.
  std::vector<std::string> payloads;
  int next = 0;
  for (int batch = 0; batch < 300; ++batch) {
    std::vector<std::string> owned;
    for (int i = 0; i < 1 + batch % 17; ++i) {
      owned.push_back(std::to_string(next++) + std::string(batch % 300, 'p'));
    }
    std::vector<RoutedRecord> routed;
    for (const std::string& s : owned) routed.push_back({"k", s, 0, true});
    BROOK_REQUIRE_OK(shard->Append(routed));
    payloads.insert(payloads.end(), owned.begin(), owned.end());
  }

  for (int limit : {1, 7, 100, 10000}) {
    INFO("limit " << limit);
    absl::StatusOr<ShardIterator> it =
        consumer.GetShardIterator(shard->id(), StartingPosition::TrimHorizon());
    std::vector<std::string> got;
    SequenceNumber last;
    GetRecordsOptions o;
    o.limit = limit;
    for (;;) {
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, o);
      BROOK_REQUIRE_OK(r);
      if (r->records().empty()) break;
      CHECK(r->records().size() <= static_cast<size_t>(limit));
      for (const Record& rec : r->records()) {
        if (!got.empty()) CHECK(last < rec.sequence_number);
        last = rec.sequence_number;
        got.emplace_back(rec.data);
      }
      *it = r->next_shard_iterator();
    }
    CHECK(got == payloads);
  }

  // A byte cap returns at least one record, and no more than fits.
  GetRecordsOptions o;
  o.max_bytes = 1;
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(shard->id(), StartingPosition::TrimHorizon());
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, o);
  BROOK_REQUIRE_OK(r);
  CHECK(r->records().size() == 1);
  o.max_bytes = 1000;
  r = consumer.GetRecords(*it, o);
  BROOK_REQUIRE_OK(r);
  int64_t bytes = 0;
  for (size_t i = 0; i + 1 < r->records().size(); ++i) {
    bytes += static_cast<int64_t>(r->records()[i].data.size() + 1);
  }
  CHECK(bytes < 1000);

  // AT_SEQUENCE_NUMBER lands mid-batch in a later segment.
  absl::StatusOr<GetRecordsResult> all = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(all);
  const Record& mid = all->records()[all->records().size() / 2 + 3];
  absl::StatusOr<ShardIterator> at = consumer.GetShardIterator(
      shard->id(), StartingPosition::AtSequenceNumber(mid.sequence_number));
  absl::StatusOr<GetRecordsResult> from_mid = consumer.GetRecords(*at);
  BROOK_REQUIRE_OK(from_mid);
  CHECK(from_mid->records().front().data == mid.data);
}

TEST_CASE("Consumer: millis behind latest", "[consumer]") {
  ManualClockEnv env(10'000);
  std::unique_ptr<Stream> stream = MakeStream(1, &env);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "old"));
  env.Advance(absl::Milliseconds(5'000));
  BROOK_REQUIRE_OK(producer.PutRecord("k", "new"));
  env.Advance(absl::Milliseconds(1'000));
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  GetRecordsOptions one;
  one.limit = 1;
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, one);
  BROOK_REQUIRE_OK(r);
  // The oldest unread record arrived at 15'000; now is 16'000.
  CHECK(r->behind_latest() == absl::Seconds(1));
  r = consumer.GetRecords(r->next_shard_iterator(), one);
  BROOK_REQUIRE_OK(r);
  CHECK(r->behind_latest() == absl::ZeroDuration());
}

TEST_CASE("Retention: by age, with a clock that never goes back in a shard",
          "[retention]") {
  ManualClockEnv env(1'000'000);
  StreamOptions options;
  options.env = &env;
  options.retention_period = absl::Milliseconds(60'000);
  options.segment_bytes = 64 << 10;
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  const std::string shard = "shardId-000000000000";
  const std::string payload(1000, 'x');
  for (int i = 0; i < 200; ++i)
    BROOK_REQUIRE_OK(producer.PutRecord("k", payload));
  absl::StatusOr<ShardIterator> old =
      consumer.GetShardIterator(shard, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(old);
  // Hold a result: its views must survive the trim.
  absl::StatusOr<GetRecordsResult> held = consumer.GetRecords(*old);
  BROOK_REQUIRE_OK(held);
  REQUIRE(held->records().size() == 200);

  env.Advance(absl::Milliseconds(30'000));
  for (int i = 0; i < 5; ++i)
    BROOK_REQUIRE_OK(producer.PutRecord("k", "fresh"));
  env.Advance(absl::Milliseconds(40'000));  // the first 200 are now 70 s old
  // The clock going back does not reorder arrival times.
  env.Advance(absl::Milliseconds(-1));
  // Storage goes a whole segment at a time; the rest is hidden from readers.
  const int64_t trimmed = stream->TrimExpired();
  CHECK(trimmed > 0);
  CHECK(trimmed <= 200);
  CHECK(ReadAll(stream.get(), shard) == std::vector<std::string>(5, "fresh"));
  CHECK(held->records()[199].data == payload);  // still readable

  // The old iterator moves to the trim horizon and says what it skipped.
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*old);
  BROOK_REQUIRE_OK(r);
  CHECK(r->skipped_records() == 200);
  REQUIRE(r->records().size() == 5);
  CHECK(r->records()[0].data == "fresh");

  // Everything expires, including the open segment.
  env.Advance(absl::Milliseconds(120'000));
  absl::StatusOr<GetRecordsResult> empty =
      consumer.GetRecords(r->next_shard_iterator());
  BROOK_REQUIRE_OK(empty);
  CHECK(empty->records().empty());
  CHECK(ReadAll(stream.get(), shard).empty());
  CHECK(stream->DescribeStream().stored_bytes == 0);
  // Writing resumes after a full trim with increasing numbers.
  absl::StatusOr<PutRecordResult> again = producer.PutRecord("k", "again");
  BROOK_REQUIRE_OK(again);
  CHECK(r->records()[4].sequence_number < again->sequence_number);
  CHECK(ReadAll(stream.get(), shard) == std::vector<std::string>{"again"});
}

TEST_CASE("Retention: byte bound rejects writes and loses nothing accepted",
          "[retention]") {
  StreamOptions options;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 256 << 10;
  options.on_full = RetentionFullPolicy::kRejectWrites;
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  const std::string payload(1000, 'r');
  int accepted = 0;
  absl::Status last;
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("key-" + std::to_string(i), payload);
    if (!r.ok()) {
      last = r.status();
      break;
    }
    ++accepted;
  }
  BROOK_CHECK_CODE(last, kResourceExhausted);
  CHECK(last.message().find("retention_bytes") != absl::string_view::npos);
  CHECK(accepted > 200);
  CHECK(stream->DescribeStream().stored_bytes <= options.retention_bytes);
  const size_t stored = ReadAll(stream.get(), "shardId-000000000000").size() +
                        ReadAll(stream.get(), "shardId-000000000001").size();
  CHECK(stored == static_cast<size_t>(accepted));
  // PutRecords fails those entries one by one, and stores none of them.
  std::vector<PutRecordsEntry> more(10, PutRecordsEntry{"k", payload});
  absl::StatusOr<PutRecordsResult> rs = producer.PutRecords(more);
  BROOK_REQUIRE_OK(rs);
  CHECK(rs->failed_record_count == 10);
  BROOK_CHECK_CODE(rs->records[0].status, kResourceExhausted);
}

TEST_CASE("Retention: byte bound drops the oldest segments across shards",
          "[retention]") {
  ManualClockEnv env(0);
  StreamOptions options;
  options.env = &env;
  options.shard_count = 2;
  options.segment_bytes = 64 << 10;
  options.retention_bytes = 256 << 10;
  options.on_full = RetentionFullPolicy::kDropOldest;
  std::unique_ptr<Stream> stream = MakeStream(options);
  Producer producer(stream.get());
  const std::string payload(1000, 'd');
  std::map<std::string, std::vector<std::string>> written;
  for (int i = 0; i < 2000; ++i) {
    env.Advance(absl::Milliseconds(1));
    const std::string data = std::to_string(i) + payload;
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("key-" + std::to_string(i), data);
    BROOK_REQUIRE_OK(r);
    written[std::string(r->shard_id)].push_back(data);
  }
  const StreamDescription d = stream->DescribeStream();
  // At most the bound plus one open segment per shard.
  CHECK(d.stored_bytes <= options.retention_bytes + 2 * options.segment_bytes);
  CHECK(d.stored_bytes >= options.retention_bytes - 2 * options.segment_bytes);
  for (const auto& [shard, data] : written) {
    const std::vector<std::string> kept = ReadAll(stream.get(), shard);
    REQUIRE(!kept.empty());
    CHECK(kept.size() < data.size());
    // What is kept is the newest suffix, in order.
    CHECK(std::equal(kept.begin(), kept.end(), data.end() - kept.size()));
  }
}

}  // namespace
}  // namespace brook
