// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// On-demand emulation (ThroughputOptions::on_demand): a busy shard is split
// at the median hash key of its writes, a single hot key is reported once
// and not split; and a push subscriber under provisioned mode is paced, not
// failed, and not counted as a polling reader.

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/producer.h"
#include "brook/stream.h"
#include "brook/subscription.h"

#include "testing/observing_env.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;

StreamOptions OnDemand(Env* env) {
  StreamOptions o;
  o.name = "s";
  o.env = env;
  o.throughput.on_demand = true;
  o.throughput.split_bytes_per_second = 10'000;
  o.throughput.split_window = absl::Seconds(1);
  return o;
}

// Puts one record of `bytes` (key included) per hash key.
void PutKeys(Stream* stream, const std::vector<HashKey>& keys, size_t bytes) {
  Producer producer(stream);
  const std::string data(bytes - 1, 'x');
  std::vector<std::string> texts;
  for (HashKey k : keys) texts.push_back(HashKeyToString(k));
  std::vector<PutRecordsEntry> entries;
  for (const std::string& t : texts) entries.push_back({"k", data, t});
  for (size_t i = 0; i < entries.size(); i += 500) {
    const size_t n = std::min<size_t>(500, entries.size() - i);
    absl::StatusOr<PutRecordsResult> r =
        producer.PutRecords(absl::MakeConstSpan(entries).subspan(i, n));
    BROOK_REQUIRE_OK(r);
    REQUIRE(r->failed_record_count == 0);
  }
}

int OpenShards(Stream* stream) {
  int open = 0;
  for (const ShardDescription& d : stream->ListShards()) {
    if (!d.ending_sequence_number.has_value()) ++open;
  }
  return open;
}

