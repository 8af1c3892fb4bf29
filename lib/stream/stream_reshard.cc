// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// Resharding of the in-process stream: SplitShard, MergeShards and
// UpdateShardCount (planned once, see reshard_plan.h), and recording each in
// the stream's metadata before any record reaches a child.

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "stream/reshard_plan.h"
#include "stream/sequence.h"
#include "stream/stream_impl.h"
#include "stream/stream_meta.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

absl::Status StreamImpl::CheckReshardable(absl::string_view operation) {
  if (read_only_) {
    return absl::FailedPreconditionError(absl::StrCat(
        operation, ": stream directory ", dir_, " is open read-only"));
  }
  MutexLock lock(&close_mu_);
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation, ": stream ", options_.name, " is closed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ShardImpl*> StreamImpl::FindOpenShardLocked(
    absl::string_view shard_id, absl::string_view operation) {
  BROOK_RETURN_IF_ERROR(CheckReshardable(operation));
  absl::StatusOr<ShardImpl*> shard = FindShardLocked(shard_id);
  if (!shard.ok()) {
    return absl::NotFoundError(
        absl::StrCat(operation, ": ", shard.status().message()));
  }
  if (!(*shard)->is_open()) {
    return absl::FailedPreconditionError(absl::StrCat(
        operation, ": shard ", shard_id, " of stream ", options_.name,
        " is closed: it was already split or merged"));
  }
  return *shard;
}

absl::Status StreamImpl::SplitShard(absl::string_view shard_to_split,
                                    absl::string_view new_starting_hash_key) {
  MutexLock reshard(&reshard_mu_);
  MutexLock lock(&topology_mu_);
  absl::StatusOr<ShardImpl*> parent =
      FindOpenShardLocked(shard_to_split, "SplitShard");
  if (!parent.ok()) return parent.status();
  absl::StatusOr<HashKey> key = ParseHashKey(new_starting_hash_key);
  if (!key.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SplitShard: new starting ", key.status().message()));
  }
  return SplitLocked(*parent, *key);
}

void StreamImpl::AutoSplit(ShardImpl* shard, const SplitDecision& decision,
                           int64_t now_millis) {
  AutoSplitEvent event;
  event.at_millis = now_millis;
  event.shard_id = shard->id();
  event.bytes_per_second = decision.bytes_per_second;
  event.hash_key = decision.key;
  if (decision.kind == SplitDecision::Kind::kHotKey) {
    event.outcome = AutoSplitOutcome::kHotKey;
    event.share_percent = decision.share_percent;
  } else {
    // SplitShard()'s path, with the key as a number.
    MutexLock reshard(&reshard_mu_);
    MutexLock lock(&topology_mu_);
    absl::StatusOr<ShardImpl*> parent =
        FindOpenShardLocked(shard->id(), "SplitShard");
    absl::Status s =
        parent.ok() ? SplitLocked(*parent, decision.key) : parent.status();
    if (s.ok()) {
      event.outcome = AutoSplitOutcome::kSplit;
      const size_t n = shards_.size();
      event.child_shard_ids = {shards_[n - 2]->id(), shards_[n - 1]->id()};
    } else {
      event.outcome = AutoSplitOutcome::kFailed;
      event.status = absl::Status(
          s.code(),
          absl::StrCat("automatic split of ", shard->id(), " of stream ",
                       options_.name, ": ", s.message()));
    }
  }
  MutexLock lock(&auto_split_mu_);
  auto_split_events_.push_back(std::move(event));
  constexpr size_t kKeptEvents = 64;
  if (auto_split_events_.size() > kKeptEvents) auto_split_events_.pop_front();
}

std::vector<AutoSplitEvent> StreamImpl::AutoSplitEvents() const {
  MutexLock lock(&auto_split_mu_);
  return {auto_split_events_.begin(), auto_split_events_.end()};
}

absl::Status StreamImpl::SplitLocked(ShardImpl* parent, HashKey key) {
  const HashKeyRange range = parent->hash_key_range();
  // Kinesis's rule: start + 1 < key < end.
  if (!(range.starting_hash_key + 1 < key && key < range.ending_hash_key)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "SplitShard: new starting hash key ", HashKeyToString(key),
        " on shard ", parent->id(), " of stream ", options_.name,
        " is not both greater than one plus the shard's starting hash key ",
        HashKeyToString(range.starting_hash_key),
        " and less than its ending hash key ",
        HashKeyToString(range.ending_hash_key)));
  }
  const uint32_t low_number = static_cast<uint32_t>(shards_.size());
  BROOK_RETURN_IF_ERROR(PrepareChildren(low_number, 2));
  const uint64_t start = parent->StopAppends();
  const HashKeyRange low_range{range.starting_hash_key, key - 1};
  const HashKeyRange high_range{key, range.ending_hash_key};
  const std::vector<std::string> parents = {parent->id()};
  absl::Status persisted = PersistReshardLocked(
      {{parent, start}},
      {ShardMetaOf(low_number, low_range, start, parents),
       ShardMetaOf(low_number + 1, high_range, start, parents)});
  if (!persisted.ok()) {
    parent->ResumeAppends();
    return persisted;
  }
  ShardImpl* low = AddShardLocked(low_range, start, parents);
  ShardImpl* high = AddShardLocked(high_range, start, parents);
  parent->Close(
      {{low->id(), parents, low_range}, {high->id(), parents, high_range}});
  RebuildRoutingLocked();
  return absl::OkStatus();
}

