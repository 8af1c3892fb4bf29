// Copyright 2026 The brook Authors. Licensed under the Apache License, 2.0.

#include "store/mmap_segment_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

#include "store/mmap_recovery.h"
#include "store/record_format.h"
#include "stream/sequence.h"
#include "util/crc32c.h"
#include "util/status_macros.h"

namespace brook {
namespace internal {
namespace {

// The writer keeps this much of its segment faulted in ahead of itself.
constexpr size_t kPrefaultAhead = size_t{1} << 20;
// Dropped segment files a shard keeps mapped for reuse.
constexpr size_t kRecycledPerShard = 2;

// Segment files of one shard that retention dropped and no reader holds any
// more, still mapped, kept for reuse: their pages are in memory and mapped
// writable, so the next segment takes no page fault at all (a fresh file
// costs a fault and a kernel page clear per 4 KiB).
class RecyclePool {
 public:
  struct Entry {
    std::string path;  // renamed to <base>.recycle
    std::unique_ptr<MappedRegion> region;
  };
  RecyclePool(Env* env, size_t max_entries)
      : env_(env), max_entries_(max_entries) {}
  ~RecyclePool() {
    for (Entry& e : entries_) env_->RemoveFile(e.path).IgnoreError();
  }

  bool HasRoom() {
    MutexLock lock(&mu_);
    return entries_.size() < max_entries_;
  }
  void Give(Entry e) {
    {
      MutexLock lock(&mu_);
      if (entries_.size() < max_entries_) {
        entries_.push_back(std::move(e));
        return;
      }
    }
    e.region.reset();
    env_->RemoveFile(e.path)
        .IgnoreError();  // a stray .recycle file is harmless
  }
  bool Has(size_t capacity) {
    MutexLock lock(&mu_);
    for (const Entry& e : entries_) {
      if (e.region->size() == capacity) return true;
    }
    return false;
  }
  // An entry of exactly `capacity` bytes, if one is pooled.
  bool Take(size_t capacity, Entry* out) {
    MutexLock lock(&mu_);
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].region->size() == capacity) {
        *out = std::move(entries_[i]);
        entries_.erase(entries_.begin() + static_cast<long>(i));
        return true;
      }
    }
    return false;
  }

 private:
  Env* const env_;
  const size_t max_entries_;
  Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
};

class MmapBacking final : public SegmentBacking {
 public:
  MmapBacking(std::string file_path, uint32_t shard_number,
              std::unique_ptr<MappedRegion> region)
      : path(std::move(file_path)),
        shard(shard_number),
        region_(std::move(region)) {}
  ~MmapBacking() override {
    if (pool_ != nullptr) pool_->Give({recycle_path_, std::move(region_)});
  }

  char* data() override { return region_->data(); }
  size_t capacity() const override { return region_->size(); }
  MappedRegion& region() { return *region_; }

  // The file was renamed to `recycle_path`; when the last holder lets go of
  // the segment, its map goes to `pool`.
  void RecycleTo(std::shared_ptr<RecyclePool> pool, std::string recycle_path) {
    pool_ = std::move(pool);
    recycle_path_ = std::move(recycle_path);
  }

  const std::string path;
  const uint32_t shard;
  // Guarded by the ShardState's mutex: bytes [0, committed_offset) are
  // checksummed frames, [0, synced_offset) are durable.
  size_t committed_offset = 0;
  size_t synced_offset = 0;
  // Appender only: bytes below this have been prefaulted.
  size_t prefaulted_offset = 0;

 private:
  std::unique_ptr<MappedRegion> region_;
  std::shared_ptr<RecyclePool> pool_;  // set by RecycleTo()
  std::string recycle_path_;
};

// The CRC of the frame at `frame` (bytes [8, frame_bytes)) as it reads once
// its flags are `flags`.
uint32_t CrcWithFlags(const char* frame, uint32_t flags) {
  const uint32_t frame_bytes = DecodeFixed<uint32_t>(frame);
  char encoded[4];
  EncodeFixed<uint32_t>(encoded, flags);
  uint32_t crc = Crc32cExtend(0, frame + 8, 20);
  crc = Crc32cExtend(crc, encoded, 4);
  return Crc32cExtend(crc, frame + kBatchHeaderBytes,
                      frame_bytes - kBatchHeaderBytes);
}

MmapBacking& BackingOf(const Segment& segment) {
  return *static_cast<MmapBacking*>(segment.backing());
}

}  // namespace

std::string ReadersLockPath(absl::string_view dir) {
  return absl::StrCat(dir, "/READERS");
}

