// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// AsyncProducer: the put side (checks, copy into the intake, room and
// back-pressure), Flush() and Close(). Options are checked and producers
// made in async_producer_create.cc, the sending thread is in sender.cc;
// async_producer_impl.h says who owns what.

#include "brook/async_producer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <limits>
#include <memory>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "brook/env.h"
#include "brook/partitioner.h"
#include "brook/stream.h"

#include "produce/async_producer_impl.h"
#include "store/batch_format.h"  // CopyShort()
#include "util/utf8.h"

namespace brook {
namespace {

// Bytes of a chunk of the intake; a larger record gets a chunk of its own.
constexpr size_t kChunkBytes = size_t{256} << 10;
// Keys a putting thread hashes (internal::Md5Many(), several MD5s in
// parallel lanes) and routes at once: 32 fill Md5Many's AVX-512 lanes (16
// its AVX2 ones twice).
constexpr size_t kHashGroup = 32;
// Empty chunks kept for reuse (8 MiB at most): a fresh chunk costs a page
// fault per 4 KiB when first written.
constexpr size_t kFreeChunks = 32;

// Producer ids (never reused) name producers in the thread_local cache below,
// which a destroyed producer's address could otherwise match.
std::atomic<uint64_t> next_producer_id{0};

// The calling thread's intake of the producer it put to last.
struct ThreadIntake {
  uint64_t producer = 0;
  internal::Intake* intake = nullptr;
};
thread_local ThreadIntake this_thread_intake;

using internal::AddSaturatedMillis;

int64_t CeilMillis(absl::Duration d) {
  if (d == absl::InfiniteDuration()) {
    return std::numeric_limits<int64_t>::max();
  }
  return absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
}

}  // namespace

AsyncProducer::Impl::Impl(Stream* stream, const AsyncProducerOptions& options,
                          Env* env, int64_t max_record_bytes)
    : stream_(stream),
      options_(options),
      env_(env),
      max_record_bytes_(max_record_bytes),
      linger_millis_(CeilMillis(options.linger)),
      ttl_millis_(CeilMillis(options.record_ttl)),
      id_(next_producer_id.fetch_add(1) + 1),
      rng_(options.seed != 0 ? options.seed : std::random_device()()),
      builder_(std::min(options.aggregation_max_bytes, max_record_bytes)) {}

AsyncProducer::Impl::~Impl() = default;

absl::Status AsyncProducer::Impl::Put(
    absl::string_view partition_key, absl::string_view data,
    const absl::string_view& explicit_hash_key, Callback&& done) {
  const size_t size = partition_key.size() + data.size();
  if (size > static_cast<uint64_t>(max_record_bytes_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "async producer: record of ", size,
        " bytes (partition key + data) exceeds the max record size of ",
        max_record_bytes_));
  }
  // The common key (1 to 256 ASCII characters) checked inline, as
  // `Producer::PutRecords()` does; any other in full.
  absl::Status s;
  if (partition_key.empty() ||
      partition_key.size() > static_cast<size_t>(kMaxPartitionKeyChars) ||
      !internal::IsAscii(partition_key)) {
    s = ValidatePartitionKey(partition_key);
    if (!s.ok()) return s;
  }
  // The hash key (MD5), unless explicit, is set later, a group of keys at
  // once (see below).
  HashKey hash_key = 0;
  if (!explicit_hash_key.empty()) {
    absl::StatusOr<HashKey> key = ParseHashKey(explicit_hash_key);
    if (!key.ok()) return key.status();
    hash_key = *key;
  }
  const int64_t buffered_bytes =
      static_cast<int64_t>(size + explicit_hash_key.size());
  if (!TryReserve(buffered_bytes)) {
    s = WaitForRoom(buffered_bytes);
    if (!s.ok()) return s;
  }
  const int64_t now = env_->NowMillis();
  const int64_t epoch = epoch_.load();
  // The calling thread's intake: found in its thread_local cache, inline,
  // unless it last put to another producer.
  internal::Intake* in = this_thread_intake.producer == id_
                             ? this_thread_intake.intake
                             : IntakeOfThisThread();
  int64_t n, bytes;
  {
    internal::IntakeLockHolder lock(&in->mu);
    // After the reservation, so that Close() either sees it (and waits for
    // the record) or this put sees Close() (seq_cst on both sides); under
    // the intake's lock, so that Close()'s last look at the intakes sees the
    // record if this put did not see Close().
    if (closing_.load()) {
      Unreserve(buffered_bytes);
      internal::MutexLock close_lock(&mu_);
      done_cv_.SignalAll();  // Close() may be waiting for this reservation
      return absl::FailedPreconditionError("async producer: Put after Close()");
    }
    // Written in place, field by field: a record built on the stack and
    // then copied in is read back with wider loads than it was written
    // with, which stalls store forwarding (a fifth of a put's time).
    RoutedRecord& routed = in->records.routed.emplace_back();
    RecordMeta& meta = in->records.meta.emplace_back();
    routed.hash_key = hash_key;
    routed.has_explicit_hash_key = !explicit_hash_key.empty();
    meta.buffered_bytes = buffered_bytes;
    meta.put_millis = now;
    meta.epoch = epoch;
    CopyIn(in, partition_key, data, &done, &routed, &meta);
    ++in->records_put;
    if (in->count++ == 0) in->oldest_millis = now;
    in->bytes += static_cast<int64_t>(size);
    if (in->epochs.empty() || in->epochs.back().first != epoch) {
      in->epochs.push_back({epoch, 0});
    }
    ++in->epochs.back().second;
    // Routing on the caller's thread, a group of keys at once (several MD5s
    // in parallel lanes) into the intake's per-shard slots; the sending
    // thread routes the rest when it takes them.
    if (in->records.size() >= kHashGroup) RouteIntake(in, /*sender=*/false);
    n = in->MostForOneShard();
    bytes = in->bytes;
  }
  // Wakes the sending thread if it sleeps and wished to be woken by this
  // (see async_producer_impl.h); otherwise no shared lock.
  if (sender_waiting_.load() &&
      (n >= wake_records_.load(std::memory_order_relaxed) ||
       bytes >= wake_bytes_.load(std::memory_order_relaxed) ||
       AddSaturatedMillis(now, linger_millis_) <
           wake_deadline_.load(std::memory_order_relaxed))) {
    if (sender_waiting_.exchange(false)) {
      // The sending thread checks the flag and waits under mu_: once this
      // thread holds mu_, it is waiting (or saw the flag down). Signalled
      // after the unlock, so that it does not wake only to block on mu_.
      { internal::MutexLock lock(&mu_); }
      wake_cv_.Signal();
    }
  }
  return absl::OkStatus();
}

