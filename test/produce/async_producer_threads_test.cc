// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer order and concurrency: per-key order through random reshards
// while records are buffered, several putting threads at once, and the
// buffer's bound with several putters (in the tsan preset's filter:
// "AsyncProducer threads").

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/producer_rig.h"
#include "testing/barrier.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::ReadAll;
using testing::StoredRecord;

// Records of one key in sequence-number order: along a key's lineage, a
// child's numbers are above its parents', so this is the order of storage.
std::map<std::string, std::vector<std::string>> PerKey(Stream* stream) {
  std::vector<StoredRecord> stored = ReadAll(stream);
  std::sort(stored.begin(), stored.end(),
            [](const StoredRecord& a, const StoredRecord& b) {
              return a.sequence_number < b.sequence_number;
            });
  std::map<std::string, std::vector<std::string>> by_key;
  for (const StoredRecord& r : stored)
    by_key[r.partition_key].push_back(r.data);
  return by_key;
}

// One random reshard of `stream`.
void RandomReshard(Stream* stream, std::mt19937_64& rng) {
  const std::vector<ShardDescription> open = testing::OpenShardsOf(stream);
  switch (rng() % 3) {
    case 0: {  // split the widest kind of shard at its middle
      if (open.size() >= 12) break;
      const ShardDescription& d = open[rng() % open.size()];
      const HashKey lo = d.hash_key_range.starting_hash_key;
      const HashKey hi = d.hash_key_range.ending_hash_key;
      BROOK_REQUIRE_OK(
          stream->SplitShard(d.shard_id, HashKeyToString(lo + (hi - lo) / 2)));
      break;
    }
    case 1: {  // merge two neighbours
      if (open.size() < 2) break;
      const size_t i = rng() % (open.size() - 1);
      BROOK_REQUIRE_OK(
          stream->MergeShards(open[i].shard_id, open[i + 1].shard_id));
      break;
    }
    default: {
      UpdateShardCountOptions o;
      o.kinesis_scaling_limits = false;
      BROOK_REQUIRE_OK(
          stream->UpdateShardCount(1 + static_cast<int>(rng() % 6), o));
    }
  }
}

