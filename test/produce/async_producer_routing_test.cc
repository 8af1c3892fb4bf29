// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer routing when a read of the shard map does not tile the key
// space (ListShards() racing with a reshard): records whose key no open shard
// owns wait (are parked) and are routed again by a later read, in order per
// key, until their TTL runs out, the stream is closed or Close() cancels
// them; no record ever completes with kUnavailable. The racing reads are
// made by a FaultStream's ListShards() fault; time is a ManualClockEnv's.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/stream.h"

#include "produce/fault_stream.h"
#include "produce/outcomes.h"
#include "produce/producer_rig.h"
#include "testing/barrier.h"
#include "testing/observing_env.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::DriveUntil;
using testing::FaultStream;
using testing::kStart;
using testing::MakeProducer;
using testing::MemoryStream;
using testing::ObservingEnv;
using testing::OpenShardsOf;
using testing::Outcomes;
using testing::ReadAll;
using testing::Rig;
using testing::StoredRecord;

// The open shard of `stream` that owns `partition_key`'s hash key.
std::string OwnerOf(Stream* stream, absl::string_view partition_key) {
  const HashKey key = PartitionKeyHash(partition_key);
  for (const ShardDescription& d : OpenShardsOf(stream)) {
    if (d.hash_key_range.Contains(key)) return d.shard_id;
  }
  FAIL("no open shard owns " << partition_key);
  return "";
}

// A key ("key-<n>") whose hash key `range` holds.
std::string KeyIn(const HashKeyRange& range) {
  for (int n = 0;; ++n) {
    std::string key = absl::StrCat("key-", n);
    if (range.Contains(PartitionKeyHash(key))) return key;
  }
}

// Leaves the shards named in `hidden` out of a FaultStream's ListShards(),
// as a read racing with a reshard does before it lists the new children.
class ListHider {
 public:
  void Hide(std::set<std::string> ids) {
    std::lock_guard<std::mutex> lock(mu_);
    hidden_ = std::move(ids);
  }
  FaultStream::ListFault Fault() {
    return [this](std::vector<ShardDescription> listed) {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<ShardDescription> shown;
      for (ShardDescription& d : listed) {
        if (hidden_.count(d.shard_id) == 0) shown.push_back(std::move(d));
      }
      return shown;
    };
  }

 private:
  std::mutex mu_;
  std::set<std::string> hidden_;
};

// Options for records that may wait: backoffs of up to 100 ms, a TTL the
// tests do not reach unless they mean to.
AsyncProducerOptions WaitingOptions(const Rig& rig) {
  AsyncProducerOptions o = rig.options;
  o.min_backoff = absl::Milliseconds(100);
  o.max_backoff = absl::Milliseconds(100);
  o.record_ttl = absl::Hours(1);
  o.seed = 7;
  return o;
}