bool AsyncProducer::Impl::TryReserve(int64_t bytes) {
  int64_t records = buffered_records_.load();
  do {
    if (records != 0 && records >= options_.max_buffered_records) {
      return false;
    }
  } while (!buffered_records_.compare_exchange_weak(records, records + 1));
  int64_t held = buffered_bytes_.load();
  do {
    // A record alone in the buffer always fits (max_buffered_bytes is at
    // least the max record size; its explicit hash key may add a little).
    if (records != 0 && held + bytes > options_.max_buffered_bytes) {
      buffered_records_.fetch_sub(1);
      return false;
    }
  } while (!buffered_bytes_.compare_exchange_weak(held, held + bytes));
  return true;
}

void AsyncProducer::Impl::Unreserve(int64_t bytes) {
  buffered_records_.fetch_sub(1);
  buffered_bytes_.fetch_sub(bytes);
}

absl::Status AsyncProducer::Impl::WaitForRoom(int64_t bytes) {
  internal::MutexLock lock(&mu_);
  const int64_t deadline =
      options_.put_timeout > absl::ZeroDuration()
          ? internal::DeadlineAfter(env_, options_.put_timeout)
          : 0;
  for (;;) {
    if (closing_.load()) {
      return absl::FailedPreconditionError("async producer: Put after Close()");
    }
    // Settle() releases room under mu_, so no release is missed here.
    if (TryReserve(bytes)) return absl::OkStatus();
    // Full: the sending thread sends what it holds at once, without waiting
    // for linger. seq_cst, as sender_waiting_: it either sees the wish after
    // raising sender_waiting_ (it looks again then) or is seen asleep here
    // and woken (it waits under mu_, which this thread holds).
    room_wanted_.store(true);
    if (sender_waiting_.exchange(false)) wake_cv_.Signal();
    if (deadline == 0 || room_cv_.WaitUntil(&mu_, env_, deadline)) break;
  }
  if (TryReserve(bytes)) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "async producer: buffer full (", buffered_records_.load(),
      " records of max_buffered_records ", options_.max_buffered_records, ", ",
      buffered_bytes_.load(), " bytes of max_buffered_bytes ",
      options_.max_buffered_bytes, ") for put_timeout ",
      absl::FormatDuration(options_.put_timeout)));
}

