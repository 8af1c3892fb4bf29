// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A shard's metric counters (include/brook/metrics.h): relaxed atomics, one
// set per `ShardImpl`, bumped once per append call and once per GetRecords
// call. The append side is written only under the shard's append lock (one
// writer), so it uses a load and a store rather than a locked
// read-modify-write; everything else (reads, throttling) may run on many
// threads at once and uses fetch_add. The two sides sit on separate cache
// lines so that readers and the appender do not share one.
//
// Thread safety: every method may be called from any thread; snapshots read
// each counter once (relaxed), so they are consistent per counter only. The
// per-reader ages (named reads only) are kept under a mutex of their own,
// taken once per named GetRecords call.

#ifndef BROOK_LIB_STREAM_SHARD_METRICS_H_
#define BROOK_LIB_STREAM_SHARD_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

#include "brook/metrics.h"

#include "util/mutex.h"

namespace brook {
namespace internal {

// The bucket of `v` (metrics.h: bucket i holds 2^(i-1) < v <= 2^i).
inline int HistogramBucket(uint64_t v) {
  if (v <= 1) return 0;
  const int b = 64 - __builtin_clzll(v - 1);
  return b < kHistogramBuckets - 1 ? b : kHistogramBuckets - 1;
}

class AtomicHistogram {
 public:
  // Many writers.
  void Add(uint64_t v) {
    buckets_[HistogramBucket(v)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(static_cast<int64_t>(v), std::memory_order_relaxed);
  }
  // REQUIRES: the caller is the only writer (holds the writers' lock).
  void AddSingleWriter(uint64_t v) {
    Bump(buckets_[HistogramBucket(v)], 1);
    Bump(sum_, static_cast<int64_t>(v));
  }
  // Adds `counts` (kHistogramBuckets of them) and `sum`; many writers.
  void AddCounts(const int64_t* counts, int64_t sum);
  void AddTo(HistogramSnapshot* out) const;

  // A load and a store: a relaxed increment for a single writer.
  static void Bump(std::atomic<int64_t>& a, int64_t n) {
    a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<int64_t>, kHistogramBuckets> buckets_{};
  std::atomic<int64_t> sum_{0};
};

class ShardMetrics {
 public:
  // The appender's, after a successful append of `records` records and
  // `bytes` bytes. REQUIRES: the shard's append lock is held.
  void AddAppend(int64_t records, int64_t bytes) {
    AtomicHistogram::Bump(records_in_, records);
    AtomicHistogram::Bump(bytes_in_, bytes);
    batch_records_.AddSingleWriter(static_cast<uint64_t>(records));
  }
  // A successful append call took `micros` (any thread).
  void AddPutLatency(int64_t micros) {
    put_latency_micros_.Add(static_cast<uint64_t>(micros < 0 ? 0 : micros));
  }
  // A GetRecords call returned `records` records of `bytes` bytes, `age`
  // milliseconds behind the tip, at `now_millis` (any thread).
  // `reader` is GetRecordsOptions::reader (empty: unnamed).
  void AddRead(int64_t records, int64_t bytes, int64_t age_millis,
               int64_t now_millis, absl::string_view reader) {
    if (records > 0) {
      records_out_.fetch_add(records, std::memory_order_relaxed);
      bytes_out_.fetch_add(bytes, std::memory_order_relaxed);
    }
    iterator_age_millis_.store(age_millis, std::memory_order_relaxed);
    last_read_millis_.store(now_millis, std::memory_order_relaxed);
    if (!reader.empty()) AddNamedRead(reader, age_millis, now_millis);
  }
  // De-aggregating readers: per-bucket counts of user records per aggregate.
  void AddAggregates(const int64_t* counts, int64_t user_records) {
    aggregation_records_.AddCounts(counts, user_records);
  }
  // A call refused by a throughput limit kept outside the shard's
  // `ShardThrottle` (any thread). The provisioned-mode limits count their
  // own refusals in `ShardThrottle::throttled_calls()`, which
  // `Stream::GetMetrics()` adds to this.
  void AddThrottled() {
    throttled_calls_.fetch_add(1, std::memory_order_relaxed);
  }

  // Fills the counter fields of `out` (not shard_id, open, stored_*).
  void Snapshot(ShardMetricsSnapshot* out) const;

 private:
  void AddNamedRead(absl::string_view reader, int64_t age_millis,
                    int64_t now_millis);

  // Written by the appender (under the shard's append lock).
  alignas(64) std::atomic<int64_t> records_in_{0};
  std::atomic<int64_t> bytes_in_{0};
  AtomicHistogram batch_records_;
  // Written by many threads.
  alignas(64) AtomicHistogram put_latency_micros_;
  std::atomic<int64_t> throttled_calls_{0};
  alignas(64) std::atomic<int64_t> records_out_{0};
  std::atomic<int64_t> bytes_out_{0};
  std::atomic<int64_t> iterator_age_millis_{0};
  std::atomic<int64_t> last_read_millis_{0};
  AtomicHistogram aggregation_records_;
  // Named readers, in the order first seen; at most kMaxNamedReaders.
  mutable Mutex readers_mu_;
  std::vector<ReaderIteratorAge> readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_SHARD_METRICS_H_
