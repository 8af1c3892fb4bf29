// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MmapSegmentStore's segment files (mmap_segment_store.h): creating one
// (from a ready spare or recycled file, else afresh), aborting a failed
// append's frames, discarding a failed append's segment, removing a dropped
// one, and the shard's bounds marker (SEGMENT_FORMAT.md).

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "store/mmap_store_internal.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

namespace {

// The name of a shard's bounds marker after a move from `current` (empty: no
// marker yet; `*had` says whether there was one).
std::string MovedBoundsName(const std::string& current, bool set_trim,
                            uint64_t trim, bool set_head, uint64_t head,
                            bool* had) {
  uint64_t old_trim = trim, old_head = head;
  *had = !current.empty() && ParseBoundsName(current, &old_trim, &old_head);
  if (!set_trim) trim = *had ? old_trim : head;
  if (!set_head) head = *had ? old_head : trim;
  return BoundsName(trim, head);
}

}  // namespace

absl::Status MmapSegmentStore::MoveBounds(ShardState& state, bool set_trim,
                                          uint64_t trim, bool set_head,
                                          uint64_t head, bool deferred) {
  const std::string dir = ShardDir(state.number);
  bool had;
  bool renames;
  {
    MutexLock lock(&state.bounds_mu);
    renames = MovedBoundsName(state.bounds_name, set_trim, trim, set_head, head,
                              &had) != state.bounds_name &&
              had;
  }
  // Across a power loss the marker must not outlive the segment files it
  // names, which kNone creates without a directory sync: sync those names
  // before the rename, or the next open reads the vanished segments as lost
  // records. A failure is sticky, as any sync's; the marker stays.
  // (The count is read before the sync starts: a file created meanwhile is
  // left for the next sync, and its own head move waits for it.)
  uint64_t created = 0;
  bool unsynced = false;
  if (renames) {
    MutexLock lock(&state.mu);
    created = state.dir_created;
    unsynced = state.dir_synced < created;
  }
  if (unsynced) {
    BROOK_RETURN_IF_ERROR(SyncDir(dir));
    MutexLock lock(&state.mu);
    state.dir_synced = std::max(state.dir_synced, created);
  }
  MutexLock lock(&state.bounds_mu);
  if (deferred) {
    // The pending head names a segment created before the sync above; a
    // newer one (pending since) waits for its own request. Discard() may
    // have taken it back meanwhile; and a head the marker already passed
    // (retention moved it to an empty marker) stays.
    if (!state.has_pending_head) return absl::OkStatus();
    if (state.pending_head == head) state.has_pending_head = false;
    uint64_t old_trim, old_head;
    if (ParseBoundsName(state.bounds_name, &old_trim, &old_head) &&
        old_head >= head) {
      return absl::OkStatus();
    }
  }
  const std::string name =
      MovedBoundsName(state.bounds_name, set_trim, trim, set_head, head, &had);
  if (had && name == state.bounds_name) return absl::OkStatus();
  const std::string path = absl::StrCat(dir, "/", name);
  // A rename replaces the marker atomically: there is always exactly one.
  BROOK_RETURN_IF_ERROR(
      had ? options_.env->RenameFile(absl::StrCat(dir, "/", state.bounds_name),
                                     path)
          : options_.env->OpenFile(path, FileOpenMode::kCreate).status());
  state.bounds_name = name;
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Segment>> MmapSegmentStore::CreateSegment(
    uint32_t shard_number, uint64_t base_position, size_t min_capacity) {
  ShardState& state = State(shard_number);
  uint64_t previous_latest_base;
  {
    MutexLock lock(&state.mu);
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
    previous_latest_base = state.latest_base;
  }
  BROOK_RETURN_IF_ERROR(BackgroundError());
  BROOK_RETURN_IF_ERROR(RemoveStrays(state));
  NewSegmentFile f;
  // The name is taken by the shard's empty marker (what recovery or retention
  // leaves where the next append starts); if this append fails, it must stay.
  f.marker = base_position == previous_latest_base;
  f.capacity = (min_capacity + kPageBytes - 1) / kPageBytes * kPageBytes;
  f.dir = ShardDir(shard_number);
  f.path = absl::StrCat(f.dir, "/", SegmentName(base_position));
  // Have the next segment of the standard size ready before this one fills.
  if (preparer_ != nullptr && f.capacity == StandardCapacity()) {
    preparer_->Request(shard_number, f.capacity);
  }
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<MmapBacking> backing,
                         TakeReadyFile(state, f));
  if (backing == nullptr) {
    BROOK_ASSIGN_OR_RETURN(backing, CreateFreshFile(state, f));
  }
  backing->previous_latest_base = previous_latest_base;
  backing->replaced_marker = f.marker;
  {
    MutexLock lock(&state.mu);
    state.latest_base = base_position;
    if (options_.durability == Durability::kNone) ++state.dir_created;
  }
  // After the file exists: the marker's head is a lower bound, and a stale
  // one is harmless. Under kNone the new name is not synced, and the marker
  // may not name it until it is (MoveBounds()): a directory sync takes
  // milliseconds, so the preparer's thread does both, off the append path.
  if (options_.durability == Durability::kNone && preparer_ != nullptr) {
    {
      MutexLock lock(&state.bounds_mu);
      state.has_pending_head = true;
      state.pending_head = base_position;
    }
    preparer_->RequestHead(shard_number);
  } else {
    MoveBounds(state, false, 0, true, base_position).IgnoreError();
  }
  return std::make_shared<Segment>(base_position, std::move(backing));
}

