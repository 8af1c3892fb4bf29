// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The implementation of `Worker` (include/brook/consumer_group.h), split
// along its seams:
//   worker.cc       creation, options, Start/RunOnce/Shutdown/Abort, threads,
//                   stats;
//   coordinator.cc  joining, renewing the worker's entry and held leases,
//                   expiry by observation, leader election, taking the leases
//                   assigned to this worker and handing off those moved away;
//   leader.cc       the leader's round: shard sync (leases for new shards,
//                   child ids of ended parents, cleanup of finished parents)
//                   and assignment (lease_assignment.h);
//   shard_consumer  one held lease: processor, reads, checkpointer.
//
// Locks, in the order they are taken:
//   1. `round_mu_`: one coordinator round at a time (RunOnce(), the
//      coordinator thread, and the final steps of Shutdown()/Abort()); guards
//      the coordinator state below.
//   2. `mu_`: the held consumers, their threads, the mode and status.
//   3. `ShardConsumer::mu_` (one per held lease).
// Shard threads take only 2 and 3.

#ifndef BROOK_LIB_GROUP_WORKER_IMPL_H_
#define BROOK_LIB_GROUP_WORKER_IMPL_H_

#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include "brook/consumer_group.h"
#include "brook/lease.h"

#include "group/shard_consumer.h"
#include "util/mutex.h"

namespace brook {
namespace internal {

// Validates `options` and fills in the defaults of zero fields (and the
// worker id). Returns kInvalidArgument naming the field.
absl::StatusOr<WorkerOptions> ResolveWorkerOptions(WorkerOptions options);

// How often a worker that is not the leader lists the group after a watched
// entry expired, until the leader's own expiry round has surely passed:
// `lease_renewal_interval` / 10 (whole milliseconds, at least 1 ms). See
// `WorkerOptions::lease_renewal_interval`.
absl::Duration SettleDelay(const WorkerOptions& options);

class WorkerImpl : public Worker {
 public:
  WorkerImpl(Stream* stream, LeaseStore* store, RecordProcessorFactory factory,
             WorkerOptions options);
  ~WorkerImpl() override;

  absl::Status Start() override;
  absl::StatusOr<int64_t> RunOnce() override;
  absl::Status Shutdown(absl::Duration timeout) override;
  void Abort() override;
  const std::string& worker_id() const override { return options_.worker_id; }
  absl::Status status() const override;
  WorkerStats Stats() const override;

 private:
  enum class Mode : int { kIdle, kRunOnce, kThreads, kStopped };
  // When a key's counter was first seen at its current value (on our clock).
  struct Observation {
    int64_t counter = 0;
    int64_t since_millis = 0;
  };

  // worker.cc
  void CoordinatorLoop();
  void ShardLoop(std::shared_ptr<ShardConsumer> consumer);
  std::vector<std::shared_ptr<ShardConsumer>> Consumers() const;
  // Removes finished consumers (joining their threads), noting backoffs and
  // the first error of one (in `reaped_error_`).
  void ReapFinished() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  // The shards' errors: `reaped_error_` (then cleared), else the first read
  // error of a held shard; OK if none.
  absl::Status ShardErrors() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  // Removes the worker's entry and gives up leadership (graceful shutdown).
  absl::Status Leave() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  void StopThreads();
  // Joins every shard thread (each ends once its consumer finished).
  void JoinShardThreads();

  // coordinator.cc
  absl::Status Round() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status Join() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status RenewOwn() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status ListAndObserve() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status ElectLeader() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status ApplyListing() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  // Between renewals, after an expiry round of a worker that does not lead:
  // lists the group and takes what the leader assigned to this worker.
  absl::Status PollAssignments(int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  // Starts processing `lease` (owned by this worker as stored).
  absl::Status Hold(const Lease& lease)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  // Whether `lease_key`'s counter has not moved for the failover time.
  bool Expired(const Lease& lease) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  // Whether `worker_id` is this worker, or has an entry that has not expired.
  bool WorkerLive(const std::string& worker_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  std::vector<std::string> LiveWorkers() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);

  // leader.cc
  absl::Status LeaderRound() ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status SyncShards(bool* changed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status CleanUp(bool* changed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);
  absl::Status Assign(bool* changed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(round_mu_);

  Stream* const stream_;
  LeaseStore* const store_;
  const RecordProcessorFactory factory_;
  const WorkerOptions options_;
  Env* const env_;

  std::atomic<uint64_t> records_delivered_{0};
  std::atomic<uint64_t> leases_taken_{0};
  std::atomic<uint64_t> leases_lost_{0};
  std::atomic<uint64_t> processor_errors_{0};
  std::atomic<bool> is_leader_{false};
  ShardConsumerContext context_;

  Mutex round_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  bool joined_ ABSL_GUARDED_BY(round_mu_) = false;
  Lease entry_ ABSL_GUARDED_BY(round_mu_);         // this worker's entry
  Lease leader_entry_ ABSL_GUARDED_BY(round_mu_);  // valid while leader
  int64_t next_renew_millis_ ABSL_GUARDED_BY(round_mu_) = 0;
  int64_t next_assign_millis_ ABSL_GUARDED_BY(round_mu_) = 0;
  // The earliest moment an entry of another worker watched can expire
  // (observed + failover time); INT64_MAX if none.
  int64_t next_expiry_millis_ ABSL_GUARDED_BY(round_mu_) =
      std::numeric_limits<int64_t>::max();
  // After an expiry round as a non-leader: the next listing that looks for
  // leases the leader assigned to this worker, and the last such moment
  // (INT64_MAX / 0 when none is due).
  int64_t next_poll_millis_ ABSL_GUARDED_BY(round_mu_) =
      std::numeric_limits<int64_t>::max();
  int64_t poll_until_millis_ ABSL_GUARDED_BY(round_mu_) = 0;
  std::vector<Lease> listing_ ABSL_GUARDED_BY(round_mu_);  // every entry
  std::map<std::string, Observation> observed_ ABSL_GUARDED_BY(round_mu_);
  // Leases moved to this worker whose old owner still holds the checkpoint:
  // when this worker first saw that.
  std::map<std::string, int64_t> incoming_since_ ABSL_GUARDED_BY(round_mu_);
  // Shards whose processor failed: not processed here before then.
  std::map<std::string, int64_t> backoff_until_ ABSL_GUARDED_BY(round_mu_);
  absl::Status reaped_error_ ABSL_GUARDED_BY(round_mu_);

  mutable Mutex mu_;
  CondVar cv_;  // wakes the coordinator thread; signalled by finishing shards
  Mode mode_ ABSL_GUARDED_BY(mu_) = Mode::kIdle;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status shutdown_status_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::shared_ptr<ShardConsumer>> consumers_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::thread> shard_threads_ ABSL_GUARDED_BY(mu_);
  std::thread coordinator_;  // started and joined by the caller's thread
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_GROUP_WORKER_IMPL_H_