internal::Intake* AsyncProducer::Impl::IntakeOfThisThread() {
  if (this_thread_intake.producer == id_) return this_thread_intake.intake;
  const std::thread::id me = std::this_thread::get_id();
  internal::Intake* found = nullptr;
  {
    internal::MutexLock lock(&mu_);
    for (const auto& in : intakes_) {
      if (in->owner == me) found = in.get();
    }
  }
  if (found == nullptr) {
    // Made before mu_ is taken: its lock comes before mu_ (lock order).
    auto in = std::make_unique<internal::Intake>();
    in->owner = me;
    {
      internal::IntakeLockHolder intake_lock(&in->mu);  // not shared yet
      in->records.routed.reserve(kHashGroup);
      in->records.meta.reserve(kHashGroup);
    }
    found = in.get();
    internal::MutexLock lock(&mu_);
    intakes_.push_back(std::move(in));
  }
  this_thread_intake = {id_, found};
  return found;
}

void AsyncProducer::Impl::RouteIntake(internal::Intake* in, bool sender) {
  const uint64_t version = route_version_.load(std::memory_order_acquire);
  if (in->route_version != version) {
    if (sender) {
      in->SetRanges(sender_ranges_);
      in->route_version = version;
    } else {
      internal::MutexLock lock(&mu_);  // after in->mu (the lock order)
      in->SetRanges(route_ranges_);
      in->route_version = route_version_.load();
    }
    // Records slotted by the older map, slot by slot: a key's records stay
    // in the order put, and ahead of the unrouted ones put after them.
    std::vector<internal::IntakeSlot> old = std::move(in->slots);
    in->slots.assign(in->ranges.size() + 1, internal::IntakeSlot());
    in->fullest_slot = 0;
    for (const internal::IntakeSlot& slot : old) in->RouteToSlots(slot.records);
  }
  internal::HashKeysOf(in->records.routed.data(), in->records.size());
  in->RouteToSlots(in->records);
  in->records.clear();
}

internal::ProducerChunk* AsyncProducer::Impl::NextChunk(internal::Intake* in,
                                                        size_t bytes) {
  ProducerChunk* c = in->chunk;
  internal::MutexLock lock(&mu_);
  if (c != nullptr) {  // moves on: freed once its records complete
    c->retired = true;
    c->final_count = c->put_count;
    retired_.push_back(c);
    FreeDoneChunks();
  }
  if (bytes <= kChunkBytes && !free_chunks_.empty()) {
    chunks_.push_back(std::move(free_chunks_.back()));
    free_chunks_.pop_back();
  } else {
    chunks_.push_back(
        std::make_unique<ProducerChunk>(std::max(bytes, kChunkBytes)));
  }
  c = chunks_.back().get();
  in->chunk = c;
  return c;
}

