// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.
//
// MmapSegmentStore (mmap_segment_store.h): its shards, adopting what recovery
// found, committing frames, and closing. Segment files are in
// mmap_segment_files.cc, syncs in mmap_syncer.cc, spare files in
// mmap_prefaulter.cc.

#include "store/mmap_segment_store.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

#include "store/batch_format.h"
#include "store/mmap_store_internal.h"
#include "util/shard_id.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {

std::string ReadersLockPath(absl::string_view dir) {
  return absl::StrCat(dir, "/READERS");
}

MmapSegmentStore::MmapSegmentStore(MmapStoreOptions options)
    : options_(std::move(options)) {
  for (int i = 0; i < options_.shard_count; ++i) {
    AddShard(static_cast<uint32_t>(i));
  }
  if (!options_.read_only && options_.durability == Durability::kGroupCommit &&
      options_.group_commit_millis > 0) {
    syncer_ = std::make_unique<Syncer>(this);
  }
  if (!options_.read_only) preparer_ = std::make_unique<Preparer>(this);
}

MmapSegmentStore::~MmapSegmentStore() {
  preparer_.reset();
  syncer_.reset();
}

size_t MmapSegmentStore::StandardCapacity() const {
  return (static_cast<size_t>(options_.segment_bytes) + kPageBytes - 1) /
         kPageBytes * kPageBytes;
}

std::string MmapSegmentStore::ShardDir(uint32_t shard_number) const {
  return absl::StrCat(options_.dir, "/", ShardIdFromNumber(shard_number));
}

absl::StatusOr<RecoveredShard> MmapSegmentStore::RecoverShard(
    uint32_t shard_number, const ShardExpectation& expect, bool verify_crc,
    RecoveryReport* report, bool lazy_index) {
  ShardState& state = State(shard_number);
  ShardRecoveryOptions o;
  o.env = options_.env;
  o.dir = ShardDir(shard_number);
  o.writable = !options_.read_only;
  o.verify_crc = verify_crc;
  o.lazy_index = lazy_index && options_.read_only;
  o.expect = expect;
  BROOK_ASSIGN_OR_RETURN(ShardLog log, RecoverShardLog(o, report));

  RecoveredShard out;
  out.end_position = log.end_position;
  for (size_t i = 0; i < log.segments.size(); ++i) {
    ScannedSegment& s = log.segments[i];
    if (!s.lazy) indexed_segments_.fetch_add(1, std::memory_order_relaxed);
    if (s.batches.empty() && !s.lazy) {
      // An empty segment holds no records; only the last one may be, and it
      // stays on disk, telling where the next append starts, until an append
      // reuses it.
      continue;
    }
    auto backing = std::make_unique<MmapBacking>(s.path, shard_number,
                                                 std::move(s.region));
    backing->committed_offset = s.end_offset;
    backing->synced_offset = s.end_offset;
    backing->prefaulted_offset = s.end_offset;
    auto segment = std::make_shared<Segment>(s.base, std::move(backing));
    segment->end_offset = s.end_offset;
    segment->end_position = s.end_position;
    segment->first_arrival_millis = s.first_arrival_millis;
    segment->last_arrival_millis = s.last_arrival_millis;
    segment->batches = std::move(s.batches);
    if (s.lazy) {
      // Not opened: known by its name and the next file's only.
      segment->indexed = false;
      segment->opened = false;
      segment->last_arrival_millis = std::numeric_limits<int64_t>::max();
      BackingOf(*segment).verify_on_index = log.verified_crc || verify_crc;
    }
    out.segments.push_back(std::move(segment));
  }
  {
    MutexLock lock(&state.bounds_mu);
    state.bounds_name = log.bounds_name;
  }
  MutexLock lock(&state.mu);
  state.committed_position = out.end_position;
  state.synced_position = out.end_position;
  state.latest_base = log.latest_base;
  if (log.verified_crc && o.writable) {
    // After an unclean shutdown the frames may be only in the page cache:
    // they count as unsynced until the policy (or a caller) syncs them.
    for (const std::shared_ptr<Segment>& seg : out.segments) {
      BackingOf(*seg).synced_offset = 0;
      state.unsynced_bytes += static_cast<int64_t>(seg->end_offset);
      state.dirty.push_back(seg);
    }
    if (!out.segments.empty()) {
      state.synced_position = out.segments.front()->base_position();
      state.unsynced_since_millis = options_.env->NowMillis();
    }
  }
  return out;
}

