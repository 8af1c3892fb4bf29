// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer group rules with RunOnce() and a hand-moved clock: lineage across
// splits and merges, parent cleanup, max leases, processor errors, initial
// positions, restart under the same id, the durable lease store.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "brook/consumer_group.h"

#include "testing/status_testing.h"
#include "testing/temp_dir.h"
#include "worker_testing.h"

namespace brook {
namespace {

using testing::Shard;
using testing::TestGroup;

constexpr absl::string_view kMidKey = "170141183460469231731687303715884105728";

// The index in `data` of the first element starting with `prefix`, or of the
// last one; -1 if none.
int FirstWith(const std::vector<std::string>& data, char prefix) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i][0] == prefix) return static_cast<int>(i);
  }
  return -1;
}
int LastWith(const std::vector<std::string>& data, char prefix) {
  int last = -1;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i][0] == prefix) last = static_cast<int>(i);
  }
  return last;
}

TEST_CASE(
    "Worker: split children wait for the parent's SHARD_END, then the "
    "parent's lease is deleted",
    "[group]") {
  TestGroup group(1);
  std::vector<std::string> parent = group.PutMany("p", 10);
  BROOK_REQUIRE_OK(group.stream()->SplitShard(Shard(0), kMidKey));
  std::vector<std::string> children = group.PutMany("c", 10);
  group.log().behaviour().checkpoint_at_shard_end = false;
  std::unique_ptr<Worker> worker = group.NewWorker("w");
  for (int i = 0; i < 4; ++i) group.Round({worker.get()});
  CHECK(group.log().HasEvent("ended w " + Shard(0)));
  CHECK(FirstWith(group.log().Data(), 'c') == -1);  // children wait
  CHECK(!group.GetLease(Shard(0)).checkpoint.is_shard_end());
  group.log().behaviour().checkpoint_at_shard_end = true;
  for (int i = 0; i < 6; ++i) group.Round({worker.get()});
  const std::vector<std::string> data = group.log().Data();
  REQUIRE(FirstWith(data, 'c') >= 0);
  CHECK(LastWith(data, 'p') < FirstWith(data, 'c'));
  std::set<std::string> got(data.begin(), data.end());
  for (const std::string& d : children) CHECK(got.count(d) == 1);
  // The children started, so the parent's lease is gone.
  CHECK(group.log().HasEvent("ended-checkpoint w " + Shard(0) + " OK"));
  CHECK(absl::IsNotFound(group.store()->GetLease(Shard(0)).status()));
  CHECK(group.GetLease(Shard(1)).parent_shard_ids ==
        std::vector<std::string>{Shard(0)});
}

TEST_CASE("Worker: a merge child waits for both parents", "[group]") {
  TestGroup group(2);
  group.PutMany("p", 20);
  BROOK_REQUIRE_OK(group.stream()->MergeShards(Shard(0), Shard(1)));
  group.PutMany("c", 5);
  group.log().behaviour().no_shard_end_checkpoint = {Shard(1)};
  std::unique_ptr<Worker> worker = group.NewWorker("w");
  for (int i = 0; i < 4; ++i) group.Round({worker.get()});
  CHECK(group.GetLease(Shard(0)).checkpoint.is_shard_end());
  CHECK(!group.GetLease(Shard(1)).checkpoint.is_shard_end());
  CHECK(FirstWith(group.log().Data(), 'c') == -1);
  group.log().behaviour().no_shard_end_checkpoint.clear();
  for (int i = 0; i < 6; ++i) group.Round({worker.get()});
  const std::vector<std::string> data = group.log().Data();
  REQUIRE(FirstWith(data, 'c') >= 0);
  CHECK(LastWith(data, 'p') < FirstWith(data, 'c'));
  CHECK(absl::IsNotFound(group.store()->GetLease(Shard(0)).status()));
  CHECK(absl::IsNotFound(group.store()->GetLease(Shard(1)).status()));
}

