// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The inside of `AsyncProducer` (include/brook/async_producer.h).
//
// Callers of `Put()` check the record, reserve room in the bounded buffer
// with atomic counters, copy the record (and its callback) into their own
// thread's `Intake` (its chunk of bytes and arrays of `RoutedRecord` and
// `RecordMeta`), and
// hash its partition keys 32 at a time (MD5, several lanes at once) and route
// them into the intake's per-shard slots (by the shard map the sending thread
// published last, `route_ranges_`), under that intake's lock, which only the
// putting thread and the sending thread take: no lock shared by the putters
// in the common case. The one sending thread routes each intake's short
// unrouted tail, takes each slot whole into its shard's queue (a slot routed
// by an older map is routed again, record by record), appends full or
// lingered batches, retries and completes records (callbacks run then, on
// that thread, with no lock held); it takes `mu_` once per batch to count
// the completions, free chunks and wake (after its unlock) `Put()` callers
// waiting for room and `Flush()`/`Close()` callers waiting for completions.
//
// Ownership: the shard map, the queues and the parked records (those no open
// shard owns, shard_map.cc) belong to the sending thread alone (no lock); an
// intake's records under its `mu`; everything under
// ABSL_GUARDED_BY(mu_) is shared. Lock order: an intake's `mu` before `mu_`
// (a put takes `mu_` for a new chunk while it holds its intake's); the
// sending thread never holds both. No callback, stream call or Env wait other
// than the condition-variable waits on `mu_` runs while a lock is held.
//
// Waking the sending thread: before it sleeps it publishes when it wants to
// be woken (`sender_waiting_`, `wake_records_`, `wake_deadline_`), then looks
// at every intake once more; a put that finds it waiting and its wish met
// clears `sender_waiting_`, takes and releases `mu_` (the sending thread
// checks the flag and waits under it) and then signals it, so that the woken
// thread does not block on `mu_` at once. Flush() asks it to drain every intake
// (`drain_requested_`) and waits until it has (`drained_`), so every record
// put before Flush() was called is counted in its epoch before Flush() looks.
// A put that finds the buffer full raises `room_wanted_` and wakes it the
// same way; it then sends as for Flush() (no linger) once.

#ifndef BROOK_LIB_PRODUCE_ASYNC_PRODUCER_IMPL_H_
#define BROOK_LIB_PRODUCE_ASYNC_PRODUCER_IMPL_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

#include "brook/aggregation.h"
#include "brook/async_producer.h"
#include "brook/env.h"
#include "brook/shard.h"
#include "brook/stream.h"

#include "produce/record_buffer.h"
#include "util/mutex.h"

namespace brook {

class AsyncProducer::Impl {
  using PendingRecord = internal::PendingRecord;
  using ProducerChunk = internal::ProducerChunk;
  using RecordMeta = internal::RecordMeta;

 public:
  Impl(Stream* stream, const AsyncProducerOptions& options, Env* env,
       int64_t max_record_bytes);
  ~Impl();

  // Reads the shard map and starts the sending thread.
  absl::Status Start();

  // `explicit_hash_key` by reference: the public Put() gets it on the stack
  // (the seventh and eighth words of arguments) and passes its address on,
  // instead of reloading it whole (a stalled store forward).
  absl::Status Put(absl::string_view partition_key, absl::string_view data,
                   const absl::string_view& explicit_hash_key, Callback&& done);
  absl::Status Flush();
  absl::Status Close(absl::Duration timeout);
  AsyncProducerStats stats() const;

 private:
  // Completions counted per Flush() generation.
  struct EpochCount {
    int64_t pending = 0;
    int64_t failed = 0;
  };
  // What the sending thread learned under mu_ when it took the intake.
  struct Wake {
    bool flushing = false;  // ignore linger
    bool closing = false;
    bool cancel = false;  // Close() timed out: cancel everything
    bool exit = false;    // closing and nothing is buffered
  };