void MmapSegmentStore::MoveHeadDeferred(uint32_t shard_number) {
  ShardState& state = State(shard_number);
  uint64_t head;
  {
    MutexLock lock(&state.bounds_mu);
    if (!state.has_pending_head) return;
    head = state.pending_head;
  }
  // A failed directory sync is sticky (the store reports it); the marker
  // stays where it was.
  MoveBounds(state, false, 0, true, head, /*deferred=*/true).IgnoreError();
}

absl::StatusOr<std::unique_ptr<MmapBacking>> MmapSegmentStore::TakeReadyFile(
    ShardState& state, const NewSegmentFile& f) {
  Env* const env = options_.env;
  RecyclePool::Entry reused;
  while (state.pool->Take(f.capacity, &reused)) {
    // Old frames follow; a zero header ends the log before them. Zeroed
    // before the file takes the segment's name, so that a reader listing the
    // directory never finds old frames under it.
    std::memset(reused.region->data(), 0, kBatchHeaderBytes);
    absl::Status renamed = env->RenameFile(reused.path, f.path);
    if (!renamed.ok()) {
      reused.region.reset();
      env->RemoveFile(reused.path).IgnoreError();  // ignored at recovery
      continue;
    }
    if (options_.durability != Durability::kNone) {
      absl::Status synced = SyncDir(f.dir);
      if (!synced.ok()) {
        reused.region.reset();
        DropCreated(state, f.path, f.marker);
        return synced;
      }
    }
    auto backing = std::make_unique<MmapBacking>(f.path, state.number,
                                                 std::move(reused.region));
    backing->prefaulted_offset = f.capacity;
    return backing;
  }
  return std::unique_ptr<MmapBacking>();
}

absl::StatusOr<std::unique_ptr<MmapBacking>> MmapSegmentStore::CreateFreshFile(
    ShardState& state, const NewSegmentFile& f) {
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         options_.env->OpenFile(f.path, FileOpenMode::kCreate));
  // The name may be taken by an empty segment left by recovery or retention;
  // it holds no records, so start it afresh.
  absl::Status s = file->Truncate(0);
  if (s.ok()) s = file->Allocate(f.capacity);
  std::unique_ptr<MappedRegion> region;
  if (s.ok()) {
    absl::StatusOr<std::unique_ptr<MappedRegion>> mapped =
        file->Map(f.capacity, /*writable=*/true);
    if (mapped.ok()) {
      region = *std::move(mapped);
    } else {
      s = mapped.status();
    }
  }
  // Durable policies sync the new name before any record in it is synced.
  if (s.ok() && options_.durability != Durability::kNone) {
    s = SyncDir(f.dir);
  }
  if (!s.ok()) {
    file.reset();
    region.reset();
    // The file holds nothing; leave no full-size empty file behind.
    DropCreated(state, f.path, f.marker);
    return s;
  }
  // Under a syncing durability the first writes fault pages in (see
  // PrepareSpare()).
  const size_t prefaulted = options_.durability == Durability::kNone
                                ? std::min(f.capacity, kPrefaultAhead)
                                : 0;
  if (prefaulted > 0) region->Prefault(0, prefaulted);
  auto backing =
      std::make_unique<MmapBacking>(f.path, state.number, std::move(region));
  backing->prefaulted_offset = prefaulted;
  return backing;
}

void MmapSegmentStore::Abort(Segment& segment) {
  MmapBacking& b = BackingOf(segment);
  ShardState& state = State(b.shard);
  const size_t from = segment.end_offset;
  if (from >= segment.capacity()) return;
  const uint64_t first_position = FirstPositionOf(segment.data() + from);
  std::memset(segment.data() + from, 0,
              std::min(kBatchHeaderBytes, segment.capacity() - from));
  bool was_synced;
  {
    MutexLock lock(&state.mu);
    was_synced = b.synced_offset > from;
    b.committed_offset = std::min(b.committed_offset, from);
    b.synced_offset = std::min(b.synced_offset, from);
    state.committed_position =
        std::min(state.committed_position, first_position);
    state.synced_position = std::min(state.synced_position, first_position);
  }
  if (was_synced) {
    // Best effort: if this fails too, the frames may come back after a power
    // loss, complete and checksummed, as records of a failed append. The
    // failure is recorded as the sticky error all the same.
    SyncRegion(b.region(), b.path, from, kBatchHeaderBytes).IgnoreError();
  }
}

