// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The ordering property of a consumer group (issue 11): producers write keyed
// sequences (partition key k, data k's counter) while random splits, merges
// and UpdateShardCount run; workers join, leave gracefully (Shutdown) and are
// killed (Abort) at random; processors checkpoint at random points. The
// oracle (group_testing.h, `CheckDelivery()`): for every partition key the
// first deliveries are exactly what was produced, in order (so with the
// replays after checkpoints removed the delivered sequence is the produced
// one); every processor starts just after a stored checkpoint and reads its
// shard on without a gap; no child record is delivered before its parents'
// last record; nothing is lost.
//
// Two drivers: every worker driven by `RunOnce()` from the test's thread
// with a `ManualClockEnv` (deterministic for a seed, and checked strictly:
// each processor resumes exactly at the last stored checkpoint, a graceful
// handoff replays nothing), and workers on their own threads with the real
// clock and a short failover time (for the thread sanitizer). Seeds are
// printed; BROOK_GROUP_SEED=<n> replays one (the threaded run's timing is
// not replayed).
//
// Compiled twice: into brook_group_tests on the memory lease store, and into
// brook_remote_tests with BROOK_GROUP_TEST_DYNAMODB on DynamoDB leases on
// dynalite, a store per worker (group_lease_table.h), with fewer seeds.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include <catch2/catch.hpp>

#include "brook/consumer_group.h"
#include "brook/env.h"
#include "brook/lease.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "group/group_lease_table.h"
#include "group/group_testing.h"
#include "testing/status_testing.h"

namespace brook {
namespace {

using testing::CheckDelivery;
using testing::KeyedData;
using testing::KeyName;
using testing::RandomReshard;
using testing::Recorder;

// Appends `count` records of random keys in [first_key, first_key + keys),
// each with its key's next counter, in one PutRecords call.
void ProduceBatch(Producer& producer, std::mt19937_64& rng, int first_key,
                  int keys, int count, std::map<int, int64_t>& produced) {
  std::vector<std::string> names, datas;
  for (int i = 0; i < count; ++i) {
    const int key = first_key + static_cast<int>(rng() % keys);
    names.push_back(KeyName(key));
    datas.push_back(KeyedData(key, produced[key]++));
  }
  std::vector<PutRecordsEntry> entries;
  for (int i = 0; i < count; ++i) entries.push_back({names[i], datas[i], {}});
  absl::StatusOr<PutRecordsResult> put = producer.PutRecords(entries);
  BROOK_REQUIRE_OK(put);
  REQUIRE(put->failed_record_count == 0);
}

int64_t Total(const std::map<int, int64_t>& produced) {
  int64_t total = 0;
  for (const auto& [key, n] : produced) total += n;
  return total;
}

// The members of a group, joining, leaving and dying.
class Members {
 public:
  // Each worker gets a store of its own of `table` (one per process).
  Members(Stream* stream, testing::GroupLeaseTable* table, Recorder* recorder,
          WorkerOptions options, std::mt19937_64* rng, bool start)
      : stream_(stream),
        table_(table),
        recorder_(recorder),
        options_(std::move(options)),
        rng_(rng),
        start_(start) {}

  size_t size() const { return live_.size(); }

  // A new worker, under a new id or (sometimes) one that left or died: it
  // takes over that id's entry.
  void Join() {
    std::string id;
    if (!gone_.empty() && (*rng_)() % 2 == 0) {
      const size_t i = (*rng_)() % gone_.size();
      id = gone_[i];
      gone_.erase(gone_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      id = absl::StrCat("w", next_id_++);
    }
    WorkerOptions options = options_;
    options.worker_id = id;
    options.max_records = 1 + static_cast<int>((*rng_)() % 64);
    absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
        stream_, table_->WorkerStore(), recorder_->Factory(id), options);
    BROOK_REQUIRE_OK(worker);
    if (start_) BROOK_REQUIRE_OK((*worker)->Start());
    live_.emplace_back(std::move(*worker));
    Trace("join", id);
  }

  // A random worker shuts down gracefully.
  void Leave() {
    std::unique_ptr<Worker> w = Take();
    BROOK_REQUIRE_OK(w->Shutdown(absl::Seconds(30)));
    gone_.push_back(w->worker_id());
    Trace("leave", w->worker_id());
  }

  // A random worker dies.
  void Kill() {
    std::unique_ptr<Worker> w = Take();
    w->Abort();
    gone_.push_back(w->worker_id());
    Trace("kill", w->worker_id());
  }

  // One `RunOnce()` of every worker; a lost compare-and-set race (kAborted)
  // is the only error allowed.
  void RunAll() {
    for (std::unique_ptr<Worker>& w : live_) {
      absl::StatusOr<int64_t> n = w->RunOnce();
      if (!n.ok()) {
        INFO(w->worker_id() << ": " << n.status());
        REQUIRE(n.status().code() == absl::StatusCode::kAborted);
      }
    }
  }

