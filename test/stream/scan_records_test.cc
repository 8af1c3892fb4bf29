// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer::ScanRecords() reads what GetRecords() reads, record for record
// and result for result, on memory, durable and compressed streams: the same
// limits, iterators, ends of closed shards, de-aggregation, errors and
// metrics, with the records handed to a visitor instead of collected.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/metrics.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/stream_backend_testing.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

// A record as a test keeps it (the visitor's views end with its call).
struct Seen {
  SequenceNumber sequence_number;
  uint64_t subsequence_number = 0;
  int64_t arrival_millis = 0;
  bool damaged_aggregate = false;
  bool has_explicit_hash_key = false;
  HashKey hash_key = 0;
  std::string partition_key;
  std::string data;

  explicit Seen(const Record& r)
      : sequence_number(r.sequence_number),
        subsequence_number(r.subsequence_number),
        arrival_millis(r.approximate_arrival_timestamp_millis),
        damaged_aggregate(r.damaged_aggregate),
        has_explicit_hash_key(r.has_explicit_hash_key),
        hash_key(r.hash_key),
        partition_key(r.partition_key),
        data(r.data) {}
  bool operator==(const Seen& o) const {
    return sequence_number == o.sequence_number &&
           subsequence_number == o.subsequence_number &&
           arrival_millis == o.arrival_millis &&
           damaged_aggregate == o.damaged_aggregate &&
           has_explicit_hash_key == o.has_explicit_hash_key &&
           hash_key == o.hash_key && partition_key == o.partition_key &&
           data == o.data;
  }
};

// One call each way from the same iterator; requires both to agree on every
// record and on everything the result says. Returns the next iterator.
ShardIterator ReadBothWays(const Consumer& consumer, const ShardIterator& at,
                           const GetRecordsOptions& options,
                           size_t* records = nullptr) {
  absl::StatusOr<GetRecordsResult> got = consumer.GetRecords(at, options);
  BROOK_REQUIRE_OK(got);
  std::vector<Seen> scanned;
  absl::StatusOr<ScanRecordsResult> scan = consumer.ScanRecords(
      at, options, [&](const Record& r) { scanned.emplace_back(r); });
  BROOK_REQUIRE_OK(scan);
  REQUIRE(scan->records == static_cast<int64_t>(scanned.size()));
  REQUIRE(scanned.size() == got->records().size());
  for (size_t i = 0; i < scanned.size(); ++i) {
    INFO("record " << i);
    CHECK(scanned[i] == Seen(got->records()[i]));
  }
  CHECK(scan->next_shard_iterator.valid() ==
        got->next_shard_iterator().valid());
  if (got->next_shard_iterator().valid()) {
    // Both next iterators read on from the same record.
    GetRecordsOptions one;
    one.limit = 1;
    absl::StatusOr<GetRecordsResult> a =
        consumer.GetRecords(got->next_shard_iterator(), one);
    absl::StatusOr<GetRecordsResult> b =
        consumer.GetRecords(scan->next_shard_iterator, one);
    BROOK_REQUIRE_OK(a);
    BROOK_REQUIRE_OK(b);
    REQUIRE(a->records().size() == b->records().size());
    if (!a->records().empty()) {
      CHECK(a->records()[0].sequence_number == b->records()[0].sequence_number);
    }
  }
  CHECK(scan->behind_latest == got->behind_latest());
  CHECK(scan->skipped_records == got->skipped_records());
  REQUIRE(scan->child_shards.size() == got->child_shards().size());
  for (size_t i = 0; i < scan->child_shards.size(); ++i) {
    CHECK(scan->child_shards[i].shard_id == got->child_shards()[i].shard_id);
  }
  if (records != nullptr) *records = scanned.size();
  return got->next_shard_iterator();
}

std::vector<RoutedRecord> Batch(int first, int n, const std::string& pad) {
  static std::vector<std::string> keys, data;  // outlive the batch
  std::vector<RoutedRecord> batch;
  for (int i = first; i < first + n; ++i) {
    keys.push_back(absl::StrCat("key-", i % 7));
    data.push_back(absl::StrCat("record-", i, pad));
  }
  for (int i = 0; i < n; ++i) {
    const size_t at = keys.size() - n + i;
    batch.push_back(RoutedRecord{keys[at], data[at],
                                 static_cast<HashKey>(1000 + first + i),
                                 (first + i) % 2 == 0});
  }
  return batch;
}

