// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MmapSegmentStore's syncs (mmap_segment_store.h): syncing a shard's
// committed frames, the group-commit thread, waits for durability, and the
// sticky background error.

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "store/mmap_store_internal.h"
#include "util/shard_id.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

void MmapSegmentStore::Syncer::Run() {
  Env* const env = store_->options_.env;
  const int64_t millis = store_->options_.group_commit_millis;
  for (;;) {
    const int64_t now = env->NowMillis();
    int64_t next = SaturatingAdd(now, millis);
    if (store_->has_bg_error_.load(std::memory_order_acquire)) {
      next = std::numeric_limits<int64_t>::max();
    } else {
      for (ShardState* shard : store_->States()) {
        uint64_t target = 0;
        {
          MutexLock lock(&shard->mu);
          if (shard->unsynced_bytes == 0) continue;
          const int64_t due =
              SaturatingAdd(shard->unsynced_since_millis, millis);
          if (now < due) {
            next = std::min(next, due);
            continue;
          }
          target = shard->committed_position;
        }
        // A failure becomes the store's sticky error: every later append,
        // sync and wait returns it, and the next pass only waits.
        store_->SyncShardState(*shard, target).IgnoreError();
      }
    }
    MutexLock lock(&mu_);
    while (!stop_ && !wake_.WaitUntil(&mu_, env, next)) {
    }
    if (stop_) return;
  }
}

absl::Status MmapSegmentStore::SyncShardState(ShardState& state,
                                              uint64_t end_position) {
  MutexLock sync_lock(&state.sync_mu);
  struct Job {
    std::shared_ptr<Segment> segment;
    size_t from;
    size_t to;
  };
  std::vector<Job> jobs;
  uint64_t target;
  uint64_t dir_target;
  bool sync_dir;
  {
    MutexLock lock(&state.mu);
    // Nothing is durable after a failed sync, however it was made later.
    BROOK_RETURN_IF_ERROR(BackgroundError());
    if (state.synced_position >= end_position && end_position != 0) {
      return absl::OkStatus();
    }
    target = state.committed_position;
    dir_target = state.dir_created;
    sync_dir = state.dir_synced < dir_target;
    for (const std::weak_ptr<Segment>& weak : state.dirty) {
      std::shared_ptr<Segment> seg = weak.lock();
      if (seg == nullptr) continue;
      MmapBacking& b = BackingOf(*seg);
      if (b.committed_offset > b.synced_offset) {
        jobs.push_back({std::move(seg), b.synced_offset, b.committed_offset});
      }
    }
  }
  if (sync_dir) {
    BROOK_RETURN_IF_ERROR(SyncDir(ShardDir(state.number)));
    MutexLock lock(&state.mu);
    state.dir_synced = std::max(state.dir_synced, dir_target);
  }
  // Oldest first, so a durable frame is never preceded by a lost one.
  for (const Job& job : jobs) {
    MmapBacking& b = BackingOf(*job.segment);
    // With the zero header that ends the log.
    const size_t end = std::min(job.to + kBatchHeaderBytes, b.capacity());
    // On failure nothing moves: synced_position covers only what synced.
    BROOK_RETURN_IF_ERROR(
        SyncRegion(b.region(), b.path, job.from, end - job.from));
  }
  MutexLock lock(&state.mu);
  for (const Job& job : jobs) {
    MmapBacking& b = BackingOf(*job.segment);
    if (b.committed_offset >= job.to) {
      b.synced_offset = std::max(b.synced_offset, job.to);
    }
  }
  if (state.committed_position >= target && state.synced_position < target) {
    state.synced_position = target;
    state.synced_cv.SignalAll();
    if (FollowFile* f = follow_.load(std::memory_order_acquire)) {
      f->PublishDurable(state.number, target);
    }
  }
  int64_t unsynced = 0;
  std::vector<std::weak_ptr<Segment>> still_dirty;
  for (size_t i = 0; i < state.dirty.size(); ++i) {
    std::shared_ptr<Segment> seg = state.dirty[i].lock();
    if (seg == nullptr) continue;
    MmapBacking& b = BackingOf(*seg);
    unsynced += static_cast<int64_t>(b.committed_offset - b.synced_offset);
    // The newest segment stays: it is still being appended to.
    if (b.committed_offset > b.synced_offset || i + 1 == state.dirty.size()) {
      still_dirty.push_back(std::move(state.dirty[i]));
    }
  }
  state.dirty = std::move(still_dirty);
  state.unsynced_bytes = unsynced;
  if (unsynced == 0) state.unsynced_since_millis = 0;
  return absl::OkStatus();
}