inline void AsyncProducer::Impl::CopyIn(internal::Intake* in,
                                        absl::string_view key,
                                        absl::string_view data, Callback* done,
                                        RoutedRecord* routed,
                                        RecordMeta* meta) {
  const size_t bytes = key.size() + data.size();
  // Room for the callback too, aligned, when there is one.
  const bool has_done = static_cast<bool>(*done);
  const size_t n =
      has_done ? bytes + sizeof(Callback) + alignof(Callback) - 1 : bytes;
  ProducerChunk* c = in->chunk;
  if (c == nullptr || c->capacity - c->used < n) c = NextChunk(in, n);
  char* dst = c->bytes.get() + c->used;
  // Keys are short: most are copied without a call.
  internal::CopyShort(dst, key.data(), key.size());
  if (!data.empty()) std::memcpy(dst + key.size(), data.data(), data.size());
  c->used += bytes;
  if (has_done) {
    const uintptr_t at = reinterpret_cast<uintptr_t>(dst + bytes);
    const uintptr_t aligned =
        (at + alignof(Callback) - 1) & ~uintptr_t{alignof(Callback) - 1};
    meta->done =
        new (reinterpret_cast<char*>(aligned)) Callback(std::move(*done));
    c->used += (aligned - at) + sizeof(Callback);
  }
  ++c->put_count;
  routed->partition_key = absl::string_view(dst, key.size());
  routed->data = absl::string_view(dst + key.size(), data.size());
  meta->chunk = c;
}

void AsyncProducer::Impl::FreeDoneChunks() {
  for (size_t r = 0; r < retired_.size();) {
    ProducerChunk* chunk = retired_[r];
    if (chunk->done_count != chunk->final_count) {
      ++r;
      continue;
    }
    retired_[r] = retired_.back();
    retired_.pop_back();
    for (size_t i = 0; i < chunks_.size(); ++i) {
      if (chunks_[i].get() != chunk) continue;
      std::unique_ptr<ProducerChunk> c = std::move(chunks_[i]);
      chunks_[i] = std::move(chunks_.back());
      chunks_.pop_back();
      if (c->capacity == kChunkBytes && free_chunks_.size() < kFreeChunks) {
        c->used = 0;
        c->put_count = c->done_count = c->final_count = 0;
        c->retired = false;
        free_chunks_.push_back(std::move(c));
      }
      break;
    }
  }
}

AsyncProducer::Impl::EpochCount& AsyncProducer::Impl::CountOf(int64_t epoch) {
  return epochs_[epoch];
}

absl::Status AsyncProducer::Impl::Flush() {
  internal::MutexLock lock(&mu_);
  if (closing_.load()) {
    // The sending thread drains no more once Close() has stopped it: the
    // records are Close()'s to complete, and its outcome is theirs.
    while (!closed_) done_cv_.Wait(&mu_);
    return close_status_;
  }
  const int64_t epoch = epoch_.fetch_add(1);
  auto failed_so_far = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    int64_t failed = 0;
    for (const auto& [e, count] : epochs_) {
      if (e <= epoch) failed += count.failed;
    }
    return failed;
  };
  auto pending = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& [e, count] : epochs_) {
      if (e <= epoch && count.pending > 0) return true;
    }
    return false;
  };
  const int64_t failed_before = failed_so_far();
  ++flushers_;
  ++wake_generation_;
  const uint64_t drain = ++drain_requested_;
  sender_waiting_ = false;
  wake_cv_.Signal();
  // Every record put before this call is counted in its epoch once the
  // sending thread has drained the intakes after the request.
  while (drained_ < drain) done_cv_.Wait(&mu_);
  while (pending()) done_cv_.Wait(&mu_);
  const int64_t failed = failed_so_far() - failed_before;
  if (--flushers_ == 0) {
    for (auto it = epochs_.begin(); it != epochs_.end();) {
      it = it->second.pending == 0 ? epochs_.erase(it) : std::next(it);
    }
  }
  if (failed == 0) return absl::OkStatus();
  return absl::UnknownError(absl::StrCat(
      "async producer: Flush: ", failed,
      " of the records buffered failed (each failure went to its callback)"));
}