TEST_CASE(
    "Consumer::ScanRecords: the records, iterators and results of "
    "GetRecords",
    "[stream][consumer]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  const int compression = GENERATE(0, 3);
  INFO(testing::StreamKindName(kind) << ", zstd level " << compression);
  testing::TestStreams streams(kind);
  ManualClockEnv clock(1'700'000'000'000);
  StreamOptions options;
  options.shard_count = 1;
  options.env = &clock;
  options.segment_bytes = 64 << 10;  // several segments
  options.compression_level = compression;
  std::unique_ptr<Stream> stream = streams.New(options);
  Shard* shard = *stream->GetShard("shardId-000000000000");
  const std::string pad(200, 'p');
  for (int first = 0; first < 2000; first += 50) {
    BROOK_REQUIRE_OK(shard->Append(Batch(first, 50, pad)));
    clock.Advance(absl::Milliseconds(3));
  }
  const Consumer consumer(stream.get());

  for (const auto& [limit, max_bytes] : std::vector<std::pair<int, int64_t>>{
           {10000, int64_t{1} << 40}, {7, int64_t{1} << 40}, {10000, 5000}}) {
    INFO("limit " << limit << ", max_bytes " << max_bytes);
    GetRecordsOptions read;
    read.limit = limit;
    read.max_bytes = max_bytes;
    ShardIterator at = *consumer.GetShardIterator(
        shard->id(), StartingPosition::TrimHorizon());
    size_t total = 0;
    for (int calls = 0; calls < 1000; ++calls) {
      size_t n = 0;
      at = ReadBothWays(consumer, at, read, &n);
      if (n == 0) break;
      total += n;
    }
    CHECK(total == 2000);
  }
  // Mid-batch, from a sequence number.
  GetRecordsResult some = *consumer.GetRecords(
      *consumer.GetShardIterator(shard->id(), StartingPosition::TrimHorizon()));
  const ShardIterator mid = *consumer.GetShardIterator(
      shard->id(),
      StartingPosition::AtSequenceNumber(some.records()[777].sequence_number));
  GetRecordsOptions five;
  five.limit = 5;
  ReadBothWays(consumer, mid, five);

  // The end of a closed shard: no next iterator, and the children.
  BROOK_REQUIRE_OK(
      stream->SplitShard(shard->id(), HashKeyToString(absl::Uint128Max() / 2)));
  ShardIterator at =
      *consumer.GetShardIterator(shard->id(), StartingPosition::TrimHorizon());
  for (int calls = 0; calls < 10 && at.valid(); ++calls) {
    at = ReadBothWays(consumer, at, GetRecordsOptions());
  }
  CHECK_FALSE(at.valid());
}

// A one-shard stream of `kind` on a manual clock: both reads of a
// comparison must see the same lag (behind_latest).
struct OneShardStream {
  explicit OneShardStream(testing::StreamKind kind)
      : streams(kind), stream(streams.New(1, &clock)) {}
  testing::TestStreams streams;
  ManualClockEnv clock{1'700'000'000'000};
  std::unique_ptr<Stream> stream;
};

