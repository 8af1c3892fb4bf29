// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every stream must do through the public API (`Stream`, `Producer`,
// `Consumer`): run against the memory and durable streams (brook_core_tests)
// and against a remote stream on kinesalite (brook_remote_tests, which
// compiles this file with BROOK_STREAM_TEST_KINESALITE; see
// stream/stream_backend_testing.h). Where an assertion rests on a local-only
// detail (brook's own error wording, the manual clock) it is made for the
// local kinds only, saying why.

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

#include "stream/stream_backend_testing.h"
#include "testing/conformance.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::ReadAll;
using testing::ReadShard;

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Stream: ListShards and DescribeStream as Kinesis shows a new "
              "stream"),
          "[stream]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  StreamOptions options;
  options.name = "clicks";
  options.shard_count = 3;
  std::unique_ptr<Stream> stream = streams.New(options);
  const std::vector<ShardDescription> shards = stream->ListShards();
  REQUIRE(shards.size() == 3);
  CHECK(shards[0].shard_id == "shardId-000000000000");
  CHECK(shards[2].shard_id == "shardId-000000000002");
  CHECK(HashKeyToString(shards[1].hash_key_range.starting_hash_key) ==
        "113427455640312821154458202477256070485");
  for (const ShardDescription& s : shards) {
    CHECK(s.is_open());
    CHECK(s.parent_shard_id.empty());
    CHECK(s.adjacent_parent_shard_id.empty());
  }
  // Each shard's numbers differ and name the shard.
  CHECK(shards[0].starting_sequence_number !=
        shards[1].starting_sequence_number);

  const StreamDescription d = stream->DescribeStream();
  // A remote stream's name is made unique on the shared server.
  CHECK(absl::StartsWith(d.stream_name, "clicks"));
  CHECK(d.stream_name == stream->options().name);
  CHECK(d.stream_status == "ACTIVE");
  CHECK(d.open_shard_count == 3);
  CHECK(d.retention_period == absl::Hours(24));
  CHECK(d.stored_bytes == 0);

  absl::StatusOr<Shard*> shard = stream->GetShard("shardId-000000000002");
  BROOK_REQUIRE_OK(shard);
  CHECK((*shard)->id() == "shardId-000000000002");
  for (const char* bad : {"shardId-000000000003", "shardId-1", "nope", "",
                          "shardId-00000000000x"}) {
    INFO(bad);
    BROOK_CHECK_CODE(stream->GetShard(bad), kNotFound);
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Producer: routing matches kinesalite on 1, 2, 3, 4 and 8 "
              "shards"),
          "[producer][conformance]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  const nlohmann::json doc = testing::LoadConformance("kinesis/routing.json");
  for (int n : {1, 2, 3, 4, 8}) {
    std::unique_ptr<Stream> stream = streams.New(n);
    Producer producer(stream.get());
    const std::string count = std::to_string(n);
    for (const auto& key : doc["keys"]) {
      const std::string pk = key["partition_key"];
      absl::StatusOr<PutRecordResult> r = producer.PutRecord(pk, "x");
      BROOK_REQUIRE_OK(r);
      CHECK(r->shard_id == key["shard"][count].get<std::string>());
    }
    for (const auto& e : doc["explicit_hash_keys"]) {
      const std::string pk = e["partition_key"];
      const std::string ehk = e["explicit_hash_key"];
      absl::StatusOr<PutRecordResult> r = producer.PutRecord(pk, "x", ehk);
      BROOK_REQUIRE_OK(r);
      INFO("explicit hash key " << ehk << " on " << n << " shards");
      CHECK(r->shard_id == e["shard"][count].get<std::string>());
    }
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Producer: PutRecords reports each entry and keeps input order"),
          "[producer]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(4);
  Producer producer(stream.get());
  const std::string big(kDefaultMaxRecordBytes, 'x');
  std::vector<PutRecordsEntry> entries = {
      {"k1", "a"},
      {"", "empty key"},  // bad
      {"k1", "b"},
      {"k2", "c", "not-a-number"},  // bad
      {"k3", big},                  // too large with the key
      {"k1", "d", "340282366920938463463374607431768211455"},
      {"k4", "e", "01"},          // bad: leading zero
      {"\xC3\x28", "bad utf-8"},  // bad
  };
  absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(r);
  REQUIRE(r->records.size() == entries.size());
  CHECK(r->failed_record_count == 5);
  for (size_t i : {1u, 3u, 4u, 6u, 7u}) {
    INFO("entry " << i);
    BROOK_CHECK_CODE(r->records[i].status, kInvalidArgument);
    CHECK(r->records[i].shard_id.empty());
  }
  CHECK(r->records[4].status.message().find("max record size") !=
        absl::string_view::npos);
  BROOK_CHECK_OK(r->records[0].status);
  BROOK_CHECK_OK(r->records[2].status);
  CHECK(r->records[0].shard_id == r->records[2].shard_id);
  CHECK(r->records[0].sequence_number < r->records[2].sequence_number);
  CHECK(r->records[5].shard_id == "shardId-000000000003");

  // Only the valid records were stored, in order.
  const std::string shard = std::string(r->records[0].shard_id);
  CHECK(ReadAll(stream.get(), shard) == std::vector<std::string>{"a", "b"});
  CHECK(ReadAll(stream.get(), "shardId-000000000003") ==
        std::vector<std::string>{"d"});

  BROOK_CHECK_CODE(producer.PutRecords({}), kInvalidArgument);
}

