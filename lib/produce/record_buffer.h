// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The async producer's record storage: the bytes of buffered records live in
// chunks (a chunk holds many records, so a put allocates nothing but now and
// then a chunk), and each record's views and metadata as a `RoutedRecord`
// and a `RecordMeta` in parallel arrays (`RecordList`), in an intake's slots
// and in a vector-backed FIFO per shard. Nothing here locks;
// `AsyncProducer::Impl` says which thread or lock owns what.

#ifndef BROOK_LIB_PRODUCE_RECORD_BUFFER_H_
#define BROOK_LIB_PRODUCE_RECORD_BUFFER_H_

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

#include "brook/async_producer.h"
#include "brook/partitioner.h"
#include "brook/record.h"
#include "brook/shard.h"

#include "util/md5.h"
#include "util/mutex.h"
#include "util/spin.h"

namespace brook {
namespace internal {

// Bytes of records, appended by `Put()` through one thread's intake and
// recycled once every record in it has completed. Fields by owner: `used` and
// `put_count` belong to the intake that fills the chunk (under its `mu`);
// `retired` and `final_count` are set under the producer's `mu_` when the
// intake moves on to another chunk; `done_count` belongs to the sending
// thread (which completes records).
struct ProducerChunk {
  explicit ProducerChunk(size_t n) : bytes(new char[n]), capacity(n) {}
  std::unique_ptr<char[]> bytes;
  size_t capacity;
  size_t used = 0;
  int64_t put_count = 0;   // records copied in
  int64_t done_count = 0;  // records completed
  // Set once the intake moved on to another chunk; freed (to the pool) when
  // done_count reaches final_count.
  bool retired = false;
  int64_t final_count = 0;
};

// What the producer keeps of one buffered record beside its `RoutedRecord`
// (whose partition key and data are adjacent bytes of `chunk`, followed by
// its callback if it has one). Records are kept as two parallel arrays, the
// `RoutedRecord`s and their `RecordMeta`s (`RecordList`), so that a batch is
// appended straight from its shard's queue (`Shard::Append()` takes a span of
// `RoutedRecord`s): no record is copied to form a batch. Both are trivially
// copyable: records move through vectors as plain bytes.
struct RecordMeta {
  ProducerChunk* chunk = nullptr;
  // Bytes counted against `max_buffered_bytes` (key, explicit key, data).
  int64_t buffered_bytes = 0;
  int64_t put_millis = 0;
  int64_t epoch = 0;  // the Flush() generation it was put in
  // The caller's callback, constructed in `chunk` after the record's bytes
  // (no allocation per record); null if none. Completing the record runs and
  // destroys it.
  AsyncProducer::Callback* done = nullptr;
  int attempts = 0;
};
static_assert(std::is_trivially_copyable<RecordMeta>::value,
              "records are moved as plain bytes");
static_assert(std::is_trivially_copyable<RoutedRecord>::value,
              "records are moved as plain bytes");

// A time in milliseconds that never comes (no deadline).
inline constexpr int64_t kNeverMillis = std::numeric_limits<int64_t>::max();

// The time `b` milliseconds after `a`, or kNeverMillis if that overflows.
// REQUIRES: b >= 0.
inline int64_t AddSaturatedMillis(int64_t a, int64_t b) {
  return a > kNeverMillis - b ? kNeverMillis : a + b;
}

// Partition key plus data: what a batch's byte limit counts.
inline int64_t BatchBytes(const RoutedRecord& r) {
  return static_cast<int64_t>(r.partition_key.size() + r.data.size());
}

// One record on its own (as the sending thread's rarer paths move it).
struct PendingRecord {
  RoutedRecord routed;
  RecordMeta meta;
};

// Records in order, as two parallel arrays (see `RecordMeta`).
struct RecordList {
  std::vector<RoutedRecord> routed;
  std::vector<RecordMeta> meta;