  void ShutdownAll() {
    for (std::unique_ptr<Worker>& w : live_) {
      BROOK_REQUIRE_OK(w->Shutdown(absl::Seconds(30)));
    }
    live_.clear();
  }

 private:
  // With $BROOK_GROUP_TRACE set, prints each join, leave and kill.
  static void Trace(const char* what, const std::string& id) {
    if (std::getenv("BROOK_GROUP_TRACE") != nullptr) {
      std::printf("  %s %s\n", what, id.c_str());
    }
  }

  std::unique_ptr<Worker> Take() {
    const size_t i = (*rng_)() % live_.size();
    std::unique_ptr<Worker> w = std::move(live_[i]);
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
    return w;
  }

  Stream* const stream_;
  testing::GroupLeaseTable* const table_;
  Recorder* const recorder_;
  const WorkerOptions options_;
  std::mt19937_64* const rng_;
  const bool start_;
  std::vector<std::unique_ptr<Worker>> live_;
  std::vector<std::string> gone_;
  int next_id_ = 0;
};

// With $BROOK_GROUP_TRACE set: each change of a shard lease's owner or
// checkpoint owner.
void TraceLeases(LeaseStore& store, int round) {
  static std::map<std::string, std::string> last;
  absl::StatusOr<std::vector<Lease>> leases = store.ListLeases();
  if (!leases.ok()) return;
  for (const Lease& l : *leases) {
    if (!IsShardLeaseKey(l.lease_key)) continue;
    const std::string now = absl::StrCat(
        "owner=", l.lease_owner, " checkpoint_owner=", l.checkpoint_owner);
    if (last[l.lease_key] != now) {
      std::printf("  round %d: %s %s\n", round, l.lease_key.c_str(),
                  now.c_str());
      last[l.lease_key] = now;
    }
  }
}

void RunManualClockProperty(uint64_t seed) {
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  ManualClockEnv env(1'700'000'000'000);
  std::unique_ptr<Stream> stream =
      testing::NewMemoryStream(1 + static_cast<int>(rng() % 3), &env);
  testing::GroupLeaseTable table;
  LeaseStore* store = table.store();
  Recorder recorder(seed);
  recorder.error_odds = 0.01;

  WorkerOptions options;
  options.env = &env;
  options.failover_time = absl::Seconds(1);
  options.lease_renewal_interval = absl::Milliseconds(200);
  options.graceful_handoff_timeout = absl::Seconds(2);
  options.processor_error_backoff = absl::Milliseconds(300);
  options.initial_position = ExtendedSequenceNumber::TrimHorizon();
  options.assignment = rng() % 2 == 0 ? AssignmentStrategy::kLoadAware
                                      : AssignmentStrategy::kUniform;
  options.max_leases_per_worker = rng() % 3 == 0 ? 3 : 0;
  Members members(stream.get(), &table, &recorder, options, &rng,
                  /*start=*/false);
  members.Join();
  members.Join();

  Producer producer(stream.get());
  std::map<int, int64_t> produced;
  constexpr int kRounds = 1500;
  for (int round = 0; round < kRounds; ++round) {
    INFO("round " << round);
    if (rng() % 10 < 7) {
      ProduceBatch(producer, rng, 0, 24, 1 + static_cast<int>(rng() % 16),
                   produced);
    }
    if (rng() % 100 < 2) BROOK_REQUIRE_OK(RandomReshard(*stream, rng));
    if (rng() % 100 < 2 && members.size() < 4) members.Join();
    if (rng() % 1000 < 15 && members.size() > 1) members.Leave();
    if (rng() % 1000 < 15 && members.size() > 1) members.Kill();
    members.RunAll();
    if (std::getenv("BROOK_GROUP_TRACE") != nullptr) TraceLeases(*store, round);
    env.Advance(absl::Milliseconds(static_cast<int64_t>(rng() % 120)));
  }
  // Drain: the group goes on until every record was delivered (a killed
  // worker's leases expire meanwhile).
  if (members.size() == 0) members.Join();
  if (options.max_leases_per_worker > 0) {
    // An open shard is held for good, so workers at their lease limit that
    // hold only open shards take nothing more (KCL does the same): the
    // drain needs room for every open shard plus one, through which the
    // closed shards still unread pass in turn.
    size_t open = 0;
    for (const ShardDescription& d : stream->ListShards()) {
      if (d.is_open()) ++open;
    }
    while (members.size() * static_cast<size_t>(options.max_leases_per_worker) <
           open + 1) {
      members.Join();
    }
  }
  const size_t total = static_cast<size_t>(Total(produced));
  for (int round = 0; round < 5000; ++round) {
    if (recorder.distinct_delivered() == total) break;
    members.RunAll();
    env.Advance(absl::Milliseconds(100));
  }
  if (recorder.distinct_delivered() != total) {
    std::printf("stalled:\n%s",
                testing::DescribeStall(*store, stream.get(), recorder.events())
                    .c_str());
  }
  members.ShutdownAll();
  INFO("records produced " << total);
  REQUIRE(recorder.unexpected() == "");
  const std::vector<testing::GroupEvent> events = recorder.events();
  const std::map<std::string, testing::ShardRecords> shards =
      testing::ReadAllShards(stream.get());
  std::printf("  seed %llu: %zu records, %zu shards, %s\n",
              static_cast<unsigned long long>(seed), total, shards.size(),
              testing::Summary(events).c_str());
  CheckDelivery(events, shards, produced, /*strict=*/true);
  REQUIRE(recorder.distinct_delivered() == total);
}

TEST_CASE(BROOK_GROUP_TEST_NAME(
              "Consumer group ordering: RunOnce workers on a manual clock, "
              "with random reshards, joins, graceful leaves and kills, "
              "deliver every key in order"),
          "[group][worker][property]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  const uint64_t seed = testing::GroupSeed("group order (RunOnce)");
  // A few seeds from the one printed, each a different run; on DynamoDB
  // leases (a round trip to dynalite per lease operation) fewer.
#ifdef BROOK_GROUP_TEST_DYNAMODB
  constexpr uint64_t kSeeds = 1;
#else
  constexpr uint64_t kSeeds = 4;
#endif
  for (uint64_t i = 0; i < kSeeds; ++i) RunManualClockProperty(seed + i);
}

// The shape the property test found: a lease being handed off (owner = the
// new worker, checkpoint_owner = the old one) when the old owner dies. The
// new owner must take it after `graceful_handoff_timeout`; if the new owner
// shuts down first, another live worker must get it: the shard must not
// stay unprocessed.
TEST_CASE(BROOK_GROUP_TEST_NAME(
              "Consumer group: a lease in a handoff whose old owner was "
              "aborted is processed, also if the new owner shuts down"),
          "[group][worker][handoff]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  ManualClockEnv env(1'700'000'000'000);
  std::unique_ptr<Stream> stream = testing::NewMemoryStream(2, &env);
  testing::GroupLeaseTable table;
  LeaseStore* store = table.store();
  Recorder recorder(1);
  WorkerOptions options;
  options.env = &env;
  options.failover_time = absl::Seconds(1);
  options.lease_renewal_interval = absl::Milliseconds(200);
  options.graceful_handoff_timeout = absl::Seconds(2);
  options.initial_position = ExtendedSequenceNumber::TrimHorizon();
  options.assignment = AssignmentStrategy::kUniform;
  auto make = [&](const std::string& id) {
    options.worker_id = id;
    absl::StatusOr<std::unique_ptr<Worker>> w = Worker::Create(
        stream.get(), table.WorkerStore(), recorder.Factory(id), options);
    BROOK_REQUIRE_OK(w);
    return std::move(*w);
  };
  std::unique_ptr<Worker> a = make("a");
  std::unique_ptr<Worker> b = make("b");
  std::unique_ptr<Worker> c = make("c");
  // a alone: takes both shards.
  for (int i = 0; i < 10; ++i) {
    BROOK_REQUIRE_OK(a->RunOnce());
    env.Advance(absl::Milliseconds(100));
  }
  REQUIRE(a->Stats().shards.size() == 2);
  BROOK_REQUIRE_OK(b->RunOnce());  // joins
  // a dies while the leader was moving a lease to b (written here as the
  // leader writes it: owner b, checkpoint_owner a); then b stays, or shuts
  // down before the handoff timeout.
  const bool b_leaves = GENERATE(false, true);
  INFO((b_leaves ? "b shuts down" : "b stays"));
  a->Abort();
  absl::StatusOr<Lease> lease = store->GetLease("shardId-000000000000");
  BROOK_REQUIRE_OK(lease);
  BROOK_REQUIRE_OK(
      store->UpdateLease(lease->lease_key, lease->lease_counter, [](Lease& l) {
        l.lease_owner = "b";
        l.checkpoint_owner = "a";
        return absl::OkStatus();
      }));
  BROOK_REQUIRE_OK(b->RunOnce());
  std::vector<Worker*> live = {b.get(), c.get()};
  if (b_leaves) {
    BROOK_REQUIRE_OK(b->Shutdown());
    live = {c.get()};
  }
  // Well past the handoff timeout and the failover time.
  for (int i = 0; i < 100; ++i) {
    for (Worker* w : live) {
      absl::StatusOr<int64_t> n = w->RunOnce();
      REQUIRE((n.ok() || n.status().code() == absl::StatusCode::kAborted));
    }
    env.Advance(absl::Milliseconds(100));
  }
  size_t held = 0;
  for (Worker* w : live) held += w->Stats().shards.size();
  CHECK(held == 2);
  for (Worker* w : live) BROOK_CHECK_OK(w->Shutdown());
}

TEST_CASE(BROOK_GROUP_TEST_NAME(
              "Consumer group ordering: workers on their own threads with the "
              "real clock, with concurrent producers, reshards, joins, leaves "
              "and kills"),
          "[group][worker][property][threads]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  const uint64_t seed = testing::GroupSeed("group order (threads)");
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::unique_ptr<Stream> stream = testing::NewMemoryStream(2);
  testing::GroupLeaseTable table;
  LeaseStore* store = table.store();
  Recorder recorder(seed);

  WorkerOptions options;
  options.failover_time = absl::Milliseconds(400);
  options.lease_renewal_interval = absl::Milliseconds(80);
  options.graceful_handoff_timeout = absl::Milliseconds(500);
  options.idle_time_between_reads = absl::Milliseconds(50);
  options.initial_position = ExtendedSequenceNumber::TrimHorizon();
  options.assignment = rng() % 2 == 0 ? AssignmentStrategy::kLoadAware
                                      : AssignmentStrategy::kUniform;
  Members members(stream.get(), &table, &recorder, options, &rng,
                  /*start=*/true);
  members.Join();
  members.Join();

  // Two producers, each with keys of its own (one writer per key keeps a
  // key's order that of its counter); the test's thread acts between their
  // batches.
  constexpr int kProducers = 2;
  constexpr int kActions = 16;
  constexpr int kBatchesPerPhase = 40;
  std::mutex mu;
  std::condition_variable cv;
  int phase = 0;            // guarded by mu: producers may write its batches
  int batches_done = 0;     // guarded by mu
  size_t records_done = 0;  // guarded by mu
  std::vector<std::map<int, int64_t>> produced(kProducers);
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p, producer_seed = rng()] {
      std::mt19937_64 prng(producer_seed);
      Producer producer(stream.get());
      for (int f = 0; f <= kActions; ++f) {
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return phase >= f; });
        }
        for (int b = 0; b < kBatchesPerPhase; ++b) {
          const int count = 1 + static_cast<int>(prng() % 8);
          ProduceBatch(producer, prng, p * 12, 12, count, produced[p]);
          std::lock_guard<std::mutex> lock(mu);
          ++batches_done;
          records_done += static_cast<size_t>(count);
          cv.notify_all();
        }
      }
    });
  }
  // Each action starts a phase of production, and runs while the producers
  // write and the group reads: once a phase was written and the group has
  // delivered at least half of what was written so far (or 5 s passed).
  for (int a = 0; a < kActions; ++a) {
    size_t written = 0;
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] {
        return batches_done >= (a + 1) * kProducers * kBatchesPerPhase;
      });
      written = records_done;
      ++phase;
      cv.notify_all();
    }
    recorder.WaitForDistinct(written / 2, std::chrono::milliseconds(5000));
    int action = static_cast<int>(rng() % 4);
    if (members.size() <= 1 && action >= 2) action = 1;
    if (members.size() >= 4 && action == 1) action = 2 + rng() % 2;
    std::printf("  action %d: %s (%zu workers)\n", a,
                action == 0   ? "reshard"
                : action == 1 ? "join"
                : action == 2 ? "leave"
                              : "kill",
                members.size());
    switch (action) {
      case 0:
        BROOK_REQUIRE_OK(RandomReshard(*stream, rng));
        break;
      case 1:
        members.Join();
        break;
      case 2:
        members.Leave();
        break;
      default:
        members.Kill();
        break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    phase = kActions;
    cv.notify_all();
  }
  for (std::thread& t : producers) t.join();
  std::map<int, int64_t> all;
  for (const auto& each : produced) all.insert(each.begin(), each.end());
  const size_t total = static_cast<size_t>(Total(all));
  INFO("records produced " << total);
  const bool done =
      recorder.WaitForDistinct(total, std::chrono::milliseconds(60'000));
  if (!done) {
    std::printf("stalled:\n%s",
                testing::DescribeStall(*store, stream.get(), recorder.events())
                    .c_str());
  }
  members.ShutdownAll();
  REQUIRE(done);
  REQUIRE(recorder.unexpected() == "");
  const std::vector<testing::GroupEvent> events = recorder.events();
  const std::map<std::string, testing::ShardRecords> shards =
      testing::ReadAllShards(stream.get());
  std::printf("  %zu records, %zu shards, %s\n", total, shards.size(),
              testing::Summary(events).c_str());
  CheckDelivery(events, shards, all, /*strict=*/false);
}

}  // namespace
}  // namespace brook