TEST_CASE(
    "AsyncProducer routing: records no open shard owns wait for a map that "
    "does, then are stored in order",
    "[produce]") {
  Rig rig;
  ListHider hider;
  rig.stream.set_list_fault(hider.Fault());
  std::unique_ptr<AsyncProducer> p =
      MakeProducer(&rig.stream, WaitingOptions(rig));
  std::vector<std::string> keys;
  for (int k = 0; k < 8; ++k) keys.push_back(absl::StrCat("key-", k));
  Outcomes out;
  int put = 0;
  auto put_until = [&](int n) {
    for (; put < n; ++put) {
      BROOK_REQUIRE_OK(p->Put(keys[put % keys.size()], absl::StrCat(put), {},
                              out.Slot(put)));
    }
  };
  put_until(16);
  BROOK_REQUIRE_OK(p->Flush());  // stored in the one shard

  // Split the shard; the producer's reads list the parent closed and only
  // its lower child (the upper one is hidden, as by a read racing with the
  // split). Its next append, to the parent, says the parent closed.
  const std::string parent = OpenShardsOf(rig.target.get())[0].shard_id;
  const HashKey middle = absl::MakeUint128(uint64_t{1} << 63, 0);
  BROOK_REQUIRE_OK(rig.target->SplitShard(parent, HashKeyToString(middle)));
  const std::vector<ShardDescription> children = OpenShardsOf(rig.target.get());
  REQUIRE(children.size() == 2);
  const std::string upper = children[1].shard_id;
  hider.Hide({upper});
  std::set<int> waiting;  // records of keys the upper child owns
  for (int i = 16; i < 48; ++i) {
    if (PartitionKeyHash(keys[i % keys.size()]) >= middle) waiting.insert(i);
  }
  REQUIRE(!waiting.empty());
  REQUIRE(waiting.size() < 32);
  put_until(48);
  // Those the lower child owns are stored without waiting for the clock.
  out.WaitFor(48 - static_cast<int>(waiting.size()));
  // The others wait through reads that still do not list their shard.
  const int64_t refreshes = p->stats().shard_map_refreshes;
  DriveUntil(&rig.obs, &rig.clock, absl::Milliseconds(100),
             [&] { return p->stats().shard_map_refreshes >= refreshes + 3; });
  for (int i : waiting) CHECK(!out.has(i));
  CHECK(p->stats().records_buffered == static_cast<int64_t>(waiting.size()));
  CHECK(p->stats().records_failed == 0);
  // More of the same keys: the upper child's wait behind the earlier ones.
  put_until(64);
  hider.Hide({});
  DriveUntil(&rig.obs, &rig.clock, absl::Milliseconds(100),
             [&] { return out.count() == 64; });

  std::map<std::string, std::vector<std::string>> put_by_key;
  std::map<std::string, SequenceNumber> last;  // per key
  for (int i = 0; i < 64; ++i) {
    const std::string& key = keys[i % keys.size()];
    INFO("record " << i << " key " << key);
    put_by_key[key].push_back(absl::StrCat(i));
    absl::StatusOr<AsyncPutResult> r = out.at(i);
    BROOK_REQUIRE_OK(r);
    CHECK(r->shard_id == (i < 16 ? parent : OwnerOf(rig.target.get(), key)));
    if (last.count(key) != 0) CHECK(last[key] < r->sequence_number);
    last[key] = r->sequence_number;
  }
  CHECK(out.at(*waiting.begin())->shard_id == upper);
  BROOK_CHECK_OK(p->Close());
  CHECK(p->stats().records_stored == 64);
  CHECK(p->stats().records_failed == 0);
  // Read back: each key's records in the order put (a child's numbers are
  // above its parent's, so by number is the order stored).
  std::vector<StoredRecord> stored = ReadAll(rig.target.get());
  std::sort(stored.begin(), stored.end(), [](const auto& a, const auto& b) {
    return a.sequence_number < b.sequence_number;
  });
  std::map<std::string, std::vector<std::string>> stored_by_key;
  for (const StoredRecord& r : stored) {
    stored_by_key[r.partition_key].push_back(r.data);
  }
  CHECK(stored_by_key == put_by_key);
  CHECK(stored.size() == 64);
}

