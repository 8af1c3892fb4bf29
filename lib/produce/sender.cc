// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer's sending thread: takes the intakes' per-shard slots into
// the shard queues, appends full or lingered batches, retries with backoff,
// follows reshards and completes records (the shard map, routing and parked
// records are in shard_map.cc, batches of aggregates are filled in
// aggregated_batch.cc). It works on state only this thread touches, without
// `mu_`, which it takes only to wait, to count what it took and completed,
// and to publish the shard map to the putters.

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

#include "brook/shard.h"
#include "brook/stream.h"

#include "produce/async_producer_impl.h"

namespace brook {

using internal::BatchBytes;
namespace {

constexpr int64_t kNever = internal::kNeverMillis;
using internal::AddSaturatedMillis;

bool Retryable(const absl::Status& s) {
  return absl::IsAborted(s) || absl::IsResourceExhausted(s) ||
         absl::IsUnavailable(s);
}

}  // namespace

absl::Status AsyncProducer::Impl::Start() {
  RefreshShardMap();
  refreshes_ = 0;  // the first read is not a refresh
  if (queues_.empty()) {
    return absl::FailedPreconditionError(
        "async producer: the stream lists no open shard");
  }
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void AsyncProducer::Impl::Run() {
  std::vector<PendingRecord> intake;
  intake.reserve(static_cast<size_t>(options_.max_batch_records));
  for (;;) {
    const Wake wake = Wait();
    const int64_t taken = Drain(&intake);
    if (wake.cancel) {
      CancelAll(&intake);
      Settle();
      return;
    }
    if (wake.exit && taken == 0) return;
    Route(&intake);
    while (!SendDue(wake)) {
    }
    Settle();
  }
}

AsyncProducer::Impl::Wake AsyncProducer::Impl::Wait() {
  Wake w;
  for (;;) {
    int64_t deadline;
    {
      internal::MutexLock lock(&mu_);
      w.cancel = cancel_;
      // A put that found the buffer full: nothing more can come in before
      // something goes out, so waiting for linger would only hold it up.
      w.flushing =
          flushers_ > 0 || closing_.load() || room_wanted_.exchange(false);
      if (cancel_) return w;
      if (closing_.load() && buffered_records_.load() == 0) {
        w.exit = true;
        return w;
      }
      if (seen_generation_ != wake_generation_) {
        seen_generation_ = wake_generation_;
        return w;
      }
      deadline = NextDeadline(w);
      // Put() wakes us early once some shard may have a full batch.
      int64_t most_records = 0, most_bytes = 0;
      for (const auto& q : queues_) {
        most_records = std::max<int64_t>(most_records, q->records.size());
        most_bytes = std::max(most_bytes, q->records.bytes());
      }
      wake_records_.store(
          std::max<int64_t>(1, FullBatchRecords() - most_records),
          std::memory_order_relaxed);
      wake_bytes_.store(
          std::max<int64_t>(1, options_.max_batch_bytes - most_bytes),
          std::memory_order_relaxed);
    }
    const int64_t now = env_->NowMillis();
    if (now >= deadline) return w;
    // Publish the wish, then look at the intakes once more: a put either
    // sees the wish or its record is seen here (seq_cst on both sides).
    wake_deadline_.store(deadline, std::memory_order_relaxed);
    sender_waiting_.store(true);
    const bool room = room_wanted_.exchange(false);
    if (room || IntakesDue(w.flushing, now, &deadline)) {
      sender_waiting_.store(false);
      w.flushing = w.flushing || room;
      return w;
    }
    wake_deadline_.store(deadline, std::memory_order_relaxed);
    internal::MutexLock lock(&mu_);
    if (sender_waiting_.load() && seen_generation_ == wake_generation_ &&
        !cancel_) {
      wake_cv_.WaitUntil(&mu_, env_, deadline);
    }
    sender_waiting_.store(false);
    if (seen_generation_ == wake_generation_) {
      w.flushing =
          flushers_ > 0 || closing_.load() || room_wanted_.exchange(false);
      return w;  // woken by a put, or the deadline came: drain and send
    }
  }
}

bool AsyncProducer::Impl::IntakesDue(bool flushing, int64_t now,
                                     int64_t* deadline) {
  {
    internal::MutexLock lock(&mu_);
    if (sender_intakes_.size() != intakes_.size()) {
      sender_intakes_.clear();
      for (const auto& in : intakes_) sender_intakes_.push_back(in.get());
    }
  }
  const int64_t full = wake_records_.load(std::memory_order_relaxed);
  const int64_t full_bytes = wake_bytes_.load(std::memory_order_relaxed);
  for (internal::Intake* in : sender_intakes_) {
    internal::IntakeLockHolder lock(&in->mu);
    if (in->count == 0) continue;
    const int64_t due = AddSaturatedMillis(in->oldest_millis, linger_millis_);
    if (flushing || now >= due || in->MostForOneShard() >= full ||
        in->bytes >= full_bytes) {
      return true;
    }
    *deadline = std::min(*deadline, due);
  }
  return false;
}

int64_t AsyncProducer::Impl::Drain(std::vector<PendingRecord>* intake) {
  uint64_t drain;
  {
    internal::MutexLock lock(&mu_);
    drain = drain_requested_;
    if (sender_intakes_.size() != intakes_.size()) {
      sender_intakes_.clear();
      for (const auto& in : intakes_) sender_intakes_.push_back(in.get());
    }
  }
  int64_t taken = 0;
  epoch_runs_.clear();
  for (internal::Intake* in : sender_intakes_) {
    size_t open;
    {
      // Under the intake's lock only what its putting thread must not see
      // half done, so that a put rarely waits for it: the slots and the
      // unrouted tail are swapped with the sending thread's own (emptied)
      // ones, and copied into the queues after the unlock.
      internal::IntakeLockHolder lock(&in->mu);
      if (in->count == 0) continue;
      if (in->route_version != route_version_.load(std::memory_order_acquire)) {
        // Slotted by an older map (or none yet): routed again, here.
        RouteIntake(in, /*sender=*/true);
      }
      open = in->slots.size() - 1;
      if (spare_slots_.size() < in->slots.size()) {
        spare_slots_.resize(in->slots.size());
      }
      for (size_t i = 0; i <= open; ++i) {
        if (!in->slots[i].records.empty()) {
          std::swap(in->slots[i], spare_slots_[i]);
        }
      }
      std::swap(in->records, spare_tail_);
      taken += in->count;
      in->count = 0;
      in->fullest_slot = 0;
      in->bytes = 0;
      epoch_runs_.insert(epoch_runs_.end(), in->epochs.begin(),
                         in->epochs.end());
      in->epochs.clear();
    }
    // In the order put: each slot's records were put before the tail's.
    for (size_t i = 0; i < open; ++i) {
      if (!spare_slots_[i].records.empty()) {
        queues_[i]->records.take_all(&spare_slots_[i]);
      }
    }
    // The slot of records no open shard owned, and the few the putting
    // thread left unhashed (fewer than a group): routed by Route().
    internal::IntakeSlot& nowhere = spare_slots_[open];
    for (size_t i = 0; i < nowhere.records.size(); ++i) {
      intake->push_back(
          PendingRecord{nowhere.records.routed[i], nowhere.records.meta[i]});
    }
    nowhere.records.clear();
    nowhere.bytes = 0;
    if (!spare_tail_.empty()) {
      internal::HashKeysOf(spare_tail_.routed.data(), spare_tail_.size());
      for (size_t i = 0; i < spare_tail_.size(); ++i) {
        intake->push_back(
            PendingRecord{spare_tail_.routed[i], spare_tail_.meta[i]});
      }
      spare_tail_.clear();
    }
  }
  internal::MutexLock lock(&mu_);
  // Count the records in their Flush() epochs, a run at a time.
  for (const auto& [epoch, records] : epoch_runs_) {
    CountOf(epoch).pending += records;
  }
  if (drained_ != drain) {
    drained_ = drain;
    done_cv_.SignalAll();
  }
  return taken;
}

bool AsyncProducer::Impl::SendDue(const Wake& wake) {
  const int64_t now = env_->NowMillis();
  // Before the queues: a refresh of the map for the parked records replaces
  // them.
  if (!parked_.empty()) ServeParked(now);
  for (size_t i = 0; i < queues_.size(); ++i) {
    if (!SendQueue(queues_[i].get(), wake, now)) return false;
  }
  return true;
}

bool AsyncProducer::Impl::SendQueue(internal::ShardQueue* q, const Wake& wake,
                                    int64_t now) {
  ExpireFront(q, now);
  if (q->backoff_until_millis > now) return true;
  const size_t full = static_cast<size_t>(FullBatchRecords());
  while (!q->records.empty()) {
    const bool due =
        wake.flushing || q->records.size() >= full ||
        q->records.bytes() >= options_.max_batch_bytes ||
        now >= AddSaturatedMillis(q->records.front_meta().put_millis,
                                  linger_millis_);
    if (!due) return true;
    const size_t n =
        options_.aggregation_enabled ? FillAggregatedBatch(q) : FillBatch(q);
    numbers_.resize(batch_span_.size());
    const absl::Status appended = q->shard->AppendWithSequenceNumbers(
        batch_span_, absl::MakeSpan(numbers_));
    if (appended.ok()) {
      ++batches_;
      q->failures = 0;
      // Made when a record has a callback (only then is it read).
      std::optional<absl::StatusOr<AsyncPutResult>> result;
      int64_t user_bytes = 0;
      size_t stored = 0;  // the batch's first stored record of the group
      for (const Group& group : groups_) {
        // Each stored record of an append is numbered by its shard (see
        // "Sequence numbers" in async_producer.h): a group of records
        // stored as they are has one number each; the user records of an
        // aggregate share its number, each with its index.
        const bool plain = group.aggregate < 0;
        for (size_t k = 0; k < group.count; ++k) {
          user_bytes += BatchBytes(q->records.routed(group.begin + k));
          RecordMeta& r = q->records.meta(group.begin + k);
          if (r.done != nullptr) {
            const SequenceNumber& seq = numbers_[plain ? stored + k : stored];
            if (!result.has_value()) {
              result.emplace(AsyncPutResult{q->shard_id, seq, 0, 0});
            }
            AsyncPutResult& where = **result;
            where.sequence_number = seq;
            where.subsequence_number = plain ? 0 : k;
            where.attempts = r.attempts;
            RunCallback(r, *result);
          }
          CountDone(r, /*ok=*/true);
        }
        stored += plain ? group.count : 1;
      }
      q->records.drop_front(n, user_bytes);
      Settle();
      continue;
    }
    const absl::Status& s = appended;
    if (absl::IsAborted(s)) {
      // Closed by a reshard: route its records again, at once.
      const std::string id = q->shard_id;
      const absl::Status error = s;
      ++retries_;
      q->last_error = s;
      RefreshShardMap();
      bool still_open = false;
      for (const auto& open : queues_) still_open |= open->shard_id == id;
      if (!still_open) return false;  // `q` is gone; the caller starts over
      q->failures++;
      q->backoff_until_millis =
          now + absl::ToInt64Milliseconds(Backoff(q->failures));
      return true;
    }
    if (Retryable(s)) {
      ++retries_;
      q->last_error = s;
      q->failures++;
      q->backoff_until_millis =
          now + absl::ToInt64Milliseconds(Backoff(q->failures));
      return true;
    }
    for (size_t i = 0; i < n; ++i) Complete(q->records.meta(i), s);
    q->records.drop_front(n);
    Settle();
  }
  return true;
}

int64_t AsyncProducer::Impl::FullBatchRecords() const {
  if (!options_.aggregation_enabled) return options_.max_batch_records;
  // Aggregates fill a batch: wait for the bytes (or linger), not a count.
  return std::numeric_limits<int32_t>::max();
}

size_t AsyncProducer::Impl::FillBatch(internal::ShardQueue* q) {
  // The queue's front records as they lie: only how many is decided here.
  const size_t most = std::min(q->records.size(),
                               static_cast<size_t>(options_.max_batch_records));
  int64_t bytes = 0;
  size_t n = 0;
  for (; n < most; ++n) {
    const int64_t b = BatchBytes(q->records.routed(n));
    if (n > 0 && bytes + b > options_.max_batch_bytes) break;
    bytes += b;
    ++q->records.meta(n).attempts;
  }
  batch_span_ = q->records.routed_front(n);
  groups_.clear();
  groups_.push_back({0, n, -1});  // stored as they are, one number each
  return n;
}

void AsyncProducer::Impl::ExpireFront(internal::ShardQueue* q, int64_t now) {
  bool expired = false;
  while (!q->records.empty() &&
         now >= AddSaturatedMillis(q->records.front_meta().put_millis,
                                   ttl_millis_)) {
    PendingRecord r = q->records.pop_front();
    Complete(r.meta,
             TtlRanOut(r.meta.attempts, r.meta.attempts == 0 ? absl::OkStatus()
                                                             : q->last_error));
    expired = true;
  }
  if (expired) Settle();
}

absl::Status AsyncProducer::Impl::TtlRanOut(
    int attempts, const absl::Status& last_error) const {
  std::string why = attempts == 0 || last_error.ok()
                        ? std::string("before the record was appended")
                        : absl::StrCat("after ", attempts, " attempts");
  if (!last_error.ok()) {
    absl::StrAppend(&why, "; last error: ", last_error.ToString());
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "async producer: record_ttl of ",
      absl::FormatDuration(options_.record_ttl), " ran out ", why));
}

int64_t AsyncProducer::Impl::NextDeadline(const Wake& wake) const {
  int64_t deadline = kNever;
  const size_t max_records = static_cast<size_t>(FullBatchRecords());
  for (const auto& q : queues_) {
    if (q->records.empty()) continue;
    const RecordMeta& front = q->records.front_meta();
    int64_t t = wake.flushing || q->records.size() >= max_records ||
                        q->records.bytes() >= options_.max_batch_bytes
                    ? 0
                    : AddSaturatedMillis(front.put_millis, linger_millis_);
    t = std::max(t, q->backoff_until_millis);
    t = std::min(t, AddSaturatedMillis(front.put_millis, ttl_millis_));
    deadline = std::min(deadline, t);
  }
  if (!parked_.empty()) {
    deadline =
        std::min({deadline, parked_retry_millis_, parked_expiry_millis_});
  }
  return deadline;
}

absl::Duration AsyncProducer::Impl::Backoff(int failures) {
  absl::Duration cap = options_.min_backoff;
  for (int i = 1; i < failures && cap < options_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, options_.max_backoff);
  const int64_t cap_millis = absl::ToInt64Milliseconds(cap);
  std::uniform_int_distribution<int64_t> jitter(0, cap_millis);
  return absl::Milliseconds(jitter(rng_));
}

void AsyncProducer::Impl::RunCallback(
    RecordMeta& r, const absl::StatusOr<AsyncPutResult>& result) {
  (*r.done)(result);
  r.done->~Callback();  // it lives in r.chunk, freed once all completed
  r.done = nullptr;
}

void AsyncProducer::Impl::Complete(
    RecordMeta& r, const absl::StatusOr<AsyncPutResult>& result) {
  if (r.done != nullptr) RunCallback(r, result);
  CountDone(r, result.ok());
}

void AsyncProducer::Impl::Settle() {
  if (done_.empty() && batches_ == 0 && retries_ == 0 && refreshes_ == 0) {
    return;
  }
  bool wake_done = false;
  {
    internal::MutexLock lock(&mu_);
    stats_.batches_appended += batches_;
    stats_.retries += retries_;
    stats_.shard_map_refreshes += refreshes_;
    batches_ = retries_ = refreshes_ = 0;
    int64_t bytes = 0;
    int64_t records = 0;
    // Each run of records of one epoch, chunk and outcome at once (a batch
    // is mostly one run).
    for (const Done& d : done_) {
      bytes += d.bytes;
      records += d.count;
      EpochCount& count = CountOf(d.epoch);
      count.pending -= d.count;
      if (d.ok) {
        stats_.records_stored += d.count;
      } else {
        stats_.records_failed += d.count;
        count.failed += d.count;
      }
      d.chunk->done_count += d.count;
    }
    buffered_records_.fetch_sub(records);
    buffered_bytes_.fetch_sub(bytes);
    if (!retired_.empty()) FreeDoneChunks();
    wake_done = flushers_ > 0 || closing_.load();
  }
  // After the unlock, so that a woken waiter does not block on mu_ at once:
  // a waiter checks its condition and waits under mu_, so it is waiting
  // already or sees what changed above.
  if (!done_.empty()) {
    room_cv_.SignalAll();
    if (wake_done) done_cv_.SignalAll();
  }
  done_.clear();
}

void AsyncProducer::Impl::CancelAll(std::vector<PendingRecord>* intake) {
  const absl::Status cancelled = absl::CancelledError(
      "async producer: Close() timed out before the record was stored");
  for (auto& q : queues_) {
    for (size_t i = 0; i < q->records.size(); ++i) {
      Complete(q->records.meta(i), cancelled);
    }
    q->records.drop_front(q->records.size());
  }
  for (PendingRecord& r : *intake) Complete(r.meta, cancelled);
  intake->clear();
  for (PendingRecord& r : parked_) Complete(r.meta, cancelled);
  parked_.clear();
  parked_backoffs_ = 0;
  parked_retry_millis_ = parked_expiry_millis_ = kNever;
}

}  // namespace brook