TEST_CASE(BROOK_STREAM_TEST_NAME("Consumer: the five iterator types"),
          "[consumer]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  // A local stream runs on a manual clock (record i arrives at 1'000'000 +
  // 100 * i); a remote one on the service's clock, so the AT_TIMESTAMP
  // checks use the arrival times read back.
  ManualClockEnv env(1'000'000);
  std::unique_ptr<Stream> stream = streams.New(1, &env);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  const std::string shard = "shardId-000000000000";
  std::vector<SequenceNumber> seq;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("key", "r" + std::to_string(i));
    BROOK_REQUIRE_OK(r);
    if (!seq.empty()) CHECK(seq.back() < r->sequence_number);
    seq.push_back(r->sequence_number);
    env.Advance(absl::Milliseconds(100));
  }
  using V = std::vector<std::string>;
  const testing::ShardRead all = ReadShard(stream.get(), shard);
  REQUIRE(all.records.size() == 10);
  std::vector<int64_t> arrival;
  for (const Record& r : all.records) {
    if (!arrival.empty())
      CHECK(arrival.back() <= r.approximate_arrival_timestamp_millis);
    arrival.push_back(r.approximate_arrival_timestamp_millis);
  }
  if (!streams.remote()) {
    for (int i = 0; i < 10; ++i) CHECK(arrival[i] == 1'000'000 + 100 * i);
  }
  CHECK(ReadAll(stream.get(), shard,
                StartingPosition::AtSequenceNumber(seq[7])) ==
        V{"r7", "r8", "r9"});
  CHECK(ReadAll(stream.get(), shard,
                StartingPosition::AfterSequenceNumber(seq[7])) ==
        V{"r8", "r9"});
  CHECK(ReadAll(stream.get(), shard,
                StartingPosition::AfterSequenceNumber(seq[9]))
            .empty());
  // AT_TIMESTAMP t: every record that arrived at or after t, in order. (No t
  // after the last arrival here: kinesalite never answers one, and the
  // client times out; Kinesis returns an iterator at the tip.)
  const auto arrived_from = [&](int64_t t) {
    V out;
    for (size_t i = 0; i < arrival.size(); ++i) {
      if (arrival[i] >= t) out.push_back(all.data[i]);
    }
    return out;
  };
  for (int64_t t : {arrival[2] + (arrival[3] - arrival[2]) / 2, arrival[3],
                    arrival[9], int64_t{0}}) {
    INFO("AT_TIMESTAMP " << t);
    CHECK(ReadAll(stream.get(), shard, StartingPosition::AtTimestamp(t)) ==
          arrived_from(t));
  }
  if (!streams.remote()) {  // the manual clock puts these apart exactly
    CHECK(ReadAll(stream.get(), shard,
                  StartingPosition::AtTimestamp(1'000'250)) ==
          V{"r3", "r4", "r5", "r6", "r7", "r8", "r9"});
    CHECK(ReadAll(stream.get(), shard, StartingPosition::AtTimestamp(9'000'000))
              .empty());
  }

  absl::StatusOr<ShardIterator> latest =
      consumer.GetShardIterator(shard, StartingPosition::Latest());
  BROOK_REQUIRE_OK(latest);
  absl::StatusOr<GetRecordsResult> none = consumer.GetRecords(*latest);
  BROOK_REQUIRE_OK(none);
  CHECK(none->records().empty());
  CHECK(none->next_shard_iterator().valid());
  CHECK(none->behind_latest() == absl::ZeroDuration());
  BROOK_REQUIRE_OK(producer.PutRecord("key", "new"));
  absl::StatusOr<GetRecordsResult> one =
      consumer.GetRecords(none->next_shard_iterator());
  BROOK_REQUIRE_OK(one);
  REQUIRE(one->records().size() == 1);
  CHECK(one->records()[0].data == "new");
  CHECK(one->records()[0].approximate_arrival_timestamp_millis >=
        arrival.back());
  if (!streams.remote()) {
    CHECK(one->records()[0].approximate_arrival_timestamp_millis == 1'001'000);
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME("Consumer: bad iterator requests"),
          "[consumer]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(2);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  absl::StatusOr<PutRecordResult> put =
      producer.PutRecord("a", "x");  // shard 0
  BROOK_REQUIRE_OK(put);
  REQUIRE(put->shard_id == "shardId-000000000000");
  const SequenceNumber n = put->sequence_number;
  const std::string s0 = "shardId-000000000000";
  const std::string s1 = "shardId-000000000001";

  BROOK_CHECK_CODE(consumer.GetShardIterator("shardId-000000000009",
                                             StartingPosition::TrimHorizon()),
                   kNotFound);
  StartingPosition p = StartingPosition::TrimHorizon();
  p.sequence_number = n;
  BROOK_CHECK_CODE(consumer.GetShardIterator(s0, p), kInvalidArgument);
  p = StartingPosition::Latest();
  p.timestamp_millis = 5;
  BROOK_CHECK_CODE(consumer.GetShardIterator(s0, p), kInvalidArgument);
  p = {ShardIteratorType::kAtSequenceNumber, std::nullopt, std::nullopt};
  BROOK_CHECK_CODE(consumer.GetShardIterator(s0, p), kInvalidArgument);
  p = {ShardIteratorType::kAtTimestamp, std::nullopt, std::nullopt};
  BROOK_CHECK_CODE(consumer.GetShardIterator(s0, p), kInvalidArgument);
  p = {static_cast<ShardIteratorType>(42), std::nullopt, std::nullopt};
  BROOK_CHECK_CODE(consumer.GetShardIterator(s0, p), kInvalidArgument);
  // A number of shard 0 given to shard 1.
  absl::StatusOr<ShardIterator> wrong =
      consumer.GetShardIterator(s1, StartingPosition::AtSequenceNumber(n));
  BROOK_CHECK_CODE(wrong, kInvalidArgument);
  if (!streams.remote()) {  // brook's own wording
    CHECK(wrong.status().message().find("another shard") !=
          absl::string_view::npos);
  }
  // A number this shard has not issued (yet). kinesalite answers
  // InternalFailure to a number it cannot decode (retried until the client
  // gives up: kUnavailable), where Kinesis answers InvalidArgumentException:
  // local kinds only.
  if (!streams.remote()) {
    absl::StatusOr<SequenceNumber> future =
        SequenceNumber::Parse("1000000000000000000000000000");
    BROOK_REQUIRE_OK(future);
    BROOK_CHECK_CODE(consumer.GetShardIterator(
                         s0, StartingPosition::AtSequenceNumber(*future)),
                     kInvalidArgument);
  }
  BROOK_CHECK_CODE(
      consumer.GetShardIterator(s1, StartingPosition::AfterSequenceNumber(
                                        SequenceNumber::FromValue(0))),
      kInvalidArgument);

  BROOK_CHECK_CODE(consumer.GetRecords(ShardIterator()), kInvalidArgument);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(s0, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions o;
  o.limit = 0;
  BROOK_CHECK_CODE(consumer.GetRecords(*it, o), kInvalidArgument);
  o.limit = 10001;
  BROOK_CHECK_CODE(consumer.GetRecords(*it, o), kInvalidArgument);
  o = {};
  o.max_bytes = 0;
  BROOK_CHECK_CODE(consumer.GetRecords(*it, o), kInvalidArgument);
  // An iterator of another stream.
  std::unique_ptr<Stream> other = streams.New(1);
  Consumer other_consumer(other.get());
  BROOK_CHECK_CODE(other_consumer.GetRecords(*it), kInvalidArgument);

  CHECK(ParseShardIteratorType("AT_TIMESTAMP").value() ==
        ShardIteratorType::kAtTimestamp);
  BROOK_CHECK_CODE(ParseShardIteratorType("at_timestamp"), kInvalidArgument);
  CHECK(ShardIteratorTypeName(ShardIteratorType::kAfterSequenceNumber) ==
        "AFTER_SEQUENCE_NUMBER");
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Consumer: WaitForRecords wakes on append and times out"),
          "[consumer]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(1);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::Latest());
  BROOK_REQUIRE_OK(it);
  CHECK_FALSE(consumer.WaitForRecords(*it, absl::Milliseconds(1)));
  CHECK_FALSE(consumer.WaitForRecords(ShardIterator(), absl::Seconds(1)));
  BROOK_REQUIRE_OK(producer.PutRecord("k", "v"));
  CHECK(consumer.WaitForRecords(*it, absl::ZeroDuration()));
}

}  // namespace
}  // namespace brook