struct MmapSegmentStore::ShardState {
  ShardState(uint32_t n, std::shared_ptr<RecyclePool> p)
      : number(n), pool(std::move(p)) {}
  const uint32_t number;
  const std::shared_ptr<RecyclePool> pool;  // null when read-only
  Mutex sync_mu ABSL_ACQUIRED_BEFORE(mu);   // one sync at a time
  Mutex mu;
  // Segments that may hold committed but unsynced bytes, oldest first. Weak:
  // a segment retention dropped needs no sync, and its map must go.
  std::vector<std::weak_ptr<Segment>> dirty ABSL_GUARDED_BY(mu);
  uint64_t committed_position ABSL_GUARDED_BY(mu) = 0;
  uint64_t synced_position ABSL_GUARDED_BY(mu) = 0;
  int64_t unsynced_bytes ABSL_GUARDED_BY(mu) = 0;
  int64_t unsynced_since_millis ABSL_GUARDED_BY(mu) = 0;
  uint64_t latest_base ABSL_GUARDED_BY(mu) = 0;
  // A segment file was created since the shard's directory was last synced.
  bool dir_unsynced ABSL_GUARDED_BY(mu) = false;
  bool closed ABSL_GUARDED_BY(mu) = false;
  // Taken alone. The shard's bounds marker file (SEGMENT_FORMAT.md); empty
  // until recovery or the first segment makes one.
  Mutex bounds_mu;
  std::string bounds_name ABSL_GUARDED_BY(bounds_mu);
};

// Group commit by time: syncs shards whose oldest unsynced commit is older
// than `group_commit_millis`.
class MmapSegmentStore::Syncer {
 public:
  explicit Syncer(MmapSegmentStore* store)
      : store_(store), thread_([this] { Run(); }) {}
  ~Syncer() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      wake_.SignalAll();
    }
    thread_.join();
  }

 private:
  void Run() {
    const int64_t millis = store_->options_.group_commit_millis;
    const int64_t period_millis = std::max<int64_t>(1, millis / 4);
    const absl::Duration period = absl::Milliseconds(period_millis);
    // Sync a wake-up early, so a record is synced by `millis` after its
    // acknowledgement rather than up to a period later.
    const int64_t due = std::max<int64_t>(0, millis - period_millis);
    for (;;) {
      {
        MutexLock lock(&mu_);
        const absl::Time deadline = absl::Now() + period;
        while (!stop_ && !wake_.WaitWithDeadline(&mu_, deadline)) {
        }
        if (stop_) return;
      }
      const int64_t now = store_->options_.env->NowMillis();
      for (ShardState* shard : store_->States()) {
        uint64_t target = 0;
        {
          MutexLock lock(&shard->mu);
          if (shard->unsynced_bytes == 0 ||
              now - shard->unsynced_since_millis < due) {
            continue;
          }
          target = shard->committed_position;
        }
        // A failure is seen again by the next WaitForDurable() or Sync().
        store_->SyncShardState(*shard, target).IgnoreError();
      }
    }
  }

  MmapSegmentStore* const store_;
  Mutex mu_;
  CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Prepares spare segment files on request, one at a time.
class MmapSegmentStore::Preparer {
 public:
  explicit Preparer(MmapSegmentStore* store)
      : store_(store), thread_([this] { Run(); }) {}
  ~Preparer() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      wake_.SignalAll();
    }
    thread_.join();
  }
  void Request(uint32_t shard_number, size_t capacity) {
    MutexLock lock(&mu_);
    requests_.push_back({shard_number, capacity});
    wake_.Signal();
  }

 private:
  struct Job {
    uint32_t shard;
    size_t capacity;
  };
  bool Ready() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || !requests_.empty();
  }
  void Run() {
    for (;;) {
      Job job;
      {
        MutexLock lock(&mu_);
        while (!Ready()) wake_.Wait(&mu_);
        if (stop_) return;
        job = requests_.front();
        requests_.erase(requests_.begin());
      }
      store_->PrepareSpare(job.shard, job.capacity);
    }
  }

  MmapSegmentStore* const store_;
  Mutex mu_;
  CondVar wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Job> requests_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

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