TEST_CASE("Worker: max_leases_per_worker caps what a worker holds", "[group]") {
  TestGroup group(4);
  WorkerOptions options = group.Options("a");
  options.max_leases_per_worker = 2;
  std::unique_ptr<Worker> a = group.NewWorker(options);
  group.Round({a.get()});
  CHECK(a->Stats().shards.size() == 2);
  options.worker_id = "b";
  std::unique_ptr<Worker> b = group.NewWorker(options);
  for (int i = 0; i < 4; ++i) group.Round({a.get(), b.get()});
  CHECK(a->Stats().shards.size() == 2);
  CHECK(b->Stats().shards.size() == 2);
}

TEST_CASE(
    "Worker: a processor error releases the shard, it is delivered "
    "again after the backoff",
    "[group]") {
  TestGroup group(1);
  std::vector<std::string> produced = group.PutMany("a", 5);
  int calls = 0;
  group.log().behaviour().on_batch = [&](const std::string&,
                                         const ProcessRecordsInput&) {
    return calls++ == 0 ? absl::InternalError("poison") : absl::OkStatus();
  };
  WorkerOptions options = group.Options("w");
  options.processor_error_backoff = absl::Seconds(5);
  std::unique_ptr<Worker> worker = group.NewWorker(options);
  group.Round({worker.get()});
  CHECK(worker->Stats().processor_errors == 1);
  CHECK(group.log().Data() == produced);
  CHECK(group.GetLease(Shard(0)).checkpoint ==
        ExtendedSequenceNumber::TrimHorizon());
  for (int i = 0; i < 3; ++i) group.Round({worker.get()});
  CHECK(group.log().Data().size() == 5);  // still backing off
  for (int i = 0; i < 3; ++i) group.Round({worker.get()});
  std::vector<std::string> twice = produced;
  twice.insert(twice.end(), produced.begin(), produced.end());
  CHECK(group.log().Data() == twice);
}

TEST_CASE("Worker: initial positions LATEST and AT_TIMESTAMP", "[group]") {
  TestGroup group(1);
  group.PutMany("old", 3);
  const int64_t split_millis = group.env().NowMillis() + 5000;
  group.env().Advance(absl::Seconds(10));
  SECTION("LATEST") {
    WorkerOptions options = group.Options("w");
    options.initial_position = ExtendedSequenceNumber::Latest();
    std::unique_ptr<Worker> worker = group.NewWorker(options);
    group.Round({worker.get()});
    std::vector<std::string> fresh = group.PutMany("new", 3);
    group.Round({worker.get()});
    CHECK(group.log().Data() == fresh);
  }
  SECTION("AT_TIMESTAMP") {
    std::vector<std::string> fresh = group.PutMany("new", 3);
    WorkerOptions options = group.Options("w");
    options.initial_position =
        ExtendedSequenceNumber::AtTimestamp(split_millis);
    std::unique_ptr<Worker> worker = group.NewWorker(options);
    group.Round({worker.get()});
    CHECK(group.log().Data() == fresh);
  }
  SECTION("TRIM_HORIZON") {
    std::unique_ptr<Worker> worker = group.NewWorker("w");
    group.Round({worker.get()});
    CHECK(group.log().Data().size() == 3);
  }
}

TEST_CASE(
    "Worker: restarted under the same id, takes its leases back at "
    "once and resumes after its checkpoints",
    "[group]") {
  TestGroup group(2);
  std::vector<std::string> produced = group.PutMany("a", 10);
  std::unique_ptr<Worker> first = group.NewWorker("w");
  group.Round({first.get()});
  first->Abort();
  std::vector<std::string> later = group.PutMany("b", 10);
  std::unique_ptr<Worker> again = group.NewWorker("w");
  BROOK_REQUIRE_OK(again->RunOnce());  // no failover wait
  CHECK(again->Stats().shards.size() == 2);
  produced.insert(produced.end(), later.begin(), later.end());
  std::vector<std::string> data = group.log().Data();
  std::sort(data.begin(), data.end());
  std::sort(produced.begin(), produced.end());
  CHECK(data == produced);
}