absl::Status AsyncProducer::Impl::Close(absl::Duration timeout) {
  {
    internal::MutexLock lock(&mu_);
    if (closing_.load()) {
      // Another Close() is under way, perhaps with a longer timeout: this
      // one's still bounds the wait, then cancels what is left as if it
      // were the first.
      const int64_t deadline = internal::DeadlineAfter(env_, timeout);
      bool waited_out = false;  // then no deadline: wait without spinning
      while (!closed_) {
        const int64_t until = cancel_ || waited_out
                                  ? std::numeric_limits<int64_t>::max()
                                  : deadline;
        if (!done_cv_.WaitUntil(&mu_, env_, until)) continue;
        waited_out = true;
        if (!closed_ && !cancel_ && buffered_records_.load() > 0) {
          cancel_ = true;
          ++wake_generation_;
          wake_cv_.Signal();
        }
      }
      return close_status_;
    }
    closing_.store(true);
    ++wake_generation_;
    sender_waiting_ = false;
    wake_cv_.Signal();
    room_cv_.SignalAll();
    const int64_t deadline = internal::DeadlineAfter(env_, timeout);
    while (buffered_records_.load() > 0) {
      if (done_cv_.WaitUntil(&mu_, env_, deadline)) break;
    }
    if (buffered_records_.load() > 0) cancel_ = true;
    // Woken to cancel, or to exit: the last reservation may have been a put
    // that then saw closing_ and took it back, waking only this thread,
    // while the sending thread slept waiting for that record.
    ++wake_generation_;
    wake_cv_.Signal();
  }
  if (thread_.joinable()) thread_.join();
  // A put that reserved room before Close() and published its record after
  // the sending thread's last look (possible only when it was cancelled):
  // cancelled here, on this thread, now that the sending thread is gone.
  std::vector<PendingRecord> left;
  Drain(&left);
  CancelAll(&left);
  Settle();
  const int64_t put = stats().records_put;
  internal::MutexLock lock(&mu_);
  closed_ = true;
  if (stats_.records_failed != 0) {
    close_status_ = absl::UnknownError(absl::StrCat(
        "async producer: Close: ", stats_.records_failed, " of the ", put,
        " records put failed (each failure went to its callback)"));
  }
  done_cv_.SignalAll();
  return close_status_;
}

AsyncProducerStats AsyncProducer::Impl::stats() const {
  AsyncProducerStats stats;
  std::vector<internal::Intake*> intakes;
  {
    internal::MutexLock lock(&mu_);
    stats = stats_;
    for (const auto& in : intakes_) intakes.push_back(in.get());
  }
  // Not under mu_: an intake's lock comes first (see the lock order).
  for (internal::Intake* in : intakes) {
    internal::IntakeLockHolder lock(&in->mu);
    stats.records_put += in->records_put;
  }
  stats.records_buffered = buffered_records_.load();
  stats.bytes_buffered = buffered_bytes_.load();
  return stats;
}

// --- AsyncProducer ---

AsyncProducer::AsyncProducer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

AsyncProducer::~AsyncProducer() {
  impl_->Close(absl::InfiniteDuration())
      .IgnoreError();  // failures went to the callbacks and stats()
}

absl::Status AsyncProducer::Put(absl::string_view partition_key,
                                absl::string_view data,
                                absl::string_view explicit_hash_key,
                                Callback done) {
  return impl_->Put(partition_key, data, explicit_hash_key, std::move(done));
}

std::future<absl::StatusOr<AsyncPutResult>> AsyncProducer::PutFuture(
    absl::string_view partition_key, absl::string_view data,
    absl::string_view explicit_hash_key) {
  auto promise =
      std::make_shared<std::promise<absl::StatusOr<AsyncPutResult>>>();
  std::future<absl::StatusOr<AsyncPutResult>> future = promise->get_future();
  absl::Status s =
      impl_->Put(partition_key, data, explicit_hash_key,
                 [promise](const absl::StatusOr<AsyncPutResult>& r) {
                   promise->set_value(r);
                 });
  if (!s.ok()) promise->set_value(std::move(s));
  return future;
}

absl::Status AsyncProducer::Flush() { return impl_->Flush(); }

absl::Status AsyncProducer::Close(absl::Duration timeout) {
  return impl_->Close(timeout);
}

AsyncProducerStats AsyncProducer::stats() const { return impl_->stats(); }

}  // namespace brook