absl::Status MmapSegmentStore::SyncShard(uint32_t shard_number,
                                         uint64_t end_position) {
  ShardState& state = State(shard_number);
  {
    MutexLock lock(&state.mu);
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
  }
  return SyncShardState(state, end_position);
}

uint64_t MmapSegmentStore::SyncedPosition(uint32_t shard_number) const {
  ShardState& state = State(shard_number);
  MutexLock lock(&state.mu);
  return state.synced_position;
}

absl::Status MmapSegmentStore::SyncAll() {
  absl::Status first_error;
  for (ShardState* shard : States()) {
    uint64_t target;
    {
      MutexLock lock(&shard->mu);
      target = shard->committed_position;
    }
    absl::Status s = SyncShardState(*shard, target);
    if (first_error.ok()) first_error = s;
  }
  return first_error;
}

absl::Status MmapSegmentStore::BackgroundError() const {
  if (!has_bg_error_.load(std::memory_order_acquire)) return absl::OkStatus();
  MutexLock lock(&error_mu_);
  return bg_error_;
}

absl::Status MmapSegmentStore::SetBackgroundError(const absl::Status& error) {
  absl::Status sticky;
  {
    MutexLock lock(&error_mu_);
    if (bg_error_.ok()) {
      bg_error_ = absl::Status(
          error.code(),
          absl::StrCat("stream directory ", options_.dir,
                       ": a sync failed, so nothing more is made durable "
                       "until the stream is closed and reopened (whose "
                       "recovery finds what survived): ",
                       error.message()));
      has_bg_error_.store(true, std::memory_order_release);
    }
    sticky = bg_error_;
  }
  for (ShardState* shard : States()) {
    MutexLock lock(&shard->mu);
    shard->synced_cv.SignalAll();
  }
  return sticky;
}

absl::Status MmapSegmentStore::SyncRegion(MappedRegion& region,
                                          const std::string& path,
                                          size_t offset, size_t length) {
  absl::Status s = region.Sync(offset, length);
  if (s.ok()) return s;
  return SetBackgroundError(absl::Status(
      s.code(),
      absl::StrCat("segment ", path, " offset ", offset, ": ", s.message())));
}

absl::Status MmapSegmentStore::SyncDir(const std::string& dir) {
  absl::Status s = options_.env->SyncDir(dir);
  if (s.ok()) return s;
  return SetBackgroundError(absl::Status(
      s.code(), absl::StrCat("directory ", dir, " sync: ", s.message())));
}

absl::Status MmapSegmentStore::WaitSynced(uint32_t shard_number,
                                          uint64_t end_position,
                                          int64_t deadline_millis) {
  ShardState& state = State(shard_number);
  Env* const env = options_.env;
  MutexLock lock(&state.mu);
  for (bool last_look = false;;) {
    BROOK_RETURN_IF_ERROR(BackgroundError());
    if (state.synced_position >= end_position) return absl::OkStatus();
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
    if (last_look) break;
    last_look = state.synced_cv.WaitUntil(&state.mu, env, deadline_millis);
  }
  return absl::DeadlineExceededError(
      absl::StrCat(ShardIdFromNumber(shard_number), ": position ",
                   end_position - 1, " was not made durable in time"));
}

}  // namespace internal
}  // namespace brook