// A record that waits for a shard map owning its key is routed by the first
// map that does, whatever made the producer read it (here an append to
// another shard, closed by a reshard): a later record of its key, routed by
// that map, does not overtake it.
TEST_CASE(
    "AsyncProducer routing: a waiting record is not overtaken by a later one "
    "of its key",
    "[produce]") {
  Rig rig;
  std::unique_ptr<Stream> target = MemoryStream(&rig.clock, 2);
  FaultStream stream(target.get());
  ListHider hider;
  stream.set_list_fault(hider.Fault());
  AsyncProducerOptions o = WaitingOptions(rig);
  o.min_backoff = absl::Seconds(10);  // no retry unless the clock moves
  o.max_backoff = absl::Seconds(10);
  std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, o);
  const std::vector<ShardDescription> shards = OpenShardsOf(target.get());
  REQUIRE(shards.size() == 2);
  const std::string key = KeyIn(shards[0].hash_key_range);
  auto split = [&](const ShardDescription& d) {
    const HashKey lo = d.hash_key_range.starting_hash_key;
    const HashKey hi = d.hash_key_range.ending_hash_key;
    BROOK_REQUIRE_OK(
        target->SplitShard(d.shard_id, HashKeyToString(lo + (hi - lo) / 2)));
    std::set<std::string> children;
    for (const ShardDescription& c : OpenShardsOf(target.get())) {
      if (c.parent_shard_id == d.shard_id) children.insert(c.shard_id);
    }
    return children;
  };
  Outcomes out;
  // The lower shard split, its children not listed yet: `key`'s record
  // waits. The upper shard's record, appended after the lower shard's
  // failed append (the queues go by hash key), says when it does.
  hider.Hide(split(shards[0]));
  BROOK_REQUIRE_OK(p->Put(key, "first", {}, out.Slot(0)));
  BROOK_REQUIRE_OK(
      p->Put(KeyIn(shards[1].hash_key_range), "upper", {}, out.Slot(1)));
  out.WaitFor(1);
  REQUIRE(out.has(1));
  CHECK(!out.has(0));
  // The children are listed now; the next read, made because the upper
  // shard splits too, owns `key` again. Then `key` is put again.
  hider.Hide({});
  split(shards[1]);
  BROOK_REQUIRE_OK(
      p->Put(KeyIn(shards[1].hash_key_range), "upper", {}, out.Slot(2)));
  out.WaitFor(2);
  BROOK_REQUIRE_OK(p->Put(key, "second", {}, out.Slot(3)));
  DriveUntil(&rig.obs, &rig.clock, absl::Seconds(1),
             [&] { return out.count() == 4; });
  for (int i = 0; i < 4; ++i) BROOK_CHECK_OK(out.at(i));
  absl::StatusOr<AsyncPutResult> first = out.at(0);
  absl::StatusOr<AsyncPutResult> second = out.at(3);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(first->shard_id == OwnerOf(target.get(), key));
  CHECK(second->shard_id == first->shard_id);
  CHECK(first->sequence_number < second->sequence_number);
  BROOK_CHECK_OK(p->Close());
}

// A two-shard stream whose reads leave the upper shard out, from the start:
// the producer's map never owns the upper half of the key space.
struct HalfMapRig {
  HalfMapRig() {
    const std::vector<ShardDescription> shards = OpenShardsOf(target.get());
    REQUIRE(shards.size() == 2);
    lower = shards[0];
    upper = shards[1];
    hider.Hide({upper.shard_id});
    stream.set_list_fault(hider.Fault());
  }
  Rig rig;
  std::unique_ptr<Stream> target = MemoryStream(&rig.clock, 2);
  FaultStream stream{target.get()};
  ListHider hider;
  ShardDescription lower, upper;
};

