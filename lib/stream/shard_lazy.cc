// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The shard's side of a lazy read-only recovery (SEGMENT_FORMAT.md): the
// segments that recovery left unopened and unindexed (Segment::opened,
// Segment::indexed) are opened and walked when a reader reaches them, and
// what that finds changes the shard's view: damage ends the log there, and a
// file that retention removed meanwhile drops out of the view with every
// older one. Searches by arrival time open only the segments they probe.

#include <algorithm>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "stream/shard_impl.h"
#include "stream/stream_impl.h"

namespace brook {
namespace internal {

// The analysis cannot see that `self` is `this`, whose mu_ is held. Readers
// index as they go, so a const reader changes what is published, as
// Follow() does.
absl::Status ShardImpl::LostLocked(Segment& segment, absl::Status status) const
    ABSL_NO_THREAD_SAFETY_ANALYSIS {
  std::deque<std::shared_ptr<Segment>>& segments =
      const_cast<ShardImpl*>(this)->segments_;
  uint64_t& trim = const_cast<ShardImpl*>(this)->trim_position_;
  uint64_t& end = const_cast<ShardImpl*>(this)->end_position_;
  trim_floor_millis_.store(std::numeric_limits<int64_t>::min(),
                           std::memory_order_release);
  if (absl::IsNotFound(status)) {
    // Dropped by retention: so was every older segment.
    auto it = std::find_if(
        segments.begin(), segments.end(),
        [&](const std::shared_ptr<Segment>& s) { return s.get() == &segment; });
    if (it == segments.end()) return status;
    const uint64_t dropped_end = segment.end_position;
    for (auto s = segments.begin(); s != std::next(it); ++s) {
      stream_->Release(static_cast<int64_t>((*s)->end_offset));
    }
    segments.erase(segments.begin(), std::next(it));
    trim = std::max(trim, dropped_end);
    end = std::max(end, trim);
    return status;
  }
  // Damage (listed in the recovery report): the log ends where it starts,
  // as after a read-only recovery that walked every segment, a follower
  // follows no further, and readers reaching the end get the error.
  index_damaged_ = true;
  if (index_error_.ok()) index_error_ = status;
  while (!segments.empty() &&
         (segments.back().get() != &segment ||
          segment.end_position == segment.base_position())) {
    const bool last = segments.back().get() == &segment;
    stream_->Release(static_cast<int64_t>(segments.back()->end_offset));
    segments.pop_back();
    if (last) break;
  }
  end = std::max(trim, segment.end_position);
  return status;
}

absl::Status ShardImpl::OpenLocked(Segment& segment) const {
  return segment.opened ? absl::OkStatus() : LoadLocked(segment, false);
}

absl::Status ShardImpl::IndexLocked(Segment& segment) const {
  return segment.indexed ? absl::OkStatus() : LoadLocked(segment, true);
}

absl::Status ShardImpl::LoadLocked(Segment& segment, bool index) const {
  const std::shared_ptr<Segment> hold = segment.shared_from_this();
  const int64_t counted = static_cast<int64_t>(segment.end_offset);
  const absl::Status status = index
                                  ? store_->IndexSegment(segment, &index_found_)
                                  : store_->OpenSegment(segment, &index_found_);
  stream_->Adopt(static_cast<int64_t>(segment.end_offset) - counted);
  return status.ok() ? status : LostLocked(segment, status);
}

absl::Status ShardImpl::ReachLocked(Segment& segment) const {
  const absl::Status status = IndexLocked(segment);
  return absl::IsNotFound(status) ? status : absl::OkStatus();
}

void ShardImpl::IndexAll(RecoveryReport* found) {
  MutexLock lock(&mu_);
  // Damage cuts segments_ short and a vanished file drops the front: start
  // over after either (every pass indexes one more, or stops).
  for (size_t i = 0; i < segments_.size();) {
    if (segments_[i]->indexed) {
      ++i;
      continue;
    }
    if (!IndexLocked(*segments_[i]).ok()) i = 0;
  }
  found->scanned_segments += index_found_.scanned_segments;
  found->scanned_batches += index_found_.scanned_batches;
  found->scanned_records += index_found_.scanned_records;
  found->scanned_bytes += index_found_.scanned_bytes;
  found->checksummed_bytes += index_found_.checksummed_bytes;
  for (RecoveryReport::Problem& p : index_found_.problems) {
    found->problems.push_back(std::move(p));
  }
  index_found_ = RecoveryReport();
}

uint64_t ShardImpl::FirstArrivedAtLocked(int64_t millis,
                                         absl::Status* error) const {
  // Arrival times never decrease within a shard: the first segment whose
  // first record arrived at or after `millis`, by a binary search that
  // opens only the segments it probes (a first arrival is in the first
  // frame's header). Records arriving at or after `millis` before it can
  // only be in the segment just before it, the one segment indexed.
  size_t lo = 0;
  size_t hi = segments_.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    const std::shared_ptr<Segment> probe = segments_[mid];
    *error = OpenLocked(*probe);
    if (!error->ok()) return probe->base_position();
    if (probe->first_arrival_millis >= millis) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  if (lo > 0) {
    const std::shared_ptr<Segment> before = segments_[lo - 1];
    *error = IndexLocked(*before);
    if (!error->ok()) return before->base_position();
    const std::vector<BatchIndexEntry>& batches = before->batches;
    auto batch = std::lower_bound(batches.begin(), batches.end(), millis,
                                  [](const BatchIndexEntry& b, int64_t t) {
                                    return b.arrival_millis < t;
                                  });
    if (batch != batches.end()) return batch->first_position;
  }
  return lo < segments_.size() ? segments_[lo]->base_position() : end_position_;
}

uint64_t ShardImpl::ReadStartLocked(uint64_t position, int64_t now_millis,
                                    absl::Status* error) const {
  // Nothing at or past the end has expired (the horizon is at most the end).
  if (position >= end_position_) return position;
  if (segments_.empty()) return std::max(position, trim_position_);
  // Nor anything at or after a segment whose first record has not: then
  // only the segment holding `position` is looked at, which the read opens
  // anyway.
  const std::shared_ptr<Segment> holding = segments_[FindSegmentLocked(
      std::max(position, segments_.front()->base_position()))];
  *error = OpenLocked(*holding);
  if (!error->ok()) return position;
  if (holding->first_arrival_millis >= stream_->RetentionCutoff(now_millis)) {
    return std::max(position, trim_position_);
  }
  return std::max(position, HorizonLocked(now_millis, error));
}

}  // namespace internal
}  // namespace brook
