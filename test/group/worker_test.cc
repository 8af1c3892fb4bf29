// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The consumer group worker driven by RunOnce() with the clock moved by hand:
// taking shards, checkpoints, expiry and stealing, leader change, handoff.
// Compiled twice: into brook_group_tests on the memory lease store, and into
// brook_remote_tests with BROOK_GROUP_TEST_DYNAMODB on DynamoDB leases on
// dynalite, a store per worker (group_lease_table.h).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include <catch2/catch.hpp>

#include "brook/consumer_group.h"

#include "group/group_keys.h"
#include "testing/status_testing.h"
#include "worker_testing.h"

namespace brook {
namespace {

using testing::Shard;
using testing::TestGroup;

std::multiset<std::string> AsSet(const std::vector<std::string>& v) {
  return std::multiset<std::string>(v.begin(), v.end());
}

TEST_CASE(
    BROOK_GROUP_TEST_NAME(
        "Worker: one worker takes every shard and delivers each record once"),
    "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(2);
  std::vector<std::string> produced = group.PutMany("a", 20);
  std::unique_ptr<Worker> worker = group.NewWorker("w1");
  absl::StatusOr<int64_t> delivered = worker->RunOnce();
  BROOK_REQUIRE_OK(delivered);
  CHECK(*delivered == 20);
  CHECK(AsSet(group.log().Data()) == AsSet(produced));
  WorkerStats stats = worker->Stats();
  CHECK(stats.is_leader);
  REQUIRE(stats.shards.size() == 2);
  CHECK(stats.shards[0].shard_id == Shard(0));
  CHECK(stats.shards[0].checkpoint.is_sequence_number());
  CHECK(stats.records_delivered == 20);
  // Nothing new: nothing delivered again.
  group.Round({worker.get()});
  group.Round({worker.get()});
  CHECK(group.log().deliveries().size() == 20);
  // The checkpoint is the last record of each shard.
  for (const testing::Delivery& d : group.log().deliveries()) {
    const Lease lease = group.GetLease(d.shard);
    CHECK(lease.checkpoint >= ExtendedSequenceNumber::At(d.sequence_number));
    CHECK(lease.lease_owner == "w1");
  }
  BROOK_REQUIRE_OK(worker->Shutdown());
  CHECK(group.GetLease(Shard(0)).lease_owner.empty());
  CHECK(absl::IsNotFound(
      group.store()->GetLease(internal::WorkerKey("w1")).status()));
  BROOK_CHECK_CODE(worker->RunOnce(), kFailedPrecondition);
}

TEST_CASE(
    BROOK_GROUP_TEST_NAME("Worker: options are validated, naming the field"),
    "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(1);
  auto create = [&](const WorkerOptions& options) {
    return Worker::Create(
        group.stream(), group.store(),
        [](absl::string_view) { return std::unique_ptr<RecordProcessor>(); },
        options);
  };
  WorkerOptions options = group.Options("w1");
  options.failover_time = absl::Microseconds(1500);
  absl::StatusOr<std::unique_ptr<Worker>> bad = create(options);
  BROOK_CHECK_CODE(bad, kInvalidArgument);
  CHECK(absl::StrContains(bad.status().message(), "failover_time"));
  options = group.Options("w1");
  options.lease_renewal_interval = absl::Seconds(5);
  bad = create(options);
  CHECK(absl::StrContains(bad.status().message(), "lease_renewal_interval"));
  options = group.Options("w 1");
  bad = create(options);
  CHECK(absl::StrContains(bad.status().message(), "worker_id"));
  options = group.Options("w1");
  options.initial_position = ExtendedSequenceNumber::ShardEnd();
  bad = create(options);
  CHECK(absl::StrContains(bad.status().message(), "initial_position"));
  options = group.Options("w1");
  options.dampening = 0;
  BROOK_CHECK_CODE(create(options), kInvalidArgument);
  options = group.Options("w1");
  options.max_records = 10001;
  BROOK_CHECK_CODE(create(options), kInvalidArgument);
  options = group.Options("");
  absl::StatusOr<std::unique_ptr<Worker>> fine = create(options);
  BROOK_REQUIRE_OK(fine);
  CHECK(!(*fine)->worker_id().empty());
  BROOK_CHECK_CODE(Worker::Create(nullptr, group.store(), nullptr, options),
                   kInvalidArgument);
}

TEST_CASE(BROOK_GROUP_TEST_NAME(
              "Worker: checkpointer refuses undelivered, backward and lost"),
          "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(1);
  const SequenceNumber first = group.Put("k", "r0");
  const SequenceNumber second = group.Put("k", "r1");
  absl::Status not_delivered, backwards, forward, after_lost;
  int batch = 0;
  group.log().behaviour().checkpoint_each_batch = false;
  group.log().behaviour().on_batch = [&](const std::string& shard,
                                         const ProcessRecordsInput& input) {
    if (batch++ == 0) {
      not_delivered = input.checkpointer->Checkpoint(
          SequenceNumber::FromValue(second.value() + 1000));
      forward = input.checkpointer->Checkpoint(second);
      backwards = input.checkpointer->Checkpoint(first);
      return absl::OkStatus();
    }
    // Another worker takes the lease meanwhile.
    absl::StatusOr<Lease> lease = group.store()->GetLease(shard);
    BROOK_REQUIRE_OK(lease);
    BROOK_REQUIRE_OK(group.store()->TakeLease(*lease, "intruder"));
    after_lost = input.checkpointer->Checkpoint();
    return absl::OkStatus();
  };
  std::unique_ptr<Worker> worker = group.NewWorker("w1");
  BROOK_REQUIRE_OK(worker->RunOnce());
  BROOK_CHECK_CODE(not_delivered, kInvalidArgument);
  CHECK(absl::StrContains(not_delivered.message(), Shard(0)));
  BROOK_CHECK_OK(forward);
  BROOK_CHECK_CODE(backwards, kInvalidArgument);
  CHECK(absl::StrContains(backwards.message(), "before"));
  CHECK(group.GetLease(Shard(0)).checkpoint ==
        ExtendedSequenceNumber::At(second));
  group.Put("k", "r2");
  BROOK_REQUIRE_OK(worker->RunOnce());
  BROOK_CHECK_CODE(after_lost, kFailedPrecondition);
  BROOK_REQUIRE_OK(worker->RunOnce());
  CHECK(group.log().HasEvent("lost w1 " + Shard(0)));
  CHECK(worker->Stats().shards.empty());
  CHECK(worker->Stats().leases_lost == 1);
}

TEST_CASE(BROOK_GROUP_TEST_NAME(
              "Worker: a dead worker's shard is taken after the failover time, "
              "resuming after its checkpoint, the leader changes"),
          "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(1);
  std::vector<std::string> produced = group.PutMany("a", 5);
  std::unique_ptr<Worker> a = group.NewWorker("a");
  std::unique_ptr<Worker> b = group.NewWorker("b");
  group.Round({a.get(), b.get()});
  CHECK(a->Stats().is_leader);
  CHECK(a->Stats().shards.size() == 1);
  CHECK(b->Stats().shards.empty());
  std::vector<std::string> later = group.PutMany("b", 5);
  a->Abort();  // dies: nothing written
  // Just before the failover time, b leaves the lease alone.
  for (int i = 0; i < 9; ++i) group.Round({b.get()});
  CHECK(b->Stats().shards.empty());
  CHECK(!b->Stats().is_leader);
  for (int i = 0; i < 3; ++i) group.Round({b.get()});
  CHECK(b->Stats().is_leader);
  REQUIRE(b->Stats().shards.size() == 1);
  // Everything once: a checkpointed its batch, b resumed after it.
  produced.insert(produced.end(), later.begin(), later.end());
  CHECK(group.log().Data() == produced);
  for (const testing::Delivery& d : group.log().deliveries()) {
    CHECK(d.worker == (d.data[0] == 'a' ? "a" : "b"));
  }
  const Lease lease = group.GetLease(Shard(0));
  CHECK(lease.lease_owner == "b");
  CHECK(lease.checkpoint.is_sequence_number());
  CHECK(lease.owner_switches_since_checkpoint == 0);
}

TEST_CASE(BROOK_GROUP_TEST_NAME("Worker: graceful handoff replays nothing"),
          "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(2);
  group.log().behaviour().checkpoint_each_batch = false;  // only on shutdown
  std::vector<std::string> produced = group.PutMany("a", 20);
  std::unique_ptr<Worker> a = group.NewWorker("a");
  group.Round({a.get()});
  REQUIRE(a->Stats().shards.size() == 2);
  std::unique_ptr<Worker> b = group.NewWorker("b");
  for (int i = 0; i < 4; ++i) group.Round({a.get(), b.get()});
  REQUIRE(a->Stats().shards.size() == 1);
  REQUIRE(b->Stats().shards.size() == 1);
  const std::string moved = b->Stats().shards[0].shard_id;
  CHECK(group.log().HasEvent("shutdown a " + moved));
  const Lease lease = group.GetLease(moved);
  CHECK(lease.lease_owner == "b");
  CHECK(lease.checkpoint_owner.empty());
  // b started exactly at a's checkpoint.
  CHECK(group.log().HasEvent("init b " + moved + " " +
                             lease.checkpoint.DebugString()));
  std::vector<std::string> later = group.PutMany("b", 20);
  for (int i = 0; i < 2; ++i) group.Round({a.get(), b.get()});
  produced.insert(produced.end(), later.begin(), later.end());
  CHECK(AsSet(group.log().Data()) == AsSet(produced));
}

TEST_CASE(BROOK_GROUP_TEST_NAME(
              "Worker: a handoff the old owner does not finish is forced after "
              "the timeout"),
          "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(1);
  group.PutMany("a", 3);
  WorkerOptions options = group.Options("a");
  options.failover_time = absl::Seconds(60);
  options.graceful_handoff_timeout = absl::Seconds(5);
  std::unique_ptr<Worker> a = group.NewWorker(options);
  options.worker_id = "b";
  std::unique_ptr<Worker> b = group.NewWorker(options);
  group.Round({a.get(), b.get()});
  REQUIRE(a->Stats().shards.size() == 1);
  // The leader moves the lease to b (as a balancing move would); a hangs.
  Lease lease = group.GetLease(Shard(0));
  BROOK_REQUIRE_OK(group.store()->UpdateLease(
      lease.lease_key, lease.lease_counter, [](Lease& l) {
        l.lease_owner = "b";
        l.checkpoint_owner = "a";
        return absl::OkStatus();
      }));
  for (int i = 0; i < 4; ++i) group.Round({b.get()});
  CHECK(b->Stats().shards.empty());
  CHECK(group.GetLease(Shard(0)).checkpoint_owner == "a");
  for (int i = 0; i < 2; ++i) group.Round({b.get()});
  REQUIRE(b->Stats().shards.size() == 1);
  CHECK(group.GetLease(Shard(0)).checkpoint_owner.empty());
  // a wakes up: its processor learns it lost the lease.
  group.Round({a.get()});
  group.Round({a.get()});
  CHECK(group.log().HasEvent("lost a " + Shard(0)));
  CHECK(!group.log().HasEvent("shutdown a " + Shard(0)));
  CHECK(a->Stats().shards.empty());
}

TEST_CASE(
    BROOK_GROUP_TEST_NAME(
        "Worker: after a graceful shutdown another worker takes the shards "
        "and the lead at once, replaying nothing"),
    "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(2);
  group.log().behaviour().checkpoint_each_batch = false;  // only on shutdown
  std::vector<std::string> produced = group.PutMany("a", 10);
  std::unique_ptr<Worker> a = group.NewWorker("a");
  std::unique_ptr<Worker> b = group.NewWorker("b");
  WorkerOptions options = group.Options("a");
  group.Round({a.get()});
  group.Round({b.get()});
  REQUIRE(a->Stats().shards.size() == 2);
  REQUIRE(a->Stats().is_leader);
  BROOK_REQUIRE_OK(a->Shutdown());
  CHECK(group.log().HasEvent("shutdown a " + Shard(0)));
  CHECK(group.log().HasEvent("shutdown a " + Shard(1)));
  std::vector<std::string> later = group.PutMany("b", 10);
  // Well within the failover time.
  for (int i = 0; i < 2; ++i) group.Round({b.get()});
  CHECK(b->Stats().is_leader);
  CHECK(b->Stats().shards.size() == 2);
  produced.insert(produced.end(), later.begin(), later.end());
  CHECK(AsSet(group.log().Data()) == AsSet(produced));
}

TEST_CASE(
    BROOK_GROUP_TEST_NAME("Worker: uniform assignment splits by hash range"),
    "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(4);
  WorkerOptions options = group.Options("a");
  options.assignment = AssignmentStrategy::kUniform;
  std::unique_ptr<Worker> a = group.NewWorker(options);
  options.worker_id = "b";
  std::unique_ptr<Worker> b = group.NewWorker(options);
  for (int i = 0; i < 5; ++i) group.Round({a.get(), b.get()});
  auto ids = [](Worker* w) {
    std::vector<std::string> held;
    for (const auto& shard : w->Stats().shards) held.push_back(shard.shard_id);
    return held;
  };
  CHECK(ids(a.get()) == std::vector<std::string>{Shard(0), Shard(1)});
  CHECK(ids(b.get()) == std::vector<std::string>{Shard(2), Shard(3)});
}

TEST_CASE(
    BROOK_GROUP_TEST_NAME(
        "Worker: load-aware assignment moves leases off a busy worker and "
        "then stops"),
    "[group]") {
  BROOK_GROUP_LEASE_TABLE_OR_SKIP();
  TestGroup group(4);
  std::unique_ptr<Worker> a = group.NewWorker("a");
  group.Round({a.get()});
  REQUIRE(a->Stats().shards.size() == 4);
  std::unique_ptr<Worker> b = group.NewWorker("b");
  // The same keys each second: every shard keeps its rate.
  for (int i = 0; i < 12; ++i) {
    group.PutMany(absl::StrCat("r", i, "-"), 40);
    group.Round({a.get(), b.get()});
  }
  const size_t on_a = a->Stats().shards.size();
  const size_t on_b = b->Stats().shards.size();
  CHECK(on_a + on_b == 4);
  CHECK(on_b >= 1);
  // Balanced: with unchanged load, nothing moves any more.
  const uint64_t taken = a->Stats().leases_taken + b->Stats().leases_taken;
  for (int i = 0; i < 6; ++i) {
    group.PutMany(absl::StrCat("s", i, "-"), 40);
    group.Round({a.get(), b.get()});
  }
  CHECK(a->Stats().leases_taken + b->Stats().leases_taken == taken);
}

}  // namespace
}  // namespace brook