TEST_CASE("AutoSplit: a skewed shard is split at the median of its traffic",
          "[throughput][autosplit]") {
  ManualClockEnv clock(kStart);
  testing::TempDir tmp;
  const bool durable = GENERATE(false, true);
  INFO("durable " << durable);
  const StreamOptions o = OnDemand(&clock);
  std::unique_ptr<Stream> stream =
      *(durable ? Stream::Open(tmp.Sub("s"), o, OpenMode::kCreateIfMissing)
                : Stream::Create(o));
  // 90% of the records in a narrow range at three quarters of the key space,
  // 10% anywhere: the median is inside the narrow range, far from the
  // midpoint of the shard's range (2^127).
  const HashKey narrow_low = absl::MakeUint128(uint64_t{3} << 62, 0);
  const HashKey narrow_high = narrow_low + 1'000'000;
  const uint64_t seed = 20261201;
  std::printf("AutoSplit skewed median: seed %llu\n",
              static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);
  std::vector<HashKey> keys;
  for (int i = 0; i < 2000; ++i) {
    if (i % 10 == 0) {
      keys.push_back(absl::MakeUint128(rng(), rng()));
    } else {
      keys.push_back(narrow_low + rng() % 1'000'001);
    }
  }
  PutKeys(stream.get(), keys, 100);  // 200 KB in the first window
  clock.Advance(absl::Milliseconds(999));
  PutKeys(stream.get(), {narrow_low}, 100);  // the window is still open
  CHECK(stream->AutoSplitEvents().empty());
  CHECK(OpenShards(stream.get()) == 1);
  clock.Advance(absl::Milliseconds(1));
  PutKeys(stream.get(), {narrow_low}, 100);  // closes it: 200 KB/s > 10 KB/s

  const std::vector<AutoSplitEvent> events = stream->AutoSplitEvents();
  REQUIRE(events.size() == 1);
  const AutoSplitEvent& e = events[0];
  BROOK_CHECK_OK(e.status);
  CHECK(e.outcome == AutoSplitOutcome::kSplit);
  CHECK(e.shard_id == "shardId-000000000000");
  CHECK(e.at_millis == kStart + 1000);
  CHECK(e.bytes_per_second == 200'100);
  INFO("split at " << HashKeyToString(e.hash_key));
  CHECK(e.hash_key >= narrow_low);
  CHECK(e.hash_key <= narrow_high);
  CHECK(e.child_shard_ids == std::vector<std::string>{"shardId-000000000001",
                                                      "shardId-000000000002"});
  // Each child holds about half of the window's records.
  int64_t below = 0;
  for (HashKey k : keys) below += k < e.hash_key ? 1 : 0;
  CHECK(below > 800);
  CHECK(below < 1200);
  // An ordinary split: the parent is closed, the children list it.
  const std::vector<ShardDescription> shards = stream->ListShards();
  REQUIRE(shards.size() == 3);
  CHECK(shards[0].ending_sequence_number.has_value());
  CHECK(shards[1].parent_shard_id == "shardId-000000000000");
  CHECK(shards[1].hash_key_range.ending_hash_key == e.hash_key - 1);
  CHECK(shards[2].hash_key_range.starting_hash_key == e.hash_key);
  // New writes go to the children, which measure windows of their own.
  PutKeys(stream.get(), {narrow_low, narrow_high}, 100);
  CHECK(OpenShards(stream.get()) == 2);
  if (durable) {
    BROOK_REQUIRE_OK(stream->Close());
    stream.reset();
    absl::StatusOr<std::unique_ptr<Stream>> reopened = Stream::Open(
        tmp.Sub("s"),
        [&] {
          StreamOptions r = o;
          r.shard_count = 2;
          return r;
        }(),
        OpenMode::kMustExist);
    BROOK_REQUIRE_OK(reopened);
    CHECK((*reopened)->ListShards().size() == 3);
    CHECK(OpenShards(reopened->get()) == 2);
  }
}

TEST_CASE("AutoSplit: a shard under the threshold is not split",
          "[throughput][autosplit]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = *Stream::Create(OnDemand(&clock));
  std::vector<HashKey> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(HashKey{1} << (i % 127));
  PutKeys(stream.get(), keys, 100);  // 10 KB: exactly the threshold
  clock.Advance(absl::Seconds(1));
  PutKeys(stream.get(), keys, 100);
  CHECK(stream->AutoSplitEvents().empty());
  CHECK(OpenShards(stream.get()) == 1);
}

TEST_CASE("AutoSplit: a single hot key is reported once, never split",
          "[throughput][autosplit]") {
  ManualClockEnv clock(kStart);
  std::unique_ptr<Stream> stream = *Stream::Create(OnDemand(&clock));
  const HashKey hot = absl::MakeUint128(12345, 678);
  std::vector<HashKey> keys(1000, hot);
  SECTION("only the hot key") {}
  SECTION("and a little other traffic") {
    for (int i = 0; i < 50; ++i) keys.push_back(HashKey{7} << 100);
  }
  for (int window = 0; window < 5; ++window) {
    PutKeys(stream.get(), keys, 100);
    clock.Advance(absl::Seconds(1));
  }
  PutKeys(stream.get(), {hot}, 100);
  const std::vector<AutoSplitEvent> events = stream->AutoSplitEvents();
  REQUIRE(events.size() == 1);
  CHECK(events[0].outcome == AutoSplitOutcome::kHotKey);
  CHECK(events[0].hash_key == hot);
  CHECK(events[0].share_percent > 90);
  CHECK(events[0].at_millis == kStart + 1000);
  CHECK(events[0].child_shard_ids.empty());
  CHECK(stream->ListShards().size() == 1);
}

TEST_CASE("AutoSplit: off by default", "[throughput][autosplit]") {
  ManualClockEnv clock(kStart);
  StreamOptions o;
  o.env = &clock;
  std::unique_ptr<Stream> stream = *Stream::Create(o);
  std::vector<HashKey> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back(HashKey{1} << (i % 127));
  for (int window = 0; window < 3; ++window) {
    PutKeys(stream.get(), keys, 1000);
    clock.Advance(absl::Minutes(1));
  }
  CHECK(stream->AutoSplitEvents().empty());
  CHECK(stream->ListShards().size() == 1);
}

TEST_CASE("Throughput: a push subscriber is paced, not throttled",
          "[throughput][subscription]") {
  ManualClockEnv clock(kStart);
  testing::ObservingEnv obs(&clock);
  StreamOptions o;
  o.name = "s";
  o.env = &obs;
  o.throughput.provisioned = true;
  o.throughput.subscriber_bytes_per_second = 64 * 1024;
  o.throughput.read_calls_per_second = 1;
  o.throughput.write_bytes_per_second = int64_t{1} << 30;
  std::unique_ptr<Stream> stream = *Stream::Create(o);
  Producer producer(stream.get());
  const std::string data(16 * 1024 - 1, 'x');  // 16 KiB with the key
  for (int i = 0; i < 16; ++i) BROOK_REQUIRE_OK(producer.PutRecord("k", data));

  FanOut fan_out(stream.get());
  BROOK_REQUIRE_OK(fan_out.RegisterStreamConsumer("c"));
  absl::StatusOr<std::unique_ptr<Subscription>> sub = fan_out.SubscribeToShard(
      "c", "shardId-000000000000", StartingPosition::TrimHorizon(),
      SubscribeOptions());
  BROOK_REQUIRE_OK(sub);
  // The bucket holds 64 KiB: four records, then the reader waits. (The
  // test takes no event out until the end: that would wake the reader.)
  int64_t waits = obs.AwaitBlocked(1);
  CHECK((*sub)->buffered_bytes() == 64 * 1024);
  // Half a second later, half a bucket: two more.
  clock.Advance(absl::Milliseconds(500));
  waits = obs.AwaitBlocked(waits + 1);
  CHECK((*sub)->buffered_bytes() == 96 * 1024);
  // Polling readers are limited apart (one call per second here); the
  // subscriber's reads were not counted against them.
  Consumer consumer(stream.get());
  absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(it);
  BROOK_CHECK_OK(consumer.GetRecords(*it));
  BROOK_CHECK_CODE(consumer.GetRecords(*it).status(), kResourceExhausted);
  // One more record per quarter second: the other ten take ten steps.
  int rounds = 0;
  while ((*sub)->buffered_bytes() < 16 * 16 * 1024) {
    REQUIRE(rounds < 100);
    ++rounds;
    clock.Advance(absl::Milliseconds(250));
    waits = obs.AwaitBlocked(waits + 1);
  }
  CHECK(rounds == 10);
  // Everything, in order, and the subscription still runs.
  int got = 0;
  while (got < 16) {
    absl::StatusOr<SubscribeToShardEvent> e =
        (*sub)->Next(absl::ZeroDuration());
    BROOK_REQUIRE_OK(e);
    got += static_cast<int>(e->records().size());
  }
  CHECK(got == 16);
  CHECK_FALSE((*sub)->final_status().has_value());
}

}  // namespace
}  // namespace brook
