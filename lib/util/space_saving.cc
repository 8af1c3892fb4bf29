// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "util/space_saving.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace brook {
namespace internal {

SpaceSaving::SpaceSaving(size_t capacity) : capacity_(capacity) {
  assert(capacity >= 1 && capacity <= (size_t{1} << 20));
  size_t slots = 1;
  while (slots < 2 * capacity) slots <<= 1;
  index_.assign(slots, 0);
  index_mask_ = slots - 1;
  counters_.reserve(capacity);
  heap_.reserve(capacity);
}

int64_t SpaceSaving::floor() const {
  if (counters_.size() < capacity_) return 0;
  return counters_[heap_[0]].count;
}

std::vector<SpaceSaving::Entry> SpaceSaving::Entries() const {
  std::vector<Entry> out;
  out.reserve(counters_.size());
  for (const Counter& c : counters_) out.push_back({c.key, c.count, c.error});
  return out;
}

size_t SpaceSaving::FindSlot(absl::string_view key, uint64_t hash) const {
  size_t s = hash & index_mask_;
  while (index_[s] != 0) {
    const Counter& c = counters_[index_[s] - 1];
    if (c.hash == hash && c.key == key) return s;
    s = (s + 1) & index_mask_;
  }
  return s;
}

// Backward-shift deletion: moves later entries of the probe run into the
// hole when their home slot allows, so that lookups need no tombstones.
void SpaceSaving::EraseSlot(size_t hole) {
  size_t j = hole;
  for (;;) {
    index_[hole] = 0;
    for (;;) {
      j = (j + 1) & index_mask_;
      if (index_[j] == 0) return;
      const size_t home = counters_[index_[j] - 1].hash & index_mask_;
      // The entry at j stays if its home lies cyclically in (hole, j].
      const bool stays =
          hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!stays) break;
    }
    index_[hole] = index_[j];
    hole = j;
  }
}

void SpaceSaving::SiftDown(size_t pos) {
  const size_t n = heap_.size();
  const uint32_t moving = heap_[pos];
  const int64_t count = counters_[moving].count;
  for (;;) {
    size_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n &&
        counters_[heap_[child + 1]].count < counters_[heap_[child]].count) {
      ++child;
    }
    if (counters_[heap_[child]].count >= count) break;
    heap_[pos] = heap_[child];
    counters_[heap_[pos]].heap_pos = static_cast<uint32_t>(pos);
    pos = child;
  }
  heap_[pos] = moving;
  counters_[moving].heap_pos = static_cast<uint32_t>(pos);
}

void SpaceSaving::Add(absl::string_view key, uint64_t hash) {
  ++total_;
  size_t slot = FindSlot(key, hash);
  if (index_[slot] != 0) {
    Counter& c = counters_[index_[slot] - 1];
    ++c.count;
    SiftDown(c.heap_pos);
    return;
  }
  if (counters_.size() < capacity_) {
    // A new counter of 1, the smallest count there is: sift it up past
    // parents of larger counts.
    const uint32_t i = static_cast<uint32_t>(counters_.size());
    counters_.push_back(Counter{std::string(key), hash, 1, 0, 0});
    index_[slot] = i + 1;
    size_t pos = heap_.size();
    heap_.push_back(i);
    while (pos > 0) {
      const size_t parent = (pos - 1) / 2;
      if (counters_[heap_[parent]].count <= 1) break;
      heap_[pos] = heap_[parent];
      counters_[heap_[pos]].heap_pos = static_cast<uint32_t>(pos);
      pos = parent;
    }
    heap_[pos] = i;
    counters_[i].heap_pos = static_cast<uint32_t>(pos);
    return;
  }
  // Full: the key takes over the counter of smallest count, inheriting that
  // count as its error.
  const uint32_t m = heap_[0];
  Counter& c = counters_[m];
  EraseSlot(FindSlot(c.key, c.hash));
  slot = FindSlot(key, hash);  // the erase may have moved the empty slot
  c.key.assign(key.data(), key.size());
  c.hash = hash;
  c.error = c.count;
  ++c.count;
  index_[slot] = m + 1;
  SiftDown(0);
}

std::vector<SpaceSaving::Entry> MergeSpaceSaving(
    const std::vector<std::vector<SpaceSaving::Entry>>& entries,
    const std::vector<int64_t>& floors, size_t k) {
  struct Sum {
    int64_t count = 0;
    int64_t error = 0;
    int64_t floors_seen = 0;  // floors of the summaries that hold the key
  };
  int64_t all_floors = 0;
  for (int64_t f : floors) all_floors += f;
  absl::flat_hash_map<std::string, Sum> sums;
  for (size_t s = 0; s < entries.size(); ++s) {
    for (const SpaceSaving::Entry& e : entries[s]) {
      Sum& sum = sums[e.key];
      sum.count += e.count;
      sum.error += e.error;
      sum.floors_seen += floors[s];
    }
  }
  std::vector<SpaceSaving::Entry> out;
  out.reserve(sums.size());
  for (auto& [key, sum] : sums) {
    // Absent from a full summary: up to its floor there, uncounted.
    const int64_t unseen = all_floors - sum.floors_seen;
    out.push_back({key, sum.count + unseen, sum.error + unseen});
  }
  std::sort(out.begin(), out.end(),
            [](const SpaceSaving::Entry& a, const SpaceSaving::Entry& b) {
              if (a.count != b.count) return a.count > b.count;
              return a.key < b.key;
            });
  if (out.size() > k) out.resize(k);
  return out;
}

}  // namespace internal
}  // namespace brook