  size_t size() const { return routed.size(); }
  bool empty() const { return routed.empty(); }
  void push_back(const RoutedRecord& r, const RecordMeta& m) {
    routed.push_back(r);
    meta.push_back(m);
  }
  void clear() {
    routed.clear();
    meta.clear();
  }
  // Appends `other[from..)`.
  void append(const RecordList& other, size_t from = 0) {
    routed.insert(routed.end(), other.routed.begin() + from,
                  other.routed.end());
    meta.insert(meta.end(), other.meta.begin() + from, other.meta.end());
  }
  // Removes the first `n`.
  void erase_front(size_t n) {
    routed.erase(routed.begin(), routed.begin() + n);
    meta.erase(meta.begin(), meta.begin() + n);
  }
};

// Computes the hash keys (MD5 of the partition key) of `records[0..n)`
// that have no explicit hash key, several MD5s at once
// (`internal::Md5Many()`). Keys are hashed a group at a time, by the
// putting thread once its intake holds a group, else by the sending thread
// when it takes them.
inline void HashKeysOf(RoutedRecord* records, size_t n) {
  constexpr size_t kGroup = 32;  // Md5Many()'s widest lane count
  absl::string_view keys[kGroup];
  RoutedRecord* of[kGroup];
  std::array<uint8_t, 16> digests[kGroup];
  size_t k = 0;
  for (size_t i = 0; i <= n; ++i) {
    if (k == kGroup || (i == n && k > 0)) {
      Md5Many(keys, k, digests);
      for (size_t j = 0; j < k; ++j) {
        of[j]->hash_key = DigestToUint128(digests[j]);
      }
      k = 0;
    }
    if (i == n) break;
    if (records[i].has_explicit_hash_key) continue;
    keys[k] = records[i].partition_key;
    of[k++] = &records[i];
  }
}

// An intake's lock: a flag taken with one atomic exchange and released with
// a store. It is taken by the intake's putting thread once per put, by the
// sending thread once per look at the intake, and by `stats()`, each time
// for a short copy, so it is rarely contended; a `std::mutex` costs a second
// atomic read-modify-write (and a library call each way) per put.
// A waiter spins with the CPU's pause hint, then yields its core, since the
// holder may have been preempted (the machine may have fewer cores than
// threads).
class ABSL_LOCKABLE IntakeLock {
 public:
  IntakeLock() = default;
  IntakeLock(const IntakeLock&) = delete;
  IntakeLock& operator=(const IntakeLock&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
    if (!locked_.exchange(true, std::memory_order_acquire)) return;
    LockSlow();
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    locked_.store(false, std::memory_order_release);
  }

 private:
  void LockSlow() {
    for (int polls = 0;; ++polls) {
      // Read until it looks free, so that waiting writes nothing.
      if (!locked_.load(std::memory_order_relaxed) &&
          !locked_.exchange(true, std::memory_order_acquire)) {
        return;
      }
      if (polls < 64) {
        CpuRelax();
      } else {
        std::this_thread::yield();
      }
    }
  }

  std::atomic<bool> locked_{false};
};

// Holds an `IntakeLock` for its scope.
class ABSL_SCOPED_LOCKABLE IntakeLockHolder {
 public:
  explicit IntakeLockHolder(IntakeLock* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_->Lock();
  }
  IntakeLockHolder(const IntakeLockHolder&) = delete;
  IntakeLockHolder& operator=(const IntakeLockHolder&) = delete;
  ~IntakeLockHolder() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

