// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Helpers for consumer group worker tests: a processor that records what it
// was given and told (a `GroupLog`), and a group on a memory stream whose
// clock the test moves by hand.

#ifndef BROOK_TEST_GROUP_WORKER_TESTING_H_
#define BROOK_TEST_GROUP_WORKER_TESTING_H_

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include <catch2/catch.hpp>

#include "brook/consumer_group.h"
#include "brook/env.h"
#include "brook/lease.h"
#include "brook/producer.h"
#include "brook/stream.h"

#include "group/group_lease_table.h"
#include "testing/status_testing.h"

namespace brook {
namespace testing {

// One record as a processor got it.
struct Delivery {
  std::string worker;
  std::string shard;
  std::string data;
  SequenceNumber sequence_number;
  uint64_t subsequence_number = 0;
  bool damaged_aggregate = false;
};

// What processors do, set by the test (read under the log's lock).
struct ProcessorBehaviour {
  bool checkpoint_each_batch = true;
  bool checkpoint_on_shutdown = true;
  bool checkpoint_at_shard_end = true;
  // Shards whose processor does not checkpoint in ShardEnded().
  std::set<std::string> no_shard_end_checkpoint;
  // Called with each batch before the above; its error is returned.
  std::function<absl::Status(const std::string& shard,
                             const ProcessRecordsInput& input)>
      on_batch;
};

class GroupLog {
 public:
  void Add(const Delivery& delivery) {
    std::lock_guard<std::mutex> lock(mu_);
    deliveries_.push_back(delivery);
    cv_.notify_all();
  }
  void Event(const std::string& event) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }
  std::vector<Delivery> deliveries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deliveries_;
  }
  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  bool HasEvent(const std::string& event) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& e : events_) {
      if (e == event) return true;
    }
    return false;
  }
  // The data delivered, in delivery order.
  std::vector<std::string> Data() const {
    std::vector<std::string> data;
    for (const Delivery& d : deliveries()) data.push_back(d.data);
    return data;
  }
  // Waits (for threads of a started worker) until `n` records were
  // delivered; false after a minute of real time (a hang, not a timing).
  bool WaitForDeliveries(size_t n) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::minutes(1),
                        [&] { return deliveries_.size() >= n; });
  }
  bool WaitForEvent(const std::string& event) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::minutes(1), [&] {
      for (const std::string& e : events_) {
        if (e == event) return true;
      }
      return false;
    });
  }
  ProcessorBehaviour& behaviour() { return behaviour_; }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Delivery> deliveries_;
  std::vector<std::string> events_;
  ProcessorBehaviour behaviour_;
};

// Logs "init <worker> <shard> <checkpoint>", "lost <worker> <shard>",
// "ended <worker> <shard>", "shutdown <worker> <shard>", and the status of
// the checkpoints it makes in the last two ("ended-checkpoint <worker>
// <shard> OK", "shutdown-checkpoint ..."). Makes no Catch2 assertion (it may
// run on a worker's shard threads).
class LoggingProcessor : public RecordProcessor {
 public:
  LoggingProcessor(GroupLog* log, std::string worker)
      : log_(log), worker_(std::move(worker)) {}
  void Initialize(const InitializationInput& input) override {
    shard_ = input.shard_id;
    log_->Event(absl::StrCat("init ", worker_, " ", shard_, " ",
                             input.checkpoint.DebugString()));
  }
  absl::Status ProcessRecords(const ProcessRecordsInput& input) override {
    for (const Record& record : input.records) {
      log_->Add(Delivery{worker_, shard_, std::string(record.data),
                         record.sequence_number, record.subsequence_number,
                         record.damaged_aggregate});
    }
    const ProcessorBehaviour& b = log_->behaviour();
    if (b.on_batch) {
      absl::Status status = b.on_batch(shard_, input);
      if (!status.ok()) return status;
    }
    if (b.checkpoint_each_batch) return input.checkpointer->Checkpoint();
    return absl::OkStatus();
  }
  void LeaseLost() override {
    log_->Event(absl::StrCat("lost ", worker_, " ", shard_));
  }
  void ShardEnded(Checkpointer& checkpointer) override {
    log_->Event(absl::StrCat("ended ", worker_, " ", shard_));
    if (log_->behaviour().checkpoint_at_shard_end &&
        log_->behaviour().no_shard_end_checkpoint.count(shard_) == 0) {
      // Logged, not asserted: Catch2 is not thread-safe (shard threads).
      log_->Event(absl::StrCat("ended-checkpoint ", worker_, " ", shard_, " ",
                               checkpointer.Checkpoint().ToString()));
    }
  }
  void ShutdownRequested(Checkpointer& checkpointer) override {
    log_->Event(absl::StrCat("shutdown ", worker_, " ", shard_));
    if (log_->behaviour().checkpoint_on_shutdown) {
      last_shutdown_checkpoint_ = checkpointer.Checkpoint();
      log_->Event(absl::StrCat("shutdown-checkpoint ", worker_, " ", shard_,
                               " ", last_shutdown_checkpoint_.ToString()));
    }
  }