TEST_CASE("AsyncProducer: per-key order holds through random reshards",
          "[produce]") {
  const uint64_t seed = std::random_device()();
  std::printf("AsyncProducer reshard order: seed %llu\n",
              static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  ManualClockEnv clock(1'700'000'000'000);
  StreamOptions so;
  so.shard_count = 2;
  so.env = &clock;
  std::unique_ptr<Stream> stream = *Stream::Create(so);
  AsyncProducerOptions o;
  o.linger = absl::Milliseconds(10);
  o.max_batch_records = 1 + static_cast<int>(rng() % 20);
  o.env = &clock;
  o.seed = seed;
  std::unique_ptr<AsyncProducer> p = *AsyncProducer::Create(stream.get(), o);
  std::map<std::string, std::vector<std::string>> put;
  absl::Status first_error;  // written by callbacks, read after Close()
  for (int i = 0; i < 3000; ++i) {
    const std::string key = absl::StrCat("key-", rng() % 16);
    const std::string data = absl::StrCat(i);
    BROOK_REQUIRE_OK(
        p->Put(key, data, {}, [&](const absl::StatusOr<AsyncPutResult>& r) {
          if (!r.ok() && first_error.ok()) {
            first_error = r.status();
          }
        }));
    put[key].push_back(data);
    if (rng() % 100 == 0) RandomReshard(stream.get(), rng);
    if (rng() % 20 == 0) clock.Advance(absl::Milliseconds(rng() % 15));
  }
  const absl::Status closed = p->Close();
  BROOK_CHECK_OK(first_error);
  BROOK_REQUIRE_OK(closed);
  CHECK(p->stats().records_stored == 3000);
  CHECK(p->stats().shard_map_refreshes > 0);
  CHECK(PerKey(stream.get()) == put);
}

// Records one thread put, buffered in the queues of four shards (every append
// held back with a retryable error, retried each 1 ms of a manual clock),
// when the shards are merged in pairs:
// each record is stored once, in a merged child (none in a parent), and each
// key's records in the order put.
TEST_CASE("AsyncProducer: per-key order holds when buffered shards are merged",
          "[produce]") {
  ManualClockEnv clock(1'700'000'000'000);
  std::unique_ptr<Stream> target = testing::MemoryStream(&clock, 4);
  testing::FaultStream stream(target.get());
  constexpr int kRecords = 1000;
  const std::string last = absl::StrCat(kRecords - 1);
  std::atomic<bool> hold{true};
  std::mutex mu;
  std::condition_variable cv;
  bool last_tried = false;  // under mu
  stream.set_fault([&](absl::string_view, absl::Span<const RoutedRecord> rs) {
    if (!hold.load()) return absl::OkStatus();
    for (const RoutedRecord& r : rs) {
      if (r.data == last) {
        std::lock_guard<std::mutex> lock(mu);
        last_tried = true;
        cv.notify_all();
      }
    }
    return absl::UnavailableError("injected: held back");
  });
  AsyncProducerOptions o;
  o.linger = absl::ZeroDuration();
  o.max_batch_records = 100000;  // a queue's whole content in each attempt
  o.min_backoff = absl::Milliseconds(1);
  o.max_backoff = absl::Milliseconds(1);
  o.record_ttl = absl::Hours(24);  // the test moves the clock in a loop
  o.env = &clock;
  o.seed = 7;
  std::unique_ptr<AsyncProducer> p = *AsyncProducer::Create(&stream, o);
  std::map<std::string, std::vector<std::string>> put;
  for (int i = 0; i < kRecords; ++i) {
    const std::string key = absl::StrCat("key-", i % 32);
    const std::string data = absl::StrCat(i);
    BROOK_REQUIRE_OK(p->Put(key, data));
    put[key].push_back(data);
  }
  // Once the last record was tried, every record is in a shard's queue: the
  // sending thread took them in order and routed them. A queue retries after
  // its backoff (up to 1 ms) on the manual clock, with what was routed since.
  bool tried = false;
  for (int round = 0; round < 6000 && !tried; ++round) {
    clock.Advance(absl::Milliseconds(1));
    std::unique_lock<std::mutex> lock(mu);
    tried = cv.wait_for(lock, std::chrono::milliseconds(10),
                        [&] { return last_tried; });
  }
  // Lets appends through and closes; Close() waits out the backoffs on the
  // manual clock, which this thread moves meanwhile.
  auto close = [&] {
    hold = false;
    std::atomic<bool> closed{false};
    absl::Status status;
    std::thread closer([&] {
      status = p->Close();
      closed = true;
    });
    while (!closed.load()) {
      clock.Advance(absl::Milliseconds(1));
      std::this_thread::yield();
    }
    closer.join();
    return status;
  };
  if (!tried) close().IgnoreError();  // closed before the test fails
  REQUIRE(tried);
  std::vector<std::string> parents;
  for (const ShardDescription& d : target->ListShards()) {
    parents.push_back(d.shard_id);
  }
  REQUIRE(parents.size() == 4);
  BROOK_REQUIRE_OK(target->MergeShards(parents[0], parents[1]));
  BROOK_REQUIRE_OK(target->MergeShards(parents[2], parents[3]));
  BROOK_REQUIRE_OK(close());
  CHECK(p->stats().records_stored == kRecords);
  CHECK(p->stats().shard_map_refreshes > 0);
  CHECK(PerKey(target.get()) == put);
  for (const StoredRecord& r : ReadAll(target.get())) {
    CHECK(std::find(parents.begin(), parents.end(), r.shard_id) ==
          parents.end());
  }
}

TEST_CASE("AsyncProducer threads: several putters, a flusher, per-key order",
          "[produce][threads]") {
  StreamOptions so;
  so.shard_count = 4;
  std::unique_ptr<Stream> stream = *Stream::Create(so);
  AsyncProducerOptions o;
  o.linger = absl::Milliseconds(1);
  o.max_batch_records = 50;
  o.max_buffered_records = 500;  // small, so putters meet back-pressure
  o.put_timeout = absl::InfiniteDuration();
  std::unique_ptr<AsyncProducer> p = *AsyncProducer::Create(stream.get(), o);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  testing::Barrier start(kThreads + 1);
  std::atomic<int> stored{0};
  std::atomic<int> put_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.ArriveAndWait();
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status s =
            p->Put(absl::StrCat("t", t, "-k", i % 8), absl::StrCat(i), {},
                   [&](const absl::StatusOr<AsyncPutResult>& r) {
                     if (r.ok()) stored.fetch_add(1);
                   });
        if (!s.ok()) put_errors.fetch_add(1);
      }
    });
  }
  start.ArriveAndWait();
  for (int i = 0; i < 5; ++i) BROOK_CHECK_OK(p->Flush());
  for (std::thread& t : threads) t.join();
  BROOK_REQUIRE_OK(p->Close());
  CHECK(put_errors.load() == 0);
  CHECK(stored.load() == kThreads * kPerThread);
  const std::map<std::string, std::vector<std::string>> by_key =
      PerKey(stream.get());
  REQUIRE(by_key.size() == kThreads * 8);
  for (const auto& [key, values] : by_key) {
    INFO(key);
    REQUIRE(values.size() == kPerThread / 8);
    for (size_t j = 1; j < values.size(); ++j) {
      CHECK(std::stoi(values[j - 1]) < std::stoi(values[j]));
    }
  }
}