absl::Status MmapSegmentStore::OpenSegment(Segment& segment,
                                           RecoveryReport* report) {
  if (segment.opened) return absl::OkStatus();
  MmapBacking& b = BackingOf(segment);
  absl::StatusOr<std::unique_ptr<File>> file =
      options_.env->OpenFile(b.path, FileOpenMode::kReadOnly);
  if (absl::IsNotFound(file.status())) return Vanished(segment, report);
  absl::StatusOr<uint64_t> size =
      file.ok() ? (*file)->Size() : absl::StatusOr<uint64_t>(file.status());
  if (size.ok() && *size > 0) {
    absl::StatusOr<std::unique_ptr<MappedRegion>> region =
        (*file)->Map(static_cast<size_t>(*size), /*writable=*/false);
    if (region.ok()) {
      b.Attach(*std::move(region));
    } else {
      size = region.status();
    }
  }
  if (!size.ok()) {
    // As a full recovery would have failed on it.
    return Lost(segment,
                absl::StrCat("cannot be read: ", size.status().message()),
                report);
  }
  segment.opened = true;
  opened_segments_.fetch_add(1, std::memory_order_relaxed);
  // The name says where the file's log starts: its first frame must hold
  // that position and end by the next file's base (headers only: a CRC
  // would read the whole frame, which may be the whole file).
  BatchHeader h;
  std::string reason;
  if (CheckFrame(segment.data(), segment.capacity(), 0, segment.base_position(),
                 /*verify_crc=*/false, &h, &reason) == FrameCheck::kValid &&
      h.first_position + h.record_count <= segment.end_position) {
    segment.first_arrival_millis = h.arrival_millis;
    return absl::OkStatus();
  }
  return IndexSegment(segment, report);  // finds and reports the damage
}

absl::Status MmapSegmentStore::Vanished(Segment& segment,
                                        RecoveryReport* report) {
  const std::string& path = BackingOf(segment).path;
  // Retention moves the shard's bounds marker past a file before it removes
  // it; without a marker (a version 1 directory) nothing says otherwise.
  absl::StatusOr<std::vector<std::string>> names =
      options_.env->ListDir(ShardDir(BackingOf(segment).shard));
  uint64_t trim = 0;
  bool known = false;
  for (const std::string& name :
       names.ok() ? *names : std::vector<std::string>()) {
    uint64_t t, h;
    if (ParseBoundsName(name, &t, &h) && (!known || t > trim)) {
      known = true;
      trim = t;
    }
  }
  if (!known || trim >= segment.end_position) {
    return absl::NotFoundError(
        absl::StrCat("segment ", path, " was dropped by retention"));
  }
  return Lost(
      segment,
      absl::StrCat("segment file missing: positions ", segment.base_position(),
                   " to ", segment.end_position - 1, " are lost"),
      report);
}

absl::Status MmapSegmentStore::Lost(Segment& segment, absl::string_view reason,
                                    RecoveryReport* report) {
  RecoveryReport::Problem p;
  p.file = BackingOf(segment).path;
  p.data_loss = true;
  p.reason = std::string(reason);
  absl::Status status =
      absl::DataLossError(absl::StrCat("segment ", p.file, ": ", p.reason));
  report->problems.push_back(std::move(p));
  segment.end_position = segment.base_position();
  segment.opened = true;  // holds nothing
  segment.indexed = true;
  return status;
}

absl::Status MmapSegmentStore::IndexSegment(Segment& segment,
                                            RecoveryReport* report) {
  if (segment.indexed) return absl::OkStatus();
  BROOK_RETURN_IF_ERROR(OpenSegment(segment, report));
  if (segment.indexed) return absl::OkStatus();  // damage found opening it
  MmapBacking& b = BackingOf(segment);
  ScannedSegment s;
  s.path = b.path;
  s.base = segment.base_position();
  s.size = segment.capacity();
  s.borrowed = segment.data();
  ScanFrames(s, b.verify_on_index);
  indexed_segments_.fetch_add(1, std::memory_order_relaxed);
  const bool damaged = s.bad || s.end_position != segment.end_position;
  absl::Status status;
  if (damaged) {
    RecoveryReport::Problem p;
    p.file = s.path;
    p.offset = static_cast<int64_t>(s.end_offset);
    p.bytes = static_cast<int64_t>(s.size - s.end_offset);
    p.data_loss = true;
    p.reason =
        s.bad ? s.reason
        : s.batches.empty()
            ? absl::StrCat("no batch at position ", s.base,
                           ", where the file's name says it starts")
            : absl::StrCat("the next segment starts at position ",
                           segment.end_position, ", expected ", s.end_position);
    status = absl::DataLossError(
        absl::StrCat("segment ", p.file, " offset ", p.offset, ": ", p.reason));
    report->problems.push_back(std::move(p));
    // The frames before the damage are the segment's (none if its first
    // frame went bad since recovery looked).
    segment.end_position = s.end_position;
  }
  report->scanned_bytes += static_cast<int64_t>(s.end_offset);
  report->checksummed_bytes += static_cast<int64_t>(s.checksummed);
  report->scanned_segments += 1;
  report->scanned_batches += static_cast<int64_t>(s.batches.size());
  report->scanned_records += static_cast<int64_t>(s.end_position - s.base);
  segment.end_offset = s.end_offset;
  segment.first_arrival_millis = s.first_arrival_millis;
  segment.last_arrival_millis = s.last_arrival_millis;
  segment.batches = std::move(s.batches);
  segment.indexed = true;
  return status;
}

