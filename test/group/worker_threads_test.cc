// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The consumer group worker on its own threads (Start()). The workers' clock
// is a ManualClockEnv the test moves; the stream keeps the real clock, so a
// shard thread's idle wait (Consumer::WaitForRecords) ends by itself. The
// test waits for what the processors log, never for time.

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer_group.h"

#include "testing/status_testing.h"
#include "worker_testing.h"

namespace brook {
namespace {

using testing::Shard;
using testing::TestGroup;

WorkerOptions ThreadOptions(TestGroup& group, const std::string& id) {
  WorkerOptions options = group.Options(id);
  // Long enough that moving the clock fast never expires a live worker nor
  // forces a handoff (shard threads run in real time).
  options.failover_time = absl::Hours(1000);
  options.graceful_handoff_timeout = absl::Hours(1000);
  options.idle_time_between_reads = absl::Milliseconds(2);
  return options;
}

int64_t EntryCounter(TestGroup& group, Worker* worker) {
  absl::StatusOr<Lease> entry =
      group.store()->GetLease("worker:" + worker->worker_id());
  return entry.ok() ? entry->lease_counter : -1;
}

// Moves the clock a second at a time until `done()`; after each move waits
// until each of `running` has renewed its entry (ran a round at the new
// time). The shard threads run in real time meanwhile, so the test's timeouts
// are long enough for any number of steps. Gives up (returns false) only
// after a minute of real time: a hang, not a timing.
template <typename Done>
bool AdvanceUntil(TestGroup& group, const std::vector<Worker*>& running,
                  Done done) {
  const auto hang = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!done() && std::chrono::steady_clock::now() < hang) {
    std::vector<int64_t> before;
    for (Worker* worker : running)
      before.push_back(EntryCounter(group, worker));
    group.env().Advance(absl::Seconds(1));
    const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::minutes(1);
    for (size_t w = 0; w < running.size(); ++w) {
      while (EntryCounter(group, running[w]) == before[w] &&
             std::chrono::steady_clock::now() < give_up) {
        std::this_thread::yield();
      }
    }
  }
  return done();
}

// Whether each worker holds `each` leases, as the store says, with no handoff
// under way.
bool Settled(TestGroup& group, const std::vector<Worker*>& workers,
             size_t each) {
  absl::StatusOr<std::vector<Lease>> leases = group.store()->ListLeases();
  if (!leases.ok()) return false;
  for (Worker* worker : workers) {
    std::set<std::string> stored;
    for (const Lease& lease : *leases) {
      if (!IsShardLeaseKey(lease.lease_key)) continue;
      if (!lease.checkpoint_owner.empty()) return false;
      if (lease.lease_owner == worker->worker_id())
        stored.insert(lease.lease_key);
    }
    std::set<std::string> held;
    for (const WorkerStats::HeldShard& shard : worker->Stats().shards) {
      held.insert(shard.shard_id);
    }
    if (stored.size() != each || held != stored) return false;
  }
  return true;
}

TEST_CASE(
    "Worker threads: one worker delivers everything and shuts down "
    "gracefully",
    "[group]") {
  TestGroup group(2, Env::Default());
  std::vector<std::string> produced = group.PutMany("a", 50);
  std::unique_ptr<Worker> worker = group.NewWorker(ThreadOptions(group, "w"));
  BROOK_REQUIRE_OK(worker->Start());
  BROOK_CHECK_CODE(worker->Start(), kFailedPrecondition);
  BROOK_CHECK_CODE(worker->RunOnce(), kFailedPrecondition);
  REQUIRE(group.log().WaitForDeliveries(50));
  std::vector<std::string> later = group.PutMany("b", 50);
  REQUIRE(group.log().WaitForDeliveries(100));
  BROOK_REQUIRE_OK(worker->Shutdown());
  produced.insert(produced.end(), later.begin(), later.end());
  std::vector<std::string> data = group.log().Data();
  std::sort(data.begin(), data.end());
  std::sort(produced.begin(), produced.end());
  CHECK(data == produced);
  for (int shard = 0; shard < 2; ++shard) {
    CHECK(group.log().HasEvent("shutdown w " + Shard(shard)));
    const Lease lease = group.GetLease(Shard(shard));
    CHECK(lease.lease_owner.empty());
    CHECK(lease.checkpoint.is_sequence_number());
  }
  BROOK_CHECK_OK(worker->status());
}

TEST_CASE(
    "Worker threads: a second worker gets half by graceful handoff, "
    "nothing is delivered twice",
    "[group]") {
  TestGroup group(4, Env::Default());
  std::vector<std::string> produced = group.PutMany("a", 40);
  // Uniform: shards 0 and 1 to a, 2 and 3 to b, and no move after that (by
  // load, the moves would follow the measured rates).
  WorkerOptions options = ThreadOptions(group, "a");
  options.assignment = AssignmentStrategy::kUniform;
  std::unique_ptr<Worker> a = group.NewWorker(options);
  BROOK_REQUIRE_OK(a->Start());
  REQUIRE(group.log().WaitForDeliveries(40));
  options.worker_id = "b";
  std::unique_ptr<Worker> b = group.NewWorker(options);
  BROOK_REQUIRE_OK(b->Start());
  REQUIRE(AdvanceUntil(group, {a.get(), b.get()}, [&] {
    return Settled(group, {a.get(), b.get()}, 2);
  }));
  std::vector<std::string> later = group.PutMany("b", 40);
  REQUIRE(group.log().WaitForDeliveries(80));
  BROOK_REQUIRE_OK(a->Shutdown());
  BROOK_REQUIRE_OK(b->Shutdown());
  produced.insert(produced.end(), later.begin(), later.end());
  std::vector<std::string> data = group.log().Data();
  std::sort(data.begin(), data.end());
  std::sort(produced.begin(), produced.end());
  CHECK(data == produced);  // exactly once
}

TEST_CASE(
    "Worker threads: Abort leaves the leases to expire, another worker "
    "takes them after the failover time",
    "[group]") {
  TestGroup group(2, Env::Default());
  group.PutMany("a", 10);
  WorkerOptions options = ThreadOptions(group, "a");
  options.failover_time = absl::Seconds(10);
  std::unique_ptr<Worker> a = group.NewWorker(options);
  BROOK_REQUIRE_OK(a->Start());
  REQUIRE(group.log().WaitForDeliveries(10));
  a->Abort();
  CHECK(group.GetLease(Shard(0)).lease_owner == "a");
  options.worker_id = "b";
  std::unique_ptr<Worker> b = group.NewWorker(options);
  BROOK_REQUIRE_OK(b->Start());
  group.PutMany("b", 10);
  REQUIRE(AdvanceUntil(group, {b.get()},
                       [&] { return b->Stats().shards.size() == 2; }));
  REQUIRE(group.log().WaitForDeliveries(20));
  BROOK_REQUIRE_OK(b->Shutdown());
  CHECK(group.log().deliveries().size() == 20);  // a had checkpointed all
}

TEST_CASE(
    "Worker threads: across a split, the parent's records come before "
    "the children's",
    "[group]") {
  TestGroup group(1, Env::Default());
  std::unique_ptr<Worker> worker = group.NewWorker(ThreadOptions(group, "w"));
  BROOK_REQUIRE_OK(worker->Start());
  group.PutMany("p", 30);
  REQUIRE(group.log().WaitForDeliveries(30));
  BROOK_REQUIRE_OK(group.stream()->SplitShard(
      Shard(0), "170141183460469231731687303715884105728"));
  group.PutMany("c", 30);
  REQUIRE(AdvanceUntil(group, {worker.get()}, [&] {
    return group.log().deliveries().size() >= 60 &&
           absl::IsNotFound(group.store()->GetLease(Shard(0)).status());
  }));
  BROOK_REQUIRE_OK(worker->Shutdown());
  const std::vector<std::string> data = group.log().Data();
  REQUIRE(data.size() == 60);
  for (size_t i = 0; i < 30; ++i) CHECK(data[i][0] == 'p');
  CHECK(group.log().HasEvent("ended-checkpoint w " + Shard(0) + " OK"));
}

}  // namespace
}  // namespace brook