// Blocks every append until opened (a gate, not a sleep).
class Gate {
 public:
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Several threads put at once while appends are held back, each until the
// buffer refuses it: the records accepted fill the bound exactly (records) or
// up to less than one record short of it (bytes), never over it; once appends
// go on, each accepted record is stored, per thread and key in order.
TEST_CASE("AsyncProducer threads: the buffer bound holds with several putters",
          "[produce][threads]") {
  for (const bool by_bytes : {false, true}) {
    INFO("bound by " << (by_bytes ? "bytes" : "records"));
    StreamOptions so;
    so.shard_count = 4;
    so.max_record_bytes = 1000;
    std::unique_ptr<Stream> target = *Stream::Create(so);
    testing::FaultStream stream(target.get());
    Gate gate;
    stream.set_fault([&](absl::string_view, absl::Span<const RoutedRecord>) {
      gate.Pass();
      return absl::OkStatus();
    });
    AsyncProducerOptions o;
    o.linger = absl::ZeroDuration();
    o.max_batch_bytes = 1000;
    o.max_buffered_records = by_bytes ? 100'000 : 300;
    o.max_buffered_bytes = by_bytes ? 30'000 : int64_t{1} << 30;
    o.put_timeout = absl::ZeroDuration();
    std::unique_ptr<AsyncProducer> p = *AsyncProducer::Create(&stream, o);
    constexpr int kThreads = 4;
    constexpr int kRecordBytes = 100;  // partition key plus data
    testing::Barrier start(kThreads);
    std::vector<int> accepted(kThreads, 0);
    std::atomic<int> other_errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.ArriveAndWait();
        for (int i = 0;; ++i) {
          const std::string key = absl::StrCat("t", t, "-k", i % 8);
          std::string data = absl::StrCat(i, ":");
          data.resize(kRecordBytes - key.size(), 'x');
          absl::Status s = p->Put(key, data);
          if (absl::IsResourceExhausted(s)) break;
          if (!s.ok()) other_errors.fetch_add(1);
          ++accepted[t];
        }
      });
    }
    for (std::thread& t : threads) t.join();
    CHECK(other_errors.load() == 0);
    int total = 0;
    for (int n : accepted) total += n;
    const AsyncProducerStats held = p->stats();
    CHECK(held.records_buffered == total);
    CHECK(held.records_put == total);
    if (by_bytes) {
      CHECK(held.bytes_buffered == int64_t{total} * kRecordBytes);
      CHECK(held.bytes_buffered <= o.max_buffered_bytes);
      CHECK(held.bytes_buffered > o.max_buffered_bytes - kRecordBytes);
    } else {
      CHECK(total == o.max_buffered_records);
    }
    gate.Open();
    BROOK_REQUIRE_OK(p->Close());
    CHECK(p->stats().records_stored == total);
    // Per thread and key, the values in the order put, none missing.
    const std::map<std::string, std::vector<std::string>> by_key =
        PerKey(target.get());
    std::map<int, int> stored_per_thread;
    for (const auto& [key, values] : by_key) {
      INFO(key);
      const int t = std::stoi(key.substr(1));
      for (size_t j = 0; j < values.size(); ++j) {
        const int i = std::stoi(values[j]);
        CHECK(i % 8 == std::stoi(key.substr(key.find('k') + 1)));
        if (j > 0) CHECK(std::stoi(values[j - 1]) + 8 == i);
      }
      stored_per_thread[t] += static_cast<int>(values.size());
    }
    for (int t = 0; t < kThreads; ++t) {
      CHECK(stored_per_thread[t] == accepted[t]);
    }
  }
}

}  // namespace
}  // namespace brook

