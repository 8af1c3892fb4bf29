// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A space-saving summary (Metwally, Agrawal and El Abbadi, "Efficient
// computation of frequent and top-k elements in data streams", ICDT 2005):
// the approximate counts of the most frequent keys of a stream in `k`
// counters, for the hot-key report (include/brook/metrics.h).
//
// Guarantee (N = keys added, k = capacity): every key whose true count is
// more than N/k is monitored; a monitored key's `count` is at least its true
// count and exceeds it by at most its `error`, which is at most N/k (the
// smallest count when the key took its counter over). Summaries of disjoint
// sub-streams merge with `Merge()` keeping that bound over their total N.
//
// Cost of `Add()`: one hash-table probe (the caller passes the key's hash)
// and one sift of a min-heap of k entries, O(log k) worst case and O(1) for a
// key already among the largest counts. No allocation once every counter's
// key string has grown to the longest key it held.
//
// Thread safety: none; the caller locks (the shard's append lock).

#ifndef BROOK_LIB_UTIL_SPACE_SAVING_H_
#define BROOK_LIB_UTIL_SPACE_SAVING_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace brook {
namespace internal {

class SpaceSaving {
 public:
  struct Entry {
    std::string key;
    int64_t count = 0;  // estimate: true count <= count <= true + error
    int64_t error = 0;  // overestimation bound of this entry
  };

  // REQUIRES: 1 <= capacity <= 1 << 20.
  explicit SpaceSaving(size_t capacity);

  // Counts one occurrence of `key`, whose hash is `hash` (any well-mixed
  // 64-bit hash of the key's bytes; equal keys must have equal hashes).
  void Add(absl::string_view key, uint64_t hash);

  size_t capacity() const { return capacity_; }
  // Keys added (N).
  int64_t total() const { return total_; }
  // The smallest count when every counter is in use, else 0: a key not
  // monitored has a true count of at most this.
  int64_t floor() const;
  // The monitored keys, in no order.
  std::vector<Entry> Entries() const;

 private:
  size_t FindSlot(absl::string_view key, uint64_t hash) const;
  void EraseSlot(size_t slot);
  void InsertIndex(uint32_t entry, uint64_t hash);
  void SiftDown(size_t heap_pos);

  struct Counter {
    std::string key;
    uint64_t hash = 0;
    int64_t count = 0;
    int64_t error = 0;
    uint32_t heap_pos = 0;
  };
  const size_t capacity_;
  int64_t total_ = 0;
  std::vector<Counter> counters_;  // grows to capacity_, then stays
  std::vector<uint32_t> heap_;     // counter indices; min-heap on count
  // Open addressing, linear probing: counter index + 1, 0 for empty.
  std::vector<uint32_t> index_;
  size_t index_mask_ = 0;
};

// Merges summaries of disjoint sub-streams (each key counted in any of them)
// into the `k` keys of largest estimate, largest first. A key absent from a
// full summary gets that summary's floor() added to its count and error, so
// the bound stays: true <= count <= true + error, error <= (sum of totals)/k
// when every summary has capacity k.
std::vector<SpaceSaving::Entry> MergeSpaceSaving(
    const std::vector<std::vector<SpaceSaving::Entry>>& entries,
    const std::vector<int64_t>& floors, size_t k);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_UTIL_SPACE_SAVING_H_