char* MmapSegmentStore::FrameTarget(Segment& segment, size_t offset,
                                    size_t bytes) {
  MmapBacking& b = BackingOf(segment);
  // The append's first frame decides for all of it.
  if (offset == segment.end_offset) {
    b.staged = options_.durability != Durability::kNone &&
               bytes >= kWriteThroughMinBytes;
  }
  if (!b.staged) return segment.data() + offset;
  std::vector<char>& staging = State(b.shard).staging;
  // Room for the frames so far, this one, and the zero header after them.
  const size_t need = offset - segment.end_offset + bytes + kBatchHeaderBytes;
  if (staging.size() < need) staging.resize(need);
  return staging.data() + (offset - segment.end_offset);
}

absl::Status MmapSegmentStore::WriteStaged(MmapBacking& b, const char* frames,
                                           size_t from, size_t end) {
  if (b.file == nullptr) {
    BROOK_ASSIGN_OR_RETURN(
        b.file, options_.env->OpenFile(b.path, FileOpenMode::kReadWrite));
  }
  // All but the first frame's length first, then that: until the last write
  // a reader in another process finds the end of the log at `from` (a zero
  // length), never a frame whose bytes are still on their way. An append
  // puts one frame in a segment (ShardImpl::PlanAppend()), so no valid frame
  // follows the zero length meanwhile for recovery to take for lost data.
  constexpr size_t kLength = 4;  // frame_bytes, batch_format.h
  BROOK_RETURN_IF_ERROR(
      b.file->Write(from + kLength,
                    absl::string_view(frames + kLength, end - from - kLength)));
  return b.file->Write(from, absl::string_view(frames, kLength));
}

