// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// What every stream must do when resharded or when its retention period
// changes: run against the memory and durable streams (brook_core_tests) and
// against a remote stream on kinesalite (brook_remote_tests, which compiles
// this file with BROOK_STREAM_TEST_KINESALITE; see
// stream/stream_backend_testing.h). kinesalite has no UpdateShardCount: the
// remote copy of that case checks the documented kUnimplemented instead
// (remote_stream.h). Assertions on brook's own error wording are made for
// the local kinds only.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/stream_backend_testing.h"
#include "testing/conformance.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

std::string Null(const std::string& s) { return s.empty() ? "null" : s; }

TEST_CASE(
    BROOK_STREAM_TEST_NAME("Reshard: every kinesalite scenario, step by step"),
    "[reshard][conformance]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  const nlohmann::json doc = testing::LoadConformance("kinesis/reshard.json");
  REQUIRE(doc["scenarios"].size() > 0);
  for (const auto& scenario : doc["scenarios"]) {
    const std::string name = scenario["name"];
    INFO("scenario " << name);
    std::unique_ptr<Stream> stream =
        streams.New(scenario["initial_shard_count"].get<int>());
    for (const auto& step : scenario["steps"]) {
      const std::string op = step["op"];
      INFO("step " << step["step"].get<int>() << " " << op);
      absl::Status s;
      if (op == "SplitShard") {
        s = stream->SplitShard(
            step["params"]["ShardToSplit"].get<std::string>(),
            step["params"]["NewStartingHashKey"].get<std::string>());
      } else if (op == "MergeShards") {
        s = stream->MergeShards(
            step["params"]["ShardToMerge"].get<std::string>(),
            step["params"]["AdjacentShardToMerge"].get<std::string>());
      } else {
        REQUIRE(op == "CreateStream");
      }
      if (step["outcome"] == "ok") {
        BROOK_REQUIRE_OK(s);
      } else {
        REQUIRE(step["error"]["name"] == "InvalidArgumentException");
        BROOK_CHECK_CODE(s, kInvalidArgument);
      }
      // The whole ListShards result after the step.
      const std::vector<ShardDescription> shards = stream->ListShards();
      REQUIRE(shards.size() == step["shards"].size());
      for (size_t i = 0; i < shards.size(); ++i) {
        const auto& want = step["shards"][i];
        const ShardDescription& got = shards[i];
        CHECK(got.shard_id == want["ShardId"].get<std::string>());
        CHECK(Null(got.parent_shard_id) ==
              (want["ParentShardId"].is_null()
                   ? "null"
                   : want["ParentShardId"].get<std::string>()));
        CHECK(Null(got.adjacent_parent_shard_id) ==
              (want["AdjacentParentShardId"].is_null()
                   ? "null"
                   : want["AdjacentParentShardId"].get<std::string>()));
        CHECK(HashKeyToString(got.hash_key_range.starting_hash_key) ==
              want["HashKeyRange"]["StartingHashKey"].get<std::string>());
        CHECK(HashKeyToString(got.hash_key_range.ending_hash_key) ==
              want["HashKeyRange"]["EndingHashKey"].get<std::string>());
        CHECK(!got.is_open() == want["closed"].get<bool>());
      }
    }
    CHECK(stream->DescribeStream().open_shard_count ==
          scenario["open_shards_at_end"].get<int>());
    Producer producer(stream.get());
    for (const auto& key : scenario["final_routing"]["partition_keys"]) {
      absl::StatusOr<PutRecordResult> r =
          producer.PutRecord(key["key"].get<std::string>(), "x");
      BROOK_REQUIRE_OK(r);
      CHECK(r->shard_id == key["shard"].get<std::string>());
    }
    for (const auto& e :
         scenario["final_routing"]["explicit_hash_keys_at_open_shard_bounds"]) {
      absl::StatusOr<PutRecordResult> r = producer.PutRecord(
          "k", "x", e["explicit_hash_key"].get<std::string>());
      BROOK_REQUIRE_OK(r);
      CHECK(r->shard_id == e["shard"].get<std::string>());
    }
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Reshard: closed, unknown and malformed requests change "
              "nothing"),
          "[reshard]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(2);
  BROOK_REQUIRE_OK(stream->SplitShard(
      "shardId-000000000000", "85070591730234615865843651857942052864"));
  const std::vector<ShardDescription> before = stream->ListShards();
  // Kinesis refuses to split or merge a closed shard (kinesalite allows it).
  BROOK_CHECK_CODE(stream->SplitShard("shardId-000000000000",
                                      "42535295865117307932921825928971026432"),
                   kFailedPrecondition);
  BROOK_CHECK_CODE(
      stream->MergeShards("shardId-000000000000", "shardId-000000000001"),
      kFailedPrecondition);
  BROOK_CHECK_CODE(stream->SplitShard("shardId-000000000009", "5"), kNotFound);
  BROOK_CHECK_CODE(stream->MergeShards("shardId-000000000001", "nope"),
                   kNotFound);
  for (const char* bad : {"", "01", "1e3", "-5", "0x10",
                          "340282366920938463463374607431768211456"}) {
    INFO("hash key '" << bad << "'");
    BROOK_CHECK_CODE(stream->SplitShard("shardId-000000000001", bad),
                     kInvalidArgument);
  }
  BROOK_CHECK_CODE(stream->UpdateShardCount(0), kInvalidArgument);
  BROOK_CHECK_CODE(stream->UpdateShardCount(10001), kInvalidArgument);
  const std::vector<ShardDescription> after = stream->ListShards();
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    CHECK(after[i].shard_id == before[i].shard_id);
    CHECK(after[i].is_open() == before[i].is_open());
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Reshard: readers finish a parent, then find its children"),
          "[reshard]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(1);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  std::vector<SequenceNumber> before;
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("k" + std::to_string(i), "before");
    BROOK_REQUIRE_OK(r);
    before.push_back(r->sequence_number);
  }
  absl::StatusOr<ShardIterator> waiting = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::Latest());
  BROOK_REQUIRE_OK(waiting);
  BROOK_REQUIRE_OK(stream->SplitShard(
      "shardId-000000000000", "170141183460469231731687303715884105728"));
  // A reader waiting at the tip of the parent is released by the close.
  CHECK(consumer.WaitForRecords(*waiting, absl::Seconds(5)));

  std::vector<SequenceNumber> after;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<PutRecordResult> r =
        producer.PutRecord("k" + std::to_string(i), "after");
    BROOK_REQUIRE_OK(r);
    CHECK(r->shard_id != "shardId-000000000000");
    after.push_back(r->sequence_number);
  }
  for (const SequenceNumber& a : after) {
    for (const SequenceNumber& b : before) CHECK(b < a);
  }
  // The parent reads to its end, then names its children and ends.
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it);
  BROOK_REQUIRE_OK(r);
  CHECK(r->records().size() == 5);
  CHECK_FALSE(r->next_shard_iterator().valid());
  REQUIRE(r->child_shards().size() == 2);
  CHECK(r->child_shards()[0].shard_id == "shardId-000000000001");
  CHECK(r->child_shards()[0].parent_shards ==
        std::vector<std::string>{"shardId-000000000000"});
  CHECK(r->child_shards()[1].hash_key_range.starting_hash_key ==
        absl::MakeUint128(uint64_t{1} << 63, 0));
  // Reading with a small limit ends the same way, at the last record.
  GetRecordsOptions two;
  two.limit = 2;
  ShardIterator step = *it;
  int calls = 0;
  while (step.valid()) {
    absl::StatusOr<GetRecordsResult> part = consumer.GetRecords(step, two);
    BROOK_REQUIRE_OK(part);
    ++calls;
    if (!part->next_shard_iterator().valid())
      CHECK(part->child_shards().size() == 2);
    step = part->next_shard_iterator();
  }
  CHECK(calls == 3);
  // Closed shards refuse appends; ListShards shows the ending number.
  absl::StatusOr<Shard*> parent = stream->GetShard("shardId-000000000000");
  BROOK_REQUIRE_OK(parent);
  BROOK_CHECK_CODE((*parent)->Append({{"k", "x", 1, true}}), kAborted);
  const ShardDescription d = (*parent)->Describe();
  REQUIRE(d.ending_sequence_number.has_value());
  if (streams.remote()) {
    // The service's ending number is its own, at or after the last record
    // (remote_stream.h).
    CHECK(*d.ending_sequence_number >= before.back());
  } else {
    CHECK(*d.ending_sequence_number == before.back());
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Reshard: UpdateShardCount ends with uniform shards"),
          "[reshard]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  std::unique_ptr<Stream> stream = streams.New(1);
  UpdateShardCountOptions any_target;  // 1 -> 4 is more than double
  any_target.kinesis_scaling_limits = false;
  if (streams.remote()) {
    // kinesalite lacks UpdateShardCount: the documented error, and nothing
    // changed (remote_stream.h).
    const absl::Status s = stream->UpdateShardCount(4, any_target);
    BROOK_CHECK_CODE(s, kUnimplemented);
    CHECK(absl::StrContains(s.message(), "UpdateShardCount"));
    CHECK(stream->ListShards().size() == 1);
    return;
  }
  for (int target : {4, 3, 8, 5, 1, 2}) {
    INFO("target " << target);
    BROOK_REQUIRE_OK(stream->UpdateShardCount(target, any_target));
    std::vector<HashKeyRange> open;
    for (const ShardDescription& s : stream->ListShards()) {
      if (s.is_open()) open.push_back(s.hash_key_range);
    }
    std::sort(open.begin(), open.end(),
              [](const HashKeyRange& a, const HashKeyRange& b) {
                return a.starting_hash_key < b.starting_hash_key;
              });
    CHECK(open == UniformHashKeyRanges(target));
  }
}

