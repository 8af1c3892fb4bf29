// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// A shard's side of retention: dropping its oldest segments by age
// (TrimBefore*(), with the lock-free floor check) and by size (DropOldest(),
// which stream_retention.cc drives across shards).

#include <cstdint>
#include <limits>
#include <memory>
#include <utility>

#include "stream/shard_impl.h"
#include "stream/stream_impl.h"

namespace brook {
namespace internal {

int64_t ShardImpl::TrimBefore(int64_t cutoff_millis) {
  MutexLock lock(&append_mu_);
  return TrimBeforeLocked(cutoff_millis);
}

int64_t ShardImpl::TryTrimBefore(int64_t cutoff_millis) const {
  // Retention changes what is stored, not what the shard is; readers apply
  // it too, so a shard nobody writes to still lets go of expired segments.
  if (cutoff_millis <= trim_floor_millis_.load(std::memory_order_acquire)) {
    return 0;  // nothing old enough: no lock
  }
  auto* self = const_cast<ShardImpl*>(this);
  if (!self->append_mu_.TryLock()) return 0;
  const int64_t records = self->TrimBeforeLocked(cutoff_millis);
  self->append_mu_.Unlock();
  return records;
}

int64_t ShardImpl::TrimBeforeLocked(int64_t cutoff_millis) {
  if (cutoff_millis <= trim_floor_millis_.load(std::memory_order_acquire)) {
    return 0;  // nothing old enough: no lock
  }
  int64_t records = 0;
  MutexLock lock(&mu_);
  while (!segments_.empty() &&
         segments_.front()->last_arrival_millis < cutoff_millis) {
    const Segment& front = *segments_.front();
    records += static_cast<int64_t>(front.end_position - front.base_position());
    RemoveFrontLocked();
  }
  // An unindexed segment's last arrival is an upper bound (INT64_MAX) that
  // indexing lowers: no floor from it.
  trim_floor_millis_.store(!segments_.empty() && segments_.front()->indexed
                               ? segments_.front()->last_arrival_millis
                               : std::numeric_limits<int64_t>::min(),
                           std::memory_order_release);
  return records;
}

int64_t ShardImpl::RemoveFrontLocked() {
  std::shared_ptr<Segment> front = std::move(segments_.front());
  segments_.pop_front();
  trim_position_ = front->end_position;
  store_->Published(number_, end_position_, trim_position_);
  const int64_t bytes = static_cast<int64_t>(front->end_offset);
  // Readers look at an index only under `mu_`, and only of segments in
  // `segments_`: the dropped segment's index can be reused by the next roll
  // (ReserveIndex()). The larger of the two is kept.
  if (front->batches.capacity() > spare_index_.capacity()) {
    std::swap(spare_index_, front->batches);
    spare_index_.clear();
  }
  stream_->Release(bytes);
  store_->Remove(std::move(front));
  return bytes;
}

bool ShardImpl::OldestDroppable(int64_t* first_arrival_millis) const {
  MutexLock lock(&mu_);
  if (segments_.size() < DroppableFromLocked()) return false;
  *first_arrival_millis = segments_.front()->first_arrival_millis;
  return true;
}

int64_t ShardImpl::DropOldest() {
  MutexLock lock(&mu_);
  if (segments_.size() < DroppableFromLocked()) return 0;
  return RemoveFrontLocked();
}

size_t ShardImpl::SegmentCountForTesting() const {
  MutexLock lock(&mu_);
  return segments_.size();
}

size_t ShardImpl::DroppableFromLocked() const {
  // Never an open shard's newest segment, which takes the next append; every
  // segment of a closed shard is sealed.
  return closed_ ? 1 : 2;
}

}  // namespace internal
}  // namespace brook