TEST_CASE(
    "AsyncProducer routing: record_ttl runs out while no open shard owns the "
    "key",
    "[produce]") {
  HalfMapRig half;
  AsyncProducerOptions o = WaitingOptions(half.rig);
  o.record_ttl = absl::Milliseconds(500);
  o.linger = absl::Hours(1);  // nothing is appended before the Flush()
  std::unique_ptr<AsyncProducer> p = MakeProducer(&half.stream, o);
  const std::string homeless = KeyIn(half.upper.hash_key_range);
  const std::string housed = KeyIn(half.lower.hash_key_range);
  Outcomes out;
  BROOK_REQUIRE_OK(p->Put(homeless, "waits", {}, out.Slot(0)));
  BROOK_REQUIRE_OK(p->Put(housed, "goes", {}, out.Slot(1)));
  // Flush() appends the housed record at once: once it is stored, Flush()
  // is waiting, and the homeless one holds it up until its TTL runs out.
  absl::Status flushed;
  std::thread flusher([&] { flushed = p->Flush(); });
  out.WaitFor(1);
  // (No REQUIRE while `flusher` runs: a failed one would end the process.)
  const bool waits = out.has(1) && !out.has(0);
  CHECK(waits);
  if (waits) {
    DriveUntil(&half.rig.obs, &half.rig.clock, absl::Milliseconds(100),
               [&] { return out.has(0); });
  }
  flusher.join();
  absl::StatusOr<AsyncPutResult> stored = out.at(1);
  BROOK_REQUIRE_OK(stored);
  CHECK(stored->shard_id == half.lower.shard_id);
  BROOK_CHECK_CODE(flushed, kUnknown);
  CHECK(absl::StrContains(flushed.message(), "1 of"));
  absl::StatusOr<AsyncPutResult> expired = out.at(0);
  BROOK_CHECK_CODE(expired, kDeadlineExceeded);
  const std::string message(expired.status().message());
  INFO(message);
  CHECK(absl::StrContains(message, "record_ttl of 500ms ran out"));
  CHECK(absl::StrContains(
      message, absl::StrCat("no open shard owns hash key ",
                            HashKeyToString(PartitionKeyHash(homeless)))));
  CHECK(half.rig.clock.NowMillis() - kStart >= 500);
  BROOK_CHECK_CODE(p->Close(), kUnknown);
  CHECK(p->stats().records_failed == 1);
  CHECK(p->stats().records_stored == 1);
  CHECK(p->stats().records_buffered == 0);
}

TEST_CASE(
    "AsyncProducer routing: Close() with a timeout cancels records no open "
    "shard owns",
    "[produce]") {
  HalfMapRig half;
  AsyncProducerOptions o = WaitingOptions(half.rig);
  o.min_backoff = absl::Seconds(10);
  o.max_backoff = absl::Seconds(10);
  std::unique_ptr<AsyncProducer> p = MakeProducer(&half.stream, o);
  Outcomes out;
  BROOK_REQUIRE_OK(
      p->Put(KeyIn(half.upper.hash_key_range), "waits", {}, out.Slot(0)));
  // Routed after the first (one thread's records, in order): once it is
  // stored, the first has been routed, and waits.
  BROOK_REQUIRE_OK(
      p->Put(KeyIn(half.lower.hash_key_range), "goes", {}, out.Slot(1)));
  out.WaitFor(1);
  BROOK_REQUIRE_OK(out.at(1));
  CHECK(!out.has(0));
  absl::Status closed;
  std::thread closer([&] { closed = p->Close(absl::Seconds(5)); });
  half.rig.obs.AwaitBlockedBy(closer.get_id(), 1);
  half.rig.clock.Advance(absl::Seconds(5));
  closer.join();
  BROOK_CHECK_CODE(closed, kUnknown);
  BROOK_CHECK_CODE(out.at(0), kCancelled);
  CHECK(p->stats().records_failed == 1);
  CHECK(p->stats().records_buffered == 0);
  CHECK(ReadAll(half.target.get()).size() == 1);
  // Meanwhile the sending thread slept between reads of the map (one per
  // backoff of up to 10 s, and the clock moved 5 s), it did not spin.
  CHECK(p->stats().shard_map_refreshes < 10);
}

