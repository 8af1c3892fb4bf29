// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// UpdateShardCount's plan: the splits and merges that take a stream's open
// shards to uniform ranges, computed on shard ranges alone before anything is
// changed, so that the stream can record and switch them all at once.
//
// Thread safety: a pure function of its arguments.

#ifndef BROOK_LIB_STREAM_RESHARD_PLAN_H_
#define BROOK_LIB_STREAM_RESHARD_PLAN_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"

#include "brook/partitioner.h"

namespace brook {
namespace internal {

// One split or merge of a plan.
struct ReshardStep {
  // A split has one parent and two children, `first_child` (the low half) and
  // `first_child + 1`; a merge has two parents, `parents[0]` the shard to
  // merge and `parents[1]` the adjacent shard, and one child `first_child`.
  bool merge = false;
  uint32_t parents[2] = {0, 0};
  uint32_t first_child = 0;

  int parent_count() const { return merge ? 2 : 1; }
  int child_count() const { return merge ? 1 : 2; }
};

struct ReshardPlan {
  // The first new shard's number; new shards are numbered on from it.
  uint32_t first_new_shard = 0;
  // Range of new shard `first_new_shard + i`.
  std::vector<HashKeyRange> new_ranges;
  // In the order they are made; every parent is open when its step is made
  // (an existing shard, or a new one no earlier step consumed), and every new
  // shard is the child of exactly one step.
  std::vector<ReshardStep> steps;
};

// An open shard the plan starts from.
struct OpenShard {
  uint32_t number;
  HashKeyRange range;
};

// PlanUniformReshard()
//
// Plans the splits and merges that leave `target_shard_count` open shards with
// the ranges of `UniformHashKeyRanges(target_shard_count)`, as Kinesis's
// UpdateShardCount does: first every target boundary that does not yet start
// an open shard is made to, by a split where Kinesis's split rule allows (the
// key is above start + 1 and below end), otherwise by merging the shard with
// its neighbour (the boundary is the shard's last key, or one past its first)
// and trying again; then the shards within each target range are merged from
// its low end. New shards are numbered from `next_shard_number`.
// Complexity: O((n + m) log n) for n open shards and m steps.
// REQUIRES: `open` tiles the hash key space; 1 <= target_shard_count.
ReshardPlan PlanUniformReshard(absl::Span<const OpenShard> open,
                               uint32_t next_shard_number,
                               int target_shard_count);

}  // namespace internal
}  // namespace brook

#endif  // BROOK_LIB_STREAM_RESHARD_PLAN_H_