absl::Status StreamImpl::PrepareChildren(uint32_t first, uint32_t count) {
  // The children exist on disk before any record can reach them.
  if (durable_ == nullptr) return absl::OkStatus();
  return durable_->PrepareShards(first, count);
}

absl::Status StreamImpl::PersistReshardLocked(
    const std::vector<std::pair<ShardImpl*, uint64_t>>& closing,
    const std::vector<proto::ShardMeta>& added) {
  MutexLock lock(&close_mu_);
  if (closed_) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream ", options_.name, ": closed"));
  }
  proto::StreamMeta next = meta_;
  for (const auto& [shard, end_position] : closing) {
    proto::ShardMeta* m =
        next.mutable_shards(static_cast<int>(shard->number()));
    m->set_closed(true);
    m->set_end_position(end_position);
  }
  for (const proto::ShardMeta& m : added) *next.add_shards() = m;
  if (durable_ != nullptr) {
    BROOK_RETURN_IF_ERROR(WriteStreamMeta(env_, dir_, next));
    // Followers re-read STREAM (FOLLOW's change counter).
    durable_->StreamChanged(static_cast<uint32_t>(next.shards_size()));
  }
  meta_ = std::move(next);
  return absl::OkStatus();
}

absl::Status StreamImpl::MergeShards(
    absl::string_view shard_to_merge,
    absl::string_view adjacent_shard_to_merge) {
  MutexLock reshard(&reshard_mu_);
  MutexLock lock(&topology_mu_);
  absl::StatusOr<ShardImpl*> first =
      FindOpenShardLocked(shard_to_merge, "MergeShards");
  if (!first.ok()) return first.status();
  absl::StatusOr<ShardImpl*> second =
      FindOpenShardLocked(adjacent_shard_to_merge, "MergeShards");
  if (!second.ok()) return second.status();
  return MergeLocked(*first, *second);
}

absl::Status StreamImpl::MergeLocked(ShardImpl* first, ShardImpl* second) {
  const HashKeyRange a = first->hash_key_range();
  const HashKeyRange b = second->hash_key_range();
  const bool adjacent =
      first != second && ((a.ending_hash_key != absl::Uint128Max() &&
                           a.ending_hash_key + 1 == b.starting_hash_key) ||
                          (b.ending_hash_key != absl::Uint128Max() &&
                           b.ending_hash_key + 1 == a.starting_hash_key));
  if (!adjacent) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MergeShards: shards ", first->id(), " and ", second->id(),
        " of stream ", options_.name,
        " are not an adjacent pair of shards eligible for merging"));
  }
  BROOK_RETURN_IF_ERROR(
      PrepareChildren(static_cast<uint32_t>(shards_.size()), 1));
  const uint64_t first_end = first->StopAppends();
  const uint64_t second_end = second->StopAppends();
  const uint64_t start = std::max(first_end, second_end);
  const HashKeyRange range{std::min(a.starting_hash_key, b.starting_hash_key),
                           std::max(a.ending_hash_key, b.ending_hash_key)};
  const std::vector<std::string> parents = {first->id(), second->id()};
  absl::Status persisted =
      PersistReshardLocked({{first, first_end}, {second, second_end}},
                           {ShardMetaOf(static_cast<uint32_t>(shards_.size()),
                                        range, start, parents)});
  if (!persisted.ok()) {
    first->ResumeAppends();
    second->ResumeAppends();
    return persisted;
  }
  ShardImpl* child = AddShardLocked(range, start, parents);
  const ChildShard c{child->id(), parents, range};
  first->Close({c});
  second->Close({c});
  RebuildRoutingLocked();
  return absl::OkStatus();
}