TEST_CASE(BROOK_STREAM_TEST_NAME(
              "Retention change: bad periods are kInvalidArgument and change "
              "nothing, good ones apply"),
          "[retention]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  BROOK_TEST_STREAMS_OR_SKIP(streams, kind);
  // A local stream is made with a 1-minute period; a remote one has the
  // service's 24 hours (its periods are whole hours, at least 24).
  StreamOptions options;
  options.retention_period = absl::Minutes(1);
  std::unique_ptr<Stream> stream = streams.New(options);
  const absl::Duration period = stream->options().retention_period;
  CHECK(period == (streams.remote() ? absl::Hours(24) : absl::Minutes(1)));
  // `words`: brook's own wording, checked on the local kinds only (a remote
  // stream's message carries the service's).
  const auto check = [&](const absl::Status& s, absl::string_view words) {
    BROOK_CHECK_CODE(s, kInvalidArgument);
    INFO(s.message());
    if (!streams.remote()) CHECK(absl::StrContains(s.message(), words));
  };
  check(stream->IncreaseStreamRetentionPeriod(period - absl::Milliseconds(1)),
        "can not be shorter than the existing retention period (1m)");
  check(stream->DecreaseStreamRetentionPeriod(period + absl::Milliseconds(1)),
        "can not be longer than the existing retention period (1m)");
  // Whole hours, as the service takes them.
  check(stream->DecreaseStreamRetentionPeriod(period * 2),
        "can not be longer than the existing retention period (1m)");
  check(stream->DecreaseStreamRetentionPeriod(absl::ZeroDuration()),
        "retention period must be at least 1ms, got 0");
  check(stream->IncreaseStreamRetentionPeriod(absl::Milliseconds(-5)),
        "retention period must be at least 1ms, got -5ms");
  check(stream->IncreaseStreamRetentionPeriod(period + absl::Microseconds(500)),
        "retention period must be a whole number of milliseconds, got "
        "1m0.0005s");
  check(stream->IncreaseStreamRetentionPeriod(absl::InfiniteDuration()),
        "retention period must be finite, got inf");
  // Nothing changed.
  CHECK(stream->options().retention_period == period);
  CHECK(stream->DescribeStream().retention_period == period);

  // An equal period is allowed either way and changes nothing.
  BROOK_CHECK_OK(stream->DecreaseStreamRetentionPeriod(period));
  BROOK_CHECK_OK(stream->IncreaseStreamRetentionPeriod(period));
  CHECK(stream->options().retention_period == period);
  // A longer one, then back.
  BROOK_REQUIRE_OK(stream->IncreaseStreamRetentionPeriod(period * 2));
  CHECK(stream->options().retention_period == period * 2);
  CHECK(stream->DescribeStream().retention_period == period * 2);
  BROOK_REQUIRE_OK(stream->DecreaseStreamRetentionPeriod(period));
  CHECK(stream->options().retention_period == period);
  CHECK(stream->DescribeStream().retention_period == period);
}

}  // namespace
}  // namespace brook
