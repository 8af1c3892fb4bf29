// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Consumer groups, as the Kinesis Client Library (KCL) runs them: a `Worker`
// joins a group (a `LeaseStore`, see lease.h) on a stream, holds some of the
// group's shard leases, and runs one `RecordProcessor` per held shard, which
// the application writes. Workers may be threads of one process (a memory
// lease store, or a durable one) or processes on one machine sharing a durable
// stream directory (each process opens the stream, the readers with
// `OpenMode::kReadOnly`, which follows the writer, and opens the group with
// `OpenDurableLeaseStore()`).
//
// What a group guarantees (KCL's semantics; DESIGN.md §2 and §3):
//  - Each shard is processed by at most one worker at a time: every lease
//    change is a compare-and-set on its counter.
//  - Lineage: a child shard is given out only after each of its parents was
//    checkpointed at SHARD_END (or its records have all expired), so records
//    of one partition key are processed in order across splits and merges.
//    Children start at TRIM_HORIZON whatever `initial_position` says.
//  - At-least-once: after a worker dies (stops renewing for `failover_time`),
//    another resumes each of its shards after the last checkpoint; only
//    records after that checkpoint may be delivered twice. A graceful handoff
//    (a lease moved by balancing, or a graceful shutdown) replays nothing: the
//    old processor checkpoints in `ShutdownRequested()` and the new owner
//    resumes just after that checkpoint.
//  - Leadership: one live worker at a time (the holder of the group's leader
//    entry) creates leases for new shards, cleans up finished parents, and
//    assigns leases by `assignment`; if it dies another takes over after
//    `failover_time`.
//
// The group's store holds, besides one lease per shard (key = shard id), one
// entry per live worker (key "worker:<worker id>") and the leader entry (key
// "coordinator:leader"); `IsShardLeaseKey()` tells them apart.
//
// Example (a worker counting records, on its own threads):
//   class Counter : public brook::RecordProcessor {
//     void Initialize(const brook::InitializationInput&) override {}
//     absl::Status ProcessRecords(const brook::ProcessRecordsInput& in)
//         override {
//       count_ += in.records.size();
//       return in.checkpointer->Checkpoint();
//     }
//     void LeaseLost() override {}
//     void ShardEnded(brook::Checkpointer& c) override { c.Checkpoint(); }
//     void ShutdownRequested(brook::Checkpointer& c) override {
//       c.Checkpoint();
//     }
//     size_t count_ = 0;
//   };
//   auto store = brook::OpenDurableLeaseStore(dir, "my-app", {});
//   brook::WorkerOptions options;
//   options.initial_position = brook::ExtendedSequenceNumber::TrimHorizon();
//   auto worker = brook::Worker::Create(
//       stream.get(), store->get(),
//       [](absl::string_view) { return std::make_unique<Counter>(); },
//       options);
//   (*worker)->Start();
//   ...
//   (*worker)->Shutdown();  // graceful: checkpoints, releases leases

#ifndef BROOK_CONSUMER_GROUP_H_
#define BROOK_CONSUMER_GROUP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

#include "brook/export.h"
#include "brook/lease.h"
#include "brook/record.h"
#include "brook/shard.h"

namespace brook {

class Env;
class Stream;

// Records where processing of one shard has got to (KCL's
// RecordProcessorCheckpointer). Given to a processor with each call that may
// checkpoint; valid only during that call.
//
// Errors common to every method:
//   kFailedPrecondition  the worker no longer holds the lease (it was lost,
//                        or moved and the handoff timed out): stop; another
//                        worker resumes after the last checkpoint that
//                        succeeded (KCL's ShutdownException);
//   kInvalidArgument     the position was not delivered to this processor,
//                        or is before the shard's checkpoint (checkpoints
//                        only move forward; equal is accepted), naming both;
//   other codes          the lease store's error (e.g. an I/O error of the
//                        durable store, naming the file); the checkpoint may
//                        or may not have been stored; retrying is safe.
// Thread safety: call only from the processor call it was given to.
class BROOK_EXPORT Checkpointer {
 public:
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;
  virtual ~Checkpointer();

