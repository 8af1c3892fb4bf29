// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// The shard's follower side: a read-only stream that follows its writer (see
// `OpenMode::kReadOnly`) brings each shard's view up to what the writer
// published in FOLLOW (lib/store/follow_file.h), and waits for it on the
// writer's notify futex.

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include "store/batch_format.h"
#include "store/follow_file.h"
#include "stream/shard_impl.h"
#include "stream/stream_impl.h"
#include "util/spin.h"

namespace brook {
namespace internal {

namespace {

constexpr uint64_t kNoCap = std::numeric_limits<uint64_t>::max();
// The longest a follower sleeps before it looks at the Env clock again (a
// `ManualClockEnv` deadline passes without real time passing).
constexpr absl::Duration kLongestSleep = absl::Milliseconds(50);

}  // namespace

void ShardImpl::Republish() const {
  MutexLock lock(&mu_);
  store_->Published(number_, end_position_, trim_position_);
}

void ShardImpl::AdoptFollowed(const std::shared_ptr<Segment>& segment,
                              bool is_new, const CommittedFrames& frames) {
  MutexLock lock(&mu_);
  Segment& s = *segment;
  if (s.batches.empty()) s.first_arrival_millis = frames.first_arrival_millis;
  s.last_arrival_millis = frames.last_arrival_millis;
  s.batches.insert(s.batches.end(), frames.batches.begin(),
                   frames.batches.end());
  stream_->Adopt(static_cast<int64_t>(frames.end_offset - s.end_offset));
  s.end_offset = frames.end_offset;
  s.end_position = frames.end_position;
  if (is_new) segments_.push_back(segment);
  end_position_ = frames.end_position;
  if (wake_.waiters.load(std::memory_order_relaxed) > 0) WakeWaiters();
}

void ShardImpl::FollowTrim(uint64_t trim) {
  // The view's trim only moves forward: one already applied changes nothing
  // (checked without mu_, which every reader takes).
  if (trim <= follow_trim_applied_) return;
  follow_trim_applied_ = trim;
  MutexLock lock(&mu_);
  if (trim <= trim_position_) return;
  while (!segments_.empty() && segments_.front()->end_position <= trim) {
    stream_->Release(static_cast<int64_t>(segments_.front()->end_offset));
    segments_.pop_front();
  }
  trim_position_ =
      segments_.empty()
          ? trim
          : std::max(trim_position_, segments_.front()->base_position());
  if (end_position_ < trim_position_) end_position_ = trim_position_;
}

void ShardImpl::MaybeFollowClose() {
  if (!follow_closing_) return;
  {
    MutexLock lock(&mu_);
    if (closed_ || end_position_ < follow_close_end_) return;
  }
  follow_closing_ = false;
  StopAppends();
  Close(std::move(follow_children_));
}

void ShardImpl::FollowClose(uint64_t end_position,
                            std::vector<ChildShard> children) {
  {
    MutexLock lock(&follow_mu_);
    follow_closing_ = true;
    follow_close_end_ = end_position;
    follow_children_ = std::move(children);
  }
  Follow().IgnoreError();  // catches up, and closes if it reached the end
}

void ShardImpl::FollowCapRecovered(bool damaged) {
  {
    MutexLock follow_lock(&follow_mu_);
    follow_damaged_ = damaged;
  }
  MmapSegmentStore* const store = stream_->durable_store();
  FollowFile* const file = store->FollowForReading();
  if (file == nullptr) return;
  const uint64_t cap =
      std::max(file->Read(number_).published_end, start_position_);
  MutexLock lock(&mu_);
  trim_floor_millis_.store(std::numeric_limits<int64_t>::min(),
                           std::memory_order_release);
  while (end_position_ > cap && !segments_.empty()) {
    const std::shared_ptr<Segment> hold = segments_.back();
    Segment& s = *hold;
    if (s.base_position() < cap && !IndexLocked(s).ok()) continue;  // cut
    if (s.base_position() >= cap) {
      stream_->Release(static_cast<int64_t>(s.end_offset));
      segments_.pop_back();
      end_position_ = segments_.empty() ? cap : segments_.back()->end_position;
      continue;
    }
    while (!s.batches.empty() && s.batches.back().first_position >= cap) {
      const size_t offset = s.batches.back().offset;
      stream_->Release(static_cast<int64_t>(s.end_offset - offset));
      s.end_offset = offset;
      s.end_position = s.batches.back().first_position;
      s.batches.pop_back();
    }
    if (!s.batches.empty())
      s.last_arrival_millis = s.batches.back().arrival_millis;
    end_position_ = s.end_position;
    break;
  }
  end_position_ = std::max(end_position_, trim_position_);
}

absl::Status ShardImpl::Follow() {
  MmapSegmentStore* const store = stream_->durable_store();
  MutexLock follow_lock(&follow_mu_);
  if (follow_damaged_) {
    // Recovery found damage or missing files: the view keeps what precedes
    // them (the recovery report lists them) and follows no further.
    MaybeFollowClose();
    return absl::OkStatus();
  }
  FollowFile* const file = store->FollowForReading();
  uint64_t cap = kNoCap;
  FollowFile::Slot slot;
  if (file != nullptr) {
    slot = file->Read(number_);
    if (follow_caught_up_ && !follow_closing_ &&
        slot.published_end == follow_seen_end_ &&
        slot.trim == follow_seen_trim_) {
      return absl::OkStatus();  // nothing published since the view caught up
    }
    cap = std::max(slot.published_end, start_position_);
    FollowTrim(std::min(slot.trim, cap));
  }
  follow_caught_up_ = false;
  bool reached = false;  // the view's end reached the published end
  // Each pass takes the frames of one segment; a burst of rolls takes a few.
  for (int pass = 0; pass < 64; ++pass) {
    std::shared_ptr<Segment> tail;
    uint64_t end;
    size_t tail_offset = 0;
    {
      MutexLock lock(&mu_);
      if (index_damaged_) break;  // see follow_damaged_ above
      end = end_position_;
      if (!segments_.empty() && segments_.back()->end_position == end) {
        tail = segments_.back();
        tail_offset = tail->end_offset;
      }
    }
    if (end >= cap) {
      reached = true;
      break;
    }
    if (follow_frames_ == nullptr) {
      follow_frames_ = std::make_unique<CommittedFrames>();
    }
    CommittedFrames& frames = *follow_frames_;
    frames.batches.clear();  // keeps its capacity
    if (tail != nullptr) {
      ScanCommitted(tail->data(), tail->capacity(), tail_offset, end, cap,
                    &frames);
      if (!frames.batches.empty()) {
        AdoptFollowed(tail, /*is_new=*/false, frames);
        if (frames.end_position >= cap) {  // the view's end now
          reached = true;
          break;
        }
        continue;
      }
    }
    // The writer rolled: the log continues in <end>.seg.
    absl::StatusOr<std::shared_ptr<Segment>> next =
        store->MapForFollowing(number_, end);
    if (next.ok()) {
      CommittedFrames first;
      ScanCommitted((*next)->data(), (*next)->capacity(), 0, end, cap, &first);
      if (!first.batches.empty()) {
        AdoptFollowed(*next, /*is_new=*/true, first);
        continue;
      }
    }
    if (file == nullptr || !absl::IsNotFound(next.status())) break;
    // Published past `end`, yet nothing continues the log there. Retention
    // may have dropped it since the trim was read above: read it again.
    const uint64_t trim = std::min(file->Read(number_).trim, cap);
    if (trim > end) {
      FollowTrim(trim);
      continue;
    }
    // Else the writer has moved past a frame that fails its checks, or past
    // a missing file, if a later segment exists; if none does, it is an
    // append in progress (or the writer died in it): wait.
    absl::StatusOr<std::vector<uint64_t>> bases =
        store->ListSegmentBases(number_);
    if (!bases.ok()) return bases.status();
    auto later = std::upper_bound(bases->begin(), bases->end(), end);
    if (later != bases->end() && *later < cap) {
      return absl::DataLossError(absl::StrCat(
          id_, ": the log stops at position ", end,
          tail != nullptr && frames.bad
              ? absl::StrCat(" (segment at position ", tail->base_position(),
                             " offset ", tail_offset, ": ", frames.reason, ")")
              : std::string(),
          " but the writer published up to ", cap, " and a segment starts at ",
          *later));
    }
    break;
  }
  if (reached && file != nullptr) {
    follow_caught_up_ = true;
    follow_seen_end_ = slot.published_end;
    follow_seen_trim_ = slot.trim;
  }
  MaybeFollowClose();
  return absl::OkStatus();
}

bool ShardImpl::FollowWait(uint64_t position, int64_t deadline_millis,
                           WaitInterrupt* interrupt) const {
  Env* const env = stream_->env();
  MmapSegmentStore* const store = stream_->durable_store();
  const absl::Duration spin = stream_->fixed_options().wait_spin;
  // Set at the first look that finds nothing: a wait that finds the record
  // at once reads no clock for it.
  absl::Time spin_until = absl::InfinitePast();
  // Set once a look of this wait found the view caught up with the writer's
  // published end (so it is healthy: no damage, nothing it cannot adopt).
  // From then on the writer's slot alone says whether a record at or past
  // `position` is published: the wait returns on it without adopting the
  // frames, which the read that follows does (every read follows first).
  // A spinning wait so returns one cache-line transfer after the writer
  // published, not after checking and indexing the new frames too.
  bool caught_up = false;
  for (;;) {
    FollowFile* const file = store->FollowForReading();
    // Read before looking, so that a publication after the look changes it.
    const uint32_t seen = file != nullptr ? file->notify_value() : 0;
    // Whether the writer's slot shows a record at or past `position`.
    auto published_past = [&](const FollowFile::Slot& slot) {
      return std::max(position, slot.trim) < slot.published_end;
    };
    uint64_t published_end = 0;
    if (file != nullptr) {
      const FollowFile::Slot slot = file->Read(number_);
      if (caught_up && published_past(slot)) return true;
      published_end = slot.published_end;
    }
    stream_->FollowTopology();
    const_cast<ShardImpl*>(this)->Follow().IgnoreError();  // Read() reports it
    {
      MutexLock lock(&mu_);
      if (std::max(position, trim_position_) < end_position_) return true;
      if (closed_) return false;
      caught_up = file != nullptr && end_position_ >= published_end;
    }
    const int64_t now = env->NowMillis();
    if (now >= deadline_millis) return false;
    // Checked once per sleep (at most kLongestSleep).
    if (interrupt != nullptr && interrupt->interrupted()) return false;
    if (file != nullptr && spin > absl::ZeroDuration()) {
      const absl::Time t = absl::Now();
      if (spin_until == absl::InfinitePast()) {
        spin_until = SpinDeadline(env, spin, deadline_millis, t);
      }
      if (t < spin_until) {
        // The slot too: the writer stores it before it raises the notify
        // word, so watching it saves the wake-up one cache-line transfer.
        SpinUntil(spin_until, [&] {
          return file->notify_value() != seen ||
                 (caught_up && published_past(file->Read(number_)));
        });
        continue;
      }
    }
    const absl::Duration left =
        deadline_millis == std::numeric_limits<int64_t>::max()
            ? kLongestSleep
            : absl::Milliseconds(deadline_millis - now);
    const absl::Duration slice = std::min(left, kLongestSleep);
    if (file != nullptr) {
      file->Wait(seen, slice);
    } else {
      // No writer of this version has the directory: poll its files.
      absl::SleepFor(std::min(slice, absl::Milliseconds(10)));
    }
  }
}

}  // namespace internal
}  // namespace brook