void MmapSegmentStore::Discard(std::shared_ptr<Segment> segment) {
  MmapBacking& b = BackingOf(*segment);
  ShardState& state = State(b.shard);
  {
    MutexLock lock(&state.mu);
    state.latest_base = b.previous_latest_base;
  }
  // No committed frame: a marker kept after a failed truncate stays empty.
  std::memset(segment->data(), 0,
              std::min(kBatchHeaderBytes, segment->capacity()));
  const std::string path = b.path;
  bool marker = b.replaced_marker;
  // The bounds marker's head moved to this segment when it was created: move
  // it back before the file goes, or the next open would find the newest
  // segment missing. If that fails, the file stays as an empty segment (a
  // stray torn tail to recovery) instead.
  {
    // A move of the head to this segment still pending is dropped.
    MutexLock lock(&state.bounds_mu);
    state.has_pending_head = false;
  }
  if (!marker &&
      !MoveBounds(state, false, 0, true, b.previous_latest_base).ok()) {
    marker = true;
  }
  segment.reset();  // the last holder: unmaps the file
  DropCreated(state, path, marker);
}

void MmapSegmentStore::DropCreated(ShardState& state, const std::string& path,
                                   bool marker) {
  Env* const env = options_.env;
  if (marker) {
    absl::StatusOr<std::unique_ptr<File>> file =
        env->OpenFile(path, FileOpenMode::kReadWrite);
    // Best effort: a marker of any size works, its first header is zero.
    if (file.ok()) (*file)->Truncate(0).IgnoreError();
    return;
  }
  absl::Status s = env->RemoveFile(path);
  if (s.ok() || absl::IsNotFound(s)) return;
  MutexLock lock(&state.mu);
  state.stray_paths.push_back(path);
}

absl::Status MmapSegmentStore::RemoveStrays(ShardState& state) {
  std::vector<std::string> strays;
  {
    MutexLock lock(&state.mu);
    if (state.stray_paths.empty()) return absl::OkStatus();
    strays.swap(state.stray_paths);
  }
  absl::Status first_error;
  std::vector<std::string> left;
  for (std::string& path : strays) {
    absl::Status s = options_.env->RemoveFile(path);
    if (s.ok() || absl::IsNotFound(s)) continue;
    if (first_error.ok()) {
      first_error = absl::Status(
          s.code(),
          absl::StrCat("segment ", path,
                       " of a failed append cannot be removed: ", s.message()));
    }
    left.push_back(std::move(path));
  }
  MutexLock lock(&state.mu);
  for (std::string& path : left) state.stray_paths.push_back(std::move(path));
  return first_error;
}

void MmapSegmentStore::RetireShard(uint32_t shard_number) {
  ShardState& state = State(shard_number);
  if (state.pool != nullptr) state.pool->Close();
}

void MmapSegmentStore::Remove(std::shared_ptr<Segment> segment) {
  if (options_.read_only) return;
  MmapBacking& b = BackingOf(*segment);
  ShardState& state = State(b.shard);
  bool last;
  {
    MutexLock lock(&state.mu);
    last = segment->base_position() == state.latest_base;
    if (last) state.latest_base = segment->end_position;
  }
  Env* const env = options_.env;
  const std::string dir = ShardDir(b.shard);
  bool made_marker = false;
  if (last) {
    // The shard's newest segment: leave an empty one where the next append
    // starts, so a reopen does not give out its positions again.
    if (segment->end_position == segment->base_position()) return;
    const std::string marker =
        absl::StrCat(dir, "/", SegmentName(segment->end_position));
    // Best effort: without it a reopen restarts at the shard's start.
    made_marker = env->OpenFile(marker, FileOpenMode::kCreate).ok();
  }
  // The bounds marker moves first, so that recovery never takes the missing
  // file for a lost one. If it cannot move, the file stays (and a reopen
  // adopts its records again).
  if (!MoveBounds(state, true, segment->end_position, made_marker,
                  segment->end_position)
           .ok()) {
    return;
  }
  // Readers still holding the segment keep its map; the file is reused (or
  // unlinked) once the last one lets go. A failed unlink leaves records past
  // retention on disk, which readers never return.
  const std::string recycle_path =
      absl::StrCat(dir, "/", segment->base_position(), kRecycleSuffix);
  // A read-only stream (another process) may have the file mapped; it holds
  // a shared lock on READERS meanwhile, and the file is then unlinked, not
  // reused. The rename comes first, so a reader that registers later never
  // finds the file.
  if (segment->capacity() == StandardCapacity() && state.pool->HasRoom() &&
      env->RenameFile(b.path, recycle_path).ok()) {
    if (env->LockFile(ReadersLockPath(options_.dir), /*shared=*/false).ok()) {
      b.RecycleTo(state.pool, recycle_path);
    } else {
      env->RemoveFile(recycle_path).IgnoreError();
    }
  } else {
    env->RemoveFile(b.path).IgnoreError();
  }
  if (options_.durability != Durability::kNone) {
    SyncDir(dir).IgnoreError();  // as above; a failure is sticky
  }
}

}  // namespace internal
}  // namespace brook