  // Checkpoints at the last record delivered to the processor (every
  // subsequence of it), or with nothing delivered yet does nothing and
  // returns OK. In `ShardEnded()`, checkpoints SHARD_END instead: the shard's
  // children can be given out only after that.
  virtual absl::Status Checkpoint() = 0;

  // Checkpoints at the record `sequence_number` / `subsequence_number`
  // (processing resumes after it): it must be a record delivered to this
  // processor since it was initialized, or the checkpoint it was initialized
  // at (kInvalidArgument otherwise, e.g. a number after the last delivered
  // record, or one of another shard). With `WorkerOptions::deaggregate`, a
  // user record of a KPL aggregate is its aggregate's sequence number plus
  // its index there as the subsequence number, and checkpointing a
  // subsequence the processor was not given (e.g. past the aggregate's last
  // user record) is also kInvalidArgument; after a checkpoint inside an
  // aggregate, processing resumes at the aggregate's next user record.
  virtual absl::Status Checkpoint(SequenceNumber sequence_number,
                                  uint64_t subsequence_number = 0) = 0;

  // The shard's checkpoint as last stored (by this processor or before it).
  virtual ExtendedSequenceNumber last_checkpoint() const = 0;

 protected:
  Checkpointer() = default;
};

// Where a processor starts (KCL's InitializationInput).
struct InitializationInput {
  std::string shard_id;
  // The shard's checkpoint: processing resumes after it (at it for an
  // initial position: TRIM_HORIZON, LATEST, AT_TIMESTAMP).
  ExtendedSequenceNumber checkpoint;
  // The lease's pending checkpoint, if one was left set (KCL's two-phase
  // checkpoint); brook's checkpointer never leaves one.
  std::optional<ExtendedSequenceNumber> pending_checkpoint;
};

// One batch of records (KCL's ProcessRecordsInput).
struct ProcessRecordsInput {
  // In sequence order; views valid only during the call (copy what must
  // outlive it). Never empty.
  absl::Span<const Record> records;
  // How far the processor is behind the shard's newest record after this
  // batch (Kinesis's MillisBehindLatest), by the stream's clock.
  absl::Duration behind_latest;
  // Valid during the call.
  Checkpointer* checkpointer = nullptr;
};

// The application's code for one shard (KCL's ShardRecordProcessor). A worker
// makes one per shard it takes (with the group's `RecordProcessorFactory`) and
// calls it, from one thread at a time, in this order:
//   Initialize, then ProcessRecords any number of times, then exactly one of
//   LeaseLost, ShardEnded or ShutdownRequested, then destroys it.
// A processor must not throw; it should return quickly enough for the worker
// to renew its leases (the calls run on the worker's shard threads, never on
// the thread that renews).
class BROOK_EXPORT RecordProcessor {
 public:
  virtual ~RecordProcessor();

  virtual void Initialize(const InitializationInput& input) = 0;

  // Processes a batch. Returning an error gives the shard up: the processor
  // gets no further call but its destruction, the worker releases the lease
  // without checkpointing, and the records after the last checkpoint are
  // delivered again (to this worker or another) after
  // `WorkerOptions::processor_error_backoff`. The error is counted in
  // `WorkerStats::processor_errors`.
  virtual absl::Status ProcessRecords(const ProcessRecordsInput& input) = 0;

  // The lease was lost (taken by another worker after this one failed to
  // renew it, or moved and the handoff timed out): do not checkpoint; another
  // worker resumes after the last checkpoint.
  virtual void LeaseLost() = 0;

  // Every record of the shard was delivered (the shard was closed by a
  // reshard). The processor must call `checkpointer.Checkpoint()`, which
  // stores SHARD_END; if it does not (or that fails), the lease is released
  // as it is, the shard is processed again from its last checkpoint, and its
  // children wait.
  virtual void ShardEnded(Checkpointer& checkpointer) = 0;

