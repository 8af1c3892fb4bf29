// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The per-shard halves of `ThroughputOptions` (include/brook/options.h):
// `ShardThrottle`, the provisioned-mode token buckets of one shard, and
// `SplitSampler`, the on-demand mode's measure of one shard's writes (rate
// over a window and a uniform sample of hash keys) that decides where to
// split it. A shard has each only when its mode is on, so the unthrottled
// path costs a null check.
//
// Thread safety: `ShardThrottle` is thread-safe (its own mutex, a leaf: it
// is taken under no other lock of its own and calls nothing while held).
// `SplitSampler` is not: its shard serialises it (the shard's append lock).

#ifndef BROOK_LIB_STREAM_THROUGHPUT_LIMITS_H_
#define BROOK_LIB_STREAM_THROUGHPUT_LIMITS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/types/span.h"

#include "brook/options.h"
#include "brook/partitioner.h"
#include "brook/record.h"

#include "util/mutex.h"
#include "util/token_bucket.h"

namespace brook {
namespace internal {

class ShardThrottle {
 public:
  // Buckets full at `now_millis`. `stream_name` and `shard_id` go into the
  // throttled status messages.
  ShardThrottle(const ThroughputOptions& options,
                const std::string& stream_name, const std::string& shard_id,
                int64_t now_millis);

  // Admits records of a write at `now_millis`, taking their tokens: all of
  // `records` or none if `all_or_nothing` (the batch counts as one item,
  // which a full bucket admits whatever its size, into debt), else the
  // longest prefix the write buckets admit (a record larger than a whole
  // bucket only first, into a full bucket). Returns how many were admitted; if fewer than all, sets
  // `*throttled` to the kResourceExhausted status naming the limit and
  // counts one throttled call.
  size_t AdmitWrites(absl::Span<const RoutedRecord> records,
                     bool all_or_nothing, int64_t now_millis,
                     absl::Status* throttled);
  // Gives back the tokens of admitted records that were then not stored.
  void RefundWrites(absl::Span<const RoutedRecord> records);

  // Admits a GetRecords call at `now_millis`, taking one call token: OK, or
  // kResourceExhausted naming the limit (counted as a throttled call).
  absl::Status AdmitRead(int64_t now_millis);
  // Charges the bytes an admitted call returned (into debt if need be).
  void ChargeRead(int64_t bytes);

  // Calls throttled so far (writes and reads; a PutRecords batch counts one
  // per shard it was throttled on). For metrics. Thread-safe; relaxed.
  int64_t throttled_calls() const {
    return throttled_calls_.load(std::memory_order_relaxed);
  }

 private:
  absl::Status Throttled(absl::string_view limit);

  const std::string prefix_;  // "stream s: provisioned throughput exceeded..."
  Mutex mu_;
  TokenBucket write_bytes_ ABSL_GUARDED_BY(mu_);
  TokenBucket write_records_ ABSL_GUARDED_BY(mu_);
  TokenBucket read_calls_ ABSL_GUARDED_BY(mu_);
  TokenBucket read_bytes_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> throttled_calls_{0};
};

// A token bucket of `rate` per second holding `burst` of it (at least one).
TokenBucket MakeBucket(int64_t rate, absl::Duration burst, int64_t now_millis);

// The bytes a record costs: partition key plus data.
inline int64_t RecordCost(const RoutedRecord& r) {
  return static_cast<int64_t>(r.partition_key.size() + r.data.size());
}

// What the sampler decided at the close of a window.
struct SplitDecision {
  enum class Kind { kNone, kSplit, kHotKey };
  Kind kind = Kind::kNone;
  // kSplit: the new starting hash key; kHotKey: the hash key no split
  // divides (the median).
  HashKey key = 0;
  // The window's write rate, bytes per second.
  int64_t bytes_per_second = 0;
  // kHotKey: the percentage of the window's sampled bytes the larger child
  // would have taken at the best split.
  int share_percent = 0;
};

class SplitSampler {
 public:
  // Records kept per window.
  static constexpr size_t kSampleSize = 512;
  // A split whose larger child would take more than this percentage of the
  // traffic does not divide it: the key is reported as hot instead.
  static constexpr int kHotSharePercent = 90;

  SplitSampler(int64_t split_bytes_per_second, absl::Duration window,
               uint64_t seed);

  // At an append of `records` to a shard of `range` at `now_millis`: if the
  // window open before it has lasted `window`, decides on it and opens a
  // new one; then counts `records` in the open window. O(records) plus, at
  // a decision, O(k log k) for the k records sampled.
  SplitDecision Add(absl::Span<const RoutedRecord> records, int64_t now_millis,
                    const HashKeyRange& range);

 private:
  struct Sample {
    HashKey key;
    int64_t bytes;
  };
  SplitDecision Decide(int64_t now_millis, const HashKeyRange& range) const;
  uint64_t Next();  // xorshift64*

  const int64_t threshold_;  // bytes per second
  const int64_t window_millis_;
  uint64_t rng_;
  int64_t window_start_ = 0;
  bool started_ = false;
  int64_t bytes_ = 0;           // written in the open window
  uint64_t seen_ = 0;           // records in the open window
  std::vector<Sample> sample_;  // reservoir, kSampleSize reserved
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_THROUGHPUT_LIMITS_H_