absl::Status StreamImpl::UpdateShardCount(
    int target_shard_count, const UpdateShardCountOptions& options) {
  if (target_shard_count < 1 || target_shard_count > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("UpdateShardCount: target shard count must be 1 to "
                     "10000, got ",
                     target_shard_count));
  }
  // Only reshards change the topology, so the plan made from this snapshot
  // still holds at the switch; producers keep routing meanwhile.
  MutexLock reshard(&reshard_mu_);
  BROOK_RETURN_IF_ERROR(CheckReshardable("UpdateShardCount"));
  std::shared_ptr<const RoutingTable> routing;
  uint32_t next_number;
  {
    MutexLock lock(&topology_mu_);
    routing = routing_;
    next_number = static_cast<uint32_t>(shards_.size());
  }
  const int64_t open_count = static_cast<int64_t>(routing->shards_.size());
  if (options.kinesis_scaling_limits) {
    if (target_shard_count > 2 * open_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("UpdateShardCount: target ", target_shard_count,
                       " is more than double the ", open_count,
                       " open shards of stream ", options_.name));
    }
    if (2 * int64_t{target_shard_count} < open_count) {
      return absl::InvalidArgumentError(
          absl::StrCat("UpdateShardCount: target ", target_shard_count,
                       " is less than half the ", open_count,
                       " open shards of stream ", options_.name));
    }
  }
  std::vector<OpenShard> open;
  open.reserve(routing->shards_.size());
  for (const ShardImpl* shard : routing->shards_) {
    open.push_back({shard->number(), shard->hash_key_range()});
  }
  const ReshardPlan plan =
      PlanUniformReshard(open, next_number, target_shard_count);
  if (plan.steps.empty()) return absl::OkStatus();
  BROOK_RETURN_IF_ERROR(PrepareChildren(
      next_number, static_cast<uint32_t>(plan.new_ranges.size())));
  MutexLock lock(&topology_mu_);
  return ApplyReshardLocked(plan);
}

absl::Status StreamImpl::ApplyReshardLocked(const ReshardPlan& plan) {
  const uint32_t first_new = plan.first_new_shard;
  assert(first_new == shards_.size());
  const size_t new_count = plan.new_ranges.size();
  // Stop the existing parents, then give each child the position after its
  // parents' last records: a split's children start at their parent's end, a
  // merge's child at the later of its parents' ends. A new shard that a later
  // step consumes never took a record, so it ends where it starts.
  std::vector<uint64_t> new_start(new_count);
  std::vector<bool> consumed(new_count, false);
  std::vector<std::pair<ShardImpl*, uint64_t>> closing;
  for (const ReshardStep& step : plan.steps) {
    uint64_t start = 0;
    for (int i = 0; i < step.parent_count(); ++i) {
      const uint32_t number = step.parents[i];
      uint64_t end;
      if (number >= first_new) {
        end = new_start[number - first_new];
        consumed[number - first_new] = true;
      } else {
        ShardImpl* parent = shards_[number].get();
        end = parent->StopAppends();
        closing.emplace_back(parent, end);
      }
      start = std::max(start, end);
    }
    for (int i = 0; i < step.child_count(); ++i) {
      new_start[step.first_child + i - first_new] = start;
    }
  }
  const auto parent_ids = [](const ReshardStep& step) {
    std::vector<std::string> ids;
    for (int i = 0; i < step.parent_count(); ++i) {
      ids.push_back(ShardIdFromNumber(step.parents[i]));
    }
    return ids;
  };
  std::vector<proto::ShardMeta> added;
  added.reserve(new_count);
  for (const ReshardStep& step : plan.steps) {
    const std::vector<std::string> parents = parent_ids(step);
    for (int i = 0; i < step.child_count(); ++i) {
      const uint32_t number = step.first_child + static_cast<uint32_t>(i);
      const size_t k = number - first_new;
      added.push_back(
          ShardMetaOf(number, plan.new_ranges[k], new_start[k], parents));
      if (consumed[k]) {
        added.back().set_closed(true);
        added.back().set_end_position(new_start[k]);
      }
    }
  }
  absl::Status persisted = PersistReshardLocked(closing, added);
  if (!persisted.ok()) {
    for (const auto& [parent, end] : closing) parent->ResumeAppends();
    return persisted;
  }
  // The switch: children first, so that no reader sees a closed shard
  // without its children.
  for (const ReshardStep& step : plan.steps) {
    std::vector<std::string> parents = parent_ids(step);
    for (int i = 0; i < step.child_count(); ++i) {
      const size_t k = step.first_child + static_cast<size_t>(i) - first_new;
      AddShardLocked(plan.new_ranges[k], new_start[k], parents);
    }
  }
  for (const ReshardStep& step : plan.steps) {
    const std::vector<std::string> parents = parent_ids(step);
    std::vector<ChildShard> children;
    for (int i = 0; i < step.child_count(); ++i) {
      const uint32_t number = step.first_child + static_cast<uint32_t>(i);
      children.push_back({ShardIdFromNumber(number), parents,
                          plan.new_ranges[number - first_new]});
    }
    for (int i = 0; i < step.parent_count(); ++i) {
      ShardImpl* parent = shards_[step.parents[i]].get();
      if (step.parents[i] >= first_new) parent->StopAppends();
      parent->Close(i + 1 < step.parent_count() ? children
                                                : std::move(children));
    }
  }
  RebuildRoutingLocked();
  return absl::OkStatus();
}

}  // namespace internal
}  // namespace brook