namespace brook {
namespace {

// Putters keep putting while the shards are split and merged under them:
// records routed into a putter's per-shard slots by a shard map that has
// since changed are routed again, and every key's records are stored once
// each, in the order put.
TEST_CASE("AsyncProducer threads: several putters through random reshards",
          "[produce][threads]") {
  const uint64_t seed = std::random_device()();
  std::printf("AsyncProducer threads reshard: seed %llu\n",
              static_cast<unsigned long long>(seed));
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  StreamOptions so;
  so.shard_count = 3;
  std::unique_ptr<Stream> stream = *Stream::Create(so);
  AsyncProducerOptions o;
  o.linger = absl::Milliseconds(1);
  o.max_batch_records = 20;
  o.max_buffered_records = 300;
  o.put_timeout = absl::InfiniteDuration();
  o.seed = seed;
  std::unique_ptr<AsyncProducer> p = *AsyncProducer::Create(stream.get(), o);
  constexpr int kThreads = 3;
  constexpr int kPerThread = 3200;  // a multiple of the 16 keys
  testing::Barrier start(kThreads + 1);
  std::atomic<int> done{0};
  std::atomic<int> stored{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.ArriveAndWait();
      for (int i = 0; i < kPerThread; ++i) {
        absl::Status s =
            p->Put(absl::StrCat("t", t, "-k", i % 16), absl::StrCat(i), {},
                   [&](const absl::StatusOr<AsyncPutResult>& r) {
                     (r.ok() ? stored : errors).fetch_add(1);
                   });
        if (!s.ok()) errors.fetch_add(1);
      }
      done.fetch_add(1);
    });
  }
  start.ArriveAndWait();
  int reshards = 0;
  while (done.load() < kThreads) {
    RandomReshard(stream.get(), rng);
    ++reshards;
    std::this_thread::yield();
  }
  for (std::thread& t : threads) t.join();
  BROOK_REQUIRE_OK(p->Close());
  INFO("reshards " << reshards);
  CHECK(errors.load() == 0);
  CHECK(stored.load() == kThreads * kPerThread);
  const std::map<std::string, std::vector<std::string>> by_key =
      PerKey(stream.get());
  REQUIRE(by_key.size() == kThreads * 16);
  for (const auto& [key, values] : by_key) {
    INFO(key);
    REQUIRE(values.size() == kPerThread / 16);
    for (size_t j = 1; j < values.size(); ++j) {
      CHECK(std::stoi(values[j - 1]) < std::stoi(values[j]));
    }
  }
}

}  // namespace
}  // namespace brook
