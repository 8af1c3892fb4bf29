// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A read-only stream that follows its writer (see `OpenMode::kReadOnly`):
// the topology (STREAM re-read when FOLLOW's change counter moves) and the
// durable ends GetRecordsOptions::durable_only caps reads at. The shards'
// side is in shard_follow.cc.

#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "store/follow_file.h"
#include "stream/stream_impl.h"
#include "stream/stream_meta.h"
#include "util/shard_id.h"

namespace brook {
namespace internal {

namespace {

HashKeyRange RangeOf(const proto::ShardMeta& s) {
  return HashKeyRange{
      absl::MakeUint128(s.range().starting_high(), s.range().starting_low()),
      absl::MakeUint128(s.range().ending_high(), s.range().ending_low())};
}

std::vector<std::string> ParentsOf(const proto::ShardMeta& s) {
  std::vector<std::string> parents;
  if (!s.parent_shard_id().empty()) parents.push_back(s.parent_shard_id());
  if (!s.adjacent_parent_shard_id().empty()) {
    parents.push_back(s.adjacent_parent_shard_id());
  }
  return parents;
}

}  // namespace

uint64_t StreamImpl::DurableEnd(uint32_t number) const {
  if (durable_ == nullptr) return 0;
  if (!read_only_) return durable_->SyncedPosition(number);
  if (FollowFile* f = durable_->FollowForReading()) {
    return f->Read(number).durable_end;
  }
  // No writer of this version has published anything: a cleanly closed
  // directory was synced whole, anything else may not have been.
  MutexLock lock(&report_mu_);
  return report_.clean_shutdown ? std::numeric_limits<uint64_t>::max() : 0;
}

void StreamImpl::FollowTopology() const {
  if (!following_) return;
  FollowFile* const file = durable_->FollowForReading();
  const uint64_t counter = file != nullptr ? file->change_counter() : 0;
  // The common case (every read and wait of a follower): nothing changed.
  if (counter == follow_change_done_.load(std::memory_order_acquire)) return;
  MutexLock follow_lock(&follow_mu_);
  if (counter == follow_change_) return;
  // The counter is read before STREAM, so a change after this read is seen
  // at the next call.
  absl::StatusOr<proto::StreamMeta> meta = ReadStreamMeta(env_, dir_);
  if (!meta.ok()) return;  // (being replaced, or damaged): try again later
  follow_change_ = counter;

  auto* self = const_cast<StreamImpl*>(this);
  self->retention_period_millis_.store(
      meta->options().retention_period_millis(), std::memory_order_release);
  self->retention_bytes_.store(meta->options().retention_bytes(),
                               std::memory_order_release);
  if (meta->has_expired_before_millis()) {
    self->expired_before_millis_.store(meta->expired_before_millis(),
                                       std::memory_order_release);
  }

  // The shards a reshard added, as AdoptMeta() builds them.
  size_t known;
  {
    MutexLock topology(&self->topology_mu_);
    for (int i = static_cast<int>(self->shards_.size());
         i < meta->shards_size(); ++i) {
      const proto::ShardMeta& m = meta->shards(i);
      std::vector<std::string> parents = ParentsOf(m);
      bool parents_known = m.number() == static_cast<uint32_t>(i);
      for (const std::string& p : parents) {
        parents_known = parents_known && self->FindShardLocked(p).ok();
      }
      if (!parents_known) break;  // damaged: the open checks would refuse it
      ShardImpl* shard =
          self->AddShardLocked(RangeOf(m), m.start_position(), parents);
      durable_->AddShard(m.number());
      shard->Seal();
      auto lazy = std::make_unique<LazyShard>();
      lazy->expect.start_position = m.start_position();
      lazy->expect.writer_may_be_live = true;
      self->lazy_.push_back(std::move(lazy));
    }
    known = self->shards_.size();
  }

  // Parents the reshard closed: at their end, readers get the children.
  const std::vector<ShardImpl*> shards = SnapshotShards();
  for (size_t i = 0; i < known && i < static_cast<size_t>(meta->shards_size());
       ++i) {
    const proto::ShardMeta& m = meta->shards(static_cast<int>(i));
    ShardImpl* const shard = shards[i];
    if (!m.closed() || !shard->is_open()) continue;
    std::vector<ChildShard> children;
    for (size_t j = i + 1; j < known; ++j) {
      const proto::ShardMeta& c = meta->shards(static_cast<int>(j));
      std::vector<std::string> parents = ParentsOf(c);
      for (const std::string& p : parents) {
        if (p == shard->id()) {
          children.push_back(
              {ShardIdFromNumber(c.number()), parents, RangeOf(c)});
          break;
        }
      }
    }
    LazyShard* const lazy = Lazy(static_cast<uint32_t>(i));
    bool recovered = true;
    if (lazy != nullptr) {
      MutexLock lazy_lock(&lazy->mu);
      if (!lazy->recovered.load(std::memory_order_relaxed)) {
        // Not read yet: it ends where STREAM says, as at open.
        recovered = false;
        lazy->expect.closed = true;
        lazy->expect.end_position = m.end_position();
        shard->Recover({}, m.end_position());
        shard->StopAppends();
        shard->Close(std::move(children));
      }
    }
    if (recovered) shard->FollowClose(m.end_position(), std::move(children));
  }
  {
    MutexLock topology(&self->topology_mu_);
    self->RebuildRoutingLocked();
  }
  follow_change_done_.store(counter, std::memory_order_release);
}

}  // namespace internal
}  // namespace brook