  // The worker is shutting down gracefully or the lease is moving to another
  // worker: the last chance to checkpoint (KCL's shutdownRequested). The new
  // owner resumes after the checkpoint as it stands when this returns.
  virtual void ShutdownRequested(Checkpointer& checkpointer) = 0;
};

// Makes the processor of shard `shard_id`. Called from the worker's threads;
// must be thread-safe. Returning null is a processor error (see
// `RecordProcessor::ProcessRecords()`: the shard is released and retried
// after `processor_error_backoff`), reported as kInvalidArgument naming the
// shard by the next `RunOnce()` or `Worker::status()`. An empty factory is
// refused by `Worker::Create()`.
using RecordProcessorFactory =
    std::function<std::unique_ptr<RecordProcessor>(absl::string_view shard_id)>;

// How the leader spreads leases over the live workers.
enum class AssignmentStrategy : int {
  // KCL 3.x: by measured load (records and bytes per second of each lease;
  // every lease counts the same until measured): leases move from workers
  // above mean * (1 + `rebalance_threshold`) toward those below the mean, at
  // most `dampening` of the excess per round, and only while that helps, so
  // moves stop once balanced.
  kLoadAware = 0,
  // Flink's UniformShardAssigner: the shard with hash key range R goes to
  // worker floor(mid(R) * n / 2^128) of the n live workers in id order, so
  // keys spread evenly while open and closed shards coexist. Moves every
  // lease whose place changed when a worker joins or leaves.
  kUniform = 1,
};

// Options of a `Worker`. Defaults are KCL's where KCL has one (named in each
// field). Durations must be positive whole milliseconds; `Worker::Create()`
// returns kInvalidArgument naming the field and value otherwise.
struct WorkerOptions {
  // This worker's id in the group: 1 to 200 characters of [A-Za-z0-9_.-], not
  // starting with '.', unique among the group's live workers. Default: empty,
  // meaning "<hostname>-<pid>-<8 random hex digits>" with other characters of
  // the host name replaced by '_'.
  std::string worker_id;
  // failoverTimeMillis: a lease (or a worker's or the leader's entry) whose
  // counter has not moved for this long, as seen by the clock of the worker
  // watching it, belongs to a dead worker and may be taken. Default: 10 s.
  absl::Duration failover_time = absl::Seconds(10);
  // How often the worker renews its leases and its own entry, and looks for
  // leases assigned to it. Must be less than `failover_time` / 2. A worker
  // also runs a round at the moment an entry it watches can first have
  // expired; the leader then gives a dead worker's leases out, and a worker
  // that does not lead lists the group every settle delay (this interval /
  // 10, whole milliseconds, at least 1 ms) for one interval and one settle
  // delay after that moment, to take what the leader gives it as soon as it
  // does. So with any number of workers a dead worker's leases are taken
  // within `failover_time` + one interval + one settle delay of the death
  // (by the leader itself: `failover_time` + one interval). These listings
  // happen only after an expiry (a worker that died or stopped renewing).
  // Default: `failover_time` / 3 (KCL's renewer runs at about that rate).
  // Zero means that default.
  absl::Duration lease_renewal_interval = absl::ZeroDuration();
  // How often the leader syncs the group's leases with the stream's shards
  // (new shards get leases, finished parents are deleted) and assigns leases.
  // Default: `lease_renewal_interval` (KCL 3.x runs lease assignment every
  // failover interval; brook's rounds are cheap). Zero means that default.
  absl::Duration assignment_interval = absl::ZeroDuration();
  // maxLeasesForWorker: most leases this worker holds; 0 for no limit.
  // Workers of a group may differ: each publishes its limit in its entry and
  // the leader gives no worker more than its own. Default: 0.
  int max_leases_per_worker = 0;
  // initialPositionInStream: where a shard with no checkpoint starts:
  // TRIM_HORIZON, LATEST or AT_TIMESTAMP (any other value is
  // kInvalidArgument). Applies only to the shards of the stream when the
  // group first sees it; children of a reshard start at TRIM_HORIZON.
  // Default: LATEST.
  ExtendedSequenceNumber initial_position = ExtendedSequenceNumber::Latest();
  AssignmentStrategy assignment = AssignmentStrategy::kLoadAware;
  // reBalanceThresholdPercentage / 100 (kLoadAware). 0 or more.
  // Default: 0.10.
  double rebalance_threshold = 0.10;
  // dampeningPercentage / 100 (kLoadAware). (0, 1]. Default: 0.60.
  double dampening = 0.60;
  // gracefulLeaseHandoffTimeoutMillis: how long a lease moved from a live
  // worker waits for that worker's processor to checkpoint and let go before
  // the new owner takes it anyway (the old processor then gets
  // `LeaseLost()`). Default: 30 s.
  absl::Duration graceful_handoff_timeout = absl::Seconds(30);
  // maxRecords: most records one `ProcessRecords()` call gets, 1 to 10000.
  // Default: 10000.
  int max_records = 10000;
  // idleTimeBetweenReadsInMillis: the longest a shard thread waits for new
  // records (on the stream's clock) before it looks at its lease again; new
  // records, and a lost or moved lease, `Shutdown()` or `Abort()`, wake it at
  // once. Default: 1 s.
  absl::Duration idle_time_between_reads = absl::Seconds(1);
  // Delivers only durable records (`GetRecordsOptions::durable_only`), so
  // that no checkpoint names a record a power loss could take back. Not for
  // memory streams: `Worker::Create()` returns kFailedPrecondition naming
  // this option. Default: false.
  bool durable_only = false;
  // How long a shard whose processor returned an error waits before this
  // worker may take it again. Default: 1 s.
  absl::Duration processor_error_backoff = absl::Seconds(1);
  // The clock for every timeout above, and for waits. Not owned; must outlive
  // the worker. Default: null, meaning `Env::Default()`; tests pass a
  // `ManualClockEnv` and move it by hand.
  Env* env = nullptr;
  // Expands KPL aggregated records (aggregation.h) into their user records
  // before `ProcessRecords()`, as KCL does (`GetRecordsOptions::deaggregate`):
  // each user record comes with its own partition key, hash key and data, the
  // aggregate's sequence number and its index in the aggregate as
  // `Record::subsequence_number`; records that are not aggregated come as
  // stored (subsequence 0); an aggregate that cannot be decoded comes whole,
  // with `Record::damaged_aggregate` set. A batch holds whole aggregates, so
  // it may exceed `max_records`. A checkpoint at (sequence, subsequence)
  // resumes at the next user record, also inside an aggregate (KCL's
  // ExtendedSequenceNumber), after a failover, handoff or restart; a
  // checkpoint at a subsequence not delivered is kInvalidArgument (see
  // `Checkpointer`). The workers of a group should agree on it. Off, the
  // per-record cost is unchanged. Default: false (records as stored).
  bool deaggregate = false;
};

// A snapshot of what a worker holds and has done.
struct WorkerStats {
  struct HeldShard {
    std::string shard_id;
    ExtendedSequenceNumber checkpoint;
    int64_t lease_counter = 0;
    absl::Duration behind_latest;
  };
  std::string worker_id;
  bool is_leader = false;
  std::vector<HeldShard> shards;  // in shard id order
  uint64_t records_delivered = 0;
  uint64_t leases_taken = 0;
  uint64_t leases_lost = 0;
  uint64_t processor_errors = 0;
};

// A member of a consumer group (KCL's Scheduler).
//
// Two ways to run it:
//  - `Start()`: the worker's own threads, one that renews leases, keeps the
//    worker's entry alive and (as leader) assigns, and one per held shard that
//    reads and calls its processor;
//  - `RunOnce()`: everything happens on the caller's thread, one round per
//    call, for tests (with a `ManualClockEnv`) and single-threaded
//    applications.
// Do not mix them on one worker.
//
// Thread safety: `Shutdown()`, `Abort()` and `Stats()` may be called from any
// thread, also during `RunOnce()` on another; the other methods from one
// thread at a time. Lifetime: the stream, the lease store and the env must
// outlive the worker; destroying a running worker is `Shutdown()`.
class BROOK_EXPORT Worker {
 public:
  // Makes a worker of the group whose leases `leases` holds, reading `stream`,
  // with processors from `factory`. Touches not the store, nor the stream but
  // with `durable_only` (one read, to check it has durable records). Returns
  // kInvalidArgument naming the option for a bad option, or for a null
  // stream, store or factory (an empty std::function); kFailedPrecondition
  // naming `durable_only` if it is set for a memory stream.
  //
  // Joining (in `Start()` or the first `RunOnce()`) writes the worker's entry;
  // an entry already there with the same id is taken over (a worker
  // restarted under its old id picks up where it left, and takes back its
  // leases without waiting for them to expire). Two live workers must not
  // share an id.
  static absl::StatusOr<std::unique_ptr<Worker>> Create(
      Stream* stream, LeaseStore* leases, RecordProcessorFactory factory,
      const WorkerOptions& options);

  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  virtual ~Worker();