TEST_CASE(
    "Worker: on a durable stream and lease store, a second worker "
    "resumes after the first's graceful shutdown",
    "[group]") {
  testing::TempDir dir;
  ManualClockEnv env(1'000'000);
  StreamOptions stream_options;
  stream_options.shard_count = 1;
  stream_options.env = &env;
  absl::StatusOr<std::unique_ptr<Stream>> stream =
      Stream::Open(dir.path(), stream_options, OpenMode::kCreateIfMissing);
  BROOK_REQUIRE_OK(stream);
  testing::GroupLog log;
  auto run = [&](const std::string& id, const std::vector<std::string>& put) {
    DurableLeaseStoreOptions store_options;
    store_options.sync = false;
    absl::StatusOr<std::unique_ptr<LeaseStore>> store =
        OpenDurableLeaseStore(dir.path(), "app", store_options);
    BROOK_REQUIRE_OK(store);
    Producer producer(stream->get());
    for (const std::string& d : put)
      BROOK_REQUIRE_OK(producer.PutRecord("k", d));
    WorkerOptions options;
    options.worker_id = id;
    options.initial_position = ExtendedSequenceNumber::TrimHorizon();
    options.env = &env;
    absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
        stream->get(), store->get(),
        [&log, id](absl::string_view) {
          return std::make_unique<testing::LoggingProcessor>(&log, id);
        },
        options);
    BROOK_REQUIRE_OK(worker);
    BROOK_REQUIRE_OK((*worker)->RunOnce());
    BROOK_REQUIRE_OK((*worker)->Shutdown());
  };
  run("a", {"r0", "r1", "r2"});
  run("b", {"r3", "r4"});
  CHECK(log.Data() == std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"});
  for (const testing::Delivery& d : log.deliveries()) {
    CHECK(d.worker == (d.data < "r3" ? "a" : "b"));
  }
}

TEST_CASE(
    "Worker: a parent whose records all expired ends at once, its "
    "children follow",
    "[group]") {
  TestGroup group(1);
  group.PutMany("p", 5);
  BROOK_REQUIRE_OK(group.stream()->SplitShard(Shard(0), kMidKey));
  group.env().Advance(absl::Hours(25));  // past the 24 h retention
  group.stream()->TrimExpired();
  std::vector<std::string> children = group.PutMany("c", 10);
  std::unique_ptr<Worker> worker = group.NewWorker("w");
  for (int i = 0; i < 4; ++i) group.Round({worker.get()});
  CHECK(group.log().HasEvent("ended w " + Shard(0)));
  std::vector<std::string> data = group.log().Data();
  std::sort(data.begin(), data.end());
  std::sort(children.begin(), children.end());
  CHECK(data == children);
}

TEST_CASE(
    "Worker: a checkpoint inside an aggregate resumes at its record, "
    "after the checkpointed subsequence",
    "[group]") {
  TestGroup group(1);
  std::vector<SequenceNumber> seqs;
  for (int i = 0; i < 4; ++i) {
    seqs.push_back(group.Put("k", absl::StrCat("r", i)));
  }
  // As a KPL consumer would leave it: record r1 done up to subsequence 0.
  Lease lease;
  lease.lease_key = Shard(0);
  lease.hash_key_range = group.stream()->ListShards()[0].hash_key_range;
  lease.checkpoint = ExtendedSequenceNumber::At(seqs[1], 0);
  SECTION("subsequence 0 of an ordinary record: after it") {}
  SECTION("a later subsequence: at its record, skipping those done") {
    lease.checkpoint = ExtendedSequenceNumber::At(seqs[1], 3);
  }
  BROOK_REQUIRE_OK(group.store()->CreateLeaseIfNotExists(lease));
  std::unique_ptr<Worker> worker = group.NewWorker("w");
  group.Round({worker.get()});
  CHECK(group.log().Data() == std::vector<std::string>{"r2", "r3"});
  CHECK(group.log().HasEvent("init w " + Shard(0) + " " +
                             lease.checkpoint.DebugString()));
}

TEST_CASE("Worker: the leader removes a dead worker's entry", "[group]") {
  TestGroup group(1);
  std::unique_ptr<Worker> a = group.NewWorker("a");
  std::unique_ptr<Worker> b = group.NewWorker("b");
  group.Round({a.get(), b.get()});
  REQUIRE(a->Stats().is_leader);
  b->Abort();
  for (int i = 0; i < 12; ++i) group.Round({a.get()});
  CHECK(absl::IsNotFound(group.store()->GetLease("worker:b").status()));
  BROOK_CHECK_OK(group.store()->GetLease("worker:a"));
}

}  // namespace
}  // namespace brook
