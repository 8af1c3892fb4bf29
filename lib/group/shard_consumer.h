// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// One held shard lease of a consumer group worker (KCL's ShardConsumer): the
// record processor of the shard, the iterator it reads with, its checkpointer,
// and the worker's view of the lease (the counter every change of the lease
// is conditional on).
//
// Two sides use it:
//  - the coordinator (the worker's renewing thread, or `RunOnce()`): `Renew()`,
//    `Observe()`, `MarkLost()`, `RequestShutdown()`, `Abandon()`,
//    `Snapshot()`;
//  - the shard side (the shard's thread, or `RunOnce()`): `Step()` and
//    `Wait()`, which call the processor, from one thread at a time.
//
// The lease view is guarded by one mutex per lease (`mu_`), held across the
// store call of every renewal, checkpoint and release, so the counter the
// worker holds always matches its last successful change. Processor calls
// run without it (a checkpoint from inside a call takes it).
//
// Lock order: the worker's locks, then `ShardConsumer::mu_`; nothing is
// locked while `mu_` is held but the lease store's own lock and, waking the
// shard side, the `WaitInterrupt`'s lock and then the stream shard's.
//
// Thread safety: as above. Lifetime: the context's objects outlive it.

#ifndef BROOK_LIB_GROUP_SHARD_CONSUMER_H_
#define BROOK_LIB_GROUP_SHARD_CONSUMER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

#include "brook/consumer.h"
#include "brook/consumer_group.h"
#include "brook/lease.h"

#include "util/mutex.h"

namespace brook {
namespace internal {

// What every shard consumer of a worker shares. Not owned.
struct ShardConsumerContext {
  Stream* stream = nullptr;
  LeaseStore* store = nullptr;
  Env* env = nullptr;
  const WorkerOptions* options = nullptr;  // resolved (no zero defaults)
  const std::string* worker_id = nullptr;
  const RecordProcessorFactory* factory = nullptr;
  std::atomic<uint64_t>* records_delivered = nullptr;
  std::atomic<uint64_t>* processor_errors = nullptr;
  std::atomic<uint64_t>* leases_lost = nullptr;
};

class ShardConsumer {
 public:
  // How the consumer finished.
  enum class Outcome : int {
    kRunning = 0,
    kLost,            // LeaseLost() (or nothing, if never initialized)
    kReleased,        // ShutdownRequested(), then released or handed off
    kShardEnded,      // ShardEnded(), then released
    kProcessorError,  // ProcessRecords() failed (or no processor): released
    kAbandoned,       // Abort(): no call, nothing written
  };

  // `lease` is owned by this worker as stored (its counter is the one the
  // next change is conditional on). The processor is made and initialized
  // at the first `Step()` at or after `not_before_millis` on the env's clock.
  ShardConsumer(const ShardConsumerContext& context, Lease lease,
                int64_t not_before_millis);
  ShardConsumer(const ShardConsumer&) = delete;
  ShardConsumer& operator=(const ShardConsumer&) = delete;
  ~ShardConsumer();

  const std::string& shard_id() const { return shard_id_; }

  // Coordinator side.

  // Renews the lease (storing the throughput measured since the last
  // renewal). Learns of a lost lease or a handoff from a failed
  // compare-and-set. Returns the store's error other than those.
  absl::Status Renew();
  // Takes in a listed copy of the lease, if newer than the worker's view:
  // notices a lease moved away (handoff) or lost.
  void Observe(const Lease& listed);
  // The lease is gone (deleted, or taken by another worker).
  void MarkLost();
  // Graceful shutdown of the worker: ShutdownRequested(), then release.
  void RequestShutdown();
  // Abort: no further processor call, nothing written.
  void Abandon();

  bool finished() const { return finished_.load(std::memory_order_acquire); }
  Outcome outcome() const { return outcome_.load(std::memory_order_acquire); }
  // When it finished, on the env's clock (valid once `finished()`).
  int64_t finished_millis() const {
    return finished_millis_.load(std::memory_order_acquire);
  }
  WorkerStats::HeldShard Snapshot() const;
  // OK, or the error of the last read if it failed (retried at the next
  // step), or why the processor could not start (no iterator, or the factory
  // returned null; the consumer then finished), naming the shard.
  absl::Status read_status() const;

  // Shard side.

  // Does what is due, never blocking: initializes the processor, delivers
  // one batch, or ends it (lost, handoff, shutdown, shard end). Returns the
  // records delivered.
  int64_t Step();
  // Blocks until records may be there (`Consumer::WaitForRecords()`, up to
  // `idle`), or the backoff ends, or the coordinator signalled.
  void Wait(absl::Duration idle);

 private:
  class ShardCheckpointer;
  enum class Mode : int { kNone, kProcess, kShardEnd, kShutdown };
  enum class Claim : int { kOwned, kHandingOff, kLost };

  Claim Classify(const Lease& lease) const;
  // Whether the shard side must end (lost, shutdown, handoff, abort).
  bool PendingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Wakes the shard side: signals `cv_` and, if `PendingLocked()`, ends its
  // wait for records.
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Re-reads the lease after a failed compare-and-set.
  void RefreshLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Evicts the lease (owned) or ends the handoff (checkpoint owner).
  void Release();
  void Finish(Outcome outcome);
  bool Initialize();
  int64_t Read();

  // Checkpointer calls.
  absl::Status CheckpointLast();
  absl::Status CheckpointAt(SequenceNumber sequence_number,
                            uint64_t subsequence_number);
  // kInvalidArgument unless `target` names a (user) record of the shard as
  // this consumer delivers records.
  absl::Status CheckDelivered(const ExtendedSequenceNumber& target);
  absl::Status StoreCheckpoint(const ExtendedSequenceNumber& checkpoint);
  ExtendedSequenceNumber LastCheckpoint() const;

  const ShardConsumerContext context_;
  const std::string shard_id_;
  const int64_t not_before_millis_;
  Consumer consumer_;

  mutable Mutex mu_;
  Lease lease_ ABSL_GUARDED_BY(mu_);
  bool lost_ ABSL_GUARDED_BY(mu_) = false;
  bool shutdown_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool abandoned_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration behind_latest_ ABSL_GUARDED_BY(mu_);
  absl::Status read_status_ ABSL_GUARDED_BY(mu_);
  // Throughput measured since `window_start_millis_`.
  int64_t window_start_millis_ ABSL_GUARDED_BY(mu_) = 0;
  double window_records_ ABSL_GUARDED_BY(mu_) = 0;
  double window_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  CondVar cv_;  // signalled when the coordinator wants the shard side
  // Ends the shard side's `Consumer::WaitForRecords()` (taken after `mu_`).
  WaitInterrupt wait_interrupt_;

  // Shard side only.
  std::unique_ptr<RecordProcessor> processor_;
  std::unique_ptr<ShardCheckpointer> checkpointer_;
  bool initialized_ = false;
  bool read_failed_ = false;
  Mode mode_ = Mode::kNone;
  ShardIterator iterator_;
  ExtendedSequenceNumber initial_checkpoint_;
  // Until the first record after `initial_checkpoint_` was read: skip those
  // up to it (see `ResumesInside()` in the .cc).
  bool skip_to_checkpoint_ = false;
  bool delivered_any_ = false;
  ExtendedSequenceNumber first_delivered_;
  ExtendedSequenceNumber last_delivered_;

  std::atomic<int64_t> finished_millis_{0};
  std::atomic<bool> finished_{false};
  std::atomic<Outcome> outcome_{Outcome::kRunning};
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_GROUP_SHARD_CONSUMER_H_