  // Joins the group and runs on the worker's threads until `Shutdown()` or
  // `Abort()`. Returns kFailedPrecondition if started twice or after
  // `RunOnce()`, or the lease store's error joining (writing the worker's
  // entry). Errors after that (a lease store failing) are retried every
  // `lease_renewal_interval` and reported by `status()`.
  virtual absl::Status Start() = 0;

  // One round on the caller's thread: joins on the first call; renews the
  // worker's entry and leases if `lease_renewal_interval` has passed on the
  // env's clock since the last renewal (or an entry it watches can first have
  // expired); takes the leases assigned to it and hands off those moved away;
  // as leader, if `assignment_interval` has passed (or an entry expired),
  // syncs shards and assigns; then reads each held shard once (never
  // blocking) and calls its processor. Returns the number of records
  // delivered; or the lease store's error (the round stops there; call
  // again); or, after the reads, the error of a shard's read (e.g. kDataLoss
  // from `GetRecords()`, naming the shard; retried at the next call; other
  // shards' records may have been delivered) or of a processor that could not
  // start (see `RecordProcessorFactory`); or kFailedPrecondition after
  // `Shutdown()`/`Abort()` or with `Start()`. `status()` says the same.
  virtual absl::StatusOr<int64_t> RunOnce() = 0;

