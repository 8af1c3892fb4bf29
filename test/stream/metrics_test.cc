// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Stream metrics (include/brook/metrics.h): the per-shard counters and
// histograms, iterator age on the Env clock, the throttle counter's internal
// hook, aggregation sizes seen by de-aggregating readers, metrics off, and
// option checks. The hot-key report and the renderings are in
// metrics_hot_keys_test.cc and metrics_render_test.cc.

#include "brook/metrics.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/aggregation.h"
#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "stream/stream_impl.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

constexpr char kShard0[] = "shardId-000000000000";
constexpr char kShard1[] = "shardId-000000000001";
// Explicit hash keys in the first and second half of the key space.
constexpr char kLow[] = "1";
constexpr char kHigh[] = "300000000000000000000000000000000000000";

std::unique_ptr<Stream> MakeStream(Env* env, int shards, bool metrics = true) {
  StreamOptions options;
  options.name = "orders";
  options.shard_count = shards;
  options.env = env;
  options.metrics = metrics;
  absl::StatusOr<std::unique_ptr<Stream>> s = Stream::Create(options);
  BROOK_REQUIRE_OK(s);
  return *std::move(s);
}

GetRecordsResult Read(Stream* stream, const std::string& shard, int limit,
                      bool deaggregate = false) {
  Consumer consumer(stream);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(shard, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions options;
  options.limit = limit;
  options.deaggregate = deaggregate;
  absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(*it, options);
  BROOK_REQUIRE_OK(r);
  return *std::move(r);
}

const ShardMetricsSnapshot& ShardOf(const StreamMetricsSnapshot& m,
                                    const std::string& id) {
  for (const ShardMetricsSnapshot& s : m.shards) {
    if (s.shard_id == id) return s;
  }
  FAIL("no shard " << id);
  return m.total;
}

TEST_CASE("Metrics: records and bytes in and out, per shard and in total",
          "[metrics]") {
  ManualClockEnv env(1'000'000);
  std::unique_ptr<Stream> stream = MakeStream(&env, 2);
  Producer producer(stream.get());
  // One PutRecords call: 3 records to shard 0 and 2 to shard 1, so one
  // append call per shard.
  std::vector<PutRecordsEntry> entries = {{"a", "1234", kLow},
                                          {"bb", "12", kHigh},
                                          {"c", "", kLow},
                                          {"dd", "1", kHigh},
                                          {"e", "123", kLow}};
  absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(put);
  REQUIRE(put->failed_record_count == 0);
  BROOK_REQUIRE_OK(producer.PutRecord("f", "xy", kLow));

  StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK(m.stream == "orders");
  CHECK(m.live);
  CHECK(m.since_millis == 1'000'000);
  REQUIRE(m.shards.size() == 2);
  const ShardMetricsSnapshot& s0 = ShardOf(m, kShard0);
  const ShardMetricsSnapshot& s1 = ShardOf(m, kShard1);
  CHECK(s0.records_in == 4);
  CHECK(s0.bytes_in == (1 + 4) + (1 + 0) + (1 + 3) + (1 + 2));
  CHECK(s1.records_in == 2);
  CHECK(s1.bytes_in == (2 + 2) + (2 + 1));
  // Batch sizes: shard 0 had appends of 3 and 1 records, shard 1 one of 2.
  CHECK(s0.batch_records.count == 2);
  CHECK(s0.batch_records.sum == 4);
  CHECK(s0.batch_records.buckets[0] == 1);  // 1 record: <= 1
  CHECK(s0.batch_records.buckets[2] == 1);  // 3 records: (2, 4]
  CHECK(s1.batch_records.buckets[1] == 1);  // 2 records: (1, 2]
  // One latency per append call.
  CHECK(s0.put_latency_micros.count == 2);
  CHECK(s1.put_latency_micros.count == 1);
  CHECK(m.total.records_in == 6);
  CHECK(m.total.bytes_in == s0.bytes_in + s1.bytes_in);
  CHECK(m.total.batch_records.count == 3);
  CHECK(m.total.records_out == 0);
  CHECK(s0.stored_known);
  CHECK(s0.stored_records == 4);
  CHECK(s0.segments == 1);
  CHECK(s0.stored_bytes > s0.bytes_in);  // frames carry headers
  CHECK(s0.newest_arrival_millis == 1'000'000);

  GetRecordsResult r = Read(stream.get(), kShard0, 3);
  REQUIRE(r.records().size() == 3);
  m = stream->GetMetrics();
  CHECK(ShardOf(m, kShard0).records_out == 3);
  CHECK(ShardOf(m, kShard0).bytes_out == (1 + 4) + (1 + 0) + (1 + 3));
  CHECK(ShardOf(m, kShard1).records_out == 0);
  CHECK(m.total.records_out == 3);
  // A failed append counts nowhere.
  CHECK_FALSE(producer.PutRecord("", "x").ok());
  CHECK(stream->GetMetrics().total.records_in == 6);
}

TEST_CASE("Metrics: iterator age is the latest read's distance to the tip",
          "[metrics]") {
  ManualClockEnv env(5'000);
  std::unique_ptr<Stream> stream = MakeStream(&env, 1);
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "old"));
  env.SetNowMillis(7'000);
  BROOK_REQUIRE_OK(producer.PutRecord("k", "new"));
  env.SetNowMillis(12'000);
  CHECK(stream->GetMetrics().shards[0].iterator_age_millis == 0);
  CHECK(stream->GetMetrics().shards[0].last_read_millis == 0);

  // Reads the first record: the next one arrived at 7000, 5 s ago.
  GetRecordsResult r = Read(stream.get(), kShard0, 1);
  REQUIRE(r.records().size() == 1);
  CHECK(r.behind_latest() == absl::Seconds(5));
  StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK(m.shards[0].iterator_age_millis == 5'000);
  CHECK(m.shards[0].last_read_millis == 12'000);
  CHECK(m.total.iterator_age_millis == 5'000);
  // Reading to the tip brings it to 0.
  r = Read(stream.get(), kShard0, 10);
  REQUIRE(r.records().size() == 2);
  CHECK(stream->GetMetrics().shards[0].iterator_age_millis == 0);
}

TEST_CASE("Metrics: iterator age per named reader, and the cap on names",
          "[metrics]") {
  ManualClockEnv env(5'000);
  std::unique_ptr<Stream> stream = MakeStream(&env, 2);
  Producer producer(stream.get());
  Consumer consumer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "old"));
  env.SetNowMillis(7'000);
  BROOK_REQUIRE_OK(producer.PutRecord("k", "new"));
  const std::string shard(producer.PutRecord("k", "newest")->shard_id);
  env.SetNowMillis(12'000);
  absl::StatusOr<ShardIterator> it =
      consumer.GetShardIterator(shard, StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  GetRecordsOptions options;
  options.limit = 1;
  options.reader = "slow";  // one record: 5 s behind
  BROOK_REQUIRE_OK(consumer.GetRecords(*it, options));
  options.limit = 10;
  options.reader = "fast";  // to the tip
  BROOK_REQUIRE_OK(consumer.GetRecords(*it, options));
  options.reader = "";  // unnamed: the shard-wide figure only
  options.limit = 1;
  BROOK_REQUIRE_OK(consumer.GetRecords(*it, options));

  StreamMetricsSnapshot m = stream->GetMetrics();
  const ShardMetricsSnapshot& s =
      m.shards[0].shard_id == shard ? m.shards[0] : m.shards[1];
  CHECK(s.iterator_age_millis == 5'000);  // the latest call, unnamed
  REQUIRE(s.readers.size() == 2);         // by name
  CHECK(s.readers[0].reader == "fast");
  CHECK(s.readers[0].iterator_age_millis == 0);
  CHECK(s.readers[1].reader == "slow");
  CHECK(s.readers[1].iterator_age_millis == 5'000);
  CHECK(s.readers[1].last_read_millis == 12'000);
  REQUIRE(m.total.readers.size() == 2);
  CHECK(m.total.readers[1].iterator_age_millis == 5'000);

  // Names past kMaxNamedReaders count only in the shard-wide figure.
  for (int i = 0; i < kMaxNamedReaders + 5; ++i) {
    const std::string name = absl::StrCat("r", i);
    options.reader = name;
    BROOK_REQUIRE_OK(consumer.GetRecords(*it, options));
  }
  m = stream->GetMetrics();
  const ShardMetricsSnapshot& capped =
      m.shards[0].shard_id == shard ? m.shards[0] : m.shards[1];
  CHECK(capped.readers.size() == static_cast<size_t>(kMaxNamedReaders));
}

TEST_CASE("Metrics: throttled calls counted through the internal hook",
          "[metrics]") {
  ManualClockEnv env(0);
  std::unique_ptr<Stream> stream = MakeStream(&env, 2);
  auto* impl = static_cast<internal::StreamImpl*>(stream.get());
  absl::StatusOr<internal::ShardImpl*> shard = impl->FindShard(kShard1);
  BROOK_REQUIRE_OK(shard);
  (*shard)->metrics().AddThrottled();
  (*shard)->metrics().AddThrottled();
  StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK(ShardOf(m, kShard0).throttled_calls == 0);
  CHECK(ShardOf(m, kShard1).throttled_calls == 2);
  CHECK(m.total.throttled_calls == 2);
}

TEST_CASE("Metrics: aggregation sizes seen by de-aggregating readers",
          "[metrics]") {
  ManualClockEnv env(0);
  std::unique_ptr<Stream> stream = MakeStream(&env, 1);
  Producer producer(stream.get());
  for (int n : {3, 5}) {
    AggregateBuilder builder;
    for (int i = 0; i < n; ++i) {
      REQUIRE(*builder.Add(absl::StrCat("user", i), "", "data"));
    }
    absl::StatusOr<AggregateBuilder::Aggregate> a = builder.Finish();
    BROOK_REQUIRE_OK(a);
    BROOK_REQUIRE_OK(
        producer.PutRecord(a->partition_key, a->data, a->explicit_hash_key));
  }
  BROOK_REQUIRE_OK(producer.PutRecord("plain", "not aggregated"));

  // A reader that does not de-aggregate counts no aggregate.
  REQUIRE(Read(stream.get(), kShard0, 10).records().size() == 3);
  CHECK(stream->GetMetrics().shards[0].aggregation_records.count == 0);

  GetRecordsResult r = Read(stream.get(), kShard0, 10, /*deaggregate=*/true);
  REQUIRE(r.records().size() == 3 + 5 + 1);
  const StreamMetricsSnapshot m = stream->GetMetrics();
  const HistogramSnapshot& h = m.shards[0].aggregation_records;
  CHECK(h.count == 2);
  CHECK(h.sum == 8);
  CHECK(h.buckets[2] == 1);                                // 3: (2, 4]
  CHECK(h.buckets[3] == 1);                                // 5: (4, 8]
  CHECK(stream->GetMetrics().shards[0].records_out == 6);  // stored records
}

TEST_CASE("Metrics: off keeps no counters", "[metrics]") {
  ManualClockEnv env(0);
  std::unique_ptr<Stream> stream = MakeStream(&env, 1, /*metrics=*/false);
  Producer producer(stream.get());
  BROOK_REQUIRE_OK(producer.PutRecord("k", "v"));
  REQUIRE(Read(stream.get(), kShard0, 10).records().size() == 1);
  StreamMetricsSnapshot m = stream->GetMetrics();
  CHECK_FALSE(m.live);
  CHECK(m.shards[0].records_in == 0);
  CHECK(m.shards[0].records_out == 0);
  CHECK(m.shards[0].put_latency_micros.count == 0);
  CHECK(m.hot_keys.empty());
  CHECK(m.shards[0].stored_records == 1);  // what is stored, still
}

TEST_CASE("Metrics: hot-key options are checked", "[metrics]") {
  StreamOptions options;
  options.name = "s";
  options.hot_key_count = 4097;
  absl::Status s = Stream::Create(options).status();
  CHECK(absl::IsInvalidArgument(s));
  CHECK(s.message() == "stream s: hot_key_count must be 0 to 4096, got 4097");
  options.hot_key_count = 0;
  options.hot_key_sample_every = 0;
  s = Stream::Create(options).status();
  CHECK(absl::IsInvalidArgument(s));
  CHECK(s.message() ==
        "stream s: hot_key_sample_every must be 1 to 65536, got 0");
  options.hot_key_sample_every = 65536;
  BROOK_CHECK_OK(Stream::Create(options).status());
}

TEST_CASE("Metrics: a read-only stream reports what it stores, not counters",
          "[metrics]") {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("s");
  {
    StreamOptions options;
    options.shard_count = 2;
    absl::StatusOr<std::unique_ptr<Stream>> w =
        Stream::Open(dir, options, OpenMode::kCreateIfMissing);
    BROOK_REQUIRE_OK(w);
    Producer producer(w->get());
    for (int i = 0; i < 5; ++i) {
      BROOK_REQUIRE_OK(producer.PutRecord("k", "v", i < 3 ? kLow : kHigh));
    }
    BROOK_REQUIRE_OK((*w)->Close());
  }
  StreamOptions options;
  options.follow = false;
  absl::StatusOr<std::unique_ptr<Stream>> r =
      Stream::Open(dir, options, OpenMode::kReadOnly);
  BROOK_REQUIRE_OK(r);
  StreamMetricsSnapshot m = (*r)->GetMetrics();
  CHECK_FALSE(m.live);
  REQUIRE(m.shards.size() == 2);
  CHECK_FALSE(m.shards[0].stored_known);  // not read yet
  CHECK_FALSE(m.total.stored_known);
  CHECK((*r)->recovery_report().scanned_records == 5);
  m = (*r)->GetMetrics();
  CHECK(m.total.stored_known);
  CHECK(ShardOf(m, kShard0).stored_records == 3);
  CHECK(ShardOf(m, kShard1).stored_records == 2);
  CHECK(m.total.stored_records == 5);
  CHECK(m.total.records_in == 0);
}

}  // namespace
}  // namespace brook