void MmapSegmentStore::PrepareSpare(uint32_t shard_number, size_t capacity) {
  ShardState& state = State(shard_number);
  if (!state.pool->HasRoom() || state.pool->Has(capacity)) return;
  Env* const env = options_.env;
  const std::string path = absl::StrCat(
      ShardDir(shard_number), "/spare-",
      spares_made_.fetch_add(1, std::memory_order_relaxed), kRecycleSuffix);
  absl::StatusOr<std::unique_ptr<File>> file =
      env->OpenFile(path, FileOpenMode::kCreate);
  if (!file.ok()) return;  // the appender creates its segment itself
  absl::Status s = (*file)->Allocate(capacity);
  absl::StatusOr<std::unique_ptr<MappedRegion>> region =
      s.ok() ? (*file)->Map(capacity, /*writable=*/true)
             : absl::StatusOr<std::unique_ptr<MappedRegion>>(s);
  file->reset();
  if (!region.ok()) {
    env->RemoveFile(path).IgnoreError();  // as above; recovery removes it too
    return;
  }
  (*region)->Prefault(0, capacity);
  state.pool->Give({path, *std::move(region)});
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
    RecoveryReport* report) {
  ShardState& state = State(shard_number);
  ShardRecoveryOptions o;
  o.env = options_.env;
  o.dir = ShardDir(shard_number);
  o.writable = !options_.read_only;
  o.verify_crc = verify_crc;
  o.expect = expect;
  BROOK_ASSIGN_OR_RETURN(ShardLog log, RecoverShardLog(o, report));

  RecoveredShard out;
  out.end_position = log.end_position;
  for (ScannedSegment& s : log.segments) {
    if (s.batches.empty()) {
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

absl::Status MmapSegmentStore::MoveBounds(ShardState& state, bool set_trim,
                                          uint64_t trim, bool set_head,
                                          uint64_t head) {
  MutexLock lock(&state.bounds_mu);
  uint64_t old_trim = trim, old_head = head;
  const bool had = !state.bounds_name.empty() &&
                   ParseBoundsName(state.bounds_name, &old_trim, &old_head);
  if (!set_trim) trim = had ? old_trim : head;
  if (!set_head) head = had ? old_head : trim;
  const std::string name = BoundsName(trim, head);
  if (had && name == state.bounds_name) return absl::OkStatus();
  const std::string dir = ShardDir(state.number);
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
  {
    MutexLock lock(&state.mu);
    if (options_.read_only || state.closed) {
      return absl::FailedPreconditionError(
          absl::StrCat(options_.dir, ": stream is closed or read-only"));
    }
  }
  Env* const env = options_.env;
  const size_t capacity =
      (min_capacity + kPageBytes - 1) / kPageBytes * kPageBytes;
  const std::string dir = ShardDir(shard_number);
  const std::string path = absl::StrCat(dir, "/", SegmentName(base_position));
  // Have the next segment of the standard size ready before this one fills.
  if (preparer_ != nullptr && capacity == StandardCapacity()) {
    preparer_->Request(shard_number, capacity);
  }
  RecyclePool::Entry reused;
  while (state.pool->Take(capacity, &reused)) {
    absl::Status renamed = env->RenameFile(reused.path, path);
    if (!renamed.ok()) {
      reused.region.reset();
      env->RemoveFile(reused.path).IgnoreError();  // ignored at recovery
      continue;
    }
    // Old frames follow; a zero header ends the log before them.
    std::memset(reused.region->data(), 0, kBatchHeaderBytes);
    if (options_.durability != Durability::kNone) {
      BROOK_RETURN_IF_ERROR(env->SyncDir(dir));
    }
    auto backing = std::make_unique<MmapBacking>(path, shard_number,
                                                 std::move(reused.region));
    backing->prefaulted_offset = capacity;
    {
      MutexLock lock(&state.mu);
      state.latest_base = base_position;
      if (options_.durability == Durability::kNone) state.dir_unsynced = true;
    }
    // After the file exists: the marker's head is a lower bound, and a stale
    // one is harmless.
    MoveBounds(state, false, 0, true, base_position).IgnoreError();
    return std::make_shared<Segment>(base_position, std::move(backing));
  }
  BROOK_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                         env->OpenFile(path, FileOpenMode::kCreate));
  // The name may be taken by an empty segment left by recovery or retention;
  // it holds no records, so start it afresh.
  absl::Status s = file->Truncate(0);
  if (s.ok()) s = file->Allocate(capacity);
  std::unique_ptr<MappedRegion> region;
  if (s.ok()) {
    absl::StatusOr<std::unique_ptr<MappedRegion>> mapped =
        file->Map(capacity, /*writable=*/true);
    if (mapped.ok()) {
      region = *std::move(mapped);
    } else {
      s = mapped.status();
    }
  }
  // Durable policies sync the new name before any record in it is synced.
  if (s.ok() && options_.durability != Durability::kNone) {
    s = env->SyncDir(dir);
  }
  if (!s.ok()) {
    file.reset();
    // The file holds nothing; leave no full-size empty file behind.
    env->RemoveFile(path).IgnoreError();
    return s;
  }
  region->Prefault(0, std::min(capacity, kPrefaultAhead));
  auto backing =
      std::make_unique<MmapBacking>(path, shard_number, std::move(region));
  backing->prefaulted_offset = std::min(capacity, kPrefaultAhead);
  {
    MutexLock lock(&state.mu);
    state.latest_base = base_position;
    if (options_.durability == Durability::kNone) state.dir_unsynced = true;
  }
  MoveBounds(state, false, 0, true, base_position).IgnoreError();  // as above
  return std::make_shared<Segment>(base_position, std::move(backing));
}

absl::Status MmapSegmentStore::Commit(Segment& segment, size_t end_offset) {
  MmapBacking& b = BackingOf(segment);
  ShardState& state = State(b.shard);
  // Frames [from, end_offset) are new: only this appender touches them.
  const size_t from = segment.end_offset;
  char* const data = segment.data();
  uint64_t first_position = 0;
  uint64_t end_position = 0;
  for (size_t off = from; off < end_offset;) {
    BatchHeader h = DecodeBatchHeader(data + off);
    h.flags |= kBatchHasCrc;
    // The CRC covers the flags; it is stored before them, so that a reader
    // (a read-only stream, maybe another process) that sees kBatchHasCrc sees
    // a complete frame: a frame without the flag is an append in progress.
    EncodeFixed<uint32_t>(data + off + 4, CrcWithFlags(data + off, h.flags));
    std::atomic_thread_fence(std::memory_order_release);
    EncodeFixed<uint32_t>(data + off + 28, h.flags);
    if (off == from) first_position = h.first_position;
    end_position = h.first_position + h.record_count;
    off += h.frame_bytes;
  }
  // An explicit end of log: the file may hold old frames (recycled) or an
  // earlier torn append's bytes past this point.
  std::memset(data + end_offset, 0,
              std::min(kBatchHeaderBytes, segment.capacity() - end_offset));
  if (b.prefaulted_offset < end_offset + kPrefaultAhead / 2 &&
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

void MmapSegmentStore::Abort(Segment& segment) {
  MmapBacking& b = BackingOf(segment);
  ShardState& state = State(b.shard);
  const size_t from = segment.end_offset;
  if (from >= segment.capacity()) return;
  const uint64_t first_position =
      DecodeFixed<uint64_t>(segment.data() + from + 8);
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
    // loss, complete and checksummed, as records of a failed append.
    b.region().Sync(from, kBatchHeaderBytes).IgnoreError();
  }
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
    env->SyncDir(dir).IgnoreError();  // as above
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
  bool sync_dir;
  {
    MutexLock lock(&state.mu);
    if (state.synced_position >= end_position && end_position != 0) {
      return absl::OkStatus();
    }
    target = state.committed_position;
    sync_dir = state.dir_unsynced;
    state.dir_unsynced = false;
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
    absl::Status s = options_.env->SyncDir(ShardDir(state.number));
    if (!s.ok()) {
      MutexLock lock(&state.mu);
      state.dir_unsynced = true;
      return s;
    }
  }
  // Oldest first, so a durable frame is never preceded by a lost one.
  for (const Job& job : jobs) {
    MmapBacking& b = BackingOf(*job.segment);
    // With the zero header that ends the log.
    const size_t end = std::min(job.to + kBatchHeaderBytes, b.capacity());
    absl::Status s = b.region().Sync(job.from, end - job.from);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("segment ", b.path, " offset ",
                                                 job.from, ": ", s.message()));
    }
  }
  MutexLock lock(&state.mu);
  for (const Job& job : jobs) {
    MmapBacking& b = BackingOf(*job.segment);
    if (b.committed_offset >= job.to) {
      b.synced_offset = std::max(b.synced_offset, job.to);
    }
  }
  if (state.committed_position >= target) {
    state.synced_position = std::max(state.synced_position, target);
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
  BROOK_RETURN_IF_ERROR(options_.env->CreateDir(ShardDir(shard_number)));
  return options_.env->SyncDir(options_.dir);
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

absl::Status MmapSegmentStore::Close() {
  preparer_.reset();
  syncer_.reset();
  if (options_.read_only) return absl::OkStatus();
  absl::Status s = SyncAll();
  for (ShardState* shard : States()) {
    MutexLock lock(&shard->mu);
    shard->closed = true;
  }
  return s;
}

}  // namespace internal
}  // namespace brook
