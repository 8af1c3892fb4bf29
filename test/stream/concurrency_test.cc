// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Several producer and consumer threads on one stream: nothing lost, nothing
// duplicated, per-key order kept. Runs under the thread sanitizer in CI.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/consumer.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "testing/barrier.h"
#include "testing/status_testing.h"
#include "testing/temp_dir.h"

namespace brook {
namespace {

TEST_CASE("Concurrency: producers and consumers keep every record in key order",
          "[concurrency]") {
  constexpr int kProducers = 4;
  constexpr int kConsumers = 2;
  constexpr int kShards = 4;
  constexpr int kPerProducer = 4000;
  constexpr int kKeysPerProducer = 16;
  constexpr int kTotal = kProducers * kPerProducer;

  StreamOptions options;
  options.shard_count = kShards;
  options.segment_bytes = 64 << 10;  // many segment rolls under load
  absl::StatusOr<std::unique_ptr<Stream>> created = Stream::Create(options);
  BROOK_REQUIRE_OK(created);
  Stream* stream = created->get();
  Producer producer(stream);
  Consumer consumer(stream);

  testing::Barrier start(kProducers + kConsumers);
  std::atomic<int> consumed{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  // (producer, key) -> counters in the order consumers saw them.
  std::map<std::pair<int, int>, std::vector<int>> seen;  // guarded by mu

  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      start.ArriveAndWait();
      std::vector<std::string> keys;
      for (int k = 0; k < kKeysPerProducer; ++k) {
        keys.push_back(absl::StrCat("p", p, "-k", k));
      }
      int i = 0;
      while (i < kPerProducer) {
        // Alternate single puts and batches.
        if (i % 3 == 0) {
          const int key = i % kKeysPerProducer;
          if (!producer.PutRecord(keys[key], absl::StrCat(p, ":", key, ":", i))
                   .ok()) {
            failed = true;
          }
          ++i;
          continue;
        }
        std::vector<std::string> data;
        std::vector<PutRecordsEntry> entries;
        for (int n = 0; n < 25 && i < kPerProducer; ++n, ++i) {
          data.push_back(absl::StrCat(p, ":", i % kKeysPerProducer, ":", i));
        }
        for (size_t n = 0; n < data.size(); ++n) {
          const int key =
              (i - static_cast<int>(data.size()) + static_cast<int>(n)) %
              kKeysPerProducer;
          entries.push_back({keys[key], data[n]});
        }
        absl::StatusOr<PutRecordsResult> r = producer.PutRecords(entries);
        if (!r.ok() || r->failed_record_count != 0) failed = true;
      }
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    threads.emplace_back([&, c] {
      start.ArriveAndWait();
      std::vector<ShardIterator> its;
      for (int s = c; s < kShards; s += kConsumers) {
        absl::StatusOr<ShardIterator> it = consumer.GetShardIterator(
            absl::StrCat("shardId-", std::string(11, '0'), s),
            StartingPosition::TrimHorizon());
        if (!it.ok()) {
          failed = true;
          return;
        }
        its.push_back(*it);
      }
      GetRecordsOptions small;
      small.limit = 100;
      int idle_rounds = 0;
      while (consumed.load() < kTotal && !failed && idle_rounds < 2000) {
        bool got_any = false;
        for (ShardIterator& it : its) {
          absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(it, small);
          if (!r.ok()) {
            failed = true;
            return;
          }
          for (const Record& rec : r->records()) {
            std::vector<absl::string_view> parts =
                absl::StrSplit(rec.data, ':');
            int p = 0, key = 0, i = 0;
            if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &p) ||
                !absl::SimpleAtoi(parts[1], &key) ||
                !absl::SimpleAtoi(parts[2], &i)) {
              failed = true;
              return;
            }
            std::lock_guard<std::mutex> lock(mu);
            seen[{p, key}].push_back(i);
          }
          consumed += static_cast<int>(r->records().size());
          got_any |= !r->records().empty();
          it = r->next_shard_iterator();
        }
        if (!got_any) {
          ++idle_rounds;
          consumer.WaitForRecords(its.front(), absl::Milliseconds(5));
        } else {
          idle_rounds = 0;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();

  REQUIRE_FALSE(failed);
  CHECK(consumed.load() == kTotal);
  std::lock_guard<std::mutex> lock(mu);
  REQUIRE(seen.size() == static_cast<size_t>(kProducers * kKeysPerProducer));
  for (const auto& [key, counters] : seen) {
    INFO("producer " << key.first << " key " << key.second);
    // Exactly the counters p produced for this key, in increasing order.
    std::vector<int> expected;
    for (int i = key.second; i < kPerProducer; i += kKeysPerProducer) {
      expected.push_back(i);
    }
    CHECK(counters == expected);
  }
}

// StreamOptions::wait_spin: the waiting reader polls (the shard's wake-up
// line in process, the writer's FOLLOW slot and notify word for a follower)
// instead of sleeping. Every put, the reshard that closes the shard and an
// interrupt must reach it, and a wait that returns true must be followed by
// a GetRecords that returns the record (WaitForRecords' contract), also when
// the wait returned on the published end alone. `writer` takes the puts;
// `read` (the same stream, or a follower of it) is read.
void CheckSpinningWait(Stream& writer, Stream& read) {
  Producer producer(&writer);
  Consumer consumer(&read);
  absl::StatusOr<ShardIterator> start = consumer.GetShardIterator(
      "shardId-000000000000", StartingPosition::TrimHorizon());
  BROOK_REQUIRE_OK(start.status());

  constexpr int kRounds = 300;
  testing::Barrier round(2);
  std::atomic<bool> failed{false};
  ShardIterator at = *start;
  std::thread reader([&] {
    for (int i = 0; i < kRounds; ++i) {
      // Waits for put i (made after the barrier, or already there).
      if (!consumer.WaitForRecords(at, absl::Minutes(1))) failed = true;
      absl::StatusOr<GetRecordsResult> r = consumer.GetRecords(at);
      if (!r.ok() || r->records().size() != 1 ||
          r->records()[0].data != absl::StrCat("r", i)) {
        failed = true;
      }
      if (r.ok()) at = r->next_shard_iterator();
      round.ArriveAndWait();
    }
    // The reshard below closes the shard: the wait ends with it.
    round.ArriveAndWait();
    if (!consumer.WaitForRecords(at, absl::Minutes(1))) failed = true;
  });
  for (int i = 0; i < kRounds; ++i) {
    BROOK_REQUIRE_OK(producer.PutRecord("k", absl::StrCat("r", i)).status());
    round.ArriveAndWait();
  }
  round.ArriveAndWait();
  BROOK_REQUIRE_OK(writer.UpdateShardCount(2));
  reader.join();
  REQUIRE_FALSE(failed);
  absl::StatusOr<GetRecordsResult> end = consumer.GetRecords(at);
  BROOK_REQUIRE_OK(end.status());
  CHECK(end->records().empty());
  REQUIRE(end->child_shards().size() == 2);

  // An interrupt ends a spinning wait on an open shard with nothing to read.
  absl::StatusOr<ShardIterator> child = consumer.GetShardIterator(
      end->child_shards()[0].shard_id, StartingPosition::Latest());
  BROOK_REQUIRE_OK(child.status());
  WaitInterrupt interrupt;
  bool waited = true;
  std::thread waiter([&] {
    round.ArriveAndWait();
    waited =
        consumer.WaitForRecords(*child, absl::InfiniteDuration(), &interrupt);
  });
  round.ArriveAndWait();
  interrupt.Interrupt();
  waiter.join();
  CHECK_FALSE(waited);

  // A timeout that has passed ends the wait at once, spinning or not.
  CHECK_FALSE(consumer.WaitForRecords(*child, absl::ZeroDuration()));
}

TEST_CASE(
    "Concurrency: a spinning wait sees each put, a reshard and an interrupt",
    "[concurrency]") {
  StreamOptions options;
  options.wait_spin = absl::Seconds(1);
  SECTION("in process") {
    absl::StatusOr<std::unique_ptr<Stream>> created = Stream::Create(options);
    BROOK_REQUIRE_OK(created.status());
    CheckSpinningWait(**created, **created);
  }
  SECTION("a follower of a writer") {
    testing::TempDir dir;
    absl::StatusOr<std::unique_ptr<Stream>> writer =
        Stream::Open(dir.Sub("s"), StreamOptions(), OpenMode::kCreateOnly);
    BROOK_REQUIRE_OK(writer.status());
    absl::StatusOr<std::unique_ptr<Stream>> follower =
        Stream::Open(dir.Sub("s"), options, OpenMode::kReadOnly);
    BROOK_REQUIRE_OK(follower.status());
    CheckSpinningWait(**writer, **follower);
  }
}

TEST_CASE("Concurrency: wait_spin out of range is kInvalidArgument",
          "[concurrency]") {
  for (absl::Duration spin : {absl::Milliseconds(-1), absl::Seconds(2)}) {
    StreamOptions options;
    options.wait_spin = spin;
    absl::StatusOr<std::unique_ptr<Stream>> created = Stream::Create(options);
    CHECK(absl::IsInvalidArgument(created.status()));
    CHECK(absl::StrContains(created.status().message(), "wait_spin"));
  }
}

}  // namespace
}  // namespace brook