TEST_CASE(
    "Consumer::ScanRecords: refuses what GetRecords refuses, and a "
    "visitor may call the stream",
    "[stream][consumer]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  INFO(testing::StreamKindName(kind));
  OneShardStream one(kind);
  Stream* const stream = one.stream.get();
  Producer producer(stream);
  for (int i = 0; i < 10; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("k", absl::StrCat("r", i)));
  }
  const Consumer consumer(stream);
  int calls = 0;
  const auto count = [&calls](const Record&) { ++calls; };
  const absl::StatusOr<ScanRecordsResult> invalid =
      consumer.ScanRecords(ShardIterator(), GetRecordsOptions(), count);
  BROOK_CHECK_CODE(invalid, kInvalidArgument);
  CHECK(absl::StrContains(invalid.status().message(), "ScanRecords"));
  const ShardIterator at = *consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  GetRecordsOptions bad;
  bad.limit = 10001;
  BROOK_CHECK_CODE(consumer.ScanRecords(at, bad, count), kInvalidArgument);
  bad = GetRecordsOptions();
  bad.max_bytes = 0;
  BROOK_CHECK_CODE(consumer.ScanRecords(at, bad, count), kInvalidArgument);
  if (kind == testing::StreamKind::kMemory) {
    GetRecordsOptions durable;
    durable.durable_only = true;
    BROOK_CHECK_CODE(consumer.ScanRecords(at, durable, count),
                     kFailedPrecondition);
  }
  CHECK(calls == 0);

  // The visitor runs with no lock of the stream held: it may read and write.
  std::vector<std::string> seen;
  absl::StatusOr<ScanRecordsResult> scan =
      consumer.ScanRecords(at, GetRecordsOptions(), [&](const Record& r) {
        seen.emplace_back(r.data);
        CHECK(consumer.ListShards().size() == 1);
        if (seen.size() == 1) {
          BROOK_CHECK_OK(producer.PutRecord("k", "put while scanning"));
          BROOK_CHECK_OK(consumer.GetRecords(at).status());
        }
      });
  BROOK_REQUIRE_OK(scan);
  REQUIRE(seen.size() == 10);  // the snapshot taken before the visit
  CHECK(seen[9] == "r9");
  std::vector<std::string> rest;
  BROOK_REQUIRE_OK(consumer.ScanRecords(
      scan->next_shard_iterator, GetRecordsOptions(),
      [&](const Record& r) { rest.emplace_back(r.data); }));
  CHECK(rest == std::vector<std::string>{"put while scanning"});

  // Counted in the shard's metrics as a GetRecords call is.
  const StreamMetricsSnapshot m = stream->GetMetrics();
  REQUIRE(m.shards.size() == 1);
  // 10 + 1 scanned, and the 11 of the visitor's GetRecords.
  CHECK(m.shards[0].records_out == 10 + 1 + 11);
}

TEST_CASE("Consumer::ScanRecords: de-aggregates as GetRecords does",
          "[stream][consumer][kpl]") {
  const testing::StreamKind kind = GENERATE(BROOK_STREAM_KINDS);
  INFO(testing::StreamKindName(kind));
  OneShardStream one(kind);
  Stream* const stream = one.stream.get();
  Producer producer(stream);
  AggregateBuilder builder;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(*builder.Add(absl::StrCat("user-", i), i == 2 ? "77" : "",
                         absl::StrCat("u", i)));
  }
  const AggregateBuilder::Aggregate a = *builder.Finish();
  std::string damaged = a.data;
  damaged[damaged.size() - 1] ^= 1;  // the MD5 trailer
  BROOK_REQUIRE_OK(producer.PutRecord("plain", "p0"));
  BROOK_REQUIRE_OK(
      producer.PutRecord(a.partition_key, a.data, a.explicit_hash_key));
  BROOK_REQUIRE_OK(
      producer.PutRecord(a.partition_key, damaged, a.explicit_hash_key));
  BROOK_REQUIRE_OK(producer.PutRecord("plain", "p1"));

  const Consumer consumer(stream);
  const ShardIterator at = *consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  GetRecordsOptions expand;
  expand.deaggregate = true;
  size_t n = 0;
  ReadBothWays(consumer, at, expand, &n);
  CHECK(n == 1 + 4 + 1 + 1);
  std::vector<std::string> keys;
  BROOK_REQUIRE_OK(consumer.ScanRecords(at, expand, [&](const Record& r) {
    keys.push_back(absl::StrCat(r.partition_key, "/", r.subsequence_number,
                                r.damaged_aggregate ? "/damaged" : ""));
  }));
  CHECK(keys == std::vector<std::string>{
                    "plain/0", "user-0/0", "user-1/1", "user-2/2", "user-3/3",
                    absl::StrCat(a.partition_key, "/0/damaged"), "plain/0"});
  // limit counts stored records: one call returns an aggregate whole.
  GetRecordsOptions two = expand;
  two.limit = 2;
  ReadBothWays(consumer, at, two, &n);
  CHECK(n == 1 + 4);
}

}  // namespace
}  // namespace brook