TEST_CASE(
    "AsyncProducer routing: a stream closed while records wait fails them "
    "with kFailedPrecondition",
    "[produce]") {
  HalfMapRig half;
  std::unique_ptr<AsyncProducer> p =
      MakeProducer(&half.stream, WaitingOptions(half.rig));
  Outcomes out;
  BROOK_REQUIRE_OK(
      p->Put(KeyIn(half.upper.hash_key_range), "waits", {}, out.Slot(0)));
  BROOK_REQUIRE_OK(half.target->Close());
  DriveUntil(&half.rig.obs, &half.rig.clock, absl::Milliseconds(100),
             [&] { return out.has(0); });
  BROOK_CHECK_CODE(out.at(0), kFailedPrecondition);
  // Well before the TTL (an hour): a backoff or a few.
  CHECK(half.rig.clock.NowMillis() - kStart < 60'000);
  BROOK_CHECK_CODE(p->Close(), kUnknown);
}

// Reads of the shard map that race with reshards, for a FaultStream's
// ListShards(), in episodes that last on the clock (so that no number of
// quick re-reads outwaits one): after a reshard, its new shards are left out
// (the parent is listed closed, its children not yet); at random, one open
// shard is left out or shown closed for a while.
class RacingReads {
 public:
  RacingReads(ManualClockEnv* clock, uint64_t seed)
      : clock_(clock), rng_(seed) {}

  // Leaves `ids` out for up to 200 ms from now.
  void HideNew(std::set<std::string> ids) {
    std::lock_guard<std::mutex> lock(mu_);
    hidden_ = std::move(ids);
    shown_closed_.clear();
    until_ = clock_->NowMillis() + 1 + static_cast<int64_t>(rng_() % 200);
  }
  // From now on, every read is as the stream is.
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }

  FaultStream::ListFault Fault() {
    return [this](std::vector<ShardDescription> listed) {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return listed;
      const int64_t now = clock_->NowMillis();
      if (now >= until_ && rng_() % 8 == 0) {  // a new episode
        std::vector<std::string> open;
        for (const ShardDescription& d : listed) {
          if (d.is_open()) open.push_back(d.shard_id);
        }
        hidden_.clear();
        shown_closed_.clear();
        if (!open.empty()) {
          const std::string& id = open[rng_() % open.size()];
          (rng_() % 2 == 0 ? hidden_ : shown_closed_).insert(id);
        }
        until_ = now + 1 + static_cast<int64_t>(rng_() % 200);
      }
      if (now >= until_) return listed;
      std::vector<ShardDescription> shown;
      for (ShardDescription& d : listed) {
        if (hidden_.count(d.shard_id) != 0) continue;
        if (shown_closed_.count(d.shard_id) != 0 && d.is_open()) {
          d.ending_sequence_number = d.starting_sequence_number;
        }
        shown.push_back(std::move(d));
      }
      return shown;
    };
  }

 private:
  ManualClockEnv* const clock_;
  std::mutex mu_;
  std::mt19937_64 rng_;  // under mu_
  std::set<std::string> hidden_;
  std::set<std::string> shown_closed_;
  int64_t until_ = 0;
  bool stopped_ = false;
};