 private:
  GroupLog* const log_;
  const std::string worker_;
  std::string shard_;
  absl::Status last_shutdown_checkpoint_;
};

inline std::string Shard(int n) {
  return absl::StrCat("shardId-",
                      std::string(12 - std::to_string(n).size(), '0'), n);
}

#ifdef BROOK_GROUP_TEST_DYNAMODB
inline namespace dynamodb_leases {
#else
inline namespace memory_leases {
#endif

// A group on a memory stream of `shards` shards, with a manual clock, its
// leases in a `GroupLeaseTable` (group_lease_table.h: a memory store, or
// DynamoDB on dynalite with a store per worker). A test compiled for both
// starts with `BROOK_GROUP_LEASE_TABLE_OR_SKIP()`.
class TestGroup {
 public:
  explicit TestGroup(int shards, Env* stream_env = nullptr) : env_(1'000'000) {
    StreamOptions options;
    options.shard_count = shards;
    options.env = stream_env == nullptr ? &env_ : stream_env;
    absl::StatusOr<std::unique_ptr<Stream>> stream = Stream::Create(options);
    BROOK_REQUIRE_OK(stream);
    stream_ = *std::move(stream);
  }

  ManualClockEnv& env() { return env_; }
  Stream* stream() { return stream_.get(); }
  // The test's own store of the group's lease table.
  LeaseStore* store() { return table_.store(); }
  GroupLog& log() { return log_; }

  // Failover 10 s, renewal 1 s, TRIM_HORIZON, the manual clock.
  WorkerOptions Options(const std::string& id) {
    WorkerOptions options;
    options.worker_id = id;
    options.failover_time = absl::Seconds(10);
    options.lease_renewal_interval = absl::Seconds(1);
    options.initial_position = ExtendedSequenceNumber::TrimHorizon();
    options.env = &env_;
    return options;
  }

  // A worker on `store`, or (null) on a store of its own of the group's
  // lease table (`GroupLeaseTable::WorkerStore()`).
  std::unique_ptr<Worker> NewWorker(const WorkerOptions& options,
                                    LeaseStore* store = nullptr) {
    GroupLog* log = &log_;
    const std::string id = options.worker_id;
    absl::StatusOr<std::unique_ptr<Worker>> worker = Worker::Create(
        stream_.get(), store == nullptr ? table_.WorkerStore() : store,
        [log, id](absl::string_view) {
          return std::make_unique<LoggingProcessor>(log, id);
        },
        options);
    BROOK_REQUIRE_OK(worker);
    return *std::move(worker);
  }
  std::unique_ptr<Worker> NewWorker(const std::string& id) {
    return NewWorker(Options(id));
  }

  // Puts `data` with partition key `key`.
  SequenceNumber Put(const std::string& key, const std::string& data) {
    Producer producer(stream_.get());
    absl::StatusOr<PutRecordResult> put = producer.PutRecord(key, data);
    BROOK_REQUIRE_OK(put);
    return put->sequence_number;
  }
  // Puts "<prefix><i>" for i in [0, n), keys "k<i>".
  std::vector<std::string> PutMany(const std::string& prefix, int n) {
    std::vector<std::string> data;
    for (int i = 0; i < n; ++i) {
      data.push_back(absl::StrCat(prefix, i));
      Put(absl::StrCat("k", i), data.back());
    }
    return data;
  }

  // One RunOnce() of each worker, then the clock moves by `advance`.
  void Round(const std::vector<Worker*>& workers,
             absl::Duration advance = absl::Seconds(1)) {
    for (Worker* worker : workers) BROOK_REQUIRE_OK(worker->RunOnce());
    env_.Advance(advance);
  }

  Lease GetLease(const std::string& key) {
    absl::StatusOr<Lease> lease = store()->GetLease(key);
    BROOK_REQUIRE_OK(lease);
    return *lease;
  }

 private:
  ManualClockEnv env_;
  std::unique_ptr<Stream> stream_;
  GroupLeaseTable table_;
  GroupLog log_;
};

}  // namespace dynamodb_leases / memory_leases

// Damages the first frame of every non-empty segment file under `dir` (a
// durable stream's directory) in place: its frame_bytes becomes 0xFFFFFFFF,
// which no frame check accepts, so a read of the first records of each shard
// returns kDataLoss. Segment files are mapped MAP_SHARED, so an open stream
// sees it too. Returns how many files it damaged.
inline int DamageFirstFrames(const std::string& dir) {
  int damaged = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".seg") {
      continue;
    }
    std::fstream file(entry.path(),
                      std::ios::in | std::ios::out | std::ios::binary);
    char head[4] = {};
    if (!file.read(head, sizeof(head)) ||
        (head[0] == 0 && head[1] == 0 && head[2] == 0 && head[3] == 0)) {
      continue;
    }
    const char bad[4] = {'\xff', '\xff', '\xff', '\xff'};
    file.seekp(0);
    file.write(bad, sizeof(bad));
    file.flush();
    if (file) ++damaged;
  }
  return damaged;
}

}  // namespace testing
}  // namespace brook

#endif  // BROOK_TEST_GROUP_WORKER_TESTING_H_