  // --- Put side (async_producer.cc) ---
  // The calling thread's intake (made on its first put).
  internal::Intake* IntakeOfThisThread();
  // Reserves room for one record of `bytes`; false if the buffer is full.
  bool TryReserve(int64_t bytes);
  void Unreserve(int64_t bytes);
  // Waits up to put_timeout for room; OK once reserved. Each time it finds
  // none it raises `room_wanted_` and wakes the sending thread.
  absl::Status WaitForRoom(int64_t bytes);
  // Copies the record's bytes, and moves `*done` (if not empty), into the
  // intake's chunk; sets `routed`'s views and `meta`'s chunk and done.
  // Inlined into Put() (once per put); the rare path is NextChunk().
  ABSL_ATTRIBUTE_ALWAYS_INLINE void CopyIn(internal::Intake* in,
                                           absl::string_view key,
                                           absl::string_view data,
                                           Callback* done, RoutedRecord* routed,
                                           RecordMeta* meta)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(in->mu);
  // Retires the intake's chunk (if any) and gives it one with room for
  // `bytes` (CopyIn()'s rare path).
  ABSL_ATTRIBUTE_NOINLINE ProducerChunk* NextChunk(internal::Intake* in,
                                                   size_t bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(in->mu);
  // Hashes and routes `in->records` into `in->slots`, first reading the
  // shard map anew (and routing the slotted records again by it) if the
  // sending thread published a newer one. `sender` says the caller is the
  // sending thread (which reads its own copy of the map, without `mu_`).
  void RouteIntake(internal::Intake* in, bool sender)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(in->mu);
  // Frees retired chunks whose records have all completed (to the pool).
  void FreeDoneChunks() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  EpochCount& CountOf(int64_t epoch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- sending thread (sender.cc; the shard map and routing in
  // shard_map.cc; aggregates in aggregated_batch.cc) ---
  void Run();
  // Waits for something to do.
  Wake Wait();
  // Takes the records of every intake, each slot whole into its shard's
  // queue (records no open shard owned, and the few its putting thread left
  // unhashed, into `intake`, for Route()), and counts them in their Flush()
  // epochs. Holds an intake's lock only to swap its arrays for empty ones
  // (and to route them again if the shard map changed). Returns the records
  // taken.
  int64_t Drain(std::vector<PendingRecord>* intake);
  // True if some intake holds records due now (or that fill a batch);
  // lowers `*deadline` to the earliest linger deadline among them.
  bool IntakesDue(bool flushing, int64_t now, int64_t* deadline);
  // Routes `intake` (hashed) into the shard queues, in order; parks the
  // records no open shard owns.
  void Route(std::vector<PendingRecord>* intake);
  // Appends `r` to the queue of the open shard that owns its hash key, or
  // parks it (Park()) if none does.
  void RouteOne(PendingRecord&& r);
  // The queue of the open shard that owns `key`, or null.
  internal::ShardQueue* QueueFor(HashKey key);
  // Keeps `r`, whose key no open shard of the map owns, at the end of
  // `parked_` until a refresh of the map routes it; the first record parked
  // schedules a refresh after a backoff.
  void Park(const PendingRecord& r);
  // Fails the parked records whose TTL has run out; at their refresh time,
  // fails them all with kFailedPrecondition if the stream is closed, else
  // refreshes the shard map (which routes them again) and, if some are
  // still parked, schedules the next refresh after a longer backoff. May
  // replace `queues_`.
  void ServeParked(int64_t now);
  // Appends what is due in every queue (serving the parked records first);
  // returns false if the shard map changed (the caller runs it again).
  bool SendDue(const Wake& wake);
  // Appends batches of `q` while it has due records; false if the map
  // changed.
  bool SendQueue(internal::ShardQueue* q, const Wake& wake, int64_t now);
  // Sets `batch_span_` (and `groups_`) to the front records of `q`, within
  // the batch limits; returns the number of user records taken.
  size_t FillBatch(internal::ShardQueue* q);
  // As FillBatch(), packing the records into aggregates.
  size_t FillAggregatedBatch(internal::ShardQueue* q);
  // Closes the aggregate being built as a group of `groups_` starting at
  // user record `begin` of the queue; a lone record is stored as it is.
  void CloseGroup(size_t begin, int64_t* bytes);
  // User records that make a shard's batch full (the sending thread does
  // not wait for linger then).
  int64_t FullBatchRecords() const;
  // Fails the front records of `q` whose TTL has run out.
  void ExpireFront(internal::ShardQueue* q, int64_t now);
  // The kDeadlineExceeded a record gets when its TTL runs out after
  // `attempts` appends, naming `last_error` (if not OK).
  absl::Status TtlRanOut(int attempts, const absl::Status& last_error) const;
  // The shards to route by, sorted by first hash key, no two overlapping:
  // the open shards ListShards() lists, read a few times while they do not
  // tile the key space, then (if they still do not) with the shards of
  // `previous` that the last read does not list at all (shard_map.cc).
  std::vector<ShardDescription> OpenShards(
      const std::vector<std::unique_ptr<internal::ShardQueue>>& previous) const;
  // Reads the shard map anew, then routes again, in order, the records of
  // the shards that left it and the parked records.
  void RefreshShardMap();
  // The earliest time a queue has something to do (INT64_MAX for never).
  int64_t NextDeadline(const Wake& wake) const;
  absl::Duration Backoff(int failures);
  // Completes the record of `r` (runs its callback) with `result`; the
  // counts are settled by Settle().
  void Complete(RecordMeta& r, const absl::StatusOr<AsyncPutResult>& result);
  // Runs and destroys `r`'s callback (REQUIRES: it has one).
  void RunCallback(RecordMeta& r, const absl::StatusOr<AsyncPutResult>& result);
  // Counts `r`'s record as completed (in `done_`, for the next Settle()): a
  // run of records of one chunk, epoch and outcome is one entry.
  void CountDone(const RecordMeta& r, bool ok) {
    if (!done_.empty()) {
      Done& last = done_.back();
      if (last.chunk == r.chunk && last.epoch == r.epoch && last.ok == ok) {
        last.bytes += r.buffered_bytes;
        ++last.count;
        return;
      }
    }
    done_.push_back(Done{r.chunk, r.buffered_bytes, r.epoch, 1, ok});
  }
  // Counts the records completed since the last call, frees their chunks and
  // wakes waiters.
  void Settle();
  // Completes every buffered record (parked ones too) with kCancelled.
  void CancelAll(std::vector<PendingRecord>* intake);

  Stream* const stream_;
  const AsyncProducerOptions options_;
  Env* const env_;
  const int64_t max_record_bytes_;
  const int64_t linger_millis_;
  const int64_t ttl_millis_;  // INT64_MAX for none

  const uint64_t id_;  // tells this producer's intakes in thread_local caches

  mutable internal::Mutex mu_;
  internal::CondVar room_cv_;  // Put() waiting for buffer room
  internal::CondVar wake_cv_;  // the sending thread waiting for work
  internal::CondVar done_cv_;  // Flush()/Close() waiting for completions
  // Intakes, one per putting thread, kept until the producer is destroyed.
  std::vector<std::unique_ptr<internal::Intake>> intakes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<ProducerChunk>> chunks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<ProducerChunk>> free_chunks_ ABSL_GUARDED_BY(mu_);
  std::vector<ProducerChunk*> retired_ ABSL_GUARDED_BY(mu_);  // refs left
  // Records (and their bytes) accepted and not completed: reserved by Put()
  // without a lock, released by Settle() under mu_ (so a waiter on mu_ does
  // not miss the release).
  std::atomic<int64_t> buffered_records_{0};
  std::atomic<int64_t> buffered_bytes_{0};
  std::atomic<int64_t> epoch_{0};     // raised by Flush() under mu_
  std::atomic<bool> closing_{false};  // set under mu_
  // The sending thread sleeps until wake_deadline_ unless an intake reaches
  // wake_records_ (set by it before it sleeps).
  std::atomic<bool> sender_waiting_{false};
  std::atomic<int64_t> wake_deadline_{0};
  std::atomic<int64_t> wake_records_{1};
  std::atomic<int64_t> wake_bytes_{1};
  // Raised by a put that found the buffer full; while raised, the sending
  // thread sends as for Flush() (no linger), and it lowers it each time it
  // looks (a put still short of room raises it again).
  std::atomic<bool> room_wanted_{false};
  // The open shards' ranges, in the order of `queues_`, for the putters'
  // routing; route_version_ is raised (under mu_) each time they change.
  std::vector<HashKeyRange> route_ranges_ ABSL_GUARDED_BY(mu_);
  std::atomic<uint64_t> route_version_{0};
  uint64_t wake_generation_ ABSL_GUARDED_BY(mu_) = 0;  // Flush()/Close()
  uint64_t drain_requested_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t drained_ ABSL_GUARDED_BY(mu_) = 0;
  int flushers_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int64_t, EpochCount> epochs_ ABSL_GUARDED_BY(mu_);
  bool cancel_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // Close() finished
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  AsyncProducerStats stats_ ABSL_GUARDED_BY(mu_);  // all but put and buffered

  // Sending thread only.
  std::vector<internal::Intake*> sender_intakes_;        // a copy of intakes_
  std::vector<std::pair<int64_t, int64_t>> epoch_runs_;  // Drain()'s
  std::vector<std::unique_ptr<internal::ShardQueue>> queues_;  // by range
  std::vector<HashKeyRange> sender_ranges_;  // route_ranges_, without mu_
  // Records whose hash key no open shard of the map owned when they were
  // routed (a map read while a reshard was under way, say), in the order
  // routed; each refresh of the map routes them again (shard_map.cc).
  std::vector<PendingRecord> parked_;
  int parked_backoffs_ = 0;  // backoffs since the first was parked
  int64_t parked_retry_millis_ = internal::kNeverMillis;   // next refresh
  int64_t parked_expiry_millis_ = internal::kNeverMillis;  // earliest TTL
  // Drain()'s: what it swaps out of an intake under its lock (emptied after).
  std::vector<internal::IntakeSlot> spare_slots_;
  internal::RecordList spare_tail_;
  // The batch being appended: the front of a queue as it lies, or
  // `batch_` (aggregated batches).
  absl::Span<const RoutedRecord> batch_span_;
  std::vector<RoutedRecord> batch_;
  std::vector<SequenceNumber> numbers_;  // of `batch_`'s records, once stored
  std::mt19937_64 rng_;
  // KPL aggregation (SendQueue()'s scratch): the stored records of the batch
  // being formed, each a run of user records of the queue's front, packed
  // into `aggregates_[aggregate]` or stored as it is (aggregate -1).
  struct Group {
    size_t begin;
    size_t count;
    int aggregate;
  };
  AggregateBuilder builder_;
  std::vector<Group> groups_;
  // The batch's aggregates are aggregates_[0..aggregate_count_); the rest
  // are kept for their buffers.
  std::vector<AggregateBuilder::Aggregate> aggregates_;
  size_t aggregate_count_ = 0;
  uint64_t seen_generation_ = 0;
  // Completed since the last Settle().
  // A run of records completed alike (one chunk, epoch and outcome): a
  // batch of records without callbacks is mostly one.
  struct Done {
    ProducerChunk* chunk;
    int64_t bytes;
    int64_t epoch;
    int64_t count;
    bool ok;
  };
  std::vector<Done> done_;
  int64_t batches_ = 0, retries_ = 0, refreshes_ = 0;

  std::thread thread_;
};

}  // namespace brook

#endif  // BROOK_LIB_PRODUCE_ASYNC_PRODUCER_IMPL_H_