  // Graceful shutdown (KCL's startGracefulShutdown): each processor gets
  // `ShutdownRequested()` and may checkpoint, its lease is released (no
  // owner), and the worker's entry is removed, so other workers take the
  // shards at their next assignment with no replay and no wait for the
  // failover time. Waits for that, at most `timeout` on the env's clock;
  // returns kDeadlineExceeded if it took longer (the rest is then abandoned
  // as by `Abort()`), or the lease store's error. Idempotent. With `Start()`,
  // a shard thread waiting for records is woken at once, whatever the
  // stream's clock does (a read-only follower stream notices within 50 ms of
  // real time; a custom `Stream` that does not override
  // `DoWaitForRecordsInterruptibly()` within `idle_time_between_reads`).
  virtual absl::Status Shutdown(
      absl::Duration timeout = absl::InfiniteDuration()) = 0;

  // Abrupt stop, as if the process died: threads stop, processors get no
  // call (they are destroyed), nothing is written to the store. Leases stay
  // with this worker until others see them expire after `failover_time`.
  // Returns once the threads have stopped (a waiting shard thread is woken at
  // once; see `Shutdown()`).
  virtual void Abort() = 0;

  virtual const std::string& worker_id() const = 0;
  // OK, or the error of the last round (with `Start()` the background
  // rounds, with `RunOnce()` the last call): the lease store's, or a shard's
  // read error, naming the shard (as `RunOnce()`). Cleared by a good round.
  virtual absl::Status status() const = 0;
  virtual WorkerStats Stats() const = 0;

 protected:
  Worker() = default;
};

// Whether `lease_key` names a shard lease of a group, as opposed to a
// worker's entry or the leader's (see the top of this file).
BROOK_EXPORT bool IsShardLeaseKey(absl::string_view lease_key);

}  // namespace brook

#endif  // BROOK_CONSUMER_GROUP_H_