 private:
  IntakeLock* const mu_;
};

// Records of one intake routed to one shard, in the order put.
struct IntakeSlot {
  RecordList records;
  int64_t bytes = 0;  // their BatchBytes()
};

// One putting thread's intake: the records it put that the sending thread
// has not taken yet, and the chunk their bytes go to. Only that thread and
// the sending thread lock `mu`, so it is rarely contended.
//
// A put appends to `records`; once they are a hash group, the putting thread
// hashes their keys at once and routes them into `slots`, one per open shard
// of the shard map it last read (`ranges`, `route_version`), so that the
// sending thread takes each slot whole into its shard's queue. A key's
// records are all in one slot, in the order put, and `records` holds only
// records put after every slotted one.
struct Intake {
  IntakeLock mu;
  // Put, not hashed nor routed yet (fewer than a hash group).
  RecordList records ABSL_GUARDED_BY(mu);
  // slots[i]: routed to the i-th open shard of `ranges`; the last slot holds
  // records that no open shard owned (the sending thread parks them until a
  // shard map owns their keys; shard_map.cc).
  std::vector<IntakeSlot> slots ABSL_GUARDED_BY(mu);
  std::vector<HashKeyRange> ranges ABSL_GUARDED_BY(mu);
  std::vector<HashKey> starts ABSL_GUARDED_BY(mu);  // of `ranges`
  // `ranges` are at most 16 and tile the key space; `starts` as the
  // compiler's 128-bit integers.
  bool small_tiled ABSL_GUARDED_BY(mu) = false;
  std::vector<unsigned __int128> small_starts ABSL_GUARDED_BY(mu);
  uint64_t route_version ABSL_GUARDED_BY(mu) = 0;  // 0: no map read yet
  // Records held (in `records` and `slots`), and the most in one slot.
  int64_t count ABSL_GUARDED_BY(mu) = 0;
  int64_t fullest_slot ABSL_GUARDED_BY(mu) = 0;
  // Runs of the records held with one Flush() epoch: (epoch, records).
  std::vector<std::pair<int64_t, int64_t>> epochs ABSL_GUARDED_BY(mu);
  int64_t oldest_millis ABSL_GUARDED_BY(mu) = 0;  // put time of the oldest
  int64_t bytes ABSL_GUARDED_BY(mu) = 0;          // their BatchBytes()
  ProducerChunk* chunk ABSL_GUARDED_BY(mu) = nullptr;
  int64_t records_put ABSL_GUARDED_BY(mu) = 0;  // for stats()
  std::thread::id owner;                        // set before it is shared

  // Records that could make one shard's batch full: the fullest slot's,
  // plus the unrouted ones (they may all go there).
  int64_t MostForOneShard() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return fullest_slot + static_cast<int64_t>(records.size());
  }

  // Appends `put[from..)` (hashed), in order, each to the slot of the
  // shard of `ranges` that owns its hash key, or to the last slot.
  void RouteToSlots(const RecordList& put, size_t from = 0)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    IntakeSlot* const to = slots.data();
    const size_t n = put.size();
    if (small_tiled) {
      // A few shards that tile the key space (the usual map): count the
      // first keys at or below the key, without branches. (As the
      // compiler's own 128-bit integers: absl::uint128 compares with
      // branches.) small_starts[0] is 0, so it is skipped.
      const unsigned __int128* const first = small_starts.data();
      const size_t shards = small_starts.size();
      for (size_t r = from; r < n; ++r) {
        const RoutedRecord& record = put.routed[r];
        const unsigned __int128 key = (static_cast<unsigned __int128>(
                                           absl::Uint128High64(record.hash_key))
                                       << 64) |
                                      absl::Uint128Low64(record.hash_key);
        size_t i = 0;
        for (size_t s = 1; s < shards; ++s) i += key >= first[s];
        to[i].records.push_back(record, put.meta[r]);
        to[i].bytes += BatchBytes(record);
      }
    } else {
      for (size_t r = from; r < n; ++r) {
        const RoutedRecord& record = put.routed[r];
        size_t i = static_cast<size_t>(
            std::upper_bound(starts.begin(), starts.end(), record.hash_key) -
            starts.begin());
        i = i > 0 && ranges[i - 1].Contains(record.hash_key) ? i - 1
                                                             : ranges.size();
        to[i].records.push_back(record, put.meta[r]);
        to[i].bytes += BatchBytes(record);
      }
    }
    for (const IntakeSlot& slot : slots) {
      fullest_slot =
          std::max(fullest_slot, static_cast<int64_t>(slot.records.size()));
    }
  }