// Two threads put, in rounds, each after a reshard, while the producer's
// reads of the shard map race with the reshards (RacingReads): every record
// is stored (none fails, none with kUnavailable), and each thread's records
// of a key in the order put.
TEST_CASE("AsyncProducer threads: per-key order through racing shard-map reads",
          "[produce][threads]") {
  const bool aggregated = GENERATE(false, true);
  const uint64_t seed = std::random_device()();
  std::printf("AsyncProducer racing reads: seed %llu, aggregation %d\n",
              static_cast<unsigned long long>(seed), aggregated ? 1 : 0);
  INFO("seed " << seed << " aggregation " << aggregated);
  ManualClockEnv clock(kStart);
  ObservingEnv obs(&clock);
  std::unique_ptr<Stream> target = MemoryStream(&clock, 2);
  FaultStream stream(target.get());
  RacingReads racing(&clock, seed ^ 0x5eed);
  stream.set_list_fault(racing.Fault());
  std::mutex mu;
  AsyncProducerOptions o;
  o.env = &obs;
  o.linger = absl::Milliseconds(5);
  o.max_batch_records = 20;
  o.min_backoff = absl::Milliseconds(10);
  o.max_backoff = absl::Milliseconds(100);
  o.record_ttl = absl::Hours(1);
  o.aggregation_enabled = aggregated;
  o.seed = seed;
  std::unique_ptr<AsyncProducer> p = MakeProducer(&stream, o);

  constexpr int kThreads = 2;
  constexpr int kRounds = 10;
  constexpr int kPerRound = 150;  // per thread
  constexpr int kPerThread = kRounds * kPerRound;
  constexpr int kKeys = 8;
  struct Outcome {
    bool done = false;
    absl::StatusOr<AsyncPutResult> result;
  };
  std::vector<std::vector<Outcome>> outcomes(kThreads,
                                             std::vector<Outcome>(kPerThread));
  std::atomic<int> completed{0};
  // Each round: a reshard, whose new shards the producer's reads miss a
  // while; both threads put; the clock runs until every record completed.
  testing::Barrier round_start(kThreads + 1), round_end(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        round_start.ArriveAndWait();
        for (int i = round * kPerRound; i < (round + 1) * kPerRound; ++i) {
          const absl::Status s =
              p->Put(absl::StrCat("t", t, "-k", i % kKeys), absl::StrCat(i), {},
                     [&, t, i](const absl::StatusOr<AsyncPutResult>& r) {
                       {
                         std::lock_guard<std::mutex> lock(mu);
                         outcomes[t][i] = {true, r};
                       }
                       completed.fetch_add(1);
                     });
          if (!s.ok()) {
            std::lock_guard<std::mutex> lock(mu);
            outcomes[t][i] = {true, s};
            completed.fetch_add(1);
          }
        }
        round_end.ArriveAndWait();
      }
    });
  }
  std::mt19937_64 rng(seed);
  for (int round = 0; round < kRounds; ++round) {
    // A split of a random open shard at its middle, or a merge of two
    // neighbours.
    const std::vector<ShardDescription> open = OpenShardsOf(target.get());
    if (open.size() < 6 && (open.size() < 2 || rng() % 2 == 0)) {
      const ShardDescription& d = open[rng() % open.size()];
      const HashKey lo = d.hash_key_range.starting_hash_key;
      const HashKey hi = d.hash_key_range.ending_hash_key;
      BROOK_CHECK_OK(target->SplitShard(
          d.shard_id, HashKeyToString(lo + (hi - lo) / 2 + 1)));
    } else {
      const size_t k = rng() % (open.size() - 1);
      BROOK_CHECK_OK(
          target->MergeShards(open[k].shard_id, open[k + 1].shard_id));
    }
    std::set<std::string> fresh;
    for (const ShardDescription& d : OpenShardsOf(target.get())) {
      fresh.insert(d.shard_id);
    }
    for (const ShardDescription& d : open) fresh.erase(d.shard_id);
    racing.HideNew(std::move(fresh));
    round_start.ArriveAndWait();
    round_end.ArriveAndWait();
    const int expected = (round + 1) * kPerRound * kThreads;
    DriveUntil(&obs, &clock, absl::Milliseconds(50),
               [&] { return completed.load() == expected; });
  }
  for (std::thread& t : threads) t.join();
  racing.Stop();
  BROOK_CHECK_OK(p->Close());
  CHECK(p->stats().records_stored == kThreads * kPerThread);
  CHECK(p->stats().shard_map_refreshes > 0);

  std::lock_guard<std::mutex> lock(mu);
  int failed = 0;
  for (int t = 0; t < kThreads; ++t) {
    // Per key: (sequence number, subsequence number) rise in the order put
    // (a child's numbers are above its parents').
    std::map<int, std::pair<SequenceNumber, uint64_t>> last;
    for (int i = 0; i < kPerThread; ++i) {
      const Outcome& x = outcomes[t][i];
      REQUIRE(x.done);
      if (!x.result.ok()) {
        if (++failed <= 3) FAIL_CHECK(x.result.status());
        continue;
      }
      const std::pair<SequenceNumber, uint64_t> at{
          x.result->sequence_number, x.result->subsequence_number};
      auto it = last.find(i % kKeys);
      if (it != last.end() && !(it->second < at)) {
        FAIL_CHECK("thread " << t << " record " << i << " stored before "
                             << "an earlier record of its key");
      }
      last[i % kKeys] = at;
    }
  }
  CHECK(failed == 0);
}

}  // namespace
}  // namespace brook