absl::Status MmapSegmentStore::Commit(Segment& segment, size_t end_offset) {
  MmapBacking& b = BackingOf(segment);
  ShardState& state = State(b.shard);
  // Frames [from, end_offset) are new: only this appender touches them.
  const size_t from = segment.end_offset;
  char* const data = segment.data();
  // Where the appender encoded them: the map, or the shard's staging buffer.
  char* const frames = b.staged ? state.staging.data() : data + from;
  uint64_t first_position = 0;
  uint64_t end_position = 0;
  for (size_t off = 0; off < end_offset - from;) {
    const BatchHeader h = CommitFrame(frames + off);
    if (off == 0) first_position = h.first_position;
    end_position = h.end_position();
    off += h.frame_bytes;
  }
  // An explicit end of log: the file may hold old frames (recycled) or an
  // earlier torn append's bytes past this point.
  const size_t tail =
      std::min(kBatchHeaderBytes, segment.capacity() - end_offset);
  std::memset(frames + (end_offset - from), 0, tail);
  if (b.staged) {
    absl::Status s = WriteStaged(b, frames, from, end_offset + tail);
    if (!s.ok()) {
      std::memset(data + from, 0, kBatchHeaderBytes);  // not part of the log
      return s;
    }
  } else if (options_.durability == Durability::kNone &&
             b.prefaulted_offset < end_offset + kPrefaultAhead / 2 &&
             b.prefaulted_offset < segment.capacity()) {
    const size_t to = std::min(segment.capacity(), end_offset + kPrefaultAhead);
    b.region().Prefault(b.prefaulted_offset, to - b.prefaulted_offset);
    b.prefaulted_offset = to;
  }

  bool sync_now = false;
  {
    MutexLock lock(&state.mu);
    if (state.closed) {
      std::memset(data + from, 0, kBatchHeaderBytes);  // not part of the log
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed"));
    }
    if (has_bg_error_.load(std::memory_order_acquire)) {
      std::memset(data + from, 0, kBatchHeaderBytes);  // as above
      return BackgroundError();
    }
    // A failed append may have committed frames it never published; they are
    // being overwritten now.
    if (from < b.committed_offset) {
      b.committed_offset = from;
      b.synced_offset = std::min(b.synced_offset, from);
      state.synced_position = std::min(state.synced_position, first_position);
    }
    state.unsynced_bytes += static_cast<int64_t>(end_offset - from);
    b.committed_offset = end_offset;
    state.committed_position = end_position;
    if (state.dirty.empty() || state.dirty.back().lock().get() != &segment) {
      // Forget dropped segments first, so the list stays short under kNone.
      state.dirty.erase(std::remove_if(state.dirty.begin(), state.dirty.end(),
                                       [](const std::weak_ptr<Segment>& w) {
                                         return w.expired();
                                       }),
                        state.dirty.end());
      state.dirty.push_back(segment.weak_from_this());
    }
    switch (options_.durability) {
      case Durability::kNone:
        break;
      case Durability::kAlways:
        sync_now = true;
        break;
      case Durability::kGroupCommit:
        sync_now = options_.group_commit_bytes > 0 &&
                   state.unsynced_bytes >= options_.group_commit_bytes;
        if (!sync_now && state.unsynced_since_millis == 0) {
          state.unsynced_since_millis = options_.env->NowMillis();
        }
        break;
    }
  }
  if (!sync_now) return absl::OkStatus();
  absl::Status s = SyncShardState(state, end_position);
  if (!s.ok()) Abort(segment);  // not acknowledged, so not part of the log
  return s;
}

void MmapSegmentStore::AddShard(uint32_t shard_number) {
  MutexLock lock(&shards_mu_);
  while (shards_.size() <= shard_number) {
    shards_.push_back(std::make_unique<ShardState>(
        static_cast<uint32_t>(shards_.size()),
        options_.read_only
            ? nullptr
            : std::make_shared<RecyclePool>(options_.env, kRecycledPerShard)));
  }
}

absl::Status MmapSegmentStore::PrepareShard(uint32_t shard_number) {
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", options_.dir, ": read-only"));
  }
  AddShard(shard_number);
  BROOK_RETURN_IF_ERROR(BackgroundError());
  BROOK_RETURN_IF_ERROR(options_.env->CreateDir(ShardDir(shard_number)));
  return SyncDir(options_.dir);
}

absl::Status MmapSegmentStore::PrepareShards(uint32_t first, uint32_t count) {
  if (count == 0) return absl::OkStatus();
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("stream directory ", options_.dir, ": read-only"));
  }
  AddShard(first + count - 1);  // adds every number below it too
  BROOK_RETURN_IF_ERROR(BackgroundError());
  for (uint32_t n = first; n < first + count; ++n) {
    BROOK_RETURN_IF_ERROR(options_.env->CreateDir(ShardDir(n)));
  }
  return SyncDir(options_.dir);
}

MmapSegmentStore::ShardState& MmapSegmentStore::State(
    uint32_t shard_number) const {
  MutexLock lock(&shards_mu_);
  return *shards_[shard_number];
}

std::vector<MmapSegmentStore::ShardState*> MmapSegmentStore::States() const {
  MutexLock lock(&shards_mu_);
  std::vector<ShardState*> out;
  out.reserve(shards_.size());
  for (const auto& shard : shards_) out.push_back(shard.get());
  return out;
}

void MmapSegmentStore::WaitForPreparerForTesting() {
  if (preparer_ != nullptr) preparer_->WaitIdle();
}

absl::Status MmapSegmentStore::Close() {
  preparer_.reset();
  syncer_.reset();
  if (options_.read_only) return absl::OkStatus();
  // A clean close leaves each marker's head exact: the moves a roll left to
  // the (now stopped) preparer are made here.
  for (ShardState* shard : States()) MoveHeadDeferred(shard->number);
  absl::Status s = SyncAll();
  if (s.ok()) s = BackgroundError();  // e.g. from a directory sync
  for (ShardState* shard : States()) {
    MutexLock lock(&shard->mu);
    shard->closed = true;
    shard->synced_cv.SignalAll();
  }
  return s;
}

}  // namespace internal
}  // namespace brook
