// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "stream/reshard_plan.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <map>

namespace brook {
namespace internal {
namespace {

// The open shards while a plan is made, by starting hash key.
class Planner {
 public:
  Planner(absl::Span<const OpenShard> open, uint32_t next_shard_number) {
    plan_.first_new_shard = next_shard_number;
    for (const OpenShard& s : open) {
      open_.emplace_hint(open_.end(), s.range.starting_hash_key, s);
    }
  }

  // The open shard holding `key`.
  const OpenShard& Route(HashKey key) const {
    auto it = open_.upper_bound(key);
    assert(it != open_.begin());
    return std::prev(it)->second;
  }

  void Split(OpenShard parent, HashKey key) {
    const HashKeyRange& r = parent.range;
    assert(r.starting_hash_key + 1 < key && key < r.ending_hash_key);
    ReshardStep step;
    step.parents[0] = parent.number;
    step.first_child = Add({r.starting_hash_key, key - 1});
    Add({key, r.ending_hash_key});
    open_.erase(r.starting_hash_key);
    Open(step.first_child);
    Open(step.first_child + 1);
    plan_.steps.push_back(step);
  }

  void Merge(OpenShard first, OpenShard second) {
    const HashKeyRange& a = first.range;
    const HashKeyRange& b = second.range;
    ReshardStep step;
    step.merge = true;
    step.parents[0] = first.number;
    step.parents[1] = second.number;
    step.first_child = Add({std::min(a.starting_hash_key, b.starting_hash_key),
                            std::max(a.ending_hash_key, b.ending_hash_key)});
    open_.erase(a.starting_hash_key);
    open_.erase(b.starting_hash_key);
    Open(step.first_child);
    plan_.steps.push_back(step);
  }

  ReshardPlan Finish() { return std::move(plan_); }

 private:
  uint32_t Add(HashKeyRange range) {
    plan_.new_ranges.push_back(range);
    return plan_.first_new_shard +
           static_cast<uint32_t>(plan_.new_ranges.size() - 1);
  }
  void Open(uint32_t number) {
    const HashKeyRange& range =
        plan_.new_ranges[number - plan_.first_new_shard];
    open_.emplace(range.starting_hash_key, OpenShard{number, range});
  }

  std::map<HashKey, OpenShard> open_;
  ReshardPlan plan_;
};

}  // namespace

ReshardPlan PlanUniformReshard(absl::Span<const OpenShard> open,
                               uint32_t next_shard_number,
                               int target_shard_count) {
  const std::vector<HashKeyRange> target =
      UniformHashKeyRanges(target_shard_count);
  Planner p(open, next_shard_number);
  // First make every target boundary the start of an open shard, splitting
  // where Kinesis's rule allows; a boundary at a shard's last key (or just
  // past its first) is made splittable by merging with the neighbour first.
  for (size_t i = 1; i < target.size(); ++i) {
    const HashKey boundary = target[i].starting_hash_key;
    for (;;) {
      const OpenShard shard = p.Route(boundary);
      const HashKeyRange r = shard.range;
      if (r.starting_hash_key == boundary) break;
      if (r.starting_hash_key + 1 < boundary && boundary < r.ending_hash_key) {
        p.Split(shard, boundary);
      } else if (boundary == r.ending_hash_key) {
        p.Merge(shard, p.Route(r.ending_hash_key + 1));
      } else {
        p.Merge(p.Route(r.starting_hash_key - 1), shard);
      }
    }
  }
  // ...then merge neighbours that fall in the same target range.
  for (const HashKeyRange& want : target) {
    for (;;) {
      const OpenShard low = p.Route(want.starting_hash_key);
      if (low.range.ending_hash_key >= want.ending_hash_key) break;
      p.Merge(low, p.Route(low.range.ending_hash_key + 1));
    }
  }
  return p.Finish();
}

}  // namespace internal
}  // namespace brook