  // Sets `ranges` (sorted by first key) and what RouteToSlots() derives.
  void SetRanges(const std::vector<HashKeyRange>& map)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    ranges = map;
    starts.clear();
    for (const HashKeyRange& r : ranges) starts.push_back(r.starting_hash_key);
    bool tiled = !ranges.empty() && ranges.front().starting_hash_key == 0 &&
                 ranges.back().ending_hash_key == absl::Uint128Max();
    for (size_t i = 1; tiled && i < ranges.size(); ++i) {
      tiled = ranges[i - 1].ending_hash_key + 1 == ranges[i].starting_hash_key;
    }
    small_tiled = tiled && ranges.size() <= 16;
    small_starts.clear();
    for (const HashKey& k : starts) {
      small_starts.push_back(
          (static_cast<unsigned __int128>(absl::Uint128High64(k)) << 64) |
          absl::Uint128Low64(k));
    }
  }
};

// A FIFO of records without a node per record: a `RecordList` and a head
// index. Its first records are a batch as they lie (`routed_front()`).
class PendingQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  int64_t bytes() const { return bytes_; }
  const RoutedRecord& routed(size_t i) const {
    return items_.routed[head_ + i];
  }
  RecordMeta& meta(size_t i) { return items_.meta[head_ + i]; }
  const RecordMeta& front_meta() const { return items_.meta[head_]; }
  // The first `n` records, as `Shard::Append()` takes them; valid until the
  // queue changes.
  absl::Span<const RoutedRecord> routed_front(size_t n) const {
    return absl::Span<const RoutedRecord>(items_.routed.data() + head_, n);
  }

  void push_back(const PendingRecord& r) {
    bytes_ += BatchBytes(r.routed);
    items_.push_back(r.routed, r.meta);
  }
  // Appends every record of `slot` (one bulk copy) and empties it. Copied,
  // not swapped even into an empty queue: each side keeps its own arrays,
  // which stop growing once they are as large as they need to be (a swap
  // hands the putting thread arrays the sending thread last wrote, and
  // arrays of another size, so both reallocate, and fault in fresh pages,
  // over and over).
  void take_all(IntakeSlot* slot) {
    if (empty()) {
      items_.clear();
      head_ = 0;
    }
    items_.append(slot->records);
    slot->records.clear();
    bytes_ += slot->bytes;
    slot->bytes = 0;
  }
  // Removes and returns the first record.
  PendingRecord pop_front() {
    PendingRecord r{items_.routed[head_], items_.meta[head_]};
    drop_front(1);
    return r;
  }
  // Removes the first `n` records (the caller has completed them in place).
  void drop_front(size_t n) {
    int64_t bytes = 0;
    for (size_t i = head_; i < head_ + n; ++i) {
      bytes += BatchBytes(items_.routed[i]);
    }
    drop_front(n, bytes);
  }
  // As above, when the caller has summed their BatchBytes(): `bytes`.
  void drop_front(size_t n, int64_t bytes) {
    bytes_ -= bytes;
    head_ += n;
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
    } else if (head_ >= 1024 && head_ * 2 >= items_.size()) {
      items_.erase_front(head_);
      head_ = 0;
    }
  }

 private:
  RecordList items_;
  size_t head_ = 0;
  int64_t bytes_ = 0;
};

// A shard as the sending thread sees it, and the records bound for it.
struct ShardQueue {
  std::string shard_id;
  Shard* shard = nullptr;
  HashKeyRange range;
  PendingQueue records;
  // Failed appends in a row; the next backoff grows with it.
  int failures = 0;
  // No append before this time (backoff after a retryable failure).
  int64_t backoff_until_millis = 0;
  // The error of the last failed append, for the TTL's message.
  absl::Status last_error;
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_PRODUCE_RECORD_BUFFER_H_
